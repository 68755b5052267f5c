"""Pure functions from our records to the FHIR R4 resources added after the first set
(mappers.py): Encounter, Questionnaire, panel and item Observations, CarePlan, Goal, Flag,
Consent and DocumentReference.

No queries here: the caller loads what a mapper reads. Only what a therapist records for the
record: never reflections, self-reflections, check-in notes or free text the client wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from continuum.fhir.mappers import (
    INSTRUMENT_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    Resource,
    ndjson,
    questionnaire_url,
    ref,
    total_code,
)
from continuum.measures.instruments import Instrument, Item, UnknownInstrument, get_instrument

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_SYSTEM = "https://continuum.invalid/fhir/CodeSystem/instrument-item"
OPTION_SYSTEM = "https://continuum.invalid/fhir/CodeSystem/answer-option"
ALERT_SYSTEM = "https://continuum.invalid/fhir/CodeSystem/alert"


def fhir_id(code: str) -> str:
    """An instrument code as a FHIR id ([A-Za-z0-9.-]): goal_rating → goal-rating."""
    return code.replace("_", "-")


def _score(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


# --- Encounter (an attended session) -------------------------------------------------------


def encounter(appt: Any) -> Resource:
    resource: Resource = {
        "resourceType": "Encounter",
        "id": str(appt.pk),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "subject": ref("Patient", appt.client_id),
        "participant": [{"individual": ref("Practitioner", appt.therapist_id)}],
        "appointment": [ref("Appointment", appt.pk)],
        "period": {"start": appt.starts_at.isoformat(), "end": appt.ends_at.isoformat()},
        "length": {
            "value": appt.duration_minutes,
            "unit": "min",
            "system": UCUM,
            "code": "min",
        },
    }
    if appt.episode_id is not None:
        resource["episodeOfCare"] = [ref("EpisodeOfCare", appt.episode_id)]
    return resource


# --- Questionnaire (the measures catalogue) -------------------------------------------------


def _option(option: Any) -> dict[str, Any]:
    coding: dict[str, Any] = (
        {"system": LOINC, "code": option.loinc}
        if option.loinc
        else {"system": OPTION_SYSTEM, "code": str(option.value)}
    )
    if option.label:
        coding["display"] = option.label
    # The score this answer adds to the total (reversed items score high to low).
    coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    return {"valueCoding": coding}


def _question(inst: Instrument, item: Item) -> dict[str, Any]:
    question: dict[str, Any] = {
        "linkId": item.key,
        "text": item.wording,
        "type": "choice",
        "required": not item.optional,
        "answerOption": [_option(o) for o in item.options],
    }
    if item.loinc:
        question["code"] = [{"system": LOINC, "code": item.loinc}]
    return question


def questionnaire(inst: Instrument, base: str) -> Resource:
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": fhir_id(inst.code),
        # The canonical URL QuestionnaireResponse.questionnaire names.
        "url": questionnaire_url(base, inst.code),
        "version": inst.version,
        "name": "".join(ch for ch in inst.name if ch.isalnum()) or fhir_id(inst.code),
        "title": inst.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": inst.instructions or inst.title,
    }
    if inst.copyright:
        resource["copyright"] = inst.copyright
    if inst.loinc_panel:
        resource["code"] = [{"system": LOINC, "code": inst.loinc_panel, "display": inst.name}]
    else:
        resource["code"] = [{"system": INSTRUMENT_SYSTEM, "code": inst.code, "display": inst.name}]
    if inst.items:  # goal ratings are built per plan: no fixed items
        resource["item"] = [_question(inst, i) for i in inst.items]
    return resource


# --- Observations: the LOINC panel and its items (beside the total of mappers.observation) --


@dataclass(frozen=True)
class ObservationRow:
    """One Observation of a completed administration: the total (part ""), the LOINC panel
    ("panel") or one answered item ("item-<key>"). Its FHIR id is "<pk>" or "<pk>-<part>"."""

    admin: Any
    part: str = ""

    @property
    def fhir_id(self) -> str:
        return f"{self.admin.pk}-{self.part}" if self.part else str(self.admin.pk)


@cache
def panel_instrument(code: str) -> Instrument | None:
    """The instrument if LOINC defines a panel for it (PHQ-9, GAD-7), else None."""
    try:
        inst = get_instrument(code)
    except UnknownInstrument:
        return None
    return inst if inst.loinc_panel else None


def observation_rows(admin: Any) -> list[ObservationRow]:
    """The total, then (for a LOINC panel) the panel and one row per answered item."""
    rows = [ObservationRow(admin)]
    inst = panel_instrument(admin.instrument)
    if inst is None:
        return rows
    rows.append(ObservationRow(admin, "panel"))
    answers = admin.answers
    rows += [
        ObservationRow(admin, f"item-{item.key}")
        for item in inst.items
        if answers.get(item.key) is not None
    ]
    return rows


# The parts every survey Observation shares. Built once and shared between resources (the
# bulk export writes millions): never mutate a resource's parts after it is built.
_SURVEY_CATEGORY = [
    {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
]


def _survey(admin: Any, oid: str, code: dict[str, Any]) -> Resource:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": _SURVEY_CATEGORY,
        "code": code,
        "subject": ref("Patient", admin.client_id),
        "effectiveDateTime": admin.completed_at.isoformat(),
        "derivedFrom": [ref("QuestionnaireResponse", admin.pk)],
    }


@cache
def _panel_code(code: str) -> dict[str, Any]:
    inst = panel_instrument(code)
    assert inst is not None
    assert inst.loinc_panel
    return {
        "coding": [{"system": LOINC, "code": inst.loinc_panel, "display": f"{inst.name} panel"}],
        "text": f"{inst.name} panel",
    }


def panel_observation(row: ObservationRow) -> Resource:
    admin = row.admin
    resource = _survey(admin, row.fhir_id, _panel_code(admin.instrument))
    members = [r for r in observation_rows(admin) if r.part != "panel"]
    resource["hasMember"] = [{"reference": f"Observation/{r.fhir_id}"} for r in members]
    return resource


@cache
def _item_parts(code: str, key: str) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """An item's Observation code, and its answers that have a LOINC code as their
    valueCodeableConcept (by answer value)."""
    inst = panel_instrument(code)
    item = inst.item(key) if inst is not None else None
    assert inst is not None
    assert item is not None
    coding = (
        {"system": LOINC, "code": item.loinc}
        if item.loinc
        else {"system": ITEM_SYSTEM, "code": f"{inst.code}-{key}"}
    )
    answers: dict[int, dict[str, Any]] = {}
    for option in item.options:
        if option.loinc and option.value not in answers:  # the first option of a value
            answer: dict[str, Any] = {"system": LOINC, "code": option.loinc}
            if option.label:
                answer["display"] = option.label
            answers[option.value] = {"coding": [answer]}
        answers.setdefault(option.value, {})  # an option without a LOINC code: an integer
    return {"coding": [coding], "text": item.wording}, answers


def item_observation(row: ObservationRow) -> Resource:
    admin = row.admin
    key = row.part.removeprefix("item-")
    code, answers = _item_parts(admin.instrument, key)
    resource = _survey(admin, row.fhir_id, code)
    value = int(admin.answers[key])
    concept = answers.get(value)
    if concept:
        resource["valueCodeableConcept"] = concept
    else:
        resource["valueInteger"] = value
    return resource


# --- CarePlan and Goal (the treatment plan) -----------------------------------------------

PLAN_STATUS = {"draft": "draft", "current": "active", "superseded": "revoked"}
GOAL_LIFECYCLE = {"active": "active", "achieved": "completed", "dropped": "cancelled"}


def care_plan(plan: Any, goal_ids: list[int]) -> Resource:
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "status": PLAN_STATUS.get(plan.status, "unknown"),
        "intent": "plan",
        "title": f"Treatment plan, version {plan.version}",
        "description": plan.focus,
        "subject": ref("Patient", plan.client_id),
        "created": plan.created_at.isoformat(),
        "author": ref("Practitioner", plan.created_by_id),
        "supportingInfo": [ref("EpisodeOfCare", plan.episode_id)],
    }
    period: dict[str, str] = {}
    if plan.published_at is not None:
        period["start"] = plan.published_at.isoformat()
    if plan.superseded_at is not None:
        period["end"] = plan.superseded_at.isoformat()
    if period:
        resource["period"] = period
    if plan.previous_id is not None:
        resource["replaces"] = [ref("CarePlan", plan.previous_id)]
    if goal_ids:
        resource["goal"] = [ref("Goal", pk) for pk in goal_ids]
    return resource


def goal(goal: Any, client_id: int) -> Resource:
    target: dict[str, Any] = {"dueDate": goal.target_date.isoformat()}
    quantity = _score(goal.target_value)
    quantity["comparator"] = "<" if goal.comparison == "below" else ">="
    if goal.target_kind == "rating":
        target["measure"] = {"text": "Goal rating (0-10)"}
    else:
        target["measure"] = total_code(goal.instrument)
        try:
            if get_instrument(goal.instrument).display_unit == "%":
                quantity.update(unit="%", code="%")
        except UnknownInstrument:
            pass
    target["detailQuantity"] = quantity
    resource: Resource = {
        "resourceType": "Goal",
        "id": str(goal.pk),
        # A draft plan's goals are proposals until the plan is published.
        "lifecycleStatus": (
            "proposed" if goal.plan.status == "draft" else GOAL_LIFECYCLE.get(goal.status, "active")
        ),
        "description": {"text": goal.statement},
        "subject": ref("Patient", client_id),
        "startDate": goal.created_at.date().isoformat(),
        "target": [target],
    }
    if goal.status == "achieved":
        resource["achievementStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": "achieved",
                }
            ]
        }
    return resource


# --- Flag (an open safety alert) ------------------------------------------------------------


def flag(alert: Any) -> Resource:
    return {
        "resourceType": "Flag",
        "id": str(alert.pk),
        "status": "active",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": "clinical",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": ALERT_SYSTEM, "code": "safety", "display": "Safety alert"}],
            "text": alert.message,
        },
        "subject": ref("Patient", alert.client_id),
        "period": {"start": alert.created_at.isoformat()},
    }


# --- Consent (follow-up after the episode) ----------------------------------------------------

CONSENT_STATUS = {
    "offered": "proposed",
    "declined": "rejected",
    "active": "active",
    "withdrawn": "inactive",
    "expired": "inactive",
    "superseded": "inactive",
}


def consent(row: Any) -> Resource:
    moment = row.consented_at or row.declined_at or row.offered_at or row.created_at
    return {
        "resourceType": "Consent",
        "id": str(row.pk),
        "status": CONSENT_STATUS.get(row.status, "proposed"),
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "treatment",
                }
            ],
            "text": "Follow-up check-ins after the end of therapy",
        },
        "category": [{"coding": [{"system": LOINC, "code": "59284-0"}], "text": "Consent"}],
        "patient": ref("Patient", row.client_id),
        "dateTime": moment.isoformat(),
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
        "provision": {
            "type": "permit",
            "period": {"start": row.starts_on.isoformat(), "end": row.ends_on.isoformat()},
        },
    }


# --- DocumentReference (the termination summary) --------------------------------------------

ENDING_STATUSES = ("ending", "ended", "follow_up", "closed")


def document_reference(episode: Any, practice_id: int, base: str) -> Resource:
    """The clinical termination summary of an episode that is ending or has ended; the PDF is
    fetched from its URL with the same bearer token."""
    period = {"start": episode.start_date.isoformat()}
    if episode.end_date is not None:
        period["end"] = episode.end_date.isoformat()
    return {
        "resourceType": "DocumentReference",
        "id": str(episode.pk),
        "status": "current",
        "docStatus": "preliminary" if episode.status == "ending" else "final",
        "type": {
            "coding": [{"system": LOINC, "code": "18842-5", "display": "Discharge summary"}],
            "text": "Termination summary",
        },
        "subject": ref("Patient", episode.client_id),
        "author": [ref("Practitioner", episode.therapist_id)],
        "custodian": ref("Organization", practice_id),
        "description": "Termination summary (clinical version)",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": f"{base}/DocumentReference/{episode.pk}/summary.pdf",
                    "title": f"Termination summary, episode {episode.pk}",
                }
            }
        ],
        "context": {"period": period, "related": [ref("EpisodeOfCare", episode.pk)]},
    }


# --- Observations as NDJSON, fast (the bulk export) ---------------------------------------------

_DATA_ABSENT = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "code": "not-performed",
        }
    ]
}


@dataclass(frozen=True)
class _Fragments:
    """An instrument's Observations as pre-encoded JSON pieces (see observation_lines)."""

    head: str  # up to the total's "code" value, after the id
    total_code: str
    panel_code: str | None
    # By item key: the escaped key (in ids) and the item's code, and by answer value the
    # encoded value member.
    items: dict[str, tuple[str, str, dict[int, str]]]


_OBSERVATION = '{"resourceType":"Observation","id":'
_HEAD = ',"status":"final","category":' + ndjson(_SURVEY_CATEGORY) + ',"code":'
_SCORE_TAIL = ',"unit":"{score}","system":' + ndjson(UCUM) + ',"code":"{score}"}}'
_ABSENT = ',"dataAbsentReason":' + ndjson(_DATA_ABSENT) + "}"


@cache
def _fragments(code: str) -> _Fragments:
    inst = panel_instrument(code)
    items: dict[str, tuple[str, str, dict[int, str]]] = {}
    for item in inst.items if inst is not None else ():
        item_code, answers = _item_parts(code, item.key)
        values = {
            value: ',"valueCodeableConcept":' + ndjson(concept)
            for value, concept in answers.items()
            if concept
        }
        items[item.key] = (ndjson(item.key)[1:-1], ndjson(item_code), values)
    return _Fragments(
        head=_HEAD,
        total_code=ndjson(total_code(code)),
        panel_code=ndjson(_panel_code(code)) if inst is not None else None,
        items=items,
    )


def observation_lines(admin: Any) -> list[str]:
    """The NDJSON lines of an administration's Observations: exactly `ndjson` of each
    resource that `observation_rows` and the mappers give (the total, the panel, the items),
    joined from pieces encoded once per instrument. The bulk export writes millions of them;
    continuum/fhir/tests/test_bulk.py proves the lines equal, for every instrument."""
    pk = str(admin.pk)
    parts = _fragments(admin.instrument)
    shared = (
        f',"subject":{{"reference":"Patient/{admin.client_id}"}},"effectiveDateTime":"'
        f'{admin.completed_at.isoformat()}","derivedFrom":[{{"reference":"'
        f'QuestionnaireResponse/{pk}"}}]'
    )
    total = admin.total
    lines = [
        f'{_OBSERVATION}"{pk}"{parts.head}{parts.total_code}{shared}'
        + (
            f',"valueQuantity":{{"value":{ndjson(total)}{_SCORE_TAIL}'
            if total is not None
            else _ABSENT
        )
    ]
    if parts.panel_code is None:
        return lines
    answers = admin.answers
    members = [f'{{"reference":"Observation/{pk}"}}']
    items = []
    for key, (escaped, item_code, values) in parts.items.items():
        answer = answers.get(key)
        if answer is None:
            continue
        oid = f"{pk}-item-{escaped}"
        members.append(f'{{"reference":"Observation/{oid}"}}')
        value = int(answer)
        items.append(
            f'{_OBSERVATION}"{oid}"{parts.head}{item_code}{shared}'
            + (values.get(value) or f',"valueInteger":{value}')
            + "}"
        )
    lines.append(
        f'{_OBSERVATION}"{pk}-panel"{parts.head}{parts.panel_code}{shared}'
        f',"hasMember":[{",".join(members)}]}}'
    )
    return lines + items
