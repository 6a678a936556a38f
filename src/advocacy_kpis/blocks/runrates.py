"""How the run rate of the customers at a span's start moved by its end: the revenue movements.

`RunRates` reads, for each account in S (a customer at the span's start), its ARR at the start
and at the end, and adds to its cells: ``starting``, ``ending``, ``retained`` (the lower of the
two), ``expansion`` (any rise), ``contraction`` (the fall of an account still a customer at the
end) and ``churned`` (the fall of one that is not), with the matching account counts. Expansion
revenue, its growth rate, gross and net revenue retention all read these sums, so
``ending = retained + expansion`` and ``starting = retained + contraction + churned`` hold
exactly (`movements`). Sums are taken in ARR and stated on the basis once per cell.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual, on_basis
from advocacy_kpis.blocks._state import ADD_KEYS
from advocacy_kpis.blocks.events import decimal_of
from advocacy_kpis.formulas import account_revenue_change
from advocacy_kpis.scope import RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = [
    "MOVEMENT_COUNTS",
    "MOVEMENT_FIELDS",
    "UNBILLED",
    "MovementState",
    "RunRates",
    "movements",
    "unbilled_note",
]

MOVEMENT_FIELDS: Final = ("starting", "ending", "retained", "expansion", "contraction", "churned")
"""The sums of run rate, in the order results list them."""

MOVEMENT_COUNTS: Final = ("accounts", "expanded_accounts", "contracted_accounts", "churned_accounts")
"""The account counts beside them."""

UNBILLED: Final = "unbilled_accounts"
"""The count of starting customers with no run rate at the start (no live contract then): a sign
that the contract history begins after the span's start."""

SPANS: Final = ("window", "previous")


@attrs.define
class MovementState:
    """The run-rate movements of one cell's starting customers.

    Attributes:
        sums: ``starting``, ``retained``, ``expansion``, ``contraction``, ``churned`` in ARR on
            the basis currency.
        counts: ``accounts``, ``expanded_accounts``, ``contracted_accounts``, ``churned_accounts``
            and `UNBILLED`.
    """

    sums: dict[str, Decimal] = attrs.field(factory=dict, metadata=ADD_KEYS)
    counts: dict[str, int] = attrs.field(factory=dict, metadata=ADD_KEYS)

    def count(self, name: str) -> int:
        """One of `MOVEMENT_COUNTS` (0 when no account added to it)."""
        return self.counts.get(name, 0)


def movements(state_: MovementState, basis: RevenueBasis) -> dict[str, Decimal]:
    """The sums of `MOVEMENT_FIELDS` stated on ``basis``, with the two identities exact.

    Each part is stated on the basis once (MRR: divided by 12 once); ``ending`` and ``starting``
    are rebuilt from the stated parts, so ``ending = retained + expansion`` and
    ``starting = retained + contraction + churned`` hold after the division too.
    """
    parts = {name: on_basis(state_.sums.get(name, Decimal(0)), basis) for name in MOVEMENT_FIELDS[2:]}
    return {
        "starting": parts["retained"] + parts["contraction"] + parts["churned"],
        "ending": parts["retained"] + parts["expansion"],
        **parts,
    }


@attrs.frozen(eq=False)
class RunRates(Block[MovementState]):
    """The run-rate movements over each window (``span="window"``) or the period before it
    (``span="previous"``: `Window.previous`), of the customers at its start."""

    span: str = "window"
    state: ClassVar = MovementState

    def weighs(self) -> bool:
        return True

    def spans(self, run: Run[Any]) -> list[tuple[datetime, datetime]]:
        """Each window's span, in window order."""
        windows = run.grid.windows
        if self.span == "previous":
            windows = tuple(w.previous() for w in windows)
        return [(w.start, w.end) for w in windows]

    def on_records(self, run: Run[Records]) -> list[MovementState]:
        grid, records = run.grid, run.context
        assert run.basis is not None
        reading = annual(run.basis)
        spans = self.spans(run)
        data = records.data
        ns = grid.n_segments
        order = sorted(range(len(spans)), key=lambda i: spans[i][0])
        starts = [spans[i][0] for i in order]
        out = [MovementState() for _ in range(grid.n_cells)]
        for account in data.accounts:
            segments = records.account_segments(account.id)
            if not segments:
                continue
            # In S of a span when customer_since < start <= churned_at.
            low = bisect.bisect_right(starts, account.customer_since)
            churned = account.churned_at
            high = len(starts) if churned is None else bisect.bisect_right(starts, churned)
            arr: dict[datetime, Decimal] = {}
            for k in range(low, high):
                i = order[k]
                start, end = spans[i]
                for instant in (start, end):
                    if instant not in arr:
                        arr[instant] = data.arr_at(account.id, instant, reading)
                stays = account.is_customer_at(end)
                for s in segments:
                    _add_account(out[i * ns + s], arr[start], arr[end], stays)
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[MovementState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        assert run.basis is not None
        reading = annual(run.basis)
        spans = self.spans(run)
        span_frame = tables.engine.small(
            {
                "_w": list(range(len(spans))),
                "_s": [tables.micros(start) for start, _ in spans],
                "_e": [tables.micros(end) for _, end in spans],
            }
        )
        accounts = tables.accounts()
        churn = nw.col("_churn")
        starting = (
            accounts.join(span_frame, how="cross")
            .filter((nw.col("_since") < nw.col("_s")) & (churn.is_null() | (churn >= nw.col("_s"))))
            .with_columns(
                ((nw.col("_since") < nw.col("_e")) & (churn.is_null() | (churn >= nw.col("_e")))).alias(
                    "_stays"
                )
            )
        )
        contracts = tables.contracts()

        def rate_at(bound: str, name: str) -> Any:
            live = starting.select("_acc", "_w", bound).join(contracts, on="_acc", how="inner")
            live = live.filter((nw.col("_start") < nw.col(bound)) & (nw.col(bound) <= nw.col("_end")))
            return live.group_by("_acc", "_w", "currency").agg(nw.col("_arr").sum().alias(name))

        at_start, at_end = rate_at("_s", "_before"), rate_at("_e", "_after")
        keys = ["_acc", "_w", "currency"]
        both = nw.concat(
            [
                at_start.with_columns(
                    nw.lit(None, dtype=at_start.collect_schema()["_before"]).alias("_after")
                ),
                at_end.with_columns(
                    nw.lit(None, dtype=at_end.collect_schema()["_after"]).alias("_before")
                ).select(*keys, "_before", "_after"),
            ],
            how="vertical",
        )
        # A side with no live contract stays null (Polars would sum it to 0).
        by_currency = (
            both.group_by(*keys)
            .agg(
                nw.col("_before").sum(),
                nw.col("_after").sum(),
                nw.col("_before").count().alias("_nb"),
                nw.col("_after").count().alias("_na"),
            )
            .with_columns(
                nw.when(nw.col("_nb") > 0).then(nw.col("_before")).alias("_before"),
                nw.when(nw.col("_na") > 0).then(nw.col("_after")).alias("_after"),
            )
        )
        currencies = by_currency.group_by("_acc", "_w").agg(nw.len().alias("_nc"))
        rows = (
            starting.select("_acc", "_w", "_stays", *tables.attrs)
            .join(currencies, on=["_acc", "_w"], how="left")
            .join(by_currency, on=["_acc", "_w"], how="left")
        )
        single = rows.filter(nw.col("_nc").is_null() | (nw.col("_nc") == 1))
        several = rows.filter(nw.col("_nc") > 1)
        out = [MovementState() for _ in range(grid.n_cells)]
        ns, na = grid.n_segments, len(tables.attrs)
        # One currency (or none) per account: the movements are taken in that currency, then
        # converted once; a rate is positive, so min and max commute with it.
        # A side with no live contract is a null here and Decimal(0) on the records, so a sum over
        # accounts without revenue comes out as the records' Decimal(0), not as 0.00.
        # One digit narrower than a sum may be, so a difference of two still fits 38 digits.
        scale = contracts.collect_schema()["_arr"].scale
        raw_before = nw.col("_before").cast(nw.Decimal(37, scale))
        raw_after = nw.col("_after").cast(nw.Decimal(37, scale))
        before, after = raw_before.fill_null(0), raw_after.fill_null(0)
        least = nw.when(before <= after).then(before).otherwise(after)
        kept = (
            nw.when(raw_before.is_null() | (raw_after.is_null() & (before > 0))).then(None).otherwise(least)
        )
        gained = nw.when(after > before).then(after - before)
        lost = nw.when(raw_before.is_null()).then(None).otherwise(before - kept.fill_null(0))
        stays = nw.col("_stays")
        values = {
            "accounts": None,
            "retained": kept,
            "expansion": gained,
            "expanded_accounts": tables.indicator(after > before),
            "contraction": nw.when(stays).then(lost),
            "contracted_accounts": tables.indicator(stays & (lost > 0)),
            "churned": nw.when(~stays).then(lost),
            "churned_accounts": tables.indicator(~stays),
            UNBILLED: tables.indicator(before == 0),
        }
        money_names = ("retained", "expansion", "contraction", "churned")
        # Polars sums an all-null column to 0: how many values were summed tells an empty sum apart.
        values.update({f"{name}_n": tables.indicator(~values[name].is_null()) for name in money_names})
        names = list(values)
        for row in tables.grouped(single, ["_w", *tables.attrs, "currency"], values):
            w, pid, currency = int(row[0]), tables.pid(row[1 : 1 + na]), row[1 + na]
            found = dict(zip(names, row[2 + na :], strict=True))
            for s in grid.profile_segments(pid):
                cell = out[w * ns + s]
                for name in (*MOVEMENT_COUNTS, UNBILLED):
                    _add(cell.counts, name, int(found[name] or 0))
                for name in money_names:
                    if not found[f"{name}_n"]:
                        continue
                    amount = tables.convert(
                        {currency: decimal_of(found[name])}, reading, "contracts", tables.first_in_currency
                    )
                    _add(cell.sums, name, amount)
        # Several currencies: the account's run rates are converted and compared in Python.
        per_account: dict[tuple[str, int], list[Any]] = {}
        for row in tables.engine.rows(
            several.select("_acc", "_w", "_stays", *tables.attrs, "currency", "_before", "_after")
        ):
            held = per_account.setdefault(
                (row[0], int(row[1])), [bool(row[2]), row[3 : 3 + na], Decimal(0), Decimal(0)]
            )
            currency = str(row[3 + na])
            for side, value in ((2, row[4 + na]), (3, row[5 + na])):
                # A side with no live contract in this currency adds nothing, as on the records.
                if value is not None:
                    held[side] += tables.convert(
                        {currency: decimal_of(value)}, reading, "contracts", tables.first_in_currency
                    )
        for (_, w), (stays_, values_, before_, after_) in per_account.items():
            for s in grid.profile_segments(tables.pid(values_)):
                _add_account(out[w * ns + s], before_, after_, stays_)
        return out


def unbilled_note(state_: MovementState, start: datetime) -> list[str]:
    """The warning that some starting customers had no run rate at the start, or none.

    Their whole run rate at the end then reads as expansion, and the starting revenue is short
    of what they paid: most often the contract history begins after the start.
    """
    unbilled, accounts = state_.count(UNBILLED), state_.count("accounts")
    if not unbilled:
        return []
    return [
        f"{unbilled} of {accounts} customers at the start ({start.isoformat()}) had no live contract then "
        "(a run rate of 0): what they pay at the end counts as expansion, not as retained revenue; check "
        "that the contract history covers the start"
    ]


def _add(into: dict[str, Any], name: str, value: Any) -> None:
    into[name] = into.get(name, 0) + value


def _add_account(cell: MovementState, before: Decimal, after: Decimal, stays: bool) -> None:
    """Add one account's movement over a span to ``cell``: its run rate ``before`` and ``after``,
    and whether it is still a customer at the end (what it lost is contraction, else churn)."""
    kept, gained = account_revenue_change(before, after)
    lost = before - kept
    _add(cell.counts, "accounts", 1)
    _add(cell.counts, UNBILLED, int(before == 0))
    _add(cell.sums, "retained", kept)
    _add(cell.sums, "expansion", gained)
    _add(cell.counts, "expanded_accounts", int(gained > 0))
    if stays:
        _add(cell.sums, "contraction", lost)
        _add(cell.counts, "contracted_accounts", int(lost > 0))
    else:
        _add(cell.sums, "churned", lost)
        _add(cell.counts, "churned_accounts", 1)
