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
import keyword
import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

import attrs

__all__ = [
    "Env",
    "Expr",
    "Marks",
    "TableColumns",
    "as_of",
    "compile_python",
    "days_of",
    "field",
    "lit",
    "marked",
    "param",
]

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
        return _Code(env).function([self], single=True)

    def emit(self, code: _Code) -> str:
        """Add the statements computing this expression to ``code``; the local holding its value."""
        raise NotImplementedError

    def node_key(self) -> Hashable:
        """What makes two nodes one computation in compiled code: the kind of node and what it is
        built from (two reads of one field, two tests of one condition are computed once)."""
        if not attrs.has(type(self)):
            return id(self)
        parts: list[Hashable] = [type(self).__qualname__]
        for value in attrs.astuple(self, recurse=False):  # type: ignore[arg-type]
            if isinstance(value, Expr):
                parts.append(value.node_key())
                continue
            try:
                hash(value)
            except TypeError:
                parts.append(id(value))
            else:
                parts.append((type(value), value))
        return tuple(parts)

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

    def emit(self, code: _Code) -> str:
        value = code.local(code.read(self.name))
        code.line(f"if isinstance({value}, _Enum): {value} = {value}.value")
        return value

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return table.column(self.name)

    def fields(self) -> frozenset[str]:
        return frozenset({self.name})


class Constant(Expr):
    """An expression whose value does not depend on the record."""

    def constant(self, env: Env) -> Any:
        raise NotImplementedError

    def emit(self, code: _Code) -> str:
        return code.constant(_py_plain(self.constant(code.env)))

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

    def emit(self, code: _Code) -> str:
        return code.local(f"record.id in {code.constant(code.env.marked[self.marks])}", known=True)

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


_SYMBOL: Final = {op: op for op in _COMPARE}
"""The text of each comparison in compiled code: only these six ever reach it."""


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

    def emit(self, code: _Code) -> str:
        a, b = code.value(self.left), code.value(self.right)
        return code.unless_missing([a, b], f"{a} {_SYMBOL[self.op]} {b}")

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return _COMPARE[self.op](self.left.narwhals(table, env), _operand(self.right, table, env))

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen(eq=False)
class Arithmetic(Expr):
    op: str
    left: Expr
    right: Expr

    def emit(self, code: _Code) -> str:
        a, b = code.value(self.left), code.value(self.right)
        op = "-" if self.op == "-" else "+"
        return code.unless_missing([a, b], f"{a} {op} {b}")

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

    def emit(self, code: _Code) -> str:
        a, b = code.value(self.left), code.value(self.right)
        # Three-valued: a False side decides an "and", a True side an "or"; else unknown wins.
        decides, otherwise = ("False", "True") if self.op == "and" else ("True", "False")
        missing = code.missing([a, b])
        return code.local(
            f"{decides} if {a} is {decides} or {b} is {decides} "
            + (f"else None if {missing} else {otherwise}" if missing else f"else {otherwise}"),
            known=not missing,
        )

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        left, right = self.left.narwhals(table, env), self.right.narwhals(table, env)
        return left & right if self.op == "and" else left | right

    def fields(self) -> frozenset[str]:
        return self.left.fields() | self.right.fields()


@attrs.frozen(eq=False)
class Not(Expr):
    inner: Expr

    def emit(self, code: _Code) -> str:
        a = code.value(self.inner)
        return code.unless_missing([a], f"not {a}")

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return ~self.inner.narwhals(table, env)

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class IsNull(Expr):
    inner: Expr

    def emit(self, code: _Code) -> str:
        return code.local(f"{code.value(self.inner)} is None", known=True)

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).is_null()

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class In(Expr):
    inner: Expr
    values: tuple[Any, ...]

    def emit(self, code: _Code) -> str:
        a, allowed = code.value(self.inner), code.constant(frozenset(_py_plain(v) for v in self.values))
        return code.unless_missing([a], f"{a} in {allowed}")

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).is_in([_plain(v) for v in self.values])

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class FillNull(Expr):
    inner: Expr
    default: Expr

    def emit(self, code: _Code) -> str:
        a, default = code.value(self.inner), code.value(self.default)
        return code.local(f"{default} if {a} is None else {a}", known=code.known(default))

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).fill_null(_operand(self.default, table, env))

    def fields(self) -> frozenset[str]:
        return self.inner.fields() | self.default.fields()


@attrs.frozen(eq=False)
class When(Expr):
    condition: Expr
    value: Expr

    def emit(self, code: _Code) -> str:
        condition, value = code.value(self.condition), code.value(self.value)
        return code.local(f"{value} if {condition} is True else None")

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

    def emit(self, code: _Code) -> str:
        a = code.value(self.inner)
        return code.unless_missing([a], f"len({a})")

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).list.len()

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


@attrs.frozen(eq=False)
class Contains(Expr):
    inner: Expr
    value: Any

    def emit(self, code: _Code) -> str:
        a, wanted = code.value(self.inner), code.constant(_py_plain(self.value))
        return code.unless_missing([a], f"any(_py_plain(item) == {wanted} for item in {a})")

    def narwhals(self, table: TableColumns, env: Env) -> Any:
        return self.inner.narwhals(table, env).list.contains(_plain(self.value))

    def fields(self) -> frozenset[str]:
        return self.inner.fields()


class _Code:
    """The body of one function compiled from expressions: a statement per node, each node once.

    Expressions become one Python function of a record rather than a tree of closures calling
    each other: a node shared by several expressions (a block's conditions often share one) is
    computed once per record, and a record costs one call. Every node is computed, none is
    skipped (a node of these expressions cannot fail, and a missing value reads as None), so the
    code is straight-line. Constants and sets of ids are passed in by name, never written into
    the text; field names are read as attributes only when they are identifiers.
    """

    def __init__(self, env: Env) -> None:
        self.env = env
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {"_Enum": enum.Enum, "_py_plain": _py_plain}
        self._names: dict[Hashable, str] = {}
        self._known: set[str] = set()
        self._locals = 0

    def value(self, expr: Expr) -> str:
        """The local (or constant) holding ``expr``'s value, its statements added on first use."""
        key = expr.node_key()
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = expr.emit(self)
        return name

    def local(self, text: str, *, known: bool = False) -> str:
        """A new local holding the value of the Python expression ``text`` (``known``: never None)."""
        name = f"v{self._locals}"
        self._locals += 1
        self.line(f"{name} = {text}")
        if known:
            self._known.add(name)
        return name

    def known(self, name: str) -> bool:
        """Whether the local or constant ``name`` is never None."""
        return name in self._known

    def missing(self, names: Sequence[str]) -> str:
        """The test that one of ``names`` is None ("" when none of them can be)."""
        return " or ".join(f"{name} is None" for name in names if name not in self._known)

    def unless_missing(self, names: Sequence[str], text: str) -> str:
        """A new local: None when one of ``names`` is None, else the value of ``text``."""
        missing = self.missing(names)
        if not missing:
            return self.local(text, known=True)
        return self.local(f"None if {missing} else {text}")

    def line(self, statement: str) -> None:
        """Add a statement."""
        self.lines.append(statement)

    def constant(self, value: Any) -> str:
        """The name under which the function reads ``value``."""
        name = f"c{len(self.scope)}"
        self.scope[name] = value
        if value is not None:
            self._known.add(name)
        return name

    def read(self, name: str) -> str:
        """The text reading field ``name`` of the record."""
        if name.isidentifier() and not keyword.iskeyword(name):
            return f"record.{name}"
        return f"getattr(record, {self.constant(name)})"

    def function(self, exprs: Sequence[Expr | None], *, single: bool = False) -> Callable[[Any], Any]:
        """The function of a record giving each expression's value (None for a None), as a tuple,
        or the one value when ``single``."""
        results = [self.value(e) if e is not None else "None" for e in exprs]
        returned = results[0] if single else "(" + "".join(f"{r}, " for r in results) + ")"
        body = "".join(f"    {line}\n" for line in self.lines)
        source = f"def compiled(record):\n{body}    return {returned}\n"
        exec(compile(source, "<advocacy_kpis.expr>", "exec"), self.scope)
        compiled: Callable[[Any], Any] = self.scope["compiled"]
        return compiled


def compile_python(exprs: Sequence[Expr | None], env: Env) -> Callable[[Any], tuple[Any, ...]]:
    """One function of a record giving the values of all ``exprs`` at once (None for a None
    expression), each node they share computed once.

    Examples:
        >>> from types import SimpleNamespace
        >>> late = field("at") > lit(3)
        >>> both = compile_python([late, late & (field("n") == lit(1)), None], Env({}, _EPOCH))
        >>> both(SimpleNamespace(at=5, n=None))
        (True, None, None)
    """
    return _Code(env).function(exprs)


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
