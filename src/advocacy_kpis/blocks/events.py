"""Records stamped in the window: counts, sums, money and categories over them.

`Events` is the block of every metric whose population is the records of one collection stamped
in W (CSAT answers, feedback, mentions, QBRs, reviews, opportunities, contracts, requests...).
A record joins its cells through the window its instant falls in and the segments of its
profile: its account's, or its own ``attributes`` (``own=True``, or a record with no account).
What it adds is declared with expressions (`advocacy_kpis.blocks.field`), read by both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual
from advocacy_kpis.blocks._state import ADD, ADD_KEYS
from advocacy_kpis.blocks.cohorts import AccountSet, members_of
from advocacy_kpis.data import COLLECTIONS, EVENT_TIME, AdvocacyData, contract_value
from advocacy_kpis.expr import Env, Expr, Marks, compile_python, lit
from advocacy_kpis.records import Contract
from advocacy_kpis.scope import BasisKind, RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun


def from_micros(value: int) -> datetime:
    """An instant from microseconds since the epoch, in UTC."""
    return _EPOCH + timedelta(microseconds=value)


def plain(value: Any) -> Any:
    """A category value from a backend as the records hold it."""
    from advocacy_kpis.engines import plain as plain_value

    return plain_value(value)


def decimal_of(value: Any) -> Decimal:
    """A backend's sum as an exact Decimal."""
    from advocacy_kpis.engines import decimal_of as exact

    return exact(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

__all__ = ["Amount", "EventState", "Events", "FirstContract", "FirstTouch", "Renewed", "env_of"]


# -- records singled out by a rule across records ----------------------------------------------------


@attrs.frozen
class FirstTouch(Marks):
    """The referrals that are the first touch of the account they converted: among the referrals
    naming one converted account, the earliest invitation (ties: the lower id)."""

    collection: str = "referrals"

    def ids(self, data: AdvocacyData) -> frozenset[str]:
        return data.first_touches()

    def frame(self, tables: TablesRun) -> Any:
        nw = tables.nw
        referrals = tables.frame("referrals")
        if "converted_account_id" not in tables.engine.columns("referrals"):
            return referrals.head(0).select("id")  # no referral names an account it converted
        named = referrals.filter(~nw.col("converted_account_id").is_null())
        earliest = named.group_by("converted_account_id").agg(nw.col("invited_at").min().alias("_t"))
        return (
            named.join(earliest, on="converted_account_id", how="inner")
            .filter(nw.col("invited_at") == nw.col("_t"))
            .group_by("converted_account_id")
            .agg(nw.col("id").min().alias("id"))
            .select("id")
        )


@attrs.frozen
class FirstContract(Marks):
    """The contracts that are an account's first: they renew nothing and start at the earliest
    start among the account's contracts (several signed together then are all first)."""

    collection: str = "contracts"

    def ids(self, data: AdvocacyData) -> frozenset[str]:
        return data.first_contracts()

    def frame(self, tables: TablesRun) -> Any:
        nw = tables.nw
        contracts = tables.frame("contracts")
        earliest = contracts.group_by("account_id").agg(nw.col("start").min().alias("_t"))
        first = contracts.join(earliest, on="account_id", how="inner").filter(nw.col("start") == nw.col("_t"))
        if "renewal_of" in tables.engine.columns("contracts"):
            first = first.filter(nw.col("renewal_of").is_null())
        return first.select("id")


@attrs.frozen
class Renewed(Marks):
    """The contracts that another contract renews (some contract's ``renewal_of`` names them)."""

    collection: str = "contracts"

    def ids(self, data: AdvocacyData) -> frozenset[str]:
        return data.renewed_contracts()

    def frame(self, tables: TablesRun) -> Any:
        nw = tables.nw
        contracts = tables.frame("contracts")
        if "renewal_of" not in tables.engine.columns("contracts"):
            return contracts.filter(nw.col("id").is_null()).select("id")
        return contracts.filter(~nw.col("renewal_of").is_null()).select(nw.col("renewal_of").alias("id"))


def env_of(run: Run[Records], *exprs: Expr | None) -> Env:
    """The environment the expressions of a Python tally read (parameters, as_of, marked records)."""
    marks: set[Marks] = set()
    for expr in exprs:
        if expr is not None:
            marks |= expr.marks_read()
    records = run.context
    found: dict[Marks, frozenset[str]] = {}
    for marks_ in marks:
        found[marks_] = records.cached(("marked", marks_), partial(marks_.ids, records.data))
    return Env(run.params, records.data.as_of, found)


TRUE: Final = lit(True)
"""The condition of a count or money sum declared with none: every record."""


# -- money ----------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Amount:
    """How a record's money is read: its amount and currency, converted to the basis currency.

    Args:
        amount: the amount (a Decimal field).
        currency: the currency (a text field).
        contract: the record is a contract, valued on the run's basis: ARR or MRR (summed as ARR,
            stated as MRR once per cell by the finish), ACV (first-year value) or TCV (whole
            term).
    """

    amount: Expr
    currency: Expr
    contract: bool = False

    def field_name(self) -> str:
        """The money column the amount reads (a plain field)."""
        (name,) = self.amount.fields()
        return name

    def reader(self, run: Run[Records], env: Env) -> Callable[[Any], Decimal]:
        """A function of a record giving its value in the basis currency (annual form for MRR)."""
        basis = run.basis
        assert basis is not None
        if self.contract and basis.kind in (BasisKind.ACV, BasisKind.TCV):

            def value(record: Any) -> Decimal:
                return contract_value(record, basis)

            return value
        reading: RevenueBasis = annual(basis) if self.contract else basis
        read = compile_python([self.amount, self.currency], env)
        converts = {reading.currency, *(code for code, _ in reading.fx_rates)}

        def converted(record: Any) -> Decimal:
            amount, currency = read(record)
            if currency in converts:
                return reading.convert(amount, currency)
            # No rate: raises CurrencyMismatchError, naming the record (named only here).
            return reading.convert(amount, currency, f"{type(record).__name__} {record.id!r}")

        return converted


# -- the block --------------------------------------------------------------------------------------

Named = tuple[tuple[str, Expr | None], ...]


def _named(value: Mapping[str, Any] | tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    return tuple(value.items()) if isinstance(value, Mapping) else tuple(value)


@attrs.define
class EventState:
    """What the records of one cell add up to.

    Attributes:
        counts: per declared name, the records meeting its condition.
        sums: per declared name, the sum of an integer value over the records.
        by: per declared name, the records by the value of a category.
        money: per declared name, the sum of an amount in the basis currency (ARR for MRR).
        accounts: the distinct accounts with at least one record (parts are whole accounts, so
            these add).
        outside: records in the window that meet ``outside_when`` but have no value for an
            attribute the segment reads (so are in no segment on it).
    """

    counts: dict[str, int] = attrs.field(factory=dict, metadata=ADD_KEYS)
    sums: dict[str, int] = attrs.field(factory=dict, metadata=ADD_KEYS)
    by: dict[str, dict[Any, int]] = attrs.field(factory=dict, metadata=ADD_KEYS)
    money: dict[str, Decimal] = attrs.field(factory=dict, metadata=ADD_KEYS)
    accounts: int = attrs.field(default=0, metadata=ADD)
    outside: int = attrs.field(default=0, metadata=ADD)


@attrs.frozen(eq=False)
class Events(Block[EventState]):
    """The records of one collection stamped in each window.

    Args:
        collection: the collection (``"surveys"``, ``"mentions"``...).
        time: the field whose instant places a record in a window (default: the collection's
            event time, `advocacy_kpis.data.EVENT_TIME`).
        where: only records meeting this condition are in the population.
        counts: name to condition (None: every record in the population).
        sums: name to an integer value summed over the records.
        by: name to a category; the records are counted by its value (a missing value is not
            counted: `Expr.when` leaves records out).
        money: name to ``(Amount, condition or None)``; needs a basis.
        accounts: count the distinct accounts with a record.
        own: segments match the records' own attributes, never their account's.
        only: only the records of these accounts count.
        outside_when: records meeting this condition that have no value for an attribute the
            segment reads are counted in ``outside`` (None: none are).
        uses: the metric parameters the expressions read.
    """

    collection: str
    time: str | None = None
    where: Expr | None = None
    counts: Named = attrs.field(default=(), converter=_named)
    sums: tuple[tuple[str, Expr], ...] = attrs.field(default=(), converter=_named)
    by: tuple[tuple[str, Expr], ...] = attrs.field(default=(), converter=_named)
    money: tuple[tuple[str, tuple[Amount, Expr | None]], ...] = attrs.field(default=(), converter=_named)
    accounts: bool = False
    own: bool = False
    only: AccountSet | None = None
    outside_when: Expr | None = None
    uses: tuple[str, ...] = ()  # type: ignore[misc]
    state: ClassVar = EventState

    @property
    def time_field(self) -> str:
        """The field that places a record in a window."""
        return self.time if self.time is not None else EVENT_TIME[COLLECTIONS[self.collection]]

    def weighs(self) -> bool:
        return bool(self.money)

    def expressions(self) -> list[Expr | None]:
        """Every expression the block reads."""
        found: list[Expr | None] = [self.where, self.outside_when]
        found += [e for _, e in self.counts] + [e for _, e in self.sums] + [e for _, e in self.by]
        for _, (amount, condition) in self.money:
            found += [amount.amount, amount.currency, condition]
        return found

    def on_records(self, run: Run[Records]) -> list[EventState]:
        grid, records = run.grid, run.context
        env = env_of(run, *self.expressions())
        kind = COLLECTIONS[self.collection]
        time = self.time_field
        rows: Sequence[Any] = (
            records.records(kind) if time == EVENT_TIME[kind] else records.data.collection(kind)
        )
        where = self.where.python(env) if self.where is not None else None
        accept = members_of(run, self.only)
        declared = self.money if run.basis is not None else ()
        # Every value of a record in one call, shared nodes computed once: counts' conditions,
        # sums, categories, money conditions, then outside_when (None where not declared).
        evaluate = compile_python(
            [e if e is not None else TRUE for _, e in self.counts]
            + [e for _, e in self.sums]
            + [e for _, e in self.by]
            + [c if c is not None else TRUE for _, (_, c) in declared]
            + [self.outside_when],
            env,
        )
        counts = [name for name, _ in self.counts]
        sums = [name for name, _ in self.sums]
        by = [name for name, _ in self.by]
        money = [(name, amount.reader(run, env)) for name, (amount, _) in declared]
        first_sum, first_by = len(counts), len(counts) + len(sums)
        first_money = first_by + len(by)
        checks_outside = self.outside_when is not None
        profile_of = records.own_profile if self.own else records.record_profile
        slot, start, end = grid.slot, grid.start, grid.end
        # Records are counted by (slot, values): most share their values, so each adds one to a
        # counter and the states are written once per distinct group after the loop.
        groups: dict[tuple[int, tuple[Any, ...]], int] = {}
        amounts: dict[tuple[int, int], Decimal] = {}
        outside: dict[tuple[int, int], int] = {}
        seen: set[tuple[str, int]] = set()
        distinct: dict[tuple[int, int], int] = {}
        for record in rows:
            instant = getattr(record, time)
            if instant is None or not start <= instant < end:
                continue
            if where is not None and where(record) is not True:
                continue
            account_id = getattr(record, "account_id", None)
            if accept is not None and (account_id is None or not accept(account_id)):
                continue
            profile = profile_of(record)
            key = slot(instant, profile)
            if key < 0:
                continue
            values = evaluate(record)
            if checks_outside and values[-1] is True and grid.outside_segments(profile):
                k = (profile, key)
                outside[k] = outside.get(k, 0) + 1
            group = (key, values)
            groups[group] = groups.get(group, 0) + 1
            for i, (_, reader) in enumerate(money, first_money):
                if values[i] is True:
                    held = (key, i)
                    amounts[held] = amounts.get(held, Decimal(0)) + reader(record)
            if self.accounts and account_id is not None:
                for w in grid.windows_at(instant):
                    if (account_id, w) not in seen:
                        seen.add((account_id, w))
                        k = (w, profile)
                        distinct[k] = distinct.get(k, 0) + 1
        tallies: dict[int, EventState] = {}
        for (key, values), n in groups.items():
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = EventState()
            for i, name in enumerate(counts):
                if values[i] is True:
                    tally.counts[name] = tally.counts.get(name, 0) + n
            for i, name in enumerate(sums, first_sum):
                if values[i] is not None:
                    tally.sums[name] = tally.sums.get(name, 0) + values[i] * n
            for i, name in enumerate(by, first_by):
                label = values[i]
                if label is not None:
                    found = tally.by.setdefault(name, {})
                    found[label] = found.get(label, 0) + n
        for (key, i), amount in amounts.items():
            name = money[i - first_money][0]
            tallies[key].money[name] = tallies[key].money.get(name, Decimal(0)) + amount
        return spread_events(run, tallies, outside, distinct)

    def on_tables(self, run: Run[TablesRun]) -> list[EventState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        if not tables.has(self.collection):
            return [EventState() for _ in range(grid.n_cells)]
        env = tables.env(run.params)
        table = tables.table(self.collection)
        frame = tables.with_marks(tables.frame(self.collection), self.expressions())
        if self.where is not None:
            frame = frame.filter(self.where.narwhals(table, env).fill_null(False))
        if self.only is not None:
            frame = frame.filter(~nw.col("account_id").is_null()).join(
                self.only.frame(tables), left_on="account_id", right_on="_acc", how="semi"
            )
        # Every value is computed first, on the record's own columns, so only plain columns reach
        # the joins (Arrow cannot carry a list column through one).
        picked: dict[str, Any] = {"_t": table.column(self.time_field)}
        if "account_id" in table.present:
            picked["account_id"] = nw.col("account_id")
        picked.update({name: nw.col(name) for name in tables.engine.extra_columns(self.collection)})
        values: dict[str, Any] = {}
        for i, (_, condition) in enumerate(self.counts):
            if condition is None:
                values[f"_c{i}"] = None
            else:
                picked[f"_c{i}"] = tables.indicator(condition.narwhals(table, env))
                values[f"_c{i}"] = nw.col(f"_c{i}")
        for i, (_, value) in enumerate(self.sums):
            picked[f"_s{i}"] = value.narwhals(table, env).fill_null(0).cast(nw.Int64)
            values[f"_s{i}"] = nw.col(f"_s{i}")
        if self.outside_when is not None:
            picked["_out"] = tables.indicator(self.outside_when.narwhals(table, env))
            values["_out"] = nw.col("_out")
        values["_rows"] = None
        money = self.money if run.basis is not None else ()
        contracts = bool(money) and any(amount.contract for _, (amount, _) in money)
        extra: list[str] = []
        valued = False
        if money:
            picked["_cur"] = money[0][1][0].currency.narwhals(table, env)
            extra.append("_cur")
            valued = contracts and run.basis is not None and run.basis.kind in (BasisKind.ACV, BasisKind.TCV)
            if valued:
                # A contract's first-year or whole-term value needs its calendar term: read each
                # distinct (start, end, arr, tcv) once and value it as the records do.
                picked.update(
                    {
                        "_cs": nw.col("start"),
                        "_ce": nw.col("end"),
                        "_ca": nw.col("arr"),
                        "_ct": table.column("tcv"),
                    }
                )
                extra += ["_cs", "_ce", "_ca", "_ct"]
            for i, (_, (amount, condition)) in enumerate(money):
                test = condition.narwhals(table, env).fill_null(False) if condition is not None else None
                if test is None:
                    values[f"_n{i}"] = None
                else:
                    picked[f"_n{i}"] = tables.indicator(test)
                    values[f"_n{i}"] = nw.col(f"_n{i}")
                if not valued:
                    reading = tables.money(self.collection, amount.field_name())
                    picked[f"_m{i}"] = reading if test is None else nw.when(test).then(reading)
                    values[f"_m{i}"] = nw.col(f"_m{i}")
        for j, (_, category) in enumerate(self.by):
            picked[f"_cat{j}"] = category.narwhals(table, env)
        frame = frame.select(*[e.alias(n) for n, e in picked.items()])
        frame = tables.with_record_profile(tables.in_grid(frame, "_t"), self.collection, self.own)
        keys = ["_k", *tables.attrs]
        na = len(tables.attrs)
        tallies: dict[int, EventState] = {}
        outside: dict[tuple[int, int], int] = {}
        currencies: dict[tuple[int, str, int], Decimal] = {}
        names = list(values)
        for row in tables.grouped(frame, keys + extra, values):
            k, profile_values = row[0], row[1 : 1 + na]
            found = dict(zip(names, row[1 + na + len(extra) :], strict=True))
            key = tables.slot(k, profile_values)
            part = tallies.get(key)
            if part is None:
                part = tallies[key] = EventState()
            for i, (name, _) in enumerate(self.counts):
                n = int(found[f"_c{i}"] or 0)
                if n:
                    part.counts[name] = part.counts.get(name, 0) + n
            for i, (name, _) in enumerate(self.sums):
                part.sums[name] = part.sums.get(name, 0) + int(found[f"_s{i}"] or 0)
            if self.outside_when is not None and found["_out"]:
                pid = tables.pid(profile_values)
                outside[(pid, key)] = outside.get((pid, key), 0) + int(found["_out"])
            if money:
                currency_ = str(row[1 + na])
                for i in range(len(money)):
                    met = found[f"_n{i}"] if found[f"_n{i}"] is not None else found["_rows"]
                    if not met:
                        continue
                    if valued:
                        total = _table_contract_value(row[2 + na : 6 + na], currency_, run) * int(met)
                    else:
                        total = decimal_of(found[f"_m{i}"])
                    currencies[(key, currency_, i)] = currencies.get((key, currency_, i), Decimal(0)) + total
        if money:
            assert run.basis is not None
            for (key, currency_, i), amount_ in currencies.items():
                name, (amount, _) = money[i]
                reading_basis = annual(run.basis) if amount.contract else run.basis
                converted = tables.convert(
                    {currency_: amount_}, reading_basis, self.collection, tables.first_in_currency
                )
                part = tallies[key]
                part.money[name] = part.money.get(name, Decimal(0)) + converted
        for j, (name, _) in enumerate(self.by):
            counted = frame.filter(~nw.col(f"_cat{j}").is_null())
            for row in tables.grouped(counted, [*keys, f"_cat{j}"], {"n": None}):
                key = tables.slot(row[0], row[1 : 1 + na])
                part = tallies.get(key)
                if part is None:
                    part = tallies[key] = EventState()
                held = part.by.setdefault(name, {})
                label = plain(row[1 + na])
                held[label] = held.get(label, 0) + int(row[-1])
        out = spread_events(run, tallies, outside, {})
        if self.accounts:
            pairs = (
                frame.filter(~nw.col("account_id").is_null())
                .pipe(tables.distinct, ["account_id", "_k", *tables.attrs])
                .join(tables.cover().select("_k", "_w"), on="_k", how="inner")
                .pipe(tables.distinct, ["account_id", "_w", *tables.attrs])
            )
            for c, n in enumerate(tables.window_counts(pairs)):
                out[c].accounts = n
        return out


def _table_contract_value(fields: Sequence[Any], currency: str, run: Run[TablesRun]) -> Decimal:
    """One contract's value on an ACV or TCV basis, from (start, end, arr, tcv) as the tables hold
    them, converted to the basis currency as the records would be."""
    start, end, arr, tcv = fields
    assert run.basis is not None
    contract = Contract(
        id="_", account_id="_", start=from_micros(int(start)), end=from_micros(int(end)),
        arr=decimal_of(arr), currency=currency, tcv=None if tcv is None else decimal_of(tcv),
    )  # fmt: skip
    return contract_value(contract, RevenueBasis(run.basis.kind, currency))


def spread_events(
    run: Run[Any],
    tallies: Mapping[int, EventState],
    outside: Mapping[tuple[int, int], int],
    distinct: Mapping[tuple[int, int], int],
) -> list[EventState]:
    """Per cell, the slot tallies of every slot it covers, with the outside and distinct counts.

    ``tallies`` are by slot (`Grid.slot`), ``outside`` by (profile, slot) and ``distinct`` by
    (window, profile).
    """
    grid = run.grid
    out = [EventState() for _ in range(grid.n_cells)]
    ns = grid.n_segments
    for key, part in tallies.items():
        profile, k = grid.slot_parts(key)
        for w in grid.stretches[k]:
            for s in grid.profile_segments(profile):
                _add(out[w * ns + s], part)
    for (profile, key), n in outside.items():
        _, k = grid.slot_parts(key)
        for w in grid.stretches[k]:
            for s in grid.outside_segments(profile):
                out[w * ns + s].outside += n
    for (w, profile), n in distinct.items():
        for s in grid.profile_segments(profile):
            out[w * ns + s].accounts += n
    return out


def _add(into: EventState, part: EventState) -> None:
    for name, n in part.counts.items():
        into.counts[name] = into.counts.get(name, 0) + n
    for name, n in part.sums.items():
        into.sums[name] = into.sums.get(name, 0) + n
    for name, found in part.by.items():
        held = into.by.setdefault(name, {})
        for label, n in found.items():
            held[label] = held.get(label, 0) + n
    for name, amount in part.money.items():
        into.money[name] = into.money.get(name, Decimal(0)) + amount
