"""Login auditing through the auth signals.

The house rule is "no signals for business flows: call the service". Logins are the accepted
exception: allauth and Django own the login and logout flows, and their signals are the
documented place to hook in.

- Successful logins use allauth's `user_logged_in`, sent once a login through allauth has
  completed all its stages (not Django's, which the test client's `force_login` sends too).
- Failed logins use Django's `user_login_failed`, sent by `authenticate()` (also for an
  inactive member with the right password). Its credentials never reach the audit row: only
  the id of the user the email belongs to, if any.
- Logouts use Django's `user_logged_out`, which allauth's logout sends.
- Security events (issue 18, SECURITY.md promise 26) use allauth's signals: a wrong
  second-factor code (`authentication_failed`), a password change (`password_changed`) and a
  completed reset (`password_reset`), regenerated recovery codes (`authenticator_reset`).
  Passkeys (WebAuthn) added, removed and used use `authenticator_added`/`_removed`/`_used`
  (`audit_passkey_*`): the rows name the authenticator by id, never its name (free text).
  The lockout and the reset request have no signal: `continuum.accounts.forms` and
  `adapter.AccountAdapter` write theirs; refused access is `middleware.RefusalAuditMiddleware`.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
    authenticator_used,
)
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.db.models.signals import post_delete
from django.http import HttpRequest

from continuum.accounts.http import anonymous_actor, web_actor
from continuum.accounts.models import User
from continuum.audit.log import record


def audit_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(web_actor(request, user), "login")


def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    login = credentials.get("email") or credentials.get("username") or ""
    known = (
        User.objects.filter(email__iexact=str(login).strip())
        .values("pk", "membership__practice_id")
        .first()
        if login
        else None
    )
    if known is None:
        record(anonymous_actor(request), "login.failed")
    else:
        record(
            anonymous_actor(request),
            "login.failed",
            practice=known["membership__practice_id"],
            user_id=known["pk"],
        )


def audit_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record(web_actor(request, user), "logout")


def practice_id_of(user: User) -> int | None:
    membership = getattr(user, "membership", None)
    return membership.practice_id if membership is not None else None


def audit_mfa_failed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A wrong second-factor code (at login nobody is logged in yet: the row names the
    account by id, as a failed login does)."""
    record(
        anonymous_actor(request),
        "mfa.failed",
        practice=practice_id_of(user),
        user_id=user.pk,
        reauthentication=bool(kwargs.get("reauthentication")),
    )


def audit_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(web_actor(request, user), "password.change", user)


def audit_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(web_actor(request, user), "password.reset", user, user_id=user.pk)


def audit_recovery_codes(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(web_actor(request, user), "mfa.recovery_codes", user)


# allauth sends `authenticator_removed` after the row is deleted, when Django has cleared the
# instance's pk; the id the audit row names is kept on the instance just before that.
DELETED_PK = "_continuum_deleted_pk"


def remember_deleted_pk(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    setattr(instance, DELETED_PK, instance.pk)


def _passkey_id(passkey: Authenticator) -> int | None:
    return passkey.pk if passkey.pk is not None else getattr(passkey, DELETED_PK, None)


def _passkey(kwargs: dict[str, Any]) -> Authenticator | None:
    authenticator = kwargs.get("authenticator")
    if isinstance(authenticator, Authenticator) and (
        authenticator.type == Authenticator.Type.WEBAUTHN
    ):
        return authenticator
    return None


def audit_passkey_added(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if (passkey := _passkey(kwargs)) is not None:
        record(web_actor(request, user), "mfa.passkey_added", user, authenticator_id=passkey.pk)


def audit_passkey_removed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if (passkey := _passkey(kwargs)) is not None:
        record(
            web_actor(request, user),
            "mfa.passkey_removed",
            user,
            authenticator_id=_passkey_id(passkey),
        )


def audit_passkey_used(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A passkey accepted as the second factor at login (nobody is logged in yet: the row
    names the account by id, as `mfa.failed` does) or to confirm it is you again."""
    if (passkey := _passkey(kwargs)) is None:
        return
    reauthentication = bool(kwargs.get("reauthenticated"))
    actor = web_actor(request, user) if reauthentication else anonymous_actor(request)
    record(
        actor,
        "mfa.passkey_used",
        practice=practice_id_of(user),
        user_id=user.pk,
        authenticator_id=passkey.pk,
        reauthentication=reauthentication,
        passwordless=bool(kwargs.get("passwordless")),
    )


def connect() -> None:
    post_delete.connect(
        remember_deleted_pk, sender=Authenticator, dispatch_uid="continuum.authenticator_pk"
    )
    authenticator_added.connect(audit_passkey_added, dispatch_uid="continuum.audit_pk_added")
    authenticator_removed.connect(audit_passkey_removed, dispatch_uid="continuum.audit_pk_removed")
    authenticator_used.connect(audit_passkey_used, dispatch_uid="continuum.audit_pk_used")
    authentication_failed.connect(audit_mfa_failed, dispatch_uid="continuum.audit_mfa_failed")
    password_changed.connect(audit_password_changed, dispatch_uid="continuum.audit_pw_change")
    password_reset.connect(audit_password_reset, dispatch_uid="continuum.audit_pw_reset")
    authenticator_reset.connect(audit_recovery_codes, dispatch_uid="continuum.audit_codes")
    user_logged_in.connect(audit_login, dispatch_uid="continuum.audit_login")
    user_login_failed.connect(audit_login_failed, dispatch_uid="continuum.audit_login_failed")
    user_logged_out.connect(audit_logout, dispatch_uid="continuum.audit_logout")
