"""The coercion rules, one test per row of the documentation's table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import Asset, Calendar, Sentiment, SurveyKind
from advocacy_kpis.io import coerce
from advocacy_kpis.io.bounds import MAX_CELL_LENGTH
from advocacy_kpis.io.coerce import Refused

BERLIN = Calendar(timezone=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    "cell",
    [
        None,
        "",
        "   ",
        float("nan"),
        np.nan,
        np.float32("nan"),
        pd.NaT,
        pd.NA,
        np.datetime64("NaT"),
        Decimal("NaN"),
    ],
)
def test_none_nan_nat_and_empty_text_are_missing(cell: object) -> None:
    assert coerce.is_missing(cell)
    assert coerce.to_text(cell) is None
    assert coerce.to_money(cell) is None
    assert coerce.to_int(cell) is None
    assert coerce.to_bool(cell) is None
    assert coerce.instant_converter(BERLIN)(cell) is None


@pytest.mark.parametrize("cell", [0, "0", False, "false", 0.0, "nan?"])
def test_zero_false_and_text_are_values_not_missing(cell: object) -> None:
    assert not coerce.is_missing(cell)


def test_numpy_and_pandas_scalars_become_python_values() -> None:
    assert coerce.to_int(np.int64(9)) == 9 and type(coerce.to_int(np.int64(9))) is int
    assert coerce.to_float(np.float64(4.5)) == 4.5 and type(coerce.to_float(np.float64(4.5))) is float
    assert coerce.to_bool(np.bool_(True)) is True and coerce.to_bool(np.bool_(False)) is False
    assert coerce.to_money(np.int64(100)) == Decimal(100)
    assert coerce.to_attribute(np.int64(5)) == 5 and type(coerce.to_attribute(np.int64(5))) is int
    assert coerce.to_attribute(np.bool_(True)) is True
    stamp = pd.Timestamp("2026-07-01 09:30", tz="Europe/Berlin")
    converted = coerce.instant_converter(BERLIN)(stamp)
    assert type(converted) is datetime
    assert converted == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert coerce.instant_converter(Calendar())(np.datetime64("2026-07-01T12:00")) == datetime(
        2026, 7, 1, 12, tzinfo=UTC
    )


def test_iso_8601_text_parses_with_its_offset() -> None:
    convert = coerce.instant_converter(BERLIN)
    assert convert("2026-07-01T09:30:00Z") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert convert("2026-07-01T09:30:00+02:00") == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert convert("2026-07-01T09:30:00-05:00").tzinfo is UTC


def test_a_date_means_midnight_in_the_calendar_time_zone() -> None:
    convert = coerce.instant_converter(BERLIN)
    # Berlin is two hours ahead of UTC in summer and one in winter.
    assert convert("2026-07-01") == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert convert("2026-01-15") == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert convert(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert coerce.instant_converter(Calendar())("2026-07-01") == datetime(2026, 7, 1, tzinfo=UTC)


def test_a_time_without_an_offset_is_wall_clock_time_in_the_calendar() -> None:
    convert = coerce.instant_converter(BERLIN)
    assert convert("2026-07-01T09:30:00") == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert convert(datetime(2026, 7, 1, 9, 30)) == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert convert(pd.Timestamp("2026-07-01 09:30")) == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


def test_another_date_format_only_when_named_never_guessed() -> None:
    with pytest.raises(Refused, match="ISO-8601"):
        coerce.instant_converter(BERLIN)("07/01/2026")
    us = coerce.instant_converter(BERLIN, "%m/%d/%Y")
    assert us("07/01/2026") == datetime(2026, 6, 30, 22, tzinfo=UTC)  # 1 July, Berlin midnight
    european = coerce.instant_converter(BERLIN, "%d/%m/%Y")
    assert european("07/01/2026") == datetime(2026, 1, 6, 23, tzinfo=UTC)  # 7 January
    with pytest.raises(Refused, match="%m/%d/%Y"):
        us("2026-07-01")
    with_offset = coerce.instant_converter(BERLIN, "%d.%m.%Y %H:%M %z")
    assert with_offset("01.07.2026 09:30 +0000") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("cell", [1751360000, 1751360000.0, "tomorrow", "2026-13-01", True])
def test_numbers_and_other_text_are_not_instants(cell: object) -> None:
    with pytest.raises(Refused):
        coerce.instant_converter(Calendar())(cell)


def test_money_is_exact_from_text_and_from_a_float_cell_via_its_repr() -> None:
    assert coerce.to_money("0.1") == Decimal("0.1")
    assert str(coerce.to_money("0.10")) == "0.10"
    assert coerce.to_money(0.1) == Decimal("0.1")  # not Decimal(0.1) = 0.1000000000000000055...
    assert coerce.to_money(0.1) != Decimal(0.1)  # noqa: RUF032 - the binary value, on purpose
    assert coerce.to_money(np.float64(1234.56)) == Decimal("1234.56")
    assert coerce.to_money(1200) == Decimal(1200)
    assert coerce.to_money(Decimal("5.25")) == Decimal("5.25")


@pytest.mark.parametrize("cell", ["$100", "1,200.50", "NaN", "inf", float("inf"), True, "ten"])
def test_money_refuses_symbols_separators_and_non_numbers(cell: object) -> None:
    with pytest.raises(Refused, match="amount"):
        coerce.to_money(cell)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=0, max_value=10**9))
def test_money_from_its_text_round_trips_exactly(amount: Decimal) -> None:
    assert coerce.to_money(str(amount)) == amount
    assert str(coerce.to_money(str(amount))) == str(amount)


def test_integers_from_text_whole_floats_and_decimals() -> None:
    assert coerce.to_int("9") == 9
    assert coerce.to_int(" 10 ") == 10
    assert coerce.to_int("9.0") == 9
    assert coerce.to_int(9.0) == 9
    assert coerce.to_int(Decimal("7")) == 7
    for cell in ("9.5", 9.5, True, "nine"):
        with pytest.raises(Refused, match="whole number"):
            coerce.to_int(cell)


def test_enum_values_match_in_any_case() -> None:
    kind = coerce.enum_converter(SurveyKind)
    assert kind("NPS") is SurveyKind.NPS
    assert kind(" Csat ") is SurveyKind.CSAT
    assert kind(SurveyKind.UPSELL) is SurveyKind.UPSELL
    assert coerce.enum_converter(Sentiment)("Positive") is Sentiment.POSITIVE
    with pytest.raises(Refused, match="'nps', 'csat'"):
        kind("promoter")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("true", True), ("TRUE", True), ("Yes", True), ("1", True), (1, True), (np.int64(1), True), (1.0, True),
     ("false", False), ("No", False), ("0", False), (0, False), ("FALSE", False)],
)  # fmt: skip
def test_booleans_from_true_false_yes_no_one_zero(cell: object, expected: bool) -> None:
    assert coerce.to_bool(cell) is expected


@pytest.mark.parametrize("cell", ["y", "maybe", 2, "t"])
def test_other_values_are_not_booleans(cell: object) -> None:
    with pytest.raises(Refused, match="true or false"):
        coerce.to_bool(cell)


def test_text_keeps_text_and_writes_whole_numbers_as_digits() -> None:
    assert coerce.to_text(" a1 ") == " a1 "
    assert coerce.to_text(42) == "42"
    assert coerce.to_text(np.int64(42)) == "42"
    assert coerce.to_text(42.0) == "42"  # an integer id column with gaps, as a data frame holds it
    for cell in (4.5, True):
        with pytest.raises(Refused):
            coerce.to_text(cell)


def test_assets_from_lists_and_separated_text() -> None:
    assert coerce.to_assets("reference|Case_Study") == (Asset.REFERENCE, Asset.CASE_STUDY)
    assert coerce.to_assets("review, referral") == (Asset.REVIEW, Asset.REFERRAL)
    assert coerce.to_assets(["speaking"]) == (Asset.SPEAKING,)
    assert coerce.to_assets("") == ()
    with pytest.raises(Refused):
        coerce.to_assets("reference|webinar")


def test_typed_attributes_keep_their_type() -> None:
    assert coerce.to_attribute("pro") == "pro"
    assert coerce.to_attribute(5) == 5
    assert coerce.to_attribute(True) is True
    assert coerce.to_attribute(5.0) == 5 and type(coerce.to_attribute(5.0)) is int
    assert coerce.to_attribute(4.5) == "4.5"
    assert coerce.to_attribute(date(2026, 1, 2)) == "2026-01-02"
    with pytest.raises(Refused):
        coerce.to_attribute(["a", "b"])


def test_csv_attribute_columns_are_typed_by_all_their_cells() -> None:
    assert coerce.attribute_column_converter(["5", "", "-3", "0"]) is coerce.to_int
    assert coerce.attribute_column_converter(["True", "false", ""]) is coerce.to_bool
    assert coerce.attribute_column_converter(["5", "five"]) is coerce.to_text
    assert coerce.attribute_column_converter(["01234", "5"]) is coerce.to_text  # zip codes stay text
    assert coerce.attribute_column_converter(["1", "0"]) is coerce.to_int  # 1/0 are numbers here
    assert coerce.attribute_column_converter(["", ""]) is coerce.to_text


def test_unquote_undoes_exactly_the_formula_guard() -> None:
    for text in ("=1+1", "+49 30", "-5", "@SUM(A1)", "\tx", "\rx", "'already"):
        assert coerce.unquote_formula("'" + text) == text
    assert coerce.unquote_formula("'tis") == "'tis"
    assert coerce.unquote_formula("'") == "'"


def test_fixed_offsets_are_normalised_to_utc() -> None:
    plus_two = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert coerce.instant_converter(Calendar())(plus_two) == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert coerce.instant_converter(Calendar())(plus_two).tzinfo is UTC


# -- bounds: what a hostile cell cannot make a converter do ------------------------------------

NUMERIC = [coerce.to_int, coerce.to_money, coerce.to_float]


@pytest.mark.parametrize("convert", NUMERIC)
@pytest.mark.parametrize("cell", ["1_000", "٣", "１２", "1٢", " ١ "])
def test_underscores_and_digits_of_other_scripts_are_not_numbers(
    convert: coerce.Converter, cell: str
) -> None:
    with pytest.raises(Refused):
        convert(cell)


def test_a_named_date_format_reads_ascii_digits_only() -> None:
    year = coerce.instant_converter(Calendar(), "%Y")
    assert year("2026") == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(Refused, match="%Y"):
        year("٢٠٢٦")  # strptime itself reads Arabic-Indic digits as 2026


def test_a_whole_number_may_have_fifty_digits_and_no_more() -> None:
    fifty, fifty_one = "9" * 50, "1" + "0" * 50
    assert coerce.to_int(fifty) == 10**50 - 1
    assert coerce.to_text(10**50 - 1) == fifty
    assert coerce.to_attribute(-(10**50) + 1) == -(10**50) + 1
    for convert in (coerce.to_int, coerce.to_text, coerce.to_attribute):
        with pytest.raises(Refused, match="at most 50 digits"):
            convert(10**50)
    with pytest.raises(Refused, match="at most 50 digits"):
        coerce.to_int(fifty_one)


@pytest.mark.parametrize(
    "cell",
    ["9" * 5000, 10**5000, Decimal("1e999999999"), "1e999999999", 1e300, Decimal("-1E+60")],
    ids=["5000 digits", "10**5000", "Decimal 1e999999999", "text 1e999999999", "1e300", "Decimal -1E+60"],
)
def test_numbers_beyond_the_digit_bound_are_refused_not_raised(cell: object) -> None:
    # Python refuses to turn more than 4,300 digits into an int or back (ValueError), and
    # int(Decimal("1e999999999")) would build a billion digits.
    for convert in (coerce.to_int, coerce.to_money, coerce.to_text, coerce.to_attribute):
        if convert in (coerce.to_text, coerce.to_attribute) and isinstance(cell, str):
            continue  # text stays text there
        with pytest.raises(Refused):
            convert(cell)


def test_an_amount_is_bounded_by_its_digits_written_out() -> None:
    assert coerce.to_money("1e3") == Decimal(1000)
    assert coerce.to_money("0." + "0" * 48 + "1") == Decimal("1E-49")  # 50 digits: 0 and 49 decimals
    with pytest.raises(Refused, match="at most 50 digits"):
        coerce.to_money("1e-50")  # 51 digits written out: 0.000...01
    with pytest.raises(Refused, match="at most 50 digits"):
        coerce.to_money("1e50")  # 51 digits: 1 and fifty zeros


def test_a_numpy_scalar_in_influences_is_refused() -> None:
    for cell in (np.int64(3), np.float64(2.5), np.bool_(True)):
        with pytest.raises(Refused, match="list of assets"):
            coerce.to_assets(cell)
    assert coerce.to_assets(np.array(["reference", "review"])) == (Asset.REFERENCE, Asset.REVIEW)


def test_text_longer_than_the_cell_bound_is_refused_by_every_converter() -> None:
    long = "a" * (MAX_CELL_LENGTH + 1)
    assert coerce.to_text("a" * MAX_CELL_LENGTH) is not None
    converters = [
        coerce.to_text, coerce.to_int, coerce.to_float, coerce.to_money, coerce.to_bool, coerce.to_assets,
        coerce.to_attribute, coerce.to_mapping, coerce.enum_converter(SurveyKind),
        coerce.instant_converter(Calendar()), coerce.instant_converter(Calendar(), "%Y"),
    ]  # fmt: skip
    for convert in converters:
        with pytest.raises(Refused):
            convert(long)


def test_json_attributes_nested_beyond_the_bound_are_refused_before_parsing() -> None:
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000  # json.loads would raise RecursionError
    with pytest.raises(Refused, match="nested at most 64 deep"):
        coerce.to_mapping(deep)
    within = '{"a": ' * 64 + "1" + "}" * 64
    assert isinstance(coerce.to_mapping(within), dict)
    assert coerce.to_mapping('{"tier": "[[[[" }') == {"tier": "[[[["}  # brackets in a string do not nest


def test_a_json_integer_beyond_pythons_digit_limit_is_a_refused_cell() -> None:
    with pytest.raises(Refused, match="JSON object"):
        coerce.to_mapping('{"seats": ' + "9" * 5000 + "}")


def test_a_cell_that_is_not_utf8_is_refused_by_every_converter() -> None:
    cell = coerce.Undecodable(b"\xff\xfe")
    for convert in (coerce.to_text, coerce.to_int, coerce.to_money, coerce.to_bool, coerce.to_attribute,
                    coerce.to_assets, coerce.to_mapping, coerce.instant_converter(Calendar())):  # fmt: skip
        with pytest.raises(Refused):
            convert(cell)
    assert "not UTF-8" in repr(cell)
