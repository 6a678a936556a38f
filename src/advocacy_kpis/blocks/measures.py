"""Measures: the finishes metrics share, each owning its formula, interval and undefined reason.

A finish reads a cell's tallies and calls one of these with the numbers; the measure computes
the value and its interval the one way the library does (Wilson for proportions, the Poisson
score interval for counts, Kaplan-Meier for times to an event), says why a value is undefined,
and assembles the result through `Cell.build`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from advocacy_kpis.blocks._base import on_basis
from advocacy_kpis.blocks._cell import Cell
from advocacy_kpis.formulas import proportion as proportion_formula
from advocacy_kpis.formulas import weighted_share
from advocacy_kpis.result import MetricResult
from advocacy_kpis.stats import kaplan_meier, poisson_rate_interval, wilson_interval

__all__ = ["HORIZONS", "count", "observation", "proportion", "survival"]

HORIZONS: Final = (30, 90, 180)
"""Days at which time-to-event results report the share that had reached the event."""


def proportion(
    cell: Cell,
    hits: int,
    population: int,
    *,
    empty_reason: str,
    weights: tuple[Decimal, Decimal] | None = None,
    weights_at: str = "",
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: Collection[str] = (),
    accounts_segmented: bool = True,
    counts: bool = True,
) -> MetricResult:
    """A proportion of units, or with a basis the revenue-weighted proportion.

    Unweighted: ``hits / population`` with a Wilson interval. Weighted (the cell has a basis):
    ``weights = (part, whole)``, ARR sums on the basis' annual form, stated on the basis once and
    divided; no interval. ``weights_at`` says where the weights were read (in details).

    Args:
        cell: the cell.
        hits: the units meeting the condition (a subset of the population).
        population: the units.
        empty_reason: why the value is undefined when the population is empty.
        weights: with a basis, the part and the whole in ARR.
        weights_at: where the weights were read.
        components: further named counts.
        details: further details.
        warnings: further warnings.
        accounts_segmented: False where records join segments on their own attributes.
        counts: whether components open with ``numerator_accounts`` and ``population_accounts``.
    """
    spec, basis = cell.spec, cell.basis
    named: dict[str, Any] = {"numerator_accounts": hits, "population_accounts": population} if counts else {}
    named.update(components or {})
    if basis is None or weights is None:
        return cell.build(
            value=proportion_formula(hits, population, function=spec.id), undefined_reason=empty_reason,
            numerator=hits, denominator=population, sample_size=population,
            interval=wilson_interval(hits, population, cell.confidence), components=named,
            details=details, warnings=warnings, accounts_segmented=accounts_segmented,
        )  # fmt: skip
    part, whole = on_basis(weights[0], basis), on_basis(weights[1], basis)
    reason = empty_reason if not population else f"the population has no {basis.name} at {weights_at}"
    return cell.build(
        value=weighted_share(part, whole, function=spec.id), undefined_reason=reason, numerator=part,
        denominator=whole, sample_size=population, components=named,
        details={**(details or {}), "weights_at": weights_at}, warnings=warnings,
        accounts_segmented=accounts_segmented,
    )  # fmt: skip


def count(
    cell: Cell,
    value: int,
    *,
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: Collection[str] = (),
    accounts_segmented: bool = True,
) -> MetricResult:
    """A count of events in the window, with its Poisson score interval (exposure: the window)."""
    return cell.build(
        value=value, sample_size=value, interval=poisson_rate_interval(value, 1.0, cell.confidence),
        components=components, details=details, warnings=warnings, small_sample=False,
        accounts_segmented=accounts_segmented,
    )  # fmt: skip


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400.0


def observation(origin: datetime, event_at: datetime | None, censor_at: datetime) -> tuple[float, bool]:
    """One subject's survival observation: ``(days, reached)``.

    Args:
        origin: when its clock starts.
        event_at: when the event happened (None if it has not).
        censor_at: when observation of it stops (``as_of``, or earlier, e.g. at churn). An
            event after ``censor_at`` is not seen.
    """
    if event_at is not None and event_at <= censor_at:
        return _days(origin, event_at), True
    return max(0.0, _days(origin, censor_at)), False


def survival(
    cell: Cell,
    observations: Sequence[tuple[float, bool]],
    *,
    event_name: str,
    empty_reason: str,
    warnings: Collection[str] = (),
    accounts_segmented: bool = True,
) -> MetricResult:
    """Kaplan-Meier median time to an event, subjects that have not reached it censored.

    The share that reached the event by each of `HORIZONS` is in details: None past the longest
    follow-up, except that when every subject has had the event it is 1 at every later horizon
    (the curve is 0 there: a fact, not an extrapolation).
    """
    ordered = sorted(observations)
    curve = kaplan_meier([d for d, _ in ordered], [o for _, o in ordered])
    seen = [d for d, o in ordered if o]
    median = curve.median()
    if not ordered:
        reason = empty_reason
    else:
        reason = (
            f"fewer than half of the cohort had {event_name} within the observed time "
            f"({curve.n_events} of {curve.n}); see details for the share by horizon"
        )
    longest = curve.observed_horizon() if ordered else None
    everyone = bool(ordered) and curve.n_events == curve.n
    details: dict[str, Any] = {
        f"share_by_{h}_days": curve.share_by(float(h))
        if longest is not None and (h <= longest or everyone)
        else None
        for h in HORIZONS
    }
    details["mean_of_observed_days"] = sum(seen) / len(seen) if seen else None
    details["longest_follow_up_days"] = longest
    return cell.build(
        value=median, undefined_reason=reason, sample_size=curve.n,
        components={"cohort": curve.n, "events": curve.n_events, "censored": curve.n_censored},
        details=details, warnings=warnings, accounts_segmented=accounts_segmented,
    )  # fmt: skip
