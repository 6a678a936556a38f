"""The numeric definitions on their own: hand-computed values, bounds and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import ParameterError, formulas

counts = st.integers(0, 10_000)


def test_worked_examples() -> None:
    assert formulas.client_referral_rate(50, 200) == 0.25  # seed 004
    assert formulas.nps(61, 23, 19) == pytest.approx(100 * 42 / 103)
    assert formulas.csat(42, 50) == 0.84
    assert formulas.customer_retention_rate(90, 100) == 0.9
    assert formulas.textbook_retention_rate(end=95, new=5, start=100) == 0.9


@given(counts, counts, counts)
def test_nps_is_within_bounds_or_undefined(p: int, passive: int, d: int) -> None:
    value = formulas.nps(p, passive, d)
    if p + passive + d == 0:
        assert value is None
    else:
        assert value is not None and -100 <= value <= 100


@given(counts, counts)
def test_proportion_is_a_rate_or_undefined(a: int, b: int) -> None:
    low, high = sorted((a, b))
    value = formulas.proportion(low, high)
    assert (value is None) == (high == 0)
    if value is not None:
        assert 0 <= value <= 1


@given(counts, counts)
def test_retention_and_churn_are_complements(kept: int, lost: int) -> None:
    start = kept + lost
    retention = formulas.customer_retention_rate(kept, start)
    churn = formulas.customer_churn_rate(lost, start)
    if start:
        assert retention is not None and churn is not None
        assert retention + churn == pytest.approx(1)
    else:
        assert retention is None and churn is None


def test_nps_categories() -> None:
    assert [formulas.nps_category(s) for s in range(11)] == ["detractor"] * 7 + ["passive"] * 2 + [
        "promoter"
    ] * 2


def test_weighted_forms() -> None:
    assert formulas.weighted_share(Decimal(1), Decimal(4)) == 0.25
    assert formulas.weighted_share(Decimal(0), Decimal(0)) is None
    assert formulas.weighted_nps(Decimal(0), Decimal(0), Decimal(0)) is None


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: formulas.proportion(5, 4), "numerator"),
        (lambda: formulas.proportion(-1, 4), "numerator"),
        (lambda: formulas.nps(1, -1, 0), "passives"),
        (lambda: formulas.nps_category(11), "score"),
        (lambda: formulas.is_satisfied(0), "score"),
        (lambda: formulas.client_referral_rate(1.5, 3), "numerator"),  # type: ignore[arg-type]
    ],
)
def test_bad_counts_are_refused_naming_the_parameter(call: object, parameter: str) -> None:
    with pytest.raises(ParameterError, match=f"'{parameter}'"):
        call()  # type: ignore[operator]
