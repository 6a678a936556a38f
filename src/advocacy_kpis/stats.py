r"""Confidence intervals and tests used by the metrics, in closed form with the standard library.

Proportions get the Wilson score interval, NPS the adjusted-Wald interval of Rocks (2016), event
rates the Poisson score interval, and time-to-event metrics the Kaplan-Meier estimator. A change
between two periods is tested with a pooled two-proportion z-test (with Newcombe's interval) or,
for small samples, Fisher's exact test, an adjusted-Wald NPS difference test, or the exact
conditional binomial test for two counts. Every
two-sample test assumes the two samples are independent: comparing the same respondents twice
(paired data) needs a different test. A difference in differences of four proportions or four NPS
samples gets an adjusted-Wald contrast test, a rate against a fixed level the exact binomial
test, and a family of p-values the Holm or Benjamini-Hochberg adjustment.

Examples:
    >>> ci = wilson_interval(50, 200)
    >>> round(ci.low, 4), round(ci.high, 4)
    (0.1951, 0.3143)
"""

from __future__ import annotations

import bisect
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from statistics import NormalDist

import attrs

from advocacy_kpis.errors import ParameterError

__all__ = [
    "CORRECTIONS",
    "Interval",
    "SurvivalCurve",
    "TestResult",
    "adjust_p_values",
    "binomial_level_test",
    "conditional_binomial_test",
    "cumulative_incidence",
    "fisher_exact_test",
    "kaplan_meier",
    "net_score_interval",
    "nps_contrast_test",
    "nps_difference_test",
    "nps_interval",
    "poisson_rate_interval",
    "proportion_contrast_test",
    "smallest_expected_count",
    "two_proportion_test",
    "wilson_interval",
    "z_value",
]

_NORMAL = NormalDist()

# scipy.stats.binomtest treats pmf values within this relative distance of the observed one as
# ties, so that outcomes equally likely in exact arithmetic are not lost to rounding.
_TIE_TOLERANCE = 1e-7

# A tail sum stops once the rest of the tail is provably below this share of what it holds.
_NEGLIGIBLE = 1e-17

# Survival probabilities are running products, so one that is exactly 1/2 in exact arithmetic
# may come out a few ulps above it.
_QUANTILE_SLACK = 1e-12


@attrs.frozen
class Interval:
    """A confidence interval ``[low, high]``, its confidence level, and how it was computed.

    Attributes:
        low: lower bound.
        high: upper bound.
        confidence: confidence level, e.g. 0.95.
        method: how it was computed: ``wilson``, ``nps-adjusted-wald``,
            ``net-score-adjusted-wald``, ``poisson-score`` or ``newcombe``.

    Examples:
        >>> Interval(0.2, 0.3, method="wilson")
        Interval(low=0.2, high=0.3, confidence=0.95, method='wilson')
    """

    low: float
    high: float
    confidence: float = 0.95
    method: str = ""

    def contains(self, x: float) -> bool:
        """Whether the interval holds ``x``, bounds included: ``low <= x <= high``.

        Args:
            x: the value to look for.

        Returns:
            True when ``x`` lies in ``[low, high]``.

        Examples:
            >>> Interval(0.2, 0.3).contains(0.3), Interval(0.2, 0.3).contains(0.31)
            (True, False)
        """
        return self.low <= x <= self.high

    def to_dict(self) -> dict[str, float | str]:
        """The interval as a JSON-safe dictionary.

        Returns:
            ``low``, ``high``, ``confidence`` and ``method`` by name.

        Examples:
            >>> Interval(0.2, 0.3, 0.9, "wilson").to_dict()
            {'low': 0.2, 'high': 0.3, 'confidence': 0.9, 'method': 'wilson'}
        """
        return {
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "method": self.method,
        }


@attrs.frozen
class TestResult:
    """The outcome of a two-sample test.

    Attributes:
        estimate: the change from the first sample to the second (second minus first).
        statistic: the z statistic, where the test has one.
        p_value: the two-sided p-value.
        interval: confidence interval of the change, where the test gives one.
        method: ``two-proportion-z``, ``fisher-exact``, ``nps-difference-z`` or
            ``conditional-binomial``.

    Examples:
        >>> TestResult(0.15, 2.19, 0.028, None, "two-proportion-z").p_value
        0.028
    """

    __test__ = False  # pytest would otherwise try to collect it as a test class

    estimate: float
    statistic: float | None
    p_value: float
    interval: Interval | None
    method: str


def _count(function: str, name: str, value: int) -> int:
    if not isinstance(value, bool):
        try:
            number = operator.index(value)
        except TypeError:
            pass
        else:
            if number >= 0:
                return number
    raise ParameterError(name, function, "a non-negative integer", value)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _real(function: str, name: str, value: float, *, positive: bool = False) -> float:
    if _is_real(value) and math.isfinite(value) and (value > 0 if positive else value >= 0):
        return float(value)
    expected = "a positive finite number" if positive else "a non-negative finite number"
    raise ParameterError(name, function, expected, value)


def _z(function: str, confidence: float) -> float:
    if not (_is_real(confidence) and 0 < confidence < 1):
        expected = "a number strictly between 0 and 1"
        raise ParameterError("confidence", function, expected, confidence)
    return _NORMAL.inv_cdf(1 - (1 - float(confidence)) / 2)


def _two_sided_p(z: float) -> float:
    # erfc keeps its precision far into the tail, where 1 - cdf(|z|) would round to 0.
    return math.erfc(abs(z) / math.sqrt(2))


def z_value(confidence: float) -> float:
    r"""The two-sided standard normal quantile for a confidence level.

    .. math:: z = \Phi^{-1}\left(1 - \frac{1 - c}{2}\right)

    Args:
        confidence: the confidence level ``c``, strictly between 0 and 1.

    Returns:
        The quantile ``z``, e.g. 1.96 for 0.95.

    Raises:
        ParameterError: ``confidence`` is not strictly between 0 and 1 (a ``ValueError``).

    Examples:
        >>> round(z_value(0.95), 4), round(z_value(0.90), 4)
        (1.96, 1.6449)
    """
    return _z("z_value", confidence)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    r"""The Wilson score interval for a proportion.

    With :math:`\hat p = x / n`:

    .. math::
        \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}
             {1 + \frac{z^2}{n}}

    Args:
        successes: units meeting the condition, ``x``.
        n: units in the population.
        confidence: confidence level.

    Returns:
        The interval (method ``wilson``), within [0, 1]; None when ``n`` is 0.

    Raises:
        ParameterError: a negative count, ``successes > n``, or a confidence outside (0, 1)
            (a ``ValueError``).

    Examples:
        >>> ci = wilson_interval(50, 200)
        >>> round(ci.low, 4), round(ci.high, 4)
        (0.1951, 0.3143)
        >>> wilson_interval(0, 0) is None
        True
    """
    successes = _count("wilson_interval", "successes", successes)
    n = _count("wilson_interval", "n", n)
    if successes > n:
        raise ParameterError("successes", "wilson_interval", f"between 0 and n ({n})", successes)
    z = _z("wilson_interval", confidence)
    if n == 0:
        return None
    low, high = _wilson_bounds(successes, n, z)
    return Interval(low, high, confidence, "wilson")


def _wilson_bounds(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson bounds for ``successes`` of ``n > 0`` at the quantile ``z``."""
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At p = 0 or 1 the bound is exactly 0 or 1; the formula only gets there up to rounding.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _adjusted_nps(promoters: int, passives: int, detractors: int) -> tuple[float, float, float]:
    n = promoters + passives + detractors + 3
    p = (promoters + 0.75) / n
    d = (detractors + 0.75) / n
    return p - d, p + d - (p - d) ** 2, float(n)


def nps_interval(
    promoters: int,
    passives: int,
    detractors: int,
    confidence: float = 0.95,
) -> Interval | None:
    r"""The adjusted-Wald confidence interval for NPS (Rocks, The American Statistician, 2016).

    Add 3/4 to promoters and to detractors and 3 to :math:`n = P + Q + D`; then with
    :math:`p' = (P + 0.75) / (n + 3)` and :math:`d' = (D + 0.75) / (n + 3)`:

    .. math::
        100 \left(\mathrm{NPS}' \pm z \sqrt{\frac{V'}{n + 3}}\right), \quad
        \mathrm{NPS}' = p' - d', \quad V' = p' + d' - (p' - d')^2

    clipped to [-100, 100].

    Args:
        promoters: respondents scoring 9 or 10, ``P``.
        passives: respondents scoring 7 or 8, ``Q``.
        detractors: respondents scoring 0 to 6, ``D``.
        confidence: confidence level.

    Returns:
        The interval in NPS points (method ``nps-adjusted-wald``); None when there are no
        respondents.

    Raises:
        ParameterError: a negative count, or a confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> ci = nps_interval(61, 23, 19)
        >>> round(ci.low, 2), round(ci.high, 2)
        (24.73, 54.51)
    """
    promoters = _count("nps_interval", "promoters", promoters)
    passives = _count("nps_interval", "passives", passives)
    detractors = _count("nps_interval", "detractors", detractors)
    z = _z("nps_interval", confidence)
    if promoters + passives + detractors == 0:
        return None
    centre, variance, n = _adjusted_nps(promoters, passives, detractors)
    half = z * math.sqrt(variance / n)
    low, high = max(-1.0, centre - half), min(1.0, centre + half)
    return Interval(100 * low, 100 * high, confidence, "nps-adjusted-wald")


def net_score_interval(
    positive: int,
    neutral: int,
    negative: int,
    confidence: float = 0.95,
) -> Interval | None:
    r"""The adjusted-Wald interval of a net score :math:`(P - N) / n` on [-1, 1].

    A net sentiment score splits its records three ways, as NPS splits respondents, so it takes
    the same interval (see `nps_interval`) on its own scale: add 3/4 to the positive and to the
    negative counts and 3 to :math:`n = P + U + N`; then with :math:`p' = (P + 0.75) / (n + 3)`
    and :math:`q' = (N + 0.75) / (n + 3)`:

    .. math::
        (p' - q') \pm z \sqrt{\frac{p' + q' - (p' - q')^2}{n + 3}}

    clipped to [-1, 1].

    Args:
        positive: records labelled positive, ``P``.
        neutral: records labelled neutral, ``U``.
        negative: records labelled negative, ``N``.
        confidence: confidence level.

    Returns:
        The interval (method ``net-score-adjusted-wald``); None when there are no records.

    Raises:
        ParameterError: a negative count, or a confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> ci = net_score_interval(61, 23, 19)
        >>> round(ci.low, 4), round(ci.high, 4)
        (0.2473, 0.5451)
        >>> net_score_interval(0, 0, 0) is None
        True
    """
    function = "net_score_interval"
    positive = _count(function, "positive", positive)
    neutral = _count(function, "neutral", neutral)
    negative = _count(function, "negative", negative)
    z = _z(function, confidence)
    if positive + neutral + negative == 0:
        return None
    centre, variance, n = _adjusted_nps(positive, neutral, negative)
    half = z * math.sqrt(variance / n)
    return Interval(max(-1.0, centre - half), min(1.0, centre + half), confidence, "net-score-adjusted-wald")


def poisson_rate_interval(count: int, exposure: float, confidence: float = 0.95) -> Interval | None:
    r"""The score confidence interval for a Poisson rate, in closed form.

    .. math:: \frac{x + \frac{z^2}{2} \pm z \sqrt{x + \frac{z^2}{4}}}{t}

    with the lower bound clipped at 0.

    Args:
        count: events observed, ``x``.
        exposure: the exposure ``t`` they were observed over (e.g. months).
        confidence: confidence level.

    Returns:
        The interval of events per unit of exposure (method ``poisson-score``); None when
        ``exposure`` is 0.

    Raises:
        ParameterError: a negative count, a negative or non-finite exposure, or a confidence
            outside (0, 1) (a ``ValueError``).

    Examples:
        >>> ci = poisson_rate_interval(12, 3.0)
        >>> round(ci.low, 3), round(ci.high, 3)
        (2.288, 6.992)
    """
    count = _count("poisson_rate_interval", "count", count)
    exposure = _real("poisson_rate_interval", "exposure", exposure)
    z = _z("poisson_rate_interval", confidence)
    if exposure == 0:
        return None
    centre = count + z * z / 2
    half = z * math.sqrt(count + z * z / 4)
    low = max(0.0, (centre - half) / exposure)
    return Interval(low, (centre + half) / exposure, confidence, "poisson-score")


def two_proportion_test(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    confidence: float = 0.95,
) -> TestResult | None:
    r"""Pooled two-proportion z-test of a change from ``x1 / n1`` to ``x2 / n2``.

    With :math:`p_i = x_i / n_i`, the pooled :math:`p = (x_1 + x_2) / (n_1 + n_2)` and
    :math:`d = p_2 - p_1`:

    .. math:: z = \frac{d}{\sqrt{p (1 - p) (1 / n_1 + 1 / n_2)}}

    (0 with a p-value of 1 when the pooled :math:`p` is 0 or 1). The interval for :math:`d` is
    Newcombe's hybrid score interval (method 10 of Newcombe, 1998), from the Wilson intervals
    :math:`[l_i, u_i]` of the two samples:

    .. math::
        \left[d - \sqrt{(p_2 - l_2)^2 + (u_1 - p_1)^2},\;
              d + \sqrt{(u_2 - p_2)^2 + (p_1 - l_1)^2}\right]

    Args:
        x1: successes in the first sample.
        n1: size of the first sample.
        x2: successes in the second sample.
        n2: size of the second sample.
        confidence: confidence level of the interval.

    Returns:
        The test (method ``two-proportion-z``, estimate :math:`d`, interval method
        ``newcombe``); None when either sample is empty.

    Raises:
        ParameterError: a negative count, a count of successes above its sample size, or a
            confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> t = two_proportion_test(30, 100, 45, 100)
        >>> round(t.estimate, 2), round(t.statistic, 4), round(t.p_value, 4)
        (0.15, 2.1909, 0.0285)
        >>> round(t.interval.low, 4), round(t.interval.high, 4)
        (0.0159, 0.2768)
    """
    x1, n1, x2, n2 = _two_samples("two_proportion_test", x1, n1, x2, n2)
    z = _z("two_proportion_test", confidence)
    if n1 == 0 or n2 == 0:
        return None
    difference = x2 / n2 - x1 / n1
    pooled = (x1 + x2) / (n1 + n2)
    if 0 < pooled < 1:
        statistic = difference / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value = _two_sided_p(statistic)
    else:
        statistic, p_value = 0.0, 1.0
    interval = _newcombe(x1, n1, x2, n2, z, confidence)
    return TestResult(difference, statistic, p_value, interval, "two-proportion-z")


def _two_samples(function: str, x1: int, n1: int, x2: int, n2: int) -> tuple[int, int, int, int]:
    """The counts of two samples, checked: non-negative integers, successes within their sample."""
    x1, n1 = _count(function, "x1", x1), _count(function, "n1", n1)
    x2, n2 = _count(function, "x2", x2), _count(function, "n2", n2)
    if x1 > n1:
        raise ParameterError("x1", function, f"between 0 and n1 ({n1})", x1)
    if x2 > n2:
        raise ParameterError("x2", function, f"between 0 and n2 ({n2})", x2)
    return x1, n1, x2, n2


def _newcombe(x1: int, n1: int, x2: int, n2: int, z: float, confidence: float) -> Interval:
    """Newcombe's hybrid score interval for ``x2 / n2 - x1 / n1`` (both samples non-empty)."""
    (low1, high1), (low2, high2) = _wilson_bounds(x1, n1, z), _wilson_bounds(x2, n2, z)
    p1, p2 = x1 / n1, x2 / n2
    difference = p2 - p1
    low = difference - math.hypot(p2 - low2, high1 - p1)
    high = difference + math.hypot(high2 - p2, p1 - low1)
    return Interval(low, high, confidence, "newcombe")


def smallest_expected_count(x1: int, n1: int, x2: int, n2: int) -> float | None:
    r"""The smallest expected cell of the 2x2 table of two samples under no change.

    The table has a row per sample (successes, failures); a cell's expected count is its row
    total times its column total over the grand total. Below 5 the z-test's normal
    approximation is not to be trusted, and `fisher_exact_test` is the honest choice.

    Args:
        x1: successes in the first sample.
        n1: size of the first sample.
        x2: successes in the second sample.
        n2: size of the second sample.

    Returns:
        The smallest expected count; None when either sample is empty.

    Raises:
        ParameterError: a negative count or a count of successes above its sample size.

    Examples:
        >>> smallest_expected_count(0, 3, 1, 1)
        0.25
        >>> smallest_expected_count(30, 100, 45, 100)
        37.5
    """
    x1, n1, x2, n2 = _two_samples("smallest_expected_count", x1, n1, x2, n2)
    if n1 == 0 or n2 == 0:
        return None
    total = n1 + n2
    successes, failures = x1 + x2, total - x1 - x2
    return min(n1, n2) * min(successes, failures) / total


def _log_sum_exp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def _fisher_two_sided_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Sum of the hypergeometric probabilities of the tables no more likely than the observed one."""
    successes = x1 + x2
    low, high = max(0, successes - n2), min(successes, n1)
    # log(pmf(k) / pmf(x1)), walking out from x1 by the ratio of consecutive terms: exact
    # integers inside each log, so no large lgamma values lose the relative precision ties need.
    logs = [0.0]
    ratio = 0.0
    for k in range(x1, high):
        ratio += math.log((successes - k) * (n1 - k)) - math.log((k + 1) * (n2 - successes + k + 1))
        logs.append(ratio)
    ratio = 0.0
    for k in range(x1, low, -1):
        ratio += math.log(k * (n2 - successes + k)) - math.log((successes - k + 1) * (n1 - k + 1))
        logs.append(ratio)
    threshold = math.log1p(_TIE_TOLERANCE)
    extreme = [v for v in logs if v <= threshold]
    return min(1.0, math.exp(_log_sum_exp(extreme) - _log_sum_exp(logs)))


def fisher_exact_test(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    confidence: float = 0.95,
) -> TestResult | None:
    r"""Fisher's exact test of a change from ``x1 / n1`` to ``x2 / n2`` (two-sided).

    Given both margins of the 2x2 table, the successes of the first sample follow the
    hypergeometric distribution

    .. math:: P(X = k) = \frac{\binom{x_1 + x_2}{k} \binom{n_1 + n_2 - x_1 - x_2}{n_1 - k}}
                              {\binom{n_1 + n_2}{n_1}}

    and the two-sided p-value sums :math:`P(X = k)` over the tables no more likely than the
    observed one (:math:`P(X = k) \le P(X = x_1)`, with a relative tolerance of 1e-7 for
    ties). The interval of the difference is Newcombe's, as in `two_proportion_test`. No normal
    approximation is involved, so it is the test to use when an expected cell of the table is
    below 5 (see `smallest_expected_count`).

    Args:
        x1: successes in the first sample.
        n1: size of the first sample.
        x2: successes in the second sample.
        n2: size of the second sample.
        confidence: confidence level of the interval.

    Returns:
        The test (method ``fisher-exact``, estimate :math:`x_2 / n_2 - x_1 / n_1`, no
        statistic, interval method ``newcombe``); None when either sample is empty.

    Raises:
        ParameterError: a negative count, a count of successes above its sample size, or a
            confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> t = fisher_exact_test(0, 3, 1, 1)
        >>> t.p_value, t.method
        (0.25, 'fisher-exact')
        >>> round(fisher_exact_test(8, 10, 1, 6).p_value, 6)
        0.034965
    """
    x1, n1, x2, n2 = _two_samples("fisher_exact_test", x1, n1, x2, n2)
    z = _z("fisher_exact_test", confidence)
    if n1 == 0 or n2 == 0:
        return None
    p_value = _fisher_two_sided_p(x1, n1, x2, n2)
    interval = _newcombe(x1, n1, x2, n2, z, confidence)
    return TestResult(x2 / n2 - x1 / n1, None, p_value, interval, "fisher-exact")


def _nps_counts(function: str, name: str, counts: tuple[int, int, int]) -> tuple[int, int, int]:
    expected = "a tuple of three non-negative integers (promoters, passives, detractors)"
    try:
        promoters, passives, detractors = counts
    except (TypeError, ValueError):
        raise ParameterError(name, function, expected, counts) from None
    values = (promoters, passives, detractors)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ParameterError(name, function, expected, counts)
    return int(promoters), int(passives), int(detractors)


def nps_difference_test(
    first: tuple[int, int, int],
    second: tuple[int, int, int],
    confidence: float = 0.95,
) -> TestResult | None:
    r"""Adjusted-Wald z-test of the change in NPS between two independent samples.

    With the adjusted values of `nps_interval` for each sample (:math:`\mathrm{NPS}_i'`,
    :math:`V_i'`, :math:`n_i' = n_i + 3`):

    .. math::
        z = \frac{\mathrm{NPS}_2' - \mathrm{NPS}_1'}{\sqrt{V_1' / n_1' + V_2' / n_2'}}, \quad
        100 \left(\mathrm{NPS}_2' - \mathrm{NPS}_1' \pm z_c \sqrt{V_1' / n_1' + V_2' / n_2'}\right)

    the interval clipped to [-200, 200]. The estimate is the plain change in NPS points,
    :math:`100 \left(\frac{P_2 - D_2}{n_2} - \frac{P_1 - D_1}{n_1}\right)`.

    Args:
        first: ``(promoters, passives, detractors)`` of the first sample.
        second: ``(promoters, passives, detractors)`` of the second sample.
        confidence: confidence level of the interval.

    Returns:
        The test (method ``nps-difference-z``, interval method ``nps-adjusted-wald``); None when
        either sample has no respondents.

    Raises:
        ParameterError: a sample is not three non-negative integers, or a confidence outside
            (0, 1) (a ``ValueError``).

    Examples:
        >>> t = nps_difference_test((40, 30, 30), (50, 30, 20))
        >>> round(t.estimate, 1), round(t.statistic, 4), round(t.p_value, 4)
        (20.0, 1.7323, 0.0832)
        >>> round(t.interval.low, 2), round(t.interval.high, 2)
        (-2.55, 41.39)
    """
    function = "nps_difference_test"
    first = _nps_counts(function, "first", first)
    second = _nps_counts(function, "second", second)
    z = _z(function, confidence)
    total1, total2 = sum(first), sum(second)
    if total1 == 0 or total2 == 0:
        return None
    centre1, variance1, adjusted_n1 = _adjusted_nps(*first)
    centre2, variance2, adjusted_n2 = _adjusted_nps(*second)
    plain = 100 * ((second[0] - second[2]) / total2 - (first[0] - first[2]) / total1)
    # V' > 0 always: both adjusted shares are positive, so the spread is never 0.
    spread = math.sqrt(variance1 / adjusted_n1 + variance2 / adjusted_n2)
    difference = centre2 - centre1
    statistic = difference / spread
    interval = Interval(
        max(-200.0, 100 * (difference - z * spread)),
        min(200.0, 100 * (difference + z * spread)),
        confidence,
        "nps-adjusted-wald",
    )
    return TestResult(plain, statistic, _two_sided_p(statistic), interval, "nps-difference-z")


def _log_binomial_pmf(k: int, n: int, log_p: float, log_q: float) -> float:
    log_choose = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return log_choose + k * log_p + (n - k) * log_q


def _tail_sum(start: int, step: int, n: int, log_pmf: Callable[[int], float]) -> float:
    """Sum of the pmf from ``start`` outward (``step`` -1 or +1), away from the mode."""
    k, log_term = start, log_pmf(start)
    total = 0.0
    while True:
        term = math.exp(log_term)
        total += term
        k += step
        if not 0 <= k <= n:
            return total
        log_next = log_pmf(k)
        ratio = math.exp(log_next - log_term)
        # The binomial is log-concave: moving away from the mode each ratio is smaller than the
        # last, so the rest of the tail is at most the geometric series term * r / (1 - r).
        if ratio < 1 and term * ratio / (1 - ratio) <= _NEGLIGIBLE * total:
            return total
        log_term = log_next


def _binomial_two_sided_p(k: int, n: int, log_p: float, log_q: float) -> float:
    def log_pmf(i: int) -> float:
        return _log_binomial_pmf(i, n, log_p, log_q)

    mean = n * math.exp(log_p)
    if k == mean:
        return 1.0
    threshold = log_pmf(k) + math.log1p(_TIE_TOLERANCE)
    # The pmf is unimodal, so the outcomes no more likely than k are the tail beyond k and a
    # tail on the other side of the mean, found by bisection on the monotone side.
    if k < mean:
        low, high = math.ceil(mean), n + 1
        while low < high:
            middle = (low + high) // 2
            if log_pmf(middle) <= threshold:
                high = middle
            else:
                low = middle + 1
        other = _tail_sum(low, 1, n, log_pmf) if low <= n else 0.0
        return min(1.0, _tail_sum(k, -1, n, log_pmf) + other)
    low, high = -1, math.floor(mean)
    while low < high:
        middle = (low + high + 1) // 2
        if log_pmf(middle) <= threshold:
            low = middle
        else:
            high = middle - 1
    other = _tail_sum(low, -1, n, log_pmf) if low >= 0 else 0.0
    return min(1.0, _tail_sum(k, 1, n, log_pmf) + other)


def conditional_binomial_test(
    x1: int,
    x2: int,
    exposure1: float = 1.0,
    exposure2: float = 1.0,
) -> TestResult | None:
    r"""Exact conditional test that two Poisson counts come from the same rate.

    Under equal rates per unit of exposure,

    .. math:: x_1 \mid x_1 + x_2 \sim \mathrm{Binomial}\left(x_1 + x_2,
        \frac{t_1}{t_1 + t_2}\right)

    and the two-sided p-value sums the probabilities of the outcomes no more likely than
    :math:`x_1` (the minimum-likelihood method of ``scipy.stats.binomtest``, with the same
    relative tolerance of 1e-7 for ties). The pmf is computed in log space with ``lgamma``, so
    large counts work.

    Args:
        x1: events in the first period or group.
        x2: events in the second.
        exposure1: exposure of the first, :math:`t_1` (e.g. months).
        exposure2: exposure of the second, :math:`t_2`.

    Returns:
        The test (method ``conditional-binomial``; estimate :math:`x_2 / t_2 - x_1 / t_1`, no
        statistic, no interval); None when both counts are 0.

    Raises:
        ParameterError: a negative count, or an exposure that is not a positive finite number
            (a ``ValueError``).

    Examples:
        >>> t = conditional_binomial_test(10, 30)
        >>> t.estimate, round(t.p_value, 6)
        (20.0, 0.002221)
    """
    function = "conditional_binomial_test"
    x1, x2 = _count(function, "x1", x1), _count(function, "x2", x2)
    exposure1 = _real(function, "exposure1", exposure1, positive=True)
    exposure2 = _real(function, "exposure2", exposure2, positive=True)
    n = x1 + x2
    if n == 0:
        return None
    larger, smaller = max(exposure1, exposure2), min(exposure1, exposure2)
    # Logs of t_i / (t_1 + t_2) without forming the sum, which could overflow or lose t_i.
    log_total = math.log(larger) + math.log1p(smaller / larger)
    log_p = math.log(exposure1) - log_total
    log_q = math.log(exposure2) - log_total
    p_value = _binomial_two_sided_p(x1, n, log_p, log_q)
    estimate = x2 / exposure2 - x1 / exposure1
    return TestResult(estimate, None, p_value, None, "conditional-binomial")


@attrs.frozen
class SurvivalCurve:
    r"""A Kaplan-Meier survival curve: the share still without the event over time.

    Attributes:
        times: the distinct times at which events happened, ascending.
        survival: :math:`S(t)` just after each of those times.
        at_risk: subjects at risk just before each time.
        events: events at each time.
        n: subjects.
        n_events: subjects whose event was observed.
        n_censored: subjects censored before their event.
        longest: the longest duration seen, event or censored (0.0 without subjects).

    Examples:
        >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
        >>> curve.times, curve.at_risk, curve.events
        ((2.0, 3.0, 5.0), (5, 4, 2), (1, 1, 1))
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    n: int
    n_events: int
    n_censored: int
    longest: float = 0.0

    def survival_at(self, t: float) -> float:
        """The estimated share still without the event at ``t``, :math:`S(t)`.

        A right-continuous step function: at an event time it already includes that time's
        events; before the first event it is 1.

        Args:
            t: the time.

        Returns:
            :math:`S(t)`, in [0, 1].

        Examples:
            >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
            >>> curve.survival_at(1.0), curve.survival_at(2.0), round(curve.survival_at(4.0), 3)
            (1.0, 0.8, 0.6)
        """
        position = bisect.bisect_right(self.times, t)
        return self.survival[position - 1] if position else 1.0

    def share_by(self, horizon: float) -> float | None:
        """The estimated share that reached the event by ``horizon``, :math:`1 - S(horizon)`.

        The curve is known only up to the longest follow-up: past it, nobody was watched, and
        carrying the last value forward would report as a fact that nobody else reached the
        event. So a horizon beyond the longest duration seen gives None, except where the curve
        has already fallen to 0 (every subject reached the event, so the share is 1 for good).

        Args:
            horizon: the time, a non-negative finite number.

        Returns:
            The share in [0, 1]; None beyond the longest follow-up (see above) and for a curve
            without subjects.

        Raises:
            ParameterError: ``horizon`` is negative or not a finite number (a ``ValueError``).

        Examples:
            >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
            >>> round(curve.share_by(4.0), 3), round(curve.share_by(8.0), 3), curve.share_by(10.0)
            (0.4, 0.7, None)
            >>> kaplan_meier([1, 2], [True, True]).share_by(30.0)
            1.0
        """
        horizon = _real("SurvivalCurve.share_by", "horizon", horizon)
        if self.n == 0:
            return None
        if horizon > self.longest and not (self.survival and self.survival[-1] == 0.0):
            return None
        return 1.0 - self.survival_at(horizon)

    def quantile(self, q: float) -> float | None:
        """The smallest time by which a share ``q`` reached the event: min t with 1 - S(t) >= q.

        Args:
            q: the share, in (0, 1].

        Returns:
            The time, or None when the curve never gets there.

        Raises:
            ParameterError: ``q`` is not in (0, 1] (a ``ValueError``).

        Examples:
            >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
            >>> curve.quantile(0.25), curve.quantile(0.4), curve.quantile(0.9)
            (3.0, 3.0, None)
        """
        if not (_is_real(q) and 0 < q <= 1):
            raise ParameterError("q", "SurvivalCurve.quantile", "a number in (0, 1]", q)
        for index, survival in enumerate(self.survival):
            if 1 - survival >= q - _QUANTILE_SLACK:
                return self.times[index]
        return None

    def median(self) -> float | None:
        r"""The median time to the event: the smallest time at which :math:`S(t) \le 0.5`.

        Returns:
            The time, or None when the curve never falls to 0.5 (too few events observed).

        Examples:
            >>> kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False]).median()
            5.0
            >>> kaplan_meier([5, 10, 10], [True, False, False]).median() is None
            True
        """
        return self.quantile(0.5)

    def observed_horizon(self) -> float:
        """The longest duration seen, event or censored: how far the curve can be trusted.

        Returns:
            The duration; 0.0 for a curve without subjects.

        Examples:
            >>> kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False]).observed_horizon()
            8.0
        """
        return self.longest


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> SurvivalCurve:
    r"""The Kaplan-Meier product-limit estimator of the survival function.

    .. math:: \hat S(t) = \prod_{t_i \le t} \left(1 - \frac{d_i}{n_i}\right)

    where :math:`d_i` events happen at time :math:`t_i` and :math:`n_i` subjects are still at
    risk just before it. Events at a time are counted before censorings at the same time (a
    subject censored at :math:`t_i` was at risk at :math:`t_i`).

    Args:
        durations: each subject's time to its event, or to censoring; non-negative.
        observed: for each subject, whether its event was observed (False: censored).

    Returns:
        The curve; without subjects, a curve with ``n == 0`` (no median, ``share_by`` None).

    Raises:
        ParameterError: the sequences differ in length, or a duration is negative or not a
            finite number (a ``ValueError``).

    Examples:
        >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
        >>> curve.times, [round(s, 3) for s in curve.survival]
        ((2.0, 3.0, 5.0), [0.8, 0.6, 0.3])
        >>> curve.median(), (curve.n, curve.n_events, curve.n_censored)
        (5.0, (5, 3, 2))
    """
    if len(durations) != len(observed):
        expected = f"as long as durations ({len(durations)} items)"
        raise ParameterError("observed", "kaplan_meier", expected, len(observed))
    for index, value in enumerate(durations):
        _real("kaplan_meier", f"durations[{index}]", value)
    # Sorting on "censored" puts a time's events (False) before its censorings (True).
    subjects = sorted((float(durations[i]), not observed[i]) for i in range(len(durations)))
    times: list[float] = []
    survival: list[float] = []
    at_risk: list[int] = []
    events: list[int] = []
    remaining = len(subjects)
    current = 1.0
    start = 0
    while start < len(subjects):
        time = subjects[start][0]
        end = start
        while end < len(subjects) and subjects[end][0] == time:
            end += 1
        deaths = sum(1 for _, censored in subjects[start:end] if not censored)
        if deaths:
            current *= 1 - deaths / remaining
            times.append(time)
            survival.append(current)
            at_risk.append(remaining)
            events.append(deaths)
        remaining -= end - start
        start = end
    n_events = sum(events)
    return SurvivalCurve(
        times=tuple(times),
        survival=tuple(survival),
        at_risk=tuple(at_risk),
        events=tuple(events),
        n=len(subjects),
        n_events=n_events,
        n_censored=len(subjects) - n_events,
        longest=subjects[-1][0] if subjects else 0.0,
    )


def cumulative_incidence(
    curve: SurvivalCurve, horizon: float, confidence: float = 0.95
) -> tuple[float | None, Interval | None]:
    r"""The share that reached the event by ``horizon``, :math:`1 - S(h)`, with its interval.

    The interval is Greenwood's, on the log-log scale of :math:`S` (so it stays inside [0, 1]):
    :math:`S(h)^{\exp(\pm z \sigma)}` with
    :math:`\sigma^2 = \frac{\sum_{t_i \le h} d_i / (n_i (n_i - d_i))}{(\log S(h))^2}`. Before any
    event :math:`S = 1` and the interval is the exact binomial bound for no event among the
    subjects at risk, :math:`[0, 1 - (\alpha/2)^{1/n}]`; after the curve reaches 0 it is [1, 1].

    Args:
        curve: the Kaplan-Meier curve.
        horizon: the time by which the event counts.
        confidence: the interval's level.

    Returns:
        The share and its interval, or ``(None, None)`` when ``horizon`` lies beyond the
        longest follow-up (the curve is unknown there) or the curve has no subjects.

    Examples:
        >>> curve = kaplan_meier([1, 2, 3, 10, 10, 10], [True, True, False, False, False, False])
        >>> share, interval = cumulative_incidence(curve, 5)
        >>> round(share, 4), interval.low < share < interval.high
        (0.3333, True)
        >>> cumulative_incidence(curve, 11)
        (None, None)
    """
    z = _z("cumulative_incidence", confidence)
    if curve.n == 0 or horizon > curve.longest:
        return None, None
    survival = curve.survival_at(horizon)
    share = 1.0 - survival
    if survival >= 1.0:
        high = 1.0 - ((1.0 - confidence) / 2.0) ** (1.0 / curve.n)
        return share, Interval(0.0, high, confidence, "exact-no-event")
    if survival <= 0.0:
        return share, Interval(1.0, 1.0, confidence, "greenwood-log-log")
    total = 0.0
    for t, n_i, d_i in zip(curve.times, curve.at_risk, curve.events, strict=True):
        if t > horizon:
            break
        if n_i > d_i:
            total += d_i / (n_i * (n_i - d_i))
    log_s = math.log(survival)
    sigma = math.sqrt(total) / abs(log_s)
    s_low = survival ** math.exp(-z * sigma)
    s_high = survival ** math.exp(z * sigma)
    return share, Interval(1.0 - s_low, 1.0 - s_high, confidence, "greenwood-log-log")


# -- contrasts of several samples, a rate against a level, families of tests --------------------


def _weights(function: str, weights: Sequence[float], k: int) -> list[float]:
    if len(weights) != k or not all(_is_real(w) and math.isfinite(w) for w in weights):
        raise ParameterError("weights", function, f"{k} finite numbers, one per sample", weights)
    if not any(weights):
        raise ParameterError("weights", function, "at least one weight that is not 0", weights)
    return [float(w) for w in weights]


def proportion_contrast_test(
    samples: Sequence[tuple[int, int]],
    weights: Sequence[float],
    confidence: float = 0.95,
) -> TestResult | None:
    r"""Adjusted-Wald test of a linear contrast of proportions, such as a difference in differences.

    With :math:`c` the number of samples whose weight is not 0, each proportion is adjusted as in
    Price and Bonett (2004), :math:`\tilde p_i = (x_i + 2/c) / (n_i + 4/c)` (for two samples,
    the Agresti-Caffo interval), and

    .. math::
        z = \frac{\sum_i w_i \tilde p_i}{\sqrt{\sum_i w_i^2 \tilde p_i (1 - \tilde p_i) / (n_i + 4/c)}},
        \quad \sum_i w_i \tilde p_i \pm z_c \sqrt{\cdots}

    The estimate is the plain contrast :math:`\sum_i w_i x_i / n_i`. A difference in
    differences :math:`(p_4 - p_3) - (p_2 - p_1)` has weights ``(1, -1, -1, 1)`` over samples
    1 to 4 in that order. The samples are taken as independent; samples of the same units at two
    times are positively correlated, which makes the test conservative.

    Args:
        samples: ``(successes, size)`` of each sample.
        weights: the weight of each sample in the contrast.
        confidence: confidence level of the interval.

    Returns:
        The test (method ``proportion-contrast-z``, interval method ``price-bonett``); None when a
        sample with a weight has no units.

    Raises:
        ParameterError: a negative count, successes above their sample size, weights that do
            not match the samples or are all 0, or a confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> t = proportion_contrast_test([(30, 100), (20, 100), (32, 100), (31, 100)], [-1, 1, 1, -1])
        >>> round(t.estimate, 2), round(t.statistic, 3), round(t.p_value, 4)
        (-0.09, -0.998, 0.3183)
    """
    function = "proportion_contrast_test"
    checked = [_two_samples(function, x, n, 0, 0)[:2] for x, n in samples]
    chosen = _weights(function, weights, len(checked))
    z = _z(function, confidence)
    used = [(x, n, w) for (x, n), w in zip(checked, chosen, strict=True) if w != 0]
    if any(n == 0 for _, n, _ in used):
        return None
    c = len(used)
    estimate = sum(w * x / n for x, n, w in used)
    centre, variance = 0.0, 0.0
    for x, n, w in used:
        adjusted_n = n + 4 / c
        share = (x + 2 / c) / adjusted_n
        centre += w * share
        variance += w * w * share * (1 - share) / adjusted_n
    spread = math.sqrt(variance)
    statistic = centre / spread
    interval = Interval(centre - z * spread, centre + z * spread, confidence, "price-bonett")
    return TestResult(estimate, statistic, _two_sided_p(statistic), interval, "proportion-contrast-z")


def nps_contrast_test(
    samples: Sequence[tuple[int, int, int]],
    weights: Sequence[float],
    confidence: float = 0.95,
) -> TestResult | None:
    r"""Adjusted-Wald test of a linear contrast of NPS samples, such as a difference in differences.

    Each sample is adjusted as in `nps_interval` (Rocks 2016: 3/4 added to promoters and to
    detractors, 3 to the respondents), giving :math:`\mathrm{NPS}_i'` and :math:`V_i'`, and

    .. math::
        z = \frac{\sum_i w_i \mathrm{NPS}_i'}{\sqrt{\sum_i w_i^2 V_i' / n_i'}}

    with the interval :math:`100 (\sum_i w_i \mathrm{NPS}_i' \pm z_c \sqrt{\cdots})`. The
    estimate is the plain contrast of the NPS values, in points. The samples are taken as
    independent, as in `nps_difference_test`.

    Args:
        samples: ``(promoters, passives, detractors)`` of each sample.
        weights: the weight of each sample in the contrast.
        confidence: confidence level of the interval.

    Returns:
        The test (method ``nps-contrast-z``, interval method ``nps-adjusted-wald``); None when a
        sample with a weight has no respondents.

    Raises:
        ParameterError: a sample that is not three non-negative integers, weights that do not
            match the samples or are all 0, or a confidence outside (0, 1) (a ``ValueError``).

    Examples:
        >>> two = nps_contrast_test([(40, 30, 30), (50, 30, 20)], [-1, 1])
        >>> round(two.statistic, 4) == round(nps_difference_test((40, 30, 30), (50, 30, 20)).statistic, 4)
        True
    """
    function = "nps_contrast_test"
    checked = [_nps_counts(function, "samples", tuple(sample)) for sample in samples]  # type: ignore[arg-type]
    chosen = _weights(function, weights, len(checked))
    z = _z(function, confidence)
    used = [(counts, w) for counts, w in zip(checked, chosen, strict=True) if w != 0]
    if any(sum(counts) == 0 for counts, _ in used):
        return None
    estimate = sum(w * 100 * (counts[0] - counts[2]) / sum(counts) for counts, w in used)
    centre, variance = 0.0, 0.0
    for counts, w in used:
        score, spread_i, adjusted_n = _adjusted_nps(*counts)
        centre += w * score
        variance += w * w * spread_i / adjusted_n
    spread = math.sqrt(variance)
    statistic = centre / spread
    interval = Interval(
        100 * (centre - z * spread), 100 * (centre + z * spread), confidence, "nps-adjusted-wald"
    )
    return TestResult(estimate, statistic, _two_sided_p(statistic), interval, "nps-contrast-z")


def binomial_level_test(successes: int, n: int, level: float, side: str) -> TestResult | None:
    r"""Exact one-sided binomial test that a proportion lies past a fixed level.

    ``side="below"`` tests whether the true proportion is below ``level``:
    :math:`p = P(X \le x \mid n, \text{level})`; ``side="above"``:
    :math:`p = P(X \ge x \mid n, \text{level})`. A small p-value says the proportion is past
    the level in that direction.

    Args:
        successes: the successes :math:`x`.
        n: the sample size.
        level: the level, strictly between 0 and 1.
        side: ``"below"`` or ``"above"``.

    Returns:
        The test (method ``binomial-exact-one-sided``; estimate ``x / n - level``; no statistic
        and no interval); None when ``n`` is 0.

    Raises:
        ParameterError: a negative count, successes above ``n``, a level outside (0, 1), or
            another side (a ``ValueError``).

    Examples:
        >>> round(binomial_level_test(10, 30, 0.7, "below").p_value, 7)
        3.69e-05
        >>> binomial_level_test(25, 30, 0.7, "below").p_value > 0.9
        True
    """
    function = "binomial_level_test"
    successes, n = _two_samples(function, successes, n, 0, 0)[:2]
    if not (_is_real(level) and 0 < level < 1):
        raise ParameterError("level", function, "a number strictly between 0 and 1", level)
    if side not in ("below", "above"):
        raise ParameterError("side", function, "'below' or 'above'", side)
    if n == 0:
        return None
    log_p, log_q = math.log(level), math.log1p(-level)

    def log_pmf(i: int) -> float:
        return _log_binomial_pmf(i, n, log_p, log_q)

    mode = math.floor((n + 1) * level)
    if side == "below":
        # _tail_sum only walks away from the mode: on the mode's other side, one minus the opposite tail.
        tail = (
            _tail_sum(successes, -1, n, log_pmf)
            if successes <= mode
            else 1.0 - (_tail_sum(successes + 1, 1, n, log_pmf) if successes < n else 0.0)
        )
    else:
        tail = (
            _tail_sum(successes, 1, n, log_pmf)
            if successes >= mode
            else 1.0 - (_tail_sum(successes - 1, -1, n, log_pmf) if successes > 0 else 0.0)
        )
    return TestResult(successes / n - level, None, min(1.0, max(0.0, tail)), None, "binomial-exact-one-sided")


CORRECTIONS = ("holm", "benjamini-hochberg")
"""The multiple-testing corrections `adjust_p_values` knows."""


def adjust_p_values(p_values: Sequence[float], method: str = "holm") -> list[float]:
    r"""P-values adjusted for testing a whole family at once, in the order given.

    ``"holm"`` (Holm 1979, step-down): with the p-values sorted,
    :math:`\tilde p_{(i)} = \max_{j \le i} \min(1, (m - j + 1) p_{(j)})`. Rejecting every
    hypothesis whose adjusted p-value is below :math:`\alpha` keeps the chance of any false
    rejection in the family at most :math:`\alpha`, whatever the dependence between the tests
    (the family-wise error rate).

    ``"benjamini-hochberg"`` (1995, step-up):
    :math:`\tilde p_{(i)} = \min_{j \ge i} \min(1, m\, p_{(j)} / j)`. Rejecting below
    :math:`\alpha` keeps the expected share of false rejections among the rejections at most
    :math:`\alpha` for independent or positively dependent tests (the false discovery rate);
    when every hypothesis is true that is the chance of any false rejection.

    Args:
        p_values: the family's p-values, each in [0, 1].
        method: ``"holm"`` or ``"benjamini-hochberg"``.

    Returns:
        The adjusted p-values, in the order of ``p_values``.

    Raises:
        ParameterError: a p-value outside [0, 1], or an unknown method (a ``ValueError``).

    Examples:
        >>> adjust_p_values([0.01, 0.04, 0.03, 0.2])
        [0.04, 0.09, 0.09, 0.2]
        >>> [round(p, 4) for p in adjust_p_values([0.01, 0.04, 0.03, 0.2], "benjamini-hochberg")]
        [0.04, 0.0533, 0.0533, 0.2]
    """
    function = "adjust_p_values"
    if method not in CORRECTIONS:
        raise ParameterError("method", function, "'holm' or 'benjamini-hochberg'", method)
    values = list(p_values)
    for value in values:
        if not (_is_real(value) and 0 <= value <= 1):
            raise ParameterError("p_values", function, "numbers between 0 and 1", value)
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * values[i]))
            adjusted[i] = running
        return adjusted
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, min(1.0, m * values[i] / (rank + 1)))
        adjusted[i] = running
    return adjusted
