"""Moving a caseload in: upload, preview, confirm or discard."""

from __future__ import annotations

import re
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.care.models import Client, Episode
from continuum.exchange.importing import parse_date
from continuum.exchange.models import ImportBatch, ImportStatus
from continuum.testing.base import BaseTestCase

HEADER = "first_name,last_name,date_of_birth,email,therapist_email,episode_start,referral_reason\n"


def upload(data: bytes, name: str = "clients.csv") -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


class ParseDateTests(BaseTestCase):
    def test_the_formats_a_spreadsheet_gives(self) -> None:
        self.assertEqual(parse_date("1990-04-30"), date(1990, 4, 30))
        self.assertEqual(parse_date("30/04/1990"), date(1990, 4, 30))
        self.assertEqual(parse_date("32993"), date(1990, 4, 30))  # Excel's serial day
        with self.assertRaises(ValueError):
            parse_date("04/30/1990")


class ImportTests(BaseTestCase):
    def preview(self, data: bytes, user=None):  # type: ignore[no-untyped-def]
        self.login(user or self.alice)
        return self.client.post(reverse("exchange:import_upload"), upload(data), follow=True)

    def test_preview_marks_each_row_and_writes_nothing(self) -> None:
        self.dana.date_of_birth = date(1985, 2, 1)
        self.dana.save()
        data = (
            HEADER + "Sam,Stone,30/04/1990,sam@example.net,,2026-01-15,Low mood\n"
            "Dana,Dawson,1985-02-01,,,,\n"
            ",Nameless,1990-13-01,not-an-email,bob@example.org,,\n"
        ).encode()
        before = Client.objects.count()
        response = self.preview(data)
        body = response.content.decode()
        self.assertIn("<strong>1</strong> will create a client", body)
        self.assertIn("Duplicate of an existing client", body)
        self.assertIn("<code>first_name</code>: Required.", body)
        self.assertIn("<code>date_of_birth</code>: Not a date", body)
        self.assertIn("<code>email</code>: Not an email address.", body)
        # A therapist imports onto their own caseload only.
        self.assertIn("<code>therapist_email</code>: Not a clinician you may assign", body)
        self.assertEqual(Client.objects.count(), before)
        batch = ImportBatch.objects.get()
        self.assertIn("Stone", batch.rows)
        # Kept encrypted, server-side: not in the URL, not readable in the database.
        self.assertNotIn("Stone", response.redirect_chain[0][0])
        with connection.cursor() as cursor:
            cursor.execute("SELECT rows FROM exchange_importbatch")
            (raw,) = cursor.fetchone()
        self.assertNotIn("Stone", raw)

    def test_confirm_writes_the_valid_rows_in_one_go_with_one_audit_row(self) -> None:
        data = (
            HEADER + "Sam,Stone,30/04/1990,,,2026-01-15,Low mood\nRay,Reed,,,,,\n,Bad,,,,,\n"
        ).encode()
        response = self.preview(data)
        batch = ImportBatch.objects.get()
        response = self.client.post(
            reverse("exchange:import_preview", args=[batch.pk]),
            {"action": "confirm", "mode": "all_or_nothing"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("1 row(s) have errors, so nothing was imported", response.content.decode())
        self.assertFalse(Client.objects.filter(last_name="Stone").exists())
        response = self.client.post(
            reverse("exchange:import_preview", args=[batch.pk]),
            {"action": "confirm", "mode": "valid_rows"},
            follow=True,
        )
        self.assertIn("2 clients imported.", response.content.decode())
        sam = Client.objects.get(last_name="Stone")
        self.assertEqual((sam.therapist, sam.date_of_birth), (self.alice, date(1990, 4, 30)))
        episode = Episode.objects.get(client=sam)
        self.assertEqual((episode.status, episode.start_date), ("referral", date(2026, 1, 15)))
        (event,) = AuditEvent.objects.filter(action="client.import")
        self.assertEqual(event.detail["clients"], 2)
        self.assertEqual(event.detail["episodes"], 1)
        batch.refresh_from_db()
        self.assertEqual((batch.status, batch.rows), (ImportStatus.IMPORTED, ""))
        # Confirming twice imports nothing more.
        again = self.client.post(
            reverse("exchange:import_preview", args=[batch.pk]), {"mode": "valid_rows"}
        )
        self.assertEqual(again.status_code, 404)
        self.assertEqual(Client.objects.filter(last_name="Stone").count(), 1)

    def test_an_owner_assigns_to_any_clinician_and_windows_1252_with_semicolons(self) -> None:
        data = (
            "First Name;Last Name;Date of birth;Therapist email\nZoë;Müller;46082;bob@example.org\n"
        ).encode("cp1252")
        response = self.preview(data, self.olivia)
        self.assertIn("<strong>1</strong> will create", response.content.decode())
        batch = ImportBatch.objects.get()
        self.client.post(
            reverse("exchange:import_preview", args=[batch.pk]),
            {"action": "confirm", "mode": "valid_rows"},
        )
        zoe = Client.objects.get(last_name="Müller")
        self.assertEqual((zoe.first_name, zoe.therapist), ("Zoë", self.bob))
        self.assertEqual(zoe.date_of_birth, date(2026, 3, 1))

    def test_markup_in_a_row_comes_back_escaped(self) -> None:
        response = self.preview((HEADER + '<script>alert(1)</script>,"<b>x</b>",,,,,\n').encode())
        body = response.content.decode()
        self.assertNotIn("<script>alert(1)</script>", body)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", body)

    def test_utf8_with_a_bom(self) -> None:
        response = self.preview(b"\xef\xbb\xbf" + (HEADER + "Ana,Ortiz,,,,,\n").encode())
        self.assertIn("<strong>1</strong> will create", response.content.decode())

    def test_malformed_files_get_a_clear_message_and_write_nothing(self) -> None:
        cases = {
            b"\x89PNG\r\n\x1a\n\x00\x00binary": "looks like a binary file",
            b"name,surname\nA,B\n": "does not match the template (missing first_name, last_name",
            b"x" * (5 * 1024 * 1024 + 1): "the limit is 5 MB",
            HEADER.encode(): "has a header but no rows",
        }
        for data, message in cases.items():
            response = self.preview(data)
            self.assertEqual(response.status_code, 400)
            self.assertIn(message, response.content.decode())
        self.assertFalse(ImportBatch.objects.exists())

    def test_discard_and_others_get_404(self) -> None:
        self.preview((HEADER + "Ana,Ortiz,,,,,\n").encode())
        batch = ImportBatch.objects.get()
        url = reverse("exchange:import_preview", args=[batch.pk])
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.alice)
        self.client.post(url, {"action": "discard"})
        batch.refresh_from_db()
        self.assertEqual((batch.status, batch.rows), (ImportStatus.DISCARDED, ""))
        self.assertFalse(Client.objects.filter(last_name="Ortiz").exists())

    def test_the_template_has_the_documented_header(self) -> None:
        self.login(self.alice)
        response = self.client.get(reverse("exchange:import_template"))
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        first = content.decode("utf-8-sig").splitlines()[0]
        self.assertTrue(re.match(r"^first_name,last_name,preferred_name,pronouns,", first))
