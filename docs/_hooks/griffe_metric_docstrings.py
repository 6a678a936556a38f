"""Griffe extension: show each metric function's whole docstring, as ``help()`` shows it.

A metric function's source holds only its summary and examples; `advocacy_kpis.tally.Metric.function`
completes the docstring from the metric's spec when the module is imported (the formula, the
arguments with their defaults, what it returns, raises and when it is undefined). Griffe reads
the source, so this extension replaces the docstring of every registered metric function with
the one the running library holds. ``mkdocs.yml`` loads it before the math extension, which then
renders the formula.
"""

from __future__ import annotations

import inspect
from typing import Any

import griffe

from advocacy_kpis import catalog

_METRICS_PACKAGE = "advocacy_kpis.metrics."


class MetricDocstrings(griffe.Extension):
    """Give each registered metric function the docstring its spec completes."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Replace ``obj``'s docstring when it is a registered metric function."""
        if not isinstance(obj, griffe.Function) or not obj.path.startswith(_METRICS_PACKAGE):
            return
        if obj.name not in {spec.id for spec in catalog.all()}:
            return
        text = inspect.getdoc(catalog.function(obj.name))
        if not text:
            return
        if obj.docstring is None:
            obj.docstring = griffe.Docstring(text, parent=obj)
        else:
            obj.docstring.value = text
