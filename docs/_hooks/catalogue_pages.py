"""MkDocs hook: the metric pages, generated from the catalogue at build time.

Nothing here names a metric. At every build the hook reads `advocacy_kpis.catalog` and adds

- ``metrics/index.md``: every registered metric, grouped by family;
- ``metrics/<id>.md``: one page per metric, built from its `MetricSpec`, with the function's
  reference rendered by mkdocstrings on the page itself;
- ``api/metrics.md``: the reference of every module that defines a metric;

and puts the Metrics section in the navigation after Concepts (or where ``mkdocs.yml`` has a
``Metrics`` placeholder). Registering a new metric, or a new family module, adds its pages and
its place in the navigation with no change to this file or to ``mkdocs.yml``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from advocacy_kpis import catalog
from advocacy_kpis.catalog import BasisUse, MetricSpec

METRICS_INDEX = "metrics/index.md"
METRICS_API = "api/metrics.md"
SECTION = "Metrics"

_BASIS_USE = {
    BasisUse.NONE: "none",
    BasisUse.OPTIONAL: "optional (weights the rate by revenue)",
    BasisUse.REQUIRED: "required",
    BasisUse.CURRENCY: "required (for its currency)",
}

# Prose fields are plain text: keep Markdown, HTML and math from reading anything into them.
_PROSE_ESCAPES = [(re.compile(r"([*$])"), r"\\\1"), (re.compile(r"<(?=[A-Za-z/!?])"), "&lt;")]


def page_path(spec: MetricSpec) -> str:
    """The docs path of a metric's page."""
    return f"metrics/{spec.id}.md"


def prose(text: str) -> str:
    """Spec text made safe to place in a Markdown paragraph."""
    for pattern, replacement in _PROSE_ESCAPES:
        text = pattern.sub(replacement, text)
    return text


def cell(text: str) -> str:
    """Spec text made safe to place in a Markdown table cell."""
    return prose(text).replace("|", "\\|").replace("\n", " ")


def _words(value: str) -> str:
    return value.replace("_", " ")


def facts(spec: MetricSpec) -> str:
    """The HTML table of a metric's facts: id, number and family, unit, direction, kinds, version, seed."""
    rows = {
        "Id": f"<code>{spec.id}</code> · metric {spec.number} · {html.escape(spec.family.title)}",
        "Unit": spec.unit.value,
        "Direction": _words(spec.direction.value),
        "Kind": spec.kind.value,
        "Signal": spec.signal.value,
        "Segment": _words(spec.segment.value),
        "Revenue basis": _BASIS_USE[spec.basis],
        "Definition version": str(spec.version),
        "Seed": html.escape(spec.seed),
    }
    body = "".join(f'<tr><th scope="row">{name}</th><td>{value}</td></tr>' for name, value in rows.items())
    return f"<table><tbody>{body}</tbody></table>"


# --- navigation -------------------------------------------------------------------------------


def metrics_nav() -> list[Any]:
    """The Metrics section: the overview, then one subsection per family."""
    section: list[Any] = [{"Overview": METRICS_INDEX}]
    for family, specs in catalog.by_family().items():
        section.append({family.title: [{spec.name: page_path(spec)} for spec in specs]})
    return section


def _title(item: Any) -> str | None:
    return next(iter(item)) if isinstance(item, dict) and len(item) == 1 else None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Put the generated Metrics section in the navigation.

    A ``Metrics`` entry already in ``nav`` (a placeholder, or the section from an earlier run
    on the same config) is replaced in place; otherwise the section goes after Concepts, or
    at the end.
    """
    nav = list(config.nav or [])
    entry = {SECTION: metrics_nav()}
    titles = [_title(item) for item in nav]
    if SECTION in titles:
        nav[titles.index(SECTION)] = entry
    elif "Concepts" in titles:
        nav.insert(titles.index("Concepts") + 1, entry)
    else:
        nav.append(entry)
    config.nav = nav
    return config


# --- pages ------------------------------------------------------------------------------------


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages to the site's files."""
    generated = {
        METRICS_INDEX: overview(),
        METRICS_API: metrics_api(),
        **{page_path(spec): metric_page(spec) for spec in catalog.all()},
    }
    for path, content in generated.items():
        existing = files.get_file_from_path(path)
        if existing is not None:
            # A hand-written file at a generated path would silently drift: the catalogue wins.
            files.remove(existing)
        files.append(File.generated(config, path, content=content))
    return files


def overview() -> str:
    """The Markdown of the metrics overview: every metric, grouped by family."""
    specs = catalog.all()
    lines = [
        "# Metrics",
        "",
        f"The library defines {len(specs)} metrics. This page and every page below it are generated",
        "from `advocacy_kpis.catalog` when the site is built, so they always match the code. A",
        "metric's page gives its definition and formula, which records it counts and how the window",
        "selects them, when it is undefined, its parameters, the library's interpretation where the",
        "sources leave room for one, the usual mistakes with the guard against each, and the",
        "function's reference.",
        "",
    ]
    for family, members in catalog.by_family().items():
        lines += [
            f"## {family.title}",
            "",
            "| # | Metric | Unit | Direction | Family |",
            "|--:|---|---|---|---|",
        ]
        lines += [
            f"| {spec.number} | [{cell(spec.name)}]({spec.id}.md) `{spec.id}` | {spec.unit.value} "
            f"| {_words(spec.direction.value)} | {cell(family.title)} |"
            for spec in members
        ]
        lines.append("")
    return "\n".join(lines)


def metrics_api() -> str:
    """The Markdown of the metric functions' reference: each module that defines a metric."""
    modules = _unique(catalog.function(spec.id).__module__ for spec in catalog.all())
    lines = [
        "# Metric functions",
        "",
        "The modules that define the metrics, one per family, with their helpers. Each metric",
        "also has its own page under [Metrics](../metrics/index.md).",
        "",
    ]
    for module in modules:
        lines += [f"::: {module}", ""]
    return "\n".join(lines)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _related(spec: MetricSpec) -> str:
    registered = {other.id: other for other in catalog.all()}
    items = []
    for other_id in spec.related:
        other = registered.get(other_id)
        if other is None:
            items.append(f"- `{other_id}` (not in the library yet)")
        else:
            items.append(f"- [{prose(other.name)}]({other_id}.md) `{other_id}`")
    return "\n".join(items)


def _usage(spec: MetricSpec) -> list[str]:
    needs_basis = spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY)
    names = "RevenueBasis, Window, metrics, sample" if needs_basis else "Window, metrics, sample"
    arguments = "data, window=Window.quarter(2026, 3)"
    lines = ["```python", f"from advocacy_kpis import {names}", "", "data = sample.generate()"]
    if needs_basis:
        lines.append('basis = RevenueBasis.arr("USD", fx_rates=sample.SAMPLE_FX_RATES)')
        arguments += ", basis=basis"
    lines += [
        f"result = metrics.{spec.id}({arguments})",
        "result.value, result.interval, result.warnings",
        "```",
    ]
    return lines


def metric_page(spec: MetricSpec) -> str:
    """The Markdown page of one metric."""
    module = catalog.function(spec.id).__module__
    # The definition comes first, so it is what search shows of the page; the facts follow as
    # one row each, which fits the column however narrow.
    lines = [
        f"# {prose(spec.name)}",
        "",
        prose(spec.definition),
        "",
        facts(spec),
        "",
        "## Formula",
        "",
        f"`{spec.formula}`",
        "",
        "\\[",
        spec.formula_latex,
        "\\]",
        "",
        "## Population and window",
        "",
        f"**Population.** {prose(spec.population)}",
        "",
        f"**Window.** {prose(spec.window_semantics)}",
        "",
        f"**Undefined when.** {prose(spec.undefined_when)}",
        "",
    ]
    if spec.interpretation:
        body = [f"    {line}" if line.strip() else "" for line in prose(spec.interpretation).splitlines()]
        lines += ['!!! info "Interpretation"', "", *body, ""]
    if spec.parameters:
        lines += ["## Parameters", "", "| Name | Default | Meaning |", "|---|---|---|"]
        lines += [f"| `{p.name}` | `{p.shown}` | {cell(p.description)} |" for p in spec.parameters]
        lines.append("")
    if spec.thresholds:
        lines += ["## Thresholds", ""]
        lines += [
            f"- Flagged when {t.breached_when} **{t.value:g}**: {prose(t.meaning)}" for t in spec.thresholds
        ]
        lines.append("")
    lines += ["## Common mistakes", "", "| Mistake | How the library guards against it |", "|---|---|"]
    lines += [f"| {cell(p.mistake)} | {cell(p.guard)} |" for p in spec.pitfalls]
    lines.append("")
    if spec.related:
        lines += ["## Related metrics", "", _related(spec), ""]
    lines += ["## Usage", "", *_usage(spec), ""]
    lines += [
        "## Reference",
        "",
        f"::: {module}.{spec.id}",
        "    options:",
        "      show_root_heading: false",
        "      heading_level: 3",
        "",
    ]
    return "\n".join(lines)
