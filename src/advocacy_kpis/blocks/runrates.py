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
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual, on_basis
from advocacy_kpis.blocks._state import counts_by, state
from advocacy_kpis.formulas import account_revenue_change
from advocacy_kpis.scope import RevenueBasis

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["MOVEMENT_COUNTS", "MOVEMENT_FIELDS", "MovementState", "RunRates", "movements"]

MOVEMENT_FIELDS: Final = ("starting", "ending", "retained", "expansion", "contraction", "churned")
"""The sums of run rate, in the order results list them."""

MOVEMENT_COUNTS: Final = ("accounts", "expanded_accounts", "contracted_accounts", "churned_accounts")
"""The account counts beside them."""

SPANS: Final = ("window", "previous")


@state
class MovementState:
    """The run-rate movements of one cell's starting customers.

    Attributes:
        sums: ``starting``, ``retained``, ``expansion``, ``contraction``, ``churned`` in ARR on
            the basis currency.
        counts: ``accounts``, ``expanded_accounts``, ``contracted_accounts``, ``churned_accounts``.
    """

    sums: dict[str, Decimal] = counts_by()
    counts: dict[str, int] = counts_by()

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

    def spans(self, run: Run[object]) -> list[tuple[datetime, datetime]]:
        """Each window's span, in window order."""
        windows = run.grid.windows
        if self.span == "previous":
            windows = tuple(w.previous() for w in windows)
        return [(w.start, w.end) for w in windows]

    def on_records(self, run: Run[Records]) -> list[MovementState]:
        grid, records = run.grid, run.context
        assert run.basis is not None
        reading = annual(run.basis)
        spans = self.spans(run)  # type: ignore[arg-type]
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
                before, after = arr[start], arr[end]
                kept, gained = account_revenue_change(before, after)
                stays = account.is_customer_at(end)
                lost = before - kept
                for s in segments:
                    acc = out[i * ns + s]
                    _add(acc.counts, "accounts", 1)
                    _add(acc.sums, "retained", kept)
                    _add(acc.sums, "expansion", gained)
                    _add(acc.counts, "expanded_accounts", int(gained > 0))
                    if stays:
                        _add(acc.sums, "contraction", lost)
                        _add(acc.counts, "contracted_accounts", int(lost > 0))
                    else:
                        _add(acc.sums, "churned", lost)
                        _add(acc.counts, "churned_accounts", 1)
        return out

    def on_tables(self, run: TablesRun) -> list[MovementState]:
        return run.run_rates(self)


def _add(into: dict[str, object], name: str, value: object) -> None:
    into[name] = into.get(name, 0) + value  # type: ignore[operator]
