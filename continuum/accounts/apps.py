from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "continuum.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Login auditing is the one place we use signals (see accounts/signals.py for why).
        from continuum.accounts import mfa, signals

        signals.connect()
        # The second factor: remembered in the session at login and at enrolment.
        mfa.connect()
        # Refused access, counted per person and minute, written to the audit log each minute.
        from continuum.accounts.refusals import REFUSALS
        from continuum.lib.jobs import periodic_jobs

        periodic_jobs.register(REFUSALS)
