"""The standard report: each rule on hand-built data sets, the correction over its tests, the three
outputs, the CLI. Expected values come from hand computation or from the stats functions, which
are tested against SciPy and statsmodels in tests/test_stats.py."""

from __future__ import annotations

import html
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import types
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from statsmodels.stats.multitest import multipletests

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
    ProgramCost,
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
from advocacy_kpis.stats import binomial_level_test, nps_difference_test
from tests.browser import png_colours, render

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
SEPTEMBER = Window.month(2026, 9)
OVER_ASKING = "advocacy_kpis.analyses.over_asking"


def t(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def kinds(findings: Any) -> list[tuple[str, str | None, str | None]]:
    return [(f.kind.value, f.metric, f.segment.name if f.segment is not None else None) for f in findings]


@pytest.fixture
def no_over_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the over-asking analysis nor the tap policy metric: the rule cannot run."""
    monkeypatch.setitem(sys.modules, OVER_ASKING, None)
    monkeypatch.delitem(catalog._REGISTRY, "tap_policy_compliance", raising=False)


def contradictions(built: Report) -> list[str]:
    """Next steps that contradict each other, or a caveat turned into a risk."""
    found = []
    keys = [(f.metric, f.segment) for f in (*built.risks, *built.wins) if f.metric is not None]
    if len(keys) != len(set(keys)):
        found.append(f"two findings on one metric and segment: {keys}")
    wins = {(f.metric, f.segment) for f in built.wins if f.metric is not None}
    risks = {(f.metric, f.segment) for f in built.risks if f.metric is not None}
    if wins & risks:
        found.append(f"a metric and segment both a win and a risk: {wins & risks}")
    if len(built.next_steps) != len(built.risks) + len(built.wins):
        found.append("not one next step per finding")
    for step in built.next_steps:
        if step.action.startswith("Hold ") or "until the number firms up" in step.action:
            found.append(f"a step that holds decisions another step acts on: {step.action}")
    paused = {f.facts.get("named") for f in built.risks if f.kind is FindingKind.OVER_ASKED}
    for win in built.wins:
        if win.kind is FindingKind.READY_ADVOCATES:
            for name in str(win.facts["top_names"]).split(", "):
                if any(name and name in str(p) for p in paused):
                    found.append(f"{name} is both paused and asked")
    return found


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


def test_a_significant_nps_decline_and_the_tiers_against_the_rest_under_one_correction() -> None:
    built = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    nps = built.headline[0]
    assert (nps.previous.value, nps.current.value) == (80.0, -20.0)
    # The family: the change against August, and each tier against the rest (the year-ago value
    # is undefined, so there is no year-on-year test).
    assert [x.id for x in built.tests] == [
        "change:net_promoter_score",
        "versus_rest:net_promoter_score:tier=enterprise",
        "versus_rest:net_promoter_score:tier=smb",
    ]
    raw = [
        nps_difference_test((80, 20, 0), (40, 0, 60)).p_value,
        nps_difference_test((0, 0, 60), (40, 0, 0)).p_value,
        nps_difference_test((40, 0, 0), (0, 0, 60)).p_value,
    ]
    assert [x.p_value for x in built.tests] == pytest.approx(raw)
    assert [x.adjusted_p for x in built.tests] == pytest.approx(list(multipletests(raw, method="holm")[1]))
    assert built.correction.method == "holm" and built.correction.tests == 3
    assert kinds(built.risks) == [
        ("significant_decline", "net_promoter_score", "all"),
        ("segment_below", "net_promoter_score", "tier=smb"),
    ]
    assert kinds(built.wins) == [("segment_above", "net_promoter_score", "tier=enterprise")]
    assert [s.action for s in built.next_steps] == [
        "Find the cause of the Net Promoter Score decline (\u2212100.0 against Aug 2026) and bring a "
        "recovery plan to the next review.",
        "Review the journey of SMB accounts, where Net Promoter Score is below the rest of the customers "
        "(-100.0 against 100.0), and agree a targeted play.",
        "Recruit advocates, references and case studies among Enterprise accounts, ahead of the rest of the "
        "customers on Net Promoter Score (100.0 against -100.0).",
    ]
    decline = built.risks[0]
    assert [(s.metric, s.window, s.segment) for s in decline.sources] == [
        ("net_promoter_score", SEPTEMBER, Segment.all()),
        ("net_promoter_score", Window.month(2026, 8), Segment.all()),
    ]
    summary = " ".join(s.text for s in built.summary)
    assert "Holm's step-down correction at a 5% family-wise error rate across 3 tests" in summary
    assert "0 of the 1 headline metrics moved in their good direction and 1 in their bad one" in summary
    assert "The 3 findings that matter most: (1) Net Promoter Score declined from 80.0 to -20.0" in summary
    assert "1 win and 2 risks, one per metric and segment" in summary
    assert contradictions(built) == []


def test_the_same_findings_always_give_the_same_next_steps() -> None:
    first = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    again = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    assert [s.to_dict() for s in first.next_steps] == [s.to_dict() for s in again.next_steps]
    assert set(NEXT_STEPS) == set(FindingKind)
    for step, finding in zip(first.next_steps, (*first.risks, *first.wins), strict=True):
        template, owner = NEXT_STEPS[finding.kind]
        assert step.action == template.format(**finding.facts) and step.owner == owner


def moderate_data() -> AdvocacyData:
    """100 customers, half enterprise, half smb, answering alike in each tier.

    August (58, 30, 12) promoters, passives, detractors; September (46, 30, 24): NPS 46 -> 22."""
    accounts = [
        Account(id=f"a{i}", customer_since=SINCE, tier="enterprise" if i % 2 else "smb") for i in range(100)
    ]
    surveys = []
    for month, mix in ((8, (58, 30, 12)), (9, (46, 30, 24))):
        scores = [10] * mix[0] + [8] * mix[1] + [2] * mix[2]
        # Interleaved so that each tier gets exactly half of each group.
        order = [i for pair in zip(range(0, 100, 2), range(1, 100, 2), strict=True) for i in pair]
        for i, score in zip(order, scores, strict=True):
            surveys.append(
                SurveyResponse(id=f"n{month}-{i}", account_id=f"a{i}", kind=SurveyKind.NPS, score=score,
                               responded_at=t(2026, month, 10))
            )  # fmt: skip
    return AdvocacyData.from_records(accounts=accounts, surveys=surveys, as_of=AS_OF)


def test_a_move_that_passes_alone_but_not_after_the_correction_is_shown_as_not_significant() -> None:
    built = report(moderate_data(), period="2026-09", metrics=["net_promoter_score"])
    change = next(x for x in built.tests if x.kind == "change")
    # p = 0.027 on its own; with the two tier tests (p = 1), Holm multiplies it by 3.
    assert change.p_value == pytest.approx(nps_difference_test((58, 30, 12), (46, 30, 24)).p_value)
    assert change.p_value < 0.05 and change.adjusted_p == pytest.approx(3 * change.p_value)
    assert not change.significant and built.risks == ()
    assert [s.rule for s in built.not_significant] == ["tests.not_significant"]
    assert built.not_significant[0].text.endswith("Not significant after the correction.")
    markdown = built.to_markdown()
    assert "Tested, not significant after the correction" in markdown
    assert "not significant (p = 0.027, adjusted p = 0.081)" in markdown
    # With the false discovery rate instead, the single small p-value is multiplied by 3 / 1 too.
    bh = report(
        moderate_data(), period="2026-09", metrics=["net_promoter_score"], correction="benjamini-hochberg"
    )
    assert bh.correction.method == "benjamini-hochberg" and "false discovery rate" in bh.summary[1].text


# -- one finding per metric and segment --------------------------------------------------------


def release_data() -> AdvocacyData:
    """200 customers since 2024; a release on 1 August 2026, as_of 1 October (61 days after it).

    Referrals (participation): 2025: 60 accounts in July, 60 in August; 2026: 60 in July, 10 in
    August, none in September. Against the same span a year earlier participation falls from
    60/200 to 10/200 where it had stayed at 60/200: a drop; August against July is a decline too."""
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(200)]
    referrals = []
    for tag, when, count in (("y7", t(2025, 7, 15), 60), ("y8", t(2025, 8, 15), 60), ("t7", t(2026, 7, 15), 60),
                             ("t8", t(2026, 8, 15), 10)):  # fmt: skip
        referrals += [Referral(id=f"{tag}-{i}", account_id=f"a{i}", invited_at=when) for i in range(count)]
    changes = [ProductChange(id="pricing", released_at=t(2026, 8, 1), name="Pricing update")]
    return AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, product_changes=changes, as_of=AS_OF
    )


def test_a_decline_and_a_drop_after_a_release_of_the_same_metric_are_one_finding_with_one_owner() -> None:
    built = report(
        release_data(), period="2026-08", segments=None, metrics=["referral_program_participation_rate"]
    )
    passed = {x.kind for x in built.tests if x.significant}
    assert passed == {"change", "product_change", "year_on_year"}
    assert kinds(built.risks) == [("product_change_drop", "referral_program_participation_rate", "all")]
    (drop,) = built.risks
    assert drop.tests == (
        "product_change:pricing:referral_program_participation_rate:all",
        "change:referral_program_participation_rate",
    )
    assert "against 30.0% → 30.0% over the same span a year earlier: −25.0 pts" in drop.text
    assert (
        "Also: Referral Program Participation Rate declined from 30.0% in Jul 2026 to 5.0% in Aug 2026"
        in drop.text
    )
    (step,) = built.next_steps
    assert step.owner == "Product, with Customer Success"
    assert step.action.startswith(
        "Review 'Pricing update' with Product: Referral Program Participation Rate among All"
    )
    # The release is judged on the 61 days seen after it, and the report says so.
    assert any("judged on the 61 days observed after it" in n.text for n in built.notes)
    assert contradictions(built) == []


def test_a_release_too_recent_to_judge_gets_no_verdict_and_the_reason() -> None:
    late = attrs.evolve(release_data().product_changes[0], released_at=t(2026, 9, 15))
    data = AdvocacyData.from_records(
        **{**release_data().as_collections(), "product_changes": [late]}, as_of=AS_OF
    )
    built = report(data, period="2026-09", segments=None, metrics=["referral_program_participation_rate"])
    assert not [f for f in built.risks if f.kind is FindingKind.PRODUCT_CHANGE_DROP]
    assert not [x for x in built.tests if x.kind == "product_change"]
    assert any(
        "no verdict yet, because only 16 days after the release are observed" in n.text for n in built.notes
    )


def test_a_product_change_older_than_the_lookback_is_not_checked() -> None:
    built = report(
        release_data(), period="2026-02", segments=None, metrics=["referral_program_participation_rate"]
    )
    assert not [x for x in built.tests if x.kind == "product_change"]
    assert any("No product change was released in the 180 days" in n.text for n in built.notes)


# -- thresholds --------------------------------------------------------------------------------


def with_threshold(monkeypatch: pytest.MonkeyPatch, level: float) -> None:
    entry = catalog._REGISTRY["customer_retention_rate"]
    spec = attrs.evolve(entry.spec, thresholds=(Threshold(level, "below", "too many customers leave"),))
    monkeypatch.setitem(catalog._REGISTRY, "customer_retention_rate", attrs.evolve(entry, spec=spec))


def test_a_rate_past_its_threshold_is_a_risk_only_when_the_exact_test_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_threshold(monkeypatch, 0.9)
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(20)]
    accounts += [Account(id=f"c{i}", customer_since=SINCE, churned_at=t(2026, 9, 15)) for i in range(20)]
    data = AdvocacyData.from_records(accounts=accounts, as_of=AS_OF)
    built = report(data, period=SEPTEMBER, segments=None, metrics=["customer_retention_rate"])
    threshold = next(x for x in built.tests if x.kind == "threshold")
    assert threshold.p_value == pytest.approx(binomial_level_test(20, 40, 0.9, "below").p_value)
    # The decline (40/40 in August to 20/40) and the breach are one finding; the decline leads.
    assert kinds(built.risks) == [("significant_decline", "customer_retention_rate", "all")]
    assert "below the 90.0% threshold" in built.risks[0].text
    assert len(built.next_steps) == 1
    # 35 of 40 kept is below 90% as a point, but not significantly: no breach.
    with_threshold(monkeypatch, 0.9)
    few = [Account(id=f"a{i}", customer_since=SINCE) for i in range(35)]
    few += [Account(id=f"c{i}", customer_since=SINCE, churned_at=t(2026, 9, 15)) for i in range(5)]
    near = report(AdvocacyData.from_records(accounts=few, as_of=AS_OF), period=SEPTEMBER, segments=None,
                  metrics=["customer_retention_rate"])  # fmt: skip
    assert not [f for f in near.risks if f.kind is FindingKind.THRESHOLD_BREACHED]
    assert next(x for x in near.tests if x.kind == "threshold").p_value > 0.05


# -- caveats are read with care, not risks -----------------------------------------------------


def test_a_small_sample_is_read_with_care_not_a_risk_and_the_year_ago_needs_data() -> None:
    accounts = [Account(id=f"a{i}", customer_since=t(2026, 1, 1)) for i in range(10)]
    surveys = [
        SurveyResponse(
            id=f"n{i}", account_id=f"a{i}", kind=SurveyKind.NPS, score=9, responded_at=t(2026, 9, 3)
        )
        for i in range(5)
    ]
    data = AdvocacyData.from_records(accounts=accounts, surveys=surveys, as_of=AS_OF)
    built = report(data, period="2026-09", segments=None, metrics=["net_promoter_score"])
    assert built.risks == () and built.next_steps == ()
    (care,) = built.read_with_care
    assert care.rule == "care.small_sample" and "rests on a small sample of 5" in care.text
    assert "Read with care" in built.to_markdown()
    assert built.year_ago is None and "Sep 2025 is not shown" in built.year_ago_note
    assert "Sep 2025" not in built.to_markdown().split("## 2.")[0].split("| Metric |")[1].split("\n")[0]


def conversion_data() -> AdvocacyData:
    """Referrals in June 2026 (10, 3 converted) have matured by 1 October; those of September (5) have not."""
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(20)]
    accounts += [Account(id=f"n{i}", customer_since=t(2026, 7, 1)) for i in range(3)]
    referrals = [
        Referral(id=f"j{i}", account_id=f"a{i}", invited_at=t(2026, 6, 5),
                 converted_at=t(2026, 7, 1) if i < 3 else None, converted_account_id=f"n{i}" if i < 3 else None)
        for i in range(10)
    ]  # fmt: skip
    referrals += [Referral(id=f"s{i}", account_id=f"a{i}", invited_at=t(2026, 9, 5)) for i in range(5)]
    return AdvocacyData.from_records(accounts=accounts, referrals=referrals, as_of=AS_OF)


def test_an_immature_headline_value_shows_what_can_be_said_labelled_as_such() -> None:
    built = report(conversion_data(), period="2026-09", segments=None, metrics=["referral_conversion_rate"])
    (row,) = built.headline
    assert row.current.value is None and row.estimate is not None
    # The cumulative-incidence estimate needs 90 days of follow-up, which September lacks: the
    # latest period with a value is June, 3 of 10.
    assert row.estimate.cell == "30.0% (Jun 2026)" and row.estimate.window == Window.month(2026, 6)
    assert "| 30.0% (Jun 2026) |" in built.to_markdown()
    (care,) = built.read_with_care
    assert care.rule == "care.undefined" and "What can be said instead: 30.0% in Jun 2026" in care.text
    assert built.risks == ()


# -- money --------------------------------------------------------------------------------------


def test_revenue_from_referrals_shows_its_split_beside_the_total_and_the_roi() -> None:
    accounts = [
        Account(id="new", customer_since=t(2026, 9, 1), acquisition_channel="referral"),
        Account(id="old", customer_since=SINCE, acquisition_channel="referral"),
    ]
    contracts = [
        Contract(id="c1", account_id="new", start=t(2026, 9, 1), end=t(2027, 9, 1), arr=Decimal(10000), currency="USD"),
        Contract(id="c2", account_id="old", start=SINCE, end=t(2026, 9, 5), arr=Decimal(4000), currency="USD"),
        Contract(id="c3", account_id="old", start=t(2026, 9, 5), end=t(2027, 9, 5), arr=Decimal(5000),
                 currency="USD", renewal_of="c2"),
    ]  # fmt: skip
    costs = [
        ProgramCost(
            id="p1", incurred_at=t(2026, 9, 2), amount=Decimal(3000), currency="USD", program="referral"
        )
    ]
    data = AdvocacyData.from_records(accounts=accounts, contracts=contracts, program_costs=costs, as_of=AS_OF)
    built = report(
        data, period="2026-09", segments=None, basis=RevenueBasis.arr("USD"),
        metrics=["revenue_from_referrals", "referral_campaign_roi"],
    )  # fmt: skip
    revenue, roi = built.headline
    assert (
        revenue.aside
        == "of which first contracts 10,000 USD and later contracts (renewals and additions) 5,000 USD"
    )
    # ROI (15000 - 3000) / 3000 = 4.0 on all revenue; on first contracts alone (10000 - 3000) / 3000.
    assert roi.current.value == pytest.approx(4.0)
    assert roi.aside == "on first-contract revenue alone (renewals and additions left out): 2.33"
    markdown = built.to_markdown()
    assert "of which first contracts 10,000 USD" in markdown and "no test (money)" in markdown


# -- the summary -------------------------------------------------------------------------------


def test_the_summary_counts_what_the_table_shows() -> None:
    built = report(sample.generate(), period="2026-09", basis=DEMO_BASIS)
    table = built.to_markdown().split("| Metric |")[1].split("\n\n")[0].splitlines()[2:]
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in table]
    good = sum(1 for r in built.headline if r.movement.value == "improved")
    bad = sum(1 for r in built.headline if r.movement.value == "declined")
    still = sum(1 for c in cells if c[3].startswith("±"))
    dash = sum(1 for c in cells if c[3] == "—")
    tested = sum(
        1 for c in cells if c[4].startswith(("significant", "not significant")) and not c[3].startswith("±")
    )
    untested = sum(1 for c in cells if c[4].startswith("no test") and not c[3].startswith("±"))
    assert good + bad + still + dash == len(built.headline)
    counts = next(s.text for s in built.summary if s.rule == "summary.direction_count")
    assert counts.startswith(f"Against Aug 2026, {good} of the {len(built.headline)} headline metrics moved in their "
                             f"good direction and {bad} in their bad one")  # fmt: skip
    assert f"{still} did not move" in counts and f"{dash} have no value to compare" in counts
    assert f"Of the {good + bad} moves, {tested} have a test" in counts
    assert f"{untested} (money, ratios, durations) have no honest test" in counts


def run_data() -> AdvocacyData:
    """Participation falls each month from April to September 2026: 60, 50, 40, 30, 20, 10 of 200 accounts refer."""
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(200)]
    referrals = []
    for month, count in zip(range(4, 10), (60, 50, 40, 30, 20, 10), strict=True):
        referrals += [
            Referral(id=f"r{month}-{i}", account_id=f"a{i}", invited_at=t(2026, month, 10))
            for i in range(count)
        ]
    referrals += [Referral(id=f"y-{i}", account_id=f"a{i}", invited_at=t(2025, 9, 10)) for i in range(60)]
    return AdvocacyData.from_records(accounts=accounts, referrals=referrals, as_of=AS_OF)


def test_trend_sentences_name_runs_and_the_year_on_year_change_with_its_test() -> None:
    built = report(
        run_data(), period="2026-09", segments=None, metrics=["referral_program_participation_rate"]
    )
    runs = next(s.text for s in built.summary if s.rule == "summary.trend_runs")
    assert runs.startswith(
        "Referral Program Participation Rate has fallen 5 periods in a row, from 30.0% in Apr 2026 to 5.0% in Sep 2026"
    )
    yearly = next(s.text for s in built.summary if s.rule == "summary.year_on_year")
    assert yearly.startswith("Year on year (Sep 2025 to Sep 2026): Referral Program Participation Rate year on year, "
                             "30.0% → 5.0% (−25.0 pts, p < 0.001, adjusted p < 0.001)")  # fmt: skip


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
        over[0].text == "1 ask of 2 in Sep 2026 came sooner than the tap policy allows, to 1 contact: Firm 2."
    )
    ready = next(f for f in built.wins if f.kind is FindingKind.READY_ADVOCATES)
    assert ready.facts["top_names"] == "Firm 1 and Firm 4" and ready.facts["held_back_by_policy"] == 1
    step = next(s for s in built.next_steps if s.kind is FindingKind.OVER_ASKED)
    assert step.action.startswith("Pause asks to the 1 over-asked contact until the tap policy allows them")
    assert "2026-11-20" in step.action
    assert contradictions(built) == []


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
        "6 pieces of feedback arrived in Sep 2026: 4 positive, 0 neutral and 2 negative (67% positive)."
    )


def test_without_a_basis_quotes_follow_recency_and_money_metrics_stay_undefined(no_over_asking: None) -> None:
    built = report(voice_data(), period="2026-09", metrics=["net_promoter_score", "revenue_from_referrals"])
    assert [q.record_id for q in built.stories.quotes] == ["f4", "f3", "f6"]
    revenue = next(r for r in built.table if r.metric == "revenue_from_referrals")
    assert revenue.current.value is None and "revenue basis" in (revenue.current.undefined_reason or "")


def test_stories_are_tied_to_the_segment_a_finding_is_about() -> None:
    built = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    behind = {story.segment.name: story for story in built.stories.behind_findings}
    assert set(behind) == {"all", "tier=smb", "tier=enterprise"}
    assert behind["tier=smb"].statement is not None
    assert behind["tier=smb"].statement.text.startswith("Behind 'SMB below the rest on Net Promoter Score")


def hostile_data() -> AdvocacyData:
    data = voice_data()
    collections = data.as_collections()
    collections["accounts"] = [
        attrs.evolve(a, name="<script>alert(1)</script> | **Firm**") if a.id == "r1" else a
        for a in data.accounts
    ]
    collections["feedback"] = [
        attrs.evolve(f, text="[click me](javascript:alert(1)) <img src=x onerror=alert(2)> `code` _x_ # h")
        if f.id == "f2"
        else f
        for f in data.feedback
    ]
    collections["product_changes"] = [
        ProductChange(id="evil", released_at=t(2026, 8, 1), name="<iframe src='javascript:alert(3)'>")
    ]
    return AdvocacyData.from_records(as_of=data.as_of, **collections)


def test_markdown_escapes_hostile_text_from_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    markdown_lib = pytest.importorskip("markdown")
    monkeypatch.setitem(sys.modules, OVER_ASKING, fake_over_asking(eligible=["r1"]))
    built = report(hostile_data(), period="2026-09", basis=USD, metrics=["net_promoter_score"])
    text = built.to_markdown()
    assert "<script" not in text and "<img" not in text and "<iframe" not in text
    assert "&lt;script>alert(1)&lt;/script>" in text and "\\[click me\\](javascript:alert(1))" in text
    rendered = markdown_lib.markdown(text, extensions=["tables"])
    assert "<script" not in rendered and "<img" not in rendered and "<iframe" not in rendered
    assert 'href="javascript' not in rendered and "<strong>Firm</strong>" not in rendered
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "[click me](javascript:alert(1))" in rendered
    )
    page = built.to_html()
    assert "<script" not in page and "&lt;script&gt;" in page


def test_segments_and_periods_read_as_values_and_p_values_never_read_zero() -> None:
    built = report(nps_data(), period="2026-09", metrics=["net_promoter_score"])
    text = built.to_markdown()
    assert "tier=" not in text and "| SMB |" in text and "Enterprise" in text
    assert "Sep 2026" in text and "2026-09-01T" not in text
    assert "p = 0.000" not in text and "p < 0.001" in text
    assert built.to_dict()["segments"] == ["all", "tier=enterprise", "tier=smb"]
    assert built.to_dict()["segment_labels"] == ["All customers", "Enterprise", "SMB"]


# -- the deep dive -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deep_dive() -> Report:
    targets = {"net_promoter_score": 30, "customer_advocacy_rate": 0.3, "retention": 0.99}
    return report(sample.generate(), period="2026Q3", deep_dive=True, basis=DEMO_BASIS, targets=targets)


def test_the_deep_dive_sets_targets_against_actuals_and_draws_them(deep_dive: Report) -> None:
    assert dict(deep_dive.targets) == {
        "net_promoter_score": 30.0, "customer_advocacy_rate": 0.3, "customer_retention_rate": 0.99,
    }  # fmt: skip
    targets = next(table for table in deep_dive.tables if table.title.startswith("Targets"))
    rows = {row[0]: row for row in targets.rows}
    nps = deep_dive.scorecard.get("net_promoter_score", deep_dive.period).value
    assert rows["Net Promoter Score"][1:3] == ("30.0", f"{nps:.1f}")
    assert rows["Net Promoter Score"][3].startswith("missed" if nps < 30 else "met")
    chart = next(c for c in deep_dive.charts if c.metric == "customer_advocacy_rate")
    assert chart.target == 0.3 and "target 0.3" in chart.description
    assert ">target<" in deep_dive.to_html()


def test_the_deep_dive_crosses_tier_and_region_and_shows_the_referral_cohorts(deep_dive: Report) -> None:
    titles = [table.title for table in deep_dive.tables]
    assert "Customer Advocacy Rate by tier and region, Q3 2026" in titles
    crossing = next(t for t in deep_dive.tables if t.title.startswith("Customer Advocacy Rate by tier"))
    assert crossing.header[0] == "Tier" and "EMEA" in crossing.header and "Descriptive" in crossing.note
    card = deep_dive.scorecard
    cohorts = next(t for t in deep_dive.tables if t.title == "Time to first referral by activation cohort")
    assert [row[0] for row in cohorts.rows] == [
        "Q2 2025",
        "Q3 2025",
        "Q4 2025",
        "Q1 2026",
        "Q2 2026",
        "Q3 2026",
    ]
    q1 = card.get("time_to_first_referral", Window.quarter(2026, 1)).details
    row = next(r for r in cohorts.rows if r[0] == "Q1 2026")
    assert row[3] == f"{q1['share_by_90_days']:.1%}"
    # The deep dive finds something the monthly review cannot, and reads the story of its segment.
    assert contradictions(deep_dive) == []
    for story in deep_dive.stories.behind_findings:
        finding = next(f for f in (*deep_dive.risks, *deep_dive.wins) if f.short == story.finding)
        assert finding.segment == story.segment


def test_targets_name_known_metrics_and_numbers() -> None:
    from advocacy_kpis import UnknownMetricError

    with pytest.raises(UnknownMetricError):
        report(nps_data(), period="2026-09", targets={"happiness": 1})
    with pytest.raises(ParameterError, match="'targets'"):
        report(nps_data(), period="2026-09", targets={"net_promoter_score": "high"})


# -- charts ------------------------------------------------------------------------------------


def test_charts_dash_small_samples_drop_empty_series_and_keep_flat_lines_flat() -> None:
    pytest.importorskip("matplotlib")
    from advocacy_kpis.report import Chart, ChartSeries
    from advocacy_kpis.report._charts import svg, y_limits

    chart = Chart(
        "customer_retention_rate", "Retention", "%", "rate", ("Jul 2026", "Aug 2026", "Sep 2026"),
        (
            ChartSeries("all", (0.97, 0.98, 0.99), (0.95, 0.96, 0.97), (0.99, 0.99, 1.0), "All customers",
                        (False, False, False)),
            ChartSeries("tier=smb", (0.9, 1.0, 0.95), (None,) * 3, (None,) * 3, "SMB", (True, True, True)),
            ChartSeries("tier=mid", (None, None, None), (None,) * 3, (None,) * 3, "Mid", (False,) * 3),
        ),
        "Retention.",
    )  # fmt: skip
    low, high = y_limits(chart)
    assert high - low >= 0.2 and high == 1.0
    drawing = svg(chart, "c1")
    assert "SMB (n &lt; 30)" in drawing and "stroke-dasharray" in drawing
    assert ">Mid<" not in drawing
    assert "axis from" in drawing


def test_the_report_displays_itself_in_a_notebook(sample_report: Report) -> None:
    shown = sample_report._repr_html_()
    assert shown.startswith('<div class="akv">') and '<iframe class="akv-page"' in shown
    assert "srcdoc=" in shown and "&lt;!DOCTYPE html&gt;" in shown


def test_the_json_states_the_correction_and_every_test(sample_report: Report) -> None:
    payload = json.loads(sample_report.to_json())
    testing = payload["multiple_testing"]
    assert testing["method"] == "holm" and testing["error_rate"] == 0.05
    assert testing["controls"] == "family-wise error rate" and testing["tests"] == len(testing["results"])
    assert testing["family"] in testing["description"] and "Holm" in testing["description"]
    assert all({"p_value", "adjusted_p", "significant", "text"} <= set(t) for t in testing["results"])


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
    assert checker.counts["table"] == len(sample_report.charts) + 4 + len(sample_report.tables)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "src=" not in page and 'href="http' not in page and "url(http" not in page
    assert "@media print" in page
    for _, title in (("", "1. Executive summary"), ("", "6. Next steps and requests for support")):
        assert title in page


def test_the_samples_reports_have_no_contradicting_next_steps(
    sample_report: Report, deep_dive: Report
) -> None:
    assert contradictions(sample_report) == [] and contradictions(deep_dive) == []


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
    assert sample_report.to_markdown().startswith("# Customer advocacy monthly review: Sep 2026")
    json.dumps(sample_report.to_dict())


def test_the_html_renders_in_headless_chromium(sample_report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(sample_report.to_html(), encoding="utf-8")
    shown = render(page, "report", tmp_path, offline=True)
    assert shown.screenshot.stat().st_size > 10_000
    assert shown.console_errors == []
    assert shown.failed == []
    assert png_colours(shown.screenshot) > 16


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
    assert code == 0 and text.startswith("# Customer advocacy quarterly deep dive: Q3 2026")
    assert "segments: All customers, APAC, EMEA, LATAM, NA." in text.split("\n")[2]


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
    assert f"{flag} flag of advocacy-kpis report" in capsys.readouterr().err


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


def test_the_report_command_reads_targets_from_the_settings_file(tmp_path: Path) -> None:
    from advocacy_kpis import io as kpi_io

    folder = tmp_path / "data"
    kpi_io.dump(sample.tiny(), folder)
    settings = folder / "advocacy.toml"
    extra = '\n[fx_rates]\nEUR = "1.08"\n\n[targets]\nnet_promoter_score = 30\nretention = 0.95\n'
    settings.write_text(settings.read_text() + extra)
    code, text = run("report", "--data", str(folder), "--period", "2026-09", "--format", "json")
    assert code == 0
    payload = json.loads(text)
    assert payload["targets"] == {"net_promoter_score": 30.0, "customer_retention_rate": 0.95}
    assert payload["sections"]["key_metrics_and_trends"]["tables"][0]["title"] == "Targets, Sep 2026"
    settings.write_text(settings.read_text().replace("retention = 0.95", 'retention = "high"'))
    assert run("report", "--data", str(folder), "--period", "2026-09")[0] == 2


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
