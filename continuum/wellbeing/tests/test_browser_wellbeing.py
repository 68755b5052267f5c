"""Sign a note, rate the session in one tap, see it on the load page; axe clean on each page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus
from continuum.testing.base import (
    PASSWORD,
    make_appointment,
    make_client,
    make_episode,
    make_note,
    make_staff,
)
from continuum.testing.browser import assert_accessible, login, screenshot
from continuum.wellbeing.models import SelfReflection, SessionWeight

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_a_note_rate_the_session_and_see_it_on_my_load(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    episode = make_episode(dana)
    session = make_appointment(
        dana,
        timezone.now() - timedelta(minutes=10),
        episode=episode,
        status=AppointmentStatus.ATTENDED,
    )
    note = make_note(session)

    login(page, live_server.url, "alice@example.org", PASSWORD)
    assert_accessible(page)  # the day, with the one-tap form beside today's session

    page.goto(f"{live_server.url}/notes/{note.pk}/")
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_role("button", name="Sign and lock").click()  # the confirmation step
    assert page.get_by_text("Signed by Alice Adams").first.is_visible()
    assert page.get_by_text("How heavy was this session?").is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="4 \N{EN DASH} heavy").click()
    # htmx swaps the form in place: wait for the saved state.
    page.get_by_text("Saved: 4 of 5, heavy.").wait_for()
    assert_accessible(page)
    weight = SessionWeight.objects.get()
    assert (weight.therapist, weight.appointment, weight.weight) == (alice, session, 4)

    page.get_by_role("link", name="My load").click()
    assert page.get_by_role("heading", name="My load").is_visible()
    assert page.get_by_text("Weight 4 of 5").is_visible()
    assert page.locator("img[src^='data:image/svg+xml']").count() == 3
    assert_accessible(page)
    screenshot(page, "my-load")

    page.get_by_role("link", name="Self-reflections").click()
    page.get_by_role("link", name="Write a self-reflection").first.click()
    assert_accessible(page)
    page.get_by_label("Your reflection").fill("I noticed I carried this session home.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("I noticed I carried this session home.").is_visible()
    assert_accessible(page)
    assert SelfReflection.objects.get().author == alice

    for link, heading in (
        ("Consultations", "Consultation log"),
        ("Weekly digest", "Your week in numbers"),
        ("My settings", "My wellbeing settings"),
    ):
        page.get_by_role("link", name=link, exact=True).click()
        assert page.get_by_role("heading", name=heading).is_visible()
        assert_accessible(page)

    page.goto(f"{live_server.url}/me/sessions/{session.pk}/weight/")
    page.get_by_label("A private line (optional)").fill("Needed a walk afterwards.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("heading", name="My load").is_visible()
    weight.refresh_from_db()
    assert weight.private_line == "Needed a walk afterwards."
    page_problems.assert_none()
