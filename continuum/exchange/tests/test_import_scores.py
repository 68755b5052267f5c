"""Past scores in: upload a CSV, preview each row, confirm; scored by the engine, flagged as
imported, no alerts, one audit row."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.care.models import Episode
from continuum.exchange.models import ImportBatch
from continuum.measures import scoring
from continuum.measures.models import Administration, Alert
from continuum.measures.queries import scores_since
from continuum.measures.tests.world import make_score
from continuum.testing.base import BaseTestCase, make_episode

HEADER = "client_id,first_name,last_name,date_of_birth,instrument,date,total," + ",".join(
    f"item{n}" for n in range(1, 11)
)


def line(*cells: object) -> str:
    padded = [str(c) for c in cells] + [""] * (17 - len(cells))
    return ",".join(padded)


def upload(data: bytes, name: str = "scores.csv") -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


@time_machine.travel("2026-03-01 12:00Z", tick=False)
class ScoresImportTests(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana.date_of_birth = date(1985, 2, 1)
        cls.dana.save()
        cls.episode = make_episode(cls.dana, start_date=date(2026, 1, 5))
        make_episode(cls.finn)
        # Already here: Dana's PHQ-9 of 12 January.
        make_score(cls.episode, "phq9", 14, datetime(2026, 1, 12, 12, tzinfo=UTC))

    def preview(self, text: str, user: Any = None) -> Any:
        self.login(user or self.alice)
        return self.client.post(
            reverse("exchange:scores_upload"), upload(text.encode()), follow=True
        )

    def confirm(self, mode: str = "valid_rows") -> Any:
        batch = ImportBatch.objects.get(kind="scores")
        return self.client.post(
            reverse("exchange:scores_preview", args=[batch.pk]),
            {"action": "confirm", "mode": mode},
        )

    def test_preview_marks_each_row_and_writes_nothing(self) -> None:
        rows = [
            line(self.dana.pk, "", "", "", "phq9", "2025-11-03", "18"),
            line(
                "", "dana", "DAWSON", "01/02/1985", "GAD-7", "2025-11-03", "", 3, 2, 2, 3, 1, 2, 2
            ),
            line(self.dana.pk, "", "", "", "phq9", "2026-01-12", "9"),  # one that day already
            line(self.finn.pk, "", "", "", "phq9", "2025-11-03", "9"),  # Bob's client
            line(self.dana.pk, "", "", "", "bdi", "2025-11-03", "9"),
            line(self.dana.pk, "", "", "", "phq9", "2025-11-03", "28"),
            line(self.dana.pk, "", "", "", "gad7", "2025-11-04", "", 4),
            line(self.dana.pk, "", "", "", "gad7", "2027-01-01", "5"),
            line(self.dana.pk, "", "", "", "gad7", "2025-11-05"),
            line(self.dana.pk, "", "", "", "gad7", "2025-11-06", "5", 1, 1, 1, 1, 1, 1, 1),
        ]
        before = Administration.objects.count()
        body = self.preview("\n".join([HEADER, *rows]) + "\n").content.decode()
        self.assertIn("<strong>2</strong> will add a score", body)
        self.assertIn("Duplicate of an existing score", body)
        self.assertIn("<code>client_id</code>: Not one of your clients", body)
        self.assertIn("<code>instrument</code>: Not one of phq9", body)
        self.assertIn("<code>total</code>: Not a PHQ-9 total (0 to 27)", body)
        self.assertIn("<code>answers</code>:", body)  # a GAD-7 answer of 4 is out of range
        self.assertIn("<code>date</code>: In the future.", body)
        self.assertIn("<code>total</code>: Give the item answers (item1 …) or a total.", body)
        self.assertIn("<code>total</code>: Give the item answers or a total, not both.", body)
        self.assertIn("Imported scores raise no alerts", body)
        self.assertEqual(Administration.objects.count(), before)
        batch = ImportBatch.objects.get(kind="scores")
        self.assertEqual((batch.creates, batch.duplicates, batch.errors), (2, 1, 7))

    def test_a_client_without_an_episode_is_an_error_in_the_preview(self) -> None:
        # It was "will add" in the preview and then refused the whole import at confirm.
        Episode.objects.filter(client=self.dana).delete()
        body = self.preview(
            "\n".join([HEADER, line(self.dana.pk, "", "", "", "phq9", "2025-11-03", "18")]) + "\n"
        ).content.decode()
        self.assertIn("no episode of care to hold scores; add one first", body)
        batch = ImportBatch.objects.get(kind="scores")
        self.assertEqual((batch.creates, batch.errors), (0, 1))

    def test_confirm_writes_scored_flagged_rows_with_one_audit_row_and_no_alerts(self) -> None:
        safety = [3, 3, 3, 3, 2, 3, 2, 2, 3, 2]  # item 9 above 0: would raise a safety alert
        rows = [
            line(self.dana.pk, "", "", "", "phq9", "2025-11-03", "", *safety),
            line(self.dana.pk, "", "", "", "gad7", "2025-11-03", "15"),
            line(self.dana.pk, "", "", "", "bdi", "2025-11-03", "9"),
        ]
        self.preview("\n".join([HEADER, *rows]) + "\n")
        response = self.confirm("all_or_nothing")
        self.assertContains(
            response, "1 row(s) have errors, so nothing was imported", status_code=400
        )
        self.assertFalse(Administration.objects.filter(imported=True).exists())
        response = self.confirm()
        self.assertRedirects(response, reverse("care:caseload"), fetch_redirect_response=False)
        phq9 = Administration.objects.get(imported=True, instrument="phq9")
        engine = scoring.score("phq9", {str(n): v for n, v in enumerate(safety, start=1)})
        self.assertEqual((phq9.total, phq9.band, phq9.caseness), (engine.total, engine.band, True))
        self.assertTrue(phq9.safety)
        self.assertEqual(phq9.episode, self.episode)  # before the episode: its first
        self.assertEqual(phq9.status, "completed")
        assert phq9.completed_at is not None
        self.assertEqual(phq9.completed_at.date(), date(2025, 11, 3))
        gad7 = Administration.objects.get(imported=True, instrument="gad7")
        self.assertEqual(
            (gad7.total, gad7.band, gad7.caseness, gad7.answers), (15, "severe", True, {})
        )
        self.assertFalse(Alert.objects.exists())  # imported scores raise nothing
        event = AuditEvent.objects.get(action="measures.import")
        self.assertEqual(event.detail["administrations"], 2)
        self.assertEqual(event.detail["skipped"], 1)
        self.assertNotIn("15", str(event.detail["instruments"]))
        self.assertEqual(ImportBatch.objects.get(kind="scores").imported, 2)
        # The imported score is the baseline for reliable change from the episode's start.
        phq9_since = next(
            s for s in scores_since(self.episode, date(2026, 1, 5)) if s.instrument == "phq9"
        )
        self.assertEqual((phq9_since.baseline_id, phq9_since.baseline), (phq9.pk, phq9.total))
        # Wherever a score's source shows, an imported one says so.
        page = self.client.get(reverse("measures:client_measures", args=[self.dana.pk]))
        self.assertContains(page, "(imported)", count=2)
        answers = self.client.get(reverse("measures:administration_detail", args=[phq9.pk]))
        self.assertContains(answers, "imported from a file of past scores by")
        self.assertNotContains(answers, "entered in session")
        download: Any = self.client.get(reverse("exchange:client_scores_csv", args=[self.dana.pk]))
        text = b"".join(download.streaming_content).decode("utf-8-sig")
        csv_rows = list(csv.reader(text.splitlines()))
        self.assertEqual([r[4] for r in csv_rows[1:]].count("imported"), 2)

    def test_windows_1252_semicolons_and_excel_dates(self) -> None:
        text = f"client_id;instrument;date;total\n{self.dana.pk};phq9;45964;12\n"  # 3 Nov 2025
        self.preview(text.replace("\n", "\r\n"))
        self.confirm()
        admin = Administration.objects.get(imported=True)
        assert admin.completed_at is not None
        self.assertEqual((admin.total, admin.completed_at.date()), (12, date(2025, 11, 3)))

    def test_a_malformed_file_gets_a_clear_message_and_writes_nothing(self) -> None:
        response = self.preview("name,score\nDana,9\n")
        self.assertContains(response, "does not match the template", status_code=400)
        self.login(self.alice)
        response = self.client.post(
            reverse("exchange:scores_upload"), upload(b"\x00\x01binary" * 100)
        )
        self.assertContains(response, "binary", status_code=400)
        self.assertFalse(ImportBatch.objects.exists())

    def test_another_person_cannot_see_or_confirm_the_upload(self) -> None:
        self.preview(HEADER + "\n" + line(self.dana.pk, "", "", "", "phq9", "2025-11-03", "9"))
        batch = ImportBatch.objects.get(kind="scores")
        self.login(self.bob)
        url = reverse("exchange:scores_preview", args=[batch.pk])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, {"action": "confirm"}).status_code, 404)
        # Nor is it the clients import's to confirm.
        self.login(self.alice)
        clients_url = reverse("exchange:import_preview", args=[batch.pk])
        self.assertEqual(self.client.get(clients_url).status_code, 404)
        self.assertFalse(Administration.objects.filter(imported=True).exists())

    def test_the_template_has_the_documented_columns(self) -> None:
        self.login(self.alice)
        response = self.client.get(reverse("exchange:scores_template"))
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        header = body.decode().lstrip("\ufeff").splitlines()[0]
        self.assertTrue(header.startswith("client_id,first_name,last_name,date_of_birth"))
        self.assertIn("item20", header)  # PCL-5 has 20 items
