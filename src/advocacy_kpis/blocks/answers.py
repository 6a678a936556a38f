"""The latest answer of each respondent in the window, to one or several survey questions.

`LatestAnswers` is the population of relationship surveys (NPS, the loyalty index): each
respondent (``respondent_id`` within its account, else the account) counts once per window, with
its latest answer to each question there (at one instant, the higher score). A cell's state counts
the respondents by their *pattern*: the tuple of their latest scores, one per question (None
where they did not answer it), so any summary of the answers (groups, means, who answered all)
is read from it, and tallies of parts of the records add.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from advocacy_kpis.blocks._base import Block, Records, Run, annual
from advocacy_kpis.blocks._state import ADD, ADD_KEYS
from advocacy_kpis.blocks.events import decimal_of
from advocacy_kpis.records import SurveyKind

if TYPE_CHECKING:
    from advocacy_kpis.engines import TablesRun

__all__ = ["AnswerState", "LatestAnswers", "Pattern"]

Pattern = tuple[int | None, ...]
"""A respondent's latest score to each question, in the block's order (None: not answered)."""

SCORE_KEY: Final = 16
"""Above every score of every scale: the tables side orders answers by instant * SCORE_KEY + score."""


@attrs.define
class AnswerState:
    """The respondents of one cell by their pattern of latest scores.

    Attributes:
        answers: every answer to the questions given in the window (repeats included).
        patterns: respondents by pattern.
        weights: with a basis, the summed ARR (annual form) at W.end of each pattern's
            respondents' accounts.
    """

    answers: int = attrs.field(default=0, metadata=ADD)
    patterns: dict[Pattern, int] = attrs.field(factory=dict, metadata=ADD_KEYS)
    weights: dict[Pattern, Decimal] = attrs.field(factory=dict, metadata=ADD_KEYS)

    @property
    def respondents(self) -> int:
        """The respondents, each once."""
        return sum(self.patterns.values())

    @property
    def kept(self) -> int:
        """The answers kept: one per respondent and question."""
        return sum(n * sum(score is not None for score in pattern) for pattern, n in self.patterns.items())


def _kinds(value: Iterable[SurveyKind]) -> tuple[SurveyKind, ...]:
    return tuple(value)


Who = tuple[str, "str | None"]
"""A respondent: its account and its ``respondent_id`` there (None: the account itself)."""

Latest = tuple[datetime, int, int]
"""A respondent's latest answer to a question: its instant, its score and the account's profile."""

_profile_and_score = itemgetter(2, 1)


def _latest(held_in: Sequence[dict[Who, Latest]], covered: Sequence[int]) -> Mapping[Who, Latest]:
    """Each respondent's latest answer over the stretches ``covered`` (a later instant wins, then
    the higher score)."""
    if len(covered) == 1:
        return held_in[covered[0]]
    merged = dict(held_in[covered[0]])
    for k in covered[1:]:
        for who, seen in held_in[k].items():
            if seen > merged.setdefault(who, seen):
                merged[who] = seen
    return merged


def _respondents(questions: Sequence[Mapping[Who, Latest]]) -> Iterator[tuple[str, int, Pattern]]:
    """Each respondent of a window: its account, the account's profile and its pattern."""
    if len(questions) == 1:
        for (account_id, _), (_, score, profile) in questions[0].items():
            yield account_id, profile, (score,)
        return
    everyone: dict[Who, None] = {}
    for held in questions:
        everyone.update(dict.fromkeys(held))
    for who in everyone:
        entries = [held.get(who) for held in questions]
        profile = next(entry[2] for entry in entries if entry is not None)
        yield who[0], profile, tuple(None if entry is None else entry[1] for entry in entries)


def _groups(questions: Sequence[Mapping[Who, Latest]]) -> Mapping[tuple[int, Pattern], int]:
    """How many respondents of a window have each (profile, pattern)."""
    if len(questions) == 1:
        counted = Counter(map(_profile_and_score, questions[0].values()))
        return {(profile, (score,)): n for (profile, score), n in counted.items()}
    return Counter((profile, pattern) for _, profile, pattern in _respondents(questions))


@attrs.frozen(eq=False)
class LatestAnswers(Block[AnswerState]):
    """Each respondent's latest score to each of ``kinds`` in each window.

    Args:
        kinds: the questions, in the order of a pattern.
        weigh: with a basis, weigh each respondent by its account's ARR at W.end.
    """

    kinds: tuple[SurveyKind, ...] = attrs.field(converter=_kinds)
    weigh: bool = False
    state: ClassVar = AnswerState

    def weighs(self) -> bool:
        return self.weigh

    def on_records(self, run: Run[Records]) -> list[AnswerState]:
        grid, records = run.grid, run.context
        profiles = records.profiles()
        bounds, stretches = grid.bounds, grid.stretches
        n_stretches = len(stretches)
        start, end = grid.start, grid.end
        slots: list[int] = []
        # Per question and stretch of time, each respondent's latest answer there; the answers come
        # in any order.
        per_question: list[list[dict[Who, Latest]]] = []
        for kind in self.kinds:
            held_in: list[dict[Who, Latest]] = [{} for _ in stretches]
            for r in records.surveys(kind):
                t = r.responded_at
                if t < start or t >= end:
                    continue
                k = bisect_right(bounds, t) - 1
                if not stretches[k]:
                    continue
                account_id = r.account_id
                profile = profiles[account_id]
                slots.append(profile * n_stretches + k)
                who = (account_id, r.respondent_id)
                seen = (t, r.score, profile)
                held = held_in[k]
                if seen > held.setdefault(who, seen):
                    held[who] = seen
            per_question.append(held_in)
        out = [AnswerState(answers=n) for n in grid.spread(Counter(slots), 0)]
        reading = annual(run.basis) if self.weigh and run.basis is not None else None
        ns = grid.n_segments
        for w, covered in enumerate(grid.window_stretches):
            questions = [_latest(held_in, covered) for held_in in per_question]
            # Respondents by (profile, pattern) first, so each is one update and not one per segment.
            weights: dict[tuple[int, Pattern], Decimal] = {}
            if reading is not None:
                at = grid.window_end(w)
                for account_id, profile, pattern in _respondents(questions):
                    weight = records.data.arr_at(account_id, at, reading)
                    weights[profile, pattern] = weights.get((profile, pattern), Decimal(0)) + weight
            for (profile, pattern), n in _groups(questions).items():
                weight_ = weights.get((profile, pattern))
                for s in grid.profile_segments(profile):
                    cell = out[w * ns + s]
                    cell.patterns[pattern] = cell.patterns.get(pattern, 0) + n
                    if weight_ is not None:
                        cell.weights[pattern] = cell.weights.get(pattern, Decimal(0)) + weight_
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[AnswerState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        table = tables.table("surveys")
        kinds = [k.value for k in self.kinds]
        answers = tables.in_grid(
            tables.frame("surveys")
            .filter(nw.col("kind").is_in(kinds))
            .select(
                nw.col("account_id").alias("_acc"),
                table.column("respondent_id").fill_null("").alias("_who"),
                nw.col("kind"),
                nw.col("score").cast(nw.Int64).alias("_score"),
                nw.col("responded_at").alias("_t"),
            ),
            "_t",
        )
        counted = tables.with_profile(answers, "_acc")
        na = len(tables.attrs)
        answered: dict[int, int] = {}
        for row in tables.grouped(counted, ["_k", *tables.attrs], {"n": None}):
            key = tables.slot(row[0], row[1 : 1 + na])
            answered[key] = answered.get(key, 0) + int(row[-1])
        out = [AnswerState(answers=n) for n in grid.spread(answered, 0)]
        # Each respondent's latest answer to each question in each window (the latest instant, then
        # the highest score given at it) in one aggregation: the greatest key (instant since the
        # grid's start) * SCORE_KEY + score, whose instant is the latest, so the score is the key
        # less that instant's part. Integers only, exact on every backend.
        spread = answers.join(tables.cover().select("_k", "_w"), on="_k", how="inner")
        origin = tables.bounds[0]
        scores = [f"_s{i}" for i in range(len(kinds))]
        keyed = spread.with_columns(
            *[
                expression
                for k, s in zip(kinds, scores, strict=True)
                for expression in (
                    nw.when(nw.col("kind") == k).then(nw.col("_t")).alias(f"{s}t"),
                    nw.when(nw.col("kind") == k)
                    .then((nw.col("_t") - origin) * SCORE_KEY + nw.col("_score"))
                    .alias(f"{s}k"),
                )
            ]
        )
        latest = keyed.group_by("_acc", "_who", "_w").agg(
            *[nw.col(f"{s}{part}").max() for s in scores for part in ("t", "k")]
        )
        patterns = latest.select(
            "_acc",
            "_w",
            *[
                (nw.col(f"{s}k") - (nw.col(f"{s}t") - origin) * SCORE_KEY).cast(nw.Int64).alias(s)
                for s in scores
            ],
        )
        patterns = tables.with_profile(patterns, "_acc")
        ns = grid.n_segments
        for row in tables.grouped(patterns, ["_w", *tables.attrs, *scores], {"n": None}):
            w, values = int(row[0]), row[1 : 1 + na]
            pattern = tuple(None if v is None else int(v) for v in row[1 + na : 1 + na + len(scores)])
            for s in grid.profile_segments(tables.pid(values)):
                cell = out[w * ns + s]
                cell.patterns[pattern] = cell.patterns.get(pattern, 0) + int(row[-1])
        if self.weigh and run.basis is not None:
            ends = tables.window_positions().select("_w", nw.col("_je").alias("_i"))
            weighed = patterns.join(ends, on="_w", how="inner").join(
                tables.rates_at_bounds(), on=["_acc", "_i"], how="inner"
            )
            sums: dict[tuple[int, int, Pattern, str], Decimal] = {}
            for row in tables.grouped(
                weighed, ["_w", *tables.attrs, *scores, "currency"], {"_arr": nw.col("_arr")}
            ):
                pattern = tuple(None if v is None else int(v) for v in row[1 + na : 1 + na + len(scores)])
                group = (int(row[0]), tables.pid(row[1 : 1 + na]), pattern, str(row[-2]))
                sums[group] = sums.get(group, Decimal(0)) + decimal_of(row[-1])
            reading = annual(run.basis)
            for (w, pid, pattern, currency), amount in sums.items():
                value = tables.convert({currency: amount}, reading, "contracts", tables.first_in_currency)
                for s in grid.profile_segments(pid):
                    cell = out[w * ns + s]
                    cell.weights[pattern] = cell.weights.get(pattern, Decimal(0)) + value
            # Every respondent weighs, those with no revenue at 0, as on the records.
            for cell in out:
                for pattern in cell.patterns:
                    cell.weights.setdefault(pattern, Decimal(0))
        return out
