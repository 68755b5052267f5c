"""Demo data for the therapist's own load: 12 weeks of session weights with a Thursday pattern.

Call after the demo practice's appointments exist, inside the same transaction:

    from continuum.demo.wellbeing import seed_wellbeing
    seed_wellbeing(practice, options.now, random.Random(f"{options.seed}:wellbeing"))

The demo therapist (therapist@example.org) gets a weight on most attended sessions of the last
12 weeks: Thursdays heavier than other days, and the latest three Thursday sessions heavy (the
one before them moderate), so
the load page says "Three heavy sessions in a row on Thursdays" and "Thursdays are your
heaviest day". Also their settings (weekly digest on), two consultation entries and one
self-reflection. Returns counts by kind of row.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from continuum.accounts.models import Practice, User
from continuum.care.models import Appointment, AppointmentStatus
from continuum.wellbeing import load
from continuum.wellbeing.models import (
    ConsultationEntry,
    ConsultationKind,
    SelfReflection,
    SessionWeight,
    WellbeingSettings,
)

DEMO_THERAPIST = "therapist@example.org"
WEEKS = 12
THURSDAY = 3
RECENT_HEAVY_THURSDAYS = 3
RATED_SHARE = 0.85  # other days: most sessions rated, not all (it is optional)

# Thursdays lean heavy; other days lean light, with the odd heavy session.
THURSDAY_WEIGHTS = (3, 4, 4, 4, 5)
OTHER_WEIGHTS = (1, 2, 2, 2, 3, 3, 3, 4)
RECENT_THURSDAY_WEIGHTS = (4, 5)

PRIVATE_LINES = (
    "Tired after this one.",
    "Felt I was working harder than the client.",
    "A good session; left feeling lighter.",
    "Need to take this to supervision.",
    "Hard to switch off afterwards.",
)


def seed_wellbeing(practice: Practice, now: datetime, rng: random.Random) -> dict[str, int]:
    therapist = User.objects.filter(email=DEMO_THERAPIST, membership__practice=practice).first()
    if therapist is None:
        return {}
    zone = ZoneInfo(therapist.time_zone or "UTC")
    today = now.astimezone(zone).date()
    first_monday = load.week_starts(today, WEEKS)[0]
    start = datetime.combine(first_monday, datetime.min.time(), tzinfo=zone)
    appointments = list(
        Appointment.objects.filter(
            therapist=therapist,
            status=AppointmentStatus.ATTENDED,
            starts_at__gte=start,
            starts_at__lt=now,
        ).order_by("starts_at", "pk")
    )
    thursdays = [a for a in appointments if a.starts_at.astimezone(zone).weekday() == THURSDAY]
    recent = {a.pk for a in thursdays[-RECENT_HEAVY_THURSDAYS:]}
    # The Thursday session before those felt moderate, so the run is exactly three long.
    before_run = (
        thursdays[-RECENT_HEAVY_THURSDAYS - 1].pk
        if len(thursdays) > RECENT_HEAVY_THURSDAYS
        else None
    )
    weights = []
    for appointment in appointments:
        is_thursday = appointment.starts_at.astimezone(zone).weekday() == THURSDAY
        if appointment.pk in recent:
            weight = rng.choice(RECENT_THURSDAY_WEIGHTS)
        elif appointment.pk == before_run:
            weight = 3
        elif is_thursday:
            weight = rng.choice(THURSDAY_WEIGHTS)
        elif rng.random() < RATED_SHARE:
            weight = rng.choice(OTHER_WEIGHTS)
        else:
            continue
        rated_at = min(appointment.ends_at + timedelta(minutes=rng.randint(2, 30)), now)
        line = rng.choice(PRIVATE_LINES) if rng.random() < 0.1 else ""
        weights.append(
            SessionWeight(
                therapist=therapist,
                appointment=appointment,
                weight=weight,
                private_line=line,
                created_at=rated_at,
                updated_at=rated_at,
            )
        )
    SessionWeight.objects.bulk_create(weights, batch_size=500)
    WellbeingSettings.objects.update_or_create(
        therapist=therapist, defaults={"digest_opt_in": True, "updated_at": now}
    )
    client = appointments[-1].client if appointments else None
    consultations = [
        ConsultationEntry(
            therapist=therapist,
            client=client,
            date=today - timedelta(days=9),
            kind=ConsultationKind.SUPERVISION,
            with_whom="Clinical supervisor",
            decided="Keep the current plan for two more sessions, then review the goals together.",
            created_at=now - timedelta(days=9),
            updated_at=now - timedelta(days=9),
        ),
        ConsultationEntry(
            therapist=therapist,
            client=None,
            date=today - timedelta(days=3),
            kind=ConsultationKind.PEER,
            with_whom="Thursday peer group",
            decided="Move one Thursday session to Monday to spread the heavier work.",
            created_at=now - timedelta(days=3),
            updated_at=now - timedelta(days=3),
        ),
    ]
    ConsultationEntry.objects.bulk_create(consultations)
    SelfReflection.objects.create(
        author=therapist,
        text=(
            "Thursdays have felt long lately. I notice I carry the last session home. "
            "I want to protect a proper lunch break and bring this to supervision."
        ),
        created_at=now - timedelta(days=2),
        updated_at=now - timedelta(days=2),
    )
    return {
        "wellbeing.session_weights": len(weights),
        "wellbeing.consultations": len(consultations),
        "wellbeing.self_reflections": 1,
    }
