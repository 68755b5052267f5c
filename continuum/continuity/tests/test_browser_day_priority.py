"""Issue 13, "Done when", in a real browser: the day ranks clients as a clinician would.

A safety answer (PHQ-9 item 9 answered 2, raised last night), an urgent check-in sent at
04:43, a drifting client, a note still a draft two days after its session, sessions heavy
enough for the self-care prompt, and a not-on-track GAD-7 alert from five weeks ago whose
newer score is back in range. The day shows each client once, in the order a clinician would
give (safety, the urgent check-in, drifting, the draft), the closed alert absent with its
closing line in the client's history, "For you" outside the list, below it, and the same
number of open alerts as the alerts page; a check-in sent after the therapist looked is
marked new. axe-clean. (measures/tests/test_alert_lifecycle.py tests the rules themselves.)
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus
from continuum.continuity.attention import rebuild
from continuum.measures.models import Alert, AlertStatus
from continuum.measures.services import assign_measure, enter_in_session
from continuum.measures.tests.world import gad7_answers
from continuum.portal.models import CheckIn
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


def local_time_today_or_yesterday(at: time) -> datetime:
    """Today's `at` in the therapist's zone, or yesterday's if that is still to come."""
    now = timezone.localtime()
    moment = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return moment if moment < now else moment - timedelta(days=1)


def test_the_day_ranks_clients_as_a_clinician_would(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    now = timezone.now()
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    actor = actor_for(alice)

    def in_therapy(first: str, last: str, seen_days_ago: int, booked: bool = True) -> Any:
        client = make_client(alice, first, last)
        episode = make_episode(client, start_date=timezone.localdate() - timedelta(days=120))
        make_appointment(
            client,
            now - timedelta(days=seen_days_ago),
            episode=episode,
            status=AppointmentStatus.ATTENDED,
        )
        if booked:
            make_appointment(client, now + timedelta(days=5), episode=episode)
        return client, episode

    # Nora: her last session's note is still a draft two days on (routine).
    nora, nora_episode = in_therapy("Nora", "Notes", 30)
    draft_session = make_appointment(
        nora, now - timedelta(days=2), episode=nora_episode, status=AppointmentStatus.ATTENDED
    )
    make_note(draft_session)
    # Drew: no session for 40 days and nothing booked (drifting).
    in_therapy("Drew", "Drift", 40, booked=False)
    # Uma: "I need to talk before our next session", sent at 04:43 (safety).
    uma, _ = in_therapy("Uma", "Urgent", 5)
    CheckIn.objects.create(
        client=uma,
        mood=2,
        urgent=True,
        note="I need to talk before our next session",
        idempotency_key="uma-0443",
        created_at=local_time_today_or_yesterday(time(4, 43)),
    )
    # Sam: PHQ-9 item 9 answered 2, entered last night (safety, older than Uma's check-in).
    sam, sam_episode = in_therapy("Sam", "Safety", 3)
    admin = assign_measure(
        sam_episode,
        instrument="phq9",
        cadence="once",
        starts_on=timezone.localdate(),
        actor=actor,
    ).administrations.get()
    enter_in_session(admin, {str(i): 1 for i in range(1, 10)} | {"9": 2}, actor=actor)
    Alert.objects.filter(client=sam, kind="safety").update(
        created_at=local_time_today_or_yesterday(time(4, 43)) - timedelta(hours=7)
    )
    # Four weeks of very heavy sessions: the self-care prompt.
    for week in range(4):
        session = make_appointment(
            sam,
            now - timedelta(weeks=week, minutes=90),
            episode=sam_episode,
            status=AppointmentStatus.ATTENDED,
        )
        SessionWeight.objects.create(therapist=alice, appointment=session, weight=5)
    # Greta: GAD-7 12 at the start, 14 at session 6 five weeks ago (not on track), and 2 today:
    # the alert closes itself as no longer current.
    greta, greta_episode = in_therapy("Greta", "Gad", 1)

    def gad7(total: int, days_ago: int) -> None:
        with time_machine.travel(now - timedelta(days=days_ago), tick=False):
            admin = assign_measure(
                greta_episode,
                instrument="gad7",
                cadence="once",
                starts_on=timezone.localdate(),
                actor=actor,
            ).administrations.get()
            enter_in_session(admin, gad7_answers(total), actor=actor)

    for n in range(6):
        make_appointment(
            greta,
            now - timedelta(days=70 - n * 7, hours=1),
            episode=greta_episode,
            status=AppointmentStatus.ATTENDED,
        )
        if n == 0:
            gad7(12, 70)
    gad7(14, 35)
    stale = Alert.objects.get(client=greta, kind="not_on_track")
    gad7(2, 0)
    stale.refresh_from_db()
    assert stale.status == AlertStatus.RESOLVED
    # The check-in and the backdated alert were written straight to the database, not through
    # actions: the day's attention table is rebuilt, as the scheduler's hourly job would.
    rebuild()

    login(page, live_server.url, "alice@example.org", PASSWORD)
    assert page.url.endswith("/day/")

    mind = page.locator("section", has=page.get_by_role("heading", name="Clients on my mind"))
    entries = mind.locator(".mind-entry")
    assert entries.locator(".mind-client").all_inner_texts() == [
        "Sam Safety",
        "Uma Urgent",
        "Drew Drift",
        "Nora Notes",
    ]
    assert "safety item 9 was answered 2" in entries.nth(0).inner_text()
    assert "1 new check-in, 1 marked urgent." in entries.nth(1).inner_text()
    assert "No session for 40 days, and nothing booked." in entries.nth(2).inner_text()
    assert "is still a draft." in entries.nth(3).inner_text()
    # Each line says how long ago it was raised.
    assert entries.nth(3).locator(".ago").inner_text() == "1 day ago"
    # "For you" is not among the clients: its own section, below the list.
    assert "heavy" not in mind.inner_text()
    for_you = page.locator("section", has=page.get_by_role("heading", name="For you"))
    assert "Your sessions have felt heavy" in for_you.inner_text()
    mind_box, for_you_box = mind.bounding_box(), for_you.bounding_box()
    assert mind_box is not None
    assert for_you_box is not None
    assert for_you_box["y"] >= mind_box["y"] + mind_box["height"]
    assert page.locator(".badge.new").count() == 0  # the first look: nothing to be new since
    assert_accessible(page)

    # Greta's closed alert is not on the day; her history says which score closed it.
    assert "Greta Gad" not in mind.inner_text()
    # The day's number of open alerts (a line per client, "and N more") is the alerts page's.
    alert_lines = mind.locator(".mind-line", has=page.locator("a[href*='/alerts/']"))
    more = re.findall(r"and (\d+) more open alert", mind.inner_text())
    day_alerts = alert_lines.count() + sum(int(n) for n in more)
    assert day_alerts >= 1
    page.get_by_role("link", name="Alerts", exact=True).first.click()
    open_tab = page.get_by_role("link", name=re.compile(r"^Open \(\d+\)"))
    assert open_tab.inner_text() == f"Open ({day_alerts})"
    page.goto(f"{live_server.url}/clients/{greta.pk}/")
    assert page.get_by_text(
        re.compile(r"GAD-7 not on track alert closed: no longer current after GAD-7 2 on")
    ).is_visible()
    page.goto(f"{live_server.url}/day/")

    # Nora checks in after Alice looked: her entry (and only hers) is marked new.
    CheckIn.objects.create(client=nora, mood=6, idempotency_key="nora-later")
    rebuild()
    page.reload()
    assert entries.locator(".mind-client").all_inner_texts()[-1] == "Nora Notes"
    assert page.locator(".badge.new").count() == 1
    assert entries.nth(3).locator(".badge.new").count() == 1
    page_problems.assert_none()
