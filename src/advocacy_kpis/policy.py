"""Programme policies: how often an advocate may be asked, and how referral readiness is scored.

Both are plain values passed to the metrics that use them, so a team can state its own policy
once and every metric reads the same one.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from advocacy_kpis.errors import ParameterError
from advocacy_kpis.records import Asset, Effort

__all__ = [
    "DEFAULT_EFFORT",
    "DEFAULT_READINESS_MODEL",
    "DEFAULT_TAP_POLICY",
    "ReadinessModel",
    "TapPolicy",
]

DEFAULT_EFFORT: Final[Mapping[Asset, Effort]] = MappingProxyType(
    {
        Asset.REFERENCE: Effort.HIGH,
        Asset.CASE_STUDY: Effort.HIGH,
        Asset.SPEAKING: Effort.HIGH,
        Asset.REVIEW: Effort.LOW,
        Asset.COMMUNITY: Effort.LOW,
        Asset.REFERRAL: Effort.LOW,
    }
)
"""References, case studies and speaking cost an advocate a lot; reviews, community posts and
referrals little."""


def _as_int(value: Any) -> Any:
    """An integer of any kind (a numpy integer, say) as a plain int; anything else is left for the validator."""
    return int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value


def _positive(owner: str) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ParameterError(attribute.name, owner, "a positive integer", value)

    return check


def _score_between(low: int, high: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ParameterError(attribute.name, "ReadinessModel", f"an integer from {low} to {high}", value)

    return check


def _check_tap_policy(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, TapPolicy):
        raise ParameterError(attribute.name, "ReadinessModel", "a TapPolicy", value)


def _freeze_effort(value: Any) -> Any:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


def _check_effort(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping):
        raise ParameterError(attribute.name, "TapPolicy", "a mapping of every Asset to its Effort", value)
    missing = [asset.value for asset in Asset if not isinstance(value.get(asset), Effort)]
    if missing:
        raise ParameterError(attribute.name, "TapPolicy", "an Effort for every Asset", f"none for {missing}")


@attrs.frozen
class TapPolicy:
    """How often the same contact may be asked for an advocacy asset.

    An ask respects the policy when it comes at least the gap of its effort class (in calendar
    months) after the previous ask of the same effort class to the same contact (the advocate
    asked, else the account). The default follows the common rule: at most once a quarter for a
    high-effort asset, at most once a month for a low-effort one.

    Examples:
        >>> from datetime import UTC, datetime
        >>> policy = TapPolicy()
        >>> first = datetime(2026, 1, 31, tzinfo=UTC)
        >>> policy.earliest_next(first, Effort.HIGH).date()
        datetime.date(2026, 4, 30)
        >>> policy.allows(first, datetime(2026, 3, 15, tzinfo=UTC), Effort.HIGH)
        False
        >>> policy.effort_of(Asset.REVIEW)
        <Effort.LOW: 'low'>
    """

    high_effort_gap_months: int = attrs.field(default=3, converter=_as_int, validator=_positive("TapPolicy"))
    low_effort_gap_months: int = attrs.field(default=1, converter=_as_int, validator=_positive("TapPolicy"))
    effort: Mapping[Asset, Effort] = attrs.field(
        default=DEFAULT_EFFORT,
        converter=_freeze_effort,
        validator=_check_effort,
        eq=attrs.cmp_using(eq=lambda a, b: dict(a) == dict(b)),
        hash=False,
    )

    def effort_of(self, asset: Asset) -> Effort:
        """The effort class of ``asset``."""
        return self.effort[asset]

    def gap(self, effort: Effort) -> relativedelta:
        """The minimum spacing between two asks of ``effort`` to one contact."""
        months = self.high_effort_gap_months if effort is Effort.HIGH else self.low_effort_gap_months
        return relativedelta(months=months)

    def earliest_next(self, previous_ask_at: datetime, effort: Effort) -> datetime:
        """The first instant at which the contact may be asked again for an asset of ``effort``."""
        return previous_ask_at + self.gap(effort)

    def allows(self, previous_ask_at: datetime | None, ask_at: datetime, effort: Effort) -> bool:
        """Whether an ask at ``ask_at`` respects the policy after one at ``previous_ask_at``."""
        return previous_ask_at is None or ask_at >= self.earliest_next(previous_ask_at, effort)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, recorded in results so a compliance rate says which policy it was read against.

        Examples:
            >>> TapPolicy(high_effort_gap_months=4).to_dict()["effort"]["reference"]
            'high'
        """
        return {
            "high_effort_gap_months": self.high_effort_gap_months,
            "low_effort_gap_months": self.low_effort_gap_months,
            "effort": {asset.value: effort.value for asset, effort in self.effort.items()},
        }


DEFAULT_TAP_POLICY: Final = TapPolicy()
"""At most once per 3 calendar months for high-effort assets, once per month for low-effort ones."""

_WEIGHT_NAMES: Final = ("promoter", "satisfied", "tenure", "not_recently_tapped", "recent_action")


def _check_weights(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping) or set(value) != set(_WEIGHT_NAMES):
        raise ParameterError(
            attribute.name, "ReadinessModel", f"weights for exactly {list(_WEIGHT_NAMES)}", value
        )
    for name, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ParameterError(
                attribute.name, "ReadinessModel", f"a non-negative weight for {name}", weight
            )
    if abs(sum(value.values()) - 100) > 1e-9:
        raise ParameterError(
            attribute.name, "ReadinessModel", "weights adding up to 100", sum(value.values())
        )


def _default_weights() -> Mapping[str, float]:
    return MappingProxyType(
        {"promoter": 40, "satisfied": 20, "tenure": 15, "not_recently_tapped": 15, "recent_action": 10}
    )


@attrs.frozen
class ReadinessModel:
    """How the referral readiness score (0-100) of an account is made up at an instant t.

    Each component met adds its weight:

    - ``promoter``: the account's latest NPS answer in the ``signal_days`` before t scores at
      least ``promoter_score``;
    - ``satisfied``: its latest CSAT answer in that span scores at least ``satisfied_score``;
    - ``tenure``: onboarding completed at least ``tenure_days`` before t (an account with no
      onboarding date gets no tenure points);
    - ``not_recently_tapped``: ``tap_policy`` would allow a high-effort ask to the account at t:
      no high-effort ask to any of its contacts in the gap before t still blocks one;
    - ``recent_action``: an advocacy action of the account in the ``signal_days`` before t.

    Examples:
        >>> ReadinessModel().weights["promoter"]
        40
        >>> ReadinessModel(weights={"promoter": 50, "satisfied": 50, "tenure": 0,
        ...                         "not_recently_tapped": 0, "recent_action": 0}).signal_days
        180
    """

    weights: Mapping[str, float] = attrs.field(
        factory=_default_weights,
        converter=_freeze_effort,
        validator=_check_weights,
        eq=attrs.cmp_using(eq=lambda a, b: dict(a) == dict(b)),
        hash=False,
    )
    signal_days: int = attrs.field(default=180, converter=_as_int, validator=_positive("ReadinessModel"))
    tenure_days: int = attrs.field(default=90, converter=_as_int, validator=_positive("ReadinessModel"))
    promoter_score: int = attrs.field(default=9, converter=_as_int, validator=_score_between(0, 10))
    satisfied_score: int = attrs.field(default=4, converter=_as_int, validator=_score_between(1, 5))
    tap_policy: TapPolicy = attrs.field(default=DEFAULT_TAP_POLICY, validator=_check_tap_policy)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, recorded in results so a score says which model produced it.

        Examples:
            >>> ReadinessModel().to_dict()["high_effort_gap_months"]
            3
        """
        return {
            "weights": dict(self.weights),
            "signal_days": self.signal_days,
            "tenure_days": self.tenure_days,
            "promoter_score": self.promoter_score,
            "satisfied_score": self.satisfied_score,
            "high_effort_gap_months": self.tap_policy.high_effort_gap_months,
            "high_effort_assets": sorted(
                a.value for a in Asset if self.tap_policy.effort_of(a) is Effort.HIGH
            ),
        }


DEFAULT_READINESS_MODEL: Final = ReadinessModel()
"""Promoter 40, satisfied 20, tenure 15, not recently tapped 15, recent action 10."""
