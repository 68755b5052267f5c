"""Actions of the notify app: one transaction and one audit row each."""

from __future__ import annotations

from datetime import time

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit.log import record
from continuum.care.models import Client
from continuum.lib.timezones import is_valid_time_zone
from continuum.notify.models import ReminderPreferences
from continuum.notify.preferences import SWITCHES


class PreferencesError(ValueError):
    """Preferences that cannot be saved (the message is safe to show)."""


@transaction.atomic
def update_preferences(
    client: Client,
    *,
    actor: Actor,
    switches: dict[str, bool],
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str,
) -> ReminderPreferences:
    """Save the client's choices (and their time zone, which every reminder follows)."""
    if (quiet_start is None) != (quiet_end is None):
        raise PreferencesError("Give both the start and the end of your quiet hours, or neither.")
    if not is_valid_time_zone(time_zone):
        raise PreferencesError("Choose a time zone from the list.")
    prefs, _ = ReminderPreferences.objects.select_for_update().get_or_create(client=client)
    changed = []
    for name in SWITCHES:
        value = bool(switches.get(name, False))
        if getattr(prefs, name) != value:
            setattr(prefs, name, value)
            changed.append(name)
    for name, wall in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if getattr(prefs, name) != wall:
            setattr(prefs, name, wall)
            changed.append(name)
    prefs.updated_at = timezone.now()
    prefs.save()
    if client.time_zone != time_zone:
        client.time_zone = time_zone
        client.save(update_fields=["time_zone"])
        if client.user_id is not None:
            client.user.time_zone = time_zone  # type: ignore[union-attr]
            client.user.save(update_fields=["time_zone"])  # type: ignore[union-attr]
        changed.append("time_zone")
    record(
        actor,
        "notify.preferences",
        prefs,
        practice=client.practice_id,
        client_id=client.pk,
        fields=changed,
    )
    client.reminder_preferences = prefs
    return prefs
