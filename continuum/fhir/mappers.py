"""Pure functions from our records to FHIR R4 resources (JSON dicts).

No queries here: the caller loads what a mapper reads (select_related). Only what a therapist
records for the record: never reflections, self-reflections or check-in notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from continuum.measures.instruments import UnknownInstrument, get_instrument

Resource = dict[str, Any]

# The one NDJSON encoding of a resource (the bulk export): compact, UTF-8 as is.
ndjson = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
# Our own code system for instruments without a LOINC total code.
INSTRUMENT_SYSTEM = "https://continuum.invalid/fhir/CodeSystem/instrument"

EPISODE_STATUS = {
    "referral": "planned",
    "active": "active",
    "ending": "active",
    "ended": "finished",
    "follow_up": "finished",
    "closed": "finished",
}
APPOINTMENT_STATUS = {
    "scheduled": "booked",
    "attended": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}


def ref(kind: str, pk: int) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


def _instant(moment: datetime) -> str:
    return moment.isoformat()


def patient(client: Any) -> Resource:
    name: dict[str, Any] = {"use": "official", "family": client.last_name}
    name["given"] = [client.first_name]
    names = [name]
    if client.preferred_name:
        names.append({"use": "usual", "given": [client.preferred_name]})
    telecom = []
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "name": names,
        "generalPractitioner": [ref("Practitioner", client.therapist_id)],
        "managingOrganization": ref("Organization", client.practice_id),
    }
    if telecom:
        resource["telecom"] = telecom
    if client.date_of_birth is not None:
        resource["birthDate"] = client.date_of_birth.isoformat()
    return resource


def practitioner(user: Any) -> Resource:
    return {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": bool(user.is_active),
        "name": [{"text": user.display_name}],
    }


def organization(practice: Any) -> Resource:
    return {"resourceType": "Organization", "id": str(practice.pk), "name": practice.name}


def episode_of_care(episode: Any, practice_id: int) -> Resource:
    period = {"start": episode.start_date.isoformat()}
    if episode.end_date is not None:
        period["end"] = episode.end_date.isoformat()
    return {
        "resourceType": "EpisodeOfCare",
        "id": str(episode.pk),
        "status": EPISODE_STATUS.get(episode.status, "active"),
        "patient": ref("Patient", episode.client_id),
        "managingOrganization": ref("Organization", practice_id),
        "careManager": ref("Practitioner", episode.therapist_id),
        "period": period,
    }


def appointment(appt: Any) -> Resource:
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appt.pk),
        "status": APPOINTMENT_STATUS.get(appt.status, "booked"),
        "start": _instant(appt.starts_at),
        "end": _instant(appt.ends_at),
        "minutesDuration": appt.duration_minutes,
        "participant": [
            {"actor": ref("Patient", appt.client_id), "status": "accepted"},
            {"actor": ref("Practitioner", appt.therapist_id), "status": "accepted"},
        ],
    }
    if appt.episode_id is not None:
        resource["supportingInformation"] = [ref("EpisodeOfCare", appt.episode_id)]
    return resource


def questionnaire_url(base: str, code: str) -> str:
    return f"{base}/Questionnaire/{code}"


def questionnaire_response(admin: Any, base: str) -> Resource:
    items = []
    for key, value in sorted(admin.answers.items(), key=lambda kv: _item_order(kv[0])):
        item: dict[str, Any] = {"linkId": str(key)}
        if value is not None:
            item["answer"] = [{"valueInteger": int(value)}]
        items.append(item)
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(admin.pk),
        "questionnaire": questionnaire_url(base, admin.instrument),
        "status": "completed",
        "subject": ref("Patient", admin.client_id),
        "authored": _instant(admin.completed_at),
    }
    if items:
        resource["item"] = items
    return resource


def questionnaire_response_line(admin: Any, base: str) -> str:
    """`ndjson(questionnaire_response(admin, base))`, joined by hand: the bulk export writes
    hundreds of thousands (continuum/fhir/tests/test_bulk.py proves the lines equal)."""
    items = [
        f'{{"linkId":{ndjson(str(key))}}}'
        if value is None
        else f'{{"linkId":{ndjson(str(key))},"answer":[{{"valueInteger":{int(value)}}}]}}'
        for key, value in sorted(admin.answers.items(), key=lambda kv: _item_order(kv[0]))
    ]
    return (
        f'{{"resourceType":"QuestionnaireResponse","id":"{admin.pk}","questionnaire":'
        f"{ndjson(questionnaire_url(base, admin.instrument))}"
        f',"status":"completed","subject":{{"reference":"Patient/{admin.client_id}"}}'
        f',"authored":"{_instant(admin.completed_at)}"'
        + (f',"item":[{",".join(items)}]' if items else "")
        + "}"
    )


def _item_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (10**6, key)


def total_code(instrument: str) -> dict[str, Any]:
    try:
        inst = get_instrument(instrument)
    except UnknownInstrument:
        return {"coding": [{"system": INSTRUMENT_SYSTEM, "code": instrument}]}
    if inst.loinc_total:
        coding = {"system": LOINC, "code": inst.loinc_total, "display": f"{inst.name} total score"}
    else:
        coding = {"system": INSTRUMENT_SYSTEM, "code": inst.code, "display": f"{inst.name} total"}
    return {"coding": [coding], "text": f"{inst.name} total score"}


def observation(admin: Any) -> Resource:
    """The total score of a completed questionnaire (category survey), derived from its
    QuestionnaireResponse (same id)."""
    resource: Resource = {
        "resourceType": "Observation",
        "id": str(admin.pk),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": total_code(admin.instrument),
        "subject": ref("Patient", admin.client_id),
        "effectiveDateTime": _instant(admin.completed_at),
        "derivedFrom": [ref("QuestionnaireResponse", admin.pk)],
    }
    if admin.total is not None:
        resource["valueQuantity"] = {
            "value": admin.total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        }
    else:
        resource["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ]
        }
    return resource


def bundle(resources: Iterable[Resource], base: str) -> Resource:
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def operation_outcome(code: str, diagnostics: str) -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }
