"""Demo data after therapy: two of the demo therapist's ended clients in consented follow-up,
one doing well and one whose 1-month check-in showed deterioration and who asked for a booster.

Call after the demo practice's episodes and scores exist, inside the same transaction:

    from continuum.demo.followup import seed_followup
    seed_followup(practice, options.now, random.Random(f"{options.seed}:followup"))

It picks the demo therapist's (therapist@example.org) two most recently ended episodes that
ended 5 to 40 weeks ago and have a PHQ-9 score, moves them to follow-up with a consent
(months 1, 3, 6, 12) and answers the check-ins already due. Rows are written directly (no
audit rows, no emails), like the rest of the demo. Returns counts by kind of row.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, Exists, OuterRef, Value, When

from continuum.accounts.models import Practice, User
from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus
from continuum.care.models import Episode
from continuum.followup.models import (
    BoosterRequest,
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
    Scope,
)
from continuum.followup.schedule import add_months, default_ends_on
from continuum.measures import scoring
from continuum.measures.instruments import get_instrument
from continuum.measures.models import (
    SEVERITY_RANK,
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    Severity,
)

DEMO_THERAPIST = "therapist@example.org"
MONTHS = [1, 3, 6, 12]
WELL = "Mostly good. I keep up the walks and notice the early signs sooner."
WORSE = "A hard few weeks since the redundancy news. Sleeping badly again."
BOOSTER_REASON = "I would like a session to go over my relapse-prevention plan."


def _answers(code: str, total: int) -> dict[str, int | None]:
    inst = get_instrument(code)
    answers: dict[str, int | None] = {}
    left = total
    for item in inst.items:
        if not item.scored:
            answers[item.key] = 1
            continue
        step = 0 if item.safety else min(max(o.value for o in item.options), left)
        answers[item.key] = step
        left -= step
    return answers


def _score(episode: Episode, code: str, total: int, when: datetime) -> Administration:
    answers = _answers(code, total)
    result = scoring.score(code, answers)
    return Administration.objects.create(
        episode=episode,
        client=episode.client,
        instrument=code,
        instrument_version=result.version,
        status=AdministrationStatus.COMPLETED,
        due_at=when,
        window_ends_at=when + timedelta(days=7),
        completed_at=when,
        answers=answers,
        total=result.total,
        band=result.band or "",
        caseness=result.caseness,
    )


def seed_followup(practice: Practice, now: datetime, rng: random.Random) -> dict[str, int]:
    therapist = User.objects.filter(email=DEMO_THERAPIST, membership__practice=practice).first()
    if therapist is None:
        return {}
    zone = ZoneInfo(therapist.time_zone or "UTC")
    today = now.astimezone(zone).date()
    reopened = Episode.objects.filter(
        client=OuterRef("client"), status__in=[str(s) for s in OPEN_STATUSES]
    )
    scored = Administration.objects.filter(
        episode=OuterRef("pk"), instrument="phq9", status=AdministrationStatus.COMPLETED
    )
    # The demo therapist's own ended courses first; another therapist's when they have
    # fewer than two (each episode's own therapist records its consent).
    episodes = list(
        Episode.objects.filter(
            client__practice=practice,
            status=EpisodeStatus.ENDED,
            end_date__lte=today - timedelta(weeks=5),
            end_date__gte=today - timedelta(weeks=40),
        )
        .filter(Exists(scored))
        .exclude(Exists(reopened))
        .select_related("client", "therapist")
        .annotate(mine=Case(When(therapist=therapist, then=Value(0)), default=Value(1)))
        .order_by("mine", "-end_date", "pk")[:2]
    )
    counts = {"followup.consents": 0, "followup.checkins": 0, "followup.boosters": 0}
    for index, episode in enumerate(episodes):
        therapist = episode.therapist
        assert episode.end_date is not None
        deteriorated = index == 1
        consented = datetime.combine(episode.end_date, time(16), tzinfo=zone)
        consent = FollowUpConsent.objects.create(
            client=episode.client,
            episode=episode,
            status=ConsentStatus.ACTIVE,
            months=MONTHS,
            scope=Scope.QUESTIONNAIRES,
            starts_on=episode.end_date,
            ends_on=default_ends_on(episode.end_date, MONTHS, 30),
            offered_by=therapist,
            offered_at=consented,
            recorded_by=therapist,
            consented_at=consented,
            created_at=consented,
        )
        Episode.objects.filter(pk=episode.pk).update(
            status=EpisodeStatus.FOLLOW_UP, status_changed_at=consented
        )
        counts["followup.consents"] += 1
        last = (
            Administration.objects.filter(
                episode=episode, instrument="phq9", status=AdministrationStatus.COMPLETED
            )
            .order_by("-completed_at")
            .first()
        )
        base = int(last.total or 5) if last is not None else 5
        due = [m for m in MONTHS if add_months(episode.end_date, m) <= today]
        for number, months in enumerate(MONTHS, start=1):
            day = add_months(episode.end_date, months)
            checkin = FollowUpCheckIn.objects.create(
                consent=consent,
                client=episode.client,
                episode=episode,
                number=number,
                months=months,
                due_on=day,
                created_at=consented,
            )
            counts["followup.checkins"] += 1
            if months not in due:
                continue
            if months != due[-1] and not deteriorated:
                checkin.status = CheckInStatus.ANSWERED
            elif months != due[-1]:
                checkin.status = CheckInStatus.MISSED
                checkin.save(update_fields=["status"])
                continue
            answered = datetime.combine(day, time(19, rng.randint(0, 59)), tzinfo=zone)
            worse = deteriorated and months == due[-1]
            phq9 = min(base + 8, 20) if worse else max(base - rng.randint(0, 2), 0)
            gad7 = 11 if worse else rng.randint(2, 4)
            admins = [
                _score(episode, "phq9", phq9, answered),
                _score(episode, "gad7", gad7, answered),
            ]
            checkin.status = CheckInStatus.ANSWERED
            checkin.answered_at = answered
            checkin.how_are_you = WORSE if worse else WELL
            checkin.flags = (
                ["deterioration:phq9", "caseness:phq9", "caseness:gad7"] if worse else []
            )
            if not worse:
                checkin.seen_at, checkin.seen_by = answered + timedelta(days=1), therapist
            checkin.save()
            checkin.administrations.set(admins)
            if worse:
                Alert.objects.create(
                    client=episode.client,
                    episode=episode,
                    administration=admins[0],
                    kind=AlertKind.DETERIORATION,
                    severity=Severity.MEDIUM,
                    severity_rank=SEVERITY_RANK[Severity.MEDIUM],
                    cause=f"followup:{checkin.pk}:phq9",
                    message=(
                        f"PHQ-9 {phq9} at the {checkin.label}: a reliable deterioration from "
                        f"{base} at the end of therapy and at caseness again (10 or more)."
                    ),
                    created_at=answered,
                )
                BoosterRequest.objects.create(
                    client=episode.client,
                    episode=episode,
                    checkin=checkin,
                    reason=BOOSTER_REASON,
                    requested_at=answered + timedelta(minutes=3),
                )
                counts["followup.boosters"] += 1
    return counts
