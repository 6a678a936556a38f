"""The latest answer of each respondent in the window, to one or several survey questions.

`LatestAnswers` is the population of relationship surveys (NPS, the loyalty index): each
respondent (``respondent_id`` within its account, else the account) counts once per window, with
its latest answer to each question there (at one instant, the higher score). A cell's state counts
the respondents by their *pattern*: the tuple of their latest scores, one per question (None
where they did not answer it), so any summary of the answers (groups, means, who answered all)
is read from it, and tallies of parts of the records add.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual
from advocacy_kpis.blocks._state import count, counts_by, state
from advocacy_kpis.records import SurveyKind

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["AnswerState", "LatestAnswers", "Pattern"]

Pattern = tuple[int | None, ...]
"""A respondent's latest score to each question, in the block's order (None: not answered)."""


@state
class AnswerState:
    """The respondents of one cell by their pattern of latest scores.

    Attributes:
        answers: every answer to the questions given in the window (repeats included).
        patterns: respondents by pattern.
        weights: with a basis, the summed ARR (annual form) at W.end of each pattern's
            respondents' accounts.
    """

    answers: int = count()
    patterns: dict[Pattern, int] = counts_by()
    weights: dict[Pattern, Decimal] = counts_by()

    @property
    def respondents(self) -> int:
        """The respondents, each once."""
        return sum(self.patterns.values())

    @property
    def kept(self) -> int:
        """The answers kept: one per respondent and question."""
        return sum(n * sum(score is not None for score in pattern) for pattern, n in self.patterns.items())


@attrs.frozen(eq=False)
class LatestAnswers(Block[AnswerState]):
    """Each respondent's latest score to each of ``kinds`` in each window.

    Args:
        kinds: the questions, in the order of a pattern.
        weigh: with a basis, weigh each respondent by its account's ARR at W.end.
    """

    kinds: tuple[SurveyKind, ...] = attrs.field(converter=tuple)
    weigh: bool = False
    state: ClassVar = AnswerState

    def weighs(self) -> bool:
        return self.weigh

    def on_records(self, run: Run[Records]) -> list[AnswerState]:
        grid, records = run.grid, run.context
        position = {kind: i for i, kind in enumerate(self.kinds)}
        width = len(self.kinds)
        answered: dict[int, int] = {}
        # Per (account, respondent, window): the latest (instant, score) of each question.
        latest: dict[tuple[str, str | None, int], list[tuple[datetime, int] | None]] = {}
        profile_of, windows_at, slot = records.account_profile, grid.windows_at, grid.slot
        for kind in self.kinds:
            i = position[kind]
            for r in records.surveys(kind):
                t, score = r.responded_at, r.score
                key = slot(t, profile_of(r.account_id))
                if key < 0:
                    continue
                answered[key] = answered.get(key, 0) + 1
                for w in windows_at(t):
                    who = (r.account_id, r.respondent_id, w)
                    held = latest.get(who)
                    if held is None:
                        held = latest[who] = [None] * width
                    entry = held[i]
                    # Answers come in time order: a later one replaces, one at the same instant if higher.
                    if entry is None or entry[0] < t or score > entry[1]:
                        held[i] = (t, score)
        answers = grid.spread(answered, 0)
        out = [AnswerState(answers=n) for n in answers]
        reading = annual(run.basis) if self.weigh and run.basis is not None else None
        ns = grid.n_segments
        for (account_id, _, w), held in latest.items():
            pattern: Pattern = tuple(None if e is None else e[1] for e in held)
            weight = (
                records.data.arr_at(account_id, grid.window_end(w), reading) if reading is not None else None
            )
            for s in records.account_segments(account_id):
                cell = out[w * ns + s]
                cell.patterns[pattern] = cell.patterns.get(pattern, 0) + 1
                if weight is not None:
                    cell.weights[pattern] = cell.weights.get(pattern, Decimal(0)) + weight
        return out

    def on_tables(self, run: TablesRun) -> list[AnswerState]:
        return run.latest_answers(self)
