"""Your data in and out: folders of CSV, JSON-lines or Parquet files, data frames, and plain rows.

A folder holds one file per collection, named after the `AdvocacyData` collections
(``accounts.csv``, ``referrals.parquet``, ``surveys.jsonl``, ...), with columns named after the
record fields. A column map renames a source's own column names; a column that is no record
field becomes a segmenting attribute (of accounts, reference requests, mentions, opportunities
and programme costs), its type kept. Cells are converted by the rules of
`advocacy_kpis.io.coerce`, and nothing is dropped silently: a load returns the data set and a
`LoadReport` listing every refused row (or, with ``strict=True``, raises `LoadError` on the
first). A collection whose file (or table) is present is supplied, even with no rows; one that
is absent is not.

Examples:
    >>> from advocacy_kpis import io
    >>> data, report = io.from_rows({
    ...     "accounts": [{"id": "a1", "customer_since": "2025-03-01", "plan": "pro", "seats": 12},
    ...                  {"id": "a2", "customer_since": "2025-13-01"}],
    ...     "referrals": [{"id": "r1", "account_id": "a1", "invited_at": "2026-02-01T09:30:00Z"},
    ...                   {"id": "r2", "account_id": "a2", "invited_at": "2026-02-03"}],
    ... })
    >>> [a.id for a in data.accounts], dict(data.accounts[0].attributes)
    (['a1'], {'plan': 'pro', 'seats': 12})
    >>> for rejection in report.rejections:
    ...     print(rejection)
    accounts row index 1, field 'customer_since': '2025-13-01' must be an ISO-8601 date ...
    referrals row index 1, field 'account_id': 'a2' must be the id of a loaded account (account 'a2' was refused: ...)
    >>> data.is_supplied("referrals"), data.is_supplied("surveys")
    (True, False)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from advocacy_kpis.data import COLLECTIONS
from advocacy_kpis.errors import SourceError, shorten
from advocacy_kpis.io import bounds, coerce
from advocacy_kpis.io._dump import csv_safe, dump, write_csv
from advocacy_kpis.io._files import check_regular, display_name
from advocacy_kpis.io._load import ColumnMap, Table, build, collector_paused
from advocacy_kpis.io._sources import SUFFIXES, frame_table, read_csv, read_jsonl, read_parquet, rows_table
from advocacy_kpis.io.report import CollectionCount, Loaded, LoadReport, Rejection
from advocacy_kpis.io.settings import SETTINGS_FILE, Settings, read_settings
from advocacy_kpis.scope import UTC_CALENDAR, Calendar

__all__ = [
    "SETTINGS_FILE",
    "CollectionCount",
    "ColumnMap",
    "LoadReport",
    "Loaded",
    "Rejection",
    "Settings",
    "bounds",
    "coerce",
    "csv_safe",
    "dump",
    "from_frames",
    "from_rows",
    "load_folder",
    "read_settings",
    "write_csv",
]

AsOf = datetime | date | str | None

_READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def _check_names(collections: Any, what: str, function: str, example: str) -> None:
    if not isinstance(collections, Mapping):
        raise SourceError(
            f"{function} takes a mapping of collection name to {example}. Got {shorten(collections)} instead."
        )
    for name in collections:
        if name not in COLLECTIONS:
            raise SourceError(
                f"{what} {shorten(name)} names no collection: use one of {', '.join(COLLECTIONS)}."
            )


def load_folder(
    path: str | Path,
    *,
    as_of: AsOf = None,
    calendar: Calendar | None = None,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
) -> Loaded:
    """Load every collection file of a folder.

    Files are found by name: ``accounts.csv``, ``referrals.parquet``, ``surveys.jsonl``, one per
    collection (see `advocacy_kpis.data.COLLECTIONS`); ``accounts`` is required. Other files
    are listed in the report's notes. An ``advocacy.toml`` in the folder (see
    `advocacy_kpis.io.settings`) supplies ``as_of``, ``calendar``, ``datetime_format`` and column
    maps that the arguments do not give (a column map given here replaces the file's map of that
    collection).

    Args:
        path: the folder.
        as_of: when the data was extracted: an aware datetime, a date (midnight in the calendar)
            or ISO-8601 text. By default the settings file's, else the latest timestamp of
            something that has happened in the data; the report says which.
        calendar: the calendar whose time zone dates and times without an offset are read in
            (default: the settings file's, else UTC).
        column_map: per collection, the source's column name to the record field it holds,
            e.g. ``{"accounts": {"Account ID": "id"}}``.
        datetime_format: a `datetime.strptime` format, for files whose timestamps are not
            ISO 8601 (``"%m/%d/%Y"``); never guessed.
        strict: raise `LoadError` at the first refusal instead of collecting every one in the
            report: the first bad cell or row of each file in row order, then duplicate ids,
            rows after ``as_of`` and references, in that order.

    Returns:
        A `Loaded`: ``data, report = load_folder(...)``.

    Raises:
        SourceError: no such folder, no accounts file, two files for one collection, a file that
            is no regular file (a FIFO, a device, a socket) or is larger than
            `bounds.MAX_FILE_BYTES`, an unreadable file, a column map naming no collection.
        SettingsError: an unreadable settings file, or a bad setting in it.
        LoadError: in strict mode, the first row that cannot be loaded.
        MissingExtraError: a Parquet file without the ``parquet`` extra.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(
            f"No folder {shorten(str(folder))}: give the folder that holds accounts.csv and the rest."
        )
    settings = read_settings(folder)
    chosen_calendar = calendar or settings.calendar or UTC_CALENDAR
    maps = dict(settings.column_map)
    maps.update(column_map or {})
    if as_of is not None:
        as_of_source = "given"
    elif settings.as_of is not None:
        as_of, as_of_source = settings.as_of, f"from {SETTINGS_FILE}"
    else:
        as_of_source = ""
    found: dict[str, Path] = {}
    notes = []
    for file in sorted(folder.iterdir()):
        if file.name == SETTINGS_FILE or file.name.startswith("."):
            continue
        if file.suffix not in SUFFIXES or file.stem not in COLLECTIONS:
            notes.append(
                f"{display_name(file)} was not read: it names no collection "
                "(accounts.csv, referrals.parquet, ...)"
            )
            continue
        if file.stem in found:
            raise SourceError(
                f"{found[file.stem].name} and {file.name} both hold {file.stem}: keep one file per collection."
            )
        # Refused by what it is before any file is read: a FIFO would block the load, a device never end.
        check_regular(file)
        found[file.stem] = file
    if "accounts" not in found:
        raise SourceError(
            f"{shorten(str(folder))} has no accounts file (accounts.csv, accounts.jsonl or accounts.parquet): "
            "every data set needs its accounts."
        )
    with collector_paused():
        tables = [_READERS[SUFFIXES[file.suffix]](file, name) for name, file in found.items()]
        return build(
            tables,
            as_of=as_of,
            as_of_source=as_of_source,
            calendar=chosen_calendar,
            column_map=maps,
            datetime_format=datetime_format or settings.datetime_format,
            strict=strict,
            notes=notes,
        )


def from_rows(
    collections: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    as_of: AsOf = None,
    calendar: Calendar = UTC_CALENDAR,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
) -> Loaded:
    """Load collections given as rows: mappings of column name to value (e.g. from an API or a DB cursor).

    Rows are numbered by their 0-based position in each list. Every collection named is
    supplied, even with no rows. The other arguments are those of `load_folder`.

    Raises:
        SourceError: ``collections`` is no mapping, a name that is no collection, rows that are
            not an iterable (of mappings), or no ``accounts``.
        LoadError: in strict mode, the first row that cannot be loaded.
    """
    _check_names(collections, "The collection", "io.from_rows", "rows, such as {'accounts': [...]}")
    for name, rows in collections.items():
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            raise SourceError(
                f"The rows of {name!r} must be an iterable of mappings of column name to value, such as "
                f"[{{'id': 'a1', ...}}]. Got {shorten(rows)} instead."
            )
    with collector_paused():
        tables = [
            rows_table(name, name, rows, "row index", itertools.count()) for name, rows in collections.items()
        ]
        return _build(tables, as_of, calendar, column_map, datetime_format, strict)


def from_frames(
    frames: Mapping[str, Any],
    *,
    as_of: AsOf = None,
    calendar: Calendar = UTC_CALENDAR,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
) -> Loaded:
    """Load collections given as pandas, Polars or PyArrow tables (the ``frames`` extra).

    Rows are numbered by their 0-based position (not a pandas index label). Every collection
    named is supplied, even with no rows. The other arguments are those of `load_folder`.

    Raises:
        SourceError: a name that is no collection, no ``accounts``, or a value that is no table.
        LoadError: in strict mode, the first row that cannot be loaded.
        MissingExtraError: narwhals is not installed.
    """
    _check_names(frames, "The table", "io.from_frames", "table, such as {'accounts': frame}")
    with collector_paused():
        tables = [frame_table(name, frame) for name, frame in frames.items()]
        return _build(tables, as_of, calendar, column_map, datetime_format, strict)


def _build(
    tables: list[Table],
    as_of: AsOf,
    calendar: Calendar,
    column_map: ColumnMap | None,
    datetime_format: str | None,
    strict: bool,
) -> Loaded:
    return build(
        tables,
        as_of=as_of,
        as_of_source="given",
        calendar=calendar,
        column_map=column_map,
        datetime_format=datetime_format,
        strict=strict,
    )
