"""The "API tokens" page (behind a fresh second-factor check) and the API's docs page."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from continuum.accounts import once
from continuum.accounts.http import AuthenticatedRequest, actor_of, refuse
from continuum.api import tokens
from continuum.api.forms import TokenForm
from continuum.api.v1 import api

View = Callable[..., HttpResponse]


def recent_second_factor(request: HttpRequest) -> bool:
    """Whether this session passed a second-factor check (at login or when allauth asked
    again) within ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    records = get_authentication_records(request, request.user)
    limit = account_settings.REAUTHENTICATION_TIMEOUT
    now = time.time()
    return any(r.get("method") == "mfa" and now - float(r.get("at", 0)) < limit for r in records)


def member_required(view: View) -> View:
    """Logged in with an active membership (staff only: portal clients get a 404)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not tokens.may_hold_tokens(request.user):  # type: ignore[arg-type]
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def fresh_second_factor(view: View) -> View:
    """Send the member to allauth's second-factor check first unless they just passed one."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not recent_second_factor(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@member_required
@fresh_second_factor
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    refused = refuse(request, "GET", "HEAD", "POST")
    if refused is not None:
        return refused
    form = TokenForm(request.POST or None, initial={"submission_key": once.new_key()})
    created = None
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["submission_key"]
        try:
            with transaction.atomic():
                if not once.claim(key, request.user):
                    return redirect("api:tokens")
                created = tokens.create_token(
                    actor_of(request),
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    days=form.cleaned_data["days"],
                )
                once.remember(key, reverse("api:tokens"))
        except tokens.TokenError as error:
            form.add_error(None, str(error))
        else:
            form = TokenForm(initial={"submission_key": once.new_key()})
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": tokens.tokens_of(request.user),
            "docs_url": reverse("api_docs"),
        },
    )


@member_required
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = tokens.get_token_for(request.user, token_id)
    if token is None:
        raise Http404("No such token")
    refused = refuse(request, "POST")
    if refused is not None:
        return refused
    tokens.revoke_token(actor_of(request), token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("api:tokens")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": ", ".join(op.get("tags", [])),
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "where": p.get("in"),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _ref_name(op.get("requestBody", {})),
                    "responses": [
                        {"status": status, "schema": _ref_name(answer)}
                        for status, answer in op.get("responses", {}).items()
                    ],
                }
            )
    return ops


def _schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(spec.get("required", []))
        fields = [
            {"name": f, "required": f in required, "description": s.get("description", "")}
            for f, s in spec.get("properties", {}).items()
        ]
        out.append({"name": name, "fields": fields})
    return out


def _ref_name(part: dict[str, Any]) -> str:
    schema = part.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
    name = str(ref).rsplit("/", 1)[-1]
    return f"list of {name}" if name and "items" in schema else name


def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's operations, rendered on the server from the OpenAPI document (no scripts,
    nothing from another host). Public, like the OpenAPI document: it shows no data."""
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return render(
        request,
        "api/docs.html",
        {
            "title": schema["info"]["title"],
            "description": schema["info"].get("description", ""),
            "operations": _operations(schema),
            "schemas": _schemas(schema),
            "openapi_url": "/api/v1/openapi.json",
        },
    )
