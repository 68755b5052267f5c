"""allauth's second-factor forms with the lockout audited (issue 18, SECURITY.md promise 26).

allauth refuses codes after too many wrong ones (its "login_failed" rate limit, per account)
but sends no signal for it; a wrong code itself has one (`signals.audit_mfa_failed`).
"""

from __future__ import annotations

from typing import Any

from allauth.core import context as allauth_context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
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
