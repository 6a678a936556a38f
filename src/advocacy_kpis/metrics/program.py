"""Family 5, advocacy programme health and reach: supply, activity and influence (seed 003).

The advocacy supply chain: who is in the advocate pool, how active it is, whether sales'
reference requests are filled and how fast, public reviews and mentions, the pipeline and revenue
advocacy touched, the community, and whether asks respect the tap policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks import (
    ADD,
    ADVOCACY_EVENTS,
    CONCAT,
    CONFIDENCE,
    Amount,
    Block,
    Cell,
    Community,
    Events,
    Hits,
    Pool,
    RecordDurations,
    Records,
    Run,
    Source,
    as_of,
    checked,
    days,
    days_of,
    field,
    measures,
    unsegmented_note,
)
from advocacy_kpis.blocks.events import from_micros
from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
    Threshold,
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
from advocacy_kpis.metrics.engagement import ACTIVE, active_share
from advocacy_kpis.policy import DEFAULT_TAP_POLICY, TapPolicy
from advocacy_kpis.records import Ask, Asset, Effort, Mention, Opportunity, ReferenceRequest
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import poisson_rate_interval, wilson_interval
from advocacy_kpis.tally import Metric, Tally

if TYPE_CHECKING:
    from collections.abc import Iterable

    from advocacy_kpis.engines import Tables, TablesRun

__all__ = [
    "ADVOCACY_KINDS",
    "OverTap",
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

ADVOCACY_KINDS: Final = (
    "referral",
    "review",
    "reference",
    "case_study",
    "speaking",
    "community",
    "social_share",
)
"""The kinds of advocacy action, as customer_advocacy_rate details count accounts by them."""

ADVOCACY_SOURCES: Final = (
    "An advocacy action is any of: a referral sent (Referral, at invited_at); an advocacy asset "
    "delivered (AdvocacyAction of any asset: reference, case study, speaking, review, community or "
    "referral, at completed_at); a public review with an account (Review, at published_at); a social "
    "share (SocialShare, at shared_at); a reference request the account filled (ReferenceRequest, at "
    "filled_at)."
)

# -- 36. customer advocacy rate -----------------------------------------------------------------

_ACTIVE_TEXT = (
    "Active in W means a customer at some instant of W: customer_since < W.end and not churned "
    "before W.start (S ∪ N)."
)


def _actions(asset: Asset) -> Source:
    return Source("actions", where=field("asset") == asset)


ADVOCATES: Final = Hits(ADVOCACY_EVENTS, weigh=True)
"""Accounts active in W with any advocacy action in W."""

BY_KIND: Final = {
    "referral": Hits([Source("referrals"), _actions(Asset.REFERRAL)]),
    "review": Hits([Source("reviews"), _actions(Asset.REVIEW)]),
    "reference": Hits([_actions(Asset.REFERENCE), Source("reference_requests", time="filled_at")]),
    "case_study": Hits([_actions(Asset.CASE_STUDY)]),
    "speaking": Hits([_actions(Asset.SPEAKING)]),
    "community": Hits([_actions(Asset.COMMUNITY)]),
    "social_share": Hits([Source("social_shares")]),
}
"""Per kind of action, the accounts active in W with one in W."""

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
    parameters=(CONFIDENCE,),
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


def _advocacy_finish(cell: Cell, tally: Tally) -> MetricResult:
    details = {"accounts_by_kind": {kind: tally[hits].hits for kind, hits in BY_KIND.items()}}
    return active_share(cell, tally, ADVOCATES, details=details)


ADVOCACY: Final = Metric(
    ADVOCACY_SPEC, [ACTIVE, ADVOCATES, *BY_KIND.values()], _advocacy_finish,
    needs=("referrals", "actions", "reviews", "social_shares"),
)  # fmt: skip


@ADVOCACY.function
def customer_advocacy_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts active in ``window`` with at least one advocacy action in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_advocacy_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.6666666666666666, 4, 6)
        >>> customer_advocacy_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return ADVOCACY.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- 37 and 38. the advocate pool and its activation --------------------------------------------

_POOL_TEXT = (
    "An advocate is in the pool at an instant t when enrolled_at < t, it has not opted out before t "
    "(opted_out_at is None or >= t) and its account is a customer at t."
)

POOL_AT_END: Final = Pool()

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


def _pool_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[POOL_AT_END]
    size = pool_size_formula(found.advocates)
    return cell.build(
        value=size, sample_size=size, small_sample=False,
        components={"advocates": size, "accounts": found.accounts,
                    "enrolled_in_window": found.enrolled, "opted_out_in_window": found.opted_out},
        details={"at": cell.window.end.isoformat()},
    )  # fmt: skip


POOL: Final = Metric(POOL_SPEC, [POOL_AT_END], _pool_finish, needs=("advocates",))


@POOL.function
def advocate_pool_size(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Number of advocates in the pool at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_pool_size(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (2, {'advocates': 2, 'accounts': 2, 'enrolled_in_window': 0, 'opted_out_in_window': 0})
        >>> advocate_pool_size(tiny(), window=Window.year(2020)).value
        0
    """
    return POOL.one(data, window=window, segment=segment)


LOOKBACK: Final = days("lookback_days", 90, "days before W.end in which an action makes an advocate active")
ACTIVE_POOL: Final = Pool(lookback="lookback_days")

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
        LOOKBACK,
        CONFIDENCE,
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


def _activation_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[ACTIVE_POOL]
    pool, active = found.advocates, found.active
    lookback = cell.params["lookback_days"]
    end = cell.window.end
    return cell.build(
        value=activation_formula(active, pool),
        undefined_reason="the advocate pool is empty at the end of the window in the segment",
        numerator=active, denominator=pool, sample_size=pool, interval=wilson_interval(active, pool, cell.confidence),
        components={"pool": pool, "active": active},
        details={"lookback_days": lookback, "active_from": (end - timedelta(days=lookback)).isoformat(),
                 "active_until": end.isoformat()},
    )  # fmt: skip


ACTIVATION: Final = Metric(ACTIVATION_SPEC, [ACTIVE_POOL], _activation_finish, needs=("advocates", "actions"))


@ACTIVATION.function
def advocate_activation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    lookback_days: int = LOOKBACK.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the advocates in the pool at ``window.end`` with an advocacy action in the lookback.

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


# -- 39 and 40. reference requests --------------------------------------------------------------

FILL_THRESHOLD: Final = Threshold(
    0.70, "below", "fewer than 70% of reference requests filled is a sourcing problem: recruit references"
)

_REQUESTS_TEXT = (
    "A request belongs to W when its requested_at is in W. Segments match the request's own attributes "
    "(the industry, region or product sales asked for), never the account that filled it."
)

FILL_HORIZON: Final = days("fill_horizon_days", 30, "days after the request a fill may take to count")

_DUE = field("requested_at") + days_of("fill_horizon_days")
_MATURED = as_of() >= _DUE

REQUESTS: Final = Events(
    "reference_requests",
    own=True,
    counts={"requests": None, "matured": _MATURED, "filled": _MATURED & (field("filled_at") <= _DUE)},
    outside_when=field("id").not_null(),
    uses=("fill_horizon_days",),
)
"""Reference requests made in W, on their own attributes: matured, and filled within the horizon."""

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
    thresholds=(FILL_THRESHOLD,),
    parameters=(
        FILL_HORIZON,
        CONFIDENCE,
    ),
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


def _outside_note(count: int, what: str, segment: Segment) -> list[str]:
    return [unsegmented_note(count, what, segment)] if count else []


def _fill_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[REQUESTS]
    requests, matured, filled = (found.counts.get(n, 0) for n in ("requests", "matured", "filled"))
    horizon_days = cell.params["fill_horizon_days"]
    immature = requests - matured
    warnings = _outside_note(found.outside, "reference requests made in the window", cell.segment)
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
        interval=wilson_interval(filled, matured, cell.confidence),
        components={"requests": requests, "matured": matured, "filled": filled, "open": matured - filled,
                    "immature_excluded": immature},
        warnings=warnings, accounts_segmented=False,
    )  # fmt: skip


FILL_RATE: Final = Metric(
    FILL_RATE_SPEC, [REQUESTS], _fill_finish, needs=("reference_requests",), on_records=ReferenceRequest
)


@FILL_RATE.function
def reference_request_fill_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    fill_horizon_days: int = FILL_HORIZON.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the matured reference requests made in ``window`` that were filled within ``fill_horizon_days``.

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


FILLS: Final = RecordDurations("reference_requests", event=field("filled_at"), own=True)
"""Reference requests made in W, followed to their fill."""

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


def _time_to_fill_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[FILLS]
    return measures.survival(
        cell, found.observations, event_name="been filled",
        empty_reason="no reference requests made in the window and segment",
        warnings=_outside_note(found.outside, "reference requests made in the window", cell.segment),
        accounts_segmented=False,
    )  # fmt: skip


TIME_TO_FILL: Final = Metric(
    TIME_TO_FILL_SPEC,
    [FILLS],
    _time_to_fill_finish,
    needs=("reference_requests",),
    on_records=ReferenceRequest,
)


@TIME_TO_FILL.function
def reference_time_to_fill(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Kaplan-Meier median days from request to fill, for reference requests made in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = reference_time_to_fill(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (7.0, {'cohort': 2, 'events': 1, 'censored': 1})
        >>> reference_time_to_fill(tiny(), window=Window.year(2020)).undefined_reason
        'no reference requests made in the window and segment'
    """
    return TIME_TO_FILL.one(data, window=window, segment=segment)


# -- 41. review velocity ------------------------------------------------------------------------

REVIEWS: Final = Events(
    "reviews",
    counts={"reviews": None, "rated": field("rating").not_null()},
    by={"platform": field("platform"), "rating": field("rating")},
    outside_when=field("account_id").is_null(),
)
"""Reviews published in W: by platform and by rating; anonymous ones are in no named segment."""

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
    parameters=(CONFIDENCE,),
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


def _review_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[REVIEWS]
    count_, months = found.counts.get("reviews", 0), cell.window.months
    rated = found.counts.get("rated", 0)
    ratings = found.by.get("rating", {})
    anonymous = found.outside
    warnings = (
        [f"{anonymous} reviews in the window have no account, so they are in no segment: figures over "
         "segments do not add up to the whole"]
        if anonymous else []
    )  # fmt: skip
    return cell.build(
        value=review_velocity_formula(count_, months), numerator=count_, denominator=months,
        sample_size=count_, small_sample=False, interval=poisson_rate_interval(count_, months, cell.confidence),
        components={"reviews": count_, "rated": rated},
        details={"by_platform": dict(sorted(found.by.get("platform", {}).items())), "months": months,
                 "mean_rating": _mean(ratings) if rated else None},
        warnings=warnings,
    )  # fmt: skip


def _mean(counts: dict[Any, int]) -> float:
    """The mean of values given by how often each occurs, summed in value order."""
    total = 0.0
    for value in sorted(counts):
        total += value * counts[value]
    return total / sum(counts.values())


REVIEW_VELOCITY: Final = Metric(REVIEW_VELOCITY_SPEC, [REVIEWS], _review_finish, needs=("reviews",))


@REVIEW_VELOCITY.function
def review_velocity(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Reviews published in ``window`` per month of it.

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


# -- 42 and 43. advocate-influenced pipeline and revenue ----------------------------------------

_TOUCHED = (
    "An opportunity is touched by advocacy when an advocacy asset influenced it (influences not empty) "
    "or its source is 'referral'."
)
_OPPORTUNITY_SEGMENTS = (
    "Each amount is converted into the basis currency once. A segment matches an opportunity through its "
    "account when it has one, else through its own attributes."
)
_REFERRAL_SOURCE: Final = "referral_source"

_AMOUNT = Amount(field("amount"), field("currency"))
_FROM_REFERRAL = field("source") == "referral"
_TOUCHED_BY = (field("influences").list_len() > 0) | _FROM_REFERRAL
_CHANNELS: Final = {
    **{asset.value: field("influences").contains(asset) for asset in Asset},
    _REFERRAL_SOURCE: _FROM_REFERRAL,
}


def _opportunities(time: str | None, where: Any = None) -> Events:
    return Events(
        "opportunities",
        time=time,
        where=where,
        counts={"all": None, "touched": _TOUCHED_BY},
        money={
            "all_amount": (_AMOUNT, None),
            "touched_amount": (_AMOUNT, _TOUCHED_BY),
            **{f"by_{name}": (_AMOUNT, _TOUCHED_BY & channel) for name, channel in _CHANNELS.items()},
        },
        outside_when=_TOUCHED_BY,
    )


CREATED: Final = _opportunities(None)
"""Opportunities created in W, the ones advocacy touched, and their amounts by influence."""

WON: Final = _opportunities("closed_at", field("won") == True)  # noqa: E712  (an expression)
"""Opportunities won with closed_at in W, likewise."""


def _influenced_finish(cell: Cell, tally: Tally, block: Events, *, whole: str, what: str) -> MetricResult:
    found = tally[block]
    money = found.money
    touched_amount, all_amount = money.get("touched_amount", Decimal(0)), money.get("all_amount", Decimal(0))
    formula = influenced_pipeline_formula if block is CREATED else influenced_revenue_formula
    by_influence = {name: money[f"by_{name}"] for name in _CHANNELS if f"by_{name}" in money}
    touched = found.counts.get("touched", 0)
    return cell.build(
        value=formula([touched_amount]), sample_size=touched, small_sample=False,
        components={"opportunities": found.counts.get("all", 0), "touched_opportunities": touched},
        details={f"share_of_{whole}": advocate_influenced_share(touched_amount, all_amount),
                 whole: all_amount, "by_influence": dict(sorted(by_influence.items()))},
        warnings=_outside_note(found.outside, what, cell.segment), accounts_segmented=False,
    )  # fmt: skip


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

INFLUENCED_PIPELINE: Final = Metric(
    INFLUENCED_PIPELINE_SPEC, [CREATED],
    lambda cell, tally: _influenced_finish(
        cell, tally, CREATED, whole="pipeline", what="advocacy-touched opportunities created in the window"
    ),
    needs=("opportunities",), on_records=Opportunity,
)  # fmt: skip


@INFLUENCED_PIPELINE.function
def advocate_influenced_pipeline(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Amount of the opportunities created in ``window`` that advocacy touched.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_influenced_pipeline(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
        >>> r.value, r.details["share_of_pipeline"]
        (Decimal('80000'), 0.8)
        >>> advocate_influenced_pipeline(tiny(), window=Window.year(2020), basis=RevenueBasis.arr("USD")).value
        Decimal('0')
    """
    return INFLUENCED_PIPELINE.one(data, window=window, segment=segment, basis=basis)


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

INFLUENCED_REVENUE: Final = Metric(
    INFLUENCED_REVENUE_SPEC, [WON],
    lambda cell, tally: _influenced_finish(
        cell, tally, WON, whole="won_revenue", what="advocacy-touched opportunities won in the window"
    ),
    needs=("opportunities",), on_records=Opportunity,
)  # fmt: skip


@INFLUENCED_REVENUE.function
def advocate_influenced_revenue(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Amount of the opportunities won in ``window`` that advocacy touched.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = advocate_influenced_revenue(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
        >>> r.value, r.details["share_of_won_revenue"]
        (Decimal('90000'), 1.0)
        >>> advocate_influenced_revenue(tiny(), window=Window.year(2020), basis=RevenueBasis.arr("USD")).value
        Decimal('0')
    """
    return INFLUENCED_REVENUE.one(data, window=window, segment=segment, basis=basis)


# -- 44. influencer and advocate mentions -------------------------------------------------------

MENTION_AUTHORS_COUNTED: Final = ("influencer", "advocate")
"""The mention authors influencer_and_advocate_mentions counts."""

_ORGANIC = field("organic")

MENTIONS_BY: Final = Events(
    "mentions",
    where=field("author_kind").is_in(MENTION_AUTHORS_COUNTED),
    counts={"mentions": _ORGANIC, "paid": ~_ORGANIC},
    by={
        "author": field("author_kind").when(_ORGANIC),
        "platform": field("platform").fill_null("unknown").when(_ORGANIC),
        "sentiment": field("sentiment").fill_null("unlabelled").when(_ORGANIC),
    },
    outside_when=_ORGANIC,
)
"""Mentions by influencers and advocates published in W; organic ones counted, paid ones apart."""

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
    parameters=(CONFIDENCE,),
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


def _mention_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[MENTIONS_BY]
    mentions = mentions_formula(found.counts.get("mentions", 0))
    by_author = found.by.get("author", {})
    return measures.count(
        cell, mentions,
        components={"mentions": mentions, **{k: by_author.get(k, 0) for k in MENTION_AUTHORS_COUNTED}},
        details={"by_platform": dict(sorted(found.by.get("platform", {}).items())),
                 "by_sentiment": dict(sorted(found.by.get("sentiment", {}).items())),
                 "paid_left_out": found.counts.get("paid", 0)},
        warnings=_outside_note(found.outside, "counted mentions in the window", cell.segment),
        accounts_segmented=False,
    )  # fmt: skip


MENTIONS: Final = Metric(
    MENTIONS_SPEC, [MENTIONS_BY], _mention_finish, needs=("mentions",), on_records=Mention
)


@MENTIONS.function
def influencer_and_advocate_mentions(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Number of organic mentions in ``window`` by influencers and advocates.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = influencer_and_advocate_mentions(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (1, {'mentions': 1, 'influencer': 1, 'advocate': 0})
        >>> influencer_and_advocate_mentions(tiny(), window=Window.year(2020)).value
        0
    """
    return MENTIONS.one(data, window=window, segment=segment, confidence=confidence)


# -- 45. community growth rate ------------------------------------------------------------------

MEMBERS: Final = Community()

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


def _community_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[MEMBERS]
    start, end = found.start, found.end
    at_start, at_end = found.anonymous_start, found.anonymous_end
    warnings = (
        [f"{at_start} community members at the start of the window and {at_end} at its end have no account, "
         "so they are in no segment: figures over segments do not add up to the whole"]
        if at_start or at_end else []
    )  # fmt: skip
    return cell.build(
        value=community_growth_formula(start, end),
        undefined_reason="no community members at the start of the window in the segment",
        numerator=end - start, denominator=start, sample_size=start,
        components={"members_at_start": start, "members_at_end": end, "joined": found.joined, "left": found.left},
        warnings=warnings,
    )  # fmt: skip


COMMUNITY: Final = Metric(COMMUNITY_SPEC, [MEMBERS], _community_finish, needs=("community_members",))


@COMMUNITY.function
def community_growth_rate(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Net growth of the community over ``window``: members at its end against members at its start.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = community_growth_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (0.0, {'members_at_start': 2, 'members_at_end': 2, 'joined': 1, 'left': 1})
        >>> community_growth_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no community members at the start of the window in the segment'
    """
    return COMMUNITY.one(data, window=window, segment=segment)


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


POLICY: Final = checked(
    "policy", DEFAULT_TAP_POLICY, "the gaps per effort class and each asset's class", _check_policy,
    "DEFAULT_TAP_POLICY",
)  # fmt: skip


@attrs.define
class TapState:
    """The asks of one cell.

    Attributes:
        asks: asks made in W.
        high_effort_asks: those for a high-effort asset.
        over_tapped: the asks that broke the policy (`OverTap`).
    """

    asks: int = attrs.field(default=0, metadata=ADD)
    high_effort_asks: int = attrs.field(default=0, metadata=ADD)
    over_tapped: list[OverTap] = attrs.field(factory=list, metadata=CONCAT)


@attrs.frozen(eq=False)
class Asks(Block[TapState]):
    """Asks made in each window, and those that broke the tap policy: a custom block, as a break is
    read against the contact's previous ask of the same effort class, wherever it lies."""

    uses: ClassVar[tuple[str, ...]] = ("policy",)
    state: ClassVar = TapState

    def on_records(self, run: Run[Records]) -> list[TapState]:
        grid, records = run.grid, run.context
        policy: TapPolicy = run.params["policy"]
        previous = records.cached(("previous_asks", policy), lambda: previous_asks(records.data, policy))
        out = [TapState() for _ in range(grid.n_cells)]
        for ask in records.records(Ask):
            cells = grid.cells_at(ask.asked_at, records.account_segments(ask.account_id))
            if not cells:
                continue
            tap = OverTap.check(ask, previous.get(ask.id), policy)
            high = policy.effort_of(ask.asset) is Effort.HIGH
            for c in cells:
                cell = out[c]
                cell.asks += 1
                cell.high_effort_asks += high
                if tap is not None:
                    cell.over_tapped.append(tap)
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[TapState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        policy: TapPolicy = run.params["policy"]
        heavy = [asset.value for asset in Asset if policy.effort_of(asset) is Effort.HIGH]
        table = tables.table("asks")
        asks = tables.frame("asks").select(
            "id",
            nw.col("account_id"),
            table.column("advocate_id").fill_null("").alias("_who"),
            nw.col("asset"),
            nw.col("asked_at").alias("_t"),
            nw.col("asset").is_in(heavy).alias("_heavy"),
        )
        counted = tables.with_profile(tables.in_grid(asks, "_t"))
        sums = {"asks": None, "heavy": tables.indicator(nw.col("_heavy"))}
        found = {name: tables.stretch_counts(counted, value) for name, value in sums.items()}
        # Each ask's previous ask of the same effort class to the same contact: the latest earlier
        # one (at one instant, the lower id).
        earlier = asks.select(
            nw.col("id").alias("_pid"), "account_id", "_who", "_heavy",
            nw.col("asset").alias("_passet"), nw.col("_t").alias("_pt"),
        )  # fmt: skip
        pairs = counted.join(earlier, on=["account_id", "_who", "_heavy"], how="inner").filter(
            (nw.col("_pt") < nw.col("_t"))
            | ((nw.col("_pt") == nw.col("_t")) & (nw.col("_pid") < nw.col("id")))
        )
        last = pairs.group_by("id").agg(nw.col("_pt").max().alias("_last"))
        previous = (
            pairs.join(last, on="id", how="inner")
            .filter(nw.col("_pt") == nw.col("_last"))
            .group_by("id")
            .agg(nw.col("_pid").max())
        )
        # A break is closer than the longest gap can be: months of at most 31 days.
        longest = max(policy.high_effort_gap_months, policy.low_effort_gap_months) * 31 + 1
        candidates = (
            pairs.join(previous, on=["id", "_pid"], how="inner")
            .filter(nw.col("_t") - nw.col("_pt") < tables.micros_span(timedelta(days=longest)))
            .select("id", "account_id", "_who", "asset", "_t", "_k", *tables.attrs, "_pid", "_passet", "_pt")
        )
        out = [
            TapState(asks=found["asks"][c], high_effort_asks=found["heavy"][c]) for c in range(grid.n_cells)
        ]
        na = len(tables.attrs)
        for row in tables.engine.rows(candidates):
            ident, account, who, asset, t, k = row[:6]
            pid, passet, pt = row[6 + na :]
            advocate = who or None
            ask = Ask(
                id=ident, account_id=account, asked_at=from_micros(t), asset=asset, advocate_id=advocate
            )
            before = Ask(
                id=pid, account_id=account, asked_at=from_micros(pt), asset=passet, advocate_id=advocate
            )
            tap = OverTap.check(ask, before, policy)
            if tap is None:
                continue
            for w in grid.stretches[int(k)]:
                for s in grid.profile_segments(tables.pid(row[6 : 6 + na])):
                    out[w * grid.n_segments + s].over_tapped.append(tap)
        return out


ASKS: Final = Asks()

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
        POLICY,
        CONFIDENCE,
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


def _tap_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[ASKS]
    policy: TapPolicy = cell.params["policy"]
    asks, high = found.asks, found.high_effort_asks
    over: list[OverTap] = sorted(found.over_tapped, key=_ask_order)
    high_over = sum(tap.effort is Effort.HIGH for tap in over)
    compliant = asks - len(over)
    by_asset: dict[str, int] = {}
    for tap in over:
        by_asset[tap.asset.value] = by_asset.get(tap.asset.value, 0) + 1
    return cell.build(
        value=compliance_formula(compliant, asks),
        undefined_reason="no asks made in the window and segment",
        numerator=compliant, denominator=asks, sample_size=asks,
        interval=wilson_interval(compliant, asks, cell.confidence),
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


TAP: Final = Metric(TAP_SPEC, [ASKS], _tap_finish, needs=("asks",))


@TAP.function
def tap_policy_compliance(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    policy: TapPolicy = POLICY.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the asks made in ``window`` that respected the tap policy.

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
