"""FHIR read and search (scope fhir): every resource validated with the fhir.resources models.

fhir.resources 8.3.0 ships R5, R4B (4.3.0) and STU3 models, not R4 (4.0.1): the resources are
validated against R4B, whose Patient, Practitioner, Organization, EpisodeOfCare, Appointment,
QuestionnaireResponse, Observation, Bundle, CapabilityStatement and OperationOutcome agree
with R4 in every element we emit. Validation against the official R4 JSON schema:
test_fhir_resources.py.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from continuum.api.tests.world import CANARY, ApiTestCase, make_token
from continuum.audit.models import AuditEvent

BASE = "/fhir/r4"


def validate(resource: dict[str, Any]) -> Any:
    """The resource through its fhir.resources model (raises on anything invalid)."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource)


class FhirTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice, ["fhir:read"])

    def fhir(self, path: str, secret: str | None = None, **query: Any) -> Any:
        return self.client.get(
            BASE + path, query, HTTP_AUTHORIZATION=f"Bearer {secret or self.secret}"
        )

    def test_metadata_lists_exactly_what_is_served(self) -> None:
        response = self.client.get(f"{BASE}/metadata")
        self.assertEqual(response["Content-Type"], "application/fhir+json")
        statement = response.json()
        validate(statement)
        self.assertEqual(statement["fhirVersion"], "4.0.1")
        kinds = {r["type"] for r in statement["rest"][0]["resource"]}
        self.assertEqual(
            kinds,
            {
                "Patient",
                "Practitioner",
                "Organization",
                "EpisodeOfCare",
                "Appointment",
                "QuestionnaireResponse",
                "Observation",
                "Encounter",
                "Questionnaire",
                "CarePlan",
                "Goal",
                "Flag",
                "Consent",
                "DocumentReference",
                "Group",
            },
        )
        for kind in kinds:
            self.assertEqual(self.fhir(f"/{kind}/999999").status_code, 404, kind)

    def test_reads_validate(self) -> None:
        for path in (
            f"/Patient/{self.dana.pk}",
            f"/Practitioner/{self.alice.pk}",
            f"/Organization/{self.riverside.pk}",
            f"/EpisodeOfCare/{self.episode.pk}",
            f"/Appointment/{self.upcoming.pk}",
            f"/QuestionnaireResponse/{self.first.pk}",
            f"/Observation/{self.first.pk}",
        ):
            response = self.fhir(path)
            self.assertEqual(response.status_code, 200, path)
            validate(response.json())
        response = self.fhir(f"/Patient/{self.dana.pk}")
        self.assertEqual(response.json()["name"][0]["family"], "Dawson")
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_observation_is_a_survey_with_the_loinc_total(self) -> None:
        obs = self.fhir(f"/Observation/{self.first.pk}").json()
        self.assertEqual(obs["category"][0]["coding"][0]["code"], "survey")
        self.assertEqual(
            obs["code"]["coding"][0],
            {
                "system": "http://loinc.org",
                "code": "44261-6",
                "display": "PHQ-9 total score",
            },
        )
        self.assertEqual(obs["valueQuantity"]["value"], 24)
        self.assertEqual(
            obs["derivedFrom"], [{"reference": f"QuestionnaireResponse/{self.first.pk}"}]
        )
        response = self.fhir(f"/QuestionnaireResponse/{self.first.pk}").json()
        self.assertEqual(response["item"][0], {"linkId": "1", "answer": [{"valueInteger": 3}]})

    def test_search_by_patient(self) -> None:
        bundle = self.fhir("/Observation", patient=self.dana.pk, code="44261-6").json()
        validate(bundle)
        self.assertEqual(
            [e["resource"]["id"] for e in bundle["entry"]],
            [str(self.first.pk), str(self.second.pk)],
        )
        appts = self.fhir("/Appointment", patient=f"Patient/{self.dana.pk}").json()
        self.assertEqual(appts["total"], 2)

    def test_unsupported_search_parameters_are_refused(self) -> None:
        response = self.fhir("/Observation", patient=self.dana.pk, **{"value-quantity": "24"})
        self.assertEqual(response.status_code, 400)
        outcome = response.json()
        validate(outcome)
        self.assertIn("value-quantity", outcome["issue"][0]["diagnostics"])
        self.assertEqual(self.fhir("/Patient", name="Dana").status_code, 400)

    def test_everything(self) -> None:
        bundle = self.fhir(f"/Patient/{self.dana.pk}/$everything").json()
        validate(bundle)
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        # Two PHQ-9s: each a total, a LOINC panel and nine answered items.
        self.assertEqual(kinds.count("Observation"), 2 * 11)
        self.assertEqual(
            set(kinds),
            {
                "Patient",
                "Practitioner",
                "Organization",
                "EpisodeOfCare",
                "Appointment",
                "QuestionnaireResponse",
                "Observation",
                "Encounter",
                "Questionnaire",
                "CarePlan",
                "Goal",
            },
        )
        self.assertNotIn(CANARY, str(bundle))
        self.assertNotIn(str(self.eli.pk) + '"', str([e["fullUrl"] for e in bundle["entry"]]))

    def test_scope_and_tokens(self) -> None:
        no_fhir = make_token(self.alice, ["clients:read"])
        response = self.fhir(f"/Patient/{self.dana.pk}", no_fhir)
        self.assertEqual(response.status_code, 403)
        validate(response.json())
        self.assertEqual(self.client.get(f"{BASE}/Patient/{self.dana.pk}").status_code, 401)
        before = AuditEvent.objects.filter(action="api.request").count()
        self.fhir(f"/Patient/{self.dana.pk}")
        row = AuditEvent.objects.filter(action="api.request").latest("pk")
        self.assertEqual(AuditEvent.objects.filter(action="api.request").count(), before + 1)
        self.assertEqual((row.detail["route"], row.detail["scope"]), ("patient_read", "fhir:read"))

    def test_another_practice_gets_404_everywhere(self) -> None:
        charlie = make_token(self.charlie, ["fhir:read"])
        for path in (
            f"/Patient/{self.dana.pk}",
            f"/Patient/{self.dana.pk}/$everything",
            f"/Practitioner/{self.alice.pk}",
            f"/Organization/{self.riverside.pk}",
            f"/EpisodeOfCare/{self.episode.pk}",
            f"/Appointment/{self.upcoming.pk}",
            f"/QuestionnaireResponse/{self.first.pk}",
            f"/Observation/{self.first.pk}",
            f"/Observation?patient={self.dana.pk}",
        ):
            response = self.client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {charlie}")
            self.assertEqual(response.status_code, 404, path)
            validate(response.json())
        patients = self.fhir("/Patient", charlie).json()
        self.assertNotIn(
            str(self.dana.pk),
            [e["resource"]["id"] for e in patients["entry"]] if patients["total"] else [],
        )


class SearchParameterTests(FhirTests):
    """Hostile search values are a 400 OperationOutcome or an empty Bundle, never a 500."""

    def test_ids_that_are_not_small_ascii_numbers_are_refused(self) -> None:
        for value in ("9" * 5000, "9" * 30, "٣", "1e3", "-1", " 1", "Patient/", "0x10", "1\x00"):
            for path, name in (("/Observation", "patient"), ("/Patient", "_id")):
                with self.subTest(path=path, value=value[:12]):
                    response = self.fhir(path, **{name: value})
                    # 404: no such patient of this therapist (an OperationOutcome too).
                    self.assertIn(response.status_code, (200, 400, 404), response.content[:200])
                    body = response.json()
                    if response.status_code != 200:
                        self.assertEqual(body["resourceType"], "OperationOutcome")
                    else:
                        self.assertEqual(body.get("total", len(body.get("entry", []))), 0)
