"""Analyses beyond single metrics: questions a programme asks of several records at once.

- `product_change_impact`: metrics before and after product changes, by segment, each against
  a comparison (the same span a year earlier, or the accounts a change did not reach).
- `over_asked` and `eligible_to_ask`: the contacts asked more often than the tap policy allows,
  and the advocates who may be asked now, readiest first, with who is left out and why.
- `segment_breakdown`: the happiest customer profiles, each segment tested against the rest.

Every analysis that tests several things at once corrects for it (Holm by default, or
Benjamini-Hochberg) and names the correction in its output; every result has ``to_rows()``,
``to_frame()`` and an HTML display in notebooks.
"""

from advocacy_kpis.analyses._common import (
    ERROR_RATE,
    Correction,
    check_correction,
    p_text,
    period_label,
    segment_label,
)
from advocacy_kpis.analyses.breakdown import (
    RestComparison,
    SegmentBreakdown,
    SegmentRow,
    segment_breakdown,
    versus_rest,
)
from advocacy_kpis.analyses.over_asking import (
    DETRACTOR_DAYS,
    Eligibility,
    EligibleAdvocate,
    LeftOut,
    OverAsking,
    eligible_to_ask,
    over_asked,
)
from advocacy_kpis.analyses.product_change import (
    YEAR_EARLIER,
    ImpactRow,
    ProductChangeImpact,
    ReleaseWindows,
    product_change_impact,
)

__all__ = [
    "DETRACTOR_DAYS",
    "ERROR_RATE",
    "YEAR_EARLIER",
    "Correction",
    "Eligibility",
    "EligibleAdvocate",
    "ImpactRow",
    "LeftOut",
    "OverAsking",
    "ProductChangeImpact",
    "ReleaseWindows",
    "RestComparison",
    "SegmentBreakdown",
    "SegmentRow",
    "check_correction",
    "eligible_to_ask",
    "over_asked",
    "p_text",
    "period_label",
    "product_change_impact",
    "segment_breakdown",
    "segment_label",
    "versus_rest",
]
