"""The benchmark scripts keep working as the library grows (they are run, never timed, here)."""

from __future__ import annotations

import importlib.util
import sys
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


SCORECARD_SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_scorecard.py"


def test_scorecard_benchmark_agrees_with_polars_and_pandas_on_a_tiny_data_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("polars", reason="the scorecard benchmark needs the bench extra (polars)")
    pytest.importorskip("pandas", reason="the scorecard benchmark needs the bench extra (pandas)")
    spec = importlib.util.spec_from_file_location("bench_scorecard", SCORECARD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while the module loads.
    monkeypatch.setitem(sys.modules, "bench_scorecard", module)
    spec.loader.exec_module(module)
    module.main(["--accounts", "300", "--small", "120", "--repeat", "1"])
    out = capsys.readouterr().out
    checks = [line.split() for line in out.splitlines() if line.strip().startswith("check ")]
    # polars and pandas on the grid, polars on the 64-segment grid and at the small size
    assert [c[1] for c in checks] == ["polars", "pandas", "polars", "polars"]
    assert all(c[-1] == "0" for c in checks), out
    for heading in ("1. grid", "2. segments", "3. size", "4. building"):
        assert heading in out
    assert out.count("goal") >= 6


def test_load_benchmark_runs_on_a_small_table(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_load", SCRIPT.parent / "bench_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--rows", "300", "--accounts", "20", "--repeat", "1"])
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["CSV", "(csv.reader", "Parquet", "pandas"]
    assert out.count("us/row") == 4
