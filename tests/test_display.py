"""What the displays say, as text and as HTML: names, units, intervals, n, marks, reasons, notes.

The expected texts are written out by hand from the data: tiny()'s four customers at the start
of 2026Q3 (a1 to a4) of whom a4 churned on 15 August give a retention of 3/4, whose 95% Wilson
interval is [30.1%, 95.4%]; no mid-tier account was a customer on 1 July.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from advocacy_kpis import (
    Change,
    Interval,
    MetricResult,
    RevenueBasis,
    Segment,
    Unit,
    Window,
    io,
    metrics,
    scorecard,
)
from advocacy_kpis.analyses import over_asked, product_change_impact, segment_breakdown
from advocacy_kpis.display import counted, delta_text, escape, number_text, value_text
from advocacy_kpis.sample import tiny

Q2 = Window.quarter(2026, 2)
Q3 = Window.quarter(2026, 3)
AS_OF = datetime(2026, 10, 15, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>'

SMALL = "small sample: 4 < 30; read the interval, not the point"


def nps_result(**changes: object) -> MetricResult:
    fields: dict[str, object] = {
        "metric": "net_promoter_score",
        "name": "Net Promoter Score",
        "value": 25.0,
        "unit": Unit.SCORE,
        "window": Q3,
        "segment": Segment.all(),
        "as_of": AS_OF,
        "numerator": 1,
        "denominator": 4,
        "sample_size": 4,
        "interval": Interval(-44.2, 72.7, 0.95, "nps-adjusted-wald"),
        "components": {"promoters": 2, "passives": 1, "detractors": 1, "respondents": 4},
        "details": {"repeat_answers_dropped": 1},
        "warnings": (SMALL,),
    }
    fields.update(changes)
    return MetricResult(**fields)  # type: ignore[arg-type]


# -- numbers ---------------------------------------------------------------------------------------


def test_numbers_are_written_in_their_unit() -> None:
    assert number_text(0.25, "rate") == "25.0%"
    assert number_text(Decimal("1234567.891"), "money", "EUR") == "1,234,568 EUR"
    assert number_text(Decimal("1234567.891"), "money", "EUR", exact=True) == "1,234,567.89 EUR"
    assert number_text(12, "count") == "12"
    assert number_text(7.25, "per_month") == "7.2 per month"
    assert value_text(0.75, "rate", Interval(0.301, 0.954)) == "75.0% [30.1%, 95.4%]"


def test_differences_carry_a_sign_and_rates_move_in_points() -> None:
    assert delta_text(-0.25, "rate") == "\u221225.0 pts"
    assert delta_text(0.0001, "rate") == "\u00b10.0 pts"
    assert delta_text(Decimal("24000"), "money", "USD") == "+24,000 USD"
    assert delta_text(-2, "count") == "\u22122"


def test_counts_name_their_noun_in_the_right_number() -> None:
    assert (counted(1, "metric"), counted(2, "metric"), counted(1200, "row")) == (
        "1 metric",
        "2 metrics",
        "1,200 rows",
    )


# -- one result ----------------------------------------------------------------------------------


def test_a_result_prints_its_name_value_interval_n_components_details_and_warnings() -> None:
    assert str(nps_result()) == "\n".join(
        [
            "Net Promoter Score",
            "window 2026Q3 (2026-07-01 to 2026-10-01, end excluded) · segment all",
            "as of 2026-10-15T00:00:00+00:00",
            "",
            "  value                    25.0* [1]",
            "                           95% interval [-44.2, 72.7]",
            "  sample size (n)          4",
            "  numerator / denominator  1 / 4",
            "  definition version       1",
            "",
            "Components",
            "  promoters    2",
            "  passives     1",
            "  detractors   1",
            "  respondents  4",
            "",
            "Details",
            "  repeat answers dropped  1",
            "",
            f"[1] {SMALL}",
        ]
    )


def test_a_result_computed_by_the_library_is_headed_by_its_catalogue_name() -> None:
    result = metrics.customer_retention_rate(tiny(), window=Q3)
    assert result.name == "Customer Retention Rate"
    text = str(result)
    assert text.startswith("Customer Retention Rate\nwindow 2026Q3 ")
    assert "  value                    75.0%* [1]" in text
    assert "95% interval [30.1%, 95.4%]" in text
    assert "  sample size (n)          4" in text
    assert "  numerator / denominator  3 / 4" in text


def test_an_undefined_result_shows_its_reason_and_never_zero() -> None:
    result = nps_result(
        value=None, interval=None, numerator=None, denominator=None, sample_size=0, components={},
        details={}, warnings=(), undefined_reason="no NPS responses in the window and segment",
    )  # fmt: skip
    lines = str(result).splitlines()
    assert lines[4:7] == [
        "  value               undefined",
        "                      no NPS responses in the window and segment",
        "  sample size (n)     0",
    ]
    page = result._repr_html_()
    assert '<td class="akv-undefined">undefined<div class="akv-sub">no NPS responses' in page
    assert ">0<" not in page.replace(">0</td>", "")  # the only 0 is the sample size


def test_a_money_result_is_exact_and_names_its_currency() -> None:
    result = nps_result(
        metric="revenue_from_referrals", name="Revenue from Referrals", value=Decimal("24000.50"),
        unit=Unit.MONEY, basis=RevenueBasis.arr("USD"), interval=None, numerator=None,
        denominator=None, sample_size=1, components={}, details={}, warnings=(),
    )  # fmt: skip
    text = str(result)
    assert "  value               24,000.50 USD\n" in text
    assert "segment all · basis ARR (USD)" in text


def test_a_result_in_html_is_styled_self_contained_and_escapes_its_data() -> None:
    result = nps_result(
        segment=Segment.where(tier=HOSTILE),
        components={"promoters": 2, HOSTILE: 1},
        warnings=(SMALL, f"threshold {HOSTILE} & more"),
    )
    page = result._repr_html_()
    assert page.startswith('<div class="akv"><style>') and page.endswith("</div>")
    assert "<script" not in page and "://" not in page
    assert escape(HOSTILE) in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "threshold &lt;script&gt;" in page and "&amp; more" in page
    assert '<div class="akv-title">Net Promoter Score</div>' in page
    assert '<td class="akv-lead">25.0<span class="akv-mark" title="small sample">*</span>' in page
    assert "<sup>[1]</sup><sup>[2]</sup>" in page
    assert '<div class="akv-sub">95% interval [-44.2, 72.7]</div>' in page
    assert "<caption>Components</caption>" in page and "<caption>Details</caption>" in page


# -- a change --------------------------------------------------------------------------------------


def referral_change(**changes: object) -> Change:
    fields: dict[str, object] = {
        "previous": 0.5,
        "current": 0.42,
        "absolute": -0.08,
        "relative": -0.16,
        "p_value": 0.0314,
        "significant": True,
        "interval": Interval(-0.153, -0.007, 0.95, "newcombe"),
        "method": "two-proportion-z",
        "confidence": 0.95,
        "metric": "client_referral_rate",
        "name": "Client Referral Rate",
        "segment": Segment.where(tier="smb"),
        "previous_window": Q2,
        "current_window": Q3,
        "unit": Unit.RATE,
    }
    fields.update(changes)
    return Change(**fields)  # type: ignore[arg-type]


def test_a_change_names_its_metric_segment_and_windows() -> None:
    change = referral_change()
    assert repr(change) == "<Change client_referral_rate tier=smb 2026Q2->2026Q3: \u22128.0 pts, p = 0.031>"
    lines = str(change).splitlines()
    assert lines[:12] == [
        "Change in Client Referral Rate",
        "segment tier=smb · 2026Q2 to 2026Q3",
        "",
        "  2026Q2  50.0%",
        "  2026Q3  42.0%",
        "  change  \u22128.0 pts",
        "          (\u221216.0%)",
        "          95% interval [\u221215.3, \u22120.7]",
        "  test    significant",
        "          p = 0.031",
        "          two-proportion-z",
        "",
    ]
    assert lines[12].startswith("A change is the later value minus the earlier one")


def test_a_change_without_a_value_says_which_is_undefined_and_why() -> None:
    change = referral_change(
        previous=None, absolute=None, relative=None, p_value=None, significant=None, interval=None,
        method=None, reason="the earlier value is undefined (no referrals prompted)",
    )  # fmt: skip
    text = str(change)
    assert "  2026Q2  undefined\n" in text
    assert "  change  undefined [1]\n  test    no test\n" in text
    assert "[1] the earlier value is undefined (no referrals prompted)" in text
    assert repr(change) == "<Change client_referral_rate tier=smb 2026Q2->2026Q3: undefined>"


def test_a_change_from_the_library_carries_its_naming_into_json() -> None:
    data = tiny()
    later = metrics.customer_retention_rate(data, window=Q3)
    change = later.change_from(metrics.customer_retention_rate(data, window=Q2))
    assert (change.metric, change.name, change.unit) == (
        "customer_retention_rate",
        "Customer Retention Rate",
        Unit.RATE,
    )
    assert (change.previous_window, change.current_window, change.segment) == (Q2, Q3, Segment.all())
    shown = change.to_dict()
    assert shown["previous_window"]["start"].startswith("2026-04-01")
    assert shown["segment"] == Segment.all().to_dict()


# -- a scorecard and its changes -------------------------------------------------------------------


@pytest.fixture(scope="module")
def card():  # type: ignore[no-untyped-def]
    return scorecard(
        tiny(), metrics=["customer_retention_rate"], windows=[Q2, Q3], segments=Segment.by("tier")
    )


def test_a_scorecard_prints_a_table_per_segment_with_names_units_intervals_and_n(card) -> None:  # type: ignore[no-untyped-def]
    text = card.format()
    assert text.startswith("Scorecard\n1 metric × 2 windows × 4 segments; as of 2026-10-15\n")
    whole = text[text.index("All accounts") : text.index("Segment: tier=enterprise")]
    assert whole.splitlines() == [
        "All accounts",
        "metric                            2026Q2          2026Q3",
        "-----------------------  ---------------  --------------",
        "Customer Retention Rate          100.0%*          75.0%*",
        "%                        [51.0%, 100.0%]  [30.1%, 95.4%]",
        "                                     n=4             n=4",
        "",
    ]
    mid = text[text.index("Segment: tier=mid") : text.index("Segment: tier=smb")]
    assert mid.splitlines() == [
        "Segment: tier=mid",
        "metric                          2026Q2         2026Q3",
        "-----------------------  -------------  -------------",
        "Customer Retention Rate  undefined [1]  undefined [1]",
        "%",
        "[1] no customers at the start of the window in the segment",
        "",
    ]
    assert "* marks a sample under 30" in text
    assert str(card) == text


def test_the_compact_scorecard_is_the_command_line_table(card) -> None:  # type: ignore[no-untyped-def]
    compact = card.format(compact=True)
    assert compact.splitlines()[:4] == [
        "All accounts",
        "metric                        2026Q2  2026Q3",
        "---------------------------  -------  ------",
        "customer_retention_rate (%)  100.0%*  75.0%*",
    ]


def test_a_scorecard_in_html_has_a_captioned_table_per_segment(card) -> None:  # type: ignore[no-untyped-def]
    page = card._repr_html_()
    assert page.count("<table") == 4
    assert "<caption>All accounts</caption>" in page and "<caption>Segment: tier=mid</caption>" in page
    assert (
        '<th class="akv-label akv-l" scope="row">Customer Retention Rate<div class="akv-sub">%</div></th>'
        in page
    )
    assert '<td>75.0%<span class="akv-mark" title="small sample">*</span>' in page
    assert '<div class="akv-sub">[30.1%, 95.4%]</div><div class="akv-sub">n=4</div>' in page
    assert '<td class="akv-undefined">undefined<sup>[1]</sup></td>' in page


def test_changes_print_both_values_the_change_and_its_test_per_segment(card) -> None:  # type: ignore[no-untyped-def]
    text = str(card.changes())
    assert text.startswith("Changes from 2026Q2 to 2026Q3\n1 metric × 4 segments\n")
    lines = text.splitlines()
    start = lines.index("Customer Retention Rate (%)")
    # 4 of 4 kept in Q2, 3 of 4 in Q3: Fisher's exact test gives p = 1 for so few accounts.
    assert re.fullmatch(
        r"All accounts\s+100\.0%\*\s+75\.0%\*\s+\u221225\.0 pts\s+not significant", lines[start + 1]
    )
    assert re.fullmatch(
        r"\s+\[51\.0%, 100\.0%\]\s+\[30\.1%, 95\.4%\]\s+\(\u221225\.0%\)\s+p = 1\.000", lines[start + 2]
    )
    assert re.fullmatch(
        r"tier=mid\s+undefined \[\d\]\s+undefined \[\d\]\s+undefined \[\d\]\s+no test", lines[start + 9]
    )
    assert "both values are undefined" in text
    page = card.changes()._repr_html_()
    assert '<tr class="akv-heading"><th colspan="5">Customer Retention Rate (%)</th></tr>' in page


# -- the load report, the analyses, the report ---------------------------------------------------


def test_a_load_report_lists_its_counts_and_escapes_rejected_values(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        f"id,customer_since\na1,2025-01-01\na2,{HOSTILE}\na3,2025-02-01\n", encoding="utf-8"
    )
    _, report = io.load_folder(tmp_path, as_of="2026-10-01")
    text = str(report)
    assert text.splitlines()[0] == "Loaded 2 of 3 rows"
    assert re.search(r"^accounts\.csv\s+3\s+2\s+1$", text, re.M)
    assert "1 row rejected:" in text
    page = report._repr_html_()
    assert "<script" not in page and "&lt;script&gt;" in page
    assert repr(report) == "<LoadReport 3 rows read, 1 rejected; as_of 2026-10-01T00:00:00+00:00>"


def test_every_analysis_result_prints_and_shows_as_styled_html() -> None:
    data = tiny()
    shown = [
        over_asked(data, Q2),
        segment_breakdown(data, "customer_retention_rate", Window.year(2026), by="tier"),
        product_change_impact(data, metric="customer_retention_rate", days=30),
    ]
    for result in shown:
        text, page = str(result), result._repr_html_()
        title = text.splitlines()[0]
        assert page.startswith('<div class="akv"><style>')
        assert f'<div class="akv-title">{escape(title)}</div>' in page
        assert "<table" in page and "<script" not in page
        assert repr(result).startswith(f"<{type(result).__name__}: ")
