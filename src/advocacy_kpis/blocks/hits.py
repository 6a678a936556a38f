"""Accounts with at least one event in the window, among a cohort set of that window.

`Hits` is the numerator of the account rates (participation, initiation, warm introductions,
advocacy, shares among ICPs, personalised outreach): the accounts of a population (active in W,
or any) with at least one record of its sources stamped in W, each counted once however many it
has, and with a basis weighed by its ARR at the instant that makes it a member.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual
from advocacy_kpis.blocks._expr import Expr
from advocacy_kpis.blocks._state import count, money, state
from advocacy_kpis.blocks.cohorts import MEMBERS, AccountSet, members_of
from advocacy_kpis.blocks.events import env_of
from advocacy_kpis.data import COLLECTIONS, EVENT_TIME

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


@state
class HitState:
    """The accounts of one cell's population with at least one event in the window.

    Attributes:
        hits: those accounts.
        weight: with a basis, their summed ARR (annual form) at the instant each is a member.
        outside: events in the window of accounts outside the population there.
    """

    hits: int = count()
    weight: Decimal = money()
    outside: int = count()


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

    sources: tuple[Source, ...] = attrs.field(converter=tuple)
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
            rows = records.records(kind) if time == EVENT_TIME[kind] else records.data.collection(kind)
            start, end = run.grid.start, run.grid.end
            for record in rows:
                account_id = getattr(record, "account_id", None)
                instant = getattr(record, time)
                if account_id is None or instant is None or not start <= instant < end:
                    continue
                if where is None or where(record) is True:
                    yield account_id, instant

    def on_tables(self, run: TablesRun) -> list[HitState]:
        return run.hits(self)
