"""In a real browser, with the clock moved: a month after therapy ended, Dana gets the
follow-up invitation, answers her check-in on her phone, her scores show reliable
deterioration, she is offered a booster and asks for one; her therapist sees it on the day,
books it, and Dana sees the booking. axe-clean on every page, no console errors or CSP
violations."""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus
from continuum.followup.models import BoosterRequest, FollowUpCheckIn
from continuum.followup.services import record_consent
from continuum.followup.tests.world import AFTER_END, END, ONE_MONTH, START, TERMS
from continuum.measures.tests.world import make_score
from continuum.testing.base import (
    PASSWORD,
    make_appointment,
    make_client,
    make_episode,
    make_portal_user,
    make_staff,
)
from continuum.testing.browser import assert_accessible, assert_fits_phone, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# PHQ-9 15 (from 6 at the end of therapy) and GAD-7 10 (from 4): reliably worse, and at
# caseness again on both.
PHQ9 = {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2, "6": 2, "7": 2, "8": 1, "9": 0, "10": 1}
GAD7 = {"1": 2, "2": 2, "3": 2, "4": 1, "5": 1, "6": 1, "7": 1}


def run_worker() -> None:
    """The task worker until the queue is empty; its signal handlers are put back after."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _at(day: Any) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)


def test_follow_up_deterioration_booster_request_and_booking(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    make_portal_user(dana)
    episode = make_episode(dana, status="ended", start_date=START, end_date=END)
    for when in (_at(START), _at(END)):
        make_appointment(dana, when, episode=episode, status=AppointmentStatus.ATTENDED)
    make_score(episode, "phq9", 16, _at(START), band="moderately_severe", caseness=True)
    make_score(episode, "gad7", 12, _at(START), band="moderate", caseness=True)
    make_score(episode, "phq9", 6, _at(END), band="mild", caseness=False)
    make_score(episode, "gad7", 4, _at(END), band="minimal", caseness=False)
    with time_machine.travel(AFTER_END, tick=False):
        record_consent(episode, TERMS, actor=actor_for(alice))

    with time_machine.travel(ONE_MONTH, tick=True):
        # The scheduler invites her; the worker sends the email.
        call_command("run_scheduler", "--once", stdout=StringIO())
        run_worker()
        invitation = next(m for m in mail.outbox if m.subject == "Your follow-up check-in is due")
        link = re.search(r"(/portal/follow-up/)", str(invitation.body))
        assert link is not None

        # On her phone: log in, follow the link, answer the check-in.
        login(phone_page, live_server.url, "dana@example.net", PASSWORD)
        phone_page.goto(live_server.url + link.group(1))
        assert phone_page.get_by_role("heading", name="After therapy").is_visible()
        assert phone_page.get_by_text("Your 1-month follow-up check-in is open.").is_visible()
        assert phone_page.get_by_role("link", name="Need help now?").is_visible()
        assert_fits_phone(phone_page)
        phone_page.get_by_role("link", name="Start the check-in").click()
        assert_fits_phone(phone_page)
        assert phone_page.get_by_role(
            "heading", name="Your 1-month follow-up check-in"
        ).is_visible()
        for prefix, answers in (("phq9", PHQ9), ("gad7", GAD7)):
            for item, value in answers.items():
                phone_page.locator(f"#id_{prefix}-item_{item}_{value}").check()
        phone_page.get_by_label("How are you doing?").fill("Work has been very hard again.")
        assert_accessible(phone_page)
        phone_page.get_by_role("button", name="Send my check-in").click()

        # Deterioration: a booster is offered on the confirmation page; she asks for one.
        assert phone_page.get_by_role(
            "heading", name="Thank you, your check-in was sent"
        ).is_visible()
        assert phone_page.get_by_role("heading", name="Would a booster session help?").is_visible()
        assert_fits_phone(phone_page)
        phone_page.get_by_label("What would you like to talk about? (optional)").fill(
            "Sleep and worry are back"
        )
        phone_page.get_by_role("button", name="Ask for a booster session").click()
        assert phone_page.get_by_text("Your request was sent.").is_visible()
        assert phone_page.get_by_text("You asked for a booster session on").is_visible()
        assert_accessible(phone_page)
        checkin = FollowUpCheckIn.objects.get(number=1)
        assert checkin.flags == [
            "deterioration:phq9",
            "caseness:phq9",
            "deterioration:gad7",
            "caseness:gad7",
        ]

        # The therapist sees it on her day and books the booster.
        login(page, live_server.url, "alice@example.org", PASSWORD)
        page.goto(f"{live_server.url}/day/")
        assert page.get_by_text("Asked for a booster session.").is_visible()
        assert page.get_by_text(
            re.compile("1-month follow-up answered: PHQ-9 reliably worse")
        ).is_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Book it or refer").click()
        assert page.get_by_text("Sleep and worry are back").is_visible()
        assert_accessible(page)
        page.get_by_label("Date").fill("2026-08-05")
        page.get_by_label("Start time").fill("14:00")
        page.get_by_label("Modality").select_option("video")
        page.get_by_role("button", name="Book it").click()
        assert page.get_by_text("The booster session was booked").is_visible()
        assert_accessible(page)
        booster = BoosterRequest.objects.get()
        assert booster.status == "booked"
        assert booster.appointment is not None
        assert booster.appointment.starts_at == datetime(2026, 8, 5, 13, 0, tzinfo=UTC)

        # The answer itself, read by the therapist.
        page.goto(f"{live_server.url}/follow-up/check-ins/{checkin.pk}/")
        assert page.get_by_text("Work has been very hard again.").is_visible()
        assert_accessible(page)

        # Dana sees the booking.
        phone_page.goto(live_server.url + "/portal/follow-up/")
        assert phone_page.get_by_text("Your booster session is booked for").is_visible()
        assert "Wednesday 5 August, 14:00" in phone_page.locator("main").inner_text()
        assert_accessible(phone_page)
    page_problems.assert_none()


def test_the_other_follow_up_pages_are_accessible(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    make_portal_user(dana)
    episode = make_episode(dana, status="ended", start_date=START, end_date=END)
    with time_machine.travel(AFTER_END, tick=True):
        # The therapist agrees follow-up with Dana through the form.
        login(page, live_server.url, "alice@example.org", PASSWORD)
        page.goto(f"{live_server.url}/clients/{dana.pk}/follow-up/")
        assert_accessible(page)
        page.get_by_role("link", name="Agree follow-up").click()
        assert_accessible(page)
        page.get_by_role("button", name="Save").click()
        assert page.get_by_text("follow-up has started").is_visible()
        assert_accessible(page)
        page.goto(f"{live_server.url}/clients/{dana.pk}/reopen/")
        assert_accessible(page)

        # Dana's follow-up and reminder pages; then she stops follow-up in one tap.
        login(phone_page, live_server.url, "dana@example.net", PASSWORD)
        phone_page.goto(live_server.url + "/portal/reminders/")
        assert_accessible(phone_page)
        phone_page.goto(live_server.url + "/portal/follow-up/booster/")
        assert_accessible(phone_page)
        phone_page.goto(live_server.url + "/portal/follow-up/")
        assert phone_page.get_by_text("Your next check-in is on").is_visible()
        assert_accessible(phone_page)
        phone_page.get_by_role("button", name="Stop my follow-up check-ins").click()
        assert phone_page.get_by_role("heading", name="Your follow-up has ended").is_visible()
        nav = phone_page.get_by_role("navigation", name="Portal").inner_text()
        assert "Check in" not in nav
        assert_accessible(phone_page)
    episode.refresh_from_db()
    assert episode.status == "closed"
    page_problems.assert_none()
