"""The demo practice's outcomes page in a real browser: the owner sees the three therapists,
the funnel plot and the trend; axe-clean; the screenshot in docs/screenshots/outcomes.png."""

from __future__ import annotations

import re
from io import BytesIO, StringIO
from typing import Any

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from continuum.testing.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo logins (printed by seed_demo; nothing outside the demo imports it).
DEMO_PASSWORD = "continuum-demo"
DEMO_TOTP = "CONTINUUMDEMOTOTPSECRETONLYFORDE"


def test_the_demo_owner_sees_outcomes_funnel_and_trend(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    # The default demo: 40 clients in care and 100 discharged, whose finished episodes fill
    # the page (about 30 to 45 per therapist over eighteen months).
    call_command("seed_demo", now="2026-11-18T16:00", stdout=StringIO())
    login(page, live_server.url, "owner@example.org", DEMO_PASSWORD, DEMO_TOTP)
    page.get_by_role("link", name="Outcomes").click()
    assert page.get_by_role("heading", name="Overall").is_visible()
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill("2025-05-19")
    page.get_by_label("To", exact=True).fill("2026-11-18")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("h2:has-text('By therapist') + .table-wrap tbody tr")
    assert rows.count() == 3
    assert page.locator("img[src^='data:image/svg+xml']").count() == 2
    page.get_by_text("Data completeness").first.wait_for()
    assert_accessible(page)
    page.set_viewport_size({"width": 1366, "height": 768})  # a common laptop screen
    screenshot(page, "outcomes")

    # The demo's figures are sensible: a recovery rate a real service would recognise,
    # counts beside it, and nothing suppressed for the practice as a whole.
    table = page.locator("h2:has-text('Overall') + .table-wrap table")
    names = [n.strip() for n in table.locator("thead th").all_inner_texts()][1:]
    cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
    first_rate = {
        name: int(m.group(1))
        for name, cell in zip(names, cells, strict=True)
        if (m := re.search(r"(\d+)%", cell))
    }
    assert 25 <= first_rate["Recovery"] <= 85, first_rate
    assert first_rate["Data completeness"] >= 50, first_rate
    assert first_rate["Reliable deterioration"] <= 20, first_rate

    # Printed on A4 (and so saved as PDF): every table and both charts fit the paper, nothing
    # is cut off by a scrolling box, and the PDF carries the figures' words.
    page.set_viewport_size({"width": 718, "height": 1000})  # A4's width less the margins
    page.emulate_media(media="print")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('main table, main img')]
             .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                        || (el.tagName === 'TABLE' && el.parentElement.scrollWidth
                            > el.parentElement.clientWidth + 1))
             .map(el => el.tagName + ' ' + (el.alt || el.querySelector('th')?.innerText || ''))"""
    )
    assert clipped == [], f"cut off in print: {clipped}"
    charts = page.locator("img[src^='data:image/svg+xml']")
    assert all(
        charts.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        for i in range(charts.count())
    )
    pdf = PdfReader(BytesIO(page.pdf(format="A4", print_background=True)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    for words in ("Overall", "By therapist", "Data completeness", "The practice"):
        assert words in text, words
    assert "Log out" not in text, "the site's navigation is printed"
    page_problems.assert_none()
