"""The catalogue registry and its JSON export."""

from __future__ import annotations

import json

import pytest

from advocacy_kpis import UnknownMetricError, catalog
from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
)
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.result import Direction, Unit

FOUNDATION = (
    "net_promoter_score",
    "customer_satisfaction_score",
    "client_referral_rate",
    "referral_conversion_rate",
    "customer_retention_rate",
    "customer_churn_rate",
    "time_to_first_referral",
)


def test_foundation_metrics_are_registered_in_catalogue_order() -> None:
    ids = [s.id for s in catalog.all()]
    assert set(FOUNDATION) <= set(ids)
    numbers = [s.number for s in catalog.all()]
    assert numbers == sorted(numbers)


def test_get_unknown_id_lists_known_ids() -> None:
    with pytest.raises(UnknownMetricError, match="'nps'.*net_promoter_score"):
        catalog.get("nps")


def test_to_json_round_trips_every_field() -> None:
    exported = json.loads(catalog.to_json())
    assert [e["id"] for e in exported] == [s.id for s in catalog.all()]
    nps = next(e for e in exported if e["id"] == "net_promoter_score")
    assert nps["unit"] == "score" and nps["basis"] == "optional" and nps["pitfalls"]
    assert set(nps) == {f.name for f in __import__("attrs").fields(MetricSpec)}


def _spec(**changes: object) -> MetricSpec:
    fields: dict[str, object] = {
        "id": "x_rate", "number": 999, "name": "X", "family": Family.PROGRAM, "kind": MetricKind.PROPORTION,
        "definition": "d", "formula": "f", "formula_latex": "f", "unit": Unit.RATE,
        "direction": Direction.HIGHER_IS_BETTER, "population": "p", "window_semantics": "w",
        "undefined_when": "u", "segment": SegmentUse.ACCOUNTS, "basis": BasisUse.NONE,
        "signal": SignalType.GROWTH, "seed": "000", "pitfalls": (Pitfall("m", "g"),),
    }  # fmt: skip
    fields.update(changes)
    return MetricSpec(**fields)  # type: ignore[arg-type]


def test_spec_validates_itself_at_construction() -> None:
    with pytest.raises(ParameterError, match="'id'"):
        _spec(id="Bad Id")
    with pytest.raises(ParameterError, match="'basis'"):
        _spec(unit=Unit.MONEY)
    with pytest.raises(ParameterError, match="'pitfalls'"):
        _spec(pitfalls=())


def test_registering_under_another_name_is_refused() -> None:
    with pytest.raises(ParameterError, match="'spec'"):

        @catalog.metric(_spec(id="y_rate"))
        def not_y_rate() -> None:  # pragma: no cover - never called
            raise AssertionError
