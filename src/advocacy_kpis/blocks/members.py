"""Members at an instant: the advocate pool at each window's end, the community at its bounds.

An advocate is in the pool at t when it enrolled before t, had not opted out before t, and its
account is a customer at t; a community member is one at t when it joined before t and had not
left before t (the catalogue's state at t). `Pool` also counts, with ``lookback`` set, the pool
members with an advocacy action of their own contact (or of their account, where the action names
no advocate) in the lookback before W.end.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run
from advocacy_kpis.blocks._state import ADD
from advocacy_kpis.blocks.hits import Source
from advocacy_kpis.data import COLLECTIONS

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["ADVOCACY_EVENTS", "Community", "CommunityState", "Pool", "PoolState"]

ADVOCACY_EVENTS: Final = (
    Source("referrals"),
    Source("actions"),
    Source("reviews"),
    Source("social_shares"),
    Source("reference_requests", time="filled_at"),
)
"""Every advocacy action of an account: a referral sent, an action completed (reference, case
study, speaking, community, ...), a review, a social share, and a reference request it filled
(at ``filled_at``: a filled request is a reference taken)."""


@attrs.define
class PoolState:
    """The advocate pool of one cell at W.end.

    Attributes:
        advocates: advocates in the pool.
        accounts: their distinct accounts.
        enrolled: advocates enrolled in W.
        opted_out: advocates who opted out in W.
        active: pool members with an action in the lookback (with ``lookback`` set).
    """

    advocates: int = attrs.field(default=0, metadata=ADD)
    accounts: int = attrs.field(default=0, metadata=ADD)
    enrolled: int = attrs.field(default=0, metadata=ADD)
    opted_out: int = attrs.field(default=0, metadata=ADD)
    active: int = attrs.field(default=0, metadata=ADD)


def pool_memberships(records: Records) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """Each advocate in the pool at the end of some window: account, advocate, windows.

    An advocate is in the pool at t when ``low < t <= high``, where ``low`` is the later of its
    enrolment and its account's ``customer_since`` and ``high`` the earlier of its opt-out and
    its account's churn; the windows are those whose end lies in that span (two binary searches).
    """
    grid, data = records.grid, records.data
    ends = sorted((window.end, w) for w, window in enumerate(grid.windows))
    instants = [end for end, _ in ends]
    for advocate in data.advocates:
        account = data.account(advocate.account_id)
        low = max(advocate.enrolled_at, account.customer_since)
        stops = [t for t in (advocate.opted_out_at, account.churned_at) if t is not None]
        first = bisect.bisect_right(instants, low)
        last = bisect.bisect_right(instants, min(stops)) if stops else len(instants)
        if first < last:
            yield advocate.account_id, advocate.id, tuple(w for _, w in ends[first:last])


def _any_in(times: Sequence[datetime], low: datetime, high: datetime) -> bool:
    k = bisect.bisect_left(times, low)
    return k < len(times) and times[k] < high


@attrs.frozen(eq=False)
class Pool(Block[PoolState]):
    """The advocate pool at each window's end, and with ``lookback`` its active members.

    Args:
        lookback: the parameter (days) of the span before W.end an action makes a member active;
            None counts no activity.
    """

    lookback: str | None = None
    state: ClassVar = PoolState

    @property
    def uses(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.lookback,) if self.lookback is not None else ()

    def on_records(self, run: Run[Records]) -> list[PoolState]:
        grid, records = run.grid, run.context
        data = records.data
        ns = grid.n_segments
        out = [PoolState() for _ in range(grid.n_cells)]
        lookback = timedelta(days=run.params[self.lookback]) if self.lookback is not None else None
        by_contact, by_account = self._activity(run, lookback) if lookback is not None else ({}, {})
        none: list[datetime] = []
        seen: set[tuple[str, int]] = set()
        for account_id, advocate_id, windows in pool_memberships(records):
            segments = records.account_segments(account_id)
            own = by_contact.get(f"{account_id}/{advocate_id}", none)
            shared = by_account.get(account_id, none)
            for w in windows:
                end = grid.window_end(w)
                acted = lookback is not None and (
                    _any_in(own, end - lookback, end) or _any_in(shared, end - lookback, end)
                )
                new_account = (account_id, w) not in seen
                seen.add((account_id, w))
                for s in segments:
                    cell = out[w * ns + s]
                    cell.advocates += 1
                    cell.accounts += new_account
                    cell.active += acted
        for advocate in data.advocates:
            segments = records.account_segments(advocate.account_id)
            for c in grid.cells_at(advocate.enrolled_at, segments):
                out[c].enrolled += 1
            if advocate.opted_out_at is not None:
                for c in grid.cells_at(advocate.opted_out_at, segments):
                    out[c].opted_out += 1
        return out

    def _activity(
        self, run: Run[Records], lookback: timedelta
    ) -> tuple[dict[str, list[datetime]], dict[str, list[datetime]]]:
        """Sorted instants of advocacy actions that can fall in some lookback: per named contact,
        and per account for the actions that name no advocate."""
        grid, data = run.grid, run.context.data
        low = min(window.end for window in grid.windows) - lookback
        by_contact: dict[str, list[datetime]] = {}
        by_account: dict[str, list[datetime]] = {}
        for source in ADVOCACY_EVENTS:
            time = source.time_field
            kind: type[Any] = COLLECTIONS[source.collection]
            for record in data.collection(kind):
                account_id = getattr(record, "account_id", None)
                instant = getattr(record, time)
                if account_id is None or instant is None or not low <= instant < grid.end:
                    continue
                advocate_id = getattr(record, "advocate_id", None)
                if advocate_id is None:
                    by_account.setdefault(account_id, []).append(instant)
                else:
                    by_contact.setdefault(f"{account_id}/{advocate_id}", []).append(instant)
        for times in (*by_contact.values(), *by_account.values()):
            times.sort()
        return by_contact, by_account

    def on_tables(self, run: Run[TablesRun]) -> list[PoolState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        table = tables.table("advocates")
        advocates = tables.frame("advocates").select(
            nw.col("id").alias("_adv"),
            nw.col("account_id").alias("_acc"),
            nw.col("enrolled_at").alias("_enrolled"),
            table.column("opted_out_at").alias("_opted"),
        )
        accounts = tables.accounts().select("_acc", "_since", "_churn", *tables.attrs)
        joined = advocates.join(accounts, on="_acc", how="inner")
        low = nw.max_horizontal(nw.col("_enrolled"), nw.col("_since"))
        high = nw.min_horizontal(nw.col("_opted"), nw.col("_churn"))
        members = (
            joined.with_columns(low.alias("_low"), high.alias("_high"))
            .join(tables.windows_frame(), how="cross")
            .filter(
                (nw.col("_low") < nw.col("_we"))
                & (nw.col("_high").is_null() | (nw.col("_we") <= nw.col("_high")))
            )
        )
        advocates_in = tables.window_counts(members)
        accounts_in = tables.window_counts(tables.distinct(members, ["_acc", "_w", *tables.attrs]))
        active: list[int] | None = None
        if self.lookback is not None:
            span = tables.micros_span(timedelta(days=run.params[self.lookback]))
            events = advocacy_event_frame(run)
            touched = (
                members.select("_adv", "_acc", "_w", "_we", *tables.attrs)
                .join(events, on="_acc", how="inner")
                .filter(
                    (nw.col("_who").is_null() | (nw.col("_who") == nw.col("_adv")))
                    & (nw.col("_t") >= nw.col("_we") - span)
                    & (nw.col("_t") < nw.col("_we"))
                )
                .pipe(tables.distinct, ["_adv", "_acc", "_w", *tables.attrs])
            )
            active = tables.window_counts(touched)
        flows: dict[str, list[int]] = {}
        for name, column in (("enrolled", "_enrolled"), ("opted_out", "_opted")):
            stamped = tables.in_grid(joined.select(nw.col(column).alias("_t"), *tables.attrs), "_t")
            flows[name] = tables.stretch_counts(stamped)
        return [
            PoolState(
                advocates=advocates_in[c],
                accounts=accounts_in[c],
                enrolled=flows["enrolled"][c],
                opted_out=flows["opted_out"][c],
                active=active[c] if active is not None else 0,
            )
            for c in range(grid.n_cells)
        ]


def advocacy_event_frame(run: Run[TablesRun]) -> Any:
    """Every advocacy action (`ADVOCACY_EVENTS`) as ``_acc``, ``_who`` (its advocate, or null when
    it names none) and ``_t``, from the supplied collections."""
    tables = run.context
    nw = tables.nw
    parts = []
    for source in ADVOCACY_EVENTS:
        if not tables.has(source.collection):
            continue
        table = tables.table(source.collection)
        parts.append(
            tables.frame(source.collection)
            .select(
                table.column("account_id").cast(nw.String()).alias("_acc"),
                table.column("advocate_id").cast(nw.String()).alias("_who"),
                table.column(source.time_field).alias("_t"),
            )
            .filter(~nw.col("_acc").is_null() & ~nw.col("_t").is_null())
        )
    return nw.concat(parts, how="vertical")


@attrs.define
class CommunityState:
    """The community of one cell.

    Attributes:
        start: members at W.start.
        end: members at W.end.
        joined: members who joined in W.
        left: members who left in W.
        anonymous_start: in a named segment, members with no account at W.start (in no segment).
        anonymous_end: likewise at W.end.
    """

    start: int = attrs.field(default=0, metadata=ADD)
    end: int = attrs.field(default=0, metadata=ADD)
    joined: int = attrs.field(default=0, metadata=ADD)
    left: int = attrs.field(default=0, metadata=ADD)
    anonymous_start: int = attrs.field(default=0, metadata=ADD)
    anonymous_end: int = attrs.field(default=0, metadata=ADD)


def _members_at(joined: Sequence[datetime], left: Sequence[datetime], instant: datetime) -> int:
    """Members at ``instant``: joined before it, less those who also left before it."""
    return bisect.bisect_left(joined, instant) - bisect.bisect_left(left, instant)


def _between(instants: Sequence[datetime], start: datetime, end: datetime) -> int:
    return bisect.bisect_left(instants, end) - bisect.bisect_left(instants, start)


@attrs.frozen(eq=False)
class Community(Block[CommunityState]):
    """Community members at each window's bounds, with those who joined and left in it."""

    state: ClassVar = CommunityState

    def on_records(self, run: Run[Records]) -> list[CommunityState]:
        grid, records = run.grid, run.context
        ns = grid.n_segments
        joined: list[list[datetime]] = [[] for _ in range(ns)]
        left: list[list[datetime]] = [[] for _ in range(ns)]
        anonymous_joined: list[datetime] = []
        anonymous_left: list[datetime] = []
        for member in records.data.community_members:
            for s in grid.profile_segments(records.record_profile(member)):
                joined[s].append(member.joined_at)
                if member.left_at is not None:
                    left[s].append(member.left_at)
            if member.account_id is None:
                anonymous_joined.append(member.joined_at)
                if member.left_at is not None:
                    anonymous_left.append(member.left_at)
        for instants in (*joined, *left, anonymous_joined, anonymous_left):
            instants.sort()
        return [
            CommunityState(
                start=_members_at(joined[s], left[s], window.start),
                end=_members_at(joined[s], left[s], window.end),
                joined=_between(joined[s], window.start, window.end),
                left=_between(left[s], window.start, window.end),
                anonymous_start=0
                if grid.segments[s].is_all
                else _members_at(anonymous_joined, anonymous_left, window.start),
                anonymous_end=0
                if grid.segments[s].is_all
                else _members_at(anonymous_joined, anonymous_left, window.end),
            )
            for window in grid.windows
            for s in range(ns)
        ]

    def on_tables(self, run: Run[TablesRun]) -> list[CommunityState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        table = tables.table("community_members")
        members = tables.with_record_profile(
            tables.frame("community_members").select(
                table.column("account_id").alias("account_id"),
                nw.col("joined_at").alias("_j"),
                table.column("left_at").alias("_l"),
                *[nw.col(c) for c in tables.engine.extra_columns("community_members")],
            ),
            "community_members",
            own=False,
        )
        per_window = members.join(tables.windows_frame(), how="cross")
        joined, left, ws, we = nw.col("_j"), nw.col("_l"), nw.col("_ws"), nw.col("_we")

        def member_at(t: Any) -> Any:
            return (joined < t) & (left.is_null() | (left >= t))

        values = {
            "start": tables.indicator(member_at(ws)),
            "end": tables.indicator(member_at(we)),
            "joined": tables.indicator((joined >= ws) & (joined < we)),
            "left": tables.indicator((left >= ws) & (left < we)),
        }
        counts = {name: tables.window_counts(per_window, value) for name, value in values.items()}
        anonymous = per_window.filter(nw.col("account_id").is_null())
        outside = {
            w: (int(start or 0), int(end or 0))
            for w, start, end in tables.grouped(anonymous, ["_w"], {"s": values["start"], "e": values["end"]})
        }
        out: list[CommunityState] = []
        for c, w, s in grid.cells():
            at_start, at_end = (0, 0) if grid.segments[s].is_all else outside.get(w, (0, 0))
            out.append(
                CommunityState(
                    start=counts["start"][c],
                    end=counts["end"][c],
                    joined=counts["joined"][c],
                    left=counts["left"][c],
                    anonymous_start=at_start,
                    anonymous_end=at_end,
                )
            )
        return out
