"""Bulk export ($export): kick-off, the task queue's worker, status, manifest, files, cancel,
expiry, audit; never a reflection or the therapist's wellbeing data (the canary)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from random import Random
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.http import HttpRequest
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from continuum.accounts.actors import Channel, actor_for
from continuum.api.tests.world import CANARY, ApiTestCase, fill_record, make_token
from continuum.audit.models import AuditEvent
from continuum.care.access import clients_for
from continuum.care.models import Appointment
from continuum.fhir.bulk import (
    Heartbeat,
    Stopped,
    _as_request,
    expire_exports,
    exportable_types,
    fail,
    run_export,
)
from continuum.fhir.care_mappers import observation_lines, observation_rows
from continuum.fhir.mappers import ndjson, questionnaire_response, questionnaire_response_line
from continuum.fhir.models import ExportFile, ExportJob, ExportStatus
from continuum.fhir.tests.test_fhir import validate
from continuum.fhir.tests.test_fhir_resources import NewWorld, schema_errors
from continuum.fhir.views import READS
from continuum.followup.tests.world import make_followup
from continuum.measures.instruments import INSTRUMENTS
from continuum.measures.models import Alert
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import make_appointment, make_client
from continuum.testing.tasks import queued, run_worker
from continuum.wellbeing.models import SelfReflection, SessionWeight

BASE = "/fhir/r4"
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


class BulkWorld(ApiTestCase):
    """Alice's token, more canaries, and helpers to kick off, run and read an export."""

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


class BulkExportTests(BulkWorld):
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
        # Every resource of a real export (the Observations written by the fast path too)
        # is valid against the fhir.resources models and the official R4 JSON schema.
        for resources in found.values():
            for resource in resources:
                validate(resource)
                self.assertEqual(schema_errors(resource), [])
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

    def test_files_are_stored_gzipped_and_sent_gzipped_to_who_accepts_it(self) -> None:
        manifest = self.export(_type="Patient,Observation")
        for output in manifest["output"]:
            plain = self.get(output["url"])
            packed = self.get(output["url"], HTTP_ACCEPT_ENCODING="gzip, deflate")
            self.assertEqual(packed["Content-Encoding"], "gzip")
            self.assertIn("Accept-Encoding", packed["Vary"])
            self.assertFalse(plain.has_header("Content-Encoding"))
            self.assertEqual(gzip.decompress(packed.content), plain.content)
            self.assertTrue(plain.content.endswith(b"}\n"))
        self.assertEqual(set(ExportFile.objects.values_list("gzipped", flat=True)), {True})
        # A file written before files were gzipped reads the same.
        job = ExportJob.objects.get()
        old = ExportFile.objects.create(
            job=job, resource_type="Patient", part=9, count=1, content='{"a":"ü"}\n'
        )
        url = f"{BASE}/bulk/{job.pk}/{old.pk}.ndjson"
        self.assertEqual(self.get(url).content.decode(), '{"a":"ü"}\n')
        packed = self.get(url, HTTP_ACCEPT_ENCODING="gzip")
        self.assertEqual(gzip.decompress(packed.content).decode(), '{"a":"ü"}\n')


class ManyPatientsReadTests(NewWorld):
    """The bulk export reads each type for all the clients in one query (`Read.for_patients`):
    the same rows, in the same order, as one search per client."""

    def test_for_patients_gives_what_for_patient_gives_client_by_client(self) -> None:
        gwen = make_client(self.alice, "Gwen", "Green")
        fill_record(self, gwen, self.alice)
        make_followup(gwen)
        Alert.objects.create(
            client=gwen,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause=f"fhir-test:{gwen.pk}",
            message="PHQ-9 item 9 answered",
        )
        # A row of the later client that sorts before all of Dana's by time alone.
        make_appointment(gwen, timezone.now() - timedelta(days=900), status="attended")
        request = _as_request(actor_for(self.alice, channel=Channel.API))
        clients = clients_for(self.alice).order_by("pk")
        self.assertEqual(clients.count(), 2)
        for kind, entry in READS.items():
            if entry.for_patient is None:
                continue
            with self.subTest(kind=kind):
                self.assertIsNotNone(entry.for_patients, kind)
                assert entry.for_patients is not None
                one_by_one = [
                    entry.to_fhir(request, row)
                    for client in clients
                    for row in entry.for_patient(request, client)
                ]
                at_once = [entry.to_fhir(request, r) for r in entry.for_patients(request, clients)]
                self.assertEqual(at_once, one_by_one)
                self.assertTrue(at_once, kind)
                subjects = {json.dumps(r).count(f"Patient/{gwen.pk}") > 0 for r in at_once}
                self.assertEqual(subjects, {True, False}, kind)  # both clients' rows

    def test_one_query_per_type_whatever_the_number_of_clients(self) -> None:
        def queries() -> int:
            job = ExportJob.objects.create(
                user=self.alice,
                practice_id=self.riverside.pk,
                level="system",
                types=exportable_types(),
                request_url="test",
                expires_at=timezone.now() + timedelta(hours=1),
            )
            with CaptureQueriesContext(connection) as captured:
                run_export.call(job.pk)
            job.refresh_from_db()
            self.assertEqual(job.status, ExportStatus.DONE)
            return len(captured)

        before = queries()
        for n in range(3):
            more = make_client(self.alice, f"More{n}")
            fill_record(self, more, self.alice)
            make_followup(more)
        self.assertEqual(queries(), before)


class StalledExportTests(BulkWorld):
    """A worker that dies mid-job leaves its export "running"; without a heartbeat for
    CONTINUUM_BULK_EXPORT_STALLED_MINUTES it is marked failed, and its status URL says to
    start again."""

    def died_while_running(self) -> tuple[ExportJob, str]:
        """A kick-off whose worker claimed the job, wrote a file and died (what a killed
        db_worker leaves behind: status running, no more heartbeats)."""
        response = self.kickoff()
        job = ExportJob.objects.get()
        started = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.RUNNING, transaction_time=started, heartbeat_at=started
        )
        ExportFile.objects.create(job=job, resource_type="Patient", count=1, content="{}\n")
        return job, self.status_path(response)

    def test_the_status_poll_marks_a_silent_job_failed(self) -> None:
        job, status = self.died_while_running()
        running = self.get(status)
        self.assertEqual(running.status_code, 202)
        self.assertEqual(running["X-Progress"], "0% (running)")
        with time_machine.travel(timezone.now() + timedelta(minutes=9)):
            self.assertEqual(self.get(status).status_code, 202)  # not yet
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            failed = self.get(status)
        self.assertEqual(failed.status_code, 500)
        validate(failed.json())
        issue = failed.json()["issue"][0]
        self.assertEqual((issue["severity"], issue["code"]), ("error", "exception"))
        self.assertIn("worker stopped", issue["diagnostics"])
        self.assertIn("Start a new export", issue["diagnostics"])
        job.refresh_from_db()
        self.assertEqual((job.status, job.error), (ExportStatus.FAILED, "worker_lost"))
        self.assertEqual(ExportFile.objects.count(), 0)  # half an export is not kept
        # The queued task, should a worker still pick it up, does nothing.
        run_worker()
        job.refresh_from_db()
        self.assertEqual(job.status, ExportStatus.FAILED)
        # Starting again works.
        self.assertEqual(self.export()["error"], [])

    def test_the_hourly_job_marks_silent_jobs_failed_and_leaves_live_ones(self) -> None:
        job, _ = self.died_while_running()
        live = ExportJob.objects.create(
            user=self.alice,
            practice_id=self.riverside.pk,
            level="system",
            types=["Patient"],
            request_url="test",
            status=ExportStatus.RUNNING,
            transaction_time=timezone.now() - timedelta(minutes=30),
            # Its worker beat 3 minutes before `later` below: alive.
            heartbeat_at=timezone.now() + timedelta(minutes=8),
            expires_at=timezone.now() + timedelta(hours=2),
        )
        later = timezone.now() + timedelta(minutes=11)
        self.assertEqual(expire_exports(later), "deleted 0, 1 stalled marked failed")
        self.assertEqual(ExportJob.objects.get(pk=job.pk).status, ExportStatus.FAILED)
        self.assertEqual(ExportJob.objects.get(pk=live.pk).status, ExportStatus.RUNNING)
        self.assertEqual(expire_exports(later), "deleted 0")

    def test_a_worker_that_comes_back_stops_and_keeps_nothing(self) -> None:
        job, _ = self.died_while_running()
        heartbeat = Heartbeat(job)
        heartbeat.beat(force=True)  # alive: the beat is recorded
        self.assertTrue(fail(job.pk, "worker_lost"))
        with self.assertRaises(Stopped):
            heartbeat.beat(force=True)
        self.assertFalse(fail(job.pk, "worker_lost"))  # already failed

    def test_a_finished_job_records_its_heartbeat(self) -> None:
        self.export(_type="Patient")
        job = ExportJob.objects.get()
        self.assertEqual(job.status, ExportStatus.DONE)
        assert job.heartbeat_at is not None
        assert job.transaction_time is not None
        self.assertGreaterEqual(job.heartbeat_at, job.transaction_time)


class ObservationLinesTests(SimpleTestCase):
    """The export writes Observations through `observation_lines` (pieces encoded once);
    each line must be exactly the NDJSON of what the mappers build (what a read or a search
    answers, and what the fhir.resources and schema tests validate)."""

    def expected(self, admin: Any) -> list[str]:
        request = HttpRequest()
        entry = READS["Observation"]
        return [ndjson(entry.to_fhir(request, row)) for row in observation_rows(admin)]

    def test_the_lines_are_the_mappers_resources_for_every_instrument(self) -> None:
        random = Random(15)
        zones = [UTC, ZoneInfo("Europe/London"), ZoneInfo("America/St_Johns")]
        checked = 0
        for code, inst in [*INSTRUMENTS.items(), ("retired_form", None)]:
            keys = [item.key for item in inst.items] if inst is not None else ["1", "2"]
            for case in range(40):
                answers: dict[str, Any] = {}
                if case % 5 == 4:  # keys the form does not have, out of order, not ASCII
                    answers |= {"12": 1, "b\u00e9": 2, 'q"\\': None, "10": 0}
                for key in keys:
                    # Answered (an option's value or any other number), blank, or missing.
                    roll = random.random()
                    if roll < 0.7:
                        answers[key] = random.choice([0, 1, 2, 3, 4, 5, 10, 99])
                    elif roll < 0.85:
                        answers[key] = None
                totals = [None, 0, 12.0, 7.5, 13, 1e-7, 123456.789]
                moment = datetime(2026, 1 + case % 12, 1 + case % 28, case % 24, 7, 9, tzinfo=UTC)
                if case % 3:
                    moment = moment.replace(microsecond=random.randrange(1, 10**6))
                admin = SimpleNamespace(
                    pk=random.randrange(1, 10**12),
                    client_id=random.randrange(1, 10**6),
                    instrument=code,
                    answers=answers,
                    total=totals[case % len(totals)],
                    completed_at=moment.astimezone(zones[case % len(zones)]),
                )
                with self.subTest(instrument=code, case=case):
                    self.assertEqual(observation_lines(admin), self.expected(admin))
                    self.assertEqual(
                        questionnaire_response_line(admin, "https://x.example/fhir/r4"),
                        ndjson(questionnaire_response(admin, "https://x.example/fhir/r4")),
                    )
                    checked += 1
        self.assertEqual(checked, 40 * (len(INSTRUMENTS) + 1))

    def test_a_panel_line_is_valid_fhir(self) -> None:
        admin = SimpleNamespace(
            pk=7,
            client_id=3,
            instrument="phq9",
            answers={str(k): k % 4 for k in range(1, 10)} | {"4": None},
            total=14.0,
            completed_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        )
        lines = observation_lines(admin)
        self.assertEqual(len(lines), 2 + 8)  # total, panel, eight answered items
        for line in lines:
            resource = json.loads(line)
            validate(resource)
            self.assertEqual(schema_errors(resource), [])
