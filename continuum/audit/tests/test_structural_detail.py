"""Audit details hold structural facts only (issue 14; SECURITY.md promise 8).

The check lives in `audit.log.record`, so every audited action the suite exercises is checked
(AUDIT_DETAIL_STRICT is on under tests); these tests pin the check itself, and that a check-in's
mood, the value the owner once saw in the audit log, is no longer written.
"""

from __future__ import annotations

from django.test import override_settings

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.audit.log import ClinicalDetail, record
from continuum.audit.models import AuditEvent
from continuum.lib.actor import Actor
from continuum.portal.services import record_checkin
from continuum.portal.tests.world import PortalTestCase


class StructuralDetailTests(PortalTestCase):
    def test_clinical_values_and_free_text_are_refused(self) -> None:
        system: Actor[User] = Actor.system()
        for detail in (
            {"mood": 7},
            {"score": 14},
            {"total": 21},
            {"rating": 2},
            {"weight": 4},
            {"severity": "high"},
            {"note": "ok"},
            {"why": "I need to talk before our next session"},
            {"changed": {"text": "x"}},
            {"items": ["fine", "not great at all"]},
        ):
            with self.subTest(detail=detail), self.assertRaises(ClinicalDetail):
                record(system, "test.action", **detail)
        self.assertEqual(AuditEvent.objects.filter(action="test.action").count(), 0)

    def test_structural_facts_are_kept(self) -> None:
        event = record(
            Actor.system(),
            "test.action",
            client_id=12,
            status="not_on_track",
            fields=["email", "phone"],
            starts_on="2026-12-06",
            reason="idle",
            flagged=True,
            hours=1.5,
        )
        self.assertEqual(event.detail["fields"], ["email", "phone"])
        self.assertEqual(event.detail["reason"], "idle")

    @override_settings(AUDIT_DETAIL_STRICT=False)
    def test_in_production_the_value_is_dropped_and_only_its_key_logged(self) -> None:
        with self.assertLogs("continuum.audit.log", level="ERROR") as logs:
            event = record(Actor.system(), "test.action", client_id=3, mood=7)
        self.assertEqual(event.detail, {"client_id": 3})
        self.assertIn("['mood']", logs.output[0])
        self.assertNotIn("7", logs.output[0].split("removed:")[1])

    def test_a_check_in_writes_no_mood_into_the_audit_row(self) -> None:
        record_checkin(
            self.dana,
            {"mood": 3, "idempotency_key": "a-test-key-of-16-chars"},
            actor=actor_for(self.dana_user),
        )
        event = AuditEvent.objects.get(action="checkin.create")
        self.assertNotIn("mood", event.detail)
        self.assertNotIn(3, event.detail.values())
