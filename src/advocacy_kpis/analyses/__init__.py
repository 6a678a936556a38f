"""Analyses beyond single metrics: questions a programme asks of several records at once.

- `product_change_impact`: a metric before and after a product change, by segment.
- `over_asked` and `eligible_to_ask`: the contacts asked more often than the tap policy allows,
  and the advocates who may be asked now.
- `segment_breakdown`: the happiest customer profiles, ranked with their uncertainty.
"""

from advocacy_kpis.analyses.breakdown import SegmentBreakdown, segment_breakdown
from advocacy_kpis.analyses.over_asking import EligibleAdvocate, OverAsking, eligible_to_ask, over_asked
from advocacy_kpis.analyses.product_change import ImpactRow, ProductChangeImpact, product_change_impact

__all__ = [
    "EligibleAdvocate",
    "ImpactRow",
    "OverAsking",
    "ProductChangeImpact",
    "SegmentBreakdown",
    "eligible_to_ask",
    "over_asked",
    "product_change_impact",
    "segment_breakdown",
]
