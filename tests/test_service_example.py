"""The web handler of the "Embedding in a service" page: its answers, its error mapping, its round trip."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from advocacy_kpis import AdvocacyKpisError, Change, MetricResult, Scorecard, Window

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "service.py"
PAGE = Path(__file__).parent.parent / "docs" / "services.md"


@pytest.fixture(scope="module")
def service() -> ModuleType:
    spec = importlib.util.spec_from_file_location("service_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["service_example"] = module
    spec.loader.exec_module(module)
    return module


ACCOUNTS = [
    {"id": "a1", "customer_since": "2025-01-01", "tier": "enterprise"},
    {"id": "a2", "customer_since": "2025-01-01", "tier": "enterprise"},
    {"id": "a3", "customer_since": "2025-01-01", "tier": "smb"},
]
# Q3 2026: a1 9 and 10 (two respondents), a2 7 and 3, a3 10; one answer in Q2 that Q3 leaves out.
SURVEYS = [
    {"id": "s1", "account_id": "a1", "respondent_id": "p1", "kind": "nps", "score": 9, "responded_at": "2026-07-03T10:00:00+00:00"},
    {"id": "s2", "account_id": "a1", "respondent_id": "p2", "kind": "nps", "score": 10, "responded_at": "2026-08-03T10:00:00+00:00"},
    {"id": "s3", "account_id": "a2", "respondent_id": "p3", "kind": "nps", "score": 7, "responded_at": "2026-08-12T10:00:00+00:00"},
    {"id": "s4", "account_id": "a2", "respondent_id": "p4", "kind": "nps", "score": 3, "responded_at": "2026-09-01T10:00:00+00:00"},
    {"id": "s5", "account_id": "a3", "respondent_id": "p5", "kind": "nps", "score": 10, "responded_at": "2026-09-20T10:00:00+00:00"},
    {"id": "s6", "account_id": "a3", "respondent_id": "p6", "kind": "nps", "score": 0, "responded_at": "2026-05-20T10:00:00+00:00"},
]  # fmt: skip
BODY = {"as_of": "2026-10-01T00:00:00+00:00", "collections": {"accounts": ACCOUNTS, "surveys": SURVEYS}}


def call(
    service: ModuleType, path: str, body: Any = BODY, *, query: str = "window=2026Q3", method: str = "POST"
) -> tuple[str, dict[str, str], Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    setup_testing_defaults(environ)
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = service.application(environ, lambda status, headers: started.append((status, headers)))
    payload = b"".join(chunks)
    status, headers = started[0]
    assert dict(headers)["Content-Length"] == str(len(payload))
    return status, dict(headers), json.loads(payload)


def test_a_metric_is_computed_on_the_posted_rows_and_answered_as_a_result(service: ModuleType) -> None:
    status, headers, body = call(service, "/metrics/net_promoter_score")
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    result = MetricResult.from_dict(body)
    # 3 promoters (9, 10, 10), 1 passive (7), 1 detractor (3) of 5: 100 * (3 - 1) / 5.
    assert result.value == 40.0
    assert result.components["respondents"] == 5
    assert result.window == Window.quarter(2026, 3)


def test_segment_and_alias_in_the_request_are_honoured(service: ModuleType) -> None:
    status, _, body = call(service, "/metrics/nps", query="window=2026Q3&segment=tier=enterprise")
    assert status == "200 OK"
    # Enterprise: 9 and 10 promoters, 7 passive, 3 detractor: 100 * (2 - 1) / 4.
    assert body["value"] == 25.0 and body["segment"] == {"tier": ["enterprise"]}


def test_a_money_result_keeps_its_exact_decimal_through_the_service(service: ModuleType) -> None:
    # a4 came through a3's referral and signed 12,000.50 a year on 2026-03-01.
    collections = {
        "accounts": [*ACCOUNTS, {"id": "a4", "customer_since": "2026-03-01"}],
        "referrals": [{"id": "r1", "account_id": "a3", "invited_at": "2026-01-10",
                       "converted_at": "2026-02-20", "converted_account_id": "a4"}],
        "contracts": [{"id": "c1", "account_id": "a4", "start": "2026-03-01", "end": "2027-03-01",
                       "arr": "12000.50", "currency": "USD"}],
    }  # fmt: skip
    status, _, payload = call(
        service, "/metrics/revenue_from_referrals", {**BODY, "collections": collections},
        query="window=2026Q1&basis=arr:USD",
    )  # fmt: skip
    assert status == "200 OK", payload
    assert payload["value"] == "12000.50"
    result = MetricResult.from_dict(payload)
    assert result.value == Decimal("12000.50") and str(result.value) == "12000.50"


@pytest.mark.parametrize(
    ("path", "body", "query", "method", "status", "message"),
    [
        ("/metrics/net_promotor_score", BODY, "window=2026Q3", "POST", "404 Not Found", "Closest: net_promoter_score"),
        ("/metrics/nps", BODY, "window=2026Q5", "POST", "422 Unprocessable Entity",
         "The '?window=' parameter of the query must be a label such as 2026, 2026Q3"),
        ("/metrics/nps", BODY, "window=2026Q3&segment=tier", "POST", "422 Unprocessable Entity",
         "The '?segment=' parameter of the query must be"),
        ("/metrics/nps", BODY, "window=2026Q3&basis=arr", "POST", "422 Unprocessable Entity",
         "The '?basis=' parameter of the query must be"),
        ("/metrics/nps", {**BODY, "collections": {"accounts": ACCOUNTS, "surveys": [{**SURVEYS[0], "score": 11}]}},
         "window=2026Q3", "POST", "422 Unprocessable Entity", "score"),
        ("/metrics/nps", {**BODY, "collections": {"accounts": ACCOUNTS, "invoices": []}},
         "window=2026Q3", "POST", "422 Unprocessable Entity", "'invoices'"),
        ("/metrics/nps", b"{not json", "window=2026Q3", "POST", "400 Bad Request", "the body must be JSON"),
        ("/metrics/nps", [], "window=2026Q3", "POST", "400 Bad Request", '"collections"'),
        ("/metrics/nps", BODY, "", "POST", "400 Bad Request", "window"),
        ("/metrics/nps", BODY, "window=2026Q3", "GET", "405 Method Not Allowed", "POST"),
        ("/elsewhere", BODY, "window=2026Q3", "POST", "404 Not Found", "/metrics/<metric id>"),
    ],
)  # fmt: skip
def test_errors_map_to_a_4xx_status_with_the_message(
    service: ModuleType, path: str, body: Any, query: str, method: str, status: str, message: str
) -> None:
    got, _, payload = call(service, path, body, query=query, method=method)
    assert got == status, payload
    assert message in payload["error"]


def test_every_library_error_is_a_4xx_with_its_own_message(
    service: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    class SomeLibraryError(AdvocacyKpisError):
        pass

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise SomeLibraryError("what was wrong, and where")

    monkeypatch.setattr(service, "compute", refuse)
    status, _, payload = call(service, "/metrics/nps")
    assert status == "422 Unprocessable Entity"
    assert payload == {"error": "what was wrong, and where"}


def test_anything_else_is_a_500_that_shows_nothing_of_the_fault(
    service: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("an internal detail")

    monkeypatch.setattr(service, "compute", fail)
    status, _, payload = call(service, "/metrics/nps")
    assert status == "500 Internal Server Error"
    assert payload == {"error": "internal error"}
    assert "an internal detail" in caplog.text


def test_the_page_shows_this_very_file_and_the_answers_it_gives(service: ModuleType) -> None:
    page = PAGE.read_text()
    assert '--8<-- "docs/examples/service.py"' in page
    misspelt = call(service, "/metrics/net_promotor_score")
    out_of_range = call(
        service, "/metrics/nps", {**BODY, "collections": {"accounts": ACCOUNTS, "surveys": [{**SURVEYS[0], "score": 11}]}}
    )  # fmt: skip
    for status, _, body in (misspelt, out_of_range):
        assert f"{status}\n{json.dumps(body)}\n" in page, (status, body)


@pytest.fixture(scope="module")
def schema_hook() -> ModuleType:
    path = Path(__file__).parent.parent / "docs" / "_hooks" / "payload_schemas.py"
    spec = importlib.util.spec_from_file_location("payload_schemas_hook", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_publishes_the_schemas_the_readers_apply(schema_hook: ModuleType) -> None:
    class Page:
        class file:  # noqa: N801
            src_uri = "services.md"

    markdown = schema_hook.on_page_markdown(PAGE.read_text(), Page(), None, None)
    blocks = re.findall(r"^( *)```json\n(.*?)^\1```$", markdown, re.S | re.M)
    published = [json.loads(block) for _, block in blocks]
    assert published == [MetricResult.json_schema(), Scorecard.rows_json_schema(), Change.json_schema()]
    # Inside their collapsible blocks: indented under the admonition line.
    assert all(indent == "    " for indent, _ in blocks)
    assert "json-schema:" not in markdown


def test_the_cost_benchmark_runs_the_example_on_a_small_request(capsys: pytest.CaptureFixture[str]) -> None:
    """It is run, never timed, here: the figures on the page come from a full run."""
    path = Path(__file__).parent.parent / "benchmarks" / "bench_service.py"
    spec = importlib.util.spec_from_file_location("bench_service", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--rows", "50", "--repeat", "1"])
    out = capsys.readouterr().out
    assert out.startswith("50 rows (5 accounts, 45 NPS answers)")
    assert "whole request (WSGI call)" in out and "MetricResult.from_json" in out
