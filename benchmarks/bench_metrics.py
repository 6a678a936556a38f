"""Measure how metric cost grows with the data: run with ``make bench``.

For each size, builds ``sample.generate(n)`` and computes every registered metric over eight
quarters and four segments, reporting seconds per size and per metric. Linear cost shows as a
time per 1,000 accounts that stays roughly flat as the size grows. A metric whose records cannot
be cut by a segment (programme costs carry no tier) is timed on the cells it accepts. Numbers are
printed, never asserted: timing belongs in a benchmark, not in the test suite.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from decimal import Decimal

from advocacy_kpis import RevenueBasis, Segment, SegmentNotApplicableError, Window, catalog, sample
from advocacy_kpis.catalog import BasisUse

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
SEGMENTS = [Segment.all()] + [Segment.where(tier=t) for t in ("enterprise", "mid", "smb")]


def run(n_accounts: int) -> tuple[float, float, dict[str, float]]:
    """Seconds to build the data set, seconds for all metric cells, and seconds per metric."""
    started = time.perf_counter()
    data = sample.generate(n_accounts, seed=11)
    built = time.perf_counter() - started
    quarters = [Window.quarter(2026, 3).shift(-k) for k in range(8)]
    per_metric: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    for spec in catalog.all():
        basis = BASIS if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) else None
        function = catalog.function(spec.id)
        begin = time.perf_counter()
        for window in quarters:
            for segment in SEGMENTS:
                extra = {} if basis is None else {"basis": basis}
                try:
                    function(data, window=window, segment=segment, **extra)
                except SegmentNotApplicableError:
                    continue
        per_metric[spec.id] += time.perf_counter() - begin
    return built, time.perf_counter() - started, dict(per_metric)


def main(argv: list[str] | None = None) -> None:
    """Print the timings for each size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 8000])
    args = parser.parse_args(argv)
    cells = len(catalog.all()) * 8 * len(SEGMENTS)
    print(f"{cells} metric cells per size ({len(catalog.all())} metrics x 8 quarters x 4 segments)")
    print(f"{'accounts':>9} {'build s':>9} {'metrics s':>10} {'ms/1k accounts':>15}")
    slowest: dict[str, float] = {}
    for n in args.sizes:
        built, spent, per_metric = run(n)
        print(f"{n:>9} {built:>9.2f} {spent:>10.2f} {spent * 1e6 / n:>15.1f}")
        slowest = per_metric
    print("\nslowest metrics at the largest size (s for all cells):")
    for metric_id, seconds in sorted(slowest.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {metric_id:<40} {seconds:.3f}")


if __name__ == "__main__":
    main()
