"""Time-to-event shares by horizon: known up to the longest follow-up, undefined past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from advocacy_kpis import Account, AdvocacyData, Referral, Window, metrics


def test_shares_beyond_the_longest_follow_up_are_undefined_not_carried_forward() -> None:
    # 10 accounts activated on 20 September; 3 refer within 5 days; as_of 41 days later.
    activated = datetime(2026, 9, 20, tzinfo=UTC)
    accounts = [Account(id=f"a{i}", customer_since=activated) for i in range(10)]
    referrals = [
        Referral(id=f"r{i}", account_id=f"a{i}", invited_at=activated + timedelta(days=day))
        for i, day in enumerate((1, 3, 5))
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=activated + timedelta(days=41)
    )
    result = metrics.time_to_first_referral(data, window=Window.month(2026, 9))
    assert result.details["longest_follow_up_days"] == 41.0
    assert result.details["share_by_30_days"] == pytest.approx(0.30)
    assert result.details["share_by_90_days"] is None
    assert result.details["share_by_180_days"] is None
