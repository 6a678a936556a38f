"""Over-asking: who was asked more often than the tap policy allows, and who may be asked now.

Asking the same few happy customers again and again is how advocacy programmes burn out their
best advocates. `over_asked` lists, for a window, every ask that came sooner after the contact's
previous ask of the same effort class than the `TapPolicy` allows: the same asks
`tap_policy_compliance` counts against the policy, from the same code. `eligible_to_ask` turns
the policy around for planning: the advocates in the pool at an instant whom the policy lets the
team ask for a given asset then, with when each was last asked.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, overload

import attrs

from advocacy_kpis import display
from advocacy_kpis.analyses._common import Tabular, period_label, segment_label
from advocacy_kpis.blocks import scope_warnings
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.formulas import nps_category, tap_policy_compliance
from advocacy_kpis.metrics.program import OverTap, find_over_taps, tap_policy_summary
from advocacy_kpis.policy import DEFAULT_TAP_POLICY, TapPolicy
from advocacy_kpis.records import Advocate, Ask, Asset, SurveyKind, SurveyResponse
from advocacy_kpis.scope import Segment, Window

__all__ = [
    "DETRACTOR_DAYS",
    "Eligibility",
    "EligibleAdvocate",
    "LeftOut",
    "OverAsking",
    "eligible_to_ask",
    "over_asked",
]


def _read_only(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted(counts.items())))


def _day(instant: datetime) -> str:
    return instant.date().isoformat()


@attrs.frozen(repr=False)
class OverAsking(Tabular):
    """The asks of a window that broke the tap policy.

    Attributes:
        window: the window the asks were made in.
        segment: the accounts whose asks were read.
        policy: the tap policy applied.
        as_of: when the data set was extracted.
        asks: how many asks were made in the window (and segment).
        asks_by_asset: the same, per asset.
        over_tapped: each ask that came too soon after the contact's previous ask of the same
            effort class, in time order.
        warnings: about the window (one that runs past ``as_of`` is still partial).
    """

    window: Window
    segment: Segment
    policy: TapPolicy
    as_of: datetime
    asks: int
    asks_by_asset: Mapping[str, int] = attrs.field(converter=_read_only)
    over_tapped: tuple[OverTap, ...]
    warnings: tuple[str, ...] = ()

    @property
    def compliant(self) -> int:
        """The asks that respected the policy."""
        return self.asks - len(self.over_tapped)

    @property
    def compliance(self) -> float | None:
        """The share of the asks that respected the policy (None without asks), as in
        `tap_policy_compliance`."""
        return tap_policy_compliance(self.compliant, self.asks)

    @property
    def contacts(self) -> tuple[str, ...]:
        """The over-tapped contacts, each once, in order."""
        return tuple(sorted({tap.contact for tap in self.over_tapped}))

    def only(self, asset: Asset | str) -> OverAsking:
        """The same analysis restricted to the asks for one asset.

        Raises:
            ParameterError: ``asset`` is not an `Asset` or the value of one.
        """
        chosen = _asset(asset, "OverAsking.only")
        return attrs.evolve(
            self,
            asks=self.asks_by_asset.get(chosen.value, 0),
            asks_by_asset={chosen.value: self.asks_by_asset.get(chosen.value, 0)},
            over_tapped=tuple(tap for tap in self.over_tapped if tap.asset is chosen),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "window": self.window.to_dict(),
            "segment": self.segment.to_dict(),
            "policy": tap_policy_summary(self.policy),
            "as_of": self.as_of.isoformat(),
            "asks": self.asks,
            "compliant": self.compliant,
            "compliance": self.compliance,
            "asks_by_asset": dict(self.asks_by_asset),
            "over_tapped_contacts": list(self.contacts),
            "over_tapped": [tap.to_dict() for tap in self.over_tapped],
            "warnings": list(self.warnings),
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat, JSON-safe dict per over-tapped ask, in time order."""
        return [
            {
                "contact": tap.contact,
                "account_id": tap.account_id,
                "asset": tap.asset.value,
                "previous_asset": tap.previous_asset.value,
                "previous_asked_at": tap.previous_asked_at.isoformat(),
                "asked_at": tap.asked_at.isoformat(),
                "allowed_from": tap.allowed_from.isoformat(),
            }
            for tap in self.over_tapped
        ]

    def _view(self) -> display.View:
        policy = self.policy
        share = f"{self.compliance:.1%} compliant" if self.compliance is not None else "no asks"
        title = (
            f"Over-asking in {period_label(self.window)} ({segment_label(self.segment)}): "
            f"{len(self.over_tapped)} of {self.asks} asks too soon, {share}"
        )
        lines = (
            f"window {self.window.label} · segment {self.segment.name} · as of {_day(self.as_of)}",
            f"Tap policy: per contact, high-effort asks {policy.high_effort_gap_months} and low-effort asks "
            f"{policy.low_effort_gap_months} calendar month(s) apart",
        )
        notes = display.Footnotes()
        numbers = tuple(notes.number(w) for w in self.warnings)
        facts = display.Facts(
            (
                ("asks", display.Cell(f"{self.asks:,}", notes=numbers), 0),
                *((asset, display.Cell(f"{count:,}"), 1) for asset, count in self.asks_by_asset.items()),
                ("too soon", display.Cell(f"{len(self.over_tapped):,}"), 0),
                ("contacts over-tapped", display.Cell(f"{len(self.contacts):,}"), 0),
            )
        )
        parts: list[display.Part] = [facts]
        if self.over_tapped:
            rows = tuple(
                (
                    display.Cell(tap.contact),
                    display.Cell(tap.asset.value),
                    display.Cell(f"{_day(tap.previous_asked_at)} ({tap.previous_asset.value})"),
                    display.Cell(_day(tap.asked_at)),
                    display.Cell(_day(tap.allowed_from)),
                )
                for tap in self.over_tapped
            )
            columns = ("contact", "asset", "previous ask", "this ask", "allowed from")
            parts.append(display.Table(columns, rows, "Asks too soon after the previous one", left=5))
        else:
            parts.append(display.Paragraph("No ask came too soon." if self.asks else "No asks were made."))
        return display.View(title, lines, tuple(parts), notes.notes)


def _check_common(data: Any, segment: Any, policy: Any, function: str) -> Segment:
    if not isinstance(data, AdvocacyData):
        raise ParameterError("data", function, "an AdvocacyData", type(data).__name__)
    if not isinstance(policy, TapPolicy):
        raise ParameterError(
            "policy", function, "a TapPolicy such as TapPolicy(high_effort_gap_months=3)", policy
        )
    chosen = Segment.all() if segment is None else segment
    if not isinstance(chosen, Segment):
        raise ParameterError("segment", function, "a Segment such as Segment.where(tier='smb')", segment)
    data.check_segment(chosen, function)
    return chosen


def _asset(value: Any, function: str) -> Asset:
    if isinstance(value, Asset):
        return value
    if isinstance(value, str):
        try:
            return Asset(value.strip().lower())
        except ValueError:
            pass
    names = ", ".join(asset.value for asset in Asset)
    raise ParameterError("asset", function, f"an Asset or one of {names}", value)


def over_asked(
    data: AdvocacyData,
    window: Window,
    *,
    policy: TapPolicy = DEFAULT_TAP_POLICY,
    segment: Segment | None = None,
) -> OverAsking:
    """The asks made in ``window`` that broke the tap policy: contact, asset, the two ask dates.

    An ask breaks the policy when the same contact (the advocate asked within the account, else
    the account) had an ask of the same effort class less than the class's gap earlier, in or
    before the window. These are exactly the asks `tap_policy_compliance` counts as over-tapped
    (its ``details["over_tapped"]``) for the same window, segment and policy.

    Args:
        data: the data set.
        window: asks with ``asked_at`` in this window are checked.
        policy: the tap policy (gaps per effort class, each asset's class).
        segment: accounts whose asks are checked (default: all).

    Returns:
        An `OverAsking`: the number of asks, the over-tapped ones in time order, and the
        over-tapped contacts.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> found = over_asked(tiny(), Window.quarter(2026, 2))
        >>> found.asks, found.contacts, found.compliance
        (2, ('a1/v1',), 0.5)
        >>> print(found)  # doctest: +NORMALIZE_WHITESPACE
        Over-asking in Q2 2026 (All customers): 1 of 2 asks too soon, 50.0% compliant
        window 2026Q2 · segment all · as of 2026-10-15
        Tap policy: per contact, high-effort asks 3 and low-effort asks 1 calendar month(s) apart
        <BLANKLINE>
          asks                  2
            case_study          1
            reference           1
          too soon              1
          contacts over-tapped  1
        <BLANKLINE>
        Asks too soon after the previous one
        contact  asset      previous ask             this ask    allowed from
        -------  ---------  -----------------------  ----------  ------------
        a1/v1    reference  2026-04-15 (case_study)  2026-06-01  2026-07-15
        >>> over_asked(tiny(), Window.quarter(2026, 3)).over_tapped
        ()
    """
    chosen = _check_common(data, segment, policy, "over_asked")
    if not isinstance(window, Window):
        raise ParameterError("window", "over_asked", "a Window such as Window.quarter(2026, 3)", window)
    asks = data.events(Ask, window, chosen)
    by_asset: dict[str, int] = {}
    for ask in asks:
        by_asset[ask.asset.value] = by_asset.get(ask.asset.value, 0) + 1
    return OverAsking(
        window=window,
        segment=chosen,
        policy=policy,
        as_of=data.as_of,
        asks=len(asks),
        asks_by_asset=by_asset,
        over_tapped=tuple(find_over_taps(data, asks, policy)),
        warnings=tuple(scope_warnings(data, window)),
    )


DETRACTOR_DAYS: Final = 180
"""By default, contacts whose account gave a detractor answer this many days before are not asked."""


def _when(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


@attrs.frozen
class EligibleAdvocate:
    """An advocate the tap policy lets the team ask for an asset at an instant.

    Attributes:
        advocate_id: the advocate.
        account_id: their account.
        contact: ``account/advocate``, as asks name it.
        enrolled_at: when they joined the programme.
        readiness: their account's referral readiness score (0-100) at the instant, or None
            when the account is not scored.
        last_asked_at: their latest ask of the asset's effort class before the instant, or None.
        last_asset: the asset of that ask, or None.
        last_any_asked_at: their latest ask of any asset before the instant, or None.
        last_any_asset: the asset of that ask, or None.
    """

    advocate_id: str
    account_id: str
    contact: str
    enrolled_at: datetime
    last_asked_at: datetime | None
    last_asset: Asset | None
    last_any_asked_at: datetime | None
    last_any_asset: Asset | None = None
    readiness: float | None = None

    @property
    def last_ask(self) -> str:
        """``never asked`` only when never asked for anything; else the last ask of any asset.

        Examples:
            >>> from datetime import UTC, datetime
            >>> t = datetime(2026, 5, 1, tzinfo=UTC)
            >>> EligibleAdvocate("v1", "a1", "a1/v1", t, None, None, t, Asset.REVIEW).last_ask
            'last asked 2026-05-01 (review)'
            >>> EligibleAdvocate("v1", "a1", "a1/v1", t, None, None, None).last_ask
            'never asked'
        """
        if self.last_any_asked_at is None:
            return "never asked"
        asset = f" ({self.last_any_asset.value})" if self.last_any_asset is not None else ""
        return f"last asked {_day(self.last_any_asked_at)}{asset}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "advocate_id": self.advocate_id,
            "account_id": self.account_id,
            "contact": self.contact,
            "enrolled_at": self.enrolled_at.isoformat(),
            "readiness": self.readiness,
            "last_asked_at": _when(self.last_asked_at),
            "last_asset": None if self.last_asset is None else self.last_asset.value,
            "last_any_asked_at": _when(self.last_any_asked_at),
            "last_any_asset": None if self.last_any_asset is None else self.last_any_asset.value,
            "last_ask": self.last_ask,
        }


@attrs.frozen
class LeftOut:
    """An advocate in the pool who is not offered for the ask, and why.

    Attributes:
        contact: ``account/advocate``.
        account_id: their account.
        reason: why they are left out, in words.
        until: when the reason lapses (the tap policy allows the ask again, or the detractor
            answer leaves the look-back), or None.
    """

    contact: str
    account_id: str
    reason: str
    until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"contact": self.contact, "account_id": self.account_id, "reason": self.reason,
                "until": _when(self.until)}  # fmt: skip


@attrs.frozen(repr=False)
class Eligibility(Tabular, Sequence[EligibleAdvocate]):
    """Who may be asked for an asset at an instant, in order of readiness, and who is left out and why.

    It is a sequence of the eligible advocates, so ``[e.contact for e in eligibility]`` lists them.

    Attributes:
        at: the instant of the planned ask.
        asset: the asset.
        eligible: the advocates who may be asked: the readiest accounts first, then the longest
            rested, then by contact.
        left_out: the advocates in the pool who may not be asked now, each with the reason.
        detractor_days: how far back a detractor answer of the account leaves its advocates out
            (None: not applied).
    """

    at: datetime
    asset: Asset
    eligible: tuple[EligibleAdvocate, ...]
    left_out: tuple[LeftOut, ...] = ()
    detractor_days: int | None = DETRACTOR_DAYS

    def __len__(self) -> int:
        return len(self.eligible)

    @overload
    def __getitem__(self, index: int) -> EligibleAdvocate: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[EligibleAdvocate]: ...

    def __getitem__(self, index: int | slice) -> EligibleAdvocate | Sequence[EligibleAdvocate]:
        return self.eligible[index]

    def __iter__(self) -> Iterator[EligibleAdvocate]:
        return iter(self.eligible)

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat, JSON-safe dict per advocate: the eligible ones, then those left out with the reason."""
        rows: list[dict[str, Any]] = []
        for rank, entry in enumerate(self.eligible, start=1):
            rows.append({"order": rank, "contact": entry.contact, "account_id": entry.account_id,
                         "readiness": entry.readiness, "last_ask": entry.last_ask, "left_out": None,
                         "until": None})  # fmt: skip
        for out in self.left_out:
            rows.append({"order": None, "contact": out.contact, "account_id": out.account_id,
                         "readiness": None, "last_ask": None, "left_out": out.reason,
                         "until": _when(out.until)})  # fmt: skip
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "at": self.at.isoformat(),
            "asset": self.asset.value,
            "detractor_days": self.detractor_days,
            "advocates": [e.to_dict() for e in self.eligible],
            "left_out": [e.to_dict() for e in self.left_out],
        }

    def _view(self) -> display.View:
        title = f"May be asked for {self.asset.value} on {_day(self.at)}: {len(self.eligible)} advocate(s)"
        rows = tuple(
            (
                display.Cell(str(rank)),
                display.Cell(entry.contact),
                display.Cell(entry.last_ask),
                display.Cell(f"{entry.readiness:.0f}" if entry.readiness is not None else "not scored"),
            )
            for rank, entry in enumerate(self.eligible, start=1)
        )
        columns = ("order", "contact", "last ask", "readiness")
        parts: list[display.Part] = [display.Table(columns, rows, "Readiest accounts first", left=3)]
        if self.left_out:
            left = tuple((display.Cell(out.contact), display.Cell(out.reason)) for out in self.left_out)
            caption = f"Left out: {len(self.left_out)} advocate(s)"
            parts.append(display.Table(("contact", "why"), left, caption, left=2))
        rule = (
            f"An advocate whose account gave a detractor answer in the {self.detractor_days} days before is left out."
            if self.detractor_days is not None
            else "Detractor answers are not checked."
        )
        return display.View(title, (), tuple(parts), legend=f"The tap policy spaces asks per contact. {rule}")


def _planning_order(entry: EligibleAdvocate) -> tuple[float, bool, datetime, str]:
    # The readiest accounts first; then those never asked for the class, then the longest rested.
    last = entry.last_asked_at
    readiness = -(entry.readiness if entry.readiness is not None else -1.0)
    return readiness, last is not None, last if last is not None else entry.enrolled_at, entry.contact


def _last_detractor(
    data: AdvocacyData, account_id: str, low: datetime, at: datetime
) -> SurveyResponse | None:
    found = None
    for answer in data.account_events(SurveyResponse, account_id):
        if answer.responded_at >= at:
            break
        if (
            answer.kind is SurveyKind.NPS
            and low <= answer.responded_at
            and nps_category(answer.score) == "detractor"
        ):
            found = answer
    return found


def eligible_to_ask(
    data: AdvocacyData,
    at: datetime,
    asset: Asset | str,
    *,
    policy: TapPolicy = DEFAULT_TAP_POLICY,
    segment: Segment | None = None,
    detractor_days: int | None = DETRACTOR_DAYS,
) -> Eligibility:
    """The advocates in the pool at ``at`` whom ``policy`` lets the team ask for ``asset`` then.

    An advocate is in the pool at ``at`` when enrolled before it, not opted out before it, and
    their account is a customer at it (as in `advocate_pool_size`). The policy lets them be asked
    when their latest ask of the asset's effort class before ``at`` lies at least the class's gap
    earlier, or when they have none. Asks to the account that name no advocate are spaced per
    account and do not hold its advocates back. An advocate whose account gave a detractor answer
    (NPS 0-6) in the ``detractor_days`` before ``at`` is left out too: asking an unhappy customer
    for advocacy is how a programme loses them. Each advocate left out is listed with the reason.
    Nothing after ``as_of`` is known: for an ``at`` after it, asks and opt-outs still to come are
    not seen.

    Args:
        data: the data set.
        at: the instant of the planned ask (timezone-aware).
        asset: the asset to ask for (an `Asset` or its value, such as ``"reference"``).
        policy: the tap policy.
        segment: accounts whose advocates are considered (default: all).
        detractor_days: how many days back a detractor answer of the account leaves its
            advocates out (default 180); None not to apply the rule.

    Returns:
        An `Eligibility`: the advocates who may be asked, ordered by their account's referral
        readiness at ``at`` (highest first), then those never asked for that effort class, then
        the longest rested; and the advocates left out, each with the reason.

    Raises:
        ParameterError: a bad argument (``at`` naive, an unknown asset, a bad ``detractor_days``).
        SegmentNotApplicableError: the segment names an unknown attribute.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from advocacy_kpis.sample import tiny
        >>> found = eligible_to_ask(tiny(), datetime(2026, 9, 1, tzinfo=UTC), "reference")
        >>> [(e.contact, e.readiness, e.last_ask) for e in found]
        [('a1/v1', 100.0, 'last asked 2026-06-01 (reference)')]
        >>> [(e.contact, e.reason) for e in found.left_out]  # doctest: +NORMALIZE_WHITESPACE
        [('a2/v2', 'the account gave a detractor answer (NPS 6) on 2026-05-02, within the 180 days before')]
        >>> [e.contact for e in eligible_to_ask(tiny(), datetime(2026, 9, 1, tzinfo=UTC), "reference",
        ...                                     detractor_days=None)]
        ['a1/v1', 'a2/v2']
    """
    from advocacy_kpis.metrics import readiness_scores

    chosen = _check_common(data, segment, policy, "eligible_to_ask")
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ParameterError("at", "eligible_to_ask", "a timezone-aware datetime", at)
    if detractor_days is not None and (
        isinstance(detractor_days, bool)
        or not isinstance(detractor_days, int)
        or not 0 < detractor_days <= 3660
    ):
        raise ParameterError(
            "detractor_days",
            "eligible_to_ask",
            "a whole number of days from 1 to 3660, or None",
            detractor_days,
        )
    wanted = _asset(asset, "eligible_to_ask")
    effort = policy.effort_of(wanted)
    members = data.segment_accounts(chosen)
    asked = data.by_contact(Ask)
    scores = {a: r.score for a, r in readiness_scores(data, at=at).items()}
    low = at - timedelta(days=detractor_days) if detractor_days is not None else None
    found: list[EligibleAdvocate] = []
    left_out: list[LeftOut] = []
    for advocate in data.advocates:
        if advocate.account_id not in members or not _in_pool(data, advocate, at):
            continue
        contact = f"{advocate.account_id}/{advocate.id}"
        history = asked.get(contact, ())
        before = bisect.bisect_left(history, at, key=_asked)
        last_any = history[before - 1] if before else None
        same = next((k for k in reversed(history[:before]) if policy.effort_of(k.asset) is effort), None)
        if same is not None and not policy.allows(same.asked_at, at, effort):
            allowed = policy.earliest_next(same.asked_at, effort)
            left_out.append(
                LeftOut(
                    contact, advocate.account_id,
                    f"tap policy: asked for {same.asset.value} on {_day(same.asked_at)}; "
                    f"may be asked again from {_day(allowed)}",
                    allowed,
                )
            )  # fmt: skip
            continue
        detractor = _last_detractor(data, advocate.account_id, low, at) if low is not None else None
        if detractor is not None:
            lapses = detractor.responded_at + timedelta(days=detractor_days or 0)
            left_out.append(
                LeftOut(
                    contact, advocate.account_id,
                    f"the account gave a detractor answer (NPS {detractor.score}) on {_day(detractor.responded_at)}, "
                    f"within the {detractor_days} days before",
                    lapses,
                )
            )  # fmt: skip
            continue
        found.append(
            EligibleAdvocate(
                advocate_id=advocate.id,
                account_id=advocate.account_id,
                contact=contact,
                enrolled_at=advocate.enrolled_at,
                last_asked_at=None if same is None else same.asked_at,
                last_asset=None if same is None else same.asset,
                last_any_asked_at=None if last_any is None else last_any.asked_at,
                last_any_asset=None if last_any is None else last_any.asset,
                readiness=scores.get(advocate.account_id),
            )
        )
    return Eligibility(
        at, wanted, tuple(sorted(found, key=_planning_order)),
        tuple(sorted(left_out, key=lambda e: e.contact)), detractor_days,
    )  # fmt: skip


def _asked(ask: Ask) -> datetime:
    return ask.asked_at


def _in_pool(data: AdvocacyData, advocate: Advocate, at: datetime) -> bool:
    return advocate.is_enrolled_at(at) and data.account(advocate.account_id).is_customer_at(at)
