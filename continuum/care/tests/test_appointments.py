"""Appointments: booking (single and series), detail, edit, status changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import TestCase as PlainTestCase

import time_machine
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    Episode,
    Modality,
)
from continuum.care.services.appointments import (
    InvalidStatusChange,
    check_status_change,
    possible_changes,
)
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_client,
    make_episode,
    make_note,
)

DASH = "\N{EN DASH}"

# A Wednesday in British Summer Time (London is UTC+1).
NOW = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)


def booking(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "date": "2026-07-13",
        "time": "09:00",
        "duration_minutes": "50",
        "modality": Modality.IN_PERSON,
        "repeat": "",
        "sessions": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@time_machine.travel(NOW, tick=False)
class AppointmentCreateTests(BaseTestCase):
    def url(self, client_id: int | None = None) -> str:
        return reverse("care:appointment_create", kwargs={"client_id": client_id or self.dana.pk})

    def test_it_requires_login(self) -> None:
        for method in ("get", "post"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(self.url())
                self.assertRedirects(
                    response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
                )
        self.assertFalse(Appointment.objects.exists())

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            self.login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                self.assertEqual(self.client.post(self.url(), booking()).status_code, 404)
        self.assertFalse(Appointment.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_a_client_that_does_not_exist(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999_999)).status_code, 404)
        self.assertEqual(self.client.post(self.url(999_999), booking()).status_code, 404)

    def test_it_shows_the_form(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Book an appointment")
        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, '<label for="id_date">')
        self.assertContains(response, '<label for="id_time">')
        self.assertContains(response, 'type="date"')
        self.assertContains(response, 'type="time"')
        self.assertContains(response, "Europe/London")
        self.assertNotContains(response, "Book anyway")

    def test_it_stores_local_time_as_utc_and_shows_it_locally(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), booking(modality=Modality.VIDEO))
        appointment = Appointment.objects.get()
        self.assertRedirects(
            response,
            reverse("care:appointment_detail", kwargs={"appointment_id": appointment.pk}),
            fetch_redirect_response=False,
        )
        # 09:00 in London in July is 08:00 UTC.
        self.assertEqual(appointment.starts_at, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))
        self.assertEqual(appointment.therapist, self.alice)
        self.assertEqual(appointment.client, self.dana)
        self.assertEqual(appointment.duration_minutes, 50)
        self.assertEqual(appointment.modality, Modality.VIDEO)
        self.assertEqual(appointment.status, AppointmentStatus.SCHEDULED)
        self.assertIsNone(appointment.series)
        self.assertIsNone(appointment.episode)

        detail = self.client.get(response["Location"])
        self.assertContains(detail, f"09:00{DASH}09:50")
        self.assertContains(detail, "Monday 13 July 2026")
        self.assertNotContains(detail, "08:00")

    def test_a_therapist_in_new_york_books_in_new_york_time(self) -> None:
        self.login(self.charlie)
        url = self.url(self.eli.pk)
        self.client.post(url, booking(time="09:00"))
        self.assertEqual(
            Appointment.objects.get().starts_at, datetime(2026, 7, 13, 13, 0, tzinfo=UTC)
        )

    def test_it_writes_one_audit_row(self) -> None:
        self.login(self.alice)
        self.client.post(self.url(), booking())
        appointment = Appointment.objects.get()
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "appointment.create")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.object_id, str(appointment.pk))
        self.assertEqual(event.detail, {"count": 1, "client_id": self.dana.pk})
        self.assertNotIn("Dana", str(event.detail))

    def test_it_links_the_open_episode(self) -> None:
        make_episode(self.dana, status="ended", start_date=date(2025, 1, 6))
        episode = make_episode(self.dana, status="active")
        self.login(self.alice)
        self.client.post(self.url(), booking())
        self.assertEqual(Appointment.objects.get().episode, episode)
        self.assertEqual(AuditEvent.objects.get().detail["episode"], episode.pk)

    def test_it_books_a_weekly_series_in_one_go(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), booking(repeat="weekly", sessions="6"))
        self.assertEqual(response.status_code, 302)
        appointments = list(Appointment.objects.order_by("starts_at"))
        self.assertEqual(len(appointments), 6)
        self.assertEqual(len({a.series for a in appointments}), 1)
        self.assertIsNotNone(appointments[0].series)
        gaps = {b.starts_at - a.starts_at for a, b in itertools.pairwise(appointments)}
        self.assertEqual(gaps, {timedelta(days=7)})
        event = AuditEvent.objects.get()
        self.assertEqual(event.detail["count"], 6)
        self.assertEqual(event.detail["series"], str(appointments[0].series))
        self.assertEqual(event.object_id, str(appointments[0].pk))
        page = self.client.get(response["Location"])
        self.assertContains(page, "Booked 6 sessions, every week")

    def test_it_books_a_fortnightly_series(self) -> None:
        self.login(self.alice)
        self.client.post(self.url(), booking(repeat="fortnightly", sessions="3"))
        starts = list(Appointment.objects.order_by("starts_at").values_list("starts_at", flat=True))
        self.assertEqual(
            starts,
            [
                datetime(2026, 7, 13, 8, 0, tzinfo=UTC),
                datetime(2026, 7, 27, 8, 0, tzinfo=UTC),
                datetime(2026, 8, 10, 8, 0, tzinfo=UTC),
            ],
        )

    def test_a_series_keeps_local_time_across_the_clock_change(self) -> None:
        # London's clocks go back on Sunday 25 October 2026.
        self.login(self.alice)
        self.client.post(self.url(), booking(date="2026-10-19", repeat="weekly", sessions="3"))
        appointments = list(Appointment.objects.order_by("starts_at"))
        self.assertEqual(
            [a.starts_at for a in appointments],
            [
                datetime(2026, 10, 19, 8, 0, tzinfo=UTC),
                datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
                datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            ],
        )
        for appointment in appointments:
            detail = self.client.get(
                reverse("care:appointment_detail", kwargs={"appointment_id": appointment.pk})
            )
            self.assertContains(detail, f"09:00{DASH}09:50")

    def test_it_accepts_the_longest_series(self) -> None:
        self.login(self.alice)
        self.client.post(self.url(), booking(repeat="fortnightly", sessions="52"))
        self.assertEqual(Appointment.objects.count(), 52)
        self.assertEqual(AuditEvent.objects.count(), 1)

    def test_bad_input_rerenders_with_a_message_and_stores_nothing(self) -> None:
        cases: list[tuple[dict[str, Any], str, str]] = [
            (booking(duration_minutes="4"), "duration_minutes", "greater than or equal to 5"),
            (booking(duration_minutes="481"), "duration_minutes", "less than or equal to 480"),
            (booking(duration_minutes="abc"), "duration_minutes", "Enter a whole number"),
            (booking(date="13/07/2026x"), "date", "Enter a date like 2026-07-06."),
            (booking(date="1850-01-01"), "date", "between 2000 and 2099"),
            (booking(time=""), "time", "This field is required."),
            (booking(time="25:00"), "time", "Enter a time like 09:00."),
            (booking(modality="telepathy"), "modality", "Select a valid choice"),
            (booking(repeat="weekly"), "sessions", "Say how many sessions"),
            (booking(repeat="weekly", sessions="1"), "sessions", "greater than or equal to 2"),
            (booking(repeat="weekly", sessions="53"), "sessions", "less than or equal to 52"),
            (booking(sessions="4"), "repeat", "Choose how often"),
            (booking(repeat="daily", sessions="4"), "repeat", "Select a valid choice"),
            # 01:30 does not exist in London on 29 March 2026.
            (booking(date="2026-03-29", time="01:30"), "time", "does not exist"),
            (booking(date="2026-10-25", time="01:30"), "time", "happens twice"),
        ]
        self.login(self.alice)
        for data, field, message in cases:
            with self.subTest(field=field, message=message):
                response = self.client.post(self.url(), data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, f'id="id_{field}_error"')
                self.assertContains(response, message)
        self.assertFalse(Appointment.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())


@time_machine.travel(NOW, tick=False)
class OverlapTests(BaseTestCase):
    def setUp(self) -> None:
        self.gail = make_client(self.alice, "Gail", "Green")
        # Alice already sees Gail from 09:30 to 10:20 London time on Monday 13 July.
        self.existing = make_appointment(self.gail, datetime(2026, 7, 13, 8, 30, tzinfo=UTC))
        self.url = reverse("care:appointment_create", kwargs={"client_id": self.dana.pk})
        self.login(self.alice)

    def test_it_warns_with_times_only_and_books_nothing(self) -> None:
        response = self.client.post(self.url, booking())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This overlaps another appointment")
        self.assertContains(
            response,
            f"Mon 13 Jul 2026, 09:00{DASH}09:50 overlaps your appointment at "
            f"Mon 13 Jul 2026, 09:30{DASH}10:20",
        )
        self.assertContains(response, "Book anyway")
        self.assertNotContains(response, "Gail")
        self.assertNotContains(response, "Green")
        self.assertEqual(Appointment.objects.count(), 1)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_books_when_confirmed(self) -> None:
        response = self.client.post(self.url, booking(book_anyway="on"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Appointment.objects.filter(client=self.dana).count(), 1)
        self.assertTrue(AuditEvent.objects.get().detail["overlap_confirmed"])

    def test_back_to_back_is_not_an_overlap(self) -> None:
        self.client.post(self.url, booking(time="10:20"))
        self.client.post(self.url, booking(time="08:40", duration_minutes="50"))
        self.assertEqual(Appointment.objects.filter(client=self.dana).count(), 2)

    def test_cancelled_appointments_do_not_clash(self) -> None:
        self.existing.status = AppointmentStatus.CANCELLED
        self.existing.save()
        self.assertEqual(self.client.post(self.url, booking()).status_code, 302)

    def test_other_therapists_appointments_do_not_clash(self) -> None:
        make_appointment(self.finn, datetime(2026, 7, 14, 8, 0, tzinfo=UTC))
        self.assertEqual(self.client.post(self.url, booking(date="2026-07-14")).status_code, 302)

    def test_a_clash_anywhere_in_a_series_books_none_of_it(self) -> None:
        make_appointment(self.gail, datetime(2026, 7, 27, 8, 45, tzinfo=UTC))
        response = self.client.post(self.url, booking(repeat="weekly", sessions="4"))
        self.assertContains(response, "This overlaps other appointments")
        self.assertContains(
            response,
            f"Mon 27 Jul 2026, 09:00{DASH}09:50 overlaps your appointment at "
            f"Mon 27 Jul 2026, 09:45{DASH}10:35",
        )
        self.assertEqual(Appointment.objects.filter(client=self.dana).count(), 0)
        response = self.client.post(
            self.url, booking(repeat="weekly", sessions="4", book_anyway="on")
        )
        self.assertEqual(Appointment.objects.filter(client=self.dana).count(), 4)


def detail_url(appointment: Appointment) -> str:
    return reverse("care:appointment_detail", kwargs={"appointment_id": appointment.pk})


def edit_url(appointment: Appointment) -> str:
    return reverse("care:appointment_edit", kwargs={"appointment_id": appointment.pk})


def status_url(appointment: Appointment) -> str:
    return reverse("care:appointment_status", kwargs={"appointment_id": appointment.pk})


@time_machine.travel(NOW, tick=False)
class AppointmentDetailTests(BaseTestCase):
    def setUp(self) -> None:
        # Monday 13 July 2026, 09:00 London time.
        self.appointment = make_appointment(self.dana, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))

    def test_it_requires_login(self) -> None:
        response = self.client.get(detail_url(self.appointment))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            self.login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(detail_url(self.appointment)).status_code, 404)
                self.assertEqual(self.client.post(detail_url(self.appointment)).status_code, 404)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_only_accepts_get(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(detail_url(self.appointment)).status_code, 405)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_an_appointment_that_does_not_exist(self) -> None:
        self.login(self.alice)
        response = self.client.get(
            reverse("care:appointment_detail", kwargs={"appointment_id": 999_999})
        )
        self.assertEqual(response.status_code, 404)

    def test_it_shows_the_appointment_and_audits_the_read(self) -> None:
        self.login(self.alice)
        response = self.client.get(detail_url(self.appointment))
        self.assertContains(response, "Appointment on Monday 13 July 2026")
        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, f"09:00{DASH}09:50")
        self.assertContains(response, "50 minutes")
        self.assertContains(response, "In person")
        self.assertContains(response, "badge-scheduled")
        self.assertContains(response, "Edit time, length or modality")
        self.assertContains(response, "Cancel appointment")
        # It has not happened yet, so it cannot be marked attended or no-show.
        self.assertNotContains(response, "Mark attended")
        self.assertNotContains(response, "Mark no-show")
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "appointment.view")
        self.assertEqual(event.object_id, str(self.appointment.pk))

    def test_it_shows_who_cancelled_and_when(self) -> None:
        self.appointment.status = AppointmentStatus.CANCELLED
        self.appointment.cancelled_by = CancelledBy.CLIENT
        self.appointment.cancelled_at = datetime(2026, 7, 7, 16, 15, tzinfo=UTC)
        self.appointment.cancelled_by_user = self.alice
        self.appointment.save()
        self.login(self.alice)
        response = self.client.get(detail_url(self.appointment))
        self.assertContains(response, "Cancelled by")
        self.assertContains(response, "Client, on 7 Jul 2026, 17:15")
        self.assertContains(response, "recorded by Alice Adams")
        self.assertNotContains(response, "Edit time, length or modality")

    def test_an_attended_appointment_offers_to_write_the_note(self) -> None:
        self.appointment.starts_at = NOW - timedelta(days=1)
        self.appointment.status = AppointmentStatus.ATTENDED
        self.appointment.save()
        self.login(self.alice)
        response = self.client.get(detail_url(self.appointment))
        self.assertContains(response, "Write note")
        self.assertContains(
            response, reverse("care:note_create", kwargs={"appointment_id": self.appointment.pk})
        )
        self.assertContains(response, "Mark no-show")

        note = make_note(self.appointment)
        response = self.client.get(detail_url(self.appointment))
        self.assertNotContains(response, "Write note")
        self.assertContains(response, reverse("care:note_detail", kwargs={"note_id": note.pk}))
        self.assertContains(response, "SOAP note")
        # With a note it can no longer become a no-show.
        self.assertNotContains(response, "Mark no-show")

    def test_a_past_scheduled_appointment_offers_attended_and_no_show(self) -> None:
        self.appointment.starts_at = NOW - timedelta(hours=2)
        self.appointment.save()
        self.login(self.alice)
        response = self.client.get(detail_url(self.appointment))
        self.assertContains(response, "Mark attended")
        self.assertContains(response, "Mark no-show")
        self.assertContains(response, "Notes are written once the appointment is attended.")


@time_machine.travel(NOW, tick=False)
class AppointmentEditTests(BaseTestCase):
    def setUp(self) -> None:
        self.appointment = make_appointment(self.dana, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))

    def edit(self, **overrides: Any) -> dict[str, Any]:
        return {k: v for k, v in booking(**overrides).items() if k not in ("repeat", "sessions")}

    def test_it_requires_login(self) -> None:
        for method in ("get", "post"):
            response = getattr(self.client, method)(edit_url(self.appointment))
            self.assertEqual(response.status_code, 302)
            self.assertIn("/accounts/login/", response["Location"])

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            self.login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(edit_url(self.appointment)).status_code, 404)
                response = self.client.post(edit_url(self.appointment), self.edit(time="15:00"))
                self.assertEqual(response.status_code, 404)
        self.appointment.refresh_from_db()
        self.assertEqual(self.appointment.starts_at, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))

    def test_it_404s_for_an_appointment_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:appointment_edit", kwargs={"appointment_id": 999_999})
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, self.edit()).status_code, 404)

    def test_it_prefills_local_time(self) -> None:
        self.login(self.alice)
        response = self.client.get(edit_url(self.appointment))
        self.assertContains(response, 'value="2026-07-13"')
        self.assertContains(response, 'value="09:00"')
        self.assertContains(response, 'value="50"')
        self.assertNotContains(response, "Repeat")
        self.assertEqual(AuditEvent.objects.get().action, "appointment.view")

    def test_it_changes_time_duration_and_modality(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            edit_url(self.appointment),
            self.edit(date="2026-07-14", time="15:30", duration_minutes="60", modality="phone"),
        )
        self.assertRedirects(response, detail_url(self.appointment), fetch_redirect_response=False)
        self.appointment.refresh_from_db()
        self.assertEqual(self.appointment.starts_at, datetime(2026, 7, 14, 14, 30, tzinfo=UTC))
        self.assertEqual(self.appointment.duration_minutes, 60)
        self.assertEqual(self.appointment.modality, Modality.PHONE)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "appointment.update")
        self.assertEqual(
            event.detail,
            {"fields": ["starts_at", "duration_minutes", "modality"], "client_id": self.dana.pk},
        )

    def test_moving_it_does_not_clash_with_itself(self) -> None:
        self.login(self.alice)
        response = self.client.post(edit_url(self.appointment), self.edit(time="09:15"))
        self.assertEqual(response.status_code, 302)

    def test_it_warns_about_overlaps(self) -> None:
        make_appointment(self.dana, datetime(2026, 7, 14, 14, 0, tzinfo=UTC))
        self.login(self.alice)
        response = self.client.post(
            edit_url(self.appointment), self.edit(date="2026-07-14", time="15:30")
        )
        self.assertContains(
            response, f"overlaps your appointment at Tue 14 Jul 2026, 15:00{DASH}15:50"
        )
        self.appointment.refresh_from_db()
        self.assertEqual(self.appointment.starts_at, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))
        response = self.client.post(
            edit_url(self.appointment), self.edit(date="2026-07-14", time="15:30", book_anyway="on")
        )
        self.assertEqual(response.status_code, 302)

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        response = self.client.post(edit_url(self.appointment), self.edit(duration_minutes="0"))
        self.assertContains(response, 'id="id_duration_minutes_error"')
        self.appointment.refresh_from_db()
        self.assertEqual(self.appointment.duration_minutes, 50)
        self.assertFalse(AuditEvent.objects.exists())

    def test_only_scheduled_appointments_can_be_edited(self) -> None:
        self.appointment.status = AppointmentStatus.CANCELLED
        self.appointment.save()
        self.login(self.alice)
        response = self.client.get(edit_url(self.appointment))
        self.assertContains(response, "Only scheduled appointments can be edited", status_code=400)
        response = self.client.post(edit_url(self.appointment), self.edit(time="15:00"))
        self.assertContains(response, "this one is cancelled", status_code=400)
        self.appointment.refresh_from_db()
        self.assertEqual(self.appointment.starts_at, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))
        self.assertFalse(AuditEvent.objects.exists())


S = AppointmentStatus

# (current status, starts relative to now, has note, POST data, new status or None if refused,
#  a phrase of the answer)
STATUS_CASES: list[tuple[str, timedelta, bool, dict[str, str], str | None, str]] = [
    (S.SCHEDULED, -timedelta(hours=1), False, {"status": "attended"}, S.ATTENDED, ""),
    (S.SCHEDULED, -timedelta(hours=1), False, {"status": "no_show"}, S.NO_SHOW, ""),
    (
        S.SCHEDULED,
        timedelta(days=2),
        False,
        {"status": "cancelled", "cancelled_by": "client"},
        S.CANCELLED,
        "",
    ),
    (
        S.SCHEDULED,
        -timedelta(days=1),
        False,
        {"status": "cancelled", "cancelled_by": "practice"},
        S.CANCELLED,
        "",
    ),
    (S.SCHEDULED, timedelta(days=2), False, {"status": "attended"}, None, "before it starts"),
    (S.SCHEDULED, timedelta(days=2), False, {"status": "no_show"}, None, "before it starts"),
    (S.SCHEDULED, timedelta(days=2), False, {"status": "cancelled"}, None, "Say who cancelled"),
    (
        S.SCHEDULED,
        timedelta(days=2),
        False,
        {"status": "cancelled", "cancelled_by": "martians"},
        None,
        "Say who cancelled",
    ),
    (S.SCHEDULED, timedelta(days=2), False, {"status": "scheduled"}, None, "Choose the new status"),
    (S.SCHEDULED, timedelta(days=2), False, {"status": "bogus"}, None, "Choose the new status"),
    (S.SCHEDULED, timedelta(days=2), False, {}, None, "Choose the new status"),
    (S.ATTENDED, -timedelta(days=2), False, {"status": "no_show"}, S.NO_SHOW, ""),
    (S.NO_SHOW, -timedelta(days=2), False, {"status": "attended"}, S.ATTENDED, ""),
    (S.ATTENDED, -timedelta(days=8), False, {"status": "no_show"}, None, "within 7 days"),
    (S.NO_SHOW, -timedelta(days=8), False, {"status": "attended"}, None, "within 7 days"),
    (S.ATTENDED, -timedelta(days=2), True, {"status": "no_show"}, None, "has a progress note"),
    (
        S.ATTENDED,
        -timedelta(days=2),
        False,
        {"status": "cancelled", "cancelled_by": "client"},
        None,
        "cannot become cancelled",
    ),
    (S.NO_SHOW, -timedelta(days=2), False, {"status": "no_show"}, None, "already no-show"),
    (S.CANCELLED, -timedelta(days=2), False, {"status": "attended"}, None, "cannot become"),
    (S.CANCELLED, timedelta(days=2), False, {"status": "no_show"}, None, "cannot become"),
    (
        S.CANCELLED,
        timedelta(days=2),
        False,
        {"status": "cancelled", "cancelled_by": "client"},
        None,
        "already cancelled",
    ),
]


@time_machine.travel(NOW, tick=False)
class AppointmentStatusTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        appointment = make_appointment(self.dana, NOW - timedelta(hours=1))
        response = self.client.post(status_url(appointment), {"status": "attended"})
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        appointment.refresh_from_db()
        self.assertEqual(appointment.status, S.SCHEDULED)

    def test_it_rejects_other_therapists(self) -> None:
        appointment = make_appointment(self.dana, NOW - timedelta(hours=1))
        for user in (self.bob, self.charlie, self.olivia):
            self.login(user)
            with self.subTest(user=user.email):
                response = self.client.post(status_url(appointment), {"status": "attended"})
                self.assertEqual(response.status_code, 404)
                self.assertEqual(self.client.get(status_url(appointment)).status_code, 404)
        appointment.refresh_from_db()
        self.assertEqual(appointment.status, S.SCHEDULED)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_an_appointment_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:appointment_status", kwargs={"appointment_id": 999_999})
        self.assertEqual(self.client.post(url, {"status": "attended"}).status_code, 404)

    def test_it_only_accepts_post(self) -> None:
        appointment = make_appointment(self.dana, NOW - timedelta(hours=1))
        self.login(self.alice)
        self.assertEqual(self.client.get(status_url(appointment)).status_code, 405)

    def test_the_transition_table(self) -> None:
        self.login(self.alice)
        for current, offset, has_note, data, expected, phrase in STATUS_CASES:
            with self.subTest(current=current, offset=offset, has_note=has_note, data=data):
                appointment = make_appointment(self.dana, NOW + offset, status=current)
                if has_note:
                    make_note(appointment)
                before = AuditEvent.objects.count()
                response = self.client.post(status_url(appointment), data)
                appointment.refresh_from_db()
                if expected is None:
                    self.assertContains(response, phrase, status_code=400)
                    self.assertContains(response, "Possible changes:", status_code=400)
                    self.assertEqual(appointment.status, current)
                    self.assertEqual(AuditEvent.objects.count(), before)
                else:
                    self.assertRedirects(
                        response, detail_url(appointment), fetch_redirect_response=False
                    )
                    self.assertEqual(appointment.status, expected)
                    event = AuditEvent.objects.latest("pk")
                    self.assertEqual(AuditEvent.objects.count(), before + 1)
                    self.assertEqual(event.action, "appointment.status")
                    self.assertEqual(event.detail["from"], current)
                    self.assertEqual(event.detail["to"], expected)

    def test_the_refusal_lists_possible_changes(self) -> None:
        appointment = make_appointment(self.dana, NOW - timedelta(hours=1))
        self.login(self.alice)
        response = self.client.post(status_url(appointment), {"status": "scheduled"})
        self.assertContains(
            response, "Possible changes: Attended, No-show, Cancelled.", status_code=400
        )
        appointment.status = S.CANCELLED
        appointment.save()
        response = self.client.post(status_url(appointment), {"status": "attended"})
        self.assertContains(response, "Possible changes: none.", status_code=400)

    def test_cancelling_records_who_and_when(self) -> None:
        appointment = make_appointment(self.dana, NOW + timedelta(days=3))
        self.login(self.alice)
        self.client.post(
            status_url(appointment),
            {"status": "cancelled", "cancelled_by": CancelledBy.THERAPIST},
        )
        appointment.refresh_from_db()
        self.assertEqual(appointment.status, S.CANCELLED)
        self.assertEqual(appointment.cancelled_by, CancelledBy.THERAPIST)
        self.assertEqual(appointment.cancelled_at, NOW)
        self.assertEqual(appointment.cancelled_by_user, self.alice)
        self.assertEqual(AuditEvent.objects.get().detail["cancelled_by"], "therapist")
        response = self.client.get(detail_url(appointment))
        self.assertContains(response, "Therapist, on 8 Jul 2026, 13:00")

    def test_marking_attended_leaves_cancellation_fields_empty(self) -> None:
        appointment = make_appointment(self.dana, NOW - timedelta(hours=1))
        self.login(self.alice)
        response = self.client.post(status_url(appointment), {"status": "attended"}, follow=True)
        self.assertContains(response, "Appointment marked attended.")
        appointment.refresh_from_db()
        self.assertEqual(appointment.cancelled_by, "")
        self.assertIsNone(appointment.cancelled_at)
        self.assertIsNone(appointment.cancelled_by_user)


class StatusRuleTests(PlainTestCase):
    """The transition rules as plain functions (no database)."""

    def test_possible_changes(self) -> None:
        past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
        self.assertEqual(
            possible_changes(S.SCHEDULED, starts_at=past, now=NOW, has_note=False),
            [S.ATTENDED, S.NO_SHOW, S.CANCELLED],
        )
        self.assertEqual(
            possible_changes(S.SCHEDULED, starts_at=future, now=NOW, has_note=False),
            [S.CANCELLED],
        )
        self.assertEqual(
            possible_changes(S.ATTENDED, starts_at=past, now=NOW, has_note=False), [S.NO_SHOW]
        )
        self.assertEqual(possible_changes(S.ATTENDED, starts_at=past, now=NOW, has_note=True), [])
        self.assertEqual(
            possible_changes(S.NO_SHOW, starts_at=past, now=NOW, has_note=False), [S.ATTENDED]
        )
        self.assertEqual(possible_changes(S.CANCELLED, starts_at=past, now=NOW, has_note=False), [])

    def test_the_correction_window_is_seven_days(self) -> None:
        edge = NOW - timedelta(days=7)
        self.assertEqual(
            check_status_change(S.NO_SHOW, S.ATTENDED, starts_at=edge, now=NOW, has_note=False),
            S.ATTENDED,
        )
        with self.assertRaisesRegex(InvalidStatusChange, "Possible changes: none"):
            check_status_change(
                S.NO_SHOW,
                S.ATTENDED,
                starts_at=edge - timedelta(seconds=1),
                now=NOW,
                has_note=False,
            )

    def test_unknown_statuses_are_refused(self) -> None:
        with self.assertRaisesRegex(InvalidStatusChange, "not an appointment status"):
            check_status_change(S.SCHEDULED, "done", starts_at=NOW, now=NOW, has_note=False)


@time_machine.travel(NOW, tick=False)
class EpisodeDatesTests(BaseTestCase):
    """A session before the open episode began is refused with a clear message (issue 14:
    1 Jan 2025 was booked into an episode that began on 22 Dec 2025)."""

    def setUp(self) -> None:
        make_episode(self.dana, start_date=date(2026, 6, 22))
        self.url = reverse("care:appointment_create", kwargs={"client_id": self.dana.pk})
        self.login(self.alice)

    def test_a_session_before_the_episode_is_refused_and_nothing_is_stored(self) -> None:
        for data in (
            booking(date="2026-01-01"),
            booking(date="2026-06-15", repeat="weekly", sessions="3"),
        ):
            with self.subTest(data=data):
                response = self.client.post(self.url, data)
                self.assertContains(
                    response, "This client&#x27;s episode of care began on 22 June 2026"
                )
                self.assertContains(response, "falls outside it")
        self.assertFalse(Appointment.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="appointment.create").exists())

    def test_the_warning_offers_book_anyway_and_with_it_the_session_is_booked(self) -> None:
        response = self.client.post(self.url, booking(date="2026-01-01"))
        self.assertContains(response, "This is outside the episode of care")
        self.assertContains(response, 'name="outside_episode_anyway"')
        self.assertFalse(Appointment.objects.exists())

        response = self.client.post(
            self.url, booking(date="2026-01-01", outside_episode_anyway="on")
        )

        appointment = Appointment.objects.get()
        self.assertRedirects(
            response,
            reverse("care:appointment_detail", kwargs={"appointment_id": appointment.pk}),
        )
        self.assertEqual(appointment.starts_at.date(), date(2026, 1, 1))
        event = AuditEvent.objects.get(action="appointment.create")
        self.assertTrue(event.detail["outside_episode_confirmed"])
        self.assertEqual(event.detail["episode"], appointment.episode_id)

    def test_moving_a_session_outside_its_episode_warns_and_book_anyway_moves_it(self) -> None:
        episode = Episode.objects.get(client=self.dana)
        session = make_appointment(
            self.dana, datetime(2026, 7, 13, 8, 0, tzinfo=UTC), episode=episode
        )
        response = self.client.post(edit_url(session), booking(date="2026-01-01"))
        self.assertContains(response, "This is outside the episode of care")
        self.assertContains(response, 'name="outside_episode_anyway"')
        session.refresh_from_db()
        self.assertEqual(session.starts_at.date(), date(2026, 7, 13))
        self.assertFalse(AuditEvent.objects.filter(action="appointment.update").exists())

        response = self.client.post(
            edit_url(session), booking(date="2026-01-01", outside_episode_anyway="on")
        )

        self.assertRedirects(response, detail_url(session))
        session.refresh_from_db()
        self.assertEqual(session.starts_at.date(), date(2026, 1, 1))
        event = AuditEvent.objects.get(action="appointment.update")
        self.assertTrue(event.detail["outside_episode_confirmed"])

    def test_a_session_within_the_episode_is_booked(self) -> None:
        self.client.post(self.url, booking(date="2026-06-22"))
        self.assertEqual(Appointment.objects.count(), 1)
