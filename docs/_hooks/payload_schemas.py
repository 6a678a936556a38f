"""MkDocs hook: the JSON Schemas of results and scorecard rows, written from the code at build time.

The page ``services.md`` holds one marker line per schema, ``<!-- json-schema: result -->`` and
``<!-- json-schema: scorecard-rows -->``; at every build the hook replaces each with the schema
as a JSON block at the marker's indentation (so it can sit in a collapsible block), and adds the
same schema to the site as a file of its own (``schemas/result-v1.json``, the number being
`SCHEMA_VERSION`). Nothing generated is checked in, so the published schema is always the one
`MetricResult.from_dict` and `Scorecard.from_rows` read by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from advocacy_kpis import Change, MetricResult, Scorecard
from advocacy_kpis.payload import SCHEMA_VERSION

PAGE = "services.md"
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "result": MetricResult.json_schema,
    "scorecard-rows": Scorecard.rows_json_schema,
    "change": Change.json_schema,
}


def marker(name: str) -> str:
    """The line of `PAGE` that the schema ``name`` replaces."""
    return f"<!-- json-schema: {name} -->"


def file_name(name: str) -> str:
    """Where in the site the schema ``name`` is published as a file of its own."""
    return f"schemas/{name}-v{SCHEMA_VERSION}.json"


def text(name: str) -> str:
    """The schema ``name`` as indented JSON text."""
    return json.dumps(SCHEMAS[name](), indent=2) + "\n"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add each schema to the site as a JSON file."""
    for name in SCHEMAS:
        existing = files.get_file_from_path(file_name(name))
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, file_name(name), content=text(name)))
    return files


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Put each schema in place of its marker on the services page."""
    if page.file.src_uri != PAGE:
        return markdown
    for name in SCHEMAS:
        markdown = placed(markdown, name)
    return markdown


def placed(markdown: str, name: str) -> str:
    """``markdown`` with the schema ``name`` as a JSON block in place of its marker, at its indentation."""
    line = re.compile(rf"^( *){re.escape(marker(name))}$", re.M)
    if not line.search(markdown):
        raise ValueError(f"{PAGE} lost its {marker(name)} line: the {name} schema has nowhere to go")
    block = f"```json\n{text(name)}```"

    def indented(found: re.Match[str]) -> str:
        return "\n".join(found[1] + row if row else row for row in block.splitlines())

    return line.sub(indented, markdown)
