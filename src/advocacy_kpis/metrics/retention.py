"""Family 4, retention and expansion: who stays, and what they spend."""

from __future__ import annotations

from typing import Any

from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.formulas import textbook_retention_rate
from advocacy_kpis.metrics._common import check_confidence, cohort_tallies, share
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.tally import Cell, Definition, Run, Tally, register

__all__ = ["customer_churn_rate", "customer_retention_rate"]

_COHORT_SEMANTICS = (
    "S = customers at W.start (customer_since < W.start, not churned before it); E = customers at "
    "W.end. An account churned exactly at W.start is in S and churned in W; one churned exactly at "
    "W.end is still in E."
)

_COHORT_PITFALLS = (
    Pitfall(
        "Computing (E - N) / S, which counts a customer won and lost inside the window against you twice.",
        "The rate follows the starting cohort (S ∩ E); the textbook value is given in details for comparison.",
    ),
    Pitfall(
        "Mixing a monthly churn figure with a quarterly one.",
        "Results carry their window, and change_from() refuses windows of different length.",
    ),
    Pitfall(
        "Counting logos when the decision is about revenue.",
        "Pass an ARR or MRR basis to weight each starting customer by its run rate at W.start.",
    ),
)


_COHORT_COMPONENTS = ("start", "end", "new", "churned", "retained", "churned_from_start")


def _cohort_tally(run: Run) -> list[Tally]:
    return cohort_tallies(run, weigh=("start", "retained"))


def _cohort_share(cell: Cell, tally: Tally, hits: str) -> MetricResult:
    details: dict[str, Any] = {}
    if hits == "retained":
        details["textbook_rate"] = textbook_retention_rate(tally["end"], tally["new"], tally["start"])
    if cell.basis is not None:
        tally = {**tally, "churned_from_start_weight": tally["start_weight"] - tally["retained_weight"]}
    return share(
        cell, tally, hits=hits, population="start",
        empty_reason="no customers at the start of the window in the segment",
        components={name: tally[name] for name in _COHORT_COMPONENTS}, details=details,
        weights_at=cell.window.start.isoformat(),
    )  # fmt: skip


RETENTION_SPEC = MetricSpec(
    id="customer_retention_rate",
    number=28,
    name="Customer Retention Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the customers you had when the window opened, the share you still have when it closes. "
        "Customers won during the window do not enter the calculation."
    ),
    formula="retention = |S ∩ E| / |S|",
    formula_latex=r"\frac{|S \cap E|}{|S|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="S, the customers at W.start.",
    window_semantics=_COHORT_SEMANTICS,
    undefined_when="No account is a customer at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    pitfalls=_COHORT_PITFALLS,
    related=("customer_churn_rate", "referral_retention_rate", "net_revenue_retention"),
    interpretation=(
        "The textbook (E - N) / S agrees with |S ∩ E| / |S| only when no customer acquired inside "
        "the window churns inside it; the library uses the cohort form, which stays in [0, 1], and "
        "reports the textbook value in details."
    ),
)


@metric(RETENTION_SPEC)
def customer_retention_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the customers at ``window.start`` still customers at ``window.end``.

    .. math:: \frac{|S \cap E|}{|S|}

    Args:
        data: the data set.
        window: the window whose start and end define S and E.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis: weights each account by its run rate at ``window.start``.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; components ``start``, ``end``, ``new``, ``churned``, ``retained``,
        ``churned_from_start``; ``details["textbook_rate"]`` is (E - N) / S.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is a customer at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_retention_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.75, 3, 4)
        >>> customer_retention_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no customers at the start of the window in the segment'
    """
    return RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


RETENTION = register(
    Definition(
        RETENTION_SPEC,
        _cohort_tally,
        lambda cell, tally: _cohort_share(cell, tally, "retained"),
        checks={"confidence": check_confidence},
    )
)


CHURN_SPEC = MetricSpec(
    id="customer_churn_rate",
    number=29,
    name="Customer Churn Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the customers you had when the window opened, the share you lost before it closed. "
        "It is the complement of the retention rate over the same window and segment."
    ),
    formula="churn = |S \\ E| / |S|",
    formula_latex=r"\frac{|S \setminus E|}{|S|}",
    unit=Unit.RATE,
    direction=Direction.LOWER_IS_BETTER,
    population="S, the customers at W.start.",
    window_semantics=_COHORT_SEMANTICS,
    undefined_when="No account is a customer at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    pitfalls=(
        Pitfall(
            "Dividing every churn in the window, including customers won and lost inside it, by S.",
            "Only members of S that churned count, so churn + retention = 1 exactly.",
        ),
        *_COHORT_PITFALLS[1:],
    ),
    related=("customer_retention_rate", "gross_revenue_retention"),
    interpretation=(
        "'Churned' means churned from the starting cohort: |S \\ E|. Accounts both acquired and lost "
        "inside W are reported in components (churned minus churned_from_start) but not counted."
    ),
)


@metric(CHURN_SPEC)
def customer_churn_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the customers at ``window.start`` that churned by ``window.end``.

    .. math:: \frac{|S \setminus E|}{|S|}

    Args:
        data: the data set.
        window: the window whose start and end define S and E.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis: weights each account by its run rate at ``window.start``.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1], with the same components as `customer_retention_rate`.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account is a customer at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> customer_churn_rate(tiny(), window=Window.quarter(2026, 3)).value
        0.25
    """
    return CHURN.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


CHURN = register(
    Definition(
        CHURN_SPEC,
        _cohort_tally,
        lambda cell, tally: _cohort_share(cell, tally, "churned_from_start"),
        checks={"confidence": check_confidence},
    )
)
