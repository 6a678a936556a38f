"""What a number is measured over: time windows, calendars, segments, revenue bases and money.

Everything here is a small immutable value, in three modules: time (`Calendar`, `Grain`,
`Window`), segments (`Segment`, `SegmentsBy`) and money (`Money`, `RevenueBasis`).
"""

from advocacy_kpis.scope._money import BasisKind, Money, RevenueBasis, check_currency
from advocacy_kpis.scope._segments import Scalar, Segment, SegmentsBy
from advocacy_kpis.scope._time import UTC_CALENDAR, Calendar, Grain, Window, add_days, as_calendar

__all__ = [
    "UTC_CALENDAR",
    "BasisKind",
    "Calendar",
    "Grain",
    "Money",
    "RevenueBasis",
    "Scalar",
    "Segment",
    "SegmentsBy",
    "Window",
    "add_days",
    "as_calendar",
    "check_currency",
]
