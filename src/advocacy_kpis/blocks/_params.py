"""Parameters metrics share, each with its check: confidence levels, spans of days, choices."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Final

from advocacy_kpis.catalog import Parameter
from advocacy_kpis.errors import ParameterError

__all__ = ["CONFIDENCE", "MAX_DAYS", "check_confidence", "choice", "days", "positive_int"]

MAX_DAYS: Final = 36_600
"""The longest span in days a parameter may give (about a century): beyond it dates overflow."""


def positive_int(value: Any, name: str, function: str) -> int:
    """Check a count of days such as ``horizon_days``: a whole number from 1 to `MAX_DAYS`.

    Integers of any kind (numpy's included) are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 < int(value) <= MAX_DAYS:
        raise ParameterError(name, function, f"a whole number of days from 1 to {MAX_DAYS}", value)
    return int(value)


def check_confidence(value: Any, function: str) -> float:
    """Check a confidence level: a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ParameterError("confidence", function, "a number between 0 and 1, such as 0.95", value)
    return float(value)


CONFIDENCE: Final = Parameter(
    "confidence", 0.95, "the confidence level of the interval, between 0 and 1", check_confidence
)
"""The confidence level every metric with an interval takes."""


def days(name: str, default: int, description: str) -> Parameter:
    """A parameter counting days (``horizon_days``, ``lapse_days``...), checked by `positive_int`."""
    return Parameter(name, default, description, lambda value, function: positive_int(value, name, function))


def choice(name: str, default: str, options: Sequence[str], description: str) -> Parameter:
    """A parameter taking one of a few names."""
    allowed = tuple(options)
    shown = " or ".join(repr(o) for o in allowed)

    def check(value: Any, function: str) -> str:
        if value not in allowed:
            raise ParameterError(name, function, shown, value)
        return str(value)

    return Parameter(name, default, description, check)


def checked(
    name: str, default: Any, description: str, check: Callable[[Any, str], Any], label: str
) -> Parameter:
    """A parameter with its own check and a label for its default (a model, a policy)."""
    return Parameter(name, default, description, check, label)
