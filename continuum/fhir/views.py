"""/fhir/r4/: read and search-by-patient for the resources in READS, `Patient/{id}/$everything`
and the CapabilityStatement, built from the same table so it lists exactly what is served.

Auth: the API's personal access tokens with the scope `fhir:read` (continuum/api/core.py:
rate limit, one audit row per request, channel api); the same access helpers as every page,
so another practice's id is a 404. Every answer is FHIR JSON; errors are OperationOutcomes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from continuum.api.core import ApiError, actor, check_token
from continuum.care.access import (
    clients_for,
    get_appointment_for,
    get_client_for,
    get_episode_for,
)
from continuum.care.models import Appointment, Client, Episode
from continuum.fhir import mappers
from continuum.measures.access import administrations_for
from continuum.measures.models import Administration, AdministrationStatus

CONTENT_TYPE = "application/fhir+json"
FHIR_VERSION = "4.0.1"
Resource = mappers.Resource


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir/r4"


def answer(body: Resource, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"  # it may hold a record
    return response


def outcome(status: int, code: str, diagnostics: str) -> HttpResponse:
    return answer(mappers.operation_outcome(code, diagnostics), status)


ISSUE_CODES = {401: "login", 403: "forbidden", 404: "not-found", 429: "throttled"}

View = Callable[..., HttpResponse]


def fhir_view(view: View) -> View:
    """GET only, a token with `fhir:read`, errors as OperationOutcomes."""

    @wraps(view)
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        try:
            token = check_token(request, secret.strip(), "fhir") if scheme == "Bearer" else None
        except ApiError as error:
            return outcome(
                error.status_code, ISSUE_CODES.get(error.status_code, "forbidden"), error.message
            )
        if token is None:
            response = outcome(401, "login", "A valid API token with the scope fhir is required.")
            response["WWW-Authenticate"] = "Bearer"
            return response
        if request.method not in ("GET", "HEAD"):
            return outcome(405, "not-supported", "This server only reads.")
        try:
            return view(request, **kwargs)
        except Http404:
            return outcome(404, "not-found", "Not found.")

    return wrapped


# --- What is served ----------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return actor(request).acting_user()


def _completed(request: HttpRequest) -> QuerySet[Administration]:
    return administrations_for(_user(request)).filter(status=AdministrationStatus.COMPLETED)


def _practice_id(request: HttpRequest) -> int:
    practice_id = actor(request).practice_id
    assert practice_id is not None  # a live token's owner is a member
    return practice_id


@dataclass(frozen=True)
class Read:
    """One resource type: its read, its search by patient (None: only `_id`), its mapper."""

    get: Callable[[HttpRequest, int], Any]
    for_patient: Callable[[HttpRequest, Client], list[Any]] | None
    to_fhir: Callable[[HttpRequest, Any], Resource]


def _patient_read(request: HttpRequest, pk: int) -> Client:
    return get_client_for(actor(request), pk)


def _practitioner_read(request: HttpRequest, pk: int) -> Any:
    # The token's owner: a therapist's colleagues are not theirs to list.
    user = _user(request)
    if pk != user.pk:
        raise Http404("No such practitioner")
    return user


def _organization_read(request: HttpRequest, pk: int) -> Any:
    membership = _user(request).membership
    if pk != membership.practice_id:
        raise Http404("No such organization")
    return membership.practice


def _admin_read(request: HttpRequest, pk: int) -> Administration:
    return get_object_or_404(_completed(request), pk=pk)


def _admins_of(request: HttpRequest, client: Client) -> list[Administration]:
    return list(_completed(request).filter(client=client).order_by("completed_at", "pk"))


READS: dict[str, Read] = {
    "Patient": Read(_patient_read, None, lambda r, c: mappers.patient(c)),
    "Practitioner": Read(_practitioner_read, None, lambda r, u: mappers.practitioner(u)),
    "Organization": Read(_organization_read, None, lambda r, p: mappers.organization(p)),
    "EpisodeOfCare": Read(
        lambda r, pk: get_episode_for(actor(r), pk),
        lambda r, c: list(Episode.objects.filter(client=c).order_by("start_date", "pk")),
        lambda r, e: mappers.episode_of_care(e, _practice_id(r)),
    ),
    "Appointment": Read(
        lambda r, pk: get_appointment_for(actor(r), pk),
        lambda r, c: list(Appointment.objects.filter(client=c).order_by("starts_at", "pk")),
        lambda r, a: mappers.appointment(a),
    ),
    "QuestionnaireResponse": Read(
        _admin_read,
        _admins_of,
        lambda r, a: mappers.questionnaire_response(a, base_url()),
    ),
    "Observation": Read(_admin_read, _admins_of, lambda r, a: mappers.observation(a)),
}


def read_view(kind: str) -> View:
    entry = READS[kind]

    @fhir_view
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return answer(entry.to_fhir(request, entry.get(request, pk)))

    view.__name__ = f"read_{kind.lower()}"
    return view


def search_view(kind: str) -> View:
    entry = READS[kind]
    allowed = {"_id"} if entry.for_patient is None else {"patient"}

    @fhir_view
    def view(request: HttpRequest) -> HttpResponse:
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            return outcome(
                400,
                "not-supported",
                f"Unsupported search parameter(s): {', '.join(unknown)}. "
                f"{kind} supports: {', '.join(sorted(allowed))}.",
            )
        if entry.for_patient is None:
            return answer(mappers.bundle(_by_id(request, kind, entry), base_url()))
        patient = _small_id(request.GET.get("patient", "").removeprefix("Patient/"))
        if patient is None:
            return outcome(400, "invalid", "Search by patient: patient=<id>.")
        client = get_client_for(actor(request), patient)
        rows = entry.for_patient(request, client)
        return answer(mappers.bundle([entry.to_fhir(request, r) for r in rows], base_url()))

    view.__name__ = f"search_{kind.lower()}"
    return view


def _small_id(value: str) -> int | None:
    """An id as the database stores it: ASCII digits, at most 18 of them (a longer number
    cannot be a row's id, and int() of 4,300 digits raises)."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _by_id(request: HttpRequest, kind: str, entry: Read) -> list[Resource]:
    value = request.GET.get("_id", "")
    if kind == "Patient" and not value:
        return [mappers.patient(c) for c in clients_for(_user(request)).order_by("pk")]
    pk = _small_id(value)
    if pk is None:
        return []
    try:
        return [entry.to_fhir(request, entry.get(request, pk))]
    except Http404:
        return []


@fhir_view
def everything(request: HttpRequest, pk: int) -> HttpResponse:
    """Patient/{id}/$everything: the patient, their therapist and practice, and every
    resource of READS that refers to them."""
    client = get_client_for(actor(request), pk)
    resources = [
        mappers.patient(client),
        mappers.practitioner(client.therapist),
        mappers.organization(client.practice),
    ]
    for entry in READS.values():
        if entry.for_patient is not None:
            resources += [entry.to_fhir(request, r) for r in entry.for_patient(request, client)]
    return answer(mappers.bundle(resources, base_url()))


def capability_statement() -> Resource:
    resources = []
    for kind, entry in READS.items():
        params = (
            [{"name": "_id", "type": "token"}]
            if entry.for_patient is None
            else [{"name": "patient", "type": "reference"}]
        )
        resource: Resource = {
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": params,
        }
        if kind == "Patient":
            resource["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "software": {"name": "Continuum"},
        "implementation": {"description": "Continuum FHIR R4 (read-only)", "url": base_url()},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer personal access token with the scope fhir:read."
                },
                "resource": resources,
            }
        ],
    }


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, like the API's OpenAPI document (it shows no data)."""
    if request.method not in ("GET", "HEAD"):
        return outcome(405, "not-supported", "This server only reads.")
    return answer(capability_statement())
