"""The metric functions, one module per catalogue family."""

from advocacy_kpis.metrics.sentiment import *  # noqa
