"""Date fields say the chosen day in words (static/js/date-words.js): the browser draws the
field in its own locale (mm/dd/yyyy in US English) while pages show UK dates, so the words
under it settle which day was meant."""

from __future__ import annotations

from typing import Any

import pytest

from continuum.accounts.models import Practice
from continuum.testing.base import PASSWORD, make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_date_field_says_the_day_in_words(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    episode = make_episode(dana)
    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/episodes/{episode.pk}/edit/")
    field = page.get_by_label("Start date")
    words = page.locator(f"#{field.get_attribute('id')}_words")
    field.fill("2026-12-03")
    assert words.inner_text() == "Thursday 3 December 2026"
    # The words describe the field for a screen reader too.
    assert f"{field.get_attribute('id')}_words" in (field.get_attribute("aria-describedby") or "")
    field.fill("2027-02-28")
    assert words.inner_text() == "Sunday 28 February 2027"
    assert_accessible(page)
    # The form still sends the ISO day.
    page.get_by_role("button", name="Save").click()
    episode.refresh_from_db()
    assert episode.start_date.isoformat() == "2027-02-28"
    page_problems.assert_none()
