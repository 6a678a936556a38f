"""The advocacy-kpis command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advocacy_kpis import RevenueBasis, catalog
from advocacy_kpis.cli import main
from advocacy_kpis.scorecard import HEADLINE_METRICS


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
    # Values are read as the parameter's type and checked as in Python, naming the flag.
    args = ("compute", "referral_conversion_rate", "--sample", "--window", "2026Q2", "--param")
    for given, expected in [
        ("horizon_days=abc", "horizon_days as a whole number"),
        ("horizon_days=1.5", "horizon_days as a whole number"),
        ("horizon_days=0", "from 1 to"),
        ("confidence=high", "confidence as a number"),
        ("estimator=guess", "estimator as"),
        ("confidence", "NAME=VALUE"),
    ]:
        assert run(*args, given)[0] == 2
        err = capsys.readouterr().err
        assert "--param flag" in err and expected in err and err.count("\n") == 1, (given, err)
    code, text = run(*args, "horizon_days=60", "--param", "confidence=0.9", "--json")
    assert code == 0 and json.loads(text)["parameters"]["horizon_days"] == 60
    assert (
        run("compute", "referral_readiness_score", "--sample", "--window", "2026Q2", "--param", "model=x")[0]
        == 2
    )
    assert "set from Python" in capsys.readouterr().err
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


def test_demo_prints_the_headline_metrics_for_all_accounts_and_each_tier() -> None:
    from advocacy_kpis.scorecard import unit_label

    code, text = run("demo")
    assert code == 0
    for title in ("All accounts", "Segment: tier=enterprise", "Segment: tier=mid", "Segment: tier=smb"):
        assert title in text
    registered = {spec.id for spec in catalog.all()}
    shown = [m for m in HEADLINE_METRICS if m in registered]
    assert len(shown) >= 6
    for metric in shown:
        label = f"{metric} ({unit_label(metric, RevenueBasis.arr('USD'))})"
        assert sum(line.startswith(label) for line in text.splitlines()) == 4, metric
    assert "advocacy-kpis scorecard --sample --all" in text


def test_scorecard_all_prints_every_metric_of_the_catalogue() -> None:
    code, text = run("scorecard", "--sample", "--all", "--by", "tier")
    assert code == 0
    for spec in catalog.all():
        assert sum(line.startswith(f"{spec.id} (") for line in text.splitlines()) == 4, spec.id


def test_demo_marks_small_samples_and_footnotes_undefined_values_and_warnings() -> None:
    from advocacy_kpis import Segment, Window, metrics, sample

    q3 = Window.quarter(2026, 3)
    conversion = metrics.referral_conversion_rate(sample.generate(), window=q3)
    assert conversion.value is None, "the sample's latest quarter has no referral that has matured"
    _, text = run("demo")
    all_accounts = text.split("Segment: tier=enterprise")[0]
    row = next(line for line in all_accounts.splitlines() if line.startswith("referral_conversion_rate"))
    marker = row.split()[-1]
    assert marker.startswith("[") and marker.endswith("]") and row.split()[-2] == "undefined"
    # Footnotes wrap at the terminal width: compare with the line breaks read as spaces.
    assert f"{marker} {conversion.undefined_reason}" in " ".join(all_accounts.split())
    enterprise = text.split("Segment: tier=enterprise")[1].split("Segment: tier=mid")[0]
    nps = metrics.net_promoter_score(
        sample.generate(), window=q3.shift(-3), segment=Segment.where(tier="enterprise")
    )
    assert nps.sample_size < 30
    row = next(line for line in enterprise.splitlines() if line.startswith("net_promoter_score"))
    first_value = row.split(")", 1)[1].split()[0]  # after the "metric (unit)" label
    assert first_value.endswith("*")


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


def test_over_asking_lists_what_the_analysis_finds() -> None:
    from advocacy_kpis import Window, sample
    from advocacy_kpis.analyses import eligible_to_ask, over_asked

    q3 = Window.quarter(2026, 3)
    found = over_asked(sample.generate(), q3)
    assert found.over_tapped, "the sample over-asks some advocates in 2026Q3"
    code, text = run("over-asking", "--sample", "--window", "2026Q3")
    assert code == 0 and "Over-asking in Q3 2026" in text
    for tap in found.over_tapped:
        assert f"{tap.contact}" in text and tap.asked_at.date().isoformat() in text
    code, text = run("over-asking", "--sample", "--window", "2026Q3", "--asset", "Reference", "--json")
    assert code == 0
    payload = json.loads(text)
    assert payload["over_asking"] == found.only("reference").to_dict()
    eligible = eligible_to_ask(sample.generate(), q3.end, "reference")
    assert payload["eligible"]["advocates"] == [e.to_dict() for e in eligible]
    assert payload["eligible"]["at"] == q3.end.isoformat()


# -- your files: --data DIR -----------------------------------------------------------------------


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    from advocacy_kpis import io, sample

    io.dump(sample.tiny(), tmp_path / "tiny")
    return tmp_path / "tiny"


def one_survey_folder(tmp_path: Path, settings: str = "") -> Path:
    (tmp_path / "accounts.csv").write_text("id,customer_since\na1,2025-01-01\n")
    # 23:00 UTC on 30 June is 01:00 on 1 July in Berlin: Q2 in UTC, Q3 in Berlin.
    (tmp_path / "surveys.csv").write_text(
        "id,account_id,kind,score,responded_at\ns1,a1,NPS,10,2026-06-30T23:00:00Z\n"
    )
    (tmp_path / "contracts.csv").write_text(
        "id,account_id,start,end,arr,currency\nc1,a1,2025-01-01,2027-01-01,1000,EUR\n"
    )
    if settings:
        (tmp_path / "advocacy.toml").write_text(settings)
    return tmp_path


def test_compute_on_a_folder_gives_the_values_worked_out_by_hand(tiny_folder: Path) -> None:
    code, text = run(
        "compute", "net_promoter_score", "--data", str(tiny_folder), "--window", "2026Q3", "--json"
    )
    assert code == 0
    result = json.loads(text)
    assert result["value"] == 25.0 and result["as_of"].startswith("2026-10-15")


def test_calendar_flag_reads_dates_and_windows_in_that_zone(tmp_path: Path) -> None:
    folder = str(one_survey_folder(tmp_path))
    args = (
        "compute",
        "net_promoter_score",
        "--data",
        folder,
        "--window",
        "2026Q3",
        "--as-of",
        "2026-10-01",
        "--json",
    )
    assert json.loads(run(*args)[1])["value"] is None
    berlin = json.loads(run(*args, "--calendar", "Europe/Berlin")[1])
    assert berlin["value"] == 100.0 and berlin["window"]["start"] == "2026-06-30T22:00:00+00:00"


def test_fx_flags_override_the_settings_file(tmp_path: Path) -> None:
    folder = str(one_survey_folder(tmp_path, '[fx_rates]\nEUR = "1.5"\n'))
    args = (
        "compute",
        "customer_retention_rate",
        "--data",
        folder,
        "--window",
        "2026Q2",
        "--basis",
        "arr:USD",
        "--json",
    )
    from_file = json.loads(run(*args)[1])
    assert from_file["basis"]["fx_rates"] == {"EUR": "1.5"}
    flagged = json.loads(run(*args, "--fx", "EUR=2")[1])
    assert flagged["basis"]["fx_rates"] == {"EUR": "2"}
    assert flagged["denominator"] == "2000"  # 1,000 EUR of ARR at 2 USD per EUR


def test_the_settings_file_gives_as_of_and_calendar_and_flags_win(tmp_path: Path) -> None:
    folder = str(one_survey_folder(tmp_path, 'as_of = 2026-10-01\ncalendar = "Europe/Berlin"\n'))
    code, text = run("validate", "--data", folder)
    assert code == 0
    assert "as_of: 2026-09-30T22:00:00+00:00 (from advocacy.toml); calendar time zone: Europe/Berlin" in text
    code, text = run("validate", "--data", folder, "--as-of", "2026-08-01T00:00:00Z", "--calendar", "UTC")
    assert code == 0 and "as_of: 2026-08-01T00:00:00+00:00 (given); calendar time zone: UTC" in text


def test_the_datetime_format_flag_reads_dates_in_that_format_only(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("id,customer_since\na1,07/01/2025\na2,2025-07-01\n")
    code, text = run("validate", "--data", str(tmp_path), "--as-of", "2026-01-01")
    assert code == 1 and "line 2, field 'customer_since': '07/01/2025' must be an ISO-8601" in text
    code, text = run(
        "validate", "--data", str(tmp_path), "--as-of", "2026-01-01", "--datetime-format", "%m/%d/%Y"
    )
    assert (
        code == 1 and "line 3, field 'customer_since': '2025-07-01' must be a date-time in the format" in text
    )
    assert "accounts.csv 2 1 1" in " ".join(text.split())


def test_validate_exits_0_when_every_row_loads_and_1_when_rows_were_refused(tiny_folder: Path) -> None:
    code, text = run("validate", "--data", str(tiny_folder))
    assert code == 0 and "every row was loaded" in text
    code, text = run("validate", "--data", str(tiny_folder), "--as-of", "2026-09-01")
    assert code == 1
    assert (
        "surveys.csv line 12, field 'responded_at': '2026-09-20T00:00:00+00:00' must be at or before as_of"
        in text
    )
    code, text = run("validate", "--data", str(tiny_folder), "--as-of", "2026-09-01", "--json")
    assert code == 1 and json.loads(text)["rows_rejected"] > 0


def test_compute_warns_on_standard_error_when_rows_were_refused(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "compute", "social_shares", "--data", str(tiny_folder), "--window", "2026Q3", "--as-of", "2026-09-01"
    )
    assert code == 0
    assert "rows were refused and are not counted" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--sample", "--window", "2026Q3", "--asset", "gift"], "--asset"),
        (["--sample", "--window", "Q3"], "--window"),
        (["--sample", "--window", "2026Q3", "--segment", "tier"], "--segment"),
        (["--window", "2026Q3"], "--sample"),
    ],
)
def test_over_asking_errors_name_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("over-asking", *argv)[0] == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err


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
    assert "--fx flag" in capsys.readouterr().err
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
        (["--data", "{folder}", "--as-of", "last tuesday"], "--as-of"),
        (["--data", "{folder}/missing"], "--data"),
        (["--data", "{folder}", "--calendar", "Mars/Olympus"], "--calendar"),
        (["--data", "{folder}", "--fx", "EUR"], "--fx"),
        (["--sample", "--as-of", "2026-01-01"], "--as-of"),
        (["--sample", "--datetime-format", "%m/%d/%Y"], "--datetime-format"),
        (["--sample", "--data", "{folder}"], "--data"),
        ([], "--sample --data"),
        (["--sample", "--segment", "tier"], "--segment"),
        (["--sample", "--basis", "arr"], "--basis"),
    ],
)
def test_a_users_mistake_exits_2_with_one_line_naming_the_flag(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], flag: str
) -> None:
    args = [a.replace("{folder}", str(tiny_folder)) for a in argv]
    code, _ = run("compute", "net_promoter_score", "--window", "2026Q3", *args)
    err = capsys.readouterr().err
    assert code == 2
    assert flag in err and "Traceback" not in err
    assert "as_of'" not in err and "parameter of advocacy_kpis" not in err


def test_a_window_label_it_cannot_read_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compute", "net_promoter_score", "--sample", "--window", "2026Q5")[0] == 2
    err = capsys.readouterr().err
    assert "--window flag" in err and "Window.parse" not in err and "'text'" not in err


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
def test_a_mistake_in_a_value_exits_2_with_one_line_naming_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("compute", "referral_conversion_rate", "--sample", "--window", "2026Q2", *argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("advocacy-kpis: error: ") and err.count("\n") == 1
    assert f"{flag} flag" in err and "Traceback" not in err


@pytest.mark.parametrize("window", ["２０２６", "9999", "0000", "2026-02-30", "2026\nQ3"])
def test_a_bad_window_exits_2_naming_the_flag(window: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compute", "social_shares", "--sample", "--window", window)[0] == 2
    err = capsys.readouterr().err
    assert "--window flag" in err and err.count("\n") == 1


# -- hostile input: one line on standard error, exit status 2, never a traceback ------------------


def hostile_folder(tmp_path: Path, kind: str) -> Path:
    """A folder whose accounts load, with one thing wrong of the given ``kind``."""
    folder = tmp_path / kind
    folder.mkdir()
    (folder / "accounts.csv").write_text("id,customer_since\na1,2025-01-01\n")
    if kind == "fx":
        (folder / "advocacy.toml").write_text('[fx_rates]\nEUR = "1e999999999"\n')
    elif kind == "deep":
        (folder / "advocacy.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "latin-1":
        (folder / "advocacy.toml").write_bytes('currency = "Ä"\n'.encode("latin-1"))
    elif kind == "fifo":
        os.mkfifo(folder / "referrals.csv")
    return folder


def run_command(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "advocacy_kpis.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


COMPUTE = ("compute", "net_promoter_score", "--sample", "--window", "2026Q3")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([*COMPUTE, "--param", "window=2026Q3"], "The --param flag of advocacy-kpis compute must be a parameter of the metric itself (window is given by --window)"),
        ([*COMPUTE, "--param", "data=x"], "(data is given by --sample or --data)"),
        ([*COMPUTE, "--param", "segment=tier=smb"], "(segment is given by --segment)"),
        ([*COMPUTE, "--param", "metric_id=csat"], "(metric_id is given by the metric argument)"),
        ([*COMPUTE, "--param", "confidence=" + "9" * 5000], "The --param flag of advocacy-kpis compute must be confidence as a number between 0 and 1"),
        (["scorecard", "--sample", "--metrics", ","], "The --metrics flag of advocacy-kpis scorecard must be one or more metric ids"),
        (["scorecard", "--sample", "--metrics", "nps", "--param", "confidnce=0.9"], "The --param flag of advocacy-kpis scorecard"),
        (["scorecard", "--sample", "--param", "segment=tier"], "(segment is given by --by)"),
        (["validate", "--sample", "--limit", "-1"], "The --limit flag of advocacy-kpis validate must be a positive number"),
        (["validate", "--sample", "--limit", "0"], "The --limit flag"),
        (["validate", "--data", "{fx}"], "advocacy.toml: fx_rates.EUR must be a positive number from 1E-12 to 1E+12"),
        (["validate", "--data", "{deep}"], "advocacy.toml: nests tables or arrays more than 64 deep"),
        (["validate", "--data", "{latin-1}"], "advocacy.toml: not UTF-8 text (line 1"),
        (["validate", "--data", "{plain}", "--datetime-format", "%"], "The --datetime-format flag of advocacy-kpis validate must be a strptime format"),
        (["validate", "--data", "{plain}", "--limit", "ten"], "argument --limit: invalid int value: 'ten'"),
        (["compute", "nps", "--sample", "--window", "2026Q3", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["scorecard", "--sample", "--windows", "2026Q1..2026Q5"], "The --windows flag of advocacy-kpis scorecard must be a label such as"),
        (["breakdown", "net_promoter_score", "--sample", "--window", "2026Q5", "--by", "tier"], "The --window flag of advocacy-kpis breakdown must be a label"),
    ],
    ids=["window", "data", "segment", "metric_id", "5000 digits", "metrics comma", "misspelt param", "scorecard scope",
         "limit -1", "limit 0", "fx in settings", "deep settings", "latin-1 settings", "datetime format", "limit text",
         "unknown flag", "scorecard windows", "breakdown window"],
)  # fmt: skip
def test_a_hostile_argument_or_setting_is_one_error_line_and_exit_status_2(
    tmp_path: Path, argv: list[str], words: str
) -> None:
    folders = {kind: hostile_folder(tmp_path, kind) for kind in ("fx", "deep", "latin-1", "plain")}
    args = [folders[a[1:-1]].as_posix() if a.startswith("{") else a for a in argv]
    result = run_command(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("advocacy-kpis: error: "), (
        result.stderr
    )
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_in_the_data_folder_is_one_error_line_not_a_hang(tmp_path: Path) -> None:
    result = run_command("validate", "--data", str(hostile_folder(tmp_path, "fifo")))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "referrals.csv: is a FIFO (named pipe), not a regular file" in result.stderr


def test_validate_prints_names_from_the_files_escaped(tmp_path: Path) -> None:
    # An ESC sequence in a JSON key cleared the terminal and printed a forged line of its own.
    (tmp_path / "accounts.csv").write_text(
        'id,customer_since,"\x1b[2J\x1b[Hevery row was loaded\r"\na1,2025-01-01,x\na2,2025-13-01,y\n'
    )
    (tmp_path / "referrals.jsonl").write_text(
        '{"id": "r1", "account_id": "a1", "invited_at": "2026-01-01", "\\u001b[31mred\\u202e": 1}\n'
    )
    (tmp_path / "notes\x1b[2J.txt").write_text("")
    code, text = run("validate", "--data", str(tmp_path))
    assert code == 1
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "column '\\x1b[31mred\\u202e' is no field of a Referral" in text
    assert "'notes\\x1b[2J.txt' was not read" in text


def test_a_segment_of_one_on_a_flag_selects_the_accounts_it_holds_true(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "id,customer_since,icp\na1,2025-01-01,yes\na2,2025-01-01,no\na3,2025-01-01,true\n"
    )
    (tmp_path / "referrals.csv").write_text("id,account_id,invited_at\nr1,a1,2026-07-02\n")
    code, text = run(
        "compute", "referral_program_participation_rate", "--data", str(tmp_path), "--as-of", "2026-10-01",
        "--window", "2026Q3", "--segment", "icp=1", "--json",
    )  # fmt: skip
    result = json.loads(text)
    # icp=1 selects a1 and a3 (true); a1 referred in Q3: 1 of 2.
    assert code == 0 and (result["numerator"], result["denominator"]) == (1, 2)
