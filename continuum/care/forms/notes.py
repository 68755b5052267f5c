"""Forms for progress notes (one textarea per section of the chosen format) and addenda."""

from __future__ import annotations

from typing import Any

from django import forms

from continuum.accounts.once import SubmissionKeyField
from continuum.care.note_formats import FORMATS, SECTION_MAX_LENGTH

NEXT_SESSION_PLAN_MAX_LENGTH = 4000
ADDENDUM_MAX_LENGTH = 4000
SECTION_PREFIX = "section_"


def _too_long(limit: int) -> str:
    return f"Keep this to {limit:,} characters or fewer (it has %(show_value)d)."


class NoteForm(forms.Form):
    """The sections of one note format (see care/note_formats.py) plus the next-session plan.

    The format itself is not a field: it is chosen before the form is built (a query
    parameter or a hidden input on create, the note's own format on edit).
    """

    next_session_plan = forms.CharField(
        label="Plan for next session",
        required=False,
        max_length=NEXT_SESSION_PLAN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _too_long(NEXT_SESSION_PLAN_MAX_LENGTH)},
        help_text=f"Optional; up to {NEXT_SESSION_PLAN_MAX_LENGTH:,} characters.",
    )

    def __init__(self, *args: Any, fmt: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.note_format = FORMATS[fmt]
        plan = self.fields.pop("next_session_plan")
        for section in self.note_format.sections:
            self.fields[SECTION_PREFIX + section.key] = forms.CharField(
                label=section.label,
                help_text=section.help,
                required=False,
                max_length=SECTION_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 6}),
                error_messages={"max_length": _too_long(SECTION_MAX_LENGTH)},
            )
        self.fields["next_session_plan"] = plan

    @staticmethod
    def initial_from(sections: dict[str, str], next_session_plan: str) -> dict[str, str]:
        initial = {SECTION_PREFIX + key: text for key, text in sections.items()}
        initial["next_session_plan"] = next_session_plan
        return initial

    def sections(self) -> dict[str, str]:
        """{section key: text} from valid data, in the format's order."""
        return {
            s.key: self.cleaned_data.get(SECTION_PREFIX + s.key, "")
            for s in self.note_format.sections
        }

    def section_fields(self) -> list[forms.BoundField]:
        return [self[SECTION_PREFIX + s.key] for s in self.note_format.sections]


class AddendumForm(forms.Form):
    submission_key = SubmissionKeyField()  # two quick POSTs add one addendum (issue 14)
    text = forms.CharField(
        label="Addendum",
        max_length=ADDENDUM_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"Up to {ADDENDUM_MAX_LENGTH:,} characters. It is added below the signed note "
            "with your name and the time; the note itself does not change."
        ),
        error_messages={
            "required": "Write the addendum before adding it.",
            "max_length": _too_long(ADDENDUM_MAX_LENGTH),
        },
    )
