"""Follow-up check-ins: the client answers in the portal; deterioration, caseness again or a
safety answer raise an alert and offer a booster; the therapist reads the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.audit.models import AuditEvent
from continuum.continuity.day import build_day
from continuum.continuity.models import Attention
from continuum.continuity.presenters import day_page
from continuum.followup.models import FollowUpCheckIn
from continuum.followup.queries import day_items
from continuum.followup.services import Terms
from continuum.followup.tests.world import (
    AFTER_END,
    ONE_MONTH,
    FollowUpTestCase,
    questionnaire_post,
)
from continuum.lib.contributions import Rank
from continuum.measures.models import Administration, Alert, MeasureAssignment
from continuum.measures.queries import ALERT_ITEM
from continuum.testing.base import TestResponse, presented

URL = "/portal/follow-up/check-in/"


class PortalCheckInTests(FollowUpTestCase):
    def setUp(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.consent = self.agree()
        self.first = FollowUpCheckIn.objects.get(number=1)
        self.traveller = time_machine.travel(ONE_MONTH, tick=False)
        self.traveller.start()
        self.addCleanup(self.traveller.stop)
        self.login(self.dana_user)

    def post(self, phq9: int, gad7: int, **extra: str) -> TestResponse:
        data = questionnaire_post(
            phq9, gad7, checkin=str(self.first.pk), how_are_you="A hard month at work."
        )
        data.update(extra)
        return self.client.post(URL, data, follow=True)

    def test_the_form_shows_both_questionnaires_and_the_question(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, "Your 1-month follow-up check-in")
        self.assertContains(response, "PHQ-9")
        self.assertContains(response, "GAD-7")
        self.assertContains(response, "How are you doing?")
        self.assertContains(response, f'name="checkin" value="{self.first.pk}"')

    def test_deterioration_raises_an_alert_and_offers_a_booster(self) -> None:
        response = self.post(15, 10)

        self.assertContains(response, "Thank you, your check-in was sent")
        self.assertContains(response, "Would a booster session help?")
        self.assertContains(response, "Ask for a booster session")
        self.first.refresh_from_db()
        self.assertEqual(self.first.status, "answered")
        self.assertEqual(self.first.how_are_you, "A hard month at work.")
        self.assertEqual(
            self.first.flags,
            ["deterioration:phq9", "caseness:phq9", "deterioration:gad7", "caseness:gad7"],
        )
        admins = list(self.first.administrations.order_by("instrument"))
        self.assertEqual([(a.instrument, a.total) for a in admins], [("gad7", 10), ("phq9", 15)])
        self.assertTrue(all(a.entered_by_id is None for a in admins))
        # Assigned once for the follow-up episode, by the client's own login.
        self.assertEqual(
            set(MeasureAssignment.objects.values_list("cadence", "created_by")),
            {("once", self.dana_user.pk)},
        )
        alerts = Alert.objects.filter(cause__startswith="followup:")
        self.assertEqual(alerts.count(), 2)
        phq9 = alerts.get(administration__instrument="phq9")
        self.assertEqual(phq9.kind, "deterioration")
        self.assertEqual(
            phq9.message,
            "PHQ-9 15 at the 1-month follow-up: a reliable deterioration from 6 at the end of "
            "therapy and at caseness again (10 or more).",
        )
        event = AuditEvent.objects.get(action="followup.checkin_answer")
        self.assertEqual(event.actor_id, self.dana_user.pk)
        self.assertEqual(sorted(event.detail["alerts"]), sorted(a.pk for a in alerts))
        self.assertNotIn("hard month", str(event.detail))

    def test_a_follow_up_deterioration_alert_closes_itself_when_a_newer_score_is_back(
        self,
    ) -> None:
        # 1 month: PHQ-9 15 (from 6 at the end of therapy) raises the follow-up alert.
        self.post(15, 10)
        alert = Alert.objects.get(cause__startswith="followup:", administration__instrument="phq9")
        self.assertEqual((alert.kind, alert.status), ("deterioration", "open"))
        # 3 months: PHQ-9 5, back within reliable change of where therapy ended.
        second = FollowUpCheckIn.objects.get(number=2)
        with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=UTC), tick=False):
            self.login(self.dana_user)  # two months on: a new session
            data = questionnaire_post(5, 3, checkin=str(second.pk), how_are_you="Better.")
            self.client.post(URL, data, follow=True)
            alert.refresh_from_db()
            newer = second.administrations.get(instrument="phq9")
            self.assertEqual(
                (alert.status, alert.resolution, alert.closed_by_administration_id),
                ("resolved", "no_longer_current", newer.pk),
            )
            # … and it is off the day at once (the day's attention table, same transaction).
            self.assertFalse(
                Attention.objects.filter(client=self.dana, kind=ALERT_ITEM, ref=alert.pk).exists()
            )

    def test_doing_well_offers_no_booster_and_raises_nothing(self) -> None:
        response = self.post(5, 3)
        self.assertNotContains(response, "Would a booster session help?")
        self.assertContains(response, "ask for a booster session")
        self.first.refresh_from_db()
        self.assertEqual(self.first.flags, [])
        self.assertFalse(Alert.objects.exists())

    def test_caseness_again_without_reliable_change_is_flagged(self) -> None:
        # PHQ-9 6 → 10: a rise of 4 is not reliable (6 are needed), but it is caseness again.
        self.post(10, 4)
        self.first.refresh_from_db()
        self.assertEqual(self.first.flags, ["caseness:phq9"])
        alert = Alert.objects.get()
        self.assertIn("at caseness again (10 or more)", alert.message)

    def test_a_safety_answer_shows_crisis_resources_and_is_flagged(self) -> None:
        response = self.post(8, 3, **{"phq9-item_9": "1", "phq9-item_8": "1"})
        self.assertContains(response, "If you need help now")
        self.assertContains(response, "Would a booster session help?")
        self.first.refresh_from_db()
        self.assertIn("safety:phq9", self.first.flags)
        self.assertTrue(Alert.objects.filter(kind="safety").exists())

    def test_the_practice_crisis_list_is_shown_in_its_order(self) -> None:
        # Issue 14: the practice settings' list, in the owner's order (the therapist has
        # no list of their own).
        Practice.objects.filter(pk=self.riverside.pk).update(
            crisis_resources="Samaritans | 116 123 | any time\nRiverside duty line | 0800 000 111"
        )
        response = self.post(8, 3, **{"phq9-item_9": "1", "phq9-item_8": "1"})
        body = response.content.decode()
        first, second = body.index("Samaritans: 116 123"), body.index("Riverside duty line")
        self.assertLess(first, second)
        self.assertNotIn("988", body)

    def test_sending_the_same_form_twice_stores_one_answer(self) -> None:
        self.post(15, 10)
        response = self.post(3, 2)
        self.assertContains(response, "Would a booster session help?")
        self.assertEqual(Administration.objects.count(), 4 + 2)
        self.assertEqual(self.first.administrations.count(), 2)
        self.assertEqual(AuditEvent.objects.filter(action="followup.checkin_answer").count(), 1)

    def test_bad_answers_are_explained_and_nothing_is_stored(self) -> None:
        data = questionnaire_post(15, 10, checkin=str(self.first.pk))
        data["phq9-item_1"] = "7"
        response = self.client.post(URL, data)
        self.assertContains(response, "Select a valid choice", status_code=400)
        response = self.client.post(URL, {"checkin": str(self.first.pk), "how_are_you": ""})
        self.assertContains(
            response, "Answer the questions or write how you are doing", status_code=400
        )
        response = self.client.post(URL, {"checkin": "999999", "how_are_you": "Fine"})
        self.assertContains(response, "no longer open", status_code=400)
        response = self.client.post(URL, {"checkin": str(self.first.pk), "how_are_you": "x" * 2001})
        self.assertEqual(response.status_code, 400)
        self.first.refresh_from_db()
        self.assertEqual(self.first.status, "scheduled")
        self.assertEqual(Administration.objects.count(), 4)  # the episode's own four scores
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_another_clients_check_in_cannot_be_answered(self) -> None:
        self.login(self.eli_user)
        response = self.client.post(URL, questionnaire_post(15, 10, checkin=str(self.first.pk)))
        self.assertEqual(response.status_code, 302)  # Eli has no follow-up: sent to the page
        self.first.refresh_from_db()
        self.assertEqual(self.first.status, "scheduled")

    def test_the_confirmation_is_the_clients_own(self) -> None:
        self.post(15, 10)
        url = f"/portal/follow-up/check-ins/{self.first.pk}/"
        self.assertEqual(self.client.get(url).status_code, 200)
        self.login(self.eli_user)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_free_text_is_encrypted_at_rest(self) -> None:
        from django.db import connection

        self.post(5, 3)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT how_are_you FROM followup_followupcheckin WHERE id = %s", [self.first.pk]
            )
            raw = cursor.fetchone()[0]
        self.assertNotIn("hard month", raw)

    def test_check_ins_only_scope_asks_no_questionnaire(self) -> None:
        self.consent.scope = "checkins_only"
        self.consent.save()
        response = self.client.get(URL)
        self.assertNotContains(response, "PHQ-9")
        response = self.client.post(
            URL, {"checkin": str(self.first.pk), "how_are_you": "All good"}, follow=True
        )
        self.assertContains(response, "Thank you, your check-in was sent")
        self.assertEqual(Administration.objects.count(), 4)


class TherapistReadsTests(FollowUpTestCase):
    def setUp(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
        self.first = FollowUpCheckIn.objects.get(number=1)
        with time_machine.travel(ONE_MONTH, tick=False):
            self.login(self.dana_user)
            self.client.post(
                URL,
                questionnaire_post(
                    15, 10, checkin=str(self.first.pk), how_are_you="Sleeping badly again"
                ),
            )
        self.first.refresh_from_db()
        self.url = f"/follow-up/check-ins/{self.first.pk}/"

    def test_it_requires_login_and_rejects_others(self) -> None:
        self.client.logout()
        self.assertRedirects(
            self.client.get(self.url),
            f"/accounts/login/?next={self.url}",
            fetch_redirect_response=False,
        )
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)
            self.assertEqual(self.client.post(self.url).status_code, 404)
        self.first.refresh_from_db()
        self.assertIsNone(self.first.seen_at)

    def test_the_therapist_reads_the_answer_and_marks_it_seen(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "Sleeping badly again")
        self.assertContains(response, "PHQ-9 reliably worse than at the end of therapy")
        self.assertContains(response, "GAD-7 at caseness again")
        self.assertEqual(AuditEvent.objects.filter(action="followup.checkin_view").count(), 1)
        response = self.client.post(self.url, follow=True)
        self.assertContains(response, "Marked seen.")
        self.first.refresh_from_db()
        self.assertEqual(self.first.seen_by, self.alice)

    def test_the_client_page_lists_it(self) -> None:
        self.login(self.alice)
        url = f"/clients/{self.dana.pk}/follow-up/"
        response = self.client.get(url)
        self.assertContains(response, "1-month follow-up")
        self.assertContains(response, "Active")
        self.assertEqual(AuditEvent.objects.filter(action="followup.view").count(), 1)
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_day_lists_the_answer_until_seen(self) -> None:
        with time_machine.travel(ONE_MONTH, tick=False):
            entries = presented(day_items(self.alice, timezone.now()))
        self.assertEqual(len(entries), 1)
        self.assertIn("1-month follow-up answered: PHQ-9 reliably worse", entries[0].reason)
        self.assertEqual(entries[0].rank, Rank.DETERIORATION)
        self.assertEqual(presented(day_items(self.bob, timezone.now())), [])
        self.login(self.alice)
        self.client.post(self.url)
        with time_machine.travel(ONE_MONTH, tick=False):
            self.assertEqual(presented(day_items(self.alice, timezone.now())), [])

    def test_the_client_follow_up_page_query_count_is_constant(self) -> None:
        self.login(self.alice)
        url = f"/clients/{self.dana.pk}/follow-up/"

        def count() -> int:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                self.client.get(url)
            return len(ctx.captured_queries)

        small = count()
        # More history: a second, ended follow-up with its check-ins.
        with time_machine.travel(AFTER_END, tick=False):
            from continuum.followup.tests.world import make_followup

            make_followup(self.dana, booster=True)
        self.assertEqual(count(), small)
        # 1-3 session, user, membership; 4 the client; 5 the latest episode; 6 the consents;
        # 7 their check-ins; 8 the booster requests; 9 the audit row.
        with self.assertNumQueries(9):
            self.client.get(url)


class DayTests(FollowUpTestCase):
    def test_due_unanswered_and_booster_requests_appear_on_the_day(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.agree(Terms([1, 3], "questionnaires", date(2027, 1, 1)))
        with time_machine.travel(ONE_MONTH, tick=False):
            entries = presented(day_items(self.alice, timezone.now()))
            self.assertEqual(
                [e.reason for e in entries],
                ["1-month follow-up due since 30 July, not answered yet."],
            )
            from continuum.followup.services import request_booster

            request_booster(self.dana, reason="", actor=actor_for(self.dana_user))
            with self.assertNumQueries(2):
                items = day_items(self.alice, timezone.now())
            entries = presented(items)
            self.assertIn("Asked for a booster session.", [e.reason for e in entries])
            self.login(self.alice)
            day = build_day(self.alice, timezone.now())
            self.assertIn(
                "Asked for a booster session.",
                [line.reason for e in day_page(day).on_my_mind for line in e.lines],
            )


class PortalPageQueryTests(FollowUpTestCase):
    def test_the_follow_up_page_query_count_does_not_grow(self) -> None:
        from continuum.followup.services import request_booster

        with time_machine.travel(AFTER_END, tick=False):
            self.agree()
        self.login(self.dana_user)
        with time_machine.travel(ONE_MONTH, tick=False):
            # 1 session, 2 user, 3 the client (portal login), 4 the consent shown, 5 the phase,
            # 6 its check-ins, 7 the booster requests, 8 the phase again (the menu),
            # 9 the membership context processor (none for a client).
            with self.assertNumQueries(9):
                self.client.get("/portal/follow-up/")
            request_booster(self.dana, reason="More", actor=actor_for(self.dana_user))
            FollowUpCheckIn.objects.filter(number__gt=1).update(status="missed")
            with self.assertNumQueries(9):
                response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "You asked for a booster session")
