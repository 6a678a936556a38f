"""What a load tells you besides the data: every refused row, counts per collection, and as_of.

A load in collecting mode (the default) returns a `Loaded`: the data set and a `LoadReport`.
For every collection, rows read = rows loaded + rows rejected, always; every rejected row is
listed with its source, row number, field, value (shortened) and reason, and the summary groups
rows refused for the same reason (a thousand survey rows with one unknown label are one line
with a count).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import attrs

from advocacy_kpis import display
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import shorten
from advocacy_kpis.scope import Calendar

__all__ = ["CollectionCount", "LoadReport", "Loaded", "Rejection", "RejectionGroup", "group_rejections"]


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
class RejectionGroup:
    """Rejected rows of one collection refused for one reason: the same field, expecting the same.

    Attributes:
        collection: the collection the rows were for.
        sources: the files (or tables) they came from, in order.
        row_kind: ``"line"`` or ``"row index"``.
        field: the record field at fault, or None for rows refused whole.
        column: the source's own column name, when a column map renamed it.
        expected: what the field accepts.
        count: how many rows.
        values: the values refused, most frequent first, each with how many rows hold it (at
            most `GROUP_VALUES` of them).
        distinct: how many different values were refused.
        first: where the first rows are (at most `GROUP_ROWS`), e.g. ``"surveys.csv line 2"``.
    """

    collection: str
    sources: tuple[str, ...]
    row_kind: str
    field: str | None
    column: str | None
    expected: str
    count: int
    values: tuple[tuple[str, int], ...]
    distinct: int
    first: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Why the rows were refused, in words."""
        return f"must be {self.expected}"

    def __str__(self) -> str:
        rows = "row" if self.count == 1 else "rows"
        sources = ", ".join(self.sources[:3]) + (
            f" and {len(self.sources) - 3} more" if len(self.sources) > 3 else ""
        )
        shown = ", ".join(value if self.distinct == 1 else f"{value} ({n:,})" for value, n in self.values)
        if self.distinct > len(self.values):
            shown += f" and {self.distinct - len(self.values):,} other values"
        if len(self.sources) == 1:
            numbers = [where.rsplit(" ", 1)[-1] for where in self.first]
            kind = (
                self.row_kind
                if len(numbers) == 1
                else {"row index": "row indexes"}.get(self.row_kind, "lines")
            )
            at = f"{kind} {', '.join(numbers)}"
        else:
            at = ", ".join(self.first)
        if self.count > len(self.first):
            at += ", ..."
        if self.field is None:
            return f"{self.count:,} {rows} of {sources}: the row must be {self.expected}; got {shown} ({at})"
        named = (
            shorten(self.field)
            if self.column in (None, self.field)
            else f"{shorten(self.field)} (column {shorten(self.column)})"
        )
        return f"{self.count:,} {rows} of {sources}, field {named}: {shown} {self.reason} ({at})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "collection": self.collection,
            "sources": list(self.sources),
            "row_kind": self.row_kind,
            "field": self.field,
            "column": self.column,
            "reason": self.reason,
            "count": self.count,
            "values": [{"value": value, "rows": n} for value, n in self.values],
            "distinct": self.distinct,
            "first": list(self.first),
        }


GROUP_VALUES = 3
"""How many of the values of a `RejectionGroup` it shows."""

GROUP_ROWS = 5
"""How many rows of a `RejectionGroup` it names."""


def group_rejections(rejections: Iterable[Rejection]) -> tuple[RejectionGroup, ...]:
    """Rejections grouped by reason: collection, field, column and what was expected.

    Every rejection is in exactly one group. Groups come largest first, then in the order of
    their first row.
    """
    grouped: dict[tuple[str, str | None, str | None, str, str], list[Rejection]] = {}
    for rejection in rejections:
        key = (
            rejection.collection,
            rejection.field,
            rejection.column,
            rejection.expected,
            rejection.row_kind,
        )
        grouped.setdefault(key, []).append(rejection)
    groups = []
    for (collection, field, column, expected, row_kind), members in grouped.items():
        values = Counter(r.value for r in members)
        groups.append(
            RejectionGroup(
                collection,
                tuple(dict.fromkeys(r.source for r in members)),
                row_kind,
                field,
                column,
                expected,
                len(members),
                tuple(values.most_common(GROUP_VALUES)),
                len(values),
                tuple(r.where for r in members[:GROUP_ROWS]),
            )
        )
    return tuple(sorted(groups, key=lambda g: -g.count))


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

    @property
    def groups(self) -> tuple[RejectionGroup, ...]:
        """The rejections grouped by reason, largest group first (see `group_rejections`)."""
        return group_rejections(self.rejections)

    @property
    def refused_whole(self) -> tuple[CollectionCount, ...]:
        """The collections of which rows were read and every one refused: supplied, yet empty."""
        return tuple(c for c in self.counts if c.read and not c.loaded)

    def count(self, collection: str) -> CollectionCount | None:
        """The counts of one collection, or None when it was not supplied."""
        return next((c for c in self.counts if c.collection == collection), None)

    def format(self, limit: int | None = 50) -> str:
        """The report as text: a line per collection, a warning for each collection of which every
        row was refused, the reasons rows were refused with how many rows each (when a reason
        refused several), then the rejected rows.

        Args:
            limit: how many reasons and how many rejected rows to list (None: all); the rest are
                counted.
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
        parts += [
            display.Paragraph(
                f"warning: every row of {whole.source} was refused ({whole.read:,}): no {whole.collection} were loaded"
            )
            for whole in self.refused_whole
        ]
        groups = self.groups
        if len(groups) < len(self.rejections):
            # Some reason refused several rows: the summary says it once, with a count.
            shown_groups = groups if limit is None else groups[:limit]
            reasons = [str(g) for g in shown_groups]
            if len(shown_groups) < len(groups):
                reasons.append(f"... and {len(groups) - len(shown_groups)} more reasons")
            caption = (
                f"{display.counted(len(self.rejections), 'row')} rejected, "
                f"for {display.counted(len(groups), 'reason')}:"
            )
            parts.append(display.Items(tuple(reasons), caption))
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
            "groups": [g.to_dict() for g in self.groups],
            "refused_whole": [c.collection for c in self.refused_whole],
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
