"""Tally state: typed accumulators, each declaring how the tallies of two parts merge.

A block's state is an attrs class whose every field carries, in its metadata, how two parts of the
records combine (`Merge`: ``attrs.field(default=0, metadata=ADD)``), so `merge` never guesses
from a value's run-time type: counts and sums add, mappings of counts add key by key, observations concatenate, and a
setting both parts must share (a parameter) is checked equal.

Parts are unions of whole accounts: every record travels with the account it belongs to (a
record with no account is in one part). Distinct counts of accounts therefore add.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, TypeVar, assert_never, cast

import attrs

from advocacy_kpis.errors import ParameterError

__all__ = ["ADD", "ADD_KEYS", "CONCAT", "SAME", "Merge", "check_state", "merge"]

S = TypeVar("S")
C = TypeVar("C", bound=type)

MERGE: Final = "advocacy_kpis.merge"


class Merge(enum.Enum):
    """How the values of one accumulator in two parts of the records combine."""

    ADD = "add"
    """Counts and sums: the values add."""
    ADD_KEYS = "add_keys"
    """Mappings of counts or sums (nested mappings too): the values add key by key."""
    CONCAT = "concat"
    """Lists of observations: the lists concatenate."""
    SAME = "same"
    """A setting the tally was made with: both parts must hold the same value."""


ADD: Final[Mapping[str, Merge]] = {MERGE: Merge.ADD}
"""Metadata of a count or a sum: ``attrs.field(default=0, metadata=ADD)``."""

ADD_KEYS: Final[Mapping[str, Merge]] = {MERGE: Merge.ADD_KEYS}
"""Metadata of counts or sums by key: ``attrs.field(factory=dict, metadata=ADD_KEYS)``."""

CONCAT: Final[Mapping[str, Merge]] = {MERGE: Merge.CONCAT}
"""Metadata of a list of observations: ``attrs.field(factory=list, metadata=CONCAT)``."""

SAME: Final[Mapping[str, Merge]] = {MERGE: Merge.SAME}
"""Metadata of a setting both parts must share."""


def check_state(cls: type) -> None:
    """Refuse a state class with a field that does not declare how it merges."""
    for field in attrs.fields(cls):
        if MERGE not in field.metadata:
            raise ParameterError(
                field.name, cls.__name__, "a field declaring its merge (metadata=ADD, ...)", None
            )


def _add_keys(first: Mapping[Any, Any], second: Mapping[Any, Any]) -> dict[Any, Any]:
    out = dict(first)
    for key, value in second.items():
        held = out.get(key)
        if held is None:
            out[key] = value
        elif isinstance(held, Mapping):
            out[key] = _add_keys(held, value)
        else:
            out[key] = held + value
    return out


def merge(first: S, second: S) -> S:
    """The tally of the union of two parts of the records, from the tallies of each part.

    Examples:
        >>> @attrs.define
        ... class Example:
        ...     n: int = attrs.field(default=0, metadata=ADD)
        ...     by: dict[str, int] = attrs.field(factory=dict, metadata=ADD_KEYS)
        >>> merge(Example(2, {"a": 1}), Example(3, {"a": 1, "b": 4}))
        Example(n=5, by={'a': 2, 'b': 4})
    """
    kind: Any = type(first)
    if type(second) is not kind:
        raise ParameterError("second", "merge", f"a {kind.__name__} tally", type(second).__name__)
    values: dict[str, Any] = {}
    for field in attrs.fields(cast(Any, kind)):
        a, b = getattr(first, field.name), getattr(second, field.name)
        rule: Merge = field.metadata[MERGE]
        if rule is Merge.ADD:
            values[field.name] = a + b
        elif rule is Merge.ADD_KEYS:
            values[field.name] = _add_keys(a, b)
        elif rule is Merge.CONCAT:
            values[field.name] = [*a, *b]
        elif rule is Merge.SAME:
            if a != b:
                raise ParameterError(field.name, "merge", f"the same value in both parts ({a!r})", b)
            values[field.name] = a
        else:
            assert_never(rule)
    merged: S = kind(**values)
    return merged
