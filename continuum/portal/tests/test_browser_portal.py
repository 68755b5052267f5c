"""In a real browser: the therapist invites Dana and sets weekly check-ins; Dana chooses a
password on her phone, lands on the portal, checks in with an urgent note, sees the crisis
resources and when her therapist will read it; the therapist sees the urgent check-in and
marks it seen. axe-clean on every page, no console errors or CSP violations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.measures.tests.world import make_score
from continuum.portal.models import CheckIn
from continuum.portal.tests.world import make_pending
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

DANA_PASSWORD = "a-calm-river-at-dawn"


def test_invite_check_in_urgent_and_seen(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(days=30))
    make_appointment(dana, timezone.now() + timedelta(days=3), episode=episode)
    make_score(episode, "phq9", 16, timezone.now() - timedelta(days=14), band="moderately_severe")
    make_score(episode, "phq9", 11, timezone.now() - timedelta(days=2), band="moderate")
    make_pending(episode, "gad7")

    # The therapist invites Dana, asks for weekly check-ins and shares PHQ-9.
    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/clients/{dana.pk}/portal/")
    assert page.get_by_text("Not invited yet.").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Invite to the portal").click()
    assert page.get_by_text("The client was invited").is_visible()
    page.get_by_label("Check-ins").select_option("weekly")
    page.get_by_label("PHQ-9").check()
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("The portal settings were saved.").is_visible()
    assert_accessible(page)

    # Dana follows the emailed link on her phone and chooses a password.
    link = re.search(r"(/set-password/\S+/)", str(mail.outbox[-1].body))
    assert link is not None
    phone_page.goto(live_server.url + link.group(1))
    assert phone_page.get_by_role("heading", name="Choose your password").is_visible()
    phone_page.locator("#id_new_password1").fill(DANA_PASSWORD)
    phone_page.get_by_label("New password again").fill(DANA_PASSWORD)
    phone_page.get_by_role("button", name="Set password and log in").click()
    phone_page.wait_for_url(re.compile(r"/portal/$"))
    assert phone_page.get_by_role("heading", name="Hello, Dana").is_visible()
    help_link = phone_page.get_by_role("link", name="Need help now?")
    assert help_link.is_visible()
    assert phone_page.get_by_role("link", name="Answer the GAD-7").is_visible()
    assert_accessible(phone_page)

    # Log out and in again through the ordinary login page: home sends her to the portal.
    phone_page.get_by_role("button", name="Log out").click()
    login(phone_page, live_server.url, "dana@example.net", DANA_PASSWORD)
    assert phone_page.url.endswith("/portal/")

    # She checks in with an urgent note.
    phone_page.get_by_role("link", name="Check in", exact=True).first.click()
    assert_accessible(phone_page)
    phone_page.get_by_role("group", name=re.compile("How has your mood been")).get_by_label(
        "3", exact=True
    ).check()
    phone_page.get_by_role("group", name=re.compile("Your homework")).get_by_label(
        "Partly done"
    ).check()
    phone_page.get_by_label("Anything you want me to know before next time").fill(
        "Things got much worse since Sunday."
    )
    phone_page.get_by_label("This is urgent").check()
    phone_page.get_by_role("button", name="Send my check-in").click()
    assert phone_page.get_by_role("heading", name="You marked this as urgent").is_visible()
    assert "they will see this by" in phone_page.locator(".urgent-note").inner_text()
    crisis = phone_page.locator(".crisis")
    assert crisis.is_visible()
    assert "116 123" in crisis.inner_text()
    assert phone_page.get_by_role("link", name="Need help now?").is_visible()
    assert_accessible(phone_page)
    checkin = CheckIn.objects.get()
    assert (checkin.mood, checkin.urgent, checkin.homework_status) == (3, True, "partly")

    # The other portal pages, each axe-clean with the help link in view.
    for path, heading in (
        ("/portal/progress/", "My progress"),
        ("/portal/help/", "Need help now?"),
        ("/portal/", "Hello, Dana"),
    ):
        phone_page.goto(live_server.url + path)
        assert phone_page.get_by_role("heading", name=heading, exact=True).is_visible()
        assert phone_page.get_by_role("link", name="Need help now?").is_visible()
        assert_accessible(phone_page)
    phone_page.goto(live_server.url + "/portal/progress/")
    chart = phone_page.get_by_role("img", name=re.compile("Chart of your PHQ-9 scores"))
    assert chart.evaluate("img => img.naturalWidth") > 0
    phone_page.get_by_role("link", name="Home", exact=True).click()
    phone_page.get_by_role("link", name="Answer the GAD-7").click()
    assert_accessible(phone_page)

    # The therapist sees the urgent check-in and marks it seen.
    page.goto(f"{live_server.url}/clients/{dana.pk}/checkins/")
    assert page.get_by_text("Things got much worse since Sunday.").is_visible()
    assert page.locator(".badge-urgent").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Mark seen")).click()
    assert page.get_by_text("The check-in was marked seen.").is_visible()
    assert_accessible(page)
    checkin.refresh_from_db()
    assert checkin.seen_by == alice
    page_problems.assert_none()


def test_revoking_portal_access_asks_first(live_server: Any, page: Any, page_problems: Any) -> None:
    """Issue 14: revoking cannot be undone without a new invitation, so a page says what
    happens before it does (no JavaScript needed), like the other irreversible actions."""
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    make_episode(dana, start_date=timezone.localdate() - timedelta(days=30))
    dana_login = make_portal_user(dana)
    base = live_server.url
    login(page, base, "alice@example.org", PASSWORD)
    page.goto(base + reverse("portal:client_portal", kwargs={"client_id": dana.pk}))
    page.get_by_role("button", name="Revoke portal access").click()
    heading = page.get_by_role("heading", name="Revoke Dana Dawson's portal access?")
    assert heading.is_visible()
    assert page.get_by_text(
        "can no longer log in to the portal, and is logged out now"
    ).is_visible()
    assert_accessible(page)
    dana_login.refresh_from_db()
    assert dana_login.is_active  # nothing changed yet
    page.get_by_role("button", name="Revoke portal access").click()
    assert page.get_by_text("The client can no longer log in to the portal.").is_visible()
    dana_login.refresh_from_db()
    assert not dana_login.is_active
    page_problems.assert_none()
