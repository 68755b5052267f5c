"""Run every registered periodic job that is due: `run_scheduler --once` (cron, every minute)
or `--loop` (a process). The jobs are the apps' (continuum/lib/jobs.py); see
docs/operations.md."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from continuum.notify.scheduler import run_due_jobs

log = logging.getLogger("continuum.notify.scheduler")


class Command(BaseCommand):
    help = (
        "Run every registered periodic job whose period has come: reminders, follow-up "
        "housekeeping, every-session schedules, overdue alerts (see docs/operations.md). "
        "Safe to run twice or in two processes: each job runs once per period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--once", action="store_true", help="Run one pass and exit (cron).")
        mode.add_argument("--loop", action="store_true", help="Run a pass every --interval s.")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between passes (--loop)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self._pass(options["verbosity"])
            return
        interval = max(float(options["interval"]), 1.0)
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while self.running:
            started = time.monotonic()
            close_old_connections()
            try:
                self._pass(options["verbosity"])
            except Exception as error:  # one bad pass must not end the loop
                log.error("scheduler pass failed: %s", type(error).__name__)
            close_old_connections()
            # Sleep in short steps so a stop signal is honoured promptly.
            while self.running and time.monotonic() - started < interval:
                time.sleep(min(1.0, interval))

    def _pass(self, verbosity: int) -> None:
        for outcome in run_due_jobs():
            if verbosity >= 1:
                self.stdout.write(f"scheduler: {outcome}")
