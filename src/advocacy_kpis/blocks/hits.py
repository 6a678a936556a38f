"""Accounts with at least one event in the window, among a cohort set of that window.

`Hits` is the numerator of the account rates (participation, initiation, warm introductions,
advocacy, shares among ICPs, personalised outreach): the accounts of a population (active in W,
or any) with at least one record of its sources stamped in W, each counted once however many it
has, and with a basis weighed by its ARR at the instant that makes it a member.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual
from advocacy_kpis.blocks._state import ADD
from advocacy_kpis.blocks.cohorts import MEMBERS, AccountSet, accounts_in, members_of
from advocacy_kpis.blocks.events import env_of
from advocacy_kpis.data import COLLECTIONS, EVENT_TIME
from advocacy_kpis.expr import Expr

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["HitState", "Hits", "Source"]

POPULATIONS: Final = ("active", "any")


@attrs.frozen(eq=False)
class Source:
    """Where an account's events come from: a collection, the field stamping them, and a condition.

    Records with no account (an anonymous review, a request nobody filled) are never events.
    """

    collection: str
    time: str | None = None
    where: Expr | None = None

    @property
    def time_field(self) -> str:
        """The field that places an event in a window."""
        return self.time if self.time is not None else EVENT_TIME[COLLECTIONS[self.collection]]


def sources(value: Iterable[Source]) -> tuple[Source, ...]:
    """The sources of a block, as a tuple (an attrs converter)."""
    return tuple(value)


@attrs.define
class HitState:
    """The accounts of one cell's population with at least one event in the window.

    Attributes:
        hits: those accounts.
        weight: with a basis, their summed ARR (annual form) at the instant each is a member.
        outside: events in the window of accounts outside the population there.
    """

    hits: int = attrs.field(default=0, metadata=ADD)
    weight: Decimal = attrs.field(factory=Decimal, metadata=ADD)
    outside: int = attrs.field(default=0, metadata=ADD)


@attrs.frozen(eq=False)
class Hits(Block[HitState]):
    """Accounts of a population with an event in each window.

    Args:
        sources: where the events come from.
        population: ``"active"`` (a customer at some instant of W) or ``"any"``.
        only: only these accounts count.
        weigh: with a basis, weigh each hit by its ARR where `MEMBERS` says (active: its last
            instant in W as a customer).
    """

    sources: tuple[Source, ...] = attrs.field(converter=sources)
    population: str = "active"
    only: AccountSet | None = None
    weigh: bool = False
    state: ClassVar = HitState

    def weighs(self) -> bool:
        return self.weigh

    def on_records(self, run: Run[Records]) -> list[HitState]:
        grid, records = run.grid, run.context
        data = records.data
        accept = members_of(run, self.only)
        ns = grid.n_segments
        out = [HitState() for _ in range(grid.n_cells)]
        reading = annual(run.basis) if self.weigh and run.basis is not None else None
        active = self.population == "active"
        seen: set[tuple[str, int]] = set()
        for account_id, instant in self._events(run):
            segments = records.account_segments(account_id)
            if not segments:
                continue
            for w in grid.windows_at(instant):
                if (account_id, w) in seen:
                    continue
                if accept is not None and not accept(account_id):
                    continue
                account = data.account(account_id)
                at: datetime | None = grid.window_end(w)
                if active:
                    at = MEMBERS["active"](grid, account, w)
                if at is None:
                    for s in segments:
                        out[w * ns + s].outside += 1
                    continue
                seen.add((account_id, w))
                weight = data.arr_at(account_id, at, reading) if reading is not None else None
                for s in segments:
                    state_ = out[w * ns + s]
                    state_.hits += 1
                    if weight is not None:
                        state_.weight += weight
        return out

    def _events(self, run: Run[Records]) -> Iterator[tuple[str, datetime]]:
        records = run.context
        for source in self.sources:
            kind = COLLECTIONS[source.collection]
            time = source.time_field
            where = source.where.python(env_of(run, source.where)) if source.where is not None else None
            rows: Sequence[Any] = (
                records.records(kind) if time == EVENT_TIME[kind] else records.data.collection(kind)
            )
            start, end = run.grid.start, run.grid.end
            for record in rows:
                account_id = getattr(record, "account_id", None)
                instant = getattr(record, time)
                if account_id is None or instant is None or not start <= instant < end:
                    continue
                if where is None or where(record) is True:
                    yield account_id, instant

    def on_tables(self, run: Run[TablesRun]) -> list[HitState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        events = source_events(run, self.sources)
        spread = events.join(tables.cover(), on="_k", how="inner").select("_acc", "_w", "_js", "_je")
        members = spread.join(accounts_in(tables, self.only), on="_acc", how="inner")
        ps, pc, js, je = nw.col("_ps"), nw.col("_pc"), nw.col("_js"), nw.col("_je")
        active = self.population == "active"
        member = (ps <= je) & (pc > js)
        kept = members.filter(member) if active else members
        found = tables.distinct(kept, ["_acc", "_w", "_pc", "_je", *tables.attrs])
        hits = tables.window_counts(found)
        outside = tables.window_counts(members.filter(~member)) if active else None
        weights = None
        if self.weigh and run.basis is not None:
            last = (
                nw.when(pc <= je).then(nw.lit(None, dtype=nw.Int64())).otherwise(je)
                if self.population == "active"
                else je
            )
            weighed = found.with_columns(last.alias("_i"))
            at_bounds = weighed.filter(~nw.col("_i").is_null()).join(
                tables.rates_at_bounds(), on=["_acc", "_i"], how="inner"
            )
            at_churn = weighed.filter(nw.col("_i").is_null()).join(
                tables.rates_at_churn(), on="_acc", how="inner"
            )
            weights = tables.window_money([at_bounds, at_churn], annual(run.basis))
        return [
            HitState(
                hits=hits[c],
                weight=weights[c] if weights is not None else Decimal(0),
                outside=outside[c] if outside is not None else 0,
            )
            for c in range(grid.n_cells)
        ]


def source_events(run: Run[TablesRun], sources: tuple[Source, ...]) -> Any:
    """``_acc`` and stretch ``_k`` of every event of ``sources`` stamped in the grid's span, from
    the supplied collections (rows with no account are never events)."""
    tables = run.context
    nw = tables.nw
    env = tables.env(run.params)
    parts = []
    for source in sources:
        if not tables.has(source.collection):
            continue
        frame = tables.with_marks(tables.frame(source.collection), [source.where])
        table = tables.table(source.collection)
        if source.where is not None:
            frame = frame.filter(source.where.narwhals(table, env).fill_null(False))
        time = table.column(source.time_field)
        account = table.column("account_id")
        picked = frame.select(account.cast(nw.String()).alias("_acc"), time.alias("_t")).filter(
            ~nw.col("_acc").is_null()
        )
        parts.append(tables.in_grid(picked, "_t").select("_acc", "_k"))
    if not parts:
        return tables.accounts().head(0).select("_acc", nw.lit(0, dtype=nw.Int64()).alias("_k"))
    return parts[0] if len(parts) == 1 else nw.concat(parts, how="vertical")
