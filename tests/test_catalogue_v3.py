"""Catalogue v3 rules on the metrics, one test per change (fill-rate maturity and the revenue
split are tested beside their metrics, in tests/metrics/test_program.py and test_referrals.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from advocacy_kpis import Account, AdvocacyData, Referral, Window, engines, metrics


def _everyone_referred_early() -> AdvocacyData:
    # Ten accounts activated on 4 September, each referring within ten days; as_of 15 October:
    # 41 days of follow-up, and the whole cohort has had the event.
    activated = datetime(2026, 9, 4, tzinfo=UTC)
    return AdvocacyData.from_records(
        accounts=[Account(id=f"a{i}", customer_since=activated) for i in range(10)],
        referrals=[
            Referral(id=f"r{i}", account_id=f"a{i}", invited_at=activated + timedelta(days=i + 1))
            for i in range(10)
        ],
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )


def test_share_by_horizon_past_the_follow_up_is_one_when_everyone_had_the_event() -> None:
    result = metrics.time_to_first_referral(_everyone_referred_early(), window=Window.month(2026, 9))
    # Every account referred within 10 days: the share is 1 by 30 days, and stays 1 after the
    # 41 days of follow-up (the curve is 0: nobody is left to refer).
    assert result.details["share_by_30_days"] == 1.0
    assert result.details["share_by_90_days"] == 1.0
    assert result.details["share_by_180_days"] == 1.0
    # The median is the fifth referral's delay, 5 days (the days run 1..10).
    assert result.value == pytest.approx(5.0)


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_the_engines_give_the_same_shares(backend: str) -> None:
    pytest.importorskip(backend)
    data = _everyone_referred_early()
    on_records = metrics.time_to_first_referral(data, window=Window.month(2026, 9))
    on_tables = metrics.time_to_first_referral(
        engines.tables_from_data(data, backend), window=Window.month(2026, 9)
    )
    assert on_tables.to_dict() == on_records.to_dict()
