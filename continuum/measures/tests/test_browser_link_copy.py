"""Issue 14 in a real browser: the "Copy link" button (our own static script, CSP-clean)
copies the one-time link, and the practice settings page saves an ordered crisis list;
axe-clean, no console errors or CSP violations."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from continuum.accounts.models import Practice, Role
from continuum.testing.base import PASSWORD, make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copy_link_copies_the_questionnaire_link(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    episode = make_episode(make_client(alice, "Dana", "Dawson"), start_date=timezone.localdate())
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/episodes/{episode.pk}/measures/assign/")
    page.get_by_label("Measure").select_option("phq9")
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("button", name="Make a link").click()
    link = page.locator("#questionnaire-link").inner_text()
    assert "/q/" in link
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert_accessible(page)

    page.get_by_role("button", name="Copy link").click()
    # The clipboard answers asynchronously: wait for the status line, as a person would.
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    page_problems.assert_none()


def test_the_owner_saves_an_ordered_crisis_list(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    make_staff(practice, "olivia@example.org", "Olivia Owner", role=Role.OWNER)

    login(page, live_server.url, "olivia@example.org", PASSWORD)
    page.get_by_role("link", name="Settings").click()
    assert page.get_by_role("heading", name="Settings of Riverside").is_visible()
    assert_accessible(page)
    page.get_by_label("Country").select_option("GB")
    field = page.get_by_label("Crisis resources, in the order clients see them")
    field.fill("Samaritans 116 123")
    page.get_by_role("button", name="Save the settings").click()
    assert page.get_by_text("Line 1: write a name").is_visible()
    page_problems.errors = [e for e in page_problems.errors if "status of 400" not in e]
    assert_accessible(page)
    field = page.get_by_label("Crisis resources, in the order clients see them")
    field.fill("Samaritans | 116 123 | any time\nRiverside duty line | 0800 000 111")
    page.get_by_role("button", name="Save the settings").click()
    assert page.get_by_text("The practice settings are saved.").is_visible()
    practice.refresh_from_db()
    assert practice.crisis_resources.splitlines() == [
        "Samaritans | 116 123 | any time",
        "Riverside duty line | 0800 000 111",
    ]
    page_problems.assert_none()
