"""`Grid`: the windows × segments a computation covers, and how a record finds its cells.

A grid is geometry only: it knows nothing of the records. It answers, without scanning cells:

* which windows contain an instant (one binary search over the sorted window bounds, then a
  precomputed tuple of windows for that stretch of time);
* which segments an attribute profile belongs to (each distinct profile of values is matched
  against every segment once, then shared by every account or record with that profile);
* where counting starts (`slot`: a stretch of time and a profile) and how slot counts spread
  over the cells that contain them (`spread`), so a record costs one update, not one per cell.

A cell is numbered ``window_index * len(segments) + segment_index``. A single metric call is a
grid of one window and one segment.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

from advocacy_kpis.scope import Segment, Window

__all__ = ["Grid"]

R = TypeVar("R")
T = TypeVar("T")

_EMPTY: Final[tuple[int, ...]] = ()


class Grid:
    """Windows × segments, with the lookups a one-pass tally needs.

    Args:
        windows: the windows (any order, overlapping allowed: months with their quarters).
        segments: the segments; ``Segment.all()`` may be among them.

    Examples:
        >>> grid = Grid(Window.year(2026).split("quarter"), [Segment.all()])
        >>> [grid.windows[w].label for w in grid.windows_at(Window.quarter(2026, 3).start)]
        ['2026Q3']
    """

    def __init__(self, windows: Sequence[Window], segments: Sequence[Segment]) -> None:
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
        self._window_stretches: list[tuple[int, ...]] = [
            tuple(k for k, covering in enumerate(self._cover) if w in covering)
            for w in range(len(self.windows))
        ]
        self._cells_memo: dict[tuple[int, tuple[int, ...]], tuple[int, ...]] = {}
        self._attributes = tuple(sorted({name for s in self.segments for name in s.attributes}))
        self._profile_memo: dict[tuple[Any, ...], int] = {}
        self._profile_segments: list[tuple[int, ...]] = []
        self._profile_values: list[dict[str, Any]] = []
        self._outside_memo: dict[int, tuple[int, ...]] = {}
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
    def window_stretches(self) -> Sequence[tuple[int, ...]]:
        """For each window, the indices of the stretches it is made of."""
        return self._window_stretches

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

    def _profile(self, values: tuple[Any, ...]) -> int:
        """The number of the attribute profile ``values`` (registering it on first sight)."""
        found = self._profile_memo.get(values)
        if found is None:
            named = dict(zip(self._attributes, values, strict=True))
            found = len(self._profile_segments)
            self._profile_segments.append(tuple(i for i, s in enumerate(self.segments) if s.matches(named)))
            self._profile_values.append(named)
            self._profile_memo[values] = found
        return found

    def profile_segments(self, profile: int) -> tuple[int, ...]:
        """Indices of the segments of a profile."""
        return self._profile_segments[profile]

    def outside_segments(self, profile: int) -> tuple[int, ...]:
        """Indices of the segments on whose attributes a profile has no value.

        A record (or account) with such a profile is in no segment on that attribute, so figures
        over the attribute's values do not add up to the whole.
        """
        found = self._outside_memo.get(profile)
        if found is None:
            values = self._profile_values[profile]
            found = tuple(
                i
                for i, s in enumerate(self.segments)
                if not s.is_all and any(values.get(name) is None for name in s.attributes)
            )
            self._outside_memo[profile] = found
        return found

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

    def slot_parts(self, slot: int) -> tuple[int, int]:
        """The (profile, stretch) of a slot."""
        profile, k = divmod(slot, self._n_stretches)
        return profile, k

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

    def cached(self, key: Any, build: Callable[[], R]) -> R:
        """A value derived from the grid alone, built on first use (e.g. a grid of fewer segments)."""
        if key not in self._cache:
            self._cache[key] = build()
        value: R = self._cache[key]
        return value

    # -- the customers of a window ----------------------------------------------------------------

    def window_start(self, window: int) -> datetime:
        """The start of window ``window``."""
        return self._starts[window]

    def window_end(self, window: int) -> datetime:
        """The end of window ``window``."""
        return self._ends[window]

    def is_active(self, since: datetime, churned: datetime | None, window: int) -> bool:
        """Whether an account with these instants is active in window ``window`` (S ∪ N)."""
        return since < self._ends[window] and (churned is None or churned >= self._starts[window])

    def last_customer_instant(self, churned: datetime | None, window: int) -> datetime:
        """The last instant of window ``window`` at which an account is a customer.

        ``W.end``, or the churn of an account that churned inside the window.
        """
        end = self._ends[window]
        return churned if churned is not None and churned < end else end
