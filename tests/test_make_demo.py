"""`make demo` installs only the runtime dependencies: the demo must run on them alone.

The demo runs in a fresh interpreter, which then lists the modules it imported on the way. Each
must come from the standard library, from the library itself, or from a distribution that
installing the package without extras brings (its dependencies, and theirs).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

_RUN_DEMO = """
import json, sys
before = set(sys.modules)
from advocacy_kpis.cli import main
main(["demo"])
top = {name.partition(".")[0] for name in set(sys.modules) - before}
print(json.dumps({name: getattr(sys.modules.get(name), "__file__", None) for name in sorted(top)}))
"""
_STANDARD = [Path(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib")]


def _runtime_distributions(name: str, seen: set[str] | None = None) -> set[str]:
    """``name`` and every distribution it needs without extras, normalised as PyPI names."""
    seen = set() if seen is None else seen
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    seen.add(key)
    for text in importlib.metadata.requires(name) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            _runtime_distributions(requirement.name, seen)
    return seen


def _standard(module: str, origin: str | None) -> bool:
    """Whether a module comes with Python: built in, or a file of the standard library's folders."""
    if module in sys.stdlib_module_names or origin is None:
        return True
    path = Path(origin)
    return "site-packages" not in path.parts and any(path.is_relative_to(folder) for folder in _STANDARD)


def _distributions_of(module: str) -> set[str]:
    found = importlib.metadata.packages_distributions().get(module, [])
    return {re.sub(r"[-_.]+", "-", name).lower() for name in found}


def test_the_demo_imports_only_the_standard_library_and_the_runtime_dependencies() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _RUN_DEMO], capture_output=True, text=True, timeout=300, check=True
    )
    imported: dict[str, str | None] = json.loads(done.stdout.splitlines()[-1])
    allowed = _runtime_distributions("advocacy-kpis")
    outside = [
        module
        for module, origin in imported.items()
        if not _standard(module, origin)
        and module != "advocacy_kpis"
        and not (_distributions_of(module) and _distributions_of(module) <= allowed)
    ]
    assert "attrs" in imported
    assert outside == [], f"the demo imports {outside}, which installing advocacy-kpis alone does not bring"


def test_a_module_outside_the_runtime_dependencies_is_noticed() -> None:
    allowed = _runtime_distributions("advocacy-kpis")
    assert {"advocacy-kpis", "attrs", "python-dateutil"} <= allowed
    assert _distributions_of("numpy") and not _distributions_of("numpy") <= allowed
