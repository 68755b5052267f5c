"""Progress-note formats as data: each format is a list of sections (no Django)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    help: str


@dataclass(frozen=True)
class NoteFormat:
    code: str
    name: str
    sections: tuple[Section, ...]


FORMATS: dict[str, NoteFormat] = {
    f.code: f
    for f in (
        NoteFormat(
            "soap",
            "SOAP",
            (
                Section("subjective", "Subjective", "What the client reported, in their words."),
                Section("objective", "Objective", "What you observed; measures administered."),
                Section("assessment", "Assessment", "Your clinical understanding of today."),
                Section("plan", "Plan", "Treatment plan changes and next steps."),
            ),
        ),
        NoteFormat(
            "dap",
            "DAP",
            (
                Section("data", "Data", "What was said and observed in the session."),
                Section("assessment", "Assessment", "Your interpretation and progress."),
                Section("plan", "Plan", "Next steps and homework."),
            ),
        ),
        NoteFormat(
            "birp",
            "BIRP",
            (
                Section("behavior", "Behaviour", "The client's presentation and concerns."),
                Section("intervention", "Intervention", "What you did in the session."),
                Section("response", "Response", "How the client responded."),
                Section("plan", "Plan", "Next steps and homework."),
            ),
        ),
    )
}

SECTION_MAX_LENGTH = 10_000


def format_choices() -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in FORMATS.values()]
