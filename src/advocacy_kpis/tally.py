"""Tally and finish: how every metric is computed, for one cell or a whole grid.

Each metric is a `Definition`: a **tally** that reads the record family once and adds every
record to the accumulators of all the cells of a `Grid` it belongs to, and a **finish** that
turns one cell's tally into the `MetricResult` (formula, interval, warnings). A single call such
as ``metrics.net_promoter_score(data, window=q3)`` is a grid of one cell, computed by the same
two functions, so a scorecard cell and a single call cannot disagree.

A tally is plain data: a dict of counts and sums (which add), sets (which unite), lists of
observations (which concatenate) and `Latest` maps (which keep the later entry per key). Tallies
of two parts of a data set merge (`merge`) into the tally of the whole.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.catalog import MetricSpec
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.grid import Grid
from advocacy_kpis.result import MetricResult
from advocacy_kpis.scope import RevenueBasis, Segment, Window

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = ["Cell", "Definition", "Latest", "Run", "Tally", "definition", "merge"]

Tally = dict[str, Any]
"""One cell's accumulators, by name."""


class Latest(dict[Any, tuple[Any, ...]]):
    """Per key, the entry with the largest sort key (its first element); merges keep the larger.

    Used for "the latest answer per respondent": the entry is ``(sort key, payload...)``.
    """

    def offer(self, key: Any, entry: tuple[Any, ...]) -> None:
        """Keep ``entry`` for ``key`` when it sorts after the one held (or none is held)."""
        held = self.get(key)
        if held is None or entry[0] > held[0]:
            self[key] = entry


def merge(first: Tally, second: Tally) -> Tally:
    """The tally of the union of two disjoint parts of the records.

    Counts and sums add, sets unite, lists concatenate, `Latest` maps keep the later entry
    per key and nested dicts merge key by key.

    Examples:
        >>> merge({"n": 2, "ids": {"a"}}, {"n": 3, "ids": {"b"}}) == {"n": 5, "ids": {"a", "b"}}
        True
    """
    out: Tally = {}
    for name in first.keys() | second.keys():
        if name not in first:
            out[name] = second[name]
        elif name not in second:
            out[name] = first[name]
        else:
            out[name] = _merge_value(first[name], second[name], name)
    return out


def _merge_value(a: Any, b: Any, name: str) -> Any:
    if isinstance(a, Latest):
        merged = Latest(a)
        for key, entry in b.items():
            merged.offer(key, entry)
        return merged
    if isinstance(a, (set, frozenset)):
        return a | b
    if isinstance(a, list):
        return a + b
    if isinstance(a, dict):
        return merge(a, b)
    if isinstance(a, (int, float, Decimal)) and not isinstance(a, bool):
        return a + b
    if a == b:
        return a
    raise ParameterError("tally", "merge", "tallies of the same metric and parameters", name)


@attrs.frozen
class Run:
    """What a tally function reads: the grid, the basis and the checked parameters."""

    grid: Grid
    basis: RevenueBasis | None
    params: Mapping[str, Any]

    @property
    def data(self) -> AdvocacyData:
        """The data set."""
        return self.grid.data


@attrs.frozen
class Cell:
    """What a finish function reads besides the tally: one cell's scope."""

    spec: MetricSpec
    data: AdvocacyData
    window: Window
    segment: Segment
    basis: RevenueBasis | None
    params: Mapping[str, Any]
    on_records: type | None = None

    def build(self, **fields: Any) -> MetricResult:
        """A result for this cell (see `advocacy_kpis.metrics._common.build`).

        The result records the metric's parameters as used (not the confidence level, which
        changes no value), so results computed with other parameters never compare.
        """
        from advocacy_kpis.metrics._common import build

        fields.setdefault("basis", self.basis)
        fields.setdefault("on_records", self.on_records)
        fields.setdefault("parameters", {k: v for k, v in self.params.items() if k != "confidence"})
        return build(self.spec, self.data, window=self.window, segment=self.segment, **fields)


TallyFunction = Callable[[Run], Sequence[Tally]]
FinishFunction = Callable[[Cell, Tally], MetricResult]
Checker = Callable[[Any, str], Any]


@attrs.frozen
class Definition:
    """A metric as tally and finish.

    Attributes:
        spec: the catalogue entry.
        tally: one pass over the records, giving one tally per cell of the run's grid.
        finish: one cell's tally to its result.
        checks: per parameter, a function ``(value, metric_id) -> checked value`` raising
            `ParameterError`; the defaults come from the metric function's signature.
        on_records: for metrics whose records join a segment on their own attributes, the
            record kind whose attributes a segment may read.
        run_rate: whether a basis must be ARR or MRR.
        needs: the collections the metric reads; where one was never supplied, every cell is
            undefined with that reason.
    """

    spec: MetricSpec
    tally: TallyFunction
    finish: FinishFunction
    checks: Mapping[str, Checker] = attrs.field(factory=dict)
    on_records: type | None = None
    run_rate: bool = False
    needs: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The metric id."""
        return self.spec.id

    def defaults(self) -> dict[str, Any]:
        """The metric's parameters and their defaults, read from the metric function."""
        signature = inspect.signature(catalog.function(self.spec.id))
        return {
            name: p.default
            for name, p in signature.parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("window", "segment", "basis")
        }

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The full, checked parameters: defaults overridden by ``params``.

        Raises:
            ParameterError: an unknown parameter or a bad value.
        """
        defaults = self.defaults()
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            known = ", ".join(sorted(defaults)) or "none"
            raise ParameterError(unknown[0], self.id, f"one of its parameters ({known})", params[unknown[0]])
        chosen = {**defaults, **params}
        for name, check in self.checks.items():
            chosen[name] = check(chosen[name], self.id)
        return chosen

    def check_scope(
        self,
        data: AdvocacyData,
        windows: Sequence[Window],
        segments: Sequence[Segment | None],
        basis: RevenueBasis | None,
    ) -> list[Segment]:
        """Check the data set, windows, segments and basis against the spec; return the segments."""
        from advocacy_kpis.metrics._common import check_args

        for window in windows:
            check_args(self.spec, data, window, Segment.all(), basis, run_rate=self.run_rate)
        return [
            check_args(
                self.spec,
                data,
                windows[0],
                segment,
                basis,
                run_rate=self.run_rate,
                on_records=self.on_records,
            )
            for segment in segments
        ]

    def tallies(self, grid: Grid, basis: RevenueBasis | None, params: Mapping[str, Any]) -> Sequence[Tally]:
        """The tally of every cell of ``grid`` (parameters already checked by `prepare`).

        A data set whose records stay in tables (`advocacy_kpis.engines`) carries an engine that
        computes the same tallies there.
        """
        engine = getattr(grid.data, "engine", None)
        if engine is not None:
            found: Sequence[Tally] = engine.tallies(self, grid, basis, params)
            return found
        return self.tally(Run(grid, basis, params))

    def results(
        self, grid: Grid, basis: RevenueBasis | None, params: Mapping[str, Any]
    ) -> list[MetricResult]:
        """Every cell's result, in cell order (parameters already checked by `prepare`)."""
        missing = self._not_supplied(grid.data)
        tallies: Sequence[Tally] = () if missing else self.tallies(grid, basis, params)
        out: list[MetricResult] = []
        for cell, w, s in grid.cells():
            scope = Cell(
                self.spec, grid.data, grid.windows[w], grid.segments[s], basis, params, self.on_records
            )
            unknown = _unknown_reason(scope, missing)
            if unknown is not None:
                out.append(scope.build(value=None, undefined_reason=unknown, small_sample=False))
            else:
                out.append(self.finish(scope, tallies[cell]))
        return out

    def _not_supplied(self, data: AdvocacyData) -> list[str]:
        supplied = getattr(data, "supplied", None)
        if supplied is None:
            return []
        return [name for name in self.needs if name not in supplied]

    def one(
        self,
        data: AdvocacyData | Tables,
        *,
        window: Window,
        segment: Segment | None,
        basis: RevenueBasis | None = None,
        **params: Any,
    ) -> MetricResult:
        """The result of one cell: the single-call form of the metric.

        ``data`` may also be an `advocacy_kpis.engines.Tables`: the tally is then computed there.
        """
        records: AdvocacyData
        if isinstance(data, AdvocacyData):
            records = data
        else:
            from advocacy_kpis.engines import as_data

            records = as_data(data)
        chosen = self.check_scope(records, [window], [segment], basis)
        grid = Grid(records, [window], chosen)
        return self.results(grid, basis, self.prepare(params))[0]


def _unknown_reason(scope: Cell, missing: Sequence[str]) -> str | None:
    if scope.window.start >= scope.data.as_of:
        return (
            f"nothing in the window is known yet: it starts at or after as_of "
            f"({scope.data.as_of.isoformat()})"
        )
    if missing:
        names = " and ".join(name.replace("_", " ") for name in missing)
        return f"no {names} were supplied, so this metric cannot be computed"
    return None


_DEFINITIONS: dict[str, Definition] = {}


def register(definition_: Definition) -> Definition:
    """Add a definition to the registry the scorecard reads."""
    _DEFINITIONS[definition_.id] = definition_
    return definition_


def definition(metric_id: str) -> Definition:
    """The tally-and-finish definition of a registered metric.

    Raises:
        UnknownMetricError: no metric has that id.
    """
    spec = catalog.get(metric_id)
    import advocacy_kpis.metrics  # noqa: F401  (registers every definition)

    return _DEFINITIONS[spec.id]
