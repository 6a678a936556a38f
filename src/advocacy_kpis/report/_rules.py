"""The rules that fill the report's sections from the numbers.

Each function here reads results (or records) and returns statements, tests or findings; none
writes free text. The constants are the rules' parameters, and `NEXT_STEPS` is the table that
turns a finding into its next step, so the same findings always give the same lines.

Every test the report makes (each metric against the previous period, the headline metrics
against a year earlier and each segment against the rest, the headline advocacy metrics around
recent product changes, rates against their thresholds) is one `ReportTest` of a single family;
the family is corrected together (`CORRECTION` at `ERROR_RATE`), and only tests that pass the
correction become findings. A metric and segment with several such tests gives one finding.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType, ModuleType
from typing import Any, Final

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.analyses import Correction, period_label, segment_label, versus_rest
from advocacy_kpis.blocks import SMALL_SAMPLE, SMALL_SAMPLE_NOTE
from advocacy_kpis.catalog import SegmentUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import AdvocacyKpisError, IncomparableResultsError, UnknownReferenceError
from advocacy_kpis.records import Account, AdvocacyAction, Asset, Feedback, Review
from advocacy_kpis.report._format import (
    change_text,
    delta_text,
    listing,
    number_text,
    p_values_text,
    plural,
    value_text,
)
from advocacy_kpis.report._model import (
    Estimate,
    Finding,
    FindingKind,
    FindingStory,
    MetricRow,
    Movement,
    NextStep,
    Quote,
    ReportTest,
    Source,
    Statement,
    Stories,
    Table,
)
from advocacy_kpis.result import Change, Direction, MetricResult, Unit
from advocacy_kpis.scope import BasisKind, RevenueBasis, Segment, Window
from advocacy_kpis.scorecard import Scorecard, unit_label
from advocacy_kpis.stats import binomial_level_test

CONFIDENCE: Final = 0.95
"""The level of every interval in the report."""

ERROR_RATE: Final = 0.05
"""The error rate the report's findings are chosen at, across every test it makes."""

CORRECTION: Final = "holm"
"""The default multiple-testing correction: Holm's, which bounds the chance of any false finding."""

MIN_SEGMENT_SAMPLE: Final = SMALL_SAMPLE
"""Segments with fewer units are neither tested against the rest nor ranked."""

READY_SCORE: Final = 70
"""The readiness score (0-100) from which an account is ready to be asked."""

READY_LISTED: Final = 5
"""How many ready accounts a finding names (all of them are counted)."""

OVER_ASKED_LISTED: Final = 5
"""How many over-asked contacts a finding names (all of them are counted)."""

PRODUCT_CHANGE_LOOKBACK_DAYS: Final = 180
"""Product changes released this many days before the period end, or fewer, are checked for drops."""

PRODUCT_CHANGE_WINDOW_DAYS: Final = 90
"""The length of the windows compared before and after a product change."""

PRODUCT_CHANGE_MIN_DAYS: Final = 30
"""The fewest days observed after a release that give a verdict."""

PRODUCT_CHANGE_METRICS: Final = (
    "customer_advocacy_rate",
    "referral_program_participation_rate",
    "net_promoter_score",
)
"""The metrics checked around each recent product change (those of the report among them)."""

QUOTES_PER_SENTIMENT: Final = 2
"""Feedback texts quoted per sentiment."""

REVIEWS_QUOTED: Final = 3
"""Reviews listed in the customer stories."""

RUN_LENGTH: Final = 3
"""A trend sentence names a run of this many consecutive rises or falls, or more, ending in the period."""

TOP_FINDINGS: Final = 3
"""How many findings the executive summary names."""

STORY_QUOTES: Final = 2
"""Quotes given for each of the leading findings' segments."""

SENTIMENTS: Final = ("positive", "neutral", "negative")
QUOTE_ORDER: Final = ("positive", "negative", "neutral")

NEXT_STEPS: Final[Mapping[FindingKind, tuple[str, str]]] = MappingProxyType(
    {
        FindingKind.SIGNIFICANT_DECLINE: (
            "Find the cause of the {metric_name} decline ({change} against {previous_period}) and bring a "
            "recovery plan to the next review.",
            "Customer Advocacy, with Customer Success",
        ),
        FindingKind.SEGMENT_BELOW: (
            "Review the journey of {segment} accounts, where {metric_name} is below the rest of the customers "
            "({value} against {rest}), and agree a targeted play.",
            "Customer Success, with Customer Advocacy",
        ),
        FindingKind.THRESHOLD_BREACHED: (
            "Bring {metric_name} ({segment}) back {target_side} {threshold}. {meaning}",
            "Customer Advocacy; support asked from the teams that feed the metric",
        ),
        FindingKind.OVER_ASKED: (
            "Pause asks to the {contacts_text} until the tap policy allows them again (by {allowed_until} at "
            "the latest) and route new requests to eligible advocates.",
            "Customer Advocacy; support asked from Sales and Marketing to route every ask through the programme",
        ),
        FindingKind.PRODUCT_CHANGE_DROP: (
            "Review '{change_name}' with Product: {metric_name} among {segment} fell after its release against "
            "the comparison ({did}); agree a fix or a message to the customers affected.",
            "Product, with Customer Success",
        ),
        FindingKind.SIGNIFICANT_IMPROVEMENT: (
            "Write down what drove the {metric_name} improvement ({change}) and share it with Customer "
            "Success and Marketing so it can be repeated.",
            "Customer Advocacy",
        ),
        FindingKind.SEGMENT_ABOVE: (
            "Recruit advocates, references and case studies among {segment} accounts, ahead of the rest of "
            "the customers on {metric_name} ({value} against {rest}).",
            "Customer Advocacy, with Marketing",
        ),
        FindingKind.READY_ADVOCATES: (
            "Ask the {accounts_text} for a reference, review or referral, highest readiness first and "
            "within the tap policy, starting with {top_names}.",
            "Customer Advocacy, with Account Management",
        ),
    }
)
"""The rule table of the next steps: per kind of finding, the action template and its owner.

The template's fields are the finding's ``facts``."""

_RISK_ORDER: Final = (
    FindingKind.PRODUCT_CHANGE_DROP,
    FindingKind.SIGNIFICANT_DECLINE,
    FindingKind.THRESHOLD_BREACHED,
    FindingKind.SEGMENT_BELOW,
)
_WIN_ORDER: Final = (FindingKind.SIGNIFICANT_IMPROVEMENT, FindingKind.SEGMENT_ABOVE)
_TEST = "\x00test\x00"
"""Where a test's p-values go in its text, filled in once the family has been corrected."""


def next_step(finding: Finding) -> NextStep:
    """The next step of a finding, from `NEXT_STEPS`."""
    template, owner = NEXT_STEPS[finding.kind]
    return NextStep(finding.kind, template.format(**finding.facts), owner, finding.text, finding.sources)


def label(segment: Segment) -> str:
    """A segment as the report names it."""
    return segment_label(segment)


def _period(window: Window) -> str:
    return period_label(window)


# -- metric rows -------------------------------------------------------------------------------


def movement(row_change: Change | None, direction: Direction, unit: Unit = Unit.RATIO) -> Movement:
    """How a change reads in the metric's direction; one that rounds to zero as shown is unchanged."""
    if row_change is None or row_change.absolute is None:
        return Movement.NOT_COMPARED
    absolute = row_change.absolute
    if absolute == 0 or delta_text(absolute, unit).startswith("\u00b1"):
        return Movement.UNCHANGED
    if direction is Direction.TARGET_RANGE:
        return Movement.MOVED
    up = absolute > 0
    return Movement.IMPROVED if up == (direction is Direction.HIGHER_IS_BETTER) else Movement.DECLINED


def _change(current: MetricResult, before: MetricResult) -> tuple[Change | None, str | None]:
    try:
        change = current.change_from(before, confidence=CONFIDENCE)
    except IncomparableResultsError as error:
        return None, str(error)
    if change is None or change.absolute is None:
        return None, (
            change.reason if change is not None else None
        ) or "a value is undefined in one of the two periods"
    return change, None


def _aside(result: MetricResult) -> str | None:
    """What the revenue metrics need beside their value: first-contract and later-contract revenue."""
    if result.value is None:
        return None
    if result.metric == "revenue_from_referrals":
        first = result.components.get("first_contract_revenue")
        later = result.components.get("later_contract_revenue")
        if first is None or later is None:
            return None
        return (
            f"of which first contracts {number_text(first, Unit.MONEY, result.basis)} and later contracts "
            f"(renewals and additions) {number_text(later, Unit.MONEY, result.basis)}"
        )
    if result.metric == "referral_campaign_roi" and "first_contract_roi" in result.details:
        roi = result.details["first_contract_roi"]
        shown = f"{float(roi):.2f}" if roi is not None else "undefined"
        return f"on first-contract revenue alone (renewals and additions left out): {shown}"
    return None


def metric_row(
    card: Scorecard,
    metric: str,
    period: Window,
    previous: Window,
    year_ago: Window | None,
    *,
    headline: bool = False,
) -> MetricRow:
    """A metric's row: the period against the one before (and, for a headline metric, a year earlier)."""
    spec = catalog.get(metric)
    current, before = card.get(metric, period), card.get(metric, previous)
    change, note = _change(current, before)
    year = card.get(metric, year_ago) if year_ago is not None else None
    year_change = _change(current, year)[0] if headline and year is not None else None
    return MetricRow(
        metric=metric,
        name=spec.name,
        unit=unit_label(metric, card.basis),
        current=current,
        previous=before,
        year_ago=year,
        change=change,
        change_note=note,
        movement=movement(change, spec.direction, current.unit),
        by_segment=tuple(card.get(metric, period, s) for s in card.segments if not s.is_all),
        year_change=year_change,
        aside=_aside(current),
    )


_MATURITY_WORDS: Final = ("matured", "fewer than half", "follow-up")


def estimate(card: Scorecard, data: AdvocacyData, row: MetricRow, trend: Sequence[Window]) -> Estimate | None:
    """For a headline value undefined because its cohort is too young, what can be estimated.

    In order: the cumulative-incidence estimate (metrics with that estimator), the latest period of
    the trend with a value, and for time-to-event metrics whose median no cohort reaches, the share
    of the latest cohort followed for 90 or 180 days that had the event by then.
    """
    from advocacy_kpis.scorecard import compute

    current = row.current
    reason = current.undefined_reason or ""
    if current.value is not None or not any(word in reason for word in _MATURITY_WORDS):
        return None
    spec = catalog.get(row.metric)
    period = current.window
    if any(p.name == "estimator" for p in spec.parameters):
        try:
            guess = compute(row.metric, data, window=period, estimator="cumulative_incidence")
        except AdvocacyKpisError:
            guess = None
        if guess is not None and guess.value is not None:
            interval = guess.interval
            bounds = f" [{interval.low:.1%}, {interval.high:.1%}]" if interval is not None else ""
            return Estimate(
                float(guess.value),
                f"≈ {value_text(guess)} (cumulative-incidence estimate)",
                f"{reason}; the Kaplan-Meier estimate over every member of the cohort is {value_text(guess)}{bounds}",
                period,
                f"≈ {value_text(guess)} (est.)",
            )
    latest = next(
        (w for w in reversed(trend) if w != period and card.get(row.metric, w).value is not None), None
    )
    if latest is not None:
        result = card.get(row.metric, latest)
        assert result.value is not None
        return Estimate(
            float(result.value),
            f"{value_text(result)} in {_period(latest)} (the latest period with a value)",
            f"{reason}; the latest period of the trend with a value is {_period(latest)}",
            latest,
            f"{value_text(result)} ({_period(latest)})",
        )
    known: list[tuple[int, Window, float]] = []
    for window in reversed(trend):
        details = card.get(row.metric, window).details
        for horizon in (180, 90, 30):
            share_by = details.get(f"share_by_{horizon}_days")
            if share_by is not None:
                known.append((horizon, window, float(share_by)))
    # The 90- and 180-day shares say most; a 30-day share only when no cohort has reached 90 days.
    chosen = next((item for item in known if item[0] >= 90), known[0] if known else None)
    if chosen is not None:
        horizon, window, share = chosen
        cohort = "the period's cohort" if window == period else f"the cohort of {_period(window)}"
        return Estimate(
            share,
            f"{share:.1%} of {cohort} within {horizon} days",
            f"{reason}; {share:.1%} of {cohort} had the event within {horizon} days (Kaplan-Meier)",
            window,
            f"{share:.1%} by {horizon} days ({_period(window)} cohort)",
        )
    return None


# -- the family of tests -----------------------------------------------------------------------


@attrs.frozen
class Candidate:
    """A test before the family's correction: its p-value and how its sentences read."""

    id: str
    kind: str
    metric: str
    segment: Segment
    estimate: float | None
    p_value: float
    worse: bool | None
    text: str
    short: str
    sources: tuple[Source, ...]
    facts: Mapping[str, Any] = attrs.field(factory=dict)

    def judged(self, adjusted: float, error_rate: float) -> ReportTest:
        """The test once the family's adjusted p-value is known."""
        shown = p_values_text(self.p_value, adjusted)
        return ReportTest(
            id=self.id,
            kind=self.kind,
            metric=self.metric,
            segment=self.segment,
            estimate=self.estimate,
            p_value=self.p_value,
            adjusted_p=adjusted,
            significant=adjusted < error_rate,
            worse=self.worse,
            text=self.text.replace(_TEST, shown),
            short=self.short.replace(_TEST, shown),
            sources=self.sources,
            facts={**self.facts, "test": shown},
        )


def _worse(direction: Direction, estimate: float) -> bool | None:
    if direction is Direction.TARGET_RANGE or estimate == 0:
        return None
    return (estimate > 0) == (direction is Direction.LOWER_IS_BETTER)


def change_candidates(rows: Sequence[MetricRow], period: Window) -> list[Candidate]:
    """Each metric with a test against the previous period (overall)."""
    found = []
    for row in rows:
        change = row.change
        if change is None or change.p_value is None or change.absolute is None:
            continue
        spec = catalog.get(row.metric)
        worse = _worse(spec.direction, float(change.absolute))
        verb = {True: "declined", False: "improved", None: "moved"}[worse]
        shown = change_text(change, row.current.unit, row.current.basis)
        facts = {
            "metric": row.metric,
            "metric_name": row.name,
            "segment": label(Segment.all()),
            "previous": value_text(row.previous),
            "current": value_text(row.current),
            "change": shown,
            "period": _period(period),
            "previous_period": _period(row.previous.window),
        }
        found.append(
            Candidate(
                f"change:{row.metric}",
                "change",
                row.metric,
                Segment.all(),
                float(change.absolute),
                change.p_value,
                worse,
                f"{row.name} {verb} from {facts['previous']} in {facts['previous_period']} to {facts['current']} "
                f"in {facts['period']} ({shown}, {_TEST}).",
                f"{row.name} {verb} from {facts['previous']} to {facts['current']} ({shown}, {_TEST})",
                (
                    Source(row.metric, period, Segment.all()),
                    Source(row.metric, row.previous.window, Segment.all()),
                ),
                facts,
            )
        )
    return found


def year_candidates(rows: Sequence[MetricRow], period: Window) -> list[Candidate]:
    """Each headline metric with a test against the same period a year earlier (overall)."""
    found = []
    for row in rows:
        change = row.year_change
        if change is None or change.p_value is None or change.absolute is None or row.year_ago is None:
            continue
        worse = _worse(catalog.get(row.metric).direction, float(change.absolute))
        shown = change_text(change, row.current.unit, row.current.basis)
        before = _period(row.year_ago.window)
        found.append(
            Candidate(
                f"year_on_year:{row.metric}",
                "year_on_year",
                row.metric,
                Segment.all(),
                float(change.absolute),
                change.p_value,
                worse,
                f"{row.name} is {value_text(row.current)} in {_period(period)} against {value_text(row.year_ago)} "
                f"in {before} ({shown}, {_TEST}).",
                f"{row.name} year on year, {value_text(row.year_ago)} → {value_text(row.current)} ({shown}, {_TEST})",
                (
                    Source(row.metric, period, Segment.all()),
                    Source(row.metric, row.year_ago.window, Segment.all()),
                ),
            )
        )
    return found


def segment_candidates(
    card: Scorecard, data: AdvocacyData, metrics: Iterable[str], period: Window
) -> list[Candidate]:
    """Each segment with enough units against the rest of the customers, on each of ``metrics``."""
    found: list[Candidate] = []
    everyone: int | None = None
    for metric in metrics:
        spec = catalog.get(metric)
        whole = card.get(metric, period)
        per_account = whole.unit in (Unit.COUNT, Unit.MONEY)
        if per_account and everyone is None:
            everyone = len(data.active_in(period))
        for segment in card.segments:
            if segment.is_all:
                continue
            result = card.get(metric, period, segment)
            if result.value is None or result.sample_size < MIN_SEGMENT_SAMPLE:
                continue
            accounts = len(data.active_in(period, segment)) if per_account else None
            rest = versus_rest(result, whole, accounts=accounts, all_accounts=everyone, confidence=CONFIDENCE)
            if rest.test is None:
                continue
            difference = float(rest.test.estimate)
            worse = _worse(spec.direction, difference)
            side = "above" if difference > 0 else "below"
            rest_text = _rest_value(rest.value, whole)
            seg_text = _rest_value(rest.segment_value, whole) if per_account else value_text(result)
            shown = delta_text(difference, result.unit, result.basis)
            name = label(segment)
            facts = {
                "metric": metric,
                "metric_name": spec.name,
                "segment": name,
                "value": seg_text,
                "rest": rest_text,
                "period": _period(period),
                "sample": result.sample_size,
            }
            per = " per account" if per_account else ""
            found.append(
                Candidate(
                    f"versus_rest:{metric}:{segment.name}",
                    "versus_rest",
                    metric,
                    segment,
                    difference,
                    rest.test.p_value,
                    worse,
                    f"{name} is {side} the rest of the customers on {spec.name} in {_period(period)}: {seg_text}{per} "
                    f"(n={result.sample_size}) against {rest_text} (n={rest.n}) ({shown}, {_TEST}).",
                    f"{name} {side} the rest on {spec.name}: {seg_text} against {rest_text} ({_TEST})",
                    (
                        Source(metric, period, segment),
                        Source(metric, period, Segment.all(), "the rest of the customers"),
                    ),
                    facts,
                )
            )
    return found


def _rest_value(value: Any, whole: MetricResult) -> str:
    if value is None:
        return "—"
    if whole.unit is Unit.MONEY:
        return number_text(Decimal(value), Unit.MONEY, whole.basis)
    if whole.unit is Unit.COUNT:
        return f"{float(value):.2f}"
    return number_text(float(value), whole.unit, whole.basis)


def threshold_candidates(card: Scorecard, metrics: Iterable[str], period: Window) -> list[Candidate]:
    """Each rate with a catalogue threshold, overall and in segments with enough units: is it past it?"""
    found = []
    for metric in metrics:
        spec = catalog.get(metric)
        for threshold in spec.thresholds:
            for segment in card.segments:
                result = card.get(metric, period, segment)
                num, den = result.numerator, result.denominator
                if result.value is None or result.unit is not Unit.RATE or result.basis is not None:
                    continue
                if not (isinstance(num, int) and isinstance(den, int)) or isinstance(num, bool) or den == 0:
                    continue
                if not segment.is_all and den < MIN_SEGMENT_SAMPLE:
                    continue
                test = binomial_level_test(num, den, threshold.value, threshold.breached_when)
                if test is None:
                    continue
                level = number_text(threshold.value, spec.unit, card.basis)
                meaning = threshold.meaning.strip()
                meaning = meaning[:1].upper() + meaning[1:] + ("" if meaning.endswith(".") else ".")
                name = label(segment)
                facts = {
                    "metric": metric,
                    "metric_name": spec.name,
                    "segment": name,
                    "value": value_text(result),
                    "threshold": level,
                    "side": threshold.breached_when,
                    "target_side": "above" if threshold.breached_when == "below" else "below",
                    "meaning": meaning,
                    "period": _period(period),
                }
                found.append(
                    Candidate(
                        f"threshold:{metric}:{segment.name}:{threshold.value}",
                        "threshold",
                        metric,
                        segment,
                        float(result.value) - threshold.value,
                        test.p_value,
                        threshold.breached(float(result.value)),
                        f"{spec.name} is {facts['value']} in {facts['period']} ({name}, n={den}), "
                        f"{threshold.breached_when} the {level} threshold ({_TEST}). {meaning}",
                        f"{spec.name} ({name}) {facts['value']}, {threshold.breached_when} the {level} "
                        f"threshold ({_TEST})",
                        (Source(metric, period, segment),),
                        facts,
                    )
                )
    return found


def recent_changes(data: AdvocacyData, period: Window) -> list[Any]:
    """Product changes released in the `PRODUCT_CHANGE_LOOKBACK_DAYS` before the period end (and before as_of)."""
    since = period.end - timedelta(days=PRODUCT_CHANGE_LOOKBACK_DAYS)
    return sorted(
        (c for c in data.product_changes if since <= c.released_at < min(period.end, data.as_of)),
        key=lambda c: (c.released_at, c.id),
    )


def product_change_candidates(
    data: AdvocacyData, period: Window, metrics: Sequence[str], segments: Sequence[Segment]
) -> tuple[list[Candidate], list[Statement]]:
    """Each recent release × advocacy metric × segment: a difference in differences, or a note why not."""
    from advocacy_kpis.analyses import product_change_impact

    changes = recent_changes(data, period)
    checked = [
        m for m in PRODUCT_CHANGE_METRICS if m in metrics and catalog.get(m).segment is SegmentUse.ACCOUNTS
    ]
    source = (Source(None, period, Segment.all(), "product changes"),)
    if not changes or not checked:
        reason = (
            f"No product change was released in the {PRODUCT_CHANGE_LOOKBACK_DAYS} days before the period end"
            if not changes
            else "None of the advocacy metrics checked after product changes is in this report"
        )
        return [], [
            Statement(
                f"{reason}, so no drop after a product change is checked.",
                "risks.product_change_drop",
                source,
            )
        ]
    impact = product_change_impact(
        data,
        changes,
        metric=checked,
        days=PRODUCT_CHANGE_WINDOW_DAYS,
        segments=list(segments),
        min_days=PRODUCT_CHANGE_MIN_DAYS,
        confidence=CONFIDENCE,
    )
    notes: list[Statement] = []
    found: list[Candidate] = []
    windows = {r.change.id: r for r in impact.releases}
    for release in impact.releases:
        name = release.change.name or release.change.id
        detail = f"product change {release.change.id}"
        if release.note is not None:
            notes.append(
                Statement(
                    f"'{name}' (released {release.change.released_at.date().isoformat()}): no verdict yet, because "
                    f"{release.note}.",
                    "risks.product_change_drop",
                    (Source(None, period, Segment.all(), detail),),
                )
            )
        elif release.partial:
            notes.append(
                Statement(
                    f"'{name}' (released {release.change.released_at.date().isoformat()}) is judged on the "
                    f"{release.observed_days:.0f} days observed after it and the same number of days before.",
                    "risks.product_change_drop",
                    (Source(None, period, Segment.all(), detail),),
                )
            )
    missing = [r for r in impact.rows if r.test is None and r.comparison == "none"]
    if missing:
        first = missing[0]
        notes.append(
            Statement(
                f"{plural(len(missing), 'check')} around product changes had no comparison, so no verdict: "
                f"{first.note}.",
                "risks.product_change_drop",
                source,
            )
        )
    for row in impact.rows:
        if row.test is None or row.estimate is None:
            continue
        spec = catalog.get(row.metric)
        release = windows[row.change.id]
        name = row.change.name or row.change.id
        unit = row.before.unit
        did = delta_text(row.estimate, unit)
        interval = row.interval
        bounds = f" [{delta_text(interval.low, unit)}, {delta_text(interval.high, unit)}]" if interval else ""
        segment = label(row.segment)
        compared = (
            f"{value_text(row.control_before)} → {value_text(row.control_after)} over the same span a year earlier"
            if row.comparison == "year_earlier"
            else f"{value_text(row.control_before)} → {value_text(row.control_after)} among the accounts not reached"
        )
        facts = {
            "metric": row.metric,
            "metric_name": spec.name,
            "segment": segment,
            "change_id": row.change.id,
            "change_name": name,
            "released": row.change.released_at.date().isoformat(),
            "did": did,
            "days": release.observed_days,
            "partial": release.partial,
        }
        worse = _worse(spec.direction, float(row.estimate))
        found.append(
            Candidate(
                f"product_change:{row.change.id}:{row.metric}:{row.segment.name}",
                "product_change",
                row.metric,
                row.segment,
                float(row.estimate),
                row.test.p_value,
                worse,
                f"{spec.name} among {segment} went from {value_text(row.before)} (n={row.before.sample_size}) to "
                f"{value_text(row.after)} (n={row.after.sample_size}) in the {release.observed_days:.0f} days before "
                f"and after '{name}' (released {facts['released']}), against {compared}: {did}{bounds} "
                f"({_TEST}).",
                f"{spec.name} among {segment} after '{name}': {value_text(row.before)} → {value_text(row.after)}, "
                f"{did} against the comparison ({_TEST})",
                (
                    Source(row.metric, release.before, row.segment, f"product change {row.change.id}"),
                    Source(row.metric, release.after, row.segment, f"product change {row.change.id}"),
                ),
                facts,
            )
        )
    return found, notes


def correct(candidates: Sequence[Candidate], correction: Correction) -> list[ReportTest]:
    """The family's tests with their adjusted p-values and verdicts."""
    adjusted = correction.adjust([c.p_value for c in candidates])
    return [c.judged(a, correction.error_rate) for c, a in zip(candidates, adjusted, strict=True)]


def family_text(tests: Sequence[Candidate], period: Window, previous: Window, year_ago: Window | None) -> str:
    """What the report tested, in words."""
    counts = {
        kind: sum(1 for t in tests if t.kind == kind)
        for kind in ("change", "year_on_year", "versus_rest", "product_change", "threshold")
    }
    parts = [f"{plural(counts['change'], 'change')} against {_period(previous)}"]
    if year_ago is not None:
        parts.append(f"{counts['year_on_year']} against {_period(year_ago)}")
    parts.append(f"{plural(counts['versus_rest'], 'segment')} against the rest of the customers")
    parts.append(f"{plural(counts['product_change'], 'check')} around product changes")
    parts.append(f"{counts['threshold']} against thresholds")
    return ", ".join(parts)


# -- findings ----------------------------------------------------------------------------------


def _kind(test: ReportTest) -> FindingKind | None:
    """The kind of finding a significant test raises, or None (a trend, a rise after a release)."""
    if test.worse is None or test.kind == "year_on_year":
        return None
    if test.kind == "change":
        return FindingKind.SIGNIFICANT_DECLINE if test.worse else FindingKind.SIGNIFICANT_IMPROVEMENT
    if test.kind == "versus_rest":
        return FindingKind.SEGMENT_BELOW if test.worse else FindingKind.SEGMENT_ABOVE
    if test.kind == "product_change":
        return FindingKind.PRODUCT_CHANGE_DROP if test.worse else None
    if test.kind == "threshold":
        return FindingKind.THRESHOLD_BREACHED if test.worse else None
    return None


def findings_from_tests(tests: Sequence[ReportTest]) -> list[Finding]:
    """One finding per metric and segment from the tests that passed the correction.

    The finding's kind is its most telling test (a drop after a product change, then a decline,
    a threshold breached, a segment behind; among wins an improvement, then a segment ahead);
    when a metric and segment has both, the risk is the finding and the win is named in it.
    """
    groups: dict[tuple[str, Segment], list[tuple[FindingKind, ReportTest]]] = {}
    for test in tests:
        kind = _kind(test) if test.significant else None
        if kind is not None:
            groups.setdefault((test.metric, test.segment), []).append((kind, test))
    found = []
    order = [*_RISK_ORDER, *_WIN_ORDER]
    for (metric, segment), items in groups.items():
        items.sort(key=lambda item: (order.index(item[0]), item[1].adjusted_p))
        kind, primary = items[0]
        others = [t for _, t in items[1:]]
        text = primary.text + ("" if not others else " Also: " + " ".join(t.text for t in others))
        facts = dict(primary.facts)
        for _, test in items[1:]:
            for key, value in test.facts.items():
                facts.setdefault(key, value)
        sources = tuple(dict.fromkeys(s for _, t in items for s in t.sources))
        found.append(
            Finding(
                kind,
                text,
                sources,
                facts,
                metric=metric,
                segment=segment,
                tests=tuple(t.id for _, t in items),
                short=primary.short,
                adjusted_p=min(t.adjusted_p for _, t in items),
            )
        )
    found.sort(key=lambda f: (order.index(f.kind), f.adjusted_p if f.adjusted_p is not None else 1.0))
    return found


def not_significant(tests: Sequence[ReportTest], error_rate: float = ERROR_RATE) -> list[Statement]:
    """Tests that would pass on their own (p below the error rate) but not after the correction, closest first."""
    shown = []
    for test in sorted(tests, key=lambda x: x.p_value):
        if test.significant or test.p_value >= error_rate:
            continue
        shown.append(
            Statement(
                f"{test.text} Not significant after the correction.", "tests.not_significant", test.sources
            )
        )
    return shown


# -- over-asking -------------------------------------------------------------------------------


@attrs.frozen
class OverAskingView:
    """The over-tapped asks of the period, from the over-asking analysis or the compliance metric.

    Attributes:
        method: ``analysis`` (advocacy_kpis.analyses.over_asking), ``metric``
            (tap_policy_compliance's details), or None when neither is available.
        asks: the asks made in the period, where known.
        taps: one dict per over-tapped ask: contact, account_id, asset, asked_at,
            previous_asked_at, allowed_from (ISO 8601 text).
    """

    method: str | None
    asks: int | None
    taps: tuple[Mapping[str, Any], ...]

    @property
    def contacts(self) -> tuple[str, ...]:
        """The over-tapped contacts, each once, sorted."""
        return tuple(sorted({str(t["contact"]) for t in self.taps}))

    @property
    def accounts(self) -> frozenset[str]:
        """The accounts of the over-tapped contacts."""
        return frozenset(str(t["account_id"]) for t in self.taps)


def over_asking_module() -> ModuleType | None:
    """``advocacy_kpis.analyses.over_asking`` when the installed library has it, else None."""
    try:
        return importlib.import_module("advocacy_kpis.analyses.over_asking")
    except ImportError:
        return None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def over_asking_view(data: AdvocacyData, period: Window, registered: Iterable[str]) -> OverAskingView:
    """The over-tapped asks of the period: the analysis if importable, else the metric's details."""
    module = over_asking_module()
    if module is not None:
        found = module.over_asked(data, period)
        taps = tuple(
            {
                "contact": tap.contact,
                "account_id": tap.account_id,
                "asset": getattr(tap.asset, "value", tap.asset),
                "asked_at": _iso(tap.asked_at),
                "previous_asked_at": _iso(tap.previous_asked_at),
                "allowed_from": _iso(tap.allowed_from),
            }
            for tap in found.over_tapped
        )
        return OverAskingView("analysis", int(found.asks), taps)
    if "tap_policy_compliance" in set(registered):
        from advocacy_kpis.scorecard import compute

        result = compute("tap_policy_compliance", data, window=period)
        listed = result.details.get("over_tapped", ())
        taps = tuple(
            {
                "contact": item["contact"],
                "account_id": item["account_id"],
                "asset": item["asset"],
                "asked_at": _iso(item["asked_at"]),
                "previous_asked_at": _iso(item["previous_asked_at"]),
                "allowed_from": _iso(item["allowed_from"]),
            }
            for item in listed
        )
        asks = result.denominator if isinstance(result.denominator, int) else None
        return OverAskingView("metric", asks, taps)
    return OverAskingView(None, None, ())


def over_asked_findings(view: OverAskingView, period: Window, data: AdvocacyData) -> list[Finding]:
    """One risk when asks in the period came sooner than the tap policy allows."""
    if not view.taps:
        return []
    contacts = view.contacts
    shown = [_contact_name(data, c) for c in contacts[:OVER_ASKED_LISTED]]
    more = len(contacts) - len(shown)
    named = listing(shown + ([f"{more} more"] if more > 0 else []))
    facts = {
        "over_tapped_asks": len(view.taps),
        "asks": view.asks,
        "contacts": len(contacts),
        "contacts_text": plural(len(contacts), "over-asked contact"),
        "named": named,
        "allowed_until": max(str(t["allowed_from"]) for t in view.taps)[:10],
        "period": _period(period),
        "method": view.method,
    }
    of_asks = f" of {view.asks}" if view.asks is not None else ""
    metric = "tap_policy_compliance" if view.method == "metric" else None
    detail = "over-asking analysis" if view.method == "analysis" else None
    text = (
        f"{plural(len(view.taps), 'ask')}{of_asks} in {_period(period)} came sooner than the tap policy "
        f"allows, to {plural(len(contacts), 'contact')}: {named}."
    )
    return [
        Finding(
            FindingKind.OVER_ASKED,
            text,
            (Source(metric, period, Segment.all(), detail),),
            facts,
            segment=Segment.all(),
            short=f"{plural(len(view.taps), 'ask')}{of_asks} came sooner than the tap policy allows",
        )
    ]


def _contact_name(data: AdvocacyData, contact: str) -> str:
    account_id, _, advocate = contact.partition("/")
    try:
        name = _account_name(data.account(account_id))
    except UnknownReferenceError:
        return contact
    return f"{name} ({advocate})" if advocate else name


def _account_name(account: Account) -> str:
    return account.name or account.id


# -- ready advocates ---------------------------------------------------------------------------


def run_rate_basis(basis: RevenueBasis | None) -> RevenueBasis | None:
    """The basis for an account's value at an instant: ARR in the basis currency for ACV or TCV."""
    if basis is None or basis.is_run_rate:
        return basis
    return RevenueBasis(BasisKind.ARR, basis.currency, basis.fx_rates)


def ready_findings(
    data: AdvocacyData, period: Window, basis: RevenueBasis | None, over_asked: frozenset[str]
) -> list[Finding]:
    """Accounts ready to be asked at the period end: readiness at least `READY_SCORE`, not over-asked.

    Where the over-asking analysis is available, an account whose advocates in the pool may none
    of them be asked for a reference now (held back by the tap policy, or by a recent detractor
    answer) is left out too.
    """
    from advocacy_kpis.metrics import readiness_scores

    at = min(period.end, data.as_of)
    scores = readiness_scores(data, at=at)
    ready = {a: r.score for a, r in scores.items() if r.score >= READY_SCORE and a not in over_asked}
    module = over_asking_module()
    held_back = 0
    if module is not None and ready:
        eligible = {e.account_id for e in module.eligible_to_ask(data, at, "reference")}
        pooled = {v.account_id for v in data.advocates if v.is_enrolled_at(at)}
        blocked = {a for a in ready if a in pooled and a not in eligible}
        held_back = len(blocked)
        ready = {a: s for a, s in ready.items() if a not in blocked}
    if not ready:
        return []
    ranking = run_rate_basis(basis)
    worth = {a: data.arr_at(a, at, ranking) if ranking is not None else Decimal(0) for a in ready}
    order = sorted(ready, key=lambda a: (-ready[a], -worth[a], a))
    top = []
    names = [_account_name(data.account(a)) for a in order[:READY_LISTED]]
    for account_id in order[:READY_LISTED]:
        name = _account_name(data.account(account_id))
        money = f", {number_text(worth[account_id], Unit.MONEY, ranking)} ARR" if ranking is not None else ""
        top.append(f"{name} (score {ready[account_id]:.0f}{money})")
    facts = {
        "count": len(ready),
        "accounts_text": plural(len(ready), "ready account"),
        "top": listing(top),
        "top_names": listing(names),
        "at": at.date().isoformat(),
        "threshold": READY_SCORE,
        "over_asked_left_out": len(over_asked & set(scores)),
        "held_back_by_policy": held_back,
    }
    text = (
        f"{plural(len(ready), 'account')} score {READY_SCORE} or more for referral readiness at {facts['at']} "
        f"and were not over-asked in {_period(period)}; the highest: {facts['top']}."
    )
    return [
        Finding(
            FindingKind.READY_ADVOCATES,
            text,
            (
                Source(
                    "referral_readiness_score", period, Segment.all(), "per-account scores at the period end"
                ),
            ),
            facts,
            segment=Segment.all(),
            short=f"{plural(len(ready), 'account')} are ready to be asked for advocacy",
        )
    ]


# -- read with care ----------------------------------------------------------------------------


def read_with_care(rows: Sequence[MetricRow], period: Window, as_of: datetime) -> list[Statement]:
    """Caveats on the headline numbers: undefined values (with what can be estimated), small samples.

    They are not findings: a number too young or too thin to read is a reason for care, not a risk.
    """
    notes = []
    if period.end > as_of:
        notes.append(
            Statement(
                f"{_period(period)} runs past the data's extraction on {as_of.date().isoformat()}: its values "
                "cover only the part of it known then.",
                "care.partial",
                (Source(None, period, Segment.all()),),
            )
        )
    for row in rows:
        current = row.current
        source = (Source(row.metric, period, Segment.all()),)
        if current.value is None:
            text = f"{row.name} has no value for {_period(period)}: {current.undefined_reason}."
            if row.estimate is not None:
                text += f" What can be said instead: {row.estimate.text}."
            notes.append(Statement(text, "care.undefined", source))
        elif any(w.startswith(SMALL_SAMPLE_NOTE) for w in current.warnings):
            interval = current.interval
            bounds = (
                f" (its {CONFIDENCE:.0%} interval runs from {number_text(interval.low, current.unit, current.basis)} "
                f"to {number_text(interval.high, current.unit, current.basis)})"
                if interval is not None
                else ""
            )
            notes.append(
                Statement(
                    f"{row.name} in {_period(period)} rests on a small sample of {current.sample_size}: read its "
                    f"interval{bounds}, not the point.",
                    "care.small_sample",
                    source,
                )
            )
    return notes


# -- executive summary -------------------------------------------------------------------------


def _run(values: Sequence[float | None]) -> tuple[int, int]:
    """The run of rises (+1) or falls (-1) ending at the last value: (direction, number of steps)."""
    steps = []
    for a, b in itertools.pairwise(values):
        if a is None or b is None or a == b:
            steps.append(0)
        else:
            steps.append(1 if b > a else -1)
    if not steps or steps[-1] == 0:
        return 0, 0
    last = steps[-1]
    length = 0
    for step in reversed(steps):
        if step != last:
            break
        length += 1
    return last, length


def trend_statements(
    card: Scorecard,
    rows: Sequence[MetricRow],
    trend: Sequence[Window],
    tests: Sequence[ReportTest],
    year_ago: Window | None,
    period: Window,
) -> list[Statement]:
    """Runs of rises or falls ending in the period, and the year-on-year changes with their tests."""
    statements = []
    runs = []
    for row in rows:
        values = [card.get(row.metric, w).value for w in trend]
        shown = [None if v is None else float(f"{float(v):.4g}") for v in values]
        direction, length = _run(shown)
        if length >= RUN_LENGTH:
            start = trend[-1 - length]
            first, last = card.get(row.metric, start), card.get(row.metric, trend[-1])
            verb = "risen" if direction > 0 else "fallen"
            runs.append(
                (
                    f"{row.name} has {verb} {length} periods in a row, from {value_text(first)} in {_period(start)} to "
                    f"{value_text(last)} in {_period(trend[-1])}",
                    Source(row.metric, start, Segment.all()),
                )
            )
    if runs:
        statements.append(
            Statement(
                "; ".join(r for r, _ in runs) + " (a run describes the trend; it is not tested on its own).",
                "summary.trend_runs",
                tuple(s for _, s in runs),
            )
        )
    yearly = [t for t in tests if t.kind == "year_on_year"]
    if year_ago is not None and yearly:
        moved = [t for t in yearly if t.significant]
        others = len(yearly) - len(moved)
        if moved:
            text = (
                f"Year on year ({_period(year_ago)} to {_period(period)}): "
                + "; ".join(t.short for t in moved)
                + (
                    f"; the other {plural(others, 'tested headline metric')} show no significant change."
                    if others
                    else "."
                )
            )
        else:
            text = (
                f"Year on year ({_period(year_ago)} to {_period(period)}), none of the "
                f"{plural(len(yearly), 'tested headline metric')} changed significantly."
            )
        statements.append(
            Statement(
                text, "summary.year_on_year", tuple(s for t in (moved or yearly) for s in t.sources[:1])
            )
        )
    return statements


def _counts_statement(rows: Sequence[MetricRow], previous: Window) -> Statement:
    counts = {m: sum(1 for r in rows if r.movement is m) for m in Movement}
    moves = [r for r in rows if r.movement in (Movement.IMPROVED, Movement.DECLINED, Movement.MOVED)]
    tested = [r for r in moves if r.significant is not None]
    significant = sum(1 for r in tested if r.significant)
    untested = len(moves) - len(tested)
    parts = [
        f"Against {_period(previous)}, {counts[Movement.IMPROVED]} of the {len(rows)} headline metrics moved "
        f"in their good direction and {counts[Movement.DECLINED]} in their bad one"
    ]
    if counts[Movement.MOVED]:
        parts.append(f"{counts[Movement.MOVED]} moved with no better side")
    if counts[Movement.UNCHANGED]:
        parts.append(f"{counts[Movement.UNCHANGED]} did not move")
    if counts[Movement.NOT_COMPARED]:
        parts.append(f"{counts[Movement.NOT_COMPARED]} have no value to compare")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + "."
    if moves:
        verb = "is" if significant == 1 else "are"
        have = "has" if len(tested) == 1 else "have"
        text += (
            f" Of the {plural(len(moves), 'move')}, {len(tested)} {have} a test and {significant} of them {verb} "
            "significant after the correction"
            + (f"; {untested} (money, ratios, durations) have no honest test." if untested else ".")
        )
    return Statement(
        text, "summary.direction_count", tuple(Source(r.metric, None, Segment.all()) for r in rows)
    )


def _rank_key(finding: Finding, headline: Sequence[str]) -> tuple[int, int, int, int, float]:
    statistical = 0 if finding.tests else 1
    in_headline = 0 if finding.metric in headline else 1
    risk = 0 if not finding.kind.is_win else 1
    order = [*_RISK_ORDER, *_WIN_ORDER]
    kind = order.index(finding.kind) if finding.kind in order else len(order)
    return statistical, in_headline, risk, kind, finding.adjusted_p if finding.adjusted_p is not None else 1.0


def leading(findings: Sequence[Finding], headline: Sequence[str]) -> list[Finding]:
    """The findings that matter most: tested ones before facts, headline metrics, risks, smallest p."""
    return sorted(findings, key=lambda f: _rank_key(f, headline))[:TOP_FINDINGS]


def summary_statements(
    rows: Sequence[MetricRow],
    *,
    card: Scorecard,
    period: Window,
    previous: Window,
    year_ago: Window | None,
    trend: Sequence[Window],
    cadence: str,
    customers: int,
    segments: Sequence[Segment],
    wins: Sequence[Finding],
    risks: Sequence[Finding],
    tests: Sequence[ReportTest],
    correction: Correction,
) -> tuple[Statement, ...]:
    """The executive summary: scope, how findings are chosen, the three that matter, trends, counts."""
    split = [label(s) for s in segments if not s.is_all]
    attributes = sorted({a for s in segments for a in s.attributes})
    compared = _period(previous) + (f" and {_period(year_ago)}" if year_ago is not None else "")
    scope = Statement(
        f"This {cadence} covers {_period(period)} against {compared}, over "
        f"{plural(customers, 'customer')} at the period end, read overall"
        + (f" and by {listing(attributes)} ({listing(split)})." if split else "."),
        "summary.scope",
        (Source(None, period, Segment.all(), "customers at the period end"),),
    )
    method = Statement(
        f"Wins and risks are chosen with {correction.describe()}: the chance that any of them is a false alarm "
        f"is at most {correction.error_rate:.0%}.",
        "summary.method",
        (Source(None, period, Segment.all(), "every test of the report"),),
    )
    headline = [r.metric for r in rows]
    top = leading([*risks, *wins], headline)
    tested = [f for f in top if f.tests]
    if tested:
        lines = [f"({i}) {f.short}" for i, f in enumerate(top, start=1)]
        text = f"The {plural(len(top), 'finding')} that matter most: " + "; ".join(lines) + "."
    else:
        closest = min((t for t in tests if not t.significant), key=lambda t: t.p_value, default=None)
        text = (
            "No change, segment difference, drop after a product change or threshold breach clears that bar."
        )
        if closest is not None:
            text += f" The closest, {closest.short}, is not significant."
        if top:
            text += " Also found: " + "; ".join(f.short for f in top) + "."
    findings = Statement(text, "summary.top_findings", tuple(s for f in top for s in f.sources[:1]))
    trends = trend_statements(card, rows, trend, tests, year_ago, period)
    counts = _counts_statement(rows, previous)
    total = Statement(
        f"The report raises {plural(len(wins), 'win')} and {plural(len(risks), 'risk')}, one per metric and "
        "segment, each with one next step; small samples and values not yet known are listed under "
        "Read with care and are not counted as risks.",
        "summary.findings_count",
        tuple(s for f in (*wins, *risks) for s in f.sources[:1]),
    )
    return (scope, method, findings, *trends, counts, total)


# -- customer stories --------------------------------------------------------------------------


def stories(
    data: AdvocacyData, period: Window, basis: RevenueBasis | None, findings: Sequence[Finding] = ()
) -> Stories:
    """The sentiment mix, the quoted feedback and the reviews of the period, and the voice behind findings."""
    ranking = run_rate_basis(basis)
    at = min(period.end, data.as_of)
    worth: dict[str, Decimal] = {}

    def arr(account_id: str | None) -> Decimal | None:
        if account_id is None or ranking is None:
            return None
        if account_id not in worth:
            worth[account_id] = data.arr_at(account_id, at, ranking)
        return worth[account_id]

    feedback = data.events(Feedback, period)
    mix = {s: sum(1 for f in feedback if f.sentiment.value == s) for s in SENTIMENTS}
    mix["total"] = len(feedback)
    quotes: list[Quote] = []
    for sentiment in QUOTE_ORDER:
        quotes += _pick_quotes(data, feedback, sentiment, QUOTES_PER_SENTIMENT, arr)
    reviews = data.events(Review, period)
    rated = [r.rating for r in reviews if r.rating is not None]
    mean_rating = sum(rated) / len(rated) if rated else None
    ranked = sorted(reviews, key=lambda r: (-(arr(r.account_id) or 0), -r.published_at.timestamp(), r.id))
    review_quotes = tuple(
        _quote(data, "review", r, r.account_id, r.published_at, arr(r.account_id))
        for r in ranked[:REVIEWS_QUOTED]
    )
    source = (Source(None, period, Segment.all(), "feedback records"),)
    statements = [
        Statement(
            (
                f"{plural(mix['total'], 'piece')} of feedback arrived in {_period(period)}: "
                f"{mix['positive']} positive, {mix['neutral']} neutral and {mix['negative']} negative"
                + (f" ({mix['positive'] / mix['total']:.0%} positive)." if mix["total"] else ".")
            ),
            "stories.sentiment_mix",
            source,
        ),
        Statement(
            f"{plural(len(reviews), 'public review')} published in {_period(period)}"
            + (f", rated {mean_rating:.1f} on average over {len(rated)} with a rating." if rated else "."),
            "stories.reviews",
            (Source(None, period, Segment.all(), "review records"),),
        ),
    ]
    behind = tuple(
        _story(data, period, f, feedback, arr) for f in findings if f.tests and f.segment is not None
    )
    return Stories(
        sentiment_mix=mix,
        quotes=tuple(quotes),
        reviews=len(reviews),
        mean_rating=mean_rating,
        review_quotes=review_quotes,
        statements=tuple(statements),
        behind_findings=behind,
    )


def _pick_quotes(
    data: AdvocacyData,
    feedback: Sequence[Feedback],
    sentiment: str,
    count: int,
    arr: Callable[[str | None], Decimal | None],
) -> list[Quote]:
    """Per sentiment: the accounts worth the most first, then the most recent; one per account, no text twice."""
    candidates = [f for f in feedback if f.sentiment.value == sentiment and f.text]
    candidates.sort(key=lambda f: (-(arr(f.account_id) or 0), -f.received_at.timestamp(), f.id))
    chosen: list[Quote] = []
    seen_accounts: set[str] = set()
    seen_texts: set[str] = set()
    for item in candidates:
        if len(chosen) >= count:
            break
        text = (item.text or "").strip()
        if item.account_id in seen_accounts or text.lower() in seen_texts:
            continue
        seen_accounts.add(item.account_id)
        seen_texts.add(text.lower())
        chosen.append(_quote(data, "feedback", item, item.account_id, item.received_at, arr(item.account_id)))
    return chosen


def _story(
    data: AdvocacyData,
    period: Window,
    finding: Finding,
    feedback: Sequence[Feedback],
    arr: Callable[[str | None], Decimal | None],
) -> FindingStory:
    segment = finding.segment if finding.segment is not None else Segment.all()
    members = data.segment_accounts(segment)
    sentiment = "positive" if finding.kind.is_win else "negative"
    mine = [f for f in feedback if f.account_id in members]
    quotes = _pick_quotes(data, mine, sentiment, STORY_QUOTES, arr)
    actions: dict[str, int] = {}
    for action in data.events(AdvocacyAction, period, segment):
        actions[action.asset.value] = actions.get(action.asset.value, 0) + 1
    won = sum(
        1
        for r in data.referrals
        if r.account_id in members and r.converted_at is not None and period.contains(r.converted_at)
    )
    cases = actions.get(Asset.CASE_STUDY.value, 0)
    done = sum(actions.values())
    by_asset = listing([f"{n} {asset.replace('_', ' ')}" for asset, n in sorted(actions.items())])
    name = f"{label(segment)} accounts" if not segment.is_all else "Customers"
    text = (
        f"Behind '{finding.short}': {name} gave {plural(len(mine), 'piece')} of feedback in "
        f"{_period(period)}, completed {plural(done, 'advocacy action')}"
        + (f" ({by_asset})" if done else "")
        + f", {plural(cases, 'case study', 'case studies')} among them, and brought in "
        f"{plural(won, 'customer')} through referrals."
    )
    return FindingStory(
        finding.short,
        segment,
        tuple(quotes),
        actions,
        cases,
        won,
        Statement(text, "stories.behind_finding", (Source(finding.metric, period, segment),)),
    )


def _quote(
    data: AdvocacyData, source: str, record: Any, account_id: str | None, at: datetime, arr: Decimal | None
) -> Quote:
    account = data.account(account_id) if account_id is not None else None
    is_feedback = source == "feedback"
    return Quote(
        source="feedback" if is_feedback else "review",
        record_id=record.id,
        account_id=account_id,
        account=_account_name(account) if account is not None else None,
        tier=account.tier if account is not None else None,
        at=at,
        sentiment=record.sentiment.value if is_feedback else None,
        channel=record.channel if is_feedback else record.platform,
        text=record.text if is_feedback else None,
        rating=None if is_feedback else record.rating,
        arr=arr,
    )


# -- targets and the deep dive -----------------------------------------------------------------


def check_targets(targets: Any) -> dict[str, float]:
    """Targets by metric id (aliases resolved), as numbers in the metric's unit (rates as fractions).

    Raises:
        ParameterError: not a mapping of metric ids to numbers.
        UnknownMetricError: an unknown metric id.
    """
    from advocacy_kpis.errors import ParameterError

    if targets is None:
        return {}
    if not isinstance(targets, Mapping):
        raise ParameterError("targets", "report", "a mapping of metric ids to target values", targets)
    out = {}
    for name, value in targets.items():
        spec = catalog.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ParameterError("targets", "report", f"a number for {spec.id} (rates as fractions)", value)
        out[spec.id] = float(value)
    return out


def target_table(card: Scorecard, targets: Mapping[str, float], period: Window) -> Table | None:
    """Each target against the period's value: met or missed, and whether the interval spans it."""
    if not targets:
        return None
    rows = []
    for metric, target in targets.items():
        if metric not in card.metrics:
            continue
        spec = catalog.get(metric)
        result = card.get(metric, period)
        shown = number_text(target, spec.unit, card.basis)
        if result.value is None:
            rows.append((spec.name, shown, "—", "no value", result.undefined_reason or ""))
            continue
        value = float(result.value)
        if spec.direction is Direction.TARGET_RANGE:
            verdict = "no better side"
        else:
            met = value >= target if spec.direction is Direction.HIGHER_IS_BETTER else value <= target
            verdict = "met" if met else "missed"
        interval = result.interval
        note = ""
        if interval is not None and interval.contains(target):
            note = f"its {CONFIDENCE:.0%} interval spans the target: too close to call"
        gap = delta_text(value - target, spec.unit, card.basis)
        rows.append((spec.name, shown, value_text(result), f"{verdict} ({gap})", note))
    if not rows:
        return None
    return Table(
        f"Targets, {_period(period)}",
        ("Metric", "Target", "Actual", "Against target", "Note"),
        tuple(rows),
        "Targets are set by the team (advocacy.toml or targets=); met or missed reads the point value, and no "
        "test is made of it.",
    )


def crossing_tables(
    data: AdvocacyData, period: Window, metrics: Sequence[str], basis: RevenueBasis | None
) -> list[Table]:
    """Tier × region for the headline advocacy metrics: value and n per cell, descriptive only."""
    from advocacy_kpis.errors import SegmentNotApplicableError
    from advocacy_kpis.scorecard import scorecard

    chosen = [m for m in PRODUCT_CHANGE_METRICS if m in metrics]
    if not chosen:
        return []
    try:
        card = scorecard(
            data, metrics=chosen, windows=[period], segments=[Segment.by("tier", "region")], basis=basis
        )
    except SegmentNotApplicableError:
        return []

    def values(name: str) -> list[Any]:
        found = {next(iter(dict(s.criteria)[name])) for s in card.segments if not s.is_all}
        return sorted(found, key=str)

    tiers, regions = values("tier"), values("region")
    tables = []
    for metric in chosen:
        spec = catalog.get(metric)
        rows = []
        for tier in tiers:
            cells = [label(Segment.where(tier=tier))]
            for region in regions:
                result = card.get(metric, period, Segment.where(tier=tier, region=region))
                small = "*" if result.value is not None and result.sample_size < MIN_SEGMENT_SAMPLE else ""
                cells.append(f"{value_text(result)}{small} (n={result.sample_size})")
            rows.append(tuple(cells))
        header = ("Tier", *[label(Segment.where(region=r)) for r in regions])
        tables.append(
            Table(
                f"{spec.name} by tier and region, {_period(period)}",
                header,
                tuple(rows),
                "Descriptive: the cells are not tested (the report's tests compare each tier with the rest of "
                "the customers); * marks fewer than 30 units.",
            )
        )
    return tables


def cohort_table(data: AdvocacyData, period: Window, quarters: int = 6) -> Table | None:
    """Time to first referral by activation cohort: the share that had referred by 30, 90 and 180 days."""
    from advocacy_kpis.scorecard import scorecard

    if "time_to_first_referral" not in {s.id for s in catalog.all()}:
        return None
    windows = [period.shift(-k) for k in range(quarters - 1, -1, -1)]
    windows = [w for w in windows if w.start < data.as_of]
    card = scorecard(data, metrics=["time_to_first_referral"], windows=windows)
    rows = []
    for window in windows:
        result = card.get("time_to_first_referral", window)
        details = result.details

        def share(h: int, d: Mapping[str, Any] = details) -> str:
            value = d.get(f"share_by_{h}_days")
            return "—" if value is None else f"{float(value):.1%}"

        cohort = result.components.get("cohort", result.sample_size)
        median = value_text(result) if result.value is not None else "not reached"
        rows.append((_period(window), str(cohort), share(30), share(90), share(180), median))
    return Table(
        "Time to first referral by activation cohort",
        ("Cohort", "Accounts", "By 30 days", "By 90 days", "By 180 days", "Median"),
        tuple(rows),
        "Kaplan-Meier shares of each cohort that had sent a referral by each horizon, censored at as_of; a dash "
        "is a horizon beyond the cohort's follow-up. The median is 'not reached' while fewer than half have referred.",
    )
