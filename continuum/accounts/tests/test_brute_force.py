"""SECURITY.md promise 9: logins are limited per account and per IP, an unknown email gets the
same answer as a wrong password, and every refused attempt is audited ("login.locked").

The limits are allauth's ACCOUNT_RATE_LIMITS["login_failed"] ("10/m/ip,5/5m/key"): at most 10
failed logins a minute from one address, and 5 per account in 5 minutes from anywhere.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.core.cache import cache
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, BaseTestCase

WRONG = "Wrong-Secret-Passphrase-991"
LOCKED = "Too many failed login attempts. Try again later."
NOT_CORRECT = "The email address and/or password you specified are not correct."


class BruteForceTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # allauth's counters live in the cache
        self.addCleanup(cache.clear)

    def attempt(self, email: str, password: str, ip: str) -> Any:
        self.client.cookies.clear()
        return self.client.post(
            "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip
        )

    def test_an_account_locks_after_five_failures_from_any_addresses(self) -> None:
        for n in range(5):
            response = self.attempt("alice@example.org", WRONG, f"198.51.100.{n + 1}")
            self.assertContains(response, NOT_CORRECT)

        # The right password, from a fresh address: still refused.
        response = self.attempt("alice@example.org", PASSWORD, "198.51.100.99")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, LOCKED)
        self.assertNotIn("account_login", self.client.session)  # no second-factor stage
        # Another account from the same address is not affected.
        response = self.attempt("bob@example.org", PASSWORD, "198.51.100.99")
        self.assertEqual(response.status_code, 302)

        event = AuditEvent.objects.get(action="login.locked")
        self.assertIsNone(event.actor)
        self.assertEqual(event.ip, "198.51.100.99")
        self.assertEqual(event.practice, self.riverside)
        self.assertEqual(event.detail, {"user_id": self.alice.pk})
        row = str(AuditEvent.objects.filter(action="login.locked").values().get())
        for secret in ("alice@example.org", PASSWORD, WRONG):
            self.assertNotIn(secret, row)

    def test_the_account_unlocks_when_the_window_has_passed(self) -> None:
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for n in range(5):
                self.attempt("alice@example.org", WRONG, f"198.51.100.{n + 1}")
            self.assertContains(self.attempt("alice@example.org", PASSWORD, "198.51.100.9"), LOCKED)

            clock.shift(timedelta(minutes=5, seconds=1))

            response = self.attempt("alice@example.org", PASSWORD, "198.51.100.9")
            self.assertEqual(response.status_code, 302)

    def test_an_address_locks_after_ten_failures_across_accounts(self) -> None:
        ip = "203.0.113.7"
        for n in range(10):
            response = self.attempt(f"guess{n}@example.org", WRONG, ip)
            self.assertContains(response, NOT_CORRECT)

        response = self.attempt("bob@example.org", PASSWORD, ip)

        self.assertContains(response, LOCKED)
        # The same account from another address logs in fine.
        self.assertEqual(self.attempt("bob@example.org", PASSWORD, "203.0.113.8").status_code, 302)
        event = AuditEvent.objects.get(action="login.locked")
        self.assertEqual(event.ip, ip)
        self.assertEqual(event.detail, {"user_id": self.bob.pk})

    def test_a_locked_unknown_email_is_audited_with_nothing_identifying(self) -> None:
        ip = "203.0.113.20"
        for n in range(10):
            self.attempt(f"guess{n}@example.org", WRONG, ip)

        self.attempt("nobody@example.org", WRONG, ip)

        event = AuditEvent.objects.get(action="login.locked")
        self.assertIsNone(event.practice)
        self.assertEqual(event.detail, {})
        self.assertNotIn("nobody", str(AuditEvent.objects.filter(pk=event.pk).values().get()))

    def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(self) -> None:
        known = self.attempt("alice@example.org", WRONG, "192.0.2.1")
        unknown = self.attempt("nobody@example.org", WRONG, "192.0.2.2")

        self.assertEqual(known.status_code, unknown.status_code)
        self.assertContains(known, NOT_CORRECT)

        def normalised(response: Any, email: str) -> str:
            body = response.content.decode().replace(email, "EMAIL")
            # The CSRF token differs per request (in the form and in the hx-headers).
            body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
            return re.sub(r'"X-CSRFToken": "[^"]+"', "", body)

        self.assertEqual(
            normalised(known, "alice@example.org"), normalised(unknown, "nobody@example.org")
        )

    def test_locked_answers_are_the_same_for_known_and_unknown_emails(self) -> None:
        for n in range(5):
            self.attempt("alice@example.org", WRONG, f"192.0.2.{n + 10}")
            self.attempt("nobody@example.org", WRONG, f"192.0.2.{n + 10}")

        known = self.attempt("alice@example.org", WRONG, "192.0.2.50")
        unknown = self.attempt("nobody@example.org", WRONG, "192.0.2.51")

        self.assertContains(known, LOCKED)
        self.assertContains(unknown, LOCKED)
        self.assertEqual(known.status_code, unknown.status_code)
