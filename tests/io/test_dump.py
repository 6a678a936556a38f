"""Writing data out: dump then load gives an equal data set; CSV cells never run as formulas."""

from __future__ import annotations

import csv
import io as stdio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis import Account, AdvocacyData, Calendar, ParameterError, SourceError, io, sample
from advocacy_kpis.data import COLLECTIONS
from tests.strategies import datasets

FORMATS = ("csv", "jsonl", "parquet")


def assert_same(back: AdvocacyData, data: AdvocacyData) -> None:
    assert back.supplied == data.supplied
    assert back.as_of == data.as_of and back.calendar == data.calendar
    for name in COLLECTIONS:
        assert getattr(back, name) == getattr(data, name), name


@pytest.mark.parametrize("format", FORMATS)
@settings(max_examples=max(5, settings.default.max_examples // 4))
@given(data=datasets(max_accounts=5, max_per_account=2), keep=st.sets(st.sampled_from(list(COLLECTIONS))))
def test_dump_then_load_gives_an_equal_data_set(format: str, data: AdvocacyData, keep: set[str]) -> None:
    chosen = {n: getattr(data, n) for n in COLLECTIONS if n in keep or n == "accounts"}
    berlin = Calendar(timezone=ZoneInfo("Europe/Berlin"), fiscal_year_start_month=2)
    data = AdvocacyData.from_records(as_of=data.as_of, calendar=berlin, **chosen)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        written = io.dump(data, folder, format=format)  # type: ignore[arg-type]
        assert {p.name for p in written} == {f"{n}.{format}" for n in chosen} | {"advocacy.toml"}
        back, report = io.load_folder(folder)
    assert report.ok, report.format()
    assert_same(back, data)


@pytest.mark.parametrize("format", FORMATS)
def test_the_sample_round_trips_with_tricky_text(format: str, tmp_path: Path) -> None:
    tricky = Account(
        id="=HYPERLINK(1)", customer_since=datetime(2025, 1, 1, tzinfo=UTC), name="'quoted",
        tier="-5", region="+49", industry="@home", icp=None,
        attributes={"note": "\tindent", "code": "-7", "seats": -3, "vip": False, "blank": " x ",
                    "=calc": "c", "@handle": "h", "+plus": "p"},  # names the CSV writer neutralises
    )  # fmt: skip
    base = sample.tiny()
    data = AdvocacyData.from_records(
        **{**base.as_collections(), "accounts": [*base.accounts, tricky]}, as_of=base.as_of
    )  # type: ignore[arg-type]
    io.dump(data, tmp_path, format=format)  # type: ignore[arg-type]
    back, report = io.load_folder(tmp_path)
    assert report.ok
    assert_same(back, data)


def test_every_text_cell_that_a_spreadsheet_would_run_is_written_with_a_quote(tmp_path: Path) -> None:
    rows = [
        {"a": "=1+1", "b": "+1", "c": "-1", "d": "@x", "e": "\tx", "f": "\rx", "g": "ok", "h": -1, "i": "'x"}
    ]
    out = stdio.StringIO()
    io.write_csv(rows, out)
    header, cells = list(csv.reader(stdio.StringIO(out.getvalue())))
    assert header == list("abcdefghi")
    assert cells == ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", "-1", "''x"]


def test_headers_are_neutralised_too_and_a_path_works(tmp_path: Path) -> None:
    io.write_csv([{"=evil": 1}], tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text().splitlines() == ["'=evil", "1"]


def test_csv_safe_leaves_other_values_alone() -> None:
    assert [io.csv_safe(v) for v in ("plain", "", 5, None, "a=b")] == ["plain", "", 5, None, "a=b"]


def test_dump_refuses_an_unknown_format_and_a_second_file_for_a_collection(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="'csv', 'jsonl' or 'parquet'"):
        io.dump(sample.tiny(), tmp_path, format="xlsx")  # type: ignore[arg-type]
    io.dump(sample.tiny(), tmp_path, format="csv")
    with pytest.raises(SourceError, match="one file per collection"):
        io.dump(sample.tiny(), tmp_path, format="jsonl")


def test_an_attribute_named_like_a_field_cannot_even_be_built(tmp_path: Path) -> None:
    # The record refuses it, so no data set can hold a column that would dump twice.
    from advocacy_kpis import InvalidRecordError

    with pytest.raises(InvalidRecordError, match="'tier' is a field of Account"):
        Account(id="a1", customer_since=datetime(2025, 1, 1, tzinfo=UTC), attributes={"tier": "x"})


def test_dump_refuses_what_is_no_data_set_and_a_file_for_a_folder(tmp_path: Path) -> None:
    with pytest.raises(
        ParameterError, match="'data' parameter of advocacy_kpis.io.dump must be an AdvocacyData"
    ):
        io.dump({}, tmp_path)  # type: ignore[arg-type]
    existing = tmp_path / "export"
    existing.write_text("a file")
    with pytest.raises(SourceError, match="export' is a file, not a folder"):
        io.dump(sample.tiny(), existing)
    with pytest.raises(SourceError, match="cannot be written"):
        io.dump(sample.tiny(), existing / "inside")  # a folder under a file cannot be made


def test_write_csv_refuses_what_is_no_rows(tmp_path: Path) -> None:
    with pytest.raises(
        ParameterError, match="'rows' parameter of advocacy_kpis.io.write_csv must be an iterable"
    ):
        io.write_csv(None, tmp_path / "out.csv")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="must be mappings of column name to value"):
        io.write_csv([["a", "b"]], tmp_path / "out.csv")  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="'file' parameter"):
        io.write_csv([{"a": 1}], 5)  # type: ignore[arg-type]
    with pytest.raises(SourceError, match="cannot be written"):
        io.write_csv([{"a": 1}], tmp_path / "no such folder" / "out.csv")
