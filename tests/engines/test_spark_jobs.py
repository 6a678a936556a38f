"""PySpark in a session set up unlike the other Spark tests': ANSI mode off and the session in Tokyo.

Spark 3's default (ANSI off) turns a decimal overflow into a silent null, and a session's zone is
how timestamps are shown: neither may change a number. The same session counts the Spark jobs a
scorecard launches, which must not grow with its cells. The worker's one Spark session (set so for
this module, then put back), tiny data and a handful of metrics keep it quick; without Java the module is skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from advocacy_kpis import RevenueBasis, Scorecard, Segment, Window, engines, metrics, sample, scorecard
from tests.engines._frames import dst_day_data, dst_day_expectations, referred, utc
from tests.engines._parity import mismatches
from tests.engines.conftest import spark_settings
from tests.engines.test_spark import _java

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'advocacy-kpis[spark]')")

pytestmark = [
    pytest.mark.skipif(not _java(), reason="Spark needs a Java runtime (java -version fails)"),
    pytest.mark.xdist_group("spark"),
]

TOKYO = "Asia/Tokyo"
_groups = itertools.count()


@pytest.fixture(scope="module")
def spark(spark_session: Any) -> Iterator[Any]:
    # The worker's one session, set as these tests need it for the module, then put back.
    with spark_settings(
        spark_session, {"spark.sql.session.timeZone": TOKYO, "spark.sql.ansi.enabled": "false"}
    ):
        yield spark_session


def test_the_session_is_in_tokyo_with_ansi_off(spark: Any) -> None:
    assert spark.conf.get("spark.sql.session.timeZone") == TOKYO
    assert spark.conf.get("spark.sql.ansi.enabled") == "false"


# -- money with ANSI mode off --------------------------------------------------------------------------


def test_revenue_of_100_50_is_exact_with_ansi_off(spark: Any) -> None:
    tables = engines.tables_from_data(referred([Decimal("100.50")]), "spark", connection=spark)
    q1 = Window.quarter(2026, 1)
    arr = metrics.revenue_from_referrals(tables, window=q1, basis=RevenueBasis.arr("USD"))
    mrr = metrics.revenue_from_referrals(tables, window=q1, basis=RevenueBasis.mrr("USD"))
    # MRR: 100.50 / 12 = 8.375.
    assert (arr.value, mrr.value) == (Decimal("100.50"), Decimal("8.375"))


@pytest.mark.thorough
def test_twenty_one_contracts_of_9e17_sum_exactly_with_ansi_off(spark: Any) -> None:
    tables = engines.tables_from_data(referred([Decimal("9E+17")] * 21), "spark", connection=spark)
    got = metrics.revenue_from_referrals(
        tables, window=Window.quarter(2026, 1), basis=RevenueBasis.arr("USD")
    )
    assert got.value == Decimal("18900000000000000000")


# -- a session in Tokyo ----------------------------------------------------------------------------------


def test_a_session_in_tokyo_counts_the_new_york_dst_day_as_utc_does(spark: Any) -> None:
    tables = engines.tables_from_data(dst_day_data(), "spark", connection=spark)
    for window, nps, components in dst_day_expectations():
        got = metrics.net_promoter_score(tables, window=window)
        assert (got.value, dict(got.components)) == (nps, components), window.label


@pytest.mark.thorough
def test_a_session_in_tokyo_equals_the_records(spark: Any) -> None:
    data = sample.tiny()
    tables = engines.tables_from_data(data, "spark", connection=spark)
    kwargs: dict[str, Any] = {
        "metrics": ["customer_retention_rate", "time_to_first_referral", "referral_conversion_rate"],
        "windows": [Window.year(2025), Window.quarter(2026, 3)],
        "segments": [Segment.all(), Segment.where(tier="smb")],
    }
    assert mismatches(scorecard(data, **kwargs), scorecard(tables, **kwargs)) == []


# -- jobs per scorecard ------------------------------------------------------------------------------------

JOB_METRICS = ["net_promoter_score", "client_referral_rate", "customer_retention_rate"]
FOUR_SEGMENTS = [
    Segment.all(),
    Segment.where(tier="smb"),
    Segment.where(region="NA"),
    Segment.where(tier="smb", region="NA"),
]
EIGHT_SEGMENTS = [
    *FOUR_SEGMENTS,
    Segment.where(tier="enterprise"),
    Segment.where(region="EMEA"),
    Segment.where(tier=("smb", "mid"), region="EMEA"),
    Segment.where(tier="mid", region="NA"),
]
"""The same attributes as `FOUR_SEGMENTS` (tier, region, both), so only the number of cells differs."""


def _jobs(spark: Any, windows: list[Window], segments: list[Segment]) -> tuple[int, Scorecard]:
    """The Spark jobs one scorecard launches on fresh tables (their input checks included), and the scorecard."""
    context = spark.sparkContext
    tables = engines.tables_from_data(sample.tiny(), "spark", connection=spark)
    group = f"advocacy-kpis-cells-{next(_groups)}"
    context.setJobGroup(group, f"{len(windows) * len(segments)} cells")
    try:
        built = scorecard(tables, metrics=JOB_METRICS, windows=windows, segments=segments)
    finally:
        context.setJobGroup("advocacy-kpis-other", "outside the counted scorecards")
    assert len(built.results) == len(JOB_METRICS) * len(windows) * len(segments)
    return len(context.statusTracker().getJobIdsForGroup(group)), built


def test_a_scorecard_of_64_cells_launches_as_many_spark_jobs_as_one_of_8(spark: Any) -> None:
    quarters = Window.year(2026).split("quarter")[1:3]
    months = Window.year(2026).split("month")[:8]
    small, _ = _jobs(spark, quarters, FOUR_SEGMENTS)
    large, built = _jobs(spark, months, EIGHT_SEGMENTS)
    assert small > 0
    assert large == small
    # And the 64 cells, computed in a Tokyo session with ANSI off, equal the records'.
    reference = scorecard(sample.tiny(), metrics=JOB_METRICS, windows=months, segments=EIGHT_SEGMENTS)
    assert mismatches(reference, built) == []


# -- the soundness cases ---------------------------------------------------------------------------------


@pytest.mark.thorough
def test_the_soundness_cases_hold_on_spark(spark: Any) -> None:
    from tests.engines.test_soundness import (
        MONTHLY_TOTAL,
        NO_COSTS,
        TIME_TO_EVENT,
        cohorts,
        shares,
        three_advocates,
        without,
    )

    q1 = Window.quarter(2026, 1)
    mrr = RevenueBasis.mrr("USD")
    tables = engines.tables_from_data(three_advocates(), "spark", connection=spark)
    for metric in (metrics.customer_advocacy_rate, metrics.referral_retention_rate):
        got = metric(tables, window=q1, basis=mrr)
        assert (got.value, got.numerator, got.denominator) == (1.0, MONTHLY_TOTAL, MONTHLY_TOTAL)
    data = without(sample.tiny(), "program_costs")
    basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
    roi = metrics.referral_campaign_roi(
        engines.tables_from_data(data, "spark", connection=spark), window=Window.quarter(2026, 3), basis=basis
    )
    assert (roi.value, roi.undefined_reason) == (None, NO_COSTS)
    everyone = engines.tables_from_data(cohorts(utc(2026, 10, 1), censored=False), "spark", connection=spark)
    for metric in TIME_TO_EVENT:
        assert shares(metric(everyone, window=q1)) == [1.0, 1.0, 1.0], metric.__name__
