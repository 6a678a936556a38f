"""A WSGI application that computes one metric on the records a request carries and answers JSON.

POST /metrics/<metric id>?window=2026Q3[&segment=tier=enterprise][&basis=arr:USD]
with a JSON body {"as_of": "2026-10-01T00:00:00+00:00", "collections": {"accounts": [...], ...}}
answers 200 with the result as MetricResult.to_dict() writes it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from advocacy_kpis import AdvocacyKpisError, RevenueBasis, Segment, Window, compute, io
from advocacy_kpis.errors import ParameterError, UnknownMetricError

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
PREFIX = "/metrics/"


class RequestError(Exception):
    """A request this service cannot read: its status and the message the client gets."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def application(environ: Mapping[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI entry point: every outcome is a JSON answer with a status that says whose fault it is."""
    try:
        status, body = HTTPStatus.OK, handle(environ)
    except RequestError as error:
        status, body = error.status, {"error": str(error)}
    except UnknownMetricError as error:
        # The metric id in the path names nothing: the message lists the closest ids.
        status, body = HTTPStatus.NOT_FOUND, {"error": str(error)}
    except AdvocacyKpisError as error:
        # Every library error is about what the request sent, and its message says what and where.
        status, body = HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(error)}
    except Exception:
        # Anything else is this service's fault: logged here, never shown to the client.
        log.exception("computing %s failed", environ.get("PATH_INFO"))
        status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"}
    payload = json.dumps(body).encode()
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def handle(environ: Mapping[str, Any]) -> dict[str, Any]:
    """Load the request's records, compute the metric its path names, and give the result as a dict."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith(PREFIX) or path == PREFIX:
        raise RequestError(HTTPStatus.NOT_FOUND, f"no such resource {path!r}: try {PREFIX}<metric id>")
    if environ.get("REQUEST_METHOD") != "POST":
        raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, "POST the records to compute on")
    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if "window" not in query:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the query must give a window, such as ?window=2026Q3")
    body = _json_body(environ)

    # Strict loading: the first bad row is refused with its collection, row, field and value.
    data = io.from_rows(body["collections"], as_of=body.get("as_of"), strict=True).data
    result = compute(
        path.removeprefix(PREFIX),
        data,
        window=_query_value(query, "window", lambda text: Window.parse(text, data.calendar)),
        segment=_query_value(query, "segment", Segment.parse),
        basis=_query_value(query, "basis", RevenueBasis.parse),
    )
    return result.to_dict()


def _query_value(query: Mapping[str, str], name: str, parse: Callable[[str], Any]) -> Any:
    """A query value read by ``parse`` (None when absent); a wrong one is refused naming the query
    key, in the client's terms, not the parameter of the function that read it."""
    if name not in query:
        return None
    try:
        return parse(query[name])
    except ParameterError as error:
        raise ParameterError(f"?{name}=", "the query", error.expected, error.got) from None


def _json_body(environ: Mapping[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
    except ValueError:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the body must be JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("collections"), dict):
        raise RequestError(HTTPStatus.BAD_REQUEST, 'the body must be an object with "collections"')
    return body


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    with make_server("127.0.0.1", 8000, application) as server:
        server.serve_forever()
