r"""Griffe extension: the reStructuredText math of the library's docstrings, as the site's formulas.

The docstrings are Google style, but their formulas use reStructuredText's ``.. math::``
directive and ``:math:`...``` role, which Markdown would print as literal text. Before
mkdocstrings renders a docstring, this extension rewrites

- a ``.. math::`` directive, with its formula on the same line or indented on the lines below,
  into a display block ``\[ ... \]``;
- a ``:math:`x``` role into inline ``\( x \)``;

which ``pymdownx.arithmatex`` (``generic: true``) marks up and the ``mathml.py`` hook renders
to MathML, as it does the formulas of the pages. The source files keep their reStructuredText
form (it is what ``help()`` and IDEs show); only the rendered site changes.
``mkdocs.yml`` loads this file through the ``extensions`` option of the mkdocstrings Python handler.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<formula>.*)$")
_ROLE = re.compile(r":math:`(?P<formula>[^`]+)`")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _directive_body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The formula lines of a directive's body from ``start``, and the index just past it.

    The body is the following lines indented deeper than the directive, up to the first blank
    line after some formula text.
    """
    formula: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if formula:
                break
        elif _indent_of(line) > indent:
            formula.append(line.strip())
        else:
            break
        i += 1
    return formula, i


def rewrite_math(text: str) -> str:
    r"""Rewrite the reStructuredText math of one docstring as Markdown math for arithmatex.

    Examples:
        >>> rewrite_math("Share.\n\n.. math:: \\frac{a}{b}\n\nMore.")
        'Share.\n\n\\[\n\\frac{a}{b}\n\\]\n\nMore.'
        >>> rewrite_math("Rate :math:`x / t` per month.")
        'Rate \\(x / t\\) per month.'
    """
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if match is None:
            out.append(_ROLE.sub(lambda m: f"\\({m['formula']}\\)", lines[i]))
            i += 1
            continue
        indent = match["indent"]
        inline = match["formula"].strip()
        body, i = _directive_body(lines, i + 1, len(indent))
        formula = ([inline] if inline else []) + body
        # A display block must be a paragraph of its own.
        if out and out[-1].strip():
            out.append("")
        out += [f"{indent}\\[", *(f"{indent}{line}" for line in formula), f"{indent}\\]"]
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


class RstMathToArithmatex(griffe.Extension):
    """Rewrite the docstring of every object griffe loads with `rewrite_math`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring when it holds reStructuredText math."""
        docstring = obj.docstring
        if docstring is not None and (".. math::" in docstring.value or ":math:`" in docstring.value):
            docstring.value = rewrite_math(docstring.value)
