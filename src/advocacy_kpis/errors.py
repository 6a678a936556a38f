"""The exception hierarchy: every error the library raises derives from AdvocacyKpisError."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdvocacyKpisError",
    "CurrencyMismatchError",
    "DuplicateIdError",
    "IncomparableResultsError",
    "InvalidRecordError",
    "LoadError",
    "MissingExtraError",
    "ParameterError",
    "SegmentNotApplicableError",
    "SourceError",
    "UnknownMetricError",
    "UnknownReferenceError",
]


class AdvocacyKpisError(Exception):
    """Root of every error raised by advocacy_kpis."""


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
        super().__init__(f"{record}: field '{field}' must be {expected}. Got {value!r} instead.")


class DuplicateIdError(InvalidRecordError):
    """Two records of one kind share an id."""


class UnknownReferenceError(InvalidRecordError):
    """A record points to an account (or other record) that the data set does not hold."""


SHOWN_VALUE_LENGTH = 80
"""How many characters of a value an error message or a load report shows at most."""


def shorten(value: Any, limit: int = SHOWN_VALUE_LENGTH) -> str:
    """The ``repr`` of ``value``, cut to ``limit`` characters so one huge cell cannot flood a message.

    Examples:
        >>> shown = shorten("x" * 500)
        >>> shown[:4], shown[-20:], len(shown) <= 80
        ("'xxx", '... (502 characters)', True)
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    suffix = f"... ({len(text)} characters)"
    return text[: limit - len(suffix)] + suffix


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
            named = f"field '{field}'"
        else:
            named = f"field '{field}' (column '{column}')"
        ValueError.__init__(self, f"{self.record}: {named} must be {expected}. Got {shorten(value)} instead.")


class SourceError(AdvocacyKpisError, ValueError):
    """A folder, file or table that cannot be read as a source of records at all.

    Raised for what no single row explains: a missing folder, an unreadable file, a file without
    a header, two files for one collection, a column map that names an unknown collection.
    """


class CurrencyMismatchError(AdvocacyKpisError, ValueError):
    """Money in two currencies met without an exchange rate between them."""

    def __init__(self, found: str, expected: str, where: str = "") -> None:
        self.found = found
        self.expected = expected
        place = f" ({where})" if where else ""
        super().__init__(
            f"Cannot combine {found} with {expected}{place}: give the revenue basis an FX rate "
            f"for {found}, e.g. RevenueBasis.arr({expected!r}, fx_rates={{{found!r}: Decimal('...')}})."
        )


class ParameterError(AdvocacyKpisError, ValueError):
    """A function was called with a parameter value it does not accept."""

    def __init__(self, parameter: str, function: str, expected: str, got: Any) -> None:
        self.parameter = parameter
        self.function = function
        self.expected = expected
        self.got = got
        super().__init__(
            f"The '{parameter}' parameter of {function} must be {expected}. Got {got!r} instead."
        )


class SegmentNotApplicableError(ParameterError):
    """A segment was asked of a metric whose records carry no attribute it could match."""


class IncomparableResultsError(AdvocacyKpisError, ValueError):
    """Two results were compared whose metric, segment, basis or window length differ."""


class UnknownMetricError(AdvocacyKpisError, KeyError):
    """No metric with that id is in the catalogue."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown metric"


class MissingExtraError(AdvocacyKpisError, ImportError):
    """An optional dependency is needed; the message names the extra that provides it."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}': "
            f"install it with pip install 'advocacy-kpis[{extra}]'."
        )
