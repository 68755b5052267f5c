"""The practice's own settings (the owner's page): one transaction, one audit row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from continuum.accounts.actors import Actor
from continuum.accounts.models import Practice
from continuum.audit.log import record

SETTINGS_FIELDS = (
    "name",
    "country",
    "time_zone",
    "crisis_resources",
    "default_messages_in_therapy",
    "default_messages_after_therapy",
    "default_hours_start",
    "default_hours_end",
    "default_response_time_hours",
)


class SettingsError(ValueError):
    """Settings that cannot be saved (the message is safe to show)."""


@transaction.atomic
def update_practice_settings(
    practice: Practice, values: Mapping[str, Any], *, actor: Actor
) -> list[str]:
    """Save the settings the form checked; one "practice.settings" audit row naming the fields
    that changed (never their values: the name and the crisis list are free text). Returns the
    changed field names (none: nothing written)."""
    if set(values) != set(SETTINGS_FIELDS):
        raise SettingsError("Unknown practice settings.")
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    changed = [name for name in SETTINGS_FIELDS if getattr(locked, name) != values[name]]
    if not changed:
        return []
    for name in changed:
        setattr(locked, name, values[name])
    locked.full_clean(exclude=["created_at"])
    locked.save(update_fields=changed)
    for name in changed:
        setattr(practice, name, values[name])
    record(actor, "practice.settings", locked, fields=changed)
    return changed
