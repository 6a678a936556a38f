"""Every engine against the pure-Python reference, cell by cell (``to_dict()`` of every result)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyData, Segment, Window, catalog, compute, engines, metrics, sample, scorecard
from tests.engines._parity import BASIS, LOCAL, card, mismatches, same_numbers
from tests.golden_loader import GOLDEN, expectations, load_case
from tests.strategies import datasets

pytest.importorskip("narwhals")
pytest.importorskip("polars")
pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")


FIXED = [
    Segment.all(),
    Segment.where(tier="smb"),
    Segment.where(region=("NA", "EMEA")),
    Segment.where(plan="pro"),
    Segment.where(icp=True, industry="retail"),
]
"""Segments that need no account to resolve (a generated data set may have none)."""


@cache
def _sample() -> AdvocacyData:
    return sample.generate(200)


@cache
def _reference(name: str) -> Any:
    return card(_sample() if name == "sample" else sample.tiny())


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("name", ["sample", "tiny"])
def test_engine_equals_reference_on_sample_data(name: str, backend: str) -> None:
    data = _sample() if name == "sample" else sample.tiny()
    tables = engines.tables_from_data(data, backend)
    assert mismatches(_reference(name), card(tables)) == []


@settings(max_examples=max(2, settings.default.max_examples // 4))
@given(data=datasets(max_accounts=10, max_per_account=3), backend=st.sampled_from(LOCAL))
def test_engine_equals_reference_on_generated_data(data: AdvocacyData, backend: str) -> None:
    tables = engines.tables_from_data(data, backend)
    # The tables hold money at one scale per column, so the reference reads the same rows back;
    # against the original records the numbers agree, Decimal places aside.
    assert mismatches(card(tables.to_data(), segments=FIXED), card(tables, segments=FIXED)) == []
    assert same_numbers(card(data, segments=FIXED), card(tables, segments=FIXED)) == []


def _golden_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(c, e) for c, e in expectations() if "raises" not in e]


@cache
def _golden_tables(stem: str) -> engines.Tables:
    return engines.tables_from_data(load_case(GOLDEN / f"{stem}.json")[1], "duckdb")


@pytest.mark.parametrize(("case", "expect"), _golden_cases(), ids=[c for c, _ in _golden_cases()])
def test_engine_equals_reference_on_golden_boundary_cases(case: str, expect: dict[str, Any]) -> None:
    from decimal import Decimal

    from advocacy_kpis import RevenueBasis, Segment

    tables = _golden_tables(case.split(":")[0])
    kwargs: dict[str, Any] = {"window": Window.parse(expect["window"])}
    if "segment" in expect:
        kwargs["segment"] = Segment.parse(expect["segment"])
    if "basis" in expect:
        basis = RevenueBasis.parse(expect["basis"])
        rates = {k: Decimal(v) for k, v in expect.get("fx", {}).items()}
        kwargs["basis"] = RevenueBasis(basis.kind, basis.currency, rates)  # type: ignore[arg-type]
    kwargs.update(expect.get("params", {}))
    got = compute(expect["metric"], tables, **kwargs)
    want = compute(expect["metric"], tables.to_data(), **kwargs)
    assert got.to_dict() == want.to_dict()
    original = compute(expect["metric"], load_case(GOLDEN / f"{case.split(':')[0]}.json")[1], **kwargs)
    assert got.value == original.value


def test_single_calls_and_compute_take_tables() -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "polars")
    q3 = Window.quarter(2026, 3)
    assert (
        metrics.net_promoter_score(tables, window=q3).to_dict()
        == metrics.net_promoter_score(data, window=q3).to_dict()
    )
    got = compute("revenue_from_referrals", tables, window=Window.year(2026), basis=BASIS)
    assert (
        got.to_dict() == metrics.revenue_from_referrals(data, window=Window.year(2026), basis=BASIS).to_dict()
    )


def test_python_engine_reads_the_tables_records() -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "pandas")
    assert mismatches(card(data), card(tables, engine="python")) == []


def test_cumulative_incidence_cells_equal_single_calls() -> None:
    data = sample.tiny()
    quarters = Window.year(2026).split("quarter")
    params = {"estimator": "cumulative_incidence"}
    for source in (data, engines.tables_from_data(data, "polars")):
        built = scorecard(source, metrics=["referral_conversion_rate"], windows=quarters, params=params)
        for q in quarters:
            single = metrics.referral_conversion_rate(data, window=q, estimator="cumulative_incidence")
            assert built.get("referral_conversion_rate", q).to_dict() == single.to_dict()


def test_every_catalogue_metric_computes_on_the_engines() -> None:
    assert set(engines.SUPPORTED) == set(catalog.CATALOGUE_IDS)
    assert dict(engines.UNSUPPORTED) == {}


def test_a_weighted_scorecard_of_the_whole_catalogue_on_tables_equals_the_records() -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "duckdb")
    quarters = Window.year(2026).split("quarter")
    kwargs: dict[str, Any] = {"windows": quarters, "segments": Segment.by("tier"), "basis": BASIS}
    for weighted in (False, True):
        card_ = scorecard(tables, weight_rates=weighted, **kwargs)
        assert card_.metrics == tuple(s.id for s in catalog.all())
        assert mismatches(scorecard(tables.to_data(), weight_rates=weighted, **kwargs), card_) == []


def test_collection_not_supplied_is_undefined_as_for_records() -> None:
    data = sample.tiny()
    full = engines.tables_from_data(data, "polars")
    tables = engines.Tables({"accounts": full["accounts"]}, as_of=data.as_of)
    q3 = Window.quarter(2026, 3)
    got = metrics.net_promoter_score(tables, window=q3)
    assert (
        got.value is None
        and got.undefined_reason == "no surveys were supplied, so this metric cannot be computed"
    )
    assert got.to_dict() == metrics.net_promoter_score(tables.to_data(), window=q3).to_dict()
