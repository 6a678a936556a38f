"""Record validators: every bad value is refused with the record, the field and the value named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from advocacy_kpis import (
    QBR,
    Account,
    Advocate,
    Ask,
    CommunityMember,
    Contract,
    Feedback,
    InvalidRecordError,
    Mention,
    Opportunity,
    ReferenceRequest,
    Referral,
    ReferralPrompt,
    Review,
    SurveyResponse,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)
NAIVE = datetime(2026, 1, 1)


def error_of(factory: Any, **kwargs: Any) -> InvalidRecordError:
    with pytest.raises(InvalidRecordError) as caught:
        factory(**kwargs)
    return caught.value


def assert_names(error: InvalidRecordError, record: str, field: str, value: str) -> None:
    message = str(error)
    assert record in message, message
    assert f"'{field}'" in message, message
    assert value in message, message
    assert error.field == field


def test_naive_datetime_names_record_field_and_value() -> None:
    error = error_of(Account, id="acme", customer_since=NAIVE)
    assert_names(error, "Account 'acme'", "customer_since", "datetime.datetime(2026, 1, 1, 0, 0)")
    assert "timezone-aware" in str(error)


def test_a_bare_date_is_refused_with_the_way_to_an_instant() -> None:
    from datetime import date

    error = error_of(Account, id="acme", customer_since=date(2026, 1, 1))
    assert_names(error, "Account 'acme'", "customer_since", "datetime.date(2026, 1, 1)")
    assert "Calendar.instant" in str(error)


def test_nps_score_of_eleven_is_refused() -> None:
    error = error_of(SurveyResponse, id="s-9", account_id="a", kind="nps", score=11, responded_at=T0)
    assert_names(error, "SurveyResponse 's-9'", "score", "11")
    assert "0 to 10" in str(error)


def test_csat_of_zero_is_refused() -> None:
    error = error_of(SurveyResponse, id="s-1", account_id="a", kind="csat", score=0, responded_at=T0)
    assert_names(error, "SurveyResponse 's-1'", "score", "0")
    assert "1 to 5" in str(error)


def test_float_and_bool_scores_are_refused() -> None:
    assert (
        error_of(SurveyResponse, id="s", account_id="a", kind="nps", score=9.0, responded_at=T0).field
        == "score"
    )
    assert (
        error_of(SurveyResponse, id="s", account_id="a", kind="nps", score=True, responded_at=T0).field
        == "score"
    )


def test_converted_before_invited_is_refused() -> None:
    error = error_of(Referral, id="r-3", account_id="a", invited_at=T1, converted_at=T0)
    assert_names(error, "Referral 'r-3'", "converted_at", "2026, 1, 1")
    assert "at or after invited_at" in str(error)


def test_converted_account_needs_a_conversion_time() -> None:
    assert (
        error_of(Referral, id="r", account_id="a", invited_at=T0, converted_account_id="b").field
        == "converted_at"
    )


def test_contract_end_must_follow_start() -> None:
    error = error_of(Contract, id="c-1", account_id="a", start=T1, end=T1, arr=Decimal(1), currency="USD")
    assert_names(error, "Contract 'c-1'", "end", "2026, 2, 1")


def test_money_must_be_decimal_and_currency_iso() -> None:
    assert (
        error_of(Contract, id="c", account_id="a", start=T0, end=T1, arr=10.5, currency="USD").field == "arr"
    )
    assert (
        error_of(Contract, id="c", account_id="a", start=T0, end=T1, arr=Decimal(-1), currency="USD").field
        == "arr"
    )
    error = error_of(Contract, id="c", account_id="a", start=T0, end=T1, arr=Decimal(1), currency="usd")
    assert_names(error, "Contract 'c'", "currency", "'usd'")


def test_unknown_enum_value_lists_the_allowed_ones() -> None:
    error = error_of(SurveyResponse, id="s", account_id="a", kind="ces", score=3, responded_at=T0)
    assert_names(error, "SurveyResponse 's'", "kind", "'ces'")
    assert "'nps'" in str(error) and "'csat'" in str(error)
    assert error_of(ReferralPrompt, id="p", account_id="a", occurred_at=T0, action="shared").field == "action"
    assert error_of(Feedback, id="f", account_id="a", received_at=T0, sentiment="meh").field == "sentiment"
    assert error_of(Ask, id="k", account_id="a", asked_at=T0, asset="podcast").field == "asset"


@pytest.mark.parametrize(
    ("factory", "kwargs", "field"),
    [
        (Account, {"id": "a", "customer_since": T1, "churned_at": T1}, "churned_at"),
        (Account, {"id": "a", "customer_since": T1, "onboarded_at": T0}, "onboarded_at"),
        (
            Advocate,
            {"id": "v", "account_id": "a", "enrolled_at": T1, "opted_out_at": T0},
            "opted_out_at",
        ),
        (ReferenceRequest, {"id": "q", "requested_at": T1, "filled_at": T0}, "filled_at"),
        (CommunityMember, {"id": "m", "joined_at": T1, "left_at": T0}, "left_at"),
        (Review, {"id": "w", "published_at": T0, "platform": "G2", "rating": 6}, "rating"),
        (Review, {"id": "w", "published_at": T0, "platform": ""}, "platform"),
        (Mention, {"id": "n", "published_at": T0, "author_kind": "bot"}, "author_kind"),
        (
            Opportunity,
            {
                "id": "o",
                "created_at": T0,
                "amount": Decimal(1),
                "currency": "USD",
                "source": "x",
                "won": True,
            },
            "closed_at",
        ),
        (
            Opportunity,
            {
                "id": "o",
                "created_at": T1,
                "amount": Decimal(1),
                "currency": "USD",
                "source": "x",
                "closed_at": T0,
            },
            "closed_at",
        ),
        (
            Opportunity,
            {
                "id": "o",
                "created_at": T0,
                "amount": Decimal(1),
                "currency": "USD",
                "source": "x",
                "influences": ["ad"],
            },
            "influences",
        ),
        (Account, {"id": "", "customer_since": T0}, "id"),
        (Account, {"id": "a", "customer_since": T0, "icp": "yes"}, "icp"),
        (Account, {"id": "a", "customer_since": T0, "attributes": {"plan": 1.5}}, "attributes"),
    ],
)
def test_every_validator_names_its_field(factory: Any, kwargs: dict[str, Any], field: str) -> None:
    error = error_of(factory, **kwargs)
    assert error.field == field
    assert f"'{field}'" in str(error)


def test_timestamps_are_stored_in_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 7, 1, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    account = Account(id="a", customer_since=local)
    assert account.customer_since == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert account.customer_since.tzinfo is UTC


def test_contract_values_on_each_basis() -> None:
    # A two-year contract at 1,200 a year: TCV 2,400, first-year value 1,200.
    c = Contract(
        id="c",
        account_id="a",
        start=T0,
        end=datetime(2028, 1, 1, tzinfo=UTC),
        arr=Decimal(1200),
        currency="USD",
    )
    assert (c.term_years, c.total_value, c.first_year_value) == (2, Decimal(2400), Decimal(1200))
    # Six months at 1,200 a year: the whole contract is worth 600, which is also its first-year value.
    half = Contract(
        id="h",
        account_id="a",
        start=T0,
        end=datetime(2026, 7, 1, tzinfo=UTC),
        arr=Decimal(1200),
        currency="USD",
    )
    assert (half.total_value, half.first_year_value) == (Decimal(600), Decimal(600))


def test_contract_is_live_on_its_end_instant_not_its_start() -> None:
    c = Contract(id="c", account_id="a", start=T0, end=T1, arr=Decimal(1), currency="USD")
    assert not c.is_live_at(T0)
    assert c.is_live_at(T1)


def test_ask_acceptance_is_a_bool_or_unanswered() -> None:
    from advocacy_kpis import Ask

    assert (
        error_of(Ask, id="k", account_id="a", asked_at=T0, asset="review", accepted="yes").field == "accepted"
    )
    assert Ask(id="k", account_id="a", asked_at=T0, asset="review").accepted is None


def test_numpy_integers_and_decimals_are_taken_where_ints_are() -> None:
    import numpy as np

    from advocacy_kpis import SurveyKind

    response = SurveyResponse(id="s", account_id="a", kind=SurveyKind.NPS, score=np.int64(9), responded_at=T0)
    assert response.score == 9 and type(response.score) is int
    assert SurveyResponse(id="s", account_id="a", kind="csat", score=Decimal("4"), responded_at=T0).score == 4
    contract = Contract(
        id="c",
        account_id="a",
        start=T0,
        end=datetime(2027, 1, 1, tzinfo=UTC),
        arr=np.int64(100),
        currency="USD",
    )
    assert contract.arr == Decimal(100) and type(contract.arr) is Decimal
    account = Account(id="a", customer_since=T0, attributes={"seats": np.int64(5), "vip": np.bool_(True)})
    assert type(account.attributes["seats"]) is int and account.attributes["vip"] is True
    assert Review(id="w", published_at=T0, platform="G2", rating=np.int64(4)).rating == 4
    assert Review(id="w", published_at=T0, platform="G2", rating=Decimal("4.5")).rating == 4.5
    for score in (Decimal("9.5"), True, np.float64(9.5)):
        with pytest.raises(InvalidRecordError, match="'score'"):
            SurveyResponse(id="s", account_id="a", kind=SurveyKind.NPS, score=score, responded_at=T0)


def test_flags_a_source_may_not_carry_are_tri_state_and_default_to_not_recorded() -> None:
    assert Account(id="a", customer_since=T0).icp is None
    assert Referral(id="r", account_id="a", invited_at=T0).personalized is None
    assert QBR(id="q", account_id="a", held_at=T0).referral_intent is None
    assert Referral(id="r", account_id="a", invited_at=T0, personalized=False).personalized is False
    with pytest.raises(InvalidRecordError, match="'referral_intent'.*True, False or None"):
        QBR(id="q", account_id="a", held_at=T0, referral_intent="no")


# -- honest edges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "\t\n", "\u00a0"])
def test_whitespace_only_id_is_refused(blank: str) -> None:
    assert_names(error_of(Account, id=blank, customer_since=T0), "Account", "id", repr(blank))
    error = error_of(Referral, id="r", account_id=blank, invited_at=T0)
    assert error.field == "account_id"


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_a_tzinfo_without_an_offset_is_refused_naming_the_field() -> None:
    error = error_of(Account, id="acme", customer_since=datetime(2026, 1, 1, tzinfo=_NoOffset()))
    assert error.field == "customer_since" and "no UTC offset" in str(error)


def test_an_instant_with_no_utc_equivalent_is_refused_naming_the_field() -> None:
    last = datetime(9999, 12, 31, 23, tzinfo=ZoneInfo("Pacific/Honolulu"))
    error = error_of(Account, id="acme", customer_since=T0, churned_at=last)
    assert error.field == "churned_at" and "years 1 to 9999" in str(error)


@pytest.mark.parametrize("key", ["tier", "region", "icp", "id", "customer_since"])
def test_attributes_key_that_shadows_a_record_field_is_refused(key: str) -> None:
    error = error_of(Account, id="acme", customer_since=T0, attributes={key: "enterprise"})
    assert error.field == "attributes" and f"{key!r} is a field of Account" in str(error)
    request = error_of(ReferenceRequest, id="q", requested_at=T0, attributes={"account_id": "a"})
    assert request.field == "attributes"


def test_attributes_that_are_not_record_fields_are_kept() -> None:
    account = Account(id="acme", customer_since=T0, tier="smb", attributes={"plan": "pro", "seats": 5})
    assert account.segment_view()["plan"] == "pro" and account.segment_view()["tier"] == "smb"


def test_referral_converting_into_its_own_account_is_refused() -> None:
    error = error_of(
        Referral, id="r", account_id="a", invited_at=T0, converted_at=T1, converted_account_id="a"
    )
    assert_names(error, "Referral 'r'", "converted_account_id", "'a'")


@pytest.mark.parametrize("amount", [Decimal("1E+1000000"), Decimal("9.99E+999999"), Decimal(10) ** 18])
def test_contract_values_that_would_overflow_decimal_arithmetic_are_refused(amount: Decimal) -> None:
    error = error_of(Contract, id="c", account_id="a", start=T0, end=T1, arr=amount, currency="USD")
    assert error.field == "arr" and "below 1E+18" in str(error)
    tcv = error_of(
        Contract, id="c", account_id="a", start=T0, end=T1, arr=Decimal(1), tcv=amount, currency="USD"
    )
    assert tcv.field == "tcv"
    just_below = Contract(id="c", account_id="a", start=T0, end=T1, arr=Decimal(10) ** 18 - 1, currency="USD")
    assert just_below.total_value > 0


def test_integers_of_any_kind_and_decimal_ratings_are_accepted() -> None:
    import numpy as np

    response = SurveyResponse(id="s", account_id="a", kind="nps", score=np.int64(9), responded_at=T0)  # type: ignore[arg-type]
    assert response.score == 9 and type(response.score) is int
    assert Review(id="w", published_at=T0, platform="G2", rating=Decimal("4.5")).rating == 4.5  # type: ignore[arg-type]
    assert Review(id="w", published_at=T0, platform="G2", rating=np.float64(4.0)).rating == 4.0
    account = Account(id="a", customer_since=T0, attributes={"seats": np.int64(5)})  # type: ignore[dict-item]
    assert type(account.attributes["seats"]) is int
    contract = Contract(id="c", account_id="a", start=T0, end=T1, arr=np.int64(1200), currency="USD")  # type: ignore[arg-type]
    assert contract.arr == Decimal(1200)
    assert error_of(Review, id="w", published_at=T0, platform="G2", rating=Decimal("NaN")).field == "rating"
    assert (
        error_of(SurveyResponse, id="s", account_id="a", kind="nps", score=np.True_, responded_at=T0).field
        == "score"
    )


def test_a_huge_value_never_makes_a_huge_message() -> None:
    error = error_of(Account, id=" " * 5_000_000, customer_since=T0)
    assert len(str(error)) < 1000 and "5000000 characters" in str(error)
