"""`Metric`: a metric declared once, from its catalogue entry and the blocks it is computed from.

A declaration names the metric's spec (everything the catalogue says, its parameters with their
defaults and checks included), the building blocks whose tallies it reads
(`advocacy_kpis.blocks`) and its finish: the catalogue formula on one cell's tallies. From it
come the metric's parameters and their checks, its docstring sections (formula, arguments,
undefined when), its docs page, ``explain`` and the command line's ``--param`` names.

A single call (``metrics.net_promoter_score(data, window=q3)``) is a grid of one cell computed
by the same code as a scorecard, so a cell and a single call cannot disagree. On
`advocacy_kpis.engines.Tables` the blocks compute their tallies where the tables live and the
same finish turns them into results.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.blocks import Block, Cell, Context, DataSource, Records, check_args, merge
from advocacy_kpis.catalog import BasisUse, MetricSpec, SegmentUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError, UnknownMetricError
from advocacy_kpis.grid import Grid
from advocacy_kpis.result import MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = ["Metric", "Tally", "context", "definition"]

S = TypeVar("S")
F = TypeVar("F", bound=Callable[..., MetricResult])

Finish = Callable[[Cell, "Tally"], MetricResult]

SCOPE: Final = ("data", "window", "segment", "basis")
"""The arguments every metric function takes besides its own parameters."""


class Tally:
    """One cell's tallies: the state of each block the metric reads.

    Examples:
        >>> from advocacy_kpis.blocks import Cohorts
        >>> everyone = Cohorts()
        >>> tally = Tally({everyone: everyone.state(start=3)})
        >>> tally[everyone].start
        3
    """

    __slots__ = ("_states",)

    def __init__(self, states: Mapping[Block[Any], Any]) -> None:
        self._states = dict(states)

    def __getitem__(self, block: Block[S]) -> S:
        state: S = self._states[block]
        return state

    def merge(self, other: Tally) -> Tally:
        """The tally of the union of two parts of the records (see `advocacy_kpis.blocks.merge`)."""
        return Tally({block: merge(state, other[block]) for block, state in self._states.items()})

    def states(self) -> Iterator[tuple[Block[Any], Any]]:
        """Each block with its state."""
        return iter(self._states.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and self._states == other._states

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Tally({list(self._states.values())!r})"


def context(data: AdvocacyData | Tables, grid: Grid) -> Context:
    """The context that computes blocks' tallies over ``grid`` on ``data``, records or tables."""
    if isinstance(data, AdvocacyData):
        return Records(data, grid)
    from advocacy_kpis.engines import Tables

    if isinstance(data, Tables):
        return data.engine.context(grid)
    raise ParameterError("data", "metrics", "an AdvocacyData or engines.Tables", type(data).__name__)


def source_of(data: AdvocacyData | Tables) -> DataSource:
    """What finishes and checks read of ``data``."""
    if isinstance(data, AdvocacyData):
        return data
    from advocacy_kpis.engines import Tables

    if isinstance(data, Tables):
        return data.engine
    raise ParameterError("data", "metrics", "an AdvocacyData or engines.Tables", type(data).__name__)


def _blocks(value: Iterable[Block[Any]]) -> tuple[Block[Any], ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class Metric:
    """A metric: its catalogue entry, the blocks it is computed from and its finish.

    Attributes:
        spec: the catalogue entry, parameters (with defaults and checks) included.
        blocks: the building blocks whose tallies the finish reads.
        finish: one cell's tallies to its result (the catalogue formula, interval, warnings).
        needs: the collections it reads; where one was never supplied, every cell is
            undefined, saying so.
        on_records: for metrics whose records join segments on their own attributes, the
            record kind whose attributes a segment may read.
        run_rate: whether a basis must be ARR or MRR.
    """

    spec: MetricSpec
    blocks: tuple[Block[Any], ...] = attrs.field(converter=_blocks)
    finish: Finish
    needs: tuple[str, ...] = ()
    on_records: type | None = None
    run_rate: bool = False

    @property
    def id(self) -> str:
        """The metric id."""
        return self.spec.id

    # -- parameters -----------------------------------------------------------------------------

    def default(self, name: str) -> Any:
        """The default of one of the metric's parameters (as the function's signature shows it)."""
        for parameter in self.spec.parameters:
            if parameter.name == name:
                return parameter.default
        raise ParameterError("name", f"{self.id}.default", "one of the metric's parameters", name)

    def defaults(self) -> dict[str, Any]:
        """The metric's parameters and their defaults."""
        return {p.name: p.default for p in self.spec.parameters}

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
        for parameter in self.spec.parameters:
            if parameter.check is not None:
                chosen[parameter.name] = parameter.check(chosen[parameter.name], self.id)
        return chosen

    # -- scope ----------------------------------------------------------------------------------

    def not_supplied(self, source: DataSource) -> list[str]:
        """The collections the metric reads that ``source`` was not given."""
        return [name for name in self.needs if not source.is_supplied(name)]

    def check_scope(
        self,
        source: DataSource,
        windows: Sequence[Window],
        segments: Sequence[Segment | None],
        basis: RevenueBasis | None,
    ) -> list[Segment]:
        """Check the windows, segments and basis against the spec; return the segments.

        A segment is not checked against the attributes of a collection the data was not given:
        every cell is then undefined for that reason, on records and tables alike.
        """
        for window in windows:
            check_args(self.spec, source, window, Segment.all(), basis, run_rate=self.run_rate)
        check_segment = not self.not_supplied(source)
        return [
            check_args(
                self.spec, source, windows[0], segment, basis,
                run_rate=self.run_rate, on_records=self.on_records, check_segment=check_segment,
            )
            for segment in segments
        ]  # fmt: skip

    # -- computing ------------------------------------------------------------------------------

    def tallies(self, context: Context, basis: RevenueBasis | None, params: Mapping[str, Any]) -> list[Tally]:
        """Every cell's tallies over the context's grid (parameters already checked by `prepare`)."""
        per_block = [(block, context.tallies(block, basis, params)) for block in self.blocks]
        return [Tally({block: states[c] for block, states in per_block}) for c in range(context.grid.n_cells)]

    def cell(
        self, context: Context, w: int, s: int, basis: RevenueBasis | None, params: Mapping[str, Any]
    ) -> Cell:
        """The scope of one cell, as its finish reads it."""
        grid = context.grid
        return Cell(
            self.spec, context.source, grid.windows[w], grid.segments[s], basis, params, self.on_records
        )

    def results(
        self, context: Context, basis: RevenueBasis | None, params: Mapping[str, Any]
    ) -> list[MetricResult]:
        """Every cell's result, in cell order (parameters already checked by `prepare`)."""
        source = context.source
        missing = self.not_supplied(source)
        tallies = [] if missing else self.tallies(context, basis, params)
        out: list[MetricResult] = []
        for c, w, s in context.grid.cells():
            scope = self.cell(context, w, s, basis, params)
            unknown = _unknown_reason(scope, missing)
            if unknown is not None:
                out.append(scope.build(value=None, undefined_reason=unknown, small_sample=False))
            else:
                out.append(self.finish(scope, tallies[c]))
        return out

    def one(
        self,
        data: AdvocacyData | Tables,
        *,
        window: Window,
        segment: Segment | None,
        basis: RevenueBasis | None = None,
        **params: Any,
    ) -> MetricResult:
        """The result of one cell: the single-call form of the metric."""
        source = source_of(data)
        chosen = self.check_scope(source, [window], [segment], basis)
        grid = Grid([window], chosen)
        return self.results(context(data, grid), basis, self.prepare(params))[0]

    # -- the public function ----------------------------------------------------------------------

    def function(self, fn: F) -> F:
        """Register ``fn`` as this metric's public function, its docstring completed from the spec.

        ``fn`` keeps its own signature (every parameter visible to ``help()``, IDEs and type
        checkers), one-line summary and examples. Its keyword parameters must be exactly the spec's,
        with the spec's defaults. A call with arguments the signature does not take (the window
        given positionally, a basis the metric does not take) raises `ParameterError` naming
        them, as every other bad argument does.
        """
        spec = self.spec
        signature = inspect.signature(fn)
        _check_signature(spec, signature, fn.__name__)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> MetricResult:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                raise _binding_error(spec.id, signature, args, kwargs) from None
            return fn(*bound.args, **bound.kwargs)

        call.__doc__ = document(spec, fn.__doc__ or "", signature)
        catalog.metric(spec, self)(call)
        made: F = call  # type: ignore[assignment]
        return made


def _unknown_reason(scope: Cell, missing: Sequence[str]) -> str | None:
    if scope.window.start >= scope.source.as_of:
        return (
            f"nothing in the window is known yet: it starts at or after as_of "
            f"({scope.source.as_of.isoformat()})"
        )
    if missing:
        names = " and ".join(name.replace("_", " ") for name in missing)
        return f"no {names} were supplied, so this metric cannot be computed"
    return None


def _own_parameters(signature: inspect.Signature) -> dict[str, inspect.Parameter]:
    return {
        name: p
        for name, p in signature.parameters.items()
        if name not in SCOPE and p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _check_signature(spec: MetricSpec, signature: inspect.Signature, name: str) -> None:
    """Refuse a function whose name or parameters drift from the spec (at import, not in use)."""
    if name != spec.id:
        raise ParameterError("function", "Metric.function", f"a function named {spec.id!r}", name)
    own = _own_parameters(signature)
    declared = {p.name: p.default for p in spec.parameters}
    shown = {n: p.default for n, p in own.items()}
    if shown != declared:
        raise ParameterError("signature", spec.id, f"the spec's parameters and defaults {declared}", shown)
    takes_basis = "basis" in signature.parameters
    if takes_basis != (spec.basis is not BasisUse.NONE):
        raise ParameterError(
            "signature", spec.id, f"a basis parameter exactly when basis is {spec.basis}", name
        )


def _binding_error(
    metric_id: str, signature: inspect.Signature, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> ParameterError:
    names = list(signature.parameters)
    own = ", ".join(n for n in names if n != "data")
    for key, value in kwargs.items():
        if key not in signature.parameters:
            return ParameterError(key, metric_id, f"one of its parameters ({own})", value)
    if len(args) > 1:
        return ParameterError(
            "window", metric_id, f"keyword arguments after the data: {metric_id}(data, window=...)", args[1]
        )
    if not args and "data" not in kwargs:
        return ParameterError("data", metric_id, "a data set (an AdvocacyData or engines.Tables)", None)
    return ParameterError("window", metric_id, "a Window such as Window.quarter(2026, 3) (required)", None)


# -- docstrings from the spec --------------------------------------------------------------------

_UNITS: Final[Mapping[Unit, str]] = {
    Unit.RATE: "a rate in [0, 1]",
    Unit.SCORE: "a score on the metric's scale",
    Unit.RATIO: "a ratio",
    Unit.COUNT: "a count",
    Unit.MONEY: "an amount of money (Decimal) in the basis currency",
    Unit.DAYS: "a number of days",
    Unit.PER_MONTH: "a number per month",
}


def _indent(text: str, prefix: str = "        ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _segment_text(spec: MetricSpec) -> str:
    if spec.segment is SegmentUse.NONE:
        return "must be the whole (``None`` or ``Segment.all()``): this metric cannot be segmented."
    if spec.segment is SegmentUse.RECORD_ATTRIBUTES:
        return "matched on the records' own attributes (default: all)."
    return "the accounts whose records count (default: all)."


def _basis_text(spec: MetricSpec) -> str:
    if spec.basis is BasisUse.OPTIONAL:
        return "optional ARR or MRR basis; given, the rate is weighted by revenue (see the spec)."
    if spec.basis is BasisUse.CURRENCY:
        return "required; its currency (with FX rates) is the one amounts are stated in."
    return "required: the revenue basis (kind and currency) money is stated on."


def document(spec: MetricSpec, own: str, signature: inspect.Signature) -> str:
    """The metric function's docstring: its own summary and examples, the rest from the spec."""
    text = inspect.cleandoc(own)
    summary, _, rest = text.partition("\n\nExamples:")
    lines = [summary.strip(), ""]
    if spec.formula_latex:
        lines += [f".. math:: {spec.formula_latex}", ""]
    lines += ["Args:"]
    lines.append(
        "    data: the data set, or `advocacy_kpis.engines.Tables` (the tallies are then computed "
        "where the tables live)."
    )
    lines.append(f"    window: {spec.window_semantics}")
    lines.append(f"    segment: {_segment_text(spec)}")
    if "basis" in signature.parameters:
        lines.append(f"    basis: {_basis_text(spec)}")
    for parameter in spec.parameters:
        lines.append(f"    {parameter.name}: {parameter.description} (default {parameter.shown}).")
    lines += ["", "Returns:", f"    A `MetricResult` holding {_UNITS[spec.unit]}: {spec.population}"]
    lines += ["", "Raises:", "    ParameterError: an argument the metric does not take, or a bad value."]
    lines.append("    SegmentNotApplicableError: the segment names an attribute the records do not carry.")
    if spec.basis is not BasisUse.NONE:
        lines.append("    CurrencyMismatchError: an amount in a currency the basis has no FX rate for.")
    lines += ["", "Undefined when:", f"    {spec.undefined_when}"]
    if rest.strip():
        lines += ["", "Examples:" + rest]
    return "\n".join(lines) + "\n"


# -- the registered declarations -----------------------------------------------------------------


def definition(metric_id: str) -> Metric:
    """The declaration of a registered metric (an id or a short name such as ``"nps"``).

    Raises:
        UnknownMetricError: no metric has that id.
    """
    found = catalog.declaration(metric_id)
    if not isinstance(found, Metric):  # pragma: no cover - every metric is declared through Metric.function
        raise UnknownMetricError(f"{catalog.resolve(metric_id)!r} has no declaration")
    return found
