"""Frames built the way a user's own would be, on each local backend, from PyArrow tables.

`engines.tables_from_data` is what the parity tests use; these helpers stand apart from it so a
test can hand the engines types it would never produce (a DuckDB ``DECIMAL(18,6)``, timestamps in
a zone other than UTC, pandas columns of `Decimal` objects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

LOCAL = ("polars", "polars-lazy", "pandas", "pyarrow", "duckdb")


def utc(*parts: int) -> datetime:
    """A UTC instant."""
    return datetime(*parts, tzinfo=UTC)


def on_backend(tables: Mapping[str, Any], backend: str, connection: Any = None) -> dict[str, Any]:
    """The tables as frames of ``backend``: pandas as ``to_pandas()`` gives them (decimals as
    `Decimal` objects, as ``pd.read_parquet`` does), DuckDB relations on ``connection``."""
    if backend == "pyarrow":
        return dict(tables)
    if backend in ("polars", "polars-lazy"):
        import polars as pl

        frames = {name: pl.from_arrow(table) for name, table in tables.items()}
        if backend == "polars-lazy":
            return {name: frame.lazy() for name, frame in frames.items()}
        return frames
    if backend == "pandas":
        return {name: table.to_pandas() for name, table in tables.items()}
    if backend == "duckdb":
        import duckdb

        con = connection if connection is not None else duckdb.connect()
        return {name: con.from_arrow(table) for name, table in tables.items()}
    raise ValueError(backend)


def with_zone(table: Any, zone: str, unit: str | None = None) -> Any:
    """A PyArrow table with every timestamp column shown in ``zone`` (and held in ``unit``, ``s`` to
    ``ns``, when given): the same instants, another offset."""
    import pyarrow as pa

    fields = [
        pa.field(f.name, pa.timestamp(unit or f.type.unit, zone), f.nullable)
        if pa.types.is_timestamp(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def categorical(table: Any) -> Any:
    """A PyArrow table with its text columns other than ids dictionary-encoded: what pandas
    ``category`` and Polars ``Categorical`` columns are made of."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) and field.name != "id" and not field.name.endswith("_id"):
            table = table.set_column(i, field.name, pc.dictionary_encode(table.column(field.name)))
    return table


def referred(amounts: Sequence[Decimal]) -> Any:
    """One account acquired through a referral per amount, each with a one-year contract of that ARR
    signed on 5 January 2026 (revenue from referrals in 2026Q1) and live through 2026Q2."""
    from advocacy_kpis import Account, AdvocacyData, Contract

    signed, ends = utc(2026, 1, 5), utc(2027, 1, 5)
    accounts = [
        Account(id=f"a{i}", customer_since=signed, acquisition_channel="referral")
        for i in range(len(amounts))
    ]
    contracts = [
        Contract(id=f"c{i}", account_id=f"a{i}", start=signed, end=ends, arr=amount, currency="USD")
        for i, amount in enumerate(amounts)
    ]
    return AdvocacyData.from_records(accounts=accounts, contracts=contracts, as_of=utc(2026, 10, 1))


# -- a day on which New York changes its clocks ------------------------------------------------------

NEW_YORK = "America/New_York"
DST_CHANGE = datetime(2026, 3, 8, 7, tzinfo=UTC)
"""02:00 EST on 8 March 2026, when New York's clocks jump to 03:00 EDT: that local day lasts 23 hours."""


def dst_day_data() -> Any:
    """NPS answers at the bounds of 8 March 2026 in New York, one account each.

    The local day runs from 05:00 UTC on the 8th to 04:00 UTC on the 9th. ``s1`` (10) is at its
    start, ``s4`` (7) at the clock change, ``s2`` (0) a second before its end, ``s3`` (9) at its end,
    so in the next day.
    """
    from advocacy_kpis import Account, AdvocacyData, Calendar, SurveyKind, SurveyResponse

    answers = [
        ("s1", 10, datetime(2026, 3, 8, 5, tzinfo=UTC)),
        ("s2", 0, datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC)),
        ("s3", 9, datetime(2026, 3, 9, 4, tzinfo=UTC)),
        ("s4", 7, DST_CHANGE),
    ]
    accounts = [Account(id=f"a{i}", customer_since=utc(2025, 1, 1), tier="smb") for i in range(1, 5)]
    surveys = [
        SurveyResponse(
            id=ident, account_id=f"a{ident[1:]}", kind=SurveyKind.NPS, score=score, responded_at=at
        )
        for ident, score, at in answers
    ]
    return AdvocacyData.from_records(
        accounts=accounts, surveys=surveys, as_of=utc(2026, 4, 1), calendar=Calendar(NEW_YORK)
    )


def dst_day_expectations() -> list[tuple[Any, float, dict[str, int]]]:
    """(window, NPS, components) over `dst_day_data`, counted by hand from its docstring."""
    from datetime import date

    from advocacy_kpis import Calendar, Window

    calendar = Calendar(NEW_YORK)
    return [
        # s1 promoter, s4 passive, s2 detractor: (1 - 1) / 3.
        (Window.day(date(2026, 3, 8), calendar), 0.0,
         {"promoters": 1, "passives": 1, "detractors": 1, "respondents": 3}),
        (Window.day(date(2026, 3, 9), calendar), 100.0,
         {"promoters": 1, "passives": 0, "detractors": 0, "respondents": 1}),
        # From the clock change (s4 included) to the end of the local day (s3 excluded): s4, s2.
        (Window.between(DST_CHANGE, datetime(2026, 3, 9, 4, tzinfo=UTC), calendar), -50.0,
         {"promoters": 0, "passives": 1, "detractors": 1, "respondents": 2}),
    ]  # fmt: skip
