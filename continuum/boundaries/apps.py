from __future__ import annotations

from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "continuum.boundaries"
    label = "boundaries"
    verbose_name = "Boundaries and portal messages"
