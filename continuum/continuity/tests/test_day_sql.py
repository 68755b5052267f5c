"""The day's hand-written reads (continuum.sql) say what the ORM says.

The day's hot reads are written as SQL (issue 13: building the QuerySets cost more than running
them). Each is compared here with the same read spelled with the ORM, over rows chosen to reach
every condition: clients of another therapist and another practice, cancelled sessions, the
ends of a time range, ties in the order, reasons with no time and facts of every kind. Run on
SQLite and PostgreSQL by the suite.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from continuum import sql
from continuum.accounts.actors import actor_for
from continuum.accounts.models import Membership, User
from continuum.care.models import Appointment, AppointmentStatus, Client, treated_by_sql
from continuum.continuity import attention, services
from continuum.continuity.day import sessions_between
from continuum.continuity.models import Attention
from continuum.continuity.tests.test_day import make_alert
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_client,
    make_episode,
    make_note,
    make_staff,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)


def decoded(facts: dict[str, object]) -> dict[str, object]:
    """Facts as the day reads them (dates kept as {"$dt": ...} in the JSON)."""
    return dict(attention.Facts(json.dumps(facts)))


@time_machine.travel(NOW, tick=False)
class DaySqlTests(BaseTestCase):
    gail: Client
    nurse: User
    gone: User
    people: list[User]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gail = make_client(cls.alice, "Gail", "Green", preferred_name="Gee")
        for client in (cls.dana, cls.gail, cls.finn, cls.eli):
            episode = make_episode(client)
            make_alert(client, kind="not_on_track", severity="medium", rank=1)
            make_alert(client)
            past = make_appointment(
                client, NOW - timedelta(days=3), episode=episode, status=AppointmentStatus.ATTENDED
            )
            make_note(past)  # a draft: "drafts to sign" once 24 h have passed
        cls.nurse = make_staff(cls.riverside, "nurse@example.org", "Nia Nurse", clinical=False)
        cls.gone = make_staff(cls.riverside, "gone@example.org", "Gus Gone")
        Membership.objects.filter(user=cls.gone).update(is_active=False)
        cls.people = [cls.alice, cls.bob, cls.olivia, cls.charlie, cls.nurse, cls.gone]

    def test_the_access_rule_is_the_same_in_sql(self) -> None:
        for user in self.people:
            user.refresh_from_db()
            condition, params = treated_by_sql(user, "c")
            by_hand = {
                pk
                for (pk,) in sql.rows(f"SELECT c.id FROM care_client c WHERE {condition}", params)  # noqa: S608
            }
            orm = set(Client.objects.for_therapist(user).values_list("pk", flat=True))
            with self.subTest(user=user.email):
                self.assertEqual(by_hand, orm)
        self.alice.refresh_from_db()
        self.assertEqual(
            {pk for (pk,) in sql.rows(*self._clients_of(self.alice))},
            {self.dana.pk, self.gail.pk},
        )

    def _clients_of(self, user: User) -> tuple[str, list[int]]:
        condition, params = treated_by_sql(user, "c")
        return f"SELECT c.id FROM care_client c WHERE {condition}", params  # noqa: S608

    def test_attention_rows_are_the_orms(self) -> None:
        # A reason with no time, and one tied with another on rank and time.
        first = Attention.objects.filter(client=self.dana).order_by("pk").first()
        assert first is not None
        Attention.objects.create(
            client=self.gail, source="x", kind="x.none", rank=5, at=None, facts={}
        )
        Attention.objects.create(
            client=self.gail,
            source="x",
            kind="x.tie",
            rank=first.rank,
            at=first.at,
            ref=7,
            facts={"n": 2, "words": ["a", "b"]},
        )
        for user in self.people:
            user.refresh_from_db()
            orm = [
                (
                    (a.kind, a.client_id, int(a.rank), a.at, a.ref, decoded(a.facts)),
                    (a.client_id, a.client.first_name, a.client.preferred_name, a.client.last_name),
                )
                for a in Attention.objects.filter(client__in=Client.objects.for_therapist(user))
                .select_related("client")
                .order_by("rank", "at", "pk")
            ]
            by_hand = [
                ((i.kind, i.client_id, int(i.rank), i.at, i.ref, dict(i.facts)), name)
                for i, name in attention.day_rows(user)
            ]
            with self.subTest(user=user.email):
                self.assertEqual(by_hand, orm)
        self.alice.refresh_from_db()
        self.assertGreater(len(attention.day_rows(self.alice)), 4)
        self.assertIn(
            (self.gail.pk, "Gail", "Gee", "Green"), [n for _, n in attention.day_rows(self.alice)]
        )

    def test_sessions_are_the_orms(self) -> None:
        start, end = NOW, NOW + timedelta(days=2)
        make_appointment(self.dana, start)  # at the start: in
        make_appointment(self.dana, end)  # at the end: out
        make_appointment(self.gail, start + timedelta(hours=1))
        make_appointment(self.dana, start + timedelta(hours=1))  # a tie, ordered by pk
        make_appointment(self.gail, start + timedelta(hours=2), status=AppointmentStatus.CANCELLED)
        make_appointment(self.finn, start + timedelta(hours=3))  # Bob's client
        make_appointment(self.eli, start + timedelta(hours=3))  # another practice's
        for user in self.people:
            user.refresh_from_db()
            orm = [
                (a.pk, a.starts_at, a.modality, a.status, a.therapist_id, a.client_id)
                for a in Appointment.objects.filter(
                    client__in=Client.objects.for_therapist(user),
                    starts_at__gte=start,
                    starts_at__lt=end,
                )
                .exclude(status=AppointmentStatus.CANCELLED)
                .order_by("starts_at", "pk")
            ]
            by_hand = [
                (s.pk, s.starts_at, s.modality, s.status, s.therapist_id, s.client.pk)
                for s in sessions_between(user, start, end)
            ]
            with self.subTest(user=user.email):
                self.assertEqual(by_hand, orm)
                for session in sessions_between(user, start, end):
                    self.assertIsNotNone(session.starts_at.tzinfo)
        self.alice.refresh_from_db()
        self.assertEqual(
            [s.client.display_name for s in sessions_between(self.alice, start, end)],
            ["Dana Dawson", "Gee Green", "Dana Dawson"],
        )

    def test_the_last_look_is_kept_and_read_back_exactly(self) -> None:
        actor = actor_for(self.alice)
        self.assertIsNone(services.last_looked(actor))
        first = NOW - timedelta(minutes=5, microseconds=123)
        services.note_day_opened(actor=actor, at=first)
        self.assertEqual(services.last_looked(actor), first)
        services.note_day_opened(actor=actor, at=NOW)  # an upsert: still one row
        self.assertEqual(services.last_looked(actor), NOW)
        self.assertEqual(
            list(
                self.alice.__class__.objects.filter(pk=self.alice.pk).values_list(
                    "day_visit__opened_at", flat=True
                )
            ),
            [NOW],
        )
        self.assertIsNone(services.last_looked(actor_for(self.bob)))
