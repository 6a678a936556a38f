"""What every building block shares: the run a tally reads and the cell a finish reads.

A building block tallies one population over every cell of a `Grid` at once. It has two sides,
written side by side in its module: ``on_records`` reads `AdvocacyData` in Python (the reference
engine), ``on_tables`` computes the same state where `advocacy_kpis.engines.Tables` live. Both
return one state per cell (see `advocacy_kpis.blocks._state`); a metric's finish turns a cell's
states into its result, the same code on every engine.

A run's context (`Records` for the records, `TablesRun` for tables) keeps what the blocks of one
grid share: each block's tallies are computed once per grid, basis and parameters it reads, so
the metrics of a scorecard that read the same population read it once.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from advocacy_kpis.context import Context, DataSource, Run
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.grid import Grid
from advocacy_kpis.records import Account, SurveyKind, SurveyResponse
from advocacy_kpis.scope import BasisKind, RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["Block", "Context", "DataSource", "Records", "Run", "annual", "as_names", "on_basis"]

S = TypeVar("S")
R = TypeVar("R")
C = TypeVar("C", bound="Context")


class Block(Generic[S]):
    """A building block: a population and what is accumulated over it, on every engine.

    Subclasses are frozen attrs classes (so equal blocks share their tallies) that set `uses` to
    the parameters they read and `weighs` when a basis changes their state, and implement both
    sides.
    """

    uses: ClassVar[tuple[str, ...]] = ()
    """The metric parameters the block reads."""

    def weighs(self) -> bool:
        """Whether the run's basis changes the state (revenue weights or money sums)."""
        return False

    def key(self, basis: RevenueBasis | None, params: Mapping[str, Any]) -> Hashable:
        """What identifies this block's tallies on one grid."""
        return (self, basis if self.weighs() else None, tuple(params[name] for name in self.uses))

    def on_records(self, run: Run[Records]) -> list[S]:
        """One state per cell, from the records in Python."""
        raise NotImplementedError

    def on_tables(self, run: Run[TablesRun]) -> list[S]:
        """One state per cell, computed where the tables live."""
        raise NotImplementedError


def as_names(value: Iterable[str]) -> frozenset[str]:
    """A typed converter for attrs fields holding a set of names."""
    return frozenset(value)


# -- the records context ---------------------------------------------------------------------------


class Records:
    """A data set over a grid: the lookups the Python sides of the blocks share.

    Args:
        data: the data set.
        grid: the grid.
    """

    def __init__(self, data: AdvocacyData, grid: Grid) -> None:
        self.data = data
        self.grid = grid
        self._profiles: dict[str, int] | None = None
        self._segments: dict[str, tuple[int, ...]] | None = None
        self._cache: dict[Hashable, Any] = {}

    @property
    def source(self) -> AdvocacyData:
        """The data set, as finishes read it."""
        return self.data

    def tallies(self, block: Block[S], basis: RevenueBasis | None, params: Mapping[str, Any]) -> list[S]:
        """The block's states of every cell (computed on first use)."""
        key = ("block", block.key(basis, params))
        found = self._cache.get(key)
        if found is None:
            found = block.on_records(Run(self, basis, params))
            self._cache[key] = found
        states: list[S] = found
        return states

    def cached(self, key: Hashable, build: Callable[[], R]) -> R:
        """A value shared by the blocks of this grid (built on first use)."""
        if key not in self._cache:
            self._cache[key] = build()
        value: R = self._cache[key]
        return value

    # -- segments ---------------------------------------------------------------------------------

    def profiles(self) -> Mapping[str, int]:
        """Each account's attribute profile, by account id: accounts with one profile share their
        segments, so a tally counts by profile and spreads over segments once."""
        found = self._profiles
        if found is None:
            grid = self.grid
            values_of = self.data.account_values(grid.attributes)
            numbers = {values: grid.profile_of(values) for values in set(values_of.values())}
            found = self._profiles = {account_id: numbers[v] for account_id, v in values_of.items()}
        return found

    def segments(self) -> Mapping[str, tuple[int, ...]]:
        """The indices of the segments each account belongs to, by account id."""
        found = self._segments
        if found is None:
            profiles = self.profiles()
            of_profile = {p: self.grid.profile_segments(p) for p in set(profiles.values())}
            found = self._segments = {account_id: of_profile[p] for account_id, p in profiles.items()}
        return found

    def account_profile(self, account_id: str) -> int:
        """The attribute profile of an account: accounts with one profile share their segments."""
        return self.profiles()[account_id]

    def account_segments(self, account_id: str) -> tuple[int, ...]:
        """Indices of the segments the account belongs to."""
        return self.segments()[account_id]

    def record_profile(self, record: Any) -> int:
        """The attribute profile of a record: its account's, else its own attributes'."""
        account_id = getattr(record, "account_id", None)
        if account_id is not None:
            return self.profiles()[account_id]
        return self.own_profile(record)

    def own_profile(self, record: Any) -> int:
        """The attribute profile of a record's own ``attributes`` (never its account's)."""
        attributes = getattr(record, "attributes", None) or {}
        return self.grid.profile_of(tuple(attributes.get(name) for name in self.grid.attributes))

    # -- records ----------------------------------------------------------------------------------

    def records(self, kind: type[R]) -> Sequence[R]:
        """Records of ``kind`` stamped inside the grid's span (by `EVENT_TIME`), in time order.

        For tallies that depend on the order; an order-free tally reads the whole collection
        (`AdvocacyData.collection`) and keeps what falls in the span, with no sort.
        """
        timeline = self.data.timeline(kind)
        low = bisect.bisect_left(timeline.times, self.grid.start)
        high = bisect.bisect_left(timeline.times, self.grid.end)
        chosen: Sequence[R] = timeline.records[low:high]
        return chosen

    def surveys(self, kind: SurveyKind) -> Sequence[SurveyResponse]:
        """Every survey response of one kind, in the order given (a tally keeps those in the span)."""
        return self.data.surveys_of(kind)

    def account(self, account_id: str) -> Account:
        """The account with this id."""
        return self.data.account(account_id)


# -- money on a basis ------------------------------------------------------------------------------

_MONTHLY_STEP: Final = Decimal("1e-12")


def annual(basis: RevenueBasis) -> RevenueBasis:
    """The ARR basis of the same currency and FX rates as a run-rate basis.

    Sums of run rate are taken on it and turned into MRR once, by `on_basis`: dividing each
    account's ARR by 12 before adding would round every term, and a part could then exceed its
    whole.
    """
    if basis.kind is BasisKind.ARR:
        return basis
    return RevenueBasis(BasisKind.ARR, basis.currency, basis.fx_rates)


def on_basis(annual_amount: Decimal, basis: RevenueBasis) -> Decimal:
    """A sum of ARR stated on ``basis``: unchanged for ARR, divided by 12 for MRR.

    An inexact division is rounded once at 1e-12, as `AdvocacyData.contract_value` rounds.

    Examples:
        >>> on_basis(Decimal(1000), RevenueBasis.mrr("USD"))
        Decimal('83.333333333333')
        >>> on_basis(Decimal(24000), RevenueBasis.mrr("USD"))
        Decimal('2000')
    """
    if basis.kind is not BasisKind.MRR:
        return annual_amount
    monthly = annual_amount / 12
    exponent = monthly.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        monthly = monthly.quantize(_MONTHLY_STEP)
    return monthly
