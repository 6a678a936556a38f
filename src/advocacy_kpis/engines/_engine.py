"""The narwhals engine: each metric's tally computed where the tables live.

One implementation covers every backend narwhals drives. Time is cut at the grid's window
bounds: a timestamp's *position* is the number of bounds at or before it, and the stretch
between two consecutive bounds is the position minus one. Records are counted per (stretch,
attribute profile) with a group-by in the backend; the few rows that come back are spread over
the cells in Python by the same `Grid.spread` the Python tallies use. Where a tally needs each
window (a respondent's latest answer, accounts with an event in the window), rows are joined
with a small frame of (stretch, window) pairs. Cohort counts come from a histogram of the
accounts' (position of ``customer_since``, position of ``churned_at``, profile): a customer at
a window bound is then a comparison of positions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from advocacy_kpis import catalog
from advocacy_kpis.data import _ACCOUNT_FIELDS
from advocacy_kpis.engines._tables import Tables, _narwhals, _python, account_fields
from advocacy_kpis.errors import CurrencyMismatchError, EngineNotSupportedError
from advocacy_kpis.formulas import is_satisfied, nps_category
from advocacy_kpis.grid import Grid
from advocacy_kpis.metrics._common import observation
from advocacy_kpis.scope import BasisKind, RevenueBasis, Segment
from advocacy_kpis.tally import Definition, Tally

__all__ = ["SUPPORTED", "UNSUPPORTED", "Engine", "EngineNotSupportedError"]


_NAMES: Final = {"pyspark": "pyspark", "pyspark_connect": "pyspark", "duckdb": "duckdb"}


class Engine:
    """Computes tallies from one `Tables`.

    Args:
        tables: the tables.
    """

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.name = tables.backend
        self._cache: dict[Any, Any] = {}

    # -- plumbing ------------------------------------------------------------------------------

    def frame(self, name: str) -> Any:
        """A checked collection as a narwhals LazyFrame."""
        return self.tables.lazy(name)

    def has(self, name: str) -> bool:
        """Whether the collection was supplied."""
        return name in self.tables

    def columns(self, name: str) -> set[str]:
        """The column names of a collection."""
        key = ("schema", name)
        if key not in self._cache:
            self._cache[key] = set(self.tables._lazy[name].collect_schema())
        found: set[str] = self._cache[key]
        return found

    def rows(self, frame: Any) -> list[tuple[Any, ...]]:
        """Collect a (small) lazy frame as Python rows."""
        return [tuple(_python(v) for v in row) for row in frame.collect().rows()]

    def small(self, data: Mapping[str, Sequence[int]]) -> Any:
        """A frame of integer columns on the tables' backend (and connection, or session)."""
        nw = _narwhals()
        names = list(data)
        backend = self.name
        if backend == "polars":
            import polars as pl

            return nw.from_native(
                pl.LazyFrame({n: list(data[n]) for n in names}, schema=dict.fromkeys(names, pl.Int64))
            )
        if backend in ("pandas", "modin", "cudf"):
            pd = importlib.import_module("pandas")

            return nw.from_native(
                pd.DataFrame({n: pd.Series(list(data[n]), dtype="int64") for n in names})
            ).lazy()
        if backend == "pyarrow":
            pa = importlib.import_module("pyarrow")

            return nw.from_native(pa.table({n: pa.array(list(data[n]), pa.int64()) for n in names})).lazy()
        native = self.tables._lazy["accounts"].to_native()
        size = len(data[names[0]]) if names else 0
        if backend == "duckdb":
            if size:
                values = ", ".join(
                    "(" + ", ".join(f"CAST({int(data[n][i])} AS BIGINT)" for n in names) + ")"
                    for i in range(size)
                )
                sql = f"SELECT * FROM (VALUES {values}) AS v({', '.join(names)})"
            else:
                sql = "SELECT " + ", ".join(f"CAST(NULL AS BIGINT) AS {n}" for n in names) + " WHERE FALSE"
            return nw.from_native(native.query("_advocacy_kpis_unused", sql))
        if backend in ("pyspark", "pyspark_connect", "sqlframe"):
            rows = [tuple(int(data[n][i]) for n in names) for i in range(size)]
            schema = ", ".join(f"{n} long" for n in names)
            return nw.from_native(native.sparkSession.createDataFrame(rows, schema=schema))
        raise EngineNotSupportedError(
            "every metric", backend, "this backend has no way to build a small frame here"
        )

    # -- segments ------------------------------------------------------------------------------

    def extra_attributes(self) -> list[str]:
        """Account columns that are attributes (not fields of `Account`)."""
        return sorted(self.columns("accounts") - account_fields())

    def attribute(self, name: str) -> Any:
        """The expression reading one segmenting attribute from the accounts table."""
        nw = _narwhals()
        if name in self.columns("accounts") and (name in _ACCOUNT_FIELDS or name not in account_fields()):
            return nw.col(name)
        return nw.lit(None, dtype=nw.String())

    def known_attributes(self, on_records: type | None) -> frozenset[str]:
        """The attributes a segment may name: account fields and attribute columns with a value."""
        key = ("known", on_records)
        if key not in self._cache:
            nw = _narwhals()
            extra = self.extra_attributes()
            names = set(_ACCOUNT_FIELDS)
            if extra:
                counts = self.rows(
                    self.frame("accounts").select(*[nw.col(n).count().alias(n) for n in extra])
                )[0]
                names.update(n for n, c in zip(extra, counts, strict=True) if c)
            self._cache[key] = frozenset(names)
        found: frozenset[str] = self._cache[key]
        return found

    def outside(self, segment: Segment) -> int:
        """Accounts with no value for an attribute ``segment`` reads."""
        if segment.is_all:
            return 0
        names = tuple(sorted(set(segment.attributes)))
        key = ("outside", names)
        if key not in self._cache:
            nw = _narwhals()
            missing = nw.col("id").is_null()  # never true: a column keeps the count per row
            for name in names:
                missing = missing | self.attribute(name).is_null()
            frame = self.frame("accounts").select(missing.cast(nw.Int64).alias("m")).select(nw.col("m").sum())
            self._cache[key] = int(self.rows(frame)[0][0] or 0)
        found: int = self._cache[key]
        return found

    def profiles(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """The distinct combinations of values of ``names`` among the accounts."""
        picked = [f"_a{i}" for i in range(len(names))]
        frame = (
            self.frame("accounts")
            .with_columns(*[self.attribute(n).alias(a) for n, a in zip(names, picked, strict=True)])
            .select(*picked)
        )
        return [dict(zip(names, row, strict=True)) for row in self.rows(frame.unique())]

    # -- tallies -------------------------------------------------------------------------------

    def tallies(
        self, definition: Definition, grid: Grid, basis: RevenueBasis | None, params: Mapping[str, Any]
    ) -> list[Tally]:
        """Every cell's tally of ``definition`` over ``grid``, computed in the backend.

        Raises:
            EngineNotSupportedError: the metric, or this variant of it, has no engine tally yet.
        """
        metric = definition.id
        found = _TALLIES.get(metric)
        if found is None:
            reason = UNSUPPORTED.get(metric, "no engine tally is written for it")
            raise EngineNotSupportedError(metric, self.name, reason)
        tally, takes_basis = found
        if basis is not None and not takes_basis:
            raise EngineNotSupportedError(
                metric,
                self.name,
                f"weighting by revenue ({basis.name}) reads every account's run rate at every window bound",
            )
        if basis is not None and basis.kind is not BasisKind.ARR:
            raise EngineNotSupportedError(
                metric, self.name, f"only an ARR basis is computed in the engine, not {basis.kind.name}"
            )
        return tally(_Run(self, grid, basis, params))


class _Run:
    """One metric over one grid: the expressions and spreads its tally needs."""

    def __init__(
        self, engine: Engine, grid: Grid, basis: RevenueBasis | None, params: Mapping[str, Any]
    ) -> None:
        self.engine = engine
        self.grid = grid
        self.basis = basis
        self.params = params
        self.nw = _narwhals()
        self.bounds: Sequence[datetime] = grid.bounds
        self.names: tuple[str, ...] = grid.attributes
        self.attrs = [f"_a{i}" for i in range(len(self.names))]

    # positions and stretches

    def position(self, column: str) -> Any:
        """How many window bounds lie at or before the column's instant (a non-null one).

        A balanced tree of comparisons: about log2(bounds) of them per row.
        """
        nw = self.nw
        t = nw.col(column)

        def count(low: int, high: int) -> Any:
            if low == high:
                return nw.lit(low, dtype=nw.Int64())
            middle = (low + high) // 2
            return (
                nw.when(t >= self.bounds[middle]).then(count(middle + 1, high)).otherwise(count(low, middle))
            )

        return count(0, len(self.bounds))

    def in_grid(self, frame: Any, column: str) -> Any:
        """Rows stamped inside the grid's span, with their stretch ``_k``."""
        nw = self.nw
        t = nw.col(column)
        return frame.filter(~t.is_null() & (t >= self.grid.start) & (t < self.grid.end)).with_columns(
            (self.position(column) - 1).cast(nw.Int64).alias("_k")
        )

    def cover(self) -> Any:
        """(stretch ``_k``, window ``_w``, position of its start ``_js`` and of its end ``_je``) pairs."""

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

        return self.grid.cached(("engine-cover",), build)

    def start_position(self, w: int) -> int:
        """The position of window ``w``'s start: ``since < start`` is ``position(since) <= this``."""
        return self.bounds.index(self.grid.windows[w].start)

    def end_position(self, w: int) -> int:
        """The position of window ``w``'s end."""
        return self.bounds.index(self.grid.windows[w].end)

    # accounts

    def accounts(self) -> Any:
        """Per account: ``_acc``, ``_ps`` and ``_pc`` (positions of customer_since and churned_at,
        ``len(bounds) + 1`` when not churned), ``_icp`` and the profile columns."""

        def build() -> Any:
            nw, engine = self.nw, self.engine
            frame = engine.frame("accounts")
            churn = (
                nw.when(nw.col("churned_at").is_null())
                .then(nw.lit(len(self.bounds) + 1))
                .otherwise(self.position("churned_at"))
                if "churned_at" in engine.columns("accounts")
                else nw.lit(len(self.bounds) + 1)
            )
            known = "icp" in engine.columns("accounts")
            icp = nw.col("icp").fill_null(False) if known else nw.lit(False)
            unrecorded = nw.col("icp").is_null() if known else nw.lit(True)
            return frame.select(
                nw.col("id").alias("_acc"),
                self.position("customer_since").alias("_ps"),
                churn.cast(nw.Int64).alias("_pc"),
                icp.alias("_icp"),
                unrecorded.alias("_icpn"),
                *[engine.attribute(n).alias(a) for n, a in zip(self.names, self.attrs, strict=True)],
            )

        return self.grid.cached(("engine-accounts",), build)

    def referred(self) -> Any:
        """``_acc`` of the accounts acquired through a referral, with ``_ref`` True."""
        nw, engine = self.nw, self.engine
        accounts = engine.frame("accounts")
        marks = []
        if "acquisition_channel" in engine.columns("accounts"):
            marks.append(
                accounts.filter(nw.col("acquisition_channel") == "referral").select(
                    nw.col("id").alias("_acc")
                )
            )
        if engine.has("referrals") and "converted_account_id" in engine.columns("referrals"):
            named = engine.frame("referrals").filter(~nw.col("converted_account_id").is_null())
            marks.append(named.select(nw.col("converted_account_id").alias("_acc")))
        if not marks:
            return accounts.filter(nw.lit(False)).select(
                nw.col("id").alias("_acc"), nw.lit(True).alias("_ref")
            )
        union = marks[0] if len(marks) == 1 else nw.concat(marks, how="vertical")
        return union.unique().with_columns(nw.lit(True).alias("_ref"))

    def with_profile(self, frame: Any, account: str = "account_id") -> Any:
        """Rows with their account's profile columns (no join when the grid reads no attribute)."""
        if not self.names:
            return frame
        profile = self.accounts().select("_acc", *self.attrs)
        return frame.join(profile, left_on=account, right_on="_acc", how="inner")

    def pid(self, values: Sequence[Any]) -> int:
        """The grid's profile number for a row's attribute values."""
        return self.grid.profile_of(tuple(values))

    # spreading

    def aggregate(self, frame: Any, keys: Sequence[str], aggregates: Mapping[str, Any]) -> Any:
        """Group by ``keys``; each aggregate sums a row value (None: counts the rows).

        Row values are computed before grouping, so every backend sees elementary aggregations.
        """
        nw = self.nw
        values = {f"_v{i}": e for i, e in enumerate(aggregates.values()) if e is not None}
        if values:
            frame = frame.with_columns(*[e.alias(n) for n, e in values.items()])
        sums = []
        for i, (name, e) in enumerate(aggregates.items()):
            sums.append(nw.len().alias(name) if e is None else nw.col(f"_v{i}").sum().alias(name))
        return frame.group_by(*keys).agg(*sums)

    def by_slot(
        self, frame: Any, aggregates: Mapping[str, Any], extra: Sequence[str] = ()
    ) -> list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]:
        """Group rows with ``_k`` and the profile columns; return (slot, extra keys, values)."""
        grouped = self.aggregate(frame, ["_k", *self.attrs, *extra], aggregates)
        na, ne = len(self.attrs), len(extra)
        out = []
        stretches = len(self.grid.stretches)
        for row in self.engine.rows(grouped):
            k = int(row[0])
            key = self.pid(row[1 : 1 + na]) * stretches + k
            out.append((key, row[1 + na : 1 + na + ne], row[1 + na + ne :]))
        return out

    def slot_counts(self, frame: Any, aggregates: Mapping[str, Any]) -> dict[str, list[int]]:
        """Per aggregate, its per-cell sums (spread from the (stretch, profile) slots)."""
        sums: dict[str, dict[int, int]] = {name: {} for name in aggregates}
        for key, _, values in self.by_slot(frame, aggregates):
            for name, value in zip(aggregates, values, strict=True):
                sums[name][key] = sums[name].get(key, 0) + int(value or 0)
        return {name: self.grid.spread(values, 0) for name, values in sums.items()}

    def window_counts(self, frame: Any, aggregates: Mapping[str, Any]) -> dict[str, list[int]]:
        """Per aggregate, per-cell sums of rows carrying a window ``_w`` and the profile columns."""
        grouped = self.aggregate(frame, ["_w", *self.attrs], aggregates)
        sums: dict[str, dict[int, int]] = {name: {} for name in aggregates}
        na = len(self.attrs)
        for row in self.engine.rows(grouped):
            key = self.grid.window_slot(int(row[0]), self.pid(row[1 : 1 + na]))
            for name, value in zip(aggregates, row[1 + na :], strict=True):
                sums[name][key] = sums[name].get(key, 0) + int(value or 0)
        return {name: self.grid.spread_windows(values, 0) for name, values in sums.items()}

    def total(self, condition: Any) -> Any:
        """A row value that sums to how many rows meet ``condition`` (a null counts as not)."""
        nw = self.nw
        return condition.fill_null(False).cast(nw.Int64)

    def empty(self, **values: Any) -> list[Tally]:
        """Fresh tallies, one per cell."""
        return [dict(values) for _ in range(self.grid.n_cells)]


# -- cohorts -----------------------------------------------------------------------------------


def _cohorts(run: _Run, only: str | None) -> list[Tally]:
    """Per cell: S, E, N, churned, S ∩ E, S \\ E and active counts (see `Grid.cohorts`).

    ``only`` restricts the accounts: ``"referred"`` or ``"icp"``.
    """
    key = ("engine-cohorts", only)
    return [dict(t) for t in run.grid.cached(key, lambda: _build_cohorts(run, only))]


def _build_cohorts(run: _Run, only: str | None) -> list[Tally]:
    nw, grid = run.nw, run.grid
    accounts = run.accounts()
    if only == "referred":
        accounts = accounts.join(run.referred(), on="_acc", how="inner")
    elif only == "icp":
        accounts = accounts.filter(nw.col("_icp"))
    elif only == "icp_unrecorded":
        accounts = accounts.filter(nw.col("_icpn"))
    hist = accounts.group_by("_ps", "_pc", *run.attrs).agg(nw.len().alias("_n"))
    size = len(run.bounds) + 2
    since: dict[int, list[int]] = {}
    churn: dict[int, list[int]] = {}
    joint: dict[int, list[list[int]]] = {}
    na = len(run.attrs)
    for row in run.engine.rows(hist):
        ps, pc, n = int(row[0]), int(row[1]), int(row[-1])
        pid = run.pid(row[2 : 2 + na])
        if pid not in since:
            since[pid], churn[pid] = [0] * size, [0] * size
            joint[pid] = [[0] * size for _ in range(size)]
        since[pid][ps] += n
        churn[pid][pc] += n
        joint[pid][ps][pc] += n
    prefix_since = {p: _prefix(v) for p, v in since.items()}
    prefix_churn = {p: _prefix(v) for p, v in churn.items()}
    prefix_joint = {p: _prefix2(v) for p, v in joint.items()}
    names = ("start", "end", "new", "churned", "retained", "churned_from_start", "active")
    out: list[Tally] = [dict.fromkeys(names, 0) for _ in range(grid.n_cells)]
    ns = grid.n_segments
    for w in range(len(grid.windows)):
        js, je = run.start_position(w), run.end_position(w)
        for pid, s_le in prefix_since.items():
            c_le, both = prefix_churn[pid], prefix_joint[pid]
            start = s_le[js] - c_le[js]
            from_start = both[js][je] - both[js][js]
            counts = {
                "start": start,
                "end": s_le[je] - c_le[je],
                "new": s_le[je] - s_le[js],
                "churned": c_le[je] - c_le[js],
                "retained": start - from_start,
                "churned_from_start": from_start,
                "active": s_le[je] - c_le[js],
            }
            for s in grid.profile_segments(pid):
                cell = out[w * ns + s]
                for name, value in counts.items():
                    cell[name] += value
    return out


def _prefix(values: list[int]) -> list[int]:
    out, total = [], 0
    for value in values:
        total += value
        out.append(total)
    return out


def _prefix2(table: list[list[int]]) -> list[list[int]]:
    """``out[a][b]``: the sum of ``table[i][j]`` over ``i <= a`` and ``j <= b``."""
    rows = [_prefix(row) for row in table]
    out = [rows[0]]
    for row in rows[1:]:
        out.append([x + y for x, y in zip(out[-1], row, strict=True)])
    return out


def _referred_cohorts(run: _Run) -> list[Tally]:
    every = _cohorts(run, None)
    referred = _cohorts(run, "referred")
    for whole, part in zip(every, referred, strict=True):
        whole.update({f"referred_{name}": value for name, value in part.items()})
    return every


# -- accounts with events in a window -----------------------------------------------------------


def _events(run: _Run, sources: Sequence[tuple[str, str, Any]]) -> Any:
    """``(account_id, _k)`` of the events of each (collection, time column, filter) in the grid."""
    nw = run.nw
    parts = []
    for name, column, keep in sources:
        frame = run.engine.frame(name)
        if keep is not None:
            frame = frame.filter(keep.fill_null(False))
        parts.append(run.in_grid(frame.select("account_id", column), column).select("account_id", "_k"))
    return parts[0] if len(parts) == 1 else nw.concat(parts, how="vertical")


def _hits(run: _Run, events: Any, population: str, only: str | None = None) -> list[int]:
    """Per cell: accounts with an event in the window that belong to ``population`` there.

    ``population`` is ``"active"`` (a customer at some instant of the window) or ``"any"``.
    """
    nw = run.nw
    pairs = events.unique().join(run.cover().select("_k", "_w", "_js", "_je"), on="_k", how="inner")
    pairs = pairs.select("account_id", "_w", "_js", "_je").unique()
    accounts = run.accounts()
    joined = pairs.join(accounts, left_on="account_id", right_on="_acc", how="inner")
    if only == "icp":
        joined = joined.filter(nw.col("_icp"))
    if population == "active":
        joined = joined.filter((nw.col("_ps") <= nw.col("_je")) & (nw.col("_pc") > nw.col("_js")))
    return run.window_counts(joined, {"n": None})["n"]


def _active_share(run: _Run, sources: Sequence[tuple[str, str, Any]], only: str | None = None) -> list[Tally]:
    tallies = _cohorts(run, only)
    hits = _hits(run, _events(run, sources), "active", only)
    for c, tally in enumerate(tallies):
        tally["hits"] = hits[c]
    return tallies


# -- the metrics -------------------------------------------------------------------------------


def _nps(run: _Run) -> list[Tally]:
    nw = run.nw
    surveys = run.engine.frame("surveys")
    respondent = (
        nw.col("respondent_id").fill_null("")
        if "respondent_id" in run.engine.columns("surveys")
        else nw.lit("")
    )
    answers = run.in_grid(
        surveys.filter(nw.col("kind") == "nps").select(
            "account_id", respondent.alias("_who"), nw.col("score").cast(nw.Int64), "responded_at"
        ),
        "responded_at",
    )
    spread = answers.join(run.cover().select("_k", "_w"), on="_k", how="inner")
    latest = run.with_profile(_latest_answers(run, spread))
    score = nw.col("_score")
    groups = run.window_counts(
        latest,
        {
            "answers": nw.col("_n"),
            **{
                f"{group}s": run.total(score.is_in([s for s in range(11) if nps_category(s) == group]))
                for group in ("promoter", "passive", "detractor")
            },
        },
    )
    return [{name: groups[name][c] for name in _NPS_KEYS} for c in range(run.grid.n_cells)]


_NPS_KEYS: Final = ("answers", "promoters", "passives", "detractors")

_NO_DURATIONS: Final = frozenset({"pyspark", "pyspark_connect", "sqlframe"})
"""Backends where narwhals cannot read a duration in microseconds."""


def _latest_answers(run: _Run, spread: Any) -> Any:
    """Per (account, respondent, window): the latest answer's ``_score`` and the answers ``_n``.

    Ties at one instant keep the higher score. Where durations can be read, one group-by over a
    key of the time in microseconds from the grid's start with the score (0-10) in its last four
    bits; elsewhere the latest instant is found first and joined back.
    """
    nw = run.nw
    who = ["account_id", "_who", "_w"]
    if run.engine.name not in _NO_DURATIONS:
        key = (nw.col("responded_at") - run.grid.start).dt.total_microseconds() * 16 + nw.col("score")
        return (
            spread.with_columns(key.alias("_key"))
            .group_by(*who)
            .agg(nw.col("_key").max(), nw.len().alias("_n"))
            .with_columns((nw.col("_key") % 16).alias("_score"))
        )
    last = spread.group_by(*who).agg(nw.col("responded_at").max().alias("_last"), nw.len().alias("_n"))
    return (
        spread.join(last, on=who, how="inner")
        .filter(nw.col("responded_at") == nw.col("_last"))
        .group_by(*who)
        .agg(nw.col("score").max().alias("_score"), nw.col("_n").max())
    )


def _csat(run: _Run) -> list[Tally]:
    nw = run.nw
    frame = (
        run.engine.frame("surveys")
        .filter(nw.col("kind") == "csat")
        .select("account_id", nw.col("score").cast(nw.Int64), "responded_at")
    )
    rows = run.with_profile(run.in_grid(frame, "responded_at"))
    satisfied = [s for s in range(1, 6) if is_satisfied(s)]
    counts = run.slot_counts(
        rows,
        {
            "satisfied": run.total(nw.col("score").is_in(satisfied)),
            "responses": None,
            "score_sum": nw.col("score"),
        },
    )
    return [
        {
            "satisfied": counts["satisfied"][c],
            "responses": counts["responses"][c],
            "score_sum": counts["score_sum"][c],
        }
        for c in range(run.grid.n_cells)
    ]


def _shares(run: _Run) -> list[Tally]:
    nw, grid = run.nw, run.grid
    frame = run.engine.frame("social_shares")
    channel = (
        nw.col("channel").fill_null("unknown")
        if "channel" in run.engine.columns("social_shares")
        else nw.lit("unknown")
    )
    rows = run.with_profile(
        run.in_grid(frame.select("account_id", "shared_at", channel.alias("_ch")), "shared_at")
    )
    tallies = run.empty()
    for tally in tallies:
        tally.update(shares=0, accounts=set(), by_channel={})
    ns, stretches = grid.n_segments, len(grid.stretches)
    for key, (channel_name,), (count,) in run.by_slot(rows, {"n": None}, extra=("_ch",)):
        profile, k = divmod(key, stretches)
        for w in grid.stretches[k]:
            for s in grid.profile_segments(profile):
                tally = tallies[w * ns + s]
                tally["shares"] += int(count)
                tally["by_channel"][channel_name] = tally["by_channel"].get(channel_name, 0) + int(count)
    for key, (account,), _ in run.by_slot(rows, {"n": None}, extra=("account_id",)):
        profile, k = divmod(key, stretches)
        for w in grid.stretches[k]:
            for s in grid.profile_segments(profile):
                tallies[w * ns + s]["accounts"].add(account)
    return tallies


def _qbrs(run: _Run) -> list[Tally]:
    nw = run.nw
    frame = run.engine.frame("qbrs")
    intent = (
        nw.col("referral_intent")
        if "referral_intent" in run.engine.columns("qbrs")
        else nw.lit(None, dtype=nw.Boolean())
    )
    rows = run.with_profile(run.in_grid(frame.select("account_id", "held_at", intent.alias("_i")), "held_at"))
    counts = run.slot_counts(
        rows,
        {
            "qbrs": run.total(~nw.col("_i").is_null()),
            "with_intent": run.total(nw.col("_i")),
            "unrecorded": run.total(nw.col("_i").is_null()),
        },
    )
    return [
        {name: counts[name][c] for name in ("qbrs", "with_intent", "unrecorded")}
        for c in range(run.grid.n_cells)
    ]


def _first_touches(run: _Run) -> Any:
    """``_first_id``: per converted account, the id of its earliest referral (ties: the lower id)."""
    nw = run.nw
    named = run.engine.frame("referrals").filter(~nw.col("converted_account_id").is_null())
    earliest = named.group_by("converted_account_id").agg(nw.col("invited_at").min().alias("_t"))
    return (
        named.join(earliest, on="converted_account_id", how="inner")
        .filter(nw.col("invited_at") == nw.col("_t"))
        .group_by("converted_account_id")
        .agg(nw.col("id").min().alias("_first_id"))
        .select("_first_id", nw.lit(True).alias("_first"))
    )


def _conversion(run: _Run) -> list[Tally]:
    nw, grid = run.nw, run.grid
    horizon = timedelta(days=run.params["horizon_days"])
    as_of = run.engine.tables.as_of
    columns = run.engine.columns("referrals")
    frame = run.engine.frame("referrals")
    converted_at = (
        nw.col("converted_at") if "converted_at" in columns else nw.lit(None, dtype=nw.Datetime("us", "UTC"))
    )
    if "converted_account_id" in columns:
        frame = frame.join(_first_touches(run), left_on="id", right_on="_first_id", how="left")
        first = ~converted_at.is_null() & (
            nw.col("converted_account_id").is_null() | ~nw.col("_first").is_null()
        )
    else:
        first = ~converted_at.is_null()
    rows = run.with_profile(
        run.in_grid(
            frame.select(
                "account_id", "invited_at", converted_at.alias("_conv"), first.fill_null(False).alias("_fst")
            ),
            "invited_at",
        )
    )
    matured = nw.col("invited_at") <= as_of - horizon
    in_time = nw.col("_fst") & ((nw.col("_conv") - nw.col("invited_at")) <= horizon)
    counts = run.slot_counts(
        rows,
        {
            "sent": None,
            "matured": run.total(matured),
            "converted": run.total(matured & in_time),
            "later_touches": run.total(~nw.col("_conv").is_null() & ~nw.col("_fst")),
        },
    )
    tallies: list[Tally] = [{name: values[c] for name, values in counts.items()} for c in range(grid.n_cells)]
    for tally in tallies:
        tally["observations"] = []
    if run.params["estimator"] == "cumulative_incidence":
        ns = grid.n_segments
        picked = rows.select("_k", *run.attrs, "invited_at", "_conv", "_fst")
        na = len(run.attrs)
        for row in run.engine.rows(picked):
            k, invited, conv, fst = int(row[0]), row[1 + na], row[2 + na], row[3 + na]
            seen = observation(invited, conv if fst else None, as_of)
            profile = run.pid(row[1 : 1 + na])
            for w in grid.stretches[k]:
                for s in grid.profile_segments(profile):
                    tallies[w * ns + s]["observations"].append(seen)
    return tallies


_REVENUE_PARTS: Final = (
    ("first_contracts", "first_value"),
    ("additions", "addition_value"),
    ("renewals", "renewal_value"),
)
"""The tally keys of revenue from referrals by contract part, as `metrics.referrals` orders them."""


def _revenue(run: _Run) -> list[Tally]:
    nw, grid = run.nw, run.grid
    basis = run.basis
    assert basis is not None
    engine = run.engine
    schema = engine.frame("contracts").collect_schema()
    scale = _money_scale(schema["arr"])
    # Narrowed to 18 digits before scaling, so the product stays within every backend's Decimal128.
    units = (
        (nw.col("arr").cast(nw.Decimal(18, scale)) * (10**scale)).cast(nw.Int64)
        if scale
        else nw.col("arr").cast(nw.Int64)
    )
    renewal = ~nw.col("renewal_of").is_null() if "renewal_of" in schema else nw.lit(False)
    earliest = (
        engine.frame("contracts").group_by("account_id").agg(nw.col("start").min().alias("_first_start"))
    )
    # The part of each contract, as in referrals.contract_part: 2 renewal, 0 first contract, 1 addition.
    part = (
        nw.when(nw.col("_rn"))
        .then(nw.lit(2))
        .otherwise(nw.when(nw.col("start") == nw.col("_first_start")).then(nw.lit(0)).otherwise(nw.lit(1)))
    )
    contracts = (
        engine.frame("contracts")
        .select("id", "account_id", "start", "currency", units.alias("_u"), renewal.alias("_rn"))
        .join(earliest, on="account_id", how="inner")
        .with_columns(part.cast(nw.Int64).alias("_part"))
    )
    referred = run.referred().select(nw.col("_acc"))
    contracts = contracts.join(referred, left_on="account_id", right_on="_acc", how="inner")
    rows = run.with_profile(run.in_grid(contracts, "start"))
    sums: dict[str, dict[int, Any]] = {name: {} for parts in _REVENUE_PARTS for name in parts}
    for key, (kind, currency), (count, total) in run.by_slot(
        rows, {"n": None, "u": nw.col("_u")}, extra=("_part", "currency")
    ):
        if basis.rate(currency) is None:
            offending = rows.filter(nw.col("currency") == currency).sort("start", "id").select("id").head(1)
            ident = engine.rows(offending)[0][0]
            raise CurrencyMismatchError(currency, basis.currency, f"Contract {ident!r}")
        value = basis.convert(Decimal(int(total)).scaleb(-scale), currency)
        count_name, value_name = _REVENUE_PARTS[int(kind)]
        sums[count_name][key] = sums[count_name].get(key, 0) + int(count)
        sums[value_name][key] = sums[value_name].get(key, Decimal(0)) + value
    spread = {
        name: grid.spread(values, Decimal(0) if name.endswith("value") else 0)
        for name, values in sums.items()
    }
    billed = (
        rows.select("account_id", "_k", *run.attrs)
        .unique()
        .join(run.cover().select("_k", "_w"), on="_k", how="inner")
    )
    accounts = run.window_counts(billed.select("account_id", "_w", *run.attrs).unique(), {"n": None})["n"]
    return [
        {**{name: values[c] for name, values in spread.items()}, "accounts": accounts[c]}
        for c in range(grid.n_cells)
    ]


def _money_scale(dtype: Any) -> int:
    scale = getattr(dtype, "scale", None)
    if scale is not None:
        return int(scale)
    if dtype.is_integer():
        return 0
    raise EngineNotSupportedError(
        "revenue_from_referrals",
        "this",
        f"money read from a {dtype} column: give amounts as a Decimal column",
    )


def _invitation(run: _Run) -> list[Tally]:
    nw = run.nw
    events = _events(run, [("referrals", "invited_at", None)])
    senders = _hits(run, events, "any")
    spread = events.join(run.cover().select("_k", "_w", "_js", "_je"), on="_k", how="inner")
    joined = spread.join(run.accounts(), left_on="account_id", right_on="_acc", how="inner")
    active = (nw.col("_ps") <= nw.col("_je")) & (nw.col("_pc") > nw.col("_js"))
    counts = run.window_counts(joined, {"referrals": None, "inactive": run.total(~active)})
    tallies = _cohorts(run, None)
    for c, tally in enumerate(tallies):
        tally.update(
            referrals=counts["referrals"][c], senders=senders[c], from_inactive_accounts=counts["inactive"][c]
        )
    return tallies


def _personalized(run: _Run) -> list[Tally]:
    """Senders and personal senders among referrals that record the flag; the others counted."""
    nw = run.nw
    if "personalized" in run.engine.columns("referrals"):
        flag = nw.col("personalized")
        senders = _hits(run, _events(run, [("referrals", "invited_at", ~flag.is_null())]), "any")
        personal = _hits(run, _events(run, [("referrals", "invited_at", flag.fill_null(False))]), "any")
        frame = run.engine.frame("referrals").select("account_id", "invited_at", flag.is_null().alias("_u"))
    else:
        senders = personal = [0] * run.grid.n_cells
        frame = run.engine.frame("referrals").select("account_id", "invited_at", nw.lit(True).alias("_u"))
    rows = run.with_profile(run.in_grid(frame, "invited_at"))
    unrecorded = run.slot_counts(rows, {"u": run.total(nw.col("_u"))})["u"]
    return [
        {"senders": n, "personal": k, "unrecorded": u}
        for n, k, u in zip(senders, personal, unrecorded, strict=True)
    ]


def _icp_share(run: _Run) -> list[Tally]:
    tallies = _active_share(run, [("social_shares", "shared_at", None)], "icp")
    unknown = _cohorts(run, "icp_unrecorded")
    for tally, counts in zip(tallies, unknown, strict=True):
        tally["unrecorded"] = counts["active"]
    return tallies


def _survival(run: _Run, origin: str, sources: Sequence[tuple[str, str]]) -> list[Tally]:
    """Per cell: the survival observation of each account whose clock starts in the window.

    ``origin`` is ``"activation"`` (``activated_at``, else ``customer_since``) or an account
    column; an account's event is its first record of ``sources`` (collection, time column) at or
    after its origin; it is censored at its churn, else at ``as_of``.
    """
    nw, grid, engine = run.nw, run.grid, run.engine
    present = engine.columns("accounts")

    def column(name: str) -> Any:
        return nw.col(name) if name in present else nw.lit(None, dtype=nw.Datetime("us", "UTC"))

    if origin == "activation":
        start = (
            nw.when(column("activated_at").is_null())
            .then(nw.col("customer_since"))
            .otherwise(column("activated_at"))
        )
    else:
        start = column(origin)
    cohort = run.in_grid(
        engine.frame("accounts").select(
            nw.col("id").alias("account_id"), start.alias("_o"), column("churned_at").alias("_c")
        ),
        "_o",
    )
    joined = cohort
    firsts = []
    for i, (name, time_column) in enumerate(sources):
        if not engine.has(name):
            continue
        events = engine.frame(name).select("account_id", nw.col(time_column).alias("_t"))
        first = (
            events.join(cohort.select("account_id", "_o"), on="account_id", how="inner")
            .filter(nw.col("_t") >= nw.col("_o"))
            .group_by("account_id")
            .agg(nw.col("_t").min().alias(f"_e{i}"))
        )
        joined = joined.join(first, on="account_id", how="left")
        firsts.append(f"_e{i}")
    rows = run.with_profile(joined).select("_k", *run.attrs, "_o", "_c", *firsts)
    tallies: list[Tally] = [{"observations": []} for _ in range(grid.n_cells)]
    ns, na = grid.n_segments, len(run.attrs)
    as_of = engine.tables.as_of
    for row in engine.rows(rows):
        k, began, churned = int(row[0]), row[1 + na], row[2 + na]
        reached = [t for t in row[3 + na :] if t is not None]
        seen = observation(
            began, min(reached) if reached else None, churned if churned is not None else as_of
        )
        profile = run.pid(row[1 : 1 + na])
        for w in grid.stretches[k]:
            for s in grid.profile_segments(profile):
                tallies[w * ns + s]["observations"].append(seen)
    return tallies


_TALLIES: Final[Mapping[str, tuple[Callable[[_Run], list[Tally]], bool]]] = {
    "time_to_first_referral": (
        lambda run: _survival(run, "activation", [("referrals", "invited_at")]),
        False,
    ),
    "time_to_advocacy": (
        lambda run: _survival(
            run, "onboarded_at", [("actions", "completed_at"), ("referrals", "invited_at")]
        ),
        False,
    ),
    "net_promoter_score": (_nps, False),
    "customer_satisfaction_score": (_csat, False),
    "social_shares": (_shares, False),
    "referral_intent_in_qbrs": (_qbrs, False),
    "customer_retention_rate": (lambda run: _cohorts(run, None), False),
    "customer_churn_rate": (lambda run: _cohorts(run, None), False),
    "client_referral_rate": (_referred_cohorts, False),
    "new_customers_from_referrals": (_referred_cohorts, False),
    "referral_retention_rate": (_referred_cohorts, False),
    "referral_conversion_rate": (_conversion, False),
    "revenue_from_referrals": (_revenue, True),
    "referral_invitation_rate": (_invitation, False),
    "referral_program_participation_rate": (
        lambda run: _active_share(run, [("referrals", "invited_at", None)]),
        False,
    ),
    "warm_introduction_offer_rate": (
        lambda run: _active_share(run, [("asks", "asked_at", _narwhals().col("asset") == "referral")]),
        False,
    ),
    "referral_discussion_initiation_rate": (
        lambda run: _active_share(
            run, [("referral_prompts", "occurred_at", None), ("referrals", "invited_at", None)]
        ),
        False,
    ),
    "personalized_referral_outreach_rate": (_personalized, False),
    "share_rate_among_icps": (_icp_share, False),
}

SUPPORTED: Final = tuple(_TALLIES)
"""The metrics every engine computes where the tables live."""

_WHY_NOT: Final[Mapping[str, str]] = {
    "referral_account_revenue_contribution": "it weighs every customer by its run rate at each window's end",
    "referral_pipeline_contribution_rate": "opportunities join segments by their own attributes",
    "referral_campaign_roi": "programme costs join segments by their own attributes",
    "referral_readiness_score": "the readiness score reads each account's signal history at every window end",
    "referral_ready_account_rate": "the readiness score reads each account's signal history at every window end",
    "advocate_re_engagement_rate": "lapses are found per contact over its whole action history",
}

UNSUPPORTED: Final[Mapping[str, str]] = {
    **_WHY_NOT,
    **{
        spec.id: "no engine tally is written for it yet"
        for spec in catalog.all()
        if spec.id not in _TALLIES and spec.id not in _WHY_NOT
    },
}
"""Metrics the engines refuse, with the reason (any metric not in `SUPPORTED` is refused)."""
