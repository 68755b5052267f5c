"""The client portal's access rule: a logged-in client sees only their own record.

Views take the client from the logged-in user, never from a URL id, so there is nothing to
guess. Objects with ids (homework, check-ins, administrations) are looked up *within* that
client's rows; anything else is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.measures.models import Administration, AdministrationStatus
from continuum.portal.models import CheckIn


def own_checkin(client: Client, checkin_id: int) -> CheckIn:
    """One of the logged-in client's own check-ins; 404 for anyone else's."""
    return get_object_or_404(CheckIn.objects.filter(client=client), pk=checkin_id)


def own_pending_administration(client: Client, administration_id: int) -> Administration:
    """One of the client's own questionnaires still to answer; 404 otherwise."""
    return get_object_or_404(
        Administration.objects.select_related("episode").filter(
            client=client, status=AdministrationStatus.PENDING
        ),
        pk=administration_id,
    )


def get_checkin_for(user: User, checkin_id: int) -> CheckIn:
    """A check-in of one of `user`'s clients (the therapist side); 404 otherwise."""
    return get_object_or_404(
        CheckIn.objects.select_related("client").filter(client__in=clients_for(user)),
        pk=checkin_id,
    )
