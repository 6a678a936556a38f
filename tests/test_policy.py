"""The tap policy and the readiness model: calendar gaps, classification and validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import Asset, Effort, ParameterError
from advocacy_kpis.policy import (
    DEFAULT_EFFORT,
    DEFAULT_READINESS_MODEL,
    DEFAULT_TAP_POLICY,
    ReadinessModel,
    TapPolicy,
)


def test_default_classification_follows_the_catalogue() -> None:
    high = {a for a in Asset if DEFAULT_TAP_POLICY.effort_of(a) is Effort.HIGH}
    assert high == {Asset.REFERENCE, Asset.CASE_STUDY, Asset.SPEAKING}


def test_gaps_are_calendar_months() -> None:
    # 31 January + 1 month is 28 February (dateutil clips to the month's end), + 3 months 30 April.
    jan31 = datetime(2026, 1, 31, tzinfo=UTC)
    assert DEFAULT_TAP_POLICY.earliest_next(jan31, Effort.LOW) == datetime(2026, 2, 28, tzinfo=UTC)
    assert DEFAULT_TAP_POLICY.earliest_next(jan31, Effort.HIGH) == datetime(2026, 4, 30, tzinfo=UTC)


def test_an_ask_exactly_at_the_gap_respects_the_policy() -> None:
    first = datetime(2026, 3, 15, tzinfo=UTC)
    assert DEFAULT_TAP_POLICY.allows(first, datetime(2026, 6, 15, tzinfo=UTC), Effort.HIGH)
    assert not DEFAULT_TAP_POLICY.allows(first, datetime(2026, 6, 14, 23, tzinfo=UTC), Effort.HIGH)
    assert DEFAULT_TAP_POLICY.allows(None, first, Effort.HIGH)


@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 400))
def test_allows_is_monotone_in_the_second_ask(high: int, low: int, days: int) -> None:
    from datetime import timedelta

    policy = TapPolicy(high_effort_gap_months=high, low_effort_gap_months=low)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    second = first + timedelta(days=days)
    for effort in Effort:
        if policy.allows(first, second, effort):
            assert policy.allows(first, second + timedelta(days=1), effort)


def test_policy_validates_its_settings() -> None:
    with pytest.raises(ParameterError, match="'high_effort_gap_months'.*positive integer.*0"):
        TapPolicy(high_effort_gap_months=0)
    with pytest.raises(ParameterError, match="'effort'.*every Asset"):
        TapPolicy(effort={Asset.REVIEW: Effort.LOW})


def test_readiness_model_validates_weights_and_spans() -> None:
    with pytest.raises(ParameterError, match="adding up to 100"):
        ReadinessModel(
            weights={
                "promoter": 10,
                "satisfied": 10,
                "tenure": 10,
                "not_recently_tapped": 10,
                "recent_action": 10,
            }
        )
    with pytest.raises(ParameterError, match="'signal_days'"):
        ReadinessModel(signal_days=0)
    assert ReadinessModel() == ReadinessModel()


def test_gap_and_effort_follow_a_custom_policy() -> None:
    # A team that treats reviews as heavy and spaces heavy asks six months apart.
    effort = {**DEFAULT_EFFORT, Asset.REVIEW: Effort.HIGH}
    policy = TapPolicy(high_effort_gap_months=6, effort=effort)
    assert policy.effort_of(Asset.REVIEW) is Effort.HIGH
    assert policy.gap(Effort.HIGH) == relativedelta(months=6)
    assert policy.gap(Effort.LOW) == relativedelta(months=1)
    assert policy != DEFAULT_TAP_POLICY
    assert TapPolicy(effort=dict(DEFAULT_EFFORT)) == DEFAULT_TAP_POLICY


def test_policy_classification_cannot_be_changed_afterwards() -> None:
    effort = dict(DEFAULT_EFFORT)
    policy = TapPolicy(effort=effort)
    effort[Asset.REFERRAL] = Effort.HIGH  # the caller's dict, not the policy's copy
    assert policy.effort_of(Asset.REFERRAL) is Effort.LOW
    with pytest.raises(TypeError):
        policy.effort[Asset.REFERRAL] = Effort.HIGH  # type: ignore[index]


def test_readiness_model_validates_scores_weights_and_policy() -> None:
    weights = {"promoter": 40, "satisfied": 20, "tenure": 15, "not_recently_tapped": 15, "recent_action": 10}
    with pytest.raises(ParameterError, match="'weights'.*non-negative weight for tenure"):
        ReadinessModel(weights={**weights, "tenure": -15, "promoter": 70})
    with pytest.raises(ParameterError, match="'weights'.*weights for exactly"):
        ReadinessModel(weights={**weights, "loyalty": 0})
    with pytest.raises(ParameterError, match="'promoter_score'.*from 0 to 10"):
        ReadinessModel(promoter_score=11)
    with pytest.raises(ParameterError, match="'satisfied_score'.*from 1 to 5"):
        ReadinessModel(satisfied_score=0)
    with pytest.raises(ParameterError, match="'tenure_days'.*positive integer"):
        ReadinessModel(tenure_days=1.5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'tap_policy'.*a TapPolicy"):
        ReadinessModel(tap_policy="quarterly")  # type: ignore[arg-type]
    model = ReadinessModel(weights={**weights, "promoter": 45, "recent_action": 5})
    assert model.weights["promoter"] == 45 and model != DEFAULT_READINESS_MODEL
    assert hash(DEFAULT_READINESS_MODEL) == hash(ReadinessModel())


def test_policies_are_importable_from_the_package() -> None:
    import advocacy_kpis

    assert advocacy_kpis.TapPolicy is TapPolicy and advocacy_kpis.ReadinessModel is ReadinessModel
    assert "TapPolicy" in advocacy_kpis.__all__ and "ReadinessModel" in advocacy_kpis.__all__


def test_integers_of_any_kind_are_accepted_as_policy_settings() -> None:
    import numpy as np

    from advocacy_kpis.policy import ReadinessModel, TapPolicy

    policy = TapPolicy(high_effort_gap_months=np.int64(2), low_effort_gap_months=np.int32(1))  # type: ignore[arg-type]
    assert policy == TapPolicy(high_effort_gap_months=2) and type(policy.high_effort_gap_months) is int
    model = ReadinessModel(signal_days=np.int64(90), promoter_score=np.int8(10))  # type: ignore[arg-type]
    assert (model.signal_days, model.promoter_score) == (90, 10) and type(model.signal_days) is int
