"""The status tables and the database's own guarantees."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from continuum.measures.models import (
    Alert,
    InvalidStatusChange,
    MeasureAssignment,
    check_administration_transition,
    check_alert_transition,
)
from continuum.measures.tests.world import MeasuresTestCase


class TransitionTests(MeasuresTestCase):
    def test_administration_transitions(self) -> None:
        self.assertEqual(check_administration_transition("pending", "completed"), "completed")
        self.assertEqual(check_administration_transition("pending", "expired"), "expired")
        self.assertEqual(check_administration_transition("completed", "superseded"), "superseded")
        for current, target in (
            ("completed", "pending"),
            ("superseded", "completed"),
            ("expired", "completed"),
            ("pending", "superseded"),
        ):
            with self.assertRaises(InvalidStatusChange):
                check_administration_transition(current, target)

    def test_alert_transitions(self) -> None:
        self.assertEqual(check_alert_transition("open", "acknowledged"), "acknowledged")
        self.assertEqual(check_alert_transition("open", "resolved"), "resolved")
        self.assertEqual(check_alert_transition("acknowledged", "resolved"), "resolved")
        with self.assertRaisesMessage(InvalidStatusChange, "resolved cannot become open"):
            check_alert_transition("resolved", "open")


class ConstraintTests(MeasuresTestCase):
    def alert(self, **extra: object) -> Alert:
        fields: dict[str, object] = {
            "client": self.dana,
            "episode": self.episode,
            "kind": "safety",
            "severity": "high",
            "severity_rank": 0,
            "cause": "safety:phq9:1",
            "message": "m",
        }
        fields.update(extra)
        return Alert.objects.create(**fields)

    def test_one_alert_per_cause(self) -> None:
        self.alert()
        with transaction.atomic(), self.assertRaises(IntegrityError):
            self.alert()
        self.alert(kind="overdue", severity="low")  # another kind, same cause string: fine

    def test_a_resolved_safety_alert_has_an_action(self) -> None:
        with transaction.atomic(), self.assertRaises(IntegrityError):
            self.alert(status="resolved")
        self.alert(status="resolved", action="contacted_client")

    def test_a_schedule_has_an_end(self) -> None:
        with transaction.atomic(), self.assertRaises(IntegrityError):
            MeasureAssignment.objects.create(
                episode=self.episode,
                instrument="phq9",
                cadence="weekly",
                starts_on=date(2026, 3, 2),
                created_by=self.alice,
            )
        with transaction.atomic(), self.assertRaises(IntegrityError):
            MeasureAssignment.objects.create(
                episode=self.episode,
                instrument="phq9",
                cadence="weekly",
                starts_on=date(2026, 3, 2),
                ends_on=date(2026, 3, 1),
                created_by=self.alice,
            )
