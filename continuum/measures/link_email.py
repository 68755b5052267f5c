"""Send a questionnaire's one-time link to the client by email (issue 14), through the task
queue: the therapist asks, the action audits the request (ids and where it goes: "portal" or
"record" address, never the address or the link), and the worker sends the link that is live
when it runs, unless the link was replaced, used or withdrawn meanwhile.

The link opens the questionnaire without a login, so it is never written to a log line, an
audit row or the task's arguments (the worker rebuilds it from the administration).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.models import Client
from continuum.care.portal_login import has_portal_login
from continuum.measures import tokens
from continuum.measures.models import Administration
from continuum.measures.services import MeasureError, link_url

logger = logging.getLogger(__name__)

SUBJECT = "A short questionnaire from your therapist"


class LinkEmailError(MeasureError):
    """The link cannot be emailed (the message is safe to show)."""


def address_kind(client: Client) -> str:
    """Where the email goes: "portal" (their portal login), "record" (the email on their
    record) or "" (nowhere)."""
    if has_portal_login(client):
        return "portal"
    return "record" if client.email else ""


def _address(client: Client) -> str:
    kind = address_kind(client)
    if kind == "portal":
        assert client.user is not None
        return str(client.user.email)
    return str(client.email) if kind == "record" else ""


@transaction.atomic
def email_link(admin: Administration, *, actor: Actor) -> None:
    """Queue the email of the administration's live link; one "measures.link_email" row."""
    locked = Administration.objects.select_for_update().get(pk=admin.pk)
    if link_url(locked) is None:
        raise LinkEmailError("There is no working link to send: make a link first.")
    client = Client.objects.select_related("user").get(pk=locked.client_id)
    kind = address_kind(client)
    if not kind:
        raise LinkEmailError(
            "This client has no email address on their record: add one, or copy the link "
            "and send it another way."
        )
    audit.record(
        actor,
        "measures.link_email",
        locked,
        practice=client.practice_id,
        client_id=client.pk,
        instrument=locked.instrument,
        to=kind,
    )
    admin_id, fingerprint = locked.pk, link_fingerprint(locked)
    transaction.on_commit(lambda: send_link_email.enqueue(admin_id, fingerprint))


def link_fingerprint(admin: Administration) -> str:
    """Which link this is, without being it: a hash of the link's nonce (a new link has a new
    nonce). The task's arguments are stored and may be logged; the nonce is not put there."""
    return hashlib.sha256(admin.token_nonce.encode()).hexdigest()[:16]


@task()
def send_link_email(administration_id: int, fingerprint: str) -> bool:
    """The task: email the link, if it is still the one the therapist sent and still works.
    False when it was not sent."""
    admin = (
        Administration.objects.select_related("client__user").filter(pk=administration_id).first()
    )
    if admin is None:
        return False
    if not admin.token_nonce or link_fingerprint(admin) != fingerprint:
        logger.info("link email skipped: administration %s has a newer link", administration_id)
        return False
    link = link_url(admin)
    to = _address(admin.client)
    if link is None or not to:
        logger.info("link email skipped: administration %s has no live link", administration_id)
        return False
    context = {"link": link, "days": tokens.link_lifetime().days}
    body = render_to_string("emails/questionnaire_link.txt", context)
    try:
        send_mail(SUBJECT, body, None, [to])
    except (smtplib.SMTPException, OSError):
        # The administration id only: no address, no link.
        logger.exception("link email failed for administration %s", administration_id)
        return False
    return True
