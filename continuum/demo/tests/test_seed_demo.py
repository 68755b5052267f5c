from __future__ import annotations

import hashlib
import html
import itertools
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Membership, Practice, Role, User
from continuum.audit import log as audit
from continuum.audit.models import AuditEvent
from continuum.care.episodes import OPEN_STATUSES
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
from continuum.care.queries import drifting_day_items
from continuum.demo import between_content, content
from continuum.demo.management.commands.seed_demo import parse_now
from continuum.lib.contributions import Rank
from continuum.measures import alerts as alert_rules
from continuum.measures import queries as measures_queries
from continuum.measures import scoring, services
from continuum.measures import services as measures_services
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertResolution,
    AlertStatus,
    Cadence,
    MeasureAssignment,
)
from continuum.plans.catalogue import CATALOGUE, OTHER
from continuum.plans.models import (
    REPORTED,
    Decision,
    Goal,
    GoalStatus,
    Homework,
    HomeworkStatus,
    Intervention,
    InterventionReview,
    InterventionStatus,
    PlanStatus,
    TargetKind,
    TreatmentPlan,
)
from continuum.plans.queries import (
    active_goal_statements,
    overdue_homework,
    plan_reviews_due,
    plan_view,
)
from continuum.portal.models import CheckIn, CheckinCadence, PortalSettings
from continuum.portal.queries import unseen_checkins
from continuum.reflections.access import reflections_to_bring
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import BaseTestCase
from continuum.wellbeing.models import SessionWeight
from continuum.wellbeing.queries import build_load_page

LONDON = ZoneInfo("Europe/London")
# A Wednesday morning; London is on GMT, and the history reaches back over two summers.
NOW = datetime(2026, 3, 4, 10, 20, tzinfo=UTC)
TODAY = NOW.astimezone(LONDON).date()
DEMO = "Riverside Therapy Collective"
LOGINS = ("owner@example.org", "therapist@example.org", "colleague@example.org")
CLIENT_LOGIN = "client@example.org"
DEMO_THERAPIST = "therapist@example.org"


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
    # Scores and alerts (ids and link nonces aside: nonces are secrets, never seeded).
    lines += sorted(
        f"{a.client.last_name}|{a.instrument}|{a.due_at.isoformat()}|{a.status}|{a.total}|"
        # Who entered it by email, not id: PostgreSQL sequences do not rewind on rollback.
        f"{sorted(a.answers.items())}|{a.completed_at}|{a.session_number}|"
        f"{a.entered_by.email if a.entered_by else ''}|{a.link_issued_at}"
        for a in Administration.objects.filter(client__practice=practice).select_related(
            "client", "entered_by"
        )
    )
    lines += sorted(
        f"{a.client.last_name}|{a.kind}|{a.status}|{a.message}|{a.created_at.isoformat()}|"
        f"{a.resolved_at}|{a.action}|{a.action_note}"
        for a in Alert.objects.filter(client__practice=practice).select_related("client")
    )
    return hashlib.sha256("\n".join(lines + between_lines(practice)).encode()).hexdigest()


def between_lines(practice: Practice) -> list[str]:
    """Between-session records (decrypted text; ids, key material and hashes aside)."""
    lines = sorted(
        f"{r.client.last_name}|{r.kind}|{r.text}|{r.created_at}|{r.bring_to_next_session}|"
        f"{r.addressed_at}|{r.addressed_note}|{r.appointment_id is not None}"
        for r in Reflection.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{p.client.last_name}|{p.version}|{p.status}|{p.focus}|{p.review_date}|"
        f"{p.published_at}|{p.superseded_at}|{p.client_acknowledged_at}"
        for p in TreatmentPlan.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{g.plan.client.last_name}|{g.plan.version}|{g.statement}|{g.target_text}|"
        f"{g.target_date}|{g.status}"
        for g in Goal.objects.filter(plan__client__practice=practice).select_related("plan__client")
    )
    lines += sorted(
        f"{i.plan.client.last_name}|{i.plan.version}|{i.name}|{i.rationale}|{i.start_date}|"
        f"{i.status}|{i.adapted_from.name if i.adapted_from else ''}|{i.goals.count()}"
        for i in Intervention.objects.filter(plan__client__practice=practice).select_related(
            "plan__client", "adapted_from"
        )
    )
    lines += sorted(
        f"{r.intervention.plan.client.last_name}|{r.reviewed_on}|{r.decision}|{r.reason}|"
        f"{r.what_happened}|{r.client_response}|{r.result.name if r.result else ''}"
        for r in InterventionReview.objects.filter(
            intervention__plan__client__practice=practice
        ).select_related("intervention__plan__client", "result")
    )
    lines += sorted(
        f"{h.client.last_name}|{h.title}|{h.due_date}|{h.status}|{h.client_note}|"
        f"{h.reported_at}|{h.cancelled_at}|{h.created_at}"
        for h in Homework.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{c.client.last_name}|{c.created_at}|{c.mood}|{c.sleep}|{c.energy}|{c.note}|"
        f"{c.urgent}|{c.homework_status}|{c.seen_at}|{c.idempotency_key}"
        for c in CheckIn.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{s.client.last_name}|{s.client.email}|{s.checkin_cadence}|{s.shared_measures}|"
        f"{s.invited_at}"
        for s in PortalSettings.objects.filter(client__practice=practice).select_related("client")
    )
    lines += sorted(
        f"{u.email}|{u.full_name}|{u.has_usable_password()}|{u.date_joined}"
        for u in User.objects.filter(client_profile__practice=practice)
    )
    return lines


def phq9_series(practice: Practice) -> dict[int, list[float]]:
    """Each client's PHQ-9 totals in their latest treated episode, oldest first."""
    latest: dict[int, int] = {}
    for client_id, episode_id in (
        Episode.objects.filter(client__practice=practice)
        .exclude(status="referral")
        .order_by("start_date")
        .values_list("client_id", "pk")
    ):
        latest[client_id] = episode_id
    series: dict[int, list[float]] = defaultdict(list)
    for episode_id, total in (
        Administration.objects.filter(
            episode_id__in=latest.values(),
            instrument="phq9",
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
        )
        .order_by("due_at")
        .values_list("episode_id", "total")
    ):
        assert total is not None
        series[episode_id].append(total)
    return {client: series[episode] for client, episode in latest.items()}


def classify(totals: list[float]) -> str:
    """improving / late / deteriorating / flat / unclear, from stored PHQ-9 totals alone."""
    if len(totals) < 8:
        return "short"
    baseline, end = totals[0], statistics.median(totals[-3:])
    early = statistics.median(totals[1:6])  # sessions 2 to 6
    if end - baseline >= 6:
        return "deteriorating"
    if baseline - end >= 5:
        return "late" if baseline - early < 2.5 else "improving"
    if abs(end - baseline) <= 3:
        return "flat"
    return "unclear"


# Answers given after therapy ended (consented follow-up, completed in the portal by the
# follow-up app's own rules) rather than during treatment.
FOLLOW_UP_ANSWERS = Q(episode__status="follow_up", completed_at__date__gt=F("episode__end_date"))


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
            "password: continuum-demo; client portal: client@example.org (same password)",
            next(line for line in self.output.splitlines() if line.startswith("Logins:")),
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

    def test_the_staff_logins_have_the_printed_demo_second_factor(self) -> None:
        from allauth.mfa.models import Authenticator

        from continuum.accounts.mfa import DEMO_TOTP_SECRET, needs_second_factor, unseal

        for email in LOGINS:
            user = User.objects.get(email=email)
            self.assertFalse(needs_second_factor(user), email)
            totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
            # Stored encrypted, like any member's (the demo secret is printed, not stored).
            self.assertNotIn(DEMO_TOTP_SECRET, str(totp.data))
            self.assertTrue(totp.data["secret"].startswith("gAAAAA"))
            self.assertEqual(unseal(totp.data["secret"]), DEMO_TOTP_SECRET)

    def test_the_owner_also_treats_clients(self) -> None:
        memberships = {m.user.email: m for m in Membership.objects.filter(practice=self.demo)}
        self.assertEqual(set(memberships), set(LOGINS))
        self.assertEqual(memberships["owner@example.org"].role, Role.OWNER)
        self.assertEqual(memberships["therapist@example.org"].role, Role.THERAPIST)
        self.assertEqual(memberships["colleague@example.org"].role, Role.THERAPIST)
        self.assertTrue(all(m.is_clinical and m.is_active for m in memberships.values()))

    def in_care(self) -> set[int]:
        """The 40 clients in care. The builder writes clients in number order, and the
        discharged caseload (seed_demo --discharged, default 100) comes after them."""
        pks = Client.objects.filter(practice=self.demo).order_by("pk").values_list("pk", flat=True)
        return set(pks[:40])

    def test_it_spreads_forty_clients_over_the_three_therapists(self) -> None:
        clients = Client.objects.filter(practice=self.demo)
        per_therapist = Counter(
            clients.filter(pk__in=self.in_care()).values_list("therapist__email", flat=True)
        )
        self.assertEqual(
            per_therapist,
            {"therapist@example.org": 18, "colleague@example.org": 12, "owner@example.org": 10},
        )
        # The discharged caseload is spread the same way.
        discharged = Counter(
            clients.exclude(pk__in=self.in_care()).values_list("therapist__email", flat=True)
        )
        self.assertEqual(
            discharged,
            {"therapist@example.org": 45, "colleague@example.org": 30, "owner@example.org": 25},
        )
        names = clients.values_list("first_name", "last_name")
        self.assertEqual(len(set(names)), 140)
        self.assertIn("40 clients in care and 100 discharged", self.output)

    def test_clients_are_fictional_and_reachable_only_at_reserved_addresses(self) -> None:
        for client in Client.objects.filter(practice=self.demo):
            if client.email and client.email != CLIENT_LOGIN:  # the fixed portal login
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
        # Regular bookings reach four weeks ahead; only a planned ending's tapering goes beyond.
        from continuum.endings.models import TerminationPlan

        tapering = {
            pk
            for plan in TerminationPlan.objects.filter(client__practice=self.demo)
            for pk in plan.appointments.values_list("pk", flat=True)
        }
        self.assertTrue(tapering)
        regular = [a for a in booked if a.pk not in tapering]
        self.assertLessEqual(
            max(a.starts_at.astimezone(LONDON).date() for a in regular), TODAY + timedelta(days=28)
        )
        # Every active client has a next appointment, except the two or three who drift.
        active = Episode.objects.filter(client__practice=self.demo, status="active")
        with_next = {a.client_id for a in booked}
        unbooked = {e.client_id for e in active if e.client_id not in with_next}
        self.assertEqual(unbooked, self.drifting_clients())
        self.assertIn(len(unbooked), (2, 3))
        # Nothing in the past is still "scheduled" (a session running now may be).
        for appointment in self.appointments():
            if appointment.status == AppointmentStatus.SCHEDULED:
                self.assertGreater(appointment.ends_at, NOW)

    def test_ending_well_and_after(self) -> None:
        from continuum.boundaries.models import ContactPolicy
        from continuum.endings.models import RelapsePreventionPlan, TerminationPlan
        from continuum.followup.models import BoosterRequest, FollowUpConsent

        plan = TerminationPlan.objects.get(client__practice=self.demo)
        self.assertEqual(plan.episode.status, "ending")
        self.assertEqual(plan.appointments.count(), 3)
        self.assertTrue(RelapsePreventionPlan.objects.filter(client=plan.client).exists())
        self.assertEqual(FollowUpConsent.objects.filter(client__practice=self.demo).count(), 2)
        self.assertEqual(BoosterRequest.objects.filter(client__practice=self.demo).count(), 1)
        hours = {
            (p.working_hours_start, p.working_hours_end)
            for p in ContactPolicy.objects.filter(therapist__membership__practice=self.demo)
        }
        self.assertGreaterEqual(len(hours), 3)  # the therapists keep different hours
        self.assertTrue(Episode.objects.filter(client__practice=self.demo, previous__isnull=False))

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
            if episode.status in ("ended", "follow_up", "closed"):
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

    def test_the_discharged_caseload_ended_over_the_last_eighteen_months(self) -> None:
        episodes = Episode.objects.filter(client__practice=self.demo).exclude(
            client__in=self.in_care()
        )
        self.assertEqual(len(episodes), 100)
        for episode in episodes:
            self.assertEqual(episode.status, "closed")
            assert episode.end_date is not None
            self.assertGreaterEqual(episode.end_date, TODAY - timedelta(days=560))
            self.assertLessEqual(episode.end_date, TODAY - timedelta(days=30))
            self.assertLessEqual(episode.status_changed_at, NOW)
        # Nothing of theirs is waiting for anyone: no open alert, nothing booked.
        self.assertFalse(
            Alert.objects.filter(client__in=episodes.values("client"), status="open").exists()
        )
        self.assertFalse(
            Appointment.objects.filter(
                client__in=episodes.values("client"), status=AppointmentStatus.SCHEDULED
            ).exists()
        )

    def test_the_outcomes_page_has_plausible_rates_for_every_therapist(self) -> None:
        """Roughly the NHS Talking Therapies national figures, not better: about half of those
        at caseness recover, about two thirds improve reliably, a few per cent deteriorate."""
        from continuum.outcomes.queries import practice_outcomes

        outcomes = practice_outcomes(self.demo, by="therapist").practice
        overall = outcomes.overall
        self.assertGreaterEqual(overall.finished, 90)
        rates = {name: rate.value for name, rate in overall.rates.items()}
        self.assertTrue(0.9 <= (rates["completeness"] or 0) < 1, rates)  # some unpaired
        self.assertTrue(0.4 <= (rates["recovery_rate"] or 0) <= 0.6, rates)
        self.assertTrue(0.55 <= (rates["reliable_improvement_rate"] or 0) <= 0.75, rates)
        self.assertTrue(0.01 <= (rates["reliable_deterioration_rate"] or 0) <= 0.08, rates)
        self.assertEqual(len(outcomes.groups), 3)
        for group in outcomes.groups:
            self.assertFalse(group.suppressed, group.name)
            self.assertGreaterEqual(group.finished, 20, group.name)
        # The trend has several quarters to show, and CORE-10 has a few finished episodes.
        quarters = practice_outcomes(self.demo, by="quarter").practice.groups
        self.assertGreaterEqual(len([q for q in quarters if not q.suppressed]), 5)
        self.assertGreaterEqual(
            practice_outcomes(self.demo, instrument="core10").practice.overall.paired, 5
        )

    def test_it_leaves_other_practices_alone(self) -> None:
        self.assertEqual(Client.objects.filter(practice=self.riverside).count(), 2)
        self.assertEqual(Client.objects.filter(practice=self.hilltop).count(), 1)
        self.assertEqual(Client.objects.count(), 143)  # 40 in care, 100 discharged, 3 others

    def test_it_writes_one_audit_row_with_structural_detail(self) -> None:
        event = AuditEvent.objects.get(action="demo.seed")
        self.assertIsNone(event.actor)
        self.assertEqual(event.object_id, str(self.demo.pk))
        self.assertEqual(
            event.detail, {"seed": 1, "therapists": 3, "clients": 40, "discharged": 100}
        )

    # --- Score histories ------------------------------------------------------------------

    def treated_clients(self) -> set[int]:
        """The clients in care past referral (the discharged caseload has its own tests)."""
        return set(
            Episode.objects.filter(client__practice=self.demo, client__in=self.in_care())
            .exclude(status="referral")
            .values_list("client_id", flat=True)
        )

    def completed(self) -> list[Administration]:
        return list(
            Administration.objects.filter(
                client__practice=self.demo, status=AdministrationStatus.COMPLETED
            ).order_by("due_at")
        )

    def test_it_reports_questionnaires_and_alerts(self) -> None:
        self.assertRegex(self.output, r"measures assigned; [\d,]+ questionnaires: [\d,]+ complet")
        self.assertRegex(self.output, r"[\d,]+ alerts: \d+ safety \(\d+ still open\)")

    def test_treated_clients_have_phq9_and_gad7_assigned_at_intake(self) -> None:
        treated = self.treated_clients()
        self.assertGreater(len(treated), 30)
        assignments = MeasureAssignment.objects.filter(
            episode__client__practice=self.demo
        ).select_related("episode")
        per_client: dict[int, set[str]] = defaultdict(set)
        for assignment in assignments:
            per_client[assignment.episode.client_id].add(assignment.instrument)
            self.assertIn(
                assignment.cadence, (Cadence.EVERY_SESSION, Cadence.FORTNIGHTLY, Cadence.MONTHLY)
            )
            assert assignment.ends_on is not None
            self.assertLessEqual(
                (assignment.ends_on - assignment.starts_on).days, services.MAX_SCHEDULE_DAYS
            )
            self.assertLessEqual(assignment.created_at, NOW)
            self.assertEqual(assignment.active, assignment.stopped_at is None)
        discharged = set(
            Client.objects.filter(practice=self.demo)
            .exclude(pk__in=self.in_care())
            .values_list("pk", flat=True)
        )
        self.assertEqual(set(per_client), treated | discharged)  # referrals have none yet
        for client_id in treated:
            self.assertLessEqual({"phq9", "gad7"}, per_client[client_id])
        # Assigned before the first session, which the first questionnaire belongs to.
        for episode in Episode.objects.filter(client__practice=self.demo).exclude(
            status="referral"
        ):
            first = episode.appointments.order_by("starts_at").first()
            assert first is not None
            intake = episode.measure_assignments.filter(instrument="phq9").order_by("created_at")
            self.assertLess(intake[0].created_at, first.starts_at)
            self.assertEqual(intake[0].starts_on, first.starts_at.astimezone(LONDON).date())
        # Some clients also rate their well-being, a few fill in CORE-10, about half give
        # session feedback.
        instruments = Counter(i for names in per_client.values() for i in names)
        self.assertGreaterEqual(instruments["who5"], 4)
        self.assertGreaterEqual(instruments["core10"], 1)
        self.assertGreater(instruments["session_feedback"], len(treated) * 0.3)

    def test_most_clients_have_a_score_history(self) -> None:
        in_care = self.in_care()
        series = {c: t for c, t in phq9_series(self.demo).items() if c in in_care}
        with_history = [c for c, totals in series.items() if len(totals) >= 5]
        self.assertGreater(len(with_history), 0.85 * len(self.treated_clients()))
        # Most attended sessions of an every-session schedule have their questionnaire.
        admins = Administration.objects.filter(
            client__practice=self.demo,
            instrument="phq9",
            appointment__status=AppointmentStatus.ATTENDED,
        )
        done = admins.filter(status=AdministrationStatus.COMPLETED).count()
        self.assertAlmostEqual(done / admins.count(), 0.93, delta=0.04)

    def test_the_mix_has_improving_flat_deteriorating_and_late_responding_clients(self) -> None:
        in_care = self.in_care()
        kinds = Counter(
            classify(totals) for c, totals in phq9_series(self.demo).items() if c in in_care
        )
        for kind in ("improving", "flat", "deteriorating", "late"):
            self.assertGreaterEqual(kinds[kind], 1, kinds)
        self.assertGreater(kinds["improving"] + kinds["late"], sum(kinds.values()) / 2, kinds)
        self.assertLess(kinds["deteriorating"], kinds["flat"], kinds)

    def test_every_stored_score_is_what_the_engine_makes_of_the_answers(self) -> None:
        completed = self.completed()
        self.assertGreater(len(completed), 1500)
        self.assertEqual(
            {a.instrument for a in completed},
            {"phq9", "gad7", "who5", "core10", "session_feedback", "goal_rating"},
        )
        prorated = 0
        for admin in completed:
            # The goal rating's items are the goals it asked about.
            inst = services.administration_instrument(admin)
            self.assertEqual(list(admin.answers), [i.key for i in inst.items])
            result = scoring.score(admin.instrument, admin.answers)
            self.assertIsNotNone(result.total)
            self.assertEqual(admin.total, result.total)
            self.assertEqual(admin.band, result.band or "")
            self.assertEqual(admin.caseness, result.caseness)
            self.assertEqual(admin.safety, result.safety)
            self.assertEqual(admin.prorated, result.prorated)
            self.assertEqual(admin.reason, "")
            self.assertEqual(admin.instrument_version, inst.version)
            prorated += admin.prorated
            if admin.instrument == "phq9" and not admin.prorated:
                answered = [admin.answers[str(k)] for k in range(1, 10)]
                self.assertEqual(sum(answered), admin.total)
                self.assertTrue(all(0 <= v <= 3 for v in answered))
        self.assertGreater(prorated, 0)  # a few answers left an item blank
        self.assertLess(prorated, len(completed) / 20)

    def test_answers_are_dated_and_attributed_like_live_completions(self) -> None:
        therapist_of = dict(
            Client.objects.filter(practice=self.demo).values_list("pk", "therapist_id")
        )
        attended: dict[int, list[datetime]] = defaultdict(list)
        for episode_id, starts in Appointment.objects.filter(
            client__practice=self.demo, status=AppointmentStatus.ATTENDED
        ).values_list("episode_id", "starts_at"):
            attended[episode_id].append(starts)
        by_link = in_session = 0
        # Follow-up answers (after therapy) are completed in the portal, not by link.
        for admin in (
            Administration.objects.filter(
                client__practice=self.demo, status=AdministrationStatus.COMPLETED
            )
            .exclude(FOLLOW_UP_ANSWERS)
            .select_related("appointment")
        ):
            assert admin.completed_at is not None
            self.assertLessEqual(admin.completed_at, NOW)
            self.assertLessEqual(admin.completed_at, admin.window_ends_at)
            sessions = sum(1 for s in attended[admin.episode_id] if s <= admin.completed_at)
            self.assertEqual(admin.session_number, sessions)
            if admin.entered_by_id is None:
                by_link += 1
                self.assertEqual(admin.token_used_at, admin.completed_at)
                self.assertTrue(admin.token_nonce)
                assert admin.link_issued_at is not None
                self.assertLessEqual(admin.link_issued_at, admin.completed_at)
                self.assertEqual(admin.link_issued_at.microsecond, 0)
                answered = admin.completed_at.astimezone(LONDON)
                self.assertTrue(7 <= answered.hour < 23, answered)  # not in the night
            else:
                in_session += 1
                self.assertEqual(admin.entered_by_id, therapist_of[admin.client_id])
                self.assertIsNone(admin.token_used_at)
            if admin.appointment is not None and admin.instrument == "phq9":
                if admin.entered_by_id is None:  # answered by link a little before the session
                    ahead = admin.appointment.starts_at - admin.completed_at
                    self.assertGreater(ahead, timedelta(0))
                    self.assertLessEqual(ahead, timedelta(hours=24))
                else:
                    self.assertGreater(admin.completed_at, admin.appointment.starts_at)
        self.assertGreater(in_session, 50)
        self.assertGreater(by_link, 4 * in_session)

    def test_only_a_handful_ever_answer_item_9_above_zero(self) -> None:
        phq9 = [a for a in self.completed() if a.instrument == "phq9"]
        flagged = [a for a in phq9 if a.answers["9"]]
        self.assertTrue(all(a.safety for a in flagged))
        self.assertFalse(any(a.safety for a in phq9 if not a.answers["9"]))
        self.assertEqual(len({a.client_id for a in flagged}), 3)
        self.assertLess(len(flagged), 8)

    def test_safety_answers_raised_alerts_one_still_open_the_others_acted_on(self) -> None:
        alerts = list(
            Alert.objects.filter(client__practice=self.demo, kind=AlertKind.SAFETY)
            .select_related("administration", "client")
            .order_by("created_at")
        )
        flagged = Administration.objects.filter(client__practice=self.demo, safety=True)
        self.assertEqual(
            sorted(a.administration_id for a in alerts if a.administration_id),
            sorted(flagged.values_list("pk", flat=True)),
        )
        self.assertIn(AlertStatus.OPEN, {a.status for a in alerts})
        for alert in alerts:
            assert alert.administration is not None
            self.assertEqual(alert.severity, "high")
            self.assertEqual(alert.created_at, alert.administration.completed_at)
            self.assertEqual(alert.episode_id, alert.administration.episode_id)
            self.assertIn("PHQ-9: safety item 9 was answered", alert.message)
            if alert.status == AlertStatus.RESOLVED:
                self.assertTrue(alert.action)
                self.assertEqual(alert.resolved_by_id, alert.client.therapist_id)
                assert alert.resolved_at is not None
                assert alert.acknowledged_at is not None
                self.assertLessEqual(alert.acknowledged_at, alert.resolved_at)
                self.assertLessEqual(alert.resolved_at, NOW)
                self.assertGreaterEqual(alert.resolved_at, alert.created_at)
        # The open one is the client's latest PHQ-9.
        open_alert = next(a for a in alerts if a.status == AlertStatus.OPEN)
        latest = (
            Administration.objects.filter(
                client=open_alert.client_id,
                instrument="phq9",
                status=AdministrationStatus.COMPLETED,
            )
            .order_by("-completed_at")
            .first()
        )
        self.assertEqual(open_alert.administration, latest)

    def test_alerts_have_one_cause_each_in_the_live_format(self) -> None:
        alerts = list(Alert.objects.filter(client__practice=self.demo).select_related("client"))
        kinds = Counter(a.kind for a in alerts)
        self.assertGreaterEqual(kinds[AlertKind.DETERIORATION], 3)
        self.assertGreaterEqual(kinds[AlertKind.NOT_ON_TRACK], 3)
        self.assertEqual(kinds[AlertKind.OVERDUE], 2)
        keys = Counter((a.client_id, a.kind, a.cause) for a in alerts)
        self.assertEqual(max(keys.values()), 1)
        for alert in alerts:
            if alert.kind == AlertKind.OVERDUE:
                self.assertEqual(alert.cause, f"overdue:{alert.administration_id}")
            elif alert.cause.startswith("followup:"):
                # A follow-up answer's alert (followup/services.py): followup:<check-in>:<code>.
                self.assertRegex(alert.cause, r"^followup:\d+:\w+$")
                continue
            else:
                match = re.fullmatch(r"(\w+):(\w+):(\d+)", alert.cause)
                assert match is not None, alert.cause
                self.assertEqual(match[1], alert.kind)
                self.assertEqual(int(match[3]), alert.administration_id)
            self.assertLessEqual(alert.created_at, NOW)
            self.assertEqual(
                alert.severity_rank, {"high": 0, "medium": 1, "low": 2}[alert.severity]
            )
            if alert.resolution == AlertResolution.NO_LONGER_CURRENT:
                # Closed by a newer score before or after the therapist saw it.
                self.assertIn(alert.acknowledged_by_id, (None, alert.client.therapist_id))
                self.assertIsNone(alert.resolved_by_id)
            elif alert.status != AlertStatus.OPEN:
                self.assertEqual(alert.acknowledged_by_id, alert.client.therapist_id)
            if alert.kind != AlertKind.SAFETY:
                self.assertEqual((alert.action, alert.action_note), ("", ""))
        # Deterioration alerts come from deteriorating clients' scores.
        series = phq9_series(self.demo)
        phq9_deteriorated = {
            a.client_id
            for a in alerts
            if a.kind == AlertKind.DETERIORATION and a.cause.startswith("deterioration:phq9:")
        }
        self.assertTrue(phq9_deteriorated)
        self.assertTrue(any(classify(series[c]) == "deteriorating" for c in phq9_deteriorated))

    def test_replaying_the_live_alert_rules_raises_exactly_the_stored_alerts(self) -> None:
        """alerts.evaluate over every completion in order, with each alert resolved when the
        stored one was, raises the same alerts with the same causes and messages."""
        stored = {
            (a.client_id, a.kind, a.cause): a
            for a in Alert.objects.filter(client__practice=self.demo)
            .exclude(kind=AlertKind.OVERDUE)
            .exclude(cause__startswith="followup:")
        }
        clients = {key[0] for key in stored}
        clients |= set(sorted(self.treated_clients() - clients)[:3])  # and a few without
        admins = list(
            Administration.objects.filter(client__in=clients, status=AdministrationStatus.COMPLETED)
            .exclude(FOLLOW_UP_ANSWERS)
            .select_related("client")
            .order_by("completed_at", "pk")
        )
        with transaction.atomic():
            Alert.objects.filter(client__in=clients).exclude(cause__startswith="followup:").delete()
            replayed: dict[tuple[int, str, str], Alert] = {}
            for admin in admins:
                assert admin.completed_at is not None
                for key, alert in replayed.items():
                    resolved_at = stored[key].resolved_at
                    if alert.status != AlertStatus.RESOLVED and (
                        resolved_at is not None and resolved_at <= admin.completed_at
                    ):
                        alert.status, alert.action = AlertStatus.RESOLVED, stored[key].action
                        alert.save(update_fields=["status", "action"])
                for alert in alert_rules.evaluate(admin):
                    key = (alert.client_id, alert.kind, alert.cause)
                    self.assertIn(key, stored, alert.message)
                    replayed[key] = alert
            transaction.set_rollback(True)
        wanted = {k for k in stored if k[0] in clients}
        self.assertEqual(set(replayed), wanted)
        for key, alert in replayed.items():
            self.assertEqual(alert.message, stored[key].message)
            self.assertEqual(alert.administration_id, stored[key].administration_id)
            self.assertEqual(alert.severity, stored[key].severity)

    def test_no_alert_is_older_than_its_evidence(self) -> None:
        """Every active deterioration or not-on-track alert is still met by its client's
        latest score of the measure: the live closing rule finds nothing to close, and the
        ones a newer score closed name it."""
        closed = Alert.objects.filter(
            client__practice=self.demo, resolution=AlertResolution.NO_LONGER_CURRENT
        ).select_related("closed_by_administration", "administration")
        self.assertTrue(closed.exists())
        for alert in closed:
            closing, raised_by = alert.closed_by_administration, alert.administration
            assert closing is not None
            assert raised_by is not None
            self.assertEqual(closing.instrument, raised_by.instrument)
            self.assertEqual(alert.resolved_at, closing.completed_at)
            assert closing.completed_at is not None
            assert raised_by.completed_at is not None
            self.assertGreater(closing.completed_at, raised_by.completed_at)
        with transaction.atomic():
            self.assertEqual(measures_services.close_outdated_alerts(NOW), 0)
            transaction.set_rollback(True)

    def test_one_client_left_item_9_blank_and_it_is_on_their_therapists_day(self) -> None:
        blank = Administration.objects.filter(
            client__practice=self.demo, instrument="phq9", safety_unanswered=True
        )
        self.assertEqual(blank.count(), 1)
        admin = blank.select_related("client__therapist").get()
        self.assertIsNone(admin.answers["9"])
        items = measures_queries.safety_prompt_day_items(admin.client.therapist, NOW)
        self.assertEqual([(i.ref, i.rank) for i in items], [(admin.pk, Rank.SAFETY_UNANSWERED)])

    def test_a_couple_of_questionnaires_are_overdue_with_their_alert_raised(self) -> None:
        overdue = Administration.objects.filter(
            client__practice=self.demo,
            status=AdministrationStatus.PENDING,
            window_ends_at__lt=NOW,
        )
        self.assertEqual(overdue.count(), 2)
        for admin in overdue:
            alert = Alert.objects.get(administration=admin)
            self.assertEqual((alert.kind, alert.status), (AlertKind.OVERDUE, AlertStatus.OPEN))
            self.assertRegex(alert.message, r"^WHO-5 due \d+ \w{3} \d{4} was not completed")
        # The live overdue check finds nothing more to raise.
        self.assertEqual(measures_services.raise_overdue_alerts(NOW), [])

    def test_upcoming_sessions_have_a_pending_questionnaire_with_a_working_link(self) -> None:
        pending = list(
            Administration.objects.filter(
                client__practice=self.demo, status=AdministrationStatus.PENDING
            ).select_related("appointment")
        )
        with_session = {
            a.client_id
            for a in pending
            if a.instrument == "phq9" and a.appointment and a.appointment.starts_at > NOW
        }
        active = Episode.objects.filter(client__practice=self.demo, status="active")
        self.assertGreater(len(with_session), active.count() * 0.6)
        linked = [a for a in pending if a.token_nonce]
        self.assertGreater(len(linked), 20)
        with time_machine.travel(NOW, tick=False):
            for admin in linked:
                path = services.link_path(admin)
                if admin.window_ends_at < NOW and path is None:
                    continue  # an overdue one's link may have run out
                assert path is not None
                token = path.rstrip("/").rsplit("/", 1)[-1]
                self.assertEqual(services.administration_for_token(token), admin)
        # Nothing answered is pending, nothing pending has answers.
        for admin in pending:
            self.assertEqual((admin.answers, admin.total, admin.completed_at), ({}, None, None))

    def test_session_feedback_is_mostly_high_with_a_few_dips(self) -> None:
        totals = [a.total for a in self.completed() if a.instrument == "session_feedback"]
        assert all(t is not None for t in totals)
        high = [t for t in totals if t is not None and t >= 8]
        dips = [t for t in totals if t is not None and t < 7]
        self.assertGreater(len(high), 0.75 * len(totals))
        self.assertGreater(len(dips), 0)
        self.assertLess(len(dips), 0.15 * len(totals))

    # --- Between sessions (issue 4) and the therapist's load (issue 6) ----------------------

    def staff(self, email: str = DEMO_THERAPIST) -> User:
        return User.objects.get(email=email)

    def drifting_clients(self) -> set[int]:
        """The clients the live day view calls drifting, over all three therapists."""
        with timezone.override(LONDON):
            return {
                entry.client_id
                for email in LOGINS
                for entry in drifting_day_items(self.staff(email), NOW)
                if entry.client_id is not None
            }

    def raw_column(self, model: type[Any], column: str) -> list[str]:
        """A text column as stored, bypassing the field (what a stolen database shows)."""
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table}")  # noqa: S608
            return [row[0] for row in cursor.fetchall()]

    def portal_clients(self) -> list[Client]:
        return list(
            Client.objects.filter(practice=self.demo, user__isnull=False).select_related("user")
        )

    def test_it_reports_the_between_session_records(self) -> None:
        self.assertRegex(self.output, r"[\d,]+ treatment plan versions \([\d,]+ superseded")
        self.assertRegex(self.output, r"[\d,]+ homework tasks: [\d,]+ done")
        self.assertRegex(self.output, r"[\d,]+ private reflections \([\d,]+ to bring")
        self.assertRegex(self.output, r"[\d,]+ portal logins .* [\d,]+ check-ins \(\d+ urgent")
        self.assertRegex(self.output, r"\b[23] clients drifting")

    def test_reflections_of_every_kind_are_encrypted_at_rest(self) -> None:
        reflections = list(
            Reflection.objects.filter(client__practice=self.demo).select_related(
                "client", "appointment", "addressed_in"
            )
        )
        self.assertEqual({r.kind for r in reflections}, set(ReflectionKind.values))
        stored = set(self.raw_column(Reflection, "text"))
        notes = set(self.raw_column(Reflection, "addressed_note")) - {""}
        self.assertEqual(len(stored), len(reflections))
        plaintexts = {r.text for r in reflections} | {r.addressed_note for r in reflections}
        self.assertFalse(plaintexts & (stored | notes))
        for raw in stored | notes:
            self.assertTrue(raw.startswith("gAAAAA"), raw[:10])  # a Fernet token
            self.assertFalse(any(len(p) > 20 and p[:20] in raw for p in plaintexts))
        for r in reflections:
            self.assertEqual(r.author_id, r.client.therapist_id)
            self.assertNotIn(r.client.last_name, r.text)
            self.assertLessEqual(r.created_at, NOW)
            if r.appointment is not None:
                self.assertEqual(r.appointment.client_id, r.client_id)
                self.assertLess(r.appointment.starts_at, r.created_at)
            if r.addressed_in is not None:
                assert r.addressed_at is not None
                self.assertTrue(r.bring_to_next_session)
                self.assertEqual(r.addressed_in.client_id, r.client_id)
                self.assertEqual(r.addressed_in.status, AppointmentStatus.ATTENDED)
                self.assertGreater(r.addressed_in.starts_at, r.created_at)
                self.assertLessEqual(r.addressed_at, NOW)
        addressed = [r for r in reflections if r.is_addressed]
        self.assertGreater(len(addressed), 10)
        self.assertTrue(any(r.addressed_note for r in addressed))
        # Open "bring to the next session" items: only for clients with a session booked.
        booked = set(
            Appointment.objects.filter(
                client__practice=self.demo, status=AppointmentStatus.SCHEDULED, starts_at__gt=NOW
            ).values_list("client_id", flat=True)
        )
        to_bring = [r for r in reflections if r.is_to_bring]
        self.assertGreater(len(to_bring), 5)
        self.assertLessEqual({r.client_id for r in to_bring}, booked)
        self.assertGreater(len(reflections) - len(addressed) - len(to_bring), 10)

    def test_the_demo_client_has_a_reflection_to_bring_to_their_next_session(self) -> None:
        client = Client.objects.get(user__email=CLIENT_LOGIN)
        therapist = self.staff()
        self.assertTrue(reflections_to_bring(therapist, client).exists())
        self.assertFalse(reflections_to_bring(self.staff("colleague@example.org"), client))

    def test_treatment_plans_are_versioned_with_goals_and_catalogue_interventions(self) -> None:
        plans = list(
            TreatmentPlan.objects.filter(client__practice=self.demo).select_related("episode")
        )
        by_episode: dict[int, list[TreatmentPlan]] = defaultdict(list)
        for plan in sorted(plans, key=lambda p: p.version):
            by_episode[plan.episode_id].append(plan)
        statuses = {p.episode.status for p in plans}
        self.assertEqual(statuses, {"active", "ending", "ended", "follow_up"})
        # Every open or ended course of therapy has one, none of the referrals or closed.
        planned = Episode.objects.filter(
            client__practice=self.demo, status__in=("active", "ending", "ended", "follow_up")
        ).exclude(client__in=self.drifting_clients())
        self.assertEqual(set(planned.values_list("pk", flat=True)) - set(by_episode), set())
        versioned = 0
        for versions in by_episode.values():
            self.assertEqual([p.version for p in versions], list(range(1, len(versions) + 1)))
            self.assertEqual([p.status for p in versions][-1], PlanStatus.CURRENT)
            for older, newer in itertools.pairwise(versions):
                self.assertEqual(older.status, PlanStatus.SUPERSEDED)
                self.assertEqual(newer.previous_id, older.pk)
                self.assertEqual(older.superseded_at, newer.published_at)
            versioned += len(versions) > 1
            for plan in versions:
                assert plan.published_at is not None
                self.assertLessEqual(plan.created_at, plan.published_at)
                self.assertLessEqual(plan.published_at, NOW)
                self.assertTrue(plan.focus)
        self.assertGreater(versioned, 5)
        self.assertLess(versioned, len(by_episode))  # some courses are still on version 1
        current = [p for p in plans if p.status == PlanStatus.CURRENT]
        for plan in current:
            goals = list(plan.goals.all())
            self.assertTrue(2 <= len(goals) <= 4, len(goals))
            self.assertTrue(any(g.target_kind == TargetKind.INSTRUMENT for g in goals))
            self.assertTrue(any(g.target_kind == TargetKind.RATING for g in goals))
            for goal in goals:
                self.assertIn(
                    goal.target_text,
                    {
                        "PHQ-9 below 10",
                        "GAD-7 below 8",
                        "a goal rating of 7 or more (out of 10)",
                    },
                )
                self.assertNotIn(plan.client.last_name, goal.statement)
            interventions = list(plan.interventions.all())
            self.assertGreaterEqual(len(interventions), 2)
            for intervention in interventions:
                if intervention.technique == OTHER:
                    self.assertTrue(intervention.custom_technique)
                else:
                    self.assertIn(intervention.technique, CATALOGUE)
                self.assertTrue(intervention.rationale)
                self.assertTrue(intervention.goals.exists())
        # Ended courses: goals met by the last score are achieved, and no review is due.
        ended = [p for p in current if p.episode.status == "ended"]
        self.assertTrue(ended)
        self.assertTrue(all(p.review_date is None for p in ended))
        self.assertTrue(Goal.objects.filter(plan__in=ended, status=GoalStatus.ACHIEVED).exists())
        # Relapse prevention joined the plan of some planned endings.
        self.assertTrue(
            Intervention.objects.filter(plan__in=current, technique="relapse_prevention").exists()
        )

    def test_interventions_evolve_through_reviews(self) -> None:
        reviews = list(
            InterventionReview.objects.filter(
                intervention__plan__client__practice=self.demo
            ).select_related("intervention__plan", "result")
        )
        self.assertEqual({r.decision for r in reviews}, set(Decision.values))
        for review in reviews:
            intervention, plan = review.intervention, review.intervention.plan
            assert plan.published_at is not None
            self.assertGreaterEqual(review.reviewed_on, intervention.start_date)
            self.assertLessEqual(review.created_at, NOW)
            # Reviewed while its plan version was the current one.
            self.assertGreaterEqual(review.created_at, plan.published_at)
            if plan.superseded_at is not None:
                self.assertLessEqual(review.created_at, plan.superseded_at)
            if review.decision == Decision.ADAPT:
                assert review.result is not None
                self.assertEqual(review.result.adapted_from_id, intervention.pk)
                self.assertEqual(review.result.start_date, review.reviewed_on)
                self.assertEqual(intervention.status, InterventionStatus.ADAPTED)
            else:
                self.assertIsNone(review.result)
            if review.decision == Decision.STOP:
                self.assertEqual(intervention.status, InterventionStatus.STOPPED)
        # The plan pages show how the approach evolved: chains of two and of three versions,
        # some across plan versions.
        longest: Counter[int] = Counter()
        for plan in TreatmentPlan.objects.filter(
            client__practice=self.demo, status=PlanStatus.CURRENT
        ).select_related("episode", "client"):
            for chain in plan_view(plan, today=TODAY).chains:
                longest[len(chain.steps)] += 1
                for step in chain.steps[1:]:
                    assert step.caused_by is not None
                    self.assertEqual(step.caused_by.decision, Decision.ADAPT)
        self.assertGreater(longest[2], 3, longest)
        self.assertGreaterEqual(longest[3], 1, longest)
        self.assertEqual(max(longest), 3)

    def test_a_couple_of_plan_reviews_are_due(self) -> None:
        due = {email: plan_reviews_due(self.staff(email), TODAY) for email in LOGINS}
        self.assertTrue(due[DEMO_THERAPIST])
        total = sum(len(plans) for plans in due.values())
        self.assertTrue(2 <= total <= 8, total)
        for plans in due.values():
            for plan in plans:
                self.assertIn(plan.episode.status, ("active", "ending"))

    def test_goal_ratings_ask_about_the_plans_goals_and_rise(self) -> None:
        plans = list(
            TreatmentPlan.objects.filter(client__practice=self.demo)
            .select_related("episode")
            .prefetch_related("goals")
            .order_by("version")
        )
        versions: dict[int, list[TreatmentPlan]] = defaultdict(list)
        for plan in plans:
            versions[plan.episode_id].append(plan)
        assignments = list(
            MeasureAssignment.objects.filter(
                episode__client__practice=self.demo, instrument="goal_rating"
            ).order_by("created_at", "pk")
        )
        self.assertTrue(assignments)
        by_episode: dict[int, list[MeasureAssignment]] = defaultdict(list)
        for assignment in assignments:
            by_episode[assignment.episode_id].append(assignment)
            self.assertEqual(assignment.cadence, Cadence.MONTHLY)
            # Assigned once a plan version was published, about that version's goals: all its
            # 0-10 goals, and only its goals (one whose score target was met is dropped).
            published = [
                p
                for p in versions[assignment.episode_id]
                if p.published_at is not None and p.published_at <= assignment.created_at
            ]
            self.assertTrue(published, "a goal rating before the plan")
            goals = list(published[-1].goals.all())
            self.assertLessEqual(set(assignment.goal_labels), {g.statement for g in goals})
            self.assertLessEqual(
                {g.statement for g in goals if g.target_kind == TargetKind.RATING},
                set(assignment.goal_labels),
            )
        self.assertEqual(set(by_episode), set(versions))  # every course with a plan
        # An open course's latest goal rating asks exactly what the assign form now offers.
        open_plans = [
            p
            for p in plans
            if p.status == PlanStatus.CURRENT and p.episode.status in ("active", "ending")
        ]
        self.assertGreater(len(open_plans), 10)
        for plan in open_plans:
            latest = by_episode[plan.episode_id][-1]
            self.assertEqual(latest.goal_labels, active_goal_statements(plan.episode))
        # Answered like any questionnaire: one 0-10 rating per goal, in the goals' order.
        rated = Administration.objects.filter(
            client__practice=self.demo,
            instrument="goal_rating",
            status=AdministrationStatus.COMPLETED,
        ).select_related("assignment")
        series: dict[int, list[float]] = defaultdict(list)
        for admin in rated.order_by("due_at"):
            assert admin.assignment is not None
            assert admin.total is not None
            self.assertEqual(admin.goal_labels, admin.assignment.goal_labels)
            self.assertEqual(
                list(admin.answers), [str(n) for n in range(1, len(admin.goal_labels) + 1)]
            )
            self.assertTrue(all(0 <= v <= 10 for v in admin.answers.values()))
            series[admin.episode_id].append(admin.total)
        # Ratings rise over a course, with noise.
        long = [totals for totals in series.values() if len(totals) >= 4]
        self.assertGreater(len(long), 10)
        rose = [t for t in long if t[-1] > t[0]]
        self.assertGreater(len(rose), 0.75 * len(long))
        self.assertGreater(statistics.mean(t[-1] - t[0] for t in long), 2)
        self.assertTrue(any(b < a for t in long for a, b in itertools.pairwise(t)))

    def test_the_plan_page_shows_the_latest_goal_ratings(self) -> None:
        therapist = self.staff()
        plan = next(
            p
            for p in TreatmentPlan.objects.filter(
                client__therapist=therapist,
                status=PlanStatus.CURRENT,
                episode__status="active",
                goals__target_kind=TargetKind.RATING,
            ).order_by("pk")
            if all(row.progress is not None for row in plan_view(p, today=TODAY).goals)
        )
        latest = (
            Administration.objects.filter(
                episode=plan.episode_id,
                instrument="goal_rating",
                status=AdministrationStatus.COMPLETED,
            )
            .order_by("-completed_at")
            .first()
        )
        assert latest is not None
        self.login(therapist)
        with time_machine.travel(NOW, tick=False):
            page = self.client.get(
                reverse("plans:episode_plan", kwargs={"episode_id": plan.episode_id})
            )
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "No score yet")
        body = page.content.decode()
        for goal in plan.goals.filter(target_kind=TargetKind.RATING):
            rating = latest.answers[str(latest.goal_labels.index(goal.statement) + 1)]
            row = re.escape(html.escape(goal.statement)) + r"</td>(?:\s*<td>[^<]*</td>){2}\s*<td>"
            self.assertRegex(body, row + f"{rating} <span")

    def test_the_demo_client_logs_in_to_the_portal(self) -> None:
        user = authenticate(None, email=CLIENT_LOGIN, password="continuum-demo")
        assert user is not None
        client = Client.objects.select_related("therapist").get(user=user)
        self.assertEqual(client.therapist.email, DEMO_THERAPIST)
        self.assertEqual(client.practice, self.demo)
        self.assertEqual(client.email, CLIENT_LOGIN)
        self.assertFalse(hasattr(user, "membership"))
        self.assertTrue(client.episodes.filter(status="active").exists())
        portal = PortalSettings.objects.get(client=client)
        self.assertEqual(portal.checkin_cadence, CheckinCadence.WEEKLY)
        self.assertEqual(portal.shared_measures, ["gad7", "phq9"])
        self.assertEqual(portal.invited_by, client.therapist)
        # Seen today or tomorrow, with check-ins and homework to show in the brief.
        upcoming = client.appointments.filter(
            status=AppointmentStatus.SCHEDULED, starts_at__gt=NOW
        ).order_by("starts_at")[0]
        self.assertLessEqual(upcoming.starts_at.astimezone(LONDON).date(), TODAY + timedelta(1))
        self.assertGreater(CheckIn.objects.filter(client=client).count(), 5)
        self.assertTrue(Homework.objects.filter(client=client, status="assigned").exists())
        plan = TreatmentPlan.objects.get(client=client, status=PlanStatus.CURRENT)
        self.assertIsNotNone(plan.client_acknowledged_at)
        self.assertTrue(self.client.login(email=CLIENT_LOGIN, password="continuum-demo"))
        with time_machine.travel(NOW, tick=False):
            page = self.client.get(reverse("portal:home"))
        self.assertContains(page, f"Hello, {client.preferred_name or client.first_name}")

    def test_about_half_the_clients_in_therapy_have_portal_logins(self) -> None:
        in_therapy = set(
            Episode.objects.filter(
                client__practice=self.demo, status__in=("active", "ending")
            ).values_list("client_id", flat=True)
        )
        clients = self.portal_clients()
        self.assertLessEqual({c.pk for c in clients}, in_therapy)
        self.assertAlmostEqual(len(clients) / len(in_therapy), 0.5, delta=0.2)
        hashes, invited = set(), 0
        for client in clients:
            user = client.user
            assert user is not None
            self.assertEqual(user.email, client.email)
            if client.email != CLIENT_LOGIN:
                self.assertTrue(client.email.endswith("@example.net"))
            self.assertFalse(Membership.objects.filter(user=user).exists())
            self.assertEqual(user.full_name, client.full_name)
            if user.has_usable_password():
                hashes.add(user.password)
            else:
                invited += 1
            portal = PortalSettings.objects.get(client=client)
            assert portal.invited_at is not None
            self.assertLessEqual(portal.invited_at, user.date_joined)
            self.assertLessEqual(user.date_joined, NOW)
        self.assertEqual(len(hashes), 1)  # the demo password, hashed once
        self.assertGreaterEqual(invited, 1)  # invited, no password chosen yet
        # Acknowledged plans belong to clients with portal access, after they joined.
        for plan in TreatmentPlan.objects.filter(
            client__practice=self.demo, client_acknowledged_at__isnull=False
        ).select_related("client__user"):
            user = plan.client.user
            assert user is not None
            assert plan.client_acknowledged_at is not None
            assert plan.published_at is not None
            self.assertTrue(user.has_usable_password())
            self.assertGreater(plan.client_acknowledged_at, user.date_joined)
            self.assertGreater(plan.client_acknowledged_at, plan.published_at)
            self.assertLessEqual(plan.client_acknowledged_at, plan.superseded_at or NOW)

    def test_homework_comes_in_every_status_with_notes_encrypted(self) -> None:
        tasks = list(
            Homework.objects.filter(client__practice=self.demo).select_related(
                "client__user", "intervention__plan", "goal__plan"
            )
        )
        statuses = Counter(t.status for t in tasks)
        self.assertEqual(set(statuses), set(HomeworkStatus.values))
        self.assertGreater(sum(statuses[s] for s in REPORTED), statuses["assigned"])
        overdue = [t for t in tasks if t.status == "assigned" and t.due_date < TODAY]
        self.assertTrue(1 <= len(overdue) <= 5, len(overdue))
        self.assertTrue(overdue_homework(self.staff(), TODAY))
        for task in tasks:
            user = task.client.user
            assert user is not None
            self.assertTrue(user.has_usable_password())  # reported in the portal
            self.assertEqual(task.assigned_by_id, task.client.therapist_id)
            self.assertLessEqual(task.created_at, NOW)
            assert task.intervention is not None
            self.assertEqual(task.intervention.plan.client_id, task.client_id)
            if task.goal is not None:
                self.assertEqual(task.goal.plan_id, task.intervention.plan_id)
            self.assertTrue(task.why_text)
            if task.status in REPORTED:
                assert task.reported_at is not None
                self.assertGreater(task.reported_at, task.created_at)
                self.assertLessEqual(task.reported_at, NOW)
            else:
                self.assertIsNone(task.reported_at)
                self.assertEqual(task.client_note, "")
            self.assertEqual(task.cancelled_at is not None, task.status == "cancelled")
        notes = {t.client_note for t in tasks} - {""}
        self.assertTrue(notes)
        stored = set(self.raw_column(Homework, "client_note")) - {""}
        self.assertEqual(len(stored), sum(1 for t in tasks if t.client_note))
        self.assertFalse(notes & stored)

    def test_check_ins_come_weekly_ish_with_an_urgent_one_waiting(self) -> None:
        checkins = list(
            CheckIn.objects.filter(client__practice=self.demo)
            .select_related("client__user")
            .order_by("created_at")
        )
        cadence = dict(
            PortalSettings.objects.filter(client__practice=self.demo).values_list(
                "client_id", "checkin_cadence"
            )
        )
        self.assertGreater(len(checkins), 50)
        per_client: dict[int, list[CheckIn]] = defaultdict(list)
        for checkin in checkins:
            per_client[checkin.client_id].append(checkin)
            user = checkin.client.user
            assert user is not None
            self.assertTrue(user.has_usable_password())
            self.assertGreater(checkin.created_at, user.date_joined)
            self.assertLessEqual(checkin.created_at, NOW)
            self.assertTrue(0 <= checkin.mood <= 10)
            self.assertNotEqual(cadence[checkin.client_id], CheckinCadence.NONE)
            if checkin.seen_at is not None:
                self.assertEqual(checkin.seen_by_id, checkin.client.therapist_id)
                self.assertGreater(checkin.seen_at, checkin.created_at)
                self.assertLessEqual(checkin.seen_at, NOW)
            if checkin.urgent:
                self.assertTrue(checkin.note)
        weekly = [c for c in per_client if cadence[c] == CheckinCadence.WEEKLY]
        gaps = [
            (b.created_at - a.created_at).days
            for c in weekly
            for a, b in itertools.pairwise(per_client[c])
        ]
        self.assertTrue(5 <= statistics.median(gaps) <= 9, statistics.median(gaps))
        self.assertGreater(sum(1 for c in checkins if c.note), len(checkins) / 3)
        self.assertTrue(any(c.seen_at is None for c in checkins if not c.urgent))
        # One recent urgent check-in, unseen, waits for the demo therapist.
        waiting = [c for c in unseen_checkins(self.staff()) if c.urgent]
        self.assertEqual(len(waiting), 1)
        self.assertGreater(waiting[0].created_at, NOW - timedelta(hours=12))
        self.assertTrue(any(c.urgent and c.seen_at for c in checkins))  # earlier ones, seen
        # The notes are encrypted at rest.
        stored = set(self.raw_column(CheckIn, "note")) - {""}
        self.assertFalse({c.note for c in checkins} & stored)
        self.assertTrue(all(raw.startswith("gAAAAA") for raw in stored))
        for note in between_content.URGENT_NOTES:
            self.assertFalse(any(note[:20] in raw for raw in stored))

    def test_two_or_three_clients_drift(self) -> None:
        drifting = self.drifting_clients()
        self.assertIn(len(drifting), (2, 3))
        with timezone.override(LONDON):
            mine = drifting_day_items(self.staff(), NOW)
        self.assertTrue(mine)
        cutoff = NOW - timedelta(days=settings.DRIFT_DAYS)
        for client_id in drifting:
            appointments = Appointment.objects.filter(client_id=client_id)
            last = appointments.filter(status=AppointmentStatus.ATTENDED).latest("starts_at")
            self.assertLess(last.starts_at, cutoff)
            self.assertFalse(appointments.filter(starts_at__gt=NOW).exists())
            # They called off the session after their last one and did not rebook.
            final = appointments.latest("starts_at")
            self.assertEqual(final.status, AppointmentStatus.CANCELLED)
            self.assertEqual(final.cancelled_by, CancelledBy.CLIENT)

    def test_the_demo_therapists_load_shows_the_thursday_pattern(self) -> None:
        therapist = self.staff()
        weights = SessionWeight.objects.filter(therapist=therapist)
        self.assertGreater(weights.count(), 40)
        self.assertFalse(SessionWeight.objects.exclude(therapist=therapist).exists())
        self.assertRegex(self.output, r"[\d,]+ session weights for therapist@example.org")
        with timezone.override(LONDON):
            sentences = build_load_page(therapist, NOW).sentences
        self.assertIn("Three heavy sessions in a row on Thursdays.", sentences)

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
        output = seed("--therapists", "5", "--clients", "70", "--seed", "3", "--discharged", "0")
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
        seed("--clients", "12", "--discharged", "0")
        old = Practice.objects.get(name=DEMO)
        output = seed("--clients", "15", "--discharged", "0", "--reset")
        self.assertIn("Deleted the existing demo practice.", output)
        new = Practice.objects.get(name=DEMO)
        self.assertNotEqual(new.pk, old.pk)
        self.assertEqual(Client.objects.filter(practice=new).count(), 15)
        self.assertEqual(User.objects.filter(email__in=LOGINS).count(), 3)
        self.assertEqual(Client.objects.count(), 18)  # 15 + the three persona clients
        # The portal logins were rebuilt with the clients, not left behind.
        self.assertEqual(User.objects.filter(email=CLIENT_LOGIN).count(), 1)
        portal_users = User.objects.filter(membership__isnull=True)
        self.assertEqual(
            set(portal_users.values_list("pk", flat=True)),
            set(Client.objects.filter(practice=new).values_list("user", flat=True)) - {None},
        )

    def test_reset_is_refused_once_the_portal_client_has_used_it(self) -> None:
        seed("--clients", "12", "--discharged", "0")
        demo = Practice.objects.get(name=DEMO)
        portal_user = User.objects.get(email=CLIENT_LOGIN)
        audit.record(actor_for(portal_user), "login", portal_user)
        with self.assertRaisesMessage(CommandError, "use a fresh database"):
            seed("--reset")
        self.assertEqual(Practice.objects.get(name=DEMO), demo)
        self.assertTrue(User.objects.filter(email=CLIENT_LOGIN).exists())

    def test_reset_is_refused_once_the_demo_has_audit_history(self) -> None:
        seed("--clients", "12", "--discharged", "0")
        demo = Practice.objects.get(name=DEMO)
        therapist = User.objects.get(email="therapist@example.org")
        audit.record(
            actor_for(therapist), "client.view", Client.objects.filter(therapist=therapist)[0]
        )
        with self.assertRaisesMessage(CommandError, "use a fresh database"):
            seed("--reset")
        self.assertEqual(Practice.objects.get(name=DEMO), demo)
        self.assertEqual(Client.objects.filter(practice=demo).count(), 12)
