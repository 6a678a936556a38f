"""The benchmark script keeps working as metrics are added (it is run, never timed, here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_metrics.py"


def test_benchmark_runs_every_metric_on_a_small_data_set(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_metrics", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--sizes", "60"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("60 ")]
    assert len(rows) == 1 and len(rows[0]) == 4
    assert "slowest metrics" in out
