"""advocacy_kpis.stats against SciPy, statsmodels, hand computation and naive implementations."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.rates import confint_poisson

from advocacy_kpis.errors import ParameterError
from advocacy_kpis.stats import (
    Interval,
    TestResult,
    conditional_binomial_test,
    fisher_exact_test,
    kaplan_meier,
    nps_difference_test,
    nps_interval,
    poisson_rate_interval,
    smallest_expected_count,
    two_proportion_test,
    wilson_interval,
    z_value,
)

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

counts_within = st.integers(0, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
nps_samples = st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300))


def adjusted(promoters: int, passives: int, detractors: int) -> tuple[float, float, int]:
    """Rocks' adjusted NPS (a difference of shares), its V' and n', written out independently."""
    n = promoters + passives + detractors + 3
    p, d = (promoters + 0.75) / n, (detractors + 0.75) / n
    return p - d, p + d - (p - d) ** 2, n


# --- Interval and TestResult ------------------------------------------------------------------


def test_interval_contains_its_bounds_and_nothing_outside() -> None:
    ci = Interval(0.2, 0.3, 0.9, "wilson")
    assert ci.contains(0.2) and ci.contains(0.25) and ci.contains(0.3)
    assert not ci.contains(0.19999) and not ci.contains(0.30001)
    assert ci.to_dict() == {"low": 0.2, "high": 0.3, "confidence": 0.9, "method": "wilson"}
    assert Interval(1.0, 2.0).to_dict() == {
        "low": 1.0,
        "high": 2.0,
        "confidence": 0.95,
        "method": "",
    }


def test_test_result_keeps_its_fields() -> None:
    result = TestResult(0.1, 2.0, 0.04, None, "two-proportion-z")
    assert (result.estimate, result.statistic, result.p_value) == (0.1, 2.0, 0.04)
    assert result.interval is None and result.method == "two-proportion-z"


# --- z_value ----------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_z_value_matches_scipy(confidence: float) -> None:
    expected = scipy_stats.norm.ppf(1 - (1 - confidence) / 2)
    assert z_value(confidence) == pytest.approx(expected, rel=1e-12)


def test_z_value_known_quantiles() -> None:
    assert z_value(0.95) == pytest.approx(Z95, rel=1e-12)
    assert z_value(0.90) == pytest.approx(1.6448536269514722, rel=1e-12)


# --- wilson_interval --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n"),
    [(50, 200), (0, 10), (10, 10), (1, 3), (397, 1000), (1, 1), (7, 31)],
)
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_matches_scipy_and_statsmodels(x: int, n: int, confidence: float) -> None:
    ci = wilson_interval(x, n, confidence)
    assert ci is not None
    scipy_ci = scipy_stats.binomtest(x, n).proportion_ci(confidence, method="wilson")
    assert ci.low == pytest.approx(scipy_ci.low, abs=1e-12)
    assert ci.high == pytest.approx(scipy_ci.high, abs=1e-12)
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert (ci.confidence, ci.method) == (confidence, "wilson")


def test_wilson_by_hand_for_50_of_200() -> None:
    # p = 50/200 = 0.25; z = 1.959964, z^2 = 3.8414588, z^2/n = 0.0192073.
    # denominator = 1 + 0.0192073 = 1.0192073
    # centre = (0.25 + z^2/(2n) = 0.0096036) / 1.0192073 = 0.2547113
    # half = z * sqrt(p(1-p)/n = 0.0009375 + z^2/(4n^2) = 0.0000240) / 1.0192073
    #      = 1.959964 * sqrt(0.0009615091) / 1.0192073 = 1.959964 * 0.0310082 / 1.0192073
    #      = 0.0596297
    # interval = (0.2547113 - 0.0596297, 0.2547113 + 0.0596297) = (0.1950817, 0.3143410)
    ci = wilson_interval(50, 200)
    assert ci is not None
    assert ci.low == pytest.approx(0.1950817, abs=1e-7)
    assert ci.high == pytest.approx(0.3143410, abs=1e-7)


def test_wilson_is_exactly_0_or_1_at_the_ends_and_none_without_units() -> None:
    none_of_them = wilson_interval(0, 25)
    all_of_them = wilson_interval(25, 25)
    assert none_of_them is not None and all_of_them is not None
    assert none_of_them.low == 0.0 and none_of_them.high == pytest.approx(0.1331923, abs=1e-7)
    assert all_of_them.high == 1.0 and all_of_them.low == pytest.approx(1 - 0.1331923, abs=1e-7)
    assert wilson_interval(0, 0) is None


@given(counts_within, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_contains_the_rate_and_stays_in_the_unit_interval(
    pair: tuple[int, int], confidence: float
) -> None:
    x, n = pair
    ci = wilson_interval(x, n, confidence)
    if n == 0:
        assert ci is None
        return
    assert ci is not None
    assert 0.0 <= ci.low <= x / n <= ci.high <= 1.0


# --- nps_interval -----------------------------------------------------------------------------


def test_nps_interval_by_hand_for_61_23_19() -> None:
    # n = 61 + 23 + 19 = 103; adjusted n' = 106.
    # p' = 61.75 / 106 = 0.5825472, d' = 19.75 / 106 = 0.1863208
    # NPS' = p' - d' = 0.3962264
    # V' = p' + d' - NPS'^2 = 0.7688679 - 0.1569954 = 0.6118726
    # se = sqrt(V' / n') = sqrt(0.0057724) = 0.0759762; z * se = 1.959964 * 0.0759762 = 0.1489106
    # interval = 100 * (0.3962264 -/+ 0.1489106) = (24.73158, 54.51370)
    ci = nps_interval(61, 23, 19)
    assert ci is not None
    assert ci.low == pytest.approx(24.73158, abs=1e-5)
    assert ci.high == pytest.approx(54.51370, abs=1e-5)
    assert (ci.confidence, ci.method) == (0.95, "nps-adjusted-wald")


@pytest.mark.parametrize("counts", [(61, 23, 19), (5, 0, 2), (0, 10, 0), (300, 200, 100)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_nps_interval_matches_the_formula_with_scipy_quantile(
    counts: tuple[int, int, int], confidence: float
) -> None:
    centre, variance, n = adjusted(*counts)
    half = scipy_stats.norm.ppf(1 - (1 - confidence) / 2) * math.sqrt(variance / n)
    ci = nps_interval(*counts, confidence=confidence)
    assert ci is not None
    assert ci.low == pytest.approx(max(-100.0, 100 * (centre - half)), rel=1e-12)
    assert ci.high == pytest.approx(min(100.0, 100 * (centre + half)), rel=1e-12)


def test_nps_interval_is_clipped_to_the_scale() -> None:
    # All 100 promoters: p' = 100.75/103 = 0.978155, d' = 0.75/103 = 0.007282,
    # NPS' = 0.970874, V' = 0.985437 - 0.942596 = 0.042841, z * sqrt(V'/103) = 0.039972:
    # the upper bound 100 * (0.970874 + 0.039972) = 101.08 is clipped to 100.
    ci = nps_interval(100, 0, 0)
    assert ci is not None
    assert ci.high == 100.0
    assert ci.low == pytest.approx(100 * (0.970874 - 0.039972), abs=1e-4)
    mirror = nps_interval(0, 0, 100)
    assert mirror is not None
    assert (mirror.low, mirror.high) == (-100.0, pytest.approx(-ci.low))
    assert nps_interval(0, 0, 0) is None


@given(nps_samples, st.sampled_from([0.8, 0.95, 0.99]))
def test_nps_interval_lies_in_the_scale_and_contains_the_adjusted_score(
    counts: tuple[int, int, int], confidence: float
) -> None:
    ci = nps_interval(*counts, confidence=confidence)
    if sum(counts) == 0:
        assert ci is None
        return
    assert ci is not None
    centre, _, _ = adjusted(*counts)
    assert -100.0 <= ci.low <= 100 * centre <= ci.high <= 100.0


# --- poisson_rate_interval --------------------------------------------------------------------


def test_poisson_interval_by_hand_for_12_in_3() -> None:
    # x = 12, t = 3; z^2 / 2 = 1.9207294, z * sqrt(12 + z^2 / 4) = 1.959964 * 3.6000513 = 7.0559696
    # low = (12 + 1.9207294 - 7.0559696) / 3 = 2.2882533
    # high = (12 + 1.9207294 + 7.0559696) / 3 = 6.9922330
    ci = poisson_rate_interval(12, 3.0)
    assert ci is not None
    assert ci.low == pytest.approx(2.2882533, abs=1e-7)
    assert ci.high == pytest.approx(6.9922330, abs=1e-7)
    assert (ci.confidence, ci.method) == (0.95, "poisson-score")


@pytest.mark.parametrize(
    ("count", "exposure"), [(12, 3.0), (0, 1.0), (1, 0.5), (250, 10.0), (3, 12), (1000, 0.25)]
)
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_poisson_interval_matches_statsmodels_score(
    count: int,
    exposure: float,
    confidence: float,
) -> None:
    ci = poisson_rate_interval(count, exposure, confidence)
    assert ci is not None
    low, high = confint_poisson(count, exposure, method="score", alpha=1 - confidence)
    assert ci.low == pytest.approx(max(0.0, low), abs=1e-12)
    assert ci.high == pytest.approx(high, rel=1e-12)


def test_poisson_interval_without_exposure_is_none() -> None:
    assert poisson_rate_interval(0, 0.0) is None
    assert poisson_rate_interval(5, 0) is None


@given(
    st.integers(0, 10_000),
    st.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.8, 0.95, 0.99]),
)
def test_poisson_interval_contains_the_observed_rate(
    count: int,
    exposure: float,
    confidence: float,
) -> None:
    ci = poisson_rate_interval(count, exposure, confidence)
    assert ci is not None
    assert 0.0 <= ci.low <= count / exposure <= ci.high


# --- two_proportion_test ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(30, 100, 45, 100), (5, 40, 3, 60), (0, 20, 4, 25), (7, 7, 3, 9), (120, 1000, 95, 1000)],
)
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_two_proportion_test_matches_statsmodels(
    x1: int, n1: int, x2: int, n2: int, confidence: float
) -> None:
    result = two_proportion_test(x1, n1, x2, n2, confidence)
    assert result is not None
    assert result.method == "two-proportion-z"
    assert result.estimate == pytest.approx(x2 / n2 - x1 / n1, rel=1e-12)
    # proportions_ztest tests the first listed sample minus the second: list sample 2 first.
    statistic, p_value = proportions_ztest([x2, x1], [n2, n1])
    assert result.statistic == pytest.approx(statistic, rel=1e-10)
    assert result.p_value == pytest.approx(p_value, rel=1e-10)
    # confint_proportions_2indep is for count1/nobs1 - count2/nobs2: sample 2 goes first.
    low, high = confint_proportions_2indep(
        x2, n2, x1, n1, method="newcomb", compare="diff", alpha=1 - confidence
    )
    assert result.interval is not None
    assert result.interval.low == pytest.approx(low, abs=1e-12)
    assert result.interval.high == pytest.approx(high, abs=1e-12)
    assert (result.interval.confidence, result.interval.method) == (confidence, "newcombe")


def test_newcombe_sign_convention_against_statsmodels_order() -> None:
    # statsmodels in its own order gives the interval of p1 - p2: ours is its mirror image.
    result = two_proportion_test(30, 100, 45, 100)
    assert result is not None and result.interval is not None
    low, high = confint_proportions_2indep(30, 100, 45, 100, method="newcomb", compare="diff")
    assert (result.interval.low, result.interval.high) == (
        pytest.approx(-high, abs=1e-12),
        pytest.approx(-low, abs=1e-12),
    )
    assert result.interval.low > 0  # 30% -> 45% is a significant rise


def test_two_proportion_test_by_hand_for_30_of_100_to_45_of_100() -> None:
    # d = 0.45 - 0.30 = 0.15; pooled p = 75/200 = 0.375;
    # se = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = sqrt(0.0046875) = 0.0684653
    # z = 0.15 / 0.0684653 = 2.1908902; p = 2 * (1 - Phi(2.1908902)) = 0.0284597
    result = two_proportion_test(30, 100, 45, 100)
    assert result is not None
    assert result.estimate == pytest.approx(0.15)
    assert result.statistic == pytest.approx(2.1908902, abs=1e-7)
    assert result.p_value == pytest.approx(0.0284597, abs=1e-7)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(2.1908902300206647))


def test_two_proportion_test_with_pooled_share_0_or_1() -> None:
    for x1, n1, x2, n2 in [(0, 10, 0, 20), (10, 10, 20, 20)]:
        result = two_proportion_test(x1, n1, x2, n2)
        assert result is not None
        assert (result.estimate, result.statistic, result.p_value) == (0.0, 0.0, 1.0)
        assert result.interval is not None and result.interval.contains(0.0)


def test_two_proportion_test_with_an_empty_sample_is_none() -> None:
    assert two_proportion_test(0, 0, 3, 10) is None
    assert two_proportion_test(3, 10, 0, 0) is None


@given(
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.9, 0.95]),
)
def test_two_proportion_test_of_identical_samples_shows_no_change(
    pair: tuple[int, int], confidence: float
) -> None:
    x, n = pair
    result = two_proportion_test(x, n, x, n, confidence)
    assert result is not None
    assert result.estimate == 0.0
    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.interval is not None and result.interval.contains(0.0)


# --- nps_difference_test ----------------------------------------------------------------------


def test_nps_difference_by_hand() -> None:
    # First (40, 30, 30): n' = 103, p' = 40.75/103 = 0.3956311, d' = 30.75/103 = 0.2985437,
    #   NPS1' = 0.0970874, V1' = 0.6941748 - 0.0094260 = 0.6847488.
    # Second (50, 30, 20): p' = 50.75/103 = 0.4927184, d' = 20.75/103 = 0.2014563,
    #   NPS2' = 0.2912621, V2' = 0.6941748 - 0.0848336 = 0.6093412.
    # se = sqrt(0.6847488/103 + 0.6093412/103) = sqrt(0.0125640) = 0.1120893
    # z = (0.2912621 - 0.0970874) / 0.1120893 = 1.7323241; p = 2 * (1 - Phi(z)) = 0.0832159
    # interval = 100 * (0.1941748 -/+ 1.959964 * 0.1120893) = (-2.55160, 41.38655)
    # estimate (plain) = 100 * ((50 - 20)/100 - (40 - 30)/100) = 20
    result = nps_difference_test((40, 30, 30), (50, 30, 20))
    assert result is not None
    assert result.method == "nps-difference-z"
    assert result.estimate == pytest.approx(20.0)
    assert result.statistic == pytest.approx(1.7323241, abs=1e-6)
    assert result.p_value == pytest.approx(0.0832159, abs=1e-6)
    assert result.interval is not None
    assert result.interval.low == pytest.approx(-2.55160, abs=1e-4)
    assert result.interval.high == pytest.approx(41.38655, abs=1e-4)


@pytest.mark.parametrize(
    ("first", "second"),
    [((40, 30, 30), (50, 30, 20)), ((61, 23, 19), (12, 5, 30)), ((1, 0, 0), (0, 0, 5))],
)
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_nps_difference_matches_the_formula_with_scipy_normal(
    first: tuple[int, int, int], second: tuple[int, int, int], confidence: float
) -> None:
    c1, v1, n1 = adjusted(*first)
    c2, v2, n2 = adjusted(*second)
    se = math.sqrt(v1 / n1 + v2 / n2)
    z = (c2 - c1) / se
    half = scipy_stats.norm.ppf(1 - (1 - confidence) / 2) * se
    result = nps_difference_test(first, second, confidence)
    assert result is not None and result.interval is not None
    plain = 100 * ((second[0] - second[2]) / sum(second) - (first[0] - first[2]) / sum(first))
    assert result.estimate == pytest.approx(plain)
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-9)
    assert result.interval.low == pytest.approx(max(-200, 100 * (c2 - c1 - half)), rel=1e-12)
    assert result.interval.high == pytest.approx(min(200, 100 * (c2 - c1 + half)), rel=1e-12)


def test_nps_difference_interval_is_clipped_to_200() -> None:
    # (0, 0, 1) -> (1, 0, 0): n' = 4 each, NPS1' = -0.25, NPS2' = 0.25, V' = 0.625 - 0.0625
    # = 0.5625 each; se = sqrt(2 * 0.5625 / 4) = 0.5303301. At 99.99%, z = 3.8905919:
    # 100 * (0.5 + 3.8905919 * 0.5303301) = 256.33 -> clipped to 200; low = -156.33.
    result = nps_difference_test((0, 0, 1), (1, 0, 0), confidence=0.9999)
    assert result is not None and result.interval is not None
    assert result.estimate == pytest.approx(200.0)
    assert result.interval.high == 200.0
    assert result.interval.low == pytest.approx(100 * (0.5 - 3.8905919 * 0.5303301), abs=1e-4)


def test_nps_difference_with_an_empty_sample_is_none() -> None:
    assert nps_difference_test((0, 0, 0), (1, 2, 3)) is None
    assert nps_difference_test((1, 2, 3), (0, 0, 0)) is None


@given(nps_samples)
def test_nps_difference_of_a_sample_with_itself_is_zero(counts: tuple[int, int, int]) -> None:
    result = nps_difference_test(counts, counts)
    if sum(counts) == 0:
        assert result is None
        return
    assert result is not None and result.interval is not None
    assert result.estimate == 0.0
    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.interval.low == pytest.approx(-result.interval.high)


# --- conditional_binomial_test ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "x2", "e1", "e2"),
    [
        (10, 30, 1.0, 1.0),
        (3, 9, 90.0, 92.0),
        (0, 5, 1.0, 2.0),
        (50, 47, 1.0, 1.0),
        (7, 0, 3.0, 1.0),
        (1, 1, 1.0, 1.0),
        (25, 60, 2.5, 4.0),
    ],
)
def test_conditional_binomial_matches_scipy(x1: int, x2: int, e1: float, e2: float) -> None:
    result = conditional_binomial_test(x1, x2, e1, e2)
    assert result is not None
    expected = scipy_stats.binomtest(x1, x1 + x2, e1 / (e1 + e2)).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.estimate == pytest.approx(x2 / e2 - x1 / e1)
    assert (result.statistic, result.interval, result.method) == (
        None,
        None,
        "conditional-binomial",
    )


def test_conditional_binomial_by_hand_with_ties() -> None:
    # x1 = 4, x2 = 2, equal exposure: Binomial(6, 1/2) pmf is (1, 6, 15, 20, 15, 6, 1) / 64.
    # pmf(4) = 15/64; the outcomes no more likely are 0, 1, 2, 4, 5, 6 (the tie at 2 counts):
    # p = (1 + 6 + 15 + 15 + 6 + 1) / 64 = 44/64 = 0.6875.
    result = conditional_binomial_test(4, 2)
    assert result is not None
    assert result.p_value == pytest.approx(0.6875, rel=1e-12)
    assert result.estimate == -2.0
    # x1 at the expected count: every outcome is no more likely, p = 1.
    at_mean = conditional_binomial_test(5, 5)
    assert at_mean is not None and at_mean.p_value == 1.0


def test_conditional_binomial_handles_large_counts() -> None:
    result = conditional_binomial_test(50_000, 50_700)
    assert result is not None
    expected = scipy_stats.binomtest(50_000, 100_700, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-7)
    assert 0.02 < result.p_value < 0.04


def test_conditional_binomial_without_events_is_none() -> None:
    assert conditional_binomial_test(0, 0) is None
    assert conditional_binomial_test(0, 0, 2.0, 5.0) is None


@given(
    st.integers(0, 300),
    st.integers(0, 300),
    st.sampled_from([0.5, 1.0, 2.0, 3.7]),
    st.sampled_from([0.5, 1.0, 2.0, 12.0]),
)
def test_conditional_binomial_agrees_with_scipy_everywhere(
    x1: int,
    x2: int,
    e1: float,
    e2: float,
) -> None:
    result = conditional_binomial_test(x1, x2, e1, e2)
    if x1 + x2 == 0:
        assert result is None
        return
    assert result is not None
    expected = scipy_stats.binomtest(x1, x1 + x2, e1 / (e1 + e2)).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-8, abs=1e-250)
    assert 0.0 <= result.p_value <= 1.0


# --- fisher_exact_test ------------------------------------------------------------------------


def naive_fisher(x1: int, n1: int, x2: int, n2: int) -> Fraction:
    """Two-sided Fisher p-value in exact arithmetic: every table with the margins, enumerated."""
    successes, total = x1 + x2, n1 + n2
    weight = {k: math.comb(successes, k) * math.comb(total - successes, n1 - k) for k in range(0, n1 + 1)}
    observed = weight[x1]
    extreme = sum(w for w in weight.values() if w <= observed)
    return Fraction(extreme, math.comb(total, n1))


def test_fisher_for_0_of_3_to_1_of_1_by_hand() -> None:
    # Margins: 1 success in 4, 3 in the first sample. P(X1 = 0) = C(1,0) C(3,3) / C(4,3) = 1/4,
    # P(X1 = 1) = 3/4: only the observed table is no more likely than itself, so p = 0.25.
    result = fisher_exact_test(0, 3, 1, 1)
    assert result is not None
    assert result.p_value == pytest.approx(0.25, rel=1e-12)
    assert result.estimate == 1.0 and result.statistic is None and result.method == "fisher-exact"
    assert result.interval is not None and result.interval.method == "newcombe"
    # The z-test calls the same change significant (p = 0.046): the reason to use Fisher here.
    z = two_proportion_test(0, 3, 1, 1)
    assert z is not None and z.p_value == pytest.approx(0.0455, abs=1e-4)


def test_fisher_by_hand_for_a_symmetric_table_counts_both_tails() -> None:
    # 3 of 4 then 1 of 4: margins 4 successes of 8. Weights C(4,k) C(4,4-k) = 1, 16, 36, 16, 1 of 70.
    # Tables no more likely than k = 3 (weight 16): k = 0, 1, 3, 4, so p = 34/70.
    result = fisher_exact_test(3, 4, 1, 4)
    assert result is not None and result.p_value == pytest.approx(34 / 70, rel=1e-12)


small_tables = st.tuples(st.integers(1, 25), st.integers(1, 25)).flatmap(
    lambda n: st.tuples(st.integers(0, n[0]), st.just(n[0]), st.integers(0, n[1]), st.just(n[1]))
)


@given(small_tables)
def test_fisher_equals_a_naive_enumeration(table: tuple[int, int, int, int]) -> None:
    result = fisher_exact_test(*table)
    assert result is not None
    assert result.p_value == pytest.approx(float(naive_fisher(*table)), rel=1e-9)


@given(small_tables)
def test_fisher_matches_scipy(table: tuple[int, int, int, int]) -> None:
    x1, n1, x2, n2 = table
    expected = scipy_stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
    result = fisher_exact_test(x1, n1, x2, n2)
    assert result is not None
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert 0.0 < result.p_value <= 1.0


@pytest.mark.parametrize(
    "table", [(2, 4000, 9, 3000), (0, 200, 6, 150), (10, 10, 0, 10), (1, 1, 0, 1), (498, 1000, 520, 1000)]
)
def test_fisher_matches_scipy_on_larger_and_extreme_tables(table: tuple[int, int, int, int]) -> None:
    x1, n1, x2, n2 = table
    expected = scipy_stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
    result = fisher_exact_test(x1, n1, x2, n2)
    assert result is not None and result.p_value == pytest.approx(expected, rel=1e-8)


def test_fisher_with_one_margin_fixed_or_an_empty_sample() -> None:
    for table in [(0, 5, 0, 7), (5, 5, 7, 7)]:
        result = fisher_exact_test(*table)
        assert result is not None and result.p_value == 1.0 and result.estimate == 0.0
    assert fisher_exact_test(0, 0, 1, 2) is None
    assert fisher_exact_test(1, 2, 0, 0) is None


def test_fisher_interval_is_newcombes() -> None:
    fisher, z = fisher_exact_test(2, 9, 7, 11, 0.9), two_proportion_test(2, 9, 7, 11, 0.9)
    assert fisher is not None and z is not None
    assert fisher.interval == z.interval and fisher.estimate == z.estimate


def test_smallest_expected_count_by_hand() -> None:
    # Rows 3 and 1, columns 1 success and 3 failures, 4 in all: 1 * 1 / 4.
    assert smallest_expected_count(0, 3, 1, 1) == 0.25
    # Rows 100 and 100, columns 75 and 125, 200 in all: 100 * 75 / 200.
    assert smallest_expected_count(30, 100, 45, 100) == 37.5
    assert smallest_expected_count(0, 10, 0, 10) == 0.0
    assert smallest_expected_count(0, 0, 3, 4) is None


# --- kaplan_meier -----------------------------------------------------------------------------

# Freireich et al. (1963) 6-MP arm, as tabulated by Gehan (1965) and Kleinbaum & Klein's
# "Survival Analysis": weeks in remission, 9 relapses and 12 censored ("+") of 21 patients.
FREIREICH_EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23]
FREIREICH_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]


def test_kaplan_meier_textbook_6mp_by_hand() -> None:
    # t=6:  21 at risk, 3 relapses: S = 18/21                      = 0.857143
    # t=7:  21 - 3 - 1 (6+) = 17 at risk, 1: S = 0.857143 * 16/17  = 0.806723
    # t=10: 17 - 1 (7) - 1 (9+) = 15 at risk, 1 (10+ still at risk): S = 0.806723 * 14/15 = 0.752941
    # t=13: 15 - 2 (10, 10+) - 1 (11+) = 12 at risk, 1: S = 0.752941 * 11/12 = 0.690196
    # t=16: 11 at risk, 1: S = 0.690196 * 10/11                     = 0.627451
    # t=22: 10 - 3 (17+, 19+, 20+) = 7 at risk, 1: S = 0.627451 * 6/7 = 0.537815
    # t=23: 6 at risk, 1: S = 0.537815 * 5/6                        = 0.448179
    # Median: the first time S <= 0.5 is 23 weeks.
    durations = [float(d) for d in FREIREICH_EVENTS + FREIREICH_CENSORED]
    observed = [True] * len(FREIREICH_EVENTS) + [False] * len(FREIREICH_CENSORED)
    curve = kaplan_meier(durations, observed)
    assert curve.times == (6.0, 7.0, 10.0, 13.0, 16.0, 22.0, 23.0)
    assert curve.survival == pytest.approx(
        (0.857143, 0.806723, 0.752941, 0.690196, 0.627451, 0.537815, 0.448179), abs=1e-6
    )
    assert curve.at_risk == (21, 17, 15, 12, 11, 7, 6)
    assert curve.events == (3, 1, 1, 1, 1, 1, 1)
    assert (curve.n, curve.n_events, curve.n_censored) == (21, 9, 12)
    assert curve.median() == 23.0
    assert curve.quantile(0.25) == 13.0  # 1 - S(10) = 0.247 < 0.25 <= 1 - S(13) = 0.310
    assert curve.share_by(12.0) == pytest.approx(1 - 0.752941, abs=1e-6)
    assert curve.survival_at(5.99) == 1.0
    assert curve.survival_at(35.0) == pytest.approx(0.448179, abs=1e-6)
    assert curve.observed_horizon() == 35.0


def test_kaplan_meier_matches_statsmodels_on_the_textbook_data() -> None:
    durations = FREIREICH_EVENTS + FREIREICH_CENSORED
    observed = [True] * len(FREIREICH_EVENTS) + [False] * len(FREIREICH_CENSORED)
    reference = SurvfuncRight(durations, [int(o) for o in observed])
    curve = kaplan_meier(durations, observed)
    assert curve.times == tuple(float(t) for t in reference.surv_times)
    assert curve.survival == pytest.approx(tuple(reference.surv_prob), rel=1e-12)
    assert curve.at_risk == tuple(int(r) for r in reference.n_risk)


def test_kaplan_meier_small_case_with_a_tie_by_hand() -> None:
    # Durations 2, 3, 3(censored), 5, 8(censored). At 2: 5 at risk, 1 event: S = 4/5 = 0.8.
    # At 3: 4 at risk, 1 event (the censoring at 3 counts after it): S = 0.8 * 3/4 = 0.6.
    # At 5: 2 at risk, 1 event: S = 0.6 * 1/2 = 0.3. Median: the first time S <= 0.5, i.e. 5.
    curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
    assert curve.times == (2.0, 3.0, 5.0)
    assert curve.survival == pytest.approx((0.8, 0.6, 0.3))
    assert curve.at_risk == (5, 4, 2)
    assert curve.median() == 5.0
    assert curve.quantile(0.2) == 2.0
    assert curve.quantile(1.0) is None
    assert curve.share_by(4.0) == pytest.approx(0.4)
    assert curve.observed_horizon() == 8.0


def test_kaplan_meier_reaching_zero_and_exact_half() -> None:
    # 4 subjects, all with events at 1, 2, 3, 4: S = 3/4, 1/2, 1/4, 0. S(2) is exactly 1/2,
    # so the median is 2; everyone had the event by 4.
    curve = kaplan_meier([4, 3, 2, 1], [True] * 4)
    assert curve.survival == pytest.approx((0.75, 0.5, 0.25, 0.0))
    assert curve.median() == 2.0
    assert curve.quantile(1.0) == 4.0
    assert curve.share_by(100.0) == 1.0


def test_empty_curve_and_one_that_never_reaches_half() -> None:
    empty = kaplan_meier([], [])
    assert (empty.n, empty.n_events, empty.n_censored) == (0, 0, 0)
    assert (empty.median(), empty.share_by(30.0), empty.survival_at(30.0)) == (None, None, 1.0)
    assert empty.observed_horizon() == 0.0
    mostly_censored = kaplan_meier([5, 10, 10, 10], [True, False, False, False])
    assert mostly_censored.median() is None
    assert mostly_censored.share_by(10.0) == pytest.approx(0.25)
    assert mostly_censored.share_by(30.0) is None
    assert mostly_censored.observed_horizon() == 10.0


def naive_survival(durations: list[float], observed: list[bool], t: float) -> Fraction:
    """Product-limit S(t) in exact arithmetic, recounting the risk set at every event time."""
    survival = Fraction(1)
    for time in sorted({d for d, o in zip(durations, observed, strict=True) if o}):
        if time > t:
            break
        at_risk = sum(1 for d in durations if d >= time)
        events = sum(1 for d, o in zip(durations, observed, strict=True) if o and d == time)
        survival *= Fraction(at_risk - events, at_risk)
    return survival


def naive_median(durations: list[float], observed: list[bool]) -> float | None:
    event_times = sorted({d for d, o in zip(durations, observed, strict=True) if o})
    return next(
        (t for t in event_times if naive_survival(durations, observed, t) <= Fraction(1, 2)),
        None,
    )


subjects = st.lists(st.tuples(st.integers(0, 40).map(float), st.booleans()), max_size=40)


@given(subjects)
def test_kaplan_meier_equals_a_naive_product_limit(pairs: list[tuple[float, bool]]) -> None:
    durations = [d for d, _ in pairs]
    observed = [o for _, o in pairs]
    curve = kaplan_meier(durations, observed)
    for t in [x / 2 for x in range(-1, 84)]:
        expected = float(naive_survival(durations, observed, t))
        assert curve.survival_at(t) == pytest.approx(expected, abs=1e-12)
    assert curve.median() == naive_median(durations, observed)
    assert (curve.n, curve.n_events) == (len(pairs), sum(observed))
    assert curve.observed_horizon() == max(durations, default=0.0)


@given(subjects)
def test_kaplan_meier_survival_is_non_increasing_within_0_and_1(
    pairs: list[tuple[float, bool]],
) -> None:
    curve = kaplan_meier([d for d, _ in pairs], [o for _, o in pairs])
    assert all(0.0 <= s <= 1.0 for s in curve.survival)
    assert all(a >= b for a, b in zip(curve.survival, curve.survival[1:], strict=False))
    assert list(curve.times) == sorted(set(curve.times))


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=40))
def test_without_censoring_share_by_is_the_empirical_share(durations: list[float]) -> None:
    curve = kaplan_meier(durations, [True] * len(durations))
    for t in [*durations, 0.0, 25.0, 50.0, 100.0]:
        empirical = sum(d <= t for d in durations) / len(durations)
        assert curve.share_by(t) == pytest.approx(empirical, abs=1e-12)
    ordered = sorted(durations)
    lower_median = ordered[(len(ordered) - 1) // 2]
    assert curve.median() == lower_median


def test_share_by_is_none_beyond_the_longest_follow_up() -> None:
    # 10 accounts activated in September: 3 referred within 5 days (days 1, 3, 5), the other 7 are
    # censored at day 41 (as_of). S(5) = 7/10; nothing is known after day 41.
    durations = [1.0, 3.0, 5.0] + [41.0] * 7
    curve = kaplan_meier(durations, [True] * 3 + [False] * 7)
    assert curve.share_by(30.0) == pytest.approx(0.30)
    assert curve.share_by(41.0) == pytest.approx(0.30)
    assert curve.share_by(90.0) is None
    assert curve.share_by(180.0) is None
    assert curve.share_by(0.0) == 0.0 and curve.share_by(1.0) == pytest.approx(0.1)


def test_share_by_after_everyone_had_the_event_is_one() -> None:
    curve = kaplan_meier([3.0, 1.0, 7.0], [True, True, True])
    assert curve.share_by(7.0) == 1.0 and curve.share_by(1000.0) == 1.0
    censored_last = kaplan_meier([3.0, 1.0, 7.0], [True, True, False])
    assert censored_last.share_by(7.0) == pytest.approx(2 / 3) and censored_last.share_by(7.5) is None


@given(subjects, st.floats(0, 100))
def test_share_by_is_known_exactly_up_to_the_longest_follow_up(
    pairs: list[tuple[float, bool]], horizon: float
) -> None:
    curve = kaplan_meier([d for d, _ in pairs], [o for _, o in pairs])
    share = curve.share_by(horizon)
    everyone = bool(pairs) and curve.survival and curve.survival[-1] == 0.0
    if not pairs or (horizon > max(d for d, _ in pairs) and not everyone):
        assert share is None
    else:
        expected = 1 - float(naive_survival([d for d, _ in pairs], [o for _, o in pairs], horizon))
        assert share == pytest.approx(expected, abs=1e-12)


# --- errors -----------------------------------------------------------------------------------


def test_error_message_wording() -> None:
    with pytest.raises(ValueError, match="successes") as caught:
        wilson_interval(13, 12)
    expected = "The 'successes' parameter of wilson_interval must be between 0 and n (12)."
    assert str(caught.value) == f"{expected} Got 13 instead."
    assert isinstance(caught.value, ParameterError)


CURVE = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
BAD_CALLS: list[tuple[Callable[[], Any], str, str, Any]] = [
    (lambda: z_value(1.0), "confidence", "z_value", 1.0),
    (lambda: z_value(0.0), "confidence", "z_value", 0.0),
    (lambda: z_value(-0.5), "confidence", "z_value", -0.5),
    (lambda: z_value(float("nan")), "confidence", "z_value", float("nan")),
    (lambda: z_value(True), "confidence", "z_value", True),
    (lambda: z_value("0.95"), "confidence", "z_value", "0.95"),
    (lambda: wilson_interval(13, 12), "successes", "wilson_interval", 13),
    (lambda: wilson_interval(-1, 12), "successes", "wilson_interval", -1),
    (lambda: wilson_interval(1.5, 12), "successes", "wilson_interval", 1.5),
    (lambda: wilson_interval(True, 12), "successes", "wilson_interval", True),
    (lambda: wilson_interval(0, -3), "n", "wilson_interval", -3),
    (lambda: wilson_interval(0, 0, 1.5), "confidence", "wilson_interval", 1.5),
    (lambda: nps_interval(-1, 2, 0), "promoters", "nps_interval", -1),
    (lambda: nps_interval(1, -2, 0), "passives", "nps_interval", -2),
    (lambda: nps_interval(1, 2, -3), "detractors", "nps_interval", -3),
    (lambda: nps_interval(1, 2, 3, 0.0), "confidence", "nps_interval", 0.0),
    (lambda: poisson_rate_interval(-2, 1.0), "count", "poisson_rate_interval", -2),
    (lambda: poisson_rate_interval(3, -1.0), "exposure", "poisson_rate_interval", -1.0),
    (lambda: poisson_rate_interval(3, math.inf), "exposure", "poisson_rate_interval", math.inf),
    (lambda: poisson_rate_interval(3, 1.0, 2), "confidence", "poisson_rate_interval", 2),
    (lambda: two_proportion_test(-1, 2, 3, 4), "x1", "two_proportion_test", -1),
    (lambda: two_proportion_test(1, -2, 3, 4), "n1", "two_proportion_test", -2),
    (lambda: two_proportion_test(1, 2, -3, 4), "x2", "two_proportion_test", -3),
    (lambda: two_proportion_test(1, 2, 3, -4), "n2", "two_proportion_test", -4),
    (lambda: two_proportion_test(3, 2, 3, 4), "x1", "two_proportion_test", 3),
    (lambda: two_proportion_test(1, 2, 5, 4), "x2", "two_proportion_test", 5),
    (lambda: two_proportion_test(1, 2, 3, 4, 1.0), "confidence", "two_proportion_test", 1.0),
    (
        lambda: nps_difference_test((1, -2, 3), (1, 2, 3)),
        "first",
        "nps_difference_test",
        (1, -2, 3),
    ),
    (lambda: nps_difference_test((1, 2, 3), (1, 2)), "second", "nps_difference_test", (1, 2)),
    (lambda: nps_difference_test((1, 2, 3), (1, 2, 3), 0), "confidence", "nps_difference_test", 0),
    (lambda: conditional_binomial_test(-1, 2), "x1", "conditional_binomial_test", -1),
    (lambda: conditional_binomial_test(1, -2), "x2", "conditional_binomial_test", -2),
    (
        lambda: conditional_binomial_test(1, 2, 0.0, 1.0),
        "exposure1",
        "conditional_binomial_test",
        0.0,
    ),
    (
        lambda: conditional_binomial_test(1, 2, 1.0, -1.0),
        "exposure2",
        "conditional_binomial_test",
        -1.0,
    ),
    (lambda: kaplan_meier([1.0, 2.0], [True]), "observed", "kaplan_meier", 1),
    (lambda: kaplan_meier([1.0, -2.0], [True, True]), "durations[1]", "kaplan_meier", -2.0),
    (lambda: kaplan_meier([float("nan")], [True]), "durations[0]", "kaplan_meier", float("nan")),
    (lambda: CURVE.quantile(0.0), "q", "SurvivalCurve.quantile", 0.0),
    (lambda: CURVE.share_by(-1.0), "horizon", "SurvivalCurve.share_by", -1.0),
    (lambda: CURVE.share_by(math.inf), "horizon", "SurvivalCurve.share_by", math.inf),
    (lambda: fisher_exact_test(-1, 2, 3, 4), "x1", "fisher_exact_test", -1),
    (lambda: fisher_exact_test(3, 2, 3, 4), "x1", "fisher_exact_test", 3),
    (lambda: fisher_exact_test(1, 2, 5, 4), "x2", "fisher_exact_test", 5),
    (lambda: fisher_exact_test(1, 2, 3, -4), "n2", "fisher_exact_test", -4),
    (lambda: fisher_exact_test(1, 2, 3, 4, 1.0), "confidence", "fisher_exact_test", 1.0),
    (lambda: smallest_expected_count(1, 2, 3, 2), "x2", "smallest_expected_count", 3),
    (lambda: CURVE.quantile(1.5), "q", "SurvivalCurve.quantile", 1.5),
]


@pytest.mark.parametrize(("call", "parameter", "function", "value"), BAD_CALLS)
def test_bad_arguments_name_the_parameter_and_the_value(
    call: Callable[[], Any], parameter: str, function: str, value: Any
) -> None:
    with pytest.raises(ValueError, match="instead") as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"The '{parameter}' parameter of {function} must be ")
    assert message.endswith(f"Got {value!r} instead.")
    assert isinstance(caught.value, ParameterError)
    assert (caught.value.parameter, caught.value.function) == (parameter, function)


WORDING: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: wilson_interval(-1, 12),
        "'successes' parameter of wilson_interval must be a non-negative integer. Got -1",
    ),
    (
        lambda: z_value(1.0),
        "'confidence' parameter of z_value must be a number strictly between 0 and 1. Got 1.0",
    ),
    (
        lambda: conditional_binomial_test(1, 2, 0.0, 1.0),
        "'exposure1' parameter of conditional_binomial_test must be a positive finite number. Got 0.0",
    ),
    (
        lambda: conditional_binomial_test(1, 2, 1.0, 0.0),
        "'exposure2' parameter of conditional_binomial_test must be a positive finite number. Got 0.0",
    ),
    (
        lambda: poisson_rate_interval(3, -1.0),
        "'exposure' parameter of poisson_rate_interval must be a non-negative finite number. Got -1.0",
    ),
    (
        lambda: two_proportion_test(3, 2, 1, 4),
        "'x1' parameter of two_proportion_test must be between 0 and n1 (2). Got 3",
    ),
    (
        lambda: two_proportion_test(1, 2, 5, 4),
        "'x2' parameter of two_proportion_test must be between 0 and n2 (4). Got 5",
    ),
    (
        lambda: smallest_expected_count(1, 2, 3, 2),
        "'x2' parameter of smallest_expected_count must be between 0 and n2 (2). Got 3",
    ),
    (
        lambda: CURVE.quantile(0.0),
        "'q' parameter of SurvivalCurve.quantile must be a number in (0, 1]. Got 0.0",
    ),
    (
        lambda: CURVE.share_by(-1.0),
        "'horizon' parameter of SurvivalCurve.share_by must be a non-negative finite number. Got -1.0",
    ),
    (
        lambda: kaplan_meier([1.0, 2.0], [True]),
        "'observed' parameter of kaplan_meier must be as long as durations (2 items). Got 1",
    ),
]
NPS_COUNTS = "a tuple of three non-negative integers (promoters, passives, detractors)"
WORDING += [
    (
        lambda bad=bad: nps_difference_test(bad, (1, 2, 3)),  # type: ignore[misc]
        f"'first' parameter of nps_difference_test must be {NPS_COUNTS}. Got {bad!r}",
    )
    for bad in [(1, -2, 3), (-1, 2, 3), (1, 2, -3), (1, True, 3), (1, 2.5, 3), (1, 2), 5]
]


@pytest.mark.parametrize(("call", "message"), WORDING)
def test_each_refusal_words_its_expectation(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        call()
    assert str(caught.value) == f"The {message} instead."


def test_nps_difference_checks_each_count_of_the_second_sample() -> None:
    for bad in [(-1, 2, 3), (1, -2, 3), (1, 2, -3)]:
        with pytest.raises(ParameterError, match="'second'"):
            nps_difference_test((1, 2, 3), bad)
    assert nps_difference_test((1, 2, 3), (0, 0, 1)) is not None


def test_nps_interval_exists_whenever_anyone_answered() -> None:
    # (1, 0, 1) and (0, 1, 1) have respondents although a signed sum of them is 0.
    for counts in [(1, 0, 1), (0, 1, 1), (1, 1, 0)]:
        interval = nps_interval(*counts)
        assert interval is not None and interval.low < interval.high


def test_nps_difference_interval_keeps_its_confidence_and_method() -> None:
    result = nps_difference_test((40, 30, 30), (50, 30, 20), 0.9)
    assert result is not None and result.interval is not None
    assert (result.interval.confidence, result.interval.method) == (0.9, "nps-adjusted-wald")


def test_smallest_expected_count_when_failures_are_the_rarer_column() -> None:
    # 9 of 10 and 8 of 10: 17 successes and 3 failures of 20; rows of 10: 10 * 3 / 20.
    assert smallest_expected_count(9, 10, 8, 10) == 1.5
    assert smallest_expected_count(10, 10, 2, 4) == pytest.approx(4 * 2 / 14)


@pytest.mark.parametrize("n", [5, 7, 10, 17, 29])
def test_wilson_lower_bound_at_zero_successes_is_exactly_zero(n: int) -> None:
    # The formula leaves a rounding residue of about 1e-17 here; the bound must be exactly 0.
    interval = wilson_interval(0, n, 0.95)
    assert interval is not None and interval.low == 0.0


def test_conditional_binomial_counts_the_single_outcome_at_the_far_end() -> None:
    # 0 of 10 under p = 1/2: the outcomes no more likely are 0 and 10, each 1/1024.
    for x1, x2 in ((0, 10), (10, 0)):
        result = conditional_binomial_test(x1, x2)
        assert result is not None and result.p_value == pytest.approx(2 / 1024, rel=1e-12)


# -- contrasts, levels and families of tests -------------------------------------------------


def test_proportion_contrast_of_two_samples_is_the_agresti_caffo_interval_by_hand() -> None:
    # 30/100 then 45/100, two samples: add 1 success and 2 trials to each: 31/102 and 46/102.
    from advocacy_kpis.stats import proportion_contrast_test

    test = proportion_contrast_test([(30, 100), (45, 100)], [-1, 1])
    assert test is not None
    p1, p2 = 31 / 102, 46 / 102
    spread = math.sqrt(p1 * (1 - p1) / 102 + p2 * (1 - p2) / 102)
    assert test.estimate == pytest.approx(0.15)
    assert test.statistic == pytest.approx((p2 - p1) / spread)
    assert test.interval is not None
    assert test.interval.low == pytest.approx(p2 - p1 - Z95 * spread)
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs((p2 - p1) / spread)))
    # statsmodels' Agresti-Caffo interval for the same difference.
    low, high = confint_proportions_2indep(45, 100, 30, 100, method="agresti-caffo")
    assert (test.interval.low, test.interval.high) == pytest.approx((low, high))


def test_difference_in_differences_of_four_proportions_by_hand() -> None:
    # Four samples: add 2/4 = 0.5 successes and 1 trial to each (Price and Bonett).
    from advocacy_kpis.stats import proportion_contrast_test

    samples = [(30, 100), (20, 100), (32, 100), (31, 100)]
    test = proportion_contrast_test(samples, [-1, 1, 1, -1])
    assert test is not None
    shares = [(x + 0.5) / (n + 1) for x, n in samples]
    centre = -shares[0] + shares[1] + shares[2] - shares[3]
    spread = math.sqrt(sum(p * (1 - p) / 101 for p in shares))
    assert test.estimate == pytest.approx(-0.3 + 0.2 + 0.32 - 0.31)
    assert test.statistic == pytest.approx(centre / spread)
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(centre / spread)))
    assert proportion_contrast_test([(0, 0), (1, 2), (1, 2), (1, 2)], [-1, 1, 1, -1]) is None
    with pytest.raises(ParameterError, match="weights"):
        proportion_contrast_test(samples, [1, -1])
    with pytest.raises(ParameterError, match="weights"):
        proportion_contrast_test(samples, [0, 0, 0, 0])


def test_nps_contrast_of_two_samples_is_the_nps_difference_test() -> None:
    from advocacy_kpis.stats import nps_contrast_test

    first, second = (40, 30, 30), (50, 30, 20)
    contrast = nps_contrast_test([first, second], [-1, 1])
    difference = nps_difference_test(first, second)
    assert contrast is not None and difference is not None
    assert contrast.statistic == pytest.approx(difference.statistic)
    assert contrast.p_value == pytest.approx(difference.p_value)
    assert contrast.estimate == pytest.approx(difference.estimate)


def test_nps_difference_in_differences_by_hand() -> None:
    from advocacy_kpis.stats import nps_contrast_test

    samples = [(40, 30, 30), (50, 30, 20), (45, 35, 20), (44, 36, 20)]
    weights = [-1, 1, 1, -1]
    test = nps_contrast_test(samples, weights)
    assert test is not None
    centre = variance = 0.0
    for (p, _, d), w in zip(samples, weights, strict=True):
        n = p + _ + d + 3
        share_p, share_d = (p + 0.75) / n, (d + 0.75) / n
        centre += w * (share_p - share_d)
        variance += w * w * (share_p + share_d - (share_p - share_d) ** 2) / n
    assert test.estimate == pytest.approx(-10 + 30 + 25 - 24)
    assert test.statistic == pytest.approx(centre / math.sqrt(variance))
    assert test.interval is not None
    assert test.interval.high == pytest.approx(100 * (centre + Z95 * math.sqrt(variance)))


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.floats(0.05, 0.95))
def test_binomial_level_test_matches_scipy(counts: tuple[int, int], level: float) -> None:
    from advocacy_kpis.stats import binomial_level_test

    x, n = counts
    below = binomial_level_test(x, n, level, "below")
    above = binomial_level_test(x, n, level, "above")
    assert below is not None and above is not None
    assert below.p_value == pytest.approx(
        scipy_stats.binomtest(x, n, level, alternative="less").pvalue, abs=1e-12
    )
    assert above.p_value == pytest.approx(
        scipy_stats.binomtest(x, n, level, alternative="greater").pvalue, abs=1e-12
    )


def test_binomial_level_test_refuses_bad_levels_and_has_no_answer_without_units() -> None:
    from advocacy_kpis.stats import binomial_level_test

    assert binomial_level_test(0, 0, 0.7, "below") is None
    for level in (0, 1, 1.5):
        with pytest.raises(ParameterError, match="level"):
            binomial_level_test(3, 10, level, "below")
    with pytest.raises(ParameterError, match="side"):
        binomial_level_test(3, 10, 0.5, "under")


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.sampled_from(["holm", "benjamini-hochberg"]))
def test_adjusted_p_values_match_statsmodels(p_values: list[float], method: str) -> None:
    from statsmodels.stats.multitest import multipletests

    from advocacy_kpis.stats import adjust_p_values

    expected = multipletests(p_values, method="holm" if method == "holm" else "fdr_bh")[1]
    assert adjust_p_values(p_values, method) == pytest.approx(list(expected), abs=1e-12)


def test_holm_by_hand_and_bad_input() -> None:
    from advocacy_kpis.stats import adjust_p_values

    # Sorted 0.01, 0.03, 0.04, 0.2: 4 x 0.01 = 0.04; 3 x 0.03 = 0.09; 2 x 0.04 = 0.08, raised to
    # the running maximum 0.09; 1 x 0.2 = 0.2.
    assert adjust_p_values([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert adjust_p_values([]) == []
    with pytest.raises(ParameterError, match="p_values"):
        adjust_p_values([0.5, 1.5])
    with pytest.raises(ParameterError, match="method"):
        adjust_p_values([0.5], "bonferroni")
