"""NPS and CSAT against naive oracles and their properties."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Mention,
    ParameterError,
    RevenueBasis,
    Segment,
    SegmentNotApplicableError,
    Sentiment,
    SurveyKind,
    SurveyResponse,
    Window,
    formulas,
    metrics,
    scorecard,
)
from advocacy_kpis.sample import tiny
from advocacy_kpis.stats import net_score_interval, nps_interval
from tests.strategies import HEAVY, TIERS, datasets, in_window, instants, windows


def naive_nps(data: AdvocacyData, window: Window, accounts: set[str] | None = None) -> tuple[int, int, int]:
    """Promoters, passives, detractors: latest answer per respondent, ties to the higher score."""
    latest: dict[tuple[str, str | None], tuple[datetime, int]] = {}
    for r in data.surveys:
        if r.kind is not SurveyKind.NPS or not (window.start <= r.responded_at < window.end):
            continue
        if accounts is not None and r.account_id not in accounts:
            continue
        who = (r.account_id, r.respondent_id)
        if who not in latest or (r.responded_at, r.score) > latest[who]:
            latest[who] = (r.responded_at, r.score)
    scores = [s for _, s in latest.values()]
    return (
        sum(s >= 9 for s in scores),
        sum(7 <= s <= 8 for s in scores),
        sum(s <= 6 for s in scores),
    )


@given(datasets(), windows())
def test_nps_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    p, passive, d = naive_nps(data, window)
    result = metrics.net_promoter_score(data, window=window)
    assert (
        result.components["promoters"],
        result.components["passives"],
        result.components["detractors"],
    ) == (p, passive, d)
    n = p + passive + d
    if n == 0:
        assert result.value is None and result.interval is None
    else:
        assert result.value == pytest.approx(100 * (p - d) / n)
        assert result.interval == nps_interval(p, passive, d)


@given(datasets(), windows())
def test_nps_counts_over_disjoint_segments_add_up(data: AdvocacyData, window: Window) -> None:
    whole = metrics.net_promoter_score(data, window=window).components
    parts = [
        metrics.net_promoter_score(data, window=window, segment=Segment.where(tier=t)).components
        for t in TIERS
    ]
    for key in ("promoters", "passives", "detractors", "respondents"):
        assert sum(p[key] for p in parts) == whole[key]


@given(datasets(), windows())
def test_nps_ignores_responses_outside_window_and_segment(data: AdvocacyData, window: Window) -> None:
    smb = Segment.where(tier="smb")
    before = metrics.net_promoter_score(data, window=window, segment=smb)
    others = [a.id for a in data.accounts if a.tier != "smb"]
    extra = [
        SurveyResponse(id="out-late", account_id=data.accounts[0].id, kind="nps", score=0, responded_at=window.end)
    ] if data.accounts and window.end <= data.as_of else []  # fmt: skip
    extra += [
        SurveyResponse(id=f"out-seg-{i}", account_id=a, kind="nps", score=0, responded_at=window.start)
        for i, a in enumerate(others)
    ]
    if window.start - timedelta(days=1) > datetime(2000, 1, 1, tzinfo=UTC):
        extra += [
            SurveyResponse(id=f"out-early-{a.id}", account_id=a.id, kind="nps", score=10,
                           respondent_id="early", responded_at=window.start - timedelta(seconds=1))
            for a in data.accounts
        ]  # fmt: skip
    collections = data.as_collections()
    collections["surveys"] = data.surveys + tuple(extra)
    after = metrics.net_promoter_score(
        AdvocacyData.from_records(as_of=data.as_of, **collections), window=window, segment=smb
    )
    assert (after.value, dict(after.components)) == (before.value, dict(before.components))


def test_revenue_weighted_nps_by_hand() -> None:
    # tiny, 2026Q3: u1 (a1, 10) and u2 (a1, 9) are promoters, a2 (8) passive, u3 (a3, 5) detractor.
    # Weights are ARR at W.end = 2026-10-01: a1 120000, a1 120000, a2 66000, a3 12000 EUR x 1.10 = 13200.
    # NPS = 100 x (240000 - 13200) / (240000 + 66000 + 13200) = 100 x 226800 / 319200.
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.10")})
    result = metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3), basis=basis)
    assert result.value == pytest.approx(100 * 226800 / 319200)
    assert result.denominator == Decimal("319200.00") and result.basis == basis
    assert result.interval is None


def test_nps_of_zero_is_defined_and_not_confused_with_undefined() -> None:
    assert formulas.nps(2, 0, 2) == 0.0
    assert formulas.nps(0, 0, 0) is None


def test_csat_counts_every_response_by_hand() -> None:
    result = metrics.customer_satisfaction_score(tiny(), window=Window.quarter(2026, 3))
    # s8 (5), s9 (4), s10 (2), s11 (4): three of four are 4 or 5; mean score 15 / 4.
    assert (result.numerator, result.denominator, result.details["mean_score"]) == (3, 4, 3.75)


@given(datasets(), windows())
def test_csat_equals_naive_oracle(data: AdvocacyData, window: Window) -> None:
    answers = [r.score for r in data.surveys if r.kind is SurveyKind.CSAT and window.contains(r.responded_at)]
    result = metrics.customer_satisfaction_score(data, window=window)
    assert (result.numerator, result.denominator) == (sum(s >= 4 for s in answers), len(answers))
    if answers:
        assert result.interval is not None and result.interval.contains(float(result.value or 0))


def test_nps_change_between_small_quarters_has_no_test_and_says_why() -> None:
    data = tiny()
    q3 = metrics.net_promoter_score(data, window=Window.quarter(2026, 3))
    q2 = metrics.net_promoter_score(data, window=Window.quarter(2026, 2))
    change = q3.change_from(q2)
    # Q2: u1 9 (promoter), a2 6 (detractor): NPS 0. Q3: 25.
    assert (change.previous, change.current, change.absolute) == (0.0, 25.0, 25.0)
    # 2 and 4 respondents: too few for the adjusted-difference test, and no exact one exists.
    assert change.method is None and change.significant is None
    assert "no honest test for NPS samples this small" in (change.reason or "")


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ParameterError, match="'window'"):
        metrics.net_promoter_score(tiny(), window="2026Q3")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'confidence'"):
        metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3), confidence=95)
    with pytest.raises(ParameterError, match="'basis'.*ARR or MRR"):
        metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3), basis=RevenueBasis.tcv("USD"))
    with pytest.raises(SegmentNotApplicableError, match="'color'"):
        metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3), segment=Segment.where(color="red"))


def test_respondent_answering_twice_counts_once() -> None:
    data = tiny()
    result = metrics.net_promoter_score(data, window=Window.quarter(2026, 3))
    assert result.details["repeat_answers_dropped"] == 1
    # Without the repeat, u3's earlier 3 would be the only answer: still a detractor, same counts.
    trimmed = [r for r in data.surveys if r.id != "s5"]
    collections = data.as_collections() | {"surveys": trimmed}
    again = metrics.net_promoter_score(
        AdvocacyData.from_records(as_of=data.as_of, **collections), window=Window.quarter(2026, 3)
    )
    assert Counter(dict(again.components)) == Counter(dict(result.components))
    assert again.details["repeat_answers_dropped"] == 0


def test_respondent_ids_are_scoped_to_their_account() -> None:
    # Found by the disjoint-segments property: "u1" at two customers was counted as one person,
    # so the NPS of all accounts had fewer respondents than its tiers added up to.
    t = datetime(2026, 7, 1, tzinfo=UTC)
    accounts = [Account(id="x", customer_since=t, tier="smb"), Account(id="y", customer_since=t, tier="mid")]
    surveys = [
        SurveyResponse(
            id="s1",
            account_id="x",
            kind="nps",
            score=10,
            responded_at=t + timedelta(days=1),
            respondent_id="u1",
        ),
        SurveyResponse(
            id="s2",
            account_id="y",
            kind="nps",
            score=0,
            responded_at=t + timedelta(days=2),
            respondent_id="u1",
        ),
    ]
    data = AdvocacyData.from_records(
        accounts=accounts, surveys=surveys, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    result = metrics.net_promoter_score(data, window=Window.quarter(2026, 3))
    assert dict(result.components) == {"promoters": 1, "passives": 0, "detractors": 1, "respondents": 2}
    assert result.value == 0.0


# -- loyalty, sentiment and feedback retention (catalogue 3-6) --------------------------------

FX = {"EUR": Decimal("1.25")}
USD = RevenueBasis.arr("USD", fx_rates=FX)
LOYALTY = (SurveyKind.NPS, SurveyKind.REPURCHASE, SurveyKind.UPSELL)
REGIONS = ("NA", "EMEA", "APAC")


@st.composite
def with_loyalty_waves(draw: st.DrawFn, data: AdvocacyData) -> AdvocacyData:
    """The data set plus survey waves asking the three loyalty questions, some left unanswered.

    Generated data sets rarely hold all three answers of one respondent in one window; waves make
    complete and incomplete respondents common, with answers close to each other in time (so a
    wave often straddles a window boundary).
    """
    extra: list[SurveyResponse] = []
    for account in data.accounts:
        for _ in range(draw(st.integers(0, 2))):
            who = draw(st.sampled_from((None, "u1", "u2")))
            at = draw(instants())
            for kind in LOYALTY:
                if draw(st.integers(0, 4)) == 0:
                    continue
                when = min(at + timedelta(hours=draw(st.integers(0, 72))), data.as_of)
                extra.append(
                    SurveyResponse(
                        id=f"lw{len(extra)}", account_id=account.id, kind=kind,
                        score=draw(st.integers(0, 10)), responded_at=when, respondent_id=who,
                    )
                )  # fmt: skip
    collections = data.as_collections()
    collections["surveys"] = data.surveys + tuple(extra)
    return AdvocacyData.from_records(as_of=data.as_of, **collections)


def naive_loyalty(data: AdvocacyData, window: Window, tier: str | None = None) -> tuple[list[float], int]:
    """Per complete respondent the mean of the three latest answers times 10, and the incomplete count."""
    tiers = {a.id: a.tier for a in data.accounts}
    latest: dict[tuple[str, str | None, SurveyKind], tuple[datetime, int]] = {}
    for r in data.surveys:
        if r.kind not in LOYALTY or not in_window(r.responded_at, window):
            continue
        if tier is not None and tiers[r.account_id] != tier:
            continue
        key = (r.account_id, r.respondent_id, r.kind)
        if key not in latest or (r.responded_at, r.score) > latest[key]:
            latest[key] = (r.responded_at, r.score)
    people: dict[tuple[str, str | None], dict[SurveyKind, int]] = {}
    for (account, respondent, kind), (_, score) in latest.items():
        people.setdefault((account, respondent), {})[kind] = score
    complete = [10 * sum(a.values()) / 3 for a in people.values() if len(a) == 3]
    return complete, sum(1 for a in people.values() if len(a) < 3)


@given(datasets(max_accounts=8).flatmap(with_loyalty_waves), windows())
@HEAVY
def test_loyalty_index_equals_naive_oracle_and_tiers_add_up(data: AdvocacyData, window: Window) -> None:
    complete, incomplete = naive_loyalty(data, window)
    result = metrics.customer_loyalty_index(data, window=window)
    assert result.components["respondents"] == len(complete)
    assert result.components["incomplete_respondents"] == incomplete
    if complete:
        assert result.value == pytest.approx(sum(complete) / len(complete))
        assert 0 <= float(result.value) <= 100  # type: ignore[arg-type]
    else:
        assert result.value is None and result.undefined_reason
    parts = [
        metrics.customer_loyalty_index(data, window=window, segment=Segment.where(tier=t)) for t in TIERS
    ]
    for key in ("respondents", "incomplete_respondents", "answers"):
        assert sum(p.components[key] for p in parts) == result.components[key]
    assert sum(p.numerator or 0 for p in parts) == (result.numerator or 0)  # type: ignore[operator]
    for tier, part in zip(TIERS, parts, strict=True):
        assert part.components["respondents"] == len(naive_loyalty(data, window, tier)[0])


def test_loyalty_answers_outside_the_window_do_not_complete_a_respondent() -> None:
    t = datetime(2026, 7, 1, tzinfo=UTC)
    account = Account(id="x", customer_since=t - timedelta(days=400))
    answers = [
        SurveyResponse(id="s1", account_id="x", kind="nps", score=10, responded_at=t),
        SurveyResponse(id="s2", account_id="x", kind="repurchase", score=10, responded_at=t),
        SurveyResponse(
            id="s3", account_id="x", kind="upsell", score=10, responded_at=t - timedelta(seconds=1)
        ),
    ]
    data = AdvocacyData.from_records(accounts=[account], surveys=answers, as_of=t + timedelta(days=120))
    result = metrics.customer_loyalty_index(data, window=Window.quarter(2026, 3))
    assert result.value is None
    assert dict(result.components) == {"respondents": 0, "incomplete_respondents": 1, "answers": 2}
    assert result.details["missing_upsell"] == 1


def naive_label_counts(labels: list[Sentiment]) -> tuple[int, int, int]:
    return (
        sum(s is Sentiment.POSITIVE for s in labels),
        sum(s is Sentiment.NEUTRAL for s in labels),
        sum(s is Sentiment.NEGATIVE for s in labels),
    )


def naive_net(p: int, u: int, n: int) -> float | None:
    return (p - n) / (p + u + n) if p + u + n else None


@given(datasets(), windows())
@HEAVY
def test_customer_sentiment_equals_naive_oracle_and_tiers_add_up(data: AdvocacyData, window: Window) -> None:
    labels = [f.sentiment for f in data.feedback if in_window(f.received_at, window)]
    p, u, n = naive_label_counts(labels)
    result = metrics.customer_sentiment(data, window=window)
    assert dict(result.components) == {"positive": p, "neutral": u, "negative": n, "feedback": len(labels)}
    expected = naive_net(p, u, n)
    if expected is None:
        assert result.value is None and result.interval is None
    else:
        assert result.value == pytest.approx(expected) and -1 <= expected <= 1
        assert result.interval == net_score_interval(p, u, n)
    parts = [
        metrics.customer_sentiment(data, window=window, segment=Segment.where(tier=t)).components
        for t in TIERS
    ]
    for key in ("positive", "neutral", "negative", "feedback"):
        assert sum(part[key] for part in parts) == result.components[key]


def test_net_score_interval_is_the_nps_interval_on_the_net_scale() -> None:
    # Hand computation for 2 positive, 1 neutral, 1 negative at 95%: p' = 2.75 / 7, q' = 1.75 / 7,
    # centre 1 / 7, V' = 4.5 / 7 - (1 / 7)^2 = 0.6224490, half-width 1.959964 x sqrt(V' / 7) = 0.5844544.
    interval = net_score_interval(2, 1, 1)
    assert interval is not None and interval.method == "net-score-adjusted-wald"
    assert (interval.low, interval.high) == (
        pytest.approx(1 / 7 - 0.5844544),
        pytest.approx(1 / 7 + 0.5844544),
    )
    nps = nps_interval(61, 23, 19)
    net = net_score_interval(61, 23, 19)
    assert nps is not None and net is not None
    assert (net.low, net.high) == (pytest.approx(nps.low / 100), pytest.approx(nps.high / 100))
    assert net_score_interval(5, 0, 0).high == 1.0  # type: ignore[union-attr]


def naive_mentions(data: AdvocacyData, window: Window, region: str | None = None) -> list[Mention]:
    return [
        m
        for m in data.mentions
        if in_window(m.published_at, window) and (region is None or m.attributes.get("region") == region)
    ]


@given(datasets(), windows())
@HEAVY
def test_brand_sentiment_equals_naive_oracle_and_regions_add_up(data: AdvocacyData, window: Window) -> None:
    chosen = naive_mentions(data, window)
    labelled = [m for m in chosen if m.sentiment is not None]
    p, u, n = naive_label_counts([m.sentiment for m in labelled])  # type: ignore[misc]
    result = metrics.brand_sentiment(data, window=window)
    assert dict(result.components) == {
        "positive": p, "neutral": u, "negative": n, "mentions": len(labelled),
        "unlabelled": len(chosen) - len(labelled),
    }  # fmt: skip
    assert result.value == (None if naive_net(p, u, n) is None else pytest.approx(naive_net(p, u, n)))
    for name, organic in (("organic", True), ("paid", False)):
        part = naive_label_counts([m.sentiment for m in labelled if m.organic is organic])  # type: ignore[misc]
        details = result.details[name]
        assert (details["positive"], details["neutral"], details["negative"]) == part
        assert details["net_sentiment"] == (
            None if naive_net(*part) is None else pytest.approx(naive_net(*part))
        )
    if not data.mentions:
        return  # no mention carries a region, so a region segment is refused
    # Every generated mention has a region, so the regions partition them.
    parts = [metrics.brand_sentiment(data, window=window, segment=Segment.where(region=r)) for r in REGIONS]
    for key in ("positive", "neutral", "negative", "mentions", "unlabelled"):
        assert sum(part.components[key] for part in parts) == result.components[key]
    for region, part in zip(REGIONS, parts, strict=True):
        assert part.components["mentions"] + part.components["unlabelled"] == len(
            naive_mentions(data, window, region)
        )


def test_brand_sentiment_is_cut_by_mention_attributes_only() -> None:
    with pytest.raises(SegmentNotApplicableError, match="'tier'"):
        metrics.brand_sentiment(tiny(), window=Window.quarter(2026, 3), segment=Segment.where(tier="smb"))


def naive_arr(data: AdvocacyData, account_id: str, instant: datetime) -> Decimal:
    """ARR in USD of the account's contracts live at the instant (start < t <= end)."""
    return sum(
        (
            c.arr * (FX[c.currency] if c.currency != "USD" else 1)
            for c in data.contracts
            if c.account_id == account_id and c.start < instant <= c.end
        ),
        Decimal(0),
    )


def naive_feedback_retention(
    data: AdvocacyData, window: Window, tier: str | None = None
) -> tuple[set[str], set[str], Decimal, Decimal]:
    before = window.previous()
    accounts = {a.id: a for a in data.accounts}
    stamped = [(r.account_id, r.responded_at) for r in data.surveys]
    stamped += [(f.account_id, f.received_at) for f in data.feedback]
    givers = {a for a, t in stamped if in_window(t, before) and (tier is None or accounts[a].tier == tier)}
    kept = {a for a in givers if customer_at(accounts[a], window.end)}
    whole = part = Decimal(0)
    for a in givers:
        churned = accounts[a].churned_at
        at = before.end if churned is None or churned >= before.end else churned
        weight = naive_arr(data, a, at)
        whole += weight
        part += weight if a in kept else 0
    return givers, kept, part, whole


def customer_at(account: Account, instant: datetime) -> bool:
    return account.customer_since < instant and (account.churned_at is None or account.churned_at >= instant)


@given(datasets(), windows())
@HEAVY
def test_feedback_retention_equals_naive_oracle_and_tiers_add_up(data: AdvocacyData, window: Window) -> None:
    givers, kept, part, whole = naive_feedback_retention(data, window)
    result = metrics.customer_feedback_retention_score(data, window=window)
    assert (result.numerator, result.denominator) == (len(kept), len(givers))
    assert result.value == (pytest.approx(len(kept) / len(givers)) if givers else None)
    weighted = metrics.customer_feedback_retention_score(data, window=window, basis=USD)
    assert (weighted.numerator, weighted.denominator) == (part, whole)
    assert weighted.value == (pytest.approx(float(part / whole)) if whole else None)
    parts = [
        metrics.customer_feedback_retention_score(data, window=window, segment=Segment.where(tier=t))
        for t in TIERS
    ]
    assert sum(p.numerator for p in parts) == result.numerator  # type: ignore[misc]
    assert sum(p.denominator for p in parts) == result.denominator  # type: ignore[misc]
    for tier, p in zip(TIERS, parts, strict=True):
        assert p.denominator == len(naive_feedback_retention(data, window, tier)[0])


def test_tiny_family_one_by_hand() -> None:
    data, q3 = tiny(), Window.quarter(2026, 3)
    # Loyalty, Q3: u1 answers 10, 9, 8 (27) and a2 8, 7, 6 (21); u2 gave only NPS and u3 no upsell.
    loyalty = metrics.customer_loyalty_index(data, window=q3)
    assert (loyalty.value, loyalty.numerator, loyalty.denominator) == (80.0, 48, 6)
    assert loyalty.details["missing_upsell"] == 2 and loyalty.details["missing_repurchase"] == 1
    # Feedback retention, Q3: in Q2 a1 and a2 answered NPS and a4 sent f4; a4 churned on 15 August.
    # Weighted at 1 July: a1 120000, a2 66000, a4 10000 (c7); kept a1 + a2 = 186000 of 196000.
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    weighted = metrics.customer_feedback_retention_score(data, window=q3, basis=basis)
    assert (weighted.numerator, weighted.denominator) == (Decimal(186000), Decimal(196000))
    assert weighted.value == pytest.approx(186000 / 196000)
    # Sentiment: Q3 f1 positive, f2 negative, f3 neutral: 0; brand m1 positive, m2 negative: 0.
    assert metrics.customer_sentiment(data, window=q3).value == 0.0
    assert metrics.brand_sentiment(data, window=q3).value == 0.0


FAMILY_ONE = (
    "customer_loyalty_index",
    "customer_sentiment",
    "brand_sentiment",
    "customer_feedback_retention_score",
)


@given(
    data=datasets(max_accounts=8).flatmap(with_loyalty_waves),
    pair=st.tuples(windows(), windows()),
    weighted=st.booleans(),
)
@HEAVY
def test_scorecard_cell_equals_single_call(
    data: AdvocacyData, pair: tuple[Window, Window], weighted: bool
) -> None:
    # Accounts and mentions both carry a region, so every family-1 metric can be cut by it.
    assume(data.accounts and pair[0] != pair[1])
    card = scorecard(
        data, metrics=list(FAMILY_ONE), windows=list(pair), segments=Segment.by("region"), basis=USD,
        weight_rates=weighted,
    )  # fmt: skip
    for metric_id in FAMILY_ONE:
        function = getattr(metrics, metric_id)
        extra = {"basis": USD} if weighted and metric_id == "customer_feedback_retention_score" else {}
        for window in pair:
            for segment in card.segments:
                cell = card.get(metric_id, window, segment)
                try:
                    single = function(data, window=window, segment=segment, **extra)
                except SegmentNotApplicableError:
                    # Without mentions no mention carries a region: the call refuses the segment
                    # and the scorecard holds a cell that says so.
                    assert metric_id == "brand_sentiment" and not data.mentions
                    assert cell.value is None and "cannot be cut" in (cell.undefined_reason or "")
                    continue
                assert cell.to_dict() == single.to_dict()
