"""Segments: declarative criteria on account (or record) attributes, and `Segment.by` crossings."""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from advocacy_kpis.errors import ParameterError
from advocacy_kpis.scope._time import _is_int

# -- segments -----------------------------------------------------------------------------------

Scalar = str | bool | int

_SCALARS = "a string, bool or int, or a list, tuple or set of them"


def _freeze_values(name: str, value: Any, function: str = "Segment.where") -> frozenset[Scalar]:
    if not isinstance(name, str) or not name:
        raise ParameterError("criteria", function, "attribute names that are non-empty strings", name)
    values: Iterable[Any]
    if isinstance(value, (str, bool)) or _is_int(value):
        values = (value,)
    elif isinstance(value, (Mapping, bytes, bytearray)) or not isinstance(value, Iterable):
        raise ParameterError(name, function, _SCALARS, value)
    else:
        values = tuple(value)
    items: list[Scalar] = []
    for item in values:
        if isinstance(item, (str, bool)):
            items.append(item)
        elif _is_int(item):
            items.append(int(item))
        else:
            raise ParameterError(name, function, "strings, bools or ints", item)
    if not items:
        raise ParameterError(name, function, "at least one allowed value", value)
    flags = [item for item in items if isinstance(item, bool)]
    if any(type(item) is int and item in (0, 1) for item in items) and flags:
        # True == 1 and False == 0 in Python: one would silently absorb the other.
        raise ParameterError(name, function, "values that do not mix True/False with 1/0", value)
    return frozenset(items)


def _same_value(value: Any, allowed: frozenset[Scalar]) -> bool:
    """Whether a record's attribute ``value`` is one of the ``allowed`` values.

    A flag (a bool attribute) is matched by True and False, and also by 1 and 0, as the loader
    reads 1 and 0 in a flag column; ``--segment icp=1`` would otherwise select nobody. A number
    is matched by numbers only: the attribute ``seats=1`` is never matched by True.
    """
    if value not in allowed:
        return False
    if isinstance(value, bool):
        return any(item is value or type(item) is int for item in allowed if item == value)
    if isinstance(value, numbers.Integral):
        return any(type(item) is int and item == value for item in allowed)
    return True


def _meet(first: frozenset[Scalar], second: frozenset[Scalar]) -> frozenset[Scalar]:
    """The values that select what both criteria select: where 1 meets True, only flags (True) are."""
    numbers_ = {v for v in second if type(v) is int}
    met: set[Scalar] = set()
    for value in first:
        if value not in second:
            continue
        if isinstance(value, bool) or type(value) is not int or value in numbers_:
            met.add(value)
        else:
            met.add(bool(value))  # the number 1 met True: a flag
    return frozenset(met)


_PLAIN_NAME = re.compile(r"[A-Za-z_][\w.]*")
_SHOWN_NAME = 60  # longer attribute names are not repeated in a message
_PLAIN_VALUE = re.compile(r"[\w.:/@+\-]+(?: [\w.:/@+\-]+)*")
_INTEGER = re.compile(r"-?[0-9]+")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_name(name: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) and name != "in" else _quote(name)


def _render(value: Scalar) -> str:
    """A value as the segment's name writes it: parsing it back gives the same value and type."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    looks_typed = _INTEGER.fullmatch(value) or value.lower() in ("true", "false")
    return value if _PLAIN_VALUE.fullmatch(value) and not looks_typed else _quote(value)


def _tag(value: Scalar) -> str:
    return "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "str"


@attrs.frozen(eq=False)
class Segment:
    """A declarative subset of accounts (or of records that carry attributes).

    A segment is a conjunction of criteria; each criterion names an attribute and the values it
    may take. ``Segment.all()`` has no criteria and matches everything.

    Values keep their type: ``Segment.where(seats=5)`` matches the integer 5 and not the string
    ``"5"``, and True never matches the number 1 (although ``True == 1`` in Python). On a flag
    (an attribute holding True or False), 1 and 0 match True and False, as the loader reads them
    in a flag column. Two segments are equal only when their criteria and the types of their
    values are.

    Examples:
        >>> s = Segment.where(tier="enterprise") & Segment.where(region=("EMEA", "NA"))
        >>> s.name
        'region in {EMEA, NA} & tier=enterprise'
        >>> s.matches({"tier": "enterprise", "region": "NA"}), s.matches({"tier": "smb"})
        (True, False)
        >>> Segment.parse(s.name) == s
        True
        >>> Segment.where(seats=5).name, Segment.where(seats="5").name
        ('seats=5', 'seats="5"')
        >>> Segment.where(icp=1).matches({"icp": True}), Segment.where(icp=True).matches({"icp": 1})
        (True, False)
    """

    criteria: tuple[tuple[str, frozenset[Scalar]], ...] = ()
    _key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = attrs.field(init=False, repr=False)
    # Segments key the data set's caches, so their hash is computed once.
    _hash: int = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        key = tuple(
            (name, tuple(sorted((_tag(v), _render(v)) for v in values))) for name, values in self.criteria
        )
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segment):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return self._hash

    @staticmethod
    def render_value(value: Scalar) -> str:
        """A value as a segment's name writes it, quoted where it would read back as another type.

        Examples:
            >>> Segment.render_value("enterprise"), Segment.render_value("5"), Segment.render_value(5)
            ('enterprise', '"5"', '5')
        """
        return _render(value)

    @classmethod
    def all(cls) -> Segment:
        """The segment with no criteria: every account."""
        return cls(())

    @classmethod
    def where(cls, **criteria: Scalar | Iterable[Scalar]) -> Segment:
        """Accounts whose attributes take the given values (a collection means any of them).

        Raises:
            ParameterError: a value is not a string, bool or int (a mapping is refused too, as
                its keys would silently become the values), a collection is empty, or a
                criterion mixes True/False with 1/0.
        """
        return cls(tuple(sorted((k, _freeze_values(k, v)) for k, v in criteria.items())))

    @classmethod
    def by(cls, *attributes: str) -> SegmentsBy:
        """The whole plus one segment per value of ``attributes`` present in a data set.

        With several attributes, one segment per combination of their values (the crossing).
        The values are read when a scorecard resolves it against its data set.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> [s.name for s in Segment.by("tier").resolve(tiny())]
            ['all', 'tier=enterprise', 'tier=mid', 'tier=smb']
        """
        return SegmentsBy(attributes)

    @property
    def is_all(self) -> bool:
        """Whether the segment matches everything."""
        return not self.criteria

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attribute names the segment reads."""
        return tuple(name for name, _ in self.criteria)

    def __and__(self, other: Segment) -> Segment:
        if not isinstance(other, Segment):
            raise ParameterError("other", "Segment &", "a Segment such as Segment.where(tier='smb')", other)
        merged: dict[str, frozenset[Scalar]] = dict(self.criteria)
        for name, values in other.criteria:
            merged[name] = _meet(merged[name], values) if name in merged else values
        return Segment(tuple(sorted(merged.items())))

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        """Whether a record with these attribute values belongs to the segment."""
        for name, allowed in self.criteria:
            value = attributes.get(name)
            if value is None or not _same_value(value, allowed):
                return False
        return True

    @property
    def name(self) -> str:
        """A readable, parseable name such as ``tier=enterprise & region in {EMEA, NA}``.

        Strings that would read back as something else (``"5"``, ``"true"``, text with commas
        or quotes) are written in double quotes, so `parse` gives back an equal segment.
        """
        if not self.criteria:
            return "all"
        parts = []
        for attribute, values in self.criteria:
            rendered = sorted(_render(v) for v in values)
            shown = _render_name(attribute)
            if len(rendered) == 1:
                parts.append(f"{shown}={rendered[0]}")
            else:
                parts.append(f"{shown} in {{{', '.join(rendered)}}}")
        return " & ".join(parts)

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, list[Scalar]]:
        """JSON-safe form: attribute name to the sorted list of allowed values."""
        return {name: sorted(values, key=_render) for name, values in self.criteria}

    @classmethod
    def from_dict(cls, criteria: Mapping[str, Iterable[Scalar] | Scalar]) -> Segment:
        """Inverse of `to_dict`.

        Raises:
            ParameterError: ``criteria`` is not a mapping of attribute names to values.
        """
        if not isinstance(criteria, Mapping):
            raise ParameterError(
                "criteria", "Segment.from_dict", "a mapping as produced by to_dict()", criteria
            )
        return cls(tuple(sorted((k, _freeze_values(k, v, "Segment.from_dict")) for k, v in criteria.items())))

    @classmethod
    def parse(cls, text: str) -> Segment:
        """Read a segment from ``tier=enterprise,region=EMEA|NA`` or from its `name`.

        Criteria are separated by ``,`` or ``&``; a criterion is ``name=value``,
        ``name=a|b`` or ``name in {a, b}``. An unquoted value reads as a bool when it is
        ``true`` or ``false`` (any case), as an int when it is ASCII digits (with an optional
        minus sign), and as a string otherwise; double quotes force a string (``seats="1"``)
        and may hold any text, with ``\"`` and ``\\`` for a quote and a backslash. Each
        attribute may appear once: ``tier=a|b`` is how to allow two values.

        Raises:
            ParameterError: ``text`` is not a string, is malformed, or names an attribute twice.

        Examples:
            >>> Segment.parse("tier=enterprise,icp=true") == Segment.where(tier="enterprise", icp=True)
            True
            >>> Segment.parse("seats=1") == Segment.where(seats=1)
            True
            >>> Segment.parse('seats="1"') == Segment.where(seats="1")
            True
        """
        expected = "criteria such as 'tier=enterprise,region=EMEA|NA'"
        if not isinstance(text, str):
            raise ParameterError("text", "Segment.parse", f"a string of {expected}", text)
        if text.strip() in ("", "all"):
            return cls.all()
        criteria: dict[str, frozenset[Scalar]] = {}
        for name, values in _SegmentReader(text, expected).criteria():
            if name in criteria:
                shown = _render_name(name) if len(name) <= _SHOWN_NAME else "name"
                hint = f"each attribute once (write {shown}=a|b to allow several values)"
                raise ParameterError("text", "Segment.parse", hint, text)
            criteria[name] = _freeze_values(name, values, "Segment.parse")
        return cls(tuple(sorted(criteria.items())))


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _check_attributes(_: Any, __: Any, value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(name, str) and name.strip() for name in value):
        raise ParameterError("attributes", "Segment.by", "one or more attribute names such as 'tier'", value)
    if len(set(value)) != len(value):
        raise ParameterError("attributes", "Segment.by", "distinct attribute names", value)


@attrs.frozen
class SegmentsBy:
    """Segments by the values of one or more attributes, resolved against a data set.

    Build it with `Segment.by`.
    """

    attributes: tuple[str, ...] = attrs.field(converter=_names, validator=_check_attributes)

    def resolve(self, data: Any) -> list[Segment]:
        """``Segment.all()`` then one segment per value (or combination) present among the accounts.

        Accounts with no value for an attribute are in none of its segments.

        Raises:
            SegmentNotApplicableError: no account carries one of the attributes.
        """
        from advocacy_kpis.errors import SegmentNotApplicableError

        present: list[set[Scalar]] = [set() for _ in self.attributes]
        for view in data.segment_profiles(self.attributes):
            for i, name in enumerate(self.attributes):
                value = view.get(name)
                if value is not None:
                    present[i].add(value)
        for name, values in zip(self.attributes, present, strict=True):
            if not values:
                raise SegmentNotApplicableError(
                    "segments", "Segment.by", "an attribute some account has a value for", name
                )
        ordered = [sorted(values, key=lambda v: (type(v).__name__, _render(v))) for values in present]
        combos = itertools.product(*ordered)
        return [Segment.all()] + [
            Segment(
                tuple(
                    sorted(
                        (name, frozenset([value])) for name, value in zip(self.attributes, combo, strict=True)
                    )
                )
            )
            for combo in combos
        ]


def _parse_scalar(text: str) -> Scalar:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


_SPACE = re.compile(r"\s*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_UNQUOTED = re.compile(r'[^,&|{}"]*')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class _SegmentReader:
    """Reads segment criteria left to right in one pass (each pattern is anchored, so linear)."""

    def __init__(self, text: str, expected: str) -> None:
        self.text = text
        self.at = 0
        self.expected = expected

    def fail(self, what: str) -> ParameterError:
        return ParameterError(
            "text", "Segment.parse", f"{self.expected} ({what} at character {self.at + 1})", self.text
        )

    def space(self) -> None:
        match = _SPACE.match(self.text, self.at)
        self.at = match.end() if match else self.at

    def take(self, token: str) -> bool:
        self.space()
        if self.text.startswith(token, self.at):
            self.at += len(token)
            return True
        return False

    def quoted(self) -> str | None:
        match = _QUOTED.match(self.text, self.at)
        if match is None:
            if self.text.startswith('"', self.at):
                raise self.fail("an unterminated quote")
            return None
        self.at = match.end()
        return _ESCAPE.sub(r"\1", match[1])

    def name(self) -> str:
        self.space()
        quoted = self.quoted()
        if quoted is not None:
            return quoted
        match = _PLAIN_NAME.match(self.text, self.at)
        if match is None:
            raise self.fail("an attribute name expected")
        self.at = match.end()
        return match[0]

    def value(self) -> Scalar:
        self.space()
        quoted = self.quoted()
        if quoted is not None:
            return quoted
        match = _UNQUOTED.match(self.text, self.at)
        raw = match[0].rstrip() if match else ""
        if not raw:
            raise self.fail("a value expected")
        self.at = match.end() if match else self.at
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if not _INTEGER.fullmatch(raw):
            return raw
        try:
            return int(raw)
        except ValueError:  # beyond Python's limit on the digits of an int read from text
            raise self.fail("an integer of at most 4300 digits") from None

    def criteria(self) -> Iterator[tuple[str, list[Scalar]]]:
        while True:
            name = self.name()
            if self.take("="):
                values = [self.value()]
                while self.take("|"):
                    values.append(self.value())
            elif self.take("in") and self.take("{"):
                values = []
                if not self.take("}"):
                    values.append(self.value())
                    while not self.take("}"):
                        if not (self.take(",") or self.take("|")):
                            raise self.fail("',' or '}' expected")
                        values.append(self.value())
            else:
                raise self.fail("'=' or 'in {' expected")
            yield name, values
            self.space()
            if self.at == len(self.text):
                return
            if not (self.take(",") or self.take("&")):
                raise self.fail("',' or '&' expected")
