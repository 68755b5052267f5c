"""Owner lookups: the members of the owner's own practice, 404 otherwise (the client roster
is care.access.roster_for).

Owners manage who treats whom; they do not read clinical content (care.access guards that).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from continuum.accounts.models import Membership, User


def owned_practice_id(owner: User) -> int | None:
    membership = getattr(owner, "membership", None)
    if membership is None or not membership.is_active or not membership.is_owner:
        return None
    return int(membership.practice_id)


def members_for(owner: User) -> QuerySet[Membership]:
    practice_id = owned_practice_id(owner)
    if practice_id is None:
        return Membership.objects.none()
    return Membership.objects.filter(practice_id=practice_id).select_related("user")


def members_with_client_counts(owner: User) -> QuerySet[Membership]:
    return (
        members_for(owner)
        .annotate(client_count=Count("user__clients"))
        .order_by("-is_active", "user__full_name", "user__email")
    )


def get_member_for(owner: User, membership_id: int) -> Membership:
    return get_object_or_404(members_for(owner).select_related("practice"), pk=membership_id)


def clinicians_for(owner: User) -> QuerySet[User]:
    """Active clinical members of the owner's practice: who a client may be assigned to."""
    practice_id = owned_practice_id(owner)
    if practice_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            is_active=True,
            membership__practice_id=practice_id,
            membership__is_active=True,
            membership__is_clinical=True,
        )
        .select_related("membership")
        .order_by("full_name", "email")
    )
