"""Family 2, advocate identification and engagement: who advocates, how soon, how often."""

from __future__ import annotations

from datetime import datetime

from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.metrics._common import check_args, survival_result
from advocacy_kpis.records import Account, Referral
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import Segment, Window

__all__ = ["time_to_first_referral"]


def activation_of(account: Account) -> datetime:
    """When an account's clock starts for time to first referral: activation, else customer_since."""
    return account.activated_at if account.activated_at is not None else account.customer_since


def censoring_of(account: Account, as_of: datetime) -> datetime:
    """When observation of an account stops: its churn, else ``as_of``."""
    return account.churned_at if account.churned_at is not None else as_of


TTFR_SPEC = MetricSpec(
    id="time_to_first_referral",
    number=17,
    name="Time to First Referral",
    family=Family.ENGAGEMENT,
    kind=MetricKind.SURVIVAL,
    definition=(
        "How long new customers take to send their first referral, measured from activation. Most "
        "customers never refer, so the value is the Kaplan-Meier median: accounts that have not "
        "referred yet count as 'not yet' up to the day they were last observed, instead of being "
        "dropped or given a made-up date."
    ),
    formula="Kaplan-Meier median of days from activation to the first referral sent",
    formula_latex=(
        r"\tilde t = \min\{t : \hat S(t) \leq 0.5\}, \quad "
        r"\hat S(t) = \prod_{t_i \leq t} \left(1 - \frac{d_i}{n_i}\right)"
    ),
    unit=Unit.DAYS,
    direction=Direction.LOWER_IS_BETTER,
    population="Accounts activated in W (activated_at, else customer_since).",
    window_semantics=(
        "The cohort is the accounts whose activation instant is in W. Each is followed from activation "
        "to its first referral at or after activation; accounts without one are censored at as_of, or "
        "at churn if they churned first."
    ),
    undefined_when=(
        "The cohort is empty, or fewer than half of it referred within the observed time (the median "
        "is not reached); the shares by 30, 90 and 180 days are still given."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="002",
    pitfalls=(
        Pitfall(
            "Averaging over the customers who have referred, ignoring those who have not yet.",
            "Kaplan-Meier with censoring; the naive mean of observed times is shown only in details.",
        ),
        Pitfall(
            "Reporting a median when most customers never refer.",
            "The median is undefined with a reason unless the curve falls to one half; shares by horizon are reported.",
        ),
    ),
    related=("time_to_advocacy", "referral_program_participation_rate", "client_referral_rate"),
    interpretation=(
        "The seed speaks of an average time; an average over referrers only is biased (it ignores "
        "those who have not referred), so the library reports the Kaplan-Meier median and the share "
        "that referred by 30, 90 and 180 days. A referral sent before activation does not count as the first."
    ),
)


@metric(TTFR_SPEC)
def time_to_first_referral(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
) -> MetricResult:
    r"""Kaplan-Meier median days from activation to first referral, for accounts activated in ``window``.

    .. math:: \tilde t = \min\{t : \hat S(t) \leq 0.5\}

    Args:
        data: the data set.
        window: accounts activated in this window form the cohort.
        segment: accounts counted (default: all).

    Returns:
        Days (float); components ``cohort``, ``events``, ``censored``; details hold the share
        that referred by 30, 90 and 180 days and the naive mean over those who did.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        The cohort is empty, or the survival curve never falls to one half.

    Example:
        >>> from advocacy_kpis.sample import tiny
        >>> r = time_to_first_referral(tiny(), window=Window.year(2025))
        >>> r.value, dict(r.components)
        (90.0, {'cohort': 2, 'events': 2, 'censored': 0})
        >>> time_to_first_referral(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts activated in the window and segment'
    """
    chosen = check_args(TTFR_SPEC, data, window, segment, None)
    subjects: dict[str, tuple[datetime, datetime | None, datetime]] = {}
    for account in data.accounts_stamped("activation", window, chosen):
        origin = activation_of(account)
        first = data.first_event(Referral, account.id, at_or_after=origin)
        subjects[account.id] = (
            origin,
            first.invited_at if first else None,
            censoring_of(account, data.as_of),
        )
    return survival_result(
        TTFR_SPEC, data, window=window, segment=chosen, subjects=subjects, event_name="a referral",
        empty_reason="no accounts activated in the window and segment",
    )  # fmt: skip
