"""What every metric function shares: argument checks, warnings, and building the result."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from advocacy_kpis.catalog import BasisUse, MetricSpec, SegmentUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import proportion, weighted_share
from advocacy_kpis.result import MetricResult, Number
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import Interval, wilson_interval

SMALL_SAMPLE = 30
"""Below this many units a result carries a small-sample warning."""

SMALL_SAMPLE_NOTE = "small sample: "
"""How a small-sample warning begins, so a reader of results can tell it from the others."""


def check_args(
    spec: MetricSpec,
    data: AdvocacyData,
    window: Window,
    segment: Segment | None,
    basis: RevenueBasis | None,
    *,
    run_rate: bool = False,
    on_records: type | None = None,
) -> Segment:
    """Check the common arguments against the spec; return the segment to use.

    Raises:
        ParameterError: a wrong type, a basis the metric does not take or lacks.
        SegmentNotApplicableError: a segment on attributes the records do not carry.
    """
    if not isinstance(data, AdvocacyData):
        raise ParameterError("data", spec.id, "an AdvocacyData", type(data).__name__)
    if not isinstance(window, Window):
        raise ParameterError("window", spec.id, "a Window such as Window.quarter(2026, 3)", window)
    chosen = Segment.all() if segment is None else segment
    if not isinstance(chosen, Segment):
        raise ParameterError("segment", spec.id, "a Segment such as Segment.where(tier='smb')", segment)
    if spec.segment is SegmentUse.NONE and not chosen.is_all:
        raise ParameterError(
            "segment", spec.id, "Segment.all() (this metric cannot be segmented)", chosen.name
        )
    data.check_segment(chosen, spec.id, on_records=on_records)
    if basis is not None and not isinstance(basis, RevenueBasis):
        raise ParameterError("basis", spec.id, "a RevenueBasis such as RevenueBasis.arr('USD')", basis)
    if spec.basis is BasisUse.NONE and basis is not None:
        raise ParameterError("basis", spec.id, "None (this metric is not revenue-based)", basis.name)
    if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) and basis is None:
        raise ParameterError("basis", spec.id, "a RevenueBasis (required)", None)
    if basis is not None and (run_rate or spec.basis is BasisUse.OPTIONAL) and not basis.is_run_rate:
        raise ParameterError(
            "basis",
            spec.id,
            "an ARR or MRR basis (revenue weights are run rates at an instant)",
            basis.name,
        )
    return chosen


def positive_int(value: Any, name: str, function: str) -> int:
    """Check an integer parameter such as ``horizon_days``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParameterError(name, function, "a positive integer", value)
    return value


def check_confidence(value: Any, function: str) -> float:
    """Check a confidence level."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ParameterError("confidence", function, "a number between 0 and 1, such as 0.95", value)
    return float(value)


def scope_warnings(data: AdvocacyData, window: Window) -> list[str]:
    """Warnings about the window itself: one that runs past ``as_of`` is still partial."""
    if window.start >= data.as_of:
        return [f"the window starts at or after as_of ({data.as_of.isoformat()}): nothing in it is known yet"]
    if window.end > data.as_of:
        return [f"the window runs past as_of ({data.as_of.isoformat()}): its value covers only part of it"]
    return []


def unsegmented_note(count: int, what: str, segment: Segment) -> str:
    """The warning that ``count`` records have no value for an attribute ``segment`` reads."""
    names = " or ".join(repr(n) for n in segment.attributes)
    return (
        f"{count} {what} have no value for {names}, so they are in no segment on it: "
        "figures over such segments do not add up to the whole"
    )


def build(
    spec: MetricSpec,
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment,
    value: Number | None,
    undefined_reason: str | None = None,
    basis: RevenueBasis | None = None,
    numerator: Number | None = None,
    denominator: Number | None = None,
    sample_size: int = 0,
    interval: Interval | None = None,
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: Collection[str] = (),
    small_sample: bool = True,
    accounts_segmented: bool = True,
) -> MetricResult:
    """Assemble a result, adding the window, small-sample, segment and threshold warnings.

    ``accounts_segmented=False`` is for metrics whose records join a segment on their own
    attributes: they warn about their own records without a value (`unsegmented_note`).
    """
    notes = scope_warnings(data, window) + list(warnings)
    outside = data.accounts_outside_every_value(segment) if accounts_segmented else 0
    if outside:
        notes.append(unsegmented_note(outside, "accounts", segment))
    if value is None and undefined_reason is None:
        raise ParameterError("undefined_reason", "build", "a reason when value is None", None)
    if small_sample and value is not None and 0 < sample_size < SMALL_SAMPLE:
        notes.append(f"{SMALL_SAMPLE_NOTE}{sample_size} < {SMALL_SAMPLE}; read the interval, not the point")
    if value is not None:
        for threshold in spec.thresholds:
            if threshold.breached(float(value)):
                notes.append(f"{threshold.breached_when} {threshold.value:g}: {threshold.meaning}")
    return MetricResult(
        metric=spec.id,
        value=value,
        unit=spec.unit,
        window=window,
        segment=segment,
        as_of=data.as_of,
        basis=basis,
        numerator=numerator,
        denominator=denominator,
        sample_size=sample_size,
        interval=interval,
        components=components or {},
        details=details or {},
        undefined_reason=None if value is not None else undefined_reason,
        warnings=tuple(notes),
        definition_version=spec.version,
    )


def account_share(
    spec: MetricSpec,
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment,
    basis: RevenueBasis | None,
    hits: Collection[str],
    population: Collection[str],
    weight_at: datetime | Mapping[str, datetime],
    empty_reason: str,
    confidence: float = 0.95,
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: Collection[str] = (),
) -> MetricResult:
    """A proportion of accounts, or with ``basis`` the revenue-weighted proportion.

    Unweighted: ``|hits| / |population|`` with a Wilson interval. Weighted: the summed run
    rate (on ``basis``, at ``weight_at``) of the hits over that of the population; no interval.
    ``hits`` must be a subset of ``population``.
    """
    counts = {"numerator_accounts": len(hits), "population_accounts": len(population)}
    counts.update(components or {})
    if basis is None:
        value = proportion(len(hits), len(population), function=spec.id)
        return build(
            spec, data, window=window, segment=segment, value=value,
            undefined_reason=empty_reason, numerator=len(hits), denominator=len(population),
            sample_size=len(population), interval=wilson_interval(len(hits), len(population), confidence),
            components=counts, details=details, warnings=warnings,
        )  # fmt: skip
    part = _weight(data, hits, weight_at, basis)
    whole = _weight(data, population, weight_at, basis)
    weighted = weighted_share(part, whole, function=spec.id)
    when = weight_at.isoformat() if isinstance(weight_at, datetime) else "the weighting instants"
    reason = empty_reason if not population else f"the population has no {basis.name} at {when}"
    return build(
        spec, data, window=window, segment=segment, value=weighted, undefined_reason=reason,
        basis=basis, numerator=part, denominator=whole, sample_size=len(population),
        components=counts, details=details, warnings=warnings,
    )  # fmt: skip


def _weight(
    data: AdvocacyData,
    accounts: Collection[str],
    weight_at: datetime | Mapping[str, datetime],
    basis: RevenueBasis,
) -> Decimal:
    if isinstance(weight_at, datetime):
        return data.total_arr(accounts, weight_at, basis)
    return sum((data.arr_at(a, weight_at[a], basis) for a in accounts), Decimal(0))


def last_customer_instants(
    data: AdvocacyData, accounts: Collection[str], window: Window
) -> dict[str, datetime]:
    """For accounts active in ``window``: the last instant in it at which each was a customer.

    That is ``window.end``, or the churn instant of an account that churned inside the window,
    so a customer lost mid-window is weighted by the revenue it had then, not by zero.
    """
    instants: dict[str, datetime] = {}
    for account_id in accounts:
        churned = data.account(account_id).churned_at
        instants[account_id] = churned if churned is not None and churned < window.end else window.end
    return instants


def weight_note(weight_at: datetime) -> dict[str, str]:
    """Details entry recording the instant revenue weights were read at."""
    return {"weights_at": weight_at.isoformat()}


def zero() -> Decimal:
    """A Decimal zero (sums of money start here, never at float 0)."""
    return Decimal(0)


HORIZONS = (30, 90, 180)
"""Days at which time-to-event results report the share that had reached the event."""


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400.0


def survival_result(
    spec: MetricSpec,
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment,
    subjects: Mapping[str, tuple[datetime, datetime | None, datetime]],
    event_name: str,
    empty_reason: str,
) -> MetricResult:
    """Kaplan-Meier median time to an event, censoring subjects that have not reached it.

    Args:
        subjects: for each subject, ``(origin, event_at, censor_at)``: when its clock starts,
            when the event happened (None if it has not) and when observation of it stops
            (``as_of``, or earlier, e.g. at churn). An event after ``censor_at`` is not seen.
        event_name: what the event is, for the undefined reason ("a referral").
    """
    from advocacy_kpis.stats import kaplan_meier

    durations: list[float] = []
    observed: list[bool] = []
    for origin, event_at, censor_at in subjects.values():
        if event_at is not None and event_at <= censor_at:
            durations.append(_days(origin, event_at))
            observed.append(True)
        else:
            durations.append(max(0.0, _days(origin, censor_at)))
            observed.append(False)
    curve = kaplan_meier(durations, observed)
    seen = [d for d, o in zip(durations, observed, strict=True) if o]
    median = curve.median()
    if not subjects:
        reason = empty_reason
    else:
        reason = (
            f"fewer than half of the cohort had {event_name} within the observed time "
            f"({curve.n_events} of {curve.n}); see details for the share by horizon"
        )
    details = {f"share_by_{h}_days": curve.share_by(float(h)) if subjects else None for h in HORIZONS}
    details["mean_of_observed_days"] = sum(seen) / len(seen) if seen else None
    details["longest_follow_up_days"] = curve.observed_horizon() if subjects else None
    return build(
        spec, data, window=window, segment=segment, value=median, undefined_reason=reason,
        sample_size=curve.n, components={"cohort": curve.n, "events": curve.n_events,
                                         "censored": curve.n_censored},
        details=details,
    )  # fmt: skip
