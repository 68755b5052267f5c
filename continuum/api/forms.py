from __future__ import annotations

from django import forms

from continuum.accounts.once import SubmissionKeyField
from continuum.api.models import ACCESS, AREAS
from continuum.api.tokens import MAX_DAYS

SCOPE_CHOICES = [
    (f"{area}:{access}", f"{area.capitalize()}: {access}") for area in AREAS for access in ACCESS
]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “billing export”.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Write access to an area includes reading it.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        help_text=f"At most {MAX_DAYS} days.",
    )
    submission_key = SubmissionKeyField()
