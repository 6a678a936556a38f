"""Times from an origin to an event, censored: the population of the time-to-event metrics.

`Durations` follows each subject whose clock starts in the window: an account (from an instant
of its own, to its first event of some sources at or after it, censored at its churn, else at
``as_of``), or a record (from one of its instants to another, censored at ``as_of``). A cell's
state is the list of observations ``(days, reached)`` the Kaplan-Meier finish reads
(`advocacy_kpis.blocks.measures.survival`).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run
from advocacy_kpis.blocks._state import ADD, CONCAT
from advocacy_kpis.blocks.events import env_of, from_micros
from advocacy_kpis.blocks.hits import Source, sources
from advocacy_kpis.blocks.measures import observation
from advocacy_kpis.data import COLLECTIONS, EVENT_TIME
from advocacy_kpis.expr import Expr
from advocacy_kpis.records import Account
from advocacy_kpis.scope import RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["ACCOUNT_ORIGINS", "AccountDurations", "DurationState", "RecordDurations"]

ACCOUNT_ORIGINS: Final = ("activation", "onboarded_at")
"""Where an account's clock may start: its activation (``activated_at``, else ``customer_since``)
or its onboarding."""


def origin_of(account: Account, origin: str) -> datetime | None:
    """An account's origin instant (see `ACCOUNT_ORIGINS`)."""
    if origin == "activation":
        return account.activated_at if account.activated_at is not None else account.customer_since
    found: datetime | None = getattr(account, origin)
    return found


@attrs.define
class DurationState:
    """The survival observations of one cell's subjects, and those in no segment on its attributes.

    Attributes:
        observations: ``(days, reached)`` per subject.
        outside: subjects in the window with no value for an attribute the segment reads.
    """

    observations: list[tuple[float, bool]] = attrs.field(factory=list, metadata=CONCAT)
    outside: int = attrs.field(default=0, metadata=ADD)


@attrs.frozen(eq=False)
class AccountDurations(Block[DurationState]):
    """Accounts whose ``origin`` is in the window, followed to their first event of ``sources``.

    Args:
        origin: one of `ACCOUNT_ORIGINS`.
        sources: the events; an account's event is the earliest of them at or after its origin.
    """

    origin: str
    sources: tuple[Source, ...] = attrs.field(converter=sources)
    state: ClassVar = DurationState

    def on_records(self, run: Run[Records]) -> list[DurationState]:
        grid, records = run.grid, run.context
        data = records.data
        firsts = [_first_index(run, source) for source in self.sources]
        out = [DurationState() for _ in range(grid.n_cells)]
        for account in data.accounts:
            origin = origin_of(account, self.origin)
            if origin is None:
                continue
            cells = grid.cells_at(origin, records.account_segments(account.id))
            if not cells:
                continue
            reached = [
                t for times in firsts if (t := _at_or_after(times.get(account.id), origin)) is not None
            ]
            censor = account.churned_at if account.churned_at is not None else data.as_of
            seen = observation(origin, min(reached) if reached else None, censor)
            for c in cells:
                out[c].observations.append(seen)
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[DurationState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        table = tables.table("accounts")
        if self.origin == "activation":
            origin = table.column("activated_at").fill_null(nw.col("customer_since"))
        else:
            origin = table.column(self.origin)
        cohort = tables.in_grid(
            tables.frame("accounts").select(
                nw.col("id").alias("_acc"), origin.alias("_o"), table.column("churned_at").alias("_c")
            ),
            "_o",
        )
        joined = tables.with_profile(cohort, "_acc")
        firsts: list[str] = []
        for i, source in enumerate(self.sources):
            if not tables.has(source.collection):
                continue
            events = tables.frame(source.collection)
            source_table = tables.table(source.collection)
            if source.where is not None:
                events = events.filter(
                    source.where.narwhals(source_table, tables.env(run.params)).fill_null(False)
                )
            times = events.select(
                source_table.column("account_id").alias("_acc"),
                source_table.column(source.time_field).alias("_t"),
            )
            first = (
                times.join(cohort.select("_acc", "_o"), on="_acc", how="inner")
                .filter(nw.col("_t") >= nw.col("_o"))
                .group_by("_acc")
                .agg(nw.col("_t").min().alias(f"_e{i}"))
            )
            joined = joined.join(first, on="_acc", how="left")
            firsts.append(f"_e{i}")
        out = [DurationState() for _ in range(grid.n_cells)]
        na = len(tables.attrs)
        as_of = tables.engine.as_of
        for row in tables.engine.rows(joined.select("_k", *tables.attrs, "_o", "_c", *firsts)):
            k, began, churned = int(row[0]), row[1 + na], row[2 + na]
            reached = [t for t in row[3 + na :] if t is not None]
            seen = observation(
                from_micros(began),
                from_micros(min(reached)) if reached else None,
                from_micros(churned) if churned is not None else as_of,
            )
            for w in grid.stretches[k]:
                for s in grid.profile_segments(tables.pid(row[1 : 1 + na])):
                    out[w * grid.n_segments + s].observations.append(seen)
        return out


def _first_index(run: Run[Records], source: Source) -> dict[str, list[datetime]]:
    """Per account, the sorted instants of its events from ``source`` (every one, not only in the grid)."""
    records = run.context

    def build() -> dict[str, list[datetime]]:
        kind = COLLECTIONS[source.collection]
        time = source.time_field
        where = source.where.python(env_of(run, source.where)) if source.where is not None else None
        grouped: dict[str, list[datetime]] = {}
        rows: Sequence[Any] = records.data.collection(kind)
        for record in rows:
            account_id = getattr(record, "account_id", None)
            instant = getattr(record, time)
            if account_id is None or instant is None or (where is not None and where(record) is not True):
                continue
            grouped.setdefault(account_id, []).append(instant)
        for times in grouped.values():
            times.sort()
        return grouped

    return records.cached(("event_times", source), build)


def _at_or_after(times: list[datetime] | None, origin: datetime) -> datetime | None:
    if not times:
        return None
    k = bisect.bisect_left(times, origin)
    return times[k] if k < len(times) else None


@attrs.frozen(eq=False)
class RecordDurations(Block[DurationState]):
    """Records stamped in the window, each followed from its instant to an event instant.

    Args:
        collection: the records.
        event: the instant of the event (missing: not reached), censored at ``as_of``.
        own: segments match the records' own attributes (counting those with no value for an
            attribute the segment reads in ``outside``), not their account's.
        uses: the metric parameters the expressions read.
        only_when: ``(parameter, value)``: the observations are gathered only when the metric's
            parameter has this value (an estimator that reads them), and are empty otherwise.
    """

    collection: str
    event: Expr
    own: bool = False
    uses: tuple[str, ...] = ()  # type: ignore[misc]
    only_when: tuple[str, object] | None = None
    state: ClassVar = DurationState

    def key(self, basis: RevenueBasis | None, params: Mapping[str, Any]) -> Hashable:
        wanted = self.only_when is None or params[self.only_when[0]] == self.only_when[1]
        return (self, wanted, tuple(params[name] for name in self.uses))

    def wanted(self, params: Mapping[str, Any]) -> bool:
        """Whether the metric's parameters ask for the observations."""
        return self.only_when is None or params[self.only_when[0]] == self.only_when[1]

    def on_records(self, run: Run[Records]) -> list[DurationState]:
        grid, records = run.grid, run.context
        if not self.wanted(run.params):
            return [DurationState() for _ in range(grid.n_cells)]
        kind = COLLECTIONS[self.collection]
        time = EVENT_TIME[kind]
        event = self.event.python(env_of(run, self.event))
        as_of = records.data.as_of
        profile_of = records.own_profile if self.own else records.record_profile
        out = [DurationState() for _ in range(grid.n_cells)]
        stamped: Sequence[Any] = records.records(kind)
        for record in stamped:
            instant: datetime = getattr(record, time)
            profile = profile_of(record)
            if self.own:
                for c in grid.cells_at(instant, grid.outside_segments(profile)):
                    out[c].outside += 1
            cells = grid.cells_at(instant, grid.profile_segments(profile))
            if not cells:
                continue
            seen = observation(instant, event(record), as_of)
            for c in cells:
                out[c].observations.append(seen)
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[DurationState]:
        tables = run.context
        grid = run.grid
        out = [DurationState() for _ in range(grid.n_cells)]
        if not self.wanted(run.params) or not tables.has(self.collection):
            return out
        table = tables.table(self.collection)
        time = EVENT_TIME[COLLECTIONS[self.collection]]
        frame = tables.with_marks(tables.frame(self.collection), [self.event])
        frame = frame.with_columns(
            table.column(time).alias("_o"), self.event.narwhals(table, tables.env(run.params)).alias("_ev")
        )
        frame = tables.with_record_profile(tables.in_grid(frame, "_o"), self.collection, self.own)
        na = len(tables.attrs)
        as_of = tables.engine.as_of
        for row in tables.engine.rows(frame.select("_k", *tables.attrs, "_o", "_ev")):
            k, began, event = int(row[0]), row[1 + na], row[2 + na]
            profile = tables.pid(row[1 : 1 + na])
            if self.own:
                for w in grid.stretches[k]:
                    for s in grid.outside_segments(profile):
                        out[w * grid.n_segments + s].outside += 1
            seen = observation(from_micros(began), from_micros(event) if event is not None else None, as_of)
            for w in grid.stretches[k]:
                for s in grid.profile_segments(profile):
                    out[w * grid.n_segments + s].observations.append(seen)
        return out
