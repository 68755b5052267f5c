"""Progress charts as small, static SVG documents, cached by their data.

Why our own builder rather than pygal: the chart needs shaded severity bands, a caseness line,
a reliable-change band around the baseline and appointment markers; pygal draws none of these
without hacks, and its output carries <script> elements, external script URLs and CSS that
our CSP (and the later PDF reports) would have to strip. This module writes plain SVG with
presentation attributes only: no script, no style attribute, no external reference. Pages
embed it as <img src="data:image/svg+xml;base64,..."> (an <img> never runs scripts, and CSP
img-src allows data:), and WeasyPrint can embed the same bytes in a PDF.

`ChartSpec` holds everything drawn; `chart_svg(spec)` caches the SVG under a hash of the
spec, so a chart is drawn once per distinct set of points.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from django.core.cache import caches

from continuum.measures.instruments import Instrument

CHART_VERSION = "1"  # bump when the drawing changes, so cached charts are redrawn
CACHE_SECONDS = 24 * 3600

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 52

# Calm fills from "well" to "unwell" (the design tokens' ok/warn/danger soft colours, graded).
BAND_FILLS = ("#e4f2e7", "#eef4df", "#fdf3dc", "#fbe9dd", "#fbe0de")
LINE = "#1e4f4f"
TEXT = "#1f2a2e"
MUTED = "#55646a"
CASENESS = "#a12a2a"
DASH = "\N{EN DASH}"
RC_FILL = "#55646a"


@dataclass(frozen=True)
class ChartBand:
    low: float
    high: float
    label: str
    fill: str


@dataclass(frozen=True)
class ChartSpec:
    """What a chart shows, in display units (WHO-5 in %). Dates are ISO strings."""

    title: str
    y_min: float
    y_max: float
    points: tuple[tuple[str, float], ...]
    bands: tuple[ChartBand, ...] = ()
    caseness: float | None = None
    # (low, high) of "no reliable change" around the baseline score.
    rc_band: tuple[float, float] | None = None
    markers: tuple[str, ...] = field(default_factory=tuple)
    unit: str = ""

    def key(self) -> str:
        # The repr of a frozen dataclass of strings, numbers and tuples is stable and names
        # every field; asdict() deep-copied every point and was most of the key's cost.
        data = repr(self)
        digest = hashlib.sha256(f"{CHART_VERSION}:{data}".encode()).hexdigest()
        return f"measures:chart:{digest}"


def spec_for(
    instrument: Instrument,
    points: Sequence[tuple[date, float]],
    *,
    baseline: float | None = None,
    rc_points: float | None = None,
    markers: Sequence[date] = (),
) -> ChartSpec:
    """A chart spec for an instrument's totals (raw; scaled here to display units)."""
    f = float(instrument.factor)
    bands: list[ChartBand] = []
    n = len(instrument.bands)
    for i, band in enumerate(instrument.bands):
        # Band order runs low to high totals; the fill runs from "well" to "unwell".
        level = (n - 1 - i) if instrument.higher_is_better else i
        fill = BAND_FILLS[round(level * (len(BAND_FILLS) - 1) / max(n - 1, 1))]
        high = band.below if band.below is not None else instrument.max_total
        bands.append(ChartBand(band.low * f, high * f, band.label, fill))
    rc_band = None
    if baseline is not None and rc_points is not None:
        rc_band = (
            max(instrument.min_total, baseline - rc_points) * f,
            min(instrument.max_total, baseline + rc_points) * f,
        )
    first = min((d for d, _ in points), default=None)
    last = max((d for d, _ in points), default=None)
    shown_markers = tuple(
        sorted(
            {
                m.isoformat()
                for m in markers
                if first is not None
                and last is not None
                and first - timedelta(days=7) <= m <= last + timedelta(days=7)
            }
        )
    )
    return ChartSpec(
        title=f"{instrument.name} over time",
        y_min=instrument.min_total * f,
        y_max=instrument.max_total * f,
        points=tuple((d.isoformat(), round(v * f, 2)) for d, v in points),
        bands=tuple(bands),
        caseness=instrument.caseness_cutoff * f if instrument.caseness_cutoff is not None else None,
        rc_band=rc_band,
        markers=shown_markers,
        unit=instrument.display_unit,
    )


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def render_svg(spec: ChartSpec) -> str:
    """The chart as a standalone SVG document (no script, no style attributes)."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    dates = [date.fromisoformat(d) for d, _ in spec.points] + [
        date.fromisoformat(m) for m in spec.markers
    ]
    start = min(dates) if dates else date(2000, 1, 1)
    end = max(dates) if dates else start
    if (end - start).days < 14:
        # A lone point (or a short run) sits in the middle of a two-week window.
        pad = timedelta(days=(14 - (end - start).days) // 2 + 1)
        start, end = start - pad, end + pad
    span = max((end - start).days, 1)
    y_span = (spec.y_max - spec.y_min) or 1.0

    def x(day: date) -> float:
        return LEFT + plot_w * (day - start).days / span

    def y(value: float) -> float:
        clamped = min(max(value, spec.y_min), spec.y_max)
        return TOP + plot_h * (1 - (clamped - spec.y_min) / y_span)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="t d" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="t">{escape(spec.title)}</title>',
        f'<desc id="d">{len(spec.points)} scores from {escape(start.isoformat())} to '
        f"{escape(end.isoformat())}; the table beside the chart lists them.</desc>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    # Severity bands, shaded, labelled at the right edge.
    for band in spec.bands:
        top, bottom = y(band.high), y(band.low)
        out.append(
            f'<rect class="band" x="{LEFT}" y="{top:.1f}" width="{plot_w}" '
            f'height="{max(bottom - top, 0):.1f}" fill="{band.fill}">'
            f"<title>{escape(band.label)}: {_num(band.low)}{DASH}{_num(band.high)}"
            f"{escape(spec.unit)}</title></rect>"
        )
        if bottom - top >= 14:
            out.append(
                f'<text x="{LEFT + plot_w - 4}" y="{top + 12:.1f}" text-anchor="end" '
                f'fill="{MUTED}" font-size="10">{escape(band.label)}</text>'
            )
    # Reliable-change band around the baseline.
    if spec.rc_band is not None:
        low, high = spec.rc_band
        out.append(
            f'<rect class="rc-band" x="{LEFT}" y="{y(high):.1f}" width="{plot_w}" '
            f'height="{max(y(low) - y(high), 0):.1f}" fill="{RC_FILL}" fill-opacity="0.12" '
            f'stroke="{RC_FILL}" stroke-opacity="0.4" stroke-dasharray="2 3">'
            f"<title>No reliable change from baseline: {_num(low)}{DASH}{_num(high)}"
            "</title></rect>"
        )
    # Caseness line.
    if spec.caseness is not None:
        cy = y(spec.caseness)
        out.append(
            f'<line class="caseness" x1="{LEFT}" y1="{cy:.1f}" x2="{LEFT + plot_w}" '
            f'y2="{cy:.1f}" stroke="{CASENESS}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{LEFT + 4}" y="{cy - 4:.1f}" fill="{CASENESS}" font-size="10">'
            f"caseness {_num(spec.caseness)}</text>"
        )
    # Axes and ticks: y at the band boundaries (or quarters), x at the first and last dates.
    out.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="{MUTED}"/>'
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        f'stroke="{MUTED}"/>'
    )
    ticks = sorted({spec.y_min, spec.y_max, *(b.low for b in spec.bands)})
    if len(ticks) <= 2:
        ticks = [spec.y_min + y_span * q / 4 for q in range(5)]
    for tick in ticks:
        out.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{_num(tick)}{escape(spec.unit)}</text>"
        )
    for day, anchor in ((start, "start"), (end, "end")):
        out.append(
            f'<text x="{x(day):.1f}" y="{TOP + plot_h + 16}" text-anchor="{anchor}" '
            f'fill="{TEXT}">{day.day} {day:%b %Y}</text>'
        )
    # Appointment markers: small triangles under the axis.
    for m in spec.markers:
        mx = x(date.fromisoformat(m))
        base = TOP + plot_h + 22
        out.append(
            f'<path class="appointment" d="M{mx:.1f} {base - 4} l4 7 h-8 z" fill="{MUTED}">'
            f"<title>Appointment {escape(m)}</title></path>"
        )
    out.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="{MUTED}" font-size="10">'
        "▲ appointments · dashed line: caseness · grey band: no reliable change from baseline"
        "</text>"
    )
    # The scores.
    coords = [(x(date.fromisoformat(d)), y(v), d, v) for d, v in spec.points]
    if len(coords) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for px, py, d, v in coords:
        out.append(
            f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{LINE}" '
            f'data-date={quoteattr(d)} data-value="{_num(v)}">'
            f"<title>{escape(d)}: {_num(v)}{escape(spec.unit)}</title></circle>"
        )
    out.append("</svg>")
    return "\n".join(out)


def chart_svg(spec: ChartSpec) -> str:
    """The SVG for `spec`, drawn once per distinct spec (Django's cache, keyed by a hash)."""
    key = spec.key()
    cache = caches["local"]
    svg = cache.get(key)
    if svg is None:
        svg = render_svg(spec)
        cache.set(key, svg, CACHE_SECONDS)
    return str(svg)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
