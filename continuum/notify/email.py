"""Reminder emails: a subject, a short text body and a link. Never clinical content.

No client or therapist names, no diagnoses, scores, answers, notes or message text: an email
may be read over someone's shoulder or forwarded. What a person needs to know is behind the
link, after they log in (or, for a questionnaire, on its one-time page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from continuum.care.models import Client
from continuum.care.portal_login import has_portal_login
from continuum.notify import quiet

REMINDER_HEADER = "X-Continuum-Reminder"


@dataclass
class Email:
    to: str
    subject: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    # Times in the body are shown in this zone (the recipient's own).
    time_zone: str = "UTC"


def site_url(route: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(route, kwargs=kwargs or None)


def client_address(client: Client, *, portal_only: bool = False) -> str:
    """Where to write to a client: their portal login's address, else their record's email
    (unless the reminder's link needs a portal login). Empty when there is nowhere."""
    if has_portal_login(client):
        assert client.user is not None
        return client.user.email
    if portal_only:
        return ""
    return client.email or ""


def build_message(email: Email, reminder_id: int) -> EmailMessage:
    with timezone.override(quiet.zone(email.time_zone)):
        body = render_to_string(email.template, email.context)
    return EmailMessage(
        subject=email.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={
            # Lets an operator match a message to its row (an id, nothing else).
            REMINDER_HEADER: str(reminder_id),
            "Auto-Submitted": "auto-generated",
        },
    )
