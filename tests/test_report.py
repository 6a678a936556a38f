"""The standard report: each section's rules on hand-built data sets, the three outputs, the CLI."""

from __future__ import annotations

import html
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Advocate,
    Ask,
    Asset,
    Contract,
    Feedback,
    MissingExtraError,
    ParameterError,
    ProductChange,
    Referral,
    RevenueBasis,
    Review,
    Segment,
    Sentiment,
    SurveyKind,
    SurveyResponse,
    Window,
    catalog,
    sample,
)
from advocacy_kpis.catalog import Threshold
from advocacy_kpis.cli import DEMO_BASIS, main
from advocacy_kpis.report import NEXT_STEPS, FindingKind, Report, report

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
SEPTEMBER = Window.month(2026, 9)
OVER_ASKING = "advocacy_kpis.analyses.over_asking"


def t(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def kinds(findings: Any) -> list[tuple[str, str | None, str | None]]:
    return [(f.kind.value, f.facts.get("metric"), f.facts.get("segment")) for f in findings]


@pytest.fixture
def no_over_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the over-asking analysis nor the tap policy metric: the rule cannot run."""
    monkeypatch.setitem(sys.modules, OVER_ASKING, None)
    monkeypatch.delitem(catalog._REGISTRY, "tap_policy_compliance", raising=False)


# -- a significant NPS decline, one tier reliably better and one reliably worse ----------------


def nps_data() -> AdvocacyData:
    """40 enterprise and 60 smb customers, none onboarded (so none is ready to be asked).

    August: every enterprise account and 40 smb accounts answer 10, 20 smb accounts answer 7:
    NPS 80. September: enterprise 10, smb 3: NPS -20, enterprise 100, smb -100."""
    accounts = [Account(id=f"e{i}", customer_since=SINCE, tier="enterprise") for i in range(40)]
    accounts += [Account(id=f"s{i}", customer_since=SINCE, tier="smb") for i in range(60)]
    surveys = []
    for i, account in enumerate(accounts):
        august = 10 if account.tier == "enterprise" or i < 80 else 7
        september = 10 if account.tier == "enterprise" else 3
        for when, score in ((t(2026, 8, 10), august), (t(2026, 9, 10), september)):
            surveys.append(
                SurveyResponse(
                    id=f"{account.id}-{when.month}",
                    account_id=account.id,
                    kind=SurveyKind.NPS,
                    score=score,
                    responded_at=when,
                )
            )
    return AdvocacyData.from_records(accounts=accounts, surveys=surveys, as_of=AS_OF)


def test_a_significant_nps_decline_is_a_risk_with_its_next_step_and_the_tiers_stand_out() -> None:
    built = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    nps = built.headline[0]
    assert (nps.previous.value, nps.current.value) == (80.0, -20.0)
    assert nps.change is not None and nps.change.significant
    assert kinds(built.risks) == [
        ("significant_decline", "net_promoter_score", None),
        ("segment_below", "net_promoter_score", "tier=smb"),
    ]
    assert kinds(built.wins) == [("segment_above", "net_promoter_score", "tier=enterprise")]
    assert [s.action for s in built.next_steps] == [
        "Find the cause of the Net Promoter Score decline (\u2212100.0 against 2026-08) and bring a "
        "recovery plan to the next review.",
        "Review the journey of tier=smb accounts, where Net Promoter Score is reliably below the whole "
        "(-100.0 against -20.0), and agree a targeted play.",
        "Recruit advocates, references and case studies among tier=enterprise accounts, the happiest "
        "profile on Net Promoter Score (100.0 against -20.0).",
    ]
    decline = built.risks[0]
    assert [(s.metric, s.window, s.segment) for s in decline.sources] == [
        ("net_promoter_score", SEPTEMBER, Segment.all()),
        ("net_promoter_score", Window.month(2026, 8), Segment.all()),
    ]
    summary = " ".join(s.text for s in built.summary)
    assert "0 of the 1 headline metrics improved and 1 declined" in summary
    assert "The clearest significant decline is Net Promoter Score, from 80.0 in 2026-08 to -20.0" in summary
    assert "1 win and 2 risks" in summary
    assert 3 <= len(built.summary) <= 5 and all(s.rule.startswith("summary.") for s in built.summary)


def test_the_same_findings_always_give_the_same_next_steps() -> None:
    first = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    again = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    assert [s.to_dict() for s in first.next_steps] == [s.to_dict() for s in again.next_steps]
    assert set(NEXT_STEPS) == set(FindingKind)
    for step, finding in zip(first.next_steps, (*first.risks, *first.wins), strict=True):
        template, owner = NEXT_STEPS[finding.kind]
        assert step.action == template.format(**finding.facts) and step.owner == owner


# -- a drop after a product change -------------------------------------------------------------

RELEASE = t(2026, 4, 1)


def drop_data() -> AdvocacyData:
    """40 smb and 40 enterprise customers; 30 days before the release 20 smb and 10 enterprise
    accounts refer, 30 days after it 2 smb and 10 enterprise accounts do."""
    accounts = [Account(id=f"s{i}", customer_since=SINCE, tier="smb") for i in range(40)]
    accounts += [Account(id=f"e{i}", customer_since=SINCE, tier="enterprise") for i in range(40)]
    before, after = RELEASE - timedelta(days=30), RELEASE + timedelta(days=30)
    referrals = [Referral(id=f"bs{i}", account_id=f"s{i}", invited_at=before) for i in range(20)]
    referrals += [Referral(id=f"as{i}", account_id=f"s{i}", invited_at=after) for i in range(2)]
    referrals += [Referral(id=f"be{i}", account_id=f"e{i}", invited_at=before) for i in range(10)]
    referrals += [Referral(id=f"ae{i}", account_id=f"e{i}", invited_at=after) for i in range(10)]
    changes = [ProductChange(id="pricing", released_at=RELEASE, name="Pricing update")]
    return AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, product_changes=changes, as_of=AS_OF
    )


def test_a_drop_after_a_recent_product_change_is_a_risk() -> None:
    built = report(drop_data(), period="2026-05", metrics=["referral_program_participation_rate"])
    # May (12 of 80 accounts refer) against April (none): a significant improvement.
    assert kinds(built.wins) == [("significant_improvement", "referral_program_participation_rate", None)]
    assert kinds(built.risks) == [("product_change_drop", "referral_program_participation_rate", None)]
    drop = built.risks[0]
    assert drop.facts["segments"] == "all and tier=smb" and drop.facts["change_name"] == "Pricing update"
    assert "all 37.5% to 15.0%" in drop.text and "tier=smb 50.0% to 5.0%" in drop.text
    assert built.next_steps[0].action == (
        "Review 'Pricing update' with Product: Referral Program Participation Rate dropped in all and "
        "tier=smb after its release; agree a fix or a message to the customers affected."
    )
    assert {s.detail for s in drop.sources} == {"product change pricing"}


def test_a_drop_whose_after_window_is_still_running_is_provisional() -> None:
    accounts = drop_data().as_collections()
    data = AdvocacyData.from_records(
        as_of=RELEASE + timedelta(days=45),
        **{k: v for k, v in accounts.items() if k != "referrals"},
        referrals=[r for r in drop_data().referrals if r.invited_at < RELEASE + timedelta(days=45)],
    )
    built = report(data, period="2026-04", metrics=["referral_program_participation_rate"])
    drop = next(f for f in built.risks if f.kind is FindingKind.PRODUCT_CHANGE_DROP)
    assert drop.facts["partial"] is True and "read it as provisional" in drop.text


def test_a_product_change_older_than_the_lookback_is_not_checked() -> None:
    built = report(drop_data(), period="2026-09", metrics=["referral_program_participation_rate"])
    # 2026-09 ends 183 days after the release: outside the 180-day lookback.
    assert not [f for f in built.risks if f.kind is FindingKind.PRODUCT_CHANGE_DROP]
    assert any("No product change was released in the 180 days" in n.text for n in built.notes)


# -- thresholds --------------------------------------------------------------------------------


def test_a_value_past_a_threshold_of_the_spec_is_a_risk(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = catalog._REGISTRY["customer_retention_rate"]
    threshold = Threshold(0.9, "below", "too many customers leave")
    spec = attrs.evolve(entry.spec, thresholds=(threshold,))
    monkeypatch.setitem(catalog._REGISTRY, "customer_retention_rate", attrs.evolve(entry, spec=spec))
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(20)]
    accounts += [Account(id=f"c{i}", customer_since=SINCE, churned_at=t(2026, 9, 15)) for i in range(20)]
    data = AdvocacyData.from_records(accounts=accounts, as_of=AS_OF)
    built = report(data, period=SEPTEMBER, segments=None, metrics=["customer_retention_rate"])
    assert kinds(built.risks) == [
        ("significant_decline", "customer_retention_rate", None),
        ("threshold_breached", "customer_retention_rate", "all"),
    ]
    assert built.next_steps[1].action == (
        "Bring Customer Retention Rate (all) back above 90.0%. Too many customers leave."
    )


# -- small samples, the year-ago rule ------------------------------------------------------------


def test_a_small_sample_makes_a_headline_number_unsafe_and_the_year_ago_needs_data() -> None:
    accounts = [Account(id=f"a{i}", customer_since=t(2026, 1, 1)) for i in range(10)]
    surveys = [
        SurveyResponse(
            id=f"n{i}", account_id=f"a{i}", kind=SurveyKind.NPS, score=9, responded_at=t(2026, 9, 3)
        )
        for i in range(5)
    ]
    data = AdvocacyData.from_records(accounts=accounts, surveys=surveys, as_of=AS_OF)
    built = report(data, period="2026-09", segments=None, metrics=["net_promoter_score"])
    assert kinds(built.risks) == [("unsafe_number", "net_promoter_score", "all")]
    assert "small sample of 5" in built.risks[0].text
    assert built.year_ago is None and "2025-09 is not shown" in built.year_ago_note
    assert "2025-09" not in built.to_markdown().split("## 2.")[0].split("| Metric |")[1].split("\n")[0]


# -- ready advocates, over-asking and the customer voice --------------------------------------


def voice_data() -> AdvocacyData:
    """r1-r3 enterprise (ARR 300k, 200k, 100k), r4 smb (50k), r5 smb (10k); all onboarded in 2025.

    Readiness at 2026-10-01: r1 and r3 90 (promoter, satisfied, tenure, not tapped), r2 75
    (tapped for a reference on 2026-09-10), r4 70 (promoter, tenure, not tapped), r5 30."""
    accounts = [
        Account(id=f"r{i}", customer_since=SINCE, onboarded_at=t(2025, 1, 1), tier=tier, name=f"Firm {i}")
        for i, tier in ((1, "enterprise"), (2, "enterprise"), (3, "enterprise"), (4, "smb"), (5, "smb"))
    ]
    arr = {"r1": 300_000, "r2": 200_000, "r3": 100_000, "r4": 50_000, "r5": 10_000}
    contracts = [
        Contract(id=f"c-{a}", account_id=a, start=SINCE, end=t(2027, 1, 1), arr=Decimal(v), currency="USD")
        for a, v in arr.items()
    ]
    nps = {"r1": 10, "r2": 10, "r3": 10, "r4": 9, "r5": 5}
    surveys = [
        SurveyResponse(id=f"n-{a}", account_id=a, kind=SurveyKind.NPS, score=s, responded_at=t(2026, 9, 2))
        for a, s in nps.items()
    ]
    surveys += [
        SurveyResponse(id=f"c-{a}", account_id=a, kind=SurveyKind.CSAT, score=5, responded_at=t(2026, 9, 2))
        for a in ("r1", "r2", "r3")
    ]
    asks = [
        Ask(id="k1", account_id="r2", asked_at=t(2026, 8, 20), asset=Asset.REFERENCE),
        Ask(id="k2", account_id="r2", asked_at=t(2026, 9, 10), asset=Asset.REFERENCE),
    ]
    advocates = [
        Advocate(id="v1", account_id="r1", enrolled_at=t(2025, 6, 1)),
        Advocate(id="v3", account_id="r3", enrolled_at=t(2025, 6, 1)),
    ]
    pos, neg = Sentiment.POSITIVE, Sentiment.NEGATIVE
    feedback = [
        Feedback(id="f1", account_id="r1", received_at=t(2026, 9, 5), sentiment=pos, text="Great onboarding"),
        Feedback(
            id="f2", account_id="r1", received_at=t(2026, 9, 20), sentiment=pos, text="Love the reports"
        ),
        Feedback(id="f3", account_id="r3", received_at=t(2026, 9, 25), sentiment=pos, text="Fast support"),
        Feedback(id="f4", account_id="r4", received_at=t(2026, 9, 28), sentiment=pos, text="Nice"),
        Feedback(id="f5", account_id="r5", received_at=t(2026, 9, 15), sentiment=neg, text="Too slow"),
        Feedback(id="f6", account_id="r2", received_at=t(2026, 9, 16), sentiment=neg, text="Too slow"),
        Feedback(
            id="f7", account_id="r1", received_at=t(2026, 8, 16), sentiment=neg, text="August, not counted"
        ),
    ]
    reviews = [
        Review(id="rv1", published_at=t(2026, 9, 3), platform="G2", rating=5, account_id="r3"),
        Review(id="rv2", published_at=t(2026, 9, 4), platform="Capterra", rating=4),
        Review(id="rv3", published_at=t(2026, 9, 5), platform="G2", rating=3, account_id="r1"),
        Review(id="rv4", published_at=t(2026, 9, 6), platform="G2", rating=5, account_id="r4"),
    ]
    return AdvocacyData.from_records(
        accounts=accounts, contracts=contracts, surveys=surveys, asks=asks, advocates=advocates,
        feedback=feedback, reviews=reviews, as_of=AS_OF,
    )  # fmt: skip


USD = RevenueBasis.arr("USD")


def fake_over_asking(eligible: list[str]) -> types.ModuleType:
    module = types.ModuleType(OVER_ASKING)

    def over_asked(data: AdvocacyData, window: Window, **_: Any) -> Any:
        tap = types.SimpleNamespace(
            contact="r2/", account_id="r2", asset=Asset.REFERENCE, asked_at=t(2026, 9, 10),
            previous_asked_at=t(2026, 8, 20), allowed_from=t(2026, 11, 20),
        )  # fmt: skip
        return types.SimpleNamespace(asks=2, over_tapped=[tap])

    def eligible_to_ask(data: AdvocacyData, at: datetime, asset: Any, **_: Any) -> list[Any]:
        return [types.SimpleNamespace(account_id=a) for a in eligible]

    module.over_asked = over_asked  # type: ignore[attr-defined]
    module.eligible_to_ask = eligible_to_ask  # type: ignore[attr-defined]
    return module


def test_ready_advocates_without_over_asking_rank_by_score_then_arr(no_over_asking: None) -> None:
    built = report(voice_data(), period="2026-09", basis=USD, metrics=["net_promoter_score"])
    ready = [f for f in built.wins if f.kind is FindingKind.READY_ADVOCATES]
    assert len(ready) == 1 and ready[0].facts["count"] == 4
    assert ready[0].facts["top_names"] == "Firm 1, Firm 3, Firm 2 and Firm 4"
    assert "Firm 1 (score 90, 300,000 USD ARR)" in ready[0].text
    notes = [n.text for n in built.notes if n.rule == "risks.over_asked"]
    assert notes == [
        "Over-asking could not be assessed: this installation has neither the over-asking analysis nor "
        "the tap_policy_compliance metric."
    ]
    assert not [f for f in built.risks if f.kind is FindingKind.OVER_ASKED]


def test_over_asked_advocates_are_a_risk_and_are_not_offered_as_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # r3's only advocate is held back by the tap policy; r4 has no advocate in the pool.
    monkeypatch.setitem(sys.modules, OVER_ASKING, fake_over_asking(eligible=["r1"]))
    built = report(voice_data(), period="2026-09", basis=USD, metrics=["net_promoter_score"])
    over = [f for f in built.risks if f.kind is FindingKind.OVER_ASKED]
    assert len(over) == 1 and over[0].facts["contacts"] == 1 and over[0].facts["named"] == "Firm 2"
    assert (
        over[0].text == "1 ask of 2 in 2026-09 came sooner than the tap policy allows, to 1 contact: Firm 2."
    )
    ready = next(f for f in built.wins if f.kind is FindingKind.READY_ADVOCATES)
    assert ready.facts["top_names"] == "Firm 1 and Firm 4" and ready.facts["held_back_by_policy"] == 1
    step = next(s for s in built.next_steps if s.kind is FindingKind.OVER_ASKED)
    assert step.action.startswith("Pause asks to the 1 over-asked contact until the tap policy allows them")
    assert "2026-11-20" in step.action


def test_over_asking_falls_back_on_the_tap_policy_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, OVER_ASKING, None)
    base = catalog._REGISTRY["customer_retention_rate"]
    spec = attrs.evolve(base.spec, id="tap_policy_compliance", number=46)

    def tap_policy_compliance(data: AdvocacyData, *, window: Window, segment: Segment | None = None) -> Any:
        listed = [{"contact": "r2/", "account_id": "r2", "asset": "reference", "asked_at": "2026-09-10T00:00:00+00:00",
                   "previous_asked_at": "2026-08-20T00:00:00+00:00", "allowed_from": "2026-11-20T00:00:00+00:00"}]  # fmt: skip
        result = catalog.function("customer_retention_rate")(data, window=window)
        return attrs.evolve(
            result, metric="tap_policy_compliance", denominator=2, details={"over_tapped": listed}
        )

    monkeypatch.setitem(
        catalog._REGISTRY,
        "tap_policy_compliance",
        attrs.evolve(base, spec=spec, function=tap_policy_compliance),
    )
    built = report(voice_data(), period="2026-09", basis=USD, metrics=["net_promoter_score"])
    over = [f for f in built.risks if f.kind is FindingKind.OVER_ASKED]
    assert len(over) == 1 and over[0].facts["method"] == "metric"
    assert over[0].sources[0].metric == "tap_policy_compliance"
    ready = next(f for f in built.wins if f.kind is FindingKind.READY_ADVOCATES)
    assert "Firm 2" not in ready.facts["top_names"]


def test_customer_stories_follow_the_quote_rules(no_over_asking: None) -> None:
    stories = report(voice_data(), period="2026-09", basis=USD, metrics=["net_promoter_score"]).stories
    assert dict(stories.sentiment_mix) == {"positive": 4, "neutral": 0, "negative": 2, "total": 6}
    # Per sentiment: highest ARR first, then the most recent; one quote per account, no text twice.
    assert [(q.record_id, q.sentiment) for q in stories.quotes] == [
        ("f2", "positive"),
        ("f3", "positive"),
        ("f6", "negative"),
    ]
    assert stories.quotes[0].arr == Decimal(300_000)
    assert [q.record_id for q in stories.review_quotes] == ["rv3", "rv1", "rv4"]
    assert stories.reviews == 4 and stories.mean_rating == 4.25
    assert stories.statements[0].text == (
        "6 pieces of feedback arrived in 2026-09: 4 positive, 0 neutral and 2 negative (67% positive)."
    )


def test_without_a_basis_quotes_follow_recency_and_money_metrics_stay_undefined(no_over_asking: None) -> None:
    built = report(voice_data(), period="2026-09", metrics=["net_promoter_score", "revenue_from_referrals"])
    assert [q.record_id for q in built.stories.quotes] == ["f4", "f3", "f6"]
    revenue = next(r for r in built.table if r.metric == "revenue_from_referrals")
    assert revenue.current.value is None and "revenue basis" in (revenue.current.undefined_reason or "")


# -- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "deep_dive"),
    [
        ("2026Q3", False),
        ("2026-09", True),
        ("2026", False),
        ("2026-09-01/2026-09-15", False),
        ("2026-10", False),
    ],
)
def test_a_period_of_the_wrong_grain_or_after_as_of_is_refused(period: str, deep_dive: bool) -> None:
    with pytest.raises(ParameterError, match="'period'"):
        report(nps_data(), period=period, deep_dive=deep_dive)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"segments": "tier"}, "segments"),
        ({"metrics": "net_promoter_score"}, "metrics"),
        ({"basis": "USD"}, "basis"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ParameterError, match=f"'{parameter}'"):
        report(nps_data(), period="2026-09", **kwargs)


def test_the_default_period_is_the_last_one_that_ended_and_a_deep_dive_reads_quarters() -> None:
    data = nps_data()
    assert report(data, metrics=["net_promoter_score"]).period == SEPTEMBER
    deep = report(data, deep_dive=True, metrics=["net_promoter_score"])
    assert deep.period == Window.quarter(2026, 3) and deep.previous == Window.quarter(2026, 2)
    assert [w.label for w in deep.trend] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert deep.year_ago == Window.quarter(2025, 3) and deep.cadence == "quarterly deep dive"


# -- outputs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_report() -> Report:
    return report(sample.generate(), period="2026-09", basis=DEMO_BASIS)


class _Balance(html.parser.HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def test_the_html_is_balanced_self_contained_and_has_every_chart_and_table(sample_report: Report) -> None:
    page = sample_report.to_html()
    checker = _Balance()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert page.startswith("<!DOCTYPE html>")
    assert checker.counts["svg"] == len(sample_report.headline) == len(sample_report.charts)
    assert page.count('role="img" class="chart"') == len(sample_report.headline)
    for chart in sample_report.charts:
        assert f">{html.escape(chart.title)}</title>" in page
    # One table per chart, the headline table, the full table, the sentiment mix and the next steps.
    assert checker.counts["table"] == len(sample_report.charts) + 4
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "src=" not in page and 'href="http' not in page and "url(http" not in page
    assert "@media print" in page
    for _, title in (("", "1. Executive summary"), ("", "6. Next steps and requests for support")):
        assert title in page


def test_every_output_is_deterministic(sample_report: Report) -> None:
    again = report(sample.generate(), period="2026-09", basis=DEMO_BASIS)
    assert again.to_markdown() == sample_report.to_markdown()
    assert again.to_json() == sample_report.to_json()
    assert again.to_html() == sample_report.to_html()


def test_the_json_round_trips_and_traces_every_statement(sample_report: Report) -> None:
    payload = json.loads(sample_report.to_json())
    assert payload == json.loads(json.dumps(sample_report.to_dict()))
    sections = payload["sections"]
    assert list(sections) == [
        "executive_summary", "key_metrics_and_trends", "customer_stories", "wins_and_opportunities",
        "risks_and_action_plans", "next_steps",
    ]  # fmt: skip
    for statement in sections["executive_summary"]["statements"]:
        assert statement["rule"].startswith("summary.") and statement["sources"]
    for finding in [*sections["wins_and_opportunities"], *sections["risks_and_action_plans"]["findings"]]:
        assert finding["sources"] and finding["kind"] in {k.value for k in FindingKind}
    assert len(sections["next_steps"]) == len(sections["wins_and_opportunities"]) + len(
        sections["risks_and_action_plans"]["findings"]
    )
    assert {c["metric"] for c in sections["key_metrics_and_trends"]["charts"]} == {
        r.metric for r in sample_report.headline
    }


def test_the_markdown_has_the_six_sections_in_order(sample_report: Report) -> None:
    text = sample_report.to_markdown()
    positions = [
        text.index(f"## {n}. {title}")
        for n, title in enumerate(
            [
                "Executive summary", "Key metrics and trends", "Customer stories and qualitative insights",
                "Wins and opportunities", "Risks and action plans", "Next steps and requests for support",
            ],
            start=1,
        )
    ]  # fmt: skip
    assert positions == sorted(positions)
    for row in sample_report.headline:
        assert f"### {row.name}" in text


def test_without_matplotlib_html_names_the_extra_and_the_rest_works(
    sample_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"advocacy-kpis\[report\]"):
        sample_report.to_html()
    assert sample_report.to_markdown().startswith("# Customer advocacy monthly review: 2026-09")
    json.dumps(sample_report.to_dict())


def _png_colours(path: Path) -> int:
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours) if colours is not None else 1 << 20


def test_the_html_renders_in_headless_chromium(sample_report: Report, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'); .ci/run installs it")
    page = tmp_path / "report.html"
    page.write_text(sample_report.to_html(), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
            "--enable-logging=stderr", "--v=0", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert "Failed to load resource" not in done.stderr and "net::ERR_" not in done.stderr
    assert _png_colours(shot) > 16


# -- the command line -------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "start"), [("md", "# Customer advocacy"), ("html", "<!DOCTYPE html>"), ("json", "{")]
)
def test_the_report_command_writes_each_format(fmt: str, start: str, tmp_path: Path) -> None:
    target = tmp_path / f"report.{fmt}"
    code, text = run("report", "--sample", "--period", "2026-09", "--format", fmt, "--out", str(target))
    assert code == 0 and str(target) in text
    written = target.read_text(encoding="utf-8")
    assert written.startswith(start)
    if fmt == "json":
        assert json.loads(written)["period"]["label"] == "2026-09"


def test_the_report_command_prints_markdown_and_takes_a_deep_dive() -> None:
    code, text = run("report", "--sample", "--period", "2026Q3", "--deep-dive", "--by", "region")
    assert code == 0 and text.startswith("# Customer advocacy quarterly deep dive: 2026Q3")
    assert "region=" in text and "tier=" not in text.split("\n")[2]


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--period", "2026Q3"], "--period"),
        (["--period", "September"], "--period"),
        (["--period", "2027-01"], "--period"),
        (["--period", "2026-09", "--deep-dive"], "--period"),
        (["--period", "2026-09", "--out", "/nonexistent-dir/report.md"], "--out"),
    ],
)
def test_the_report_command_names_the_bad_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", "--sample", *argv)
    assert code == 2
    assert f"'{flag}' parameter of advocacy-kpis report" in capsys.readouterr().err


def test_the_report_command_needs_the_sample_and_a_known_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("report", "--period", "2026-09")[0] == 2
    assert "--sample --data" in capsys.readouterr().err
    assert run("report", "--sample", "--format", "pdf")[0] == 2
    assert "--format" in capsys.readouterr().err


def test_the_demo_mentions_the_report() -> None:
    code, text = run("demo")
    assert (
        code == 0 and "advocacy-kpis report --sample --period 2026-09 --format html --out report.html" in text
    )


# -- text from the data is shown, never run ------------------------------------------------------

HOSTILE_TIERS = {
    "enterprise": "<script>alert(1)</script>",
    "mid": "$x^{2$ [pay](javascript:alert(2))",
    "smb": "<javascript:alert(3)> # heading",
}


@pytest.fixture(scope="module")
def hostile_report() -> Report:
    """The sample, with tiers, account names and feedback holding markup, links and mathtext."""
    data = sample.generate()
    accounts = [
        attrs.evolve(
            a, tier=HOSTILE_TIERS.get(a.tier or "", a.tier), name=f"<img src=x onerror=alert(4)>{a.id}"
        )
        for a in data.accounts
    ]
    feedback = [
        attrs.evolve(
            f,
            text=f"**great** <iframe src='javascript:alert(5)'></iframe> [docs](javascript:alert(6)) {f.id}",
        )
        for f in data.feedback
    ]
    collections = {name: getattr(data, name) for name in data.supplied}
    collections.update(accounts=accounts, feedback=feedback)
    hostile = AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **collections)
    return report(hostile, period="2026-09", basis=DEMO_BASIS)


def test_markdown_shows_text_from_the_data_as_text_never_as_html_or_links(hostile_report: Report) -> None:
    import markdown as python_markdown
    from markdown_it import MarkdownIt

    text = hostile_report.to_markdown()
    assert "<script>alert(1)</script>" in hostile_report.to_json()  # the hostile text is in the report
    for rendered in (MarkdownIt("commonmark").enable("table").render(text), python_markdown.markdown(text,
                     extensions=["tables"])):  # fmt: skip
        lowered = rendered.lower()
        assert "<script" not in lowered and "<iframe" not in lowered and "<img" not in lowered
        assert "javascript:" not in "".join(re.findall(r'(?:href|src)="([^"]*)"', lowered))
        assert "<h1" in lowered and lowered.count("<h1") == 1  # no heading from a tier
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown as written
        assert "<strong>great</strong>" not in rendered


def test_chart_labels_from_the_data_are_not_read_as_mathtext(hostile_report: Report) -> None:
    # "$x^{2$" is an unterminated mathtext group: matplotlib raised ValueError drawing the legend.
    page = hostile_report.to_html()
    assert "$x^{2$" in html.unescape(page) and "<script>alert" not in page


def test_the_report_command_prints_on_an_ascii_terminal() -> None:
    # Printing "“" or "−" raised UnicodeEncodeError (a traceback) with PYTHONIOENCODING=ascii.
    result = subprocess.run(
        [sys.executable, "-m", "advocacy_kpis.cli", "report", "--sample", "--period", "2026-09"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONIOENCODING": "ascii"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "# Customer advocacy" in result.stdout and "\\u201c" in result.stdout
