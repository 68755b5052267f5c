"""In a real browser: Dana writes to Alice from her phone outside Alice's working hours, sees
the policy and the crisis resources while writing, and gets the after-hours reply at once;
Alice reads the message, replies, and Dana sees the reply. axe-clean on every page, no console
errors or CSP violations."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.boundaries.models import Direction, Message
from continuum.boundaries.tests.world import set_policy
from continuum.testing.base import (
    PASSWORD,
    make_client,
    make_episode,
    make_portal_user,
    make_staff,
)
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AFTER_HOURS_REPLY = "Thanks for writing. I read messages on my working days only."


def test_an_after_hours_message_and_a_reply(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    make_episode(dana, start_date=timezone.localdate() - timedelta(days=30))
    make_portal_user(dana)
    # Alice works one day a week, three days from today in London: now is after hours
    # whatever the time of the test run.
    today = timezone.now().astimezone(ZoneInfo("Europe/London")).date()
    set_policy(
        alice,
        days={(today.weekday() + 3) % 7},
        working_hours_start=time(9),
        working_hours_end=time(13),
        after_hours_reply=AFTER_HOURS_REPLY,
    )

    # Dana, on her phone, opens Messages and starts writing.
    login(phone_page, live_server.url, "dana@example.net", PASSWORD)
    phone_page.get_by_role("link", name="Messages", exact=True).click()
    assert phone_page.get_by_role("heading", name="Messages", exact=True).is_visible()
    assert phone_page.get_by_text("No messages yet.").is_visible()
    assert_accessible(phone_page)
    phone_page.get_by_role("link", name="Write a message").click()
    assert phone_page.get_by_role("heading", name="Write to your therapist").is_visible()
    policy = phone_page.locator(
        "section", has=phone_page.get_by_role("heading", name="When your therapist reads messages")
    )
    assert "9:00 to 13:00" in policy.inner_text()
    assert "They are not at work now." in policy.inner_text()
    crisis = phone_page.locator(".crisis")
    assert crisis.is_visible()
    assert "If you are in danger now" in crisis.inner_text()
    assert "116 123" in crisis.inner_text()
    assert phone_page.get_by_role("link", name="Need help now?").is_visible()
    assert_accessible(phone_page)

    phone_page.get_by_label("Your message").fill("I had a hard evening and wanted to tell you.")
    phone_page.get_by_role("button", name="Send my message").click()
    assert phone_page.get_by_role("heading", name="Your message was sent").is_visible()
    after_hours = phone_page.locator(".urgent-note")
    assert after_hours.get_by_role(
        "heading", name="Your therapist is not at work right now"
    ).is_visible()
    assert AFTER_HOURS_REPLY in after_hours.inner_text()
    assert "They will read your message from" in after_hours.inner_text()
    assert "116 123" in phone_page.locator(".crisis").inner_text()
    assert_accessible(phone_page)
    message = Message.objects.get()
    assert (message.client, message.after_hours) == (dana, True)

    # Alice reads it in the thread and replies.
    login(page, live_server.url, "alice@example.org", PASSWORD)
    page.goto(f"{live_server.url}/clients/{dana.pk}/messages/")
    assert page.get_by_text("I had a hard evening and wanted to tell you.").is_visible()
    assert page.get_by_text("After hours", exact=True).is_visible()
    assert_accessible(page)
    page.get_by_label("Your reply").fill("Thank you for telling me. Let's start there on Thursday.")
    page.get_by_role("button", name="Send reply").click()
    assert page.get_by_text("Your reply was sent.").is_visible()
    assert_accessible(page)
    message.refresh_from_db()
    assert message.read_by == alice
    assert Message.objects.filter(direction=Direction.TO_CLIENT).count() == 1

    # Dana sees the reply in her inbox and opens it.
    phone_page.goto(f"{live_server.url}/portal/messages/")
    phone_page.get_by_role("link", name=re.compile("^Alice Adams wrote")).click()
    assert phone_page.get_by_role("heading", name="Message from your therapist").is_visible()
    assert phone_page.get_by_text("Let's start there on Thursday.").is_visible()
    assert_accessible(phone_page)

    # Alice turns messages off for Dana (with a reason); Dana is told how to reach the practice.
    page.get_by_label("Reason").fill("Agreed in session: phone the practice instead.")
    page.get_by_role("button", name="Turn messages off for this client").click()
    assert page.get_by_text("Portal messages are off for this client.").is_visible()
    assert_accessible(page)
    phone_page.goto(f"{live_server.url}/portal/messages/new/")
    assert phone_page.get_by_role(
        "heading", name="You cannot send portal messages at the moment"
    ).is_visible()
    assert phone_page.get_by_text("contact Riverside Therapy").is_visible()
    assert "116 123" in phone_page.locator(".crisis").inner_text()
    assert_accessible(phone_page)

    # Alice's own contact policy page.
    page.goto(f"{live_server.url}/me/boundaries/")
    assert page.get_by_role("heading", name="My contact policy").is_visible()
    assert_accessible(page)
    page_problems.assert_none()
