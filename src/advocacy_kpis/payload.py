"""The JSON form of results and scorecard rows, and reading it back exactly.

Plain JSON cannot tell a Decimal from a string, an instant from text or a set from a list. So
`encode` writes a value as JSON holds it (a Decimal as its exact text, an instant in ISO 8601
with its UTC offset, a set as a sorted list, a window, segment, basis or interval by its
``to_dict()``) and notes the type to read back under the JSON Pointer of each such place;
`decode` reads the value back from the two.

A `Kind` is one kind of JSON value with its reader and its JSON Schema side by side, so the
published schema and what the reader accepts are written once. Every reader names the path of
what is wrong (``$.interval.low``), the value found and what was expected, in a `PayloadError`.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from advocacy_kpis.errors import ParameterError, PayloadError, SchemaVersionError
from advocacy_kpis.scope import Calendar, Grain, RevenueBasis, Segment, Window
from advocacy_kpis.stats import Interval

__all__ = [
    "DEFINITIONS",
    "JSON_SCHEMA_DIALECT",
    "SCHEMA_VERSION",
    "TAGS",
    "Kind",
    "check_version",
    "child",
    "decode",
    "encode",
    "object_schema",
    "read_json",
    "read_object",
    "read_types",
    "types_schema",
]

SCHEMA_VERSION: Final = 1
"""The version of the JSON form of results and scorecard rows, written as ``schema_version``.

It changes when a payload of the old form would be read differently, and is distinct from the
package version: releases that leave the form alone keep it.
"""

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

DECIMAL_PATTERN: Final = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
"""The exact text of a finite Decimal, as ``str(Decimal(...))`` writes it."""

INSTANT_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?|Z)$"
)
"""An instant with its UTC offset, as ``datetime.isoformat()`` writes an aware datetime."""

TAGS: Final = ("decimal", "datetime", "set", "window", "segment", "basis", "interval", "nan", "inf", "-inf")
"""The types a ``types`` entry may name: what plain JSON would read back as something else.

``nan``, ``inf`` and ``-inf`` mark a float that is not finite, which JSON holds as null.
"""

T = TypeVar("T")

# -- paths --------------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def child(path: str, key: str | int) -> str:
    """The JSONPath of ``key`` under ``path``: ``$.window.start``, ``$[3]``, ``$.details["a b"]``.

    Examples:
        >>> child("$", "interval"), child("$.rows", 3), child("$.details", "by channel")
        ('$.interval', '$.rows[3]', '$.details["by channel"]')
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _NAME.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def _pointer(pointer: str, key: str | int) -> str:
    """The JSON Pointer (RFC 6901) of ``key`` under ``pointer``."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _path_of(pointer: str) -> str:
    """A JSON Pointer as the JSONPath messages use (a part of digits read as a list index).

    Examples:
        >>> _path_of("/details/by channel/0")
        '$.details["by channel"][0]'
    """
    path = "$"
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        path = child(path, int(key) if key.isdigit() else key)
    return path


# -- encoding -----------------------------------------------------------------------------------


def encode(value: Any, pointer: str = "", types: dict[str, str] | None = None) -> Any:
    """``value`` as JSON holds it; each place plain JSON would misread is noted in ``types``.

    Args:
        value: the value.
        pointer: the JSON Pointer of ``value`` in the document being written.
        types: where to note, by JSON Pointer, the `TAGS` entry of each Decimal, instant, set,
            window, segment, basis, interval and non-finite float (None: note nothing).

    Returns:
        Decimals as strings, instants in ISO 8601, enums by value, windows, segments, bases and
        intervals by their ``to_dict()``, a float that is not finite as None, sets as lists
        sorted by text, attrs classes as a mapping of their fields.

    Raises:
        PayloadError: a mapping has a key that is not text (nor an enum with a text value).

    Examples:
        >>> types = {}
        >>> encode({"paid": Decimal("12.50"), "ids": {"b", "a"}, "n": 3}, "/details", types)
        {'paid': '12.50', 'ids': ['a', 'b'], 'n': 3}
        >>> types
        {'/details/paid': 'decimal', '/details/ids': 'set'}
    """
    if types is None:
        types = {}
    if isinstance(value, Decimal):
        types[pointer] = "decimal"
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        types[pointer] = "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
        return None
    if isinstance(value, datetime):
        types[pointer] = "datetime"
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    for kind, tag in _SCOPES:
        if isinstance(value, kind):
            types[pointer] = tag
            return value.to_dict()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            name = key.value if isinstance(key, enum.Enum) else key
            if not isinstance(name, str):
                # A JSON object's keys are text: 1 would come back as "1", and 1 beside "1" would
                # be one key. Refused, so what is written reads back exactly.
                raise PayloadError(_path_of(pointer), key, "a mapping whose keys are text, as JSON's are")
            out[name] = encode(item, _pointer(pointer, name), types)
        return out
    if isinstance(value, (list, tuple)):
        return [encode(item, _pointer(pointer, i), types) for i, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return _encode_set(value, pointer, types)
    if attrs.has(type(value)):
        return {
            f.name: encode(getattr(value, f.name), _pointer(pointer, f.name), types)
            for f in attrs.fields(type(value))
        }
    return value


_SCOPES: Final[tuple[tuple[type[Any], str], ...]] = (
    (Window, "window"),
    (Segment, "segment"),
    (RevenueBasis, "basis"),
    (Interval, "interval"),
)


def _encode_set(value: Collection[Any], pointer: str, types: dict[str, str]) -> list[Any]:
    # Items are sorted by their JSON text, so each item's own notes move with it to its position.
    items = []
    for item in value:
        notes: dict[str, str] = {}
        items.append((encode(item, "", notes), notes))
    items.sort(key=lambda pair: str(pair[0]))
    types[pointer] = "set"
    for i, (_, notes) in enumerate(items):
        types.update({f"{_pointer(pointer, i)}{inner}": tag for inner, tag in notes.items()})
    return [encoded for encoded, _ in items]


# -- kinds of value -------------------------------------------------------------------------------


@attrs.frozen
class Kind:
    """One kind of JSON value: its JSON Schema and the reader that turns it into a Python value.

    Attributes:
        schema: the JSON Schema (draft 2020-12) of the value; it may refer to `DEFINITIONS`.
        read: ``read(value, path)`` gives the Python value or raises `PayloadError` naming ``path``.
        expected: the value in words, for the message when it is missing.
    """

    schema: Mapping[str, Any]
    read: Callable[[Any, str], Any]
    expected: str

    def or_null(self) -> Kind:
        """The same kind, or null (read as None).

        Examples:
            >>> Kind.string().or_null().read(None, "$.reason") is None
            True
            >>> Kind.boolean().or_null().read(1, "$.significant")
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.PayloadError: $.significant must be true or false, or null. Got 1 instead.
        """
        read, expected = self.read, f"{self.expected}, or null"

        def read_or_null(value: Any, path: str) -> Any:
            if value is None:
                return None
            try:
                return read(value, path)
            except PayloadError as error:
                if error.path != path or error.missing:
                    raise  # a value inside this one: its own message says what it must be
                raise PayloadError(path, value, expected) from None

        choices = list(self.schema["anyOf"]) if set(self.schema) == {"anyOf"} else [dict(self.schema)]
        return Kind({"anyOf": [*choices, {"type": "null"}]}, read_or_null, expected)

    @staticmethod
    def string() -> Kind:
        """A string.

        Examples:
            >>> Kind.string().read(3, "$.metric")
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.PayloadError: $.metric must be a string. Got 3 instead.
        """
        return Kind({"type": "string"}, _string, "a string")

    @staticmethod
    def integer(minimum: int) -> Kind:
        """An integer (never a bool) at least ``minimum``."""

        expected = f"an integer of at least {minimum}"

        def read(value: Any, path: str) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise PayloadError(path, value, expected)
            return value

        return Kind({"type": "integer", "minimum": minimum}, read, expected)

    @staticmethod
    def boolean() -> Kind:
        """true or false.

        Examples:
            >>> Kind.boolean().read(1, "$.significant")
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.PayloadError: $.significant must be true or false. Got 1 instead.
        """

        def read(value: Any, path: str) -> bool:
            if not isinstance(value, bool):
                raise PayloadError(path, value, "true or false")
            return value

        return Kind({"type": "boolean"}, read, "true or false")

    @staticmethod
    def number() -> Kind:
        """A JSON number: an int or a float, never a bool."""
        return Kind({"type": "number"}, _number, "a number")

    @staticmethod
    def exact() -> Kind:
        """A number, or a Decimal written as its exact text (``"182400.00"``).

        Examples:
            >>> Kind.exact().read("182400.00", "$.value"), Kind.exact().read(3, "$.value")
            (Decimal('182400.00'), 3)
        """
        return Kind({"anyOf": [{"type": "number"}, {"$ref": "#/$defs/decimal"}]}, _exact, _EXACT)

    @staticmethod
    def instant() -> Kind:
        """An ISO 8601 instant with its UTC offset, kept as written."""
        return Kind(_INSTANT_SCHEMA, _instant, _INSTANT)

    @staticmethod
    def strings() -> Kind:
        """A list of strings, read as a tuple."""

        def read(value: Any, path: str) -> tuple[str, ...]:
            if not isinstance(value, list):
                raise PayloadError(path, value, "a list of strings")
            return tuple(_string(item, child(path, i)) for i, item in enumerate(value))

        return Kind({"type": "array", "items": {"type": "string"}}, read, "a list of strings")

    @staticmethod
    def anything() -> Kind:
        """Any JSON object, read as it is."""

        def read(value: Any, path: str) -> Mapping[str, Any]:
            if not isinstance(value, Mapping):
                raise PayloadError(path, value, "an object")
            return value

        return Kind({"type": "object"}, read, "an object")

    @staticmethod
    def choice(kind: type[enum.Enum]) -> Kind:
        """One of an enum's values, read as the enum member."""
        values = [member.value for member in kind]
        expected = f"one of {', '.join(map(repr, values))}"

        def read(value: Any, path: str) -> Any:
            if isinstance(value, str):
                for member in kind:
                    if member.value == value:
                        return member
            raise PayloadError(path, value, expected)

        return Kind({"enum": values}, read, expected)

    @staticmethod
    def version() -> Kind:
        """The schema version: `SCHEMA_VERSION`, or a `SchemaVersionError`."""

        expected = f"{SCHEMA_VERSION}, the schema version this release of advocacy_kpis reads"

        def read(value: Any, path: str) -> int:
            if isinstance(value, bool) or value != SCHEMA_VERSION:
                raise SchemaVersionError(path, value, expected)
            return SCHEMA_VERSION

        return Kind({"const": SCHEMA_VERSION}, read, expected)

    @staticmethod
    def scope(name: str) -> Kind:
        """A window, segment, revenue basis or interval, as its ``to_dict()`` writes it.

        ``name`` is one of ``window``, ``segment``, ``basis``, ``interval``.
        """
        reader, what = _SCOPE_READERS[name]
        return Kind({"$ref": f"#/$defs/{name}"}, reader, what)


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise PayloadError(path, value, "a string")
    return value


def _number(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(path, value, "a number")
    return value


_DECIMAL = re.compile(DECIMAL_PATTERN)


def _decimal(value: Any, path: str) -> Decimal:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise PayloadError(path, value, "a decimal number written as text, such as '182400.00'")
    return Decimal(value)


_EXACT: Final = "a number, or a decimal number written as text such as '182400.00'"
_INSTANT: Final = "an ISO 8601 instant with a UTC offset, such as '2026-07-01T00:00:00+00:00'"


def _exact(value: Any, path: str) -> int | float | Decimal:
    if isinstance(value, str):
        return _decimal(value, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(path, value, _EXACT)
    return value


_INSTANT_SCHEMA: Final = {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}
_INSTANT_TEXT = re.compile(INSTANT_PATTERN)


def _instant(value: Any, path: str) -> datetime:
    if not isinstance(value, str) or not _INSTANT_TEXT.fullmatch(value):
        raise PayloadError(path, value, _INSTANT)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(path, value, _INSTANT) from None
    if instant.utcoffset() is None:
        raise PayloadError(path, value, _INSTANT)
    return instant


# -- objects ------------------------------------------------------------------------------------


def read_object(
    value: Any, path: str, fields: Mapping[str, Kind], *, optional: Collection[str] = (), what: str
) -> dict[str, Any]:
    """Read a JSON object of known keys: each present key by its kind, refusing unknown keys.

    Args:
        value: the object.
        path: its JSONPath.
        fields: each key's kind.
        optional: the keys that may be left out (absent from the returned dict).
        what: what the object is, for messages (``"a result as MetricResult.to_dict() writes it"``).

    Raises:
        PayloadError: not an object, a required key missing, an unknown key, or a value its kind refuses.

    Examples:
        >>> read_object({"n": 3}, "$", {"n": Kind.integer(0)}, what="a count")
        {'n': 3}
        >>> read_object({"n": 3, "m": 1}, "$", {"n": Kind.integer(0)}, what="a count")
        Traceback (most recent call last):
        ...
        advocacy_kpis.errors.PayloadError: $.m must be absent (a count has the keys n). Got 1 instead.
    """
    data = _known_keys(value, path, fields, what)
    out = {}
    for key, kind in fields.items():
        if key in data:
            out[key] = kind.read(data[key], child(path, key))
        elif key not in optional:
            raise PayloadError(child(path, key), None, kind.expected, missing=True)
    return out


def _known_keys(value: Any, path: str, keys: Collection[str], what: str) -> Mapping[str, Any]:
    """``value`` as an object holding none but ``keys``."""
    if not isinstance(value, Mapping):
        raise PayloadError(path, value, f"an object: {what}")
    for key in value:
        if key not in keys:
            expected = f"absent ({what} has the keys {', '.join(keys)})"
            raise PayloadError(child(path, str(key)), value[key], expected)
    return value


def object_schema(fields: Mapping[str, Kind], *, optional: Collection[str] = ()) -> dict[str, Any]:
    """The JSON Schema of what `read_object` reads with the same arguments.

    Examples:
        >>> schema = object_schema({"n": Kind.integer(0)})
        >>> schema["properties"], schema["required"], schema["additionalProperties"]
        ({'n': {'type': 'integer', 'minimum': 0}}, ['n'], False)
    """
    return {
        "type": "object",
        "properties": {key: dict(kind.schema) for key, kind in fields.items()},
        "required": [key for key in fields if key not in optional],
        "additionalProperties": False,
    }


# -- windows, segments, bases and intervals -------------------------------------------------------

_CALENDAR_FIELDS: Final = {
    "timezone": Kind.string(),
    "week_start": Kind.integer(0),
    "fiscal_year_start_month": Kind.integer(1),
}
_WINDOW_KEYS: Final = ("start", "end", "label", "grain", "fiscal", "calendar")
_BASIS_KEYS: Final = ("kind", "currency", "fx_rates")
_INTERVAL_FIELDS: Final = {
    "low": Kind.number(),
    "high": Kind.number(),
    "confidence": Kind.number(),
    "method": Kind.string(),
}


def _from_dict(read: Callable[[Mapping[str, Any]], T], value: Mapping[str, Any], path: str) -> T:
    """A scope value's own ``from_dict``, its `ParameterError` turned into a `PayloadError` at its path."""
    try:
        return read(value)
    except ParameterError as error:
        key = error.parameter
        if key in ("data", "criteria"):
            raise PayloadError(path, value, error.expected) from None
        missing = key not in value
        raise PayloadError(
            child(path, key), None if missing else error.got, error.expected, missing=missing
        ) from None


def _calendar(value: Any, path: str) -> Calendar:
    read_object(value, path, _CALENDAR_FIELDS, what="a calendar")
    return _from_dict(Calendar.from_dict, value, path)


def _window(value: Any, path: str) -> Window:
    data = _known_keys(value, path, _WINDOW_KEYS, "a window")
    if data.get("calendar") is not None:
        _calendar(data["calendar"], child(path, "calendar"))
    for key in ("start", "end"):
        if key in data:
            _instant(data[key], child(path, key))
    if "label" in data:
        _string(data["label"], child(path, "label"))
    return _from_dict(Window.from_dict, data, path)


def _segment(value: Any, path: str) -> Segment:
    if not isinstance(value, Mapping):
        raise PayloadError(path, value, "an object: a segment")
    for key, values in value.items():
        if not isinstance(values, list):
            raise PayloadError(child(path, key), values, "a list of the attribute's allowed values")
    return _from_dict(Segment.from_dict, value, path)


def _basis(value: Any, path: str) -> RevenueBasis:
    data = _known_keys(value, path, _BASIS_KEYS, "a revenue basis")
    rates = data.get("fx_rates")
    if rates is not None:
        if not isinstance(rates, Mapping):
            raise PayloadError(child(path, "fx_rates"), rates, "an object of currency code to decimal text")
        for code, rate in rates.items():
            _decimal(rate, child(child(path, "fx_rates"), code))
    return _from_dict(RevenueBasis.from_dict, data, path)


def _interval(value: Any, path: str) -> Interval:
    return Interval(**read_object(value, path, _INTERVAL_FIELDS, what="an interval"))


_SCOPE_READERS: Final[Mapping[str, tuple[Callable[[Any, str], Any], str]]] = {
    "window": (_window, "a window as Window.to_dict() writes it"),
    "segment": (_segment, "a segment as Segment.to_dict() writes it"),
    "basis": (_basis, "a revenue basis as RevenueBasis.to_dict() writes it"),
    "interval": (_interval, "an interval as Interval.to_dict() writes it"),
}

DEFINITIONS: Final[Mapping[str, Any]] = {
    "decimal": {
        "description": "A Decimal written as its exact text.",
        "type": "string",
        "pattern": DECIMAL_PATTERN,
    },
    "calendar": {
        "type": "object",
        "properties": {
            "timezone": {"type": "string", "description": "An IANA zone name, 'UTC' or 'UTC+HH:MM'."},
            "week_start": {"type": "integer", "minimum": 0, "maximum": 6},
            "fiscal_year_start_month": {"type": "integer", "minimum": 1, "maximum": 12},
        },
        "required": list(_CALENDAR_FIELDS),
        "additionalProperties": False,
    },
    "window": {
        "description": "A half-open window [start, end); label is for people and is not read.",
        "type": "object",
        "properties": {
            "start": _INSTANT_SCHEMA,
            "end": _INSTANT_SCHEMA,
            "label": {"type": "string"},
            "grain": {"enum": [*(grain.value for grain in Grain), None]},
            "fiscal": {"type": "boolean"},
            "calendar": {"anyOf": [{"$ref": "#/$defs/calendar"}, {"type": "null"}]},
        },
        "required": ["start", "end"],
        "additionalProperties": False,
    },
    "segment": {
        "description": "Attribute name to its allowed values; {} is every account.",
        "type": "object",
        "additionalProperties": {
            "type": "array",
            "items": {"type": ["string", "integer", "boolean"]},
            "minItems": 1,
        },
    },
    "basis": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["arr", "mrr", "acv", "tcv"]},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "fx_rates": {
                "anyOf": [
                    {
                        "type": "object",
                        "propertyNames": {"pattern": "^[A-Z]{3}$"},
                        "additionalProperties": {"$ref": "#/$defs/decimal"},
                    },
                    {"type": "null"},
                ]
            },
        },
        "required": ["kind", "currency"],
        "additionalProperties": False,
    },
    "interval": object_schema(_INTERVAL_FIELDS),
}
"""The JSON Schema definitions the kinds refer to (``#/$defs/window`` and the like)."""


def check_version(data: Any, path: str) -> None:
    """Refuse a payload of another schema version before reading anything else of it.

    Raises:
        SchemaVersionError: ``schema_version`` is not `SCHEMA_VERSION`.
        PayloadError: ``data`` is no object, or has no ``schema_version``.
    """
    if isinstance(data, Mapping):
        where = child(path, "schema_version")
        if "schema_version" not in data:
            raise PayloadError(where, None, Kind.version().expected, missing=True)
        Kind.version().read(data["schema_version"], where)


def read_json(text: Any) -> Any:
    """Parse JSON text, refusing what is not JSON (NaN and Infinity included) with a `PayloadError`."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise PayloadError("$", text, "JSON text (a str or bytes)")

    def refuse(constant: str) -> Any:
        raise PayloadError("$", constant, "JSON without NaN or Infinity, which JSON does not have")

    try:
        return json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError) as error:
        if isinstance(error, PayloadError):
            raise
        raise PayloadError("$", text, f"JSON text ({error})") from None


# -- decoding -------------------------------------------------------------------------------------


def read_types(value: Any, path: str, roots: Collection[str]) -> dict[str, str]:
    """Read a ``types`` mapping: JSON Pointers under one of ``roots`` to a tag of `TAGS`.

    A pointer leads into a root, never to the root itself: each root is an object of named
    values, and a tag there would read it back as something else.
    """
    if not isinstance(value, Mapping):
        raise PayloadError(path, value, "an object of JSON Pointer to type")
    for pointer, tag in value.items():
        if not any(pointer.startswith(f"/{root}/") for root in roots):
            expected = f"a JSON Pointer into {' or '.join(roots)}"
            raise PayloadError(child(path, pointer), pointer, expected)
        if tag not in TAGS:
            raise PayloadError(child(path, pointer), tag, f"one of {', '.join(map(repr, TAGS))}")
    return dict(value)


def types_schema(roots: Collection[str]) -> dict[str, Any]:
    """The JSON Schema of what `read_types` reads."""
    names = "|".join(re.escape(root) for root in roots)
    return {
        "description": "Where plain JSON would read a value back as another type: JSON Pointer to type.",
        "type": "object",
        "propertyNames": {"pattern": f"^/({names})/[\\s\\S]*$"},
        "additionalProperties": {"enum": list(TAGS)},
    }


def decode(value: Any, pointer: str, types: Mapping[str, str], path: str, used: set[str]) -> Any:
    """Read back what `encode` wrote at ``pointer``, with the ``types`` it noted.

    Each pointer of ``types`` that is read is added to ``used``, so the caller can refuse notes
    that point at nothing.

    Raises:
        PayloadError: a value that does not hold the type noted for it.

    Examples:
        >>> used = set()
        >>> types = {"/details/paid": "decimal", "/details/ids": "set"}
        >>> decode({"paid": "12.50", "ids": ["a"]}, "/details", types, "$.details", used)
        {'paid': Decimal('12.50'), 'ids': frozenset({'a'})}
    """
    tag = types.get(pointer)
    if tag is not None:
        used.add(pointer)
        return _tagged(tag, value, pointer, types, path, used)
    if isinstance(value, Mapping):
        return {
            key: decode(item, _pointer(pointer, key), types, child(path, key), used)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            decode(item, _pointer(pointer, i), types, child(path, i), used) for i, item in enumerate(value)
        ]
    return value


def _tagged(tag: str, value: Any, pointer: str, types: Mapping[str, str], path: str, used: set[str]) -> Any:
    if tag == "decimal":
        return _decimal(value, path)
    if tag == "datetime":
        return _instant(value, path)
    if tag in ("nan", "inf", "-inf"):
        if value is not None:
            raise PayloadError(path, value, f"null (a float {tag}, which JSON cannot hold)")
        return float(tag)
    if tag == "set":
        if not isinstance(value, list):
            raise PayloadError(path, value, "a list (the items of a set)")
        items = [
            decode(item, _pointer(pointer, i), types, child(path, i), used) for i, item in enumerate(value)
        ]
        if any(isinstance(item, (Mapping, list)) for item in items):
            raise PayloadError(path, value, "a list of values that can be in a set (no objects or lists)")
        return frozenset(items)
    return _SCOPE_READERS[tag][0](value, path)
