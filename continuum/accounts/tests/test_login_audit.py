from __future__ import annotations

from django.core.cache import cache

from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, BaseTestCase

WRONG_PASSWORD = "Wrong-Secret-Passphrase-991"


class LoginAuditTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # allauth's login rate limits live in the cache

    def log_in(self, email: str, password: str) -> None:
        self.password_login(email, password)  # with the second factor when asked

    def test_a_successful_login_is_audited(self) -> None:
        self.log_in("Alice@Example.org", PASSWORD)

        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "login")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.practice, self.riverside)
        self.assertEqual(event.ip, "127.0.0.1")
        self.assertEqual(event.detail, {})

    def test_a_wrong_password_is_audited_without_the_password(self) -> None:
        self.log_in("alice@example.org", WRONG_PASSWORD)

        self.assertNotIn("_auth_user_id", self.client.session)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "login.failed")
        self.assertIsNone(event.actor)
        self.assertEqual(event.detail, {"user_id": self.alice.pk})
        # The practice's owner sees failed logins against their members.
        self.assertEqual(event.practice, self.riverside)
        row = str(AuditEvent.objects.values().get())
        for secret in (WRONG_PASSWORD, PASSWORD, "alice@example.org"):
            self.assertNotIn(secret, row)

    def test_an_unknown_email_is_audited_with_nothing_identifying(self) -> None:
        self.log_in("nobody@example.org", WRONG_PASSWORD)

        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "login.failed")
        self.assertIsNone(event.actor)
        self.assertIsNone(event.practice)
        self.assertEqual(event.detail, {})
        self.assertNotIn("nobody", str(AuditEvent.objects.values().get()))

    def test_a_logout_is_audited(self) -> None:
        self.log_in("alice@example.org", PASSWORD)

        self.client.post("/accounts/logout/")

        self.assertNotIn("_auth_user_id", self.client.session)
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_id"))
        self.assertEqual(actions, [("login", self.alice.pk), ("logout", self.alice.pk)])

    def test_an_anonymous_logout_writes_nothing(self) -> None:
        self.client.post("/accounts/logout/")
        self.assertFalse(AuditEvent.objects.exists())

    def test_tests_force_login_writes_no_row(self) -> None:
        # Only real logins through allauth are audited, so other tests' row counts hold.
        self.login(self.alice)
        self.assertFalse(AuditEvent.objects.exists())
