"""The KPI definitions as pure numeric functions: counts and sums in, a number out.

These are the formulas the metric functions call after they have selected and tallied their
population, exposed so they can be used without a data set. Where the denominator is zero the
value is undefined and the function returns ``None``, never 0 (a real NPS or rate can be 0).

Example:
    >>> client_referral_rate(50, 200)
    0.25
    >>> nps(promoters=61, passives=23, detractors=19)
    40.77...
    >>> nps(promoters=0, passives=0, detractors=0) is None
    True
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from advocacy_kpis.errors import ParameterError

__all__ = [
    "client_referral_rate",
    "csat",
    "customer_churn_rate",
    "customer_retention_rate",
    "is_satisfied",
    "nps",
    "nps_category",
    "proportion",
    "referral_conversion_rate",
    "textbook_retention_rate",
    "weighted_nps",
    "weighted_share",
]


def _count(name: str, function: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(name, function, "a non-negative integer", value)


def proportion(numerator: int, denominator: int, *, function: str = "proportion") -> float | None:
    """``numerator / denominator`` for counts, None when the denominator is 0.

    Raises:
        ParameterError: a count is negative or the numerator exceeds the denominator.

    >>> proportion(3, 4), proportion(0, 0)
    (0.75, None)
    """
    _count("numerator", function, numerator)
    _count("denominator", function, denominator)
    if numerator > denominator:
        raise ParameterError("numerator", function, f"at most the denominator ({denominator})", numerator)
    return numerator / denominator if denominator else None


def weighted_share(part: Decimal, whole: Decimal, *, function: str = "weighted_share") -> float | None:
    """The share ``part / whole`` of a total weight (revenue-weighted rates), None when ``whole`` is 0.

    >>> weighted_share(Decimal("250"), Decimal("1000"))
    0.25
    """
    if part < 0 or whole < 0:
        raise ParameterError("part" if part < 0 else "whole", function, "a non-negative amount", part)
    if part > whole:
        raise ParameterError("part", function, f"at most whole ({whole})", part)
    return float(part / whole) if whole else None


def nps_category(score: int) -> Literal["promoter", "passive", "detractor"]:
    """Promoters score 9-10, passives 7-8, detractors 0-6.

    >>> [nps_category(s) for s in (6, 7, 8, 9)]
    ['detractor', 'passive', 'passive', 'promoter']
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ParameterError("score", "nps_category", "an integer from 0 to 10", score)
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    r"""Net Promoter Score: :math:`100 (P - D) / n` with :math:`n = P + \text{passives} + D`.

    Returns a score in [-100, 100], or None when there are no respondents.

    >>> nps(promoters=5, passives=3, detractors=2)
    30.0
    """
    for name, value in (
        ("promoters", promoters),
        ("passives", passives),
        ("detractors", detractors),
    ):
        _count(name, "nps", value)
    n = promoters + passives + detractors
    return 100.0 * (promoters - detractors) / n if n else None


def weighted_nps(promoters: Decimal, passives: Decimal, detractors: Decimal) -> float | None:
    """Revenue-weighted NPS: the same formula over the summed weights of each group.

    >>> weighted_nps(Decimal(600), Decimal(100), Decimal(300))
    30.0
    """
    total = promoters + passives + detractors
    if min(promoters, passives, detractors) < 0:
        raise ParameterError(
            "weights", "weighted_nps", "non-negative amounts", (promoters, passives, detractors)
        )
    return float(100 * (promoters - detractors) / total) if total else None


def is_satisfied(score: int) -> bool:
    """CSAT counts a 1-5 answer as satisfied when it is 4 or 5."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ParameterError("score", "is_satisfied", "an integer from 1 to 5", score)
    return score >= 4


def csat(satisfied: int, responses: int) -> float | None:
    """Customer satisfaction: the share of responses scoring 4 or 5 (of 5).

    >>> csat(42, 50)
    0.84
    """
    return proportion(satisfied, responses, function="csat")


def client_referral_rate(referred_new_customers: int, new_customers: int) -> float | None:
    """The share of new customers acquired through a referral.

    >>> client_referral_rate(50, 200)
    0.25
    """
    return proportion(referred_new_customers, new_customers, function="client_referral_rate")


def referral_conversion_rate(converted: int, matured: int) -> float | None:
    """The share of matured referrals that converted within the horizon.

    >>> referral_conversion_rate(12, 80)
    0.15
    """
    return proportion(converted, matured, function="referral_conversion_rate")


def customer_retention_rate(retained: int, starting: int) -> float | None:
    """``|S ∩ E| / |S|``: the share of the starting customers still customers at the end.

    >>> customer_retention_rate(90, 100)
    0.9
    """
    return proportion(retained, starting, function="customer_retention_rate")


def customer_churn_rate(churned: int, starting: int) -> float | None:
    """``|S \\ E| / |S|``: the share of the starting customers lost in the window.

    >>> customer_churn_rate(10, 100)
    0.1
    """
    return proportion(churned, starting, function="customer_churn_rate")


def textbook_retention_rate(end: int, new: int, start: int) -> float | None:
    """The textbook ``(E - N) / S``.

    It equals `customer_retention_rate` only when no customer acquired inside the window also
    churned inside it; otherwise it understates retention. Shown for comparison.

    >>> textbook_retention_rate(end=95, new=5, start=100)
    0.9
    """
    for name, value in (("end", end), ("new", new), ("start", start)):
        _count(name, "textbook_retention_rate", value)
    return (end - new) / start if start else None
