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


def test_common_short_names_resolve_to_registered_ids() -> None:
    for name in ("nps", "NPS", " Net Promoter Score ", "net-promoter-score", "net_promoter_score"):
        assert catalog.resolve(name) == "net_promoter_score"
    assert catalog.get("csat").id == "customer_satisfaction_score"
    assert catalog.function("churn") is catalog.function("customer_churn_rate")
    assert catalog.get("retention").id == "customer_retention_rate"


def test_an_unknown_id_suggests_the_closest_ids_instead_of_listing_them_all() -> None:
    with pytest.raises(UnknownMetricError) as caught:
        catalog.get("net_promoter_scor")
    message = str(caught.value)
    assert message.startswith("No metric 'net_promoter_scor' in the catalogue. Closest: net_promoter_score")
    assert "social_shares" not in message
    with pytest.raises(UnknownMetricError, match=r"Closest: .*nps \(net_promoter_score\)"):
        catalog.function("nsp")
    with pytest.raises(UnknownMetricError, match=r"catalog.all\(\)"):
        catalog.get("zzzz")


def test_aliases_and_ids_of_unimplemented_metrics_say_they_are_not_implemented_yet() -> None:
    registered = {spec.id for spec in catalog.all()}
    for alias, target in catalog.ALIASES.items():
        if target in registered:
            assert catalog.resolve(alias) == target
        else:
            with pytest.raises(
                UnknownMetricError, match=f"'{target}' \\('{alias}' stands for it\\) is in the catalogue"
            ):
                catalog.get(alias)
    missing = [i for i in catalog.CATALOGUE_IDS if i not in registered]
    for metric_id in missing:
        with pytest.raises(UnknownMetricError, match="not implemented yet"):
            catalog.function(metric_id)


def test_every_alias_names_a_catalogue_id_and_every_spec_sits_at_its_number() -> None:
    assert set(catalog.ALIASES.values()) <= set(catalog.CATALOGUE_IDS)
    assert not set(catalog.ALIASES) & set(catalog.CATALOGUE_IDS)
    assert len(set(catalog.CATALOGUE_IDS)) == len(catalog.CATALOGUE_IDS) == 46
    for spec in catalog.all():
        assert catalog.CATALOGUE_IDS[spec.number - 1] == spec.id


def test_a_metric_id_that_is_not_a_string_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="'metric_id'.*None"):
        catalog.get(None)  # type: ignore[arg-type]


def test_a_huge_unknown_id_gives_a_short_message() -> None:
    with pytest.raises(UnknownMetricError) as caught:
        catalog.get("x" * 5_000_000)
    assert len(str(caught.value)) < 400 and "5000000 characters" in str(caught.value)


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
