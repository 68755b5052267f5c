"""Issue 14: the log's client filter finds the rows of real actions, not only rows whose
caller named the client by hand (audit.log.record reads the client from the object)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.services.notes import sign_note
from continuum.measures.services import acknowledge
from continuum.measures.tests.test_alerts import make_alert
from continuum.measures.tests.world import PHQ9_8, MeasuresTestCase
from continuum.testing.base import make_appointment, make_note

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/London"))
REAL_ACTIONS = {"note.view", "note.sign", "measures.alert_acknowledge", "measures.complete"}


@time_machine.travel(NOW, tick=False)
class ClientFilterFindsRealRowsTests(MeasuresTestCase):
    def act(self) -> None:
        alice = actor_for(self.alice)
        self.session = make_appointment(
            self.dana, datetime(2026, 12, 6, 10, tzinfo=NOW.tzinfo), status="attended"
        )
        self.note = make_note(self.session)
        self.login(self.alice)
        response = self.client.get(reverse("care:note_detail", args=[self.note.pk]))
        self.assertEqual(response.status_code, 200)
        sign_note(self.note, actor=alice)
        acknowledge(make_alert(self.dana, self.episode, "overdue", "low", "a"), actor=alice)
        self.complete_in_session(PHQ9_8)
        # Someone else's row, which the filter must leave out.
        bob_session = make_appointment(self.finn, NOW, status="attended")
        sign_note(make_note(bob_session), actor=actor_for(self.bob))

    def test_the_log_page_finds_every_real_row_of_the_client(self) -> None:
        self.act()
        self.login(self.olivia)
        response = self.client.get(reverse("audit:log"), {"client": self.dana.pk})
        self.assertEqual(response.status_code, 200)
        codes = {line["code"] for line in response.context["rows"]}
        self.assertLessEqual(REAL_ACTIONS, codes)
        objects = [line["object"] for line in response.context["rows"]]
        self.assertIn(f"Client #{self.dana.pk}'s note of 6 Dec 2026 (#{self.note.pk})", objects)
        self.assertNotIn(f"Client #{self.finn.pk}", " ".join(objects))

    def test_the_csv_finds_every_real_row_of_the_client(self) -> None:
        self.act()
        self.login(self.olivia)
        response = self.client.get(reverse("exchange:audit_csv"), {"client": self.dana.pk})
        self.assertEqual(response.status_code, 200)
        body = response.getvalue().decode().lstrip("\ufeff")
        rows = list(csv.DictReader(io.StringIO(body)))
        self.assertLessEqual(REAL_ACTIONS, {row["Action"] for row in rows})
        finn_note = AuditEvent.objects.get(action="note.sign", actor=self.bob)
        self.assertNotIn(finn_note.object_id, {row["Object id"] for row in rows})

    def test_old_rows_that_named_the_client_as_client_are_found_too(self) -> None:
        # Written before one key: the row cannot be rewritten (the chain hashes it).
        AuditEvent.objects.create(
            actor=self.alice,
            actor_label=self.alice.email,
            practice_id=self.riverside.pk,
            action="reflection.view",
            object_type="reflection",
            object_id="7",
            detail={"client": self.dana.pk},
        )
        self.login(self.olivia)
        response = self.client.get(reverse("audit:log"), {"client": self.dana.pk})
        lines = [line for line in response.context["rows"] if line["code"] == "reflection.view"]
        self.assertEqual(
            [line["object"] for line in lines], [f"Reflection #7 of client #{self.dana.pk}"]
        )
