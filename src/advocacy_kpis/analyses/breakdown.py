"""The happiest customer profiles: a metric's segments ranked, each tested against the rest.

`segment_breakdown` cuts one metric in one window by the values of one or more attributes (or
their crossing). Each segment is compared with the rest of the population, the accounts outside
it, never with a whole that contains it (which would shrink every difference towards zero and
count the segment on both sides). Rates and NPS get the test `MetricResult.change_from` would use
(two proportions, Fisher's exact test when a cell is small, the NPS difference); counts are
compared per account with the exact conditional test; money is ranked per account without a test,
since no honest one exists for sums dominated by a few large contracts. Every test of the call is
corrected together (Holm by default), so a segment is called reliably better or worse under a
stated error rate. Segments too small to judge are listed but not ranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from advocacy_kpis import catalog, display
from advocacy_kpis.analyses._common import (
    ERROR_RATE,
    Correction,
    Tabular,
    check_correction,
    period_label,
    segment_label,
)
from advocacy_kpis.data import AdvocacyData
from advocacy_kpis.errors import ParameterError
from advocacy_kpis.result import (
    FISHER_BELOW,
    NPS_TEST_MIN_RESPONDENTS,
    SMALL_SAMPLE,
    Direction,
    MetricResult,
    Unit,
    format_value,
)
from advocacy_kpis.scope import RevenueBasis, Segment, Window
from advocacy_kpis.scorecard import unit_label
from advocacy_kpis.stats import (
    TestResult,
    conditional_binomial_test,
    fisher_exact_test,
    nps_difference_test,
    smallest_expected_count,
    two_proportion_test,
)

__all__ = ["RestComparison", "SegmentBreakdown", "SegmentRow", "segment_breakdown", "versus_rest"]

_NPS_KEYS = ("promoters", "passives", "detractors")


@attrs.frozen
class RestComparison:
    """A segment against the rest of the population (the whole without the segment).

    Attributes:
        value: the rest's value (per account for counts and money), or None.
        n: the units the rest's value rests on, or None.
        segment_value: the segment's value on the same footing (per account for counts and money).
        test: the test of ``segment - rest``, or None (see ``note``).
        note: why there is no test, or None.
    """

    value: float | Decimal | None
    n: int | None
    segment_value: float | Decimal | None
    test: TestResult | None
    note: str | None = None


def _ints(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def versus_rest(
    result: MetricResult,
    whole: MetricResult,
    *,
    accounts: int | None = None,
    all_accounts: int | None = None,
    confidence: float = 0.95,
) -> RestComparison:
    """One segment's result against the rest of the whole's population, with the test that fits.

    The rest is the whole's counts less the segment's, so the metric must count each unit
    (account, respondent, record) in one segment only, as attribute segments do.

    Args:
        result: the segment's result.
        whole: the result over every account, same metric, window and parameters.
        accounts: accounts active in the window in the segment (counts and money are compared per account).
        all_accounts: accounts active in the window overall.
        confidence: the level of the intervals.

    Returns:
        The `RestComparison`: the rest's value and n, and the test or the reason there is none.
    """
    if result.value is None or whole.value is None:
        reason = result.undefined_reason if result.value is None else whole.undefined_reason
        return RestComparison(None, None, None, None, f"a value is undefined ({reason})")
    if result.basis is not None and result.unit in (Unit.RATE, Unit.SCORE):
        return RestComparison(
            None,
            None,
            None,
            None,
            "no honest test for revenue-weighted values (their spread depends on the revenue mix)",
        )
    if all(k in result.components and k in whole.components for k in _NPS_KEYS):
        mine = tuple(int(result.components[k]) for k in _NPS_KEYS)
        rest = tuple(int(whole.components[k]) - m for k, m in zip(_NPS_KEYS, mine, strict=True))
        if min(rest) < 0:
            return RestComparison(
                None, None, None, None, "the whole is not the sum of its segments for this metric"
            )
        n_rest = sum(rest)
        rest_value = 100 * (rest[0] - rest[2]) / n_rest if n_rest else None
        if min(sum(mine), n_rest) < NPS_TEST_MIN_RESPONDENTS:
            return RestComparison(
                rest_value, n_rest, float(result.value), None,
                f"no honest test for NPS samples this small ({sum(mine)} and {n_rest} respondents; the "
                f"adjusted-difference test needs at least {NPS_TEST_MIN_RESPONDENTS} in each)",
            )  # fmt: skip
        test = nps_difference_test(rest, mine, confidence)  # type: ignore[arg-type]
        return RestComparison(rest_value, n_rest, float(result.value), test)
    if result.unit is Unit.RATE:
        num, den, whole_num, whole_den = (
            result.numerator,
            result.denominator,
            whole.numerator,
            whole.denominator,
        )
        if not _ints(num, den, whole_num, whole_den):
            return RestComparison(None, None, None, None, "the results carry no counts to test")
        assert isinstance(num, int) and isinstance(den, int)
        assert isinstance(whole_num, int) and isinstance(whole_den, int)
        rest_num, rest_den = whole_num - num, whole_den - den
        if rest_num < 0 or rest_den < rest_num:
            return RestComparison(
                None, None, None, None, "the whole is not the sum of its segments for this metric"
            )
        if rest_den == 0:
            return RestComparison(None, 0, float(result.value), None, "the segment is the whole population")
        smallest = smallest_expected_count(rest_num, rest_den, num, den)
        chosen = (
            fisher_exact_test if smallest is not None and smallest < FISHER_BELOW else two_proportion_test
        )
        test = chosen(rest_num, rest_den, num, den, confidence)
        return RestComparison(rest_num / rest_den, rest_den, float(result.value), test)
    if result.unit in (Unit.COUNT, Unit.MONEY):
        if accounts is None or all_accounts is None:
            return RestComparison(None, None, None, None, "compared per account: the accounts are not known")
        rest_accounts = all_accounts - accounts
        if accounts <= 0 or rest_accounts <= 0:
            return RestComparison(None, rest_accounts, None, None, "no account is active on one side")
        if result.unit is Unit.MONEY:
            mine_money = Decimal(result.value) / accounts
            rest_money = (Decimal(whole.value) - Decimal(result.value)) / rest_accounts
            return RestComparison(
                rest_money, rest_accounts, mine_money, None,
                "no honest test for money: a few large contracts dominate a sum; ranked per account",
            )  # fmt: skip
        if not _ints(result.value, whole.value):
            return RestComparison(None, None, None, None, "the results carry no counts to test")
        count, rest_count = int(result.value), int(whole.value) - int(result.value)
        if rest_count < 0:
            return RestComparison(
                None, None, None, None, "the whole is not the sum of its segments for this metric"
            )
        test = conditional_binomial_test(rest_count, count, rest_accounts, accounts)
        note = None if test is not None else "no events on either side, so nothing to test"
        return RestComparison(rest_count / rest_accounts, rest_accounts, count / accounts, test, note)
    return RestComparison(
        None, None, None, None, f"no honest test for a {result.unit.value} against the rest"
    )


@attrs.frozen
class SegmentRow:
    """One segment of a `SegmentBreakdown`.

    Attributes:
        rank: 1 for the best value in the metric's direction (per account for counts and
            money); None when not ranked (undefined value, or a sample below the minimum).
        segment: the segment.
        result: its result.
        rest: the segment against the rest of the population.
        adjusted_p: the test's p-value adjusted across the breakdown's tests, or None.
        versus_rest: ``"above"`` or ``"below"`` the rest, when the corrected test says so; else None.
        note: why the segment is not ranked, where it is not.
    """

    rank: int | None
    segment: Segment
    result: MetricResult
    rest: RestComparison
    adjusted_p: float | None = None
    versus_rest: Literal["above", "below"] | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        """The segment as a reader names it (``Enterprise · EMEA``)."""
        return segment_label(self.segment)

    @property
    def better(self) -> bool | None:
        """Whether ``versus_rest`` is the better side in the metric's direction (None without a verdict)."""
        if self.versus_rest is None:
            return None
        direction = catalog.get(self.result.metric).direction
        if direction is Direction.TARGET_RANGE:
            return None
        return (self.versus_rest == "above") == (direction is not Direction.LOWER_IS_BETTER)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@attrs.frozen(repr=False)
class SegmentBreakdown(Tabular):
    """A metric's segments in one window, ranked, each tested against the rest.

    Attributes:
        metric: the metric id.
        window: the window.
        whole: the result over every account.
        rows: the segments, ranked ones first (best first), then those not ranked.
        min_sample: the smallest sample a segment needs to be ranked.
        correction: the multiple-testing correction over the breakdown's tests.
    """

    metric: str
    window: Window
    whole: MetricResult
    rows: tuple[SegmentRow, ...]
    min_sample: int
    correction: Correction

    @property
    def above(self) -> tuple[SegmentRow, ...]:
        """Segments reliably above the rest."""
        return tuple(r for r in self.rows if r.versus_rest == "above")

    @property
    def below(self) -> tuple[SegmentRow, ...]:
        """Segments reliably below the rest."""
        return tuple(r for r in self.rows if r.versus_rest == "below")

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat, JSON-safe dict per segment."""
        out = []
        for row in self.rows:
            test = row.rest.test
            interval = test.interval if test is not None else None
            out.append(
                {
                    "rank": row.rank,
                    "segment": row.segment.name,
                    "label": row.label,
                    "value": _number(row.result.value),
                    "n": row.result.sample_size,
                    "compared_value": _number(row.rest.segment_value),
                    "rest": _number(row.rest.value),
                    "n_rest": row.rest.n,
                    "difference": test.estimate if test is not None else None,
                    "low": interval.low if interval is not None else None,
                    "high": interval.high if interval is not None else None,
                    "p_value": test.p_value if test is not None else None,
                    "adjusted_p": row.adjusted_p,
                    "versus_rest": row.versus_rest,
                    "note": row.note or row.rest.note,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "metric": self.metric,
            "window": self.window.to_dict(),
            "whole": self.whole.to_dict(),
            "min_sample": self.min_sample,
            "correction": self.correction.to_dict(),
            "rows": [
                {**flat, "result": row.result.to_dict()}
                for flat, row in zip(self.to_rows(), self.rows, strict=True)
            ],
        }

    def _view(self) -> display.View:
        spec = catalog.get(self.metric)
        whole = self.whole
        per_account = whole.unit in (Unit.COUNT, Unit.MONEY)
        unit = unit_label(self.metric, whole.basis)
        notes = display.Footnotes()
        rows = []
        for row in self.rows:
            test = row.rest.test
            if row.note:
                verdict = display.Cell("not ranked", notes=(notes.number(row.note),), tone="na")
            elif test is None:
                verdict = display.Cell("no test", notes=(notes.number(row.rest.note or "no test applies"),))
            else:
                word = f"{row.versus_rest} the rest" if row.versus_rest else "not significant"
                tone: display.Tone = "plain" if row.better is None else "good" if row.better else "bad"
                adjusted = display.p_text(row.adjusted_p, adjusted=True)
                verdict = display.Cell(word, (display.p_text(test.p_value), adjusted), tone=tone)
            rows.append(
                (
                    display.Cell(str(row.rank) if row.rank is not None else "–"),
                    display.Cell(row.label, (row.segment.name,), tone="label"),
                    display.result_cell(row.result, notes),
                    *([_per_account(row.rest.segment_value)] if per_account else []),
                    _rest_cell(row.rest, whole.unit, per_account),
                    _difference_cell(test, whole.unit),
                    verdict,
                )
            )
        columns = (
            "rank", "segment", unit, *(["per account"] if per_account else []), "the rest", "difference", "verdict",
        )  # fmt: skip
        lines = [f"whole: {format_value(whole)} (n={whole.sample_size:,})"]
        if per_account:
            lines.append("counts and money are compared and ranked per active account")
        table = display.Table(columns, tuple(rows), notes=notes.notes, left=2)
        verdicts = display.Paragraph(f"Verdicts under {self.correction.describe()}.")
        title = f"{spec.name} in {period_label(self.window)} by segment, each against the rest"
        return display.View(title, tuple(lines), (table, verdicts), legend=_LEGEND)


_LEGEND = (
    "A segment is above or below the rest when the corrected test says so; the difference is the "
    f"segment's value less the rest's, with its interval. * marks a sample under {SMALL_SAMPLE}."
)


def _per_account(value: float | Decimal | None) -> display.Cell:
    return display.Cell(f"{float(value):,.2f}" if value is not None else "–")


def _rest_cell(rest: RestComparison, unit: Unit, per_account: bool) -> display.Cell:
    """The rest's value (per account for counts and money) and its n."""
    sub = (f"n={rest.n:,}",) if rest.n is not None else ()
    if rest.value is None:
        return display.Cell("–", sub)
    if per_account:
        return display.Cell(f"{float(rest.value):,.2f}", sub)
    return display.Cell(display.number_text(rest.value, unit.value, words=False), sub)


def _difference_cell(test: TestResult | None, unit: Unit) -> display.Cell:
    """The segment less the rest, with its interval: points for rates, per account for counts."""
    if test is None:
        return display.Cell("–")
    if unit is Unit.COUNT:
        return display.Cell(f"{test.estimate:+.2f}".replace("-", display.MINUS))
    shown, *bounds = display.difference_text(test.estimate, unit.value, interval=test.interval)
    return display.Cell(shown, tuple(bounds))


def _names(by: Any) -> list[str]:
    names = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else []
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ParameterError("by", "segment_breakdown", "an attribute name or a list of them", by)
    return [n.strip() for n in names]


def segment_breakdown(
    data: AdvocacyData,
    metric: str,
    window: Window,
    *,
    by: str | Sequence[str],
    cross: bool = False,
    min_sample: int = 30,
    basis: RevenueBasis | None = None,
    params: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    correction: str = "holm",
    error_rate: float = ERROR_RATE,
) -> SegmentBreakdown:
    """Rank the values of one or more attributes by a metric, each tested against the rest.

    Args:
        data: the data set.
        metric: the metric id.
        window: the window.
        by: an attribute name, or several.
        cross: with several attributes, rank their combinations (tier × region) instead of each
            attribute's values.
        min_sample: segments with fewer units are listed, not ranked nor tested.
        basis: revenue basis (money metrics, or weighted rates).
        params: the metric's parameters.
        confidence: the level of the intervals.
        correction: ``"holm"`` (family-wise error rate) or ``"benjamini-hochberg"`` (false
            discovery rate), applied across the breakdown's tests.
        error_rate: the error rate a difference from the rest is called at.

    Raises:
        ParameterError: a bad attribute list, ``min_sample``, ``correction`` or ``error_rate``.
        SegmentNotApplicableError: no account carries an attribute.

    Examples:
        >>> from advocacy_kpis import sample
        >>> ranked = segment_breakdown(sample.generate(), "net_promoter_score", Window.year(2026), by="tier")
        >>> [r.label for r in ranked.rows]
        ['Enterprise', 'Mid', 'SMB']
        >>> ranked.correction.method, ranked.correction.tests
        ('holm', 3)
    """
    from advocacy_kpis.scorecard import scorecard

    function = "segment_breakdown"
    method, rate = check_correction(correction, error_rate, function)
    names = _names(by)
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 0:
        raise ParameterError("min_sample", function, "a non-negative integer", min_sample)
    groups = [Segment.by(*names)] if cross else [Segment.by(n) for n in names]
    card = scorecard(
        data, metrics=[metric], windows=[window], segments=groups, basis=basis,
        weight_rates=False, params={metric: dict(params or {})},
    )  # fmt: skip
    chosen = card.metrics[0]
    whole = card.get(chosen, window)
    per_account = whole.unit in (Unit.COUNT, Unit.MONEY)
    everyone = len(data.active_in(window)) if per_account else None
    spec = catalog.get(chosen)
    rows: list[SegmentRow] = []
    for segment in card.segments:
        if segment.is_all:
            continue
        result = card.get(chosen, window, segment)
        accounts = len(data.active_in(window, segment)) if per_account else None
        rest = versus_rest(result, whole, accounts=accounts, all_accounts=everyone, confidence=confidence)
        note = None
        size = accounts if accounts is not None else result.sample_size
        if result.value is None:
            note = result.undefined_reason
        elif size < min_sample:
            note = f"{'accounts' if accounts is not None else 'sample'} of {size} < {min_sample}"
        rows.append(
            SegmentRow(
                None, segment, result, rest if note is None else attrs.evolve(rest, test=None), note=note
            )
        )
    tested = [r for r in rows if r.rest.test is not None]
    fix = Correction(
        method,
        rate,
        len(tested),
        f"{len(tested)} segment{'s' if len(tested) != 1 else ''} each against the rest",
    )
    p_values = [r.rest.test.p_value for r in tested if r.rest.test is not None]
    adjusted = dict(zip((id(r) for r in tested), fix.adjust(p_values), strict=True))
    judged = []
    for row in rows:
        value = adjusted.get(id(row))
        side: Literal["above", "below"] | None = None
        if value is not None and value < rate and row.rest.test is not None and row.rest.test.estimate != 0:
            side = "above" if row.rest.test.estimate > 0 else "below"
        judged.append(attrs.evolve(row, adjusted_p=value, versus_rest=side))
    ranked = [r for r in judged if r.note is None]
    lower = spec.direction is Direction.LOWER_IS_BETTER

    def key(row: SegmentRow) -> float:
        shown = (
            row.rest.segment_value if per_account and row.rest.segment_value is not None else row.result.value
        )
        value = float(shown) if shown is not None else 0.0
        return value if lower else -value

    ordered = sorted(ranked, key=lambda r: (key(r), card.segments.index(r.segment)))
    out = [attrs.evolve(r, rank=i) for i, r in enumerate(ordered, start=1)]
    out += [r for r in judged if r.note is not None]
    return SegmentBreakdown(chosen, window, whole, tuple(out), min_sample, fix)
