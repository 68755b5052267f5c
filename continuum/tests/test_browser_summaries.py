"""Summaries first (issue 14), measured in the browser on the demo practice.

The client with the longest demo history: at 1366x768 the client page shows per measure the
latest score, its band, the change since the baseline and the chart, the open homework, the
author's reflections and the recent timeline, all within three screens, before its first
"show more"; every score table and the older timeline items are one click away in a <details>
(no script). The measures page is bounded the same way, and so is the client's own progress
page on a 390x844 phone. Before this change the three pages were about 8,500, 13,200 and
7,200 px tall (seed_demo --now 2026-12-06T16:00).

It also takes the screenshots docs/screenshots/client.png, audit-log.png and
progress-phone.png (the first screens only, to keep them small).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from continuum.care.models import Client
from continuum.testing.browser import (
    CHROMIUM,
    DOCS_DIR,
    PHONE,
    assert_accessible,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo logins (printed by seed_demo; nothing outside the demo imports it).
DEMO_PASSWORD = "continuum-demo"
DEMO_TOTP = "CONTINUUMDEMOTOTPSECRETONLYFORDE"
LAPTOP = {"width": 1366, "height": 768}
SCREENS = 3

# Where the page's summary ends: the top of its first collapsed history, and the bottom of
# the timeline's "show more" (the last thing the first screens show), and the whole height.
HEIGHTS_JS = """
() => {
  const y = (el) => el.getBoundingClientRect().top + window.scrollY;
  const closed = [...document.querySelectorAll('main details:not([open]) > summary')];
  const more = document.querySelector('main .timeline-more > summary');
  return {
    firstCollapsed: closed.length ? Math.round(y(closed[0])) : null,
    collapsed: closed.length,
    timelineMore: more ? Math.round(y(more) + more.getBoundingClientRect().height) : null,
    page: document.documentElement.scrollHeight,
  };
}
"""


def shot(page: Any, name: str, height: int) -> None:
    """The first `height` pixels of the page, for docs/screenshots/<name>.png."""
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(DOCS_DIR / f"{name}.png"),
        clip={"x": 0, "y": 0, "width": width, "height": height},
        full_page=True,
    )


def test_the_longest_history_leads_with_summaries_within_three_screens(
    live_server: Any, browser: Any, page: Any, page_problems: Any
) -> None:
    assert CHROMIUM
    call_command("seed_demo", now="2026-12-06T16:00", stdout=StringIO())
    longest = (
        Client.objects.annotate(n=Count("appointments"))
        .select_related("therapist")
        .order_by("-n", "pk")
        .first()
    )
    assert longest is not None
    assert longest.appointments.count() >= 60, "the demo's longest history is long"
    page.set_viewport_size(LAPTOP)
    login(page, live_server.url, longest.therapist.email, DEMO_PASSWORD, DEMO_TOTP)

    page.goto(f"{live_server.url}/clients/{longest.pk}/")
    h = page.evaluate(HEIGHTS_JS)
    print(f"client page at 1366x768: {h}")
    bound = SCREENS * LAPTOP["height"]
    assert h["firstCollapsed"] is not None, h
    assert h["firstCollapsed"] <= bound, h
    assert h["timelineMore"] is not None, h
    assert h["timelineMore"] <= bound, h
    # Each measure leads with its latest score and the change in words, its chart beside.
    cards = page.locator(".measure-card")
    assert cards.count() >= 4
    for card in cards.all():
        assert card.locator(".measure-latest .score").is_visible()
        assert card.locator(".measure-change").inner_text().startswith("Latest ")
        assert card.locator(".chart img").is_visible()
        assert not card.locator("table").is_visible()  # the history, one click away
    # One "no reliable-change rule" sentence per measure, not one per row.
    assert page.get_by_text("reliable-change rule").count() <= cards.count()
    # An appointment and its signed note are one timeline item.
    first_done = page.locator(".timeline li", has=page.locator("a[href^='/notes/']")).first
    assert first_done.locator("a[href^='/appointments/']").count() == 1
    # The older items open without script.
    older = page.locator(".timeline-more ol.timeline li").first
    assert not older.is_visible()
    page.locator(".timeline-more > summary").click()
    assert older.is_visible()
    assert_accessible(page)
    page.locator(".timeline-more > summary").click()
    shot(page, "client", 2 * LAPTOP["height"])

    page.goto(f"{live_server.url}/clients/{longest.pk}/measures/")
    m = page.evaluate(HEIGHTS_JS)
    print(f"measures page at 1366x768: {m}")
    assert m["page"] <= bound, m
    page.locator(".measure-card details > summary").first.click()
    assert page.locator(".measure-card table").first.is_visible()
    assert_accessible(page)
    page_problems.assert_none()

    # The client's own progress on a phone: the latest score and its meaning first.
    phone = browser.new_context(viewport=PHONE).new_page()
    login(phone, live_server.url, "client@example.org", DEMO_PASSWORD)
    phone.goto(f"{live_server.url}/portal/progress/")
    p = phone.evaluate(HEIGHTS_JS)
    print(f"portal progress at 390x844: {p}")
    assert p["collapsed"] >= 1, p
    assert p["page"] <= SCREENS * PHONE["height"], p
    assert phone.locator(".measure-latest .score").first.is_visible()
    assert not phone.locator("table").first.is_visible()
    assert_accessible(phone)
    shot(phone, "progress-phone", PHONE["height"])
    phone.context.close()

    # The audit log the owner reads, after the therapist's visits above.
    owner = browser.new_context(viewport=LAPTOP).new_page()
    login(owner, live_server.url, "owner@example.org", DEMO_PASSWORD, DEMO_TOTP)
    owner.goto(f"{live_server.url}/practice/audit/")
    assert owner.locator("table tbody tr").count() >= 3
    # Actions read as words, not codes.
    assert owner.get_by_text("day.view", exact=True).count() == 0
    assert_accessible(owner)
    shot(owner, "audit-log", LAPTOP["height"])
    # Each time stays on one line (the `nowrap` class), even where the table is squeezed: one
    # line box, one line tall.
    owner.set_viewport_size(PHONE)
    when = owner.locator("table tbody tr td time").first
    lines, height, font = when.evaluate(
        "t => [t.getClientRects().length, t.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(t).fontSize)]"
    )
    assert lines == 1, f"the time wraps onto {lines} lines"
    assert height < 2 * font, f"the time is {height}px tall at a {font}px font"
    owner.context.close()
