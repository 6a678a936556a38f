"""Conditions and values on a record's fields, written once and read by every engine.

A metric says which records count, and what of them it adds up, with expressions built from
`field` and `lit`: ``field("score") >= 4``, ``field("channel").fill_null("unknown")``,
``field("converted_at").is_null()``. The same expression is compiled to a Python function of a
record (`Expr.python`) and to a narwhals expression over the record's table (`Expr.narwhals`),
so a condition is never written once per engine.

Nulls follow SQL: a comparison with a missing value is unknown (None), ``&``, ``|`` and ``~``
are three-valued, and a condition that is unknown does not hold. Enum fields read as their value
(``"nps"``), instants as themselves in Python and as microseconds since the epoch in the tables
(see `advocacy_kpis.engines`), durations likewise.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

import attrs

__all__ = ["Env", "Expr", "Marks", "TableColumns", "as_of", "days_of", "field", "lit", "marked", "param"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

RecordFunction = Callable[[Any], Any]


class TableColumns(Protocol):
    """What compiling to narwhals needs to know about a table."""

    def column(self, name: str) -> Any:
        """The narwhals expression reading a field (a typed null where the column is absent)."""

    def mark(self, marks: Marks) -> Any:
        """The boolean column saying whether a row is among ``marks`` (joined in by the block)."""


class Marks:
    """A set of records singled out by a rule across records (a referral's first touch, a renewed
    contract), found on records and tables alike: a subclass says how on each."""

    collection: str
    """The collection whose records it marks."""

    def ids(self, data: Any) -> frozenset[str]:
        """The ids of the marked records of an `AdvocacyData`."""
        raise NotImplementedError

    def frame(self, tables: Any) -> Any:
        """A lazy frame of the ids (column ``id``) of the marked records, from a `TablesRun`."""
        raise NotImplementedError


@attrs.frozen
class Env:
    """What an expression reads besides the record: the metric's parameters, ``as_of`` and, on the
    records, the ids of each set of marked records."""

    params: Mapping[str, Any]
    as_of: datetime
    marked: Mapping[Marks, frozenset[str]] = attrs.field(factory=dict)


def micros(value: datetime | timedelta) -> int:
    """An instant as microseconds since the epoch, or a duration in microseconds (exact)."""
    if isinstance(value, datetime):
        return (value - _EPOCH) // _MICROSECOND
    return value // _MICROSECOND


def _plain(value: Any) -> Any:
    """A literal as the tables hold it: enums by value, instants and durations in microseconds."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, timedelta)):
        return micros(value)
    return value


def _py_plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class Expr:
    """A condition or value on one record's fields (see the module's docstring)."""

    def python(self, env: Env) -> RecordFunction:
        """A function of a record giving this expression's value (None when unknown)."""
        raise NotImplementedError

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        """The narwhals expression computing this over the rows of ``table``."""
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """The record fields the expression reads."""
        raise NotImplementedError

    def marks_read(self) -> frozenset[Marks]:
        """The sets of marked records the expression reads."""
        found: frozenset[Marks] = frozenset()
        for child in self.children():
            found |= child.marks_read()
        return found

    def children(self) -> tuple[Expr, ...]:
        """The expressions this one is built from."""
        values = attrs.astuple(self, recurse=False) if attrs.has(type(self)) else ()  # type: ignore[arg-type]
        return tuple(v for v in values if isinstance(v, Expr))

    # -- building -------------------------------------------------------------------------

    def _compare(self, op: str, other: Any) -> Expr:
        return Compare(op, self, _expr(other))

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return self._compare("!=", other)

    def __lt__(self, other: Any) -> Expr:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Expr:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Expr:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Expr:
        return self._compare(">=", other)

    def __and__(self, other: Expr) -> Expr:
        return Logic("and", self, other)

    def __or__(self, other: Expr) -> Expr:
        return Logic("or", self, other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __sub__(self, other: Any) -> Expr:
        return Arithmetic("-", self, _expr(other))

    def __add__(self, other: Any) -> Expr:
        return Arithmetic("+", self, _expr(other))

    __hash__ = object.__hash__

    def is_null(self) -> Expr:
        """Whether the value is missing (never unknown)."""
        return IsNull(self)

    def not_null(self) -> Expr:
        """Whether the value is present (never unknown)."""
        return Not(IsNull(self))

    def is_in(self, values: Sequence[Any]) -> Expr:
        """Whether the value is one of ``values`` (unknown when missing)."""
        return In(self, tuple(values))

    def fill_null(self, value: Any) -> Expr:
        """The value, or ``value`` where it is missing."""
        return FillNull(self, _expr(value))

    def holds(self) -> Expr:
        """True where the condition holds, False where it does not or is unknown."""
        return FillNull(self, Lit(False))

    def list_len(self) -> Expr:
        """The length of a list value (unknown when missing)."""
        return ListLen(self)

    def contains(self, value: Any) -> Expr:
        """Whether a list value holds ``value`` (unknown when missing)."""
        return Contains(self, value)

    def when(self, condition: Expr) -> Expr:
        """The value where ``condition`` holds, else missing."""
        return When(condition, self)


def _expr(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Lit(value)


@attrs.frozen(eq=False)
class Field(Expr):
    name: str

    def python(self, env: Env) -> RecordFunction:
        get = operator.attrgetter(self.name)

        def read(record: Any) -> Any:
            value = get(record)
            return value.value if isinstance(value, enum.Enum) else value

        return read

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return table.column(self.name)

    def fields(self) -> frozenset[str]:
        return frozenset({self.name})


class Constant(Expr):
    """An expression whose value does not depend on the record."""

    def constant(self, env: Env) -> Any:
        raise NotImplementedError

    def python(self, env: Env) -> RecordFunction:
        value = _py_plain(self.constant(env))
        return lambda _: value

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        import narwhals as nw

        return nw.lit(_plain(self.constant(env)))

    def fields(self) -> frozenset[str]:
        return frozenset()


@attrs.frozen(eq=False)
class Lit(Constant):
    value: Any

    def constant(self, env: Env) -> Any:
        return self.value


@attrs.frozen(eq=False)
class Param(Constant):
    name: str

    def constant(self, env: Env) -> Any:
        return env.params[self.name]


@attrs.frozen(eq=False)
class Days(Constant):
    name: str

    def constant(self, env: Env) -> Any:
        return timedelta(days=env.params[self.name])


@attrs.frozen(eq=False)
class AsOf(Constant):
    def constant(self, env: Env) -> Any:
        return env.as_of


@attrs.frozen(eq=False)
class Marked(Expr):
    marks: Marks

    def python(self, env: Env) -> RecordFunction:
        ids = env.marked[self.marks]
        return lambda record: record.id in ids

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return table.mark(self.marks)

    def fields(self) -> frozenset[str]:
        return frozenset({"id"})

    def marks_read(self) -> frozenset[Marks]:
        return frozenset({self.marks})


_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _operand(expr: Expr, table: TableColumns, env: Env) -> Any:
    # A constant beside a column is passed as a plain value, so the backend types it from the column.
    if isinstance(expr, (Lit, Param, AsOf)):
        return _plain(expr.constant(env))
    return expr.narwhals(table, env)


@attrs.frozen(eq=False)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr

    def python(self, env: Env) -> RecordFunction:
        compare, left, right = _COMPARE[self.op], self.left.python(env), self.right.python(env)

        def apply(record: Any) -> Any:
            a, b = left(record), right(record)
            return None if a is None or b is None else compare(a, b)

        return apply

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return _COMPARE[self.op](self.left.narwhals(table, env), _operand(self.right, table, env))

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen(eq=False)
class Arithmetic(Expr):
    op: str
    left: Expr
    right: Expr

    def python(self, env: Env) -> RecordFunction:
        apply_op = operator.sub if self.op == "-" else operator.add
        left, right = self.left.python(env), self.right.python(env)

        def apply(record: Any) -> Any:
            a, b = left(record), right(record)
            return None if a is None or b is None else apply_op(a, b)

        return apply

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        left = self.left.narwhals(table, env)
        right = _operand(self.right, table, env)
        return left - right if self.op == "-" else left + right

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen(eq=False)
class Logic(Expr):
    op: str
    left: Expr
    right: Expr

    def python(self, env: Env) -> RecordFunction:
        left, right = self.left.python(env), self.right.python(env)
        if self.op == "and":

            def both(record: Any) -> Any:
                a = left(record)
                if a is False:
                    return False
                b = right(record)
                if b is False:
                    return False
                return None if a is None or b is None else True

            return both

        def either(record: Any) -> Any:
            a = left(record)
            if a is True:
                return True
            b = right(record)
            if b is True:
                return True
            return None if a is None or b is None else False

        return either

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        left, right = self.left.narwhals(table, env), self.right.narwhals(table, env)
        return left & right if self.op == "and" else left | right

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen(eq=False)
class Not(Expr):
    inner: Expr

    def python(self, env: Env) -> RecordFunction:
        inner = self.inner.python(env)

        def negate(record: Any) -> Any:
            value = inner(record)
            return None if value is None else not value

        return negate

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return ~self.inner.narwhals(table, env)

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class IsNull(Expr):
    inner: Expr

    def python(self, env: Env) -> RecordFunction:
        inner = self.inner.python(env)
        return lambda record: inner(record) is None

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).is_null()

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class In(Expr):
    inner: Expr
    values: tuple[Any, ...]

    def python(self, env: Env) -> RecordFunction:
        inner = self.inner.python(env)
        allowed = frozenset(_py_plain(v) for v in self.values)

        def member(record: Any) -> Any:
            value = inner(record)
            return None if value is None else value in allowed

        return member

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).is_in([_plain(v) for v in self.values])

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class FillNull(Expr):
    inner: Expr
    default: Expr

    def python(self, env: Env) -> RecordFunction:
        inner, default = self.inner.python(env), self.default.python(env)

        def fill(record: Any) -> Any:
            value = inner(record)
            return default(record) if value is None else value

        return fill

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).fill_null(_operand(self.default, table, env))

    def fields(self) -> frozenset[str]:
        return self.inner.fields() | self.default.fields()


@attrs.frozen(eq=False)
class When(Expr):
    condition: Expr
    value: Expr

    def python(self, env: Env) -> RecordFunction:
        condition, value = self.condition.python(env), self.value.python(env)
        return lambda record: value(record) if condition(record) is True else None

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        import narwhals as nw

        return nw.when(self.condition.narwhals(table, env).fill_null(False)).then(
            self.value.narwhals(table, env)
        )

    def fields(self) -> frozenset[str]:
        return self.condition.fields() | self.value.fields()


@attrs.frozen(eq=False)
class ListLen(Expr):
    inner: Expr

    def python(self, env: Env) -> RecordFunction:
        inner = self.inner.python(env)

        def length(record: Any) -> Any:
            value = inner(record)
            return None if value is None else len(value)

        return length

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).list.len()

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class Contains(Expr):
    inner: Expr
    value: Any

    def python(self, env: Env) -> RecordFunction:
        inner, wanted = self.inner.python(env), _py_plain(self.value)

        def holds(record: Any) -> Any:
            items = inner(record)
            return None if items is None else any(_py_plain(item) == wanted for item in items)

        return holds

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).list.contains(_plain(self.value))

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


def field(name: str) -> Expr:
    """A record field (a column of the record's table)."""
    return Field(name)


def lit(value: Any) -> Expr:
    """A constant."""
    return Lit(value)


def param(name: str) -> Expr:
    """The value of one of the metric's parameters."""
    return Param(name)


def days_of(name: str) -> Expr:
    """A parameter counting days, as a duration."""
    return Days(name)


def as_of() -> Expr:
    """The instant the data was extracted."""
    return AsOf()


def marked(marks: Marks) -> Expr:
    """Whether a record is among ``marks``."""
    return Marked(marks)
