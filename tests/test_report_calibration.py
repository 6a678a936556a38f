"""Calibration by simulation: the report's error rate, checked on data sets where nothing is planted.

The null data sets come from the library's seeded generator with its planted drop switched off
(``sample.generate(..., planted_drop=False)``) and every account's tier reassigned at random, so
that no tier differs from the rest. On them, a report (monthly, for a month chosen per data set)
that raises a significant win or risk raises a false alarm, and the share of reports that do must
stay at or under the stated error rate, 5%, within the simulation's margin: the 99.9% quantile of
the number of alarms a Binomial(N, 0.05) would give. The count covers every win or risk that
rests on a test, except threshold breaches: the generator fills about 58% of reference requests
within 30 days, below the 70% bar, so a breach there is a true finding, not a false one.

Alongside, a release that changed nothing, at each distance before ``as_of``, must be called a
drop no more often than that rate; and the planted small-business drop of the sample must still
be found. The fast version runs a few dozen data sets; ``make test-thorough``
(``HYPOTHESIS_PROFILE=thorough``) runs hundreds.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from functools import cache

import attrs
import pytest
from scipy import stats as scipy_stats

from advocacy_kpis import AdvocacyData, ProductChange, Segment, Window, sample
from advocacy_kpis.analyses import product_change_impact
from advocacy_kpis.cli import DEMO_BASIS
from advocacy_kpis.report import ERROR_RATE, PRODUCT_CHANGE_METRICS, FindingKind, report

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
DATA_SETS = 400 if THOROUGH else 40
ACCOUNTS = 150
DISTANCES = (10, 20, 30, 45, 60, 90, 120, 180, 270)
"""Days between a release that changed nothing and as_of."""

MONTHS = [Window.month(2025, m) for m in range(10, 13)] + [Window.month(2026, m) for m in range(1, 10)]


def allowed(trials: int, rate: float = ERROR_RATE) -> int:
    """The most alarms a correct procedure gives in ``trials`` runs but once in a thousand."""
    return int(scipy_stats.binom.ppf(0.999, trials, rate))


@cache
def null_data(seed: int) -> AdvocacyData:
    """A generated data set with no planted effect and tiers assigned at random."""
    data = sample.generate(ACCOUNTS, seed=seed, planted_drop=False)
    tiers = [a.tier for a in data.accounts]
    random.Random(f"tiers-{seed}").shuffle(tiers)
    collections = data.as_collections()
    collections["accounts"] = [
        attrs.evolve(a, tier=tier) for a, tier in zip(data.accounts, tiers, strict=True)
    ]
    return AdvocacyData.from_records(as_of=data.as_of, **collections)


def false_alarms(seed: int) -> tuple[int, int]:
    """(tested wins and risks raised, tests with an unadjusted p below the error rate) in one null report."""
    built = report(null_data(seed), period=MONTHS[seed % len(MONTHS)], basis=DEMO_BASIS)
    raised = [
        f for f in (*built.wins, *built.risks) if f.tests and f.kind is not FindingKind.THRESHOLD_BREACHED
    ]
    naive = [
        t
        for t in built.tests
        if t.kind in ("change", "versus_rest", "product_change") and t.p_value < ERROR_RATE
    ]
    return len(raised), len(naive)


def test_reports_on_data_with_no_planted_effect_raise_a_false_alarm_at_most_at_the_stated_rate() -> None:
    outcomes = [false_alarms(seed) for seed in range(DATA_SETS)]
    alarmed = sum(1 for raised, _ in outcomes if raised)
    assert alarmed <= allowed(DATA_SETS), (
        f"{alarmed} of {DATA_SETS} null reports raised a significant win or risk; a {ERROR_RATE:.0%} error rate "
        f"allows at most {allowed(DATA_SETS)}"
    )
    # The simulation can tell: without the correction, most of the same reports would have had a
    # test below 5% to report.
    uncorrected = sum(1 for _, naive in outcomes if naive)
    assert uncorrected > 3 * allowed(DATA_SETS)


def no_op_release(data: AdvocacyData, days: int) -> ProductChange:
    released = (data.as_of - timedelta(days=days)).replace(hour=14)
    return ProductChange(id=f"noop-{days}", released_at=released, name="A release that changed nothing")


@pytest.mark.parametrize("days", DISTANCES)
def test_a_release_that_changed_nothing_is_called_a_drop_at_most_at_the_stated_rate(days: int) -> None:
    dropped = 0
    for seed in range(DATA_SETS):
        data = null_data(seed)
        release = no_op_release(data, days)
        found = product_change_impact(
            data, release, metric=list(PRODUCT_CHANGE_METRICS), segments=Segment.by("tier")
        )
        dropped += bool(found.drops)
    assert dropped <= allowed(DATA_SETS), (
        f"a release {days} days before as_of was called a drop in {dropped} of {DATA_SETS} null data sets"
    )


def test_the_samples_planted_small_business_drop_is_still_found() -> None:
    data = sample.generate(1500)
    built = report(data, period="2026-09", basis=DEMO_BASIS)
    drops = {(f.metric, f.segment.name) for f in built.risks if f.kind is FindingKind.PRODUCT_CHANGE_DROP}
    assert ("customer_advocacy_rate", "tier=smb") in drops
    assert not {segment for _, segment in drops} & {"tier=enterprise", "tier=mid"}
    step = next(s for s in built.next_steps if s.kind is FindingKind.PRODUCT_CHANGE_DROP)
    assert "Usage-based billing" in step.action
    # The same generator without the planted drop: no drop after that release.
    calm = report(sample.generate(1500, planted_drop=False), period="2026-09", basis=DEMO_BASIS)
    assert not [f for f in calm.risks if f.kind is FindingKind.PRODUCT_CHANGE_DROP]
