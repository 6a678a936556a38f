"""Family 3, referral programme impact: what referrals bring in."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from advocacy_kpis.blocks import (
    CONFIDENCE,
    Amount,
    Cell,
    Cohorts,
    Events,
    FirstContract,
    FirstTouch,
    Hits,
    RecordDurations,
    Referred,
    Source,
    as_of,
    choice,
    days,
    days_of,
    field,
    marked,
    measures,
    on_basis,
    unsegmented_note,
)
from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.formulas import new_customers_from_referrals as new_from_referrals_formula
from advocacy_kpis.formulas import proportion, rate_lift, weighted_share
from advocacy_kpis.formulas import referral_account_revenue_contribution as contribution_formula
from advocacy_kpis.formulas import referral_campaign_roi as roi_formula
from advocacy_kpis.formulas import referral_conversion_rate as conversion_formula
from advocacy_kpis.formulas import referral_invitation_rate as invitation_formula
from advocacy_kpis.formulas import referral_pipeline_contribution_rate as pipeline_formula
from advocacy_kpis.formulas import referral_retention_rate as retention_formula
from advocacy_kpis.formulas import revenue_from_referrals as revenue_formula
from advocacy_kpis.records import Opportunity, ProgramCost
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import (
    cumulative_incidence,
    kaplan_meier,
    poisson_rate_interval,
    two_proportion_test,
    wilson_interval,
)
from advocacy_kpis.tally import Metric, Tally

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

REFERRAL_SOURCE: Final = "referral"
"""The opportunity source, and the programme name of costs, that mean the referral programme."""

REFERRED: Final = (
    "An account counts as acquired through a referral when its acquisition_channel is 'referral' "
    "or a referral names it as converted_account_id."
)

_LAST_INSTANT: Final = "each account's last instant as a customer in W"

EVERYONE_NEW: Final = Cohorts(weigh={"new"})
REFERRED_NEW: Final = Cohorts(only=Referred(), weigh={"new"})

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
    parameters=(CONFIDENCE,),
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


def _client_referral_finish(cell: Cell, tally: Tally) -> MetricResult:
    every, referred = tally[EVERYONE_NEW], tally[REFERRED_NEW]
    return measures.proportion(
        cell, referred.new, every.new, empty_reason="no new customers in the window and segment",
        weights=(referred.weights.get("new", Decimal(0)), every.weights.get("new", Decimal(0))),
        weights_at=_LAST_INSTANT,
    )  # fmt: skip


CLIENT_REFERRAL: Final = Metric(CLIENT_REFERRAL_SPEC, [EVERYONE_NEW, REFERRED_NEW], _client_referral_finish)


@CLIENT_REFERRAL.function
def client_referral_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the customers acquired in ``window`` that came through a referral.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = client_referral_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> client_referral_rate(tiny(), window=Window.year(2020)).value is None
        True
    """
    return CLIENT_REFERRAL.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- 20. referral conversion --------------------------------------------------------------------------

HORIZON: Final = days("horizon_days", 90, "days after the invitation a conversion may take")
ESTIMATOR: Final = choice(
    "estimator", "matured", ("matured", "cumulative_incidence"),
    "'matured' (share of matured referrals) or 'cumulative_incidence' (Kaplan-Meier over all)",
)  # fmt: skip

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
        HORIZON,
        ESTIMATOR,
        CONFIDENCE,
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

_DUE = field("invited_at") + days_of("horizon_days")
_FIRST = field("converted_at").not_null() & (field("converted_account_id").is_null() | marked(FirstTouch()))
_MATURED = as_of() >= _DUE

REFERRALS_SENT: Final = Events(
    "referrals",
    counts={
        "sent": None,
        "matured": _MATURED,
        "converted": _MATURED & _FIRST & (field("converted_at") <= _DUE),
        "later_touches": field("converted_at").not_null() & ~_FIRST,
    },
    uses=("horizon_days",),
)
"""Referrals sent in W: matured, converted within the horizon (first touch only), later touches."""

CONVERSIONS: Final = RecordDurations(
    "referrals", event=field("converted_at").when(_FIRST), only_when=("estimator", "cumulative_incidence")
)
"""With the cumulative-incidence estimator: each referral sent in W followed to its conversion."""


def _conversion_finish(cell: Cell, tally: Tally) -> MetricResult:
    counts = tally[REFERRALS_SENT].counts
    sent, matured, converted = counts.get("sent", 0), counts.get("matured", 0), counts.get("converted", 0)
    horizon_days = cell.params["horizon_days"]
    immature = sent - matured
    components = {"sent": sent, "matured": matured, "converted": converted, "immature_excluded": immature}
    details: dict[str, Any] = {
        "horizon_days": horizon_days,
        "estimator": cell.params["estimator"],
        "later_touches": counts.get("later_touches", 0),
    }
    if cell.params["estimator"] == "cumulative_incidence":
        observations = sorted(tally[CONVERSIONS].observations)
        curve = kaplan_meier([d for d, _ in observations], [o for _, o in observations])
        share, interval = cumulative_incidence(curve, float(horizon_days), cell.confidence)
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
        denominator=matured, sample_size=matured, interval=wilson_interval(converted, matured, cell.confidence),
        components=components, details=details, warnings=warnings,
    )  # fmt: skip


CONVERSION: Final = Metric(
    CONVERSION_SPEC, [REFERRALS_SENT, CONVERSIONS], _conversion_finish, needs=("referrals",)
)


@CONVERSION.function
def referral_conversion_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    horizon_days: int = HORIZON.default,
    estimator: str = ESTIMATOR.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the referrals sent in ``window`` that converted within ``horizon_days``.

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


# -- 21. new customers from referrals ------------------------------------------------------------------

EVERYONE: Final = Cohorts()
REFERRED_ACCOUNTS: Final = Cohorts(only=Referred())

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
    parameters=(CONFIDENCE,),
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


def _new_from_referrals_finish(cell: Cell, tally: Tally) -> MetricResult:
    new = tally[EVERYONE].new
    found = new_from_referrals_formula(tally[REFERRED_ACCOUNTS].new, new)
    return measures.count(cell, found, components={"referred_new_customers": found, "new_customers": new})


NEW_FROM_REFERRALS: Final = Metric(
    NEW_FROM_REFERRALS_SPEC, [EVERYONE, REFERRED_ACCOUNTS], _new_from_referrals_finish
)


@NEW_FROM_REFERRALS.function
def new_customers_from_referrals(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Number of accounts acquired through a referral that became customers in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = new_customers_from_referrals(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (1, {'referred_new_customers': 1, 'new_customers': 2})
        >>> new_customers_from_referrals(tiny(), window=Window.year(2020)).value
        0
    """
    return NEW_FROM_REFERRALS.one(data, window=window, segment=segment, confidence=confidence)


# -- 22. revenue from referrals -------------------------------------------------------------------------

NO_REFERRED_CONTRACTS: Final = "no contracts started in W on referred accounts"

_RENEWAL = field("renewal_of").not_null()
_FIRST_CONTRACT = marked(FirstContract())
_ADDITION = ~_RENEWAL & ~_FIRST_CONTRACT
_CONTRACT_VALUE = Amount(field("arr"), field("currency"), contract=True)

REVENUE_PARTS: Final = (
    ("first_contracts", "first_value", _FIRST_CONTRACT),
    ("additions", "addition_value", _ADDITION),
    ("renewals", "renewal_value", _RENEWAL),
)
"""Each contract's part of revenue from referrals (count, value, condition): a first contract renews
nothing and starts at the account's earliest contract start; a renewal names the contract it renews;
any other contract is an addition."""

REFERRED_CONTRACTS: Final = Events(
    "contracts",
    only=Referred(),
    counts={count: condition for count, _, condition in REVENUE_PARTS},
    money={value: (_CONTRACT_VALUE, condition) for _, value, condition in REVENUE_PARTS},
    accounts=True,
)
"""Contracts starting in W on referred accounts, by part, on the basis."""


def _revenue_parts(cell: Cell, tally: Tally) -> dict[str, Decimal]:
    """The revenue of each part of the cell (first, addition, renewal), on its basis."""
    money, basis = tally[REFERRED_CONTRACTS].money, cell.basis
    assert basis is not None
    return {value: on_basis(money.get(value, Decimal(0)), basis) for _, value, _ in REVENUE_PARTS}


def _contracts(tally: Tally) -> dict[str, int]:
    counts = tally[REFERRED_CONTRACTS].counts
    return {count: counts.get(count, 0) for count, _, _ in REVENUE_PARTS}


def _revenue_components(cell: Cell, tally: Tally) -> dict[str, Any]:
    counts, values = _contracts(tally), _revenue_parts(cell, tally)
    return {
        "contracts": sum(counts.values()),
        "first_contracts": counts["first_contracts"],
        "later_contracts": counts["additions"] + counts["renewals"],
        "renewals": counts["renewals"],
        "accounts": tally[REFERRED_CONTRACTS].accounts,
        "first_contract_revenue": values["first_value"],
        "later_contract_revenue": values["addition_value"] + values["renewal_value"],
    }


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


def _revenue_details(values: dict[str, Decimal]) -> dict[str, Decimal]:
    return {
        "first_contract_revenue": values["first_value"],
        "addition_revenue": values["addition_value"],
        "renewal_revenue": values["renewal_value"],
    }


def _revenue_finish(cell: Cell, tally: Tally) -> MetricResult:
    components = _revenue_components(cell, tally)
    values = _revenue_parts(cell, tally)
    return cell.build(
        value=revenue_formula(tuple(values.values())), sample_size=components["contracts"], components=components,
        details=_revenue_details(values),
        warnings=() if components["contracts"] else (NO_REFERRED_CONTRACTS,), small_sample=False,
    )  # fmt: skip


REVENUE: Final = Metric(REVENUE_SPEC, [REFERRED_CONTRACTS], _revenue_finish, needs=("contracts",))


@REVENUE.function
def revenue_from_referrals(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Value, on ``basis``, of the contracts starting in ``window`` on accounts acquired through a referral.

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


# -- 23. revenue contribution of referred accounts ----------------------------------------------------

EVERYONE_AT_END: Final = Cohorts(weigh={"end"})
REFERRED_AT_END: Final = Cohorts(only=Referred(), weigh={"end"})

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


def _contribution_finish(cell: Cell, tally: Tally) -> MetricResult:
    basis = cell.basis
    assert basis is not None
    every, referred = tally[EVERYONE_AT_END], tally[REFERRED_AT_END]
    part = on_basis(referred.weights.get("end", Decimal(0)), basis)
    whole = on_basis(every.weights.get("end", Decimal(0)), basis)
    customers = every.end
    reason = (
        f"the customers at the end of the window have no {basis.name} then"
        if customers
        else "no customers at the end of the window in the segment"
    )
    return cell.build(
        value=contribution_formula(part, whole), undefined_reason=reason, numerator=part,
        denominator=whole, sample_size=customers,
        components={"referred_customers": referred.end, "customers": customers},
        details={"account_share": proportion(referred.end, customers), "weights_at": cell.window.end.isoformat()},
    )  # fmt: skip


CONTRIBUTION: Final = Metric(
    CONTRIBUTION_SPEC,
    [EVERYONE_AT_END, REFERRED_AT_END],
    _contribution_finish,
    needs=("contracts",),
    run_rate=True,
)


@CONTRIBUTION.function
def referral_account_revenue_contribution(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Share of the customers' run rate at ``window.end`` held by customers acquired through a referral.

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


# -- 24. referral pipeline contribution ----------------------------------------------------------------

_AMOUNT = Amount(field("amount"), field("currency"))
_FROM_REFERRAL = field("source") == REFERRAL_SOURCE

OPPORTUNITIES_CREATED: Final = Events(
    "opportunities",
    counts={"opportunities": None, "referral_opportunities": _FROM_REFERRAL},
    money={"amount": (_AMOUNT, None), "referral_amount": (_AMOUNT, _FROM_REFERRAL)},
    outside_when=field("id").not_null(),
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


def _pipeline_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[OPPORTUNITIES_CREATED]
    part, whole = found.money.get("referral_amount", Decimal(0)), found.money.get("amount", Decimal(0))
    count, referral = found.counts.get("opportunities", 0), found.counts.get("referral_opportunities", 0)
    reason = (
        "the opportunities created in the window have a total amount of 0"
        if count
        else "no opportunities created in the window and segment"
    )
    return cell.build(
        value=pipeline_formula(part, whole), undefined_reason=reason, numerator=part, denominator=whole,
        sample_size=count, components={"opportunities": count, "referral_opportunities": referral},
        details={"share_by_count": proportion(referral, count)},
        warnings=[unsegmented_note(found.outside, "opportunities created in the window", cell.segment)]
        if found.outside else [],
        accounts_segmented=False,
    )  # fmt: skip


PIPELINE: Final = Metric(
    PIPELINE_SPEC, [OPPORTUNITIES_CREATED], _pipeline_finish, needs=("opportunities",), on_records=Opportunity
)


@PIPELINE.function
def referral_pipeline_contribution_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Share of the amount of opportunities created in ``window`` that referrals sourced.

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


# -- 25. referral campaign ROI -------------------------------------------------------------------------

PROGRAMME_COSTS: Final = Events(
    "program_costs",
    where=field("program") == REFERRAL_SOURCE,
    counts={"cost_records": None},
    money={"cost": (_AMOUNT, None)},
    outside_when=field("id").not_null(),
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


def _roi_finish(cell: Cell, tally: Tally) -> MetricResult:
    values = _revenue_parts(cell, tally)
    revenue = revenue_formula(tuple(values.values()))
    costs = tally[PROGRAMME_COSTS]
    cost, records = costs.money.get("cost", Decimal(0)), costs.counts.get("cost_records", 0)
    reason = (
        "the referral programme costs in the window add up to 0"
        if records
        else "no referral programme cost incurred in the window and segment"
    )
    return cell.build(
        value=roi_formula(revenue, cost), undefined_reason=reason, numerator=revenue - cost,
        denominator=cost, sample_size=records, small_sample=False,
        components={"revenue": revenue, "cost": cost, "contracts": sum(_contracts(tally).values()),
                    "cost_records": records},
        details={"first_contract_roi": roi_formula(values["first_value"], cost), **_revenue_details(values)},
        warnings=[unsegmented_note(costs.outside, "referral programme costs in the window", cell.segment)]
        if costs.outside else [],
    )  # fmt: skip


ROI: Final = Metric(
    ROI_SPEC, [REFERRED_CONTRACTS, PROGRAMME_COSTS], _roi_finish, needs=("contracts", "program_costs"),
    on_records=ProgramCost,
)  # fmt: skip


@ROI.function
def referral_campaign_roi(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Return on the referral programme's cost in ``window``: revenue from referrals, net of cost, over cost.

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


# -- 26. referral retention -----------------------------------------------------------------------------

EVERYONE_KEPT: Final = Cohorts(weigh={"start", "retained"})
REFERRED_KEPT: Final = Cohorts(only=Referred(), weigh={"start", "retained"})

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
    parameters=(CONFIDENCE,),
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

_TEST_NOTE: Final = (
    "two-proportion z-test of referred against non-referred retention on account counts; it assumes "
    "the two groups are independent samples"
)


def _retention_comparison(cell: Cell, tally: Tally) -> dict[str, Any]:
    """Referred against non-referred retention: baseline, lift and the two-proportion test."""
    every, referred = tally[EVERYONE_KEPT], tally[REFERRED_KEPT]
    kept, start = referred.retained, referred.start
    others_kept, others = every.retained - kept, every.start - start
    if cell.basis is None:
        rates = [retention_formula(kept, start), retention_formula(others_kept, others)]
    else:
        basis = cell.basis
        weight = {
            (name, who): on_basis(found.weights.get(name, Decimal(0)), basis)
            for name in ("start", "retained")
            for who, found in (("referred", referred), ("every", every))
        }
        rates = [
            weighted_share(weight["retained", "referred"], weight["start", "referred"]),
            weighted_share(
                weight["retained", "every"] - weight["retained", "referred"],
                weight["start", "every"] - weight["start", "referred"],
            ),
        ]
    lift, ratio = rate_lift(rates[0], rates[1])
    test = two_proportion_test(others_kept, others, kept, start, cell.confidence)
    return {
        "non_referred_rate": rates[1],
        "lift": lift,
        "lift_ratio": ratio,
        "test_p_value": test.p_value if test else None,
        "test_interval": test.interval if test else None,
        "test_note": _TEST_NOTE,
    }


def _referral_retention_finish(cell: Cell, tally: Tally) -> MetricResult:
    every, referred = tally[EVERYONE_KEPT], tally[REFERRED_KEPT]
    kept, start = referred.retained, referred.start
    return measures.proportion(
        cell, kept, start,
        empty_reason="no customers acquired through a referral at the start of the window in the segment",
        weights=(referred.weights.get("retained", Decimal(0)), referred.weights.get("start", Decimal(0))),
        weights_at=cell.window.start.isoformat(),
        components={"referred_start": start, "referred_retained": kept,
                    "non_referred_start": every.start - start,
                    "non_referred_retained": every.retained - kept},
        details=_retention_comparison(cell, tally),
    )  # fmt: skip


REFERRAL_RETENTION: Final = Metric(RETENTION_SPEC, [EVERYONE_KEPT, REFERRED_KEPT], _referral_retention_finish)


@REFERRAL_RETENTION.function
def referral_retention_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the referred customers at ``window.start`` still customers at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_retention_rate(tiny(), window=Window.month(2026, 8))
        >>> r.value, r.details["non_referred_rate"], r.details["lift"], r.details["lift_ratio"]
        (1.0, 0.75, 0.25, 1.3333333333333333)
        >>> referral_retention_rate(tiny(), window=Window.quarter(2026, 3)).undefined_reason
        'no customers acquired through a referral at the start of the window in the segment'
    """
    return REFERRAL_RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- 27. referral invitation rate ------------------------------------------------------------------------

INVITATIONS: Final = Events("referrals", counts={"referrals": None})
ANY_SENDERS: Final = Hits([Source("referrals")], population="any")
ACTIVE_SENDERS: Final = Hits([Source("referrals")], weigh=True)

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
    parameters=(CONFIDENCE,),
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


def _invitation_finish(cell: Cell, tally: Tally) -> MetricResult:
    sent, active = tally[INVITATIONS].counts.get("referrals", 0), tally[EVERYONE].active
    inactive = tally[ACTIVE_SENDERS].outside
    warnings = [f"{inactive} referrals were sent by accounts not active in the window"] if inactive else []
    return cell.build(
        value=invitation_formula(sent, active), undefined_reason="no accounts active in the window and segment",
        numerator=sent, denominator=active, sample_size=active,
        interval=poisson_rate_interval(sent, active, cell.confidence),
        components={"referrals": sent, "active_accounts": active, "senders": tally[ANY_SENDERS].hits,
                    "from_inactive_accounts": inactive},
        warnings=warnings,
    )  # fmt: skip


INVITATION: Final = Metric(
    INVITATION_SPEC,
    [EVERYONE, INVITATIONS, ANY_SENDERS, ACTIVE_SENDERS],
    _invitation_finish,
    needs=("referrals",),
)


@INVITATION.function
def referral_invitation_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Referrals sent in ``window`` per account active in it.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = referral_invitation_rate(tiny(), window=Window.quarter(2026, 2))
        >>> r.value, r.numerator, r.denominator
        (0.5, 2, 4)
        >>> referral_invitation_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no accounts active in the window and segment'
    """
    return INVITATION.one(data, window=window, segment=segment, confidence=confidence)
