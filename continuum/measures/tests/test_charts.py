"""Progress charts: static SVG with bands, caseness, reliable-change band, markers; cached."""

from __future__ import annotations

import base64
import re
from datetime import date
from unittest import mock
from xml.etree import ElementTree

from django.core.cache import caches
from django.test import SimpleTestCase

from continuum.measures import charts
from continuum.measures.instruments import get_instrument

SVG = "{http://www.w3.org/2000/svg}"


def phq9_spec(points: list[tuple[date, float]], **extra: object) -> charts.ChartSpec:
    return charts.spec_for(
        get_instrument("phq9"),
        points,
        baseline=points[0][1],
        rc_points=6,
        markers=extra.pop("markers", [date(2026, 1, 12), date(2026, 1, 19), date(2025, 6, 1)]),  # type: ignore[arg-type]
    )


POINTS = [(date(2026, 1, 12), 18.0), (date(2026, 1, 26), 14.0), (date(2026, 2, 9), 9.0)]


class ChartTests(SimpleTestCase):
    def setUp(self) -> None:
        caches["local"].clear()

    def test_the_svg_holds_the_points_bands_caseness_rc_band_and_markers(self) -> None:
        svg = charts.render_svg(phq9_spec(POINTS))
        # Our own SVG, not untrusted input: parsing it proves it is well-formed XML.
        root = ElementTree.fromstring(svg)  # noqa: S314
        self.assertEqual(root.tag, f"{SVG}svg")
        points = root.findall(f".//{SVG}circle[@class='point']")
        self.assertEqual(
            [(p.get("data-date"), p.get("data-value")) for p in points],
            [("2026-01-12", "18"), ("2026-01-26", "14"), ("2026-02-09", "9")],
        )
        bands = root.findall(f".//{SVG}rect[@class='band']")
        self.assertEqual(
            [b.findtext(f"{SVG}title") for b in bands],
            [
                "Minimal: 0\N{EN DASH}5",
                "Mild: 5\N{EN DASH}10",
                "Moderate: 10\N{EN DASH}15",
                "Moderately severe: 15\N{EN DASH}20",
                "Severe: 20\N{EN DASH}27",
            ],
        )
        self.assertEqual(len(root.findall(f".//{SVG}line[@class='caseness']")), 1)
        rc = root.find(f".//{SVG}rect[@class='rc-band']")
        assert rc is not None
        self.assertEqual(
            rc.findtext(f"{SVG}title"), "No reliable change from baseline: 12\N{EN DASH}24"
        )
        # Appointments within a week of the scores are marked; one far earlier is not.
        markers = root.findall(f".//{SVG}path[@class='appointment']")
        self.assertEqual(len(markers), 2)

    def test_the_svg_has_no_script_no_style_attribute_and_no_external_reference(self) -> None:
        svg = charts.render_svg(phq9_spec(POINTS))
        self.assertNotIn("<script", svg.lower())
        self.assertNotIn("style=", svg)
        self.assertNotIn("href", svg)
        self.assertIsNone(re.search(r"https?://(?!www\.w3\.org/2000/svg\")", svg))

    def test_higher_is_better_shades_from_unwell_at_the_bottom(self) -> None:
        spec = charts.spec_for(get_instrument("who5"), [(date(2026, 1, 12), 10)])
        self.assertEqual(spec.y_max, 100)
        self.assertEqual(spec.points, (("2026-01-12", 40.0),))
        poor, adequate = spec.bands
        self.assertEqual((poor.low, poor.high), (0, 52))
        self.assertEqual(poor.fill, charts.BAND_FILLS[-1])
        self.assertEqual(adequate.fill, charts.BAND_FILLS[0])

    def test_a_single_point_draws(self) -> None:
        svg = charts.render_svg(phq9_spec(POINTS[:1], markers=[]))
        self.assertEqual(svg.count('class="point"'), 1)
        self.assertNotIn("<polyline", svg)

    def test_charts_are_cached_by_their_data(self) -> None:
        with mock.patch.object(charts, "render_svg", wraps=charts.render_svg) as render:
            first = charts.chart_svg(phq9_spec(POINTS))
            again = charts.chart_svg(phq9_spec(POINTS))
            changed = charts.chart_svg(phq9_spec([*POINTS, (date(2026, 2, 23), 7.0)]))
        self.assertEqual(first, again)
        self.assertNotEqual(first, changed)
        self.assertEqual(render.call_count, 2)

    def test_the_data_uri_decodes_to_the_svg(self) -> None:
        svg = charts.render_svg(phq9_spec(POINTS))
        uri = charts.data_uri(svg)
        self.assertTrue(uri.startswith("data:image/svg+xml;base64,"))
        self.assertEqual(base64.b64decode(uri.split(",", 1)[1]).decode(), svg)
