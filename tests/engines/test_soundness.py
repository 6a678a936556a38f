"""Wrong answers once found on the records or the tables, each pinned on the records and every local engine.

Expected values are counted by hand from the few records each test builds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from advocacy_kpis import (
    Account,
    AdvocacyAction,
    AdvocacyData,
    Asset,
    Contract,
    MetricResult,
    ReferenceRequest,
    Referral,
    RevenueBasis,
    Segment,
    Window,
    engines,
    metrics,
    sample,
)
from advocacy_kpis.errors import SegmentNotApplicableError
from tests.engines._frames import LOCAL, on_backend, utc

pytest.importorskip("polars")
pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

SOURCES = ("records", *LOCAL)
Q1 = Window.quarter(2026, 1)
Q3 = Window.quarter(2026, 3)


def _on(data: AdvocacyData, source: str) -> AdvocacyData | engines.Tables:
    return data if source == "records" else engines.tables_from_data(data, source)


# -- a weight is computed once, the same way ----------------------------------------------------------

ARRS = ("43531.63", "152247.90", "74269.63")
MONTHLY_TOTAL = Decimal("22504.096666666667")
"""(43,531.63 + 152,247.90 + 74,269.63) / 12 = 270,049.16 / 12 = 22,504.0966..., rounded once at 12
places. Rounding each account's twelfth first gives 22,504.096666666666: a part above its whole."""


def three_advocates() -> AdvocacyData:
    """Three customers acquired through referrals, all customers through 2026Q1, each with one
    advocacy action in it."""
    accounts = [
        Account(id=f"a{i}", customer_since=utc(2025, 1, 1), acquisition_channel="referral") for i in range(3)
    ]
    contracts = [
        Contract(id=f"c{i}", account_id=f"a{i}", start=utc(2025, 1, 1), end=utc(2027, 1, 1), arr=Decimal(arr), currency="USD")
        for i, arr in enumerate(ARRS)
    ]  # fmt: skip
    actions = [
        AdvocacyAction(id=f"x{i}", account_id=f"a{i}", asset=Asset.CASE_STUDY, completed_at=utc(2026, 2, 1))
        for i in range(3)
    ]
    return AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, actions=actions, referrals=[], reviews=[], social_shares=[],
        as_of=utc(2026, 10, 1),
    )  # fmt: skip


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("metric", [metrics.customer_advocacy_rate, metrics.referral_retention_rate])
def test_mrr_weights_of_three_advocates_keep_the_part_equal_to_the_whole(
    metric: Callable[..., MetricResult], source: str
) -> None:
    data = three_advocates()
    basis = RevenueBasis.mrr("USD")
    got = metric(_on(data, source), window=Q1, basis=basis)
    assert (got.value, got.numerator, got.denominator) == (1.0, MONTHLY_TOTAL, MONTHLY_TOTAL)
    assert got.to_dict() == metric(data, window=Q1, basis=basis).to_dict()


# -- a collection never supplied is undefined for the same reason everywhere --------------------------


def without(data: AdvocacyData, *names: str) -> AdvocacyData:
    kept = {k: v for k, v in data.as_collections().items() if k not in names}
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **kept)


@pytest.mark.parametrize("backend", LOCAL)
def test_a_collection_never_supplied_stays_out_of_tables_built_from_data(backend: str) -> None:
    data = without(sample.tiny(), "program_costs", "social_shares")
    assert set(engines.arrow_tables(data)) == set(data.supplied)
    assert set(engines.tables_from_data(data, backend)) == set(data.supplied)
    assert engines.tables_from_data(data, backend).to_data().supplied == data.supplied


NO_COSTS = "no program costs were supplied, so this metric cannot be computed"


@pytest.mark.parametrize("source", [*SOURCES, "hand-built"])
@pytest.mark.parametrize("segment", [Segment.all(), Segment.where(region="NA")], ids=str)
def test_roi_without_program_costs_is_undefined_for_the_same_reason_on_records_and_tables(
    source: str, segment: Segment
) -> None:
    data = without(sample.tiny(), "program_costs")
    if source == "hand-built":
        arrow = {
            name: table
            for name, table in engines.arrow_tables(sample.tiny()).items()
            if name != "program_costs"
        }
        on: Any = engines.Tables(on_backend(arrow, "polars"), as_of=data.as_of)
    else:
        on = _on(data, source)
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    got = metrics.referral_campaign_roi(on, window=Q3, segment=segment, basis=basis)
    assert (got.value, got.undefined_reason) == (None, NO_COSTS)
    assert (
        got.to_dict()
        == metrics.referral_campaign_roi(data, window=Q3, segment=segment, basis=basis).to_dict()
    )


@pytest.mark.parametrize("backend", LOCAL)
def test_roi_on_a_segment_its_cost_records_cannot_be_cut_by_is_refused_alike(backend: str) -> None:
    data = sample.tiny()
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    segment = Segment.where(region="NA")
    with pytest.raises(SegmentNotApplicableError) as on_records:
        metrics.referral_campaign_roi(data, window=Q3, segment=segment, basis=basis)
    with pytest.raises(SegmentNotApplicableError) as on_tables:
        metrics.referral_campaign_roi(
            engines.tables_from_data(data, backend), window=Q3, segment=segment, basis=basis
        )
    assert str(on_tables.value) == str(on_records.value)


# -- time to event: a share by a horizon past the longest follow-up --------------------------------


def cohorts(as_of: datetime, *, censored: bool) -> AdvocacyData:
    """Two accounts activated and onboarded in 2026Q1 and two reference requests made in it, each
    reaching its event: first referral 5 and 20 days on, first advocacy 2 (an action) and 20 days on,
    fills 3 and 10 days on. ``censored`` adds an account and a request on 20 March that never do."""
    accounts = [
        Account(id="a1", customer_since=utc(2025, 6, 1), activated_at=utc(2026, 1, 10), onboarded_at=utc(2026, 1, 10)),
        Account(id="a2", customer_since=utc(2025, 6, 1), activated_at=utc(2026, 2, 1), onboarded_at=utc(2026, 2, 1)),
    ]  # fmt: skip
    requests = [
        ReferenceRequest(id="q1", requested_at=utc(2026, 1, 5), filled_at=utc(2026, 1, 8), account_id="a1"),
        ReferenceRequest(id="q2", requested_at=utc(2026, 3, 1), filled_at=utc(2026, 3, 11), account_id="a2"),
    ]
    if censored:
        accounts.append(
            Account(id="a3", customer_since=utc(2025, 6, 1), activated_at=utc(2026, 3, 20), onboarded_at=utc(2026, 3, 20))
        )  # fmt: skip
        requests.append(ReferenceRequest(id="q3", requested_at=utc(2026, 3, 20)))
    return AdvocacyData.from_records(
        accounts=accounts,
        referrals=[
            Referral(id="r1", account_id="a1", invited_at=utc(2026, 1, 15)),
            Referral(id="r2", account_id="a2", invited_at=utc(2026, 2, 21)),
        ],
        actions=[AdvocacyAction(id="x1", account_id="a1", asset=Asset.REVIEW, completed_at=utc(2026, 1, 12))],
        reference_requests=requests,
        as_of=as_of,
    )


TIME_TO_EVENT = [metrics.time_to_first_referral, metrics.time_to_advocacy, metrics.reference_time_to_fill]


def shares(result: MetricResult) -> list[Any]:
    return [result.details[f"share_by_{h}_days"] for h in (30, 90, 180)]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("metric", TIME_TO_EVENT, ids=lambda m: m.__name__)
def test_every_member_reached_the_event_so_every_later_share_is_one(
    metric: Callable[..., MetricResult], source: str
) -> None:
    data = cohorts(utc(2026, 10, 1), censored=False)
    got = metric(_on(data, source), window=Q1)
    # The longest follow-up is 20 days (10 for fills): 90 and 180 lie past it, yet nobody is left.
    assert got.details["longest_follow_up_days"] in (10.0, 20.0)
    assert (dict(got.components), shares(got)) == (
        {"cohort": 2, "events": 2, "censored": 0},
        [1.0, 1.0, 1.0],
    )
    assert got.to_dict() == metric(data, window=Q1).to_dict()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("metric", TIME_TO_EVENT, ids=lambda m: m.__name__)
def test_a_member_still_waiting_leaves_shares_past_the_longest_follow_up_unknown(
    metric: Callable[..., MetricResult], source: str
) -> None:
    data = cohorts(utc(2026, 5, 1), censored=True)
    got = metric(_on(data, source), window=Q1)
    # The third member has waited 42 days (20 March to 1 May). Kaplan-Meier by day 30: events at
    # two of three then one of two, so 1 - (2/3)(1/2) = 2/3; 90 and 180 days were never watched.
    assert got.details["longest_follow_up_days"] == 42.0
    assert dict(got.components) == {"cohort": 3, "events": 2, "censored": 1}
    assert shares(got) == [pytest.approx(2 / 3), None, None]
    assert got.to_dict() == metric(data, window=Q1).to_dict()
