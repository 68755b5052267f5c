"""Bulk export ($export): kick-off, the task queue's worker, status, manifest, files, cancel,
expiry, audit; never a reflection or the therapist's wellbeing data (the canary)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from continuum.api.tests.world import CANARY, ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment
from continuum.fhir.bulk import expire_exports, exportable_types
from continuum.fhir.models import ExportFile, ExportJob
from continuum.fhir.tests.test_fhir import validate
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.tasks import queued, run_worker
from continuum.wellbeing.models import SelfReflection, SessionWeight

BASE = "/fhir/r4"
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


class BulkExportTests(ApiTestCase):
    attended_appt: Appointment

    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice, ["fhir:read"])
        self.attended_appt = Appointment.objects.get(client=self.dana, status="attended")
        # More canaries: a self-reflection (psychotherapy notes) and the therapist's own
        # wellbeing (a session weight's private line, a wellbeing self-reflection).
        Reflection.objects.create(
            author=self.alice,
            client=self.dana,
            kind=ReflectionKind.SELF_REFLECTION,
            text=f"self {CANARY}",
        )
        SessionWeight.objects.create(
            therapist=self.alice, appointment=self.attended_appt, weight=5, private_line=CANARY
        )
        SelfReflection.objects.create(author=self.alice, client=self.dana, text=CANARY)

    def get(self, url: str, secret: str | None = None, **extra: Any) -> Any:
        return self.client.get(
            url.removeprefix("http://testserver"),
            HTTP_AUTHORIZATION=f"Bearer {secret or self.secret}",
            **extra,
        )

    def kickoff(self, path: str = "/$export", secret: str | None = None, **query: str) -> Any:
        url = BASE + path
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        with self.captureOnCommitCallbacks(execute=True):
            return self.get(url, secret, **ASYNC)

    def status_path(self, response: Any) -> str:
        location = str(response["Content-Location"])
        self.assertTrue(location.startswith("http"), location)
        return "/" + location.split("/", 3)[3]

    def export(self, path: str = "/$export", **query: str) -> dict[str, Any]:
        response = self.kickoff(path, **query)
        self.assertEqual(response.status_code, 202, response.content)
        status = self.status_path(response)
        waiting = self.get(status)
        self.assertEqual(waiting.status_code, 202)
        self.assertEqual(waiting["X-Progress"], "0% (queued)")
        run_worker()
        done = self.get(status)
        self.assertEqual(done.status_code, 200, done.content)
        return dict(done.json())

    def files(self, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for output in manifest["output"]:
            response = self.get(output["url"])
            self.assertEqual(response.status_code, 200, output)
            self.assertEqual(response["Content-Type"], "application/fhir+ndjson")
            body = response.content.decode()
            self.assertNotIn(CANARY, body)
            lines = [json.loads(line) for line in body.splitlines()]
            self.assertEqual(len(lines), output["count"])
            found.setdefault(output["type"], []).extend(lines)
        return found

    def test_system_export_end_to_end(self) -> None:
        manifest = self.export()
        self.assertTrue(manifest["requiresAccessToken"])
        self.assertTrue(manifest["request"].endswith("/fhir/r4/$export"))
        self.assertIn("transactionTime", manifest)
        found = self.files(manifest)
        # Every type the server searches by patient joins the export by itself (Dana has no
        # Flag, Consent or DocumentReference: no open safety alert, follow-up or ending).
        self.assertLessEqual(set(found), set(exportable_types()))
        self.assertLessEqual(
            {
                "Patient",
                "Practitioner",
                "Organization",
                "EpisodeOfCare",
                "Appointment",
                "QuestionnaireResponse",
                "Observation",
                "Encounter",
                "CarePlan",
                "Goal",
                "Questionnaire",
            },
            set(found),
        )
        for resources in found.values():
            for resource in resources:
                validate(resource)
        patients = {r["id"] for r in found["Patient"]}
        self.assertIn(str(self.dana.pk), patients)
        self.assertNotIn(str(self.eli.pk), patients)  # another practice
        dana = f"Patient/{self.dana.pk}"
        dana_totals = [
            o
            for o in found["Observation"]
            if o["subject"]["reference"] == dana and o["code"]["coding"][0]["code"] == "44261-6"
        ]
        self.assertEqual(len(dana_totals), 2)
        self.assertEqual([o["id"] for o in found["Organization"]], [str(self.riverside.pk)])
        # The same resources as $everything gives for Dana.
        everything = self.get(f"{BASE}/Patient/{self.dana.pk}/$everything").json()
        dana_refs = {
            f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in everything["entry"]
        }
        exported = {f"{r['resourceType']}/{r['id']}" for rs in found.values() for r in rs}
        self.assertLessEqual(dana_refs, exported)
        # Stored encrypted: the raw table holds no name.
        with connection.cursor() as cursor:
            cursor.execute("SELECT content FROM fhir_exportfile")
            raw = " ".join(row[0] for row in cursor.fetchall())
        self.assertNotIn("Dawson", raw)
        self.assertNotIn(CANARY, raw)
        # Audited: the kick-off and each download, structurally.
        start = AuditEvent.objects.get(action="fhir.export_start")
        self.assertEqual(start.detail["level"], "system")
        downloads = AuditEvent.objects.filter(action="fhir.export_download")
        self.assertEqual(downloads.count(), len(manifest["output"]))
        for event in AuditEvent.objects.filter(action__startswith="fhir."):
            self.assertNotIn("Dawson", json.dumps(event.detail))
            self.assertNotIn(CANARY, json.dumps(event.detail))

    def test_group_export_and_the_group(self) -> None:
        group = self.get(f"{BASE}/Group/{self.riverside.pk}")
        self.assertEqual(group.status_code, 200)
        validate(group.json())
        members = [m["entity"]["reference"] for m in group.json()["member"]]
        self.assertIn(f"Patient/{self.dana.pk}", members)
        manifest = self.export(f"/Group/{self.riverside.pk}/$export", _type="Patient,Observation")
        found = self.files(manifest)
        self.assertEqual(set(found), {"Patient", "Observation"})
        charlie = make_token(self.charlie, ["fhir:read"])
        self.assertEqual(self.get(f"{BASE}/Group/{self.riverside.pk}", charlie).status_code, 404)
        self.assertEqual(
            self.kickoff(f"/Group/{self.riverside.pk}/$export", charlie).status_code, 404
        )

    def test_since_leaves_out_older_rows(self) -> None:
        later = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = self.export(_since=later, _type="Observation,Patient")
        self.assertEqual(manifest["output"], [])
        earlier = (timezone.now() - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = self.export(_since=earlier, _type="QuestionnaireResponse")
        self.assertEqual(sum(o["count"] for o in manifest["output"]), 2)

    def test_bad_kickoffs_are_refused_and_store_nothing(self) -> None:
        no_prefer = self.get(f"{BASE}/$export")
        self.assertEqual(no_prefer.status_code, 400)
        self.assertIn("respond-async", no_prefer.json()["issue"][0]["diagnostics"])
        for query in (
            {"_typeFilter": "Observation%3Fcode%3D1"},
            {"patient": "Patient/1"},
            {"_type": "Reflection"},
            {"_type": ""},
            {"_since": "yesterday"},
            {"_since": "2026-01-01T00:00:00"},
            {"_outputFormat": "text/csv"},
            # Hostile values (the query-parameter guard, test_security_injection.py).
            {"_since": "0001-01-01T00:00:00+14:00"},
            {"_since": "9999-12-31T23:59:59-14:00"},
            {"_since": "2026-13-45T00:00:00Z"},
            {"_type": "Patient,'; DROP TABLE care_client; --"},
            {"_type": "<script>alert(1)</script>"},
        ):
            with self.subTest(query=query):
                response = self.kickoff(**query)
                self.assertEqual(response.status_code, 400, response.content)
                validate(response.json())
        self.assertEqual(ExportJob.objects.count(), 0)
        no_fhir = make_token(self.alice, ["clients:read"])
        self.assertEqual(self.get(f"{BASE}/$export", no_fhir).status_code, 403)
        anonymous = self.client.get(f"{BASE}/$export", HTTP_PREFER="respond-async")
        self.assertEqual(anonymous.status_code, 401)

    def test_only_the_owner_reaches_status_and_files(self) -> None:
        manifest = self.export()
        job = ExportJob.objects.get()
        file_url = manifest["output"][0]["url"]
        for other in (self.bob, self.olivia, self.charlie):
            secret = make_token(other, ["fhir:read"])
            self.assertEqual(self.get(f"{BASE}/bulk/{job.pk}", secret).status_code, 404)
            self.assertEqual(self.get(file_url, secret).status_code, 404)
        self.assertEqual(self.client.get(file_url).status_code, 401)

    def test_delete_cancels_and_deletes(self) -> None:
        response = self.kickoff()
        status = self.status_path(response)
        cancelled = self.client.delete(status, HTTP_AUTHORIZATION=f"Bearer {self.secret}")
        self.assertEqual(cancelled.status_code, 202)
        self.assertEqual(self.get(status).status_code, 404)
        self.assertEqual(len(queued("continuum.fhir.bulk.run_export")), 1)
        run_worker()  # the queued task finds nothing to do
        self.assertEqual(ExportFile.objects.count(), 0)
        self.assertTrue(AuditEvent.objects.filter(action="fhir.export_delete").exists())
        # After a finished export too: the files go with it.
        self.export()
        job = ExportJob.objects.get()
        self.assertGreater(job.files.count(), 0)
        self.client.delete(f"{BASE}/bulk/{job.pk}", HTTP_AUTHORIZATION=f"Bearer {self.secret}")
        self.assertEqual(ExportFile.objects.count(), 0)

    def test_files_expire_after_the_setting(self) -> None:
        with self.settings(CONTINUUM_BULK_EXPORT_TTL_HOURS=2):
            manifest = self.export()
        self.assertEqual(expire_exports(timezone.now() + timedelta(hours=1)), "deleted 0")
        self.assertEqual(self.get(manifest["output"][0]["url"]).status_code, 200)
        later = timezone.now() + timedelta(hours=2, minutes=1)
        self.assertEqual(expire_exports(later), "deleted 1")
        self.assertEqual(ExportFile.objects.count(), 0)
        self.assertEqual(self.get(manifest["output"][0]["url"]).status_code, 404)

    def test_large_types_are_split_into_parts(self) -> None:
        from continuum.fhir import bulk

        original = bulk.PART_SIZE
        bulk.PART_SIZE = 1
        try:
            manifest = self.export(_type="Observation")
        finally:
            bulk.PART_SIZE = original
        self.assertEqual([o["count"] for o in manifest["output"]], [1] * len(manifest["output"]))
        self.assertGreaterEqual(len(manifest["output"]), 2)
