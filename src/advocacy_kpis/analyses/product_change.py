"""Advocacy before and after a product change: did it drop, where, and is the drop real?

For a `ProductChange`, a rate or score metric is measured over two windows of equal length,
just before and just after the release, overall and by segment, and compared with the same
significance tests as any period-over-period change. The after-window may still be running at
``as_of``: the result says so, and reads the comparison as provisional.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import IncomparableResultsError, ParameterError
from advocacy_kpis.records import ProductChange
from advocacy_kpis.result import Change, MetricResult, Unit, format_value, json_safe
from advocacy_kpis.scope import RevenueBasis, Segment, SegmentsBy, Window

__all__ = ["ImpactRow", "ProductChangeImpact", "product_change_impact"]

_COMPARABLE_UNITS = (Unit.RATE, Unit.SCORE)


@attrs.frozen
class ImpactRow:
    """One segment's value before and after the change.

    Attributes:
        segment: the segment.
        before: the result over the window before the release.
        after: the result over the window after it.
        change: the change with its interval and test, or None (see ``note``).
        note: why there is no change (an undefined value, results that do not compare).
    """

    segment: Segment
    before: MetricResult
    after: MetricResult
    change: Change | None
    note: str | None = None

    @property
    def dropped(self) -> bool:
        """Whether the metric moved the wrong way and the test calls the move significant."""
        if self.change is None or not self.change.significant or self.change.absolute is None:
            return False
        spec = catalog.get(self.before.metric)
        worse_when_up = spec.direction.value == "lower_is_better"
        return (float(self.change.absolute) > 0) == worse_when_up

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "segment": self.segment.name,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "change": self.change.to_dict() if self.change else None,
            "dropped": self.dropped,
            "note": self.note,
        }


@attrs.frozen
class ProductChangeImpact:
    """A metric before and after a product change, overall and by segment.

    Attributes:
        change: the product change.
        metric: the metric id.
        before: the window just before the release.
        after: the window starting at the release, of the same length.
        rows: one per segment, the whole first.
        partial: whether the after-window runs past ``as_of`` (still being measured).
    """

    change: ProductChange
    metric: str
    before: Window
    after: Window
    rows: tuple[ImpactRow, ...]
    partial: bool

    @property
    def drops(self) -> tuple[ImpactRow, ...]:
        """The segments where the metric significantly moved the wrong way."""
        return tuple(r for r in self.rows if r.dropped)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "change": {
                "id": self.change.id,
                "name": self.change.name,
                "released_at": json_safe(self.change.released_at),
            },
            "metric": self.metric,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "partial": self.partial,
            "rows": [r.to_dict() for r in self.rows],
        }

    def __str__(self) -> str:
        title = (
            f"{self.metric} around {self.change.name or self.change.id} ({self.change.released_at.date()})"
        )
        lines = [title, f"  before {self.before.label}  after {self.after.label}"]
        if self.partial:
            lines.append("  the after-window runs past as_of: the comparison is provisional")
        for row in self.rows:
            before = format_value(row.before).split(" [")[0]
            after = format_value(row.after).split(" [")[0]
            if row.change is None:
                verdict = row.note or ""
            else:
                p = f"p={row.change.p_value:.3f}" if row.change.p_value is not None else "no test"
                verdict = ("DROP, " if row.dropped else "") + p
            lines.append(f"  {row.segment.name:<24} {before:>16} -> {after:<16} {verdict}")
        return "\n".join(lines)


def _find(data: AdvocacyData, change: ProductChange | str | None) -> ProductChange:
    if isinstance(change, ProductChange):
        return change
    released = [c for c in data.product_changes if c.released_at < data.as_of]
    if change is None:
        if not released:
            raise ParameterError(
                "change", "product_change_impact", "a product change (the data set has none)", None
            )
        return max(released, key=lambda c: (c.released_at, c.id))
    for candidate in data.product_changes:
        if candidate.id == change:
            return candidate
    known = ", ".join(c.id for c in data.product_changes) or "none"
    raise ParameterError("change", "product_change_impact", f"the id of a product change ({known})", change)


def product_change_impact(
    data: AdvocacyData,
    change: ProductChange | str | None = None,
    *,
    metric: str = "customer_advocacy_rate",
    days: int = 90,
    segments: Segment | SegmentsBy | Iterable[Segment | SegmentsBy] | None = None,
    basis: RevenueBasis | None = None,
    params: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
) -> ProductChangeImpact:
    """A rate or score metric over equal windows before and after a product change.

    Args:
        data: the data set.
        change: the product change, or its id (default: the latest released before ``as_of``).
        metric: a rate or score metric id (default: customer_advocacy_rate).
        days: the length of each window, in days.
        segments: the segments to compare, e.g. ``Segment.by("tier")`` (default: the whole).
        basis: revenue basis, for revenue-weighted rates.
        params: the metric's parameters.
        confidence: the level of the change's test and interval.

    Returns:
        The `ProductChangeImpact`: per segment the two results, the change, its interval
        and test, and whether the move is a significant drop.

    Raises:
        ParameterError: an unknown change, a metric that is not a rate or score, a bad ``days``.

    Examples:
        >>> from advocacy_kpis import sample
        >>> impact = product_change_impact(sample.tiny(), metric="customer_retention_rate", days=30)
        >>> impact.after.start == impact.change.released_at, impact.before.end == impact.after.start
        (True, True)
    """
    from advocacy_kpis.scorecard import scorecard

    chosen = _find(data, change)
    spec = catalog.get(metric)
    if spec.unit not in _COMPARABLE_UNITS:
        raise ParameterError("metric", "product_change_impact", "a rate or score metric", metric)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 3660:
        raise ParameterError("days", "product_change_impact", "a whole number of days from 1 to 3660", days)
    released = chosen.released_at
    before = Window.between(released - timedelta(days=days), released, data.calendar)
    after = Window.between(released, released + timedelta(days=days), data.calendar)
    card = scorecard(
        data, metrics=[spec.id], windows=[before, after], segments=segments, basis=basis,
        weight_rates=basis is not None, params={spec.id: dict(params or {})},
    )  # fmt: skip
    rows = []
    for segment in card.segments:
        first, second = card.get(spec.id, before, segment), card.get(spec.id, after, segment)
        try:
            moved = second.change_from(first, confidence=confidence)
        except IncomparableResultsError as error:
            rows.append(ImpactRow(segment, first, second, None, str(error)))
            continue
        note: str | None = None
        kept: Change | None = moved
        if moved is None or moved.absolute is None:
            note = (
                moved.reason if moved is not None else None
            ) or "a value is undefined in one of the two windows"
            kept = None
        rows.append(ImpactRow(segment, first, second, kept, note))
    return ProductChangeImpact(chosen, spec.id, before, after, tuple(rows), after.end > data.as_of)
