"""The numeric definitions on their own: hand-computed values, bounds and refusals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


# -- every formula by hand, and every refusal word for word -----------------------------------------

D = Decimal

VALUES: list[tuple[Any, Any]] = [
    # (call, expected) with the expected value worked out by hand.
    (lambda: formulas.proportion(1, 8), 0.125),
    (lambda: formulas.proportion(0, 5), 0.0),
    (lambda: formulas.proportion(5, 5), 1.0),
    (lambda: formulas.proportion(0, 0), None),
    (lambda: formulas.weighted_share(D(0), D(0)), None),
    (lambda: formulas.weighted_share(D(3), D(3)), 1.0),
    (lambda: formulas.weighted_share(D(0), D(7)), 0.0),
    (lambda: formulas.weighted_share(D("2.5"), D(10)), 0.25),
    (lambda: formulas.nps(1, 0, 0), 100.0),
    (lambda: formulas.nps(0, 0, 1), -100.0),
    (lambda: formulas.nps(0, 1, 0), 0.0),
    (lambda: formulas.nps(3, 1, 1), 40.0),  # 100 * (3 - 1) / 5
    (lambda: formulas.nps(1, 1, 3), -40.0),
    (lambda: formulas.nps(0, 0, 0), None),
    (lambda: formulas.weighted_nps(D(600), D(100), D(300)), 30.0),
    (lambda: formulas.weighted_nps(D(0), D(1), D(3)), -75.0),
    (lambda: formulas.weighted_nps(D(5), D(0), D(0)), 100.0),
    (lambda: formulas.weighted_nps(D(0), D(0), D(0)), None),
    (lambda: formulas.is_satisfied(4), True),
    (lambda: formulas.is_satisfied(5), True),
    (lambda: formulas.is_satisfied(3), False),
    (lambda: formulas.is_satisfied(1), False),
    (lambda: formulas.csat(3, 4), 0.75),
    (lambda: formulas.csat(0, 0), None),
    (lambda: formulas.client_referral_rate(1, 4), 0.25),
    (lambda: formulas.client_referral_rate(0, 0), None),
    (lambda: formulas.referral_conversion_rate(3, 12), 0.25),
    (lambda: formulas.referral_conversion_rate(0, 0), None),
    (lambda: formulas.new_customers_from_referrals(3, 3), 3),
    (lambda: formulas.new_customers_from_referrals(0, 0), 0),
    (lambda: formulas.revenue_from_referrals([D("0.10"), D("0.20")]), D("0.30")),
    (lambda: formulas.revenue_from_referrals(iter([D(5)])), D(5)),
    (lambda: formulas.revenue_from_referrals([D(0)]), D(0)),
    (lambda: formulas.referral_account_revenue_contribution(D(1), D(8)), 0.125),
    (lambda: formulas.referral_account_revenue_contribution(D(8), D(8)), 1.0),
    (lambda: formulas.referral_account_revenue_contribution(D(0), D(0)), None),
    (lambda: formulas.referral_pipeline_contribution_rate(D(3), D(4)), 0.75),
    (lambda: formulas.referral_pipeline_contribution_rate(D(0), D(0)), None),
    (lambda: formulas.referral_campaign_roi(D(300), D(100)), 2.0),
    (lambda: formulas.referral_campaign_roi(D(0), D(100)), -1.0),
    (lambda: formulas.referral_campaign_roi(D(100), D(100)), 0.0),
    (lambda: formulas.referral_campaign_roi(D(0), D(0)), None),
    (lambda: formulas.referral_retention_rate(3, 4), 0.75),
    (lambda: formulas.referral_retention_rate(4, 4), 1.0),
    (lambda: formulas.referral_retention_rate(0, 0), None),
    (lambda: formulas.rate_lift(0.5, 0.25), (0.25, 2.0)),
    (lambda: formulas.rate_lift(0.25, 0.5), (-0.25, 0.5)),
    (lambda: formulas.rate_lift(0, 1), (-1, 0.0)),
    (lambda: formulas.rate_lift(1.0, 0.0), (1.0, None)),
    (lambda: formulas.rate_lift(None, 0.5), (None, None)),
    (lambda: formulas.rate_lift(None, None), (None, None)),
    (lambda: formulas.referral_invitation_rate(5, 2), 2.5),
    (lambda: formulas.referral_invitation_rate(0, 3), 0.0),
    (lambda: formulas.referral_invitation_rate(4, 0), None),
    (lambda: formulas.customer_retention_rate(3, 4), 0.75),
    (lambda: formulas.customer_retention_rate(0, 0), None),
    (lambda: formulas.customer_churn_rate(1, 4), 0.25),
    (lambda: formulas.customer_churn_rate(0, 0), None),
    (lambda: formulas.textbook_retention_rate(end=9, new=3, start=8), 0.75),
    (lambda: formulas.textbook_retention_rate(end=2, new=3, start=4), -0.25),
    (lambda: formulas.textbook_retention_rate(end=5, new=5, start=0), None),
    (lambda: formulas.referral_program_participation_rate(1, 8), 0.125),
    (lambda: formulas.referral_program_participation_rate(0, 0), None),
    (
        lambda: formulas.readiness_score({"a": True, "b": True, "c": False}, {"a": 40, "b": 2.5, "c": 20}),
        42.5,
    ),
    (lambda: formulas.readiness_score({}, {"a": 40}), 0.0),
    (lambda: formulas.readiness_score({"a": False}, {"a": 40}), 0.0),
    (lambda: formulas.mean_score([1.0, 2.0, 6.0]), 3.0),
    (lambda: formulas.mean_score(iter([4.0])), 4.0),
    (lambda: formulas.mean_score([]), None),
    (lambda: formulas.referral_readiness_score([0, 100]), 50.0),
    (lambda: formulas.referral_readiness_score([100.0]), 100.0),
    (lambda: formulas.referral_readiness_score(iter([0.0, 10.0])), 5.0),
    (lambda: formulas.referral_readiness_score([]), None),
    (lambda: formulas.referral_ready_account_rate(1, 8), 0.125),
    (lambda: formulas.referral_ready_account_rate(0, 0), None),
    (lambda: formulas.advocate_re_engagement_rate(3, 8), 0.375),
    (lambda: formulas.advocate_re_engagement_rate(0, 0), None),
    (lambda: formulas.social_shares(7), 7),
    (lambda: formulas.median_time_to_event([4.0, 2.0, 9.0], [True, True, True]), 4.0),
    (lambda: formulas.share_rate_among_icps(3, 8), 0.375),
    (lambda: formulas.share_rate_among_icps(0, 0), None),
    (lambda: formulas.referral_discussion_initiation_rate(1, 8), 0.125),
    (lambda: formulas.referral_discussion_initiation_rate(0, 0), None),
    (lambda: formulas.personalized_referral_outreach_rate(3, 4), 0.75),
    (lambda: formulas.personalized_referral_outreach_rate(0, 0), None),
    (lambda: formulas.warm_introduction_offer_rate(1, 4), 0.25),
    (lambda: formulas.warm_introduction_offer_rate(0, 0), None),
    (lambda: formulas.referral_intent_in_qbrs(3, 4), 0.75),
    (lambda: formulas.referral_intent_in_qbrs(0, 0), None),
]


@pytest.mark.parametrize(("call", "expected"), VALUES)
def test_each_formula_gives_its_hand_computed_value(call: Any, expected: Any) -> None:
    value = call()
    if expected is None or isinstance(expected, (bool, Decimal, tuple)):
        assert value == expected and type(value) is type(expected)
    else:
        assert value == pytest.approx(expected, rel=1e-12) and type(value) is type(expected)


@pytest.mark.parametrize("score", range(11))
def test_nps_category_at_every_score(score: int) -> None:
    expected = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    assert formulas.nps_category(score) == expected


def test_integers_of_any_kind_are_counts() -> None:
    import numpy as np

    assert formulas.proportion(np.int64(1), np.int32(4)) == 0.25  # type: ignore[arg-type]
    assert type(formulas.proportion(np.int64(1), np.int64(4))) is float  # type: ignore[arg-type]
    assert formulas.nps(np.int64(3), np.int8(1), np.int16(1)) == 40.0  # type: ignore[arg-type]
    assert formulas.nps_category(np.int64(9)) == "promoter"  # type: ignore[arg-type]
    assert formulas.is_satisfied(np.uint8(4)) is True  # type: ignore[arg-type]
    assert type(formulas.social_shares(np.int64(3))) is int  # type: ignore[arg-type]
    assert type(formulas.new_customers_from_referrals(np.int64(2), 5)) is int  # type: ignore[arg-type]


BAD_FORMULA_CALLS: list[tuple[Any, str, str, str, str]] = [
    # (call, parameter, function, expected, value shown)
    (lambda: formulas.proportion(-1, 4), "numerator", "proportion", "a non-negative integer", "-1"),
    (lambda: formulas.proportion(1, -4), "denominator", "proportion", "a non-negative integer", "-4"),
    (lambda: formulas.proportion(True, 4), "numerator", "proportion", "a non-negative integer", "True"),
    (lambda: formulas.proportion(1.0, 4), "numerator", "proportion", "a non-negative integer", "1.0"),
    (lambda: formulas.proportion(5, 4), "numerator", "proportion", "at most the denominator (4)", "5"),
    (
        lambda: formulas.weighted_share(D(-1), D(4)),
        "part",
        "weighted_share",
        "a non-negative amount",
        "Decimal('-1')",
    ),
    (
        lambda: formulas.weighted_share(D(1), D(-4)),
        "whole",
        "weighted_share",
        "a non-negative amount",
        "Decimal('-4')",
    ),
    (
        lambda: formulas.weighted_share(D(5), D(4)),
        "part",
        "weighted_share",
        "at most whole (4)",
        "Decimal('5')",
    ),
    (lambda: formulas.nps_category(-1), "score", "nps_category", "an integer from 0 to 10", "-1"),
    (lambda: formulas.nps_category(11), "score", "nps_category", "an integer from 0 to 10", "11"),
    (lambda: formulas.nps_category(True), "score", "nps_category", "an integer from 0 to 10", "True"),
    (lambda: formulas.nps_category(9.0), "score", "nps_category", "an integer from 0 to 10", "9.0"),
    (lambda: formulas.nps(-1, 0, 0), "promoters", "nps", "a non-negative integer", "-1"),
    (lambda: formulas.nps(0, -1, 0), "passives", "nps", "a non-negative integer", "-1"),
    (lambda: formulas.nps(0, 0, -1), "detractors", "nps", "a non-negative integer", "-1"),
    (
        lambda: formulas.weighted_nps(D(1), D(-1), D(0)),
        "weights",
        "weighted_nps",
        "non-negative amounts",
        "(Decimal('1'), Decimal('-1'), Decimal('0'))",
    ),
    (
        lambda: formulas.weighted_nps(D(-1), D(0), D(0)),
        "weights",
        "weighted_nps",
        "non-negative amounts",
        "(Decimal('-1'), Decimal('0'), Decimal('0'))",
    ),
    (
        lambda: formulas.weighted_nps(D(0), D(0), D(-1)),
        "weights",
        "weighted_nps",
        "non-negative amounts",
        "(Decimal('0'), Decimal('0'), Decimal('-1'))",
    ),
    (lambda: formulas.is_satisfied(0), "score", "is_satisfied", "an integer from 1 to 5", "0"),
    (lambda: formulas.is_satisfied(6), "score", "is_satisfied", "an integer from 1 to 5", "6"),
    (lambda: formulas.is_satisfied(True), "score", "is_satisfied", "an integer from 1 to 5", "True"),
    (lambda: formulas.is_satisfied(4.0), "score", "is_satisfied", "an integer from 1 to 5", "4.0"),
    (lambda: formulas.csat(5, 4), "numerator", "csat", "at most the denominator (4)", "5"),
    (
        lambda: formulas.client_referral_rate(-1, 4),
        "numerator",
        "client_referral_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.referral_conversion_rate(5, 4),
        "numerator",
        "referral_conversion_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.new_customers_from_referrals(-1, 4),
        "referred_new_customers",
        "new_customers_from_referrals",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.new_customers_from_referrals(1, -4),
        "new_customers",
        "new_customers_from_referrals",
        "a non-negative integer",
        "-4",
    ),
    (
        lambda: formulas.new_customers_from_referrals(5, 4),
        "referred_new_customers",
        "new_customers_from_referrals",
        "at most new_customers (4)",
        "5",
    ),
    (
        lambda: formulas.revenue_from_referrals([D(1), D(-1)]),
        "contract_values",
        "revenue_from_referrals",
        "a non-negative Decimal amount (never a float)",
        "Decimal('-1')",
    ),
    (
        lambda: formulas.revenue_from_referrals([1.5]),
        "contract_values",
        "revenue_from_referrals",
        "a non-negative Decimal amount (never a float)",
        "1.5",
    ),
    (
        lambda: formulas.revenue_from_referrals([D("NaN")]),
        "contract_values",
        "revenue_from_referrals",
        "a non-negative Decimal amount (never a float)",
        "Decimal('NaN')",
    ),
    (
        lambda: formulas.referral_account_revenue_contribution(D(-1), D(4)),
        "referred_arr",
        "referral_account_revenue_contribution",
        "a non-negative Decimal amount (never a float)",
        "Decimal('-1')",
    ),
    (
        lambda: formulas.referral_account_revenue_contribution(D(1), D("Infinity")),
        "total_arr",
        "referral_account_revenue_contribution",
        "a non-negative Decimal amount (never a float)",
        "Decimal('Infinity')",
    ),
    (
        lambda: formulas.referral_account_revenue_contribution(D(5), D(4)),
        "referred_arr",
        "referral_account_revenue_contribution",
        "at most total_arr (4)",
        "Decimal('5')",
    ),
    (
        lambda: formulas.referral_pipeline_contribution_rate(D(5), D(4)),
        "referral_pipeline",
        "referral_pipeline_contribution_rate",
        "at most total_pipeline (4)",
        "Decimal('5')",
    ),
    (
        lambda: formulas.referral_pipeline_contribution_rate(D(1), 4),
        "total_pipeline",
        "referral_pipeline_contribution_rate",
        "a non-negative Decimal amount (never a float)",
        "4",
    ),
    (
        lambda: formulas.referral_campaign_roi(D(-1), D(4)),
        "revenue",
        "referral_campaign_roi",
        "a non-negative Decimal amount (never a float)",
        "Decimal('-1')",
    ),
    (
        lambda: formulas.referral_campaign_roi(D(1), 4.0),
        "cost",
        "referral_campaign_roi",
        "a non-negative Decimal amount (never a float)",
        "4.0",
    ),
    (
        lambda: formulas.referral_retention_rate(-1, 4),
        "retained",
        "referral_retention_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.referral_retention_rate(1, -4),
        "starting",
        "referral_retention_rate",
        "a non-negative integer",
        "-4",
    ),
    (
        lambda: formulas.referral_retention_rate(5, 4),
        "retained",
        "referral_retention_rate",
        "at most starting (4)",
        "5",
    ),
    (lambda: formulas.rate_lift(1.5, 0.5), "rate", "rate_lift", "a rate in [0, 1] or None", "1.5"),
    (lambda: formulas.rate_lift(-0.5, 0.5), "rate", "rate_lift", "a rate in [0, 1] or None", "-0.5"),
    (lambda: formulas.rate_lift(0.5, 1.5), "baseline", "rate_lift", "a rate in [0, 1] or None", "1.5"),
    (lambda: formulas.rate_lift(True, 0.5), "rate", "rate_lift", "a rate in [0, 1] or None", "True"),
    (lambda: formulas.rate_lift(0.5, "0.5"), "baseline", "rate_lift", "a rate in [0, 1] or None", "'0.5'"),
    (lambda: formulas.rate_lift(None, 1.5), "baseline", "rate_lift", "a rate in [0, 1] or None", "1.5"),
    (
        lambda: formulas.referral_invitation_rate(-1, 4),
        "referrals",
        "referral_invitation_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.referral_invitation_rate(1, -4),
        "active_accounts",
        "referral_invitation_rate",
        "a non-negative integer",
        "-4",
    ),
    (
        lambda: formulas.customer_retention_rate(5, 4),
        "numerator",
        "customer_retention_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.customer_churn_rate(-1, 4),
        "numerator",
        "customer_churn_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.textbook_retention_rate(-1, 0, 4),
        "end",
        "textbook_retention_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.textbook_retention_rate(1, -1, 4),
        "new",
        "textbook_retention_rate",
        "a non-negative integer",
        "-1",
    ),
    (
        lambda: formulas.textbook_retention_rate(1, 0, -4),
        "start",
        "textbook_retention_rate",
        "a non-negative integer",
        "-4",
    ),
    (
        lambda: formulas.referral_program_participation_rate(5, 4),
        "numerator",
        "referral_program_participation_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.readiness_score({"a": True, "z": True, "y": False}, {"a": 1}),
        "components",
        "readiness_score",
        "names that have a weight",
        "['y', 'z']",
    ),
    (
        lambda: formulas.referral_readiness_score([50, -0.5]),
        "account_scores",
        "referral_readiness_score",
        "scores from 0 to 100",
        "-0.5",
    ),
    (
        lambda: formulas.referral_readiness_score([100.5]),
        "account_scores",
        "referral_readiness_score",
        "scores from 0 to 100",
        "100.5",
    ),
    (
        lambda: formulas.referral_readiness_score([True]),
        "account_scores",
        "referral_readiness_score",
        "scores from 0 to 100",
        "True",
    ),
    (
        lambda: formulas.referral_readiness_score(["50"]),
        "account_scores",
        "referral_readiness_score",
        "scores from 0 to 100",
        "'50'",
    ),
    (
        lambda: formulas.referral_ready_account_rate(5, 4),
        "numerator",
        "referral_ready_account_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.advocate_re_engagement_rate(5, 4),
        "numerator",
        "advocate_re_engagement_rate",
        "at most the denominator (4)",
        "5",
    ),
    (lambda: formulas.social_shares(-1), "shares", "social_shares", "a non-negative integer", "-1"),
    (lambda: formulas.social_shares(1.0), "shares", "social_shares", "a non-negative integer", "1.0"),
    (
        lambda: formulas.share_rate_among_icps(5, 4),
        "numerator",
        "share_rate_among_icps",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.referral_discussion_initiation_rate(5, 4),
        "numerator",
        "referral_discussion_initiation_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.personalized_referral_outreach_rate(5, 4),
        "numerator",
        "personalized_referral_outreach_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.warm_introduction_offer_rate(5, 4),
        "numerator",
        "warm_introduction_offer_rate",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.referral_intent_in_qbrs(5, 4),
        "numerator",
        "referral_intent_in_qbrs",
        "at most the denominator (4)",
        "5",
    ),
    (
        lambda: formulas.median_time_to_event([1.0, -1.0], [True, True]),
        "durations[1]",
        "kaplan_meier",
        "a non-negative finite number",
        "-1.0",
    ),
]


@pytest.mark.parametrize(("call", "parameter", "function", "expected", "shown"), BAD_FORMULA_CALLS)
def test_each_refusal_names_parameter_function_expectation_and_value(
    call: Any, parameter: str, function: str, expected: str, shown: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        call()
    error = caught.value
    assert (error.parameter, error.function, error.expected) == (parameter, function, expected)
    assert str(error) == f"The '{parameter}' parameter of {function} must be {expected}. Got {shown} instead."
