"""The parts of a report: statements with their sources, findings, next steps, tables and charts.

Everything here is plain data built by the rules in ``_rules``; nothing is written by hand. Each
statement and finding names the rule that produced it and the metric, window and segment its
numbers come from, so a reader (or a service reading the JSON) can trace every line back. Every
test the report makes is a `ReportTest`, and every significant finding rests on tests that passed
the report's multiple-testing correction.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

import attrs

from advocacy_kpis.result import Change, MetricResult, json_safe
from advocacy_kpis.scope import Segment, Window

__all__ = [
    "Chart",
    "ChartSeries",
    "Estimate",
    "Finding",
    "FindingKind",
    "FindingStory",
    "MetricRow",
    "Movement",
    "NextStep",
    "Quote",
    "ReportTest",
    "Source",
    "Statement",
    "Stories",
    "Table",
]


class FindingKind(enum.Enum):
    """What a finding is: the rule that raised it. Wins first, then risks, each in report order."""

    SIGNIFICANT_IMPROVEMENT = "significant_improvement"
    SEGMENT_ABOVE = "segment_above"
    READY_ADVOCATES = "ready_advocates"
    SIGNIFICANT_DECLINE = "significant_decline"
    SEGMENT_BELOW = "segment_below"
    THRESHOLD_BREACHED = "threshold_breached"
    OVER_ASKED = "over_asked"
    PRODUCT_CHANGE_DROP = "product_change_drop"

    @property
    def is_win(self) -> bool:
        """Whether findings of this kind are wins (else risks)."""
        return self in _WINS


_WINS = frozenset(
    {FindingKind.SIGNIFICANT_IMPROVEMENT, FindingKind.SEGMENT_ABOVE, FindingKind.READY_ADVOCATES}
)


class Movement(enum.Enum):
    """How a metric moved against the previous period, read in its direction."""

    IMPROVED = "improved"
    DECLINED = "declined"
    UNCHANGED = "unchanged"
    MOVED = "moved"
    """Changed, for a metric that is better up to a point (no better or worse in itself)."""
    NOT_COMPARED = "not_compared"
    """No change: a value is undefined, or the two results do not compare."""


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Source:
    """Where a statement's numbers come from: a metric, a window and a segment (any may be None).

    Attributes:
        metric: the metric id, or None for a count read from the records.
        window: the window.
        segment: the segment.
        detail: what else the numbers come from (a product change, an analysis), or None.
    """

    metric: str | None = None
    window: Window | None = None
    segment: Segment | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ids and labels."""
        return {
            "metric": self.metric,
            "window": self.window.label if self.window is not None else None,
            "start": self.window.start.isoformat() if self.window is not None else None,
            "end": self.window.end.isoformat() if self.window is not None else None,
            "segment": self.segment.name if self.segment is not None else None,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        from advocacy_kpis.analyses import period_label, segment_label

        parts = [
            p
            for p in (
                self.metric,
                period_label(self.window) if self.window is not None else None,
                segment_label(self.segment) if self.segment is not None else None,
                self.detail,
            )
            if p
        ]
        return " · ".join(parts)


@attrs.frozen
class Statement:
    """A sentence of the report, built by a named rule from the numbers of its sources.

    Attributes:
        text: the sentence.
        rule: the rule that built it (see the Report page of the docs).
        sources: the metrics, windows and segments it reads.
    """

    text: str
    rule: str
    sources: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"text": self.text, "rule": self.rule, "sources": [s.to_dict() for s in self.sources]}


@attrs.frozen
class ReportTest:
    """One test the report made; together they are the family its correction covers.

    Attributes:
        id: a name unique in the report, such as ``change:net_promoter_score``.
        kind: ``change`` (against the previous period), ``year_on_year``, ``versus_rest`` (a
            segment against the rest of the customers), ``product_change`` (a difference in
            differences around a release) or ``threshold`` (a rate past its catalogue threshold).
        metric: the metric id.
        segment: the segment.
        estimate: what is tested, in the metric's unit (a change, a difference), or None.
        p_value: the test's p-value.
        adjusted_p: the p-value adjusted across every test of the report.
        significant: ``adjusted_p`` below the report's error rate.
        worse: whether the estimate points the bad way in the metric's direction (None when
            the metric has no better side).
        text: what was tested, with its numbers, in one sentence.
        short: the same, shorter, for the executive summary.
        sources: the metrics, windows and segments it reads.
        facts: the values its finding's next step is filled from.
    """

    id: str
    kind: str
    metric: str
    segment: Segment
    estimate: float | None
    p_value: float
    adjusted_p: float
    significant: bool
    worse: bool | None
    text: str
    short: str
    sources: tuple[Source, ...]
    facts: Mapping[str, Any] = attrs.field(converter=_freeze)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "metric": self.metric,
            "segment": self.segment.name,
            "estimate": self.estimate,
            "p_value": self.p_value,
            "adjusted_p": self.adjusted_p,
            "significant": self.significant,
            "worse": self.worse,
            "text": self.text,
            "sources": [s.to_dict() for s in self.sources],
        }


@attrs.frozen
class Finding:
    """A win or a risk, raised by the rule of its kind: one per metric and segment.

    A metric and segment with several significant tests (a decline and a drop after a product
    change, say) is one finding: its kind is the most telling of them, its text gives all of them,
    and it has one next step with one owner.

    Attributes:
        kind: the rule that raised it.
        text: what was found, with its numbers and tests.
        sources: the metrics, windows and segments it reads.
        facts: the values the text and the finding's next step are filled from.
        metric: the metric, for findings about one (None for over-asking and ready advocates).
        segment: the segment the finding is about.
        tests: the ids of the report's tests it rests on (none for findings of fact).
        short: the finding in one short sentence, for the summary.
        adjusted_p: the smallest adjusted p-value among its tests, or None.
    """

    kind: FindingKind
    text: str
    sources: tuple[Source, ...]
    facts: Mapping[str, Any] = attrs.field(converter=_freeze)
    metric: str | None = None
    segment: Segment | None = None
    tests: tuple[str, ...] = ()
    short: str = ""
    adjusted_p: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "kind": self.kind.value,
            "side": "win" if self.kind.is_win else "risk",
            "metric": self.metric,
            "segment": self.segment.name if self.segment is not None else None,
            "text": self.text,
            "tests": list(self.tests),
            "adjusted_p": self.adjusted_p,
            "sources": [s.to_dict() for s in self.sources],
            "facts": json_safe(dict(self.facts)),
        }


@attrs.frozen
class NextStep:
    """One line of the next steps: the action the rule table gives a finding, and who takes it.

    Attributes:
        kind: the kind of the finding it answers.
        action: the action, the finding's facts filled into the template of its kind.
        owner: who acts, and whose support is asked for.
        finding: the finding's text.
        sources: the finding's sources.
    """

    kind: FindingKind
    action: str
    owner: str
    finding: str
    sources: tuple[Source, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "kind": self.kind.value,
            "action": self.action,
            "owner": self.owner,
            "finding": self.finding,
            "sources": [s.to_dict() for s in self.sources],
        }


@attrs.frozen
class Estimate:
    """What can be said of a headline value that is undefined because its cohort is too young.

    Attributes:
        value: the estimate, in the metric's unit.
        text: the estimate as a sentence says it, with its label (``≈ 14.3% (cumulative-incidence
            estimate)``).
        note: how it was obtained and why the value itself is undefined.
        window: the window it comes from (the period, or the latest matured one).
        cell: the estimate as a table cell shows it (``≈ 14.3% (est.)``, ``80.0% (Aug 2026)``).
    """

    value: float
    text: str
    note: str
    window: Window
    cell: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"value": self.value, "text": self.text, "cell": self.cell, "note": self.note,
                "window": self.window.label}  # fmt: skip


@attrs.frozen
class MetricRow:
    """One metric in the period, the period before and the same period a year earlier.

    Attributes:
        metric: the metric id.
        name: its display name.
        unit: the unit a reader needs beside the value.
        current: the result over the period, all accounts.
        previous: the result over the period before.
        year_ago: the result over the same period a year earlier, or None when the data does not reach it.
        change: the change from ``previous``, with its test, or None (see ``change_note``).
        change_note: why there is no change.
        movement: how the metric moved, read in its direction, as the table shows it (a change
            that rounds to zero is unchanged).
        by_segment: the period's result in each segment of the report (the whole left out).
        adjusted_p: the change's p-value adjusted across every test of the report, or None.
        significant: whether the change is significant after the correction; None without a test.
        year_change: the change from ``year_ago`` (headline metrics), or None.
        year_adjusted_p: its adjusted p-value, or None.
        estimate: for an undefined value whose cohort is too young, what can be estimated.
        aside: what a reader needs beside the value (revenue from referrals' split), or None.
    """

    metric: str
    name: str
    unit: str
    current: MetricResult
    previous: MetricResult
    year_ago: MetricResult | None
    change: Change | None
    change_note: str | None
    movement: Movement
    by_segment: tuple[MetricResult, ...]
    adjusted_p: float | None = None
    significant: bool | None = None
    year_change: Change | None = None
    year_adjusted_p: float | None = None
    estimate: Estimate | None = None
    aside: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; results as `MetricResult.to_dict` gives them."""
        return {
            "metric": self.metric,
            "name": self.name,
            "unit": self.unit,
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "year_ago": self.year_ago.to_dict() if self.year_ago is not None else None,
            "change": self.change.to_dict() if self.change is not None else None,
            "change_note": self.change_note,
            "movement": self.movement.value,
            "adjusted_p": self.adjusted_p,
            "significant": self.significant,
            "year_change": self.year_change.to_dict() if self.year_change is not None else None,
            "year_adjusted_p": self.year_adjusted_p,
            "estimate": self.estimate.to_dict() if self.estimate is not None else None,
            "aside": self.aside,
            "by_segment": [r.to_dict() for r in self.by_segment],
        }


@attrs.frozen
class ChartSeries:
    """One segment's line in a chart: a value per window (None where undefined) and its interval.

    Attributes:
        segment: the segment's name (``tier=smb``).
        values: the value per window.
        lows: the interval's low bound per window.
        highs: the interval's high bound per window.
        label: the segment as a reader names it (``SMB``).
        small: per window, whether the value rests on a small sample (drawn dashed).
    """

    segment: str
    values: tuple[float | None, ...]
    lows: tuple[float | None, ...]
    highs: tuple[float | None, ...]
    label: str = ""
    small: tuple[bool, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the series has no value at all (it is not drawn and has no legend entry)."""
        return all(v is None for v in self.values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"segment": self.segment, "label": self.label, "values": list(self.values),
                "lows": list(self.lows), "highs": list(self.highs), "small": list(self.small)}  # fmt: skip


@attrs.frozen
class Chart:
    """The trend of one headline metric: one series per segment over the trend windows.

    Attributes:
        metric: the metric id.
        title: the chart's title.
        unit: the unit label.
        kind: the metric's unit (``rate`` values are fractions).
        windows: the windows' period labels, oldest first (``Apr 2026``).
        series: the whole first, then each segment.
        description: the chart's text alternative (every value, in words).
        target: the metric's target, drawn as a line, or None.
    """

    metric: str
    title: str
    unit: str
    kind: str
    windows: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    description: str
    target: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "metric": self.metric,
            "title": self.title,
            "unit": self.unit,
            "kind": self.kind,
            "windows": list(self.windows),
            "series": [s.to_dict() for s in self.series],
            "description": self.description,
            "target": self.target,
        }


@attrs.frozen
class Table:
    """A table of the report beyond the metric tables (targets, a crossing, a cohort view).

    Attributes:
        title: its heading.
        header: the column names.
        rows: the cells, as text.
        note: what to know before reading it (what it tests, or that it tests nothing).
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"title": self.title, "header": list(self.header), "rows": [list(r) for r in self.rows],
                "note": self.note}  # fmt: skip


@attrs.frozen
class Quote:
    """A piece of customer voice: a feedback text or a public review.

    Attributes:
        source: ``feedback`` or ``review``.
        record_id: the record.
        account_id: its account, or None (a review may have none).
        account: the account's name (its id when it has none), or None.
        tier: the account's tier, or None.
        at: when it was received or published.
        sentiment: the feedback's sentiment (None for reviews).
        channel: the feedback channel or the review platform.
        text: the feedback text (None for reviews).
        rating: the review's rating (None for feedback).
        arr: the account's run rate at the period end on the report's basis, or None.
    """

    source: Literal["feedback", "review"]
    record_id: str
    account_id: str | None
    account: str | None
    tier: str | None
    at: datetime
    sentiment: str | None
    channel: str | None
    text: str | None
    rating: float | None
    arr: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: json_safe(v) for k, v in attrs.asdict(self, recurse=False).items()}


@attrs.frozen
class FindingStory:
    """The customer voice behind one finding: what the accounts of its segment said and did.

    Attributes:
        finding: the finding's short text.
        segment: the segment it is about.
        quotes: feedback of the period from those accounts (negative ones for a risk, positive
            ones for a win).
        actions: advocacy actions those accounts completed in the period, by asset.
        case_studies: the case studies among them.
        referrals_won: referrals from those accounts that brought in a customer in the period.
        statement: the story in one sentence.
    """

    finding: str
    segment: Segment
    quotes: tuple[Quote, ...]
    actions: Mapping[str, int] = attrs.field(converter=_freeze)
    case_studies: int = 0
    referrals_won: int = 0
    statement: Statement | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "finding": self.finding,
            "segment": self.segment.name,
            "quotes": [q.to_dict() for q in self.quotes],
            "actions": dict(self.actions),
            "case_studies": self.case_studies,
            "referrals_won": self.referrals_won,
            "statement": self.statement.to_dict() if self.statement is not None else None,
        }


@attrs.frozen
class Stories:
    """The customer voice of the period.

    Attributes:
        sentiment_mix: feedback received in the period, by sentiment, and in total.
        quotes: feedback texts chosen by the quote rule.
        reviews: reviews published in the period.
        mean_rating: their mean rating, or None without a rated review.
        review_quotes: reviews chosen by the review rule.
        statements: the sentences of the section.
        behind_findings: the voice of the segments the leading findings are about.
    """

    sentiment_mix: Mapping[str, int] = attrs.field(converter=_freeze)
    quotes: tuple[Quote, ...]
    reviews: int
    mean_rating: float | None
    review_quotes: tuple[Quote, ...]
    statements: tuple[Statement, ...]
    behind_findings: tuple[FindingStory, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "sentiment_mix": dict(self.sentiment_mix),
            "quotes": [q.to_dict() for q in self.quotes],
            "reviews": self.reviews,
            "mean_rating": self.mean_rating,
            "review_quotes": [q.to_dict() for q in self.review_quotes],
            "statements": [s.to_dict() for s in self.statements],
            "behind_findings": [b.to_dict() for b in self.behind_findings],
        }
