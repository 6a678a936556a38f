"""The exception hierarchy: every error the library raises derives from AdvocacyKpisError."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdvocacyKpisError",
    "CurrencyMismatchError",
    "DuplicateIdError",
    "IncomparableResultsError",
    "InvalidRecordError",
    "MissingExtraError",
    "ParameterError",
    "SegmentNotApplicableError",
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
