"""Scorecards: every cell equals the single call, tallies merge, segments by value, rows and frames."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy_kpis import (
    Account,
    AdvocacyData,
    ParameterError,
    RevenueBasis,
    Scorecard,
    Segment,
    Window,
    catalog,
    compute,
    scorecard,
)
from advocacy_kpis.catalog import BasisUse, SegmentUse
from advocacy_kpis.cli import main
from advocacy_kpis.data import COLLECTIONS
from advocacy_kpis.grid import Grid
from advocacy_kpis.sample import tiny
from advocacy_kpis.scope import SegmentsBy
from advocacy_kpis.tally import Tally, context, definition
from tests.strategies import HEAVY, TIERS, datasets

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.25")})
SPECS = catalog.all()
WINDOW_CHOICES = [
    Window.quarter(2025, 4),
    Window.quarter(2026, 1),
    Window.month(2026, 2),
    Window.quarter(2026, 2),
    Window.month(2026, 8),
    Window.quarter(2026, 3),
    Window.quarter(2026, 4),
    Window.between(Window.month(2026, 1).start, Window.month(2026, 5).end),
]


def _basis(spec: catalog.MetricSpec) -> RevenueBasis | None:
    return BASIS if spec.basis in (BasisUse.REQUIRED, BasisUse.CURRENCY) else None


def _segments(spec: catalog.MetricSpec) -> list[Segment]:
    if spec.segment is SegmentUse.NONE:
        return [Segment.all()]
    if definition(spec.id).on_records is not None:
        return [Segment.all()]
    return [Segment.all(), *[Segment.where(tier=t) for t in TIERS], Segment.where(tier=("mid", "smb"))]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@given(data=datasets(max_accounts=8), picks=st.sets(st.sampled_from(WINDOW_CHOICES), min_size=1, max_size=3))
@HEAVY
def test_every_scorecard_cell_equals_the_single_call(
    spec: catalog.MetricSpec, data: AdvocacyData, picks: set[Window]
) -> None:
    windows = sorted(picks, key=lambda w: (w.start, w.end))
    segments = _segments(spec)
    basis = _basis(spec)
    card = scorecard(data, metrics=[spec.id], windows=windows, segments=segments, basis=basis)
    function = catalog.function(spec.id)
    for window, segment in product(windows, segments):
        kwargs: dict[str, Any] = {"window": window, "segment": segment}
        if basis is not None:
            kwargs["basis"] = basis
        single = function(data, **kwargs)
        assert card.get(spec.id, window, segment).to_dict() == single.to_dict()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.basis is BasisUse.OPTIONAL], ids=lambda s: s.id)
@given(data=datasets(max_accounts=6), window=st.sampled_from(WINDOW_CHOICES))
@HEAVY
def test_weighted_scorecard_cells_equal_the_weighted_single_call(
    spec: catalog.MetricSpec, data: AdvocacyData, window: Window
) -> None:
    segments = _segments(spec)
    card = scorecard(
        data, metrics=[spec.id], windows=[window], segments=segments, basis=BASIS, weight_rates=True
    )
    for segment in segments:
        single = catalog.function(spec.id)(data, window=window, segment=segment, basis=BASIS)
        assert card.get(spec.id, window, segment).to_dict() == single.to_dict()


def _components(data: AdvocacyData, part: set[str], even: bool) -> AdvocacyData:
    """The accounts in ``part`` with their records; records without an account go by position parity."""
    chosen: dict[str, list[Any]] = {}
    for name in COLLECTIONS:
        records = getattr(data, name)
        if name == "accounts":
            chosen[name] = [a for a in records if a.id in part]
            continue
        chosen[name] = [
            r
            for i, r in enumerate(records)
            if (r.account_id in part if getattr(r, "account_id", None) is not None else (i % 2 == 0) == even)
        ]
    return AdvocacyData.from_records(as_of=data.as_of, calendar=data.calendar, **chosen)


def _linked_parts(data: AdvocacyData, picks: list[bool]) -> tuple[set[str], set[str]]:
    """Two parts of the accounts; accounts a referral links (sender and converted) stay together."""
    ids = [a.id for a in data.accounts]
    parent = {a: a for a in ids}

    def find(a: str) -> str:
        while parent[a] != a:
            a = parent[a]
        return a

    for r in data.referrals:
        if r.converted_account_id is not None:
            parent[find(r.converted_account_id)] = find(r.account_id)
    first = {a for a, pick in zip(ids, picks, strict=False) if pick}
    first = {a for a in ids if find(a) in {find(b) for b in first}}
    return first, set(ids) - first


def _normal(value: Any) -> Any:
    if isinstance(value, Tally):
        return [_normal(attrs.asdict(state, recurse=False)) for _, state in value.states()]
    if isinstance(value, list):
        return sorted(value, key=repr)
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return value


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@given(data=datasets(max_accounts=8), picks=st.lists(st.booleans(), min_size=8, max_size=8))
@HEAVY
def test_tallies_of_two_parts_merge_into_the_tally_of_the_whole(
    spec: catalog.MetricSpec, data: AdvocacyData, picks: list[bool]
) -> None:
    first, second = _linked_parts(data, picks)
    windows = [Window.quarter(2026, 1), Window.quarter(2026, 3), Window.month(2026, 8)]
    segments = _segments(spec)
    chosen = definition(spec.id)
    params = chosen.prepare({})
    basis = _basis(spec)

    def tallies(part: AdvocacyData) -> list[Tally]:
        return chosen.tallies(context(part, Grid(windows, segments)), basis, params)

    whole = tallies(data)
    parts = [tallies(_components(data, p, even)) for p, even in ((first, True), (second, False))]
    merged = [a.merge(b) for a, b in zip(*parts, strict=True)]
    assert [_normal(t) for t in merged] == [_normal(t) for t in whole]


def test_segment_by_finds_exactly_the_values_present() -> None:
    data = tiny()
    tiers = sorted({a.tier for a in data.accounts if a.tier is not None})
    resolved = Segment.by("tier").resolve(data)
    assert resolved == [Segment.all(), *[Segment.where(tier=t) for t in tiers]]


def test_segment_by_two_attributes_is_their_crossing() -> None:
    data = tiny()
    tiers = sorted({a.tier for a in data.accounts if a.tier is not None})
    regions = sorted({a.region for a in data.accounts if a.region is not None})
    resolved = Segment.by("tier", "region").resolve(data)
    expected = [Segment.where(tier=t, region=r) for t, r in product(tiers, regions)]
    assert resolved[0] == Segment.all()
    assert set(resolved[1:]) == set(expected) and len(resolved) == 1 + len(tiers) * len(regions)


def test_segment_by_refuses_an_attribute_no_account_has() -> None:
    with pytest.raises(ParameterError, match="plan"):
        Segment.by("plan").resolve(tiny())
    with pytest.raises(ParameterError):
        Segment.by()


def _card() -> Scorecard:
    return scorecard(
        tiny(),
        metrics=["net_promoter_score", "customer_retention_rate", "revenue_from_referrals"],
        windows=Window.year(2026).split("quarter"),
        segments=Segment.by("tier"),
        basis=BASIS,
    )


def test_rows_carry_every_cell_and_are_json_safe() -> None:
    card = _card()
    rows = card.to_rows()
    assert len(rows) == 3 * 4 * len(card.segments)
    assert {(r["metric"], r["window"], r["segment"]) for r in rows} == {
        (m, w.label, s.name) for m in card.metrics for w in card.windows for s in card.segments
    }
    json.dumps(rows)
    q3 = next(
        r
        for r in rows
        if r["metric"] == "net_promoter_score" and r["window"] == "2026Q3" and r["segment"] == "all"
    )
    # tiny(): in 2026Q3 two promoters, one passive, one detractor: 100 * (2 - 1) / 4.
    assert q3["value"] == 25.0 and q3["numerator"] == 1 and q3["denominator"] == 4


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_frames_carry_every_cell(kind: str) -> None:
    pytest.importorskip("narwhals")
    pytest.importorskip(kind)
    card = _card()
    frame = card.to_frame(kind)
    assert len(frame) == len(card.results)
    assert {"metric", "window", "segment", "value", "value_text", "interval_low"} <= set(frame.columns)


def test_frame_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ParameterError, match="kind"):
        _card().to_frame("excel")  # type: ignore[arg-type]


def test_get_refuses_a_cell_outside_the_scorecard() -> None:
    card = _card()
    with pytest.raises(ParameterError, match="2025Q1"):
        card.get("net_promoter_score", Window.quarter(2025, 1))
    with pytest.raises(ParameterError, match="region"):
        card.get("net_promoter_score", Window.quarter(2026, 1), Segment.where(region="EMEA"))
    with pytest.raises(ParameterError):
        card.get("customer_satisfaction_score", Window.quarter(2026, 1))


def test_series_is_in_time_order() -> None:
    card = scorecard(
        tiny(),
        metrics=["customer_retention_rate"],
        windows=[Window.quarter(2026, 3), Window.quarter(2026, 1)],
    )
    assert [r.window.label for r in card.series("customer_retention_rate")] == ["2026Q1", "2026Q3"]


def test_changes_give_every_metric_and_segment_between_two_windows_in_one_table() -> None:
    quarters = Window.year(2026).split("quarter")[:3]
    card = scorecard(
        tiny(),
        metrics=["customer_retention_rate", "net_promoter_score"],
        windows=quarters,
        segments=Segment.by("tier"),
    )
    moved = card.changes()
    # By default the latest window against the one before it.
    assert (moved.previous_window.label, moved.current_window.label) == ("2026Q2", "2026Q3")
    segments = ["all", "tier=enterprise", "tier=mid", "tier=smb"]
    assert [(c.metric, c.segment.name if c.segment else None) for c in moved] == [
        *[("customer_retention_rate", s) for s in segments],
        *[("net_promoter_score", s) for s in segments],
    ]
    assert all((c.previous_window, c.current_window) == (quarters[1], quarters[2]) for c in moved)
    # tiny(): 4 customers at the start of Q2 and Q3, all kept in Q2, one of them churned in Q3.
    whole = moved.get("customer_retention_rate")
    assert (whole.previous, whole.current, whole.absolute) == (1.0, 0.75, -0.25)
    assert whole.name == "Customer Retention Rate"
    # No mid-tier customer at the start of either quarter: undefined, never 0, and said why.
    mid = moved.get("customer_retention_rate", Segment.where(tier="mid"))
    assert mid.absolute is None and mid.significant is None and mid.reason
    # Any two windows of the scorecard: Q3 against Q1.
    apart = card.changes(quarters[2], quarters[0], metrics="customer_retention_rate", segments=Segment.all())
    assert [(c.previous, c.current) for c in apart] == [(1.0, 0.75)]


def test_changes_rows_name_the_metric_segment_and_windows() -> None:
    card = scorecard(
        tiny(), metrics=["customer_retention_rate"], windows=Window.year(2026).split("quarter")[:3]
    )
    (row,) = card.changes().to_rows()
    assert {k: row[k] for k in ("metric", "segment", "unit", "previous_window", "current_window")} == {
        "metric": "customer_retention_rate",
        "segment": "all",
        "unit": "rate",
        "previous_window": "2026Q2",
        "current_window": "2026Q3",
    }
    assert (row["previous"], row["current"], row["absolute"]) == (1.0, 0.75, -0.25)
    assert json.loads(json.dumps(row)) == row
    frame = card.changes().to_frame("pandas")
    assert list(frame["metric"]) == ["customer_retention_rate"]
    assert list(frame["absolute"]) == [-0.25]


def test_changes_refuse_windows_the_scorecard_does_not_hold() -> None:
    quarters = Window.year(2026).split("quarter")[:3]
    card = scorecard(tiny(), metrics=["customer_retention_rate"], windows=quarters)
    with pytest.raises(ParameterError, match="metrics='net_promoter_score'"):
        card.changes("customer_retention_rate")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="2026Q1, 2026Q2, 2026Q3"):
        card.changes(quarters[0])
    with pytest.raises(ParameterError, match="other than 2026Q2"):
        card.changes(quarters[1], quarters[1])
    with pytest.raises(ParameterError, match="metric"):
        card.changes(metrics="net_promoter_score")
    lone = scorecard(tiny(), metrics=["customer_retention_rate"], windows=[quarters[0], quarters[2]])
    with pytest.raises(ParameterError, match="previous"):
        lone.changes()


def test_breakdown_ranks_segments_and_marks_reliable_differences() -> None:
    data = tiny()
    card = scorecard(
        data, metrics=["customer_retention_rate"], windows=[Window.year(2026)], segments=Segment.by("tier")
    )
    rows = card.breakdown("customer_retention_rate", Window.year(2026), min_sample=0)
    ranked = [r for r in rows if r.rank is not None]
    values = [float(r.result.value) for r in ranked]  # type: ignore[arg-type]
    assert values == sorted(values, reverse=True)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    # With the default minimum sample of 30 none of tiny()'s segments is ranked.
    assert all(
        r.rank is None and r.note for r in card.breakdown("customer_retention_rate", Window.year(2026))
    )


def test_breakdown_marks_a_segment_whose_interval_lies_above_the_whole() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    accounts = [Account(id=f"e{i}", customer_since=t0, tier="enterprise") for i in range(200)]
    accounts += [
        Account(
            id=f"s{i}",
            customer_since=t0,
            tier="smb",
            churned_at=start + timedelta(days=10) if i % 2 else None,
        )
        for i in range(200)
    ]
    data = AdvocacyData.from_records(accounts=accounts, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    q1 = Window.quarter(2026, 1)
    card = scorecard(data, metrics=["customer_retention_rate"], windows=[q1], segments=Segment.by("tier"))
    rows = {r.segment.name: r for r in card.breakdown("customer_retention_rate", q1)}
    # Enterprise keeps 200/200, smb 100/200, the whole 300/400: Wilson intervals do not overlap.
    assert rows["tier=enterprise"].rank == 1 and rows["tier=enterprise"].versus_whole == "above"
    assert rows["tier=smb"].rank == 2 and rows["tier=smb"].versus_whole == "below"


def test_money_metric_without_a_basis_is_undefined_with_the_reason() -> None:
    card = scorecard(tiny(), metrics=["revenue_from_referrals"], windows=[Window.quarter(2026, 3)])
    result = card.get("revenue_from_referrals", Window.quarter(2026, 3))
    assert result.value is None and "basis" in (result.undefined_reason or "")


def test_unsegmentable_cells_say_so() -> None:
    card = scorecard(
        tiny(),
        metrics=["referral_campaign_roi"],
        windows=[Window.quarter(2026, 3)],
        segments=Segment.by("tier"),
        basis=BASIS,
    )
    cell = card.get("referral_campaign_roi", Window.quarter(2026, 3), Segment.where(tier="smb"))
    assert cell.value is None and "cannot be cut" in (cell.undefined_reason or "")
    assert card.get("referral_campaign_roi", Window.quarter(2026, 3)).value is not None


def test_params_apply_to_the_metrics_that_take_them() -> None:
    q = Window.quarter(2026, 1)
    card = scorecard(
        tiny(),
        metrics=["referral_conversion_rate", "net_promoter_score"],
        windows=[q],
        params={"confidence": 0.8, "referral_conversion_rate": {"horizon_days": 30}},
    )
    single = compute("referral_conversion_rate", tiny(), window=q, horizon_days=30, confidence=0.8)
    assert card.get("referral_conversion_rate", q).to_dict() == single.to_dict()
    nps = compute("net_promoter_score", tiny(), window=q, confidence=0.8)
    assert card.get("net_promoter_score", q).to_dict() == nps.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"windows": []}, "windows"),
        ({"windows": "2026Q1"}, "windows"),
        ({"windows": [Window.quarter(2026, 1)], "segments": ["tier=smb"]}, "segments"),
        ({"windows": [Window.quarter(2026, 1)], "metrics": ["no_such_metric"]}, "no_such_metric"),
        (
            {"windows": [Window.quarter(2026, 1)], "params": {"referral_conversion_rate": {"horizon": 3}}},
            "horizon",
        ),
        ({"windows": [Window.quarter(2026, 1)], "basis": "arr:USD"}, "basis"),
        # A name no chosen metric takes is a typo, never silently a default.
        (
            {"windows": [Window.quarter(2026, 1)], "metrics": ["nps"], "params": {"horizon_days": 3}},
            r"horizon_days.*|confidence",
        ),
        (
            {
                "windows": [Window.quarter(2026, 1)],
                "metrics": ["nps"],
                "params": {"churn": {"confidence": 0.9}},
            },
            "churn",
        ),
    ],
)
def test_bad_scorecard_arguments_are_refused_by_name(kwargs: dict[str, Any], match: str) -> None:
    from advocacy_kpis import AdvocacyKpisError

    with pytest.raises(AdvocacyKpisError, match=match):
        scorecard(tiny(), **kwargs)


def test_own_parameters_may_name_the_metric_by_its_short_name() -> None:
    q = Window.quarter(2026, 3)
    card = scorecard(tiny(), metrics=["nps"], windows=[q], params={"nps": {"confidence": 0.8}})
    assert card.get("nps", q).to_dict() == compute("nps", tiny(), window=q, confidence=0.8).to_dict()


def test_a_metric_id_given_as_one_string_is_refused_as_such() -> None:
    # It was read letter by letter: "No metric 'n'".
    with pytest.raises(
        ParameterError, match="'metrics' parameter of scorecard must be a list of metric ids"
    ) as raised:
        scorecard(tiny(), metrics="nps", windows=[Window.quarter(2026, 1)])
    assert "'n'" not in str(raised.value)


def test_an_empty_list_of_metrics_is_refused_not_an_empty_scorecard() -> None:
    with pytest.raises(
        ParameterError, match="'metrics' parameter of scorecard must be one or more metric ids"
    ):
        scorecard(tiny(), metrics=[], windows=[Window.quarter(2026, 1)])


@pytest.mark.parametrize(
    ("params", "named"),
    [
        (
            {"confidnce": 0.8},
            "'params' parameter of scorecard must be names of parameters the metrics take (confidence)",
        ),
        ({"horizon_days": 30}, "Got 'horizon_days' instead"),  # no chosen metric takes it
        (
            {"net_promoter_score": {"confidnce": 0.8}},
            "'confidnce' parameter of net_promoter_score must be one of its parameters (confidence)",
        ),
        (
            {"referral_conversion_rate": {"horizon_days": 30}},
            "a metric of the scorecard (net_promoter_score)",
        ),
    ],
)
def test_a_parameter_no_metric_of_the_scorecard_takes_is_refused_with_the_valid_names(
    params: dict[str, Any], named: str
) -> None:
    # A misspelt parameter was ignored: the scorecard silently used the default.
    with pytest.raises(ParameterError) as raised:
        scorecard(tiny(), metrics=["net_promoter_score"], windows=[Window.quarter(2026, 1)], params=params)
    assert named in str(raised.value)


def test_a_metrics_own_parameters_may_be_keyed_by_its_short_name() -> None:
    q3 = Window.quarter(2026, 3)
    card = scorecard(tiny(), metrics=["nps"], windows=[q3], params={"nps": {"confidence": 0.8}})
    assert card.get("nps", q3).to_dict() == compute("nps", tiny(), window=q3, confidence=0.8).to_dict()


def test_get_refuses_a_window_or_segment_given_as_text_with_a_library_error() -> None:
    # get("nps", "2026Q3") raised AttributeError ('str' object has no attribute 'label').
    card = _card()
    with pytest.raises(ParameterError, match=r"must be a Window such as Window.parse\('2026Q3'\)"):
        card.get("net_promoter_score", "2026Q3")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'segment' parameter of Scorecard must be a Segment"):
        card.get("net_promoter_score", Window.quarter(2026, 1), "tier=smb")  # type: ignore[arg-type]


def test_compute_dispatches_by_id_and_refuses_foreign_parameters() -> None:
    q3 = Window.quarter(2026, 3)
    assert compute("customer_retention_rate", tiny(), window=q3).value == 0.75
    with pytest.raises(ParameterError, match="horizon_days"):
        compute("net_promoter_score", tiny(), window=q3, horizon_days=3)
    with pytest.raises(ParameterError, match="basis"):
        compute("customer_satisfaction_score", tiny(), window=q3, basis=BASIS)


def test_scorecard_repr_is_compact_and_html_is_a_table_per_segment() -> None:
    card = _card()
    assert len(repr(card)) < 200 and "Scorecard" in repr(card)
    html = card._repr_html_()
    # A table per segment: its header row and a row per metric.
    assert html.startswith('<div class="akv">') and html.count("<table") == len(card.segments)
    assert html.count("<tr>") == (1 + len(card.metrics)) * len(card.segments)


def test_result_repr_is_compact_and_has_an_html_form() -> None:
    result = compute("net_promoter_score", tiny(), window=Window.quarter(2026, 3))
    assert len(repr(result)) < 160 and "25.0" in repr(result)
    assert "<table" in result._repr_html_() and "Net Promoter Score" in result._repr_html_()


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_cli_scorecard_table_shows_units_and_segments() -> None:
    code, text = _cli(
        "scorecard",
        "--sample",
        "--windows",
        "2026Q2..2026Q3",
        "--by",
        "tier",
        "--metrics",
        "net_promoter_score,customer_retention_rate",
    )
    assert code == 0
    assert "net_promoter_score (NPS points)" in text and "customer_retention_rate (%)" in text
    assert "Segment: tier=smb" in text and "2026Q2" in text and "2026Q3" in text


def test_cli_scorecard_json_and_csv_carry_every_cell() -> None:
    code, text = _cli(
        "scorecard",
        "--sample",
        "--windows",
        "2026Q3",
        "--grain",
        "month",
        "--metrics",
        "customer_retention_rate",
        "--format",
        "json",
    )
    rows = json.loads(text)
    assert code == 0 and [r["window"] for r in rows] == ["2026-07", "2026-08", "2026-09"]
    code, text = _cli(
        "scorecard",
        "--sample",
        "--windows",
        "2026Q1..2026Q3",
        "--metrics",
        "customer_retention_rate",
        "--by",
        "tier",
        "--format",
        "csv",
    )
    lines = text.strip().splitlines()
    assert code == 0 and lines[0].startswith("metric,unit,window") and len(lines) == 1 + 3 * 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scorecard", "--sample", "--windows", "2026Q3..2026Q1"], "--windows"),
        (["scorecard", "--sample", "--metrics", "nope"], "nope"),
        (["scorecard", "--sample", "--by", "colour"], "colour"),
        (
            ["scorecard", "--sample", "--metrics", ","],
            "The --metrics flag of advocacy-kpis scorecard must be one",
        ),
        (["scorecard", "--sample", "--param", "confidnce=0.9"], "The --param flag"),
        (["scorecard", "--sample", "--param", "window=2026Q3"], "window is given by --windows"),
    ],
)
def test_cli_scorecard_errors_name_the_flag(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _cli(*argv)
    assert code == 2 and message in capsys.readouterr().err


def test_segments_by_is_a_value() -> None:
    assert Segment.by("tier") == SegmentsBy(("tier",))


def test_cumulative_incidence_cells_equal_the_single_call() -> None:
    # Observation lists are spread over cells: every cell must get its own list.
    from advocacy_kpis import sample

    data = sample.generate(200)
    windows = Window.year(2026).split("quarter")[:3]
    params = {"referral_conversion_rate": {"estimator": "cumulative_incidence"}}
    card = scorecard(
        data,
        metrics=["referral_conversion_rate"],
        windows=windows,
        segments=Segment.by("tier"),
        params=params,
    )
    for window in windows:
        for segment in card.segments:
            single = compute(
                "referral_conversion_rate",
                data,
                window=window,
                segment=segment,
                estimator="cumulative_incidence",
            )
            assert card.get("referral_conversion_rate", window, segment).to_dict() == single.to_dict()
