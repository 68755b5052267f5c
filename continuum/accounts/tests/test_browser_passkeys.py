"""Passkeys (issue 18) in chromium, with a virtual authenticator from the DevTools protocol.

A therapist enrols a passkey, logs out, logs in with the password and the passkey as the
second factor, sees the day, removes the key (after the confirmation page), and logs in again
with a recovery code. The pages run under the real CSP: any blocked script or console error
fails the test (`page_problems`).
"""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from continuum.accounts.models import Practice
from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "alice@example.org"


def add_virtual_authenticator(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url


def password_step(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/2fa/authenticate/" in page.url


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="mfa.passkey").values_list("action", flat=True)
    )


def test_a_therapist_enrols_a_passkey_logs_in_with_it_and_removes_it(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside")
    alice = make_staff(practice, EMAIL, "Alice Adams")
    base = live_server.url
    login(page, base, EMAIL, PASSWORD)
    assert page.url.endswith("/day/")
    add_virtual_authenticator(page)

    # Enrol: name the key, the browser's (virtual) authenticator makes the credential.
    page.goto(f"{base}/accounts/2fa/")
    page.get_by_role("link", name="Add a passkey").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Office laptop")
    page.get_by_role("button", name="Add passkey").click()
    # The page's script posts the credential, then the server sends the browser on: wait for
    # that (a quiet network can come between the ceremony and the post: CI saw it once).
    page.wait_for_url(lambda url: not url.endswith("/webauthn/add/"))
    [passkey] = Authenticator.objects.filter(user=alice, type=Authenticator.Type.WEBAUTHN)
    assert str(passkey) == "Office laptop"
    page.goto(f"{base}/accounts/2fa/webauthn/")
    assert page.get_by_role("cell", name="Office laptop", exact=True).is_visible()
    assert_accessible(page)
    assert actions() == ["mfa.passkey_added"]

    # Log in: password, then the passkey instead of the code.
    log_out(page)
    password_step(page, base)
    assert page.get_by_role("heading", name="Or use a passkey").is_visible()
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url("**/day/")
    assert page.get_by_role("link", name="Caseload").is_visible()
    assert actions() == ["mfa.passkey_added", "mfa.passkey_used"]
    used = AuditEvent.objects.get(action="mfa.passkey_used")
    assert used.detail["user_id"] == alice.pk
    assert used.detail["authenticator_id"] == passkey.pk
    assert "Office laptop" not in str(used.detail)

    # Remove: the button asks first; cancelling would change nothing.
    page.goto(f"{base}/accounts/2fa/webauthn/")
    page.get_by_role("button", name="Remove Office laptop").click()
    assert page.get_by_role("heading", name="Remove this passkey?").is_visible()
    assert Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).count() == 1
    page.get_by_role("button", name="Remove passkey").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("No passkeys yet.").is_visible()
    assert not Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).exists()
    assert actions() == ["mfa.passkey_added", "mfa.passkey_used", "mfa.passkey_removed"]
    for action in ("mfa.passkey_added", "mfa.passkey_removed"):
        row = AuditEvent.objects.get(action=action)
        assert (row.actor_id, row.detail) == (alice.pk, {"authenticator_id": passkey.pk})
    # The authenticator app is still there (staff cannot switch it off).
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()

    # Without a passkey the login page offers none; a recovery code still logs in.
    log_out(page)
    password_step(page, base)
    assert page.get_by_role("button", name="Use a passkey").count() == 0
    codes = RecoveryCodes(Authenticator.objects.get(user=alice, type="recovery_codes"))
    page.locator("#id_code").fill(codes.get_unused_codes()[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/day/")
    page_problems.assert_none()
