"""The API against its own OpenAPI description (schemathesis, in-process through the WSGI
app): generated requests to every operation, as the therapist's token with every scope, get
no server error and only responses that the description allows (status, content type, body).

Slow stage (`-m slow`): hundreds of generated requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from continuum.api.tests.world import fill_record, make_token
from continuum.api.v1 import api
from continuum.testing.base import make_client, make_staff

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    # As Django's test client does: the requests run inside the test's transaction, so the
    # handler must not close the connection at the end of each one.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def secret(settings: Any) -> str:
    from continuum.accounts.models import Practice

    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    cache.clear()
    practice = Practice.objects.create(name="Schema Practice")
    therapist = make_staff(practice, "schema@example.org", "Schema Therapist")
    client = make_client(therapist, "Sam", "Schema")
    fill_record(None, client, therapist)
    return make_token(therapist)


# The description the API serves at /api/v1/openapi.json, called through the WSGI app.
# (schemathesis.pytest.from_fixture does not work with pytest 9: it sets a private node id.)
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
)
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_own_description(case: Any, secret: str) -> None:
    # On the case itself: the WSGI transport does not pass call_and_validate's `headers` on.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
    response = case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    # The token is valid and never limited here: every answer came from the operation itself.
    assert response.status_code not in (401, 429), response.status_code
