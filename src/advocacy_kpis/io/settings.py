"""The optional settings file of a data folder, ``advocacy.toml``: what a team writes down once.

Example:

```toml
as_of = 2026-10-01T00:00:00Z      # or a date, or ISO-8601 text; left out: the latest timestamp
datetime_format = "%m/%d/%Y"      # only when the files do not use ISO 8601
currency = "USD"                  # the basis currency the command line uses by default

[calendar]                        # or simply: calendar = "Europe/Berlin"
timezone = "Europe/Berlin"
fiscal_year_start_month = 2

[fx_rates]                        # basis-currency units per unit of each currency
EUR = "1.08"

[files]                           # file names or globs = the collection they hold
"companies.csv" = "accounts"
"nps_*.csv" = "surveys"           # several files: read as one collection, rows numbered per file

[column_map.accounts]             # the source's column name = the record field it holds
"Account ID" = "id"
"Customer Since" = "customer_since"

[constants.surveys]               # a field every row of a collection takes
kind = "nps"

[values."surveys.kind"]           # text found in a field's column = the value it stands for
"Relationship NPS" = "nps"

[targets]                         # the report's targets, by metric id, in the metric's unit
net_promoter_score = 30
customer_advocacy_rate = 0.15     # rates as fractions
```

`io.load_folder` applies ``as_of``, ``calendar``, ``datetime_format``, ``files``, ``column_map``,
``constants`` and ``values`` unless its caller gives them (see its arguments for what each does);
the command line does the same with its flags, and its ``report`` command reads ``targets``.

* ``files``: a file name, or a glob (``*``, ``?``, ``[...]``) matched against the names of the
  folder's files, to the collection it holds. A collection given files here takes no others,
  and its files are read as one (in name order, in one format), each row keeping its file and
  line in the report. A name without glob characters must be a file of the folder.
* ``constants``: per collection, a field (or an attribute, for records that have them) to the
  value every row takes: text, a number, true/false, or a TOML date. A file that also has a
  column for that field is refused.
* ``values``: per ``"collection.field"``, a text found in that field's column (blanks around it
  ignored) to the value it stands for; other text is read as it is.

Names of collections and fields are checked when the file is read: one that names nothing is
refused, naming the valid ones. Whether a constant or a mapped value suits its field is checked
when a folder is loaded, before any row is.

The file must be a regular file of UTF-8 text (a BOM allowed) of at most `MAX_SETTINGS_BYTES`,
nesting tables and arrays at most `MAX_NESTING` deep. Whatever it holds, reading it either
gives `Settings` or raises `SettingsError` naming the file and the setting.
"""

from __future__ import annotations

import codecs
import math
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from advocacy_kpis.errors import AdvocacyKpisError, ParameterError, SettingsError, shorten
from advocacy_kpis.io._files import open_regular
from advocacy_kpis.io._load import check_constants, check_files, check_values, resolve_as_of
from advocacy_kpis.io.bounds import MAX_NESTING, MAX_SETTINGS_BYTES
from advocacy_kpis.io.coerce import check_datetime_format
from advocacy_kpis.scope import Calendar, RevenueBasis, check_currency

__all__ = ["SETTINGS_FILE", "Settings", "check_constants", "check_files", "check_values", "read_settings"]

SETTINGS_FILE: Final = "advocacy.toml"
"""The settings file's name in a data folder."""

_KEYS: Final = (
    "as_of",
    "calendar",
    "currency",
    "datetime_format",
    "fx_rates",
    "files",
    "column_map",
    "constants",
    "values",
    "targets",
)


@attrs.frozen
class Settings:
    """What ``advocacy.toml`` says; every entry is optional.

    Attributes:
        as_of: when the data was extracted (a date, an aware or naive datetime, or ISO text;
            naive values are read in the calendar's time zone).
        calendar: the data set's calendar.
        currency: the basis currency to state money in.
        fx_rates: basis-currency units per unit of each other currency.
        column_map: per collection, source column name to record field.
        datetime_format: a `datetime.strptime` format for files not in ISO 8601.
        targets: the report's targets, by metric id (checked against the catalogue by the report).
        files: file name or glob to the collection it holds.
        constants: per collection, field (or attribute) to the value every row takes.
        values: per ``"collection.field"``, text found to the value it stands for.
    """

    as_of: datetime | date | str | None = None
    calendar: Calendar | None = None
    currency: str | None = None
    fx_rates: Mapping[str, Decimal] = attrs.field(factory=dict)
    column_map: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    datetime_format: str | None = None
    targets: Mapping[str, float] = attrs.field(factory=dict)
    files: Mapping[str, str] = attrs.field(factory=dict)
    constants: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    values: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


def _fail(what: str) -> SettingsError:
    return SettingsError(f"{SETTINGS_FILE}: {what}")


def _calendar(value: Any) -> Calendar:
    if isinstance(value, str):
        value = {"timezone": value}
    if not isinstance(value, Mapping):
        raise _fail(f"calendar must be a time zone name or a table. Got {shorten(value)} instead.")
    unknown = set(value) - {"timezone", "week_start", "fiscal_year_start_month"}
    if unknown:
        raise _fail(
            f"calendar has no setting {shorten(sorted(unknown)[0])} (timezone, week_start, fiscal_year_start_month)."
        )
    full = {"timezone": "UTC", "week_start": 0, "fiscal_year_start_month": 1, **value}
    try:
        return Calendar.from_dict(full)
    except AdvocacyKpisError as error:
        raise _fail(f"calendar: {error}") from None


def _rate(code: str, value: Any) -> Decimal:
    """A rate as `RevenueBasis` takes it (from 1E-12 to 1E+12), or the file's error naming it."""
    given: Any = repr(value) if isinstance(value, float) else value
    if not isinstance(given, bool) and isinstance(given, (int, str)):
        try:
            rates: dict[str, Any] = {code: given}
            return dict(RevenueBasis.arr("XXX", fx_rates=rates).fx_rates)[code]
        except ParameterError:
            pass
    raise _fail(
        f'fx_rates.{code} must be a positive number from 1E-12 to 1E+12 such as "1.08". '
        f"Got {shorten(value)} instead."
    )


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """Settings from the parsed TOML table.

    Raises:
        SourceError: an unknown key, or a value of the wrong kind.
    """
    unknown = [k for k in table if k not in _KEYS]
    if unknown:
        raise _fail(f"unknown setting {shorten(unknown[0])}; the settings are {', '.join(_KEYS)}.")
    as_of = table.get("as_of")
    if as_of is not None and not isinstance(as_of, (datetime, date, str)):
        raise _fail(f"as_of must be a date, a date-time or ISO-8601 text. Got {shorten(as_of)} instead.")
    currency = table.get("currency")
    if currency is not None and not check_currency(currency):
        raise _fail(f'currency must be an ISO 4217 code such as "USD". Got {shorten(currency)} instead.')
    fx = table.get("fx_rates", {})
    if not isinstance(fx, Mapping):
        raise _fail('fx_rates must be a table such as [fx_rates] EUR = "1.08".')
    rates = {}
    for code, value in fx.items():
        if not check_currency(code):
            raise _fail(f"fx_rates names {shorten(code)}, which is not an ISO 4217 code such as EUR.")
        rates[code] = _rate(code, value)
    column_map = table.get("column_map", {})
    if not isinstance(column_map, Mapping):
        raise _fail("column_map must be a table of tables such as [column_map.accounts].")
    for name, mapping in column_map.items():
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise _fail(
                f"column_map.{shorten(name)} must map source column names to field names (text to text), "
                f'such as "Account ID" = "id". Got {shorten(mapping)} instead.'
            )
    fmt = table.get("datetime_format")
    if fmt is not None:
        try:
            check_datetime_format(fmt)
        except AdvocacyKpisError as error:
            raise _fail(str(error)) from None
    if as_of is not None:
        try:
            resolve_as_of(as_of, Calendar())
        except AdvocacyKpisError:
            raise _fail(
                f"as_of must be a date, a date-time or ISO-8601 text such as 2026-10-01. Got {shorten(as_of)} instead."
            ) from None
    calendar = _calendar(table["calendar"]) if "calendar" in table else None
    targets = table.get("targets", {})
    if not isinstance(targets, Mapping):
        raise _fail("targets must be a table such as [targets] net_promoter_score = 30.")
    for name, value in targets.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            raise _fail(
                f"targets.{shorten(name)} must be a finite number such as 30 or 0.15. Got {shorten(value)} instead."
            )
    files, constants, values = _loading(table)
    return Settings(
        as_of,
        calendar,
        currency,
        rates,
        column_map,
        fmt,
        {k: float(v) for k, v in targets.items()},
        files,
        constants,
        values,
    )


def _loading(
    table: Mapping[str, Any],
) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The ``files``, ``constants`` and ``values`` tables, their names checked."""
    files = table.get("files", {})
    if not isinstance(files, Mapping):
        raise _fail('files must be a table such as [files] "companies.csv" = "accounts".')
    constants = table.get("constants", {})
    if not isinstance(constants, Mapping) or not all(isinstance(v, Mapping) for v in constants.values()):
        raise _fail('constants must be a table of tables such as [constants.surveys] kind = "nps".')
    values = table.get("values", {})
    if not isinstance(values, Mapping) or not all(isinstance(v, Mapping) for v in values.values()):
        raise _fail(
            'values must be a table of tables such as [values."surveys.kind"] "Relationship NPS" = "nps".'
        )
    try:
        # Names and kinds only: a value is checked against its field by the load, in its calendar.
        check_values(values, None)
        return (
            check_files(files),
            check_constants(constants, None),
            {key: dict(v) for key, v in values.items()},
        )
    except AdvocacyKpisError as error:
        raise _fail(str(error)) from None


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _depth(value: Any) -> int:
    """How deep tables and arrays nest in a parsed value (found without recursion)."""
    deepest = 0
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            break
        pending += [(child, depth + 1) for child in children]
    return deepest


def read_settings(folder: str | Path) -> Settings:
    """The settings in ``folder/advocacy.toml``, or empty settings when there is no such file.

    Raises:
        SettingsError: the file is no regular file, is too large, is not UTF-8 TOML text, nests too
            deep, or holds a setting it should not.
    """
    path = Path(folder) / SETTINGS_FILE
    if not path.exists() and not path.is_symlink():
        return Settings()
    try:
        with open_regular(path, MAX_SETTINGS_BYTES) as handle:
            data = handle.read()
    except AdvocacyKpisError as error:
        raise _fail(str(error).removeprefix(f"{SETTINGS_FILE}: ")) from None
    except OSError as error:
        raise _fail(f"cannot be read ({error.strerror or error}).") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _fail(f"not UTF-8 text (line {line}: {error.reason}); save it as UTF-8.") from None
    try:
        table = tomllib.loads(text)
    except RecursionError:
        raise _fail(f"nests tables or arrays more than {MAX_NESTING} deep.") from None
    except ValueError as error:  # TOMLDecodeError, and an integer of more than 4,300 digits
        reason = " ".join(str(error).split())
        raise _fail(f"not valid TOML ({reason if len(reason) <= 200 else shorten(reason, 200)}).") from None
    if _depth(table) > MAX_NESTING:
        raise _fail(f"nests tables or arrays more than {MAX_NESTING} deep.")
    return parse_settings(table)
