"""Import: `POST /fhir/r4/QuestionnaireResponse` → a scored administration.

- The token needs the scope `fhir:write` (the owner's access rules: a client of someone else
  is a 404).
- The questionnaire is named by our canonical URL (`{base}/Questionnaire/{code}`, as our own
  QuestionnaireResponses name it; a `|version` suffix is allowed) or by its LOINC panel code
  (`http://loinc.org/q/44249-1` or `http://loinc.org/44249-1`; PHQ-9 44249-1, GAD-7 69737-5).
- `subject` is `Patient/{id}`; the answers go to the client's open episode (the latest one).
- Items by our linkId ("1".."n", as we export them) or by the item's LOINC code; answers as
  `valueInteger` (the stored value) or `valueCoding` with the option's LOINC answer code
  (LA...). Nested group items are read through.
- `authored` (with a time zone, not in the future) is when it was answered; without it, now.
- Scored by `measures.services.import_answers`: the same engine and alerts as any other
  completion (a safety answer raises the safety alert), one audit row (via `fhir`).
- Anything invalid or unknown is a 4xx OperationOutcome that says what is wrong, and
  nothing is stored. An `Idempotency-Key` header (optional here) makes a repeat return the
  first answer, as in the JSON API.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from continuum.api.core import KEY_MAX, actor
from continuum.api.models import ApiToken, IdempotentRequest
from continuum.care.access import get_client_for
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Episode
from continuum.fhir import mappers
from continuum.fhir.bulk import token_view
from continuum.fhir.views import CONTENT_TYPE, answer, base_url, outcome, search_view
from continuum.measures import services
from continuum.measures.instruments import Instrument
from continuum.measures.scoring import ScoringError

LOINC_PANEL = re.compile(r"^(?:http://loinc\.org/(?:q/)?|urn:loinc:)(\d{1,7}-\d)$")


class Invalid(ValueError):
    """What is wrong with the resource (safe to show: names fields, never echoes values)."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def importable() -> dict[str, Instrument]:
    return {i.code: i for i in services.assignable_instruments() if not i.dynamic}


def instrument_of(questionnaire: str) -> Instrument:
    canonical = questionnaire.split("|", 1)[0]
    ours = f"{base_url()}/Questionnaire/"
    known = importable()
    if canonical.startswith(ours):
        code = canonical.removeprefix(ours)
        if code in known:
            return known[code]
        raise Invalid(f"Unknown questionnaire {code!r}: use one of {', '.join(sorted(known))}.")
    match = LOINC_PANEL.match(canonical)
    if match:
        for inst in known.values():
            if inst.loinc_panel == match.group(1):
                return inst
        panels = sorted(f"{i.loinc_panel} ({i.name})" for i in known.values() if i.loinc_panel)
        raise Invalid(f"Unknown LOINC panel {match.group(1)}: known panels {', '.join(panels)}.")
    raise Invalid(
        "QuestionnaireResponse.questionnaire must be our canonical URL "
        f"({ours}<code>) or a LOINC panel (http://loinc.org/q/<panel code>)."
    )


def _flat(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if item.get("answer"):
            out.append(item)
        out += _flat(item.get("item") or [])
    return out


def answers_of(inst: Instrument, items: list[dict[str, Any]]) -> dict[str, int | None]:
    by_loinc = {i.loinc: i for i in inst.items if i.loinc}
    answers: dict[str, int | None] = {}
    for entry in _flat(items):
        link = str(entry.get("linkId", ""))
        item = inst.item(link) or by_loinc.get(link)
        if item is None:
            raise Invalid(f"linkId {link[:40]!r} is not an item of {inst.name}.")
        if item.key in answers:
            raise Invalid(f"Item {item.key} of {inst.name} is answered twice.")
        given = entry["answer"]
        if len(given) != 1:
            raise Invalid(f"Item {item.key} of {inst.name} takes exactly one answer.")
        value = _value(given[0], item)
        if value not in item.values:
            raise Invalid(
                f"Item {item.key} of {inst.name}: the answer must be one of {sorted(item.values)}."
            )
        answers[item.key] = value
    if not answers:
        raise Invalid(f"No answers: give the items of {inst.name}.")
    return answers


def _value(given: dict[str, Any], item: Any) -> int | None:
    if "valueInteger" in given:
        return int(given["valueInteger"])
    coding = given.get("valueCoding")
    if coding is not None:
        code = coding.get("code")
        for option in item.options:
            if option.loinc and option.loinc == code:
                return int(option.value)
        raise Invalid(f"Item {item.key}: the coded answer is not one of the item's LOINC answers.")
    raise Invalid(f"Item {item.key}: answer with valueInteger or valueCoding (LOINC LA code).")


def authored_of(body: dict[str, Any]) -> datetime:
    raw = body.get("authored")
    if raw is None:
        return timezone.now()
    moment = parse_datetime(str(raw)) if "T" in str(raw) else None
    if moment is None or moment.tzinfo is None:
        raise Invalid("authored must be a dateTime with a time zone, e.g. 2026-03-01T10:00:00Z.")
    if moment > timezone.now() + timedelta(minutes=5):
        raise Invalid("authored is in the future.")
    return moment


def parse(body: Any) -> tuple[Instrument, int, dict[str, int | None], datetime]:
    """The instrument, client id, answers and time of a QuestionnaireResponse, checked."""
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        raise Invalid("The body must be a QuestionnaireResponse.", 400)
    try:
        get_fhir_model_class("QuestionnaireResponse").model_validate(body)
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors()})[:5]
        raise Invalid(f"Not a valid QuestionnaireResponse: {', '.join(fields)}.", 400) from None
    if body.get("status") != "completed":
        raise Invalid("Only a completed QuestionnaireResponse (status completed) is imported.")
    if not body.get("questionnaire"):
        raise Invalid("QuestionnaireResponse.questionnaire is required.")
    inst = instrument_of(str(body["questionnaire"]))
    reference = str((body.get("subject") or {}).get("reference", ""))
    pk = reference.removeprefix("Patient/")
    if not reference.startswith("Patient/") or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        raise Invalid("subject must be a reference Patient/<id>.")
    answers = answers_of(inst, body.get("item") or [])
    return inst, int(pk), answers, authored_of(body)


def _store(request: HttpRequest, body: Any) -> tuple[int, dict[str, Any], str]:
    """(status, body, Location) of the import; raises Invalid or Http404."""
    inst, client_id, answers, authored = parse(body)
    who = actor(request)
    client = get_client_for(who, client_id)
    episode = (
        Episode.objects.filter(client=client, status__in=OPEN_STATUSES)
        .order_by("-start_date", "-pk")
        .first()
    )
    if episode is None:
        raise Invalid(f"Patient/{client.pk} has no open episode of care to add answers to.")
    try:
        admin = services.import_answers(
            episode,
            instrument=inst.code,
            answers=answers,
            completed_at=authored,
            actor=who,
            via="fhir",
        )
    except ScoringError as error:
        raise Invalid(f"The answers cannot be scored: {error}") from None
    except services.MeasureError as error:
        raise Invalid(str(error)) from None
    resource = mappers.questionnaire_response(admin, base_url())
    return 201, resource, f"{base_url()}/QuestionnaireResponse/{admin.pk}"


def _respond(status: int, body: dict[str, Any], location: str) -> HttpResponse:
    response = answer(body, status)
    if location:
        response["Location"] = location
    return response


def _import(request: HttpRequest) -> HttpResponse:
    kind = request.content_type or ""
    if kind not in (CONTENT_TYPE, "application/json"):
        return outcome(415, "not-supported", f"Send {CONTENT_TYPE}.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return outcome(400, "invalid", "The body is not JSON.")
    key = request.headers.get("Idempotency-Key")
    token: ApiToken = request.fhir_token  # type: ignore[attr-defined]
    if key is not None:
        key = key.strip()
        if not key or len(key) > KEY_MAX:
            return outcome(400, "invalid", f"Idempotency-Key: 1 to {KEY_MAX} characters.")
        earlier = IdempotentRequest.objects.filter(token=token, key=key).first()
        if earlier is not None:
            return _repeat(request, earlier)
    try:
        with transaction.atomic():
            status, resource, location = _store(request, body)
            if key is not None:
                IdempotentRequest.objects.create(
                    token=token,
                    key=key,
                    method="POST",
                    path=request.path[:300],
                    status=status,
                    body={"resource": resource, "location": location},
                )
    except Invalid as invalid:
        return outcome(invalid.status, invalid.code, str(invalid))
    except Http404:
        return outcome(404, "not-found", "No such patient.")
    except IntegrityError:
        earlier = IdempotentRequest.objects.filter(token=token, key=key).first()
        if earlier is None:
            raise
        return _repeat(request, earlier)
    return _respond(status, resource, location)


def _repeat(request: HttpRequest, earlier: IdempotentRequest) -> HttpResponse:
    if earlier.path != request.path[:300] or earlier.method != "POST":
        return outcome(409, "conflict", "This Idempotency-Key was used for another request.")
    return _respond(earlier.status, earlier.body["resource"], earlier.body["location"])


_search = search_view("QuestionnaireResponse")


_import_view = token_view(("POST",))(_import)


@csrf_exempt  # POST goes to a token-only view; GET to the search
def questionnaire_responses(request: HttpRequest) -> HttpResponse:
    """POST imports (a token with fhir:write); anything else is the search of views.py,
    unchanged (it checks its own token)."""
    if request.method == "POST":
        return _import_view(request)
    return _search(request)
