"""The typed records every metric is computed from.

Each record is a frozen, slotted attrs class. Field validators run when a record is built and
raise `InvalidRecordError` naming the record (its kind and id), the field, the value received
and what was expected. Timestamps must be timezone-aware ``datetime`` values; they are stored
in UTC. (Loaders that read dates from files attach the data set's calendar time zone.) The
loaders build many records at once with `column_builder`, which makes the same checks except
those their conversion of each cell has already made.
"""

from __future__ import annotations

import enum
import functools
import numbers
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from advocacy_kpis.errors import InvalidRecordError, shorten
from advocacy_kpis.expr import Env, Expr
from advocacy_kpis.expr import field as column
from advocacy_kpis.scope import check_currency

__all__ = [
    "AMOUNT_EXPECTED",
    "CURRENCY_EXPECTED",
    "ID_EXPECTED",
    "QBR",
    "RULES",
    "Account",
    "AdvocacyAction",
    "Advocate",
    "Ask",
    "Asset",
    "CommunityMember",
    "Contract",
    "Effort",
    "Feedback",
    "Mention",
    "Opportunity",
    "ProductChange",
    "ProgramCost",
    "PromptAction",
    "ReferenceRequest",
    "Referral",
    "ReferralPrompt",
    "Review",
    "Rule",
    "Sentiment",
    "SocialShare",
    "SurveyKind",
    "SurveyResponse",
    "order",
]


# -- enums --------------------------------------------------------------------------------------


class Asset(enum.Enum):
    """The six advocacy assets a programme asks customers for."""

    REFERENCE = "reference"
    CASE_STUDY = "case_study"
    SPEAKING = "speaking"
    REVIEW = "review"
    COMMUNITY = "community"
    REFERRAL = "referral"


class Effort(enum.Enum):
    """How much an ask costs the advocate; the tap policy spaces asks by effort class."""

    HIGH = "high"
    LOW = "low"


class Sentiment(enum.Enum):
    """The polarity of a piece of feedback or a public mention."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class SurveyKind(enum.Enum):
    """The survey question a response answers, with its score scale."""

    NPS = "nps"
    """How likely to recommend, 0-10."""
    CSAT = "csat"
    """Satisfaction, 1-5."""
    REPURCHASE = "repurchase"
    """How likely to buy again, 0-10."""
    UPSELL = "upsell"
    """How likely to buy more, 0-10."""

    @property
    def scale(self) -> tuple[int, int]:
        """The lowest and highest valid score."""
        return (1, 5) if self is SurveyKind.CSAT else (0, 10)


class PromptAction(enum.Enum):
    """A step a customer takes towards referring, short of sending a referral."""

    OPENED_PROMPT = "opened_prompt"
    CLICKED_REFER = "clicked_refer"
    COPIED_LINK = "copied_link"


# -- field helpers ------------------------------------------------------------------------------


_Check = TypeVar("_Check", bound=Callable[..., None])


def _who(instance: Any) -> str:
    ident = getattr(instance, "id", None)
    return f"{type(instance).__name__} {shorten(ident)}"


def _fail(instance: Any, field: str, value: Any, expected: str) -> InvalidRecordError:
    return InvalidRecordError(_who(instance), field, value, expected)


def _to_utc(value: Any) -> Any:
    """Normalise an aware datetime to UTC; anything else is left for the validator to reject."""
    if getattr(value, "tzinfo", None) is UTC:
        return value
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return value
    return value


# Validators that check only a value's shape: its type, an instant's zone (UTC), text that is not
# blank, an enum member. `column_builder` skips them for values that already have that shape;
# every other validator, and the cross-field checks, run on every record however it is built.
_SHAPE_CHECKS: Final[set[Callable[..., None]]] = set()


def _shape_check(check: _Check) -> _Check:
    _SHAPE_CHECKS.add(check)
    return check


@_shape_check
def _check_instant(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, date) and not isinstance(value, datetime):
        expected = (
            "a timezone-aware datetime (a date has no time zone: Calendar.instant(day) gives its midnight)"
        )
        raise _fail(instance, attribute.name, value, expected)
    if not isinstance(value, datetime):
        raise _fail(instance, attribute.name, value, "a timezone-aware datetime")
    if value.tzinfo is None:
        raise _fail(instance, attribute.name, value, "a timezone-aware datetime (this one is naive)")
    if value.utcoffset() is None:
        expected = "a timezone-aware datetime (this one's tzinfo gives no UTC offset)"
        raise _fail(instance, attribute.name, value, expected)
    if value.tzinfo is not UTC:
        # The converter leaves in its own zone only an instant that has no UTC equivalent.
        raise _fail(instance, attribute.name, value, "an instant within the years 1 to 9999 in UTC")


@_shape_check
def _check_optional_instant(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_instant(instance, attribute, value)


# Field specifications, spread into attrs.field(...) so the attrs mypy plugin still sees which
# fields have defaults (an explicit default= or factory= beside the spread).
_INSTANT: Final[dict[str, Any]] = {"converter": _to_utc, "validator": _check_instant}
_OPTIONAL_INSTANT: Final[dict[str, Any]] = {"converter": _to_utc, "validator": _check_optional_instant}


@_shape_check
def _check_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(instance, attribute.name, value, ID_EXPECTED)


@_shape_check
def _check_optional_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_id(instance, attribute, value)


_ID: Final[dict[str, Any]] = {"validator": _check_id}
_OPTIONAL_ID: Final[dict[str, Any]] = {"validator": _check_optional_id}


@_shape_check
def _check_optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(instance, attribute.name, value, "a string or None")


_OPTIONAL_TEXT: Final[dict[str, Any]] = {"validator": _check_optional_text}


@_shape_check
def _check_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(instance, attribute.name, value, "True or False")


_FLAG: Final[dict[str, Any]] = {"validator": _check_bool}


@_shape_check
def _check_optional_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise _fail(instance, attribute.name, value, "True, False or None (not recorded)")


# A flag a source may not carry: None means "not recorded", which is not the same as False.
_OPTIONAL_FLAG: Final[dict[str, Any]] = {"validator": _check_optional_bool}


def _to_int(value: Any) -> Any:
    """numpy integers and integral Decimals are ints; bools and everything else go to the validator."""
    if isinstance(value, bool) or type(value) is int:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _enum_converter(kind: type[enum.Enum]) -> Any:
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                return value
        return value

    return convert


def _enum_validator(kind: type[enum.Enum]) -> Any:
    @_shape_check
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            names = ", ".join(repr(member.value) for member in kind)
            raise _fail(instance, attribute.name, value, f"one of {names}")

    return check


def _enum(kind: type[enum.Enum]) -> dict[str, Any]:
    return {"converter": _enum_converter(kind), "validator": _enum_validator(kind)}


def _optional_enum(kind: type[enum.Enum]) -> dict[str, Any]:
    validate = _enum_validator(kind)

    @_shape_check
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validate(instance, attribute, value)

    return {"converter": _enum_converter(kind), "validator": check}


def _to_assets(value: Any) -> Any:
    convert = _enum_converter(Asset)
    if isinstance(value, (list, tuple)):
        return tuple(convert(item) for item in value)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _to_decimal(value: Any) -> Any:
    if _is_int(value):
        return Decimal(int(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


MAX_AMOUNT: Final = Decimal(10) ** 18
"""Amounts must be below this: Decimal arithmetic keeps 28 significant digits, so sums of many
such amounts, converted at any accepted FX rate, still keep their cents (and nothing overflows)."""


def _check_amount(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise _fail(instance, attribute.name, value, "a non-negative Decimal (money is never a float)")
    if value >= MAX_AMOUNT:
        raise _fail(instance, attribute.name, value, AMOUNT_EXPECTED)


_AMOUNT: Final[dict[str, Any]] = {"converter": _to_decimal, "validator": _check_amount}


def _check_optional_amount(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_amount(instance, attribute, value)


def _check_currency_field(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not check_currency(value):
        raise _fail(instance, attribute.name, value, CURRENCY_EXPECTED)


_CURRENCY: Final[dict[str, Any]] = {"validator": _check_currency_field}


def _plain_attribute(value: Any) -> Any:
    # numpy booleans and integers compare equal to Python's but are not them: store Python's.
    if isinstance(value, (str, bool)) or type(value) is int:
        return value
    if type(value).__name__ in ("bool_", "bool"):  # numpy's bool scalar (bool_ before numpy 2)
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return value


def _freeze_attributes(value: Any) -> Any:
    if type(value) is dict or isinstance(value, Mapping):
        return MappingProxyType({key: _plain_attribute(item) for key, item in value.items()})
    return value


_FIELD_NAMES: Final[dict[type, frozenset[str]]] = {}


def _field_names(kind: type) -> frozenset[str]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = frozenset(field.name for field in attrs.fields(kind))
    return names


def _check_attributes(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not MappingProxyType and not isinstance(value, Mapping):
        raise _fail(instance, attribute.name, value, "a mapping of attribute name to value")
    if not value:
        return
    own = _field_names(type(instance))
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, (str, bool, int)):
            raise _fail(instance, attribute.name, {key: item}, "string keys with str, bool or int values")
        if key in own:
            # A segment reads the record's own field, so such an attribute would be silently ignored.
            expected = (
                f"names other than the record's own fields ({shorten(key)} is a field of "
                f"{type(instance).__name__}: set it as {key}=... instead)"
            )
            raise _fail(instance, attribute.name, {key: item}, expected)


def _empty_attributes() -> Mapping[str, str | bool | int]:
    return MappingProxyType({})


_ATTRIBUTES: Final[dict[str, Any]] = {
    "converter": _freeze_attributes,
    "validator": _check_attributes,
    "eq": attrs.cmp_using(eq=lambda a, b: dict(a) == dict(b)),
    "hash": False,
}


# -- rules across a record's fields: written once, read by the records, the loaders and the tables --

ID_EXPECTED: Final = "a non-empty string (not only whitespace)"
AMOUNT_EXPECTED: Final = "a non-negative Decimal below 1E+18"
CURRENCY_EXPECTED: Final = "an ISO 4217 code of three upper-case letters"


@attrs.frozen(eq=False)
class Rule:
    """A rule across a record's fields: ``broken`` holds for a record that breaks it.

    The record constructors, the loaders and the tables (`advocacy_kpis.engines.Tables`) all
    apply the same rules, so a row a record would refuse is refused everywhere, naming ``field``
    and saying what was expected.

    Attributes:
        field: the field the error names (its value is the one shown).
        broken: the condition a record that breaks the rule meets (unknown: it does not).
        expected: what the field must be, from the record's values by field name.
    """

    field: str
    broken: Expr
    expected: Callable[[Callable[[str], Any]], str]

    def check(self, record: Any) -> None:
        """Refuse ``record`` when it breaks the rule.

        Raises:
            InvalidRecordError: naming the record, the field, its value and what was expected.
        """
        test = _compiled(self)
        if test(record) is True:
            raise _fail(
                record, self.field, getattr(record, self.field), self.expected(lambda n: getattr(record, n))
            )


_COMPILED: dict[int, Callable[[Any], Any]] = {}


def _compiled(rule: Rule) -> Callable[[Any], Any]:
    found = _COMPILED.get(id(rule))
    if found is None:
        found = _COMPILED[id(rule)] = rule.broken.python(Env({}, datetime.min.replace(tzinfo=UTC)))
    return found


def order(later: str, earlier: str, *, strict: bool = False) -> Rule:
    """The rule that ``later`` may not come before ``earlier`` (nor equal it when strict)."""
    relation = "later than" if strict else "at or after"
    broken = column(later) <= column(earlier) if strict else column(later) < column(earlier)

    def expected(value: Callable[[str], Any]) -> str:
        return f"{relation} {earlier} ({value(earlier).isoformat()})"

    return Rule(later, broken, expected)


def _constant(text: str) -> Callable[[Callable[[str], Any]], str]:
    return lambda _: text


def _check_rules(record: Any) -> None:
    for rule in RULES.get(type(record), ()):
        rule.check(record)


# -- records ------------------------------------------------------------------------------------


@attrs.frozen
class Account:
    """A customer (or former customer) account.

    Attributes:
        id: unique account id.
        customer_since: when the account became a customer.
        churned_at: when it stopped being one, or None while it is still a customer.
        activated_at: when it first reached value (time-to-first-referral cohorts use this, else
            ``customer_since``).
        onboarded_at: when onboarding was completed.
        tier, region, industry: the usual segmenting attributes.
        icp: whether the account fits the ideal customer profile; None when the source does not
            record it (not the same as False).
        acquisition_channel: how it was won; ``"referral"`` marks an account acquired through a
            referral (so does a `Referral` whose ``converted_account_id`` names it).
        name: display name.
        attributes: further segmenting attributes (string keys; str, bool or int values).
    """

    id: str = attrs.field(**_ID)
    customer_since: datetime = attrs.field(**_INSTANT)
    churned_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    activated_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    onboarded_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    tier: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    region: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    industry: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    icp: bool | None = attrs.field(default=None, **_OPTIONAL_FLAG)
    acquisition_channel: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    name: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    attributes: Mapping[str, str | bool | int] = attrs.field(factory=_empty_attributes, **_ATTRIBUTES)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)

    def segment_view(self) -> dict[str, Any]:
        """The attribute values a `Segment` is matched against."""
        view: dict[str, Any] = dict(self.attributes)
        view.update(
            tier=self.tier,
            region=self.region,
            industry=self.industry,
            icp=self.icp,
            acquisition_channel=self.acquisition_channel,
        )
        return view

    def is_customer_at(self, instant: datetime) -> bool:
        """Whether the account is a customer at ``instant`` (the state just before it)."""
        return self.customer_since < instant and (self.churned_at is None or self.churned_at >= instant)


@attrs.frozen
class Contract:
    """A subscription contract of one account.

    A contract is live at ``t`` when ``start < t <= end``, so a contract ending on the instant
    its renewal starts is never counted twice. ``arr`` is the annualised recurring value.
    ``tcv`` is the whole-term value; when omitted it is ``arr`` times the term in years.
    """

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    start: datetime = attrs.field(**_INSTANT)
    end: datetime = attrs.field(**_INSTANT)
    arr: Decimal = attrs.field(**_AMOUNT)
    currency: str = attrs.field(**_CURRENCY)
    renewal_of: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    tcv: Decimal | None = attrs.field(default=None, converter=_to_decimal, validator=_check_optional_amount)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)

    @property
    def term_years(self) -> Decimal:
        """The term in years: whole years and months from the calendar, leftover days over 365."""
        delta = relativedelta(self.end, self.start)
        return Decimal(delta.years) + Decimal(delta.months) / 12 + Decimal(delta.days) / 365

    @property
    def total_value(self) -> Decimal:
        """Total contract value: ``tcv`` when given, else ``arr`` x term in years."""
        return self.tcv if self.tcv is not None else self.arr * self.term_years

    @property
    def first_year_value(self) -> Decimal:
        """Annual contract value: the value of the first year (the whole value if shorter)."""
        term = self.term_years
        if term <= 1:
            return self.total_value
        return self.total_value / term

    def is_live_at(self, instant: datetime) -> bool:
        """Whether the contract is live at ``instant``: ``start < instant <= end``."""
        return self.start < instant <= self.end


@attrs.frozen
class Referral:
    """A referral (invitation) sent by a customer account to a prospect.

    Attributes:
        account_id: the referring account.
        invited_at: when the referral was sent.
        converted_at: when the referred prospect became a customer, if it did.
        converted_account_id: the account the prospect became, when known.
        personalized: whether the sender wrote their own message instead of the default one;
            None when the source does not record it (not the same as False).
        sender_id: the user who sent it.
        channel: email, link, in-app, ...
    """

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    invited_at: datetime = attrs.field(**_INSTANT)
    converted_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    converted_account_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    personalized: bool | None = attrs.field(default=None, **_OPTIONAL_FLAG)
    sender_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    channel: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)


@attrs.frozen
class ReferralPrompt:
    """A step towards referring (opened the prompt, clicked refer, copied the link)."""

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    occurred_at: datetime = attrs.field(**_INSTANT)
    action: PromptAction = attrs.field(**_enum(PromptAction))
    user_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)


@attrs.frozen
class SurveyResponse:
    """One answer to one survey question.

    Scores: ``nps``, ``repurchase`` and ``upsell`` take 0-10, ``csat`` 1-5 (integers).
    ``respondent_id`` identifies the person within the account; when absent the account is the
    respondent.
    """

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    kind: SurveyKind = attrs.field(**_enum(SurveyKind))
    score: int = attrs.field(converter=_to_int)
    responded_at: datetime = attrs.field(**_INSTANT)
    respondent_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)

    @score.validator
    def _check_score(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(self, attribute.name, value, _score_expected(lambda name: getattr(self, name)))

    def __attrs_post_init__(self) -> None:
        _check_rules(self)

    @property
    def respondent(self) -> str:
        """Who answered: ``respondent_id`` within the account when given, else the account itself.

        Respondent ids are scoped to their account, since systems often number users per
        customer; the same id under two accounts is two people.
        """
        if self.respondent_id is None:
            return f"{self.account_id}/"
        return f"{self.account_id}/{self.respondent_id}"


@attrs.frozen
class Feedback:
    """A piece of customer feedback labelled with its sentiment."""

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    received_at: datetime = attrs.field(**_INSTANT)
    sentiment: Sentiment = attrs.field(**_enum(Sentiment))
    channel: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    text: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)


@attrs.frozen
class Advocate:
    """A person at a customer account enrolled in the advocacy programme."""

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    enrolled_at: datetime = attrs.field(**_INSTANT)
    opted_out_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)

    def is_enrolled_at(self, instant: datetime) -> bool:
        """Whether the advocate is in the pool at ``instant`` (state just before it)."""
        return self.enrolled_at < instant and (self.opted_out_at is None or self.opted_out_at >= instant)


@attrs.frozen
class Ask:
    """A request made to a customer for an advocacy asset.

    ``advocate_id`` names the contact asked; when absent the tap policy spaces asks per account.
    """

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    asked_at: datetime = attrs.field(**_INSTANT)
    asset: Asset = attrs.field(**_enum(Asset))
    advocate_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    accepted: bool | None = attrs.field(default=None)

    @accepted.validator
    def _check_accepted(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            raise _fail(self, attribute.name, value, "True, False or None (not answered yet)")

    @property
    def contact(self) -> str:
        """Whom the tap policy spaces asks for: the advocate within the account, else the account.

        Like respondent ids, advocate ids are scoped to their account.
        """
        return f"{self.account_id}/{self.advocate_id or ''}"


@attrs.frozen
class AdvocacyAction:
    """An advocacy asset delivered by a customer (a reference call taken, a case study, ...)."""

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    asset: Asset = attrs.field(**_enum(Asset))
    completed_at: datetime = attrs.field(**_INSTANT)
    advocate_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)

    @property
    def contact(self) -> str:
        """Who delivered it: the advocate within the account, else the account (as `Ask.contact`)."""
        return f"{self.account_id}/{self.advocate_id or ''}"


@attrs.frozen
class ReferenceRequest:
    """A request from sales for a customer reference.

    It has no account of its own; segments match its ``attributes`` (industry, region, ...).
    ``account_id`` is the account that filled it, when it was filled.
    """

    id: str = attrs.field(**_ID)
    requested_at: datetime = attrs.field(**_INSTANT)
    filled_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    account_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    attributes: Mapping[str, str | bool | int] = attrs.field(factory=_empty_attributes, **_ATTRIBUTES)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)


def _to_rating(value: Any) -> Any:
    """A numpy number or a finite Decimal rating as a float; anything else is left for the validator."""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, numbers.Real) or (isinstance(value, Decimal) and value.is_finite()):
        return float(value)
    return value


@attrs.frozen
class Review:
    """A public review on a platform such as G2, Capterra, TrustRadius or an app store."""

    id: str = attrs.field(**_ID)
    published_at: datetime = attrs.field(**_INSTANT)
    platform: str = attrs.field()
    rating: float | None = attrs.field(default=None, converter=_to_rating)
    account_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)

    @platform.validator
    def _check_platform(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise _fail(self, attribute.name, value, "a non-empty platform name")

    @rating.validator
    def _check_rating(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(self, attribute.name, value, _RATING_EXPECTED)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)


@attrs.frozen
class Mention:
    """A public mention of the brand.

    ``author_kind`` is ``influencer``, ``advocate``, ``customer``, ``media`` or ``other``.
    """

    id: str = attrs.field(**_ID)
    published_at: datetime = attrs.field(**_INSTANT)
    author_kind: str = attrs.field()
    sentiment: Sentiment | None = attrs.field(default=None, **_optional_enum(Sentiment))
    organic: bool = attrs.field(default=True, **_FLAG)
    platform: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    attributes: Mapping[str, str | bool | int] = attrs.field(factory=_empty_attributes, **_ATTRIBUTES)

    @author_kind.validator
    def _check_author(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in MENTION_AUTHORS:
            raise _fail(self, attribute.name, value, f"one of {', '.join(map(repr, MENTION_AUTHORS))}")


MENTION_AUTHORS: Final = ("influencer", "advocate", "customer", "media", "other")


@attrs.frozen
class SocialShare:
    """A customer's share of content, the product or a referral link on social media."""

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    shared_at: datetime = attrs.field(**_INSTANT)
    channel: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)
    user_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)


@attrs.frozen
class CommunityMember:
    """A member of the user community, with or without a customer account."""

    id: str = attrs.field(**_ID)
    joined_at: datetime = attrs.field(**_INSTANT)
    left_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    account_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)

    def __attrs_post_init__(self) -> None:
        _check_rules(self)


@attrs.frozen
class QBR:
    """A quarterly business review, and whether the customer expressed referral intent in it.

    ``referral_intent`` is None when the meeting notes do not record it (not the same as False).
    """

    id: str = attrs.field(**_ID)
    account_id: str = attrs.field(**_ID)
    held_at: datetime = attrs.field(**_INSTANT)
    referral_intent: bool | None = attrs.field(default=None, **_OPTIONAL_FLAG)


@attrs.frozen
class Opportunity:
    """A sales opportunity.

    ``source`` is where it came from (``referral``, ``inbound``, ``outbound``, ``partner``, ...);
    ``influences`` lists the advocacy assets that touched it. ``account_id`` is set when the
    prospect is (or became) an account in the data set; otherwise segments match ``attributes``.
    """

    id: str = attrs.field(**_ID)
    created_at: datetime = attrs.field(**_INSTANT)
    amount: Decimal = attrs.field(**_AMOUNT)
    currency: str = attrs.field(**_CURRENCY)
    source: str = attrs.field()
    closed_at: datetime | None = attrs.field(default=None, **_OPTIONAL_INSTANT)
    won: bool | None = attrs.field(default=None)
    influences: tuple[Asset, ...] = attrs.field(default=(), converter=_to_assets)
    account_id: str | None = attrs.field(default=None, **_OPTIONAL_ID)
    attributes: Mapping[str, str | bool | int] = attrs.field(factory=_empty_attributes, **_ATTRIBUTES)

    @source.validator
    def _check_source(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise _fail(self, attribute.name, value, "a non-empty source such as 'referral'")

    @won.validator
    def _check_won(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            raise _fail(self, attribute.name, value, "True, False or None")
        if value is not None and self.closed_at is None:
            raise _fail(self, "closed_at", None, "set when won is True or False")

    @influences.validator
    def _check_influences(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            raise _fail(self, attribute.name, value, "a list or tuple of assets")
        for item in value:
            if not isinstance(item, Asset):
                raise _fail(self, attribute.name, item, f"assets among {', '.join(a.value for a in Asset)}")

    def __attrs_post_init__(self) -> None:
        _check_rules(self)

    @property
    def advocacy_touched(self) -> bool:
        """Whether an advocacy asset touched the deal (an influence, or a referral source)."""
        return bool(self.influences) or self.source == "referral"


@attrs.frozen
class ProgramCost:
    """Money spent on an advocacy programme (``program`` such as ``referral``)."""

    id: str = attrs.field(**_ID)
    incurred_at: datetime = attrs.field(**_INSTANT)
    amount: Decimal = attrs.field(**_AMOUNT)
    currency: str = attrs.field(**_CURRENCY)
    program: str = attrs.field(default="referral")
    attributes: Mapping[str, str | bool | int] = attrs.field(factory=_empty_attributes, **_ATTRIBUTES)

    @program.validator
    def _check_program(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise _fail(self, attribute.name, value, "a non-empty programme name such as 'referral'")


@attrs.frozen
class ProductChange:
    """A product release or change after which advocacy may move."""

    id: str = attrs.field(**_ID)
    released_at: datetime = attrs.field(**_INSTANT)
    name: str = attrs.field(default="")
    description: str | None = attrs.field(default=None, **_OPTIONAL_TEXT)


# -- building many records at once --------------------------------------------------------------

_Record = TypeVar("_Record")

Built = tuple[list[_Record], list[int], list[tuple[int, InvalidRecordError]]]
"""What a column builder returns: the records, the position of each, and the refused positions."""


def column_builder(kind: type[_Record]) -> Callable[..., Built[_Record]]:
    """A function building records of ``kind`` from columns of values that already have their shape.

    ``build(positions, *columns)`` takes one column per constructor field, in order, and builds
    one record per position. It is the constructor without the checks a value's shape answers
    (its type, an instant in UTC, text that is not blank, an enum member): a loader that has
    converted every cell to that shape (see `advocacy_kpis.io.coerce`) would otherwise pay for
    them twice, once per cell and once per record. Every other check runs as in the constructor:
    the converters and validators of the remaining fields (amounts, scores, ratings, currencies,
    attributes, ...) and the checks across fields. A record that fails one is not built; its
    position and the `InvalidRecordError` are returned instead.

    Given values of another shape, the records are invalid: only a caller that has coerced every
    value may use it.

    Examples:
        >>> from datetime import UTC, datetime
        >>> build = column_builder(Advocate)
        >>> t, u = datetime(2026, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
        >>> records, kept, refused = build([0, 1], ["v1", "v2"], ["a1", "a1"], [t, t], [None, u])
        >>> records == [Advocate("v1", "a1", t)], kept, [(p, e.field) for p, e in refused]
        (True, [0], [(1, 'opted_out_at')])
    """
    build = _BUILDERS.get(kind)
    if build is None:
        build = _BUILDERS[kind] = _column_builder(kind)
    return build


_BUILDERS: Final[dict[type, Callable[..., Built[Any]]]] = {}


def _column_builder(kind: type) -> Callable[..., Built[Any]]:
    fields = attrs.fields(kind)
    if not all(field.init for field in fields):
        raise TypeError(f"{kind.__name__} has fields the constructor does not take")  # a new record kind
    names = [f"v{index}" for index in range(len(fields))]
    scope: dict[str, Any] = {"new": object.__new__, "kind": kind, "InvalidRecordError": InvalidRecordError}
    sets, checks = [], []
    for index, field in enumerate(fields):
        scope[f"set{index}"] = kind.__dict__[field.name].__set__
        scope[f"field{index}"] = field
        value = names[index]
        if field.validator in _SHAPE_CHECKS:
            sets.append(f"set{index}(record, {value})")
            continue
        if field.converter is not None:
            scope[f"convert{index}"] = field.converter
            value = f"convert{index}({value})"
        sets.append(f"set{index}(record, {value})")
        if field.validator is not None:
            scope[f"check{index}"] = field.validator
            checks.append(f"check{index}(record, field{index}, record.{field.name})")
    if hasattr(kind, "__attrs_post_init__"):
        checks.append("record.__attrs_post_init__()")
    steps = "\n".join(f"            {line}" for line in ["record = new(kind)", *sets, *checks])
    columns = ", ".join(f"c{index}" for index in range(len(fields)))
    source = f"""\
def build(positions, {columns}):
    records, refused = [], []
    append = records.append
    for position, {", ".join(names)} in zip(positions, {columns}):
        try:
{steps}
        except InvalidRecordError as error:
            refused.append((position, error))
            continue
        append(record)
    if not refused:
        return records, list(positions), refused
    bad = {{position for position, _ in refused}}
    return records, [position for position in positions if position not in bad], refused
"""
    exec(compile(source, f"<column builder of {kind.__name__}>", "exec"), scope)
    build: Callable[..., Built[Any]] = scope["build"]
    return build


def _score_expected(value: Callable[[str], Any]) -> str:
    kind = value("kind")
    if not isinstance(kind, SurveyKind):
        kind = SurveyKind(kind)
    low, high = kind.scale
    shown = kind.value
    return f"an integer from {low} to {high} for a {shown} survey"


_RATING_EXPECTED: Final = "a number from 1 to 5, or None"

_SCORE_OUT_OF_SCALE: Final = functools.reduce(
    operator.or_,
    [
        (column("kind") == kind) & ((column("score") < kind.scale[0]) | (column("score") > kind.scale[1]))
        for kind in SurveyKind
    ],
)

RULES: Final[Mapping[type, tuple[Rule, ...]]] = {
    Account: (
        order("churned_at", "customer_since", strict=True),
        order("activated_at", "customer_since"),
        order("onboarded_at", "customer_since"),
    ),
    Contract: (
        order("end", "start", strict=True),
        Rule("renewal_of", column("renewal_of") == column("id"), _constant("the id of another contract")),
    ),
    Referral: (
        order("converted_at", "invited_at"),
        Rule(
            "converted_at",
            column("converted_account_id").not_null() & column("converted_at").is_null(),
            _constant("set when converted_account_id is set"),
        ),
        Rule(
            "converted_account_id",
            column("converted_account_id") == column("account_id"),
            lambda value: (
                f"the account the prospect became, not the referring account ({shorten(value('account_id'))})"
            ),
        ),
    ),
    SurveyResponse: (Rule("score", _SCORE_OUT_OF_SCALE, _score_expected),),
    Advocate: (order("opted_out_at", "enrolled_at"),),
    ReferenceRequest: (order("filled_at", "requested_at"),),
    Review: (Rule("rating", (column("rating") < 1) | (column("rating") > 5), _constant(_RATING_EXPECTED)),),
    CommunityMember: (order("left_at", "joined_at"),),
    Opportunity: (order("closed_at", "created_at"),),
}
"""The rules across each kind of record's fields, in the order they are checked."""
