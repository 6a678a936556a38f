"""Engine tests marked ``thorough`` run only under ``make test-thorough`` (``HYPOTHESIS_PROFILE=thorough``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HYPOTHESIS_PROFILE") == "thorough":
        return
    skip = pytest.mark.skip(reason="slow: runs under make test-thorough")
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for every Spark test of a worker: the JVM starts once.

    Modules that need other settings (a session zone, ANSI mode) set them with ``conf.set`` and
    put the defaults back when they end (`spark_settings`).
    """
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("advocacy_kpis-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        # Tiny tables: skip code generation and adaptive planning, which cost more than they save.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@contextlib.contextmanager
def spark_settings(session: Any, settings: dict[str, str]) -> Iterator[Any]:
    """``session`` with ``settings`` for the duration, then as it was."""
    before = {key: session.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        session.conf.set(key, value)
    try:
        yield session
    finally:
        for key, value in before.items():
            if value is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, value)
