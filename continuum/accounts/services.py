"""Practice administration: creating practices, inviting and deactivating members, reassigning.

Each function that writes is one transaction with one audit row. Exceptions carry no names or
email addresses (they may end up in logs); callers turn them into form errors.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_tasks import task

from continuum.accounts.actors import Actor
from continuum.accounts.models import (
    EmailChange,
    Membership,
    Practice,
    Role,
    User,
    normalize_email,
)
from continuum.accounts.session_limits import end_sessions
from continuum.audit.log import record
from continuum.lib.timezones import is_valid_time_zone

log = logging.getLogger(__name__)

PRACTICE_NAME_MAX = 200  # Practice.name's max_length


class AccountError(ValueError):
    """A practice-administration request that cannot be carried out (message is user-facing)."""


class EmailInUse(AccountError):
    def __init__(self) -> None:
        super().__init__("This email address already has a Continuum account.")


class InvalidTimeZone(AccountError):
    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}” is not a known time zone; use a name like Europe/London.")


class NotAllowed(AccountError):
    """The action does not apply to this member or client (e.g. deactivating yourself)."""


# --- One-time "set your password" links ------------------------------------------------------


def set_password_path(user: User) -> str:
    """The site-relative one-time link. Django's token stops working once the password is set
    (it hashes the password) and after PASSWORD_RESET_TIMEOUT seconds."""
    return reverse(
        "set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def set_password_link(user: User) -> str:
    return settings.SITE_URL + set_password_path(user)


def link_hours() -> int:
    """How long a set-password link stays valid, in hours (for emails and messages)."""
    return int(settings.PASSWORD_RESET_TIMEOUT) // 3600


def user_for_link(uidb64: str) -> User | None:
    """The active user a set-password link names, or None for a malformed or unknown one."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).select_related("membership").first()


def link_is_valid(user: User | None, token: str) -> bool:
    return user is not None and default_token_generator.check_token(user, token)


@transaction.atomic
def set_initial_password(user: User, password: str, *, actor: Actor) -> User:
    """Set the password chosen through a one-time link (validated by the caller's form)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor, "password.set", user)
    return user


# --- Practices and members ---------------------------------------------------------------------


def _check_new_email(email: str) -> str:
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError("Enter a valid email address.") from None
    if User.objects.filter(email__iexact=email).exists():
        raise EmailInUse
    return email


def _create_user(email: str, full_name: str, time_zone: str) -> User:
    try:
        # A savepoint, so that losing a race on the unique email leaves the transaction usable.
        with transaction.atomic():
            return User.objects.create_user(email, None, full_name=full_name, time_zone=time_zone)
    except IntegrityError:
        raise EmailInUse from None


@transaction.atomic
def create_practice(
    *,
    name: str,
    owner_email: str,
    owner_name: str = "",
    time_zone: str = "UTC",
    clinical: bool = True,
) -> Membership:
    """A new practice and its owner (no usable password yet: send them `set_password_link`)."""
    name = name.strip()
    if not name:
        raise AccountError("The practice needs a name.")
    if len(name) > PRACTICE_NAME_MAX:
        raise AccountError("The practice name is too long (200 characters at most).")
    if not is_valid_time_zone(time_zone):
        raise InvalidTimeZone(time_zone)
    email = _check_new_email(owner_email)
    practice = Practice.objects.create(name=name, time_zone=time_zone)
    owner = _create_user(email, owner_name.strip(), time_zone)
    membership = Membership.objects.create(
        user=owner, practice=practice, role=Role.OWNER, is_clinical=clinical
    )
    record(
        Actor.system(),
        "practice.create",
        practice,
        practice=practice,
        owner_id=owner.pk,
        clinical=clinical,
    )
    return membership


@transaction.atomic
def invite_member(
    practice: Practice,
    *,
    email: str,
    full_name: str,
    role: str = Role.THERAPIST,
    clinical: bool = True,
    actor: Actor,
) -> Membership:
    """Create the member's account and membership; the invitation email goes out on commit."""
    by = actor.acting_user()
    email = _check_new_email(email)
    user = _create_user(email, full_name.strip(), practice.time_zone)
    membership = Membership.objects.create(
        user=user, practice=practice, role=role, is_clinical=clinical, invited_by=by
    )
    record(
        actor,
        "member.invite",
        membership,
        practice=practice,
        user_id=user.pk,
        role=role,
        clinical=clinical,
    )
    _queue_invitation(membership, by)
    return membership


def can_resend_invitation(membership: Membership) -> bool:
    return membership.is_active and not membership.user.has_usable_password()


@transaction.atomic
def resend_invitation(membership: Membership, *, actor: Actor) -> None:
    """Queue a fresh link for a member who has not set a password yet."""
    by = actor.acting_user()
    if not can_resend_invitation(membership):
        raise NotAllowed("This member has already set a password or is deactivated.")
    record(actor, "member.invite_resend", membership, user_id=membership.user_id)
    _queue_invitation(membership, by)


def _queue_invitation(membership: Membership, by: User) -> None:
    """The email goes through the task queue once the transaction commits: nothing is sent
    for a rolled-back invitation, and a restart or a mail outage loses nothing."""
    membership_id, by_id = membership.pk, by.pk
    transaction.on_commit(lambda: email_invitation.enqueue(membership_id, by_id))


@task()
def email_invitation(membership_id: int, by_id: int) -> bool:
    """The task: email the set-password link (run by the worker). False if sending failed."""
    membership = Membership.objects.select_related("user", "practice").get(pk=membership_id)
    if not can_resend_invitation(membership):
        return False  # they set a password (or were deactivated) since it was queued
    return send_invitation(membership, User.objects.get(pk=by_id))


def send_invitation(membership: Membership, by: User) -> bool:
    """Email the set-password link (plain text, no clinical content). False if sending failed."""
    user = membership.user
    context: dict[str, Any] = {
        "practice": membership.practice,
        "inviter": by,
        "member": user,
        "link": set_password_link(user),
        "hours": link_hours(),
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    body = render_to_string("emails/invitation.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        # No address or link in the log: the member id is enough to find and resend.
        log.exception("invitation email failed for user_id=%s", user.pk)
        return False
    return True


@transaction.atomic
def deactivate_member(membership: Membership, *, actor: Actor) -> Membership:
    """The member can no longer log in, and every session they are logged in with ends now
    (`end_sessions`: deleted, so reactivating them later brings none back). Their clients
    stay with them until reassigned."""
    by = actor.acting_user()
    if membership.user_id == by.pk:
        raise NotAllowed("You cannot deactivate yourself.")
    if not membership.is_active:
        raise NotAllowed("This member is already deactivated.")
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    membership.user.is_active = False
    membership.user.save(update_fields=["is_active"])
    end_sessions(membership.user)
    record(actor, "member.deactivate", membership, user_id=membership.user_id)
    return membership


@transaction.atomic
def set_clinical_lead(membership: Membership, *, lead: bool, actor: Actor) -> Membership:
    """Make a member a clinical lead (they see every therapist's outcomes, docs/outcomes.md) or
    a therapist again. Owners see them already; one "member.role" audit row."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.OWNER:
        raise NotAllowed("An owner already sees the outcomes of every therapist.")
    if not locked.is_active:
        raise NotAllowed("This member is deactivated.")
    role = Role.CLINICAL_LEAD if lead else Role.THERAPIST
    if locked.role == role:
        return locked
    locked.role = role
    locked.save(update_fields=["role"])
    record(actor, "member.role", locked, user_id=locked.user_id, role=str(role))
    return locked


@transaction.atomic
def reactivate_member(membership: Membership, *, actor: Actor) -> Membership:
    if membership.is_active:
        raise NotAllowed("This member is already active.")
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    membership.user.is_active = True
    membership.user.save(update_fields=["is_active"])
    record(actor, "member.reactivate", membership, user_id=membership.user_id)
    return membership


@transaction.atomic
def reset_second_factor(membership: Membership, *, actor: Actor) -> int:
    """Remove the member's authenticators (TOTP and recovery codes) and end every session they
    are logged in with (`end_sessions`): whoever holds one is logged out at their next request,
    and at their next login must enrol a new authenticator before any other page. One
    "member.mfa_reset" audit row."""
    by = actor.acting_user()
    from allauth.mfa.models import Authenticator

    if membership.user_id == by.pk:
        raise NotAllowed("You cannot reset your own second factor here.")
    removed, _ = Authenticator.objects.filter(user_id=membership.user_id).delete()
    end_sessions(membership.user)
    record(actor, "member.mfa_reset", membership, user_id=membership.user_id)
    return int(removed)


# --- Changing a login address (issue 18, finding 1) -------------------------------------------
# allauth's email management is not routable: a person changes their own address through a
# link sent to the new one; an owner changes a member's. Both audited, with a notice to the old
# address (whoever lost control of an account learns of it).

EMAIL_CHANGE_SALT = "continuum.accounts.email-change"


def email_change_hours() -> int:
    return int(settings.EMAIL_CHANGE_LINK_HOURS)


def email_change_token(change: EmailChange) -> str:
    """The link's token: a signature of the request's id (no address in the URL)."""
    return signing.dumps(change.pk, salt=EMAIL_CHANGE_SALT)


def email_change_for(token: str, user: User) -> EmailChange | None:
    """The unused, unexpired request of `user` that `token` names, or None."""
    try:
        pk = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=email_change_hours() * 3600)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return EmailChange.objects.filter(pk=pk, user=user, used_at__isnull=True).first()


@transaction.atomic
def request_email_change(user: User, new_email: str, *, actor: Actor) -> EmailChange:
    """Record the request; the link goes to the new address through the task queue."""
    email = _check_new_email(new_email)
    EmailChange.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    change = EmailChange.objects.create(user=user, new_email=email, old_email=user.email)
    record(actor, "email.change_request", user, request_id=change.pk)
    change_id = change.pk
    transaction.on_commit(lambda: email_change_link.enqueue(change_id))
    return change


def _set_email(user: User, email: str) -> None:
    """Set the login address and allauth's record of it (its password reset looks there)."""
    from allauth.account.models import EmailAddress

    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise EmailInUse
    user.email = email
    try:
        with transaction.atomic():  # a savepoint: losing a race stays a clear error
            user.save(update_fields=["email"])
            EmailAddress.objects.filter(user=user).delete()
            EmailAddress.objects.filter(email__iexact=email).delete()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    except IntegrityError:
        raise EmailInUse from None


@transaction.atomic
def confirm_email_change(change: EmailChange, *, actor: Actor) -> User:
    """Apply a request whose link was followed (by its own requester: the caller checks)."""
    change = EmailChange.objects.select_for_update().get(pk=change.pk)
    if change.used_at is not None:
        raise NotAllowed("This link was already used.")
    user = change.user
    _set_email(user, change.new_email)
    change.used_at = timezone.now()
    change.save(update_fields=["used_at"])
    record(actor, "email.change", user, request_id=change.pk)
    _queue_notice(user.pk, change.old_email)
    return user


@transaction.atomic
def change_member_email(membership: Membership, new_email: str, *, actor: Actor) -> User:
    """An owner sets a member's login address (no link: the owner vouches for it)."""
    email = _check_new_email(new_email)
    user = membership.user
    old = user.email
    _set_email(user, email)
    EmailChange.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    record(actor, "member.email_change", membership, user_id=user.pk)
    _queue_notice(user.pk, old)
    return user


def _queue_notice(user_id: int, old_email: str) -> None:
    transaction.on_commit(lambda: email_change_notice.enqueue(user_id, old_email))


@task()
def email_change_link(change_id: int) -> bool:
    """The task: email the confirmation link to the new address."""
    change = EmailChange.objects.select_related("user").get(pk=change_id)
    if change.used_at is not None:
        return False
    link = settings.SITE_URL + reverse(
        "email_change_confirm", kwargs={"token": email_change_token(change)}
    )
    body = render_to_string(
        "emails/email_change_link.txt",
        {"person": change.user, "link": link, "hours": email_change_hours()},
    )
    return _send("Confirm your new Continuum login address", body, change.new_email, change.user)


@task()
def email_change_notice(user_id: int, old_email: str) -> bool:
    """The task: tell the old address that the login address changed (not to what)."""
    user = User.objects.get(pk=user_id)
    body = render_to_string("emails/email_changed.txt", {"person": user})
    return _send("Your Continuum login address was changed", body, old_email, user)


def _send(subject: str, body: str, to: str, user: User) -> bool:
    try:
        send_mail(subject, body, None, [to])
    except (smtplib.SMTPException, OSError):
        log.exception("account email failed for user_id=%s", user.pk)
        return False
    return True
