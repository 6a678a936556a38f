"""Data sets the scorecard machinery reads while the records stay in their tables.

`TablesData` is an `AdvocacyData` holding no records: it carries the engine that computes every
tally where the tables live, and answers the few questions a finish asks of the data set
(``as_of``, accounts without a segment's attribute, which attributes can segment). `SuppliedData`
is a records data set that remembers which collections its tables supplied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from advocacy_kpis.data import COLLECTIONS, AdvocacyData, unmatched_note
from advocacy_kpis.scope import Segment

if TYPE_CHECKING:
    from advocacy_kpis.engines._engine import Engine


def _fields(data: AdvocacyData) -> dict[str, Any]:
    return {f.name: getattr(data, f.name) for f in attrs.fields(AdvocacyData) if f.init}


class SuppliedData(AdvocacyData):
    """Records read from tables, with the names of the collections the tables supplied."""

    supplied: frozenset[str]

    @classmethod
    def wrap(cls, data: AdvocacyData, supplied: Iterable[str]) -> SuppliedData:
        """``data`` marked with the collections that were supplied."""
        out = cls(**_fields(data))
        object.__setattr__(out, "supplied", frozenset(supplied))
        return out


class TablesData(AdvocacyData):
    """A data set whose records stay in tables; its `engine` computes the tallies there."""

    engine: Engine
    supplied: frozenset[str]

    @classmethod
    def of(cls, engine: Engine) -> TablesData:
        """The data set of ``engine``'s tables."""
        tables = engine.tables
        empty: dict[str, Any] = dict.fromkeys(COLLECTIONS, ())
        out = cls(**empty, as_of=tables.as_of, calendar=tables.calendar)
        object.__setattr__(out, "engine", engine)
        object.__setattr__(out, "supplied", frozenset(tables))
        return out

    def accounts_outside_every_value(self, segment: Segment) -> int:
        """Accounts with no value for an attribute the segment reads, counted in the accounts table."""
        return self.engine.outside(segment)

    def _known_attributes(self, on_records: type | None) -> frozenset[str]:
        return self.engine.known_attributes(on_records)

    def unmatched_segment_warning(self, segment: Segment, on_records: type | None = None) -> str | None:
        """The reference's warning for a segment that matches no account, from the accounts table.

        For segments on records' own attributes the tables are not scanned: no warning is given.
        """
        if segment.is_all or on_records is not None:
            return None
        profiles = self.engine.profiles(segment.attributes)
        if any(segment.matches(profile) for profile in profiles):
            return None
        return unmatched_note(segment, "account", profiles)

    def __repr__(self) -> str:
        return f"<TablesData on {self.engine.name}: {', '.join(sorted(self.supplied))}; as_of {self.as_of.isoformat()}>"
