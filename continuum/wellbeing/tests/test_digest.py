"""The weekly private digest: opt-in, numbers only, at most one per therapist per ISO week."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from unittest import mock

import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from continuum.accounts.models import Membership
from continuum.audit.models import AuditEvent
from continuum.wellbeing import services
from continuum.wellbeing.models import DigestSent, SelfReflection, WellbeingSettings
from continuum.wellbeing.tests.world import CANARY, LONDON, WellbeingTestCase, attended, rate

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=LONDON)  # Monday morning
LAST_MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=LONDON)


@time_machine.travel(NOW, tick=False)
class DigestTests(WellbeingTestCase):
    def setUp(self) -> None:
        WellbeingSettings.objects.create(therapist=self.alice, digest_opt_in=True)
        WellbeingSettings.objects.create(therapist=self.charlie, digest_opt_in=True)
        WellbeingSettings.objects.create(therapist=self.bob, digest_opt_in=False)
        rate(attended(self.dana, LAST_MONDAY, minutes=60), 4, line=f"Heavy {CANARY}")
        rate(attended(self.dana, LAST_MONDAY + timedelta(days=1)), 2)
        attended(self.dana, NOW - timedelta(hours=1))  # this week: not in last week's digest
        SelfReflection.objects.create(author=self.alice, text=f"Private {CANARY}")

    def run_command(self) -> str:
        out = StringIO()
        call_command("send_wellbeing_digests", stdout=out)
        return out.getvalue()

    def test_opted_in_therapists_get_one_email_each_per_week(self) -> None:
        self.assertEqual(self.run_command().strip(), "2 digest(s) sent, 0 failed.")
        self.assertEqual(self.run_command().strip(), "0 digest(s) sent, 0 failed.")
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["alice@example.org", "charlie@example.org"]
        )
        self.assertEqual(
            set(DigestSent.objects.values_list("therapist__email", "week")),
            {("alice@example.org", "2026-W47"), ("charlie@example.org", "2026-W47")},
        )
        # A week later: the next week's digest.
        with time_machine.travel(NOW + timedelta(weeks=1), tick=False):
            self.run_command()
        self.assertEqual(len(mail.outbox), 4)

    def test_the_email_holds_numbers_and_a_question_and_nothing_clinical(self) -> None:
        self.run_command()
        email = next(m for m in mail.outbox if m.to == ["alice@example.org"])
        self.assertEqual(email.subject, "Your week in numbers: 16 Nov to 22 Nov 2026")
        body = email.body
        for line in (
            "Sessions: 2",
            "Hours: 1.8 (your limit: 25)",
            "Sessions rated: 2",
            "Average weight: 3.0 of 5",
            "Heavy sessions: 1",
            "Alerts handled: 0",
        ):
            self.assertIn(line, body)
        self.assertIn("A question to reflect on:", body)
        for secret in ("Dana", "Dawson", CANARY, "Heavy CANARY", "Private"):
            self.assertNotIn(secret, body)
            self.assertNotIn(secret, email.subject)

    def test_idempotent_even_when_two_runs_overlap(self) -> None:
        recipients = list(services.digest_recipients())
        for s in recipients + recipients:
            services.send_digest(s, now=NOW)
        self.assertEqual(len(mail.outbox), 2)

    def test_a_failed_send_is_retried_on_the_next_run(self) -> None:
        down = mock.patch("continuum.wellbeing.services.send_mail", side_effect=OSError("down"))
        logged = self.assertLogs("continuum.wellbeing.services", "ERROR")
        with down, logged as logs, self.assertRaises(CommandError):
            self.run_command()
        self.assertFalse(DigestSent.objects.exists())
        self.assertNotIn(CANARY, "\n".join(logs.output))
        self.assertNotIn("alice@example.org", "\n".join(logs.output))
        self.run_command()
        self.assertEqual(len(mail.outbox), 2)

    def test_inactive_therapists_get_nothing(self) -> None:
        Membership.objects.filter(user=self.charlie).update(is_active=False)
        self.run_command()
        self.assertEqual([m.to for m in mail.outbox], [["alice@example.org"]])

    def test_the_audit_row_is_the_systems_and_names_no_practice(self) -> None:
        self.run_command()
        events = AuditEvent.objects.filter(action="wellbeing.digest.send")
        self.assertEqual(events.count(), 2)
        for event in events:
            self.assertIsNone(event.actor)
            self.assertIsNone(event.practice_id)
            self.assertEqual(event.detail, {"week": "2026-W47"})

    def test_the_digest_page_shows_the_same(self) -> None:
        self.login(self.alice)
        response = self.client.get("/me/digest/")
        self.assertContains(response, "Your week in numbers")
        self.assertContains(response, "Monday 16 November to Sunday 22 November 2026")
        self.assertContains(response, "<dt>Sessions</dt><dd>2</dd>", html=True)
        self.assertContains(response, "3.0 of 5")
        self.assertNotContains(response, "Dana")
        self.assertContains(response, "You also get this by email each week")

    def test_the_digest_page_requires_login(self) -> None:
        self.assertRedirects(
            self.client.get("/me/digest/"),
            "/accounts/login/?next=/me/digest/",
            fetch_redirect_response=False,
        )
