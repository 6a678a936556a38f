"""Sample data: `tiny`, a hand-checked six-account set, and `generate`, a seeded synthetic one.

`generate` builds a realistic data set of any size from a seed: the same seed and size give the
same records on every machine and Python version, so examples, the demo and benchmarks are
reproducible.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from advocacy_kpis._generate import generate
from advocacy_kpis._tiny import TINY_AS_OF, tiny

__all__ = ["SAMPLE_FX_RATES", "TINY_AS_OF", "generate", "tiny"]

SAMPLE_FX_RATES: Final = {"EUR": Decimal("1.08")}
"""The fixed rate into USD used with the sample data, whose EUR-billed accounts need one."""
