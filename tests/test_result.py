"""MetricResult serialisation and comparisons."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from advocacy_kpis import IncomparableResultsError, MetricResult, Segment, Unit, Window, metrics
from advocacy_kpis.sample import tiny


def make(value: float | int | None, window: Window, **kw: object) -> MetricResult:
    return MetricResult(
        metric=str(kw.pop("metric", "social_shares")), value=value, unit=kw.pop("unit", Unit.COUNT),  # type: ignore[arg-type]
        window=window, segment=Segment.all(), as_of=datetime(2027, 1, 1, tzinfo=UTC),
        undefined_reason=None if value is not None else "empty", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_to_dict_is_json_safe_and_complete() -> None:
    result = metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3))
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["metric"] == "net_promoter_score"
    assert payload["window"]["label"] == "2026Q3"
    assert payload["interval"]["method"]
    assert payload["components"]["respondents"] == 4
    assert payload["definition_version"] == 1


def test_change_of_counts_uses_the_conditional_binomial_test() -> None:
    # 10 events in one quarter and 30 in the next quarter: binomial(40, 90/(90+92)) under H0.
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    change = make(30, q2).change_from(make(10, q1))
    assert change is not None
    assert change.method == "conditional-binomial" and change.absolute == 20
    assert change.relative == 2.0 and change.significant is True


def test_change_with_undefined_side_is_none_and_zero_base_has_no_relative() -> None:
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    assert make(3, q2).change_from(make(None, q1)) is None
    change = make(3, q2).change_from(make(0, q1))
    assert change is not None and change.relative is None


def test_incomparable_metrics_are_refused() -> None:
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    with pytest.raises(IncomparableResultsError, match="metric"):
        make(3, q2).change_from(make(3, q1, metric="reviews"))


def test_format_shows_undefined_with_its_reason() -> None:
    result = metrics.client_referral_rate(tiny(), window=Window.year(2020))
    assert "undefined (no new customers" in result.format()
