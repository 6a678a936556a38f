"""Family 1, customer sentiment and loyalty: what customers say about you."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from advocacy_kpis.blocks import (
    ADD,
    CONFIDENCE,
    Block,
    Cell,
    Events,
    LatestAnswers,
    Records,
    Run,
    Source,
    annual,
    field,
    measures,
    on_basis,
    unsegmented_note,
)
from advocacy_kpis.blocks.hits import sources
from advocacy_kpis.catalog import (
    BasisUse,
    Family,
    MetricKind,
    MetricSpec,
    Pitfall,
    SegmentUse,
    SignalType,
)
from advocacy_kpis.data import COLLECTIONS, AdvocacyData
from advocacy_kpis.formulas import csat, net_sentiment, nps, nps_category, weighted_nps
from advocacy_kpis.formulas import customer_loyalty_index as customer_loyalty_index_formula
from advocacy_kpis.grid import Grid
from advocacy_kpis.records import Mention, SurveyKind
from advocacy_kpis.result import Direction, MetricResult, Unit
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.stats import net_score_interval, nps_interval, wilson_interval
from advocacy_kpis.tally import Metric, Tally

if TYPE_CHECKING:
    from advocacy_kpis.engines import Tables, TablesRun

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
    parameters=(CONFIDENCE,),
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

_GROUPS: Final = ("promoters", "passives", "detractors")
_GROUP_OF_SCORE: Final = tuple(
    _GROUPS[("promoter", "passive", "detractor").index(nps_category(s))] for s in range(11)
)
NPS_ANSWERS: Final = LatestAnswers((SurveyKind.NPS,), weigh=True)


def _nps_finish(cell: Cell, tally: Tally) -> MetricResult:
    answers = tally[NPS_ANSWERS]
    counts = dict.fromkeys(_GROUPS, 0)
    weights = dict.fromkeys(_GROUPS, Decimal(0))
    for (score,), n in answers.patterns.items():
        assert score is not None
        counts[_GROUP_OF_SCORE[score]] += n
    for (score,), weight in answers.weights.items():
        assert score is not None
        weights[_GROUP_OF_SCORE[score]] += weight
    p, passive, d = counts["promoters"], counts["passives"], counts["detractors"]
    respondents = p + passive + d
    components = {"promoters": p, "passives": passive, "detractors": d, "respondents": respondents}
    details = {"repeat_answers_dropped": answers.answers - respondents}
    reason = "no NPS responses in the window and segment"
    basis = cell.basis
    if basis is None:
        value, interval = nps(p, passive, d), nps_interval(p, passive, d, cell.confidence)
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
    stated = {name: on_basis(weight, basis) for name, weight in weights.items()}
    end = cell.window.end
    value = weighted_nps(stated["promoters"], stated["passives"], stated["detractors"])
    if respondents and value is None:
        reason = f"no respondent's account has {basis.name} at {end.isoformat()}"
    return cell.build(
        value=value, undefined_reason=reason, numerator=stated["promoters"] - stated["detractors"],
        denominator=sum(stated.values(), Decimal(0)), sample_size=respondents, components=components,
        details={**details, "weights_at": end.isoformat()},
    )  # fmt: skip


NPS: Final = Metric(NPS_SPEC, [NPS_ANSWERS], _nps_finish, needs=("surveys",))


@NPS.function
def net_promoter_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Net Promoter Score of the respondents in ``window``.

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
    parameters=(CONFIDENCE,),
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

CSAT_ANSWERS: Final = Events(
    "surveys",
    where=field("kind") == SurveyKind.CSAT,
    counts={"responses": None, "satisfied": field("score") >= 4},
    sums={"score": field("score")},
)


def _csat_finish(cell: Cell, tally: Tally) -> MetricResult:
    answers = tally[CSAT_ANSWERS]
    satisfied, responses = answers.counts.get("satisfied", 0), answers.counts.get("responses", 0)
    return cell.build(
        value=csat(satisfied, responses), undefined_reason="no CSAT responses in the window and segment",
        numerator=satisfied, denominator=responses, sample_size=responses,
        interval=wilson_interval(satisfied, responses, cell.confidence),
        components={"satisfied": satisfied, "responses": responses},
        details={"mean_score": answers.sums.get("score", 0) / responses if responses else None},
    )  # fmt: skip


CSAT: Final = Metric(CSAT_SPEC, [CSAT_ANSWERS], _csat_finish, needs=("surveys",))


@CSAT.function
def customer_satisfaction_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of CSAT responses in ``window`` scoring 4 or 5.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_satisfaction_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator
        (0.75, 3, 4)
        >>> customer_satisfaction_score(tiny(), window=Window.quarter(2025, 1)).value is None
        True
    """
    return CSAT.one(data, window=window, segment=segment, confidence=confidence)


LOYALTY_QUESTIONS: Final = (SurveyKind.NPS, SurveyKind.REPURCHASE, SurveyKind.UPSELL)
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

LOYALTY_ANSWERS: Final = LatestAnswers(LOYALTY_QUESTIONS)


def _loyalty_finish(cell: Cell, tally: Tally) -> MetricResult:
    answers = tally[LOYALTY_ANSWERS]
    questions = [kind.value for kind in LOYALTY_QUESTIONS]
    complete = {p: n for p, n in answers.patterns.items() if all(score is not None for score in p)}
    incomplete = {p: n for p, n in answers.patterns.items() if p not in complete}
    n = sum(complete.values())
    missing = sum(incomplete.values())
    total = sum(sum(score for score in p if score is not None) * k for p, k in complete.items())
    details: dict[str, Any] = {
        f"mean_{q}": (sum((p[i] or 0) * k for p, k in complete.items()) / n if n else None)
        for i, q in enumerate(questions)
    }
    details.update(
        {
            f"missing_{q}": sum(k for p, k in incomplete.items() if p[i] is None)
            for i, q in enumerate(questions)
        }
    )
    details["repeat_answers_dropped"] = answers.answers - answers.kept
    warnings = []
    if missing:
        warnings.append(
            f"{missing} respondents answered only some of the loyalty questions in the window "
            "and are left out"
        )
    return cell.build(
        value=customer_loyalty_index_formula(total, n),
        undefined_reason=(
            "no respondent answered all three loyalty questions (nps, repurchase, upsell) in the window "
            "and segment"
        ),
        numerator=total, denominator=3 * n, sample_size=n,
        components={"respondents": n, "incomplete_respondents": missing, "answers": answers.answers},
        details=details, warnings=warnings,
    )  # fmt: skip


LOYALTY: Final = Metric(LOYALTY_SPEC, [LOYALTY_ANSWERS], _loyalty_finish, needs=("surveys",))


@LOYALTY.function
def customer_loyalty_index(
    data: AdvocacyData | Tables, *, window: Window, segment: Segment | None = None
) -> MetricResult:
    """Mean loyalty (0-100) of the respondents who answered nps, repurchase and upsell in ``window``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_loyalty_index(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.components["respondents"], r.components["incomplete_respondents"]
        (80.0, 2, 2)
        >>> customer_loyalty_index(tiny(), window=Window.quarter(2026, 2)).undefined_reason
        'no respondent answered all three loyalty questions (nps, repurchase, upsell) in the window and segment'
    """
    return LOYALTY.one(data, window=window, segment=segment)


_NET_SENTIMENT_LATEX: Final = r"\frac{n_{+} - n_{-}}{n_{+} + n_{0} + n_{-}}"

_NET_SENTIMENT_INTERVAL: Final = (
    "The interval is the adjusted-Wald interval NPS uses, on the net score's own scale: 3/4 is added "
    "to the positive and to the negative counts and 3 to the total before the normal interval of "
    "p - q is taken, and it is clipped to [-1, 1]."
)

_ADJUSTED_CENTRE_NOTE: Final = (
    "the adjusted-Wald interval is centred on the adjusted score and excludes the raw score: too few "
    "records to read this value"
)

_LABELS: Final = ("positive", "neutral", "negative")


def _net_sentiment_fields(cell: Cell, counts: dict[str, int], warnings: list[str]) -> dict[str, Any]:
    """Value, interval, the counts behind them and the warnings, for `Cell.build`."""
    positive, neutral, negative = counts["positive"], counts["neutral"], counts["negative"]
    total = positive + neutral + negative
    value = net_sentiment(positive, neutral, negative)
    interval = net_score_interval(positive, neutral, negative, cell.confidence)
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
    parameters=(CONFIDENCE,),
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

FEEDBACK: Final = Events("feedback", by={"sentiment": field("sentiment")})


def _customer_sentiment_finish(cell: Cell, tally: Tally) -> MetricResult:
    labels = tally[FEEDBACK].by.get("sentiment", {})
    counts = {label: labels.get(label, 0) for label in _LABELS}
    return cell.build(
        undefined_reason="no feedback received in the window and segment",
        components={**counts, "feedback": sum(counts.values())},
        **_net_sentiment_fields(cell, counts, []),
    )


CUSTOMER_SENTIMENT: Final = Metric(
    SENTIMENT_SPEC, [FEEDBACK], _customer_sentiment_finish, needs=("feedback",)
)


@CUSTOMER_SENTIMENT.function
def customer_sentiment(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Net sentiment of the customer feedback received in ``window``, in [-1, 1].

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
    parameters=(CONFIDENCE,),
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

MENTION_SENTIMENT: Final = Events(
    "mentions",
    counts={"unlabelled": field("sentiment").is_null()},
    by={
        "organic": field("sentiment").when(field("organic")),
        "paid": field("sentiment").when(~field("organic")),
    },
    outside_when=field("id").not_null(),
)


def _brand_sentiment_finish(cell: Cell, tally: Tally) -> MetricResult:
    mentions = tally[MENTION_SENTIMENT]
    parts = {
        name: {label: mentions.by.get(name, {}).get(label, 0) for label in _LABELS}
        for name in ("organic", "paid")
    }
    counts = {label: parts["organic"][label] + parts["paid"][label] for label in _LABELS}
    labelled = sum(counts.values())
    unlabelled, outside = mentions.counts.get("unlabelled", 0), mentions.outside
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
        for name, part in parts.items()
    }
    return cell.build(
        undefined_reason=reason, components={**counts, "mentions": labelled, "unlabelled": unlabelled},
        details=details, accounts_segmented=False, **_net_sentiment_fields(cell, counts, warnings),
    )  # fmt: skip


BRAND_SENTIMENT: Final = Metric(
    BRAND_SENTIMENT_SPEC,
    [MENTION_SENTIMENT],
    _brand_sentiment_finish,
    needs=("mentions",),
    on_records=Mention,
)


@BRAND_SENTIMENT.function
def brand_sentiment(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Net sentiment of the labelled public mentions published in ``window``, in [-1, 1].

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
    parameters=(CONFIDENCE,),
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


@attrs.define
class GiverState:
    """The accounts of one cell that gave feedback in the period before the window.

    Attributes:
        givers: those accounts, each once.
        retained: those of them that are customers at W.end.
        givers_weight: with a basis, their ARR (annual form) at the end of the previous period,
            or at their churn if that came earlier.
        retained_weight: the same, over the retained ones.
    """

    givers: int = attrs.field(default=0, metadata=ADD)
    retained: int = attrs.field(default=0, metadata=ADD)
    givers_weight: Decimal = attrs.field(factory=Decimal, metadata=ADD)
    retained_weight: Decimal = attrs.field(factory=Decimal, metadata=ADD)


@attrs.frozen(eq=False)
class FeedbackGivers(Block[GiverState]):
    """Accounts with a record of ``sources`` stamped in ``W.previous()``, and whether they are
    customers at W.end: a custom block, as no other metric reads one window's events against
    another window's end."""

    sources: tuple[Source, ...] = attrs.field(converter=sources)
    state: ClassVar = GiverState

    def weighs(self) -> bool:
        return True

    def on_records(self, run: Run[Records]) -> list[GiverState]:
        grid, records = run.grid, run.context
        data = records.data
        before = grid.cached("previous", lambda: Grid([w.previous() for w in grid.windows], grid.segments))
        ns = grid.n_segments
        reading = annual(run.basis) if run.basis is not None else None
        out = [GiverState() for _ in range(grid.n_cells)]
        seen: set[tuple[str, int]] = set()
        for source in self.sources:
            kind: type[Any] = COLLECTIONS[source.collection]
            for record in Records(data, before).records(kind):
                instant = getattr(record, source.time_field)
                for w in before.windows_at(instant):
                    account_id = record.account_id
                    if (account_id, w) in seen:
                        continue
                    seen.add((account_id, w))
                    account = data.account(account_id)
                    kept = account.is_customer_at(grid.window_end(w))
                    weight = Decimal(0)
                    if reading is not None:
                        at = before.last_customer_instant(account.churned_at, w)
                        weight = data.arr_at(account_id, at, reading)
                    for s in records.account_segments(account_id):
                        cell = out[w * ns + s]
                        cell.givers += 1
                        cell.givers_weight += weight
                        if kept:
                            cell.retained += 1
                            cell.retained_weight += weight
        return out

    def on_tables(self, run: Run[TablesRun]) -> list[GiverState]:
        tables = run.context
        nw, grid = tables.nw, run.grid
        windows = grid.windows
        periods = tables.engine.small(
            {
                "_w": list(range(len(windows))),
                "_ps": [tables.micros(w.previous().start) for w in windows],
                "_pe": [tables.micros(w.previous().end) for w in windows],
                "_we": [tables.micros(w.end) for w in windows],
            }
        )
        parts = [
            tables.frame(source.collection).select(
                nw.col("account_id").cast(nw.String()).alias("_acc"), nw.col(source.time_field).alias("_t")
            )
            for source in self.sources
            if tables.has(source.collection)
        ]
        events = parts[0] if len(parts) == 1 else nw.concat(parts, how="vertical")
        givers = (
            events.join(periods, how="cross")
            .filter((nw.col("_t") >= nw.col("_ps")) & (nw.col("_t") < nw.col("_pe")))
            .pipe(tables.distinct, ["_acc", "_w", "_pe", "_we"])
            .join(tables.accounts().select("_acc", "_since", "_churn", *tables.attrs), on="_acc", how="inner")
        )
        churn = nw.col("_churn")
        kept = (nw.col("_since") < nw.col("_we")) & (churn.is_null() | (churn >= nw.col("_we")))
        givers = givers.with_columns(kept.alias("_kept"))
        counts = {
            "givers": tables.window_counts(givers),
            "retained": tables.window_counts(givers.filter(nw.col("_kept"))),
        }
        weights: dict[str, list[Decimal]] = {}
        if run.basis is not None:
            at = nw.when(~churn.is_null() & (churn < nw.col("_pe"))).then(churn).otherwise(nw.col("_pe"))
            live = (
                givers.with_columns(at.alias("_at"))
                .join(tables.contracts(), on="_acc", how="inner")
                .filter((nw.col("_start") < nw.col("_at")) & (nw.col("_at") <= nw.col("_end")))
            )
            reading = annual(run.basis)
            weights["givers"] = tables.window_money([live], reading)
            weights["retained"] = tables.window_money([live.filter(nw.col("_kept"))], reading)
        return [
            GiverState(
                givers=counts["givers"][c],
                retained=counts["retained"][c],
                givers_weight=weights["givers"][c] if weights else Decimal(0),
                retained_weight=weights["retained"][c] if weights else Decimal(0),
            )
            for c in range(grid.n_cells)
        ]


GIVERS: Final = FeedbackGivers((Source("surveys"), Source("feedback")))


def _feedback_retention_finish(cell: Cell, tally: Tally) -> MetricResult:
    givers = tally[GIVERS]
    previous = cell.window.previous()
    counts = {"feedback_accounts": givers.givers, "retained": givers.retained}
    return measures.proportion(
        cell, givers.retained, givers.givers,
        empty_reason=f"no account gave feedback in the previous period ({previous.label}) in the segment",
        weights=(givers.retained_weight, givers.givers_weight), components=counts,
        details={"feedback_window": previous.label},
        weights_at="the end of the previous period, or each account's churn if earlier",
    )  # fmt: skip


FEEDBACK_RETENTION: Final = Metric(
    FEEDBACK_RETENTION_SPEC, [GIVERS], _feedback_retention_finish, needs=("surveys", "feedback")
)


@FEEDBACK_RETENTION.function
def customer_feedback_retention_score(
    data: AdvocacyData | Tables,
    *,
    window: Window,
    segment: Segment | None = None,
    basis: RevenueBasis | None = None,
    confidence: float = CONFIDENCE.default,
) -> MetricResult:
    """Share of the accounts that gave feedback in ``window.previous()`` still customers at ``window.end``.

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> r = customer_feedback_retention_score(tiny(), window=Window.quarter(2026, 3))
        >>> r.value, r.numerator, r.denominator, r.details["feedback_window"]
        (0.6666666666666666, 2, 3, '2026Q2')
        >>> customer_feedback_retention_score(tiny(), window=Window.year(2020)).undefined_reason
        'no account gave feedback in the previous period (2019) in the segment'
    """
    return FEEDBACK_RETENTION.one(data, window=window, segment=segment, basis=basis, confidence=confidence)
