"""What a metric returns: `MetricResult`, and `Change` between two comparable results.

A result carries its context (window, segment, basis, parameters, the definition version,
``as_of``) so a stored number always says what it is. Undefined values are ``None`` with a
reason, never 0. A result is immutable all the way down: its components, details and parameters
are read-only mappings, with tuples for lists.

`MetricResult.to_dict` writes a result as JSON holds it and `MetricResult.from_dict` reads it
back exactly; `MetricResult.json_schema` is the JSON Schema of that form.
"""

from __future__ import annotations

import copy
import enum
import json
import numbers
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, NoReturn

import attrs

from advocacy_kpis import display
from advocacy_kpis.errors import IncomparableResultsError, ParameterError, PayloadError, shorten
from advocacy_kpis.payload import (
    DEFINITIONS,
    JSON_SCHEMA_DIALECT,
    SCHEMA_VERSION,
    Kind,
    check_version,
    child,
    decode,
    encode,
    object_schema,
    read_json,
    read_object,
    read_types,
    types_schema,
)
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import (
    Interval,
    TestResult,
    conditional_binomial_test,
    fisher_exact_test,
    nps_difference_test,
    smallest_expected_count,
    two_proportion_test,
)

__all__ = [
    "FISHER_BELOW",
    "NPS_TEST_MIN_RESPONDENTS",
    "SCHEMA_VERSION",
    "SMALL_SAMPLE",
    "Change",
    "Direction",
    "FrozenDict",
    "IncomparableResultsError",
    "Interval",
    "MetricResult",
    "Unit",
    "json_safe",
]

Number = int | float | Decimal

SMALL_SAMPLE: Final = 30
"""A result resting on fewer units than this makes a change between two results a small-sample one."""

FISHER_BELOW: Final = 5
"""Two proportions are compared with Fisher's exact test when an expected cell is below this."""

NPS_TEST_MIN_RESPONDENTS: Final = 30
"""The adjusted-Wald NPS difference test is used only when both samples have this many respondents.

Below it, the normal approximation behind the test is not to be trusted for a score made of
three categories, and no exact test is implemented: a change in NPS between smaller samples is
reported with ``significant=None`` and the reason.
"""


class Unit(enum.Enum):
    """What a metric's value measures.

    A change is read in points on the scale of a `SCORE` (NPS, net sentiment, readiness) or a
    `RATIO` (ROI, growth rates, NRR): such values may be negative or have no natural zero, so
    `Change.relative` is None for them.
    """

    RATE = "rate"
    """A fraction in [0, 1]."""
    SCORE = "score"
    """A score on the metric's own scale (NPS: -100 to 100; readiness: 0 to 100)."""
    RATIO = "ratio"
    """A ratio that may leave [0, 1] (ROI, growth, invitations per account)."""
    COUNT = "count"
    """A number of things."""
    MONEY = "money"
    """A Decimal amount in the basis currency."""
    DAYS = "days"
    """A duration in days."""
    PER_MONTH = "per_month"
    """Events per calendar month."""


class Direction(enum.Enum):
    """Which way is good."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    TARGET_RANGE = "target_range"
    """Better up to a point (asking for referrals: too often burns goodwill)."""


class FrozenDict(dict[Any, Any]):
    """A dict that refuses every change: the form of a mapping nested in a result.

    It reads, compares and prints like the dict it was made from, so ``details["by_channel"]``
    still shows ``{'linkedin': 2, 'x': 1}``; setting, deleting or updating a key raises
    ``TypeError``.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a result is immutable: copy the mapping with dict(...) to change it")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse


def _deep_freeze(value: Any) -> Any:
    """Mappings become read-only mappings and lists tuples, all the way down."""
    if isinstance(value, Mapping):
        return FrozenDict({key: _deep_freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_deep_freeze(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_deep_freeze(item) for item in value)
    return value


def _freeze(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType({key: _deep_freeze(item) for key, item in (value or {}).items()})


def json_safe(value: Any) -> Any:
    """A value as JSON holds it: Decimals as strings, instants in ISO 8601, enums by value, values
    of the library by their ``to_dict()``, a float that is not finite as None, a set as a list
    sorted by text."""
    return encode(value)


@attrs.frozen
class Change:
    """The change from an earlier result to a later one.

    Attributes:
        previous: the earlier value (None when undefined).
        current: the later value (None when undefined).
        absolute: ``current - previous``; None when either is undefined.
        relative: ``absolute / previous``; None when the earlier value is 0 or negative, when
            either is undefined, and for scores and ratios (`Unit`), whose changes are read in
            points.
        p_value: two-sided p-value of the test that nothing changed, where a test applies.
        significant: ``p_value < 1 - confidence``; None without an honest test (see ``reason``).
        interval: confidence interval of the difference, where the test gives one.
        method: the name of the test used: ``two-proportion-z``, ``fisher-exact`` (for two
            rates when an expected cell of their 2x2 table is below 5), ``nps-difference-z`` or
            ``conditional-binomial``; None without a test.
        confidence: the confidence level used.
        reason: why there is no test (``significant`` is None), else None.
        warnings: caveats: a small sample, a window that runs past ``as_of``, an undefined value.
        metric: the catalogue id of the metric both results measure.
        segment: the segment both results were measured on.
        previous_window: the window of the earlier result.
        current_window: the window of the later result.
        unit: what the values measure (``absolute`` is in points of a rate or score).
        basis: the revenue basis of both results, or None.
        name: the metric's human name, as the results give it, or None.

    The tests assume the two samples are independent; the same respondents answering in both
    periods makes them conservative. Counts are compared per day of their windows known at
    ``as_of``, so a partial window is not read as a drop.
    """

    previous: Number | None
    current: Number | None
    absolute: Number | None
    relative: float | None
    p_value: float | None
    significant: bool | None
    interval: Interval | None
    method: str | None
    confidence: float
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    metric: str | None = None
    segment: Segment | None = None
    previous_window: Window | None = None
    current_window: Window | None = None
    unit: Unit | None = None
    basis: RevenueBasis | None = None
    name: str | None = attrs.field(default=None, eq=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_dict` reads back exactly.

        ``schema_version`` (`SCHEMA_VERSION`), then each attribute under its name: Decimals as
        their exact text, the windows, segment, basis and interval by their ``to_dict()``, the
        unit by its value. `json_schema` describes it.
        """
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        out.update((field.name, encode(getattr(self, field.name))) for field in attrs.fields(Change))
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """`to_dict` as JSON text, which `from_json` reads back exactly."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "$") -> Change:
        """The change `to_dict` wrote, read back exactly (Decimals stay Decimals, instants keep their offset).

        Args:
            data: a mapping as `to_dict` writes it (or as ``json.loads`` reads it back).
            path: the JSONPath of ``data`` in a larger document, for messages.

        Raises:
            SchemaVersionError: ``schema_version`` is not one this release reads.
            PayloadError: a key missing or unknown, or a value of the wrong type; the message
                names its path, the value and what was expected.

        Examples:
            >>> from advocacy_kpis import metrics, sample
            >>> q2, q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
            >>> change = metrics.customer_retention_rate(sample.tiny(), window=q3).change_from(
            ...     metrics.customer_retention_rate(sample.tiny(), window=q2))
            >>> again = Change.from_json(change.to_json())
            >>> again == change, again.metric, again.previous_window.label, again.absolute
            (True, 'customer_retention_rate', '2026Q2', -0.25)
        """
        check_version(data, path)
        fields = read_object(
            data, path, _CHANGE_FIELDS, optional=_OPTIONAL, what="a change as Change.to_dict() writes it"
        )
        del fields["schema_version"]
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str | bytes) -> Change:
        """The change `to_json` wrote, read back exactly (see `from_dict`).

        Raises:
            PayloadError: ``text`` is not JSON, or as in `from_dict`.
            SchemaVersionError: as in `from_dict`.
        """
        return cls.from_dict(read_json(text))

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of what `to_dict` writes and `from_dict` reads.

        Examples:
            >>> Change.json_schema()["properties"]["significant"]
            {'anyOf': [{'type': 'boolean'}, {'type': 'null'}]}
        """
        return copy.deepcopy(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": f"urn:advocacy-kpis:change:{SCHEMA_VERSION}",
                "title": "Change",
                "description": "The change of one metric between two windows, as Change.to_dict() writes it.",
                **object_schema(_CHANGE_FIELDS, optional=_OPTIONAL),
                "$defs": dict(DEFINITIONS),
            }
        )

    def __repr__(self) -> str:
        return display.change_repr(self)

    def __str__(self) -> str:
        return display.change_view(self).text()

    def _repr_html_(self) -> str:
        return display.change_view(self).html()


@attrs.frozen
class MetricResult:
    """The value of one metric over one window and segment, with everything needed to trust it.

    Attributes:
        metric: catalogue id of the metric.
        value: the number, or None when undefined (see ``undefined_reason``).
        unit: what ``value`` measures.
        window: the window it was measured over.
        segment: the segment it was measured on.
        basis: the revenue basis, for money-valued and revenue-weighted results.
        numerator: the numerator of a ratio (a count, or money for weighted results).
        denominator: the denominator of a ratio.
        sample_size: how many units (accounts, respondents, referrals, ...) the value rests on.
        interval: confidence interval of the value, where one is defined.
        components: the named counts and sums behind the value.
        details: further breakdowns (by platform, a distribution of scores, survival shares, ...).
        undefined_reason: why ``value`` is None.
        warnings: caveats: small sample, immature members excluded, a threshold breached,
            a window that runs past ``as_of``.
        definition_version: version of the catalogue definition that produced the result.
        as_of: when the data set was extracted.
        parameters: the metric's own parameters as used (``horizon_days``, ``threshold``,
            ``model``, ``lapse_days``, ...): results compare only when these are equal. The
            confidence level is not among them: it changes no value, and the interval records it.
        name: the metric's human name in the catalogue (``Net Promoter Score``), which a display
            heads it with; None for a result built by hand (the display shows ``metric``). It
            takes no part in equality: the id says which metric a result measures.
    """

    metric: str
    value: Number | None
    unit: Unit
    window: Window
    segment: Segment
    as_of: datetime
    basis: RevenueBasis | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    sample_size: int = 0
    interval: Interval | None = None
    components: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    undefined_reason: str | None = None
    warnings: tuple[str, ...] = ()
    definition_version: int = 1
    parameters: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    name: str | None = attrs.field(default=None, eq=False)

    @property
    def is_defined(self) -> bool:
        """Whether the value is defined."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_dict` reads back exactly.

        Each attribute under its name: Decimals as their exact text (``"182400.00"``), instants
        in ISO 8601 with their UTC offset, enums as their values, the window, segment, basis and
        interval by their ``to_dict()``. Two keys more: ``schema_version`` (`SCHEMA_VERSION`),
        and ``types``, which names by JSON Pointer each value in ``components``, ``details`` and
        ``parameters`` that plain JSON would read back as another type (a Decimal, an instant, a
        set, an interval...). `json_schema` describes the whole.

        Examples:
            >>> from advocacy_kpis import metrics, sample
            >>> result = metrics.revenue_from_referrals(
            ...     sample.tiny(), window=Window.year(2026), basis=RevenueBasis.arr("USD"))
            >>> payload = result.to_dict()
            >>> payload["schema_version"], payload["value"], payload["types"]["/components/first_contract_revenue"]
            (1, '24000', 'decimal')
            >>> MetricResult.from_dict(payload) == result
            True
        """
        types: dict[str, str] = {}
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for field in attrs.fields(MetricResult):
            value = getattr(self, field.name)
            out[field.name] = (
                encode(value, f"/{field.name}", types) if field.name in _FREE_FORM else encode(value)
            )
        out["types"] = types
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """`to_dict` as JSON text, which `from_json` reads back exactly.

        Args:
            indent: indent nested levels by this many spaces (None: one line).
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "$") -> MetricResult:
        """The result `to_dict` wrote, read back exactly.

        Decimals come back as Decimals with their exponent (``"60000.00"`` stays two places),
        instants with their UTC offset, ints as ints and floats as floats, lists as tuples,
        and everything ``types`` names as its type. An undefined value comes back None with
        its reason.

        Args:
            data: a mapping as `to_dict` writes it (or as ``json.loads`` reads it back).
            path: the JSONPath of ``data`` in a larger document, for messages
                (``$.results[3]``); ``$`` when it is the whole document.

        Raises:
            SchemaVersionError: ``schema_version`` is not one this release reads.
            PayloadError: anything else malformed: a key missing or unknown, a value of the
                wrong type, an undefined value without a reason; the message names its path
                (``$.interval.low``), the value and what was expected.

        Examples:
            >>> MetricResult.from_dict({"schema_version": 1, "metric": "net_promoter_score"})
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.PayloadError: $.value is missing: it must be ...
        """
        check_version(data, path)
        fields = read_object(
            data,
            path,
            _RESULT_FIELDS,
            optional=_OPTIONAL,
            what="a result as MetricResult.to_dict() writes it",
        )
        reason = child(path, "undefined_reason")
        if fields["value"] is None and fields["undefined_reason"] is None:
            raise PayloadError(reason, None, "the reason the value is undefined (value is null)")
        if fields["value"] is not None and fields["undefined_reason"] is not None:
            raise PayloadError(reason, fields["undefined_reason"], "null (the value is defined)")
        del fields["schema_version"]
        types = fields.pop("types")
        used: set[str] = set()
        for name in _FREE_FORM:
            fields[name] = decode(fields[name], f"/{name}", types, child(path, name), used)
        for pointer in sorted(types.keys() - used):
            where = child(child(path, "types"), pointer)
            raise PayloadError(where, pointer, "the JSON Pointer of a value there is")
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str | bytes) -> MetricResult:
        """The result `to_json` wrote, read back exactly (see `from_dict`).

        Raises:
            PayloadError: ``text`` is not JSON, or as in `from_dict`.
            SchemaVersionError: as in `from_dict`.

        Examples:
            >>> from advocacy_kpis import metrics, sample
            >>> result = metrics.net_promoter_score(sample.tiny(), window=Window.quarter(2025, 1))
            >>> again = MetricResult.from_json(result.to_json())
            >>> again == result, again.value, again.undefined_reason
            (True, None, 'no NPS responses in the window and segment')
        """
        return cls.from_dict(read_json(text))

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of what `to_dict` writes and `from_dict` reads.

        Examples:
            >>> schema = MetricResult.json_schema()
            >>> schema["$schema"], schema["properties"]["schema_version"]
            ('https://json-schema.org/draft/2020-12/schema', {'const': 1})
        """
        schema = object_schema(_RESULT_FIELDS, optional=_OPTIONAL)
        # Undefined is never zero: a null value comes with its reason, a defined one without.
        schema["allOf"] = [
            {
                "if": {"properties": {"value": {"type": "null"}}},
                "then": {"properties": {"undefined_reason": {"type": "string"}}},
                "else": {"properties": {"undefined_reason": {"type": "null"}}},
            }
        ]
        # A fresh copy each time: a caller may change the schema it is given.
        return copy.deepcopy(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": f"urn:advocacy-kpis:result:{SCHEMA_VERSION}",
                "title": "MetricResult",
                "description": "One metric over one window and segment, as MetricResult.to_dict() writes it.",
                **schema,
                "$defs": dict(DEFINITIONS),
            }
        )

    def format(self) -> str:
        """A one-line human-readable rendering, e.g. ``net_promoter_score = 42.0 [31.5, 52.5]``."""
        return f"{self.metric} = {format_value(self)}"

    def __str__(self) -> str:
        return display.result_view(self).text()

    def __repr__(self) -> str:
        shown = format_value(self) if self.value is not None else f"undefined: {self.undefined_reason}"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        extra = f" n={self.sample_size}" if self.sample_size else ""
        extra += f" warnings={len(self.warnings)}" if self.warnings else ""
        return f"<MetricResult {self.metric} {self.window.label} {self.segment.name}: {shown}{extra}>"

    def _repr_html_(self) -> str:
        return display.result_view(self).html()

    def check_comparable(self, other: MetricResult) -> None:
        """Raise unless ``other`` measures the same thing on the same footing.

        Two results compare when they have the same metric, definition version, parameters,
        segment (its criteria and the types of their values), revenue basis (kind, currency
        and FX rates) and calendar (time zone, week start, fiscal year), and windows of the
        same length: two periods of one calendar grain (two quarters, even of 90 and 92 days;
        fiscal with fiscal), or spans of equal elapsed time. The confidence level may differ.

        Raises:
            ParameterError: ``other`` is not a MetricResult.
            IncomparableResultsError: anything above differs; the message names it and both values.
        """
        if not isinstance(other, MetricResult):
            raise ParameterError("other", "MetricResult.check_comparable", "a MetricResult", other)
        difference = _difference(other, self)
        if difference is not None:
            raise IncomparableResultsError(f"Cannot compare results with a different {difference}.")

    def change_from(self, previous: MetricResult, *, confidence: float = 0.95) -> Change:
        """The change from ``previous`` to this result, with a significance test where one is honest.

        Rates with count numerators use the pooled two-proportion z-test and Newcombe's
        interval, or Fisher's exact test when an expected cell of their 2x2 table is below 5;
        NPS uses the adjusted-Wald difference when both samples have at least
        `NPS_TEST_MIN_RESPONDENTS` respondents; counts use the conditional binomial test, with
        the days of each window known at ``as_of`` as exposures. Revenue-weighted values, money,
        durations, scores other than NPS and ratios get no test. Where there is none,
        ``significant`` is None and ``reason`` says why.

        Args:
            previous: the earlier result.
            confidence: confidence level of the test and its interval.

        Returns:
            The `Change`. When either value is undefined, its ``absolute`` is None and its
            reason and warnings say which.

        Raises:
            ParameterError: ``previous`` is not a MetricResult, or ``confidence`` is not between
                0 and 1.
            IncomparableResultsError: see `check_comparable`.
        """
        function = "MetricResult.change_from"
        if not isinstance(previous, MetricResult):
            raise ParameterError("previous", function, "a MetricResult of the same metric", previous)
        real = isinstance(confidence, numbers.Real) and not isinstance(confidence, bool)
        if not (real and 0 < confidence < 1):
            raise ParameterError("confidence", function, "a number strictly between 0 and 1", confidence)
        self.check_comparable(previous)
        notes = _change_warnings(previous, self)
        current_value, previous_value = self.value, previous.value
        if current_value is None or previous_value is None:
            which = "earlier" if previous_value is None else "later"
            reason = (previous if previous_value is None else self).undefined_reason
            return Change(
                previous=previous_value, current=current_value, absolute=None, relative=None,
                p_value=None, significant=None, interval=None, method=None, confidence=confidence,
                reason=f"the {which} value is undefined ({reason})", warnings=notes, **self._naming(previous),
            )  # fmt: skip
        absolute: Number
        if isinstance(current_value, Decimal) or isinstance(previous_value, Decimal):
            absolute = Decimal(current_value) - Decimal(previous_value)
        else:
            absolute = current_value - previous_value
        relative = None
        if self.unit not in _POINTS and previous_value > 0:
            if isinstance(absolute, Decimal):
                relative = float(absolute / Decimal(previous_value))
            else:
                relative = float(absolute) / float(previous_value)
        test, reason = _test(previous, self, confidence)
        return Change(
            previous=previous_value,
            current=current_value,
            absolute=absolute,
            relative=relative,
            p_value=test.p_value if test else None,
            significant=(test.p_value < 1 - confidence) if test else None,
            interval=test.interval if test else None,
            method=test.method if test else None,
            confidence=confidence,
            reason=reason,
            warnings=notes,
            **self._naming(previous),
        )

    def _naming(self, previous: MetricResult) -> dict[str, Any]:
        """What a `Change` from ``previous`` to this result is about."""
        return {
            "metric": self.metric, "segment": self.segment, "previous_window": previous.window,
            "current_window": self.window, "unit": self.unit, "basis": self.basis, "name": self.name,
        }  # fmt: skip


# What a result holds that has no fixed form: their values' types travel in ``types``.
_FREE_FORM: Final = ("components", "details", "parameters")

_RESULT_FIELDS: Final = {
    "schema_version": Kind.version(),
    "metric": Kind.string(),
    "value": Kind.exact().or_null(),
    "unit": Kind.choice(Unit),
    "window": Kind.scope("window"),
    "segment": Kind.scope("segment"),
    "as_of": Kind.instant(),
    "basis": Kind.scope("basis").or_null(),
    "numerator": Kind.exact().or_null(),
    "denominator": Kind.exact().or_null(),
    "sample_size": Kind.integer(0),
    "interval": Kind.scope("interval").or_null(),
    "components": Kind.anything(),
    "details": Kind.anything(),
    "undefined_reason": Kind.string().or_null(),
    "warnings": Kind.strings(),
    "definition_version": Kind.integer(1),
    "parameters": Kind.anything(),
    "name": Kind.string().or_null(),
    "types": Kind(
        types_schema(_FREE_FORM),
        lambda value, path: read_types(value, path, _FREE_FORM),
        "an object of JSON Pointer to type",
    ),
}


# Written by every release of schema 1, but not needed to read a result back: the human name only heads displays.
_OPTIONAL: Final = ("name",)

_CHANGE_FIELDS: Final = {
    "schema_version": Kind.version(),
    "previous": Kind.exact().or_null(),
    "current": Kind.exact().or_null(),
    "absolute": Kind.exact().or_null(),
    "relative": Kind.number().or_null(),
    "p_value": Kind.number().or_null(),
    "significant": Kind.boolean().or_null(),
    "interval": Kind.scope("interval").or_null(),
    "method": Kind.string().or_null(),
    "confidence": Kind.number(),
    "reason": Kind.string().or_null(),
    "warnings": Kind.strings(),
    "metric": Kind.string().or_null(),
    "segment": Kind.scope("segment").or_null(),
    "previous_window": Kind.scope("window").or_null(),
    "current_window": Kind.scope("window").or_null(),
    "unit": Kind.choice(Unit).or_null(),
    "basis": Kind.scope("basis").or_null(),
    "name": Kind.string().or_null(),
}

# Changes on these scales are read in points: no relative change.
_POINTS: Final = frozenset({Unit.SCORE, Unit.RATIO})


def _comparable(value: Any) -> Any:
    """A form of ``value`` whose equality respects types: a bool is not 1, a string is not a number."""
    if isinstance(value, bool):
        return (bool, value)
    if isinstance(value, (numbers.Number, Decimal)):
        return (numbers.Number, value)
    if isinstance(value, Mapping):
        # Keys are unique, so sorting never compares the values.
        return (Mapping, tuple(sorted((repr(k), _comparable(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (tuple, tuple(_comparable(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (frozenset, frozenset(_comparable(v) for v in value))
    return (type(value), value)


def _parameter_difference(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> str | None:
    for name in sorted(set(earlier) | set(later)):
        if name in earlier and name in later and _comparable(earlier[name]) == _comparable(later[name]):
            continue
        shown = [shorten(side[name]) if name in side else "not set" for side in (earlier, later)]
        return f"parameter {name!r}: {shown[0]} and {shown[1]}"
    return None


def _basis_difference(earlier: RevenueBasis | None, later: RevenueBasis | None) -> str | None:
    if earlier is None or later is None:
        if earlier is later:
            return None
        shown = [b.name if b else "none" for b in (earlier, later)]
        return f"basis: {shown[0]} and {shown[1]}"
    if earlier.kind is not later.kind or earlier.currency != later.currency:
        return f"basis: {earlier.name} and {later.name}"
    if earlier.fx_rates != later.fx_rates:
        rates = [shorten(b.to_dict()["fx_rates"]) for b in (earlier, later)]
        return f"basis FX rates: {rates[0]} and {rates[1]}"
    return None


def _window_difference(earlier: Window, later: Window) -> str | None:
    if earlier.calendar != later.calendar:
        return f"calendar: {earlier.calendar.description} and {later.calendar.description}"
    same_grain = earlier.grain is not None and earlier.grain == later.grain
    if same_grain and earlier.fiscal != later.fiscal:
        kinds = ["fiscal" if w.fiscal else "calendar" for w in (earlier, later)]
        return (
            f"alignment of windows: {earlier.label} is a {kinds[0]} period and {later.label} a {kinds[1]} one"
        )
    if not same_grain and earlier.duration != later.duration:
        return (
            f"window length: {earlier.label} ({earlier.days:g} days) and {later.label} ({later.days:g} days); "
            "two periods of one calendar grain compare, other windows only at equal length"
        )
    return None


def _difference(earlier: MetricResult, later: MetricResult) -> str | None:
    """What keeps the two results from being compared, named with both values; None if nothing."""
    if earlier.metric != later.metric:
        return f"metric: {shorten(earlier.metric)} and {shorten(later.metric)}"
    if earlier.definition_version != later.definition_version:
        return f"definition_version: {earlier.definition_version} and {later.definition_version}"
    found = _parameter_difference(earlier.parameters, later.parameters)
    if found:
        return found
    if earlier.segment != later.segment:
        names = [shorten(s.name) for s in (earlier.segment, later.segment)]
        return f"segment: {names[0]} and {names[1]}"
    return _basis_difference(earlier.basis, later.basis) or _window_difference(earlier.window, later.window)


def _change_warnings(earlier: MetricResult, later: MetricResult) -> tuple[str, ...]:
    notes = []
    for which, result in (("earlier", earlier), ("later", later)):
        if result.value is None:
            notes.append(f"the {which} value is undefined: {result.undefined_reason}")
            continue
        if result.window.end > result.as_of:
            notes.append(
                f"the {which} window ({result.window.label}) runs past as_of ({result.as_of.isoformat()}): "
                "its value covers only part of it"
            )
        if 0 < result.sample_size < SMALL_SAMPLE:
            notes.append(f"small sample: the {which} result rests on {result.sample_size} < {SMALL_SAMPLE}")
    return tuple(notes)


def _counts(result: MetricResult) -> tuple[int, int] | None:
    num, den = result.numerator, result.denominator
    if isinstance(num, int) and isinstance(den, int) and not isinstance(num, bool) and den > 0:
        return num, den
    return None


def _known_seconds(result: MetricResult) -> float:
    """How much of the window is known at ``as_of``: the exposure its count was observed over."""
    return (min(result.window.end, result.as_of) - result.window.start).total_seconds()


_NPS_KEYS: Final = ("promoters", "passives", "detractors")
_WEIGHTED: Final = (
    "no significance test for revenue-weighted values (their spread depends on the revenue mix)"
)


def _test(
    first: MetricResult, second: MetricResult, confidence: float
) -> tuple[TestResult | None, str | None]:
    """The test of the change from ``first`` to ``second``, or the reason there is none."""
    if first.basis is not None and first.unit in (Unit.RATE, Unit.SCORE):
        return None, _WEIGHTED
    if all(k in first.components and k in second.components for k in _NPS_KEYS):
        a = tuple(int(first.components[k]) for k in _NPS_KEYS)
        b = tuple(int(second.components[k]) for k in _NPS_KEYS)
        if min(sum(a), sum(b)) < NPS_TEST_MIN_RESPONDENTS:
            return None, (
                f"no honest test for NPS samples this small ({sum(a)} and {sum(b)} respondents; the "
                f"adjusted-difference test needs at least {NPS_TEST_MIN_RESPONDENTS} in each)"
            )
        return nps_difference_test((a[0], a[1], a[2]), (b[0], b[1], b[2]), confidence), None
    if first.unit is Unit.RATE:
        one, two = _counts(first), _counts(second)
        if not (one and two):
            return None, "the results carry no counts to test"
        smallest = smallest_expected_count(one[0], one[1], two[0], two[1])
        if smallest is not None and smallest < FISHER_BELOW:
            return fisher_exact_test(one[0], one[1], two[0], two[1], confidence), None
        return two_proportion_test(one[0], one[1], two[0], two[1], confidence), None
    if first.unit is Unit.COUNT and isinstance(first.value, int) and isinstance(second.value, int):
        exposures = _known_seconds(first), _known_seconds(second)
        if min(exposures) <= 0:
            return None, "a window has no day known at as_of"
        test = conditional_binomial_test(first.value, second.value, *exposures)
        return (test, None) if test else (None, "no events in either window, so nothing to test")
    return None, f"no significance test for a change in {_UNIT_WORDS[first.unit]}"


_UNIT_WORDS: Final = {
    Unit.RATE: "a rate without counts",
    Unit.SCORE: "a score other than NPS",
    Unit.RATIO: "a ratio",
    Unit.COUNT: "a count",
    Unit.MONEY: "a sum of money",
    Unit.DAYS: "a duration",
    Unit.PER_MONTH: "events per month",
}


def format_value(result: MetricResult) -> str:
    """The value with its unit and interval on one line (rates as percentages, money to the cent)."""
    if result.value is None:
        return f"undefined ({result.undefined_reason})"
    currency = result.basis.currency if result.basis else None
    return display.value_text(result.value, result.unit.value, result.interval, currency, exact=True)
