"""What every metric function shares: argument checks, warnings, and building the result."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from advocacy_kpis.catalog import BasisUse, MetricSpec, SegmentUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import proportion, weighted_share
from advocacy_kpis.grid import Grid
from advocacy_kpis.records import Account
from advocacy_kpis.result import MetricResult, Number
from advocacy_kpis.scope import BasisKind, RevenueBasis, Segment, Window
from advocacy_kpis.stats import Interval, wilson_interval
from advocacy_kpis.tally import Cell, Run, Tally

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
        raise ParameterError("data", spec.id, "an AdvocacyData or engines.Tables", type(data).__name__)
    if not isinstance(window, Window):
        raise ParameterError("window", spec.id, "a Window such as Window.quarter(2026, 3)", window)
    chosen = Segment.all() if segment is None else segment
    if not isinstance(chosen, Segment):
        raise ParameterError("segment", spec.id, "a Segment such as Segment.where(tier='smb')", segment)
    if spec.segment is SegmentUse.NONE and not chosen.is_all:
        raise ParameterError(
            "segment", spec.id, "Segment.all() (this metric cannot be segmented)", chosen.name
        )
    data.check_window(window, spec.id)
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


MAX_DAYS = 36_600
"""The longest span in days a parameter may give (about a century): beyond it dates overflow."""


def positive_int(value: Any, name: str, function: str) -> int:
    """Check a count of days such as ``horizon_days``: a whole number from 1 to `MAX_DAYS`.

    Integers of any kind (numpy's included) are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 < int(value) <= MAX_DAYS:
        raise ParameterError(name, function, f"a whole number of days from 1 to {MAX_DAYS}", value)
    return int(value)


def positive(name: str) -> Callable[[Any, str], int]:
    """A parameter check for a positive integer named ``name`` (see `positive_int`)."""
    return lambda value, function: positive_int(value, name, function)


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
    on_records: type | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> MetricResult:
    """Assemble a result, adding the window, small-sample, segment and threshold warnings.

    ``accounts_segmented=False`` is for metrics whose records join a segment on their own
    attributes: they warn about their own records without a value (`unsegmented_note`).
    """
    notes = scope_warnings(data, window) + list(warnings)
    unmatched = data.unmatched_segment_warning(segment, on_records)
    if unmatched is not None:
        notes.append(unmatched)
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
        parameters=_plain_parameters(parameters or {}),
    )


def _plain_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as results keep them: policies and models by their JSON-safe form."""
    return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in parameters.items()}


def share(
    cell: Cell,
    tally: Tally,
    *,
    hits: str,
    population: str,
    empty_reason: str,
    components: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: Collection[str] = (),
    weights_at: str = "",
) -> MetricResult:
    """A proportion of accounts, or with a basis the revenue-weighted proportion.

    Reads the counts ``tally[hits]`` and ``tally[population]`` (hits are a subset of the
    population). Unweighted: their ratio with a Wilson interval. Weighted (the cell has a
    basis): the summed run rates ``tally[hits + "_weight"]`` over ``tally[population + "_weight"]``,
    read at ``weights_at`` (recorded in details); no interval.
    """
    spec, basis = cell.spec, cell.basis
    hit_count, population_count = tally[hits], tally[population]
    counts = {"numerator_accounts": hit_count, "population_accounts": population_count}
    counts.update(components or {})
    if basis is None:
        value = proportion(hit_count, population_count, function=spec.id)
        return cell.build(
            value=value, undefined_reason=empty_reason, numerator=hit_count, denominator=population_count,
            sample_size=population_count,
            interval=wilson_interval(hit_count, population_count, cell.params["confidence"]),
            components=counts, details=details, warnings=warnings,
        )  # fmt: skip
    part: Decimal = tally[hits + "_weight"]
    whole: Decimal = tally[population + "_weight"]
    weighted = weighted_share(part, whole, function=spec.id)
    reason = empty_reason if not population_count else f"the population has no {basis.name} at {weights_at}"
    return cell.build(
        value=weighted, undefined_reason=reason, numerator=part, denominator=whole,
        sample_size=population_count, components=counts,
        details={**(details or {}), "weights_at": weights_at}, warnings=warnings,
    )  # fmt: skip


# -- tallies shared by the account-population metrics ------------------------------------------

MemberInstant = Callable[[Grid, Account, int], "datetime | None"]
"""For an account and a window index: the instant the account weighs at, or None if not a member."""


def _at_start(grid: Grid, account: Account, w: int) -> datetime | None:
    start = grid.windows[w].start
    return start if account.is_customer_at(start) else None


def _at_end(grid: Grid, account: Account, w: int) -> datetime | None:
    end = grid.windows[w].end
    return end if account.is_customer_at(end) else None


def _retained_at_start(grid: Grid, account: Account, w: int) -> datetime | None:
    window = grid.windows[w]
    return (
        window.start if account.is_customer_at(window.start) and account.is_customer_at(window.end) else None
    )


def _new_at_last(grid: Grid, account: Account, w: int) -> datetime | None:
    window = grid.windows[w]
    if window.start <= account.customer_since < window.end:
        return grid.last_customer_instant(account, w)
    return None


def _active_at_last(grid: Grid, account: Account, w: int) -> datetime | None:
    return grid.last_customer_instant(account, w) if grid.is_active(account, w) else None


def _any(grid: Grid, account: Account, w: int) -> datetime | None:
    return grid.windows[w].end


MEMBERS: Final[Mapping[str, MemberInstant]] = {
    "any": _any,
    "start": _at_start,
    "end": _at_end,
    "retained": _retained_at_start,
    "new": _new_at_last,
    "active": _active_at_last,
}
"""How each cohort set weighs: S and S ∩ E at W.start, E at W.end, N and active-in-W at their
last instant in W as a customer."""

WEIGHTS_AT: Final[Mapping[str, str]] = {
    "start": "the start of the window",
    "end": "the end of the window",
    "retained": "the start of the window",
    "new": "each account's last instant as a customer in W",
    "active": "each account's last instant as a customer in W",
}


def cohort_tallies(
    run: Run,
    *,
    key: str = "all",
    accept: Callable[[Account], bool] | None = None,
    weigh: Collection[str] = (),
) -> list[Tally]:
    """Per cell: the sizes of S, E, N, churned, S ∩ E, S \\ E and active-in-W.

    With a basis, also ``<set>_weight`` for each cohort set named in ``weigh`` (see `MEMBERS`).

    Args:
        run: the run.
        key: names ``accept`` (the same key must always mean the same filter).
        accept: when given, only the accounts it accepts count.
        weigh: the cohort sets to weigh when the run has a basis.
    """
    grid = run.grid
    counts = grid.cohorts(key, accept)
    tallies: list[Tally] = [dict(counts.cell(c)) for c in range(grid.n_cells)]
    if run.basis is not None:
        for name in weigh:
            totals = grid.account_weights(run.basis, _bind(grid, MEMBERS[name]), (key, name), accept)
            for c, tally in enumerate(tallies):
                tally[name + "_weight"] = totals[c]
    return tallies


def _bind(grid: Grid, member: MemberInstant) -> Callable[[Account, int], datetime | None]:
    return lambda account, w: member(grid, account, w)


def account_hits(
    run: Run,
    pairs: Iterable[tuple[str, datetime]],
    *,
    population: str = "active",
    accept: Callable[[Account], bool] | None = None,
) -> tuple[list[int], list[Decimal] | None, list[int]]:
    """Count, per cell, the accounts with at least one event in the window.

    Args:
        run: the run.
        pairs: ``(account id, instant)`` of each event.
        population: the cohort set (``"active"``, ``"start"``, ``"end"``, ``"new"``) an account
            must belong to in a window for its events there to count.
        accept: when given, only accounts it accepts count.

    Returns:
        Per cell: the hit counts, their weights on the run's basis (None without a basis,
        weighted as `MEMBERS` says), and the events from accounts outside the population.
    """
    grid = run.grid
    data = grid.data
    member = MEMBERS[population]
    ns = grid.n_segments
    hits = [0] * grid.n_cells
    weights = [Decimal(0)] * grid.n_cells if run.basis is not None else None
    outside = [0] * grid.n_cells
    seen: set[tuple[str, int]] = set()
    for account_id, instant in pairs:
        segments = grid.account_segments(account_id)
        if not segments:
            continue
        for w in grid.windows_at(instant):
            if (account_id, w) in seen:
                continue
            account = data.account(account_id)
            if accept is not None and not accept(account):
                continue
            at = member(grid, account, w)
            if at is None:
                for s in segments:
                    outside[w * ns + s] += 1
                continue
            seen.add((account_id, w))
            weight = data.arr_at(account_id, at, run.basis) if run.basis is not None else None
            for s in segments:
                hits[w * ns + s] += 1
                if weights is not None and weight is not None:
                    weights[w * ns + s] += weight
    return hits, weights, outside


def weight_note(weight_at: datetime) -> dict[str, str]:
    """Details entry recording the instant revenue weights were read at."""
    return {"weights_at": weight_at.isoformat()}


def zero() -> Decimal:
    """A Decimal zero (sums of money start here, never at float 0)."""
    return Decimal(0)


_MONTHLY_STEP: Final = Decimal("1e-12")


def annual(basis: RevenueBasis) -> RevenueBasis:
    """The ARR basis of the same currency and FX rates as a run-rate basis.

    Sums of run rate are taken on it and turned into MRR once, by `on_basis`: dividing each
    account's ARR by 12 before adding would round every term, and the total would then depend on
    the order of the accounts.
    """
    return (
        basis if basis.kind is BasisKind.ARR else RevenueBasis(BasisKind.ARR, basis.currency, basis.fx_rates)
    )


def on_basis(annual_amount: Decimal, basis: RevenueBasis) -> Decimal:
    """A sum of ARR stated on ``basis``: unchanged for ARR, divided by 12 for MRR.

    An inexact division is rounded once at 1e-12, as `AdvocacyData.contract_value` rounds.

    Examples:
        >>> on_basis(Decimal(1000), RevenueBasis.mrr("USD"))
        Decimal('83.333333333333')
        >>> on_basis(Decimal(24000), RevenueBasis.mrr("USD"))
        Decimal('2000')
    """
    if basis.kind is not BasisKind.MRR:
        return annual_amount
    monthly = annual_amount / 12
    exponent = monthly.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        monthly = monthly.quantize(_MONTHLY_STEP)
    return monthly


HORIZONS = (30, 90, 180)
"""Days at which time-to-event results report the share that had reached the event."""


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


def survival_finish(
    cell: Cell,
    tally: Tally,
    *,
    event_name: str,
    empty_reason: str,
    warnings: Collection[str] = (),
    accounts_segmented: bool = True,
) -> MetricResult:
    """Kaplan-Meier median time to an event from the cell's ``tally["observations"]``.

    Subjects that have not reached the event are censored. The share that reached it by each
    of `HORIZONS` is in details (None past the longest follow-up). ``warnings`` and
    ``accounts_segmented`` pass on to `build` (for subjects segmented by their own attributes).
    """
    from advocacy_kpis.stats import kaplan_meier

    observations: list[tuple[float, bool]] = sorted(tally["observations"])
    durations = [d for d, _ in observations]
    observed = [o for _, o in observations]
    curve = kaplan_meier(durations, observed)
    seen = [d for d, o in observations if o]
    median = curve.median()
    if not observations:
        reason = empty_reason
    else:
        reason = (
            f"fewer than half of the cohort had {event_name} within the observed time "
            f"({curve.n_events} of {curve.n}); see details for the share by horizon"
        )
    longest = curve.observed_horizon() if observations else None
    details: dict[str, Any] = {
        f"share_by_{h}_days": curve.share_by(float(h)) if longest is not None and h <= longest else None
        for h in HORIZONS
    }
    details["mean_of_observed_days"] = sum(seen) / len(seen) if seen else None
    details["longest_follow_up_days"] = longest
    return cell.build(
        value=median, undefined_reason=reason, sample_size=curve.n,
        components={"cohort": curve.n, "events": curve.n_events, "censored": curve.n_censored},
        details=details, warnings=warnings, accounts_segmented=accounts_segmented,
    )  # fmt: skip
