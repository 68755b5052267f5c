"""SECURITY.md promise 13: CSRF.

With CSRF checks on (as in production; the test client skips them by default), a POST without
a token to every route of the project, as the rightful person, answers 403 and writes nothing;
the same POST with the token gets past the check. The only exempt views are the
token-authenticated routes: django-ninja's API routes and FHIR's bulk export and import
(`csrf_exempt` appears only in continuum/fhir/bulk.py and imports.py). A session cookie does
not authenticate them, so a forged cross-site POST gets a 401 and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.middleware.csrf import get_token
from django.test import Client as DjangoClient
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from continuum.tests.test_url_sweep import (
    API_NAMESPACE,
    ID_ROUTES,
    NON_ID_PARAMS,
    PUBLIC_ROUTES,
    SweepWorld,
    dummy_kwargs,
    iter_routes,
)
from continuum.tests.world import PEOPLE

ROOT = Path(__file__).resolve().parents[2]

# The heading of templates/403_csrf.html, Django's CSRF failure page here.
CSRF_PAGE = b"<h1>This form has expired</h1>"


def api_routes() -> set[str]:
    """The JSON API's routes: every one authenticates by bearer token only."""
    return {name for name, _ in iter_routes() if name.startswith(API_NAMESPACE)}


def post_targets(world: Any) -> list[tuple[str, str, str | None]]:
    """(route, URL, person or None for anonymous) for every route of the project."""
    targets: list[tuple[str, str, str | None]] = []
    for name, params in iter_routes():
        if name.startswith(API_NAMESPACE):
            continue  # token-only: test_api_posts_with_a_session_but_no_token_write_nothing
        if name in ID_ROUTES:
            owner, build = ID_ROUTES[name]
            targets.append((name, reverse(name, kwargs=build(world)), owner))
        elif not params:
            people: tuple[str | None, ...] = (None,) if name in PUBLIC_ROUTES else PEOPLE
            targets.extend((name, reverse(name), person) for person in people)
        elif params - NON_ID_PARAMS:  # an id route the URL sweep has no fixture for yet
            targets.append((name, reverse(name, kwargs=dummy_kwargs(params)), "alice"))
        else:  # public token links: anonymous, with a made-up token
            kwargs = {p: ("MQ" if p == "uidb64" else "x-y") for p in params}
            targets.append((name, reverse(name, kwargs=kwargs), None))
    return targets


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in {"sessions"}
    }


def exempt_views(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> list[str]:
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += exempt_views(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
            found.append(namespace + (entry.name or prefix + str(entry.pattern)))
    return found


class CsrfTests(SweepWorld):
    def test_every_post_without_a_token_is_refused_and_writes_nothing(self) -> None:
        before = row_counts()
        refused = 0
        for name, url, person in post_targets(self):
            client = DjangoClient(enforce_csrf_checks=True)
            if person:
                client.force_login(getattr(self, person))
            with self.subTest(route=name, person=person):
                response = client.post(url, {"text": "x", "confirm": "1"})
                self.assertEqual(response.status_code, 403, f"{name} as {person}")
                self.assertIn(CSRF_PAGE, response.content)  # templates/403_csrf.html
                refused += 1
        self.assertEqual(row_counts(), before)
        print(f"CSRF: {refused} POSTs without a token, {refused} refused")
        self.assertGreater(refused, 150)

    def test_the_same_post_with_a_token_gets_past_the_check(self) -> None:
        checked = 0
        for name, url, person in post_targets(self):
            if person is None:
                continue
            client = DjangoClient(enforce_csrf_checks=True)
            client.force_login(getattr(self, person))
            client.get(reverse("home"))  # sets the CSRF cookie
            token = client.cookies.get("csrftoken")
            if token is None:  # the cookie is set lazily; ask for one explicitly
                request = RequestFactory().get("/")
                token_value = get_token(request)
                client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
            else:
                token_value = token.value
            response = client.post(url, {}, headers={"X-CSRFToken": token_value})
            with self.subTest(route=name, person=person):
                self.assertNotIn(CSRF_PAGE, response.content)
            checked += 1
        self.assertGreater(checked, 150)

    def test_api_posts_with_a_session_but_no_token_write_nothing(self) -> None:
        before = row_counts()
        client = DjangoClient(enforce_csrf_checks=True)
        client.force_login(self.alice)
        for name, params in iter_routes():
            if not name.startswith(API_NAMESPACE):
                continue
            url = reverse(name, kwargs=dummy_kwargs(params) or None)
            for method in ("post", "patch"):
                response = getattr(client, method)(url, {}, content_type="application/json")
                with self.subTest(route=name, method=method):
                    self.assertIn(response.status_code, (401, 403, 404, 405), name)
        self.assertEqual(row_counts(), before)

    def test_no_view_is_csrf_exempt(self) -> None:
        # Only the token-authenticated routes of the API and FHIR are exempt (a cookie session
        # gets nothing there: test_api_posts_with_a_session_but_no_token_write_nothing).
        self.assertEqual(set(exempt_views()) - api_routes(), set())
        in_code = [
            str(path.relative_to(ROOT))
            for path in (ROOT / "continuum").rglob("*.py")
            if "/tests/" not in str(path) and "csrf_exempt" in path.read_text(encoding="utf-8")
        ]
        token_only = {"continuum/fhir/bulk.py", "continuum/fhir/imports.py"}
        self.assertEqual(set(in_code) - token_only, set())
