"""Time: calendars (time zone, week start, fiscal year), grains and half-open windows.

Windows are half-open (``start <= t < end``) and stored in UTC; the `Calendar` they were built
from decides where days, weeks, months and fiscal years begin. Calendar arithmetic uses
``dateutil`` so month lengths and daylight-saving changes are handled by a tested library.
"""

from __future__ import annotations

import calendar as _gregorian
import enum
import numbers
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Literal, TypeGuard, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil import rrule
from dateutil.relativedelta import relativedelta

from advocacy_kpis.errors import AdvocacyKpisError, ParameterError

_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)

T = TypeVar("T")

_IN_UTC = "an instant within the years 1 to 9999 in UTC and in the calendar's time zone"


def _is_int(value: Any) -> bool:
    """Whether ``value`` is an integer of any kind (int, numpy integer, ...), but not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_int(value: Any) -> Any:
    """An integer of any kind as a plain int; anything else is left for a validator to refuse."""
    return int(value) if _is_int(value) else value


def _in_range(name: str, function: str, value: Any, expected: str, build: Callable[[], T]) -> T:
    """Run ``build``; an instant or period outside the calendar's range becomes a ParameterError."""
    try:
        return build()
    except AdvocacyKpisError:
        raise
    except (OverflowError, ValueError) as error:
        raise ParameterError(name, function, f"{expected} ({error})", value) from None


def add_days(instant: datetime, days: float, name: str, function: str) -> datetime:
    """``instant`` plus ``days`` days, refusing a result outside the calendar's range.

    Metrics add horizons and look-back periods to instants; a parameter such as
    ``horizon_days=10**12`` must be refused naming the parameter, not fail with an
    ``OverflowError`` deep inside the computation.

    Args:
        instant: an aware datetime.
        days: the days to add (negative to go back).
        name: the parameter that holds ``days``, for the message.
        function: the function that was called, for the message.

    Raises:
        ParameterError: the result falls outside the years 1 to 9999, or ``days`` is not a
            finite number of days.

    Examples:
        >>> add_days(datetime(2026, 1, 1, tzinfo=UTC), 90, "horizon_days", "f").date()
        datetime.date(2026, 4, 1)
        >>> add_days(datetime(2026, 1, 1, tzinfo=UTC), 10**12, "horizon_days", "f")
        Traceback (most recent call last):
        ...
        advocacy_kpis.errors.ParameterError: The 'horizon_days' parameter of f must be a number of days ...
    """
    if isinstance(days, bool) or not isinstance(days, (numbers.Real, Decimal)):
        raise ParameterError(name, function, "a number of days", days)
    expected = "a number of days that keeps the date within the years 1 to 9999"
    return _in_range(name, function, days, expected, lambda: instant + timedelta(days=float(days)))


def _tz_offset_known(value: tzinfo) -> bool:
    try:
        return value.utcoffset(datetime(2000, 1, 1, tzinfo=value)) is not None
    except Exception:  # a tzinfo that cannot answer is as useless as one that answers None
        return False


def _check_tz(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tzinfo):
        expected = "a tzinfo such as ZoneInfo('Europe/Berlin'), or a zone name such as 'Europe/Berlin'"
        raise ParameterError(attribute.name, "Calendar", expected, value)
    if not _tz_offset_known(value):
        expected = "a tzinfo whose utcoffset() gives an offset, such as ZoneInfo('Europe/Berlin')"
        raise ParameterError(attribute.name, "Calendar", expected, value)


def _aware(value: Any) -> TypeGuard[datetime]:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def _zone(value: Any) -> Any:
    """A zone name becomes its tzinfo; ZoneInfo("UTC") becomes datetime.UTC."""
    if isinstance(value, str):
        value = _tz_from_name(value, "Calendar")
    # ZoneInfo("UTC") and datetime.UTC behave identically; one spelling keeps calendars comparable.
    return UTC if getattr(value, "key", None) == "UTC" else value


def _tz_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    if isinstance(zone, timezone):
        offset = zone.utcoffset(None)
        if not offset:
            return "UTC"
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(offset) // timedelta(minutes=1)
        return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return str(zone)


def _tz_from_name(name: Any, function: str = "Calendar.from_dict") -> tzinfo:
    expected = "an IANA zone name such as 'Europe/Berlin', 'UTC' or a fixed offset such as 'UTC+02:00'"
    if not isinstance(name, str):
        raise ParameterError("timezone", function, expected, name)
    if name == "UTC":
        return UTC
    offset = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if offset:
        size = timedelta(hours=int(offset[2]), minutes=int(offset[3]))
        return timezone(-size if offset[1] == "-" else size)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ParameterError("timezone", function, expected, name) from None


def _field(data: Any, name: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ParameterError("data", where, "a mapping as produced by to_dict()", data)
    if name not in data:
        raise ParameterError(name, where, f"present (the mapping has keys {sorted(data)})", None)
    return data[name]


def _check_range(low: int, high: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not _is_int(value) or not low <= value <= high:
            raise ParameterError(attribute.name, "Calendar", f"an integer from {low} to {high}", value)

    return check


@attrs.frozen
class Calendar:
    """Where days, weeks, months and fiscal years begin.

    A calendar is a value passed to whatever needs it, never a global setting.

    Attributes:
        timezone: the zone in which days begin (midnight local time). Defaults to UTC. A zone
            name such as ``"Europe/Berlin"`` is read as its ``ZoneInfo``.
        week_start: 0 for Monday (the default) to 6 for Sunday.
        fiscal_year_start_month: 1 (January, the default) to 12. A fiscal year is named after the
            calendar year in which it ends, so with a February start FY2027 runs from
            1 February 2026 to 1 February 2027.

    Examples:
        >>> from zoneinfo import ZoneInfo
        >>> cal = Calendar(timezone=ZoneInfo("Europe/Berlin"), fiscal_year_start_month=2)
        >>> cal.midnight(date(2026, 7, 1)).isoformat()
        '2026-06-30T22:00:00+00:00'
    """

    timezone: tzinfo = attrs.field(default=UTC, converter=_zone, validator=_check_tz)
    week_start: int = attrs.field(default=0, converter=_as_int, validator=_check_range(0, 6))
    fiscal_year_start_month: int = attrs.field(default=1, converter=_as_int, validator=_check_range(1, 12))

    @property
    def description(self) -> str:
        """The calendar in words, for messages.

        Examples:
            >>> Calendar("Europe/Berlin", fiscal_year_start_month=2).description
            'time zone Europe/Berlin, weeks from Monday, fiscal years from February'
        """
        return (
            f"time zone {_tz_name(self.timezone)}, weeks from {_gregorian.day_name[self.week_start]}, "
            f"fiscal years from {_gregorian.month_name[self.fiscal_year_start_month]}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: the zone's IANA name (or ``UTC+HH:MM`` for a fixed offset) and the two settings.

        Examples:
            >>> from zoneinfo import ZoneInfo
            >>> Calendar(timezone=ZoneInfo("Europe/Berlin"), fiscal_year_start_month=2).to_dict()
            {'timezone': 'Europe/Berlin', 'week_start': 0, 'fiscal_year_start_month': 2}
            >>> Calendar.from_dict(Calendar().to_dict()) == Calendar()
            True
        """
        return {
            "timezone": _tz_name(self.timezone),
            "week_start": self.week_start,
            "fiscal_year_start_month": self.fiscal_year_start_month,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calendar:
        """Inverse of `to_dict`.

        Raises:
            ParameterError: an entry is missing, the zone name is unknown or a setting is out of range.
        """
        where = "Calendar.from_dict"
        return cls(
            timezone=_tz_from_name(_field(data, "timezone", where)),
            week_start=_field(data, "week_start", where),
            fiscal_year_start_month=_field(data, "fiscal_year_start_month", where),
        )

    def midnight(self, day: date) -> datetime:
        """The instant (in UTC) at which ``day`` begins in this calendar's time zone.

        Where the clocks skip midnight (daylight saving starting at 00:00), the day begins at
        the first local time that exists.

        Raises:
            ParameterError: that instant is outside the years 1 to 9999 in UTC.
        """
        local = datetime(day.year, day.month, day.day, tzinfo=self.timezone)
        return _in_range("day", "Calendar.midnight", day, _IN_UTC, lambda: local.astimezone(UTC))

    def local(self, instant: datetime) -> datetime:
        """``instant`` expressed in this calendar's time zone."""
        return instant.astimezone(self.timezone)

    def instant(self, value: date | datetime, *, name: str = "value", where: str = "Calendar") -> datetime:
        """Normalise a date or an aware datetime to an aware UTC datetime.

        A ``date`` means midnight of that day in this calendar. A naive datetime is refused.

        Raises:
            ParameterError: ``value`` is a naive datetime, not a date at all, or outside the
                years 1 to 9999 in UTC.
        """
        if isinstance(value, datetime):
            if not _aware(value):
                raise ParameterError(name, where, "a timezone-aware datetime or a date", value)
            return _in_range(name, where, value, _IN_UTC, lambda: value.astimezone(UTC))
        if isinstance(value, date):
            local = datetime(value.year, value.month, value.day, tzinfo=self.timezone)
            return _in_range(name, where, value, _IN_UTC, lambda: local.astimezone(UTC))
        raise ParameterError(name, where, "a timezone-aware datetime or a date", value)


UTC_CALENDAR = Calendar()
"""The default calendar: UTC, weeks from Monday, fiscal year = calendar year."""


def as_calendar(value: Any, name: str = "calendar", function: str = "Calendar") -> Calendar:
    """A `Calendar` from a calendar, a tzinfo or a zone name such as ``"Europe/Berlin"``.

    A zone name (or tzinfo) means a calendar in that zone with the default week start and
    fiscal year.

    Raises:
        ParameterError: anything else, or an unknown zone name.

    Examples:
        >>> as_calendar("Europe/Berlin") == Calendar(timezone=ZoneInfo("Europe/Berlin"))
        True
        >>> as_calendar("UTC") == UTC_CALENDAR
        True
    """
    if isinstance(value, Calendar):
        return value
    if isinstance(value, (str, tzinfo)):
        zone = _tz_from_name(value, function) if isinstance(value, str) else value
        return Calendar(timezone=zone)
    expected = "a Calendar, or a time zone name such as 'Europe/Berlin'"
    raise ParameterError(name, function, expected, value)


class Grain(enum.Enum):
    """The calendar period a window spans, when it spans exactly one."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def step(self) -> relativedelta:
        """The length of one period as a calendar offset."""
        return _STEPS[self]


_STEPS = {
    Grain.DAY: relativedelta(days=1),
    Grain.WEEK: relativedelta(weeks=1),
    Grain.MONTH: relativedelta(months=1),
    Grain.QUARTER: relativedelta(months=3),
    Grain.YEAR: relativedelta(years=1),
}


def _as_grain(value: Grain | str, function: str) -> Grain:
    if isinstance(value, Grain):
        return value
    try:
        return Grain(value)
    except ValueError:
        names = ", ".join(repr(g.value) for g in Grain)
        raise ParameterError("grain", function, f"one of {names}", value) from None


def _utc(value: Any, name: str, where: str) -> datetime:
    if not _aware(value):
        raise ParameterError(name, where, "a timezone-aware datetime", value)
    return _in_range(name, where, value, _IN_UTC, lambda: value.astimezone(UTC))


def _year(name: str, function: str, value: Any) -> int:
    if not _is_int(value) or not 1 <= value <= 9999:
        raise ParameterError(name, function, "an integer year from 1 to 9999", value)
    return int(value)


def _day(name: str, function: str, value: Any) -> date:
    if not isinstance(value, date):
        raise ParameterError(name, function, "a date such as date(2026, 7, 14)", value)
    return value


def _start_utc(value: Any) -> datetime:
    return _utc(value, "start", "Window")


def _end_utc(value: Any) -> datetime:
    return _utc(value, "end", "Window")


@attrs.frozen
class Window:
    """A half-open span of time ``[start, end)``.

    An instant ``t`` is in the window when ``start <= t < end``, so consecutive windows share no
    instant and miss none. Build windows with the named constructors rather than by hand:
    they attach the calendar period (``grain``) that `previous`, `shift` and labels rely on.

    Attributes:
        start: first instant inside the window (stored in UTC).
        end: first instant after the window (stored in UTC).
        grain: the calendar period the window is exactly one of, or None for an arbitrary span.
        calendar: the calendar the window was built in.
        fiscal: whether the quarter or year is a fiscal one (changes labels and alignment).

    Examples:
        >>> q3 = Window.quarter(2026, 3)
        >>> q3.label, q3.previous().label, q3.shift(2).label
        ('2026Q3', '2026Q2', '2027Q1')
        >>> [w.label for w in q3.split("month")]
        ['2026-07', '2026-08', '2026-09']
        >>> q3.contains(q3.end)
        False
    """

    start: datetime = attrs.field(converter=_start_utc)
    end: datetime = attrs.field(converter=_end_utc)
    grain: Grain | None = None
    calendar: Calendar = UTC_CALENDAR
    fiscal: bool = False

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ParameterError("end", "Window", f"later than start ({self.start.isoformat()})", self.end)

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def _period(cls, local_start: datetime, grain: Grain, calendar: Calendar, fiscal: bool = False) -> Window:
        local_end = (local_start.replace(tzinfo=None) + grain.step).replace(tzinfo=calendar.timezone)
        start, end = local_start.astimezone(UTC), local_end.astimezone(UTC)
        if end <= start:
            # Only a day can vanish: Pacific/Apia skipped 30 December 2011 entirely.
            zone = _tz_name(calendar.timezone)
            raise ParameterError("day", "Window", f"a day that exists in {zone}", local_start.date())
        return cls(start, end, grain, calendar, fiscal)

    @classmethod
    def _named(
        cls,
        function: str,
        name: str,
        value: Any,
        first: Callable[[], date],
        grain: Grain,
        calendar: Any,
        fiscal: bool = False,
    ) -> Window:
        """The period of ``grain`` that begins on the date ``first()``, with range errors named."""
        chosen = as_calendar(calendar, "calendar", function)
        expected = "a period within the years 1 to 9999 in UTC and in the calendar's time zone"
        return _in_range(
            name,
            function,
            value,
            expected,
            lambda: cls._period(_local_midnight(first(), chosen), grain, chosen, fiscal),
        )

    @classmethod
    def day(cls, value: date, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The calendar day ``value``.

        Raises:
            ParameterError: ``value`` is not a date, or is a day that never happened in the
                calendar's time zone (30 December 2011 in Pacific/Apia).
        """
        day = _day("value", "Window.day", value)
        return cls._named("Window.day", "value", value, lambda: day, Grain.DAY, calendar)

    @classmethod
    def week(cls, containing: date, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The week (starting on ``calendar.week_start``) that contains the date ``containing``."""
        day = _day("containing", "Window.week", containing)
        chosen = as_calendar(calendar, "calendar", "Window.week")

        def first() -> date:
            return day - timedelta(days=(day.weekday() - chosen.week_start) % 7)

        return cls._named("Window.week", "containing", containing, first, Grain.WEEK, chosen)

    @classmethod
    def month(cls, year: int, month: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar month ``month`` (1-12) of ``year``."""
        number = _year("year", "Window.month", year)
        _check_int("month", "Window.month", month, 1, 12)
        first = date(number, int(month), 1)
        return cls._named("Window.month", "year", year, lambda: first, Grain.MONTH, calendar)

    @classmethod
    def quarter(cls, year: int, quarter: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar quarter ``quarter`` (1-4) of ``year``: Q1 is January to March."""
        number = _year("year", "Window.quarter", year)
        _check_int("quarter", "Window.quarter", quarter, 1, 4)
        first = date(number, 3 * (int(quarter) - 1) + 1, 1)
        return cls._named("Window.quarter", "year", year, lambda: first, Grain.QUARTER, calendar)

    @classmethod
    def year(cls, year: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar year ``year`` (1 to 9999, as far as the period fits in UTC).

        Raises:
            ParameterError: ``year`` is not an integer, or its period is outside the years 1 to
                9999 in UTC.

        Examples:
            >>> Window.year(2026).label
            '2026'
            >>> Window.year("2026")
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.ParameterError: The 'year' parameter of Window.year must be an integer year ...
        """
        first = date(_year("year", "Window.year", year), 1, 1)
        return cls._named("Window.year", "year", year, lambda: first, Grain.YEAR, calendar)

    @classmethod
    def fiscal_year(cls, fiscal_year: int, calendar: Calendar) -> Window:
        """Fiscal year ``fiscal_year`` of ``calendar`` (named after the calendar year it ends in).

        Examples:
            >>> cal = Calendar(fiscal_year_start_month=2)
            >>> w = Window.fiscal_year(2027, cal)
            >>> w.start.date(), w.end.date(), w.label
            (datetime.date(2026, 2, 1), datetime.date(2027, 2, 1), 'FY2027')
        """
        function = "Window.fiscal_year"
        number = _year("fiscal_year", function, fiscal_year)
        chosen = as_calendar(calendar, "calendar", function)
        return cls._named(
            function,
            "fiscal_year",
            fiscal_year,
            lambda: _fiscal_start(number, chosen),
            Grain.YEAR,
            chosen,
            True,
        )

    @classmethod
    def fiscal_quarter(cls, fiscal_year: int, quarter: int, calendar: Calendar) -> Window:
        """Quarter ``quarter`` (1-4) of fiscal year ``fiscal_year`` of ``calendar``.

        Examples:
            >>> cal = Calendar(fiscal_year_start_month=2)
            >>> w = Window.fiscal_quarter(2027, 1, cal)
            >>> w.start.date(), w.end.date(), w.label
            (datetime.date(2026, 2, 1), datetime.date(2026, 5, 1), 'FY2027Q1')
        """
        function = "Window.fiscal_quarter"
        number = _year("fiscal_year", function, fiscal_year)
        _check_int("quarter", function, quarter, 1, 4)
        chosen = as_calendar(calendar, "calendar", function)

        def first() -> date:
            start: date = _fiscal_start(number, chosen) + relativedelta(months=3 * (int(quarter) - 1))
            return start

        return cls._named(function, "fiscal_year", fiscal_year, first, Grain.QUARTER, chosen, True)

    @classmethod
    def between(
        cls, start: date | datetime, end: date | datetime, calendar: Calendar = UTC_CALENDAR
    ) -> Window:
        """The span from ``start`` (included) to ``end`` (excluded).

        Dates mean midnight in ``calendar``'s time zone; datetimes must be timezone-aware.

        Examples:
            >>> w = Window.between(date(2026, 1, 1), date(2026, 1, 15))
            >>> w.days
            14.0
        """
        chosen = as_calendar(calendar, "calendar", "Window.between")
        first = chosen.instant(start, name="start", where="Window.between")
        last = chosen.instant(end, name="end", where="Window.between")
        return cls(first, last, None, chosen)

    @classmethod
    def trailing(cls, days: int, as_of: date | datetime, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The ``days`` days that end at ``as_of`` (excluded): ``[as_of - days, as_of)``.

        Examples:
            >>> w = Window.trailing(90, datetime(2026, 10, 1, tzinfo=UTC))
            >>> w.start.date(), w.days
            (datetime.date(2026, 7, 3), 90.0)
        """
        if not _is_int(days) or days <= 0:
            raise ParameterError("days", "Window.trailing", "a positive integer", days)
        chosen = as_calendar(calendar, "calendar", "Window.trailing")
        last = chosen.instant(as_of, name="as_of", where="Window.trailing")
        expected = "a number of days that keeps the window within the years 1 to 9999"
        first = _in_range("days", "Window.trailing", days, expected, lambda: last - timedelta(days=int(days)))
        return cls(first, last, None, chosen)

    @classmethod
    def parse(cls, text: str, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Read a window from its label.

        Accepted forms: ``2026`` (year), ``2026Q3`` (quarter), ``2026-07`` (month),
        ``2026-07-14`` (day), ``FY2027`` and ``FY2027Q1`` (fiscal, in ``calendar``), and
        ``2026-01-01/2026-03-15`` (an arbitrary span of dates). Digits are ASCII digits.

        Raises:
            ParameterError: ``text`` is not a string, or not one of those forms, or names a
                period that does not exist.

        Examples:
            >>> Window.parse("2026Q3") == Window.quarter(2026, 3)
            True
        """
        expected = "a label such as 2026, 2026Q3, 2026-07, 2026-07-14, FY2027Q1 or 2026-01-01/2026-03-15"
        if not isinstance(text, str):
            raise ParameterError("text", "Window.parse", expected, text)
        calendar = as_calendar(calendar, "calendar", "Window.parse")
        value = text.strip()
        patterns: list[tuple[str, Any]] = [
            (r"(\d{4})", lambda m: cls.year(int(m[1]), calendar)),
            (r"(\d{4})-?Q([1-4])", lambda m: cls.quarter(int(m[1]), int(m[2]), calendar)),
            (r"(\d{4})-(\d{2})", lambda m: cls.month(int(m[1]), int(m[2]), calendar)),
            (r"(\d{4}-\d{2}-\d{2})", lambda m: cls.day(date.fromisoformat(m[1]), calendar)),
            (r"FY(\d{4})", lambda m: cls.fiscal_year(int(m[1]), calendar)),
            (r"FY(\d{4})-?Q([1-4])", lambda m: cls.fiscal_quarter(int(m[1]), int(m[2]), calendar)),
            (
                r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})",
                lambda m: cls.between(date.fromisoformat(m[1]), date.fromisoformat(m[2]), calendar),
            ),
        ]
        for pattern, build in patterns:
            # ASCII only: int() would read full-width or Arabic-Indic digits, date.fromisoformat not.
            match = re.fullmatch(pattern, value, flags=re.IGNORECASE | re.ASCII)
            if match:
                try:
                    window: Window = build(match)
                except (ValueError, OverflowError) as error:
                    raise ParameterError("text", "Window.parse", f"a valid window ({error})", text) from None
                return window
        raise ParameterError("text", "Window.parse", expected, text)

    # -- properties ---------------------------------------------------------------------------

    @property
    def duration(self) -> timedelta:
        """Elapsed time from start to end (a daylight-saving change makes a local day 23 or 25 hours)."""
        return self.end - self.start

    @property
    def days(self) -> float:
        """Elapsed length in days (float)."""
        return self.duration.total_seconds() / 86400.0

    @property
    def months(self) -> float:
        """Length in calendar months: whole months count as one each, anything else as days / 30.4375."""
        if self.grain in (Grain.MONTH, Grain.QUARTER, Grain.YEAR):
            return {Grain.MONTH: 1.0, Grain.QUARTER: 3.0, Grain.YEAR: 12.0}[self.grain]
        local_start, local_end = self.calendar.local(self.start), self.calendar.local(self.end)
        if _is_midnight_first(local_start) and _is_midnight_first(local_end):
            delta = relativedelta(local_end.replace(tzinfo=None), local_start.replace(tzinfo=None))
            return float(delta.years * 12 + delta.months)
        return self.days / 30.4375

    @property
    def label(self) -> str:
        """A short readable name: ``2026Q3``, ``2026-07``, ``FY2027``, or ``start/end`` dates."""
        local = self.calendar.local(self.start)
        if self.fiscal and self.grain in (Grain.YEAR, Grain.QUARTER):
            fy, quarter = _fiscal_position(local.date(), self.calendar)
            return f"FY{fy}" if self.grain is Grain.YEAR else f"FY{fy}Q{quarter}"
        if self.grain is Grain.YEAR:
            return f"{local.year}"
        if self.grain is Grain.QUARTER:
            return f"{local.year}Q{(local.month - 1) // 3 + 1}"
        if self.grain is Grain.MONTH:
            return f"{local.year}-{local.month:02d}"
        if self.grain is Grain.DAY:
            return local.date().isoformat()
        if self.grain is Grain.WEEK:
            return f"week of {local.date().isoformat()}"
        return f"{_short(self.calendar.local(self.start))}/{_short(self.calendar.local(self.end))}"

    def __str__(self) -> str:
        return self.label

    # -- operations ---------------------------------------------------------------------------

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` is in the window: ``start <= instant < end``."""
        return self.start <= instant < self.end

    def shift(self, n: int) -> Window:
        """The window ``n`` periods later (earlier for negative ``n``), of the same kind.

        A calendar window moves by whole calendar periods (Q3 shifted by -1 is Q2, whatever the
        number of days), from local midnight to local midnight even where the clocks skip
        midnight; an arbitrary span moves by its own elapsed length.

        Raises:
            ParameterError: ``n`` is not an integer, or the shifted window would leave the years
                1 to 9999 (or land on a day the time zone skipped).
        """
        if not _is_int(n):
            raise ParameterError("n", "Window.shift", "an integer number of periods", n)
        steps = int(n)
        expected = "a number of periods that keeps the window within the years 1 to 9999"
        grain = self.grain
        local = _local_start(self.start, self.calendar).replace(tzinfo=None)

        def build() -> Window:
            if grain is None:
                moved = steps * self.duration
                return attrs.evolve(self, start=self.start + moved, end=self.end + moved)
            new_start = (local + grain.step * steps).replace(tzinfo=self.calendar.timezone)
            return Window._period(new_start, grain, self.calendar, self.fiscal)

        return _in_range("n", "Window.shift", n, expected, build)

    def previous(self) -> Window:
        """The window of the same length just before this one (``shift(-1)``)."""
        return self.shift(-1)

    def same_length_as(self, other: Window) -> bool:
        """Whether two windows have the same length: the same calendar grain, or equal elapsed time.

        Two quarters are the same length although one has 90 days and the other 92; two
        arbitrary spans, or a calendar period and an arbitrary span, are the same length only
        when their elapsed times are equal.

        Examples:
            >>> Window.quarter(2026, 1).same_length_as(Window.quarter(2026, 3))
            True
            >>> Window.month(2026, 2).same_length_as(Window.between(date(2026, 3, 1), date(2026, 3, 29)))
            True
        """
        if self.grain is not None and self.grain == other.grain:
            return True
        return self.duration == other.duration

    def split(self, grain: Grain | str) -> list[Window]:
        """Cut the window into consecutive calendar periods of ``grain``.

        The pieces tile the window exactly: the first starts at ``start``, each starts where the
        previous one ends, and the last ends at ``end``. Where the window does not begin or end on
        a period boundary the first or last piece is a partial period (with ``grain`` None). A
        day that never happened in the time zone (Pacific/Apia skipped 30 December 2011) has no
        piece: the day before it ends where the day after it begins.

        Examples:
            >>> [w.label for w in Window.year(2026).split("quarter")]
            ['2026Q1', '2026Q2', '2026Q3', '2026Q4']
        """
        step = _as_grain(grain, "Window.split")
        pieces = []
        for local_start, local_end in _periods(self, step):
            first = max(local_start.astimezone(UTC), self.start)
            last = min(local_end.astimezone(UTC), self.end)
            if last <= first:
                continue
            whole = first == local_start.astimezone(UTC) and last == local_end.astimezone(UTC)
            fiscal = self.fiscal and step in (Grain.QUARTER, Grain.YEAR)
            pieces.append(Window(first, last, step if whole else None, self.calendar, fiscal))
        return pieces

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: ISO start and end, label, grain, whether fiscal, and the calendar.

        `from_dict` reads it back; ``label`` is there for people and is not read.

        Examples:
            >>> q3 = Window.quarter(2026, 3)
            >>> q3.to_dict()["start"], q3.to_dict()["label"]
            ('2026-07-01T00:00:00+00:00', '2026Q3')
            >>> Window.from_dict(q3.to_dict()) == q3
            True
        """
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "grain": self.grain.value if self.grain else None,
            "fiscal": self.fiscal,
            "calendar": self.calendar.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Window:
        """Inverse of `to_dict`.

        ``grain``, ``calendar`` and ``fiscal`` may be left out (an arbitrary span, UTC, calendar
        periods). With a ``grain``, ``end`` must be exactly one such period after ``start`` in the
        calendar, so a window read back behaves like the one written. As with the constructor,
        ``start`` itself is not checked to fall on a period boundary.

        Raises:
            ParameterError: an entry is missing or malformed, or the span is not one ``grain``.
        """
        where = "Window.from_dict"
        start, end = (_iso_instant(_field(data, name, where), name, where) for name in ("start", "end"))
        calendar = Calendar.from_dict(data["calendar"]) if data.get("calendar") is not None else UTC_CALENDAR
        fiscal = data.get("fiscal", False)
        if not isinstance(fiscal, bool):
            raise ParameterError("fiscal", where, "true or false", fiscal)
        raw_grain = data.get("grain")
        if raw_grain is None:
            return cls(start, end, None, calendar, fiscal)
        window = cls._period(_local_start(start, calendar), _as_grain(raw_grain, where), calendar, fiscal)
        if window.end != end:
            span = f"{start.isoformat()} to {end.isoformat()}"
            raise ParameterError("grain", where, f"a period that runs exactly from {span}", raw_grain)
        return window


def _iso_instant(text: Any, name: str, where: str) -> datetime:
    expected = "an ISO 8601 instant with a UTC offset"
    if not isinstance(text, str):
        raise ParameterError(name, where, expected, text)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if _aware(value):
        return value.astimezone(UTC)
    raise ParameterError(name, where, expected, text)


def _check_int(name: str, function: str, value: Any, low: int, high: int) -> None:
    if not _is_int(value) or not low <= value <= high:
        raise ParameterError(name, function, f"an integer from {low} to {high}", value)


def _local_midnight(day: date, calendar: Calendar) -> datetime:
    # Where midnight does not exist (clocks go forward at 00:00), fold=0 reads it with the offset
    # in force before the change, which is the instant the day actually begins.
    return datetime(day.year, day.month, day.day, tzinfo=calendar.timezone)


def _local_start(instant: datetime, calendar: Calendar) -> datetime:
    """``instant`` in local wall time, as the local midnight when it is the first instant of its day.

    On a day whose midnight was skipped, the day begins at 01:00 local time; calendar arithmetic
    must still start from midnight, or a shifted day would begin an hour late.
    """
    local = calendar.local(instant)
    midnight = _local_midnight(local.date(), calendar)
    return midnight if midnight.astimezone(UTC) == instant else local


def _is_midnight_first(value: datetime) -> bool:
    return value.day == 1 and (value.hour, value.minute, value.second, value.microsecond) == (
        0,
        0,
        0,
        0,
    )


def _short(value: datetime) -> str:
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.date().isoformat()
    return value.isoformat()


def _fiscal_start(fiscal_year: int, calendar: Calendar) -> date:
    month = calendar.fiscal_year_start_month
    return date(fiscal_year - (1 if month != 1 else 0), month, 1)


def _fiscal_position(day: date, calendar: Calendar) -> tuple[int, int]:
    month = calendar.fiscal_year_start_month
    start_year = day.year if day.month >= month else day.year - 1
    fiscal_year = start_year + (1 if month != 1 else 0)
    quarter = ((day.month - month) % 12) // 3 + 1
    return fiscal_year, quarter


def _floor(local: datetime, grain: Grain, window: Window) -> datetime:
    calendar = window.calendar
    day = local.date()
    if grain is Grain.DAY:
        first = day
    elif grain is Grain.WEEK:
        first = day - timedelta(days=(day.weekday() - calendar.week_start) % 7)
    elif grain is Grain.MONTH:
        first = day.replace(day=1)
    else:
        align = calendar.fiscal_year_start_month if window.fiscal else 1
        months = 3 if grain is Grain.QUARTER else 12
        back = (day.month - align) % months
        first = day.replace(day=1) - relativedelta(months=back)
    return _local_midnight(first, calendar)


_FREQUENCIES: dict[Grain, tuple[Literal[0, 1, 2, 3, 4, 5, 6], int]] = {
    Grain.DAY: (rrule.DAILY, 1),
    Grain.WEEK: (rrule.WEEKLY, 1),
    Grain.MONTH: (rrule.MONTHLY, 1),
    Grain.QUARTER: (rrule.MONTHLY, 3),
    Grain.YEAR: (rrule.YEARLY, 1),
}


def _periods(window: Window, grain: Grain) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive local period boundaries covering the window, generated by rrule in wall time."""
    calendar = window.calendar
    anchor = _floor(calendar.local(window.start), grain, window).replace(tzinfo=None)
    last = calendar.local(window.end).replace(tzinfo=None)
    frequency, interval = _FREQUENCIES[grain]
    starts = rrule.rrule(frequency, interval=interval, dtstart=anchor, until=last)
    bounds = [b.replace(tzinfo=calendar.timezone) for b in starts]
    bounds = [b for b in bounds if b.astimezone(UTC) < window.end]
    for begin in bounds:
        finish = (begin.replace(tzinfo=None) + grain.step).replace(tzinfo=calendar.timezone)
        yield begin, finish
