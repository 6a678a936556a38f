"""Customer retention and churn: identities, oracles and revenue weighting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given

from advocacy_kpis import AdvocacyData, RevenueBasis, Segment, Window, metrics
from advocacy_kpis.sample import tiny
from tests.strategies import TIERS, datasets, windows


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
