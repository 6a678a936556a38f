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

import fnmatch
import itertools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import attrs

from advocacy_kpis.data import COLLECTIONS
from advocacy_kpis.errors import ParameterError, SourceError, shorten
from advocacy_kpis.io import bounds, coerce
from advocacy_kpis.io._dump import csv_safe, dump, write_csv
from advocacy_kpis.io._files import check_regular, display_name
from advocacy_kpis.io._load import (
    ColumnMap,
    Constants,
    Table,
    ValueMaps,
    build,
    check_files,
    collector_paused,
    concatenated,
)
from advocacy_kpis.io._sources import SUFFIXES, frame_table, read_csv, read_jsonl, read_parquet, rows_table
from advocacy_kpis.io.report import CollectionCount, Loaded, LoadReport, Rejection, RejectionGroup
from advocacy_kpis.io.settings import SETTINGS_FILE, Settings, read_settings
from advocacy_kpis.scope import UTC_CALENDAR, Calendar, as_calendar

__all__ = [
    "SETTINGS_FILE",
    "CollectionCount",
    "ColumnMap",
    "Constants",
    "LoadReport",
    "Loaded",
    "Rejection",
    "RejectionGroup",
    "Settings",
    "ValueMaps",
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
    calendar: Calendar | str | None = None,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
    files: Mapping[str, str] | None = None,
    constants: Constants | None = None,
    values: ValueMaps | None = None,
) -> Loaded:
    """Load every collection file of a folder.

    Files are found by name: ``accounts.csv``, ``referrals.parquet``, ``surveys.jsonl``, one per
    collection (see `advocacy_kpis.data.COLLECTIONS`), or through ``files``; ``accounts`` is
    required. Other files are listed in the report's notes. An ``advocacy.toml`` in the folder
    (see `advocacy_kpis.io.settings`) supplies ``as_of``, ``calendar``, ``datetime_format``,
    column maps, ``files``, constants and value maps that the arguments do not give (a column
    map or the constants given here replace the file's of that collection, a value map the
    file's of that field, a ``files`` entry the file's entry of that pattern).

    Args:
        path: the folder.
        as_of: when the data was extracted: an aware datetime, a date (midnight in the calendar)
            or ISO-8601 text. By default the settings file's, else the latest timestamp of
            something that has happened in the data; the report says which.
        calendar: the calendar whose time zone dates and times without an offset are read in,
            or a time zone name such as ``"Europe/Berlin"`` (with the settings file's week start
            and fiscal year, if it gives a calendar). Default: the settings file's, else UTC.
        column_map: per collection, the source's column name to the record field it holds,
            e.g. ``{"accounts": {"Account ID": "id"}}``.
        datetime_format: a `datetime.strptime` format, for files whose timestamps are not
            ISO 8601 (``"%m/%d/%Y"``); never guessed.
        strict: raise `LoadError` at the first refusal instead of collecting every one in the
            report: the first bad cell or row of each file in row order, then duplicate ids,
            rows after ``as_of`` and references, in that order.
        files: file names, or globs (``*``, ``?``, ``[...]``) matched against file names, to the
            collection their rows are for, e.g. ``{"companies.csv": "accounts", "nps_*.csv":
            "surveys"}``. Every file a collection is given this way is read, in name order, as
            one collection (they must share a format): rows keep their file and line in the
            report, and ids must be unique across the files. A collection given files here takes
            no others (a ``surveys.csv`` beside ``nps_*.csv`` is noted, not read). A name without
            glob characters must be in the folder; a glob that matches nothing is noted.
        constants: per collection, a field (or attribute) to the value it takes in every row,
            e.g. ``{"surveys": {"kind": "nps"}}``, for what an export leaves unsaid. A file with
            a column giving that field too is refused.
        values: per ``"collection.field"``, a text found in that field's column to the value it
            stands for, e.g. ``{"surveys.kind": {"Relationship NPS": "nps"}}``; text is matched
            exactly, blanks around it ignored. A text the map does not name is kept as it is
            (and refused by the field's own rule if the field does not take it).

    Returns:
        A `Loaded`: ``data, report = load_folder(...)``.

    Raises:
        SourceError: no such folder, no accounts file, two files for one collection by name
            (``accounts.csv`` and ``accounts.jsonl``), files of one collection in two formats, a
            file that is no regular file (a FIFO, a device, a socket) or is larger than
            `bounds.MAX_FILE_BYTES`, an unreadable file; a column map, ``files`` entry, constant
            or value map that names no collection or field (the message lists the valid ones),
            a constant or a mapped value the field refuses, a constant for a field a column
            gives, a file in ``files`` that is not there or not ``.csv``, ``.jsonl`` or
            ``.parquet``; every row of the accounts refused.
        SettingsError: an unreadable settings file, or a bad setting in it.
        ParameterError: ``calendar`` is no calendar or known time zone name.
        LoadError: in strict mode, the first row that cannot be loaded.
        MissingExtraError: a Parquet file without the ``parquet`` extra.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(
            f"No folder {shorten(str(folder))}: give the folder that holds accounts.csv and the rest."
        )
    settings = read_settings(folder)
    chosen_calendar = _calendar(calendar, "io.load_folder", settings.calendar)
    maps = dict(settings.column_map)
    maps.update(column_map or {})
    patterns = dict(settings.files)
    patterns.update(check_files(files))
    fixed = dict(settings.constants)
    fixed.update(_mapping(constants, "constants"))
    value_maps = dict(settings.values)
    value_maps.update(_mapping(values, "values"))
    if as_of is not None:
        as_of_source = "given"
    elif settings.as_of is not None:
        as_of, as_of_source = settings.as_of, f"from {SETTINGS_FILE}"
    else:
        as_of_source = ""
    found, notes = _folder_files(folder, patterns)
    if "accounts" not in found:
        raise SourceError(
            f"{shorten(str(folder))} has no accounts file (accounts.csv, accounts.jsonl or accounts.parquet, "
            "or a file that files= gives to accounts): every data set needs its accounts."
        )
    with collector_paused():
        tables = [
            concatenated([_READERS[SUFFIXES[file.suffix]](file, name) for file in paths])
            for name, paths in found.items()
        ]
        return build(
            tables,
            as_of=as_of,
            as_of_source=as_of_source,
            calendar=chosen_calendar,
            column_map=maps,
            datetime_format=datetime_format or settings.datetime_format,
            strict=strict,
            notes=notes,
            constants=fixed,
            values=value_maps,
        )


_GLOB_CHARACTERS: Final = frozenset("*?[")


def _mapping(value: Any, name: str) -> Mapping[Any, Any]:
    """An optional mapping argument as a mapping (its contents are checked by the load)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        example = (
            "{'surveys': {'kind': 'nps'}}"
            if name == "constants"
            else "{'surveys.kind': {'Relationship NPS': 'nps'}}"
        )
        raise SourceError(f"{name} must be a mapping such as {example}. Got {shorten(value)} instead.")
    return value


def _folder_files(folder: Path, patterns: Mapping[str, str]) -> tuple[dict[str, list[Path]], list[str]]:
    """The data files of a folder by collection, in name order, and notes on the files not read."""
    found: dict[str, list[Path]] = {}
    notes: list[str] = []
    claimed = set(patterns.values())
    matched: set[str] = set()
    for file in sorted(folder.iterdir()):
        if file.name == SETTINGS_FILE or file.name.startswith("."):
            continue
        hits = [p for p in patterns if fnmatch.fnmatchcase(file.name, p)]
        matched.update(hits)
        targets = {patterns[p] for p in hits}
        if len(targets) > 1:
            raise SourceError(
                f"{display_name(file)} matches {', '.join(shorten(p) for p in hits)} in files, which give it to "
                f"{' and '.join(sorted(targets))}: make the names or globs pick each file for one collection."
            )
        if targets:
            collection = targets.pop()
            if file.suffix not in SUFFIXES:
                raise SourceError(
                    f"{display_name(file)}: files gives it to {collection}, but only .csv, .jsonl and .parquet "
                    "files are read."
                )
            earlier = found.get(collection, [])
            if earlier and earlier[0].suffix != file.suffix:
                raise SourceError(
                    f"{display_name(earlier[0])} and {display_name(file)} both hold {collection} in two formats: "
                    "the files of one collection must share a format."
                )
        elif file.suffix in SUFFIXES and file.stem in COLLECTIONS:
            collection = file.stem
            if collection in claimed:
                notes.append(f"{display_name(file)} was not read: files gives {collection} other files")
                continue
            if collection in found:
                raise SourceError(
                    f"{found[collection][0].name} and {file.name} both hold {collection}: keep one file per collection."
                )
        else:
            notes.append(
                f"{display_name(file)} was not read: it names no collection (accounts.csv, referrals.parquet, ...)"
            )
            continue
        # Refused by what it is before any file is read: a FIFO would block the load, a device never end.
        check_regular(file)
        found.setdefault(collection, []).append(file)
    for pattern in patterns:
        if pattern in matched:
            continue
        if _GLOB_CHARACTERS.isdisjoint(pattern):
            raise SourceError(
                f"files names {shorten(pattern)} for {patterns[pattern]}, but the folder has no such file."
            )
        notes.append(f"files: {shorten(pattern)} matches no file, so it gives {patterns[pattern]} nothing")
    return found, notes


def _calendar(calendar: Any, function: str, base: Calendar | None = None) -> Calendar:
    """The calendar argument of a loader: a `Calendar`, or a zone name (on ``base``'s week and fiscal year)."""
    if calendar is None:
        return base or UTC_CALENDAR
    try:
        chosen = as_calendar(calendar, "calendar", function)
    except ParameterError:
        expected = "a Calendar, or a time zone name such as 'Europe/Berlin' or 'UTC'"
        raise ParameterError("calendar", function, expected, calendar) from None
    if isinstance(calendar, str) and base is not None:
        return attrs.evolve(base, timezone=chosen.timezone)
    return chosen


def from_rows(
    collections: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    as_of: AsOf = None,
    calendar: Calendar | str = UTC_CALENDAR,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
    constants: Constants | None = None,
    values: ValueMaps | None = None,
) -> Loaded:
    """Load collections given as rows: mappings of column name to value (e.g. from an API or a DB cursor).

    Rows are numbered by their 0-based position in each list. Every collection named is
    supplied, even with no rows. The other arguments are those of `load_folder`.

    Raises:
        SourceError: ``collections`` is no mapping, a name that is no collection, rows that are
            not an iterable (of mappings), no ``accounts``, a bad column map, constant or value
            map (see `load_folder`), or every row of the accounts refused.
        ParameterError: ``calendar`` is no calendar or known time zone name.
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
        return _build(
            tables,
            as_of,
            _calendar(calendar, "io.from_rows"),
            column_map,
            datetime_format,
            strict,
            constants,
            values,
        )


def from_frames(
    frames: Mapping[str, Any],
    *,
    as_of: AsOf = None,
    calendar: Calendar | str = UTC_CALENDAR,
    column_map: ColumnMap | None = None,
    datetime_format: str | None = None,
    strict: bool = False,
    constants: Constants | None = None,
    values: ValueMaps | None = None,
) -> Loaded:
    """Load collections given as pandas, Polars or PyArrow tables (the ``frames`` extra).

    Rows are numbered by their 0-based position (not a pandas index label). Every collection
    named is supplied, even with no rows. The other arguments are those of `load_folder`.

    Raises:
        SourceError: a name that is no collection, no ``accounts``, a value that is no table, a
            bad column map, constant or value map (see `load_folder`), or every row of the
            accounts refused.
        ParameterError: ``calendar`` is no calendar or known time zone name.
        LoadError: in strict mode, the first row that cannot be loaded.
        MissingExtraError: narwhals is not installed.
    """
    _check_names(frames, "The table", "io.from_frames", "table, such as {'accounts': frame}")
    with collector_paused():
        tables = [frame_table(name, frame) for name, frame in frames.items()]
        return _build(
            tables,
            as_of,
            _calendar(calendar, "io.from_frames"),
            column_map,
            datetime_format,
            strict,
            constants,
            values,
        )


def _build(
    tables: list[Table],
    as_of: AsOf,
    calendar: Calendar,
    column_map: ColumnMap | None,
    datetime_format: str | None,
    strict: bool,
    constants: Constants | None,
    values: ValueMaps | None,
) -> Loaded:
    return build(
        tables,
        as_of=as_of,
        as_of_source="given",
        calendar=calendar,
        column_map=column_map,
        datetime_format=datetime_format,
        strict=strict,
        constants=constants,
        values=values,
    )
