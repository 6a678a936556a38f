"""Fuzzing the loaders: whatever the bytes or values, a load refuses rows or raises a library error.

Each case starts from the tiny sample data set written out (CSV, JSON lines, Parquet) or as
plain rows and frames, damages it (flipped bytes, hostile cells and values, broken lines,
strange column names) and loads it, collecting and strict. Every case must hold:

* no exception escapes other than an `AdvocacyKpisError`;
* every row is accounted for: rows read = loaded + rejected for each collection, the rejected
  rows are those listed, the loaded rows are the records, and rows read equals a count made
  here without the loader (lines, list lengths, table lengths);
* every rejection, note and error message is within `MAX_MESSAGE_LENGTH`.

The normal suite runs a few hundred seeded cases; ``make test-thorough``
(``HYPOTHESIS_PROFILE=thorough``) runs ``FUZZ_CASES`` cases per test (2000 unless set).
"""

from __future__ import annotations

import csv
import io as text_io
import json
import math
import os
import random
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyKpisError, io, sample
from advocacy_kpis.data import COLLECTIONS
from advocacy_kpis.io._dump import record_rows
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH, MAX_MESSAGE_LENGTH

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
CASES = int(os.environ.get("FUZZ_CASES", "2000")) if THOROUGH else 100
FUZZ = settings(
    max_examples=CASES,
    derandomize=not THOROUGH,  # the normal suite runs the same seeded cases every time
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
AS_OF = "2026-10-01"
DATA = sample.tiny()

# -- hostile material ------------------------------------------------------------------------------

LONG = "x" * (MAX_CELL_LENGTH + 1)
TEXTS = [
    "", " ", "\t", "NaN", "nan", "Infinity", "-0", "true", "YES", "1", "0", "2026-13-45", "2026-02-30",
    "0001-01-01", "9999-12-31T23:59:59-05:00", "1_000", "٣", "１２", "1e999999999", "9" * 5000, "-" + "9" * 60,
    "0." + "0" * 80 + "1", "\x1b[2J\x1b[Hevery row was loaded", "=HYPERLINK(\"http://x\")", "'=1+1", "''", "@SUM(A1)",
    "+49", "-5", "<script>alert(1)</script>", "$x$", "\u202eevil", "\x00", "a\nb", "a\rb", '"', "'", ",", "|", ";",
    "reference|webinar", "[[[[", "{", '{"a": 1}', "[" * 70 + "]" * 70, '{"a":' * 100 + "1" + "}" * 100, LONG,
    "nps", "NPS ", "positive", "USD", "usd", "EUR", "XXX", "€", "\ud800",
]  # fmt: skip
BYTES = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b"\xef\xbb\xbf",
]


def deep_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


class Exotic:
    """An object no converter knows, whose repr fails."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


VALUES: list[Callable[[], Any]] = [
    lambda: None, lambda: math.nan, lambda: math.inf, lambda: -math.inf, lambda: 10**5000, lambda: -(10**60),
    lambda: Decimal("1e999999999"), lambda: Decimal("sNaN"), lambda: Decimal("NaN"), lambda: Decimal("-0"),
    lambda: b"\xff\xfe", lambda: bytearray(b"ab"), lambda: deep_list(50), lambda: deep_list(5000),
    lambda: {"a": {"b": [1, 2]}}, lambda: {1: 2}, lambda: {"seats": 10**5000}, lambda: {"k": LONG}, lambda: {"" : ""},
    lambda: {1, 2}, lambda: (1, "a"), lambda: [], lambda: ["reference", 3], lambda: np.int64(3),
    lambda: np.float64("nan"), lambda: np.bool_(True), lambda: np.str_("nps"), lambda: np.datetime64("NaT"),
    lambda: np.datetime64("2026-01-01"), lambda: np.array(["reference"]), lambda: np.array([[1, 2], [3, 4]]),
    lambda: np.float32(2.5), lambda: pd.NA, lambda: pd.NaT, lambda: pd.Timestamp("2026-01-01", tz="UTC"),
    lambda: datetime(2026, 1, 1), lambda: datetime(1, 1, 1, tzinfo=UTC), lambda: date(9999, 12, 31),
    lambda: time(12, 0), lambda: object(), lambda: Exotic(), lambda: True, lambda: False, lambda: 0, lambda: 1,
    lambda: 2.5, lambda: -1, lambda: 10.0**300,
]  # fmt: skip


def hostile_text(rng: random.Random) -> str:
    text = rng.choice(TEXTS)
    return text if rng.random() < 0.7 else text + rng.choice(TEXTS)


def hostile_value(rng: random.Random) -> Any:
    return rng.choice(TEXTS) if rng.random() < 0.3 else rng.choice(VALUES)()


# -- the base data, in each form ----------------------------------------------------------------


def base_rows() -> dict[str, list[dict[str, Any]]]:
    rows = {}
    for name in DATA.supplied:
        _, collection = record_rows(getattr(DATA, name), COLLECTIONS[name])
        rows[name] = [{k: _plain(v) for k, v in row.items()} for row in collection]
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [getattr(v, "value", v) for v in value]
    return getattr(value, "value", value)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    for format in ("csv", "jsonl", "parquet"):
        folder = tmp_path_factory.mktemp(format)
        io.dump(DATA, folder, format=format)
        folders[format] = folder
    return folders


# -- the checks ---------------------------------------------------------------------------------


def check_messages(texts: list[str]) -> None:
    for text in texts:
        assert len(text) <= MAX_MESSAGE_LENGTH, f"a message of {len(text)} characters: {text[:300]!r}..."


def check_load(load: Callable[[bool], io.Loaded], counts: dict[str, int | None]) -> None:
    """Load collecting and strict; only library errors, every row accounted for, short messages."""
    for strict in (False, True):
        try:
            data, report = load(strict)
        except AdvocacyKpisError as error:
            check_messages([str(error)])
            continue
        check_messages([str(r) for r in report.rejections] + list(report.notes))
        check_messages(report.format(limit=None).splitlines())
        listed: dict[str, int] = {}
        for rejection in report.rejections:
            listed[rejection.collection] = listed.get(rejection.collection, 0) + 1
        for count in report.counts:
            assert count.read == count.loaded + count.rejected, count
            assert count.rejected == listed.get(count.collection, 0), count
            assert count.loaded == len(getattr(data, count.collection)), count
            expected = counts.get(count.collection)
            if expected is not None:
                assert count.read == expected, (count, expected)
        if strict:
            assert report.ok


# -- mutating files -----------------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random, textual: bool) -> bytes:
    content = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(content))
        action = rng.random()
        if action < 0.35 and textual:
            token = hostile_text(rng).encode("utf-8", "surrogatepass")
            if rng.random() < 0.5 and token and b'"' not in token:
                token = b'"' + token.replace(b'"', b'""') + b'"'
            content[at:at] = token
        elif action < 0.55:
            content[at:at] = rng.choice(BYTES)
        elif action < 0.7 and content:
            content[min(at, len(content) - 1)] = rng.randrange(256)
        elif action < 0.8:
            del content[at : at + rng.randint(1, 40)]
        elif action < 0.9 and textual:
            lines = bytes(content).split(b"\n")
            line = rng.randrange(len(lines))
            lines.insert(line, lines[rng.randrange(len(lines))])  # a repeated row: a repeated id
            content = bytearray(b"\n".join(lines))
        else:
            del content[at:]
    return bytes(content)


def mutate_csv_header(data: bytes, rng: random.Random) -> bytes:
    header, _, rest = data.partition(b"\r\n")
    names = header.decode().split(",")
    names[rng.randrange(len(names))] = rng.choice(
        ["'=tier", "@x", "\x1b[2Jname", "y" * 300, "id", "", " tier ", "attributes", "\u202eowner"]
    )
    return ",".join(names).encode() + b"\r\n" + rest


def jsonl_line(rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.2:
        return b"[" * rng.choice([65, 1000, 100_000]) + b"]" * 3
    if choice < 0.4:
        return b'{"id": ' + b"9" * rng.choice([60, 5000]) + b"}"
    if choice < 0.5:
        return b'{"id": "a", "attributes": ' + b'{"a": ' * 80 + b"1" + b"}" * 81
    if choice < 0.6:
        return rng.choice([b"null", b"[]", b'"text"', b"1e999999999", b'{"id": 1e999999999}', b"{1: 2}"])
    if choice < 0.7:
        return b'{"id": "' + LONG.encode() + b'"}'
    return json.dumps({"id": hostile_text(rng), "account_id": hostile_text(rng)}).encode()


def counted_lines(data: bytes) -> int:
    """JSON lines: the non-blank lines, split as a text file's are."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return sum(1 for line in data.splitlines() if line.strip(b" \t\x0b\x0c"))


def counted_csv_rows(path: Path) -> int | None:
    """CSV: the records after the header that are not blank lines, by csv.reader (None if it cannot)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
        previous = csv.field_size_limit(2**31 - 1)
        try:
            rows = list(csv.reader(text_io.StringIO(text, newline="")))
        finally:
            csv.field_size_limit(previous)
    except (UnicodeDecodeError, csv.Error):
        return None
    return sum(1 for row in rows[1:] if row)


def damaged_folder(base: Path, target: Path, rng: random.Random, format: str) -> dict[str, int | None]:
    """Copy ``base`` into ``target``, damaging a few of its files; the rows each file holds."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target)
    files = sorted(target.glob(f"*.{format}"))
    for path in rng.sample(files, rng.randint(1, 3)):
        data = path.read_bytes()
        if format == "csv":
            data = mutate_csv_header(data, rng) if rng.random() < 0.2 else mutate_bytes(data, rng, True)
        elif format == "jsonl":
            lines = data.split(b"\n")
            if rng.random() < 0.5:
                lines.insert(rng.randrange(len(lines)), jsonl_line(rng))
                data = b"\n".join(lines)
            else:
                data = mutate_bytes(data, rng, True)
        else:
            data = mutate_bytes(data, rng, False) if rng.random() < 0.3 else damaged_parquet(path, rng)
        path.write_bytes(data)
    counts: dict[str, int | None] = {}
    for path in target.glob(f"*.{format}"):
        if format == "jsonl":
            counts[path.stem] = counted_lines(path.read_bytes())
        elif format == "csv":
            counts[path.stem] = counted_csv_rows(path)
        else:
            try:
                counts[path.stem] = pq.ParquetFile(path).metadata.num_rows
            except Exception:
                counts[path.stem] = None
    return counts


def arrow_column(rng: random.Random, rows: int) -> pa.Array:
    kind = rng.randrange(9)
    if kind == 0:  # text that is not UTF-8
        values = [rng.choice([b"ok", b"\xff\xfe", None, b"\xc3"]) for _ in range(rows)]
        return pa.array(values, type=pa.binary()).view(pa.string())
    if kind == 1:
        return pa.array([rng.choice([LONG, "", " ", "x", None]) for _ in range(rows)], type=pa.large_string())
    if kind == 2:
        return pa.array([rng.choice([2**63 - 1, -(2**63), 0, None]) for _ in range(rows)], type=pa.int64())
    if kind == 3:
        return pa.array(
            [rng.choice([math.nan, math.inf, 1e300, None]) for _ in range(rows)], type=pa.float64()
        )
    if kind == 4:
        return pa.array(
            [rng.choice([2**62, -(2**62), 0, None]) for _ in range(rows)], type=pa.timestamp("us")
        )
    if kind == 5:
        return pa.array([rng.choice([["reference"], [], None, ["x", None]]) for _ in range(rows)])
    if kind == 6:
        return pa.array([rng.choice([Decimal("9" * 38), Decimal("-1E-10"), None]) for _ in range(rows)])
    if kind == 7:
        return pa.array([rng.choice([{"a": 1}, None]) for _ in range(rows)])
    return pa.array([rng.choice([True, False, None]) for _ in range(rows)])


def damaged_parquet(path: Path, rng: random.Random) -> bytes:
    table = pq.read_table(path)
    for _ in range(rng.randint(1, 3)):
        column = rng.randrange(table.num_columns)
        table = table.set_column(column, table.column_names[column], arrow_column(rng, table.num_rows))
    out = pa.BufferOutputStream()
    pq.write_table(table, out)
    return bytes(out.getvalue().to_pybytes())


@FUZZ
@given(rng=st.randoms(use_true_random=False), format=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_damaged_files_refuse_rows_or_raise_a_library_error(
    exports: dict[str, Path], tmp_path: Path, rng: random.Random, format: str
) -> None:
    counts = damaged_folder(exports[format], tmp_path / "case", rng, format)
    check_load(lambda strict: io.load_folder(tmp_path / "case", strict=strict), counts)


# -- mutating rows and frames -------------------------------------------------------------------


def damaged_rows(rng: random.Random) -> dict[str, Any]:
    rows = base_rows()
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(sorted(rows))
        collection = rows[name]
        mappings = [row for row in collection if isinstance(row, dict)]
        action = rng.random()
        if action < 0.55:
            if mappings:
                row = rng.choice(mappings)
                key = rng.choice(list(row)) if row and rng.random() < 0.8 else hostile_text(rng)[:50]
                row[key] = hostile_value(rng)
        elif action < 0.65:
            collection.append(rng.choice([None, [], "row", 5, {1: "a"}, {LONG: 1}]))
        elif action < 0.75:
            if mappings:
                collection.append(dict(rng.choice(mappings)))  # a repeated id
        elif action < 0.85:
            if mappings:
                row = rng.choice(mappings)
                if row:
                    del row[rng.choice(list(row))]
        else:
            rows[name] = []
    return rows


def row_counts(rows: dict[str, Any]) -> dict[str, int | None]:
    return {name: len(collection) for name, collection in rows.items()}


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_damaged_rows_refuse_rows_or_raise_a_library_error(rng: random.Random) -> None:
    rows = damaged_rows(rng)
    check_load(lambda strict: io.from_rows(rows, as_of=AS_OF, strict=strict), row_counts(rows))


def _deep(value: Any) -> bool:
    """Nested more than 64 lists deep: pyarrow and Polars may crash building a table of it."""
    for _ in range(64):
        if not isinstance(value, list) or not value:
            return False
        value = value[0]
    return True


def frames_of(rows: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    frames: dict[str, Any] = {}
    for name, collection in rows.items():
        kept = [row for row in collection if isinstance(row, dict) and all(isinstance(k, str) for k in row)]
        rows[name] = kept
        kind = 0.0 if any(_deep(value) for row in kept for value in row.values()) else rng.random()
        # Polars is given what Arrow accepts: built from any Python value, it can panic or hang.
        builders: list[Callable[[], Any]] = [
            lambda rows=kept: pd.DataFrame(rows),
            lambda rows=kept: pa.Table.from_pylist(rows),
            lambda rows=kept: pl.from_arrow(pa.Table.from_pylist(rows)),
        ]
        chosen = builders[0 if kind < 0.6 else 1 if kind < 0.8 else 2]
        for build in (chosen, builders[0]):
            try:
                frames[name] = build()
                break
            except (Exception, pl.exceptions.PanicException):  # values the table library refuses itself
                continue
    return frames


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_damaged_frames_refuse_rows_or_raise_a_library_error(rng: random.Random) -> None:
    rows = damaged_rows(rng)
    frames = frames_of(rows, rng)
    counts: dict[str, int | None] = {name: len(frame) for name, frame in frames.items()}
    check_load(lambda strict: io.from_frames(frames, as_of=AS_OF, strict=strict), counts)


def test_the_fuzzing_reaches_every_kind_of_refusal(exports: dict[str, Path], tmp_path: Path) -> None:
    """The seeded cases are not all refused for one easy reason: over a few of them, rows are
    refused for bad cells, long cells, broken lines and references, and some loads succeed."""
    reasons: set[str] = set()
    rng = random.Random(19)
    for case in range(60):
        format = ("csv", "jsonl", "parquet")[case % 3]
        damaged_folder(exports[format], tmp_path / "case", rng, format)
        try:
            _, report = io.load_folder(tmp_path / "case")
        except AdvocacyKpisError:
            continue
        reasons.update(r.expected.split(" (")[0][:40] for r in report.rejections)
    assert len(reasons) >= 10, reasons
