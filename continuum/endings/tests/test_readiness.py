"""The readiness review (therapist) and the readiness questions (client portal)."""

from __future__ import annotations

from django.db import connection

from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.endings.models import ReadinessRequest
from continuum.endings.tests.world import EndingsTestCase, fill_history
from continuum.plans.tests.world import make_goal
from continuum.testing.base import make_client, make_episode


class ReadinessPageTests(EndingsTestCase):
    def page(self) -> str:
        return self.url("readiness", episode_id=self.episode.pk)

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.page())
        self.assert_login_required(self.url("readiness_request", episode_id=self.episode.pk))

    def test_it_rejects_other_therapists(self) -> None:
        self.assert_outsiders_get_404(self.page())
        self.assert_outsiders_get_404(self.url("readiness_request", episode_id=self.episode.pk))

    def test_it_suggests_in_plain_words_and_never_decides(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.page())
        # Two of three goals met (PHQ-9 and GAD-7 targets); the rating goal has no score.
        self.assertContains(
            response,
            "Most goals are met and PHQ-9 has been below caseness for 3 weeks; the client&#x27;s "
            "own view has not been asked in the portal.",
        )
        self.assertContains(response, "not a decision")
        self.assertContains(response, "Session feedback is steady")
        self.assertContains(response, "Reliably recovered")  # NHS Talking Therapies category
        self.assertContains(response, "Send the readiness questions")
        event = AuditEvent.objects.get(action="ending.readiness_view")
        self.assertEqual(event.detail, {"client_id": self.dana.pk})

    def test_the_clients_answer_is_part_of_the_review(self) -> None:
        ReadinessRequest.objects.create(
            episode=self.episode,
            client=self.dana,
            requested_by=self.alice,
            readiness=8,
            worries="Coping alone at Christmas",
            answered_at=self.episode.created_at,
        )
        self.login(self.alice)
        response = self.client.get(self.page())
        self.assertContains(response, "the client feels 8/10 ready.")
        self.assertContains(response, "Coping alone at Christmas")
        self.assertContains(response, "The client wrote about worries on ending")
        self.assertContains(response, "Several signals point towards planning an ending together.")

    def test_sending_the_questions_stores_one_request_and_audits_it(self) -> None:
        self.login(self.alice)
        url = self.url("readiness_request", episode_id=self.episode.pk)
        self.client.post(url)
        response = self.client.post(url, follow=True)  # a second send changes nothing
        self.assertContains(response, "has not answered the questions sent earlier yet")
        asked = ReadinessRequest.objects.get()
        self.assertEqual(
            (asked.episode, asked.client, asked.requested_by), (self.episode, self.dana, self.alice)
        )
        self.assertEqual(AuditEvent.objects.filter(action="ending.readiness_request").count(), 1)

    def test_a_client_without_a_portal_login_cannot_be_asked(self) -> None:
        self.dana.user = None
        self.dana.save(update_fields=["user"])
        self.login(self.alice)
        response = self.client.post(self.url("readiness_request", episode_id=self.episode.pk))
        self.assertContains(response, "no portal login yet", status_code=400)
        self.assertFalse(ReadinessRequest.objects.exists())

    def test_an_ended_episode_cannot_be_asked(self) -> None:
        self.episode.status = EpisodeStatus.ENDED
        self.episode.end_date = self.episode.start_date
        self.episode.save()
        self.login(self.alice)
        response = self.client.post(self.url("readiness_request", episode_id=self.episode.pk))
        self.assertContains(response, "this one is ended", status_code=400)
        self.assertFalse(ReadinessRequest.objects.exists())

    def test_get_on_the_send_address_is_refused(self) -> None:
        self.login(self.alice)
        url = self.url("readiness_request", episode_id=self.episode.pk)
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_query_count_does_not_grow_with_the_history(self) -> None:
        self.login(self.alice)
        self.client.get(self.page())
        for extra in (0, 15):
            if extra:
                fill_history(self.episode, sessions=extra)
                for n in range(5):
                    make_goal(self.plan, f"Goal {n}")
                fill_history(make_episode(make_client(self.alice, "Other", "Client")), sessions=3)
            # 1. session, 2. user, 3. membership, 4. the episode, 5. the audit row,
            # 6. current plan, 7. goals, 8. latest score per goal target, 9. outcome scores,
            # 10. attended count, 11. PHQ-9/GAD-7/feedback scores, 12. readiness requests.
            with self.assertNumQueries(12):
                response = self.client.get(self.page())
            self.assertEqual(response.status_code, 200)


class PortalReadinessTests(EndingsTestCase):
    def ask(self) -> ReadinessRequest:
        return ReadinessRequest.objects.create(
            episode=self.episode, client=self.dana, requested_by=self.alice
        )

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url("portal_readiness"))

    def test_staff_get_404(self) -> None:
        self.ask()
        self.assert_staff_get_404_on_portal(self.url("portal_readiness"))

    def test_the_client_answers_once_and_the_worry_is_encrypted(self) -> None:
        asked = self.ask()
        self.client.force_login(self.dana_portal)
        ending = self.client.get(self.url("portal_ending"))
        self.assertContains(ending, "Answer the questions")
        page = self.client.get(self.url("portal_readiness"))
        self.assertContains(page, "How ready do you feel to finish therapy?")
        response = self.client.post(
            self.url("portal_readiness"),
            {"readiness": "8", "worries": "Coping alone at Christmas"},
            follow=True,
        )
        self.assertContains(response, "Your therapist will talk it through with you.")
        asked.refresh_from_db()
        self.assertEqual(asked.readiness, 8)
        self.assertIsNotNone(asked.answered_at)
        with connection.cursor() as cursor:
            cursor.execute("SELECT worries FROM endings_readinessrequest WHERE id = %s", [asked.pk])
            raw = cursor.fetchone()[0]
        self.assertNotIn("alone at Christmas", raw)
        event = AuditEvent.objects.get(action="ending.readiness_answer")
        self.assertEqual(event.actor_id, self.dana_portal.pk)
        self.assertNotIn("Christmas", str(event.detail))
        # Answered: nothing is waiting any more, and a replay stores nothing new.
        again = self.client.post(self.url("portal_readiness"), {"readiness": "2"}, follow=True)
        self.assertContains(again, "There are no questions waiting for you.")
        asked.refresh_from_db()
        self.assertEqual(asked.readiness, 8)

    def test_bad_input_is_explained_and_nothing_is_stored(self) -> None:
        asked = self.ask()
        self.client.force_login(self.dana_portal)
        for data in ({}, {"readiness": "11"}, {"readiness": "x"}):
            response = self.client.post(self.url("portal_readiness"), data)
            self.assertContains(response, "Choose a number from 0 to 10.", status_code=400)
        asked.refresh_from_db()
        self.assertIsNone(asked.answered_at)

    def test_another_clients_questions_are_not_shown(self) -> None:
        self.ask()
        self.client.force_login(self.eli_portal)
        response = self.client.get(self.url("portal_readiness"))
        self.assertContains(response, "There are no questions waiting for you.")
        self.client.post(self.url("portal_readiness"), {"readiness": "5"})
        self.assertIsNone(ReadinessRequest.objects.get().answered_at)
