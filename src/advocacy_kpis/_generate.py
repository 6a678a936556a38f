"""The seeded generator behind `advocacy_kpis.sample.generate`.

It invents a B2B SaaS company observed for about three years before ``as_of``: accounts that
sign yearly contracts, renew, expand, contract or churn, and, while they are customers, answer
surveys, send referrals, join the community, get asked for references and reviews, and so on.
Every draw comes from one ``random.Random(seed)`` and only from its integer and ``random()``
draws (never from functions such as ``gauss`` whose last bits may vary between platforms), so a
seed and a size give the same records on every machine. Money is built from integer cents.

A happiness score per account (``mood``) ties the families together the way real data is tied:
happy accounts score higher, churn less, refer, review and speak more.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from advocacy_kpis.data import COLLECTIONS, AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.records import (
    QBR,
    Account,
    AdvocacyAction,
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
)
from advocacy_kpis.scope import check_currency

__all__ = ["DEFAULT_AS_OF", "generate"]

K = TypeVar("K")

DEFAULT_AS_OF: Final = datetime(2026, 10, 1, tzinfo=UTC)
"""The extraction instant `generate` uses unless given another."""

_SECOND: Final = timedelta(seconds=1)
_DAY: Final = timedelta(days=1)
_YEAR_SECONDS: Final = 31_557_600
_HISTORY_DAYS: Final = 1096

# Weights are integers so that a draw never depends on float rounding.
_TIERS: Final = {"enterprise": 15, "mid": 35, "smb": 50}
_REGIONS: Final = {"NA": 45, "EMEA": 30, "APAC": 15, "LATAM": 10}
_INDUSTRIES: Final = ("software", "finance", "healthcare", "retail", "manufacturing", "education")
_CHANNELS: Final = {"referral": 17, "inbound": 36, "outbound": 30, "partner": 17}
_ICP_SHARE: Final = {"enterprise": 0.65, "mid": 0.5, "smb": 0.28}
_USERS: Final = {"enterprise": (2, 3), "mid": (1, 3), "smb": (1, 2)}
_ARR_RANGE: Final = {
    "enterprise": (60_000, 250_000),
    "mid": (15_000, 60_000),
    "smb": (2_000, 15_000),
}
_ANNUAL_CHURN: Final = {"enterprise": 0.08, "mid": 0.12, "smb": 0.20}
_NPS_MIX: Final = {"enterprise": (0.56, 0.15), "mid": (0.50, 0.20), "smb": (0.45, 0.26)}
_ASSETS: Final = {
    Asset.REFERENCE: 22,
    Asset.CASE_STUDY: 10,
    Asset.SPEAKING: 6,
    Asset.REVIEW: 30,
    Asset.COMMUNITY: 12,
    Asset.REFERRAL: 20,
}
_DELIVERY_DAYS: Final = {
    Asset.REFERENCE: (3, 20),
    Asset.CASE_STUDY: (28, 56),
    Asset.SPEAKING: (14, 60),
    Asset.REVIEW: (1, 14),
    Asset.COMMUNITY: (1, 10),
    Asset.REFERRAL: (1, 14),
}
_HIGH_EFFORT: Final = (Asset.REFERENCE, Asset.CASE_STUDY, Asset.SPEAKING)
_INFLUENCES: Final = (Asset.REFERENCE, Asset.CASE_STUDY, Asset.REVIEW)
_PLATFORMS: Final = {"G2": 40, "Capterra": 25, "TrustRadius": 15, "AppStore": 20}
_AUTHORS: Final = {"customer": 35, "other": 25, "advocate": 15, "influencer": 10, "media": 15}
_MENTION_PLATFORMS: Final = ("linkedin", "x", "reddit", "blog", "news")
_SOURCES: Final = {"referral": 20, "inbound": 35, "outbound": 30, "partner": 15}
_REFERRAL_CHANNELS: Final = {"email": 50, "link": 30, "in_app": 20}
_SHARE_CHANNELS: Final = ("linkedin", "x", "facebook")
_FEEDBACK_CHANNELS: Final = ("support", "in_app", "csm_call", "email")
_FEEDBACK_TEXT: Final = {
    Sentiment.POSITIVE: ("Saves our team hours every week.", "Support was quick and helpful."),
    Sentiment.NEUTRAL: ("Works as expected.", "Would like more export options."),
    Sentiment.NEGATIVE: ("Reports are too slow.", "The last update broke our workflow."),
}
_RELEASES: Final = (
    ("Workflow automation", "Rule-based automations for recurring tasks."),
    ("Reporting dashboards 2.0", "Rebuilt dashboards with custom metrics."),
    ("Pricing and packaging update", "New plans; some features moved to higher tiers."),
    ("Mobile app", "Native iOS and Android apps."),
    ("SSO and SCIM", "Enterprise identity management."),
    ("AI assistant (beta)", "Drafts replies and summaries inside the product."),
)


@attrs.define
class _Plan:
    """What the generator knows of one account while it invents the account's history."""

    id: str
    since: datetime
    tier: str
    region: str
    industry: str
    icp: bool
    channel: str
    mood: float
    billing: str
    users: int
    until: datetime
    churned_at: datetime | None = None
    advocates: list[Advocate] = attrs.Factory(list)


@attrs.define
class _Context:
    """The random stream, the time frame and what earlier steps produced."""

    rng: random.Random
    as_of: datetime
    start: datetime
    currency: str
    plans: list[_Plan] = attrs.Factory(list)
    by_id: dict[str, _Plan] = attrs.Factory(dict)
    serials: dict[str, int] = attrs.Factory(dict)

    def next_id(self, prefix: str) -> str:
        """The next id of a record kind, e.g. ``ref-000042``."""
        serial = self.serials.get(prefix, 0) + 1
        self.serials[prefix] = serial
        return f"{prefix}-{serial:06d}"


@attrs.frozen
class _Pool:
    """Accounts sorted by ``customer_since``, to draw one that is a customer at an instant."""

    plans: Sequence[_Plan]
    sinces: Sequence[datetime]

    @classmethod
    def of(cls, plans: Sequence[_Plan]) -> _Pool:
        """A pool of ``plans`` (already in ``customer_since`` order)."""
        return cls(plans, [p.since for p in plans])

    def pick(self, rng: random.Random, at: datetime, settled: timedelta = 14 * _DAY) -> _Plan | None:
        """A member that has been a customer for ``settled`` and still is at ``at``, or None.

        A bounded number of tries keeps the cost per draw constant whatever the pool size.
        """
        eligible = bisect.bisect_left(self.sinces, at - settled)
        for _ in range(8 if eligible else 0):
            plan = self.plans[rng.randrange(eligible)]
            if plan.until >= at:
                return plan
        return None


# -- drawing helpers ----------------------------------------------------------------------------


def _pick(rng: random.Random, table: Mapping[K, int]) -> K:
    """A key of ``table`` drawn with probability proportional to its integer weight."""
    draw = rng.randrange(sum(table.values()))
    for key, weight in table.items():
        if draw < weight:
            return key
        draw -= weight
    raise AssertionError("unreachable: the draw is below the total weight")


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """A whole-second instant in ``[low, high]`` (``low`` if the span is under a second)."""
    return low + rng.randint(0, max(0, (high - low) // _SECOND)) * _SECOND


def _growth_fraction(rng: random.Random) -> float:
    """A point in [0, 1) whose density rises over time, as a growing company's events do."""
    if rng.random() < 0.35:
        return rng.random()
    return max(rng.random(), rng.random())


def _growing(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """An instant in ``[low, high]`` drawn with `_growth_fraction`."""
    return low + int(_growth_fraction(rng) * ((high - low) // _SECOND)) * _SECOND


def _times(rng: random.Random, low: datetime, high: datetime, per_year: float) -> list[datetime]:
    """Instants in ``(low, high]``, about ``per_year`` a year, with uniformly jittered gaps."""
    if per_year <= 0:
        return []
    longest = max(2, int(2 * _YEAR_SECONDS / per_year))
    # Offsets stay integers until they are known to fit: a tiny rate draws gaps of centuries.
    span = (high - low) // _SECOND
    found: list[datetime] = []
    offset = rng.randint(1, longest)
    while offset <= span:
        found.append(low + offset * _SECOND)
        offset += rng.randint(1, longest)
    return found


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    """A duration of ``low`` to ``high`` days plus a random part of a day."""
    return rng.randint(low, high) * _DAY + rng.randint(0, 86_399) * _SECOND


def _money(cents: int) -> Decimal:
    """Non-negative integer cents as a Decimal amount with two places."""
    # Built from text, not arithmetic, so that no caller's decimal context can round it.
    return Decimal(f"{cents // 100}.{cents % 100:02d}")


def _user(rng: random.Random, plan: _Plan) -> str:
    """One of the account's users, e.g. ``acc-00001-u2``."""
    return f"{plan.id}-u{rng.randint(1, plan.users)}"


def _clip(score: int) -> int:
    """A 0-10 score kept on its scale."""
    return min(10, max(0, score))


# -- accounts and contracts ---------------------------------------------------------------------


def _plans(ctx: _Context, n_accounts: int) -> list[_Plan]:
    """The accounts' traits, numbered in ``customer_since`` order (acc-00001 is the oldest)."""
    span = (ctx.as_of - ctx.start) // _DAY
    offsets = sorted(min(span - 1, int(_growth_fraction(ctx.rng) * span)) for _ in range(n_accounts))
    return [_plan(ctx, f"acc-{i:05d}", ctx.start + d * _DAY) for i, d in enumerate(offsets, 1)]


def _plan(ctx: _Context, account_id: str, since: datetime) -> _Plan:
    """One account's traits."""
    rng = ctx.rng
    tier = _pick(rng, _TIERS)
    region = _pick(rng, _REGIONS)
    billing = "EUR" if region == "EMEA" and rng.random() < 1 / 3 else ctx.currency
    return _Plan(
        id=account_id,
        since=since,
        tier=tier,
        region=region,
        industry=rng.choice(_INDUSTRIES),
        icp=rng.random() < _ICP_SHARE[tier],
        channel=_pick(rng, _CHANNELS),
        mood=rng.random(),
        billing=billing,
        users=rng.randint(*_USERS[tier]),
        until=ctx.as_of,
    )


def _contracts(ctx: _Context) -> list[Contract]:
    """Every account's chain of back-to-back contracts, cut at its churn."""
    terms = [_terms(ctx, plan) for plan in ctx.plans]
    _churn(ctx, terms)
    chains = (_contract_chain(ctx, plan, t) for plan, t in zip(ctx.plans, terms, strict=True))
    return [contract for chain in chains for contract in chain]


def _terms(ctx: _Context, plan: _Plan) -> list[tuple[datetime, datetime, int]]:
    """The (start, end, years) terms an account would sign if it never churned, up to ``as_of``."""
    rng = ctx.rng
    terms: list[tuple[datetime, datetime, int]] = []
    start = plan.since
    while not terms or terms[-1][1] <= ctx.as_of:
        years = rng.choice((2, 3)) if plan.tier == "enterprise" and rng.random() < 0.2 else 1
        end = start + relativedelta(years=years)
        terms.append((start, end, years))
        start = end
    return terms


def _churn(ctx: _Context, terms: list[list[tuple[datetime, datetime, int]]]) -> None:
    """Decide which contract ends are churns, and cut the terms after them.

    Each end that is due by ``as_of`` churns with probability the tier's annual rate times the
    term in years, scaled from 1.6 times for the unhappiest accounts to 0.4 times for the
    happiest. The draws are systematic, in time order per tier (one random phase, then a churn
    each time the running sum of probabilities passes a whole number), so each end still churns
    with its own probability but every quarter sees close to its expected number of churns,
    even in a small data set.
    """
    rng = ctx.rng
    due = sorted(
        (end, index, position)
        for index, plan_terms in enumerate(terms)
        for position, (_, end, _) in enumerate(plan_terms)
        if end <= ctx.as_of
    )
    carried = {tier: rng.random() for tier in _TIERS}
    for end, index, position in due:
        plan = ctx.plans[index]
        if plan.churned_at is not None:
            continue
        years = terms[index][position][2]
        carried[plan.tier] += _ANNUAL_CHURN[plan.tier] * years * (1.6 - 1.2 * plan.mood)
        if carried[plan.tier] >= 1:
            carried[plan.tier] -= 1
            plan.churned_at = plan.until = end
            del terms[index][position + 1 :]


def _contract_chain(
    ctx: _Context, plan: _Plan, terms: Sequence[tuple[datetime, datetime, int]]
) -> list[Contract]:
    """Contracts of one account over its terms, each renewing the previous one."""
    rng = ctx.rng
    low, high = _ARR_RANGE[plan.tier]
    cents = rng.randint(low // 100, high // 100) * 10_000
    chain: list[Contract] = []
    for start, end, _ in terms:
        if chain:
            cents = _renewed_cents(rng, cents)
        chain.append(
            Contract(
                id=ctx.next_id("con"),
                account_id=plan.id,
                start=start,
                end=end,
                arr=_money(cents),
                currency=plan.billing,
                renewal_of=chain[-1].id if chain else None,
            )
        )
    return chain


def _renewed_cents(rng: random.Random, cents: int) -> int:
    """The ARR of a renewal: an expansion, a contraction or flat."""
    draw = rng.random()
    if draw < 0.3:
        return cents * (100 + rng.randint(5, 30)) // 100
    if draw < 0.42:
        return cents * (100 - rng.randint(5, 20)) // 100
    return cents


def _accounts(ctx: _Context) -> list[Account]:
    """The account records, once churn is known."""
    return [_account(ctx, plan) for plan in ctx.plans]


def _account(ctx: _Context, plan: _Plan) -> Account:
    """One account record; milestones not yet reached by ``as_of`` stay None."""
    rng = ctx.rng
    activated = plan.since + _days(rng, 3, 42)
    onboarded = plan.since + _days(rng, 14, 70)
    # A few accounts never record an activation milestone.
    unrecorded = rng.random() < 0.05
    if plan.tier == "enterprise":
        package = "enterprise"
    else:
        package = "pro" if plan.tier == "mid" or rng.random() < 0.3 else "basic"
    return Account(
        id=plan.id,
        customer_since=plan.since,
        churned_at=plan.churned_at,
        activated_at=None if unrecorded or activated > ctx.as_of else activated,
        onboarded_at=None if onboarded > ctx.as_of else onboarded,
        tier=plan.tier,
        region=plan.region,
        industry=plan.industry,
        icp=plan.icp,
        acquisition_channel=plan.channel,
        name=f"Customer {plan.id[4:]}",
        attributes={"plan": package},
    )


# -- referrals ----------------------------------------------------------------------------------


def _referrals(ctx: _Context) -> list[Referral]:
    """Referrals: the one behind each referral-channel account, then the other invitations."""
    rng = ctx.rng
    referrers = [p for p in ctx.plans if rng.random() < 0.13 + 0.45 * p.mood]
    pool = _Pool.of(referrers)
    found: list[Referral] = []
    for target in ctx.plans:
        if target.channel == "referral":
            claiming = _claiming_referral(ctx, pool, target)
            if claiming is not None:
                found.append(claiming)
    for plan in referrers:
        found.extend(_invitations(ctx, plan))
    return found


def _claiming_referral(ctx: _Context, pool: _Pool, target: _Plan) -> Referral | None:
    """The referral a referral-channel account came from, sent by a customer of the time."""
    rng = ctx.rng
    invited = target.since - _days(rng, 10, 120)
    sender = pool.pick(rng, invited)
    if sender is None:
        # No customer could have referred it (too early in the history): the channel alone says so.
        return None
    return Referral(
        id=ctx.next_id("ref"),
        account_id=sender.id,
        invited_at=invited,
        converted_at=target.since,
        converted_account_id=target.id,
        personalized=rng.random() < 0.55,
        sender_id=_user(rng, sender),
        channel=_pick(rng, _REFERRAL_CHANNELS),
    )


def _invitations(ctx: _Context, plan: _Plan) -> list[Referral]:
    """A referrer's other invitations; a few convert into prospects outside the data set."""
    rng = ctx.rng
    first = plan.since + _days(rng, 14, 200)
    if first > plan.until:
        return []
    sent = [first, *_times(rng, first, plan.until, 0.8 + 1.8 * plan.mood)]
    found = []
    for invited in sent:
        converted = invited + _days(rng, 10, 120)
        converts = rng.random() < 0.06 and converted <= ctx.as_of
        found.append(
            Referral(
                id=ctx.next_id("ref"),
                account_id=plan.id,
                invited_at=invited,
                converted_at=converted if converts else None,
                personalized=rng.random() < 0.38,
                sender_id=_user(rng, plan),
                channel=_pick(rng, _REFERRAL_CHANNELS),
            )
        )
    return found


def _referral_prompts(ctx: _Context, referrals: Sequence[Referral]) -> list[ReferralPrompt]:
    """The steps before each referral, and prompts opened by customers who did not refer then."""
    rng = ctx.rng
    found: list[ReferralPrompt] = []
    for referral in referrals:
        plan = ctx.by_id[referral.account_id]
        at = referral.invited_at - rng.randint(600, 3 * 86_400) * _SECOND
        steps = [PromptAction.OPENED_PROMPT, PromptAction.CLICKED_REFER]
        if rng.random() < 0.4:
            steps.append(PromptAction.COPIED_LINK)
        for action in steps:
            if action is not PromptAction.OPENED_PROMPT:
                at += rng.randint(5, 300) * _SECOND
            if plan.since < at <= referral.invited_at:
                found.append(_prompt(ctx, plan, at, action, referral.sender_id))
    for plan in ctx.plans:
        for opened in _times(rng, plan.since, plan.until, 0.2 + 0.8 * plan.mood):
            user = _user(rng, plan)
            found.append(_prompt(ctx, plan, opened, PromptAction.OPENED_PROMPT, user))
            clicked = opened + rng.randint(5, 600) * _SECOND
            if rng.random() < 0.35 and clicked <= plan.until:
                found.append(_prompt(ctx, plan, clicked, PromptAction.CLICKED_REFER, user))
    return found


def _prompt(
    ctx: _Context, plan: _Plan, at: datetime, action: PromptAction, user: str | None
) -> ReferralPrompt:
    """One prompt event."""
    return ReferralPrompt(
        id=ctx.next_id("rp"), account_id=plan.id, occurred_at=at, action=action, user_id=user
    )


# -- surveys and feedback -----------------------------------------------------------------------


def _surveys(ctx: _Context) -> list[SurveyResponse]:
    """Twice-yearly NPS waves (some with repurchase and upsell questions) and post-support CSAT."""
    found: list[SurveyResponse] = []
    for plan in ctx.plans:
        wave = plan.since + _days(ctx.rng, 60, 180)
        while wave <= plan.until:
            for user in range(1, plan.users + 1):
                if ctx.rng.random() < 0.6:
                    found.extend(_nps_answers(ctx, plan, wave, f"{plan.id}-u{user}"))
            wave += relativedelta(months=6)
        found.extend(_csat_answers(ctx, plan))
    return found


def _nps_answers(ctx: _Context, plan: _Plan, wave: datetime, user: str) -> list[SurveyResponse]:
    """One respondent's answers to a wave: NPS, sometimes loyalty questions, sometimes a re-take."""
    rng = ctx.rng
    answered = wave + rng.randint(0, 21 * 86_400) * _SECOND
    if answered > plan.until:
        return []
    score = _nps_score(rng, plan)
    found = [_answer(ctx, plan, SurveyKind.NPS, score, answered, user)]
    if rng.random() < 0.4 and answered + 600 * _SECOND <= plan.until:
        later = answered + rng.randint(30, 600) * _SECOND
        repurchase, upsell = _clip(score + rng.randint(-2, 1)), _clip(score + rng.randint(-3, 0))
        found.append(_answer(ctx, plan, SurveyKind.REPURCHASE, repurchase, later, user))
        found.append(_answer(ctx, plan, SurveyKind.UPSELL, upsell, later, user))
    # A reminder sometimes makes a respondent answer again within weeks, often in one quarter.
    again = answered + _days(rng, 3, 20)
    if rng.random() < 0.08 and again <= plan.until:
        retaken = _clip(score + rng.randint(-2, 2))
        found.append(_answer(ctx, plan, SurveyKind.NPS, retaken, again, user))
    return found


def _nps_score(rng: random.Random, plan: _Plan) -> int:
    """A 0-10 answer: the tier sets promoter and detractor shares, the account's mood moves them."""
    promoters, detractors = _NPS_MIX[plan.tier]
    draw = rng.random()
    if draw < promoters + 0.4 * (plan.mood - 0.5):
        return rng.randint(9, 10)
    if draw < 1 - detractors + 0.3 * (plan.mood - 0.5):
        return rng.randint(7, 8)
    return rng.choice((0, 2, 3, 4, 5, 5, 6, 6, 6))


def _csat_answers(ctx: _Context, plan: _Plan) -> list[SurveyResponse]:
    """CSAT answers after support interactions; about four in five satisfied."""
    rng = ctx.rng
    per_year = {"enterprise": 5, "mid": 3, "smb": 2}[plan.tier]
    found = []
    for answered in _times(rng, plan.since, plan.until, per_year):
        satisfied = rng.random() < 0.68 + 0.24 * plan.mood
        score = rng.choice((4, 5, 5)) if satisfied else rng.choice((1, 2, 3, 3))
        found.append(_answer(ctx, plan, SurveyKind.CSAT, score, answered, _user(rng, plan)))
    return found


def _answer(
    ctx: _Context, plan: _Plan, kind: SurveyKind, score: int, at: datetime, user: str
) -> SurveyResponse:
    """One survey response."""
    return SurveyResponse(
        id=ctx.next_id("srv"),
        account_id=plan.id,
        kind=kind,
        score=score,
        responded_at=at,
        respondent_id=user,
    )


def _feedback(ctx: _Context) -> list[Feedback]:
    """Labelled feedback, about 50/30/20 positive/neutral/negative overall."""
    rng = ctx.rng
    found = []
    for plan in ctx.plans:
        per_year = 3.0 if plan.tier == "enterprise" else 1.5
        for received in _times(rng, plan.since, plan.until, per_year):
            draw = rng.random()
            if draw < 0.35 + 0.3 * plan.mood:
                sentiment = Sentiment.POSITIVE
            elif draw < 0.7 + 0.2 * plan.mood:
                sentiment = Sentiment.NEUTRAL
            else:
                sentiment = Sentiment.NEGATIVE
            found.append(
                Feedback(
                    id=ctx.next_id("fb"),
                    account_id=plan.id,
                    received_at=received,
                    sentiment=sentiment,
                    channel=rng.choice(_FEEDBACK_CHANNELS),
                    text=rng.choice(_FEEDBACK_TEXT[sentiment]),
                )
            )
    return found


# -- the advocacy programme ---------------------------------------------------------------------


def _advocates(ctx: _Context) -> list[Advocate]:
    """Contacts enrolled in the programme at about a fifth of accounts; some opt out later.

    The first contact enrols within about eight months of the account's first month, the others
    one to thirteen months apart, so the pool grows with the customer base rather than bunching
    up just before ``as_of``.
    """
    rng = ctx.rng
    found = []
    for plan in ctx.plans:
        chance = 0.08 + 0.25 * plan.mood + (0.08 if plan.tier == "enterprise" else 0.0)
        enrolled = plan.since + 30 * _DAY + _days(rng, 0, 240)
        if rng.random() >= chance:
            continue
        for _ in range(rng.randint(1, plan.users)):
            if enrolled > plan.until:
                break
            left = _later(rng, enrolled, plan.until, (30, 720)) if rng.random() < 0.15 else None
            advocate = Advocate(
                id=ctx.next_id("adv"), account_id=plan.id, enrolled_at=enrolled, opted_out_at=left
            )
            plan.advocates.append(advocate)
            found.append(advocate)
            enrolled += _days(rng, 30, 400)
    return found


def _later(rng: random.Random, start: datetime, until: datetime, days: tuple[int, int]) -> datetime | None:
    """An instant ``days`` after ``start``, or None when it would fall after ``until``."""
    later = start + _days(rng, *days)
    return later if later <= until else None


def _asks(ctx: _Context) -> list[Ask]:
    """Asks to enrolled advocates (some over-asked) and account-level requests for warm intros."""
    rng = ctx.rng
    found: list[Ask] = []
    for plan in ctx.plans:
        for advocate in plan.advocates:
            last = advocate.opted_out_at or plan.until
            for asked in _times(rng, advocate.enrolled_at, last, 3.0):
                asset = _pick(rng, _ASSETS)
                found.append(_ask(ctx, plan, asked, asset, advocate.id))
                # A second high-effort ask weeks later breaks the tap policy, as real teams do.
                again = asked + _days(rng, 15, 80)
                if asset in _HIGH_EFFORT and rng.random() < 0.15 and again <= last:
                    found.append(_ask(ctx, plan, again, rng.choice(_HIGH_EFFORT), advocate.id))
        for asked in _times(rng, plan.since, plan.until, 0.25):
            found.append(_ask(ctx, plan, asked, Asset.REFERRAL, None))
    return found


def _ask(ctx: _Context, plan: _Plan, at: datetime, asset: Asset, advocate: str | None) -> Ask:
    """One ask; the answer to a recent one is still pending."""
    rng = ctx.rng
    accepted = rng.random() < 0.35 + 0.45 * plan.mood
    pending = at > ctx.as_of - 14 * _DAY
    return Ask(
        id=ctx.next_id("ask"),
        account_id=plan.id,
        asked_at=at,
        asset=asset,
        advocate_id=advocate,
        accepted=None if pending else accepted,
    )


def _actions(ctx: _Context, asks: Sequence[Ask]) -> list[AdvocacyAction]:
    """Assets delivered after accepted asks, and community contributions nobody asked for."""
    rng = ctx.rng
    found = []
    for ask in asks:
        plan = ctx.by_id[ask.account_id]
        completed = ask.asked_at + _days(rng, *_DELIVERY_DAYS[ask.asset])
        if ask.accepted and rng.random() < 0.85 and completed <= plan.until:
            found.append(_action(ctx, plan, ask.asset, completed, ask.advocate_id))
    for plan in ctx.plans:
        for completed in _times(rng, plan.since, plan.until, 4 * max(0.0, plan.mood - 0.55)):
            found.append(_action(ctx, plan, Asset.COMMUNITY, completed, None))
    return found


def _action(ctx: _Context, plan: _Plan, asset: Asset, at: datetime, advocate: str | None) -> AdvocacyAction:
    """One delivered asset."""
    return AdvocacyAction(
        id=ctx.next_id("act"),
        account_id=plan.id,
        asset=asset,
        completed_at=at,
        advocate_id=advocate,
    )


def _reference_requests(ctx: _Context, actions: list[AdvocacyAction]) -> list[ReferenceRequest]:
    """Sales' requests for references; a filled one adds the reference action to ``actions``."""
    rng = ctx.rng
    pool = _Pool.of([p for p in ctx.plans if p.advocates])
    found = []
    for _ in range(len(ctx.plans) * 7 // 20 + 1):
        requested = _growing(rng, ctx.start + 60 * _DAY, ctx.as_of)
        filled = requested + _days(rng, 2, 40)
        wanted = {"industry": rng.choice(_INDUSTRIES), "region": _pick(rng, _REGIONS)}
        willing = rng.random() < 0.8 and filled <= ctx.as_of
        filler = pool.pick(rng, filled) if willing else None
        if filler is not None:
            actions.append(_action(ctx, filler, Asset.REFERENCE, filled, None))
        found.append(
            ReferenceRequest(
                id=ctx.next_id("rr"),
                requested_at=requested,
                filled_at=None if filler is None else filled,
                account_id=None if filler is None else filler.id,
                attributes=wanted,
            )
        )
    return found


def _reviews(ctx: _Context, actions: Sequence[AdvocacyAction]) -> list[Review]:
    """Reviews: one per delivered review asset, organic ones, and some anonymous ones."""
    rng = ctx.rng
    found = [
        _review(ctx, action.completed_at, ctx.by_id[action.account_id])
        for action in actions
        if action.asset is Asset.REVIEW
    ]
    for plan in ctx.plans:
        for published in _times(rng, plan.since, plan.until, 0.05 + 0.15 * plan.mood):
            found.append(_review(ctx, published, plan))
    for _ in range(len(ctx.plans) // 8):
        found.append(_review(ctx, _growing(rng, ctx.start, ctx.as_of), None))
    return found


def _review(ctx: _Context, at: datetime, plan: _Plan | None) -> Review:
    """One review, mostly 4 or 5 stars, happier accounts rating higher."""
    rng = ctx.rng
    draw = rng.random() - 0.25 * ((plan.mood if plan else 0.5) - 0.5)
    rating = 1.0
    for threshold, stars in ((0.45, 5.0), (0.8, 4.0), (0.92, 3.0), (0.97, 2.0)):
        if draw < threshold:
            rating = stars
            break
    return Review(
        id=ctx.next_id("rev"),
        published_at=at,
        platform=_pick(rng, _PLATFORMS),
        rating=rating,
        account_id=None if plan is None else plan.id,
    )


def _mentions(ctx: _Context) -> list[Mention]:
    """Public mentions of the brand, mostly organic, growing with the company."""
    rng = ctx.rng
    found = []
    for _ in range(len(ctx.plans) * 6 // 5):
        author = _pick(rng, _AUTHORS)
        draw = rng.random()
        sentiment = Sentiment.POSITIVE if draw < 0.55 else Sentiment.NEUTRAL
        if draw >= 0.85:
            sentiment = Sentiment.NEGATIVE
        paid = author in ("influencer", "media") and rng.random() < 0.3
        found.append(
            Mention(
                id=ctx.next_id("men"),
                published_at=_growing(rng, ctx.start, ctx.as_of),
                author_kind=author,
                sentiment=sentiment,
                organic=not paid,
                platform=rng.choice(_MENTION_PLATFORMS),
                attributes={"region": _pick(rng, _REGIONS)},
            )
        )
    return found


def _social_shares(ctx: _Context) -> list[SocialShare]:
    """Shares by the users of the accounts that share at all (the happier ones, mostly)."""
    rng = ctx.rng
    found = []
    for plan in ctx.plans:
        if rng.random() >= 0.25 + 0.35 * plan.mood:
            continue
        for shared in _times(rng, plan.since, plan.until, 0.5 + 2 * plan.mood):
            found.append(
                SocialShare(
                    id=ctx.next_id("sh"),
                    account_id=plan.id,
                    shared_at=shared,
                    channel=rng.choice(_SHARE_CHANNELS),
                    user_id=_user(rng, plan),
                )
            )
    return found


def _community_members(ctx: _Context) -> list[CommunityMember]:
    """Community members: users of about half the accounts, plus people without an account."""
    rng = ctx.rng
    found = []
    for plan in ctx.plans:
        earliest = plan.since + 7 * _DAY
        if rng.random() < 0.45 or earliest > plan.until:
            continue
        for _ in range(rng.randint(1, plan.users)):
            # Users join within about a year and a half of the account, and some drift away.
            joined = earliest + _days(rng, 0, 540)
            if joined > plan.until:
                continue
            left = _later(rng, joined, plan.until, (30, 540)) if rng.random() < 0.2 else None
            if left is None and plan.churned_at is not None and rng.random() < 0.6:
                left = _between(rng, plan.churned_at, min(ctx.as_of, plan.churned_at + 60 * _DAY))
            found.append(_member(ctx, joined, left, plan.id))
    for _ in range(len(ctx.plans) // 4):
        joined = _growing(rng, ctx.start, ctx.as_of)
        left = _later(rng, joined, ctx.as_of, (30, 540)) if rng.random() < 0.25 else None
        found.append(_member(ctx, joined, left, None))
    return found


def _member(
    ctx: _Context, joined: datetime, left: datetime | None, account_id: str | None
) -> CommunityMember:
    """One community member."""
    return CommunityMember(id=ctx.next_id("cm"), joined_at=joined, left_at=left, account_id=account_id)


def _qbrs(ctx: _Context) -> list[QBR]:
    """Quarterly business reviews of enterprise and mid accounts; a quarter show referral intent."""
    rng = ctx.rng
    found = []
    for plan in ctx.plans:
        if plan.tier == "smb":
            continue
        first = plan.since + _days(rng, 80, 100)
        quarter = 0
        while (due := first + relativedelta(months=3 * quarter)) <= plan.until:
            quarter += 1
            held = due + rng.randint(-7, 7) * _DAY
            if held > plan.until or rng.random() < 0.1:
                continue
            found.append(
                QBR(
                    id=ctx.next_id("qbr"),
                    account_id=plan.id,
                    held_at=held,
                    referral_intent=rng.random() < 0.08 + 0.34 * plan.mood,
                )
            )
    return found


def _opportunities(ctx: _Context) -> list[Opportunity]:
    """Opportunities by source; referred deals win more often; some are touched by advocacy."""
    rng = ctx.rng
    found = []
    for _ in range(len(ctx.plans) * 3 // 2):
        tier, region, source = _pick(rng, _TIERS), _pick(rng, _REGIONS), _pick(rng, _SOURCES)
        low, high = _ARR_RANGE[tier]
        created = _growing(rng, ctx.start, ctx.as_of)
        closed = created + _days(rng, 14, 180)
        won_chance = 0.38 if source == "referral" else 0.24
        draw = rng.random()
        # Deals whose close date has not come yet are still open, whatever their fate.
        settled = draw < won_chance + 0.36 and closed <= ctx.as_of
        influences = rng.sample(_INFLUENCES, rng.randint(1, 2)) if rng.random() < 0.3 else []
        found.append(
            Opportunity(
                id=ctx.next_id("opp"),
                created_at=created,
                amount=_money(rng.randint(low, high) * 100),
                currency="EUR" if region == "EMEA" and rng.random() < 1 / 3 else ctx.currency,
                source=source,
                closed_at=closed if settled else None,
                won=draw < won_chance if settled else None,
                influences=tuple(influences),
                attributes={"region": region, "tier": tier},
            )
        )
    return found


def _program_costs(ctx: _Context, referrals: Sequence[Referral]) -> list[ProgramCost]:
    """Monthly referral costs (a fee and a reward per conversion), quarterly advocacy costs."""
    rng = ctx.rng
    conversions: dict[tuple[int, int], int] = {}
    for referral in referrals:
        if referral.converted_at is not None:
            month = (referral.converted_at.year, referral.converted_at.month)
            conversions[month] = conversions.get(month, 0) + 1
    fee = 500 + 5 * len(ctx.plans)
    found = []
    first = ctx.start.replace(day=1)
    while first <= ctx.as_of:
        rewards = 250 * conversions.get((first.year, first.month), 0)
        found.append(_cost(ctx, first, (fee + rewards) * 100, "referral"))
        if first.month % 3 == 1:
            found.append(_cost(ctx, first, (fee * 2 + rng.randint(0, 2_000)) * 100, "advocacy"))
        first += relativedelta(months=1)
    return found


def _cost(ctx: _Context, at: datetime, cents: int, program: str) -> ProgramCost:
    """One programme cost in the data set's currency."""
    return ProgramCost(
        id=ctx.next_id("cost"),
        incurred_at=at,
        amount=_money(cents),
        currency=ctx.currency,
        program=program,
    )


def _product_changes(ctx: _Context) -> list[ProductChange]:
    """Three to five releases spread over the history, all before the release with a drop."""
    rng = ctx.rng
    count = rng.randint(3, 5)
    releases = rng.sample(_RELEASES, count)
    span = (ctx.as_of - ctx.start) // _DAY
    days = sorted(rng.sample(range(90, span - _DROP_DAYS_BEFORE_AS_OF - 30), count))
    return [
        ProductChange(
            id=ctx.next_id("pc"),
            released_at=ctx.start + day * _DAY + 14 * 3600 * _SECOND,
            name=name,
            description=description,
        )
        for day, (name, description) in zip(days, releases, strict=True)
    ]


_DROP_RELEASE: Final = (
    "Usage-based billing",
    "Seat bundles replaced by metered usage; small-business plans pay per active user.",
)
_DROP_DAYS_BEFORE_AS_OF: Final = 100
_DROP_WINDOW_DAYS: Final = 90
_DROP_TIER: Final = "smb"
_DROP_KEEP: Final = 0.2


def _release_with_a_drop(ctx: _Context) -> ProductChange:
    """A release four months before ``as_of`` that small-business customers take badly."""
    released = (ctx.as_of - _DROP_DAYS_BEFORE_AS_OF * _DAY).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    name, description = _DROP_RELEASE
    return ProductChange(id=ctx.next_id("pc"), released_at=released, name=name, description=description)


def _after_the_drop(
    ctx: _Context,
    change: ProductChange,
    seed: int,
    referrals: list[Referral],
    actions: list[AdvocacyAction],
    shares: list[SocialShare],
) -> tuple[list[Referral], list[AdvocacyAction], list[SocialShare]]:
    """Thin small-business advocacy in the 90 days after ``change``: about a fifth of it remains.

    Drawn from a stream of its own, so every other record of the sample stays as it was.
    Referrals that brought in a customer are kept, so who was acquired through a referral does
    not change.
    """
    rng = random.Random(f"drop-{seed}")
    start, end = change.released_at, change.released_at + _DROP_WINDOW_DAYS * _DAY

    def kept(account_id: str, at: datetime) -> bool:
        if ctx.by_id[account_id].tier != _DROP_TIER or not start <= at < end:
            return True
        return rng.random() < _DROP_KEEP

    return (
        [r for r in referrals if r.converted_account_id is not None or kept(r.account_id, r.invited_at)],
        [a for a in actions if kept(a.account_id, a.completed_at)],
        [x for x in shares if kept(x.account_id, x.shared_at)],
    )


# -- entry point --------------------------------------------------------------------------------


def _check_arguments(n_accounts: object, seed: object, as_of: object, currency: object) -> None:
    """Refuse arguments the generator cannot honour, in the library's error wording."""
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, int) or n_accounts < 0:
        raise ParameterError("n_accounts", "generate", "a non-negative integer", n_accounts)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError("seed", "generate", "an integer", seed)
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ParameterError("as_of", "generate", "a timezone-aware datetime", as_of)
    if not check_currency(currency):
        raise ParameterError("currency", "generate", "an ISO 4217 code such as 'USD'", currency)


def generate(
    n_accounts: int = 400,
    *,
    seed: int = 7,
    as_of: datetime = DEFAULT_AS_OF,
    currency: str = "USD",
    planted_drop: bool = True,
) -> AdvocacyData:
    """A synthetic, realistic data set of a B2B SaaS company, the same for the same arguments.

    The history starts three years before ``as_of``, with more customers joining each year.
    Accounts are 15% enterprise, 35% mid and 50% small business; about a sixth were acquired
    through a referral, and each such account is claimed by at most one referral record. They
    sign yearly contracts (a few enterprise ones run for two or three years) that renew back to
    back, with expansions and contractions, until the account churns at a contract's end (about
    8%, 12% and 20% a year by tier). About a tenth of accounts pay in EUR, so money metrics need
    an FX rate. While customers, accounts answer NPS twice a year (NPS around +20 to +40, higher
    for larger tiers) and CSAT after support (about 80% satisfied); about three in ten send
    referrals, of which about a fifth convert; a fifth enrol advocates who are asked for assets
    (some too often for the default tap policy) and deliver some. Reference requests (about 75%
    filled), reviews, mentions, social shares, community members, QBRs, opportunities,
    monthly programme costs and a few product releases complete the set.

    Args:
        n_accounts: how many accounts; 0 gives an empty data set.
        seed: the seed of the one ``random.Random`` every draw comes from.
        as_of: the extraction instant (timezone-aware); nothing is stamped after it, though
            contracts running at ``as_of`` end after it.
        currency: the currency of most contracts, of opportunities and of costs.
        planted_drop: whether small-business advocacy thins to about a fifth in the 90 days after
            the "Usage-based billing" release, 100 days before ``as_of`` (the sample's one planted
            effect). With False the release is still there but changes nothing, and every other
            record is the same: a data set on which an analysis should find no drop.

    Returns:
        The validated data set, extracted at ``as_of`` (in UTC).

    Raises:
        ParameterError: ``n_accounts`` is not a non-negative integer, ``seed`` not an integer,
            ``as_of`` not timezone-aware, ``currency`` not a three-letter ISO 4217 code, or
            ``planted_drop`` not a bool.

    Examples:
        >>> data = generate(50, seed=1)
        >>> len(data.accounts), len({c.account_id for c in data.contracts})
        (50, 50)
        >>> generate(50, seed=1).referrals == data.referrals
        True
        >>> len(generate(0).accounts)
        0
    """
    _check_arguments(n_accounts, seed, as_of, currency)
    if not isinstance(planted_drop, bool):
        raise ParameterError("planted_drop", "generate", "True or False", planted_drop)
    as_of = as_of.astimezone(UTC)
    if n_accounts == 0:
        empty: dict[str, Any] = dict.fromkeys(COLLECTIONS, ())
        return AdvocacyData.from_records(as_of=as_of, **empty)
    start = (as_of - _HISTORY_DAYS * _DAY).replace(hour=0, minute=0, second=0, microsecond=0)
    ctx = _Context(rng=random.Random(seed), as_of=as_of, start=start, currency=currency)
    ctx.plans = _plans(ctx, n_accounts)
    ctx.by_id = {plan.id: plan for plan in ctx.plans}
    # The order of the steps is part of the output: each draws from the one stream in turn.
    contracts = _contracts(ctx)
    accounts = _accounts(ctx)
    referrals = _referrals(ctx)
    prompts = _referral_prompts(ctx, referrals)
    surveys = _surveys(ctx)
    feedback = _feedback(ctx)
    advocates = _advocates(ctx)
    asks = _asks(ctx)
    actions = _actions(ctx, asks)
    reference_requests = _reference_requests(ctx, actions)
    reviews = _reviews(ctx, actions)
    mentions = _mentions(ctx)
    shares = _social_shares(ctx)
    members = _community_members(ctx)
    qbrs = _qbrs(ctx)
    opportunities = _opportunities(ctx)
    costs = _program_costs(ctx, referrals)
    changes = _product_changes(ctx)
    dropped = _release_with_a_drop(ctx)
    if planted_drop:
        referrals, actions, shares = _after_the_drop(ctx, dropped, seed, referrals, actions, shares)
    return AdvocacyData.from_records(
        accounts=accounts,
        contracts=contracts,
        referrals=referrals,
        referral_prompts=prompts,
        surveys=surveys,
        feedback=feedback,
        advocates=advocates,
        asks=asks,
        actions=actions,
        reference_requests=reference_requests,
        reviews=reviews,
        mentions=mentions,
        social_shares=shares,
        community_members=members,
        qbrs=qbrs,
        opportunities=opportunities,
        program_costs=costs,
        product_changes=[*changes, dropped],
        as_of=as_of,
    )
