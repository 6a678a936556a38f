"""What the analyses and the report share: the multiple-testing correction, labels people read,
and the tabular outputs (rows, frames, a notebook's HTML) of every analysis result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

import attrs

from advocacy_kpis import display
from advocacy_kpis.display import p_text
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.scope import Grain, Segment, Window
from advocacy_kpis.stats import CORRECTIONS, adjust_p_values

__all__ = [
    "ERROR_RATE",
    "Correction",
    "Tabular",
    "check_correction",
    "p_text",
    "period_label",
    "segment_label",
]

ERROR_RATE: Final = 0.05
"""The default error rate of every family of tests: 5%."""

_METHOD_NAMES: Final = {
    "holm": "Holm's step-down correction",
    "benjamini-hochberg": "the Benjamini-Hochberg correction",
}
_GUARANTEES: Final = {
    "holm": "family-wise error rate",
    "benjamini-hochberg": "false discovery rate",
}


def check_correction(method: object, error_rate: object, function: str) -> tuple[str, float]:
    """A checked correction method and error rate.

    Raises:
        ParameterError: an unknown method, or an error rate outside (0, 0.5].
    """
    if method not in CORRECTIONS:
        raise ParameterError("correction", function, "'holm' or 'benjamini-hochberg'", method)
    if isinstance(error_rate, bool) or not isinstance(error_rate, (int, float)) or not 0 < error_rate <= 0.5:
        raise ParameterError(
            "error_rate", function, "a number above 0 and at most 0.5, such as 0.05", error_rate
        )
    return str(method), float(error_rate)


@attrs.frozen
class Correction:
    """How a family of tests was corrected for being tested together.

    Attributes:
        method: ``"holm"`` (the chance of any false finding in the family is at most
            ``error_rate``) or ``"benjamini-hochberg"`` (the expected share of false findings
            among the findings is at most ``error_rate``).
        error_rate: the error rate findings are chosen at.
        tests: how many tests the family holds.
        family: what the family is made of, in words.
    """

    method: str
    error_rate: float
    tests: int
    family: str

    @property
    def guarantee(self) -> str:
        """``family-wise error rate`` or ``false discovery rate``."""
        return _GUARANTEES[self.method]

    def adjust(self, p_values: Sequence[float]) -> list[float]:
        """The family's p-values adjusted by this correction."""
        return adjust_p_values(p_values, self.method)

    def describe(self) -> str:
        """One sentence: the method, the error rate, and the family.

        Examples:
            >>> Correction("holm", 0.05, 12, "3 metrics x 4 segments").describe()
            "Holm's step-down correction at a 5% family-wise error rate across 12 tests (3 metrics x 4 segments)"
        """
        return (
            f"{_METHOD_NAMES[self.method]} at a {self.error_rate:.0%} {self.guarantee} across "
            f"{self.tests} test{'' if self.tests == 1 else 's'} ({self.family})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "method": self.method,
            "error_rate": self.error_rate,
            "controls": self.guarantee,
            "tests": self.tests,
            "family": self.family,
            "description": self.describe(),
        }


# -- labels --------------------------------------------------------------------------------------

_ACRONYMS: Final = frozenset(
    {"smb", "sme", "emea", "apac", "latam", "amer", "na", "eu", "uk", "us", "icp", "b2b", "b2c", "saas"}
)
_ATTRIBUTE_ORDER: Final = ("tier", "region", "industry", "plan", "icp")


def _value_label(attribute: str, value: object) -> str:
    if isinstance(value, bool):
        name = attribute.upper() if attribute.lower() in _ACRONYMS else attribute.replace("_", " ")
        return name if value else f"not {name}"
    if isinstance(value, int):
        return f"{attribute.replace('_', ' ')} {value}"
    text = str(value)
    if text.lower() in _ACRONYMS:
        return text.upper()
    return text[:1].upper() + text[1:]


def segment_label(segment: Segment) -> str:
    """A segment as a reader names it: its values, not its criteria.

    Examples:
        >>> segment_label(Segment.where(tier="enterprise")), segment_label(Segment.where(tier="smb"))
        ('Enterprise', 'SMB')
        >>> segment_label(Segment.where(region="EMEA", tier="mid")), segment_label(Segment.all())
        ('Mid · EMEA', 'All customers')
        >>> segment_label(Segment.where(region=("NA", "EMEA"))), segment_label(Segment.where(icp=False))
        ('EMEA or NA', 'not ICP')
    """
    if segment.is_all:
        return "All customers"

    def order(item: tuple[str, object]) -> tuple[int, str]:
        name = item[0]
        return (_ATTRIBUTE_ORDER.index(name) if name in _ATTRIBUTE_ORDER else len(_ATTRIBUTE_ORDER), name)

    parts = []
    for attribute, values in sorted(segment.criteria, key=order):
        shown = sorted(_value_label(attribute, v) for v in values)
        parts.append(" or ".join(shown))
    return " · ".join(parts)


_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(moment: Any) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def period_label(window: Window) -> str:
    """A window as a period people read: ``Sep 2026``, ``Q3 2026``, ``2026``, ``1 Apr – 29 Jun 2026``.

    An ad-hoc window names its first and last day (its end is excluded).

    Examples:
        >>> period_label(Window.month(2026, 9)), period_label(Window.quarter(2026, 3)), period_label(Window.year(2026))
        ('Sep 2026', 'Q3 2026', '2026')
        >>> from datetime import date
        >>> period_label(Window.between(date(2026, 3, 25), date(2026, 6, 23)))
        '25 Mar 2026 – 22 Jun 2026'
    """
    local = window.calendar.local(window.start)
    if window.fiscal and window.grain in (Grain.YEAR, Grain.QUARTER):
        return window.label.replace("Q", " Q")
    if window.grain is Grain.YEAR:
        return f"{local.year}"
    if window.grain is Grain.QUARTER:
        return f"Q{(local.month - 1) // 3 + 1} {local.year}"
    if window.grain is Grain.MONTH:
        return f"{_MONTHS[local.month - 1]} {local.year}"
    if window.grain is Grain.DAY:
        return _day(local)
    last = window.calendar.local(window.end - timedelta(microseconds=1))
    if window.grain is Grain.WEEK:
        return f"week of {_day(local)}"
    if last.date() == local.date():
        return _day(local)
    return f"{_day(local)} – {_day(last)}"


# -- outputs -------------------------------------------------------------------------------------


class Tabular:
    """Rows, frames and the displays of an analysis result.

    A subclass gives ``to_rows()`` (flat, JSON-safe dicts, one per row of its table) and
    ``_view()`` (what it shows); `to_frame`, ``str()``, a short ``repr()`` and a notebook's
    HTML follow from them.
    """

    __slots__ = ()

    def to_rows(self) -> list[dict[str, Any]]:  # pragma: no cover - every subclass defines it
        """One flat, JSON-safe dict per row."""
        raise NotImplementedError

    def _view(self) -> display.View:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_frame(self, kind: str = "pandas") -> Any:
        """`to_rows` as a pandas or Polars DataFrame (needs the ``frames`` extra).

        Raises:
            MissingExtraError: narwhals or the asked library is not installed.
            ParameterError: an unknown ``kind``.
        """
        rows = self.to_rows()
        names = list(dict.fromkeys(name for row in rows for name in row))
        columns = {name: [row.get(name) for row in rows] for name in names}
        return display.frame(columns, kind, f"{type(self).__name__}.to_frame")

    def __str__(self) -> str:
        return self._view().text()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._view().title}>"

    def _repr_html_(self) -> str:
        return self._view().html()
