from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "continuum.ops"
    label = "ops"

    def ready(self) -> None:
        # Session limits start counting at login: the login signal stamps the new session
        # (continuum/accounts/session_limits.py), so the first request writes nothing extra.
        from continuum.accounts import session_limits

        session_limits.connect()
