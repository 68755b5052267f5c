"""The second factor for staff (SECURITY.md promise 7).

Every member of a practice (an active Membership) must have a TOTP authenticator (allauth.mfa,
with recovery codes) before any page other than the enrolment pages. allauth asks for the code
at login once one is enrolled; `RequireSecondFactorMiddleware` sends a member who has none yet
to the enrolment page, whatever they asked for.

The middleware costs no query: whether the person still has to enrol is decided once, when the
session logs in (Django's `user_logged_in`, which allauth sends only after its MFA stage), and
kept in the session. Until the member has enrolled, each request looks again (one query), so
enrolling in this or another session lifts the redirect at once.

Demo and tests: `enrol_totp(user, secret)` creates the Authenticator row exactly as allauth's
activation does (so the secret is encrypted like any other); `DEMO_TOTP_SECRET` is the fixed
secret of the demo practice's staff (demo data only) and `current_code()` the code an
authenticator app would show now.

Secrets at rest: allauth keeps the TOTP secret (`data["secret"]`) and the recovery codes' seed
(`data["seed"]`; `data["migrated_codes"]` for codes carried over from older allauth versions)
in `Authenticator.data`, and passes each through `MFAAdapter.encrypt()`/`decrypt()`
(continuum/accounts/adapter.py), which call `seal()`/`unseal()` here: Fernet with the keys of
ENCRYPTION_KEYS (continuum/encryption.py), as for reflections. A copy of the database alone
cannot give anyone a member's codes.

Values written before encryption existed (migration accounts 0005 encrypts them, and
`manage.py reencrypt` would too) are told apart by their start: a Fernet token begins with
"gAAAAA" (`continuum.lib.crypto.is_token`), which no base32 TOTP secret (A-Z, 2-7), hex seed
or all-digit recovery code does. `unseal()` returns such a legacy value unchanged; a value
that looks like a token but opens with no configured key raises `DecryptionError` rather than
being taken for a plaintext secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from continuum.accounts.models import Membership, User
from continuum.encryption import keyring
from continuum.lib.crypto import is_token

# Base32, 160 bits. DEMO DATA ONLY: printed by `make demo` so anyone can add it to an app.
DEMO_TOTP_SECRET = "CONTINUUMDEMOTOTPSECRETONLYFORDE"  # noqa: S105 (demo data only)
# The secret `make_staff` enrols in tests (continuum/testing/base.py).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (tests only)

SESSION_FLAG = "_continuum_mfa"
# Where allauth's second-factor pages live (continuum/urls.py includes allauth at accounts/).
MFA_PREFIX = "/accounts/2fa/"
REQUIRED, SATISFIED = "required", "ok"

# Pages a member without a second factor may still reach: enrolment, recovery codes, the
# reauthentication allauth asks for before enrolment, logging out, and setting a password.
ALLOWED_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "set_password",
    }
)


def enrol_totp(user: User, secret: str) -> Authenticator:
    """Give `user` a TOTP authenticator with `secret` (as allauth's activation does)."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        existing.delete()
    return TOTP.activate(user, secret).instance


def enrol_demo_totp(user: User) -> Authenticator:
    """For the demo practice's staff: a TOTP device with the fixed DEMO_TOTP_SECRET."""
    return enrol_totp(user, DEMO_TOTP_SECRET)


# --- Secrets at rest -----------------------------------------------------------------------

# The keys of Authenticator.data that hold a secret string, and those that hold a list of them.
SECRET_VALUES = ("secret", "seed")
SECRET_LISTS = ("migrated_codes",)


def seal(text: str) -> str:
    """Encrypt a second-factor secret for Authenticator.data (MFAAdapter.encrypt)."""
    return keyring().encrypt(text)


def unseal(value: str) -> str:
    """The secret `seal()` stored (MFAAdapter.decrypt); a legacy plaintext value as it is."""
    if not is_token(value):
        return value
    return keyring().decrypt(value)


def seal_if_plain(value: str) -> str:
    return value if is_token(value) else seal(value)


def rotate(value: str) -> str:
    """The value under the first key: a token re-encrypted, a legacy plaintext one sealed."""
    return keyring().rotate(value) if is_token(value) else seal(value)


def map_secrets(data: dict[str, Any], change: Callable[[str], str]) -> tuple[dict[str, Any], int]:
    """A copy of an Authenticator's `data` with `change` applied to each secret in it, and how
    many secrets it holds (0: nothing to write). Other keys (used_mask, ...) are kept."""
    new = dict(data)
    count = 0
    for key in SECRET_VALUES:
        if isinstance(new.get(key), str):
            new[key] = change(new[key])
            count += 1
    for key in SECRET_LISTS:
        if isinstance(new.get(key), list):
            new[key] = [change(v) if isinstance(v, str) else v for v in new[key]]
            count += len(new[key])
    return new, count


def current_code(secret: str = DEMO_TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app with `secret` shows at `at` (default: now)."""
    counter = int(time.time() if at is None else at) // int(mfa_settings.TOTP_PERIOD)
    return str(format_hotp_value(hotp_value(secret, counter)))


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """True for an active member of a practice with no TOTP authenticator."""
    if not user.is_authenticated:
        return False
    if not Membership.objects.filter(user_id=user.pk, is_active=True).exists():
        return False
    return not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def stamp_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_FLAG] = REQUIRED if needs_second_factor(user) else SATISFIED


def on_authenticator_added(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    authenticator = kwargs.get("authenticator")
    if authenticator is not None and authenticator.type == Authenticator.Type.TOTP:
        request.session[SESSION_FLAG] = SATISFIED


def on_authenticator_removed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    request.session[SESSION_FLAG] = REQUIRED if needs_second_factor(user) else SATISFIED


def connect() -> None:
    user_logged_in.connect(stamp_login, dispatch_uid="continuum.mfa.stamp_login")
    authenticator_added.connect(on_authenticator_added, dispatch_uid="continuum.mfa.added")
    authenticator_removed.connect(on_authenticator_removed, dispatch_uid="continuum.mfa.removed")


def _is_member(user: User | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(user_id=user.pk, is_active=True).exists()
    )


def _is_allowed(path: str) -> bool:
    if path.startswith(settings.STATIC_URL):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a 404 shows nothing
    return match.url_name in ALLOWED_URL_NAMES


class RequireSecondFactorMiddleware:
    """Send a member without a second factor to the enrolment page (after the session
    middlewares, AuthenticationMiddleware and SessionLimitsMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            flag = session.get(SESSION_FLAG)
            if flag != SATISFIED:
                # Not enrolled at login (or a session from before this existed): look again,
                # which costs a query only until the second factor is set up.
                flag = REQUIRED if needs_second_factor(request.user) else SATISFIED
                session[SESSION_FLAG] = flag
            if flag == REQUIRED and not _is_allowed(request.path_info):
                target = reverse("mfa_activate_totp")
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=200)
                    response["HX-Redirect"] = target
                    return response
                return HttpResponseRedirect(target)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        """A second factor is for staff (promise 7). Clients are not offered one in this
        release, so allauth's enrolment pages (TOTP, passkeys, recovery codes) are not theirs
        to reach: an enrolment nobody could help them recover from would lock them out of
        their portal (docs/security.md, "Passkeys"). Checked when the view is known, after
        the CSRF check, so the 404 page carries every header the others do."""
        if (
            SESSION_KEY in request.session
            and request.path_info.startswith(MFA_PREFIX)
            and not _is_member(request.user)
        ):
            raise Http404
