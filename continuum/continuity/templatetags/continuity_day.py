"""`{% mind_entries entries %}`: the clients of "Clients on my mind", each with its reason lines;
`{% mind_lines lines %}`: reason lines alone ("For you");
`{% session_list sessions empty %}`: the day's sessions, each a `session_row` (and, for a
session of one's own attended, the "how heavy was it?" form), or `empty` when there are none.

A busy caseload puts a hundred lines and a dozen sessions on the day, opened between every
two sessions; written out in the template language, each line cost about a dozen node
renders and each session two {% url %} tags (most of the day's rendering, issue 13), and
format_html's lazy-aware escaping was most of what remained. These tags write the same
markup with plain string formatting; every value is escaped as the template would escape it
(`_e`: a safe string as it is, anything else through html.escape, which is what
django.utils.html.escape does).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django import template
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from continuum.accounts.paths import path_for_ids
from continuum.care.models import AppointmentStatus
from continuum.continuity.day import DaySession
from continuum.continuity.presenters import MindEntry, MindLine

register = template.Library()


def _e(value: Any) -> str:
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _csrf_input(context: Any) -> str:
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 (Django's marker, not a secret)
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">'


def _line(line: MindLine, csrf: str, here: str) -> str:
    new = '<span class="badge new">New</span> ' if line.new else ""
    ago = f' <span class="muted ago">{_e(line.ago)}</span>' if line.ago else ""
    reason = f'<span class="mind-reason">{new}{_e(line.reason)}{ago}</span>'
    if line.post_url:
        action = (
            f'<span class="mind-action"><a href="{_e(line.url)}">{_e(line.action)}</a>\n'
            f'    <form method="post" action="{_e(line.post_url)}" class="inline-form">{csrf}'
            f'<input type="hidden" name="next" value="{here}">'
            f'<button type="submit" class="link-button">{_e(line.post_label)}</button>'
            "</form></span>"
        )
    else:
        action = f'<a class="mind-action" href="{_e(line.url)}">{_e(line.action)}</a>'
    return f'<li class="mind-line">\n  {reason}\n  {action}\n</li>\n'


def _here(context: Any) -> str:
    request = context.get("request")
    return _e(request.get_full_path()) if request is not None else ""


@register.simple_tag(takes_context=True)
def mind_lines(context: Any, lines: Iterable[MindLine]) -> SafeString:
    """Each line as an <li class="mind-line"> (its reason, how long ago, the action and, for a
    line with one, the POST form that returns to this page)."""
    csrf, here = _csrf_input(context), _here(context)
    # Every value above went through _e; the rest is this module's own markup.
    return mark_safe("".join(_line(line, csrf, here) for line in lines))  # noqa: S308  # nosec B308 B703


def _entry(entry: MindEntry, csrf: str, here: str) -> str:
    lines = "".join(_line(line, csrf, here) for line in entry.lines)
    return (
        f'<li class="mind-entry rank-{int(entry.rank)}">\n'
        f'  <a class="mind-client" href="{_e(entry.client_url)}">{_e(entry.client_name)}</a>\n'
        f'  <ul class="mind-lines">\n{lines}  </ul>\n'
        "</li>\n"
    )


@register.simple_tag(takes_context=True)
def mind_entries(context: Any, entries: Iterable[MindEntry]) -> SafeString:
    """Each client of "Clients on my mind" as an <li class="mind-entry"> (its tier as a class),
    their name linked to their page, and their lines as `mind_lines` writes them: the list
    is most of the day, and one tag writes it faster than a template loop (issue 13)."""
    csrf, here = _csrf_input(context), _here(context)
    # Every value went through _e; the rank is an integer; the rest is our own markup.
    return mark_safe("".join(_entry(e, csrf, here) for e in entries))  # noqa: S308  # nosec B308 B703


@cache
def _path(name: str, kwarg: str, prefix: str) -> Callable[[int], str]:
    return path_for_ids(name, kwarg)


@register.simple_tag
def session_row(appointment: DaySession) -> SafeString:
    """A session's time (in the current time zone), its client linked to their page, its
    modality and status (when not simply scheduled), and the link to its brief."""
    client = appointment.client
    name = _e(client.display_name)
    at = _e(timezone.localtime(appointment.starts_at).strftime("%H:%M"))
    status = (
        ""
        if appointment.status == AppointmentStatus.SCHEDULED
        else f" · {_e(appointment.get_status_display())}"
    )
    prefix = get_script_prefix()
    client_url = _path("care:client_detail", "client_id", prefix)(client.pk)
    brief_url = _path("continuity:brief", "appointment_id", prefix)(appointment.pk)
    # Every value went through _e; the ids are integers (test_security_xss.SAFE_ALLOW_LIST).
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<span class="session-time">{at}</span>\n'
        f'    <a href="{client_url}">{name}</a>\n'
        f'    <span class="muted small">{_e(appointment.get_modality_display())}{status}</span>\n'
        f'    <a class="button secondary small" href="{brief_url}">Brief'
        f'<span class="visually-hidden"> for {name} at {at}</span></a>'
    )


WEIGHT_FORM = "wellbeing/_weight_form.html"


@register.simple_tag(takes_context=True)
def session_list(context: Any, sessions: Iterable[DaySession], empty: str) -> SafeString:
    """The sessions as <li>s of a <ul class="session-list">, or `empty` in a muted line: one
    tag rather than a template loop (a busy day has two dozen sessions, issue 13). A session of
    the user's own that was attended gets the weight form (wellbeing/_weight_form.html)."""
    sessions = list(sessions)
    if not sessions:
        return format_html('<p class="muted">{}</p>', empty)
    user = context.get("user")
    me = getattr(user, "pk", None)
    items = []
    for session in sessions:
        form = ""
        if session.status == AppointmentStatus.ATTENDED and session.therapist_id == me:
            request = context.get("request")
            values = {
                "appointment": session,
                "show": True,
                "weight": None,
                "next": request.get_full_path() if request is not None else "",
            }
            with context.push(**values):
                form = context.template.engine.get_template(WEIGHT_FORM).render(context)
        items.append(f"  <li>\n    {session_row(session)}\n    {form}\n  </li>\n")
    # session_row escapes every value; the form is a template's output (autoescaped).
    return mark_safe(f'<ul class="session-list">\n{"".join(items)}</ul>')  # noqa: S308  # nosec B308 B703
