"""How the report writes numbers: values, changes and p-values, the same way in every format."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from advocacy_kpis.result import Change, MetricResult, Number, Unit
from advocacy_kpis.scope import RevenueBasis

MINUS = "\u2212"
"""The minus sign of changes (a typographic minus, not a hyphen)."""

UNDEFINED = "\u2014"
"""What a table shows for an undefined value (the reason is given beside it)."""


def number_text(value: Number, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """A value in its unit: ``17.6%``, ``42.5``, ``73,364 USD``, ``12.0 days``.

    Examples:
        >>> number_text(0.176, Unit.RATE), number_text(Decimal("73364.4"), Unit.MONEY, RevenueBasis.arr("USD"))
        ('17.6%', '73,364 USD')
    """
    if unit is Unit.RATE:
        return f"{float(value):.1%}"
    if unit is Unit.MONEY:
        currency = f" {basis.currency}" if basis is not None else ""
        return f"{Decimal(value):,.0f}{currency}"
    if unit is Unit.COUNT:
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.1f}"
    if unit is Unit.DAYS:
        return f"{float(value):.1f} days"
    if unit is Unit.RATIO:
        return f"{float(value):.2f}"
    if unit is Unit.PER_MONTH:
        return f"{float(value):.1f}/month"
    return f"{float(value):.1f}"


def value_text(result: MetricResult | None) -> str:
    """A result's value in its unit, or a dash when it is undefined or missing."""
    if result is None or result.value is None:
        return UNDEFINED
    return number_text(result.value, result.unit, result.basis)


def _signed(magnitude: str, negative: bool, zero: bool) -> str:
    if zero:
        return f"\u00b1{magnitude}"
    return f"{MINUS if negative else '+'}{magnitude}"


def delta_text(absolute: Number, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """A difference in its unit: rates in percentage points, money in the basis currency.

    Examples:
        >>> delta_text(-0.032, Unit.RATE), delta_text(2.25, Unit.SCORE), delta_text(0, Unit.COUNT)
        ('\u22123.2 pts', '+2.2', '\u00b10')
    """
    negative = absolute < 0
    size: Any = -absolute if negative else absolute
    if unit is Unit.RATE:
        text = f"{float(size) * 100:.1f} pts"
        zero = text == "0.0 pts"
    elif unit is Unit.MONEY:
        text = f"{Decimal(size):,.0f}" + (f" {basis.currency}" if basis is not None else "")
        zero = Decimal(size).quantize(Decimal(1)) == 0
    elif unit is Unit.COUNT:
        text = f"{int(size):,}" if float(size).is_integer() else f"{float(size):,.1f}"
        zero = float(size) == 0
    elif unit is Unit.RATIO:
        text = f"{float(size):.2f}"
        zero = text == "0.00"
    else:
        text = f"{float(size):.1f}" + (" days" if unit is Unit.DAYS else "")
        zero = float(f"{float(size):.1f}") == 0
    return _signed(text, negative, zero)


def change_text(change: Change | None, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """The absolute change in its unit, or a dash when there is none."""
    if change is None or change.absolute is None:
        return UNDEFINED
    return delta_text(change.absolute, unit, basis)


def p_text(p_value: float | None) -> str:
    """``p=0.068``, ``p<0.001``, or ``no test``.

    Examples:
        >>> p_text(0.06830), p_text(0.0000012), p_text(None)
        ('p=0.068', 'p<0.001', 'no test')
    """
    if p_value is None:
        return "no test"
    if p_value < 0.001:
        return "p<0.001"
    return f"p={p_value:.3f}"


def significance_text(change: Change | None) -> str:
    """``yes (p=0.012)``, ``no (p=0.068)``, or ``no test``."""
    if change is None or change.significant is None:
        return "no test"
    return f"{'yes' if change.significant else 'no'} ({p_text(change.p_value)})"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 account``, ``3 accounts``.

    Examples:
        >>> plural(1, "risk"), plural(0, "risk"), plural(2, "sample", "samples")
        ('1 risk', '0 risks', '2 samples')
    """
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples:
        >>> listing(["tier=smb"]), listing(["a", "b", "c"])
        ('tier=smb', 'a, b and c')
    """
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"
