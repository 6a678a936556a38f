"""Building blocks: the populations and measures every metric is declared from.

Each block tallies one population over every cell of a grid at once, with a Python side for
`AdvocacyData` and a narwhals side for `advocacy_kpis.engines.Tables`, written side by side:

* `Cohorts`: the customer sets of each window (S, E, N, churned, active), weighed by revenue.

Measures (`advocacy_kpis.blocks.measures`) turn a cell's tallies into its result. Tally states
are typed (`advocacy_kpis.blocks._state`), each accumulator declaring how two parts merge.
"""

from advocacy_kpis.blocks import measures
from advocacy_kpis.blocks._base import (
    Block,
    Context,
    DataSource,
    Records,
    Run,
    annual,
    as_names,
    on_basis,
)
from advocacy_kpis.blocks._cell import (
    SMALL_SAMPLE,
    SMALL_SAMPLE_NOTE,
    Cell,
    check_args,
    scope_warnings,
    unrecorded_note,
    unsegmented_note,
)
from advocacy_kpis.blocks._params import CONFIDENCE, MAX_DAYS, checked, choice, days
from advocacy_kpis.blocks._state import ADD, ADD_KEYS, CONCAT, SAME, Merge, check_state, merge
from advocacy_kpis.blocks.answers import AnswerState, LatestAnswers
from advocacy_kpis.blocks.cohorts import (
    ICP,
    ICP_UNRECORDED,
    MEMBERS,
    WEIGHTS_AT,
    AccountSet,
    AccountsWhere,
    Cohorts,
    CohortState,
    Referred,
    is_customer_at,
)
from advocacy_kpis.blocks.durations import AccountDurations, DurationState, RecordDurations
from advocacy_kpis.blocks.events import Amount, Events, EventState, FirstContract, FirstTouch, Renewed
from advocacy_kpis.blocks.hits import Hits, HitState, Source
from advocacy_kpis.blocks.members import ADVOCACY_EVENTS, Community, CommunityState, Pool, PoolState
from advocacy_kpis.blocks.runrates import (
    MOVEMENT_COUNTS,
    MOVEMENT_FIELDS,
    UNBILLED,
    MovementState,
    RunRates,
    movements,
    unbilled_note,
)
from advocacy_kpis.expr import Expr, as_of, days_of, field, lit, marked, param

__all__ = [
    "ADD",
    "ADD_KEYS",
    "ADVOCACY_EVENTS",
    "CONCAT",
    "CONFIDENCE",
    "ICP",
    "ICP_UNRECORDED",
    "MAX_DAYS",
    "MEMBERS",
    "MOVEMENT_COUNTS",
    "MOVEMENT_FIELDS",
    "SAME",
    "SMALL_SAMPLE",
    "SMALL_SAMPLE_NOTE",
    "UNBILLED",
    "WEIGHTS_AT",
    "AccountDurations",
    "AccountSet",
    "AccountsWhere",
    "Amount",
    "AnswerState",
    "Block",
    "Cell",
    "CohortState",
    "Cohorts",
    "Community",
    "CommunityState",
    "Context",
    "DataSource",
    "DurationState",
    "EventState",
    "Events",
    "Expr",
    "FirstContract",
    "FirstTouch",
    "HitState",
    "Hits",
    "LatestAnswers",
    "Merge",
    "MovementState",
    "Pool",
    "PoolState",
    "RecordDurations",
    "Records",
    "Referred",
    "Renewed",
    "Run",
    "RunRates",
    "Source",
    "annual",
    "as_names",
    "as_of",
    "check_args",
    "check_state",
    "checked",
    "choice",
    "days",
    "days_of",
    "field",
    "is_customer_at",
    "lit",
    "marked",
    "measures",
    "merge",
    "movements",
    "on_basis",
    "param",
    "scope_warnings",
    "unbilled_note",
    "unrecorded_note",
    "unsegmented_note",
]
