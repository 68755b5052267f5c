"""SECURITY.md promise 3 for the therapist's own records: they never leave their author.

A canary in a self-reflection, a session's private line and a consultation entry; then every
page without an id, and every wellbeing page with Alice's ids, as the owner, a colleague, a
therapist of another practice and a client through the portal; the audit rows; the mail
outbox; the log lines: 0 occurrences. And the owner sees no individual numbers anywhere.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.testing.base import make_portal_user
from continuum.tests.test_url_sweep import iter_routes
from continuum.wellbeing.models import ConsultationEntry, SelfReflection, WellbeingSettings
from continuum.wellbeing.tests.world import CANARY, LONDON, WellbeingTestCase, attended

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)  # a Monday


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@time_machine.travel(NOW, tick=False)
class CanaryTests(WellbeingTestCase):
    def setUp(self) -> None:
        self.capture = Capture()
        logging.getLogger().addHandler(self.capture)
        self.addCleanup(logging.getLogger().removeHandler, self.capture)
        self.dana_portal = make_portal_user(self.dana)
        self.session = attended(self.dana, NOW - timedelta(days=4))
        self.write_everything_as_alice()

    def write_everything_as_alice(self) -> None:
        self.client.force_login(self.alice)
        weight_url = reverse("wellbeing:session_weight", kwargs={"appointment_id": self.session.pk})
        self.client.post(weight_url, {"weight": 5, "private_line": f"Line {CANARY}"})
        self.client.post(
            "/me/reflections/new/", {"text": f"Reflection {CANARY}", "client": self.dana.pk}
        )
        self.client.post(
            "/me/consultations/",
            {
                "date": "2026-11-20",
                "kind": "peer",
                "with_whom": f"Group {CANARY}",
                "decided": f"Decided {CANARY}",
                "client": self.dana.pk,
            },
        )
        self.client.post(
            "/me/load/settings/",
            {
                "weekly_hours_limit": 20,
                "weight_threshold": "3.5",
                "weeks_running": 2,
                "heavy_sessions_per_week": 3,
                "prompts_enabled": "on",
                "digest_opt_in": "on",
                "share_anonymous_aggregates": "on",
            },
        )
        # Alice reads them all back (audit rows for the reads).
        self.reflection = SelfReflection.objects.get()
        self.entry = ConsultationEntry.objects.get()
        for url in self.own_urls():
            self.assertEqual(self.client.get(url).status_code, 200, url)
        self.assertContains(self.client.get(weight_url), CANARY)
        self.client.logout()
        self.assertEqual(WellbeingSettings.objects.get().digest_opt_in, True)

    def own_urls(self) -> list[str]:
        return [
            reverse("wellbeing:self_reflections"),
            reverse(
                "wellbeing:self_reflection_detail",
                kwargs={"self_reflection_id": self.reflection.pk},
            ),
            reverse(
                "wellbeing:self_reflection_edit", kwargs={"self_reflection_id": self.reflection.pk}
            ),
            reverse("wellbeing:consultations"),
            reverse("wellbeing:client_consultations", kwargs={"client_id": self.dana.pk}),
            reverse("wellbeing:consultation_edit", kwargs={"consultation_id": self.entry.pk}),
            reverse("wellbeing:session_weight", kwargs={"appointment_id": self.session.pk}),
            reverse("wellbeing:load"),
            reverse("wellbeing:digest"),
        ]

    def pages_without_ids(self) -> list[str]:
        return [reverse(name) for name, params in iter_routes() if not params]

    def crawl_as(self, person: Any) -> dict[str, str]:
        browser = HttpClient(raise_request_exception=False)
        browser.force_login(person)
        bodies = {}
        for url in self.pages_without_ids() + self.own_urls():
            response = browser.get(url)
            content = (
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
                if response.streaming
                else response.content
            )
            bodies[url] = content.decode(errors="replace")
        return bodies

    def test_the_canary_never_reaches_anyone_else(self) -> None:
        crawled = 0
        for person in (self.olivia, self.bob, self.charlie, self.dana_portal):
            for url, body in self.crawl_as(person).items():
                self.assertNotIn(CANARY, body, f"{person.email} saw the canary at {url}")
                crawled += 1
        self.assertGreater(crawled, 40)
        # The crawl does find the canary where it belongs: Alice's own pages.
        alices = self.crawl_as(self.alice)
        self.assertIn(CANARY, alices[reverse("wellbeing:self_reflections")])
        self.assertIn(CANARY, alices[reverse("wellbeing:consultations")])

    def test_the_canary_is_in_no_audit_row_email_or_log_line(self) -> None:
        call_command("send_wellbeing_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
        self.assertEqual(len(mail.outbox), 1)
        for email in mail.outbox:
            self.assertNotIn(CANARY, f"{email.subject}{email.body}")
            self.assertNotIn("Dana", f"{email.subject}{email.body}")
        events = list(AuditEvent.objects.all())
        self.assertGreater(len(events), 8)
        for event in events:
            stored = json.dumps(
                [event.action, event.object_type, event.object_id, event.actor_label, event.detail]
            )
            self.assertNotIn(CANARY, stored)
        self.assertNotIn(CANARY, "\n".join(self.capture.lines))

    def test_the_owner_sees_no_individual_number_anywhere(self) -> None:
        owner_pages = self.crawl_as(self.olivia)
        aggregate = owner_pages[reverse("wellbeing:practice")]
        self.assertIn("Not enough therapists have chosen to share", aggregate)
        for url, body in owner_pages.items():
            # Alice's weight and limit are hers: no page the owner reaches shows them.
            self.assertNotIn("Weight 5 of 5", body, url)
            self.assertNotIn("your limit: 20", body, url)
        # The audit log lists actions but never a value.
        audit_log = owner_pages[reverse("audit:log")]
        self.assertNotIn("weight=5", audit_log)
        self.assertNotIn("weekly_hours_limit", audit_log)
        self.assertNotIn("digest_opt_in", audit_log)
