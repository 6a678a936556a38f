"""A collection that was not supplied reads the same on the records and on every engine: the
metric is undefined because it was not supplied, with no warning about what it does not hold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advocacy_kpis import AdvocacyData, RevenueBasis, Segment, Window, engines, metrics, sample

pytest.importorskip("polars")
pytest.importorskip("duckdb")

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})


def _without(name: str) -> AdvocacyData:
    data = sample.tiny()
    kept = {n: list(getattr(data, n)) for n in data.as_collections() if n != name and data.is_supplied(n)}
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **kept)


@pytest.mark.parametrize("backend", ["polars", "duckdb", "pandas", "pyarrow"])
@pytest.mark.parametrize("segment", [Segment.all(), Segment.where(tier="smb")], ids=["all", "smb"])
def test_campaign_roi_without_program_costs(backend: str, segment: Segment) -> None:
    data = _without("program_costs")
    tables = engines.tables_from_data(data, backend)
    assert not tables.engine.is_supplied("program_costs")
    q3 = Window.quarter(2026, 3)
    on_records = metrics.referral_campaign_roi(data, window=q3, segment=segment, basis=BASIS)
    on_tables = metrics.referral_campaign_roi(tables, window=q3, segment=segment, basis=BASIS)
    assert on_records.value is None
    assert on_records.undefined_reason == "no program costs were supplied, so this metric cannot be computed"
    assert not any("ProgramCost" in w for w in on_records.warnings)
    assert on_tables.to_dict() == on_records.to_dict()
