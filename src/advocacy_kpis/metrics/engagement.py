"""Family 2, advocate identification and engagement: who advocates, how soon, how often."""

from __future__ import annotations

import bisect
import collections
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

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
    account_hits,
    check_confidence,
    cohort_tallies,
    observation,
    positive,
    share,
    survival_finish,
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
from advocacy_kpis.tally import Cell, Definition, Run, Tally, register

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
) -> MetricResult:
    r"""Kaplan-Meier median days from activation to first referral, for accounts activated in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return TTFR.one(data, window=window, segment=segment)


def survival_tallies(
    run: Run,
    origin_of: Callable[[Account], datetime | None],
    event_of: Callable[[AdvocacyData, Account, datetime], datetime | None],
) -> list[Tally]:
    """Per cell: the survival observation of each account whose clock starts in the window.

    Args:
        run: the run.
        origin_of: when an account's clock starts (None: never, so in no cohort).
        event_of: the instant of the account's first event at or after its origin, or None.
    """
    grid, data = run.grid, run.data
    tallies: list[Tally] = [{"observations": []} for _ in range(grid.n_cells)]
    for account in data.accounts:
        origin = origin_of(account)
        if origin is None:
            continue
        cells = grid.cells_at(origin, grid.account_segments(account.id))
        if not cells:
            continue
        seen = observation(origin, event_of(data, account, origin), censoring_of(account, data.as_of))
        for c in cells:
            tallies[c]["observations"].append(seen)
    return tallies


def _first_referral(data: AdvocacyData, account: Account, origin: datetime) -> datetime | None:
    first = data.first_event(Referral, account.id, at_or_after=origin)
    return first.invited_at if first else None


TTFR = register(
    Definition(
        TTFR_SPEC,
        lambda run: survival_tallies(run, activation_of, _first_referral),
        lambda cell, tally: survival_finish(
            cell,
            tally,
            event_name="a referral",
            empty_reason="no accounts activated in the window and segment",
        ),
        needs=("referrals",),
    )
)


# -- readiness and participation ---------------------------------------------------------------

_ACTIVE = (
    "Active in W = customers at some instant of W (S ∪ N: customer_since < W.end and not churned "
    "before W.start)."
)
_WEIGHTED_ACTIVE = (
    "With a basis, each active account weighs its run rate at the last instant of W at which it was "
    "a customer: W.end, or its churn if it churned inside W."
)


def active_share_tallies(
    run: Run,
    pairs: Iterable[tuple[str, datetime]],
    accept: Callable[[Account], bool] | None = None,
    key: str = "all",
) -> list[Tally]:
    """Per cell: the accounts active in W, and those of them with an event in W (``hits``)."""
    tallies = cohort_tallies(run, key=key, accept=accept, weigh=("active",))
    hits, weights, _ = account_hits(run, pairs, population="active", accept=accept)
    for c, tally in enumerate(tallies):
        tally["hits"] = hits[c]
        if weights is not None:
            tally["hits_weight"] = weights[c]
    return tallies


def active_share_finish(
    cell: Cell, tally: Tally, empty_reason: str = "no accounts active in the window and segment"
) -> MetricResult:
    """A share of the accounts active in W, weighted by last-customer-instant run rate if asked."""
    return share(
        cell, tally, hits="hits", population="active", empty_reason=empty_reason,
        weights_at="each account's last instant as a customer in W",
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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` that sent at least one referral in it.

    .. math:: \frac{|\{a \in S \cup N : a \text{ referred in } W\}|}{|S \cup N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return PARTICIPATION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


PARTICIPATION = register(
    Definition(
        PARTICIPATION_SPEC,
        lambda run: active_share_tallies(
            run, ((r.account_id, r.invited_at) for r in run.grid.records(Referral))
        ),
        active_share_finish,
        checks={"confidence": check_confidence},
        needs=("referrals",),
    )
)


def _read_only(components: Mapping[str, bool]) -> Mapping[str, bool]:
    return MappingProxyType(dict(components))


@attrs.frozen
class AccountReadiness:
    """One account's referral readiness at an instant: its score and which components it met."""

    account_id: str
    score: float
    components: Mapping[str, bool] = attrs.field(converter=_read_only)


@attrs.frozen
class _Signals:
    """One account's readiness signals as sorted instants: read at any instant by bisection."""

    nps_times: list[datetime]
    nps_scores: list[int]
    csat_times: list[datetime]
    csat_scores: list[int]
    heavy_asks: list[datetime]
    actions: list[datetime]


def _answers(data: AdvocacyData, account_id: str, kind: SurveyKind) -> tuple[list[datetime], list[int]]:
    """The account's answers of ``kind`` by instant; at one instant the highest score stands.

    Answers at one instant are ordered by score, as net_promoter_score orders them, so the choice
    never depends on record ids.
    """
    times: list[datetime] = []
    scores: list[int] = []
    for answer in data.account_events(SurveyResponse, account_id):
        if answer.kind is not kind:
            continue
        if times and times[-1] == answer.responded_at:
            scores[-1] = max(scores[-1], answer.score)
        else:
            times.append(answer.responded_at)
            scores.append(answer.score)
    return times, scores


def _signals(data: AdvocacyData, account_id: str, model: ReadinessModel) -> _Signals:
    policy = model.tap_policy
    nps_times, nps_scores = _answers(data, account_id, SurveyKind.NPS)
    csat_times, csat_scores = _answers(data, account_id, SurveyKind.CSAT)
    heavy = [
        ask.asked_at
        for ask in data.account_events(Ask, account_id)
        if policy.effort_of(ask.asset) is Effort.HIGH
    ]
    actions = [action.completed_at for action in data.account_events(AdvocacyAction, account_id)]
    return _Signals(nps_times, nps_scores, csat_times, csat_scores, heavy, actions)


def _latest_score(times: list[datetime], scores: list[int], since: datetime, at: datetime) -> int | None:
    """The score of the latest answer in [since, at), or None."""
    i = bisect.bisect_left(times, at) - 1
    return scores[i] if i >= 0 and times[i] >= since else None


def _readiness_from(
    signals: _Signals, account: Account, at: datetime, model: ReadinessModel
) -> AccountReadiness:
    since = at - timedelta(days=model.signal_days)
    nps = _latest_score(signals.nps_times, signals.nps_scores, since, at)
    csat = _latest_score(signals.csat_times, signals.csat_scores, since, at)
    policy = model.tap_policy
    # Only the latest heavy ask can still block a new one: earlier asks reopen no later than it does.
    i = bisect.bisect_left(signals.heavy_asks, at) - 1
    last_heavy = (
        signals.heavy_asks[i] if i >= 0 and signals.heavy_asks[i] >= at - policy.gap(Effort.HIGH) else None
    )
    j = bisect.bisect_left(signals.actions, at) - 1
    onboarded = account.onboarded_at
    components = {
        "promoter": nps is not None and nps >= model.promoter_score,
        "satisfied": csat is not None and csat >= model.satisfied_score,
        "tenure": onboarded is not None and onboarded + timedelta(days=model.tenure_days) <= at,
        "not_recently_tapped": last_heavy is None or policy.allows(last_heavy, at, Effort.HIGH),
        "recent_action": j >= 0 and signals.actions[j] >= since,
    }
    return AccountReadiness(account.id, readiness_score(components, model.weights), components)


def _readiness(data: AdvocacyData, account: Account, at: datetime, model: ReadinessModel) -> AccountReadiness:
    return _readiness_from(_signals(data, account.id, model), account, at, model)


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
        "tenure, no recent heavy ask, and a recent advocacy action. Each account's score is one call "
        "away (readiness_scores), so the accounts to ask next are one sort away."
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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    model: ReadinessModel = DEFAULT_READINESS_MODEL,
) -> MetricResult:
    r"""Mean referral readiness (0-100) of the customers at ``window.end``.

    .. math:: \frac{1}{|E|} \sum_{a \in E} \sum_k w_k \, \mathbb{1}[a \text{ meets } k]

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: scores are taken at ``window.end``.
        segment: accounts counted (default: all).
        model: the readiness model (weights, spans, thresholds, tap policy).

    Returns:
        A score in [0, 100]; components count the accounts meeting each component;
        ``details["score_counts"]`` maps each score (as text, ``"55"``) to the number of accounts
        with it. Each account's score is `readiness_scores` (``at=window.end``).

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
    return READINESS.one(data, window=window, segment=segment, model=model)


def _check_model(model: object, function: str) -> ReadinessModel:
    if not isinstance(model, ReadinessModel):
        raise ParameterError("model", function, "a ReadinessModel", model)
    return model


def _readiness_at_ends(run: Run) -> dict[datetime, dict[str, AccountReadiness]]:
    """For each distinct window end: every customer then (in some segment) with its readiness.

    Shared by the readiness metrics of one grid; each account's signals are gathered once.
    """
    grid, data = run.grid, run.data
    model: ReadinessModel = run.params["model"]

    def build() -> dict[datetime, dict[str, AccountReadiness]]:
        ends = sorted({w.end for w in grid.windows})
        out: dict[datetime, dict[str, AccountReadiness]] = {end: {} for end in ends}
        for account in data.accounts:
            if not grid.account_segments(account.id):
                continue
            signals: _Signals | None = None
            for end in ends:
                if not account.is_customer_at(end):
                    continue
                if signals is None:
                    signals = _signals(data, account.id, model)
                out[end][account.id] = _readiness_from(signals, account, end, model)
        return out

    return grid.cached(("readiness", model), build)


def _readiness_tallies(run: Run) -> list[Tally]:
    """Per cell: every customer at W.end with its readiness score at W.end."""
    grid = run.grid
    by_end = _readiness_at_ends(run)
    tallies: list[Tally] = [{"scores": []} for _ in range(grid.n_cells)]
    ns = grid.n_segments
    for w, window in enumerate(grid.windows):
        for account_id, readiness in by_end[window.end].items():
            for s in grid.account_segments(account_id):
                tallies[w * ns + s]["scores"].append(readiness)
    return tallies


def _readiness_finish(cell: Cell, tally: Tally) -> MetricResult:
    # Summed in account order, so that the mean does not depend on the order records came in.
    scores: list[AccountReadiness] = sorted(tally["scores"], key=operator.attrgetter("account_id"))
    model: ReadinessModel = cell.params["model"]
    met = {name: sum(r.components[name] for r in scores) for name in model.weights}
    counts = collections.Counter(r.score for r in scores)
    return cell.build(
        value=referral_readiness_score_formula(r.score for r in scores),
        undefined_reason="no customers at the end of the window in the segment", sample_size=len(scores),
        components={"customers": len(scores), **met},
        details={
            "score_counts": {f"{score:g}": counts[score] for score in sorted(counts)},
            "at": cell.window.end.isoformat(), "model": model.to_dict(),
        },
    )  # fmt: skip


READINESS = register(
    Definition(READINESS_SPEC, _readiness_tallies, _readiness_finish, checks={"model": _check_model})
)


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
    data: AdvocacyData | Tables,
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
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return READY_RATE.one(
        data, window=window, segment=segment, basis=basis, threshold=threshold, model=model,
        confidence=confidence,
    )  # fmt: skip


def _check_threshold(threshold: object, function: str) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise ParameterError("threshold", function, "a number from 0 to 100", threshold)
    return threshold


def _ready_tallies(run: Run) -> list[Tally]:
    threshold = run.params["threshold"]
    grid, basis = run.grid, run.basis
    out: list[Tally] = []
    for c, tally in enumerate(_readiness_tallies(run)):
        scores: list[AccountReadiness] = tally["scores"]
        ready = [r.account_id for r in scores if r.score >= threshold]
        counts: Tally = {"customers": len(scores), "ready": len(ready)}
        if basis is not None:
            end = grid.windows[c // grid.n_segments].end
            counts["customers_weight"] = run.data.total_arr([r.account_id for r in scores], end, basis)
            counts["ready_weight"] = run.data.total_arr(ready, end, basis)
        out.append(counts)
    return out


def _ready_finish(cell: Cell, tally: Tally) -> MetricResult:
    return share(
        cell, tally, hits="ready", population="customers",
        empty_reason="no customers at the end of the window in the segment",
        details={"threshold": cell.params["threshold"], "model": cell.params["model"].to_dict()},
        weights_at=cell.window.end.isoformat(),
    )  # fmt: skip


READY_RATE = register(
    Definition(
        READY_RATE_SPEC,
        _ready_tallies,
        _ready_finish,
        checks={"model": _check_model, "threshold": _check_threshold, "confidence": check_confidence},
    )
)


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
        "before W.start, whose account is active in W and who had not opted out of the programme before "
        "W.start. A contact is the advocate named on the action, within its account, else the account."
    ),
    window_semantics=(
        "An action counts in W when its completed_at is in W. Contacts with no action before W.start are "
        "not lapsed. An advocate whose opted_out_at is before W.start, or whose account is not a customer "
        "at any instant of W, cannot be re-engaged and is left out (counted in components)."
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
        "without one count for the account as a whole. Opting out is read from the Advocate record of "
        "that id in that account; a contact without one has not opted out."
    ),
    version=2,
)


@metric(RE_ENGAGEMENT_SPEC)
def advocate_re_engagement_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    lapse_days: int = 90,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the advocates lapsed at ``window.start`` who completed an action in ``window``.

    .. math:: \frac{|\{c \in L : c \text{ acted in } W\}|}{|L|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return RE_ENGAGEMENT.one(
        data, window=window, segment=segment, lapse_days=lapse_days, confidence=confidence
    )


def _re_engagement_tallies(run: Run) -> list[Tally]:
    grid, data = run.grid, run.data
    lapse = timedelta(days=run.params["lapse_days"])
    ns = grid.n_segments
    opted_out = {(a.account_id, a.id): a.opted_out_at for a in data.advocates if a.opted_out_at is not None}
    tallies: list[Tally] = [
        {"lapsed": 0, "re_engaged": 0, "opted_out_excluded": 0, "inactive_account_excluded": 0}
        for _ in range(grid.n_cells)
    ]
    for actions in data.by_contact(AdvocacyAction).values():
        first = actions[0]
        segments = grid.account_segments(first.account_id)
        if not segments:
            continue
        account = data.account(first.account_id)
        left = opted_out.get((first.account_id, first.advocate_id)) if first.advocate_id else None
        times = [a.completed_at for a in actions]
        for w, window in enumerate(grid.windows):
            before = bisect.bisect_left(times, window.start)
            if before == 0 or times[before - 1] >= window.start - lapse:
                continue
            if left is not None and left < window.start:
                outcome = "opted_out_excluded"
            elif not grid.is_active(account, w):
                outcome = "inactive_account_excluded"
            else:
                back = before < len(times) and times[before] < window.end
                outcome = "re_engaged" if back else "lapsed"
            for s in segments:
                tally = tallies[w * ns + s]
                tally[outcome] += 1
                if outcome == "re_engaged":
                    tally["lapsed"] += 1
    return tallies


def _re_engagement_finish(cell: Cell, tally: Tally) -> MetricResult:
    lapsed, re_engaged = tally["lapsed"], tally["re_engaged"]
    return cell.build(
        value=advocate_re_engagement_rate_formula(re_engaged, lapsed),
        undefined_reason="no advocate had lapsed at the start of the window in the segment",
        numerator=re_engaged, denominator=lapsed, sample_size=lapsed,
        interval=wilson_interval(re_engaged, lapsed, cell.params["confidence"]),
        components={"lapsed": lapsed, "re_engaged": re_engaged,
                    "opted_out_excluded": tally["opted_out_excluded"],
                    "inactive_account_excluded": tally["inactive_account_excluded"]},
        details={"lapse_days": cell.params["lapse_days"]},
    )  # fmt: skip


RE_ENGAGEMENT = register(
    Definition(
        RE_ENGAGEMENT_SPEC,
        _re_engagement_tallies,
        _re_engagement_finish,
        checks={"lapse_days": positive("lapse_days"), "confidence": check_confidence},
        needs=("actions",),
    )
)


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
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Number of social shares in ``window``.

    .. math:: |\{s : s.\mathrm{shared\_at} \in W\}|

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return SHARES.one(data, window=window, segment=segment, confidence=confidence)


def _shares_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    tallies: list[Tally] = [{"shares": 0, "accounts": set(), "by_channel": {}} for _ in range(grid.n_cells)]
    for share_ in grid.records(SocialShare):
        channel = share_.channel or "unknown"
        for c in grid.cells_at(share_.shared_at, grid.account_segments(share_.account_id)):
            tally = tallies[c]
            tally["shares"] += 1
            tally["accounts"].add(share_.account_id)
            tally["by_channel"][channel] = tally["by_channel"].get(channel, 0) + 1
    return tallies


def _shares_finish(cell: Cell, tally: Tally) -> MetricResult:
    count = tally["shares"]
    return cell.build(
        value=social_shares_formula(count), sample_size=count,
        interval=poisson_rate_interval(count, 1.0, cell.params["confidence"]),
        components={"shares": count, "accounts": len(tally["accounts"])},
        details={"by_channel": dict(sorted(tally["by_channel"].items()))}, small_sample=False,
    )  # fmt: skip


SHARES = register(
    Definition(
        SHARES_SPEC,
        _shares_tallies,
        _shares_finish,
        checks={"confidence": check_confidence},
        needs=("social_shares",),
    )
)


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
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the ICP accounts active in ``window`` that shared at least once in it.

    .. math:: \frac{|\{a \in (S \cup N)_{ICP} : a \text{ shared in } W\}|}{|(S \cup N)_{ICP}|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return ICP_SHARE.one(data, window=window, segment=segment, confidence=confidence)


def _is_icp(account: Account) -> bool:
    return account.icp is True


def _icp_tallies(run: Run) -> list[Tally]:
    shares = ((x.account_id, x.shared_at) for x in run.grid.records(SocialShare))
    tallies = active_share_tallies(run, shares, _is_icp, "icp")
    unknown = cohort_tallies(run, key="icp_unrecorded", accept=_icp_unrecorded)
    for tally, counts in zip(tallies, unknown, strict=True):
        tally["unrecorded"] = counts["active"]
    return tallies


def _icp_unrecorded(account: Account) -> bool:
    return account.icp is None


def _icp_finish(cell: Cell, tally: Tally) -> MetricResult:
    unrecorded = tally["unrecorded"]
    if unrecorded and not tally["active"]:
        reason = "no account active in the window and segment records whether it fits the ICP"
    else:
        reason = "no ICP accounts active in the window and segment"
    return share(
        cell, tally, hits="hits", population="active", empty_reason=reason,
        warnings=_unrecorded_note(unrecorded, "accounts", "they fit the ideal customer profile"),
    )  # fmt: skip


ICP_SHARE = register(
    Definition(
        ICP_SHARE_SPEC,
        _icp_tallies,
        _icp_finish,
        checks={"confidence": check_confidence},
        needs=("social_shares",),
    )
)


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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` that took a step towards referring in it.

    .. math:: \frac{|\{a \in S \cup N : \mathrm{prompt}_a(W) \lor \mathrm{referral}_a(W)\}|}{|S \cup N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return INITIATION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


def _initiation_events(run: Run) -> Iterator[tuple[str, datetime]]:
    for prompt in run.grid.records(ReferralPrompt):
        yield prompt.account_id, prompt.occurred_at
    for referral in run.grid.records(Referral):
        yield referral.account_id, referral.invited_at


INITIATION = register(
    Definition(
        INITIATION_SPEC,
        lambda run: active_share_tallies(run, _initiation_events(run)),
        active_share_finish,
        checks={"confidence": check_confidence},
        needs=("referral_prompts", "referrals"),
    )
)


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
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the accounts referring in ``window`` that personalized at least one referral.

    .. math:: \frac{|\{a : \exists r \in W_a,\ r.\mathrm{personalized}\}|}{|\{a : \exists r \in W_a\}|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return PERSONALIZED.one(data, window=window, segment=segment, confidence=confidence)


def _personalized_tallies(run: Run) -> list[Tally]:
    referrals = run.grid.records(Referral)
    recorded = [r for r in referrals if r.personalized is not None]
    senders, _, _ = account_hits(run, ((r.account_id, r.invited_at) for r in recorded), population="any")
    personal, _, _ = account_hits(
        run, ((r.account_id, r.invited_at) for r in recorded if r.personalized), population="any"
    )
    unknown: dict[int, int] = {}
    grid = run.grid
    for r in referrals:
        if r.personalized is None:
            key = grid.slot(r.invited_at, grid.account_profile(r.account_id))
            if key >= 0:
                unknown[key] = unknown.get(key, 0) + 1
    unrecorded = grid.spread(unknown, 0)
    return [
        {"senders": n, "personal": k, "unrecorded": u}
        for n, k, u in zip(senders, personal, unrecorded, strict=True)
    ]


def _personalized_finish(cell: Cell, tally: Tally) -> MetricResult:
    unrecorded = tally["unrecorded"]
    if unrecorded and not tally["senders"]:
        reason = "no referral sent in the window and segment records whether it was personalized"
    else:
        reason = "no account sent a referral in the window and segment"
    return share(
        cell, tally, hits="personal", population="senders", empty_reason=reason,
        warnings=_unrecorded_note(unrecorded, "referrals", "they were personalized"),
    )  # fmt: skip


PERSONALIZED = register(
    Definition(
        PERSONALIZED_SPEC,
        _personalized_tallies,
        _personalized_finish,
        checks={"confidence": check_confidence},
        needs=("referrals",),
    )
)


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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` asked for a referral in it.

    .. math:: \frac{|\{a \in S \cup N : a \text{ asked for a referral in } W\}|}{|S \cup N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return WARM_INTRO.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


WARM_INTRO = register(
    Definition(
        WARM_INTRO_SPEC,
        lambda run: active_share_tallies(
            run, ((k.account_id, k.asked_at) for k in run.grid.records(Ask) if k.asset is Asset.REFERRAL)
        ),
        active_share_finish,
        checks={"confidence": check_confidence},
        needs=("asks",),
    )
)


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
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Share of the QBRs held in ``window`` in which referral intent was recorded.

    .. math:: \frac{|\{q \in W : q.\mathrm{referral\_intent}\}|}{|\{q \in W\}|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return QBRS.one(data, window=window, segment=segment, confidence=confidence)


def _qbr_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    held: dict[int, int] = {}
    intent: dict[int, int] = {}
    unrecorded: dict[int, int] = {}
    for qbr in grid.records(QBR):
        key = grid.slot(qbr.held_at, grid.account_profile(qbr.account_id))
        if key < 0:
            continue
        if qbr.referral_intent is None:
            unrecorded[key] = unrecorded.get(key, 0) + 1
            continue
        held[key] = held.get(key, 0) + 1
        if qbr.referral_intent:
            intent[key] = intent.get(key, 0) + 1
    spread = [grid.spread(values, 0) for values in (held, intent, unrecorded)]
    return [{"qbrs": n, "with_intent": k, "unrecorded": u} for n, k, u in zip(*spread, strict=True)]


def _qbr_finish(cell: Cell, tally: Tally) -> MetricResult:
    held, intent, unrecorded = tally["qbrs"], tally["with_intent"], tally["unrecorded"]
    reason = "no QBRs held in the window and segment"
    if unrecorded and not held:
        reason = "no QBR held in the window and segment records whether referral intent was expressed"
    return cell.build(
        value=referral_intent_in_qbrs_formula(intent, held), undefined_reason=reason, numerator=intent,
        denominator=held, sample_size=held, interval=wilson_interval(intent, held, cell.params["confidence"]),
        components={"qbrs": held, "with_intent": intent},
        warnings=_unrecorded_note(unrecorded, "QBRs", "referral intent was expressed"),
    )  # fmt: skip


QBRS = register(
    Definition(QBR_SPEC, _qbr_tallies, _qbr_finish, checks={"confidence": check_confidence}, needs=("qbrs",))
)


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
def time_to_advocacy(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    r"""Kaplan-Meier median days from onboarding to first advocacy, for accounts onboarded in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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
    return TTA.one(data, window=window, segment=segment)


def _first_advocacy(data: AdvocacyData, account: Account, origin: datetime) -> datetime | None:
    action = data.first_event(AdvocacyAction, account.id, at_or_after=origin)
    referral = data.first_event(Referral, account.id, at_or_after=origin)
    firsts = [t for t in (action and action.completed_at, referral and referral.invited_at) if t]
    return min(firsts) if firsts else None


TTA = register(
    Definition(
        TTA_SPEC,
        lambda run: survival_tallies(run, lambda a: a.onboarded_at, _first_advocacy),
        lambda cell, tally: survival_finish(
            cell,
            tally,
            event_name="an advocacy action",
            empty_reason="no accounts onboarded in the window and segment",
        ),
    )
)
