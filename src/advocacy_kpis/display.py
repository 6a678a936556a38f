"""Displays: the HTML a notebook shows and the text ``print`` writes, from one description.

A value of the library describes what it shows as a `View`: a title, the lines under it, facts
(a label and a value each), tables, the notes its cells point to and a legend. `View.html`
writes it as a self-contained HTML fragment (its CSS inline, nothing loaded from elsewhere,
legible on light and dark notebook themes) and `View.text` writes the same cells as plain text,
laid out like the command line's tables, so a notebook and a terminal never disagree. Text is
escaped where it enters HTML, and nowhere else.

The number functions write values as a reader needs them: rates as percentages, money in whole
units of its currency (the currency named once, in a header or a unit), changes with their sign,
intervals in the value's own format. A unit is named by the value of `advocacy_kpis.result.Unit`
(``"rate"``, ``"money"``, ...), since this module sits below the results it displays.

This module serves the library's own displays; it is public so that every layer can use it, and
its names may change between releases.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal, Protocol

import attrs

from advocacy_kpis.errors import MissingExtraError, ParameterError
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import Interval

__all__ = [
    "CSS",
    "MINUS",
    "SMALL_SAMPLE_NOTE",
    "TEXT_WIDTH",
    "Cell",
    "Compared",
    "Facts",
    "Footnotes",
    "Heading",
    "Items",
    "Measured",
    "Number",
    "Page",
    "Paragraph",
    "Part",
    "Table",
    "Tone",
    "View",
    "change_cells",
    "change_legend",
    "change_repr",
    "change_view",
    "counted",
    "delta_text",
    "detail_text",
    "difference_text",
    "escape",
    "frame",
    "interval_text",
    "is_small",
    "nested_facts",
    "number_text",
    "p_text",
    "result_cell",
    "result_view",
    "value_text",
]

Number = int | float | Decimal

MINUS: Final = "\u2212"
"""The minus sign of changes (a typographic minus, not a hyphen)."""

SMALL_SAMPLE_NOTE: Final = "small sample: "
"""How the warning of a result resting on a small sample starts; a display marks such a value with ``*``."""

TEXT_WIDTH: Final = 96
"""Where the text of notes and paragraphs wraps."""


def counted(count: int, noun: str) -> str:
    """A count with its noun, plural unless one: ``1 metric``, ``4 segments``.

    Examples:
        >>> counted(1, "metric"), counted(4, "segment"), counted(0, "window")
        ('1 metric', '4 segments', '0 windows')
    """
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def escape(text: object) -> str:
    """Text made inert in HTML: ``<``, ``>``, ``&`` and both quotes become entities.

    Examples:
        >>> escape('<b onclick="x">Tom & Jerry\\'s</b>')
        '&lt;b onclick=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


# -- numbers ---------------------------------------------------------------------------------------


def _plain(value: Number, unit: str, exact: bool) -> str:
    if unit == "rate":
        return f"{float(value):.1%}"
    if unit == "money":
        return f"{Decimal(value):,.2f}" if exact else f"{Decimal(value):,.0f}"
    if unit == "count" or isinstance(value, int):
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.1f}"
    if unit == "ratio":
        return f"{float(value):,.3f}" if exact else f"{float(value):,.2f}"
    return f"{float(value):,.1f}"


def _suffix(unit: str, currency: str | None) -> str:
    if unit == "money":
        return f" {currency}" if currency else ""
    return {"days": " days", "per_month": " per month"}.get(unit, "")


def number_text(
    value: Number, unit: str, currency: str | None = None, *, exact: bool = False, words: bool = True
) -> str:
    """A value in its unit: ``17.6%``, ``42.5``, ``455,116 USD``, ``12.0 days``.

    Args:
        value: the number.
        unit: the value of its `advocacy_kpis.result.Unit`: ``rate``, ``score``, ``ratio``,
            ``count``, ``money``, ``days`` or ``per_month``.
        currency: the currency of money, written after it when ``words`` is true.
        exact: money to the cent and ratios to three places (a single value); otherwise money
            in whole units and ratios to two places (a table's cells).
        words: write the unit after the number (``days``, ``per month``, the currency); a table
            that names the unit in a header leaves it out.

    Examples:
        >>> number_text(0.176, "rate"), number_text(Decimal("455116.40"), "money", "USD")
        ('17.6%', '455,116 USD')
        >>> number_text(Decimal("7.5"), "money", "USD", exact=True), number_text(Decimal("455116.4"), "money")
        ('7.50 USD', '455,116')
        >>> number_text(1234, "count"), number_text(33.25, "days"), number_text(33.25, "days", words=False)
        ('1,234', '33.2 days', '33.2')
        >>> number_text(1.2345, "ratio"), number_text(1.2345, "ratio", exact=True), number_text(-3.25, "score")
        ('1.23', '1.234', '-3.2')
    """
    text = _plain(value, unit, exact)
    return text + _suffix(unit, currency) if words else text


def interval_text(interval: Interval, unit: str, *, exact: bool = False) -> str:
    """An interval's bounds written as its value is: ``[20.0%, 31.0%]``, ``[8.2, 16.8]``.

    Examples:
        >>> interval_text(Interval(0.2, 0.31), "rate"), interval_text(Interval(8.25, 16.75), "count")
        ('[20.0%, 31.0%]', '[8.2, 16.8]')
    """
    low, high = (number_text(float(b), unit, exact=exact, words=False) for b in (interval.low, interval.high))
    return f"[{low}, {high}]"


def value_text(
    value: Number,
    unit: str,
    interval: Interval | None = None,
    currency: str | None = None,
    *,
    exact: bool = False,
    words: bool = True,
) -> str:
    """A value in its unit followed by its interval, if it has one: ``25.3% [20.0%, 31.0%]``.

    Examples:
        >>> value_text(0.253, "rate", Interval(0.2, 0.31)), value_text(12, "count", Interval(8.25, 16.75))
        ('25.3% [20.0%, 31.0%]', '12 [8.2, 16.8]')
        >>> value_text(33.25, "days", Interval(20, 41.5))
        '33.2 days [20.0, 41.5]'
    """
    text = number_text(value, unit, currency, exact=exact, words=words)
    return f"{text} {interval_text(interval, unit, exact=exact)}" if interval is not None else text


def _signed(magnitude: str, negative: bool, zero: bool) -> str:
    if zero:
        return f"\u00b1{magnitude}"
    return f"{MINUS if negative else '+'}{magnitude}"


def delta_text(absolute: Number, unit: str, currency: str | None = None, *, words: bool = True) -> str:
    """A difference in its unit, signed: rates in percentage points, money in whole units.

    Examples:
        >>> delta_text(-0.032, "rate"), delta_text(2.25, "score"), delta_text(0, "count")
        ('\u22123.2 pts', '+2.2', '\u00b10')
        >>> delta_text(Decimal("-1200.4"), "money", "EUR"), delta_text(3.5, "days")
        ('\u22121,200 EUR', '+3.5 days')
    """
    negative = absolute < 0
    size: Any = -absolute if negative else absolute
    if unit == "rate":
        text = f"{float(size) * 100:.1f}" + (" pts" if words else "")
        zero = float(f"{float(size) * 100:.1f}") == 0
    elif unit == "money":
        text = f"{Decimal(size):,.0f}" + (f" {currency}" if words and currency else "")
        zero = Decimal(size).quantize(Decimal(1)) == 0
    elif unit == "count":
        text = f"{int(size):,}" if float(size).is_integer() else f"{float(size):,.1f}"
        zero = float(size) == 0
    elif unit == "ratio":
        text = f"{float(size):.2f}"
        zero = text == "0.00"
    else:
        text = f"{float(size):.1f}" + (_suffix(unit, None) if words else "")
        zero = float(f"{float(size):.1f}") == 0
    return _signed(text, negative, zero)


def difference_text(
    difference: Number, unit: str, currency: str | None = None, interval: Interval | None = None
) -> tuple[str, ...]:
    """A difference (a change, a segment against the rest) and, when there is one, its interval:
    rates always in points (a bare ``+2.2`` under a ``%`` header reads as a relative change).

    Examples:
        >>> difference_text(-0.14, "rate", interval=Interval(-0.259, -0.019))
        ('\u221214.0 pts', '[\u221225.9, \u22121.9]')
        >>> difference_text(Decimal("120"), "money", "USD")
        ('+120 USD',)
    """
    shown = delta_text(difference, unit, currency, words=bool(currency) or unit == "rate")
    if interval is None:
        return (shown,)
    low, high = (delta_text(b, unit, currency, words=False) for b in (interval.low, interval.high))
    return shown, f"[{low}, {high}]"


def p_text(p_value: float | None, adjusted: bool = False) -> str:
    """A p-value for people: ``p = 0.068``, ``p < 0.001``, never ``p = 0.000``; ``no test`` without one.

    Examples:
        >>> p_text(0.0683), p_text(0.0000012), p_text(None), p_text(1.0, adjusted=True)
        ('p = 0.068', 'p < 0.001', 'no test', 'adjusted p = 1.000')
    """
    if p_value is None:
        return "no test"
    name = "adjusted p" if adjusted else "p"
    if p_value < 0.001:
        return f"{name} < 0.001"
    return f"{name} = {p_value:.3f}"


def detail_text(value: object) -> str:
    """A value nested in components or details, as a reader takes it in."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "none"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (Window, Segment, RevenueBasis)):
        return value.label if isinstance(value, Window) else value.name
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [detail_text(v) for v in value]
        return ", ".join(sorted(items) if isinstance(value, (set, frozenset)) else items) or "none"
    return str(getattr(value, "value", value))


def _words(key: object) -> str:
    return str(key).replace("_", " ")


# -- what a view is made of ------------------------------------------------------------------------

Tone = Literal["plain", "lead", "label", "undefined", "na", "good", "bad"]


@attrs.frozen
class Cell:
    """One cell: a main line, smaller lines under it, a small-sample mark and note references.

    Attributes:
        text: the main line (a value, a label).
        sub: lines under it, smaller (an interval, a sample size, a unit).
        notes: the numbers of the notes it points to (``[1]``), in its table or view.
        small: whether the value rests on a small sample (marked ``*``).
        tone: how it is read: ``undefined`` and ``na`` values, ``good`` and ``bad`` changes,
            ``label`` for a row's name, ``lead`` for the value a view is about.
    """

    text: str
    sub: tuple[str, ...] = ()
    notes: tuple[int, ...] = ()
    small: bool = False
    tone: Tone = "plain"

    @property
    def head(self) -> str:
        """The main line as text shows it: ``56.2%* [2]``."""
        marks = "*" if self.small else ""
        return self.text + marks + "".join(f" [{n}]" for n in self.notes)

    @property
    def lines(self) -> tuple[str, ...]:
        """Every line of the cell as text shows it."""
        return (self.head, *self.sub)

    def html(self, tag: str = "td", left: bool = False) -> str:
        """The cell as an HTML table cell."""
        classes = [f"akv-{self.tone}"] if self.tone != "plain" else []
        if left:
            classes.append("akv-l")
        attributes = f' class="{" ".join(classes)}"' if classes else ""
        if tag == "th":
            attributes += ' scope="row"'
        mark = '<span class="akv-mark" title="small sample">*</span>' if self.small else ""
        refs = "".join(f"<sup>[{n}]</sup>" for n in self.notes)
        sub = "".join(f'<div class="akv-sub">{escape(line)}</div>' for line in self.sub)
        return f"<{tag}{attributes}>{escape(self.text)}{mark}{refs}{sub}</{tag}>"


@attrs.frozen
class Heading:
    """A row across a whole table that names the rows below it (a metric, a segment)."""

    text: str
    sub: tuple[str, ...] = ()


@attrs.frozen
class Table:
    """A table with a header row; its own notes are numbered from 1.

    Attributes:
        columns: the header.
        rows: rows of cells (as many as columns) and headings.
        caption: a title above it.
        notes: what its cells' note numbers point to (note 1 first).
        left: how many leading columns are text, aligned left (the rest are numbers, aligned right).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...] | Heading, ...]
    caption: str | None = None
    notes: tuple[str, ...] = ()
    left: int = 1


@attrs.frozen
class Facts:
    """Labelled values, one a line; ``depth`` indents what belongs to the item above.

    Attributes:
        items: ``(label, cell, depth)`` triples.
        caption: a title above them.
    """

    items: tuple[tuple[str, Cell, int], ...]
    caption: str | None = None


@attrs.frozen
class Paragraph:
    """A sentence or two of running text."""

    text: str


@attrs.frozen
class Items:
    """A list of sentences (a load's rejected rows), each a line of text."""

    items: tuple[str, ...]
    caption: str | None = None


@attrs.frozen
class Page:
    """A whole HTML page shown in a frame of its own (its styles stay inside it), or its text.

    Attributes:
        text: the page as text, for ``print`` and where there is no HTML.
        page: the page's HTML, or None to show ``text`` preformatted.
        title: the frame's title, for screen readers.
        height: the frame's height in CSS pixels.
    """

    text: str
    page: str | None = None
    title: str = ""
    height: int = 900


Part = Table | Facts | Paragraph | Items | Page


class Footnotes:
    """The notes of one table or view while it is built: each text once, numbered from 1."""

    def __init__(self) -> None:
        self._notes: list[str] = []

    def number(self, note: str) -> int:
        """The number of ``note``, adding it when new."""
        if note not in self._notes:
            self._notes.append(note)
        return self._notes.index(note) + 1

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes so far, note 1 first."""
        return tuple(self._notes)


@attrs.frozen
class View:
    """What a value of the library shows, written as HTML (`html`) or as text (`text`).

    Attributes:
        title: the first line (may be empty).
        lines: lines under the title (the scope: window, segment, basis, ``as_of``).
        parts: facts, tables and paragraphs, in order.
        notes: the notes the facts' cells point to (tables carry their own).
        legend: how to read the marks, last.
    """

    title: str
    lines: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    notes: tuple[str, ...] = ()
    legend: str | None = None

    def html(self) -> str:
        """A self-contained HTML fragment: the CSS inline, no script, nothing loaded."""
        out = [f'<div class="akv"><style>{CSS}</style>']
        if self.title:
            out.append(f'<div class="akv-title">{escape(self.title)}</div>')
        out += [f'<div class="akv-line">{escape(line)}</div>' for line in self.lines]
        # Captioned facts that follow one another (components, details) sit side by side.
        side: list[str] = []
        for part in self.parts:
            if isinstance(part, Facts) and part.caption:
                side.append(_part_html(part))
                continue
            if side:
                out.append(f'<div class="akv-side">{"".join(side)}</div>')
                side = []
            out.append(_part_html(part))
        if side:
            out.append(f'<div class="akv-side">{"".join(side)}</div>')
        out.append(_notes_html(self.notes))
        if self.legend:
            out.append(f'<div class="akv-legend">{escape(self.legend)}</div>')
        out.append("</div>")
        return "".join(out)

    def text(self) -> str:
        """The same as plain text, tables laid out in columns, notes and paragraphs wrapped."""
        out = [self.title] if self.title else []
        out += list(self.lines)
        for part in self.parts:
            if out:
                out.append("")
            out += _part_text(part)
        if self.notes and out:
            out.append("")
        out += _notes_text(self.notes)
        if self.legend:
            out += ["", *textwrap.wrap(self.legend, TEXT_WIDTH)]
        return "\n".join(out)


CSS: Final = (
    "div.akv{font:13px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
    "color:inherit;margin:2px 0 8px;max-width:100%;overflow-x:auto}"
    "div.akv .akv-title{font-size:15px;font-weight:600;margin:0 0 2px}"
    "div.akv .akv-line{font-size:12px;opacity:.75}"
    "div.akv table{border-collapse:collapse;margin:10px 0 4px;font-size:12.5px;width:auto;"
    "table-layout:auto;color:inherit;background:transparent;border:0}"
    "div.akv caption{caption-side:top;text-align:left;font-weight:600;padding:0 0 4px;color:inherit}"
    "div.akv th,div.akv td{padding:3px 10px;border:0;border-bottom:1px solid rgba(128,128,128,.28);"
    "vertical-align:top;text-align:right;color:inherit;background:transparent;white-space:nowrap;"
    "font-variant-numeric:tabular-nums;line-height:1.35}"
    "div.akv thead th{border-bottom:2px solid rgba(128,128,128,.55);font-weight:600}"
    "div.akv tbody th{font-weight:500}"
    "div.akv table.akv-t tbody tr:nth-child(n){background:transparent}"
    "div.akv table.akv-t tbody tr:hover{background:rgba(128,128,128,.10)}"
    "div.akv th.akv-l,div.akv td.akv-l{text-align:left}"
    "div.akv tr.akv-heading th{text-align:left;background:rgba(128,128,128,.13);font-weight:600}"
    "div.akv .akv-sub{font-size:11px;font-weight:400;opacity:.72}"
    "div.akv .akv-undefined{font-style:italic}"
    "div.akv td.akv-lead{font-size:17px;font-weight:600}"
    "div.akv .akv-na{opacity:.7}"
    "div.akv .akv-mark{color:#d97706;font-weight:700}"
    "div.akv .akv-good{color:#16a34a}"
    "div.akv .akv-bad{color:#dc2626}"
    "div.akv sup{font-size:9.5px;line-height:0;margin-left:1px;opacity:.85}"
    "div.akv table.akv-facts th{text-align:left;font-weight:500;opacity:.8;padding-right:16px}"
    "div.akv table.akv-facts td{text-align:left;white-space:normal;max-width:48em}"
    "div.akv table.akv-facts tr.akv-d1 th{padding-left:22px}"
    "div.akv table.akv-facts tr.akv-d2 th{padding-left:34px}"
    "div.akv table.akv-facts tr.akv-d3 th{padding-left:46px}"
    "div.akv .akv-side{display:flex;flex-wrap:wrap;gap:0 36px;align-items:flex-start}"
    "div.akv .akv-notes{font-size:11.5px;margin:4px 0 2px;max-width:60em}"
    "div.akv .akv-notes div{margin:1px 0;white-space:normal}"
    "div.akv p,div.akv .akv-legend{font-size:12px;margin:6px 0;max-width:60em}"
    "div.akv .akv-legend{font-size:11px;opacity:.72}"
    "div.akv iframe.akv-page{width:100%;border:1px solid rgba(128,128,128,.35);border-radius:4px;"
    "background:#fff;margin-top:8px}"
    "div.akv .akv-caption{font-weight:600;margin:10px 0 2px}"
    "div.akv ul.akv-items{margin:2px 0;padding-left:20px;font-size:12px;max-width:72em}"
    "div.akv pre.akv-pre{white-space:pre-wrap;font-size:12px;max-width:60em}"
)
"""The displays' style, scoped to ``div.akv``: colours inherited or translucent, so they read on a
light or a dark theme, and selectors specific enough to win over a notebook's own table style."""


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<div><sup>[{n}]</sup> {escape(note)}</div>" for n, note in enumerate(notes, start=1))
    return f'<div class="akv-notes">{items}</div>'


def _notes_text(notes: Sequence[str]) -> list[str]:
    out = []
    for n, note in enumerate(notes, start=1):
        out += textwrap.wrap(f"[{n}] {note}", TEXT_WIDTH, subsequent_indent="    ")
    return out


def _part_html(part: Part) -> str:
    if isinstance(part, Paragraph):
        return f"<p>{escape(part.text)}</p>"
    if isinstance(part, Items):
        caption = f'<div class="akv-caption">{escape(part.caption)}</div>' if part.caption else ""
        return f'{caption}<ul class="akv-items">{"".join(f"<li>{escape(i)}</li>" for i in part.items)}</ul>'
    if isinstance(part, Page):
        if part.page is None:
            return f'<pre class="akv-pre">{escape(part.text)}</pre>'
        return (
            f'<iframe class="akv-page" title="{escape(part.title)}" srcdoc="{escape(part.page)}" '
            f'style="height:{part.height}px"></iframe>'
        )
    caption = f"<caption>{escape(part.caption)}</caption>" if part.caption else ""
    if isinstance(part, Facts):
        rows = "".join(
            f'<tr class="akv-d{min(depth, 3)}"><th scope="row">{escape(label)}</th>{cell.html()}</tr>'
            for label, cell, depth in part.items
        )
        return f'<table class="akv-t akv-facts">{caption}<tbody>{rows}</tbody></table>'
    left = ' class="akv-l"'
    head = "".join(
        f'<th{left if i < part.left else ""} scope="col">{escape(c)}</th>' for i, c in enumerate(part.columns)
    )
    body = []
    for row in part.rows:
        if isinstance(row, Heading):
            sub = "".join(f'<div class="akv-sub">{escape(line)}</div>' for line in row.sub)
            body.append(
                f'<tr class="akv-heading"><th colspan="{len(part.columns)}">{escape(row.text)}{sub}</th></tr>'
            )
            continue
        cells = "".join(cell.html("th" if i == 0 else "td", left=i < part.left) for i, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="akv-t">{caption}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        + _notes_html(part.notes)
    )


def _part_text(part: Part) -> list[str]:
    if isinstance(part, Paragraph):
        return textwrap.wrap(part.text, TEXT_WIDTH)
    if isinstance(part, Page):
        return part.text.splitlines()
    if isinstance(part, Items):
        return ([part.caption] if part.caption else []) + [f"  {item}" for item in part.items]
    if isinstance(part, Facts):
        return _facts_text(part)
    return _table_text(part)


def _facts_text(facts: Facts) -> list[str]:
    labels = [("  " * depth) + label for label, _, depth in facts.items]
    width = max((len(label) for label in labels), default=0)
    out = [facts.caption] if facts.caption else []
    room = max(TEXT_WIDTH - width - 4, 24)
    for label, (_, cell, _) in zip(labels, facts.items, strict=True):
        lines = [part for line in cell.lines for part in textwrap.wrap(line, room) or [""]]
        out.append(f"  {label:<{width}}  {lines[0]}".rstrip())
        out += [f"  {'':<{width}}  {line}" for line in lines[1:]]
    return out


def _table_text(table: Table) -> list[str]:
    rows = [row for row in table.rows if not isinstance(row, Heading)]
    columns = range(len(table.columns))
    widths = [
        max([len(table.columns[i])] + [len(line) for row in rows for line in row[i].lines]) for i in columns
    ]
    tall = any(len(cell.lines) > 1 for row in rows for cell in row)

    def line(texts: Sequence[str]) -> str:
        cells = [
            t.ljust(w) if i < table.left else t.rjust(w)
            for i, (t, w) in enumerate(zip(texts, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    out = [table.caption] if table.caption else []
    out += [line(table.columns), "  ".join("-" * w for w in widths)]
    for index, row in enumerate(table.rows):
        if tall and index and not isinstance(table.rows[index - 1], Heading):
            out.append("")
        if isinstance(row, Heading):
            out += [row.text, *row.sub]
            continue
        height = max(len(cell.lines) for cell in row)
        for k in range(height):
            out.append(line([cell.lines[k] if k < len(cell.lines) else "" for cell in row]))
    return out + _notes_text(table.notes)


# -- results and changes -----------------------------------------------------------------------------


class Measured(Protocol):
    """What a display reads of a `advocacy_kpis.result.MetricResult`."""

    @property
    def metric(self) -> str: ...
    @property
    def value(self) -> Number | None: ...
    @property
    def unit(self) -> Any: ...
    @property
    def window(self) -> Window: ...
    @property
    def segment(self) -> Segment: ...
    @property
    def as_of(self) -> datetime: ...
    @property
    def basis(self) -> RevenueBasis | None: ...
    @property
    def numerator(self) -> Number | None: ...
    @property
    def denominator(self) -> Number | None: ...
    @property
    def sample_size(self) -> int: ...
    @property
    def interval(self) -> Interval | None: ...
    @property
    def components(self) -> Mapping[str, Any]: ...
    @property
    def details(self) -> Mapping[str, Any]: ...
    @property
    def undefined_reason(self) -> str | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def definition_version(self) -> int: ...
    @property
    def parameters(self) -> Mapping[str, Any]: ...
    @property
    def name(self) -> str | None: ...


class Compared(Protocol):
    """What a display reads of a `advocacy_kpis.result.Change`."""

    @property
    def previous(self) -> Number | None: ...
    @property
    def current(self) -> Number | None: ...
    @property
    def absolute(self) -> Number | None: ...
    @property
    def relative(self) -> float | None: ...
    @property
    def p_value(self) -> float | None: ...
    @property
    def significant(self) -> bool | None: ...
    @property
    def interval(self) -> Interval | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def metric(self) -> str | None: ...
    @property
    def segment(self) -> Segment | None: ...
    @property
    def previous_window(self) -> Window | None: ...
    @property
    def current_window(self) -> Window | None: ...
    @property
    def unit(self) -> Any: ...
    @property
    def basis(self) -> RevenueBasis | None: ...
    @property
    def name(self) -> str | None: ...


def _unit(result: Measured | Compared) -> str:
    return str(getattr(result.unit, "value", result.unit or ""))


def _currency(basis: RevenueBasis | None) -> str | None:
    return basis.currency if basis is not None else None


def is_small(result: Measured) -> bool:
    """Whether a result carries the small-sample warning."""
    return any(w.startswith(SMALL_SAMPLE_NOTE) for w in result.warnings)


def result_cell(
    result: Measured, notes: Footnotes, *, compact: bool = False, not_applicable: bool = False
) -> Cell:
    """A result as a table cell: the value (no unit: the row names it), ``*`` for a small sample,
    a note for each other warning; under it the interval and n, unless ``compact``.

    An undefined value reads ``undefined`` (``n/a`` when ``not_applicable``: the metric cannot
    be cut that way or needs a basis) with its reason as a note: never blank, never 0.
    """
    if result.value is None:
        number = notes.number(result.undefined_reason or "no reason was given")
        if not_applicable:
            return Cell("n/a", notes=(number,), tone="na")
        return Cell("undefined", notes=(number,), tone="undefined")
    unit = _unit(result)
    numbers = tuple(notes.number(w) for w in result.warnings if not w.startswith(SMALL_SAMPLE_NOTE))
    sub: tuple[str, ...] = ()
    if not compact:
        sub = (interval_text(result.interval, unit),) if result.interval is not None else ()
        sub += (f"n={result.sample_size:,}",)
    text = number_text(result.value, unit, words=False)
    return Cell(text, sub=sub, notes=numbers, small=is_small(result))


def _scope_lines(
    window: Window, segment: Segment, basis: RevenueBasis | None, as_of: datetime
) -> tuple[str, ...]:
    span = f"{window.start.date().isoformat()} to {window.end.date().isoformat()}, end excluded"
    basis_text = f" · basis {basis.name}" if basis is not None else ""
    return (
        f"window {window.label} ({span}) · segment {segment.name}{basis_text}",
        f"as of {as_of.isoformat()}",
    )


def _nested(mapping: Mapping[str, Any], depth: int = 0) -> list[tuple[str, Cell, int]]:
    items: list[tuple[str, Cell, int]] = []
    for key, value in mapping.items():
        if isinstance(value, Mapping) and value:
            items.append((_words(key), Cell(""), depth))
            items += _nested(value, depth + 1)
        else:
            items.append((_words(key), Cell(detail_text(value)), depth))
    return items


def result_view(result: Measured, name: str | None = None) -> View:
    """A single result: its value with interval and n, its scope, its components and details,
    its warnings as numbered notes; an undefined value with its reason.

    Args:
        result: the result.
        name: the metric's name to head the view (default: the result's ``name``, else its id).
    """
    notes = Footnotes()
    unit = _unit(result)
    numbers = tuple(notes.number(w) for w in result.warnings)
    if result.value is None:
        reason = result.undefined_reason or "no reason was given"
        value = Cell("undefined", sub=(reason,), notes=numbers, tone="undefined")
    else:
        sub: tuple[str, ...] = ()
        if result.interval is not None:
            level = f"{result.interval.confidence:.0%}"
            sub = (f"{level} interval {interval_text(result.interval, unit, exact=True)}",)
        shown = number_text(result.value, unit, _currency(result.basis), exact=True)
        value = Cell(shown, sub=sub, notes=numbers, small=is_small(result), tone="lead")
    items = [("value", value, 0), ("sample size (n)", Cell(f"{result.sample_size:,}"), 0)]
    if result.numerator is not None or result.denominator is not None:
        ratio = f"{detail_text(result.numerator)} / {detail_text(result.denominator)}"
        items.append(("numerator / denominator", Cell(ratio), 0))
    if result.parameters:
        items += [("parameters", Cell(""), 0), *_nested(result.parameters, 1)]
    items.append(("definition version", Cell(str(result.definition_version)), 0))
    parts: list[Part] = [Facts(tuple(items))]
    if result.components:
        parts.append(nested_facts(result.components, "Components"))
    if result.details:
        parts.append(nested_facts(result.details, "Details"))
    scope = _scope_lines(result.window, result.segment, result.basis, result.as_of)
    return View(name or result.name or result.metric, scope, tuple(parts), notes.notes)


def _relative_text(relative: float) -> str:
    return f"({relative:+.1%})".replace("-", MINUS)


def change_cells(
    change: Compared, notes: Footnotes, *, words: bool = False, tone: Tone = "plain", warnings: bool = True
) -> tuple[Cell, Cell]:
    """A change as two cells: the change, signed, with its relative change and the interval of the
    difference under it; and its test (``significant``, ``not significant``, or ``no test`` with
    the reason as a note). An undefined change reads ``undefined`` with its reason.

    Args:
        change: the change.
        notes: the notes of the table or view the cells go in.
        words: write the unit after the numbers (a view of one change; a table names it in a heading).
        tone: how the change reads (``good``, ``bad``), as its metric's direction says.
        warnings: note the change's warnings (a table whose value cells carry the results' own
            warnings leaves them out, as they say the same).
    """
    if change.absolute is None:
        # In a table the values' own cells give their reasons; a view of one change gives it here.
        reason = change.reason if warnings else _which_undefined(change)
        number = notes.number(reason or "a value is undefined")
        return Cell("undefined", notes=(number,), tone="undefined"), Cell("no test", tone="na")
    currency = _currency(change.basis) if words else None
    shown, *bounds = difference_text(change.absolute, _unit(change), currency, change.interval)
    relative = (_relative_text(change.relative),) if change.relative is not None else ()
    level = f"{change.interval.confidence:.0%} interval " if words and change.interval is not None else ""
    sub = (*relative, *(f"{level}{b}" for b in bounds))
    numbers = tuple(notes.number(w) for w in change.warnings) if warnings else ()
    moved = Cell(shown, sub, numbers, tone=tone)
    if change.p_value is None or change.significant is None:
        why = notes.number(change.reason or "no test applies")
        return moved, Cell("no test", notes=(why,), tone="na")
    word = "significant" if change.significant else "not significant"
    return moved, Cell(word, sub=(p_text(change.p_value), *([change.method] if change.method else [])))


def _which_undefined(change: Compared) -> str:
    if change.previous is None and change.current is None:
        return "both values are undefined"
    return f"the {'earlier' if change.previous is None else 'later'} value is undefined"


def change_legend(confidence: float) -> str:
    """How to read a change's cells."""
    return (
        f"A change is the later value minus the earlier one (rates in percentage points), its relative "
        f"change in brackets and the {confidence:.0%} interval of the difference under it; significant means "
        f"the test rejects 'no change' at {1 - confidence:.0%}. The tests assume independent samples."
    )


def change_repr(change: Compared) -> str:
    """A change on one line: ``<Change net_promoter_score all 2026Q2->2026Q3: +2.2, p = 0.512>``."""
    about = [change.metric or "", change.segment.name if change.segment is not None else ""]
    if change.previous_window is not None and change.current_window is not None:
        about.append(f"{change.previous_window.label}->{change.current_window.label}")
    named = " ".join(part for part in about if part)
    if change.absolute is None:
        shown = "undefined"
    else:
        shown = f"{difference_text(change.absolute, _unit(change))[0]}, {p_text(change.p_value)}"
    return f"<Change {named + ': ' if named else ''}{shown}>"


def change_view(change: Compared, name: str | None = None) -> View:
    """A single change: both values, the change with its interval, the test and its warnings.

    Args:
        change: the change.
        name: the metric's name to head the view (default: the change's ``name``, else its id).
    """
    notes = Footnotes()
    unit = _unit(change)
    currency = _currency(change.basis)
    items = []
    for window, which, value in (
        (change.previous_window, "earlier", change.previous),
        (change.current_window, "later", change.current),
    ):
        label = window.label if window is not None else which
        if value is None:
            items.append((label, Cell("undefined", tone="undefined"), 0))
        else:
            items.append((label, Cell(number_text(value, unit, currency, exact=True)), 0))
    moved, test = change_cells(change, notes, words=True)
    items += [("change", moved, 0), ("test", test, 0)]
    about = name or change.name or change.metric
    scope = []
    if change.segment is not None:
        scope.append(f"segment {change.segment.name}")
    if change.previous_window is not None and change.current_window is not None:
        scope.append(f"{change.previous_window.label} to {change.current_window.label}")
    if change.basis is not None:
        scope.append(f"basis {change.basis.name}")
    return View(
        f"Change in {about}" if about else "Change",
        (" · ".join(scope),) if scope else (),
        (Facts(tuple(items)),),
        notes.notes,
        change_legend(change.confidence),
    )


def nested_facts(mapping: Mapping[str, Any], caption: str | None = None) -> Facts:
    """A mapping as facts, nested mappings indented under their key."""
    return Facts(tuple(_nested(mapping)), caption=caption)


def frame(columns: Mapping[str, Sequence[Any]], kind: str, where: str) -> Any:
    """Columns as a pandas or Polars DataFrame, built through narwhals (the ``frames`` extra).

    Args:
        columns: the columns by name, in order, each a list of plain values.
        kind: ``"pandas"`` or ``"polars"``.
        where: the method that asks, named in errors (``"Scorecard.to_frame"``).

    Raises:
        MissingExtraError: narwhals or the asked library is not installed.
        ParameterError: an unknown ``kind``.
    """
    if kind not in ("pandas", "polars"):
        raise ParameterError("kind", where, "'pandas' or 'polars'", kind)
    try:
        import narwhals as nw
    except ImportError:
        raise MissingExtraError("narwhals", "frames", where) from None
    try:
        backend = __import__(kind)
    except ImportError:
        raise MissingExtraError(kind, "frames", f"{where}({kind!r})") from None
    return nw.from_dict({name: list(values) for name, values in columns.items()}, backend=backend).to_native()
