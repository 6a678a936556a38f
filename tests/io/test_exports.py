"""Real exports with no glue: files named otherwise, constants, value maps, grouped refusals, hints."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import (
    Calendar,
    LoadError,
    ParameterError,
    Segment,
    SettingsError,
    SourceError,
    Window,
    io,
    metrics,
)
from advocacy_kpis.io.report import Rejection, group_rejections

AS_OF = "2026-10-01"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


# -- files: names and globs to collections ------------------------------------------------------


@pytest.fixture
def renamed(tmp_path: Path) -> Path:
    write(tmp_path, "companies.csv", "id,customer_since\na1,2025-01-01\na2,2025-02-01\n")
    write(
        tmp_path,
        "nps_2026q1.csv",
        "id,account_id,kind,score,responded_at\ns1,a1,nps,9,2026-02-01\ns2,a2,nps,x,2026-02-02\n",
    )
    write(
        tmp_path,
        "nps_2026q2.csv",
        "id,account_id,kind,score,responded_at\ns3,a2,nps,3,2026-05-01\ns4,a1,nps,y,2026-05-02\n",
    )
    return tmp_path


def test_files_maps_a_name_and_a_glob_and_reads_several_files_as_one_numbered_per_file(renamed: Path) -> None:
    data, report = io.load_folder(
        renamed, files={"companies.csv": "accounts", "nps_*.csv": "surveys"}, as_of=AS_OF
    )
    assert [s.id for s in data.surveys] == ["s1", "s3"]
    assert [(r.source, r.row, r.field) for r in report.rejections] == [
        ("nps_2026q1.csv", 3, "score"),
        ("nps_2026q2.csv", 3, "score"),
    ]
    (count,) = [c for c in report.counts if c.collection == "surveys"]
    assert (count.source, count.read, count.loaded, count.rejected) == (
        "nps_2026q1.csv, nps_2026q2.csv",
        4,
        2,
        2,
    )


def test_ids_must_be_unique_across_the_files_of_a_collection(renamed: Path) -> None:
    write(renamed, "nps_2026q3.csv", "id,account_id,kind,score,responded_at\ns1,a1,nps,10,2026-08-01\n")
    _, report = io.load_folder(
        renamed, files={"companies.csv": "accounts", "nps_*.csv": "surveys"}, as_of=AS_OF
    )
    (duplicate,) = [r for r in report.rejections if r.field == "id"]
    assert duplicate.where == "nps_2026q3.csv line 2"
    assert duplicate.expected == "an id used by no other row (first used on nps_2026q1.csv line 2)"


def test_strict_mode_names_the_file_of_the_first_bad_row(renamed: Path) -> None:
    with pytest.raises(LoadError) as raised:
        io.load_folder(
            renamed, files={"companies.csv": "accounts", "nps_*.csv": "surveys"}, as_of=AS_OF, strict=True
        )
    assert (raised.value.source, raised.value.row, raised.value.field) == ("nps_2026q1.csv", 3, "score")


def test_a_file_lacking_a_column_the_others_have_is_named_for_it(renamed: Path) -> None:
    write(renamed, "nps_2026q3.csv", "id,account_id,score,responded_at\ns5,a1,10,2026-08-01\n")
    _, report = io.load_folder(
        renamed, files={"companies.csv": "accounts", "nps_*.csv": "surveys"}, as_of=AS_OF
    )
    (missing,) = [r for r in report.rejections if r.field == "kind"]
    assert missing.where == "nps_2026q3.csv line 2"
    assert missing.expected.startswith("given: nps_2026q3.csv has no column 'kind'")


def test_a_collection_given_files_takes_no_others_and_the_rest_is_noted(renamed: Path) -> None:
    write(renamed, "accounts.csv", "id,customer_since\nz9,2025-01-01\n")
    data, report = io.load_folder(
        renamed,
        files={"companies.csv": "accounts", "nps_*.csv": "surveys", "reviews_*.csv": "reviews"},
        as_of=AS_OF,
    )
    assert [a.id for a in data.accounts] == ["a1", "a2"]
    assert "accounts.csv was not read: files gives accounts other files" in report.notes
    assert "files: 'reviews_*.csv' matches no file, so it gives reviews nothing" in report.notes
    assert not data.is_supplied("reviews")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"companies.csv": "acounts"}, "'acounts', which is no collection: use one of accounts, contracts"),
        (
            {"missing.csv": "accounts"},
            "files names 'missing.csv' for accounts, but the folder has no such file",
        ),
        ({"sub/companies.csv": "accounts"}, "no folder part"),
        (
            {"companies.csv": "accounts", "nps_2026q1.csv": "surveys", "nps_*": "reviews"},
            "give it to reviews and surveys",
        ),
        ("companies.csv", "files must map a file name or glob to a collection"),
    ],
)
def test_a_bad_files_entry_is_refused_naming_it(renamed: Path, files: object, message: str) -> None:
    with pytest.raises(SourceError, match=None) as raised:
        io.load_folder(renamed, files=files, as_of=AS_OF)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_files_of_one_collection_in_two_formats_are_refused(renamed: Path) -> None:
    write(
        renamed,
        "nps_2026q3.jsonl",
        '{"id": "s9", "account_id": "a1", "kind": "nps", "score": 1, "responded_at": "2026-08-01"}\n',
    )
    with pytest.raises(SourceError, match="in two formats"):
        io.load_folder(renamed, files={"companies.csv": "accounts", "nps_*": "surveys"}, as_of=AS_OF)


def test_files_come_from_the_settings_file_and_the_argument_adds_to_them(renamed: Path) -> None:
    write(renamed, "advocacy.toml", '[files]\n"companies.csv" = "accounts"\n')
    data, _ = io.load_folder(renamed, as_of=AS_OF)
    assert len(data.accounts) == 2 and not data.is_supplied("surveys")
    data, _ = io.load_folder(renamed, as_of=AS_OF, files={"nps_*.csv": "surveys"})
    assert len(data.accounts) == 2 and len(data.surveys) == 2


# -- constants and value maps -------------------------------------------------------------------

ACCOUNTS = [{"id": "a1", "customer_since": "2025-01-01", "tier": "smb"}]


def survey(i: int, label: str | None, score: int = 9) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"s{i}",
        "account_id": "a1",
        "score": score,
        "responded_at": f"2026-07-{i + 1:02d}",
    }
    if label is not None:
        row["kind"] = label
    return row


def test_a_constant_fills_a_field_no_column_gives() -> None:
    data, report = io.from_rows(
        {"accounts": ACCOUNTS, "surveys": [survey(0, None), survey(1, None)]},
        as_of=AS_OF,
        constants={"surveys": {"kind": "NPS"}, "accounts": {"region": "EMEA", "segment": "mid-market"}},
    )
    assert report.ok
    assert {s.kind.value for s in data.surveys} == {"nps"}
    assert data.accounts[0].region == "EMEA" and dict(data.accounts[0].attributes) == {
        "segment": "mid-market"
    }


def test_a_constant_for_a_field_a_column_gives_is_refused() -> None:
    with pytest.raises(SourceError, match="column 'kind' gives 'kind', and so does a constant of surveys"):
        io.from_rows(
            {"accounts": ACCOUNTS, "surveys": [survey(0, "nps")]},
            as_of=AS_OF,
            constants={"surveys": {"kind": "nps"}},
        )


def test_a_value_map_reads_labels_and_leaves_other_text_to_the_field() -> None:
    rows = [
        survey(0, "Relationship NPS"),
        survey(1, " Relationship NPS "),
        survey(2, "nps"),
        survey(3, "Pulse"),
    ]
    data, report = io.from_rows(
        {"accounts": ACCOUNTS, "surveys": rows},
        as_of=AS_OF,
        values={"surveys.kind": {"Relationship NPS": "nps"}},
    )
    assert [s.id for s in data.surveys] == ["s0", "s1", "s2"]
    (refused,) = report.rejections
    assert (refused.row, refused.field, refused.value) == (3, "kind", "'Pulse'")


def test_a_value_map_works_on_attributes_and_on_frames() -> None:
    import pandas as pd

    accounts = pd.DataFrame(
        {"id": ["a1", "a2"], "customer_since": ["2025-01-01", "2025-02-01"], "Tier": ["Ent", "SMB"]}
    )
    data, _ = io.from_frames(
        {"accounts": accounts},
        as_of=AS_OF,
        column_map={"accounts": {"Tier": "tier"}},
        values={"accounts.tier": {"Ent": "enterprise", "SMB": "smb"}},
    )
    assert [a.tier for a in data.accounts] == ["enterprise", "smb"]


@pytest.mark.parametrize(
    ("constants", "values", "message"),
    [
        (
            {"survey": {"kind": "nps"}},
            None,
            "The constants name 'survey', which is no collection: use one of accounts",
        ),
        (
            {"surveys": {"knd": "nps"}},
            None,
            "A constant names surveys.knd, which is no field of surveys: use one of id, account_id, kind, score, responded_at, respondent_id.",
        ),
        ({"surveys": {"kind": "promoter"}}, None, "The constant surveys.kind must be one of 'nps', 'csat'"),
        ({"surveys": {"kind": ["nps"]}}, None, "must be text, a number or true/false"),
        ({"surveys": {"kind": "x" * 10_000}}, None, "(10000 characters)"),
        (None, {"surveys": {"a": "nps"}}, "name it 'collection.field', such as 'surveys.kind'"),
        (None, {"surveys.knd": {"a": "nps"}}, "A value map names surveys.knd, which is no field of surveys"),
        (
            None,
            {"surveys.kind": {"Relationship NPS": "promoter"}},
            "The value map surveys.kind, for 'Relationship NPS', must be one of",
        ),
        (None, {"surveys.kind": {"  ": "nps"}}, "must map non-blank text"),
    ],
)
def test_constants_and_value_maps_are_checked_before_any_row(
    constants: object, values: object, message: str
) -> None:
    with pytest.raises(SourceError) as raised:
        io.from_rows({"accounts": ACCOUNTS}, as_of=AS_OF, constants=constants, values=values)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert len(str(raised.value)) < 1000


def test_the_settings_file_gives_constants_and_value_maps_and_checks_their_names(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2025-01-01\n")
    write(
        tmp_path,
        "surveys.csv",
        "id,account_id,score,responded_at,Type\ns1,a1,9,2026-07-01,Relationship NPS\n",
    )
    write(
        tmp_path,
        "advocacy.toml",
        '[column_map.surveys]\nType = "kind"\n[values."surveys.kind"]\n"Relationship NPS" = "nps"\n',
    )
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert report.ok and data.surveys[0].kind.value == "nps"
    write(tmp_path, "advocacy.toml", "[constants.surveys]\nknd = 'nps'\n")
    with pytest.raises(
        SettingsError, match=r"advocacy.toml: A constant names surveys.knd, which is no field"
    ):
        io.read_settings(tmp_path)
    write(tmp_path, "advocacy.toml", "[values]\n'surveys.kind' = 3\n")
    with pytest.raises(SettingsError, match="values must be a table of tables"):
        io.read_settings(tmp_path)
    write(tmp_path, "advocacy.toml", "[files]\n'*.csv' = 'acount'\n")
    with pytest.raises(SettingsError, match="which is no collection"):
        io.read_settings(tmp_path)


# -- grouped refusals ---------------------------------------------------------------------------


def test_rows_refused_for_one_reason_are_one_line_of_the_summary_and_every_row_is_listed() -> None:
    rows = [survey(i, "Relationship NPS" if i % 4 else "Transactional") for i in range(12)] + [
        survey(20, "nps", score=11)
    ]
    _, report = io.from_rows({"accounts": ACCOUNTS, "surveys": rows}, as_of=AS_OF)
    assert len(report.rejections) == 13
    kinds, score = report.groups
    assert (kinds.field, kinds.count, kinds.distinct) == ("kind", 12, 2)
    assert kinds.values == (("'Relationship NPS'", 9), ("'Transactional'", 3))
    assert kinds.first == tuple(f"surveys row index {i}" for i in range(5))
    assert (score.field, score.count) == ("score", 1)
    text = report.format()
    assert (
        "  12 rows of surveys, field 'kind': 'Relationship NPS' (9), 'Transactional' (3) must be one of 'nps', "
        "'csat', 'repurchase', 'upsell' (in any case) (row indexes 0, 1, 2, 3, 4, ...)"
    ) in text.splitlines()
    assert "13 rows rejected, for 2 reasons:" in text
    assert report.to_dict()["groups"][0]["count"] == 12


rejection = st.builds(
    Rejection,
    collection=st.sampled_from(["accounts", "surveys"]),
    source=st.sampled_from(["a.csv", "b.csv"]),
    row=st.integers(1, 50),
    row_kind=st.sampled_from(["line", "row index"]),
    field=st.sampled_from([None, "id", "kind"]),
    column=st.sampled_from([None, "Kind"]),
    value=st.sampled_from(["'x'", "'y'", "''"]),
    expected=st.sampled_from(["given", "one of nps"]),
)


@settings(max_examples=settings.default.max_examples * 20)
@given(st.lists(rejection, max_size=40))
def test_grouping_never_loses_or_doubles_a_rejection(rejections: list[Rejection]) -> None:
    groups = group_rejections(rejections)
    assert sum(g.count for g in groups) == len(rejections)
    for group in groups:
        members = [
            r for r in rejections
            if (r.collection, r.field, r.column, r.expected, r.row_kind)
            == (group.collection, group.field, group.column, group.expected, group.row_kind)
        ]  # fmt: skip
        assert (
            len(members)
            == group.count
            == sum(n for _, n in group.values) + (len(members) - sum(n for _, n in group.values))
        )
        assert group.distinct == len({r.value for r in members})
        assert set(group.sources) == {r.source for r in members}
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)


# -- a collection refused whole -----------------------------------------------------------------


def test_every_survey_refused_is_said_first_and_the_data_set_still_loads() -> None:
    data, report = io.from_rows(
        {"accounts": ACCOUNTS, "surveys": [survey(0, "Pulse"), survey(1, "Pulse")]}, as_of=AS_OF
    )
    assert data.is_supplied("surveys") and data.surveys == ()
    assert [c.collection for c in report.refused_whole] == ["surveys"]
    assert "warning: every row of surveys was refused (2): no surveys were loaded" in report.format()


def test_every_account_refused_with_no_as_of_says_why_not_as_of(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,07/20/2025\na2,07/21/2025\na3,\n")
    with pytest.raises(SourceError) as raised:
        io.load_folder(tmp_path)
    message = str(raised.value)
    assert message.startswith(
        "Every row of accounts.csv was refused (3 rows), so there are no accounts to load."
    )
    assert (
        "2 rows of accounts.csv, field 'customer_since': '07/20/2025' (1), '07/21/2025' (1) must be"
        in message
    )
    assert "datetime_format='%m/%d/%Y'" in message and "as_of" not in message.split("datetime_format")[0]


def test_every_account_refused_with_as_of_given_is_a_report_warning(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,07/20/2025\n")
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert data.accounts == () and report.count("accounts").rejected == 1  # type: ignore[union-attr]
    assert "warning: every row of accounts.csv was refused (1): no accounts were loaded" in report.format()


# -- the datetime_format hint -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("07/20/2026", "datetime_format='%m/%d/%Y' (or '%d/%m/%Y')"),
        ("20.07.2026", "datetime_format='%d.%m.%Y' (or '%m.%d.%Y')"),
        ("2026/07/20", "datetime_format='%Y/%m/%d'"),
        ("7/20/26 9:30", "datetime_format='%m/%d/%y %H:%M' (or '%d/%m/%y %H:%M')"),
        ("Jul 20, 2026", "datetime_format='%b %d, %Y'"),
        ("20 July 2026", "datetime_format='%d %B %Y'"),
    ],
)
def test_a_date_in_another_format_is_refused_with_a_hint_naming_datetime_format(text: str, hint: str) -> None:
    _, report = io.from_rows({"accounts": [*ACCOUNTS, {"id": "a2", "customer_since": text}]}, as_of=AS_OF)
    (refused,) = report.rejections
    assert hint in refused.expected
    assert refused.expected.endswith("the command line's --datetime-format, advocacy.toml's datetime_format")


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "1751328000"])
def test_text_that_is_no_date_gets_no_hint(text: str) -> None:
    _, report = io.from_rows({"accounts": [*ACCOUNTS, {"id": "a2", "customer_since": text}]}, as_of=AS_OF)
    assert "datetime_format" not in report.rejections[0].expected


# -- a calendar by its zone name ----------------------------------------------------------------


def test_a_calendar_given_as_a_zone_name_is_taken_by_every_loader(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2025-07-01\n")
    berlin = Calendar(timezone=ZoneInfo("Europe/Berlin"))
    expected = berlin.midnight(date(2025, 7, 1))
    for data, _ in (
        io.load_folder(tmp_path, calendar="Europe/Berlin", as_of=AS_OF),
        io.from_rows({"accounts": [{"id": "a1", "customer_since": "2025-07-01"}]}, calendar="Europe/Berlin"),
    ):
        assert data.calendar == berlin and data.accounts[0].customer_since == expected


def test_a_zone_name_keeps_the_settings_files_fiscal_year(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2025-07-01\n")
    write(tmp_path, "advocacy.toml", "[calendar]\ntimezone = 'UTC'\nfiscal_year_start_month = 2\n")
    data, _ = io.load_folder(tmp_path, calendar="Europe/Berlin", as_of=AS_OF)
    assert data.calendar.fiscal_year_start_month == 2 and str(data.calendar.timezone) == "Europe/Berlin"


@pytest.mark.parametrize("calendar", ["Mars/Olympus", 3])
def test_an_unknown_zone_is_a_parameter_error_naming_calendar(tmp_path: Path, calendar: object) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2025-07-01\n")
    with pytest.raises(
        ParameterError, match=r"The 'calendar' parameter of io.load_folder must be a Calendar"
    ):
        io.load_folder(tmp_path, calendar=calendar)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"The 'calendar' parameter of io.from_rows"):
        io.from_rows({"accounts": []}, calendar=calendar)  # type: ignore[arg-type]


# -- the command line ---------------------------------------------------------------------------


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "advocacy_kpis.cli", *argv], capture_output=True, text=True, check=False
    )


def test_the_command_line_maps_files_constants_and_values(tmp_path: Path) -> None:
    write(tmp_path, "companies.csv", "id,customer_since\na1,2025-01-01\n")
    write(
        tmp_path, "nps_q3.csv", "id,account_id,score,responded_at,Type\ns1,a1,9,2026-07-01,Relationship NPS\n"
    )
    done = cli(
        "validate", "--data", str(tmp_path), "--as-of", AS_OF, "--file", "companies.csv=accounts",
        "--file", "nps_*.csv=surveys", "--value", "surveys.kind:Relationship NPS=nps",
    )  # fmt: skip
    assert done.returncode == 1 and "field 'kind'" in done.stdout  # no column gives kind: refused
    write(tmp_path, "nps_q3.csv", "id,account_id,score,responded_at\ns1,a1,9,2026-07-01\n")
    done = cli(
        "validate", "--data", str(tmp_path), "--as-of", AS_OF, "--file", "companies.csv=accounts",
        "--file", "nps_*.csv=surveys", "--constant", "surveys.kind=nps",
    )  # fmt: skip
    assert done.returncode == 0 and "every row was loaded" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--file", "companies.csv", "The --file flag of advocacy-kpis validate must be NAME=COLLECTION"),
        ("--file", "companies.csv=acounts", "'acounts', which is no collection"),
        ("--constant", "surveys.kind", "must be COLLECTION.FIELD=VALUE"),
        ("--constant", "surveys.kind=promoter", "The constant surveys.kind must be one of 'nps'"),
        ("--value", "surveys.kind=nps", "must be COLLECTION.FIELD:TEXT=VALUE"),
        ("--value", "surveys.knd:Relationship NPS=nps", "A value map names surveys.knd, which is no field"),
    ],
)
def test_a_bad_loading_flag_is_one_error_line_naming_the_flag(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2025-01-01\n")
    done = cli("validate", "--data", str(tmp_path), flag, value)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert message in done.stderr and flag in done.stderr


def test_loading_flags_are_refused_with_the_sample() -> None:
    done = cli("validate", "--sample", "--constant", "surveys.kind=nps")
    assert done.returncode == 2 and "--constant" in done.stderr and "left out with --sample" in done.stderr


# -- end to end: a new user's exports, a short settings file, no glue ---------------------------

HUBSPOT_COMPANIES = """
Record ID,Company name,Became a Customer Date,Company Tier
101,Acme,01/15/2025,Enterprise
102,Globex,03/02/2025,SMB
103,Initech,11/30/2025,SMB
"""

DELIGHTED_Q2 = """
Response ID,Company ID,Person Email,Score,Created At,Survey
r1,101,ann@acme.test,10,06/28/2026,Relationship NPS
r2,101,bob@acme.test,3,06/30/2026,Relationship NPS
"""

DELIGHTED_Q3 = """
Response ID,Company ID,Person Email,Score,Created At,Survey
r3,101,ann@acme.test,9,07/02/2026,Relationship NPS
r4,101,bob@acme.test,8,07/10/2026,Relationship NPS
r5,102,cy@globex.test,2,07/11/2026,Relationship NPS
r6,102,di@globex.test,10,08/01/2026,Relationship NPS
r7,102,cy@globex.test,9,09/15/2026,Relationship NPS
r8,103,ed@initech.test,6,08/20/2026,Relationship NPS
r9,103,fay@initech.test,N/A,08/21/2026,Relationship NPS
r10,103,gus@initech.test,7,09/30/2026,Relationship NPS
"""

SETTINGS = """
as_of = 2026-10-01
datetime_format = "%m/%d/%Y"

[files]
"hubspot-companies-*.csv" = "accounts"
"delighted_responses_*.csv" = "surveys"

[column_map.accounts]
"Record ID" = "id"
"Became a Customer Date" = "customer_since"
"Company Tier" = "tier"

[column_map.surveys]
"Response ID" = "id"
"Company ID" = "account_id"
"Person Email" = "respondent_id"
"Score" = "score"
"Created At" = "responded_at"
"Survey" = "kind"

[values."surveys.kind"]
"Relationship NPS" = "nps"
"""


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    write(tmp_path, "hubspot-companies-2026-10-01.csv", HUBSPOT_COMPANIES)
    write(tmp_path, "delighted_responses_2026-q2.csv", DELIGHTED_Q2)
    write(tmp_path, "delighted_responses_2026-q3.csv", DELIGHTED_Q3)
    write(tmp_path, "advocacy.toml", SETTINGS)
    return tmp_path


def test_hubspot_and_delighted_exports_load_with_a_short_settings_file_and_nps_is_the_hand_count(
    exports: Path,
) -> None:
    data, report = io.load_folder(exports)
    # r9's score "N/A" is the one refusal; r1 and r2 are in Q2.
    assert [(r.where, r.field, r.value) for r in report.rejections] == [
        ("delighted_responses_2026-q3.csv line 8", "score", "'N/A'")
    ]
    assert [a.id for a in data.accounts] == ["101", "102", "103"] and data.accounts[0].tier == "Enterprise"
    nps = metrics.net_promoter_score(data, window=Window.quarter(2026, 3))
    # The latest Q3 answer of each respondent: ann 9, bob 8, cy 9 (after 2), di 10, ed 6, gus 7.
    promoters, passives, detractors = 3, 2, 1
    assert dict(nps.components) == {
        "promoters": promoters, "passives": passives, "detractors": detractors, "respondents": 6,
    }  # fmt: skip
    assert nps.value == pytest.approx(100 * (promoters - detractors) / 6)
    smb = metrics.net_promoter_score(data, window=Window.quarter(2026, 3), segment=Segment.where(tier="SMB"))
    assert smb.value == pytest.approx(100 * (2 - 1) / 4)  # cy 9, di 10, ed 6, gus 7


def test_the_same_exports_on_the_command_line_need_no_flag(exports: Path) -> None:
    done = cli("compute", "net_promoter_score", "--data", str(exports), "--window", "2026Q3")
    assert done.returncode == 0, done.stderr
    assert "33.3" in done.stdout
    assert "1 of 13 rows were refused" in done.stderr
