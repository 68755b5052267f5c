"""SECURITY.md promise 4: every audit row names a person or "system", and every row chains."""

from __future__ import annotations

import pyotp
from django.core.cache import cache
from django.urls import reverse

from continuum.accounts.models import User
from continuum.audit import chain
from continuum.audit.log import SYSTEM
from continuum.audit.models import AuditEvent
from continuum.measures.services import raise_overdue_alerts
from continuum.measures.tests.world import MeasuresTestCase, phq9_answers
from continuum.testing.base import PASSWORD, TOTP_SECRET, make_appointment, make_note

SECOND_FACTOR = "/accounts/2fa/authenticate/"


class EveryRowNamesItsActorTests(MeasuresTestCase):
    def setUp(self) -> None:
        cache.clear()  # allauth's login rate limits live in the cache

    def make_traffic(self) -> set[str]:
        """A representative day: logins, record reads and writes, the owner, a client link."""
        note = make_note(make_appointment(self.dana))
        link = self.link_for(self.pending("phq9"))
        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": "nope"})
        self.client.post("/accounts/login/", {"login": "nobody@example.org", "password": "x"})
        response = self.client.post(
            "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
        )
        if response.get("Location", "").startswith(SECOND_FACTOR):
            self.client.post(SECOND_FACTOR, {"code": pyotp.TOTP(TOTP_SECRET).now()})
        self.assertEqual(self.client.session.get("_auth_user_id"), str(self.alice.pk))
        for url in (
            reverse("care:caseload"),
            reverse("care:client_detail", args=[self.dana.pk]),
            reverse("care:episode_detail", args=[self.episode.pk]),
            reverse("care:note_detail", args=[note.pk]),
            reverse("care:client_detail", args=[self.finn.pk]),  # a denial (404)
        ):
            self.client.get(url)
        self.client.post(reverse("care:note_sign", args=[note.pk]), {"confirmed": "yes"})
        self.client.post("/accounts/logout/")
        self.login(self.olivia)
        self.client.get(reverse("audit:log"))
        self.client.logout()
        answers = {f"item_{k}": str(v) for k, v in phq9_answers(9).items() if v is not None}
        self.client.post(link, answers)  # the client, anonymous: a system row
        raise_overdue_alerts()
        return set(AuditEvent.objects.values_list("action", flat=True))

    def test_every_row_names_a_person_or_the_system(self) -> None:
        actions = self.make_traffic()

        self.assertGreaterEqual(
            actions, {"login", "login.failed", "logout", "audit.view", "measures.complete"}
        )
        rows = list(AuditEvent.objects.order_by("pk"))
        self.assertGreaterEqual(len(rows), 12)
        emails = dict(User.objects.values_list("pk", "email"))
        for row in rows:
            with self.subTest(action=row.action, pk=row.pk):
                if row.actor_id is None:
                    self.assertEqual(row.actor_label, SYSTEM)
                else:
                    self.assertEqual(row.actor_label, emails[row.actor_id])
        people = {row.actor_label for row in rows}
        self.assertGreaterEqual(people, {"alice@example.org", "olivia@example.org", SYSTEM})

    def test_every_row_carries_its_hash_and_chains(self) -> None:
        self.make_traffic()

        chain.seal_pending()

        for row in AuditEvent.objects.all():
            self.assertEqual(chain.content_hash(chain.event_content(row)), row.content_hash)
        report = chain.verify()
        self.assertTrue(report.intact, report.problems)
        self.assertEqual(report.sealed, AuditEvent.objects.count())
