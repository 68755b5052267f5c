from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import Actor, actor_for
from continuum.audit import chain
from continuum.audit.log import record
from continuum.audit.models import AuditEvent
from continuum.testing.base import BaseTestCase, make_appointment, make_note

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


class AuditLogPageTests(BaseTestCase):
    url = reverse("audit:log")

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        with time_machine.travel(at(2026, 7, 1, 9, 0), tick=False):
            record(actor_for(cls.alice), "client.view", cls.dana)
        with time_machine.travel(at(2026, 7, 2, 23, 30), tick=False):
            record(actor_for(cls.bob), "note.sign", cls.finn)
        with time_machine.travel(at(2026, 7, 3, 0, 30), tick=False):
            record(Actor.system(), "reminder.send", practice=cls.riverside, count=3)
        with time_machine.travel(at(2026, 7, 3, 10, 0), tick=False):
            record(
                actor_for(cls.charlie), "client.view", cls.eli
            )  # Hilltop: never on Olivia's page

    def rows(self, params: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        response = self.client.get(self.url, params or {})
        self.assertEqual(response.status_code, 200)
        return [(line["who"], line["code"]) for line in response.context["rows"]]

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_it_rejects_non_owners(self) -> None:
        for person in (self.alice, self.bob):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(AuditEvent.objects.filter(action="audit.view").count(), 0)

    def test_it_shows_the_owners_practice_newest_first(self) -> None:
        self.login(self.olivia)

        response = self.client.get(self.url)

        self.assertEqual(
            [(line["who"], line["code"]) for line in response.context["rows"]],
            [
                ("system", "reminder.send"),
                ("bob@example.org", "note.sign"),
                ("alice@example.org", "client.view"),
            ],
        )
        self.assertContains(response, "2 Jul 2026, 23:30")  # in Olivia's zone (London, BST)
        self.assertContains(response, "count: 3")
        self.assertContains(response, f"Client #{self.dana.pk}")
        self.assertNotContains(response, "charlie@example.org")

    def test_a_therapists_own_wellbeing_never_shows_to_the_owner(self) -> None:
        record(actor_for(self.alice), "wellbeing.weight.rate", practice=self.riverside, weight_id=1)
        self.login(self.olivia)

        self.assertNotIn(("alice@example.org", "wellbeing.weight.rate"), self.rows())
        self.assertNotIn(("alice@example.org", "wellbeing.weight.rate"), self.rows({"action": ""}))
        self.assertTrue(AuditEvent.objects.filter(action="wellbeing.weight.rate").exists())

    def test_another_owner_sees_only_their_practice(self) -> None:
        self.login(self.charlie)
        self.assertEqual(self.rows(), [("charlie@example.org", "client.view")])

    def test_reading_the_log_is_audited(self) -> None:
        self.login(self.olivia)

        self.client.get(self.url)

        event = AuditEvent.objects.get(action="audit.view")
        self.assertEqual((event.actor, event.practice), (self.olivia, self.riverside))
        self.assertEqual(event.detail, {"page": 1, "count": 3})
        # The next visit shows the previous one.
        self.assertEqual(self.rows()[0], ("olivia@example.org", "audit.view"))

    def test_it_filters_by_actor(self) -> None:
        self.login(self.olivia)
        self.assertEqual(
            self.rows({"actor": self.bob.membership.pk}), [("bob@example.org", "note.sign")]
        )
        self.assertEqual(self.rows({"actor": "system"}), [("system", "reminder.send")])

    def test_it_filters_by_action(self) -> None:
        self.login(self.olivia)
        self.assertEqual(
            self.rows({"action": "client.view"}), [("alice@example.org", "client.view")]
        )

    def test_the_action_choices_are_the_practices_actions(self) -> None:
        self.login(self.olivia)
        response = self.client.get(self.url)
        for action in ("client.view", "note.sign", "reminder.send"):
            self.assertContains(response, f'<option value="{action}">')
        record(actor_for(self.charlie), "only.in.hilltop")
        self.assertNotContains(self.client.get(self.url), "only.in.hilltop")

    def test_it_filters_by_days_in_the_owners_time_zone(self) -> None:
        # 00:30 on 3 July in London is 23:30 on 2 July in UTC: it belongs to Olivia's 3 July.
        self.login(self.olivia)
        self.assertEqual(
            self.rows({"date_from": "2026-07-02", "date_to": "2026-07-02"}),
            [("bob@example.org", "note.sign")],
        )
        self.assertEqual(
            self.rows({"date_from": "2026-07-03", "date_to": "2026-07-03"}),
            [("system", "reminder.send")],
        )
        self.assertEqual(
            self.rows({"date_to": "2026-07-01"}), [("alice@example.org", "client.view")]
        )

    def test_bad_filters_are_a_400_with_a_message(self) -> None:
        self.login(self.olivia)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"actor": "abc"}, "Select a valid choice."),
            ({"actor": self.charlie.membership.pk}, "Select a valid choice."),
            ({"action": "'; DROP TABLE audit_auditevent; --"}, "Select a valid choice."),
            ({"action": "only.in.hilltop"}, "Select a valid choice."),
            ({"date_from": "2026-02-30"}, "Enter a valid date."),
            ({"date_to": "yesterday"}, "Enter a valid date."),
            (
                {"date_from": "2026-07-05", "date_to": "2026-07-01"},
                "The end date cannot be before the start date.",
            ),
        ]
        for params, message in cases:
            response = self.client.get(self.url, params)
            self.assertContains(response, message, status_code=400, msg_prefix=str(params))
            self.assertNotContains(response, "note.sign</td>", status_code=400)
        self.assertFalse(AuditEvent.objects.filter(action="audit.view").exists())

    def test_it_pages_by_fifty(self) -> None:
        for _ in range(60):
            record(actor_for(self.alice), "client.view", self.dana)
        self.login(self.olivia)

        first = self.client.get(self.url, {"action": "client.view"})
        second = self.client.get(self.url, {"action": "client.view", "page": "2"})

        self.assertEqual(len(first.context["rows"]), 50)
        self.assertEqual(len(second.context["rows"]), 11)
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, "action=client.view&amp;page=2")

    def _count_queries(self) -> None:
        self.login(self.olivia)
        # 1 session, 2 user, 3 the owner's membership (decorator), 4 the practice's members
        # (actor choices), 5 the distinct actions (action choices), 6 count (paginator),
        # 7 the page of rows, 8 the audit.view row
        with self.assertNumQueries(8):
            response = self.client.get(self.url, {"date_from": "2026-01-01"})
        self.assertEqual(response.status_code, 200)

    def test_its_query_count_is_constant_for_few_rows(self) -> None:
        self._count_queries()

    def test_its_query_count_is_constant_for_many_rows(self) -> None:
        for i in range(120):
            record(
                actor_for(self.alice if i % 2 else None),
                f"action.{i % 7}",
                self.dana,
                practice=self.riverside,
            )
        self._count_queries()

    def test_old_rows_with_clinical_values_show_only_their_structural_facts(self) -> None:
        # record() refuses a mood or free text now (test_structural_detail.py); a row written
        # before that rule may hold some, and cannot be rewritten (the chain hashes it), so the
        # page and the CSV show only its structural keys.
        content = {
            "at": timezone.now(),
            "actor_id": self.alice.pk,
            "actor_label": self.alice.email,
            "practice_id": self.dana.practice_id,
            "action": "checkin.create",
            "object_type": "checkin",
            "object_id": "41",
            "ip": None,
            "flagged": False,
            "detail": {
                "mood": 7,
                "how_are_you": "<b>Awful</b> since Tuesday",
                "free": "Slept badly again",
                "checkin_id": 41,
            },
            "nonce": "0" * 32,
        }
        AuditEvent.objects.create(**content, content_hash=chain.content_hash(content))
        chain.seal_pending()
        self.login(self.olivia)
        response = self.client.get(self.url, {"action": "checkin.create"})
        (line,) = response.context["rows"]
        self.assertEqual(line["details"], "checkin id: 41")
        for text in ("mood", "Awful", "Slept", "Tuesday", "how are you"):
            self.assertNotContains(response, text)
        csv_response = self.client.get(reverse("exchange:audit_csv"), {"action": "checkin.create"})
        body = csv_response.getvalue().decode()
        self.assertIn('"{""checkin_id"": 41}"', body)
        for text in ("mood", "Awful", "Slept", "how_are_you"):
            self.assertNotIn(text, body)
        out = StringIO()
        call_command("audit_verify", stdout=out)  # the row itself is untouched
        self.assertEqual(AuditEvent.objects.get(action="checkin.create").detail["mood"], 7)

    def test_a_wide_range_finds_everything(self) -> None:
        self.login(self.olivia)
        start = (at(2026, 7, 1) - timedelta(days=400)).date().isoformat()
        self.assertEqual(len(self.rows({"date_from": start, "date_to": "2026-12-31"})), 3)

    # Issue 14: names for actions, one-line local times, readable objects, a client filter.
    def test_rows_read_as_words(self) -> None:
        record(
            actor_for(self.alice),
            "measures.alert_acknowledge",
            None,
            client_id=self.dana.pk,
            in_reply_to=None,
            marked_read=[],
        )
        self.login(self.olivia)
        response = self.client.get(self.url)
        body = response.content.decode()
        self.assertIn("Alert acknowledged", body)
        self.assertIn(f"Client #{self.dana.pk}", body)
        self.assertNotIn("in_reply_to", body)  # empty facts say nothing
        self.assertNotIn("marked_read", body)
        self.assertContains(response, '<span title="client.view">Client viewed</span>', html=True)
        self.assertRegex(body, r">\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}</time>")

    def test_it_filters_by_client(self) -> None:
        record(actor_for(self.alice), "note.view", None, client_id=self.dana.pk)
        self.login(self.olivia)
        rows = self.rows({"client": str(self.dana.pk)})
        self.assertIn(("alice@example.org", "note.view"), rows)
        self.assertTrue(all(code in {"client.view", "note.view"} for _who, code in rows), rows)
        response = self.client.get(self.url, {"client": "x"})
        self.assertEqual(response.status_code, 400)

    def test_notes_and_appointments_are_named_by_their_session_day(self) -> None:
        session = make_appointment(self.dana, at(2026, 12, 3, 10), status="attended")
        note = make_note(session)
        record(actor_for(self.alice), "note.view", note, client_id=self.dana.pk)
        record(actor_for(self.alice), "appointment.update", session, client_id=self.dana.pk)
        self.login(self.olivia)
        # Two queries more than a page without them: the notes' and the appointments' days.
        with self.assertNumQueries(10):
            response = self.client.get(self.url)
        self.assertContains(
            response, f"Client #{self.dana.pk}&#x27;s note of 3 Dec 2026 (#{note.pk})"
        )
        self.assertContains(
            response, f"Client #{self.dana.pk}&#x27;s appointment of 3 Dec 2026 (#{session.pk})"
        )
