"""The client's reminder preferences page in the portal."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from continuum.accounts.http import actor_of
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.notify.forms import PreferencesForm
from continuum.notify.preferences import preferences_for
from continuum.notify.services import PreferencesError, update_preferences


@never_cache
@portal_client_required
def portal_preferences(request: HttpRequest) -> HttpResponse:
    client = cast(Client, request.portal_client)  # type: ignore[attr-defined]
    prefs = preferences_for(client)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                update_preferences(
                    client,
                    switches=form.switches(),
                    quiet_start=form.cleaned_data.get("quiet_start"),
                    quiet_end=form.cleaned_data.get("quiet_end"),
                    time_zone=form.cleaned_data["time_zone"],
                    actor=actor_of(request),
                )
            except PreferencesError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your reminder choices were saved.")
                return redirect("notify:portal_preferences")
        status = 400
    else:
        form = PreferencesForm(
            initial={
                "appointments": prefs.appointments,
                "questionnaires": prefs.questionnaires,
                "checkins": prefs.checkins,
                "followup": prefs.followup,
                "messages": prefs.messages,
                "quiet_start": prefs.quiet_start,
                "quiet_end": prefs.quiet_end,
                "time_zone": client.time_zone,
            }
        )
        status = 200
    return render(
        request,
        "notify/portal_preferences.html",
        {"client": client, "form": form, "nav": "reminders"},
        status=status,
    )
