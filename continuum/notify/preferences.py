"""Each client's reminder preferences: which reminders by email, quiet hours, time zone.

Reads only; the client changes them through notify/services.py `update_preferences`."""

from __future__ import annotations

from datetime import datetime

from continuum.care.models import Client
from continuum.notify import quiet
from continuum.notify.models import ReminderPreferences

SWITCHES = ("appointments", "questionnaires", "checkins", "followup", "messages")


def preferences_for(client: Client) -> ReminderPreferences:
    """The client's saved preferences, or an unsaved row holding the defaults.

    Uses the row cached by `select_related("reminder_preferences")` when the caller loaded it.
    """
    try:
        prefs: ReminderPreferences = client.reminder_preferences
    except ReminderPreferences.DoesNotExist:
        return ReminderPreferences(client=client)
    return prefs


def send_time_for(
    client: Client, kind: str, now: datetime, *, not_before_hour: int | None = None
) -> datetime | None:
    """When a reminder of `kind` due now may go to this client; None when they turned it off."""
    prefs = preferences_for(client)
    if not prefs.wants(kind):
        return None
    return quiet.send_time(
        now,
        client.time_zone,
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        not_before_hour=not_before_hour,
    )
