"""The benchmark scripts keep working as the library grows (they are run, never timed, here)."""

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


def test_load_benchmark_runs_on_a_small_table(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_load", SCRIPT.parent / "bench_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--rows", "300", "--accounts", "20", "--repeat", "1"])
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["CSV", "Parquet", "pandas"]
    assert out.count("us/row") == 3
