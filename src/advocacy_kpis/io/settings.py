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

[column_map.accounts]             # the source's column name = the record field it holds
"Account ID" = "id"
"Customer Since" = "customer_since"

[targets]                         # the report's targets, by metric id, in the metric's unit
net_promoter_score = 30
customer_advocacy_rate = 0.15     # rates as fractions
```

`io.load_folder` applies ``as_of``, ``calendar``, ``datetime_format`` and ``column_map`` unless
its caller gives them; the command line does the same with its flags, and its ``report`` command
reads ``targets``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import attrs

from advocacy_kpis.errors import AdvocacyKpisError, SourceError
from advocacy_kpis.scope import Calendar, check_currency

__all__ = ["SETTINGS_FILE", "Settings", "read_settings"]

SETTINGS_FILE: Final = "advocacy.toml"
"""The settings file's name in a data folder."""

_KEYS: Final = ("as_of", "calendar", "currency", "datetime_format", "fx_rates", "column_map", "targets")


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
    """

    as_of: datetime | date | str | None = None
    calendar: Calendar | None = None
    currency: str | None = None
    fx_rates: Mapping[str, Decimal] = attrs.field(factory=dict)
    column_map: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    datetime_format: str | None = None
    targets: Mapping[str, float] = attrs.field(factory=dict)


def _fail(what: str) -> SourceError:
    return SourceError(f"{SETTINGS_FILE}: {what}")


def _calendar(value: Any) -> Calendar:
    if isinstance(value, str):
        value = {"timezone": value}
    if not isinstance(value, Mapping):
        raise _fail(f"calendar must be a time zone name or a table. Got {value!r} instead.")
    unknown = set(value) - {"timezone", "week_start", "fiscal_year_start_month"}
    if unknown:
        raise _fail(
            f"calendar has no setting {sorted(unknown)[0]!r} (timezone, week_start, fiscal_year_start_month)."
        )
    full = {"timezone": "UTC", "week_start": 0, "fiscal_year_start_month": 1, **value}
    try:
        return Calendar.from_dict(full)
    except AdvocacyKpisError as error:
        raise _fail(f"calendar: {error}") from None


def _rate(code: str, value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        rate = Decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0:
        raise _fail(f'fx_rates.{code} must be a positive number such as "1.08". Got {value!r} instead.')
    return rate


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """Settings from the parsed TOML table.

    Raises:
        SourceError: an unknown key, or a value of the wrong kind.
    """
    unknown = [k for k in table if k not in _KEYS]
    if unknown:
        raise _fail(f"unknown setting {unknown[0]!r}; the settings are {', '.join(_KEYS)}.")
    as_of = table.get("as_of")
    if as_of is not None and not isinstance(as_of, (datetime, date, str)):
        raise _fail(f"as_of must be a date, a date-time or ISO-8601 text. Got {as_of!r} instead.")
    currency = table.get("currency")
    if currency is not None and not check_currency(currency):
        raise _fail(f'currency must be an ISO 4217 code such as "USD". Got {currency!r} instead.')
    fx = table.get("fx_rates", {})
    if not isinstance(fx, Mapping):
        raise _fail('fx_rates must be a table such as [fx_rates] EUR = "1.08".')
    rates = {}
    for code, value in fx.items():
        if not check_currency(code):
            raise _fail(f"fx_rates names {code!r}, which is not an ISO 4217 code such as EUR.")
        rates[code] = _rate(code, value)
    column_map = table.get("column_map", {})
    if not isinstance(column_map, Mapping):
        raise _fail("column_map must be a table of tables such as [column_map.accounts].")
    fmt = table.get("datetime_format")
    if fmt is not None and not isinstance(fmt, str):
        raise _fail(f'datetime_format must be text such as "%m/%d/%Y". Got {fmt!r} instead.')
    calendar = _calendar(table["calendar"]) if "calendar" in table else None
    targets = table.get("targets", {})
    if not isinstance(targets, Mapping):
        raise _fail("targets must be a table such as [targets] net_promoter_score = 30.")
    for name, value in targets.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(f"targets.{name} must be a number such as 30 or 0.15. Got {value!r} instead.")
    return Settings(
        as_of, calendar, currency, rates, column_map, fmt, {k: float(v) for k, v in targets.items()}
    )


def read_settings(folder: str | Path) -> Settings:
    """The settings in ``folder/advocacy.toml``, or empty settings when there is no such file.

    Raises:
        SourceError: the file is not valid TOML or holds a setting it should not.
    """
    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise _fail(f"not valid TOML ({error}).") from None
    except OSError as error:
        raise _fail(f"cannot be read ({error.strerror or error}).") from None
    return parse_settings(table)
