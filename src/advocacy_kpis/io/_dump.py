"""Writing data out: a data set as one file per collection, and CSV that spreadsheets cannot run.

Every CSV the library writes goes through `write_csv`, which passes text cells through
`csv_safe`: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what
a spreadsheet runs as a formula, so it is written with a leading ``'``. So is a cell that itself
begins with ``'``, so that reading drops exactly one ``'`` and the text comes back unchanged
(the CSV loader does that; see `advocacy_kpis.io.coerce.unquote_formula`).
"""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from advocacy_kpis.data import COLLECTIONS, AdvocacyData
from advocacy_kpis.errors import ParameterError, SourceError, shorten
from advocacy_kpis.io._load import fields_of
from advocacy_kpis.io._sources import SUFFIXES, require
from advocacy_kpis.io.coerce import FORMULA_STARTS
from advocacy_kpis.io.settings import SETTINGS_FILE

Format = Literal["csv", "jsonl", "parquet"]

_QUOTE_WHEN = (*FORMULA_STARTS, "'")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet will show, not run: a leading ``'`` before a formula character.

    Only text is touched; numbers are written as they are.

    Examples:
        >>> csv_safe("=HYPERLINK(\\"http://x\\")"), csv_safe("-5"), csv_safe("plain"), csv_safe(-5)
        ('\\'=HYPERLINK("http://x")', "'-5", 'plain', -5)
    """
    if isinstance(value, str) and value[:1] in _QUOTE_WHEN and value:
        return "'" + value
    return value


def cell_text(value: Any) -> str:
    """How the library writes one value into a CSV cell (before `csv_safe`).

    None is an empty cell; booleans are ``true``/``false``; instants are ISO 8601 with their
    offset; amounts are their exact digits; enums their value; lists of enums joined by ``|``.
    """
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (tuple, list)):
        return "|".join(cell_text(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _cell(value: Any) -> str:
    # Only text can be a formula; a negative number is written as the number it is.
    return csv_safe(value) if isinstance(value, str) else cell_text(value)


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    file: str | Path | IO[str],
    *,
    columns: Sequence[str] | None = None,
) -> None:
    """Write rows (mappings) as CSV with a header, every text cell passed through `csv_safe`.

    Args:
        rows: the rows; a key missing from a row is an empty cell.
        file: a path, or an open text stream (opened with ``newline=""``).
        columns: the columns in order; by default every key, in the order first seen.

    Raises:
        ParameterError: ``rows`` is not an iterable of mappings, or ``file`` no path or stream.
        SourceError: the file cannot be written.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> write_csv([{"name": "=1+1", "seats": 5}], out)
        >>> out.getvalue().splitlines()
        ['name,seats', "'=1+1,5"]
    """
    function = "advocacy_kpis.io.write_csv"
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise ParameterError("rows", function, "an iterable of mappings (one per row)", rows)
    materialised = list(rows)
    for row in materialised:
        if not isinstance(row, Mapping):
            raise ParameterError("rows", function, "mappings of column name to value", row)
    if not isinstance(file, (str, Path)) and not callable(getattr(file, "write", None)):
        raise ParameterError("file", function, "a path or an open text stream", file)
    if columns is None:
        seen: dict[str, None] = {}
        for row in materialised:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    elif isinstance(columns, (str, bytes)) or not isinstance(columns, Iterable):
        raise ParameterError("columns", function, "a sequence of column names", columns)

    def write(stream: IO[str]) -> None:
        # The default line ending (CRLF, as RFC 4180 has it) makes the writer quote cells holding
        # a lone CR or LF, so they read back whole.
        writer = csv.writer(stream)
        writer.writerow([csv_safe(str(c)) for c in columns])
        for row in materialised:
            writer.writerow([_cell(row.get(c)) for c in columns])

    if isinstance(file, (str, Path)):
        try:
            with Path(file).open("w", newline="", encoding="utf-8") as stream:
                write(stream)
        except OSError as error:
            raise SourceError(
                f"{shorten(str(file))}: cannot be written ({error.strerror or error})."
            ) from None
    else:
        write(file)


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


def record_rows(records: Sequence[Any], kind: type) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of a collection: every field, then each attribute as its own column.

    Raises:
        ParameterError: an attribute is named like a field of the record, so it cannot have a column.
    """
    fields = [f.name for f in fields_of(kind) if f.kind != "attributes"]
    has_attributes = any(f.kind == "attributes" for f in fields_of(kind))
    extra: dict[str, None] = {}
    rows = []
    for record in records:
        row = {name: getattr(record, name) for name in fields}
        if has_attributes:
            for key, value in record.attributes.items():
                if key in row:
                    raise ParameterError(
                        "data", "advocacy_kpis.io.dump",
                        f"records whose attributes are not named like their fields ({kind.__name__} "
                        f"{record.id!r} has an attribute {key!r})", key,
                    )  # fmt: skip
                extra[key] = None
                row[key] = value
        rows.append(row)
    return [*fields, *sorted(extra)], rows


def _parquet_column(values: list[Any]) -> Any:
    pyarrow = require("pyarrow", "pyarrow", "parquet", "Writing Parquet files")
    plain = [v.value if isinstance(v, enum.Enum) else v for v in values]
    plain = [[a.value for a in v] if isinstance(v, tuple) else v for v in plain]
    try:
        return pyarrow.array(plain)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, TypeError, OverflowError):
        # Values of mixed types in one attribute: written as text.
        return pyarrow.array([None if v is None else cell_text(v) for v in plain], type=pyarrow.string())


def _settings_text(data: AdvocacyData) -> str:
    calendar = data.calendar.to_dict()
    return (
        f"as_of = {data.as_of.isoformat().replace('+00:00', 'Z')}\n\n"
        "[calendar]\n"
        f'timezone = "{calendar["timezone"]}"\n'
        f"week_start = {calendar['week_start']}\n"
        f"fiscal_year_start_month = {calendar['fiscal_year_start_month']}\n"
    )


def dump(
    data: AdvocacyData,
    folder: str | Path,
    *,
    format: Format = "csv",
    settings: bool = True,
) -> list[Path]:
    """Write a data set as a folder that `load_folder` reads back into an equal data set.

    One file per supplied collection (``accounts.csv``, ``referrals.csv``, ...); a supplied but
    empty collection is a file with a header only, so it stays supplied. Attributes are columns
    of their own. With ``settings`` (the default) an ``advocacy.toml`` records ``as_of`` and the
    calendar, replacing any there was.

    Args:
        data: the data set.
        folder: where to write; created when missing.
        format: ``"csv"``, ``"jsonl"`` or ``"parquet"`` (the ``parquet`` extra).
        settings: whether to write ``advocacy.toml``.

    Returns:
        The paths written.

    Raises:
        ParameterError: ``data`` is no data set, or an unknown format.
        SourceError: ``folder`` is a file or cannot be written, or it already holds a file of
            another format for a collection written.
        MissingExtraError: Parquet without pyarrow.
    """
    if not isinstance(data, AdvocacyData):
        raise ParameterError("data", "advocacy_kpis.io.dump", "an AdvocacyData", data)
    if format not in ("csv", "jsonl", "parquet"):
        raise ParameterError("format", "advocacy_kpis.io.dump", "'csv', 'jsonl' or 'parquet'", format)
    if not isinstance(folder, (str, Path)):
        raise ParameterError("folder", "advocacy_kpis.io.dump", "a path to a folder", folder)
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise SourceError(
            f"{shorten(str(target))} is a file, not a folder: dump writes one file per collection into a folder."
        )
    try:
        return _dump(data, target, format, settings)
    except OSError as error:
        where = shorten(error.filename if isinstance(error.filename, str) else str(target))
        raise SourceError(
            f"{where}: cannot be written ({error.strerror or error}); dump writes into a folder."
        ) from None


def _dump(data: AdvocacyData, target: Path, format: Format, settings: bool) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in COLLECTIONS:
        if name not in data.supplied:
            continue
        for suffix, other in SUFFIXES.items():
            if other != format and (target / f"{name}{suffix}").exists():
                raise SourceError(
                    f"{target / (name + suffix)} exists: a folder holds one file per collection, so "
                    f"{name}.{format} cannot be written beside it."
                )
        columns, rows = record_rows(getattr(data, name), COLLECTIONS[name])
        path = target / f"{name}.{format}"
        if format == "csv":
            write_csv(rows, path, columns=columns)
        elif format == "jsonl":
            with path.open("w", encoding="utf-8") as stream:
                for row in rows:
                    stream.write(json.dumps({k: _json_value(v) for k, v in row.items()}) + "\n")
        else:
            pyarrow = require("pyarrow", "pyarrow", "parquet", "Writing Parquet files")
            parquet = require("pyarrow.parquet", "pyarrow", "parquet", "Writing Parquet files")
            table = pyarrow.table({c: _parquet_column([row.get(c) for row in rows]) for c in columns})
            parquet.write_table(table, path)
        written.append(path)
    if settings:
        path = target / SETTINGS_FILE
        path.write_text(_settings_text(data), encoding="utf-8")
        written.append(path)
    return written


__all__ = ["cell_text", "csv_safe", "dump", "record_rows", "write_csv"]
