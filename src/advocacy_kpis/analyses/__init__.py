"""Analyses beyond single metrics: drop-offs after product changes and segment breakdowns."""

from advocacy_kpis.analyses.breakdown import SegmentBreakdown, segment_breakdown
from advocacy_kpis.analyses.product_change import ImpactRow, ProductChangeImpact, product_change_impact

__all__ = [
    "ImpactRow",
    "ProductChangeImpact",
    "SegmentBreakdown",
    "product_change_impact",
    "segment_breakdown",
]
