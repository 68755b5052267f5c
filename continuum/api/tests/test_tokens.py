"""Personal access tokens (SECURITY.md promise 23): the page behind a fresh second factor,
shown once, stored as a hash, scoped, expiring, revocable, stopped by deactivation, rate
limited, and every use audited with channel "api"."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pyotp
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.services import deactivate_member
from continuum.api.models import ApiToken
from continuum.api.tests.world import ApiTestCase, make_token
from continuum.audit.models import AuditEvent
from continuum.testing.base import TOTP_SECRET, make_portal_user

TOKENS = "/me/api-tokens/"


class TokenPageTests(ApiTestCase):
    def test_it_asks_for_a_fresh_second_factor_first(self) -> None:
        self.login(self.alice)  # a session with no second-factor record
        response = self.client.get(TOKENS)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("mfa_reauthenticate")))
        response = self.client.post(TOKENS, {"name": "x", "scopes": ["clients:read"], "days": 5})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ApiToken.objects.exists())

    def test_after_the_code_the_token_is_shown_once_and_stored_as_a_hash(self) -> None:
        cache.clear()
        self.password_login("alice@example.org")
        # The login's own second factor counts as fresh; five minutes later it does not.
        self.assertEqual(self.client.get(TOKENS).status_code, 200)
        later = timezone.now() + timedelta(minutes=6)
        with time_machine.travel(later, tick=False):
            response = self.client.get(TOKENS)
            self.assertTrue(response["Location"].startswith(reverse("mfa_reauthenticate")))
            cache.clear()  # the login's code may not be used twice
            code = pyotp.TOTP(TOTP_SECRET).at(later)
            response = self.client.post(
                reverse("mfa_reauthenticate") + f"?next={TOKENS}", {"code": code}
            )
            self.assertEqual(response["Location"], TOKENS)
            page = self.client.get(TOKENS)
            form = page.context["form"]
            response = self.client.post(
                TOKENS,
                {
                    "name": "Billing export",
                    "scopes": ["clients:read", "appointments:write"],
                    "days": 30,
                    "submission_key": form.initial["submission_key"],
                },
            )
        secret = response.context["created"].secret
        self.assertContains(response, secret)
        token = ApiToken.objects.get()
        self.assertEqual(token.token_hash, hashlib.sha256(secret.encode()).hexdigest())
        self.assertNotIn(secret, str(ApiToken.objects.values().get()))
        self.assertEqual(token.scopes, ["appointments:write", "clients:read"])
        self.assertTrue(secret.startswith(token.prefix))
        # The list shows its prefix, never the secret again.
        with time_machine.travel(later, tick=False):
            again = self.client.get(TOKENS)
        self.assertContains(again, token.prefix)
        self.assertNotContains(again, secret)
        self.assertEqual(again["Cache-Control"].count("no-store"), 1)

    def test_expiry_is_at_most_a_year(self) -> None:
        self._fresh_login(self.alice)
        response = self.client.post(TOKENS, {"name": "x", "scopes": ["clients:read"], "days": 400})
        self.assertEqual(response.status_code, 200)
        self.assertIn("days", response.context["form"].errors)
        self.assertFalse(ApiToken.objects.exists())

    def test_revoke(self) -> None:
        secret = make_token(self.alice)
        token = ApiToken.objects.get()
        self.login(self.alice)
        response = self.client.post(reverse("api:token_revoke", args=[token.pk]))
        self.assertEqual(response.status_code, 302)
        token.refresh_from_db()
        self.assertIsNotNone(token.revoked_at)
        self.assertEqual(self.api("GET", "/clients", secret).status_code, 401)
        self.assertEqual(AuditEvent.objects.filter(action="api.token_revoke").count(), 1)

    def test_nobody_else_revokes_a_token(self) -> None:
        make_token(self.alice)
        token = ApiToken.objects.get()
        for other in (self.bob, self.charlie, make_portal_user(self.dana)):
            self.login(other)
            response = self.client.post(reverse("api:token_revoke", args=[token.pk]))
            self.assertEqual(response.status_code, 404)
        token.refresh_from_db()
        self.assertIsNone(token.revoked_at)

    def test_portal_clients_have_no_token_page(self) -> None:
        portal = make_portal_user(self.dana)
        self._fresh_login(portal)
        self.assertEqual(self.client.get(TOKENS).status_code, 404)

    def _fresh_login(self, user: object) -> None:
        import time

        self.client.force_login(user)  # type: ignore[arg-type]
        session = self.client.session
        session["account_authentication_methods"] = [
            {"method": "mfa", "at": time.time(), "type": "totp", "reauthenticated": True}
        ]
        session["account_authentication_methods_user"] = str(user.pk)  # type: ignore[attr-defined]
        session.save()


class TokenUseTests(ApiTestCase):
    def test_no_or_unknown_token_is_401(self) -> None:
        self.assertEqual(self.client.get("/api/v1/clients").status_code, 401)
        response = self.api("GET", "/clients", "ctm_not-a-real-token")
        self.assertEqual((response.status_code, response.json()["code"]), (401, "unauthorized"))

    def test_a_session_login_is_not_enough(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get("/api/v1/clients").status_code, 401)

    def test_scopes(self) -> None:
        secret = make_token(self.alice, ["clients:read"])
        self.assertEqual(self.api("GET", "/clients", secret).status_code, 200)
        refused = self.api("PATCH", f"/clients/{self.dana.pk}", secret, {"pronouns": "x"})
        self.assertEqual((refused.status_code, refused.json()["code"]), (403, "scope"))
        self.assertEqual(self.api("GET", "/appointments", secret).status_code, 403)
        self.assertEqual(
            self.api("GET", f"/clients/{self.dana.pk}/scores", secret).status_code, 403
        )
        writer = make_token(self.alice, ["clients:write"])
        self.assertEqual(self.api("GET", "/clients", writer).status_code, 200)

    def test_expired_tokens_stop(self) -> None:
        secret = make_token(self.alice, days=1)
        with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
            self.assertEqual(self.api("GET", "/clients", secret).status_code, 401)

    def test_a_deactivated_members_tokens_stop_at_once(self) -> None:
        secret = make_token(self.alice)
        self.assertEqual(self.api("GET", "/clients", secret).status_code, 200)
        deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        self.assertEqual(self.api("GET", "/clients", secret).status_code, 401)

    def test_portal_clients_cannot_hold_tokens(self) -> None:
        from continuum.api import tokens

        portal = make_portal_user(self.dana)
        with self.assertRaises(tokens.TokenError):
            tokens.create_token(actor_for(portal), name="x", scopes=["clients:read"], days=1)
        # A token row made for a client anyway (not through the service) does not work.
        secret = "ctm_forged-client-token"
        ApiToken.objects.create(
            user=portal,
            name="x",
            prefix="ctm_fo",
            token_hash=tokens.digest(secret),
            scopes=["clients:read"],
            expires_at=timezone.now() + timedelta(days=1),
        )
        self.assertEqual(self.api("GET", "/clients", secret).status_code, 401)

    @override_settings(API_RATE_LIMIT_PER_MINUTE=5)
    def test_rate_limit_per_token(self) -> None:
        secret = make_token(self.alice)
        other = make_token(self.alice)
        statuses = [self.api("GET", "/clients", secret).status_code for _ in range(7)]
        self.assertEqual(statuses, [200] * 5 + [429] * 2)
        self.assertEqual(self.api("GET", "/clients", other).status_code, 200)
        with time_machine.travel(timezone.now() + timedelta(minutes=1)):
            self.assertEqual(self.api("GET", "/clients", secret).status_code, 200)

    def test_every_request_writes_one_structural_audit_row(self) -> None:
        secret = make_token(self.alice, ["clients:read"])
        token = ApiToken.objects.get()
        before = AuditEvent.objects.count()
        self.api("GET", f"/clients/{self.dana.pk}", secret)
        self.api("GET", "/appointments", secret)
        rows = list(AuditEvent.objects.order_by("pk")[before:])
        self.assertEqual([r.action for r in rows], ["api.request", "api.request"])
        read, refused = rows
        self.assertEqual((read.actor_id, read.object_id), (self.alice.pk, str(token.pk)))
        self.assertEqual(
            read.detail,
            {
                "route": "client",
                "channel": "api",
                "method": "GET",
                "ids": {"client_id": self.dana.pk},
                "scope": "clients:read",
                "outcome": "ok",
            },
        )
        self.assertEqual(refused.detail["outcome"], "scope_refused")
        self.assertNotIn("Dana", str(read.detail) + str(refused.detail))
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)

    def test_writes_are_audited_with_channel_api(self) -> None:
        from unittest import mock

        from continuum.audit.log import record

        secret = make_token(self.alice)
        # The real record() runs; the wrapper only notes which actor the service passed.
        with mock.patch("continuum.care.services.clients.record", wraps=record) as spy:
            self.api("PATCH", f"/clients/{self.dana.pk}", secret, {"pronouns": "they"})
        (call,) = spy.call_args_list
        self.assertEqual((call.args[0].channel, call.args[1]), ("api", "client.update"))
        self.assertEqual(AuditEvent.objects.get(action="client.update").actor_id, self.alice.pk)
