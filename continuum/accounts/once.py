"""Forms that take effect once: a one-time key per rendered form, claimed in the transaction.

    with transaction.atomic():
        if not once.claim(key, user):
            return redirect(once.result_url(key, fallback))
        ...create the rows...
        once.remember(key, url)

The unique key makes a duplicate fail at the database, so ten identical submissions (also
concurrent ones) create one row. If the work fails and rolls back, the claim rolls back too
and the same form can be sent again.

Most create views need only `submit()`, which does the above around one piece of work:

    try:
        done = once.submit(form, user, lambda: url_of(services.create(...)), fallback=...)
    except services.SomeError as error:
        form.add_error(None, str(error))
    else:
        if done.first:
            messages.success(request, "...")
        return redirect(done.url)

A form gets the key by declaring `submission_key = SubmissionKeyField()`; an unbound form
draws a fresh key by itself, and a template that lays fields out by hand renders
`{{ form.submission_key }}` (continuum/tests/test_once_sweep.py checks every create form).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, NamedTuple

from django import forms
from django.contrib import messages
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from continuum.accounts.models import Submission, User

KEY_PATTERN = r"^[A-Za-z0-9_-]{20,64}$"
EXPIRED = "This form has expired; reload the page."


def new_key() -> str:
    return secrets.token_urlsafe(24)


class SubmissionKeyField(forms.CharField):
    """A hidden one-time key. Optional: scripts that post without one are not protected.

    An unbound form draws a fresh key for each rendering (a callable initial).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("initial", new_key)
        super().__init__(
            required=False,
            widget=forms.HiddenInput,
            max_length=64,
            validators=[RegexValidator(KEY_PATTERN, EXPIRED)],
            **kwargs,
        )


class KeyForm(forms.Form):
    """A form that is only a button: its one-time key is all it sends (invite, make a link,
    send a link by email). Render `{{ form.submission_key }}` inside the button's form."""

    submission_key = SubmissionKeyField()


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


class Done(NamedTuple):
    url: str  # where to send the person: this submission's result, or the first one's
    first: bool  # False when the same form was sent again and nothing new was made


def submit(form: forms.Form, user: User, work: Callable[[], str], *, fallback: str) -> Done:
    """Run `work` (which returns its result's URL) once per form key, in one transaction.

    A repeat of the key leads to where the first submission did (`fallback` if it recorded
    nothing). Whatever `work` raises rolls the claim back with it, so the form can be sent
    again after its error is shown. A form posted without a key (a script) always runs.
    """
    key = form.cleaned_data.get("submission_key") or ""
    with transaction.atomic():
        if not claim(key, user):
            return Done(result_url(key, user, fallback), first=False)
        url = work()
        remember(key, url)
    return Done(url, first=True)


def button(
    request: HttpRequest,
    user: User,
    work: Callable[[], str],
    fallback: str,
    refusal: type[Exception],
) -> Done | None:
    """`submit` for a form that is only a button (a KeyForm): None, with the reason shown as
    an error message, when the form had expired or `work` raised `refusal`."""
    form = KeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, EXPIRED)
        return None
    try:
        return submit(form, user, work, fallback=fallback)
    except refusal as error:
        messages.error(request, str(error))
        return None


def fields(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data without its key (for services that take the fields as keywords)."""
    return {name: value for name, value in form.cleaned_data.items() if name != "submission_key"}
