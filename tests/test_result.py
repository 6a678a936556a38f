"""MetricResult serialisation and comparisons."""

from __future__ import annotations

import enum
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scipy import stats as scipy_stats

from advocacy_kpis import (
    Calendar,
    IncomparableResultsError,
    MetricResult,
    ParameterError,
    RevenueBasis,
    Segment,
    Unit,
    Window,
    metrics,
)
from advocacy_kpis.sample import tiny


def make(value: float | int | Decimal | None, window: Window, **kw: Any) -> MetricResult:
    return MetricResult(
        metric=str(kw.pop("metric", "social_shares")), value=value, unit=kw.pop("unit", Unit.COUNT),
        window=window, segment=Segment.all(), as_of=kw.pop("as_of", datetime(2027, 1, 1, tzinfo=UTC)),
        undefined_reason=None if value is not None else "empty", **kw,
    )  # fmt: skip


def test_to_dict_is_json_safe_and_complete() -> None:
    result = metrics.net_promoter_score(tiny(), window=Window.quarter(2026, 3))
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["metric"] == "net_promoter_score"
    assert payload["window"]["label"] == "2026Q3"
    assert payload["interval"]["method"]
    assert payload["components"]["respondents"] == 4
    assert payload["definition_version"] == 1


def test_change_of_counts_uses_the_conditional_binomial_test() -> None:
    # 10 events in one quarter and 30 in the next quarter: binomial(40, 90/(90+92)) under H0.
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    change = make(30, q2).change_from(make(10, q1))
    assert change is not None
    assert change.method == "conditional-binomial" and change.absolute == 20
    assert change.relative == 2.0 and change.significant is True


def test_change_with_an_undefined_side_has_no_absolute_and_says_why() -> None:
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    change = make(3, q2).change_from(make(None, q1))
    assert (change.previous, change.current, change.absolute, change.relative) == (None, 3, None, None)
    assert change.significant is None and change.reason == "the earlier value is undefined (empty)"
    assert "the earlier value is undefined: empty" in change.warnings
    change = make(3, q2).change_from(make(0, q1))
    assert change.relative is None and change.absolute == 3


def test_incomparable_metrics_are_refused() -> None:
    q1, q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)
    with pytest.raises(IncomparableResultsError, match="metric"):
        make(3, q2).change_from(make(3, q1, metric="reviews"))


def test_format_shows_undefined_with_its_reason() -> None:
    result = metrics.client_referral_rate(tiny(), window=Window.year(2020))
    assert "undefined (no new customers" in result.format()


# -- honest edges -----------------------------------------------------------------------------------

AS_OF = datetime(2027, 1, 1, tzinfo=UTC)
Q1, Q2 = Window.quarter(2026, 1), Window.quarter(2026, 2)


def rate(numerator: int, denominator: int, window: Window = Q2, **kw: Any) -> MetricResult:
    return MetricResult(
        metric="customer_churn_rate", value=numerator / denominator, unit=Unit.RATE, window=window,
        segment=kw.pop("segment", Segment.all()), as_of=kw.pop("as_of", AS_OF), numerator=numerator,
        denominator=denominator, sample_size=denominator, **kw,
    )  # fmt: skip


def nps(promoters: int, passives: int, detractors: int, window: Window = Q2) -> MetricResult:
    n = promoters + passives + detractors
    return MetricResult(
        metric="net_promoter_score", value=100 * (promoters - detractors) / n, unit=Unit.SCORE, window=window,
        segment=Segment.all(), as_of=AS_OF, sample_size=n,
        components={"promoters": promoters, "passives": passives, "detractors": detractors, "respondents": n},
    )  # fmt: skip


def test_parameters_are_a_read_only_mapping_included_in_to_dict() -> None:
    result = make(3, Q2, parameters={"horizon_days": 90, "model": {"weights": {"promoter": 40}}})
    assert result.parameters["horizon_days"] == 90
    with pytest.raises(TypeError):
        result.parameters["horizon_days"] = 60  # type: ignore[index]
    with pytest.raises(TypeError):
        result.parameters["model"]["weights"]["promoter"] = 0
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["parameters"] == {"horizon_days": 90, "model": {"weights": {"promoter": 40}}}
    assert make(3, Q2).parameters == {} and make(3, Q2).to_dict()["parameters"] == {}


def test_details_and_components_are_frozen_all_the_way_down() -> None:
    model = {"weights": {"promoter": 40}, "assets": ["review", "referral"]}
    result = make(3, Q2, details={"model": model, "seen": {"a", "b"}}, components={"by": {"x": [1, 2]}})
    model["weights"]["promoter"] = 0  # the caller's own dict: the result kept a copy
    assert result.details["model"]["weights"]["promoter"] == 40
    with pytest.raises(TypeError):
        result.details["model"]["weights"]["promoter"] = 0
    assert result.details["model"]["assets"] == ("review", "referral")
    assert result.details["seen"] == frozenset({"a", "b"})
    with pytest.raises(AttributeError):
        result.components["by"]["x"].append(3)
    assert json.loads(json.dumps(result.to_dict()))["components"] == {"by": {"x": [1, 2]}}


def test_results_with_different_parameters_are_incomparable_naming_both_values() -> None:
    with pytest.raises(IncomparableResultsError, match="parameter 'horizon_days': 60 and 90"):
        make(3, Q2, parameters={"horizon_days": 90}).change_from(make(3, Q1, parameters={"horizon_days": 60}))
    with pytest.raises(IncomparableResultsError, match="parameter 'lapse_days': not set and 30"):
        make(3, Q2, parameters={"lapse_days": 30}).change_from(make(3, Q1))
    with pytest.raises(IncomparableResultsError, match="parameter 'strict'"):
        make(3, Q2, parameters={"strict": True}).change_from(make(3, Q1, parameters={"strict": 1}))
    same = make(3, Q2, parameters={"threshold": 70.0}).change_from(make(2, Q1, parameters={"threshold": 70}))
    assert same.absolute == 1


def test_a_different_confidence_does_not_block_comparison() -> None:
    from advocacy_kpis.stats import wilson_interval

    earlier = rate(40, 100, Q1, interval=wilson_interval(40, 100, 0.9))
    later = rate(50, 100, Q2, interval=wilson_interval(50, 100, 0.99))
    change = later.change_from(earlier, confidence=0.9)
    assert change.confidence == 0.9 and change.method == "two-proportion-z"


def test_segments_whose_values_differ_in_type_are_incomparable() -> None:
    number, text = Segment.where(seats=5), Segment.where(seats="5")
    with pytest.raises(IncomparableResultsError, match="segment: 'seats=\"5\"' and 'seats=5'"):
        rate(3, 40, Q2, segment=number).change_from(rate(3, 40, Q1, segment=text))
    with pytest.raises(IncomparableResultsError, match="segment: 'flag=1' and 'flag=true'"):
        rate(3, 40, Q2, segment=Segment.where(flag=True)).change_from(
            rate(3, 40, Q1, segment=Segment.where(flag=1))
        )


def test_bases_that_differ_in_kind_currency_or_fx_rates_are_incomparable() -> None:
    usd = RevenueBasis.arr("USD", {"EUR": Decimal("1.08")})
    cases = [
        (
            RevenueBasis.arr("USD", {"EUR": Decimal("1.10")}),
            "basis FX rates: {'EUR': '1.10'} and {'EUR': '1.08'}",
        ),
        (RevenueBasis.arr("EUR"), "basis: ARR (EUR) and ARR (USD)"),
        (RevenueBasis.mrr("USD", {"EUR": Decimal("1.08")}), "basis: MRR (USD) and ARR (USD)"),
        (None, "basis: none and ARR (USD)"),
    ]
    for earlier, message in cases:
        with pytest.raises(IncomparableResultsError, match=re.escape(message)):
            make(3, Q2, basis=usd).change_from(make(3, Q1, basis=earlier))
    assert make(3, Q2, basis=usd).change_from(
        make(2, Q1, basis=RevenueBasis.arr("USD", {"EUR": Decimal("1.080")}))
    )


def test_windows_on_different_calendars_are_incomparable_naming_both() -> None:
    berlin = Calendar(timezone=ZoneInfo("Europe/Berlin"))
    with pytest.raises(
        IncomparableResultsError, match="calendar: time zone Europe/Berlin.* and time zone UTC"
    ):
        make(3, Q2).change_from(make(3, Window.quarter(2026, 1, berlin)))
    fiscal = Calendar(fiscal_year_start_month=2)
    with pytest.raises(IncomparableResultsError, match="fiscal years from February"):
        make(3, Q2).change_from(make(3, Window.quarter(2026, 1, fiscal)))


def test_a_fiscal_quarter_and_a_calendar_quarter_are_incomparable() -> None:
    calendar = Calendar(fiscal_year_start_month=2)
    fiscal, plain = Window.fiscal_quarter(2027, 1, calendar), Window.quarter(2026, 1, calendar)
    with pytest.raises(
        IncomparableResultsError, match="FY2027Q1 is a fiscal period and 2026Q1 a calendar one"
    ):
        make(3, plain).change_from(make(3, fiscal))
    assert make(3, fiscal.shift(1)).change_from(make(2, fiscal)).absolute == 1


def test_window_grain_and_length_rules() -> None:
    # Two quarters compare although Q1 has 90 days and Q3 92; two months likewise.
    assert make(3, Window.quarter(2026, 3)).change_from(make(2, Q1)).absolute == 1
    assert make(3, Window.month(2026, 3)).change_from(make(2, Window.month(2026, 2))).absolute == 1
    # Arbitrary spans only at equal length.
    ten = Window.between(date(2026, 1, 1), date(2026, 1, 11))
    assert make(3, ten.shift(1)).change_from(make(2, ten)).absolute == 1
    with pytest.raises(IncomparableResultsError, match="window length.*10 days.*11 days"):
        make(3, Window.between(date(2026, 2, 1), date(2026, 2, 12))).change_from(make(2, ten))
    # A calendar period and a span compare only when their lengths are equal.
    february = Window.month(2026, 2)
    assert make(3, Window.between(date(2026, 3, 1), date(2026, 3, 29))).change_from(make(2, february))
    with pytest.raises(IncomparableResultsError, match="window length"):
        make(3, Window.between(date(2026, 3, 1), date(2026, 3, 31))).change_from(make(2, february))
    with pytest.raises(IncomparableResultsError, match="window length"):
        make(3, Window.month(2026, 3)).change_from(make(2, Q1))


def test_small_proportions_use_fishers_exact_test() -> None:
    # 0 of 3 then 1 of 1: the z-test said p = 0.046, significant; Fisher gives 0.25.
    change = rate(1, 1, Q2).change_from(rate(0, 3, Q1))
    assert change.method == "fisher-exact" and change.p_value == pytest.approx(0.25)
    assert change.significant is False and change.reason is None
    assert any(w.startswith("small sample") for w in change.warnings)


def test_large_proportions_keep_the_z_test() -> None:
    # Smallest expected cell: 100 * 75 / 200 = 37.5.
    change = rate(45, 100, Q2).change_from(rate(30, 100, Q1))
    assert change.method == "two-proportion-z" and change.p_value == pytest.approx(0.0285, abs=1e-4)
    assert change.significant is True and change.warnings == ()
    # An expected cell just below 5 (rows 100, successes 9 of 200: 4.5) switches to Fisher.
    assert rate(6, 100, Q2).change_from(rate(3, 100, Q1)).method == "fisher-exact"
    # At exactly 5 (10 of 200) the z-test is kept.
    assert rate(6, 100, Q2).change_from(rate(4, 100, Q1)).method == "two-proportion-z"


def test_nps_with_small_samples_has_no_test_and_says_why() -> None:
    change = nps(5, 3, 2).change_from(nps(2, 4, 4, Q1))
    assert change.absolute == 50.0 and change.p_value is None and change.significant is None
    assert change.method is None and change.reason is not None
    assert "no honest test for NPS samples this small (10 and 10 respondents" in change.reason
    edge = nps(15, 10, 4).change_from(nps(10, 10, 10, Q1))  # 29 respondents
    assert edge.significant is None


def test_nps_with_thirty_respondents_each_uses_the_adjusted_difference() -> None:
    change = nps(15, 10, 5).change_from(nps(10, 10, 10, Q1))
    assert change.method == "nps-difference-z" and change.p_value is not None and change.reason is None


def test_relative_is_none_for_signed_scores_and_a_zero_base() -> None:
    # NPS -20 to +20 used to give a relative change of -2.0.
    assert nps(40, 40, 20).change_from(nps(30, 40, 50, Q1)).relative is None
    roi = make(0.5, Q2, unit=Unit.RATIO, metric="referral_campaign_roi")
    assert roi.change_from(make(0.25, Q1, unit=Unit.RATIO, metric="referral_campaign_roi")).relative is None
    assert rate(50, 100).change_from(rate(40, 100, Q1)).relative == pytest.approx(0.25)
    assert rate(50, 100).change_from(rate(0, 100, Q1)).relative is None
    assert make(30, Q2).change_from(make(10, Q1)).relative == 2.0


@pytest.mark.parametrize("other", [None, 3.0, "2026Q1"])
def test_change_from_none_or_a_wrong_type_is_a_parameter_error(other: object) -> None:
    with pytest.raises(ParameterError, match="'previous'.*MetricResult") as caught:
        make(3, Q2).change_from(other)  # type: ignore[arg-type]
    assert repr(other) in str(caught.value)
    with pytest.raises(ParameterError, match="'other'"):
        make(3, Q2).check_comparable(other)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'confidence'"):
        make(3, Q2).change_from(make(2, Q1), confidence=95)


def test_change_warns_of_a_partial_window() -> None:
    as_of = datetime(2026, 5, 16, tzinfo=UTC)
    change = make(3, Q2, as_of=as_of).change_from(make(2, Q1, as_of=as_of))
    assert any("the later window (2026Q2) runs past as_of" in w for w in change.warnings)


def test_counts_in_a_partial_window_are_compared_per_known_day() -> None:
    # Q1 has 90 days; of Q2 only 45 are known at as_of. 10 events in each: the rate doubled.
    as_of = datetime(2026, 5, 16, tzinfo=UTC)
    change = make(10, Q2, as_of=as_of).change_from(make(10, Q1, as_of=as_of))
    expected = scipy_stats.binomtest(10, 20, 90 / 135).pvalue
    assert change.method == "conditional-binomial" and change.p_value == pytest.approx(expected, rel=1e-9)
    assert change.absolute == 0


def test_revenue_weighted_and_other_values_get_no_test_with_a_reason() -> None:
    usd = RevenueBasis.arr("USD")
    weighted = rate(3, 40, Q2, basis=usd).change_from(rate(5, 40, Q1, basis=usd))
    assert weighted.significant is None and "revenue-weighted" in (weighted.reason or "")
    money = make(Decimal(300), Q2, unit=Unit.MONEY, basis=usd).change_from(
        make(Decimal(200), Q1, unit=Unit.MONEY, basis=usd)
    )
    assert money.absolute == Decimal(100) and money.relative == 0.5
    assert money.reason == "no significance test for a change in a sum of money"
    days = make(12.0, Q2, unit=Unit.DAYS).change_from(make(10.0, Q1, unit=Unit.DAYS))
    assert days.significant is None and days.reason == "no significance test for a change in a duration"
    none = make(0, Q2).change_from(make(0, Q1))
    assert none.reason == "no events in either window, so nothing to test"


# -- wording, serialisation and the choice of test, pinned ---------------------------------------


def test_wrong_arguments_are_worded_exactly() -> None:
    with pytest.raises(ParameterError) as caught:
        make(3, Q2).check_comparable(7)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "The 'other' parameter of MetricResult.check_comparable must be a MetricResult. Got 7 instead."
    )
    with pytest.raises(ParameterError) as caught:
        make(3, Q2).change_from(7)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "The 'previous' parameter of MetricResult.change_from must be a MetricResult of the same metric. "
        "Got 7 instead."
    )
    for confidence in (0, 1, 0.0, 1.5, "0.9", True, None):
        with pytest.raises(ParameterError) as caught:
            make(3, Q2).change_from(make(2, Q1), confidence=confidence)  # type: ignore[arg-type]
        assert str(caught.value) == (
            "The 'confidence' parameter of MetricResult.change_from must be a number strictly between 0 and 1. "
            f"Got {confidence!r} instead."
        )
    assert make(3, Q2).change_from(make(2, Q1), confidence=0.5).confidence == 0.5


def test_incomparable_messages_are_worded_exactly() -> None:
    cases = [
        (make(3, Q1, metric="reviews"), "metric: 'reviews' and 'social_shares'"),
        (make(3, Q1, definition_version=2), "definition_version: 2 and 1"),
        (make(3, Q1, parameters={"x": None}), "parameter 'x': None and not set"),
        (make(3, Window.month(2026, 1)), "window length: 2026-01 (31 days) and 2026Q2 (91 days); "
         "two periods of one calendar grain compare, other windows only at equal length"),
    ]  # fmt: skip
    for earlier, difference in cases:
        with pytest.raises(IncomparableResultsError) as caught:
            make(3, Q2).check_comparable(earlier)
        assert str(caught.value) == f"Cannot compare results with a different {difference}."
    with pytest.raises(IncomparableResultsError) as caught:
        make(3, Q2, parameters={"x": None}).check_comparable(make(3, Q1))
    assert str(caught.value) == "Cannot compare results with a different parameter 'x': not set and None."
    with pytest.raises(IncomparableResultsError) as caught:
        make(3, Q2, parameters={"a": 1, "b": 3}).check_comparable(make(3, Q1, parameters={"a": 1, "b": 2}))
    assert str(caught.value) == "Cannot compare results with a different parameter 'b': 2 and 3."


def test_parameters_compare_by_value_and_type_at_every_depth() -> None:
    def compare(earlier: Any, later: Any) -> bool:
        try:
            make(3, Q2, parameters={"p": later}).check_comparable(make(3, Q1, parameters={"p": earlier}))
        except IncomparableResultsError:
            return False
        return True

    assert compare({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not compare({"a": 1, "b": 2}, {"a": 2, "b": 1})
    assert not compare({"a": 1}, {"a": True})
    assert not compare({1: "x"}, {"1": "x"})
    assert compare([1, 2], (1, 2)) and not compare([1, 2], [2, 1]) and not compare([1], [True])
    assert compare({1, 2}, frozenset({2, 1})) and not compare({1, 2}, {1, 3}) and not compare({1}, {True})
    assert compare(Decimal("0.5"), 0.5) and not compare("0.5", 0.5)

    class Estimator(enum.StrEnum):
        KAPLAN_MEIER = "kaplan_meier"

    assert Estimator.KAPLAN_MEIER == "kaplan_meier" and not compare("kaplan_meier", Estimator.KAPLAN_MEIER)
    assert compare(RevenueBasis.arr("USD"), RevenueBasis.arr("USD")) and not compare(
        RevenueBasis.arr("USD"), RevenueBasis.mrr("USD")
    )


def test_to_dict_turns_every_value_json_safe() -> None:
    from advocacy_kpis.policy import TapPolicy

    result = make(
        Decimal("12.5"), Q2, unit=Unit.MONEY, basis=RevenueBasis.arr("USD"),
        details={"seen": {"b", 1}, "ratio": float("inf"), "share": 0.5, "at": AS_OF, "ids": {9, 10}, "order": ["b", "a"]},
        parameters={"policy": TapPolicy(high_effort_gap_months=4)},
    )  # fmt: skip
    payload = result.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["value"] == "12.5" and payload["unit"] == "money" and payload["as_of"] == AS_OF.isoformat()
    assert payload["details"] == {
        "seen": [1, "b"], "ratio": None, "share": 0.5, "at": AS_OF.isoformat(), "ids": [10, 9], "order": ["b", "a"],
    }  # fmt: skip
    policy = payload["parameters"]["policy"]
    assert policy["high_effort_gap_months"] == 4 and policy["low_effort_gap_months"] == 1
    assert policy["effort"]["reference"] == "high"


def test_change_to_dict_is_complete_and_json_safe() -> None:
    change = rate(1, 1, Q2).change_from(rate(0, 3, Q1), confidence=0.9)
    payload = change.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["previous"] == 0.0 and payload["current"] == 1.0 and payload["absolute"] == 1.0
    assert payload["method"] == "fisher-exact" and payload["confidence"] == 0.9 and payload["reason"] is None
    assert payload["interval"]["method"] == "newcombe" and payload["interval"]["confidence"] == 0.9
    assert payload["warnings"] == [
        "small sample: the earlier result rests on 3 < 30",
        "small sample: the later result rests on 1 < 30",
    ]
    money = make(Decimal(3), Q2, unit=Unit.MONEY).change_from(make(Decimal(2), Q1, unit=Unit.MONEY))
    assert money.to_dict()["absolute"] == "1" and money.to_dict()["relative"] == 0.5


def test_significance_is_strictly_below_one_minus_confidence() -> None:
    # Fisher's p for 0 of 3 then 1 of 1 is exactly 1/4.
    change = rate(1, 1, Q2).change_from(rate(0, 3, Q1), confidence=0.75)
    assert change.p_value == 0.25 and change.significant is False
    assert rate(1, 1, Q2).change_from(rate(0, 3, Q1), confidence=0.7).significant is True


def test_an_undefined_later_value_is_named_as_such() -> None:
    change = make(None, Q2).change_from(make(4, Q1), confidence=0.9)
    assert (change.previous, change.current, change.confidence) == (4, None, 0.9)
    assert change.reason == "the later value is undefined (empty)"
    assert change.warnings == ("the later value is undefined: empty",)


def test_decimal_and_float_values_subtract_exactly() -> None:
    change = make(Decimal("3.5"), Q2, unit=Unit.MONEY).change_from(make(2.5, Q1, unit=Unit.MONEY))
    assert change.absolute == Decimal("1.0") and isinstance(change.absolute, Decimal)
    assert change.relative == pytest.approx(0.4)
    plain = make(3.5, Q2, unit=Unit.MONEY).change_from(make(2.5, Q1, unit=Unit.MONEY))
    assert plain.absolute == 1.0 and plain.relative == pytest.approx(0.4)


def test_change_warnings_cover_both_sides_and_their_edges() -> None:
    as_of = datetime(2026, 5, 16, tzinfo=UTC)
    change = make(3, Q2, as_of=as_of).change_from(make(None, Q1, as_of=as_of))
    assert change.warnings == (
        "the earlier value is undefined: empty",
        "the later window (2026Q2) runs past as_of (2026-05-16T00:00:00+00:00): its value covers only part of it",
    )
    at_end = datetime(2026, 7, 1, tzinfo=UTC)
    assert make(3, Q2, as_of=at_end).change_from(make(2, Q1, as_of=at_end)).warnings == ()
    sizes = {0: False, 1: True, 29: True, 30: False}
    for size, small in sizes.items():
        warnings = make(3, Q2, sample_size=size).change_from(make(2, Q1, sample_size=40)).warnings
        assert warnings == ((f"small sample: the later result rests on {size} < 30",) if small else ())


def adjusted_wald_p(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """Two-sided p of Rocks' adjusted NPS difference, written out independently."""

    def adjusted(p: int, q: int, d: int) -> tuple[float, float]:
        n = p + q + d + 3
        share_p, share_d = (p + 0.75) / n, (d + 0.75) / n
        return share_p - share_d, (share_p + share_d - (share_p - share_d) ** 2) / n

    (c1, v1), (c2, v2) = adjusted(*first), adjusted(*second)
    z = (c2 - c1) / (v1 + v2) ** 0.5
    return float(2 * scipy_stats.norm.sf(abs(z)))


def test_nps_changes_are_tested_on_the_right_counts() -> None:
    change = nps(20, 5, 15).change_from(nps(10, 12, 8, Q1), confidence=0.9)
    assert change.method == "nps-difference-z"
    assert change.p_value == pytest.approx(adjusted_wald_p((10, 12, 8), (20, 5, 15)), rel=1e-9)
    assert change.interval is not None and change.interval.confidence == 0.9


def test_rates_are_tested_on_the_right_counts_at_the_given_confidence() -> None:
    fisher = rate(5, 6, Q2).change_from(rate(1, 9, Q1), confidence=0.9)
    expected = scipy_stats.fisher_exact([[1, 8], [5, 1]]).pvalue
    assert fisher.method == "fisher-exact" and fisher.p_value == pytest.approx(expected, rel=1e-9)
    assert fisher.interval is not None and fisher.interval.confidence == 0.9
    z = rate(45, 100, Q2).change_from(rate(30, 100, Q1), confidence=0.9)
    assert z.interval is not None and z.interval.confidence == 0.9


def test_results_without_usable_counts_get_a_reason_not_a_test() -> None:
    no_counts = MetricResult(
        metric="customer_churn_rate", value=0.5, unit=Unit.RATE, window=Q2, segment=Segment.all(), as_of=AS_OF
    )
    for earlier in (no_counts, rate(1, 4, Q1)):
        change = no_counts.change_from(earlier)
        assert change.significant is None and change.reason == "the results carry no counts to test"
    assert rate(1, 4, Q2).change_from(no_counts).reason == "the results carry no counts to test"
    for numerator, denominator in ((0, 0), (True, 4), (1.0, 4)):
        odd = MetricResult(
            metric="customer_churn_rate", value=0.5, unit=Unit.RATE, window=Q1, segment=Segment.all(),
            as_of=AS_OF, numerator=numerator, denominator=denominator,
        )  # fmt: skip
        assert rate(1, 4, Q2).change_from(odd).reason == "the results carry no counts to test"


def test_only_scores_with_nps_counts_on_both_sides_get_the_nps_test() -> None:
    bare = MetricResult(
        metric="net_promoter_score",
        value=10.0,
        unit=Unit.SCORE,
        window=Q1,
        segment=Segment.all(),
        as_of=AS_OF,
    )
    change = nps(20, 5, 15).change_from(bare)
    assert (
        change.method is None
        and change.reason == "no significance test for a change in a score other than NPS"
    )


def test_counts_need_integers_and_known_days() -> None:
    assert make(3, Q2).change_from(make(2.5, Q1)).reason == "no significance test for a change in a count"
    days = make(12, Q2, unit=Unit.DAYS).change_from(make(10, Q1, unit=Unit.DAYS))
    assert days.reason == "no significance test for a change in a duration"
    unknown = make(3, Q2, as_of=Q2.start).change_from(make(2, Q1, as_of=Q2.start))
    assert unknown.reason == "a window has no day known at as_of" and unknown.method is None
    moment = datetime(2026, 4, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    span = Window.between(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))
    brief = make(3, span, as_of=moment).change_from(make(2, span.previous(), as_of=moment))
    assert brief.method == "conditional-binomial"  # half a second known is still known


def test_format_value_for_every_unit() -> None:
    from advocacy_kpis.result import format_value
    from advocacy_kpis.stats import Interval

    usd = RevenueBasis.arr("USD")
    cases = [
        (make(None, Q2), "undefined (empty)"),
        (make(0.253, Q2, unit=Unit.RATE, interval=Interval(0.2, 0.31)), "25.3% [20.0%, 31.0%]"),
        (make(0.5, Q2, unit=Unit.RATE), "50.0%"),
        (make(Decimal("1234.5"), Q2, unit=Unit.MONEY, basis=usd), "1,234.50 USD"),
        (make(Decimal("7"), Q2, unit=Unit.MONEY), "7.00"),
        (make(12, Q2), "12"),
        (make(12, Q2, interval=Interval(8.25, 16.75)), "12 [8.2, 16.8]"),
        (make(40.77, Q2, unit=Unit.SCORE), "40.8"),
        (make(-0.5, Q2, unit=Unit.RATIO), "-0.500"),
        (make(33.25, Q2, unit=Unit.DAYS), "33.2 days"),
        (make(2.0, Q2, unit=Unit.PER_MONTH), "2.0 per month"),
    ]
    for result, text in cases:
        assert format_value(result) == text
    assert make(12, Q2).format() == "social_shares = 12"


def test_nested_mappings_of_a_result_print_like_dicts_and_refuse_every_change() -> None:
    nested = make(3, Q2, details={"by_channel": {"linkedin": 2, "x": 1}}).details["by_channel"]
    assert repr(nested) == "{'linkedin': 2, 'x': 1}" and nested == {"linkedin": 2, "x": 1}
    changes = [
        lambda: nested.update(x=2),
        lambda: nested.pop("x"),
        lambda: nested.popitem(),
        lambda: nested.setdefault("y", 0),
        lambda: nested.clear(),
        lambda: nested.__delitem__("x"),
        lambda: nested.__ior__({"y": 1}),
    ]
    for change in changes:
        with pytest.raises(TypeError) as caught:
            change()
        assert str(caught.value) == "a result is immutable: copy the mapping with dict(...) to change it"
    assert nested == {"linkedin": 2, "x": 1} and dict(nested) == {"linkedin": 2, "x": 1}
