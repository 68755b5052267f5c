"""Issue 16: the client's own record downloads as the FHIR `$everything` Bundle (contributed
to the exchange app through lib.contributions), never with a reflection (the canary)."""

from __future__ import annotations

import json

from django.urls import reverse

from continuum.accounts.actors import actor_for
from continuum.api.tests.world import CANARY, ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.exchange.models import RecordRequest
from continuum.exchange.record_services import release_record, request_record
from continuum.fhir.record import client_bundle
from continuum.fhir.tests.test_fhir import validate
from continuum.measures.models import Alert
from continuum.plans.models import PlanStatus
from continuum.plans.tests.world import make_plan
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import make_portal_user


class RecordBundleTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        Reflection.objects.create(
            author=self.alice,
            client=self.dana,
            kind=ReflectionKind.SELF_REFLECTION,
            text=f"self {CANARY}",
        )
        self.portal = make_portal_user(self.dana)

    def release(self) -> RecordRequest:
        request = request_record(actor_for(self.portal), self.dana)
        return release_record(actor_for(self.alice), request)

    def test_the_portal_offers_and_serves_the_fhir_bundle(self) -> None:
        self.release()
        self.login(self.portal)
        page = self.client.get(reverse("exchange:portal_record")).content.decode()
        url = reverse("exchange:portal_record_download", args=["fhir"])
        self.assertIn(url, page)
        self.assertIn("Download as a data file (FHIR)", page)
        # The FHIR file carries what the standard carries; the complete JSON stays offered.
        self.assertIn(reverse("exchange:portal_record_download", args=["json"]), page)
        self.assertIn("Download as a data file (JSON), with all of it", page)
        self.assertIn("your therapist's private reflections (psychotherapy notes)", page)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/fhir+json")
        self.assertIn(".fhir.json", response["Content-Disposition"])
        body = response.content.decode()
        self.assertNotIn(CANARY, body)
        bundle = json.loads(body)
        validate(bundle)
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        self.assertEqual(kinds[:3], ["Patient", "Practitioner", "Organization"])
        self.assertEqual(bundle["entry"][0]["resource"]["id"], str(self.dana.pk))
        totals = [
            e["resource"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Observation"
            and e["resource"]["code"]["coding"][0]["code"] == "44261-6"
        ]
        self.assertEqual(len(totals), 2)  # the two PHQ-9 totals (beside their items)
        # Only Dana's own resources.
        for entry in bundle["entry"]:
            resource = entry["resource"]
            for field in ("subject", "patient"):
                if field in resource:
                    self.assertEqual(resource[field]["reference"], f"Patient/{self.dana.pk}")
        event = AuditEvent.objects.filter(action="record.download").latest("pk")
        self.assertEqual(event.detail["format"], "fhir")
        self.assertNotIn(CANARY, json.dumps(event.detail))

    def test_what_the_record_leaves_out(self) -> None:
        # A draft plan, an open safety alert and an ended episode (its clinical summary).
        make_plan(self.episode, status=PlanStatus.DRAFT, version=2)
        Alert.objects.create(
            client=self.dana,
            episode=self.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause=f"test-safety:{self.dana.pk}",
            message="Item 9",
        )
        self.assertIn(
            "Flag",
            {
                e["resource"]["resourceType"]
                for e in self.client.get(
                    f"/fhir/r4/Patient/{self.dana.pk}/$everything",
                    HTTP_AUTHORIZATION=f"Bearer {make_token(self.alice, ['fhir:read'])}",
                ).json()["entry"]
            },
        )
        bundle = client_bundle(self.dana)
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        self.assertNotIn("Flag", kinds)
        self.assertNotIn("DocumentReference", kinds)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            self.assertNotEqual(
                (resource["resourceType"], resource.get("status")), ("CarePlan", "draft")
            )
            self.assertNotEqual(resource.get("lifecycleStatus"), "proposed")
        self.assertIn("CarePlan", kinds)  # the published one

    def test_nothing_before_release_and_nobody_else(self) -> None:
        url = reverse("exchange:portal_record_download", args=["fhir"])
        request_record(actor_for(self.portal), self.dana)
        self.login(self.portal)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.client.logout()
        self.login(self.alice)  # staff have no portal record
        self.assertNotEqual(self.client.get(url).status_code, 200)
