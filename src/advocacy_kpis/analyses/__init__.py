"""Analyses beyond single metrics: questions a programme asks of several records at once.

`over_asking`: the contacts asked more often than the tap policy allows, and the advocates who
may be asked now.
"""

from advocacy_kpis.analyses.over_asking import EligibleAdvocate, OverAsking, eligible_to_ask, over_asked

__all__ = ["EligibleAdvocate", "OverAsking", "eligible_to_ask", "over_asked"]
