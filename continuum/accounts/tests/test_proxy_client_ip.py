"""Behind a proxy (issue 18, deployment): every request arrives from the proxy's address, so
the login limits per address and the audit log's addresses come from the one header the
operator names in TRUSTED_CLIENT_IP_HEADER (nginx sets and overwrites X-Real-IP:
deploy/nginx/continuum.conf). Without the setting the header is ignored: anyone can send it.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.test import override_settings

from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, BaseTestCase

WRONG = "Wrong-Secret-Passphrase-991"
LOCKED = "Too many failed login attempts. Try again later."
PROXY = "127.0.0.1"


class ProxyClientAddressTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.addCleanup(cache.clear)

    def attempt(self, email: str, password: str, real_ip: str) -> Any:
        self.client.cookies.clear()
        return self.client.post(
            "/accounts/login/",
            {"login": email, "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_REAL_IP=real_ip,
        )

    @override_settings(
        TRUSTED_CLIENT_IP_HEADER="X-Real-IP", ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"
    )
    def test_the_named_header_gives_each_client_its_own_limit_and_audit_address(self) -> None:
        for n in range(10):
            self.attempt(f"guess{n}@example.org", WRONG, "203.0.113.7")
        self.assertContains(self.attempt("bob@example.org", PASSWORD, "203.0.113.7"), LOCKED)

        # Another client behind the same proxy is not locked out with the first.
        response = self.attempt("bob@example.org", PASSWORD, "198.51.100.20")
        self.assertEqual(response.status_code, 302)
        failed = AuditEvent.objects.filter(action__startswith="login.")
        self.assertEqual(set(failed.values_list("ip", flat=True)), {"203.0.113.7"})

    @override_settings(
        TRUSTED_CLIENT_IP_HEADER="X-Real-IP", ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"
    )
    def test_a_malformed_header_is_refused(self) -> None:
        # allauth cannot tell whose limit applies: it refuses the login (nginx always sets it).
        response = self.attempt("nobody@example.org", WRONG, "203.0.113.7, 10.0.0.1")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(AuditEvent.objects.exists())

    def test_without_the_setting_the_header_is_not_believed(self) -> None:
        self.attempt("nobody@example.org", WRONG, "203.0.113.7")
        self.assertEqual(list(AuditEvent.objects.values_list("ip", flat=True)), [PROXY])
