"""Import: POST a QuestionnaireResponse → a scored administration with the same alerts as any
other; anything invalid is a 4xx OperationOutcome and stores nothing; the round trip."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client as HttpClient

from continuum.api.tests.world import ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.fhir.tests.test_fhir import validate
from continuum.fhir.views import base_url
from continuum.measures.models import Administration, Alert
from continuum.testing.base import make_client, make_episode

BASE = "/fhir/r4"
CANONICAL = f"{base_url()}/Questionnaire/"  # SITE_URL's


def phq9(patient: int, answers: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": CANONICAL + "phq9",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "authored": "2026-03-02T10:00:00+00:00",
        "item": [{"linkId": k, "answer": [{"valueInteger": v}]} for k, v in answers.items()],
    } | extra


class ImportTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice, ["fhir:write"])
        self.hana = make_client(self.alice, "Hana", "Hill")
        self.hana_episode = make_episode(self.hana)

    def post(self, body: Any, secret: str | None = None, **extra: Any) -> Any:
        raw = body if isinstance(body, str) else json.dumps(body)
        return self.client.post(
            f"{BASE}/QuestionnaireResponse",
            raw,
            content_type=extra.pop("content_type", "application/fhir+json"),
            HTTP_AUTHORIZATION=f"Bearer {secret or self.secret}",
            **extra,
        )

    def test_round_trip_scores_identically(self) -> None:
        exported = self.client.get(
            f"{BASE}/QuestionnaireResponse/{self.first.pk}",
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
        ).json()
        exported["subject"] = {"reference": f"Patient/{self.hana.pk}"}
        del exported["id"]
        response = self.post(exported)
        self.assertEqual(response.status_code, 201, response.content)
        validate(response.json())
        imported = Administration.objects.get(client=self.hana)
        self.assertTrue(response["Location"].endswith(f"/QuestionnaireResponse/{imported.pk}"))
        self.first.refresh_from_db()
        self.assertEqual(
            (imported.instrument, imported.total, imported.band, imported.answers),
            (self.first.instrument, self.first.total, self.first.band, self.first.answers),
        )
        self.assertEqual(imported.status, "completed")
        self.assertEqual(imported.completed_at, self.first.completed_at)
        self.assertEqual(imported.episode, self.hana_episode)
        self.assertEqual(imported.entered_by, self.alice)
        event = AuditEvent.objects.filter(action="measures.complete").latest("pk")
        self.assertEqual((event.detail["via"], event.object_id), ("fhir", str(imported.pk)))

    def test_a_safety_answer_raises_the_safety_alert(self) -> None:
        answers = {str(k): 1 for k in range(1, 9)} | {"9": 2}
        response = self.post(phq9(self.hana.pk, answers))
        self.assertEqual(response.status_code, 201, response.content)
        admin = Administration.objects.get(client=self.hana)
        self.assertTrue(admin.safety)
        self.assertTrue(Alert.objects.filter(client=self.hana, kind="safety").exists())

    def test_by_loinc_panel_item_and_answer_codes(self) -> None:
        # GAD-7 by its LOINC panel, items by their LOINC codes, answers as LOINC LA codes.
        items = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
        body = {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": "http://loinc.org/q/69737-5",
            "status": "completed",
            "subject": {"reference": f"Patient/{self.hana.pk}"},
            "item": [
                {
                    "linkId": code,
                    "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}],
                }
                for code in items
            ],
        }
        response = self.post(body)
        self.assertEqual(response.status_code, 201, response.content)
        admin = Administration.objects.get(client=self.hana)
        self.assertEqual((admin.instrument, admin.total), ("gad7", 14.0))

    def test_invalid_or_unknown_is_a_4xx_outcome_and_stores_nothing(self) -> None:
        nine = {str(k): 1 for k in range(1, 10)}
        cases = {
            "not json": ("{", 400, "not JSON"),
            "another resource": ({"resourceType": "Patient"}, 400, "QuestionnaireResponse"),
            "invalid structure": (phq9(self.hana.pk, nine, status=7), 400, "status"),
            "in progress": (phq9(self.hana.pk, nine, status="in-progress"), 422, "completed"),
            "unknown questionnaire": (
                phq9(self.hana.pk, nine, questionnaire=CANONICAL + "nope"),
                422,
                "Unknown questionnaire",
            ),
            "unknown loinc": (
                phq9(self.hana.pk, nine, questionnaire="http://loinc.org/q/1234-5"),
                422,
                "Unknown LOINC panel",
            ),
            "foreign canonical": (
                phq9(self.hana.pk, nine, questionnaire="http://example.org/Q/1"),
                422,
                "canonical URL",
            ),
            "unknown item": (phq9(self.hana.pk, nine | {"42": 1}), 422, "'42'"),
            "out of range": (phq9(self.hana.pk, nine | {"3": 7}), 422, "Item 3"),
            "no answers": (phq9(self.hana.pk, {}), 422, "No answers"),
            "bad subject": (
                phq9(self.hana.pk, nine, subject={"reference": "Group/1"}),
                422,
                "subject",
            ),
            "no time zone": (
                phq9(self.hana.pk, nine, authored="2026-03-02T10:00:00"),
                400,
                "authored",
            ),
            "future": (phq9(self.hana.pk, nine, authored="2099-01-01T00:00:00Z"), 422, "future"),
            "another practice's client": (phq9(self.eli.pk, nine), 404, "patient"),
            "a colleague's client": (phq9(self.finn.pk, nine), 404, "patient"),
        }
        before = (Administration.objects.count(), Alert.objects.count())
        for name, (body, status, words) in cases.items():
            with self.subTest(name):
                response = self.post(body)
                self.assertEqual(response.status_code, status, response.content)
                outcome = response.json()
                validate(outcome)
                self.assertIn(words, outcome["issue"][0]["diagnostics"])
        self.assertEqual((Administration.objects.count(), Alert.objects.count()), before)
        # No open episode: nothing to add to.
        self.hana_episode.status = "closed"
        self.hana_episode.save(update_fields=["status"])
        response = self.post(phq9(self.hana.pk, nine))
        self.assertEqual(response.status_code, 422)
        self.assertIn("no open episode", response.json()["issue"][0]["diagnostics"])
        self.assertEqual(
            self.post(phq9(self.hana.pk, nine), content_type="text/plain").status_code, 415
        )

    def test_scopes_tokens_and_csrf(self) -> None:
        nine = {str(k): 1 for k in range(1, 10)}
        reader = make_token(self.alice, ["fhir:read"])
        self.assertEqual(self.post(phq9(self.hana.pk, nine), reader).status_code, 403)
        anonymous = self.client.post(
            f"{BASE}/QuestionnaireResponse", "{}", content_type="application/fhir+json"
        )
        self.assertEqual(anonymous.status_code, 401)
        self.assertEqual(Administration.objects.filter(client=self.hana).count(), 0)
        # A token-only route: a client that enforces CSRF still gets through with the token.
        strict = HttpClient(enforce_csrf_checks=True)
        response = strict.post(
            f"{BASE}/QuestionnaireResponse",
            json.dumps(phq9(self.hana.pk, nine)),
            content_type="application/fhir+json",
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
        )
        self.assertEqual(response.status_code, 201, response.content)
        # The search on the same path is unchanged (GET, read scope).
        found = self.client.get(
            f"{BASE}/QuestionnaireResponse",
            {"patient": self.hana.pk},
            HTTP_AUTHORIZATION=f"Bearer {reader}",
        ).json()
        self.assertEqual(found["total"], 1)

    def test_the_capability_statement_says_so(self) -> None:
        statement = self.client.get(f"{BASE}/metadata").json()
        (qr,) = [
            r for r in statement["rest"][0]["resource"] if r["type"] == "QuestionnaireResponse"
        ]
        self.assertIn({"code": "create"}, qr["interaction"])

    def test_idempotency_key(self) -> None:
        nine = {str(k): 1 for k in range(1, 10)}
        first = self.post(phq9(self.hana.pk, nine), HTTP_IDEMPOTENCY_KEY="import-1")
        again = self.post(phq9(self.hana.pk, nine), HTTP_IDEMPOTENCY_KEY="import-1")
        self.assertEqual((first.status_code, again.status_code), (201, 201))
        self.assertEqual(first.json(), again.json())
        self.assertEqual(Administration.objects.filter(client=self.hana).count(), 1)
        self.post(phq9(self.hana.pk, nine))
        self.assertEqual(Administration.objects.filter(client=self.hana).count(), 2)
