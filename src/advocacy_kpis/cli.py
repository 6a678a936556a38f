"""The ``advocacy-kpis`` command: browse the catalogue and compute metrics on the sample or your data.

Commands:
    catalog            list every metric
    explain ID         the definition, formula, population and common mistakes of one metric
    compute ID         compute one metric (``--sample`` or ``--data DIR``, ``--window``, ``--segment``,
                       ``--basis``, ``--param name=value``, ``--json``)
    scorecard          many metrics over windows and segments (``--windows 2025Q4..2026Q3``,
                       ``--grain``, ``--by tier``, ``--metrics``/``--all``, ``--format table|json|csv``)
    breakdown ID       a metric's segments ranked, marking those reliably above or below the whole
    product-change     a metric before and after a product change, by segment
    over-asking        the asks of a window that broke the tap policy (``--window``, ``--segment``), and
                       with ``--asset`` who may be asked for that asset at the window's end
    validate           load ``--data DIR`` and print the load report; exit 1 when rows were refused
    report             the standard advocacy report of a month (``--period 2026-09``), or of a quarter
                       (``--deep-dive``), as Markdown, HTML or JSON (``--format``, ``--out FILE``)
    demo               the headline scorecard of the sample data: last four quarters, overall and by tier

Commands that read data take the options of `add_data_options` (``--sample`` or ``--data DIR``,
``--as-of``, ``--calendar``, ``--datetime-format``, ``--fx``, ``--file``, ``--constant``,
``--value``) and get the data set from `data_source_from_args`, so every such command reads a
folder the same way.

``ID`` is a metric id or a common short name (``nps``, ``csat``, ``churn``, ...). A mistake in
the arguments ends the command with status 2 and a one-line message naming the flag, never a
traceback.

Names and values from the data are printed through a safe representation: control characters
(an escape sequence in a column name, a carriage return in a segment value) are shown escaped,
never sent to the terminal, and text the terminal's encoding cannot hold is written with
backslash escapes instead of failing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NoReturn, TextIO, TypeVar, cast

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.catalog import BasisUse, MetricSpec, Parameter
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.display import detail_text
from advocacy_kpis.errors import AdvocacyKpisError, ParameterError, SourceError, shorten
from advocacy_kpis.io import LoadReport, Settings, load_folder, read_settings
from advocacy_kpis.io.coerce import Converter, Refused, check_datetime_format, instant_converter
from advocacy_kpis.io.settings import check_constants, check_files, check_values
from advocacy_kpis.result import MetricResult, format_value
from advocacy_kpis.sample import SAMPLE_FX_RATES
from advocacy_kpis.scope import Calendar, RevenueBasis, Segment, SegmentsBy, Window
from advocacy_kpis.scorecard import HEADLINE_METRICS, Scorecard, compute, scorecard

T = TypeVar("T")

__all__ = ["DataSource", "add_data_options", "data_from_args", "data_source_from_args", "main"]


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
        lines += ["Parameters:"] + [f"  {p.name} = {p.shown}: {p.description}" for p in spec.parameters]
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


def _reason(error: BaseException) -> str:
    if isinstance(error, ParameterError):
        return f"{error.parameter} must be {error.expected}"
    return str(error) or type(error).__name__


# What each command takes by a flag of its own rather than by --param.
_COMPUTE_SCOPE: Final = {
    "window": "--window",
    "segment": "--segment",
    "basis": "--basis",
    "data": "--sample or --data",
    "metric_id": "the metric argument",
}
_SCORECARD_SCOPE: Final = {
    "window": "--windows",
    "windows": "--windows",
    "segment": "--by",
    "segments": "--by",
    "basis": "--basis",
    "data": "--sample or --data",
    "metrics": "--metrics",
}


def _cli_params(
    texts: Sequence[str], specs: Sequence[MetricSpec], command: str, scope: Mapping[str, str]
) -> dict[str, Any]:
    """The ``--param NAME=VALUE`` flags, each read and checked as the parameter the metrics declare."""
    declared: dict[str, Parameter] = {}
    for spec in specs:
        for parameter in spec.parameters:
            declared.setdefault(parameter.name, parameter)
    out: dict[str, Any] = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError("--param", command, "NAME=VALUE", text)
        if name in scope:
            expected = f"a parameter of the metric itself ({name} is given by {scope[name]})"
            raise ParameterError("--param", command, expected, text)
        found = declared.get(name)
        if found is None:
            which = specs[0].id if len(specs) == 1 else "the metrics chosen"
            options = ", ".join(sorted(declared)) or "none"
            raise ParameterError("--param", command, f"a parameter of {which} ({options})", text)
        try:
            out[name] = found.parse(raw, specs[0].id)
        except ParameterError as error:
            raise ParameterError("--param", command, f"{name} as {error.expected}", text) from None
    return out


def _flag(flag: str, command: str, parse: Callable[[], T]) -> T:
    """Run a parser of a flag's value; its error names the flag, not the function's parameter."""
    try:
        return parse()
    except ParameterError as error:
        raise ParameterError(flag, command, error.expected, error.got) from None
    except (AdvocacyKpisError, ValueError, OverflowError, ArithmeticError) as error:
        raise ParameterError(flag, command, "a value within range", _reason(error)) from None


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
        return compute(spec.id, data, window=window, segment=segment, basis=basis, **params)
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
    source = _source(args, _COMPUTE)
    data = source.data
    command = _COMPUTE
    spec = catalog.get(args.metric)
    window = _flag("--window", command, lambda: Window.parse(args.window, data.calendar))
    segment = _flag("--segment", command, lambda: Segment.parse(args.segment)) if args.segment else None
    basis = _flag("--basis", command, lambda: RevenueBasis.parse(args.basis)) if args.basis else None
    if basis is None and spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY):
        basis = RevenueBasis(DEMO_BASIS.kind, source.currency)
    if args.fx and basis is None:
        why = "is not revenue-based" if spec.basis is BasisUse.NONE else "is given no --basis"
        expected = f"given only with a revenue basis ({spec.id} {why}, so a rate would be ignored)"
        raise ParameterError("--fx", command, expected, args.fx[0])
    if basis is not None:
        rates = {code: rate for code, rate in source.fx_rates.items() if code != basis.currency}
        kind, currency = basis.kind, basis.currency
        basis = _flag("--fx", command, lambda: RevenueBasis(kind, currency, rates))
    params = _cli_params(args.param, [spec], command, _COMPUTE_SCOPE)
    result = _compute_flags(spec, args, data, window, segment, basis, params)
    if args.json:
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return 0
    out.write(f"{spec.name} ({spec.id})\n")
    out.write(f"  window:   {result.window.label}   segment: {result.segment.name}")
    out.write(f"   basis: {result.basis.name if result.basis else '-'}\n")
    out.write(f"  value:    {format_value(result)}\n")
    if result.numerator is not None:
        out.write(f"  ratio:    {detail_text(result.numerator)} / {detail_text(result.denominator)}\n")
    if result.components:
        shown = ", ".join(f"{k}={detail_text(v)}" for k, v in result.components.items())
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
        targets: the report's targets by metric id, from ``advocacy.toml``.
    """

    data: AdvocacyData
    report: LoadReport | None
    currency: str
    fx_rates: Mapping[str, Decimal]
    targets: Mapping[str, float] = attrs.field(factory=dict)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Add the data-source options: ``--sample`` or ``--data DIR``, ``--as-of``, ``--calendar``,
    ``--datetime-format``, ``--fx``, ``--file``, ``--constant``, ``--value``."""
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
        "--datetime-format",
        metavar="FORMAT",
        help="with --data: the format of timestamps that are not ISO 8601, as strptime takes it, "
        "e.g. %%m/%%d/%%Y (default: advocacy.toml's, else ISO 8601 only; a format is never guessed)",
    )
    parser.add_argument(
        "--fx",
        action="append",
        default=[],
        metavar="CUR=RATE",
        help="FX rate into the basis currency, e.g. EUR=1.08; repeatable (overrides advocacy.toml's)",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="NAME=COLLECTION",
        help="with --data: a file name or glob and the collection it holds, e.g. companies.csv=accounts or "
        "'nps_*.csv=surveys' (files of one collection are read as one); repeatable (adds to advocacy.toml's [files])",
    )
    parser.add_argument(
        "--constant",
        action="append",
        default=[],
        metavar="COLLECTION.FIELD=VALUE",
        help="with --data: a value every row of a collection takes, e.g. surveys.kind=nps; repeatable",
    )
    parser.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="COLLECTION.FIELD:TEXT=VALUE",
        help="with --data: a text of a field's column and the value it stands for, "
        "e.g. 'surveys.kind:Relationship NPS=nps'; repeatable",
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
    if args.datetime_format is not None and not args.sample:
        try:
            check_datetime_format(args.datetime_format)
        except SourceError:
            expected = (
                "a strptime format such as %m/%d/%Y, with which a date-time can be written and read back"
            )
            raise ParameterError("--datetime-format", command, expected, args.datetime_format) from None
    if args.sample:
        given = (
            ("--as-of", args.as_of),
            ("--calendar", args.calendar),
            ("--datetime-format", args.datetime_format),
            ("--file", args.file[0] if args.file else None),
            ("--constant", args.constant[0] if args.constant else None),
            ("--value", args.value[0] if args.value else None),
        )
        for flag, value in given:
            if value is not None:
                raise ParameterError(flag, command, "left out with --sample (it applies to --data)", value)
        return DataSource(_sample(), None, DEMO_BASIS.currency, flags or dict(SAMPLE_FX_RATES))
    try:
        settings = read_settings(args.data)
        calendar = settings.calendar
        if args.calendar is not None:
            calendar = _parse_calendar(args.calendar, calendar, command)
        as_of = None if args.as_of is None else _parse_as_of(args.as_of, calendar or Calendar(), command)
        instant = instant_converter(calendar or Calendar(), args.datetime_format or settings.datetime_format)
        files, constants, values = _loading_flags(args, settings, instant, command)
        loaded = load_folder(
            args.data,
            as_of=as_of,
            calendar=calendar,
            datetime_format=args.datetime_format,
            files=files,
            constants=constants,
            values=values,
        )
    except SourceError as error:
        raise SourceError(f"--data {shorten(args.data)}: {error}") from None
    rates = {**settings.fx_rates, **flags}
    return DataSource(
        loaded.data, loaded.report, settings.currency or DEMO_BASIS.currency, rates, dict(settings.targets)
    )


def _loading_flags(
    args: argparse.Namespace, settings: Settings, instant: Converter, command: str
) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``--file``, ``--constant`` and ``--value``, checked and merged over the settings file's.

    Raises:
        ParameterError: a flag not of its form, or naming no collection or field, or giving a
            value the field refuses; the message names the flag.
    """
    files = dict(settings.files)
    for text in args.file:
        pattern, equals, collection = text.rpartition("=")
        if not equals:
            raise ParameterError("--file", command, "NAME=COLLECTION, such as 'nps_*.csv=surveys'", text)
        _checked_flag("--file", command, text, check_files, {pattern: collection})
        files[pattern] = collection
    constants = {name: dict(given) for name, given in settings.constants.items()}
    for text in args.constant:
        key, equals, value = text.partition("=")
        collection, dot, field = key.partition(".")
        if not equals or not dot:
            raise ParameterError(
                "--constant", command, "COLLECTION.FIELD=VALUE, such as surveys.kind=nps", text
            )
        _checked_flag("--constant", command, text, check_constants, {collection: {field: value}}, instant)
        constants.setdefault(collection, {})[field] = value
    values = {key: dict(given) for key, given in settings.values.items()}
    for text in args.value:
        key, colon, rest = text.partition(":")
        found, equals, meant = rest.rpartition("=")
        if not colon or not equals:
            raise ParameterError(
                "--value",
                command,
                "COLLECTION.FIELD:TEXT=VALUE, such as 'surveys.kind:Relationship NPS=nps'",
                text,
            )
        _checked_flag("--value", command, text, check_values, {key: {found: meant}}, instant)
        values.setdefault(key, {})[found] = meant
    return files, constants, values


def _checked_flag(flag: str, command: str, text: str, check: Callable[..., object], *given: Any) -> None:
    try:
        check(*given)
    except SourceError as error:
        reason = str(error).rstrip(".")
        raise ParameterError(
            flag, command, f"{_FLAG_FORMS[flag]} that the load takes ({reason})", text
        ) from None


_FLAG_FORMS: Final = {
    "--file": "NAME=COLLECTION",
    "--constant": "COLLECTION.FIELD=VALUE",
    "--value": "COLLECTION.FIELD:TEXT=VALUE",
}


def data_from_args(args: argparse.Namespace, command: str = "advocacy-kpis") -> AdvocacyData:
    """The data set named by the options of `add_data_options` (see `data_source_from_args`)."""
    return data_source_from_args(args, command).data


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    if args.limit < 1:
        raise ParameterError("--limit", "advocacy-kpis validate", "a positive number of rows", args.limit)
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
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not sep or not value.is_finite() or value <= 0 or len(code.strip()) != 3 or not code.strip().isalpha():
        raise ParameterError("--fx", command, "CUR=RATE such as EUR=1.08", text)
    return code.strip().upper(), value


def _last_quarters(data: AdvocacyData, count: int) -> list[Window]:
    """The last ``count`` quarters that ended by ``as_of``, oldest first."""
    current = Window.quarter(data.as_of.year, (data.as_of.month - 1) // 3 + 1, data.calendar)
    latest = current if current.end <= data.as_of else current.previous()
    return [latest.shift(-k) for k in range(count - 1, -1, -1)]


def _scorecard_tables(card: Scorecard, out: TextIO) -> None:
    out.write("\n" + card.format(compact=True) + "\n")
    out.write(
        "Intervals, sample sizes and components of a cell: advocacy-kpis compute ID --sample --window ...\n"
    )


def _cmd_demo(out: TextIO) -> int:
    data = _sample()
    quarters = _last_quarters(data, 4)
    headline = [m for m in HEADLINE_METRICS if m in {s.id for s in catalog.all()}]
    card = scorecard(data, metrics=headline, windows=quarters, segments=Segment.by("tier"), basis=DEMO_BASIS)
    out.write(
        f"advocacy_kpis demo: the headline scorecard of {len(data.accounts)} synthetic accounts "
        f"(sample.generate()), as of {data.as_of.date()}; money on {DEMO_BASIS.name} with EUR at 1.08.\n"
    )
    _scorecard_tables(card, out)
    out.write(
        "\nThe whole catalogue: advocacy-kpis scorecard --sample --all --by tier\n"
        "One metric with its interval and components: advocacy-kpis compute net_promoter_score --sample "
        f"--window {quarters[-1].label}\n"
        "The monthly report, ready to send: advocacy-kpis report --sample --period "
        f"{quarters[-1].split('month')[-1].label} --format html --out report.html\n"
    )
    return 0


def _windows_arg(text: str | None, grain: str | None, data: AdvocacyData) -> list[Window]:
    """``--windows``: ``2025Q4..2026Q3`` (with ``--grain``), a comma-separated list, or the last four quarters."""
    if text is None:
        windows = _last_quarters(data, 4)
        return [p for w in windows for p in w.split(grain)] if grain else windows
    command = "advocacy-kpis scorecard"

    def parsed(part: str) -> Window:
        return _flag("--windows", command, lambda: Window.parse(part.strip(), data.calendar))

    if ".." in text:
        first_text, _, last_text = text.partition("..")
        first, last = parsed(first_text), parsed(last_text)
        if last.end <= first.start:
            raise ParameterError(
                "--windows", "advocacy-kpis scorecard", "FIRST..LAST with LAST after FIRST", text
            )
        chosen = grain or (first.grain.value if first.grain is not None else None)
        if chosen is None:
            raise ParameterError(
                "--grain",
                "advocacy-kpis scorecard",
                "month, quarter or year for a range of ad-hoc windows",
                None,
            )
        span = Window.between(first.start, last.end, data.calendar)
        return span.split(chosen)
    windows = [parsed(part) for part in text.split(",") if part.strip()]
    return [p for w in windows for p in w.split(grain)] if grain else windows


def _cmd_scorecard(args: argparse.Namespace, out: TextIO) -> int:
    command = "advocacy-kpis scorecard"
    if args.metrics is not None:
        ids: list[str] = [m.strip() for m in args.metrics.split(",") if m.strip()]
        if not ids:
            raise ParameterError(
                "--metrics", command, "one or more metric ids, separated by commas", args.metrics
            )
    source = _source(args, command)
    data = source.data
    windows = _windows_arg(args.windows, args.grain, data)
    if args.all:
        ids = [s.id for s in catalog.all()]
    elif args.metrics is None:
        ids = [m for m in HEADLINE_METRICS if m in {s.id for s in catalog.all()}]
    segments: list[Segment | SegmentsBy] = [Segment.all()]
    for by in args.by:
        segments.append(Segment.by(*[name.strip() for name in by.split(",") if name.strip()]))
    basis = _basis_for(args, source, command)
    params = _cli_params(args.param, [catalog.get(m) for m in ids], command, _SCORECARD_SCOPE)
    card = scorecard(data, metrics=ids, windows=windows, segments=segments, basis=basis, params=params)
    if args.format == "json":
        out.write(json.dumps(card.to_rows(), indent=2) + "\n")
    elif args.format == "csv":
        _write_csv(card.to_rows(), out)
    else:
        where = "the sample data" if args.sample else args.data
        out.write(f"Scorecard of {where}, as of {data.as_of.date()}; money on {basis.name}.\n")
        _scorecard_tables(card, out)
    return 0


def _by_groups(values: Sequence[str]) -> list[list[str]]:
    """``--by`` values: each is one attribute, or several joined by commas that cross (tier,region)."""
    return [[n.strip() for n in value.split(",") if n.strip()] for value in values]


def _cmd_breakdown(args: argparse.Namespace, out: TextIO) -> int:
    from advocacy_kpis.analyses import segment_breakdown

    source = _source(args, "advocacy-kpis breakdown")
    data = source.data
    spec = catalog.get(args.metric)
    basis = (
        _basis_for(args, source, "advocacy-kpis breakdown")
        if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY)
        else None
    )
    window = _flag("--window", "advocacy-kpis breakdown", lambda: Window.parse(args.window, data.calendar))
    parts = []
    for group in _by_groups(args.by):
        ranked = segment_breakdown(
            data, spec.id, window, by=group, cross=args.cross or len(group) > 1,
            min_sample=args.min_sample, basis=basis, correction=args.correction,
        )  # fmt: skip
        parts.append(ranked)
    if args.json:
        payload: Any = parts[0].to_dict() if len(parts) == 1 else [p.to_dict() for p in parts]
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write("\n\n".join(str(p) for p in parts) + "\n")
    return 0


def _cmd_product_change(args: argparse.Namespace, out: TextIO) -> int:
    from advocacy_kpis.analyses import product_change_impact

    data = _source(args, "advocacy-kpis product-change").data
    segments: list[Segment | SegmentsBy] = [Segment.all()]
    segments += [Segment.by(*group) for group in _by_groups(args.by)]
    comparison: str | Segment = "year_earlier"
    if args.unreached:
        try:
            comparison = Segment.parse(args.unreached)
        except ParameterError:
            raise ParameterError(
                "--unreached",
                "advocacy-kpis product-change",
                "criteria such as tier=enterprise",
                args.unreached,
            ) from None
    impact = product_change_impact(
        data, args.change, metric=args.metric or ["customer_advocacy_rate"], days=args.days,
        segments=segments, comparison=comparison, correction=args.correction,
    )  # fmt: skip
    out.write((json.dumps(impact.to_dict(), indent=2) if args.json else str(impact)) + "\n")
    return 0


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from advocacy_kpis.report import report

    command = "advocacy-kpis report"
    source = _source(args, command)
    data = source.data
    grain = "quarter" if args.deep_dive else "month"
    expected = "a quarter such as 2026Q3 (with --deep-dive)" if args.deep_dive else (
        "a month such as 2026-09 (or a quarter such as 2026Q3 with --deep-dive)"
    )  # fmt: skip
    period = None
    if args.period is not None:
        try:
            period = Window.parse(args.period, data.calendar)
        except ParameterError:
            raise ParameterError("--period", command, expected, args.period) from None
        if period.grain is None or period.grain.value != grain:
            raise ParameterError("--period", command, expected, args.period)
        if period.start >= data.as_of:
            raise ParameterError(
                "--period", command, f"a period that starts before {data.as_of.date()}", args.period
            )
    segments: list[Segment | SegmentsBy] = [Segment.by(*group) for group in _by_groups(args.by or ["tier"])]
    built = report(
        data,
        period=period,
        deep_dive=args.deep_dive,
        segments=segments,
        basis=_basis_for(args, source, command),
        targets=source.targets,
        correction=args.correction,
    )
    if args.format == "html":
        text = built.to_html()
    elif args.format == "json":
        text = built.to_json() + "\n"
    else:
        text = built.to_markdown()
    if args.out is None:
        out.write(text)
        return 0
    try:
        with open(args.out, "w", encoding="utf-8") as target:
            target.write(text)
    except OSError as error:
        raise ParameterError(
            "--out", command, f"a file that can be written ({error.strerror})", args.out
        ) from None
    out.write(f"{built.title}: {args.format} written to {args.out}\n")
    return 0


def _source(args: argparse.Namespace, command: str) -> DataSource:
    """The data source of a command, warning on standard error when rows of ``--data`` were refused."""
    source = data_source_from_args(args, command)
    if source.report is not None and not source.report.ok:
        _say(
            sys.stderr,
            f"advocacy-kpis: warning: {source.report.rows_rejected} of {source.report.rows_read} rows were "
            f"refused and are not counted; advocacy-kpis validate --data {args.data} lists them",
        )
    return source


def _basis_for(args: argparse.Namespace, source: DataSource, command: str) -> RevenueBasis:
    """``--basis`` (default ARR in the source's currency) with the source's FX rates."""
    basis = (
        _flag("--basis", command, lambda: RevenueBasis.parse(args.basis))
        if args.basis
        else RevenueBasis(DEMO_BASIS.kind, source.currency)
    )
    rates = {code: rate for code, rate in source.fx_rates.items() if code != basis.currency}
    return RevenueBasis(basis.kind, basis.currency, rates)


def _write_csv(rows: list[dict[str, Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    # A cell holds one value: nested objects (a scorecard row's whole result) stay in the JSON output.
    columns = [name for name, value in rows[0].items() if not isinstance(value, Mapping)] if rows else []
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in columns])


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cmd_over_asking(args: argparse.Namespace, out: TextIO) -> int:
    from advocacy_kpis.analyses.over_asking import eligible_to_ask, over_asked
    from advocacy_kpis.records import Asset

    where = "advocacy-kpis over-asking"
    data = _source(args, where).data
    try:
        window = Window.parse(args.window, data.calendar)
    except ParameterError:
        raise ParameterError(
            "--window", where, "a window such as 2026Q3, 2026-07 or 2026", args.window
        ) from None
    try:
        segment = Segment.parse(args.segment) if args.segment else None
    except ParameterError:
        raise ParameterError("--segment", where, "criteria such as tier=enterprise", args.segment) from None
    asset = None
    if args.asset is not None:
        try:
            asset = Asset(args.asset.strip().lower())
        except ValueError:
            names = ", ".join(a.value for a in Asset)
            raise ParameterError("--asset", where, f"one of {names}", args.asset) from None
    found = over_asked(data, window, segment=segment)
    shown = found if asset is None else found.only(asset)
    at = min(window.end, data.as_of)
    eligible = None if asset is None else eligible_to_ask(data, at, asset, segment=segment)
    if args.json:
        payload: dict[str, Any] = {"over_asking": shown.to_dict()}
        if eligible is not None:
            payload["eligible"] = eligible.to_dict()
        out.write(json.dumps(payload, indent=2) + "\n")
        return 0
    out.write(f"{shown}\n")
    if eligible is not None:
        out.write(f"\n{eligible}\n")
    return 0


class _UsageError(Exception):
    """A command line argparse cannot read; the message says what it expected."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake reported as the one line every other mistake is (not usage and a line)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="advocacy-kpis", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("catalog", help="list every metric")
    explain = commands.add_parser("explain", help="explain one metric")
    explain.add_argument("metric", help="metric id or short name, e.g. net_promoter_score or nps")
    run = commands.add_parser("compute", help="compute one metric")
    run.add_argument("metric", help="metric id or short name, e.g. net_promoter_score or nps")
    add_data_options(run)
    run.add_argument(
        "--window", required=True, help="2026Q3, 2026-07, 2026, FY2027Q1 or 2026-01-01/2026-03-15"
    )
    run.add_argument("--segment", help="criteria such as tier=enterprise,region=EMEA|NA")
    run.add_argument("--basis", help="revenue basis such as arr:USD (money metrics default to arr:USD)")
    run.add_argument("--param", action="append", default=[], help="metric parameter, e.g. horizon_days=60")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    card = commands.add_parser("scorecard", help="many metrics over windows and segments")
    add_data_options(card)
    card.add_argument(
        "--windows",
        help="2025Q4..2026Q3 (a range, split by --grain), or 2026Q1,2026Q2; default: last four quarters",
    )
    card.add_argument(
        "--grain",
        choices=["month", "quarter", "year"],
        help="split the windows into months, quarters or years",
    )
    card.add_argument(
        "--by",
        action="append",
        default=[],
        help="segment by an attribute, e.g. tier (repeatable; tier,region crosses)",
    )
    picked = card.add_mutually_exclusive_group()
    picked.add_argument("--metrics", help="comma-separated metric ids (default: the headline metrics)")
    picked.add_argument("--all", action="store_true", help="every metric of the catalogue")
    card.add_argument("--basis", help="revenue basis such as arr:USD (default arr:USD)")
    card.add_argument("--param", action="append", default=[], help="metric parameter, e.g. horizon_days=60")
    card.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format")
    ranked = commands.add_parser("breakdown", help="a metric's segments ranked, marking reliable differences")
    ranked.add_argument("metric", help="metric id, e.g. net_promoter_score")
    add_data_options(ranked)
    ranked.add_argument("--window", required=True, help="2026Q3, 2026-07, 2026, ...")
    ranked.add_argument(
        "--by",
        action="append",
        required=True,
        help="attribute to rank the values of (repeatable; tier,region crosses, as in report)",
    )
    ranked.add_argument("--cross", action="store_true", help="rank combinations of all the --by attributes")
    ranked.add_argument(
        "--min-sample", type=int, default=30, help="smallest sample a segment needs to be ranked"
    )
    ranked.add_argument("--basis", help="revenue basis such as arr:USD, for money metrics")
    ranked.add_argument(
        "--correction",
        choices=["holm", "benjamini-hochberg"],
        default="holm",
        help="multiple-testing correction across the segments (default holm)",
    )
    ranked.add_argument("--json", action="store_true", help="print the breakdown as JSON")
    impact = commands.add_parser("product-change", help="a metric before and after a product change")
    add_data_options(impact)
    impact.add_argument("--change", help="product change id (default: the latest released)")
    impact.add_argument(
        "--metric",
        action="append",
        default=[],
        help="a rate or score metric id (repeatable; default customer_advocacy_rate)",
    )
    impact.add_argument(
        "--days", type=int, default=90, help="length of the windows before and after, in days"
    )
    impact.add_argument(
        "--by",
        action="append",
        default=[],
        help="segment by an attribute (repeatable; tier,region crosses)",
    )
    impact.add_argument(
        "--unreached",
        help="compare with the accounts the change did not reach, e.g. tier=enterprise|mid "
        "(default: the same span a year earlier)",
    )
    impact.add_argument(
        "--correction",
        choices=["holm", "benjamini-hochberg"],
        default="holm",
        help="multiple-testing correction across metrics and segments (default holm)",
    )
    impact.add_argument("--json", action="store_true", help="print the comparison as JSON")
    asking = commands.add_parser("over-asking", help="asks that broke the tap policy, and who may be asked")
    add_data_options(asking)
    asking.add_argument("--window", required=True, help="2026Q3, 2026-07, 2026 or 2026-01-01/2026-03-15")
    asking.add_argument("--segment", help="criteria such as tier=enterprise")
    asking.add_argument(
        "--asset", help="one asset (e.g. reference): its over-tapped asks and who may be asked"
    )
    asking.add_argument("--json", action="store_true", help="print the analysis as JSON")
    check = commands.add_parser("validate", help="load a folder and print the load report")
    add_data_options(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--limit", type=int, default=50, help="list at most this many refused rows (default 50)"
    )
    written = commands.add_parser("report", help="the standard advocacy report of a month or a quarter")
    add_data_options(written)
    written.add_argument(
        "--period",
        help="the month, e.g. 2026-09 (a quarter such as 2026Q3 with --deep-dive); default: the last one",
    )
    written.add_argument(
        "--deep-dive", action="store_true", help="the quarterly deep dive instead of the monthly review"
    )
    written.add_argument(
        "--by",
        action="append",
        default=[],
        help="segment by an attribute (default tier; repeatable; tier,region crosses)",
    )
    written.add_argument("--basis", help="revenue basis such as arr:USD (default arr:USD)")
    written.add_argument(
        "--correction",
        choices=["holm", "benjamini-hochberg"],
        default="holm",
        help="multiple-testing correction across every test of the report (default holm)",
    )
    written.add_argument("--format", choices=["md", "html", "json"], default="md", help="output format")
    written.add_argument("--out", help="write the report to this file (default: print it)")
    commands.add_parser("demo", help="the headline scorecard of the sample data, last four quarters, by tier")
    return parser


_SHOWN_AS_IS = frozenset("\n\t")


def terminal_text(text: str) -> str:
    r"""``text`` with every character a terminal would act on instead of show written as an escape.

    An ESC in a column name could clear the screen and print a line of its own, a carriage
    return or a right-to-left override could make a printed line say something else; they are
    shown as ``\x1b``, ``\r`` and ``\u202e``. Line breaks and tabs of the output itself stay.

    Examples:
        >>> print(terminal_text("tier\x1b[2J\u202e: ok"))
        tier\x1b[2J\u202e: ok
    """
    if text.isprintable() or all(c.isprintable() or c in _SHOWN_AS_IS for c in text):
        return text
    return "".join(c if c.isprintable() or c in _SHOWN_AS_IS else repr(c)[1:-1] for c in text)


class _Terminal(io.TextIOBase):
    """A text stream that writes through `terminal_text`, and with backslash escapes where the
    stream's encoding (``PYTHONIOENCODING=ascii``, a Windows console) cannot hold a character."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        safe = terminal_text(text)
        try:
            self._stream.write(safe)
        except UnicodeEncodeError:
            encoding = getattr(self._stream, "encoding", None) or "ascii"
            self._stream.write(safe.encode(encoding, "backslashreplace").decode(encoding, "replace"))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def _say(stream: TextIO, line: str) -> None:
    """Write one line of a message to ``stream`` (standard error), escaped as output is."""
    cast(TextIO, _Terminal(stream)).write(" ".join(line.split()) + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, 2 on a usage error)."""
    stream = cast(TextIO, _Terminal(out if out is not None else sys.stdout))
    try:
        args = _parser().parse_args(argv)
    except _UsageError as error:
        _say(sys.stderr, f"advocacy-kpis: error: {error}")
        return 2
    except SystemExit as stop:
        # argparse has printed the help; return its status instead of exiting.
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.command == "catalog":
            return _cmd_catalog(stream)
        if args.command == "explain":
            stream.write(explain_text(catalog.get(args.metric)))
            return 0
        if args.command == "compute":
            return _cmd_compute(args, stream)
        if args.command == "scorecard":
            return _cmd_scorecard(args, stream)
        if args.command == "breakdown":
            return _cmd_breakdown(args, stream)
        if args.command == "product-change":
            return _cmd_product_change(args, stream)
        if args.command == "over-asking":
            return _cmd_over_asking(args, stream)
        if args.command == "validate":
            return _cmd_validate(args, stream)
        if args.command == "report":
            return _cmd_report(args, stream)
        return _cmd_demo(stream)
    except AdvocacyKpisError as error:
        # One line, whatever the input held.
        _say(sys.stderr, f"advocacy-kpis: error: {error}")
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; that is not an error of ours.
        sys.stderr.close()
        return 0
    except OSError as error:
        _say(sys.stderr, f"advocacy-kpis: error: {error}")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
