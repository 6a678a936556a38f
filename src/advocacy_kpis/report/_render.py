"""The report written out: Markdown, and one self-contained HTML page with inline SVG charts.

Text that came from the data (account, release and platform names, feedback quotes) is made
inert in both: escaped for HTML in the page, and for Markdown (`markdown_text`) in the Markdown,
so no raw HTML, link or image in the data reaches a reader's renderer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from advocacy_kpis.analyses import period_label, segment_label
from advocacy_kpis.report import _charts
from advocacy_kpis.report._format import (
    MINUS,
    UNDEFINED,
    change_text,
    markdown_text,
    number_text,
    significance_text,
    value_text,
)
from advocacy_kpis.report._model import Finding, FindingKind, MetricRow, Quote, Source, Statement, Table
from advocacy_kpis.report._rules import CONFIDENCE, MIN_SEGMENT_SAMPLE
from advocacy_kpis.result import MetricResult, Unit
from advocacy_kpis.scope import BasisKind, RevenueBasis, Segment
from advocacy_kpis.version import __version__

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


def _scope_line(report: Report) -> str:
    compared = period_label(report.previous) + (
        f" and {period_label(report.year_ago)}" if report.year_ago else ""
    )
    basis = report.basis.name if report.basis is not None else "none (money metrics undefined)"
    start = report.period.calendar.local(report.period.start).date().isoformat()
    return (
        f"Period {period_label(report.period)} (from {start}, end excluded) compared with {compared}; "
        f"data as of {report.as_of.date().isoformat()}; revenue basis {basis}; "
        f"segments: {', '.join(segment_label(s) for s in report.segments)}."
    )


def _flags(result: MetricResult) -> str:
    return "*" if any(w.startswith("small sample") for w in result.warnings) else ""


def _cell(result: MetricResult | None, *, compact: bool = False) -> str:
    """A table cell: the value (money without its currency when ``compact``: the row names it)."""
    if result is None:
        return "n/a"
    if result.value is None:
        return UNDEFINED
    if compact and result.unit is Unit.MONEY:
        return number_text(result.value, Unit.MONEY) + _flags(result)
    return value_text(result) + _flags(result)


def _current_cell(row: MetricRow, *, compact: bool = False) -> str:
    if row.current.value is None and row.estimate is not None:
        return row.estimate.cell or row.estimate.text
    return _cell(row.current, compact=compact)


def _notes(row: MetricRow) -> str:
    current = row.current
    if current.value is None:
        reason = current.undefined_reason or ""
        if row.estimate is not None:
            return f"{reason}; estimate shown: {row.estimate.text}"
        return reason
    parts = [w for w in current.warnings if not w.startswith("small sample")]
    if row.aside:
        parts.insert(0, row.aside)
    return "; ".join(parts)


def _sources(sources: Sequence[Source]) -> str:
    return "; ".join(str(s) for s in sources)


def _change_cell(row: MetricRow) -> str:
    if row.change is None:
        return UNDEFINED
    return change_text(
        row.change, row.current.unit, None if row.current.unit is Unit.MONEY else row.current.basis
    )


def _verdict(row: MetricRow) -> str:
    if row.change is None:
        return UNDEFINED
    if row.significant is None:
        return "no test (money)" if row.current.unit is Unit.MONEY else "no test"
    return significance_text(row.significant, row.change.p_value, row.adjusted_p)


def _metric_rows(
    report: Report, rows: Sequence[MetricRow], *, segments: bool
) -> tuple[list[str], list[list[str]], list[str]]:
    """A table of metric rows, and its footnotes (why a value is undefined, other caveats)."""
    names = [segment_label(s) for s in report.segments if not s.is_all] if segments else []
    header = ["Metric", period_label(report.period), period_label(report.previous), "Change", "Significant"]
    if report.year_ago is not None:
        header.append(period_label(report.year_ago))
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
            _current_cell(row, compact=True),
            _cell(row.previous, compact=True),
            _change_cell(row),
            _verdict(row),
        ]
        if report.year_ago is not None:
            cells.append(_cell(row.year_ago, compact=True))
        if segments:
            cells += [_cell(r, compact=True) for r in row.by_segment]
        body.append(cells)
    return header, body, notes


def _trend_rows(report: Report, metric: str) -> tuple[list[str], list[list[str]]]:
    card = report.scorecard
    header = ["Segment", *[period_label(w) for w in report.trend]]
    rows = [
        [segment_label(segment), *[_cell(card.get(metric, w, segment), compact=True) for w in report.trend]]
        for segment in report.segments
    ]
    return header, rows


def _tier(tier: str | None) -> str:
    return segment_label(Segment.where(tier=tier)) if tier else ""


def _who(quote: Quote, basis: RevenueBasis | None) -> str:
    who = quote.account or "an anonymous reviewer"
    if quote.tier:
        who += f" ({_tier(quote.tier)})"
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
    fix = report.correction
    return [
        f"How findings are chosen: every test the report makes is one family ({fix.family}); the family is "
        f"corrected with {fix.describe().split(' at a ')[0]}, and a change, segment difference, drop after a "
        f"product change or threshold breach is a win or a risk only when its adjusted p-value is below "
        f"{fix.error_rate:.0%}. So the chance that any of them is a false alarm is at most {fix.error_rate:.0%}"
        + (
            " (Holm's guarantee holds whatever the dependence between the tests)."
            if fix.method == "holm"
            else "."
        ),
        "The tests: two proportions (Fisher's exact test when a cell is small) for rates, the adjusted NPS "
        "difference for NPS, the conditional binomial test for counts, a difference in differences against the "
        "same span a year earlier around product changes, and the exact binomial test against a threshold. "
        "They take the samples compared as independent; the same customers in both makes them conservative. "
        "Money, ratios and durations have no honest test here (a few large contracts dominate a sum), so their "
        "moves are shown without a verdict.",
        f"Year-ago column: {report.year_ago_note}",
        f"A segment is compared with the rest of the customers, never with a whole that contains it, and only "
        f"with at least {MIN_SEGMENT_SAMPLE} units. Runs of rises or falls describe the trend and are not tested.",
        "* marks a sample under 30 units: read the interval, not the point. A dash is an undefined value "
        "(never a zero); where a headline value is not yet known the table shows what can be said instead, "
        "labelled: ≈ for an estimate, a period in brackets for the latest one with a value, a horizon for the "
        "share of a cohort; the numbered notes under a table say why. Money in tables is in the unit its row names.",
        "Every sentence comes from a fixed rule applied to these numbers; the JSON form of the report "
        "names the rule and the metric, window and segment behind each one, and lists every test with its "
        "raw and adjusted p-value.",
    ]


# -- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    return markdown_text(text)


def _cell_md(text: str) -> str:
    return markdown_text(text, opens_block=False)


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1, note_last: bool = False
) -> list[str]:
    last = len(header) - 1
    aligns = ["---" if i < right_from or (note_last and i == last) else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell_md(h) for h in header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in rows]
    return lines


def _md_notes(notes: Sequence[str]) -> list[str]:
    if not notes:
        return []
    return [*[f"{i}. {_md(note)}" for i, note in enumerate(notes, start=1)], ""]


def _md_statements(statements: Sequence[Statement]) -> list[str]:
    return [f"- {_md(s.text)}" for s in statements]


def _md_findings(findings: Sequence[Finding], empty: str) -> list[str]:
    if not findings:
        return [_md(empty), ""]
    lines = []
    for finding in findings:
        lines += [
            f"- **{_kind_title(finding)}.** {_md(finding.text)}  ",
            f"  _Source: {_md(_sources(finding.sources))}_",
        ]
    return [*lines, ""]


def _md_extra_table(table: Table) -> list[str]:
    lines = [f"### {_md(table.title)}", ""]
    lines += [*_md_table(table.header, table.rows, right_from=1), ""]
    if table.note:
        lines += [_md(table.note), ""]
    return lines


def markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = [f"# {_md(report.title)}", "", _md(_scope_line(report)), ""]
    lines += [f"## {SECTIONS[0][1]}", ""]
    for statement in report.summary:
        lines += [_md(statement.text), ""]
    header, rows, notes = _metric_rows(report, report.headline, segments=False)
    lines += [*_md_table(header, rows), "", *_md_notes(notes)]
    if report.read_with_care:
        lines += ["**Read with care** (caveats, not risks):", "", *_md_statements(report.read_with_care), ""]

    lines += [f"## {SECTIONS[1][1]}", ""]
    lines += [
        f"Each headline metric over the last {len(report.trend)} periods, overall and by segment (the HTML report "
        f"draws these as charts with the {CONFIDENCE:.0%} interval of the whole; series resting on fewer than 30 "
        "units are dashed).",
        "",
    ]
    for chart in report.charts:
        lines += [f"### {_md(chart.title)}", ""]
        header, rows = _trend_rows(report, chart.metric)
        lines += [*_md_table(header, rows), ""]
        if chart.target is not None:
            lines += [f"Target: {_md(number_text(chart.target, _unit(chart.kind), report.basis))}.", ""]
    for table in report.tables:
        lines += _md_extra_table(table)
    lines += ["### Every metric", ""]
    header, rows, notes = _metric_rows(report, report.table, segments=True)
    lines += [*_md_table(header, rows), "", *_md_notes(notes)]

    stories = report.stories
    lines += [f"## {SECTIONS[2][1]}", ""]
    lines += [" ".join(_md(s.text) for s in stories.statements), ""]
    mix = stories.sentiment_mix
    lines += [
        *_md_table(
            ["Sentiment", "Feedback"],
            [[s, str(mix[s])] for s in ("positive", "neutral", "negative")] + [["total", str(mix["total"])]],
        ),
        "",
    ]
    if stories.behind_findings:
        lines += ["### Behind the findings", ""]
        for story in stories.behind_findings:
            if story.statement is not None:
                lines += [_md(story.statement.text), ""]
            for quote in story.quotes:
                lines += [f"> “{_md(quote.text or '')}”  ", f"> {_md(_quote_line(quote, report.basis))}", ""]
    if stories.quotes:
        lines += [
            "### In their words",
            "",
            "Per sentiment: the highest-value accounts first, then the most recent.",
            "",
        ]
        for quote in stories.quotes:
            lines += [
                f"> “{_md(quote.text or '')}”  ",
                f"> {_md(quote.sentiment or '')}: {_md(_quote_line(quote, report.basis))}",
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
    if report.not_significant:
        lines += [
            f"Tested, not significant after the correction (each would pass at {report.correction.error_rate:.0%} "
            "on its own):",
            "",
            *_md_statements(report.not_significant),
            "",
        ]
    if report.notes:
        lines += ["Also checked:", "", *_md_statements(report.notes), ""]

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


def _unit(kind: str) -> Unit:
    return Unit(kind)


_KIND_TITLES = {
    FindingKind.SIGNIFICANT_IMPROVEMENT: "Significant improvement",
    FindingKind.SEGMENT_ABOVE: "Segment ahead of the rest",
    FindingKind.READY_ADVOCATES: "Advocates ready to ask",
    FindingKind.SIGNIFICANT_DECLINE: "Significant decline",
    FindingKind.SEGMENT_BELOW: "Segment behind the rest",
    FindingKind.THRESHOLD_BREACHED: "Threshold breached",
    FindingKind.OVER_ASKED: "Over-asked advocates",
    FindingKind.PRODUCT_CHANGE_DROP: "Drop after a product change",
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
.care { border: 1px solid #e8d8a8; background: #fffbea; border-radius: 6px; padding: 6px 14px; margin: 10px 0 14px; }
.care h3 { margin: 6px 0 2px; font-size: 13px; }
.care ul { margin: 4px 0 6px; padding-left: 18px; font-size: 12.5px; }
.est { color: var(--muted); font-style: italic; }
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
    badge = ""
    if row.change is not None:
        if row.significant is None:
            badge = '<span class="badge">no test</span>'
        elif row.significant:
            badge = '<span class="badge sig">significant</span>'
        else:
            badge = '<span class="badge">not significant</span>'
    delta = f"<strong>{_e(arrow + change)}</strong> vs {_e(previous)}{badge}" if row.change else (
        f"no comparison with {_e(previous)}"
    )  # fmt: skip
    value = _e(_cell(row.current))
    if row.current.value is None and row.estimate is not None:
        value = f'<span class="est" title="{_e(row.estimate.note)}">{_e(_current_cell(row))}</span>'
    aside = f'<div class="delta">{_e(row.aside)}</div>' if row.aside else ""
    return (
        f'<div class="tile {shown}"><div class="name">{_e(row.name)} ({_e(row.unit)})</div>'
        f'<div class="value">{value}</div><div class="delta">{delta}</div>{aside}</div>'
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


def _list_html(statements: Sequence[Statement], css: str = "notes") -> str:
    return f'<ul class="{css}">' + "".join(f"<li>{_statement(n)}</li>" for n in statements) + "</ul>"


def _extra_html(table: Table) -> str:
    note = f'<p class="muted">{_e(table.note)}</p>' if table.note else ""
    return f'<h3>{_e(table.title)}</h3><div class="wide">{_html_table(table.header, table.rows)}</div>{note}'


def html_page(report: Report) -> str:
    """The report as one self-contained HTML page."""
    _charts.check_available("Report.to_html")
    parts: list[str] = []
    toc = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title in SECTIONS)

    summary = "".join(f"<p>{_statement(s)}</p>" for s in report.summary)
    tiles = "".join(_tile(row, period_label(report.previous)) for row in report.headline)
    header, rows, notes = _metric_rows(report, report.headline, segments=False)
    table = _html_table(header, rows, caption="Headline metrics against the previous period")
    care = (
        '<div class="care"><h3>Read with care</h3><p class="muted">Caveats, not risks.</p>'
        + _list_html(report.read_with_care, "")
        + "</div>"
        if report.read_with_care
        else ""
    )
    parts.append(
        f'<section id="summary"><h2>{_e(SECTIONS[0][1])}</h2><div class="lead">{summary}</div>'
        f'<div class="tiles">{tiles}</div><div class="wide">{table}</div>{_html_notes(notes)}{care}</section>'
    )

    figures = []
    for index, chart in enumerate(report.charts, start=1):
        drawing = _charts.svg(chart, f"chart{index}")
        header, rows = _trend_rows(report, chart.metric)
        figures.append(
            f'<figure id="chart-{_e(chart.metric)}"><figcaption>{_e(chart.title)}</figcaption>{drawing}'
            f'<div class="wide">{_html_table(header, rows)}</div></figure>'
        )
    header, rows, notes = _metric_rows(report, report.table, segments=True)
    extras = "".join(_extra_html(t) for t in report.tables)
    parts.append(
        f'<section id="trends"><h2>{_e(SECTIONS[1][1])}</h2>'
        f"<p>Each headline metric over the last {len(report.trend)} periods, overall (with the {CONFIDENCE:.0%} "
        "interval band of the whole) and by segment; dashed lines rest on fewer than 30 units; the numbers are "
        "in the table under each chart.</p>"
        f'<div class="charts">{"".join(figures)}</div>{extras}'
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
    behind = ""
    if stories.behind_findings:
        behind = "<h3>Behind the findings</h3>" + "".join(
            (f"<p>{_statement(b.statement)}</p>" if b.statement is not None else "")
            + "".join(_quote_html(q, report.basis) for q in b.quotes)
            for b in stories.behind_findings
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
        f'<div style="max-width:360px">{mix_table}</div>{behind}'
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
    shortfall = (
        "<h3>Tested, not significant after the correction</h3>"
        '<p class="muted">Each would pass on its own; across everything the report tested it does not.</p>'
        + _list_html(report.not_significant)
        if report.not_significant
        else ""
    )
    checked = "<h3>Also checked</h3>" + _list_html(report.notes) if report.notes else ""
    parts.append(
        f'<section id="risks"><h2>{_e(SECTIONS[4][1])}</h2>'
        f"{_findings_html(report.risks, 'risks', 'No risk met a rule this period.')}{shortfall}{checked}</section>"
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
