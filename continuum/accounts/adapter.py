from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from continuum.accounts import mfa
from continuum.accounts.http import anonymous_actor
from continuum.accounts.models import Membership, User
from continuum.accounts.session_limits import LOGIN_AT
from continuum.audit.log import record


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Nobody signs up on their own: practices are created by command, members by invitation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """The second-factor pages (enrolment, recovery codes) do not ask for the password
        again within ACCOUNT_REAUTHENTICATION_TIMEOUT of logging in: a member sent to enrol
        right after login typed it moments ago (allauth counts only explicit re-entries)."""
        request = getattr(self, "request", None) or allauth_context.request
        session = getattr(request, "session", None)
        if app == "allauth.mfa" and session is not None:
            login_at = session.get(LOGIN_AT)
            if (
                isinstance(login_at, int)
                and time.time() - login_at < account_settings.REAUTHENTICATION_TIMEOUT
            ):
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's brute-force check (ACCOUNT_RATE_LIMITS["login_failed"]: per IP and per
        account). A refused attempt writes one "login.locked" audit row: never the email or
        the password, only the id of the account the email belongs to, if any."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login = str(credentials.get("email") or "").strip()
            known = (
                User.objects.filter(email__iexact=login)
                .values("pk", "membership__practice_id")
                .first()
                if login
                else None
            )
            if known is None:
                record(anonymous_actor(request), "login.locked")
            else:
                record(
                    anonymous_actor(request),
                    "login.locked",
                    practice=known["membership__practice_id"],
                    user_id=known["pk"],
                )
            raise

    def send_password_reset_mail(self, user: User, email: str, context: dict[str, Any]) -> None:
        """One "password.reset_request" row per reset asked for a known account (an unknown
        address writes nothing and gets the same answer)."""
        request = getattr(self, "request", None) or allauth_context.request
        membership = Membership.objects.filter(user_id=user.pk).values("practice_id").first()
        record(
            anonymous_actor(request),
            "password.reset_request",
            practice=membership["practice_id"] if membership else None,
            user_id=user.pk,
        )
        super().send_password_reset_mail(user, email, context)


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """Members of a practice cannot switch their second factor off (an owner can reset it,
    which makes them enrol again). Their TOTP secrets and recovery-code seeds are stored
    encrypted (continuum/accounts/mfa.py, "Secrets at rest")."""

    def encrypt(self, text: str) -> str:
        return mfa.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa.unseal(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP:
            return not Membership.objects.filter(
                user_id=authenticator.user_id, is_active=True
            ).exists()
        return True
