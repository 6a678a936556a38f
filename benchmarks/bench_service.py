"""Measure one call of the service example (docs/examples/service.py) on ``--rows`` rows.

The request body holds a tenth of the rows as accounts and the rest as NPS answers spread over
2026, as JSON; the call is the whole WSGI request for the NPS of 2026Q3: parse the body, load the
rows strictly, compute, write the result as JSON. Then its parts one by one, and reading the
answer back with ``MetricResult.from_json``. Times are CPU seconds of this process
(``time.process_time``), the best of ``--repeat`` runs; the machine is printed with them.
Numbers are printed, never asserted: timing belongs in a benchmark, not in the test suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from advocacy_kpis import MetricResult, Window, compute
from advocacy_kpis import io as kpi_io

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "service.py"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = "2026-12-31T00:00:00+00:00"


def request_body(rows: int, seed: int = 11) -> dict[str, Any]:
    """``rows`` rows: a tenth accounts, the rest NPS answers from their people over 2026."""
    rng = random.Random(seed)
    n_accounts = max(1, rows // 10)
    accounts = [
        {"id": f"a{i}", "customer_since": "2025-01-01", "tier": rng.choice(("enterprise", "mid", "smb"))}
        for i in range(n_accounts)
    ]
    surveys = []
    for i in range(rows - n_accounts):
        account = rng.randrange(n_accounts)
        answered = YEAR_START + timedelta(seconds=rng.randrange(360 * 86_400))
        surveys.append(
            {
                "id": f"s{i}",
                "account_id": f"a{account}",
                "respondent_id": f"a{account}-p{rng.randrange(5)}",
                "kind": "nps",
                "score": rng.choice((0, 3, 6, 7, 8, 9, 9, 10, 10, 10)),
                "responded_at": answered.isoformat(),
            }
        )
    return {"as_of": AS_OF, "collections": {"accounts": accounts, "surveys": surveys}}


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("service_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best(action: Callable[[], Any], repeat: int) -> float:
    """The least CPU time of ``repeat`` runs of ``action``, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        times.append(time.process_time() - started)
    return min(times)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)

    service = load_example()
    raw = json.dumps(request_body(args.rows)).encode()

    def request() -> bytes:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/metrics/net_promoter_score",
            "QUERY_STRING": "window=2026Q3",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        statuses: list[str] = []
        answer = b"".join(service.application(environ, lambda status, headers: statuses.append(status)))
        if statuses != ["200 OK"]:
            raise SystemExit(f"the service answered {statuses}: {answer[:300]!r}")
        return answer

    answer = request()
    body = json.loads(raw)

    def load() -> Any:
        return kpi_io.from_rows(body["collections"], as_of=body["as_of"], strict=True)

    data = load().data
    q3 = Window.quarter(2026, 3)
    result = compute("net_promoter_score", data, window=q3)
    text = json.dumps(result.to_dict())
    assert MetricResult.from_json(answer) == result

    parts = [
        ("whole request (WSGI call)", request),
        ("  parse the JSON body", lambda: json.loads(raw)),
        ("  load the rows (io.from_rows, strict)", load),
        ("  compute net_promoter_score", lambda: compute("net_promoter_score", data, window=q3)),
        ("  json.dumps(result.to_dict())", lambda: json.dumps(result.to_dict())),
        ("read back: MetricResult.from_json", lambda: MetricResult.from_json(text)),
    ]
    print(f"{args.rows} rows ({len(body['collections']['accounts'])} accounts, "
          f"{len(body['collections']['surveys'])} NPS answers), {len(raw) / 1024:.0f} KiB of JSON; "
          f"CPU ms, best of {args.repeat}")  # fmt: skip
    print(f"machine: {machine()}")
    for label, action in parts:
        print(f"{label:<42} {best(action, args.repeat) * 1000:8.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
