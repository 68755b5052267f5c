"""The portal's navigation, built where every portal template (ours and the plans app's)
can reach it: `{% load portal_tags %}{% portal_nav as items %}`."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse

from continuum.portal.presenters import progress_words
from continuum.portal.queries import ProgressMeasure

register = template.Library()

# (key, label, route name). Routes of other apps appear once they exist.
NAV: tuple[tuple[str, str, str], ...] = (
    ("home", "Home", "portal:home"),
    ("checkin", "Check in", "portal:checkin"),
    ("messages", "Messages", "boundaries:portal_messages"),
    ("homework", "Homework", "plans:portal_homework"),
    ("plan", "My plan", "plans:portal_plan"),
    ("progress", "My progress", "portal:progress"),
    ("ending", "Ending well", "endings:portal_ending"),
)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str


@register.simple_tag
def portal_nav() -> list[NavItem]:
    items = []
    for key, label, name in NAV:
        try:
            items.append(NavItem(key, label, reverse(name)))
        except NoReverseMatch:
            continue
    return items


@register.filter(name="progress_words")
def progress_words_filter(measure: ProgressMeasure) -> str:
    """ "That is 6 lower than your first score here, 14 on 23 Jul 2025." """
    return progress_words(measure)
