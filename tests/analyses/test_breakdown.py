"""Segment breakdown: each segment against the rest of the population, per-account ranking of counts
and money, one correction across the segments, and ``--by tier,region`` meaning the same as in report."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Contract,
    ParameterError,
    RevenueBasis,
    SocialShare,
    Window,
)
from advocacy_kpis.analyses import segment_breakdown
from advocacy_kpis.cli import main

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
Q1 = Window.quarter(2026, 1)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def retention_data() -> AdvocacyData:
    """200 enterprise (NA) accounts all kept; 200 smb (EMEA), half churned on 11 January; 10 mid (NA) kept."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    accounts = [Account(id=f"e{i}", customer_since=SINCE, tier="enterprise", region="NA") for i in range(200)]
    accounts += [
        Account(
            id=f"s{i}", customer_since=SINCE, tier="smb", region="EMEA",
            churned_at=start + timedelta(days=10) if i % 2 else None,
        )
        for i in range(200)
    ]  # fmt: skip
    accounts += [Account(id=f"m{i}", customer_since=SINCE, tier="mid", region="NA") for i in range(10)]
    return AdvocacyData.from_records(accounts=accounts, as_of=AS_OF)


def test_each_segment_is_tested_against_the_rest_not_the_whole() -> None:
    ranked = segment_breakdown(retention_data(), "customer_retention_rate", Q1, by="tier")
    rows = {r.segment.name: r for r in ranked.rows}
    enterprise = rows["tier=enterprise"]
    # The rest of enterprise: smb 100/200 and mid 10/10 kept = 110/210.
    assert (enterprise.rest.value, enterprise.rest.n) == (pytest.approx(110 / 210), 210)
    _, p = proportions_ztest([200, 110], [200, 210])
    assert enterprise.rest.test is not None
    assert enterprise.rest.test.estimate == pytest.approx(1 - 110 / 210)
    assert enterprise.rest.test.p_value == pytest.approx(p)
    assert enterprise.versus_rest == "above" and enterprise.better
    assert rows["tier=smb"].versus_rest == "below" and rows["tier=smb"].better is False
    # mid has 10 accounts, under the minimum sample of 30: listed, neither ranked nor tested.
    assert rows["tier=mid"].rank is None and rows["tier=mid"].note == "sample of 10 < 30"
    assert rows["tier=mid"].rest.test is None
    assert [(r.rank, r.label) for r in ranked.rows] == [(1, "Enterprise"), (2, "SMB"), (None, "Mid")]


def test_a_large_segment_differs_from_its_rest_though_it_is_most_of_the_whole() -> None:
    # A: 900 accounts, 450 kept; B: 100 accounts, 30 kept. The whole (480/1000) lies close to A,
    # but A against the rest of the accounts (30/100) is a large, reliable difference.
    churn = datetime(2026, 2, 1, tzinfo=UTC)
    accounts = [
        Account(id=f"a{i}", customer_since=SINCE, tier="a", churned_at=churn if i >= 450 else None)
        for i in range(900)
    ]
    accounts += [
        Account(id=f"b{i}", customer_since=SINCE, tier="b", churned_at=churn if i >= 30 else None)
        for i in range(100)
    ]
    ranked = segment_breakdown(
        AdvocacyData.from_records(accounts=accounts, as_of=AS_OF), "customer_retention_rate", Q1, by="tier"
    )
    big = next(r for r in ranked.rows if r.segment.name == "tier=a")
    assert big.rest.value == pytest.approx(0.3) and big.versus_rest == "above"
    assert ranked.whole.value == pytest.approx(0.48)


def share_data() -> AdvocacyData:
    """Enterprise: 30 accounts, 45 shares; mid: 100 accounts, 40 shares; smb: 200 accounts, 60 shares."""
    accounts, shares = [], []
    for tier, n, count in (("enterprise", 30, 45), ("mid", 100, 40), ("smb", 200, 60)):
        accounts += [Account(id=f"{tier}{i}", customer_since=SINCE, tier=tier) for i in range(n)]
        shares += [
            SocialShare(
                id=f"{tier}-x{k}", account_id=f"{tier}{k % n}", shared_at=datetime(2026, 2, 1, tzinfo=UTC)
            )
            for k in range(count)
        ]
    return AdvocacyData.from_records(accounts=accounts, social_shares=shares, as_of=AS_OF)


def test_counts_are_ranked_and_tested_per_account_not_by_segment_size() -> None:
    ranked = segment_breakdown(share_data(), "social_shares", Q1, by="tier")
    # Per active account: enterprise 1.5, mid 0.4, smb 0.3; by raw count smb (60) would lead.
    assert [(r.label, r.rest.segment_value) for r in ranked.rows] == [
        ("Enterprise", pytest.approx(1.5)), ("Mid", pytest.approx(0.4)), ("SMB", pytest.approx(0.3)),
    ]  # fmt: skip
    enterprise = ranked.rows[0]
    # Conditional test: enterprise's 45 of the 145 shares, against a share of 30 / 330 of the accounts.
    expected = scipy_stats.binomtest(100, 145, 300 / 330).pvalue
    assert enterprise.rest.test is not None and enterprise.rest.test.p_value == pytest.approx(expected)
    assert enterprise.rest.value == pytest.approx(100 / 300) and enterprise.rest.n == 300
    assert enterprise.versus_rest == "above"


def test_money_is_ranked_per_account_without_a_test() -> None:
    accounts = [
        Account(id=f"{t}{i}", customer_since=SINCE, tier=t, acquisition_channel="referral")
        for t, n in (("enterprise", 30), ("smb", 60))
        for i in range(n)
    ]
    contracts = [
        Contract(id=f"c-{a.id}", account_id=a.id, start=datetime(2026, 2, 1, tzinfo=UTC),
                 end=datetime(2027, 2, 1, tzinfo=UTC), arr=Decimal(3000 if a.tier == "enterprise" else 1000),
                 currency="USD")
        for a in accounts
    ]  # fmt: skip
    data = AdvocacyData.from_records(accounts=accounts, contracts=contracts, as_of=AS_OF)
    ranked = segment_breakdown(data, "revenue_from_referrals", Q1, by="tier", basis=RevenueBasis.arr("USD"))
    assert [(r.label, r.rest.segment_value) for r in ranked.rows] == [
        ("Enterprise", Decimal(3000)), ("SMB", Decimal(1000)),
    ]  # fmt: skip
    assert all(r.rest.test is None and "no honest test for money" in (r.rest.note or "") for r in ranked.rows)
    assert ranked.correction.tests == 0


def test_the_segments_are_corrected_together() -> None:
    ranked = segment_breakdown(
        retention_data(), "customer_retention_rate", Q1, by=["tier", "region"], min_sample=0
    )
    tested = [r for r in ranked.rows if r.rest.test is not None]
    assert ranked.correction.tests == len(tested)
    expected = multipletests([r.rest.test.p_value for r in tested if r.rest.test], method="holm")[1]
    assert [r.adjusted_p for r in tested] == pytest.approx(list(expected))
    bh = segment_breakdown(
        retention_data(), "customer_retention_rate", Q1, by="tier", correction="benjamini-hochberg"
    )
    assert bh.correction.method == "benjamini-hochberg" and "false discovery rate" in str(bh)


def test_by_several_attributes_and_their_crossing() -> None:
    separate = segment_breakdown(
        retention_data(), "customer_retention_rate", Q1, by=["tier", "region"], min_sample=0
    )
    assert {r.label for r in separate.rows} == {"Enterprise", "Mid", "SMB", "NA", "EMEA"}
    crossed = segment_breakdown(
        retention_data(), "customer_retention_rate", Q1, by=["tier", "region"], cross=True, min_sample=0
    )
    # Three tiers × two regions, of which three combinations hold accounts.
    assert len(crossed.rows) == 6 and sum(r.result.value is not None for r in crossed.rows) == 3
    assert "Enterprise · NA" in {r.label for r in crossed.rows}
    with pytest.raises(ParameterError, match="by"):
        segment_breakdown(retention_data(), "customer_retention_rate", Q1, by=[])
    with pytest.raises(ParameterError, match="correction"):
        segment_breakdown(retention_data(), "customer_retention_rate", Q1, by="tier", correction="sidak")


def test_outputs_rows_frames_html_and_json() -> None:
    ranked = segment_breakdown(retention_data(), "customer_retention_rate", Q1, by="tier")
    rows = ranked.to_rows()
    assert [r["label"] for r in rows] == ["Enterprise", "SMB", "Mid"]
    assert rows[0]["n_rest"] == 210 and rows[0]["versus_rest"] == "above"
    assert list(ranked.to_frame("polars")["segment"]) == ["tier=enterprise", "tier=smb", "tier=mid"]
    assert '<table class="akv-t">' in ranked._repr_html_()
    payload = json.loads(json.dumps(ranked.to_dict()))
    assert (
        payload["correction"]["tests"] == 2
        and payload["rows"][0]["result"]["metric"] == "customer_retention_rate"
    )


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_by_tier_region_crosses_in_breakdown_as_in_report() -> None:
    code, text = cli(
        "breakdown", "customer_advocacy_rate", "--sample", "--window", "2026", "--by", "tier,region", "--json"
    )
    assert code == 0
    labels = {row["label"] for row in json.loads(text)["rows"]}
    assert "Enterprise · EMEA" in labels and "Enterprise" not in labels
    code, text = cli(
        "breakdown",
        "customer_advocacy_rate",
        "--sample",
        "--window",
        "2026",
        "--by",
        "tier",
        "--by",
        "region",
    )
    assert code == 0 and "Enterprise" in text and "EMEA" in text and "·" not in text
    code, report_text = cli(
        "report", "--sample", "--period", "2026-09", "--by", "tier,region", "--format", "json"
    )
    assert code == 0 and "tier=enterprise & region=EMEA" not in json.loads(report_text)["segments"]
    assert "region=EMEA & tier=enterprise" in json.loads(report_text)["segments"]
