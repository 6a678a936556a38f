"""Tally state: typed accumulators, each declaring how the tallies of two parts merge.

A block's state is an attrs class whose fields are made with the functions below. Each says how
two parts of the records combine (`Merge`), so `merge` never guesses from a value's run-time
type: counts and sums add, mappings of counts add key by key, observations concatenate, and a
setting both parts must share (a parameter) is checked equal.

Parts are unions of whole accounts: every record travels with the account it belongs to (a
record with no account is in one part). Distinct counts of accounts therefore add.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final, TypeVar, assert_never

import attrs

from advocacy_kpis.errors import ParameterError

__all__ = [
    "Merge",
    "count",
    "counts_by",
    "merge",
    "money",
    "observations",
    "same",
    "state",
]

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


def state(cls: C) -> C:
    """Make ``cls`` a tally state: a mutable, slotted attrs class whose fields all declare a merge."""
    made: C = attrs.define(slots=True, eq=True)(cls)
    for field in attrs.fields(made):
        if MERGE not in field.metadata:
            raise ParameterError(field.name, made.__name__, "a field made with count(), money(), ...", None)
    return made


def _field(rule: Merge, **options: Any) -> Any:
    return attrs.field(metadata={MERGE: rule}, **options)


def count() -> Any:
    """A count (or any integer sum), starting at 0; parts add."""
    return _field(Merge.ADD, default=0)


def money() -> Any:
    """A sum of money (or any Decimal), starting at ``Decimal(0)``; parts add."""
    return _field(Merge.ADD, factory=Decimal)


def counts_by() -> Any:
    """Counts or sums by key (nested mappings allowed), starting empty; parts add key by key."""
    return _field(Merge.ADD_KEYS, factory=dict)


def observations() -> Any:
    """A list of observations (e.g. survival times), starting empty; parts concatenate."""
    return _field(Merge.CONCAT, factory=list)


def same(default: Any = None) -> Any:
    """A setting the tally was made with; parts must agree."""
    return _field(Merge.SAME, default=default)


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
        >>> @state
        ... class Example:
        ...     n: int = count()
        ...     by: dict[str, int] = counts_by()
        >>> merge(Example(2, {"a": 1}), Example(3, {"a": 1, "b": 4}))
        Example(n=5, by={'a': 2, 'b': 4})
    """
    kind = type(first)
    if type(second) is not kind:
        raise ParameterError("second", "merge", f"a {kind.__name__} tally", type(second).__name__)
    values: dict[str, Any] = {}
    for field in attrs.fields(kind):
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


def fresh(kind: Callable[[], S], n: int) -> list[S]:
    """``n`` empty tallies of a state class."""
    return [kind() for _ in range(n)]
