"""Passkeys (WebAuthn) as a second factor, issue 18: what needs no browser.

The ceremony itself (enrol, log in with the passkey, remove, recovery code) is driven in
chromium by test_browser_passkeys.py. Here: the settings, the pages under the CSP, removal
behind the confirmation page and only of one's own passkey, and the audit rows.
"""

from __future__ import annotations

import re

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_used
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.audit.presenters import ACTION_WORDS
from continuum.testing.base import PASSWORD, BaseTestCase, make_portal_user
from continuum.testing.passkeys import make_passkey

LIST = "/accounts/2fa/webauthn/"
ADD = "/accounts/2fa/webauthn/add/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


class PasskeySettingsTests(BaseTestCase):
    def test_passkeys_are_offered_beside_totp_and_recovery_codes(self) -> None:
        self.assertEqual(set(mfa_settings.SUPPORTED_TYPES), {"totp", "recovery_codes", "webauthn"})

    def test_a_passkey_replaces_the_code_not_the_password(self) -> None:
        self.assertFalse(mfa_settings.PASSKEY_LOGIN_ENABLED)
        self.assertFalse(mfa_settings.PASSKEY_SIGNUP_ENABLED)
        # No route for a passwordless login exists.
        self.assertEqual(self.client.get("/accounts/2fa/webauthn/login/").status_code, 404)

    def test_no_insecure_origin_is_accepted(self) -> None:
        self.assertFalse(mfa_settings.WEBAUTHN_ALLOW_INSECURE_ORIGIN)


class PasskeyPageTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.login(self.alice)

    def test_the_second_factor_page_offers_passkeys_and_keeps_the_authenticator_app(
        self,
    ) -> None:
        make_passkey(self.alice, "Office laptop")
        response = self.client.get(reverse("mfa_index"))
        self.assertContains(response, "Authenticator app")
        self.assertContains(response, "1 passkey can be used")
        self.assertContains(response, "Office laptop")
        self.assertContains(response, f'href="{LIST}"')
        self.assertContains(response, f'href="{ADD}"')

    def test_the_add_page_asks_for_a_name_and_loads_scripts_from_our_own_origin(self) -> None:
        response = self.client.get(ADD)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="name"')
        self.assertContains(response, "Add passkey")
        html = response.content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html)
        for attributes in scripts:
            src = re.search(r'src="([^"]+)"', attributes)
            if src is not None:
                self.assertTrue(src.group(1).startswith(settings.STATIC_URL), src.group(1))
            else:  # inline: only JSON data blocks, which no browser runs
                self.assertIn('type="application/json"', attributes)
        self.assertIn("mfa/js/webauthn.js", html)
        csp = response.headers["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)

    def test_the_scripts_are_served(self) -> None:
        for path in ("mfa/js/webauthn.js", "mfa/js/webauthn-json.js", "account/js/onload.js"):
            response = self.client.get(settings.STATIC_URL + path)
            self.assertEqual(response.status_code, 200, path)
            b"".join(response.streaming_content)  # type: ignore[attr-defined]

    def test_the_list_names_each_passkey(self) -> None:
        key = make_passkey(self.alice, "Office laptop")
        make_passkey(self.bob, "Bob's key")
        response = self.client.get(LIST)
        self.assertContains(response, "Office laptop")
        self.assertNotContains(response, "Bob&#x27;s key")
        self.assertContains(response, reverse("passkey_remove", kwargs={"pk": key.pk}))

    def test_confirming_it_is_you_offers_the_passkey_to_someone_with_one(self) -> None:
        reauthenticate = reverse("mfa_reauthenticate")
        self.assertNotContains(self.client.get(reauthenticate), "Use a passkey instead")
        make_passkey(self.alice)
        response = self.client.get(reauthenticate)
        self.assertContains(response, "Use a passkey instead")
        self.assertContains(response, reverse("mfa_reauthenticate_webauthn"))

    def test_the_login_step_offers_the_passkey_only_to_someone_with_one(self) -> None:
        self.client.logout()
        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        response = self.client.get(AUTHENTICATE)
        self.assertContains(response, "Enter your authenticator code")
        self.assertNotContains(response, "Use a passkey")

        make_passkey(self.alice)
        response = self.client.get(AUTHENTICATE)
        self.assertContains(response, "Enter your authenticator code")  # TOTP stays
        self.assertContains(response, "Use a passkey")
        self.assertContains(response, 'id="js_data" type="application/json"')
        self.assertNotIn("unsafe-inline", response.headers["Content-Security-Policy"])


class PasskeyRemovalTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.login(self.alice)
        self.key = make_passkey(self.alice)
        self.url = reverse("passkey_remove", kwargs={"pk": self.key.pk})

    def test_removal_asks_first_and_changes_nothing_until_confirmed(self) -> None:
        for response in (self.client.get(self.url), self.client.post(self.url)):
            self.assertContains(response, "Remove this passkey?")
            self.assertContains(response, "Blue key")
            self.assertContains(response, 'name="confirmed" value="yes"')
        self.assertTrue(Authenticator.objects.filter(pk=self.key.pk).exists())
        self.assertEqual(rows("mfa.passkey_removed"), [])

    def test_a_confirmed_removal_deletes_the_key_and_writes_one_row(self) -> None:
        response = self.client.post(self.url, {"confirmed": "yes"})
        self.assertRedirects(response, LIST, fetch_redirect_response=False)
        self.assertFalse(Authenticator.objects.filter(pk=self.key.pk).exists())
        [row] = rows("mfa.passkey_removed")
        self.assertEqual(row.actor_id, self.alice.pk)
        self.assertEqual(row.detail, {"authenticator_id": self.key.pk})
        # The authenticator app stays: staff cannot switch it off.
        self.assertTrue(
            Authenticator.objects.filter(user=self.alice, type=Authenticator.Type.TOTP).exists()
        )

    def test_someone_elses_passkey_or_another_kind_of_authenticator_is_a_404(self) -> None:
        bobs = make_passkey(self.bob)
        totp = Authenticator.objects.get(user=self.alice, type=Authenticator.Type.TOTP)
        for pk in (bobs.pk, totp.pk, 999_999):
            url = reverse("passkey_remove", kwargs={"pk": pk})
            self.assertEqual(self.client.get(url).status_code, 404)
            self.assertEqual(self.client.post(url, {"confirmed": "yes"}).status_code, 404)
        self.assertTrue(Authenticator.objects.filter(pk=bobs.pk).exists())
        self.assertTrue(Authenticator.objects.filter(pk=totp.pk).exists())


class PasskeyAuditTests(BaseTestCase):
    """The rows allauth's signals write (the real flows send them in the browser test)."""

    def setUp(self) -> None:
        self.factory = RequestFactory()

    def test_added_names_the_key_by_id_only(self) -> None:
        key = make_passkey(self.alice, "Office laptop")
        request = self.factory.post(ADD)
        request.user = self.alice
        request.session = SessionStore()
        authenticator_added.send(Authenticator, request=request, user=self.alice, authenticator=key)
        [row] = rows("mfa.passkey_added")
        self.assertEqual(row.actor_id, self.alice.pk)
        self.assertEqual(row.practice_id, self.riverside.pk)
        self.assertEqual(row.detail, {"authenticator_id": key.pk})

    def test_used_at_login_names_the_account_without_an_actor(self) -> None:
        key = make_passkey(self.alice)
        request = self.factory.post(AUTHENTICATE)
        request.user = AnonymousUser()
        request.session = SessionStore()
        authenticator_used.send(
            Authenticator,
            request=request,
            user=self.alice,
            authenticator=key,
            reauthenticated=False,
            passwordless=False,
        )
        [row] = rows("mfa.passkey_used")
        self.assertIsNone(row.actor_id)
        self.assertEqual(row.practice_id, self.riverside.pk)
        self.assertEqual(
            row.detail,
            {
                "user_id": self.alice.pk,
                "authenticator_id": key.pk,
                "reauthentication": False,
                "passwordless": False,
            },
        )

    def test_a_passkey_answer_that_does_not_verify_at_login_writes_mfa_failed(self) -> None:
        cache.clear()
        make_passkey(self.alice)
        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        self.client.get(AUTHENTICATE)  # the page that starts the ceremony
        response = self.client.post(AUTHENTICATE, {"credential": '{"id": "forged"}'})
        self.assertEqual(response.status_code, 200)  # the page again, nobody logged in
        self.assertNotIn("_auth_user_id", self.client.session)
        [row] = rows("mfa.failed")
        self.assertIsNone(row.actor_id)
        self.assertEqual(
            row.detail,
            {"user_id": self.alice.pk, "reauthentication": False, "method": "passkey"},
        )

    def test_malformed_passkey_answers_are_refused_never_a_500(self) -> None:
        make_passkey(self.alice)
        self.client.force_login(self.alice)
        self.client.get(ADD)
        reauthenticate = reverse("mfa_reauthenticate_webauthn")
        self.client.get(reauthenticate)
        for answer in ('{"id": "forged"}', "[]", '{"response": 1}', "null", "not json"):
            response = self.client.post(ADD, {"name": "Mine", "credential": answer})
            self.assertEqual(response.status_code, 200, answer)  # the form again, with the error
            self.assertContains(response, "form-errors")
            response = self.client.post(reauthenticate, {"credential": answer})
            self.assertLess(response.status_code, 500, answer)
        self.assertEqual(Authenticator.objects.filter(user=self.alice, type="webauthn").count(), 1)

    def test_totp_and_recovery_codes_write_no_passkey_rows(self) -> None:
        totp = Authenticator.objects.get(user=self.alice, type=Authenticator.Type.TOTP)
        request = self.factory.post(AUTHENTICATE)
        request.user = self.alice
        request.session = SessionStore()
        for signal in (authenticator_added, authenticator_removed, authenticator_used):
            signal.send(Authenticator, request=request, user=self.alice, authenticator=totp)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="mfa.passkey").exists())

    def test_the_owners_log_has_words_for_each_row(self) -> None:
        for action in ("mfa.passkey_added", "mfa.passkey_removed", "mfa.passkey_used"):
            self.assertIn(action, ACTION_WORDS)


class ClientSecondFactorPagesTests(BaseTestCase):
    """A second factor is for staff: a portal client reaches none of allauth's enrolment
    pages (a passkey or an authenticator app nobody could help them recover would lock them
    out of their portal), while a member still does."""

    PAGES = (
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        LIST,
        ADD,
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/generate/",
    )

    def test_a_portal_client_gets_404_and_nothing_is_enrolled(self) -> None:
        client_user = make_portal_user(self.dana)
        self.client.force_login(client_user)
        for page in self.PAGES:
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, 404)
                self.assertEqual(self.client.post(page, {"name": "Phone"}).status_code, 404)
        self.assertFalse(Authenticator.objects.filter(user=client_user).exists())
        # Their portal still answers.
        self.assertEqual(self.client.get(reverse("portal:home")).status_code, 200)

    def test_a_member_still_reaches_them(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get("/accounts/2fa/").status_code, 200)
        self.assertEqual(self.client.get(LIST).status_code, 200)
