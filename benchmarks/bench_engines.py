"""Benchmark the engines against hand-written Polars and DuckDB: run with ``make bench-engines``.

The grid is that of ``bench_scorecard.py`` (32 windows: the eight quarters ending with 2026Q3 and
their 24 months, by 8 segments: all, each tier, each region) for the five metrics of
``bench_scorecard.py``, on ``sample.generate(n, seed=11)``:

1. the Polars engine (``scorecard(tables, ...)`` on Polars frames) against the hand-written
   Polars of ``bench_scorecard.py``;
2. the DuckDB engine against hand-written DuckDB SQL of the same cells (its temporary tables of
   windows, segment memberships and referred accounts built in the timed run, as the
   hand-written Polars builds its memberships);
3. the Polars engine on about ten million rows generated as frames (never as records), with
   its time and peak memory, in a child process so the peak is its own.

Every engine cell is checked against the hand-written one (counts exactly, floats to 1e-12
relative, money exactly) and against the Python library (``to_dict()`` of every result) before
times are shown. Times are CPU seconds (``time.process_time``: every thread of the process, so a
multi-threaded Polars or DuckDB pays for all its cores), best of ``--repeat`` runs, with the
one-off checks of the tables timed apart. Numbers are printed, never asserted; each goal is
printed beside its figure as met or not met.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_scorecard as bs

import advocacy_kpis
from advocacy_kpis import Segment, engines, sample
from advocacy_kpis import io as kpi_io

GOAL_VERSUS_HAND = 1.2
SEED = 11


# -- hand-written DuckDB SQL -----------------------------------------------------------------------


def _criteria(segment: Segment) -> str:
    parts = []
    for name, allowed in segment.criteria:
        values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(allowed, key=str))
        parts.append(f"{name} IN ({values})")
    return " AND ".join(parts) or "TRUE"


class DuckCells:
    """The five metrics over the grid in hand-written DuckDB SQL, on the engine's own tables."""

    def __init__(
        self, con: Any, windows: Sequence[bs.GridWindow], segments: Sequence[Segment], as_of: datetime
    ):
        self.con = con
        self.n_windows, self.n_segments = len(windows), len(segments)
        self.as_of = as_of
        con.execute("SET TimeZone = 'UTC'")
        rows = ", ".join(
            f"({w}, TIMESTAMPTZ '{g.window.start.isoformat()}', TIMESTAMPTZ '{g.window.end.isoformat()}')"
            for w, g in enumerate(windows)
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE win AS SELECT * FROM (VALUES {rows}) AS v(w, ws, we)")
        members = " UNION ALL ".join(
            f"SELECT id AS account_id, {s} AS seg FROM accounts WHERE {_criteria(segment)}"
            for s, segment in enumerate(segments)
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE mem AS {members}")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ref AS SELECT id AS account_id FROM accounts "
            "WHERE acquisition_channel = 'referral' UNION SELECT converted_account_id FROM referrals "
            "WHERE converted_account_id IS NOT NULL"
        )

    def _cells(self, metric: str, sql: str, money: bool = False) -> bs.Cells:
        found: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        for w, s, a, b in self.con.execute(sql).fetchall():
            if money:
                found[(w, s)] = (bs._money(int(a)), None, None)
            elif metric == "net_promoter_score":
                found[(w, s)] = (100.0 * a / b, int(a), int(b))
            else:
                found[(w, s)] = (None if b == 0 else a / b, int(a), int(b))
        return bs._fill(metric, self.n_windows, self.n_segments, found)

    def net_promoter_score(self) -> bs.Cells:
        return self._cells(
            "net_promoter_score",
            """
            WITH a AS (
                SELECT s.account_id, coalesce(s.respondent_id, '') AS r, s.score, s.responded_at AS t, win.w
                FROM surveys s JOIN win ON s.responded_at >= win.ws AND s.responded_at < win.we
                WHERE s.kind = 'nps'),
            l AS (SELECT w, account_id, r, arg_max(score, epoch_us(t) * 16 + score) AS score
                  FROM a GROUP BY w, account_id, r)
            SELECT w, seg, sum(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END), count(*)
            FROM l JOIN mem USING (account_id) GROUP BY w, seg
            """,
        )

    def client_referral_rate(self) -> bs.Cells:
        return self._cells(
            "client_referral_rate",
            """
            SELECT w, seg, sum(CASE WHEN ref.account_id IS NULL THEN 0 ELSE 1 END), count(*)
            FROM accounts a JOIN win ON a.customer_since >= win.ws AND a.customer_since < win.we
            LEFT JOIN ref ON ref.account_id = a.id JOIN mem ON mem.account_id = a.id
            GROUP BY w, seg
            """,
        )

    def referral_conversion_rate(self) -> bs.Cells:
        return self._cells(
            "referral_conversion_rate",
            f"""
            WITH f AS (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY converted_account_id ORDER BY invited_at, id) AS n
                    FROM referrals WHERE converted_account_id IS NOT NULL) WHERE n = 1),
            r AS (
                SELECT r.account_id, r.invited_at,
                       r.invited_at + INTERVAL 90 DAY <= TIMESTAMPTZ '{self.as_of.isoformat()}' AS matured,
                       coalesce(r.converted_at IS NOT NULL
                                AND (r.converted_account_id IS NULL OR f.id IS NOT NULL)
                                AND r.converted_at <= r.invited_at + INTERVAL 90 DAY, FALSE) AS in_time
                FROM referrals r LEFT JOIN f ON f.id = r.id)
            SELECT w, seg, sum(CASE WHEN matured AND in_time THEN 1 ELSE 0 END),
                   sum(CASE WHEN matured THEN 1 ELSE 0 END)
            FROM r JOIN win ON r.invited_at >= win.ws AND r.invited_at < win.we JOIN mem USING (account_id)
            GROUP BY w, seg
            """,
        )

    def customer_retention_rate(self) -> bs.Cells:
        return self._cells(
            "customer_retention_rate",
            """
            SELECT w, seg, sum(CASE WHEN a.churned_at IS NULL OR a.churned_at >= win.we THEN 1 ELSE 0 END), count(*)
            FROM accounts a JOIN win ON a.customer_since < win.ws AND (a.churned_at IS NULL OR a.churned_at >= win.ws)
            JOIN mem ON mem.account_id = a.id GROUP BY w, seg
            """,
        )

    def revenue_from_referrals(self) -> bs.Cells:
        rates = " ".join(f"WHEN '{c}' THEN {m}" for c, m in bs._fx_multipliers().items())
        return self._cells(
            "revenue_from_referrals",
            f"""
            SELECT w, seg, sum(CAST(CAST(c.arr AS DECIMAL(18, 2)) * 100 AS BIGINT) * CASE c.currency {rates} END), 0
            FROM contracts c JOIN ref ON ref.account_id = c.account_id
            JOIN win ON c.start >= win.ws AND c.start < win.we JOIN mem ON mem.account_id = c.account_id
            GROUP BY w, seg
            """,
            money=True,
        )

    def run(self) -> bs.Cells:
        out: bs.Cells = {}
        for metric in bs.METRICS:
            out.update(getattr(self, metric)())
        return out


# -- the engines -----------------------------------------------------------------------------------


def engine_card(tables: Any, windows: Sequence[bs.GridWindow], segments: Sequence[Segment]) -> Any:
    return advocacy_kpis.scorecard(
        tables, metrics=list(bs.METRICS), windows=[g.window for g in windows], segments=list(segments),
        basis=bs.BASIS,
    )  # fmt: skip


def _warm(tables: Any) -> float:
    """Run the tables' one-off checks; return their CPU time."""
    start = time.process_time()
    for name in ("accounts", "surveys", "referrals", "contracts"):
        tables.lazy(name)
    return time.process_time() - start


def _to_dicts(card: Any) -> list[dict[str, Any]]:
    return [r.to_dict() for r in card.results]


def _ratio_line(label: str, engine: float, hand: float) -> str:
    ratio = engine / hand if hand else float("inf")
    verdict = "met" if ratio <= GOAL_VERSUS_HAND else "NOT MET"
    return (
        f"  {label:<8} engine {engine * 1e3:9.1f} ms   hand-written {hand * 1e3:9.1f} ms   "
        f"ratio {ratio:5.2f}   goal <= {GOAL_VERSUS_HAND}: {verdict}"
    )


def _report(name: str, problems: list[str]) -> None:
    print(f"  check {name}: {'equal' if not problems else f'{len(problems)} mismatches'}")
    for line in problems[:5]:
        print("    " + line)


# -- ten million rows as frames --------------------------------------------------------------------


def synthetic_tables(rows: int, seed: int = SEED) -> tuple[Any, dict[str, int]]:
    """About ``rows`` rows over four collections, generated as Polars frames (no records)."""
    frames, sizes, as_of = synthetic_frames(rows, seed)
    return engines.Tables(frames, as_of=as_of), sizes


def synthetic_frames(rows: int, seed: int = SEED) -> tuple[dict[str, Any], dict[str, int], datetime]:
    """The Polars frames of `synthetic_tables`, their sizes and their ``as_of``."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    as_of = datetime(2026, 10, 15, tzinfo=UTC)
    low = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    high = int(as_of.timestamp() * 1e6)
    sizes = {"accounts": rows // 10, "surveys": rows * 6 // 10, "referrals": rows * 2 // 10}
    sizes["contracts"] = rows - sum(sizes.values())

    def instants(values: Any) -> Any:
        return pl.from_epoch(pl.Series(values), time_unit="us").dt.replace_time_zone("UTC")

    def ids(prefix: str, n: int) -> Any:
        return pl.Series([f"{prefix}{i}" for i in range(n)])

    n = sizes["accounts"]
    since = rng.integers(low, high - 86_400_000_000, n)
    churned = np.where(rng.random(n) < 0.2, since + rng.integers(3_600_000_000, 400 * 86_400_000_000, n), -1)
    churned = np.where(churned > high, -1, churned)
    accounts = pl.DataFrame(
        {
            "id": ids("a", n),
            "customer_since": instants(since),
            "churned_at": instants(churned).set(pl.Series(churned < 0), None),
            "tier": rng.choice(["enterprise", "mid", "smb"], n),
            "region": rng.choice(["NA", "EMEA", "APAC", "LATAM"], n),
            "acquisition_channel": rng.choice(["referral", "inbound", "outbound", "partner"], n),
        }
    )
    account_ids = accounts.get_column("id")

    def owners(m: int) -> Any:
        return account_ids.gather(pl.Series(rng.integers(0, n, m)))

    m = sizes["surveys"]
    csat = rng.random(m) < 0.3
    surveys = pl.DataFrame(
        {
            "id": ids("s", m),
            "account_id": owners(m),
            "kind": np.where(csat, "csat", "nps"),
            "score": np.where(csat, rng.integers(1, 6, m), rng.integers(0, 11, m)),
            "responded_at": instants(rng.integers(low, high, m)),
            "respondent_id": pl.Series(rng.choice(["u1", "u2", "u3", ""], m)).replace("", None),
        }
    )
    m = sizes["referrals"]
    invited = rng.integers(low, high, m)
    converted = invited + rng.integers(86_400_000_000, 200 * 86_400_000_000, m)
    keep = (rng.random(m) < 0.3) & (converted <= high)
    referrals = pl.DataFrame(
        {
            "id": ids("r", m),
            "account_id": owners(m),
            "invited_at": instants(invited),
            "converted_at": instants(converted).set(pl.Series(~keep), None),
            "converted_account_id": owners(m).set(pl.Series(~keep | (rng.random(m) < 0.5)), None),
        }
    )
    m = sizes["contracts"]
    start = rng.integers(low, high, m)
    contracts = pl.DataFrame(
        {
            "id": ids("c", m),
            "account_id": owners(m),
            "start": instants(start),
            "end": instants(start + 365 * 86_400_000_000),
            "arr": pl.Series(rng.integers(1_000, 200_000, m)).cast(pl.Decimal(18, 2)),
            "currency": rng.choice(["USD", "EUR"], m),
        }
    )
    frames = {"accounts": accounts, "surveys": surveys, "referrals": referrals, "contracts": contracts}
    return frames, sizes, as_of


BIG_SEGMENTS = [
    Segment.all(),
    *[Segment.where(tier=t) for t in ("enterprise", "mid", "smb")],
    *[Segment.where(region=r) for r in ("APAC", "EMEA", "LATAM", "NA")],
]
"""The segments of the generated-rows runs: the whole, each tier, each region."""


def big_run(rows: int) -> dict[str, Any]:
    """The Polars engine over the grid on ``rows`` synthetic rows (run in a child process)."""
    made = time.perf_counter()
    tables, sizes = synthetic_tables(rows)
    made = time.perf_counter() - made
    before = peak_rss_kib()
    windows = bs.grid_windows()
    segments = BIG_SEGMENTS
    cpu, wall = time.process_time(), time.perf_counter()
    checks = _warm(tables)
    card = engine_card(tables, windows, segments)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = peak_rss_kib()
    nps = card.get("net_promoter_score", windows[7].window)
    return {
        "rows": sum(sizes.values()), "sizes": sizes, "generate_s": made, "cpu_s": cpu, "wall_s": wall,
        "checks_cpu_s": checks, "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024,
        "cells": len(card.results), "nps_last_quarter": nps.value, "respondents": nps.denominator,
    }  # fmt: skip


CATALOGUE_ENGINES = ("records", "polars", "duckdb")


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB: Linux's ``VmHWM``, which starts afresh when the
    child process begins, where ``ru_maxrss`` keeps the parent's resident size at the fork (the
    parent holds the 100k-account data sets of sections 1 and 2); ``ru_maxrss`` elsewhere."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def catalogue_run(engine: str, rows: int) -> dict[str, Any]:
    """The whole catalogue over the grid's windows and segments on ``rows`` synthetic rows, on one
    engine (run in a child process, so the peak memory is its own).

    ``records`` loads the frames into an `AdvocacyData` (`io.from_frames`, timed: the build is
    part of its cost); ``polars`` computes on the frames; ``duckdb`` on DuckDB relations made
    from them (the copy not timed).
    """
    frames, sizes, as_of = synthetic_frames(rows)
    source: Any
    if engine == "duckdb":
        import duckdb

        connection = duckdb.connect()
        frames = {name: connection.from_arrow(frame.to_arrow()) for name, frame in frames.items()}
    before = peak_rss_kib()
    cpu = time.process_time()
    if engine == "records":
        source, report = kpi_io.from_frames(frames, as_of=as_of)
        rejected = report.rows_rejected
    else:
        source, rejected = engines.Tables(frames, as_of=as_of), 0
    windows = [g.window for g in bs.grid_windows()]
    card = advocacy_kpis.scorecard(source, windows=windows, segments=BIG_SEGMENTS, basis=bs.BASIS)
    cpu = time.process_time() - cpu
    peak = peak_rss_kib()
    nps = card.get("net_promoter_score", windows[7])
    return {
        "engine": engine, "rows": sum(sizes.values()), "rejected": rejected, "cpu_s": cpu,
        "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024, "metrics": len(card.metrics),
        "cells": len(card.results), "defined": sum(r.value is not None for r in card.results),
        "nps_last_quarter": nps.value,
    }  # fmt: skip


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="sample accounts (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is kept (default 3)")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the large run (0: skip it)")
    parser.add_argument(
        "--catalogue-rows", type=int, default=1_000_000,
        help="rows of the whole-catalogue run on each engine (0: skip it; default 1000000)",
    )  # fmt: skip
    parser.add_argument("--big-only", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--catalogue-only", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.big_only:
        print(json.dumps(big_run(args.big_only)))
        return
    if args.catalogue_only:
        engine, rows = args.catalogue_only
        print(json.dumps(catalogue_run(engine, int(rows)), default=str))
        return

    import duckdb

    started = time.process_time()
    print(f"sample.generate({args.accounts}, seed={SEED}) ...", flush=True)
    wall = time.perf_counter()
    data = sample.generate(args.accounts, seed=SEED)
    print(f"  generated in {time.perf_counter() - wall:.1f} s")
    windows, segments = bs.grid_windows(), bs.grid_segments(data)
    cells = len(bs.METRICS) * len(windows) * len(segments)
    print(
        f"grid: {len(windows)} windows x {len(segments)} segments x {len(bs.METRICS)} metrics = {cells} cells"
    )
    reference = _to_dicts(bs.run_library(data, windows, segments))

    print("\n1. Polars: the engine against hand-written Polars")
    frames = bs.polars_frames(bs.columns(data), data.as_of)
    hand = bs.best_of(args.repeat, lambda: bs.run_frames(bs.PolarsGrid, frames, windows, segments))
    tables = engines.tables_from_data(data, "polars")
    checks = _warm(tables)
    timed = bs.best_of(args.repeat, lambda: engine_card(tables, windows, segments))
    print(_ratio_line("polars", timed.cpu, hand.cpu))
    print(
        f"  the tables' one-off checks (types, ids, references, as_of): {checks * 1e3:.1f} ms CPU, not in the ratio"
    )
    got = bs.library_cells(timed.result, windows, segments)
    _report("engine vs hand-written Polars", bs.compare(got, hand.result))
    _report("engine vs Python library (to_dict of every cell)", _differ(reference, _to_dicts(timed.result)))

    print("\n2. DuckDB: the engine against hand-written SQL")
    con = duckdb.connect()
    tables = engines.tables_from_data(data, "duckdb", connection=con)
    for name, table in engines.arrow_tables(data).items():
        if name in ("accounts", "surveys", "referrals", "contracts"):
            con.register(name, table)
    # As the hand-written Polars does, the SQL builds its windows, segment memberships and
    # referred accounts inside the timed run.
    hand = bs.best_of(args.repeat, lambda: DuckCells(con, windows, segments, data.as_of).run())
    checks = _warm(tables)
    timed = bs.best_of(args.repeat, lambda: engine_card(tables, windows, segments))
    print(_ratio_line("duckdb", timed.cpu, hand.cpu))
    print(f"  the tables' one-off checks: {checks * 1e3:.1f} ms CPU, not in the ratio")
    got = bs.library_cells(timed.result, windows, segments)
    _report("engine vs hand-written SQL", bs.compare(got, hand.result))
    _report("engine vs Python library (to_dict of every cell)", _differ(reference, _to_dicts(timed.result)))

    if args.rows:
        print(f"\n3. {args.rows:,} rows generated as Polars frames, the Polars engine (child process)")
        child = subprocess.run(
            [sys.executable, __file__, "--big-only", str(args.rows)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            print("  failed:\n" + child.stderr[-2000:])
        else:
            big = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"  rows: {big['rows']:,} ({', '.join(f'{k} {v:,}' for k, v in big['sizes'].items())})")
            print(f"  generated in {big['generate_s']:.1f} s (wall), not timed below")
            print(
                f"  {big['cells']} cells in {big['cpu_s']:.1f} s CPU, {big['wall_s']:.1f} s wall "
                f"(of which checks {big['checks_cpu_s']:.1f} s CPU)"
            )
            print(
                f"  peak memory (the child's own high-water mark): {big['peak_rss_mb']:.0f} MB; "
                f"after generating: {big['rss_before_mb']:.0f} MB"
            )
            print(f"  e.g. NPS 2026Q3 = {big['nps_last_quarter']} over {big['respondents']:,} respondents")
    if args.catalogue_rows:
        print(
            f"\n4. the whole catalogue ({len(advocacy_kpis.catalog.all())} metrics) x {len(bs.grid_windows())} windows "
            f"x {len(BIG_SEGMENTS)} segments on {args.catalogue_rows:,} generated rows, each engine in a child process"
        )
        for engine in CATALOGUE_ENGINES:
            child = subprocess.run(
                [sys.executable, __file__, "--catalogue-only", engine, str(args.catalogue_rows)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if child.returncode:
                print(f"  {engine}: failed:\n" + child.stderr[-2000:])
                continue
            run = json.loads(child.stdout.strip().splitlines()[-1])
            built = " (build included)" if engine == "records" else ""
            print(
                f"  {engine:<8} {run['cpu_s']:7.1f} s CPU{built}, peak memory {run['peak_rss_mb']:6.0f} MB "
                f"(after generating {run['rss_before_mb']:.0f} MB); {run['cells']:,} cells, "
                f"{run['defined']:,} defined; rows refused {run['rejected']}; NPS 2026Q3 {run['nps_last_quarter']}"
            )
    print(f"\nthe benchmark took {time.process_time() - started:.0f} s CPU (this process)")


def _differ(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    out = []
    for a, b in zip(expected, got, strict=True):
        if a != b:
            fields = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            out.append(f"{a['metric']} {a['window']} {a['segment']}: {fields}")
    return out


if __name__ == "__main__":
    main()
