"""Issue 15, "done when": a bulk export of the demo practice, every resource in every NDJSON
file valid against the official R4 JSON schema and the fhir.resources R4B models, and none of
the demo's reflections or therapists' self-reflections in any file. One export per therapist:
a token sees what its owner sees (docs/api.md), so the practice is the sum of its therapists."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase

from continuum.accounts.models import User
from continuum.api.tests.world import make_token
from continuum.care.models import Client
from continuum.fhir.tests.test_fhir_resources import check
from continuum.reflections.models import Reflection
from continuum.testing.tasks import run_worker
from continuum.wellbeing.models import SelfReflection

BASE = "/fhir/r4"


@pytest.mark.slow
class DemoBulkExportTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        call_command("seed_demo", "--now", "2026-11-18T16:00", stdout=StringIO())

    def export_of(self, therapist: User) -> list[str]:
        """The NDJSON files of one therapist's system-level export, as text."""
        auth = {"Authorization": f"Bearer {make_token(therapist, ['fhir:read'])}"}
        with self.captureOnCommitCallbacks(execute=True):
            kickoff = self.client.get(
                f"{BASE}/$export", headers={**auth, "Prefer": "respond-async"}
            )
        self.assertEqual(kickoff.status_code, 202, kickoff.content)
        status = "/" + str(kickoff["Content-Location"]).split("/", 3)[3]
        run_worker()
        manifest = self.client.get(status, headers=auth)
        self.assertEqual(manifest.status_code, 200, manifest.content)
        files = []
        for output in manifest.json()["output"]:
            path = "/" + output["url"].split("/", 3)[3]
            response = self.client.get(path, headers=auth)
            self.assertEqual(response.status_code, 200)
            files.append(response.content.decode())
        return files

    def test_every_resource_of_the_demo_practice_is_valid_and_private_text_stays_out(
        self,
    ) -> None:
        therapists = list(User.objects.filter(clients__isnull=False).distinct().order_by("pk"))
        self.assertEqual(len(therapists), 3)
        private = [r.text for r in Reflection.objects.all()]
        private += [r.text for r in SelfReflection.objects.all()]
        self.assertTrue(private)
        kinds: Counter[str] = Counter()
        patients = set()
        for therapist in therapists:
            for body in self.export_of(therapist):
                for text in private:
                    self.assertNotIn(text, body)
                for line in body.splitlines():
                    resource = json.loads(line)
                    check(self, resource)
                    kinds[resource["resourceType"]] += 1
                    if resource["resourceType"] == "Patient":
                        patients.add(int(resource["id"]))
        # Every client of the practice is exported once, with their records.
        self.assertEqual(patients, set(Client.objects.values_list("pk", flat=True)))
        for kind in ("Encounter", "QuestionnaireResponse", "Observation", "EpisodeOfCare"):
            self.assertGreater(kinds[kind], 100, kind)
        print(f"demo bulk export: {sum(kinds.values())} resources valid, {dict(kinds)}")
