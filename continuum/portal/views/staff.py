"""The therapist's side of the portal: invite and revoke, portal settings, check-ins."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from continuum.accounts import once
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.accounts.models import User
from continuum.audit.log import record
from continuum.care.access import clients_for, get_client_for
from continuum.care.models import Client
from continuum.portal import queries, services
from continuum.portal.access import get_checkin_for
from continuum.portal.forms import PortalSettingsForm
from continuum.portal.models import CheckIn

CHECKINS_PAGE_SIZE = 50


def _portal_page(
    request: HttpRequest,
    client: Client,
    *,
    form: PortalSettingsForm | None = None,
    invite_error: str = "",
    revoke_error: str = "",
    status: int = 200,
) -> HttpResponse:
    portal = services.settings_for(client)
    shareable = services.shareable_measures(client)
    if form is None:
        form = PortalSettingsForm(
            initial={
                "checkin_cadence": portal.checkin_cadence,
                "shared_measures": [c for c in portal.shared_measures if c in shareable],
            },
            shareable=shareable,
        )
    return render(
        request,
        "portal/staff/client_portal.html",
        {
            "client": client,
            "portal": portal,
            "status": services.portal_status(client),
            "active_since": services.active_since(client),
            "form": form,
            "shareable": shareable,
            "invite_form": once.KeyForm(),
            "invite_error": invite_error,
            "revoke_error": revoke_error,
            "nav": "caseload",
        },
        status=status,
    )


def _client_with_portal(user: User, client_id: int) -> Client:
    """get_client_for, with the client's login and portal settings for the status line."""
    return get_object_or_404(
        clients_for(user).select_related("user", "portal_settings", "practice"), pk=client_id
    )


@clinician_required
def client_portal(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET: the client's portal status and settings. POST: invite, or send the link again."""
    user = user_of(request)
    client = _client_with_portal(user, client_id)
    if request.method == "POST":
        resent = client.user is not None
        here = reverse("portal:client_portal", kwargs={"client_id": client.pk})
        form = once.KeyForm(request.POST)
        if not form.is_valid():
            return _portal_page(request, client, invite_error=once.EXPIRED, status=400)

        def invite() -> str:
            services.invite_client(client, actor=actor_of(request))
            return here

        try:
            # A double click sends one email (the second click finds the first's key).
            done = once.submit(form, user, invite, fallback=here)
        except services.PortalError as error:
            return _portal_page(request, client, invite_error=str(error))
        if done.first:
            messages.success(
                request,
                "A new set-password link was sent to the client."
                if resent
                else "The client was invited: a set-password link is on its way to them.",
            )
        return redirect(done.url)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    record(actor_of(request), "portal.client_view", client, client_id=client.pk)
    return _portal_page(request, client)


@clinician_required
def client_portal_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = _client_with_portal(user, client_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    if client.user is not None and client.user.is_active and not confirmed(request):
        name = client.full_name
        return confirmation_page(
            request,
            title=f"Revoke {name}'s portal access?",
            consequences=[
                f"{name} can no longer log in to the portal, and is logged out now.",
                "They cannot check in, answer questionnaires or send messages through the "
                "portal until you invite them again.",
                "What they sent before stays in their record.",
            ],
            action=reverse("portal:client_portal_revoke", kwargs={"client_id": client.pk}),
            button="Revoke portal access",
            cancel_url=reverse("portal:client_portal", kwargs={"client_id": client.pk}),
        )
    try:
        services.revoke_access(client, actor=actor_of(request))
    except services.PortalError as error:
        return _portal_page(request, client, revoke_error=str(error))
    messages.success(request, "The client can no longer log in to the portal.")
    return redirect("portal:client_portal", client_id=client.pk)


@clinician_required
def client_portal_settings(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = _client_with_portal(user, client_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = PortalSettingsForm(request.POST, shareable=services.shareable_measures(client))
    if form.is_valid():
        try:
            services.update_portal_settings(
                client,
                cadence=form.cleaned_data["checkin_cadence"],
                shared_measures=form.cleaned_data["shared_measures"],
                actor=actor_of(request),
            )
        except services.PortalError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The portal settings were saved.")
            return redirect("portal:client_portal", client_id=client.pk)
    return _portal_page(request, client, form=form)


@clinician_required
def client_checkins(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    rows = CheckIn.objects.filter(client=client).order_by("-created_at", "-pk")
    paginator: Paginator[CheckIn] = Paginator(rows, CHECKINS_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    moods = queries.recent_moods(client)
    unseen = queries.unseen_count(client)
    record(
        actor_of(request),
        "checkin.list",
        client,
        practice=client.practice_id,
        page=page_obj.number,
        shown=len(page_obj.object_list),
    )
    return render(
        request,
        "portal/staff/checkins.html",
        {
            "client": client,
            "page_obj": page_obj,
            "checkins": page_obj.object_list,
            "total": paginator.count,
            "moods": moods,
            "sparkline": queries.mood_sparkline(moods),
            "unseen": unseen,
            "nav": "caseload",
        },
    )


@clinician_required
def client_checkins_seen(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    ids = services.mark_all_seen(client, actor=actor_of(request))
    messages.success(
        request,
        f"{len(ids)} check-in{'' if len(ids) == 1 else 's'} marked seen."
        if ids
        else "There were no new check-ins.",
    )
    return redirect("portal:client_checkins", client_id=client.pk)


@clinician_required
def checkin_seen(request: HttpRequest, checkin_id: int) -> HttpResponse:
    user = user_of(request)
    checkin = get_checkin_for(user, checkin_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    services.mark_checkin_seen(checkin, actor=actor_of(request))
    messages.success(request, "The check-in was marked seen.")
    return redirect("portal:client_checkins", client_id=checkin.client_id)
