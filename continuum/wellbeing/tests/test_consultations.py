"""The consultation log: supervision and peer consultation, with whom, what was decided."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.wellbeing.models import ConsultationEntry
from continuum.wellbeing.tests.world import CANARY, WellbeingTestCase, raw_value

LOG = "/me/consultations/"


class ConsultationTests(WellbeingTestCase):
    def setUp(self) -> None:
        self.entry = ConsultationEntry.objects.create(
            therapist=self.alice,
            client=self.dana,
            date=date(2026, 11, 2),
            kind="supervision",
            with_whom="Dr Supervisor",
            decided=f"Keep going {CANARY}",
        )
        self.client_url = reverse(
            "wellbeing:client_consultations", kwargs={"client_id": self.dana.pk}
        )
        self.edit_url = reverse(
            "wellbeing:consultation_edit", kwargs={"consultation_id": self.entry.pk}
        )

    def test_it_requires_login(self) -> None:
        for url in (LOG, self.client_url, self.edit_url):
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                self.assertRedirects(
                    response, f"/accounts/login/?next={url}", fetch_redirect_response=False
                )

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for url in (self.client_url, self.edit_url):
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url, {"with_whom": "x"})
                    self.assertEqual(response.status_code, 404, f"{outsider} {method} {url}")
            listing = self.client.get(LOG)
            self.assertNotContains(listing, CANARY)
            self.assertNotContains(listing, "Dr Supervisor")
        self.assertEqual(ConsultationEntry.objects.count(), 1)

    def test_log_a_consultation_about_a_client(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            LOG,
            {
                "date": "2026-11-10",
                "kind": "peer",
                "with_whom": "Monday peer group",
                "decided": "Try a graded exposure plan",
                "client": self.dana.pk,
            },
        )
        self.assertRedirects(response, LOG, fetch_redirect_response=False)
        entry = ConsultationEntry.objects.exclude(pk=self.entry.pk).get()
        self.assertEqual(
            (entry.therapist, entry.client, entry.kind, entry.date),
            (self.alice, self.dana, "peer", date(2026, 11, 10)),
        )
        page = self.client.get(LOG)
        self.assertContains(page, "Monday peer group")
        self.assertContains(page, "Try a graded exposure plan")
        self.assertContains(page, "Peer consultation")
        event = AuditEvent.objects.get(action="wellbeing.consultation.create")
        self.assertEqual(event.detail, {"client_id": self.dana.pk})

    def test_the_clients_page_lists_and_logs_for_that_client_only(self) -> None:
        ConsultationEntry.objects.create(
            therapist=self.alice, date=date(2026, 11, 3), kind="peer", with_whom="Group"
        )
        self.login(self.alice)
        page = self.client.get(self.client_url)
        self.assertContains(page, "Consultations about Dana Dawson")
        self.assertContains(page, "Dr Supervisor")
        self.assertNotContains(page, "Group")
        self.assertNotContains(page, 'name="client"')
        self.client.post(
            self.client_url,
            {
                "date": "2026-11-11",
                "kind": "supervision",
                "with_whom": "Supervisor",
                "client": self.finn.pk,
            },
        )
        newest = ConsultationEntry.objects.latest("pk")
        self.assertEqual(newest.client, self.dana)  # the page's client, whatever was sent
        self.assertContains(
            self.client.get(reverse("care:client_detail", kwargs={"client_id": self.dana.pk})),
            self.client_url,
        )

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        for data, message in (
            ({"date": tomorrow, "kind": "peer", "with_whom": "G"}, "has not happened yet"),
            (
                {"date": "2026-11-10", "kind": "gossip", "with_whom": "G"},
                "Choose supervision or peer consultation.",
            ),
            ({"date": "2026-11-10", "kind": "peer", "with_whom": ""}, "Say whom you consulted."),
            ({"date": "not a date", "kind": "peer", "with_whom": "G"}, "Enter a date like"),
            ({"date": "2026-11-10", "kind": "peer", "with_whom": "x" * 201}, "Keep this to 200"),
            (
                {"date": "2026-11-10", "kind": "peer", "with_whom": "G", "decided": "x" * 2001},
                "Keep this to 2,000",
            ),
            (
                {"date": "2026-11-10", "kind": "peer", "with_whom": "G", "client": self.finn.pk},
                "Choose one of your own clients",
            ),
        ):
            response = self.client.post(LOG, data)
            self.assertContains(response, message, status_code=400)
        self.assertEqual(ConsultationEntry.objects.count(), 1)

    def test_edit(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get(self.edit_url), f"Keep going {CANARY}")
        self.client.post(
            self.edit_url,
            {
                "date": "2026-11-02",
                "kind": "peer",
                "with_whom": "Dr Supervisor",
                "decided": "Changed",
                "client": self.dana.pk,
            },
        )
        self.entry.refresh_from_db()
        self.assertEqual((self.entry.kind, self.entry.decided), ("peer", "Changed"))
        event = AuditEvent.objects.get(action="wellbeing.consultation.update")
        self.assertEqual(event.detail, {"fields": ["kind", "decided"], "client_id": self.dana.pk})

    def test_what_was_decided_is_encrypted_at_rest(self) -> None:
        stored = raw_value("wellbeing_consultationentry", "decided", self.entry.pk)
        self.assertNotIn(CANARY, stored)
