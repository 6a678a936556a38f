"""Every metric on every local engine against the records on harder generated data sets.

Records sit exactly on the grid's window bounds and accounts churn exactly at a window's start;
the frames show their timestamps in zones other than UTC (half-hour offsets, daylight saving), in
seconds to nanoseconds, and may hold their text as categoricals; money comes in two currencies
converted by FX rates; accounts miss attributes. Each example is
checked cell by cell (``to_dict()``) against the tables' own records, and as numbers against the
original records. ``make test-thorough`` runs many more examples.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyData, Segment, engines
from tests.engines._frames import LOCAL, categorical, on_backend, with_zone
from tests.engines._parity import WINDOWS, card, mismatches, same_numbers
from tests.strategies import boundary_datasets, window_bounds

pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

ZONES = ("America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
"""Daylight saving, a half-hour offset, a half-hour daylight saving change, and UTC."""

SEGMENTS = [
    Segment.all(),
    Segment.where(tier="smb"),
    Segment.where(region=("NA", "EMEA")),
    Segment.where(plan="pro"),
    Segment.where(icp=True, industry="retail"),
    Segment.where(icp=False),
]


def _tables(
    data: AdvocacyData, backend: str, zone: str, unit: str = "us", encoded: bool = False
) -> engines.Tables:
    arrow = {}
    for name, table in engines.arrow_tables(data).items():
        table = with_zone(table, zone, unit)
        arrow[name] = categorical(table) if encoded else table
    return engines.Tables(on_backend(arrow, backend), as_of=data.as_of, calendar=data.calendar)


@settings(max_examples=max(2, settings.default.max_examples // 4))
@given(
    data=boundary_datasets(window_bounds(WINDOWS)),
    backend=st.sampled_from(LOCAL),
    zone=st.sampled_from(ZONES),
    unit=st.sampled_from(("s", "ms", "us", "ns")),
    encoded=st.booleans(),
)
def test_engines_equal_the_records_on_bounds_zones_currencies_and_missing_attributes(
    data: AdvocacyData, backend: str, zone: str, unit: str, encoded: bool
) -> None:
    tables = _tables(data, backend, zone, unit, encoded)
    on_tables = card(tables, segments=SEGMENTS)
    assert mismatches(card(tables.to_data(), segments=SEGMENTS), on_tables) == []
    assert same_numbers(card(data, segments=SEGMENTS), on_tables) == []


def test_the_generated_tables_hold_their_instants_in_the_zone_asked() -> None:
    from tests.strategies import AS_OF

    data = AdvocacyData.from_records(accounts=[], as_of=AS_OF)
    schema: Any = _tables(data, "pyarrow", "Asia/Kolkata", "ms")["accounts"].schema
    assert schema.field("customer_since").type == pa.timestamp("ms", "Asia/Kolkata")
