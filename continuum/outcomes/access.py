"""Who may read the practice's outcomes, and whose episodes they see.

The owner and clinical leads see every therapist's figures; a clinical member sees the
practice's figures beside their own clients' (and the funnel with only their own point
named). Anyone else, clients included, gets a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from continuum.accounts.models import Practice, Role, User


@dataclass(frozen=True)
class Scope:
    practice: Practice
    viewer: User
    sees_all: bool  # owner or clinical lead: every therapist, by name

    @property
    def own(self) -> User | None:
        """The therapist whose own clients' figures are shown beside the practice's."""
        return None if self.sees_all else self.viewer


def outcomes_scope(user: User) -> Scope:
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active:
        raise Http404("No such page")
    sees_all = membership.role in (Role.OWNER, Role.CLINICAL_LEAD)
    if not sees_all and not membership.is_clinical:
        raise Http404("No such page")
    return Scope(practice=membership.practice, viewer=user, sees_all=sees_all)
