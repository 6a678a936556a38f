"""Warnings where a number would mislead because its inputs are visibly incomplete."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from advocacy_kpis import AdvocacyData, RevenueBasis, Window, engines, metrics
from advocacy_kpis.records import Account, Contract

Q3 = Window.quarter(2026, 3)
USD = RevenueBasis.arr("USD")
T = datetime(2025, 1, 1, tzinfo=UTC)


def _history_starting_late() -> AdvocacyData:
    # Five customers since 2025. The contracts of a1-a3 (1,000 each) run through the quarter;
    # those of a4 and a5 (500 each) start on 1 August: the history begins after 1 July.
    contracts = [
        Contract(id=f"c{i}", account_id=f"a{i}", start=T, end=datetime(2027, 1, 1, tzinfo=UTC),
                 arr=Decimal(1000), currency="USD")
        for i in (1, 2, 3)
    ] + [
        Contract(id=f"c{i}", account_id=f"a{i}", start=datetime(2026, 8, 1, tzinfo=UTC),
                 end=datetime(2027, 8, 1, tzinfo=UTC), arr=Decimal(500), currency="USD")
        for i in (4, 5)
    ]  # fmt: skip
    return AdvocacyData.from_records(
        accounts=[Account(id=f"a{i}", customer_since=T) for i in range(1, 6)],
        contracts=contracts,
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )


WARNING = (
    "2 of 5 customers at the start (2026-07-01T00:00:00+00:00) had no live contract then (a run rate of 0): "
    "what they pay at the end counts as expansion, not as retained revenue; check that the contract "
    "history covers the start"
)


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        # NRR = (3 x 1,000 + 2 x 500) / (3 x 1,000); GRR = 3,000 / 3,000; expansion = 2 x 500.
        ("net_revenue_retention", 4000 / 3000),
        ("gross_revenue_retention", 1.0),
        ("expansion_revenue", Decimal(1000)),
    ],
)
def test_revenue_metrics_warn_of_starting_customers_without_a_contract(metric: str, value: object) -> None:
    result = getattr(metrics, metric)(_history_starting_late(), window=Q3, basis=USD)
    assert result.value == pytest.approx(value)
    assert WARNING in result.warnings


@pytest.mark.parametrize("backend", ["polars", "duckdb", "pandas", "pyarrow"])
def test_the_warning_is_the_same_on_every_engine(backend: str) -> None:
    pytest.importorskip("polars")
    pytest.importorskip("duckdb")
    data = _history_starting_late()
    tables = engines.tables_from_data(data, backend)
    for metric in ("net_revenue_retention", "expansion_revenue_growth_rate"):
        on_records = getattr(metrics, metric)(data, window=Q3, basis=USD)
        assert getattr(metrics, metric)(tables, window=Q3, basis=USD).to_dict() == on_records.to_dict()


def test_a_complete_history_gives_no_warning() -> None:
    data = _history_starting_late()
    # In the next quarter every starting customer has a live contract at its start.
    result = metrics.net_revenue_retention(data, window=Window.quarter(2026, 4), basis=USD)
    assert not any("no live contract" in w for w in result.warnings)
