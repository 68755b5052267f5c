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
from continuum.accounts.models import Membership, Practice, Role, User, normalize_email
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
