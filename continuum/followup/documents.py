"""The client's documents after therapy: the endings app's relapse-prevention plan and
summary, linked from the follow-up pages of the portal."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

# (route name, label): the portal pages of the endings app, in the order shown.
DOCUMENT_ROUTES: tuple[tuple[str, str], ...] = (
    ("endings:portal_relapse_plan", "My relapse-prevention plan"),
    ("endings:portal_summary", "My summary"),
)


@dataclass(frozen=True)
class Document:
    key: str
    label: str
    url: str


def portal_documents() -> list[Document]:
    """Links to the client's documents in the portal (no queries: the pages themselves say
    when there is nothing yet)."""
    return [Document(name.split(":")[-1], label, reverse(name)) for name, label in DOCUMENT_ROUTES]
