"""The termination summary: clinical and client versions, HTML and PDF, no reflection text."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.care.services.episodes import transition_episode
from continuum.endings import pdf as pdf_module
from continuum.endings import services
from continuum.endings.models import EndingReason
from continuum.endings.tests.world import EndingsTestCase, fill_history, today
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import make_client, make_episode

CANARY = "CANARY-END-42"

# Headings only the clinical version has.
CLINICAL_ONLY = (
    "Pre-termination discussion",
    "Review log",
    "Rationale:",
    "Clinical record: confidential",
    "Reason for the referral",
)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    """PDF text with line breaks and repeated spaces folded, for phrase checks."""
    return " ".join(text.split())


class SummaryTestCase(EndingsTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # A private reflection that must never appear in any version of the summary.
        Reflection.objects.create(
            author=cls.alice,
            client=cls.dana,
            kind=ReflectionKind.CONCERN,
            text=f"My private worry {CANARY}",
        )
        services.add_referral(
            cls.episode,
            name="Riverside Walking Group",
            service="Peer support",
            contact="01234 567890",
            reason="Keeps the activation going after therapy",
            actor=actor_for(cls.alice),
        )
        services.agree_termination_plan(
            cls.episode,
            terms=services.PlanTerms(
                reason=EndingReason.GOALS_MET,
                reason_other="",
                final_session_date=today() + timedelta(days=14),
                ending_discussed=True,
                feelings_explored=True,
                gains_reviewed=False,
                referrals_offered=True,
            ),
            actor=actor_for(cls.alice),
        )
        services.save_relapse_plan(
            cls.dana,
            episode=cls.episode,
            warning_signs="Staying in bed at weekends",
            what_helps="Walks with my sister",
            contacts="My GP; the walking group",
            booster_when="Two bad weeks in a row",
            shared_with_client=True,
            actor=actor_for(cls.alice),
        )

    def end_episode(self) -> None:
        transition_episode(self.episode, EpisodeStatus.ENDED, self.alice)


class SummaryPageTests(SummaryTestCase):
    def test_it_requires_login(self) -> None:
        for name in ("summary", "summary_pdf", "summary_client", "summary_client_pdf"):
            self.assert_login_required(self.url(name, episode_id=self.episode.pk))

    def test_it_rejects_other_therapists_and_the_client(self) -> None:
        for name in ("summary", "summary_pdf", "summary_client", "summary_client_pdf"):
            self.assert_outsiders_get_404(self.url(name, episode_id=self.episode.pk))

    def test_the_clinical_version_shows_the_whole_record(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url("summary", episode_id=self.episode.pk))
        self.assertContains(response, "Termination summary")
        self.assertContains(response, "Low mood after a bereavement")  # presenting concerns
        self.assertContains(response, "Feel like myself again")
        self.assertContains(response, "Target met at the latest score")
        self.assertContains(response, "Scheduled three walks a week")  # the review log
        self.assertContains(response, "The walks with my sister helped most")
        self.assertContains(response, "Reliable improvement")
        self.assertContains(response, "NHS Talking Therapies category: Reliably recovered")
        self.assertContains(response, 'src="data:image/svg+xml;base64,')  # the chart
        self.assertContains(response, "Pre-termination discussion")
        self.assertContains(response, "Keeps the activation going after therapy")
        self.assertContains(response, "Staying in bed at weekends")
        self.assertContains(response, "No follow-up agreed.")
        self.assertContains(response, "Draft: the episode has not ended.")
        self.assertNotContains(response, CANARY)

    def test_the_client_version_is_plain_and_leaves_clinical_sections_out(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url("summary_client", episode_id=self.episode.pk))
        self.assertContains(response, "Your therapy summary")
        self.assertContains(response, "What you said about it")
        self.assertContains(response, "The walks with my sister helped most")
        self.assertContains(response, "a real improvement, bigger than day-to-day ups and downs")
        self.assertContains(response, "Your plan for staying well")
        self.assertContains(response, "Riverside Walking Group")
        for text in (*CLINICAL_ONLY, "Scheduled three walks a week", "Session feedback"):
            self.assertNotContains(response, text)
        self.assertNotContains(response, "Keeps the activation going after therapy")
        self.assertNotContains(response, CANARY)

    def test_reading_and_exporting_are_audited_once_each(self) -> None:
        self.login(self.alice)
        self.client.get(self.url("summary", episode_id=self.episode.pk))
        self.client.get(self.url("summary_pdf", episode_id=self.episode.pk))
        actions = list(
            AuditEvent.objects.filter(action__startswith="ending.summary").values_list(
                "action", "detail"
            )
        )
        self.assertEqual(
            actions,
            [
                ("ending.summary_view", {"client_id": self.dana.pk, "version": "clinical"}),
                ("ending.summary_export", {"client_id": self.dana.pk, "version": "clinical"}),
            ],
        )

    def test_an_unknown_format_is_a_400(self) -> None:
        self.login(self.alice)
        url = self.url("summary", episode_id=self.episode.pk)
        self.assertEqual(self.client.get(url + "?format=docx").status_code, 400)

    def test_query_count_does_not_grow_with_the_history(self) -> None:
        self.login(self.alice)
        url = self.url("summary", episode_id=self.episode.pk)
        self.client.get(url)  # warm the chart cache and the session
        for extra in (0, 20):
            if extra:
                other = make_episode(make_client(self.alice, "Old", "Episode"))
                fill_history(other, sessions=4)
                fill_history(self.episode, sessions=extra)
            # 1. session, 2. user, 3. membership, 4. the episode (client, practice, therapist),
            # 5. the current plan, 6. goals, 7. latest score per goal target, 8. goal links,
            # 9. interventions, 10. reviews, 11. outcome scores, 12. attended count,
            # 13. chart scores, 14. chart markers, 15. termination plan, 16. referrals,
            # 17. unplanned ending, 18. relapse-prevention plan, 19. follow-up consent,
            # 20. the audit row.
            with self.assertNumQueries(20):
                response = self.client.get(url)
            self.assertEqual(response.status_code, 200)


class SummaryPdfTests(SummaryTestCase):
    def test_the_clinical_pdf_has_the_outcome_table_and_no_reflection(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url("summary_pdf", episode_id=self.episode.pk))
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("inline", response["Content-Disposition"])
        self.assertNotIn("Dawson", response["Content-Disposition"])
        text = squash(pdf_text(response.content))
        self.assertIn("Termination summary", text)
        self.assertIn("Outcome", text)
        self.assertIn("PHQ-9", text)
        self.assertIn("GAD-7", text)
        self.assertIn("Reliable improvement", text)
        self.assertIn("Reliably recovered", text)
        self.assertIn("Pre-termination discussion", text)
        self.assertNotIn(CANARY, text)
        self.assertNotIn(CANARY.encode(), response.content)

    def test_format_pdf_gives_the_same_document(self) -> None:
        self.login(self.alice)
        url = self.url("summary", episode_id=self.episode.pk) + "?format=pdf"
        response = self.client.get(url)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("Termination summary", squash(pdf_text(response.content)))

    def test_the_client_pdf_is_plain_and_has_no_clinical_sections(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url("summary_client_pdf", episode_id=self.episode.pk))
        text = squash(pdf_text(response.content))
        self.assertIn("Your therapy summary", text)
        self.assertIn("How your scores changed", text)
        self.assertIn("PHQ-9", text)
        for heading in CLINICAL_ONLY:
            self.assertNotIn(heading, text)
        self.assertNotIn(CANARY, text)

    def test_the_pdf_fetches_only_our_static_files(self) -> None:
        fetcher = pdf_module.static_only_fetcher()
        html = (
            '<link rel="stylesheet" href="/static/css/summary-print.css">'
            '<img src="https://example.com/tracker.png" alt="">'
            '<img src="http://127.0.0.1:1/x.png" alt="">'
            '<img src="file:///etc/passwd" alt="">'
            "<p>Hello</p>"
        )
        pdf = pdf_module.html_to_pdf(html, fetcher)
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(
            fetcher.fetched, [f"{pdf_module.PDF_BASE_URL}static/css/summary-print.css"]
        )
        self.assertEqual(
            sorted(fetcher.refused),
            ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.com/tracker.png"],
        )

    def test_the_fetcher_refuses_paths_outside_the_static_files(self) -> None:
        self.assertIsNone(pdf_module.static_file("../settings.py"))
        self.assertIsNone(pdf_module.static_file("/../../etc/passwd"))
        self.assertIsNotNone(pdf_module.static_file("css/summary-print.css"))


class PortalSummaryTests(SummaryTestCase):
    def test_staff_get_404(self) -> None:
        for name in ("portal_summary", "portal_summary_pdf"):
            self.assert_staff_get_404_on_portal(self.url(name))

    def test_it_waits_until_the_episode_has_ended(self) -> None:
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_summary"))
        self.assertContains(response, "Your summary is written when your therapy has finished.")
        self.assertNotContains(response, "Walks with my sister")

    def test_after_the_end_the_client_reads_the_client_version_only(self) -> None:
        self.end_episode()
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_summary"))
        self.assertContains(response, "Your therapy summary")
        self.assertContains(response, "Walks with my sister")
        self.assertContains(response, "Need help now?")  # the portal's frame
        for text in (*CLINICAL_ONLY, "Scheduled three walks a week"):
            self.assertNotContains(response, text)
        self.assertNotContains(response, CANARY)
        event = AuditEvent.objects.get(action="ending.summary_view")
        self.assertEqual(event.actor_id, self.dana_portal.pk)
        self.assertEqual(event.practice_id, self.riverside.pk)

    def test_the_client_pdf_after_the_end(self) -> None:
        self.end_episode()
        self.client.force_login(self.dana_portal)
        response = self.client.get(self.url("portal_summary_pdf"))
        text = squash(pdf_text(response.content))
        self.assertIn("Your therapy summary", text)
        self.assertNotIn("Pre-termination discussion", text)
        self.assertNotIn(CANARY, text)

    def test_another_clients_summary_never_shows(self) -> None:
        self.end_episode()
        self.client.force_login(self.eli_portal)
        response = self.client.get(self.url("portal_summary"))
        self.assertNotContains(response, "Walks with my sister")
        self.assertContains(response, "Your summary is written when your therapy has finished.")


class SummaryFollowUpTests(SummaryTestCase):
    def test_a_follow_up_consent_is_described(self) -> None:
        from django.apps import apps

        if not apps.is_installed("continuum.followup"):
            self.skipTest("the followup app is not installed")
        self.end_episode()
        model: Any = apps.get_model("followup", "FollowUpConsent")
        model.objects.create(
            client=self.dana,
            episode=self.episode,
            status="active",
            months=[1, 3, 6, 12],
            starts_on=today(),
            ends_on=today() + timedelta(days=400),
            consented_at=timezone.now(),
        )
        self.login(self.alice)
        response = self.client.get(self.url("summary", episode_id=self.episode.pk))
        self.assertContains(response, "Check-ins 1, 3, 6, 12 months after the end of therapy.")
        self.assertNotContains(response, "No follow-up agreed.")


@override_settings(STATIC_URL="/static/")
class StaticFileTests(EndingsTestCase):
    def test_the_print_stylesheet_exists(self) -> None:
        self.assertIsNotNone(pdf_module.static_file("css/summary-print.css"))
