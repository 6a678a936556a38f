"""Family 3, referral programme impact: what referrals bring in."""

from __future__ import annotations

from datetime import timedelta

from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Parameter,
    Pitfall,
    SegmentUse,
    SignalType,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.formulas import referral_conversion_rate as conversion_formula
from advocacy_kpis.metrics._common import (
    account_share,
    build,
    check_args,
    check_confidence,
    positive_int,
    weight_note,
)
from advocacy_kpis.records import Referral
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import wilson_interval

__all__ = ["client_referral_rate", "referral_conversion_rate"]

REFERRED = (
    "An account counts as acquired through a referral when its acquisition_channel is 'referral' "
    "or a referral names it as converted_account_id."
)

CLIENT_REFERRAL_SPEC = MetricSpec(
    id="client_referral_rate",
    number=19,
    name="Client Referral Rate",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of the customers won in the window that came through a referral from an existing "
        "customer: how much of new-logo growth word of mouth delivers."
    ),
    formula="client referral rate = new customers acquired through a referral / new customers",
    formula_latex=r"\frac{|N \cap \mathrm{Referred}|}{|N|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="N, the accounts whose customer_since is in W.",
    window_semantics="New customers are those with customer_since in W (half-open). " + REFERRED,
    undefined_when="No new customer in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.GROWTH,
    seed="004 (worked example: 50 of 200 new clients referred gives 25%)",
    pitfalls=(
        Pitfall(
            "Dividing referred new customers by all customers, which shrinks the rate as the base grows.",
            "The denominator is the window's new customers only.",
        ),
        Pitfall(
            "Counting referrals sent instead of customers won.",
            "Only accounts that became customers in W count; referral_conversion_rate covers the invitations.",
        ),
    ),
    related=("new_customers_from_referrals", "referral_conversion_rate", "revenue_from_referrals"),
    interpretation=(
        REFERRED + " The revenue-weighted variant weights each new customer by its run rate at W.end, "
        "since new customers have none at W.start."
    ),
)


@metric(CLIENT_REFERRAL_SPEC)
def client_referral_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the customers acquired in ``window`` that came through a referral.

    .. math:: \frac{|N \cap \mathrm{Referred}|}{|N|}

    Args:
        data: the data set.
        window: new customers have ``customer_since`` in this window.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis: weights each new customer by its run rate at
            ``window.end``.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; numerator and denominator are the referred and all new customers.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account became a customer in the window and segment.

    Example:
        >>> from advocacy_kpis.sample import tiny
        >>> r = client_referral_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> client_referral_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    chosen = check_args(CLIENT_REFERRAL_SPEC, data, window, segment, basis)
    new = data.cohort(window, chosen).new
    return account_share(
        CLIENT_REFERRAL_SPEC, data, window=window, segment=chosen, basis=basis,
        hits=new & data.referred_accounts(), population=new, weight_at=window.end,
        empty_reason="no new customers in the window and segment",
        confidence=check_confidence(confidence, CLIENT_REFERRAL_SPEC.id),
        details=weight_note(window.end) if basis else None,
    )  # fmt: skip


CONVERSION_SPEC = MetricSpec(
    id="referral_conversion_rate",
    number=20,
    name="Referral Conversion Rate",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the referrals sent in the window, the share whose referred prospect became a customer "
        "within a fixed horizon of the invitation. Referrals too recent to have had the full horizon "
        "are left out until they mature, so recent windows are not dragged down by conversions that "
        "have not had time to happen."
    ),
    formula="converted within horizon / referrals sent in W that have matured",
    formula_latex=(
        r"\frac{\#\{r \in W : c_r \leq i_r + h\}}{\#\{r \in W : i_r + h \leq \mathrm{as\_of} \lor c_r \leq i_r + h\}}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Referrals with invited_at in W, segmented by the referring account.",
    window_semantics=(
        "A referral is in W when invited_at is in W. It converted when converted_at <= invited_at + "
        "horizon. It has matured when invited_at + horizon <= as_of, or it has converted already."
    ),
    undefined_when="No referral sent in the window has matured by as_of.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001",
    parameters=(Parameter("horizon_days", 90, "days after the invitation a conversion may take"),),
    pitfalls=(
        Pitfall(
            "Dividing by every referral sent, including last week's, so the latest period always looks worst.",
            "Immature referrals are excluded and counted in components and a warning.",
        ),
        Pitfall(
            "Counting conversions in W regardless of when the referral was sent (mixing cohorts).",
            "The cohort is the referrals sent in W; each is followed for the same horizon.",
        ),
    ),
    related=("client_referral_rate", "new_customers_from_referrals", "referral_invitation_rate"),
    interpretation=(
        "The sources give no horizon; the library uses 90 days by default and makes it a parameter. "
        "A referral converted after its horizon counts as matured and not converted."
    ),
)


@metric(CONVERSION_SPEC)
def referral_conversion_rate(
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    horizon_days: int = 90,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the matured referrals sent in ``window`` that converted within ``horizon_days``.

    .. math:: \frac{\#\{r : c_r \leq i_r + h\}}{\#\{r : i_r + h \leq \mathrm{as\_of} \lor c_r \leq i_r + h\}}

    Args:
        data: the data set.
        window: referrals with ``invited_at`` in this window form the cohort.
        segment: referring accounts counted (default: all).
        horizon_days: how long after the invitation a conversion counts.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; components ``sent``, ``matured``, ``converted``, ``immature_excluded``.

    Raises:
        ParameterError: a bad argument (``horizon_days`` must be a positive integer).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No referral of the window has matured by ``as_of``.

    Example:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_conversion_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, dict(r.components)
        (0.5, {'sent': 2, 'matured': 2, 'converted': 1, 'immature_excluded': 0})
        >>> referral_conversion_rate(tiny(), window=Window.quarter(2026, 3)).undefined_reason
        'none of the 1 referrals sent in the window has matured (horizon 90 days)'
    """
    chosen = check_args(CONVERSION_SPEC, data, window, segment, None)
    level = check_confidence(confidence, CONVERSION_SPEC.id)
    horizon = timedelta(days=positive_int(horizon_days, "horizon_days", CONVERSION_SPEC.id))
    sent = data.events(Referral, window, chosen)
    converted = matured = 0
    for referral in sent:
        in_time = referral.converted_at is not None and referral.converted_at <= referral.invited_at + horizon
        converted += in_time
        matured += in_time or referral.invited_at + horizon <= data.as_of
    immature = len(sent) - matured
    warnings = []
    if immature:
        warnings.append(f"{immature} referrals sent in the window have not matured by as_of and are excluded")
    reason = (
        f"none of the {len(sent)} referrals sent in the window has matured (horizon {horizon_days} days)"
        if sent
        else "no referrals sent in the window and segment"
    )
    return build(
        CONVERSION_SPEC, data, window=window, segment=chosen,
        value=conversion_formula(converted, matured), undefined_reason=reason, numerator=converted,
        denominator=matured, sample_size=matured, interval=wilson_interval(converted, matured, level),
        components={"sent": len(sent), "matured": matured, "converted": converted,
                    "immature_excluded": immature},
        details={"horizon_days": horizon_days}, warnings=warnings,
    )  # fmt: skip
