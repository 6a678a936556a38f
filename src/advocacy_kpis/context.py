"""What a tally reads, on records or tables: the run, and the protocols of contexts and data.

A building block's tally reads a `Run`: the context that computes it (one grid over one data
source: the records in Python, or tables where they live), the revenue basis and the metric's
checked parameters. The context and the data source are protocols here, so the engines and the
blocks both depend on this module and neither on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import attrs

from advocacy_kpis.grid import Grid
from advocacy_kpis.scope import Calendar, RevenueBasis, Segment, Window

__all__ = ["Context", "DataSource", "Run"]

S = TypeVar("S")
C = TypeVar("C", bound="Context")


class DataSource(Protocol):
    """What a finish and the argument checks ask of the data, on records or tables alike."""

    @property
    def as_of(self) -> datetime: ...

    @property
    def calendar(self) -> Calendar: ...

    def is_supplied(self, collection: str | type) -> bool: ...

    def check_window(self, window: Window, function: str) -> None: ...

    def check_segment(self, segment: Segment, function: str, *, on_records: type | None = None) -> None: ...

    def unmatched_segment_warning(self, segment: Segment, on_records: type | None = None) -> str | None: ...

    def accounts_outside_every_value(self, segment: Segment) -> int: ...

    def segment_profiles(self, names: Sequence[str]) -> Iterable[Mapping[str, Any]]: ...


class Context(Protocol):
    """One grid over one source: the tallies of its blocks, each computed once."""

    @property
    def grid(self) -> Grid: ...

    @property
    def source(self) -> DataSource: ...

    def tallies(self, block: Any, basis: RevenueBasis | None, params: Mapping[str, Any]) -> list[Any]: ...


@attrs.frozen
class Run(Generic[C]):
    """What one side of a block reads: the context, the basis and the metric's checked parameters."""

    context: C
    basis: RevenueBasis | None
    params: Mapping[str, Any]

    @property
    def grid(self) -> Grid:
        """The grid."""
        return self.context.grid
