"""MkDocs hook: one documentation page per metric, generated from the catalogue at build time.

The pages are never written by hand, so they cannot drift from `advocacy_kpis.catalog`: adding a
metric to the catalogue adds its page and its place in the navigation.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from advocacy_kpis import catalog
from advocacy_kpis.catalog import MetricSpec

_INDEX = "metrics/index.md"


def _page_path(spec: MetricSpec) -> str:
    return f"metrics/{spec.id}.md"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Insert the generated Metrics section after Concepts in the navigation."""
    section: list[Any] = [{"Overview": _INDEX}]
    for family, specs in catalog.by_family().items():
        section.append({family.title: [{spec.name: _page_path(spec)} for spec in specs]})
    nav = list(config.nav or [])
    position = next((i + 1 for i, item in enumerate(nav) if "Concepts" in item), len(nav))
    nav.insert(position, {"Metrics": section})
    config.nav = nav
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the overview and one page per registered metric."""
    files.append(File.generated(config, _INDEX, content=overview()))
    for spec in catalog.all():
        files.append(File.generated(config, _page_path(spec), content=metric_page(spec)))
    return files


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def overview() -> str:
    """The metrics index: every metric by family."""
    lines = [
        "# Metrics",
        "",
        "Every metric of the catalogue, generated from `advocacy_kpis.catalog`. Each page gives the",
        "definition, the formula, the population and window rules, when the value is undefined,",
        "the common mistakes and the library's guard against each, and the function's reference.",
        "",
    ]
    for family, specs in catalog.by_family().items():
        lines += [f"## {family.title}", "", "| # | Metric | Unit | Direction |", "|---|---|---|---|"]
        for spec in specs:
            direction = spec.direction.value.replace("_", " ")
            lines.append(
                f"| {spec.number} | [{spec.name}]({spec.id}.md) (`{spec.id}`) | {spec.unit.value} | {direction} |"
            )
        lines.append("")
    return "\n".join(lines)


def _related(spec: MetricSpec) -> str:
    registered = {s.id for s in catalog.all()}
    links = [f"[`{other}`]({other}.md)" if other in registered else f"`{other}`" for other in spec.related]
    return ", ".join(links)


def metric_page(spec: MetricSpec) -> str:
    """The Markdown page of one metric."""
    function = catalog.function(spec.id)
    module = function.__module__
    basis_note = {
        "none": "no",
        "optional": "optional (revenue-weighted)",
        "required": "required",
        "currency": "required (currency only)",
    }[spec.basis.value]
    lines = [
        f"# {spec.name}",
        "",
        f"`{spec.id}` · catalogue #{spec.number} · {spec.family.title}",
        "",
        "| Unit | Direction | Kind | Signal | Segment | Revenue basis | Version | Source |",
        "|---|---|---|---|---|---|---|---|",
        f"| {spec.unit.value} | {spec.direction.value.replace('_', ' ')} | {spec.kind.value} "
        f"| {spec.signal.value} | {spec.segment.value.replace('_', ' ')} | {basis_note} "
        f"| {spec.version} | seed {_cell(spec.seed)} |",
        "",
        "## Definition",
        "",
        spec.definition,
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
        f"**Population.** {spec.population}",
        "",
        f"**Window.** {spec.window_semantics}",
        "",
        f"**Undefined when.** {spec.undefined_when}",
        "",
    ]
    if spec.interpretation:
        lines += ['!!! note "Interpretation"', "", f"    {spec.interpretation}", ""]
    if spec.parameters:
        lines += ["## Parameters", "", "| Name | Default | Meaning |", "|---|---|---|"]
        lines += [f"| `{p.name}` | `{p.default!r}` | {_cell(p.description)} |" for p in spec.parameters]
        lines.append("")
    if spec.thresholds:
        lines += ["## Thresholds", ""]
        lines += [f"- {t.breached_when} **{t.value:g}**: {t.meaning}" for t in spec.thresholds]
        lines.append("")
    lines += ["## Common mistakes", "", "| Mistake | How the library guards against it |", "|---|---|"]
    lines += [f"| {_cell(p.mistake)} | {_cell(p.guard)} |" for p in spec.pitfalls]
    lines.append("")
    if spec.related:
        lines += ["## Related metrics", "", _related(spec), ""]
    needs_basis = spec.basis.value in ("required", "currency")
    call = f"metrics.{spec.id}(data, window=Window.quarter(2026, 3)"
    call += ", basis=RevenueBasis.arr('USD', fx_rates=sample.SAMPLE_FX_RATES))" if needs_basis else ")"
    imports = "RevenueBasis, Window, metrics, sample" if needs_basis else "Window, metrics, sample"
    lines += [
        "## Usage",
        "",
        "```python",
        f"from advocacy_kpis import {imports}",
        "",
        "data = sample.generate()",
        f"result = {call}",
        "print(result.value, result.warnings)",
        "```",
        "",
        "## Reference",
        "",
        f"::: {module}.{spec.id}",
        "    options:",
        "      show_root_heading: false",
        "      heading_level: 3",
        "",
    ]
    return "\n".join(lines)
