from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction

from continuum.accounts.models import Membership, Practice, Role, User
from continuum.audit import log as audit
from continuum.audit.models import AuditEvent
from continuum.care.demo import content
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.management.commands.seed_demo import parse_now
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    Client,
    Episode,
    NoteAddendum,
    NoteStatus,
    ProgressNote,
)
from continuum.care.note_formats import FORMATS
from continuum.testing.base import BaseTestCase

LONDON = ZoneInfo("Europe/London")
# A Wednesday morning; London is on GMT, and the history reaches back over two summers.
NOW = datetime(2026, 3, 4, 10, 20, tzinfo=UTC)
TODAY = NOW.astimezone(LONDON).date()
DEMO = "Riverside Therapy Collective"
LOGINS = ("owner@example.org", "therapist@example.org", "colleague@example.org")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--now", NOW.isoformat(), *args, stdout=out)
    return out.getvalue()


def demo_digest() -> str:
    """Client names, appointment times and outcomes, and note text of the demo practice."""
    practice = Practice.objects.get(name=DEMO)
    lines = sorted(
        f"{c.first_name}|{c.last_name}|{c.therapist.email}"
        for c in Client.objects.filter(practice=practice).select_related("therapist")
    )
    lines += sorted(
        f"{a.client.first_name} {a.client.last_name}|{a.starts_at.isoformat()}|{a.status}"
        for a in Appointment.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{n.appointment.starts_at.isoformat()}|{n.format}|{sorted(n.sections.items())}"
        for n in ProgressNote.objects.filter(client__practice=practice).select_related(
            "appointment"
        )
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class DefaultDemoTests(BaseTestCase):
    demo: Practice
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.output = seed()
        cls.demo = Practice.objects.get(name=DEMO)

    def appointments(self) -> list[Appointment]:
        return list(Appointment.objects.filter(client__practice=self.demo))

    def test_it_creates_the_practice_in_london(self) -> None:
        self.assertEqual(self.demo.time_zone, "Europe/London")
        self.assertIn("Created “Riverside Therapy Collective”", self.output)
        self.assertIn("40 clients", self.output)

    def test_it_prints_the_fixed_logins(self) -> None:
        self.assertIn(
            "therapist@example.org / colleague@example.org / owner@example.org — "
            "password: continuum-demo",
            self.output,
        )

    def test_the_three_logins_authenticate_with_the_demo_password(self) -> None:
        for email in LOGINS:
            user = authenticate(None, email=email, password="continuum-demo")
            self.assertIsNotNone(user, email)
            assert user is not None
            self.assertTrue(user.password.startswith("argon2$"))
            self.assertEqual(user.time_zone, "Europe/London")
            self.assertTrue(self.client.login(email=email, password="continuum-demo"))
        self.assertIsNone(authenticate(None, email=LOGINS[0], password="wrong-password-123"))

    def test_the_owner_also_treats_clients(self) -> None:
        memberships = {m.user.email: m for m in Membership.objects.filter(practice=self.demo)}
        self.assertEqual(set(memberships), set(LOGINS))
        self.assertEqual(memberships["owner@example.org"].role, Role.OWNER)
        self.assertEqual(memberships["therapist@example.org"].role, Role.THERAPIST)
        self.assertEqual(memberships["colleague@example.org"].role, Role.THERAPIST)
        self.assertTrue(all(m.is_clinical and m.is_active for m in memberships.values()))

    def test_it_spreads_forty_clients_over_the_three_therapists(self) -> None:
        per_therapist = Counter(
            Client.objects.filter(practice=self.demo).values_list("therapist__email", flat=True)
        )
        self.assertEqual(
            per_therapist,
            {"therapist@example.org": 18, "colleague@example.org": 12, "owner@example.org": 10},
        )
        names = Client.objects.filter(practice=self.demo).values_list("first_name", "last_name")
        self.assertEqual(len(set(names)), 40)

    def test_clients_are_fictional_and_reachable_only_at_reserved_addresses(self) -> None:
        for client in Client.objects.filter(practice=self.demo):
            if client.email:
                self.assertTrue(client.email.endswith("@example.net"))
            for phone in (client.phone, client.emergency_contact_phone):
                if phone:
                    self.assertTrue(phone.startswith("07700 900"), phone)

    def test_notes_come_in_all_three_formats_with_every_section_filled(self) -> None:
        notes = list(ProgressNote.objects.filter(client__practice=self.demo))
        self.assertEqual({n.format for n in notes}, {"soap", "dap", "birp"})
        for note in notes:
            keys = [s.key for s in FORMATS[note.format].sections]
            self.assertEqual(sorted(note.sections), sorted(keys))
            for key in keys:
                self.assertTrue(note.sections[key].strip(), f"{note.format} {key}")
            self.assertTrue(note.next_session_plan.strip())
        # Notes never name the client.
        for note in ProgressNote.objects.filter(client__practice=self.demo).select_related(
            "client"
        )[:200]:
            text = " ".join(note.sections.values())
            self.assertNotIn(note.client.last_name, text)

    def test_every_attended_session_has_a_note_and_only_attended_ones_do(self) -> None:
        attended = Appointment.objects.filter(
            client__practice=self.demo, status=AppointmentStatus.ATTENDED
        )
        notes = ProgressNote.objects.filter(client__practice=self.demo)
        self.assertEqual(notes.count(), attended.count())
        self.assertFalse(notes.exclude(appointment__status=AppointmentStatus.ATTENDED).exists())
        for note in notes.select_related("appointment"):
            self.assertEqual(note.client_id, note.appointment.client_id)
            self.assertEqual(note.author_id, note.appointment.therapist_id)
            self.assertGreaterEqual(note.created_at, note.appointment.starts_at)
            self.assertLessEqual(note.created_at, NOW)

    def test_notes_are_signed_except_perhaps_each_clients_latest(self) -> None:
        notes = ProgressNote.objects.filter(client__practice=self.demo).select_related(
            "appointment"
        )
        drafts = [n for n in notes if n.status == NoteStatus.DRAFT]
        self.assertTrue(drafts)
        self.assertLess(len(drafts), len(notes) // 20)
        for note in notes:
            if note.status == NoteStatus.SIGNED:
                self.assertIsNotNone(note.signed_at)
                self.assertEqual(note.signed_by_id, note.author_id)
                assert note.signed_at is not None
                self.assertLessEqual(note.signed_at, NOW)
            else:
                self.assertIsNone(note.signed_at)
        for draft in drafts:
            latest = (
                ProgressNote.objects.filter(client=draft.client_id)
                .order_by("-appointment__starts_at")
                .first()
            )
            self.assertEqual(latest, draft)

    def test_a_few_notes_have_an_addendum_written_after_signing(self) -> None:
        addenda = NoteAddendum.objects.filter(note__client__practice=self.demo).select_related(
            "note"
        )
        self.assertTrue(addenda)
        self.assertLess(len(addenda), ProgressNote.objects.count() // 10)
        for addendum in addenda:
            self.assertEqual(addendum.note.status, NoteStatus.SIGNED)
            assert addendum.note.signed_at is not None
            self.assertGreater(addendum.created_at, addendum.note.signed_at)
            self.assertLessEqual(addendum.created_at, NOW)
            self.assertIn(addendum.text, content.ADDENDA)

    def test_active_clients_have_sessions_booked_including_today_and_tomorrow(self) -> None:
        booked = [
            a
            for a in self.appointments()
            if a.status == AppointmentStatus.SCHEDULED and a.starts_at > NOW
        ]
        self.assertGreater(len(booked), 40)
        days = Counter(a.starts_at.astimezone(LONDON).date() for a in booked)
        self.assertGreaterEqual(days[TODAY], 3)
        self.assertGreaterEqual(days[TODAY + timedelta(days=1)], 3)
        self.assertLessEqual(max(days), TODAY + timedelta(days=28))
        # Every active client has a next appointment.
        active = Episode.objects.filter(client__practice=self.demo, status="active")
        with_next = {a.client_id for a in booked}
        for episode in active:
            self.assertIn(episode.client_id, with_next)
        # Nothing in the past is still "scheduled" (a session running now may be).
        for appointment in self.appointments():
            if appointment.status == AppointmentStatus.SCHEDULED:
                self.assertGreater(appointment.ends_at, NOW)

    def test_sessions_fall_in_london_working_hours_across_summer_time(self) -> None:
        appointments = self.appointments()
        self.assertTrue(any(a.starts_at.astimezone(LONDON).dst() for a in appointments))
        for appointment in appointments:
            start = appointment.starts_at.astimezone(LONDON)
            end = appointment.ends_at.astimezone(LONDON)
            self.assertGreaterEqual(start.time(), time(8, 0))
            self.assertLessEqual(end.time(), time(19, 0))
            self.assertEqual(start.date(), end.date())

    def test_attendance_is_realistic(self) -> None:
        past = [a for a in self.appointments() if a.starts_at < NOW]
        shares = Counter(a.status for a in past)
        total = len(past)
        self.assertGreater(total, 500)
        self.assertAlmostEqual(shares[AppointmentStatus.ATTENDED] / total, 0.85, delta=0.05)
        self.assertAlmostEqual(shares[AppointmentStatus.CANCELLED] / total, 0.08, delta=0.04)
        self.assertAlmostEqual(shares[AppointmentStatus.NO_SHOW] / total, 0.05, delta=0.03)

    def test_cancelled_appointments_say_when_and_by_whom(self) -> None:
        cancelled = [a for a in self.appointments() if a.status == AppointmentStatus.CANCELLED]
        self.assertEqual(
            {a.cancelled_by for a in cancelled},
            {CancelledBy.CLIENT, CancelledBy.THERAPIST, CancelledBy.PRACTICE},
        )
        for appointment in cancelled:
            assert appointment.cancelled_at is not None
            self.assertLess(appointment.cancelled_at, appointment.starts_at)
            self.assertLessEqual(appointment.cancelled_at, NOW)
            self.assertGreaterEqual(appointment.cancelled_at, appointment.created_at)
            self.assertEqual(appointment.cancelled_by_user_id, appointment.therapist_id)
        for appointment in self.appointments():
            if appointment.status != AppointmentStatus.CANCELLED:
                self.assertIsNone(appointment.cancelled_at)
                self.assertEqual(appointment.cancelled_by, "")

    def test_every_appointment_belongs_to_an_episode_of_the_same_client(self) -> None:
        for appointment in Appointment.objects.filter(client__practice=self.demo).select_related(
            "episode", "client"
        ):
            assert appointment.episode is not None
            self.assertEqual(appointment.episode.client_id, appointment.client_id)
            self.assertEqual(appointment.therapist_id, appointment.client.therapist_id)
            self.assertGreaterEqual(
                appointment.starts_at.astimezone(LONDON).date(), appointment.episode.start_date
            )
            if appointment.episode.end_date is not None:
                self.assertLessEqual(
                    appointment.starts_at.astimezone(LONDON).date(), appointment.episode.end_date
                )

    def test_no_client_has_two_open_episodes(self) -> None:
        open_per_client = Counter(
            Episode.objects.filter(
                client__practice=self.demo, status__in=list(OPEN_STATUSES)
            ).values_list("client_id", flat=True)
        )
        self.assertEqual(max(open_per_client.values()), 1)

    def test_episodes_are_mostly_active_with_some_of_every_other_status(self) -> None:
        statuses = Counter(
            Episode.objects.filter(client__practice=self.demo).values_list("status", flat=True)
        )
        self.assertGreater(statuses["active"], 20)
        for status in ("referral", "ending", "ended", "closed"):
            self.assertGreaterEqual(statuses[status], 1, status)
        for episode in Episode.objects.filter(client__practice=self.demo):
            if episode.status in ("ended", "closed"):
                self.assertIsNotNone(episode.end_date)
            else:
                self.assertIsNone(episode.end_date)
            self.assertLessEqual(episode.status_changed_at, NOW)

    def test_one_client_came_back_for_a_new_episode(self) -> None:
        reopened = Episode.objects.filter(client__practice=self.demo, previous__isnull=False)
        self.assertEqual(len(reopened), 1)
        episode = reopened[0]
        assert episode.previous is not None
        self.assertEqual(episode.status, "active")
        self.assertEqual(episode.previous.status, "closed")
        self.assertEqual(episode.previous.client_id, episode.client_id)
        assert episode.previous.end_date is not None
        self.assertLess(episode.previous.end_date, episode.start_date)

    def test_treated_clients_have_three_to_eighteen_months_of_history(self) -> None:
        for episode in Episode.objects.filter(
            client__practice=self.demo, status="active", previous__isnull=True
        ):
            months = (TODAY - episode.start_date).days / 30.4
            self.assertGreaterEqual(months, 2.9)
            self.assertLessEqual(months, 18)
            self.assertGreater(episode.appointments.count(), 4)

    def test_it_leaves_other_practices_alone(self) -> None:
        self.assertEqual(Client.objects.filter(practice=self.riverside).count(), 2)
        self.assertEqual(Client.objects.filter(practice=self.hilltop).count(), 1)
        self.assertEqual(Client.objects.count(), 43)

    def test_it_writes_one_audit_row_with_structural_detail(self) -> None:
        event = AuditEvent.objects.get(action="demo.seed")
        self.assertIsNone(event.actor)
        self.assertEqual(event.object_id, str(self.demo.pk))
        self.assertEqual(event.detail, {"seed": 1, "therapists": 3, "clients": 40})

    def test_running_it_again_changes_nothing(self) -> None:
        before = demo_digest()
        output = seed()
        self.assertIn("already exists; nothing was changed", output)
        self.assertIn("password: continuum-demo", output)
        self.assertEqual(Practice.objects.filter(name=DEMO).count(), 1)
        self.assertEqual(demo_digest(), before)


class SeededRunTests(BaseTestCase):
    def fresh_run_digest(self, *args: str) -> str:
        """Seed inside a savepoint, take the digest, and roll back to a fresh state."""
        with transaction.atomic():
            seed(*args)
            digest = demo_digest()
            transaction.set_rollback(True)
        self.assertFalse(Practice.objects.filter(name=DEMO).exists())
        return digest

    def test_the_same_seed_gives_the_same_data(self) -> None:
        args = ("--therapists", "3", "--clients", "30", "--seed", "7")
        self.assertEqual(self.fresh_run_digest(*args), self.fresh_run_digest(*args))

    def test_another_seed_gives_other_data(self) -> None:
        first = self.fresh_run_digest("--clients", "30", "--seed", "7")
        self.assertNotEqual(first, self.fresh_run_digest("--clients", "30", "--seed", "8"))

    def test_a_larger_practice_spreads_clients_over_every_therapist(self) -> None:
        output = seed("--therapists", "5", "--clients", "70", "--seed", "3")
        demo = Practice.objects.get(name=DEMO)
        per_therapist = Counter(
            Client.objects.filter(practice=demo).values_list("therapist__email", flat=True)
        )
        self.assertEqual(sum(per_therapist.values()), 70)
        self.assertEqual(
            set(per_therapist),
            {*LOGINS, "therapist-004@example.org", "therapist-005@example.org"},
        )
        self.assertIn("Other therapists: therapist-004@example.org to therapist-005", output)
        hashes = set(
            User.objects.filter(membership__practice=demo).values_list("password", flat=True)
        )
        self.assertEqual(len(hashes), 1)  # hashed once, shared

    def test_it_rejects_fewer_than_three_therapists(self) -> None:
        with self.assertRaisesMessage(CommandError, "at least 3"):
            seed("--therapists", "2")
        self.assertFalse(Practice.objects.filter(name=DEMO).exists())

    def test_it_rejects_a_malformed_now(self) -> None:
        with self.assertRaisesMessage(CommandError, "ISO 8601"):
            call_command("seed_demo", "--now", "next tuesday", stdout=StringIO())
        self.assertFalse(Practice.objects.filter(name=DEMO).exists())

    def test_a_now_without_offset_is_london_time(self) -> None:
        self.assertEqual(parse_now("2026-07-01T09:30"), datetime(2026, 7, 1, 8, 30, tzinfo=UTC))
        self.assertEqual(parse_now("2026-01-05"), datetime(2026, 1, 5, tzinfo=UTC))
        self.assertEqual(
            parse_now("2026-07-01T09:30-04:00"), datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
        )


class ResetTests(BaseTestCase):
    def test_reset_rebuilds_an_unused_demo(self) -> None:
        seed("--clients", "12")
        old = Practice.objects.get(name=DEMO)
        output = seed("--clients", "15", "--reset")
        self.assertIn("Deleted the existing demo practice.", output)
        new = Practice.objects.get(name=DEMO)
        self.assertNotEqual(new.pk, old.pk)
        self.assertEqual(Client.objects.filter(practice=new).count(), 15)
        self.assertEqual(User.objects.filter(email__in=LOGINS).count(), 3)
        self.assertEqual(Client.objects.count(), 18)  # 15 + the three persona clients

    def test_reset_is_refused_once_the_demo_has_audit_history(self) -> None:
        seed("--clients", "12")
        demo = Practice.objects.get(name=DEMO)
        therapist = User.objects.get(email="therapist@example.org")
        audit.record(therapist, "client.view", Client.objects.filter(therapist=therapist)[0])
        with self.assertRaisesMessage(CommandError, "use a fresh database"):
            seed("--reset")
        self.assertEqual(Practice.objects.get(name=DEMO), demo)
        self.assertEqual(Client.objects.filter(practice=demo).count(), 12)
