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
    "advocate_re_engagement_rate",
    "client_referral_rate",
    "csat",
    "customer_churn_rate",
    "customer_retention_rate",
    "is_satisfied",
    "mean_score",
    "median_time_to_event",
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
