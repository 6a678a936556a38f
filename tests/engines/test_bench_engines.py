"""The engine benchmark keeps working and keeps checking its numbers (run small, never timed, here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent.parent / "benchmarks" / "bench_engines.py"


def test_engine_benchmark_agrees_with_hand_written_polars_and_sql(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("polars", "duckdb", "numpy", "narwhals"):
        pytest.importorskip(name, reason="the engine benchmark needs the bench extra")
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_engines", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_engines", module)
    spec.loader.exec_module(module)
    module.main(["--accounts", "300", "--repeat", "1", "--rows", "20000", "--catalogue-rows", "20000"])
    out = capsys.readouterr().out
    assert out.count("check engine vs hand-written") == 2
    assert "mismatches" not in out, out
    assert "20,000" in out and "peak memory" in out
    # The whole catalogue on each engine, each in its child process.
    assert "failed" not in out, out
    assert all(f"  {engine:<8} " in out for engine in ("records", "polars", "duckdb")), out
