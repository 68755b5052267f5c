"""The week schedule: Monday to Sunday in the therapist's own time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import AppointmentStatus, CancelledBy, NoteAddendum
from continuum.testing.base import (
    PASSWORD,
    BaseTestCase,
    make_appointment,
    make_client,
    make_note,
    make_staff,
)
from continuum.testing.browser import assert_accessible, login

URL = reverse("care:schedule")
# Sunday 12 July 2026, 23:30 UTC: already Monday 13 July (00:30) in London.
NOW = datetime(2026, 7, 12, 23, 30, tzinfo=UTC)


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """A July 2026 London wall-clock time (BST, UTC+1) as a UTC instant."""
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def day_section(html: str, day_id: str) -> str:
    """The HTML of one day column, e.g. day_id "20260713"."""
    match = re.search(
        rf'<section class="[^"]*" aria-labelledby="day-{day_id}".*?</section>', html, re.S
    )
    assert match is not None, day_id
    return match.group(0)


@time_machine.travel(NOW, tick=False)
class ScheduleTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_it_is_for_clinicians_only(self) -> None:
        admin = make_staff(self.riverside, "admin@example.org", "Ada Admin", clinical=False)
        self.login(admin)
        self.assertEqual(self.client.get(URL).status_code, 404)

    def test_it_defaults_to_this_week_in_the_therapists_zone(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL)
        # In UTC it is still Sunday 12 July; in London it is Monday 13 July.
        self.assertContains(response, "Week of 13 July 2026")
        html = response.content.decode()
        self.assertIn('class="day today"', day_section(html, "20260713"))
        self.assertIn('aria-current="date"', day_section(html, "20260713"))
        self.assertEqual(html.count('class="day today"'), 1)
        for label in ("Monday 13 Jul", "Wednesday 15 Jul", "Sunday 19 Jul"):
            self.assertContains(response, label)
        self.assertContains(response, "?week=2026-07-06")
        self.assertContains(response, "?week=2026-07-20")
        self.assertNotContains(response, ">This week</a>")

    def test_a_therapist_in_new_york_sees_their_own_week(self) -> None:
        # 19:30 on Sunday 12 July in New York.
        self.login(self.charlie)
        response = self.client.get(URL)
        self.assertContains(response, "Week of 6 July 2026")
        self.assertIn('class="day today"', day_section(response.content.decode(), "20260712"))

    def test_any_day_picks_its_week(self) -> None:
        self.login(self.alice)
        for value in ("2026-07-27", "2026-07-29", "2026-08-02"):
            with self.subTest(week=value):
                response = self.client.get(URL, {"week": value})
                self.assertContains(response, "Week of 27 July 2026")
                self.assertContains(response, "27 Jul \N{EN DASH} 2 Aug 2026")
                self.assertNotContains(response, 'class="day today"')
                self.assertContains(response, ">This week</a>")

    def test_an_unreadable_week_is_a_400_with_a_message(self) -> None:
        self.login(self.alice)
        for value in (
            "2026-13-01",
            "2026-02-30",
            "next week",
            "2026-7-1",
            "20260713",
            "2026-W28-1",
            "0001-01-01",
            "9999-12-31",
            "2026-07-13' OR 1=1 --",
        ):
            with self.subTest(week=value):
                response = self.client.get(URL, {"week": value})
                self.assertContains(response, "That week could not be read", status_code=400)

    def test_it_shows_appointments_by_local_day(self) -> None:
        gail = make_client(self.alice, "Gail", "Green")
        make_appointment(self.dana, london(13, 9, 0), modality="video")
        # 00:30 on Monday in London is still Sunday in UTC: it belongs to Monday.
        make_appointment(gail, london(13, 0, 30))
        # Sunday 23:30 London is in this week; Monday 00:30 of the next one is not.
        make_appointment(self.dana, london(19, 23, 30))
        make_appointment(self.dana, london(20, 0, 30))
        self.login(self.alice)
        html = self.client.get(URL).content.decode()
        monday = day_section(html, "20260713")
        self.assertIn(">00:30</time>", monday)
        self.assertIn(">09:00</time>", monday)
        self.assertLess(monday.index(">00:30</time>"), monday.index(">09:00</time>"))
        self.assertIn("Dana Dawson", monday)
        self.assertIn("Gail Green", monday)
        self.assertIn("Video", monday)
        self.assertIn(reverse("care:client_detail", kwargs={"client_id": self.dana.pk}), monday)
        self.assertIn(">23:30</time>", day_section(html, "20260719"))
        self.assertNotIn("00:30</time>", day_section(html, "20260719"))
        self.assertIn("3 appointments", html)
        self.assertIn("No appointments.", day_section(html, "20260714"))

    def test_it_shows_status_and_note_links(self) -> None:
        attended_with_note = make_appointment(
            self.dana, london(13, 1), status=AppointmentStatus.ATTENDED
        )
        note = make_note(attended_with_note, signed=True)
        attended = make_appointment(self.dana, london(14, 1), status=AppointmentStatus.ATTENDED)
        cancelled = make_appointment(
            self.dana,
            london(15, 9),
            status=AppointmentStatus.CANCELLED,
            cancelled_by=CancelledBy.CLIENT,
        )
        make_appointment(self.dana, london(16, 9), status=AppointmentStatus.NO_SHOW)
        self.login(self.alice)
        html = self.client.get(URL).content.decode()
        monday = day_section(html, "20260713")
        self.assertIn(reverse("care:note_detail", kwargs={"note_id": note.pk}), monday)
        self.assertIn("SOAP note (signed)", monday)
        self.assertIn("badge-attended", monday)
        tuesday = day_section(html, "20260714")
        self.assertIn(reverse("care:note_create", kwargs={"appointment_id": attended.pk}), tuesday)
        self.assertIn(">Write note</a>", tuesday)
        wednesday = day_section(html, "20260715")
        self.assertIn('<li class="muted">', wednesday)
        self.assertIn("<s><a href", wednesday)
        self.assertIn("badge-cancelled", wednesday)
        self.assertIn(
            reverse("care:appointment_detail", kwargs={"appointment_id": cancelled.pk}),
            wednesday,
        )
        self.assertNotIn("Write note", wednesday)
        thursday = day_section(html, "20260716")
        self.assertIn("No-show", thursday)
        self.assertNotIn("Write note", thursday)

    def test_it_shows_only_the_therapists_own_appointments_of_their_own_clients(self) -> None:
        make_appointment(self.dana, london(13, 9))
        make_appointment(self.finn, london(13, 10))  # Bob's client
        make_appointment(self.eli, london(13, 11))  # Charlie's client
        # A client who has moved to Bob keeps an old appointment booked with Alice.
        moved = make_client(self.alice, "Hana", "Hill")
        make_appointment(moved, london(14, 9))
        moved.therapist = self.bob
        moved.save()
        for user, shown, hidden in (
            (self.alice, ["Dana"], ["Finn", "Eli", "Hana"]),
            (self.bob, ["Finn"], ["Dana", "Eli", "Hana"]),
            (self.charlie, [], ["Dana", "Finn", "Hana"]),
            (self.olivia, [], ["Dana", "Finn", "Eli", "Hana"]),
        ):
            with self.subTest(user=user.email):
                self.login(user)
                response = self.client.get(URL, {"week": "2026-07-13"})
                self.assertEqual(response.status_code, 200)
                for name in shown:
                    self.assertContains(response, name)
                for name in hidden:
                    self.assertNotContains(response, name)

    def test_times_show_in_each_therapists_zone_across_dst(self) -> None:
        # 09:00 London on Monday 26 October 2026 (after the clocks went back: GMT).
        make_appointment(self.dana, datetime(2026, 10, 26, 9, 0, tzinfo=UTC))
        self.login(self.alice)
        html = self.client.get(URL, {"week": "2026-10-26"}).content.decode()
        self.assertIn(">09:00</time>", day_section(html, "20261026"))

    def _fill_week(self, count: int) -> None:
        statuses = [
            AppointmentStatus.SCHEDULED,
            AppointmentStatus.ATTENDED,
            AppointmentStatus.CANCELLED,
        ]
        clients = [self.dana, make_client(self.alice, "Ivo", "Ives")]
        for i in range(count):
            appointment = make_appointment(
                clients[i % 2],
                london(13 + i % 7, 8) + timedelta(minutes=10 * (i // 7)),
                status=statuses[i % 3],
            )
            if appointment.status == AppointmentStatus.ATTENDED and i % 2:
                make_note(appointment)

    def _assert_query_count(self, count: int) -> None:
        self._fill_week(count)
        self.login(self.alice)
        # 1. the session, 2. the user, 3. the user's membership (clinician check),
        # 4. the week's appointments with their clients and notes (one JOINed query),
        # 5. the read's audit row (issue 18, finding 4).
        with self.assertNumQueries(5):
            response = self.client.get(URL, {"week": "2026-07-13"})
        self.assertContains(response, f"{count} appointments")

    def test_query_count_with_a_few_appointments(self) -> None:
        self._assert_query_count(3)

    def test_query_count_with_a_full_week(self) -> None:
        self._assert_query_count(60)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_pass_axe(live_server: Any, page: Any) -> None:
    """Schedule, appointment and note pages: no serious or critical axe-core violations."""
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    now = timezone.now()
    attended = make_appointment(dana, now - timedelta(hours=3), status=AppointmentStatus.ATTENDED)
    unwritten = make_appointment(dana, now - timedelta(hours=6), status=AppointmentStatus.ATTENDED)
    note = make_note(attended, signed=True)
    NoteAddendum.objects.create(note=note, author=alice, text="Later context.")
    upcoming = make_appointment(dana, now + timedelta(hours=3))
    make_appointment(dana, now + timedelta(hours=5), status="cancelled", cancelled_by="client")
    draft = make_note(make_appointment(dana, now - timedelta(days=2), status="attended"))

    login(page, live_server.url, "alice@example.org", PASSWORD)
    for path in (
        reverse("care:schedule"),
        reverse("care:appointment_create", kwargs={"client_id": dana.pk}),
        reverse("care:appointment_detail", kwargs={"appointment_id": attended.pk}),
        reverse("care:appointment_detail", kwargs={"appointment_id": upcoming.pk}),
        reverse("care:appointment_edit", kwargs={"appointment_id": upcoming.pk}),
        reverse("care:note_create", kwargs={"appointment_id": unwritten.pk}) + "?format=birp",
        reverse("care:note_detail", kwargs={"note_id": note.pk}),
        reverse("care:note_detail", kwargs={"note_id": draft.pk}),
        reverse("care:note_edit", kwargs={"note_id": draft.pk}),
        reverse("care:note_print", kwargs={"note_id": note.pk}),
    ):
        page.goto(live_server.url + path)
        assert_accessible(page)

    # The overlap warning, with its "Book anyway" checkbox.
    page.goto(live_server.url + reverse("care:appointment_create", kwargs={"client_id": dana.pk}))
    local = timezone.localtime(upcoming.starts_at, ZoneInfo(alice.time_zone))
    page.get_by_label("Date").fill(f"{local:%Y-%m-%d}")
    page.get_by_label("Start time").fill(f"{local:%H:%M}")
    page.get_by_role("button", name="Book").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_label("Book anyway").is_visible()
    assert_accessible(page)
