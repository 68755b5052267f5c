"""Automatic log-off (SECURITY.md promise 6).

Staff sessions end after SESSION_IDLE_SECONDS without a request (15 minutes) and, however
busy, SESSION_ABSOLUTE_SECONDS after login (12 hours). Client-portal users (no membership, a
client record) may stay idle for PORTAL_SESSION_IDLE_SECONDS (an hour).

The login time, the last activity and the kind of session live in the session itself. They
are written at login (Django's user_logged_in signal, connected by continuum.ops at start-up,
before the session is first saved) and then at most once per ACTIVITY_RESOLUTION seconds, so
an ordinary request costs no extra query. The price: a session may end up to that many
seconds early, never late.

An expired session is flushed (the row is deleted, so the old cookie is worthless), one
"session.expire" audit row is written, and the person lands on the login page with a calm
message saying why.

`end_sessions(user)` ends every session of one person at once, the same way (their rows are
deleted): an owner deactivating a member or resetting their second factor
(continuum/accounts/services.py). Their next request is anonymous and goes to the login page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from continuum.accounts.http import web_actor
from continuum.accounts.models import User
from continuum.audit.log import record

LOGIN_AT = "_continuum_login_at"
SEEN_AT = "_continuum_seen_at"
KIND = "_continuum_session_kind"
STAFF, PORTAL = "staff", "portal"
IDLE, ABSOLUTE = "idle", "absolute"
ACTIVITY_RESOLUTION = 10


def session_kind(user: User) -> str:
    """'portal' for a client (no membership, a client record); 'staff' otherwise (stricter)."""
    if getattr(user, "membership", None) is None and getattr(user, "client_profile", None):
        return PORTAL
    return STAFF


def stamp_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[KIND] = session_kind(user)


def connect() -> None:
    user_logged_in.connect(stamp_login, dispatch_uid="continuum.session_limits.stamp_login")


def end_sessions(user: User) -> int:
    """Delete every unexpired session in which `user` is logged in; how many there were.

    Sessions live in the database (SESSION_ENGINE, the `db` backend), which does not index
    them by user: each unexpired session is decoded to find the user's. An owner's action
    costs one read of the sessions table (a practice has tens of rows, not millions). Called
    inside the owner's transaction, so the sessions end only if the change commits. A
    request of the member's already under way cannot bring its session back: saving a
    deleted session fails (Django's SessionInterrupted)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk)
    rows = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    decoder = store()
    keys = [
        key
        for key, data in rows.values_list("session_key", "session_data").iterator()
        if decoder.decode(data).get(SESSION_KEY) == user_id
    ]
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


def idle_limit(kind: str | None) -> int:
    if kind == PORTAL:
        return int(settings.PORTAL_SESSION_IDLE_SECONDS)
    return int(settings.SESSION_IDLE_SECONDS)


def expiry_reason(session: Any, now: int) -> str | None:
    """IDLE or ABSOLUTE when the session has run out, None while it is still good."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return None  # stamped by SessionLimitsMiddleware below
    if now - seen_at > idle_limit(session.get(KIND)):
        return IDLE
    if now - login_at > int(settings.SESSION_ABSOLUTE_SECONDS):
        return ABSOLUTE
    return None


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def expiry_message(reason: str, kind: str | None) -> str:
    if reason == IDLE:
        return (
            f"You were signed out after {_duration(idle_limit(kind))} without activity. "
            "Please log in again to carry on."
        )
    return (
        f"You were signed out because sessions end {_duration(settings.SESSION_ABSOLUTE_SECONDS)} "
        "after logging in. Please log in again to carry on."
    )


class SessionLimitsMiddleware:
    """End idle and over-long sessions before any view runs (after AuthenticationMiddleware
    and MessageMiddleware, so the login page can say why)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # Reading the session key needs no user query, and none at all without a cookie.
        if SESSION_KEY in session:
            now = int(time.time())
            reason = expiry_reason(session, now)
            if reason is not None:
                return self.sign_out(request, reason)
            if not isinstance(session.get(LOGIN_AT), int):
                # A session from before these limits existed: count from now.
                session[LOGIN_AT] = now
                session[SEEN_AT] = now
            elif now - session[SEEN_AT] >= ACTIVITY_RESOLUTION:
                session[SEEN_AT] = now
        return self.get_response(request)

    def sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        kind = request.session.get(KIND)
        user = request.user
        if user.is_authenticated:
            record(web_actor(request, user), "session.expire", reason=reason)
        request.session.flush()
        request.user = AnonymousUser()
        messages.info(request, expiry_message(reason, kind))
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment; send the whole window there.
            response = HttpResponse(status=200)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())
