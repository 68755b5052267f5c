"""Calendar feeds: the therapist's page, the client's portal page, the .ics downloads and the
token-opened feed itself (no login: the calendar app fetching it has none)."""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from continuum.accounts.actors import Actor, Channel, practice_of
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, client_ip, refuse, user_of
from continuum.audit import log as audit
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.exchange import feeds, services
from continuum.exchange.calendar import build_calendar, event_of
from continuum.exchange.models import FeedNames

ICS = "text/calendar; charset=utf-8"


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("exchange:feed", kwargs={"token": token}))


@never_cache
@clinician_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    """Issue, re-issue or revoke the feed, and choose what its events say."""
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    actor = actor_of(request)
    token = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "issue":
            _, token = services.issue_feed(actor)
        elif action == "revoke":
            services.revoke_feed(actor)
        elif action == "names" and request.POST.get("names") in FeedNames.values:
            services.set_feed_names(actor, request.POST["names"])
    feed = feeds.live_feed_of(user_of(request))
    return render(
        request,
        "exchange/my_calendar.html",
        {
            "feed": feed,
            "feed_url": _feed_url(request, token) if token else "",
            "names": FeedNames.choices,
            "nav": "load",
        },
    )


@never_cache
@portal_client_required
def portal_calendar(request: HttpRequest) -> HttpResponse:
    """The client's own: a feed of their sessions and one .ics per upcoming session."""
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    client = _client(request)
    actor = actor_of(request)
    token = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "issue":
            _, token = services.issue_feed(actor, client=client)
        elif action == "revoke":
            services.revoke_feed(actor)
    return render(
        request,
        "exchange/portal_calendar.html",
        {
            "client": client,
            "feed": feeds.live_feed_of(user_of(request)),
            "feed_url": _feed_url(request, token) if token else "",
            "upcoming": list(feeds.upcoming_for_client(client, timezone.now())[:20]),
            "nav": "calendar",
        },
    )


@never_cache
@portal_client_required
def portal_session_ics(request: HttpRequest, appointment_id: int) -> HttpResponse:
    client = _client(request)
    appointment = feeds.upcoming_for_client(client, timezone.now()).filter(pk=appointment_id)
    found = appointment.first()
    if found is None:
        raise Http404("No such session")
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    body = build_calendar(
        [event_of(found, FeedNames.NONE)], tz_name=client.time_zone, name="Therapy sessions"
    )
    audit.record(actor_of(request), "calendar_session.download", found)
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = f'attachment; filename="session-{found.pk}.ics"'
    return response


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar app subscribes to. An unknown, revoked or no longer usable token
    is a 404, the same as a page that does not exist."""
    found = feeds.feed_for_token(token)
    if found is None:
        raise Http404("No such calendar")
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    now = timezone.now()
    owner = found.user
    actor = Actor(
        user=owner, practice_id=practice_of(owner), channel=Channel.API, ip=client_ip(request)
    )
    if found.client is not None:
        rows = list(feeds.client_appointments(found.client, now))
        names, tz_name, title = FeedNames.NONE.value, found.client.time_zone, "Therapy sessions"
    else:
        rows = list(feeds.therapist_appointments(owner, now))
        names, tz_name, title = found.names, owner.time_zone, "Continuum sessions"
    body = build_calendar([event_of(a, names) for a in rows], tz_name=tz_name, name=title, now=now)
    audit.record(actor, "calendar_feed.read", found, count=len(rows))
    response = HttpResponse(body, content_type=ICS)
    response["Cache-Control"] = "private, no-store"
    return response
