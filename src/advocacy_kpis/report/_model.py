"""The parts of a report: statements with their sources, findings, next steps, tables and charts.

Everything here is plain data built by the rules in ``_build``; nothing is written by hand. Each
statement and finding names the rule that produced it and the metric, window and segment its
numbers come from, so a reader (or a service reading the JSON) can trace every line back.
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
    "Finding",
    "FindingKind",
    "MetricRow",
    "Movement",
    "NextStep",
    "Quote",
    "Source",
    "Statement",
    "Stories",
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
    UNSAFE_NUMBER = "unsafe_number"

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
        window = self.window
        shown = None
        if window is not None:
            shown = window.label
            if window.grain is None:
                first, last = window.calendar.local(window.start), window.calendar.local(window.end)
                shown = f"{first.date().isoformat()} to {last.date().isoformat()}"
        parts = [
            p
            for p in (
                self.metric,
                shown,
                self.segment.name if self.segment is not None else None,
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
class Finding:
    """A win or a risk, raised by the rule of its kind.

    Attributes:
        kind: the rule that raised it.
        text: what was found, with its numbers.
        sources: the metrics, windows and segments it reads.
        facts: the values the text and the finding's next step are filled from.
    """

    kind: FindingKind
    text: str
    sources: tuple[Source, ...]
    facts: Mapping[str, Any] = attrs.field(converter=_freeze)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "kind": self.kind.value,
            "side": "win" if self.kind.is_win else "risk",
            "text": self.text,
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
        movement: how the metric moved, read in its direction.
        by_segment: the period's result in each segment of the report (the whole left out).
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
            "by_segment": [r.to_dict() for r in self.by_segment],
        }


@attrs.frozen
class ChartSeries:
    """One segment's line in a chart: a value per window (None where undefined) and its interval."""

    segment: str
    values: tuple[float | None, ...]
    lows: tuple[float | None, ...]
    highs: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"segment": self.segment, "values": list(self.values), "lows": list(self.lows),
                "highs": list(self.highs)}  # fmt: skip


@attrs.frozen
class Chart:
    """The trend of one headline metric: one series per segment over the trend windows.

    Attributes:
        metric: the metric id.
        title: the chart's title.
        unit: the unit label.
        kind: the metric's unit (``rate`` values are fractions).
        windows: the window labels, oldest first.
        series: the whole first, then each segment.
        description: the chart's text alternative (every value, in words).
    """

    metric: str
    title: str
    unit: str
    kind: str
    windows: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    description: str

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
        }


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
class Stories:
    """The customer voice of the period.

    Attributes:
        sentiment_mix: feedback received in the period, by sentiment, and in total.
        quotes: feedback texts chosen by the quote rule.
        reviews: reviews published in the period.
        mean_rating: their mean rating, or None without a rated review.
        review_quotes: reviews chosen by the review rule.
        statements: the sentences of the section.
    """

    sentiment_mix: Mapping[str, int] = attrs.field(converter=_freeze)
    quotes: tuple[Quote, ...]
    reviews: int
    mean_rating: float | None
    review_quotes: tuple[Quote, ...]
    statements: tuple[Statement, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "sentiment_mix": dict(self.sentiment_mix),
            "quotes": [q.to_dict() for q in self.quotes],
            "reviews": self.reviews,
            "mean_rating": self.mean_rating,
            "review_quotes": [q.to_dict() for q in self.review_quotes],
            "statements": [s.to_dict() for s in self.statements],
        }
