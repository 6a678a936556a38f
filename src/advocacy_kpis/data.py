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
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from advocacy_kpis.errors import (
    SHOWN_CHARACTERS,
    CalendarMismatchError,
    CurrencyMismatchError,
    DuplicateIdError,
    InvalidRecordError,
    ParameterError,
    SegmentNotApplicableError,
    UnknownReferenceError,
    shorten,
)
from advocacy_kpis.grid import Grid
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
    SurveyKind,
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

__all__ = [
    "ACCOUNT_REFERENCES",
    "COLLECTIONS",
    "EVENT_TIME",
    "PAST_FIELDS",
    "AdvocacyData",
    "contract_value",
    "cycle_text",
    "refuse_unknown_attributes",
    "renewal_cycle",
    "renewal_cycle_of",
]

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
PAST_FIELDS: Final[Mapping[type, tuple[str, ...]]] = {
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
ACCOUNT_REFERENCES: Final[tuple[tuple[type, str], ...]] = (
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
class Timeline:
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
        >>> sorted(data.customers_at(t(2026, 7, 1))), sorted(data.customers_at(t(2026, 10, 1)))
        (['a1'], ['a1', 'a2'])
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

    def account_values(self, names: tuple[str, ...]) -> Mapping[str, tuple[Any, ...]]:
        """Each account's values of the attributes ``names``, by account id (built once per names).

        A name is read from the account's field of that name (`Account.segment_view` lets the
        fields win), else from its ``attributes``; a missing value is None.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> tiny().account_values(("tier", "region"))["a1"]
            ('enterprise', 'EMEA')
        """

        def build() -> Mapping[str, tuple[Any, ...]]:
            read = _account_reader(names)
            return MappingProxyType({a.id: read(a) for a in self.accounts})

        return self._cached(("account_values", names), build)

    def profile_counts(self, names: tuple[str, ...]) -> Mapping[tuple[Any, ...], int]:
        """The distinct combinations of values of ``names`` among the accounts, with how many
        accounts have each (read as in `account_values`; built once per names).

        Taken from the values of the accounts by id when those were built, else read straight
        from the accounts, with no table by id.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> sorted(tiny().profile_counts(("tier",)).items())
            [(('enterprise',), 2), (('mid',), 1), (('smb',), 3)]
        """

        def build() -> Mapping[tuple[Any, ...], int]:
            known = self._cache.get(("account_values", names))
            values = known.values() if known is not None else map(_account_reader(names), self.accounts)
            return MappingProxyType(Counter(values))

        return self._cached(("profile_counts", names), build)

    def timeline(self, kind: type) -> Timeline:
        """Records of ``kind`` in the order of their event time (`EVENT_TIME`), ties by id, with
        those instants: a window is two binary searches in it (built once per kind)."""

        def build() -> Timeline:
            field = EVENT_TIME[kind]
            # By id, then stably by time: ties stay in id order. Two sorts on one key each are
            # more than twice as fast as one on (time, id), which builds a tuple per record.
            ordered: list[Any] = sorted(self.collection(kind), key=operator.attrgetter("id"))
            ordered.sort(key=operator.attrgetter(field))
            return Timeline(list(map(operator.attrgetter(field), ordered)), ordered)

        return self._cached(("timeline", kind), build)

    def surveys_of(self, kind: SurveyKind) -> Sequence[SurveyResponse]:
        """The survey responses of one kind, in the order given (built once per kind, with no sort)."""
        return self._cached(("surveys", kind), lambda: tuple([r for r in self.surveys if r.kind is kind]))

    def first_touches(self) -> frozenset[str]:
        """Ids of the referrals that are the first touch of the account they converted.

        Among the referrals naming one converted account, the earliest invitation (ties: the
        lower id) is the first touch.
        """

        def build() -> frozenset[str]:
            first: dict[str, Referral] = {}
            for referral in self.referrals:
                target = referral.converted_account_id
                if target is None:
                    continue
                held = first.get(target)
                if held is None or (referral.invited_at, referral.id) < (held.invited_at, held.id):
                    first[target] = referral
            return frozenset(r.id for r in first.values())

        return self._cached("first_touches", build)

    def first_contracts(self) -> frozenset[str]:
        """Ids of the contracts that are their account's first: they renew nothing and start at the
        earliest start among the account's contracts."""

        def build() -> frozenset[str]:
            # In start order, an account's first contract seen holds its earliest start.
            earliest: dict[str, datetime] = {}
            first: list[str] = []
            for contract in self.timeline(Contract).records:
                start = contract.start
                if earliest.setdefault(contract.account_id, start) == start and contract.renewal_of is None:
                    first.append(contract.id)
            return frozenset(first)

        return self._cached("first_contracts", build)

    def renewed_contracts(self) -> frozenset[str]:
        """Ids of the contracts that another contract renews."""
        return self._cached(
            "renewed", lambda: frozenset(c.renewal_of for c in self.contracts if c.renewal_of is not None)
        )

    def _by_account(self, kind: type) -> dict[str, Timeline]:
        def build() -> dict[str, Timeline]:
            # Each account's few records are sorted apart: no sort of the whole collection.
            field = EVENT_TIME[kind]
            order, stamp = operator.attrgetter(field, "id"), operator.attrgetter(field)
            grouped: dict[str, list[Any]] = defaultdict(list)
            records: tuple[Any, ...] = self.collection(kind)
            for record in records:
                if record.account_id is not None:
                    grouped[record.account_id].append(record)
            out = {}
            for account_id, found in grouped.items():
                if len(found) > 1:
                    found.sort(key=order)
                out[account_id] = Timeline(list(map(stamp, found)), found)
            return out

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
        names = tuple(sorted(set(segment.attributes)))
        views: Iterable[Mapping[str, Any]]
        if on_records is None:
            what = "account"
            views = (dict(zip(names, v, strict=True)) for v in self.profile_counts(names))
        else:
            values = self.account_values(names)
            what = f"{on_records.__name__} record"
            # A reference request names the account that filled it, but segments read what was
            # asked for: its own attributes.
            own = on_records is ReferenceRequest
            records: tuple[Any, ...] = self.collection(on_records)
            views = (
                dict(zip(names, values[r.account_id], strict=True))
                if not own and getattr(r, "account_id", None) is not None
                else getattr(r, "attributes", {})
                for r in records
            )
        seen: list[Mapping[str, Any]] = []
        for view in views:
            if segment.matches(view):
                return None
            seen.append(view)
        return unmatched_note(segment, what, seen)

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
        if on_records is None and _ACCOUNT_FIELDS.issuperset(segment.attributes):
            return  # every account has these fields: no need to gather the attributes
        refuse_unknown_attributes(segment, function, self._known_attributes(on_records))

    def _known_attributes(self, on_records: type | None) -> frozenset[str]:
        def build() -> frozenset[str]:
            names: set[str] = set()
            if on_records is None:
                names.update(_ACCOUNT_FIELDS)
                names.update(*map(operator.attrgetter("attributes"), self.accounts))
            else:
                if on_records in (Opportunity, Review, CommunityMember):
                    names.update(self._known_attributes(None))
                records: tuple[Any, ...] = self.collection(on_records)
                for record in records:
                    names.update(getattr(record, "attributes", {}))
            return frozenset(names)

        return self._cached(("known_attributes", on_records), build)

    def segment_profiles(self, names: Sequence[str]) -> list[Mapping[str, Any]]:
        """The values of ``names`` of every account, as `Segment.matches` reads them."""
        return [
            {name: view.get(name) for name in names} for view in (a.segment_view() for a in self.accounts)
        ]

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
            return sum(n for values, n in self.profile_counts(names).items() if None in values)

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

    def active_in(self, window: Window, segment: Segment | None = None) -> frozenset[str]:
        """Accounts active in ``window``: customers at some instant of it (S ∪ N), as the grid
        of a scorecard counts them.

        Examples:
            >>> from advocacy_kpis.sample import tiny
            >>> sorted(tiny().active_in(Window.quarter(2026, 3)))
            ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']
        """
        grid = Grid([window], [Segment.all()])
        return frozenset(
            a.id
            for a in self._accounts_in(segment or Segment.all())
            if grid.is_active(a.customer_since, a.churned_at, 0)
        )

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
        timeline = self.timeline(kind)
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

    def by_contact(self, kind: type[R]) -> Mapping[str, Sequence[R]]:
        """Records of ``kind`` grouped by their ``contact`` (advocate within account), in time order.

        For asks and advocacy actions: the contact is the advocate within the account, else the
        account itself. The mapping is read-only and each group a tuple.
        """

        def build() -> Mapping[str, tuple[Any, ...]]:
            grouped: dict[str, list[Any]] = defaultdict(list)
            for record in self.timeline(kind).records:
                grouped[record.contact].append(record)
            return MappingProxyType({contact: tuple(records) for contact, records in grouped.items()})

        return self._cached(("by_contact", kind), build)

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
        found = self._by_account(Contract).get(account_id)
        if found is not None:
            records: list[Contract] = found.records
            # In start order, those that started before the instant; of them, those not yet ended.
            for contract in records[: bisect.bisect_left(found.times, instant)]:
                if instant <= contract.end:
                    if contract.currency == basis.currency:
                        total += contract.arr
                    else:
                        rate = basis.rate(contract.currency)
                        if rate is None:
                            raise CurrencyMismatchError(contract.currency, basis.currency, _who(contract))
                        total += contract.arr * rate
        return total / 12 if basis.kind is BasisKind.MRR else total


def contract_value(contract: Contract, basis: RevenueBasis) -> Decimal:
    """A contract's value on ``basis``: ARR, MRR (ARR / 12), ACV (first year) or TCV (whole term).

    Raises:
        CurrencyMismatchError: the contract's currency has no FX rate in the basis.
    """
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
    for field in PAST_FIELDS.get(kind, ()):
        for item in items:
            value = getattr(item, field)
            if value is not None and value > as_of:
                raise InvalidRecordError(
                    _who(item), field, value, f"at or before as_of ({as_of.isoformat()})"
                )


def _check_references(collections: dict[str, tuple[Any, ...]]) -> None:
    account_ids = {a.id for a in collections["accounts"]}
    by_kind = {kind: collections[name] for name, kind in COLLECTIONS.items()}
    for kind, field in ACCOUNT_REFERENCES:
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


def _account_reader(names: tuple[str, ...]) -> Callable[[Account], tuple[Any, ...]]:
    """A function of an account giving its values of ``names``: a field of that name (fields win,
    as in `Account.segment_view`), else its attribute; None where it has none."""
    if names and all(name in _ACCOUNT_FIELDS for name in names):
        if len(names) == 1:
            get = operator.attrgetter(names[0])
            return lambda account: (get(account),)
        return operator.attrgetter(*names)

    def read(account: Account) -> tuple[Any, ...]:
        return tuple(
            getattr(account, name) if name in _ACCOUNT_FIELDS else account.attributes.get(name)
            for name in names
        )

    return read


def refuse_unknown_attributes(segment: Segment, function: str, known: frozenset[str]) -> None:
    """Refuse a segment naming an attribute outside ``known`` (on records and tables alike).

    Raises:
        SegmentNotApplicableError: the first attribute of the segment not in ``known``.
    """
    for name in segment.attributes:
        if name not in known:
            shown = ", ".join(sorted(known)) or "none"
            raise SegmentNotApplicableError(
                "segment", function, f"criteria on attributes the records carry ({shown})", name
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
    found = renewal_cycle_of(renews)
    if found is None:
        return None
    by_id = {c.id: c for c in contracts}
    return by_id[found[0]], found


def renewal_cycle_of(renews: Mapping[str, str]) -> list[str] | None:
    """The ids of a cycle of renewals (the first contract again at the end), or None.

    ``renews`` maps a contract's id to the id of the contract it renews. Each contract is walked
    once, so the cost is linear in the contracts.
    """
    if not renews:
        return None
    cleared: set[str] = set()
    for first in renews:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = first
        while current is not None and current not in cleared:
            if current in on_path:
                return [*path[path.index(current) :], current]
            path.append(current)
            on_path.add(current)
            current = renews.get(current)
        cleared.update(path)
    return None
