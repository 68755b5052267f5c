"""SECURITY.md promise 3 over the API: a reflection's unique word appears in no response of
any route and not in the OpenAPI document; the OpenAPI document and the docs page."""

from __future__ import annotations

from typing import Any

from continuum.api.tests.world import CANARY, ApiTestCase, make_token
from continuum.api.v1 import api
from continuum.wellbeing.models import SelfReflection

OPERATION_IDS = "/api/v1/openapi.json"


def get_paths(world: Any) -> list[str]:
    """Every GET route of the API, with Alice's ids filled in."""
    ids = {
        "client_id": world.dana.pk,
        "episode_id": world.episode.pk,
        "appointment_id": world.upcoming.pk,
        "plan_id": world.plan.pk,
    }
    paths = []
    for path, methods in api.get_openapi_schema(path_prefix="")["paths"].items():
        if "get" in methods:
            paths.append(path.format(**ids))
    return paths


class CanaryTests(ApiTestCase):
    def test_no_response_and_no_schema_holds_a_reflection(self) -> None:
        SelfReflection.objects.create(author=self.alice, text=CANARY + " self")
        secret = make_token(self.alice)
        paths = get_paths(self)
        self.assertGreaterEqual(len(paths), 12)
        for path in paths:
            response = self.api("GET", path, secret)
            self.assertEqual(response.status_code, 200, path)
            self.assertNotIn(CANARY, response.content.decode(), path)
        for page in (OPERATION_IDS, "/api/v1/docs/"):
            self.assertNotIn(CANARY, self.client.get(page).content.decode(), page)


class OpenApiTests(ApiTestCase):
    def test_the_document_describes_every_route_and_its_errors(self) -> None:
        schema = self.client.get(OPERATION_IDS).json()
        self.assertEqual(schema["openapi"][:2], "3.")
        self.assertIn("/api/v1/clients/{client_id}", schema["paths"])
        post = schema["paths"]["/api/v1/clients"]["post"]
        headers = [p["name"] for p in post["parameters"] if p["in"] == "header"]
        self.assertEqual(headers, ["Idempotency-Key"])
        self.assertEqual(set(post["responses"]), {"201", "400", "401", "403", "404", "409", "429"})
        self.assertEqual(
            schema["components"]["securitySchemes"]["TokenAuth"],
            {"type": "http", "scheme": "bearer"},
        )

    def test_the_docs_page_is_ours_and_loads_nothing_from_elsewhere(self) -> None:
        response = self.client.get("/api/v1/docs/")
        self.assertContains(response, "GET /api/v1/clients")
        self.assertContains(response, "Idempotency-Key")
        body = response.content.decode()
        self.assertNotIn("cdn", body.lower())
        self.assertNotIn("<script>", body)
        csp = response["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
