"""Family 2 (advocate identification and engagement) against naive oracles and hand computations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import (
    QBR,
    Account,
    AdvocacyAction,
    AdvocacyData,
    Advocate,
    Ask,
    Asset,
    Contract,
    MetricResult,
    ParameterError,
    PromptAction,
    Referral,
    ReferralPrompt,
    RevenueBasis,
    Segment,
    SocialShare,
    SurveyKind,
    SurveyResponse,
    Window,
    metrics,
)
from advocacy_kpis.grid import Grid
from advocacy_kpis.policy import ReadinessModel, TapPolicy
from advocacy_kpis.sample import tiny
from advocacy_kpis.stats import kaplan_meier, poisson_rate_interval
from tests.strategies import HEAVY, TIERS, datasets, in_window, windows


@given(datasets(), windows())
def test_time_to_first_referral_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    durations, observed = [], []
    for account in data.accounts:
        origin = account.activated_at or account.customer_since
        if not window.start <= origin < window.end:
            continue
        stop = account.churned_at or data.as_of
        later = sorted(
            r.invited_at for r in data.referrals if r.account_id == account.id and r.invited_at >= origin
        )
        if later and later[0] <= stop:
            durations.append((later[0] - origin).total_seconds() / 86400)
            observed.append(True)
        else:
            durations.append(max(0.0, (stop - origin).total_seconds() / 86400))
            observed.append(False)
    result = metrics.time_to_first_referral(data, window=window)
    assert result.components["cohort"] == len(durations)
    assert result.components["events"] == sum(observed)
    expected = kaplan_meier(durations, observed).median() if durations else None
    assert result.value == expected


def test_never_referring_cohort_has_undefined_median_but_shares() -> None:
    t = datetime(2026, 7, 1, tzinfo=UTC)
    accounts = [Account(id=f"a{i}", customer_since=t + timedelta(days=i)) for i in range(4)]
    referrals = [Referral(id="r", account_id="a0", invited_at=t + timedelta(days=10))]
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, as_of=datetime(2027, 1, 1, tzinfo=UTC)
    )
    result = metrics.time_to_first_referral(data, window=Window.quarter(2026, 3))
    assert result.value is None
    assert "fewer than half" in (result.undefined_reason or "")
    # One of four referred, on day 10, with everyone followed for months: a quarter by day 30.
    assert result.details["share_by_30_days"] == pytest.approx(0.25)
    assert result.details["mean_of_observed_days"] == pytest.approx(10.0)


def test_referral_before_activation_is_not_the_first() -> None:
    t = datetime(2026, 7, 1, tzinfo=UTC)
    account = Account(id="a", customer_since=t, activated_at=t + timedelta(days=20))
    referrals = [
        Referral(id="early", account_id="a", invited_at=t + timedelta(days=5)),
        Referral(id="later", account_id="a", invited_at=t + timedelta(days=50)),
    ]
    data = AdvocacyData.from_records(
        accounts=[account], referrals=referrals, as_of=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert metrics.time_to_first_referral(data, window=Window.quarter(2026, 3)).value == 30.0


# -- family 2: participation, readiness, re-engagement, shares, prompts, asks, QBRs --------------


def active(data: AdvocacyData, window: Window) -> set[str]:
    return {
        a.id
        for a in data.accounts
        if a.customer_since < window.end and (a.churned_at is None or a.churned_at >= window.start)
    }


def share(hits: set[str], population: set[str]) -> tuple[int, int]:
    return len(hits & population), len(population)


def referrers(data: AdvocacyData, window: Window) -> set[str]:
    return {r.account_id for r in data.referrals if in_window(r.invited_at, window)}


def naive_re_engagement(data: AdvocacyData, window: Window, lapse_days: int) -> tuple[int, int]:
    by_contact: dict[tuple[str, str | None], list[datetime]] = {}
    for x in data.actions:
        by_contact.setdefault((x.account_id, x.advocate_id), []).append(x.completed_at)
    opted_out = {(v.account_id, v.id): v.opted_out_at for v in data.advocates}
    accounts = {a.id: a for a in data.accounts}
    lapsed = re_engaged = 0
    for (account_id, advocate_id), times in by_contact.items():
        earlier = [t for t in times if t < window.start]
        if not earlier or max(earlier) >= window.start - timedelta(days=lapse_days):
            continue
        left = opted_out.get((account_id, advocate_id)) if advocate_id else None
        if left is not None and left < window.start:
            continue
        account = accounts[account_id]
        if not (
            account.customer_since < window.end
            and (account.churned_at is None or account.churned_at >= window.start)
        ):
            continue
        lapsed += 1
        re_engaged += any(in_window(t, window) for t in times)
    return re_engaged, lapsed


# Each oracle gives (numerator, denominator) from plain loops over the records.
ORACLES: dict[str, Callable[[AdvocacyData, Window], tuple[int, int]]] = {
    "referral_program_participation_rate": lambda d, w: share(referrers(d, w), active(d, w)),
    "referral_discussion_initiation_rate": lambda d, w: share(
        referrers(d, w) | {p.account_id for p in d.referral_prompts if in_window(p.occurred_at, w)},
        active(d, w),
    ),
    "warm_introduction_offer_rate": lambda d, w: share(
        {k.account_id for k in d.asks if k.asset is Asset.REFERRAL and in_window(k.asked_at, w)}, active(d, w)
    ),
    "personalized_referral_outreach_rate": lambda d, w: share(
        {r.account_id for r in d.referrals if r.personalized and in_window(r.invited_at, w)},
        {r.account_id for r in d.referrals if r.personalized is not None and in_window(r.invited_at, w)},
    ),
    "share_rate_among_icps": lambda d, w: share(
        {s.account_id for s in d.social_shares if in_window(s.shared_at, w)},
        {a.id for a in d.accounts if a.icp} & active(d, w),
    ),
    "referral_intent_in_qbrs": lambda d, w: (
        sum(1 for q in d.qbrs if q.referral_intent is True and in_window(q.held_at, w)),
        sum(1 for q in d.qbrs if q.referral_intent is not None and in_window(q.held_at, w)),
    ),
    "advocate_re_engagement_rate": lambda d, w: naive_re_engagement(d, w, 90),
}


@given(datasets(), windows())
@HEAVY
def test_rates_equal_naive_oracles_within_bounds_and_add_up_over_tiers(
    data: AdvocacyData, window: Window
) -> None:
    for metric_id, oracle in ORACLES.items():
        function = getattr(metrics, metric_id)
        result = function(data, window=window)
        numerator, denominator = oracle(data, window)
        assert (result.numerator, result.denominator) == (numerator, denominator), metric_id
        if denominator:
            assert result.value == numerator / denominator and 0 <= result.value <= 1
        else:
            assert result.value is None and result.undefined_reason
        parts = [function(data, window=window, segment=Segment.where(tier=t)) for t in TIERS]
        assert sum(p.numerator for p in parts) == numerator, metric_id
        assert sum(p.denominator for p in parts) == denominator, metric_id


@given(datasets(), windows())
@HEAVY
def test_social_shares_equal_naive_count_and_add_up_over_tiers(data: AdvocacyData, window: Window) -> None:
    shares = [s for s in data.social_shares if in_window(s.shared_at, window)]
    result = metrics.social_shares(data, window=window)
    assert result.value == len(shares) and isinstance(result.value, int)
    assert result.components["accounts"] == len({s.account_id for s in shares})
    assert sum(result.details["by_channel"].values()) == len(shares)
    assert result.interval == poisson_rate_interval(len(shares), 1.0)
    parts = [metrics.social_shares(data, window=window, segment=Segment.where(tier=t)) for t in TIERS]
    assert sum(p.value for p in parts) == result.value
    narrower = metrics.social_shares(data, window=window, confidence=0.8)
    assert narrower.interval == poisson_rate_interval(len(shares), 1.0, 0.8)
    assert result.interval is not None and narrower.interval is not None
    assert result.interval.low <= narrower.interval.low <= narrower.interval.high <= result.interval.high


@given(datasets(), windows(), st.sampled_from([1, 30, 200]))
@HEAVY
def test_re_engagement_equals_naive_oracle_for_any_lapse(
    data: AdvocacyData, window: Window, lapse: int
) -> None:
    result = metrics.advocate_re_engagement_rate(data, window=window, lapse_days=lapse)
    assert (result.numerator, result.denominator) == naive_re_engagement(data, window, lapse)


def with_records(data: AdvocacyData, **extra: list[Any]) -> AdvocacyData:
    collections = {name: list(records) for name, records in data.as_collections().items()}
    for name, records in extra.items():
        collections[name] += records
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **collections)


def programme_records(account_ids: list[str], at: datetime, tag: str) -> dict[str, list[Any]]:
    """One of every record the in-window metrics read, for each account, all stamped ``at``."""
    return {
        "referrals": [
            Referral(id=f"{tag}r{a}", account_id=a, invited_at=at, personalized=True) for a in account_ids
        ],
        "referral_prompts": [
            ReferralPrompt(id=f"{tag}p{a}", account_id=a, occurred_at=at, action=PromptAction.COPIED_LINK)
            for a in account_ids
        ],
        "asks": [Ask(id=f"{tag}k{a}", account_id=a, asked_at=at, asset=Asset.REFERRAL) for a in account_ids],
        "social_shares": [SocialShare(id=f"{tag}h{a}", account_id=a, shared_at=at) for a in account_ids],
        "qbrs": [QBR(id=f"{tag}q{a}", account_id=a, held_at=at, referral_intent=True) for a in account_ids],
    }


IN_WINDOW_ONLY = [m for m in ORACLES if m != "advocate_re_engagement_rate"] + ["social_shares"]


def essence(result: MetricResult) -> tuple[Any, ...]:
    return result.value, result.numerator, result.denominator, dict(result.components)


@given(datasets(), windows())
@HEAVY
def test_records_outside_the_window_or_segment_change_nothing(data: AdvocacyData, window: Window) -> None:
    everyone = [a.id for a in data.accounts]
    outside = programme_records(everyone, window.start - timedelta(seconds=1), "before")
    if window.end <= data.as_of:
        for name, records in programme_records(everyone, window.end, "end").items():
            outside[name] += records
    later = with_records(data, **outside)
    not_smb = [a.id for a in data.accounts if a.tier != "smb"]
    elsewhere = with_records(data, **programme_records(not_smb, window.start, "in"))
    smb = Segment.where(tier="smb")
    for metric_id in IN_WINDOW_ONLY:
        function = getattr(metrics, metric_id)
        assert essence(function(later, window=window)) == essence(function(data, window=window)), metric_id
        assert essence(function(elsewhere, window=window, segment=smb)) == essence(
            function(data, window=window, segment=smb)
        ), metric_id


@given(datasets(), windows())
@HEAVY
def test_time_to_advocacy_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    durations, observed = [], []
    for account in data.accounts:
        origin = account.onboarded_at
        if origin is None or not window.start <= origin < window.end:
            continue
        stop = account.churned_at or data.as_of
        later = sorted(
            [x.completed_at for x in data.actions if x.account_id == account.id and x.completed_at >= origin]
            + [r.invited_at for r in data.referrals if r.account_id == account.id and r.invited_at >= origin]
        )
        if later and later[0] <= stop:
            durations.append((later[0] - origin).total_seconds() / 86400)
            observed.append(True)
        else:
            durations.append(max(0.0, (stop - origin).total_seconds() / 86400))
            observed.append(False)
    result = metrics.time_to_advocacy(data, window=window)
    assert result.components["cohort"] == len(durations)
    assert result.components["events"] == sum(observed)
    assert result.value == (kaplan_meier(durations, observed).median() if durations else None)
    parts = [metrics.time_to_advocacy(data, window=window, segment=Segment.where(tier=t)) for t in TIERS]
    assert sum(p.components["cohort"] for p in parts) == len(durations)
    assert sum(p.components["events"] for p in parts) == sum(observed)


def naive_readiness(data: AdvocacyData, account_id: str, at: datetime) -> float:
    since = at - timedelta(days=180)

    def latest(kind: SurveyKind) -> int | None:
        answers = [
            s
            for s in data.surveys
            if s.account_id == account_id and s.kind is kind and since <= s.responded_at < at
        ]
        # At one instant the higher score wins, as in net_promoter_score.
        return max(answers, key=lambda s: (s.responded_at, s.score)).score if answers else None

    account = next(a for a in data.accounts if a.id == account_id)
    high = {Asset.REFERENCE, Asset.CASE_STUDY, Asset.SPEAKING}
    score = 0.0
    nps, csat = latest(SurveyKind.NPS), latest(SurveyKind.CSAT)
    score += 40 if nps is not None and nps >= 9 else 0
    score += 20 if csat is not None and csat >= 4 else 0
    score += 15 if account.onboarded_at is not None and account.onboarded_at + timedelta(days=90) <= at else 0
    # A heavy ask blocks another until three calendar months after it.
    tapped = any(
        k.account_id == account_id
        and k.asset in high
        and k.asked_at < at < k.asked_at + relativedelta(months=3)
        for k in data.asks
    )
    score += 0 if tapped else 15
    acted = any(x.account_id == account_id and since <= x.completed_at < at for x in data.actions)
    score += 10 if acted else 0
    return score


@given(datasets(), windows())
@HEAVY
def test_readiness_scores_equal_naive_oracle(data: AdvocacyData, window: Window) -> None:
    scores = metrics.readiness_scores(data, at=window.end)
    customers = {
        a.id
        for a in data.accounts
        if a.customer_since < window.end and (a.churned_at is None or a.churned_at >= window.end)
    }
    assert set(scores) == customers
    for account_id, readiness in scores.items():
        assert readiness.score == naive_readiness(data, account_id, window.end)
        assert 0 <= readiness.score <= 100
    result = metrics.referral_readiness_score(data, window=window)
    if customers:
        assert result.value == pytest.approx(sum(r.score for r in scores.values()) / len(customers))
        ready = metrics.referral_ready_account_rate(data, window=window)
        assert ready.numerator == sum(r.score >= 70 for r in scores.values())
    else:
        assert result.value is None
    parts = [
        metrics.referral_ready_account_rate(data, window=window, segment=Segment.where(tier=t)) for t in TIERS
    ]
    assert sum(p.denominator for p in parts) == len(customers)
    assert sum(p.numerator for p in parts) == sum(r.score >= 70 for r in scores.values())


def test_tiny_readiness_by_hand() -> None:
    # At 2026-10-01, signals from 2026-04-04: a1 promoter (s2: 9), satisfied (s8: 5), onboarded
    # 2024-04-01, last high-effort ask 2026-06-01 is before 2026-07-01, action x2: 100.
    # a2: latest NPS 8 (no), CSAT 4, tenure, no high-effort ask, action x4: 20+15+15+10 = 60.
    # a3: NPS 5, CSAT 2, never onboarded, action x5: 15 + 10 = 25. a5: 15. a6: CSAT 4: 20 + 15 = 35.
    result = metrics.referral_readiness_score(tiny(), window=Window.quarter(2026, 3))
    scores = metrics.readiness_scores(tiny(), at=result.window.end)
    assert {a: r.score for a, r in scores.items()} == {
        "a1": 100.0,
        "a2": 60.0,
        "a3": 25.0,
        "a5": 15.0,
        "a6": 35.0,
    }
    assert result.details["score_counts"] == {"15": 1, "25": 1, "35": 1, "60": 1, "100": 1}
    assert result.value == 47.0
    assert dict(result.components) == {
        "customers": 5, "promoter": 1, "satisfied": 3, "tenure": 2, "not_recently_tapped": 5, "recent_action": 3,
    }  # fmt: skip


def test_readiness_counts_a_recent_high_effort_ask_against_the_account() -> None:
    # At 2026-07-01 a1's reference ask of 2026-06-01 lies within three months: no tap points.
    scores = metrics.readiness_scores(tiny(), at=datetime(2026, 7, 1, tzinfo=UTC))
    assert scores["a1"].components["not_recently_tapped"] is False


def test_readiness_model_is_configurable() -> None:
    model = ReadinessModel(
        weights={"promoter": 100, "satisfied": 0, "tenure": 0, "not_recently_tapped": 0, "recent_action": 0}
    )
    result = metrics.referral_readiness_score(tiny(), window=Window.quarter(2026, 3), model=model)
    assert result.value == 20.0  # only a1 of five is a promoter
    with pytest.raises(ParameterError, match="'weights'"):
        ReadinessModel(weights={"promoter": 10})
    with pytest.raises(ParameterError, match="'threshold'"):
        metrics.referral_ready_account_rate(tiny(), window=Window.quarter(2026, 3), threshold=120)


def test_weighted_participation_uses_revenue_at_the_last_customer_instant() -> None:
    # Two accounts active in 2026Q3: "big" (ARR 90,000) referred; "gone" (ARR 30,000) churned on
    # 2026-08-01 without referring. Weighted at their last customer instant in the quarter:
    # 90,000 / (90,000 + 30,000) = 0.75 (at W.end "gone" would weigh 0 and the rate read 1.0).
    t0, t1 = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    accounts = [
        Account(id="big", customer_since=t0),
        Account(id="gone", customer_since=t0, churned_at=datetime(2026, 8, 1, tzinfo=UTC)),
    ]
    contracts = [
        Contract(id="c1", account_id="big", start=t0, end=t1, arr=Decimal(90000), currency="USD"),
        Contract(
            id="c2",
            account_id="gone",
            start=t0,
            end=datetime(2026, 8, 1, tzinfo=UTC),
            arr=Decimal(30000),
            currency="USD",
        ),
    ]
    referrals = [Referral(id="r", account_id="big", invited_at=datetime(2026, 7, 15, tzinfo=UTC))]
    data = AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, referrals=referrals, as_of=datetime(2026, 10, 2, tzinfo=UTC)
    )
    result = metrics.referral_program_participation_rate(
        data, window=Window.quarter(2026, 3), basis=RevenueBasis.arr("USD")
    )
    assert result.value == 0.75
    assert (result.numerator, result.denominator) == (Decimal(90000), Decimal(120000))


def test_time_to_advocacy_seed_example_is_sixty_days() -> None:
    # Signed on day 0, onboarding completed on day 30, first referral on day 90: 60 days.
    signed = datetime(2026, 1, 1, tzinfo=UTC)
    account = Account(id="a", customer_since=signed, onboarded_at=signed + timedelta(days=30))
    referral = Referral(id="r", account_id="a", invited_at=signed + timedelta(days=90))
    data = AdvocacyData.from_records(
        accounts=[account], referrals=[referral], as_of=datetime(2026, 12, 1, tzinfo=UTC)
    )
    result = metrics.time_to_advocacy(data, window=Window.quarter(2026, 1))
    assert result.value == 60.0


def test_time_to_advocacy_takes_the_earlier_of_action_and_referral_after_onboarding() -> None:
    # Onboarded 2026-07-10. A review on 07-05 came before onboarding: ignored. The first
    # referral (08-19, 40 days) precedes the first later action (09-08, 60 days): 40 days.
    onboarded = datetime(2026, 7, 10, tzinfo=UTC)
    account = Account(id="a", customer_since=datetime(2026, 6, 1, tzinfo=UTC), onboarded_at=onboarded)
    data = AdvocacyData.from_records(
        accounts=[account],
        actions=[
            AdvocacyAction(
                id="x0", account_id="a", asset=Asset.REVIEW, completed_at=onboarded - timedelta(days=5)
            ),
            AdvocacyAction(
                id="x1", account_id="a", asset=Asset.REVIEW, completed_at=onboarded + timedelta(days=60)
            ),
        ],
        referrals=[Referral(id="r", account_id="a", invited_at=onboarded + timedelta(days=40))],
        as_of=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert metrics.time_to_advocacy(data, window=Window.quarter(2026, 3)).value == 40.0


def test_time_to_advocacy_does_not_see_advocacy_after_churn() -> None:
    # Onboarded 07-01, churned 08-01, "acted" on 09-01: censored at 31 days, so no median.
    t = datetime(2026, 7, 1, tzinfo=UTC)
    account = Account(
        id="a",
        customer_since=t - timedelta(days=30),
        onboarded_at=t,
        churned_at=datetime(2026, 8, 1, tzinfo=UTC),
    )
    action = AdvocacyAction(
        id="x", account_id="a", asset=Asset.COMMUNITY, completed_at=datetime(2026, 9, 1, tzinfo=UTC)
    )
    data = AdvocacyData.from_records(
        accounts=[account], actions=[action], as_of=datetime(2026, 12, 1, tzinfo=UTC)
    )
    result = metrics.time_to_advocacy(data, window=Window.quarter(2026, 3))
    assert result.value is None
    assert dict(result.components) == {"cohort": 1, "events": 0, "censored": 1}
    assert result.details["longest_follow_up_days"] == 31.0


def test_re_engagement_counts_advocates_within_their_account() -> None:
    # The advocate id "p" appears at two accounts: two contacts. Both last acted in January
    # (lapsed at 2026-07-01 with 90 days); only b's p acts again in Q3: 1 of 2.
    jan, aug = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    since = datetime(2025, 1, 1, tzinfo=UTC)
    data = AdvocacyData.from_records(
        accounts=[Account(id="a", customer_since=since), Account(id="b", customer_since=since)],
        actions=[
            AdvocacyAction(id="x1", account_id="a", asset=Asset.REVIEW, completed_at=jan, advocate_id="p"),
            AdvocacyAction(id="x2", account_id="b", asset=Asset.REVIEW, completed_at=jan, advocate_id="p"),
            AdvocacyAction(id="x3", account_id="b", asset=Asset.REVIEW, completed_at=aug, advocate_id="p"),
        ],
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )
    result = metrics.advocate_re_engagement_rate(data, window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator, result.value) == (1, 2, 0.5)


def test_re_engagement_leaves_out_opted_out_advocates_and_lost_accounts() -> None:
    # Three contacts lapsed at 2026-07-01: "a/p" opted out in March, "b/q" belongs to an account
    # that churned in June, "c/r" is a customer and acts again in August. Only "c/r" is in the
    # population, and it re-engaged: 1 of 1 (not 1 of 3).
    jan, aug = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    since = datetime(2025, 1, 1, tzinfo=UTC)
    data = AdvocacyData.from_records(
        accounts=[
            Account(id="a", customer_since=since),
            Account(id="b", customer_since=since, churned_at=datetime(2026, 6, 1, tzinfo=UTC)),
            Account(id="c", customer_since=since),
        ],
        advocates=[
            Advocate(
                id="p", account_id="a", enrolled_at=since, opted_out_at=datetime(2026, 3, 1, tzinfo=UTC)
            ),
            Advocate(id="q", account_id="b", enrolled_at=since),
            Advocate(id="r", account_id="c", enrolled_at=since),
        ],
        actions=[
            AdvocacyAction(id="x1", account_id="a", asset=Asset.REVIEW, completed_at=jan, advocate_id="p"),
            AdvocacyAction(id="x2", account_id="b", asset=Asset.REVIEW, completed_at=jan, advocate_id="q"),
            AdvocacyAction(id="x3", account_id="c", asset=Asset.REVIEW, completed_at=jan, advocate_id="r"),
            AdvocacyAction(id="x4", account_id="c", asset=Asset.REVIEW, completed_at=aug, advocate_id="r"),
        ],
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )
    result = metrics.advocate_re_engagement_rate(data, window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator, result.value) == (1, 1, 1.0)
    assert result.components["opted_out_excluded"] == 1
    assert result.components["inactive_account_excluded"] == 1


def test_tiny_weighted_rates_by_hand() -> None:
    # ARR on USD with EUR at 1.08. At 2026-10-01: a1 120000 (c1), a2 66000 (c3), a3 12000 EUR
    # = 12960 (c5), a5 24000 (c8), a6 8000 (c9); a4 churned 2026-08-15 and weighs its c7 10000
    # at that instant. Active in Q3: all six, 240960; customers at W.end: all but a4, 230960.
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    q3 = Window.quarter(2026, 3)
    data = tiny()
    # Warm introductions: referral asks to a2 and a5: 66000 + 24000 = 90000 of 240960.
    warm = metrics.warm_introduction_offer_rate(data, window=q3, basis=basis)
    assert (warm.numerator, warm.denominator) == (Decimal(90000), Decimal("240960.00"))
    assert warm.value == pytest.approx(90000 / 240960)
    # Discussions: a2 (prompt), a6 (prompt), a3 (referral r5): 66000 + 8000 + 12960 = 86960.
    started = metrics.referral_discussion_initiation_rate(data, window=q3, basis=basis)
    assert started.numerator == Decimal("86960.00")
    assert started.value == pytest.approx(86960 / 240960)
    # Participation: a3 referred (r5): 12960 of 240960.
    joined = metrics.referral_program_participation_rate(data, window=q3, basis=basis)
    assert joined.value == pytest.approx(12960 / 240960)
    # Ready at threshold 60: a1 (100) and a2 (60): 186000 of 230960.
    ready = metrics.referral_ready_account_rate(data, window=q3, basis=basis, threshold=60)
    assert (ready.numerator, ready.denominator) == (Decimal(186000), Decimal("230960.00"))
    assert ready.value == pytest.approx(186000 / 230960)


def test_icp_share_rate_reports_the_segment_asked_for() -> None:
    # The ICP restriction is part of the definition, not of the segment: results stay comparable.
    result = metrics.share_rate_among_icps(tiny(), window=Window.quarter(2026, 3))
    assert result.segment == Segment.all()
    smb = metrics.share_rate_among_icps(
        tiny(), window=Window.quarter(2026, 3), segment=Segment.where(tier="smb")
    )
    assert smb.value is None and "no ICP accounts" in (smb.undefined_reason or "")


def test_readiness_tie_at_one_instant_takes_the_higher_score() -> None:
    # Two NPS answers from one account at the same instant (6 and 9): promoter, whatever the ids.
    t = datetime(2026, 9, 1, tzinfo=UTC)
    account = Account(id="a", customer_since=datetime(2025, 1, 1, tzinfo=UTC))
    for ids in (("s1", "s2"), ("s2", "s1")):
        surveys = [
            SurveyResponse(id=ids[0], account_id="a", kind=SurveyKind.NPS, score=9, responded_at=t),
            SurveyResponse(id=ids[1], account_id="a", kind=SurveyKind.NPS, score=6, responded_at=t),
        ]
        data = AdvocacyData.from_records(accounts=[account], surveys=surveys, as_of=t + timedelta(days=40))
        scores = metrics.readiness_scores(data, at=datetime(2026, 10, 1, tzinfo=UTC))
        assert scores["a"].components["promoter"] is True


def test_readiness_ask_exactly_one_gap_earlier_no_longer_blocks() -> None:
    # A reference ask on 2026-07-01 reopens high-effort asks on 2026-10-01 (TapPolicy.allows),
    # so at that instant the account is not recently tapped; a day earlier it still is.
    since = datetime(2025, 1, 1, tzinfo=UTC)
    ask = Ask(id="k", account_id="a", asked_at=datetime(2026, 7, 1, tzinfo=UTC), asset=Asset.REFERENCE)
    data = AdvocacyData.from_records(
        accounts=[Account(id="a", customer_since=since)], asks=[ask], as_of=datetime(2026, 10, 15, tzinfo=UTC)
    )
    at = datetime(2026, 10, 1, tzinfo=UTC)
    assert metrics.readiness_scores(data, at=at)["a"].components["not_recently_tapped"] is True
    before = metrics.readiness_scores(data, at=at - timedelta(days=1))["a"]
    assert before.components["not_recently_tapped"] is False
    # A low-effort ask never costs the tap points, and a longer policy gap keeps the block.
    longer = ReadinessModel(tap_policy=TapPolicy(high_effort_gap_months=4))
    assert metrics.readiness_scores(data, at=at, model=longer)["a"].components["not_recently_tapped"] is False


def test_account_readiness_components_are_read_only() -> None:
    readiness = metrics.readiness_scores(tiny(), at=datetime(2026, 10, 1, tzinfo=UTC))["a1"]
    with pytest.raises(TypeError):
        readiness.components["promoter"] = False  # type: ignore[index]


Q3 = Window.quarter(2026, 3)
BAD_PARAMETERS = [
    ("referral_program_participation_rate", {"confidence": 1.5}, "confidence"),
    ("referral_program_participation_rate", {"basis": RevenueBasis.acv("USD")}, "basis"),
    ("referral_discussion_initiation_rate", {"segment": "tier=smb"}, "segment"),
    ("warm_introduction_offer_rate", {"basis": "arr:USD"}, "basis"),
    ("referral_readiness_score", {"model": "default"}, "model"),
    ("referral_readiness_score", {"window": None}, "window"),
    ("referral_ready_account_rate", {"threshold": -1}, "threshold"),
    ("referral_ready_account_rate", {"threshold": "70"}, "threshold"),
    ("referral_ready_account_rate", {"model": None}, "model"),
    ("advocate_re_engagement_rate", {"lapse_days": 0}, "lapse_days"),
    ("advocate_re_engagement_rate", {"lapse_days": True}, "lapse_days"),
    ("social_shares", {"segment": 3}, "segment"),
    ("social_shares", {"confidence": 1.0}, "confidence"),
    ("share_rate_among_icps", {"segment": Segment.where(colour="red")}, "segment"),
    ("personalized_referral_outreach_rate", {"confidence": 0}, "confidence"),
    ("referral_intent_in_qbrs", {"confidence": "high"}, "confidence"),
    ("time_to_advocacy", {"window": "2026Q3"}, "window"),
]


@pytest.mark.parametrize(("metric_id", "bad", "parameter"), BAD_PARAMETERS)
def test_bad_parameters_raise_naming_the_parameter(
    metric_id: str, bad: dict[str, Any], parameter: str
) -> None:
    kwargs: dict[str, Any] = {"window": Q3, **bad}
    with pytest.raises(ParameterError, match=f"'{parameter}' parameter"):
        getattr(metrics, metric_id)(tiny(), **kwargs)


def test_readiness_scores_checks_its_arguments() -> None:
    with pytest.raises(ParameterError, match="'at' parameter"):
        metrics.readiness_scores(tiny(), at=datetime(2026, 10, 1))
    with pytest.raises(ParameterError, match="'segment' parameter"):
        metrics.readiness_scores(tiny(), at=datetime(2026, 10, 1, tzinfo=UTC), segment="smb")  # type: ignore[arg-type]


# -- the AdvocacyData selection helpers family 2 added ------------------------------------------


def test_by_contact_groups_actions_per_advocate_within_account() -> None:
    grouped = tiny().by_contact(AdvocacyAction)
    assert {contact: [x.id for x in actions] for contact, actions in grouped.items()} == {
        "a1/v1": ["x1", "x2"],
        "a2/v2": ["x3", "x4"],
        "a3/": ["x5"],
    }
    assert tiny().by_contact(Ask).keys() == {"a1/v1", "a2/v2", "a5/"}


def test_last_customer_instants_stop_at_churn() -> None:
    data = tiny()
    grid = Grid([Q3], [Segment.all()])
    instants = {a: grid.last_customer_instant(data.account(a).churned_at, 0) for a in ("a1", "a4")}
    assert instants == {"a1": Q3.end, "a4": datetime(2026, 8, 15, tzinfo=UTC)}


# -- flags a source may not record: True, False, or None = not recorded ---------------------------

_SINCE = datetime(2025, 1, 1, tzinfo=UTC)
_IN_Q3 = datetime(2026, 8, 1, tzinfo=UTC)


def _flagged(
    personalized: list[bool | None], intent: list[bool | None], icp: list[bool | None]
) -> AdvocacyData:
    accounts = [Account(id=f"a{i}", customer_since=_SINCE, icp=flag) for i, flag in enumerate(icp)]
    return AdvocacyData.from_records(
        accounts=accounts,
        referrals=[
            Referral(id=f"r{i}", account_id=f"a{i}", invited_at=_IN_Q3, personalized=flag)
            for i, flag in enumerate(personalized)
        ],
        qbrs=[
            QBR(id=f"q{i}", account_id=f"a{i}", held_at=_IN_Q3, referral_intent=flag)
            for i, flag in enumerate(intent)
        ],
        social_shares=[SocialShare(id="h0", account_id="a0", shared_at=_IN_Q3)],
        as_of=datetime(2026, 10, 1, tzinfo=UTC),
    )


def test_referrals_that_do_not_record_personalization_are_left_out_and_counted() -> None:
    data = _flagged([True, False, None, None], [None] * 4, [None] * 4)
    result = metrics.personalized_referral_outreach_rate(data, window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator, result.value) == (1, 2, 0.5)
    assert "2 referrals do not record whether they were personalized; they are left out" in result.warnings


def test_personalization_recorded_nowhere_is_undefined_not_zero() -> None:
    data = _flagged([None, None], [None, None], [None, None])
    result = metrics.personalized_referral_outreach_rate(data, window=Window.quarter(2026, 3))
    assert result.value is None
    assert (
        result.undefined_reason
        == "no referral sent in the window and segment records whether it was personalized"
    )


def test_qbrs_that_do_not_record_intent_are_left_out_and_counted() -> None:
    data = _flagged([None] * 3, [True, None, False], [None] * 3)
    result = metrics.referral_intent_in_qbrs(data, window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator) == (1, 2)
    assert "1 QBRs do not record whether referral intent was expressed; they are left out" in result.warnings
    none = metrics.referral_intent_in_qbrs(_flagged([None], [None], [None]), window=Window.quarter(2026, 3))
    assert none.value is None and "records whether referral intent" in (none.undefined_reason or "")


def test_accounts_that_do_not_record_icp_are_left_out_and_counted() -> None:
    data = _flagged([None] * 3, [None] * 3, [True, False, None])
    result = metrics.share_rate_among_icps(data, window=Window.quarter(2026, 3))
    assert (result.numerator, result.denominator) == (1, 1)
    assert (
        "1 accounts do not record whether they fit the ideal customer profile; they are left out"
        in result.warnings
    )
    none = metrics.share_rate_among_icps(_flagged([None], [None], [None]), window=Window.quarter(2026, 3))
    assert none.value is None and "records whether it fits the ICP" in (none.undefined_reason or "")
