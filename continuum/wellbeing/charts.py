"""Small weekly bar charts as static SVG (the approach of continuum/measures/charts.py).

Plain SVG with presentation attributes only: no script, no style attribute, no external
reference. Pages embed it as <img src="data:image/svg+xml;base64,..."> (CSP img-src allows
data:), with the same numbers in the table beside it for screen readers.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 360, 140
LEFT, RIGHT, TOP, BOTTOM = 30, 8, 12, 22

BAR = "#1e4f4f"
BAR_HIGH = "#b5651d"
TEXT = "#1f2a2e"
MUTED = "#55646a"
LINE = "#a12a2a"


@dataclass(frozen=True)
class Bar:
    label: str  # short, under the bar ("9 Nov")
    value: float | None  # None: nothing to draw (e.g. no rated session that week)
    high: bool = False  # drawn in the warning colour


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    y_max: float
    line: float | None = None  # a reference line (the weekly limit, the heavy threshold)
    line_label: str = ""
    unit: str = ""


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def render_svg(chart: BarChart) -> str:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    y_max = max(chart.y_max, chart.line or 0.0, *(b.value or 0.0 for b in chart.bars), 1.0)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(max(value, 0.0), y_max) / y_max)

    n = max(len(chart.bars), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)
    shown = [b for b in chart.bars if b.value is not None]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="t d" '
        f'font-family="system-ui, sans-serif" font-size="10">',
        f'<title id="t">{escape(chart.title)}</title>',
        f'<desc id="d">{len(shown)} weeks charted; the table lists the numbers.</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        f'stroke="{MUTED}"/>',
        f'<text x="{LEFT - 4}" y="{y(y_max) + 4:.1f}" text-anchor="end" fill="{TEXT}">'
        f"{_num(y_max)}{escape(chart.unit)}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h:.1f}" text-anchor="end" fill="{TEXT}">0</text>',
    ]
    for i, bar in enumerate(chart.bars):
        x = LEFT + slot * i + (slot - bar_w) / 2
        if bar.value is not None:
            top = y(bar.value)
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                f'height="{TOP + plot_h - top:.1f}" fill="{BAR_HIGH if bar.high else BAR}">'
                f"<title>{escape(bar.label)}: {_num(bar.value)}{escape(chart.unit)}</title>"
                "</rect>"
            )
        if i == 0 or i == len(chart.bars) - 1:
            anchor = "start" if i == 0 else "end"
            tx = x if i == 0 else x + bar_w
            out.append(
                f'<text x="{tx:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}" fill="{TEXT}">'
                f"{escape(bar.label)}</text>"
            )
    if chart.line is not None:
        ly = y(chart.line)
        out.append(
            f'<line class="limit" x1="{LEFT}" y1="{ly:.1f}" x2="{LEFT + plot_w}" y2="{ly:.1f}" '
            f'stroke="{LINE}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        if chart.line_label:
            # In the bottom margin, between the first and last week's labels.
            out.append(
                f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'fill="{LINE}">- - {escape(chart.line_label)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def chart_uri(chart: BarChart) -> str:
    return data_uri(render_svg(chart))


def bars(
    labels: Sequence[str], values: Sequence[float | None], high: Sequence[bool]
) -> tuple[Bar, ...]:
    return tuple(
        Bar(label, value, flag) for label, value, flag in zip(labels, values, high, strict=True)
    )
