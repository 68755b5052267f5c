"""In a real browser: assign PHQ-9, answer it by link on a phone with item 9 = 1, see the crisis
resources, then the therapist sees the safety alert, records the action and sees the point on
the chart. axe-clean at every step, no console errors or CSP violations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.measures.models import Alert
from continuum.testing.base import PASSWORD, make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_safety_answer_by_link_to_resolved_alert_and_chart(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    episode = make_episode(dana, start_date=timezone.localdate())

    # The therapist assigns PHQ-9 once and makes a link.
    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/episodes/{episode.pk}/measures/assign/")
    assert_accessible(page)
    page.get_by_label("Measure").select_option("phq9")
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("button", name="Make a link").click()
    assert_accessible(page)
    link = page.locator(".link-box a").inner_text()
    assert "/q/" in link

    # The client answers on a phone, without logging in.
    phone_page.goto(live_server.url + link[link.index("/q/") :])
    assert_accessible(phone_page)
    for n in range(1, 9):
        phone_page.get_by_role("group", name=re.compile(rf"^{n}\. ")).get_by_label(
            "Several days"
        ).check()
    phone_page.get_by_role("group", name=re.compile(r"^9\. ")).get_by_label("Several days").check()
    phone_page.get_by_role("button", name="Send my answers").click()
    assert phone_page.get_by_role("heading", name="Thank you").is_visible()
    crisis = phone_page.locator(".crisis")
    assert crisis.is_visible()
    assert "988" in crisis.inner_text()
    assert "116 123" in crisis.inner_text()
    assert_accessible(phone_page)

    # The therapist sees the safety alert and records what was done.
    page.goto(f"{live_server.url}/alerts/")
    assert_accessible(page)
    page.get_by_role("link", name="Safety").click()
    assert_accessible(page)
    page.get_by_role("button", name="Resolve").click()
    assert page.get_by_text("Record what was done before resolving a safety alert.").is_visible()
    # That refusal was answered 400 on purpose (bad input); chromium logs it as an error.
    page_problems.errors = [e for e in page_problems.errors if "status of 400" not in e]
    page.get_by_label("Contacted the client").check()
    page.get_by_role("button", name="Resolve").click()
    # A resolved safety alert cannot be reopened: the page says what will happen first.
    assert page.get_by_role("heading", name="Resolve this safety alert?").is_visible()
    assert page.get_by_text("recording what was done: Contacted the client").is_visible()
    assert Alert.objects.get().status == "open"
    assert_accessible(page)
    page.get_by_role("button", name="Resolve the safety alert").click()
    assert page.get_by_text("The alert was resolved.").is_visible()
    assert Alert.objects.get().action == "contacted_client"

    # The chart shows the point, with the same score in the table below it (one click away).
    page.goto(f"{live_server.url}/clients/{dana.pk}/measures/")
    assert_accessible(page)
    chart = page.get_by_role("img", name=re.compile("Chart of PHQ-9 scores"))
    assert chart.is_visible()
    assert chart.evaluate("img => img.naturalWidth") > 0
    table = page.get_by_role("table").filter(has_text="PHQ-9 scores: latest 9")
    assert not table.is_visible()
    page.locator("article:has(#measure-phq9) details > summary").click()
    assert table.is_visible()
    page_problems.assert_none()
