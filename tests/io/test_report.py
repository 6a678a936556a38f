"""The reject report: every refusal with its row, field, value and reason; nothing lost; strict mode."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyKpisError, LoadError, io
from tests.io.revalidate import rebuilt_by_hand

AS_OF = "2026-10-01"

ACCOUNTS = """id,customer_since,tier
a1,2025-01-01,enterprise
a2,2025-13-01,smb
,2025-02-01,smb
a1,2025-03-01,mid
a5,2026-12-01,smb
a6,2025-04-01,mid
"""

REFERRALS = """id,account_id,invited_at
r1,a1,2026-01-10
r2,ghost,2026-01-11
r3,a2,2026-01-12
r4,a5,2026-01-13
r5,a6,2026-11-30
r6,a6,2026-01-14
"""

CONTRACTS = """id,account_id,start,end,arr,currency,renewal_of
c1,a1,2025-01-01,2026-01-01,1000,USD,
c2,a1,2026-01-01,2027-01-01,1100,USD,c1
c3,a1,2026-01-01,2027-01-01,1100,USD,c9
c4,a1,2027-01-01,2028-01-01,1200,USD,c3
c5,a6,2026-01-01,2027-01-01,$500,USD,
c6,a6,2026-01-01,2027-01-01,500,USD,c1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "referrals.csv").write_text(REFERRALS)
    (tmp_path / "contracts.csv").write_text(CONTRACTS)
    return tmp_path


def test_every_kind_of_refusal_is_listed_with_row_field_value_and_reason(folder: Path) -> None:
    data, report = io.load_folder(folder, as_of=AS_OF)
    found = [(r.source, r.row, r.field, r.value, r.reason) for r in report.rejections]
    assert found == [
        ("accounts.csv", 3, "customer_since", "'2025-13-01'", "must be an ISO-8601 date or date-time such as "
         "2026-07-01 or 2026-07-01T09:30:00+02:00"),
        ("accounts.csv", 4, "id", "''", "must be given (the field is required)"),
        ("accounts.csv", 5, "id", "'a1'", "must be an id used by no other row (first used on accounts.csv line 2)"),
        ("accounts.csv", 6, "customer_since", "'2026-12-01T00:00:00+00:00'",
         "must be at or before as_of (2026-10-01T00:00:00+00:00)"),
        ("contracts.csv", 4, "renewal_of", "'c9'", "must be the id of a loaded contract (no contract has it)"),
        ("contracts.csv", 5, "renewal_of", "'c3'",
         "must be the id of a loaded contract (contract 'c3' was refused: contracts.csv line 4)"),
        ("contracts.csv", 6, "arr", "'$500'",
         "must be an amount such as 1200.50 (digits and a decimal point, no symbols or thousands separators)"),
        ("contracts.csv", 7, "renewal_of", "'c1'", "must be a contract of the same account ('a6'), not of 'a1'"),
        ("referrals.csv", 3, "account_id", "'ghost'", "must be the id of a loaded account (no account has it)"),
        ("referrals.csv", 4, "account_id", "'a2'",
         "must be the id of a loaded account (account 'a2' was refused: accounts.csv line 3)"),
        ("referrals.csv", 5, "account_id", "'a5'",
         "must be the id of a loaded account (account 'a5' was refused: accounts.csv line 6)"),
        ("referrals.csv", 6, "invited_at", "'2026-11-30T00:00:00+00:00'",
         "must be at or before as_of (2026-10-01T00:00:00+00:00)"),
    ]  # fmt: skip
    assert [a.id for a in data.accounts] == ["a1", "a6"]
    assert [r.id for r in data.referrals] == ["r1", "r6"]
    assert [c.id for c in data.contracts] == ["c1", "c2"]
    counts = {c.collection: (c.read, c.loaded, c.rejected) for c in report.counts}
    assert counts == {"accounts": (6, 2, 4), "contracts": (6, 2, 4), "referrals": (6, 2, 4)}


def test_the_report_reads_well_and_converts_to_json(folder: Path) -> None:
    _, report = io.load_folder(folder, as_of=AS_OF)
    text = report.format(limit=2)
    assert "as_of: 2026-10-01T00:00:00+00:00 (given)" in text
    rows = {
        line.split()[0]: line.split()[1:] for line in text.splitlines() if line.endswith(("4", "rejected"))
    }
    assert rows["source"] == ["read", "loaded", "rejected"] and rows["accounts.csv"] == ["6", "2", "4"]
    assert "12 rows rejected:" in text and "... and 10 more" in text
    assert "accounts.csv line 3, field 'customer_since': '2025-13-01' must be an ISO-8601 date" in text
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["rows_read"] == 18 and payload["rows_rejected"] == 12
    assert payload["rejections"][0]["row"] == 3 and payload["rejections"][0]["row_kind"] == "line"
    assert str(report) == report.format()


def test_strict_mode_raises_on_the_first_bad_row_naming_file_row_field_and_value(folder: Path) -> None:
    with pytest.raises(LoadError) as caught:
        io.load_folder(folder, as_of=AS_OF, strict=True)
    error = caught.value
    assert (error.source, error.row, error.field, error.value) == (
        "accounts.csv",
        3,
        "customer_since",
        "2025-13-01",
    )
    assert str(error).startswith("accounts.csv line 3: field 'customer_since' must be an ISO-8601 date")
    assert isinstance(error, AdvocacyKpisError) and isinstance(error, ValueError)


def test_a_renamed_column_is_named_beside_its_field(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("Account ID,Since\na1,someday\n")
    _, report = io.load_folder(
        tmp_path, as_of=AS_OF, column_map={"accounts": {"Account ID": "id", "Since": "customer_since"}}
    )
    (rejection,) = report.rejections
    assert (rejection.field, rejection.column) == ("customer_since", "Since")
    assert str(rejection).startswith(
        "accounts.csv line 2, field 'customer_since' (column 'Since'): 'someday'"
    )
    with pytest.raises(LoadError, match=r"field 'customer_since' \(column 'Since'\)"):
        io.load_folder(
            tmp_path,
            as_of=AS_OF,
            strict=True,
            column_map={"accounts": {"Since": "customer_since", "Account ID": "id"}},
        )


def test_a_missing_required_column_refuses_every_row_and_says_which_columns_there_are(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("id,since\na1,2025-01-01\na2,2025-01-01\n")
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert data.accounts == () and [r.row for r in report.rejections] == [2, 3]
    assert report.rejections[0].field == "customer_since"
    assert "has no column for this required field (its columns: id, since)" in report.rejections[0].reason


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        'id,customer_since,name\na1,2025-01-01,"Two\nlines"\n\na2,bad,x\na3,2025-01-01,x,extra\n'
    )
    _, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [(r.row, r.field) for r in report.rejections] == [(5, "customer_since"), (6, None)]
    assert str(report.rejections[1]).startswith(
        "accounts.csv line 6: the row must be a row of 3 cells like the header"
    )
    assert report.count("accounts") == io.CollectionCount("accounts", "accounts.csv", 3, 1, 2)
    with pytest.raises(LoadError, match=r"^accounts.csv line 5: field 'customer_since'"):
        io.load_folder(tmp_path, as_of=AS_OF, strict=True)
    (tmp_path / "accounts.csv").write_text("id,customer_since\na1,2025-01-01,extra\n")
    with pytest.raises(
        LoadError, match=r"^accounts.csv line 2: the row must be a row of 2 cells like the header"
    ):
        io.load_folder(tmp_path, as_of=AS_OF, strict=True)


def test_json_lines_are_numbered_by_line_and_a_line_that_is_no_object_is_refused(tmp_path: Path) -> None:
    (tmp_path / "accounts.jsonl").write_text(
        '{"id": "a1", "customer_since": "2025-01-01", "seats": 5, "share": 0.5}\n'
        "\n"
        "[1, 2]\n"
        "{not json\n"
        '{"id": "a2", "customer_since": 20250101}\n'
    )
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [(r.row, r.field) for r in report.rejections] == [(3, None), (4, None), (5, "customer_since")]
    assert dict(data.accounts[0].attributes) == {"seats": 5, "share": "0.5"}


def test_frames_number_rows_by_0_based_position_not_index_label() -> None:
    accounts = pd.DataFrame({"id": ["a1", "a2"], "customer_since": ["2025-01-01", "oops"]}, index=[10, 20])
    _, report = io.from_frames({"accounts": accounts}, as_of=AS_OF)
    (rejection,) = report.rejections
    assert (rejection.source, rejection.row, rejection.row_kind) == ("accounts", 1, "row index")
    assert rejection.where == "accounts row index 1"


def test_a_huge_cell_is_shortened_in_the_report_and_in_the_error(tmp_path: Path) -> None:
    huge = "9" * 100_000
    (tmp_path / "accounts.csv").write_text(f"id,customer_since\na1,{huge}\n")
    _, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert len(report.rejections[0].value) <= 80
    assert len(report.format()) < 1000
    with pytest.raises(LoadError) as caught:
        io.load_folder(tmp_path, as_of=AS_OF, strict=True)
    assert len(str(caught.value)) < 300 and caught.value.value == huge


# -- properties: nothing is lost, collecting never raises, strict raises only LoadError -----------

_COLUMNS = {
    "accounts": ["id", "customer_since", "churned_at", "tier", "icp", "plan", "seats"],
    "referrals": ["id", "account_id", "invited_at", "converted_at", "personalized"],
    "surveys": ["id", "account_id", "kind", "score", "responded_at"],
}
_GOOD = {
    "id": st.sampled_from(["a1", "a2", "a3", "r1", "s1", "x"]),
    "account_id": st.sampled_from(["a1", "a2", "a3", "zz"]),
    "customer_since": st.sampled_from(["2025-01-01", "2026-02-03T04:05:06Z", "2027-01-01"]),
    "churned_at": st.sampled_from(["", "2024-01-01", "2026-05-05"]),
    "invited_at": st.sampled_from(["2026-01-01", "2026-09-30T23:00:00+02:00", "2026-12-01"]),
    "converted_at": st.sampled_from(["", "2026-03-01", "2025-01-01"]),
    "responded_at": st.sampled_from(["2026-03-01", "2026/03/01"]),
    "kind": st.sampled_from(["nps", "CSAT", "upsell", "happy"]),
    "score": st.sampled_from(["0", "5", "10", "11", "4.0", "-1"]),
    "tier": st.sampled_from(["smb", "", "=cmd|' /C calc'!A0"]),
    "icp": st.sampled_from(["yes", "no", "", "maybe"]),
    "personalized": st.sampled_from(["true", "0", "", "2"]),
    "plan": st.sampled_from(["pro", "basic", ""]),
    "seats": st.sampled_from(["5", "12", "", "many"]),
}
_GARBAGE = st.one_of(
    st.text(alphabet=string.printable, max_size=12),
    st.text(min_size=150, max_size=300),
    st.sampled_from(["", " ", "NaN", "null", "'=1+1", "1e400", "0x10", "\u00a0"]),
)


@st.composite
def garbled_folders(draw: st.DrawFn) -> dict[str, str]:
    files: dict[str, str] = {}
    for name, columns in _COLUMNS.items():
        if name != "accounts" and not draw(st.booleans()):
            continue
        chosen = draw(st.permutations(columns))[: draw(st.integers(1, len(columns)))]
        lines = [",".join(chosen)]
        for _ in range(draw(st.integers(0, 6))):
            cells = [draw(st.one_of(_GOOD.get(c, _GARBAGE), _GARBAGE)) for c in chosen]
            if draw(st.integers(0, 9)) == 0:
                cells.append("extra")
            lines.append(",".join(json.dumps(c) if any(ch in c for ch in ',"\n\r') else c for c in cells))
        files[name] = "\n".join(lines) + "\n"
    return files


def strict_error(load: Callable[[], object]) -> LoadError | None:
    """The LoadError a strict load raises, or None when it loads; any other exception propagates."""
    try:
        load()
    except LoadError as error:
        return error
    return None


def _write(folder: Path, files: dict[str, str]) -> None:
    for old in folder.glob("*.csv"):
        old.unlink()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")


_FUZZ = settings(
    max_examples=max(10, settings.default.max_examples // 2),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_FUZZ
@given(garbled_folders())
def test_garbled_files_never_raise_in_collecting_mode_and_every_row_is_counted(
    tmp_path: Path, files: dict[str, str]
) -> None:
    _write(tmp_path, files)
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    for count in report.counts:
        assert count.read == count.loaded + count.rejected
        assert count.loaded == len(getattr(data, count.collection))
        assert count.rejected == sum(1 for r in report.rejections if r.collection == count.collection)
    assert data.supplied == set(files)
    again = rebuilt_by_hand(data)  # what the load accepted passes every check of the constructors
    assert again.as_collections() == data.as_collections()
    for rejection in report.rejections:
        assert len(rejection.value) <= 80
        assert rejection.source == f"{rejection.collection}.csv" and rejection.row >= 2


@_FUZZ
@given(garbled_folders())
def test_strict_mode_raises_only_load_errors_that_name_file_row_field_and_value(
    tmp_path: Path, files: dict[str, str]
) -> None:
    _write(tmp_path, files)
    error = strict_error(lambda: io.load_folder(tmp_path, as_of=AS_OF, strict=True))
    if error is not None:
        assert error.source.endswith(".csv") and error.row >= 2 and error.field
        assert error.source in str(error) and f"line {error.row}" in str(error)
        assert len(str(error)) < 400


_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.text(max_size=20),
    st.decimals(), st.datetimes(), st.datetimes(timezones=st.just(UTC)), st.dates(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


@_FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(_COLUMNS["accounts"] + ["attributes"]), _ANY), max_size=5),
       st.lists(st.one_of(st.dictionaries(st.sampled_from(_COLUMNS["surveys"]), _ANY), st.integers()), max_size=5))  # fmt: skip
def test_rows_of_wrong_types_are_refused_not_raised_and_nothing_is_lost(
    accounts: list[dict[str, Any]], surveys: list[Any]
) -> None:
    data, report = io.from_rows(
        {"accounts": accounts, "surveys": surveys}, as_of=datetime(2026, 10, 1, tzinfo=UTC)
    )
    assert [(c.read, c.loaded + c.rejected) for c in report.counts] == [
        (len(accounts),) * 2,
        (len(surveys),) * 2,
    ]
    assert len(data.surveys) == report.counts[1].loaded
    assert rebuilt_by_hand(data).as_collections() == data.as_collections()
    error = strict_error(
        lambda: io.from_rows({"accounts": accounts, "surveys": surveys}, as_of=AS_OF, strict=True)
    )
    if error is not None:
        assert error.row_kind == "row index" and error.source in ("accounts", "surveys")
