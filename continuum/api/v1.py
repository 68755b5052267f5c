"""/api/v1/: the JSON API (django-ninja). OpenAPI at /api/v1/openapi.json; the docs page is
our own (continuum/api/views.py), since ninja's loads its scripts from a CDN."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from continuum.api.core import declared_query_only, install_error_handlers
from continuum.api.endpoints import appointments, clients, measures, plans


class ContinuumAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        """Every answer may hold a record: no cache, shared or private, keeps it."""
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        response["Cache-Control"] = "no-store"
        return response


api = ContinuumAPI(
    title="Continuum API",
    version="1",
    description=(
        "Personal access tokens (Authorization: Bearer ctm_...) with read/write scopes per "
        "area. Every POST needs an Idempotency-Key header: a repeat returns the first answer. "
        "Errors are JSON: {code, message, fields}. A query parameter a route does not declare is "
        "a 400, never ignored. Lists are cursor-paged (next_cursor)."
    ),
    urls_namespace="api-v1",
    docs_url=None,
)
install_error_handlers(api)
api.add_decorator(declared_query_only, mode="view")
api.add_router("", clients.router)
api.add_router("", appointments.router)
api.add_router("", measures.router)
api.add_router("", measures.outcomes)
api.add_router("", plans.router)
