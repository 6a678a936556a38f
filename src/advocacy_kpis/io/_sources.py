"""Reading each kind of source into a `Table` of cells: CSV, JSON lines, Parquet, frames, dicts.

Readers only read: they keep every cell as the source gives it, number the rows as the user
sees them, and set aside rows that cannot be read at all. Converting cells is `_load`'s job.
pyarrow and narwhals are optional and imported only when a Parquet file or a data frame is read.
"""

from __future__ import annotations

import csv
import importlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from advocacy_kpis.errors import MissingExtraError, SourceError
from advocacy_kpis.io._load import Table
from advocacy_kpis.io.coerce import OutOfRange

SUFFIXES: Final = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
"""File name endings the folder loader reads, and the format each names."""


def require(module: str, package: str, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(package, extra, feature) from None


def _unique_header(header: list[str], source: str) -> list[str]:
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise SourceError(f"{source}: the header names the column {name!r} twice.")
        seen.add(name)
    return names


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
    reader: Any = None
    try:
        quoted = _has_apostrophe(path)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return Table(collection, source, "line", {}, [], textual=True)
            names = _unique_header(header, source)
            entries = list(reader)
            lines = reader.line_num
    except UnicodeDecodeError as error:
        raise SourceError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    except csv.Error as error:
        raise SourceError(f"{source} line {reader.line_num}: not readable as CSV ({error}).") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot be read ({error.strerror or error}).") from None
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
    with path.open("rb") as handle:
        return any(b"'" in chunk for chunk in iter(lambda: handle.read(1 << 20), b""))


def _record_starts(path: Path) -> list[int]:
    """The line each record after the header starts on, for files where a cell spans lines."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
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
            if not isinstance(key, str):
                broken.append((number, "a mapping whose column names are text", row))
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
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line, parse_float=Decimal))
                except ValueError:
                    unreadable.append((number, "a JSON object on one line", line.rstrip("\r\n")))
                    continue
                numbers.append(number)
    except UnicodeDecodeError as error:
        raise SourceError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot be read ({error.strerror or error}).") from None
    table = rows_table(collection, source, rows, "line", numbers)
    table.broken = sorted(table.broken + unreadable, key=lambda b: b[0])
    return table


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
        values = column.to_pylist()
        if pyarrow.types.is_boolean(kind):
            return values, "bool"
        if _is_text(pyarrow, kind):
            blank = "" in values or any(map(str.isspace, filter(None, values)))
            return values, "" if blank else "text"
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
    try:
        table = parquet.read_table(path)
    except (OSError, ValueError) as error:
        raise SourceError(f"{path.name}: not a readable Parquet file ({error}).") from None
    return arrow_table(collection, path.name, table)


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
        return arrow_table(collection, collection, native.to_arrow())
    except Exception:
        # No pyarrow, or a column arrow cannot type (mixed objects): read the cells as they are.
        names = _unique_header([str(n) for n in native.columns], collection)
        columns = {name: native.get_column(name).to_list() for name in names}
        return Table(collection, collection, "row index", columns, range(len(native)))
