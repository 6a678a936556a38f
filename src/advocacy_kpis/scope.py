"""What a number is measured over: time windows, calendars, segments, revenue bases and money.

Everything here is a small immutable value. Windows are half-open (``start <= t < end``) and
stored in UTC; the `Calendar` they were built from decides where days, weeks, months and fiscal
years begin. Calendar arithmetic uses ``dateutil`` so month lengths and daylight-saving changes
are handled by a tested library rather than by hand.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil import rrule
from dateutil.relativedelta import relativedelta

from advocacy_kpis.errors import CurrencyMismatchError, ParameterError

__all__ = [
    "UTC_CALENDAR",
    "BasisKind",
    "Calendar",
    "Grain",
    "Money",
    "RevenueBasis",
    "Segment",
    "Window",
]

_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


def _check_tz(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tzinfo):
        raise ParameterError(attribute.name, "Calendar", "a tzinfo such as ZoneInfo('Europe/Berlin')", value)


def _aware(value: Any) -> TypeGuard[datetime]:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def _same_utc(value: Any) -> Any:
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


def _tz_from_name(name: Any) -> tzinfo:
    expected = "an IANA zone name such as 'Europe/Berlin', 'UTC' or a fixed offset such as 'UTC+02:00'"
    if not isinstance(name, str):
        raise ParameterError("timezone", "Calendar.from_dict", expected, name)
    if name == "UTC":
        return UTC
    offset = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if offset:
        size = timedelta(hours=int(offset[2]), minutes=int(offset[3]))
        return timezone(-size if offset[1] == "-" else size)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError("timezone", "Calendar.from_dict", expected, name) from None


def _field(data: Any, name: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ParameterError("data", where, "a mapping as produced by to_dict()", data)
    if name not in data:
        raise ParameterError(name, where, f"present (the mapping has keys {sorted(data)})", None)
    return data[name]


def _check_range(low: int, high: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ParameterError(attribute.name, "Calendar", f"an integer from {low} to {high}", value)

    return check


@attrs.frozen
class Calendar:
    """Where days, weeks, months and fiscal years begin.

    A calendar is a value passed to whatever needs it, never a global setting.

    Attributes:
        timezone: the zone in which days begin (midnight local time). Defaults to UTC.
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

    timezone: tzinfo = attrs.field(default=UTC, converter=_same_utc, validator=_check_tz)
    week_start: int = attrs.field(default=0, validator=_check_range(0, 6))
    fiscal_year_start_month: int = attrs.field(default=1, validator=_check_range(1, 12))

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
        """The instant (in UTC) at which ``day`` begins in this calendar's time zone."""
        return datetime(day.year, day.month, day.day, tzinfo=self.timezone).astimezone(UTC)

    def local(self, instant: datetime) -> datetime:
        """``instant`` expressed in this calendar's time zone."""
        return instant.astimezone(self.timezone)

    def instant(self, value: date | datetime, *, name: str = "value", where: str = "Calendar") -> datetime:
        """Normalise a date or an aware datetime to an aware UTC datetime.

        A ``date`` means midnight of that day in this calendar. A naive datetime is refused.

        Raises:
            ParameterError: ``value`` is a naive datetime or not a date at all.
        """
        if isinstance(value, datetime):
            if not _aware(value):
                raise ParameterError(name, where, "a timezone-aware datetime or a date", value)
            return value.astimezone(UTC)
        if isinstance(value, date):
            return self.midnight(value)
        raise ParameterError(name, where, "a timezone-aware datetime or a date", value)


UTC_CALENDAR = Calendar()
"""The default calendar: UTC, weeks from Monday, fiscal year = calendar year."""


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
    return value.astimezone(UTC)


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
        return cls(local_start, local_start + grain.step, grain, calendar, fiscal)

    @classmethod
    def day(cls, value: date, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The calendar day ``value``."""
        return cls._period(_local_midnight(value, calendar), Grain.DAY, calendar)

    @classmethod
    def week(cls, containing: date, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The week (starting on ``calendar.week_start``) that contains the date ``containing``."""
        offset = (containing.weekday() - calendar.week_start) % 7
        first = containing - timedelta(days=offset)
        return cls._period(_local_midnight(first, calendar), Grain.WEEK, calendar)

    @classmethod
    def month(cls, year: int, month: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar month ``month`` (1-12) of ``year``."""
        _check_int("month", "Window.month", month, 1, 12)
        return cls._period(_local_midnight(date(year, month, 1), calendar), Grain.MONTH, calendar)

    @classmethod
    def quarter(cls, year: int, quarter: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar quarter ``quarter`` (1-4) of ``year``: Q1 is January to March."""
        _check_int("quarter", "Window.quarter", quarter, 1, 4)
        first = date(year, 3 * (quarter - 1) + 1, 1)
        return cls._period(_local_midnight(first, calendar), Grain.QUARTER, calendar)

    @classmethod
    def year(cls, year: int, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Calendar year ``year``."""
        return cls._period(_local_midnight(date(year, 1, 1), calendar), Grain.YEAR, calendar)

    @classmethod
    def fiscal_year(cls, fiscal_year: int, calendar: Calendar) -> Window:
        """Fiscal year ``fiscal_year`` of ``calendar`` (named after the calendar year it ends in).

        Examples:
            >>> cal = Calendar(fiscal_year_start_month=2)
            >>> w = Window.fiscal_year(2027, cal)
            >>> w.start.date(), w.end.date(), w.label
            (datetime.date(2026, 2, 1), datetime.date(2027, 2, 1), 'FY2027')
        """
        first = _fiscal_start(fiscal_year, calendar)
        return cls._period(_local_midnight(first, calendar), Grain.YEAR, calendar, fiscal=True)

    @classmethod
    def fiscal_quarter(cls, fiscal_year: int, quarter: int, calendar: Calendar) -> Window:
        """Quarter ``quarter`` (1-4) of fiscal year ``fiscal_year`` of ``calendar``.

        Examples:
            >>> cal = Calendar(fiscal_year_start_month=2)
            >>> w = Window.fiscal_quarter(2027, 1, cal)
            >>> w.start.date(), w.end.date(), w.label
            (datetime.date(2026, 2, 1), datetime.date(2026, 5, 1), 'FY2027Q1')
        """
        _check_int("quarter", "Window.fiscal_quarter", quarter, 1, 4)
        first = _fiscal_start(fiscal_year, calendar) + relativedelta(months=3 * (quarter - 1))
        return cls._period(_local_midnight(first, calendar), Grain.QUARTER, calendar, fiscal=True)

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
        first = calendar.instant(start, name="start", where="Window.between")
        last = calendar.instant(end, name="end", where="Window.between")
        return cls(first, last, None, calendar)

    @classmethod
    def trailing(cls, days: int, as_of: date | datetime, calendar: Calendar = UTC_CALENDAR) -> Window:
        """The ``days`` days that end at ``as_of`` (excluded): ``[as_of - days, as_of)``.

        Examples:
            >>> w = Window.trailing(90, datetime(2026, 10, 1, tzinfo=UTC))
            >>> w.start.date(), w.days
            (datetime.date(2026, 7, 3), 90.0)
        """
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ParameterError("days", "Window.trailing", "a positive integer", days)
        last = calendar.instant(as_of, name="as_of", where="Window.trailing")
        return cls(last - timedelta(days=days), last, None, calendar)

    @classmethod
    def parse(cls, text: str, calendar: Calendar = UTC_CALENDAR) -> Window:
        """Read a window from its label.

        Accepted forms: ``2026`` (year), ``2026Q3`` (quarter), ``2026-07`` (month),
        ``2026-07-14`` (day), ``FY2027`` and ``FY2027Q1`` (fiscal, in ``calendar``), and
        ``2026-01-01/2026-03-15`` (an arbitrary span of dates).

        Examples:
            >>> Window.parse("2026Q3") == Window.quarter(2026, 3)
            True
        """
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
            match = re.fullmatch(pattern, value, flags=re.IGNORECASE)
            if match:
                try:
                    window: Window = build(match)
                except ValueError as error:
                    raise ParameterError("text", "Window.parse", f"a valid window ({error})", text) from None
                return window
        raise ParameterError(
            "text",
            "Window.parse",
            "a label such as 2026, 2026Q3, 2026-07, 2026-07-14, FY2027Q1 or 2026-01-01/2026-03-15",
            text,
        )

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
        number of days); an arbitrary span moves by its own elapsed length.
        """
        if self.grain is None:
            return attrs.evolve(self, start=self.start + n * self.duration, end=self.end + n * self.duration)
        local = self.calendar.local(self.start).replace(tzinfo=None)
        new_start = (local + self.grain.step * n).replace(tzinfo=self.calendar.timezone)
        return Window._period(new_start, self.grain, self.calendar, self.fiscal)

    def previous(self) -> Window:
        """The window of the same length just before this one (``shift(-1)``)."""
        return self.shift(-1)

    def same_length_as(self, other: Window) -> bool:
        """Whether two windows have the same length: the same calendar grain, or equal elapsed time."""
        if self.grain is not None or other.grain is not None:
            return self.grain == other.grain
        return self.duration == other.duration

    def split(self, grain: Grain | str) -> list[Window]:
        """Cut the window into consecutive calendar periods of ``grain``.

        The pieces tile the window exactly: the first starts at ``start``, each starts where the
        previous one ends, and the last ends at ``end``. Where the window does not begin or end on
        a period boundary the first or last piece is a partial period (with ``grain`` None).

        Examples:
            >>> [w.label for w in Window.year(2026).split("quarter")]
            ['2026Q1', '2026Q2', '2026Q3', '2026Q4']
        """
        step = _as_grain(grain, "Window.split")
        pieces = []
        for local_start, local_end in _periods(self, step):
            first = max(local_start.astimezone(UTC), self.start)
            last = min(local_end.astimezone(UTC), self.end)
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
        window = cls._period(calendar.local(start), _as_grain(raw_grain, where), calendar, fiscal)
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
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(name, function, f"an integer from {low} to {high}", value)


def _local_midnight(day: date, calendar: Calendar) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=calendar.timezone)


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


# -- segments -----------------------------------------------------------------------------------

Scalar = str | bool | int


def _freeze_values(name: str, value: Any) -> frozenset[Scalar]:
    values: Iterable[Any]
    if isinstance(value, (str, bool, int)):
        values = (value,)
    elif isinstance(value, Iterable):
        values = tuple(value)
    else:
        raise ParameterError(name, "Segment.where", "a string, bool, int or a collection of them", value)
    frozen = frozenset(values)
    if not frozen:
        raise ParameterError(name, "Segment.where", "at least one allowed value", value)
    for item in frozen:
        if not isinstance(item, (str, bool, int)):
            raise ParameterError(name, "Segment.where", "strings, bools or ints", item)
    return frozen


def _render(value: Scalar) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@attrs.frozen
class Segment:
    """A declarative subset of accounts (or of records that carry attributes).

    A segment is a conjunction of criteria; each criterion names an attribute and the values it
    may take. ``Segment.all()`` has no criteria and matches everything.

    Examples:
        >>> s = Segment.where(tier="enterprise") & Segment.where(region=("EMEA", "NA"))
        >>> s.name
        'region in {EMEA, NA} & tier=enterprise'
        >>> s.matches({"tier": "enterprise", "region": "NA"}), s.matches({"tier": "smb"})
        (True, False)
        >>> Segment.parse(s.name) == s
        True
    """

    criteria: tuple[tuple[str, frozenset[Scalar]], ...] = ()

    @classmethod
    def all(cls) -> Segment:
        """The segment with no criteria: every account."""
        return cls(())

    @classmethod
    def where(cls, **criteria: Scalar | Iterable[Scalar]) -> Segment:
        """Accounts whose attributes take the given values (a collection means any of them)."""
        return cls(tuple(sorted((k, _freeze_values(k, v)) for k, v in criteria.items())))

    @classmethod
    def by(cls, *attributes: str) -> SegmentsBy:
        """The whole plus one segment per value of ``attributes`` present in a data set.

        With several attributes, one segment per combination of their values (the crossing).
        The values are read when a scorecard resolves it against its data set.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> [s.name for s in Segment.by("tier").resolve(tiny())]
            ['all', 'tier=enterprise', 'tier=mid', 'tier=smb']
        """
        return SegmentsBy(attributes)

    @property
    def is_all(self) -> bool:
        """Whether the segment matches everything."""
        return not self.criteria

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attribute names the segment reads."""
        return tuple(name for name, _ in self.criteria)

    def __and__(self, other: Segment) -> Segment:
        merged: dict[str, frozenset[Scalar]] = dict(self.criteria)
        for name, values in other.criteria:
            merged[name] = merged[name] & values if name in merged else values
        return Segment(tuple(sorted(merged.items())))

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        """Whether a record with these attribute values belongs to the segment."""
        for name, allowed in self.criteria:
            value = attributes.get(name)
            if value is None or value not in allowed:
                return False
        return True

    @property
    def name(self) -> str:
        """A readable, parseable name such as ``tier=enterprise & region in {EMEA, NA}``."""
        if not self.criteria:
            return "all"
        parts = []
        for attribute, values in self.criteria:
            rendered = sorted(_render(v) for v in values)
            if len(rendered) == 1:
                parts.append(f"{attribute}={rendered[0]}")
            else:
                parts.append(f"{attribute} in {{{', '.join(rendered)}}}")
        return " & ".join(parts)

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, list[Scalar]]:
        """JSON-safe form: attribute name to the sorted list of allowed values."""
        return {name: sorted(values, key=_render) for name, values in self.criteria}

    @classmethod
    def from_dict(cls, criteria: Mapping[str, Iterable[Scalar] | Scalar]) -> Segment:
        """Inverse of `to_dict`."""
        return cls.where(**dict(criteria))

    @classmethod
    def parse(cls, text: str) -> Segment:
        """Read a segment from ``tier=enterprise,region=EMEA|NA`` or from its `name`.

        Values ``true`` and ``false`` are read as booleans.

        Examples:
            >>> Segment.parse("tier=enterprise,icp=true") == Segment.where(tier="enterprise", icp=True)
            True
        """
        value = text.strip()
        if value in ("", "all"):
            return cls.all()
        criteria: dict[str, frozenset[Scalar]] = {}
        for part in re.split(r"\s*[,&]\s*(?![^{]*\})", value):
            match = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*(?:=\s*(.+?)|in\s*\{(.*)\})\s*", part)
            if not match:
                raise ParameterError(
                    "text",
                    "Segment.parse",
                    "criteria such as 'tier=enterprise,region=EMEA|NA'",
                    text,
                )
            raw = match[2] if match[2] is not None else match[3]
            items = [v.strip() for v in re.split(r"[|,]", raw) if v.strip()]
            criteria[match[1]] = frozenset(_parse_scalar(v) for v in items)
        return cls.where(**criteria)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _check_attributes(_: Any, __: Any, value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(name, str) and name.strip() for name in value):
        raise ParameterError("attributes", "Segment.by", "one or more attribute names such as 'tier'", value)
    if len(set(value)) != len(value):
        raise ParameterError("attributes", "Segment.by", "distinct attribute names", value)


@attrs.frozen
class SegmentsBy:
    """Segments by the values of one or more attributes, resolved against a data set.

    Build it with `Segment.by`.
    """

    attributes: tuple[str, ...] = attrs.field(converter=_names, validator=_check_attributes)

    def resolve(self, data: Any) -> list[Segment]:
        """``Segment.all()`` then one segment per value (or combination) present among the accounts.

        Accounts with no value for an attribute are in none of its segments.

        Raises:
            SegmentNotApplicableError: no account carries one of the attributes.
        """
        from advocacy_kpis.errors import SegmentNotApplicableError

        present: list[set[Scalar]] = [set() for _ in self.attributes]
        for account in data.accounts:
            view = account.segment_view()
            for i, name in enumerate(self.attributes):
                value = view.get(name)
                if value is not None:
                    present[i].add(value)
        for name, values in zip(self.attributes, present, strict=True):
            if not values:
                raise SegmentNotApplicableError(
                    "segments", "Segment.by", "an attribute some account has a value for", name
                )
        ordered = [sorted(values, key=lambda v: (type(v).__name__, _render(v))) for values in present]
        combos = itertools.product(*ordered)
        return [Segment.all()] + [
            Segment(
                tuple(
                    sorted(
                        (name, frozenset([value])) for name, value in zip(self.attributes, combo, strict=True)
                    )
                )
            )
            for combo in combos
        ]


def _parse_scalar(text: str) -> Scalar:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


# -- money --------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"[A-Z]{3}")


def check_currency(value: Any) -> bool:
    """Whether ``value`` looks like an ISO 4217 code (three upper-case letters)."""
    return isinstance(value, str) and _CURRENCY.fullmatch(value) is not None


def _currency(name: str, where: str) -> Any:
    def check(_: Any, __: Any, value: Any) -> None:
        if not check_currency(value):
            raise ParameterError(name, where, "an ISO 4217 code of three upper-case letters", value)

    return check


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise ParameterError("amount", "Money", "a Decimal, an int or a numeric string (never a float)", value)


@attrs.frozen
class Money:
    """An exact amount in one currency.

    Examples:
        >>> Money(Decimal("10.50"), "USD") + Money(Decimal("2"), "USD")
        Money(amount=Decimal('12.50'), currency='USD')
    """

    amount: Decimal = attrs.field(converter=_decimal)
    currency: str = attrs.field(validator=_currency("currency", "Money"))

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise CurrencyMismatchError(other.currency, self.currency)
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"


class BasisKind(enum.Enum):
    """How a contract's value is counted.

    ``ARR`` annual recurring revenue; ``MRR`` monthly (ARR / 12); ``ACV`` annual contract value
    (the value of the contract's first year); ``TCV`` total contract value (the whole term).
    """

    ARR = "arr"
    MRR = "mrr"
    ACV = "acv"
    TCV = "tcv"


def _fx(
    value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> tuple[tuple[str, Decimal], ...]:
    if value is None:
        return ()
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        value = dict(value)
    if not isinstance(value, Mapping):
        raise ParameterError("fx_rates", "RevenueBasis", "a mapping of currency to Decimal rate", value)
    rates = []
    for code, rate in sorted(value.items()):
        if not check_currency(code):
            raise ParameterError(
                "fx_rates", "RevenueBasis", "currency codes of three upper-case letters", code
            )
        amount = rate if isinstance(rate, Decimal) else None
        if isinstance(rate, (int, str)) and not isinstance(rate, bool):
            try:
                amount = Decimal(rate)
            except InvalidOperation:
                amount = None
        if amount is None or not amount > 0:
            raise ParameterError(
                "fx_rates",
                "RevenueBasis",
                f"a positive Decimal rate for {code} (never a float)",
                rate,
            )
        rates.append((code, amount))
    return tuple(rates)


@attrs.frozen
class RevenueBasis:
    """The revenue measure and currency in which money-valued and revenue-weighted metrics are stated.

    ``fx_rates`` maps another currency to the number of basis-currency units one unit of it is
    worth. Each contract or opportunity amount is converted exactly once, when it is read, by
    multiplying by its rate; amounts already in the basis currency are not touched. An amount in
    a currency with no rate is an error, never silently summed.

    Examples:
        >>> basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.10")})
        >>> basis.convert(Decimal("100"), "EUR")
        Decimal('110.00')
        >>> basis.name
        'ARR (USD)'
    """

    kind: BasisKind
    currency: str = attrs.field(validator=_currency("currency", "RevenueBasis"))
    fx_rates: tuple[tuple[str, Decimal], ...] = attrs.field(default=(), converter=_fx)

    @classmethod
    def arr(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Annual recurring revenue in ``currency``."""
        return cls(BasisKind.ARR, currency, fx_rates)

    @classmethod
    def mrr(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Monthly recurring revenue (ARR / 12) in ``currency``."""
        return cls(BasisKind.MRR, currency, fx_rates)

    @classmethod
    def acv(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Annual contract value (first-year value) in ``currency``."""
        return cls(BasisKind.ACV, currency, fx_rates)

    @classmethod
    def tcv(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Total contract value (whole term) in ``currency``."""
        return cls(BasisKind.TCV, currency, fx_rates)

    @classmethod
    def parse(cls, text: str) -> RevenueBasis:
        """Read ``arr:USD``, ``mrr:EUR``, ``acv:USD`` or ``tcv:GBP``.

        Examples:
            >>> RevenueBasis.parse("arr:USD") == RevenueBasis.arr("USD")
            True
        """
        match = re.fullmatch(r"\s*(arr|mrr|acv|tcv)\s*:\s*([A-Za-z]{3})\s*", text, flags=re.IGNORECASE)
        if not match:
            raise ParameterError("text", "RevenueBasis.parse", "KIND:CURRENCY such as arr:USD", text)
        return cls(BasisKind(match[1].lower()), match[2].upper())

    @property
    def is_run_rate(self) -> bool:
        """ARR and MRR are run rates at an instant; ACV and TCV are values of whole contracts."""
        return self.kind in (BasisKind.ARR, BasisKind.MRR)

    @property
    def name(self) -> str:
        """``ARR (USD)`` and the like."""
        return f"{self.kind.name} ({self.currency})"

    def __str__(self) -> str:
        return self.name

    def rate(self, currency: str) -> Decimal | None:
        """The FX rate from ``currency`` to the basis currency, 1 for the basis currency itself."""
        if currency == self.currency:
            return Decimal(1)
        return dict(self.fx_rates).get(currency)

    def convert(self, amount: Decimal, currency: str, where: str = "") -> Decimal:
        """``amount`` in ``currency`` expressed in the basis currency.

        Raises:
            CurrencyMismatchError: ``currency`` is neither the basis currency nor in ``fx_rates``.
        """
        rate = self.rate(currency)
        if rate is None:
            raise CurrencyMismatchError(currency, self.currency, where)
        return amount if currency == self.currency else amount * rate

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, rates as decimal strings.

        Examples:
            >>> RevenueBasis.tcv("EUR", fx_rates={"USD": Decimal("0.91")}).to_dict()
            {'kind': 'tcv', 'currency': 'EUR', 'fx_rates': {'USD': '0.91'}}
        """
        return {
            "kind": self.kind.value,
            "currency": self.currency,
            "fx_rates": {code: str(rate) for code, rate in self.fx_rates},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RevenueBasis:
        """Inverse of `to_dict`; ``fx_rates`` may be left out.

        Raises:
            ParameterError: an entry is missing, the kind is unknown, or a rate is not a positive decimal.
        """
        where = "RevenueBasis.from_dict"
        raw_kind = _field(data, "kind", where)
        try:
            kind = BasisKind(raw_kind)
        except ValueError:
            kinds = ", ".join(repr(k.value) for k in BasisKind)
            raise ParameterError("kind", where, f"one of {kinds}", raw_kind) from None
        return cls(kind, _field(data, "currency", where), data.get("fx_rates"))
