"""Analyses: drop-off after a product change, and the segment breakdown."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from advocacy_kpis import Account, AdvocacyData, ParameterError, ProductChange, Referral, Segment, Window
from advocacy_kpis.analyses import product_change_impact, segment_breakdown
from advocacy_kpis.cli import main

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
RELEASE = datetime(2026, 4, 1, tzinfo=UTC)


def _drop_data(as_of: datetime = datetime(2026, 10, 1, tzinfo=UTC)) -> AdvocacyData:
    """40 smb and 40 enterprise customers. Before the release 20 smb and 10 enterprise accounts
    refer; after it 2 smb and 10 enterprise accounts do."""
    accounts = [Account(id=f"s{i}", customer_since=SINCE, tier="smb") for i in range(40)]
    accounts += [Account(id=f"e{i}", customer_since=SINCE, tier="enterprise") for i in range(40)]
    before, after = RELEASE - timedelta(days=30), RELEASE + timedelta(days=30)
    referrals = [Referral(id=f"bs{i}", account_id=f"s{i}", invited_at=before) for i in range(20)]
    referrals += [Referral(id=f"as{i}", account_id=f"s{i}", invited_at=after) for i in range(2)]
    referrals += [Referral(id=f"be{i}", account_id=f"e{i}", invited_at=before) for i in range(10)]
    referrals += [Referral(id=f"ae{i}", account_id=f"e{i}", invited_at=after) for i in range(10)]
    changes = [ProductChange(id="pricing", released_at=RELEASE, name="Pricing update")]
    return AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, product_changes=changes, as_of=as_of
    )


def test_product_change_finds_the_drop_in_the_segment_that_dropped() -> None:
    impact = product_change_impact(
        _drop_data(), "pricing", metric="referral_program_participation_rate", segments=Segment.by("tier")
    )
    rows = {r.segment.name: r for r in impact.rows}
    # smb: 20/40 before, 2/40 after; a two-proportion test calls it significant.
    smb = rows["tier=smb"]
    assert (smb.before.value, smb.after.value) == (0.5, 0.05)
    assert smb.change is not None and smb.change.significant and smb.dropped
    # enterprise: 10/40 both times: no drop.
    assert rows["tier=enterprise"].change is not None and not rows["tier=enterprise"].dropped
    assert [r.segment.name for r in impact.drops] == ["all", "tier=smb"]
    assert impact.before.end == impact.after.start == RELEASE
    assert impact.after.end - impact.after.start == timedelta(days=90) and not impact.partial
    json.dumps(impact.to_dict())
    assert "DROP" in str(impact)


def test_product_change_says_when_the_after_window_is_still_running() -> None:
    impact = product_change_impact(
        _drop_data(as_of=RELEASE + timedelta(days=45)), metric="referral_program_participation_rate"
    )
    assert impact.change.id == "pricing" and impact.partial
    assert "provisional" in str(impact)
    assert any("past as_of" in w for w in impact.rows[0].after.warnings)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"change": "nope"}, "pricing"),
        ({"change": "pricing", "metric": "revenue_from_referrals"}, "rate or score"),
        ({"change": "pricing", "days": 0}, "days"),
    ],
)
def test_product_change_refuses_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    kwargs.setdefault("metric", "referral_program_participation_rate")
    with pytest.raises(ParameterError, match=match):
        product_change_impact(_drop_data(), **kwargs)  # type: ignore[arg-type]


def _retention_data() -> AdvocacyData:
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
    return AdvocacyData.from_records(accounts=accounts, as_of=datetime(2026, 6, 1, tzinfo=UTC))


def test_breakdown_ranks_marks_and_refuses_small_segments() -> None:
    q1 = Window.quarter(2026, 1)
    ranked = segment_breakdown(_retention_data(), "customer_retention_rate", q1, by="tier")
    # Whole: 310 of 410 kept. Enterprise 200/200 and smb 100/200 lie outside its interval;
    # mid has 10 accounts, under the minimum sample of 30: listed, not ranked.
    assert [(r.rank, r.segment.name, r.versus_whole) for r in ranked.rows] == [
        (1, "tier=enterprise", "above"),
        (2, "tier=smb", "below"),
        (None, "tier=mid", None),
    ]
    assert ranked.whole.numerator == 310 and ranked.rows[2].note == "sample of 10 < 30"
    assert [r.segment.name for r in ranked.above] == ["tier=enterprise"]
    json.dumps(ranked.to_dict())


def test_breakdown_by_several_attributes_and_their_crossing() -> None:
    q1 = Window.quarter(2026, 1)
    separate = segment_breakdown(
        _retention_data(), "customer_retention_rate", q1, by=["tier", "region"], min_sample=0
    )
    assert {r.segment.name for r in separate.rows} == {
        "tier=enterprise", "tier=mid", "tier=smb", "region=NA", "region=EMEA",
    }  # fmt: skip
    crossed = segment_breakdown(
        _retention_data(), "customer_retention_rate", q1, by=["tier", "region"], cross=True, min_sample=0
    )
    # Three tiers × two regions, of which three combinations hold accounts.
    assert len(crossed.rows) == 6
    assert sum(r.result.value is not None for r in crossed.rows) == 3
    with pytest.raises(ParameterError, match="by"):
        segment_breakdown(_retention_data(), "customer_retention_rate", q1, by=[])


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_cli_breakdown_and_product_change() -> None:
    code, text = _cli("breakdown", "net_promoter_score", "--sample", "--window", "2026", "--by", "tier")
    assert code == 0 and "tier=enterprise" in text and "whole" in text
    code, text = _cli(
        "breakdown", "net_promoter_score", "--sample", "--window", "2026", "--by", "tier", "--json"
    )
    assert code == 0 and json.loads(text)["metric"] == "net_promoter_score"
    code, text = _cli(
        "product-change",
        "--sample",
        "--metric",
        "referral_program_participation_rate",
        "--by",
        "tier",
        "--json",
    )
    assert code == 0 and len(json.loads(text)["rows"]) == 4


def test_cli_product_change_with_an_unknown_id_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _cli(
        "product-change", "--sample", "--change", "nope", "--metric", "referral_program_participation_rate"
    )
    assert code == 2 and "nope" in capsys.readouterr().err
