"""The day's attention table (continuity.attention) follows every action that adds or clears a
reason, in the action's own transaction, and the day read from it is the day the
contributions would build (issue 13, "Fast at scale")."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.boundaries import queries as boundaries_queries
from continuum.boundaries.services import mark_all_read
from continuum.boundaries.tests.world import make_message
from continuum.care import queries as care_queries
from continuum.care.models import AppointmentStatus
from continuum.care.services.appointments import book_appointments
from continuum.care.services.notes import sign_note
from continuum.continuity import attention
from continuum.continuity.models import Attention
from continuum.exchange import day as exchange_day
from continuum.exchange.record_services import release_record, request_record
from continuum.followup import queries as followup_queries
from continuum.followup.services import request_booster
from continuum.followup.tests.world import make_followup
from continuum.lib.contributions import Rank
from continuum.lib.keys import new_idempotency_key
from continuum.measures import queries as measures_queries
from continuum.measures.models import Alert, AlertKind
from continuum.measures.services import dismiss_safety_prompt, enter_in_session, resolve
from continuum.measures.tests.world import MeasuresTestCase, phq9_answers
from continuum.portal import queries as portal_queries
from continuum.portal.models import CheckIn
from continuum.portal.services import mark_checkin_seen, record_checkin
from continuum.testing.base import make_appointment, make_note, make_portal_user


def urgent_checkin() -> dict[str, object]:
    return {"mood": 2, "urgent": True, "idempotency_key": new_idempotency_key()}


class Rollback(Exception):
    pass


class AttentionFollowsActions(MeasuresTestCase):
    """Each action changes the client's rows before its transaction ends (asserted inside
    `transaction.atomic()`), and a failure after it rolls both back."""

    def reasons(self) -> set[tuple[str, int]]:
        return set(Attention.objects.filter(client=self.dana).values_list("kind", "rank"))

    def test_a_safety_answer_and_its_resolution(self) -> None:
        actor = actor_for(self.alice)
        admin = self.pending("phq9")
        with transaction.atomic():
            enter_in_session(admin, phq9_answers(12, item9=1), actor=actor)
            self.assertIn((measures_queries.ALERT_ITEM, Rank.SAFETY), self.reasons())
        alert = Alert.objects.get(client=self.dana, kind=AlertKind.SAFETY)
        with transaction.atomic():
            resolve(alert, actor=actor, action="contacted_client")
            self.assertNotIn((measures_queries.ALERT_ITEM, Rank.SAFETY), self.reasons())

    def test_a_blank_safety_item_and_its_dismissal(self) -> None:
        actor = actor_for(self.alice)
        admin = self.pending("phq9")
        answers = phq9_answers(6)
        answers["9"] = None
        blank = (measures_queries.SAFETY_ITEM_UNANSWERED, Rank.SAFETY_UNANSWERED)
        with transaction.atomic():
            enter_in_session(admin, answers, actor=actor)
            self.assertIn(blank, self.reasons())
        admin.refresh_from_db()
        with transaction.atomic():
            dismiss_safety_prompt(admin, actor=actor, reason="Asked on the phone")
            self.assertNotIn(blank, self.reasons())

    def test_an_urgent_check_in_and_reading_it(self) -> None:
        urgent = (portal_queries.CHECKINS_ITEM, Rank.SAFETY)
        with transaction.atomic():
            record_checkin(self.dana, urgent_checkin(), actor=actor_for(self.alice))
            self.assertIn(urgent, self.reasons())
        with transaction.atomic():
            mark_checkin_seen(CheckIn.objects.get(client=self.dana), actor=actor_for(self.alice))
            kinds = {kind for kind, _ in self.reasons()}
            self.assertNotIn(portal_queries.CHECKINS_ITEM, kinds)

    def test_reading_messages(self) -> None:
        make_portal_user(self.dana)
        self.dana.refresh_from_db()
        make_message(self.dana)
        unread = (boundaries_queries.MESSAGES_ITEM, Rank.ROUTINE)
        self.assertIn(unread, self.reasons())
        with transaction.atomic():
            mark_all_read(self.dana, actor=actor_for(self.alice))
            self.assertNotIn(unread, self.reasons())

    def test_signing_a_draft_note(self) -> None:
        session = make_appointment(
            self.dana,
            timezone.now() - timedelta(days=3),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )
        note = make_note(session)
        draft = (care_queries.DRAFT_NOTE_ITEM, Rank.ROUTINE)
        self.assertIn(draft, self.reasons())
        with transaction.atomic():
            sign_note(note, actor=actor_for(self.alice))
            self.assertNotIn(draft, self.reasons())

    def test_booking_a_session_for_a_drifting_client(self) -> None:
        make_appointment(
            self.dana,
            timezone.now() - timedelta(days=60),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )
        drifting = (care_queries.DRIFTING_ITEM, Rank.DISENGAGING)
        self.assertIn(drifting, self.reasons())
        with transaction.atomic():
            book_appointments(
                self.dana,
                actor=actor_for(self.alice),
                starts=[timezone.now() + timedelta(days=2)],
                duration_minutes=50,
                modality="in_person",
            )
            self.assertNotIn(drifting, self.reasons())

    def test_a_record_request_and_its_release(self) -> None:
        asked = (exchange_day.RECORD_REQUEST, Rank.ROUTINE)
        with transaction.atomic():
            request = request_record(actor_for(self.alice), self.dana)
            self.assertIn(asked, self.reasons())
        with transaction.atomic():
            release_record(actor_for(self.alice), request)
            self.assertNotIn(asked, self.reasons())

    def test_a_failed_action_leaves_the_rows_as_they_were(self) -> None:
        before = self.reasons()
        with self.assertRaises(Rollback), transaction.atomic():
            record_checkin(self.dana, urgent_checkin(), actor=actor_for(self.alice))
            self.assertIn((portal_queries.CHECKINS_ITEM, Rank.SAFETY), self.reasons())
            raise Rollback
        self.assertEqual(self.reasons(), before)
        self.assertFalse(CheckIn.objects.exists())


class BoosterRequests(MeasuresTestCase):
    def test_a_booster_request_is_on_the_day_at_once(self) -> None:
        world = make_followup(self.finn)
        booster = (followup_queries.BOOSTER_ITEM, Rank.DETERIORATION)
        with transaction.atomic():
            request_booster(self.finn, actor=actor_for(self.finn.therapist), reason="A hard month")
            self.assertIn(
                booster,
                set(Attention.objects.filter(client=self.finn).values_list("kind", "rank")),
            )
        del world


def day_as_data(day: object) -> list[tuple[int, list[tuple[str, int, object, object]]]]:
    return [
        (
            entry.client.pk,
            sorted(
                (r.item.kind, int(r.item.rank), r.item.ref, sorted(r.item.facts.items()))
                for r in entry.reasons
            ),
        )
        for entry in day.on_my_mind  # type: ignore[attr-defined]
    ]


class TheScheduler(MeasuresTestCase):
    """The reasons that come with time reach the table through the scheduler's job. (That
    the table gives the same day as the contributions, rebuilt or kept one client at a time,
    is tested over the demo practice: continuum/demo/tests/test_day_table.py.)"""

    def test_the_scheduler_job_brings_in_reasons_that_come_with_time(self) -> None:
        make_appointment(
            self.eli,
            timezone.now() - timedelta(days=20),
            episode=self.eli_episode,
            status=AppointmentStatus.ATTENDED,
        )
        self.assertNotIn(
            care_queries.DRIFTING_ITEM,
            set(Attention.objects.filter(client=self.eli).values_list("kind", flat=True)),
        )
        later = timezone.now() + timedelta(days=30)
        with time_machine.travel(later, tick=False):
            attention.run_job(later)
        self.assertIn(
            care_queries.DRIFTING_ITEM,
            set(Attention.objects.filter(client=self.eli).values_list("kind", flat=True)),
        )
