"""Shared by the engine tests: the grid they compute and the cell-by-cell comparison."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from advocacy_kpis import RevenueBasis, Scorecard, Segment, Window, engines, scorecard

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.27")})
WINDOWS = [
    Window.year(2025),
    *Window.year(2026).split("quarter"),
    *Window.year(2026).split("month"),
]
SEGMENTS = [Segment.by("tier"), Segment.by("region"), Segment.where(tier=("smb", "mid"), icp=True)]
LOCAL = ("polars", "polars-lazy", "pandas", "pyarrow", "duckdb")
"""The backends that run in-process (Spark has its own test module)."""


def card(data: Any, metrics: list[str] | None = None, **kwargs: Any) -> Scorecard:
    """The engine-supported metrics over the test grid."""
    kwargs.setdefault("windows", WINDOWS)
    kwargs.setdefault("segments", SEGMENTS)
    kwargs.setdefault("basis", BASIS)
    return scorecard(data, metrics=metrics or list(engines.SUPPORTED), **kwargs)


def mismatches(expected: Scorecard, actual: Scorecard) -> list[str]:
    """Every cell whose ``to_dict()`` differs, with the fields that differ."""
    assert expected.metrics == actual.metrics and expected.windows == actual.windows
    assert expected.segments == actual.segments
    out = []
    for want, got in zip(expected.results, actual.results, strict=True):
        a, b = want.to_dict(), got.to_dict()
        if a != b:
            fields = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            out.append(f"{want.metric} {want.window.label} {want.segment.name}: {fields}")
    return out


def same_numbers(expected: Scorecard, actual: Scorecard) -> list[str]:
    """Cells whose value, numerator or denominator differ as numbers (Decimal places aside)."""
    out = []
    for want, got in zip(expected.results, actual.results, strict=True):
        for name in ("value", "numerator", "denominator", "sample_size", "undefined_reason"):
            a, b = getattr(want, name), getattr(got, name)
            if isinstance(a, Decimal) and isinstance(b, Decimal):
                differ = a != b
            else:
                differ = a != b and not (a is None and b is None)
            if differ:
                out.append(f"{want.metric} {want.window.label} {want.segment.name} {name}: {a!r} != {b!r}")
    return out
