"""Forms that take effect once: a one-time key per rendered form, claimed in the transaction.

    with transaction.atomic():
        if not once.claim(key, user):
            return redirect(once.result_url(key, fallback))
        ...create the rows...
        once.remember(key, url)

The unique key makes a duplicate fail at the database, so ten identical submissions (also
concurrent ones) create one row. If the work fails and rolls back, the claim rolls back too
and the same form can be sent again.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction

from continuum.accounts.models import Submission, User

KEY_PATTERN = r"^[A-Za-z0-9_-]{20,64}$"


def new_key() -> str:
    return secrets.token_urlsafe(24)


class SubmissionKeyField(forms.CharField):
    """A hidden one-time key. Optional: scripts that post without one are not protected."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            widget=forms.HiddenInput,
            max_length=64,
            validators=[RegexValidator(KEY_PATTERN, "This form has expired; reload the page.")],
            **kwargs,
        )


def claim(key: str, user: User) -> bool:
    """True if this request is the first with `key` (call inside the caller's transaction)."""
    if not key:
        return True
    try:
        with transaction.atomic():
            Submission.objects.create(key=key, user=user)
    except IntegrityError:
        return False
    return True


def remember(key: str, url: str) -> None:
    if key:
        Submission.objects.filter(key=key).update(result_url=url)


def result_url(key: str, user: User, fallback: str) -> str:
    """Where the first submission with `key` led (only the same user's), else `fallback`."""
    url = Submission.objects.filter(key=key, user=user).values_list("result_url", flat=True).first()
    return url or fallback
