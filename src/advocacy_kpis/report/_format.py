"""How the report writes numbers: values, changes and p-values, the same way in every format."""

from __future__ import annotations

import re

from advocacy_kpis import display
from advocacy_kpis.analyses import p_text as _p_text
from advocacy_kpis.result import Change, MetricResult, Number, Unit
from advocacy_kpis.scope import RevenueBasis

MINUS = display.MINUS
"""The minus sign of changes (a typographic minus, not a hyphen)."""

UNDEFINED = "\u2014"
"""What a table shows for an undefined value (the reason is given beside it)."""


def number_text(value: Number, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """A value in its unit: ``17.6%``, ``42.5``, ``73,364 USD``, ``12.0 days``.

    Examples:
        >>> from decimal import Decimal
        >>> number_text(0.176, Unit.RATE), number_text(Decimal("73364.4"), Unit.MONEY, RevenueBasis.arr("USD"))
        ('17.6%', '73,364 USD')
    """
    return display.number_text(value, unit.value, basis.currency if basis is not None else None)


def value_text(result: MetricResult | None) -> str:
    """A result's value in its unit, or a dash when it is undefined or missing."""
    if result is None or result.value is None:
        return UNDEFINED
    return number_text(result.value, result.unit, result.basis)


def delta_text(absolute: Number, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """A difference in its unit: rates in percentage points, money in the basis currency.

    Examples:
        >>> delta_text(-0.032, Unit.RATE), delta_text(2.25, Unit.SCORE), delta_text(0, Unit.COUNT)
        ('\u22123.2 pts', '+2.2', '\u00b10')
    """
    return display.delta_text(absolute, unit.value, basis.currency if basis is not None else None)


def change_text(change: Change | None, unit: Unit, basis: RevenueBasis | None = None) -> str:
    """The absolute change in its unit, or a dash when there is none."""
    if change is None or change.absolute is None:
        return UNDEFINED
    return delta_text(change.absolute, unit, basis)


def p_text(p_value: float | None, adjusted: bool = False) -> str:
    """``p = 0.068``, ``p < 0.001`` (never ``p = 0.000``), or ``no test``.

    Examples:
        >>> p_text(0.06830), p_text(0.0000012), p_text(None), p_text(0.2, adjusted=True)
        ('p = 0.068', 'p < 0.001', 'no test', 'adjusted p = 0.200')
    """
    return _p_text(p_value, adjusted)


def p_values_text(p_value: float | None, adjusted_p: float | None) -> str:
    """A test as the report quotes it: ``p = 0.004, adjusted p = 0.031``, or ``no test``.

    Examples:
        >>> p_values_text(0.0004, 0.031), p_values_text(None, None)
        ('p < 0.001, adjusted p = 0.031', 'no test')
    """
    if p_value is None:
        return "no test"
    if adjusted_p is None:
        return _p_text(p_value)
    return f"{_p_text(p_value)}, {_p_text(adjusted_p, adjusted=True)}"


def significance_text(significant: bool | None, p_value: float | None, adjusted_p: float | None) -> str:
    """The verdict column: ``yes (adjusted p = 0.012)``, ``not significant (p = 0.04, adjusted p = 0.6)``, ``no test``.

    Examples:
        >>> significance_text(False, 0.0683, 1.0)
        'not significant (p = 0.068, adjusted p = 1.000)'
        >>> significance_text(None, None, None)
        'no test'
    """
    if significant is None or p_value is None:
        return "no test"
    if significant:
        return f"significant ({_p_text(adjusted_p, adjusted=True)})"
    return f"not significant ({p_values_text(p_value, adjusted_p)})"


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
        >>> listing(["SMB"]), listing(["a", "b", "c"])
        ('SMB', 'a, b and c')
    """
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


_MARKDOWN_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "\n": " ",
        "\r": " ",
    }
)
# A "<" that could open a tag, a comment or an autolink, and an "&" that could start an entity.
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])|&(?=#|[A-Za-z][A-Za-z0-9]*;)")
# What starts a heading, a list, a quote or a thematic break when it opens a line.
_BLOCK_START = re.compile(r"^(\s*)(?:([#>+=~-])|(\d+)([.)]))")


def markdown_text(text: str, *, opens_block: bool = True) -> str:
    """Text made inert in Markdown: no emphasis, link, image, code, table cell or raw HTML can start in it.

    Brackets, backticks, emphasis marks and pipes are escaped with a backslash, and so is a mark that
    would open a heading, a list or a quote at the start of the text; a ``<`` that could open a tag
    and an ``&`` that could start an entity are written as entities. Text that
    came from the data (a feedback quote, an account or release name) so reads as the words it is:
    ``[x](javascript:...)`` stays text and ``<script>`` is shown, not run, while ``p < 0.001``
    keeps its plain ``<``. Line breaks become spaces. In a table cell (``opens_block=False``) no
    block can start, so a leading ``-`` (a negative number) is left as it is.

    Examples:
        >>> print(markdown_text("[click](javascript:alert(1)) <b>bold</b> *a*|b, p < 0.001 & more"))
        \\[click\\](javascript:alert(1)) &lt;b>bold&lt;/b> \\*a\\*\\|b, p < 0.001 & more
        >>> print(markdown_text("# not a heading, #3 stays")), print(markdown_text("1. not a list"))
        \\# not a heading, #3 stays
        1\\. not a list
        (None, None)
    """
    escaped = _MARKUP.sub(
        lambda m: "&lt;" if m.group(0) == "<" else "&amp;", text.translate(_MARKDOWN_SPECIAL)
    )
    return _BLOCK_START.sub(_inert_start, escaped, count=1) if opens_block else escaped


def _inert_start(match: re.Match[str]) -> str:
    indent, mark, digits, punctuation = match.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{digits}\\{punctuation}"
