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


# Metrics whose formula has another name than the metric's id.
FORMULA_NAMES = {
    "net_promoter_score": "nps",
    "customer_satisfaction_score": "csat",
    "time_to_first_referral": "median_time_to_event",
    "time_to_advocacy": "median_time_to_event",
}


def test_every_registered_metric_has_its_formula() -> None:
    from advocacy_kpis import catalog

    for spec in catalog.all():
        name = FORMULA_NAMES.get(spec.id, spec.id)
        assert name in formulas.__all__ and callable(getattr(formulas, name)), spec.id


def test_readiness_score_is_the_mean_of_account_scores() -> None:
    assert formulas.referral_readiness_score([100.0, 55.0, 0.0, 25.0]) == 45.0
    assert formulas.referral_readiness_score([]) is None
    with pytest.raises(ParameterError, match="'account_scores'.*from 0 to 100.*101"):
        formulas.referral_readiness_score([50.0, 101.0])


def test_social_shares_is_a_count() -> None:
    assert formulas.social_shares(0) == 0
    with pytest.raises(ParameterError, match="'shares'"):
        formulas.social_shares(-1)


def test_median_time_to_event_by_hand() -> None:
    # Events at 5 and 8; censored at 6 and 12. S(5) = 3/4; at 8 two are at risk: S = 3/4 * 1/2 = 3/8.
    assert formulas.median_time_to_event([5, 6, 8, 12], [True, False, True, False]) == 8.0
    # Only one event among four: S never reaches 1/2, so there is no median, not a short one.
    assert formulas.median_time_to_event([5, 60, 90, 120], [True, False, False, False]) is None
    assert formulas.median_time_to_event([], []) is None


@given(st.lists(st.tuples(st.integers(0, 400), st.booleans()), max_size=40))
def test_median_time_to_event_without_censoring_is_the_lower_median(subjects: list[tuple[int, bool]]) -> None:
    durations = sorted(d for d, _ in subjects)
    median = formulas.median_time_to_event(durations, [True] * len(durations))
    if not durations:
        assert median is None
    else:
        # S(t) = share still waiting after t; it first reaches 1/2 at the ceil(n/2)-th smallest time.
        assert median == durations[(len(durations) + 1) // 2 - 1]


# -- family 5 -----------------------------------------------------------------------------------


def test_programme_formulas_by_hand_and_their_refusals() -> None:
    assert formulas.customer_advocacy_rate(4, 6) == pytest.approx(2 / 3)
    assert formulas.advocate_activation_rate(0, 0) is None
    assert formulas.reference_request_fill_rate(7, 10) == 0.7
    assert formulas.tap_policy_compliance(4, 7) == pytest.approx(4 / 7)
    assert formulas.review_velocity(2, 15 / 30.4375) == pytest.approx(2 * 30.4375 / 15)
    assert formulas.review_velocity(3, 0) is None
    assert formulas.community_growth_rate(3, 4) == pytest.approx(1 / 3)
    assert formulas.community_growth_rate(2, 0) == -1.0
    assert formulas.advocate_influenced_share(Decimal(35000), Decimal(65000)) == pytest.approx(7 / 13)
    assert formulas.advocate_influenced_pipeline([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")
    assert formulas.reference_time_to_fill([10, 25, 44, 75], [True, False, False, True]) == 75.0
    with pytest.raises(ParameterError, match="'months'"):
        formulas.review_velocity(1, -1.0)
    with pytest.raises(ParameterError, match="'months'"):
        formulas.review_velocity(1, float("inf"))
    with pytest.raises(ParameterError, match="'members_at_start'"):
        formulas.community_growth_rate(-1, 3)
    with pytest.raises(ParameterError, match="'advocates'"):
        formulas.advocate_pool_size(-2)
    with pytest.raises(ParameterError, match="'amounts'"):
        formulas.advocate_influenced_revenue([Decimal(-1)])
    with pytest.raises(ParameterError, match="'influenced'"):
        formulas.advocate_influenced_share(Decimal(2), Decimal(1))
    with pytest.raises(ParameterError, match="'numerator'"):
        formulas.tap_policy_compliance(5, 4)


@given(counts, counts)
def test_community_growth_is_at_least_minus_one_or_undefined(start: int, end: int) -> None:
    value = formulas.community_growth_rate(start, end)
    assert (value is None) == (start == 0)
    if value is not None:
        assert value >= -1 and value == pytest.approx((end - start) / start)


amounts = st.integers(0, 10**9).map(lambda cents: Decimal(cents) / 100)


@given(st.lists(st.tuples(amounts, amounts), max_size=8))
def test_revenue_change_splits_each_end_into_kept_and_added(pairs: list[tuple[Decimal, Decimal]]) -> None:
    starting = sum((s for s, _ in pairs), Decimal(0))
    ending = sum((e for _, e in pairs), Decimal(0))
    kept = sum((formulas.account_revenue_change(s, e)[0] for s, e in pairs), Decimal(0))
    added = formulas.expansion_revenue(pairs)
    assert kept + added == ending and kept <= starting
    grr = formulas.gross_revenue_retention(kept, starting)
    nrr = formulas.net_revenue_retention(ending, starting)
    if starting:
        assert grr is not None and nrr is not None and 0 <= grr <= 1 and nrr >= grr
    else:
        assert grr is None and nrr is None


@given(counts, counts, counts)
def test_net_sentiment_is_within_bounds_or_undefined(p: int, u: int, n: int) -> None:
    value = formulas.net_sentiment(p, u, n)
    assert (value is None) == (p + u + n == 0)
    if value is not None:
        assert -1 <= value <= 1
        assert value == formulas.customer_sentiment(p, u, n) == formulas.brand_sentiment(p, u, n)


@given(st.lists(st.tuples(*[st.integers(0, 10)] * 3), max_size=6))
def test_loyalty_index_is_the_mean_of_respondent_scores(answers: list[tuple[int, int, int]]) -> None:
    index = formulas.customer_loyalty_index(sum(map(sum, answers)), len(answers))
    if not answers:
        assert index is None
    else:
        scores = [formulas.loyalty_score(*a) for a in answers]
        assert index == pytest.approx(sum(scores) / len(scores)) and 0 <= index <= 100


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: formulas.customer_loyalty_index(31, 1), "score_total"),
        (lambda: formulas.loyalty_score(11, 0, 0), "nps"),
        (lambda: formulas.net_sentiment(1, -1, 0), "neutral"),
        (lambda: formulas.account_revenue_change(Decimal(-1), Decimal(0)), "start_arr"),
        (lambda: formulas.gross_revenue_retention(Decimal(2), Decimal(1)), "retained_arr"),
        (lambda: formulas.expansion_revenue_growth_rate(Decimal(1), Decimal("-1")), "previous"),
        (lambda: formulas.contract_renewal_rate(3, 2), "numerator"),
    ],
)
def test_family_one_and_four_formulas_refuse_bad_input_naming_the_parameter(
    call: object, parameter: str
) -> None:
    with pytest.raises(ParameterError, match=f"'{parameter}'"):
        call()  # type: ignore[operator]
