"""The standard advocacy report: a monthly review, or a quarterly deep dive, from one scorecard.

`report` computes one `Scorecard` (every metric over the trend windows and the same period a
year earlier, overall and by segment), makes its tests and fills the six sections of the report
by fixed rules:

1. Executive summary: how findings are chosen, the three findings that matter most, the trends
   (runs of rises or falls, the year-on-year changes with their tests), and honest counts.
2. Key metrics and trends: a chart per headline metric, by segment, and the full table; with
   targets, the targets against actuals; in a deep dive, tier × region and the referral cohorts.
3. Customer stories and qualitative insights: the sentiment mix, quoted feedback, reviews, and
   the voice of the segments the leading findings are about.
4. Wins and opportunities: significant improvements, segments ahead of the rest, accounts ready
   to be asked.
5. Risks and action plans: significant declines, segments behind the rest, thresholds breached,
   drops after product changes, over-asked advocates; what was tested but fell short, and what
   to read with care (small samples, values not yet known), which are not risks.
6. Next steps and requests for support: one line per finding, from the `NEXT_STEPS` table.

Every test is part of one family, corrected together (Holm's correction at 5% by default), so
the chance that any win or risk is a false alarm is at most the stated error rate; a metric and
segment with several significant tests is one finding with one owner. Every sentence is a
`Statement` or a `Finding` that names its rule and the metric, window and segment its numbers
come from. The same data and arguments give the same report, byte for byte, in Markdown
(`Report.to_markdown`), HTML (`Report.to_html`, charts inline, needs the ``report`` extra; a
notebook shows it), and JSON (`Report.to_dict`, `Report.to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from advocacy_kpis import catalog, display
from advocacy_kpis.analyses import Correction, check_correction, period_label, segment_label
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import MissingExtraError, ParameterError
from advocacy_kpis.report import _rules
from advocacy_kpis.report._format import value_text
from advocacy_kpis.report._model import (
    Chart,
    ChartSeries,
    Estimate,
    Finding,
    FindingKind,
    FindingStory,
    MetricRow,
    Movement,
    NextStep,
    Quote,
    ReportTest,
    Source,
    Statement,
    Stories,
    Table,
)
from advocacy_kpis.report._rules import (
    CONFIDENCE,
    CORRECTION,
    ERROR_RATE,
    MIN_SEGMENT_SAMPLE,
    NEXT_STEPS,
    OVER_ASKED_LISTED,
    PRODUCT_CHANGE_LOOKBACK_DAYS,
    PRODUCT_CHANGE_METRICS,
    PRODUCT_CHANGE_WINDOW_DAYS,
    QUOTES_PER_SENTIMENT,
    READY_LISTED,
    READY_SCORE,
    REVIEWS_QUOTED,
)
from advocacy_kpis.result import json_safe
from advocacy_kpis.scope import Grain, RevenueBasis, Segment, SegmentsBy, Window
from advocacy_kpis.scorecard import HEADLINE_METRICS, Scorecard, scorecard, unit_label

__all__ = [
    "BY_TIER",
    "CONFIDENCE",
    "CORRECTION",
    "ERROR_RATE",
    "MIN_SEGMENT_SAMPLE",
    "NEXT_STEPS",
    "OVER_ASKED_LISTED",
    "PRODUCT_CHANGE_LOOKBACK_DAYS",
    "PRODUCT_CHANGE_METRICS",
    "PRODUCT_CHANGE_WINDOW_DAYS",
    "QUOTES_PER_SENTIMENT",
    "READY_LISTED",
    "READY_SCORE",
    "REVIEWS_QUOTED",
    "TREND_LENGTH",
    "Chart",
    "ChartSeries",
    "Estimate",
    "Finding",
    "FindingKind",
    "FindingStory",
    "MetricRow",
    "Movement",
    "NextStep",
    "Quote",
    "Report",
    "ReportTest",
    "Source",
    "Statement",
    "Stories",
    "Table",
    "report",
]

TREND_LENGTH = {Grain.MONTH: 6, Grain.QUARTER: 4}
"""How many periods the trend charts show, the report's period last: six months, or four quarters."""

_YEAR = {Grain.MONTH: 12, Grain.QUARTER: 4}

BY_TIER = Segment.by("tier")
"""The default segments of a report: the whole and each tier."""


@attrs.frozen(eq=False)
class Report:
    """A standard advocacy report, built by `report`.

    Attributes:
        title: the report's title.
        cadence: ``monthly review`` or ``quarterly deep dive``.
        period: the period reported on.
        previous: the period before it.
        year_ago: the same period a year earlier, or None when the data does not reach it.
        year_ago_note: the year-ago rule, applied.
        trend: the trend windows, oldest first (the period last).
        as_of: when the data set was extracted.
        basis: the revenue basis of the money metrics, or None (they are then undefined).
        segments: the segments, the whole first.
        headline: the headline metrics' rows.
        table: every metric's row (the full table).
        summary: the executive summary's sentences.
        charts: one chart per headline metric.
        stories: the customer voice of the period.
        wins: the wins and opportunities, one per metric and segment.
        risks: the risks, one per metric and segment.
        notes: what the risk rules checked and found nothing for, or could not check.
        next_steps: one line per risk, then per win.
        correction: the multiple-testing correction over every test of the report.
        tests: every test the report made, with raw and adjusted p-values.
        not_significant: the tests whose p-value was below the error rate on its own but not
            after the correction: shown, not dropped.
        read_with_care: caveats on the headline numbers (small samples, values not yet known, with
            what can be estimated); not risks.
        tables: targets against actuals (with targets), and in a deep dive tier × region and the
            referral cohorts.
        targets: the targets, by metric id.
        scorecard: the scorecard the report reads (not part of ``to_dict``).
    """

    title: str
    cadence: str
    period: Window
    previous: Window
    year_ago: Window | None
    year_ago_note: str
    trend: tuple[Window, ...]
    as_of: datetime
    basis: RevenueBasis | None
    segments: tuple[Segment, ...]
    headline: tuple[MetricRow, ...]
    table: tuple[MetricRow, ...]
    summary: tuple[Statement, ...]
    charts: tuple[Chart, ...]
    stories: Stories
    wins: tuple[Finding, ...]
    risks: tuple[Finding, ...]
    notes: tuple[Statement, ...]
    next_steps: tuple[NextStep, ...]
    correction: Correction
    tests: tuple[ReportTest, ...]
    not_significant: tuple[Statement, ...]
    read_with_care: tuple[Statement, ...]
    tables: tuple[Table, ...]
    targets: Mapping[str, float]
    scorecard: Scorecard = attrs.field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-safe data: every statement with its rule and sources, every test."""
        return {
            "title": self.title,
            "cadence": self.cadence,
            "period": {**self.period.to_dict(), "name": period_label(self.period)},
            "previous": self.previous.to_dict(),
            "year_ago": self.year_ago.to_dict() if self.year_ago is not None else None,
            "year_ago_note": self.year_ago_note,
            "trend": [w.label for w in self.trend],
            "as_of": self.as_of.isoformat(),
            "basis": json_safe(self.basis) if self.basis is not None else None,
            "segments": [s.name for s in self.segments],
            "segment_labels": [segment_label(s) for s in self.segments],
            "confidence": CONFIDENCE,
            "multiple_testing": {**self.correction.to_dict(), "results": [t.to_dict() for t in self.tests]},
            "targets": dict(self.targets),
            "sections": {
                "executive_summary": {
                    "statements": [s.to_dict() for s in self.summary],
                    "headline": [r.to_dict() for r in self.headline],
                },
                "key_metrics_and_trends": {
                    "charts": [c.to_dict() for c in self.charts],
                    "table": [r.to_dict() for r in self.table],
                    "tables": [t.to_dict() for t in self.tables],
                },
                "customer_stories": self.stories.to_dict(),
                "wins_and_opportunities": [f.to_dict() for f in self.wins],
                "risks_and_action_plans": {
                    "findings": [f.to_dict() for f in self.risks],
                    "not_significant": [n.to_dict() for n in self.not_significant],
                    "read_with_care": [n.to_dict() for n in self.read_with_care],
                    "notes": [n.to_dict() for n in self.notes],
                },
                "next_steps": [s.to_dict() for s in self.next_steps],
            },
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(self) -> str:
        """The report in Markdown: every section, tables for the charts' numbers."""
        from advocacy_kpis.report._render import markdown

        return markdown(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page: inline SVG charts, no network needed.

        Raises:
            MissingExtraError: matplotlib (the ``report`` extra) is not installed.
        """
        from advocacy_kpis.report._render import html_page

        return html_page(self)

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        """The report in a notebook: the HTML page in a frame of its own, so its styles stay inside it
        (its Markdown, without the ``report`` extra)."""
        try:
            page: str | None = self.to_html()
        except MissingExtraError:
            page = None
        findings = f"{len(self.wins)} wins, {len(self.risks)} risks under {self.correction.describe()}"
        shown = display.Page(self.to_markdown(), page, self.title)
        lines = (
            f"{self.cadence}, {period_label(self.period)}; as of {self.as_of.date().isoformat()}",
            findings,
        )
        return display.View(self.title, lines, (shown,)).html()

    def __repr__(self) -> str:
        return (
            f"<Report {self.cadence} {self.period.label}: {len(self.headline)} headline metrics, "
            f"{len(self.wins)} wins, {len(self.risks)} risks, {len(self.tests)} tests under {self.correction.method}>"
        )


def _check_period(data: AdvocacyData, period: Any, deep_dive: bool) -> Window:
    wanted = Grain.QUARTER if deep_dive else Grain.MONTH
    expected = (
        "a quarter such as Window.quarter(2026, 3) or '2026Q3' for a deep dive"
        if deep_dive
        else "a calendar month such as Window.month(2026, 9) or '2026-09' (a quarter with deep_dive=True)"
    )
    if period is None:
        step = 3 if deep_dive else 1
        local = data.calendar.local(data.as_of)
        start_month = ((local.month - 1) // step) * step + 1
        current = (
            Window.quarter(local.year, (start_month - 1) // 3 + 1, data.calendar)
            if deep_dive
            else Window.month(local.year, local.month, data.calendar)
        )
        return current if current.end <= data.as_of else current.previous()
    if isinstance(period, str):
        try:
            period = Window.parse(period, data.calendar)
        except ParameterError:
            raise ParameterError("period", "report", expected, period) from None
    if not isinstance(period, Window) or period.grain is not wanted:
        raise ParameterError("period", "report", expected, getattr(period, "label", period))
    if period.start >= data.as_of:
        raise ParameterError(
            "period", "report", f"a period that starts before as_of ({data.as_of.isoformat()})", period.label
        )
    return period


def _segments(data: AdvocacyData, segments: Any) -> list[Segment | SegmentsBy]:
    chosen: list[Segment | SegmentsBy] = [Segment.all()]
    if segments is None:
        return chosen
    if isinstance(segments, (Segment, SegmentsBy)):
        return [*chosen, segments]
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Iterable):
        raise ParameterError(
            "segments", "report", "a Segment, Segment.by('tier') or a list of them", segments
        )
    return [*chosen, *segments]


def _metrics(metrics: Iterable[str] | None) -> tuple[list[str], list[str]]:
    registered = [s.id for s in catalog.all()]
    if metrics is None:
        chosen = registered
    else:
        if isinstance(metrics, str):
            raise ParameterError("metrics", "report", "a list of metric ids", metrics)
        chosen = list(dict.fromkeys(catalog.get(m).id for m in metrics))
        if not chosen:
            raise ParameterError("metrics", "report", "at least one metric id", metrics)
    headline = [m for m in HEADLINE_METRICS if m in chosen]
    return chosen, headline or chosen


def _chart(card: Scorecard, metric: str, trend: Sequence[Window], target: float | None) -> Chart:
    spec = catalog.get(metric)
    series = []
    words = []
    for segment in card.segments:
        results = [card.get(metric, w, segment) for w in trend]
        values = tuple(float(r.value) if r.value is not None else None for r in results)
        lows = tuple(float(r.interval.low) if r.interval is not None else None for r in results)
        highs = tuple(float(r.interval.high) if r.interval is not None else None for r in results)
        small = tuple(r.value is not None and 0 < r.sample_size < MIN_SEGMENT_SAMPLE for r in results)
        name = segment_label(segment)
        series.append(ChartSeries(segment.name, values, lows, highs, name, small))
        if all(v is None for v in values):
            words.append(f"{name}: no value in these periods")
            continue
        shown = ", ".join(f"{period_label(w)} {value_text(r)}" for w, r in zip(trend, results, strict=True))
        words.append(f"{name}: {shown}")
    unit = unit_label(metric, card.basis)
    title = f"{spec.name} ({unit}), {period_label(trend[0])} to {period_label(trend[-1])}"
    aim = f"; target {target:g}" if target is not None else ""
    return Chart(
        metric=metric,
        title=title,
        unit=unit,
        kind=spec.unit.value,
        windows=tuple(period_label(w) for w in trend),
        series=tuple(series),
        description=f"{title}{aim}. " + "; ".join(words) + ".",
        target=target,
    )


def report(
    data: AdvocacyData,
    *,
    period: Window | str | None = None,
    deep_dive: bool = False,
    segments: Segment | SegmentsBy | Iterable[Segment | SegmentsBy] | None = BY_TIER,
    basis: RevenueBasis | None = None,
    metrics: Iterable[str] | None = None,
    targets: Mapping[str, float] | None = None,
    correction: str = CORRECTION,
    error_rate: float = ERROR_RATE,
) -> Report:
    """Build the standard report of one period from one scorecard, its findings under a stated error rate.

    Args:
        data: the data set.
        period: a calendar month (``Window.month(2026, 9)`` or ``"2026-09"``, read in the data
            set's calendar); with ``deep_dive``, a quarter (``"2026Q3"``, or a fiscal quarter).
            Default: the last month (quarter) that ended by ``as_of``.
        deep_dive: the quarterly deep dive instead of the monthly review.
        segments: how to cut the numbers besides the whole (default ``Segment.by("tier")``);
            None for the whole only.
        basis: the revenue basis of the money metrics. Without one they stay undefined with the
            scorecard's reason; rates are shares of accounts either way.
        metrics: the metrics of the full table (default: every registered metric). The
            headline metrics are those of `HEADLINE_METRICS` among them (all of them when none is).
        targets: target values by metric id, in the metric's unit (rates as fractions), shown
            against the actuals and drawn on the charts.
        correction: ``"holm"`` (default: the chance of any false win or risk is at most
            ``error_rate``) or ``"benjamini-hochberg"`` (the expected share of false ones among
            them is), applied across every test of the report.
        error_rate: the error rate wins and risks are chosen at (default 0.05).

    Returns:
        The `Report`.

    Raises:
        ParameterError: a period that is not a month (a quarter for a deep dive) or starts at or
            after ``as_of``; bad segments, basis, metrics, targets, correction or error rate.
        SegmentNotApplicableError: no account carries a segment attribute.
        UnknownMetricError: a metric or target names no metric.

    Examples:
        >>> from advocacy_kpis import sample
        >>> monthly = report(sample.tiny(), period="2026-09", segments=None)
        >>> monthly.previous.label, [w.label for w in monthly.trend][:2], monthly.year_ago.label
        ('2026-08', ['2026-04', '2026-05'], '2025-09')
        >>> monthly.correction.method, monthly.correction.error_rate
        ('holm', 0.05)
        >>> report(sample.tiny(), period="2026Q3")
        Traceback (most recent call last):
        ...
        advocacy_kpis.errors.ParameterError: The 'period' parameter of report must be a calendar month ...
    """
    if not isinstance(data, AdvocacyData):
        raise ParameterError("data", "report", "an AdvocacyData", type(data).__name__)
    if not isinstance(deep_dive, bool):
        raise ParameterError("deep_dive", "report", "True or False", deep_dive)
    if basis is not None and not isinstance(basis, RevenueBasis):
        raise ParameterError("basis", "report", "a RevenueBasis such as RevenueBasis.arr('USD')", basis)
    method, rate = check_correction(correction, error_rate, "report")
    aims = _rules.check_targets(targets)
    chosen_period = _check_period(data, period, deep_dive)
    grain = Grain.QUARTER if deep_dive else Grain.MONTH
    previous = chosen_period.previous()
    trend = [chosen_period.shift(-k) for k in range(TREND_LENGTH[grain] - 1, -1, -1)]
    candidate = chosen_period.shift(-_YEAR[grain])
    first = min((a.customer_since for a in data.accounts), default=None)
    rule = "the year-ago period is shown when it ends after the first account became a customer"
    if first is not None and candidate.end > first:
        year_ago: Window | None = candidate
        year_ago_note = f"{period_label(candidate)} is shown: {rule} ({first.date().isoformat()})."
    else:
        year_ago = None
        start = first.date().isoformat() if first is not None else "never"
        year_ago_note = f"{period_label(candidate)} is not shown: {rule}, and the first did on {start}."
    ids, headline_ids = _metrics(metrics)
    windows = [*trend, *([year_ago] if year_ago is not None else [])]
    card = scorecard(
        data, metrics=ids, windows=windows, segments=_segments(data, segments), basis=basis,
    )  # fmt: skip
    rows = {
        m: _rules.metric_row(card, m, chosen_period, previous, year_ago, headline=m in headline_ids)
        for m in card.metrics
    }
    for m in headline_ids:
        rows[m] = attrs.evolve(rows[m], estimate=_rules.estimate(card, data, rows[m], trend))
    segment_list = list(card.segments)

    candidates = _rules.change_candidates([rows[m] for m in card.metrics], chosen_period)
    candidates += _rules.year_candidates([rows[m] for m in headline_ids], chosen_period)
    candidates += _rules.segment_candidates(card, data, headline_ids, chosen_period)
    dropped, change_notes = _rules.product_change_candidates(data, chosen_period, headline_ids, segment_list)
    candidates += dropped
    candidates += _rules.threshold_candidates(card, card.metrics, chosen_period)
    fix = Correction(
        method, rate, len(candidates), _rules.family_text(candidates, chosen_period, previous, year_ago)
    )
    tests = _rules.correct(candidates, fix)
    by_id = {t.id: t for t in tests}
    for m, row in rows.items():
        change = by_id.get(f"change:{m}")
        year = by_id.get(f"year_on_year:{m}")
        rows[m] = attrs.evolve(
            row,
            adjusted_p=change.adjusted_p if change is not None else None,
            significant=change.significant if change is not None else None,
            year_adjusted_p=year.adjusted_p if year is not None else None,
        )
    headline = tuple(rows[m] for m in headline_ids)
    table = tuple(rows[m] for m in card.metrics)

    view = _rules.over_asking_view(data, chosen_period, [s.id for s in catalog.all()])
    statistical = _rules.findings_from_tests(tests)
    wins = [f for f in statistical if f.kind.is_win]
    risks = [f for f in statistical if not f.kind.is_win]
    wins += _rules.ready_findings(data, chosen_period, basis, view.accounts)
    risks += _rules.over_asked_findings(view, chosen_period, data)
    notes: list[Statement] = []
    if view.method is None:
        notes.append(
            Statement(
                "Over-asking could not be assessed: this installation has neither the over-asking "
                "analysis nor the tap_policy_compliance metric.",
                "risks.over_asked",
                (Source(None, chosen_period, Segment.all(), "asks"),),
            )
        )
    elif not view.taps:
        asks = f" ({view.asks} asks checked)" if view.asks is not None else ""
        notes.append(
            Statement(
                f"No ask in {period_label(chosen_period)} came sooner than the tap policy allows{asks}.",
                "risks.over_asked",
                (Source(None, chosen_period, Segment.all(), "asks"),),
            )
        )
    notes += change_notes

    cadence = "quarterly deep dive" if deep_dive else "monthly review"
    customers = len(data.customers_at(min(chosen_period.end, data.as_of)))
    summary = _rules.summary_statements(
        headline, card=card, period=chosen_period, previous=previous, year_ago=year_ago, trend=trend,
        cadence=cadence, customers=customers, segments=card.segments, wins=wins, risks=risks, tests=tests,
        correction=fix,
    )  # fmt: skip
    steps = tuple(_rules.next_step(f) for f in (*risks, *wins))
    tables: list[Table] = []
    aims_table = _rules.target_table(card, aims, chosen_period)
    if aims_table is not None:
        tables.append(aims_table)
    if deep_dive:
        tables += _rules.crossing_tables(data, chosen_period, headline_ids, basis)
        cohorts = _rules.cohort_table(data, chosen_period)
        if cohorts is not None:
            tables.append(cohorts)
    told = _rules.leading([*risks, *wins], headline_ids)
    return Report(
        title=f"Customer advocacy {cadence}: {period_label(chosen_period)}",
        cadence=cadence,
        period=chosen_period,
        previous=previous,
        year_ago=year_ago,
        year_ago_note=year_ago_note,
        trend=tuple(trend),
        as_of=data.as_of,
        basis=basis,
        segments=card.segments,
        headline=headline,
        table=table,
        summary=summary,
        charts=tuple(_chart(card, r.metric, trend, aims.get(r.metric)) for r in headline),
        stories=_rules.stories(data, chosen_period, basis, told),
        wins=tuple(wins),
        risks=tuple(risks),
        notes=tuple(notes),
        next_steps=steps,
        correction=fix,
        tests=tuple(tests),
        not_significant=tuple(_rules.not_significant(tests, rate)),
        read_with_care=tuple(_rules.read_with_care(headline, chosen_period, data.as_of)),
        tables=tuple(tables),
        targets=aims,
        scorecard=card,
    )
