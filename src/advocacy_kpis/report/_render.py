"""The report written out: Markdown, and one self-contained HTML page with inline SVG charts.

Text from the data (segment names, account names, quoted feedback) is escaped in both: in HTML
as HTML, in Markdown so that it is shown as written and never read as markup (raw HTML, a link,
emphasis, a heading).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from advocacy_kpis import __version__
from advocacy_kpis.report import _charts
from advocacy_kpis.report._format import (
    MINUS,
    UNDEFINED,
    change_text,
    number_text,
    significance_text,
    value_text,
)
from advocacy_kpis.report._model import Finding, FindingKind, MetricRow, Movement, Quote, Source, Statement
from advocacy_kpis.report._rules import CONFIDENCE, MIN_SEGMENT_SAMPLE
from advocacy_kpis.result import MetricResult, Unit
from advocacy_kpis.scope import BasisKind, RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.report import Report

SECTIONS = (
    ("summary", "1. Executive summary"),
    ("trends", "2. Key metrics and trends"),
    ("stories", "3. Customer stories and qualitative insights"),
    ("wins", "4. Wins and opportunities"),
    ("risks", "5. Risks and action plans"),
    ("next", "6. Next steps and requests for support"),
)

_MOVEMENT_WORDS = {
    Movement.IMPROVED: "improved",
    Movement.DECLINED: "declined",
    Movement.UNCHANGED: "unchanged",
    Movement.MOVED: "moved",
    Movement.NOT_COMPARED: "not compared",
}


def _scope_line(report: Report) -> str:
    compared = report.previous.label + (f" and {report.year_ago.label}" if report.year_ago else "")
    basis = report.basis.name if report.basis is not None else "none (money metrics undefined)"
    start = report.period.calendar.local(report.period.start).date().isoformat()
    return (
        f"Period {report.period.label} (from {start}, end excluded) compared with {compared}; "
        f"data as of {report.as_of.date().isoformat()}; revenue basis {basis}; "
        f"segments: {', '.join(s.name for s in report.segments)}."
    )


def _flags(result: MetricResult) -> str:
    marks = []
    if any(w.startswith("small sample") for w in result.warnings):
        marks.append("*")
    return "".join(marks)


def _cell(result: MetricResult | None, *, compact: bool = False) -> str:
    """A table cell: the value (money without its currency when ``compact``: the row names it)."""
    if result is None:
        return "n/a"
    if result.value is None:
        return UNDEFINED
    if compact and result.unit is Unit.MONEY:
        return number_text(result.value, Unit.MONEY) + _flags(result)
    return value_text(result) + _flags(result)


def _notes(row: MetricRow) -> str:
    current = row.current
    if current.value is None:
        return current.undefined_reason or ""
    return "; ".join(w for w in current.warnings if not w.startswith("small sample"))


def _sources(sources: Sequence[Source]) -> str:
    return "; ".join(str(s) for s in sources)


# -- Markdown ----------------------------------------------------------------------------------


# Characters that are Markdown markup inline: emphasis, code, links and images, table cells.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~!])")
# What starts a block at the beginning of a line: a heading, a list item, a numbered item.
_MD_BLOCK_START = re.compile(r"^(\s*)(#|=|[+-](?=\s|$))")
_MD_NUMBERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")


def _md(text: str) -> str:
    r"""Text shown as written in Markdown: markup characters escaped, HTML as entities, one line.

    Raw HTML (``<script>``) and autolinks (``<javascript:...>``) become entities, link brackets
    are escaped, so no Markdown renderer turns text from the data into markup or a link.

    Examples:
        >>> _md("<b>x</b> [y](javascript:alert(1)) *z*")
        '&lt;b&gt;x&lt;/b&gt; \\[y\\](javascript:alert(1)) \\*z\\*'
        >>> _md("# not a heading"), _md("1. not a list"), _md("12.5%")
        ('\\# not a heading', '1\\. not a list', '12.5%')
    """
    flat = " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text
    escaped = _MD_INLINE.sub(r"\\\1", html.escape(flat, quote=False))
    return _MD_NUMBERED.sub(r"\1\\\2", _MD_BLOCK_START.sub(r"\1\\\2", escaped))


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1, note_last: bool = False
) -> list[str]:
    last = len(header) - 1
    aligns = ["---" if i < right_from or (note_last and i == last) else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def _change_cell(row: MetricRow) -> str:
    if row.change is None:
        return UNDEFINED
    return change_text(
        row.change, row.current.unit, None if row.current.unit is Unit.MONEY else row.current.basis
    )


def _metric_rows(
    report: Report, rows: Sequence[MetricRow], *, segments: bool
) -> tuple[list[str], list[list[str]], list[str]]:
    """A table of metric rows, and its footnotes (why a value is undefined, other caveats)."""
    names = [s.name for s in report.segments if not s.is_all] if segments else []
    header = ["Metric", report.period.label, report.previous.label, "Change", "Significant"]
    if report.year_ago is not None:
        header.append(report.year_ago.label)
    header += names
    notes: list[str] = []
    body = []
    for row in rows:
        label = f"{row.name} ({row.unit})"
        note = _notes(row)
        if note:
            if note not in notes:
                notes.append(note)
            label += f" [{notes.index(note) + 1}]"
        cells = [
            label,
            _cell(row.current, compact=True),
            _cell(row.previous, compact=True),
            _change_cell(row),
            significance_text(row.change),
        ]
        if report.year_ago is not None:
            cells.append(_cell(row.year_ago, compact=True))
        if segments:
            cells += [_cell(r, compact=True) for r in row.by_segment]
        body.append(cells)
    return header, body, notes


def _headline_rows(report: Report) -> tuple[list[str], list[list[str]], list[str]]:
    return _metric_rows(report, report.headline, segments=False)


def _full_rows(report: Report) -> tuple[list[str], list[list[str]], list[str]]:
    return _metric_rows(report, report.table, segments=True)


def _trend_rows(report: Report, metric: str) -> tuple[list[str], list[list[str]]]:
    card = report.scorecard
    header = ["Segment", *[w.label for w in report.trend]]
    rows = [
        [segment.name, *[_cell(card.get(metric, w, segment), compact=True) for w in report.trend]]
        for segment in report.segments
    ]
    return header, rows


def _who(quote: Quote, basis: RevenueBasis | None) -> str:
    who = quote.account or "an anonymous reviewer"
    if quote.tier:
        who += f" ({quote.tier})"
    if quote.arr is not None and quote.arr > 0:
        who += f", {number_text(quote.arr, Unit.MONEY, basis)} {_run_rate(basis)}"
    return who


def _run_rate(basis: RevenueBasis | None) -> str:
    return "MRR" if basis is not None and basis.kind is BasisKind.MRR else "ARR"


def _quote_line(quote: Quote, basis: RevenueBasis | None) -> str:
    channel = (quote.channel or "unknown channel").replace("_", " ")
    return f"{_who(quote, basis)}; {channel}, {quote.at.date().isoformat()}"


def _review_line(quote: Quote, basis: RevenueBasis | None) -> str:
    rating = f"rated {quote.rating:g}" if quote.rating is not None else "not rated"
    return f"{quote.channel}, {rating}, {quote.at.date().isoformat()}: {_who(quote, basis)}"


def _rules_text(report: Report) -> list[str]:
    return [
        f"Significance: each change is tested at the {CONFIDENCE:.0%} level with the test that fits the "
        "metric (two proportions, the NPS difference, or the conditional binomial for counts); the tests "
        "take the two periods as independent samples.",
        f"Year-ago column: {report.year_ago_note}",
        f"Segments are compared with the whole only with at least {MIN_SEGMENT_SAMPLE} units; a segment is "
        "reliably better or worse when its interval lies wholly beyond the whole's.",
        "* marks a sample under 30 units: read the interval, not the point. A dash is an undefined value "
        "(never a zero); the numbered notes under a table say why. Money in tables is in the unit its row names.",
        "Every sentence comes from a fixed rule applied to these numbers; the JSON form of the report "
        "names the rule and the metric, window and segment behind each one.",
    ]


def markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = [f"# {_md(report.title)}", "", _md(_scope_line(report)), ""]
    lines += [f"## {SECTIONS[0][1]}", ""]
    lines += [_md(" ".join(s.text for s in report.summary)), ""]
    header, rows, notes = _headline_rows(report)
    lines += [*_md_table(header, rows), "", *_md_notes(notes)]

    lines += [f"## {SECTIONS[1][1]}", ""]
    lines += [
        "Each headline metric over the last "
        f"{len(report.trend)} periods, overall and by segment (the HTML report draws these as charts "
        "with the 95% interval of the whole).",
        "",
    ]
    for chart in report.charts:
        lines += [f"### {_md(chart.title)}", ""]
        header, rows = _trend_rows(report, chart.metric)
        lines += [*_md_table(header, rows), ""]
    lines += ["### Every metric", ""]
    header, rows, notes = _full_rows(report)
    lines += [*_md_table(header, rows), "", *_md_notes(notes)]

    stories = report.stories
    lines += [f"## {SECTIONS[2][1]}", ""]
    lines += [_md(" ".join(s.text for s in stories.statements)), ""]
    mix = stories.sentiment_mix
    lines += [
        *_md_table(
            ["Sentiment", "Feedback"],
            [[s, str(mix[s])] for s in ("positive", "neutral", "negative")] + [["total", str(mix["total"])]],
        ),
        "",
    ]
    if stories.quotes:
        lines += [
            "Quoted feedback (per sentiment: the highest-value accounts first, then the most recent):",
            "",
        ]
        for quote in stories.quotes:
            lines += [
                f"> “{_md(str(quote.text))}”  ",
                f"> {_md(str(quote.sentiment))}: {_md(_quote_line(quote, report.basis))}",
                "",
            ]
    if stories.review_quotes:
        lines += ["Reviews of the period:", ""]
        lines += [f"- {_md(_review_line(q, report.basis))}" for q in stories.review_quotes]
        lines.append("")

    lines += [f"## {SECTIONS[3][1]}", ""]
    lines += _md_findings(report.wins, "No win or opportunity met a rule this period.")
    lines += [f"## {SECTIONS[4][1]}", ""]
    lines += _md_findings(report.risks, "No risk met a rule this period.")
    if report.notes:
        lines += ["Also checked:", ""]
        lines += [f"- {_md(n.text)}" for n in report.notes]
        lines.append("")

    lines += [f"## {SECTIONS[5][1]}", ""]
    if report.next_steps:
        rows = [[str(i), s.action, s.owner] for i, s in enumerate(report.next_steps, start=1)]
        lines += [*_md_table(["#", "Action", "Owner and support"], rows, right_from=99), ""]
    else:
        lines += ["No finding calls for an action this period.", ""]

    lines += ["## How to read this report", ""]
    lines += [f"- {_md(text)}" for text in _rules_text(report)]
    lines += ["", f"Built with advocacy_kpis {__version__}.", ""]
    return "\n".join(lines)


def _md_notes(notes: Sequence[str]) -> list[str]:
    if not notes:
        return []
    return [*[f"{i}. {_md(note)}" for i, note in enumerate(notes, start=1)], ""]


def _md_findings(findings: Sequence[Finding], empty: str) -> list[str]:
    if not findings:
        return [empty, ""]
    lines = []
    for finding in findings:
        lines += [
            f"- **{_kind_title(finding)}.** {_md(finding.text)}  ",
            f"  _Source: {_md(_sources(finding.sources))}_",
        ]
    return [*lines, ""]


_KIND_TITLES = {
    FindingKind.SIGNIFICANT_IMPROVEMENT: "Significant improvement",
    FindingKind.SEGMENT_ABOVE: "Segment ahead",
    FindingKind.READY_ADVOCATES: "Advocates ready to ask",
    FindingKind.SIGNIFICANT_DECLINE: "Significant decline",
    FindingKind.SEGMENT_BELOW: "Segment behind",
    FindingKind.THRESHOLD_BREACHED: "Threshold breached",
    FindingKind.OVER_ASKED: "Over-asked advocates",
    FindingKind.PRODUCT_CHANGE_DROP: "Drop after a product change",
    FindingKind.UNSAFE_NUMBER: "Not safe to act on",
}


def _kind_title(finding: Finding) -> str:
    return _KIND_TITLES[finding.kind]


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --band:#1d3557; --accent:#2a9d8f;
  --good:#1e7b4f; --bad:#b3261e; --soft:#f5f7fa; }
* { box-sizing: border-box; }
body { margin:0; background:var(--soft); color:var(--ink);
  font: 14px/1.5 "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1120px; margin: 0 auto; background:#fff; box-shadow: 0 0 0 1px var(--line); }
header.masthead { background: var(--band); color:#fff; padding: 28px 40px 22px; }
header.masthead .kicker { text-transform: uppercase; letter-spacing:.12em; font-size:11px; opacity:.8; }
header.masthead h1 { margin: 4px 0 6px; font-size: 26px; font-weight: 600; }
header.masthead p { margin: 0; font-size: 12.5px; opacity: .88; max-width: 900px; }
nav.toc { padding: 8px 40px; border-bottom: 1px solid var(--line); font-size: 12.5px; background:#fbfcfd;
  display: flex; flex-wrap: wrap; gap: 4px 18px; }
nav.toc a { color: var(--band); text-decoration: none; }
main { padding: 8px 40px 32px; }
section { padding-top: 8px; }
h2 { font-size: 19px; color: var(--band); border-bottom: 2px solid var(--band); padding-bottom: 4px;
  margin: 26px 0 12px; }
h3 { font-size: 14.5px; margin: 18px 0 6px; }
p.lead { font-size: 15px; margin: 0 0 14px; }
p.lead span { display: inline; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 6px 0 16px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background:#fff; }
.tile .name { font-size: 11.5px; color: var(--muted); min-height: 30px; }
.tile .value { font-size: 22px; font-weight: 600; margin: 2px 0; }
.tile .delta { font-size: 12px; color: var(--muted); }
.tile.improved .delta strong { color: var(--good); }
.tile.declined .delta strong { color: var(--bad); }
.badge { display:inline-block; font-size: 10.5px; padding: 0 6px; border-radius: 9px; margin-left: 4px;
  background: #e4e7eb; color: var(--ink); }
.badge.sig { background: var(--band); color: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 6px 0 14px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: #eef2f6; text-align: left; font-weight: 600; }
tbody th { text-align: left; font-weight: 500; }
caption { text-align: left; font-size: 11.5px; padding-bottom: 4px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td, tbody tr:nth-child(even) th { background: #fafbfc; }
tbody th { min-width: 150px; }
td.note { color: var(--muted); font-size: 11.5px; max-width: 300px; }
.up { color: var(--good); } .down { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 4px; break-inside: avoid; }
figure figcaption { font-weight: 600; font-size: 13px; margin-bottom: 2px; }
figure svg.chart { width: 100%; height: auto; display: block; }
figure table { font-size: 10.5px; margin: 4px 0 6px; }
figure th, figure td { padding: 2px 4px; }
figure tbody th { min-width: 0; }
table.steps tbody th { min-width: 0; width: 2.5em; }
.wide { overflow-x: auto; }
.mix { display: flex; height: 16px; border-radius: 4px; overflow: hidden; margin: 6px 0 4px; max-width: 520px; }
.mix span { display: block; }
.mix .positive { background: #2a9d8f; } .mix .neutral { background: #c5ccd3; } .mix .negative { background: #e76f51; }
blockquote { margin: 10px 0; padding: 8px 14px; border-left: 4px solid var(--line); background: #fafbfc; }
blockquote.positive { border-color: #2a9d8f; } blockquote.negative { border-color: #e76f51; }
blockquote p { margin: 0; font-size: 14px; }
blockquote footer { font-size: 11.5px; color: var(--muted); margin-top: 2px; }
ul.findings { list-style: none; padding: 0; margin: 6px 0 12px; }
ul.findings li { border-left: 4px solid var(--accent); background: #f6fbfa; padding: 8px 12px; margin: 8px 0;
  break-inside: avoid; }
ul.findings.risks li { border-color: var(--bad); background: #fdf6f5; }
ul.findings .kind { font-weight: 600; margin-right: 4px; }
.source { display: block; color: var(--muted); font-size: 11px; margin-top: 2px; }
.empty, .muted { color: var(--muted); }
ul.notes, ol.notes { color: var(--muted); font-size: 11.5px; }
ol.notes { margin-top: -6px; }
footer.about { border-top: 1px solid var(--line); padding: 14px 40px 24px; font-size: 11.5px; color: var(--muted); }
footer.about ul { padding-left: 18px; margin: 6px 0; }
@media (max-width: 800px) {
  .charts { grid-template-columns: 1fr; }
  main, header.masthead, nav.toc, footer.about { padding-left: 16px; padding-right: 16px; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 11px; }
  .page { box-shadow: none; max-width: none; }
  nav.toc { display: none; }
  header.masthead { -webkit-print-color-adjust: exact; print-color-adjust: exact; padding: 16px 20px; }
  main, footer.about { padding-left: 0; padding-right: 0; }
  h2 { break-after: avoid; }
  .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  figure, .tile, blockquote, tr { break-inside: avoid; }
  .wide { overflow: visible; }
  table { font-size: 9.5px; }
  figure figcaption { font-size: 10.5px; }
  figure table { font-size: 7px; table-layout: fixed; }
  figure th, figure td { padding: 1px 2px; overflow-wrap: anywhere; }
  figure tbody th { width: 22%; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int = 1, note_last: bool = False,
    caption: str | None = None, css: str | None = None,
) -> str:  # fmt: skip
    def cls(i: int, last: int) -> str:
        if note_last and i == last:
            return ' class="note"'
        return ' class="num"' if i >= numeric_from else ""

    last = len(header) - 1
    head = "".join(f'<th scope="col"{cls(i, last)}>{_e(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{_e(c)}</th>' if i == 0 else f"<td{cls(i, last)}>{_e(c)}</td>")
            for i, c in enumerate(row)
        ) + "</tr>"
        for row in rows
    )  # fmt: skip
    title = f'<caption class="muted">{_e(caption)}</caption>' if caption else ""
    opening = f'<table class="{_e(css)}">' if css else "<table>"
    return f"{opening}{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return '<ol class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ol>"


def _statement(statement: Statement) -> str:
    sources = _e(_sources(statement.sources))
    return f'<span data-rule="{_e(statement.rule)}" title="{sources}">{_e(statement.text)}</span>'


def _tile(row: MetricRow, previous: str) -> str:
    change = change_text(row.change, row.current.unit, row.current.basis)
    arrow = ""
    shown = row.movement.value
    if row.change is not None and row.change.absolute is not None and not change.startswith("\u00b1"):
        arrow = "▲ " if row.change.absolute > 0 else "▼ "
    elif row.change is not None:
        shown = "unchanged"
    badge = '<span class="badge">no test</span>' if row.change is not None else ""
    if row.change is not None and row.change.significant is not None:
        badge = (
            '<span class="badge sig">significant</span>'
            if row.change.significant
            else '<span class="badge">not significant</span>'
        )
    delta = f"<strong>{_e(arrow + change)}</strong> vs {_e(previous)}{badge}" if row.change else (
        f"no comparison with {_e(previous)}"
    )  # fmt: skip
    return (
        f'<div class="tile {shown}"><div class="name">{_e(row.name)} ({_e(row.unit)})</div>'
        f'<div class="value">{_e(_cell(row.current))}</div><div class="delta">{delta}</div></div>'
    )


def _findings_html(findings: Sequence[Finding], css: str, empty: str) -> str:
    if not findings:
        return f'<p class="empty">{_e(empty)}</p>'
    items = "".join(
        f'<li data-kind="{_e(f.kind.value)}"><span class="kind">{_e(_kind_title(f))}.</span>{_e(f.text)}'
        f'<span class="source">Source: {_e(_sources(f.sources))}</span></li>'
        for f in findings
    )
    return f'<ul class="findings {css}">{items}</ul>'


def _quote_html(quote: Quote, basis: RevenueBasis | None) -> str:
    return (
        f'<blockquote class="{_e(quote.sentiment or "")}"><p>“{_e(quote.text)}”</p>'
        f"<footer>{_e(quote.sentiment)} · {_e(_quote_line(quote, basis))}</footer></blockquote>"
    )


def html_page(report: Report) -> str:
    """The report as one self-contained HTML page."""
    _charts.check_available("Report.to_html")
    parts: list[str] = []
    toc = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title in SECTIONS)

    summary = "".join(_statement(s) + " " for s in report.summary).strip()
    tiles = "".join(_tile(row, report.previous.label) for row in report.headline)
    header, rows, notes = _headline_rows(report)
    table = _html_table(header, rows, caption="Headline metrics against the previous period")
    parts.append(
        f'<section id="summary"><h2>{_e(SECTIONS[0][1])}</h2><p class="lead">{summary}</p>'
        f'<div class="tiles">{tiles}</div><div class="wide">{table}</div>{_html_notes(notes)}</section>'
    )

    figures = []
    for index, chart in enumerate(report.charts, start=1):
        drawing = _charts.svg(chart, f"chart{index}")
        header, rows = _trend_rows(report, chart.metric)
        figures.append(
            f'<figure id="chart-{_e(chart.metric)}"><figcaption>{_e(chart.title)}</figcaption>{drawing}'
            f'<div class="wide">{_html_table(header, rows)}</div></figure>'
        )
    header, rows, notes = _full_rows(report)
    parts.append(
        f'<section id="trends"><h2>{_e(SECTIONS[1][1])}</h2>'
        f"<p>Each headline metric over the last {len(report.trend)} periods, overall (with the 95% interval "
        "band of the whole) and by segment; the numbers are in the table under each chart.</p>"
        f'<div class="charts">{"".join(figures)}</div>'
        f'<h3>Every metric</h3><div class="wide">{_html_table(header, rows)}</div>{_html_notes(notes)}'
        "</section>"
    )

    stories = report.stories
    mix = stories.sentiment_mix
    total = mix["total"]
    bar = ""
    if total:
        bar = '<div class="mix" role="img" aria-label="' + _e(
            ", ".join(f"{mix[s]} {s}" for s in ("positive", "neutral", "negative"))
        ) + '">' + "".join(
            f'<span class="{s}" style="width:{100 * mix[s] / total:.2f}%"></span>'
            for s in ("positive", "neutral", "negative") if mix[s]
        ) + "</div>"  # fmt: skip
    mix_table = _html_table(
        ["Sentiment", "Feedback"],
        [[s, str(mix[s])] for s in ("positive", "neutral", "negative")] + [["total", str(total)]],
    )
    quotes = "".join(_quote_html(q, report.basis) for q in stories.quotes)
    reviews = (
        "<h3>Reviews of the period</h3><ul>"
        + "".join(f"<li>{_e(_review_line(q, report.basis))}</li>" for q in stories.review_quotes)
        + "</ul>"
        if stories.review_quotes
        else ""
    )
    parts.append(
        f'<section id="stories"><h2>{_e(SECTIONS[2][1])}</h2>'
        f"<p>{' '.join(_statement(s) for s in stories.statements)}</p>{bar}"
        f'<div style="max-width:360px">{mix_table}</div>'
        + (
            '<h3>In their words</h3><p class="muted">Per sentiment, the highest-value accounts first, then the '
            f"most recent.</p>{quotes}"
            if quotes
            else ""
        )
        + f"{reviews}</section>"
    )

    parts.append(
        f'<section id="wins"><h2>{_e(SECTIONS[3][1])}</h2>'
        f"{_findings_html(report.wins, 'wins', 'No win or opportunity met a rule this period.')}</section>"
    )
    checked = (
        '<h3>Also checked</h3><ul class="notes">'
        + "".join(f"<li>{_statement(n)}</li>" for n in report.notes)
        + "</ul>"
        if report.notes
        else ""
    )
    parts.append(
        f'<section id="risks"><h2>{_e(SECTIONS[4][1])}</h2>'
        f"{_findings_html(report.risks, 'risks', 'No risk met a rule this period.')}{checked}</section>"
    )
    if report.next_steps:
        rows = [[str(i), s.action, s.owner] for i, s in enumerate(report.next_steps, start=1)]
        steps = _html_table(["#", "Action", "Owner and support"], rows, numeric_from=99, css="steps")
    else:
        steps = '<p class="empty">No finding calls for an action this period.</p>'
    parts.append(f'<section id="next"><h2>{_e(SECTIONS[5][1])}</h2>{steps}</section>')

    about = "".join(f"<li>{_e(t)}</li>" for t in _rules_text(report))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head>"
        f'<body><div class="page"><header class="masthead"><div class="kicker">Customer advocacy · '
        f"{_e(report.cadence)}</div><h1>{_e(report.title)}</h1><p>{_e(_scope_line(report))}</p></header>"
        f'<nav class="toc" aria-label="Sections">{toc}</nav><main>{"".join(parts)}</main>'
        f'<footer class="about"><strong>How to read this report</strong><ul>{about}</ul>'
        f"Built with advocacy_kpis {_e(__version__)}.</footer></div></body></html>\n"
    )


__all__ = ["MINUS", "UNDEFINED", "html_page", "markdown"]
