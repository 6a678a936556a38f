"""Loading folders, rows and frames: column maps, attributes with their types, supplied collections."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from advocacy_kpis import Calendar, Segment, SourceError, SurveyKind, Window, io, metrics


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


CRM_ACCOUNTS = """
Account ID,Customer Since,Churn Date,Tier,Plan,Seats,CSM Owner,Zip,ICP
A-1,2025-01-15,,Enterprise,pro,5,dana,01234,yes
A-2,2025-06-01,2026-08-20,smb,basic,12,lee,10115,no
A-3,2026-02-01,,smb,pro,5,,20095,
"""

CRM_REFERRALS = """
Referral ID,Account,Sent,Converted
R-1,A-1,2026-07-03T10:00:00+02:00,
R-2,A-3,2026-08-15,2026-09-01
R-3,A-1,2026-04-01,
"""

CRM_MAP = {
    "accounts": {
        "Account ID": "id", "Customer Since": "customer_since", "Churn Date": "churned_at",
        "Tier": "tier", "ICP": "icp", "Plan": "plan", "Seats": "seats", "CSM Owner": "csm_owner", "Zip": "zip",
    },
    "referrals": {"Referral ID": "id", "Account": "account_id", "Sent": "invited_at", "Converted": "converted_at"},
}  # fmt: skip


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    write(tmp_path, "accounts.csv", CRM_ACCOUNTS)
    write(tmp_path, "referrals.csv", CRM_REFERRALS)
    return tmp_path


def test_a_crm_export_loads_through_a_column_map(crm: Path) -> None:
    data, report = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    assert report.ok, report.format()
    a1, a2, a3 = data.accounts
    assert a1.id == "A-1" and a1.customer_since == datetime(2025, 1, 15, tzinfo=UTC)
    assert a1.tier == "Enterprise" and a1.icp is True and a2.icp is False and a3.icp is None
    assert a2.churned_at == datetime(2026, 8, 20, tzinfo=UTC)
    r1 = data.referrals[0]
    assert r1.invited_at == datetime(2026, 7, 3, 8, tzinfo=UTC)
    assert data.referrals[1].converted_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert data.as_of == datetime(2026, 10, 1, tzinfo=UTC) and report.as_of_source == "given"


def test_extra_columns_become_attributes_with_their_types(crm: Path) -> None:
    data, _ = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    a1, _, a3 = data.accounts
    assert dict(a1.attributes) == {"plan": "pro", "seats": 5, "csm_owner": "dana", "zip": "01234"}
    assert type(a1.attributes["seats"]) is int
    assert "csm_owner" not in a3.attributes  # an empty cell is no value, not ""


def test_any_source_column_defines_a_segment(crm: Path) -> None:
    data, _ = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    assert data.segment_accounts(Segment.where(plan="pro")) == {"A-1", "A-3"}
    assert data.segment_accounts(Segment.where(seats=5)) == {"A-1", "A-3"}
    assert data.segment_accounts(Segment.where(csm_owner="lee")) == {"A-2"}
    # 2026Q3: A-1 and A-3 (plan pro) are active; A-1 sent R-1 in Q3, A-3 sent R-2: 2 of 2.
    q3 = Window.quarter(2026, 3)
    pro = metrics.referral_program_participation_rate(data, window=q3, segment=Segment.where(plan="pro"))
    assert (pro.numerator, pro.denominator) == (2, 2)
    # seats=12 is A-2 alone, active in Q3 (churned 20 August) without a referral: 0 of 1.
    twelve = metrics.referral_program_participation_rate(data, window=q3, segment=Segment.where(seats=12))
    assert (twelve.numerator, twelve.denominator) == (0, 1)


def test_a_missing_flag_column_means_not_recorded_not_false(crm: Path) -> None:
    data, _ = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    assert {r.personalized for r in data.referrals} == {None}
    result = metrics.personalized_referral_outreach_rate(data, window=Window.quarter(2026, 3))
    assert result.value is None and "records whether it was personalized" in (result.undefined_reason or "")


def test_dates_are_read_in_the_calendar_given(crm: Path) -> None:
    berlin = Calendar(timezone=ZoneInfo("Europe/Berlin"))
    data, _ = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01", calendar=berlin)
    assert data.accounts[0].customer_since == datetime(2025, 1, 14, 23, tzinfo=UTC)
    assert data.calendar == berlin and data.as_of == datetime(2026, 9, 30, 22, tzinfo=UTC)
    # An explicit offset wins over the calendar.
    assert data.referrals[0].invited_at == datetime(2026, 7, 3, 8, tzinfo=UTC)


def test_as_of_defaults_to_the_latest_timestamp_and_the_report_says_so(crm: Path) -> None:
    data, report = io.load_folder(crm, column_map=CRM_MAP)
    assert data.as_of == datetime(2026, 9, 1, tzinfo=UTC)  # R-2's conversion
    assert report.as_of_source == "the latest timestamp in the data: referrals.csv line 3, converted_at"


def test_a_row_refused_by_a_later_check_does_not_set_the_inferred_as_of(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "id,customer_since\na1,2026-01-01T00:00:00Z\n")
    write(
        tmp_path,
        "surveys.csv",
        "id,account_id,kind,score,responded_at\n"
        "s1,a1,nps,9,2026-03-01T00:00:00Z\n"
        "s2,zz,nps,9,2026-06-01T00:00:00Z\n",
    )
    write(
        tmp_path,
        "contracts.csv",
        "id,account_id,start,end,arr,currency,renewal_of\n"
        "c1,a1,2026-01-01T00:00:00Z,2027-01-01T00:00:00Z,100,USD,\n"
        "c2,a1,2026-05-01T00:00:00Z,2027-05-01T00:00:00Z,100,USD,c9\n",
    )
    data, report = io.load_folder(tmp_path)
    # s2 names no loaded account and c2 renews no loaded contract: both refused, so the latest
    # timestamp left is s1's answer (a contract's start is not something that has happened yet).
    assert {(r.collection, r.row) for r in report.rejections} == {("surveys", 3), ("contracts", 3)}
    assert data.as_of == datetime(2026, 3, 1, tzinfo=UTC)
    assert report.as_of_source == "the latest timestamp in the data: surveys.csv line 2, responded_at"


def test_a_settings_file_gives_defaults_and_arguments_override_it(crm: Path) -> None:
    write(
        crm, "advocacy.toml",
        """
as_of = 2026-10-01
calendar = "Europe/Berlin"
[column_map.accounts]
"Account ID" = "id"
"Customer Since" = "customer_since"
"Churn Date" = "churned_at"
[column_map.referrals]
"Referral ID" = "id"
"Account" = "account_id"
"Sent" = "invited_at"
"Converted" = "converted_at"
""",
    )  # fmt: skip
    data, report = io.load_folder(crm)
    assert report.ok and report.as_of_source == "from advocacy.toml"
    assert data.as_of == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert data.accounts[0].attributes["Plan"] == "pro"  # columns the map leaves alone keep their names
    data, report = io.load_folder(crm, as_of="2026-09-15T00:00:00Z", calendar=Calendar())
    assert data.as_of == datetime(2026, 9, 15, tzinfo=UTC) and report.as_of_source == "given"


def test_a_file_present_is_supplied_even_empty_and_an_absent_one_is_not(crm: Path) -> None:
    write(crm, "social_shares.csv", "id,account_id,shared_at\n")
    data, report = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    assert data.supplied == {"accounts", "referrals", "social_shares"}
    assert data.is_supplied("social_shares") and data.social_shares == ()
    assert not data.is_supplied("surveys")
    shares = report.count("social_shares")
    assert shares is not None and (shares.read, shares.loaded, shares.rejected) == (0, 0, 0)
    assert report.count("surveys") is None


def test_files_that_name_no_collection_are_noted_not_read(crm: Path) -> None:
    write(crm, "notes.txt", "hello")
    write(crm, "customers.csv", "id\n1\n")
    _, report = io.load_folder(crm, column_map=CRM_MAP, as_of="2026-10-01")
    assert any(n.startswith("customers.csv was not read") for n in report.notes)
    assert any(n.startswith("notes.txt was not read") for n in report.notes)


def test_columns_a_record_cannot_hold_are_noted(crm: Path) -> None:
    write(crm, "referrals.csv", "id,account_id,invited_at,campaign\nr1,A-1,2026-01-01,spring\n")
    _, report = io.load_folder(crm, column_map={"accounts": CRM_MAP["accounts"]}, as_of="2026-10-01")
    assert any("'campaign' is no field of a Referral" in n for n in report.notes)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "has no accounts file"),
        (lambda d: (write(d, "accounts.csv", "id\n"), write(d, "accounts.jsonl", "")), "both hold accounts"),
        (lambda d: write(d, "accounts.csv", "id,id\n"), "names the column 'id' twice"),
        (lambda d: write(d, "accounts.csv", b"\xff\xfe".decode("latin-1")), None),
    ],
)
def test_folder_problems_raise_source_errors_that_say_what_to_do(tmp_path: Path, setup, message) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    if message is None:
        (tmp_path / "accounts.csv").write_bytes(b"id,customer_since\n\xff\xfe,x\n")
        message = "not UTF-8"
    with pytest.raises(SourceError, match=message):
        io.load_folder(tmp_path, as_of="2026-01-01")


def test_a_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="No folder"):
        io.load_folder(tmp_path / "nope")


def test_a_column_map_for_an_unknown_collection_is_refused(crm: Path) -> None:
    with pytest.raises(SourceError, match="'customers', which is no collection"):
        io.load_folder(crm, column_map={"customers": {"a": "b"}}, as_of="2026-10-01")


def test_no_timestamp_and_no_as_of_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="give as_of"):
        io.from_rows({"accounts": []})


def test_rows_and_typed_values_load_like_files() -> None:
    loaded = io.from_rows(
        {
            "accounts": [{"id": "a1", "customer_since": datetime(2025, 1, 1, tzinfo=UTC), "seats": 3}],
            "surveys": [
                {"id": "s1", "account_id": "a1", "kind": "NPS", "score": "9", "responded_at": "2026-05-01"},
                {"id": "s2", "account_id": "a1", "kind": "csat", "score": 4.0, "responded_at": "2026-05-02"},
            ],
        },
        as_of="2026-10-01",
    )
    assert loaded.report.ok
    s1, s2 = loaded.data.surveys
    assert (s1.kind, s1.score, s2.kind, s2.score) == (SurveyKind.NPS, 9, SurveyKind.CSAT, 4)


def test_pandas_frames_with_numpy_scalars_nan_and_timestamps() -> None:
    accounts = pd.DataFrame(
        {
            "id": ["a1", "a2"],
            "customer_since": pd.to_datetime(["2025-01-01", "2025-02-01"]).tz_localize("UTC"),
            "seats": [5, 12],
            "tier": ["enterprise", None],
        }
    )
    contracts = pd.DataFrame(
        {
            "id": ["c1", "c2"],
            "account_id": ["a1", "a2"],
            "start": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "end": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "arr": [1200.10, 999.99],
            "currency": ["USD", "EUR"],
            "tcv": [float("nan"), 5000.0],
        }
    )
    surveys = pd.DataFrame(
        {"id": ["s1"], "account_id": ["a1"], "kind": ["nps"], "score": pd.array([9], dtype="int64"),
         "responded_at": [pd.Timestamp("2025-06-01", tz="UTC")]}
    )  # fmt: skip
    data, report = io.from_frames(
        {"accounts": accounts, "contracts": contracts, "surveys": surveys}, as_of="2026-10-01"
    )
    assert report.ok, report.format()
    assert data.accounts[0].attributes["seats"] == 5 and type(data.accounts[0].attributes["seats"]) is int
    assert data.accounts[1].tier is None
    c1, c2 = data.contracts
    assert c1.arr == Decimal("1200.1") and c2.arr == Decimal("999.99")
    assert c1.tcv is None and c2.tcv == Decimal(5000)
    assert c1.start == datetime(2025, 1, 1, tzinfo=UTC) and type(c1.start) is datetime
    assert data.surveys[0].score == 9 and type(data.surveys[0].score) is int


def test_polars_and_pyarrow_tables_load_too() -> None:
    rows = {"id": ["a1"], "customer_since": [datetime(2025, 1, 1, tzinfo=UTC)], "plan": ["pro"]}
    for frame in (pl.DataFrame(rows), pa.table(rows), pl.DataFrame(rows).lazy()):
        data, report = io.from_frames({"accounts": frame}, as_of="2026-01-01")
        assert report.ok and dict(data.accounts[0].attributes) == {"plan": "pro"}


def test_a_value_that_is_no_table_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="pandas, Polars or PyArrow"):
        io.from_frames({"accounts": [1, 2, 3]})


def test_the_strict_loads_return_the_data_set() -> None:
    data = io.from_rows(
        {"accounts": [{"id": "a1", "customer_since": "2025-01-01"}]}, as_of="2026-01-01", strict=True
    ).data
    assert data.accounts[0].id == "a1"
    frame = pd.DataFrame({"id": ["a1"], "customer_since": ["2025-01-01"]})
    assert io.from_frames({"accounts": frame}, as_of="2026-01-01", strict=True).data.accounts[0].id == "a1"


@pytest.mark.parametrize("rows", [None, 5, "a1", {"id": "a1"}], ids=["None", "int", "text", "a mapping"])
def test_rows_that_are_no_list_of_mappings_are_a_source_error(rows: object) -> None:
    with pytest.raises(SourceError, match="The rows of 'accounts' must be an iterable of mappings"):
        io.from_rows({"accounts": rows})  # type: ignore[dict-item]
    with pytest.raises(SourceError, match="io.from_rows takes a mapping of collection name to rows"):
        io.from_rows([("accounts", [])])  # type: ignore[arg-type]


def test_a_datetime_format_with_an_offset_is_usable() -> None:
    rows = {"accounts": [{"id": "a1", "customer_since": "01.07.2026 09:30 +0200"}]}
    data, report = io.from_rows(rows, datetime_format="%d.%m.%Y %H:%M %z")
    assert report.ok and data.accounts[0].customer_since == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ["%", "%Q-%d", "%Y-%", 5])
def test_a_datetime_format_that_cannot_read_a_date_is_refused_once(fmt: object) -> None:
    # '%' used to refuse every timestamp of every row, one at a time.
    with pytest.raises(SourceError, match="datetime_format must be a strptime format"):
        io.from_rows({"accounts": [{"id": "a1", "customer_since": "2025-01-01"}]}, datetime_format=fmt)  # type: ignore[arg-type]


def test_a_boolean_field_is_selected_by_one_as_the_loader_reads_it(tmp_path: Path) -> None:
    # icp column: yes, 1, no, 0, empty -> True, True, False, False, None.
    (tmp_path / "accounts.csv").write_text(
        "id,customer_since,icp\na1,2025-01-01,yes\na2,2025-01-01,1\na3,2025-01-01,no\na4,2025-01-01,0\na5,2025-01-01,\n"
    )
    (tmp_path / "referrals.csv").write_text(
        "id,account_id,invited_at\nr1,a1,2026-07-02\nr2,a2,2026-07-03\nr3,a3,2026-07-04\n"
    )
    data, _ = io.load_folder(tmp_path, as_of="2026-10-01")
    q3 = Window.quarter(2026, 3)
    for flag, referring in ((1, 2), (True, 2), (0, 1), (False, 1)):
        result = metrics.referral_program_participation_rate(data, window=q3, segment=Segment.where(icp=flag))
        assert (result.numerator, result.denominator) == (referring, 2), flag


def test_a_frame_arrow_cannot_type_is_read_cell_by_cell_whatever_its_column_names() -> None:
    # A column of mixed objects sends the frame down the cell-by-cell path, which looked columns
    # up by their stripped names: " tier " raised KeyError.
    accounts = pd.DataFrame(
        {"id": ["a1", "a2"], "customer_since": ["2025-01-01", "2025-01-01"], " tier ": ["smb", "mid"],
         "seats": [5, "five"]}
    )  # fmt: skip
    data, report = io.from_frames({"accounts": accounts}, as_of="2026-10-01")
    assert [a.tier for a in data.accounts] == ["smb", "mid"]
    assert [dict(a.attributes) for a in data.accounts] == [{"seats": 5}, {"seats": "five"}]
    assert report.ok


def test_a_frame_holding_a_value_nested_5000_deep_is_read_cell_by_cell_and_the_row_refused() -> None:
    # pyarrow's type inference took seconds and gigabytes on such a value; the row is refused instead.
    deep: object = "reference"
    for _ in range(5000):
        deep = [deep]
    opportunities = pd.DataFrame(
        {"id": ["o1", "o2"], "created_at": ["2026-01-01"] * 2, "amount": [5, 6], "currency": ["USD"] * 2,
         "source": ["x"] * 2, "influences": [["reference"], deep]}
    )  # fmt: skip
    accounts = pd.DataFrame({"id": ["a1"], "customer_since": ["2025-01-01"]})
    started = time.process_time()
    data, report = io.from_frames({"accounts": accounts, "opportunities": opportunities}, as_of="2026-10-01")
    assert time.process_time() - started < 5
    assert [o.id for o in data.opportunities] == ["o1"]
    assert [(r.row, r.field) for r in report.rejections] == [(1, "influences")]
