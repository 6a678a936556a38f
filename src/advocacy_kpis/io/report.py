"""What a load tells you besides the data: every refused row, counts per collection, and as_of.

A load in collecting mode (the default) returns a `Loaded`: the data set and a `LoadReport`.
For every collection, rows read = rows loaded + rows rejected, always; every rejected row is
listed with its source, row number, field, value (shortened) and reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from advocacy_kpis import display
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import shorten
from advocacy_kpis.scope import Calendar

__all__ = ["CollectionCount", "LoadReport", "Loaded", "Rejection"]


@attrs.frozen
class Rejection:
    """One row that did not become a record, and why.

    Attributes:
        collection: the collection the row was for (``"referrals"``).
        source: the file (``"referrals.csv"``) or table name it came from.
        row: its number as you find it in the source: the line in a CSV or JSON-lines file
            (the header is line 1), else the 0-based row index (tables, Parquet files, lists of rows).
        row_kind: ``"line"`` or ``"row index"``.
        field: the record field at fault, or None when the row as a whole is (a CSV line with too
            many cells, a JSON line that is not an object).
        column: the source's own column name, when a column map renamed it.
        value: the offending value as text, shortened to about 80 characters.
        expected: what the field accepts, e.g. ``"the id of a loaded account"``.
    """

    collection: str
    source: str
    row: int
    row_kind: str
    field: str | None
    column: str | None
    value: str
    expected: str

    @property
    def where(self) -> str:
        """``referrals.csv line 12`` or ``referrals row index 11``."""
        return f"{self.source} {self.row_kind} {self.row}"

    @property
    def reason(self) -> str:
        """Why the row was refused, in words."""
        return f"must be {self.expected}"

    def __str__(self) -> str:
        if self.field is None:
            return f"{self.where}: the row must be {self.expected}. Got {self.value}."
        # Names from a file (attribute columns) are shortened and escaped like values.
        named = (
            shorten(self.field)
            if self.column in (None, self.field)
            else f"{shorten(self.field)} (column {shorten(self.column)})"
        )
        return f"{self.where}, field {named}: {self.value} {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "collection": self.collection,
            "source": self.source,
            "row": self.row,
            "row_kind": self.row_kind,
            "field": self.field,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@attrs.frozen
class CollectionCount:
    """Rows read, loaded and rejected for one supplied collection (read = loaded + rejected)."""

    collection: str
    source: str
    read: int
    loaded: int
    rejected: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return attrs.asdict(self)


@attrs.frozen(repr=False)
class LoadReport:
    """The account of one load: counts, rejected rows, notes and the ``as_of`` used.

    Attributes:
        as_of: the instant the data set is taken as extracted at.
        as_of_source: where ``as_of`` came from: ``"given"``, ``"settings file"`` or the latest
            timestamp in the data (and which record carries it).
        calendar: the calendar dates were read in.
        counts: per supplied collection, in the order of `advocacy_kpis.data.COLLECTIONS`.
        rejections: every refused row, by collection and row.
        notes: what was read but not used (a column that is no field of a record without
            attributes, a file that names no collection, a column map entry with no column).
    """

    as_of: datetime
    as_of_source: str
    calendar: Calendar
    counts: tuple[CollectionCount, ...]
    rejections: tuple[Rejection, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every row read was loaded."""
        return not self.rejections

    @property
    def rows_read(self) -> int:
        """Rows read over all collections."""
        return sum(c.read for c in self.counts)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected over all collections."""
        return len(self.rejections)

    def count(self, collection: str) -> CollectionCount | None:
        """The counts of one collection, or None when it was not supplied."""
        return next((c for c in self.counts if c.collection == collection), None)

    def format(self, limit: int | None = 50) -> str:
        """The report as text: a line per collection, then the rejected rows (at most ``limit``).

        Args:
            limit: how many rejected rows to list (None: all); the rest are counted.
        """
        return self._view(limit).text()

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"<LoadReport {self.rows_read} rows read, {self.rows_rejected} rejected; as_of {self.as_of.isoformat()}>"

    def _repr_html_(self) -> str:
        return self._view().html()

    def _view(self, limit: int | None = 50) -> display.View:
        counts = tuple(
            tuple(
                display.Cell(text) for text in (c.source, f"{c.read:,}", f"{c.loaded:,}", f"{c.rejected:,}")
            )
            for c in self.counts
        )
        parts: list[display.Part] = [display.Table(("source", "read", "loaded", "rejected"), counts)]
        if self.rejections:
            shown = self.rejections if limit is None else self.rejections[:limit]
            listed = [str(r) for r in shown]
            if len(shown) < len(self.rejections):
                listed.append(f"... and {len(self.rejections) - len(shown)} more")
            parts.append(
                display.Items(tuple(listed), f"{display.counted(len(self.rejections), 'row')} rejected:")
            )
        else:
            parts.append(display.Paragraph("every row was loaded"))
        parts += [display.Paragraph(f"note: {n}") for n in self.notes]
        loaded = self.rows_read - self.rows_rejected
        return display.View(
            f"Loaded {loaded:,} of {self.rows_read:,} rows",
            (
                f"as_of: {self.as_of.isoformat()} ({self.as_of_source}); calendar time zone: "
                f"{self.calendar.to_dict()['timezone']}",
            ),
            tuple(parts),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, every rejected row included."""
        return {
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "calendar": self.calendar.to_dict(),
            "counts": {c.collection: c.to_dict() for c in self.counts},
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "rejections": [r.to_dict() for r in self.rejections],
            "notes": list(self.notes),
        }


@attrs.frozen
class Loaded:
    """The result of a load: ``data`` and ``report``; unpacks as ``data, report = io.load_folder(...)``."""

    data: AdvocacyData
    report: LoadReport

    def __iter__(self) -> Iterator[Any]:
        yield self.data
        yield self.report
