"""Revenue weights are computed once, the same way, in a rate's numerator and denominator.

A monthly weight (ARR / 12) that is not an exact decimal must not be rounded one way in the
part and another in the whole: three customers with ARR 43,531.63, 152,247.90 and 74,269.63
USD, all advocating (or all referred and retained) in 2026Q1, weigh the same in both, so the
weighted rate is exactly 1 on an MRR basis, as on ARR, on every engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from advocacy_kpis import AdvocacyData, RevenueBasis, Window, engines, metrics
from advocacy_kpis.records import Account, AdvocacyAction, Asset, Contract

AMOUNTS = (Decimal("43531.63"), Decimal("152247.90"), Decimal("74269.63"))
Q1 = Window.quarter(2026, 1)
T = datetime(2025, 1, 1, tzinfo=UTC)


def _data() -> AdvocacyData:
    ids = [f"a{i}" for i in range(1, len(AMOUNTS) + 1)]
    return AdvocacyData.from_records(
        accounts=[Account(id=a, customer_since=T, acquisition_channel="referral") for a in ids],
        contracts=[
            Contract(
                id=f"c-{a}",
                account_id=a,
                start=T,
                end=datetime(2028, 1, 1, tzinfo=UTC),
                arr=arr,
                currency="USD",
            )
            for a, arr in zip(ids, AMOUNTS, strict=True)
        ],
        actions=[
            AdvocacyAction(
                id=f"x-{a}", account_id=a, asset=Asset.REVIEW, completed_at=datetime(2026, 2, 1, tzinfo=UTC)
            )
            for a in ids
        ],
        referrals=[],
        reviews=[],
        social_shares=[],
        as_of=datetime(2026, 10, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("metric", ["customer_advocacy_rate", "referral_retention_rate"])
@pytest.mark.parametrize("basis", [RevenueBasis.mrr("USD"), RevenueBasis.arr("USD")], ids=["mrr", "arr"])
def test_every_customer_counted_weighs_the_whole(metric: str, basis: RevenueBasis) -> None:
    result = getattr(metrics, metric)(_data(), window=Q1, basis=basis)
    assert result.value == 1.0, result.undefined_reason
    # The whole weighs sum(ARR) = 270,049.16, or a twelfth of it taken once: 22,504.096666666667.
    whole = Decimal("270049.16") if basis.kind.name == "ARR" else Decimal("22504.096666666667")
    assert Decimal(str(result.numerator)) == Decimal(str(result.denominator)) == whole


@pytest.mark.parametrize("metric", ["customer_advocacy_rate", "referral_retention_rate"])
@pytest.mark.parametrize("backend", ["polars", "duckdb", "pandas", "pyarrow"])
def test_the_monthly_weight_is_the_same_on_every_engine(metric: str, backend: str) -> None:
    pytest.importorskip("polars")
    pytest.importorskip("duckdb")
    data = _data()
    basis = RevenueBasis.mrr("USD")
    on_records = getattr(metrics, metric)(data, window=Q1, basis=basis)
    on_tables = getattr(metrics, metric)(engines.tables_from_data(data, backend), window=Q1, basis=basis)
    assert on_tables.to_dict() == on_records.to_dict()
    assert on_tables.value == 1.0
