"""Catalogue v2 rules, one test per defect they close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Contract,
    Referral,
    RevenueBasis,
    Window,
    catalog,
    metrics,
)
from advocacy_kpis.catalog import BasisUse
from advocacy_kpis.sample import tiny

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})


@pytest.mark.parametrize("spec", catalog.all(), ids=lambda s: s.id)
def test_window_starting_at_as_of_is_undefined_for_every_metric(spec: catalog.MetricSpec) -> None:
    # tiny() is extracted at 2026-10-15: a window starting exactly then knows nothing yet.
    data = tiny()
    window = Window.between(data.as_of, data.as_of + timedelta(days=90))
    kwargs: dict[str, Any] = {"window": window}
    if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY):
        kwargs["basis"] = BASIS
    result = catalog.function(spec.id)(data, **kwargs)
    assert result.value is None
    assert "nothing in the window is known yet" in (result.undefined_reason or "")


def test_share_by_horizon_is_none_beyond_the_longest_follow_up() -> None:
    # Ten accounts activated on 4 September; three refer within five days; as_of 15 October:
    # 41 days of follow-up. The share by 30 days is 3/10; by 90 and 180 days it is unknown.
    activated = datetime(2026, 9, 4, tzinfo=UTC)
    accounts = [Account(id=f"a{i}", customer_since=activated) for i in range(10)]
    referrals = [
        Referral(id=f"r{i}", account_id=f"a{i}", invited_at=activated + timedelta(days=i + 1))
        for i in range(3)
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=datetime(2026, 10, 15, tzinfo=UTC)
    )
    result = metrics.time_to_first_referral(data, window=Window.month(2026, 9))
    assert result.details["share_by_30_days"] == pytest.approx(0.3)
    assert result.details["share_by_90_days"] is None
    assert result.details["share_by_180_days"] is None
    assert result.details["longest_follow_up_days"] == pytest.approx(41.0)


def test_referred_customer_won_and_lost_inside_the_window_still_weighs() -> None:
    # "r" is acquired through a referral on 1 July and churns on 1 September with 50000 ARR then;
    # "o" is a new, non-referred customer with 150000 ARR at W.end. Weighted at each account's
    # last instant as a customer: 50000 / (50000 + 150000) = 0.25, not 0.
    t0 = datetime(2026, 7, 1, tzinfo=UTC)
    accounts = [
        Account(
            id="r",
            customer_since=t0,
            churned_at=datetime(2026, 9, 1, tzinfo=UTC),
            acquisition_channel="referral",
        ),
        Account(id="o", customer_since=t0 + timedelta(days=1)),
    ]
    contracts = [
        Contract(
            id="cr",
            account_id="r",
            start=t0,
            end=datetime(2027, 7, 1, tzinfo=UTC),
            arr=Decimal(50000),
            currency="USD",
        ),
        Contract(
            id="co",
            account_id="o",
            start=t0 + timedelta(days=1),
            end=datetime(2027, 7, 1, tzinfo=UTC),
            arr=Decimal(150000),
            currency="USD",
        ),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, as_of=datetime(2026, 10, 15, tzinfo=UTC)
    )
    result = metrics.client_referral_rate(data, window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD"))
    assert result.value == 0.25
    assert (result.numerator, result.denominator) == (Decimal(50000), Decimal(200000))


@pytest.mark.parametrize(
    ("metric_id", "name"),
    [("referral_conversion_rate", "horizon_days"), ("advocate_re_engagement_rate", "lapse_days")],
)
def test_horizon_beyond_a_century_is_refused_not_an_overflow(metric_id: str, name: str) -> None:
    from advocacy_kpis import ParameterError

    with pytest.raises(ParameterError, match=name):
        catalog.function(metric_id)(tiny(), window=Window.quarter(2026, 2), **{name: 10**12})


def test_window_on_another_calendar_is_refused_naming_both() -> None:
    from zoneinfo import ZoneInfo

    from advocacy_kpis import Calendar, ParameterError

    data = tiny()
    berlin = Window.quarter(2026, 3, Calendar(timezone=ZoneInfo("Europe/Berlin")))
    with pytest.raises(ParameterError, match="Berlin"):
        metrics.net_promoter_score(data, window=berlin)


def test_segment_that_matches_nothing_warns_with_the_known_values() -> None:
    from advocacy_kpis import Segment

    result = metrics.client_referral_rate(
        tiny(), window=Window.quarter(2026, 3), segment=Segment.where(tier="Enterprise")
    )
    assert result.value is None
    assert any("enterprise" in w and "mid" in w and "smb" in w for w in result.warnings)


def test_results_record_their_parameters_and_refuse_to_compare_across_them() -> None:
    from advocacy_kpis import IncomparableResultsError

    q2, q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
    a = metrics.referral_conversion_rate(tiny(), window=q3, horizon_days=30)
    b = metrics.referral_conversion_rate(tiny(), window=q2, horizon_days=90)
    assert a.parameters["horizon_days"] == 30 and "confidence" not in a.parameters
    with pytest.raises(IncomparableResultsError, match="horizon_days"):
        a.change_from(b)
