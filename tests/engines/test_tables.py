"""Tables are checked by the rules of the records, where they live, naming collection, column and row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from advocacy_kpis import RevenueBasis, Window, engines, metrics, sample
from advocacy_kpis.errors import DuplicateIdError, InvalidRecordError, ParameterError, UnknownReferenceError

pl = pytest.importorskip("polars")
pytest.importorskip("duckdb")

T = datetime(2026, 7, 5, tzinfo=UTC)
AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
Q3 = Window.quarter(2026, 3)


def _accounts() -> object:
    return pl.DataFrame({"id": ["a1", "a2"], "customer_since": [datetime(2025, 1, 1, tzinfo=UTC)] * 2})


def _surveys(**changes: object) -> object:
    columns: dict[str, object] = {
        "id": ["s1", "s2"], "account_id": ["a1", "a2"], "kind": ["nps", "nps"], "score": [9, 3],
        "responded_at": [T, T],
    }  # fmt: skip
    columns.update(changes)
    return pl.DataFrame(columns)


def _nps(surveys: object) -> object:
    tables = engines.Tables({"accounts": _accounts(), "surveys": surveys}, as_of=AS_OF)
    return metrics.net_promoter_score(tables, window=Q3)


def test_a_clean_table_computes() -> None:
    assert _nps(_surveys()).value == 0.0


def test_unknown_account_names_collection_column_and_row() -> None:
    with pytest.raises(UnknownReferenceError, match=r"surveys row 's2'.*account_id.*'zz'"):
        _nps(_surveys(account_id=["a1", "zz"]))


def test_naive_timestamps_are_refused() -> None:
    naive = [datetime(2026, 7, 5), datetime(2026, 7, 6)]
    with pytest.raises(InvalidRecordError, match=r"surveys table.*responded_at.*time zone"):
        _nps(_surveys(responded_at=naive))


def test_score_out_of_range_names_the_row() -> None:
    with pytest.raises(InvalidRecordError, match=r"surveys row 's2'.*score.*0 to 10"):
        _nps(_surveys(score=[9, 11]))


def test_events_after_as_of_and_duplicates_and_missing_columns() -> None:
    with pytest.raises(InvalidRecordError, match=r"surveys row 's1'.*responded_at.*at or before as_of"):
        _nps(_surveys(responded_at=[datetime(2026, 11, 1, tzinfo=UTC), T]))
    with pytest.raises(DuplicateIdError, match=r"surveys row 's1'"):
        _nps(_surveys(id=["s1", "s1"]))
    with pytest.raises(InvalidRecordError, match=r"surveys table.*'score'.*present"):
        _nps(_surveys().drop("score"))
    with pytest.raises(InvalidRecordError, match=r"surveys row 's2'.*kind.*one of"):
        _nps(_surveys(kind=["nps", "promoter"]))


def test_money_is_never_a_float() -> None:
    contracts = pl.DataFrame(
        {"id": ["c1"], "account_id": ["a1"], "start": [T], "end": [datetime(2027, 7, 5, tzinfo=UTC)],
         "arr": [1200.5], "currency": ["USD"]}
    )  # fmt: skip
    tables = engines.Tables({"accounts": _accounts(), "contracts": contracts}, as_of=AS_OF)
    with pytest.raises(InvalidRecordError, match=r"contracts table.*arr.*never a float"):
        tables.lazy("contracts")


def test_tables_refuse_unknown_collections_and_mixed_libraries() -> None:
    with pytest.raises(ParameterError, match="collection names"):
        engines.Tables({"accounts": _accounts(), "tickets": _accounts()}, as_of=AS_OF)
    with pytest.raises(ParameterError, match="one library"):
        engines.Tables({"accounts": _accounts(), "surveys": _surveys().to_pandas()}, as_of=AS_OF)
    with pytest.raises(ParameterError, match="'accounts' frame"):
        engines.Tables({"surveys": _surveys()}, as_of=AS_OF)


def test_round_trip_keeps_every_record() -> None:
    data = sample.tiny()
    for backend in ("polars", "duckdb", "pandas"):
        again = engines.tables_from_data(data, backend).to_data()
        for name in data.as_collections():
            assert getattr(again, name) == getattr(data, name), (backend, name)


def test_money_sums_are_exact_decimals() -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "duckdb")
    arr = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.27")})
    got = metrics.revenue_from_referrals(tables, window=Window.year(2026), basis=arr)
    want = metrics.revenue_from_referrals(data, window=Window.year(2026), basis=arr)
    assert isinstance(got.value, Decimal) and str(got.value) == str(want.value)
