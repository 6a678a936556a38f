"""Product-change impact: equal observed windows, a comparison, the difference in differences by hand,
and one correction over releases × metrics × segments."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from advocacy_kpis import (
    Account,
    AdvocacyData,
    ParameterError,
    ProductChange,
    Referral,
    Segment,
    SurveyKind,
    SurveyResponse,
)
from advocacy_kpis.analyses import product_change_impact

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
RELEASE = datetime(2026, 4, 1, tzinfo=UTC)
YEAR_EARLIER = datetime(2025, 4, 1, tzinfo=UTC)
DAYS = 30


def referrals_in(prefix: str, accounts: list[str], at: datetime) -> list[Referral]:
    return [Referral(id=f"{prefix}-{a}", account_id=a, invited_at=at) for a in accounts]


def drop_data(as_of: datetime = datetime(2026, 10, 1, tzinfo=UTC)) -> AdvocacyData:
    """100 smb and 100 enterprise customers since 2024; participation in the 30 days around the
    release and around the same day a year earlier (each referral mid-window):

    smb:        a year earlier 40 -> 38 of 100; this year 40 -> 10 of 100
    enterprise: a year earlier 20 -> 20;       this year 20 -> 20
    """
    smb = [f"s{i}" for i in range(100)]
    ent = [f"e{i}" for i in range(100)]
    accounts = [Account(id=a, customer_since=SINCE, tier="smb") for a in smb]
    accounts += [Account(id=a, customer_since=SINCE, tier="enterprise") for a in ent]
    mid = timedelta(days=15)
    referrals = [
        *referrals_in("yb", smb[:40], YEAR_EARLIER - mid),
        *referrals_in("ya", smb[:38], YEAR_EARLIER + mid),
        *referrals_in("tb", smb[:40], RELEASE - mid),
        *referrals_in("ta", smb[:10], RELEASE + mid),
        *referrals_in("eyb", ent[:20], YEAR_EARLIER - mid),
        *referrals_in("eya", ent[:20], YEAR_EARLIER + mid),
        *referrals_in("etb", ent[:20], RELEASE - mid),
        *referrals_in("eta", ent[:20], RELEASE + mid),
    ]
    referrals = [r for r in referrals if r.invited_at < as_of]
    changes = [ProductChange(id="pricing", released_at=RELEASE, name="Pricing update")]
    return AdvocacyData.from_records(
        accounts=accounts, referrals=referrals, product_changes=changes, as_of=as_of,
        actions=[], reviews=[], social_shares=[],
    )  # fmt: skip


def price_bonett(samples: list[tuple[int, int]], weights: list[int]) -> tuple[float, float]:
    """Independent naive version: add 2/c successes and 4/c trials to each of the c samples."""
    c = len(samples)
    shares = [(x + 2 / c) / (n + 4 / c) for x, n in samples]
    centre = sum(w * p for w, p in zip(weights, shares, strict=True))
    spread = math.sqrt(
        sum(w * w * p * (1 - p) / (n + 4 / c) for w, p, (_, n) in zip(weights, shares, samples, strict=True))
    )
    return centre / spread, 2 * scipy_stats.norm.sf(abs(centre / spread))


def impact(data: AdvocacyData | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("metric", "referral_program_participation_rate")
    kwargs.setdefault("days", DAYS)
    kwargs.setdefault("segments", Segment.by("tier"))
    return product_change_impact(data or drop_data(), "pricing", **kwargs)


def test_difference_in_differences_against_a_year_earlier_by_hand() -> None:
    found = impact()
    rows = {r.segment.name: r for r in found.rows}
    smb = rows["tier=smb"]
    # Before, after, a year earlier before and after: 40/100, 10/100, 40/100, 38/100.
    assert [(r.numerator, r.denominator) for r in (smb.before, smb.after, smb.control_before, smb.control_after)] == [
        (40, 100), (10, 100), (40, 100), (38, 100),
    ]  # fmt: skip
    assert smb.estimate == pytest.approx((0.10 - 0.40) - (0.38 - 0.40))
    z, p = price_bonett([(40, 100), (10, 100), (40, 100), (38, 100)], [-1, 1, 1, -1])
    assert smb.test is not None and smb.test.statistic == pytest.approx(z) and smb.p_value == pytest.approx(p)
    assert smb.dropped and smb.verdict == "drop" and smb.comparison == "year_earlier"
    enterprise = rows["tier=enterprise"]
    assert enterprise.estimate == pytest.approx(0.0) and not enterprise.dropped
    assert enterprise.verdict == "no significant change"
    assert [r.segment.name for r in found.drops] == ["all", "tier=smb"]
    # The windows: 30 days each side of the release, the same calendar span a year earlier.
    release = found.releases[0]
    assert release.before.end == release.after.start == RELEASE
    assert release.after.end - release.after.start == timedelta(days=30) and not release.partial
    assert release.control_after is not None and release.control_after.start == YEAR_EARLIER


def test_every_test_of_the_call_is_corrected_together_with_holm_or_bh() -> None:
    found = impact(metric=["referral_program_participation_rate", "customer_advocacy_rate"])
    tested = [r for r in found.rows if r.test is not None]
    assert found.correction.tests == len(tested) == 6  # 2 metrics x 3 segments (all, enterprise, smb)
    assert found.correction.family == "1 release × 2 metrics × 3 segments"
    expected = multipletests([r.p_value for r in tested], method="holm")[1]
    assert [r.adjusted_p for r in tested] == pytest.approx(list(expected))
    assert all(r.significant == (r.adjusted_p < 0.05) for r in tested)
    assert "Holm's step-down correction at a 5% family-wise error rate" in str(found)
    bh = impact(correction="benjamini-hochberg")
    assert bh.correction.guarantee == "false discovery rate"
    expected = multipletests([r.p_value for r in bh.tested], method="fdr_bh")[1]
    assert [r.adjusted_p for r in bh.tested] == pytest.approx(list(expected))


def test_an_after_window_not_yet_observed_is_shortened_with_the_before_window_or_gets_no_verdict() -> None:
    # 20 days after the release: fewer than min_days (30): no verdict, and the reason.
    young = impact(drop_data(as_of=RELEASE + timedelta(days=20)), days=90)
    assert all(r.test is None and r.verdict == "no verdict" for r in young.rows)
    assert "only 20 days after the release are observed" in (young.releases[0].note or "")
    assert young.drops == ()
    # 45 days after: both windows shrink to the 45 days observed.
    seen = impact(drop_data(as_of=RELEASE + timedelta(days=45)), days=90)
    release = seen.releases[0]
    assert release.partial and release.observed_days == 45
    assert release.before.start == RELEASE - timedelta(days=45) and release.after.end == RELEASE + timedelta(
        days=45
    )
    assert "Shortened to the 45 days observed" in str(seen)


def test_a_release_that_changed_nothing_in_stationary_data_is_no_drop_at_any_distance() -> None:
    # Each account refers once every 60 days, its phase set by its number: every 30-day window
    # holds exactly half the accounts, so before, after and a year earlier are all 50%.
    accounts = [Account(id=f"a{i}", customer_since=SINCE, tier="smb" if i % 2 else "mid") for i in range(120)]
    as_of = datetime(2026, 10, 1, tzinfo=UTC)
    referrals = []
    for i in range(120):
        at = SINCE + timedelta(days=i % 60, hours=12)
        while at < as_of:
            referrals.append(Referral(id=f"r{i}-{at.date()}", account_id=f"a{i}", invited_at=at))
            at += timedelta(days=60)
    for distance in (10, 31, 45, 60, 90, 150):
        release = ProductChange(id=f"noop{distance}", released_at=as_of - timedelta(days=distance))
        data = AdvocacyData.from_records(
            accounts=accounts, referrals=referrals, product_changes=[release], as_of=as_of
        )
        found = product_change_impact(
            data, release, metric="referral_program_participation_rate", segments=Segment.by("tier")
        )
        assert found.drops == (), distance
        for row in found.tested:
            assert row.before.value == pytest.approx(row.after.value, abs=0.05)
            assert row.control_before is not None
            assert row.control_before.value == pytest.approx(row.before.value, abs=0.05)


def test_the_accounts_a_change_did_not_reach_are_a_comparison_too() -> None:
    found = impact(comparison=Segment.where(tier="enterprise"))
    rows = {r.segment.name: r for r in found.rows}
    smb = rows["tier=smb"]
    # smb 40 -> 10 against enterprise 20 -> 20 over the same windows.
    assert smb.comparison == "unreached" and smb.estimate == pytest.approx(-0.30)
    _, p = price_bonett([(40, 100), (10, 100), (20, 100), (20, 100)], [-1, 1, 1, -1])
    assert smb.p_value == pytest.approx(p) and smb.dropped
    # The whole and enterprise share accounts with the comparison group: no comparison for them.
    for name in ("all", "tier=enterprise"):
        assert rows[name].test is None and rows[name].comparison == "none"
        assert "shares accounts with the comparison group" in (rows[name].note or "")


def test_no_comparison_exists_when_the_data_do_not_reach_a_year_back() -> None:
    late = datetime(2025, 12, 1, tzinfo=UTC)
    accounts = [Account(id=f"a{i}", customer_since=late) for i in range(50)]
    referrals = referrals_in("b", [f"a{i}" for i in range(20)], RELEASE - timedelta(days=10))
    data = AdvocacyData.from_records(
        accounts=accounts, referrals=referrals,
        product_changes=[ProductChange(id="pricing", released_at=RELEASE)], as_of=datetime(2026, 10, 1, tzinfo=UTC),
    )  # fmt: skip
    found = impact(data, segments=None)
    (row,) = found.rows
    assert row.test is None and row.comparison == "none" and row.verdict == "no verdict"
    assert (row.note or "").startswith("no comparison exists: a year before the release")
    assert row.raw_change == pytest.approx(-0.4)
    assert found.correction.tests == 0


def test_nps_gets_the_adjusted_contrast_and_small_samples_get_no_test() -> None:
    accounts = [Account(id=f"a{i}", customer_since=SINCE) for i in range(40)]
    surveys = []
    for tag, when, score in (
        ("yb", YEAR_EARLIER, 9),
        ("ya", YEAR_EARLIER, 9),
        ("tb", RELEASE, 9),
        ("ta", RELEASE, 3),
    ):
        at = when + (timedelta(days=10) if tag.endswith("a") else -timedelta(days=10))
        for i in range(40):
            surveys.append(
                SurveyResponse(id=f"{tag}{i}", account_id=f"a{i}", kind=SurveyKind.NPS, score=score if i < 30 else 8,
                               responded_at=at)
            )  # fmt: skip
    data = AdvocacyData.from_records(
        accounts=accounts, surveys=surveys, product_changes=[ProductChange(id="pricing", released_at=RELEASE)],
        as_of=datetime(2026, 10, 1, tzinfo=UTC),
    )  # fmt: skip
    (row,) = impact(data, metric="net_promoter_score", segments=None).rows
    # 75 -> -75 against 75 -> 75: -150 points.
    assert (
        row.estimate == pytest.approx(-150.0) and row.test is not None and row.test.method == "nps-contrast-z"
    )
    assert row.dropped
    few = [s for s in surveys if int(s.id[2:]) < 20]
    small = AdvocacyData.from_records(
        accounts=accounts, surveys=few, product_changes=data.product_changes, as_of=data.as_of
    )
    (row,) = impact(small, metric="net_promoter_score", segments=None).rows
    assert row.test is None and "no honest test for NPS samples this small" in (row.note or "")


def test_outputs_rows_frames_html_and_json() -> None:
    found = impact()
    rows = found.to_rows()
    assert len(rows) == len(found.rows) == 3
    smb = next(r for r in rows if r["segment"] == "tier=smb")
    assert (smb["n_before"], smb["n_after"], smb["n_control_before"], smb["n_control_after"]) == (
        100,
        100,
        100,
        100,
    )
    assert (
        smb["verdict"] == "drop"
        and smb["label"] == "SMB"
        and smb["before_window"] == "2 Mar 2026 – 31 Mar 2026"
    )
    frame = found.to_frame("pandas")
    assert list(frame["segment"]) == ["all", "tier=enterprise", "tier=smb"]
    assert '<table class="akv-t">' in found._repr_html_() and "Holm" in found._repr_html_()
    payload = json.loads(json.dumps(found.to_dict()))
    assert payload["correction"]["method"] == "holm" and payload["correction"]["tests"] == 3
    assert "p = 0.000" not in str(found) and "adjusted p = " in str(found)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"change": "nope"}, "pricing"),
        ({"metric": "revenue_from_referrals"}, "rate or score"),
        ({"days": 0}, "days"),
        ({"min_days": 100}, "min_days"),
        ({"comparison": "last_year"}, "comparison"),
        ({"correction": "bonferroni"}, "correction"),
        ({"error_rate": 0.9}, "error_rate"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs: dict[str, Any], match: str) -> None:
    change = kwargs.pop("change", "pricing")
    kwargs.setdefault("metric", "referral_program_participation_rate")
    with pytest.raises(ParameterError, match=match):
        product_change_impact(drop_data(), change, **kwargs)


def test_the_command_line_runs_metrics_segments_and_a_comparison_group(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from advocacy_kpis.cli import main

    out = io.StringIO()
    argv = ["product-change", "--sample", "--metric", "referral_program_participation_rate", "--metric",
            "customer_advocacy_rate", "--by", "tier", "--json"]  # fmt: skip
    assert main(argv, out) == 0
    payload = json.loads(out.getvalue())
    assert (
        len(payload["rows"]) == 8 and payload["correction"]["family"] == "1 release × 2 metrics × 4 segments"
    )
    out = io.StringIO()
    assert (
        main(["product-change", "--sample", "--by", "tier", "--unreached", "tier=enterprise|mid"], out) == 0
    )
    assert "the accounts the change did not reach (Enterprise or Mid)" in out.getvalue()
    assert main(["product-change", "--sample", "--change", "nope"], io.StringIO()) == 2
    assert "nope" in capsys.readouterr().err
