"""CSV downloads: opened with the csv module, as a spreadsheet would read them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.log import record
from continuum.audit.models import AuditEvent
from continuum.exchange.csv_out import neutralise
from continuum.measures.models import Alert
from continuum.measures.services import assign_measure, enter_in_session
from continuum.testing.base import BaseTestCase, make_appointment, make_client, make_episode


def read_csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


class NeutraliseTests(BaseTestCase):
    def test_formula_cells_get_a_leading_apostrophe(self) -> None:
        for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
            self.assertEqual(neutralise(text), "'" + text)
        self.assertEqual(neutralise("Dana"), "Dana")
        self.assertEqual(neutralise(-3), -3)  # numbers stay numbers
        self.assertEqual(neutralise(None), "")


class CaseloadCsvTests(BaseTestCase):
    def test_it_holds_the_filtered_caseload_with_formulas_neutralised(self) -> None:
        evil = make_client(self.alice, '=HYPERLINK("http://x")', "Active")
        make_episode(evil)
        make_episode(self.dana, status="referral")
        self.login(self.alice)
        response = self.client.get(reverse("exchange:caseload_csv") + "?status=active")
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        rows = read_csv(response)
        self.assertEqual(
            rows[0], ["Client", "Pronouns", "Episode", "Last session", "Next appointment"]
        )
        self.assertEqual(rows[1:], [['\'=HYPERLINK("http://x") Active', "", "Active", "", ""]])
        event = AuditEvent.objects.get(action="export.caseload")
        self.assertEqual(event.detail["rows"], 1)
        self.assertEqual(event.detail["status"], "active")

    def test_times_are_the_readers_local_times(self) -> None:
        make_appointment(self.dana, datetime(2026, 7, 1, 9, 0, tzinfo=UTC) + timedelta(days=3650))
        self.login(self.alice)
        (row,) = read_csv(self.client.get(reverse("exchange:caseload_csv")))[1:2]
        self.assertTrue(row[4].endswith("10:00"), row)  # Europe/London summer time

    def test_a_bad_filter_is_a_400_not_a_file(self) -> None:
        self.login(self.alice)
        response = self.client.get(reverse("exchange:caseload_csv") + "?sort=evil")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(AuditEvent.objects.filter(action="export.caseload").exists())

    def test_only_their_own_clients(self) -> None:
        self.login(self.bob)
        rows = read_csv(self.client.get(reverse("exchange:caseload_csv")))
        self.assertEqual([r[0] for r in rows[1:]], ["Finn Fischer"])


class ScoresAndAlertsCsvTests(BaseTestCase):
    def test_scores_with_bands(self) -> None:
        episode = make_episode(self.dana)
        admin = assign_measure(
            episode,
            instrument="phq9",
            cadence="once",
            starts_on=timezone.localdate(),
            actor=actor_for(self.alice),
        ).administrations.get()
        enter_in_session(admin, {str(k): 2 for k in range(1, 10)}, actor=actor_for(self.alice))
        self.login(self.alice)
        rows = read_csv(self.client.get(reverse("exchange:client_scores_csv", args=[self.dana.pk])))
        self.assertEqual(rows[0][:4], ["Completed", "Measure", "Total", "Band"])
        self.assertEqual(rows[1][1:4], ["PHQ-9", "18.0", "Moderately severe"])
        self.assertTrue(AuditEvent.objects.filter(action="export.client_scores").exists())

    def test_alerts_of_the_chosen_tab(self) -> None:
        for status in ("open", "resolved"):
            Alert.objects.create(
                client=self.dana,
                kind="deterioration",
                severity="medium",
                severity_rank=1,
                cause=status,
                message=f"-{status} alert",
                status=status,
            )
        self.login(self.alice)
        rows = read_csv(self.client.get(reverse("exchange:alerts_csv") + "?status=open"))
        self.assertEqual([r[2] for r in rows[1:]], ["'-open alert"])
        self.assertEqual(rows[1][3], "Dana Dawson")


class AuditCsvTests(BaseTestCase):
    def test_the_owner_gets_the_filtered_log(self) -> None:
        record(actor_for(self.alice), "client.update", self.dana, fields=["phone"])
        record(actor_for(self.alice), "wellbeing.weight", None)
        self.login(self.olivia)
        response = self.client.get(reverse("exchange:audit_csv") + "?action=client.update")
        rows = read_csv(response)
        self.assertEqual([r[2] for r in rows[1:]], ["client.update"])
        self.assertEqual(rows[1][7], '{"fields": ["phone"]}')
        self.assertEqual(AuditEvent.objects.get(action="export.audit").detail["rows"], 1)

    def test_therapists_get_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(reverse("exchange:audit_csv")).status_code, 404)
