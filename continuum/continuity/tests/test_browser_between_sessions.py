"""Issue "between sessions", end to end in a real browser: a client checks in on a phone with
an urgent note and reports homework; the therapist's day shows it; the brief for the next
session holds it with the reflection marked for that session; the therapist marks the
reflection addressed. axe-clean on every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus
from continuum.plans.tests.world import make_homework
from continuum.portal.models import PortalSettings
from continuum.reflections.models import Reflection
from continuum.testing.base import (
    PASSWORD,
    make_appointment,
    make_client,
    make_episode,
    make_portal_user,
    make_staff,
)
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_check_in_reaches_the_day_and_the_brief_and_the_reflection_is_addressed(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(days=60))
    make_appointment(
        dana,
        timezone.now() - timedelta(days=7),
        episode=episode,
        status=AppointmentStatus.ATTENDED,
    )
    # The next session is later today or tomorrow, so it is on the day view with its brief.
    upcoming = make_appointment(dana, timezone.now() + timedelta(hours=3), episode=episode)
    make_portal_user(dana)
    PortalSettings.objects.create(client=dana, checkin_cadence="weekly")
    task = make_homework(dana, title="Walk after lunch", episode=episode)
    reflection = Reflection.objects.create(
        author=alice,
        client=dana,
        kind="question",
        text="Ask how the visit to her sister went",
        bring_to_next_session=True,
    )

    # Dana, on her phone: an urgent check-in, then how the homework went.
    login(phone_page, live_server.url, "dana@example.net", PASSWORD)
    assert phone_page.url.endswith("/portal/")
    assert_accessible(phone_page)
    phone_page.get_by_role("link", name="Check in", exact=True).first.click()
    phone_page.get_by_role("group", name=re.compile("How has your mood been")).get_by_label(
        "2", exact=True
    ).check()
    phone_page.get_by_label("Anything you want me to know before next time").fill(
        "A hard week: I could not face going out after Tuesday."
    )
    phone_page.get_by_label("This is urgent").check()
    phone_page.get_by_role("button", name="Send my check-in").click()
    assert phone_page.get_by_role("heading", name="You marked this as urgent").is_visible()
    assert phone_page.locator(".crisis").is_visible()
    assert_accessible(phone_page)
    phone_page.goto(live_server.url + "/portal/homework/")
    assert_accessible(phone_page)
    phone_page.get_by_role("group", name=re.compile("How did it go")).first.get_by_label(
        "Partly"
    ).first.check()
    phone_page.get_by_role("button", name=re.compile("^Send")).first.click()
    phone_page.wait_for_load_state("networkidle")
    task.refresh_from_db()
    assert task.status == "partly"

    # Alice's day: the urgent check-in is there, with today's session and its brief.
    login(page, live_server.url, "alice@example.org", PASSWORD)
    assert page.url.endswith("/day/")
    entry = page.locator(".mind-entry", has_text="Dana Dawson").filter(has_text="urgent")
    assert entry.first.is_visible()
    assert_accessible(page)
    page.locator(f"a[href='/appointments/{upcoming.pk}/brief/']").click()
    assert page.get_by_role("heading", name="Brief for Dana Dawson").is_visible()
    assert page.get_by_text("I could not face going out after Tuesday.").is_visible()
    assert page.get_by_text("Walk after lunch").is_visible()
    assert page.get_by_text("Ask how the visit to her sister went").is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Mark addressed in this session").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Nothing marked to bring.").is_visible()
    reflection.refresh_from_db()
    assert reflection.addressed_in == upcoming
    assert_accessible(page)
    page_problems.assert_none()
