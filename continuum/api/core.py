"""The plumbing every endpoint shares: token auth with scopes, the rate limit and the audit
row per request, the one error shape, cursor pages, and `Idempotency-Key` on POSTs.

Errors are always `{"code": ..., "message": ..., "fields": {...}}` with a 4xx status.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer

from continuum.accounts.actors import Actor, Channel
from continuum.accounts.http import client_ip
from continuum.accounts.models import User
from continuum.api import tokens
from continuum.api.models import ApiToken, IdempotentRequest
from continuum.audit import log as audit


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ApiError(HttpError):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.fields = fields or {}


def bad_request(message: str, fields: dict[str, str] | None = None) -> ApiError:
    return ApiError(400, "invalid", message, fields)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


# --- Who is calling --------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """A personal access token with the scope `area` (read for GET, write otherwise).

    Every request that names a live token writes one "api.request" audit row (structural: the
    route, the method, the ids in the path, the outcome), refused ones included.
    """

    def __init__(self, area: str) -> None:
        super().__init__()
        self.area = area

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return check_token(request, token, self.area)


def check_token(
    request: HttpRequest, secret: str, area: str, access: str | None = None
) -> ApiToken | None:
    """The live token `secret` names, allowed `area` (`access`; by default read for GET/HEAD,
    write otherwise); None for no live token. Audits the request; ApiError for the rate limit
    or the scope. Sets `request.api_actor` (channel api)."""
    found = tokens.find_live_token(secret)
    if found is None:
        return None
    if access is None:
        access = "read" if request.method in ("GET", "HEAD") else "write"
    actor = api_actor(request, found.user)
    request.api_actor = actor  # type: ignore[attr-defined]
    if tokens.over_rate_limit(found):
        outcome = "rate_limited"
    elif not found.allows(area, access):
        outcome = "scope_refused"
    else:
        outcome = "ok"
    match = getattr(request, "resolver_match", None)
    audit.record(
        actor,
        "api.request",
        found,
        channel=str(actor.channel),
        route=match.url_name if match is not None else "",
        method=request.method,
        ids={k: int(v) for k, v in (match.kwargs if match else {}).items() if _is_id(v)},
        scope=f"{area}:{access}",
        outcome=outcome,
    )
    tokens.touch(found)
    if outcome == "rate_limited":
        raise ApiError(429, "rate_limited", "Too many requests with this token; wait a minute.")
    if outcome == "scope_refused":
        raise ApiError(403, "scope", f"This token lacks the scope {area}:{access}.")
    return found


def _is_id(value: object) -> bool:
    return isinstance(value, int) or (
        isinstance(value, str) and value.isdigit() and len(value) < 19
    )


def api_actor(request: HttpRequest, user: User) -> Actor:
    # `reading` stays False: a break-glass grant serves browser reads only, never the API.
    return Actor(
        user=user,
        practice_id=tokens.practice_of_user(user),
        channel=Channel.API,
        ip=client_ip(request),
    )


def actor(request: HttpRequest) -> Actor:
    return request.api_actor  # type: ignore[attr-defined,no-any-return]


def user(request: HttpRequest) -> User:
    return actor(request).acting_user()


# --- Errors ----------------------------------------------------------------------------------


def _error(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    body.setdefault("fields", {})
    return api.create_response(request, body, status=status)


def _field_name(loc: Sequence[Any]) -> str:
    # ninja's locations start with where the value came from ("body", "query", "path"), and
    # a body's with the name of the view's parameter ("data"), which means nothing outside.
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[2:] if len(parts) > 2 else []
    elif parts[:1] in (["query"], ["path"], ["header"]):
        parts = parts[1:]
    return ".".join(parts) or "request"


def install_error_handlers(api: NinjaAPI) -> None:
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = {_field_name(e.get("loc", ())): str(e.get("msg", "invalid")) for e in exc.errors}
        return _error(
            api, request, 400, {"code": "invalid", "message": "Invalid input.", "fields": fields}
        )

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            fields = {name: " ".join(msgs) for name, msgs in exc.message_dict.items()}
        else:
            fields = {"request": " ".join(exc.messages)}
        return _error(
            api, request, 400, {"code": "invalid", "message": "Invalid input.", "fields": fields}
        )

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _error(
            api,
            request,
            exc.status_code,
            {"code": exc.code, "message": exc.message, "fields": exc.fields},
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _error(api, request, exc.status_code, {"code": "error", "message": str(exc)})

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _error(
            api,
            request,
            401,
            {"code": "unauthorized", "message": "A valid API token is required."},
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, {"code": "not_found", "message": "Not found."})

    # ninja types a handler's exception as "the class or an instance"; ours get instances.
    api.add_exception_handler(NinjaValidationError, on_validation)  # type: ignore[arg-type]
    api.add_exception_handler(DjangoValidationError, on_django_validation)  # type: ignore[arg-type]
    api.add_exception_handler(ApiError, on_api_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, on_http_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, on_auth)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, on_404)  # type: ignore[arg-type]


# Every operation documents these error answers (the same shape).
ERRORS: dict[int, type[Schema]] = dict.fromkeys((400, 401, 403, 404, 409, 429), ErrorOut)


# --- Query parameters ------------------------------------------------------------------------


def declared_query(operation: Operation) -> frozenset[str]:
    """The query parameters `operation` declares: the names ninja reads from the query string
    and lists in the OpenAPI description."""
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            names.update(getattr(model, "__ninja_flatten_map__", {}))
    return frozenset(names)


def undeclared_query(names: Sequence[str], allowed: frozenset[str]) -> ApiError:
    if allowed:
        hint = f"Not a parameter of this route; use one of: {', '.join(sorted(allowed))}."
    else:
        hint = "Not a parameter of this route; it takes no query parameters."
    return bad_request("Unknown query parameter.", dict.fromkeys(names, hint))


Run = Callable[..., HttpResponseBase]


def declared_query_only(run: Run) -> Run:
    """Every operation refuses a query parameter it does not declare (a filter it does not
    have would otherwise be ignored, and the caller would get every row).

    Installed with `api.add_decorator(declared_query_only, mode="view")`, which hands over each
    operation's bound `run`; the check goes around the view function itself, so it comes after
    the token check (audited, rate-limited) and beside the other 400s.
    """
    operation = run.__self__  # type: ignore[attr-defined]
    assert isinstance(operation, Operation)
    allowed = declared_query(operation)
    view = operation.view_func

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            raise undeclared_query(unknown, allowed)
        return view(request, *args, **kwargs)

    operation.view_func = checked
    return run


# --- Cursor pages ----------------------------------------------------------------------------

M = TypeVar("M", bound=models.Model)
MAX_LIMIT = 200


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def page(
    rows: QuerySet[M], *, sort: str, allowed: Sequence[str], cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """One page of `rows` in the allow-listed `sort` order ("field" or "-field", ties by id),
    starting after `cursor`; and the cursor of the next page (None on the last)."""
    if sort not in allowed:
        raise bad_request("Unknown sort.", {"sort": f"Use one of: {', '.join(allowed)}."})
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("Bad limit.", {"limit": f"Between 1 and {MAX_LIMIT}."})
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    column = "pk" if field == "id" else field
    order = [f"-{column}", "-pk"] if descending else [column, "pk"]
    rows = rows.order_by(*order)
    if cursor:
        try:
            value, last_pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            last_pk = int(last_pk)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad_request("Bad cursor.", {"cursor": "Use the next_cursor of a page."}) from None
        op = "lt" if descending else "gt"
        try:
            if column == "pk":
                rows = rows.filter(**{f"pk__{op}": last_pk})
            else:
                rows = rows.filter(
                    Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"pk__{op}": last_pk})
                )
        except (ValueError, TypeError, DjangoValidationError):
            raise bad_request("Bad cursor.", {"cursor": "Use the next_cursor of a page."}) from None
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        last = found[-1]
        value = last.pk if column == "pk" else _encode(getattr(last, column))
        raw = json.dumps([value, last.pk]).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode()
    return found, next_cursor


# --- Idempotency-Key -------------------------------------------------------------------------

KEY_MAX = 128


def once(request: HttpRequest, key: str, work: Callable[[], tuple[int, Schema]]) -> Status[Any]:
    """Do `work` once per (token, key): a repeat gets the first answer (status and body).

    The work and the remembered answer commit together; if the work fails nothing is stored
    and the same key may be sent again.
    """
    key = key.strip()
    if not key or len(key) > KEY_MAX:
        raise bad_request(
            "Bad Idempotency-Key.", {"Idempotency-Key": f"1 to {KEY_MAX} characters."}
        )
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    earlier = _earlier(request, token, key)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            status, body = work()
            data = body.model_dump(mode="json")
            IdempotentRequest.objects.create(
                token=token,
                key=key,
                method=request.method or "",
                path=request.path[:300],
                status=status,
                body=data,
            )
    except IntegrityError:
        # A concurrent request with the same key won; this one's work rolled back.
        earlier = _earlier(request, token, key)
        if earlier is None:
            raise
        return earlier
    return Status(status, data)


def _earlier(request: HttpRequest, token: ApiToken, key: str) -> Status[Any] | None:
    row = IdempotentRequest.objects.filter(token=token, key=key).first()
    if row is None:
        return None
    if row.path != request.path[:300] or row.method != request.method:
        raise conflict("This Idempotency-Key was used for another request.")
    return Status(row.status, row.body)
