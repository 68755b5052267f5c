"""A calm 503 page when the database cannot take a write (full disk, I/O error, lock timeout).

Without this, a full disk surfaces as a 500 traceback page. The transaction has already been
rolled back when the exception reaches here, so nothing was half-saved; the page says so. The
log line names the kind of failure only (database error text holds no personal data, but the
request's data is never logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("continuum.storage")

# Substrings of SQLite's and PostgreSQL's messages for "cannot store anything right now".
STORAGE_FAILURES = (
    "database or disk is full",
    "no space left on device",
    "disk i/o error",
    "database is locked",
)


def is_storage_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and any(s in text for s in STORAGE_FAILURES)


class StorageFailureMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_storage_failure(exception):
            return None
        kind = next(s for s in STORAGE_FAILURES if s in str(exception).lower())
        logger.error("storage failure (%s) on %s %s", kind, request.method, request.path)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response
