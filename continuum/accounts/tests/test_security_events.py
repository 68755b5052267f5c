"""Finding 3 of issue 18 (SECURITY.md promise 26): security events write one audit row each.

Wrong second-factor codes and the lockout they cause, password change, password reset request
and completion, recovery-code regeneration, and refused access (a 404 on an id-bearing route;
sampled: the first refusal of each person in each clock minute). Email changes are in
test_email_change.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from continuum.accounts.refusals import write_refusals
from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, TOTP_SECRET, BaseTestCase, make_portal_user

AUTHENTICATE = "/accounts/2fa/authenticate/"
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


class SecurityEventTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()

    def _wrong(self) -> str:
        return f"{(int(pyotp.TOTP(TOTP_SECRET).now()) + 1) % 1_000_000:06d}"

    def test_a_wrong_totp_code_writes_one_row(self) -> None:
        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        self.client.post(AUTHENTICATE, {"code": self._wrong()})
        [row] = rows("mfa.failed")
        self.assertIsNone(row.actor_id)  # not logged in yet
        self.assertEqual(row.detail["user_id"], self.alice.pk)
        self.assertEqual(row.practice_id, self.riverside.pk)

    def test_the_lockout_after_wrong_codes_writes_a_row(self) -> None:
        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        for _ in range(8):
            response = self.client.post(AUTHENTICATE, {"code": self._wrong()})
        self.assertContains(response, "Too many failed")
        self.assertGreaterEqual(len(rows("mfa.locked")), 1)
        self.assertEqual(rows("mfa.locked")[0].detail["user_id"], self.alice.pk)

    def test_a_password_change_writes_one_row(self) -> None:
        dana_portal = make_portal_user(self.dana)
        self.login(dana_portal)
        response = self.client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        self.assertEqual(response.status_code, 302)
        [row] = rows("password.change")
        self.assertEqual(row.actor_id, dana_portal.pk)

    def test_a_password_reset_request_and_completion_write_a_row_each(self) -> None:
        dana_portal = make_portal_user(self.dana)
        self.client.post(reverse("account_reset_password"), {"email": dana_portal.email})
        [request_row] = rows("password.reset_request")
        self.assertEqual(request_row.detail["user_id"], dana_portal.pk)
        # An unknown address: the same answer, and no row naming anyone.
        self.client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
        self.assertEqual(len(rows("password.reset_request")), 1)

        body = str(mail.outbox[0].body)
        match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", body)
        assert match is not None
        response = self.client.get(match.group(1), follow=True)
        form_url = response.redirect_chain[-1][0] if response.redirect_chain else match.group(1)
        response = self.client.post(
            form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        self.assertEqual(response.status_code, 302)
        [done] = rows("password.reset")
        self.assertEqual(done.detail.get("user_id", done.actor_id), dana_portal.pk)

    def test_regenerating_recovery_codes_writes_one_row(self) -> None:
        RecoveryCodes.activate(self.alice)
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):  # allauth signals on commit
            response = self.client.post(reverse("mfa_generate_recovery_codes"))
        self.assertEqual(response.status_code, 302, response.content[:2000])
        [row] = rows("mfa.recovery_codes")
        self.assertEqual(row.actor_id, self.alice.pk)

    def test_refused_access_writes_one_row_per_person_and_minute(self) -> None:
        url = reverse("care:client_detail", kwargs={"client_id": self.dana.pk})
        start = datetime(2026, 10, 1, 9, 0, 5, tzinfo=UTC)
        with time_machine.travel(start, tick=False):
            self.login(self.bob)
            for _ in range(3):
                self.assertEqual(self.client.get(url).status_code, 404)
            self.login(self.charlie)
            self.client.get(url)
            # Nothing is written while the minute runs.
            self.assertEqual(write_refusals(start), "refusals written=0")
        later = start + timedelta(minutes=1)
        self.assertEqual(write_refusals(later), "refusals written=2")
        self.assertEqual(write_refusals(later), "refusals written=0")
        found = {r.actor_id: r.detail for r in rows("access.refused")}
        self.assertEqual(
            found,
            {
                self.bob.pk: {
                    "route": "care:client_detail",
                    "count": 3,
                    "minute": "2026-10-01T09:00:00+00:00",
                },
                self.charlie.pk: {
                    "route": "care:client_detail",
                    "count": 1,
                    "minute": "2026-10-01T09:00:00+00:00",
                },
            },
        )
