"""The coercion rules: how one cell of a file or a table becomes the value of a record field.

Every loader in `advocacy_kpis.io` applies these rules and no others; the table on the
documentation's "Your data" page lists them. A converter returns the field's value, ``None`` for
a missing cell, or raises `Refused` with what the field expects, which the loader turns into a
rejected row (or, in strict mode, a `LoadError`).

Missing: ``None``, NaN (float, numpy or Decimal), pandas ``NaT`` and ``NA``, numpy ``NaT``, and
text that is empty or only blanks.

Every converter holds a cell to the limits of `advocacy_kpis.io.bounds`: text of at most
`MAX_CELL_LENGTH` characters, numbers of at most `MAX_DIGITS` digits written in ASCII digits
(no ``1_000``, no ``١٢``), JSON nested at most `MAX_NESTING` deep. Beyond them a cell is refused
like any other bad cell.

Examples:
    >>> from decimal import Decimal
    >>> to_money("0.1"), to_money(0.1), to_int("9"), to_bool("Yes"), to_text("   ")
    (Decimal('0.1'), Decimal('0.1'), 9, True, None)
    >>> from advocacy_kpis.records import SurveyKind
    >>> enum_converter(SurveyKind)("NPS")
    <SurveyKind.NPS: 'nps'>
"""

from __future__ import annotations

import enum
import json
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from advocacy_kpis.errors import ParameterError, SourceError, shorten
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH, MAX_DIGITS, MAX_NESTING
from advocacy_kpis.records import Asset
from advocacy_kpis.scope import Calendar

__all__ = [
    "FORMULA_STARTS",
    "Converter",
    "OutOfRange",
    "Refused",
    "Undecodable",
    "attribute_column_converter",
    "check_datetime_format",
    "enum_converter",
    "format_hint",
    "instant_converter",
    "is_missing",
    "nests_too_deep",
    "to_assets",
    "to_attribute",
    "to_bool",
    "to_float",
    "to_int",
    "to_mapping",
    "to_money",
    "to_text",
    "unquote_formula",
]

Converter = Callable[[Any], Any]
"""A function from one cell to a field's value (None when missing); raises `Refused`."""

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula when the cell begins with one."""

_QUOTED: Final = (*FORMULA_STARTS, "'")


class OutOfRange(str):
    """A timestamp cell of a typed source that no Python datetime can hold (beyond the year 9999).

    Its text says what the source held; the instant converter refuses it.
    """

    __slots__ = ()


class Undecodable:
    """A text cell of a typed source whose bytes are not UTF-8 (a Parquet string column can hold them).

    Every converter refuses it, so one such cell refuses its row and not the whole file.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"<not UTF-8: {shorten(self.data, 40)}>"


class Refused(Exception):  # noqa: N818 - a refusal, not a failure of the library
    """A cell that a converter does not accept; ``expected`` says what it would accept."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


TOO_LONG: Final = f"text of at most {MAX_CELL_LENGTH:,} characters"
_INT_LIMIT: Final = 10**MAX_DIGITS


def _check_length(text: str) -> str:
    if len(text) > MAX_CELL_LENGTH:
        raise Refused(TOO_LONG)
    return text


def _whole(value: int, expected: str) -> int:
    """``value``, unless it has more than `MAX_DIGITS` digits."""
    if -_INT_LIMIT < value < _INT_LIMIT:
        return value
    raise Refused(f"{expected}, of at most {MAX_DIGITS} digits")


def _plain_digits(amount: Decimal) -> int:
    """How many digits ``amount`` has written out without an exponent (``1E+3`` has four)."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # the caller has checked that the amount is finite
    if not any(digits):
        return 1 + max(-exponent, 0)
    return max(len(digits) + exponent, 1) + max(-exponent, 0)


def _bounded(amount: Decimal, expected: str) -> Decimal:
    """A finite ``amount`` of at most `MAX_DIGITS` digits written out, else refused."""
    if not amount.is_finite():
        raise Refused(expected)
    if _plain_digits(amount) > MAX_DIGITS:
        raise Refused(f"{expected}, of at most {MAX_DIGITS} digits written out")
    return amount


# A number as text: ASCII digits, one optional decimal point and exponent. Python's own readers
# also take underscores (1_000) and the digits of every script (١٢, １２), which a file's number
# never holds; this is what they may take here.
_NUMBER_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number_text(text: str, expected: str) -> Decimal:
    """Text that is a number, as an exact Decimal of at most `MAX_DIGITS` digits; else refused."""
    stripped = _check_length(text).strip()
    if not _NUMBER_TEXT.fullmatch(stripped):
        raise Refused(expected)
    # A long exponent is refused before Decimal reads it, whatever its value.
    if len(stripped) > 4 * MAX_DIGITS:
        raise Refused(f"{expected}, of at most {MAX_DIGITS} digits written out")
    return _bounded(Decimal(stripped), expected)


def _numpy_kind(value: Any) -> str:
    """``"bool"``, ``"nat"`` or ``""`` for numpy and pandas scalars the generic checks miss."""
    name = type(value).__name__
    if name in ("bool_", "bool"):
        return "bool"
    if name in ("NaTType", "NAType"):
        return "nat"
    if name in ("datetime64", "timedelta64") and str(value) == "NaT":
        return "nat"
    return ""


def is_missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN, NaT, pandas NA, or empty or blank text.

    Examples:
        >>> [is_missing(v) for v in (None, "", "  ", float("nan"), 0, "0", False)]
        [True, True, True, True, False, False, False]
    """
    if value is None:
        return True
    kind = type(value)
    if kind is str:
        return not value or value.isspace()
    if kind is float:
        return bool(value != value)
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, float) or (
        isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
    ):
        return bool(value != value)
    return _numpy_kind(value) == "nat"


def unquote_formula(text: str) -> str:
    """Undo `csv_safe`: drop a leading ``'`` that precedes ``=``, ``+``, ``-``, ``@``, tab, CR or ``'``.

    Any other leading ``'`` is the cell's own text and stays.

    Examples:
        >>> unquote_formula("'=SUM(A1:A3)"), unquote_formula("'tis"), unquote_formula("''quoted")
        ('=SUM(A1:A3)', "'tis", "'quoted")
    """
    if text[:1] == "'" and text[1:2] in _QUOTED and text[1:2]:
        return text[1:]
    return text


_TEXT: Final = "text (or a whole number, read as its digits)"


def to_text(value: Any) -> str | None:
    """Text as it is; a whole number (also a numpy integer or a whole float) as its digits.

    Raises:
        Refused: a bool, a fractional number, a date or anything else.
    """
    if type(value) is str:
        return _check_length(value) if value and not value.isspace() else None
    if value is None or is_missing(value):
        return None
    if isinstance(value, str):
        return _check_length(str(value))
    if isinstance(value, bool) or _numpy_kind(value) == "bool":
        raise Refused(_TEXT)
    if isinstance(value, numbers.Integral):
        return str(_whole(int(value), "a whole number"))
    if isinstance(value, Decimal) and value.is_finite():
        whole = _bounded(value, "a whole number")
        if whole == whole.to_integral_value():
            return str(int(whole))
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(_whole(int(value), "a whole number"))
    raise Refused(_TEXT)


_INTEGER: Final = "a whole number"
_INT_TEXT: Final = re.compile(rf"\s*[+-]?[0-9]{{1,{MAX_DIGITS}}}\s*")


def to_int(value: Any) -> int | None:
    """A whole number: an int, a numpy integer, a whole float or Decimal, or text such as ``9`` or ``9.0``.

    Raises:
        Refused: a bool, a fraction, or text that is not a whole number.
    """
    if type(value) is int:
        return _whole(value, _INTEGER)
    if value is None or is_missing(value):
        return None
    if isinstance(value, bool) or _numpy_kind(value) == "bool":
        raise Refused(_INTEGER)
    if isinstance(value, numbers.Integral):
        return _whole(int(value), _INTEGER)
    if isinstance(value, str):
        if len(value) <= MAX_DIGITS + 8 and _INT_TEXT.fullmatch(value):
            return int(value)
        value = _number_text(value, _INTEGER)
    if isinstance(value, Decimal) and value.is_finite():
        whole = _bounded(value, _INTEGER)
        if whole == whole.to_integral_value():
            return int(whole)
    elif isinstance(value, float) and math.isfinite(value) and value == int(value):
        return _whole(int(value), _INTEGER)
    raise Refused(_INTEGER)


_NUMBER: Final = "a number"


def to_float(value: Any) -> float | None:
    """A number as a float (for ratings, never for money): ints, floats, Decimals and numeric text.

    Raises:
        Refused: a bool, infinity, or text that is not a number.
    """
    if type(value) is float:
        if value != value:
            return None
        if math.isinf(value):
            raise Refused(_NUMBER)
        return value
    if value is None or is_missing(value):
        return None
    if isinstance(value, bool) or _numpy_kind(value) == "bool":
        raise Refused(_NUMBER)
    if isinstance(value, str):
        value = _number_text(value, _NUMBER)
    if isinstance(value, Decimal):
        value = float(value) if value.is_finite() else math.inf
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return float(value)
    raise Refused(_NUMBER)


_MONEY: Final = "an amount such as 1200.50 (digits and a decimal point, no symbols or thousands separators)"


def to_money(value: Any) -> Decimal | None:
    """An exact `Decimal`, never computed through a float.

    Text is read digit for digit (``"0.10"`` stays ``Decimal('0.10')``). A float cell (what a
    spreadsheet or a data frame holds) is read from its shortest round-tripping text, its
    ``repr``: the float ``0.1`` becomes ``Decimal('0.1')``, not the 55-digit binary value
    ``Decimal(0.1)`` would give.

    Raises:
        Refused: a bool, infinity, or text that is not a plain number.

    Examples:
        >>> to_money(1200), to_money("1200.50"), to_money(0.1 + 0.2)
        (Decimal('1200'), Decimal('1200.50'), Decimal('0.30000000000000004'))
    """
    if isinstance(value, str):
        if not value or value.isspace():
            return None
        return _number_text(value, _MONEY)
    if value is None or is_missing(value):
        return None
    if isinstance(value, bool) or _numpy_kind(value) == "bool":
        raise Refused(_MONEY)
    if isinstance(value, Decimal):
        return _bounded(value, _MONEY)
    if isinstance(value, numbers.Integral):
        return Decimal(_whole(int(value), _MONEY))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise Refused(_MONEY)
        return _bounded(Decimal(repr(number)), _MONEY)
    raise Refused(_MONEY)


_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})
_BOOLEAN: Final = "true or false (also yes/no or 1/0, in any case)"


def to_bool(value: Any) -> bool | None:
    """True or False from a bool, a numpy bool, 1 or 0, or text true/false, yes/no, 1/0 in any case.

    Raises:
        Refused: any other value.
    """
    if value is True or value is False:
        return value
    if value is None or is_missing(value):
        return None
    if isinstance(value, str):
        lowered = _check_length(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise Refused(_BOOLEAN)
    if _numpy_kind(value) == "bool":
        return bool(value)
    if isinstance(value, (numbers.Real, Decimal)) and value in (0, 1):
        return bool(value == 1)
    raise Refused(_BOOLEAN)


def enum_converter(kind: type[enum.Enum]) -> Converter:
    """A converter to a member of ``kind``, matching its values without regard to case."""
    members: dict[str, enum.Enum] = {str(m.value).lower(): m for m in kind}
    expected = f"one of {', '.join(repr(m.value) for m in kind)} (in any case)"

    def convert(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if value is None or is_missing(value):
            return None
        if isinstance(value, str) and len(value) <= MAX_CELL_LENGTH:
            found = members.get(value.strip().lower())
            if found is not None:
                return found
        raise Refused(expected)

    return convert


_ASSET: Final = enum_converter(Asset)
_ASSETS: Final = "a list of assets such as reference|case_study"
_ASSET_SPLIT: Final = re.compile(r"[|,;]")


def to_assets(value: Any) -> tuple[Asset, ...] | None:
    """A list of assets: a list or array of asset names, or text such as ``reference|case_study``.

    Text may separate names with ``|``, ``,`` or ``;``.

    Raises:
        Refused: a name that is not an asset.
    """
    if value is None:
        return None
    if isinstance(value, str):
        items: Sequence[Any] = [p for p in _ASSET_SPLIT.split(_check_length(value)) if p.strip()]
    elif isinstance(value, (list, tuple)):
        items = value
    elif is_missing(value):
        return None
    else:
        # A numpy array (or pandas array) lists its items; a numpy scalar's tolist() is no list.
        listed = value.tolist() if hasattr(value, "tolist") else None
        if not isinstance(listed, list):
            raise Refused(_ASSETS)
        items = listed
    return tuple(_ASSET(item) for item in items)


_IN_RANGE: Final = "an instant within the years 1 to 9999 in UTC"
_INSTANT_TEXT: Final = "an ISO-8601 date or date-time such as 2026-07-01 or 2026-07-01T09:30:00+02:00"


def instant_converter(calendar: Calendar, datetime_format: str | None = None) -> Converter:
    """A converter to an aware UTC datetime, reading dates and naive times in ``calendar``'s zone.

    * An aware datetime (also a pandas ``Timestamp``) is kept, in UTC.
    * A ``date``, or text with a date and no time, means midnight of that day in the calendar's
      time zone; a datetime or text without a UTC offset is wall-clock time in that zone.
    * Text is read as ISO 8601, unless ``datetime_format`` (a `datetime.strptime` format such
      as ``"%m/%d/%Y"``) is given: then text is read with that format and no other. No other
      format is ever guessed: ``07/01/2026`` is July or January only when you say which.
    * Numbers (epoch seconds? milliseconds?) are refused for the same reason.

    Raises:
        Refused: text that does not parse, a number, or anything else.
    """
    zone = calendar.timezone
    expected = _INSTANT_TEXT if datetime_format is None else f"a date-time in the format {datetime_format!r}"
    midnights: dict[str, datetime] = {}

    def from_datetime(value: datetime) -> datetime:
        if type(value) is not datetime and hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        try:
            if value.tzinfo is None or value.utcoffset() is None:
                value = value.replace(tzinfo=zone)
            return value if value.tzinfo is UTC else value.astimezone(UTC)
        except OverflowError:
            raise Refused(_IN_RANGE) from None

    def midnight(day: date) -> datetime:
        try:
            return calendar.midnight(day)
        except ParameterError:
            raise Refused(_IN_RANGE) from None

    def from_text(text: str) -> datetime:
        if len(text) > MAX_CELL_LENGTH:
            raise Refused(TOO_LONG)
        if datetime_format is not None:
            if not text.isascii() and any(c.isdigit() and not c.isascii() for c in text):
                # strptime reads the digits of every script; a file's dates are in ASCII digits.
                raise Refused(expected)
            try:
                # A result without an offset is wall-clock time in the calendar's zone (from_datetime).
                return from_datetime(datetime.strptime(text.strip(), datetime_format))  # noqa: DTZ007
            except ValueError:
                raise Refused(expected) from None
        stripped = text.strip()
        if len(stripped) <= 10 and ":" not in stripped:
            found = midnights.get(stripped)
            if found is None:
                try:
                    found = midnight(date.fromisoformat(stripped))
                except ValueError:
                    raise Refused(expected + format_hint(stripped)) from None
                midnights[stripped] = found
            return found
        try:
            parsed = datetime.fromisoformat(stripped)
        except ValueError:
            raise Refused(expected + format_hint(stripped)) from None
        return parsed if parsed.tzinfo is UTC else from_datetime(parsed)

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if not value or value.isspace():
                return None
            return from_text(value)
        if kind is OutOfRange:
            raise Refused(_IN_RANGE)
        if kind is datetime:
            return value if value.tzinfo is UTC else from_datetime(value)
        if value is None or is_missing(value):
            return None
        if isinstance(value, str):
            return from_text(str(value))
        if isinstance(value, datetime):
            return from_datetime(value)
        if isinstance(value, date):
            return midnight(value)
        if type(value).__name__ == "datetime64":
            return from_datetime(value.astype("datetime64[us]").item())
        raise Refused(expected)

    return convert


# Dates as spreadsheets and CRMs write them: 07/20/2026, 20.07.2026, 2026/07/20, Jul 20, 2026.
_NUMERIC_DATE: Final = re.compile(
    r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{2,4})(?:[ T,]+\d{1,2}:\d{2}.*)?", re.ASCII
)
_NAMED_DATE: Final = re.compile(
    r"(?:[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4})(?:[ T,]+\d{1,2}:\d{2}.*)?", re.ASCII
)


def format_hint(text: str) -> str:
    """For text that looks like a date in another format than ISO 8601, a hint naming ``datetime_format``.

    Only the shape is read, to say which setting to use and a format of that shape; the
    format is never guessed for the user (``07/08/2026`` is July or August as they say).

    Examples:
        >>> format_hint("07/20/2026").split(", the")[0]
        "; for dates written like this, name their format: datetime_format='%m/%d/%Y' (or '%d/%m/%Y')"
        >>> format_hint("20 July 2026").split(", the")[0]
        "; for dates written like this, name their format: datetime_format='%d %B %Y'"
        >>> format_hint("2026-13-01"), format_hint("soon")
        ('', '')
    """
    numeric = _NUMERIC_DATE.fullmatch(text)
    if numeric is not None:
        first, separator, _, last = numeric.groups()
        timed = " %H:%M" if ":" in text else ""
        if len(first) == 4 and separator == "-":
            return ""  # ISO 8601's shape: the date itself is wrong, not its format
        if len(first) == 4:
            example = f"'%Y{separator}%m{separator}%d{timed}'"
        elif len(last) in (2, 4):
            year = "%Y" if len(last) == 4 else "%y"
            month_first = f"%m{separator}%d{separator}{year}{timed}"
            day_first = f"%d{separator}%m{separator}{year}{timed}"
            example = (
                f"'{day_first}' (or '{month_first}')"
                if separator == "."
                else (f"'{month_first}' (or '{day_first}')")
            )
        else:
            return ""
    elif _NAMED_DATE.fullmatch(text) is not None:
        month = "%b" if len(re.sub(r"[^A-Za-z]", "", text.split(" ")[text[0].isdigit()])) == 3 else "%B"
        example = f"'{month} %d, %Y'" if text[0].isalpha() else f"'%d {month} %Y'"
    else:
        return ""
    return (
        f"; for dates written like this, name their format: datetime_format={example}, "
        "the command line's --datetime-format, advocacy.toml's datetime_format"
    )


_ATTRIBUTE: Final = "text, a whole number or true/false"


def to_attribute(value: Any) -> str | bool | int | None:
    """A segmenting attribute from a typed source (JSON, a data frame, Parquet), its type kept.

    Text stays text, a bool a bool, an integer an int (numpy's too). A float that is a whole
    number becomes an int (a data frame turns an integer column with gaps into floats); another
    float becomes its text, since segments match exact values. A date or datetime becomes its
    ISO-8601 text.

    Raises:
        Refused: a list, a mapping, or another value that is none of those.
    """
    kind = type(value)
    if kind is str:
        return _check_length(value) if value.strip() else None
    if kind is bool:
        return bool(value)
    if kind is int:
        return _whole(value, "a whole number")
    if value is None or is_missing(value):
        return None
    if isinstance(value, str):
        return _check_length(str(value))
    if isinstance(value, bool) or _numpy_kind(value) == "bool":
        return bool(value)
    if isinstance(value, numbers.Integral):
        return _whole(int(value), "a whole number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Refused(_ATTRIBUTE)
        number = _bounded(value, "a number")
        return int(number) if number == number.to_integral_value() else str(number)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refused(_ATTRIBUTE)
        return _whole(int(value), "a whole number") if value == int(value) else str(value)
    if isinstance(value, numbers.Real):
        return to_attribute(float(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise Refused(_ATTRIBUTE)


# At most MAX_DIGITS digits: a longer run of digits is text (an id, a code), not a count.
_WHOLE: Final = re.compile(rf"[+-]?(0|[1-9][0-9]{{0,{MAX_DIGITS - 1}}})")
_TRUE_FALSE: Final = frozenset({"true", "false"})


def attribute_column_converter(cells: Sequence[str | None]) -> Converter:
    """The converter for a column of CSV text that is not a record field, chosen from all its cells.

    A CSV cell has no type, so the column decides: when every non-missing cell is a whole number
    written without leading zeros (``5``, ``-3``, ``0``) the column holds ints; when every one is
    ``true`` or ``false`` (any case) it holds bools; otherwise text. So ``seats`` is a number and
    ``zip`` codes such as ``01234`` stay text.

    Examples:
        >>> attribute_column_converter(["5", "", "12"])("5")
        5
        >>> attribute_column_converter(["01234", "5"])("5")
        '5'
    """
    present = [c for c in cells if c is not None and c.strip()]
    if present and all(_WHOLE.fullmatch(c.strip()) for c in present):
        return to_int
    if present and all(c.strip().lower() in _TRUE_FALSE for c in present):
        return to_bool
    return to_text


def to_mapping(value: Any) -> Mapping[str, Any] | None:
    """An ``attributes`` column given as a mapping (a JSON object or its text); None when missing.

    Raises:
        Refused: anything but a mapping or the text of a JSON object.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if nests_too_deep(_check_length(value)):
            raise Refused(f"{_OBJECT} nested at most {MAX_NESTING} deep")
        try:
            value = json.loads(value)
        except ValueError:  # also a number of more than 4,300 digits
            raise Refused(_OBJECT) from None
    if not isinstance(value, Mapping):
        raise Refused(_OBJECT)
    for key, item in value.items():
        if (isinstance(key, str) and len(key) > MAX_CELL_LENGTH) or (
            isinstance(item, str) and len(item) > MAX_CELL_LENGTH
        ):
            raise Refused(f"{_OBJECT} whose names and values are {TOO_LONG}")
    return value


_OBJECT: Final = "a JSON object of attribute name to value"
# A JSON string (skipped whole, brackets in it included) or a bracket.
_JSON_TOKENS: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def nests_too_deep(text: str, limit: int = MAX_NESTING) -> bool:
    """Whether JSON text nests arrays and objects more than ``limit`` deep, found without parsing it.

    The answer takes linear time, where a parser would recurse once per level. Text with no more
    brackets than ``limit`` (every real line) costs two counts in C; only other text is walked
    token by token, skipping the brackets inside strings.

    Examples:
        >>> nests_too_deep('{"a": [1, {"b": "[[[["}]}', limit=3), nests_too_deep("[" * 100, limit=64)
        (False, True)
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token[0]
        if mark in "[{":
            depth += 1
            if depth > limit:
                return True
        elif mark in "]}":
            depth -= 1
    return False


_SAMPLE_INSTANT: Final = datetime(2026, 7, 14, 9, 30, 15, tzinfo=UTC)


def check_datetime_format(datetime_format: Any) -> None:
    """Refuse a ``datetime_format`` that is no text, or that no date-time can be read with.

    A format that `datetime.strptime` cannot use at all (``"%"``, ``"%Q"``) would refuse every
    timestamp of every file, one row at a time; it is refused once instead. A format is usable
    when a date-time written with it reads back.

    Raises:
        SourceError: the format is no text, or unusable.
    """
    if datetime_format is None:
        return
    expected = "a strptime format such as '%m/%d/%Y'"
    if not isinstance(datetime_format, str):
        raise SourceError(f"datetime_format must be {expected}. Got {shorten(datetime_format)} instead.")
    try:
        datetime.strptime(_SAMPLE_INSTANT.strftime(datetime_format), datetime_format)  # noqa: DTZ007
    except (ValueError, TypeError) as error:
        reason = shorten(str(error))[1:-1]
        raise SourceError(
            f"datetime_format must be {expected}, with which a date-time can be written and read back "
            f"(here: {reason}). Got {shorten(datetime_format)} instead."
        ) from None
