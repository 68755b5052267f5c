"""Forms for the owner's pages (members, invitations, roster, reassignment)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import QuerySet

from continuum.accounts.models import Membership, User
from continuum.accounts.once import SubmissionKeyField


class InviteForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="Email address", max_length=254)
    clinical = forms.BooleanField(
        label="Treats clients",
        required=False,
        initial=True,
        help_text="Clinicians have a caseload and can be assigned clients.",
    )
    owner = forms.BooleanField(
        label="Also an owner",
        required=False,
        help_text="Owners manage members, the client roster and see the audit log.",
    )
    # An address already in use is refused by services.invite_member (EmailInUse), which the
    # view shows as this field's error.


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(
        label="Your current password", widget=forms.PasswordInput, strip=False
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your password is not correct.")
        return password


class MemberEmailForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)


def member_choices(members: Iterable[Membership]) -> list[tuple[str, str]]:
    """(membership id, label) for filter selects, from an already-fetched list of members."""
    return [
        (str(m.pk), m.user.display_name + ("" if m.is_active else " (deactivated)"))
        for m in members
    ]


class RosterFilterForm(forms.Form):
    therapist = forms.ChoiceField(label="Therapist", required=False)
    q = forms.CharField(label="Search by name", required=False, max_length=100)

    def __init__(self, *args: Any, members: Iterable[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        therapist = self.fields["therapist"]
        assert isinstance(therapist, forms.ChoiceField)
        therapist.choices = [("", "All therapists"), *member_choices(members)]
        self.fields["q"].widget.input_type = "search"


class TherapistChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ReassignForm(forms.Form):
    therapist = TherapistChoiceField(
        label="New therapist",
        queryset=User.objects.none(),
        empty_label="Choose a therapist",
        error_messages={
            "invalid_choice": "Choose an active clinician of your practice.",
            "required": "Choose the therapist who will take over this client.",
        },
    )

    def __init__(self, *args: Any, clinicians: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["therapist"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinicians


class ChoosePasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's SetPasswordForm (its validators: 12+ characters, not a common password), with
    plain-text help that fits beside the field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = (
            "At least 12 characters. Not a common password, not only digits, and not too "
            "similar to your name or email address."
        )
        self.fields["new_password2"].label = "New password again"


class BreakGlassForm(forms.Form):
    """An owner's request for emergency access: why, and for how long (at most the setting)."""

    submission_key = SubmissionKeyField()  # sent twice, it takes effect once

    reason = forms.CharField(
        label="Why do you need access now?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        min_length=10,
        help_text="Kept with the access record. The treating therapist is told access was opened.",
        error_messages={
            "required": "Say why you need emergency access.",
            "min_length": "Say a little more about why (at least 10 characters).",
        },
    )
    hours = forms.TypedChoiceField(
        label="For how long",
        coerce=int,
        choices=(),
        error_messages={"invalid_choice": "Choose one of the listed durations."},
    )

    def __init__(self, *args: Any, max_hours: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["hours"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(h, f"{h} hour{'s' if h != 1 else ''}") for h in range(1, max_hours + 1)]
