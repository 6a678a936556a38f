"""The customer cohorts of each window (S, E, N, churned, active), counted and weighed by revenue.

A customer at instant t is an account with ``customer_since < t`` and not churned before t
(``churned_at is None or churned_at >= t``): the catalogue's notation, written here once. The
cohorts of every cell come from each account's two instants against the sorted window bounds,
not from a scan per window. With a basis, each cohort set can be weighed: every member adds its
ARR at the instant that makes it a member (see `MEMBERS`).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual, as_names
from advocacy_kpis.blocks._state import ADD, ADD_KEYS
from advocacy_kpis.expr import Env, Expr, field
from advocacy_kpis.grid import Grid
from advocacy_kpis.records import Account
from advocacy_kpis.scope import RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = [
    "COHORT_SETS",
    "MEMBERS",
    "WEIGHTS_AT",
    "AccountSet",
    "AccountsWhere",
    "CohortState",
    "Cohorts",
    "Referred",
    "convert",
    "is_customer_at",
]


def is_customer_at(since: datetime, churned: datetime | None, instant: datetime) -> bool:
    """Whether an account is a customer at ``instant``: ``since < t`` and not churned before ``t``."""
    return since < instant and (churned is None or churned >= instant)


# -- sets of accounts --------------------------------------------------------------------------------


class AccountSet:
    """A set of accounts a block may be restricted to, found on records and tables alike."""

    def ids(self, records: Records) -> frozenset[str]:
        """The accounts' ids, from the records."""
        raise NotImplementedError

    def frame(self, run: TablesRun) -> Any:
        """A lazy frame of the accounts' ids (column ``_acc``), from the tables."""
        raise NotImplementedError


@attrs.frozen
class Referred(AccountSet):
    """Accounts acquired through a referral: ``acquisition_channel`` is ``"referral"``, or a
    referral names the account as ``converted_account_id``."""

    def ids(self, records: Records) -> frozenset[str]:
        return records.data.referred_accounts()

    def frame(self, run: TablesRun) -> Any:
        return run.referred()


@attrs.frozen(eq=False)
class AccountsWhere(AccountSet):
    """Accounts whose fields meet a condition (``field("icp") == True``)."""

    condition: Expr

    def ids(self, records: Records) -> frozenset[str]:
        test = self.condition.python(Env({}, records.data.as_of))
        return frozenset(a.id for a in records.data.accounts if test(a) is True)

    def frame(self, run: TablesRun) -> Any:
        return run.accounts_where(self.condition)


ICP: Final = AccountsWhere(field("icp") == True)  # noqa: E712  (an expression, not a comparison)
"""Accounts that fit the ideal customer profile."""

ICP_UNRECORDED: Final = AccountsWhere(field("icp").is_null())
"""Accounts that do not record whether they fit the ideal customer profile."""


def members_of(run: Run[Records], only: AccountSet | None) -> Callable[[str], bool] | None:
    """The membership test of ``only`` on account ids (None: every account)."""
    if only is None:
        return None
    ids = run.context.cached(("accounts", only), lambda: only.ids(run.context))
    return ids.__contains__


# -- money --------------------------------------------------------------------------------------------


def convert(amounts: Mapping[str, Decimal], basis: RevenueBasis, where: Callable[[str], str]) -> Decimal:
    """The sum of amounts by currency, each converted to the basis currency once.

    Args:
        amounts: sums by currency.
        basis: the basis whose currency and FX rates apply.
        where: for a currency without an FX rate, the record the error names.

    Raises:
        CurrencyMismatchError: a currency the basis has no rate for.
    """
    total = Decimal(0)
    for currency, amount in amounts.items():
        total += basis.convert(amount, currency, where(currency))
    return total


# -- cohorts ------------------------------------------------------------------------------------------

COHORT_SETS: Final = ("start", "end", "new", "retained", "active")

MemberInstant = Callable[[Grid, Account, int], "datetime | None"]
"""For an account and a window index: the instant the account weighs at, or None if not a member."""


def _at_start(grid: Grid, account: Account, w: int) -> datetime | None:
    start = grid.window_start(w)
    return start if account.is_customer_at(start) else None


def _at_end(grid: Grid, account: Account, w: int) -> datetime | None:
    end = grid.window_end(w)
    return end if account.is_customer_at(end) else None


def _retained_at_start(grid: Grid, account: Account, w: int) -> datetime | None:
    start, end = grid.window_start(w), grid.window_end(w)
    return start if account.is_customer_at(start) and account.is_customer_at(end) else None


def _new_at_last(grid: Grid, account: Account, w: int) -> datetime | None:
    if grid.window_start(w) <= account.customer_since < grid.window_end(w):
        return grid.last_customer_instant(account.churned_at, w)
    return None


def _active_at_last(grid: Grid, account: Account, w: int) -> datetime | None:
    if grid.is_active(account.customer_since, account.churned_at, w):
        return grid.last_customer_instant(account.churned_at, w)
    return None


MEMBERS: Final[Mapping[str, MemberInstant]] = {
    "start": _at_start,
    "end": _at_end,
    "retained": _retained_at_start,
    "new": _new_at_last,
    "active": _active_at_last,
}
"""How each cohort set weighs: S and S ∩ E at W.start, E at W.end, N and active-in-W at their
last instant in W as a customer."""

WEIGHTS_AT: Final[Mapping[str, str]] = {
    "start": "the start of the window",
    "end": "the end of the window",
    "retained": "the start of the window",
    "new": "each account's last instant as a customer in W",
    "active": "each account's last instant as a customer in W",
}
"""Where each cohort set's weights are read, as results say it."""


@attrs.define
class CohortState:
    """The cohort sizes of one cell, and with a basis their ARR on the basis' annual form.

    Attributes:
        start: |S|, customers at W.start.
        end: |E|, customers at W.end.
        new: |N|, accounts whose ``customer_since`` is in W.
        churned: accounts whose ``churned_at`` is in W.
        churned_from_start: |S \\ E|, members of S that churned in W.
        active: |S ∪ N|, accounts that were customers at some instant of W.
        weights: per weighed cohort set, the summed ARR of its members (see `MEMBERS`).
    """

    start: int = attrs.field(default=0, metadata=ADD)
    end: int = attrs.field(default=0, metadata=ADD)
    new: int = attrs.field(default=0, metadata=ADD)
    churned: int = attrs.field(default=0, metadata=ADD)
    churned_from_start: int = attrs.field(default=0, metadata=ADD)
    active: int = attrs.field(default=0, metadata=ADD)
    weights: dict[str, Decimal] = attrs.field(factory=dict, metadata=ADD_KEYS)

    @property
    def retained(self) -> int:
        """|S ∩ E|: the starting customers still there at the end."""
        return self.start - self.churned_from_start

    def counts(self) -> dict[str, int]:
        """The counts by the names results give them."""
        return {
            "start": self.start,
            "end": self.end,
            "new": self.new,
            "churned": self.churned,
            "retained": self.retained,
            "churned_from_start": self.churned_from_start,
            "active": self.active,
        }


@attrs.frozen(eq=False)
class Cohorts(Block[CohortState]):
    """S, E, N, churned, S \\ E and active-in-W of every cell, over all accounts or a set of them.

    Args:
        only: when given, only these accounts count.
        weigh: the cohort sets (`COHORT_SETS`) to weigh by ARR when the run has a basis.
    """

    only: AccountSet | None = None
    weigh: frozenset[str] = attrs.field(default=frozenset(), converter=as_names)
    state: ClassVar = CohortState

    def weighs(self) -> bool:
        return bool(self.weigh)

    def on_records(self, run: Run[Records]) -> list[CohortState]:
        grid, records = run.grid, run.context
        accept = members_of(run, self.only)
        states = records.cached(("cohorts", self.only), lambda: _cohorts(records, accept))
        out = [attrs.evolve(s, weights={}) for s in states]
        if run.basis is not None:
            for name in sorted(self.weigh):
                totals = records.cached(
                    ("weights", self.only, name, annual(run.basis)),
                    lambda name=name: _weights(run, MEMBERS[name], accept),  # type: ignore[misc]
                )
                for c in range(grid.n_cells):
                    out[c].weights[name] = totals[c]
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[CohortState]:
        tables = run.context
        counts = tables.cached(("cohorts", self.only), lambda: _table_cohorts(tables, self.only))
        out = [attrs.evolve(s, weights={}) for s in counts]
        if run.basis is not None:
            for name in sorted(self.weigh):
                totals = tables.cached(
                    ("weights", self.only, name, annual(run.basis)),
                    lambda name=name: _table_weights(run, name, self.only),
                )
                for c in range(run.grid.n_cells):
                    out[c].weights[name] = totals[c]
        return out


def _cohorts(records: Records, accept: Callable[[str], bool] | None) -> list[CohortState]:
    grid = records.grid
    ns = grid.n_segments
    profiles = records.profiles()
    # By attribute profile, not by segment: each account is read once, and accounts of one
    # profile share their segments.
    since_by: dict[int, list[datetime]] = defaultdict(list)
    churn_by: dict[int, list[datetime]] = defaultdict(list)
    churned: list[tuple[Account, int]] = []
    for account in records.data.accounts:
        if accept is not None and not accept(account.id):
            continue
        profile = profiles[account.id]
        since_by[profile].append(account.customer_since)
        if account.churned_at is not None:
            churn_by[profile].append(account.churned_at)
            churned.append((account, profile))
    out = [CohortState() for _ in range(grid.n_cells)]
    left = bisect.bisect_left
    for profile, since in since_by.items():
        segments = grid.profile_segments(profile)
        if not segments:
            continue
        since.sort()
        churn = sorted(churn_by.get(profile, ()))
        for w, window in enumerate(grid.windows):
            since_before_start = left(since, window.start)
            since_before_end = left(since, window.end)
            churn_before_start = left(churn, window.start)
            churn_before_end = left(churn, window.end)
            for s in segments:
                cell = out[w * ns + s]
                # A customer at t: since < t <= churn; since <= churn always holds.
                cell.start += since_before_start - churn_before_start
                cell.end += since_before_end - churn_before_end
                cell.new += since_before_end - since_before_start
                cell.churned += churn_before_end - churn_before_start
                cell.active += since_before_end - churn_before_start
    for account, profile in churned:
        churn_at = account.churned_at
        assert churn_at is not None
        segments = grid.profile_segments(profile)
        for w in grid.windows_at(churn_at):
            if account.customer_since < grid.window_start(w):
                for s in segments:
                    out[w * ns + s].churned_from_start += 1
    return out


def _weights(run: Run[Records], member: MemberInstant, accept: Callable[[str], bool] | None) -> list[Decimal]:
    """Per cell, the summed ARR (annual form of the run's basis) of the members of a cohort set."""
    grid, records = run.grid, run.context
    assert run.basis is not None
    reading = annual(run.basis)
    ns = grid.n_segments
    totals = [Decimal(0)] * grid.n_cells
    for account in records.data.accounts:
        if accept is not None and not accept(account.id):
            continue
        segments = records.account_segments(account.id)
        if not segments:
            continue
        for w in range(len(grid.windows)):
            instant = member(grid, account, w)
            if instant is None:
                continue
            weight = records.data.arr_at(account.id, instant, reading)
            for s in segments:
                totals[w * ns + s] += weight
    return totals


# -- the tables side --------------------------------------------------------------------------------


def accounts_in(tables: TablesRun, only: AccountSet | None) -> Any:
    """The accounts frame of a run (`TablesRun.accounts`), restricted to ``only``."""
    accounts = tables.accounts()
    if only is None:
        return accounts
    return accounts.join(only.frame(tables), on="_acc", how="semi")


def _prefix(values: list[int]) -> list[int]:
    out, total = [], 0
    for value in values:
        total += value
        out.append(total)
    return out


def _prefix2(table: list[list[int]]) -> list[list[int]]:
    """``out[a][b]``: the sum of ``table[i][j]`` over ``i <= a`` and ``j <= b``."""
    rows = [_prefix(row) for row in table]
    out = [rows[0]]
    for row in rows[1:]:
        out.append([x + y for x, y in zip(out[-1], row, strict=True)])
    return out


def _table_cohorts(tables: TablesRun, only: AccountSet | None) -> list[CohortState]:
    """The cohort counts from a histogram of the accounts' (position of customer_since, position of
    churned_at, profile): a customer at a window bound is then a comparison of positions."""
    grid = tables.grid
    size = len(tables.bounds) + 2
    since: dict[int, list[int]] = {}
    churn: dict[int, list[int]] = {}
    joint: dict[int, list[list[int]]] = {}
    na = len(tables.attrs)
    for row in tables.grouped(accounts_in(tables, only), ["_ps", "_pc", *tables.attrs], {"n": None}):
        ps, pc, n = int(row[0]), int(row[1]), int(row[-1])
        pid = tables.pid(row[2 : 2 + na])
        if pid not in since:
            since[pid], churn[pid] = [0] * size, [0] * size
            joint[pid] = [[0] * size for _ in range(size)]
        since[pid][ps] += n
        churn[pid][pc] += n
        joint[pid][ps][pc] += n
    out = [CohortState() for _ in range(grid.n_cells)]
    ns = grid.n_segments
    for pid in since:
        s_le, c_le, both = _prefix(since[pid]), _prefix(churn[pid]), _prefix2(joint[pid])
        segments = grid.profile_segments(pid)
        for w in range(len(grid.windows)):
            js, je = tables.start_position(w), tables.end_position(w)
            start = s_le[js] - c_le[js]
            from_start = both[js][je] - both[js][js]
            for s in segments:
                cell = out[w * ns + s]
                cell.start += start
                cell.end += s_le[je] - c_le[je]
                cell.new += s_le[je] - s_le[js]
                cell.churned += c_le[je] - c_le[js]
                cell.churned_from_start += from_start
                cell.active += s_le[je] - c_le[js]
    return out


def _membership(tables: TablesRun, name: str) -> tuple[Any, Any]:
    """For the members of cohort set ``name`` in each window: the condition on an (account,
    window) row, and the bound index its weight is read at (the churn instant where null)."""
    nw = tables.nw
    ps, pc, js, je = nw.col("_ps"), nw.col("_pc"), nw.col("_js"), nw.col("_je")
    at_start = (ps <= js) & (pc > js)
    at_end = (ps <= je) & (pc > je)
    last = nw.when(pc <= je).then(nw.lit(None, dtype=nw.Int64())).otherwise(je)
    return {
        "start": (at_start, js),
        "end": (at_end, je),
        "retained": (at_start & at_end, js),
        "new": ((ps > js) & (ps <= je), last),
        "active": ((ps <= je) & (pc > js), last),
    }[name]


def _table_weights(run: Run[TablesRun], name: str, only: AccountSet | None) -> list[Decimal]:
    """Per cell, the summed ARR (annual form) of the members of a cohort set, where they weigh."""
    tables = run.context
    nw = tables.nw
    assert run.basis is not None
    reading = annual(run.basis)
    condition, bound = _membership(tables, name)
    members = (
        accounts_in(tables, only)
        .join(tables.window_positions(), how="cross")
        .filter(condition)
        .with_columns(bound.alias("_i"))
    )
    at_bounds = members.filter(~nw.col("_i").is_null()).join(
        tables.rates_at_bounds(), on=["_acc", "_i"], how="inner"
    )
    at_churn = members.filter(nw.col("_i").is_null()).join(tables.rates_at_churn(), on="_acc", how="inner")
    return tables.window_money([at_bounds, at_churn], reading)
