"""Confidence intervals and tests used by the metrics, in closed form (no SciPy needed).

Proportions use the Wilson score interval; NPS the adjusted-Wald interval of Rocks (2016);
event counts the Poisson score interval; changes between periods a two-proportion z-test with
Newcombe's interval, an adjusted NPS difference test, or the conditional binomial test for
counts. Time-to-event metrics use the Kaplan-Meier estimator. All tests assume the two samples
are independent.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from statistics import NormalDist

import attrs

__all__ = [
    "Interval",
    "SurvivalCurve",
    "TestResult",
    "conditional_binomial_test",
    "kaplan_meier",
    "nps_difference_test",
    "nps_interval",
    "poisson_rate_interval",
    "two_proportion_test",
    "wilson_interval",
    "z_value",
]

_NORMAL = NormalDist()


@attrs.frozen
class Interval:
    """A confidence interval ``[low, high]`` at a confidence level, and how it was computed."""

    low: float
    high: float
    confidence: float = 0.95
    method: str = ""

    def contains(self, x: float) -> bool:
        """Whether ``low <= x <= high``."""
        return self.low <= x <= self.high

    def to_dict(self) -> dict[str, float | str]:
        """JSON-safe form."""
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
        estimate: the difference, second sample minus first.
        statistic: the z statistic where the test has one.
        p_value: two-sided p-value.
        interval: confidence interval of the difference, where the test gives one.
        method: ``two-proportion-z``, ``nps-difference-z`` or ``conditional-binomial``.
    """

    __test__ = False  # not a pytest test class

    estimate: float
    statistic: float | None
    p_value: float
    interval: Interval | None
    method: str


def _fail(parameter: str, function: str, expected: str, got: object) -> ValueError:
    from advocacy_kpis.errors import ParameterError

    return ParameterError(parameter, function, expected, got)


def _count(name: str, function: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(name, function, "a non-negative integer", value)


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence``.

    Examples:
        >>> round(z_value(0.95), 4)
        1.96
    """
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise _fail("confidence", "z_value", "a number strictly between 0 and 1", confidence)
    return _NORMAL.inv_cdf(1 - (1 - confidence) / 2)


def _two_sided_p(z: float) -> float:
    return 2 * (1 - _NORMAL.cdf(abs(z)))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    r"""Wilson score interval for a proportion.

    .. math::
        \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}
             {1 + \frac{z^2}{n}}

    Args:
        successes: units meeting the condition.
        n: units in the population.
        confidence: confidence level.

    Returns:
        The interval, or None when ``n`` is 0.

    Raises:
        ParameterError: negative counts, or ``successes > n``.

    Examples:
        >>> ci = wilson_interval(50, 200)
        >>> round(ci.low, 4), round(ci.high, 4)
        (0.1951, 0.3143)
    """
    _count("successes", "wilson_interval", successes)
    _count("n", "wilson_interval", n)
    if successes > n:
        raise _fail("successes", "wilson_interval", f"between 0 and n ({n})", successes)
    if n == 0:
        return None
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high, confidence, "wilson")


def _adjusted(promoters: int, passives: int, detractors: int) -> tuple[float, float, float]:
    """Adjusted NPS (as a difference of shares), its variance V' and n' (Rocks 2016)."""
    n = promoters + passives + detractors + 3
    p = (promoters + 0.75) / n
    d = (detractors + 0.75) / n
    return p - d, p + d - (p - d) ** 2, float(n)


def nps_interval(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> Interval | None:
    r"""Adjusted-Wald confidence interval for NPS (Rocks, The American Statistician, 2016).

    Add 3/4 to promoters and to detractors and 3 to n; with the adjusted shares p', d':
    :math:`100 (\mathrm{NPS}' \pm z \sqrt{V'/n'})`, :math:`V' = p' + d' - (p' - d')^2`,
    clipped to [-100, 100].

    Returns:
        The interval, or None when there are no respondents.

    Raises:
        ParameterError: a negative count.

    Examples:
        >>> ci = nps_interval(61, 23, 19)
        >>> round(ci.low, 1), round(ci.high, 1)
        (24.7, 54.5)
    """
    for name, value in (
        ("promoters", promoters),
        ("passives", passives),
        ("detractors", detractors),
    ):
        _count(name, "nps_interval", value)
    if promoters + passives + detractors == 0:
        return None
    centre, variance, n = _adjusted(promoters, passives, detractors)
    half = z_value(confidence) * math.sqrt(variance / n)
    low, high = max(-1.0, centre - half), min(1.0, centre + half)
    return Interval(100 * low, 100 * high, confidence, "nps-adjusted-wald")


def poisson_rate_interval(count: int, exposure: float, confidence: float = 0.95) -> Interval | None:
    r"""Score interval for a Poisson rate: :math:`(x + z^2/2 \pm z\sqrt{x + z^2/4}) / t`.

    Returns:
        The interval of events per unit of exposure, or None when ``exposure`` is 0.

    Raises:
        ParameterError: a negative count or exposure.

    Examples:
        >>> ci = poisson_rate_interval(12, 3.0)
        >>> round(ci.low, 3), round(ci.high, 3)
        (2.288, 6.992)
    """
    _count("count", "poisson_rate_interval", count)
    if isinstance(exposure, bool) or not isinstance(exposure, (int, float)) or exposure < 0:
        raise _fail("exposure", "poisson_rate_interval", "a non-negative number", exposure)
    if exposure == 0:
        return None
    z = z_value(confidence)
    centre = count + z * z / 2
    half = z * math.sqrt(count + z * z / 4)
    return Interval(
        max(0.0, (centre - half) / exposure),
        (centre + half) / exposure,
        confidence,
        "poisson-score",
    )


def two_proportion_test(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> TestResult | None:
    """Pooled two-proportion z-test of ``x2/n2`` against ``x1/n1``, with Newcombe's interval.

    The interval for ``p2 - p1`` is Newcombe's hybrid score interval (method 10, 1998), built
    from the two Wilson intervals.

    Returns:
        The test, or None when either sample is empty.

    Examples:
        >>> t = two_proportion_test(30, 100, 45, 100)
        >>> round(t.estimate, 2), round(t.p_value, 4)
        (0.15, 0.0285)
    """
    for name, value in (("x1", x1), ("n1", n1), ("x2", x2), ("n2", n2)):
        _count(name, "two_proportion_test", value)
    if n1 == 0 or n2 == 0:
        return None
    first, second = wilson_interval(x1, n1, confidence), wilson_interval(x2, n2, confidence)
    assert first is not None and second is not None
    p1, p2 = x1 / n1, x2 / n2
    difference = p2 - p1
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    statistic = difference / spread if spread > 0 else 0.0
    p_value = _two_sided_p(statistic) if spread > 0 else 1.0
    low = difference - math.sqrt((p2 - second.low) ** 2 + (first.high - p1) ** 2)
    high = difference + math.sqrt((second.high - p2) ** 2 + (p1 - first.low) ** 2)
    return TestResult(
        difference,
        statistic,
        p_value,
        Interval(low, high, confidence, "newcombe"),
        "two-proportion-z",
    )


def nps_difference_test(
    first: tuple[int, int, int], second: tuple[int, int, int], confidence: float = 0.95
) -> TestResult | None:
    """Test of the change in NPS between two independent samples of (promoters, passives, detractors).

    The estimate is the plain difference in NPS points; the statistic and interval use the
    adjusted values of `nps_interval`: ``(NPS2' - NPS1') / sqrt(V1'/n1' + V2'/n2')``.

    Returns:
        The test, or None when either sample is empty.

    Examples:
        >>> t = nps_difference_test((40, 30, 30), (50, 30, 20))
        >>> round(t.estimate, 1), round(t.p_value, 3)
        (20.0, 0.083)
    """
    for label, counts in (("first", first), ("second", second)):
        for value in counts:
            _count(label, "nps_difference_test", value)
    if sum(first) == 0 or sum(second) == 0:
        return None
    c1, v1, n1 = _adjusted(*first)
    c2, v2, n2 = _adjusted(*second)
    plain = 100 * ((second[0] - second[2]) / sum(second) - (first[0] - first[2]) / sum(first))
    spread = math.sqrt(v1 / n1 + v2 / n2)
    statistic = (c2 - c1) / spread
    half = z_value(confidence) * spread
    interval = Interval(
        max(-200.0, 100 * (c2 - c1 - half)),
        min(200.0, 100 * (c2 - c1 + half)),
        confidence,
        "nps-adjusted-wald",
    )
    return TestResult(plain, statistic, _two_sided_p(statistic), interval, "nps-difference-z")


def _log_binomial_pmf(k: int, n: int, p: float) -> float:
    if p <= 0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
        + k * math.log(p) + (n - k) * math.log1p(-p)
    )  # fmt: skip


def conditional_binomial_test(
    x1: int, x2: int, exposure1: float = 1.0, exposure2: float = 1.0
) -> TestResult | None:
    """Exact test that two Poisson counts have the same rate per unit of exposure.

    Under equal rates, ``x1`` given ``x1 + x2`` is binomial with ``p = exposure1 / (exposure1 +
    exposure2)``; the two-sided p-value sums the outcomes no more likely than ``x1``.

    Returns:
        The test (estimate: rate 2 minus rate 1), or None when both counts are 0.

    Examples:
        >>> round(conditional_binomial_test(10, 30).p_value, 4)
        0.0022
    """
    _count("x1", "conditional_binomial_test", x1)
    _count("x2", "conditional_binomial_test", x2)
    for name, value in (("exposure1", exposure1), ("exposure2", exposure2)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise _fail(name, "conditional_binomial_test", "a positive number", value)
    n = x1 + x2
    if n == 0:
        return None
    p = exposure1 / (exposure1 + exposure2)
    observed = _log_binomial_pmf(x1, n, p)
    tolerance = math.log1p(1e-7)
    total = sum(
        math.exp(lp) for k in range(n + 1) if (lp := _log_binomial_pmf(k, n, p)) <= observed + tolerance
    )
    return TestResult(x2 / exposure2 - x1 / exposure1, None, min(1.0, total), None, "conditional-binomial")


@attrs.frozen
class SurvivalCurve:
    """A Kaplan-Meier survival curve.

    Attributes:
        times: distinct event times, ascending.
        survival: S(t) just after each of those times.
        at_risk: subjects at risk just before each time.
        events: events at each time.
        n: subjects.
        n_events: subjects whose event was observed.
        n_censored: subjects censored before their event.
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
        """S(t): the estimated share still without the event at ``t`` (1 before the first event)."""
        position = bisect.bisect_right(self.times, t)
        return self.survival[position - 1] if position else 1.0

    def share_by(self, horizon: float) -> float:
        """``1 - S(horizon)``: the estimated share that reached the event by ``horizon``."""
        return 1.0 - self.survival_at(horizon) if self.n else 0.0

    def quantile(self, q: float) -> float | None:
        """The smallest time by which a share ``q`` reached the event, or None if never."""
        for time, survival in zip(self.times, self.survival, strict=True):
            if 1 - survival >= q - 1e-12:
                return time
        return None

    def median(self) -> float | None:
        """The smallest time at which S(t) <= 0.5, or None when the curve never gets there."""
        return self.quantile(0.5)

    def observed_horizon(self) -> float:
        """The longest follow-up seen, event or censored."""
        return self.longest


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> SurvivalCurve:
    r"""The Kaplan-Meier product-limit estimator: :math:`\hat S(t) = \prod_{t_i \le t} (1 - d_i / n_i)`.

    Events at a time are counted before censorings at the same time.

    Raises:
        ParameterError: the sequences differ in length, or a duration is negative.

    Examples:
        >>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False])
        >>> curve.times, [round(s, 3) for s in curve.survival]
        ((2.0, 3.0, 5.0), [0.8, 0.6, 0.3])
        >>> curve.median()
        5.0
    """
    if len(durations) != len(observed):
        raise _fail(
            "observed",
            "kaplan_meier",
            f"as many flags as durations ({len(durations)})",
            len(observed),
        )
    for index, value in enumerate(durations):
        if not value >= 0:
            raise _fail(f"durations[{index}]", "kaplan_meier", "a non-negative number", value)
    pairs = sorted((float(d), not bool(o)) for d, o in zip(durations, observed, strict=True))
    at_risk = len(pairs)
    survival = 1.0
    times: list[float] = []
    curve: list[float] = []
    risks: list[int] = []
    counts: list[int] = []
    index = 0
    while index < len(pairs):
        time = pairs[index][0]
        events = censored = 0
        while index < len(pairs) and pairs[index][0] == time:
            if pairs[index][1]:
                censored += 1
            else:
                events += 1
            index += 1
        if events:
            survival *= 1 - events / at_risk
            times.append(time)
            curve.append(survival)
            risks.append(at_risk)
            counts.append(events)
        at_risk -= events + censored
    n_events = sum(1 for _, c in pairs if not c)
    return SurvivalCurve(
        tuple(times), tuple(curve), tuple(risks), tuple(counts), len(pairs), n_events,
        len(pairs) - n_events, pairs[-1][0] if pairs else 0.0,
    )  # fmt: skip
