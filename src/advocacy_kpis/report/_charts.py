"""Trend charts as inline SVG, drawn with matplotlib (the ``report`` extra).

The SVG is made deterministic (a fixed hash salt per chart, no date in the metadata, text kept as
text) and self-contained: no fonts, images or scripts to fetch. Each chart's ids are prefixed so
several charts can sit in one HTML page, and the ``<svg>`` carries a ``<title>``, a ``<desc>``
with every value, ``role="img"`` and ``aria-labelledby``.
"""

from __future__ import annotations

import html
import io
import math
import re
from typing import Any

from advocacy_kpis.errors import MissingExtraError
from advocacy_kpis.report._model import Chart

WHOLE_COLOUR = "#1d3557"
SEGMENT_COLOURS = ("#e76f51", "#2a9d8f", "#d4a017", "#8d6cab", "#6c757d", "#c44536", "#457b9d", "#588157")


def _matplotlib(feature: str) -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("matplotlib", "report", feature) from None
    return matplotlib


def check_available(feature: str = "Report.to_html") -> None:
    """Raise `MissingExtraError` naming the ``report`` extra when matplotlib is missing."""
    _matplotlib(feature)


def _nan(values: tuple[float | None, ...]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _money(value: float, _: Any = None) -> str:
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if size >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


def svg(chart: Chart, prefix: str) -> str:
    """The chart as an inline ``<svg>`` element (ids prefixed with ``prefix``)."""
    matplotlib = _matplotlib("Report.to_html")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    settings = {
        # Labels come from the data: a segment value such as "$x$" is text, never mathtext.
        "text.parse_math": False,
        "svg.hashsalt": f"advocacy-kpis-{chart.metric}",
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 8,
        "axes.edgecolor": "#9aa5b1",
        "axes.labelcolor": "#3e4c59",
        "xtick.color": "#52606d",
        "ytick.color": "#52606d",
    }
    with matplotlib.rc_context(settings):
        figure = Figure(figsize=(5.6, 2.9))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        xs = list(range(len(chart.windows)))
        defined = False
        for index, series in enumerate(chart.series):
            values = _nan(series.values)
            defined = defined or any(not math.isnan(v) for v in values)
            whole = index == 0
            colour = WHOLE_COLOUR if whole else SEGMENT_COLOURS[(index - 1) % len(SEGMENT_COLOURS)]
            if whole and any(v is not None for v in series.lows):
                axes.fill_between(
                    xs, _nan(series.lows), _nan(series.highs), color=colour, alpha=0.12, linewidth=0,
                    label="95% interval (all)",
                )  # fmt: skip
            axes.plot(
                xs, values, color=colour, linewidth=2.4 if whole else 1.3, marker="o",
                markersize=4 if whole else 3, label=series.segment, zorder=3 if whole else 2,
            )  # fmt: skip
        axes.set_xticks(xs, list(chart.windows))
        axes.set_xlim(-0.3, len(xs) - 0.7)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.grid(axis="y", color="#e4e7eb", linewidth=0.8)
        axes.set_axisbelow(True)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        if chart.kind == "rate":
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        elif chart.kind == "money":
            axes.yaxis.set_major_formatter(FuncFormatter(_money))
        if not defined:
            axes.text(0.5, 0.5, "no defined value in these periods", transform=axes.transAxes,
                      ha="center", va="center", color="#52606d")  # fmt: skip
            axes.set_yticks([])
        axes.set_ylabel(chart.unit)
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(5, len(chart.series) + 1),
            frameon=False, fontsize=7.5,
        )  # fmt: skip
        figure.subplots_adjust(left=0.11, right=0.98, top=0.95, bottom=0.27)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), chart, prefix)


def _inline(text: str, chart: Chart, prefix: str) -> str:
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    opening_end = text.index(">")
    opening = text[:opening_end]
    opening = re.sub(r'\s(width|height)="[^"]*"', "", opening)
    opening += (
        f' role="img" class="chart" aria-labelledby="{prefix}-title {prefix}-desc"'
        f' preserveAspectRatio="xMidYMid meet"'
    )
    accessible = (
        f'<title id="{prefix}-title">{html.escape(chart.title)}</title>'
        f'<desc id="{prefix}-desc">{html.escape(chart.description)}</desc>'
    )
    return opening + ">" + accessible + text[opening_end + 1 :].strip()
