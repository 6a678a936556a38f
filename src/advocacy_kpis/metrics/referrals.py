"""Family 3, referral programme impact: what referrals bring in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

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
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import new_customers_from_referrals as new_from_referrals_formula
from advocacy_kpis.formulas import proportion, rate_lift, weighted_share
from advocacy_kpis.formulas import referral_account_revenue_contribution as contribution_formula
from advocacy_kpis.formulas import referral_campaign_roi as roi_formula
from advocacy_kpis.formulas import referral_conversion_rate as conversion_formula
from advocacy_kpis.formulas import referral_invitation_rate as invitation_formula
from advocacy_kpis.formulas import referral_pipeline_contribution_rate as pipeline_formula
from advocacy_kpis.formulas import referral_retention_rate as retention_formula
from advocacy_kpis.formulas import revenue_from_referrals as revenue_formula
from advocacy_kpis.metrics._common import (
    account_hits,
    check_confidence,
    cohort_tallies,
    observation,
    positive,
    share,
    unsegmented_note,
    weight_note,
    zero,
)
from advocacy_kpis.records import Account, Contract, Opportunity, ProgramCost, Referral
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import (
    cumulative_incidence,
    kaplan_meier,
    poisson_rate_interval,
    two_proportion_test,
    wilson_interval,
)
from advocacy_kpis.tally import Cell, Definition, Run, Tally, register

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = [
    "client_referral_rate",
    "new_customers_from_referrals",
    "referral_account_revenue_contribution",
    "referral_campaign_roi",
    "referral_conversion_rate",
    "referral_invitation_rate",
    "referral_pipeline_contribution_rate",
    "referral_retention_rate",
    "revenue_from_referrals",
]

REFERRAL_SOURCE = "referral"
"""The opportunity source, and the programme name of costs, that mean the referral programme."""

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
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the customers acquired in ``window`` that came through a referral.

    .. math:: \frac{|N \cap \mathrm{Referred}|}{|N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
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

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = client_referral_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> client_referral_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return CLIENT_REFERRAL.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


def is_referred(data: AdvocacyData) -> Callable[[Account], bool]:
    """Whether an account was acquired through a referral (see `REFERRED`)."""
    referred = data.referred_accounts()
    return lambda account: account.id in referred


def _referred_cohorts(run: Run, weigh: tuple[str, ...]) -> list[Tally]:
    """Cohort sizes over all accounts, with those of referred accounts as ``referred_<name>``."""
    every = cohort_tallies(run, weigh=weigh)
    referred = cohort_tallies(run, key="referred", accept=is_referred(run.data), weigh=weigh)
    for whole, part in zip(every, referred, strict=True):
        whole.update({f"referred_{name}": value for name, value in part.items()})
    return every


def _client_referral_finish(cell: Cell, tally: Tally) -> MetricResult:
    return share(
        cell, tally, hits="referred_new", population="new",
        empty_reason="no new customers in the window and segment",
        weights_at="each account's last instant as a customer in W",
    )  # fmt: skip


CLIENT_REFERRAL = register(
    Definition(
        CLIENT_REFERRAL_SPEC,
        lambda run: _referred_cohorts(run, ("new",)),
        _client_referral_finish,
        checks={"confidence": check_confidence},
    )
)


CONVERSION_SPEC = MetricSpec(
    id="referral_conversion_rate",
    number=20,
    name="Referral Conversion Rate",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the referrals sent in the window, the share whose referred prospect became a customer "
        "within a fixed horizon of the invitation. Only referrals that have had the whole horizon "
        "to convert are counted, converted or not, so a young cohort is never judged on its early "
        "successes alone. For young cohorts a survival estimate over every referral is available."
    ),
    formula="first-touch conversions within horizon / referrals sent in W whose horizon has passed",
    formula_latex=(
        r"\frac{\#\{r \in W : i_r + h \leq \mathrm{as\_of},\ c_r \leq i_r + h,\ r \text{ first touch}\}}"
        r"{\#\{r \in W : i_r + h \leq \mathrm{as\_of}\}}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Referrals with invited_at in W, segmented by the referring account.",
    window_semantics=(
        "A referral is in W when invited_at is in W. It has matured when invited_at + horizon <= as_of; "
        "a referral that has not matured is left out even if it already converted. It converted when "
        "converted_at <= invited_at + horizon and it is the first touch: the earliest invitation (ties "
        "by id) among all referrals naming the same converted account."
    ),
    undefined_when=(
        "No referral sent in the window has matured by as_of (the cumulative-incidence estimator: the "
        "follow-up of the cohort does not reach the horizon yet)."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001",
    parameters=(
        Parameter("horizon_days", 90, "days after the invitation a conversion may take"),
        Parameter(
            "estimator",
            "matured",
            "'matured' (share of matured referrals) or 'cumulative_incidence' (Kaplan-Meier over all)",
        ),
    ),
    pitfalls=(
        Pitfall(
            "Dividing by every referral sent, including last week's, so the latest period always looks worst.",
            "Immature referrals are excluded and counted in components and a warning.",
        ),
        Pitfall(
            "Keeping the early conversions of a young cohort while dropping its other immature referrals, "
            "so the rate reads high (100% from four early converters).",
            "Immature referrals are excluded whether or not they converted; the cumulative-incidence "
            "estimator gives young cohorts an unbiased, wider answer.",
        ),
        Pitfall(
            "Counting one new customer several times because several people referred it.",
            "Only the first touch converts; the later referrals naming the same account are counted in details.",
        ),
        Pitfall(
            "Counting conversions in W regardless of when the referral was sent (mixing cohorts).",
            "The cohort is the referrals sent in W; each is followed for the same horizon.",
        ),
    ),
    related=("client_referral_rate", "new_customers_from_referrals", "referral_invitation_rate"),
    interpretation=(
        "The sources give no horizon; the library uses 90 days by default and makes it a parameter. A "
        "referral converted after its horizon counts as matured and not converted. When several "
        "referrals name one converted account, the earliest invitation is the conversion (first touch). "
        "The cumulative-incidence estimator is the Kaplan-Meier probability of converting within the "
        "horizon, every referral censored at as_of, with Greenwood's interval."
    ),
    version=2,
)


@metric(CONVERSION_SPEC)
def referral_conversion_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    horizon_days: int = 90,
    estimator: str = "matured",
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the referrals sent in ``window`` that converted within ``horizon_days``.

    .. math:: \frac{\#\{\text{matured, converted in time, first touch}\}}{\#\{\text{matured}\}}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: referrals with ``invited_at`` in this window form the cohort.
        segment: referring accounts counted (default: all).
        horizon_days: days after the invitation a conversion may take.
        estimator: ``"matured"``: the share among referrals whose horizon has passed by
            ``as_of``; ``"cumulative_incidence"``: the Kaplan-Meier probability of converting
            within the horizon over every referral of the cohort, censored at ``as_of``.
        confidence: level of the interval (Wilson, or Greenwood's for cumulative incidence).

    Returns:
        A rate in [0, 1]; components ``sent``, ``matured``, ``converted``,
        ``immature_excluded``; ``details["later_touches"]``: conversions not counted because an
        earlier referral named the same account.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No referral sent in the window has matured by ``as_of`` (cumulative incidence: the
        follow-up does not reach the horizon).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_conversion_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, dict(r.components)
        (0.5, {'sent': 2, 'matured': 2, 'converted': 1, 'immature_excluded': 0})
        >>> referral_conversion_rate(tiny(), window=Window.quarter(2026, 3)).undefined_reason
        'none of the 1 referrals sent in the window has matured (horizon 90 days)'
    """
    return CONVERSION.one(
        data, window=window, segment=segment, horizon_days=horizon_days, estimator=estimator,
        confidence=confidence,
    )  # fmt: skip


def first_touches(data: AdvocacyData) -> frozenset[str]:
    """Ids of the referrals that are the first touch of the account they converted.

    Among the referrals naming one converted account, the earliest invitation (ties: the lower
    id) is the first touch.
    """

    def build() -> frozenset[str]:
        first: dict[str, Referral] = {}
        for referral in data.referrals:
            target = referral.converted_account_id
            if target is None:
                continue
            held = first.get(target)
            if held is None or (referral.invited_at, referral.id) < (held.invited_at, held.id):
                first[target] = referral
        return frozenset(r.id for r in first.values())

    return data._cached("first_touch_referrals", build)


def _check_estimator(value: object, function: str) -> str:
    if value not in ("matured", "cumulative_incidence"):
        raise ParameterError("estimator", function, "'matured' or 'cumulative_incidence'", value)
    return str(value)


def _conversion_tally(run: Run) -> list[Tally]:
    grid = run.grid
    horizon = timedelta(days=run.params["horizon_days"])
    survival = run.params["estimator"] == "cumulative_incidence"
    as_of = run.data.as_of
    firsts = first_touches(run.data)
    sent: dict[int, int] = {}
    matured: dict[int, int] = {}
    converted: dict[int, int] = {}
    later: dict[int, int] = {}
    observations: dict[int, list[tuple[float, bool]]] = {}
    profile_of = grid.account_profile
    for referral in grid.records(Referral):
        key = grid.slot(referral.invited_at, profile_of(referral.account_id))
        if key < 0:
            continue
        due = referral.invited_at + horizon
        converted_at = referral.converted_at
        first = converted_at is not None and (referral.converted_account_id is None or referral.id in firsts)
        sent[key] = sent.get(key, 0) + 1
        if converted_at is not None and not first:
            later[key] = later.get(key, 0) + 1
        if due <= as_of:
            matured[key] = matured.get(key, 0) + 1
            if first and converted_at is not None and converted_at <= due:
                converted[key] = converted.get(key, 0) + 1
        if survival:
            seen = observation(referral.invited_at, converted_at if first else None, as_of)
            observations.setdefault(key, []).append(seen)
    counts = {
        name: grid.spread(values, 0)
        for name, values in (
            ("sent", sent),
            ("matured", matured),
            ("converted", converted),
            ("later_touches", later),
        )
    }
    spread_observations: list[list[tuple[float, bool]]] = grid.spread(observations, [])
    return [
        {**{name: values[c] for name, values in counts.items()}, "observations": spread_observations[c]}
        for c in range(grid.n_cells)
    ]


def _conversion_finish(cell: Cell, tally: Tally) -> MetricResult:
    sent, matured, converted = tally["sent"], tally["matured"], tally["converted"]
    horizon_days = cell.params["horizon_days"]
    immature = sent - matured
    components = {"sent": sent, "matured": matured, "converted": converted, "immature_excluded": immature}
    details: dict[str, Any] = {
        "horizon_days": horizon_days,
        "estimator": cell.params["estimator"],
        "later_touches": tally["later_touches"],
    }
    if cell.params["estimator"] == "cumulative_incidence":
        observations = sorted(tally["observations"])
        curve = kaplan_meier([d for d, _ in observations], [o for _, o in observations])
        share, interval = cumulative_incidence(curve, float(horizon_days), cell.params["confidence"])
        reason = (
            f"the follow-up of the referrals sent in the window reaches {curve.longest:.0f} days, "
            f"short of the {horizon_days}-day horizon"
            if sent
            else "no referrals sent in the window and segment"
        )
        return cell.build(
            value=share, undefined_reason=reason, sample_size=sent, interval=interval,
            components=components, details=details,
        )  # fmt: skip
    warnings = []
    if immature:
        warnings.append(
            f"{immature} referrals sent in the window have not matured by as_of and are excluded, "
            "converted or not; estimator='cumulative_incidence' uses them all"
        )
    reason = (
        f"none of the {sent} referrals sent in the window has matured (horizon {horizon_days} days)"
        if sent
        else "no referrals sent in the window and segment"
    )
    return cell.build(
        value=conversion_formula(converted, matured), undefined_reason=reason, numerator=converted,
        denominator=matured, sample_size=matured,
        interval=wilson_interval(converted, matured, cell.params["confidence"]),
        components=components, details=details, warnings=warnings,
    )  # fmt: skip


CONVERSION = register(
    Definition(
        CONVERSION_SPEC,
        _conversion_tally,
        _conversion_finish,
        checks={
            "confidence": check_confidence,
            "horizon_days": positive("horizon_days"),
            "estimator": _check_estimator,
        },
        needs=("referrals",),
    )
)


def _required(basis: RevenueBasis | None) -> RevenueBasis:
    """The basis `check_args` has already insisted on, with its type narrowed."""
    if basis is None:  # pragma: no cover - check_args refuses a missing basis first
        raise ParameterError("basis", "referral metrics", "a RevenueBasis (required)", None)
    return basis


NEW_FROM_REFERRALS_SPEC = MetricSpec(
    id="new_customers_from_referrals",
    number=21,
    name="New Users from Referrals",
    family=Family.REFERRALS,
    kind=MetricKind.COUNT,
    definition=(
        "How many accounts became customers in the window through a referral from an existing "
        "customer: the volume word of mouth adds to new-logo growth, where client_referral_rate "
        "gives its share."
    ),
    formula="new customers from referrals = |N ∩ Referred|",
    formula_latex=r"|N \cap \mathrm{Referred}|",
    unit=Unit.COUNT,
    direction=Direction.HIGHER_IS_BETTER,
    population="N, the accounts whose customer_since is in W, of which those acquired through a referral.",
    window_semantics=(
        "An account is new in W when its customer_since is in W (half-open: one won exactly at W.end "
        "belongs to the next window). " + REFERRED
    ),
    undefined_when="Never: a window without a referred new customer has a count of 0, a real zero.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001, 002",
    pitfalls=(
        Pitfall(
            "Counting invitations or sign-ups through a referral link instead of customers actually won.",
            "Only accounts whose customer_since is in W count; invitations are referral_invitation_rate's.",
        ),
        Pitfall(
            "Counting an account twice when both its channel and a converted referral point to it.",
            "Accounts are counted as a set: a referred new customer counts once however many referrals name it.",
        ),
        Pitfall(
            "Comparing a month's count with a quarter's.",
            "Results carry their window; change_from() refuses windows of different length and tests "
            "counts with a conditional binomial test.",
        ),
    ),
    related=("client_referral_rate", "referral_conversion_rate", "revenue_from_referrals"),
    interpretation=(
        "The seeds count users who joined; the library counts accounts (new customers), not the people "
        "or seats within them. " + REFERRED + " When the referral was sent does not matter, only that "
        "customer_since falls in W. The interval is the Poisson score interval of the count."
    ),
)


@metric(NEW_FROM_REFERRALS_SPEC)
def new_customers_from_referrals(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Number of accounts acquired through a referral that became customers in ``window``.

    .. math:: |N \cap \mathrm{Referred}|

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: new customers have ``customer_since`` in this window.
        segment: accounts counted (default: all).
        confidence: level of the Poisson score interval of the count.

    Returns:
        A count (int); components ``referred_new_customers`` and ``new_customers``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        Never: no referred new customer is a count of 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = new_customers_from_referrals(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (1, {'referred_new_customers': 1, 'new_customers': 2})
        >>> new_customers_from_referrals(tiny(), window=Window.year(2020)).value
        0
    """
    return NEW_FROM_REFERRALS.one(data, window=window, segment=segment, confidence=confidence)


def _new_from_referrals_finish(cell: Cell, tally: Tally) -> MetricResult:
    count = new_from_referrals_formula(tally["referred_new"], tally["new"])
    return cell.build(
        value=count, sample_size=count,
        interval=poisson_rate_interval(count, 1.0, cell.params["confidence"]),
        components={"referred_new_customers": count, "new_customers": tally["new"]},
    )  # fmt: skip


NEW_FROM_REFERRALS = register(
    Definition(
        NEW_FROM_REFERRALS_SPEC,
        lambda run: _referred_cohorts(run, ()),
        _new_from_referrals_finish,
        checks={"confidence": check_confidence},
    )
)


_REVENUE_PARTS: Final = (
    ("first_contracts", "first_value"),
    ("additions", "addition_value"),
    ("renewals", "renewal_value"),
)
"""Each contract's part of revenue from referrals: (tally count, tally value), in that order."""


def contract_part(contract: Contract, earliest_start: datetime) -> int:
    """Index in `_REVENUE_PARTS` of a contract: 0 first contract, 1 addition, 2 renewal.

    A first contract renews nothing and starts at the account's earliest contract start; a
    renewal names the contract it renews; any other contract is an addition.
    """
    if contract.renewal_of is not None:
        return 2
    return 0 if contract.start == earliest_start else 1


def referral_revenue_tallies(run: Run) -> list[Tally]:
    """Per cell: contracts starting in W on referred accounts, valued on the run's basis.

    First contracts, additions and renewals are kept apart; shared by revenue_from_referrals and
    referral_campaign_roi.
    """
    grid, data = run.grid, run.data
    basis = _required(run.basis)
    referred = data.referred_accounts()
    sums: dict[str, dict[int, Any]] = {name: {} for part in _REVENUE_PARTS for name in part}
    billed: set[tuple[str, int]] = set()
    accounts: list[int] = [0] * grid.n_cells
    ns = grid.n_segments
    for contract in grid.records(Contract):
        if contract.account_id not in referred:
            continue
        key = grid.slot(contract.start, grid.account_profile(contract.account_id))
        if key < 0:
            continue
        # Converted once, here: the sums below only add values already in the basis currency.
        value = data.contract_value(contract, basis)
        earliest = data.first_event(Contract, contract.account_id)
        assert earliest is not None  # the account has at least this contract
        count, total = _REVENUE_PARTS[contract_part(contract, earliest.start)]
        sums[count][key] = sums[count].get(key, 0) + 1
        sums[total][key] = sums[total].get(key, zero()) + value
        segments = grid.account_segments(contract.account_id)
        for w in grid.windows_at(contract.start):
            if (contract.account_id, w) not in billed:
                billed.add((contract.account_id, w))
                for s in segments:
                    accounts[w * ns + s] += 1
    spread = {
        name: grid.spread(values, zero() if name.endswith("value") else 0) for name, values in sums.items()
    }
    return [
        {**{name: values[c] for name, values in spread.items()}, "accounts": accounts[c]}
        for c in range(grid.n_cells)
    ]


def _contracts(tally: Tally) -> int:
    return int(sum(tally[count] for count, _ in _REVENUE_PARTS))


def _revenue_components(tally: Tally) -> dict[str, Any]:
    return {
        "contracts": _contracts(tally),
        "first_contracts": tally["first_contracts"],
        "later_contracts": tally["additions"] + tally["renewals"],
        "renewals": tally["renewals"],
        "accounts": tally["accounts"],
        "first_contract_revenue": tally["first_value"],
        "later_contract_revenue": tally["addition_value"] + tally["renewal_value"],
    }


def _revenue_total(tally: Tally) -> Decimal:
    return revenue_formula(tuple(tally[value] for _, value in _REVENUE_PARTS))


NO_REFERRED_CONTRACTS = "no contracts started in W on referred accounts"

REVENUE_SPEC = MetricSpec(
    id="revenue_from_referrals",
    number=22,
    name="Revenue from Referrals",
    family=Family.REFERRALS,
    kind=MetricKind.SUM,
    definition=(
        "The value of the contracts that customers won through referrals signed in the window, on the "
        "chosen revenue basis: what the referral programme brings in, first deals, renewals and additions "
        "alike, with first-contract and later-contract revenue reported apart."
    ),
    formula="revenue from referrals = sum of the basis value of contracts starting in W on referred accounts",
    formula_latex=r"\sum_{c \,:\, s_c \in W,\ a_c \in \mathrm{Referred}} v_B(c)",
    unit=Unit.MONEY,
    direction=Direction.HIGHER_IS_BETTER,
    population="Contracts whose start is in W and whose account was acquired through a referral.",
    window_semantics=(
        "A contract belongs to W when its start is in W (half-open). Its value on the basis: ARR, its "
        "arr; MRR, arr / 12; ACV, the value of its first year (all of it when the term is a year or "
        "less); TCV, the whole term (tcv when given, else arr times the term in years). " + REFERRED
    ),
    undefined_when=(
        "Never: when no contract starts in W on a referred account the revenue is 0, with a warning."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.GROWTH,
    seed="001",
    pitfalls=(
        Pitfall(
            "Adding up amounts billed in different currencies as if they were one.",
            "Each contract is converted once into the basis currency through the basis' FX rates; a "
            "currency without a rate raises CurrencyMismatchError naming both currencies.",
        ),
        Pitfall(
            "Mixing ARR, ACV and TCV between periods, so one multi-year deal reads as a jump.",
            "The basis is required and recorded on the result; change_from() refuses a different basis.",
        ),
        Pitfall(
            "Crediting renewals and add-ons of accounts referred years ago to the referral as if they were "
            "new business.",
            "They count, but components give first-contract and later-contract revenue apart.",
        ),
    ),
    related=(
        "referral_campaign_roi",
        "referral_account_revenue_contribution",
        "new_customers_from_referrals",
    ),
    interpretation=(
        "The sources give no formula. The library takes every contract that starts in W on an account "
        "acquired through a referral, whenever that account was won, so renewals and expansions count. "
        "Components split first-contract revenue from later-contract revenue. The catalogue's 'the "
        "account's earliest contract' and 'a contract that renews nothing' part ways when an account adds "
        "a second contract beside its first, so the library makes it precise: a first contract renews "
        "nothing (renewal_of empty) and starts at the earliest start among all the account's contracts "
        "(several contracts signed together at that instant are all first); every other contract, a "
        "renewal or an addition, is later-contract revenue. Details keep the parts: first_contract_revenue, "
        "addition_revenue and renewal_revenue. Money summed over no contracts is a genuine 0, unlike a "
        "ratio with nothing to divide: the value is then Decimal 0 with the warning '"
        + NO_REFERRED_CONTRACTS
        + "'."
    ),
    version=3,
)


@metric(REVENUE_SPEC)
def revenue_from_referrals(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Value, on ``basis``, of the contracts starting in ``window`` on accounts acquired through a referral.

    .. math:: \sum_{c \,:\, s_c \in W,\ a_c \in \mathrm{Referred}} v_B(c)

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: contracts with ``start`` in this window count.
        segment: accounts whose contracts count (default: all).
        basis: required: ARR, MRR, ACV or TCV and the currency (with FX rates for other currencies).

    Returns:
        Money (Decimal in the basis currency); components ``contracts``, ``first_contracts``,
        ``later_contracts``, ``renewals``, ``accounts``, and the money ``first_contract_revenue``
        (the accounts' first contracts) and ``later_contract_revenue`` (renewals and additions);
        details ``first_contract_revenue``, ``addition_revenue`` and ``renewal_revenue``.

    Raises:
        ParameterError: a bad argument, or no basis.
        SegmentNotApplicableError: the segment names an unknown attribute.
        CurrencyMismatchError: a contract is in a currency the basis has no FX rate for.

    Undefined when:
        Never: with no contract the revenue is ``Decimal(0)`` and a warning says so.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> q3 = Window.quarter(2026, 3)
        >>> [revenue_from_referrals(tiny(), window=q3, basis=b("USD")).value
        ...  for b in (RevenueBasis.arr, RevenueBasis.mrr, RevenueBasis.acv, RevenueBasis.tcv)]
        [Decimal('24000'), Decimal('2000'), Decimal('24000'), Decimal('48000')]
        >>> r = revenue_from_referrals(tiny(), window=q3, basis=RevenueBasis.arr("USD"))
        >>> r.components["first_contract_revenue"], r.components["later_contract_revenue"]
        (Decimal('24000'), Decimal('0'))
        >>> r = revenue_from_referrals(tiny(), window=Window.quarter(2026, 2), basis=RevenueBasis.arr("USD"))
        >>> r.value, r.warnings
        (Decimal('0'), ('no contracts started in W on referred accounts',))
    """
    return REVENUE.one(data, window=window, segment=segment, basis=basis)


def _revenue_finish(cell: Cell, tally: Tally) -> MetricResult:
    components = _revenue_components(tally)
    return cell.build(
        value=_revenue_total(tally), sample_size=components["contracts"], components=components,
        details={"first_contract_revenue": tally["first_value"], "addition_revenue": tally["addition_value"],
                 "renewal_revenue": tally["renewal_value"]},
        warnings=() if components["contracts"] else (NO_REFERRED_CONTRACTS,), small_sample=False,
    )  # fmt: skip


REVENUE = register(Definition(REVENUE_SPEC, referral_revenue_tallies, _revenue_finish, needs=("contracts",)))


CONTRIBUTION_SPEC = MetricSpec(
    id="referral_account_revenue_contribution",
    number=23,
    name="Referral Account Revenue Contribution",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "The part of the recurring revenue base at the close of the window held by customers won through "
        "a referral: how much of the business word of mouth has built up, not just what it added lately."
    ),
    formula="ARR at W.end of referred customers at W.end / ARR at W.end of all customers at W.end",
    formula_latex=(
        r"\frac{\sum_{a \in E \cap \mathrm{Referred}} \mathrm{ARR}_a(W_{end})}{\sum_{a \in E} \mathrm{ARR}_a(W_{end})}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="E, the customers at W.end, each weighted by its run rate at W.end.",
    window_semantics=(
        "Only the instant W.end matters: customers then (customer_since before it, not churned before "
        "it) and their contracts live then (start < W.end <= end). " + REFERRED
    ),
    undefined_when="No customer at W.end in the segment, or their run rate at W.end adds up to 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.GROWTH,
    seed="001, 002",
    pitfalls=(
        Pitfall(
            "Dividing revenue recognised during the window, so the share follows billing dates.",
            "The share is of run rate (ARR or MRR) at the instant W.end; ACV and TCV bases are refused.",
        ),
        Pitfall(
            "Keeping referred accounts that have churned in the numerator.",
            "Only customers at W.end count, above and below the line alike.",
        ),
        Pitfall(
            "Reading a share of logos as a share of revenue.",
            "The value is revenue-weighted; the plain share of accounts is in details for comparison.",
        ),
    ),
    related=("revenue_from_referrals", "client_referral_rate", "referral_retention_rate"),
    interpretation=(
        "The seed speaks of total revenue; the library reads it as the recurring revenue base at the end "
        "of the window: the arr of contracts live at W.end of the customers at W.end (ARR and MRR give "
        "the same share). Contracts in another currency are converted once at the basis' rate."
    ),
)


@metric(CONTRIBUTION_SPEC)
def referral_account_revenue_contribution(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Share of the customers' run rate at ``window.end`` held by customers acquired through a referral.

    .. math::
        \frac{\sum_{a \in E \cap \mathrm{Referred}} \mathrm{ARR}_a(W_{end})}{\sum_{a \in E} \mathrm{ARR}_a(W_{end})}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: customers and run rates are read at ``window.end``.
        segment: accounts counted (default: all).
        basis: required ARR or MRR basis (ACV and TCV have no value at an instant).

    Returns:
        A rate in [0, 1]; numerator and denominator are the two run rates (Decimal); components
        count the accounts; ``details["account_share"]`` is the unweighted share of accounts.

    Raises:
        ParameterError: a bad argument, no basis, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.
        CurrencyMismatchError: a live contract is in a currency the basis has no FX rate for.

    Undefined when:
        No customer at ``window.end``, or their run rate then is 0.

    Examples:
        >>> from decimal import Decimal
        >>> from advocacy_kpis.sample import tiny
        >>> basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
        >>> r = referral_account_revenue_contribution(tiny(), window=Window.quarter(2026, 3), basis=basis)
        >>> round(r.value, 6), r.numerator, r.denominator
        (0.103914, Decimal('24000'), Decimal('230960.00'))
        >>> referral_account_revenue_contribution(tiny(), window=Window.year(2020), basis=basis).undefined_reason
        'no customers at the end of the window in the segment'
    """
    return CONTRIBUTION.one(data, window=window, segment=segment, basis=basis)


def _contribution_finish(cell: Cell, tally: Tally) -> MetricResult:
    basis = _required(cell.basis)
    part, whole = tally["referred_end_weight"], tally["end_weight"]
    customers, referred = tally["end"], tally["referred_end"]
    reason = (
        f"the customers at the end of the window have no {basis.name} then"
        if customers
        else "no customers at the end of the window in the segment"
    )
    return cell.build(
        value=contribution_formula(part, whole), undefined_reason=reason, numerator=part,
        denominator=whole, sample_size=customers,
        components={"referred_customers": referred, "customers": customers},
        details={"account_share": proportion(referred, customers), **weight_note(cell.window.end)},
    )  # fmt: skip


CONTRIBUTION = register(
    Definition(
        CONTRIBUTION_SPEC,
        lambda run: _referred_cohorts(run, ("end",)),
        _contribution_finish,
        run_rate=True,
        needs=("contracts",),
    )
)


PIPELINE_SPEC = MetricSpec(
    id="referral_pipeline_contribution_rate",
    number=24,
    name="Referral Opportunity Pipeline Contribution Rate",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the sales pipeline opened in the window, measured by the opportunities' amounts, the share "
        "that came from referrals."
    ),
    formula="amount of referral-sourced opportunities created in W / amount of all opportunities created in W",
    formula_latex=r"\frac{\sum_{o \in W,\ \mathrm{src}_o = \mathrm{referral}} x_o}{\sum_{o \in W} x_o}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Opportunities whose created_at is in W.",
    window_semantics=(
        "An opportunity belongs to W when created_at is in W, whatever becomes of it later. Each amount "
        "is converted into the basis currency once. A segment matches an opportunity through its account "
        "when it has one, else through its own attributes."
    ),
    undefined_when="No opportunity created in W in the segment, or their amounts add up to 0.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.CURRENCY,
    signal=SignalType.GROWTH,
    seed="001",
    pitfalls=(
        Pitfall(
            "Counting deals instead of their value, so many small referral deals look like a big share.",
            "The rate weighs opportunities by amount; the share by number is in details.",
        ),
        Pitfall(
            "Adding amounts in several currencies without converting them.",
            "Each amount is converted once through the basis' FX rates; a currency without a rate is a "
            "CurrencyMismatchError naming both currencies.",
        ),
        Pitfall(
            "Crediting every deal an advocate touched to referrals.",
            "Only opportunities whose source is 'referral' count; advocate_influenced_pipeline covers influence.",
        ),
    ),
    related=("advocate_influenced_pipeline", "referral_conversion_rate", "revenue_from_referrals"),
    interpretation=(
        "An opportunity is referral pipeline when its source is exactly 'referral'; influences do not "
        "count. The basis supplies only the currency: amounts are the opportunities' own, not contract "
        "values, so ARR, MRR, ACV and TCV bases in one currency give the same value."
    ),
)


@metric(PIPELINE_SPEC)
def referral_pipeline_contribution_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Share of the amount of opportunities created in ``window`` that referrals sourced.

    .. math:: \frac{\sum_{o \in W,\ \mathrm{src}_o = \mathrm{referral}} x_o}{\sum_{o \in W} x_o}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: opportunities with ``created_at`` in this window count.
        segment: matched through an opportunity's account, else its attributes (default: all).
        basis: required for its currency (and FX rates); its kind is not used.

    Returns:
        A rate in [0, 1]; numerator and denominator are the amounts (Decimal); components
        ``opportunities`` and ``referral_opportunities``; ``details["share_by_count"]``.

    Raises:
        ParameterError: a bad argument, or no basis.
        SegmentNotApplicableError: the segment names an attribute neither accounts nor
            opportunities carry.
        CurrencyMismatchError: an amount is in a currency the basis has no FX rate for.

    Undefined when:
        No opportunity was created in the window and segment, or their amounts add up to 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> usd = RevenueBasis.arr("USD")
        >>> r = referral_pipeline_contribution_rate(tiny(), window=Window.quarter(2026, 3), basis=usd)
        >>> r.value, r.numerator, r.denominator
        (0.5, Decimal('50000'), Decimal('100000'))
        >>> referral_pipeline_contribution_rate(tiny(), window=Window.year(2020), basis=usd).undefined_reason
        'no opportunities created in the window and segment'
    """
    return PIPELINE.one(data, window=window, segment=segment, basis=basis)


def _pipeline_tally(run: Run) -> list[Tally]:
    grid = run.grid
    currency = _required(run.basis)
    tallies: list[Tally] = [
        {"opportunities": 0, "referral_opportunities": 0, "amount": zero(), "referral_amount": zero(),
         "outside": 0}
        for _ in range(grid.n_cells)
    ]  # fmt: skip
    for opportunity in grid.records(Opportunity):
        instant = opportunity.created_at
        outside = grid.outside_segments(opportunity)
        if outside:
            for c in grid.cells_at(instant, outside):
                tallies[c]["outside"] += 1
        cells = grid.cells_at(instant, grid.record_segments(opportunity))
        if not cells:
            continue
        amount = currency.convert(opportunity.amount, opportunity.currency, f"Opportunity {opportunity.id!r}")
        referral = opportunity.source == REFERRAL_SOURCE
        for c in cells:
            tally = tallies[c]
            tally["opportunities"] += 1
            tally["amount"] += amount
            if referral:
                tally["referral_opportunities"] += 1
                tally["referral_amount"] += amount
    return tallies


def _pipeline_finish(cell: Cell, tally: Tally) -> MetricResult:
    part, whole = tally["referral_amount"], tally["amount"]
    count, referral = tally["opportunities"], tally["referral_opportunities"]
    reason = (
        "the opportunities created in the window have a total amount of 0"
        if count
        else "no opportunities created in the window and segment"
    )
    outside = tally["outside"]
    return cell.build(
        value=pipeline_formula(part, whole), undefined_reason=reason, numerator=part, denominator=whole,
        sample_size=count, components={"opportunities": count, "referral_opportunities": referral},
        details={"share_by_count": proportion(referral, count)},
        warnings=[unsegmented_note(outside, "opportunities created in the window", cell.segment)]
        if outside else [],
        accounts_segmented=False,
    )  # fmt: skip


PIPELINE = register(
    Definition(
        PIPELINE_SPEC, _pipeline_tally, _pipeline_finish, on_records=Opportunity, needs=("opportunities",)
    )
)


ROI_SPEC = MetricSpec(
    id="referral_campaign_roi",
    number=25,
    name="Referral Campaign ROI",
    family=Family.REFERRALS,
    kind=MetricKind.RATIO,
    definition=(
        "What the referral programme returned for each unit spent on it in the window: the revenue from "
        "referrals, less the programme's cost, over that cost. 0 is break-even; below 0 the programme "
        "cost more than it brought in."
    ),
    formula="(revenue_from_referrals in W - referral programme cost in W) / referral programme cost in W",
    formula_latex=r"\frac{R_B(W) - C(W)}{C(W)}",
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population=(
        "Revenue: contracts starting in W on referred accounts. Cost: ProgramCost records of the "
        "'referral' programme incurred in W."
    ),
    window_semantics=(
        "Revenue exactly as revenue_from_referrals (contract start in W). A cost belongs to W when its "
        "incurred_at is in W and its program is 'referral'. Both are converted into the basis currency "
        "once. Segments match revenue through accounts and costs through their own attributes."
    ),
    undefined_when="No referral programme cost incurred in W (in the segment), or the costs add up to 0.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.REQUIRED,
    signal=SignalType.EFFICIENCY,
    seed="002",
    pitfalls=(
        Pitfall(
            "Dividing revenue by cost, so a programme that merely breaks even shows a return of 1.",
            "Cost is netted out of the numerator: 0 is break-even; revenue and cost are in components.",
        ),
        Pitfall(
            "Setting one tier's revenue against the whole programme's cost.",
            "A segment must name attributes that both accounts and cost records carry; otherwise "
            "SegmentNotApplicableError.",
        ),
        Pitfall(
            "Counting the spend of other programmes (reviews, events) as referral cost.",
            "Only costs whose program is 'referral' count.",
        ),
        Pitfall(
            "Changing the revenue basis between periods (a year of ARR one quarter, whole TCV the next).",
            "The basis is required and recorded; change_from() refuses a different basis.",
        ),
    ),
    related=("revenue_from_referrals", "referral_pipeline_contribution_rate", "referral_conversion_rate"),
    interpretation=(
        "The seed sets revenue from referred customers against the programme's cost; the library nets "
        "them, (revenue - cost) / cost, with revenue exactly as revenue_from_referrals on the same basis "
        "(renewals included; details give the return on first contracts alone) and cost in the same "
        "window. Revenue and cost are matched by window, not by campaign: spend in one window may bring "
        "revenue in a later one. Cost records have no account, so a segment must name attributes that "
        "both accounts and cost records carry."
    ),
)


@metric(ROI_SPEC)
def referral_campaign_roi(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    r"""Return on the referral programme's cost in ``window``: revenue from referrals, net of cost, over cost.

    .. math:: \frac{R_B(W) - C(W)}{C(W)}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: contracts starting and costs incurred in this window count.
        segment: revenue matches through accounts, costs through their attributes; the segment's
            attributes must be known to both (default: all).
        basis: required: the revenue basis of revenue_from_referrals, and the currency of costs.

    Returns:
        A ratio (float, may be negative); numerator ``revenue - cost`` and denominator ``cost``
        (Decimal); components ``revenue``, ``cost``, ``contracts``, ``cost_records``; details
        ``first_contract_roi``.

    Raises:
        ParameterError: a bad argument, or no basis.
        SegmentNotApplicableError: the segment names an attribute accounts or cost records lack.
        CurrencyMismatchError: a contract or cost is in a currency the basis has no FX rate for.

    Undefined when:
        No referral programme cost was incurred in the window (and segment), or it adds up to 0.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> usd = RevenueBasis.arr("USD")
        >>> r = referral_campaign_roi(tiny(), window=Window.quarter(2026, 3), basis=usd)
        >>> r.value, r.numerator, r.denominator
        (0.6, Decimal('9000'), Decimal('15000'))
        >>> referral_campaign_roi(tiny(), window=Window.quarter(2026, 2), basis=usd).undefined_reason
        'no referral programme cost incurred in the window and segment'
    """
    return ROI.one(data, window=window, segment=segment, basis=basis)


def _roi_tally(run: Run) -> list[Tally]:
    grid = run.grid
    money = _required(run.basis)
    tallies = referral_revenue_tallies(run)
    for tally in tallies:
        tally.update(cost=zero(), cost_records=0, outside=0)
    for cost in grid.records(ProgramCost):
        if cost.program != REFERRAL_SOURCE:
            continue
        outside = grid.outside_segments(cost)
        if outside:
            for c in grid.cells_at(cost.incurred_at, outside):
                tallies[c]["outside"] += 1
        cells = grid.cells_at(cost.incurred_at, grid.record_segments(cost))
        if not cells:
            continue
        amount = money.convert(cost.amount, cost.currency, f"ProgramCost {cost.id!r}")
        for c in cells:
            tallies[c]["cost"] += amount
            tallies[c]["cost_records"] += 1
    return tallies


def _roi_finish(cell: Cell, tally: Tally) -> MetricResult:
    revenue, cost = _revenue_total(tally), tally["cost"]
    contracts = _contracts(tally)
    reason = (
        "the referral programme costs in the window add up to 0"
        if tally["cost_records"]
        else "no referral programme cost incurred in the window and segment"
    )
    outside = tally["outside"]
    return cell.build(
        value=roi_formula(revenue, cost), undefined_reason=reason, numerator=revenue - cost,
        denominator=cost, sample_size=tally["cost_records"], small_sample=False,
        components={"revenue": revenue, "cost": cost, "contracts": contracts,
                    "cost_records": tally["cost_records"]},
        details={"first_contract_roi": roi_formula(tally["first_value"], cost),
                 "first_contract_revenue": tally["first_value"], "addition_revenue": tally["addition_value"],
                 "renewal_revenue": tally["renewal_value"]},
        warnings=[unsegmented_note(outside, "referral programme costs in the window", cell.segment)]
        if outside else [],
    )  # fmt: skip


ROI = register(
    Definition(
        ROI_SPEC, _roi_tally, _roi_finish, on_records=ProgramCost, needs=("contracts", "program_costs")
    )
)


RETENTION_SPEC = MetricSpec(
    id="referral_retention_rate",
    number=26,
    name="Referral Retention Rate",
    family=Family.REFERRALS,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the customers won through a referral that you had when the window opened, the share you "
        "still have when it closes, set beside the same rate for the other customers to show whether "
        "referred customers stay longer."
    ),
    formula="referral retention = |S ∩ Referred ∩ E| / |S ∩ Referred|",
    formula_latex=r"\frac{|S \cap \mathrm{Referred} \cap E|}{|S \cap \mathrm{Referred}|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="S ∩ Referred: accounts that were customers at W.start and came through a referral.",
    window_semantics=(
        "The cohort S is taken at W.start and looked up again at W.end (E), each as the state just "
        "before that instant: a churn stamped exactly on W.start leaves the account in S but lost, a "
        "churn stamped exactly on W.end leaves it kept. " + REFERRED
    ),
    undefined_when=(
        "No customer acquired through a referral at W.start in the segment (or, weighted, none of them "
        "has run rate at W.start)."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="002",
    pitfalls=(
        Pitfall(
            "Including referred customers won during the window, who were never exposed to all of it.",
            "The cohort is fixed at W.start; accounts won later join the next window's cohort.",
        ),
        Pitfall(
            "Claiming referred customers stay longer from a gap of a few accounts.",
            "The non-referred rate, the lift and a two-proportion test (p-value, Newcombe interval) "
            "are in details.",
        ),
        Pitfall(
            "Comparing with all customers, the referred ones included, which shrinks any gap.",
            "The baseline is the non-referred customers at W.start only.",
        ),
    ),
    related=("customer_retention_rate", "referral_account_revenue_contribution", "client_referral_rate"),
    interpretation=(
        "The seed's 'remain active or subscribed over a period' is read as: a customer at W.start that "
        "is still a customer at W.end. The baseline is the non-referred customers of the same S; the "
        "lift is the referred rate minus the baseline, with their ratio. The test assumes the two groups "
        "are independent samples. With a basis, rates and lift are weighted by run rate at W.start; the "
        "test stays on account counts."
    ),
)

_TEST_NOTE = (
    "two-proportion z-test of referred against non-referred retention on account counts; it assumes "
    "the two groups are independent samples"
)


def _retention_comparison(cell: Cell, tally: Tally) -> dict[str, Any]:
    """Referred against non-referred retention: baseline, lift and the two-proportion test."""
    kept, referred = tally["referred_retained"], tally["referred_start"]
    others_kept, others = tally["retained"] - kept, tally["start"] - referred
    if cell.basis is None:
        rates = [retention_formula(kept, referred), retention_formula(others_kept, others)]
    else:
        rates = [
            weighted_share(tally["referred_retained_weight"], tally["referred_start_weight"]),
            weighted_share(
                tally["retained_weight"] - tally["referred_retained_weight"],
                tally["start_weight"] - tally["referred_start_weight"],
            ),
        ]
    lift, ratio = rate_lift(rates[0], rates[1])
    test = two_proportion_test(others_kept, others, kept, referred, cell.params["confidence"])
    return {
        "non_referred_rate": rates[1],
        "lift": lift,
        "lift_ratio": ratio,
        "test_p_value": test.p_value if test else None,
        "test_interval": test.interval if test else None,
        "test_note": _TEST_NOTE,
        **(weight_note(cell.window.start) if cell.basis else {}),
    }


@metric(RETENTION_SPEC)
def referral_retention_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the referred customers at ``window.start`` still customers at ``window.end``.

    .. math:: \frac{|S \cap \mathrm{Referred} \cap E|}{|S \cap \mathrm{Referred}|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: the window whose start and end define S and E.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis: weights each account by its run rate at ``window.start``.
        confidence: level of the Wilson interval and of the test's interval.

    Returns:
        A rate in [0, 1]; components count both groups at the start and retained; details give
        ``non_referred_rate``, ``lift`` (referred minus non-referred), ``lift_ratio``,
        ``test_p_value`` and ``test_interval`` (Newcombe, of the same difference on counts).

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.
        CurrencyMismatchError: with a basis, a live contract in a currency without an FX rate.

    Undefined when:
        No referred customer at ``window.start`` (weighted: none with run rate then).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_retention_rate(tiny(), window=Window.month(2026, 8))
        >>> r.value, r.details["non_referred_rate"], r.details["lift"], r.details["lift_ratio"]
        (1.0, 0.75, 0.25, 1.3333333333333333)
        >>> referral_retention_rate(tiny(), window=Window.quarter(2026, 3)).undefined_reason
        'no customers acquired through a referral at the start of the window in the segment'
    """
    return REFERRAL_RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


def _referral_retention_finish(cell: Cell, tally: Tally) -> MetricResult:
    kept, referred = tally["referred_retained"], tally["referred_start"]
    details = _retention_comparison(cell, tally)
    details.pop("weights_at", None)
    return share(
        cell, tally, hits="referred_retained", population="referred_start",
        empty_reason="no customers acquired through a referral at the start of the window in the segment",
        components={"referred_start": referred, "referred_retained": kept,
                    "non_referred_start": tally["start"] - referred,
                    "non_referred_retained": tally["retained"] - kept},
        details=details, weights_at=cell.window.start.isoformat(),
    )  # fmt: skip


REFERRAL_RETENTION = register(
    Definition(
        RETENTION_SPEC,
        lambda run: _referred_cohorts(run, ("start", "retained")),
        _referral_retention_finish,
        checks={"confidence": check_confidence},
    )
)


INVITATION_SPEC = MetricSpec(
    id="referral_invitation_rate",
    number=27,
    name="Referral Invitation Rate",
    family=Family.REFERRALS,
    kind=MetricKind.RATIO,
    definition=(
        "How many referral invitations were sent in the window for each account that was a customer "
        "during it: the volume of asking peers, whether a few champions send many or many send one."
    ),
    formula="referral invitation rate = referrals sent in W / accounts active in W",
    formula_latex=r"\frac{\#\{r : i_r \in W\}}{|S \cup N|}",
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population=(
        "Referrals whose invited_at is in W, sent by accounts of the segment, over the accounts active "
        "in W (customers at some point of it)."
    ),
    window_semantics=(
        "A referral belongs to W when invited_at is in W (half-open). Active in W = S ∪ N: customer_since "
        "before W.end and not churned before W.start."
    ),
    undefined_when="No account of the segment was active in W.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001",
    pitfalls=(
        Pitfall(
            "Reading the rate as the share of accounts that refer, when one account may send ten.",
            "The value is a ratio that may exceed 1; the number of distinct senders is in components and "
            "referral_program_participation_rate gives the share of accounts.",
        ),
        Pitfall(
            "Dividing by every account ever won, so churned accounts dilute the rate.",
            "The base is the accounts active in W.",
        ),
        Pitfall(
            "Not noticing invitations sent by accounts that were not customers during W.",
            "They are counted, as they were sent, and reported in components with a warning.",
        ),
    ),
    related=(
        "referral_program_participation_rate",
        "referral_conversion_rate",
        "new_customers_from_referrals",
    ),
    interpretation=(
        "Every referral sent in W by an account of the segment counts, even when that account was not a "
        "customer during W (an invitation sent after churning, say); how many is in components and a "
        "warning. The interval is a Poisson score interval with the active accounts as exposure."
    ),
)


@metric(INVITATION_SPEC)
def referral_invitation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Referrals sent in ``window`` per account active in it.

    .. math:: \frac{\#\{r : i_r \in W\}}{|S \cup N|}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: referrals with ``invited_at`` in this window count; the base is the accounts active in it.
        segment: referring and active accounts counted (default: all).
        confidence: level of the Poisson score interval.

    Returns:
        A ratio (invitations per account, may exceed 1); components ``referrals``,
        ``active_accounts``, ``senders`` and ``from_inactive_accounts``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No account was active in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_invitation_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, r.numerator, r.denominator
        (0.5, 2, 4)
        >>> referral_invitation_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts active in the window and segment'
    """
    return INVITATION.one(data, window=window, segment=segment, confidence=confidence)


def _invitation_tally(run: Run) -> list[Tally]:
    grid, data = run.grid, run.data
    referrals = grid.records(Referral)
    senders, _, _ = account_hits(run, ((r.account_id, r.invited_at) for r in referrals), population="any")
    ns = grid.n_segments
    sent = [0] * grid.n_cells
    inactive = [0] * grid.n_cells
    for referral in referrals:
        segments = grid.account_segments(referral.account_id)
        if not segments:
            continue
        account = data.account(referral.account_id)
        for w in grid.windows_at(referral.invited_at):
            outside = not grid.is_active(account, w)
            for s in segments:
                sent[w * ns + s] += 1
                inactive[w * ns + s] += outside
    tallies = cohort_tallies(run)
    for c, tally in enumerate(tallies):
        tally.update(referrals=sent[c], senders=senders[c], from_inactive_accounts=inactive[c])
    return tallies


def _invitation_finish(cell: Cell, tally: Tally) -> MetricResult:
    sent, active = tally["referrals"], tally["active"]
    inactive = tally["from_inactive_accounts"]
    warnings = [f"{inactive} referrals were sent by accounts not active in the window"] if inactive else []
    return cell.build(
        value=invitation_formula(sent, active), undefined_reason="no accounts active in the window and segment",
        numerator=sent, denominator=active, sample_size=active,
        interval=poisson_rate_interval(sent, active, cell.params["confidence"]),
        components={"referrals": sent, "active_accounts": active, "senders": tally["senders"],
                    "from_inactive_accounts": inactive},
        warnings=warnings,
    )  # fmt: skip


INVITATION = register(
    Definition(
        INVITATION_SPEC,
        _invitation_tally,
        _invitation_finish,
        checks={"confidence": check_confidence},
        needs=("referrals",),
    )
)
