"""Whether a client has a working portal login: an active user who has chosen a password.

One definition, as a row filter and as a check on a loaded client, for every app that writes
to clients (reminders, follow-up invitations).
"""

from __future__ import annotations

from django.db.models import Q

from continuum.care.models import Client


def portal_login_q(prefix: str = "") -> Q:
    """Clients (at `prefix`, e.g. "client__") with a working portal login."""
    return Q(**{f"{prefix}user__is_active": True}) & ~Q(
        **{f"{prefix}user__password__startswith": "!"}
    )


def has_portal_login(client: Client) -> bool:
    user = client.user
    return user is not None and user.is_active and user.has_usable_password()
