"""Results as JSON and back: exact round trips, the published JSON Schema, and errors that name the path."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import (
    AdvocacyData,
    AdvocacyKpisError,
    Calendar,
    Change,
    Interval,
    MetricResult,
    RevenueBasis,
    Segment,
    Unit,
    Window,
    catalog,
    metrics,
    sample,
)
from advocacy_kpis.errors import ParameterError, PayloadError, SchemaVersionError, SegmentNotApplicableError
from advocacy_kpis.payload import SCHEMA_VERSION
from advocacy_kpis.scorecard import Scorecard, compute, scorecard
from tests.strategies import HEAVY, datasets

# -- an exact comparison, independent of the code under test ------------------------------------


def exact(value: Any) -> Any:
    """A form of ``value`` in which equal means the same types, digits and offsets all the way down.

    ``==`` alone is too kind for a round trip: ``Decimal("1.50") == Decimal("1.5") == 1.5 == True``.
    """
    if isinstance(value, (bool, int, str)) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    if isinstance(value, Mapping):
        return (
            "mapping",
            sorted((repr(k), exact(v)) for k, v in value.items()),
        )
    if isinstance(value, tuple):
        return ("tuple", [exact(v) for v in value])
    if isinstance(value, list):
        return ("list", [exact(v) for v in value])
    if isinstance(value, frozenset):
        return ("frozenset", sorted(repr(exact(v)) for v in value))
    if attrs.has(type(value)):
        return (
            type(value).__name__,
            [(f.name, exact(getattr(value, f.name))) for f in attrs.fields(type(value))],
        )
    if hasattr(value, "utcoffset"):  # a time zone
        return ("tz", type(value).__name__, getattr(value, "key", None) or str(value))
    return (type(value).__name__, repr(value))


def round_trip(result: MetricResult) -> MetricResult:
    return MetricResult.from_dict(json.loads(json.dumps(result.to_dict())))


def assert_round_trips(result: MetricResult) -> None:
    back = round_trip(result)
    assert back == result
    assert exact(back) == exact(result)
    assert exact(MetricResult.from_json(result.to_json())) == exact(result)


VALIDATOR = jsonschema.Draft202012Validator(MetricResult.json_schema())


def assert_valid(payload: Any) -> None:
    errors = sorted(VALIDATOR.iter_errors(payload), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]


# -- results of the library ----------------------------------------------------------------------

BERLIN_FISCAL = Calendar("Europe/Berlin", fiscal_year_start_month=2)
KOLKATA_SUNDAY = Calendar(timezone(timedelta(hours=5, minutes=30)), week_start=6)
BASES = (
    RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.0825")}),
    RevenueBasis.mrr("EUR", fx_rates={"USD": Decimal("0.92"), "GBP": Decimal("1.17000")}),
)


def windows_on(calendar: Calendar) -> list[Window]:
    return [
        Window.quarter(2026, 2, calendar),
        Window.month(2026, 3, calendar),
        Window.week(date(2026, 3, 29), calendar),
        Window.day(date(2026, 3, 29), calendar),
        Window.fiscal_quarter(2026, 4, calendar),
        Window.fiscal_year(2027, calendar),
        Window.between(
            datetime(2025, 11, 3, 7, tzinfo=UTC), datetime(2026, 2, 17, 19, 30, tzinfo=UTC), calendar
        ),
        Window.trailing(90, date(2026, 6, 30), calendar),
    ]


def test_every_sample_result_round_trips_exactly_and_matches_the_schema() -> None:
    """The whole catalogue on the sample: every metric, windows of each grain, segments, a basis with FX."""
    data = sample.tiny()
    card = scorecard(
        data,
        windows=[*Window.year(2026).split("quarter"), Window.year(2026), Window.month(2026, 8)],
        segments=[*Segment.by("tier", "region").resolve(data), Segment.where(tier=("smb", "mid"))],
        basis=BASES[0],
    )
    kinds = {type(r.value) for r in card.results}
    assert {Decimal, float, int, type(None)} <= kinds, kinds
    for result in card.results:
        assert_round_trips(result)
        assert_valid(json.loads(result.to_json()))


@HEAVY
@given(
    data=datasets(max_accounts=8, max_per_account=3),
    metric_ids=st.lists(st.sampled_from([s.id for s in catalog.all()]), min_size=1, max_size=4, unique=True),
    calendar=st.sampled_from((Calendar(), BERLIN_FISCAL, KOLKATA_SUNDAY)),
    picks=st.lists(st.integers(0, 7), min_size=1, max_size=3, unique=True),
    basis=st.sampled_from(BASES),
    by=st.sampled_from(((), ("tier",), ("region", "tier"))),
)
def test_results_of_generated_data_round_trip_exactly_and_match_the_schema(
    data: AdvocacyData,
    metric_ids: list[str],
    calendar: Calendar,
    picks: list[int],
    basis: RevenueBasis,
    by: tuple[str, ...],
) -> None:
    data = AdvocacyData.from_records(as_of=data.as_of, calendar=calendar, **data.as_collections())
    windows = [windows_on(calendar)[i] for i in picks]
    try:
        segments = Segment.by(*by).resolve(data) if by else None
    except SegmentNotApplicableError:  # no account carries the attribute
        segments = None
    card = scorecard(data, metrics=metric_ids, windows=windows, segments=segments, basis=basis)
    for result in card.results:
        assert_round_trips(result)
        assert_valid(json.loads(result.to_json()))


# -- results built by hand, with every kind of value a result may hold ----------------------------

decimals = st.one_of(
    st.integers(0, 6).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    ),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1E+3"), Decimal("-0.00"), Decimal("0E-8")]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    decimals,
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-3, minutes=-30)), timezone(timedelta(hours=9))]
        ),
    ),
    st.sampled_from([math.inf, -math.inf]),
    st.builds(
        Interval, st.floats(-100, 0), st.floats(0, 100), st.sampled_from([0.9, 0.95]), st.text(max_size=5)
    ),
    st.sampled_from(windows_on(BERLIN_FISCAL)[:4]),
    st.sampled_from([Segment.all(), Segment.where(tier="smb", seats=5, icp=True)]),
    st.sampled_from(BASES),
)
hashable = st.one_of(st.integers(), st.text(max_size=4), decimals)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
        st.frozensets(hashable, max_size=3),
    ),
    max_leaves=12,
)
free_form = st.dictionaries(st.text(max_size=8), nested, max_size=4)
exact_numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    decimals,
)


@st.composite
def results(draw: st.DrawFn) -> MetricResult:
    value = draw(st.one_of(st.none(), exact_numbers))
    return MetricResult(
        metric=draw(st.sampled_from([s.id for s in catalog.all()])),
        value=value,
        unit=draw(st.sampled_from(Unit)),
        window=draw(
            st.sampled_from(windows_on(BERLIN_FISCAL) + windows_on(KOLKATA_SUNDAY) + windows_on(Calendar()))
        ),
        segment=draw(
            st.sampled_from(
                [
                    Segment.all(),
                    Segment.where(tier=("smb", "mid")),
                    Segment.where(seats=5, icp=False, name="5"),
                ]
            )
        ),
        as_of=draw(
            st.sampled_from(
                [
                    datetime(2026, 10, 1, tzinfo=UTC),
                    datetime(2026, 10, 1, 2, tzinfo=timezone(timedelta(hours=2))),
                ]
            )
        ),
        basis=draw(st.one_of(st.none(), st.sampled_from(BASES))),
        numerator=draw(st.one_of(st.none(), exact_numbers)),
        denominator=draw(st.one_of(st.none(), exact_numbers)),
        sample_size=draw(st.integers(0, 10**6)),
        interval=draw(st.one_of(st.none(), st.builds(Interval, st.floats(-1e6, 0), st.floats(0, 1e6)))),
        components=draw(free_form),
        details=draw(free_form),
        undefined_reason=draw(st.text(min_size=1, max_size=20)) if value is None else None,
        warnings=tuple(draw(st.lists(st.text(max_size=20), max_size=3))),
        definition_version=draw(st.integers(1, 5)),
        parameters=draw(free_form),
    )


@given(results())
def test_any_result_round_trips_exactly_and_matches_the_schema(result: MetricResult) -> None:
    assert_round_trips(result)
    assert_valid(json.loads(result.to_json()))


def test_the_types_of_nested_values_are_named_by_json_pointer() -> None:
    result = MetricResult(
        metric="revenue_from_referrals", value=Decimal("182400.00"), unit=Unit.MONEY,
        window=Window.quarter(2026, 3), segment=Segment.all(), as_of=datetime(2026, 10, 1, tzinfo=UTC),
        basis=RevenueBasis.arr("USD"),
        components={"revenue": Decimal("182400.00"), "accounts": 3},
        details={"a/b": [Decimal("1.0"), {"at": datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=2)))}],
                 "ids": frozenset({"x", "y"}), "ratio": math.inf},
    )  # fmt: skip
    payload = json.loads(result.to_json())
    # Existing keys keep their JSON form: money as exact text, instants with their offset.
    assert payload["value"] == "182400.00" and payload["components"]["revenue"] == "182400.00"
    assert payload["details"] == {
        "a/b": ["1.0", {"at": "2026-07-01T09:00:00+02:00"}], "ids": ["x", "y"], "ratio": None,
    }  # fmt: skip
    assert payload["schema_version"] == 1
    assert payload["types"] == {
        "/components/revenue": "decimal",
        "/details/a~1b/0": "decimal",
        "/details/a~1b/1/at": "datetime",
        "/details/ids": "set",
        "/details/ratio": "inf",
    }
    back = MetricResult.from_dict(payload)
    assert back.details["a/b"][1]["at"].utcoffset() == timedelta(hours=2)
    assert back.details["ids"] == frozenset({"x", "y"}) and back.details["ratio"] == math.inf
    assert back.components["revenue"].as_tuple().exponent == -2


def test_an_undefined_value_stays_none_with_its_reason() -> None:
    data = sample.tiny()
    result = catalog.function("net_promoter_score")(data, window=Window.quarter(2020, 1))
    assert result.value is None and result.undefined_reason
    back = round_trip(result)
    assert back.value is None and back.undefined_reason == result.undefined_reason
    assert json.loads(result.to_json())["value"] is None


# -- malformed payloads ---------------------------------------------------------------------------


def _valid() -> dict[str, Any]:
    result = catalog.function("revenue_from_referrals")(
        sample.tiny(),
        window=Window.year(2026),
        basis=RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.1")}),
    )
    payload: dict[str, Any] = json.loads(result.to_json())
    assert payload["interval"] is None and payload["types"]
    payload["interval"] = {"low": 1.0, "high": 2.0, "confidence": 0.95, "method": "wilson"}
    return payload


def _set(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _drop(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


# (mutation, the message it gets, whether the schema alone can see the fault: it cannot know
# real time zones, a grain's span, where a JSON Pointer leads or what type ``types`` names)
MALFORMED = [
    (lambda p: _set(p, ("interval", "low"), "low"), "$.interval.low must be a number. Got 'low' instead.", True),
    (lambda p: _drop(p, "value"), "$.value is missing: it must be a number, or a decimal number written as text", True),
    (lambda p: _set(p, ("value",), "12,30"), "$.value must be a number, or a decimal number written as text such as '182400.00', or null. Got '12,30' instead.", True),
    (lambda p: _set(p, ("value",), True), "$.value must be a number", True),
    (lambda p: _set(p, ("unit",), "percent"), "$.unit must be one of 'rate', 'score'", True),
    (lambda p: _set(p, ("window", "start"), "2026-01-01T00:00:00"), "$.window.start must be an ISO 8601 instant with a UTC offset", True),
    (lambda p: _set(p, ("window", "calendar", "timezone"), "Mars/Olympus"), "$.window.calendar.timezone must be an IANA zone name", False),
    (lambda p: _set(p, ("window", "grain"), "month"), "$.window.grain must be a period that runs exactly from 2026-01-01", False),
    (lambda p: _set(p, ("segment",), {"tier": "smb"}), "$.segment.tier must be a list of the attribute's allowed values", True),
    (lambda p: _set(p, ("basis", "fx_rates", "EUR"), 1.1), "$.basis.fx_rates.EUR must be a decimal number written as text", True),
    (lambda p: _set(p, ("basis", "kind"), "gmv"), "$.basis.kind must be one of 'arr', 'mrr', 'acv', 'tcv'", True),
    (lambda p: _set(p, ("as_of",), "yesterday"), "$.as_of must be an ISO 8601 instant", True),
    (lambda p: _set(p, ("sample_size",), -1), "$.sample_size must be an integer of at least 0. Got -1 instead.", True),
    (lambda p: _set(p, ("warnings",), ["ok", 3]), "$.warnings[1] must be a string. Got 3 instead.", True),
    (lambda p: _set(p, ("colour",), "red"), "$.colour must be absent (a result as MetricResult.to_dict() writes it has the keys", True),
    (lambda p: _set(p, ("types", "/components/nothing"), "decimal"), '$.types["/components/nothing"] must be the JSON Pointer of a value there is', False),
    (lambda p: _set(p, ("types", "/components/first_contract_revenue"), "money"), '$.types["/components/first_contract_revenue"] must be one of', True),
    (lambda p: _set(p, ("types", "/window"), "window"), '$.types["/window"] must be a JSON Pointer into components or details or parameters', True),
    (lambda p: _set(p, ("types", "/details"), "interval"), '$.types["/details"] must be a JSON Pointer into components or details or parameters', True),
    (lambda p: _set(_set(p, ("parameters",), {}), ("types", "/parameters"), "segment"), '$.types["/parameters"] must be a JSON Pointer into', True),
    (lambda p: _set(p, ("components", "first_contract_revenue"), 24000.0), "$.components.first_contract_revenue must be a decimal number written as text", False),
    (lambda p: _set(p, ("components", "first_contract_revenue"), "24 000"), "$.components.first_contract_revenue must be a decimal number", False),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message", "structural"), MALFORMED)
def test_a_malformed_payload_is_refused_naming_path_value_and_expectation(
    mutate: Any, message: str, structural: bool
) -> None:
    payload = mutate(_valid())
    with pytest.raises(PayloadError) as caught:
        MetricResult.from_dict(payload)
    assert str(caught.value).startswith(message), str(caught.value)
    assert isinstance(caught.value, AdvocacyKpisError) and isinstance(caught.value, ValueError)


def test_structural_faults_are_refused_by_the_schema_too() -> None:
    for mutate, message, structural in MALFORMED:
        assert VALIDATOR.is_valid(mutate(_valid())) is not structural, message


def test_undefined_needs_a_reason_and_defined_has_none() -> None:
    with pytest.raises(
        PayloadError, match=r"^\$\.undefined_reason must be the reason the value is undefined"
    ):
        MetricResult.from_dict(_set(_valid(), ("value",), None))
    with pytest.raises(PayloadError, match=r"^\$\.undefined_reason must be null \(the value is defined\)"):
        MetricResult.from_dict(_set(_valid(), ("undefined_reason",), "no reason"))
    assert not VALIDATOR.is_valid(_set(_valid(), ("value",), None))
    assert not VALIDATOR.is_valid(_set(_valid(), ("undefined_reason",), "no reason"))


@pytest.mark.parametrize("version", [2, 0, "1", None, True])
def test_an_unknown_schema_version_is_refused_before_anything_else(version: Any) -> None:
    payload = _set(_valid(), ("schema_version",), version)
    payload["a_field_of_a_later_version"] = 1
    with pytest.raises(
        SchemaVersionError, match=r"^\$\.schema_version must be 1, the schema version this release"
    ):
        MetricResult.from_dict(payload)
    with pytest.raises(PayloadError, match=r"^\$\.schema_version is missing"):
        MetricResult.from_dict(_drop(_valid(), "schema_version"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"^\$ must be JSON text \(Expecting property name"),
        ('{"value": NaN}', r"^\$ must be JSON without NaN or Infinity"),
        (b"[1]", r"^\$ must be an object: a result"),
        (3, r"^\$ must be JSON text \(a str or bytes\)"),
    ],
)
def test_from_json_refuses_what_is_not_a_result_as_json(text: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        MetricResult.from_json(text)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=5),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


@settings(max_examples=settings.default.max_examples * 25)
@given(pick=st.integers(0, 10**6), replacement=json_values)
def test_whatever_from_dict_accepts_the_schema_accepts(pick: int, replacement: Any) -> None:
    payload = _valid()
    paths = _paths(payload)
    changed = _set(payload, paths[pick % len(paths)], replacement)
    try:
        MetricResult.from_dict(changed)
    except PayloadError:
        return
    assert_valid(changed)


def test_the_schema_is_valid_draft_2020_12_and_lists_every_key_to_dict_writes() -> None:
    schema = MetricResult.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    written = set(json.loads(sample_result().to_json()))
    assert written == set(schema["properties"])
    assert set(schema["required"]) == written - {"name"}  # the human name only heads displays
    assert {f.name for f in attrs.fields(MetricResult)} | {"schema_version", "types"} == written
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    # The schema is a fresh value each time: changing one leaves the next alone.
    schema["$defs"]["window"]["required"].append("x")
    assert "x" not in MetricResult.json_schema()["$defs"]["window"]["required"]


def sample_result() -> MetricResult:
    result: MetricResult = catalog.function("net_promoter_score")(
        sample.tiny(), window=Window.quarter(2026, 3)
    )
    return result


# -- scorecard rows -------------------------------------------------------------------------------

ROWS_VALIDATOR = jsonschema.Draft202012Validator(Scorecard.rows_json_schema())


def assert_rebuilt(card: Scorecard, again: Scorecard) -> None:
    assert (again.metrics, again.windows, again.segments) == (card.metrics, card.windows, card.segments)
    assert exact(again.basis) == exact(card.basis)
    assert exact(again.results) == exact(card.results)
    assert again.data is None


def test_a_sample_scorecard_is_rebuilt_exactly_from_its_rows_as_json() -> None:
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.0825")})
    card = scorecard(
        sample.tiny(), windows=Window.year(2026).split("quarter"), segments=Segment.by("tier"), basis=basis
    )
    rows = json.loads(json.dumps(card.to_rows()))
    assert not list(ROWS_VALIDATOR.iter_errors(rows))
    again = Scorecard.from_rows(rows)
    assert_rebuilt(card, again)
    # The rebuilt scorecard answers as the original does.
    q3 = Window.quarter(2026, 3)
    assert exact(again.get("nps", q3)) == exact(card.get("nps", q3))
    assert again.changes().to_rows() == card.changes().to_rows()


@HEAVY
@given(
    data=datasets(max_accounts=8, max_per_account=3),
    metric_ids=st.lists(st.sampled_from([s.id for s in catalog.all()]), min_size=1, max_size=3, unique=True),
    picks=st.lists(st.integers(0, 7), min_size=1, max_size=3, unique=True),
    basis=st.sampled_from((None, *BASES)),
)
def test_scorecards_of_generated_data_are_rebuilt_exactly_from_their_rows(
    data: AdvocacyData, metric_ids: list[str], picks: list[int], basis: RevenueBasis | None
) -> None:
    windows = [windows_on(Calendar())[i] for i in picks]
    try:
        segments = Segment.by("tier").resolve(data)
    except SegmentNotApplicableError:
        segments = None
    card = scorecard(data, metrics=metric_ids, windows=windows, segments=segments, basis=basis)
    rows = json.loads(json.dumps(card.to_rows()))
    assert ROWS_VALIDATOR.is_valid(rows)
    uses_basis = any(r.basis is not None for r in card.results)
    # A scorecard whose cells carry no basis keeps its own only when it is given back.
    assert_rebuilt(card, Scorecard.from_rows(rows, basis=None if uses_basis else basis))


def _rows() -> list[dict[str, Any]]:
    card = scorecard(
        sample.tiny(), metrics=["nps", "revenue_from_referrals"], windows=[Window.quarter(2026, 3)],
        segments=[Segment.all(), Segment.where(tier="smb")], basis=RevenueBasis.arr("USD"),
    )  # fmt: skip
    rows: list[dict[str, Any]] = json.loads(json.dumps(card.to_rows()))
    return rows


def test_a_scorecard_without_basis_cells_keeps_the_basis_it_is_given() -> None:
    card = scorecard(sample.tiny(), metrics=["nps"], windows=[Window.quarter(2026, 3)], basis=BASES[1])
    rows = card.to_rows()
    assert Scorecard.from_rows(rows).basis is None
    assert Scorecard.from_rows(rows, basis=BASES[1]).basis == BASES[1]


def test_a_basis_that_is_no_revenue_basis_is_refused_as_a_parameter() -> None:
    with pytest.raises(
        ParameterError, match=r"^The 'basis' parameter of Scorecard.from_rows must be a RevenueBasis"
    ):
        Scorecard.from_rows(_rows(), basis="arr:USD")  # type: ignore[arg-type]


def _other_basis(row: dict[str, Any]) -> dict[str, Any]:
    """The row as if its cell had been computed on another basis than the scorecard's others."""
    return _set(_set(row, ("result", "basis"), RevenueBasis.mrr("USD").to_dict()), ("basis",), "MRR (USD)")


ROW_FAULTS = [
    (lambda r: [], "$ must be at least one row. Got [] instead."),
    (lambda r: {"rows": r}, "$ must be a list of rows as Scorecard.to_rows() writes them"),
    (lambda r: [*r[:1], "row"], "$[1] must be an object: a row as Scorecard.to_rows() writes it"),
    (lambda r: r[:3], "$ must be a row for every metric, window and segment of the scorecard: this one is missing. Got 'revenue_from_referrals in 2026Q3 for tier=smb' instead."),
    (lambda r: [*r, r[0]], "$[4] must be a cell not given before (row 0 has the same metric, window and segment)"),
    (lambda r: [_set(r[0], ("value",), 99.0), *r[1:]], "$[0].value must be 25.0, as the row's result gives it. Got 99.0 instead."),
    (lambda r: [_set(r[0], ("sample_size",), 4.0), *r[1:]], "$[0].sample_size must be an integer of at least 0. Got 4.0 instead."),
    (lambda r: [_set(r[0], ("result", "interval", "low"), "x"), *r[1:]], "$[0].result.interval.low must be a number. Got 'x' instead."),
    (lambda r: [_set(r[0], ("schema_version",), 7), *r[1:]], "$[0].schema_version must be 1, the schema version this release"),
    (lambda r: [_set(r[0], ("result", "schema_version"), 7), *r[1:]], "$[0].result.schema_version must be 1"),
    (lambda r: [*r[:3], _other_basis(r[3])], "$[3].result.basis must be the scorecard's basis, ARR (USD), or null. Got 'MRR (USD)' instead."),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), ROW_FAULTS)
def test_malformed_rows_are_refused_naming_path_value_and_expectation(mutate: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        Scorecard.from_rows(mutate(_rows()))
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_rows_schema_is_valid_and_lists_every_key_to_rows_writes() -> None:
    schema = Scorecard.rows_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    row = schema["$defs"]["row"]
    assert set(_rows()[0]) == set(row["properties"]) == set(row["required"])
    assert schema["$defs"]["result"]["properties"] == MetricResult.json_schema()["properties"]
    assert not ROWS_VALIDATOR.is_valid([{**_rows()[0], "value": "lots"}])


# -- changes ------------------------------------------------------------------------------------

CHANGE_VALIDATOR = jsonschema.Draft202012Validator(Change.json_schema())


def test_every_change_of_a_sample_scorecard_round_trips_exactly_and_matches_the_schema() -> None:
    """Rates, scores, counts and money; tested, untested and undefined changes; a basis with FX."""
    data = sample.tiny()
    card = scorecard(
        data,
        windows=Window.year(2026).split("quarter")[:3],
        segments=[*Segment.by("tier").resolve(data)],
        basis=BASES[0],
    )
    changes = list(card.changes())
    assert {type(c.absolute) for c in changes} >= {Decimal, float, type(None)}
    assert {c.significant for c in changes} >= {None, False}
    for change in changes:
        payload = json.loads(json.dumps(change.to_dict()))
        assert payload["schema_version"] == SCHEMA_VERSION
        CHANGE_VALIDATOR.validate(payload)
        back = Change.from_dict(payload)
        assert back == change and exact(back) == exact(change)
        assert exact(Change.from_json(change.to_json())) == exact(change)


def test_a_change_names_its_metric_segment_and_windows_after_the_round_trip() -> None:
    q2, q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
    smb = Segment.where(tier="smb")
    change = compute("net_promoter_score", sample.tiny(), window=q3, segment=smb).change_from(
        compute("net_promoter_score", sample.tiny(), window=q2, segment=smb)
    )
    back = Change.from_json(change.to_json())
    assert (back.metric, back.segment, back.previous_window, back.current_window) == (
        "net_promoter_score",
        smb,
        q2,
        q3,
    )
    assert back.name == "Net Promoter Score"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(significant=1), "$.significant must be true or false, or null. Got 1 instead."),
        (lambda d: d.update(absolute="1,5"), "$.absolute must be"),
        (lambda d: d.pop("confidence"), "$.confidence is missing"),
        (lambda d: d.update(extra=True), "$.extra must be absent"),
        (lambda d: d.update(unit="percent"), "$.unit must be one of"),
    ],
)
def test_a_malformed_change_is_refused_naming_path_value_and_expectation(mutate: Any, message: str) -> None:
    q2, q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
    change = compute("net_promoter_score", sample.tiny(), window=q3).change_from(
        compute("net_promoter_score", sample.tiny(), window=q2)
    )
    payload = json.loads(change.to_json())
    mutate(payload)
    with pytest.raises(PayloadError) as raised:
        Change.from_dict(payload)
    assert message in str(raised.value)
    assert not CHANGE_VALIDATOR.is_valid(payload)


def test_a_change_of_another_schema_version_is_refused() -> None:
    payload = {"schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(SchemaVersionError):
        Change.from_dict(payload)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (
            {"by_score": {9: 3}},
            "$.details.by_score must be a mapping whose keys are text, as JSON's are. Got 9",
        ),
        # 1 beside "1" would be one JSON key: one of them would be lost.
        ({"n": {1: "a", "1": "b"}}, "$.details.n must be a mapping whose keys are text"),
        ({"by channel": [{(1, 2): 0}]}, '$.details["by channel"][0] must be a mapping whose keys are text'),
    ],
)
def test_a_mapping_with_keys_that_are_not_text_is_refused_rather_than_written_as_text(
    details: dict[str, Any], message: str
) -> None:
    result = metrics.net_promoter_score(sample.tiny(), window=Window.quarter(2026, 3))
    with pytest.raises(PayloadError) as raised:
        attrs.evolve(result, details=details).to_dict()
    assert str(raised.value).startswith(message)
