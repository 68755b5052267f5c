from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The fictional demo practice and `manage.py seed_demo`: the top layer, written through
    the other apps' models and rule functions; nothing else imports it."""

    name = "continuum.demo"
    label = "demo"
