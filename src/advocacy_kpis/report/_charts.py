"""Trend charts as inline SVG, drawn with matplotlib (the ``report`` extra).

The SVG is made deterministic (a fixed hash salt per chart, no date in the metadata, text kept as
text) and self-contained: no fonts, images or scripts to fetch. Each chart's ids are prefixed so
several charts can sit in one HTML page, and the ``<svg>`` carries a ``<title>``, a ``<desc>``
with every value, ``role="img"`` and ``aria-labelledby``.

Charts are drawn to be read honestly: a series resting on small samples is dashed, a series with
no value has no line and no legend entry, the y-axis spans at least a minimum range (20 points for
rates, 40 for NPS) so a flat line does not look volatile, and when the axis does not start at zero
its label says so. A target is drawn as a horizontal line.
"""

from __future__ import annotations

import html
import io
import math
import re
from typing import Any

from advocacy_kpis.errors import MissingExtraError
from advocacy_kpis.report._model import Chart
from advocacy_kpis.report._rules import CONFIDENCE

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


_MIN_SPAN = {"rate": 0.2, "score": 40.0}
_BOUNDS = {"rate": (0.0, 1.0), "score": (-100.0, 100.0)}


def y_limits(chart: Chart) -> tuple[float, float] | None:
    """The y-axis range: the data (values, the whole's interval, the target), widened to a minimum span.

    Rates span at least 20 points and scores 40, within their natural bounds; other units at
    least a fifth of their largest magnitude. None when nothing is drawn.

    Examples:
        >>> from advocacy_kpis.report._model import ChartSeries
        >>> flat = Chart("m", "t", "%", "rate", ("a", "b"), (ChartSeries("all", (0.97, 1.0), (), ()),), "")
        >>> y_limits(flat)
        (0.792, 1.0)
    """
    points = [v for series in chart.series for v in series.values if v is not None]
    if not points:
        return None
    if chart.series:
        points += [v for v in (*chart.series[0].lows, *chart.series[0].highs) if v is not None]
    if chart.target is not None:
        points.append(chart.target)
    low, high = min(points), max(points)
    span = _MIN_SPAN.get(chart.kind, 0.2 * max(abs(low), abs(high), 1e-9))
    if high - low < span:
        middle = (low + high) / 2
        low, high = middle - span / 2, middle + span / 2
    floor, ceiling = _BOUNDS.get(chart.kind, (-math.inf, math.inf))
    if low < floor:
        low, high = floor, min(ceiling, floor + max(high - low, span))
    if high > ceiling:
        low, high = max(floor, ceiling - max(high - low, span)), ceiling
    if chart.kind not in _BOUNDS and min(points) >= 0 and low < 0:
        low = 0.0
    pad = (high - low) * 0.04
    return (
        max(floor, low - pad) if low > floor else low,
        min(ceiling, high + pad) if high < ceiling else high,
    )


def _axis_note(chart: Chart, limits: tuple[float, float]) -> str:
    low = limits[0]
    zero_free = low > 0 and all(v is None or v >= 0 for s in chart.series for v in s.values)
    if not zero_free:
        return chart.unit
    shown = f"{low:.0%}" if chart.kind == "rate" else f"{low:,.3g}"
    return f"{chart.unit} (axis from {shown})"


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
        figure = Figure(figsize=(5.6, 3.1))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        xs = list(range(len(chart.windows)))
        drawn = 0
        for index, series in enumerate(chart.series):
            if series.empty:
                continue
            values = _nan(series.values)
            whole = index == 0
            colour = WHOLE_COLOUR if whole else SEGMENT_COLOURS[(index - 1) % len(SEGMENT_COLOURS)]
            if whole and any(v is not None for v in series.lows):
                axes.fill_between(
                    xs, _nan(series.lows), _nan(series.highs), color=colour, alpha=0.12, linewidth=0,
                    label=f"{CONFIDENCE:.0%} interval",
                )  # fmt: skip
            small = any(series.small)
            name = (series.label or series.segment) + (" (n < 30)" if small else "")
            axes.plot(
                xs, values, color=colour, linewidth=2.4 if whole else 1.3, marker="o",
                markersize=4 if whole else 3, label=name, zorder=3 if whole else 2,
                linestyle=(0, (4, 2)) if small else "-",
            )  # fmt: skip
            drawn += 1
        if chart.target is not None and drawn:
            axes.axhline(chart.target, color="#b3261e", linewidth=1.0, linestyle=(0, (6, 3)), label="target")
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
        limits = y_limits(chart)
        if limits is None:
            axes.text(0.5, 0.5, "no defined value in these periods", transform=axes.transAxes,
                      ha="center", va="center", color="#52606d")  # fmt: skip
            axes.set_yticks([])
            axes.set_ylabel(chart.unit)
        else:
            axes.set_ylim(*limits)
            axes.set_ylabel(_axis_note(chart, limits))
        if drawn:
            handles, labels = axes.get_legend_handles_labels()
            axes.legend(
                handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(3, len(labels)),
                frameon=False, fontsize=7.5,
            )  # fmt: skip
        figure.subplots_adjust(left=0.11, right=0.98, top=0.95, bottom=0.31)
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
