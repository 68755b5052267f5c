"""The client's documents after therapy (the endings app's relapse-prevention plan and
summary), found without importing that app: it may not be installed."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, reverse

# (route name, label): the portal pages of the endings app, in the order shown. Routes that
# do not exist are left out, so this works before and after that app lands.
DOCUMENT_ROUTES: tuple[tuple[str, str], ...] = (
    ("endings:portal_relapse_prevention", "My relapse-prevention plan"),
    ("endings:portal_relapse_plan", "My relapse-prevention plan"),
    ("endings:portal_summary", "My summary"),
    ("endings:portal_client_summary", "My summary"),
)


@dataclass(frozen=True)
class Document:
    key: str
    label: str
    url: str


def portal_documents() -> list[Document]:
    """Links to the client's documents in the portal (no queries: the pages themselves say
    when there is nothing yet)."""
    if not apps.is_installed("continuum.endings"):
        return []
    found: list[Document] = []
    labels: set[str] = set()
    for name, label in DOCUMENT_ROUTES:
        if label in labels:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        found.append(Document(name.split(":")[-1], label, url))
        labels.add(label)
    return found
