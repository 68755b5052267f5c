"""Demo: ending well (issue 5) — a client in `ending` with a tapering plan and a
relapse-prevention plan, and therapists with different contact policies.

Rows are written directly, like the rest of the generator (no service audit rows), so the
demo stays resettable. Follow-up clients come from continuum/demo/followup.py.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from continuum.accounts.models import Practice, User
from continuum.boundaries import policy
from continuum.boundaries.models import ContactPolicy, Phase
from continuum.care.episodes import EpisodeStatus, check_transition
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.care.scheduling import to_utc
from continuum.endings.models import EndingReason, RelapsePreventionPlan, TerminationPlan
from continuum.endings.taper import Stage, as_rows, taper_dates

DEMO_THERAPIST = "therapist@example.org"

# (email, in-therapy weekdays 0=Monday, hours, response hours, messages after therapy)
POLICIES = [
    ("therapist@example.org", [0, 1, 2, 3], (9, 17), 48, False),
    ("colleague@example.org", [0, 1, 2, 3, 4], (8, 18), 24, False),
    ("owner@example.org", [1, 3], (10, 16), 72, True),
]

# Two fortnightly sessions, then one a month later (the first a fortnight after the last one
# booked): booked on the dates endings.taper gives.
TAPER = [Stage(weeks=2, count=2), Stage(weeks=4, count=1)]

RELAPSE_PLAN = {
    "warning_signs": (
        "Sleeping past ten and skipping breakfast; cancelling plans with friends two weeks "
        "running; the 'what's the point' voice getting louder on Sunday evenings."
    ),
    "what_helps": (
        "The morning walk before work, even a short one. Writing the worry down and setting it "
        "aside until 6 pm. Calling my sister on Wednesdays. Keeping the activity diary for a week."
    ),
    "contacts": (
        "My sister; my GP; the practice on 0117 496 0000 (office hours); Samaritans 116 123 at "
        "any time."
    ),
    "booster_when": (
        "If the warning signs last more than two weeks, or my PHQ-9 at follow-up is 10 or more, "
        "I will ask for a booster session through the portal."
    ),
}


def seed_policies(practice: Practice) -> int:
    users = {u.email: u for u in User.objects.filter(membership__practice=practice)}
    rows = []
    for email, days, (start, end), response, after_messages in POLICIES:
        user = users.get(email)
        if user is None:
            continue
        rows.append(
            ContactPolicy(
                therapist=user,
                phase=Phase.IN_THERAPY,
                working_days=policy.days_to_mask(days),
                working_hours_start=time(start),
                working_hours_end=time(end),
                response_time_hours=response,
            )
        )
        rows.append(
            ContactPolicy(
                therapist=user,
                phase=Phase.AFTER_THERAPY,
                portal_messages_enabled=after_messages,
                working_days=policy.days_to_mask(days),
                working_hours_start=time(start),
                working_hours_end=time(end),
                response_time_hours=max(response, 72),
            )
        )
    ContactPolicy.objects.bulk_create(rows)
    return len(rows)


def seed_ending(practice: Practice, now: datetime, rng: random.Random) -> dict[str, int]:
    """Move one of the demo therapist's longest active courses into a planned ending."""
    therapist = User.objects.filter(email=DEMO_THERAPIST, membership__practice=practice).first()
    if therapist is None:
        return {}
    zone = ZoneInfo(therapist.time_zone)
    episode = (
        Episode.objects.filter(therapist=therapist, status=EpisodeStatus.ACTIVE)
        .exclude(client__user__email="client@example.org")
        .filter(client__appointments__status=AppointmentStatus.SCHEDULED)
        .order_by("start_date", "pk")
        .select_related("client")
        .first()
    )
    if episode is None:
        return {}
    client = episode.client
    booked = list(
        Appointment.objects.filter(
            client=client, status=AppointmentStatus.SCHEDULED, starts_at__gte=now
        ).order_by("starts_at")
    )
    last = booked[-1] if booked else None
    local = (last.starts_at if last else now).astimezone(zone)
    dates = taper_dates(local.date() + timedelta(weeks=TAPER[0].weeks), TAPER)
    tapering = [
        Appointment(
            client=client,
            episode=episode,
            therapist=therapist,
            starts_at=to_utc(day, local.time(), therapist.time_zone),
            duration_minutes=50,
            created_at=now,
        )
        for day in dates
    ]
    Appointment.objects.bulk_create(tapering)
    agreed = now - timedelta(days=rng.randint(3, 9))
    plan = TerminationPlan.objects.create(
        episode=episode,
        client=client,
        reason=EndingReason.GOALS_MET,
        final_session_date=dates[-1],
        ending_discussed=True,
        feelings_explored=True,
        gains_reviewed=True,
        referrals_offered=False,
        tapering=as_rows(TAPER),
        agreed_by=therapist,
        agreed_at=agreed,
        updated_at=agreed,
        client_accepted_at=agreed + timedelta(days=1) if client.user_id else None,
        accepted_version=1 if client.user_id else None,
    )
    plan.appointments.add(*tapering)
    Episode.objects.filter(pk=episode.pk).update(
        status=check_transition(episode.status, EpisodeStatus.ENDING), status_changed_at=agreed
    )
    RelapsePreventionPlan.objects.create(
        client=client,
        episode=episode,
        version=1,
        created_by=therapist,
        created_at=agreed,
        **RELAPSE_PLAN,
    )
    return {"endings.plans": 1, "endings.tapering_sessions": len(tapering)}


def seed_endings(practice: Practice, now: datetime, rng: random.Random) -> dict[str, int]:
    counts = {"boundaries.policies": seed_policies(practice)}
    counts.update(seed_ending(practice, now, rng))
    return counts
