"""The ``advocacy-kpis`` command: browse the catalogue and compute metrics on the sample data.

Commands:
    catalog            list every metric
    explain ID         the definition, formula, population and common mistakes of one metric
    compute ID         compute one metric (``--sample`` data, ``--window``, ``--segment``,
                       ``--basis``, ``--fx CUR=RATE``, ``--param name=value``, ``--json``)
    demo               the catalogue over the last four quarters of the sample data, overall and per tier

``ID`` is a metric id or a common short name (``nps``, ``csat``, ``churn``, ...). A mistake in
the arguments ends the command with status 2 and a one-line message naming the flag, never a
traceback.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO, TypeVar

from advocacy_kpis import catalog
from advocacy_kpis.catalog import BasisUse, MetricSpec
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import AdvocacyKpisError, ParameterError, SegmentNotApplicableError
from advocacy_kpis.metrics._common import SMALL_SAMPLE, SMALL_SAMPLE_NOTE
from advocacy_kpis.result import MetricResult, format_value
from advocacy_kpis.sample import SAMPLE_FX_RATES
from advocacy_kpis.scope import RevenueBasis, Segment, Window

__all__ = ["main"]

T = TypeVar("T")

_COMPUTE = "advocacy-kpis compute"

DEMO_BASIS = RevenueBasis.arr("USD", fx_rates=SAMPLE_FX_RATES)
"""The basis the demo uses: ARR in USD, with the sample's fixed EUR rate for accounts billed in euros."""


def _sample() -> AdvocacyData:
    from advocacy_kpis import sample

    return sample.generate()


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=96, initial_indent=indent, subsequent_indent=indent)


def _cmd_catalog(out: TextIO) -> int:
    for family, specs in catalog.by_family().items():
        out.write(f"{family.title}\n")
        for spec in specs:
            out.write(f"  {spec.number:>2}. {spec.id:<40} {spec.name} [{spec.unit.value}]\n")
    return 0


def explain_text(spec: MetricSpec) -> str:
    """The plain-text explanation ``advocacy-kpis explain`` prints."""
    lines = [
        f"{spec.name} ({spec.id}), catalogue #{spec.number}, {spec.family.title}",
        "",
        "Definition:",
        _wrap(spec.definition),
        "",
        f"Formula:   {spec.formula}",
        f"Unit:      {spec.unit.value} ({spec.direction.value.replace('_', ' ')})",
        f"Segment:   {spec.segment.value}    Basis: {spec.basis.value}    Signal: {spec.signal.value}",
        "",
        "Population:",
        _wrap(spec.population),
        "Window:",
        _wrap(spec.window_semantics),
        "Undefined when:",
        _wrap(spec.undefined_when),
    ]
    if spec.parameters:
        lines += ["Parameters:"] + [f"  {p.name} = {p.default!r}: {p.description}" for p in spec.parameters]
    if spec.thresholds:
        lines += ["Thresholds:"] + [f"  {t.breached_when} {t.value:g}: {t.meaning}" for t in spec.thresholds]
    if spec.interpretation:
        lines += ["Interpretation (the sources are vague here):", _wrap(spec.interpretation)]
    lines += ["Common mistakes, and the guard:"]
    for pitfall in spec.pitfalls:
        lines += [_wrap(f"- {pitfall.mistake}"), _wrap(f"guard: {pitfall.guard}", "    ")]
    if spec.related:
        lines += [f"Related:   {', '.join(spec.related)}"]
    lines += [f"Source:    seed {spec.seed}; definition version {spec.version}"]
    return "\n".join(lines) + "\n"


def _flag(flag: str, given: Any, expected: str, parse: Callable[[], T]) -> T:
    """Run ``parse``; a mistake in the value becomes a ParameterError that names the flag."""
    try:
        return parse()
    except (AdvocacyKpisError, ValueError, OverflowError, ArithmeticError) as error:
        raise ParameterError(flag, _COMPUTE, f"{expected}; here {_reason(error)}", given) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, ParameterError):
        return f"{error.parameter} must be {error.expected}"
    return str(error) or type(error).__name__


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ParameterError("--param", _COMPUTE, "NAME=VALUE", text)
    value: Any = raw
    if re.fullmatch(r"-?[0-9]+", raw.strip()):
        value = int(raw)
    elif re.fullmatch(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", raw.strip()):
        value = float(raw)
    return name.strip(), value


def compute(
    metric_id: str,
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    params: dict[str, Any] | None = None,
) -> MetricResult:
    """Compute one metric by id, passing only the arguments its function accepts.

    Raises:
        UnknownMetricError: no such metric.
        ParameterError: a parameter the metric does not take.
    """
    function = catalog.function(metric_id)
    accepted = inspect.signature(function).parameters
    kwargs: dict[str, Any] = {"window": window}
    if segment is not None and not segment.is_all:
        kwargs["segment"] = segment
    if basis is not None:
        if "basis" not in accepted:
            raise ParameterError("basis", metric_id, "omitted (this metric is not revenue-based)", basis.name)
        kwargs["basis"] = basis
    for name, value in (params or {}).items():
        if name not in accepted or name in ("data", "window", "segment", "basis"):
            options = [p for p in accepted if p not in ("data", "window", "segment", "basis")]
            raise ParameterError("--param", metric_id, f"one of {options}", name)
        kwargs[name] = value
    return function(data, **kwargs)


# The flag that gave each argument of a metric function, for messages.
_FLAGS = {"window": "--window", "segment": "--segment", "basis": "--basis"}


def _compute_flags(
    spec: MetricSpec,
    args: argparse.Namespace,
    data: AdvocacyData,
    window: Window,
    segment: Segment | None,
    basis: RevenueBasis | None,
    params: dict[str, Any],
) -> MetricResult:
    """`compute`, with a mistake in a flag's value reported against that flag."""
    try:
        return compute(spec.id, data, window=window, segment=segment, basis=basis, params=params)
    except ParameterError as error:
        if error.parameter in params:
            shown = next(p for p in args.param if p.partition("=")[0].strip() == error.parameter)
            raise ParameterError(
                "--param", _COMPUTE, f"a valid value; here {_reason(error)}", shown
            ) from None
        if error.parameter in _FLAGS:
            flag = _FLAGS[error.parameter]
            given = getattr(args, error.parameter)
            raise ParameterError(flag, _COMPUTE, f"a valid value; here {_reason(error)}", given) from None
        raise
    except (OverflowError, ValueError) as error:
        if not params:
            raise
        # A metric parameter so large that the dates it leads to leave the calendar.
        shown = " ".join(args.param)
        raise ParameterError(
            "--param", _COMPUTE, f"values within range; here {_reason(error)}", shown
        ) from None


def _cmd_compute(args: argparse.Namespace, out: TextIO) -> int:
    if not args.sample:
        raise ParameterError(
            "--sample",
            _COMPUTE,
            "given (the command computes on the embedded sample data)",
            False,
        )
    spec = catalog.get(args.metric)
    data = _sample()
    # Windows are read in the data set's own calendar: its time zone decides where days begin.
    window = _flag(
        "--window",
        args.window,
        "a window label such as 2026Q3",
        lambda: Window.parse(args.window, data.calendar),
    )
    segment = None
    if args.segment:
        segment = _flag(
            "--segment", args.segment, "criteria such as tier=enterprise", lambda: Segment.parse(args.segment)
        )
    basis = None
    if args.basis:
        basis = _flag(
            "--basis", args.basis, "KIND:CURRENCY such as arr:USD", lambda: RevenueBasis.parse(args.basis)
        )
    if basis is None and spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY):
        basis = RevenueBasis(DEMO_BASIS.kind, DEMO_BASIS.currency)
    if args.fx and basis is None:
        why = "is not revenue-based" if spec.basis is BasisUse.NONE else "is given no --basis"
        expected = f"given only with a revenue basis ({spec.id} {why}, so a rate would be ignored)"
        raise ParameterError("--fx", _COMPUTE, expected, args.fx[0])
    if basis is not None:
        # The sample bills some accounts in EUR: without --fx its documented rate applies.
        rates = dict(_parse_fx(f) for f in args.fx) if args.fx else dict(SAMPLE_FX_RATES)
        kind, currency = basis.kind, basis.currency
        basis = _flag(
            "--fx",
            " ".join(args.fx),
            "CUR=RATE such as EUR=1.08",
            lambda: RevenueBasis(kind, currency, rates),
        )
    params = dict(_parse_param(p) for p in args.param)
    result = _compute_flags(spec, args, data, window, segment, basis, params)
    if args.json:
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return 0
    out.write(f"{spec.name} ({spec.id})\n")
    out.write(f"  window:   {result.window.label}   segment: {result.segment.name}")
    out.write(f"   basis: {result.basis.name if result.basis else '-'}\n")
    out.write(f"  value:    {format_value(result)}\n")
    if result.numerator is not None:
        out.write(f"  ratio:    {result.numerator} / {result.denominator}\n")
    if result.components:
        shown = ", ".join(f"{k}={v}" for k, v in result.components.items())
        out.write(_wrap(f"details:  {shown}") + "\n")
    for warning in result.warnings:
        out.write(_wrap(f"warning:  {warning}") + "\n")
    return 0


def _parse_fx(text: str) -> tuple[str, Decimal]:
    code, sep, rate = text.partition("=")
    try:
        value = Decimal(rate.strip())
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not sep or not value.is_finite():
        raise ParameterError("--fx", _COMPUTE, "CUR=RATE such as EUR=1.08", text)
    return code.strip().upper(), value


def _demo_cell(
    spec: MetricSpec, data: AdvocacyData, window: Window, segment: Segment, notes: list[str]
) -> str:
    """The cell text; warnings other than a small sample go to ``notes`` and get a marker."""
    basis = DEMO_BASIS if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) else None
    try:
        result = compute(spec.id, data, window=window, segment=segment, basis=basis)
    except SegmentNotApplicableError:
        # e.g. programme costs carry no tier: the metric cannot be cut this way.
        return "n/a"
    if result.value is None:
        return "undefined"
    text = format_value(result).split(" [")[0].replace(" per month", "/mo")
    if any(w.startswith(SMALL_SAMPLE_NOTE) for w in result.warnings):
        text += "*"
    for warning in result.warnings:
        if not warning.startswith(SMALL_SAMPLE_NOTE):
            notes.append(warning)
            text += f" [{len(notes)}]"
    return text


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out.write(f"\n{title}\n")
    out.write(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
        + "\n"
    )
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + "\n"
        )


def _cmd_demo(out: TextIO) -> int:
    data = _sample()
    latest = Window.quarter(data.as_of.year, (data.as_of.month - 1) // 3 + 1).previous()
    quarters = [latest.shift(-k) for k in (3, 2, 1, 0)]
    specs = catalog.all()
    out.write(
        f"advocacy_kpis demo: {len(data.accounts)} synthetic accounts (sample.generate()), "
        f"as of {data.as_of.date()}; money on {DEMO_BASIS.name} with EUR at 1.08.\n"
    )
    segments = [("All accounts", Segment.all())] + [
        (f"Tier: {tier}", Segment.where(tier=tier)) for tier in ("enterprise", "mid", "smb")
    ]
    header = ["metric", *[q.label for q in quarters]]
    for title, segment in segments:
        notes: list[str] = []
        rows = [[spec.id, *[_demo_cell(spec, data, q, segment, notes) for q in quarters]] for spec in specs]
        _table(title, header, rows, out)
        for number, note in enumerate(notes, start=1):
            out.write(f"[{number}] {note}\n")
    out.write(
        "\nRates are percentages; 'undefined' means there was nothing to measure (never shown as 0); "
        "'n/a' means the metric's records cannot be segmented that way; * marks a sample under "
        f"{SMALL_SAMPLE} (read the interval: advocacy-kpis compute ID --sample --window ...).\n"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advocacy-kpis", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("catalog", help="list every metric")
    explain = commands.add_parser("explain", help="explain one metric")
    explain.add_argument("metric", help="metric id or short name, e.g. net_promoter_score or nps")
    run = commands.add_parser("compute", help="compute one metric")
    run.add_argument("metric", help="metric id or short name, e.g. net_promoter_score or nps")
    run.add_argument("--sample", action="store_true", help="use the embedded sample data set")
    run.add_argument(
        "--window", required=True, help="2026Q3, 2026-07, 2026, FY2027Q1 or 2026-01-01/2026-03-15"
    )
    run.add_argument("--segment", help="criteria such as tier=enterprise,region=EMEA|NA")
    run.add_argument("--basis", help="revenue basis such as arr:USD (money metrics default to arr:USD)")
    run.add_argument(
        "--fx", action="append", default=[], help="FX rate into the basis currency, e.g. EUR=1.08"
    )
    run.add_argument("--param", action="append", default=[], help="metric parameter, e.g. horizon_days=60")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    commands.add_parser("demo", help="the catalogue on the sample data, last four quarters")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, 2 on a usage error)."""
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "catalog":
            return _cmd_catalog(stream)
        if args.command == "explain":
            stream.write(explain_text(catalog.get(args.metric)))
            return 0
        if args.command == "compute":
            return _cmd_compute(args, stream)
        return _cmd_demo(stream)
    except AdvocacyKpisError as error:
        # One line, whatever the input held.
        sys.stderr.write(f"advocacy-kpis: error: {' '.join(str(error).split())}\n")
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; that is not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
