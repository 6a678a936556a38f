"""The exception hierarchy: every error the library raises derives from AdvocacyKpisError."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "AdvocacyKpisError",
    "CalendarMismatchError",
    "CurrencyMismatchError",
    "DuplicateIdError",
    "EngineNotSupportedError",
    "IncomparableResultsError",
    "InvalidRecordError",
    "LoadError",
    "MissingExtraError",
    "ParameterError",
    "PayloadError",
    "SchemaVersionError",
    "SegmentNotApplicableError",
    "SettingsError",
    "SourceError",
    "UnknownMetricAttributeError",
    "UnknownMetricError",
    "UnknownReferenceError",
    "shorten",
    "shorten_joined",
]

SHOWN_CHARACTERS = 120
"""How much of a bad value an error message shows: enough to recognise it, never megabytes of it."""


def shorten(value: Any, limit: int = SHOWN_CHARACTERS) -> str:
    """The ``repr`` of ``value`` for an error message, cut to about ``limit`` characters.

    A long string is cut before its ``repr`` is built, so a 5 MB value never costs a 5 MB
    message; what was cut is said, with the full length.

    Examples:
        >>> shorten("acme")
        "'acme'"
        >>> shorten("x" * 1_000_000, limit=10)
        "'xxxxxxxxxx'... (1000000 characters)"
        >>> shorten("\\x1f" * 30, limit=12)
        "'\\\\x1f\\\\x1f\\\\x1f... (30 characters)"
        >>> shorten(list(range(100)), limit=12)
        '[0, 1, 2, 3,... (390 characters)'
    """
    if isinstance(value, str):
        # Escapes can make the repr of a few characters several times as long: cut it too.
        text = repr(value[:limit])
        if len(text) > limit + 2:
            return f"{text[: limit + 1]}... ({len(value)} characters)"
        return text if len(value) <= limit else f"{text}... ({len(value)} characters)"
    if isinstance(value, (bytes, bytearray)) and len(value) > limit:
        return f"{bytes(value[:limit])!r}... ({len(value)} bytes)"
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the error being reported
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text)} characters)"
    return text


def shorten_joined(items: Iterable[Any], separator: str = ", ", limit: int = SHOWN_CHARACTERS) -> str:
    """Items joined by ``separator``, each as `shorten` shows it, cut at about ``limit`` characters.

    Only the items shown are looked at, so a list of a million long ids costs what it shows.

    Examples:
        >>> shorten_joined(["c1", "c2", "c1"], " -> ")
        "'c1' -> 'c2' -> 'c1'"
        >>> shorten_joined([f"id-{i}" for i in range(1000)], limit=30)
        "'id-0', 'id-1', 'id-2', 'id-3', ... (1000 in all)"
    """
    shown: list[str] = []
    length = 0
    count = 0
    for item in items:
        count += 1
        if length <= limit:  # past the limit, items are counted, not shown
            text = shorten(item, limit)
            shown.append(text)
            length += len(text) + len(separator)
    if len(shown) < count:
        return f"{separator.join(shown)}{separator}... ({count} in all)"
    return separator.join(shown)


class AdvocacyKpisError(Exception):
    """Root of every error raised by advocacy_kpis."""


def _plain(value: Any) -> str:
    """A short string as it is, anything else through `shorten`."""
    return value if isinstance(value, str) and len(value) <= SHOWN_CHARACTERS else shorten(value)


class InvalidRecordError(AdvocacyKpisError, ValueError):
    """A record field holds a value outside what the field accepts.

    Attributes:
        record: what the record is, e.g. ``"SurveyResponse 's-17'"`` or ``"row 12"``.
        field: the offending field's name.
        value: the value received.
        expected: what the field accepts, in words.
    """

    def __init__(self, record: str, field: str, value: Any, expected: str) -> None:
        self.record = record
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{record}: field '{field}' must be {expected}. Got {shorten(value)} instead.")


class DuplicateIdError(InvalidRecordError):
    """Two records of one kind share an id."""


class UnknownReferenceError(InvalidRecordError):
    """A record points to an account (or other record) that the data set does not hold."""


SHOWN_VALUE_LENGTH = 80
"""How many characters of a value a load report shows at most."""


WHOLE_ROW = "(row)"
"""The `LoadError.field` of a row refused as a whole (too many cells, a JSON line that is no object)."""


class LoadError(InvalidRecordError):
    """A row of a file or table that cannot become a record, as strict loading reports it.

    Attributes:
        source: the file (``referrals.csv``) or table name the row came from.
        row: the row's number: the line in a CSV or JSON-lines file (the header is line 1),
            the 0-based index in a table, a Parquet file or a list of rows.
        row_kind: ``"line"`` or ``"row index"``, saying which of the two ``row`` is.
        column: the source's own column name when it differs from ``field``.

    ``field`` is `WHOLE_ROW` when the row as a whole is at fault.
    """

    def __init__(
        self,
        source: str,
        row: int,
        field: str,
        value: Any,
        expected: str,
        *,
        row_kind: str = "line",
        column: str | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.row_kind = row_kind
        self.column = column
        self.record = f"{source} {row_kind} {row}"
        self.field = field
        self.value = value
        self.expected = expected
        if field == WHOLE_ROW:
            named = "the row"
        elif column in (None, field):
            named = f"field {shorten(field)}"
        else:
            named = f"field {shorten(field)} (column {shorten(column)})"
        ValueError.__init__(self, f"{self.record}: {named} must be {expected}. Got {shorten(value)} instead.")


class SourceError(AdvocacyKpisError, ValueError):
    """A folder, file or table that cannot be read as a source of records at all.

    Raised for what no single row explains: a missing folder, an unreadable file, a file without
    a header, two files for one collection, a column map that names an unknown collection.
    """


class SettingsError(SourceError):
    """A data folder's settings file (``advocacy.toml``) that cannot be read or holds a bad setting.

    The message starts with the file's name and names the setting, the value (shortened) and
    what was expected.
    """


class CurrencyMismatchError(AdvocacyKpisError, ValueError):
    """Money in two currencies met without an exchange rate between them."""

    def __init__(self, found: str, expected: str, where: str = "") -> None:
        self.found = found
        self.expected = expected
        place = f" ({where})" if where else ""
        code, basis = _plain(found), _plain(expected)
        super().__init__(
            f"Cannot combine {code} with {basis}{place}: give the revenue basis an FX rate for {code}, "
            f"e.g. RevenueBasis.arr({shorten(expected)}, fx_rates={{{shorten(found)}: Decimal('...')}})."
        )


class ParameterError(AdvocacyKpisError, ValueError):
    """A function was called with a parameter value it does not accept."""

    def __init__(self, parameter: str, function: str, expected: str, got: Any) -> None:
        self.parameter = parameter
        self.function = function
        self.expected = expected
        self.got = got
        # A command-line flag is spoken of as a flag, in the user's terms.
        what = f"The {parameter} flag" if parameter.startswith("--") else f"The '{parameter}' parameter"
        super().__init__(f"{what} of {function} must be {expected}. Got {shorten(got)} instead.")


class SegmentNotApplicableError(ParameterError):
    """A segment was asked of a metric whose records carry no attribute it could match."""


class CalendarMismatchError(ParameterError):
    """A window built on one calendar was used with a data set on another.

    Shifting the window's boundaries silently would measure another span than the one asked
    for, so the two calendars are named instead.

    Attributes:
        window_calendar: the window's calendar, described.
        data_calendar: the data set's calendar, described.
    """

    def __init__(self, function: str, window_calendar: str, data_calendar: str) -> None:
        self.parameter = "window"
        self.function = function
        self.expected = f"a window on the data set's calendar ({data_calendar})"
        self.got = window_calendar
        self.window_calendar = window_calendar
        self.data_calendar = data_calendar
        AdvocacyKpisError.__init__(
            self,
            f"The 'window' parameter of {function} is on another calendar than the data set: the "
            f"window is on {window_calendar}, the data set on {data_calendar}. Build the window "
            "with the data set's calendar, e.g. Window.quarter(2026, 3, data.calendar).",
        )


class IncomparableResultsError(AdvocacyKpisError, ValueError):
    """Two results were compared that do not measure the same thing on the same footing.

    The message names what differs (metric, definition version, parameters, segment, basis,
    calendar or window length) and both values.
    """


class UnknownMetricError(AdvocacyKpisError, KeyError):
    """No metric with that id is in the catalogue."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown metric"


class UnknownMetricAttributeError(UnknownMetricError, AttributeError):
    """A name looked up on `advocacy_kpis.metrics` that is no metric function there.

    An `AttributeError` too, so ``hasattr`` and ``getattr(metrics, name, default)`` behave as
    they do on any module; the message names the closest metric ids.
    """


class PayloadError(AdvocacyKpisError, ValueError):
    """A serialised result or scorecard row that cannot be read back.

    Attributes:
        path: where in the payload, as a JSONPath: ``$.interval.low``, ``$[3].result.value``.
        value: the value found there (None when the key is missing).
        expected: what the path must hold, in words.
        missing: whether the key is missing altogether.
    """

    def __init__(self, path: str, value: Any, expected: str, *, missing: bool = False) -> None:
        self.path = path
        self.value = value
        self.expected = expected
        self.missing = missing
        if missing:
            super().__init__(f"{path} is missing: it must be {expected}.")
        else:
            super().__init__(f"{path} must be {expected}. Got {shorten(value)} instead.")


class SchemaVersionError(PayloadError):
    """A payload written under a schema version this release does not read."""


class EngineNotSupportedError(AdvocacyKpisError, NotImplementedError):
    """A metric (or a variant of it) that an engine cannot compute yet.

    Attributes:
        metric: the metric id.
        engine: the engine's name (``polars``, ``duckdb``, ``pyspark``...).
        reason: why, and what to do instead.
    """

    def __init__(self, metric: str, engine: str, reason: str) -> None:
        self.metric = metric
        self.engine = engine
        self.reason = reason
        super().__init__(
            f"{metric} cannot be computed on the {engine} engine yet: {reason}. "
            "Compute it on the records instead (scorecard(..., engine='python') or tables.to_data())."
        )


class MoneyOverflowError(AdvocacyKpisError, ValueError):
    """A money column whose sums could pass 38 digits, so an engine cannot sum it exactly.

    Attributes:
        collection: the collection.
        column: the column.
    """

    def __init__(self, collection: str, column: str, scale: int, largest: Any, rows: int) -> None:
        self.collection = collection
        self.column = column
        super().__init__(
            f"Column {collection}.{column} cannot be summed exactly: {rows} rows of up to "
            f"{shorten(str(largest))} at {scale} decimal places could pass the 38 digits a Decimal sum "
            "keeps. Store it with fewer decimal places (cents need 2), or compute on the records "
            "(tables.to_data())."
        )


class MissingExtraError(AdvocacyKpisError, ImportError):
    """An optional dependency is needed; the message names the extra that provides it."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}': "
            f"install it with pip install 'advocacy-kpis[{extra}]'."
        )
