"""Bulk export (FHIR Bulk Data Access IG 2.0): `$export` at system level and for the
practice's Group, run in the task queue, NDJSON files per resource type.

- Kick-off: `GET /fhir/r4/$export` or `GET /fhir/r4/Group/{practice id}/$export` with
  `Prefer: respond-async` → 202 and `Content-Location` (the status URL). `_type`, `_since`
  and `_outputFormat` (NDJSON only) are understood; any other parameter is refused with an
  OperationOutcome, never ignored.
- Status: 202 with `X-Progress` until done, then 200 with the manifest; `DELETE` cancels the
  job and deletes its files. Only the token's owner reaches their jobs (anyone else: 404).
- Files: `GET` with the same kind of token (requiresAccessToken), `application/fhir+ndjson`.
- What is exported: the resources of `views.READS`, so a type added there joins the export:
  Patient (the owner's clients, `clients_for`), Practitioner (the owner and their clients'
  therapists), Organization (the practice), every type READS lists whole (the Questionnaire
  catalogue) and every type READS can search by patient, for each of those clients, through
  the same functions as `$everything`. Nothing else: no
  reflection, no self-reflection, no wellbeing data (those are in no READS entry).
- `_since`: a resource is left out when the newest time its row knows (`updated_at`, else
  `completed_at`, else `created_at`) is before it; a row with none of these is kept.
- Files are stored gzipped and encrypted in the database (models.ExportFile), sent gzipped
  to a client that accepts it, and deleted with their job CONTINUUM_BULK_EXPORT_TTL_HOURS
  after the kick-off (the periodic job `fhir.expire_exports`).
- A running job beats (`heartbeat_at`) while it works; one silent for
  CONTINUUM_BULK_EXPORT_STALLED_MINUTES lost its worker: a status poll or the hourly job
  marks it failed, and its status URL answers 500 with an OperationOutcome that says to
  start again (the IG: a failed export is a 4XX/5XX with an OperationOutcome).
- Audited: the kick-off (`fhir.export_start`), each download (`fhir.export_download`) and a
  cancellation (`fhir.export_delete`), with ids, types and counts only; plus the
  `api.request` row every token request writes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django_tasks import task

from continuum.accounts.actors import Actor, Channel, actor_for
from continuum.accounts.models import User
from continuum.api.core import ApiError, actor, check_token
from continuum.audit import log as audit
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.fhir import care_mappers, mappers
from continuum.fhir.mappers import ndjson
from continuum.fhir.models import ExportFile, ExportJob, ExportStatus
from continuum.fhir.views import ADMINISTRATIONS, ISSUE_CODES, READS, answer, base_url, outcome

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
# Resources per stored file: a large type is split into several files of the manifest.
PART_SIZE = 10_000
# The resource types that are not searched by patient but still exported (built here).
TOP_LEVEL = ("Patient", "Practitioner", "Organization")

View = Callable[..., HttpResponse]


def ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "CONTINUUM_BULK_EXPORT_TTL_HOURS", 24)))


def exportable_types() -> list[str]:
    """Every type of READS the export can list: the top-level ones, those searched by patient
    and those that list all of theirs (the Questionnaire catalogue)."""
    return [
        kind
        for kind, entry in READS.items()
        if kind in TOP_LEVEL or entry.for_patient is not None or entry.list_all is not None
    ]


# --- Auth --------------------------------------------------------------------------------------


def token_view(methods: tuple[str, ...], access: str | None = None) -> Callable[[View], View]:
    """A token with the scope fhir (`access`; by default read for GET, write otherwise), the
    listed methods, errors as OperationOutcomes."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
            try:
                token = (
                    check_token(request, secret.strip(), "fhir", access)
                    if scheme == "Bearer"
                    else None
                )
            except ApiError as error:
                return outcome(
                    error.status_code,
                    ISSUE_CODES.get(error.status_code, "forbidden"),
                    error.message,
                )
            if token is None:
                response = outcome(
                    401, "login", "A valid API token with the scope fhir is required."
                )
                response["WWW-Authenticate"] = "Bearer"
                return response
            request.fhir_token = token  # type: ignore[attr-defined]
            if request.method not in methods:
                response = outcome(405, "not-supported", f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, **kwargs)

        # Token-authenticated only (no session cookie is read), so no CSRF token either.
        return csrf_exempt(wrapped)

    return decorate


def _user(request: HttpRequest) -> User:
    return actor(request).acting_user()


def _practice_id(request: HttpRequest) -> int:
    practice_id = actor(request).practice_id
    assert practice_id is not None  # a live token's owner is a member
    return practice_id


# --- The practice's Group ------------------------------------------------------------------------


def group(user: User, practice: Any) -> mappers.Resource:
    """The practice as a Group of the clients its member `user` may see (id: the practice's)."""
    members = list(clients_for(user).order_by("pk").values_list("pk", flat=True))
    return {
        "resourceType": "Group",
        "id": str(practice.pk),
        "type": "person",
        "actual": True,
        "name": practice.name,
        "managingEntity": mappers.ref("Organization", practice.pk),
        "quantity": len(members),
        "member": [{"entity": mappers.ref("Patient", pk)} for pk in members],
    }


@token_view(("GET", "HEAD"))
def group_read(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    if pk != _practice_id(request):
        return outcome(404, "not-found", "Not found.")
    return answer(group(user, user.membership.practice))


# --- Kick-off ------------------------------------------------------------------------------------


class Refused(ValueError):
    """A kick-off the server will not run; the message says why (safe to show)."""


def parse_kickoff(request: HttpRequest) -> tuple[list[str], datetime | None]:
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise Refused("A bulk export runs asynchronously: send the header Prefer: respond-async.")
    allowed = {"_type", "_since", "_outputFormat"}
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise Refused(
            f"Unsupported $export parameter(s): {', '.join(unknown)}. "
            f"Supported: {', '.join(sorted(allowed))}."
        )
    fmt = request.GET.get("_outputFormat")
    if fmt is not None and fmt not in OUTPUT_FORMATS:
        raise Refused(f"Only {NDJSON} output is supported.")
    known = exportable_types()
    types = known
    if "_type" in request.GET:
        asked = [t.strip() for v in request.GET.getlist("_type") for t in v.split(",")]
        asked = [t for t in asked if t]
        wrong = sorted({t for t in asked if t not in known})
        if wrong or not asked:
            raise Refused(
                f"Unsupported _type: {', '.join(wrong) or '(empty)'}. "
                f"Exportable: {', '.join(known)}."
            )
        types = [t for t in known if t in asked]
    since = None
    if "_since" in request.GET:
        raw = request.GET["_since"].strip().replace(" ", "+")  # a '+' sent unencoded
        try:
            since = parse_datetime(raw)
            if since is not None and since.tzinfo is not None:
                since = since.astimezone(UTC)  # year 1 at +14:00 is before year 1 in UTC
        except (ValueError, OverflowError):
            since = None
        if since is None or since.tzinfo is None:
            raise Refused(
                "_since must be a FHIR instant with a time zone, e.g. 2026-01-01T00:00:00Z."
            )
    return types, since


@transaction.atomic
def start_export(
    actor: Actor, *, level: str, types: list[str], since: datetime | None, request_url: str
) -> ExportJob:
    """Record the job, audit the kick-off, queue the work (after the commit)."""
    user = actor.acting_user()
    now = timezone.now()
    job = ExportJob.objects.create(
        user=user,
        practice_id=user.membership.practice_id,
        level=level,
        types=types,
        since=since,
        request_url=request_url[:500],
        created_at=now,
        expires_at=now + ttl(),
    )
    audit.record(
        actor,
        "fhir.export_start",
        job,
        practice=job.practice_id,
        level=level,
        types=types,
        since=since is not None,
    )
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def _kickoff(request: HttpRequest, level: str) -> HttpResponse:
    try:
        types, since = parse_kickoff(request)
    except Refused as refused:
        return outcome(400, "not-supported", str(refused))
    query = request.GET.urlencode()
    url = f"{settings.SITE_URL}{request.path}" + (f"?{query}" if query else "")
    job = start_export(actor(request), level=level, types=types, since=since, request_url=url)
    response = answer(_accepted(), status=202)
    response["Content-Location"] = status_url(job)
    return response


def _accepted() -> mappers.Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": "The export was accepted; poll the Content-Location URL.",
            }
        ],
    }


def status_url(job: ExportJob) -> str:
    return f"{base_url()}/bulk/{job.pk}"


def file_url(job: ExportJob, file: ExportFile) -> str:
    return f"{base_url()}/bulk/{job.pk}/{file.pk}.ndjson"


@token_view(("GET",))
def export_system(request: HttpRequest) -> HttpResponse:
    return _kickoff(request, "system")


@token_view(("GET",))
def export_group(request: HttpRequest, pk: int) -> HttpResponse:
    if pk != _practice_id(request):
        return outcome(404, "not-found", "Not found.")
    return _kickoff(request, "group")


# --- Status, manifest, files, cancel -------------------------------------------------------------


def _job_of(request: HttpRequest, pk: int) -> ExportJob | None:
    """The token owner's own unexpired job; None for anyone else's (a 404)."""
    return ExportJob.objects.filter(
        pk=pk, user=_user(request), expires_at__gt=timezone.now()
    ).first()


def manifest(job: ExportJob) -> dict[str, Any]:
    assert job.transaction_time is not None
    return {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f.resource_type, "url": file_url(job, f), "count": f.count}
            for f in job.files.order_by("pk").only("pk", "resource_type", "count")
        ],
        "error": [],
    }


# Cancelling your own job deletes only what it made: reading access is enough.
@token_view(("GET", "DELETE"), access="read")
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_of(request, pk)
    if job is None:
        return outcome(404, "not-found", "No such export (or it has expired).")
    if request.method == "DELETE":
        delete_export(actor(request), job)
        return answer(_deleted(), status=202)
    beat = job.heartbeat_at or job.transaction_time
    if (
        job.status == ExportStatus.RUNNING
        and beat is not None
        and beat < timezone.now() - stalled_after()
    ):
        fail(job.pk, WORKER_LOST)  # its worker died: say so now, not forever "running"
        job.refresh_from_db()
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = answer(_in_progress(job), status=202)
        response["X-Progress"] = f"{job.progress}% ({job.status})"
        response["Retry-After"] = "5"
        return response
    if job.status == ExportStatus.FAILED:
        # The IG: a failed job answers a 4xx/5xx with an OperationOutcome.
        why = (
            "its worker stopped before it finished"
            if job.error == WORKER_LOST
            else (job.error or "error")
        )
        return outcome(
            500,
            "exception",
            f"The export failed ({why}); no files were kept. Start a new export "
            "(kick off $export again).",
        )
    response = HttpResponse(json.dumps(manifest(job)), content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Expires"] = job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


def _in_progress(job: ExportJob) -> mappers.Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": f"In progress: {job.progress}%.",
            }
        ],
    }


def _deleted() -> mappers.Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": "The export was cancelled and its files deleted.",
            }
        ],
    }


@transaction.atomic
def delete_export(actor: Actor, job: ExportJob) -> None:
    audit.record(actor, "fhir.export_delete", job, practice=job.practice_id, status=str(job.status))
    job.delete()


@token_view(("GET",))
def export_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    job = _job_of(request, pk)
    file = (
        ExportFile.objects.filter(pk=file_id, job=job).first()
        if job is not None and job.status == ExportStatus.DONE
        else None
    )
    if job is None or file is None:
        return outcome(404, "not-found", "No such file (or it has expired).")
    audit.record(
        actor(request),
        "fhir.export_download",
        job,
        practice=job.practice_id,
        file=file.pk,
        type=file.resource_type,
        count=file.count,
    )
    # Stored gzipped: sent as is to a client that accepts gzip, unpacked for any other.
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(file.ndjson_gzip(), content_type=NDJSON)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(file.ndjson(), content_type=NDJSON)
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-store"
    return response


# --- The work (task queue) ---------------------------------------------------------------------


def _changed_at(row: Any) -> datetime | None:
    # A row may wrap the record it maps (an item Observation wraps its administration).
    for holder in (row, getattr(row, "admin", None)):
        for name in ("updated_at", "completed_at", "created_at"):
            value = getattr(holder, name, None)
            if isinstance(value, datetime):
                return value
    return None


def _fresh(row: Any, since: datetime | None) -> bool:
    if since is None:
        return True
    changed = _changed_at(row)
    return changed is None or changed >= since


def _as_request(task_actor: Actor) -> HttpRequest:
    """What the READS functions read: the acting token owner (as `actor(request)` gives it)."""
    request = HttpRequest()
    request.method = "GET"
    request.api_actor = task_actor  # type: ignore[attr-defined]
    return request


def resources_of(
    job: ExportJob, kind: str, request: HttpRequest, clients: list[Client]
) -> Iterator[mappers.Resource]:
    """The job's resources of one type. A type searched by patient is read for all the
    clients at once (`Read.for_patients`: one query, in chunks), in the order one search per
    client gives."""
    user = actor(request).acting_user()
    since = job.since
    entry = READS[kind]
    if kind == "Patient":
        yield from (entry.to_fhir(request, c) for c in clients if _fresh(c, since))
    elif kind == "Practitioner":
        ids = {c.therapist_id for c in clients} | {user.pk}
        for person in User.objects.filter(pk__in=ids).order_by("pk"):
            if _fresh(person, since):
                yield entry.to_fhir(request, person)
    elif kind == "Organization":
        practice = user.membership.practice
        if _fresh(practice, since):
            yield entry.to_fhir(request, practice)
    elif entry.for_patient is None:
        assert entry.list_all is not None
        for row in entry.list_all(request):
            if _fresh(row, since):
                yield entry.to_fhir(request, row)
    elif entry.for_patients is not None:
        for row in entry.for_patients(request, clients_for(user)):
            if _fresh(row, since):
                yield entry.to_fhir(request, row)
    else:  # a type without a many-patients read: one search per client
        for client in clients:
            for row in entry.for_patient(request, client):
                if _fresh(row, since):
                    yield entry.to_fhir(request, row)


# How often (at most) a running job tells the database it is alive, and how many resources it
# writes between looks at the clock.
HEARTBEAT_SECONDS = 15
HEARTBEAT_EVERY = 1000


def stalled_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "CONTINUUM_BULK_EXPORT_STALLED_MINUTES", 10)))


class Stopped(Exception):
    """The job is no longer this worker's to run: cancelled (deleted) or marked failed."""


class Heartbeat:
    """The running job's sign of life (`ExportJob.heartbeat_at`) and progress, written at
    most every HEARTBEAT_SECONDS; raises Stopped when the job is no longer running."""

    def __init__(self, job: ExportJob) -> None:
        self.job_id = job.pk
        self.last = time.monotonic()

    def beat(self, progress: int | None = None, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
        if progress is not None:
            fields["progress"] = progress
        alive = ExportJob.objects.filter(pk=self.job_id, status=ExportStatus.RUNNING).update(
            **fields
        )
        if not alive:
            raise Stopped
        self.last = time.monotonic()


def fail(job_id: int, code: str) -> bool:
    """Mark a queued or running job failed with `code` (structural, never data) and delete
    what it wrote; False if it had already finished or gone."""
    with transaction.atomic():
        failed = ExportJob.objects.filter(
            pk=job_id, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)
        ).update(status=ExportStatus.FAILED, error=code, finished_at=timezone.now())
        if failed:
            ExportFile.objects.filter(job_id=job_id).delete()
    return bool(failed)


def stalled(now: datetime) -> QuerySet[ExportJob]:
    """Running jobs whose worker has shown no sign of life for `stalled_after()`."""
    cutoff = now - stalled_after()
    return ExportJob.objects.filter(status=ExportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, transaction_time__lt=cutoff)
    )


WORKER_LOST = "worker_lost"


def fail_stalled(now: datetime) -> int:
    """Mark failed every running export whose worker died (no heartbeat): its status URL then
    answers with an OperationOutcome that says to start it again. How many there were."""
    return sum(fail(pk, WORKER_LOST) for pk in stalled(now).values_list("pk", flat=True))


@task()
def run_export(job_id: int) -> str:
    """Write the job's NDJSON files. Stops quietly if the job was cancelled or marked failed
    meanwhile (its heartbeat finds it no longer running)."""
    job = ExportJob.objects.select_related("user__membership").filter(pk=job_id).first()
    if job is None or job.status != ExportStatus.QUEUED:
        return "gone"
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, transaction_time=now, heartbeat_at=now
    )
    if not claimed:
        return "gone"
    task_actor = actor_for(job.user, channel=Channel.API)
    request = _as_request(task_actor)
    heartbeat = Heartbeat(job)
    try:
        clients = list(clients_for(job.user).order_by("pk"))
        written = 0
        for index, kind in enumerate(job.types):
            written += _write_type(job, kind, request, clients, heartbeat)
            heartbeat.beat(min(99, int(100 * (index + 1) / max(1, len(job.types)))), force=True)
    except Stopped:
        return "stopped"
    except Exception as error:  # the job answers "failed"; the worker logs the traceback
        fail(job.pk, type(error).__name__)
        raise
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, progress=100, finished_at=timezone.now()
    )
    return f"exported {written}" if finished else "stopped"


def lines_of(
    job: ExportJob, kind: str, request: HttpRequest, clients: list[Client]
) -> Iterator[str]:
    """The NDJSON lines of one type: `ndjson` of each of `resources_of`; Observations (four
    in five exported resources) and QuestionnaireResponses through
    `care_mappers.observation_lines` and `mappers.questionnaire_response_line`, the same
    lines joined from pieces encoded once (the tests prove them equal)."""
    if kind in ("Observation", "QuestionnaireResponse"):
        user = actor(request).acting_user()
        base = base_url()
        for admin in ADMINISTRATIONS.for_patients(request, clients_for(user)):
            if _fresh(admin, job.since):
                if kind == "Observation":
                    yield from care_mappers.observation_lines(admin)
                else:
                    yield mappers.questionnaire_response_line(admin, base)
        return
    for resource in resources_of(job, kind, request, clients):
        yield ndjson(resource)


def _write_type(
    job: ExportJob,
    kind: str,
    request: HttpRequest,
    clients: list[Client],
    heartbeat: Heartbeat | None = None,
) -> int:
    """Stream the type's NDJSON lines into files of at most PART_SIZE lines."""
    lines: list[str] = []
    part = 0
    total = 0

    def flush() -> None:
        nonlocal part, lines
        if not lines:
            return
        if heartbeat is not None:
            heartbeat.beat(force=True)  # still running (not cancelled) before each file
        part += 1
        lines.append("")  # the last line ends with a newline too
        ExportFile.objects.create(
            job=job,
            resource_type=kind,
            part=part,
            count=len(lines) - 1,
            content=ExportFile.packed("\n".join(lines)),
            gzipped=True,
        )
        lines = []

    for line in lines_of(job, kind, request, clients):
        lines.append(line)
        total += 1
        if len(lines) >= PART_SIZE:
            flush()
        if heartbeat is not None and total % HEARTBEAT_EVERY == 0:
            heartbeat.beat()
    flush()
    return total


def expire_exports(now: datetime) -> str:
    """The periodic job (hourly): delete the jobs (and their files) past their time, and mark
    failed the running ones whose worker died (a status poll does it at once too)."""
    expired = ExportJob.objects.filter(expires_at__lte=now)
    count = expired.count()
    if count:
        expired.delete()
    lost = fail_stalled(now)
    return f"deleted {count}" + (f", {lost} stalled marked failed" if lost else "")
