"""Every endpoint against the real database: what Alice's token sees and changes, and that
Charlie's (another practice) gets 404 for every one of Alice's ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from continuum.api.models import IdempotentRequest
from continuum.api.tests.world import ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment, Client
from continuum.measures.models import Administration


class ClientEndpointTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice)

    def test_list_shows_only_the_callers_clients(self) -> None:
        body = self.api("GET", "/clients", self.secret).json()
        self.assertEqual([c["id"] for c in body["items"]], [self.dana.pk])
        self.assertEqual(body["items"][0]["last_name"], "Dawson")
        self.assertIsNone(body["next_cursor"])

    def test_cursor_pages_walk_every_client_once(self) -> None:
        from continuum.testing.base import make_client

        for i in range(4):
            make_client(self.alice, f"Extra{i}", f"Zed{i}")
        seen, cursor = [], None
        while True:
            query = {"limit": 2, "sort": "-last_name"} | ({"cursor": cursor} if cursor else {})
            body = self.api("GET", "/clients", self.secret, query).json()
            seen += [c["last_name"] for c in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, ["Zed3", "Zed2", "Zed1", "Zed0", "Dawson"])

    def test_sorts_and_cursors_outside_the_allow_list_are_400(self) -> None:
        for query in ({"sort": "password"}, {"sort": "id; DROP TABLE"}, {"cursor": "!!"}):
            response = self.api("GET", "/clients", self.secret, query)
            self.assertEqual(response.status_code, 400, query)
            self.assertEqual(response.json()["code"], "invalid")

    def test_read(self) -> None:
        response = self.api("GET", f"/clients/{self.dana.pk}", self.secret)
        self.assertEqual(response.json()["first_name"], "Dana")
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_create_once_per_idempotency_key(self) -> None:
        data = {"first_name": "Hana", "last_name": "Hill", "referral_reason": "Low mood"}
        first = self.api("POST", "/clients", self.secret, data, key="create-hana-1")
        again = self.api("POST", "/clients", self.secret, data, key="create-hana-1")
        self.assertEqual(first.status_code, 201)
        self.assertEqual((again.status_code, again.json()), (201, first.json()))
        hana = Client.objects.get(last_name="Hill")
        self.assertEqual((hana.therapist_id, hana.episodes.count()), (self.alice.pk, 1))
        row = AuditEvent.objects.get(action="client.create")
        self.assertEqual(row.object_id, str(hana.pk))

    def test_post_without_idempotency_key_is_400(self) -> None:
        response = self.api("POST", "/clients", self.secret, {"first_name": "A", "last_name": "B"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Client.objects.filter(last_name="B").exists())

    def test_bad_input_names_the_field_and_writes_nothing(self) -> None:
        before = Client.objects.count()
        for data, field in (
            ({"first_name": "", "last_name": "B"}, "first_name"),
            ({"first_name": "A", "last_name": "B", "email": "not-an-email"}, "email"),
            ({"first_name": "A", "last_name": "B", "time_zone": "Mars/Base"}, "time_zone"),
            ({"first_name": "A", "last_name": "B", "date_of_birth": "1800-01-01"}, "date_of_birth"),
        ):
            response = self.api("POST", "/clients", self.secret, data, key=f"bad-{field}")
            self.assertEqual(response.status_code, 400, data)
            self.assertIn(field, response.json()["fields"], response.json())
        self.assertEqual(Client.objects.count(), before)

    def test_a_key_reused_for_another_request_is_409(self) -> None:
        data = {"first_name": "Ida", "last_name": "Ito"}
        self.api("POST", "/clients", self.secret, data, key="reused-key")
        response = self.api(
            "POST",
            f"/administrations/{self.pending.pk}/link",
            self.secret,
            {},
            key="reused-key",
        )
        self.assertEqual(response.status_code, 409)

    def test_update(self) -> None:
        response = self.api("PATCH", f"/clients/{self.dana.pk}", self.secret, {"pronouns": "she"})
        self.assertEqual(response.json()["pronouns"], "she")
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.pronouns, "she")
        row = AuditEvent.objects.get(action="client.update")
        self.assertEqual((row.detail, row.actor_id), ({"fields": ["pronouns"]}, self.alice.pk))

    def test_bad_update_changes_nothing(self) -> None:
        response = self.api(
            "PATCH", f"/clients/{self.dana.pk}", self.secret, {"pronouns": "x", "email": "bad"}
        )
        self.assertEqual(response.status_code, 400)
        self.dana.refresh_from_db()
        self.assertEqual((self.dana.pronouns, self.dana.email), ("", "dana@example.net"))

    def test_episodes(self) -> None:
        body = self.api("GET", f"/clients/{self.dana.pk}/episodes", self.secret).json()
        self.assertEqual([e["id"] for e in body["items"]], [self.episode.pk])
        one = self.api("GET", f"/episodes/{self.episode.pk}", self.secret).json()
        self.assertEqual(one["status"], "active")


class AppointmentEndpointTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice)

    def test_list_with_filters(self) -> None:
        body = self.api("GET", "/appointments", self.secret, {"status": "scheduled"}).json()
        self.assertEqual([a["id"] for a in body["items"]], [self.upcoming.pk])
        self.assertEqual(
            self.api("GET", "/appointments", self.secret, {"status": "nope"}).status_code, 400
        )

    def test_book_and_cancel(self) -> None:
        starts = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
        data = {"starts_at": starts.isoformat(), "duration_minutes": 50, "modality": "video"}
        response = self.api(
            "POST", f"/clients/{self.dana.pk}/appointments", self.secret, data, key="book-1"
        )
        self.assertEqual(response.status_code, 201, response.json())
        booked = Appointment.objects.get(pk=response.json()["id"])
        self.assertEqual((booked.modality, booked.episode_id), ("video", self.episode.pk))
        clash = self.api(
            "POST", f"/clients/{self.dana.pk}/appointments", self.secret, data, key="book-2"
        )
        self.assertEqual(clash.status_code, 409)
        cancel = self.api(
            "POST",
            f"/appointments/{booked.pk}/cancel",
            self.secret,
            {"cancelled_by": "client"},
            key="cancel-1",
        )
        self.assertEqual(cancel.json()["status"], "cancelled")
        booked.refresh_from_db()
        self.assertEqual((booked.status, booked.cancelled_by), ("cancelled", "client"))

    def test_booking_outside_the_episode_is_a_409_unless_allowed(self) -> None:
        before = self.episode.start_date - timedelta(days=30)
        starts = f"{before.isoformat()}T10:00:00Z"
        data: dict[str, Any] = {"starts_at": starts, "modality": "video"}
        path = f"/clients/{self.dana.pk}/appointments"
        refused = self.api("POST", path, self.secret, data, key="outside-1")
        self.assertEqual(refused.status_code, 409)
        self.assertIn("falls outside it", refused.json()["message"])
        self.assertFalse(Appointment.objects.filter(starts_at__date=before).exists())
        data["allow_outside_episode"] = True
        booked = self.api("POST", path, self.secret, data, key="outside-2")
        self.assertEqual(booked.status_code, 201, booked.json())
        self.assertTrue(Appointment.objects.filter(starts_at__date=before).exists())

    def test_booking_needs_a_time_zone(self) -> None:
        data = {"starts_at": "2030-01-01T10:00:00", "modality": "video"}
        response = self.api(
            "POST", f"/clients/{self.dana.pk}/appointments", self.secret, data, key="naive"
        )
        self.assertEqual(response.status_code, 400)


class MeasureEndpointTests(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice)

    def test_catalogue(self) -> None:
        body = self.api("GET", "/measures", self.secret).json()
        phq9 = next(m for m in body if m["code"] == "phq9")
        self.assertEqual((phq9["loinc_panel"], phq9["loinc_total"]), ("44249-1", "44261-6"))
        self.assertEqual(len(phq9["items"]), 10)

    def test_administrations_issue_link_and_answers(self) -> None:
        body = self.api(
            "GET", f"/clients/{self.dana.pk}/administrations", self.secret, {"status": "pending"}
        ).json()
        self.assertEqual([a["id"] for a in body["items"]], [self.pending.pk])
        link = self.api(
            "POST", f"/administrations/{self.pending.pk}/link", self.secret, {}, key="link-1"
        )
        self.assertEqual(link.status_code, 201)
        self.assertIn("/q/", link.json()["url"])
        answers = {str(k): 2 for k in range(1, 8)}
        done = self.api(
            "POST",
            f"/administrations/{self.pending.pk}/answers",
            self.secret,
            {"answers": answers},
            key="answers-1",
        )
        self.assertEqual(done.status_code, 200, done.json())
        self.assertEqual((done.json()["status"], done.json()["total"]), ("completed", 14.0))
        stored = Administration.objects.get(pk=self.pending.pk)
        self.assertEqual((stored.total, stored.band), (14.0, "moderate"))

    def test_invalid_answers_are_400_and_store_nothing(self) -> None:
        response = self.api(
            "POST",
            f"/administrations/{self.pending.pk}/answers",
            self.secret,
            {"answers": {"1": 9, "zz": 1}},
            key="answers-bad",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()["fields"]), {"1", "zz"})
        self.assertEqual(Administration.objects.get(pk=self.pending.pk).status, "pending")

    def test_scores_with_bands_and_reliable_change(self) -> None:
        body = self.api("GET", f"/clients/{self.dana.pk}/scores", self.secret).json()
        first, second = body["items"]
        self.assertEqual(
            (first["total"], first["band"], first["reliable_change"]), (24, "severe", None)
        )
        self.assertEqual(second["baseline_id"], self.first.pk)
        self.assertEqual((second["total"], second["change_from_baseline"]), (8, -16))
        self.assertEqual(second["reliable_change"], "improved")

    def test_alerts_and_acknowledge(self) -> None:
        body = self.api("GET", "/alerts", self.secret, {"status": "open"}).json()
        self.assertEqual([a["id"] for a in body["items"]], [self.alert.pk])
        done = self.api(
            "POST", f"/alerts/{self.alert.pk}/acknowledge", self.secret, {}, key="ack-1"
        )
        self.assertEqual(done.json()["status"], "acknowledged")
        again = self.api(
            "POST", f"/alerts/{self.alert.pk}/acknowledge", self.secret, {}, key="ack-2"
        )
        self.assertEqual(again.status_code, 409)

    def test_checkins(self) -> None:
        body = self.api("GET", f"/clients/{self.dana.pk}/checkins", self.secret).json()
        self.assertEqual([(c["id"], c["mood"]) for c in body["items"]], [(self.checkin.pk, 6)])
        self.assertNotIn("note", body["items"][0])


class RepeatedPostTests(ApiTestCase):
    """Every POST of the API, sent twice with the same Idempotency-Key (a client that lost the
    first answer and retried): the same status and body, and nothing done twice."""

    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice)

    def twice(self, path: str, data: Any, key: str) -> Any:
        """POST twice with one key; the repeat changes nothing but its own request row."""
        first = self.api("POST", path, self.secret, data, key=key)
        self.assertLess(first.status_code, 300, first.json())
        actions = self.actions()
        again = self.api("POST", path, self.secret, data, key=key)
        self.assertEqual((again.status_code, again.json()), (first.status_code, first.json()))
        self.assertEqual(self.actions(), [*actions, "api.request"])
        return first.json()

    def actions(self) -> list[str]:
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))

    def test_every_post_repeats_its_first_answer(self) -> None:
        starts = (timezone.now() + timedelta(days=12)).replace(microsecond=0)
        booking = {"starts_at": starts.isoformat(), "duration_minutes": 50, "modality": "video"}
        appointments = Appointment.objects.count()
        booked = self.twice(f"/clients/{self.dana.pk}/appointments", booking, "r-book")
        self.assertEqual(Appointment.objects.count(), appointments + 1)

        cancelled = self.twice(
            f"/appointments/{booked['id']}/cancel", {"cancelled_by": "client"}, "r-cancel"
        )
        self.assertEqual(cancelled["status"], "cancelled")

        link = self.twice(f"/administrations/{self.pending.pk}/link", {}, "r-link")
        self.assertIn("/q/", link["url"])

        answers = {"answers": {str(k): 1 for k in range(1, 8)}}
        done = self.twice(f"/administrations/{self.pending.pk}/answers", answers, "r-answers")
        self.assertEqual((done["status"], done["total"]), ("completed", 7.0))

        ack = self.twice(f"/alerts/{self.alert.pk}/acknowledge", {}, "r-ack")
        self.assertEqual(ack["status"], "acknowledged")

        created = self.twice("/clients", {"first_name": "Ivo", "last_name": "Irwin"}, "r-client")
        self.assertEqual(Client.objects.filter(pk=created["id"]).count(), 1)

    def test_the_test_above_covers_every_post_route(self) -> None:
        schema = self.client.get("/api/v1/openapi.json").json()
        posts = sorted(path for path, ops in schema["paths"].items() if "post" in ops)
        self.assertEqual(
            posts,
            [
                "/api/v1/administrations/{administration_id}/answers",
                "/api/v1/administrations/{administration_id}/link",
                "/api/v1/alerts/{alert_id}/acknowledge",
                "/api/v1/appointments/{appointment_id}/cancel",
                "/api/v1/clients",
                "/api/v1/clients/{client_id}/appointments",
            ],
        )


class PlanEndpointTests(ApiTestCase):
    def test_plans_and_goals(self) -> None:
        secret = make_token(self.alice)
        body = self.api("GET", f"/episodes/{self.episode.pk}/plans", secret).json()
        self.assertEqual([p["id"] for p in body["items"]], [self.plan.pk])
        plan = self.api("GET", f"/plans/{self.plan.pk}", secret).json()
        self.assertEqual([g["id"] for g in plan["goals"]], [self.goal.pk])
        self.assertEqual(plan["goals"][0]["instrument"], "phq9")


class OutsiderTests(ApiTestCase):
    """Charlie (another practice) and Bob (Alice's colleague) get 404 for each of Alice's ids,
    whatever the method; nothing changes."""

    def test_every_id_route_is_404_for_outsiders(self) -> None:
        routes: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", f"/clients/{self.dana.pk}", None),
            ("PATCH", f"/clients/{self.dana.pk}", {"pronouns": "x"}),
            ("GET", f"/clients/{self.dana.pk}/episodes", None),
            ("GET", f"/episodes/{self.episode.pk}", None),
            ("GET", f"/appointments/{self.upcoming.pk}", None),
            (
                "POST",
                f"/clients/{self.dana.pk}/appointments",
                {"starts_at": "2031-01-01T10:00:00Z"},
            ),
            ("POST", f"/appointments/{self.upcoming.pk}/cancel", {"cancelled_by": "client"}),
            ("GET", f"/clients/{self.dana.pk}/administrations", None),
            ("POST", f"/administrations/{self.pending.pk}/link", {}),
            ("POST", f"/administrations/{self.pending.pk}/answers", {"answers": {}}),
            ("POST", f"/alerts/{self.alert.pk}/acknowledge", {}),
            ("GET", f"/clients/{self.dana.pk}/checkins", None),
            ("GET", f"/clients/{self.dana.pk}/scores", None),
            ("GET", f"/episodes/{self.episode.pk}/plans", None),
            ("GET", f"/plans/{self.plan.pk}", None),
        ]
        for outsider in (self.charlie, self.bob, self.olivia):
            secret = make_token(outsider)
            for i, (method, path, data) in enumerate(routes):
                response = self.api(method, path, secret, data, key=f"o-{outsider.pk}-{i}")
                self.assertEqual(response.status_code, 404, f"{outsider} {method} {path}")
                self.assertEqual(response.json()["code"], "not_found")
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.pronouns, "")

    def test_lists_show_no_foreign_rows(self) -> None:
        secret = make_token(self.charlie)
        for path in ("/clients", "/appointments", "/alerts"):
            body = self.api("GET", path, secret).json()
            ids = {row.get("client_id", row.get("id")) for row in body["items"]}
            self.assertNotIn(self.dana.pk, ids, path)
        alerts = self.api("GET", "/alerts", secret, {"client_id": self.dana.pk}).json()
        self.assertEqual(alerts["items"], [])


class UndeclaredQueryTests(ApiTestCase):
    """A query parameter a route does not declare is a 400 naming it, never ignored: a filter
    the API does not have would otherwise answer with every row."""

    def setUp(self) -> None:
        super().setUp()
        self.secret = make_token(self.alice)

    def ids(self) -> dict[str, int]:
        return {
            "client_id": self.dana.pk,
            "episode_id": self.episode.pk,
            "appointment_id": self.upcoming.pk,
            "administration_id": self.pending.pk,
            "alert_id": self.alert.pk,
            "plan_id": self.plan.pk,
        }

    def declared(self) -> dict[str, set[str]]:
        """Every GET route of the OpenAPI description (path filled in) and its query names."""
        schema = self.client.get("/api/v1/openapi.json").json()
        routes = {}
        for template, ops in schema["paths"].items():
            if "get" not in ops:
                continue
            path = template.removeprefix("/api/v1").format(**self.ids())
            params = ops["get"].get("parameters", [])
            routes[path] = {p["name"] for p in params if p["in"] == "query"}
        return routes

    def assert_refused(self, response: Any, name: str, allowed: set[str]) -> None:
        self.assertEqual(response.status_code, 400, response.content)
        body = response.json()
        self.assertEqual((body["code"], body["message"]), ("invalid", "Unknown query parameter."))
        self.assertEqual(list(body["fields"]), [name])
        for known in allowed:
            self.assertIn(known, body["fields"][name])
        self.assertNotIn("items", body)

    def test_every_get_route_refuses_an_undeclared_parameter(self) -> None:
        routes = self.declared()
        self.assertEqual(len(routes), 13)
        for path, allowed in routes.items():
            self.assertEqual(self.api("GET", path, self.secret).status_code, 200, path)
            before = AuditEvent.objects.exclude(action="api.request").count()
            response = self.api("GET", path, self.secret, {"no_such_filter": "1"})
            self.assert_refused(response, "no_such_filter", allowed)
            self.assertEqual(AuditEvent.objects.exclude(action="api.request").count(), before)
            # What the route declares still works beside it.
            if "limit" in allowed:
                with_known = self.api("GET", path, self.secret, {"limit": "5", "zzz": "1"})
                self.assertEqual(list(with_known.json()["fields"]), ["zzz"], path)

    def test_the_filters_people_guess_are_refused(self) -> None:
        for path, query in (
            ("/clients", {"first_name": "Dana"}),
            ("/appointments", {"client": str(self.dana.pk)}),
            ("/alerts", {"severity": "high"}),
        ):
            response = self.api("GET", path, self.secret, query)
            self.assert_refused(response, next(iter(query)), {"cursor", "limit", "sort"})
        response = self.api("GET", "/measures", self.secret, {"code": "phq9"})
        self.assertIn("takes no query parameters", response.json()["fields"]["code"])

    def test_a_refused_post_writes_nothing(self) -> None:
        clients, keys = Client.objects.count(), IdempotentRequest.objects.count()
        quinn = {"first_name": "Quinn", "last_name": "Quarry"}
        response = self.api("POST", "/clients?dry_run=1", self.secret, quinn, "q1")
        self.assert_refused(response, "dry_run", set())
        self.assertEqual(Client.objects.count(), clients)
        self.assertEqual(IdempotentRequest.objects.count(), keys)
        # The same key without the stray parameter does the work.
        again = self.api("POST", "/clients", self.secret, quinn, "q1")
        self.assertEqual(again.status_code, 201)

    def test_a_refusal_is_audited_like_any_request_without_the_value(self) -> None:
        before = AuditEvent.objects.filter(action="api.request").count()
        self.api("GET", "/clients", self.secret, {"first_name": "Dana"})
        rows = AuditEvent.objects.filter(action="api.request")
        self.assertEqual(rows.count(), before + 1)
        self.assertNotIn("Dana", str(rows.latest("pk").detail))

    def test_without_a_token_it_is_still_401(self) -> None:
        response = self.client.get("/api/v1/clients", {"first_name": "Dana"})
        self.assertEqual(response.status_code, 401)
