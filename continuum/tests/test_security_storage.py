"""SECURITY.md promise 19, as a person sees it: when the disk is full, a form answers a calm
503 page ("nothing was saved"), stores nothing, and works again once there is room.

The disk is "full" through PRAGMA max_page_count on the test connection (SQLite only; the file
database version of this test, with a separate writer process, is test_security_durability).
"""

from __future__ import annotations

import unittest

from django.db import connection

from continuum.audit.models import AuditEvent
from continuum.portal.models import CheckIn
from continuum.portal.tests.world import PortalTestCase, checkin_data

CHECKIN_URL = "/portal/check-in/"


@unittest.skipUnless(connection.vendor == "sqlite", "max_page_count is SQLite's")
class DiskFullTests(PortalTestCase):
    def fill_the_disk(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA page_count")
            cursor.execute(f"PRAGMA max_page_count = {cursor.fetchone()[0]}")

    def make_room(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")

    def tearDown(self) -> None:
        self.make_room()
        super().tearDown()

    def test_a_check_in_on_a_full_disk_gets_a_calm_503_and_stores_nothing(self) -> None:
        self.login(self.dana_user)
        self.client.post(CHECKIN_URL, checkin_data())  # earlier data
        earlier = list(CheckIn.objects.values_list("pk", "mood"))
        audit_rows = AuditEvent.objects.count()
        self.fill_the_disk()

        # Big notes until the database cannot grow (the first may fit in a page's free space).
        for n in range(50):
            data = checkin_data() | {"note": "x" * 1900, "idempotency_key": f"full-disk-{n:06d}"}
            before = CheckIn.objects.count()
            response = self.client.post(CHECKIN_URL, data)
            if response.status_code != 302:
                break
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "60")
        self.assertContains(response, "This could not be saved just now", status_code=503)
        self.assertContains(response, "Nothing you sent was saved", status_code=503)
        self.assertNotIn(b"Traceback", response.content)
        self.assertIn("Content-Security-Policy", response)
        # Nothing partial: no check-in and no audit row for the refused one; earlier rows intact.
        self.assertEqual(CheckIn.objects.count(), before)
        self.assertFalse(CheckIn.objects.filter(idempotency_key=data["idempotency_key"]).exists())
        self.assertEqual(AuditEvent.objects.count(), audit_rows + before - len(earlier))
        self.assertEqual(
            list(
                CheckIn.objects.filter(pk__in=[pk for pk, _ in earlier]).values_list("pk", "mood")
            ),
            earlier,
        )

        self.make_room()
        response = self.client.post(CHECKIN_URL, data)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(CheckIn.objects.filter(idempotency_key=data["idempotency_key"]).exists())
