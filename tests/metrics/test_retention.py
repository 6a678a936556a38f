"""Customer retention and churn: identities, oracles and revenue weighting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Contract,
    ParameterError,
    RevenueBasis,
    Segment,
    Window,
    catalog,
    metrics,
    scorecard,
)
from advocacy_kpis.catalog import BasisUse
from advocacy_kpis.sample import tiny
from tests.strategies import AS_OF, HEAVY, TIERS, datasets, in_window, windows


def customer(a: object, t: object) -> bool:
    since, churned = a.customer_since, a.churned_at  # type: ignore[attr-defined]
    return bool(since < t and (churned is None or churned >= t))  # type: ignore[operator]


@given(datasets(), windows())
def test_retention_and_churn_equal_naive_oracle_and_sum_to_one(data: AdvocacyData, window: Window) -> None:
    start = {a.id for a in data.accounts if customer(a, window.start)}
    kept = {a.id for a in data.accounts if a.id in start and customer(a, window.end)}
    retention = metrics.customer_retention_rate(data, window=window)
    churn = metrics.customer_churn_rate(data, window=window)
    assert (retention.numerator, retention.denominator) == (len(kept), len(start))
    assert (churn.numerator, churn.denominator) == (len(start) - len(kept), len(start))
    if start:
        assert retention.value is not None and churn.value is not None
        assert retention.value + churn.value == pytest.approx(1.0)
    else:
        assert retention.value is None and churn.value is None


@given(datasets(), windows())
def test_weighted_retention_and_churn_sum_to_one(data: AdvocacyData, window: Window) -> None:
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.25")})
    retention = metrics.customer_retention_rate(data, window=window, basis=basis)
    churn = metrics.customer_churn_rate(data, window=window, basis=basis)
    assert (retention.value is None) == (churn.value is None)
    if retention.value is not None and churn.value is not None:
        assert retention.value + churn.value == pytest.approx(1.0)
        assert retention.numerator + churn.numerator == retention.denominator  # type: ignore[operator]


@given(datasets(), windows())
def test_counts_over_disjoint_segments_add_up(data: AdvocacyData, window: Window) -> None:
    whole = metrics.customer_retention_rate(data, window=window)
    parts = [
        metrics.customer_retention_rate(data, window=window, segment=Segment.where(tier=t)) for t in TIERS
    ]
    assert sum(p.numerator for p in parts) == whole.numerator  # type: ignore[misc]
    assert sum(p.denominator for p in parts) == whole.denominator  # type: ignore[misc]


def test_tiny_retention_by_hand() -> None:
    # S at 2026-07-01 = {a1, a2, a3, a4}; a4 churned 2026-08-15; a5 and a6 are new in Q3.
    result = metrics.customer_retention_rate(tiny(), window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator) == (3, 4)
    assert dict(result.components) == {
        "numerator_accounts": 3, "population_accounts": 4, "start": 4, "end": 5, "new": 2,
        "churned": 1, "retained": 3, "churned_from_start": 1,
    }  # fmt: skip
    # Textbook (E - N) / S = (5 - 2) / 4 agrees here: nobody was won and lost inside Q3.
    assert result.details["textbook_rate"] == 0.75


def test_tiny_weighted_churn_by_hand() -> None:
    # ARR at 2026-07-01: a1 120000, a2 66000, a3 12000 EUR x 1.10 = 13200, a4 10000. Churned: a4.
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.10")})
    result = metrics.customer_churn_rate(tiny(), window=Window.quarter(2026, 3), basis=basis)
    assert result.value == pytest.approx(10000 / 209200)
    assert result.numerator == Decimal(10000)
    assert result.interval is None


def test_churn_change_between_small_quarters_uses_fishers_exact_test() -> None:
    data = tiny()
    q3 = metrics.customer_churn_rate(data, window=Window.quarter(2026, 3))
    q2 = metrics.customer_churn_rate(data, window=Window.quarter(2026, 2))
    change = q3.change_from(q2)
    # 0 of 4 then 1 of 4: the expected cells are 0.5, so Fisher; both tables are equally likely: p = 1.
    assert change.method == "fisher-exact" and change.p_value == pytest.approx(1.0)
    assert change.absolute == pytest.approx(0.25)
    assert change.interval is not None and change.interval.contains(0.25)


def test_change_refuses_different_segments_and_window_lengths() -> None:
    from advocacy_kpis import IncomparableResultsError

    data = tiny()
    q3 = metrics.customer_churn_rate(data, window=Window.quarter(2026, 3))
    smb = metrics.customer_churn_rate(data, window=Window.quarter(2026, 2), segment=Segment.where(tier="smb"))
    month = metrics.customer_churn_rate(data, window=Window.month(2026, 6))
    with pytest.raises(IncomparableResultsError, match="segment"):
        q3.change_from(smb)
    with pytest.raises(IncomparableResultsError, match="length"):
        q3.change_from(month)
    weighted = metrics.customer_churn_rate(
        data, window=Window.quarter(2026, 2), basis=RevenueBasis.arr("USD", {"EUR": Decimal(1)})
    )
    with pytest.raises(IncomparableResultsError, match="basis"):
        q3.change_from(weighted)


# -- renewals, expansion and revenue retention (catalogue 30-35) ------------------------------

FX = {"EUR": Decimal("1.25")}
USD = RevenueBasis.arr("USD", fx_rates=FX)
MONTHLY = RevenueBasis.mrr("USD", fx_rates=FX)


def usd(contract: Contract) -> Decimal:
    return contract.arr * (FX[contract.currency] if contract.currency != "USD" else 1)


def naive_arr(data: AdvocacyData, account_id: str, instant: datetime) -> Decimal:
    """ARR in USD of the account's contracts live at the instant (start < t <= end)."""
    return sum(
        (usd(c) for c in data.contracts if c.account_id == account_id and c.start < instant <= c.end),
        Decimal(0),
    )


def naive_movement(
    data: AdvocacyData, start: datetime, end: datetime, tier: str | None = None
) -> dict[str, Any]:
    """Per the catalogue: over S (customers at start), the ARR pairs and their sums."""
    pairs = [
        (naive_arr(data, a.id, start), naive_arr(data, a.id, end))
        for a in data.accounts
        if customer(a, start) and (tier is None or a.tier == tier)
    ]
    return {
        "accounts": len(pairs),
        "starting": sum((s for s, _ in pairs), Decimal(0)),
        "ending": sum((e for _, e in pairs), Decimal(0)),
        "retained": sum((min(s, e) for s, e in pairs), Decimal(0)),
        "expansion": sum((max(Decimal(0), e - s) for s, e in pairs), Decimal(0)),
    }


@given(datasets(), windows())
@HEAVY
def test_renewal_rate_equals_naive_oracle_and_tiers_add_up(data: AdvocacyData, window: Window) -> None:
    ending = [c for c in data.contracts if in_window(c.end, window)]
    renewed = [c for c in ending if any(other.renewal_of == c.id for other in data.contracts)]
    result = metrics.contract_renewal_rate(data, window=window)
    assert (result.numerator, result.denominator) == (len(renewed), len(ending))
    assert result.value == (len(renewed) / len(ending) if ending else None)
    weighted = metrics.contract_renewal_rate(data, window=window, basis=USD)
    part, whole = sum(map(usd, renewed), Decimal(0)), sum(map(usd, ending), Decimal(0))
    assert (weighted.numerator, weighted.denominator) == (part, whole)
    assert weighted.value == (pytest.approx(float(part / whole)) if whole else None)
    if weighted.value is not None:
        assert 0 <= weighted.value <= 1
    parts = [metrics.contract_renewal_rate(data, window=window, segment=Segment.where(tier=t)) for t in TIERS]
    assert sum(p.numerator for p in parts) == result.numerator  # type: ignore[misc]
    assert sum(p.denominator for p in parts) == result.denominator  # type: ignore[misc]


@given(datasets(), windows())
@HEAVY
def test_nrr_grr_and_expansion_equal_naive_oracle_and_tiers_add_up(
    data: AdvocacyData, window: Window
) -> None:
    expected = naive_movement(data, window.start, window.end)
    expansion = metrics.expansion_revenue(data, window=window, basis=USD)
    grr = metrics.gross_revenue_retention(data, window=window, basis=USD)
    nrr = metrics.net_revenue_retention(data, window=window, basis=USD)
    assert expansion.value == expected["expansion"]
    assert expansion.components["accounts"] == expected["accounts"]
    assert (grr.numerator, grr.denominator) == (expected["retained"], expected["starting"])
    assert (nrr.numerator, nrr.denominator) == (expected["ending"], expected["starting"])
    if expected["starting"]:
        assert grr.value == pytest.approx(float(expected["retained"] / expected["starting"]))
        assert nrr.value == pytest.approx(float(expected["ending"] / expected["starting"]))
    else:
        assert grr.value is None and nrr.value is None and grr.undefined_reason and nrr.undefined_reason
    parts = [
        metrics.net_revenue_retention(data, window=window, basis=USD, segment=Segment.where(tier=t))
        for t in TIERS
    ]
    for key in ("accounts", "expanded_accounts", "contracted_accounts", "churned_accounts"):
        assert sum(p.components[key] for p in parts) == nrr.components[key]
    for key in ("starting_revenue", "ending_revenue", "retained_revenue", "expansion_revenue"):
        assert sum((p.details[key] for p in parts), Decimal(0)) == nrr.details[key]


@given(datasets(), windows(), st.sampled_from((USD, MONTHLY)), st.sampled_from((None, *TIERS)))
@HEAVY
def test_nrr_is_at_least_grr_and_grr_is_a_rate(
    data: AdvocacyData, window: Window, basis: RevenueBasis, tier: str | None
) -> None:
    segment = Segment.where(tier=tier) if tier else None
    grr = metrics.gross_revenue_retention(data, window=window, segment=segment, basis=basis)
    nrr = metrics.net_revenue_retention(data, window=window, segment=segment, basis=basis)
    expansion = metrics.expansion_revenue(data, window=window, segment=segment, basis=basis)
    assert (grr.value is None) == (nrr.value is None)
    if grr.value is not None and nrr.value is not None:
        assert 0 <= grr.value <= 1
        assert nrr.value >= grr.value
        # The identity the shared sums give: NRR - GRR = expansion / starting revenue.
        assert nrr.value - grr.value == pytest.approx(float(expansion.value / grr.denominator))  # type: ignore[operator]
    details = expansion.details
    assert details["ending_revenue"] == details["retained_revenue"] + details["expansion_revenue"]


def never_rising(data: AdvocacyData) -> AdvocacyData:
    """The same data set with every contract starting before anyone was a customer.

    An account's ARR then only falls over time (contracts only end), so no customer's ARR rises
    in any window.
    """
    import attrs

    early = min([a.customer_since for a in data.accounts] + [c.start for c in data.contracts] + [AS_OF])
    collections = data.as_collections()
    collections["contracts"] = [attrs.evolve(c, start=early - timedelta(days=1)) for c in data.contracts]
    return AdvocacyData.from_records(as_of=data.as_of, **collections)


@given(datasets().map(never_rising), windows(), st.sampled_from((None, *TIERS)))
@HEAVY
def test_expansion_is_zero_when_no_arr_ever_rises(
    data: AdvocacyData, window: Window, tier: str | None
) -> None:
    segment = Segment.where(tier=tier) if tier else None
    expansion = metrics.expansion_revenue(data, window=window, segment=segment, basis=USD)
    assert expansion.value == 0 and expansion.components["expanded_accounts"] == 0
    grr = metrics.gross_revenue_retention(data, window=window, segment=segment, basis=USD)
    nrr = metrics.net_revenue_retention(data, window=window, segment=segment, basis=USD)
    assert grr.value == nrr.value
    growth = metrics.expansion_revenue_growth_rate(data, window=window, segment=segment, basis=USD)
    assert growth.value is None and "no expansion revenue in the previous period" in (
        growth.undefined_reason or ""
    )


@given(datasets(), windows())
@HEAVY
def test_expansion_growth_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    before = window.previous()
    now = naive_movement(data, window.start, window.end)["expansion"]
    then = naive_movement(data, before.start, before.end)["expansion"]
    result = metrics.expansion_revenue_growth_rate(data, window=window, basis=USD)
    assert (result.components["expansion"], result.components["previous_expansion"]) == (now, then)
    assert result.value == (pytest.approx(float((now - then) / then)) if then else None)
    # P is computed whether or not it is in the grid, and a grid with P in it agrees.
    card = scorecard(data, metrics=["expansion_revenue", "expansion_revenue_growth_rate"],
                     windows=[before, window], basis=USD)  # fmt: skip
    assert card.get("expansion_revenue", before).value == then
    assert card.get("expansion_revenue_growth_rate", window).to_dict() == result.to_dict()


def test_previous_period_of_a_quarter_is_the_previous_calendar_quarter() -> None:
    # Q2 2026 has 91 days and Q1 90, so the 91 days before Q2 start on 2025-12-31. An expansion at
    # noon on that day is in those 91 days but not in Q1: X(Q1) is 0 and growth from it undefined.
    t = datetime(2025, 12, 31, 12, tzinfo=UTC)
    account = Account(id="x", customer_since=t - timedelta(days=100))
    contracts = [
        Contract(id="c1", account_id="x", start=t - timedelta(days=100), end=t, arr=Decimal(100), currency="USD"),
        Contract(id="c2", account_id="x", start=t, end=t + timedelta(days=365), arr=Decimal(150), currency="USD",
                 renewal_of="c1"),
    ]  # fmt: skip
    data = AdvocacyData.from_records(
        accounts=[account], contracts=contracts, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    q2 = Window.quarter(2026, 2)
    result = metrics.expansion_revenue_growth_rate(data, window=q2, basis=USD)
    assert result.value is None and result.details["previous_window"] == "2026Q1"
    # As an ad-hoc span of the same dates, the previous period is the 91 days before it.
    span = Window.between(q2.start, q2.end)
    assert metrics.expansion_revenue_growth_rate(data, window=span, basis=USD).denominator == Decimal(50)


def test_mrr_sums_are_taken_once_and_do_not_depend_on_account_order() -> None:
    t = datetime(2026, 7, 1, tzinfo=UTC)
    accounts = [Account(id=f"a{i}", customer_since=t - timedelta(days=30)) for i in range(3)]
    contracts = [
        Contract(id=f"c{i}", account_id=f"a{i}", start=t - timedelta(days=30), end=t + timedelta(days=30),
                 arr=Decimal(v), currency="USD")
        for i, v in enumerate(("1000", "7", "0.05"))
    ] + [
        Contract(id=f"d{i}", account_id=f"a{i}", start=t + timedelta(days=10), end=t + timedelta(days=300),
                 arr=Decimal(v), currency="USD")
        for i, v in enumerate(("1001", "8", "1.05"))
    ]  # fmt: skip
    data = AdvocacyData.from_records(accounts=accounts, contracts=contracts, as_of=t + timedelta(days=120))
    result = metrics.expansion_revenue(data, window=Window.quarter(2026, 3), basis=RevenueBasis.mrr("USD"))
    # ARR at 1 July: 1007.05; at 1 October only the d contracts: 1010.05; each account rose by 1.
    assert result.value == Decimal(3) / 12 and result.value == Decimal("0.25")
    # 1007.05 / 12 = 83.9208333...: rounded once, at 1e-12.
    assert result.details["starting_revenue"] == Decimal("83.920833333333")


def naive_activation(data: AdvocacyData, window: Window, horizon_days: int = 365) -> dict[str, int]:
    """Cohort, matured, expanded and mixed-currency counts, reading the run rate day by day and at every contract bound."""
    counts = {"cohort": 0, "matured": 0, "expanded": 0, "mixed": 0}
    for account in data.accounts:
        origin = account.activated_at or account.customer_since
        if not in_window(origin, window):
            continue
        counts["cohort"] += 1
        due = origin + timedelta(days=horizon_days)
        if due > data.as_of:
            continue
        mine = [c for c in data.contracts if c.account_id == account.id]
        involved = [c for c in mine if c.start < due and c.end > origin]
        if len({c.currency for c in involved}) > 1:
            counts["mixed"] += 1
            continue
        counts["matured"] += 1
        baseline = sum((c.arr for c in mine if c.start <= origin < c.end), Decimal(0))
        probes = {origin + timedelta(days=d) for d in range(1, horizon_days + 1)}
        probes |= {
            t for c in mine for t in (c.start, c.end, c.start + timedelta(seconds=1)) if origin < t <= due
        }
        if any(sum((c.arr for c in mine if c.start < t <= c.end), Decimal(0)) > baseline for t in probes):
            counts["expanded"] += 1
    return counts


@given(datasets(max_accounts=8), windows(), st.sampled_from((30, 365)))
@HEAVY
def test_activation_to_expansion_equals_naive_oracle_and_tiers_add_up(
    data: AdvocacyData, window: Window, horizon: int
) -> None:
    expected = naive_activation(data, window, horizon)
    result = metrics.activation_to_expansion_rate(data, window=window, horizon_days=horizon)
    assert dict(result.components) == {
        "cohort": expected["cohort"], "matured": expected["matured"], "expanded": expected["expanded"],
        "immature_excluded": expected["cohort"] - expected["matured"] - expected["mixed"],
        "mixed_currency_excluded": expected["mixed"],
    }  # fmt: skip
    assert result.value == (expected["expanded"] / expected["matured"] if expected["matured"] else None)
    parts = [
        metrics.activation_to_expansion_rate(
            data, window=window, segment=Segment.where(tier=t), horizon_days=horizon
        )
        for t in TIERS
    ]
    for key in result.components:
        assert sum(p.components[key] for p in parts) == result.components[key]


def test_activation_baseline_counts_a_contract_starting_at_activation() -> None:
    t = datetime(2025, 3, 1, tzinfo=UTC)
    account = Account(id="x", customer_since=t)
    contracts = [
        Contract(id="c1", account_id="x", start=t, end=t + timedelta(days=365), arr=Decimal(100), currency="USD"),
        Contract(id="c2", account_id="x", start=t + timedelta(days=365), end=t + timedelta(days=730),
                 arr=Decimal(100), currency="USD", renewal_of="c1"),
    ]  # fmt: skip
    data = AdvocacyData.from_records(
        accounts=[account], contracts=contracts, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    # c1 starts at the activation instant: it is the baseline (100), and the flat renewal is no rise.
    assert metrics.activation_to_expansion_rate(data, window=Window.year(2025)).value == 0.0


def test_bad_horizon_is_named() -> None:
    with pytest.raises(ParameterError, match="'horizon_days'"):
        metrics.activation_to_expansion_rate(tiny(), window=Window.year(2025), horizon_days=0)


def test_tiny_family_four_by_hand() -> None:
    data, basis = tiny(), RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    # Contracts ending in 2026: c2 (renewed by c3), c4 (renewed by c5), c7 (a4, not renewed).
    renewal = metrics.contract_renewal_rate(data, window=Window.year(2026), basis=basis)
    assert (renewal.numerator, renewal.denominator) == (Decimal("72960.00"), Decimal("82960.00"))
    # 2026 (runs past as_of): ARR on 1 January a1 120000, a2 60000 (c2), a3 12960, a4 10000 = 202960;
    # on 2027-01-01 a1 120000, a2 66000, a3 12960, a4 0: 198960. Kept 192960, expansion 6000.
    grr = metrics.gross_revenue_retention(data, window=Window.year(2026), basis=basis)
    nrr = metrics.net_revenue_retention(data, window=Window.year(2026), basis=basis)
    assert (grr.numerator, nrr.numerator, nrr.denominator) == (192960, 198960, 202960)
    assert any("runs past as_of" in w for w in nrr.warnings)


def test_money_metrics_refuse_a_missing_or_contract_value_basis() -> None:
    for metric_id in ("expansion_revenue", "expansion_revenue_growth_rate", "gross_revenue_retention",
                      "net_revenue_retention"):  # fmt: skip
        function = getattr(metrics, metric_id)
        with pytest.raises(ParameterError, match="'basis'"):
            function(tiny(), window=Window.quarter(2026, 3))
        with pytest.raises(ParameterError, match="'basis'.*ARR or MRR"):
            function(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.acv("USD"))


FAMILY_FOUR = (
    "contract_renewal_rate",
    "expansion_revenue",
    "expansion_revenue_growth_rate",
    "activation_to_expansion_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
)


@given(
    data=datasets(max_accounts=8),
    pair=st.tuples(windows(), windows()),
    basis=st.sampled_from((USD, MONTHLY)),
    weighted=st.booleans(),
)
@HEAVY
def test_scorecard_cell_equals_single_call(
    data: AdvocacyData, pair: tuple[Window, Window], basis: RevenueBasis, weighted: bool
) -> None:
    assume(data.accounts and pair[0] != pair[1])
    card = scorecard(
        data, metrics=list(FAMILY_FOUR), windows=list(pair), segments=Segment.by("tier"), basis=basis,
        weight_rates=weighted,
    )  # fmt: skip
    for metric_id in FAMILY_FOUR:
        spec = catalog.get(metric_id)
        takes = spec.basis is BasisUse.REQUIRED or (weighted and spec.basis is BasisUse.OPTIONAL)
        extra = {"basis": basis} if takes else {}
        function = getattr(metrics, metric_id)
        for window in pair:
            for segment in card.segments:
                single = function(data, window=window, segment=segment, **extra)
                assert card.get(metric_id, window, segment).to_dict() == single.to_dict()
