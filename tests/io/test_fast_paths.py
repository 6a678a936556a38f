"""The loader's fast paths give what the careful paths give.

A load converts each column with a pass that lets through cells already holding their value,
builds records without the checks that conversion has answered, and makes the checks across
records once, row by row, instead of again in `AdvocacyData.from_records`. Each shortcut is held
here to the slow path it stands for.
"""

from __future__ import annotations

import contextlib
import gc
import math
import string
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import AdvocacyData, Calendar, InvalidRecordError, LoadError, SourceError, io
from advocacy_kpis.data import COLLECTIONS
from advocacy_kpis.io import _load, _sources, coerce
from advocacy_kpis.records import (
    _SHAPE_CHECKS,
    Account,
    Contract,
    Referral,
    SurveyKind,
    SurveyResponse,
    column_builder,
)
from tests.io.revalidate import rebuilt_by_hand
from tests.strategies import datasets

BERLIN = Calendar("Europe/Berlin")
T0 = datetime(2026, 1, 1, tzinfo=UTC)

_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(),
    st.decimals(),
    st.text(max_size=6),
    st.text(alphabet=" \t\u00a0", max_size=3),
    st.sampled_from(["true", "FALSE", "Yes", "no", "1", "0", "tRuE", "maybe", "'=1", "2026-07-01"]),
    st.sampled_from(["2026-07-01T09:30:00+00:00", "2026-07-01T09:30:00Z", "2026-07-01T09:30:00+02:00"]),
    st.sampled_from(["2026-07-01T09:30:00.123456+00:00", "2026-07-01T09:30:00", " 2026-07-01T09:30:00Z "]),
    st.sampled_from(["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "2026-02-30T00:00:00+00:00"]),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5))])),
    st.dates(),
    st.lists(st.integers(), max_size=2),
)


_KNOWN_CELLS = [
    None, True, False, 0, 1, 2, 0.0, 1.0, float("nan"), Decimal(1), "", " ", "\t", "\u00a0", "a1", "'=1",
    "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "1", "0",
    "tRuE", "maybe", "2026-07-01", "2026-07-01T09:30:00+00:00", "2026-07-01T09:30:00Z",
    "2026-07-01T09:30:00+02:00", "2026-07-01T09:30:00.123456+00:00", "2026-07-01T09:30:00",
    " 2026-07-01T09:30:00Z ", "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",
    "2026-02-30T00:00:00+00:00", "2026-07-01T09:30:00+00:00 and more", datetime(2026, 7, 1, 9, 30),
    T0, datetime(2026, 7, 1, tzinfo=timezone(timedelta(hours=5))), date(2026, 7, 1), [1, 2],
]  # fmt: skip


@pytest.mark.parametrize("kind", ["text", "instant", "bool"])
@pytest.mark.parametrize("calendar", [Calendar(), BERLIN], ids=["UTC", "Berlin"])
def test_fast_column_paths_agree_with_the_converter_on_every_known_cell(
    kind: str, calendar: Calendar
) -> None:
    for cell in _KNOWN_CELLS:
        check_fast_path([cell], kind, calendar)
        check_fast_path([T0, "a1", cell, None], kind, calendar)


@pytest.mark.parametrize("calendar", [Calendar(), BERLIN], ids=["UTC", "Berlin"])
def test_the_fast_paths_for_text_files_agree_with_the_converter(calendar: Calendar) -> None:
    texts = [cell for cell in _KNOWN_CELLS if isinstance(cell, str)] + [
        " " * 25,
        "2026-07-01T09:30:00+00:00\t",
    ]
    for cell in texts:
        for kind in ("instant text", "text text"):
            check_fast_path([cell], kind, calendar)
            check_fast_path(["2026-07-01T09:30:00Z", cell, ""], kind, calendar)


@given(
    st.lists(
        st.one_of(st.text(max_size=30), st.sampled_from([c for c in _KNOWN_CELLS if isinstance(c, str)]))
    )
)
def test_the_fast_paths_for_text_files_agree_on_any_text(cells: list[str]) -> None:
    check_fast_path(cells, "instant text", BERLIN)
    check_fast_path(cells, "text text", BERLIN)


@given(st.lists(_CELLS, max_size=8), st.sampled_from(["text", "instant", "bool"]), st.booleans())
def test_fast_column_paths_agree_with_the_converter_cell_by_cell(
    cells: list[Any], kind: str, in_berlin: bool
) -> None:
    check_fast_path(cells, kind, BERLIN if in_berlin else Calendar())


def check_fast_path(cells: list[Any], kind: str, calendar: Calendar) -> None:
    convert = {
        "text": coerce.to_text,
        "instant": coerce.instant_converter(calendar),
        "instant text": coerce.instant_converter(calendar),
        "text text": coerce.to_text,
        "bool": coerce.to_bool,
    }[kind]
    expected_values, expected_refused = [], {}
    for position, cell in enumerate(cells):
        try:
            expected_values.append(convert(cell))
        except coerce.Refused as refusal:
            expected_values.append(None)
            expected_refused[position] = refusal.expected
    values, refused = _load._convert(cells, convert, kind)
    assert refused == expected_refused
    assert values == expected_values
    assert [type(v) for v in values] == [type(v) for v in expected_values]
    if kind == "instant":
        assert all(v is None or v.tzinfo is UTC for v in values)


_FIELD_CELLS = st.one_of(
    _CELLS, st.sampled_from(["nps", "Positive", "reference|review", "USD", "12.50", "-3", "1e400"])
)


@pytest.mark.parametrize("kind", list(COLLECTIONS.values()), ids=list(COLLECTIONS))
@given(data=st.data())
def test_fields_built_without_their_shape_check_get_only_values_that_pass_it(kind: type, data: Any) -> None:
    # The column builder skips these validators, trusting the loader's converters: each value a
    # converter gives must be one the skipped validator would have accepted.
    instant = coerce.instant_converter(BERLIN)
    fields = {f.name: f for f in _load.fields_of(kind)}
    holder = object()
    for attribute in attrs.fields(kind):
        if attribute.validator not in _SHAPE_CHECKS:
            continue
        field = fields[attribute.name]
        cell = data.draw(_FIELD_CELLS, label=attribute.name)
        try:
            value = _load._converter(field, instant)(cell)
        except coerce.Refused:
            continue
        if value is None:
            if field.required:
                continue  # the loader refuses the row before building
            value = field.default
        attribute.validator(holder, attribute, value)


def _outcome(build: Any) -> tuple[str, Any]:
    try:
        return "built", build()
    except InvalidRecordError as error:
        return "refused", error.field


def _by_builder(kind: type, values: tuple[Any, ...]) -> tuple[str, Any]:
    records, kept, refused = column_builder(kind)([7], *[[v] for v in values])
    if refused:
        assert records == [] and kept == [] and refused[0][0] == 7
        return "refused", refused[0][1].field
    assert kept == [7]
    return "built", records[0]


_INSTANTS = st.sampled_from([T0, T0 + timedelta(days=3), T0 - timedelta(days=3)])


@given(
    st.one_of(
        st.tuples(
            st.just(SurveyResponse),
            st.tuples(st.just("s1"), st.just("a1"), st.sampled_from(list(SurveyKind)),
                      st.integers(-2, 12), _INSTANTS, st.sampled_from([None, "p1"])),
        ),
        st.tuples(
            st.just(Contract),
            st.tuples(st.just("c1"), st.just("a1"), _INSTANTS, _INSTANTS,
                      st.sampled_from([Decimal(0), Decimal("-1"), Decimal("1e18"), Decimal("99.5")]),
                      st.sampled_from(["USD", "usd", "EURO"]), st.sampled_from([None, "c1", "c0"]),
                      st.sampled_from([None, Decimal("-5"), Decimal(10)])),
        ),
        st.tuples(
            st.just(Referral),
            st.tuples(st.just("r1"), st.just("a1"), _INSTANTS, st.one_of(st.none(), _INSTANTS),
                      st.sampled_from([None, "a1", "a2"]), st.sampled_from([None, True, False]),
                      st.none(), st.sampled_from([None, "email"])),
        ),
        st.tuples(
            st.just(Account),
            st.tuples(st.just("a1"), _INSTANTS, st.one_of(st.none(), _INSTANTS), st.one_of(st.none(), _INSTANTS),
                      st.one_of(st.none(), _INSTANTS), st.none(), st.none(), st.none(), st.none(), st.none(),
                      st.none(), st.sampled_from([{}, {"seats": 5}, {"tier": "x"}, {"plan": 1.5}])),
        ),
    )
)  # fmt: skip
def test_the_column_builder_builds_and_refuses_exactly_as_the_constructor(
    case: tuple[type, tuple[Any, ...]],
) -> None:
    kind, values = case
    assert _by_builder(kind, values) == _outcome(lambda: kind(*values))


@given(datasets(max_accounts=4, max_per_account=2))
def test_every_generated_record_rebuilds_equal_through_the_column_builder(data: AdvocacyData) -> None:
    for name, kind in COLLECTIONS.items():
        records = getattr(data, name)
        columns = [[getattr(r, f.name) for r in records] for f in attrs.fields(kind)]
        built, kept, refused = column_builder(kind)(range(len(records)), *columns)
        assert refused == [] and kept == list(range(len(records)))
        assert built == list(records)


_TEXT_CELLS = st.one_of(
    st.sampled_from(
        ["", "a1", "a2", "c1", "c2", "c3", "2025-01-01", "2026-03-01", "2027-01-01", "100", "-5"]
    ),
    st.sampled_from(["USD", "usd", "c1", "c2", "c3", "c9"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-:", max_size=6),
)
_CONTRACT_COLUMNS = ["id", "account_id", "start", "end", "arr", "currency", "renewal_of"]


@given(
    st.lists(st.tuples(st.sampled_from(["a1", "a2", "a3", ""]), st.sampled_from(["2025-01-01", "2027-01-01", "x"])),
             max_size=4),
    st.lists(st.lists(_TEXT_CELLS, min_size=7, max_size=7), max_size=6),
)  # fmt: skip
def test_what_a_load_accepts_the_validated_constructors_and_from_records_accept(
    accounts: list[tuple[str, str]], contracts: list[list[str]]
) -> None:
    rows = {
        "accounts": [{"id": i, "customer_since": s} for i, s in accounts],
        "contracts": [dict(zip(_CONTRACT_COLUMNS, cells, strict=True)) for cells in contracts],
    }
    data, report = io.from_rows(rows, as_of="2026-10-01")
    assert [(c.read, c.loaded + c.rejected) for c in report.counts] == [(len(v),) * 2 for v in rows.values()]
    again = rebuilt_by_hand(data)
    assert again.as_collections() == data.as_collections() and again.supplied == data.supplied


def test_contracts_renewing_each_other_in_a_cycle_are_refused_not_raised() -> None:
    contract = {
        "account_id": "a1",
        "start": "2025-01-01",
        "end": "2026-01-01",
        "arr": "10",
        "currency": "USD",
    }
    data, report = io.from_rows(
        {
            "accounts": [{"id": "a1", "customer_since": "2024-01-01"}],
            "contracts": [
                {**contract, "id": "c1", "renewal_of": "c2"},
                {**contract, "id": "c2", "renewal_of": "c1"},
                {**contract, "id": "c3"},
            ],
        },
        as_of="2026-10-01",
    )
    assert [c.id for c in data.contracts] == ["c3"]
    reasons = {r.row: r.reason for r in report.rejections}
    assert set(reasons) == {0, 1} and "c1 -> c2 -> c1" in reasons[0] and "was refused" in reasons[1]
    with pytest.raises(LoadError, match="renewal"):
        io.from_rows({"accounts": [{"id": "a1", "customer_since": "2024-01-01"}],
                      "contracts": [{**contract, "id": "c1", "renewal_of": "c2"},
                                    {**contract, "id": "c2", "renewal_of": "c1"}]},
                     as_of="2026-10-01", strict=True)  # fmt: skip


def test_a_named_date_format_reads_text_in_that_format_only(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "id,customer_since\na1,07/01/2026\na2,2026-07-01T00:00:00+00:00\n", encoding="utf-8"
    )
    data, report = io.load_folder(tmp_path, as_of="2026-10-01", datetime_format="%m/%d/%Y")
    assert [a.id for a in data.accounts] == ["a1"]
    assert data.accounts[0].customer_since == datetime(2026, 7, 1, tzinfo=UTC)
    (refused,) = report.rejections
    assert (refused.row, refused.field) == (3, "customer_since") and "%m/%d/%Y" in refused.reason


def _parquet_accounts(tmp_path: Path, stamps: pa.Array) -> io.Loaded:
    ids = [f"a{i}" for i in range(len(stamps))]
    pq.write_table(pa.table({"id": ids, "customer_since": stamps}), tmp_path / "accounts.parquet")
    return io.load_folder(tmp_path, as_of=datetime(9999, 12, 31, tzinfo=UTC))


@pytest.mark.parametrize(
    ("unit", "tz", "count", "expected"),
    [
        ("s", "UTC", 1_751_362_200, datetime(2025, 7, 1, 9, 30, tzinfo=UTC)),
        ("ms", "Europe/Berlin", 1_751_362_200_123, datetime(2025, 7, 1, 9, 30, 0, 123_000, tzinfo=UTC)),
        ("us", "UTC", -86_400_000_000, datetime(1969, 12, 31, tzinfo=UTC)),
        ("ns", "UTC", 1_751_362_200_000_001_999, datetime(2025, 7, 1, 9, 30, 0, 1, tzinfo=UTC)),
        ("us", None, 1_751_362_200_000_000, datetime(2025, 7, 1, 7, 30, tzinfo=UTC)),  # Berlin wall-clock
    ],
)
def test_parquet_timestamps_of_every_unit_and_zone_become_the_same_instants(
    tmp_path: Path, unit: str, tz: str | None, count: int, expected: datetime
) -> None:
    stamps = pa.array([count, None], type=pa.int64()).cast(pa.timestamp(unit, tz=tz))
    ids = ["a1", "a2"]
    pq.write_table(pa.table({"id": ids, "customer_since": stamps}), tmp_path / "accounts.parquet")
    data, report = io.load_folder(tmp_path, as_of="2026-10-01", calendar=BERLIN)
    assert [a.customer_since for a in data.accounts] == [expected]
    assert [(r.row, r.field) for r in report.rejections] == [(1, "customer_since")]


def test_a_parquet_timestamp_beyond_the_year_9999_is_a_refused_row(tmp_path: Path) -> None:
    beyond = int(
        (datetime(9999, 12, 31, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() + 86_400 * 400
    )
    stamps = pa.array([beyond * 1_000_000, 0], type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    data, report = _parquet_accounts(tmp_path, stamps)
    assert [a.id for a in data.accounts] == ["a1"]
    (refused,) = report.rejections
    assert (
        refused.row == 0 and "years 1 to 9999" in refused.reason and "microseconds from 1970" in refused.value
    )


@pytest.mark.parametrize(
    "cell", [date(1, 1, 1), "0001-01-01", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))]
)
def test_instants_that_fall_outside_the_years_1_to_9999_in_utc_are_refused(cell: object) -> None:
    with pytest.raises(coerce.Refused, match="years 1 to 9999"):
        coerce.instant_converter(Calendar("Asia/Tokyo"))(cell)


_ARROW_TEXT = st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["", " ", "\u00a0", "\x1f", "a b"]))


@given(
    st.lists(_ARROW_TEXT, max_size=6),
    st.lists(st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))), max_size=6),
    st.lists(st.one_of(st.none(), st.booleans()), max_size=6),
    st.sampled_from(["s", "ms", "us", "ns"]),
)
def test_columns_a_typed_source_marks_ready_are_what_the_converters_would_give(
    texts: list[str | None], instants: list[datetime | None], flags: list[bool | None], unit: str
) -> None:
    columns = {
        "text": pa.array(texts, type=pa.string()),
        "large": pa.array(texts, type=pa.large_string()),
        "view": pa.array(texts, type=pa.string_view()),
        "instant": pa.array(instants, type=pa.timestamp("us", tz="UTC")).cast(
            pa.timestamp(unit, tz="UTC"), safe=False
        ),
        "bool": pa.array(flags, type=pa.bool_()),
    }
    for name, column in columns.items():
        table = _sources.arrow_table("accounts", "accounts", pa.table({name: column}))
        kind = table.ready.get(name)
        if kind is None:
            continue
        convert = {
            "text": coerce.to_text,
            "instant": coerce.instant_converter(BERLIN),
            "bool": coerce.to_bool,
        }[kind]
        cells = table.columns[name]
        assert [convert(cell) for cell in cells] == cells
        assert [type(convert(cell)) for cell in cells] == [type(cell) for cell in cells]
    if any(t is not None and not t.strip() for t in texts):
        assert (
            "text"
            not in _sources.arrow_table("accounts", "accounts", pa.table({"text": columns["text"]})).ready
        )


@pytest.mark.parametrize("enabled", [True, False])
def test_a_load_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    (tmp_path / "accounts.csv").write_text("id,customer_since\na1,2025-01-01\n", encoding="utf-8")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        io.load_folder(tmp_path, as_of="2026-10-01")
        assert gc.isenabled() is enabled
        with pytest.raises(SourceError):
            io.from_rows({"referrals": []})
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


class _SwitchingCollector:
    """The gc module, with a pause in every call that lets another thread run: a race between
    reading the collector's switch and setting it, a few bytecodes wide, then shows every time."""

    def isenabled(self) -> bool:
        time.sleep(0.0001)
        return gc.isenabled()

    def disable(self) -> None:
        time.sleep(0.0001)
        gc.disable()

    def enable(self) -> None:
        time.sleep(0.0001)
        gc.enable()


@pytest.mark.parametrize("enabled", [True, False])
def test_loads_in_many_threads_leave_the_garbage_collector_as_they_found_it(
    enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each load used to read the collector's switch and turn it off in two steps: with loads
    # overlapping, one could record "off" while another had paused it, and leave it off for good
    # (with the switching collector below, that happened in every run).
    monkeypatch.setattr(_load, "gc", _SwitchingCollector())
    rows = {
        "accounts": [{"id": f"a{i}", "customer_since": "2025-01-01"} for i in range(20)],
        "referrals": [
            {"id": f"r{i}", "account_id": f"a{i % 20}", "invited_at": "2026-01-01"} for i in range(40)
        ],
    }
    start = threading.Barrier(16)
    failures: list[BaseException] = []

    def load() -> None:
        try:
            start.wait()
            for round_ in range(12):
                if round_ % 3 == 2:
                    with contextlib.suppress(SourceError):
                        io.from_rows({"referrals": []})  # a load that fails half way
                else:
                    assert len(io.from_rows(rows, as_of="2026-10-01").data.referrals) == 40
        except BaseException as error:  # collected, to fail the test in the main thread
            failures.append(error)

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        for _ in range(3):
            threads = [threading.Thread(target=load) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not failures, failures[0]
            assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def _renewals_load_time(contracts: int, repeat: int = 3) -> float:
    """CPU seconds of a load of ``contracts`` contracts, half in renewal 2-cycles and half in one
    chain renewing a contract that does not exist (every one of them refused), best of ``repeat``."""
    rows: list[dict[str, Any]] = []
    for i in range(contracts):
        if i < contracts // 2:
            renews = f"c{i + 1}" if i % 2 == 0 else f"c{i - 1}"
        else:
            renews = f"c{i - 1}" if i > contracts // 2 else "nowhere"
        rows.append({"id": f"c{i}", "account_id": "a1", "start": "2025-01-01", "end": "2026-01-01",
                     "arr": "10", "currency": "USD", "renewal_of": renews})  # fmt: skip
    collections = {"accounts": [{"id": "a1", "customer_since": "2024-01-01"}], "contracts": rows}
    best = math.inf
    for _ in range(repeat):
        started = time.process_time()
        data, report = io.from_rows(collections, as_of="2026-10-01")
        best = min(best, time.process_time() - started)
        assert data.contracts == () and len(report.rejections) == contracts
    return best


def test_the_renewal_check_takes_linear_time() -> None:
    # Refusing one contract of one cycle per pass over all contracts took quadratic time: 16,000
    # contracts in 2-cycles took 42 s, so doubling the contracts here would take four times as long.
    small = _renewals_load_time(4_000)
    large = _renewals_load_time(8_000)
    assert large / small < 3, (small, large)
