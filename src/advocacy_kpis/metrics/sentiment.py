"""Family 1, customer sentiment and loyalty: what customers say about you."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
    metric,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.formulas import csat, is_satisfied, net_sentiment, nps, nps_category, weighted_nps
from advocacy_kpis.formulas import customer_loyalty_index as customer_loyalty_index_formula
from advocacy_kpis.grid import Grid
from advocacy_kpis.metrics._common import annual, check_confidence, on_basis, share, unsegmented_note, zero
from advocacy_kpis.records import Feedback, Mention, SurveyKind, SurveyResponse
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import net_score_interval, nps_interval, wilson_interval
from advocacy_kpis.tally import Cell, Definition, Latest, Run, Tally, register

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables

__all__ = [
    "brand_sentiment",
    "customer_feedback_retention_score",
    "customer_loyalty_index",
    "customer_satisfaction_score",
    "customer_sentiment",
    "net_promoter_score",
]


NPS_SPEC = MetricSpec(
    id="net_promoter_score",
    number=1,
    name="Net Promoter Score",
    family=Family.SENTIMENT,
    kind=MetricKind.SCORE,
    definition=(
        "How many more respondents would recommend you than would warn others off. Each respondent "
        "answers 0-10; 9 and 10 are promoters, 7 and 8 passives, 0 to 6 detractors. The score is the "
        "percentage of promoters minus the percentage of detractors, so it runs from -100 to 100."
    ),
    formula="NPS = 100 * (promoters - detractors) / respondents",
    formula_latex=r"\mathrm{NPS} = 100 \cdot \frac{P - D}{n}",
    unit=Unit.SCORE,
    direction=Direction.HIGHER_IS_BETTER,
    population="People who answered an NPS survey in the window; one answer per respondent.",
    window_semantics=(
        "Responses with responded_at in W. A respondent who answered more than once in W counts once, "
        "with their latest answer. The respondent is respondent_id within its account when given, "
        "else the account."
    ),
    undefined_when=(
        "No NPS response falls in the window and segment (or, weighted, none of the respondents' "
        "accounts has revenue at W.end)."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.SENTIMENT,
    seed="000, 003, 004",
    pitfalls=(
        Pitfall(
            "Counting every answer, so the customers surveyed most often weigh most.",
            "One answer per respondent per window: the latest; the number dropped is reported.",
        ),
        Pitfall(
            "Reading NPS alone as advocacy, without tracking what customers actually do.",
            "Related metrics (customer_advocacy_rate, referral_program_participation_rate) measure actions; "
            "the docs pair them.",
        ),
        Pitfall(
            "Reporting a move of a few points from a small sample as real.",
            "An adjusted-Wald interval comes with every value and change_from() tests the difference.",
        ),
        Pitfall(
            "Treating a 9-10 score as a yes to an advocacy ask.",
            "The readiness score uses NPS only as one recent signal among several.",
        ),
    ),
    related=("customer_satisfaction_score", "customer_loyalty_index", "referral_readiness_score"),
    interpretation=(
        "The sources do not say how to treat repeat answers; the library keeps each respondent's "
        "latest answer in the window (ties at one instant: the higher score). The revenue-weighted "
        "variant weights each respondent by the ARR (or MRR) of their account at W.end."
    ),
)


@metric(NPS_SPEC)
def net_promoter_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Net Promoter Score of the respondents in ``window``.

    .. math:: \mathrm{NPS} = 100 \cdot \frac{P - D}{n}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: responses with ``responded_at`` in this window count.
        segment: accounts whose respondents count (default: all).
        basis: optional ARR or MRR basis; given, each respondent is weighted by the run rate of
            their account at ``window.end`` and no interval is given.
        confidence: level of the adjusted-Wald interval.

    Returns:
        A score in [-100, 100] with components ``promoters``, ``passives``, ``detractors`` and
        ``respondents``, and the interval.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No NPS response falls in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> data = tiny()
        >>> r = net_promoter_score(data, window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (25.0, {'promoters': 2, 'passives': 1, 'detractors': 1, 'respondents': 4})
        >>> net_promoter_score(data, window=Window.quarter(2025, 1)).undefined_reason
        'no NPS responses in the window and segment'
    """
    return NPS.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


_GROUPS = ("promoters", "passives", "detractors")
_GROUP_OF_SCORE = tuple(
    _GROUPS[("promoter", "passive", "detractor").index(nps_category(s))] for s in range(11)
)


def _nps_tally(run: Run) -> list[Tally]:
    """Per cell: answers, and the respondents by group with each respondent's latest answer.

    A respondent's latest answer in a window is kept per (respondent, window) once, then
    counted in every segment of its account; ties at one instant keep the higher score.
    """
    grid, basis = run.grid, run.basis
    n = grid.n_cells
    counted: dict[int, int] = {}
    latest: dict[tuple[str, str | None, int], tuple[datetime, int]] = {}
    profile_of, windows_at = grid.account_profile, grid.windows_at
    for r in grid.surveys(SurveyKind.NPS):
        t, score = r.responded_at, r.score
        key = grid.slot(t, profile_of(r.account_id))
        if key < 0:
            continue
        counted[key] = counted.get(key, 0) + 1
        for w in windows_at(t):
            who = (r.account_id, r.respondent_id, w)
            held = latest.get(who)
            # Records come in time order: a later answer replaces, one at the same instant only if higher.
            if held is None or held[0] < t or score > held[1]:
                latest[who] = (t, score)
    answers = grid.spread(counted, 0)
    kept: dict[str, dict[int, int]] = {name: {} for name in _GROUPS}
    weighed: dict[str, dict[int, Decimal]] = {name: {} for name in _GROUPS}
    for (account_id, _, w), (_, score) in latest.items():
        group = _GROUP_OF_SCORE[score]
        key = grid.window_slot(w, profile_of(account_id))
        kept[group][key] = kept[group].get(key, 0) + 1
        if basis is not None:
            weight = run.data.arr_at(account_id, grid.windows[w].end, basis)
            weighed[group][key] = weighed[group].get(key, zero()) + weight
    groups = {name: grid.spread_windows(kept[name], 0) for name in _GROUPS}
    weights = (
        {name: grid.spread_windows(weighed[name], zero()) for name in _GROUPS} if basis is not None else None
    )
    tallies: list[Tally] = []
    for c in range(n):
        tally: Tally = {"answers": answers[c], **{name: groups[name][c] for name in _GROUPS}}
        if weights is not None:
            tally.update({f"{name}_weight": weights[name][c] for name in _GROUPS})
        tallies.append(tally)
    return tallies


def _nps_finish(cell: Cell, tally: Tally) -> MetricResult:
    p, passive, d = tally["promoters"], tally["passives"], tally["detractors"]
    respondents = p + passive + d
    components = {"promoters": p, "passives": passive, "detractors": d, "respondents": respondents}
    details = {"repeat_answers_dropped": tally["answers"] - respondents}
    reason = "no NPS responses in the window and segment"
    basis = cell.basis
    if basis is None:
        value, interval = nps(p, passive, d), nps_interval(p, passive, d, cell.params["confidence"])
        warnings = []
        if value is not None and interval is not None and not interval.contains(value):
            warnings.append(
                "the adjusted-Wald interval is centred on the adjusted score and excludes the raw "
                "score: too few respondents to read this value"
            )
        return cell.build(
            value=value, undefined_reason=reason, numerator=p - d, denominator=respondents,
            sample_size=respondents, interval=interval, components=components, details=details,
            warnings=warnings,
        )  # fmt: skip
    weights = {name: tally[f"{name}_weight"] for name in _GROUPS}
    end = cell.window.end
    value = weighted_nps(weights["promoters"], weights["passives"], weights["detractors"])
    if respondents and value is None:
        reason = f"no respondent's account has {basis.name} at {end.isoformat()}"
    return cell.build(
        value=value, undefined_reason=reason, numerator=weights["promoters"] - weights["detractors"],
        denominator=sum(weights.values(), zero()), sample_size=respondents, components=components,
        details={**details, "weights_at": end.isoformat()},
    )  # fmt: skip


NPS = register(
    Definition(NPS_SPEC, _nps_tally, _nps_finish, checks={"confidence": check_confidence}, needs=("surveys",))
)


CSAT_SPEC = MetricSpec(
    id="customer_satisfaction_score",
    number=2,
    name="Customer Satisfaction Score (CSAT)",
    family=Family.SENTIMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "The share of satisfaction answers that are positive: on a 1-5 scale, the answers of 4 or 5 "
        "out of all answers given in the window."
    ),
    formula="CSAT = responses scoring 4 or 5 / responses",
    formula_latex=r"\mathrm{CSAT} = \frac{\#\{r : s_r \geq 4\}}{\#\{r\}}",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population="CSAT survey responses (scores 1-5).",
    window_semantics="Responses with responded_at in W. Every response counts (CSAT is asked per interaction).",
    undefined_when="No CSAT response falls in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.SENTIMENT,
    seed="004",
    pitfalls=(
        Pitfall(
            "Averaging the 1-5 scores and calling the mean CSAT.",
            "CSAT here is the share of 4s and 5s, the standard definition; the mean score is in details.",
        ),
        Pitfall(
            "Reporting a rate from a handful of answers.",
            "A Wilson interval and a small-sample warning come with every value.",
        ),
    ),
    related=("net_promoter_score", "referral_readiness_score"),
    interpretation=(
        "Each response counts, including several from one respondent in the window, because CSAT "
        "is usually asked after each interaction; NPS, a relationship survey, counts each respondent once."
    ),
)


@metric(CSAT_SPEC)
def customer_satisfaction_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of CSAT responses in ``window`` scoring 4 or 5.

    .. math:: \mathrm{CSAT} = \frac{\#\{r : s_r \geq 4\}}{\#\{r\}}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: responses with ``responded_at`` in this window count.
        segment: accounts whose responses count (default: all).
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1] with components ``satisfied`` and ``responses``; the mean score is in
        ``details``.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No CSAT response falls in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_satisfaction_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.75, 3, 4)
        >>> customer_satisfaction_score(tiny(), window=Window.quarter(2025, 1)).value is None
        True
    """
    return CSAT.one(data, window=window, segment=segment, confidence=confidence)


def _csat_tally(run: Run) -> list[Tally]:
    grid = run.grid
    satisfied: dict[int, int] = {}
    responses: dict[int, int] = {}
    scores: dict[int, int] = {}
    for r in grid.surveys(SurveyKind.CSAT):
        key = grid.slot(r.responded_at, grid.account_profile(r.account_id))
        if key < 0:
            continue
        responses[key] = responses.get(key, 0) + 1
        scores[key] = scores.get(key, 0) + r.score
        if is_satisfied(r.score):
            satisfied[key] = satisfied.get(key, 0) + 1
    spread = [grid.spread(values, 0) for values in (satisfied, responses, scores)]
    return [{"satisfied": s, "responses": n, "score_sum": total} for s, n, total in zip(*spread, strict=True)]


def _csat_finish(cell: Cell, tally: Tally) -> MetricResult:
    satisfied, responses = tally["satisfied"], tally["responses"]
    return cell.build(
        value=csat(satisfied, responses), undefined_reason="no CSAT responses in the window and segment",
        numerator=satisfied, denominator=responses, sample_size=responses,
        interval=wilson_interval(satisfied, responses, cell.params["confidence"]),
        components={"satisfied": satisfied, "responses": responses},
        details={"mean_score": tally["score_sum"] / responses if responses else None},
    )  # fmt: skip


CSAT = register(
    Definition(
        CSAT_SPEC, _csat_tally, _csat_finish, checks={"confidence": check_confidence}, needs=("surveys",)
    )
)


LOYALTY_QUESTIONS = (SurveyKind.NPS, SurveyKind.REPURCHASE, SurveyKind.UPSELL)
"""The three 0-10 questions of the loyalty index, in the order details report them."""

LOYALTY_SPEC = MetricSpec(
    id="customer_loyalty_index",
    number=3,
    name="Customer Loyalty Index",
    family=Family.SENTIMENT,
    kind=MetricKind.SCORE,
    definition=(
        "How loyal respondents say they are, on 0-100, from three 0-10 questions answered together: "
        "would they recommend you, would they buy from you again, and would they buy more. Each "
        "respondent's three answers are averaged and scaled by 10; the index is the mean of those "
        "per-respondent scores."
    ),
    formula="loyalty index = mean over complete respondents of 10 * (nps + repurchase + upsell) / 3",
    formula_latex=(
        r"\mathrm{CLI} = \frac{1}{n} \sum_{r=1}^{n} \frac{10}{3} "
        r"\left(s^{\mathrm{nps}}_r + s^{\mathrm{rep}}_r + s^{\mathrm{up}}_r\right)"
    ),
    unit=Unit.SCORE,
    direction=Direction.HIGHER_IS_BETTER,
    population="Respondents who answered the nps, repurchase and upsell questions in the window.",
    window_semantics=(
        "Answers with responded_at in W. Per respondent (respondent_id within its account, else the "
        "account) and question, the latest answer in W counts (answers at one instant: the higher "
        "score). A respondent lacking any of the three questions in W is left out and counted."
    ),
    undefined_when="No respondent answered all three questions in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.SENTIMENT,
    seed="001",
    pitfalls=(
        Pitfall(
            "Averaging every answer of every question, so respondents who skipped a question tilt the "
            "index towards the questions they did answer.",
            "Only respondents with all three answers in the window count; the others are counted in "
            "components and a warning.",
        ),
        Pitfall(
            "Pairing an NPS answer from one survey with a repurchase answer from a year earlier.",
            "All three answers must fall in the same window; a stale answer outside it does not complete "
            "a respondent.",
        ),
        Pitfall(
            "Letting respondents who answer repeatedly weigh more.",
            "Each respondent counts once, with their latest answer to each question; the answers dropped "
            "are in details.",
        ),
    ),
    related=("net_promoter_score", "customer_satisfaction_score", "customer_feedback_retention_score"),
    interpretation=(
        "The source names customer loyalty without a formula. The library reads it as the mean of three "
        "0-10 answers (likelihood to recommend, to repurchase, to buy more) per respondent, times 10, "
        "averaged over the respondents who gave all three in the window; each question's latest answer "
        "in the window is the one used."
    ),
)


@metric(LOYALTY_SPEC)
def customer_loyalty_index(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
) -> MetricResult:
    r"""Mean loyalty (0-100) of the respondents who answered nps, repurchase and upsell in ``window``.

    .. math::
        \mathrm{CLI} = \frac{1}{n} \sum_{r=1}^{n} \frac{10}{3}
        \left(s^{\mathrm{nps}}_r + s^{\mathrm{rep}}_r + s^{\mathrm{up}}_r\right)

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: answers with ``responded_at`` in this window count.
        segment: accounts whose respondents count (default: all).

    Returns:
        A score in [0, 100]; components ``respondents`` (complete), ``incomplete_respondents`` and
        ``answers``; details give the mean answer to each question among complete respondents
        and how many incomplete respondents lacked each question.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No respondent answered all three questions in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_loyalty_index(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.components["respondents"], r.components["incomplete_respondents"]
        (80.0, 2, 2)
        >>> customer_loyalty_index(tiny(), window=Window.quarter(2026, 2)).undefined_reason
        'no respondent answered all three loyalty questions (nps, repurchase, upsell) in the window and segment'
    """
    return LOYALTY.one(data, window=window, segment=segment)


def _loyalty_tally(run: Run) -> list[Tally]:
    grid = run.grid
    answers = [0] * grid.n_cells
    latest = [Latest() for _ in range(grid.n_cells)]
    for r in grid.records(SurveyResponse):
        if r.kind not in LOYALTY_QUESTIONS:
            continue
        key, entry = (r.respondent, r.kind.value), ((r.responded_at, r.score), r.score)
        for c in grid.cells_at(r.responded_at, grid.account_segments(r.account_id)):
            answers[c] += 1
            latest[c].offer(key, entry)
    return [{"answers": n, "latest": kept} for n, kept in zip(answers, latest, strict=True)]


def _loyalty_finish(cell: Cell, tally: Tally) -> MetricResult:
    by_respondent: dict[str, dict[str, int]] = {}
    for (respondent, question), (_, score) in tally["latest"].items():
        by_respondent.setdefault(respondent, {})[question] = score
    questions = [kind.value for kind in LOYALTY_QUESTIONS]
    complete = [answers for answers in by_respondent.values() if len(answers) == len(questions)]
    incomplete = [answers for answers in by_respondent.values() if len(answers) < len(questions)]
    total = sum(sum(answers.values()) for answers in complete)
    n = len(complete)
    details: dict[str, Any] = {
        f"mean_{q}": (sum(a[q] for a in complete) / n if n else None) for q in questions
    }
    details.update({f"missing_{q}": sum(q not in a for a in incomplete) for q in questions})
    details["repeat_answers_dropped"] = tally["answers"] - len(tally["latest"])
    warnings = []
    if incomplete:
        warnings.append(
            f"{len(incomplete)} respondents answered only some of the loyalty questions in the window "
            "and are left out"
        )
    return cell.build(
        value=customer_loyalty_index_formula(total, n),
        undefined_reason=(
            "no respondent answered all three loyalty questions (nps, repurchase, upsell) in the window "
            "and segment"
        ),
        numerator=total, denominator=3 * n, sample_size=n,
        components={"respondents": n, "incomplete_respondents": len(incomplete), "answers": tally["answers"]},
        details=details, warnings=warnings,
    )  # fmt: skip


LOYALTY = register(Definition(LOYALTY_SPEC, _loyalty_tally, _loyalty_finish, needs=("surveys",)))


_NET_SENTIMENT_LATEX = r"\frac{n_{+} - n_{-}}{n_{+} + n_{0} + n_{-}}"

_NET_SENTIMENT_INTERVAL = (
    "The interval is the adjusted-Wald interval NPS uses, on the net score's own scale: 3/4 is added "
    "to the positive and to the negative counts and 3 to the total before the normal interval of "
    "p - q is taken, and it is clipped to [-1, 1]."
)

SENTIMENT_SPEC = MetricSpec(
    id="customer_sentiment",
    number=4,
    name="Customer Sentiment (Sentiment Analysis)",
    family=Family.SENTIMENT,
    kind=MetricKind.SCORE,
    definition=(
        "The balance of customer feedback received in the window: the share labelled positive minus "
        "the share labelled negative. It runs from -1 (all negative) to 1 (all positive); neutral "
        "feedback pulls it towards 0."
    ),
    formula="net sentiment = (positive - negative) / (positive + neutral + negative)",
    formula_latex=_NET_SENTIMENT_LATEX,
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population="Feedback records of the segment's accounts received in the window.",
    window_semantics=(
        "A feedback record belongs to W when its received_at is in W. Every record counts, several from "
        "one account included."
    ),
    undefined_when="No feedback was received in the window and segment.",
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.NONE,
    signal=SignalType.SENTIMENT,
    seed="001",
    pitfalls=(
        Pitfall(
            "Reporting the share of positive feedback alone, which hides a rise in complaints.",
            "The value nets negative against positive; the three counts are in components.",
        ),
        Pitfall(
            "Reading a swing from a handful of records as a change of mood.",
            "An adjusted-Wald interval comes with every value, with a small-sample warning below 30 records.",
        ),
        Pitfall(
            "Treating 0 as missing data.",
            "0 means positive and negative balance; with no feedback the value is None with a reason.",
        ),
    ),
    related=("brand_sentiment", "net_promoter_score", "customer_feedback_retention_score"),
    interpretation=(
        "The feedback records carry their own positive, neutral or negative label; the library scores "
        "records as labelled and does not classify text. Each record counts once, so an account that "
        "writes often weighs more, as it does in a support queue. " + _NET_SENTIMENT_INTERVAL
    ),
)


@metric(SENTIMENT_SPEC)
def customer_sentiment(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Net sentiment of the customer feedback received in ``window``, in [-1, 1].

    .. math:: \frac{n_{+} - n_{-}}{n_{+} + n_{0} + n_{-}}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: feedback with ``received_at`` in this window counts.
        segment: accounts whose feedback counts (default: all).
        confidence: level of the adjusted-Wald interval.

    Returns:
        A score in [-1, 1] with components ``positive``, ``neutral``, ``negative`` and
        ``feedback``, and the interval.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an unknown attribute.

    Undefined when:
        No feedback was received in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_sentiment(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, dict(r.components)
        (0.0, {'positive': 1, 'neutral': 1, 'negative': 1, 'feedback': 3})
        >>> customer_sentiment(tiny(), window=Window.quarter(2026, 2)).value
        -1.0
        >>> customer_sentiment(tiny(), window=Window.year(2020)).undefined_reason
        'no feedback received in the window and segment'
    """
    return CUSTOMER_SENTIMENT.one(data, window=window, segment=segment, confidence=confidence)


def _no_labels() -> Tally:
    """Zero counts of each sentiment label."""
    return {"positive": 0, "neutral": 0, "negative": 0}


def _customer_sentiment_tally(run: Run) -> list[Tally]:
    grid = run.grid
    tallies = [_no_labels() for _ in range(grid.n_cells)]
    for record in grid.records(Feedback):
        label = record.sentiment.value
        for c in grid.cells_at(record.received_at, grid.account_segments(record.account_id)):
            tallies[c][label] += 1
    return tallies


_ADJUSTED_CENTRE_NOTE = (
    "the adjusted-Wald interval is centred on the adjusted score and excludes the raw score: too few "
    "records to read this value"
)


def _net_sentiment_fields(cell: Cell, counts: Tally, warnings: list[str]) -> dict[str, Any]:
    """Value, interval, the counts behind them and the warnings, for `Cell.build`."""
    positive, neutral, negative = counts["positive"], counts["neutral"], counts["negative"]
    total = positive + neutral + negative
    value = net_sentiment(positive, neutral, negative)
    interval = net_score_interval(positive, neutral, negative, cell.params["confidence"])
    if value is not None and interval is not None and not interval.contains(value):
        warnings = [*warnings, _ADJUSTED_CENTRE_NOTE]
    return {
        "value": value,
        "numerator": positive - negative,
        "denominator": total,
        "sample_size": total,
        "interval": interval,
        "warnings": warnings,
    }


def _customer_sentiment_finish(cell: Cell, tally: Tally) -> MetricResult:
    total = tally["positive"] + tally["neutral"] + tally["negative"]
    return cell.build(
        undefined_reason="no feedback received in the window and segment",
        components={**tally, "feedback": total},
        **_net_sentiment_fields(cell, tally, []),
    )


CUSTOMER_SENTIMENT = register(
    Definition(
        SENTIMENT_SPEC,
        _customer_sentiment_tally,
        _customer_sentiment_finish,
        checks={"confidence": check_confidence},
        needs=("feedback",),
    )
)


BRAND_SENTIMENT_SPEC = MetricSpec(
    id="brand_sentiment",
    number=5,
    name="Brand Sentiment",
    family=Family.SENTIMENT,
    kind=MetricKind.SCORE,
    definition=(
        "The tone of what is said about the brand in public during the window: of the mentions that "
        "carry a sentiment label, the share positive minus the share negative, from -1 to 1. Paid and "
        "organic mentions both count, and are also reported apart."
    ),
    formula="net sentiment of labelled mentions = (positive - negative) / labelled mentions",
    formula_latex=_NET_SENTIMENT_LATEX,
    unit=Unit.RATIO,
    direction=Direction.HIGHER_IS_BETTER,
    population="Public mentions published in the window that carry a sentiment, paid and organic alike.",
    window_semantics=(
        "A mention belongs to W when its published_at is in W. Mentions have no account: a segment "
        "matches a mention's own attributes (region, ...), never an account's."
    ),
    undefined_when="No mention with a sentiment was published in the window and segment.",
    segment=SegmentUse.RECORD_ATTRIBUTES,
    basis=BasisUse.NONE,
    signal=SignalType.SENTIMENT,
    seed="002",
    pitfalls=(
        Pitfall(
            "Counting unlabelled mentions as neutral, which drags the score towards 0.",
            "Mentions without a sentiment are left out and counted in components and a warning.",
        ),
        Pitfall(
            "Letting paid placements pass for earned goodwill.",
            "Details give the counts and net score of organic and paid mentions separately.",
        ),
        Pitfall(
            "Cutting public mentions by customer tier, which they do not have.",
            "A segment must name attributes the mentions carry; otherwise SegmentNotApplicableError.",
        ),
    ),
    related=("customer_sentiment", "influencer_and_advocate_mentions", "net_promoter_score"),
    interpretation=(
        "Each mention counts once, as labelled by its source; the library does not classify text. "
        "Mentions whose sentiment is not recorded are neither positive nor neutral: they are left out "
        "and counted, and with none labelled the value is undefined. " + _NET_SENTIMENT_INTERVAL
    ),
)


@metric(BRAND_SENTIMENT_SPEC)
def brand_sentiment(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Net sentiment of the labelled public mentions published in ``window``, in [-1, 1].

    .. math:: \frac{n_{+} - n_{-}}{n_{+} + n_{0} + n_{-}}

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: mentions with ``published_at`` in this window count.
        segment: matched against the mentions' own attributes (default: all).
        confidence: level of the adjusted-Wald interval.

    Returns:
        A score in [-1, 1] with components ``positive``, ``neutral``, ``negative``, ``mentions``
        (labelled) and ``unlabelled``; details give the counts and net score of ``organic`` and
        ``paid`` mentions.

    Raises:
        ParameterError: a bad argument.
        SegmentNotApplicableError: the segment names an attribute the mentions do not carry.

    Undefined when:
        No mention with a sentiment was published in the window and segment.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> brand_sentiment(tiny(), window=Window.quarter(2026, 3)).value
        0.0
        >>> brand_sentiment(tiny(), window=Window.quarter(2026, 3), segment=Segment.where(region="EMEA")).value
        1.0
        >>> brand_sentiment(tiny(), window=Window.quarter(2026, 2)).undefined_reason
        'no mention with a sentiment published in the window and segment'
    """
    return BRAND_SENTIMENT.one(data, window=window, segment=segment, confidence=confidence)


def _brand_sentiment_tally(run: Run) -> list[Tally]:
    grid = run.grid
    tallies: list[Tally] = [
        {"organic": _no_labels(), "paid": _no_labels(), "unlabelled": 0, "outside": 0}
        for _ in range(grid.n_cells)
    ]
    for mention in grid.records(Mention):
        instant = mention.published_at
        outside = grid.outside_segments(mention)
        if outside:
            for c in grid.cells_at(instant, outside):
                tallies[c]["outside"] += 1
        kind = "organic" if mention.organic else "paid"
        sentiment = mention.sentiment
        for c in grid.cells_at(instant, grid.record_segments(mention)):
            if sentiment is None:
                tallies[c]["unlabelled"] += 1
            else:
                tallies[c][kind][sentiment.value] += 1
    return tallies


def _brand_sentiment_finish(cell: Cell, tally: Tally) -> MetricResult:
    organic, paid = tally["organic"], tally["paid"]
    counts = {label: organic[label] + paid[label] for label in ("positive", "neutral", "negative")}
    labelled = sum(counts.values())
    unlabelled, outside = tally["unlabelled"], tally["outside"]
    warnings = []
    if unlabelled:
        warnings.append(f"{unlabelled} mentions in the window carry no sentiment and are left out")
    if outside:
        warnings.append(unsegmented_note(outside, "mentions published in the window", cell.segment))
    reason = (
        f"none of the {unlabelled} mentions published in the window and segment carries a sentiment"
        if unlabelled
        else "no mention with a sentiment published in the window and segment"
    )
    details = {
        name: {**part, "mentions": sum(part.values()), "net_sentiment": net_sentiment(**part)}
        for name, part in (("organic", organic), ("paid", paid))
    }
    return cell.build(
        undefined_reason=reason, components={**counts, "mentions": labelled, "unlabelled": unlabelled},
        details=details, accounts_segmented=False, **_net_sentiment_fields(cell, counts, warnings),
    )  # fmt: skip


BRAND_SENTIMENT = register(
    Definition(
        BRAND_SENTIMENT_SPEC,
        _brand_sentiment_tally,
        _brand_sentiment_finish,
        checks={"confidence": check_confidence},
        on_records=Mention,
        needs=("mentions",),
    )
)


FEEDBACK_RETENTION_SPEC = MetricSpec(
    id="customer_feedback_retention_score",
    number=6,
    name="Customer Feedback Retention Score",
    family=Family.SENTIMENT,
    kind=MetricKind.PROPORTION,
    definition=(
        "Whether the customers who talk to you stay: of the accounts that gave any feedback (a survey "
        "answer or a feedback record) in the period just before the window, the share that are still "
        "customers when the window closes."
    ),
    formula="accounts with feedback in P that are customers at W.end / accounts with feedback in P",
    formula_latex=r"\frac{|F_P \cap E|}{|F_P|}, \quad P = W.\mathrm{previous}()",
    unit=Unit.RATE,
    direction=Direction.HIGHER_IS_BETTER,
    population=(
        "F_P: the accounts with at least one survey response (any kind) or feedback record stamped in P, "
        "the period of the same length just before W."
    ),
    window_semantics=(
        "P is W.previous(): the previous calendar period for a month, quarter or year (so the previous "
        "quarter even when it has fewer days), and for any other window the span of the same length "
        "ending at W.start. An account gave feedback in P when a response's responded_at or a feedback "
        "record's received_at is in P. It is retained when it is a customer at W.end (the state just "
        "before W.end)."
    ),
    undefined_when=(
        "No account of the segment gave feedback in the previous period (weighted: none of them had run "
        "rate at its weighing instant)."
    ),
    segment=SegmentUse.ACCOUNTS,
    basis=BasisUse.OPTIONAL,
    signal=SignalType.RETENTION,
    seed="001",
    pitfalls=(
        Pitfall(
            "Counting feedback and the outcome in the same window, so accounts that churn early in it "
            "have little chance to have given feedback.",
            "Feedback is taken in the previous period and the outcome at the end of this one.",
        ),
        Pitfall(
            "Reading the score as the effect of collecting feedback.",
            "The score has no control group; customer_retention_rate over the same window is the "
            "baseline to set it beside.",
        ),
        Pitfall(
            "Weighing accounts lost during the feedback period at the run rate they no longer have.",
            "With a basis, each account weighs its run rate at P.end, or at its churn if that came "
            "earlier, in numerator and denominator alike.",
        ),
    ),
    related=("customer_retention_rate", "customer_sentiment", "customer_loyalty_index"),
    interpretation=(
        "The source names the score without a formula. The library reads it as: of the accounts that "
        "gave feedback of any kind (any survey response or feedback record) in P = W.previous(), the "
        "share that are customers at W.end; an account counts once however much feedback it gave, "
        "whether or not it was a customer when it gave it. With a basis each of these accounts weighs "
        "its run rate at P.end (which is W.start), or at its churn if that came earlier: for a "
        "customer during P, its last instant as one there. The same weight is used in numerator and "
        "denominator, so the weighted score is the share of their revenue that stayed, in [0, 1], and "
        "an account lost during P still weighs what it paid. Both surveys and feedback must have been "
        "supplied."
    ),
)


@metric(FEEDBACK_RETENTION_SPEC)
def customer_feedback_retention_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of the accounts that gave feedback in ``window.previous()`` still customers at ``window.end``.

    .. math:: \frac{|F_P \cap E|}{|F_P|}, \quad P = W.\mathrm{previous}()

    Args:
        data: the data set, or `advocacy_kpis.engines.Tables` (see `advocacy_kpis.engines.SUPPORTED`).
        window: the window whose end decides retention; feedback is read in the period before it.
        segment: accounts counted (default: all).
        basis: optional ARR or MRR basis: weights each account by its run rate at the end of the
            previous period, or at its churn if that came earlier.
        confidence: level of the Wilson interval.

    Returns:
        A rate in [0, 1]; components ``feedback_accounts`` and ``retained``;
        ``details["feedback_window"]`` is the period the feedback was read in.

    Raises:
        ParameterError: a bad argument, or an ACV/TCV basis.
        SegmentNotApplicableError: the segment names an unknown attribute.
        CurrencyMismatchError: with a basis, a live contract in a currency without an FX rate.

    Undefined when:
        No account gave feedback in the previous period (weighted: none with run rate then).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_feedback_retention_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator, r.details["feedback_window"]
        (0.6666666666666666, 2, 3, '2026Q2')
        >>> customer_feedback_retention_score(tiny(), window=Window.year(2020)).undefined_reason
        'no account gave feedback in the previous period (2019) in the segment'
    """
    return FEEDBACK_RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)


def previous_grid(grid: Grid) -> Grid:
    """The grid of each window's previous period (`Window.previous`), over the same segments.

    Cell numbers match: cell ``w * n_segments + s`` of it belongs to window ``w`` of ``grid``.
    """
    return grid.cached(
        "previous_grid", lambda: Grid(grid.data, [w.previous() for w in grid.windows], grid.segments)
    )


def _feedback_retention_tally(run: Run) -> list[Tally]:
    grid = run.grid
    before = previous_grid(grid)
    givers: list[set[str]] = [set() for _ in range(grid.n_cells)]
    ends = [w.end for w in grid.windows]
    ns = grid.n_segments
    retained: list[set[str]] = [set() for _ in range(grid.n_cells)]
    pairs = [(r.account_id, r.responded_at) for r in before.records(SurveyResponse)]
    pairs += [(f.account_id, f.received_at) for f in before.records(Feedback)]
    for account_id, instant in pairs:
        cells = before.cells_at(instant, before.account_segments(account_id))
        if not cells:
            continue
        account = run.data.account(account_id)
        for c in cells:
            givers[c].add(account_id)
            if account.is_customer_at(ends[c // ns]):
                retained[c].add(account_id)
    return [{"feedback_accounts": g, "retained": k} for g, k in zip(givers, retained, strict=True)]


def _feedback_retention_finish(cell: Cell, tally: Tally) -> MetricResult:
    givers: set[str] = tally["feedback_accounts"]
    kept: set[str] = tally["retained"]
    previous = cell.window.previous()
    counts = {"feedback_accounts": len(givers), "retained": len(kept)}
    weighted: Tally = dict(counts)
    if cell.basis is not None:
        reading, whole, part = annual(cell.basis), zero(), zero()
        for account_id in givers:
            churned = cell.data.account(account_id).churned_at
            at = churned if churned is not None and churned < previous.end else previous.end
            weight = cell.data.arr_at(account_id, at, reading)
            whole += weight
            if account_id in kept:
                part += weight
        weighted["feedback_accounts_weight"] = on_basis(whole, cell.basis)
        weighted["retained_weight"] = on_basis(part, cell.basis)
    return share(
        cell, weighted, hits="retained", population="feedback_accounts",
        empty_reason=f"no account gave feedback in the previous period ({previous.label}) in the segment",
        components=counts, details={"feedback_window": previous.label},
        weights_at="the end of the previous period, or each account's churn if earlier",
    )  # fmt: skip


FEEDBACK_RETENTION = register(
    Definition(
        FEEDBACK_RETENTION_SPEC,
        _feedback_retention_tally,
        _feedback_retention_finish,
        checks={"confidence": check_confidence},
        needs=("surveys", "feedback"),
    )
)
