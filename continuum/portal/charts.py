"""Small line charts as static SVG: the mood sparkline and the client's own progress chart.

Why not measures/charts.py: its chart carries therapist annotations (reliable-change band,
caseness line, appointment markers, and a legend naming them) that do not belong in front of
the client, and the mood trend needs a much smaller drawing. Like that module, this writes
plain SVG with presentation attributes only (no script, no style attribute, no external
reference); pages embed it as a data: URI in an <img>. Plain Python, no Django.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

LINE = "#1e4f4f"
AXIS = "#55646a"
TEXT = "#1f2a2e"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sparkline_svg(
    values: Sequence[float],
    *,
    y_min: float,
    y_max: float,
    title: str,
    width: int = 240,
    height: int = 48,
) -> str:
    """A tiny line of `values`, oldest first, evenly spaced (no axes: the table has the data)."""
    pad = 4
    span = (y_max - y_min) or 1.0
    n = len(values)

    def y(v: float) -> float:
        clamped = min(max(v, y_min), y_max)
        return pad + (height - 2 * pad) * (1 - (clamped - y_min) / span)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t">',
        f'<title id="t">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="{AXIS}" stroke-opacity="0.4"/>',
    ]
    if n > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    if n:
        out.append(f'<circle cx="{x(n - 1):.1f}" cy="{y(values[-1]):.1f}" r="3" fill="{LINE}"/>')
    out.append("</svg>")
    return "\n".join(out)


def progress_svg(
    points: Sequence[tuple[date, float]],
    *,
    y_min: float,
    y_max: float,
    title: str,
    unit: str = "",
    width: int = 360,
    height: int = 200,
) -> str:
    """Scores over time with the range on the y axis and the first and last dates below."""
    left, right, top, bottom = 40, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (y_max - y_min) or 1.0
    days = [d for d, _ in points]
    start = min(days) if days else date(2000, 1, 1)
    end = max(days) if days else start
    day_span = max((end - start).days, 1)

    def x(d: date) -> float:
        if start == end:
            return left + plot_w / 2
        return left + plot_w * (d - start).days / day_span

    def y(v: float) -> float:
        clamped = min(max(v, y_min), y_max)
        return top + plot_h * (1 - (clamped - y_min) / span)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="t">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{AXIS}"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{AXIS}"/>',
    ]
    for tick in (y_min, y_max):
        out.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{_num(tick)}{escape(unit)}</text>"
        )
    if days:
        labels = [(start, "start")] if start == end else [(start, "start"), (end, "end")]
        for d, anchor in labels:
            out.append(
                f'<text x="{x(d) if start != end else left:.1f}" y="{height - 8}" '
                f'text-anchor="{anchor}" fill="{TEXT}">{d.day} {d:%b %Y}</text>'
            )
    coords = [(x(d), y(v)) for d, v in points]
    if len(coords) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for px, py in coords:
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{LINE}"/>')
    out.append("</svg>")
    return "\n".join(out)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
