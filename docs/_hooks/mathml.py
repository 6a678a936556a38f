r"""MkDocs hook: every formula rendered to MathML when the site is built, so it shows offline.

``pymdownx.arithmatex`` (``generic: true``) keeps the LaTeX of the pages and of the docstrings
(see ``griffe_rst_math.py``) away from Markdown and marks it up as
``<span class="arithmatex">\(...\)</span>`` (inline) or ``<div class="arithmatex">\[...\]</div>``
(display). After each page is converted to HTML, this hook replaces the LaTeX inside those
elements with MathML from ``latex2mathml``, which browsers draw natively, so the built site
loads no script for its formulas. A formula the converter cannot read, or a command it would
leave as text, stops the build with the page and the formula named.

A browser lays out MathML well only in a font with an OpenType MATH table (without one, a
subscript stays on the baseline), and not every system has one. So after the pages are built
the hook writes ``stylesheets/math.woff`` into the site: STIX Two Math, from the ``ziamath``
package, cut down to the characters the formulas use; ``stylesheets/math.css`` sets the
formulas in it.
"""

from __future__ import annotations

import html
import importlib.metadata
import io
import re
from pathlib import Path
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont
from latex2mathml.converter import convert
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

FONT = "stylesheets/math.woff"
FONT_SOURCE = ("ziamath", "STIXTwoMath-Regular.ttf")

_MATH = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.S)
_DELIMITERS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}
# A command latex2mathml does not know comes out as text, such as <mi>\foo</mi>.
_LEFT_AS_TEXT = re.compile(r">[^<]*\\[A-Za-z]")
# Where latex2mathml's markup spaces a symbol otherwise than TeX does: these are operators
# (latex2mathml makes them identifiers, with no space around), and a dot between a name and its
# attribute (W.start) takes none.
_SPACING = (
    ("<mi>:</mi>", "<mo>:</mo>"),
    ("<mi>&#x000B1;</mi>", "<mo>&#x000B1;</mo>"),  # \pm
    ("<mi>&#x029F5;</mi>", "<mo>&#x029F5;</mo>"),  # \setminus
    ("<mi>&#x0007E;</mi>", "<mo>&#x0223C;</mo>"),  # \sim, drawn as the operator, not the ASCII tilde
    ("<mo>&#x0002E;</mo>", '<mo lspace="0" rspace="0">&#x0002E;</mo>'),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_TEXT = re.compile(r">([^<]+)<")
_IDENTIFIER = re.compile(r"<mi>([^<]+)</mi>")
# Where a browser draws a one-letter <mi>: in the mathematical italic letters. Italic h is
# U+210E, which the block leaves out.
_ITALIC = {
    **{chr(c): chr(0x1D434 + c - ord("A")) for c in range(ord("A"), ord("Z") + 1)},
    **{chr(c): chr(0x1D44E + c - ord("a")) for c in range(ord("a"), ord("z") + 1)},
    **{chr(c): chr(0x1D6E2 + c - 0x391) for c in range(0x391, 0x3AA)},
    **{chr(c): chr(0x1D6FC + c - 0x3B1) for c in range(0x3B1, 0x3CA)},
    "h": "\u210e",
}

# Drawn by <msqrt> and <mroot>, which hold no text of their own.
_RADICAL = "\u221a"

# The characters drawn by the formulas of the build under way.
_drawn: set[str] = set()


class FormulaError(ValueError):
    """A formula that cannot be rendered as MathML."""


def mathml(tex: str, *, display: bool) -> str:
    r"""The MathML of one LaTeX formula (without its ``\(`` or ``\[`` delimiters).

    Examples:
        >>> mathml(r"\frac{a}{b}", display=False)
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><mfrac>...</mfrac></mrow></math>'
        >>> mathml(r"\unknown x", display=True)
        Traceback (most recent call last):
        ...
        mathml.FormulaError: LaTeX that MathML cannot show: '\\unknown x' leaves '>\\u' as text
        >>> mathml("\frac{a}{b}", display=False)
        Traceback (most recent call last):
        ...
        mathml.FormulaError: LaTeX with a control character (a backslash escape read by Python?): '\x0crac{a}{b}'
    """
    if _CONTROL.search(tex):
        raise FormulaError(f"LaTeX with a control character (a backslash escape read by Python?): {tex!r}")
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception as error:
        raise FormulaError(f"LaTeX that MathML cannot show: {tex!r} ({error!r})") from error
    for old, new in _SPACING:
        out = out.replace(old, new)
    left = _LEFT_AS_TEXT.search(out)
    if left is not None:
        raise FormulaError(f"LaTeX that MathML cannot show: {tex!r} leaves {left.group()!r} as text")
    return out


def drawn(math: str) -> set[str]:
    """The characters a browser draws for some MathML: its text, and its one-letter identifiers in italic.

    Examples:
        >>> sorted(drawn(mathml("x + 1", display=False)))
        ['+', '1', 'x', '𝑥']
    """
    texts = {html.unescape(text) for text in _TEXT.findall(math)}
    letters = {html.unescape(name) for name in _IDENTIFIER.findall(math)}
    radicals = {_RADICAL} if "<msqrt" in math or "<mroot" in math else set()
    return {c for text in texts for c in text} | {_ITALIC[c] for c in letters if c in _ITALIC} | radicals


def render(page_html: str) -> str:
    """``page_html`` with the LaTeX of every arithmatex element replaced by MathML."""

    def replace(match: re.Match[str]) -> str:
        tag = match["tag"]
        opening, closing = _DELIMITERS[tag]
        tex = html.unescape(match["tex"]).strip()
        if not (tex.startswith(opening) and tex.endswith(closing)):
            raise FormulaError(f"A {tag} of class arithmatex without its {opening} {closing}: {tex!r}")
        formula = mathml(tex[len(opening) : -len(closing)].strip(), display=tag == "div")
        return f'<{tag} class="arithmatex">{formula}</{tag}>'

    return _MATH.sub(replace, page_html)


def math_font(characters: set[str]) -> bytes:
    """STIX Two Math as WOFF, with its MATH table, cut down to ``characters`` (and their variants)."""
    package, name = FONT_SOURCE
    # Found in the package's list of files: importing ziamath would load its renderer for nothing.
    found = [f for f in importlib.metadata.files(package) or [] if f.name == name]
    if not found:
        raise FileNotFoundError(f"The math font {name} is not in the installed {package} package")
    font = TTFont(found[0].locate())
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=sorted(ord(c) for c in characters | {" "}))
    cutter.subset(font)
    font.flavor = "woff"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def on_pre_build(config: MkDocsConfig) -> None:
    """Start the build with no character drawn."""
    _drawn.clear()


def on_page_content(page_html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Render the formulas of one page."""
    try:
        rendered = render(page_html)
    except FormulaError as error:
        raise FormulaError(f"{page.file.src_uri}: {error}") from None
    for match in _MATH.finditer(rendered):
        _drawn.update(drawn(match["tex"]))
    return rendered


def on_post_build(config: MkDocsConfig) -> None:
    """Write the math font, cut down to the characters of every formula of the site."""
    target = Path(config.site_dir) / FONT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(math_font(_drawn))
