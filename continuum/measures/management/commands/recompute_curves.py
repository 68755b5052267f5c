"""Recompute expected recovery curves from each practice's own completed episodes.

For each practice and each instrument with severity bands, the completed administrations of
its finished episodes (status ended, follow-up or closed) become one series of scores by
session per episode; trajectories.compute_curves turns them into curves for every intake
band with at least --min episodes. Bands below that keep the shipped defaults. A practice
with at least one band of its own gets a new ExpectedCurves row; the command says what it did.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from continuum.accounts.actors import Actor
from continuum.accounts.models import Practice
from continuum.audit import log as audit
from continuum.care.episodes import FINISHED_STATUSES
from continuum.measures import trajectories
from continuum.measures.alerts import curves_to_json
from continuum.measures.instruments import INSTRUMENTS
from continuum.measures.models import Administration, AdministrationStatus, ExpectedCurves


def episode_series(practice: Practice, code: str, max_sessions: int) -> list[list[float | None]]:
    """Scores by session for each finished episode of the practice (index 0 = intake).

    The intake is the episode's first score; later scores go at their session number (the
    attended appointments at completion). Where two scores share a session, the later wins.
    """
    rows = (
        Administration.objects.filter(
            client__practice=practice,
            episode__status__in=FINISHED_STATUSES,
            instrument=code,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
        )
        .order_by("episode_id", "due_at", "completed_at", "pk")
        .values_list("episode_id", "session_number", "total")
    )
    series: dict[int, list[float | None]] = {}
    for episode_id, session, total in rows.iterator():
        scores = series.get(episode_id)
        if scores is None:
            series[episode_id] = [total] + [None] * (max_sessions - 1)
            continue
        index = max(session or 1, 1) - 1
        if 0 < index < max_sessions:
            scores[index] = total
    return list(series.values())


class Command(BaseCommand):
    help = "Recompute expected recovery curves from each practice's completed episodes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min",
            type=int,
            default=trajectories.DEFAULT_MIN_EPISODES,
            help="episodes per intake band before the practice's own curve replaces the "
            f"default (default {trajectories.DEFAULT_MIN_EPISODES})",
        )
        parser.add_argument(
            "--min-per-session",
            type=int,
            default=trajectories.DEFAULT_MIN_PER_SESSION,
            help="scores at a session for it to be part of a curve "
            f"(default {trajectories.DEFAULT_MIN_PER_SESSION})",
        )
        parser.add_argument("--practice", type=int, help="only this practice (its id)")

    def handle(self, *args: Any, **options: Any) -> None:
        minimum, per_session = options["min"], options["min_per_session"]
        if minimum < 1 or per_session < 1:
            raise CommandError("--min and --min-per-session must be at least 1")
        practices = Practice.objects.order_by("pk")
        if options["practice"] is not None:
            practices = practices.filter(pk=options["practice"])
            if not practices.exists():
                raise CommandError(f"no practice with id {options['practice']}")
        max_sessions = trajectories.DEFAULT_MAX_SESSIONS
        for practice in practices:
            for code, inst in INSTRUMENTS.items():
                if not inst.bands:
                    continue
                series = episode_series(practice, code, max_sessions)
                if not series:
                    continue
                curves = trajectories.compute_curves(
                    series,
                    instrument=inst,
                    max_sessions=max_sessions,
                    min_episodes=minimum,
                    min_per_session=per_session,
                )
                own = {k: c for k, c in curves.items() if c.source == "practice" and c.points}
                label = f"practice {practice.pk}, {inst.name}"
                if not own:
                    self.stdout.write(
                        f"{label}: {len(series)} finished episode(s), fewer than {minimum} in "
                        "every intake band; the default curves stay."
                    )
                    continue
                with transaction.atomic():
                    row = ExpectedCurves.objects.create(
                        practice=practice,
                        instrument=code,
                        curves=curves_to_json(own),
                        n_episodes=len(series),
                    )
                    audit.record(
                        Actor.system(),
                        "measures.curves_recompute",
                        row,
                        practice=practice.pk,
                        instrument=code,
                        bands=sorted(band for _, band in own),
                        episodes=len(series),
                    )
                bands = ", ".join(
                    f"{band} ({curve.episodes} episodes, {len(curve.points)} sessions)"
                    for (_, band), curve in sorted(own.items())
                )
                self.stdout.write(f"{label}: recomputed {bands}; other bands keep the defaults.")
