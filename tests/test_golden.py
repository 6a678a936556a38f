"""Golden cases: small hand-computed data sets under tests/golden/ and their expected results."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import pytest

import advocacy_kpis
from advocacy_kpis import AdvocacyData, RevenueBasis, Segment, Window, catalog
from tests.golden_loader import GOLDEN, expectations, load_case


@cache
def _data(stem: str) -> AdvocacyData:
    return load_case(GOLDEN / f"{stem}.json")[1]


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, Decimal):
        return actual == Decimal(expected)
    if isinstance(expected, float) and actual is not None:
        return float(actual) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    if isinstance(expected, list) and isinstance(actual, tuple):
        # Results keep sequences as tuples (they are immutable all the way down).
        return len(actual) == len(expected) and all(
            _close(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected)


@pytest.mark.parametrize(("case", "expect"), expectations(), ids=[c for c, _ in expectations()])
def test_golden_case(case: str, expect: dict[str, Any]) -> None:
    data = _data(case.split(":")[0])
    kwargs: dict[str, Any] = {"window": Window.parse(expect["window"])}
    if "segment" in expect:
        kwargs["segment"] = Segment.parse(expect["segment"])
    if "basis" in expect:
        basis = RevenueBasis.parse(expect["basis"])
        rates = {k: Decimal(v) for k, v in expect.get("fx", {}).items()}
        kwargs["basis"] = RevenueBasis(basis.kind, basis.currency, rates)  # type: ignore[arg-type]
    kwargs.update(expect.get("params", {}))
    function = catalog.function(expect["metric"])
    if "raises" in expect:
        with pytest.raises(getattr(advocacy_kpis, expect["raises"])):
            function(data, **kwargs)
        return
    result = function(data, **kwargs)
    assert _close(result.value, expect["value"]), (result.value, expect["why"])
    for key in ("numerator", "denominator"):
        if key in expect:
            assert _close(getattr(result, key), expect[key]), (key, getattr(result, key))
    for key, value in expect.get("components", {}).items():
        assert _close(result.components[key], value), (key, result.components[key])
    for key, value in expect.get("details", {}).items():
        assert _close(result.details[key], value), (key, result.details[key])
    if "undefined_reason_contains" in expect:
        assert expect["undefined_reason_contains"] in (result.undefined_reason or "")
    if "warnings_contain" in expect:
        assert any(expect["warnings_contain"] in w for w in result.warnings), result.warnings
