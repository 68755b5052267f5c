"""Desktop layout a therapist meets every day, measured in the browser at 1366x768 (issue 14):
the week's seven days on one row, a note page that marks Caseload (not Schedule) in the menu,
the session-weight button chosen marked (not only announced), and no fieldset drawn with the
browser's grooved border."""

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
from continuum.testing.browser import assert_accessible, login
from continuum.wellbeing.models import SessionWeight

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


def test_week_note_and_weight_on_a_laptop(live_server: Any, page: Any, page_problems: Any) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(days=30))
    seen = make_appointment(
        dana,
        timezone.now() - timedelta(hours=3),
        episode=episode,
        status=AppointmentStatus.ATTENDED,
    )
    note = make_note(seen, signed=True)
    SessionWeight.objects.create(therapist=alice, appointment=seen, weight=2)
    page.set_viewport_size(LAPTOP)
    login(page, live_server.url, "alice@example.org", PASSWORD)

    page.goto(live_server.url + "/schedule/")
    days = page.locator(".week .day").evaluate_all(
        "ds => ds.map(d => Math.round(d.getBoundingClientRect().top))"
    )
    assert len(days) == 7
    assert len(set(days)) == 1, f"the week wraps onto more than one row: {days}"
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]

    page.goto(f"{live_server.url}/notes/{note.pk}/")
    current = page.locator(".site-header nav a[aria-current=page]")
    assert current.all_inner_texts() == ["Caseload"]
    assert page.get_by_text("You rated it 2 of 5.").is_visible()
    form = page.locator(".weight-form")
    pressed = form.locator("button[aria-pressed=true]")
    assert pressed.count() == 1
    other = form.locator("button[aria-pressed=false]").first
    style = "b => getComputedStyle(b).backgroundColor"
    assert pressed.evaluate(style) != other.evaluate(style), "the chosen weight is not marked"
    borders = page.locator("fieldset").evaluate_all(
        "fs => fs.map(f => getComputedStyle(f).borderTopStyle)"
    )
    assert borders
    assert "groove" not in borders, borders
    assert_accessible(page)
    page_problems.assert_none()
