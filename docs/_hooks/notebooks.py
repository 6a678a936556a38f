"""MkDocs hook: the example notebooks of ``docs/notebooks/``, executed at build time, as pages.

A notebook is a Python file in the percent format: ``# %%`` starts a code cell and
``# %% [markdown]`` a Markdown cell whose lines are comments. At every build the hook runs the code
cells in order in one namespace, as a kernel would, and makes a page ``notebooks/<name>.md`` that
shows each cell followed by its output: what it printed, then the value of its last line if that is
an expression, shown as a notebook shows it (``_repr_html_`` where the value has one, a matplotlib
figure as inline SVG, else its ``repr``). A cell that raises stops the build, naming the notebook and
the cell. The source file is copied into the site beside the page; its outputs are never checked in.
"""

from __future__ import annotations

import ast
import contextlib
import html
import io
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

FOLDER = "notebooks"
_CELL = re.compile(r"^# %%(?P<kind>.*)$")
_PLACEHOLDER = "<!-- notebook-output {} -->"
_PLACEHOLDER_FOUND = re.compile(r"<!-- notebook-output (\d+) -->")

# The outputs of each generated page, by the page's path and the output's number.
_outputs: dict[str, list[str]] = {}


class NotebookError(RuntimeError):
    """A cell of an example notebook that could not run."""


def cells(source: str) -> list[tuple[str, str]]:
    """The cells of a percent-format notebook: ``("markdown" | "code", text)``, in order.

    Examples:
        >>> cells("# %% [markdown]\\n# # Title\\n#\\n# Text.\\n\\n# %%\\nx = 1\\nx\\n")
        [('markdown', '# Title\\n\\nText.'), ('code', 'x = 1\\nx')]
    """
    found: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        marker = _CELL.match(line)
        if marker is not None:
            found.append(("markdown" if "[markdown]" in marker["kind"] else "code", []))
        elif found:
            kind, lines = found[-1]
            lines.append(re.sub(r"^# ?", "", line) if kind == "markdown" else line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in found if "\n".join(lines).strip()]


def shown(value: Any) -> str:
    """The HTML a notebook shows for a cell's value.

    Examples:
        >>> shown(["promoter", 2])
        '<pre class="notebook-output"><code>[&#x27;promoter&#x27;, 2]</code></pre>'
    """
    # A matplotlib figure has a _repr_html_ too, which gives None outside its interactive backends.
    if type(value).__module__.startswith("matplotlib.") and hasattr(value, "savefig"):
        svg = io.StringIO()
        value.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
        drawing = svg.getvalue()
        return f'<div class="notebook-output">{drawing[drawing.index("<svg") :]}</div>'
    rich = getattr(value, "_repr_html_", None)
    shown_html = rich() if callable(rich) else None
    if shown_html is not None:
        return f'<div class="notebook-output">{shown_html}</div>'
    return f'<pre class="notebook-output"><code>{html.escape(repr(value))}</code></pre>'


def run(code: str, namespace: dict[str, Any], where: str) -> str:
    """Run one code cell in ``namespace``; the HTML of what it printed and of its last value.

    Examples:
        >>> run("print('hi')\\n1 + 1", {}, "cell 1")
        '<pre class="notebook-output"><code>hi\\n</code></pre><pre class="notebook-output"><code>2</code></pre>'
    """
    body = ast.parse(code).body
    last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(ast.Module(body, []), where, "exec"), namespace)
            value = eval(compile(ast.Expression(last.value), where, "eval"), namespace) if last else None
    except Exception as error:
        raise NotebookError(f"{where} raised {error!r}") from error
    out = f'<pre class="notebook-output"><code>{html.escape(printed.getvalue())}</code></pre>'
    return (out if printed.getvalue() else "") + ("" if value is None else shown(value))


def page(source: str, name: str) -> tuple[str, list[str]]:
    """The Markdown page of a notebook, with a placeholder for each output, and the outputs' HTML."""
    import matplotlib

    # Figures are drawn to files, never to a window.
    matplotlib.use("Agg")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    parts: list[str] = []
    outputs: list[str] = []
    for number, (kind, text) in enumerate(cells(source), start=1):
        if kind == "markdown":
            parts.append(text)
            continue
        parts.append(f"```python\n{text}\n```")
        output = run(text, namespace, f"{name}, cell {number}")
        if output:
            parts.append(_PLACEHOLDER.format(len(outputs)))
            outputs.append(output)
    return "\n\n".join(parts) + "\n", outputs


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Run every notebook and add its page."""
    _outputs.clear()
    for path in sorted((Path(config.docs_dir) / FOLDER).glob("*.py")):
        uri = f"{FOLDER}/{path.stem}.md"
        markdown, _outputs[uri] = page(path.read_text(), f"{FOLDER}/{path.name}")
        files.append(File.generated(config, uri, content=markdown))
    return files


def on_page_content(page_html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Put each output of a notebook's page in place of its placeholder."""
    outputs = _outputs.get(page.file.src_uri)
    if outputs is None:
        return page_html
    return _PLACEHOLDER_FOUND.sub(lambda found: outputs[int(found[1])], page_html)
