"""/api/v1/: the JSON API (django-ninja). OpenAPI at /api/v1/openapi.json; the docs page is
our own (continuum/api/views.py), since ninja's loads its scripts from a CDN."""

from __future__ import annotations

from ninja import NinjaAPI

from continuum.api.core import install_error_handlers
from continuum.api.endpoints import appointments, clients, measures, plans

api = NinjaAPI(
    title="Continuum API",
    version="1",
    description=(
        "Personal access tokens (Authorization: Bearer ctm_...) with read/write scopes per "
        "area. Every POST needs an Idempotency-Key header: a repeat returns the first answer. "
        "Errors are JSON: {code, message, fields}. Lists are cursor-paged (next_cursor)."
    ),
    urls_namespace="api-v1",
    docs_url=None,
)
install_error_handlers(api)
api.add_router("", clients.router)
api.add_router("", appointments.router)
api.add_router("", measures.router)
api.add_router("", measures.outcomes)
api.add_router("", plans.router)
