"""One-time questionnaire links: the public page, its answers, and every way a link fails."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.measures import tokens
from continuum.measures.crisis import DEFAULT_CRISIS_RESOURCES
from continuum.measures.models import Administration, AdministrationStatus, Alert, AlertKind
from continuum.measures.services import correct_administration, stop_assignment
from continuum.measures.tests.world import PHQ9_8, MeasuresTestCase, phq9_answers


def post_answers(answers: dict[str, int | None]) -> dict[str, str]:
    return {f"item_{k}": str(v) for k, v in answers.items() if v is not None}


class LinkPageTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.admin = self.pending("phq9")
        self.url = self.link_for(self.admin)

    def assert_no_data(self, response: object) -> None:
        body = response.content.decode()  # type: ignore[attr-defined]
        for secret in ("Dana", "Dawson", "Alice", "Riverside", "PHQ-9", "Patient Health"):
            self.assertNotIn(secret, body)

    def test_it_shows_the_questionnaire_without_login(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn("Patient Health Questionnaire (PHQ-9)", body)
        self.assertIn("Over the last 2 weeks", body)
        self.assertIn("<legend>9. Thoughts that you would be better off dead", body)
        self.assertIn('type="radio"', body)
        # Links get forwarded: the page never names the client or the therapist.
        self.assertNotIn("Dana", body)
        self.assertNotIn("Alice", body)
        self.assertNotIn("<script", body.split("</head>")[1])
        self.assertNotIn('style="', body)
        self.assertIn("no-store", response["Cache-Control"])

    def test_it_shows_the_copyright_line_when_the_licence_requires_it(self) -> None:
        admin = self.pending("core10")
        body = self.client.get(self.link_for(admin)).content.decode()
        self.assertIn("© CORE System Trust", body)

    def test_it_scores_and_stores_the_answers(self) -> None:
        answers = phq9_answers(12)
        response = self.client.post(self.url, post_answers(answers))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Thank you")
        self.assertNotContains(response, "988")
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.COMPLETED)
        self.assertEqual(self.admin.total, 12)
        self.assertEqual(self.admin.band, "moderate")
        self.assertTrue(self.admin.caseness)
        self.assertFalse(self.admin.safety)
        self.assertIsNone(self.admin.entered_by)
        self.assertIsNotNone(self.admin.token_used_at)
        self.assertEqual(self.admin.answers, answers)
        event = AuditEvent.objects.get(action="measures.complete")
        self.assertIsNone(event.actor)
        self.assertEqual(event.detail["via"], "link")
        self.assertEqual(event.practice_id, self.riverside.pk)

    def test_a_safety_answer_raises_one_high_alert_and_shows_crisis_resources(self) -> None:
        response = self.client.post(self.url, post_answers(phq9_answers(10, item9=1)))
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn("988", body)
        self.assertIn("116 123", body)
        self.assertIn("999", body)
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.severity, alert.status), ("safety", "high", "open"))
        self.assertEqual(alert.client, self.dana)
        self.assertIn("item 9 was answered 1", alert.message)

    def test_the_practice_can_replace_the_crisis_resources(self) -> None:
        self.riverside.crisis_resources = "Call the Riverside crisis line on 0800 000 000"
        self.riverside.save()
        response = self.client.post(self.url, post_answers(phq9_answers(3, item9=2)))
        self.assertContains(response, "Riverside crisis line on 0800 000 000")
        self.assertNotContains(response, DEFAULT_CRISIS_RESOURCES[1])

    def test_missing_answers_beyond_the_rule_are_stored_without_a_total(self) -> None:
        answers = phq9_answers(6)
        for key in ("1", "2", "3"):
            answers[key] = None
        response = self.client.post(self.url, post_answers(answers))
        self.assertEqual(response.status_code, 200)
        self.admin.refresh_from_db()
        self.assertIsNone(self.admin.total)
        self.assertEqual(self.admin.reason, "3 of 9 items missing; at most 2 allowed")
        self.assertIsNone(self.admin.answers["1"])

    def test_two_missing_answers_are_prorated(self) -> None:
        answers = dict(PHQ9_8)
        answers["1"] = answers["2"] = None
        self.client.post(self.url, post_answers(answers))
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.total, 8)
        self.assertTrue(self.admin.prorated)

    def test_it_rejects_an_out_of_range_answer_and_stores_nothing(self) -> None:
        data = post_answers(PHQ9_8)
        data["item_3"] = "7"
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Select a valid choice", status_code=400)
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.PENDING)
        self.assertEqual(self.admin.answers, {})
        self.assertFalse(AuditEvent.objects.filter(action="measures.complete").exists())

    def test_it_rejects_an_unknown_item_and_stores_nothing(self) -> None:
        data = post_answers(PHQ9_8)
        data["item_42"] = "1"
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "not on this form", status_code=400)
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.PENDING)

    def test_a_used_link_gets_a_clear_page_and_no_data(self) -> None:
        self.client.post(self.url, post_answers(PHQ9_8))
        for method in ("get", "post"):
            response = getattr(self.client, method)(self.url, post_answers(PHQ9_8))
            self.assertEqual(response.status_code, 410)
            self.assertContains(response, "already been answered", status_code=410)
            self.assert_no_data(response)
        self.assertEqual(Administration.objects.filter(status="completed").count(), 1)

    def test_an_expired_link_gets_a_clear_page_and_no_data(self) -> None:
        with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
            response = self.client.get(self.url)
            self.assertEqual(response.status_code, 410)
            self.assertContains(response, "expired", status_code=410)
            self.assert_no_data(response)
            response = self.client.post(self.url, post_answers(PHQ9_8))
            self.assertEqual(response.status_code, 410)
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.PENDING)

    def test_a_link_still_works_just_before_it_expires(self) -> None:
        with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
            self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_a_tampered_link_gets_a_clear_page_and_no_data(self) -> None:
        token = self.url.rstrip("/").rsplit("/", 1)[1]
        for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", token + "x", "a:b:c"):
            response = self.client.get(reverse("measures:questionnaire", args=[bad]))
            self.assertEqual(response.status_code, 400, bad)
            self.assertContains(response, "does not work", status_code=400)
            self.assert_no_data(response)

    def test_a_token_for_another_administration_does_not_open_this_one(self) -> None:
        other = self.pending("gad7")
        self.link_for(other)
        other.refresh_from_db()
        # A well-signed token naming this administration with the other one's nonce.
        forged = tokens.make_token(self.admin.pk, other.token_nonce, timezone.now())
        response = self.client.get(reverse("measures:questionnaire", args=[forged]))
        self.assertEqual(response.status_code, 400)
        self.assert_no_data(response)

    def test_a_token_signed_with_another_salt_is_rejected(self) -> None:
        from django.core import signing

        forged = signing.dumps({"a": self.admin.pk, "n": self.admin.token_nonce})
        response = self.client.get(reverse("measures:questionnaire", args=[forged]))
        self.assertEqual(response.status_code, 400)

    def test_a_replaced_link_stops_working(self) -> None:
        new_url = self.link_for(self.admin)
        self.assertNotEqual(new_url, self.url)
        self.assertEqual(self.client.get(self.url).status_code, 400)
        self.assertEqual(self.client.get(new_url).status_code, 200)

    def test_a_superseded_administration_link_is_void(self) -> None:
        self.client.post(self.url, post_answers(PHQ9_8))
        self.admin.refresh_from_db()
        correct_administration(
            self.admin, phq9_answers(9), reason="Misread item 4", actor=actor_for(self.alice)
        )
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 410)
        self.assert_no_data(response)

    def test_a_withdrawn_administration_link_is_void(self) -> None:
        assert self.admin.assignment is not None
        stop_assignment(self.admin.assignment, actor=actor_for(self.alice))
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 410)
        self.assertContains(response, "no longer in use", status_code=410)
        self.assert_no_data(response)

    def test_a_link_stops_working_when_the_episode_ends(self) -> None:
        self.episode.status = "ended"
        self.episode.save()
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 410)
        self.assert_no_data(response)

    def test_the_same_link_is_shown_again_until_it_expires(self) -> None:
        self.login(self.alice)
        detail = reverse("measures:administration_detail", args=[self.admin.pk])
        first = self.client.get(detail).content.decode()
        second = self.client.get(detail).content.decode()
        self.assertIn(self.url, first)
        self.assertIn(self.url, second)

    def test_a_safety_answer_then_a_zero_leaves_the_alert_open(self) -> None:
        self.client.post(self.url, post_answers(phq9_answers(10, item9=2)))
        later = self.pending("phq9")
        self.client.post(self.link_for(later), post_answers(phq9_answers(4, item9=0)))
        alert = Alert.objects.get(kind=AlertKind.SAFETY)
        self.assertEqual(alert.status, "open")
        self.assertEqual(Alert.objects.filter(kind=AlertKind.SAFETY).count(), 1)


class GoalRatingLinkTests(MeasuresTestCase):
    def test_the_goals_typed_are_the_questions_and_their_mean_is_the_score(self) -> None:
        admin = self.pending("goal_rating", goal_labels=["Sleep <b>better</b>", "See friends"])
        url = self.link_for(admin)
        body = self.client.get(url).content.decode()
        self.assertIn("<legend>1. Sleep &lt;b&gt;better&lt;/b&gt;</legend>", body)
        self.assertIn("0 \N{EN DASH} Not at all close", body)
        self.assertEqual(body.count('name="item_2"'), 11)
        self.client.post(url, {"item_1": "4", "item_2": "7"})
        admin.refresh_from_db()
        self.assertEqual((admin.status, admin.total), ("completed", 5.5))
        self.assertEqual(admin.answers, {"1": 4, "2": 7})
