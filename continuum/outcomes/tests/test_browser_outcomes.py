"""The demo practice's outcomes page in a real browser: the owner sees the three therapists,
the funnel plot and the trend; axe-clean; the screenshot in docs/screenshots/outcomes.png."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

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
    page_problems.assert_none()
