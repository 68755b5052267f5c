"""SECURITY.md promise 12: no SQL injection through sort, search and filter parameters.

Hypothesis sends 500 arbitrary values (any unicode, NUL included, and classic SQL-injection
strings) for the `sort`, `q` and every filter parameter of every view that reads request.GET,
with the Django test client and one login: the answer is 200 or 400 (or the page's own
answer without parameters, e.g. a redirect), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from continuum.tests.test_url_sweep import SweepWorld

ROOT = Path(__file__).resolve().parents[2]

SQL_INJECTION = [
    "' OR '1'='1",
    "1; DROP TABLE care_client; --",
    "name; DELETE FROM audit_auditevent",
    "-id",
    "id DESC, (SELECT 1)",
    "first_name`",
    '"',
    "\\",
    "%",
    "_",
    "%%' --",
    "1) UNION SELECT password FROM accounts_user --",
    "__class__",
    "client__therapist__password",
    "pk__gt",
    "2026-13-45",
    "9999-12-31",
    "0000-00-00",
    "-1",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "\x00",
    "..",
    "../../etc/passwd",
]

VALUES = st.one_of(st.text(max_size=200), st.sampled_from(SQL_INJECTION))

# route name → (person, URL kwargs from the world, GET parameters the view reads).
TARGETS: dict[str, tuple[str, Callable[[Any], dict[str, Any]], list[str]]] = {
    "care:caseload": ("alice", lambda w: {}, ["q", "status", "sort", "page"]),
    "continuity:day": ("alice", lambda w: {}, ["all"]),
    "care:client_detail": ("alice", lambda w: {"client_id": w.dana.pk}, ["page"]),
    "care:schedule": ("alice", lambda w: {}, ["week"]),
    "care:note_create": ("alice", lambda w: {"appointment_id": w.attended.pk}, ["format"]),
    "measures:alert_list": ("alice", lambda w: {}, ["status", "page"]),
    "audit:log": (
        "olivia",
        lambda w: {},
        ["actor", "action", "date_from", "date_to", "client", "page"],
    ),
    "accounts:roster": ("olivia", lambda w: {}, ["therapist", "q", "page"]),
    "accounts:reassign": ("olivia", lambda w: {"client_id": w.dana.pk}, ["therapist", "q"]),
    "reflections:client_reflections": (
        "alice",
        lambda w: {"client_id": w.dana.pk},
        ["q", "kind", "show", "page", "sort"],
    ),
    "reflections:former_clients": ("alice", lambda w: {}, ["page", "sort"]),
    "wellbeing:self_reflections": ("alice", lambda w: {}, ["page"]),
    "wellbeing:self_reflection_create": ("alice", lambda w: {}, ["client", "next"]),
    "wellbeing:consultations": ("alice", lambda w: {}, ["page"]),
    "wellbeing:client_consultations": ("alice", lambda w: {"client_id": w.dana.pk}, ["page"]),
    "boundaries:client_messages": ("alice", lambda w: {"client_id": w.dana.pk}, ["page"]),
    "boundaries:portal_messages": ("dana_portal", lambda w: {}, ["page"]),
    "boundaries:portal_compose": ("dana_portal", lambda w: {}, ["reply_to"]),
    "portal:client_checkins": ("alice", lambda w: {"client_id": w.dana.pk}, ["page"]),
    "endings:summary": ("alice", lambda w: {"episode_id": w.episode.pk}, ["format"]),
    "endings:portal_summary": ("dana_portal", lambda w: {}, ["format"]),
    "exchange:caseload_csv": ("alice", lambda w: {}, ["q", "status", "sort"]),
    "exchange:alerts_csv": ("alice", lambda w: {}, ["status"]),
    "outcomes:page": (
        "olivia",
        lambda w: {},
        ["period", "on", "start", "end", "instrument", "by"],
    ),
    "exchange:audit_csv": (
        "olivia",
        lambda w: {},
        ["actor", "action", "date_from", "date_to", "client"],
    ),
}

# Every module that reads request.GET, so that a new list view cannot escape the fuzzing.
READS_GET = {
    "continuum/outcomes/views.py",
    "continuum/continuity/views.py",
    # Token-authenticated (no session to fuzz with): its parameters are checked with hostile
    # values in continuum/fhir/tests/test_fhir.py::SearchParameterTests (patient, _id) and
    # test_fhir_resources.py::SearchTests (date, code; parsed in continuum/fhir/search.py).
    "continuum/fhir/views.py",
    # The bulk kick-off's _type, _since and _outputFormat, with hostile values in
    # continuum/fhir/tests/test_bulk.py::test_bad_kickoffs_are_refused_and_store_nothing.
    "continuum/fhir/bulk.py",
    # The JSON API's check that a query parameter is declared: it reads the names only, never
    # a value (continuum/api/tests/test_endpoints.py::UndeclaredQueryTests; the values go
    # through ninja's typed parameters, fuzzed by test_schemathesis.py).
    "continuum/api/core.py",
    "continuum/exchange/views/exports.py",
    "continuum/practice/views.py",
    "continuum/practice/audit_views.py",
    "continuum/boundaries/views/portal.py",
    "continuum/boundaries/views/therapist.py",
    "continuum/care/views/clients.py",
    "continuum/care/views/notes.py",
    "continuum/care/views/schedule.py",
    "continuum/endings/views/portal.py",
    "continuum/endings/views/therapist.py",
    "continuum/measures/views/alerts.py",
    "continuum/portal/views/staff.py",
    "continuum/reflections/views.py",
    "continuum/wellbeing/views.py",
}


class QueryParameterGuardTests(SweepWorld):
    def test_every_module_reading_query_parameters_is_fuzzed(self) -> None:
        found = {
            str(path.relative_to(ROOT))
            for path in (ROOT / "continuum").rglob("*.py")
            if "/tests/" not in str(path) and "request.GET" in path.read_text(encoding="utf-8")
        }
        self.assertEqual(found, READS_GET, "add the new view's parameters to TARGETS")

    def test_the_audit_log_refuses_days_at_the_edge_of_the_calendar(self) -> None:
        # Found by the fuzzing: 9999-12-31 was a 500 (OverflowError turning it into an instant).
        self.login(self.olivia)
        for day in ("9999-12-31", "0001-01-01"):
            for name in ("date_from", "date_to"):
                response = self.client.get(reverse("audit:log"), {name: day})
                self.assertContains(response, "Choose a date from 2000 to 2999", status_code=400)


# 20 views x 500 examples takes minutes: these run in the `slow` stage of `make test`.
@pytest.mark.slow
class InjectionFuzzTests(HypothesisTestCase, SweepWorld):  # one transaction per example
    cookies: dict[str, Any]
    baseline: dict[str, int]

    def _fuzz(self, name: str, params: dict[str, str]) -> None:
        _person, build, _names = TARGETS[name]
        url = reverse(name, kwargs=build(self) or None)
        response = self.client.get(url, params)
        allowed = {200, 400, self.baseline[name]}
        self.assertIn(response.status_code, allowed, f"{name} {params!r}")

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # One login per person for the whole class (their sessions outlive every example).
        cls.cookies = {}
        for person in {p for p, _b, _n in TARGETS.values()}:
            browser = DjangoClient()
            browser.force_login(getattr(cls, person))
            cls.cookies[person] = browser.cookies
        # Each page's answer without parameters (200, or its own redirect).
        cls.baseline = {}
        for name, (person, build, _names) in TARGETS.items():
            browser = DjangoClient()
            browser.cookies = cls.cookies[person]
            url = reverse(name, kwargs=build(cls) or None)
            cls.baseline[name] = browser.get(url).status_code
            assert cls.baseline[name] < 400, name

    def login_as(self, person: str) -> None:
        self.client.cookies = self.cookies[person]


def _make_fuzz_test(name: str) -> Callable[[InjectionFuzzTests], None]:
    person, _build, names = TARGETS[name]

    @settings(
        max_examples=500,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(params=st.dictionaries(st.sampled_from(names), VALUES, min_size=1))
    def test(self: InjectionFuzzTests, params: dict[str, str]) -> None:
        self.login_as(person)
        self._fuzz(name, params)

    return test


for _name in TARGETS:
    _method = "test_fuzz_" + _name.replace(":", "_")
    setattr(InjectionFuzzTests, _method, _make_fuzz_test(_name))
