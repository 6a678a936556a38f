"""Engines: the same tallies computed where the data lives, from DataFrames or SQL tables.

Hold the collections as frames in a `Tables` and pass it wherever an `AdvocacyData` goes:
``scorecard(tables, ...)``, ``compute(metric_id, tables, ...)`` or ``metrics.X(tables, ...)``.
The engine is picked from the frames' library (pandas, Polars eager or lazy, PyArrow, DuckDB,
PySpark): one implementation on narwhals computes each metric's tally in that library and hands
it to the metric's own finish, so every result equals the one computed from the records.
``scorecard(tables, ..., engine="python")`` computes on the records instead (`Tables.to_data`).

Examples:
    >>> from advocacy_kpis import Window, scorecard
    >>> from advocacy_kpis.sample import tiny
    >>> tables = tables_from_data(tiny(), "polars")
    >>> card = scorecard(tables, metrics=["net_promoter_score"], windows=[Window.quarter(2026, 3)])
    >>> card.get("net_promoter_score", Window.quarter(2026, 3)).value
    25.0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.engines._data import SuppliedData, TablesData
from advocacy_kpis.engines._engine import SUPPORTED, UNSUPPORTED, Engine, EngineNotSupportedError
from advocacy_kpis.engines._tables import (
    BACKENDS,
    Column,
    Tables,
    arrow_tables,
    columns,
    records_from_tables,
    tables_from_data,
)
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.scope import Segment, SegmentsBy

__all__ = [
    "BACKENDS",
    "SUPPORTED",
    "UNSUPPORTED",
    "Column",
    "EngineNotSupportedError",
    "SuppliedData",
    "Tables",
    "TablesData",
    "arrow_tables",
    "as_data",
    "columns",
    "prepare",
    "records_from_tables",
    "tables_from_data",
]

ENGINES = ("python", "narwhals")
"""Values of the ``engine`` argument: the records in Python, or the tables' own library."""


def as_data(data: Any, engine: str | None = None) -> Any:
    """What the metrics read for ``data``: a `Tables` becomes a `TablesData` (or, with
    ``engine="python"``, its records); anything else is returned as it is."""
    if engine is not None and engine not in ENGINES:
        raise ParameterError(
            "engine", "scorecard", "'python', 'narwhals' or None (picked from the data)", engine
        )
    if not isinstance(data, Tables):
        if engine == "narwhals":
            raise ParameterError("engine", "scorecard", "'python' or None for an AdvocacyData", engine)
        return data
    if engine == "python":
        return data.to_data()
    return TablesData.of(Engine(data))


def prepare(data: Any, segments: Any, engine: str | None = None) -> tuple[Any, Any]:
    """The data set a scorecard computes on, and its segments with ``Segment.by`` resolved on the tables."""
    chosen = as_data(data, engine)
    if not isinstance(chosen, TablesData):
        return chosen, segments
    if isinstance(segments, (Segment, SegmentsBy)):
        segments = [segments]
    if segments is None or isinstance(segments, (str, bytes)) or not isinstance(segments, Iterable):
        return chosen, segments
    resolved: list[Any] = []
    for item in segments:
        if isinstance(item, SegmentsBy):
            resolved.extend(item.resolve(_Profiles(chosen.engine, item.attributes)))
        else:
            resolved.append(item)
    return chosen, resolved


class _Profile:
    def __init__(self, view: dict[str, Any]) -> None:
        self._view = view

    def segment_view(self) -> dict[str, Any]:
        return self._view


class _Profiles:
    """Stands in for a data set when resolving ``Segment.by``: one entry per distinct profile."""

    def __init__(self, engine: Engine, names: tuple[str, ...]) -> None:
        self.accounts = [_Profile(view) for view in engine.profiles(names)]


def is_records(data: Any) -> bool:
    """Whether ``data`` is an `AdvocacyData` (records in Python)."""
    return isinstance(data, AdvocacyData)
