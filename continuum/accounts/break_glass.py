"""Break-glass: an owner's emergency, read-only, time-limited access to one client's record
(SECURITY.md promise 5).

- `open_grant()` needs a reason and a time limit (at most BREAK_GLASS_MAX_HOURS), writes the
  grant and one flagged "breakglass.open" audit row in one transaction, and queues an email
  to the treating therapist (no clinical content, no client name, no reason: "log in to
  see").
- While a grant is active, the care access helpers (continuum/care/access.py) also find that
  client's records for the owner, on GET and HEAD only: every write stays 404.
- The grant an actor reads through is part of the actor (continuum/lib/actor.py): found by
  the access helpers on a web read, or named up front by a task (`actor_for(owner,
  grant_id=...)`), so every caller behaves the same. Every row such an actor writes is
  flagged and names the grant (audit/log.py); a web page that writes no audit row of its
  own gets one flagged "breakglass.read" row from `ActorMiddleware`.
- After expiry (or revocation) the owner gets 404 again. Reflections stay author-only: their
  views filter on the author, whoever can open the client.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from continuum.accounts.actors import Actor
from continuum.accounts.models import BreakGlassGrant, User
from continuum.audit.log import record

logger = logging.getLogger(__name__)

# `client` arguments are care.Client rows, typed Any: care builds on accounts, not the reverse.


def max_hours() -> int:
    return int(getattr(settings, "BREAK_GLASS_MAX_HOURS", 4))


def active_grants(owner: User) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(
        owner_id=owner.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def _is_active_owner(user: User) -> bool:
    membership = getattr(user, "membership", None)
    return bool(membership is not None and membership.is_active and membership.is_owner)


def readable_through_grant(actor: Actor) -> QuerySet[BreakGlassGrant] | None:
    """The grants `actor` may read through: an active owner's active grants (only the one it
    acts through, when it names one), when the actor only reads; else None."""
    user = actor.user
    if not actor.reading or user is None or not _is_active_owner(user):
        return None
    grants = active_grants(user)
    if actor.grant_id is not None:
        grants = grants.filter(pk=actor.grant_id)
    return grants


def note_grant_use(actor: Actor, client: Any) -> None:
    """Called by the access helpers when `actor` reached `client` only through a grant: the
    actor now reads through that grant (audit.record flags its rows)."""
    use = actor.break_glass
    if not actor.reading:
        return
    if use.grant_id is None and actor.user is not None:
        grant = (
            active_grants(actor.user).filter(client_id=client.pk).order_by("-expires_at").first()
        )
        if grant is None:
            return
        use.grant_id = grant.pk
    if use.client_id is None:
        use.client_id = client.pk


@transaction.atomic  # inside the view's one-time claim (accounts/once.py): still one commit
def open_grant(actor: Actor, client: Any, *, reason: str, hours: int) -> BreakGlassGrant:
    """The grant and its flagged audit row in one transaction; the therapist's notice is
    queued on commit (send_notice), so a failed write sends nothing and a failed send loses
    no grant."""
    owner = actor.acting_user()
    if not 1 <= hours <= max_hours():
        raise ValueError("hours out of range")
    grant = BreakGlassGrant.objects.create(
        owner=owner,
        client=client,
        reason=reason.strip(),
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    record(
        actor,
        "breakglass.open",
        client,
        flagged=True,
        grant=grant.pk,
        hours=hours,
        therapist_id=client.therapist_id,
    )
    transaction.on_commit(lambda: send_notice.enqueue(grant.pk))
    return grant


@task()
def send_notice(grant_id: int) -> bool:
    """Tell the treating therapist (run by the task worker). False if sending failed."""
    grant = BreakGlassGrant.objects.select_related("client__therapist").get(pk=grant_id)
    return notify_therapist(grant.client.therapist, grant)


def notify_therapist(therapist: User, grant: BreakGlassGrant) -> bool:
    """No client name, no reason, nothing clinical: the therapist logs in to see."""
    until = timezone.localtime(grant.expires_at, timezone.get_fixed_timezone(0))
    try:
        send_mail(
            "Continuum: emergency access to a client record",
            (
                "An owner of your practice opened emergency (break-glass) access to the record "
                "of one of your clients, because you could not be reached. The access is "
                f"read-only and ends at {until:%Y-%m-%d %H:%M} UTC.\n\n"
                "Every page they open is recorded in the practice's audit log. Log in to "
                f"Continuum to see which client: {settings.SITE_URL}/\n"
            ),
            None,
            [therapist.email],
        )
    except Exception:  # the emergency access must not fail because email did
        logger.exception("break-glass notice could not be sent (grant %s)", grant.pk)
        return False
    return True
