"""Reading each kind of source into a `Table` of cells: CSV, JSON lines, Parquet, frames, dicts.

Readers only read: they keep every cell as the source gives it, number the rows as the user
sees them, and set aside rows that cannot be read at all. Converting cells is `_load`'s job.
pyarrow and narwhals are optional and imported only when a Parquet file or a data frame is read.
"""

from __future__ import annotations

import codecs
import csv
import importlib
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Final

from advocacy_kpis.errors import MissingExtraError, SourceError, shorten
from advocacy_kpis.io._files import display_name, open_regular, read_bytes
from advocacy_kpis.io._load import Table
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH, MAX_FILE_BYTES, MAX_NESTING
from advocacy_kpis.io.coerce import TOO_LONG, OutOfRange, Undecodable, nests_too_deep, unquote_formula

SUFFIXES: Final = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
"""File name endings the folder loader reads, and the format each names."""


def require(module: str, package: str, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(package, extra, feature) from None


def _unique_header(header: list[str], source: str, *, quoted: bool = False) -> list[str]:
    names = [h.strip() for h in header]
    if quoted:
        # The library's CSV writer guards a header cell as it guards any other (see csv_safe).
        names = [unquote_formula(name) for name in names]
    seen: set[str] = set()
    for name in names:
        if len(name) > MAX_CELL_LENGTH:
            raise SourceError(f"{source}: the header names a column {shorten(name)}, longer than {TOO_LONG}.")
        if name and name in seen:
            raise SourceError(f"{source}: the header names the column {shorten(name)} twice.")
        seen.add(name)
    return names


_CSV_FIELD_LIMIT: Final = min(MAX_FILE_BYTES, 2**31 - 1)


def _allow_long_fields() -> None:
    """Let the csv module read a field as long as a file may be, so that the loader, not the parser,
    refuses an over-long cell (and only its row).

    The csv module's limit is one setting for the whole process; it is only ever raised here.
    """
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)


def _text(handle: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")


def _not_utf8(path: Path) -> SourceError:
    """The error for a file that is not UTF-8, naming the first line that is not."""
    name = display_name(path)
    with open_regular(path, MAX_FILE_BYTES) as handle:
        for number, line in enumerate(_lines(handle), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return SourceError(
                    f"{name} line {number}: not UTF-8 text ({error.reason} at byte {error.start + 1} of the line)."
                )
    return SourceError(f"{name}: not UTF-8 text.")


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary stream, split as text mode splits them (at LF, CR or CR LF)."""
    pending = b""
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        lines = (pending + chunk).splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        yield from lines
    if pending:
        yield pending


def _columns_of(header: list[str], rows: list[list[Any]]) -> dict[str, Sequence[Any]]:
    if not rows:
        return {name: [] for name in header}
    # One pass over the rows, then a slice per column: faster on long files than a pass over
    # the rows per column, or zip(*rows).
    flat = list(itertools.chain.from_iterable(rows))
    width = len(header)
    return {name: flat[i::width] for i, name in enumerate(header)}


def read_csv(path: Path, collection: str) -> Table:
    """A CSV file (UTF-8, a BOM allowed) whose first line names the columns.

    Rows are numbered by the line they start on, the header being line 1; blank lines are
    skipped. A row with more or fewer cells than the header is refused whole.

    Raises:
        SourceError: the file cannot be read as UTF-8 CSV.
    """
    source = path.name
    name = display_name(path)
    reader: Any = None
    _allow_long_fields()
    try:
        quoted = _has_apostrophe(path)
        with open_regular(path, MAX_FILE_BYTES) as raw, _text(raw) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return Table(collection, source, "line", {}, [], textual=True)
            names = _unique_header(header, name, quoted=quoted)
            entries = list(reader)
            lines = reader.line_num
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except csv.Error as error:
        line = reader.line_num if reader is not None else 1
        raise SourceError(f"{name} line {line}: not readable as CSV ({error}).") from None
    except OSError as error:
        raise SourceError(f"{name}: cannot be read ({error.strerror or error}).") from None
    width = len(names)
    if lines == len(entries) + 1:
        # Every record is one line (the usual case): record i is on line i + 2.
        starts: Sequence[int] = range(2, len(entries) + 2)
        if set(map(len, entries)) <= {width}:
            columns = _columns_of(names, entries)
            return Table(collection, source, "line", columns, starts, textual=True, quoted=quoted)
    else:
        starts = _record_starts(path)
    rows: list[list[str]] = []
    numbers: list[int] = []
    broken: list[tuple[int, str, Any]] = []
    for start, row in zip(starts, entries, strict=True):
        if len(row) == width:
            rows.append(row)
            numbers.append(start)
        elif row:
            broken.append((start, f"a row of {width} cells like the header", row))
    return Table(
        collection,
        source,
        "line",
        _columns_of(names, rows),
        numbers,
        textual=True,
        quoted=quoted,
        broken=broken,
    )


def _has_apostrophe(path: Path) -> bool:
    """Whether the file holds a ``'`` anywhere: only then can a cell be quoted against formulas."""
    with open_regular(path, MAX_FILE_BYTES) as handle:
        return any(b"'" in chunk for chunk in iter(lambda: handle.read(1 << 20), b""))


def _record_starts(path: Path) -> list[int]:
    """The line each record after the header starts on, for files where a cell spans lines."""
    with open_regular(path, MAX_FILE_BYTES) as raw, _text(raw) as handle:
        reader = csv.reader(handle)
        next(reader)
        starts = []
        end = reader.line_num
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
    return starts


def rows_table(
    collection: str, source: str, rows: Iterable[Any], row_kind: str, numbers: Iterable[int]
) -> Table:
    """A table from mappings (JSON objects, dicts); a row that is not a mapping is refused whole."""
    kept: list[Mapping[str, Any]] = []
    kept_numbers: list[int] = []
    broken: list[tuple[int, str, Any]] = []
    names: dict[str, None] = {}
    for number, row in zip(numbers, rows, strict=False):
        if not isinstance(row, Mapping):
            broken.append((number, "a mapping of column name to value", row))
            continue
        for key in row:
            if not isinstance(key, str) or len(key) > MAX_CELL_LENGTH:
                broken.append((number, f"a mapping whose column names are {TOO_LONG}", row))
                break
        else:
            names.update(dict.fromkeys(row))
            kept.append(row)
            kept_numbers.append(number)
    columns = {name: [row.get(name) for row in kept] for name in names}
    return Table(collection, source, row_kind, columns, kept_numbers, broken=broken)


def read_jsonl(path: Path, collection: str) -> Table:
    """A JSON-lines file: one JSON object per line, numbered by line; blank lines are skipped.

    Numbers with a decimal point are read as `Decimal`, so amounts keep every digit.

    Raises:
        SourceError: the file cannot be read as UTF-8 text.
    """
    source = path.name
    rows: list[Any] = []
    numbers: list[int] = []
    unreadable: list[tuple[int, str, Any]] = []
    deep = f"a JSON object nested at most {MAX_NESTING} deep"
    for number, line in enumerate(_json_lines(read_bytes(path, MAX_FILE_BYTES)), start=1):
        if isinstance(line, Undecodable):
            unreadable.append((number, "a JSON object on one line, in UTF-8", line))
            continue
        if not line or line.isspace():
            continue
        if nests_too_deep(line):
            unreadable.append((number, deep, line))
            continue
        try:
            rows.append(json.loads(line, parse_float=Decimal))
        except (ValueError, RecursionError):  # ValueError: also an integer of more than 4,300 digits
            unreadable.append((number, "a JSON object on one line", line))
            continue
        numbers.append(number)
    table = rows_table(collection, source, rows, "line", numbers)
    table.broken = sorted(table.broken + unreadable, key=lambda b: b[0])
    return table


def _json_lines(data: bytes) -> list[str | Undecodable]:
    """The lines of a JSON-lines file's bytes (a BOM allowed), each decoded on its own if it must be.

    Lines split at LF, CR or CR LF, as a text file's do; a line that is not UTF-8 is an
    `Undecodable`, so that it refuses its own row and no other.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded: list[str | Undecodable] = []
        for line in data.splitlines():
            try:
                decoded.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append(Undecodable(line))
        return decoded
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str | Undecodable] = list(text.split("\n"))
    if lines[-1] == "":
        lines.pop()
    return lines


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-clock values, placed in the calendar's zone later


def _is_text(pyarrow: Any, kind: Any) -> bool:
    types = pyarrow.types
    is_view = getattr(types, "is_string_view", None)  # pyarrow 16 and later
    return bool(types.is_string(kind) or types.is_large_string(kind) or (is_view and is_view(kind)))


def _arrow_cells(column: Any) -> tuple[list[Any], str]:
    """A column's values as Python objects, and the kind of value they already all are, if any.

    The kind is ``"instant"`` (aware datetimes in UTC), ``"bool"`` or ``"text"`` (none blank)
    when every cell that is not None already holds what the loader's converter of that kind
    would give, so the loader need not convert it; otherwise ``""``.

    Timestamps are built from their integer count since 1970: pyarrow's own conversion of a
    zoned timestamp column costs ten times as much, and gives the same instants. Parts of a
    microsecond, which a Python datetime cannot hold, are dropped.
    """
    pyarrow = importlib.import_module("pyarrow")
    kind = column.type
    if not pyarrow.types.is_timestamp(kind):
        if _is_text(pyarrow, kind):
            return _arrow_texts(pyarrow, column)
        try:
            values = column.to_pylist()
        except UnicodeDecodeError:  # text that is not UTF-8 inside a list or struct column
            return [_arrow_value(cell) for cell in column], ""
        if pyarrow.types.is_boolean(kind):
            return values, "bool"
        return values, ""
    zoned = kind.tz is not None
    if zoned:
        try:
            # A safe cast to seconds succeeds only when no value has a fraction of a second.
            seconds = column.cast(pyarrow.timestamp("s", tz=kind.tz)).cast(pyarrow.int64()).to_pylist()
            instant = datetime.fromtimestamp
            return [None if s is None else instant(s, UTC) for s in seconds], "instant"
        except (pyarrow.ArrowInvalid, ValueError, OverflowError, OSError):
            pass  # fractions of a second, or instants beyond what fromtimestamp takes here
    try:
        micros = column.cast(pyarrow.timestamp("us", tz=kind.tz))
    except pyarrow.ArrowInvalid:
        micros = column.cast(pyarrow.timestamp("us", tz=kind.tz), safe=False)
    epoch = _EPOCH if zoned else _NAIVE_EPOCH
    cells: list[Any] = []
    in_range = True
    for count in micros.cast(pyarrow.int64()).to_pylist():
        try:
            cells.append(None if count is None else epoch + timedelta(microseconds=count))
        except OverflowError:
            cells.append(OutOfRange(f"{count} microseconds from 1970-01-01"))
            in_range = False
    return cells, "instant" if zoned and in_range else ""


def _arrow_texts(pyarrow: Any, column: Any) -> tuple[list[Any], str]:
    """A text column's cells; a cell whose bytes are not UTF-8 becomes an `Undecodable`."""
    try:
        values = column.to_pylist()
    except UnicodeDecodeError:
        # Read the bytes instead, and decode them cell by cell.
        types = pyarrow.types
        binary = (
            pyarrow.large_binary() if types.is_large_string(column.type)
            else pyarrow.binary() if types.is_string(column.type)
            else pyarrow.binary_view()
        )  # fmt: skip
        values = []
        for cell in column.cast(binary).to_pylist():
            try:
                values.append(None if cell is None else cell.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(Undecodable(cell))
        return values, ""
    blank = "" in values or any(map(str.isspace, filter(None, values)))
    long = max(map(len, filter(None, values)), default=0) > MAX_CELL_LENGTH
    return values, "" if blank or long else "text"


def _arrow_value(cell: Any) -> Any:
    try:
        return cell.as_py()
    except UnicodeDecodeError:
        return Undecodable(b"")


def arrow_table(collection: str, source: str, table: Any) -> Table:
    """A table from a PyArrow table; rows are numbered by 0-based index."""
    names = _unique_header([str(n) for n in table.column_names], source)
    converted = {name: _arrow_cells(table.column(i)) for i, name in enumerate(names)}
    columns = {name: cells for name, (cells, _) in converted.items()}
    ready = {name: kind for name, (_, kind) in converted.items() if kind}
    return Table(collection, source, "row index", columns, range(table.num_rows), ready=ready)


def read_parquet(path: Path, collection: str) -> Table:
    """A Parquet file, through pyarrow (the ``parquet`` extra); rows are numbered by 0-based index.

    Raises:
        MissingExtraError: pyarrow is not installed.
        SourceError: the file is not a readable Parquet file.
    """
    parquet = require("pyarrow.parquet", "pyarrow", "parquet", "Reading Parquet files")
    pyarrow = importlib.import_module("pyarrow")
    name = display_name(path)
    with open_regular(path, MAX_FILE_BYTES, bounded=False) as handle:
        try:
            table = parquet.read_table(handle)
        except (OSError, ValueError, pyarrow.ArrowException) as error:
            raise SourceError(f"{name}: not a readable Parquet file ({_reason(error)}).") from None
    try:
        return arrow_table(collection, path.name, table)
    except UnicodeDecodeError:
        raise SourceError(f"{name}: a column name is not UTF-8 text.") from None


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 and text.isprintable() else shorten(text, 200)


_CONTAINERS: Final = (list, tuple, Mapping, set, frozenset)


def _deeply_nested(native: Any, narwhals: Any) -> bool:
    """Whether a column of Python objects holds a value nested deeper than `MAX_NESTING`.

    pyarrow infers a nested type for such a value level by level: a list nested 5,000 deep
    took it seconds and gigabytes. Those frames are read cell by cell, where the value is
    refused like any other that no field takes.
    """
    for name, dtype in native.schema.items():
        if dtype != narwhals.Object:
            continue
        for value in native.get_column(name).to_list():
            if isinstance(value, _CONTAINERS) and _depth_beyond(value, MAX_NESTING):
                return True
    return False


def _depth_beyond(value: Any, limit: int) -> bool:
    """Whether lists, tuples, sets and mappings nest more than ``limit`` deep in ``value`` (no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, Mapping) else item)
            if isinstance(child, _CONTAINERS)
        ]
        if not level:
            return False
    return True


def frame_table(collection: str, frame: Any) -> Table:
    """A pandas, Polars or PyArrow table (through narwhals, the ``frames`` extra).

    Rows are numbered by their 0-based position (not a pandas index label). A lazy frame is
    collected first: records are built in memory either way.

    Raises:
        MissingExtraError: narwhals is not installed.
        SourceError: ``frame`` is not a table narwhals knows.
    """
    narwhals = require("narwhals", "narwhals", "frames", "Loading data frames")
    try:
        native = narwhals.from_native(frame)
    except TypeError:
        raise SourceError(
            f"{collection}: a pandas, Polars or PyArrow table is needed, not a {type(frame).__name__}."
        ) from None
    if isinstance(native, narwhals.LazyFrame):
        native = native.collect()
    if not isinstance(native, narwhals.DataFrame):
        raise SourceError(f"{collection}: a table is needed, not a {type(frame).__name__}.")
    try:
        importlib.import_module("pyarrow")
        if not _deeply_nested(native, narwhals):
            return arrow_table(collection, collection, native.to_arrow())
    except SourceError:
        raise
    except Exception:
        pass  # no pyarrow, or a column arrow cannot type (mixed objects): read the cells as they are
    originals = list(native.columns)
    names = _unique_header([str(n) for n in originals], collection)
    try:
        columns = {
            name: native.get_column(original).to_list()
            for name, original in zip(names, originals, strict=True)
        }
    except Exception as error:  # whatever the frame's library raises reading a column
        raise SourceError(
            f"{collection}: a table whose columns cannot be read ({type(error).__name__}: {_reason(error)})."
        ) from None
    return Table(collection, collection, "row index", columns, range(len(native)))
