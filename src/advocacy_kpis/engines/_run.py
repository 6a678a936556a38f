"""The engine: one `Tables` read as a data source, and the runs that compute blocks' tallies there.

`Engine` is what finishes and argument checks read of tables (``as_of``, which collections were
supplied, which attributes a segment may name, the warnings about segments), answered with a few
cached queries. `TablesRun` is one grid over the tables: the plumbing every block's tables side
shares, written once.

Time is integers. Each collection is read through a prepared frame in which every instant column
holds microseconds since the epoch, converted where the data lives in a way that does not depend
on the session's time zone (DuckDB's ``epoch_us``, Spark's ``unix_micros``, Arrow's and Polars'
epoch). A window bound is then an integer, a comparison never crosses a time zone, and a
duration is a difference of integers. A timestamp's *position* is the number of window bounds at
or before it; the stretch between two consecutive bounds is the position minus one. Records are
counted per (stretch, attribute profile) with a group-by in the backend; the few rows that come
back are spread over the cells by the same `Grid.spread` the Python sides use.

Money is summed where it lives as Decimal(38, scale) and never squeezed into 64-bit integers;
the sum of a column is exact while its rows times its largest amount stay below 38 digits, which
`money_bound` checks before a sum is trusted (beyond, `MoneyOverflowError` names the column).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from advocacy_kpis.context import Run
from advocacy_kpis.data import COLLECTIONS, refuse_unknown_attributes, unmatched_note
from advocacy_kpis.errors import CurrencyMismatchError, InvalidRecordError, ParameterError
from advocacy_kpis.expr import Env, Expr, Marks, micros
from advocacy_kpis.grid import Grid
from advocacy_kpis.records import Account, CommunityMember, Opportunity, Review
from advocacy_kpis.scope import Calendar, RevenueBasis, Segment, Window

if TYPE_CHECKING:
    from advocacy_kpis.engines._tables import Tables

__all__ = ["Engine", "TablesRun", "distinct"]

S = TypeVar("S")

ACCOUNT_FIELDS: Final = frozenset({"tier", "region", "industry", "icp", "acquisition_channel"})
"""The fields of `Account` a segment may name; its other columns are attributes."""

_ACCOUNT_FIELD_NAMES: Final = frozenset(a.name for a in attrs.fields(Account))

# Records whose segments may also read their account's attributes (see AdvocacyData.check_segment).
_ACCOUNT_TOO: Final = (Opportunity, Review, CommunityMember)

_MAX_DIGITS: Final = 38


def _narwhals() -> Any:
    import narwhals

    return narwhals


def distinct(frame: Any, columns: Sequence[str] | None = None) -> Any:
    """The distinct rows of ``frame`` (keeping ``columns``, all when None).

    A group-by on every kept column, which each backend runs as a hash aggregation; narwhals'
    ``unique`` partitions a window function on the SQL backends, several times slower there.
    Nulls are values like any other, as in ``unique``.
    """
    names = list(frame.columns if columns is None else columns)
    counted = "_n_" + "_".join(names)
    return frame.group_by(*names, drop_null_keys=False).agg(_narwhals().len().alias(counted)).drop(counted)


def plain(value: Any) -> Any:
    """A value from a backend as the records hold it: no numpy scalars, NaN or NaT; an integral
    float read from a column of integers with missing values (pandas) is the integer."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return None
    if (
        hasattr(value, "item")
        and not isinstance(value, (str, bytes, Decimal))
        and getattr(value, "ndim", 0) == 0
    ):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


class Engine:
    """One `Tables` as a data source: prepared frames and the questions finishes ask.

    Args:
        tables: the tables.
    """

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.name = tables.backend
        self._frames: dict[str, Any] = {}
        self._cache: dict[Hashable, Any] = {}

    # -- the data source ----------------------------------------------------------------------------

    @property
    def as_of(self) -> datetime:
        """When the data was extracted."""
        return self.tables.as_of

    @property
    def calendar(self) -> Calendar:
        """The calendar of the data."""
        return self.tables.calendar

    def is_supplied(self, collection: str | type) -> bool:
        """Whether the tables hold the collection, by name or record class."""
        return (collection if isinstance(collection, str) else _collection_of(collection)) in self.tables

    def check_window(self, window: Window, function: str) -> None:
        """Refuse a window that is not on the tables' calendar (see `AdvocacyData.check_window`)."""
        from advocacy_kpis.errors import CalendarMismatchError

        if not isinstance(window, Window):
            raise ParameterError("window", function, "a Window such as Window.quarter(2026, 3)", window)
        if window.calendar != self.calendar:
            raise CalendarMismatchError(function, window.calendar.description, self.calendar.description)

    def check_segment(self, segment: Segment, function: str, *, on_records: type | None = None) -> None:
        """Refuse a segment naming an attribute no account (or record) carries."""
        if not segment.is_all:
            refuse_unknown_attributes(segment, function, self.known_attributes(on_records))

    def known_attributes(self, on_records: type | None) -> frozenset[str]:
        """The attributes a segment may name: account fields and attribute columns with a value
        (for records matched on their own attributes, those columns of their table)."""
        key = ("known", on_records)
        if key not in self._cache:
            names: set[str] = set()
            if on_records is None:
                names.update(ACCOUNT_FIELDS)
                names.update(self._filled(self.extra_columns("accounts"), "accounts"))
            else:
                if on_records in _ACCOUNT_TOO:
                    names.update(self.known_attributes(None))
                collection = _collection_of(on_records)
                if self.is_supplied(collection):
                    names.update(self._filled(self.extra_columns(collection), collection))
            self._cache[key] = frozenset(names)
        found: frozenset[str] = self._cache[key]
        return found

    def _filled(self, names: Sequence[str], collection: str) -> list[str]:
        if not names:
            return []
        nw = _narwhals()
        counts = self.rows(self.frame(collection).select(*[nw.col(n).count().alias(n) for n in names]))[0]
        return [n for n, c in zip(names, counts, strict=True) if c]

    def accounts_outside_every_value(self, segment: Segment) -> int:
        """Accounts with no value for an attribute ``segment`` reads."""
        if segment.is_all:
            return 0
        names = tuple(sorted(set(segment.attributes)))
        return sum(n for values, n in self.profile_counts(names).items() if None in values)

    def profile_counts(self, names: Sequence[str]) -> Mapping[tuple[Any, ...], int]:
        """The distinct combinations of values of ``names`` among the accounts, with how many have
        each (see `AdvocacyData.profile_counts`)."""
        key = ("profiles", tuple(names))
        if key not in self._cache:
            nw = _narwhals()
            picked = [f"_a{i}" for i in range(len(names))]
            # With the id beside them, attributes given as literals keep one row per account.
            frame = self.frame("accounts").select(
                nw.col("id"),
                *[self.account_attribute(n).alias(a) for n, a in zip(names, picked, strict=True)],
            )
            grouped = (
                frame.group_by(*picked, drop_null_keys=False).agg(nw.len().alias("_n")) if picked else None
            )
            counts: dict[tuple[Any, ...], int] = {}
            if grouped is None:
                counts[()] = int(self.rows(self.frame("accounts").select(nw.len()))[0][0])
            else:
                for row in self.rows(grouped):
                    values = tuple(plain(v) for v in row[:-1])
                    counts[values] = counts.get(values, 0) + int(row[-1])
            self._cache[key] = counts
        found: Mapping[tuple[Any, ...], int] = self._cache[key]
        return found

    def segment_profiles(self, names: Sequence[str]) -> list[Mapping[str, Any]]:
        """The distinct values of ``names`` among the accounts (what `SegmentsBy.resolve` reads)."""
        return [dict(zip(names, values, strict=True)) for values in self.profile_counts(names)]

    def unmatched_segment_warning(self, segment: Segment, on_records: type | None = None) -> str | None:
        """The warning for a segment that matches nothing (see `AdvocacyData.unmatched_segment_warning`)."""
        if segment.is_all:
            return None
        key = ("unmatched", segment, on_records)
        if key not in self._cache:
            names = tuple(sorted(set(segment.attributes)))
            if on_records is None:
                views = self.segment_profiles(names)
                what = "account"
            else:
                views = self.record_profiles(on_records, names)
                what = f"{on_records.__name__} record"
            matched = any(segment.matches(view) for view in views)
            self._cache[key] = None if matched else unmatched_note(segment, what, views)
        found: str | None = self._cache[key]
        return found

    def record_profiles(self, kind: type, names: Sequence[str]) -> list[Mapping[str, Any]]:
        """The distinct values of ``names`` among records of ``kind``: their account's where they
        have one (their own for the records segments always read on their own), else their own."""
        collection = _collection_of(kind)
        if not self.is_supplied(collection):
            return []
        nw = _narwhals()
        columns = self.columns(collection)
        kept = [c for c in ("account_id", *self.extra_columns(collection)) if c in columns]
        frame = self.frame(collection).select(*kept)
        own = [self.own_attribute(collection, n) for n in names]
        if "account_id" in columns and collection not in OWN_ATTRIBUTE_COLLECTIONS:
            accounts = self.frame("accounts").select(
                nw.col("id").alias("_acc"),
                *[self.account_attribute(n).alias(f"_b{i}") for i, n in enumerate(names)],
            )
            frame = frame.join(accounts, left_on="account_id", right_on="_acc", how="left")
            schema = frame.collect_schema()
            extra = set(self.extra_columns(collection))
            picked = [
                nw.when(nw.col("account_id").is_null())
                .then(nw.col(n).cast(schema[f"_b{i}"]))
                .otherwise(nw.col(f"_b{i}"))
                .alias(f"_a{i}")
                if n in extra
                else nw.col(f"_b{i}").alias(f"_a{i}")
                for i, n in enumerate(names)
            ]
        else:
            picked = [o.alias(f"_a{i}") for i, o in enumerate(own)]
        rows = self.rows(distinct(frame.with_columns(*picked), [f"_a{i}" for i in range(len(names))]))
        return [dict(zip(names, (plain(v) for v in row), strict=True)) for row in rows]

    # -- tables -------------------------------------------------------------------------------------

    def context(self, grid: Grid) -> TablesRun:
        """The run that computes blocks' tallies over ``grid`` on these tables."""
        return TablesRun(self, grid)

    def frame(self, name: str) -> Any:
        """A checked collection as a narwhals LazyFrame, instants in microseconds since the epoch."""
        found = self._frames.get(name)
        if found is None:
            found = self._frames[name] = self.tables.prepared(name)
        return found

    def columns(self, name: str) -> frozenset[str]:
        """The column names of a collection."""
        key = ("schema", name)
        if key not in self._cache:
            self._cache[key] = frozenset(self.tables.schema(name))
        found: frozenset[str] = self._cache[key]
        return found

    def extra_columns(self, name: str) -> list[str]:
        """The columns of a collection that are attributes (not fields of its record); none for a
        record that carries no attributes."""
        from advocacy_kpis.engines._tables import field_names, has_attributes

        return sorted(self.columns(name) - field_names(name)) if has_attributes(name) else []

    def account_attribute(self, name: str) -> Any:
        """The expression reading one segmenting attribute from the accounts table."""
        nw = _narwhals()
        if name in self.columns("accounts") and (name in ACCOUNT_FIELDS or name not in _ACCOUNT_FIELD_NAMES):
            return nw.col(name)
        return nw.lit(None, dtype=nw.String())

    def own_attribute(self, collection: str, name: str) -> Any:
        """The expression reading one of a record's own attributes (an extra column of its table)."""
        nw = _narwhals()
        if name in self.extra_columns(collection):
            return nw.col(name)
        return nw.lit(None, dtype=nw.String())

    def rows(self, frame: Any) -> list[tuple[Any, ...]]:
        """Collect a (small) lazy frame as Python rows."""
        return [tuple(row) for row in frame.collect().rows()]

    def small(self, data: Mapping[str, Sequence[int]]) -> Any:
        """A frame of integer columns on the tables' backend (and connection, or session)."""
        return self.tables.small(data)


OWN_ATTRIBUTE_COLLECTIONS: Final = frozenset({"reference_requests"})
"""Collections whose records join segments on their own attributes even when they name an account
(a reference request names the account that filled it; segments read what sales asked for)."""


def _collection_of(kind: type) -> str:
    for name, candidate in COLLECTIONS.items():
        if candidate is kind:
            return name
    raise ParameterError("kind", "engines", "a record class", kind)


class _Table:
    """A prepared collection as `Expr` compiles against it (absent optional fields read as nulls)."""

    def __init__(self, run: TablesRun, collection: str) -> None:
        self.run = run
        self.collection = collection
        self.present = run.engine.columns(collection)

    def column(self, name: str) -> Any:
        nw = _narwhals()
        if name in self.present:
            return nw.col(name)
        from advocacy_kpis.engines._tables import null_of

        # A null in every row, not a bare literal: a literal is one value, which narwhals will not
        # take as a filter or a row-wise column (every table has its ids).
        return nw.when(nw.col("id").is_null()).then(null_of(self.collection, name))

    def mark(self, marks: Marks) -> Any:
        return _narwhals().col(mark_column(marks)).fill_null(False)


def mark_column(marks: Marks) -> str:
    """The name of the boolean column a block joins in for a set of marked records."""
    return f"_m_{type(marks).__name__.lower()}"


class TablesRun:
    """One grid over one `Engine`: the plumbing the tables sides of the blocks share.

    Args:
        engine: the engine.
        grid: the grid.
    """

    def __init__(self, engine: Engine, grid: Grid) -> None:
        self.engine = engine
        self.grid = grid
        self.bounds: list[int] = [micros(b) for b in grid.bounds]
        self.names: tuple[str, ...] = grid.attributes
        self.attrs = [f"_a{i}" for i in range(len(self.names))]
        self._cache: dict[Hashable, Any] = {}

    @property
    def source(self) -> Engine:
        """The engine, as finishes read it."""
        return self.engine

    def tallies(self, block: Any, basis: RevenueBasis | None, params: Mapping[str, Any]) -> list[Any]:
        """The block's states of every cell (computed on first use)."""
        key = ("block", block.key(basis, params))
        found = self._cache.get(key)
        if found is None:
            found = block.on_tables(Run(self, basis, params))
            self._cache[key] = found
        states: list[Any] = found
        return states

    def cached(self, key: Hashable, build: Any) -> Any:
        """A value shared by the blocks of this grid (built on first use)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def nw(self) -> Any:
        """narwhals."""
        return _narwhals()

    def env(self, params: Mapping[str, Any]) -> Env:
        """What expressions read besides the row."""
        return Env(params, self.engine.as_of)

    def table(self, collection: str) -> _Table:
        """A collection as expressions compile against it."""
        return _Table(self, collection)

    def frame(self, collection: str) -> Any:
        """The prepared frame of a collection."""
        return self.engine.frame(collection)

    def has(self, collection: str) -> bool:
        """Whether the collection was supplied."""
        return self.engine.is_supplied(collection)

    # -- time ------------------------------------------------------------------------------------------

    def micros(self, instant: datetime) -> int:
        """An instant as the prepared frames hold it."""
        return micros(instant)

    def position(self, column: Any) -> Any:
        """How many window bounds lie at or before the instant (a non-null one): a balanced tree of
        comparisons, about log2(bounds) of them per row."""
        nw, bounds = self.nw, self.bounds

        def count(low: int, high: int) -> Any:
            if low == high:
                return nw.lit(low, dtype=nw.Int64())
            middle = (low + high) // 2
            return (
                nw.when(column >= bounds[middle]).then(count(middle + 1, high)).otherwise(count(low, middle))
            )

        return count(0, len(bounds))

    def in_grid(self, frame: Any, column: str) -> Any:
        """Rows stamped inside the grid's span, with their stretch ``_k``."""
        nw = self.nw
        t = nw.col(column)
        start, end = self.bounds[0], self.bounds[-1]
        return frame.filter(~t.is_null() & (t >= start) & (t < end)).with_columns(
            (self.position(t) - 1).cast(nw.Int64).alias("_k")
        )

    def start_position(self, w: int) -> int:
        """The position of window ``w``'s start: ``t < start`` is ``position(t) <= this``."""
        return self.bounds.index(micros(self.grid.windows[w].start))

    def end_position(self, w: int) -> int:
        """The position of window ``w``'s end."""
        return self.bounds.index(micros(self.grid.windows[w].end))

    def cover(self) -> Any:
        """(stretch ``_k``, window ``_w``, start position ``_js``, end position ``_je``) pairs."""

        def build() -> Any:
            ks: list[int] = []
            ws: list[int] = []
            js: list[int] = []
            je: list[int] = []
            for k, windows in enumerate(self.grid.stretches):
                for w in windows:
                    ks.append(k)
                    ws.append(w)
                    js.append(self.start_position(w))
                    je.append(self.end_position(w))
            return self.engine.small({"_k": ks, "_w": ws, "_js": js, "_je": je})

        return self.cached(("cover",), build)

    def windows_frame(self) -> Any:
        """Per window ``_w``: ``_ws`` and ``_we``, its start and end in microseconds."""

        def build() -> Any:
            windows = self.grid.windows
            return self.engine.small(
                {
                    "_w": list(range(len(windows))),
                    "_ws": [micros(w.start) for w in windows],
                    "_we": [micros(w.end) for w in windows],
                }
            )

        return self.cached(("windows",), build)

    # -- accounts and profiles -------------------------------------------------------------------------

    def accounts(self) -> Any:
        """Per account: ``_acc``, ``_since`` and ``_churn`` (microseconds; churn null when none),
        ``_ps`` and ``_pc`` (positions of customer_since and churned_at, ``len(bounds) + 1`` when
        not churned) and the profile columns."""

        def build() -> Any:
            nw, engine = self.nw, self.engine
            frame = engine.frame("accounts")
            present = engine.columns("accounts")
            churn_col = nw.col("churned_at") if "churned_at" in present else nw.lit(None, dtype=nw.Int64())
            churn = (
                nw.when(churn_col.is_null())
                .then(nw.lit(len(self.bounds) + 1))
                .otherwise(self.position(churn_col))
            )
            return frame.select(
                nw.col("id").alias("_acc"),
                nw.col("customer_since").alias("_since"),
                churn_col.alias("_churn"),
                self.position(nw.col("customer_since")).alias("_ps"),
                churn.cast(nw.Int64).alias("_pc"),
                *[engine.account_attribute(n).alias(a) for n, a in zip(self.names, self.attrs, strict=True)],
            )

        return self.cached(("accounts",), build)

    def with_profile(self, frame: Any, account: str = "account_id", how: str = "inner") -> Any:
        """Rows with their account's profile columns (no join when the grid reads no attribute)."""
        if not self.names:
            return frame
        profile = self.accounts().select("_acc", *self.attrs)
        return frame.join(profile, left_on=account, right_on="_acc", how=how)

    def with_record_profile(self, frame: Any, collection: str, own: bool) -> Any:
        """Rows with their profile columns: their own attributes (``own``, or no account), else
        their account's (as `Records.record_profile` reads them)."""
        if not self.names:
            return frame
        nw, engine = self.nw, self.engine
        own_values = [engine.own_attribute(collection, n) for n in self.names]
        if own or "account_id" not in engine.columns(collection):
            return frame.with_columns(*[v.alias(a) for v, a in zip(own_values, self.attrs, strict=True)])
        profile = self.accounts().select("_acc", *[nw.col(a).alias(f"_b{a}") for a in self.attrs])
        joined = frame.join(profile, left_on="account_id", right_on="_acc", how="left")
        extra = set(engine.extra_columns(collection))
        schema = self.accounts().collect_schema()
        columns = []
        for name, attr in zip(self.names, self.attrs, strict=True):
            from_account = nw.col(f"_b{attr}")
            if name not in extra:
                # No attribute of its own: a record with no account is in no segment on it.
                columns.append(from_account.alias(attr))
                continue
            own_value = nw.col(name).cast(schema[attr])
            columns.append(
                nw.when(nw.col("account_id").is_null()).then(own_value).otherwise(from_account).alias(attr)
            )
        return joined.with_columns(*columns)

    def pid(self, values: Sequence[Any]) -> int:
        """The grid's profile number for a row's attribute values."""
        return self.grid.profile_of(tuple(plain(v) for v in values))

    # -- sets of accounts and records ------------------------------------------------------------------

    def referred(self) -> Any:
        """``_acc`` of the accounts acquired through a referral."""

        def build() -> Any:
            nw, engine = self.nw, self.engine
            accounts = engine.frame("accounts")
            marks = []
            if "acquisition_channel" in engine.columns("accounts"):
                marks.append(
                    accounts.filter(nw.col("acquisition_channel") == "referral").select(
                        nw.col("id").alias("_acc")
                    )
                )
            if self.has("referrals") and "converted_account_id" in engine.columns("referrals"):
                named = engine.frame("referrals").filter(~nw.col("converted_account_id").is_null())
                marks.append(named.select(nw.col("converted_account_id").alias("_acc")))
            if not marks:
                return accounts.head(0).select(nw.col("id").alias("_acc"))
            union = marks[0] if len(marks) == 1 else nw.concat(marks, how="vertical")
            return distinct(union)

        return self.cached(("referred",), build)

    def accounts_where(self, condition: Expr) -> Any:
        """``_acc`` of the accounts whose fields meet ``condition``."""
        frame = self.frame("accounts").filter(
            condition.narwhals(self.table("accounts"), self.env({})).fill_null(False)
        )
        return frame.select(self.nw.col("id").alias("_acc"))

    def marked(self, marks: Marks) -> Any:
        """``id`` of the records ``marks`` singles out, with the boolean column `mark_column` True."""
        return self.cached(
            ("marked", marks),
            lambda: distinct(marks.frame(self)).with_columns(self.nw.lit(True).alias(mark_column(marks))),
        )

    def with_marks(self, frame: Any, exprs: Iterable[Expr | None]) -> Any:
        """``frame`` with the boolean column of every set of marked records the expressions read."""
        found: set[Marks] = set()
        for expr in exprs:
            if expr is not None:
                found |= expr.marks_read()
        for marks in sorted(found, key=mark_column):
            frame = frame.join(self.marked(marks), on="id", how="left")
        return frame

    # -- grouping ----------------------------------------------------------------------------------------

    def distinct(self, frame: Any, columns: Sequence[str] | None = None) -> Any:
        """The distinct rows of ``frame`` (keeping ``columns``, all when None); see `distinct`."""
        return distinct(frame, columns)

    def grouped(self, frame: Any, keys: Sequence[str], sums: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Group by ``keys``; each named value is summed (None: rows counted). Rows of
        ``(keys..., sums...)``. Values are computed before grouping, so every backend sees
        elementary aggregations."""
        nw = self.nw
        values = {f"_v{i}": e for i, e in enumerate(sums.values()) if e is not None}
        if values:
            frame = frame.with_columns(*[e.alias(n) for n, e in values.items()])
        aggregations = [
            nw.len().alias(name) if e is None else nw.col(f"_v{i}").sum().alias(name)
            for i, (name, e) in enumerate(sums.items())
        ]
        if not keys:
            return self.engine.rows(frame.select(*aggregations))
        return self.engine.rows(frame.group_by(*keys, drop_null_keys=False).agg(*aggregations))

    def indicator(self, condition: Any) -> Any:
        """A row value that sums to how many rows meet ``condition`` (a null counts as not)."""
        return condition.fill_null(False).cast(self.nw.Int64)

    def slot(self, k: Any, values: Sequence[Any]) -> int:
        """The grid slot of a stretch and a row's profile values."""
        return self.pid(values) * len(self.grid.stretches) + int(k)

    def window_counts(self, frame: Any, value: Any = None) -> list[int]:
        """Per cell, the rows (or the sum of ``value``) of a frame carrying ``_w`` and the profile columns."""
        grid = self.grid
        counts: dict[int, int] = {}
        na = len(self.attrs)
        for row in self.grouped(frame, ["_w", *self.attrs], {"n": value}):
            key = grid.window_slot(int(row[0]), self.pid(row[1 : 1 + na]))
            counts[key] = counts.get(key, 0) + int(row[-1] or 0)
        return grid.spread_windows(counts, 0)

    def micros_span(self, span: timedelta) -> int:
        """A duration as the prepared frames measure it."""
        return micros(span)

    def stretch_counts(self, frame: Any, value: Any = None) -> list[int]:
        """Per cell, the rows (or the sum of ``value``) of a frame carrying ``_k`` and the profile columns."""
        counts: dict[int, int] = {}
        na = len(self.attrs)
        for row in self.grouped(frame, ["_k", *self.attrs], {"n": value}):
            key = self.slot(row[0], row[1 : 1 + na])
            counts[key] = counts.get(key, 0) + int(row[-1] or 0)
        return self.grid.spread(counts, 0)

    def window_positions(self) -> Any:
        """Per window ``_w``: the positions ``_js`` and ``_je`` of its start and end."""

        def build() -> Any:
            windows = range(len(self.grid.windows))
            return self.engine.small(
                {
                    "_w": list(windows),
                    "_js": [self.start_position(w) for w in windows],
                    "_je": [self.end_position(w) for w in windows],
                }
            )

        return self.cached(("window_positions",), build)

    # -- run rates ---------------------------------------------------------------------------------------

    def contracts(self) -> Any:
        """The contracts with ``_acc``, ``currency``, ``_arr`` (Decimal), ``_start`` and ``_end``
        (microseconds) and the positions ``_pstart`` and ``_pend`` of start and end."""

        def build() -> Any:
            nw = self.nw
            return self.frame("contracts").select(
                nw.col("id"),
                nw.col("account_id").alias("_acc"),
                nw.col("currency"),
                self.money("contracts", "arr").alias("_arr"),
                nw.col("start").alias("_start"),
                nw.col("end").alias("_end"),
                self.position(nw.col("start")).alias("_pstart"),
                self.position(nw.col("end")).alias("_pend"),
            )

        return self.cached(("contracts",), build)

    def rates_at_bounds(self) -> Any:
        """Per account, window bound ``_i`` and currency: ``_arr``, the ARR of its contracts live at
        that bound (``start < bound <= end``, so ``position(start) <= i < position(end)``)."""

        def build() -> Any:
            nw = self.nw
            indices = self.engine.small({"_i": list(range(len(self.bounds)))})
            live = (
                self.contracts()
                .join(indices, how="cross")
                .filter((nw.col("_pstart") <= nw.col("_i")) & (nw.col("_i") < nw.col("_pend")))
            )
            return live.group_by("_acc", "_i", "currency").agg(nw.col("_arr").sum())

        return self.cached(("rates_at_bounds",), build)

    def rates_at_churn(self) -> Any:
        """Per churned account and currency: ``_arr``, the ARR of its contracts live at its churn."""

        def build() -> Any:
            nw = self.nw
            churned = self.accounts().filter(~nw.col("_churn").is_null()).select("_acc", "_churn")
            live = (
                self.contracts()
                .join(churned, on="_acc", how="inner")
                .filter((nw.col("_start") < nw.col("_churn")) & (nw.col("_churn") <= nw.col("_end")))
            )
            return live.group_by("_acc", "currency").agg(nw.col("_arr").sum())

        return self.cached(("rates_at_churn",), build)

    def window_money(self, frames: Sequence[Any], basis: RevenueBasis) -> list[Decimal]:
        """Per cell, the money ``_arr`` of rows carrying ``_w``, ``currency`` and the profile
        columns, converted to the basis currency (contracts name the currency without a rate)."""
        grid = self.grid
        na = len(self.attrs)
        sums: dict[tuple[int, str], Decimal] = {}
        for frame in frames:
            for row in self.grouped(frame, ["_w", *self.attrs, "currency"], {"_arr": self.nw.col("_arr")}):
                key = (grid.window_slot(int(row[0]), self.pid(row[1 : 1 + na])), str(row[1 + na]))
                sums[key] = sums.get(key, Decimal(0)) + decimal_of(row[-1])
        converted: dict[int, Decimal] = {}
        for (slot, currency), amount in sums.items():
            value = self.convert({currency: amount}, basis, "contracts", self.first_in_currency)
            converted[slot] = converted.get(slot, Decimal(0)) + value
        return grid.spread_windows(converted, Decimal(0))

    def first_in_currency(self, currency: str, collection: str = "contracts") -> str:
        """The id of the earliest record of a collection in ``currency`` (by event time, then id)."""
        from advocacy_kpis.data import EVENT_TIME

        nw = self.nw
        time = EVENT_TIME[COLLECTIONS[collection]]
        rows = self.engine.rows(
            self.frame(collection)
            .filter(nw.col("currency") == currency)
            .sort(time, "id")
            .select("id")
            .head(1)
        )
        return str(rows[0][0]) if rows else "?"

    # -- money ------------------------------------------------------------------------------------------

    def money(self, collection: str, column: str) -> Any:
        """The expression reading a money column as Decimal(38, scale), after checking that sums of it
        stay exact (see `money_bound`)."""
        return self.engine.tables.money_expression(collection, column)

    def convert(
        self, sums: Mapping[str, Decimal], basis: RevenueBasis, collection: str, first_of: Any
    ) -> Decimal:
        """Sums by currency converted to the basis currency; a currency with no rate raises, naming
        the first record in it (``first_of(currency)`` gives that record's id)."""
        total = Decimal(0)
        for currency, amount in sums.items():
            if basis.rate(currency) is None:
                raise CurrencyMismatchError(
                    currency, basis.currency, f"{COLLECTIONS[collection].__name__} {first_of(currency)!r}"
                )
            total += basis.convert(amount, currency)
        return total


def decimal_of(value: Any) -> Decimal:
    """A backend's sum as an exact Decimal (integers and Decimals as they are)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    raise InvalidRecordError("money", "sum", value, "an exact Decimal or integer sum")


def backend_module(name: str) -> Any:
    """Import a backend's own module by name."""
    return importlib.import_module(name)
