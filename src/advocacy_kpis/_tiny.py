"""A hand-built, six-account data set whose every metric value is worked out by hand.

It is small enough to follow with a pencil; the docstrings' examples use it. The arithmetic
behind each value is in ``docs/sample-data.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from advocacy_kpis.data import AdvocacyData
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


def _t(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


TINY_AS_OF = _t(2026, 10, 15)


def tiny_accounts() -> list[Account]:
    """The six accounts of `tiny`."""
    return [
        Account(id="a1", customer_since=_t(2024, 3, 1), activated_at=_t(2024, 3, 15),
                onboarded_at=_t(2024, 4, 1), tier="enterprise", region="EMEA", industry="software",
                icp=True, acquisition_channel="outbound", name="Northwind"),
        Account(id="a2", customer_since=_t(2025, 2, 1), activated_at=_t(2025, 2, 10),
                onboarded_at=_t(2025, 3, 1), tier="enterprise", region="NA", industry="finance",
                icp=True, acquisition_channel="inbound", name="Globex"),
        Account(id="a3", customer_since=_t(2025, 6, 1), tier="smb", region="EMEA",
                industry="retail", icp=False, acquisition_channel="inbound", name="Initech"),
        Account(id="a4", customer_since=_t(2024, 9, 1), churned_at=_t(2026, 8, 15), tier="smb",
                region="NA", industry="retail", icp=False, acquisition_channel="outbound", name="Umbrella"),
        Account(id="a5", customer_since=_t(2026, 7, 20), tier="mid", region="EMEA",
                industry="software", icp=True, acquisition_channel="referral", name="Hooli"),
        Account(id="a6", customer_since=_t(2026, 9, 1), tier="smb", region="NA",
                industry="software", icp=False, acquisition_channel="inbound", name="Vandelay"),
    ]  # fmt: skip


def tiny_contracts() -> list[Contract]:
    """Contracts of `tiny`: a3 pays in EUR, so money metrics on it need an FX rate."""
    usd, eur = "USD", "EUR"
    return [
        Contract(id="c1", account_id="a1", start=_t(2024, 3, 1), end=_t(2027, 3, 1), arr=Decimal(120000), currency=usd),
        Contract(id="c2", account_id="a2", start=_t(2025, 2, 1), end=_t(2026, 2, 1), arr=Decimal(60000), currency=usd),
        Contract(id="c3", account_id="a2", start=_t(2026, 2, 1), end=_t(2027, 2, 1), arr=Decimal(66000), currency=usd, renewal_of="c2"),
        Contract(id="c4", account_id="a3", start=_t(2025, 6, 1), end=_t(2026, 6, 1), arr=Decimal(12000), currency=eur),
        Contract(id="c5", account_id="a3", start=_t(2026, 6, 1), end=_t(2027, 6, 1), arr=Decimal(12000), currency=eur, renewal_of="c4"),
        Contract(id="c6", account_id="a4", start=_t(2024, 9, 1), end=_t(2025, 9, 1), arr=Decimal(10000), currency=usd),
        Contract(id="c7", account_id="a4", start=_t(2025, 9, 1), end=_t(2026, 9, 1), arr=Decimal(10000), currency=usd, renewal_of="c6"),
        Contract(id="c8", account_id="a5", start=_t(2026, 7, 20), end=_t(2028, 7, 20), arr=Decimal(24000), currency=usd),
        Contract(id="c9", account_id="a6", start=_t(2026, 9, 1), end=_t(2027, 9, 1), arr=Decimal(8000), currency=usd),
    ]  # fmt: skip


def tiny_referrals() -> list[Referral]:
    """Referrals of `tiny`."""
    return [
        Referral(id="r1", account_id="a2", invited_at=_t(2025, 5, 11), personalized=False),
        Referral(id="r2", account_id="a3", invited_at=_t(2025, 10, 29), personalized=True),
        Referral(id="r3", account_id="a1", invited_at=_t(2026, 5, 1), converted_at=_t(2026, 7, 20),
                 converted_account_id="a5", personalized=True),
        Referral(id="r4", account_id="a2", invited_at=_t(2026, 6, 10), personalized=False),
        Referral(id="r5", account_id="a3", invited_at=_t(2026, 8, 20), personalized=False),
    ]  # fmt: skip


def tiny_surveys() -> list[SurveyResponse]:
    """Survey answers of `tiny`; respondent u3 answers NPS twice in 2026Q3."""
    nps, csat = SurveyKind.NPS, SurveyKind.CSAT
    return [
        SurveyResponse(id="s1", account_id="a1", kind=nps, score=10, responded_at=_t(2026, 7, 5), respondent_id="u1"),
        SurveyResponse(id="s2", account_id="a1", kind=nps, score=9, responded_at=_t(2026, 8, 5), respondent_id="u2"),
        SurveyResponse(id="s3", account_id="a2", kind=nps, score=8, responded_at=_t(2026, 7, 10)),
        SurveyResponse(id="s4", account_id="a3", kind=nps, score=3, responded_at=_t(2026, 7, 12), respondent_id="u3"),
        SurveyResponse(id="s5", account_id="a3", kind=nps, score=5, responded_at=_t(2026, 9, 1), respondent_id="u3"),
        SurveyResponse(id="s6", account_id="a1", kind=nps, score=9, responded_at=_t(2026, 4, 20), respondent_id="u1"),
        SurveyResponse(id="s7", account_id="a2", kind=nps, score=6, responded_at=_t(2026, 5, 2)),
        SurveyResponse(id="s8", account_id="a1", kind=csat, score=5, responded_at=_t(2026, 7, 6), respondent_id="u1"),
        SurveyResponse(id="s9", account_id="a2", kind=csat, score=4, responded_at=_t(2026, 8, 1)),
        SurveyResponse(id="s10", account_id="a3", kind=csat, score=2, responded_at=_t(2026, 8, 2)),
        SurveyResponse(id="s11", account_id="a6", kind=csat, score=4, responded_at=_t(2026, 9, 20)),
        *tiny_loyalty_answers(),
    ]  # fmt: skip


def tiny_loyalty_answers() -> list[SurveyResponse]:
    """Repurchase and upsell answers of `tiny`: u1 and a2 answer all three loyalty questions in 2026Q3."""
    repurchase, upsell = SurveyKind.REPURCHASE, SurveyKind.UPSELL
    return [
        SurveyResponse(id="s12", account_id="a1", kind=repurchase, score=9, responded_at=_t(2026, 7, 5), respondent_id="u1"),
        SurveyResponse(id="s13", account_id="a1", kind=upsell, score=8, responded_at=_t(2026, 7, 5), respondent_id="u1"),
        SurveyResponse(id="s14", account_id="a2", kind=repurchase, score=7, responded_at=_t(2026, 7, 10)),
        SurveyResponse(id="s15", account_id="a2", kind=upsell, score=6, responded_at=_t(2026, 7, 10)),
        SurveyResponse(id="s16", account_id="a3", kind=repurchase, score=4, responded_at=_t(2026, 7, 12), respondent_id="u3"),
    ]  # fmt: skip


def tiny_programme() -> dict[str, list[object]]:
    """The advocacy-programme records of `tiny`: prompts, shares, advocates, asks, actions, QBRs, ..."""
    a = Asset
    return {
        "referral_prompts": [
            ReferralPrompt(id="p1", account_id="a2", occurred_at=_t(2026, 7, 3), action=PromptAction.CLICKED_REFER),
            ReferralPrompt(id="p2", account_id="a6", occurred_at=_t(2026, 9, 10), action=PromptAction.COPIED_LINK),
            ReferralPrompt(id="p3", account_id="a1", occurred_at=_t(2026, 4, 2), action=PromptAction.OPENED_PROMPT),
        ],
        "social_shares": [
            SocialShare(id="h1", account_id="a1", shared_at=_t(2026, 7, 8), channel="linkedin"),
            SocialShare(id="h2", account_id="a1", shared_at=_t(2026, 8, 19), channel="linkedin"),
            SocialShare(id="h3", account_id="a5", shared_at=_t(2026, 9, 2), channel="x"),
            SocialShare(id="h4", account_id="a3", shared_at=_t(2026, 5, 5), channel="linkedin"),
        ],
        "advocates": [
            Advocate(id="v1", account_id="a1", enrolled_at=_t(2024, 6, 1)),
            Advocate(id="v2", account_id="a2", enrolled_at=_t(2025, 6, 1)),
            Advocate(id="v3", account_id="a4", enrolled_at=_t(2025, 1, 10), opted_out_at=_t(2026, 3, 1)),
        ],
        "asks": [
            Ask(id="k1", account_id="a1", asked_at=_t(2026, 4, 15), asset=a.CASE_STUDY, advocate_id="v1", accepted=True),
            Ask(id="k2", account_id="a1", asked_at=_t(2026, 6, 1), asset=a.REFERENCE, advocate_id="v1", accepted=True),
            Ask(id="k3", account_id="a2", asked_at=_t(2026, 7, 20), asset=a.REFERRAL, advocate_id="v2"),
            Ask(id="k4", account_id="a5", asked_at=_t(2026, 9, 15), asset=a.REFERRAL),
        ],
        "actions": [
            AdvocacyAction(id="x1", account_id="a1", asset=a.CASE_STUDY, completed_at=_t(2025, 11, 1), advocate_id="v1"),
            AdvocacyAction(id="x2", account_id="a1", asset=a.REFERENCE, completed_at=_t(2026, 8, 10), advocate_id="v1"),
            AdvocacyAction(id="x3", account_id="a2", asset=a.REVIEW, completed_at=_t(2026, 1, 20), advocate_id="v2"),
            AdvocacyAction(id="x4", account_id="a2", asset=a.REVIEW, completed_at=_t(2026, 9, 5), advocate_id="v2"),
            AdvocacyAction(id="x5", account_id="a3", asset=a.COMMUNITY, completed_at=_t(2026, 7, 25)),
        ],
        "qbrs": [
            QBR(id="q1", account_id="a1", held_at=_t(2026, 7, 14), referral_intent=True),
            QBR(id="q2", account_id="a2", held_at=_t(2026, 8, 4), referral_intent=False),
            QBR(id="q3", account_id="a1", held_at=_t(2026, 4, 12), referral_intent=False),
            QBR(id="q4", account_id="a2", held_at=_t(2026, 5, 6), referral_intent=True),
        ],
        "opportunities": [
            Opportunity(id="o1", created_at=_t(2026, 7, 5), amount=Decimal(50000), currency="USD", source="referral",
                        closed_at=_t(2026, 9, 20), won=True, attributes={"region": "EMEA"}),
            Opportunity(id="o2", created_at=_t(2026, 8, 1), amount=Decimal(30000), currency="USD", source="inbound",
                        influences=(a.REFERENCE,), attributes={"region": "NA"}),
            Opportunity(id="o3", created_at=_t(2026, 8, 20), amount=Decimal(20000), currency="USD", source="outbound",
                        closed_at=_t(2026, 9, 30), won=False, attributes={"region": "NA"}),
            Opportunity(id="o4", created_at=_t(2026, 5, 10), amount=Decimal(40000), currency="USD", source="referral",
                        closed_at=_t(2026, 7, 15), won=True, attributes={"region": "EMEA"}),
        ],
        "program_costs": [
            ProgramCost(id="pc1", incurred_at=_t(2026, 7, 1), amount=Decimal(10000), currency="USD", program="referral"),
            ProgramCost(id="pc2", incurred_at=_t(2026, 8, 1), amount=Decimal(5000), currency="USD", program="referral"),
            ProgramCost(id="pc3", incurred_at=_t(2026, 8, 1), amount=Decimal(3000), currency="USD", program="advocacy"),
        ],
        "reviews": [
            Review(id="w1", published_at=_t(2026, 7, 11), platform="G2", rating=5.0, account_id="a1"),
            Review(id="w2", published_at=_t(2026, 9, 5), platform="G2", rating=4.0, account_id="a2"),
            Review(id="w3", published_at=_t(2026, 8, 2), platform="Capterra", rating=4.0),
        ],
        "feedback": [
            Feedback(id="f1", account_id="a1", received_at=_t(2026, 7, 9), sentiment=Sentiment.POSITIVE),
            Feedback(id="f2", account_id="a3", received_at=_t(2026, 8, 12), sentiment=Sentiment.NEGATIVE),
            Feedback(id="f3", account_id="a2", received_at=_t(2026, 9, 1), sentiment=Sentiment.NEUTRAL),
            Feedback(id="f4", account_id="a4", received_at=_t(2026, 6, 5), sentiment=Sentiment.NEGATIVE),
        ],
        "mentions": [
            Mention(id="m1", published_at=_t(2026, 7, 21), author_kind="influencer", sentiment=Sentiment.POSITIVE,
                    attributes={"region": "EMEA"}),
            Mention(id="m2", published_at=_t(2026, 8, 30), author_kind="customer", sentiment=Sentiment.NEGATIVE,
                    attributes={"region": "NA"}),
        ],
        "community_members": [
            CommunityMember(id="cm1", joined_at=_t(2025, 3, 1), account_id="a1"),
            CommunityMember(id="cm2", joined_at=_t(2026, 8, 1), account_id="a3"),
            CommunityMember(id="cm3", joined_at=_t(2026, 2, 1), left_at=_t(2026, 9, 1)),
        ],
        "reference_requests": [
            ReferenceRequest(id="rq1", requested_at=_t(2026, 7, 2), filled_at=_t(2026, 7, 9), account_id="a1",
                             attributes={"industry": "software", "region": "EMEA"}),
            ReferenceRequest(id="rq2", requested_at=_t(2026, 9, 20), attributes={"industry": "finance", "region": "NA"}),
        ],
        "product_changes": [ProductChange(id="pr1", released_at=_t(2026, 6, 15), name="New billing")],
    }  # fmt: skip


def tiny() -> AdvocacyData:
    """The hand-built six-account data set, extracted at 2026-10-15 UTC.

    Examples:
        >>> data = tiny()
        >>> len(data.accounts), data.as_of.date()
        (6, datetime.date(2026, 10, 15))
    """
    return AdvocacyData.from_records(
        accounts=tiny_accounts(),
        contracts=tiny_contracts(),
        referrals=tiny_referrals(),
        surveys=tiny_surveys(),
        as_of=TINY_AS_OF,
        **tiny_programme(),  # type: ignore[arg-type]
    )
