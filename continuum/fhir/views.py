"""/fhir/r4/: read and search-by-patient for the resources in READS, `Patient/{id}/$everything`
and the CapabilityStatement, built from the same table so it lists exactly what is served.

Auth: the API's personal access tokens with the scope `fhir:read` (continuum/api/core.py:
rate limit, one audit row per request, channel api); the same access helpers as every page,
so another practice's id is a 404. Every answer is FHIR JSON; errors are OperationOutcomes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from continuum.api.core import ApiError, actor, check_token
from continuum.audit.log import record
from continuum.care.access import (
    clients_for,
    get_appointment_for,
    get_client_for,
    get_episode_for,
)
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.endings.pdf import pdf_response, render_pdf
from continuum.endings.summary import Version, build_summary
from continuum.fhir import care_mappers, mappers
from continuum.fhir.care_mappers import ENDING_STATUSES, ObservationRow, observation_rows
from continuum.fhir.search import DateParam, SearchError, by_code, by_date
from continuum.followup.access import get_consent_for
from continuum.followup.models import FollowUpConsent
from continuum.measures.access import administrations_for, alerts_for
from continuum.measures.instruments import INSTRUMENTS, Instrument
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertStatus,
)
from continuum.plans.access import get_goal_for, get_plan_for
from continuum.plans.models import Goal, TreatmentPlan

CONTENT_TYPE = "application/fhir+json"
FHIR_VERSION = "4.0.1"
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
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
    """One resource type: its read, its search by patient (None: only `_id`), its mapper.

    `id_type` is the read route's converter ("str": ids that are not row numbers); `date` and
    `code` are the search parameters beside `patient` (None: not supported, a 400); `list_all`
    answers a search without `_id` for the types searched by `_id` (None: an empty Bundle).
    """

    get: Callable[[HttpRequest, Any], Any]
    for_patient: Callable[[HttpRequest, Client], list[Any]] | None
    to_fhir: Callable[[HttpRequest, Any], Resource]
    id_type: str = "int"
    date: DateParam | None = None
    code: Callable[[Resource], list[dict[str, Any]]] | None = None
    list_all: Callable[[HttpRequest], list[Any]] | None = None
    # The rows of many patients in one pass (what the bulk export reads): for the clients of
    # a queryset, the rows `for_patient` gives for each of them, client by client (by pk).
    for_patients: Callable[[HttpRequest, QuerySet[Client]], Iterator[Any]] | None = None

    def search_params(self) -> dict[str, str]:
        """Name → FHIR search parameter type, as the CapabilityStatement lists them."""
        params = {"_id": "token"} if self.for_patient is None else {"patient": "reference"}
        if self.date is not None:
            params[self.date.name] = "date"
        if self.code is not None:
            params["code"] = "token"
        return params


# Rows fetched per query when many patients are read at once (the bulk export).
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class PatientRows:
    """How a type's rows are found by patient: `query` (the rows the token's owner may see,
    with what the mapper reads joined or prefetched), the field naming the client, the order
    within one client, and `expand` (one row → the rows the mapper takes, e.g. an
    administration's Observations).

    One patient (a search, `$everything`): one query. Many (the bulk export): one query for
    all of them, ordered by client and then the same way, read in chunks, so the rows come out
    exactly as one search per client (pk order) would give them.
    """

    query: Callable[[HttpRequest], QuerySet[Any]]
    order: tuple[str, ...]
    client_field: str = "client"
    expand: Callable[[Any], Iterable[Any]] | None = None

    def for_patient(self, request: HttpRequest, client: Client) -> list[Any]:
        rows = self.query(request).filter(**{self.client_field: client}).order_by(*self.order)
        if self.expand is None:
            return list(rows)
        return [part for row in rows for part in self.expand(row)]

    def for_patients(self, request: HttpRequest, clients: QuerySet[Client]) -> Iterator[Any]:
        rows = (
            self.query(request)
            .filter(**{f"{self.client_field}__in": clients.values("pk")})
            .order_by(f"{self.client_field}_id", *self.order)
            .iterator(chunk_size=CHUNK_SIZE)
        )
        if self.expand is None:
            yield from rows
        else:
            for row in rows:
                yield from self.expand(row)


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


def _completed_for_fhir(request: HttpRequest) -> QuerySet[Administration]:
    """Completed administrations with just what the QuestionnaireResponse and Observation
    mappers (and the export's `_since`) read: a score row has some thirty columns."""
    return _completed(request).only("client", "instrument", "answers", "total", "completed_at")


ADMINISTRATIONS = PatientRows(_completed_for_fhir, ("completed_at", "pk"))
OBSERVATIONS = PatientRows(_completed_for_fhir, ("completed_at", "pk"), expand=observation_rows)


def _admins_of(request: HttpRequest, client: Client) -> list[Administration]:
    return ADMINISTRATIONS.for_patient(request, client)


def _encounter_read(request: HttpRequest, pk: int) -> Appointment:
    appt = get_appointment_for(actor(request), pk)
    if appt.status != AppointmentStatus.ATTENDED:
        raise Http404("Only attended sessions are encounters")
    return appt


ENCOUNTERS = PatientRows(
    lambda r: Appointment.objects.filter(status=AppointmentStatus.ATTENDED), ("starts_at", "pk")
)


def _instrument_read(request: HttpRequest, code: str) -> Instrument:
    """A Questionnaire id is the instrument code with "-" for "_" (either is accepted)."""
    inst = INSTRUMENTS.get(code) or INSTRUMENTS.get(code.replace("-", "_"))
    if inst is None:
        raise Http404("No such questionnaire")
    return inst


_OBSERVATION_ID = re.compile(r"^(\d{1,18})(?:-(panel|item-[0-9A-Za-z]{1,20}))?$")


def _observation_read(request: HttpRequest, oid: str) -> ObservationRow:
    """ "<pk>" is the total, "<pk>-panel" the LOINC panel, "<pk>-item-<key>" one answer."""
    match = _OBSERVATION_ID.match(oid)
    if match is None:
        raise Http404("No such observation")
    admin = _admin_read(request, int(match[1]))
    row = ObservationRow(admin, match[2] or "")
    if row not in observation_rows(admin):
        raise Http404("No such observation")
    return row


def _observation(request: HttpRequest, row: ObservationRow) -> Resource:
    if row.part == "":
        return mappers.observation(row.admin)
    if row.part == "panel":
        return care_mappers.panel_observation(row)
    return care_mappers.item_observation(row)


def _plan_read(request: HttpRequest, pk: int) -> TreatmentPlan:
    return get_plan_for(_user(request), pk)


PLANS = PatientRows(
    lambda r: TreatmentPlan.objects.prefetch_related("goals"), ("episode_id", "version", "pk")
)


def _care_plan(request: HttpRequest, plan: TreatmentPlan) -> Resource:
    return care_mappers.care_plan(plan, [g.pk for g in plan.goals.all()])


GOALS = PatientRows(lambda r: Goal.objects.select_related("plan"), ("pk",), "plan__client")


def _open_safety_alerts(request: HttpRequest) -> QuerySet[Alert]:
    return (
        alerts_for(_user(request))
        .filter(kind=AlertKind.SAFETY)
        .exclude(status=AlertStatus.RESOLVED)
    )


EPISODES = PatientRows(lambda r: Episode.objects.all(), ("start_date", "pk"))
APPOINTMENTS = PatientRows(lambda r: Appointment.objects.all(), ("starts_at", "pk"))
FLAGS = PatientRows(_open_safety_alerts, ("created_at", "pk"))
CONSENTS = PatientRows(lambda r: FollowUpConsent.objects.all(), ("created_at", "pk"))
SUMMARIES = PatientRows(
    lambda r: Episode.objects.filter(status__in=ENDING_STATUSES), ("start_date", "pk")
)


def _summary_read(request: HttpRequest, pk: int) -> Episode:
    episode = get_episode_for(actor(request), pk)
    if episode.status not in ENDING_STATUSES:
        raise Http404("No termination summary yet")
    return episode


def _point(field: str) -> Callable[[Resource], tuple[str | None, str | None]]:
    return lambda r: (r.get(field), None)


def _period(field: str) -> Callable[[Resource], tuple[str | None, str | None]]:
    return lambda r: (r.get(field, {}).get("start"), r.get(field, {}).get("end"))


def _codings(field: str) -> Callable[[Resource], list[dict[str, Any]]]:
    def codings(resource: Resource) -> list[dict[str, Any]]:
        value = resource.get(field)
        if isinstance(value, dict):  # a CodeableConcept
            return list(value.get("coding", []))
        return list(value or [])  # a list of Codings (Questionnaire.code)

    return codings


READS: dict[str, Read] = {
    "Patient": Read(_patient_read, None, lambda r, c: mappers.patient(c)),
    "Practitioner": Read(_practitioner_read, None, lambda r, u: mappers.practitioner(u)),
    "Organization": Read(_organization_read, None, lambda r, p: mappers.organization(p)),
    "EpisodeOfCare": Read(
        lambda r, pk: get_episode_for(actor(r), pk),
        EPISODES.for_patient,
        lambda r, e: mappers.episode_of_care(e, _practice_id(r)),
        date=DateParam("date", _period("period"), open_ended=True),
        for_patients=EPISODES.for_patients,
    ),
    "Appointment": Read(
        lambda r, pk: get_appointment_for(actor(r), pk),
        APPOINTMENTS.for_patient,
        lambda r, a: mappers.appointment(a),
        date=DateParam("date", _point("start")),
        for_patients=APPOINTMENTS.for_patients,
    ),
    "QuestionnaireResponse": Read(
        _admin_read,
        ADMINISTRATIONS.for_patient,
        lambda r, a: mappers.questionnaire_response(a, base_url()),
        date=DateParam("authored", _point("authored")),
        for_patients=ADMINISTRATIONS.for_patients,
    ),
    "Observation": Read(
        _observation_read,
        OBSERVATIONS.for_patient,
        _observation,
        id_type="str",
        date=DateParam("date", _point("effectiveDateTime")),
        code=_codings("code"),
        for_patients=OBSERVATIONS.for_patients,
    ),
    "Encounter": Read(
        _encounter_read,
        ENCOUNTERS.for_patient,
        lambda r, a: care_mappers.encounter(a),
        date=DateParam("date", _period("period")),
        for_patients=ENCOUNTERS.for_patients,
    ),
    "Questionnaire": Read(
        _instrument_read,
        None,
        lambda r, i: care_mappers.questionnaire(i, base_url()),
        id_type="str",
        code=_codings("code"),
        list_all=lambda r: list(INSTRUMENTS.values()),
    ),
    "CarePlan": Read(
        _plan_read,
        PLANS.for_patient,
        _care_plan,
        date=DateParam("date", _period("period"), open_ended=True),
        for_patients=PLANS.for_patients,
    ),
    "Goal": Read(
        lambda r, pk: get_goal_for(_user(r), pk),
        GOALS.for_patient,
        lambda r, g: care_mappers.goal(g, g.plan.client_id),
        for_patients=GOALS.for_patients,
    ),
    "Flag": Read(
        lambda r, pk: get_object_or_404(_open_safety_alerts(r), pk=pk),
        FLAGS.for_patient,
        lambda r, a: care_mappers.flag(a),
        date=DateParam("date", _period("period"), open_ended=True),
        for_patients=FLAGS.for_patients,
    ),
    "Consent": Read(
        lambda r, pk: get_consent_for(_user(r), pk),
        CONSENTS.for_patient,
        lambda r, c: care_mappers.consent(c),
        date=DateParam("date", _point("dateTime")),
        for_patients=CONSENTS.for_patients,
    ),
    "DocumentReference": Read(
        _summary_read,
        SUMMARIES.for_patient,
        lambda r, e: care_mappers.document_reference(e, _practice_id(r), base_url()),
        for_patients=SUMMARIES.for_patients,
    ),
}


def read_view(kind: str) -> View:
    entry = READS[kind]

    @fhir_view
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        (key,) = kwargs.values()  # pk (a row id or an Observation id) or code (Questionnaire)
        return answer(entry.to_fhir(request, entry.get(request, key)))

    view.__name__ = f"read_{kind.lower()}"
    return view


def search_view(kind: str) -> View:
    entry = READS[kind]
    allowed = set(entry.search_params())

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
            resources = _by_id(request, kind, entry)
        else:
            patient = _small_id(request.GET.get("patient", "").removeprefix("Patient/"))
            if patient is None:
                return outcome(400, "invalid", "Search by patient: patient=<id>.")
            client = get_client_for(actor(request), patient)
            rows = entry.for_patient(request, client)
            resources = [entry.to_fhir(request, r) for r in rows]
        try:
            if entry.date is not None and entry.date.name in request.GET:
                resources = by_date(resources, request.GET.getlist(entry.date.name), entry.date)
            if entry.code is not None and "code" in request.GET:
                resources = by_code(resources, request.GET.getlist("code"), entry.code)
        except SearchError as error:
            return outcome(400, "invalid", str(error))
        return answer(mappers.bundle(resources, base_url()))

    view.__name__ = f"search_{kind.lower()}"
    return view


def _small_id(value: str) -> int | None:
    """An id as the database stores it: ASCII digits, at most 18 of them (a longer number
    cannot be a row's id, and int() of 4,300 digits raises)."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


_STR_ID = re.compile(r"^[A-Za-z0-9.\-]{1,64}$")


def _by_id(request: HttpRequest, kind: str, entry: Read) -> list[Resource]:
    value = request.GET.get("_id", "")
    if kind == "Patient" and not value:
        return [mappers.patient(c) for c in clients_for(_user(request)).order_by("pk")]
    if entry.list_all is not None and "_id" not in request.GET:
        return [entry.to_fhir(request, row) for row in entry.list_all(request)]
    key: int | str | None = (
        (value if _STR_ID.match(value) else None) if entry.id_type == "str" else _small_id(value)
    )
    if key is None:
        return []
    try:
        return [entry.to_fhir(request, entry.get(request, key))]
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
    # The Questionnaires the patient's responses answer.
    used = sorted({a.instrument for a in _admins_of(request, client)})
    resources += [
        care_mappers.questionnaire(INSTRUMENTS[code], base_url())
        for code in used
        if code in INSTRUMENTS
    ]
    return answer(mappers.bundle(resources, base_url()))


@fhir_view
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A DocumentReference's attachment: the clinical termination summary as a PDF, for the
    same bearer token (the page's PDF, audited the same way)."""
    episode = _summary_read(request, pk)
    record(
        actor(request),
        "ending.summary_export",
        episode,
        practice=episode.client.practice_id,
        client_id=episode.client_id,
        version=str(Version.CLINICAL),
    )
    context = {
        "summary": build_summary(episode, Version.CLINICAL),
        "episode": episode,
        "client": episode.client,
    }
    return pdf_response(
        render_pdf("endings/summary_pdf.html", context, request), f"summary-episode-{pk}.pdf"
    )


def capability_statement() -> Resource:
    resources = []
    for kind, entry in READS.items():
        params = [{"name": name, "type": kind_} for name, kind_ in entry.search_params().items()]
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
    # Import (continuum/fhir/imports.py): a QuestionnaireResponse may be created.
    for resource in resources:
        if resource["type"] == "QuestionnaireResponse":
            resource["interaction"].append({"code": "create"})
    # Bulk export (continuum/fhir/bulk.py): the practice's Group, and $export on it.
    resources.append(
        {
            "type": "Group",
            "interaction": [{"code": "read"}],
            "operation": [{"name": "export", "definition": f"{BULK_DATA}/group-export"}],
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "software": {"name": "Continuum"},
        "implementation": {"description": "Continuum FHIR R4", "url": base_url()},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer personal access token with the scope fhir:read "
                    "(fhir:write to create a QuestionnaireResponse)."
                },
                "resource": resources,
                "operation": [{"name": "export", "definition": f"{BULK_DATA}/export"}],
            }
        ],
    }


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, like the API's OpenAPI document (it shows no data)."""
    if request.method not in ("GET", "HEAD"):
        return outcome(405, "not-supported", "This server only reads.")
    return answer(capability_statement())
