"""Scorecards: many metrics over windows × segments, one pass over each record family.

`scorecard` builds one `Grid` for all the windows and segments asked for, runs every metric's
tally once over it and finishes each cell, so the cost follows the records, not the number of
cells. A `Scorecard` holds the results and reads them back as series, breakdowns, period-over-
period changes, tidy rows and DataFrames; `Scorecard.from_rows` rebuilds one from its rows.

`compute` is the one-metric entry point by id (aliases resolved), as used by the command line.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, overload

import attrs

from advocacy_kpis import catalog, display
from advocacy_kpis.blocks import Cell, Context, DataSource
from advocacy_kpis.catalog import BasisUse, SegmentUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import (
    ParameterError,
    PayloadError,
    SegmentNotApplicableError,
    shorten,
)
from advocacy_kpis.grid import Grid
from advocacy_kpis.payload import (
    JSON_SCHEMA_DIALECT,
    SCHEMA_VERSION,
    Kind,
    check_version,
    child,
    object_schema,
    read_object,
)
from advocacy_kpis.result import SMALL_SAMPLE, Change, Direction, MetricResult, Unit, json_safe
from advocacy_kpis.scope import RevenueBasis, Segment, SegmentsBy, Window
from advocacy_kpis.tally import Metric, context, definition, source_of

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = [
    "HEADLINE_METRICS",
    "BreakdownRow",
    "Changes",
    "Scorecard",
    "compute",
    "scorecard",
    "unit_label",
]

HEADLINE_METRICS = (
    "net_promoter_score",
    "customer_advocacy_rate",
    "referral_program_participation_rate",
    "client_referral_rate",
    "referral_conversion_rate",
    "revenue_from_referrals",
    "referral_campaign_roi",
    "customer_retention_rate",
    "net_revenue_retention",
    "reference_request_fill_rate",
    "time_to_first_referral",
)
"""The metrics of the seeds' focus areas that a headline scorecard shows (those registered)."""

_UNIT_LABELS = {
    "net_promoter_score": "NPS points",
    "referral_invitation_rate": "invitations per account",
    "referral_campaign_roi": "ROI, × cost",
}


def unit_label(metric_id: str, basis: RevenueBasis | None = None) -> str:
    """The unit a reader needs beside a value: ``%``, ``NPS points``, ``days``, ``USD``...

    Examples:
        >>> unit_label("customer_retention_rate"), unit_label("revenue_from_referrals", RevenueBasis.arr("EUR"))
        ('%', 'EUR ARR')
        >>> unit_label("advocate_influenced_pipeline", RevenueBasis.arr("EUR"))
        'EUR'

    """
    spec = catalog.get(metric_id)
    if spec.id in _UNIT_LABELS:
        return _UNIT_LABELS[spec.id]
    if spec.unit is Unit.MONEY:
        if basis is None:
            return "money"
        # A currency-only metric (opportunity amounts) is stated in the currency, not on a revenue kind.
        return (
            basis.currency
            if spec.basis is BasisUse.CURRENCY
            else f"{basis.currency} {basis.kind.value.upper()}"
        )
    return {
        Unit.RATE: "%",
        Unit.SCORE: "points",
        Unit.RATIO: "ratio",
        Unit.COUNT: "count",
        Unit.DAYS: "days",
        Unit.PER_MONTH: "per month",
    }[spec.unit]


def _resolve(metric_id: Any) -> str:
    if not isinstance(metric_id, str):
        raise ParameterError("metric", "scorecard", "a metric id such as 'net_promoter_score'", metric_id)
    resolve = getattr(catalog, "resolve", None)
    return resolve(metric_id) if resolve is not None else catalog.get(metric_id).id


def compute(
    metric_id: str,
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    **params: Any,
) -> MetricResult:
    """Compute one metric by its id, with only the arguments the metric takes.

    Args:
        metric_id: the catalogue id (or a common alias such as ``nps``).
        data: the data set, or `advocacy_kpis.engines.Tables` (computed where they live).
        window: the window.
        segment: the segment (default: all accounts).
        basis: the revenue basis, for metrics that take one.
        **params: the metric's own parameters (``horizon_days=60``, ``confidence=0.9``...).

    Raises:
        UnknownMetricError: no such metric.
        ParameterError: a basis or parameter the metric does not take.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> compute("net_promoter_score", tiny(), window=Window.quarter(2026, 3)).value
        25.0
    """
    chosen = _resolve(metric_id)
    spec = catalog.get(chosen)
    kwargs: dict[str, Any] = {"window": window}
    if segment is not None:
        kwargs["segment"] = segment
    if basis is not None:
        if spec.basis is BasisUse.NONE:
            raise ParameterError("basis", chosen, "omitted (this metric is not revenue-based)", basis.name)
        kwargs["basis"] = basis
    takes = [p.name for p in spec.parameters]
    for name, value in params.items():
        if name not in takes:
            raise ParameterError(name, chosen, f"one of its parameters ({', '.join(takes) or 'none'})", value)
        kwargs[name] = value
    return catalog.function(chosen)(data, **kwargs)


@attrs.frozen
class BreakdownRow:
    """One segment of a `Scorecard.breakdown`.

    Attributes:
        rank: 1 for the best value in the metric's direction; None when the segment is not
            ranked (undefined value, or a sample below the minimum).
        segment: the segment.
        result: its result.
        versus_whole: ``"above"`` or ``"below"`` when the segment's interval lies wholly above
            or below the whole's (a reliable difference), else None.
        note: why the segment is not ranked, where it is not.
    """

    rank: int | None
    segment: Segment
    result: MetricResult
    versus_whole: Literal["above", "below"] | None = None
    note: str | None = None


def _check_windows(windows: Any) -> list[Window]:
    if isinstance(windows, Window):
        return [windows]
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Iterable):
        raise ParameterError(
            "windows", "scorecard", "a list of Windows, e.g. Window.year(2026).split('month')", windows
        )
    chosen = list(windows)
    if not chosen:
        raise ParameterError("windows", "scorecard", "at least one Window", windows)
    for window in chosen:
        if not isinstance(window, Window):
            raise ParameterError("windows", "scorecard", "Window values", window)
    return list(dict.fromkeys(chosen))


def _check_segments(segments: Any, data: DataSource) -> list[Segment]:
    if segments is None:
        return [Segment.all()]
    if isinstance(segments, (Segment, SegmentsBy)):
        segments = [segments]
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Iterable):
        raise ParameterError("segments", "scorecard", "a list of Segments or Segment.by('tier')", segments)
    chosen: list[Segment] = []
    for item in segments:
        if isinstance(item, SegmentsBy):
            chosen.extend(item.resolve(data))
        elif isinstance(item, Segment):
            chosen.append(item)
        else:
            raise ParameterError("segments", "scorecard", "Segment values or Segment.by(...)", item)
    return list(dict.fromkeys(chosen))


def _params_for(definition_: Metric, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of one metric: shared ones it takes, then its own (``params[metric_id]``)."""
    takes = definition_.defaults()
    chosen = {k: v for k, v in params.items() if not isinstance(v, Mapping) and k in takes}
    own = params.get(definition_.id)
    if own is not None:
        if not isinstance(own, Mapping):
            raise ParameterError(definition_.id, "scorecard", "a mapping of that metric's parameters", own)
        chosen.update(own)
    return definition_.prepare(chosen)


def _param_names(params: Mapping[str, Any], ids: Sequence[str]) -> dict[str, Any]:
    """``params`` with each metric's own parameters under its id (``"nps"`` stands for
    ``net_promoter_score``). Refuses a parameter no chosen metric takes, and parameters for a
    metric not chosen: a misspelt name would otherwise leave every metric at its default, unsaid."""
    taken = {p.name for metric_id in ids for p in catalog.get(metric_id).parameters}
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Mapping):
            metric_id = _resolve(name)
            if metric_id not in ids:
                expected = f"a metric of the scorecard ({', '.join(ids)}) for its own parameters"
                raise ParameterError("params", "scorecard", expected, name)
            out[metric_id] = value
            continue
        if name not in taken:
            options = ", ".join(sorted(taken)) or "none"
            raise ParameterError(
                "params", "scorecard", f"names of parameters the metrics take ({options})", name
            )
        out[name] = value
    return out


def scorecard(
    data: AdvocacyData | Tables,
    *,
    metrics: Iterable[str] | None = None,
    windows: Window | Iterable[Window],
    segments: Segment | SegmentsBy | Iterable[Segment | SegmentsBy] | None = None,
    basis: RevenueBasis | None = None,
    weight_rates: bool = False,
    params: Mapping[str, Any] | None = None,
    engine: Literal["python", "narwhals"] | None = None,
) -> Scorecard:
    """Every metric over every window and segment, in one pass over each record family.

    Args:
        data: the data set.
        metrics: metric ids or aliases (default: every registered metric, in catalogue order).
        windows: the windows: a list, or ``Window.year(2026).split("month")``; overlapping
            windows (months with their quarters) are fine.
        segments: segments, or ``Segment.by("tier")`` (the whole plus one segment per value
            present), or ``Segment.by("tier", "region")`` (the whole plus every combination);
            default: the whole.
        basis: the revenue basis of the money metrics (required for them to have a value).
        weight_rates: also weight the account rates that take an optional basis by revenue
            (off by default, so a rate reads as a share of accounts).
        params: metric parameters: ``{"confidence": 0.9}`` applies to every metric taking it,
            ``{"referral_conversion_rate": {"horizon_days": 60}}`` to one metric. A name no
            chosen metric takes is refused, not ignored.
        engine: for ``data`` given as `advocacy_kpis.engines.Tables`: ``None`` or
            ``"narwhals"`` computes in the tables' own library, ``"python"`` on their records.

    Returns:
        The `Scorecard`. A cell the metric cannot give (a money metric without a basis, a
        segment its records cannot be cut by, a metric the tables' engine does not compute yet)
        holds an undefined result saying why.

    Raises:
        ParameterError: bad windows, segments, metrics or parameters: no metric, a metric id
            given as one string, a parameter no chosen metric takes, or own parameters for a
            metric that is not among ``metrics``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> card = scorecard(tiny(), metrics=["net_promoter_score", "customer_retention_rate"],
        ...                  windows=Window.year(2026).split("quarter"), segments=Segment.by("tier"))
        >>> card.get("net_promoter_score", Window.quarter(2026, 3)).value
        25.0
        >>> len(card.results) == 2 * 4 * len(card.segments)
        True
    """
    if engine is not None:
        from advocacy_kpis import engines

        data = engines.choose(data, engine)
    source = source_of(data)
    chosen_windows = _check_windows(windows)
    chosen_segments = _check_segments(segments, source)
    if basis is not None and not isinstance(basis, RevenueBasis):
        raise ParameterError("basis", "scorecard", "a RevenueBasis such as RevenueBasis.arr('USD')", basis)
    if params is not None and not isinstance(params, Mapping):
        raise ParameterError("params", "scorecard", "a mapping of parameter names to values", params)
    if isinstance(metrics, (str, bytes)) or (metrics is not None and not isinstance(metrics, Iterable)):
        raise ParameterError("metrics", "scorecard", "a list of metric ids, e.g. ['nps']", metrics)
    ids = [_resolve(m) for m in metrics] if metrics is not None else [s.id for s in catalog.all()]
    if not ids:
        raise ParameterError("metrics", "scorecard", "one or more metric ids (or None for every metric)", ids)
    ids = list(dict.fromkeys(ids))
    params = _param_names(params or {}, ids)
    contexts = _Contexts(data, Grid(chosen_windows, chosen_segments))
    results: dict[tuple[str, int, int], MetricResult] = {}
    for metric_id in ids:
        results.update(_run(definition(metric_id), contexts, basis, weight_rates, params or {}))
    return Scorecard(
        data=data, metrics=tuple(ids), windows=tuple(chosen_windows), segments=tuple(chosen_segments),
        basis=basis, cells=results,
    )  # fmt: skip


class _Contexts:
    """The scorecard's grid over its data, and the grids of fewer segments some metrics need, each
    with one context (so the metrics of a scorecard share their blocks' tallies)."""

    def __init__(self, data: AdvocacyData | Tables, grid: Grid) -> None:
        self.data = data
        self.grid = grid
        self._made: dict[tuple[int, ...], Context] = {}

    def of(self, segments: Sequence[int]) -> Context:
        key = tuple(segments)
        found = self._made.get(key)
        if found is None:
            grid = self.grid
            sub = grid if len(key) == grid.n_segments else Grid(grid.windows, [grid.segments[s] for s in key])
            found = self._made[key] = context(self.data, sub)
        return found


def _run(
    definition_: Metric,
    contexts: _Contexts,
    basis: RevenueBasis | None,
    weight_rates: bool,
    params: Mapping[str, Any],
) -> Iterator[tuple[tuple[str, int, int], MetricResult]]:
    spec = definition_.spec
    grid = contexts.grid
    source = source_of(contexts.data)
    prepared = _params_for(definition_, params)
    chosen_basis = basis if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) or (
        weight_rates and spec.basis is BasisUse.OPTIONAL) else None  # fmt: skip
    refused: dict[int, str] = {}
    usable: list[int] = []
    for s, segment in enumerate(grid.segments):
        reason = _refusal(definition_, source, grid.windows[0], segment, chosen_basis)
        if reason is None:
            usable.append(s)
        else:
            refused[s] = reason
    if usable:
        sub = contexts.of(usable)
        computed = definition_.results(sub, chosen_basis, prepared)
        for cell, w, s in sub.grid.cells():
            yield (spec.id, w, usable[s]), computed[cell]
    for s, reason in refused.items():
        for w, window in enumerate(grid.windows):
            scope = Cell(spec, source, window, grid.segments[s], chosen_basis, prepared)
            yield (spec.id, w, s), scope.build(value=None, undefined_reason=reason, small_sample=False)


def _refusal(
    definition_: Metric,
    source: DataSource,
    window: Window,
    segment: Segment,
    basis: RevenueBasis | None,
) -> str | None:
    """Why a metric cannot be computed for a segment with this basis, or None when it can."""
    spec = definition_.spec
    if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) and basis is None:
        return f"{_NEEDS_BASIS} (scorecard(..., basis=RevenueBasis.arr('USD')))"
    if spec.segment is SegmentUse.NONE and not segment.is_all:
        return _UNSEGMENTED
    try:
        definition_.check_scope(source, [window], [segment], basis)
    except SegmentNotApplicableError as error:
        return f"{_UNCUT} ({error})"
    except ParameterError as error:
        if basis is None or error.parameter != "basis":
            raise
        return f"{_WRONG_BASIS} {basis.name} ({error})"
    return None


_NEEDS_BASIS: Final = "this metric needs a revenue basis"
_UNSEGMENTED: Final = "this metric cannot be segmented"
_UNCUT: Final = "this metric's records cannot be cut by this segment"
_WRONG_BASIS: Final = "this metric cannot use the basis"
_NOT_APPLICABLE: Final = (_NEEDS_BASIS, _UNSEGMENTED, _UNCUT, _WRONG_BASIS)
"""How the reasons of the cells a metric cannot give start: a display shows them as ``n/a``."""


def _label(value: Any) -> str:
    return value.label if isinstance(value, Window) else str(value)


@attrs.frozen(eq=False)
class Scorecard:
    """The results of a `scorecard`: one per metric, window and segment.

    Attributes:
        data: the data set it was computed on; None for a scorecard rebuilt by `from_rows`.
        metrics: the metric ids, in the order asked.
        windows: the windows, in the order asked.
        segments: the segments, in the order asked (``Segment.by`` expanded).
        basis: the revenue basis, or None.
    """

    data: AdvocacyData | Tables | None
    metrics: tuple[str, ...]
    windows: tuple[Window, ...]
    segments: tuple[Segment, ...]
    basis: RevenueBasis | None
    _cells: Mapping[tuple[str, int, int], MetricResult] = attrs.field(alias="cells", repr=False)

    @property
    def results(self) -> tuple[MetricResult, ...]:
        """Every result: by metric, then window, then segment."""
        return tuple(
            self._cells[(m, w, s)]
            for m in self.metrics
            for w in range(len(self.windows))
            for s in range(len(self.segments))
        )

    def _window_index(self, window: Window) -> int:
        shown = ", ".join(w.label for w in self.windows)
        if not isinstance(window, Window):
            hint = (
                f" such as Window.parse({window!r})" if isinstance(window, str) and len(window) < 40 else ""
            )
            raise ParameterError(
                "window", "Scorecard", f"a Window{hint}, one of the scorecard's ({shown})", window
            )
        try:
            return self.windows.index(window)
        except ValueError:
            raise ParameterError(
                "window", "Scorecard", f"one of the scorecard's windows ({shown})", window.label
            ) from None

    def _segment_index(self, segment: Segment | None) -> int:
        chosen = Segment.all() if segment is None else segment
        if not isinstance(chosen, Segment):
            shown = ", ".join(s.name for s in self.segments)
            raise ParameterError(
                "segment", "Scorecard", f"a Segment, one of the scorecard's ({shown})", segment
            )
        try:
            return self.segments.index(chosen)
        except ValueError:
            shown = ", ".join(s.name for s in self.segments)
            raise ParameterError(
                "segment", "Scorecard", f"one of the scorecard's segments ({shown})", _label(chosen)
            ) from None

    def _metric(self, metric: str) -> str:
        chosen = _resolve(metric)
        if chosen not in self.metrics:
            raise ParameterError(
                "metric", "Scorecard", f"one of the scorecard's metrics ({', '.join(self.metrics)})", metric
            )
        return chosen

    def get(self, metric: str, window: Window, segment: Segment | None = None) -> MetricResult:
        """The result of one cell.

        Raises:
            ParameterError: a metric, window or segment that is not in the scorecard.
        """
        return self._cells[(self._metric(metric), self._window_index(window), self._segment_index(segment))]

    def series(self, metric: str, segment: Segment | None = None) -> list[MetricResult]:
        """One metric in one segment over the scorecard's windows, in time order."""
        chosen, s = self._metric(metric), self._segment_index(segment)
        order = sorted(range(len(self.windows)), key=lambda w: (self.windows[w].start, self.windows[w].end))
        return [self._cells[(chosen, w, s)] for w in order]

    def breakdown(self, metric: str, window: Window, *, min_sample: int = 30) -> list[BreakdownRow]:
        """The segments of one window ranked by the metric, best first in its direction.

        A segment whose interval lies wholly above (or below) the interval of the whole
        (``Segment.all()``, when the scorecard has it) is marked ``"above"`` (``"below"``): a
        difference the sample supports, not noise. Segments with an undefined value or fewer
        than ``min_sample`` units are listed last, unranked, with the reason.

        Raises:
            ParameterError: a metric or window not in the scorecard, or a bad ``min_sample``.
        """
        if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 0:
            raise ParameterError("min_sample", "Scorecard.breakdown", "a non-negative integer", min_sample)
        chosen, w = self._metric(metric), self._window_index(window)
        spec = catalog.get(chosen)
        whole = (
            self._cells.get((chosen, w, self.segments.index(Segment.all())))
            if Segment.all() in self.segments
            else None
        )
        ranked: list[tuple[float, int, MetricResult]] = []
        unranked: list[BreakdownRow] = []
        for s, segment in enumerate(self.segments):
            if segment.is_all:
                continue
            result = self._cells[(chosen, w, s)]
            if result.value is None:
                unranked.append(BreakdownRow(None, segment, result, note=result.undefined_reason))
            elif result.sample_size < min_sample:
                unranked.append(
                    BreakdownRow(None, segment, result, note=f"sample of {result.sample_size} < {min_sample}")
                )
            else:
                key = (
                    float(result.value) if spec.direction.value != "lower_is_better" else -float(result.value)
                )
                ranked.append((-key, s, result))
        ranked.sort(key=lambda item: (item[0], item[1]))
        rows = []
        for rank, (_, s, result) in enumerate(ranked, start=1):
            rows.append(BreakdownRow(rank, self.segments[s], result, _versus(result, whole)))
        return rows + unranked

    def changes(
        self,
        window: Window | None = None,
        previous: Window | None = None,
        *,
        metrics: str | Iterable[str] | None = None,
        segments: Segment | Iterable[Segment] | None = None,
        confidence: float = 0.95,
    ) -> Changes:
        """Every metric × segment change between two windows of the scorecard, in one table.

        Each change follows `MetricResult.change_from`, with the test suited to the metric; a
        change whose value is undefined in either window says why.

        Args:
            window: the later window (default: the latest window of the scorecard whose
                ``previous()`` window it also holds, or the latest window when ``previous`` is given).
            previous: the earlier window (default: ``window.previous()``): a year earlier, say,
                for a change year on year.
            metrics: a metric id or several (default: every metric of the scorecard).
            segments: a segment or several (default: every segment of the scorecard).
            confidence: the confidence level of the tests and their intervals.

        Returns:
            The `Changes`, by metric, then segment.

        Raises:
            ParameterError: a window, metric or segment that is not in the scorecard, no earlier
                window to compare with, or the same window twice.
            IncomparableResultsError: the two windows differ in length, calendar or alignment.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> quarters = Window.year(2026).split("quarter")[:3]
            >>> card = scorecard(tiny(), metrics=["customer_retention_rate"], windows=quarters)
            >>> moved = card.changes()
            >>> moved.previous_window.label, moved.current_window.label
            ('2026Q2', '2026Q3')
            >>> [(c.metric, c.segment.name, c.previous, c.current) for c in moved]
            [('customer_retention_rate', 'all', 1.0, 0.75)]
            >>> moved.get("retention").absolute
            -0.25
        """
        where = "Scorecard.changes"
        current, earlier = self._change_windows(window, previous, where)
        chosen = [
            self._metric(m) for m in ([metrics] if isinstance(metrics, str) else metrics or self.metrics)
        ]
        if isinstance(segments, Segment):
            segments = [segments]
        picked = [self.segments[self._segment_index(s)] for s in (segments or self.segments)]
        w, v = self.windows.index(current), self.windows.index(earlier)
        found = []
        for metric in dict.fromkeys(chosen):
            for segment in dict.fromkeys(picked):
                s = self.segments.index(segment)
                later, before = self._cells[(metric, w, s)], self._cells[(metric, v, s)]
                found.append(later.change_from(before, confidence=confidence))
        return Changes(self, earlier, current, tuple(found), confidence)

    def _change_windows(self, window: Any, previous: Any, where: str) -> tuple[Window, Window]:
        """The later and the earlier window of `changes`, checked."""
        for name, given in (("window", window), ("previous", previous)):
            if given is not None and not isinstance(given, Window):
                expected = "a Window of the scorecard (for one metric: metrics='net_promoter_score')"
                raise ParameterError(name, where, expected, given)
        by_time = sorted(self.windows, key=lambda w: (w.end, w.start), reverse=True)
        if window is None:
            window = next((w for w in by_time if previous is not None or w.previous() in self.windows), None)
            if window is None:
                shown = ", ".join(w.label for w in self.windows)
                raise ParameterError(
                    "window",
                    where,
                    f"a window whose previous() is in the scorecard ({shown}); or give both",
                    None,
                )
        self._window_index(window)
        earlier = window.previous() if previous is None else previous
        if earlier not in self.windows:
            shown = ", ".join(w.label for w in self.windows)
            raise ParameterError(
                "previous", where, f"one of the scorecard's windows ({shown})", earlier.label
            )
        if earlier == window:
            raise ParameterError("previous", where, f"a window other than {window.label}", earlier.label)
        return window, earlier

    def to_rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per cell (Decimals as text, instants in ISO 8601), which `from_rows` reads back.

        Each row has flat columns for tables (``metric``, ``window``, ``segment``, ``value``,
        ``interval_low``...), ``schema_version``, and ``result``: the cell's whole result as
        `MetricResult.to_dict` writes it. `rows_json_schema` describes a list of rows.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> card = scorecard(tiny(), metrics=["nps"], windows=[Window.quarter(2026, 3)])
            >>> row = card.to_rows()[0]
            >>> row["metric"], row["window"], row["segment"], row["value"], row["result"]["value"]
            ('net_promoter_score', '2026Q3', 'all', 25.0, 25.0)
        """
        return [_row(result) for result in self.results]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], *, basis: RevenueBasis | None = None) -> Scorecard:
        """The scorecard whose `to_rows` gave ``rows`` (also after a trip through JSON), with no data set.

        Metrics, windows and segments come in the order of their first row, and every cell is
        read back exactly (see `MetricResult.from_dict`). Each row's flat columns must agree
        with its result, so an edited copy is refused rather than half believed.

        Args:
            rows: the rows, as `to_rows` wrote them.
            basis: the scorecard's revenue basis. By default, the basis its cells carry; a
                scorecard whose metrics take no basis has none in its rows, so pass it to keep it.

        Raises:
            ParameterError: a ``basis`` that is no `RevenueBasis`.
            SchemaVersionError: a row of a schema version this release does not read.
            PayloadError: a malformed row, a cell given twice or missing from the grid of
                metrics × windows × segments, or cells on two bases; the message names the
                path (``$[3].result.value``), the value and what was expected.

        Examples:
            >>> import json
            >>> from advocacy_kpis.sample import tiny
            >>> card = scorecard(tiny(), metrics=["nps", "customer_retention_rate"],
            ...                  windows=Window.year(2026).split("quarter"), segments=Segment.by("tier"))
            >>> again = Scorecard.from_rows(json.loads(json.dumps(card.to_rows())))
            >>> again.results == card.results, again.segments == card.segments, again.data is None
            (True, True, True)
        """
        if basis is not None and not isinstance(basis, RevenueBasis):
            expected = "a RevenueBasis such as RevenueBasis.arr('USD'), or None"
            raise ParameterError("basis", "Scorecard.from_rows", expected, basis)
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            raise PayloadError("$", rows, "a list of rows as Scorecard.to_rows() writes them")
        results: list[MetricResult] = []
        cells: dict[tuple[str, Window, Segment], int] = {}
        for i, row in enumerate(rows):
            path = child("$", i)
            check_version(row, path)
            fields = read_object(row, path, _ROW_FIELDS, what="a row as Scorecard.to_rows() writes it")
            result = MetricResult.from_dict(fields["result"], path=child(path, "result"))
            _check_columns(row, _row(result), path)
            key = (result.metric, result.window, result.segment)
            if key in cells:
                expected = (
                    f"a cell not given before (row {cells[key]} has the same metric, window and segment)"
                )
                raise PayloadError(path, _cell_name(key), expected)
            cells[key] = i
            results.append(result)
        if not results:
            raise PayloadError("$", [], "at least one row")
        return cls._rebuilt(results, basis)

    @classmethod
    def _rebuilt(cls, results: list[MetricResult], basis: RevenueBasis | None) -> Scorecard:
        metrics = list(dict.fromkeys(r.metric for r in results))
        windows = list(dict.fromkeys(r.window for r in results))
        segments = list(dict.fromkeys(r.segment for r in results))
        bases = list(dict.fromkeys(r.basis for r in results if r.basis is not None))
        chosen = basis if basis is not None else (bases[0] if bases else None)
        for i, result in enumerate(results):
            if result.basis is not None and result.basis != chosen:
                expected = f"the scorecard's basis, {chosen.name if chosen else 'none'}, or null"
                raise PayloadError(f"$[{i}].result.basis", result.basis.name, expected)
        index = {(r.metric, r.window, r.segment): r for r in results}
        cells = {}
        for m in metrics:
            for w, window in enumerate(windows):
                for s, segment in enumerate(segments):
                    found = index.get((m, window, segment))
                    if found is None:
                        expected = "a row for every metric, window and segment of the scorecard"
                        raise PayloadError(
                            "$", _cell_name((m, window, segment)), f"{expected}: this one is missing"
                        )
                    cells[(m, w, s)] = found
        return cls(
            data=None, metrics=tuple(metrics), windows=tuple(windows), segments=tuple(segments),
            basis=chosen, cells=cells,
        )  # fmt: skip

    @staticmethod
    def rows_json_schema() -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of what `to_rows` writes and `from_rows` reads: a list of rows.

        Each row's ``result`` is a result as `MetricResult.json_schema` describes it.

        Examples:
            >>> schema = Scorecard.rows_json_schema()
            >>> schema["type"], schema["items"], schema["$defs"]["row"]["properties"]["result"]
            ('array', {'$ref': '#/$defs/row'}, {'$ref': '#/$defs/result'})
        """
        result = MetricResult.json_schema()
        definitions = result.pop("$defs")
        for key in ("$schema", "$id"):
            result.pop(key)
        return copy.deepcopy(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": f"urn:advocacy-kpis:scorecard-rows:{SCHEMA_VERSION}",
                "title": "Scorecard rows",
                "description": "One row per cell of a scorecard, as Scorecard.to_rows() writes them.",
                "type": "array",
                "items": {"$ref": "#/$defs/row"},
                "$defs": {**definitions, "result": result, "row": object_schema(_ROW_FIELDS)},
            }
        )

    def to_frame(self, kind: Literal["pandas", "polars"] = "pandas") -> Any:
        """The rows as a pandas or Polars DataFrame (needs the ``frames`` extra).

        ``value`` is a float column for plotting and sorting; ``value_text`` holds each value's
        exact text (money to the cent and beyond, as computed).

        Raises:
            MissingExtraError: narwhals or the asked library is not installed.
            ParameterError: an unknown ``kind``.
        """
        rows = self.to_rows()
        columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in _COLUMNS}
        columns["value_text"] = [None if v is None else str(v) for v in columns["value"]]
        return _frame(columns, ("value", "numerator", "denominator"), kind, "Scorecard.to_frame")

    def format(self, *, compact: bool = False) -> str:
        """The scorecard as text: a table per segment, a row per metric, a column per window.

        Each cell holds the value, in the unit its row names, and under it the interval and
        the sample size n. ``*`` marks a small sample; an undefined value reads ``undefined``
        (``n/a`` where the metric cannot be cut that way or needs a basis) with its reason in
        the table's notes, as does every other warning.

        Args:
            compact: one line per metric, named by its id, each cell its value alone (the
                command line's table).
        """
        return self._view(compact=compact).text()

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return (
            f"<Scorecard {len(self.metrics)} metrics × {len(self.windows)} windows × "
            f"{len(self.segments)} segments; windows {self.windows[0].label}..{self.windows[-1].label}; "
            f"basis {self.basis.name if self.basis else 'none'}>"
        )

    def _repr_html_(self) -> str:
        return self._view().html()

    def _view(self, *, compact: bool = False) -> display.View:
        tables = []
        for s, segment in enumerate(self.segments):
            notes = display.Footnotes()
            rows = []
            for metric in self.metrics:
                label = (
                    display.Cell(f"{metric} ({unit_label(metric, self.basis)})")
                    if compact
                    else display.Cell(
                        catalog.get(metric).name, (unit_label(metric, self.basis),), tone="label"
                    )
                )
                cells = [_cell(self._cells[(metric, w, s)], notes, compact) for w in range(len(self.windows))]
                rows.append((label, *cells))
            caption = "All accounts" if segment.is_all else f"Segment: {segment.name}"
            columns = ("metric", *(w.label for w in self.windows))
            tables.append(display.Table(columns, tuple(rows), caption, notes.notes))
        legend = _LEGEND if compact else f"{_LEGEND} {_intervals(self.results)}"
        if compact:
            return display.View("", parts=tuple(tables), legend=legend)
        basis = f"; money on {self.basis.name}" if self.basis else ""
        scope = (
            f"{display.counted(len(self.metrics), 'metric')} × {display.counted(len(self.windows), 'window')} × "
            f"{display.counted(len(self.segments), 'segment')}{basis}; "
            f"as of {self.results[0].as_of.date().isoformat()}"
        )
        return display.View("Scorecard", (scope,), tuple(tables), legend=legend)


_LEGEND: Final = (
    "'undefined' means there was nothing to measure (never shown as 0); 'n/a' means the metric cannot be "
    f"cut that way or needs a basis; the notes say why. * marks a sample under {SMALL_SAMPLE}: read the "
    "interval, not the point."
)


def _intervals(results: Iterable[MetricResult]) -> str:
    levels = sorted({r.interval.confidence for r in results if r.interval is not None})
    shown = " or ".join(f"{level:.0%}" for level in levels) or "95%"
    return f"Under each value: its {shown} interval [low, high] where one is defined, and its sample size n."


def _cell(result: MetricResult, notes: display.Footnotes, compact: bool = False) -> display.Cell:
    """A scorecard's cell: ``n/a`` (with the reason) for a metric that cannot give this cell."""
    refused = result.value is None and (result.undefined_reason or "").startswith(_NOT_APPLICABLE)
    return display.result_cell(result, notes, compact=compact, not_applicable=refused)


def _frame(columns: dict[str, list[Any]], numbers: Sequence[str], kind: str, where: str) -> Any:
    """Rows' columns as a DataFrame: ``numbers`` as floats, warnings joined with ``; ``."""
    for name in numbers:
        columns[name] = [None if v is None else float(v) for v in columns[name]]
    columns["warnings"] = ["; ".join(w) for w in columns["warnings"]]
    return display.frame(columns, kind, where)


@attrs.frozen(eq=False)
class Changes:
    """Every metric × segment change of a `Scorecard` between two of its windows (`Scorecard.changes`).

    It reads as a sequence of `Change` (by metric, then segment), each naming its metric,
    segment and windows; `to_rows` and `to_frame` give it as a table, and a notebook shows it
    with both values, their intervals and sample sizes, the change and its test.

    Attributes:
        scorecard: the scorecard the changes are read from.
        previous_window: the earlier window.
        current_window: the later window.
        changes: the changes, by metric, then segment.
        confidence: the confidence level of the tests.
    """

    scorecard: Scorecard = attrs.field(repr=False)
    previous_window: Window
    current_window: Window
    changes: tuple[Change, ...]
    confidence: float

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    @overload
    def __getitem__(self, index: int) -> Change: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Change, ...]: ...

    def __getitem__(self, index: int | slice) -> Change | tuple[Change, ...]:
        return self.changes[index]

    def get(self, metric: str, segment: Segment | None = None) -> Change:
        """The change of one metric in one segment (default: the whole).

        Raises:
            ParameterError: a metric or segment that is not in the table.
        """
        chosen, wanted = _resolve(metric), Segment.all() if segment is None else segment
        for change in self.changes:
            if change.metric == chosen and change.segment == wanted:
                return change
        shown = ", ".join(
            dict.fromkeys(f"{c.metric} in {c.segment.name if c.segment else 'all'}" for c in self)
        )
        raise ParameterError("metric", "Changes.get", f"a metric and segment of the table ({shown})", metric)

    def to_rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per change (Decimals as text, windows by their labels)."""
        return [_change_row(change) for change in self.changes]

    def to_frame(self, kind: Literal["pandas", "polars"] = "pandas") -> Any:
        """The rows as a pandas or Polars DataFrame (needs the ``frames`` extra).

        ``previous``, ``current``, ``absolute`` and the interval bounds are float columns;
        the rows keep their exact text.

        Raises:
            MissingExtraError: narwhals or the asked library is not installed.
            ParameterError: an unknown ``kind``.
        """
        rows = self.to_rows()
        columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in _CHANGE_COLUMNS}
        numbers = ("previous", "current", "absolute", "interval_low", "interval_high")
        return _frame(columns, numbers, kind, "Changes.to_frame")

    def format(self) -> str:
        """The table as text: a block per metric, a row per segment with both values, the change and its test."""
        return self._view().text()

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        metrics = len({c.metric for c in self.changes})
        segments = len({c.segment for c in self.changes})
        return (
            f"<Changes {self.previous_window.label}->{self.current_window.label}: "
            f"{display.counted(metrics, 'metric')} × {display.counted(segments, 'segment')}>"
        )

    def _repr_html_(self) -> str:
        return self._view().html()

    def _view(self) -> display.View:
        card = self.scorecard
        earlier, later = self.previous_window, self.current_window
        notes = display.Footnotes()
        rows: list[tuple[display.Cell, ...] | display.Heading] = []
        last = None
        for change in self.changes:
            metric, segment = change.metric or "", change.segment or Segment.all()
            if metric != last:
                rows.append(display.Heading(f"{catalog.get(metric).name} ({unit_label(metric, card.basis)})"))
                last = metric
            values = [_cell(card.get(metric, w, segment), notes) for w in (earlier, later)]
            moved, test = display.change_cells(change, notes, tone=_tone(change), warnings=False)
            label = display.Cell("All accounts" if segment.is_all else segment.name, tone="label")
            rows.append((label, *values, moved, test))
        columns = ("segment", earlier.label, later.label, "change", "test")
        table = display.Table(columns, tuple(rows), notes=notes.notes)
        basis = f"; money on {card.basis.name}" if card.basis else ""
        metrics = display.counted(len({c.metric for c in self}), "metric")
        scope = f"{metrics} × {display.counted(len({c.segment for c in self}), 'segment')}{basis}"
        legend = f"{display.change_legend(self.confidence)} {_LEGEND} {_intervals(card.results)}"
        return display.View(
            f"Changes from {earlier.label} to {later.label}", (scope,), (table,), legend=legend
        )


def _tone(change: Change) -> display.Tone:
    """``good`` or ``bad`` for a significant change, in its metric's direction."""
    if not change.significant or change.absolute is None or change.metric is None or change.absolute == 0:
        return "plain"
    direction = catalog.get(change.metric).direction
    if direction is Direction.TARGET_RANGE:
        return "plain"
    rose = change.absolute > 0
    return "good" if rose == (direction is Direction.HIGHER_IS_BETTER) else "bad"


_CHANGE_COLUMNS = (
    "metric", "segment", "unit", "basis", "previous_window", "current_window", "previous", "current",
    "absolute", "relative", "interval_low", "interval_high", "p_value", "significant", "method",
    "confidence", "reason", "warnings",
)  # fmt: skip


def _change_row(change: Change) -> dict[str, Any]:
    interval = change.interval
    return {
        "metric": change.metric,
        "segment": change.segment.name if change.segment is not None else None,
        "unit": change.unit.value if change.unit is not None else None,
        "basis": change.basis.name if change.basis is not None else None,
        "previous_window": change.previous_window.label if change.previous_window is not None else None,
        "current_window": change.current_window.label if change.current_window is not None else None,
        "previous": json_safe(change.previous),
        "current": json_safe(change.current),
        "absolute": json_safe(change.absolute),
        "relative": json_safe(change.relative),
        "interval_low": json_safe(interval.low) if interval else None,
        "interval_high": json_safe(interval.high) if interval else None,
        "p_value": json_safe(change.p_value),
        "significant": change.significant,
        "method": change.method,
        "confidence": change.confidence,
        "reason": change.reason,
        "warnings": list(change.warnings),
    }


_COLUMNS = (
    "metric", "unit", "window", "start", "end", "segment", "basis", "value", "interval_low",
    "interval_high", "numerator", "denominator", "sample_size", "undefined_reason", "warnings",
)  # fmt: skip


def _row(result: MetricResult) -> dict[str, Any]:
    interval = result.interval
    return {
        "metric": result.metric,
        "unit": result.unit.value,
        "window": result.window.label,
        "start": result.window.start.isoformat(),
        "end": result.window.end.isoformat(),
        "segment": result.segment.name,
        "basis": result.basis.name if result.basis else None,
        "value": json_safe(result.value),
        "interval_low": json_safe(interval.low) if interval else None,
        "interval_high": json_safe(interval.high) if interval else None,
        "numerator": json_safe(result.numerator),
        "denominator": json_safe(result.denominator),
        "sample_size": result.sample_size,
        "undefined_reason": result.undefined_reason,
        "warnings": list(result.warnings),
        "schema_version": SCHEMA_VERSION,
        "result": result.to_dict(),
    }


# The flat columns of a row are a view of its result: read for the schema, checked against the result.
_ROW_FIELDS: Final = {
    "metric": Kind.string(),
    "unit": Kind.choice(Unit),
    "window": Kind.string(),
    "start": Kind.instant(),
    "end": Kind.instant(),
    "segment": Kind.string(),
    "basis": Kind.string().or_null(),
    "value": Kind.exact().or_null(),
    "interval_low": Kind.number().or_null(),
    "interval_high": Kind.number().or_null(),
    "numerator": Kind.exact().or_null(),
    "denominator": Kind.exact().or_null(),
    "sample_size": Kind.integer(0),
    "undefined_reason": Kind.string().or_null(),
    "warnings": Kind.strings(),
    "schema_version": Kind.version(),
    "result": Kind(
        {"$ref": "#/$defs/result"}, lambda value, path: value, "a result as MetricResult.to_dict() writes it"
    ),
}


def _check_columns(row: Mapping[str, Any], expected: Mapping[str, Any], path: str) -> None:
    """Refuse flat columns that say other than the row's result (types included: 1 is not 1.0)."""
    for name in _COLUMNS:
        given = row[name]
        if given != expected[name] or type(given) is not type(expected[name]):
            wanted = f"{shorten(expected[name])}, as the row's result gives it"
            raise PayloadError(child(path, name), given, wanted)


def _cell_name(key: tuple[str, Window, Segment]) -> str:
    metric, window, segment = key
    return f"{metric} in {window.label} for {segment.name}"


def _versus(result: MetricResult, whole: MetricResult | None) -> Literal["above", "below"] | None:
    if whole is None or whole.interval is None or result.interval is None or result.unit is Unit.MONEY:
        return None
    if result.interval.low > whole.interval.high:
        return "above"
    if result.interval.high < whole.interval.low:
        return "below"
    return None
