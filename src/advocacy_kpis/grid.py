"""`Grid`: the windows × segments a computation covers, and how a record finds its cells.

A grid is built once per computation. It answers, without scanning the cells:

* which windows contain an instant (one binary search over the sorted window bounds, then a
  precomputed tuple of windows for that stretch of time);
* which segments an account, or a record, belongs to (each distinct attribute profile is
  matched against every segment once, then shared by all accounts with that profile);
* the customer cohorts of every cell (S, E, N, churned, active), counted from each segment's
  sorted ``customer_since`` and ``churned_at`` instants rather than by visiting every account
  for every window.

A cell is numbered ``window_index * len(segments) + segment_index``. A single metric call is a
grid of one window and one segment.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.records import Account, SurveyKind, SurveyResponse
from advocacy_kpis.scope import RevenueBasis, Segment, Window

__all__ = ["CohortCounts", "Grid"]

R = TypeVar("R")
T = TypeVar("T")

_ACCOUNT_FIELDS: Final = frozenset({"tier", "region", "industry", "icp", "acquisition_channel"})

_EMPTY: Final[tuple[int, ...]] = ()


class CohortCounts:
    """Per-cell sizes of the customer sets of the catalogue's notation.

    Attributes:
        start: |S|, customers at W.start.
        end: |E|, customers at W.end.
        new: |N|, accounts whose ``customer_since`` is in W.
        churned: accounts whose ``churned_at`` is in W.
        active: |S ∪ N|, accounts that were customers at some instant of W.
        churned_from_start: |S \\ E|, members of S that churned in W.
    """

    __slots__ = ("active", "churned", "churned_from_start", "end", "new", "start")

    def __init__(self, cells: int) -> None:
        self.start = [0] * cells
        self.end = [0] * cells
        self.new = [0] * cells
        self.churned = [0] * cells
        self.active = [0] * cells
        self.churned_from_start = [0] * cells

    def cell(self, index: int) -> dict[str, int]:
        """The counts of one cell, named as in `advocacy_kpis.data.Cohort`."""
        return {
            "start": self.start[index],
            "end": self.end[index],
            "new": self.new[index],
            "churned": self.churned[index],
            "retained": self.start[index] - self.churned_from_start[index],
            "churned_from_start": self.churned_from_start[index],
            "active": self.active[index],
        }


class Grid:
    """Windows × segments over one data set, with the lookups a one-pass tally needs.

    Args:
        data: the data set.
        windows: the windows (any order, overlapping allowed: months with their quarters).
        segments: the segments; ``Segment.all()`` may be among them.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> data = tiny()
        >>> grid = Grid(data, Window.year(2026).split("quarter"), [Segment.all()])
        >>> [grid.windows[w].label for w in grid.windows_at(Window.quarter(2026, 3).start)]
        ['2026Q3']
    """

    def __init__(self, data: AdvocacyData, windows: Sequence[Window], segments: Sequence[Segment]) -> None:
        self.data = data
        self.windows: tuple[Window, ...] = tuple(windows)
        self.segments: tuple[Segment, ...] = tuple(segments)
        self.n_segments = len(self.segments)
        self.n_cells = len(self.windows) * self.n_segments
        self.start = min(w.start for w in self.windows)
        self.end = max(w.end for w in self.windows)
        self._starts = [w.start for w in self.windows]
        self._ends = [w.end for w in self.windows]
        bounds = sorted({*self._starts, *self._ends})
        self._bounds = bounds
        self._cover: list[tuple[int, ...]] = [
            tuple(i for i, w in enumerate(self.windows) if w.start <= b < w.end) for b in bounds[:-1]
        ]
        self._cells_memo: dict[tuple[int, tuple[int, ...]], tuple[int, ...]] = {}
        self._attributes = tuple(sorted({name for s in self.segments for name in s.attributes}))
        self._profile_memo: dict[tuple[Any, ...], int] = {}
        self._profile_segments: list[tuple[int, ...]] = []
        self._outside_memo: dict[tuple[Any, ...], tuple[int, ...]] = {}
        self._account_pid: dict[str, int] | None = None
        self._n_stretches = len(self._cover)
        self._cache: dict[Any, Any] = {}

    # -- how the grid cuts time and attributes (for engines that tally elsewhere) ----------------

    @property
    def bounds(self) -> Sequence[datetime]:
        """Every window start and end, sorted, each once: the stretches lie between them."""
        return self._bounds

    @property
    def stretches(self) -> Sequence[tuple[int, ...]]:
        """For each stretch ``[bounds[k], bounds[k + 1])``, the indices of the windows containing it."""
        return self._cover

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attribute names the segments read, sorted: the order of a profile's values."""
        return self._attributes

    def profile_of(self, values: tuple[Any, ...]) -> int:
        """The number of the attribute profile ``values`` (in `attributes` order), registering it on first sight."""
        return self._profile(values)

    # -- cells ----------------------------------------------------------------------------------

    def cell(self, window: int, segment: int) -> int:
        """The number of the cell of window ``window`` and segment ``segment`` (indices)."""
        return window * self.n_segments + segment

    def cells(self) -> Iterator[tuple[int, int, int]]:
        """Every cell as ``(cell, window index, segment index)``."""
        for w in range(len(self.windows)):
            for s in range(self.n_segments):
                yield w * self.n_segments + s, w, s

    def windows_at(self, instant: datetime) -> tuple[int, ...]:
        """Indices of the windows that contain ``instant`` (``start <= t < end``)."""
        k = bisect.bisect_right(self._bounds, instant) - 1
        if k < 0 or k >= len(self._cover):
            return _EMPTY
        return self._cover[k]

    def cells_at(self, instant: datetime, segments: tuple[int, ...]) -> tuple[int, ...]:
        """The cells of the windows containing ``instant`` and of the given segment indices."""
        k = bisect.bisect_right(self._bounds, instant) - 1
        if k < 0 or k >= len(self._cover) or not segments:
            return _EMPTY
        key = (k, segments)
        found = self._cells_memo.get(key)
        if found is None:
            ns = self.n_segments
            found = tuple(w * ns + s for w in self._cover[k] for s in segments)
            self._cells_memo[key] = found
        return found

    # -- segments -------------------------------------------------------------------------------

    def _match(self, view: Callable[[str], Any]) -> tuple[int, ...]:
        return self._profile_segments[self._profile(tuple(view(name) for name in self._attributes))]

    def _profile(self, values: tuple[Any, ...]) -> int:
        """The number of the attribute profile ``values`` (registering it on first sight)."""
        found = self._profile_memo.get(values)
        if found is None:
            named = dict(zip(self._attributes, values, strict=True))
            found = len(self._profile_segments)
            self._profile_segments.append(tuple(i for i, s in enumerate(self.segments) if s.matches(named)))
            self._profile_memo[values] = found
        return found

    def outside_segments(self, record: Any) -> tuple[int, ...]:
        """Indices of the segments on whose attributes a record (or its account) has no value.

        Such a record is in no segment on that attribute, so figures over the attribute's values
        do not add up to the whole (see `AdvocacyData.outside_every_value`).
        """
        account_id = getattr(record, "account_id", None)
        if account_id is not None:
            view: Callable[[str], Any] = _account_view(self.data.account(account_id))
        else:
            view = dict(getattr(record, "attributes", {})).get
        profile = tuple(view(name) for name in self._attributes)
        found = self._outside_memo.get(profile)
        if found is None:
            values = dict(zip(self._attributes, profile, strict=True))
            found = tuple(
                i
                for i, s in enumerate(self.segments)
                if not s.is_all and any(values.get(name) is None for name in s.attributes)
            )
            self._outside_memo[profile] = found
        return found

    def _account_profiles(self) -> dict[str, int]:
        table = self._account_pid
        if table is None:
            names = self._attributes
            fields = [name if name in _ACCOUNT_FIELDS else None for name in names]
            table = {}
            for account in self.data.accounts:
                extra = account.attributes
                values = tuple(
                    getattr(account, field) if field is not None else extra.get(name)
                    for name, field in zip(names, fields, strict=True)
                )
                table[account.id] = self._profile(values)
            self._account_pid = table
        return table

    def account_profile(self, account_id: str) -> int:
        """The attribute profile of an account: accounts with one profile share their segments."""
        return self._account_profiles()[account_id]

    def record_profile(self, record: Any) -> int:
        """The attribute profile of a record: its account's, else its own attributes'."""
        account_id = getattr(record, "account_id", None)
        if account_id is not None:
            return self._account_profiles()[account_id]
        attributes = getattr(record, "attributes", None)
        if attributes is None:
            return self._profile(tuple(None for _ in self._attributes))
        return self._profile(tuple(attributes.get(name) for name in self._attributes))

    def profile_segments(self, profile: int) -> tuple[int, ...]:
        """Indices of the segments of a profile."""
        return self._profile_segments[profile]

    def account_segments(self, account_id: str) -> tuple[int, ...]:
        """Indices of the segments the account belongs to."""
        return self._profile_segments[self._account_profiles()[account_id]]

    def record_segments(self, record: Any) -> tuple[int, ...]:
        """Indices of the segments a record belongs to: its account's, else its own attributes'."""
        return self._profile_segments[self.record_profile(record)]

    # -- slots: where counting starts before it is spread over cells -----------------------------

    def slot(self, instant: datetime, profile: int) -> int:
        """A number for (stretch of time between window bounds, profile); -1 outside every window.

        Counting per slot and spreading the counts over cells once (`spread`) costs one update
        per record instead of one per cell.
        """
        k = bisect.bisect_right(self._bounds, instant) - 1
        if k < 0 or k >= self._n_stretches or not self._cover[k]:
            return -1
        return profile * self._n_stretches + k

    def spread(self, counts: Mapping[int, T], zero: T) -> list[T]:
        """Per cell, the sum of the slot counts of every slot the cell covers."""
        out: list[Any] = [zero] * self.n_cells
        ns, stretches = self.n_segments, self._n_stretches
        for key, value in counts.items():
            profile, k = divmod(key, stretches)
            segments = self._profile_segments[profile]
            for w in self._cover[k]:
                base = w * ns
                for s in segments:
                    # Not +=: with a list zero that would extend the one list every cell starts from.
                    out[base + s] = out[base + s] + value
        return out

    def window_slot(self, window: int, profile: int) -> int:
        """A number for (window index, profile), for counts spread with `spread_windows`."""
        return profile * len(self.windows) + window

    def spread_windows(self, counts: Mapping[int, T], zero: T) -> list[T]:
        """Per cell, the count of its window and of every profile in its segment."""
        out: list[Any] = [zero] * self.n_cells
        ns, nw = self.n_segments, len(self.windows)
        for key, value in counts.items():
            profile, w = divmod(key, nw)
            base = w * ns
            for s in self._profile_segments[profile]:
                out[base + s] = out[base + s] + value
        return out

    # -- records --------------------------------------------------------------------------------

    def records(self, kind: type[R]) -> Sequence[R]:
        """Records of ``kind`` stamped (see `advocacy_kpis.data.EVENT_TIME`) inside the grid's span, in time order."""
        timeline = self.data._timeline(kind)
        low = bisect.bisect_left(timeline.times, self.start)
        high = bisect.bisect_left(timeline.times, self.end)
        chosen: Sequence[R] = timeline.records[low:high]
        return chosen

    def surveys(self, kind: SurveyKind) -> Sequence[SurveyResponse]:
        """Survey responses of one kind stamped inside the grid's span, in time order.

        The responses of each kind are indexed once per data set, so a metric reading NPS
        answers never visits CSAT ones.
        """

        def build() -> tuple[list[datetime], list[SurveyResponse]]:
            timeline = self.data._timeline(SurveyResponse)
            chosen = [r for r in timeline.records if r.kind is kind]
            return [r.responded_at for r in chosen], chosen

        times, records = self.data._cached(("surveys", kind), build)
        low = bisect.bisect_left(times, self.start)
        high = bisect.bisect_left(times, self.end)
        return records[low:high]

    def cached(self, key: Any, build: Callable[[], R]) -> R:
        """A value shared by the metrics computed on this grid (built on first use)."""
        if key not in self._cache:
            self._cache[key] = build()
        value: R = self._cache[key]
        return value

    # -- cohorts --------------------------------------------------------------------------------

    def cohorts(self, key: str = "all", accept: Callable[[Account], bool] | None = None) -> CohortCounts:
        """Sizes of S, E, N, churned, active and S \\ E in every cell.

        Args:
            key: names ``accept`` for caching (``"all"`` for every account).
            accept: when given, only accounts it accepts count (e.g. referred accounts).
        """
        return self.cached(("cohorts", key), lambda: self._cohorts(accept))

    def _cohorts(self, accept: Callable[[Account], bool] | None) -> CohortCounts:
        ns = self.n_segments
        since_by: list[list[datetime]] = [[] for _ in range(ns)]
        churn_by: list[list[datetime]] = [[] for _ in range(ns)]
        churned: list[Account] = []
        for account in self.data.accounts:
            if accept is not None and not accept(account):
                continue
            segments = self.account_segments(account.id)
            for s in segments:
                since_by[s].append(account.customer_since)
            if account.churned_at is not None:
                for s in segments:
                    churn_by[s].append(account.churned_at)
                churned.append(account)
        counts = CohortCounts(self.n_cells)
        for s in range(ns):
            since = sorted(since_by[s])
            churn = sorted(churn_by[s])
            left, right = bisect.bisect_left, bisect.bisect_left
            for w, window in enumerate(self.windows):
                c = w * ns + s
                since_before_start = left(since, window.start)
                since_before_end = right(since, window.end)
                churn_before_start = left(churn, window.start)
                churn_before_end = left(churn, window.end)
                # customer at t: since < t <= churn; since <= churn always holds.
                counts.start[c] = since_before_start - churn_before_start
                counts.end[c] = since_before_end - churn_before_end
                counts.new[c] = since_before_end - since_before_start
                counts.churned[c] = churn_before_end - churn_before_start
                counts.active[c] = since_before_end - churn_before_start
        for account in churned:
            churn_at = account.churned_at
            assert churn_at is not None
            segments = self.account_segments(account.id)
            for w in self.windows_at(churn_at):
                if account.customer_since < self._starts[w]:
                    for s in segments:
                        counts.churned_from_start[w * ns + s] += 1
        return counts

    def is_active(self, account: Account, window: int) -> bool:
        """Whether the account is active in window ``window`` (a customer at some instant of it)."""
        churned = account.churned_at
        return account.customer_since < self._ends[window] and (
            churned is None or churned >= self._starts[window]
        )

    def last_customer_instant(self, account: Account, window: int) -> datetime:
        """The last instant of window ``window`` at which the account is a customer.

        ``W.end``, or the churn of an account that churned inside the window.
        """
        end = self._ends[window]
        churned = account.churned_at
        return churned if churned is not None and churned < end else end

    # -- revenue weights -------------------------------------------------------------------------

    def account_weights(
        self,
        basis: RevenueBasis,
        members: Callable[[Account, int], datetime | None],
        key: Any,
        accept: Callable[[Account], bool] | None = None,
    ) -> list[Decimal]:
        """Per cell, the summed run rate of the accounts ``members`` places in each window.

        Args:
            basis: an ARR or MRR basis.
            members: for an account and a window index, the instant at which the account weighs
                in that window, or None when it is not a member there.
            key: names ``members`` and ``accept`` for caching.
            accept: when given, only accounts it accepts count.
        """

        def build() -> list[Decimal]:
            ns = self.n_segments
            totals = [Decimal(0)] * self.n_cells
            for account in self.data.accounts:
                if accept is not None and not accept(account):
                    continue
                segments = self.account_segments(account.id)
                if not segments:
                    continue
                for w in range(len(self.windows)):
                    instant = members(account, w)
                    if instant is None:
                        continue
                    weight = self.data.arr_at(account.id, instant, basis)
                    if weight:
                        for s in segments:
                            totals[w * ns + s] += weight
            return totals

        return self.cached(("weights", key, basis), build)


def _account_view(account: Account) -> Callable[[str], Any]:
    return account.segment_view().get
