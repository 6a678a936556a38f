"""`Cell`: what a finish reads besides its tallies, and how every result is assembled.

`Cell.build` adds the warnings every metric shares (a window past ``as_of``, a small sample, a
segment that matches nothing or that some accounts have no value for, a threshold breached) and
records the parameters, so no finish writes them. `check_args` refuses the arguments a metric's
spec does not allow, in the same words for every metric.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from advocacy_kpis.blocks._base import DataSource
from advocacy_kpis.catalog import BasisUse, MetricSpec, SegmentUse
from advocacy_kpis.display import SMALL_SAMPLE_NOTE
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.result import SMALL_SAMPLE, MetricResult, Number
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import Interval

__all__ = ["SMALL_SAMPLE", "SMALL_SAMPLE_NOTE", "Cell", "check_args", "scope_warnings", "unsegmented_note"]


def scope_warnings(source: DataSource, window: Window) -> list[str]:
    """Warnings about the window itself: one that runs past ``as_of`` is still partial."""
    as_of = source.as_of
    if window.start >= as_of:
        return [f"the window starts at or after as_of ({as_of.isoformat()}): nothing in it is known yet"]
    if window.end > as_of:
        return [f"the window runs past as_of ({as_of.isoformat()}): its value covers only part of it"]
    return []


def unsegmented_note(count: int, what: str, segment: Segment) -> str:
    """The warning that ``count`` records have no value for an attribute ``segment`` reads."""
    names = " or ".join(repr(n) for n in segment.attributes)
    return (
        f"{count} {what} have no value for {names}, so they are in no segment on it: "
        "figures over such segments do not add up to the whole"
    )


def unrecorded_note(count: int, what: str, flag: str) -> list[str]:
    """The warning for records whose tri-state flag is None: left out of the metric, and counted."""
    if not count:
        return []
    return [f"{count} {what} do not record whether {flag}; they are left out"]


def check_args(
    spec: MetricSpec,
    source: DataSource,
    window: Window,
    segment: Segment | None,
    basis: RevenueBasis | None,
    *,
    run_rate: bool = False,
    on_records: type | None = None,
    check_segment: bool = True,
) -> Segment:
    """Check the common arguments against the spec; return the segment to use.

    Raises:
        ParameterError: a wrong type, a basis the metric does not take or lacks.
        SegmentNotApplicableError: a segment on attributes the records do not carry.
    """
    if not isinstance(window, Window):
        raise ParameterError("window", spec.id, "a Window such as Window.quarter(2026, 3)", window)
    chosen = Segment.all() if segment is None else segment
    if not isinstance(chosen, Segment):
        raise ParameterError("segment", spec.id, "a Segment such as Segment.where(tier='smb')", segment)
    if spec.segment is SegmentUse.NONE and not chosen.is_all:
        raise ParameterError(
            "segment", spec.id, "Segment.all() (this metric cannot be segmented)", chosen.name
        )
    source.check_window(window, spec.id)
    if check_segment:
        source.check_segment(chosen, spec.id, on_records=on_records)
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


def _plain_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as results keep them: policies and models by their JSON-safe form."""
    return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in parameters.items()}


@attrs.frozen
class Cell:
    """What a finish reads besides the tally: one cell's scope.

    Attributes:
        spec: the metric's catalogue entry.
        source: the data the cell was computed on (records or tables).
        window: the cell's window.
        segment: the cell's segment.
        basis: the revenue basis, or None.
        params: the metric's checked parameters.
        on_records: for metrics whose records join segments on their own attributes, their kind.
    """

    spec: MetricSpec
    source: DataSource
    window: Window
    segment: Segment
    basis: RevenueBasis | None
    params: Mapping[str, Any]
    on_records: type | None = None

    @property
    def confidence(self) -> float:
        """The confidence level of the cell's intervals."""
        level: float = self.params["confidence"]
        return level

    def build(
        self,
        *,
        value: Number | None,
        undefined_reason: str | None = None,
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
        """Assemble the cell's result, adding the warnings every metric shares.

        ``accounts_segmented=False`` is for metrics whose records join a segment on their own
        attributes: they warn about their own records without a value (`unsegmented_note`). The
        result records the metric's parameters as used (not the confidence level, which changes
        no value), so results computed with other parameters never compare.
        """
        spec, source, segment = self.spec, self.source, self.segment
        notes = scope_warnings(source, self.window) + list(warnings)
        # Records that were not supplied match nothing, and saying so would hide the reason.
        supplied = self.on_records is None or source.is_supplied(self.on_records)
        unmatched = source.unmatched_segment_warning(segment, self.on_records) if supplied else None
        if unmatched is not None:
            notes.append(unmatched)
        outside = source.accounts_outside_every_value(segment) if accounts_segmented else 0
        if outside:
            notes.append(unsegmented_note(outside, "accounts", segment))
        if value is None and undefined_reason is None:
            raise ParameterError("undefined_reason", "build", "a reason when value is None", None)
        if small_sample and value is not None and 0 < sample_size < SMALL_SAMPLE:
            notes.append(
                f"{SMALL_SAMPLE_NOTE}{sample_size} < {SMALL_SAMPLE}; read the interval, not the point"
            )
        if value is not None:
            for threshold in spec.thresholds:
                if threshold.breached(float(value)):
                    notes.append(f"{threshold.breached_when} {threshold.value:g}: {threshold.meaning}")
        parameters = {k: v for k, v in self.params.items() if k != "confidence"}
        return MetricResult(
            metric=spec.id,
            value=value,
            unit=spec.unit,
            window=self.window,
            segment=segment,
            as_of=source.as_of,
            basis=self.basis,
            numerator=numerator,
            denominator=denominator,
            sample_size=sample_size,
            interval=interval,
            components=components or {},
            details=details or {},
            undefined_reason=None if value is not None else undefined_reason,
            warnings=tuple(notes),
            definition_version=spec.version,
            parameters=_plain_parameters(parameters),
            name=spec.name,
        )
