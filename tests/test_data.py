"""AdvocacyData: cross-record validation and the shared selections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Calendar,
    Contract,
    CurrencyMismatchError,
    DuplicateIdError,
    InvalidRecordError,
    ParameterError,
    Referral,
    RevenueBasis,
    Segment,
    SegmentNotApplicableError,
    SurveyResponse,
    UnknownReferenceError,
    Window,
    metrics,
)
from advocacy_kpis.data import COLLECTIONS, contract_value
from advocacy_kpis.errors import CalendarMismatchError
from advocacy_kpis.sample import tiny
from tests.strategies import AS_OF, WINDOWS, datasets, windows

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build(**collections: object) -> AdvocacyData:
    collections.setdefault("accounts", [Account(id="a1", customer_since=T0)])
    return AdvocacyData.from_records(as_of=AS_OF, **collections)  # type: ignore[arg-type]


def test_unknown_account_id_is_named() -> None:
    referral = Referral(id="r-7", account_id="ghost", invited_at=T0)
    with pytest.raises(UnknownReferenceError) as caught:
        build(referrals=[referral])
    assert "Referral 'r-7'" in str(caught.value)
    assert "'account_id'" in str(caught.value) and "'ghost'" in str(caught.value)


def test_duplicate_ids_are_named() -> None:
    with pytest.raises(DuplicateIdError, match="Account 'a1'.*'id'"):
        build(accounts=[Account(id="a1", customer_since=T0), Account(id="a1", customer_since=T0)])


def test_unknown_renewed_contract_is_named() -> None:
    c = Contract(
        id="c2",
        account_id="a1",
        start=T0,
        end=T0 + timedelta(days=1),
        arr=Decimal(1),
        currency="USD",
        renewal_of="c1",
    )
    with pytest.raises(UnknownReferenceError, match="Contract 'c2'.*'renewal_of'.*'c1'"):
        build(contracts=[c])


def test_renewal_of_another_accounts_contract_is_refused() -> None:
    def contract(id: str, account_id: str, renewal_of: str | None = None) -> Contract:
        return Contract(
            id=id,
            account_id=account_id,
            start=T0,
            end=T0 + timedelta(days=1),
            arr=Decimal(1),
            currency="USD",
            renewal_of=renewal_of,
        )

    accounts = [Account(id="a1", customer_since=T0), Account(id="a2", customer_since=T0)]
    with pytest.raises(
        InvalidRecordError, match="Contract 'c2'.*'renewal_of'.*same account \\('a2'\\).*'c1'"
    ):
        build(accounts=accounts, contracts=[contract("c1", "a1"), contract("c2", "a2", "c1")])
    same = build(accounts=accounts, contracts=[contract("c1", "a1"), contract("c2", "a1", "c1")])
    assert len(same.contracts) == 2


def test_events_after_as_of_are_refused() -> None:
    late = SurveyResponse(
        id="s1", account_id="a1", kind="nps", score=9, responded_at=AS_OF + timedelta(seconds=1)
    )
    with pytest.raises(InvalidRecordError, match="SurveyResponse 's1'.*'responded_at'.*as_of"):
        build(surveys=[late])


def test_wrong_record_type_is_named_by_position() -> None:
    with pytest.raises(InvalidRecordError, match=r"referrals\[0\]"):
        build(referrals=[{"id": "r"}])


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ParameterError, match="'as_of'"):
        AdvocacyData.from_records(accounts=[], as_of=datetime(2026, 1, 1))


def test_mixed_currencies_without_fx_is_an_error_naming_both() -> None:
    data = tiny()  # a3 pays in EUR
    with pytest.raises(CurrencyMismatchError, match="EUR.*USD"):
        data.arr_at("a3", datetime(2026, 7, 1, tzinfo=UTC), RevenueBasis.arr("USD"))
    with_fx = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.10")})
    total = sum(data.arr_at(a, datetime(2026, 7, 1, tzinfo=UTC), with_fx) for a in ("a1", "a3"))
    assert total == Decimal(120000) + Decimal(12000) * Decimal("1.10")


def test_arr_counts_a_contract_on_its_end_instant_and_not_twice_at_renewal() -> None:
    data = tiny()
    usd = RevenueBasis.arr("USD")
    renewal = datetime(2026, 2, 1, tzinfo=UTC)  # c2 ends and c3 starts
    assert data.arr_at("a2", renewal, usd) == Decimal(60000)
    assert data.arr_at("a2", renewal + timedelta(seconds=1), usd) == Decimal(66000)
    assert data.arr_at("a2", renewal, RevenueBasis.mrr("USD")) == Decimal(5000)


def test_unknown_segment_attribute_is_refused() -> None:
    with pytest.raises(SegmentNotApplicableError, match="'segment'.*'plan'"):
        tiny().check_segment(Segment.where(plan="pro"), "some_metric")


def test_cohort_boundaries_follow_the_state_just_before_t() -> None:
    start, end = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    accounts = [
        Account(id="since-at-start", customer_since=start),
        Account(id="churn-at-start", customer_since=T0, churned_at=start),
        Account(id="churn-at-end", customer_since=T0, churned_at=end),
        Account(id="since-at-end", customer_since=end),
    ]
    data = AdvocacyData.from_records(accounts=accounts, as_of=end)
    assert data.customers_at(start) == {"churn-at-start", "churn-at-end"}
    assert data.customers_at(end) == {"since-at-start", "churn-at-end"}
    q3 = Window.quarter(2026, 3)
    # S = 2, E = 2, N = 1 (since-at-start), churned in the window = 1 (churn-at-start).
    assert metrics.customer_retention_rate(data, window=q3).value == (2 - 1) / 2
    assert metrics.customer_churn_rate(data, window=q3).value == 1 / 2


@given(datasets(), windows())
def test_customers_lost_in_a_window_are_those_that_churned_in_it(data: AdvocacyData, window: Window) -> None:
    start, end = data.customers_at(window.start), data.customers_at(window.end)
    churned = {a.id for a in data.accounts if a.churned_at is not None and window.contains(a.churned_at)}
    assert start - end == start & churned
    new = {a.id for a in data.accounts if window.contains(a.customer_since)}
    assert len(end) == len(start) + len(new) - len(churned)


@given(datasets())
def test_events_equal_a_naive_scan(data: AdvocacyData) -> None:
    for window in WINDOWS:
        naive = sorted(r.id for r in data.referrals if window.start <= r.invited_at < window.end)
        assert sorted(r.id for r in data.events(Referral, window)) == naive
        segment = Segment.where(tier="smb")
        smb = {a.id for a in data.accounts if a.tier == "smb"}
        assert sorted(r.id for r in data.events(Referral, window, segment)) == sorted(
            r.id for r in data.referrals if r.account_id in smb and window.contains(r.invited_at)
        )


def test_referred_accounts_from_channel_or_conversion() -> None:
    accounts = [
        Account(id="by-channel", customer_since=T0, acquisition_channel="referral"),
        Account(id="by-referral", customer_since=T0 + timedelta(days=3)),
        Account(id="plain", customer_since=T0),
    ]
    referral = Referral(id="r", account_id="plain", invited_at=T0, converted_at=T0 + timedelta(days=3),
                        converted_account_id="by-referral")  # fmt: skip
    data = AdvocacyData.from_records(accounts=accounts, referrals=[referral], as_of=AS_OF)
    assert data.referred_accounts() == {"by-channel", "by-referral"}


def test_derived_contract_values_sum_the_same_in_any_order() -> None:
    # MRR of 1000 a year is 83.333...: rounded once at 1e-12, so sums are exact and order-free.
    contracts = [
        Contract(
            id=f"c{i}",
            account_id="a1",
            start=T0,
            end=T0 + timedelta(days=365),
            arr=Decimal(v),
            currency="USD",
        )
        for i, v in enumerate(["1000", "7", "123456789.01", "0.05"])
    ]
    build(contracts=contracts)  # the contracts make a valid data set
    mrr = RevenueBasis.mrr("USD")
    values = [contract_value(c, mrr) for c in contracts]
    assert values[0] == Decimal("83.333333333333")
    assert sum(values, Decimal(0)) == sum(reversed(values), Decimal(0))
    assert contract_value(contracts[0], RevenueBasis.arr("USD")) == Decimal("1000")
    assert str(contract_value(contracts[2], RevenueBasis.arr("USD"))) == "123456789.01"


def test_a_collection_passed_even_empty_is_supplied_and_one_left_out_is_not() -> None:
    data = build(referrals=[], social_shares=[])
    assert data.supplied == {"accounts", "referrals", "social_shares"}
    assert data.is_supplied("referrals") and data.is_supplied(Referral)
    assert not data.is_supplied("surveys") and not data.is_supplied(SurveyResponse)
    assert data.surveys == ()  # held as empty, known to be unknown
    with pytest.raises(ParameterError, match="'collection'"):
        data.is_supplied("customers")


def test_accounts_are_always_supplied() -> None:
    assert build().supplied == {"accounts"}
    with pytest.raises(ParameterError, match="'supplied'"):
        AdvocacyData(**{**dict.fromkeys(COLLECTIONS, ()), "as_of": AS_OF, "supplied": {"referrals"}})  # type: ignore[arg-type]


def test_rebuilding_from_as_collections_keeps_what_was_supplied() -> None:
    data = build(referrals=[Referral(id="r", account_id="a1", invited_at=T0)])
    again = AdvocacyData.from_records(as_of=data.as_of, **data.as_collections())
    assert again.supplied == data.supplied == {"accounts", "referrals"}
    assert again.referrals == data.referrals


def test_the_samples_supply_every_collection() -> None:
    from advocacy_kpis import sample

    assert tiny().supplied == set(COLLECTIONS)
    assert sample.generate(20).supplied == set(COLLECTIONS)
    assert sample.generate(0).supplied == set(COLLECTIONS)


# -- honest edges ---------------------------------------------------------------------------------


def _contract(id: str, renewal_of: str | None = None) -> Contract:
    return Contract(
        id=id, account_id="a1", start=T0, end=T0 + timedelta(days=1), arr=Decimal(1), currency="USD",
        renewal_of=renewal_of,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (None, "None"),
        (Account(id="a1", customer_since=T0), "[record]"),
        ("a1", "'a1'"),
        ({"a1": 1}, "{'a1': 1}"),
        (5, "5"),
    ],
)
def test_from_records_with_none_or_a_single_record_is_a_parameter_error(given: object, shown: str) -> None:
    with pytest.raises(ParameterError) as caught:
        AdvocacyData.from_records(accounts=given, as_of=AS_OF)  # type: ignore[arg-type]
    assert caught.value.parameter == "accounts" and shown in str(caught.value)
    if given is None:
        # For any other collection None means "not supplied", which is allowed.
        assert "referrals" not in build(referrals=None).supplied
        return
    with pytest.raises(ParameterError, match="'referrals'"):
        build(referrals=given)


def test_calendar_given_as_a_zone_name_is_read_as_its_calendar() -> None:
    data = build(calendar="Europe/Berlin")
    assert data.calendar == Calendar(timezone=ZoneInfo("Europe/Berlin"))
    with pytest.raises(ParameterError, match="'calendar'.*3"):
        build(calendar=3)
    with pytest.raises(ParameterError, match="'timezone'.*Mars/Olympus"):
        build(calendar="Mars/Olympus")


def test_a_tzinfo_without_an_offset_never_reaches_from_records_as_a_type_error() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    with pytest.raises(InvalidRecordError, match="'customer_since'"):
        build(accounts=[Account(id="a1", customer_since=datetime(2026, 1, 1, tzinfo=NoOffset()))])
    with pytest.raises(ParameterError, match="'as_of'"):
        AdvocacyData.from_records(accounts=[], as_of=datetime(2026, 1, 1, tzinfo=NoOffset()))


def test_renewal_cycle_among_contracts_is_refused() -> None:
    with pytest.raises(InvalidRecordError, match="'renewal_of'.*renewal cycle: 'c1 -> c2 -> c1'"):
        build(contracts=[_contract("c1", "c2"), _contract("c2", "c1")])
    with pytest.raises(InvalidRecordError, match="renewal cycle: 'c2 -> c3 -> c4 -> c2'"):
        build(
            contracts=[
                _contract("c1", "c2"),
                _contract("c2", "c3"),
                _contract("c3", "c4"),
                _contract("c4", "c2"),
            ]
        )
    chain = build(
        contracts=[_contract("c1"), _contract("c2", "c1"), _contract("c3", "c2"), _contract("c4", "c2")]
    )
    assert len(chain.contracts) == 4


def test_account_events_and_by_contact_cannot_be_mutated_by_callers() -> None:
    data = tiny()
    events = data.account_events(Contract, "a2")
    assert isinstance(events, tuple) and events
    with pytest.raises((TypeError, AttributeError)):
        events.append(events[0])  # type: ignore[attr-defined]
    from advocacy_kpis.records import Ask

    grouped = data.by_contact(Ask)
    contact = next(iter(grouped))
    with pytest.raises(TypeError):
        grouped[contact] = ()  # type: ignore[index]
    with pytest.raises((TypeError, AttributeError)):
        grouped[contact].append(grouped[contact][0])  # type: ignore[attr-defined]
    assert data.by_contact(Ask) == grouped and data.account_events(Contract, "a2") == events


def test_check_window_on_another_calendar_names_both_calendars() -> None:
    data = tiny()
    data.check_window(Window.quarter(2026, 3), "net_promoter_score")
    berlin = Calendar(timezone=ZoneInfo("Europe/Berlin"))
    with pytest.raises(CalendarMismatchError) as caught:
        data.check_window(Window.quarter(2026, 3, berlin), "net_promoter_score")
    message = str(caught.value)
    assert "net_promoter_score" in message and "Europe/Berlin" in message and "time zone UTC" in message
    assert isinstance(caught.value, ParameterError) and caught.value.parameter == "window"
    fiscal = Calendar(fiscal_year_start_month=2)
    with pytest.raises(CalendarMismatchError, match="fiscal years from February.*fiscal years from January"):
        data.check_window(Window.fiscal_quarter(2027, 1, fiscal), "f")
    with pytest.raises(ParameterError, match="'window'.*'2026Q3'"):
        data.check_window("2026Q3", "f")  # type: ignore[arg-type]


def test_a_segment_that_matches_no_account_gets_a_warning_listing_the_known_values() -> None:
    data = tiny()
    warning = data.unmatched_segment_warning(Segment.where(tier="Enterprise"))
    assert warning is not None
    assert "tier=Enterprise" in warning and "known values of tier: enterprise, mid, smb" in warning
    assert data.unmatched_segment_warning(Segment.where(tier="Enterprise")) is warning  # cached
    assert data.unmatched_segment_warning(Segment.where(tier="enterprise")) is None
    assert data.unmatched_segment_warning(Segment.all()) is None
    with_seats = build(accounts=[Account(id="a1", customer_since=T0, attributes={"seats": 5})])
    typed = with_seats.unmatched_segment_warning(Segment.where(seats="5"))
    assert typed is not None and 'seats="5"' in typed and "known values of seats: 5" in typed
    missing = with_seats.unmatched_segment_warning(Segment.where(region="EMEA"))
    assert missing is not None and "no account has a value of region" in missing


def test_a_record_attribute_segment_that_matches_nothing_gets_a_warning() -> None:
    from advocacy_kpis.records import ReferenceRequest

    data = tiny()
    warning = data.unmatched_segment_warning(Segment.where(region="APAC"), on_records=ReferenceRequest)
    assert warning is not None and "ReferenceRequest record" in warning and "EMEA, NA" in warning
    assert data.unmatched_segment_warning(Segment.where(region="NA"), on_records=ReferenceRequest) is None


def test_the_warning_lists_at_most_twenty_values() -> None:
    accounts = [Account(id=f"a{i}", customer_since=T0, industry=f"i{i:02d}") for i in range(30)]
    warning = build(accounts=accounts).unmatched_segment_warning(Segment.where(industry="x"))
    assert warning is not None and "i19, ... (30 values in all)" in warning and "i20" not in warning
