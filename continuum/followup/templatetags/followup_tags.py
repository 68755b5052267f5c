"""The portal menu after therapy: `{% load followup_tags %}`.

`{% followup_phase_of request.portal_client as phase %}` gives "none", "offered", "active"
or "ended" (one query); when it is "ended" the menu shows only the client's documents
(`{% followup_documents_nav as items %}`).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from continuum.followup.documents import portal_documents
from continuum.followup.services import Phase, followup_state

register = template.Library()


@register.simple_tag
def followup_phase_of(client: Any) -> str:
    """ "none", "offered", "active" or "ended" (services.followup_state)."""
    if client is None:
        return Phase.NONE
    return followup_state(client)


@register.simple_tag
def followup_documents_nav() -> list[Any]:
    from continuum.portal.templatetags.portal_tags import NavItem

    items = [NavItem("followup", "Follow-up", reverse("followup:portal_home"))]
    items += [NavItem(d.key, d.label, d.url) for d in portal_documents()]
    return items
