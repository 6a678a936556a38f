"""NPS and CSAT against naive oracles and their properties."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given

from advocacy_kpis import (
    Account,
    AdvocacyData,
    ParameterError,
    RevenueBasis,
    Segment,
    SegmentNotApplicableError,
    SurveyKind,
    SurveyResponse,
    Window,
    formulas,
    metrics,
)
from advocacy_kpis.sample import tiny
from advocacy_kpis.stats import nps_interval
from tests.strategies import TIERS, datasets, windows


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
