"""PySpark in local mode: the same cells as the Python reference.

Spark starts slowly (half a minute and more on two cores), so the Spark tests share one session
(``spark_session`` in conftest, on one worker) and keep the grid small. Both tests here run under
``make test-thorough``: ``make test`` computes on Spark in ``test_spark_jobs`` (64 cells of three
metrics against the records, money with ANSI mode off, a daylight-saving day).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

from advocacy_kpis import Segment, Window, engines, sample
from tests.engines._parity import BASIS, card, mismatches

pyspark = pytest.importorskip(
    "pyspark", reason="PySpark is not installed (pip install 'advocacy-kpis[spark]')"
)


def _java() -> bool:
    java = shutil.which(
        "java", path=os.path.join(os.environ["JAVA_HOME"], "bin") if "JAVA_HOME" in os.environ else None
    )
    if java is None:
        return False
    return subprocess.run([java, "-version"], capture_output=True, check=False).returncode == 0


pytestmark = [
    pytest.mark.skipif(not _java(), reason="Spark needs a Java runtime (java -version fails)"),
    # On one worker, so the Spark tests share one JVM.
    pytest.mark.xdist_group("spark"),
]

QUARTERS = [Window.quarter(2026, 2), Window.quarter(2026, 3)]
HEADLINE = [
    "net_promoter_score",
    "client_referral_rate",
    "referral_conversion_rate",
    "customer_retention_rate",
    "revenue_from_referrals",
]


@pytest.fixture(scope="module")
def spark(spark_session: Any) -> Any:
    return spark_session


@pytest.mark.thorough
def test_headline_metrics_on_spark_equal_the_reference(spark: Any) -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "spark", connection=spark)
    assert tables.backend == "pyspark"
    segments = [Segment.all(), Segment.where(tier="smb")]
    kwargs: dict[str, Any] = {"windows": QUARTERS, "segments": segments, "basis": BASIS}
    assert mismatches(card(data, HEADLINE, **kwargs), card(tables, HEADLINE, **kwargs)) == []


@pytest.mark.thorough
def test_every_supported_metric_on_spark_equals_the_reference(spark: Any) -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "spark", connection=spark)
    kwargs: dict[str, Any] = {"windows": QUARTERS, "segments": [Segment.by("tier")], "basis": BASIS}
    assert mismatches(card(data, **kwargs), card(tables, **kwargs)) == []
