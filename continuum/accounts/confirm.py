"""A confirmation step for what cannot be undone, without JavaScript.

The button on the page posts to its action as before; the action's view asks `confirmed(request)`
and, until the post says `confirmed=yes`, answers with `confirmation_page(...)`: a page that
says what will happen and whose form re-posts the same fields with `confirmed=yes`. Nothing
changes until then (issue 14: a colleague was deactivated by one accidental click).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "yes"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == CONFIRMED


def confirmation_page(
    request: HttpRequest,
    *,
    title: str,
    consequences: Sequence[str],
    action: str,
    button: str,
    cancel_url: str,
    fields: Mapping[str, str] | None = None,
    danger: bool = True,
    template: str = "includes/confirm.html",
) -> HttpResponse:
    """The page asking to confirm: `consequences` are the sentences saying what will happen;
    the form posts `fields` (what the first post carried) and confirmed=yes to `action`."""
    return render(
        request,
        template,
        {
            "title": title,
            "consequences": consequences,
            "action": action,
            "button": button,
            "cancel_url": cancel_url,
            "fields": dict(fields or {}),
            "danger": danger,
            "confirmed_value": CONFIRMED,
        },
    )
