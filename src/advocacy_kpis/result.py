"""What a metric returns: `MetricResult`, and `Change` between two comparable results.

A result carries its context (window, segment, basis, the definition version, ``as_of``) so a
stored number always says what it is. Undefined values are ``None`` with a reason, never 0.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from advocacy_kpis.errors import IncomparableResultsError
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import (
    Interval,
    TestResult,
    conditional_binomial_test,
    nps_difference_test,
    two_proportion_test,
)

__all__ = ["Change", "Direction", "IncomparableResultsError", "Interval", "MetricResult", "Unit"]

Number = int | float | Decimal


class Unit(enum.Enum):
    """What a metric's value measures."""

    RATE = "rate"
    """A fraction in [0, 1]."""
    SCORE = "score"
    """A score on the metric's own scale (NPS: -100 to 100; readiness: 0 to 100)."""
    RATIO = "ratio"
    """A ratio that may leave [0, 1] (ROI, growth, invitations per account)."""
    COUNT = "count"
    """A number of things."""
    MONEY = "money"
    """A Decimal amount in the basis currency."""
    DAYS = "days"
    """A duration in days."""
    PER_MONTH = "per_month"
    """Events per calendar month."""


class Direction(enum.Enum):
    """Which way is good."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    TARGET_RANGE = "target_range"
    """Better up to a point (asking for referrals: too often burns goodwill)."""


def _freeze(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (Window, Segment, RevenueBasis, Interval)):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_json(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if attrs.has(type(value)):
        return {k: _json(v) for k, v in attrs.asdict(value, recurse=False).items()}
    return value


@attrs.frozen
class Change:
    """The change from an earlier result to a later one.

    Attributes:
        previous: the earlier value.
        current: the later value.
        absolute: ``current - previous``.
        relative: ``absolute / previous``; None when the earlier value is 0.
        p_value: two-sided p-value of the test that nothing changed, where a test applies.
        significant: ``p_value < 1 - confidence``; None without a test.
        interval: confidence interval of the difference, where the test gives one.
        method: the test used (``two-proportion-z``, ``nps-difference-z``,
            ``conditional-binomial``) or None.
        confidence: the confidence level used.

    The tests assume the two samples are independent; the same respondents answering in both
    periods makes them conservative.
    """

    previous: Number
    current: Number
    absolute: Number
    relative: float | None
    p_value: float | None
    significant: bool | None
    interval: Interval | None
    method: str | None
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: _json(v) for k, v in attrs.asdict(self, recurse=False).items()}


@attrs.frozen
class MetricResult:
    """The value of one metric over one window and segment, with everything needed to trust it.

    Attributes:
        metric: catalogue id of the metric.
        value: the number, or None when undefined (see ``undefined_reason``).
        unit: what ``value`` measures.
        window: the window it was measured over.
        segment: the segment it was measured on.
        basis: the revenue basis, for money-valued and revenue-weighted results.
        numerator: the numerator of a ratio (a count, or money for weighted results).
        denominator: the denominator of a ratio.
        sample_size: how many units (accounts, respondents, referrals, ...) the value rests on.
        interval: confidence interval of the value, where one is defined.
        components: the named counts and sums behind the value.
        details: further breakdowns (by platform, per-account scores, survival shares, ...).
        undefined_reason: why ``value`` is None.
        warnings: caveats: small sample, immature members excluded, a threshold breached,
            a window that runs past ``as_of``.
        definition_version: version of the catalogue definition that produced the result.
        as_of: when the data set was extracted.
    """

    metric: str
    value: Number | None
    unit: Unit
    window: Window
    segment: Segment
    as_of: datetime
    basis: RevenueBasis | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    sample_size: int = 0
    interval: Interval | None = None
    components: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    undefined_reason: str | None = None
    warnings: tuple[str, ...] = ()
    definition_version: int = 1

    @property
    def is_defined(self) -> bool:
        """Whether the value is defined."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: Decimals as strings, instants in ISO 8601, enums as their values."""
        return {field.name: _json(getattr(self, field.name)) for field in attrs.fields(MetricResult)}

    def format(self) -> str:
        """A one-line human-readable rendering, e.g. ``net_promoter_score = 42.0 [31.5, 52.5]``."""
        return f"{self.metric} = {format_value(self)}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        shown = format_value(self) if self.value is not None else f"undefined: {self.undefined_reason}"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        extra = f" n={self.sample_size}" if self.sample_size else ""
        extra += f" warnings={len(self.warnings)}" if self.warnings else ""
        return f"<MetricResult {self.metric} {self.window.label} {self.segment.name}: {shown}{extra}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks: the value, its scope and its caveats."""
        import html

        rows = [
            ("metric", self.metric),
            ("value", format_value(self)),
            (
                "window",
                f"{self.window.label} ({self.window.start.isoformat()} to {self.window.end.isoformat()})",
            ),
            ("segment", self.segment.name),
            ("basis", self.basis.name if self.basis else "none"),
            ("ratio", f"{self.numerator} / {self.denominator}" if self.numerator is not None else "-"),
            ("sample size", str(self.sample_size)),
            *[("warning", w) for w in self.warnings],
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    def check_comparable(self, other: MetricResult) -> None:
        """Raise unless ``other`` measures the same thing on the same footing.

        Raises:
            IncomparableResultsError: the metric, definition version, segment, basis or window
                length differ.
        """
        checks = [
            ("metric", self.metric, other.metric),
            ("definition_version", self.definition_version, other.definition_version),
            ("segment", self.segment.name, other.segment.name),
            (
                "basis",
                self.basis.name if self.basis else None,
                other.basis.name if other.basis else None,
            ),
        ]
        for what, mine, theirs in checks:
            if mine != theirs:
                raise IncomparableResultsError(
                    f"Cannot compare results with a different {what}: {theirs!r} and {mine!r}."
                )
        if not self.window.same_length_as(other.window):
            raise IncomparableResultsError(
                "Cannot compare results over windows of different length: "
                f"{other.window.label} ({other.window.days:g} days) and "
                f"{self.window.label} ({self.window.days:g} days)."
            )

    def change_from(self, previous: MetricResult, *, confidence: float = 0.95) -> Change | None:
        """The change from ``previous`` to this result, with a significance test where one applies.

        Rates with count numerators use a two-proportion z-test and Newcombe's interval; NPS uses
        the adjusted-Wald difference; counts use the conditional binomial test with the windows'
        lengths as exposures.

        Returns:
            The `Change`, or None when either value is undefined.

        Raises:
            IncomparableResultsError: see `check_comparable`.
        """
        self.check_comparable(previous)
        if self.value is None or previous.value is None:
            return None
        current_value, previous_value = self.value, previous.value
        absolute: Number
        if isinstance(current_value, Decimal) or isinstance(previous_value, Decimal):
            absolute = Decimal(current_value) - Decimal(previous_value)
            relative = float(absolute / Decimal(previous_value)) if previous_value != 0 else None
        else:
            absolute = current_value - previous_value
            relative = absolute / previous_value if previous_value != 0 else None
        test = _test(previous, self, confidence)
        return Change(
            previous=previous_value,
            current=current_value,
            absolute=absolute,
            relative=relative,
            p_value=test.p_value if test else None,
            significant=(test.p_value < 1 - confidence) if test else None,
            interval=test.interval if test else None,
            method=test.method if test else None,
            confidence=confidence,
        )


def _counts(result: MetricResult) -> tuple[int, int] | None:
    num, den = result.numerator, result.denominator
    if isinstance(num, int) and isinstance(den, int) and not isinstance(num, bool) and den > 0:
        return num, den
    return None


def _test(first: MetricResult, second: MetricResult, confidence: float) -> TestResult | None:
    keys = ("promoters", "passives", "detractors")
    if first.basis is None and all(k in first.components and k in second.components for k in keys):
        a = tuple(int(first.components[k]) for k in keys)
        b = tuple(int(second.components[k]) for k in keys)
        return nps_difference_test((a[0], a[1], a[2]), (b[0], b[1], b[2]), confidence)
    if first.unit is Unit.RATE and first.basis is None:
        one, two = _counts(first), _counts(second)
        if one and two:
            return two_proportion_test(one[0], one[1], two[0], two[1], confidence)
        return None
    if first.unit is Unit.COUNT and isinstance(first.value, int) and isinstance(second.value, int):
        return conditional_binomial_test(first.value, second.value, first.window.days, second.window.days)
    return None


def format_value(result: MetricResult) -> str:
    """The value with its unit and interval, for display (rates as percentages)."""
    if result.value is None:
        return f"undefined ({result.undefined_reason})"
    value = result.value
    interval = result.interval
    if result.unit is Unit.RATE:
        text = f"{float(value):.1%}"
        if interval:
            text += f" [{interval.low:.1%}, {interval.high:.1%}]"
        return text
    if result.unit is Unit.MONEY:
        currency = result.basis.currency if result.basis else ""
        return f"{Decimal(value):,.2f} {currency}".strip()
    if isinstance(value, int):
        text = f"{value}"
    else:
        text = f"{float(value):.1f}" if result.unit is not Unit.RATIO else f"{float(value):.3f}"
    if result.unit is Unit.DAYS:
        text += " days"
    elif result.unit is Unit.PER_MONTH:
        text += " per month"
    if interval:
        text += f" [{interval.low:.1f}, {interval.high:.1f}]"
    return text
