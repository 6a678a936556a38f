"""Family 5 (advocacy programme health and reach) and the over-asking analysis, against naive
oracles written here, hand computations and each other."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Advocate,
    Ask,
    Asset,
    MetricResult,
    ParameterError,
    ReferenceRequest,
    RevenueBasis,
    Segment,
    SegmentNotApplicableError,
    TapPolicy,
    Window,
    metrics,
    scorecard,
)
from advocacy_kpis.analyses import eligible_to_ask, over_asked
from advocacy_kpis.sample import tiny
from advocacy_kpis.stats import kaplan_meier, poisson_rate_interval, wilson_interval
from advocacy_kpis.tally import context, definition
from tests.strategies import (
    HEAVY,
    REGIONS,
    TIERS,
    instants,
    programme_datasets,
    windows,
)

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.25")})
HIGH = {Asset.REFERENCE, Asset.CASE_STUDY, Asset.SPEAKING}
PROGRAMME = (
    "customer_advocacy_rate",
    "advocate_pool_size",
    "advocate_activation_rate",
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "review_velocity",
    "advocate_influenced_pipeline",
    "advocate_influenced_revenue",
    "influencer_and_advocate_mentions",
    "community_growth_rate",
    "tap_policy_compliance",
)
ON_OWN_ATTRIBUTES = {
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "influencer_and_advocate_mentions",
}
TAKES_A_BASIS = {"customer_advocacy_rate", "advocate_influenced_pipeline", "advocate_influenced_revenue"}


def inside(instant: datetime | None, low: datetime, high: datetime) -> bool:
    return instant is not None and low <= instant < high


def in_w(instant: datetime | None, window: Window) -> bool:
    return inside(instant, window.start, window.end)


def customer_at(account: Account, t: datetime) -> bool:
    return account.customer_since < t and (account.churned_at is None or account.churned_at >= t)


def active(data: AdvocacyData, window: Window) -> set[str]:
    return {
        a.id
        for a in data.accounts
        if a.customer_since < window.end and (a.churned_at is None or a.churned_at >= window.start)
    }


class Act(NamedTuple):
    account: str
    advocate: str | None
    at: datetime
    kind: str


def acts(data: AdvocacyData) -> list[Act]:
    """Every advocacy action, read straight off the record lists."""
    found = [Act(r.account_id, None, r.invited_at, "referral") for r in data.referrals]
    found += [Act(x.account_id, x.advocate_id, x.completed_at, x.asset.value) for x in data.actions]
    found += [Act(v.account_id, None, v.published_at, "review") for v in data.reviews if v.account_id]
    found += [Act(s.account_id, None, s.shared_at, "social_share") for s in data.social_shares]
    found += [
        Act(q.account_id, None, q.filled_at, "reference")
        for q in data.reference_requests
        if q.filled_at is not None and q.account_id is not None
    ]
    return found


def pool(data: AdvocacyData, t: datetime) -> list[Advocate]:
    """The advocates in the pool at ``t``, by an independent filter."""
    accounts = {a.id: a for a in data.accounts}
    return [
        v
        for v in data.advocates
        if v.enrolled_at < t
        and (v.opted_out_at is None or v.opted_out_at >= t)
        and customer_at(accounts[v.account_id], t)
    ]


def naive_over_tapped(
    data: AdvocacyData, window: Window, high_gap: int = 3, low_gap: int = 1
) -> list[tuple[str, str]]:
    """(ask, previous ask) for each ask in the window that came too soon, with plain loops."""
    asks = sorted(data.asks, key=lambda k: (k.asked_at, k.id))
    found = []
    for i, ask in enumerate(asks):
        if not in_w(ask.asked_at, window):
            continue
        heavy = ask.asset in HIGH
        earlier = [
            p
            for p in asks[:i]
            if (p.account_id, p.advocate_id) == (ask.account_id, ask.advocate_id)
            and (p.asset in HIGH) == heavy
        ]
        if earlier:
            gap = relativedelta(months=high_gap if heavy else low_gap)
            if ask.asked_at < earlier[-1].asked_at + gap:
                found.append((ask.id, earlier[-1].id))
    return found


def members_at(data: AdvocacyData, t: datetime, accounts: set[str] | None = None) -> int:
    return sum(
        1
        for m in data.community_members
        if m.joined_at < t
        and (m.left_at is None or m.left_at >= t)
        and (accounts is None or m.account_id in accounts)
    )


def touched(opportunity: Any) -> bool:
    return bool(opportunity.influences) or opportunity.source == "referral"


def usd(opportunity: Any) -> Decimal:
    rate = Decimal("1.25") if opportunity.currency == "EUR" else Decimal(1)
    return opportunity.amount * rate


# -- naive oracles ------------------------------------------------------------------------------


@given(programme_datasets(), windows())
@HEAVY
def test_counts_and_rates_equal_naive_oracles(data: AdvocacyData, window: Window) -> None:
    t = window.end
    every = acts(data)
    # 36: accounts active in W with an action in W.
    population = active(data, window)
    advocating = {a.account for a in every if in_w(a.at, window)} & population
    result = metrics.customer_advocacy_rate(data, window=window)
    assert (result.numerator, result.denominator) == (len(advocating), len(population))
    for kind, count in result.details["accounts_by_kind"].items():
        assert count == len({a.account for a in every if a.kind == kind and in_w(a.at, window)} & population)
    # 37: the pool at W.end, by an independent filter.
    members = pool(data, t)
    size = metrics.advocate_pool_size(data, window=window)
    assert size.value == len(members) and isinstance(size.value, int)
    assert size.components["accounts"] == len({v.account_id for v in members})
    assert size.components["enrolled_in_window"] == sum(in_w(v.enrolled_at, window) for v in data.advocates)
    assert size.components["opted_out_in_window"] == sum(in_w(v.opted_out_at, window) for v in data.advocates)
    # 39: requests made in W whose 30 days have passed by as_of, filled within those 30 days.
    requests = [q for q in data.reference_requests if in_w(q.requested_at, window)]
    horizon = timedelta(days=30)
    matured = [q for q in requests if q.requested_at + horizon <= data.as_of]
    filled = sum(q.filled_at is not None and q.filled_at <= q.requested_at + horizon for q in matured)
    fill = metrics.reference_request_fill_rate(data, window=window)
    assert (fill.numerator, fill.denominator) == (filled, len(matured))
    assert fill.components["immature_excluded"] == len(requests) - len(matured)
    assert fill.interval == wilson_interval(filled, len(matured))
    sourcing = any("sourcing problem" in w for w in fill.warnings)
    assert sourcing == (fill.value is not None and fill.value < 0.7)
    # 41: reviews in W over the months of W.
    reviews = [r for r in data.reviews if in_w(r.published_at, window)]
    velocity = metrics.review_velocity(data, window=window)
    assert velocity.value == len(reviews) / window.months
    assert velocity.interval == poisson_rate_interval(len(reviews), window.months)
    assert sum(velocity.details["by_platform"].values()) == len(reviews)
    ratings = [r.rating for r in reviews if r.rating is not None]
    assert velocity.details["mean_rating"] == (
        pytest.approx(sum(ratings) / len(ratings)) if ratings else None
    )
    # 44: organic mentions by influencers and advocates.
    mentions = [m for m in data.mentions if in_w(m.published_at, window)]
    counted = [m for m in mentions if m.organic and m.author_kind in ("influencer", "advocate")]
    found = metrics.influencer_and_advocate_mentions(data, window=window)
    assert found.value == len(counted)
    assert found.details["paid_left_out"] == sum(
        not m.organic and m.author_kind in ("influencer", "advocate") for m in mentions
    )
    # 45: members at W.start and W.end.
    start, end = members_at(data, window.start), members_at(data, window.end)
    growth = metrics.community_growth_rate(data, window=window)
    assert (growth.components["members_at_start"], growth.components["members_at_end"]) == (start, end)
    assert growth.value == ((end - start) / start if start else None)
    joined, left = growth.components["joined"], growth.components["left"]
    assert end == start + joined - left


@given(programme_datasets(), windows())
@HEAVY
def test_money_and_survival_equal_naive_oracles(data: AdvocacyData, window: Window) -> None:
    # 42: touched opportunities created in W.
    created = [o for o in data.opportunities if in_w(o.created_at, window)]
    pipeline = metrics.advocate_influenced_pipeline(data, window=window, basis=BASIS)
    amount = sum((usd(o) for o in created if touched(o)), Decimal(0))
    whole = sum((usd(o) for o in created), Decimal(0))
    assert pipeline.value == amount and isinstance(pipeline.value, Decimal)
    assert pipeline.details["pipeline"] == whole
    assert pipeline.details["share_of_pipeline"] == (float(amount / whole) if whole else None)
    # 43: touched opportunities won in W.
    won = [o for o in data.opportunities if o.won is True and in_w(o.closed_at, window)]
    revenue = metrics.advocate_influenced_revenue(data, window=window, basis=BASIS)
    assert revenue.value == sum((usd(o) for o in won if touched(o)), Decimal(0))
    assert revenue.components == {"opportunities": len(won), "touched_opportunities": sum(map(touched, won))}
    # 40: Kaplan-Meier over requests made in W, open ones censored at as_of.
    durations, observed = [], []
    for request in data.reference_requests:
        if in_w(request.requested_at, window):
            stop = request.filled_at or data.as_of
            durations.append((stop - request.requested_at).total_seconds() / 86400)
            observed.append(request.filled_at is not None)
    fill_time = metrics.reference_time_to_fill(data, window=window)
    assert fill_time.components["cohort"] == len(durations)
    assert fill_time.components["events"] == sum(observed)
    assert fill_time.value == (kaplan_meier(durations, observed).median() if durations else None)


@given(programme_datasets(), windows(), st.sampled_from([1, 30, 90, 200]))
@HEAVY
def test_activation_equals_naive_oracle_for_any_lookback(
    data: AdvocacyData, window: Window, days: int
) -> None:
    t = window.end
    low = t - timedelta(days=days)
    every = acts(data)
    members = pool(data, t)
    acted = [
        v
        for v in members
        if any(
            a.account == v.account_id and a.advocate in (None, v.id) and inside(a.at, low, t) for a in every
        )
    ]
    result = metrics.advocate_activation_rate(data, window=window, lookback_days=days)
    assert (result.numerator, result.denominator) == (len(acted), len(members))
    assert result.value == (len(acted) / len(members) if members else None)
    assert result.details["lookback_days"] == days


@given(programme_datasets(), windows(), st.sampled_from([(3, 1), (1, 1), (4, 2), (12, 6)]))
@HEAVY
def test_tap_compliance_equals_naive_oracle_and_agrees_with_the_over_asking_analysis(
    data: AdvocacyData, window: Window, gaps: tuple[int, int]
) -> None:
    policy = TapPolicy(high_effort_gap_months=gaps[0], low_effort_gap_months=gaps[1])
    expected = naive_over_tapped(data, window, *gaps)
    asks = sum(in_w(k.asked_at, window) for k in data.asks)
    result = metrics.tap_policy_compliance(data, window=window, policy=policy)
    listed = [(o["ask_id"], o["previous_ask_id"]) for o in result.details["over_tapped"]]
    assert sorted(listed) == sorted(expected)
    assert (result.numerator, result.denominator) == (asks - len(expected), asks)
    analysis = over_asked(data, window, policy=policy)
    assert [tap.to_dict() for tap in analysis.over_tapped] == list(result.details["over_tapped"])
    assert (analysis.asks, analysis.compliant, analysis.compliance) == (asks, result.numerator, result.value)
    assert len(analysis.contacts) == result.components["over_tapped_contacts"]
    for tier in TIERS:
        segment = Segment.where(tier=tier)
        part = metrics.tap_policy_compliance(data, window=window, policy=policy, segment=segment)
        assert [
            tap.to_dict() for tap in over_asked(data, window, policy=policy, segment=segment).over_tapped
        ] == list(part.details["over_tapped"])


def naive_eligible(
    data: AdvocacyData, at: datetime, asset: Asset
) -> tuple[dict[str, datetime | None], set[str], set[str]]:
    """Eligible contacts with their last ask of the class; those held by the policy; by a detractor."""
    heavy = asset in HIGH
    gap = relativedelta(months=3 if heavy else 1)
    found: dict[str, datetime | None] = {}
    held: set[str] = set()
    unhappy: set[str] = set()
    for v in pool(data, at):
        contact = f"{v.account_id}/{v.id}"
        earlier = [
            k.asked_at
            for k in data.asks
            if (k.account_id, k.advocate_id) == (v.account_id, v.id)
            and (k.asset in HIGH) == heavy
            and k.asked_at < at
        ]
        last = max(earlier, default=None)
        detractor = any(
            s.account_id == v.account_id and s.kind.value == "nps" and s.score <= 6
            and at - timedelta(days=180) <= s.responded_at < at
            for s in data.surveys
        )  # fmt: skip
        if last is not None and at < last + gap:
            held.add(contact)
        elif detractor:
            unhappy.add(contact)
        else:
            found[contact] = last
    return found, held, unhappy


@given(programme_datasets(), instants(), st.sampled_from(Asset))
@HEAVY
def test_eligible_to_ask_equals_naive_oracle(data: AdvocacyData, at: datetime, asset: Asset) -> None:
    found = eligible_to_ask(data, at, asset)
    eligible, held, unhappy = naive_eligible(data, at, asset)
    assert {e.contact: e.last_asked_at for e in found} == eligible
    assert {e.contact for e in found.left_out if e.reason.startswith("tap policy")} == held
    assert {e.contact for e in found.left_out if "detractor" in e.reason} == unhappy
    # The readiest accounts first; then never asked for the class, then the longest rested.
    scores = {a: r.score for a, r in metrics.readiness_scores(data, at=at).items()}
    keys = [
        (-scores.get(e.account_id, -1.0), e.last_asked_at is not None, e.last_asked_at or e.enrolled_at)
        for e in found
    ]
    assert keys == sorted(keys)
    tiers = [eligible_to_ask(data, at, asset, segment=Segment.where(tier=t)) for t in TIERS]
    assert sorted(e.contact for part in tiers for e in part) == sorted(e.contact for e in found)


# -- segments add up ----------------------------------------------------------------------------


def counts(result: MetricResult) -> tuple[Any, ...]:
    """The additive parts of a result: value for counts and sums, else numerator and denominator."""
    if result.metric in ("advocate_pool_size", "influencer_and_advocate_mentions"):
        return (result.value,)
    if result.metric in ("advocate_influenced_pipeline", "advocate_influenced_revenue"):
        return (result.value, result.components["opportunities"])
    if result.metric == "reference_time_to_fill":
        return (result.components["cohort"], result.components["events"])
    if result.metric == "community_growth_rate":
        return (result.components["members_at_start"], result.components["members_at_end"])
    if result.metric == "review_velocity":
        return (result.components["reviews"],)
    return (result.numerator or 0, result.denominator or 0)


def add(parts: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(sum(values) for values in zip(*parts, strict=True))


def without_account(data: AdvocacyData, metric_id: str, window: Window) -> tuple[int, ...]:
    """What the whole holds that no account segment can: records with no account."""
    if metric_id == "review_velocity":
        return (sum(r.account_id is None and in_w(r.published_at, window) for r in data.reviews),)
    accounts = {a.id for a in data.accounts}
    return (
        members_at(data, window.start) - members_at(data, window.start, accounts),
        members_at(data, window.end) - members_at(data, window.end, accounts),
    )


@given(programme_datasets(), windows())
@HEAVY
def test_counts_over_disjoint_segments_add_up(data: AdvocacyData, window: Window) -> None:
    # Accounts all carry a tier and a region; records segmented on their own attributes, and
    # opportunities without an account, all carry a region.
    for metric_id in PROGRAMME:
        function = getattr(metrics, metric_id)
        extra: dict[str, Any] = (
            {"basis": BASIS} if metric_id in TAKES_A_BASIS - {"customer_advocacy_rate"} else {}
        )
        own = metric_id in ON_OWN_ATTRIBUTES or "basis" in extra
        attribute, values = ("region", REGIONS) if own else ("tier", TIERS)
        whole = counts(function(data, window=window, **extra))
        try:
            parts = [
                counts(function(data, window=window, segment=Segment.where(**{attribute: v}), **extra))
                for v in values
            ]
        except SegmentNotApplicableError:
            # Records that carry attributes were never supplied, so none names a region.
            assert not getattr(data, _collection(metric_id)), metric_id
            continue
        total = add(parts)
        if metric_id in ("review_velocity", "community_growth_rate"):
            total = add([total, without_account(data, metric_id, window)])
        assert total == whole, metric_id


def _collection(metric_id: str) -> str:
    return {"influencer_and_advocate_mentions": "mentions"}.get(metric_id, "reference_requests")


# -- scorecard cell = single call ----------------------------------------------------------------


@given(programme_datasets(), st.lists(windows(), min_size=2, max_size=2, unique=True))
@HEAVY
def test_scorecard_cell_equals_single_call(data: AdvocacyData, pair: list[Window]) -> None:
    by_tier = [Segment.all()] + [Segment.where(tier=t) for t in TIERS]
    by_region = [Segment.all()] + [Segment.where(region=r) for r in REGIONS]
    for weight in (False, True):
        for metric_id in PROGRAMME:
            segments = by_region if metric_id in ON_OWN_ATTRIBUTES else by_tier
            card = scorecard(
                data, metrics=[metric_id], windows=pair, segments=segments, basis=BASIS, weight_rates=weight
            )
            basis = BASIS if metric_id in TAKES_A_BASIS and (weight or "influenced" in metric_id) else None
            for window in pair:
                for segment in segments:
                    cell = card.get(metric_id, window, segment)
                    kwargs: dict[str, Any] = {"window": window, "segment": segment}
                    if basis is not None:
                        kwargs["basis"] = basis
                    try:
                        single = getattr(metrics, metric_id)(data, **kwargs)
                    except SegmentNotApplicableError:
                        assert cell.value is None and "cannot be cut" in (cell.undefined_reason or "")
                        continue
                    assert cell.to_dict() == single.to_dict(), (metric_id, window.label, segment.name)


# -- tallies merge ------------------------------------------------------------------------------


def split(data: AdvocacyData, part: int) -> AdvocacyData:
    """The accounts of one half (by position) with every record that belongs to them; records with
    no account go to the half their position falls in."""
    keep = {a.id for i, a in enumerate(data.accounts) if i % 2 == part}
    chosen: dict[str, list[Any]] = {}
    for name, records in data.as_collections().items():
        chosen[name] = []
        for i, record in enumerate(records):
            owner = record.id if name == "accounts" else getattr(record, "account_id", None)
            belongs = owner in keep if owner is not None else i % 2 == part
            if belongs:
                chosen[name].append(record)
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **chosen)


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


@given(programme_datasets(), windows())
@HEAVY
def test_tallies_of_two_halves_merge_into_the_tally_of_the_whole(data: AdvocacyData, window: Window) -> None:
    from advocacy_kpis.grid import Grid

    halves = [split(data, 0), split(data, 1)]
    segments = [Segment.all(), Segment.where(tier="smb")]
    for metric_id in PROGRAMME:
        rule = definition(metric_id)
        params = rule.prepare({})
        basis = BASIS if metric_id.startswith("advocate_influenced") else None
        whole_context = context(data, Grid([window], segments))
        whole = rule.results(whole_context, basis, params)
        parts = [rule.tallies(context(half, Grid([window], segments)), basis, params) for half in halves]
        for c, segment in enumerate(segments):
            merged = parts[0][c].merge(parts[1][c])
            again = rule.finish(rule.cell(whole_context, 0, c, basis, params), merged)
            assert rounded(again.to_dict()) == rounded(whole[c].to_dict()), (metric_id, segment.name)


# -- hand computations on tiny() -------------------------------------------------------------------

Q2, Q3 = Window.quarter(2026, 2), Window.quarter(2026, 3)
TINY_BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})


def test_tiny_customer_advocacy_by_hand() -> None:
    # All six accounts are active in Q3; a1 (x2, w1, h1, h2, rq1), a2 (x4, w2), a3 (x5, r5) and a5
    # (h3) acted. Weighted: a1 120000 + a2 66000 + a3 12000 EUR x 1.08 + a5 24000 = 222960 of
    # 240960 (a4 weighs its 10000 at its churn on 15 August, a6 its 8000 at W.end).
    result = metrics.customer_advocacy_rate(tiny(), window=Q3)
    assert (result.numerator, result.denominator) == (4, 6)
    assert result.details["accounts_by_kind"] == {
        "referral": 1, "review": 2, "reference": 1, "case_study": 0, "speaking": 0, "community": 1,
        "social_share": 2,
    }  # fmt: skip
    weighted = metrics.customer_advocacy_rate(tiny(), window=Q3, basis=TINY_BASIS)
    assert (weighted.numerator, weighted.denominator) == (Decimal("222960.00"), Decimal("240960.00"))
    assert weighted.value == pytest.approx(222960 / 240960)


def test_tiny_influence_split_by_asset_by_hand() -> None:
    # Q3 pipeline: o1 50000 from a referral, o2 30000 influenced by a reference.
    pipeline = metrics.advocate_influenced_pipeline(tiny(), window=Q3, basis=TINY_BASIS)
    assert pipeline.details["by_influence"] == {
        "reference": Decimal(30000),
        "referral_source": Decimal(50000),
    }
    # Q2 pipeline: only o4 (40000, referral), created 10 May: all of it touched.
    assert metrics.advocate_influenced_pipeline(tiny(), window=Q2, basis=TINY_BASIS).value == Decimal(40000)


def test_tiny_tap_compliance_by_hand() -> None:
    # Q2: k1 (case study, 15 April) then k2 (reference, 1 June) to v1: both high effort, so k2
    # came before 15 July. Q3: k3 and k4 are first asks of their contacts.
    q2 = metrics.tap_policy_compliance(tiny(), window=Q2)
    assert (q2.numerator, q2.denominator) == (1, 2)
    assert list(q2.details["over_tapped"]) == [
        {
            "contact": "a1/v1", "account_id": "a1", "advocate_id": "v1", "asset": "reference", "effort": "high",
            "ask_id": "k2", "asked_at": "2026-06-01T00:00:00+00:00", "previous_ask_id": "k1",
            "previous_asset": "case_study", "previous_asked_at": "2026-04-15T00:00:00+00:00",
            "allowed_from": "2026-07-15T00:00:00+00:00",
        }
    ]  # fmt: skip
    assert metrics.tap_policy_compliance(tiny(), window=Q3).value == 1.0
    # Under a two-month gap k2 (47 days after k1) still breaks it; under a policy that counts
    # case studies as low effort, k1 and k2 are in different classes and both respect it.
    assert (
        metrics.tap_policy_compliance(tiny(), window=Q2, policy=TapPolicy(high_effort_gap_months=2)).value
        == 0.5
    )
    effort = dict(TapPolicy().effort)
    effort[Asset.CASE_STUDY] = TapPolicy().effort_of(Asset.REVIEW)
    assert metrics.tap_policy_compliance(tiny(), window=Q2, policy=TapPolicy(effort=effort)).value == 1.0


def test_tiny_pool_and_eligibility_by_hand() -> None:
    # On 1 March 2026 v3 opts out: at that instant still in the pool (state just before it).
    march = datetime(2026, 3, 1, tzinfo=UTC)
    assert {e.contact for e in eligible_to_ask(tiny(), march, Asset.REFERENCE)} == {"a1/v1", "a2/v2", "a4/v3"}
    assert metrics.advocate_pool_size(tiny(), window=Window.month(2026, 2)).value == 3
    assert metrics.advocate_pool_size(tiny(), window=Window.month(2026, 3)).value == 2
    # v2 was asked for a referral on 20 July: a month later (20 August) it may be asked again,
    # a second earlier it may not.
    # (a2 gave a detractor answer on 2 May: the policy alone is read here, without that rule.)
    again = datetime(2026, 8, 20, tzinfo=UTC)
    assert "a2/v2" in {e.contact for e in eligible_to_ask(tiny(), again, "referral", detractor_days=None)}
    assert "a2/v2" not in {
        e.contact
        for e in eligible_to_ask(tiny(), again - timedelta(seconds=1), "referral", detractor_days=None)
    }
    # Segments narrow the pool; the tier of a4 is smb.
    smb = eligible_to_ask(tiny(), march, "reference", segment=Segment.where(tier="smb"))
    assert [e.contact for e in smb] == ["a4/v3"]


def test_over_asking_result_reads_and_serialises() -> None:
    found = over_asked(tiny(), Q2)
    payload = json.loads(json.dumps(found.to_dict()))
    assert payload["asks"] == 2 and payload["compliance"] == 0.5
    assert payload["over_tapped_contacts"] == ["a1/v1"]
    assert payload["policy"] == {
        "high_effort_gap_months": 3, "low_effort_gap_months": 1,
        "high_effort_assets": ["case_study", "reference", "speaking"],
    }  # fmt: skip
    text = str(found)
    assert "a1/v1" in text and "2026-04-15 (case_study)" in text and "2026-07-15" in text
    only = found.only("case_study")
    assert (only.asks, only.over_tapped) == (1, ())
    assert "No asks were made" in str(over_asked(tiny(), Window.year(2020)))
    partial = over_asked(tiny(), Window.quarter(2026, 4))
    assert partial.warnings and "as_of" in partial.warnings[0]


def _requests(*rows: tuple[str, datetime, datetime | None]) -> AdvocacyData:
    return AdvocacyData.from_records(
        accounts=[],
        reference_requests=[ReferenceRequest(id=i, requested_at=r, filled_at=f) for i, r, f in rows],
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, tzinfo=UTC)


def test_fill_rate_counts_only_requests_whose_fill_horizon_has_passed() -> None:
    # September, as_of 15 October, horizon 30 days. q1 (1 Sep, due 1 Oct) filled 20 Sep: filled.
    # q2 (10 Sep, due 10 Oct) filled 12 Oct: matured, filled after its horizon: open.
    # q3 (15 Sep, due exactly 15 Oct = as_of) never filled: matured, open.
    # q4 (16 Sep, due 16 Oct) filled 17 Sep: immature, excluded although already filled.
    # q5 (30 Sep) open: immature. Hand count: 1 filled of 3 matured; 2 excluded.
    data = _requests(
        ("q1", day(9, 1), day(9, 20)),
        ("q2", day(9, 10), day(10, 12)),
        ("q3", day(9, 15), None),
        ("q4", day(9, 16), day(9, 17)),
        ("q5", day(9, 30), None),
    )
    result = metrics.reference_request_fill_rate(data, window=Window.month(2026, 9))
    assert result.value == pytest.approx(1 / 3)
    assert dict(result.components) == {
        "requests": 5, "matured": 3, "filled": 1, "open": 2, "immature_excluded": 2,
    }  # fmt: skip
    assert any("2 reference requests made in the window have not matured" in w for w in result.warnings)


def test_fill_within_the_horizon_counts_up_to_its_last_instant() -> None:
    # Horizon 10 days: q1 filled exactly at requested_at + 10 days counts; q2 one second later does not.
    data = _requests(
        ("q1", day(8, 1), day(8, 11)),
        ("q2", day(8, 2), day(8, 12) + timedelta(seconds=1)),
    )
    result = metrics.reference_request_fill_rate(data, window=Window.month(2026, 8), fill_horizon_days=10)
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.parameters["fill_horizon_days"] == 10


def test_fill_rate_of_a_window_with_no_matured_request_is_undefined_with_that_reason() -> None:
    data = _requests(("q1", day(10, 1), day(10, 2)), ("q2", day(10, 3), None))
    result = metrics.reference_request_fill_rate(data, window=Window.month(2026, 10))
    assert result.value is None
    assert result.undefined_reason == (
        "none of the 2 reference requests made in the window has matured (fill horizon 30 days)"
    )
    assert result.components["immature_excluded"] == 2
    assert not any("sourcing" in w for w in result.warnings)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, 10**12])
def test_fill_horizon_must_be_a_positive_whole_number_of_days(bad: Any) -> None:
    with pytest.raises(ParameterError, match="fill_horizon_days"):
        metrics.reference_request_fill_rate(tiny(), window=Q3, fill_horizon_days=bad)


def test_reference_requests_segment_on_their_own_attributes_not_the_filler() -> None:
    # rq1 asked for software in EMEA and was filled by a1; a segment on the filler's tier does not
    # apply to requests, while one on an attribute only requests carry does.
    with pytest.raises(SegmentNotApplicableError):
        metrics.reference_request_fill_rate(tiny(), window=Q3, segment=Segment.where(tier="enterprise"))
    finance = metrics.reference_request_fill_rate(
        tiny(), window=Q3, segment=Segment.where(industry="finance")
    )
    # rq2 (finance, 20 September) is 25 days old at as_of: younger than the 30-day fill horizon.
    assert finance.value is None and finance.components["immature_excluded"] == 1
    data = AdvocacyData.from_records(
        accounts=tiny().accounts,
        reference_requests=[
            *tiny().reference_requests,
            attrs_evolve(tiny().reference_requests[1], id="rq3", attributes={"product": "analytics"}),
        ],
        as_of=tiny().as_of,
    )
    product = metrics.reference_time_to_fill(data, window=Q3, segment=Segment.where(product="analytics"))
    assert product.components["cohort"] == 1
    assert any(
        "2 reference requests made in the window have no value for 'product'" in w for w in product.warnings
    )


def attrs_evolve(record: Any, **changes: Any) -> Any:
    import attrs

    return attrs.evolve(record, **changes)


def test_collections_not_supplied_or_empty_give_honest_answers() -> None:
    accounts = [Account(id="a", customer_since=datetime(2025, 1, 1, tzinfo=UTC))]
    empty = {
        "advocates": [], "asks": [], "actions": [], "reviews": [], "mentions": [], "opportunities": [],
        "community_members": [], "reference_requests": [], "referrals": [], "social_shares": [],
    }  # fmt: skip
    data = AdvocacyData.from_records(accounts=accounts, as_of=datetime(2026, 10, 15, tzinfo=UTC), **empty)
    # Supplied but empty: counts and sums over a known empty population are 0; rates over none
    # are undefined.
    assert metrics.advocate_pool_size(data, window=Q3).value == 0
    assert metrics.review_velocity(data, window=Q3).value == 0.0
    assert metrics.influencer_and_advocate_mentions(data, window=Q3).value == 0
    assert metrics.advocate_influenced_pipeline(data, window=Q3, basis=BASIS).value == Decimal(0)
    assert (
        metrics.advocate_influenced_pipeline(data, window=Q3, basis=BASIS).details["share_of_pipeline"]
        is None
    )
    for metric_id in ("advocate_activation_rate", "tap_policy_compliance", "community_growth_rate"):
        result = getattr(metrics, metric_id)(data, window=Q3)
        assert result.value is None and result.undefined_reason, metric_id
    assert metrics.customer_advocacy_rate(data, window=Q3).value == 0.0
    # A window that starts at or after as_of is not known yet, not zero.
    later = metrics.advocate_pool_size(data, window=Window.quarter(2027, 1))
    assert later.value is None and "known yet" in (later.undefined_reason or "")
    # Never supplied: not zero, but undefined with the reason.
    bare = AdvocacyData.from_records(accounts=accounts, as_of=datetime(2026, 10, 15, tzinfo=UTC))
    for metric_id in ("advocate_pool_size", "review_velocity", "influencer_and_advocate_mentions"):
        result = getattr(metrics, metric_id)(bare, window=Q3)
        assert result.value is None and "were supplied" in (result.undefined_reason or ""), metric_id


BAD_PARAMETERS: list[tuple[str, dict[str, Any], str]] = [
    ("customer_advocacy_rate", {"basis": RevenueBasis.tcv("USD")}, "basis"),
    ("customer_advocacy_rate", {"confidence": 2}, "confidence"),
    ("advocate_pool_size", {"segment": Segment.where(colour="red")}, "segment"),
    ("advocate_activation_rate", {"lookback_days": 0}, "lookback_days"),
    ("advocate_activation_rate", {"lookback_days": 9.5}, "lookback_days"),
    ("reference_request_fill_rate", {"segment": "industry=software"}, "segment"),
    ("reference_time_to_fill", {"window": "2026Q3"}, "window"),
    ("review_velocity", {"confidence": 0}, "confidence"),
    ("advocate_influenced_pipeline", {}, "basis"),
    ("advocate_influenced_revenue", {"basis": "arr:USD"}, "basis"),
    ("influencer_and_advocate_mentions", {"confidence": True}, "confidence"),
    ("community_growth_rate", {"segment": Segment.where(colour="red")}, "segment"),
    ("tap_policy_compliance", {"policy": "quarterly"}, "policy"),
]


@pytest.mark.parametrize(("metric_id", "bad", "parameter"), BAD_PARAMETERS)
def test_bad_parameters_raise_naming_the_parameter(
    metric_id: str, bad: dict[str, Any], parameter: str
) -> None:
    kwargs: dict[str, Any] = {"window": Q3, **bad}
    with pytest.raises(ParameterError, match=f"'{parameter}' parameter"):
        getattr(metrics, metric_id)(tiny(), **kwargs)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: over_asked(tiny(), "2026Q3"), "window"),  # type: ignore[arg-type]
        (lambda: over_asked(tiny(), Q3, policy=None), "policy"),  # type: ignore[arg-type]
        (lambda: over_asked(tiny(), Q3, segment="tier=smb"), "segment"),  # type: ignore[arg-type]
        (lambda: eligible_to_ask(tiny(), datetime(2026, 9, 1), "reference"), "at"),
        (lambda: eligible_to_ask(tiny(), datetime(2026, 9, 1, tzinfo=UTC), "testimonial"), "asset"),
        (lambda: over_asked(tiny(), Q3).only("gift"), "asset"),
    ],
)
def test_analysis_arguments_are_checked(call: Callable[[], Any], parameter: str) -> None:
    with pytest.raises(ParameterError, match=f"'{parameter}' parameter"):
        call()


def test_asks_to_an_account_do_not_block_its_advocates_and_ties_break_once() -> None:
    since = datetime(2025, 1, 1, tzinfo=UTC)
    t = datetime(2026, 8, 1, tzinfo=UTC)
    asks = [
        Ask(id="k1", account_id="a", asked_at=t, asset=Asset.REFERENCE),
        Ask(id="k2", account_id="a", asked_at=t, asset=Asset.REFERENCE, advocate_id="v"),
        Ask(id="k3", account_id="a", asked_at=t, asset=Asset.SPEAKING, advocate_id="v"),
    ]
    data = AdvocacyData.from_records(
        accounts=[Account(id="a", customer_since=since)],
        advocates=[Advocate(id="v", account_id="a", enrolled_at=since)],
        asks=asks,
        as_of=datetime(2026, 10, 15, tzinfo=UTC),
    )
    # k1 is to the account, k2 and k3 to v at one instant: of v's two, the later id (k3) is over.
    result = metrics.tap_policy_compliance(data, window=Q3)
    assert (result.numerator, result.denominator) == (2, 3)
    assert [o["ask_id"] for o in result.details["over_tapped"]] == ["k3"]
    # v may be asked for a review (another class) at once, for a reference only after 1 November.
    assert [e.contact for e in eligible_to_ask(data, t + timedelta(days=1), "review")] == ["a/v"]
    resting = eligible_to_ask(data, datetime(2026, 10, 31, tzinfo=UTC), "reference")
    assert list(resting) == []
    assert [(e.contact, e.until) for e in resting.left_out] == [("a/v", datetime(2026, 11, 1, tzinfo=UTC))]
    ready = eligible_to_ask(data, datetime(2026, 11, 1, tzinfo=UTC), "reference")
    assert [(e.contact, e.last_asked_at) for e in ready] == [("a/v", t)]
