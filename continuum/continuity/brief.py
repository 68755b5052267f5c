"""The pre-session brief: everything since the previous attended session, on one page.

`build_brief` runs a fixed number of queries whatever the length of the client's history; the
tests pin it with assertNumQueries. Each section says plainly when there is nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from continuum.accounts.models import User
from continuum.care.models import Appointment, AppointmentStatus, Episode, ProgressNote
from continuum.lib.contributions import BriefSection, brief_contributions
from continuum.measures.alerts import ACTIVE
from continuum.measures.models import Administration, AdministrationStatus, Alert
from continuum.measures.queries import EpisodeOutcomeSummary, alert_tier, episode_outcome


@dataclass
class Brief:
    appointment: Appointment
    previous: Appointment | None
    previous_note: ProgressNote | None
    since: datetime | None
    episode: Episode | None
    outcome: EpisodeOutcomeSummary | None
    scores_since: list[Administration]  # oldest first; words: continuity.presenters
    alerts: list[Alert]
    # Sections from the between-session apps (data; continuity.presenters picks each one's
    # partial template).
    extra_sections: list[BriefSection] = field(default_factory=list)

    @property
    def next_session_plan(self) -> str:
        return self.previous_note.next_session_plan if self.previous_note else ""


def previous_attended(appointment: Appointment) -> Appointment | None:
    """The client's last attended session before this one (with its note, if any)."""
    return (
        Appointment.objects.filter(
            client_id=appointment.client_id,
            status=AppointmentStatus.ATTENDED,
            starts_at__lt=appointment.starts_at,
        )
        .select_related("note")
        .order_by("-starts_at")
        .first()
    )


def build_brief(appointment: Appointment, user: User) -> Brief:
    """Queries: 1. the previous attended session and its note, 2-3. the episode's outcome
    (measures.queries.episode_outcome), 4. scores since the previous session, 5. open alerts,
    then one query per between-session section (check-ins, ...)."""
    previous = previous_attended(appointment)
    since = previous.starts_at if previous is not None else None
    note = getattr(previous, "note", None) if previous is not None else None
    episode = appointment.episode
    outcome = episode_outcome(episode) if episode is not None else None
    scores = Administration.objects.filter(
        client_id=appointment.client_id, status=AdministrationStatus.COMPLETED
    )
    if since is not None:
        scores = scores.filter(completed_at__gt=since)
    # In the clinical priority of the day (lib.priority): the tier, then the oldest first.
    alerts = Alert.objects.filter(client_id=appointment.client_id, status__in=ACTIVE).order_by(
        alert_tier(), "created_at", "pk"
    )
    brief = Brief(
        appointment=appointment,
        previous=previous,
        previous_note=note,
        since=since,
        episode=episode,
        outcome=outcome,
        scores_since=list(scores.order_by("completed_at")[:50]),
        alerts=list(alerts[:20]),
    )
    brief.extra_sections = between_session_sections(appointment, since, user)
    return brief


def between_session_sections(
    appointment: Appointment, since: datetime | None, user: User
) -> list[BriefSection]:
    """What the client lived and the therapist thought since the last session: one section
    per registered BriefContribution, in their order (each runs its own fixed queries)."""
    return [BriefSection(c.code, c.build(appointment, since, user)) for c in brief_contributions()]
