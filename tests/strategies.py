"""Hypothesis strategies for every record type and for consistent data sets.

Timestamps are drawn on whole days (and sometimes whole hours) from a short span around 2026,
so they often fall exactly on window boundaries, on each other, and on ``as_of``: the cases where
half-open windows and "state just before t" matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import settings
from hypothesis import strategies as st

from advocacy_kpis import (
    QBR,
    Account,
    AdvocacyAction,
    AdvocacyData,
    Advocate,
    Ask,
    Asset,
    CommunityMember,
    Contract,
    Feedback,
    Mention,
    Opportunity,
    ProductChange,
    ProgramCost,
    PromptAction,
    ReferenceRequest,
    Referral,
    ReferralPrompt,
    Review,
    Sentiment,
    SocialShare,
    SurveyKind,
    SurveyResponse,
    Window,
)
from advocacy_kpis.records import MENTION_AUTHORS

HEAVY = settings(max_examples=max(3, settings.default.max_examples * 5 // 8))
"""For properties that build several data sets per example: fewer examples, scaled by the profile."""

EPOCH = datetime(2025, 7, 1, tzinfo=UTC)
SPAN_DAYS = 550  # to 2027-01-01
AS_OF = datetime(2026, 10, 15, tzinfo=UTC)
TIERS = ("enterprise", "mid", "smb")
REGIONS = ("NA", "EMEA", "APAC")
CURRENCIES = ("USD", "EUR")

WINDOWS = (
    Window.quarter(2026, 1),
    Window.quarter(2026, 2),
    Window.quarter(2026, 3),
    Window.month(2026, 8),
    Window.year(2026),
    Window.between(datetime(2025, 11, 3, tzinfo=UTC), datetime(2026, 2, 17, tzinfo=UTC)),
)


def windows() -> st.SearchStrategy[Window]:
    """Windows over the strategies' span: quarters, a month, a year, an arbitrary span."""
    return st.sampled_from(WINDOWS)


@st.composite
def instants(draw: st.DrawFn, low: datetime = EPOCH, high: datetime = AS_OF) -> datetime:
    """A UTC instant on a whole day (often) or a whole hour, between ``low`` and ``high``."""
    days = (high - low).days
    day = draw(st.integers(0, max(days, 0)))
    hour = draw(st.one_of(st.just(0), st.integers(0, 23)))
    value = low + timedelta(days=day, hours=hour)
    return min(value, high)


def optional_after(start: datetime, high: datetime = AS_OF) -> st.SearchStrategy[datetime | None]:
    """None, or an instant at or after ``start`` (and at most ``high``)."""
    return st.one_of(st.none(), instants(start, high)) if start <= high else st.none()


def money() -> st.SearchStrategy[Decimal]:
    """Non-negative whole-cent amounts."""
    return st.integers(0, 50_000_000).map(lambda cents: Decimal(cents) / 100)


def flags() -> st.SearchStrategy[bool | None]:
    """A tri-state flag: True, False, or (less often) None for a source that does not record it."""
    return st.one_of(st.booleans(), st.booleans(), st.none())


ids = st.text(alphabet="abcdefghjk0123456789", min_size=1, max_size=6)


@st.composite
def accounts(draw: st.DrawFn, account_id: str | None = None) -> Account:
    """An account that became a customer before ``AS_OF``, possibly churned since."""
    since = draw(instants(EPOCH - timedelta(days=200), AS_OF - timedelta(hours=1)))
    churned = draw(st.one_of(st.none(), instants(since + timedelta(hours=1), AS_OF)))
    return Account(
        id=account_id or draw(ids),
        customer_since=since,
        churned_at=churned,
        activated_at=draw(optional_after(since)),
        onboarded_at=draw(optional_after(since)),
        tier=draw(st.sampled_from(TIERS)),
        region=draw(st.sampled_from(REGIONS)),
        industry=draw(st.sampled_from(("software", "retail"))),
        icp=draw(flags()),
        acquisition_channel=draw(st.sampled_from(("referral", "inbound", "outbound"))),
        attributes=draw(st.sampled_from(({}, {"plan": "pro"}, {"plan": "basic"}))),
    )


@st.composite
def contracts(draw: st.DrawFn, account_id: str, contract_id: str) -> Contract:
    """A contract of one account, possibly running past ``AS_OF``."""
    start = draw(instants(EPOCH - timedelta(days=200), AS_OF))
    length = draw(st.sampled_from((30, 90, 365, 366, 730)))
    return Contract(
        id=contract_id,
        account_id=account_id,
        start=start,
        end=start + timedelta(days=length),
        arr=draw(money()),
        currency=draw(st.sampled_from(CURRENCIES)),
    )


@st.composite
def with_renewals(draw: st.DrawFn, contract_list: list[Contract]) -> list[Contract]:
    """The contracts, some of them made renewals (``renewal_of``) of another contract of their account.

    A contract may renew one that ends long before it starts, or even one that starts later:
    the data set checks only that both belong to the same account and that renewals form no
    cycle, and so do the metrics. A contract renews one listed before it, so there is no cycle.
    """
    by_account: dict[str, list[str]] = {}
    out = []
    for contract in contract_list:
        others = list(by_account.get(contract.account_id, []))
        by_account.setdefault(contract.account_id, []).append(contract.id)
        if others and draw(st.booleans()):
            contract = attrs.evolve(contract, renewal_of=draw(st.sampled_from(others)))
        out.append(contract)
    return out


@st.composite
def referrals(draw: st.DrawFn, account_id: str, referral_id: str) -> Referral:
    """A referral, converted or not."""
    invited = draw(instants())
    converted = draw(optional_after(invited))
    return Referral(
        id=referral_id,
        account_id=account_id,
        invited_at=invited,
        converted_at=converted,
        personalized=draw(flags()),
        sender_id=draw(st.one_of(st.none(), st.sampled_from(("u1", "u2")))),
    )


@st.composite
def survey_responses(draw: st.DrawFn, account_id: str, response_id: str) -> SurveyResponse:
    """An answer with a score valid for its kind."""
    kind = draw(st.sampled_from(SurveyKind))
    low, high = kind.scale
    return SurveyResponse(
        id=response_id,
        account_id=account_id,
        kind=kind,
        score=draw(st.integers(low, high)),
        responded_at=draw(instants()),
        respondent_id=draw(st.one_of(st.none(), st.sampled_from(("u1", "u2", "u3")))),
    )


@st.composite
def referral_prompts(draw: st.DrawFn, account_id: str, record_id: str) -> ReferralPrompt:
    """A prompt event."""
    return ReferralPrompt(
        id=record_id, account_id=account_id, occurred_at=draw(instants()),
        action=draw(st.sampled_from(PromptAction)),
    )  # fmt: skip


@st.composite
def feedback(draw: st.DrawFn, account_id: str, record_id: str) -> Feedback:
    """A labelled piece of feedback."""
    return Feedback(
        id=record_id, account_id=account_id, received_at=draw(instants()),
        sentiment=draw(st.sampled_from(Sentiment)),
    )  # fmt: skip


@st.composite
def advocates(draw: st.DrawFn, account_id: str, record_id: str) -> Advocate:
    """An enrolled advocate, possibly opted out."""
    enrolled = draw(instants())
    return Advocate(
        id=record_id, account_id=account_id, enrolled_at=enrolled,
        opted_out_at=draw(optional_after(enrolled)),
    )  # fmt: skip


@st.composite
def asks(draw: st.DrawFn, account_id: str, record_id: str) -> Ask:
    """An ask for an asset, to a contact or to the account."""
    return Ask(
        id=record_id, account_id=account_id, asked_at=draw(instants()),
        asset=draw(st.sampled_from(Asset)),
        advocate_id=draw(st.one_of(st.none(), st.sampled_from(("p1", "p2")))),
    )  # fmt: skip


@st.composite
def advocacy_actions(draw: st.DrawFn, account_id: str, record_id: str) -> AdvocacyAction:
    """A delivered advocacy asset."""
    return AdvocacyAction(
        id=record_id, account_id=account_id, asset=draw(st.sampled_from(Asset)),
        completed_at=draw(instants()),
        advocate_id=draw(st.one_of(st.none(), st.sampled_from(("p1", "p2")))),
    )  # fmt: skip


@st.composite
def social_shares(draw: st.DrawFn, account_id: str, record_id: str) -> SocialShare:
    """A social share."""
    return SocialShare(id=record_id, account_id=account_id, shared_at=draw(instants()))


@st.composite
def qbrs(draw: st.DrawFn, account_id: str, record_id: str) -> QBR:
    """A QBR, with or without referral intent."""
    return QBR(
        id=record_id,
        account_id=account_id,
        held_at=draw(instants()),
        referral_intent=draw(flags()),
    )


@st.composite
def reviews(draw: st.DrawFn, account_id: str | None, record_id: str) -> Review:
    """A public review."""
    return Review(
        id=record_id, published_at=draw(instants()), platform=draw(st.sampled_from(("G2", "Capterra"))),
        rating=draw(st.one_of(st.none(), st.integers(1, 5).map(float))), account_id=account_id,
    )  # fmt: skip


@st.composite
def community_members(draw: st.DrawFn, account_id: str | None, record_id: str) -> CommunityMember:
    """A community member, with or without an account."""
    joined = draw(instants())
    return CommunityMember(
        id=record_id, joined_at=joined, left_at=draw(optional_after(joined)), account_id=account_id
    )


@st.composite
def reference_requests(draw: st.DrawFn, filler: str | None, record_id: str) -> ReferenceRequest:
    """A reference request with attributes, filled (by ``filler``) or not."""
    requested = draw(instants())
    filled = draw(optional_after(requested)) if filler else None
    return ReferenceRequest(
        id=record_id, requested_at=requested, filled_at=filled,
        account_id=filler if filled else None,
        attributes={"industry": draw(st.sampled_from(("software", "retail"))),
                    "region": draw(st.sampled_from(REGIONS))},
    )  # fmt: skip


@st.composite
def mentions(draw: st.DrawFn, record_id: str) -> Mention:
    """A public mention."""
    return Mention(
        id=record_id, published_at=draw(instants()), author_kind=draw(st.sampled_from(MENTION_AUTHORS)),
        sentiment=draw(st.one_of(st.none(), st.sampled_from(Sentiment))), organic=draw(st.booleans()),
        attributes={"region": draw(st.sampled_from(REGIONS))},
    )  # fmt: skip


@st.composite
def opportunities(draw: st.DrawFn, account_id: str | None, record_id: str) -> Opportunity:
    """An opportunity, open, won or lost."""
    created = draw(instants())
    closed = draw(optional_after(created))
    return Opportunity(
        id=record_id, created_at=created, amount=draw(money()), currency=draw(st.sampled_from(CURRENCIES)),
        source=draw(st.sampled_from(("referral", "inbound", "outbound"))), closed_at=closed,
        won=draw(st.booleans()) if closed else None,
        influences=draw(st.lists(st.sampled_from(Asset), max_size=2, unique=True)),
        account_id=account_id, attributes={"region": draw(st.sampled_from(REGIONS))},
    )  # fmt: skip


@st.composite
def program_costs(draw: st.DrawFn, record_id: str) -> ProgramCost:
    """A programme cost."""
    return ProgramCost(
        id=record_id, incurred_at=draw(instants()), amount=draw(money()),
        currency=draw(st.sampled_from(CURRENCIES)), program=draw(st.sampled_from(("referral", "advocacy"))),
    )  # fmt: skip


@st.composite
def product_changes(draw: st.DrawFn, record_id: str) -> ProductChange:
    """A product release."""
    return ProductChange(id=record_id, released_at=draw(instants()), name=f"release {record_id}")


PerAccount = Callable[[str, str], st.SearchStrategy[Any]]

_PER_ACCOUNT: dict[str, tuple[str, PerAccount]] = {
    "contracts": ("c", contracts),
    "referrals": ("r", referrals),
    "surveys": ("s", survey_responses),
    "referral_prompts": ("p", referral_prompts),
    "feedback": ("f", feedback),
    "advocates": ("v", advocates),
    "asks": ("k", asks),
    "actions": ("x", advocacy_actions),
    "social_shares": ("h", social_shares),
    "qbrs": ("q", qbrs),
}


@st.composite
def datasets(draw: st.DrawFn, max_accounts: int = 12, max_per_account: int = 4) -> AdvocacyData:
    """A consistent data set: every reference resolves, every event is at or before ``AS_OF``."""
    n = draw(st.integers(0, max_accounts))
    account_list = [draw(accounts(f"a{i}")) for i in range(n)]
    account_ids = [a.id for a in account_list]
    maybe_account = st.one_of(st.none(), st.sampled_from(account_ids)) if account_ids else st.none()
    collections: dict[str, list[Any]] = {name: [] for name in _PER_ACCOUNT}
    for account_id in account_ids:
        for name, (prefix, strategy) in _PER_ACCOUNT.items():
            for _ in range(draw(st.integers(0, max_per_account))):
                record_id = f"{prefix}{len(collections[name])}"
                collections[name].append(draw(strategy(account_id, record_id)))
    collections["contracts"] = draw(with_renewals(collections["contracts"]))
    count = st.integers(0, max_per_account * 2)
    extras: dict[str, list[Any]] = {
        "reviews": [draw(reviews(draw(maybe_account), f"w{i}")) for i in range(draw(count))],
        "community_members": [
            draw(community_members(draw(maybe_account), f"m{i}")) for i in range(draw(count))
        ],
        "reference_requests": [
            draw(reference_requests(draw(maybe_account), f"rr{i}")) for i in range(draw(count))
        ],
        "mentions": [draw(mentions(f"n{i}")) for i in range(draw(count))],
        "opportunities": [draw(opportunities(draw(maybe_account), f"o{i}")) for i in range(draw(count))],
        "program_costs": [draw(program_costs(f"pc{i}")) for i in range(draw(count))],
        "product_changes": [draw(product_changes(f"pr{i}")) for i in range(draw(st.integers(0, 2)))],
    }
    return AdvocacyData.from_records(accounts=account_list, as_of=AS_OF, **collections, **extras)


def relabel(data: AdvocacyData, prefix: str = "z") -> AdvocacyData:
    """The same data set with every id replaced (accounts and records), references kept consistent."""

    def new_account(old: str | None) -> str | None:
        return None if old is None else f"{prefix}-{old}"

    fields: dict[str, Any] = {}
    for name in data.supplied:
        updated = []
        for record in reversed(getattr(data, name)):
            changes: dict[str, Any] = {"id": f"{prefix}{record.id[::-1]}-{record.id}"}
            if name == "accounts":
                changes["id"] = new_account(record.id)
            for ref in ("account_id", "converted_account_id"):
                if hasattr(record, ref):
                    changes[ref] = new_account(getattr(record, ref))
            if name == "contracts" and record.renewal_of is not None:
                changes["renewal_of"] = f"{prefix}{record.renewal_of[::-1]}-{record.renewal_of}"
            updated.append(attrs.evolve(record, **changes))
        fields[name] = updated
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **fields)


def shuffled(data: AdvocacyData, seed: int) -> AdvocacyData:
    """The same records in another order."""
    import random

    rng = random.Random(seed)
    fields: dict[str, Any] = {}
    for name in data.supplied:
        items = list(getattr(data, name))
        rng.shuffle(items)
        fields[name] = items
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **fields)


def in_window(instant: datetime, window: Window) -> bool:
    """The half-open membership test, written out for the naive oracles."""
    return window.start <= instant < window.end


@st.composite
def programme_datasets(draw: st.DrawFn, max_accounts: int = 12, max_per_account: int = 4) -> AdvocacyData:
    """`datasets` whose asks and advocacy actions name an enrolled advocate of their account (or
    nobody), so contacts on asks and actions line up with the advocate pool, and asks bunch up
    in time often enough to break the tap policy."""
    import attrs

    data = draw(datasets(max_accounts, max_per_account))
    advocates: dict[str, list[str]] = {}
    for advocate in data.advocates:
        advocates.setdefault(advocate.account_id, []).append(advocate.id)

    def named(record: Any) -> Any:
        choices = [None, *advocates.get(record.account_id, ())]
        return attrs.evolve(record, advocate_id=draw(st.sampled_from(choices)))

    asks = [named(ask) for ask in data.asks]
    # A few repeat asks days after an earlier one, to the same contact.
    for ask in draw(st.lists(st.sampled_from(asks), max_size=4)) if asks else []:
        later = ask.asked_at + timedelta(days=draw(st.sampled_from((0, 1, 20, 31, 45, 89, 92))))
        if later <= data.as_of:
            repeat = attrs.evolve(ask, id=f"{ask.id}-again{len(asks)}", asked_at=later)
            asks.append(attrs.evolve(repeat, asset=draw(st.sampled_from(Asset))))
    collections = data.as_collections()
    collections.update(asks=asks, actions=[named(action) for action in data.actions])
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **collections)


def window_bounds(windows: Sequence[Window]) -> list[datetime]:
    """The distinct starts and ends of ``windows``, in order."""
    return sorted({w.start for w in windows} | {w.end for w in windows})


def _shifted_onto(record: Any, bound: datetime, as_of: datetime) -> Any:
    """``record`` with all its instants moved by one amount, so its event time is ``bound`` and the
    order of its own instants holds; unchanged if that would put a past instant after ``as_of``."""
    from advocacy_kpis.data import EVENT_TIME, PAST_FIELDS

    kind = type(record)
    delta = bound - getattr(record, EVENT_TIME[kind])
    moved = {
        f.name: getattr(record, f.name) + delta
        for f in attrs.fields(kind)
        if isinstance(getattr(record, f.name), datetime)
    }
    if any(moved[name] > as_of for name in PAST_FIELDS.get(kind, ()) if name in moved):
        return record
    return attrs.evolve(record, **moved)


@st.composite
def boundary_datasets(
    draw: st.DrawFn, bounds: Sequence[datetime], max_accounts: int = 8, max_per_account: int = 3
) -> AdvocacyData:
    """`datasets` pushed onto the edges: about a quarter of the records moved so that their event
    time is exactly one of ``bounds`` (all of a record's instants move together), about a quarter of
    the accounts churned exactly at a bound, and accounts missing tier, region, industry, icp or
    their attributes."""
    data = draw(datasets(max_accounts, max_per_account))
    usable = [b for b in bounds if b <= data.as_of]
    collections = data.as_collections()
    for name, records in collections.items():
        if name == "accounts" or not usable:
            continue
        collections[name] = [
            _shifted_onto(r, draw(st.sampled_from(usable)), data.as_of) if draw(st.integers(0, 3)) == 0 else r
            for r in records
        ]
    accounts = []
    for account in collections["accounts"]:
        changes: dict[str, Any] = {}
        later = [b for b in usable if b > account.customer_since]
        if later and draw(st.integers(0, 3)) == 0:
            changes["churned_at"] = draw(st.sampled_from(later))
        for field in ("tier", "region", "industry", "icp"):
            if draw(st.integers(0, 3)) == 0:
                changes[field] = None
        if draw(st.integers(0, 3)) == 0:
            changes["attributes"] = {}
        accounts.append(attrs.evolve(account, **changes))
    collections["accounts"] = accounts
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **collections)
