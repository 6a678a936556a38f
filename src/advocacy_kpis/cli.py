"""The ``advocacy-kpis`` command: browse the catalogue and compute metrics on the sample or your data.

Commands:
    catalog            list every metric
    explain ID         the definition, formula, population and common mistakes of one metric
    compute ID         compute one metric (``--sample`` or ``--data DIR``, ``--window``, ``--segment``,
                       ``--basis``, ``--param name=value``, ``--json``)
    validate           load ``--data DIR`` and print the load report; exit 1 when rows were refused
    demo               the catalogue over the last four quarters of the sample data, overall and per tier

Commands that read data take the options of `add_data_options` and get the data set from
`data_source_from_args`, so every such command reads a folder the same way.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO, TypeVar

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.catalog import BasisUse, MetricSpec
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import AdvocacyKpisError, ParameterError, SegmentNotApplicableError, SourceError
from advocacy_kpis.io import LoadReport, load_folder, read_settings
from advocacy_kpis.io.coerce import Refused, instant_converter
from advocacy_kpis.metrics._common import SMALL_SAMPLE, SMALL_SAMPLE_NOTE
from advocacy_kpis.result import MetricResult, format_value
from advocacy_kpis.sample import SAMPLE_FX_RATES
from advocacy_kpis.scope import Calendar, RevenueBasis, Segment, Window

T = TypeVar("T")

__all__ = ["DataSource", "add_data_options", "data_from_args", "data_source_from_args", "main"]

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


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ParameterError("--param", "advocacy-kpis compute", "NAME=VALUE", text)
    value: Any = raw
    for cast in (int, float):
        try:
            value = cast(raw)
            break
        except ValueError:
            continue
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


def _flag(flag: str, command: str, parse: Callable[[], T]) -> T:
    """Run a parser of a flag's value; its error names the flag, not the function's parameter."""
    try:
        return parse()
    except ParameterError as error:
        raise ParameterError(flag, command, error.expected, error.got) from None


def _cmd_compute(args: argparse.Namespace, out: TextIO) -> int:
    source = data_source_from_args(args, "advocacy-kpis compute")
    data = source.data
    if source.report is not None and not source.report.ok:
        sys.stderr.write(
            f"advocacy-kpis: warning: {source.report.rows_rejected} of {source.report.rows_read} rows were "
            f"refused and are not counted; advocacy-kpis validate --data {args.data} lists them\n"
        )
    command = "advocacy-kpis compute"
    window = _flag("--window", command, lambda: Window.parse(args.window, data.calendar))
    segment = _flag("--segment", command, lambda: Segment.parse(args.segment)) if args.segment else None
    spec = catalog.get(args.metric)
    basis = _flag("--basis", command, lambda: RevenueBasis.parse(args.basis)) if args.basis else None
    if basis is None and spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY):
        basis = RevenueBasis(DEMO_BASIS.kind, source.currency)
    if basis is not None:
        rates = {code: rate for code, rate in source.fx_rates.items() if code != basis.currency}
        basis = RevenueBasis(basis.kind, basis.currency, rates)
    params = dict(_parse_param(p) for p in args.param)
    result = compute(args.metric, data, window=window, segment=segment, basis=basis, params=params)
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


# -- where the data comes from: shared by every command that reads data -------------------------


@attrs.frozen
class DataSource:
    """The data set a command runs on, with what the command line and settings file said about it.

    Attributes:
        data: the data set.
        report: the load report for ``--data`` (None for ``--sample``).
        currency: the basis currency money is stated in by default.
        fx_rates: basis-currency units per unit of each other currency.
    """

    data: AdvocacyData
    report: LoadReport | None
    currency: str
    fx_rates: Mapping[str, Decimal]


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Add the data-source options: ``--sample`` or ``--data DIR``, ``--as-of``, ``--calendar``, ``--fx``."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sample", action="store_true", help="use the embedded sample data set")
    source.add_argument(
        "--data",
        metavar="DIR",
        help="a folder of your files: accounts.csv, referrals.csv, ... (CSV, JSON lines or Parquet)",
    )
    parser.add_argument(
        "--as-of",
        metavar="WHEN",
        help="with --data: when the data was extracted, e.g. 2026-10-01 or 2026-10-01T06:00:00+02:00 "
        "(default: advocacy.toml's, else the latest timestamp in the data)",
    )
    parser.add_argument(
        "--calendar",
        metavar="ZONE",
        help="with --data: the time zone dates are read in, e.g. Europe/Berlin (default: advocacy.toml's, else UTC)",
    )
    parser.add_argument(
        "--fx",
        action="append",
        default=[],
        metavar="CUR=RATE",
        help="FX rate into the basis currency, e.g. EUR=1.08; repeatable (overrides advocacy.toml's)",
    )


def _parse_calendar(text: str, base: Calendar | None, command: str) -> Calendar:
    try:
        zone = Calendar.from_dict({"timezone": text, "week_start": 0, "fiscal_year_start_month": 1}).timezone
    except ParameterError:
        raise ParameterError(
            "--calendar", command, "an IANA time zone such as Europe/Berlin, or UTC", text
        ) from None
    return attrs.evolve(base, timezone=zone) if base is not None else Calendar(timezone=zone)


def _parse_as_of(text: str, calendar: Calendar, command: str) -> datetime:
    try:
        value = instant_converter(calendar)(text)
    except Refused:
        value = None
    if not isinstance(value, datetime):
        raise ParameterError(
            "--as-of", command, "a date or date-time such as 2026-10-01 or 2026-10-01T06:00:00Z", text
        )
    return value


def data_source_from_args(args: argparse.Namespace, command: str) -> DataSource:
    """The data set named by the options of `add_data_options`.

    ``--sample`` is the embedded sample (with its documented EUR rate unless ``--fx`` is given).
    ``--data DIR`` loads the folder in collecting mode; ``advocacy.toml`` in it gives defaults
    that the flags override.

    Raises:
        ParameterError: a flag with a value it does not take, named by the flag.
        SourceError: the folder cannot be read.
    """
    flags = dict(_parse_fx(f, command) for f in args.fx)
    if args.sample:
        for flag, value in (("--as-of", args.as_of), ("--calendar", args.calendar)):
            if value is not None:
                raise ParameterError(flag, command, "left out with --sample (it applies to --data)", value)
        return DataSource(_sample(), None, DEMO_BASIS.currency, flags or dict(SAMPLE_FX_RATES))
    try:
        settings = read_settings(args.data)
        calendar = settings.calendar
        if args.calendar is not None:
            calendar = _parse_calendar(args.calendar, calendar, command)
        as_of = None if args.as_of is None else _parse_as_of(args.as_of, calendar or Calendar(), command)
        loaded = load_folder(args.data, as_of=as_of, calendar=calendar)
    except SourceError as error:
        raise SourceError(f"--data {args.data}: {error}") from None
    rates = {**settings.fx_rates, **flags}
    return DataSource(loaded.data, loaded.report, settings.currency or DEMO_BASIS.currency, rates)


def data_from_args(args: argparse.Namespace, command: str = "advocacy-kpis") -> AdvocacyData:
    """The data set named by the options of `add_data_options` (see `data_source_from_args`)."""
    return data_source_from_args(args, command).data


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    source = data_source_from_args(args, "advocacy-kpis validate")
    if source.report is None:
        data = source.data
        out.write(f"the embedded sample: {len(data.accounts)} accounts, as of {data.as_of.isoformat()}\n")
        return 0
    if args.json:
        out.write(json.dumps(source.report.to_dict(), indent=2) + "\n")
    else:
        out.write(source.report.format(limit=args.limit) + "\n")
    return 0 if source.report.ok else 1


def _parse_fx(text: str, command: str = "advocacy-kpis compute") -> tuple[str, Decimal]:
    code, sep, rate = text.partition("=")
    try:
        value = Decimal(rate.strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not sep or not value.is_finite() or value <= 0 or len(code.strip()) != 3 or not code.strip().isalpha():
        raise ParameterError("--fx", command, "CUR=RATE such as EUR=1.08", text)
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
    explain.add_argument("metric", help="metric id, e.g. net_promoter_score")
    run = commands.add_parser("compute", help="compute one metric")
    run.add_argument("metric", help="metric id, e.g. net_promoter_score")
    add_data_options(run)
    run.add_argument(
        "--window", required=True, help="2026Q3, 2026-07, 2026, FY2027Q1 or 2026-01-01/2026-03-15"
    )
    run.add_argument("--segment", help="criteria such as tier=enterprise,region=EMEA|NA")
    run.add_argument("--basis", help="revenue basis such as arr:USD (money metrics default to arr:USD)")
    run.add_argument("--param", action="append", default=[], help="metric parameter, e.g. horizon_days=60")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    check = commands.add_parser("validate", help="load a folder and print the load report")
    add_data_options(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--limit", type=int, default=50, help="list at most this many refused rows (default 50)"
    )
    commands.add_parser("demo", help="the catalogue on the sample data, last four quarters")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, 2 on a usage error)."""
    stream = out if out is not None else sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:
        # argparse has printed the usage and the problem; return its status instead of exiting.
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.command == "catalog":
            return _cmd_catalog(stream)
        if args.command == "explain":
            stream.write(explain_text(catalog.get(args.metric)))
            return 0
        if args.command == "compute":
            return _cmd_compute(args, stream)
        if args.command == "validate":
            return _cmd_validate(args, stream)
        return _cmd_demo(stream)
    except AdvocacyKpisError as error:
        sys.stderr.write(f"advocacy-kpis: error: {error}\n")
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; that is not an error of ours.
        sys.stderr.close()
        return 0
    except OSError as error:
        sys.stderr.write(f"advocacy-kpis: error: {error}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
