"""A client's record: requested from the portal, released by the therapist (or by the
scheduler after RECORD_RELEASE_DAYS), downloaded. Each step one transaction, one audit row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.models import Client
from continuum.exchange.models import RecordRequest, RecordRequestStatus
from continuum.lib.hooks import client_changed

logger = logging.getLogger(__name__)
S = RecordRequestStatus


def release_days() -> int:
    return int(getattr(settings, "RECORD_RELEASE_DAYS", 30))


def latest_request(client: Client) -> RecordRequest | None:
    return RecordRequest.objects.filter(client=client).order_by("-requested_at", "-pk").first()


@transaction.atomic
def request_record(actor: Actor, client: Client) -> RecordRequest:
    """The client's request (an open one is returned as it is: asking twice asks once)."""
    Client.objects.select_for_update().filter(pk=client.pk).first()
    open_request = RecordRequest.objects.filter(client=client, status=S.REQUESTED).first()
    if open_request is not None:
        return open_request
    now = timezone.now()
    request = RecordRequest.objects.create(
        client=client, requested_at=now, release_due_at=now + timedelta(days=release_days())
    )
    audit.record(actor, "record.request", request, practice=client.practice_id, client_id=client.pk)
    transaction.on_commit(lambda: email_therapist.enqueue(request.pk))
    client_changed(client.pk, "exchange")
    return request


@transaction.atomic
def release_record(actor: Actor, request: RecordRequest) -> RecordRequest:
    locked = RecordRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == S.RELEASED:
        return locked
    locked.status = S.RELEASED
    locked.released_at = timezone.now()
    locked.released_by = actor.user
    locked.save(update_fields=["status", "released_at", "released_by"])
    audit.record(
        actor,
        "record.release",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        automatic=actor.user is None,
    )
    client_changed(locked.client_id, "exchange")
    return locked


def release_due(now: datetime) -> str:
    """The periodic job: release every request whose time has come (one row each)."""
    due = list(
        RecordRequest.objects.filter(status=S.REQUESTED, release_due_at__lte=now).select_related(
            "client"
        )
    )
    for request in due:
        release_record(Actor.system(practice_id=request.client.practice_id), request)
    return f"released {len(due)}"


def record_download(actor: Actor, request: RecordRequest, fmt: str) -> None:
    audit.record(
        actor,
        "record.download",
        request,
        practice=request.client.practice_id,
        client_id=request.client_id,
        format=fmt,
    )


@task()
def email_therapist(request_id: int) -> bool:
    """No client name: the therapist logs in to see whose record was asked for."""
    request = RecordRequest.objects.select_related("client__therapist").get(pk=request_id)
    due = timezone.localtime(request.release_due_at, timezone.get_fixed_timezone(0))
    try:
        send_mail(
            "Continuum: a client asked for a copy of their record",
            (
                "One of your clients asked, from the portal, for a copy of their record. "
                "You can review it and release it from your day in Continuum; otherwise it is "
                f"released automatically on {due:%Y-%m-%d} (UTC).\n\n"
                f"{settings.SITE_URL}/\n"
            ),
            None,
            [request.client.therapist.email],
        )
    except Exception:
        logger.exception("record request notice could not be sent (request %s)", request_id)
        return False
    return True
