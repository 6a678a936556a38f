"""Intervals and tests, checked against SciPy and statsmodels and against hand computation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from advocacy_kpis import ParameterError
from advocacy_kpis.stats import (
    conditional_binomial_test,
    kaplan_meier,
    nps_difference_test,
    nps_interval,
    poisson_rate_interval,
    two_proportion_test,
    wilson_interval,
    z_value,
)

Z95 = 1.959963984540054


def test_z_value_matches_the_normal_quantile() -> None:
    for confidence in (0.8, 0.9, 0.95, 0.99):
        assert z_value(confidence) == pytest.approx(scipy_stats.norm.ppf(1 - (1 - confidence) / 2))


@pytest.mark.parametrize(("x", "n"), [(50, 200), (0, 10), (10, 10), (1, 3), (397, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(x: int, n: int, confidence: float) -> None:
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    ci = wilson_interval(x, n, confidence)
    assert ci is not None
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))


def test_wilson_by_hand_for_the_seed_example() -> None:
    # 50 of 200: p = 0.25, z^2 = 3.841459, z^2/n = 0.0192073.
    # centre = (0.25 + 0.0096037) / 1.0192073 = 0.254711
    # half = 1.959964 * sqrt(0.0009375 + 0.0000240091) / 1.0192073 = 1.959964 * 0.0310082 / 1.0192073 = 0.059630
    ci = wilson_interval(50, 200)
    assert ci is not None
    assert ci.low == pytest.approx(0.254711 - 0.059630, abs=2e-6)
    assert ci.high == pytest.approx(0.254711 + 0.059630, abs=2e-6)


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate_and_stays_in_unit_interval(pair: tuple[int, int]) -> None:
    x, n = pair
    ci = wilson_interval(x, n)
    if n == 0:
        assert ci is None
        return
    assert ci is not None
    assert 0.0 <= ci.low <= x / n <= ci.high <= 1.0


def test_nps_interval_by_hand() -> None:
    # 61 promoters, 23 passives, 19 detractors: n' = 106, p' = 61.75/106, d' = 19.75/106.
    n = 106
    p, d = 61.75 / n, 19.75 / n
    centre = p - d
    variance = p + d - centre**2
    half = Z95 * math.sqrt(variance / n)
    ci = nps_interval(61, 23, 19)
    assert ci is not None
    assert ci.low == pytest.approx(100 * (centre - half))
    assert ci.high == pytest.approx(100 * (centre + half))
    assert (round(ci.low, 1), round(ci.high, 1)) == (24.7, 54.5)


@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300))
def test_nps_interval_is_within_bounds_and_contains_the_adjusted_score(p: int, passive: int, d: int) -> None:
    ci = nps_interval(p, passive, d)
    n = p + passive + d
    if n == 0:
        assert ci is None
        return
    assert ci is not None
    adjusted = 100 * ((p + 0.75) - (d + 0.75)) / (n + 3)
    assert -100.0 <= ci.low <= adjusted <= ci.high <= 100.0


@pytest.mark.parametrize(("count", "exposure"), [(12, 3.0), (0, 1.0), (1, 0.5), (250, 10.0)])
def test_poisson_interval_by_formula_and_contains_the_rate(count: int, exposure: float) -> None:
    ci = poisson_rate_interval(count, exposure)
    assert ci is not None
    z2 = Z95**2
    assert ci.high == pytest.approx((count + z2 / 2 + Z95 * math.sqrt(count + z2 / 4)) / exposure)
    assert ci.low <= count / exposure <= ci.high
    assert poisson_rate_interval(count, 0.0) is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(30, 100, 45, 100), (5, 40, 3, 60), (0, 20, 4, 25), (7, 7, 3, 9)]
)
def test_two_proportion_test_matches_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    result = two_proportion_test(x1, n1, x2, n2)
    assert result is not None
    statistic, p_value = proportions_ztest([x2, x1], [n2, n1])
    assert result.statistic == pytest.approx(statistic)
    assert result.p_value == pytest.approx(p_value)
    low, high = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")
    assert result.interval is not None
    assert (result.interval.low, result.interval.high) == (pytest.approx(low), pytest.approx(high))
    assert result.estimate == pytest.approx(x2 / n2 - x1 / n1)


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_identical_samples_show_no_change(pair: tuple[int, int]) -> None:
    x, n = pair
    result = two_proportion_test(x, n, x, n)
    assert result is not None
    assert result.estimate == 0.0
    assert result.p_value == pytest.approx(1.0)
    nps = nps_difference_test((x, n - x, 0), (x, n - x, 0))
    assert nps is not None and nps.estimate == 0.0 and nps.p_value == pytest.approx(1.0)


def test_nps_difference_by_hand() -> None:
    def adjusted(p: int, passive: int, d: int) -> tuple[float, float, float]:
        n = p + passive + d + 3
        pp, dd = (p + 0.75) / n, (d + 0.75) / n
        return pp - dd, pp + dd - (pp - dd) ** 2, n

    c1, v1, n1 = adjusted(40, 30, 30)
    c2, v2, n2 = adjusted(50, 30, 20)
    z = (c2 - c1) / math.sqrt(v1 / n1 + v2 / n2)
    result = nps_difference_test((40, 30, 30), (50, 30, 20))
    assert result is not None
    assert result.estimate == pytest.approx(20.0)  # 100 x (0.30 - 0.10)
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(z)))


@pytest.mark.parametrize(
    ("x1", "x2", "e1", "e2"), [(10, 30, 1.0, 1.0), (3, 9, 90.0, 92.0), (0, 5, 1.0, 2.0), (50, 47, 1.0, 1.0)]
)
def test_conditional_binomial_matches_scipy(x1: int, x2: int, e1: float, e2: float) -> None:
    result = conditional_binomial_test(x1, x2, e1, e2)
    assert result is not None
    expected = scipy_stats.binomtest(x1, x1 + x2, e1 / (e1 + e2)).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.estimate == pytest.approx(x2 / e2 - x1 / e1)
    assert conditional_binomial_test(0, 0) is None


def test_kaplan_meier_textbook_case_by_hand() -> None:
    # Durations 2, 3, 3(censored), 5, 8(censored). At 2: 5 at risk, 1 event: S = 4/5 = 0.8.
    # At 3: 4 at risk, 1 event (the censoring at 3 counts after it): S = 0.8 x 3/4 = 0.6.
    # At 5: 2 at risk, 1 event: S = 0.6 x 1/2 = 0.3. Median: the first time S <= 0.5, i.e. 5.
    curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
    assert curve.times == (2.0, 3.0, 5.0)
    assert curve.survival == pytest.approx((0.8, 0.6, 0.3))
    assert curve.at_risk == (5, 4, 2)
    assert curve.median() == 5.0
    assert curve.share_by(4.0) == pytest.approx(0.4)
    assert (curve.n, curve.n_events, curve.n_censored) == (5, 3, 2)


def naive_survival(durations: list[float], observed: list[bool], t: float) -> float:
    survival = 1.0
    for time in sorted({d for d, o in zip(durations, observed, strict=True) if o}):
        if time > t:
            break
        at_risk = sum(1 for d in durations if d >= time)
        events = sum(1 for d, o in zip(durations, observed, strict=True) if o and d == time)
        survival *= 1 - events / at_risk
    return survival


samples = st.lists(st.tuples(st.integers(0, 60).map(float), st.booleans()), max_size=40)


@given(samples)
def test_kaplan_meier_equals_a_naive_product_limit(pairs: list[tuple[float, bool]]) -> None:
    durations = [d for d, _ in pairs]
    observed = [o for _, o in pairs]
    curve = kaplan_meier(durations, observed)
    for t in range(0, 62, 3):
        assert curve.survival_at(float(t)) == pytest.approx(naive_survival(durations, observed, float(t)))
    assert all(a >= b for a, b in zip(curve.survival, curve.survival[1:], strict=False))
    assert all(0.0 <= s <= 1.0 for s in curve.survival)


@given(st.lists(st.integers(0, 100).map(float), min_size=1, max_size=40))
def test_without_censoring_share_by_is_the_empirical_share_and_median_the_lower_median(
    durations: list[float],
) -> None:
    curve = kaplan_meier(durations, [True] * len(durations))
    for t in (0.0, 10.0, 50.0, 100.0):
        assert curve.share_by(t) == pytest.approx(sum(d <= t for d in durations) / len(durations))
    ordered = sorted(durations)
    naive_median = next(d for d in ordered if sum(x <= d for x in ordered) / len(ordered) >= 0.5)
    assert curve.median() == naive_median


def test_empty_curve_and_never_reaching_half() -> None:
    empty = kaplan_meier([], [])
    assert (empty.n, empty.median(), empty.share_by(30.0)) == (0, None, 0.0)
    mostly_censored = kaplan_meier([5, 10, 10, 10], [True, False, False, False])
    assert mostly_censored.median() is None
    assert mostly_censored.share_by(30.0) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("call", "parameter", "value"),
    [
        (lambda: wilson_interval(13, 12), "successes", "13"),
        (lambda: wilson_interval(-1, 12), "successes", "-1"),
        (lambda: wilson_interval(1, 2, 1.5), "confidence", "1.5"),
        (lambda: nps_interval(1, -2, 0), "passives", "-2"),
        (lambda: poisson_rate_interval(3, -1.0), "exposure", "-1.0"),
        (lambda: two_proportion_test(1, 2, 3, -4), "n2", "-4"),
        (lambda: conditional_binomial_test(1, 2, 0.0, 1.0), "exposure1", "0.0"),
        (lambda: kaplan_meier([1.0, 2.0], [True]), "observed", "1"),
        (lambda: kaplan_meier([1.0, -2.0], [True, True]), "durations[1]", "-2.0"),
    ],
)
def test_bad_arguments_name_parameter_and_value(call: object, parameter: str, value: str) -> None:
    with pytest.raises(ParameterError) as caught:
        call()  # type: ignore[operator]
    assert f"'{parameter}'" in str(caught.value)
    assert f"Got {value} instead" in str(caught.value)
