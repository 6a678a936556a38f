"""The happiest customer profiles: a metric's segments ranked, with their uncertainty.

`segment_breakdown` cuts one metric in one window by the values of one or more attributes (and
their crossing), ranks the segments in the metric's direction, and marks those whose interval
lies wholly above or below the whole's: the profiles that are reliably happier (or unhappier)
than the customer base, not just lucky. Segments too small to judge are listed but not ranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.result import MetricResult, format_value
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.scorecard import BreakdownRow

__all__ = ["SegmentBreakdown", "segment_breakdown"]


@attrs.frozen
class SegmentBreakdown:
    """A metric's segments in one window, ranked.

    Attributes:
        metric: the metric id.
        window: the window.
        whole: the result over every account.
        rows: the segments, ranked ones first (best first), then those not ranked.
        min_sample: the smallest sample a segment needs to be ranked.
    """

    metric: str
    window: Window
    whole: MetricResult
    rows: tuple[BreakdownRow, ...]
    min_sample: int

    @property
    def above(self) -> tuple[BreakdownRow, ...]:
        """Segments reliably above the whole."""
        return tuple(r for r in self.rows if r.versus_whole == "above")

    @property
    def below(self) -> tuple[BreakdownRow, ...]:
        """Segments reliably below the whole."""
        return tuple(r for r in self.rows if r.versus_whole == "below")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "metric": self.metric,
            "window": self.window.to_dict(),
            "whole": self.whole.to_dict(),
            "min_sample": self.min_sample,
            "rows": [
                {
                    "rank": r.rank,
                    "segment": r.segment.name,
                    "versus_whole": r.versus_whole,
                    "note": r.note,
                    "result": r.result.to_dict(),
                }
                for r in self.rows
            ],
        }

    def __str__(self) -> str:
        lines = [f"{self.metric} in {self.window.label} by segment; whole: {format_value(self.whole)}"]
        for row in self.rows:
            rank = f"{row.rank:>3}" if row.rank is not None else "  -"
            mark = f"  {row.versus_whole} the whole" if row.versus_whole else ""
            note = f"  (not ranked: {row.note})" if row.note else ""
            lines.append(f"{rank}  {row.segment.name:<32} {format_value(row.result)}{mark}{note}")
        return "\n".join(lines)


def segment_breakdown(
    data: AdvocacyData,
    metric: str,
    window: Window,
    *,
    by: str | Sequence[str],
    cross: bool = False,
    min_sample: int = 30,
    basis: RevenueBasis | None = None,
    params: Mapping[str, Any] | None = None,
) -> SegmentBreakdown:
    """Rank the values of one or more attributes by a metric, marking reliable differences.

    Args:
        data: the data set.
        metric: the metric id.
        window: the window.
        by: an attribute name, or several.
        cross: with several attributes, rank their combinations instead of each attribute's values.
        min_sample: segments with fewer units are listed, not ranked.
        basis: revenue basis (money metrics, or weighted rates).
        params: the metric's parameters.

    Raises:
        ParameterError: a bad attribute list or ``min_sample``.
        SegmentNotApplicableError: no account carries an attribute.

    Examples:
        >>> from advocacy_kpis import sample
        >>> ranked = segment_breakdown(sample.generate(), "net_promoter_score", Window.year(2026), by="tier")
        >>> [r.segment.name for r in ranked.rows]
        ['tier=enterprise', 'tier=mid', 'tier=smb']
    """
    from advocacy_kpis.scorecard import scorecard

    names = [by] if isinstance(by, str) else list(by)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ParameterError("by", "segment_breakdown", "an attribute name or a list of them", by)
    groups = [Segment.by(*names)] if cross else [Segment.by(n) for n in names]
    card = scorecard(
        data, metrics=[metric], windows=[window], segments=groups, basis=basis,
        weight_rates=False, params={metric: dict(params or {})},
    )  # fmt: skip
    chosen = card.metrics[0]
    rows = card.breakdown(chosen, window, min_sample=min_sample)
    return SegmentBreakdown(chosen, window, card.get(chosen, window), tuple(rows), min_sample)
