"""Family 2, advocate identification and engagement: who advocates, how soon, how often."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Parameter,
    Pitfall,
    SegmentUse,
    SignalType,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import advocate_re_engagement_rate as advocate_re_engagement_rate_formula
from advocacy_kpis.formulas import readiness_score
from advocacy_kpis.formulas import referral_intent_in_qbrs as referral_intent_in_qbrs_formula
from advocacy_kpis.formulas import referral_readiness_score as referral_readiness_score_formula
from advocacy_kpis.formulas import social_shares as social_shares_formula
from advocacy_kpis.metrics._common import (
    account_share,
    build,
    check_args,
    check_confidence,
    last_customer_instants,
    positive_int,
    survival_result,
    weight_note,
)
from advocacy_kpis.policy import DEFAULT_READINESS_MODEL, ReadinessModel
from advocacy_kpis.records import (
    QBR,
    Account,
    AdvocacyAction,
    Ask,
    Asset,
    Effort,
    Referral,
    ReferralPrompt,
    SocialShare,
    SurveyKind,
    SurveyResponse,
)
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import poisson_rate_interval, wilson_interval

__all__ = [
    "AccountReadiness",
    "advocate_re_engagement_rate",
    "personalized_referral_outreach_rate",
    "readiness_scores",
    "referral_discussion_initiation_rate",
    "referral_intent_in_qbrs",
    "referral_program_participation_rate",
    "referral_readiness_score",
    "referral_ready_account_rate",
    "share_rate_among_icps",
    "social_shares",
    "time_to_advocacy",
    "time_to_first_referral",
    "warm_introduction_offer_rate",
]


def activation_of(account: Account) -> datetime:
    """When an account's clock starts for time to first referral: activation, else customer_since."""
    return account.activated_at if account.activated_at is not None else account.customer_since


def censoring_of(account: Account, as_of: datetime) -> datetime:
    """When observation of an account stops: its churn, else ``as_of``."""
    return account.churned_at if account.churned_at is not None else as_of


TTFR_SPEC = MetricSpec(
    id="time_to_first_referral",
    number=17,
    name="Time to First Referral",
    family=Family.ENGAGEMENT,
    kind=MetricKind.SURVIVAL,
    definition=(
        "How long new customers take to send their first referral, measured from activation. Most "
        "customers never refer, so the value is the Kaplan-Meier median: accounts that have not "
        "referred yet count as 'not yet' up to the day they were last observed, instead of being "
        "dropped or given a made-up date."
    ),
    formula="Kaplan-Meier median of days from activation to the first referral sent",
    formula_latex=(
        r"\tilde t = \min\{t : \hat S(t) \leq 0.5\}, \quad "
        r"\hat S(t) = \prod_{t_i \leq t} \left(1 - \frac{d_i}{n_i}\right)"
    ),
    unit=Unit.DAYS,
    direction=Direction.LOWER_IS_BETTER,
    population="Accounts activated in W (activated_at, else customer_since).",
    window_semantics=(
        "The cohort is the accounts whose activation instant is in W. Each is followed from activation "
        "to its first referral at or after activation; accounts without one are censored at as_of, or "
        "at churn if they churned first."
    ),
    undefined_when=(
        "The cohort is empty, or fewer than half of it referred within the observed time (the median "
        "is not reached); the shares by 30, 90 and 180 days are still given."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="002",
    pitfalls=(
        Pitfall(
            "Averaging over the customers who have referred, ignoring those who have not yet.",
            "Kaplan-Meier with censoring; the naive mean of observed times is shown only in details.",
        ),
        Pitfall(
            "Reporting a median when most customers never refer.",
            "The median is undefined with a reason unless the curve falls to one half; shares by horizon are reported.",
        ),
    ),
    related=("time_to_advocacy", "referral_program_participation_rate", "client_referral_rate"),
    interpretation=(
        "The seed speaks of an average time; an average over referrers only is biased (it ignores "
        "those who have not referred), so the library reports the Kaplan-Meier median and the share "
        "that referred by 30, 90 and 180 days. A referral sent before activation does not count as the first."
    ),
)


@metric(TTFR_SPEC)
def time_to_first_referral(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
) -> MetricResult:
    r"""Kaplan-Meier median days from activation to first referral, for accounts activated in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set.
        window: accounts activated in this window form the cohort.
        segment: accounts counted (default: all).

    Returns:
        Days (float); components ``cohort``, ``events``, ``censored``; details hold the share
        that referred by 30, 90 and 180 days and the naive mean over those who did.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        The cohort is empty, or the survival curve never falls to one half.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = time_to_first_referral(tiny(), window=Window.year(2025))
        >>> r.value, dict(r.components)
        (90.0, {'cohort': 2, 'events': 2, 'censored': 0})
        >>> time_to_first_referral(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts activated in the window and segment'
    """
    chosen = check_args(TTFR_SPEC, data, window, segment, None)
    subjects: dict[str, tuple[datetime, datetime | None, datetime]] = {}
    for account in data.accounts_stamped("activation", window, chosen):
        origin = activation_of(account)
        first = data.first_event(Referral, account.id, at_or_after=origin)
        subjects[account.id] = (
            origin,
            first.invited_at if first else None,
            censoring_of(account, data.as_of),
        )
    return survival_result(
        TTFR_SPEC, data, window=window, segment=chosen, subjects=subjects, event_name="a referral",
        empty_reason="no accounts activated in the window and segment",
    )  # fmt: skip


# -- readiness and participation ---------------------------------------------------------------

_ACTIVE = (
    "Active in W = customers at some instant of W (S ∪ N: customer_since < W.end and not churned "
    "before W.start)."
)
_WEIGHTED_ACTIVE = (
    "With a basis, each active account weighs its run rate at the last instant of W at which it was "
    "a customer: W.end, or its churn if it churned inside W."
)


def _active_share(
    spec: MetricSpec,
    data: AdvocacyData,
    window: Window,
    segment: Segment,
    basis: RevenueBasis | None,
    hits: frozenset[str],
    confidence: float,
) -> MetricResult:
    """A share of the accounts active in W, weighted by last-customer-instant run rate if asked."""
    active = data.active_in(window, segment)
    return account_share(
        spec, data, window=window, segment=segment, basis=basis, hits=hits & active, population=active,
        weight_at=last_customer_instants(data, active, window) if basis else window.end,
        empty_reason="no accounts active in the window and segment",
        confidence=check_confidence(confidence, spec.id),
        details={"weights_at": "each account's last instant as a customer in W"} if basis else None,
    )  # fmt: skip


PARTICIPATION_SPEC = MetricSpec(
    id="referral_program_participation_rate",
    number=7,
    name="Referral Program Participation Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "How much of the customer base takes part in the referral programme: of the accounts that were "
        "customers during the window, the share that sent at least one referral in it."
    ),
    formula="accounts active in W that sent a referral in W / accounts active in W",
    formula_latex=r"\frac{|\{a \in S \cup N : \exists r \in W,\ r.\mathrm{account} = a\}|}{|S \cup N|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts active in W.",
    window_semantics=_ACTIVE + " A referral counts when its invited_at is in W.",
    undefined_when="No account is active in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="001",
    pitfalls=(
        Pitfall(
            "Counting referrals instead of referring accounts, so one enthusiastic customer looks like a programme.",
            "The numerator counts accounts; referral_invitation_rate counts invitations per account.",
        ),
        Pitfall(
            "Dividing by today's customers for a past window, dropping those who churned since.",
            "The denominator is the accounts active in W, read from the data as of each instant.",
        ),
    ),
    related=("referral_invitation_rate", "referral_discussion_initiation_rate", "client_referral_rate"),
    interpretation=_WEIGHTED_ACTIVE,
)


@metric(PARTICIPATION_SPEC)
def referral_program_participation_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` that sent at least one referral in it.

    .. math:: \frac{|\{a \in S \cup N : a \text{ referred in } W\}|}{|S \cup N|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis (revenue-weighted rate).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator are referring and active accounts.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is active in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_program_participation_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, r.numerator, r.denominator
        (0.5, 2, 4)
        >>> referral_program_participation_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(PARTICIPATION_SPEC, data, window, segment, basis)
    hits = data.accounts_with(Referral, window, chosen)
    return _active_share(PARTICIPATION_SPEC, data, window, chosen, basis, hits, confidence)


def _read_only(components: Mapping[str, bool]) -> Mapping[str, bool]:
    return MappingProxyType(dict(components))


@attrs.frozen
class AccountReadiness:
    """One account's referral readiness at an instant: its score and which components it met."""

    account_id: str
    score: float
    components: Mapping[str, bool] = attrs.field(converter=_read_only)


def _readiness(data: AdvocacyData, account: Account, at: datetime, model: ReadinessModel) -> AccountReadiness:
    since = at - timedelta(days=model.signal_days)
    nps = _latest_answer(data, account.id, SurveyKind.NPS, since, at)
    csat = _latest_answer(data, account.id, SurveyKind.CSAT, since, at)
    policy = model.tap_policy
    # Only the latest heavy ask can still block a new one: earlier asks reopen no later than it does.
    last_heavy = data.last_event(
        Ask, account.id, before=at, not_before=at - policy.gap(Effort.HIGH),
        where=lambda ask: policy.effort_of(ask.asset) is Effort.HIGH,
    )  # fmt: skip
    onboarded = account.onboarded_at
    components = {
        "promoter": nps is not None and nps.score >= model.promoter_score,
        "satisfied": csat is not None and csat.score >= model.satisfied_score,
        "tenure": onboarded is not None and onboarded + timedelta(days=model.tenure_days) <= at,
        "not_recently_tapped": last_heavy is None or policy.allows(last_heavy.asked_at, at, Effort.HIGH),
        "recent_action": data.last_event(AdvocacyAction, account.id, before=at, not_before=since) is not None,
    }
    return AccountReadiness(account.id, readiness_score(components, model.weights), components)


def _latest_answer(
    data: AdvocacyData, account_id: str, kind: SurveyKind, since: datetime, at: datetime
) -> SurveyResponse | None:
    """The account's latest answer of ``kind`` in [since, at).

    Answers at one instant are ordered by score, as net_promoter_score orders them, so the choice
    never depends on record ids.
    """
    latest = data.last_event(SurveyResponse, account_id, before=at, not_before=since, where=_is(kind))
    if latest is None:
        return None
    answers = data.account_events(SurveyResponse, account_id)
    low = bisect.bisect_left(answers, latest.responded_at, key=_answered)
    high = bisect.bisect_right(answers, latest.responded_at, key=_answered)
    return max((a for a in answers[low:high] if a.kind is kind), key=lambda a: a.score)


def _answered(response: SurveyResponse) -> datetime:
    return response.responded_at


def _is(kind: SurveyKind) -> Callable[[SurveyResponse], bool]:
    return lambda response: response.kind is kind


def readiness_scores(
    data: AdvocacyData,
    *,
    at: datetime,
    segment: Segment | None = None,
    model: ReadinessModel = DEFAULT_READINESS_MODEL,
) -> dict[str, AccountReadiness]:
    """The referral readiness of every customer at ``at`` (in ``segment``), by account id.

    See `ReadinessModel` for the components. Signals are read strictly before ``at``.

    Args:
        data: the data set.
        at: the instant of scoring (timezone-aware); the customers at it are scored.
        segment: accounts scored (default: all).
        model: the readiness model (weights, spans, thresholds, tap policy).

    Returns:
        An `AccountReadiness` per customer, keyed and ordered by account id; empty when there
        are no customers at ``at``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from advocacy_kpis.sample import tiny
        >>> scores = readiness_scores(tiny(), at=datetime(2026, 10, 1, tzinfo=UTC))
        >>> {a: r.score for a, r in sorted(scores.items())}
        {'a1': 100.0, 'a2': 60.0, 'a3': 25.0, 'a5': 15.0, 'a6': 35.0}
    """
    if not isinstance(model, ReadinessModel):
        raise ParameterError("model", "readiness_scores", "a ReadinessModel", model)
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ParameterError("at", "readiness_scores", "a timezone-aware datetime", at)
    chosen = Segment.all() if segment is None else segment
    if not isinstance(chosen, Segment):
        raise ParameterError(
            "segment", "readiness_scores", "a Segment such as Segment.where(tier='smb')", segment
        )
    data.check_segment(chosen, "readiness_scores")
    customers = data.customers_at(at, chosen)
    return {a: _readiness(data, data.account(a), at, model) for a in sorted(customers)}


READINESS_SPEC = MetricSpec(
    id="referral_readiness_score",
    number=8,
    name="Referral Readiness Score",
    family=Family.ENGAGEMENT,
    kind=MetricKind.SCORE,
    definition=(
        "How ready the customer base is to be asked for a referral, as the mean of a 0-100 score per "
        "account built from recent, observable signals: a promoter answer, a satisfied answer, enough "
        "tenure, no recent heavy ask, and a recent advocacy action. Per-account scores come with it, "
        "so the accounts to ask next are one sort away."
    ),
    formula="mean over customers at W.end of the summed weights of the components each meets",
    formula_latex=r"\frac{1}{|E|} \sum_{a \in E} \sum_{k} w_k \, \mathbb{1}[a \text{ meets } k]",
    unit=Unit.SCORE,
    direction=Direction.HIGHER_IS_BETTER,
    population="E, the customers at W.end.",
    window_semantics=(
        "Scores are taken at the instant W.end, from signals strictly before it: the latest NPS and CSAT "
        "answers and advocacy actions in the model's signal_days (180), onboarding at least tenure_days "
        "(90) earlier, and no high-effort ask whose tap-policy gap is still running at W.end."
    ),
    undefined_when="No account is a customer at W.end in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001, 003, 004",
    parameters=(
        Parameter("model", "DEFAULT_READINESS_MODEL", "weights, recency spans, thresholds and tap policy"),
    ),
    pitfalls=(
        Pitfall(
            "Treating every NPS promoter as ready to refer.",
            "Promoter status is one component (40 of 100); satisfaction, tenure, recent action and "
            "not having been asked recently count too.",
        ),
        Pitfall(
            "Scoring on stale signals, such as a 10 given two years ago.",
            "Only answers and actions in the model's signal_days before the instant count.",
        ),
        Pitfall(
            "Asking the same high scorers again and again.",
            "A recent high-effort ask removes the not_recently_tapped points, per the shared tap policy.",
        ),
    ),
    related=("referral_ready_account_rate", "net_promoter_score", "tap_policy_compliance"),
    interpretation=(
        "The seeds name readiness signals without a formula; the library's default model weighs promoter "
        "40, satisfied 20, tenure 15, not recently tapped 15 and recent action 10, all configurable "
        "(ReadinessModel). An account with no onboarding date gets no tenure points. The latest answer of "
        "any respondent at the account is the account's answer (answers at one instant: the higher "
        "score). 'Not recently tapped' means the model's TapPolicy would allow a high-effort ask to the "
        "account at the instant: no high-effort ask to any of its contacts in [t - gap, t), except that "
        "an ask exactly one gap before t no longer blocks, since the policy allows the next ask then."
    ),
)


@metric(READINESS_SPEC)
def referral_readiness_score(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    model: ReadinessModel = DEFAULT_READINESS_MODEL,
) -> MetricResult:
    r"""Mean referral readiness (0-100) of the customers at ``window.end``.

    .. math:: \frac{1}{|E|} \sum_{a \in E} \sum_k w_k \, \mathbb{1}[a \text{ meets } k]

    Args:
        data: the data set.
        window: scores are taken at ``window.end``.
        segment: accounts counted (default: all).
        model: the readiness model (weights, spans, thresholds, tap policy).

    Returns:
        A score in [0, 100]; components count the accounts meeting each component;
        ``details["scores"]`` maps each account to its score.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is a customer at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_readiness_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.sample_size, r.components["promoter"]
        (47.0, 5, 1)
        >>> referral_readiness_score(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(READINESS_SPEC, data, window, segment, None)
    scores = readiness_scores(data, at=window.end, segment=chosen, model=model)
    met = {name: sum(r.components[name] for r in scores.values()) for name in model.weights}
    return build(
        READINESS_SPEC, data, window=window, segment=chosen,
        value=referral_readiness_score_formula(r.score for r in scores.values()),
        undefined_reason="no customers at the end of the window in the segment", sample_size=len(scores),
        components={"customers": len(scores), **met},
        details={
            "scores": {a: r.score for a, r in scores.items()}, "at": window.end.isoformat(),
            "model": model.to_dict(),
        },
    )  # fmt: skip


READY_RATE_SPEC = MetricSpec(
    id="referral_ready_account_rate",
    number=9,
    name="Referral-Ready Account Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of customers that meet the bar for a referral ask: their readiness score at the end of "
        "the window reaches the threshold."
    ),
    formula="customers at W.end with readiness >= threshold / customers at W.end",
    formula_latex=r"\frac{|\{a \in E : \mathrm{readiness}_a \geq \theta\}|}{|E|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="E, the customers at W.end.",
    window_semantics="Readiness is scored at W.end as in referral_readiness_score.",
    undefined_when="No account is a customer at W.end in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="002",
    parameters=(
        Parameter("threshold", 70, "readiness score an account must reach"),
        Parameter("model", "DEFAULT_READINESS_MODEL", "the readiness model"),
    ),
    pitfalls=(
        Pitfall(
            "Moving the bar between periods so the rate improves on paper.",
            "The threshold and model are parameters recorded in the result's details.",
        ),
        Pitfall(
            "Counting ready logos when the programme cares about ready revenue.",
            "Pass an ARR or MRR basis to weight each customer by its run rate at W.end.",
        ),
    ),
    related=("referral_readiness_score", "warm_introduction_offer_rate"),
    interpretation="Uses the default readiness model and a threshold of 70 unless given others.",
)


@metric(READY_RATE_SPEC)
def referral_ready_account_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    threshold: float = 70,
    model: ReadinessModel = DEFAULT_READINESS_MODEL,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the customers at ``window.end`` whose readiness score reaches ``threshold``.

    .. math:: \frac{|\{a \in E : \mathrm{readiness}_a \geq \theta\}|}{|E|}

    Args:
        data: the data set.
        window: scores are taken at ``window.end``.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis (weights at ``window.end``).
        threshold: the score an account must reach, 0-100.
        model: the readiness model.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1].

    Raises:
        ParameterError: a bad argument (``threshold`` outside 0-100).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is a customer at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> referral_ready_account_rate(tiny(), window=Window.quarter(2026, 3)).value
        0.2
        >>> referral_ready_account_rate(tiny(), window=Window.quarter(2026, 3), threshold=60).value
        0.4
    """
    chosen = check_args(READY_RATE_SPEC, data, window, segment, basis)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise ParameterError("threshold", READY_RATE_SPEC.id, "a number from 0 to 100", threshold)
    scores = readiness_scores(data, at=window.end, segment=chosen, model=model)
    ready = frozenset(a for a, r in scores.items() if r.score >= threshold)
    return account_share(
        READY_RATE_SPEC, data, window=window, segment=chosen, basis=basis, hits=ready,
        population=frozenset(scores), weight_at=window.end,
        empty_reason="no customers at the end of the window in the segment",
        confidence=check_confidence(confidence, READY_RATE_SPEC.id),
        details={
            "threshold": threshold, "model": model.to_dict(), **(weight_note(window.end) if basis else {}),
        },
    )  # fmt: skip


# -- advocates ----------------------------------------------------------------------------------

RE_ENGAGEMENT_SPEC = MetricSpec(
    id="advocate_re_engagement_rate",
    number=10,
    name="Advocate Re-Engagement Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the advocates who had gone quiet (their last advocacy action lies long before the window), the "
        "share who delivered an advocacy action again during the window."
    ),
    formula="lapsed advocates with an action in W / lapsed advocates",
    formula_latex=(
        r"\frac{|\{c \in L : \exists x \in W\}|}{|L|}, \quad "
        r"L = \{c : \mathrm{last}_c < W.\mathrm{start} - \lambda\}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population=(
        "Lapsed advocates: contacts whose latest advocacy action before W.start is more than lapse_days "
        "before W.start. A contact is the advocate named on the action, within its account, else the account."
    ),
    window_semantics=(
        "An action counts in W when its completed_at is in W. Contacts with no action before W.start are "
        "not lapsed."
    ),
    undefined_when="No advocate had lapsed at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.RETENTION,
    seed="001",
    parameters=(Parameter("lapse_days", 90, "days without an action after which an advocate has lapsed"),),
    pitfalls=(
        Pitfall(
            "Counting newly recruited advocates as re-engaged.",
            "Only contacts with an earlier action that then lapsed are in the population.",
        ),
        Pitfall(
            "Counting anyone quiet for a week as lapsed.",
            "Lapse is a parameter (90 days by default), applied before W.start.",
        ),
    ),
    related=("advocate_activation_rate", "customer_advocacy_rate"),
    interpretation=(
        "An advocate is identified by the advocate_id on advocacy actions, scoped to its account; actions "
        "without one count for the account as a whole."
    ),
)


@metric(RE_ENGAGEMENT_SPEC)
def advocate_re_engagement_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    lapse_days: int = 90,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the advocates lapsed at ``window.start`` who completed an action in ``window``.

    .. math:: \frac{|\{c \in L : c \text{ acted in } W\}|}{|L|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts whose advocates count (default: all).
        lapse_days: days without an action before ``window.start`` that make an advocate lapsed.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator are re-engaged and lapsed advocates.

    Raises:
        ParameterError: a bad argument (``lapse_days`` must be a positive integer).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No advocate had lapsed at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_re_engagement_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (1.0, 2, 2)
        >>> advocate_re_engagement_rate(tiny(), window=Window.quarter(2026, 2)).value
        0.0
        >>> advocate_re_engagement_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(RE_ENGAGEMENT_SPEC, data, window, segment, None)
    level = check_confidence(confidence, RE_ENGAGEMENT_SPEC.id)
    cutoff = window.start - timedelta(days=positive_int(lapse_days, "lapse_days", RE_ENGAGEMENT_SPEC.id))
    members = data.segment_accounts(chosen)
    lapsed = re_engaged = 0
    for actions in data.by_contact(AdvocacyAction).values():
        if actions[0].account_id not in members:
            continue
        times = [a.completed_at for a in actions]
        before = bisect.bisect_left(times, window.start)
        if before == 0 or times[before - 1] >= cutoff:
            continue
        lapsed += 1
        re_engaged += before < len(times) and times[before] < window.end
    return build(
        RE_ENGAGEMENT_SPEC, data, window=window, segment=chosen,
        value=advocate_re_engagement_rate_formula(re_engaged, lapsed),
        undefined_reason="no advocate had lapsed at the start of the window in the segment",
        numerator=re_engaged, denominator=lapsed, sample_size=lapsed,
        interval=wilson_interval(re_engaged, lapsed, level),
        components={"lapsed": lapsed, "re_engaged": re_engaged}, details={"lapse_days": lapse_days},
    )  # fmt: skip


# -- shares, prompts, personal messages, asks, QBRs ---------------------------------------------

SHARES_SPEC = MetricSpec(
    id="social_shares",
    number=11,
    name="Social Shares",
    family=Family.ENGAGEMENT,
    kind=MetricKind.COUNT,
    definition=(
        "The volume of social-media posts in which customer accounts passed on your content, product news "
        "or referral links during the window."
    ),
    formula="count of social shares in W",
    formula_latex=r"|\{s : s.\mathrm{shared\_at} \in W\}|",
    unit=Unit.COUNT,
    direction=Direction.HIGHER_IS_BETTER,
    population="Social shares by customer accounts.",
    window_semantics="A share counts when its shared_at is in W.",
    undefined_when="Never: no share in the window is a count of 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001, 004",
    pitfalls=(
        Pitfall(
            "Celebrating share volume without asking whether it leads to referrals or revenue.",
            "Details give the number of distinct sharing accounts; pair with client_referral_rate.",
        ),
        Pitfall(
            "Comparing a month's shares with a quarter's.",
            "change_from() refuses windows of different length and tests counts with the conditional binomial test.",
        ),
    ),
    related=("share_rate_among_icps", "influencer_and_advocate_mentions"),
)


@metric(SHARES_SPEC)
def social_shares(
    data: AdvocacyData, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Number of social shares in ``window``.

    .. math:: |\{s : s.\mathrm{shared\_at} \in W\}|

    Args:
        data: the data set.
        window: the window.
        segment: accounts whose shares count (default: all).
        confidence: level of the Poisson interval (the window is one unit of exposure).

    Returns:
        A count with a Poisson interval; details by channel and the number of sharing accounts.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        Never (no share is a count of 0).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = social_shares(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.details["by_channel"], r.components["accounts"]
        (3, {'linkedin': 2, 'x': 1}, 2)
        >>> social_shares(tiny(), window=Window.year(2020)).value
        0
    """
    chosen = check_args(SHARES_SPEC, data, window, segment, None)
    shares = data.events(SocialShare, window, chosen)
    channels = Counter(s.channel or "unknown" for s in shares)
    return build(
        SHARES_SPEC, data, window=window, segment=chosen, value=social_shares_formula(len(shares)),
        sample_size=len(shares),
        interval=poisson_rate_interval(len(shares), 1.0, check_confidence(confidence, SHARES_SPEC.id)),
        components={"shares": len(shares), "accounts": len({s.account_id for s in shares})},
        details={"by_channel": dict(sorted(channels.items()))}, small_sample=False,
    )  # fmt: skip


def _unrecorded_note(count: int, what: str, flag: str) -> list[str]:
    """The warning for records whose tri-state flag is None: left out of the metric, and counted."""
    if not count:
        return []
    return [f"{count} {what} do not record whether {flag}; they are left out"]


ICP_SHARE_SPEC = MetricSpec(
    id="share_rate_among_icps",
    number=12,
    name="Share Rate Among ICPs",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "Among the accounts that fit the ideal customer profile and were customers during the window, the "
        "share that shared at least once on social media in it: whether the best-fit customers carry the word."
    ),
    formula="ICP accounts active in W with a share in W / ICP accounts active in W",
    formula_latex=r"\frac{|\{a \in (S \cup N)_{\mathrm{ICP}} : a \text{ shared in } W\}|}{|(S \cup N)_{\mathrm{ICP}}|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts active in W with icp set.",
    window_semantics=_ACTIVE + " A share counts when its shared_at is in W.",
    undefined_when="No ICP account is active in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="002",
    pitfalls=(
        Pitfall(
            "Dividing ICP sharers by all accounts, mixing the profile into the denominator.",
            "Both numerator and denominator are ICP accounts; other segments narrow within ICPs.",
        ),
        Pitfall(
            "Counting shares instead of sharing accounts.",
            "Each account counts once; social_shares gives the volume.",
        ),
    ),
    related=("social_shares", "customer_advocacy_rate"),
)


@metric(ICP_SHARE_SPEC)
def share_rate_among_icps(
    data: AdvocacyData, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the ICP accounts active in ``window`` that shared at least once in it.

    .. math:: \frac{|\{a \in (S \cup N)_{ICP} : a \text{ shared in } W\}|}{|(S \cup N)_{ICP}|}

    Args:
        data: the data set.
        window: the window.
        segment: narrows within ICP accounts (default: all ICP accounts).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1].

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No ICP account is active in the window and segment (accounts that do not record
        ``icp`` are left out and counted in a warning; if none records it, that is the reason).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = share_rate_among_icps(tiny(), window=Window.quarter(2026, 3))
        >>> r.numerator, r.denominator
        (2, 3)
        >>> share_rate_among_icps(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(ICP_SHARE_SPEC, data, window, segment, None)
    icps = chosen & Segment.where(icp=True)
    hits = data.accounts_with(SocialShare, window, icps)
    active = data.active_in(window, icps)
    in_scope = data.active_in(window, chosen)
    unrecorded = sum(1 for a in in_scope if data.account(a).icp is None)
    if in_scope and unrecorded == len(in_scope):
        empty_reason = "no account active in the window and segment records whether it fits the ICP"
    else:
        empty_reason = "no ICP accounts active in the window and segment"
    return account_share(
        ICP_SHARE_SPEC, data, window=window, segment=chosen, basis=None, hits=hits & active,
        population=active, weight_at=window.end, empty_reason=empty_reason,
        confidence=check_confidence(confidence, ICP_SHARE_SPEC.id),
        warnings=_unrecorded_note(unrecorded, "accounts", "they fit the ideal customer profile"),
    )  # fmt: skip


INITIATION_SPEC = MetricSpec(
    id="referral_discussion_initiation_rate",
    number=13,
    name="Referral Discussion Initiation Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of accounts active in the window that took a first step towards referring: opened the "
        "referral prompt, clicked refer, copied an invite link, or sent a referral outright."
    ),
    formula="accounts active in W with a prompt event or a referral in W / accounts active in W",
    formula_latex=r"\frac{|\{a \in S \cup N : \mathrm{prompt}_a(W) \lor \mathrm{referral}_a(W)\}|}{|S \cup N|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts active in W.",
    window_semantics=_ACTIVE + " Prompt events and referrals count when stamped in W.",
    undefined_when="No account is active in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="002",
    pitfalls=(
        Pitfall(
            "Missing customers who referred without touching the in-app prompt.",
            "A referral sent in W counts as initiating, whatever the channel.",
        ),
        Pitfall(
            "Counting clicks rather than customers, so one curious user inflates the rate.",
            "Each account counts once.",
        ),
    ),
    related=("referral_program_participation_rate", "personalized_referral_outreach_rate"),
    interpretation="A referral sent counts as a discussion started. " + _WEIGHTED_ACTIVE,
)


@metric(INITIATION_SPEC)
def referral_discussion_initiation_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` that took a step towards referring in it.

    .. math:: \frac{|\{a \in S \cup N : \mathrm{prompt}_a(W) \lor \mathrm{referral}_a(W)\}|}{|S \cup N|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis (revenue-weighted rate).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1].

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is active in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_discussion_initiation_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 3, 6)
        >>> referral_discussion_initiation_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(INITIATION_SPEC, data, window, segment, basis)
    hits = data.accounts_with(ReferralPrompt, window, chosen) | data.accounts_with(Referral, window, chosen)
    return _active_share(INITIATION_SPEC, data, window, chosen, basis, hits, confidence)


PERSONALIZED_SPEC = MetricSpec(
    id="personalized_referral_outreach_rate",
    number=14,
    name="Personalized Referral Outreach Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the accounts that sent referrals in the window, the share that wrote their own message at least "
        "once instead of sending the default text: a sign of real intent behind the invitation."
    ),
    formula="accounts with a personalized referral in W / accounts with a referral in W",
    formula_latex=r"\frac{|\{a : \exists r \in W_a,\ r.\mathrm{personalized}\}|}{|\{a : \exists r \in W_a\}|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts that sent at least one referral in W.",
    window_semantics="Referrals count when their invited_at is in W.",
    undefined_when="No account sent a referral in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="002",
    pitfalls=(
        Pitfall(
            "Dividing personalized referrals by all referrals, so one prolific default-text sender swamps the rate.",
            "Both sides count accounts.",
        ),
        Pitfall(
            "Reading a small number of referrers as a trend.",
            "A Wilson interval and a small-sample warning come with the value.",
        ),
    ),
    related=("referral_conversion_rate", "referral_discussion_initiation_rate"),
    interpretation="The seed speaks of users; the library counts accounts, the unit every other referral rate uses.",
)


@metric(PERSONALIZED_SPEC)
def personalized_referral_outreach_rate(
    data: AdvocacyData, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the accounts referring in ``window`` that personalized at least one referral.

    .. math:: \frac{|\{a : \exists r \in W_a,\ r.\mathrm{personalized}\}|}{|\{a : \exists r \in W_a\}|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts counted (default: all).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1].

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account sent a referral in the window and segment (referrals that do not record
        ``personalized`` are left out and counted in a warning; if none records it, that is the
        reason).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> personalized_referral_outreach_rate(tiny(), window=Window.quarter(2026, 2)).value
        0.5
        >>> personalized_referral_outreach_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(PERSONALIZED_SPEC, data, window, segment, None)
    sent = data.events(Referral, window, chosen)
    senders = frozenset(r.account_id for r in sent if r.personalized is not None)
    personal = frozenset(r.account_id for r in sent if r.personalized)
    unrecorded = sum(1 for r in sent if r.personalized is None)
    if sent and not senders:
        empty_reason = "no referral sent in the window and segment records whether it was personalized"
    else:
        empty_reason = "no account sent a referral in the window and segment"
    return account_share(
        PERSONALIZED_SPEC, data, window=window, segment=chosen, basis=None, hits=personal,
        population=senders, weight_at=window.end, empty_reason=empty_reason,
        confidence=check_confidence(confidence, PERSONALIZED_SPEC.id),
        warnings=_unrecorded_note(unrecorded, "referrals", "they were personalized"),
    )  # fmt: skip


WARM_INTRO_SPEC = MetricSpec(
    id="warm_introduction_offer_rate",
    number=15,
    name="Warm Introduction Offer Rate",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of accounts active in the window that your team asked for a warm introduction (a referral "
        "ask) in it: how often the go-to-market motion actually turns to customers for introductions. "
        "Higher is better only up to a point; asking the same customers too often burns goodwill."
    ),
    formula="accounts active in W asked for a referral in W / accounts active in W",
    formula_latex=r"\frac{|\{a \in S \cup N : \exists k \in W_a,\ k.\mathrm{asset} = \mathrm{referral}\}|}{|S \cup N|}",
    unit=Unit.RATE,
    direction=Direction.TARGET_RANGE,
    population="Accounts active in W.",
    window_semantics=_ACTIVE + " An ask counts when its asked_at is in W and its asset is referral.",
    undefined_when="No account is active in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="002, 003",
    pitfalls=(
        Pitfall(
            "Pushing the rate up by asking the same advocates again and again.",
            "The direction is a target range, and the shared TapPolicy (see tap_policy_compliance) "
            "spaces asks per contact.",
        ),
        Pitfall(
            "Counting every ask rather than every account asked.",
            "Each account counts once per window.",
        ),
    ),
    related=("tap_policy_compliance", "referral_ready_account_rate", "referral_program_participation_rate"),
    interpretation=_WEIGHTED_ACTIVE,
)


@metric(WARM_INTRO_SPEC)
def warm_introduction_offer_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` asked for a referral in it.

    .. math:: \frac{|\{a \in S \cup N : a \text{ asked for a referral in } W\}|}{|S \cup N|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis (revenue-weighted rate).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1].

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is active in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = warm_introduction_offer_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.numerator, r.denominator
        (2, 6)
        >>> warm_introduction_offer_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(WARM_INTRO_SPEC, data, window, segment, basis)
    hits = data.accounts_with(Ask, window, chosen, where=lambda k: k.asset is Asset.REFERRAL)
    return _active_share(WARM_INTRO_SPEC, data, window, chosen, basis, hits, confidence)


QBR_SPEC = MetricSpec(
    id="referral_intent_in_qbrs",
    number=16,
    name="Referral Intent Identified in QBRs",
    family=Family.ENGAGEMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of the quarterly business reviews held in the window in which the customer said they "
        "would be willing to refer you."
    ),
    formula="QBRs held in W with referral intent / QBRs held in W",
    formula_latex=r"\frac{|\{q \in W : q.\mathrm{referral\_intent}\}|}{|\{q \in W\}|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="QBRs held in W (the unit is the meeting, not the account).",
    window_semantics="A QBR counts when its held_at is in W.",
    undefined_when="No QBR was held in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001, 002",
    pitfalls=(
        Pitfall(
            "Counting accounts with intent against all accounts, including those with no QBR.",
            "The population is the QBRs actually held in W.",
        ),
        Pitfall(
            "Leaving intent unrecorded and reading the gap as 'no intent'.",
            "Only QBR records count; a missing QBR is not a QBR without intent.",
        ),
    ),
    related=("referral_readiness_score", "warm_introduction_offer_rate"),
)


@metric(QBR_SPEC)
def referral_intent_in_qbrs(
    data: AdvocacyData, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the QBRs held in ``window`` in which referral intent was recorded.

    .. math:: \frac{|\{q \in W : q.\mathrm{referral\_intent}\}|}{|\{q \in W\}|}

    Args:
        data: the data set.
        window: the window.
        segment: accounts whose QBRs count (default: all).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator count QBRs.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No QBR was held in the window and segment (QBRs that do not record ``referral_intent``
        are left out and counted in a warning; if none records it, that is the reason).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_intent_in_qbrs(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> referral_intent_in_qbrs(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(QBR_SPEC, data, window, segment, None)
    level = check_confidence(confidence, QBR_SPEC.id)
    every = data.events(QBR, window, chosen)
    held = [q for q in every if q.referral_intent is not None]
    intent = sum(1 for q in held if q.referral_intent)
    reason = "no QBRs held in the window and segment"
    if every and not held:
        reason = "no QBR held in the window and segment records whether referral intent was expressed"
    return build(
        QBR_SPEC, data, window=window, segment=chosen, value=referral_intent_in_qbrs_formula(intent, len(held)),
        undefined_reason=reason, numerator=intent, denominator=len(held),
        sample_size=len(held), interval=wilson_interval(intent, len(held), level),
        components={"qbrs": len(held), "with_intent": intent},
        warnings=_unrecorded_note(len(every) - len(held), "QBRs", "referral intent was expressed"),
    )  # fmt: skip


TTA_SPEC = MetricSpec(
    id="time_to_advocacy",
    number=18,
    name="Time to Advocacy",
    family=Family.ENGAGEMENT,
    kind=MetricKind.SURVIVAL,
    definition=(
        "How long customers take, once onboarding is complete, to do something for you in public or with "
        "peers: the first advocacy action of any kind, or the first referral. The Kaplan-Meier median, so "
        "customers who have not advocated yet count as 'not yet' instead of vanishing."
    ),
    formula="Kaplan-Meier median of days from onboarded_at to the first advocacy action or referral",
    formula_latex=r"\tilde t = \min\{t : \hat S(t) \leq 0.5\}",
    unit=Unit.DAYS,
    direction=Direction.LOWER_IS_BETTER,
    population="Accounts whose onboarded_at is in W.",
    window_semantics=(
        "Each account of the cohort is followed from onboarded_at to its first advocacy action "
        "(completed_at) or referral (invited_at) at or after it; without one it is censored at as_of, or "
        "at churn if it churned first."
    ),
    undefined_when=(
        "The cohort is empty, or fewer than half of it advocated within the observed time; the shares by "
        "30, 90 and 180 days are still given."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="004 (worked example: onboarding done on day 30, first referral on day 90: 60 days)",
    pitfalls=(
        Pitfall(
            "Measuring from signature rather than from onboarding, blaming advocacy for slow onboarding.",
            "The clock starts at onboarded_at.",
        ),
        Pitfall(
            "Averaging over advocates only.",
            "Kaplan-Meier with censoring; the naive mean over those who advocated is only in details.",
        ),
    ),
    related=("time_to_first_referral", "customer_advocacy_rate"),
    interpretation=(
        "Any advocacy asset counts (reference, case study, speaking, review, community, referral action) as "
        "does a referral record; actions before onboarding completed are ignored."
    ),
)


@metric(TTA_SPEC)
def time_to_advocacy(data: AdvocacyData, *, window: Window, segment: Segment | None = None) -> MetricResult:
    r"""Kaplan-Meier median days from onboarding to first advocacy, for accounts onboarded in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set.
        window: accounts whose ``onboarded_at`` is in this window form the cohort.
        segment: accounts counted (default: all).

    Returns:
        Days (float); components ``cohort``, ``events``, ``censored``; details hold the shares by
        30, 90 and 180 days.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        The cohort is empty, or the survival curve never falls to one half.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = time_to_advocacy(tiny(), window=Window.year(2025))
        >>> r.value, dict(r.components)
        (71.0, {'cohort': 1, 'events': 1, 'censored': 0})
        >>> time_to_advocacy(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts onboarded in the window and segment'
    """
    chosen = check_args(TTA_SPEC, data, window, segment, None)
    subjects: dict[str, tuple[datetime, datetime | None, datetime]] = {}
    for account in data.accounts_stamped("onboarded_at", window, chosen):
        origin = account.onboarded_at
        assert origin is not None  # selected on onboarded_at
        action = data.first_event(AdvocacyAction, account.id, at_or_after=origin)
        referral = data.first_event(Referral, account.id, at_or_after=origin)
        firsts = [t for t in (action and action.completed_at, referral and referral.invited_at) if t]
        subjects[account.id] = (origin, min(firsts) if firsts else None, censoring_of(account, data.as_of))
    return survival_result(
        TTA_SPEC, data, window=window, segment=chosen, subjects=subjects, event_name="an advocacy action",
        empty_reason="no accounts onboarded in the window and segment",
    )  # fmt: skip
