"""Family 4, retention and expansion: who stays, and what they spend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks import (
    ADD,
    CONFIDENCE,
    MOVEMENT_COUNTS,
    MOVEMENT_FIELDS,
    Amount,
    Block,
    Cell,
    Cohorts,
    Events,
    Records,
    Renewed,
    Run,
    RunRates,
    days,
    field,
    marked,
    measures,
    movements,
    on_basis,
    unbilled_note,
)
from advocacy_kpis.blocks.durations import origin_of
from advocacy_kpis.blocks.events import decimal_of, from_micros
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
from advocacy_kpis.formulas import activation_to_expansion_rate as activation_formula
from advocacy_kpis.formulas import contract_renewal_rate as renewal_formula
from advocacy_kpis.formulas import expansion_revenue_growth_rate as growth_formula
from advocacy_kpis.formulas import gross_revenue_retention as grr_formula
from advocacy_kpis.formulas import net_revenue_retention as nrr_formula
from advocacy_kpis.formulas import textbook_retention_rate, weighted_share
from advocacy_kpis.records import Contract
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import wilson_interval
from advocacy_kpis.tally import Metric, Tally

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables, TablesRun

__all__ = [
    "activation_expanded",
    "activation_to_expansion_rate",
    "contract_renewal_rate",
    "customer_churn_rate",
    "customer_retention_rate",
    "expansion_revenue",
    "expansion_revenue_growth_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
]

_COHORT_SEMANTICS = (
    "S = customers at W.start (customer_since < W.start, not churned before it); E = customers at "
    "W.end. An account churned exactly at W.start is in S and churned in W; one churned exactly at "
    "W.end is still in E."
)

_COHORT_PITFALLS = (
    Pitfall(
        "Computing (E - N) / S, which counts a customer won and lost inside the window against you twice.",
        "The rate follows the starting cohort (S ∩ E); the textbook value is given in details for comparison.",
    ),
    Pitfall(
        "Mixing a monthly churn figure with a quarterly one.",
        "Results carry their window, and change_from() refuses windows of different length.",
    ),
    Pitfall(
        "Counting logos when the decision is about revenue.",
        "Pass an ARR or MRR basis to weight each starting customer by its run rate at W.start.",
    ),
)

_COHORT_COMPONENTS: Final = ("start", "end", "new", "churned", "retained", "churned_from_start")

STARTING: Final = Cohorts(weigh={"start", "retained"})
"""The customers at each window's start, weighed there, and those still there at its end."""


def _cohort_share(cell: Cell, tally: Tally, hits: str) -> MetricResult:
    cohort = tally[STARTING]
    counts = cohort.counts()
    details: dict[str, Any] = {}
    if hits == "retained":
        details["textbook_rate"] = textbook_retention_rate(cohort.end, cohort.new, cohort.start)
    start_weight = cohort.weights.get("start", Decimal(0))
    kept_weight = cohort.weights.get("retained", Decimal(0))
    part = kept_weight if hits == "retained" else start_weight - kept_weight
    return measures.proportion(
        cell, counts[hits], cohort.start,
        empty_reason="no customers at the start of the window in the segment",
        weights=(part, start_weight), weights_at=cell.window.start.isoformat(),
        components={name: counts[name] for name in _COHORT_COMPONENTS}, details=details,
    )  # fmt: skip


RETENTION_SPEC = MetricSpec(
    id="customer_retention_rate",
    number=28,
    name="Customer Retention Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the customers you had when the window opened, the share you still have when it closes. "
        "Customers won during the window do not enter the calculation."
    ),
    formula="retention = |S ∩ E| / |S|",
    formula_latex=r"\frac{|S \cap E|}{|S|}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="S, the customers at W.start.",
    window_semantics=_COHORT_SEMANTICS,
    undefined_when="No account is a customer at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    parameters=(CONFIDENCE,),
    pitfalls=_COHORT_PITFALLS,
    related=("customer_churn_rate", "referral_retention_rate", "net_revenue_retention"),
    interpretation=(
        "The textbook (E - N) / S agrees with |S ∩ E| / |S| only when no customer acquired inside "
        "the window churns inside it; the library uses the cohort form, which stays in [0, 1], and "
        "reports the textbook value in details."
    ),
)

RETENTION: Final = Metric(
    RETENTION_SPEC, [STARTING], lambda cell, tally: _cohort_share(cell, tally, "retained")
)


@RETENTION.function
def customer_retention_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the customers at ``window.start`` still customers at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_retention_rate(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.75, 3, 4)
        >>> customer_retention_rate(tiny(), window=Window.year(2020)).undefined_reason
        'no customers at the start of the window in the segment'
    """
    return RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


CHURN_SPEC = MetricSpec(
    id="customer_churn_rate",
    number=29,
    name="Customer Churn Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the customers you had when the window opened, the share you lost before it closed. "
        "It is the complement of the retention rate over the same window and segment."
    ),
    formula="churn = |S \\ E| / |S|",
    formula_latex=r"\frac{|S \setminus E|}{|S|}",
    unit=Unit.RATE,
    direction=Direction.LOWER_IS_BETTER,
    population="S, the customers at W.start.",
    window_semantics=_COHORT_SEMANTICS,
    undefined_when="No account is a customer at W.start in the segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    parameters=(CONFIDENCE,),
    pitfalls=(
        Pitfall(
            "Dividing every churn in the window, including customers won and lost inside it, by S.",
            "Only members of S that churned count, so churn + retention = 1 exactly.",
        ),
        *_COHORT_PITFALLS[1:],
    ),
    related=("customer_retention_rate", "gross_revenue_retention"),
    interpretation=(
        "'Churned' means churned from the starting cohort: |S \\ E|. Accounts both acquired and lost "
        "inside W are reported in components (churned minus churned_from_start) but not counted."
    ),
)

CHURN: Final = Metric(
    CHURN_SPEC, [STARTING], lambda cell, tally: _cohort_share(cell, tally, "churned_from_start")
)


@CHURN.function
def customer_churn_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the customers at ``window.start`` that churned by ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> customer_churn_rate(tiny(), window=Window.quarter(2026, 3)).value
        0.25
    """
    return CHURN.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- contract renewals ---------------------------------------------------------------------------

RENEWAL_SPEC = MetricSpec(
    id="contract_renewal_rate",
    number=30,
    name="Contract Renewal Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the contracts that came to an end in the window, the share that were renewed: another "
        "contract names them as the one it renews."
    ),
    formula="contracts ending in W with a renewal / contracts ending in W",
    formula_latex=r"\frac{\#\{c : e_c \in W,\ \exists c' : c'.\mathrm{renewal\_of} = c\}}{\#\{c : e_c \in W\}}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Contracts of the segment's accounts whose end is in W.",
    window_semantics=(
        "A contract belongs to W when its end is in W (half-open: a contract ending exactly at W.start "
        "belongs to W, one ending exactly at W.end to the next window). It is renewed when any contract "
        "of the data set has renewal_of equal to its id, whenever that renewal starts."
    ),
    undefined_when=(
        "No contract of the segment ends in the window (weighted: the contracts ending in it have no run "
        "rate)."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    parameters=(CONFIDENCE,),
    pitfalls=(
        Pitfall(
            "Counting renewals signed in the window over contracts ending in it, two populations that "
            "need not overlap.",
            "The population is the contracts ending in W, and each is looked up for its own renewal.",
        ),
        Pitfall(
            "Treating a renewal at a different price as a different kind of event.",
            "Any contract naming the expiring one in renewal_of renews it; what the renewal is worth is "
            "net_revenue_retention's business.",
        ),
        Pitfall(
            "Letting many small contracts outweigh one large one when revenue is what matters.",
            "With an ARR or MRR basis each expiring contract weighs its own run rate, so the rate is the "
            "share of expiring revenue that renewed.",
        ),
    ),
    related=("net_revenue_retention", "customer_retention_rate", "gross_revenue_retention"),
    interpretation=(
        "Renewal is read from the contracts themselves: a contract is renewed when another names it in "
        "renewal_of, even if the renewal starts after a gap or after as_of. A contract whose renewal is "
        "not recorded yet counts as not renewed, so a window close to as_of may read low. With a basis "
        "each expiring contract weighs its own ARR (or MRR), converted to the basis currency."
    ),
)

_OWN_VALUE = Amount(field("arr"), field("currency"), contract=True)
EXPIRING: Final = Events(
    "contracts",
    time="end",
    counts={"expiring": None, "renewed": marked(Renewed())},
    money={"expiring": (_OWN_VALUE, None), "renewed": (_OWN_VALUE, marked(Renewed()))},
)
"""Contracts ending in W, those renewed, and with a basis their own value on it."""


def _renewal_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[EXPIRING]
    expiring, renewed = found.counts.get("expiring", 0), found.counts.get("renewed", 0)
    components = {"expiring": expiring, "renewed": renewed, "not_renewed": expiring - renewed}
    reason = "no contracts ended in the window and segment"
    basis = cell.basis
    if basis is None:
        return cell.build(
            value=renewal_formula(renewed, expiring), undefined_reason=reason, numerator=renewed,
            denominator=expiring, sample_size=expiring,
            interval=wilson_interval(renewed, expiring, cell.confidence), components=components,
        )  # fmt: skip
    part = on_basis(found.money.get("renewed", Decimal(0)), basis)
    whole = on_basis(found.money.get("expiring", Decimal(0)), basis)
    if expiring:
        reason = f"the contracts ending in the window have no {basis.name}"
    return cell.build(
        value=weighted_share(part, whole, function=RENEWAL_SPEC.id), undefined_reason=reason,
        numerator=part, denominator=whole, sample_size=expiring, components=components,
        details={"weights": f"each expiring contract's own {basis.name}"},
    )  # fmt: skip


RENEWAL: Final = Metric(RENEWAL_SPEC, [EXPIRING], _renewal_finish, needs=("contracts",))


@RENEWAL.function
def contract_renewal_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the contracts ending in ``window`` that have a renewal contract.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = contract_renewal_rate(tiny(), window=Window.year(2026))
        >>> r.value, dict(r.components)
        (0.6666666666666666, {'expiring': 3, 'renewed': 2, 'not_renewed': 1})
        >>> contract_renewal_rate(tiny(), window=Window.quarter(2026, 4)).undefined_reason
        'no contracts ended in the window and segment'
    """
    return RENEWAL.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


# -- revenue retention and expansion -------------------------------------------------------------

MOVEMENTS: Final = RunRates()
PREVIOUS_MOVEMENTS: Final = RunRates("previous")


def _movement_components(tally: Tally) -> dict[str, Any]:
    found = tally[MOVEMENTS]
    return {name: found.count(name) for name in MOVEMENT_COUNTS}


def _movement_details(sums: dict[str, Decimal], window: Window) -> dict[str, Any]:
    details: dict[str, Any] = {f"{name}_revenue": sums[name] for name in MOVEMENT_FIELDS}
    details["measured_at"] = {"start": window.start.isoformat(), "end": window.end.isoformat()}
    return details


def _movements(cell: Cell, tally: Tally, block: RunRates = MOVEMENTS) -> dict[str, Decimal]:
    assert cell.basis is not None
    return movements(tally[block], cell.basis)


_NO_STARTING_CUSTOMERS: Final = "no customers at the start of the window in the segment"

_MOVEMENT_SEMANTICS = (
    "S = customers at W.start (customer_since < W.start, not churned before it). ARR_a(t) sums the arr "
    "of account a's contracts live at t (start < t <= end), converted to the basis currency; MRR is "
    "ARR / 12. A contract ending exactly at W.end still counts at W.end; one starting exactly at "
    "W.start does not count at W.start."
)

_SHARED_SUMS = (
    "Expansion revenue, gross and net revenue retention come from the same per-account pairs "
    "(ARR_a(W.start), ARR_a(W.end)) over the same S, so NRR = GRR + expansion / ARR_S(W.start) exactly."
)

_MOVEMENT_PITFALLS = (
    Pitfall(
        "Letting customers won during the window into the ratio, so acquisition passes for retention.",
        "Only S, the customers at W.start, count; new customers join the next window's S.",
    ),
    Pitfall(
        "Mixing run-rate and contract-value bases (a three-year TCV against a year of ARR).",
        "The basis must be ARR or MRR, read at two instants; ACV and TCV are refused.",
    ),
)

EXPANSION_SPEC = MetricSpec(
    id="expansion_revenue",
    number=31,
    name="Expansion Revenue",
    family=Family.RETENTION,
    kind=MetricKind.SUM,
    definition=(
        "The recurring revenue added by customers you already had when the window opened: for each of "
        "them, how much their run rate rose between the start and the end of the window, with falls "
        "counted as no rise rather than netted against the rises of others."
    ),
    formula="expansion revenue = sum over S of max(0, ARR_a(W.end) - ARR_a(W.start))",
    formula_latex=r"\sum_{a \in S} \max\left(0,\ \mathrm{ARR}_a(W_{end}) - \mathrm{ARR}_a(W_{start})\right)",
    unit=Unit.MONEY,
    direction=Direction.HIGHER_IS_BETTER,
    population="S, the customers at W.start.",
    window_semantics=_MOVEMENT_SEMANTICS,
    undefined_when=(
        "Never: with no customer at W.start, or none whose run rate rose, the expansion is a real 0."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.GROWTH,
    seed="001, 003",
    pitfalls=(
        Pitfall(
            "Netting expansions against contractions, which hides both.",
            "Each account adds only its own rise; contraction and churned revenue are in details.",
        ),
        Pitfall(
            "Counting the first contract of a new customer as expansion.",
            "Only accounts that were customers at W.start count.",
        ),
        _MOVEMENT_PITFALLS[1],
    ),
    related=("net_revenue_retention", "expansion_revenue_growth_rate", "activation_to_expansion_rate"),
    interpretation=(
        "Expansion is a change of run rate between the two instants, whatever caused it (an upsell, a "
        "renewal at a higher price, an extra contract). A customer at W.start with no live contract then "
        "(between two contracts) has a starting run rate of 0, so its whole ending run rate counts as "
        "expansion. " + _SHARED_SUMS
    ),
)


def _expansion_finish(cell: Cell, tally: Tally) -> MetricResult:
    sums = _movements(cell, tally)
    accounts = tally[MOVEMENTS].count("accounts")
    return cell.build(
        value=sums["expansion"], sample_size=accounts, small_sample=False,
        components=_movement_components(tally), details=_movement_details(sums, cell.window),
        warnings=unbilled_note(tally[MOVEMENTS], cell.window.start) if accounts else [_NO_STARTING_CUSTOMERS],
    )  # fmt: skip


EXPANSION: Final = Metric(EXPANSION_SPEC, [MOVEMENTS], _expansion_finish, needs=("contracts",), run_rate=True)


@EXPANSION.function
def expansion_revenue(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Summed rise in run rate over ``window`` of the customers at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import SAMPLE_FX_RATES, tiny
        >>> basis = RevenueBasis.arr("USD", fx_rates=SAMPLE_FX_RATES)
        >>> expansion_revenue(tiny(), window=Window.quarter(2026, 1), basis=basis).value
        Decimal('6000')
        >>> r = expansion_revenue(tiny(), window=Window.year(2020), basis=basis)
        >>> r.value, r.warnings
        (Decimal('0'), ('no customers at the start of the window in the segment',))
    """
    return EXPANSION.one(data, window=window, segment=segment, basis=basis)


GROWTH_SPEC = MetricSpec(
    id="expansion_revenue_growth_rate",
    number=32,
    name="Expansion Revenue Growth Rate",
    family=Family.RETENTION,
    kind=MetricKind.RATIO,
    definition=(
        "How much more (or less) expansion revenue the window brought than the period before it, as a "
        "fraction of the earlier figure: 0.5 means half as much again, -1 means none at all."
    ),
    formula="(expansion_revenue(W) - expansion_revenue(P)) / expansion_revenue(P), P = W.previous()",
    formula_latex=r"\frac{X(W) - X(P)}{X(P)}, \quad P = W.\mathrm{previous}()",
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population="S of W and S of P, each with its own expansion revenue (see expansion_revenue).",
    window_semantics=(
        "P is W.previous(): the previous calendar period for a month, quarter or year, and for any other "
        "window the span of the same length ending at W.start. X(P) is computed exactly as "
        "expansion_revenue over P, whether or not P is among the windows asked for. " + _MOVEMENT_SEMANTICS
    ),
    undefined_when="The previous period's expansion revenue is 0 (including when it had no customers).",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.GROWTH,
    seed="001",
    pitfalls=(
        Pitfall(
            "Reporting growth from nothing as a huge number, or as 0.",
            "When the previous period had no expansion the value is undefined with that reason; both "
            "amounts are in components.",
        ),
        Pitfall(
            "Comparing a quarter with the month before it.",
            "P is always the period of the same grain (or length) just before W.",
        ),
        _MOVEMENT_PITFALLS[1],
    ),
    related=("expansion_revenue", "net_revenue_retention", "activation_to_expansion_rate"),
    interpretation=(
        "For a calendar window P is the previous period of the same grain, so the previous quarter of "
        "Q2 is Q1 even though their day counts differ; for an ad-hoc window P is the span of equal "
        "length just before it. Both expansions come from one pass that reads each account's run rate "
        "at P.start, W.start (= P.end) and W.end, each on its own S."
    ),
)


def _growth_finish(cell: Cell, tally: Tally) -> MetricResult:
    current = _movements(cell, tally)["expansion"]
    previous = _movements(cell, tally, PREVIOUS_MOVEMENTS)["expansion"]
    window = cell.window.previous()
    accounts = tally[MOVEMENTS].count("accounts")
    return cell.build(
        value=growth_formula(current, previous),
        undefined_reason=f"no expansion revenue in the previous period ({window.label}) in the segment",
        numerator=current - previous, denominator=previous, sample_size=accounts, small_sample=False,
        components={"expansion": current, "accounts": accounts, "previous_expansion": previous,
                    "previous_accounts": tally[PREVIOUS_MOVEMENTS].count("accounts")},
        details={"previous_window": window.label},
        warnings=unbilled_note(tally[MOVEMENTS], cell.window.start)
        + unbilled_note(tally[PREVIOUS_MOVEMENTS], window.start),
    )  # fmt: skip


GROWTH: Final = Metric(
    GROWTH_SPEC, [MOVEMENTS, PREVIOUS_MOVEMENTS], _growth_finish, needs=("contracts",), run_rate=True
)


@GROWTH.function
def expansion_revenue_growth_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Relative change of expansion revenue from ``window.previous()`` to ``window``.

    Examples:
        >>> from advocacy_kpis.sample import SAMPLE_FX_RATES, tiny
        >>> basis = RevenueBasis.arr("USD", fx_rates=SAMPLE_FX_RATES)
        >>> r = expansion_revenue_growth_rate(tiny(), window=Window.quarter(2026, 2), basis=basis)
        >>> r.value, r.numerator, r.denominator
        (-1.0, Decimal('-6000'), Decimal('6000'))
        >>> expansion_revenue_growth_rate(tiny(), window=Window.quarter(2026, 1), basis=basis).undefined_reason
        'no expansion revenue in the previous period (2025Q4) in the segment'
    """
    return GROWTH.one(data, window=window, segment=segment, basis=basis)


GRR_SPEC = MetricSpec(
    id="gross_revenue_retention",
    number=34,
    name="Gross Revenue Retention (GRR)",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "How much of the recurring revenue you had when the window opened you kept, counting "
        "downgrades and churn but giving no credit for expansion: each starting customer contributes "
        "at most what it paid at the start."
    ),
    formula="GRR = sum over S of min(ARR_a(W.end), ARR_a(W.start)) / sum over S of ARR_a(W.start)",
    formula_latex=(
        r"\frac{\sum_{a \in S} \min\left(\mathrm{ARR}_a(W_{end}), \mathrm{ARR}_a(W_{start})\right)}"
        r"{\sum_{a \in S} \mathrm{ARR}_a(W_{start})}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="S, the customers at W.start, each weighted by its run rate.",
    window_semantics=_MOVEMENT_SEMANTICS,
    undefined_when="No customer at W.start in the segment, or their run rate at W.start adds up to 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.RETENTION,
    seed="000",
    pitfalls=(
        Pitfall(
            "Letting one customer's expansion mask another's downgrade.",
            "Each account is capped at its starting run rate, so GRR stays in [0, 1].",
        ),
        *_MOVEMENT_PITFALLS,
    ),
    related=("net_revenue_retention", "customer_churn_rate", "expansion_revenue"),
    interpretation=(
        "A customer at W.start that churns during W usually has no live contract at W.end and so keeps "
        "nothing; one still under contract at W.end keeps what the contract pays, churned or not, since "
        "the formula reads contracts only. Contraction and churned revenue are in details. " + _SHARED_SUMS
    ),
)


def _retention_ratio(cell: Cell, tally: Tally, part: str) -> MetricResult:
    basis = cell.basis
    assert basis is not None
    sums = _movements(cell, tally)
    starting, accounts = sums["starting"], tally[MOVEMENTS].count("accounts")
    formula = grr_formula if part == "retained" else nrr_formula
    reason = (
        f"the customers at the start of the window have no {basis.name} then"
        if accounts
        else _NO_STARTING_CUSTOMERS
    )
    return cell.build(
        value=formula(sums[part], starting), undefined_reason=reason, numerator=sums[part],
        denominator=starting, sample_size=accounts, components=_movement_components(tally),
        details=_movement_details(sums, cell.window), warnings=unbilled_note(tally[MOVEMENTS], cell.window.start),
    )  # fmt: skip


GRR: Final = Metric(
    GRR_SPEC, [MOVEMENTS], lambda cell, tally: _retention_ratio(cell, tally, "retained"), needs=("contracts",),
    run_rate=True,
)  # fmt: skip


@GRR.function
def gross_revenue_retention(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """Share of the starting customers' run rate kept over ``window``, ignoring expansion.

    Examples:
        >>> from advocacy_kpis.sample import SAMPLE_FX_RATES, tiny
        >>> basis = RevenueBasis.arr("USD", fx_rates=SAMPLE_FX_RATES)
        >>> r = gross_revenue_retention(tiny(), window=Window.quarter(2026, 3), basis=basis)
        >>> round(r.value, 6), r.numerator, r.denominator
        (0.952144, Decimal('198960.00'), Decimal('208960.00'))
        >>> gross_revenue_retention(tiny(), window=Window.year(2020), basis=basis).undefined_reason
        'no customers at the start of the window in the segment'
    """
    return GRR.one(data, window=window, segment=segment, basis=basis)


NRR_SPEC = MetricSpec(
    id="net_revenue_retention",
    number=35,
    name="Net Revenue Retention (NRR)",
    family=Family.RETENTION,
    kind=MetricKind.RATIO,
    definition=(
        "The recurring revenue of the customers you had when the window opened, at its close, as a "
        "fraction of what they paid at its start: expansion counts, downgrades and churn subtract, and "
        "customers won during the window are left out. Above 1 the existing base grew on its own."
    ),
    formula="NRR = sum over S of ARR_a(W.end) / sum over S of ARR_a(W.start)",
    formula_latex=r"\frac{\sum_{a \in S} \mathrm{ARR}_a(W_{end})}{\sum_{a \in S} \mathrm{ARR}_a(W_{start})}",
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population="S, the customers at W.start, each weighted by its run rate.",
    window_semantics=_MOVEMENT_SEMANTICS,
    undefined_when="No customer at W.start in the segment, or their run rate at W.start adds up to 0.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.REQUIRED,
    signal=SignalType.RETENTION,
    seed="000",
    pitfalls=(
        Pitfall(
            "Dividing all revenue at the end by all revenue at the start, so new customers inflate it.",
            "Only the customers at W.start are followed, above and below the line.",
        ),
        Pitfall(
            "Reporting NRR without GRR, so strong expansion hides heavy churn.",
            "Both come from the same sums; details give the expansion, contraction and churned revenue, "
            "and NRR >= GRR always holds.",
        ),
        _MOVEMENT_PITFALLS[1],
    ),
    related=("gross_revenue_retention", "expansion_revenue", "customer_retention_rate"),
    interpretation=(
        "Revenue is the run rate of live contracts at the two instants, not revenue recognised during "
        "the window. " + _SHARED_SUMS
    ),
)

NRR: Final = Metric(
    NRR_SPEC, [MOVEMENTS], lambda cell, tally: _retention_ratio(cell, tally, "ending"), needs=("contracts",),
    run_rate=True,
)  # fmt: skip


@NRR.function
def net_revenue_retention(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
) -> MetricResult:
    """The starting customers' run rate at ``window.end`` over their run rate at ``window.start``.

    Examples:
        >>> from advocacy_kpis.sample import SAMPLE_FX_RATES, tiny
        >>> basis = RevenueBasis.arr("USD", fx_rates=SAMPLE_FX_RATES)
        >>> r = net_revenue_retention(tiny(), window=Window.quarter(2026, 1), basis=basis)
        >>> round(r.value, 6), r.numerator, r.denominator
        (1.029562, Decimal('208960.00'), Decimal('202960.00'))
        >>> net_revenue_retention(tiny(), window=Window.year(2020), basis=basis).undefined_reason
        'no customers at the start of the window in the segment'
    """
    return NRR.one(data, window=window, segment=segment, basis=basis)


# -- activation to expansion ---------------------------------------------------------------------


def activation_expanded(contracts: Sequence[Contract], origin: datetime, due: datetime) -> bool | None:
    """Whether an account's run rate exceeded its level at ``origin`` at some instant of ``(origin, due]``.

    The level at ``origin`` is the arr of the contracts in force then (``start <= origin < end``);
    the run rate at ``t`` is the arr of those live at ``t`` (``start < t <= end``). It is constant
    between contract starts and ends, so it is read at each of them inside ``(origin, due]`` and
    at ``due``. None when the contracts involved are in more than one currency.
    """
    involved = [c for c in contracts if c.start < due and c.end > origin]
    if len({c.currency for c in involved}) > 1:
        return None
    baseline = sum((c.arr for c in involved if c.start <= origin < c.end), Decimal(0))
    instants = {due}
    for c in involved:
        instants.update(t for t in (c.start, c.end) if origin < t <= due)
    return any(sum((c.arr for c in involved if c.is_live_at(t)), Decimal(0)) > baseline for t in instants)


@attrs.define
class ActivationState:
    """The accounts of one cell activated in W.

    Attributes:
        cohort: every one of them.
        matured: those whose horizon has passed by as_of, with contracts in one currency.
        expanded: matured ones whose run rate rose above its level at activation within the horizon.
        mixed_currency: matured ones left out for contracts in several currencies.
    """

    cohort: int = attrs.field(default=0, metadata=ADD)
    matured: int = attrs.field(default=0, metadata=ADD)
    expanded: int = attrs.field(default=0, metadata=ADD)
    mixed_currency: int = attrs.field(default=0, metadata=ADD)


@attrs.frozen(eq=False)
class ActivationCohort(Block[ActivationState]):
    """Accounts activated in each window, and whether each expanded within the horizon: a custom
    block, as the outcome reads each account's contracts over its own span of time."""

    uses: ClassVar[tuple[str, ...]] = ("horizon_days",)
    state: ClassVar = ActivationState

    def on_records(self, run: Run[Records]) -> list[ActivationState]:
        grid, records = run.grid, run.context
        data = records.data
        horizon = timedelta(days=run.params["horizon_days"])
        out = [ActivationState() for _ in range(grid.n_cells)]
        for account in data.accounts:
            origin = origin_of(account, "activation")
            assert origin is not None
            cells = grid.cells_at(origin, records.account_segments(account.id))
            if not cells:
                continue
            due = origin + horizon
            matured = due <= data.as_of
            outcome = (
                activation_expanded(data.account_events(Contract, account.id), origin, due)
                if matured
                else False
            )
            for c in cells:
                cell = out[c]
                cell.cohort += 1
                if not matured:
                    continue
                if outcome is None:
                    cell.mixed_currency += 1
                else:
                    cell.matured += 1
                    cell.expanded += outcome
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[ActivationState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        horizon = tables.micros_span(timedelta(days=run.params["horizon_days"]))
        as_of = tables.micros(tables.engine.as_of)
        table = tables.table("accounts")
        cohort = tables.in_grid(
            tables.frame("accounts").select(
                nw.col("id").alias("_acc"),
                table.column("activated_at").fill_null(nw.col("customer_since")).alias("_o"),
            ),
            "_o",
        )
        cohort = tables.with_profile(cohort, "_acc").with_columns((nw.col("_o") + horizon).alias("_due"))
        sizes = tables.stretch_counts(cohort)
        matured = cohort.filter(nw.col("_due") <= as_of)
        involved = matured.select("_acc", "_o", "_due").join(tables.contracts(), on="_acc", how="inner")
        involved = involved.filter((nw.col("_start") < nw.col("_due")) & (nw.col("_end") > nw.col("_o")))
        by_account: dict[str, list[Contract]] = {}
        for ident, account, currency, arr, start, end in tables.engine.rows(
            involved.select("id", "_acc", "currency", "_arr", "_start", "_end")
        ):
            by_account.setdefault(account, []).append(
                Contract(
                    id=ident,
                    account_id=account,
                    start=from_micros(start),
                    end=from_micros(end),
                    arr=decimal_of(arr),
                    currency=currency,
                )
            )
        out = [ActivationState(cohort=n) for n in sizes]
        na = len(tables.attrs)
        for row in tables.engine.rows(matured.select("_acc", "_k", "_o", "_due", *tables.attrs)):
            account, k, origin, due = row[0], int(row[1]), from_micros(row[2]), from_micros(row[3])
            outcome = activation_expanded(by_account.get(account, []), origin, due)
            for w in grid.stretches[k]:
                for s in grid.profile_segments(tables.pid(row[4 : 4 + na])):
                    cell = out[w * grid.n_segments + s]
                    if outcome is None:
                        cell.mixed_currency += 1
                    else:
                        cell.matured += 1
                        cell.expanded += outcome
        return out


ACTIVATED: Final = ActivationCohort()
EXPANSION_HORIZON: Final = days("horizon_days", 365, "days after activation an expansion may take")

ACTIVATION_SPEC = MetricSpec(
    id="activation_to_expansion_rate",
    number=33,
    name="Activation-to-Expansion Rate",
    family=Family.RETENTION,
    kind=MetricKind.PROPORTION,
    definition=(
        "Of the accounts activated in the window, the share whose recurring revenue grew above its level "
        "at activation within a fixed horizon: how often a new customer goes on to buy more. Accounts "
        "activated too recently to have had the whole horizon are left out until they have."
    ),
    formula=(
        "matured accounts activated in W whose ARR rose above its level at activation within the horizon "
        "/ matured accounts activated in W"
    ),
    formula_latex=(
        r"\frac{|\{a \in A_W : a_h \leq \mathrm{as\_of},\ \exists t \in (a_0, a_h] : "
        r"\mathrm{ARR}_a(t) > B_a\}|}{|\{a \in A_W : a_h \leq \mathrm{as\_of}\}|}"
    ),
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Accounts whose activation (activated_at, else customer_since) is in W.",
    window_semantics=(
        "An account is in the cohort when its activation instant a0 is in W. It has matured when "
        "a0 + horizon_days <= as_of. Its baseline B is the summed arr of its contracts in force at "
        "activation (start <= a0 < end, so a first contract starting at the activation instant counts). "
        "It expanded when ARR_a(t), the arr of its contracts live at t (start < t <= end), exceeds B at "
        "some t in (a0, a0 + horizon]."
    ),
    undefined_when="No account activated in the window and segment has matured by as_of.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.GROWTH,
    seed="001",
    parameters=(
        EXPANSION_HORIZON,
        CONFIDENCE,
    ),
    pitfalls=(
        Pitfall(
            "Dividing by every account activated in the window, so recent cohorts always look worst.",
            "Accounts without the full horizon behind them are left out of numerator and denominator "
            "and counted in components and a warning.",
        ),
        Pitfall(
            "Counting an expansion that came years later against the cohort's onboarding.",
            "Only a rise within horizon_days (365 by default) of activation counts.",
        ),
        Pitfall(
            "Mistaking a renewal at the same price for an expansion.",
            "Only a run rate strictly above the activation baseline counts.",
        ),
        Pitfall(
            "Comparing amounts in two currencies as if they were one.",
            "An account whose contracts in the span are in more than one currency cannot be compared "
            "without a rate; it is left out and counted.",
        ),
    ),
    related=("expansion_revenue", "time_to_first_referral", "net_revenue_retention"),
    interpretation=(
        "The source names the rate without a horizon; the library uses 365 days by default and makes it "
        "a parameter. The comparison is of the account's own recorded amounts, so it needs no revenue "
        "basis; an account whose contracts in force at activation or live during the horizon are in "
        "more than one currency is left out and counted, since comparing them would need an exchange "
        "rate. A member with no contract in force at activation has a baseline of 0, so any contract "
        "live within the horizon counts as expansion."
    ),
)


def _activation_finish(cell: Cell, tally: Tally) -> MetricResult:
    found = tally[ACTIVATED]
    cohort, matured, expanded, mixed = found.cohort, found.matured, found.expanded, found.mixed_currency
    horizon_days = cell.params["horizon_days"]
    immature = cohort - matured - mixed
    warnings = []
    if immature:
        warnings.append(
            f"{immature} accounts activated in the window have not had {horizon_days} days by as_of and are "
            "excluded"
        )
    if mixed:
        warnings.append(
            f"{mixed} accounts have contracts in more than one currency around activation and are excluded"
        )
    reason: str | None = None
    if matured:
        pass
    elif cohort and not mixed:
        reason = (
            f"none of the {cohort} accounts activated in the window has matured (horizon {horizon_days} days)"
        )
    elif cohort:
        reason = f"no account activated in the window could be compared ({mixed} in several currencies)"
    else:
        reason = "no accounts activated in the window and segment"
    return cell.build(
        value=activation_formula(expanded, matured), undefined_reason=reason, numerator=expanded,
        denominator=matured, sample_size=matured, interval=wilson_interval(expanded, matured, cell.confidence),
        components={"cohort": cohort, "matured": matured, "expanded": expanded,
                    "immature_excluded": immature, "mixed_currency_excluded": mixed},
        details={"horizon_days": horizon_days}, warnings=warnings,
    )  # fmt: skip


ACTIVATION: Final = Metric(ACTIVATION_SPEC, [ACTIVATED], _activation_finish, needs=("contracts",))


@ACTIVATION.function
def activation_to_expansion_rate(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    horizon_days: int = EXPANSION_HORIZON.default,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the matured accounts activated in ``window`` whose run rate rose above its activation level.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = activation_to_expansion_rate(tiny(), window=Window.year(2025))
        >>> r.value, r.numerator, r.denominator
        (0.5, 1, 2)
        >>> activation_to_expansion_rate(tiny(), window=Window.year(2026)).undefined_reason
        'none of the 2 accounts activated in the window has matured (horizon 365 days)'
    """
    return ACTIVATION.one(
        data, window=window, segment=segment, horizon_days=horizon_days, confidence=confidence
    )
