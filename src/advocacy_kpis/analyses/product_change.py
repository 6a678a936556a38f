"""Advocacy before and after a product change: did it drop, where, and is the drop real?

For each `ProductChange`, a rate or score metric is measured over two windows of equal observed
length just before and just after the release, overall and by segment. A before/after difference
alone mixes the release with everything else that moved at the time (seasons, growth, a
campaign), so each segment's change is set against a comparison that the release did not touch:
the same calendar span a year earlier (default), or the accounts the change did not reach. The
difference in differences gets an interval and a test, and every test of the call (releases ×
metrics × segments) is corrected together (Holm by default), so a drop is reported under a stated
error rate. An after-window not yet observed in full is shortened, with the before-window, to the
days known at ``as_of``; with fewer than ``min_days`` of them there is no verdict, and the result
says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from advocacy_kpis import catalog, display
from advocacy_kpis.analyses._common import (
    ERROR_RATE,
    Correction,
    Tabular,
    check_correction,
    period_label,
    segment_label,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.records import ProductChange
from advocacy_kpis.result import (
    NPS_TEST_MIN_RESPONDENTS,
    SMALL_SAMPLE,
    Direction,
    MetricResult,
    Unit,
    json_safe,
)
from advocacy_kpis.scope import RevenueBasis, Segment, SegmentsBy, Window
from advocacy_kpis.stats import Interval, TestResult, nps_contrast_test, proportion_contrast_test

__all__ = ["YEAR_EARLIER", "ImpactRow", "ProductChangeImpact", "ReleaseWindows", "product_change_impact"]

YEAR_EARLIER: Final = "year_earlier"
"""The default comparison: the same calendar span a year before the release."""

_COMPARABLE_UNITS = (Unit.RATE, Unit.SCORE)
_NPS_KEYS = ("promoters", "passives", "detractors")


@attrs.frozen
class ReleaseWindows:
    """The windows one release is judged on.

    Attributes:
        change: the product change.
        before: the window just before the release.
        after: the window from the release on, as long as ``before``.
        control_before: the comparison's window matching ``before`` (a year earlier), or None.
        control_after: the comparison's window matching ``after``, or None.
        observed_days: the days of each window (the asked length, or fewer when the after-window
            is not observed in full by ``as_of``).
        partial: whether the windows were shortened to the days observed.
        note: why this release gets no verdict, or None.
    """

    change: ProductChange
    before: Window
    after: Window
    control_before: Window | None
    control_after: Window | None
    observed_days: float
    partial: bool
    note: str | None = None


@attrs.frozen
class ImpactRow:
    """One release, metric and segment: the values around the release and the comparison.

    Attributes:
        change: the product change.
        metric: the metric id.
        segment: the segment.
        before: the result over the window before the release.
        after: the result over the window after it.
        comparison: ``"year_earlier"``, ``"unreached"`` (the accounts the change did not reach),
            or ``"none"`` when no comparison exists (see ``note``).
        control_before: the comparison's result before, or None.
        control_after: the comparison's result after, or None.
        test: the difference in differences, ``(after - before) - (control after - control
            before)`` in the metric's unit (rate fractions, NPS points), with its interval and
            p-value; None when there is no test (see ``note``).
        adjusted_p: the p-value adjusted across every test of the analysis (see
            `ProductChangeImpact.correction`), or None without a test.
        significant: ``adjusted_p`` below the error rate; None without a test.
        note: why there is no verdict, or None.
    """

    change: ProductChange
    metric: str
    segment: Segment
    before: MetricResult
    after: MetricResult
    comparison: str
    control_before: MetricResult | None
    control_after: MetricResult | None
    test: TestResult | None
    adjusted_p: float | None = None
    significant: bool | None = None
    note: str | None = None

    @property
    def estimate(self) -> float | None:
        """The difference in differences, or None without a test."""
        return self.test.estimate if self.test is not None else None

    @property
    def interval(self) -> Interval | None:
        """Its confidence interval, or None."""
        return self.test.interval if self.test is not None else None

    @property
    def p_value(self) -> float | None:
        """Its p-value before the correction, or None."""
        return self.test.p_value if self.test is not None else None

    @property
    def raw_change(self) -> float | None:
        """``after - before`` without a comparison, for reading alongside; None when undefined."""
        if self.before.value is None or self.after.value is None:
            return None
        return float(self.after.value) - float(self.before.value)

    def _worse(self) -> bool | None:
        if self.estimate is None:
            return None
        direction = catalog.get(self.metric).direction
        if direction is Direction.TARGET_RANGE:
            return None
        return (self.estimate > 0) == (direction is Direction.LOWER_IS_BETTER)

    @property
    def dropped(self) -> bool:
        """Whether the metric moved the wrong way against the comparison, significantly after the correction."""
        return bool(self.significant) and self._worse() is True

    @property
    def rose(self) -> bool:
        """Whether it moved the right way against the comparison, significantly after the correction."""
        return bool(self.significant) and self._worse() is False

    @property
    def verdict(self) -> str:
        """``drop``, ``rise``, ``no significant change`` or ``no verdict``."""
        if self.test is None:
            return "no verdict"
        if self.dropped:
            return "drop"
        if self.rose:
            return "rise"
        return "no significant change"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "change": self.change.id,
            "metric": self.metric,
            "segment": self.segment.name,
            "label": segment_label(self.segment),
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "comparison": self.comparison,
            "control_before": self.control_before.to_dict() if self.control_before is not None else None,
            "control_after": self.control_after.to_dict() if self.control_after is not None else None,
            "test": json_safe(self.test) if self.test is not None else None,
            "adjusted_p": self.adjusted_p,
            "significant": self.significant,
            "verdict": self.verdict,
            "dropped": self.dropped,
            "note": self.note,
        }


def _value(result: MetricResult | None) -> float | None:
    return None if result is None or result.value is None else float(result.value)


def _n(result: MetricResult | None) -> int | None:
    return None if result is None else result.sample_size


@attrs.frozen(repr=False)
class ProductChangeImpact(Tabular):
    """Rate and score metrics around product changes, against a comparison, under one correction.

    Attributes:
        releases: per product change, the windows it is judged on.
        metrics: the metric ids.
        days: the window length asked for, in days.
        comparison: ``"year_earlier"``, or the segment of accounts the changes did not reach.
        rows: one per release, metric and segment (the whole first).
        correction: the multiple-testing correction over every test of ``rows``.
    """

    releases: tuple[ReleaseWindows, ...]
    metrics: tuple[str, ...]
    days: int
    comparison: str | Segment
    rows: tuple[ImpactRow, ...]
    correction: Correction

    @property
    def change(self) -> ProductChange:
        """The (first) product change."""
        return self.releases[0].change

    @property
    def metric(self) -> str:
        """The (first) metric."""
        return self.metrics[0]

    @property
    def before(self) -> Window:
        """The window before the (first) release."""
        return self.releases[0].before

    @property
    def after(self) -> Window:
        """The window after the (first) release."""
        return self.releases[0].after

    @property
    def partial(self) -> bool:
        """Whether the (first) release's windows were shortened to the days observed by ``as_of``."""
        return self.releases[0].partial

    @property
    def drops(self) -> tuple[ImpactRow, ...]:
        """The rows where the metric dropped against the comparison, significantly after the correction."""
        return tuple(r for r in self.rows if r.dropped)

    @property
    def tested(self) -> tuple[ImpactRow, ...]:
        """The rows with a test."""
        return tuple(r for r in self.rows if r.test is not None)

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat, JSON-safe dict per release, metric and segment, with n per side."""
        windows = {r.change.id: r for r in self.releases}
        out = []
        for row in self.rows:
            release = windows[row.change.id]
            interval = row.interval
            out.append(
                {
                    "change": row.change.id,
                    "change_name": row.change.name,
                    "released_at": row.change.released_at.isoformat(),
                    "metric": row.metric,
                    "segment": row.segment.name,
                    "label": segment_label(row.segment),
                    "before_window": period_label(release.before),
                    "after_window": period_label(release.after),
                    "days": release.observed_days,
                    "before": _value(row.before),
                    "n_before": _n(row.before),
                    "after": _value(row.after),
                    "n_after": _n(row.after),
                    "comparison": row.comparison,
                    "control_before": _value(row.control_before),
                    "n_control_before": _n(row.control_before),
                    "control_after": _value(row.control_after),
                    "n_control_after": _n(row.control_after),
                    "difference_in_differences": row.estimate,
                    "low": interval.low if interval is not None else None,
                    "high": interval.high if interval is not None else None,
                    "p_value": row.p_value,
                    "adjusted_p": row.adjusted_p,
                    "verdict": row.verdict,
                    "note": row.note,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        comparison = self.comparison if isinstance(self.comparison, str) else self.comparison.name
        return {
            "releases": [
                {
                    "change": {
                        "id": r.change.id,
                        "name": r.change.name,
                        "released_at": json_safe(r.change.released_at),
                    },
                    "before": r.before.to_dict(),
                    "after": r.after.to_dict(),
                    "control_before": r.control_before.to_dict() if r.control_before else None,
                    "control_after": r.control_after.to_dict() if r.control_after else None,
                    "observed_days": r.observed_days,
                    "partial": r.partial,
                    "note": r.note,
                }
                for r in self.releases
            ],
            "metrics": list(self.metrics),
            "days": self.days,
            "comparison": comparison,
            "correction": self.correction.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
        }

    def _view(self) -> display.View:
        names = ", ".join(r.change.name or r.change.id for r in self.releases)
        comparison = (
            "the same span a year earlier"
            if isinstance(self.comparison, str)
            else f"the accounts the change did not reach ({segment_label(self.comparison)})"
        )
        parts: list[display.Part] = []
        for release in self.releases:
            change = release.change
            said = (
                f"{change.name or change.id} (released {change.released_at.date()}): "
                f"{period_label(release.before)} against {period_label(release.after)}, "
                f"{release.observed_days:g} days each; comparison: {comparison} (difference in differences)."
            )
            if release.partial:
                said += (
                    f" Shortened to the {release.observed_days:g} days observed after the release by as_of."
                )
            if release.note:
                said += f" No verdict: {release.note}."
            parts.append(display.Paragraph(said))
            for metric in self.metrics:
                rows = [r for r in self.rows if r.change.id == change.id and r.metric == metric]
                parts.append(_impact_table(metric, change.name or change.id, rows))
        parts.append(display.Paragraph(f"Verdicts under {self.correction.describe()}."))
        legend = (
            "Each value with its interval and n; the difference in differences is (after - before) - "
            f"(comparison after - comparison before), in points for rates. * marks a sample under {SMALL_SAMPLE}."
        )
        metrics = ", ".join(catalog.get(m).name for m in self.metrics)
        return display.View(f"{metrics} around {names}", (), tuple(parts), legend=legend)


def _impact_table(metric: str, release: str, rows: Sequence[ImpactRow]) -> display.Table:
    """One metric around one release: a row per segment."""
    unit = catalog.get(metric).unit.value
    notes = display.Footnotes()
    cells = []
    for row in rows:
        sides = [
            display.result_cell(r, notes) if r is not None else display.Cell("–", tone="na")
            for r in (row.before, row.after, row.control_before, row.control_after)
        ]
        if row.test is None:
            moved = display.Cell("–")
            verdict = display.Cell(
                "no verdict", notes=(notes.number(row.note or "no test applies"),), tone="na"
            )
        else:
            shown, *bounds = display.difference_text(row.test.estimate, unit, interval=row.interval)
            moved = display.Cell(shown, tuple(bounds))
            tone: display.Tone = "bad" if row.dropped else "good" if row.rose else "plain"
            tested = (display.p_text(row.p_value), display.p_text(row.adjusted_p, adjusted=True))
            verdict = display.Cell(row.verdict, tested, tone=tone)
        label = display.Cell(segment_label(row.segment), tone="label")
        cells.append((label, *sides, moved, verdict))
    columns = ("segment", "before", "after", "comparison before", "comparison after", "difference", "verdict")
    caption = f"{catalog.get(metric).name} around {release}"
    return display.Table(columns, tuple(cells), caption, notes.notes)


def _find_one(data: AdvocacyData, change: ProductChange | str) -> ProductChange:
    if isinstance(change, ProductChange):
        return change
    for candidate in data.product_changes:
        if candidate.id == change:
            return candidate
    known = ", ".join(c.id for c in data.product_changes) or "none"
    raise ParameterError("change", "product_change_impact", f"the id of a product change ({known})", change)


def _find(data: AdvocacyData, change: Any) -> list[ProductChange]:
    if change is None:
        released = [c for c in data.product_changes if c.released_at < data.as_of]
        if not released:
            raise ParameterError(
                "change", "product_change_impact", "a product change (the data set has none)", None
            )
        return [max(released, key=lambda c: (c.released_at, c.id))]
    if isinstance(change, (ProductChange, str)):
        return [_find_one(data, change)]
    if not isinstance(change, Iterable):
        raise ParameterError(
            "change", "product_change_impact", "a ProductChange, its id, or a list of them", change
        )
    found = list(dict.fromkeys(_find_one(data, c) for c in change))
    if not found:
        raise ParameterError("change", "product_change_impact", "at least one product change", change)
    return found


def _metrics(metric: Any) -> list[str]:
    names = (
        [metric] if isinstance(metric, str) else list(metric) if isinstance(metric, Iterable) else [metric]
    )
    chosen: list[str] = []
    for name in names:
        spec = catalog.get(name)
        if spec.unit not in _COMPARABLE_UNITS:
            raise ParameterError("metric", "product_change_impact", "a rate or score metric", name)
        chosen.append(spec.id)
    if not chosen:
        raise ParameterError("metric", "product_change_impact", "at least one rate or score metric", metric)
    return list(dict.fromkeys(chosen))


def _year_before(data: AdvocacyData, instant: datetime) -> datetime:
    local = data.calendar.local(instant)
    return local - relativedelta(years=1)


def _windows(
    data: AdvocacyData, change: ProductChange, days: int, min_days: int, comparison: str | Segment
) -> ReleaseWindows:
    released = change.released_at
    seen = (data.as_of - released).total_seconds() / 86400
    length = min(float(days), max(seen, 0.0))
    note = None
    if seen <= 0:
        note = "it was released at or after as_of: nothing after it is known yet"
        length = float(days)
    elif length < min_days:
        note = (
            f"only {seen:.0f} days after the release are observed by as_of; a verdict needs at least "
            f"{min_days} days on each side"
        )
    span = timedelta(days=length)
    calendar = data.calendar
    before = Window.between(released - span, released, calendar)
    after = Window.between(released, released + span, calendar)
    control_before = control_after = None
    if comparison == YEAR_EARLIER:
        earlier = _year_before(data, released)
        control_before = Window.between(earlier - span, earlier, calendar)
        control_after = Window.between(earlier, earlier + span, calendar)
    return ReleaseWindows(
        change, before, after, control_before, control_after, length, 0 < length < days, note
    )


def _contrast(results: Sequence[MetricResult], confidence: float) -> tuple[TestResult | None, str | None]:
    """The difference in differences of four results (before, after, control before, control after)."""
    first = results[0]
    weights = (-1, 1, 1, -1)
    undefined = next((r for r in results if r.value is None), None)
    if undefined is not None:
        return None, f"a value is undefined ({undefined.undefined_reason})"
    if first.basis is not None:
        return None, "no honest test for revenue-weighted rates (their spread depends on the revenue mix)"
    if all(all(k in r.components for k in _NPS_KEYS) for r in results):
        samples = [tuple(int(r.components[k]) for k in _NPS_KEYS) for r in results]
        smallest = min(sum(s) for s in samples)
        if smallest < NPS_TEST_MIN_RESPONDENTS:
            return None, (
                f"no honest test for NPS samples this small (the smallest has {smallest} respondents; the "
                f"adjusted test needs at least {NPS_TEST_MIN_RESPONDENTS} in each)"
            )
        return nps_contrast_test(samples, weights, confidence), None  # type: ignore[arg-type]
    if first.unit is Unit.RATE:
        counts = []
        for r in results:
            num, den = r.numerator, r.denominator
            if not (isinstance(num, int) and isinstance(den, int)) or isinstance(num, bool) or den <= 0:
                return None, "the results carry no counts to test"
            counts.append((num, den))
        return proportion_contrast_test(counts, weights, confidence), None
    return None, "no honest test for a difference in differences of this score"


def product_change_impact(
    data: AdvocacyData,
    change: ProductChange | str | Iterable[ProductChange | str] | None = None,
    *,
    metric: str | Iterable[str] = "customer_advocacy_rate",
    days: int = 90,
    segments: Segment | SegmentsBy | Iterable[Segment | SegmentsBy] | None = None,
    comparison: str | Segment = YEAR_EARLIER,
    min_days: int = 30,
    basis: RevenueBasis | None = None,
    params: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    correction: str = "holm",
    error_rate: float = ERROR_RATE,
) -> ProductChangeImpact:
    """Rate or score metrics before and after product changes, each against a comparison.

    For each release, the before-window ``[released - d, released)`` and the after-window
    ``[released, released + d)`` have the same length ``d``: ``days``, or the days observed
    after the release by ``as_of`` when fewer (then with fewer than ``min_days`` there is no
    verdict). Each segment's change is compared with the change over the same windows a year
    earlier (``comparison="year_earlier"``), or with the change among the accounts the release
    did not reach (``comparison=`` a `Segment`; rows whose segment shares accounts with it get
    no verdict). The difference in differences has an adjusted-Wald interval and test
    (`stats.proportion_contrast_test`, `stats.nps_contrast_test`); the tests of every release,
    metric and segment are corrected together (``correction``, at ``error_rate``). A row is a
    **drop** when the metric moved the wrong way against its comparison and the corrected test
    calls it significant.

    Args:
        data: the data set.
        change: a product change, its id, or a list of them (default: the latest released
            before ``as_of``).
        metric: a rate or score metric id, or a list of them (default: customer_advocacy_rate).
        days: the length of each window, in days.
        segments: the segments, e.g. ``Segment.by("tier")`` (default: the whole).
        comparison: ``"year_earlier"``, or the segment of accounts the changes did not reach.
        min_days: the fewest observed days after a release that give a verdict.
        basis: revenue basis, for revenue-weighted rates (which get no test).
        params: the metrics' parameters, by metric id (or one mapping for a single metric).
        confidence: the level of the intervals.
        correction: ``"holm"`` (family-wise error rate) or ``"benjamini-hochberg"`` (false
            discovery rate).
        error_rate: the error rate verdicts are made at.

    Returns:
        The `ProductChangeImpact`: per release, metric and segment the four results (n per side),
        the difference in differences with its interval, raw and adjusted p-values, the verdict.

    Raises:
        ParameterError: an unknown change, a metric that is not a rate or score, a bad ``days``,
            ``min_days``, ``comparison``, ``correction`` or ``error_rate``.
        SegmentNotApplicableError: a segment names an attribute the metric's records lack.

    Examples:
        >>> from advocacy_kpis import sample
        >>> impact = product_change_impact(sample.tiny(), metric="customer_retention_rate", days=30)
        >>> impact.after.start == impact.change.released_at, impact.before.end == impact.after.start
        (True, True)
        >>> impact.correction.method, impact.rows[0].comparison
        ('holm', 'year_earlier')
    """
    from advocacy_kpis.scorecard import scorecard

    function = "product_change_impact"
    method, rate = check_correction(correction, error_rate, function)
    changes = _find(data, change)
    ids = _metrics(metric)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 3660:
        raise ParameterError("days", function, "a whole number of days from 1 to 3660", days)
    if isinstance(min_days, bool) or not isinstance(min_days, int) or not 0 < min_days <= days:
        raise ParameterError(
            "min_days", function, f"a whole number of days from 1 to days ({days})", min_days
        )
    if comparison != YEAR_EARLIER and not isinstance(comparison, Segment):
        raise ParameterError(
            "comparison",
            function,
            "'year_earlier' or the Segment of accounts the change did not reach",
            comparison,
        )
    if params is not None and len(ids) == 1 and not all(isinstance(v, Mapping) for v in params.values()):
        params = {ids[0]: dict(params)}
    requested = list(dict.fromkeys(_resolved([Segment.all()] if segments is None else segments, data)))
    releases = [_windows(data, c, days, min_days, comparison) for c in changes]
    windows: list[Window] = []
    for release in releases:
        windows += [release.before, release.after]
        if release.control_before is not None and release.control_after is not None:
            windows += [release.control_before, release.control_after]
    extra = [comparison] if isinstance(comparison, Segment) and comparison not in requested else []
    card = scorecard(
        data, metrics=ids, windows=list(dict.fromkeys(windows)), segments=[*requested, *extra],
        basis=basis, weight_rates=basis is not None, params=dict(params or {}),
    )  # fmt: skip
    unreached = data.segment_accounts(comparison) if isinstance(comparison, Segment) else frozenset()
    rows: list[ImpactRow] = []
    for release in releases:
        for metric_id in ids:
            for segment in requested:
                rows.append(_row(card, release, metric_id, segment, comparison, unreached, data, confidence))
    p_values = [r.test.p_value for r in rows if r.test is not None]
    family = (
        f"{len(changes)} release{'s' if len(changes) != 1 else ''} × {len(ids)} metric{'s' if len(ids) != 1 else ''}"
        f" × {len(requested)} segment{'s' if len(requested) != 1 else ''}"
    )
    fix = Correction(method, rate, len(p_values), family)
    adjusted = iter(fix.adjust(p_values))
    judged = []
    for row in rows:
        if row.test is None:
            judged.append(row)
            continue
        value = next(adjusted)
        judged.append(attrs.evolve(row, adjusted_p=value, significant=value < rate))
    return ProductChangeImpact(tuple(releases), tuple(ids), days, comparison, tuple(judged), fix)


def _as_list(segments: Any) -> list[Any]:
    if isinstance(segments, (Segment, SegmentsBy)):
        return [segments]
    return list(segments)


def _resolved(segments: Any, data: AdvocacyData) -> list[Segment]:
    out: list[Segment] = []
    for item in _as_list(segments):
        out += item.resolve(data) if isinstance(item, SegmentsBy) else [item]
    return out


def _row(
    card: Any,
    release: ReleaseWindows,
    metric: str,
    segment: Segment,
    comparison: str | Segment,
    unreached: frozenset[str],
    data: AdvocacyData,
    confidence: float,
) -> ImpactRow:
    before, after = card.get(metric, release.before, segment), card.get(metric, release.after, segment)
    if isinstance(comparison, Segment):
        kind = "unreached"
        control_before = card.get(metric, release.before, comparison)
        control_after = card.get(metric, release.after, comparison)
    else:
        kind = YEAR_EARLIER
        assert release.control_before is not None and release.control_after is not None
        control_before = card.get(metric, release.control_before, segment)
        control_after = card.get(metric, release.control_after, segment)
    if release.note is not None:
        return ImpactRow(release.change, metric, segment, before, after, kind, control_before, control_after,
                         None, note=release.note)  # fmt: skip
    if isinstance(comparison, Segment) and data.segment_accounts(segment) & unreached:
        return ImpactRow(
            release.change, metric, segment, before, after, "none", None, None, None,
            note="the segment shares accounts with the comparison group, so no comparison exists for it",
        )  # fmt: skip
    test, reason = _contrast([before, after, control_before, control_after], confidence)
    if (
        test is None
        and kind == YEAR_EARLIER
        and before.value is not None
        and after.value is not None
        and (control_before.value is None or control_after.value is None)
    ):
        reason = f"no comparison exists: a year before the release {reason}"
        kind = "none"
    return ImpactRow(release.change, metric, segment, before, after, kind, control_before, control_after, test,
                     note=reason)  # fmt: skip
