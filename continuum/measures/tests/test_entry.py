"""The therapist's side of an administration: the page, the link, entry in session, correction."""

from __future__ import annotations

from django.urls import reverse

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.measures.models import Administration, AdministrationStatus, Alert
from continuum.measures.services import MeasureError, correct_administration, enter_in_session
from continuum.measures.tests.world import PHQ9_8, PHQ9_18, MeasuresTestCase, phq9_answers
from continuum.testing.base import make_appointment


def post_answers(answers: dict[str, int | None]) -> dict[str, str]:
    return {f"item_{k}": str(v) for k, v in answers.items() if v is not None}


class AdministrationPageTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.admin = self.pending("phq9")
        self.urls = {
            name: reverse(f"measures:{name}", args=[self.admin.pk])
            for name in (
                "administration_detail",
                "administration_link",
                "administration_enter",
                "administration_correct",
            )
        }

    def test_it_requires_login(self) -> None:
        for url in self.urls.values():
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 302, url)
                self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def test_it_rejects_other_therapists(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for url in self.urls.values():
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url, post_answers(PHQ9_8))
                    self.assertEqual(response.status_code, 404, f"{outsider} {method} {url}")
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.PENDING)
        self.assertEqual(self.admin.token_nonce, "")

    def test_the_page_shows_a_pending_administration_and_records_the_read(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.urls["administration_detail"])
        self.assertContains(response, "Patient Health Questionnaire (PHQ-9)")
        self.assertContains(response, "Pending")
        self.assertContains(response, "No link has been made yet.")
        self.assertContains(response, "Enter answers in session")
        event = AuditEvent.objects.get(action="measures.administration_view")
        self.assertEqual(event.object_id, str(self.admin.pk))

    def test_making_a_link_shows_it_and_is_audited(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.urls["administration_link"]).status_code, 405)
        response = self.client.post(self.urls["administration_link"], follow=True)
        self.admin.refresh_from_db()
        self.assertTrue(self.admin.token_nonce)
        self.assertContains(response, "http://127.0.0.1:8000/q/")
        self.assertContains(response, "A new one-time link is ready to send")
        event = AuditEvent.objects.get(action="measures.link_issue")
        self.assertNotIn(self.admin.token_nonce, str(event.detail))

    def test_no_link_for_an_answered_questionnaire(self) -> None:
        enter_in_session(self.admin, PHQ9_8, actor=actor_for(self.alice))
        self.login(self.alice)
        response = self.client.post(self.urls["administration_link"], follow=True)
        self.assertContains(response, "Links can be made only for questionnaires still to be")
        self.assertNotContains(response, "/q/")


class EntryTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.admin = self.pending("phq9")
        self.url = reverse("measures:administration_enter", args=[self.admin.pk])

    def test_the_form_has_a_labelled_radio_group_per_item(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        body = response.content.decode()
        self.assertEqual(body.count("<fieldset"), 10)
        self.assertEqual(body.count("<legend>"), 10)
        self.assertIn('<label for="id_item_9_1"><input type="radio" name="item_9" value="1"', body)
        self.assertIn("Several days", body)

    def test_the_therapist_enters_answers_in_session(self) -> None:
        make_appointment(
            self.dana,
            self.admin.due_at.replace(year=2025),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )
        self.login(self.alice)
        response = self.client.post(self.url, post_answers(PHQ9_18))
        self.assertRedirects(
            response,
            reverse("measures:administration_detail", args=[self.admin.pk]),
            fetch_redirect_response=False,
        )
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.COMPLETED)
        self.assertEqual(self.admin.entered_by, self.alice)
        self.assertEqual(self.admin.total, 18)
        self.assertEqual(self.admin.band, "moderately_severe")
        self.assertEqual(self.admin.session_number, 1)
        page = self.client.get(response["Location"]).content.decode()
        self.assertIn("entered in session by Alice Adams", page)
        self.assertIn("<strong>18</strong> (Moderately severe)", page)
        self.assertIn("2 \N{EN DASH} More than half the days", page)
        event = AuditEvent.objects.get(action="measures.complete")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(
            event.detail,
            {
                "via": "session",
                "instrument": "phq9",
                "alerts": [],
                "resolved_alerts": [],
                "client_id": self.dana.pk,
            },
        )

    def test_bad_answers_rerender_with_the_error_and_store_nothing(self) -> None:
        self.login(self.alice)
        data = post_answers(PHQ9_8)
        data["item_2"] = "-1"
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, 'id="id_item_2_error"', status_code=400)
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.PENDING)

    def test_an_answered_questionnaire_cannot_be_entered_again(self) -> None:
        enter_in_session(self.admin, PHQ9_8, actor=actor_for(self.alice))
        with self.assertRaises(MeasureError):
            enter_in_session(self.admin, PHQ9_18, actor=actor_for(self.alice))
        self.login(self.alice)
        response = self.client.post(self.url, post_answers(PHQ9_18))
        self.assertEqual(response.status_code, 302)
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.total, 8)


class CorrectionTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.admin = self.complete_in_session(PHQ9_8)
        self.url = reverse("measures:administration_correct", args=[self.admin.pk])

    def test_a_correction_supersedes_and_keeps_the_original(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get(self.url), "Reason for the correction")
        data = post_answers(phq9_answers(11))
        data["reason"] = "Item 4 was read back wrongly"
        response = self.client.post(self.url, data)
        new = Administration.objects.get(supersedes=self.admin)
        self.assertRedirects(
            response,
            reverse("measures:administration_detail", args=[new.pk]),
            fetch_redirect_response=False,
        )
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.status, AdministrationStatus.SUPERSEDED)
        self.assertEqual(self.admin.total, 8)  # the old answers are never edited
        self.assertEqual(self.admin.answers, PHQ9_8)
        self.assertEqual((new.status, new.total), (AdministrationStatus.COMPLETED, 11))
        self.assertEqual(new.correction_reason, "Item 4 was read back wrongly")
        self.assertEqual(new.due_at, self.admin.due_at)
        old_page = self.client.get(
            reverse("measures:administration_detail", args=[self.admin.pk])
        ).content.decode()
        self.assertIn("Superseded", old_page)
        self.assertIn("These answers were corrected.", old_page)
        new_page = self.client.get(response["Location"]).content.decode()
        self.assertIn("Item 4 was read back wrongly", new_page)
        event = AuditEvent.objects.get(action="measures.correct")
        self.assertEqual(event.detail["supersedes"], self.admin.pk)
        self.assertNotIn("read back", str(event.detail))

    def test_the_reason_is_required(self) -> None:
        self.login(self.alice)
        data = post_answers(phq9_answers(11))
        data["reason"] = "   "
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Say why the answers are being corrected.", status_code=400)
        self.assertFalse(Administration.objects.filter(supersedes=self.admin).exists())
        with self.assertRaises(MeasureError):
            correct_administration(self.admin, PHQ9_8, reason="", actor=actor_for(self.alice))

    def test_a_superseded_administration_cannot_be_corrected_again(self) -> None:
        correct_administration(
            self.admin, phq9_answers(9), reason="Typo", actor=actor_for(self.alice)
        )
        self.admin.refresh_from_db()
        with self.assertRaises(MeasureError):
            correct_administration(
                self.admin, phq9_answers(10), reason="Again", actor=actor_for(self.alice)
            )
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)

    def test_a_correction_with_a_safety_answer_raises_one_alert_per_occasion(self) -> None:
        first = correct_administration(
            self.admin,
            phq9_answers(9, item9=1),
            reason="Item 9 missed",
            actor=actor_for(self.alice),
        )
        correct_administration(
            first, phq9_answers(10, item9=2), reason="Again", actor=actor_for(self.alice)
        )
        self.assertEqual(Alert.objects.filter(kind="safety").count(), 1)
