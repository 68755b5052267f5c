"""The resources added to FHIR read/search (Encounter, Questionnaire, panel and item
Observations, CarePlan, Goal, Flag, Consent, DocumentReference), the `date` and `code` search
parameters, and validation of every emitted resource against the official FHIR R4 JSON schema
(fhir.schema.json, vendored beside this file; README.md says where it comes from) as well as
the fhir.resources R4B models."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from functools import cache
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft6Validator  # type: ignore[import-untyped]

from continuum.accounts.actors import actor_for
from continuum.api import tokens
from continuum.api.models import ApiToken
from continuum.api.tests.world import CANARY, ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment, Client
from continuum.endings.tests.test_summary import pdf_text
from continuum.fhir.tests.test_fhir import BASE, validate
from continuum.fhir.views import READS
from continuum.followup.tests.world import FollowUpWorld, make_followup
from continuum.measures.instruments import INSTRUMENTS
from continuum.measures.models import Alert
from continuum.measures.services import assign_measure, enter_in_session
from continuum.plans.tests.world import make_goal, make_plan
from continuum.reflections.models import Reflection
from continuum.testing.base import make_appointment, make_portal_user
from continuum.wellbeing.models import SelfReflection

SCHEMA = Path(__file__).with_name("fhir.schema.json")


@cache
def _definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = json.loads(SCHEMA.read_text())["definitions"]
    return definitions


@cache
def _validator(kind: str) -> Draft6Validator:
    return Draft6Validator(
        {"allOf": [{"$ref": f"#/definitions/{kind}"}], "definitions": _definitions()}
    )


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """What the official R4 JSON schema finds wrong with `resource` (a Bundle's entries one by
    one too, so an error names the resource it is in)."""
    errors = [
        f"{resource['resourceType']}/{resource.get('id')}: {e.message[:300]}"
        for e in _validator(resource["resourceType"]).iter_errors(resource)
    ]
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        errors += schema_errors(entry["resource"])
    return errors


def check(testcase: Any, resource: dict[str, Any]) -> None:
    """Valid against the R4 JSON schema and the fhir.resources R4B model."""
    testcase.assertEqual(schema_errors(resource), [])
    validate(resource)


class SchemaTests(SimpleTestCase):
    def test_the_schema_refuses_what_is_not_fhir(self) -> None:
        self.assertEqual(schema_errors({"resourceType": "Patient", "id": "1"}), [])
        self.assertTrue(schema_errors({"resourceType": "Patient", "id": "1", "bogus": 1}))
        self.assertTrue(schema_errors({"resourceType": "Patient", "gender": "x"}))
        self.assertTrue(schema_errors({"resourceType": "Flag", "id": "1", "status": "open"}))


class NewWorld(ApiTestCase):
    """The API world (continuum/api/tests/world.py) plus an open and a resolved safety alert
    and an ended episode in follow-up with its consent, for Dana and Eli."""

    safety: Alert
    resolved: Alert
    ended: FollowUpWorld
    eli_ended: FollowUpWorld
    attended: Appointment

    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice, ["fhir:read"])

    def fhir(self, path: str, secret: str | None = None, **query: Any) -> Any:
        return self.client.get(
            BASE + path, query, HTTP_AUTHORIZATION=f"Bearer {secret or self.secret}"
        )

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.safety = Alert.objects.create(
            client=cls.dana,
            episode=cls.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause=f"fhir-test:{cls.dana.pk}",
            message="PHQ-9 item 9 answered",
        )
        cls.resolved = Alert.objects.create(
            client=cls.dana,
            episode=cls.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            status="resolved",
            action="contacted_client",
            cause=f"fhir-test-old:{cls.dana.pk}",
            message="old",
        )
        cls.ended = make_followup(cls.dana)
        cls.eli_ended = make_followup(cls.eli)

    def ids(self) -> dict[str, str]:
        """One id per new resource type, all Dana's."""
        return {
            "Encounter": str(self.attended.pk),
            "Questionnaire": "phq9",
            "Observation": f"{self.first.pk}-panel",
            "CarePlan": str(self.plan.pk),
            "Goal": str(self.goal.pk),
            "Flag": str(self.safety.pk),
            "Consent": str(self.ended.consent.pk),
            "DocumentReference": str(self.ended.episode.pk),
        }


class NewResourceTests(NewWorld):
    def test_every_read_validates_against_the_schema_and_the_models(self) -> None:
        for kind, pk in self.ids().items():
            response = self.fhir(f"/{kind}/{pk}")
            self.assertEqual(response.status_code, 200, kind)
            check(self, response.json())
        check(self, self.client.get(f"{BASE}/metadata").json())
        check(self, self.fhir("/Goal", patient=self.dana.pk, date="ge2020").json())

    def test_the_questionnaire_catalogue(self) -> None:
        phq9 = self.fhir("/Questionnaire/phq9").json()
        self.assertEqual(phq9["code"][0]["code"], "44249-1")
        first = phq9["item"][0]
        self.assertEqual(first["code"][0], {"system": "http://loinc.org", "code": "44250-9"})
        option = first["answerOption"][3]["valueCoding"]
        self.assertEqual((option["system"], option["code"]), ("http://loinc.org", "LA6571-9"))
        self.assertEqual(
            option["extension"],
            [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                    "valueDecimal": 3,
                }
            ],
        )
        response = self.fhir(f"/QuestionnaireResponse/{self.first.pk}").json()
        self.assertEqual(response["questionnaire"], phq9["url"])
        # Reverse-scored items carry their reversed score (CORE-10 item 2).
        core10 = self.fhir("/Questionnaire/core10").json()
        scores = [
            o["valueCoding"]["extension"][0]["valueDecimal"]
            for o in core10["item"][1]["answerOption"]
        ]
        self.assertEqual(scores, sorted(scores, reverse=True))
        # goal_rating is not a FHIR id; goal-rating is, and either reads.
        self.assertEqual(self.fhir("/Questionnaire/goal_rating").json()["id"], "goal-rating")
        self.assertEqual(self.fhir("/Questionnaire/goal-rating").status_code, 200)
        everything = self.fhir("/Questionnaire").json()
        check(self, everything)
        self.assertEqual(everything["total"], len(INSTRUMENTS))
        found = self.fhir("/Questionnaire", code="http://loinc.org|69737-5").json()
        self.assertEqual([e["resource"]["id"] for e in found["entry"]], ["gad7"])
        self.assertEqual(self.fhir("/Questionnaire", _id="who5").json()["total"], 1)
        self.assertEqual(self.fhir("/Questionnaire/nope").status_code, 404)

    def test_the_panel_has_the_total_and_the_items_as_members(self) -> None:
        panel = self.fhir(f"/Observation/{self.first.pk}-panel").json()
        self.assertEqual(panel["code"]["coding"][0]["code"], "44249-1")
        members = [m["reference"] for m in panel["hasMember"]]
        self.assertEqual(members[0], f"Observation/{self.first.pk}")
        self.assertEqual(len(members), 1 + 9)  # the total and items 1-9 (10 unanswered)
        self.assertEqual(
            panel["derivedFrom"], [{"reference": f"QuestionnaireResponse/{self.first.pk}"}]
        )
        item = self.fhir(f"/Observation/{self.first.pk}-item-1").json()
        check(self, item)
        self.assertEqual(item["code"]["coding"][0]["code"], "44250-9")
        self.assertEqual(item["valueCodeableConcept"]["coding"][0]["code"], "LA6571-9")
        self.assertEqual(item["derivedFrom"], panel["derivedFrom"])
        for bad in (f"{self.first.pk}-item-10", f"{self.first.pk}-x", "1e3", "٣"):
            self.assertEqual(self.fhir(f"/Observation/{bad}").status_code, 404, bad)
        panels = self.fhir("/Observation", patient=self.dana.pk, code="44249-1").json()
        self.assertEqual(panels["total"], 2)

    def test_encounters_are_attended_sessions(self) -> None:
        encounters = self.fhir("/Encounter", patient=self.dana.pk).json()
        check(self, encounters)
        self.assertEqual(
            [e["resource"]["id"] for e in encounters["entry"]], [str(self.attended.pk)]
        )
        encounter = encounters["entry"][0]["resource"]
        self.assertEqual(encounter["status"], "finished")
        self.assertEqual(
            encounter["appointment"], [{"reference": f"Appointment/{self.attended.pk}"}]
        )
        self.assertEqual(self.fhir(f"/Encounter/{self.upcoming.pk}").status_code, 404)

    def test_the_plan_and_its_goal(self) -> None:
        plan = self.fhir(f"/CarePlan/{self.plan.pk}").json()
        self.assertEqual((plan["status"], plan["intent"]), ("active", "plan"))
        self.assertEqual(plan["goal"], [{"reference": f"Goal/{self.goal.pk}"}])
        goal = self.fhir(f"/Goal/{self.goal.pk}").json()
        target = goal["target"][0]
        self.assertEqual(target["measure"]["coding"][0]["code"], "44261-6")
        self.assertEqual(
            (target["detailQuantity"]["comparator"], target["detailQuantity"]["value"]), ("<", 10.0)
        )
        self.assertEqual(goal["description"]["text"], self.goal.statement)
        self.assertEqual(goal["lifecycleStatus"], "active")
        draft = make_goal(make_plan(self.episode, status="draft", version=2))
        self.assertEqual(self.fhir(f"/Goal/{draft.pk}").json()["lifecycleStatus"], "proposed")
        self.assertEqual(self.fhir(f"/CarePlan/{draft.plan_id}").json()["status"], "draft")

    def test_flags_are_open_safety_alerts(self) -> None:
        flags = self.fhir("/Flag", patient=self.dana.pk).json()
        self.assertEqual([e["resource"]["id"] for e in flags["entry"]], [str(self.safety.pk)])
        self.assertEqual(self.fhir(f"/Flag/{self.resolved.pk}").status_code, 404)
        self.assertEqual(self.fhir(f"/Flag/{self.alert.pk}").status_code, 404)  # deterioration

    def test_consent_and_the_termination_summary(self) -> None:
        consent = self.fhir(f"/Consent/{self.ended.consent.pk}").json()
        self.assertEqual(consent["status"], "active")
        self.assertEqual(consent["provision"]["period"]["start"], "2025-06-30")
        docs = self.fhir("/DocumentReference", patient=self.dana.pk).json()
        check(self, docs)
        self.assertEqual([e["resource"]["id"] for e in docs["entry"]], [str(self.ended.episode.pk)])
        attachment = docs["entry"][0]["resource"]["content"][0]["attachment"]
        self.assertEqual(attachment["contentType"], "application/pdf")
        self.assertTrue(
            attachment["url"].endswith(f"/DocumentReference/{self.ended.episode.pk}/summary.pdf")
        )
        # The episode still in therapy has no summary yet.
        self.assertEqual(self.fhir(f"/DocumentReference/{self.episode.pk}").status_code, 404)
        path = f"/DocumentReference/{self.ended.episode.pk}/summary.pdf"
        self.assertEqual(self.client.get(BASE + path).status_code, 401)
        before = AuditEvent.objects.filter(action="ending.summary_export").count()
        pdf = self.fhir(path)
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        self.assertEqual(
            AuditEvent.objects.filter(action="ending.summary_export").count(), before + 1
        )
        self.assertEqual(
            self.fhir(f"/DocumentReference/{self.episode.pk}/summary.pdf").status_code, 404
        )


class SearchTests(NewWorld):
    def test_date_prefixes(self) -> None:
        today = timezone.localdate()
        tomorrow = (today + timedelta(days=1)).isoformat()

        def ids(**query: Any) -> list[str]:
            bundle = self.fhir("/Appointment", patient=self.dana.pk, **query).json()
            return [e["resource"]["id"] for e in bundle["entry"]]

        self.assertEqual(ids(date=f"ge{tomorrow}"), [str(self.upcoming.pk)])
        self.assertEqual(ids(date=f"lt{today.isoformat()}"), [str(self.attended.pk)])
        self.assertEqual(ids(date=f"le{today.isoformat()}"), [str(self.attended.pk)])
        self.assertEqual(ids(date=f"gt{today.isoformat()}"), [str(self.upcoming.pk)])
        self.assertEqual(ids(date=(today - timedelta(days=3)).isoformat()), [str(self.attended.pk)])
        self.assertEqual(ids(date="1999"), [])
        # Two dates: both hold (a range).
        response = self.client.get(
            f"{BASE}/Observation?patient={self.dana.pk}&code=44261-6"
            f"&date=ge{(today - timedelta(days=1)).isoformat()}&date=le{tomorrow}",
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
        )
        self.assertEqual(response.json()["total"], 2)
        # An ongoing episode runs on: it overlaps any time ahead (the ended one does not); with
        # no prefix (eq) the day would have to contain the whole episode.
        episodes = self.fhir("/EpisodeOfCare", patient=self.dana.pk, date="ge2090-01-01").json()
        self.assertEqual([e["resource"]["id"] for e in episodes["entry"]], [str(self.episode.pk)])
        authored = self.fhir(
            "/QuestionnaireResponse", patient=self.dana.pk, authored="ge2000"
        ).json()
        self.assertEqual(authored["total"], 2)

    def test_bad_values_and_unsupported_parameters_are_400_outcomes(self) -> None:
        for query in (
            {"date": "yesterday"},
            {"date": "ge2026-13-01"},
            {"date": "ne2026"},
            {"date": "9" * 5000},
            {"date": "ge9999-12-31T23:59:59.999999+00:00"},
            {"date": "9999"},
            {"date": "0000"},
            {"date": "2026-02-30"},
            {"date": "٢٠٢٦"},
            {"date": "2026\x00"},
            {"date": "ge"},
            {"code": ""},
            {"code": "a|"},
            {"code": "a,"},
            {"code": "x" * 5000},
        ):
            with self.subTest(query=str(query)[:40]):
                response = self.fhir("/Observation", patient=self.dana.pk, **query)
                self.assertEqual(response.status_code, 400)
                check(self, response.json())
        for kind, entry in READS.items():
            for name in ("bogus", "_count", "_sort", "date", "code", "patient", "authored"):
                if name in entry.search_params():
                    continue
                with self.subTest(kind=kind, name=name):
                    response = self.fhir(f"/{kind}", **{name: "1"})
                    self.assertEqual(response.status_code, 400)
                    self.assertIn(name, response.json()["issue"][0]["diagnostics"])

    def test_the_capability_statement_lists_the_parameters(self) -> None:
        statement = self.client.get(f"{BASE}/metadata").json()
        params = {
            r["type"]: {p["name"] for p in r.get("searchParam", [])}
            for r in statement["rest"][0]["resource"]
        }
        self.assertEqual(params["Observation"], {"patient", "date", "code"})
        self.assertEqual(params["Questionnaire"], {"_id", "code"})
        self.assertEqual(params["Goal"], {"patient"})
        self.assertEqual(params["QuestionnaireResponse"], {"patient", "authored"})


class EverythingTests(NewWorld):
    def test_everything_holds_every_type_and_validates(self) -> None:
        bundle = self.fhir(f"/Patient/{self.dana.pk}/$everything").json()
        check(self, bundle)
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        self.assertEqual(
            kinds - {"Patient", "Practitioner", "Organization"},
            set(READS) - {"Patient", "Practitioner", "Organization"},
        )
        urls = [e["fullUrl"] for e in bundle["entry"]]
        self.assertEqual(len(urls), len(set(urls)))
        self.assertIn(f"{BASE}/Questionnaire/phq9", " ".join(urls))

    def test_everything_does_not_query_per_row(self) -> None:
        path = f"{BASE}/Patient/{self.dana.pk}/$everything"
        auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}
        self.client.get(path, **auth)  # the rate limit's cache row exists from here on
        with CaptureQueriesContext(connection) as before:
            self.client.get(path, **auth)
        actor = actor_for(self.alice)
        more = assign_measure(
            self.episode,
            instrument="gad7",
            cadence="once",
            starts_on=timezone.localdate(),
            actor=actor,
        ).administrations.get()
        enter_in_session(more, {str(k): 2 for k in range(1, 8)}, actor=actor)
        make_appointment(
            self.dana, timezone.now() - timedelta(days=9), episode=self.episode, status="attended"
        )
        make_goal(make_plan(self.episode, status="draft", version=2))
        Alert.objects.create(
            client=self.dana,
            episode=self.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause="fhir-more",
            message="m",
        )
        with CaptureQueriesContext(connection) as after:
            bundle = self.client.get(path, **auth).json()
        self.assertEqual(
            len(after), len(before), "\n".join(q["sql"][:150] for q in after.captured_queries)
        )
        urls = " ".join(e["fullUrl"] for e in bundle["entry"])
        self.assertIn(f"{BASE}/Observation/{more.pk}-panel ", urls)

    def test_another_practice_gets_404_on_every_new_id(self) -> None:
        charlie = make_token(self.charlie, ["fhir:read"])
        paths = [f"/{kind}/{pk}" for kind, pk in self.ids().items() if kind != "Questionnaire"]
        paths += [
            f"/Observation/{self.first.pk}-item-1",
            f"/Observation/{self.first.pk}",
            f"/DocumentReference/{self.ended.episode.pk}/summary.pdf",
        ]
        paths += [f"/{kind}?patient={self.dana.pk}" for kind, e in READS.items() if e.for_patient]
        for path in paths:
            response = self.client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {charlie}")
            self.assertEqual(response.status_code, 404, path)
            check(self, response.json())
        # And Alice cannot read Eli's (Charlie's client's) records either.
        for path in (
            f"/Consent/{self.eli_ended.consent.pk}",
            f"/DocumentReference/{self.eli_ended.episode.pk}",
            f"/CarePlan/{self.eli_record['plan'].pk}",
            f"/Goal/{self.eli_record['goal'].pk}",
            f"/Encounter/{self.eli_record['attended'].pk}",
        ):
            self.assertEqual(self.fhir(path).status_code, 404, path)

    def test_no_fhir_answer_holds_a_reflection(self) -> None:
        """SECURITY.md promise 3 over FHIR: every read, search, $everything and the summary PDF."""
        SelfReflection.objects.create(author=self.alice, text=CANARY + " self")
        paths = [f"/Patient/{self.dana.pk}/$everything", "/metadata", "/Questionnaire"]
        paths += [f"/{kind}/{pk}" for kind, pk in self.ids().items()]
        paths += [f"/{kind}?patient={self.dana.pk}" for kind, e in READS.items() if e.for_patient]
        for path in paths:
            response = self.client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {self.secret}")
            self.assertEqual(response.status_code, 200, path)
            self.assertNotIn(CANARY, response.content.decode(), path)
        pdf = self.fhir(f"/DocumentReference/{self.ended.episode.pk}/summary.pdf").content
        self.assertIn("Termination summary", pdf_text(pdf))
        self.assertNotIn(CANARY, pdf_text(pdf))
        self.assertNotIn(CANARY.encode(), pdf)


class PatientSearchAccessTests(NewWorld):
    """A search with `patient=` by every type that has one: the owner's token gets that
    client's resources (and only theirs); another practice's token gets the same 404
    OperationOutcome as for an unknown id (`get_client_for` in `search_view`), which names
    nothing of the client; a colleague's too."""

    def searchable(self) -> list[str]:
        kinds = [kind for kind, entry in READS.items() if entry.for_patient is not None]
        # Every type the CapabilityStatement lists with a `patient` parameter is here.
        statement = self.client.get(f"{BASE}/metadata").json()
        with_patient = [
            r["type"]
            for r in statement["rest"][0]["resource"]
            if any(p["name"] == "patient" for p in r.get("searchParam", []))
        ]
        self.assertEqual(sorted(kinds), sorted(with_patient))
        self.assertEqual(len(kinds), 10)
        return kinds

    def refers_to(self, resource: dict[str, Any], client: Client) -> bool:
        return f'"Patient/{client.pk}"' in json.dumps(resource)

    def test_the_owner_gets_the_patients_resources_and_outsiders_a_404(self) -> None:
        charlie = make_token(self.charlie, ["fhir:read"])
        bob = make_token(self.bob, ["fhir:read"])
        for kind in self.searchable():
            for patient in (str(self.dana.pk), f"Patient/{self.dana.pk}"):
                with self.subTest(kind=kind, patient=patient):
                    own = self.fhir(f"/{kind}", patient=patient)
                    self.assertEqual(own.status_code, 200)
                    bundle = own.json()
                    self.assertEqual(bundle["type"], "searchset")
                    self.assertGreater(bundle["total"], 0)
                    for entry in bundle["entry"]:
                        self.assertTrue(self.refers_to(entry["resource"], self.dana))
                        self.assertFalse(self.refers_to(entry["resource"], self.eli))
                    for outsider in (charlie, bob):
                        response = self.fhir(f"/{kind}", outsider, patient=patient)
                        self.assertEqual(response.status_code, 404)
                        refused = response.json()
                        self.assertEqual(refused["resourceType"], "OperationOutcome")
                        self.assertEqual(refused["issue"][0]["code"], "not-found")
                        self.assertNotIn(f"Patient/{self.dana.pk}", response.content.decode())
                        self.assertNotIn("Dana", response.content.decode())
                    # The same 404 as an id nobody has: the answer does not tell them apart.
                    unknown = self.fhir(f"/{kind}", charlie, patient="999999")
                    self.assertEqual(
                        (unknown.status_code, unknown.content),
                        (404, self.fhir(f"/{kind}", charlie, patient=patient).content),
                    )
            # Charlie's own client's search works for him: the 404 is about Dana, not him.
            theirs = self.fhir(f"/{kind}", charlie, patient=self.eli.pk)
            self.assertEqual(theirs.status_code, 200, kind)
            for entry in theirs.json().get("entry", []):
                self.assertFalse(self.refers_to(entry["resource"], self.dana), kind)


class PortalClientTests(NewWorld):
    """A portal client (not staff) has no way into the API or FHIR: no token can be made for
    them (test_tokens.py) and a logged-in portal session opens neither."""

    def test_a_portal_session_opens_neither_the_api_nor_fhir(self) -> None:
        self.login(make_portal_user(self.dana))
        self.assertEqual(self.client.get("/api/v1/clients").status_code, 401)
        self.assertEqual(self.client.get(f"/api/v1/clients/{self.dana.pk}").status_code, 401)
        for path in (f"/Patient/{self.dana.pk}", f"/Patient/{self.dana.pk}/$everything"):
            response = self.client.get(BASE + path)
            self.assertEqual(response.status_code, 401, path)
            self.assertEqual(response.json()["resourceType"], "OperationOutcome")
        self.assertEqual(
            self.client.get(f"{BASE}/Observation", {"patient": self.dana.pk}).status_code, 401
        )

    def test_a_token_row_made_for_a_portal_client_opens_nothing(self) -> None:
        portal = make_portal_user(self.dana)
        secret = "ctm_forged-portal-fhir-token"
        ApiToken.objects.create(
            user=portal,
            name="x",
            prefix="ctm_fo",
            token_hash=tokens.digest(secret),
            scopes=["fhir:read", "fhir:write", "clients:read"],
            expires_at=timezone.now() + timedelta(days=1),
        )
        for path in (f"/Patient/{self.dana.pk}", "/$export", "/Patient"):
            self.assertEqual(self.fhir(path, secret).status_code, 401, path)
        self.assertEqual(self.fhir("/Observation", secret, patient=self.dana.pk).status_code, 401)


class DemoEverythingTests(TestCase):
    """`$everything` of the demo client with the longest history (seed_demo, the default 40
    clients), every entry valid against the R4 JSON schema and the R4B models, and none of the
    demo's reflections in it."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        call_command("seed_demo", "--now", "2026-11-18T16:00", stdout=StringIO())

    def test_the_longest_history(self) -> None:
        client = (
            Client.objects.annotate(
                length=Count("appointments", distinct=True)
                + Count("administrations", distinct=True)
            )
            .order_by("-length", "pk")
            .first()
        )
        assert client is not None
        secret = make_token(client.therapist, ["fhir:read"])
        response = self.client.get(
            f"{BASE}/Patient/{client.pk}/$everything", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        self.assertEqual(response.status_code, 200)
        bundle = response.json()
        check(self, bundle)
        kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
        for kind in ("Encounter", "QuestionnaireResponse", "Observation", "Questionnaire"):
            self.assertGreater(kinds[kind], 0, kind)
        self.assertGreater(len(bundle["entry"]), 50)
        body = response.content.decode()
        texts = [r.text for r in Reflection.objects.filter(client=client)]
        texts += [r.text for r in SelfReflection.objects.filter(author=client.therapist)]
        self.assertTrue(texts)
        for text in texts:
            self.assertNotIn(text, body)
