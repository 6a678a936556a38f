"""Engine tests marked ``thorough`` run only under ``make test-thorough`` (``HYPOTHESIS_PROFILE=thorough``)."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HYPOTHESIS_PROFILE") == "thorough":
        return
    skip = pytest.mark.skip(reason="slow: runs under make test-thorough")
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            item.add_marker(skip)
