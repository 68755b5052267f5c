"""In a real browser: a PHQ-9 entered in session with item 9 blank prompts the therapist to ask
it, and the prompt is dismissed with a reason; a stale alert is kept from its "still
relevant?" page. axe-clean at every step, no console errors or CSP violations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.measures.models import Administration, Alert, AlertStatus
from continuum.measures.tests.world import make_score
from continuum.testing.base import PASSWORD, make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_blank_item_9_prompt_and_a_stale_alert_kept(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(days=120))

    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/episodes/{episode.pk}/measures/assign/")
    page.get_by_label("Measure").select_option("phq9")
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("link", name="Enter answers in session").click()
    for n in range(1, 9):
        page.get_by_role("group", name=re.compile(rf"^{n}\. ")).get_by_label("Several days").check()
    page.get_by_role("button", name=re.compile("Save")).click()
    prompt = page.locator("#safety-prompt-heading")
    assert prompt.is_visible()
    assert "Ask PHQ-9 item 9 at the next contact" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Why it does not need asking").fill("Asked on the phone: not at all.")
    page.get_by_role("button", name="Dismiss the prompt").click()
    assert "was dismissed" in page.locator("main").inner_text()
    assert Administration.objects.get(instrument="phq9").safety_prompt_dismissed_at is not None

    raised_at = timezone.now() - timedelta(weeks=10)
    old = make_score(episode, "gad7", 14, raised_at, session=6)
    alert = Alert.objects.create(
        client=dana,
        episode=episode,
        administration=old,
        kind="not_on_track",
        severity="medium",
        severity_rank=1,
        cause=f"not_on_track:gad7:{old.pk}",
        message="GAD-7 14 at session 6",
        created_at=raised_at,
    )
    page.goto(f"{live_server.url}/alerts/")
    assert "no new evidence for 10 weeks" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Still relevant? Keep or close").click()
    assert_accessible(page)
    page.get_by_role("button", name="Keep it: still relevant").click()
    assert "The alert stays open." in page.locator("main").inner_text()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert alert.confirmed_at is not None
    page_problems.assert_none()
