"""The portal menu's "Ending well" tab: `{% load endings_portal %}`.

`{% ending_tab_shown request.portal_client as shown %}` is whether the tab has anything for
the client (one query, `queries.has_ending_content`)."""

from __future__ import annotations

from typing import Any

from django import template

from continuum.endings.queries import has_ending_content

register = template.Library()


@register.simple_tag
def ending_tab_shown(client: Any) -> bool:
    if client is None:
        return False
    return has_ending_content(client)
