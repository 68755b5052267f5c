"""The outcomes page's charts as plain SVG (no script, no style attribute, no external
reference), embedded as data: URIs like measures/charts.py: readable in print and in PDF.

- The funnel plot (Spiegelhalter 2005): each therapist's recovery rate against the number of
  finished episodes at caseness it is made from, with 95% and 99.8% control limits around the
  practice rate, so that chance is not read as skill.
- The trend: the recovery rate per quarter with its Wilson 95% interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from continuum.measures.charts import data_uri
from continuum.outcomes import rules

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 52, 120, 24, 48
LINE = "#1e4f4f"
TEXT = "#1f2a2e"
MUTED = "#55646a"
LIMIT95 = "#8a6d1f"
LIMIT998 = "#a12a2a"
POINT = "#1e4f4f"
OWN = "#a12a2a"


@dataclass(frozen=True)
class FunnelPoint:
    n: int  # the rate's denominator (finished episodes at caseness)
    rate: float
    label: str  # "" draws an unnamed point
    own: bool = False


@dataclass(frozen=True)
class TrendPoint:
    label: str  # "2026 Q3"
    rate: float | None
    low: float | None
    high: float | None
    n: int


def _n(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _svg(title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _y_axis(y: object, body: list[str]) -> None:
    for pct in (0, 25, 50, 75, 100):
        yy = y(pct / 100)  # type: ignore[operator]
        body.append(
            f'<line x1="{LEFT}" y1="{_n(yy)}" x2="{WIDTH - RIGHT}" y2="{_n(yy)}" '
            f'stroke="#e3e8ea" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_n(yy + 4)}" text-anchor="end" fill="{MUTED}">{pct}%</text>'
        )


def funnel_svg(practice_rate: float | None, points: Sequence[FunnelPoint], title: str) -> str:
    max_n = max([p.n for p in points] + [10])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(n: float) -> float:
        return LEFT + plot_w * n / max_n

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate)

    body: list[str] = []
    _y_axis(y, body)
    for n in sorted({0, max_n // 2, max_n}):
        body.append(
            f'<text x="{_n(x(n))}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{n}</text>'
        )
    body.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 10}" text-anchor="middle" fill="{TEXT}">'
        "Finished episodes at caseness (the rate's denominator)</text>"
    )
    if practice_rate is not None:
        for z, colour, dash, name in (
            (rules.Z998, LIMIT998, "2 3", "99.8% limits"),
            (rules.Z95, LIMIT95, "6 3", "95% limits"),
        ):
            lows, highs = [], []
            for step in range(1, 101):
                at = max(1.0, max_n * step / 100)
                low, high = rules.funnel_limits(practice_rate, round(at) or 1, z)
                lows.append(f"{_n(x(at))},{_n(y(low))}")
                highs.append(f"{_n(x(at))},{_n(y(high))}")
            for line in (lows, highs):
                body.append(
                    f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
                )
            # Labelled at the lower limit's end (the upper ones crowd near 100%).
            body.append(
                f'<text x="{WIDTH - RIGHT + 6}" y="{_n(y(low) + 4)}" fill="{colour}">'
                f"{escape(name)}</text>"
            )
        py = y(practice_rate)
        body.append(
            f'<line x1="{LEFT}" y1="{_n(py)}" x2="{WIDTH - RIGHT}" y2="{_n(py)}" '
            f'stroke="{LINE}" stroke-width="2"/>'
            f'<text x="{WIDTH - RIGHT + 6}" y="{_n(py + 4)}" fill="{LINE}">'
            f"practice {practice_rate:.0%}</text>"
        )
    for p in points:
        colour = OWN if p.own else POINT
        body.append(
            f'<circle cx="{_n(x(p.n))}" cy="{_n(y(p.rate))}" r="{6 if p.own else 4.5}" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
        )
        if p.label:
            # Near the right edge the name goes to the left of its point.
            left = x(p.n) > WIDTH - RIGHT - 90
            tx, anchor = (x(p.n) - 8, "end") if left else (x(p.n) + 8, "start")
            body.append(
                f'<text x="{_n(tx)}" y="{_n(y(p.rate) - 8)}" text-anchor="{anchor}" '
                f'fill="{colour}">{escape(p.label)}</text>'
            )
    return _svg(title, body)


def trend_svg(points: Sequence[TrendPoint], title: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(points), 1)

    def x(i: int) -> float:
        return LEFT + plot_w * (i + 0.5) / count

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate)

    body: list[str] = []
    _y_axis(y, body)
    line = []
    for i, p in enumerate(points):
        body.append(
            f'<text x="{_n(x(i))}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(p.label)}</text>'
            f'<text x="{_n(x(i))}" y="{HEIGHT - BOTTOM + 30}" text-anchor="middle" '
            f'fill="{MUTED}">n={p.n}</text>'
        )
        if p.rate is None or p.low is None or p.high is None:
            continue
        body.append(
            f'<line x1="{_n(x(i))}" y1="{_n(y(p.low))}" x2="{_n(x(i))}" y2="{_n(y(p.high))}" '
            f'stroke="{MUTED}" stroke-width="2"/>'
            f'<circle cx="{_n(x(i))}" cy="{_n(y(p.rate))}" r="4.5" fill="{LINE}"/>'
        )
        line.append(f"{_n(x(i))},{_n(y(p.rate))}")
    if len(line) > 1:
        body.append(
            f'<polyline points={quoteattr(" ".join(line))} fill="none" stroke="{LINE}" '
            f'stroke-width="1.5"/>'
        )
    return _svg(title, body)


def as_img_src(svg: str) -> str:
    return data_uri(svg)
