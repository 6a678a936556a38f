"""The engines read users' frames as they come: any session time zone; instants shown in any zone or
offset and held in any unit; Arrow-backed, object and categorical columns; integer attributes with
gaps in pandas; and they refuse a null id naming the table.

Spark in a session set to Tokyo is in ``test_spark_jobs.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from advocacy_kpis import Calendar, RevenueBasis, Segment, Window, engines, metrics, sample, scorecard
from advocacy_kpis.errors import InvalidRecordError
from tests.engines._frames import (
    LOCAL,
    NEW_YORK,
    categorical,
    dst_day_data,
    dst_day_expectations,
    on_backend,
    utc,
    with_zone,
)
from tests.engines._parity import card, mismatches

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")
duckdb = pytest.importorskip("duckdb")
pytest.importorskip("polars")

Q3 = Window.quarter(2026, 3)


@pytest.fixture
def new_york() -> Iterator[Any]:
    con = duckdb.connect()
    con.execute(f"SET TimeZone='{NEW_YORK}'")
    yield con
    con.close()


# -- time zones --------------------------------------------------------------------------------------


def _assert_dst_day(tables: engines.Tables) -> None:
    for window, nps, components in dst_day_expectations():
        got = metrics.net_promoter_score(tables, window=window)
        assert (got.value, dict(got.components)) == (nps, components), window.label


def test_a_duckdb_session_in_new_york_counts_the_dst_day_as_utc_does(new_york: Any) -> None:
    assert new_york.execute("SELECT current_setting('TimeZone')").fetchall() == [(NEW_YORK,)]
    data = dst_day_data()
    _assert_dst_day(engines.tables_from_data(data, "duckdb", connection=new_york))


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("zone", [NEW_YORK, "Asia/Kolkata", "+09:30"])
def test_timestamps_shown_in_another_zone_are_the_same_instants(backend: str, zone: str) -> None:
    if zone.startswith("+") and backend.startswith("polars"):
        pytest.skip("Polars holds named zones only, not fixed offsets")
    data = dst_day_data()
    arrow = {name: with_zone(table, zone) for name, table in engines.arrow_tables(data).items()}
    tables = engines.Tables(on_backend(arrow, backend), as_of=data.as_of, calendar=Calendar(NEW_YORK))
    _assert_dst_day(tables)


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
def test_timestamps_in_seconds_milliseconds_or_nanoseconds_are_the_same_instants(
    backend: str, unit: str
) -> None:
    data = dst_day_data()
    arrow = {name: with_zone(table, "UTC", unit) for name, table in engines.arrow_tables(data).items()}
    tables = engines.Tables(on_backend(arrow, backend), as_of=data.as_of, calendar=Calendar(NEW_YORK))
    _assert_dst_day(tables)


def test_a_parquet_file_of_nanosecond_instants_read_by_duckdb_computes(tmp_path: Path) -> None:
    # pandas writes its datetime64[ns, UTC] columns to Parquet as nanoseconds; DuckDB reads them
    # as TIMESTAMPTZ_NS.
    data = dst_day_data()
    con = duckdb.connect()
    frames = {}
    for name, table in engines.arrow_tables(data).items():
        pq.write_table(with_zone(table, "UTC", "ns"), tmp_path / f"{name}.parquet")
        frames[name] = con.read_parquet(str(tmp_path / f"{name}.parquet"))
    assert [str(t) for t in frames["surveys"].types].count("TIMESTAMPTZ_NS") == 1
    _assert_dst_day(engines.Tables(frames, as_of=data.as_of, calendar=Calendar(NEW_YORK)))


def test_the_docs_duckdb_over_parquet_example_works_in_a_new_york_session(
    new_york: Any, tmp_path: Path
) -> None:
    data = sample.generate(120)
    folder = tmp_path
    for name, table in engines.arrow_tables(data).items():
        pq.write_table(table, folder / f"{name}.parquet")
    frames = {
        name: new_york.read_parquet(str(folder / f"{name}.parquet"))
        for name in ("accounts", "surveys", "referrals", "contracts")
    }
    quarters = Window.year(2026).split("quarter")[:3]
    basis = RevenueBasis.arr("USD", fx_rates=sample.SAMPLE_FX_RATES)
    headline = [
        "net_promoter_score",
        "client_referral_rate",
        "customer_retention_rate",
        "revenue_from_referrals",
    ]
    kwargs: dict[str, Any] = {
        "metrics": headline, "windows": quarters, "segments": Segment.by("tier"), "basis": basis,
    }  # fmt: skip
    on_duckdb = scorecard(engines.Tables(frames, as_of=data.as_of), **kwargs)
    assert mismatches(scorecard(data, **kwargs), on_duckdb) == []


# -- pandas as users have it -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    for name, table in engines.arrow_tables(sample.tiny()).items():
        pq.write_table(table, folder / f"{name}.parquet")
    return folder


def _read(folder: Path, **options: Any) -> engines.Tables:
    data = sample.tiny()
    frames = {name: pd.read_parquet(folder / f"{name}.parquet", **options) for name in data.supplied}
    return engines.Tables(frames, as_of=data.as_of)


def test_arrow_backed_pandas_computes_nps_and_the_whole_catalogue(tiny_parquet: Path) -> None:
    tables = _read(tiny_parquet, dtype_backend="pyarrow")
    assert str(tables["surveys"]["score"].dtype) == "int64[pyarrow]"
    nps = metrics.net_promoter_score(tables, window=Q3)
    # Latest answer per respondent in Q3: u1 10, u2 9, a2 8, u3 5 (its 3 of July is replaced).
    assert (nps.value, dict(nps.components)) == (
        25.0, {"promoters": 2, "passives": 1, "detractors": 1, "respondents": 4},
    )  # fmt: skip
    windows = Window.year(2026).split("quarter")
    assert mismatches(card(sample.tiny(), windows=windows), card(tables, windows=windows)) == []


def test_a_pandas_column_of_decimal_objects_computes(tiny_parquet: Path) -> None:
    from decimal import Decimal

    tables = _read(tiny_parquet)
    column = tables["contracts"]["arr"]
    assert column.dtype == object and isinstance(column.iloc[0], Decimal)
    windows = Window.year(2026).split("quarter")
    assert mismatches(card(sample.tiny(), windows=windows), card(tables, windows=windows)) == []


@pytest.mark.parametrize("backend", LOCAL)
def test_categorical_text_columns_compute(backend: str) -> None:
    data = sample.tiny()
    arrow = {name: categorical(table) for name, table in engines.arrow_tables(data).items()}
    assert pa.types.is_dictionary(arrow["surveys"].schema.field("kind").type)
    tables = engines.Tables(on_backend(arrow, backend), as_of=data.as_of)
    nps = metrics.net_promoter_score(tables, window=Q3)
    assert (nps.value, nps.sample_size) == (25.0, 4)
    kwargs: dict[str, Any] = {
        "metrics": [
            "net_promoter_score",
            "customer_retention_rate",
            "brand_sentiment",
            "referral_campaign_roi",
        ],
        "windows": Window.year(2026).split("quarter"),
        "segments": [Segment.by("tier"), Segment.where(region="NA")],
    }
    assert mismatches(card(data, **kwargs), card(tables, **kwargs)) == []


def _seats_tables() -> engines.Tables:
    # pandas holds a column of integers with a gap as float64: 5.0, NaN, 10.0, 5.0.
    accounts = pd.DataFrame(
        {"id": ["a1", "a2", "a3", "a4"], "customer_since": [utc(2025, 1, 1)] * 4, "seats": [5, None, 10, 5]}
    )
    assert accounts["seats"].dtype == "float64"
    surveys = pd.DataFrame(
        {
            "id": ["s1", "s2", "s3", "s4"], "account_id": ["a1", "a2", "a3", "a4"], "kind": ["nps"] * 4,
            "score": [10, 0, 9, 3], "responded_at": [utc(2026, 7, 3)] * 4,
        }
    )  # fmt: skip
    return engines.Tables({"accounts": accounts, "surveys": surveys}, as_of=utc(2026, 10, 1))


def test_integer_attributes_with_gaps_in_pandas_segment_as_integers() -> None:
    tables = _seats_tables()
    built = scorecard(tables, metrics=["net_promoter_score"], windows=[Q3], segments=[Segment.by("seats")])
    assert {r.segment for r in built.results} == {
        Segment.all(),
        Segment.where(seats=5),
        Segment.where(seats=10),
    }
    assert all(type(v) is int for r in built.results[1:] for v in dict(r.segment.criteria)["seats"])
    five = metrics.net_promoter_score(tables, window=Q3, segment=Segment.where(seats=5))
    # a1 (10) and a4 (3) have 5 seats; a2 has none and a3 has 10.
    assert dict(five.components) == {"promoters": 1, "passives": 0, "detractors": 1, "respondents": 2}


def test_integer_attributes_with_gaps_in_pandas_read_back_as_records() -> None:
    accounts = {a.id: dict(a.attributes) for a in _seats_tables().to_data().accounts}
    assert accounts == {"a1": {"seats": 5}, "a2": {}, "a3": {"seats": 10}, "a4": {"seats": 5}}
    assert all(type(v) is int for values in accounts.values() for v in values.values())


# -- ids ---------------------------------------------------------------------------------------------


def _with_ids(accounts: list[str | None], surveys: list[str | None]) -> dict[str, Any]:
    instants = pa.timestamp("us", "UTC")
    return {
        "accounts": pa.table(
            {"id": pa.array(accounts, pa.string()),
             "customer_since": pa.array([utc(2025, 1, 1)] * len(accounts), instants)}
        ),
        "surveys": pa.table(
            {"id": pa.array(surveys, pa.string()), "account_id": ["a1", "a2"], "kind": ["nps", "nps"],
             "score": [10, 3], "responded_at": pa.array([utc(2026, 7, 3)] * 2, instants)}
        ),
    }  # fmt: skip


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize(
    ("accounts", "surveys", "table"),
    [(["a1", "a2"], ["s1", None], "surveys"), (["a1", "a2", None], ["s1", "s2"], "accounts")],
    ids=["survey", "account"],
)
def test_a_null_id_is_refused_naming_the_table_and_field(
    backend: str, accounts: list[str | None], surveys: list[str | None], table: str
) -> None:
    tables = engines.Tables(on_backend(_with_ids(accounts, surveys), backend), as_of=utc(2026, 10, 1))
    with pytest.raises(InvalidRecordError, match=rf"^{table} table: field 'id' must be set"):
        metrics.net_promoter_score(tables, window=Q3)


# -- frames with only the required columns ---------------------------------------------------------


def _bare_frames() -> dict[str, Any]:
    """Four collections with their required columns only (no ``personalized``, ``converted_at``,
    ``churned_at``...), as a CRM export might give them."""
    import polars as pl

    def at(*days: int) -> Any:
        return pl.Series(
            [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d) for d in days]
        ).dt.cast_time_unit("us")

    return {
        "accounts": pl.DataFrame(
            {"id": ["a1", "a2", "a3"], "customer_since": at(-400, -300, -200), "tier": ["smb", "mid", "smb"]}
        ),
        "referrals": pl.DataFrame({"id": ["r1", "r2"], "account_id": ["a1", "a2"], "invited_at": at(10, 40)}),
        "surveys": pl.DataFrame(
            {
                "id": ["s1", "s2", "s3"],
                "account_id": ["a1", "a2", "a3"],
                "kind": ["nps", "nps", "nps"],
                "score": [10, 6, 9],
                "responded_at": at(5, 20, 70),
            }
        ),
        "contracts": pl.DataFrame(
            {
                "id": ["c1", "c2"],
                "account_id": ["a1", "a3"],
                "start": at(-400, -200),
                "end": at(330, 530),
                "arr": pl.Series(["1200.00", "800.50"]).cast(pl.Decimal(18, 2)),
                "currency": ["USD", "USD"],
            }
        ),
    }


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_frames_with_only_the_required_columns_compute_every_metric_as_the_records_do(backend: str) -> None:
    # An absent optional column reads as nulls; in a filter (personalized referrals) it raised a
    # narwhals InvalidOperationError.
    from advocacy_kpis import io

    frames = _bare_frames()
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    data, report = io.from_frames(frames, as_of=as_of)
    assert report.ok
    if backend == "duckdb":
        import duckdb

        connection = duckdb.connect()
        frames = {name: connection.from_arrow(frame.to_arrow()) for name, frame in frames.items()}
    tables = engines.Tables(frames, as_of=as_of)
    kwargs: dict[str, Any] = {
        "windows": [Window.quarter(2026, 1)],
        "segments": [Segment.all(), Segment.where(tier="smb")],
        "basis": RevenueBasis.arr("USD"),
    }
    assert mismatches(scorecard(data, **kwargs), scorecard(tables, **kwargs)) == []
