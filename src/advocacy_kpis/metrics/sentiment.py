"""Family 1, customer sentiment and loyalty: what customers say about you."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
from advocacy_kpis.formulas import csat, is_satisfied, nps, nps_category, weighted_nps
from advocacy_kpis.metrics._common import check_confidence, zero
from advocacy_kpis.records import SurveyKind
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import nps_interval, wilson_interval
from advocacy_kpis.tally import Cell, Definition, Run, Tally, register

__all__ = ["customer_satisfaction_score", "net_promoter_score"]


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
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Net Promoter Score of the respondents in ``window``.

    .. math:: \mathrm{NPS} = 100 \cdot \frac{P - D}{n}

    Args:
        data: the data set.
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
    data: AdvocacyData,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = 0.95,
) -> MetricResult:
    r"""Share of CSAT responses in ``window`` scoring 4 or 5.

    .. math:: \mathrm{CSAT} = \frac{\#\{r : s_r \geq 4\}}{\#\{r\}}

    Args:
        data: the data set.
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
