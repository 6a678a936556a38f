"""The package's imports form no cycle, point down the layers, and reach no private name across packages.

Drawn from every ``import`` in the source, module-level or inside a function alike (a lazy import
is still a dependency). A layer may import from its own layer and the layers below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import advocacy_kpis

SOURCE = Path(advocacy_kpis.__file__).parent
PACKAGE = "advocacy_kpis"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer)
    for layer in (
        {"errors", "version"},
        {"scope", "stats", "expr"},
        {"display"},
        {"records", "result", "formulas", "payload"},
        {"catalog", "policy"},
        {"data", "grid"},
        {"context"},
        {"engines"},
        {"blocks"},
        {"tally"},
        {"metrics"},
        {"scorecard"},
        {"analyses"},
        {"report"},
        {"io", "sample", "_generate", "_tiny"},
        {"cli"},
        {""},  # the package itself, which re-exports the public API
    )
)
"""The layers, bottom first: each name is a module or a package of ``advocacy_kpis``."""


def _unit(module: str) -> str:
    """The layer unit of a module: its first name under the package (``""`` for the package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _exists(module: str) -> bool:
    relative = Path(*module.split("."))
    return (SOURCE.parent / relative).with_suffix(".py").exists() or (SOURCE.parent / relative).is_dir()


def _imports() -> list[tuple[str, str, str]]:
    """Every import of the package by a module of it: (importing module, imported module, name)."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        importer = _module_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if _exists(submodule):
                        found.append((importer, submodule, ""))
                    else:
                        found.append((importer, node.module, alias.name))
            elif isinstance(node, ast.Import):
                found += [(importer, a.name, "") for a in node.names if a.name.split(".")[0] == PACKAGE]
    return found


def _layer(unit: str) -> int:
    for i, layer in enumerate(LAYERS):
        if unit in layer:
            return i
    raise AssertionError(f"{PACKAGE}.{unit} is in no layer: add it to LAYERS")


def test_every_module_is_in_a_layer() -> None:
    for path in SOURCE.rglob("*.py"):
        _layer(_unit(_module_of(path)))


def test_imports_point_down_the_layers() -> None:
    upward = [
        f"{importer} imports {imported}"
        for importer, imported, _ in _imports()
        if _layer(_unit(imported)) > _layer(_unit(importer))
    ]
    assert upward == []


def test_the_import_graph_has_no_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for importer, imported, _ in _imports():
        a, b = _unit(importer), _unit(imported)
        if a != b:
            edges.setdefault(a, set()).add(b)
    state: dict[str, int] = {}

    def visit(unit: str, path: list[str]) -> None:
        state[unit] = 1
        for nxt in sorted(edges.get(unit, ())):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, nxt])
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[unit] = 2

    for unit in sorted(edges):
        if unit not in state:
            visit(unit, [unit])


def test_no_private_name_is_imported_across_packages() -> None:
    crossing = []
    for importer, imported, name in _imports():
        if _unit(importer) == _unit(imported):
            continue
        private_module = any(part.startswith("_") for part in imported.split(".")[2:])
        if private_module or (name.startswith("_") and not name.startswith("__")):
            crossing.append(f"{importer} imports {imported}{'.' + name if name else ''}")
    assert crossing == []
