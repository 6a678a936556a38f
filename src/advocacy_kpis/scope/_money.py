"""Money: amounts with a currency, and the revenue basis (ARR, MRR, ACV, TCV) money is stated on."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from advocacy_kpis.errors import CurrencyMismatchError, ParameterError
from advocacy_kpis.scope._time import _field, _is_int

# -- money --------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"[A-Z]{3}")


def check_currency(value: Any) -> bool:
    """Whether ``value`` looks like an ISO 4217 code (three upper-case letters)."""
    return isinstance(value, str) and _CURRENCY.fullmatch(value) is not None


def _currency(name: str, where: str) -> Any:
    def check(_: Any, __: Any, value: Any) -> None:
        if not check_currency(value):
            raise ParameterError(name, where, "an ISO 4217 code of three upper-case letters", value)

    return check


def _decimal(value: Any) -> Decimal:
    amount: Decimal | None = None
    if isinstance(value, Decimal):
        amount = value
    elif _is_int(value):
        amount = Decimal(int(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        expected = "a finite Decimal, an int or a numeric string (never a float, NaN or an infinity)"
        raise ParameterError("amount", "Money", expected, value)
    return amount


@attrs.frozen
class Money:
    """An exact amount in one currency.

    Examples:
        >>> Money(Decimal("10.50"), "USD") + Money(Decimal("2"), "USD")
        Money(amount=Decimal('12.50'), currency='USD')
    """

    amount: Decimal = attrs.field(converter=_decimal)
    currency: str = attrs.field(validator=_currency("currency", "Money"))

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            expected = f"a Money in {self.currency} such as Money(Decimal('1'), {self.currency!r})"
            raise ParameterError("other", "Money +", expected, other)
        if other.currency != self.currency:
            raise CurrencyMismatchError(other.currency, self.currency)
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"


class BasisKind(enum.Enum):
    """How a contract's value is counted.

    ``ARR`` annual recurring revenue; ``MRR`` monthly (ARR / 12); ``ACV`` annual contract value
    (the value of the contract's first year); ``TCV`` total contract value (the whole term).
    """

    ARR = "arr"
    MRR = "mrr"
    ACV = "acv"
    TCV = "tcv"


# A rate outside these bounds is a typo or a unit mistake (no currency pair is a trillion to one),
# and would push converted amounts past what Decimal arithmetic keeps exact.
_MIN_RATE = Decimal("1E-12")
_MAX_RATE = Decimal("1E+12")


def _basis_kind(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return BasisKind(value.strip().lower())
        except ValueError:
            return value
    return value


def _check_basis_kind(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, BasisKind):
        kinds = ", ".join(repr(k.value) for k in BasisKind)
        expected = f"a BasisKind or one of {kinds} (or build it with RevenueBasis.arr('USD') and the like)"
        raise ParameterError(attribute.name, "RevenueBasis", expected, value)


def _fx(
    value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> tuple[tuple[str, Decimal], ...]:
    if value is None:
        return ()
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        value = dict(value)
    if not isinstance(value, Mapping):
        raise ParameterError("fx_rates", "RevenueBasis", "a mapping of currency to Decimal rate", value)
    rates = []
    for code, rate in sorted(value.items()):
        if not check_currency(code):
            raise ParameterError(
                "fx_rates", "RevenueBasis", "currency codes of three upper-case letters", code
            )
        amount = rate if isinstance(rate, Decimal) else None
        if _is_int(rate):
            amount = Decimal(int(rate))
        elif isinstance(rate, str):
            try:
                amount = Decimal(rate)
            except InvalidOperation:
                amount = None
        if amount is None or not amount.is_finite() or not _MIN_RATE <= amount <= _MAX_RATE:
            raise ParameterError(
                "fx_rates",
                "RevenueBasis",
                f"a positive Decimal rate for {code} from 1E-12 to 1E+12 (never a float, NaN or an infinity)",
                rate,
            )
        rates.append((code, amount))
    return tuple(rates)


@attrs.frozen
class RevenueBasis:
    """The revenue measure and currency in which money-valued and revenue-weighted metrics are stated.

    ``fx_rates`` maps another currency to the number of basis-currency units one unit of it is
    worth: a finite Decimal (or int, or numeric string) from 1E-12 to 1E+12. ``kind`` may be
    given by its name (``"arr"``). Each contract or opportunity amount is converted exactly once, when it is read, by
    multiplying by its rate; amounts already in the basis currency are not touched. An amount in
    a currency with no rate is an error, never silently summed.

    Examples:
        >>> basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.10")})
        >>> basis.convert(Decimal("100"), "EUR")
        Decimal('110.00')
        >>> basis.name
        'ARR (USD)'
    """

    kind: BasisKind = attrs.field(converter=_basis_kind, validator=_check_basis_kind)
    currency: str = attrs.field(validator=_currency("currency", "RevenueBasis"))
    fx_rates: tuple[tuple[str, Decimal], ...] = attrs.field(default=(), converter=_fx)

    @classmethod
    def arr(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Annual recurring revenue in ``currency``."""
        return cls(BasisKind.ARR, currency, fx_rates)

    @classmethod
    def mrr(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Monthly recurring revenue (ARR / 12) in ``currency``."""
        return cls(BasisKind.MRR, currency, fx_rates)

    @classmethod
    def acv(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Annual contract value (first-year value) in ``currency``."""
        return cls(BasisKind.ACV, currency, fx_rates)

    @classmethod
    def tcv(cls, currency: str, fx_rates: Mapping[str, Decimal] | None = None) -> RevenueBasis:
        """Total contract value (whole term) in ``currency``."""
        return cls(BasisKind.TCV, currency, fx_rates)

    @classmethod
    def parse(cls, text: str) -> RevenueBasis:
        """Read ``arr:USD``, ``mrr:EUR``, ``acv:USD`` or ``tcv:GBP``.

        Examples:
            >>> RevenueBasis.parse("arr:USD") == RevenueBasis.arr("USD")
            True
        """
        if not isinstance(text, str):
            raise ParameterError("text", "RevenueBasis.parse", "KIND:CURRENCY such as arr:USD", text)
        match = re.fullmatch(
            r"\s*(arr|mrr|acv|tcv)\s*:\s*([A-Za-z]{3})\s*", text, flags=re.IGNORECASE | re.ASCII
        )
        if not match:
            raise ParameterError("text", "RevenueBasis.parse", "KIND:CURRENCY such as arr:USD", text)
        return cls(BasisKind(match[1].lower()), match[2].upper())

    @property
    def is_run_rate(self) -> bool:
        """ARR and MRR are run rates at an instant; ACV and TCV are values of whole contracts."""
        return self.kind in (BasisKind.ARR, BasisKind.MRR)

    @property
    def name(self) -> str:
        """``ARR (USD)`` and the like."""
        return f"{self.kind.name} ({self.currency})"

    def __str__(self) -> str:
        return self.name

    def rate(self, currency: str) -> Decimal | None:
        """The FX rate from ``currency`` to the basis currency, 1 for the basis currency itself."""
        if currency == self.currency:
            return Decimal(1)
        for code, rate in self.fx_rates:  # a few pairs: a scan, with no mapping built per call
            if code == currency:
                return rate
        return None

    def convert(self, amount: Decimal, currency: str, where: str = "") -> Decimal:
        """``amount`` in ``currency`` expressed in the basis currency.

        Raises:
            CurrencyMismatchError: ``currency`` is neither the basis currency nor in ``fx_rates``.
        """
        rate = self.rate(currency)
        if rate is None:
            raise CurrencyMismatchError(currency, self.currency, where)
        return amount if currency == self.currency else amount * rate

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, rates as decimal strings.

        Examples:
            >>> RevenueBasis.tcv("EUR", fx_rates={"USD": Decimal("0.91")}).to_dict()
            {'kind': 'tcv', 'currency': 'EUR', 'fx_rates': {'USD': '0.91'}}
        """
        return {
            "kind": self.kind.value,
            "currency": self.currency,
            "fx_rates": {code: str(rate) for code, rate in self.fx_rates},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RevenueBasis:
        """Inverse of `to_dict`; ``fx_rates`` may be left out.

        Raises:
            ParameterError: an entry is missing, the kind is unknown, or a rate is not a positive decimal.
        """
        where = "RevenueBasis.from_dict"
        raw_kind = _field(data, "kind", where)
        try:
            kind = BasisKind(raw_kind)
        except ValueError:
            kinds = ", ".join(repr(k.value) for k in BasisKind)
            raise ParameterError("kind", where, f"one of {kinds}", raw_kind) from None
        return cls(kind, _field(data, "currency", where), data.get("fx_rates"))
