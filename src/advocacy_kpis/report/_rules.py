"""The rules that fill the report's sections from the numbers.

Each function here reads results (or records) and returns statements or findings; none writes
free text. The constants are the rules' parameters, and `NEXT_STEPS` is the table that turns a
finding into its next step, so the same findings always give the same lines.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType, ModuleType
from typing import Any, Final

import attrs

from advocacy_kpis import catalog
from advocacy_kpis.blocks import SMALL_SAMPLE, SMALL_SAMPLE_NOTE
from advocacy_kpis.catalog import BasisUse
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import IncomparableResultsError, UnknownReferenceError
from advocacy_kpis.records import Account, Feedback, Review
from advocacy_kpis.report._format import (
    change_text,
    listing,
    number_text,
    p_text,
    plural,
    value_text,
)
from advocacy_kpis.report._model import (
    Finding,
    FindingKind,
    MetricRow,
    Movement,
    NextStep,
    Quote,
    Source,
    Statement,
    Stories,
)
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import BasisKind, RevenueBasis, Segment, Window
from advocacy_kpis.scorecard import Scorecard, unit_label

CONFIDENCE: Final = 0.95
"""The level of every significance test in the report."""

MIN_SEGMENT_SAMPLE: Final = SMALL_SAMPLE
"""Segments with fewer units are not ranked, nor flagged as above or below the whole."""

READY_SCORE: Final = 70
"""The readiness score (0-100) from which an account is ready to be asked."""

READY_LISTED: Final = 5
"""How many ready accounts a finding names (all of them are counted)."""

OVER_ASKED_LISTED: Final = 5
"""How many over-asked contacts a finding names (all of them are counted)."""

PRODUCT_CHANGE_LOOKBACK_DAYS: Final = 180
"""Product changes released this many days before the period end, or fewer, are checked for drops."""

PRODUCT_CHANGE_WINDOW_DAYS: Final = 90
"""The length of the windows compared before and after a product change."""

QUOTES_PER_SENTIMENT: Final = 2
"""Feedback texts quoted per sentiment."""

REVIEWS_QUOTED: Final = 3
"""Reviews listed in the customer stories."""

SENTIMENTS: Final = ("positive", "neutral", "negative")
QUOTE_ORDER: Final = ("positive", "negative", "neutral")

NEXT_STEPS: Final[Mapping[FindingKind, tuple[str, str]]] = MappingProxyType(
    {
        FindingKind.SIGNIFICANT_DECLINE: (
            "Find the cause of the {metric_name} decline ({change} against {previous_period}) and bring a "
            "recovery plan to the next review.",
            "Customer Advocacy, with Customer Success",
        ),
        FindingKind.SEGMENT_BELOW: (
            "Review the journey of {segment} accounts, where {metric_name} is reliably below the whole "
            "({value} against {whole}), and agree a targeted play.",
            "Customer Success, with Customer Advocacy",
        ),
        FindingKind.THRESHOLD_BREACHED: (
            "Bring {metric_name} ({segment}) back {target_side} {threshold}. {meaning}",
            "Customer Advocacy; support asked from the teams that feed the metric",
        ),
        FindingKind.OVER_ASKED: (
            "Pause asks to the {contacts_text} until the tap policy allows them again (by {allowed_until} at "
            "the latest) and route new requests to eligible advocates.",
            "Customer Advocacy; support asked from Sales and Marketing to route every ask through the programme",
        ),
        FindingKind.PRODUCT_CHANGE_DROP: (
            "Review '{change_name}' with Product: {metric_name} dropped in {segments} after its release; "
            "agree a fix or a message to the customers affected.",
            "Product, with Customer Success",
        ),
        FindingKind.UNSAFE_NUMBER: (
            "Hold targets and decisions on {metric_name} ({segment}, {period}) until the number firms up; "
            "read its interval, and look again at the next quarterly deep dive.",
            "Customer Advocacy",
        ),
        FindingKind.SIGNIFICANT_IMPROVEMENT: (
            "Write down what drove the {metric_name} improvement ({change}) and share it with Customer "
            "Success and Marketing so it can be repeated.",
            "Customer Advocacy",
        ),
        FindingKind.SEGMENT_ABOVE: (
            "Recruit advocates, references and case studies among {segment} accounts, the happiest "
            "profile on {metric_name} ({value} against {whole}).",
            "Customer Advocacy, with Marketing",
        ),
        FindingKind.READY_ADVOCATES: (
            "Ask the {accounts_text} for a reference, review or referral, highest readiness first and "
            "within the tap policy, starting with {top_names}.",
            "Customer Advocacy, with Account Management",
        ),
    }
)
"""The rule table of the next steps: per kind of finding, the action template and its owner.

The template's fields are the finding's ``facts``."""


def next_step(finding: Finding) -> NextStep:
    """The next step of a finding, from `NEXT_STEPS`."""
    template, owner = NEXT_STEPS[finding.kind]
    return NextStep(finding.kind, template.format(**finding.facts), owner, finding.text, finding.sources)


# -- metric rows -------------------------------------------------------------------------------


def movement(row_change: Any, direction: Direction) -> Movement:
    """How a change reads in the metric's direction."""
    if row_change is None:
        return Movement.NOT_COMPARED
    absolute = row_change.absolute
    if absolute == 0:
        return Movement.UNCHANGED
    if direction is Direction.TARGET_RANGE:
        return Movement.MOVED
    up = absolute > 0
    return Movement.IMPROVED if up == (direction is Direction.HIGHER_IS_BETTER) else Movement.DECLINED


def metric_row(
    card: Scorecard, metric: str, period: Window, previous: Window, year_ago: Window | None
) -> MetricRow:
    """A metric's row: the period against the one before, the year-ago value and the segments."""
    spec = catalog.get(metric)
    current, before = card.get(metric, period), card.get(metric, previous)
    note: str | None = None
    try:
        change = current.change_from(before, confidence=CONFIDENCE)
    except IncomparableResultsError as error:
        change, note = None, str(error)
    if change is not None and change.absolute is None:
        # A value is undefined on one side: there is no change to show, only the reason.
        note = change.reason
        change = None
    if change is None and note is None:
        note = "a value is undefined in one of the two periods"
    return MetricRow(
        metric=metric,
        name=spec.name,
        unit=unit_label(metric, card.basis),
        current=current,
        previous=before,
        year_ago=card.get(metric, year_ago) if year_ago is not None else None,
        change=change,
        change_note=note,
        movement=movement(change, spec.direction),
        by_segment=tuple(card.get(metric, period, s) for s in card.segments if not s.is_all),
    )


def significant(row: MetricRow) -> bool:
    """Whether the row's change passed its test."""
    return row.change is not None and row.change.significant is True


# -- executive summary -------------------------------------------------------------------------


def _clearest(rows: Sequence[MetricRow], wanted: Movement | None) -> MetricRow | None:
    """The row with the smallest p-value among the significant moves of ``wanted`` (any tested
    move when ``wanted`` is None); ties go to the earlier metric of the table."""
    chosen = [
        r
        for r in rows
        if r.change is not None
        and r.change.p_value is not None
        and r.movement is not Movement.UNCHANGED
        and (r.movement is wanted and significant(r) if wanted is not None else True)
    ]
    return min(chosen, key=lambda r: r.change.p_value if r.change and r.change.p_value is not None else 1.0,
               default=None)  # fmt: skip


def _move_text(row: MetricRow, period: Window) -> str:
    assert row.change is not None
    return (
        f"{row.name}, from {value_text(row.previous)} in {row.previous.window.label} to "
        f"{value_text(row.current)} in {period.label} "
        f"({change_text(row.change, row.current.unit, row.current.basis)}, {p_text(row.change.p_value)})"
    )


def _row_sources(row: MetricRow, period: Window) -> tuple[Source, ...]:
    return (Source(row.metric, period, Segment.all()), Source(row.metric, row.previous.window, Segment.all()))


def _move_sentences(rows: Sequence[MetricRow], period: Window, previous: Window) -> list[Statement]:
    up = _clearest(rows, Movement.IMPROVED)
    down = _clearest(rows, Movement.DECLINED)
    if up is None and down is None:
        largest = _clearest(rows, None)
        every = tuple(Source(r.metric, period, Segment.all()) for r in rows)
        if largest is None:
            return [Statement(f"No headline metric moved significantly against {previous.label}.",
                              "summary.clearest_move", every)]  # fmt: skip
        return [
            Statement(
                f"No headline metric moved significantly against {previous.label}; the clearest move, "
                f"{_move_text(largest, period)}, is still within the noise of the samples.",
                "summary.clearest_move",
                _row_sources(largest, period),
            )
        ]
    found = []
    for row, word in ((up, "improvement"), (down, "decline")):
        if row is None:
            found.append(
                Statement(
                    f"No headline metric shows a significant {word} against {previous.label}.",
                    f"summary.clearest_{word}",
                    tuple(Source(r.metric, period, Segment.all()) for r in rows),
                )
            )
        else:
            found.append(
                Statement(
                    f"The clearest significant {word} is {_move_text(row, period)}.",
                    f"summary.clearest_{word}",
                    _row_sources(row, period),
                )
            )
    return found


def summary_statements(
    rows: Sequence[MetricRow],
    *,
    period: Window,
    previous: Window,
    year_ago: Window | None,
    cadence: str,
    customers: int,
    segments: Sequence[Segment],
    wins: Sequence[Finding],
    risks: Sequence[Finding],
) -> tuple[Statement, ...]:
    """The executive summary's five sentences (rules ``summary.*``)."""
    split = [s.name for s in segments if not s.is_all]
    attributes = sorted({a for s in segments for a in s.attributes})
    compared = f"{previous.label}" + (f" and {year_ago.label}" if year_ago is not None else "")
    scope = Statement(
        f"This {cadence} covers {period.label} against {compared}, over "
        f"{plural(customers, 'customer')} at the period end, read overall"
        + (f" and by {listing(attributes)} ({len(split)} segments)." if split else "."),
        "summary.scope",
        (Source(None, period, Segment.all(), "customers at the period end"),),
    )
    counts = {m: sum(1 for r in rows if r.movement is m) for m in Movement}
    moves = counts[Movement.IMPROVED] + counts[Movement.DECLINED] + counts[Movement.MOVED]
    sig = sum(1 for r in rows if significant(r) and r.movement is not Movement.UNCHANGED)
    other = counts[Movement.UNCHANGED] + counts[Movement.NOT_COMPARED] + counts[Movement.MOVED]
    verb = "is" if sig == 1 else "are"
    direction = Statement(
        f"Against {previous.label}, {counts[Movement.IMPROVED]} of the {len(rows)} headline metrics improved "
        f"and {counts[Movement.DECLINED]} declined ({other} unchanged, without a direction or without a "
        f"comparable value); {sig} of the {moves} moves {verb} statistically significant at the "
        f"{CONFIDENCE:.0%} level.",
        "summary.direction_count",
        tuple(Source(r.metric, period, Segment.all()) for r in rows),
    )
    thresholds = sum(1 for f in risks if f.kind is FindingKind.THRESHOLD_BREACHED)
    findings = Statement(
        f"The report finds {plural(len(wins), 'win')} and {plural(len(risks), 'risk')}"
        + (
            f", {plural(thresholds, 'threshold breach', 'threshold breaches')} among them"
            if thresholds
            else ""
        )
        + "; every one has a next step in the last section.",
        "summary.findings_count",
        tuple(s for f in (*wins, *risks) for s in f.sources[:1]),
    )
    return (scope, direction, *_move_sentences(rows, period, previous), findings)


# -- wins and risks from the scorecard ---------------------------------------------------------


def change_findings(rows: Sequence[MetricRow], period: Window) -> list[Finding]:
    """Significant improvements and declines against the previous period (overall)."""
    found = []
    for row in rows:
        if not significant(row) or row.movement not in (Movement.IMPROVED, Movement.DECLINED):
            continue
        assert row.change is not None
        kind = (
            FindingKind.SIGNIFICANT_IMPROVEMENT
            if row.movement is Movement.IMPROVED
            else FindingKind.SIGNIFICANT_DECLINE
        )
        facts = {
            "metric": row.metric,
            "metric_name": row.name,
            "previous": value_text(row.previous),
            "current": value_text(row.current),
            "change": change_text(row.change, row.current.unit, row.current.basis),
            "p": p_text(row.change.p_value),
            "period": period.label,
            "previous_period": row.previous.window.label,
        }
        verb = "improved" if kind is FindingKind.SIGNIFICANT_IMPROVEMENT else "declined"
        found.append(
            Finding(
                kind,
                f"{row.name} {verb} from {facts['previous']} in {facts['previous_period']} to "
                f"{facts['current']} in {period.label} ({facts['change']}, {facts['p']}).",
                (
                    Source(row.metric, period, Segment.all()),
                    Source(row.metric, row.previous.window, Segment.all()),
                ),
                facts,
            )
        )
    return found


def segment_findings(card: Scorecard, metrics: Iterable[str], period: Window) -> list[Finding]:
    """Segments whose interval lies wholly above or below the whole's (`Scorecard.breakdown`)."""
    found: list[Finding] = []
    whole_in = any(s.is_all for s in card.segments)
    if not whole_in:
        return found
    for metric in metrics:
        whole = card.get(metric, period)
        for row in card.breakdown(metric, period, min_sample=MIN_SEGMENT_SAMPLE):
            spec = catalog.get(metric)
            if row.versus_whole is None or spec.direction is Direction.TARGET_RANGE:
                continue
            # "above" is better unless lower is better (churn, days to an event).
            better = (row.versus_whole == "above") == (spec.direction is not Direction.LOWER_IS_BETTER)
            kind = FindingKind.SEGMENT_ABOVE if better else FindingKind.SEGMENT_BELOW
            facts = {
                "metric": metric,
                "metric_name": spec.name,
                "segment": row.segment.name,
                "value": value_text(row.result),
                "whole": value_text(whole),
                "period": period.label,
                "sample": row.result.sample_size,
            }
            side = "better" if better else "worse"
            found.append(
                Finding(
                    kind,
                    f"{row.segment.name} is reliably {side} than the whole on {spec.name} in {period.label}: "
                    f"{facts['value']} against {facts['whole']} (n={row.result.sample_size}; the two "
                    "intervals do not overlap).",
                    (Source(metric, period, row.segment), Source(metric, period, Segment.all())),
                    facts,
                )
            )
    return found


def threshold_findings(card: Scorecard, metrics: Iterable[str], period: Window) -> list[Finding]:
    """Values past a threshold of the metric's spec: overall, and in segments with enough units."""
    found = []
    for metric in metrics:
        spec = catalog.get(metric)
        for threshold in spec.thresholds:
            for segment in card.segments:
                result = card.get(metric, period, segment)
                if result.value is None or not threshold.breached(float(result.value)):
                    continue
                if not segment.is_all and result.sample_size < MIN_SEGMENT_SAMPLE:
                    continue
                level = number_text(threshold.value, spec.unit, card.basis)
                meaning = threshold.meaning.strip()
                meaning = meaning[:1].upper() + meaning[1:] + ("" if meaning.endswith(".") else ".")
                facts = {
                    "metric": metric,
                    "metric_name": spec.name,
                    "segment": segment.name,
                    "value": value_text(result),
                    "threshold": level,
                    "side": threshold.breached_when,
                    "target_side": "above" if threshold.breached_when == "below" else "below",
                    "meaning": meaning,
                    "period": period.label,
                }
                found.append(
                    Finding(
                        FindingKind.THRESHOLD_BREACHED,
                        f"{spec.name} is {facts['value']} in {period.label} ({segment.name}), "
                        f"{threshold.breached_when} the {level} threshold. {meaning}",
                        (Source(metric, period, segment),),
                        facts,
                    )
                )
    return found


def _unsafe_reason(result: MetricResult) -> str | None:
    notes = [result.undefined_reason] if result.undefined_reason else []
    for note in [*notes, *result.warnings]:
        lowered = note.lower()
        if note.startswith(SMALL_SAMPLE_NOTE):
            return f"it rests on a small sample of {result.sample_size}"
        if "not matured" in lowered or "immature" in lowered or "has matured" in lowered:
            return note
    return None


def unsafe_findings(rows: Sequence[MetricRow], period: Window) -> list[Finding]:
    """Headline numbers of the period (overall) too thin or too young to act on."""
    found = []
    for row in rows:
        reason = _unsafe_reason(row.current)
        if reason is None:
            continue
        facts = {
            "metric": row.metric,
            "metric_name": row.name,
            "segment": row.current.segment.name,
            "period": period.label,
            "value": value_text(row.current),
            "reason": reason,
        }
        shown = (
            f"{row.name} in {period.label} ({facts['value']}) is not safe to act on"
            if row.current.value is not None
            else f"{row.name} has no value for {period.label}"
        )
        found.append(
            Finding(
                FindingKind.UNSAFE_NUMBER,
                f"{shown}, because {reason}.",
                (Source(row.metric, period, Segment.all()),),
                facts,
            )
        )
    return found


# -- over-asking -------------------------------------------------------------------------------


@attrs.frozen
class OverAskingView:
    """The over-tapped asks of the period, from the over-asking analysis or the compliance metric.

    Attributes:
        method: ``analysis`` (advocacy_kpis.analyses.over_asking), ``metric``
            (tap_policy_compliance's details), or None when neither is available.
        asks: the asks made in the period, where known.
        taps: one dict per over-tapped ask: contact, account_id, asset, asked_at,
            previous_asked_at, allowed_from (ISO 8601 text).
    """

    method: str | None
    asks: int | None
    taps: tuple[Mapping[str, Any], ...]

    @property
    def contacts(self) -> tuple[str, ...]:
        """The over-tapped contacts, each once, sorted."""
        return tuple(sorted({str(t["contact"]) for t in self.taps}))

    @property
    def accounts(self) -> frozenset[str]:
        """The accounts of the over-tapped contacts."""
        return frozenset(str(t["account_id"]) for t in self.taps)


def over_asking_module() -> ModuleType | None:
    """``advocacy_kpis.analyses.over_asking`` when the installed library has it, else None."""
    try:
        return importlib.import_module("advocacy_kpis.analyses.over_asking")
    except ImportError:
        return None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def over_asking_view(data: AdvocacyData, period: Window, registered: Iterable[str]) -> OverAskingView:
    """The over-tapped asks of the period: the analysis if importable, else the metric's details."""
    module = over_asking_module()
    if module is not None:
        found = module.over_asked(data, period)
        taps = tuple(
            {
                "contact": tap.contact,
                "account_id": tap.account_id,
                "asset": getattr(tap.asset, "value", tap.asset),
                "asked_at": _iso(tap.asked_at),
                "previous_asked_at": _iso(tap.previous_asked_at),
                "allowed_from": _iso(tap.allowed_from),
            }
            for tap in found.over_tapped
        )
        return OverAskingView("analysis", int(found.asks), taps)
    if "tap_policy_compliance" in set(registered):
        from advocacy_kpis.scorecard import compute

        result = compute("tap_policy_compliance", data, window=period)
        listed = result.details.get("over_tapped", ())
        taps = tuple(
            {
                "contact": item["contact"],
                "account_id": item["account_id"],
                "asset": item["asset"],
                "asked_at": _iso(item["asked_at"]),
                "previous_asked_at": _iso(item["previous_asked_at"]),
                "allowed_from": _iso(item["allowed_from"]),
            }
            for item in listed
        )
        asks = result.denominator if isinstance(result.denominator, int) else None
        return OverAskingView("metric", asks, taps)
    return OverAskingView(None, None, ())


def over_asked_findings(view: OverAskingView, period: Window, data: AdvocacyData) -> list[Finding]:
    """One risk when asks in the period came sooner than the tap policy allows."""
    if not view.taps:
        return []
    contacts = view.contacts
    shown = [_contact_name(data, c) for c in contacts[:OVER_ASKED_LISTED]]
    more = len(contacts) - len(shown)
    named = listing(shown + ([f"{more} more"] if more > 0 else []))
    facts = {
        "over_tapped_asks": len(view.taps),
        "asks": view.asks,
        "contacts": len(contacts),
        "contacts_text": plural(len(contacts), "over-asked contact"),
        "named": named,
        "allowed_until": max(str(t["allowed_from"]) for t in view.taps)[:10],
        "period": period.label,
        "method": view.method,
    }
    of_asks = f" of {view.asks}" if view.asks is not None else ""
    metric = "tap_policy_compliance" if view.method == "metric" else None
    detail = "over-asking analysis" if view.method == "analysis" else None
    return [
        Finding(
            FindingKind.OVER_ASKED,
            f"{plural(len(view.taps), 'ask')}{of_asks} in {period.label} came sooner than the tap policy "
            f"allows, to {plural(len(contacts), 'contact')}: {named}.",
            (Source(metric, period, Segment.all(), detail),),
            facts,
        )
    ]


def _contact_name(data: AdvocacyData, contact: str) -> str:
    account_id, _, advocate = contact.partition("/")
    try:
        name = _account_name(data.account(account_id))
    except UnknownReferenceError:
        return contact
    return f"{name} ({advocate})" if advocate else name


def _account_name(account: Account) -> str:
    return account.name or account.id


# -- ready advocates ---------------------------------------------------------------------------


def run_rate_basis(basis: RevenueBasis | None) -> RevenueBasis | None:
    """The basis for an account's value at an instant: ARR in the basis currency for ACV or TCV."""
    if basis is None or basis.is_run_rate:
        return basis
    return RevenueBasis(BasisKind.ARR, basis.currency, basis.fx_rates)


def ready_findings(
    data: AdvocacyData, period: Window, basis: RevenueBasis | None, over_asked: frozenset[str]
) -> list[Finding]:
    """Accounts ready to be asked at the period end: readiness at least `READY_SCORE`, not over-asked.

    Where the over-asking analysis is available, an account whose advocates in the pool are all
    held back by the tap policy for a reference is left out too.
    """
    from advocacy_kpis.metrics import readiness_scores

    at = min(period.end, data.as_of)
    scores = readiness_scores(data, at=at)
    ready = {a: r.score for a, r in scores.items() if r.score >= READY_SCORE and a not in over_asked}
    module = over_asking_module()
    held_back = 0
    if module is not None and ready:
        eligible = {e.account_id for e in module.eligible_to_ask(data, at, "reference")}
        pooled = {v.account_id for v in data.advocates if v.is_enrolled_at(at)}
        blocked = {a for a in ready if a in pooled and a not in eligible}
        held_back = len(blocked)
        ready = {a: s for a, s in ready.items() if a not in blocked}
    if not ready:
        return []
    ranking = run_rate_basis(basis)
    worth = {a: data.arr_at(a, at, ranking) if ranking is not None else Decimal(0) for a in ready}
    order = sorted(ready, key=lambda a: (-ready[a], -worth[a], a))
    top = []
    names = [_account_name(data.account(a)) for a in order[:READY_LISTED]]
    for account_id in order[:READY_LISTED]:
        name = _account_name(data.account(account_id))
        money = f", {number_text(worth[account_id], Unit.MONEY, ranking)} ARR" if ranking is not None else ""
        top.append(f"{name} (score {ready[account_id]:.0f}{money})")
    facts = {
        "count": len(ready),
        "accounts_text": plural(len(ready), "ready account"),
        "top": listing(top),
        "top_names": listing(names),
        "at": at.date().isoformat(),
        "threshold": READY_SCORE,
        "over_asked_left_out": len(over_asked & set(scores)),
        "held_back_by_policy": held_back,
    }
    text = (
        f"{plural(len(ready), 'account')} score {READY_SCORE} or more for referral readiness at {facts['at']} "
        f"and were not over-asked in {period.label}; the highest: {facts['top']}."
    )
    return [
        Finding(
            FindingKind.READY_ADVOCATES,
            text,
            (
                Source(
                    "referral_readiness_score", period, Segment.all(), "per-account scores at the period end"
                ),
            ),
            facts,
        )
    ]


# -- product changes ---------------------------------------------------------------------------


def recent_changes(data: AdvocacyData, period: Window) -> list[Any]:
    """Product changes released in the `PRODUCT_CHANGE_LOOKBACK_DAYS` before the period end (and before as_of)."""
    since = period.end - timedelta(days=PRODUCT_CHANGE_LOOKBACK_DAYS)
    return sorted(
        (c for c in data.product_changes if since <= c.released_at < min(period.end, data.as_of)),
        key=lambda c: (c.released_at, c.id),
    )


def product_change_findings(
    data: AdvocacyData, period: Window, metrics: Sequence[str], segments: Sequence[Segment]
) -> tuple[list[Finding], list[Statement]]:
    """Significant drops of the rate and score headline metrics after recent product changes."""
    from advocacy_kpis.analyses import product_change_impact

    changes = recent_changes(data, period)
    checked = [
        m
        for m in metrics
        if catalog.get(m).unit in (Unit.RATE, Unit.SCORE)
        and catalog.get(m).basis not in (BasisUse.REQUIRED, BasisUse.CURRENCY)
    ]
    notes: list[Statement] = []
    found: list[Finding] = []
    if not changes:
        notes.append(
            Statement(
                f"No product change was released in the {PRODUCT_CHANGE_LOOKBACK_DAYS} days before the "
                f"period end, so no drop-off after a product change is checked.",
                "risks.product_change_drop",
                (Source(None, period, Segment.all(), "product changes"),),
            )
        )
        return found, notes
    for change in changes:
        label = change.name or change.id
        drops = 0
        for metric in checked:
            impact = product_change_impact(
                data, change, metric=metric, days=PRODUCT_CHANGE_WINDOW_DAYS, segments=list(segments),
                confidence=CONFIDENCE,
            )  # fmt: skip
            if not impact.drops:
                continue
            drops += 1
            spec = catalog.get(metric)
            parts = [
                f"{r.segment.name} {value_text(r.before)} to {value_text(r.after)} "
                f"({change_text(r.change, r.after.unit, r.after.basis)}, "
                f"{p_text(r.change.p_value if r.change else None)})"
                for r in impact.drops
            ]
            provisional = (
                " The after-window is still running: read it as provisional." if impact.partial else ""
            )
            facts = {
                "metric": metric,
                "metric_name": spec.name,
                "change_id": change.id,
                "change_name": label,
                "released": change.released_at.date().isoformat(),
                "segments": listing([r.segment.name for r in impact.drops]),
                "days": PRODUCT_CHANGE_WINDOW_DAYS,
                "partial": impact.partial,
            }
            found.append(
                Finding(
                    FindingKind.PRODUCT_CHANGE_DROP,
                    f"{spec.name} dropped after '{label}' (released {facts['released']}), comparing the "
                    f"{PRODUCT_CHANGE_WINDOW_DAYS} days before and after: {'; '.join(parts)}.{provisional}",
                    tuple(
                        Source(metric, w, r.segment, f"product change {change.id}")
                        for r in impact.drops
                        for w in (impact.before, impact.after)
                    ),
                    facts,
                )
            )
        if not drops:
            notes.append(
                Statement(
                    f"'{label}' (released {change.released_at.date().isoformat()}): no significant drop in "
                    f"{listing([catalog.get(m).name for m in checked]) or 'the rate and score headline metrics'} "
                    f"over the {PRODUCT_CHANGE_WINDOW_DAYS} days after it, overall or in any segment.",
                    "risks.product_change_drop",
                    (Source(None, period, Segment.all(), f"product change {change.id}"),),
                )
            )
    return found, notes


# -- customer stories --------------------------------------------------------------------------


def stories(data: AdvocacyData, period: Window, basis: RevenueBasis | None) -> Stories:
    """The sentiment mix, the quoted feedback and the reviews of the period."""
    ranking = run_rate_basis(basis)
    at = min(period.end, data.as_of)
    worth: dict[str, Decimal] = {}

    def arr(account_id: str | None) -> Decimal | None:
        if account_id is None or ranking is None:
            return None
        if account_id not in worth:
            worth[account_id] = data.arr_at(account_id, at, ranking)
        return worth[account_id]

    feedback = data.events(Feedback, period)
    mix = {s: sum(1 for f in feedback if f.sentiment.value == s) for s in SENTIMENTS}
    mix["total"] = len(feedback)
    quotes: list[Quote] = []
    for sentiment in QUOTE_ORDER:
        candidates = [f for f in feedback if f.sentiment.value == sentiment and f.text]
        candidates.sort(key=lambda f: (-(arr(f.account_id) or 0), -f.received_at.timestamp(), f.id))
        seen_accounts: set[str] = set()
        seen_texts: set[str] = set()
        for item in candidates:
            if len([q for q in quotes if q.sentiment == sentiment]) >= QUOTES_PER_SENTIMENT:
                break
            text = (item.text or "").strip()
            if item.account_id in seen_accounts or text.lower() in seen_texts:
                continue
            seen_accounts.add(item.account_id)
            seen_texts.add(text.lower())
            quotes.append(
                _quote(data, "feedback", item, item.account_id, item.received_at, arr(item.account_id))
            )
    reviews = data.events(Review, period)
    rated = [r.rating for r in reviews if r.rating is not None]
    mean_rating = sum(rated) / len(rated) if rated else None
    ranked = sorted(reviews, key=lambda r: (-(arr(r.account_id) or 0), -r.published_at.timestamp(), r.id))
    review_quotes = tuple(
        _quote(data, "review", r, r.account_id, r.published_at, arr(r.account_id))
        for r in ranked[:REVIEWS_QUOTED]
    )
    source = (Source(None, period, Segment.all(), "feedback records"),)
    statements = [
        Statement(
            (
                f"{plural(mix['total'], 'piece')} of feedback arrived in {period.label}: "
                f"{mix['positive']} positive, {mix['neutral']} neutral and {mix['negative']} negative"
                + (f" ({mix['positive'] / mix['total']:.0%} positive)." if mix["total"] else ".")
            ),
            "stories.sentiment_mix",
            source,
        ),
        Statement(
            f"{plural(len(reviews), 'public review')} published in {period.label}"
            + (f", rated {mean_rating:.1f} on average over {len(rated)} with a rating." if rated else "."),
            "stories.reviews",
            (Source(None, period, Segment.all(), "review records"),),
        ),
    ]
    return Stories(
        sentiment_mix=mix,
        quotes=tuple(quotes),
        reviews=len(reviews),
        mean_rating=mean_rating,
        review_quotes=review_quotes,
        statements=tuple(statements),
    )


def _quote(
    data: AdvocacyData, source: str, record: Any, account_id: str | None, at: datetime, arr: Decimal | None
) -> Quote:
    account = data.account(account_id) if account_id is not None else None
    is_feedback = source == "feedback"
    return Quote(
        source="feedback" if is_feedback else "review",
        record_id=record.id,
        account_id=account_id,
        account=_account_name(account) if account is not None else None,
        tier=account.tier if account is not None else None,
        at=at,
        sentiment=record.sentiment.value if is_feedback else None,
        channel=record.channel if is_feedback else record.platform,
        text=record.text if is_feedback else None,
        rating=None if is_feedback else record.rating,
        arr=arr,
    )
