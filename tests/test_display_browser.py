"""The notebook displays render in headless Chromium, offline, on a light and on a dark page.

Each display's ``_repr_html_`` is placed in a page as a notebook would place it (a dark page
sets a light text colour that the displays must inherit). The screenshots stay under
``build/screenshots`` (``display-*.png``) to be looked at after a run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from advocacy_kpis import RevenueBasis, Segment, Window, io, metrics, scorecard
from advocacy_kpis.analyses import over_asked, segment_breakdown
from advocacy_kpis.sample import tiny
from tests.browser import png_colours, render

Q2 = Window.quarter(2026, 2)
Q3 = Window.quarter(2026, 3)

THEMES = {
    "light": "body{background:#ffffff;color:#1f2328}",
    "dark": "body{background:#1e1e1e;color:#d4d4d4}",
}


def _page(sections: list[tuple[str, str]], theme: str) -> str:
    # A notebook's own table style, which the displays must override within their scope.
    notebook = "table{border:1px solid red;background:#eee} td,th{text-align:center;padding:0}"
    body = "".join(f"<section><h3>{name}</h3>{shown}</section>" for name, shown in sections)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{THEMES[theme]} body{{margin:16px}} {notebook}</style></head><body>{body}</body></html>"
    )


@pytest.fixture(scope="module")
def sections(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    data = tiny()
    card = scorecard(
        data,
        metrics=["net_promoter_score", "customer_retention_rate", "revenue_from_referrals"],
        windows=[Q2, Q3],
        segments=Segment.by("tier"),
        basis=RevenueBasis.arr("USD"),
    )
    result = metrics.net_promoter_score(data, window=Q3)
    change = metrics.customer_retention_rate(data, window=Q3).change_from(
        metrics.customer_retention_rate(data, window=Q2)
    )
    folder = tmp_path_factory.mktemp("exports")
    (folder / "accounts.csv").write_text(
        "id,customer_since\na1,2025-01-01\na2,<b>07/20/2026</b>\n", encoding="utf-8"
    )
    _, loaded = io.load_folder(folder, as_of=datetime(2026, 10, 1, tzinfo=UTC))
    return {
        "result": [
            ("MetricResult", result._repr_html_()),
            ("Change", change._repr_html_()),
            ("LoadReport", loaded._repr_html_()),
        ],
        "scorecard": [("Scorecard", card._repr_html_())],
        "changes": [("Changes", card.changes()._repr_html_())],
        "analyses": [
            ("OverAsking", over_asked(data, Q2)._repr_html_()),
            (
                "SegmentBreakdown",
                segment_breakdown(
                    data, "customer_retention_rate", Window.year(2026), by="tier"
                )._repr_html_(),
            ),
        ],
    }


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("group", ["result", "scorecard", "changes", "analyses"])
def test_the_displays_render_offline_on_light_and_dark_pages(
    sections: dict[str, list[tuple[str, str]]], group: str, theme: str, tmp_path: Path
) -> None:
    page = tmp_path / f"{group}-{theme}.html"
    page.write_text(_page(sections[group], theme), encoding="utf-8")
    shown = render(page, f"display-{group}-{theme}", tmp_path, size="1100,1500", offline=True)
    assert shown.console_errors == []
    assert shown.failed == []
    # Text, rules, the small-sample mark and the sub-lines: far more than a blank page's colours.
    assert png_colours(shown.screenshot) > 24
