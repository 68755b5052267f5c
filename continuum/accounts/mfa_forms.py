"""allauth's second-factor forms with the lockout audited (issue 18, SECURITY.md promise 26).

allauth refuses codes after too many wrong ones (its "login_failed" rate limit, per account)
but sends no signal for it; a wrong code itself has one (`signals.audit_mfa_failed`). A passkey
answer that does not verify sends none either: `AuditedAuthenticateWebAuthnForm` writes its
"mfa.failed" row (with method "passkey") and the lockout's, and refuses a malformed answer
instead of letting fido2's KeyError become a 500 (as `CheckedAddWebAuthnForm` does on adding).
"""

from __future__ import annotations

from typing import Any

from allauth.core import context as allauth_context
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.forms import AddWebAuthnForm, AuthenticateWebAuthnForm
from django.core.exceptions import ValidationError

from continuum.accounts.http import anonymous_actor
from continuum.accounts.signals import practice_id_of
from continuum.audit.log import record

LOCKED = "too_many_login_attempts"


def _audit_lockout(user: Any, reauthentication: bool) -> None:
    record(
        anonymous_actor(allauth_context.request),
        "mfa.locked",
        practice=practice_id_of(user),
        user_id=user.pk,
        reauthentication=reauthentication,
    )


class AuditedAuthenticateForm(AuthenticateForm):  # type: ignore[misc]
    def clean_code(self) -> str:
        try:
            return str(super().clean_code())
        except ValidationError as exc:
            if exc.code == LOCKED:
                _audit_lockout(self.user, False)
            raise


class AuditedReauthenticateForm(ReauthenticateForm):  # type: ignore[misc]
    def clean_code(self) -> str:
        try:
            return str(super().clean_code())
        except ValidationError as exc:
            if exc.code == LOCKED:
                _audit_lockout(self.user, True)
            raise


# fido2 reads a posted WebAuthn answer with KeyError or AttributeError on a missing or
# malformed member, which allauth does not catch (a 500 on bad input); here such an answer is
# what it is: one that does not verify.
MALFORMED = (KeyError, AttributeError, TypeError, ValueError, IndexError)


def _does_not_verify() -> ValidationError:
    return ValidationError(get_adapter().error_messages["incorrect_code"], code="incorrect_code")


class AuditedAuthenticateWebAuthnForm(AuthenticateWebAuthnForm):  # type: ignore[misc]
    """The passkey at login: a malformed answer is refused as one that does not verify, and
    each refusal is audited like a wrong code."""

    def clean_credential(self) -> Authenticator:
        try:
            try:
                authenticator: Authenticator = super().clean_credential()
            except MALFORMED as exc:
                raise _does_not_verify() from exc
        except ValidationError as exc:
            if exc.code == LOCKED:
                _audit_lockout(self.user, self.reauthenticated)
            else:
                record(
                    anonymous_actor(allauth_context.request),
                    "mfa.failed",
                    practice=practice_id_of(self.user),
                    user_id=self.user.pk,
                    reauthentication=self.reauthenticated,
                    method="passkey",
                )
            raise
        return authenticator


class AuditedReauthenticateWebAuthnForm(AuditedAuthenticateWebAuthnForm):
    """Confirming it is you with a passkey (allauth's ReauthenticateWebAuthnForm)."""

    reauthenticated = True
    passwordless = False


class CheckedAddWebAuthnForm(AddWebAuthnForm):  # type: ignore[misc]
    """Adding a passkey: a malformed answer is a form error, not a 500."""

    def clean(self) -> dict[str, Any]:
        try:
            return dict(super().clean())
        except MALFORMED as exc:
            raise _does_not_verify() from exc
