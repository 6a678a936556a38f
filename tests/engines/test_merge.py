"""Tallies computed on tables merge: two parts of a data set, split by whole accounts, merge into the
tally of the whole, for every metric, on Polars and DuckDB.

Records travel with their account; accounts a referral links stay together, and records without an
account go to one part or the other (as ``tests/test_scorecard.py`` splits the records).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyData, RevenueBasis, Segment, Window, catalog, engines, sample
from advocacy_kpis.catalog import BasisUse, MetricSpec, SegmentUse
from advocacy_kpis.grid import Grid
from advocacy_kpis.tally import Tally, context, definition
from tests.strategies import TIERS, datasets
from tests.test_scorecard import _components, _linked_parts, _normal

pytest.importorskip("polars")
pytest.importorskip("duckdb")

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
WINDOWS = [Window.quarter(2026, 1), Window.quarter(2026, 3), Window.month(2026, 8)]


def _segments(spec: MetricSpec) -> list[Segment]:
    if spec.segment is SegmentUse.NONE or definition(spec.id).on_records is not None:
        return [Segment.all()]
    return [Segment.all(), *[Segment.where(tier=t) for t in TIERS], Segment.where(tier=("mid", "smb"))]


def _bases(spec: MetricSpec) -> list[RevenueBasis | None]:
    """Every basis a metric's tallies can be taken on: none, and a weighting or money basis."""
    if spec.basis is BasisUse.NONE:
        return [None]
    if spec.basis is BasisUse.OPTIONAL:
        return [None, BASIS]
    return [BASIS]


class _Runs:
    """One context per grid over a source, shared by every metric as a scorecard shares it."""

    def __init__(self, source: AdvocacyData | engines.Tables) -> None:
        self.source = source
        self.contexts: dict[tuple[Segment, ...], Any] = {}

    def tallies(self, spec: MetricSpec, basis: RevenueBasis | None) -> list[Tally]:
        segments = tuple(_segments(spec))
        if segments not in self.contexts:
            self.contexts[segments] = context(self.source, Grid(WINDOWS, list(segments)))
        chosen = definition(spec.id)
        return chosen.tallies(self.contexts[segments], basis, chosen.prepare({}))


def _split(data: AdvocacyData, picks: list[bool]) -> tuple[AdvocacyData, AdvocacyData]:
    first, second = _linked_parts(data, picks)
    return _components(data, first, True), _components(data, second, False)


def _unmerged(data: AdvocacyData, picks: list[bool], backend: str) -> list[str]:
    """The metrics (and bases) whose merged tallies of the two parts differ from the whole's."""
    whole = _Runs(engines.tables_from_data(data, backend))
    parts = [_Runs(engines.tables_from_data(part, backend)) for part in _split(data, picks)]
    out = []
    for spec in catalog.all():
        for basis in _bases(spec):
            a, b = (part.tallies(spec, basis) for part in parts)
            merged = [x.merge(y) for x, y in zip(a, b, strict=True)]
            if [_normal(t) for t in merged] != [_normal(t) for t in whole.tallies(spec, basis)]:
                out.append(f"{spec.id} ({'weighted' if basis is not None else 'unweighted'})")
    return out


@cache
def _sample() -> AdvocacyData:
    return sample.generate(40)


def test_parts_of_the_sample_split_by_accounts_hold_every_account_once() -> None:
    data = _sample()
    first, second = _split(data, [i % 2 == 0 for i in range(len(data.accounts))])
    assert first.accounts and second.accounts
    assert sorted(a.id for a in (*first.accounts, *second.accounts)) == sorted(a.id for a in data.accounts)


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_tallies_of_two_parts_of_the_sample_on_tables_merge_into_the_whole(backend: str) -> None:
    data = _sample()
    assert _unmerged(data, [i % 2 == 0 for i in range(len(data.accounts))], backend) == []


@settings(max_examples=max(2, settings.default.max_examples // 6))
@given(data=datasets(max_accounts=8), picks=st.lists(st.booleans(), min_size=8, max_size=8))
def test_tallies_of_two_parts_of_generated_data_on_polars_merge_into_the_whole(
    data: AdvocacyData, picks: list[bool]
) -> None:
    assert _unmerged(data, picks, "polars") == []


@pytest.mark.thorough
@settings(max_examples=max(2, settings.default.max_examples // 10))
@given(data=datasets(max_accounts=8), picks=st.lists(st.booleans(), min_size=8, max_size=8))
def test_tallies_of_two_parts_of_generated_data_on_duckdb_merge_into_the_whole(
    data: AdvocacyData, picks: list[bool]
) -> None:
    assert _unmerged(data, picks, "duckdb") == []
