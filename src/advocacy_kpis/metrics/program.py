"""Family 5, advocacy programme health and reach: the supply of advocates, what it delivers, how
sales draws on it, and whether the team asks its advocates more often than its tap policy allows.

Besides the metrics, the module holds what the over-asking analysis shares with
`tap_policy_compliance`: `previous_asks` (each ask's previous ask of the same effort class to the
same contact) and `OverTap` (an ask that came too soon after it).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

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
    Threshold,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import advocate_activation_rate as activation_formula
from advocacy_kpis.formulas import advocate_influenced_pipeline as influenced_pipeline_formula
from advocacy_kpis.formulas import advocate_influenced_revenue as influenced_revenue_formula
from advocacy_kpis.formulas import advocate_influenced_share
from advocacy_kpis.formulas import advocate_pool_size as pool_size_formula
from advocacy_kpis.formulas import community_growth_rate as community_growth_formula
from advocacy_kpis.formulas import influencer_and_advocate_mentions as mentions_formula
from advocacy_kpis.formulas import reference_request_fill_rate as fill_rate_formula
from advocacy_kpis.formulas import review_velocity as review_velocity_formula
from advocacy_kpis.formulas import tap_policy_compliance as compliance_formula
from advocacy_kpis.grid import Grid
from advocacy_kpis.metrics._common import (
    account_hits,
    check_confidence,
    observation,
    positive,
    share,
    survival_finish,
    unsegmented_note,
    zero,
)
from advocacy_kpis.metrics.engagement import active_share_tallies
from advocacy_kpis.policy import DEFAULT_TAP_POLICY, TapPolicy
from advocacy_kpis.records import (
    AdvocacyAction,
    Ask,
    Asset,
    Effort,
    Mention,
    Opportunity,
    ReferenceRequest,
    Referral,
    Review,
    SocialShare,
)
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import poisson_rate_interval, wilson_interval
from advocacy_kpis.tally import Cell, Definition, Run, Tally, register

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = [
    "ADVOCACY_KINDS",
    "AdvocacyEvent",
    "OverTap",
    "advocacy_events",
    "advocate_activation_rate",
    "advocate_influenced_pipeline",
    "advocate_influenced_revenue",
    "advocate_pool_size",
    "community_growth_rate",
    "customer_advocacy_rate",
    "find_over_taps",
    "influencer_and_advocate_mentions",
    "previous_asks",
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "review_velocity",
    "tap_policy_compliance",
    "tap_policy_summary",
]


# -- what counts as an advocacy action ----------------------------------------------------------

ADVOCACY_KINDS: Final = (
    "referral",
    "review",
    "reference",
    "case_study",
    "speaking",
    "community",
    "social_share",
)
"""The kinds of advocacy action, in the order results list them."""

ADVOCACY_SOURCES: Final = (
    "An advocacy action is any of: a referral sent (Referral, at invited_at); an advocacy asset "
    "delivered (AdvocacyAction of any asset: reference, case study, speaking, review, community or "
    "referral, at completed_at); a public review with an account (Review, at published_at); a social "
    "share (SocialShare, at shared_at); a reference request the account filled (ReferenceRequest, at "
    "filled_at)."
)


class AdvocacyEvent(NamedTuple):
    """One advocacy action: whose it was, when, and of which kind (see `ADVOCACY_KINDS`).

    ``advocate_id`` names the advocate within the account where the record names one (advocacy
    actions only); otherwise the action is the account's as a whole.
    """

    account_id: str
    advocate_id: str | None
    at: datetime
    kind: str


def _stamped(data: AdvocacyData, kind: type, low: datetime, high: datetime) -> Sequence[Any]:
    """Records of ``kind`` stamped in ``[low, high)``, read from the data set's time index."""
    if high <= low:
        return ()
    return data.events(kind, Window(low, high))


def advocacy_events(data: AdvocacyData, low: datetime, high: datetime) -> Iterator[AdvocacyEvent]:
    """Every advocacy action of an account stamped in ``[low, high)`` (see `ADVOCACY_SOURCES`).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from advocacy_kpis.sample import tiny
        >>> july = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
        >>> sorted((e.account_id, e.kind) for e in advocacy_events(tiny(), *july))
        [('a1', 'reference'), ('a1', 'review'), ('a1', 'social_share'), ('a3', 'community')]
    """
    for referral in _stamped(data, Referral, low, high):
        yield AdvocacyEvent(referral.account_id, None, referral.invited_at, "referral")
    for action in _stamped(data, AdvocacyAction, low, high):
        yield AdvocacyEvent(action.account_id, action.advocate_id, action.completed_at, action.asset.value)
    for review in _stamped(data, Review, low, high):
        if review.account_id is not None:
            yield AdvocacyEvent(review.account_id, None, review.published_at, "review")
    for shared in _stamped(data, SocialShare, low, high):
        yield AdvocacyEvent(shared.account_id, None, shared.shared_at, "social_share")
    # A request is stamped when it was made, so the filled ones are found by their own instant.
    for request in data.reference_requests:
        filled = request.filled_at
        if filled is not None and request.account_id is not None and low <= filled < high:
            yield AdvocacyEvent(request.account_id, None, filled, "reference")


# -- segments on a record's own attributes ------------------------------------------------------


@attrs.frozen
class _OwnAttributes:
    """A record seen through its own attributes only.

    A filled reference request names the account that filled it; segments still match the
    request's own attributes (what sales asked for), never that account.
    """

    attributes: Mapping[str, Any]


def _outside_note(tally: Tally, what: str, segment: Segment) -> list[str]:
    count = tally["outside"]
    return [unsegmented_note(count, what, segment)] if count else []


# -- 36. customer advocacy rate -----------------------------------------------------------------

_ACTIVE_TEXT = (
    "Active in W means a customer at some instant of W: customer_since < W.end and not churned "
    "before W.start (S ∪ N)."
)
_LAST_INSTANT = "each account's last instant as a customer in W"

ADVOCACY_SPEC = MetricSpec(
    id="customer_advocacy_rate",
    number=36,
    name="Customer Advocacy Rate",
    family=Family.PROGRAM,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of the accounts that were customers during the window that did something for you in "
        "public or with peers in it: sent a referral, wrote a review, took a reference call, joined a case "
        "study, spoke at an event, helped in the community or shared on social media. It counts what "
        "customers did, not what they said they would do."
    ),
    formula="accounts active in W with an advocacy action in W / accounts active in W",
    formula_latex=r"\frac{|\{a \in S \cup N : \exists x \in W,\ x \text{ an advocacy action of } a\}|}{|S \cup N|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts active in W.",
    window_semantics=_ACTIVE_TEXT + " An action counts when its own instant is in W. " + ADVOCACY_SOURCES,
    undefined_when="No account is active in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="000",
    pitfalls=(
        Pitfall(
            "Reading NPS alone as advocacy, with no record of what customers actually did.",
            "Only recorded actions count; a promoter who never acts is not an advocate here.",
        ),
        Pitfall(
            "Counting actions instead of accounts, so one busy customer looks like a movement.",
            "Each account counts once per window; details give, per kind of action, how many accounts did it.",
        ),
        Pitfall(
            "Missing a drop-off after a product change because the rate is read over a long span.",
            "Compare equal windows before and after the change with change_from(), which tests the difference.",
        ),
        Pitfall(
            "Comparing a segment's rate with another period's rate on a different revenue basis.",
            "The basis is recorded on the result and change_from() refuses a different one.",
        ),
    ),
    related=(
        "referral_program_participation_rate",
        "advocate_activation_rate",
        "time_to_advocacy",
        "net_promoter_score",
    ),
    interpretation=(
        "The seed names advocacy signals without a formula; the library counts an account as advocating "
        "when it has at least one recorded action of the listed kinds in W, whoever at the account did "
        "it. A reference request the account filled counts as a reference taken, at its filled_at, "
        "besides any reference asset recorded for it. With a basis, each active account weighs its "
        "run rate at its last instant as a customer in W (W.end, or its churn inside W)."
    ),
)


@metric(ADVOCACY_SPEC)
def customer_advocacy_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts active in ``window`` with at least one advocacy action in it.

    .. math:: \frac{|\{a \in S \cup N : a \text{ advocated in } W\}|}{|S \cup N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: the window.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis (revenue-weighted rate).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator are advocating and active accounts;
        ``details["accounts_by_kind"]`` counts, per kind of action, the active accounts that did it.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is active in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_advocacy_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.6666666666666666, 4, 6)
        >>> customer_advocacy_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return ADVOCACY.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


def _advocacy_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    by_kind: dict[str, list[tuple[str, datetime]]] = {kind: [] for kind in ADVOCACY_KINDS}
    for event in advocacy_events(run.data, grid.start, grid.end):
        by_kind[event.kind].append((event.account_id, event.at))
    tallies = active_share_tallies(run, ((a, t) for pairs in by_kind.values() for a, t in pairs))
    for tally in tallies:
        tally["by_kind"] = {}
    for kind, pairs in by_kind.items():
        hits, _, _ = account_hits(run, pairs)
        for c, count in enumerate(hits):
            tallies[c]["by_kind"][kind] = count
    return tallies


def _advocacy_finish(cell: Cell, tally: Tally) -> MetricResult:
    return share(
        cell, tally, hits="hits", population="active",
        empty_reason="no accounts active in the window and segment",
        details={"accounts_by_kind": {kind: tally["by_kind"].get(kind, 0) for kind in ADVOCACY_KINDS}},
        weights_at=_LAST_INSTANT,
    )  # fmt: skip


ADVOCACY = register(
    Definition(
        ADVOCACY_SPEC,
        _advocacy_tallies,
        _advocacy_finish,
        checks={"confidence": check_confidence},
        needs=("referrals", "actions", "reviews", "social_shares"),
    )
)


# -- 37 and 38. the advocate pool and its activation --------------------------------------------

_POOL_TEXT = (
    "An advocate is in the pool at an instant t when enrolled_at < t, it has not opted out before t "
    "(opted_out_at is None or >= t) and its account is a customer at t."
)


def _pool_memberships(grid: Grid) -> Iterator[tuple[str, str, datetime, tuple[int, ...]]]:
    """Each advocate in the pool at the end of some window: account, advocate, enrolment, windows.

    An advocate is in the pool at t when ``low < t <= high``, where ``low`` is the later of its
    enrolment and its account's ``customer_since`` and ``high`` the earlier of its opt-out and
    its account's churn; the windows are those whose end lies in that span (two binary searches).
    """
    data = grid.data
    ends = sorted((window.end, w) for w, window in enumerate(grid.windows))
    instants = [end for end, _ in ends]
    for advocate in data.advocates:
        account = data.account(advocate.account_id)
        low = max(advocate.enrolled_at, account.customer_since)
        stops = [t for t in (advocate.opted_out_at, account.churned_at) if t is not None]
        first = bisect.bisect_right(instants, low)
        last = bisect.bisect_right(instants, min(stops)) if stops else len(instants)
        if first < last:
            yield (
                advocate.account_id,
                advocate.id,
                advocate.enrolled_at,
                tuple(w for _, w in ends[first:last]),
            )


POOL_SPEC = MetricSpec(
    id="advocate_pool_size",
    number=37,
    name="Advocate Pool Size",
    family=Family.PROGRAM,
    kind=MetricKind.COUNT,
    definition=(
        "How many people stand ready to advocate for you when the window closes: advocates enrolled in the "
        "programme, not opted out, at accounts that are still customers. The supply every reference, "
        "review and case study is drawn from."
    ),
    formula="count of advocates in the pool at W.end",
    formula_latex=r"|\{v : e_v < W_{end} \leq \min(o_v, \mathrm{churn}_{a_v}),\ \mathrm{since}_{a_v} < W_{end}\}|",
    unit=Unit.COUNT,
    direction=Direction.HIGHER_IS_BETTER,
    population="Advocate records (people), at the instant W.end.",
    window_semantics=(
        _POOL_TEXT + " Only the instant W.end matters for the count; components also count the "
        "enrolments and opt-outs stamped in W."
    ),
    undefined_when="Never: an empty pool is a count of 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="003",
    pitfalls=(
        Pitfall(
            "Counting every advocate ever enrolled, including those who opted out or whose company left.",
            "Only advocates enrolled and not opted out at W.end, at accounts that are customers then, count.",
        ),
        Pitfall(
            "Reading a big pool as a healthy programme when few of its members ever do anything.",
            "Read it with advocate_activation_rate; components show how many accounts the pool spans.",
        ),
    ),
    related=("advocate_activation_rate", "tap_policy_compliance", "reference_request_fill_rate"),
    interpretation=(
        "The pool is read at the instant W.end with the catalogue's 'state at t': an advocate enrolled "
        "exactly at W.end is not yet in it, one who opted out exactly at W.end still is. Each advocate "
        "record is one person; the same person enrolled at two accounts counts twice."
    ),
)


@metric(POOL_SPEC)
def advocate_pool_size(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    r"""Number of advocates in the pool at ``window.end``.

    .. math:: |\{v : v \text{ enrolled, not opted out, its account a customer at } W_{end}\}|

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: the pool is read at ``window.end``.
        segment: accounts whose advocates count (default: all).

    Returns:
        A count (int); components ``advocates``, ``accounts`` (how many accounts the pool spans),
        ``enrolled_in_window`` and ``opted_out_in_window``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        Never: an empty pool is a count of 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_pool_size(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (2, {'advocates': 2, 'accounts': 2, 'enrolled_in_window': 0, 'opted_out_in_window': 0})
        >>> advocate_pool_size(tiny(), window=Window.year(2020)).value
        0
    """
    return POOL.one(data, window=window, segment=segment)


def _pool_tallies(run: Run) -> list[Tally]:
    grid, data = run.grid, run.data
    ns = grid.n_segments
    tallies: list[Tally] = [
        {"advocates": 0, "accounts": set(), "enrolled": 0, "opted_out": 0} for _ in range(grid.n_cells)
    ]
    for account_id, _, _, windows in _pool_memberships(grid):
        segments = grid.account_segments(account_id)
        for w in windows:
            for s in segments:
                tally = tallies[w * ns + s]
                tally["advocates"] += 1
                tally["accounts"].add(account_id)
    for advocate in data.advocates:
        segments = grid.account_segments(advocate.account_id)
        for c in grid.cells_at(advocate.enrolled_at, segments):
            tallies[c]["enrolled"] += 1
        if advocate.opted_out_at is not None:
            for c in grid.cells_at(advocate.opted_out_at, segments):
                tallies[c]["opted_out"] += 1
    return tallies


def _pool_finish(cell: Cell, tally: Tally) -> MetricResult:
    count = pool_size_formula(tally["advocates"])
    return cell.build(
        value=count, sample_size=count, small_sample=False,
        components={"advocates": count, "accounts": len(tally["accounts"]),
                    "enrolled_in_window": tally["enrolled"], "opted_out_in_window": tally["opted_out"]},
        details={"at": cell.window.end.isoformat()},
    )  # fmt: skip


POOL = register(Definition(POOL_SPEC, _pool_tallies, _pool_finish, needs=("advocates",)))


ACTIVATION_SPEC = MetricSpec(
    id="advocate_activation_rate",
    number=38,
    name="Advocate Activation Rate",
    family=Family.PROGRAM,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the advocates in the pool when the window closes, the share who did something for you in the "
        "recent past (by default the last 90 days): a pool is only as large as the part of it that acts."
    ),
    formula="advocates in the pool at W.end with an advocacy action in [W.end - lookback, W.end) / pool size",
    formula_latex=(r"\frac{|\{v \in P(W_{end}) : \exists x \in [W_{end} - L, W_{end})\}|}{|P(W_{end})|}"),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="The advocate pool at W.end (as advocate_pool_size).",
    window_semantics=(
        _POOL_TEXT + " An advocate is active when an advocacy action of theirs lies in "
        "[W.end - lookback_days, W.end), whatever W's own length: an AdvocacyAction naming that "
        "advocate, or any advocacy action of their account that names no advocate. " + ADVOCACY_SOURCES
    ),
    undefined_when="The pool is empty at W.end in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.EFFICIENCY,
    seed="003",
    parameters=(
        Parameter("lookback_days", 90, "days before W.end in which an action makes an advocate active"),
    ),
    pitfalls=(
        Pitfall(
            "Dividing this window's actions by the pool, so a month and a quarter read differently.",
            "Activity is read over a fixed lookback before W.end (90 days by default), recorded in details.",
        ),
        Pitfall(
            "Crediting an advocate with a colleague's named action.",
            "An action naming an advocate counts for that advocate only; actions naming nobody count "
            "for every advocate of the account.",
        ),
        Pitfall(
            "Counting advocates who opted out or whose company churned in the denominator.",
            "The population is the pool at W.end, as advocate_pool_size defines it.",
        ),
    ),
    related=("advocate_pool_size", "advocate_re_engagement_rate", "customer_advocacy_rate"),
    interpretation=(
        "The seed asks what share of advocates did something in the last 90 days; the library reads it at "
        "W.end over [W.end - lookback_days, W.end). Referrals, reviews, social shares and filled reference "
        "requests do not name an advocate, so they make every pool advocate of their account active; an "
        "advocacy action that names an advocate makes only that advocate active."
    ),
)


@metric(ACTIVATION_SPEC)
def advocate_activation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    lookback_days: int = 90,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the advocates in the pool at ``window.end`` with an advocacy action in the lookback.

    .. math:: \frac{|\{v \in P(W_{end}) : v \text{ acted in } [W_{end} - L, W_{end})\}|}{|P(W_{end})|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: the pool and the lookback are anchored at ``window.end``.
        segment: accounts whose advocates count (default: all).
        lookback_days: the days before ``window.end`` in which an action counts.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator are active advocates and the pool.

    Raises:
        ParameterError: a bad argument (``lookback_days`` must be a positive integer).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        The pool is empty at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_activation_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (1.0, 2, 2)
        >>> advocate_activation_rate(tiny(), window=Window.quarter(2026, 1)).value
        0.5
        >>> advocate_activation_rate(tiny(), window=Window.year(2020)).undefined_reason
        'the advocate pool is empty at the end of the window in the segment'
    """
    return ACTIVATION.one(
        data, window=window, segment=segment, lookback_days=lookback_days, confidence=confidence
    )


def _activity_index(
    data: AdvocacyData, low: datetime, high: datetime
) -> tuple[dict[str, list[datetime]], dict[str, list[datetime]]]:
    """Sorted instants of advocacy actions in ``[low, high)``: per named contact, and per account
    for the actions that name no advocate."""
    by_contact: dict[str, list[datetime]] = defaultdict(list)
    by_account: dict[str, list[datetime]] = defaultdict(list)
    for event in advocacy_events(data, low, high):
        if event.advocate_id is None:
            by_account[event.account_id].append(event.at)
        else:
            by_contact[f"{event.account_id}/{event.advocate_id}"].append(event.at)
    for times in (*by_contact.values(), *by_account.values()):
        times.sort()
    return by_contact, by_account


def _any_in(times: Sequence[datetime], low: datetime, high: datetime) -> bool:
    k = bisect.bisect_left(times, low)
    return k < len(times) and times[k] < high


def _activation_tallies(run: Run) -> list[Tally]:
    grid, data = run.grid, run.data
    lookback = timedelta(days=run.params["lookback_days"])
    ns = grid.n_segments
    earliest = min(window.end for window in grid.windows) - lookback
    by_contact, by_account = _activity_index(data, earliest, grid.end)
    none: list[datetime] = []
    pool = [0] * grid.n_cells
    active = [0] * grid.n_cells
    for account_id, advocate_id, _, windows in _pool_memberships(grid):
        segments = grid.account_segments(account_id)
        own = by_contact.get(f"{account_id}/{advocate_id}", none)
        shared = by_account.get(account_id, none)
        for w in windows:
            end = grid.windows[w].end
            acted = _any_in(own, end - lookback, end) or _any_in(shared, end - lookback, end)
            for s in segments:
                pool[w * ns + s] += 1
                active[w * ns + s] += acted
    return [{"pool": n, "active": k} for n, k in zip(pool, active, strict=True)]


def _activation_finish(cell: Cell, tally: Tally) -> MetricResult:
    pool, active = tally["pool"], tally["active"]
    lookback = cell.params["lookback_days"]
    end = cell.window.end
    return cell.build(
        value=activation_formula(active, pool),
        undefined_reason="the advocate pool is empty at the end of the window in the segment",
        numerator=active, denominator=pool, sample_size=pool,
        interval=wilson_interval(active, pool, cell.params["confidence"]),
        components={"pool": pool, "active": active},
        details={"lookback_days": lookback, "active_from": (end - timedelta(days=lookback)).isoformat(),
                 "active_until": end.isoformat()},
    )  # fmt: skip


ACTIVATION = register(
    Definition(
        ACTIVATION_SPEC,
        _activation_tallies,
        _activation_finish,
        checks={"lookback_days": positive("lookback_days"), "confidence": check_confidence},
        needs=("advocates", "actions"),
    )
)


# -- 39 and 40. reference requests --------------------------------------------------------------

FILL_THRESHOLD = Threshold(
    0.70, "below", "fewer than 70% of reference requests filled is a sourcing problem: recruit references"
)

_REQUESTS_TEXT = (
    "A request belongs to W when its requested_at is in W. Segments match the request's own attributes "
    "(the industry, region or product sales asked for), never the account that filled it."
)

FILL_RATE_SPEC = MetricSpec(
    id="reference_request_fill_rate",
    number=39,
    name="Reference Request Fill Rate",
    family=Family.PROGRAM,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the requests sales made for a customer reference during the window, the share the programme "
        "filled within a fixed horizon: how well the supply of references meets the demand for them. Only "
        "requests that have had the whole horizon are counted, filled or not, so a month whose requests "
        "are still young at extraction does not read as a sourcing problem."
    ),
    formula=(
        "requests made in W whose horizon has passed and that were filled within it / requests made in W "
        "whose horizon has passed"
    ),
    formula_latex=(
        r"\frac{\#\{q \in W : r_q + h \leq \mathrm{as\_of},\ f_q \leq r_q + h\}}"
        r"{\#\{q \in W : r_q + h \leq \mathrm{as\_of}\}}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="ReferenceRequest records whose requested_at is in W and whose fill horizon has passed by as_of.",
    window_semantics=_REQUESTS_TEXT
    + " A request has matured when requested_at + fill_horizon_days <= as_of; one that has not is left out "
    "of numerator and denominator alike, even if it is already filled, and counted in components. A "
    "matured request counts as filled when filled_at <= requested_at + fill_horizon_days.",
    undefined_when=(
        "No reference request made in the window and segment has matured by as_of (none was made, or "
        "every one is younger than the fill horizon)."
    ),
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.NONE,
    signal=SignalType.EFFICIENCY,
    seed="003",
    parameters=(Parameter("fill_horizon_days", 30, "days after the request a fill may take to count"),),
    thresholds=(FILL_THRESHOLD,),
    pitfalls=(
        Pitfall(
            "Reading a recent window's low rate as a sourcing problem when its requests simply have not "
            "had time to be filled.",
            "Only requests whose fill horizon has passed by as_of count; younger ones are excluded, filled "
            "or not, and counted in components and a warning.",
        ),
        Pitfall(
            "Letting an old window's rate creep up as late fills arrive, so windows of different ages "
            "do not compare.",
            "A request counts as filled only within its fill horizon, the same for every window.",
        ),
        Pitfall(
            "Cutting requests by the filling customer's tier, which hides which demands go unmet.",
            "Segments read the request's own attributes (what sales asked for).",
        ),
        Pitfall(
            "Tolerating a low fill rate for quarters because nobody set a bar.",
            "Results below 0.70 carry a warning that names the sourcing problem.",
        ),
    ),
    related=("reference_time_to_fill", "advocate_pool_size", "advocate_activation_rate"),
    interpretation=(
        "The rate follows the maturity rule of referral_conversion_rate: each request is followed for "
        "fill_horizon_days (30 by default), requests younger than that at as_of are excluded whether or not "
        "they are filled yet, and a fill after the horizon counts as not filled. 'open' in components "
        "counts the matured requests not filled within the horizon; reference_time_to_fill gives the "
        "censored view over every request."
    ),
    version=3,
)


@metric(FILL_RATE_SPEC)
def reference_request_fill_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    fill_horizon_days: int = 30,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the matured reference requests made in ``window`` that were filled within ``fill_horizon_days``.

    .. math:: \frac{\#\{q \in W : \text{matured},\ f_q \leq r_q + h\}}{\#\{q \in W : r_q + h \leq \mathrm{as\_of}\}}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: requests with ``requested_at`` in this window count.
        segment: matched on the requests' own attributes (default: all).
        fill_horizon_days: days after a request a fill may take; requests younger than this at
            ``as_of`` are excluded.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; components ``requests``, ``matured``, ``filled`` (within the horizon),
        ``open`` (matured, not filled within the horizon) and ``immature_excluded``. Below 0.70 the
        result warns of a sourcing problem.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an attribute no request carries.

    Undefined when:
        No request made in the window and segment has matured by ``as_of``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = reference_request_fill_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (1.0, {'requests': 2, 'matured': 1, 'filled': 1, 'open': 0, 'immature_excluded': 1})
        >>> print(r.warnings[0])
        1 reference requests made in the window have not matured by as_of (fill horizon 30 days) and
        are excluded, filled or not
        >>> reference_request_fill_rate(tiny(), window=Window.month(2026, 9)).undefined_reason
        'none of the 1 reference requests made in the window has matured (fill horizon 30 days)'
    """
    return FILL_RATE.one(
        data, window=window, segment=segment, fill_horizon_days=fill_horizon_days, confidence=confidence
    )


def _request_cells(grid: Grid, request: ReferenceRequest, tallies: list[Tally]) -> tuple[int, ...]:
    """The cells of a request (by its own attributes); counts it as ``outside`` where it lacks one."""
    own = _OwnAttributes(request.attributes)
    outside = grid.outside_segments(own)
    if outside:
        for c in grid.cells_at(request.requested_at, outside):
            tallies[c]["outside"] += 1
    return grid.cells_at(request.requested_at, grid.record_segments(own))


def _fill_tallies(run: Run) -> list[Tally]:
    grid, as_of = run.grid, run.data.as_of
    horizon = timedelta(days=run.params["fill_horizon_days"])
    tallies: list[Tally] = [
        {"requests": 0, "matured": 0, "filled": 0, "outside": 0} for _ in range(grid.n_cells)
    ]
    for request in grid.records(ReferenceRequest):
        due = request.requested_at + horizon
        matured = due <= as_of
        filled = matured and request.filled_at is not None and request.filled_at <= due
        for c in _request_cells(grid, request, tallies):
            tallies[c]["requests"] += 1
            tallies[c]["matured"] += matured
            tallies[c]["filled"] += filled
    return tallies


def _fill_finish(cell: Cell, tally: Tally) -> MetricResult:
    requests, matured, filled = tally["requests"], tally["matured"], tally["filled"]
    horizon_days = cell.params["fill_horizon_days"]
    immature = requests - matured
    warnings = _outside_note(tally, "reference requests made in the window", cell.segment)
    if immature:
        warnings.append(
            f"{immature} reference requests made in the window have not matured by as_of "
            f"(fill horizon {horizon_days} days) and are excluded, filled or not"
        )
    reason = (
        f"none of the {requests} reference requests made in the window has matured "
        f"(fill horizon {horizon_days} days)"
        if requests
        else "no reference requests made in the window and segment"
    )
    return cell.build(
        value=fill_rate_formula(filled, matured), undefined_reason=reason,
        numerator=filled, denominator=matured, sample_size=matured,
        interval=wilson_interval(filled, matured, cell.params["confidence"]),
        components={"requests": requests, "matured": matured, "filled": filled, "open": matured - filled,
                    "immature_excluded": immature},
        warnings=warnings, accounts_segmented=False,
    )  # fmt: skip


FILL_RATE = register(
    Definition(
        FILL_RATE_SPEC,
        _fill_tallies,
        _fill_finish,
        checks={"confidence": check_confidence, "fill_horizon_days": positive("fill_horizon_days")},
        on_records=ReferenceRequest,
        needs=("reference_requests",),
    )
)


TIME_TO_FILL_SPEC = MetricSpec(
    id="reference_time_to_fill",
    number=40,
    name="Reference Time to Fill",
    family=Family.PROGRAM,
    kind=MetricKind.SURVIVAL,
    definition=(
        "How long sales waits for a customer reference: the Kaplan-Meier median days from a request made "
        "in the window to its fill. Requests still open count as 'not yet' up to as_of instead of being "
        "dropped, so slow or failed sourcing shows instead of hiding."
    ),
    formula="Kaplan-Meier median of days from requested_at to filled_at; open requests censored at as_of",
    formula_latex=(
        r"\tilde t = \min\{t : \hat S(t) \leq 0.5\}, \quad "
        r"\hat S(t) = \prod_{t_i \leq t} \left(1 - \frac{d_i}{n_i}\right)"
    ),
    unit=Unit.DAYS,
    direction=Direction.LOWER_IS_BETTER,
    population="ReferenceRequest records whose requested_at is in W.",
    window_semantics=(
        _REQUESTS_TEXT + " Each request is followed from requested_at to filled_at; one still open is "
        "censored at as_of."
    ),
    undefined_when=(
        "No request was made in the window and segment, or fewer than half of them were filled within "
        "the observed time; the shares filled by 30, 90 and 180 days are still given."
    ),
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.NONE,
    signal=SignalType.EFFICIENCY,
    seed="003",
    pitfalls=(
        Pitfall(
            "Averaging the fill times of the filled requests only, so the ones never filled make sourcing "
            "look fast.",
            "Kaplan-Meier with open requests censored at as_of; the naive mean of filled ones is only in details.",
        ),
        Pitfall(
            "Reporting a median when most requests were never filled.",
            "The median is undefined with a reason unless half the requests are known to be filled.",
        ),
    ),
    related=("reference_request_fill_rate", "advocate_pool_size"),
    interpretation=(
        "The seed asks how fast a reference can be supplied; the library gives the Kaplan-Meier median "
        "days from request to fill, with open requests censored at as_of, and the shares filled by 30, 90 "
        "and 180 days in details."
    ),
)


@metric(TIME_TO_FILL_SPEC)
def reference_time_to_fill(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    r"""Kaplan-Meier median days from request to fill, for reference requests made in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: requests with ``requested_at`` in this window form the cohort.
        segment: matched on the requests' own attributes (default: all).

    Returns:
        Days (float); components ``cohort``, ``events`` (filled) and ``censored`` (open); details
        hold the shares filled by 30, 90 and 180 days and the naive mean over the filled ones.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an attribute no request carries.

    Undefined when:
        No request was made in the window, or fewer than half are known to be filled.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = reference_time_to_fill(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (7.0, {'cohort': 2, 'events': 1, 'censored': 1})
        >>> reference_time_to_fill(tiny(), window=Window.year(2020)).undefined_reason
        'no reference requests made in the window and segment'
    """
    return TIME_TO_FILL.one(data, window=window, segment=segment)


def _time_to_fill_tallies(run: Run) -> list[Tally]:
    grid, as_of = run.grid, run.data.as_of
    tallies: list[Tally] = [{"observations": [], "outside": 0} for _ in range(grid.n_cells)]
    for request in grid.records(ReferenceRequest):
        seen = observation(request.requested_at, request.filled_at, as_of)
        for c in _request_cells(grid, request, tallies):
            tallies[c]["observations"].append(seen)
    return tallies


def _time_to_fill_finish(cell: Cell, tally: Tally) -> MetricResult:
    return survival_finish(
        cell, tally, event_name="been filled",
        empty_reason="no reference requests made in the window and segment",
        warnings=_outside_note(tally, "reference requests made in the window", cell.segment),
        accounts_segmented=False,
    )  # fmt: skip


TIME_TO_FILL = register(
    Definition(
        TIME_TO_FILL_SPEC,
        _time_to_fill_tallies,
        _time_to_fill_finish,
        on_records=ReferenceRequest,
        needs=("reference_requests",),
    )
)


# -- 41. review velocity ------------------------------------------------------------------------

REVIEW_VELOCITY_SPEC = MetricSpec(
    id="review_velocity",
    number=41,
    name="Review Velocity",
    family=Family.PROGRAM,
    kind=MetricKind.RATIO,
    definition=(
        "How many public reviews appear per month on G2, Capterra, TrustRadius, the app stores and the "
        "like: the pace of fresh reviews, which buyers and ranking algorithms reward, rather than the "
        "lifetime total."
    ),
    formula="reviews published in W / months in W",
    formula_latex=r"\frac{|\{r : p_r \in W\}|}{m(W)}",
    unit=Unit.PER_MONTH,
    direction=Direction.HIGHER_IS_BETTER,
    population="Review records whose published_at is in W.",
    window_semantics=(
        "A review belongs to W when its published_at is in W. Months in W: a calendar month counts 1, a "
        "quarter 3, a year 12 (and a span from the first of one month to the first of another counts its "
        "whole months); any other window counts its days / 30.4375. A segment matches a review through its "
        "account; reviews with no account belong to the whole only."
    ),
    undefined_when="Never: no review in a known window is a velocity of 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="003",
    pitfalls=(
        Pitfall(
            "Reporting the lifetime review count, which only ever grows.",
            "The value is reviews published in W per month of W.",
        ),
        Pitfall(
            "Comparing a quarter's review count with a month's.",
            "Dividing by the months in W puts windows of any length on one scale; change_from() tests counts "
            "with the conditional binomial test.",
        ),
        Pitfall(
            "Celebrating volume while ratings slide.",
            "Details give the mean rating and the count per platform beside the pace.",
        ),
    ),
    related=("customer_advocacy_rate", "influencer_and_advocate_mentions"),
    interpretation=(
        "The seed asks for new reviews per month. Calendar months count whole (a quarter is 3 months "
        "whatever its days); other windows count days / 30.4375. The interval is the Poisson score "
        "interval of the count over the months. Reviews with no account have no segment, so segment "
        "values add up to the whole only when every review has an account."
    ),
)


@metric(REVIEW_VELOCITY_SPEC)
def review_velocity(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Reviews published in ``window`` per month of it.

    .. math:: \frac{|\{r : p_r \in W\}|}{m(W)}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: reviews with ``published_at`` in this window count.
        segment: accounts whose reviews count (default: all; reviews with no account only count
            for the whole).
        confidence: level of the Poisson interval.

    Returns:
        Reviews per month (float); numerator the reviews, denominator the months; details give
        the reviews by platform and their mean rating.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        Never: no review is a velocity of 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = review_velocity(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (1.0, 3, 3.0)
        >>> r.details["by_platform"], round(r.details["mean_rating"], 2)
        ({'Capterra': 1, 'G2': 2}, 4.33)
        >>> review_velocity(tiny(), window=Window.year(2020)).value
        0.0
    """
    return REVIEW_VELOCITY.one(data, window=window, segment=segment, confidence=confidence)


def _named_segments(grid: Grid) -> tuple[int, ...]:
    return tuple(s for s, segment in enumerate(grid.segments) if not segment.is_all)


def _review_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    named = _named_segments(grid)
    tallies: list[Tally] = [
        {"reviews": 0, "rated": 0, "rating_sum": 0.0, "by_platform": {}, "anonymous": 0}
        for _ in range(grid.n_cells)
    ]  # fmt: skip
    for review in grid.records(Review):
        if review.account_id is None:
            for c in grid.cells_at(review.published_at, named):
                tallies[c]["anonymous"] += 1
        for c in grid.cells_at(review.published_at, grid.record_segments(review)):
            tally = tallies[c]
            tally["reviews"] += 1
            tally["by_platform"][review.platform] = tally["by_platform"].get(review.platform, 0) + 1
            if review.rating is not None:
                tally["rated"] += 1
                tally["rating_sum"] += review.rating
    return tallies


def _review_finish(cell: Cell, tally: Tally) -> MetricResult:
    count, months = tally["reviews"], cell.window.months
    anonymous = tally["anonymous"]
    warnings = (
        [f"{anonymous} reviews in the window have no account, so they are in no segment: figures over "
         "segments do not add up to the whole"]
        if anonymous else []
    )  # fmt: skip
    return cell.build(
        value=review_velocity_formula(count, months), numerator=count, denominator=months,
        sample_size=count, small_sample=False,
        interval=poisson_rate_interval(count, months, cell.params["confidence"]),
        components={"reviews": count, "rated": tally["rated"]},
        details={"by_platform": dict(sorted(tally["by_platform"].items())), "months": months,
                 "mean_rating": tally["rating_sum"] / tally["rated"] if tally["rated"] else None},
        warnings=warnings,
    )  # fmt: skip


REVIEW_VELOCITY = register(
    Definition(
        REVIEW_VELOCITY_SPEC,
        _review_tallies,
        _review_finish,
        checks={"confidence": check_confidence},
        needs=("reviews",),
    )
)


# -- 42 and 43. advocate-influenced pipeline and revenue ----------------------------------------

_TOUCHED = (
    "An opportunity is touched by advocacy when an advocacy asset influenced it (influences not empty) "
    "or its source is 'referral'."
)
_OPPORTUNITY_SEGMENTS = (
    "Each amount is converted into the basis currency once. A segment matches an opportunity through its "
    "account when it has one, else through its own attributes."
)
_REFERRAL_SOURCE = "referral_source"


def _required(basis: RevenueBasis | None) -> RevenueBasis:
    """The basis `check_args` has already insisted on, with its type narrowed."""
    if basis is None:  # pragma: no cover - check_args refuses a missing basis first
        raise ParameterError("basis", "programme metrics", "a RevenueBasis (required)", None)
    return basis


def _opportunity_tally() -> Tally:
    return {"all": 0, "all_amount": zero(), "touched": 0, "touched_amount": zero(), "by_influence": {},
            "outside": 0}  # fmt: skip


def _add_opportunity(
    grid: Grid, opportunity: Opportunity, instant: datetime, amount: Decimal, tallies: list[Tally]
) -> None:
    """Add one opportunity at ``instant`` to its cells: to the whole, and where advocacy touched it."""
    outside = grid.outside_segments(opportunity)
    if outside:
        for c in grid.cells_at(instant, outside):
            tallies[c]["outside"] += opportunity.advocacy_touched
    touched = opportunity.advocacy_touched
    channels = [asset.value for asset in opportunity.influences]
    if opportunity.source == "referral":
        channels.append(_REFERRAL_SOURCE)
    for c in grid.cells_at(instant, grid.record_segments(opportunity)):
        tally = tallies[c]
        tally["all"] += 1
        tally["all_amount"] += amount
        if touched:
            tally["touched"] += 1
            tally["touched_amount"] += amount
            for channel in channels:
                tally["by_influence"][channel] = tally["by_influence"].get(channel, zero()) + amount


def _convert(basis: RevenueBasis, opportunity: Opportunity) -> Decimal:
    return basis.convert(opportunity.amount, opportunity.currency, f"Opportunity {opportunity.id!r}")


INFLUENCED_PIPELINE_SPEC = MetricSpec(
    id="advocate_influenced_pipeline",
    number=42,
    name="Advocate-Influenced Pipeline",
    family=Family.PROGRAM,
    kind=MetricKind.SUM,
    definition=(
        "The value of the sales pipeline opened in the window that advocacy touched: deals a reference "
        "call, case study, review or other asset influenced, and deals a referral brought in. Details "
        "set it against all the pipeline opened in the window."
    ),
    formula="sum of the amounts of opportunities created in W that advocacy touched (asset or referral)",
    formula_latex=r"\sum_{o \,:\, c_o \in W,\ I_o \neq \varnothing \lor \mathrm{src}_o = \mathrm{referral}} x_o",
    unit=Unit.MONEY,
    direction=Direction.HIGHER_IS_BETTER,
    population="Opportunities whose created_at is in W.",
    window_semantics=f"An opportunity belongs to W when its created_at is in W. {_TOUCHED} {_OPPORTUNITY_SEGMENTS}",
    undefined_when="Never: when no touched opportunity was created in W the amount is 0.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.CURRENCY,
    signal=SignalType.GROWTH,
    seed="003",
    pitfalls=(
        Pitfall(
            "Claiming the whole pipeline for advocacy, or counting a deal once per asset that touched it.",
            "Each touched opportunity counts once in the value; details split amounts by asset (a deal "
            "touched by two assets appears under both there) and give the share of all pipeline.",
        ),
        Pitfall(
            "Adding amounts in several currencies without converting them.",
            "Each amount is converted once through the basis' FX rates; a currency without a rate is a "
            "CurrencyMismatchError naming both currencies.",
        ),
        Pitfall(
            "Reading influence as cause: deals that needed a reference were often the larger ones anyway.",
            "The metric reports association only; compare win rates with and without influence before "
            "crediting the programme.",
        ),
    ),
    related=(
        "advocate_influenced_revenue",
        "referral_pipeline_contribution_rate",
        "reference_request_fill_rate",
    ),
    interpretation=(
        "The seed counts deals where a reference, case study or referral touched the cycle; the library "
        "takes any recorded influence (Opportunity.influences) or a 'referral' source. The basis supplies "
        "only the currency: amounts are the opportunities' own, so ARR, MRR, ACV and TCV bases in one "
        "currency give the same value."
    ),
)


@metric(INFLUENCED_PIPELINE_SPEC)
def advocate_influenced_pipeline(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Amount of the opportunities created in ``window`` that advocacy touched.

    .. math:: \sum_{o \,:\, c_o \in W,\ o \text{ touched}} x_o

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: opportunities with ``created_at`` in this window count.
        segment: matched through an opportunity's account, else its attributes (default: all).
        basis: required for its currency (and FX rates); its kind is not used.

    Returns:
        Money (Decimal in the basis currency); components ``opportunities`` and
        ``touched_opportunities``; details ``share_of_pipeline``, ``pipeline`` and ``by_influence``.

    Raises:
        ParameterError: a bad argument, or no basis.
        SegmentNotApplicableError: the segment names an attribute neither accounts nor
            opportunities carry.
        CurrencyMismatchError: an amount is in a currency the basis has no FX rate for.

    Undefined when:
        Never: with no touched opportunity the amount is ``Decimal(0)``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_influenced_pipeline(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
        >>> r.value, r.details["share_of_pipeline"]
        (Decimal('80000'), 0.8)
        >>> advocate_influenced_pipeline(tiny(), window=Window.year(2020), basis=RevenueBasis.arr("USD")).value
        Decimal('0')
    """
    return INFLUENCED_PIPELINE.one(data, window=window, segment=segment, basis=basis)


def _influenced_pipeline_tallies(run: Run) -> list[Tally]:
    grid, basis = run.grid, _required(run.basis)
    tallies = [_opportunity_tally() for _ in range(grid.n_cells)]
    for opportunity in grid.records(Opportunity):
        _add_opportunity(grid, opportunity, opportunity.created_at, _convert(basis, opportunity), tallies)
    return tallies


def _influenced_finish(cell: Cell, tally: Tally, *, whole: str, what: str, value: Decimal) -> MetricResult:
    return cell.build(
        value=value, sample_size=tally["touched"], small_sample=False,
        components={"opportunities": tally["all"], "touched_opportunities": tally["touched"]},
        details={f"share_of_{whole}": advocate_influenced_share(tally["touched_amount"], tally["all_amount"]),
                 whole: tally["all_amount"],
                 "by_influence": dict(sorted(tally["by_influence"].items()))},
        warnings=_outside_note(tally, what, cell.segment), accounts_segmented=False,
    )  # fmt: skip


def _influenced_pipeline_finish(cell: Cell, tally: Tally) -> MetricResult:
    value = influenced_pipeline_formula([tally["touched_amount"]])
    what = "advocacy-touched opportunities created in the window"
    return _influenced_finish(cell, tally, whole="pipeline", what=what, value=value)


INFLUENCED_PIPELINE = register(
    Definition(
        INFLUENCED_PIPELINE_SPEC,
        _influenced_pipeline_tallies,
        _influenced_pipeline_finish,
        on_records=Opportunity,
        needs=("opportunities",),
    )
)


INFLUENCED_REVENUE_SPEC = MetricSpec(
    id="advocate_influenced_revenue",
    number=43,
    name="Advocate-Influenced Revenue",
    family=Family.PROGRAM,
    kind=MetricKind.SUM,
    definition=(
        "The value of the deals won in the window that advocacy touched: a reference, case study, review "
        "or other asset influenced them, or a referral brought them in. Details set it against all the "
        "revenue won in the window."
    ),
    formula="sum of the amounts of opportunities won with closed_at in W that advocacy touched (asset or referral)",
    formula_latex=r"\sum_{o \,:\, w_o,\ z_o \in W,\ I_o \neq \varnothing \lor \mathrm{src}_o = \mathrm{referral}} x_o",
    unit=Unit.MONEY,
    direction=Direction.HIGHER_IS_BETTER,
    population="Opportunities won (won is True) whose closed_at is in W.",
    window_semantics=(
        f"A won opportunity belongs to W when its closed_at is in W, whenever it was created. {_TOUCHED} "
        f"{_OPPORTUNITY_SEGMENTS}"
    ),
    undefined_when="Never: when no touched opportunity was won in W the amount is 0.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.CURRENCY,
    signal=SignalType.GROWTH,
    seed="003",
    pitfalls=(
        Pitfall(
            "Counting open or lost deals as revenue.",
            "Only opportunities with won True and closed_at in W count.",
        ),
        Pitfall(
            "Booking a deal in the window it was created rather than won.",
            "The window selects on closed_at; advocate_influenced_pipeline selects on created_at.",
        ),
        Pitfall(
            "Reading influence as cause.",
            "The metric reports association; details give the share of all won revenue for context.",
        ),
    ),
    related=("advocate_influenced_pipeline", "revenue_from_referrals", "referral_pipeline_contribution_rate"),
    interpretation=(
        "Revenue is the won opportunities' own amounts, not contract values: the basis supplies only the "
        "currency. " + _TOUCHED
    ),
)


@metric(INFLUENCED_REVENUE_SPEC)
def advocate_influenced_revenue(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Amount of the opportunities won in ``window`` that advocacy touched.

    .. math:: \sum_{o \,:\, o \text{ won},\ z_o \in W,\ o \text{ touched}} x_o

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: opportunities won with ``closed_at`` in this window count.
        segment: matched through an opportunity's account, else its attributes (default: all).
        basis: required for its currency (and FX rates); its kind is not used.

    Returns:
        Money (Decimal in the basis currency); components ``opportunities`` (won in W) and
        ``touched_opportunities``; details ``share_of_won_revenue``, ``won_revenue`` and
        ``by_influence``.

    Raises:
        ParameterError: a bad argument, or no basis.
        SegmentNotApplicableError: the segment names an attribute neither accounts nor
            opportunities carry.
        CurrencyMismatchError: an amount is in a currency the basis has no FX rate for.

    Undefined when:
        Never: with no touched won opportunity the amount is ``Decimal(0)``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_influenced_revenue(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
        >>> r.value, r.details["share_of_won_revenue"]
        (Decimal('90000'), 1.0)
        >>> advocate_influenced_revenue(tiny(), window=Window.year(2020), basis=RevenueBasis.arr("USD")).value
        Decimal('0')
    """
    return INFLUENCED_REVENUE.one(data, window=window, segment=segment, basis=basis)


def _influenced_revenue_tallies(run: Run) -> list[Tally]:
    grid, basis = run.grid, _required(run.basis)
    tallies = [_opportunity_tally() for _ in range(grid.n_cells)]
    # Won deals are found by closed_at, which the created_at index does not order.
    for opportunity in run.data.opportunities:
        closed = opportunity.closed_at
        if opportunity.won is True and closed is not None and grid.start <= closed < grid.end:
            _add_opportunity(grid, opportunity, closed, _convert(basis, opportunity), tallies)
    return tallies


def _influenced_revenue_finish(cell: Cell, tally: Tally) -> MetricResult:
    value = influenced_revenue_formula([tally["touched_amount"]])
    what = "advocacy-touched opportunities won in the window"
    return _influenced_finish(cell, tally, whole="won_revenue", what=what, value=value)


INFLUENCED_REVENUE = register(
    Definition(
        INFLUENCED_REVENUE_SPEC,
        _influenced_revenue_tallies,
        _influenced_revenue_finish,
        on_records=Opportunity,
        needs=("opportunities",),
    )
)


# -- 44. influencer and advocate mentions -------------------------------------------------------

MENTION_AUTHORS_COUNTED: Final = ("influencer", "advocate")
"""The mention authors influencer_and_advocate_mentions counts."""

MENTIONS_SPEC = MetricSpec(
    id="influencer_and_advocate_mentions",
    number=44,
    name="Influencer and Advocate Mentions",
    family=Family.PROGRAM,
    kind=MetricKind.COUNT,
    definition=(
        "How often influencers and your own advocates mentioned the brand in public during the window, "
        "unpaid: the reach advocacy earns beyond the customers who refer or review."
    ),
    formula="count of organic mentions in W whose author_kind is influencer or advocate",
    formula_latex=r"|\{m : p_m \in W,\ m.\mathrm{organic},\ k_m \in \{\mathrm{influencer}, \mathrm{advocate}\}\}|",
    unit=Unit.COUNT,
    direction=Direction.HIGHER_IS_BETTER,
    population="Mention records whose published_at is in W.",
    window_semantics=(
        "A mention belongs to W when its published_at is in W; it counts when it is organic and its author "
        "is an influencer or an advocate. Segments match the mention's own attributes."
    ),
    undefined_when="Never: no such mention in a known window is a count of 0.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="003, 004",
    pitfalls=(
        Pitfall(
            "Counting sponsored posts as earned advocacy.",
            "Paid mentions are left out and counted in details.",
        ),
        Pitfall(
            "Counting every mention, including the media's and strangers', as advocates' reach.",
            "Only influencer and advocate authors count; details split the two.",
        ),
        Pitfall(
            "Comparing a month's count with a quarter's.",
            "change_from() refuses windows of different length and tests counts with the conditional binomial test.",
        ),
    ),
    related=("brand_sentiment", "social_shares", "review_velocity"),
    interpretation=(
        "The catalogue leaves 'advocates' to the mention's author_kind: the library counts author_kind "
        "'influencer' or 'advocate', organic only, whatever the sentiment (details split it). The interval "
        "is the Poisson score interval of the count, the window being one unit of exposure."
    ),
)


@metric(MENTIONS_SPEC)
def influencer_and_advocate_mentions(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None, confidence: float = 0.95
) -> MetricResult:
    r"""Number of organic mentions in ``window`` by influencers and advocates.

    .. math:: |\{m \in W : m \text{ organic},\ k_m \in \{\text{influencer}, \text{advocate}\}\}|

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: mentions with ``published_at`` in this window count.
        segment: matched on the mentions' own attributes (default: all).
        confidence: level of the Poisson interval (the window is one unit of exposure).

    Returns:
        A count (int); components ``influencer`` and ``advocate``; details give the mentions by
        platform and sentiment and the paid ones left out.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an attribute no mention carries.

    Undefined when:
        Never: no such mention is a count of 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = influencer_and_advocate_mentions(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (1, {'mentions': 1, 'influencer': 1, 'advocate': 0})
        >>> influencer_and_advocate_mentions(tiny(), window=Window.year(2020)).value
        0
    """
    return MENTIONS.one(data, window=window, segment=segment, confidence=confidence)


def _mention_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    tallies: list[Tally] = [
        {"mentions": 0, "by_author": {}, "by_platform": {}, "by_sentiment": {}, "paid": 0, "outside": 0}
        for _ in range(grid.n_cells)
    ]  # fmt: skip
    for mention in grid.records(Mention):
        if mention.author_kind not in MENTION_AUTHORS_COUNTED:
            continue
        instant = mention.published_at
        if mention.organic:
            outside = grid.outside_segments(mention)
            if outside:
                for c in grid.cells_at(instant, outside):
                    tallies[c]["outside"] += 1
        platform = mention.platform or "unknown"
        sentiment = mention.sentiment.value if mention.sentiment is not None else "unlabelled"
        for c in grid.cells_at(instant, grid.record_segments(mention)):
            tally = tallies[c]
            if not mention.organic:
                tally["paid"] += 1
                continue
            tally["mentions"] += 1
            for name, key in (("by_author", mention.author_kind), ("by_platform", platform),
                              ("by_sentiment", sentiment)):  # fmt: skip
                tally[name][key] = tally[name].get(key, 0) + 1
    return tallies


def _mention_finish(cell: Cell, tally: Tally) -> MetricResult:
    count = mentions_formula(tally["mentions"])
    by_author = tally["by_author"]
    return cell.build(
        value=count, sample_size=count, small_sample=False,
        interval=poisson_rate_interval(count, 1.0, cell.params["confidence"]),
        components={"mentions": count, **{k: by_author.get(k, 0) for k in MENTION_AUTHORS_COUNTED}},
        details={"by_platform": dict(sorted(tally["by_platform"].items())),
                 "by_sentiment": dict(sorted(tally["by_sentiment"].items())), "paid_left_out": tally["paid"]},
        warnings=_outside_note(tally, "counted mentions in the window", cell.segment),
        accounts_segmented=False,
    )  # fmt: skip


MENTIONS = register(
    Definition(
        MENTIONS_SPEC,
        _mention_tallies,
        _mention_finish,
        checks={"confidence": check_confidence},
        on_records=Mention,
        needs=("mentions",),
    )
)


# -- 45. community growth rate ------------------------------------------------------------------

COMMUNITY_SPEC = MetricSpec(
    id="community_growth_rate",
    number=45,
    name="Community Growth Rate",
    family=Family.PROGRAM,
    kind=MetricKind.RATIO,
    definition=(
        "How much the user community grew over the window: the members at its close against the members "
        "at its opening. Negative when more people left than joined."
    ),
    formula="(M(W.end) - M(W.start)) / M(W.start), M(t) = community members at t",
    formula_latex=r"\frac{M(W_{end}) - M(W_{start})}{M(W_{start})}",
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population="CommunityMember records, at the instants W.start and W.end.",
    window_semantics=(
        "A member belongs to the community at t when joined_at < t and left_at is None or left_at >= t "
        "(the state just before t). So M(W.end) = M(W.start) + members joined in W - members left in W. "
        "A segment matches a member through its account; members with no account belong to the whole only."
    ),
    undefined_when="The community had no member at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="003",
    pitfalls=(
        Pitfall(
            "Reporting sign-ups as growth while members leave.",
            "Growth is net: members at the end against members at the start; joined and left are in components.",
        ),
        Pitfall(
            "Quoting a growth rate for a community that started the window empty.",
            "Growth from zero members is undefined, with the members at the end still in components.",
        ),
    ),
    related=("customer_advocacy_rate", "advocate_pool_size"),
    interpretation=(
        "The catalogue's state at t applies: someone who joined exactly at W.start is not yet a member at "
        "W.start but is one at W.end; someone who left exactly at W.end is still a member at W.end. Members "
        "with no account have no segment, so segment values add up to the whole only when every member has "
        "an account."
    ),
)


@metric(COMMUNITY_SPEC)
def community_growth_rate(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    r"""Net growth of the community over ``window``: members at its end against members at its start.

    .. math:: \frac{M(W_{end}) - M(W_{start})}{M(W_{start})}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: members are counted at ``window.start`` and ``window.end``.
        segment: accounts whose members count (default: all; members without an account only
            count for the whole).

    Returns:
        A ratio (float, negative when the community shrank); numerator the net change,
        denominator the members at the start; components ``members_at_start``,
        ``members_at_end``, ``joined`` and ``left``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        The community had no member at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = community_growth_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (0.0, {'members_at_start': 2, 'members_at_end': 2, 'joined': 1, 'left': 1})
        >>> community_growth_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no community members at the start of the window in the segment'
    """
    return COMMUNITY.one(data, window=window, segment=segment)


def _members_at(joined: Sequence[datetime], left: Sequence[datetime], instant: datetime) -> int:
    """Members at ``instant``: joined before it, less those who also left before it."""
    return bisect.bisect_left(joined, instant) - bisect.bisect_left(left, instant)


def _between(instants: Sequence[datetime], window: Window) -> int:
    return bisect.bisect_left(instants, window.end) - bisect.bisect_left(instants, window.start)


def _community_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    ns = grid.n_segments
    joined: list[list[datetime]] = [[] for _ in range(ns)]
    left: list[list[datetime]] = [[] for _ in range(ns)]
    anonymous_joined: list[datetime] = []
    anonymous_left: list[datetime] = []
    for member in run.data.community_members:
        for s in grid.record_segments(member):
            joined[s].append(member.joined_at)
            if member.left_at is not None:
                left[s].append(member.left_at)
        if member.account_id is None:
            anonymous_joined.append(member.joined_at)
            if member.left_at is not None:
                anonymous_left.append(member.left_at)
    for instants in (*joined, *left, anonymous_joined, anonymous_left):
        instants.sort()
    named = set(_named_segments(grid))
    tallies: list[Tally] = []
    for window in grid.windows:
        anonymous = (
            _members_at(anonymous_joined, anonymous_left, window.start),
            _members_at(anonymous_joined, anonymous_left, window.end),
        )
        for s in range(ns):
            outside = anonymous if s in named else (0, 0)
            tallies.append(
                {
                    "start": _members_at(joined[s], left[s], window.start),
                    "end": _members_at(joined[s], left[s], window.end),
                    "joined": _between(joined[s], window),
                    "left": _between(left[s], window),
                    "anonymous_start": outside[0],
                    "anonymous_end": outside[1],
                }
            )
    return tallies


def _community_finish(cell: Cell, tally: Tally) -> MetricResult:
    start, end = tally["start"], tally["end"]
    at_start, at_end = tally["anonymous_start"], tally["anonymous_end"]
    warnings = (
        [f"{at_start} community members at the start of the window and {at_end} at its end have no account, "
         "so they are in no segment: figures over segments do not add up to the whole"]
        if at_start or at_end else []
    )  # fmt: skip
    return cell.build(
        value=community_growth_formula(start, end),
        undefined_reason="no community members at the start of the window in the segment",
        numerator=end - start, denominator=start, sample_size=start,
        components={"members_at_start": start, "members_at_end": end, "joined": tally["joined"],
                    "left": tally["left"]},
        warnings=warnings,
    )  # fmt: skip


COMMUNITY = register(
    Definition(COMMUNITY_SPEC, _community_tallies, _community_finish, needs=("community_members",))
)


# -- 46. tap policy compliance ------------------------------------------------------------------


def _check_policy(policy: object, function: str) -> TapPolicy:
    if not isinstance(policy, TapPolicy):
        raise ParameterError(
            "policy", function, "a TapPolicy such as TapPolicy(high_effort_gap_months=3)", policy
        )
    return policy


def previous_asks(data: AdvocacyData, policy: TapPolicy = DEFAULT_TAP_POLICY) -> dict[str, Ask]:
    """For every ask that has one, the contact's previous ask of the same effort class.

    Asks are taken per contact (`Ask.contact`: the advocate within the account, else the account)
    in time order, asks at one instant by id. The effort class of each asset comes from
    ``policy``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> {k: v.id for k, v in previous_asks(tiny()).items()}
        {'k2': 'k1'}
    """
    found: dict[str, Ask] = {}
    for asks in data.by_contact(Ask).values():
        last: dict[Effort, Ask] = {}
        for ask in asks:
            effort = policy.effort_of(ask.asset)
            previous = last.get(effort)
            if previous is not None:
                found[ask.id] = previous
            last[effort] = ask
    return found


@attrs.frozen
class OverTap:
    """An ask that came sooner after the contact's previous ask of the same effort class than the
    tap policy allows.

    Attributes:
        contact: whom the policy spaces asks for: ``account/advocate``, or ``account/`` for an ask
            to the account with no advocate named.
        account_id: the account asked.
        advocate_id: the advocate asked, or None.
        asset: the asset of this ask.
        effort: its effort class under the policy.
        ask_id: this ask.
        asked_at: when it was made.
        previous_ask_id: the contact's previous ask of the same effort class.
        previous_asset: that ask's asset.
        previous_asked_at: when that ask was made.
        allowed_from: the first instant the policy allowed this ask.
    """

    contact: str
    account_id: str
    advocate_id: str | None
    asset: Asset
    effort: Effort
    ask_id: str
    asked_at: datetime
    previous_ask_id: str
    previous_asset: Asset
    previous_asked_at: datetime
    allowed_from: datetime

    @classmethod
    def check(cls, ask: Ask, previous: Ask | None, policy: TapPolicy) -> OverTap | None:
        """The over-tap ``ask`` is after ``previous`` under ``policy``, or None when it respects it."""
        effort = policy.effort_of(ask.asset)
        if previous is None or policy.allows(previous.asked_at, ask.asked_at, effort):
            return None
        return cls(
            contact=ask.contact, account_id=ask.account_id, advocate_id=ask.advocate_id, asset=ask.asset,
            effort=effort, ask_id=ask.id, asked_at=ask.asked_at, previous_ask_id=previous.id,
            previous_asset=previous.asset, previous_asked_at=previous.asked_at,
            allowed_from=policy.earliest_next(previous.asked_at, effort),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "contact": self.contact, "account_id": self.account_id, "advocate_id": self.advocate_id,
            "asset": self.asset.value, "effort": self.effort.value, "ask_id": self.ask_id,
            "asked_at": self.asked_at.isoformat(), "previous_ask_id": self.previous_ask_id,
            "previous_asset": self.previous_asset.value,
            "previous_asked_at": self.previous_asked_at.isoformat(),
            "allowed_from": self.allowed_from.isoformat(),
        }  # fmt: skip


def _ask_order(tap: OverTap) -> tuple[datetime, str]:
    return tap.asked_at, tap.ask_id


def find_over_taps(
    data: AdvocacyData, asks: Iterable[Ask], policy: TapPolicy = DEFAULT_TAP_POLICY
) -> list[OverTap]:
    """The asks among ``asks`` that broke ``policy``, in time order.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> find_over_taps(tiny(), tiny().asks)[0].previous_ask_id
        'k1'
    """
    previous = previous_asks(data, policy)
    found = [tap for ask in asks if (tap := OverTap.check(ask, previous.get(ask.id), policy)) is not None]
    return sorted(found, key=_ask_order)


TAP_SPEC = MetricSpec(
    id="tap_policy_compliance",
    number=46,
    name="Tap Policy Compliance",
    family=Family.PROGRAM,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of the asks made to customers during the window that respected the tap policy: no "
        "contact asked again for an asset of the same effort class sooner than the policy's gap (by "
        "default three calendar months for references, case studies and speaking, one month for reviews, "
        "community posts and referrals). Over-asking is how advocacy programmes burn out their best "
        "customers; the details name every over-tapped contact."
    ),
    formula="asks made in W that respect the tap policy / asks made in W",
    formula_latex=r"\frac{|\{k \in W : k \geq k^{-} + g(e_k)\}|}{|\{k \in W\}|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Ask records whose asked_at is in W.",
    window_semantics=(
        "An ask belongs to W when its asked_at is in W. It respects the policy when the same contact's "
        "previous ask of the same effort class (made in W or before it) lies at least the class's gap in "
        "calendar months earlier, or when there is none. A contact is the advocate asked within the "
        "account, or the account when the ask names no advocate."
    ),
    undefined_when="No ask was made in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.RETENTION,
    seed="000, 003",
    parameters=(
        Parameter("policy", "DEFAULT_TAP_POLICY", "the gaps per effort class and each asset's class"),
    ),
    pitfalls=(
        Pitfall(
            "Tapping the same three happy customers until they stop answering.",
            "Every ask sooner than the policy allows is listed in details with the two ask dates; the "
            "over-asking analysis (advocacy_kpis.analyses.over_asking) also names who may be asked now.",
        ),
        Pitfall(
            "Measuring the gap from the last ask of any kind, so a review request blocks a reference call.",
            "Gaps run per effort class: a low-effort ask does not block a high-effort one, nor the reverse.",
        ),
        Pitfall(
            "Missing over-asking that straddles the window's start.",
            "The previous ask is looked up before W too; only the later ask must lie in W.",
        ),
    ),
    related=("warm_introduction_offer_rate", "referral_readiness_score", "advocate_pool_size"),
    interpretation=(
        "The gap runs from the contact's previous ask of the same effort class, whether that ask itself "
        "respected the policy or not, and is measured in calendar months (an ask on 31 January reopens "
        "high-effort asks on 30 April). An ask exactly one gap after the previous one respects the policy. "
        "Of two asks of one class to one contact at the same instant, the one with the larger id breaks it. "
        "Asks to the account with no advocate named are spaced per account and do not block its advocates."
    ),
)


@metric(TAP_SPEC)
def tap_policy_compliance(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    policy: TapPolicy = DEFAULT_TAP_POLICY,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the asks made in ``window`` that respected the tap policy.

    .. math:: \frac{|\{k \in W : k \text{ respects the policy}\}|}{|\{k \in W\}|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: asks with ``asked_at`` in this window count.
        segment: accounts whose asks count (default: all).
        policy: the tap policy (gaps per effort class, and each asset's class).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; components count asks, compliant and over-tapped asks (also per effort
        class) and the over-tapped contacts; ``details["over_tapped"]`` lists each over-tapped
        ask (contact, asset, the two ask dates), as `OverTap.to_dict` gives it.

    Raises:
        ParameterError: a bad argument (``policy`` must be a `TapPolicy`).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No ask was made in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = tap_policy_compliance(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> [(o["contact"], o["previous_asked_at"][:10], o["asked_at"][:10]) for o in r.details["over_tapped"]]
        [('a1/v1', '2026-04-15', '2026-06-01')]
        >>> tap_policy_compliance(tiny(), window=Window.year(2020)).value is None
        True
    """
    return TAP.one(data, window=window, segment=segment, policy=policy, confidence=confidence)


def _tap_tallies(run: Run) -> list[Tally]:
    grid = run.grid
    policy: TapPolicy = run.params["policy"]
    previous = grid.cached(("previous_asks", policy), lambda: previous_asks(run.data, policy))
    tallies: list[Tally] = [
        {"asks": 0, "high_effort_asks": 0, "over_tapped": []} for _ in range(grid.n_cells)
    ]
    for ask in grid.records(Ask):
        cells = grid.cells_at(ask.asked_at, grid.account_segments(ask.account_id))
        if not cells:
            continue
        tap = OverTap.check(ask, previous.get(ask.id), policy)
        high = policy.effort_of(ask.asset) is Effort.HIGH
        for c in cells:
            tally = tallies[c]
            tally["asks"] += 1
            tally["high_effort_asks"] += high
            if tap is not None:
                tally["over_tapped"].append(tap)
    return tallies


def _tap_finish(cell: Cell, tally: Tally) -> MetricResult:
    policy: TapPolicy = cell.params["policy"]
    asks, high = tally["asks"], tally["high_effort_asks"]
    over: list[OverTap] = sorted(tally["over_tapped"], key=_ask_order)
    high_over = sum(tap.effort is Effort.HIGH for tap in over)
    compliant = asks - len(over)
    by_asset: dict[str, int] = {}
    for tap in over:
        by_asset[tap.asset.value] = by_asset.get(tap.asset.value, 0) + 1
    return cell.build(
        value=compliance_formula(compliant, asks),
        undefined_reason="no asks made in the window and segment",
        numerator=compliant, denominator=asks, sample_size=asks,
        interval=wilson_interval(compliant, asks, cell.params["confidence"]),
        components={"asks": asks, "compliant": compliant, "over_tapped": len(over),
                    "high_effort_asks": high, "high_effort_over_tapped": high_over,
                    "low_effort_asks": asks - high, "low_effort_over_tapped": len(over) - high_over,
                    "over_tapped_contacts": len({tap.contact for tap in over})},
        details={"over_tapped": [tap.to_dict() for tap in over],
                 "over_tapped_by_asset": dict(sorted(by_asset.items())),
                 "policy": tap_policy_summary(policy)},
    )  # fmt: skip


def tap_policy_summary(policy: TapPolicy) -> dict[str, Any]:
    """A policy's gaps and high-effort assets, JSON-safe, as results record it."""
    return {
        "high_effort_gap_months": policy.high_effort_gap_months,
        "low_effort_gap_months": policy.low_effort_gap_months,
        "high_effort_assets": sorted(a.value for a in Asset if policy.effort_of(a) is Effort.HIGH),
    }


TAP = register(
    Definition(
        TAP_SPEC,
        _tap_tallies,
        _tap_finish,
        checks={"policy": _check_policy, "confidence": check_confidence},
        needs=("asks",),
    )
)
