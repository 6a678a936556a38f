"""Measure the loaders: run with ``make bench-load``.

Writes (in a temporary folder) a referral table of ``--rows`` rows, one million by default, with
the accounts it refers to, as CSV and as Parquet, and builds the same table as a pandas frame.
For each it times, in CPU seconds (``time.process_time``, best of ``--repeat``):

* the parser alone: ``csv.reader`` turning the CSV file into rows of text, ``pyarrow`` reading
  the Parquet file into an Arrow table; a frame is already in memory, so it has no parser and
  everything the loader does counts. Like the loaders, the parsers run with Python's cyclic
  garbage collector paused, so that the difference is the loader's own work (for CSV the
  figure beyond ``csv.reader`` called plainly, with the collector on, is printed too);
* the whole load into records and the data set (``io.load_folder`` / ``io.from_frames``);

and prints the microseconds per row the loader spends beyond the parser (goal: 1.5). Numbers are
printed, never asserted: timing belongs in a benchmark, not in the test suite.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

GOAL_US = 1.5
START = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 10, 1, tzinfo=UTC)


def columns(rows: int, accounts: int, seed: int = 7) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Account and referral columns: every referral points to a known account, a tenth converted."""
    rng = random.Random(seed)
    account_ids = [f"acc-{i:07d}" for i in range(accounts)]
    account_columns = {
        "id": account_ids,
        "customer_since": [START + timedelta(days=rng.randrange(300)) for _ in account_ids],
        "tier": [rng.choice(("enterprise", "mid", "smb")) for _ in account_ids],
        "plan": [rng.choice(("pro", "basic")) for _ in account_ids],
        "seats": [rng.randrange(1, 500) for _ in account_ids],
    }
    invited = [START + timedelta(days=300, seconds=rng.randrange(50_000_000)) for _ in range(rows)]
    referral_columns = {
        "id": [f"ref-{i:08d}" for i in range(rows)],
        "account_id": [account_ids[rng.randrange(accounts)] for _ in range(rows)],
        "invited_at": invited,
        "converted_at": [t + timedelta(days=20) if rng.random() < 0.1 else None for t in invited],
        "personalized": [rng.random() < 0.4 for _ in range(rows)],
        "channel": [rng.choice(("email", "link", "in_app")) for _ in range(rows)],
    }
    return account_columns, referral_columns


def write_csv(path: Path, table: dict[str, list[Any]]) -> None:
    """ISO-8601 text, empty cells for missing values, as a warehouse export has them."""
    names = list(table)

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([text(v) for v in row] for row in zip(*table.values(), strict=True))


def best(function: Callable[[], object], repeat: int) -> float:
    """The least CPU time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return min(times)


def report(label: str, rows: int, parser: float, total: float) -> None:
    """One line: parser, whole load and microseconds per row beyond the parser."""
    beyond = (total - parser) * 1e6 / rows
    verdict = "within" if beyond <= GOAL_US else "over"
    print(
        f"{label:<22} parser {parser:7.2f} s   load {total:7.2f} s   "
        f"beyond the parser {beyond:5.2f} us/row ({verdict} the {GOAL_US} us goal)"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="referral rows (default 1,000,000)")
    parser.add_argument("--accounts", type=int, default=20_000, help="accounts (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    args = parser.parse_args(argv)

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from advocacy_kpis import io
    from advocacy_kpis.io._load import collector_paused

    account_columns, referral_columns = columns(args.rows, args.accounts)
    rows = args.rows + args.accounts
    print(
        f"{args.rows:,} referrals and {args.accounts:,} accounts ({rows:,} rows); CPU time, best of {args.repeat}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv_folder, parquet_folder = Path(tmp, "csv"), Path(tmp, "parquet")
        csv_folder.mkdir()
        parquet_folder.mkdir()
        for name, table in (("accounts", account_columns), ("referrals", referral_columns)):
            write_csv(csv_folder / f"{name}.csv", table)
            pq.write_table(pa.table(table), parquet_folder / f"{name}.parquet")

        def read_csv() -> None:
            for name in ("accounts", "referrals"):
                with (csv_folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
                    list(csv.reader(handle))

        # The loaders pause the cyclic garbage collector (see io._load.collector_paused); the
        # parsers run under it too, so that the difference is the loader's own work.
        def parse_csv() -> None:
            with collector_paused():
                read_csv()

        def parse_parquet() -> None:
            with collector_paused():
                for name in ("accounts", "referrals"):
                    pq.read_table(parquet_folder / f"{name}.parquet")

        def check(loaded: io.Loaded) -> None:
            assert loaded.report.ok and len(loaded.data.referrals) == args.rows, loaded.report.format(5)

        csv_load = best(lambda: check(io.load_folder(csv_folder, as_of=AS_OF)), args.repeat)
        report("CSV", rows, best(parse_csv, args.repeat), csv_load)
        plain = best(read_csv, args.repeat)
        print(
            f"{'':<22} (csv.reader as a plain call, the collector on, takes {plain:.2f} s: "
            f"{(csv_load - plain) * 1e6 / rows:.2f} us/row beyond it)"
        )
        report("Parquet", rows, best(parse_parquet, args.repeat),
               best(lambda: check(io.load_folder(parquet_folder, as_of=AS_OF)), args.repeat))  # fmt: skip

        frames = {"accounts": pd.DataFrame(account_columns), "referrals": pd.DataFrame(referral_columns)}

        report(
            "pandas DataFrame",
            rows,
            0.0,
            best(lambda: check(io.from_frames(frames, as_of=AS_OF)), args.repeat),
        )


if __name__ == "__main__":
    main()
