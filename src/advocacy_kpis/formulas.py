"""The KPI definitions as pure numeric functions: counts and sums in, a number out.

These are the formulas the metric functions call after they have selected and tallied their
population, exposed so they can be used without a data set. Where the denominator is zero the
value is undefined and the function returns ``None``, never 0 (a real NPS or rate can be 0).

Examples:
    >>> client_referral_rate(50, 200)
    0.25
    >>> nps(promoters=61, passives=23, detractors=19)
    40.77...
    >>> nps(promoters=0, passives=0, detractors=0) is None
    True
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

from advocacy_kpis.errors import ParameterError
from advocacy_kpis.stats import kaplan_meier

__all__ = [
    "account_revenue_change",
    "activation_to_expansion_rate",
    "advocate_re_engagement_rate",
    "brand_sentiment",
    "client_referral_rate",
    "contract_renewal_rate",
    "csat",
    "customer_churn_rate",
    "customer_feedback_retention_score",
    "customer_loyalty_index",
    "customer_retention_rate",
    "customer_sentiment",
    "expansion_revenue",
    "expansion_revenue_growth_rate",
    "gross_revenue_retention",
    "is_satisfied",
    "loyalty_score",
    "mean_score",
    "median_time_to_event",
    "net_revenue_retention",
    "net_sentiment",
    "new_customers_from_referrals",
    "nps",
    "nps_category",
    "personalized_referral_outreach_rate",
    "proportion",
    "rate_lift",
    "readiness_score",
    "referral_account_revenue_contribution",
    "referral_campaign_roi",
    "referral_conversion_rate",
    "referral_discussion_initiation_rate",
    "referral_intent_in_qbrs",
    "referral_invitation_rate",
    "referral_pipeline_contribution_rate",
    "referral_program_participation_rate",
    "referral_readiness_score",
    "referral_ready_account_rate",
    "referral_retention_rate",
    "revenue_from_referrals",
    "share_rate_among_icps",
    "social_shares",
    "textbook_retention_rate",
    "warm_introduction_offer_rate",
    "weighted_nps",
    "weighted_share",
]


def _count(name: str, function: str, value: int) -> int:
    """A count of any integer kind (numpy's too) as a plain int; bools and negatives are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ParameterError(name, function, "a non-negative integer", value)
    return int(value)


def proportion(numerator: int, denominator: int, *, function: str = "proportion") -> float | None:
    """``numerator / denominator`` for counts, None when the denominator is 0.

    Raises:
        ParameterError: a count is negative or the numerator exceeds the denominator.

    Examples:
        >>> proportion(3, 4), proportion(0, 0)
        (0.75, None)
    """
    numerator = _count("numerator", function, numerator)
    denominator = _count("denominator", function, denominator)
    if numerator > denominator:
        raise ParameterError("numerator", function, f"at most the denominator ({denominator})", numerator)
    return numerator / denominator if denominator else None


def weighted_share(part: Decimal, whole: Decimal, *, function: str = "weighted_share") -> float | None:
    """The share ``part / whole`` of a total weight (revenue-weighted rates), None when ``whole`` is 0.

    Examples:
        >>> weighted_share(Decimal("250"), Decimal("1000"))
        0.25
    """
    if part < 0:
        raise ParameterError("part", function, "a non-negative amount", part)
    if whole < 0:
        raise ParameterError("whole", function, "a non-negative amount", whole)
    if part > whole:
        raise ParameterError("part", function, f"at most whole ({whole})", part)
    return float(part / whole) if whole else None


def nps_category(score: int) -> Literal["promoter", "passive", "detractor"]:
    """Promoters score 9-10, passives 7-8, detractors 0-6.

    Examples:
        >>> [nps_category(s) for s in (6, 7, 8, 9)]
        ['detractor', 'passive', 'passive', 'promoter']
    """
    if isinstance(score, bool) or not isinstance(score, numbers.Integral) or not 0 <= score <= 10:
        raise ParameterError("score", "nps_category", "an integer from 0 to 10", score)
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    r"""Net Promoter Score: :math:`100 (P - D) / n` with :math:`n = P + \text{passives} + D`.

    Returns a score in [-100, 100], or None when there are no respondents.

    Examples:
        >>> nps(promoters=5, passives=3, detractors=2)
        30.0
    """
    promoters = _count("promoters", "nps", promoters)
    passives = _count("passives", "nps", passives)
    detractors = _count("detractors", "nps", detractors)
    n = promoters + passives + detractors
    return 100.0 * (promoters - detractors) / n if n else None


def weighted_nps(promoters: Decimal, passives: Decimal, detractors: Decimal) -> float | None:
    """Revenue-weighted NPS: the same formula over the summed weights of each group.

    Examples:
        >>> weighted_nps(Decimal(600), Decimal(100), Decimal(300))
        30.0
    """
    total = promoters + passives + detractors
    if min(promoters, passives, detractors) < 0:
        raise ParameterError(
            "weights", "weighted_nps", "non-negative amounts", (promoters, passives, detractors)
        )
    return float(100 * (promoters - detractors) / total) if total else None


def is_satisfied(score: int) -> bool:
    """CSAT counts a 1-5 answer as satisfied when it is 4 or 5."""
    if isinstance(score, bool) or not isinstance(score, numbers.Integral) or not 1 <= score <= 5:
        raise ParameterError("score", "is_satisfied", "an integer from 1 to 5", score)
    return int(score) >= 4


def csat(satisfied: int, responses: int) -> float | None:
    """Customer satisfaction: the share of responses scoring 4 or 5 (of 5).

    Examples:
        >>> csat(42, 50)
        0.84
    """
    return proportion(satisfied, responses, function="csat")


def client_referral_rate(referred_new_customers: int, new_customers: int) -> float | None:
    """The share of new customers acquired through a referral.

    Examples:
        >>> client_referral_rate(50, 200)
        0.25
    """
    return proportion(referred_new_customers, new_customers, function="client_referral_rate")


def referral_conversion_rate(converted: int, matured: int) -> float | None:
    """The share of matured referrals that converted within the horizon.

    Examples:
        >>> referral_conversion_rate(12, 80)
        0.15
    """
    return proportion(converted, matured, function="referral_conversion_rate")


def _amount(name: str, function: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ParameterError(name, function, "a non-negative Decimal amount (never a float)", value)


def _amount_share(names: tuple[str, str], function: str, part: Decimal, whole: Decimal) -> float | None:
    """``part / whole`` of two amounts, with errors that name the caller's own parameters."""
    _amount(names[0], function, part)
    _amount(names[1], function, whole)
    if part > whole:
        raise ParameterError(names[0], function, f"at most {names[1]} ({whole})", part)
    return float(part / whole) if whole else None


def new_customers_from_referrals(referred_new_customers: int, new_customers: int) -> int:
    """How many of the new customers were acquired through a referral.

    A count has no denominator, so it is never undefined: no new customers is a real 0. The
    total of new customers is asked for only to check the count against it.

    Examples:
        >>> new_customers_from_referrals(50, 200), new_customers_from_referrals(0, 0)
        (50, 0)
    """
    function = "new_customers_from_referrals"
    referred_new_customers = _count("referred_new_customers", function, referred_new_customers)
    new_customers = _count("new_customers", function, new_customers)
    if referred_new_customers > new_customers:
        raise ParameterError(
            "referred_new_customers",
            function,
            f"at most new_customers ({new_customers})",
            referred_new_customers,
        )
    return referred_new_customers


def revenue_from_referrals(contract_values: Iterable[Decimal]) -> Decimal:
    """The summed value of referred accounts' contracts, each already on the basis and in its currency.

    Money summed over no contracts is a genuine 0 (unlike a ratio, nothing is divided).

    Examples:
        >>> revenue_from_referrals([Decimal("24000"), Decimal("6000.50")])
        Decimal('30000.50')
        >>> revenue_from_referrals([])
        Decimal('0')
    """
    total = Decimal(0)
    for value in contract_values:
        _amount("contract_values", "revenue_from_referrals", value)
        total += value
    return total


def referral_account_revenue_contribution(referred_arr: Decimal, total_arr: Decimal) -> float | None:
    """The share of all customers' run rate held by customers acquired through a referral.

    Examples:
        >>> referral_account_revenue_contribution(Decimal(24000), Decimal(240000))
        0.1
        >>> referral_account_revenue_contribution(Decimal(0), Decimal(0)) is None
        True
    """
    names = ("referred_arr", "total_arr")
    return _amount_share(names, "referral_account_revenue_contribution", referred_arr, total_arr)


def referral_pipeline_contribution_rate(referral_pipeline: Decimal, total_pipeline: Decimal) -> float | None:
    """The share of new pipeline (opportunity amounts) whose source is a referral.

    Examples:
        >>> referral_pipeline_contribution_rate(Decimal(50000), Decimal(100000))
        0.5
    """
    names = ("referral_pipeline", "total_pipeline")
    return _amount_share(names, "referral_pipeline_contribution_rate", referral_pipeline, total_pipeline)


def referral_campaign_roi(revenue: Decimal, cost: Decimal) -> float | None:
    """Return on the referral programme's spend, ``(revenue - cost) / cost``; None when nothing was spent.

    Below 0 the programme cost more than the revenue it brought in.

    Examples:
        >>> referral_campaign_roi(Decimal(24000), Decimal(15000)), referral_campaign_roi(Decimal(5000), Decimal(10000))
        (0.6, -0.5)
        >>> referral_campaign_roi(Decimal(5000), Decimal(0)) is None
        True
    """
    _amount("revenue", "referral_campaign_roi", revenue)
    _amount("cost", "referral_campaign_roi", cost)
    return float((revenue - cost) / cost) if cost else None


def referral_retention_rate(retained: int, starting: int) -> float | None:
    """The share of referred customers at the start still customers at the end.

    Examples:
        >>> referral_retention_rate(45, 50)
        0.9
    """
    retained = _count("retained", "referral_retention_rate", retained)
    starting = _count("starting", "referral_retention_rate", starting)
    if retained > starting:
        raise ParameterError(
            "retained", "referral_retention_rate", f"at most starting ({starting})", retained
        )
    return retained / starting if starting else None


def rate_lift(rate: float | None, baseline: float | None) -> tuple[float | None, float | None]:
    """How a rate compares with a baseline rate: the difference ``rate - baseline`` and the ratio.

    The difference needs both rates; the ratio also needs a baseline above 0.

    Examples:
        >>> rate_lift(1.0, 0.75)
        (0.25, 1.3333333333333333)
        >>> rate_lift(0.5, None), rate_lift(0.5, 0.0)
        ((None, None), (0.5, None))
    """
    for name, value in (("rate", rate), ("baseline", baseline)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ParameterError(name, "rate_lift", "a rate in [0, 1] or None", value)
    if rate is None or baseline is None:
        return None, None
    return rate - baseline, (rate / baseline if baseline else None)


def referral_invitation_rate(referrals: int, active_accounts: int) -> float | None:
    """Referrals sent per active account; None when no account was active.

    Not a share: one account may send many referrals, so the value can exceed 1.

    Examples:
        >>> referral_invitation_rate(30, 20)
        1.5
    """
    referrals = _count("referrals", "referral_invitation_rate", referrals)
    active_accounts = _count("active_accounts", "referral_invitation_rate", active_accounts)
    return referrals / active_accounts if active_accounts else None


def customer_retention_rate(retained: int, starting: int) -> float | None:
    """``|S ∩ E| / |S|``: the share of the starting customers still customers at the end.

    Examples:
        >>> customer_retention_rate(90, 100)
        0.9
    """
    return proportion(retained, starting, function="customer_retention_rate")


def customer_churn_rate(churned: int, starting: int) -> float | None:
    """``|S \\ E| / |S|``: the share of the starting customers lost in the window.

    Examples:
        >>> customer_churn_rate(10, 100)
        0.1
    """
    return proportion(churned, starting, function="customer_churn_rate")


def textbook_retention_rate(end: int, new: int, start: int) -> float | None:
    """The textbook ``(E - N) / S``.

    It equals `customer_retention_rate` only when no customer acquired inside the window also
    churned inside it; otherwise it understates retention. Shown for comparison.

    Examples:
        >>> textbook_retention_rate(end=95, new=5, start=100)
        0.9
    """
    end = _count("end", "textbook_retention_rate", end)
    new = _count("new", "textbook_retention_rate", new)
    start = _count("start", "textbook_retention_rate", start)
    return (end - new) / start if start else None


def referral_program_participation_rate(referring_accounts: int, active_accounts: int) -> float | None:
    """The share of active accounts that sent at least one referral.

    Examples:
        >>> referral_program_participation_rate(3, 12)
        0.25
    """
    return proportion(referring_accounts, active_accounts, function="referral_program_participation_rate")


def readiness_score(components: Mapping[str, bool], weights: Mapping[str, float]) -> float:
    """The readiness score of one account: the summed weights of the components it meets.

    Examples:
        >>> readiness_score({"promoter": True, "tenure": True, "satisfied": False},
        ...                 {"promoter": 40, "tenure": 15, "satisfied": 20})
        55.0
    """
    unknown = set(components) - set(weights)
    if unknown:
        raise ParameterError("components", "readiness_score", "names that have a weight", sorted(unknown))
    return float(sum(weights[name] for name, met in components.items() if met))


def mean_score(scores: Iterable[float]) -> float | None:
    """The mean of scores, None when there are none.

    Examples:
        >>> mean_score([70.0, 40.0]), mean_score([])
        (55.0, None)
    """
    values = list(scores)
    return sum(values) / len(values) if values else None


def referral_readiness_score(account_scores: Iterable[float]) -> float | None:
    """The mean readiness score of the customers scored, None when there are none.

    Each account's score comes from `readiness_score`.

    Raises:
        ParameterError: a score below 0 or above 100.

    Examples:
        >>> referral_readiness_score([85.0, 40.0, 15.0])
        46.666...
        >>> referral_readiness_score([]) is None
        True
    """
    scores = list(account_scores)
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
            raise ParameterError("account_scores", "referral_readiness_score", "scores from 0 to 100", score)
    return mean_score(scores)


def referral_ready_account_rate(ready_accounts: int, customers: int) -> float | None:
    """The share of customers whose readiness score reaches the threshold.

    Examples:
        >>> referral_ready_account_rate(2, 5)
        0.4
    """
    return proportion(ready_accounts, customers, function="referral_ready_account_rate")


def advocate_re_engagement_rate(re_engaged: int, lapsed: int) -> float | None:
    """The share of lapsed advocates who completed an advocacy action again.

    Examples:
        >>> advocate_re_engagement_rate(1, 4)
        0.25
    """
    return proportion(re_engaged, lapsed, function="advocate_re_engagement_rate")


def social_shares(shares: int) -> int:
    """The count of social shares: a count, so 0 when there were none (never undefined).

    Examples:
        >>> social_shares(12), social_shares(0)
        (12, 0)
    """
    return _count("shares", "social_shares", shares)


def median_time_to_event(durations: Sequence[float], observed: Sequence[bool]) -> float | None:
    """The Kaplan-Meier median time to an event, with censoring; None when it is not reached.

    The formula of ``time_to_first_referral`` and ``time_to_advocacy``: ``durations[i]`` is the
    time from subject ``i``'s origin to its event when ``observed[i]``, else to the end of its
    observation (censored). The median is the first time at which the estimated share still
    without the event falls to one half or below; it does not exist (None) while fewer than half
    are known to have had the event. Averaging only the observed times instead would leave out
    every subject still waiting and report a time that is too short.

    Raises:
        ParameterError: the sequences differ in length, or a duration is negative or not finite.

    Examples:
        >>> median_time_to_event([10, 20, 30, 40], [True, True, False, False])
        20.0
        >>> median_time_to_event([10, 50, 60], [True, False, False]) is None
        True
    """
    return kaplan_meier(durations, observed).median()


def share_rate_among_icps(sharing_icp_accounts: int, icp_accounts: int) -> float | None:
    """The share of ideal-customer-profile accounts that shared at least once.

    Examples:
        >>> share_rate_among_icps(1, 4)
        0.25
    """
    return proportion(sharing_icp_accounts, icp_accounts, function="share_rate_among_icps")


def referral_discussion_initiation_rate(initiating_accounts: int, active_accounts: int) -> float | None:
    """The share of active accounts that started towards a referral (a prompt step or a referral).

    Examples:
        >>> referral_discussion_initiation_rate(3, 6)
        0.5
    """
    return proportion(initiating_accounts, active_accounts, function="referral_discussion_initiation_rate")


def personalized_referral_outreach_rate(personalizing_accounts: int, referring_accounts: int) -> float | None:
    """The share of referring accounts that wrote at least one personal message.

    Examples:
        >>> personalized_referral_outreach_rate(1, 2)
        0.5
    """
    return proportion(
        personalizing_accounts, referring_accounts, function="personalized_referral_outreach_rate"
    )


def warm_introduction_offer_rate(asked_accounts: int, active_accounts: int) -> float | None:
    """The share of active accounts asked for a referral.

    Examples:
        >>> warm_introduction_offer_rate(2, 6)
        0.3333333333333333
    """
    return proportion(asked_accounts, active_accounts, function="warm_introduction_offer_rate")


def referral_intent_in_qbrs(qbrs_with_intent: int, qbrs: int) -> float | None:
    """The share of QBRs in which the customer expressed referral intent.

    Examples:
        >>> referral_intent_in_qbrs(1, 2)
        0.5
    """
    return proportion(qbrs_with_intent, qbrs, function="referral_intent_in_qbrs")


# -- family 5: advocacy programme health and reach ----------------------------------------------

__all__ += [
    "advocate_activation_rate",
    "advocate_influenced_pipeline",
    "advocate_influenced_revenue",
    "advocate_influenced_share",
    "advocate_pool_size",
    "community_growth_rate",
    "customer_advocacy_rate",
    "influencer_and_advocate_mentions",
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "review_velocity",
    "tap_policy_compliance",
]


def customer_advocacy_rate(advocating_accounts: int, active_accounts: int) -> float | None:
    """The share of active accounts that did at least one advocacy action.

    Examples:
        >>> customer_advocacy_rate(3, 6)
        0.5
        >>> customer_advocacy_rate(0, 0) is None
        True
    """
    return proportion(advocating_accounts, active_accounts, function="customer_advocacy_rate")


def advocate_pool_size(advocates: int) -> int:
    """The number of advocates in the pool: a count, so 0 for an empty pool (never undefined).

    Examples:
        >>> advocate_pool_size(42), advocate_pool_size(0)
        (42, 0)
    """
    _count("advocates", "advocate_pool_size", advocates)
    return advocates


def advocate_activation_rate(active_advocates: int, pool: int) -> float | None:
    """The share of the advocate pool that delivered an advocacy action in the lookback span.

    Examples:
        >>> advocate_activation_rate(12, 40)
        0.3
        >>> advocate_activation_rate(0, 0) is None
        True
    """
    return proportion(active_advocates, pool, function="advocate_activation_rate")


def reference_request_fill_rate(filled: int, requests: int) -> float | None:
    """The share of reference requests that were filled.

    Examples:
        >>> reference_request_fill_rate(14, 20)
        0.7
    """
    return proportion(filled, requests, function="reference_request_fill_rate")


def reference_time_to_fill(durations: Sequence[float], observed: Sequence[bool]) -> float | None:
    """The Kaplan-Meier median days from a reference request to its fill.

    ``durations[i]`` runs to the fill when ``observed[i]``, else to ``as_of`` (an open request
    is censored there, not dropped); see `median_time_to_event`.

    Examples:
        >>> reference_time_to_fill([3, 7, 12, 30], [True, True, True, False])
        7.0
        >>> reference_time_to_fill([5, 40, 40], [True, False, False]) is None
        True
    """
    return median_time_to_event(durations, observed)


def review_velocity(reviews: int, months: float) -> float | None:
    """Reviews per month: ``reviews / months``; None for a span of no length.

    Raises:
        ParameterError: a negative count, or a negative or non-finite number of months.

    Examples:
        >>> review_velocity(12, 3.0)
        4.0
        >>> review_velocity(0, 1.0)
        0.0
    """
    _count("reviews", "review_velocity", reviews)
    if isinstance(months, bool) or not isinstance(months, int | float) or not 0 <= months < float("inf"):
        raise ParameterError("months", "review_velocity", "a non-negative, finite number of months", months)
    return reviews / months if months else None


def _money_sum(name: str, function: str, amounts: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for amount in amounts:
        _amount(name, function, amount)
        total += amount
    return total


def advocate_influenced_pipeline(amounts: Iterable[Decimal]) -> Decimal:
    """The summed amounts of the opportunities an advocacy asset touched, already in one currency.

    Money summed over no opportunities is a genuine 0.

    Examples:
        >>> advocate_influenced_pipeline([Decimal("50000"), Decimal("30000")])
        Decimal('80000')
        >>> advocate_influenced_pipeline([])
        Decimal('0')
    """
    return _money_sum("amounts", "advocate_influenced_pipeline", amounts)


def advocate_influenced_revenue(amounts: Iterable[Decimal]) -> Decimal:
    """The summed amounts of the won opportunities an advocacy asset touched, already in one currency.

    Examples:
        >>> advocate_influenced_revenue([Decimal("50000")]), advocate_influenced_revenue([])
        (Decimal('50000'), Decimal('0'))
    """
    return _money_sum("amounts", "advocate_influenced_revenue", amounts)


def advocate_influenced_share(influenced: Decimal, total: Decimal) -> float | None:
    """The share of an amount (all pipeline, or all won revenue) that advocacy touched.

    Examples:
        >>> advocate_influenced_share(Decimal(80000), Decimal(100000))
        0.8
        >>> advocate_influenced_share(Decimal(0), Decimal(0)) is None
        True
    """
    return _amount_share(("influenced", "total"), "advocate_influenced_share", influenced, total)


def influencer_and_advocate_mentions(mentions: int) -> int:
    """The count of organic mentions by influencers and advocates: 0 when there were none.

    Examples:
        >>> influencer_and_advocate_mentions(7), influencer_and_advocate_mentions(0)
        (7, 0)
    """
    _count("mentions", "influencer_and_advocate_mentions", mentions)
    return mentions


def community_growth_rate(members_at_start: int, members_at_end: int) -> float | None:
    """Growth of the community over a window: ``(M_end - M_start) / M_start``.

    Negative when the community shrank; None when it had no members at the start (growth from
    nothing has no rate).

    Examples:
        >>> community_growth_rate(200, 230)
        0.15
        >>> community_growth_rate(4, 3)
        -0.25
        >>> community_growth_rate(0, 12) is None
        True
    """
    _count("members_at_start", "community_growth_rate", members_at_start)
    _count("members_at_end", "community_growth_rate", members_at_end)
    return (members_at_end - members_at_start) / members_at_start if members_at_start else None


def tap_policy_compliance(compliant_asks: int, asks: int) -> float | None:
    """The share of asks that respected the tap policy.

    Examples:
        >>> tap_policy_compliance(45, 50)
        0.9
    """
    return proportion(compliant_asks, asks, function="tap_policy_compliance")


# -- family 1: loyalty and sentiment ------------------------------------------------------------


def _loyalty_answer(name: str, function: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ParameterError(name, function, "an integer from 0 to 10", value)


def loyalty_score(nps: int, repurchase: int, upsell: int) -> float:
    """One respondent's loyalty on 0-100: the mean of their three 0-10 answers, times 10.

    Examples:
        >>> loyalty_score(10, 9, 8)
        90.0
    """
    for name, value in (("nps", nps), ("repurchase", repurchase), ("upsell", upsell)):
        _loyalty_answer(name, "loyalty_score", value)
    return 10 * (nps + repurchase + upsell) / 3


def customer_loyalty_index(score_total: int, respondents: int) -> float | None:
    """The mean `loyalty_score` of the respondents who answered all three questions.

    ``score_total`` is the sum of every answer (NPS, repurchase and upsell, 0-10 each) of those
    ``respondents``, so the index is ``10 * score_total / (3 * respondents)``, from 0 to 100.
    None when no respondent answered all three.

    Raises:
        ParameterError: a negative count, or a total above 30 per respondent.

    Examples:
        >>> customer_loyalty_index(27 + 21, 2)
        80.0
        >>> customer_loyalty_index(0, 0) is None
        True
    """
    _count("score_total", "customer_loyalty_index", score_total)
    _count("respondents", "customer_loyalty_index", respondents)
    if score_total > 30 * respondents:
        raise ParameterError(
            "score_total",
            "customer_loyalty_index",
            f"at most 30 per respondent ({30 * respondents})",
            score_total,
        )
    return 10 * score_total / (3 * respondents) if respondents else None


def net_sentiment(positive: int, neutral: int, negative: int) -> float | None:
    """Net sentiment: ``(positive - negative) / (positive + neutral + negative)``, in [-1, 1].

    None when there is nothing to score; 0 when positive and negative balance, which is a real
    value, not a missing one.

    Examples:
        >>> net_sentiment(5, 3, 2)
        0.3
        >>> net_sentiment(1, 0, 1), net_sentiment(0, 0, 0)
        (0.0, None)
    """
    for name, value in (("positive", positive), ("neutral", neutral), ("negative", negative)):
        _count(name, "net_sentiment", value)
    total = positive + neutral + negative
    return (positive - negative) / total if total else None


def customer_sentiment(positive: int, neutral: int, negative: int) -> float | None:
    """The `net_sentiment` of labelled customer feedback.

    Examples:
        >>> customer_sentiment(1, 1, 1)
        0.0
    """
    return net_sentiment(positive, neutral, negative)


def brand_sentiment(positive: int, neutral: int, negative: int) -> float | None:
    """The `net_sentiment` of public mentions that carry a sentiment label.

    Examples:
        >>> brand_sentiment(6, 2, 2)
        0.4
    """
    return net_sentiment(positive, neutral, negative)


def customer_feedback_retention_score(retained: int, feedback_accounts: int) -> float | None:
    """The share of the accounts that gave feedback in the previous period still customers now.

    Examples:
        >>> customer_feedback_retention_score(2, 3)
        0.6666666666666666
    """
    return proportion(retained, feedback_accounts, function="customer_feedback_retention_score")


# -- family 4: renewals and revenue retention ---------------------------------------------------


def contract_renewal_rate(renewed: int, expiring: int) -> float | None:
    """The share of the contracts ending in a window that have a renewal contract.

    Examples:
        >>> contract_renewal_rate(2, 3)
        0.6666666666666666
    """
    return proportion(renewed, expiring, function="contract_renewal_rate")


def account_revenue_change(start_arr: Decimal, end_arr: Decimal) -> tuple[Decimal, Decimal]:
    """What one account keeps and adds between two instants: ``(min(start, end), max(0, end - start))``.

    The first is its share of gross revenue retention, the second its expansion; their sum is
    ``end_arr``, which is what makes NRR = GRR + expansion / starting revenue exact.

    Examples:
        >>> account_revenue_change(Decimal(100), Decimal(130))
        (Decimal('100'), Decimal('30'))
        >>> account_revenue_change(Decimal(100), Decimal(0))
        (Decimal('0'), Decimal('0'))
    """
    _amount("start_arr", "account_revenue_change", start_arr)
    _amount("end_arr", "account_revenue_change", end_arr)
    return min(start_arr, end_arr), max(Decimal(0), end_arr - start_arr)


def expansion_revenue(arr_pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """The summed increase of run rate over accounts, each ``(start, end)`` pair counting ``max(0, end - start)``.

    Decreases do not offset increases: an account that shrinks adds 0. Over no accounts the sum
    is a real 0.

    Examples:
        >>> expansion_revenue([(Decimal(100), Decimal(130)), (Decimal(50), Decimal(20))])
        Decimal('30')
        >>> expansion_revenue([])
        Decimal('0')
    """
    total = Decimal(0)
    for start_arr, end_arr in arr_pairs:
        total += account_revenue_change(start_arr, end_arr)[1]
    return total


def expansion_revenue_growth_rate(current: Decimal, previous: Decimal) -> float | None:
    """The relative change of expansion revenue, ``(current - previous) / previous``; None when ``previous`` is 0.

    Examples:
        >>> expansion_revenue_growth_rate(Decimal(15000), Decimal(10000))
        0.5
        >>> expansion_revenue_growth_rate(Decimal(0), Decimal(6000))
        -1.0
        >>> expansion_revenue_growth_rate(Decimal(10), Decimal(0)) is None
        True
    """
    _amount("current", "expansion_revenue_growth_rate", current)
    _amount("previous", "expansion_revenue_growth_rate", previous)
    return float((current - previous) / previous) if previous else None


def gross_revenue_retention(retained_arr: Decimal, starting_arr: Decimal) -> float | None:
    """Gross revenue retention: run rate kept (each account capped at its start) over run rate at the start.

    ``retained_arr`` sums ``min(start, end)`` over the starting customers, so the value is in
    [0, 1]; None when the starting customers had no run rate.

    Examples:
        >>> gross_revenue_retention(Decimal(192960), Decimal(202960))
        0.950729...
    """
    names = ("retained_arr", "starting_arr")
    return _amount_share(names, "gross_revenue_retention", retained_arr, starting_arr)


def net_revenue_retention(ending_arr: Decimal, starting_arr: Decimal) -> float | None:
    """Net revenue retention: the starting customers' run rate at the end over their run rate at the start.

    Expansion counts, so the value may exceed 1; None when the starting customers had no run rate.

    Examples:
        >>> net_revenue_retention(Decimal(208960), Decimal(202960))
        1.029562...
        >>> net_revenue_retention(Decimal(0), Decimal(0)) is None
        True
    """
    _amount("ending_arr", "net_revenue_retention", ending_arr)
    _amount("starting_arr", "net_revenue_retention", starting_arr)
    return float(ending_arr / starting_arr) if starting_arr else None


def activation_to_expansion_rate(expanded: int, matured: int) -> float | None:
    """The share of matured newly activated accounts whose run rate rose above its level at activation.

    Examples:
        >>> activation_to_expansion_rate(1, 2)
        0.5
    """
    return proportion(expanded, matured, function="activation_to_expansion_rate")
