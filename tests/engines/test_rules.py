"""A row the records refuse is refused by the tables too, on every library, with the same error.

Each case is one bad row. The error the records raise (building the record, or the data set that
holds it) is the expectation: the tables must raise the same class, naming the same field and
saying the same thing is expected, with the collection and the row's id as the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from advocacy_kpis import AdvocacyData, engines
from advocacy_kpis.errors import InvalidRecordError
from advocacy_kpis.records import Account, Contract, Referral, Review, SurveyKind, SurveyResponse

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pandas")

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
T = datetime(2026, 3, 1, tzinfo=UTC)
LATER = datetime(2027, 3, 1, tzinfo=UTC)

ACCOUNTS = [
    {"id": "a1", "customer_since": datetime(2025, 1, 1, tzinfo=UTC)},
    {"id": "a2", "customer_since": datetime(2025, 1, 1, tzinfo=UTC)},
]


def _contract(
    ident: str, account: str = "a1", renewal_of: str | None = None, arr: str = "1200"
) -> dict[str, Any]:
    return {
        "id": ident, "account_id": account, "start": T, "end": LATER, "arr": Decimal(arr),
        "currency": "USD", "renewal_of": renewal_of,
    }  # fmt: skip


def _referral(ident: str, account: str, converted: str | None) -> dict[str, Any]:
    return {
        "id": ident, "account_id": account, "invited_at": T, "converted_at": T if converted else None,
        "converted_account_id": converted,
    }  # fmt: skip


CASES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "blank id": ("contracts", [_contract("c1"), _contract("  ")]),
    "amount beyond the bound": ("contracts", [_contract("c1", arr="1E+19")]),
    "contract renewing itself": ("contracts", [_contract("c1", renewal_of="c1")]),
    "renewal of an unknown contract": ("contracts", [_contract("c1"), _contract("c2", renewal_of="c9")]),
    "renewal of another account's contract": (
        "contracts",
        [_contract("c1"), _contract("c2", account="a2", renewal_of="c1")],
    ),
    "renewal cycle": (
        "contracts",
        [
            _contract("c1", renewal_of="c3"),
            _contract("c2", renewal_of="c1"),
            _contract("c3", renewal_of="c2"),
        ],
    ),
    "self-referral": ("referrals", [_referral("r1", "a1", "a2"), _referral("r2", "a1", "a1")]),
    "end before start": ("contracts", [{**_contract("c1"), "end": T}]),
    "score off the scale": (
        "surveys",
        [{"id": "s1", "account_id": "a1", "kind": "csat", "score": 6, "responded_at": T}],
    ),
    "rating off the scale": (
        "reviews",
        [{"id": "v1", "account_id": "a1", "platform": "g2", "published_at": T, "rating": 0}],
    ),
}

RECORDS: Mapping[str, Callable[..., Any]] = {
    "contracts": Contract,
    "referrals": Referral,
    "surveys": lambda **row: SurveyResponse(**{**row, "kind": SurveyKind(row["kind"])}),
    "reviews": Review,
}


def _records_error(collection: str, rows: list[dict[str, Any]]) -> InvalidRecordError:
    def build() -> None:
        records = [RECORDS[collection](**row) for row in rows]
        AdvocacyData.from_records(
            accounts=[Account(**row) for row in ACCOUNTS], as_of=AS_OF, **{collection: records}
        )

    with pytest.raises(InvalidRecordError) as caught:
        build()
    return caught.value


def _frame(rows: list[dict[str, Any]]) -> Any:
    columns = {name: [row.get(name) for row in rows] for name in {n: None for row in rows for n in row}}
    schema = {name: pl.Decimal(38, 2) for name in columns if name == "arr"}
    return pl.DataFrame(columns, schema_overrides=schema)


def _tables(library: str, collection: str, rows: list[dict[str, Any]]) -> engines.Tables:
    frames = {"accounts": _frame(ACCOUNTS), collection: _frame(rows)}
    if library == "pandas":
        frames = {name: frame.to_pandas(use_pyarrow_extension_array=True) for name, frame in frames.items()}
    elif library == "pyarrow":
        frames = {name: frame.to_arrow() for name, frame in frames.items()}
    elif library == "duckdb":
        connection = duckdb.connect()
        frames = {name: connection.from_arrow(frame.to_arrow()) for name, frame in frames.items()}
    return engines.Tables(frames, as_of=AS_OF)


@pytest.mark.parametrize("library", ["polars", "pandas", "pyarrow", "duckdb"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_tables_refuse_what_the_records_refuse(case: str, library: str) -> None:
    collection, rows = CASES[case]
    expected = _records_error(collection, rows)
    tables = _tables(library, collection, rows)
    with pytest.raises(InvalidRecordError) as caught:
        tables.lazy(collection)
    error = caught.value
    assert type(error) is type(expected), (error, expected)
    assert error.field == expected.field, (error, expected)
    assert error.expected == expected.expected, (error, expected)
    assert error.record.startswith(f"{collection} row "), error.record
