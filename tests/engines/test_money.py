"""Money on every engine: sums exact past 64 bits and at any column scale, or refused naming the column.

Expected sums are written out by hand. The engines sum money as Decimal(38, scale) where it lives
and trust a sum while rows x largest amount x 10**scale stays below 10**37 (one of the 38 digits
kept free); past that bound a column is refused with `MoneyOverflowError`, never summed wrong.
Spark with ANSI mode off is in ``test_spark_jobs.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from advocacy_kpis import RevenueBasis, Window, engines, metrics
from advocacy_kpis.errors import AdvocacyKpisError, InvalidRecordError, MoneyOverflowError
from tests.engines._frames import LOCAL, on_backend, referred, utc

pa = pytest.importorskip("pyarrow")
pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

Q1 = Window.quarter(2026, 1)
Q2 = Window.quarter(2026, 2)
SIGNED = utc(2026, 1, 5)
ENDS = utc(2027, 1, 5)
AS_OF = utc(2026, 10, 1)
ARR = RevenueBasis.arr("USD")


@pytest.mark.parametrize("backend", LOCAL)
def test_twenty_one_contracts_of_9e17_sum_exactly_past_64_bits(backend: str) -> None:
    tables = engines.tables_from_data(referred([Decimal("9E+17")] * 21), backend)
    total = Decimal("18900000000000000000")  # 21 x 9E+17
    assert total > 2**63 - 1
    revenue = metrics.revenue_from_referrals(tables, window=Q1, basis=ARR)
    assert isinstance(revenue.value, Decimal) and revenue.value == total
    nrr = metrics.net_revenue_retention(tables, window=Q2, basis=ARR)
    assert (nrr.value, nrr.numerator, nrr.denominator) == (1.0, total, total)


def _duckdb_tables(money_type: str, amounts: Sequence[str]) -> engines.Tables:
    """Accounts and contracts as a user's DuckDB tables would hold them, ``arr`` typed ``money_type``."""
    con = duckdb.connect()
    accounts = con.sql(
        "SELECT 'a' || i AS id, TIMESTAMPTZ '2026-01-05 00:00:00+00' AS customer_since, "
        f"'referral' AS acquisition_channel FROM range({len(amounts)}) AS t(i)"
    )
    rows = ", ".join(f"('c{i}', 'a{i}', '{amount}')" for i, amount in enumerate(amounts))
    contracts = con.sql(
        f"SELECT id, account_id, TIMESTAMPTZ '2026-01-05 00:00:00+00' AS start, "
        f"TIMESTAMPTZ '2027-01-05 00:00:00+00' AS \"end\", CAST(arr AS {money_type}) AS arr, 'USD' AS currency "
        f"FROM (VALUES {rows}) AS v(id, account_id, arr)"
    )
    return engines.Tables({"accounts": accounts, "contracts": contracts}, as_of=AS_OF)


def test_a_duckdb_decimal_18_6_column_holding_a_million_sums_exactly() -> None:
    tables = _duckdb_tables("DECIMAL(18,6)", ["1000000.00", "1000000.00", "1000000.00", "0.000001"])
    assert "DECIMAL(18,6)" in str(tables["contracts"].types)
    total = Decimal("3000000.000001")
    for basis, want in (
        (ARR, total),
        # 3000000.000001 / 12 = 250000.0000000833333..., rounded once at 12 places.
        (RevenueBasis.mrr("USD"), Decimal("250000.000000083333")),
        # A term of exactly one year: its first year and its whole term are its ARR.
        (RevenueBasis.acv("USD"), total),
        (RevenueBasis.tcv("USD"), total),
    ):
        assert metrics.revenue_from_referrals(tables, window=Q1, basis=basis).value == want, basis.kind
    nrr = metrics.net_revenue_retention(tables, window=Q2, basis=ARR)
    assert (nrr.value, nrr.numerator, nrr.denominator) == (1.0, total, total)


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize(
    ("amounts", "total"),
    [
        (["123456.0123456789", "0.0000000001", "999999999.9999999999"], "1000123456.0123456789"),
        (
            ["123456.012345678901234567", "0.000000000000000001", "99999999.999999999999999999"],
            "100123456.012345678901234567",
        ),
    ],
    ids=["10 places", "18 places"],
)
def test_money_columns_of_ten_and_eighteen_places_sum_exactly(
    backend: str, amounts: list[str], total: str
) -> None:
    tables = engines.tables_from_data(referred([Decimal(a) for a in amounts]), backend)
    got = metrics.revenue_from_referrals(tables, window=Q1, basis=ARR).value
    assert got == Decimal(total)


ONE_E17_AT_18_PLACES = Decimal("100000000000000000.000000000000000000")


@pytest.mark.parametrize("backend", LOCAL)
def test_the_overflow_bound_admits_99_rows_of_1e17_at_18_places(backend: str) -> None:
    # 99 x 1E+17 x 10**18 = 9.9E+36: below the bound of 10**37, so the sum is trusted.
    tables = engines.tables_from_data(referred([ONE_E17_AT_18_PLACES] * 99), backend)
    assert metrics.revenue_from_referrals(tables, window=Q1, basis=ARR).value == Decimal("9.9E+18")


@pytest.mark.parametrize("backend", LOCAL)
def test_the_overflow_bound_refuses_100_rows_of_1e17_at_18_places_naming_the_column(backend: str) -> None:
    # 100 x 1E+17 x 10**18 = 10**37 reaches the bound. The sum itself would still fit in 38 digits,
    # but the bound is decided before summing, from the row count and the largest amount alone.
    tables = engines.tables_from_data(referred([ONE_E17_AT_18_PLACES] * 100), backend)
    with pytest.raises(MoneyOverflowError, match=r"contracts\.arr") as raised:
        metrics.revenue_from_referrals(tables, window=Q1, basis=ARR)
    assert (raised.value.collection, raised.value.column) == ("contracts", "arr")
    assert isinstance(raised.value, AdvocacyKpisError)


def _contracts_with(arr: pa.Array) -> dict[str, pa.Table]:
    accounts = pa.table(
        {"id": ["a1", "a2"], "customer_since": pa.array([SIGNED, SIGNED], pa.timestamp("us", "UTC"))}
    )
    contracts = pa.table(
        {
            "id": ["c1", "c2"],
            "account_id": ["a1", "a2"],
            "start": pa.array([SIGNED, SIGNED], pa.timestamp("us", "UTC")),
            "end": pa.array([ENDS, ENDS], pa.timestamp("us", "UTC")),
            "arr": arr,
            "currency": ["USD", "USD"],
        }
    )
    return {"accounts": accounts, "contracts": contracts}


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize(
    "arr",
    [pa.array([1200.5, 99.0], pa.float64()), pa.array(["1200.50", "99"], pa.string())],
    ids=["float", "text"],
)
def test_a_float_or_text_money_column_is_refused_naming_the_column(backend: str, arr: pa.Array) -> None:
    tables = engines.Tables(on_backend(_contracts_with(arr), backend), as_of=AS_OF)
    with pytest.raises(InvalidRecordError, match=r"^contracts table: field 'arr' must be a Decimal"):
        metrics.revenue_from_referrals(tables, window=Q1, basis=ARR)
