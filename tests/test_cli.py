"""The advocacy-kpis command line."""

from __future__ import annotations

import io
import json

import pytest

from advocacy_kpis import RevenueBasis, catalog
from advocacy_kpis.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


def test_catalog_lists_every_metric() -> None:
    code, text = run("catalog")
    assert code == 0
    for spec in catalog.all():
        assert spec.id in text


def test_explain_prints_the_definition_formula_and_pitfalls() -> None:
    code, text = run("explain", "net_promoter_score")
    spec = catalog.get("net_promoter_score")
    assert code == 0
    assert spec.formula in text and "Common mistakes" in text and "Interpretation" in text
    assert spec.definition.split()[0] in text


def test_compute_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(
        "compute",
        "net_promoter_score",
        "--sample",
        "--window",
        "2026Q3",
        "--segment",
        "tier=enterprise",
        "--json",
    )
    assert code == 0
    payload = json.loads(text)
    assert payload["metric"] == "net_promoter_score" and payload["segment"] == {"tier": ["enterprise"]}
    assert payload["window"]["label"] == "2026Q3"


def test_compute_human_output_has_value_and_interval() -> None:
    code, text = run("compute", "client_referral_rate", "--sample", "--window", "2026Q2")
    assert code == 0 and "value:" in text and "%" in text


def test_unknown_metric_and_bad_param_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("explain", "npx")[0] == 2
    assert "No metric 'npx'" in capsys.readouterr().err
    assert (
        run(
            "compute",
            "referral_conversion_rate",
            "--sample",
            "--window",
            "2026Q2",
            "--param",
            "horizon=5",
        )[0]
        == 2
    )
    assert "horizon_days" in capsys.readouterr().err
    assert run("compute", "net_promoter_score", "--window", "2026Q2")[0] == 2


def test_compute_with_an_arr_basis_applies_the_sample_fx_rate_or_the_given_one() -> None:
    code, text = run(
        "compute", "net_promoter_score", "--sample", "--window", "2026Q2", "--basis", "arr:USD", "--json"
    )
    assert code == 0
    assert json.loads(text)["basis"] == {"kind": "arr", "currency": "USD", "fx_rates": {"EUR": "1.08"}}
    code, text = run(
        "compute",
        "net_promoter_score",
        "--sample",
        "--window",
        "2026Q2",
        "--basis",
        "arr:USD",
        "--fx",
        "EUR=1.5",
        "--json",
    )
    assert json.loads(text)["basis"]["fx_rates"] == {"EUR": "1.5"}


def test_bad_fx_rate_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            "compute",
            "net_promoter_score",
            "--sample",
            "--window",
            "2026Q2",
            "--basis",
            "arr:USD",
            "--fx",
            "EUR=abc",
        )[0]
        == 2
    )
    assert "--fx" in capsys.readouterr().err


def test_demo_prints_every_metric_for_all_accounts_and_each_tier() -> None:
    code, text = run("demo")
    assert code == 0
    for title in ("All accounts", "Tier: enterprise", "Tier: mid", "Tier: smb"):
        assert title in text
    for spec in catalog.all():
        assert text.count(spec.id) == 4


def test_demo_marks_small_samples_and_footnotes_other_warnings() -> None:
    from advocacy_kpis import Segment, Window, metrics, sample

    q3 = Window.quarter(2026, 3)
    conversion = metrics.referral_conversion_rate(sample.generate(), window=q3)
    caveats = [w for w in conversion.warnings if not w.startswith("small sample")]
    assert caveats, "the sample's latest quarter has referrals that have not matured"
    _, text = run("demo")
    all_accounts = text.split("Tier: enterprise")[0]
    row = next(line for line in all_accounts.splitlines() if line.startswith("referral_conversion_rate"))
    marker = row.split()[-1]
    assert marker.startswith("[") and marker.endswith("]")
    assert f"{marker} {caveats[0]}" in all_accounts
    enterprise = text.split("Tier: enterprise")[1].split("Tier: mid")[0]
    nps = metrics.net_promoter_score(
        sample.generate(), window=q3.shift(-3), segment=Segment.where(tier="enterprise")
    )
    assert nps.sample_size < 30
    row = next(line for line in enterprise.splitlines() if line.startswith("net_promoter_score"))
    assert row.split()[1].endswith("*")


@pytest.mark.parametrize("spec", catalog.all(), ids=lambda s: s.id)
def test_compute_works_for_every_metric_with_and_without_a_basis(spec: catalog.MetricSpec) -> None:
    from advocacy_kpis import Window, metrics, sample

    code, text = run("compute", spec.id, "--sample", "--window", "2026Q2", "--json")
    assert code == 0, spec.id
    result = json.loads(text)
    assert result["metric"] == spec.id and result["window"]["label"] == "2026Q2"
    if spec.basis is catalog.BasisUse.NONE:
        return
    code, text = run("compute", spec.id, "--sample", "--window", "2026Q2", "--basis", "arr:USD", "--json")
    assert code == 0, spec.id
    weighted = json.loads(text)
    assert weighted["basis"]["kind"] == "arr" and weighted["basis"]["currency"] == "USD"
    # The command computes exactly what the function computes with the sample's FX rate.
    basis = RevenueBasis.arr("USD", fx_rates=sample.SAMPLE_FX_RATES)
    direct = getattr(metrics, spec.id)(sample.generate(), window=Window.quarter(2026, 2), basis=basis)
    assert weighted["value"] == direct.to_dict()["value"]


# -- honest edges -----------------------------------------------------------------------------------


def test_short_names_work_wherever_a_metric_id_is_accepted() -> None:
    code, text = run("explain", "nps")
    assert code == 0 and text.startswith("Net Promoter Score (net_promoter_score)")
    code, text = run("compute", "churn", "--sample", "--window", "2026Q2", "--json")
    assert code == 0 and json.loads(text)["metric"] == "customer_churn_rate"


def test_an_unknown_metric_suggests_the_closest_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("explain", "net_promoter_scor")[0] == 2
    err = capsys.readouterr().err
    assert "Closest: net_promoter_score" in err and "social_shares" not in err


def test_fx_on_a_metric_without_a_basis_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compute", "social_shares", "--sample", "--window", "2026Q2", "--fx", "EUR=1.1")[0] == 2
    assert "'--fx'" in capsys.readouterr().err
    assert run("compute", "net_promoter_score", "--sample", "--window", "2026Q2", "--fx", "EUR=1.1")[0] == 2
    assert "no --basis" in capsys.readouterr().err


def test_windows_are_parsed_in_the_data_sets_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    from advocacy_kpis import AdvocacyData, cli
    from advocacy_kpis.sample import tiny

    base = tiny()
    berlin = AdvocacyData.from_records(as_of=base.as_of, calendar="Europe/Berlin", **base.as_collections())
    monkeypatch.setattr(cli, "_sample", lambda: berlin)
    code, text = run("compute", "net_promoter_score", "--sample", "--window", "2026Q3", "--json")
    assert code == 0
    window = json.loads(text)["window"]
    assert (
        window["calendar"]["timezone"] == "Europe/Berlin" and window["start"] == "2026-06-30T22:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--basis", "arr:USD", "--fx", "EUR=1e999999999"], "--fx"),
        (["--basis", "arr:USD", "--fx", "EUR=NaN"], "--fx"),
        (["--param", "horizon_days=99999999999"], "--param"),
        (["--param", "horizon_days=1e999"], "--param"),
        (["--param", "=3"], "--param"),
        (["--segment", "tier=a,tier=b"], "--segment"),
        (["--segment", 'tier="open'], "--segment"),
        (["--segment", "flag=true|1"], "--segment"),
        (["--basis", "bookings:USD"], "--basis"),
    ],
)
def test_a_users_mistake_exits_2_with_one_line_naming_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("compute", "referral_conversion_rate", "--sample", "--window", "2026Q2", *argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("advocacy-kpis: error: ") and err.count("\n") == 1
    assert f"'{flag}'" in err and "Traceback" not in err


@pytest.mark.parametrize("window", ["２０２６", "9999", "0000", "2026-02-30", "2026\nQ3"])
def test_a_bad_window_exits_2_naming_the_flag(window: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compute", "social_shares", "--sample", "--window", window)[0] == 2
    err = capsys.readouterr().err
    assert "'--window'" in err and err.count("\n") == 1
