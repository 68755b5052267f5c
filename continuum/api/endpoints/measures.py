"""Measures (scope `measures`): the catalogue, administrations, alerts, check-ins; and the
scores with bands and reliable change (scope `outcomes`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Header, Query

from continuum.api.core import ERRORS, TokenAuth, actor, bad_request, conflict, once, page, user
from continuum.api.schemas import (
    AdministrationOut,
    AdministrationPage,
    AlertOut,
    AlertPage,
    AnswersIn,
    BandOut,
    CheckInPage,
    InstrumentOut,
    ItemOut,
    LinkOut,
    ScoreOut,
    ScorePage,
)
from continuum.care.access import get_client_for
from continuum.measures import services
from continuum.measures.access import alerts_for, get_administration_for, get_alert_for
from continuum.measures.alerts import AlertError
from continuum.measures.instruments import Instrument, UnknownInstrument, get_instrument
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    AlertKind,
    AlertStatus,
    InvalidStatusChange,
)
from continuum.measures.queries import score_facts
from continuum.portal.models import CheckIn

router = Router(auth=TokenAuth("measures"), tags=["measures"])
outcomes = Router(auth=TokenAuth("outcomes"), tags=["outcomes"])

ADMIN_SORTS = ("due_at", "-due_at", "id", "-id")
SCORE_SORTS = ("completed_at", "-completed_at")
ALERT_SORTS = ("-created_at", "created_at", "severity_rank", "-severity_rank")
CHECKIN_SORTS = ("-created_at", "created_at")


def _instrument_out(inst: Instrument) -> InstrumentOut:
    return InstrumentOut(
        code=inst.code,
        version=inst.version,
        name=inst.name,
        title=inst.title,
        min_total=inst.min_total,
        max_total=inst.max_total,
        higher_is_better=inst.higher_is_better,
        loinc_panel=inst.loinc_panel,
        loinc_total=inst.loinc_total,
        items=[ItemOut(key=i.key, scored=i.scored, values=sorted(i.values)) for i in inst.items],
        bands=[BandOut(name=b.name, label=b.label, low=b.low, below=b.below) for b in inst.bands],
    )


@router.get("/measures", response={200: list[InstrumentOut], **ERRORS}, url_name="measures")
def catalogue(request: HttpRequest) -> Any:
    return [_instrument_out(inst) for inst in services.assignable_instruments()]


@router.get(
    "/clients/{client_id}/administrations",
    response={200: AdministrationPage, **ERRORS},
    url_name="client_administrations",
)
def client_administrations(
    request: HttpRequest,
    client_id: int,
    status: str | None = Query(None, description=", ".join(AdministrationStatus.values)),
    instrument: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("-due_at", description=", ".join(ADMIN_SORTS)),
) -> Any:
    client = get_client_for(actor(request), client_id)
    rows = Administration.objects.filter(client=client)
    if status is not None:
        if status not in AdministrationStatus.values:
            raise bad_request("Unknown status.", {"status": ", ".join(AdministrationStatus.values)})
        rows = rows.filter(status=status)
    if instrument is not None:
        rows = rows.filter(instrument=instrument)
    items, next_cursor = page(rows, sort=sort, allowed=ADMIN_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/administrations/{administration_id}/link",
    response={201: LinkOut, **ERRORS},
    url_name="administration_link",
)
def issue_link(
    request: HttpRequest,
    administration_id: int,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    admin = get_administration_for(user(request), administration_id)

    def work() -> tuple[int, LinkOut]:
        try:
            issued = services.issue_link(admin, actor=actor(request))
        except services.MeasureError as error:
            raise conflict(str(error)) from None
        url = services.link_url(issued)
        expires = services.link_expires_at(issued)
        assert url is not None
        assert expires is not None
        return 201, LinkOut(administration_id=issued.pk, url=url, expires_at=expires)

    return once(request, idempotency_key, work)


@router.post(
    "/administrations/{administration_id}/answers",
    response={200: AdministrationOut, **ERRORS},
    url_name="administration_answers",
)
def submit_answers(
    request: HttpRequest,
    administration_id: int,
    data: AnswersIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    """The therapist enters the client's answers (as in session): scored, alerts raised."""
    admin = get_administration_for(user(request), administration_id)
    try:
        inst = services.administration_instrument(admin)
    except UnknownInstrument:
        raise conflict("This questionnaire is no longer in the catalogue.") from None
    problems = {}
    for key, value in data.answers.items():
        item = inst.item(key)
        if item is None:
            problems[key] = "Not an item of this questionnaire."
        elif value is not None and value not in item.values:
            problems[key] = f"Use one of {sorted(item.values)}."
    if problems:
        raise bad_request("Invalid answers.", problems)

    def work() -> tuple[int, AdministrationOut]:
        try:
            done = services.enter_in_session(admin, data.answers, actor=actor(request))
        except (services.MeasureError, InvalidStatusChange) as error:
            raise conflict(str(error)) from None
        return 200, AdministrationOut.model_validate(done, from_attributes=True)

    return once(request, idempotency_key, work)


@router.get("/alerts", response={200: AlertPage, **ERRORS}, url_name="alerts")
def list_alerts(
    request: HttpRequest,
    status: str | None = Query(None, description=", ".join(AlertStatus.values)),
    kind: str | None = Query(None, description=", ".join(AlertKind.values)),
    client_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("-created_at", description=", ".join(ALERT_SORTS)),
) -> Any:
    rows = alerts_for(user(request))
    if status is not None:
        if status not in AlertStatus.values:
            raise bad_request("Unknown status.", {"status": ", ".join(AlertStatus.values)})
        rows = rows.filter(status=status)
    if kind is not None:
        if kind not in AlertKind.values:
            raise bad_request("Unknown kind.", {"kind": ", ".join(AlertKind.values)})
        rows = rows.filter(kind=kind)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    items, next_cursor = page(rows, sort=sort, allowed=ALERT_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **ERRORS},
    url_name="alert_acknowledge",
)
def acknowledge(
    request: HttpRequest,
    alert_id: int,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    alert = get_alert_for(user(request), alert_id)

    def work() -> tuple[int, AlertOut]:
        try:
            done = services.acknowledge(alert, actor=actor(request))
        except AlertError as error:
            raise conflict(str(error)) from None
        return 200, AlertOut.model_validate(done, from_attributes=True)

    return once(request, idempotency_key, work)


@router.get(
    "/clients/{client_id}/checkins",
    response={200: CheckInPage, **ERRORS},
    url_name="client_checkins",
)
def client_checkins(
    request: HttpRequest,
    client_id: int,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("-created_at", description=", ".join(CHECKIN_SORTS)),
) -> Any:
    client = get_client_for(actor(request), client_id)
    items, next_cursor = page(
        CheckIn.objects.filter(client=client).defer("note"),
        sort=sort,
        allowed=CHECKIN_SORTS,
        cursor=cursor,
        limit=limit,
    )
    return {"items": items, "next_cursor": next_cursor}


@outcomes.get(
    "/clients/{client_id}/scores", response={200: ScorePage, **ERRORS}, url_name="client_scores"
)
def client_scores(
    request: HttpRequest,
    client_id: int,
    instrument: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("completed_at", description=", ".join(SCORE_SORTS)),
) -> Any:
    client = get_client_for(actor(request), client_id)
    rows = Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
    if instrument is not None:
        rows = rows.filter(instrument=instrument)
    items, next_cursor = page(rows, sort=sort, allowed=SCORE_SORTS, cursor=cursor, limit=limit)
    out = []
    for fact in score_facts(items):
        admin = fact.administration
        try:
            band = get_instrument(admin.instrument).band(admin.band) if admin.band else None
        except UnknownInstrument:
            band = None
        assert admin.completed_at is not None
        out.append(
            ScoreOut(
                administration_id=admin.pk,
                episode_id=admin.episode_id,
                instrument=admin.instrument,
                completed_at=admin.completed_at,
                total=admin.total,
                band=admin.band,
                band_label=band.label if band else "",
                caseness=admin.caseness,
                baseline_id=fact.baseline_id,
                change_from_baseline=fact.change,
                reliable_change=fact.reliable_change,
            )
        )
    return {"items": out, "next_cursor": next_cursor}
