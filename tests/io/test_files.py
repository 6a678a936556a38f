"""What a data folder's files may be: regular files of bounded size, each bad line or cell refused alone.

Tests that could hang on a regression (a FIFO, an endless device) load in a child process with
a timeout, so a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from advocacy_kpis import LoadError, SettingsError, SourceError, io
from advocacy_kpis.io import _files, _sources
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH, MAX_MESSAGE_LENGTH, MAX_NESTING

AS_OF = "2026-10-01"
ACCOUNTS = "id,customer_since\na1,2025-01-01\na2,2025-02-01\n"
POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")


def folder_with_accounts(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    return tmp_path


def load_in_child(folder: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Load ``folder`` in a fresh interpreter; print the error's class and message, or "loaded"."""
    code = textwrap.dedent(
        f"""
        from advocacy_kpis import AdvocacyKpisError, io
        try:
            io.load_folder({str(folder)!r}, as_of="2026-10-01")
        except AdvocacyKpisError as error:
            print(type(error).__name__, error)
        else:
            print("loaded")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )


@POSIX
@pytest.mark.parametrize("name", ["referrals.csv", "referrals.jsonl", "referrals.parquet", "advocacy.toml"])
def test_a_fifo_in_the_folder_is_refused_by_name_without_waiting_for_a_writer(
    tmp_path: Path, name: str
) -> None:
    os.mkfifo(folder_with_accounts(tmp_path) / name)
    result = load_in_child(tmp_path)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "a FIFO (named pipe), not a regular file" in result.stdout
    assert result.stdout.startswith("SettingsError" if name.endswith(".toml") else "SourceError")


@POSIX
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["referrals.csv", "referrals.jsonl", "referrals.parquet", "advocacy.toml"])
def test_a_symlink_to_dev_zero_is_refused_as_a_device_not_read_for_ever(tmp_path: Path, name: str) -> None:
    (folder_with_accounts(tmp_path) / name).symlink_to("/dev/zero")
    result = load_in_child(tmp_path)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "a character device, not a regular file" in result.stdout


@POSIX
def test_a_socket_and_a_folder_named_like_a_collection_are_refused(tmp_path: Path) -> None:
    folder = folder_with_accounts(tmp_path)
    (folder / "surveys.csv").mkdir()
    with pytest.raises(SourceError, match=r"surveys.csv: is a folder, not a regular file"):
        io.load_folder(folder, as_of=AS_OF)
    (folder / "surveys.csv").rmdir()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "referrals.csv"))
        with pytest.raises(SourceError, match=r"referrals.csv: is a socket, not a regular file"):
            io.load_folder(folder, as_of=AS_OF)


@POSIX
def test_an_irregular_file_that_names_no_collection_is_noted_not_opened(tmp_path: Path) -> None:
    folder = folder_with_accounts(tmp_path)
    os.mkfifo(folder / "notes.txt")
    data, report = io.load_folder(folder, as_of=AS_OF)
    assert len(data.accounts) == 2 and any("notes.txt was not read" in note for note in report.notes)


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("id,account_id,invited_at\nr1,a1,2026-02-01\n")
    (tmp_path / "data").mkdir()
    folder = folder_with_accounts(tmp_path / "data")
    (folder / "referrals.csv").symlink_to(source)
    data, _ = io.load_folder(folder, as_of=AS_OF)
    assert [r.id for r in data.referrals] == ["r1"]


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_a_file_larger_than_the_bound_is_refused_before_it_is_read(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = folder_with_accounts(tmp_path)
    io.dump(io.from_rows({"accounts": [{"id": "a1", "customer_since": "2025-01-01"}]}).data, folder / "out",
            format=suffix, settings=False)  # fmt: skip
    (folder / "accounts.csv").unlink()
    target = folder / f"accounts.{suffix}"
    (folder / "out" / f"accounts.{suffix}").rename(target)
    size = target.stat().st_size
    monkeypatch.setattr(_sources, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(
        SourceError, match=rf"accounts.{suffix}: {size:,} bytes, more than the {size - 1:,} bytes"
    ):
        io.load_folder(folder, as_of=AS_OF)
    monkeypatch.setattr(_sources, "MAX_FILE_BYTES", size)
    assert len(io.load_folder(folder, as_of=AS_OF).data.accounts) == 1


def test_a_file_that_grows_while_it_is_read_is_refused_at_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"x" * 10)
    with _files.open_regular(path, limit=100) as handle:
        with path.open("ab") as writer:
            writer.write(b"y" * 1000)  # written after the size was checked
        with pytest.raises(SourceError, match="more than the 100 bytes a file may hold"):
            handle.read()


def test_a_settings_file_larger_than_its_bound_is_refused(tmp_path: Path) -> None:
    (folder_with_accounts(tmp_path) / "advocacy.toml").write_text("# " + "x" * (1024**2) + "\n")
    with pytest.raises(SettingsError, match=r"advocacy.toml: 1,048,579 bytes, more than the 1,048,576 bytes"):
        io.load_folder(tmp_path)


# -- one bad cell or line refuses its row, never the file -----------------------------------------


def test_a_csv_cell_beyond_the_cell_bound_refuses_its_row_alone(tmp_path: Path) -> None:
    # csv.reader refuses a field over 131,072 characters by default, which refused the whole file.
    folder = folder_with_accounts(tmp_path)
    long = "x" * (MAX_CELL_LENGTH + 1)
    within = "y" * 200_000
    (folder / "referrals.csv").write_text(
        f'id,account_id,invited_at,channel\nr1,a1,2026-02-01,{within}\nr2,a1,2026-02-01,"{long}"\nr3,a2,2026-03-01,\n'
    )
    data, report = io.load_folder(folder, as_of=AS_OF)
    assert [r.id for r in data.referrals] == ["r1", "r3"]
    assert data.referrals[0].channel == within
    (rejection,) = report.rejections
    assert (rejection.row, rejection.field) == (3, "channel")
    assert rejection.expected == "text of at most 1,048,576 characters"
    assert len(str(rejection)) < 300


@pytest.mark.parametrize("format", ["jsonl", "parquet", "rows"])
def test_a_cell_beyond_the_cell_bound_refuses_its_row_in_every_format(tmp_path: Path, format: str) -> None:
    rows = [
        {"id": "a1", "customer_since": "2025-01-01", "tier": "x" * (MAX_CELL_LENGTH + 1)},
        {"id": "a2", "customer_since": "2025-01-01", "tier": "smb"},
    ]
    if format == "rows":
        data, report = io.from_rows({"accounts": rows}, as_of=AS_OF)
    else:
        path = tmp_path / f"accounts.{format}"
        if format == "jsonl":
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        else:
            pq.write_table(pa.Table.from_pylist(rows), path)
        data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [a.id for a in data.accounts] == ["a2"]
    assert [(r.field, r.expected) for r in report.rejections] == [
        ("tier", "text of at most 1,048,576 characters")
    ]


def test_a_json_line_nested_beyond_the_bound_is_refused_alone(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError on this
    nested = '{"id": "a3", "customer_since": "2025-01-01", "attributes": ' + '{"a": ' * 70 + "1" + "}" * 71
    lines = [
        '{"id": "a1", "customer_since": "2025-01-01"}',
        deep,
        nested,
        '{"id": "a2", "customer_since": "2025-01-01"}',
    ]
    (tmp_path / "accounts.jsonl").write_text("\n".join(lines) + "\n")
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [a.id for a in data.accounts] == ["a1", "a2"]
    assert [r.row for r in report.rejections] == [2, 3]
    assert report.rejections[0].expected == f"a JSON object nested at most {MAX_NESTING} deep"
    assert report.count("accounts") is not None and report.count("accounts").read == 4  # type: ignore[union-attr]


def test_a_json_line_with_a_5000_digit_integer_is_refused_alone(tmp_path: Path) -> None:
    lines = ['{"id": "a1", "customer_since": "2025-01-01"}', '{"id": "a2", "seats": ' + "9" * 5000 + "}"]
    (tmp_path / "accounts.jsonl").write_text("\n".join(lines) + "\n")
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [a.id for a in data.accounts] == ["a1"] and [r.row for r in report.rejections] == [2]
    assert len(report.rejections[0].value) <= 80


def test_a_json_line_that_is_not_utf8_is_refused_alone(tmp_path: Path) -> None:
    (tmp_path / "accounts.jsonl").write_bytes(
        b'\xef\xbb\xbf{"id": "a1", "customer_since": "2025-01-01"}\r\n'
        b'{"id": "a\xff2", "customer_since": "2025-01-01"}\r\n'
        b'{"id": "a3", "customer_since": "2025-01-01"}\r\n'
    )
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [a.id for a in data.accounts] == ["a1", "a3"]
    (rejection,) = report.rejections
    assert rejection.row == 2 and rejection.expected == "a JSON object on one line, in UTF-8"


def test_a_parquet_text_cell_that_is_not_utf8_is_refused_alone(tmp_path: Path) -> None:
    # pyarrow raises UnicodeDecodeError converting such a column, which refused the whole file.
    ids = pa.array([b"a1", b"a\xff2", b"a3"], type=pa.binary()).view(pa.string())
    since = pa.array(["2025-01-01"] * 3)
    pq.write_table(pa.table({"id": ids, "customer_since": since}), tmp_path / "accounts.parquet")
    data, report = io.load_folder(tmp_path, as_of=AS_OF)
    assert [a.id for a in data.accounts] == ["a1", "a3"]
    (rejection,) = report.rejections
    assert (rejection.row, rejection.field) == (1, "id") and "not UTF-8" in rejection.value


def test_a_csv_file_that_is_not_utf8_is_refused_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_bytes(b"id,customer_since\na1,2025-01-01\nM\xfcller,2025-01-01\n")
    with pytest.raises(
        SourceError, match=r"accounts.csv line 3: not UTF-8 text \(invalid start byte at byte 2"
    ):
        io.load_folder(tmp_path, as_of=AS_OF)


def test_a_numpy_scalar_in_influences_refuses_its_row() -> None:
    import numpy as np

    rows = {
        "accounts": [{"id": "a1", "customer_since": "2025-01-01"}],
        "opportunities": [
            {
                "id": "o1",
                "created_at": "2026-01-01",
                "amount": 5,
                "currency": "USD",
                "source": "x",
                "influences": np.int64(3),
            },
            {
                "id": "o2",
                "created_at": "2026-01-01",
                "amount": 5,
                "currency": "USD",
                "source": "x",
                "influences": np.array(["reference"]),
            },
        ],
    }
    data, report = io.from_rows(rows, as_of=AS_OF)
    assert [o.id for o in data.opportunities] == ["o2"]
    assert [(r.row, r.field) for r in report.rejections] == [(0, "influences")]


def test_a_huge_id_is_quoted_short_in_every_rejection() -> None:
    huge = "x" * 1_000_000  # within the cell bound: an id, not a refused cell
    rows = {
        "accounts": [
            {"id": "a1", "customer_since": "2025-01-01"},
            {"id": huge, "customer_since": "2025-13-01"},
        ],
        "referrals": [{"id": "r1", "account_id": huge, "invited_at": "2026-01-01"}],
        "contracts": [
            {
                "id": "c1",
                "account_id": "a1",
                "start": "2025-01-01",
                "end": "2026-01-01",
                "arr": 1,
                "currency": "USD",
                "renewal_of": huge,
            },
            {
                "id": huge,
                "account_id": "a1",
                "start": "2025-01-01",
                "end": "2026-01-01",
                "arr": 1,
                "currency": "USD",
                "renewal_of": "c3",
            },
            {
                "id": "c3",
                "account_id": "a1",
                "start": "2025-01-01",
                "end": "2026-01-01",
                "arr": 1,
                "currency": "USD",
                "renewal_of": huge,
            },
        ],
    }
    data, report = io.from_rows(rows, as_of=AS_OF)
    assert [c.id for c in data.contracts] == []
    assert len(report.rejections) == 5
    for rejection in report.rejections:
        assert len(str(rejection)) <= 400, str(rejection)[:500]
    # The cycle names its ids shortened, and the row renewing the refused contract names it too.
    assert "renewal cycle: 'xxxx" in str(report) and "(1000000 characters)" in str(report)
    # Five rows and the summary of their reasons, each line short.
    assert len(str(report)) < 5000 and max(map(len, str(report).splitlines())) < 600
    with pytest.raises(LoadError) as raised:
        io.from_rows(rows, as_of=AS_OF, strict=True)
    assert len(str(raised.value)) <= MAX_MESSAGE_LENGTH


def test_attribute_names_the_csv_writer_guarded_come_back_unchanged(tmp_path: Path) -> None:
    data = io.from_rows(
        {"accounts": [{"id": "a1", "customer_since": "2025-01-01", "=owner": "dana", "@team": 5, "'x": True}]}
    ).data
    io.dump(data, tmp_path)
    assert (tmp_path / "accounts.csv").read_text().splitlines()[0].endswith(",''x,'=owner,'@team")
    again, report = io.load_folder(tmp_path)
    assert report.ok and dict(again.accounts[0].attributes) == {"=owner": "dana", "@team": 5, "'x": True}
    assert again.accounts == data.accounts
