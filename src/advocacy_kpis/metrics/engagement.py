"""Family 2, advocate identification and engagement: who advocates, how soon, how often."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks import (
    ADD,
    ADD_KEYS,
    CONFIDENCE,
    ICP,
    ICP_UNRECORDED,
    AccountDurations,
    Block,
    Cell,
    Cohorts,
    Events,
    Hits,
    Records,
    Run,
    Source,
    annual,
    checked,
    days,
    field,
    measures,
    unrecorded_note,
)
from advocacy_kpis.blocks.events import decimal_of
from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import advocate_re_engagement_rate as advocate_re_engagement_rate_formula
from advocacy_kpis.formulas import readiness_score
from advocacy_kpis.formulas import referral_intent_in_qbrs as referral_intent_in_qbrs_formula
from advocacy_kpis.formulas import referral_readiness_score as referral_readiness_score_formula
from advocacy_kpis.formulas import social_shares as social_shares_formula
from advocacy_kpis.policy import DEFAULT_READINESS_MODEL, ReadinessModel, TapPolicy
from advocacy_kpis.records import Account, AdvocacyAction, Ask, Asset, Effort, SurveyKind, SurveyResponse
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import wilson_interval
from advocacy_kpis.tally import Metric, Tally

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables, TablesRun

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


# -- 17. time to first referral ------------------------------------------------------------------

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

FIRST_REFERRAL: Final = AccountDurations("activation", [Source("referrals")])


def _ttfr_finish(cell: Cell, tally: Tally) -> MetricResult:
    return measures.survival(
        cell, tally[FIRST_REFERRAL].observations, event_name="a referral",
        empty_reason="no accounts activated in the window and segment",
    )  # fmt: skip


TTFR: Final = Metric(TTFR_SPEC, [FIRST_REFERRAL], _ttfr_finish, needs=("referrals",))


@TTFR.function
def time_to_first_referral(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Kaplan-Meier median days from activation to first referral, for accounts activated in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = time_to_first_referral(tiny(), window=Window.year(2025))
        >>> r.value, dict(r.components)
        (90.0, {'cohort': 2, 'events': 2, 'censored': 0})
        >>> time_to_first_referral(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts activated in the window and segment'
    """
    return TTFR.one(data, window=window, segment=segment)


# -- rates over the accounts active in the window ----------------------------------------------------

_ACTIVE = (
    "Active in W = customers at some instant of W (S ∪ N: customer_since < W.end and not churned "
    "before W.start)."
)
_WEIGHTED_ACTIVE = (
    "With a basis, each active account weighs its run rate at the last instant of W at which it was "
    "a customer: W.end, or its churn if it churned inside W."
)
_LAST_INSTANT: Final = "each account's last instant as a customer in W"

ACTIVE: Final = Cohorts(weigh={"active"})
"""The accounts active in each window, weighed at their last instant there as customers."""


def active_share(
    cell: Cell,
    tally: Tally,
    hits: Hits,
    *,
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> MetricResult:
    """The share of the accounts active in W with an event of ``hits``, weighted if asked."""
    active, found = tally[ACTIVE], tally[hits]
    return measures.proportion(
        cell, found.hits, active.active, empty_reason="no accounts active in the window and segment",
        weights=(found.weight, active.weights.get("active", Decimal(0))), weights_at=_LAST_INSTANT,
        components=components, details=details,
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
    parameters=(CONFIDENCE,),
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

SENDERS: Final = Hits([Source("referrals")], weigh=True)

PARTICIPATION: Final = Metric(
    PARTICIPATION_SPEC, [ACTIVE, SENDERS], lambda cell, tally: active_share(cell, tally, SENDERS),
    needs=("referrals",),
)  # fmt: skip


@PARTICIPATION.function
def referral_program_participation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts active in ``window`` that sent at least one referral in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_program_participation_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, r.numerator, r.denominator
        (0.5, 2, 4)
        >>> referral_program_participation_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return PARTICIPATION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- 8 and 9. readiness ---------------------------------------------------------------------------


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


def _check_model(model: object, function: str) -> ReadinessModel:
    if not isinstance(model, ReadinessModel):
        raise ParameterError("model", function, "a ReadinessModel", model)
    return model


MODEL: Final = checked(
    "model", DEFAULT_READINESS_MODEL, "the readiness model: weights, recency spans, thresholds and tap policy",
    _check_model, "DEFAULT_READINESS_MODEL",
)  # fmt: skip


@attrs.define
class ReadinessState:
    """The customers of one cell at W.end by their readiness score.

    Attributes:
        scores: customers by score.
        weights: with a basis, their summed ARR (annual form) at W.end by score.
        met: customers by component met.
    """

    scores: dict[float, int] = attrs.field(factory=dict, metadata=ADD_KEYS)
    weights: dict[float, Decimal] = attrs.field(factory=dict, metadata=ADD_KEYS)
    met: dict[str, int] = attrs.field(factory=dict, metadata=ADD_KEYS)

    @property
    def customers(self) -> int:
        """The customers scored."""
        return sum(self.scores.values())


@attrs.frozen(eq=False)
class Readiness(Block[ReadinessState]):
    """Every customer at W.end with its readiness score there: a custom block, as the score reads
    each account's whole signal history at every window end (see `ReadinessModel`)."""

    uses: ClassVar[tuple[str, ...]] = ("model",)
    state: ClassVar = ReadinessState

    def weighs(self) -> bool:
        return True

    def on_records(self, run: Run[Records]) -> list[ReadinessState]:
        grid, records = run.grid, run.context
        data = records.data
        model: ReadinessModel = run.params["model"]
        ends = sorted({w.end for w in grid.windows})
        by_end: dict[datetime, list[tuple[str, AccountReadiness]]] = {end: [] for end in ends}
        for account in data.accounts:
            if not records.account_segments(account.id):
                continue
            signals: _Signals | None = None
            for end in ends:
                if not account.is_customer_at(end):
                    continue
                if signals is None:
                    signals = _signals(data, account.id, model)
                by_end[end].append((account.id, _readiness_from(signals, account, end, model)))
        reading = annual(run.basis) if run.basis is not None else None
        out = [ReadinessState() for _ in range(grid.n_cells)]
        ns = grid.n_segments
        for w, window in enumerate(grid.windows):
            for account_id, readiness in by_end[window.end]:
                weight = data.arr_at(account_id, window.end, reading) if reading is not None else None
                for s in records.account_segments(account_id):
                    cell = out[w * ns + s]
                    cell.scores[readiness.score] = cell.scores.get(readiness.score, 0) + 1
                    if weight is not None:
                        cell.weights[readiness.score] = cell.weights.get(readiness.score, Decimal(0)) + weight
                    for name, met in readiness.components.items():
                        cell.met[name] = cell.met.get(name, 0) + met
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[ReadinessState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        model: ReadinessModel = run.params["model"]
        signal = tables.micros_span(timedelta(days=model.signal_days))
        tenure = tables.micros_span(timedelta(days=model.tenure_days))
        ends = sorted({w.end for w in grid.windows})
        instants = tables.engine.small(
            {
                "_e": list(range(len(ends))),
                "_at": [tables.micros(e) for e in ends],
                "_from": [tables.micros(e) - signal for e in ends],
                "_block": [tables.micros(_blocking_from(model.tap_policy, e)) for e in ends],
                "_i": [tables.bounds.index(tables.micros(e)) for e in ends],
            }
        )
        churn = nw.col("_churn")
        at = nw.col("_at")
        table = tables.table("accounts")
        customers = (
            tables.frame("accounts")
            .select(nw.col("id").alias("_acc"), table.column("onboarded_at").alias("_onboarded"))
            .join(tables.accounts().select("_acc", "_since", "_churn", *tables.attrs), on="_acc", how="inner")
            .join(instants, how="cross")
            .filter((nw.col("_since") < at) & (churn.is_null() | (churn >= at)))
        )
        keys = ["_acc", "_e"]
        flags = ["promoter", "satisfied", "not_recently_tapped", "recent_action"]
        rows = customers
        for kind, flag, least in (
            (SurveyKind.NPS, "promoter", model.promoter_score),
            (SurveyKind.CSAT, "satisfied", model.satisfied_score),
        ):
            rows = (
                rows.join(_latest_scores(run, customers, kind), on=keys, how="left")
                .with_columns((nw.col("_score") >= least).fill_null(False).alias(flag))
                .drop("_score")
            )
        heavy = [a.value for a in Asset if model.tap_policy.effort_of(a) is Effort.HIGH]
        blocked = _any_between(run, customers, "asks", "asked_at", "_block", nw.col("asset").is_in(heavy))
        acted = _any_between(run, customers, "actions", "completed_at", "_from", None)
        rows = (
            rows.join(blocked.with_columns(nw.lit(True).alias("_blocked")), on=keys, how="left")
            .join(acted.with_columns(nw.lit(True).alias("recent_action")), on=keys, how="left")
            .with_columns(
                nw.col("_blocked").is_null().alias("not_recently_tapped"),
                nw.col("recent_action").fill_null(False),
                (~nw.col("_onboarded").is_null() & (nw.col("_onboarded") + tenure <= at)).alias("tenure"),
            )
        )
        flags.insert(2, "tenure")
        out = [ReadinessState() for _ in range(grid.n_cells)]
        na = len(tables.attrs)
        by_end = {micros_end: e for e, micros_end in enumerate(tables.micros(x) for x in ends)}
        windows_of_end: dict[int, list[int]] = {}
        for w, window in enumerate(grid.windows):
            windows_of_end.setdefault(by_end[tables.micros(window.end)], []).append(w)

        def scored(values: tuple[Any, ...]) -> tuple[float, dict[str, bool]]:
            met = dict(zip(flags, (bool(v) for v in values), strict=True))
            components = {name: met[name] for name in model.weights}
            return readiness_score(components, model.weights), components

        for row in tables.grouped(rows, ["_e", *tables.attrs, *flags], {"n": None}):
            score, components = scored(row[1 + na : 1 + na + len(flags)])
            for w in windows_of_end[int(row[0])]:
                for s_ in grid.profile_segments(tables.pid(row[1 : 1 + na])):
                    cell = out[w * grid.n_segments + s_]
                    cell.scores[score] = cell.scores.get(score, 0) + int(row[-1])
                    for name, met in components.items():
                        cell.met[name] = cell.met.get(name, 0) + met * int(row[-1])
        if run.basis is not None:
            weighed = rows.join(tables.rates_at_bounds(), on=["_acc", "_i"], how="inner")
            reading = annual(run.basis)
            for row in tables.grouped(
                weighed, ["_e", *tables.attrs, *flags, "currency"], {"_arr": nw.col("_arr")}
            ):
                score, _ = scored(row[1 + na : 1 + na + len(flags)])
                value = tables.convert(
                    {str(row[-2]): decimal_of(row[-1])}, reading, "contracts", tables.first_in_currency
                )
                for w in windows_of_end[int(row[0])]:
                    for s_ in grid.profile_segments(tables.pid(row[1 : 1 + na])):
                        cell = out[w * grid.n_segments + s_]
                        cell.weights[score] = cell.weights.get(score, Decimal(0)) + value
            for cell in out:
                for score in cell.scores:
                    cell.weights.setdefault(score, Decimal(0))
        return out


def _blocking_from(policy: TapPolicy, at: datetime) -> datetime:
    """The earliest instant a high-effort ask can be made and still block another at ``at``.

    A previous ask L blocks when it is within the gap before ``at`` (``L >= at - gap``) and the
    policy would not allow ``at`` after it (``L + gap > at``). ``L + gap`` grows with L, so the
    asks that block are exactly those from this instant to ``at``; it is found by bisection over
    microseconds, the resolution instants have.
    """
    gap = policy.gap(Effort.HIGH)
    low, high = at - gap, at
    if not policy.allows(low, at, Effort.HIGH):
        return low
    step = timedelta(microseconds=1)
    # Invariant: low is allowed (does not block), high is not (or is ``at`` itself).
    while high - low > step:
        middle = low + (high - low) // 2
        if policy.allows(middle, at, Effort.HIGH):
            low = middle
        else:
            high = middle
    return high


def _latest_scores(run: Run[TablesRun], customers: Any, kind: SurveyKind) -> Any:
    """``_score``: per (account, end), the score of its latest answer of ``kind`` in the signal span
    before the end (at one instant, the highest)."""
    tables = run.context
    nw = tables.nw
    answers = (
        tables.frame("surveys")
        .filter(nw.col("kind") == kind.value)
        .select(
            nw.col("account_id").alias("_acc"),
            nw.col("responded_at").alias("_t"),
            nw.col("score").cast(nw.Int64),
        )
    )
    spans = customers.select("_acc", "_e", "_from", "_at")
    inside = answers.join(spans, on="_acc", how="inner").filter(
        (nw.col("_t") >= nw.col("_from")) & (nw.col("_t") < nw.col("_at"))
    )
    last = inside.group_by("_acc", "_e").agg(nw.col("_t").max().alias("_last"))
    return (
        inside.join(last, on=["_acc", "_e"], how="inner")
        .filter(nw.col("_t") == nw.col("_last"))
        .group_by("_acc", "_e")
        .agg(nw.col("score").max().alias("_score"))
    )


def _any_between(
    run: Run[TablesRun], customers: Any, collection: str, time: str, since: str, where: Any
) -> Any:
    """``(_acc, _e)`` of the customers with a record of ``collection`` from ``since`` to the end."""
    tables = run.context
    nw = tables.nw
    if not tables.has(collection):
        return customers.filter(nw.col("_e") < 0).select("_acc", "_e")
    frame = tables.frame(collection)
    if where is not None:
        frame = frame.filter(where.fill_null(False))
    events = frame.select(nw.col("account_id").alias("_acc"), nw.col(time).alias("_t"))
    return (
        events.join(customers.select("_acc", "_e", since, "_at"), on="_acc", how="inner")
        .filter((nw.col("_t") >= nw.col(since)) & (nw.col("_t") < nw.col("_at")))
        .pipe(tables.distinct, ["_acc", "_e"])
    )


READINESS_SCORES: Final = Readiness()


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
    parameters=(MODEL,),
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


def _readiness_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[READINESS_SCORES]
    model: ReadinessModel = cell.params["model"]
    ordered = sorted(found.scores.items())
    return cell.build(
        value=referral_readiness_score_formula(score for score, n in ordered for _ in range(n)),
        undefined_reason="no customers at the end of the window in the segment", sample_size=found.customers,
        components={"customers": found.customers, **{name: found.met.get(name, 0) for name in model.weights}},
        details={
            "score_counts": {f"{score:g}": n for score, n in ordered},
            "at": cell.window.end.isoformat(), "model": model.to_dict(),
        },
    )  # fmt: skip


READINESS: Final = Metric(READINESS_SPEC, [READINESS_SCORES], _readiness_finish)


@READINESS.function
def referral_readiness_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    model: ReadinessModel = MODEL.default,
) -> MetricResult:
    """Mean referral readiness (0-100) of the customers at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_readiness_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.sample_size, r.components["promoter"]
        (47.0, 5, 1)
        >>> referral_readiness_score(tiny(), window=Window.year(2020)).value is None
        True
    """
    return READINESS.one(data, window=window, segment=segment, model=model)


def _check_threshold(threshold: object, function: str) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise ParameterError("threshold", function, "a number from 0 to 100", threshold)
    return threshold


THRESHOLD: Final = checked(
    "threshold", 70, "the readiness score an account must reach", _check_threshold, "70"
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
        THRESHOLD,
        MODEL,
        CONFIDENCE,
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


def _ready_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[READINESS_SCORES]
    threshold = cell.params["threshold"]
    ready = sum(n for score, n in found.scores.items() if score >= threshold)
    part = sum((w for score, w in found.weights.items() if score >= threshold), Decimal(0))
    return measures.proportion(
        cell, ready, found.customers, empty_reason="no customers at the end of the window in the segment",
        weights=(part, sum(found.weights.values(), Decimal(0))), weights_at=cell.window.end.isoformat(),
        details={"threshold": threshold, "model": cell.params["model"].to_dict()},
    )  # fmt: skip


READY_RATE: Final = Metric(READY_RATE_SPEC, [READINESS_SCORES], _ready_finish)


@READY_RATE.function
def referral_ready_account_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    threshold: float = THRESHOLD.default,
    model: ReadinessModel = MODEL.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the customers at ``window.end`` whose readiness score reaches ``threshold``.

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


# -- 10. advocate re-engagement ---------------------------------------------------------------------

LAPSE: Final = days("lapse_days", 90, "days without an action after which an advocate has lapsed")


@attrs.define
class LapseState:
    """The advocates of one cell lapsed at W.start, and what became of them.

    Attributes:
        lapsed: lapsed advocates whose account is active in W and who had not opted out.
        re_engaged: those of them with an action in W.
        opted_out_excluded: lapsed advocates left out because they opted out before W.start.
        inactive_account_excluded: lapsed advocates left out because their account is not active in W.
    """

    lapsed: int = attrs.field(default=0, metadata=ADD)
    re_engaged: int = attrs.field(default=0, metadata=ADD)
    opted_out_excluded: int = attrs.field(default=0, metadata=ADD)
    inactive_account_excluded: int = attrs.field(default=0, metadata=ADD)


@attrs.frozen(eq=False)
class Lapses(Block[LapseState]):
    """Advocates (contacts) lapsed at each window's start: a custom block, as a lapse is read from
    each contact's whole action history before the window."""

    uses: ClassVar[tuple[str, ...]] = ("lapse_days",)
    state: ClassVar = LapseState

    def on_records(self, run: Run[Records]) -> list[LapseState]:
        grid, records = run.grid, run.context
        data = records.data
        lapse = timedelta(days=run.params["lapse_days"])
        ns = grid.n_segments
        opted_out = {
            (a.account_id, a.id): a.opted_out_at for a in data.advocates if a.opted_out_at is not None
        }
        out = [LapseState() for _ in range(grid.n_cells)]
        for actions in data.by_contact(AdvocacyAction).values():
            first = actions[0]
            segments = records.account_segments(first.account_id)
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
                elif not grid.is_active(account.customer_since, account.churned_at, w):
                    outcome = "inactive_account_excluded"
                else:
                    back = before < len(times) and times[before] < window.end
                    outcome = "re_engaged" if back else "lapsed"
                for s in segments:
                    cell = out[w * ns + s]
                    setattr(cell, outcome, getattr(cell, outcome) + 1)
                    if outcome == "re_engaged":
                        cell.lapsed += 1
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[LapseState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        lapse = tables.micros_span(timedelta(days=run.params["lapse_days"]))
        table = tables.table("actions")
        actions = tables.frame("actions").select(
            nw.col("account_id").alias("_acc"),
            table.column("advocate_id").fill_null("").alias("_who"),
            nw.col("completed_at").alias("_t"),
        )
        windows = tables.windows_frame().join(tables.window_positions(), on="_w", how="inner")
        contacts = ["_acc", "_who", "_w"]
        per_window = actions.join(windows, how="cross")
        last = (
            per_window.filter(nw.col("_t") < nw.col("_ws"))
            .group_by(*contacts)
            .agg(
                nw.col("_t").max().alias("_last"),
                nw.col("_ws").max(),
                nw.col("_js").max(),
                nw.col("_je").max(),
            )
            .filter(nw.col("_last") < nw.col("_ws") - lapse)
        )
        back = (
            per_window.filter((nw.col("_t") >= nw.col("_ws")) & (nw.col("_t") < nw.col("_we")))
            .pipe(tables.distinct, contacts)
            .with_columns(nw.lit(True).alias("_back"))
        )
        advocates = tables.table("advocates")
        opted = (
            tables.frame("advocates")
            .select(
                nw.col("account_id").alias("_acc"),
                nw.col("id").alias("_who"),
                advocates.column("opted_out_at").alias("_opted"),
            )
            .filter(~nw.col("_opted").is_null())
            if tables.has("advocates")
            else None
        )
        lapsed = last.join(back, on=contacts, how="left")
        if opted is not None:
            lapsed = lapsed.join(opted, on=["_acc", "_who"], how="left")
        else:
            lapsed = lapsed.with_columns(nw.lit(None, dtype=nw.Int64()).alias("_opted"))
        lapsed = lapsed.join(
            tables.accounts().select("_acc", "_ps", "_pc", *tables.attrs), on="_acc", how="inner"
        )
        left_before = ~nw.col("_opted").is_null() & (nw.col("_opted") < nw.col("_ws"))
        active = (nw.col("_ps") <= nw.col("_je")) & (nw.col("_pc") > nw.col("_js"))
        returned = ~nw.col("_back").is_null()
        values = {
            "opted_out_excluded": tables.indicator(left_before),
            "inactive_account_excluded": tables.indicator(~left_before & ~active),
            "re_engaged": tables.indicator(~left_before & active & returned),
            "lapsed": tables.indicator(~left_before & active),
        }
        counts = {name: tables.window_counts(lapsed, value) for name, value in values.items()}
        return [LapseState(**{name: counts[name][c] for name in values}) for c in range(grid.n_cells)]


LAPSED: Final = Lapses()

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
    parameters=(
        LAPSE,
        CONFIDENCE,
    ),
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


def _re_engagement_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[LAPSED]
    lapsed, re_engaged = found.lapsed, found.re_engaged
    return cell.build(
        value=advocate_re_engagement_rate_formula(re_engaged, lapsed),
        undefined_reason="no advocate had lapsed at the start of the window in the segment",
        numerator=re_engaged, denominator=lapsed, sample_size=lapsed,
        interval=wilson_interval(re_engaged, lapsed, cell.confidence),
        components={"lapsed": lapsed, "re_engaged": re_engaged,
                    "opted_out_excluded": found.opted_out_excluded,
                    "inactive_account_excluded": found.inactive_account_excluded},
        details={"lapse_days": cell.params["lapse_days"]},
    )  # fmt: skip


RE_ENGAGEMENT: Final = Metric(RE_ENGAGEMENT_SPEC, [LAPSED], _re_engagement_finish, needs=("actions",))


@RE_ENGAGEMENT.function
def advocate_re_engagement_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    lapse_days: int = LAPSE.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the advocates lapsed at ``window.start`` who completed an action in ``window``.

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
    parameters=(CONFIDENCE,),
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

SHARES_IN_WINDOW: Final = Events(
    "social_shares",
    counts={"shares": None},
    by={"channel": field("channel").fill_null("unknown")},
    accounts=True,
)


def _shares_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[SHARES_IN_WINDOW]
    shares = social_shares_formula(found.counts.get("shares", 0))
    return measures.count(
        cell, shares, components={"shares": shares, "accounts": found.accounts},
        details={"by_channel": dict(sorted(found.by.get("channel", {}).items()))},
    )  # fmt: skip


SHARES: Final = Metric(SHARES_SPEC, [SHARES_IN_WINDOW], _shares_finish, needs=("social_shares",))


@SHARES.function
def social_shares(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Number of social shares in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = social_shares(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.details["by_channel"], r.components["accounts"]
        (3, {'linkedin': 2, 'x': 1}, 2)
        >>> social_shares(tiny(), window=Window.year(2020)).value
        0
    """
    return SHARES.one(data, window=window, segment=segment, confidence=confidence)


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
    parameters=(CONFIDENCE,),
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

ICP_ACTIVE: Final = Cohorts(only=ICP)
ICP_UNKNOWN: Final = Cohorts(only=ICP_UNRECORDED)
ICP_SHARERS: Final = Hits([Source("social_shares")], only=ICP)


def _icp_finish(cell: Cell, tally: Tally) -> MetricResult:
    active, sharers = tally[ICP_ACTIVE].active, tally[ICP_SHARERS].hits
    unrecorded = tally[ICP_UNKNOWN].active
    if unrecorded and not active:
        reason = "no account active in the window and segment records whether it fits the ICP"
    else:
        reason = "no ICP accounts active in the window and segment"
    return measures.proportion(
        cell, sharers, active, empty_reason=reason,
        warnings=unrecorded_note(unrecorded, "accounts", "they fit the ideal customer profile"),
    )  # fmt: skip


ICP_SHARE: Final = Metric(
    ICP_SHARE_SPEC, [ICP_ACTIVE, ICP_UNKNOWN, ICP_SHARERS], _icp_finish, needs=("social_shares",)
)


@ICP_SHARE.function
def share_rate_among_icps(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the ICP accounts active in ``window`` that shared at least once in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = share_rate_among_icps(tiny(), window=Window.quarter(2026, 3))
        >>> r.numerator, r.denominator
        (2, 3)
        >>> share_rate_among_icps(tiny(), window=Window.year(2020)).value is None
        True
    """
    return ICP_SHARE.one(data, window=window, segment=segment, confidence=confidence)


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
    parameters=(CONFIDENCE,),
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

INITIATORS: Final = Hits([Source("referral_prompts"), Source("referrals")], weigh=True)

INITIATION: Final = Metric(
    INITIATION_SPEC, [ACTIVE, INITIATORS], lambda cell, tally: active_share(cell, tally, INITIATORS),
    needs=("referral_prompts", "referrals"),
)  # fmt: skip


@INITIATION.function
def referral_discussion_initiation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts active in ``window`` that took a step towards referring in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_discussion_initiation_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 3, 6)
        >>> referral_discussion_initiation_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return INITIATION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


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
    parameters=(CONFIDENCE,),
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

RECORDED_SENDERS: Final = Hits(
    [Source("referrals", where=field("personalized").not_null())], population="any"
)
PERSONAL_SENDERS: Final = Hits([Source("referrals", where=field("personalized"))], population="any")
UNRECORDED_REFERRALS: Final = Events("referrals", counts={"unrecorded": field("personalized").is_null()})


def _personalized_finish(cell: Cell, tally: Tally) -> MetricResult:
    senders, personal = tally[RECORDED_SENDERS].hits, tally[PERSONAL_SENDERS].hits
    unrecorded = tally[UNRECORDED_REFERRALS].counts.get("unrecorded", 0)
    if unrecorded and not senders:
        reason = "no referral sent in the window and segment records whether it was personalized"
    else:
        reason = "no account sent a referral in the window and segment"
    return measures.proportion(
        cell, personal, senders, empty_reason=reason,
        warnings=unrecorded_note(unrecorded, "referrals", "they were personalized"),
    )  # fmt: skip


PERSONALIZED: Final = Metric(
    PERSONALIZED_SPEC, [RECORDED_SENDERS, PERSONAL_SENDERS, UNRECORDED_REFERRALS], _personalized_finish,
    needs=("referrals",),
)  # fmt: skip


@PERSONALIZED.function
def personalized_referral_outreach_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts referring in ``window`` that personalized at least one referral.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> personalized_referral_outreach_rate(tiny(), window=Window.quarter(2026, 2)).value
        0.5
        >>> personalized_referral_outreach_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return PERSONALIZED.one(data, window=window, segment=segment, confidence=confidence)


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
    parameters=(CONFIDENCE,),
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

ASKED: Final = Hits([Source("asks", where=field("asset") == Asset.REFERRAL)], weigh=True)

WARM_INTRO: Final = Metric(
    WARM_INTRO_SPEC, [ACTIVE, ASKED], lambda cell, tally: active_share(cell, tally, ASKED), needs=("asks",)
)


@WARM_INTRO.function
def warm_introduction_offer_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts active in ``window`` asked for a referral in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = warm_introduction_offer_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.numerator, r.denominator
        (2, 6)
        >>> warm_introduction_offer_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return WARM_INTRO.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


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
    parameters=(CONFIDENCE,),
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

QBRS_HELD: Final = Events(
    "qbrs",
    counts={
        "qbrs": field("referral_intent").not_null(),
        "with_intent": field("referral_intent"),
        "unrecorded": field("referral_intent").is_null(),
    },
)


def _qbr_finish(cell: Cell, tally: Tally) -> MetricResult:
    counts = tally[QBRS_HELD].counts
    held, intent, unrecorded = (
        counts.get("qbrs", 0),
        counts.get("with_intent", 0),
        counts.get("unrecorded", 0),
    )
    reason = "no QBRs held in the window and segment"
    if unrecorded and not held:
        reason = "no QBR held in the window and segment records whether referral intent was expressed"
    return cell.build(
        value=referral_intent_in_qbrs_formula(intent, held), undefined_reason=reason, numerator=intent,
        denominator=held, sample_size=held, interval=wilson_interval(intent, held, cell.confidence),
        components={"qbrs": held, "with_intent": intent},
        warnings=unrecorded_note(unrecorded, "QBRs", "referral intent was expressed"),
    )  # fmt: skip


QBRS: Final = Metric(QBR_SPEC, [QBRS_HELD], _qbr_finish, needs=("qbrs",))


@QBRS.function
def referral_intent_in_qbrs(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the QBRs held in ``window`` in which referral intent was recorded.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_intent_in_qbrs(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> referral_intent_in_qbrs(tiny(), window=Window.year(2020)).value is None
        True
    """
    return QBRS.one(data, window=window, segment=segment, confidence=confidence)


# -- 18. time to advocacy ---------------------------------------------------------------------------

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

FIRST_ADVOCACY: Final = AccountDurations("onboarded_at", [Source("actions"), Source("referrals")])


def _tta_finish(cell: Cell, tally: Tally) -> MetricResult:
    return measures.survival(
        cell, tally[FIRST_ADVOCACY].observations, event_name="an advocacy action",
        empty_reason="no accounts onboarded in the window and segment",
    )  # fmt: skip


TTA: Final = Metric(TTA_SPEC, [FIRST_ADVOCACY], _tta_finish)


@TTA.function
def time_to_advocacy(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Kaplan-Meier median days from onboarding to first advocacy, for accounts onboarded in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = time_to_advocacy(tiny(), window=Window.year(2025))
        >>> r.value, dict(r.components)
        (71.0, {'cohort': 1, 'events': 1, 'censored': 0})
        >>> time_to_advocacy(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts onboarded in the window and segment'
    """
    return TTA.one(data, window=window, segment=segment)
