"""Test configuration: hypothesis profiles.

``default`` (6 examples per property; 3 for the properties that build several data sets per
example, most of them run once per metric, so each property still sees about 150 data sets
over the catalogue) keeps ``make test`` within five minutes on two cores.
``thorough`` (``make test-thorough``, ``HYPOTHESIS_PROFILE=thorough``) runs 200 examples per
property, or ``HYPOTHESIS_EXAMPLES`` when set, in about a quarter of an hour; cost grows a
little faster than the count, as larger examples build larger data sets.

The loaders' fuzzing test (``tests/io/test_fuzz.py``) sets its own counts: 100 seeded cases per
test in ``default``, ``FUZZ_CASES`` (2000 unless set) random ones in ``thorough``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
