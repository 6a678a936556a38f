"""Wrong answers once found on the records or the tables, each pinned on the records and every local engine.

Expected values are counted by hand from the few records each test builds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
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


# -- the latest answer: the latest instant, then the higher score --------------------------------------


def latest_answers() -> AdvocacyData:
    """Respondents answering NPS and repurchase more than once in 2026Q3."""
    from advocacy_kpis import SurveyKind, SurveyResponse

    def answer(ident: str, account: str, who: str | None, kind: SurveyKind, score: int, at: datetime) -> Any:
        return SurveyResponse(
            id=ident, account_id=account, respondent_id=who, kind=kind, score=score, responded_at=at
        )

    nps, again, more = SurveyKind.NPS, SurveyKind.REPURCHASE, SurveyKind.UPSELL
    return AdvocacyData.from_records(
        accounts=[Account(id=a, customer_since=utc(2025, 1, 1)) for a in ("a1", "a2")],
        surveys=[
            # r1 answers 0 and 10 at one instant: 10 counts.
            answer("s1", "a1", "r1", nps, 0, utc(2026, 7, 10)),
            answer("s2", "a1", "r1", nps, 10, utc(2026, 7, 10)),
            # r2 answers 10, then 3: 3 counts in the quarter, 10 in July, 3 in August.
            answer("s3", "a1", "r2", nps, 10, utc(2026, 7, 1)),
            answer("s4", "a1", "r2", nps, 3, utc(2026, 8, 1)),
            # a2's account-level answer in the last microsecond of the quarter: a passive.
            answer(
                "s5",
                "a2",
                None,
                nps,
                8,
                datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=utc(2026, 1, 1).tzinfo),
            ),
            # r3 answers 9, then 2 a microsecond later: 2 counts.
            answer("s6", "a2", "r3", nps, 9, utc(2026, 7, 5)),
            answer("s11", "a2", "r3", nps, 2, utc(2026, 7, 5) + timedelta(microseconds=1)),
            # Repurchase answers of r1: 2 then 7 at a later instant, and 9 at the first one.
            answer("s7", "a1", "r1", again, 2, utc(2026, 7, 2)),
            answer("s8", "a1", "r1", again, 9, utc(2026, 7, 2)),
            answer("s9", "a1", "r1", again, 7, utc(2026, 9, 2)),
            answer("s10", "a1", "r1", more, 5, utc(2026, 8, 15)),
        ],
        as_of=utc(2026, 12, 1),
    )


@pytest.mark.parametrize("source", SOURCES)
def test_each_respondent_counts_once_with_the_latest_answer_and_the_higher_score_at_one_instant(
    source: str,
) -> None:
    data = _on(latest_answers(), source)
    quarter = metrics.net_promoter_score(data, window=Q3)
    # r1 10 (promoter), r2 3 and r3 2 (detractors), a2 8 (passive): (1 - 2) / 4.
    assert (quarter.value, quarter.numerator, quarter.denominator) == (-25.0, -1, 4)
    july = metrics.net_promoter_score(data, window=Window.month(2026, 7))
    # r1 10, r2 10, r3 2: (2 - 1) / 3.
    assert (july.value, july.denominator) == (pytest.approx(100 / 3), 3)
    august = metrics.net_promoter_score(data, window=Window.month(2026, 8))
    assert (august.value, august.denominator) == (-100.0, 1)
    card = engines_scorecard(data)
    assert [r.value for r in card.results] == [-25.0, pytest.approx(100 / 3), -100.0]


@pytest.mark.parametrize("source", SOURCES)
def test_the_loyalty_index_reads_each_questions_latest_answer(source: str) -> None:
    data = _on(latest_answers(), source)
    # Only r1 answered all three in 2026Q3: NPS 10, repurchase 7 (after 9 at an earlier
    # instant), upsell 5; 10 * (10 + 7 + 5) / 3.
    got = metrics.customer_loyalty_index(data, window=Q3)
    assert got.value == pytest.approx(220 / 3)
    assert got.sample_size == 1
    # In July r1 has no upsell answer: nobody is complete.
    assert metrics.customer_loyalty_index(data, window=Window.month(2026, 7)).value is None


def engines_scorecard(data: AdvocacyData | engines.Tables) -> Any:
    from advocacy_kpis import scorecard

    windows = [Q3, Window.month(2026, 7), Window.month(2026, 8)]
    return scorecard(data, metrics=["net_promoter_score"], windows=windows)
