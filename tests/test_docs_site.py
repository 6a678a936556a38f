"""The documentation site, built once with ``mkdocs build --strict`` and read as a reader would.

The build goes to a temporary folder; every test here shares it (one xdist group, so one
worker builds it once). The tests read the HTML the build wrote: formulas are MathML with no
LaTeX left, no page loads anything from another host, and the math font holds every character
the formulas draw. Then headless Chromium, with no network, renders pages with formulas; the
screenshots are kept under ``build/screenshots`` (see ``tests/browser.py``) to be looked at.
"""

from __future__ import annotations

import doctest
import html
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.browser import png_colours, render

ROOT = Path(__file__).parent.parent
HOOKS = sorted((ROOT / "docs" / "_hooks").glob("*.py"))

pytestmark = pytest.mark.xdist_group("docs_site")

_HIDDEN = re.compile(r"<(script|style|code|pre)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_LATEX = re.compile(r"\\(?:[A-Za-z]{2,}|[()\[\]])")
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_LOADED = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"")
# Material's search reads its index with a web worker, which browsers refuse to start from a
# file:// page; a served site searches normally.
_SEARCH_FROM_FILE = "search/search_index.js"


def _hook(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def visible_text(page: str) -> str:
    """The text of an HTML page a reader sees, less scripts, styles and code."""
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]
    return target


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, str]:
    return {str(path.relative_to(site)): path.read_text() for path in sorted(site.rglob("*.html"))}


@pytest.mark.parametrize("hook", HOOKS, ids=[path.stem for path in HOOKS])
def test_the_build_hooks_examples_hold(hook: Path) -> None:
    module = _hook(hook)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags)
    assert result.failed == 0


def test_every_formula_of_the_site_is_mathml_and_no_latex_is_left(pages: dict[str, str]) -> None:
    left = {name: _LATEX.findall(visible_text(page)) for name, page in pages.items()}
    assert {name: found for name, found in left.items() if found} == {}
    formulas = {name: len(_MATH.findall(page)) for name, page in pages.items()}
    assert sum(formulas.values()) >= 150
    assert formulas["metrics/referral_conversion_rate/index.html"] >= 1
    assert formulas["api/stats/index.html"] >= 50
    assert formulas["concepts/index.html"] >= 4


def test_no_page_loads_anything_from_another_host(pages: dict[str, str]) -> None:
    remote = {
        name: [url for url in _LOADED.findall(page) if re.match(r"(?:https?:)?//", url)]
        for name, page in pages.items()
    }
    assert {name: urls for name, urls in remote.items() if urls} == {}


def test_every_file_a_page_loads_is_in_the_site(site: Path, pages: dict[str, str]) -> None:
    def found(name: str, url: str) -> bool:
        path = url.split("?")[0]
        # The 404 page is served at any depth, so it names its files from the site's root.
        return (site / path.lstrip("/") if path.startswith("/") else (site / name).parent / path).exists()

    missing = {
        name: [url for url in _LOADED.findall(page) if not found(name, url)] for name, page in pages.items()
    }
    assert {name: urls for name, urls in missing.items() if urls} == {}
    assert 'url("math.woff")' in (site / "stylesheets" / "math.css").read_text()


def test_the_math_font_draws_every_character_of_the_formulas(site: Path, pages: dict[str, str]) -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    mathml = _hook(ROOT / "docs" / "_hooks" / "mathml.py")
    drawn = {c for page in pages.values() for math in _MATH.findall(page) for c in mathml.drawn(math)}
    font = ttlib.TTFont(site / mathml.FONT)
    assert "MATH" in font
    assert {"√", "∑", "𝑟", "ℎ"} <= drawn
    assert sorted(c for c in drawn if ord(c) not in font.getBestCmap()) == []


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("metrics/referral_conversion_rate/index.html", "1400,1800"),
        ("api/formulas/index.html", "1200,2400"),
        ("api/stats/index.html", "1000,16000"),
        ("concepts/index.html", "1000,9000"),
        ("notebooks/first-look/index.html", "1100,4200"),
    ],
)
def test_pages_with_formulas_render_offline(site: Path, path: str, size: str, tmp_path: Path) -> None:
    name = "docs-" + path.removesuffix("/index.html").replace("/", "-").replace("_", "-")
    shown = render(site / path, name, tmp_path, size=size, offline=True)
    assert shown.failed == []
    assert [line for line in shown.console_errors if _SEARCH_FROM_FILE not in line] == []
    assert png_colours(shown.screenshot) > 64


def _documented_names(pages: dict[str, str]) -> set[str]:
    """The dotted names the API reference gives a heading (mkdocstrings' anchors)."""
    return {
        name
        for page_name, page in pages.items()
        if page_name.startswith("api/")
        for name in re.findall(r'id="(advocacy_kpis(?:\.\w+)+)"', page)
    }


def test_the_api_reference_documents_only_public_names(pages: dict[str, str]) -> None:
    names = _documented_names(pages)
    assert "advocacy_kpis.scorecard.Scorecard" in names
    private = sorted(name for name in names if any(part.startswith("_") for part in name.split(".")))
    assert private == []
    outside_all = []
    for name in names:
        parts = name.split(".")
        # The longest importable prefix is the module; the name after it must be in its __all__.
        for cut in range(len(parts), 0, -1):
            module_name = ".".join(parts[:cut])
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            if cut < len(parts) and parts[cut] not in getattr(module, "__all__", [parts[cut]]):
                outside_all.append(name)
            break
    assert sorted(outside_all) == []
    internal = {"survival_tallies", "previous_grid", "Run", "Tally", "Grid", "TallyState"}
    assert sorted(name for name in names if name.rsplit(".", 1)[-1] in internal) == []


def test_a_metric_page_opens_with_its_definition_which_search_shows(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text())
    openings = {
        entry["location"]: entry["text"]
        for entry in index["docs"]
        if re.fullmatch(r"metrics/\w+/", entry["location"]) and entry["location"] != "metrics/"
    }
    assert len(openings) >= 46
    assert sorted(location for location, text in openings.items() if not text.startswith("<p>")) == []
    conversion = openings["metrics/referral_conversion_rate/"]
    assert conversion.startswith("<p>Of the referrals sent in the window")
    # The facts are one row each, a name and its value, so the table is as narrow as the column.
    page = (site / "metrics" / "referral_conversion_rate" / "index.html").read_text()
    assert '<th scope="row">Revenue basis</th>' in page


def test_the_example_notebook_page_shows_the_outputs_of_its_cells(site: Path, pages: dict[str, str]) -> None:
    page = pages["notebooks/first-look/index.html"]
    outputs = re.findall(r'class="notebook-output"', page)
    assert len(outputs) >= 8
    assert "<!-- notebook-output" not in page
    # The scorecard's table, the young cohort's printed reason and the chart drawn as inline SVG.
    assert "customer_retention_rate" in page and "tier=enterprise" in page
    assert "none of the 32 referrals sent in the window has matured" in page
    assert re.search(r'<div class="notebook-output"><svg\b', page)
    assert (site / "notebooks" / "first-look.py").read_text() == (
        ROOT / "docs" / "notebooks" / "first-look.py"
    ).read_text()


def test_the_changelog_page_is_the_repository_changelog(pages: dict[str, str]) -> None:
    page = visible_text(pages["changelog/index.html"])
    headings = re.findall(r"^#+ (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert len(headings) >= 5
    assert [heading for heading in headings if heading not in page] == []
    assert "survival_tallies" not in page
