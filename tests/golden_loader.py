"""Read golden-case files: records as JSON rows and hand-computed expectations."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from advocacy_kpis import AdvocacyData
from advocacy_kpis.data import COLLECTIONS

GOLDEN = Path(__file__).parent / "golden"
_INSTANT_SUFFIXES = ("_at", "_since")
_INSTANT_FIELDS = {"start", "end"}
_MONEY_FIELDS = {"arr", "tcv", "amount"}


def _value(field: str, raw: Any) -> Any:
    if raw is None:
        return None
    if field in _INSTANT_FIELDS or field.endswith(_INSTANT_SUFFIXES):
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if field in _MONEY_FIELDS:
        return Decimal(raw)
    if field == "influences":
        return tuple(raw)
    return raw


def load_case(path: Path) -> tuple[dict[str, Any], AdvocacyData]:
    """The case's JSON and its data set."""
    case = json.loads(path.read_text())
    collections = {
        name: [kind(**{k: _value(k, v) for k, v in row.items()}) for row in case.get(name, [])]
        for name, kind in COLLECTIONS.items()
    }
    as_of = datetime.fromisoformat(case["as_of"].replace("Z", "+00:00"))
    return case, AdvocacyData.from_records(as_of=as_of, **collections)


def expectations() -> list[tuple[str, dict[str, Any]]]:
    """Every (case name, expectation) pair of every golden file."""
    found = []
    for path in sorted(GOLDEN.glob("*.json")):
        case = json.loads(path.read_text())
        found += [(f"{path.stem}:{i}:{e['metric']}", e) for i, e in enumerate(case["expect"])]
    return found
