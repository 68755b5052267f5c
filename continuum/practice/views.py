"""The owner's pages: members, invitations, the client roster and reassignment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from continuum.accounts import access, once, services
from continuum.accounts import break_glass as bg
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import owner_required
from continuum.accounts.forms import (
    BreakGlassForm,
    InviteForm,
    MemberEmailForm,
    ReassignForm,
    RosterFilterForm,
)
from continuum.accounts.http import AuthenticatedRequest, actor_of, refuse
from continuum.accounts.models import Role, User
from continuum.audit.log import record
from continuum.care.access import get_roster_client_for, portal_client, roster_for
from continuum.care.models import EPISODE_STATUS_CHOICES
from continuum.care.queries import orphaned_drafts
from continuum.care.services.clients import reassign_client
from continuum.practice.forms import PracticeSettingsForm
from continuum.practice.services import update_practice_settings

ROSTER_PAGE_SIZE = 50
EPISODE_STATUS_LABELS = dict(EPISODE_STATUS_CHOICES)


@owner_required
def members(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(access.members_with_client_counts(request.user))
    return render(
        request,
        "accounts/members.html",
        {"nav": "practice", "members": rows, "practice": request.user.membership.practice},
    )


@owner_required
def invite(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        members = reverse("accounts:members")

        def create() -> str:
            membership = services.invite_member(
                request.user.membership.practice,
                email=data["email"],
                full_name=data["full_name"],
                role=Role.OWNER if data["owner"] else Role.THERAPIST,
                clinical=data["clinical"],
                actor=actor_of(request),
            )
            messages.success(
                request,
                f"{membership.user.email} is invited: we emailed them a link to set their "
                f"password, valid for {services.link_hours()} hours. If it does not arrive, "
                "use “Resend invitation”.",
            )
            return members

        try:
            return redirect(once.submit(form, request.user, create, fallback=members).url)
        except services.EmailInUse as exc:
            form.add_error("email", str(exc))
    return render(
        request,
        "accounts/invite.html",
        {"nav": "practice", "form": form, "link_hours": services.link_hours()},
    )


# The POST-only routes below look the member up before checking the method, so that an owner of
# another practice gets a 404 for every method (a 405 would confirm that the member exists).


@owner_required
def resend_invite(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.resend_invitation(membership, actor=actor_of(request))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new invitation is on its way to {membership.user.email}.")
    return redirect("accounts:members")


@owner_required
def deactivate(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    if membership.is_active and membership.user_id != request.user.pk and not confirmed(request):
        name = membership.user.display_name
        return confirmation_page(
            request,
            title=f"Deactivate {name}?",
            consequences=[
                f"{name} can no longer log in, and is logged out of every device now.",
                f"Their clients stay with {name} until you reassign them; the roster of their "
                "clients opens next.",
                "You can reactivate them later; they then log in again.",
            ],
            action=reverse("accounts:deactivate", kwargs={"membership_id": membership.pk}),
            button=f"Deactivate {name}",
            cancel_url=reverse("accounts:members"),
        )
    try:
        services.deactivate_member(membership, actor=actor_of(request))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("accounts:members")
    messages.success(
        request,
        f"{membership.user.display_name} can no longer log in. Reassign their clients below.",
    )
    # Straight to the clients who need a new therapist.
    return redirect(reverse("accounts:roster") + "?" + urlencode({"therapist": membership.pk}))


@owner_required
def set_role(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    """Make a member a clinical lead, or a therapist again (POST `lead`: "1" or "0")."""
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    lead = request.POST.get("lead") == "1"
    try:
        membership = services.set_clinical_lead(membership, lead=lead, actor=actor_of(request))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        name = membership.user.display_name
        messages.success(
            request,
            f"{name} is a clinical lead: they see the outcomes of every therapist."
            if lead
            else f"{name} is a therapist again: they see their own outcomes beside the practice's.",
        )
    return redirect("accounts:members")


@owner_required
def reactivate(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.reactivate_member(membership, actor=actor_of(request))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{membership.user.display_name} can log in again.")
    return redirect("accounts:members")


@owner_required
def reset_mfa(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.reset_second_factor(membership, actor=actor_of(request))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{membership.user.display_name}'s second factor was reset and they were logged out "
            "everywhere: they will set up a new authenticator app when they next log in.",
        )
    return redirect("accounts:members")


@owner_required
def member_email(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    """The owner sets a member's login address (audited; a notice goes to the old one)."""
    membership = access.get_member_for(request.user, membership_id)
    if (refused := refuse(request, "GET", "HEAD", "POST")) is not None:
        return refused
    form = MemberEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_member_email(
                membership, form.cleaned_data["email"], actor=actor_of(request)
            )
        except services.AccountError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"{membership.user.display_name}'s login address changed.")
            return redirect("accounts:members")
    return render(
        request,
        "accounts/member_email.html",
        {"nav": "practice", "form": form, "member": membership.user},
    )


@owner_required
def practice_settings(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the practice's settings. POST: save them (a bad value re-renders, nothing saved)."""
    if (refused := refuse(request, "GET", "HEAD", "POST")) is not None:
        return refused
    practice = request.user.membership.practice
    status = 200
    if request.method == "POST":
        form = PracticeSettingsForm(request.POST)
        if form.is_valid():
            changed = update_practice_settings(practice, form.cleaned_data, actor=actor_of(request))
            messages.success(
                request, "The practice settings are saved." if changed else "Nothing changed."
            )
            return redirect("accounts:practice_settings")
        status = 400
    else:
        form = PracticeSettingsForm(initial=PracticeSettingsForm.initial_for(practice))
    return render(
        request,
        "accounts/practice_settings.html",
        {"nav": "settings", "form": form, "practice": practice},
        status=status,
    )


@owner_required
def roster(request: AuthenticatedRequest) -> HttpResponse:
    members_list = list(access.members_for(request.user).order_by("user__full_name"))
    form = RosterFilterForm(request.GET or None, members=members_list)
    if request.GET and not form.is_valid():
        return render(
            request,
            "accounts/roster.html",
            {"nav": "practice", "form": form, "page_obj": None},
            status=400,
        )
    clients = roster_for(request.user).order_by("last_name", "first_name", "pk")
    filters: dict[str, Any] = form.cleaned_data if form.is_bound else {}
    selected = None
    if filters.get("therapist"):
        selected = next(m for m in members_list if str(m.pk) == filters["therapist"])
        clients = clients.filter(therapist_id=selected.user_id)
    if query := (filters.get("q") or "").strip():
        clients = clients.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(preferred_name__icontains=query)
        )
    page_obj = Paginator(clients, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    for client in page_obj.object_list:
        client.latest_episode_label = EPISODE_STATUS_LABELS.get(client.latest_episode_status, "")
    practice_id = access.owned_practice_id(request.user)
    orphaned = orphaned_drafts(practice_id) if practice_id is not None else []
    # One row for the page, not one per client: the roster holds names, not clinical content.
    record(
        actor_of(request),
        "roster.view",
        count=len(page_obj.object_list),
        orphaned_drafts=len(orphaned),
    )
    return render(
        request,
        "accounts/roster.html",
        {
            "nav": "practice",
            "form": form,
            "page_obj": page_obj,
            "selected": selected,
            "querystring_prefix": querystring_prefix(request),
            "orphaned_drafts": orphaned,
        },
    )


@owner_required
def reassign(request: AuthenticatedRequest, client_id: int) -> HttpResponse:
    client = get_roster_client_for(request.user, client_id)
    clinicians = access.clinicians_for(request.user).exclude(pk=client.therapist_id)
    form = ReassignForm(request.POST or None, clinicians=clinicians)
    if request.method == "POST" and form.is_valid():
        to_user = form.cleaned_data["therapist"]
        previous = client.therapist
        try:
            done = reassign_client(client, to_user, actor=actor_of(request))
        except services.NotAllowed as exc:
            form.add_error("therapist", str(exc))
        else:
            messages.success(request, f"{client.display_name} is now with {to_user.display_name}.")
            if done.drafts_kept:
                messages.info(request, drafts_kept_message(done.drafts_kept, previous))
            return redirect("accounts:roster")
    return render(
        request, "accounts/reassign.html", {"nav": "practice", "form": form, "client": client}
    )


def drafts_kept_message(count: int, author: User) -> str:
    """Why drafts do not move with the client (issue 18, finding 2)."""
    notes = "draft progress note stays" if count == 1 else "draft progress notes stay"
    return (
        f"{count} {notes} with {author.display_name}, who led those sessions: only the "
        "author finishes and signs a note, also after the client has moved."
    )


def querystring_prefix(request: HttpRequest) -> str:
    """The current filters as `a=1&b=2&`, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@owner_required
def break_glass(request: AuthenticatedRequest, client_id: int) -> HttpResponse:
    """Emergency read access to a client of another therapist (SECURITY.md promise 5)."""
    client = get_object_or_404(roster_for(request.user).select_related("therapist"), pk=client_id)
    if client.therapist_id == request.user.pk:
        raise Http404("No such page")  # their own client: they need no emergency access
    max_hours = bg.max_hours()
    form = BreakGlassForm(request.POST or None, max_hours=max_hours)
    if request.method == "POST" and form.is_valid():
        record_url = reverse("care:client_detail", kwargs={"client_id": client.pk})

        def open_access() -> str:
            grant = bg.open_grant(
                actor_of(request),
                client,
                reason=form.cleaned_data["reason"],
                hours=form.cleaned_data["hours"],
            )
            until = timezone.localtime(grant.expires_at)
            messages.warning(
                request,
                f"Emergency read-only access to {client.display_name} is open until "
                f"{until:%H:%M}. Every page you open is recorded, and "
                f"{client.therapist.display_name} has been told.",
            )
            return record_url

        return redirect(once.submit(form, request.user, open_access, fallback=record_url).url)
    return render(
        request,
        "accounts/break_glass.html",
        {"nav": "practice", "client": client, "form": form, "max_hours": max_hours},
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work starts."""
    membership = getattr(request.user, "membership", None)
    if membership is not None and membership.is_active:
        if membership.is_clinical:
            return redirect("continuity:day")
        if membership.is_owner:
            return redirect("accounts:members")
    if membership is None and portal_client(request.user) is not None:
        return redirect("portal:home")
    return render(request, "accounts/no_access.html", status=200)
