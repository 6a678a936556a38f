"""MkDocs hook: the Report page's example, rendered from the code at build time.

The page ``report.md`` holds a marker line, ``<!-- report-example -->``; at every build the hook
replaces it with the Markdown of the sample data's monthly report for September 2026 (its
headings moved down two levels, to sit under the page's own), and adds the same report as a
self-contained HTML file, ``report-example.html``. Nothing generated is checked in, so the
example always shows what the code writes.
"""

from __future__ import annotations

import functools
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from advocacy_kpis import sample
from advocacy_kpis.cli import DEMO_BASIS
from advocacy_kpis.report import Report, report

PAGE = "report.md"
MARKER = "<!-- report-example -->"
HTML_EXAMPLE = "report-example.html"
PERIOD = "2026-09"


@functools.cache
def example() -> Report:
    """The sample data's monthly report for `PERIOD`, as ``advocacy-kpis report --sample`` writes it."""
    return report(sample.generate(), period=PERIOD, basis=DEMO_BASIS)


def demoted(markdown: str, levels: int = 2) -> str:
    """Markdown with every heading moved ``levels`` levels down (``#`` becomes ``###``)."""
    return "\n".join("#" * levels + line if line.startswith("#") else line for line in markdown.splitlines())


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the HTML example to the site."""
    existing = files.get_file_from_path(HTML_EXAMPLE)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, HTML_EXAMPLE, content=example().to_html()))
    return files


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Put the rendered example in place of the marker on the Report page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"{PAGE} lost its {MARKER} line: the rendered example has nowhere to go")
    return markdown.replace(MARKER, demoted(example().to_markdown()))
