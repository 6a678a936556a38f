"""`AdvocacyData`: the validated, immutable data set and the selections every metric shares.

A data set holds one tuple per record kind, the instant it was extracted (``as_of``) and the
`Calendar` its dates belong to. Building it checks what no single record can check alone
(unique ids, references to known accounts, nothing stamped after ``as_of``) and builds the
indexes that metrics select from: records of each kind sorted by their event time (a window is
then two binary searches), per-account timelines, and accounts per segment. Metrics never loop
over all records; they ask the data set.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from advocacy_kpis.errors import (
    SHOWN_CHARACTERS,
    CalendarMismatchError,
    DuplicateIdError,
    InvalidRecordError,
    ParameterError,
    SegmentNotApplicableError,
    UnknownReferenceError,
    shorten,
)
from advocacy_kpis.records import (
    QBR,
    Account,
    AdvocacyAction,
    Advocate,
    Ask,
    CommunityMember,
    Contract,
    Feedback,
    Mention,
    Opportunity,
    ProductChange,
    ProgramCost,
    ReferenceRequest,
    Referral,
    ReferralPrompt,
    Review,
    SocialShare,
    SurveyResponse,
)
from advocacy_kpis.scope import (
    UTC_CALENDAR,
    BasisKind,
    Calendar,
    RevenueBasis,
    Segment,
    Window,
    as_calendar,
)

__all__ = ["COLLECTIONS", "EVENT_TIME", "AdvocacyData", "Cohort"]

R = TypeVar("R")

EVENT_TIME: Final[Mapping[type, str]] = {
    Account: "customer_since",
    Contract: "start",
    Referral: "invited_at",
    ReferralPrompt: "occurred_at",
    SurveyResponse: "responded_at",
    Feedback: "received_at",
    Advocate: "enrolled_at",
    Ask: "asked_at",
    AdvocacyAction: "completed_at",
    ReferenceRequest: "requested_at",
    Review: "published_at",
    Mention: "published_at",
    SocialShare: "shared_at",
    CommunityMember: "joined_at",
    QBR: "held_at",
    Opportunity: "created_at",
    ProgramCost: "incurred_at",
    ProductChange: "released_at",
}
"""The field that stamps when a record of each kind happened: what "in W" is measured on."""

COLLECTIONS: Final[Mapping[str, type]] = {
    "accounts": Account,
    "contracts": Contract,
    "referrals": Referral,
    "referral_prompts": ReferralPrompt,
    "surveys": SurveyResponse,
    "feedback": Feedback,
    "advocates": Advocate,
    "asks": Ask,
    "actions": AdvocacyAction,
    "reference_requests": ReferenceRequest,
    "reviews": Review,
    "mentions": Mention,
    "social_shares": SocialShare,
    "community_members": CommunityMember,
    "qbrs": QBR,
    "opportunities": Opportunity,
    "program_costs": ProgramCost,
    "product_changes": ProductChange,
}

# Timestamps that record something that has happened, so cannot lie after as_of. Contract
# terms are agreements about the future and are exempt.
_PAST_FIELDS: Final[Mapping[type, tuple[str, ...]]] = {
    Account: ("customer_since", "churned_at", "activated_at", "onboarded_at"),
    Referral: ("invited_at", "converted_at"),
    ReferralPrompt: ("occurred_at",),
    SurveyResponse: ("responded_at",),
    Feedback: ("received_at",),
    Advocate: ("enrolled_at", "opted_out_at"),
    Ask: ("asked_at",),
    AdvocacyAction: ("completed_at",),
    ReferenceRequest: ("requested_at", "filled_at"),
    Review: ("published_at",),
    Mention: ("published_at",),
    SocialShare: ("shared_at",),
    CommunityMember: ("joined_at", "left_at"),
    QBR: ("held_at",),
    Opportunity: ("created_at", "closed_at"),
    ProgramCost: ("incurred_at",),
    ProductChange: ("released_at",),
}

# Account references that must resolve: (kind, field, optional?)
_ACCOUNT_REFS: Final[tuple[tuple[type, str], ...]] = (
    (Contract, "account_id"),
    (Referral, "account_id"),
    (Referral, "converted_account_id"),
    (ReferralPrompt, "account_id"),
    (SurveyResponse, "account_id"),
    (Feedback, "account_id"),
    (Advocate, "account_id"),
    (Ask, "account_id"),
    (AdvocacyAction, "account_id"),
    (ReferenceRequest, "account_id"),
    (Review, "account_id"),
    (SocialShare, "account_id"),
    (CommunityMember, "account_id"),
    (QBR, "account_id"),
    (Opportunity, "account_id"),
)

_ACCOUNT_STAMPS: Final[Mapping[str, Callable[[Account], datetime | None]]] = {
    "customer_since": lambda a: a.customer_since,
    "churned_at": lambda a: a.churned_at,
    "onboarded_at": lambda a: a.onboarded_at,
    "activated_at": lambda a: a.activated_at,
    "activation": lambda a: a.activated_at if a.activated_at is not None else a.customer_since,
}

_DERIVED_MONEY_STEP: Final = Decimal("1e-12")
_DERIVED_MONEY_EXPONENT: Final = -12

_ACCOUNT_FIELDS: Final = frozenset({"tier", "region", "industry", "icp", "acquisition_channel"})

# How many known values a warning about an unmatched segment lists before it only counts them.
_SHOWN_VALUES: Final = 20


def _who(record: Any) -> str:
    return f"{type(record).__name__} {shorten(record.id)}"


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _check_supplied(_: Any, __: attrs.Attribute[Any], value: frozenset[str]) -> None:
    unknown = sorted(value - set(COLLECTIONS))
    if unknown or "accounts" not in value:
        raise ParameterError(
            "supplied", "AdvocacyData", "collection names that include 'accounts'", sorted(value)
        )


@attrs.frozen
class Cohort:
    """The customer sets of a window (see the catalogue's notation).

    Attributes:
        start: S, customers at ``window.start``.
        end: E, customers at ``window.end``.
        new: N, accounts whose ``customer_since`` is in the window.
        churned: accounts whose ``churned_at`` is in the window.
    """

    start: frozenset[str]
    end: frozenset[str]
    new: frozenset[str]
    churned: frozenset[str]

    @property
    def retained(self) -> frozenset[str]:
        """S ∩ E: the starting customers still there at the end."""
        return self.start & self.end

    @property
    def active(self) -> frozenset[str]:
        """S ∪ N: the accounts that were customers at some point in the window."""
        return self.start | self.new


@attrs.frozen
class _Timeline:
    times: list[datetime]
    records: list[Any]


@attrs.frozen(eq=False)
class AdvocacyData:
    """A validated, immutable data set of advocacy records, extracted at ``as_of``.

    Build it with `from_records` (or load it with `advocacy_kpis.io`); every collection is
    optional except ``accounts``. The data set remembers which collections it was given
    (``supplied``): a collection supplied empty means nothing happened, one never supplied
    means nothing is known.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from advocacy_kpis.records import Account
        >>> t = lambda *a: datetime(*a, tzinfo=UTC)
        >>> data = AdvocacyData.from_records(
        ...     accounts=[Account(id="a1", customer_since=t(2025, 1, 1)),
        ...               Account(id="a2", customer_since=t(2026, 8, 1), tier="smb")],
        ...     as_of=t(2026, 10, 1))
        >>> q3 = Window.quarter(2026, 3)
        >>> sorted(data.cohort(q3).new), sorted(data.cohort(q3).end)
        (['a2'], ['a1', 'a2'])
    """

    accounts: tuple[Account, ...]
    contracts: tuple[Contract, ...]
    referrals: tuple[Referral, ...]
    referral_prompts: tuple[ReferralPrompt, ...]
    surveys: tuple[SurveyResponse, ...]
    feedback: tuple[Feedback, ...]
    advocates: tuple[Advocate, ...]
    asks: tuple[Ask, ...]
    actions: tuple[AdvocacyAction, ...]
    reference_requests: tuple[ReferenceRequest, ...]
    reviews: tuple[Review, ...]
    mentions: tuple[Mention, ...]
    social_shares: tuple[SocialShare, ...]
    community_members: tuple[CommunityMember, ...]
    qbrs: tuple[QBR, ...]
    opportunities: tuple[Opportunity, ...]
    program_costs: tuple[ProgramCost, ...]
    product_changes: tuple[ProductChange, ...]
    as_of: datetime
    calendar: Calendar = UTC_CALENDAR
    supplied: frozenset[str] = attrs.field(
        default=frozenset(COLLECTIONS), converter=_names, validator=_check_supplied
    )
    """The names of the collections the data set was given (see `is_supplied`)."""
    _cache: dict[Any, Any] = attrs.field(factory=dict, init=False, repr=False, alias="_cache")

    @classmethod
    def from_records(
        cls,
        *,
        accounts: Iterable[Account],
        as_of: datetime,
        contracts: Iterable[Contract] | None = None,
        referrals: Iterable[Referral] | None = None,
        referral_prompts: Iterable[ReferralPrompt] | None = None,
        surveys: Iterable[SurveyResponse] | None = None,
        feedback: Iterable[Feedback] | None = None,
        advocates: Iterable[Advocate] | None = None,
        asks: Iterable[Ask] | None = None,
        actions: Iterable[AdvocacyAction] | None = None,
        reference_requests: Iterable[ReferenceRequest] | None = None,
        reviews: Iterable[Review] | None = None,
        mentions: Iterable[Mention] | None = None,
        social_shares: Iterable[SocialShare] | None = None,
        community_members: Iterable[CommunityMember] | None = None,
        qbrs: Iterable[QBR] | None = None,
        opportunities: Iterable[Opportunity] | None = None,
        program_costs: Iterable[ProgramCost] | None = None,
        product_changes: Iterable[ProductChange] | None = None,
        calendar: Calendar | str = UTC_CALENDAR,
    ) -> AdvocacyData:
        """Validate the records and build the data set.

        A collection passed, even empty, is *supplied*: the source was asked for it and holds
        what is there. One left out (None) is not supplied: nothing is known about it, and a
        metric that needs it is undefined rather than 0 (see `supplied`). ``accounts`` is always
        supplied.

        Args:
            accounts: every account the other records refer to.
            as_of: when the data was extracted (timezone-aware). Nothing after it is known.
            calendar: the calendar of the data set (time zone of dates, fiscal year), or a time
                zone name such as ``"Europe/Berlin"`` for a calendar in that zone.
            contracts: subscription contracts.
            referrals: referrals sent by customers.
            referral_prompts: steps towards referring (prompt opened, link copied, ...).
            surveys: NPS, CSAT, repurchase and upsell answers.
            feedback: feedback labelled with its sentiment.
            advocates: people enrolled in the advocacy programme.
            asks: requests made to customers for advocacy assets.
            actions: advocacy assets delivered.
            reference_requests: requests from sales for a reference.
            reviews: public reviews.
            mentions: public mentions of the brand.
            social_shares: customers' social shares.
            community_members: members of the user community.
            qbrs: quarterly business reviews.
            opportunities: sales opportunities.
            program_costs: money spent on advocacy programmes.
            product_changes: product releases.

        Raises:
            InvalidRecordError: a record of the wrong type, an event stamped after ``as_of``, a
                contract renewing another account's contract, or contracts renewing each other
                in a cycle.
            DuplicateIdError: two records of one kind share an id.
            UnknownReferenceError: a record names an account (or a renewed contract) the data
                set does not hold.
            ParameterError: ``as_of`` is not a timezone-aware datetime, ``calendar`` is neither a
                Calendar nor a zone name, or a collection is not a list (or other iterable) of
                records: None, a single record, a string or a mapping.
        """
        function = "AdvocacyData.from_records"
        calendar = as_calendar(calendar, "calendar", function)
        as_of_utc = calendar.instant(as_of, name="as_of", where=function)
        given: dict[str, Iterable[Any] | None] = {
            "accounts": accounts, "contracts": contracts, "referrals": referrals,
            "referral_prompts": referral_prompts, "surveys": surveys, "feedback": feedback,
            "advocates": advocates, "asks": asks, "actions": actions,
            "reference_requests": reference_requests, "reviews": reviews, "mentions": mentions,
            "social_shares": social_shares, "community_members": community_members, "qbrs": qbrs,
            "opportunities": opportunities, "program_costs": program_costs,
            "product_changes": product_changes,
        }  # fmt: skip
        collections: dict[str, tuple[Any, ...]] = {}
        for name, kind in COLLECTIONS.items():
            passed = given[name]
            items = () if passed is None and name != "accounts" else _records(passed, name, kind, function)
            for position, item in enumerate(items):
                if not isinstance(item, kind):
                    raise InvalidRecordError(f"{name}[{position}]", name, item, f"a {kind.__name__} record")
            _check_unique(items, kind)
            _check_not_after(items, kind, as_of_utc)
            collections[name] = items
        _check_references(collections)
        supplied = frozenset(name for name, passed in given.items() if passed is not None) | {"accounts"}
        return cls(as_of=as_of_utc, calendar=calendar, supplied=supplied, **collections)

    @classmethod
    def _from_checked(
        cls, *, as_of: datetime, calendar: Calendar, collections: Mapping[str, Sequence[Any]]
    ) -> AdvocacyData:
        """A data set of records that have passed every check `from_records` makes.

        The loaders of `advocacy_kpis.io` make those checks row by row, refusing each bad row
        with its reason instead of failing on the first; making them again here would double
        the cost of a load. ``as_of`` is in UTC; the collections given are the supplied ones.
        """
        return cls(
            as_of=as_of,
            calendar=calendar,
            supplied=frozenset(collections) | {"accounts"},
            **{name: tuple(collections.get(name, ())) for name in COLLECTIONS},
        )

    # -- generic access -----------------------------------------------------------------------

    def as_collections(self) -> dict[str, tuple[Any, ...]]:
        """Every supplied collection by its `from_records` keyword, e.g. to rebuild with records added.

        Collections that were not supplied are left out, so passing the result back to
        `from_records` keeps `supplied` as it was.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> data = tiny()
            >>> again = AdvocacyData.from_records(as_of=data.as_of, **data.as_collections())
            >>> again.referrals == data.referrals, again.supplied == data.supplied
            (True, True)
            >>> few = AdvocacyData.from_records(accounts=data.accounts, surveys=[], as_of=data.as_of)
            >>> sorted(few.as_collections())
            ['accounts', 'surveys']
        """
        return {name: getattr(self, name) for name in COLLECTIONS if name in self.supplied}

    def is_supplied(self, collection: str | type) -> bool:
        """Whether a collection was supplied, by name (``"social_shares"``) or record class.

        A supplied collection may be empty; one not supplied is unknown, not empty.

        Raises:
            ParameterError: neither a collection name nor a record class.

        Examples:
            >>> from datetime import UTC, datetime
            >>> from advocacy_kpis.records import Account, SocialShare
            >>> t = datetime(2026, 1, 1, tzinfo=UTC)
            >>> data = AdvocacyData.from_records(
            ...     accounts=[Account(id="a1", customer_since=t)], referrals=[], as_of=t)
            >>> data.is_supplied("referrals"), data.is_supplied(SocialShare)
            (True, False)
        """
        if isinstance(collection, str) and collection in COLLECTIONS:
            return collection in self.supplied
        for name, kind in COLLECTIONS.items():
            if kind is collection:
                return name in self.supplied
        raise ParameterError(
            "collection", "AdvocacyData.is_supplied", f"one of {', '.join(COLLECTIONS)} or a record class",
            collection,
        )  # fmt: skip

    def _cached(self, key: Any, build: Callable[[], R]) -> R:
        if key not in self._cache:
            self._cache[key] = build()
        value: R = self._cache[key]
        return value

    def collection(self, kind: type[R]) -> tuple[R, ...]:
        """All records of ``kind`` (e.g. ``data.collection(Referral)``)."""
        for name, candidate in COLLECTIONS.items():
            if candidate is kind:
                records: tuple[R, ...] = getattr(self, name)
                return records
        raise ParameterError("kind", "AdvocacyData.collection", "a record class", kind)

    def account(self, account_id: str) -> Account:
        """The account with this id.

        Raises:
            UnknownReferenceError: no account has that id.
        """
        found = self._accounts_by_id().get(account_id)
        if found is None:
            raise UnknownReferenceError("AdvocacyData", "account_id", account_id, "a known account id")
        return found

    def _accounts_by_id(self) -> dict[str, Account]:
        return self._cached("accounts_by_id", lambda: {a.id: a for a in self.accounts})

    def _timeline(self, kind: type) -> _Timeline:
        def build() -> _Timeline:
            field = EVENT_TIME[kind]
            ordered: list[Any] = sorted(self.collection(kind), key=lambda r: (getattr(r, field), r.id))
            return _Timeline([getattr(r, field) for r in ordered], ordered)

        return self._cached(("timeline", kind), build)

    def _by_account(self, kind: type) -> dict[str, _Timeline]:
        def build() -> dict[str, _Timeline]:
            field = EVENT_TIME[kind]
            grouped: dict[str, list[Any]] = defaultdict(list)
            for record in self._timeline(kind).records:
                if record.account_id is not None:
                    grouped[record.account_id].append(record)
            return {k: _Timeline([getattr(r, field) for r in v], v) for k, v in grouped.items()}

        return self._cached(("by_account", kind), build)

    # -- segments -----------------------------------------------------------------------------

    def check_window(self, window: Window, function: str) -> None:
        """Refuse a window that is not a `Window` on this data set's calendar.

        A window built on another calendar (another time zone or fiscal year) would measure
        another span than its label says, so it is refused, naming both calendars.

        Args:
            window: the window asked for.
            function: the metric asking, for the error message.

        Raises:
            ParameterError: ``window`` is not a Window.
            CalendarMismatchError: the window's calendar differs from the data set's.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> tiny().check_window(Window.quarter(2026, 3, Calendar("Europe/Berlin")), "f")
            Traceback (most recent call last):
            ...
            advocacy_kpis.errors.CalendarMismatchError: The 'window' parameter of f is on another calendar ...
        """
        if not isinstance(window, Window):
            raise ParameterError("window", function, "a Window such as Window.quarter(2026, 3)", window)
        if window.calendar != self.calendar:
            raise CalendarMismatchError(function, window.calendar.description, self.calendar.description)

    def unmatched_segment_warning(self, segment: Segment, on_records: type | None = None) -> str | None:
        """A warning when ``segment`` matches nothing in the whole data set, listing the known values.

        A segment with a typo (``tier="Enterprise"`` where the values are ``enterprise``,
        ``mid`` and ``smb``) would otherwise read as an honest "no customers". Computed once per
        segment and data set.

        Args:
            segment: the segment asked for.
            on_records: for records matched on their own ``attributes``, the record kind (as in
                `check_segment`); None for segments on accounts.

        Returns:
            The warning, or None when something matches (or the segment is ``Segment.all()``).

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> tiny().unmatched_segment_warning(Segment.where(tier="Enterprise"))
            'segment tier=Enterprise matches no account in the data set; known values of tier: enterprise, mid, smb'
            >>> tiny().unmatched_segment_warning(Segment.where(tier="smb")) is None
            True
        """
        if segment.is_all:
            return None
        return self._cached(("unmatched", segment, on_records), lambda: self._unmatched(segment, on_records))

    def _unmatched(self, segment: Segment, on_records: type | None) -> str | None:
        views: list[Mapping[str, Any]]
        if on_records is None:
            if self.segment_accounts(segment):
                return None
            what, views = "account", [a.segment_view() for a in self.accounts]
        else:
            records: tuple[Any, ...] = self.collection(on_records)
            if any(self.record_in_segment(r, segment) for r in records):
                return None
            accounts = self._accounts_by_id()
            what = f"{on_records.__name__} record"
            views = [
                accounts[r.account_id].segment_view()
                if getattr(r, "account_id", None) is not None
                else getattr(r, "attributes", {})
                for r in records
            ]
        return unmatched_note(segment, what, views)

    def check_segment(self, segment: Segment, function: str, *, on_records: type | None = None) -> None:
        """Refuse a segment that names an attribute no account (or record) carries.

        Args:
            segment: the segment asked for.
            function: the metric asking, for the error message.
            on_records: for records matched on their own ``attributes`` (reference requests,
                mentions, costs), the record kind whose attributes are read.

        Raises:
            SegmentNotApplicableError: an attribute of the segment is unknown.
        """
        if segment.is_all:
            return
        known = self._known_attributes(on_records)
        for name in segment.attributes:
            if name not in known:
                shown = ", ".join(sorted(known)) or "none"
                raise SegmentNotApplicableError(
                    "segment", function, f"criteria on attributes the records carry ({shown})", name
                )

    def _known_attributes(self, on_records: type | None) -> frozenset[str]:
        def build() -> frozenset[str]:
            names: set[str] = set()
            if on_records is None:
                names.update(_ACCOUNT_FIELDS)
                for account in self.accounts:
                    names.update(account.attributes)
            else:
                if on_records in (Opportunity, Review, CommunityMember):
                    names.update(self._known_attributes(None))
                records: tuple[Any, ...] = self.collection(on_records)
                for record in records:
                    names.update(getattr(record, "attributes", {}))
            return frozenset(names)

        return self._cached(("known_attributes", on_records), build)

    def segment_accounts(self, segment: Segment) -> frozenset[str]:
        """Ids of the accounts in ``segment``."""

        def build() -> frozenset[str]:
            return frozenset(a.id for a in self.accounts if segment.matches(a.segment_view()))

        if segment.is_all:
            return self._cached("all_accounts", lambda: frozenset(self._accounts_by_id()))
        return self._cached(("segment", segment), build)

    def record_in_segment(self, record: Any, segment: Segment) -> bool:
        """Whether a record belongs to ``segment``: through its account, else its own attributes."""
        if segment.is_all:
            return True
        account_id = getattr(record, "account_id", None)
        if account_id is not None:
            return account_id in self.segment_accounts(segment)
        attributes = getattr(record, "attributes", None)
        return attributes is not None and segment.matches(attributes)

    def outside_every_value(self, record: Any, segment: Segment) -> bool:
        """Whether a record has no value for an attribute ``segment`` reads.

        Such a record is in no segment on that attribute, so figures over ``tier=enterprise``,
        ``tier=mid`` and ``tier=smb`` do not add up to the figure over all records. The record's
        values are its account's when it has one, else its own ``attributes``.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> data = tiny()
            >>> data.outside_every_value(data.accounts[0], Segment.where(tier="smb"))
            False
        """
        if segment.is_all:
            return False
        if isinstance(record, Account):
            view = record.segment_view()
        else:
            account_id = getattr(record, "account_id", None)
            if account_id is not None:
                view = self._accounts_by_id()[account_id].segment_view()
            else:
                view = dict(getattr(record, "attributes", {}))
        return any(view.get(name) is None for name in segment.attributes)

    def accounts_outside_every_value(self, segment: Segment) -> int:
        """How many accounts have no value for an attribute ``segment`` reads (see `outside_every_value`)."""
        if segment.is_all:
            return 0
        names = tuple(sorted(set(segment.attributes)))

        def build() -> int:
            fields = [n for n in names if n in _ACCOUNT_FIELDS]
            extra = [n for n in names if n not in _ACCOUNT_FIELDS]
            return sum(
                1
                for a in self.accounts
                if any(getattr(a, n) is None for n in fields)
                or any(a.attributes.get(n) is None for n in extra)
            )

        return self._cached(("outside", names), build)

    # -- customers and cohorts ----------------------------------------------------------------

    def _accounts_in(self, segment: Segment) -> list[Account]:
        by_id = self._accounts_by_id()
        return self._cached(
            ("segment_list", segment),
            lambda: [by_id[i] for i in sorted(self.segment_accounts(segment))],
        )

    def customers_at(self, instant: datetime, segment: Segment | None = None) -> frozenset[str]:
        """Accounts that are customers at ``instant`` (``customer_since < t <= churned_at``)."""
        accounts = self._accounts_in(segment or Segment.all())
        return frozenset(a.id for a in accounts if a.is_customer_at(instant))

    def cohort(self, window: Window, segment: Segment | None = None) -> Cohort:
        """S, E, N and the churned accounts of ``window`` in ``segment``."""
        chosen = segment or Segment.all()
        return self._cached(
            ("cohort", window.start, window.end, chosen), lambda: self._cohort(window, chosen)
        )

    def _cohort(self, window: Window, segment: Segment) -> Cohort:
        start, end = window.start, window.end
        s: set[str] = set()
        e: set[str] = set()
        n: set[str] = set()
        c: set[str] = set()
        for a in self._accounts_in(segment):
            if a.is_customer_at(start):
                s.add(a.id)
            if a.is_customer_at(end):
                e.add(a.id)
            if start <= a.customer_since < end:
                n.add(a.id)
            if a.churned_at is not None and start <= a.churned_at < end:
                c.add(a.id)
        return Cohort(frozenset(s), frozenset(e), frozenset(n), frozenset(c))

    def accounts_stamped(self, stamp: str, window: Window, segment: Segment | None = None) -> list[Account]:
        """Accounts whose instant ``stamp`` is in ``window``, in time order.

        ``stamp`` is ``"customer_since"``, ``"churned_at"``, ``"onboarded_at"``, ``"activated_at"``
        or ``"activation"`` (``activated_at``, else ``customer_since``). Two binary searches on
        an index built once per stamp.

        Raises:
            ParameterError: an unknown stamp.
        """
        if stamp not in _ACCOUNT_STAMPS:
            raise ParameterError("stamp", "accounts_stamped", f"one of {sorted(_ACCOUNT_STAMPS)}", stamp)

        def build() -> _Timeline:
            read = _ACCOUNT_STAMPS[stamp]
            stamped = sorted((t, a.id, a) for a in self.accounts if (t := read(a)) is not None)
            return _Timeline([t for t, _, _ in stamped], [a for _, _, a in stamped])

        timeline = self._cached(("stamped", stamp), build)
        low = bisect.bisect_left(timeline.times, window.start)
        high = bisect.bisect_left(timeline.times, window.end)
        chosen: list[Account] = timeline.records[low:high]
        if segment is None or segment.is_all:
            return chosen
        members = self.segment_accounts(segment)
        return [a for a in chosen if a.id in members]

    def active_in(self, window: Window, segment: Segment | None = None) -> frozenset[str]:
        """Accounts active in ``window``: S ∪ N (a customer at some point of the window)."""
        return self.cohort(window, segment).active

    def referred_accounts(self) -> frozenset[str]:
        """Accounts acquired through a referral.

        An account counts when its ``acquisition_channel`` is ``"referral"`` or when a referral
        record names it as ``converted_account_id``.
        """

        def build() -> frozenset[str]:
            flagged = {a.id for a in self.accounts if a.acquisition_channel == "referral"}
            flagged.update(r.converted_account_id for r in self.referrals if r.converted_account_id)
            return frozenset(flagged)

        return self._cached("referred", build)

    # -- events -------------------------------------------------------------------------------

    def events(self, kind: type[R], window: Window, segment: Segment | None = None) -> list[R]:
        """Records of ``kind`` whose event time (see `EVENT_TIME`) is in ``window``, in time order.

        A record joins a segment through its account, or through its own ``attributes`` when
        it has no account.
        """
        timeline = self._timeline(kind)
        low = bisect.bisect_left(timeline.times, window.start)
        high = bisect.bisect_left(timeline.times, window.end)
        chosen: list[R] = timeline.records[low:high]
        if segment is None or segment.is_all:
            return chosen
        return [r for r in chosen if self.record_in_segment(r, segment)]

    def account_events(self, kind: type[R], account_id: str) -> Sequence[R]:
        """All records of ``kind`` of one account, in time order (a tuple: the data set is immutable)."""
        found = self._by_account(kind).get(account_id)
        return tuple(found.records) if found else ()

    def first_event(self, kind: type[R], account_id: str, *, at_or_after: datetime | None = None) -> R | None:
        """The account's earliest record of ``kind`` (at or after an instant, when given)."""
        found = self._by_account(kind).get(account_id)
        if found is None:
            return None
        position = 0 if at_or_after is None else bisect.bisect_left(found.times, at_or_after)
        return found.records[position] if position < len(found.records) else None

    def last_event(
        self,
        kind: type[R],
        account_id: str,
        *,
        before: datetime,
        not_before: datetime | None = None,
        where: Callable[[R], bool] | None = None,
    ) -> R | None:
        """The account's latest record of ``kind`` stamped strictly before ``before``.

        Args:
            kind: the record class.
            account_id: the account.
            before: only records stamped before this instant count.
            not_before: when given, only records stamped at or after it count.
            where: when given, only records it accepts count (e.g. NPS answers among surveys).
        """
        found = self._by_account(kind).get(account_id)
        if found is None:
            return None
        position = bisect.bisect_left(found.times, before)
        low = 0 if not_before is None else bisect.bisect_left(found.times, not_before)
        for index in range(position - 1, low - 1, -1):
            record: R = found.records[index]
            if where is None or where(record):
                return record
        return None

    def accounts_with(
        self,
        kind: type[R],
        window: Window,
        segment: Segment | None = None,
        where: Callable[[R], bool] | None = None,
    ) -> frozenset[str]:
        """Accounts with at least one record of ``kind`` in ``window`` (accepted by ``where``)."""
        return frozenset(
            r.account_id  # type: ignore[attr-defined]
            for r in self.events(kind, window, segment)
            if getattr(r, "account_id", None) is not None and (where is None or where(r))
        )

    def by_contact(self, kind: type[R]) -> Mapping[str, Sequence[R]]:
        """Records of ``kind`` grouped by their ``contact`` (advocate within account), in time order.

        For asks and advocacy actions: the contact is the advocate within the account, else the
        account itself. The mapping is read-only and each group a tuple.
        """

        def build() -> Mapping[str, tuple[Any, ...]]:
            grouped: dict[str, list[Any]] = defaultdict(list)
            for record in self._timeline(kind).records:
                grouped[record.contact].append(record)
            return MappingProxyType({contact: tuple(records) for contact, records in grouped.items()})

        return self._cached(("by_contact", kind), build)

    def events_of_accounts(self, kind: type[R], window: Window, account_ids: Iterable[str]) -> list[R]:
        """Records of ``kind`` in ``window`` that belong to the accounts ``account_ids``, in time order.

        Reads each account's own timeline (two binary searches per account), so the cost follows
        the number of accounts asked about, not the number of records in the window. Records at
        one instant are ordered by id, as in `events`. For kinds that carry an ``account_id``;
        ids with no records of ``kind`` are skipped.

        Examples:
            >>> from advocacy_kpis.records import Contract
            >>> from advocacy_kpis.sample import tiny
            >>> [c.id for c in tiny().events_of_accounts(Contract, Window.year(2026), ["a3", "a2", "a9"])]
            ['c3', 'c5']
        """
        timelines = self._by_account(kind)
        chosen: list[Any] = []
        for account_id in set(account_ids):
            found = timelines.get(account_id)
            if found is not None:
                low = bisect.bisect_left(found.times, window.start)
                high = bisect.bisect_left(found.times, window.end)
                chosen.extend(found.records[low:high])
        field = EVENT_TIME[kind]
        chosen.sort(key=lambda r: (getattr(r, field), r.id))
        ordered: list[R] = chosen
        return ordered

    # -- revenue ------------------------------------------------------------------------------

    def arr_at(self, account_id: str, instant: datetime, basis: RevenueBasis) -> Decimal:
        """The account's run rate at ``instant`` on ``basis`` (ARR, or MRR = ARR / 12).

        Sums the ``arr`` of the account's contracts live at ``instant`` (``start < t <= end``),
        each converted to the basis currency once.

        Raises:
            ParameterError: the basis is ACV or TCV, which have no value at an instant.
            CurrencyMismatchError: a contract's currency has no FX rate in the basis.
        """
        if not basis.is_run_rate:
            raise ParameterError(
                "basis",
                "arr_at",
                "a run-rate basis (ARR or MRR) for a value at an instant",
                basis.name,
            )
        total = Decimal(0)
        for contract in self.account_events(Contract, account_id):
            if contract.start >= instant:
                break
            if contract.is_live_at(instant):
                total += basis.convert(contract.arr, contract.currency, _who(contract))
        return total / 12 if basis.kind is BasisKind.MRR else total

    def total_arr(self, account_ids: Iterable[str], instant: datetime, basis: RevenueBasis) -> Decimal:
        """The summed run rate of several accounts at ``instant`` on ``basis``."""
        return sum((self.arr_at(a, instant, basis) for a in account_ids), Decimal(0))

    def contract_value(self, contract: Contract, basis: RevenueBasis) -> Decimal:
        """A contract's value on ``basis``: ARR, MRR (ARR / 12), ACV (first year) or TCV (whole term)."""
        where = _who(contract)
        if basis.kind is BasisKind.ARR:
            raw = contract.arr
        elif basis.kind is BasisKind.MRR:
            raw = contract.arr / 12
        elif basis.kind is BasisKind.ACV:
            raw = contract.first_year_value
        else:
            raw = contract.total_value
        exponent = raw.as_tuple().exponent
        if isinstance(exponent, int) and exponent < _DERIVED_MONEY_EXPONENT:
            # An inexact division (1000 / 12) is rounded once, far below a cent, so sums of many
            # contracts do not depend on the order they are added in; exact values stay as they are.
            raw = raw.quantize(_DERIVED_MONEY_STEP)
        return basis.convert(raw, contract.currency, where)


def _records(given: Any, name: str, kind: type, function: str) -> tuple[Any, ...]:
    """A collection as a tuple, refusing what would silently iterate as something else."""
    expected = f"a list or tuple of {kind.__name__} records"
    if given is None or isinstance(given, (str, bytes, Mapping)) or attrs.has(type(given)):
        hint = " (a single record goes in a list: [record])" if attrs.has(type(given)) else ""
        raise ParameterError(name, function, expected + hint, given)
    try:
        return tuple(given)
    except TypeError:
        raise ParameterError(name, function, expected, given) from None


def unmatched_note(segment: Segment, what: str, views: Iterable[Mapping[str, Any]]) -> str:
    """The warning that ``segment`` matches none of ``views``, listing each attribute's known values."""
    seen = list(views)
    parts = []
    for name in segment.attributes:
        known = {value for view in seen if (value := view.get(name)) is not None}
        shown = sorted(Segment.render_value(v) for v in known)
        listed = ", ".join(shown[:_SHOWN_VALUES])
        if len(shown) > _SHOWN_VALUES:
            listed += f", ... ({len(shown)} values in all)"
        parts.append(f"known values of {name}: {listed}" if shown else f"no {what} has a value of {name}")
    return f"segment {segment.name} matches no {what} in the data set; " + "; ".join(parts)


def _check_unique(items: tuple[Any, ...], kind: type) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise DuplicateIdError(
                _who(item), "id", item.id, f"an id used by no other {kind.__name__} record"
            )
        seen.add(item.id)


def _check_not_after(items: tuple[Any, ...], kind: type, as_of: datetime) -> None:
    for field in _PAST_FIELDS.get(kind, ()):
        for item in items:
            value = getattr(item, field)
            if value is not None and value > as_of:
                raise InvalidRecordError(
                    _who(item), field, value, f"at or before as_of ({as_of.isoformat()})"
                )


def _check_references(collections: dict[str, tuple[Any, ...]]) -> None:
    account_ids = {a.id for a in collections["accounts"]}
    by_kind = {kind: collections[name] for name, kind in COLLECTIONS.items()}
    for kind, field in _ACCOUNT_REFS:
        for item in by_kind[kind]:
            value = getattr(item, field)
            if value is not None and value not in account_ids:
                raise UnknownReferenceError(_who(item), field, value, "the id of an account in the data set")
    account_of = {c.id: c.account_id for c in collections["contracts"]}
    for contract in collections["contracts"]:
        if contract.renewal_of is None:
            continue
        if contract.renewal_of not in account_of:
            raise UnknownReferenceError(
                _who(contract),
                "renewal_of",
                contract.renewal_of,
                "the id of a contract in the data set",
            )
        if account_of[contract.renewal_of] != contract.account_id:
            raise InvalidRecordError(
                _who(contract),
                "renewal_of",
                contract.renewal_of,
                f"a contract of the same account ({shorten(contract.account_id)}), "
                f"not of {shorten(account_of[contract.renewal_of])}",
            )
    _check_no_renewal_cycle(collections["contracts"])


def _check_no_renewal_cycle(contracts: tuple[Contract, ...]) -> None:
    """Refuse contracts that renew each other in a cycle (c1 renews c2, c2 renews c1)."""
    found = renewal_cycle(contracts)
    if found is not None:
        contract, cycle = found
        raise InvalidRecordError(
            _who(contract),
            "renewal_of",
            contract.renewal_of,
            f"a contract that is not renewed, through its own renewals, by this one "
            f"(renewal cycle: {cycle_text(cycle)})",
        )


def cycle_text(cycle: Sequence[str]) -> str:
    """A renewal cycle's ids as a message shows them, ``'c1 -> c2 -> c1'``, cut to a readable length.

    Only the ids shown are joined, so a cycle of a hundred thousand contracts costs what it shows.

    Examples:
        >>> cycle_text(["c1", "c2", "c1"])
        "'c1 -> c2 -> c1'"
        >>> cycle_text([f"c{i}" for i in range(10_000)] + ["c0"])
        "'c0 -> c1 -> c2 -> ... -> c18... (10001 ids)"
    """
    shown: list[str] = []
    length = 0
    for contract_id in cycle:
        if length > SHOWN_CHARACTERS:
            break
        shown.append(contract_id[: SHOWN_CHARACTERS + 1])
        length += len(shown[-1]) + 4
    text = " -> ".join(shown)
    if len(shown) == len(cycle) and length <= SHOWN_CHARACTERS + 4:
        return shorten(text)
    return f"{repr(text[:SHOWN_CHARACTERS])[:-1]}... ({len(cycle)} ids)"


def renewal_cycle(contracts: Sequence[Contract]) -> tuple[Contract, list[str]] | None:
    """The first contract found renewing itself through its renewals, and the ids of the cycle."""
    renews = {c.id: c.renewal_of for c in contracts if c.renewal_of is not None}
    if not renews:
        return None
    by_id = {c.id: c for c in contracts}
    cleared: set[str] = set()
    for first in renews:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = first
        while current is not None and current not in cleared:
            if current in on_path:
                return by_id[current], [*path[path.index(current) :], current]
            path.append(current)
            on_path.add(current)
            current = renews.get(current)
        cleared.update(path)
    return None
