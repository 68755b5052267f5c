"""Read-side helpers for pages: the client-page panel and the reflection lists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from continuum.accounts.models import User
from continuum.care.models import Client
from continuum.reflections.access import reflections_for
from continuum.reflections.models import Reflection

PANEL_SIZE = 3
# Loaded for lists; the text columns are not (the panel shows no text, so decrypts nothing).
_LIST_ONLY = ("id", "client_id", "kind", "bring_to_next_session", "addressed_at", "created_at")


@dataclass(frozen=True)
class ClientPanel:
    client: Client
    latest: list[Reflection]
    to_bring: int


def client_panel(user: User, client: Client) -> ClientPanel:
    """For templates/reflections/_client_panel.html on the client page (2 queries).

    Shows kinds, dates and flags but no text: the client page's audit row is "client.view",
    and reflection text is read (and audited as such) on the reflection pages only.
    """
    mine = reflections_for(user).filter(client=client)
    latest = list(mine.only(*_LIST_ONLY).order_by("-created_at", "-pk")[:PANEL_SIZE])
    to_bring = mine.filter(bring_to_next_session=True, addressed_at__isnull=True).count()
    return ClientPanel(client=client, latest=latest, to_bring=to_bring)


def newest_first(queryset: QuerySet[Reflection]) -> QuerySet[Reflection]:
    return queryset.select_related("appointment", "addressed_in").order_by("-created_at", "-pk")
