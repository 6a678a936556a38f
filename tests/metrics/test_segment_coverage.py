"""Records with no value for a segment's attribute are in no segment on it, and results say so.

Without the warning, figures over ``plan=pro`` and ``plan=basic`` would silently fail to add up
to the figure over everyone whenever some accounts have no plan.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import assume, given

from advocacy_kpis import Account, AdvocacyData, Opportunity, RevenueBasis, Segment, Window, metrics
from tests.strategies import datasets, in_window, windows

Q3 = Window.quarter(2026, 3)
USD = RevenueBasis.arr("USD")
PLANS = ("pro", "basic")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_accounts_without_the_attribute_are_counted_in_a_warning() -> None:
    accounts = [
        Account(id="a1", customer_since=at(7, 1), tier="smb"),
        Account(id="a2", customer_since=at(7, 2), tier="enterprise"),
        Account(id="a3", customer_since=at(7, 3)),  # no tier
    ]
    data = AdvocacyData.from_records(accounts=accounts, as_of=at(10, 1))
    smb = metrics.client_referral_rate(data, window=Q3, segment=Segment.where(tier="smb"))
    assert smb.denominator == 1
    assert any(w.startswith("1 accounts have no value for 'tier'") for w in smb.warnings), smb.warnings
    everyone = metrics.client_referral_rate(data, window=Q3)
    assert everyone.denominator == 3
    assert not any("no value for" in w for w in everyone.warnings)
    region = metrics.client_referral_rate(data, window=Q3, segment=Segment.where(region="EMEA"))
    assert any(w.startswith("3 accounts have no value for 'region'") for w in region.warnings)


def test_opportunities_without_the_attribute_are_counted_in_a_warning() -> None:
    accounts = [Account(id="a1", customer_since=at(1, 1), tier="smb")]
    opportunities = [
        Opportunity(
            id="o1",
            created_at=at(7, 5),
            amount=Decimal(100),
            currency="USD",
            source="inbound",
            account_id="a1",
        ),
        Opportunity(
            id="o2",
            created_at=at(7, 6),
            amount=Decimal(200),
            currency="USD",
            source="inbound",
            attributes={"tier": "smb"},
        ),
        Opportunity(id="o3", created_at=at(7, 7), amount=Decimal(400), currency="USD", source="referral"),
        Opportunity(
            id="o4", created_at=at(5, 7), amount=Decimal(800), currency="USD", source="inbound"
        ),  # before Q3
    ]
    data = AdvocacyData.from_records(accounts=accounts, opportunities=opportunities, as_of=at(10, 1))
    smb = metrics.referral_pipeline_contribution_rate(
        data, window=Q3, segment=Segment.where(tier="smb"), basis=USD
    )
    assert smb.denominator == Decimal(300)
    notes = [w for w in smb.warnings if "no value for 'tier'" in w]
    assert len(notes) == 1 and notes[0].startswith("1 opportunities created in the window"), smb.warnings
    everyone = metrics.referral_pipeline_contribution_rate(data, window=Q3, basis=USD)
    assert everyone.denominator == Decimal(700)
    assert not any("no value for" in w for w in everyone.warnings)


@given(datasets(), windows())
def test_parts_plus_the_accounts_without_a_value_make_the_whole(data: AdvocacyData, window: Window) -> None:
    assume(any("plan" in a.attributes for a in data.accounts))  # else the segment is refused
    whole = metrics.client_referral_rate(data, window=window)
    parts = [metrics.client_referral_rate(data, window=window, segment=Segment.where(plan=p)) for p in PLANS]
    new = [a for a in data.accounts if in_window(a.customer_since, window)]
    without = [a for a in new if "plan" not in a.attributes]
    assert sum(p.denominator or 0 for p in parts) + len(without) == (whole.denominator or 0)
    lacking = sum(1 for a in data.accounts if "plan" not in a.attributes)
    for part in parts:
        noted = [w for w in part.warnings if "no value for 'plan'" in w]
        if lacking:
            assert len(noted) == 1 and noted[0].startswith(f"{lacking} accounts have no value"), noted
        else:
            assert not noted
