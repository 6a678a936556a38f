"""From tables of cells to a validated data set, refusing rows one by one.

Each source (a CSV file, a JSON-lines file, a Parquet file, a data frame, a list of dicts) is
first read into a `Table`: its cells by column, each row's number as the user sees it, and the
rows that could not even be read. `build` then converts every column once with the converter of
its field (see `advocacy_kpis.io.coerce`), builds the records, and applies the checks that span
records (unique ids, nothing after ``as_of``, references to loaded accounts and contracts) row
by row, so that a bad row is refused with its reason instead of failing the whole load. A row
that refers to a refused row is refused too, naming it.
"""

from __future__ import annotations

import bisect
import contextlib
import enum
import functools
import gc
import itertools
import operator
import threading
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from advocacy_kpis.data import (
    ACCOUNT_REFERENCES,
    COLLECTIONS,
    PAST_FIELDS,
    AdvocacyData,
    cycle_text,
)
from advocacy_kpis.errors import (
    SHOWN_VALUE_LENGTH,
    WHOLE_ROW,
    LoadError,
    ParameterError,
    SourceError,
    shorten,
    shorten_joined,
)
from advocacy_kpis.io import coerce
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH
from advocacy_kpis.io.report import CollectionCount, Loaded, LoadReport, Rejection, group_rejections
from advocacy_kpis.records import Contract, column_builder
from advocacy_kpis.scope import Calendar

ColumnMap = Mapping[str, Mapping[str, str]]
"""Per collection, the source's column name to the record field (or attribute) it holds."""


@attrs.define
class Table:
    """One source's cells, by column, before conversion.

    Attributes:
        collection: the collection the rows are for.
        source: the file or table name shown in the report.
        row_kind: ``"line"`` (text files) or ``"row index"`` (0-based, tables and Parquet).
        columns: the cells of each column, by the source's column name.
        numbers: each row's number as the user sees it.
        textual: whether cells are CSV text (types of attribute columns are then inferred).
        quoted: whether a text cell may begin with the ``'`` that guards a formula (see
            `advocacy_kpis.io.coerce.unquote_formula`); False when the source has no ``'`` at all.
        broken: rows refused before their cells could be read: (number, expected, the row), in order.
        ready: columns whose cells already hold, where not None, what the converter of a kind of
            field (``"text"``, ``"instant"``, ``"bool"``) would give them: a typed source
            knows, and a field of that kind takes them without a conversion pass.
        parts: for the rows of several files (see `concatenated`), each file in order: its name,
            the position of its first row, and the index of its first broken row. Empty for
            one file, whose name is ``source``.
        part_columns: for the rows of several files, the column names of each file.
    """

    collection: str
    source: str
    row_kind: str
    columns: Mapping[str, Sequence[Any]]
    numbers: Sequence[int]
    textual: bool = False
    quoted: bool = True
    broken: list[tuple[int, str, Any]] = attrs.Factory(list)
    ready: Mapping[str, str] = attrs.Factory(dict)
    parts: Sequence[tuple[str, int, int]] = ()
    part_columns: Sequence[frozenset[str]] = ()

    @property
    def read(self) -> int:
        """Rows read, broken ones included."""
        return len(self.numbers) + len(self.broken)

    @property
    def names(self) -> tuple[str, ...]:
        """The file (or table) names the rows come from, in order."""
        return tuple(name for name, _, _ in self.parts) or (self.source,)

    def part_of(self, position: int) -> int:
        """The index in `names` of the file a row (by its position) comes from."""
        if not self.parts:
            return 0
        return bisect.bisect_right([start for _, start, _ in self.parts], position) - 1

    def broken_part(self, index: int) -> int:
        """The index in `names` of the file a broken row (by its index in ``broken``) comes from."""
        if not self.parts:
            return 0
        return bisect.bisect_right([start for _, _, start in self.parts], index) - 1


def concatenated(tables: Sequence[Table]) -> Table:
    """The rows of several files of one collection and format as one table, each row keeping its
    file and its number in that file.

    A column that one file lacks is missing (blank) in that file's rows. A column is taken as
    `Table.ready` only where every file that has it says so.
    """
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    names: dict[str, None] = {}
    for table in tables:
        names.update(dict.fromkeys(table.columns))
    blank = "" if first.textual else None
    columns: dict[str, list[Any]] = {}
    for name in names:
        cells: list[Any] = []
        for table in tables:
            own = table.columns.get(name)
            cells.extend(own if own is not None else itertools.repeat(blank, len(table.numbers)))
        columns[name] = cells
    ready = {
        name: kind
        for name, kind in first.ready.items()
        if all(t.ready.get(name, kind) == kind and (name in t.ready or name not in t.columns) for t in tables)
    }
    parts = []
    numbers: list[int] = []
    broken: list[tuple[int, str, Any]] = []
    for table in tables:
        parts.append((table.source, len(numbers), len(broken)))
        numbers.extend(table.numbers)
        broken.extend(table.broken)
    return Table(
        first.collection,
        files_label([t.source for t in tables]),
        first.row_kind,
        columns,
        numbers,
        textual=first.textual,
        quoted=any(t.quoted for t in tables),
        broken=broken,
        ready=ready,
        parts=parts,
        part_columns=[frozenset(t.columns) for t in tables],
    )


def files_label(names: Sequence[str]) -> str:
    """Several file names as a report's counts name them: all of them when few, else the first two."""
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, ... ({len(names)} files)"


# -- what each record field takes -----------------------------------------------------------------


@attrs.frozen
class _Field:
    name: str
    kind: str
    required: bool
    default: Any
    enum: type[enum.Enum] | None = None


def _shown(value: Any) -> str:
    """A rejected value as the report shows it: at most `SHOWN_VALUE_LENGTH` characters."""
    text = shorten(value, SHOWN_VALUE_LENGTH - 28)
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 3] + "..."


def _kind_of(hint: Any) -> tuple[str, type[enum.Enum] | None]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "assets", None
    if origin is not None and issubclass(origin, Mapping):
        return "attributes", None
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return "enum", hint
        if issubclass(hint, datetime):
            return "instant", None
        for kind, name in ((Decimal, "money"), (bool, "bool"), (int, "int"), (float, "float"), (str, "text")):
            if issubclass(hint, kind):
                return name, None
    raise TypeError(f"no loader rule for a field of type {hint!r}")  # a new record field type


@functools.cache
def fields_of(kind: type) -> tuple[_Field, ...]:
    """The loadable fields of a record class, in constructor order."""
    hints = typing.get_type_hints(kind)
    found = []
    for field in attrs.fields(kind):
        if not field.init:
            continue
        name, enum_kind = _kind_of(hints[field.name])
        required = field.default is attrs.NOTHING
        # The value an absent cell stands for: the field's default, or None where there is none to
        # write down (required fields, and the attributes mapping, which is built row by row).
        default = None if required or hasattr(field.default, "factory") else field.default
        found.append(_Field(field.name, name, required, default, enum_kind))
    return tuple(found)


def _converter(field: _Field, instant: coerce.Converter) -> coerce.Converter:
    if field.kind == "enum":
        assert field.enum is not None
        return coerce.enum_converter(field.enum)
    table: dict[str, coerce.Converter] = {
        "instant": instant,
        "money": coerce.to_money,
        "bool": coerce.to_bool,
        "int": coerce.to_int,
        "float": coerce.to_float,
        "text": coerce.to_text,
        "assets": coerce.to_assets,
        "attributes": coerce.to_mapping,
    }
    return table[field.kind]


# The usual spellings of a boolean in a text file; other spellings take the converter's path.
_BOOLEANS: Final = {
    text: value
    for word, value in (
        ("true", True),
        ("false", False),
        ("yes", True),
        ("no", False),
        ("1", True),
        ("0", False),
    )
    for text in (word, word.title(), word.upper())
}


def _texts(cells: Sequence[Any], convert: coerce.Converter) -> list[Any]:
    return [
        cell if type(cell) is str and cell and len(cell) <= MAX_CELL_LENGTH and not cell.isspace()
        else None if cell is None else convert(cell)
        for cell in cells
    ]  # fmt: skip


def _instants(cells: Sequence[Any], convert: coerce.Converter) -> list[Any]:
    # ISO-8601 text with a UTC offset (what most exports write) is read directly; text that
    # does not read so, or reads as another zone, takes the converter's path.
    iso = datetime.fromisoformat
    return [
        cell if type(cell) is datetime and cell.tzinfo is UTC
        else None if cell is None or cell == ""
        else parsed if type(cell) is str and len(cell) > 19 and (parsed := iso(cell)).tzinfo is UTC
        else convert(cell)
        for cell in cells
    ]  # fmt: skip


def _csv_texts(cells: Sequence[str], convert: coerce.Converter) -> list[Any]:
    # The text of a CSV file: every cell is text, and blank text is missing (as to_text says).
    if max(map(len, cells), default=0) > MAX_CELL_LENGTH:
        raise coerce.Refused(coerce.TOO_LONG)  # the careful path refuses the long cells alone
    return [cell if cell and not cell.isspace() else None for cell in cells]


def _csv_instants(cells: Sequence[str], convert: coerce.Converter) -> list[Any]:
    # The instants of a CSV file: every cell is text.
    iso = datetime.fromisoformat
    return [
        None if not cell
        else parsed if len(cell) > 19 and (parsed := iso(cell)).tzinfo is UTC
        else convert(cell)
        for cell in cells
    ]  # fmt: skip


def _booleans(cells: Sequence[Any], convert: coerce.Converter) -> list[Any]:
    spelled = _BOOLEANS.get
    return [
        cell if cell is True or cell is False
        else found if (found := spelled(cell)) is not None  # TypeError for an unhashable cell
        else convert(cell)
        for cell in cells
    ]  # fmt: skip


# Column converters for the kinds whose cells most often already hold (or plainly spell) the
# value: they pass such cells through without a call. A refused cell, or a ValueError or
# TypeError from a shortcut (text that is no ISO date, an unhashable cell), sends the column down
# the careful path, cell by cell.
_FAST_COLUMNS: Final[Mapping[str, Callable[[Sequence[Any], coerce.Converter], list[Any]]]] = {
    "text": _texts,
    "instant": _instants,
    "instant text": _csv_instants,
    "text text": _csv_texts,
    "bool": _booleans,
}


def _convert(
    cells: Sequence[Any], convert: coerce.Converter, kind: str = ""
) -> tuple[list[Any], dict[int, str]]:
    """Convert a column; the refused cells' positions map to what the field expects."""
    fast = _FAST_COLUMNS.get(kind)
    try:
        return (fast(cells, convert) if fast is not None else [convert(cell) for cell in cells]), {}
    except (coerce.Refused, ValueError, TypeError):
        pass
    values: list[Any] = []
    refused: dict[int, str] = {}
    for position, cell in enumerate(cells):
        try:
            values.append(convert(cell))
        except coerce.Refused as refusal:
            values.append(None)
            refused[position] = refusal.expected
    return values, refused


# -- collecting or raising ------------------------------------------------------------------------


@attrs.define
class _Sink:
    strict: bool
    rejections: dict[str, list[Rejection]] = attrs.Factory(dict)

    def reject(
        self,
        table: Table,
        position: int | None,
        field: str | None,
        column: str | None,
        value: Any,
        expected: str,
        *,
        number: int | None = None,
        part: int | None = None,
    ) -> None:
        row = number if number is not None else table.numbers[position or 0]
        if part is None:
            part = table.part_of(position or 0)
        source = table.names[part]
        if self.strict:
            raise LoadError(
                source, row, field or WHOLE_ROW, value, expected, row_kind=table.row_kind, column=column
            )
        found = Rejection(
            table.collection,
            source,
            row,
            table.row_kind,
            field,
            column,
            _shown(value),
            expected,
        )
        self.rejections.setdefault(table.collection, []).append(found)


@attrs.define
class _Loaded:
    """The records of one table that have passed every check so far, with their row positions."""

    table: Table
    records: list[Any]
    positions: list[int]
    sources: dict[str, str]
    refused_ids: dict[str, int] = attrs.Factory(dict)
    values: Mapping[str, Sequence[Any]] = attrs.Factory(dict)
    """Each field's converted value in every row of the table, refused rows included (see `column`)."""

    def keep(self, accepted: Callable[[Any, int], bool]) -> None:
        kept = [(r, p) for r, p in zip(self.records, self.positions, strict=True) if accepted(r, p)]
        self.records = [r for r, _ in kept]
        self.positions = [p for _, p in kept]

    def column(self, name: str) -> Sequence[Any]:
        """A field's value in each record, in order; read from the columns the records were built from."""
        values = self.values.get(name)
        if values is None:
            return list(map(operator.attrgetter(name), self.records))
        if len(self.positions) == len(values):
            return values  # every row became a record
        return [values[position] for position in self.positions]


# -- one table to records -------------------------------------------------------------------------


def _columns(
    table: Table, column_map: Mapping[str, str], notes: list[str]
) -> dict[str, tuple[str, Sequence[Any]]]:
    """Field or attribute name to (source column, cells), after the column map."""
    named: dict[str, tuple[str, Sequence[Any]]] = {}
    for source_name, cells in table.columns.items():
        target = column_map.get(source_name, source_name)
        if not target:
            notes.append(f"{table.source}: a column without a name was not loaded")
            continue
        if target in named:
            raise SourceError(
                f"{table.source}: columns {shorten(named[target][0])} and {shorten(source_name)} both give "
                f"{shorten(target)}; map one of them to another name"
            )
        named[target] = (source_name, cells)
    for source_name in column_map:
        if source_name not in table.columns:
            notes.append(
                f"{table.source}: the column map names {shorten(source_name)}, which is not a column here"
            )
    return named


def table_records(
    table: Table,
    column_map: Mapping[str, str],
    instant: coerce.Converter,
    sink: _Sink,
    notes: list[str],
    *,
    iso_text: bool = True,
    constants: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
) -> _Loaded:
    """Convert and build the records of one table, refusing rows that cannot become one.

    Each column is converted once, with the rule of its field, after its value map (``values``,
    text to the value it stands for). A field or attribute in ``constants`` takes that value
    (already converted) in every row. The records are then built by `column_builder`, which
    skips the checks that conversion has already answered (a value's type, an instant in UTC,
    text that is not blank) and runs every other one.
    """
    kind = COLLECTIONS[table.collection]
    fields = fields_of(kind)
    field_names = {f.name for f in fields}
    named = _columns(table, column_map, notes)
    constants = constants or {}
    values = values or {}
    for name in constants:
        if name in named:
            raise SourceError(
                f"{table.source}: column {shorten(named[name][0])} gives {shorten(name)}, and so does a constant "
                f"of {table.collection}; drop the constant, or map the column to another name"
            )
    for name in values:
        if name not in named and name not in constants:
            notes.append(
                f"{table.source}: the value map of {table.collection}.{shorten(name)} was not used: "
                f"no column gives {shorten(name)}"
            )
    textual = table.textual
    quoted = textual and table.quoted
    count = len(table.numbers)
    # Position to (field, source column, cell, expected) for the first problem found in the row.
    refused: dict[int, tuple[str, str | None, Any, str]] = {}

    def unquoted(cells: Sequence[Any]) -> Sequence[Any]:
        # One search over the joined column finds whether any cell starts with a quote.
        if quoted and cells and (cells[0][:1] == "'" or "\0'" in "\0".join(cells)):
            return [coerce.unquote_formula(c) for c in cells]
        return cells

    columns: list[Sequence[Any] | None] = []
    sources: dict[str, str] = {}
    for field in fields:
        found = named.get(field.name)
        if field.name in constants:
            columns.append([constants[field.name]] * count)
            continue
        if found is None:
            if field.required:
                expected = (
                    f"given: {table.source} has no column for this required field "
                    f"(its columns: {_listed(table.columns) or 'none'})"
                )
                for position in range(count):
                    refused.setdefault(position, (field.name, None, "no such column", expected))
            columns.append(None)
            continue
        source_name, cells = found
        sources[field.name] = source_name
        # Text is read as ISO 8601 only when no other format was named.
        fast = field.kind if iso_text or field.kind != "instant" else ""
        if textual and fast in ("instant", "text"):
            fast += " text"  # a CSV file's cells are all text
        bad: dict[int, str] = {}
        value_map = values.get(field.name)
        if table.ready.get(source_name) == field.kind and value_map is None:
            converted = list(cells)
        else:
            converted, bad = _convert(_mapped(unquoted(cells), value_map), _converter(field, instant), fast)
        for position, expected in bad.items():
            refused.setdefault(position, (field.name, source_name, cells[position], expected))
        if field.required and None in converted:
            for position in [p for p, value in enumerate(converted) if value is None]:
                missing = (field.name, source_name, cells[position], _required(table, source_name, position))
                refused.setdefault(position, missing)
        elif field.default is not None:
            converted = [field.default if value is None else value for value in converted]
        columns.append(converted)

    extra: list[tuple[str, list[Any]]] = []
    attributes_at = next((i for i, f in enumerate(fields) if f.kind == "attributes"), None)
    for target, (source_name, cells) in named.items():
        if target in field_names:
            continue
        if attributes_at is None:
            notes.append(
                f"{table.source}: column {shorten(source_name)} is no field of a {kind.__name__}, which has "
                "no attributes: not loaded"
            )
            continue
        cells = list(cells)
        value_map = values.get(target)
        # A CSV column's type is read from its cells as written: a guarded '-3 is text, not -3.
        convert = (
            coerce.attribute_column_converter(_mapped(cells, value_map)) if textual else coerce.to_attribute
        )
        attribute, bad = _convert(_mapped(unquoted(cells), value_map), convert)
        for position, expected in bad.items():
            refused.setdefault(position, (target, source_name, cells[position], expected))
        extra.append((target, attribute))
    if attributes_at is not None:
        extra += [(name, [value] * count) for name, value in constants.items() if name not in field_names]
        columns[attributes_at] = _attributes(columns[attributes_at], extra, count)

    good: Sequence[int] = range(count)
    if refused:
        good = [position for position in good if position not in refused]
    given = [
        itertools.repeat({} if field.kind == "attributes" else field.default)
        if column is None
        else column
        if not refused
        else [column[position] for position in good]
        for field, column in zip(fields, columns, strict=True)
    ]
    records: list[Any]
    records, positions, failures = column_builder(kind)(good, *given)

    part_of = table.part_of
    problems: list[tuple[int, int, int | None, str | None, str | None, Any, str]] = [
        (part_of(position), table.numbers[position], position, *problem)
        for position, problem in refused.items()
    ]
    for position, error in failures:
        column = sources.get(error.field)
        raw = table.columns[column][position] if column is not None else error.value
        problems.append(
            (part_of(position), table.numbers[position], position, error.field, column, raw, error.expected)
        )
    problems += [
        (table.broken_part(index), number, None, None, None, row, expected)
        for index, (number, expected, row) in enumerate(table.broken)
    ]
    # Rows are refused in the order of the files, so that strict mode raises on the first bad row.
    problems.sort(key=lambda problem: problem[:2])
    ids = columns[next(i for i, f in enumerate(fields) if f.name == "id")]
    refused_ids: dict[str, int] = {}
    for part, number, at, field_name, column, value, expected in problems:
        sink.reject(table, at, field_name, column, value, expected, number=number, part=part)
        if at is not None and ids is not None and isinstance(ids[at], str):
            refused_ids.setdefault(ids[at], at)
    by_field = {
        field.name: column for field, column in zip(fields, columns, strict=True) if column is not None
    }
    return _Loaded(table, records, positions, sources, refused_ids, by_field)


def _required(table: Table, column: str, position: int) -> str:
    """What a required field missing from a row expects: said of the row's file when it has no such column."""
    if table.part_columns:
        part = table.part_of(position)
        if column not in table.part_columns[part]:
            return (
                f"given: {table.names[part]} has no column {shorten(column)} for this required field "
                f"(its columns: {_listed(sorted(table.part_columns[part])) or 'none'})"
            )
    return "given (the field is required)"


def _mapped(cells: Sequence[Any], value_map: Mapping[str, Any] | None) -> Sequence[Any]:
    """The cells with every text that ``value_map`` names (blanks around it ignored) replaced."""
    if not value_map:
        return cells
    get = value_map.get
    return [get(cell.strip(), cell) if type(cell) is str else cell for cell in cells]


def _listed(names: Iterable[str]) -> str:
    """Column names for a message: as they are when short and plain, else each one shortened."""
    chosen = list(itertools.islice(names, 11))
    plain = ", ".join(chosen)
    if len(chosen) <= 10 and len(plain) <= 300 and plain.isprintable():
        return plain
    return shorten_joined(names, limit=300)


def _attributes(
    given: Sequence[Any] | None, extra: Sequence[tuple[str, Sequence[Any]]], count: int
) -> Sequence[Any] | None:
    """The ``attributes`` column: a given mapping per row, with the values of other columns added."""
    if given is None and not extra:
        return None
    merged: list[dict[str, Any]] = (
        [dict(m) if m else {} for m in given] if given else [{} for _ in range(count)]
    )
    for target, values in extra:
        for row, value in zip(merged, values, strict=True):
            if value is not None:
                row[target] = value
    return merged


# -- checks across records ------------------------------------------------------------------------


def _where(loaded: _Loaded, position: int) -> str:
    table = loaded.table
    return f"{table.names[table.part_of(position)]} {table.row_kind} {table.numbers[position]}"


def _unique(loaded: _Loaded, sink: _Sink) -> None:
    ids = loaded.column("id")
    if len(set(ids)) == len(ids):
        return
    first: dict[str, int] = {}

    def accepted(record: Any, position: int) -> bool:
        earlier = first.get(record.id)
        if earlier is None:
            first[record.id] = position
            return True
        expected = f"an id used by no other row (first used on {_where(loaded, earlier)})"
        sink.reject(loaded.table, position, "id", loaded.sources.get("id"), record.id, expected)
        return False

    loaded.keep(accepted)


def latest_timestamp(loaded: Mapping[str, _Loaded]) -> tuple[datetime, str] | None:
    """The latest timestamp of something that has happened, and which row and field carry it."""
    best: tuple[datetime, str] | None = None
    for name, found in loaded.items():
        kind = COLLECTIONS[name]
        for field in PAST_FIELDS.get(kind, ()):
            latest = max(filter(None, found.column(field)), default=None)
            if latest is None:
                continue
            if best is None or latest > best[0]:
                position = next(p for r, p in zip(found.records, found.positions, strict=True)
                                if getattr(r, field) == latest)  # fmt: skip
                best = (latest, f"{_where(found, position)}, {field}")
    return best


def _not_after(loaded: _Loaded, as_of: datetime, sink: _Sink) -> None:
    kind = COLLECTIONS[loaded.table.collection]
    for field in PAST_FIELDS.get(kind, ()):
        latest = max(filter(None, loaded.column(field)), default=None)
        if latest is None or latest <= as_of:
            continue
        expected = f"at or before as_of ({as_of.isoformat()})"

        def accepted(record: Any, position: int, field: str = field, expected: str = expected) -> bool:
            value = getattr(record, field)
            if value is not None and value > as_of:
                sink.reject(
                    loaded.table, position, field, loaded.sources.get(field), value.isoformat(), expected
                )
                loaded.refused_ids.setdefault(record.id, position)
                return False
            return True

        loaded.keep(accepted)


def _references(loaded: _Loaded, accounts: _Loaded, sink: _Sink) -> None:
    kind = COLLECTIONS[loaded.table.collection]
    known = set(accounts.column("id"))
    known_or_none = known | {None}
    for ref_kind, field in ACCOUNT_REFERENCES:
        if ref_kind is not kind or known_or_none.issuperset(loaded.column(field)):
            continue

        def accepted(record: Any, position: int, field: str = field) -> bool:
            value = getattr(record, field)
            if value is None or value in known:
                return True
            refused_at = accounts.refused_ids.get(value)
            if refused_at is not None:
                expected = (
                    f"the id of a loaded account (account {shorten(value)} was refused: "
                    f"{_where(accounts, refused_at)})"
                )
            else:
                expected = "the id of a loaded account (no account has it)"
            sink.reject(loaded.table, position, field, loaded.sources.get(field), value, expected)
            loaded.refused_ids.setdefault(record.id, position)
            return False

        loaded.keep(accepted)


def _renewals(contracts: _Loaded, sink: _Sink) -> None:
    """Refuse contracts renewing an unknown, refused or other account's contract, or in a cycle.

    A contract renewing a contract refused here is refused too, naming it, and so on along the
    chain: a contract is kept only when its renewals lead back to a first contract through kept
    contracts of its own account. Each chain is followed once, ending at the first contract
    already settled, so the check takes linear time in the number of contracts, however long
    the chains and however many the cycles.
    """
    records: list[Contract] = contracts.records
    if all(contract.renewal_of is None for contract in records):
        return
    by_id = {contract.id: contract for contract in records}
    position_of = dict(zip(by_id, contracts.positions, strict=True))
    # Why each contract is refused, in three groups refused in this order (strict mode raises at
    # the first): faults of the contract's own link, one contract of each cycle, and the rest.
    own: dict[str, str] = {}
    for contract in records:
        target_id = contract.renewal_of
        if target_id is None:
            continue
        target = by_id.get(target_id)
        if target is None:
            refused_at = contracts.refused_ids.get(target_id)
            own[contract.id] = (
                "the id of a loaded contract (no contract has it)"
                if refused_at is None
                else f"the id of a loaded contract (contract {shorten(target_id)} was refused: "
                f"{_where(contracts, refused_at)})"
            )
        elif target.account_id != contract.account_id:
            own[contract.id] = (
                f"a contract of the same account ({shorten(contract.account_id)}), "
                f"not of {shorten(target.account_id)}"
            )
    cycles: dict[str, str] = {}
    followers: list[Contract] = []  # contracts renewing a refused one
    kept: dict[str, bool] = {}  # settled contracts: True when kept
    for first in records:
        path: list[Contract] = []
        on_path: dict[str, int] = {}
        current = first
        while True:
            settled = kept.get(current.id)
            if settled is not None:
                refused = not settled
                break
            if current.id in own:
                kept[current.id] = False
                refused = True
                break
            if current.renewal_of is None:
                kept[current.id] = True
                refused = False
                break
            if current.id in on_path:
                # The contract the walk came back to is refused for the cycle; every other one
                # on the path renews, through the cycle, a refused contract.
                start = on_path[current.id]
                cycle = [c.id for c in path[start:]] + [current.id]
                cycles[current.id] = (
                    "a contract that is not renewed, through its own renewals, by this one "
                    f"(renewal cycle: {cycle_text(cycle)})"
                )
                kept[current.id] = False
                del path[start]
                refused = True
                break
            on_path[current.id] = len(path)
            path.append(current)
            current = by_id[current.renewal_of]
        for contract in path:
            kept[contract.id] = not refused
        if refused:
            followers += path

    def reject(contract: Contract, expected: str) -> None:
        position = position_of[contract.id]
        column = contracts.sources.get("renewal_of")
        sink.reject(contracts.table, position, "renewal_of", column, contract.renewal_of, expected)
        contracts.refused_ids.setdefault(contract.id, position)

    for contract in records:
        if contract.id in own:
            reject(contract, own[contract.id])
    for contract_id, expected in cycles.items():
        reject(by_id[contract_id], expected)
    for contract in sorted(followers, key=lambda c: position_of[c.id]):
        target_id = contract.renewal_of
        assert target_id is not None
        refused_at = contracts.refused_ids.get(target_id, position_of[target_id])
        reject(
            contract,
            f"the id of a loaded contract (contract {shorten(target_id)} was refused: "
            f"{_where(contracts, refused_at)})",
        )
    contracts.keep(lambda record, _: kept.get(record.id, True))


def _some_accounts(accounts: _Loaded, sink: _Sink) -> None:
    """Refuse a load with no ``as_of`` given when accounts were read and every one was refused.

    Such a load has no data set to take ``as_of`` from that the user would recognise: what
    they need is why the accounts were refused, so the error says that (the main reasons).
    With ``as_of`` given, the load returns its empty data set, and the report says first that
    every account was refused (`LoadReport.refused_whole`).
    """
    table = accounts.table
    if accounts.records or not table.read:
        return
    groups = group_rejections(sink.rejections.get("accounts", ()))
    reasons = "; ".join(str(group) for group in groups[:3])
    more = f"; and {len(groups) - 3} more reasons" if len(groups) > 3 else ""
    raise SourceError(
        f"Every row of {table.source} was refused ({table.read:,} {'row' if table.read == 1 else 'rows'}), "
        "so there are no accounts to load. "
        f"{'The reason' if len(groups) == 1 else 'The main reasons'}: {reasons}{more}."
    )


# -- the whole load -------------------------------------------------------------------------------


def check_column_map(column_map: ColumnMap | None) -> dict[str, Mapping[str, str]]:
    """The column map, checked: known collection names, text to text."""
    if column_map is None:
        return {}
    if not isinstance(column_map, Mapping):
        raise SourceError(
            "The column map must map a collection name to {source column: field}, "
            f"e.g. {{'accounts': {{'Account ID': 'id'}}}}. Got {shorten(column_map)} instead."
        )
    checked: dict[str, Mapping[str, str]] = {}
    for name, mapping in column_map.items():
        if name not in COLLECTIONS:
            raise SourceError(
                f"The column map names {name!r}, which is no collection: use one of {', '.join(COLLECTIONS)}."
            )
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise SourceError(
                f"The column map of {name!r} must map source column names to field names (text to text). "
                f"Got {shorten(mapping)} instead."
            )
        checked[name] = mapping
    return checked


def check_files(files: Any) -> dict[str, str]:
    """The ``files`` argument, checked: file names or globs (text, no folder) to collection names."""
    if files is None:
        return {}
    example = "e.g. {'companies.csv': 'accounts', 'nps_*.csv': 'surveys'}"
    if not isinstance(files, Mapping):
        raise SourceError(
            f"files must map a file name or glob to a collection, {example}. Got {shorten(files)} instead."
        )
    for pattern, collection in files.items():
        if not isinstance(pattern, str) or not pattern.strip() or "/" in pattern or "\\" in pattern:
            raise SourceError(
                f"files names {shorten(pattern)}: give a file name or glob within the folder, such as "
                f"'nps_*.csv' (no folder part), {example}."
            )
        if collection not in COLLECTIONS:
            raise SourceError(
                f"files gives {shorten(pattern)} to {shorten(collection)}, which is no collection: "
                f"use one of {', '.join(COLLECTIONS)}."
            )
    return dict(files)


Constants = Mapping[str, Mapping[str, Any]]
"""Per collection, a field (or attribute) to the value it takes in every row."""

ValueMaps = Mapping[str, Mapping[str, Any]]
"""Per ``"collection.field"``, a text found in the source to the value it stands for."""

_SETTING_VALUE: Final = "text, a number or true/false"


def _field_named(collection: str, name: Any, what: str) -> _Field | None:
    """The field ``name`` of a collection's records, or None for an attribute of a record that has them.

    Raises:
        SourceError: ``name`` is no text, names the ``attributes`` mapping itself, or names no
            field of a record without attributes; the message lists the fields.
    """
    fields = fields_of(COLLECTIONS[collection])
    loadable = [f for f in fields if f.kind != "attributes"]
    found = next((f for f in loadable if f.name == name), None)
    if found is not None:
        return found
    has_attributes = len(loadable) < len(fields)
    if has_attributes and isinstance(name, str) and name and name != "attributes" and len(name) <= 200:
        return None
    extra = " or an attribute" if has_attributes else ""
    raise SourceError(
        f"{what} names {_dotted(collection, name)}, which is no field of {collection}: "
        f"use one of {', '.join(f.name for f in loadable)}{extra}."
    )


def _dotted(collection: str, name: Any) -> str:
    """``collection.field`` for a message, the field shortened unless it is a plain short name."""
    plain = isinstance(name, str) and name.isidentifier() and len(name) <= 60
    return f"{collection}.{name if plain else shorten(name)}"


def _setting_value(field: _Field | None, value: Any, instant: coerce.Converter | None, what: str) -> Any:
    """``value`` converted as the field (or an attribute) takes it, or the `SourceError` that names it.

    Without ``instant`` (a settings file is read before the load's calendar is known), the
    value is only checked to be of a kind a setting can hold, and given back as it is.
    """
    if instant is None and isinstance(value, (str, bool, int, float, Decimal, date)):
        return value
    if isinstance(value, (str, bool, int, float, Decimal, date)):
        assert instant is not None
        convert = coerce.to_attribute if field is None else _converter(field, instant)
        try:
            converted = convert(value)
        except coerce.Refused as refusal:
            expected = refusal.expected
        else:
            if converted is not None:
                return converted
            expected = "given (not blank)"
    else:
        expected = _SETTING_VALUE
    raise SourceError(f"{what} must be {expected}. Got {shorten(value)} instead.")


def check_constants(
    constants: Constants | None, instant: coerce.Converter | None
) -> dict[str, dict[str, Any]]:
    """The constants, checked and converted: per collection, field (or attribute) to its value.

    Without ``instant``, the names are checked and the values kept as they are.

    Raises:
        SourceError: no mapping of collection to {field: value}, a name that is no collection or
            no field, or a value that the field refuses.
    """
    if constants is None:
        return {}
    example = "e.g. {'surveys': {'kind': 'nps'}}"
    if not isinstance(constants, Mapping):
        raise SourceError(
            f"The constants must map a collection name to {{field: value}}, {example}. "
            f"Got {shorten(constants)} instead."
        )
    checked: dict[str, dict[str, Any]] = {}
    for collection, given in constants.items():
        if collection not in COLLECTIONS:
            raise SourceError(
                f"The constants name {shorten(collection)}, which is no collection: "
                f"use one of {', '.join(COLLECTIONS)}."
            )
        if not isinstance(given, Mapping):
            raise SourceError(
                f"The constants of {collection} must map a field to its value, {example}. Got {shorten(given)} instead."
            )
        checked[collection] = {
            name: _setting_value(
                _field_named(collection, name, "A constant"),
                value,
                instant,
                f"The constant {_dotted(collection, name)}",
            )
            for name, value in given.items()
        }
    return checked


def check_values(
    values: ValueMaps | None, instant: coerce.Converter | None
) -> dict[str, dict[str, dict[str, Any]]]:
    """The value maps, checked: per collection, field (or attribute) to {text found: value meant}.

    Without ``instant``, the names are checked and the values meant kept unchecked.

    Each value meant must be one the field takes; the text found is matched with blanks around
    it ignored, so its keys are stripped here.

    Raises:
        SourceError: a key that is not ``collection.field`` with a known collection and field, a
            map that is no mapping of non-blank text to a value, or a value the field refuses.
    """
    if values is None:
        return {}
    example = "e.g. {'surveys.kind': {'Relationship NPS': 'nps'}}"
    if not isinstance(values, Mapping):
        raise SourceError(
            f"The value maps must map 'collection.field' to {{text: value}}, {example}. Got {shorten(values)} instead."
        )
    checked: dict[str, dict[str, dict[str, Any]]] = {}
    for key, given in values.items():
        collection, dot, name = key.partition(".") if isinstance(key, str) else ("", "", "")
        if not dot or collection not in COLLECTIONS:
            raise SourceError(
                f"A value map is named {shorten(key)}: name it 'collection.field', such as 'surveys.kind', "
                f"with a collection among {', '.join(COLLECTIONS)}."
            )
        field = _field_named(collection, name, "A value map")
        if not isinstance(given, Mapping) or not all(isinstance(k, str) and k.strip() for k in given):
            raise SourceError(
                f"The value map {shorten(key)} must map non-blank text found in the source to the value it "
                f"stands for, {example}. Got {shorten(given)} instead."
            )
        mapping: dict[str, Any] = {}
        for found, meant in given.items():
            # Checked as the field takes it, and kept as given: the column's converter reads it.
            _setting_value(
                field, meant, instant, f"The value map {_dotted(collection, name)}, for {shorten(found)},"
            )
            mapping[found.strip()] = meant
        checked.setdefault(collection, {})[name] = mapping
    return checked


# Aware, so that a format with %z or %Z writes an offset it can read back.
def resolve_as_of(value: Any, calendar: Calendar, name: str = "as_of") -> datetime:
    """``as_of`` given as an aware datetime, a date, or ISO-8601 text, in UTC."""
    if isinstance(value, (datetime, date, str)):
        try:
            converted = coerce.instant_converter(calendar)(value)
        except coerce.Refused as refusal:
            converted = None
            expected = refusal.expected
        else:
            expected = coerce._INSTANT_TEXT
        if isinstance(converted, datetime):
            return converted
    else:
        expected = "an aware datetime, a date or " + coerce._INSTANT_TEXT
    raise ParameterError(name, "advocacy_kpis.io", expected, value)


class _CollectorPause:
    """How many loads are running with the collector paused, and whether to resume it after the last.

    The collector's switch is one for the whole process, so loads in several threads share
    one pause: the first to start records the switch and turns it off, the last to end turns
    it back on if it was on. Reading the switch and turning it off in two steps per load, as
    each load for itself, let one load record "off" while another had paused it, and leave it
    off for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._resume = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0 and self._resume:
                    gc.enable()


_PAUSE: Final = _CollectorPause()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Pause Python's cyclic garbage collector while a load reads its sources and builds records.

    A load allocates an object the collector tracks for every row read and every record built,
    and the collector runs a pass every few hundred such allocations, now and then over the
    whole heap: on a large load those passes cost as much as the load itself (a million rows
    load in about half the time without them), and find nothing, since rows and records form
    no cycles. Memory is still freed as usual (by reference counting) in the meantime.

    Loads running at once in several threads share the pause, which ends with the last of them:
    the collector is then on again if it was on when the first began, and off if it was off.
    """
    return _PAUSE.paused()


def build(
    tables: Iterable[Table],
    *,
    as_of: Any,
    as_of_source: str,
    calendar: Calendar,
    column_map: ColumnMap | None,
    datetime_format: str | None,
    strict: bool,
    notes: Iterable[str] = (),
    constants: Constants | None = None,
    values: ValueMaps | None = None,
) -> Loaded:
    """Load ``tables`` (at most one per collection, ``accounts`` among them) into a data set."""
    maps = check_column_map(column_map)
    coerce.check_datetime_format(datetime_format)
    given_as_of = None if as_of is None else resolve_as_of(as_of, calendar)
    instant = coerce.instant_converter(calendar, datetime_format)
    fixed = check_constants(constants, instant)
    value_maps = check_values(values, instant)
    by_name = {t.collection: t for t in tables}
    if "accounts" not in by_name:
        raise SourceError("No accounts were given: every data set needs its accounts (accounts.csv, ...).")
    sink = _Sink(strict)
    found_notes = list(notes)
    loaded = {
        name: table_records(
            by_name[name],
            maps.get(name, {}),
            instant,
            sink,
            found_notes,
            iso_text=datetime_format is None,
            constants=fixed.get(name),
            values=value_maps.get(name),
        )
        for name in COLLECTIONS
        if name in by_name
    }
    for found in loaded.values():
        _unique(found, sink)
    if given_as_of is None:
        _some_accounts(loaded["accounts"], sink)
    else:
        for found in loaded.values():
            _not_after(found, given_as_of, sink)
    accounts = loaded["accounts"]
    for name, found in loaded.items():
        if name != "accounts":
            _references(found, accounts, sink)
    if "contracts" in loaded:
        _renewals(loaded["contracts"], sink)
    if given_as_of is None:
        # Taken once every check has run, so a refused row never sets it.
        latest = latest_timestamp(loaded)
        if latest is None:
            raise SourceError(
                "No as_of was given and no record carries a timestamp to take it from: give as_of."
            )
        final_as_of, where = latest
        source = f"the latest timestamp in the data: {where}"
    else:
        final_as_of, source = given_as_of, as_of_source
    # Every check of from_records has been made above, row by row.
    data = AdvocacyData._from_checked(
        as_of=final_as_of,
        calendar=calendar,
        collections={name: found.records for name, found in loaded.items()},
    )
    rejections: list[Rejection] = []
    counts = []
    for name, found in loaded.items():
        order = {source: index for index, source in enumerate(found.table.names)}
        refused = sorted(sink.rejections.get(name, ()), key=lambda r: (order.get(r.source, 0), r.row))
        rejections += refused
        counts.append(
            CollectionCount(name, found.table.source, found.table.read, len(found.records), len(refused))
        )
    report = LoadReport(final_as_of, source, calendar, tuple(counts), tuple(rejections), tuple(found_notes))
    return Loaded(data, report)
