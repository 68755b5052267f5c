"""The practice core as a therapist uses it, in a real browser (issue: the practice core)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus, NoteStatus, ProgressNote
from continuum.testing.base import PASSWORD, make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_book_attend_write_sign_and_amend_a_note(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", pronouns="she/her", email="dana@example.net")
    make_episode(dana)
    for first, last in [("Marcus", "Okafor"), ("Priya", "Raman"), ("Tom", "Lindqvist")]:
        make_episode(make_client(alice, first, last))

    login(page, live_server.url, "alice@example.org", PASSWORD)
    assert_accessible(page)  # the therapist's day
    page.get_by_role("link", name="Caseload").click()
    assert page.get_by_role("heading", name="Caseload").is_visible()
    assert_accessible(page)
    screenshot(page, "caseload")

    page.get_by_role("link", name="Dana Dawson").first.click()
    assert page.get_by_role("heading", name="Dana Dawson").is_visible()
    assert_accessible(page)

    # Book yesterday's session (back-entered), 10:00 in the therapist's zone.
    page.get_by_role("link", name="New appointment").click()
    assert_accessible(page)
    yesterday = timezone.localdate(timezone=alice_zone()) - timedelta(days=1)
    page.get_by_label("Date").fill(yesterday.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_role("button", name="Book").click()
    assert page.get_by_role("heading", name="Appointment on").is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Mark attended").click()
    page.get_by_role("link", name="Write note").click()
    assert_accessible(page)
    page.get_by_label("Subjective").fill("Dana reported two better days after the walk plan.")
    page.get_by_label("Assessment").fill("Mood lifting; avoidance reducing.")
    page.get_by_label("Plan for next session").fill("Review the activity diary together.")
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_role("heading", name="SOAP progress note").is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign and lock").click()
    # Signing cannot be undone: a page says so first, and signs only when confirmed.
    assert page.get_by_role("heading", name="Sign and lock this note?").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign and lock").click()
    assert page.get_by_text("Signed by Alice Adams").first.is_visible()
    page.get_by_label("Addendum").fill("Dana phoned to add that she slept better too.")
    page.get_by_role("button", name="Add addendum").click()
    assert page.get_by_text("she slept better too").is_visible()
    assert_accessible(page)
    screenshot(page, "signed-note")

    note = ProgressNote.objects.get(client=dana)
    assert note.status == NoteStatus.SIGNED
    assert note.signed_by == alice
    assert note.sections["subjective"].startswith("Dana reported two better days")
    assert note.appointment.status == AppointmentStatus.ATTENDED
    assert [a.text for a in note.addenda.all()] == ["Dana phoned to add that she slept better too."]

    page.get_by_role("link", name="Schedule").click()
    assert_accessible(page)
    page_problems.assert_none()


def alice_zone() -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo("Europe/London")
