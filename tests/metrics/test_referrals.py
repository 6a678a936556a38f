"""Family 3, referral programme impact: oracles, hand computations and guards for metrics 19-27."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Contract,
    CurrencyMismatchError,
    MetricResult,
    Opportunity,
    ParameterError,
    ProgramCost,
    Referral,
    RevenueBasis,
    Segment,
    SegmentNotApplicableError,
    Window,
    formulas,
    metrics,
    stats,
)
from advocacy_kpis.sample import tiny
from advocacy_kpis.scope import BasisKind
from tests.strategies import HEAVY, REGIONS, TIERS, datasets, in_window, windows


def test_seed_worked_example_fifty_of_two_hundred_is_25_percent() -> None:
    assert formulas.client_referral_rate(50, 200) == 0.25
    start = datetime(2026, 7, 1, tzinfo=UTC)
    accounts = [
        Account(id=f"n{i}", customer_since=start + timedelta(hours=i),
                acquisition_channel="referral" if i < 50 else "inbound")
        for i in range(200)
    ]  # fmt: skip
    data = AdvocacyData.from_records(accounts=accounts, as_of=datetime(2026, 10, 1, tzinfo=UTC))
    result = metrics.client_referral_rate(data, window=Window.quarter(2026, 3))
    assert (result.value, result.numerator, result.denominator) == (0.25, 50, 200)
    assert result.interval is not None and result.interval.contains(0.25)


@given(datasets(), windows())
def test_client_referral_rate_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    referred = {a.id for a in data.accounts if a.acquisition_channel == "referral"}
    referred |= {r.converted_account_id for r in data.referrals if r.converted_account_id}
    new = {a.id for a in data.accounts if window.start <= a.customer_since < window.end}
    result = metrics.client_referral_rate(data, window=window)
    assert (result.numerator, result.denominator) == (len(new & referred), len(new))


@given(datasets(), windows())
def test_client_referral_counts_over_disjoint_segments_add_up(data: AdvocacyData, window: Window) -> None:
    whole = metrics.client_referral_rate(data, window=window)
    parts = [metrics.client_referral_rate(data, window=window, segment=Segment.where(tier=t)) for t in TIERS]
    assert sum(p.numerator for p in parts) == whole.numerator  # type: ignore[misc]
    assert sum(p.denominator for p in parts) == whole.denominator  # type: ignore[misc]


def test_revenue_weighted_client_referral_rate_by_hand() -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    end = datetime(2027, 7, 1, tzinfo=UTC)
    accounts = [
        Account(id="ref", customer_since=start, acquisition_channel="referral"),
        Account(id="big", customer_since=start + timedelta(days=3)),
    ]
    contracts = [
        Contract(id="c1", account_id="ref", start=start, end=end, arr=Decimal(30000), currency="USD"),
        Contract(
            id="c2",
            account_id="big",
            start=start + timedelta(days=3),
            end=end,
            arr=Decimal(90000),
            currency="USD",
        ),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, as_of=datetime(2026, 10, 2, tzinfo=UTC)
    )
    result = metrics.client_referral_rate(data, window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
    # One of two logos (50%), but 30000 of 120000 ARR at W.end (25%).
    assert result.value == 0.25
    assert (result.numerator, result.denominator) == (Decimal(30000), Decimal(120000))
    mrr = metrics.client_referral_rate(data, window=Window.quarter(2026, 3), basis=RevenueBasis.mrr("USD"))
    assert mrr.value == 0.25 and mrr.denominator == Decimal(10000)


@given(datasets(), windows(), st.sampled_from([1, 30, 90, 365]))
def test_referral_conversion_equals_naive_oracle(data: AdvocacyData, window: Window, horizon: int) -> None:
    h = timedelta(days=horizon)
    earliest: dict[str, tuple[datetime, str]] = {}
    for r in data.referrals:
        if r.converted_account_id is not None:
            key = (r.invited_at, r.id)
            earliest[r.converted_account_id] = min(earliest.get(r.converted_account_id, key), key)
    firsts = {rid for _, rid in earliest.values()}
    sent = [r for r in data.referrals if window.start <= r.invited_at < window.end]
    matured = [r for r in sent if r.invited_at + h <= data.as_of]
    converted = [
        r
        for r in matured
        if r.converted_at is not None
        and r.converted_at - r.invited_at <= h
        and (r.converted_account_id is None or r.id in firsts)
    ]
    result = metrics.referral_conversion_rate(data, window=window, horizon_days=horizon)
    assert (result.numerator, result.denominator) == (len(converted), len(matured))
    assert result.components["immature_excluded"] == len(sent) - len(matured)
    assert (result.value is None) == (not matured)


def test_conversion_horizon_must_be_a_positive_integer() -> None:
    from advocacy_kpis import ParameterError
    from advocacy_kpis.sample import tiny

    with pytest.raises(ParameterError, match="'horizon_days'.*whole number of days.*-5"):
        metrics.referral_conversion_rate(tiny(), window=Window.quarter(2026, 2), horizon_days=-5)


# -- shared oracle pieces: the definitions written out over the raw collections --------------------

FX = {"EUR": Decimal("1.25")}
BASIS = RevenueBasis.arr("USD", fx_rates=FX)
Q2, Q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def is_customer(account: Account, instant: datetime) -> bool:
    return account.customer_since < instant and (account.churned_at is None or account.churned_at >= instant)


def naive_referred(data: AdvocacyData) -> set[str]:
    referred = {a.id for a in data.accounts if a.acquisition_channel == "referral"}
    return referred | {r.converted_account_id for r in data.referrals if r.converted_account_id}


def to_usd(amount: Decimal, currency: str) -> Decimal:
    return amount if currency == "USD" else amount * FX[currency]


def naive_value(contract: Contract, kind: str) -> Decimal:
    raw = {
        "arr": contract.arr,
        "mrr": contract.arr / 12,
        "acv": contract.first_year_value,
        "tcv": contract.total_value,
    }[kind]
    return to_usd(raw, contract.currency)


def naive_arr_at(data: AdvocacyData, accounts: Iterable[str], instant: datetime) -> Decimal:
    wanted = set(accounts)
    live = [c for c in data.contracts if c.account_id in wanted and c.start < instant <= c.end]
    return sum((to_usd(c.arr, c.currency) for c in live), Decimal(0))


class NaiveRevenue(NamedTuple):
    first: Decimal
    additions: Decimal
    renewals: Decimal

    @property
    def total(self) -> Decimal:
        return self.first + self.additions + self.renewals


def naive_referral_revenue(data: AdvocacyData, window: Window, kind: str) -> NaiveRevenue:
    """First contracts: renewing nothing and starting when the account's first contract starts."""
    referred = naive_referred(data)
    chosen = [c for c in data.contracts if c.account_id in referred and in_window(c.start, window)]

    def is_first(c: Contract) -> bool:
        return c.renewal_of is None and c.start == min(
            o.start for o in data.contracts if o.account_id == c.account_id
        )

    def total(cs: Iterable[Contract]) -> Decimal:
        return sum((naive_value(c, kind) for c in cs), Decimal(0))

    return NaiveRevenue(
        total(c for c in chosen if is_first(c)),
        total(c for c in chosen if c.renewal_of is None and not is_first(c)),
        total(c for c in chosen if c.renewal_of is not None),
    )


def close(actual: Any, expected: Decimal) -> bool:
    # MRR, ACV and TCV divide, so per-contract values are rounded to 28 digits and their sums
    # may differ from a sum in another order in the last digit.
    return bool(abs(Decimal(actual) - expected) <= Decimal("1e-12") * max(Decimal(1), abs(expected)))


def referral_account(account_id: str, since: datetime = T0, **changes: Any) -> Account:
    return Account(id=account_id, customer_since=since, acquisition_channel="referral", **changes)


def yearly(contract_id: str, account_id: str, arr: int, currency: str = "USD") -> Contract:
    return Contract(
        id=contract_id, account_id=account_id, start=T0, end=T0 + timedelta(days=730),
        arr=Decimal(arr), currency=currency,
    )  # fmt: skip


def tiny_with_a3_referred() -> AdvocacyData:
    """`tiny`, with a3 (billed in EUR) acquired through a referral."""
    data = tiny()
    collections = data.as_collections()
    collections["accounts"] = [
        attrs.evolve(a, acquisition_channel="referral") if a.id == "a3" else a for a in data.accounts
    ]
    return AdvocacyData.from_records(as_of=data.as_of, **collections)


# -- the selection helper ----------------------------------------------------------------------------


@given(datasets(max_accounts=8), windows(), st.data())
@HEAVY
def test_events_of_accounts_equals_naive_selection(
    data: AdvocacyData, window: Window, draw: st.DataObject
) -> None:
    ids = draw.draw(st.sets(st.sampled_from([a.id for a in data.accounts] + ["nobody"])))
    contracts = [c for c in data.contracts if c.account_id in ids and in_window(c.start, window)]
    referrals = [r for r in data.referrals if r.account_id in ids and in_window(r.invited_at, window)]
    assert data.events_of_accounts(Contract, window, ids) == sorted(contracts, key=lambda c: (c.start, c.id))
    assert data.events_of_accounts(Referral, window, iter(ids)) == sorted(
        referrals, key=lambda r: (r.invited_at, r.id)
    )


# -- 21 new_customers_from_referrals -----------------------------------------------------------------


def test_tiny_new_customers_from_referrals_by_hand() -> None:
    # N in 2026Q3 = {a5 (2026-07-20, channel referral and named by r3), a6 (2026-09-01, inbound)}.
    # Referred: a5 only, so 1 of 2. The whole of 2026 adds no one else.
    result = metrics.new_customers_from_referrals(tiny(), window=Q3)
    assert result.value == 1 and isinstance(result.value, int)
    assert dict(result.components) == {"referred_new_customers": 1, "new_customers": 2}
    assert result.interval is not None and result.interval.method == "poisson-score"
    assert result.interval.contains(1.0)
    assert metrics.new_customers_from_referrals(tiny(), window=Window.year(2026)).value == 1
    # No one was won in 2026Q2: a real count of 0 with an interval from 0, never undefined.
    empty = metrics.new_customers_from_referrals(tiny(), window=Q2)
    assert empty.value == 0 and empty.undefined_reason is None
    assert empty.interval is not None and empty.interval.low == 0.0


@given(datasets(max_accounts=8), windows(), st.sampled_from((None, *TIERS)))
@HEAVY
def test_new_customers_from_referrals_equals_naive_oracle(
    data: AdvocacyData, window: Window, tier: str | None
) -> None:
    new = {
        a.id
        for a in data.accounts
        if in_window(a.customer_since, window) and (tier is None or a.tier == tier)
    }
    segment = None if tier is None else Segment.where(tier=tier)
    result = metrics.new_customers_from_referrals(data, window=window, segment=segment)
    assert result.value == len(new & naive_referred(data))
    assert result.components["new_customers"] == len(new)
    assert result.interval is not None and result.interval.contains(float(result.value))


# -- 22 revenue_from_referrals -----------------------------------------------------------------------


def test_tiny_revenue_from_referrals_on_each_basis_by_hand() -> None:
    # Referred accounts of tiny: a5 only. Its contract c8 starts 2026-07-20 (in Q3), runs two
    # years at arr 24000 USD. ARR 24000; MRR 24000 / 12 = 2000; ACV = first year = 48000 / 2 =
    # 24000; TCV = 24000 x 2 = 48000.
    expected = {"arr": Decimal(24000), "mrr": Decimal(2000), "acv": Decimal(24000), "tcv": Decimal(48000)}
    for kind, value in expected.items():
        result = metrics.revenue_from_referrals(tiny(), window=Q3, basis=RevenueBasis(BasisKind(kind), "USD"))
        assert result.value == value, kind
        assert dict(result.components) == {
            "contracts": 1, "first_contracts": 1, "later_contracts": 0, "renewals": 0, "accounts": 1,
            "first_contract_revenue": value, "later_contract_revenue": Decimal(0),
        }  # fmt: skip
        assert result.details["renewal_revenue"] == 0 and result.warnings == ()


def test_revenue_split_by_hand_first_contracts_additions_and_renewals() -> None:
    # Referred account r (won 2024-01-01): f1 and f2 both start 2024-01-01 (signed together: both
    # first); f1 renewed by n1 on 2026-01-01; an add-on d1 on 2026-02-01 renews nothing but is not
    # the first contract: an addition. Account q (won 2026-01-10): its first contract g1 then.
    # Q1 2026, ARR basis: first = g1 9000; later = n1 12000 (renewal) + d1 5000 (addition).
    # 2024Q1: first = f1 10000 + f2 3000; later 0.
    def contract(cid: str, account: str, start: datetime, arr: int, renews: str | None = None) -> Contract:
        return Contract(
            id=cid, account_id=account, start=start, end=start + timedelta(days=365), arr=Decimal(arr),
            currency="USD", renewal_of=renews,
        )  # fmt: skip

    jan24, jan26 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    data = AdvocacyData.from_records(
        accounts=[
            referral_account("r", jan24),
            referral_account("q", datetime(2026, 1, 10, tzinfo=UTC)),
        ],
        contracts=[
            contract("f1", "r", jan24, 10000),
            contract("f2", "r", jan24, 3000),
            contract("n1", "r", jan26, 12000, renews="f1"),
            contract("d1", "r", datetime(2026, 2, 1, tzinfo=UTC), 5000),
            contract("g1", "q", datetime(2026, 1, 10, tzinfo=UTC), 9000),
        ],
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )
    usd = RevenueBasis.arr("USD")
    q1 = metrics.revenue_from_referrals(data, window=Window.quarter(2026, 1), basis=usd)
    assert q1.value == Decimal(26000)
    assert q1.components["first_contract_revenue"] == Decimal(9000)
    assert q1.components["later_contract_revenue"] == Decimal(17000)
    assert (q1.components["first_contracts"], q1.components["later_contracts"]) == (1, 2)
    assert (q1.components["renewals"], q1.components["contracts"], q1.components["accounts"]) == (1, 3, 2)
    assert q1.details["addition_revenue"] == Decimal(5000) and q1.details["renewal_revenue"] == Decimal(12000)
    start = metrics.revenue_from_referrals(data, window=Window.quarter(2024, 1), basis=usd)
    assert start.components["first_contract_revenue"] == Decimal(13000)
    assert start.components["later_contract_revenue"] == Decimal(0)
    assert start.components["first_contracts"] == 2


def test_no_referred_contract_is_a_zero_of_revenue_with_a_warning() -> None:
    result = metrics.revenue_from_referrals(tiny(), window=Q2, basis=RevenueBasis.arr("USD"))
    assert result.value == Decimal(0) and isinstance(result.value, Decimal)
    assert result.undefined_reason is None
    assert result.warnings == ("no contracts started in W on referred accounts",)


def test_mixing_currencies_without_fx_names_both_currencies() -> None:
    # a3's renewal c5 (12000 EUR) starts 2026-06-01, in Q2, on an account now acquired by referral.
    data = tiny_with_a3_referred()
    with pytest.raises(CurrencyMismatchError, match=r"EUR with USD.*Contract 'c5'"):
        metrics.revenue_from_referrals(data, window=Q2, basis=RevenueBasis.arr("USD"))
    with pytest.raises(CurrencyMismatchError, match="EUR with USD"):
        metrics.referral_campaign_roi(data, window=Q2, basis=RevenueBasis.tcv("USD"))
    # tiny's opportunities are in USD: a EUR basis without a USD rate cannot read them.
    with pytest.raises(CurrencyMismatchError, match="USD with EUR"):
        metrics.referral_pipeline_contribution_rate(tiny(), window=Q3, basis=RevenueBasis.arr("EUR"))
    # The run rate at Q3's end includes a3's EUR contract c5.
    with pytest.raises(CurrencyMismatchError, match="EUR with USD"):
        metrics.referral_account_revenue_contribution(tiny(), window=Q3, basis=RevenueBasis.arr("USD"))


def test_fx_rate_is_applied_exactly_once() -> None:
    # c5: 12000 EUR x 1.08 = 12960 USD. Converted twice it would be 12000 x 1.08 x 1.08 = 13996.80.
    data = tiny_with_a3_referred()
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    result = metrics.revenue_from_referrals(data, window=Q2, basis=basis)
    assert result.value == Decimal("12960.00")
    assert result.details == {
        "first_contract_revenue": Decimal(0), "addition_revenue": Decimal(0), "renewal_revenue": Decimal("12960.00"),
    }  # fmt: skip
    assert dict(result.components) == {
        "contracts": 1, "first_contracts": 0, "later_contracts": 1, "renewals": 1, "accounts": 1,
        "first_contract_revenue": Decimal(0), "later_contract_revenue": Decimal("12960.00"),
    }  # fmt: skip
    # The other way round: a EUR basis converts a5's USD contract c8 once, 24000 x 0.9 = 21600 EUR.
    in_eur = metrics.revenue_from_referrals(
        tiny(), window=Q3, basis=RevenueBasis.arr("EUR", {"USD": Decimal("0.9")})
    )
    assert in_eur.value == Decimal("21600.0")


@given(datasets(max_accounts=8), windows(), st.sampled_from(["arr", "mrr", "acv", "tcv"]))
@HEAVY
def test_revenue_from_referrals_equals_naive_oracle(data: AdvocacyData, window: Window, kind: str) -> None:
    naive = naive_referral_revenue(data, window, kind)
    basis = RevenueBasis(BasisKind(kind), "USD", FX)  # type: ignore[arg-type]
    result = metrics.revenue_from_referrals(data, window=window, basis=basis)
    assert isinstance(result.value, Decimal) and close(result.value, naive.total)
    assert close(result.components["first_contract_revenue"], naive.first)
    assert close(result.components["later_contract_revenue"], naive.additions + naive.renewals)
    assert close(result.details["first_contract_revenue"], naive.first)
    assert close(result.details["addition_revenue"], naive.additions)
    assert close(result.details["renewal_revenue"], naive.renewals)
    assert result.value >= 0
    assert (result.components["contracts"] == 0) == bool(
        result.warnings and "no contracts" in result.warnings[-1]
    )


# -- 23 referral_account_revenue_contribution --------------------------------------------------------


def test_tiny_revenue_contribution_by_hand() -> None:
    # Customers at 2026-10-01: a1, a2, a3, a5, a6 (a4 churned 2026-08-15). Live run rate then:
    # a1 c1 120000; a2 c3 66000; a3 c5 12000 EUR x 1.08 = 12960; a5 c8 24000; a6 c9 8000.
    # Total 230960; referred (a5) 24000: 24000 / 230960 = 0.10391...; 1 of 5 accounts.
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    result = metrics.referral_account_revenue_contribution(tiny(), window=Q3, basis=basis)
    assert (result.numerator, result.denominator) == (Decimal(24000), Decimal(230960))
    assert result.value == pytest.approx(24000 / 230960)
    assert result.details["account_share"] == 0.2
    assert dict(result.components) == {"referred_customers": 1, "customers": 5}
    # MRR divides both sides by 12: the same share.
    mrr = metrics.referral_account_revenue_contribution(
        tiny(), window=Q3, basis=RevenueBasis.mrr("USD", {"EUR": Decimal("1.08")})
    )
    assert mrr.value == pytest.approx(result.value)  # type: ignore[arg-type]


def test_contribution_of_customers_without_revenue_is_undefined_not_zero() -> None:
    data = AdvocacyData.from_records(
        accounts=[referral_account("r")], contracts=[], as_of=T0 + timedelta(days=200)
    )
    result = metrics.referral_account_revenue_contribution(data, window=Q2, basis=RevenueBasis.arr("USD"))
    assert result.value is None
    assert result.undefined_reason == "the customers at the end of the window have no ARR (USD) then"
    # With no contracts supplied at all, nothing is known about revenue: a different reason.
    bare = AdvocacyData.from_records(accounts=[referral_account("r")], as_of=T0 + timedelta(days=200))
    unknown = metrics.referral_account_revenue_contribution(bare, window=Q2, basis=RevenueBasis.arr("USD"))
    assert unknown.value is None and unknown.undefined_reason == (
        "no contracts were supplied, so this metric cannot be computed"
    )


@given(datasets(max_accounts=8), windows())
@HEAVY
def test_revenue_contribution_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    customers = {a.id for a in data.accounts if is_customer(a, window.end)}
    part = naive_arr_at(data, customers & naive_referred(data), window.end)
    whole = naive_arr_at(data, customers, window.end)
    result = metrics.referral_account_revenue_contribution(data, window=window, basis=BASIS)
    assert (result.numerator, result.denominator) == (part, whole)
    if whole:
        assert result.value == pytest.approx(float(part / whole))
    else:
        assert result.value is None and result.undefined_reason


# -- 24 referral_pipeline_contribution_rate ----------------------------------------------------------


def test_tiny_pipeline_contribution_by_hand() -> None:
    # Created in Q3: o1 50000 (referral), o2 30000 (inbound), o3 20000 (outbound); o4 is in Q2.
    # 50000 / 100000 = 0.5; by count 1 of 3. EMEA: o1 only (its attributes): 1.0. NA: o2, o3: 0.0.
    usd = RevenueBasis.arr("USD")
    result = metrics.referral_pipeline_contribution_rate(tiny(), window=Q3, basis=usd)
    assert (result.value, result.numerator, result.denominator) == (0.5, Decimal(50000), Decimal(100000))
    assert result.details["share_by_count"] == pytest.approx(1 / 3)
    emea = Segment.where(region="EMEA")
    na = Segment.where(region="NA")
    assert (
        metrics.referral_pipeline_contribution_rate(tiny(), window=Q3, segment=emea, basis=usd).value == 1.0
    )
    assert metrics.referral_pipeline_contribution_rate(tiny(), window=Q3, segment=na, basis=usd).value == 0.0
    # The basis only gives the currency: TCV reads the same amounts.
    tcv = metrics.referral_pipeline_contribution_rate(tiny(), window=Q3, basis=RevenueBasis.tcv("USD"))
    assert tcv.value == 0.5


@given(datasets(max_accounts=8), windows(), st.sampled_from((None, *REGIONS)))
@HEAVY
def test_pipeline_contribution_equals_naive_oracle(
    data: AdvocacyData, window: Window, region: str | None
) -> None:
    regions = {a.id: a.region for a in data.accounts}

    def in_segment(o: Opportunity) -> bool:
        if region is None:
            return True
        if o.account_id is not None:
            return regions[o.account_id] == region
        return o.attributes.get("region") == region

    chosen = [o for o in data.opportunities if in_window(o.created_at, window) and in_segment(o)]
    whole = sum((to_usd(o.amount, o.currency) for o in chosen), Decimal(0))
    part = sum((to_usd(o.amount, o.currency) for o in chosen if o.source == "referral"), Decimal(0))
    segment = None if region is None else Segment.where(region=region)
    result = metrics.referral_pipeline_contribution_rate(data, window=window, segment=segment, basis=BASIS)
    assert (result.numerator, result.denominator) == (part, whole)
    assert result.components["opportunities"] == len(chosen)
    assert (result.value is None) == (whole == 0)
    if whole:
        assert result.value == pytest.approx(float(part / whole))


# -- 25 referral_campaign_roi ------------------------------------------------------------------------


def test_tiny_campaign_roi_by_hand() -> None:
    # Revenue Q3 on ARR: c8 24000. Referral costs in Q3: pc1 10000 + pc2 5000 = 15000 (pc3 is the
    # advocacy programme). (24000 - 15000) / 15000 = 0.6. On TCV: (48000 - 15000) / 15000 = 2.2.
    result = metrics.referral_campaign_roi(tiny(), window=Q3, basis=RevenueBasis.arr("USD"))
    assert (result.value, result.numerator, result.denominator) == (0.6, Decimal(9000), Decimal(15000))
    assert dict(result.components) == {
        "revenue": Decimal(24000), "cost": Decimal(15000), "contracts": 1, "cost_records": 2,
    }  # fmt: skip
    assert result.details["first_contract_roi"] == 0.6
    tcv = metrics.referral_campaign_roi(tiny(), window=Q3, basis=RevenueBasis.tcv("USD"))
    assert tcv.value == pytest.approx(2.2)


def test_campaign_roi_can_be_negative_and_is_undefined_without_cost() -> None:
    # Revenue 6000 (one referred contract) against a cost of 10000: (6000 - 10000) / 10000 = -0.4.
    data = AdvocacyData.from_records(
        accounts=[referral_account("r")],
        contracts=[yearly("c", "r", 6000)],
        program_costs=[
            ProgramCost(id="p", incurred_at=T0, amount=Decimal(10000), currency="USD"),
            ProgramCost(id="q", incurred_at=T0 + timedelta(days=100), amount=Decimal(0), currency="USD"),
        ],
        as_of=T0 + timedelta(days=200),
    )
    q1 = Window.quarter(2026, 1)
    assert metrics.referral_campaign_roi(data, window=q1, basis=RevenueBasis.arr("USD")).value == -0.4
    zero_cost = metrics.referral_campaign_roi(data, window=Q2, basis=RevenueBasis.arr("USD"))
    assert zero_cost.value is None
    assert zero_cost.undefined_reason == "the referral programme costs in the window add up to 0"


def test_campaign_roi_segment_must_be_carried_by_costs_too() -> None:
    # tiny's costs carry no attributes: a tier segment would set one tier's revenue against the
    # whole programme's cost.
    with pytest.raises(SegmentNotApplicableError, match="'segment'.*tier"):
        metrics.referral_campaign_roi(
            tiny(), window=Q3, segment=Segment.where(tier="mid"), basis=RevenueBasis.arr("USD")
        )


@given(datasets(max_accounts=8), windows())
@HEAVY
def test_campaign_roi_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    revenue = naive_referral_revenue(data, window, "arr").total
    costs = [c for c in data.program_costs if c.program == "referral" and in_window(c.incurred_at, window)]
    cost = sum((to_usd(c.amount, c.currency) for c in costs), Decimal(0))
    result = metrics.referral_campaign_roi(data, window=window, basis=BASIS)
    assert result.components["revenue"] == revenue and result.components["cost"] == cost
    if cost:
        assert result.value == pytest.approx(float((revenue - cost) / cost))
        assert result.value >= -1  # revenue is never negative, so at worst the whole cost is lost
    else:
        assert result.value is None and result.undefined_reason


# -- 26 referral_retention_rate ----------------------------------------------------------------------


def test_tiny_referral_retention_by_hand() -> None:
    # August 2026: S at 2026-08-01 = {a1, a2, a3, a4, a5}. Referred: a5 (won 2026-07-20), still a
    # customer at 2026-09-01: 1/1. Non-referred a1, a2, a3 stay, a4 churns 2026-08-15: 3/4.
    # Lift 1 - 0.75 = 0.25; ratio 1 / 0.75 = 4/3.
    result = metrics.referral_retention_rate(tiny(), window=Window.month(2026, 8))
    assert (result.value, result.numerator, result.denominator) == (1.0, 1, 1)
    assert result.details["non_referred_rate"] == 0.75
    assert result.details["lift"] == 0.25 and result.details["lift_ratio"] == pytest.approx(4 / 3)
    test = stats.two_proportion_test(3, 4, 1, 1)
    assert test is not None and result.details["test_p_value"] == test.p_value
    assert result.details["test_interval"] == test.interval
    assert "independent" in result.details["test_note"]
    # In Q3 the only referred account (a5) is not yet a customer at W.start: undefined.
    assert metrics.referral_retention_rate(tiny(), window=Q3).value is None


def test_revenue_weighted_referral_retention_by_hand() -> None:
    # Run rate at W.start (2026-07-01). Referred: big 30000 (churns in W), ra 10000, rb 10000.
    # Non-referred: n1 40000 (stays), n2 10000 (churns). By logos: 2/3 against 1/2, referred ahead.
    # By revenue: (10000 + 10000) / 50000 = 0.4 against 40000 / 50000 = 0.8: lift -0.4, ratio 0.5.
    churn = datetime(2026, 8, 1, tzinfo=UTC)
    accounts = [
        referral_account("big", churned_at=churn),
        referral_account("ra"),
        referral_account("rb"),
        Account(id="n1", customer_since=T0, acquisition_channel="inbound"),
        Account(id="n2", customer_since=T0, churned_at=churn, acquisition_channel="inbound"),
    ]
    contracts = [
        yearly("c1", "big", 30000), yearly("c2", "ra", 10000), yearly("c3", "rb", 10000),
        yearly("c4", "n1", 40000), yearly("c5", "n2", 10000),
    ]  # fmt: skip
    data = AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, as_of=datetime(2026, 10, 15, tzinfo=UTC)
    )
    plain = metrics.referral_retention_rate(data, window=Q3)
    assert plain.value == pytest.approx(2 / 3) and plain.details["non_referred_rate"] == 0.5
    weighted = metrics.referral_retention_rate(data, window=Q3, basis=RevenueBasis.arr("USD"))
    assert weighted.value == 0.4 and weighted.interval is None
    assert (weighted.numerator, weighted.denominator) == (Decimal(20000), Decimal(50000))
    assert weighted.details["non_referred_rate"] == 0.8
    assert weighted.details["lift"] == pytest.approx(-0.4) and weighted.details["lift_ratio"] == 0.5
    # The test stays on account counts, so weighting does not change it.
    assert weighted.details["test_p_value"] == plain.details["test_p_value"]
    monthly = metrics.referral_retention_rate(data, window=Q3, basis=RevenueBasis.mrr("USD"))
    assert monthly.value == pytest.approx(0.4)
    assert monthly.denominator == pytest.approx(Decimal(50000) / 12)


@given(datasets(max_accounts=8), windows())
@HEAVY
def test_referral_retention_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    start = {a.id for a in data.accounts if is_customer(a, window.start)}
    end = {a.id for a in data.accounts if is_customer(a, window.end)}
    referred = start & naive_referred(data)
    others = start - referred
    result = metrics.referral_retention_rate(data, window=window)
    assert (result.numerator, result.denominator) == (len(referred & end), len(referred))
    baseline = len(others & end) / len(others) if others else None
    assert result.details["non_referred_rate"] == baseline
    if result.value is not None and baseline is not None:
        assert result.details["lift"] == pytest.approx(result.value - baseline)
    weighted = metrics.referral_retention_rate(data, window=window, basis=BASIS)
    part = naive_arr_at(data, referred & end, window.start)
    whole = naive_arr_at(data, referred, window.start)
    assert (weighted.numerator, weighted.denominator) == (part, whole)
    assert weighted.value == (pytest.approx(float(part / whole)) if whole else None)


# -- 27 referral_invitation_rate ---------------------------------------------------------------------


def test_tiny_invitation_rate_by_hand() -> None:
    # 2026Q2: r3 (a1, 2026-05-01) and r4 (a2, 2026-06-10). Active in Q2: a1, a2, a3, a4 (a5 and a6
    # come later): 2 / 4 = 0.5. 2026Q3: r5 only, over a1..a6 active: 1 / 6.
    result = metrics.referral_invitation_rate(tiny(), window=Q2)
    assert (result.value, result.numerator, result.denominator) == (0.5, 2, 4)
    assert dict(result.components) == {
        "referrals": 2, "active_accounts": 4, "senders": 2, "from_inactive_accounts": 0,
    }  # fmt: skip
    expected = stats.poisson_rate_interval(2, 4.0)
    assert result.interval == expected
    assert metrics.referral_invitation_rate(tiny(), window=Q3).value == pytest.approx(1 / 6)


def test_invitations_may_exceed_one_per_account() -> None:
    # One active account sends three referrals in Q1: 3 invitations per account, not a share.
    referrals = [Referral(id=f"r{i}", account_id="a", invited_at=T0 + timedelta(days=i)) for i in range(3)]
    data = AdvocacyData.from_records(
        accounts=[Account(id="a", customer_since=T0 - timedelta(days=1))],
        referrals=referrals,
        as_of=T0 + timedelta(days=100),
    )
    result = metrics.referral_invitation_rate(data, window=Window.quarter(2026, 1))
    assert result.value == 3.0 and result.components["senders"] == 1


@given(datasets(max_accounts=8), windows())
@HEAVY
def test_invitation_rate_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    sent = [r for r in data.referrals if in_window(r.invited_at, window)]
    active = {
        a.id
        for a in data.accounts
        if a.customer_since < window.end and (a.churned_at is None or a.churned_at >= window.start)
    }
    result = metrics.referral_invitation_rate(data, window=window)
    assert (result.numerator, result.denominator) == (len(sent), len(active))
    assert result.components["from_inactive_accounts"] == sum(r.account_id not in active for r in sent)
    if active:
        assert result.value == pytest.approx(len(sent) / len(active)) and result.value >= 0
        assert result.interval is not None and result.interval.contains(result.value)
    else:
        assert result.value is None and result.undefined_reason


# -- properties shared by the family -----------------------------------------------------------------


def _whole_and_tiers(
    function: Callable[..., MetricResult], data: AdvocacyData, window: Window, **extra: Any
) -> tuple[MetricResult, list[MetricResult]]:
    whole = function(data, window=window, **extra)
    return whole, [function(data, window=window, segment=Segment.where(tier=t), **extra) for t in TIERS]


@given(datasets(max_accounts=8), windows())
@HEAVY
def test_counts_and_sums_over_disjoint_segments_add_up(data: AdvocacyData, window: Window) -> None:
    whole, parts = _whole_and_tiers(metrics.new_customers_from_referrals, data, window)
    assert sum(p.value for p in parts) == whole.value  # type: ignore[misc]
    whole, parts = _whole_and_tiers(metrics.revenue_from_referrals, data, window, basis=BASIS)
    assert sum(p.value for p in parts) == whole.value  # type: ignore[misc]
    assert sum(p.components["contracts"] for p in parts) == whole.components["contracts"]
    for function, extra in (
        (metrics.referral_account_revenue_contribution, {"basis": BASIS}),
        (metrics.referral_retention_rate, {}),
        (metrics.referral_invitation_rate, {}),
    ):
        whole, parts = _whole_and_tiers(function, data, window, **extra)
        assert sum(p.numerator for p in parts) == whole.numerator  # type: ignore[misc]
        assert sum(p.denominator for p in parts) == whole.denominator  # type: ignore[misc]
    # Every opportunity has a region, through its account or its own attributes.
    pipeline = [
        metrics.referral_pipeline_contribution_rate(
            data, window=window, segment=Segment.where(region=r), basis=BASIS
        )
        for r in REGIONS
    ]
    overall = metrics.referral_pipeline_contribution_rate(data, window=window, basis=BASIS)
    assert sum(p.denominator for p in pipeline) == overall.denominator  # type: ignore[misc]
    assert sum(p.numerator for p in pipeline) == overall.numerator  # type: ignore[misc]


def _family(data: AdvocacyData, window: Window, segment: Segment | None) -> list[tuple[Any, ...]]:
    results = [
        metrics.new_customers_from_referrals(data, window=window, segment=segment),
        metrics.revenue_from_referrals(data, window=window, segment=segment, basis=BASIS),
        metrics.referral_account_revenue_contribution(data, window=window, segment=segment, basis=BASIS),
        metrics.referral_pipeline_contribution_rate(data, window=window, segment=segment, basis=BASIS),
        metrics.referral_retention_rate(data, window=window, segment=segment),
        metrics.referral_invitation_rate(data, window=window, segment=segment),
    ]
    if segment is None:
        results.append(metrics.referral_campaign_roi(data, window=window, basis=BASIS))
    return [(r.value, r.numerator, r.denominator, dict(r.components)) for r in results]


@given(datasets(max_accounts=6), windows())
@HEAVY
def test_records_outside_the_window_or_segment_change_nothing(data: AdvocacyData, window: Window) -> None:
    before = window.start - timedelta(hours=1)
    collections = {name: list(records) for name, records in data.as_collections().items()}
    # A referred account that stopped being a customer before W, with records all stamped before W.
    collections["accounts"].append(
        referral_account("gone", since=before - timedelta(days=30), churned_at=before, tier="smb")
    )
    collections["contracts"].append(
        Contract(id="zc", account_id="gone", start=before - timedelta(days=30), end=before,
                 arr=Decimal(5000), currency="USD")
    )  # fmt: skip
    collections["referrals"].append(Referral(id="zr", account_id="gone", invited_at=before))
    collections["opportunities"].append(
        Opportunity(id="zo", created_at=before, amount=Decimal(7000), currency="USD", source="referral")
    )
    collections["program_costs"].append(
        ProgramCost(id="zp", incurred_at=before, amount=Decimal(3000), currency="USD")
    )
    # Inside W but in another segment than the one measured (enterprise, measured: smb).
    collections["accounts"].append(referral_account("other", since=window.start, tier="enterprise"))
    collections["contracts"].append(
        Contract(id="zd", account_id="other", start=window.start, end=window.end + timedelta(days=400),
                 arr=Decimal(9000), currency="USD")
    )  # fmt: skip
    collections["referrals"].append(Referral(id="zs", account_id="other", invited_at=window.start))
    collections["opportunities"].append(
        Opportunity(id="zq", created_at=window.start, amount=Decimal(8000), currency="USD", source="referral",
                    account_id="other")
    )  # fmt: skip
    grown = AdvocacyData.from_records(as_of=data.as_of, **collections)
    smb = Segment.where(tier="smb")
    assert _family(grown, window, smb) == _family(data, window, smb)
    outside_only = {name: list(records) for name, records in collections.items()}
    outside_only["accounts"] = [a for a in outside_only["accounts"] if a.id != "other"]
    for name in ("contracts", "referrals", "opportunities"):
        outside_only[name] = [r for r in outside_only[name] if r.account_id != "other"]
    assert _family(AdvocacyData.from_records(as_of=data.as_of, **outside_only), window, None) == _family(
        data, window, None
    )


# -- parameters ----------------------------------------------------------------------------------------


def test_bad_parameters_raise_parameter_error_naming_the_parameter() -> None:
    data = tiny()
    usd = RevenueBasis.arr("USD")
    with pytest.raises(ParameterError, match="'basis'.*required"):
        metrics.revenue_from_referrals(data, window=Q3)
    with pytest.raises(ParameterError, match="'basis'.*required"):
        metrics.referral_pipeline_contribution_rate(data, window=Q3)
    with pytest.raises(ParameterError, match="'basis'.*required"):
        metrics.referral_campaign_roi(data, window=Q3)
    with pytest.raises(ParameterError, match="'basis'.*ARR or MRR.*ACV"):
        metrics.referral_account_revenue_contribution(data, window=Q3, basis=RevenueBasis.acv("USD"))
    with pytest.raises(ParameterError, match="'basis'.*ARR or MRR.*TCV"):
        metrics.referral_retention_rate(data, window=Q3, basis=RevenueBasis.tcv("USD"))
    with pytest.raises(ParameterError, match="'basis'.*RevenueBasis"):
        metrics.revenue_from_referrals(data, window=Q3, basis="arr:USD")  # type: ignore[arg-type]
    for function in (
        metrics.new_customers_from_referrals,
        metrics.referral_retention_rate,
        metrics.referral_invitation_rate,
    ):
        with pytest.raises(ParameterError, match="'confidence'.*1.5"):
            function(data, window=Q3, confidence=1.5)
        with pytest.raises(ParameterError, match="'window'"):
            function(data, window="2026Q3")
        with pytest.raises(ParameterError, match="'segment'"):
            function(data, window=Q3, segment="smb")
        with pytest.raises(SegmentNotApplicableError, match="'segment'.*colour"):
            function(data, window=Q3, segment=Segment.where(colour="red"))
    with pytest.raises(SegmentNotApplicableError, match="'segment'.*colour"):
        metrics.referral_pipeline_contribution_rate(
            data, window=Q3, segment=Segment.where(colour="red"), basis=usd
        )


def test_formulas_validate_their_arguments() -> None:
    assert formulas.new_customers_from_referrals(1, 2) == 1
    with pytest.raises(ParameterError, match="'referred_new_customers'.*at most new_customers"):
        formulas.new_customers_from_referrals(3, 2)
    with pytest.raises(ParameterError, match="'contract_values'.*never a float"):
        formulas.revenue_from_referrals([Decimal(1), 1.5])  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="'referred_arr'.*at most total_arr"):
        formulas.referral_account_revenue_contribution(Decimal(2), Decimal(1))
    with pytest.raises(ParameterError, match="'total_pipeline'"):
        formulas.referral_pipeline_contribution_rate(Decimal(1), Decimal(-1))
    with pytest.raises(ParameterError, match="'cost'"):
        formulas.referral_campaign_roi(Decimal(1), Decimal("-1"))
    with pytest.raises(ParameterError, match="'revenue'"):
        formulas.referral_campaign_roi(1.0, Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'retained'"):
        formulas.referral_retention_rate(-1, 3)
    with pytest.raises(ParameterError, match="'retained'.*at most starting"):
        formulas.referral_retention_rate(4, 3)
    with pytest.raises(ParameterError, match="'rate'.*\\[0, 1\\]"):
        formulas.rate_lift(1.5, 0.5)
    with pytest.raises(ParameterError, match="'active_accounts'"):
        formulas.referral_invitation_rate(1, -3)
    assert formulas.referral_invitation_rate(0, 0) is None
    assert formulas.referral_campaign_roi(Decimal(0), Decimal(100)) == -1.0


def test_immature_early_conversions_are_excluded_not_counted() -> None:
    # One referral converted after 5 days, one sent the same day still open, both 30 days
    # before as_of: neither has had its 90 days, so neither counts; the rate is undefined, not 1/1.
    t = datetime(2026, 9, 1, tzinfo=UTC)
    accounts = [Account(id="a", customer_since=datetime(2025, 1, 1, tzinfo=UTC))]
    referrals = [
        Referral(id="r1", account_id="a", invited_at=t, converted_at=t + timedelta(days=5)),
        Referral(id="r2", account_id="a", invited_at=t),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    result = metrics.referral_conversion_rate(data, window=Window.quarter(2026, 3))
    assert result.value is None and result.components["immature_excluded"] == 2
    assert any("converted or not" in w for w in result.warnings)


def test_first_touch_only_the_earliest_referral_of_an_account_converts() -> None:
    t = datetime(2026, 1, 10, tzinfo=UTC)
    accounts = [
        Account(id="a", customer_since=datetime(2025, 1, 1, tzinfo=UTC)),
        Account(id="b", customer_since=datetime(2025, 1, 1, tzinfo=UTC)),
        Account(id="new", customer_since=t + timedelta(days=20), acquisition_channel="referral"),
    ]
    referrals = [
        Referral(
            id="r1",
            account_id="a",
            invited_at=t,
            converted_at=t + timedelta(days=20),
            converted_account_id="new",
        ),
        Referral(
            id="r2",
            account_id="b",
            invited_at=t + timedelta(days=3),
            converted_at=t + timedelta(days=20),
            converted_account_id="new",
        ),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    result = metrics.referral_conversion_rate(data, window=Window.quarter(2026, 1))
    # Two referrals matured, one new customer: 1 / 2, and the later touch is reported.
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.details["later_touches"] == 1


def test_cumulative_incidence_of_a_young_cohort_by_hand() -> None:
    # Four referrals sent on 1 Sept, as_of 1 Dec (91 days of follow-up): r1 converts on day 10,
    # r2 on day 40, r3 and r4 never. Kaplan-Meier: S(10) = 3/4, S(40) = 3/4 * 2/3 = 1/2, so the
    # probability of converting within 90 days is 1/2.
    t = datetime(2026, 9, 1, tzinfo=UTC)
    accounts = [Account(id="a", customer_since=datetime(2025, 1, 1, tzinfo=UTC))]
    referrals = [
        Referral(id="r1", account_id="a", invited_at=t, converted_at=t + timedelta(days=10)),
        Referral(id="r2", account_id="a", invited_at=t, converted_at=t + timedelta(days=40)),
        Referral(id="r3", account_id="a", invited_at=t),
        Referral(id="r4", account_id="a", invited_at=t),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=datetime(2026, 12, 1, tzinfo=UTC)
    )
    q3 = Window.quarter(2026, 3)
    result = metrics.referral_conversion_rate(data, window=q3, estimator="cumulative_incidence")
    assert result.value == pytest.approx(0.5)
    assert result.interval is not None and result.interval.low < 0.5 < result.interval.high
    # Greenwood: var(S) / S^2 = 1/(4*3) + 1/(3*2) = 1/4; sigma = sqrt(1/4) / |ln 0.5|.
    import math

    sigma = 0.5 / math.log(2)
    z = 1.959963984540054
    assert result.interval.low == pytest.approx(1 - 0.5 ** math.exp(-z * sigma))
    assert result.interval.high == pytest.approx(1 - 0.5 ** math.exp(z * sigma))
    # The horizon of 120 days lies beyond the 91 days of follow-up: unknown, not carried forward.
    later = metrics.referral_conversion_rate(
        data, window=q3, estimator="cumulative_incidence", horizon_days=120
    )
    assert later.value is None and "91 days" in (later.undefined_reason or "")
    with pytest.raises(ParameterError, match="estimator"):
        metrics.referral_conversion_rate(data, window=q3, estimator="km")
