"""Engines: the same tallies computed where the data lives, from DataFrames or SQL tables.

Hold the collections as frames in a `Tables` and pass it wherever an `AdvocacyData` goes:
``scorecard(tables, ...)``, ``compute(metric_id, tables, ...)`` or ``metrics.X(tables, ...)``.
The library of the frames (pandas, Polars eager or lazy, PyArrow, DuckDB, PySpark) computes each
building block's tally, through narwhals, and the metric's own finish turns the tallies into
results: every metric, every basis and estimator, no per-metric engine code, and every result
equal to the one computed from the records. ``scorecard(tables, ..., engine="python")`` computes
on the records instead (`Tables.to_data`).

Examples:
    >>> from advocacy_kpis import Window, scorecard
    >>> from advocacy_kpis.sample import tiny
    >>> tables = tables_from_data(tiny(), "polars")
    >>> card = scorecard(tables, metrics=["net_promoter_score"], windows=[Window.quarter(2026, 3)])
    >>> card.get("net_promoter_score", Window.quarter(2026, 3)).value
    25.0
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from advocacy_kpis import catalog
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.engines._run import Engine, TablesRun, decimal_of, mark_column, plain
from advocacy_kpis.engines._tables import (
    BACKENDS,
    Column,
    Tables,
    arrow_tables,
    columns,
    records_from_tables,
    tables_from_data,
)
from advocacy_kpis.errors import EngineNotSupportedError, ParameterError

__all__ = [
    "BACKENDS",
    "ENGINES",
    "SUPPORTED",
    "UNSUPPORTED",
    "Column",
    "Engine",
    "EngineNotSupportedError",
    "Tables",
    "TablesRun",
    "arrow_tables",
    "choose",
    "columns",
    "decimal_of",
    "mark_column",
    "plain",
    "records_from_tables",
    "tables_from_data",
]

ENGINES: Final = ("python", "narwhals")
"""Values of the ``engine`` argument: the records in Python, or the tables' own library."""

SUPPORTED: Final = catalog.CATALOGUE_IDS
"""The metrics every engine computes where the tables live: the whole catalogue."""

UNSUPPORTED: Final[Mapping[str, str]] = MappingProxyType({})
"""Metrics an engine refuses, with the reason: none."""


def choose(data: Any, engine: str | None) -> Any:
    """What a scorecard computes on: ``data``, or with ``engine="python"`` the records of a `Tables`.

    Raises:
        ParameterError: an unknown engine, or ``"narwhals"`` for records.
    """
    if engine is not None and engine not in ENGINES:
        raise ParameterError(
            "engine", "scorecard", "'python', 'narwhals' or None (picked from the data)", engine
        )
    if isinstance(data, Tables):
        return data.to_data() if engine == "python" else data
    if engine == "narwhals" and isinstance(data, AdvocacyData):
        raise ParameterError("engine", "scorecard", "'python' or None for an AdvocacyData", engine)
    return data
