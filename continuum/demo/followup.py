"""Demo data after therapy: two of the demo therapist's ended clients in consented follow-up,
one doing well and one whose 1-month check-in showed deterioration and who asked for a booster.

Call after the demo practice's episodes and scores exist, inside the same transaction:

    from continuum.demo.followup import seed_followup
    seed_followup(practice, options.now, random.Random(f"{options.seed}:followup"))

It picks the demo therapist's (therapist@example.org) two most recently ended episodes that
ended 5 to 40 weeks ago and have a PHQ-9 score, moves them to follow-up with a consent on
the default terms (followup.services.default_terms: months 1, 3, 6, 12) and answers the
check-ins already due. Rows are written directly (no audit rows, no emails), like the rest of
the demo, but what they hold comes from the follow-up service's own rules: the check-in
schedule (scheduled_checkins), the flags and alerts of an answer (answer_findings,
followup_alert), the scores (measures.services.store_score). Returns counts by kind of row.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, Exists, OuterRef, Value, When

from continuum.accounts.models import Practice, User
from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus, check_transition
from continuum.care.models import Episode
from continuum.followup.models import (
    BoosterRequest,
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.services import (
    answer_findings,
    default_terms,
    followup_alert,
    scheduled_checkins,
)
from continuum.measures import scoring
from continuum.measures.alerts import new_alert
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration, AdministrationStatus, Alert, AlertKind
from continuum.measures.services import WINDOW, store_score

DEMO_THERAPIST = "therapist@example.org"
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
    admin = Administration(
        episode=episode,
        client=episode.client,
        instrument=code,
        status=AdministrationStatus.COMPLETED,
        due_at=when,
        window_ends_at=when + WINDOW,
        completed_at=when,
    )
    store_score(admin, answers, scoring.score(code, answers))
    admin.save(force_insert=True)
    return admin


def _last_scores(episode: Episode) -> dict[str, Administration]:
    """The episode's last completed score of each measure from therapy (before follow-up)."""
    last: dict[str, Administration] = {}
    for admin in Administration.objects.filter(
        episode=episode, status=AdministrationStatus.COMPLETED, total__isnull=False
    ).order_by("completed_at", "pk"):
        last[admin.instrument] = admin
    return last


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
        terms = default_terms(episode)  # the terms the therapist is offered
        consent = FollowUpConsent.objects.create(
            client=episode.client,
            episode=episode,
            status=ConsentStatus.ACTIVE,
            months=terms.months,
            scope=terms.scope,
            starts_on=episode.end_date,
            ends_on=terms.ends_on,
            offered_by=therapist,
            offered_at=consented,
            recorded_by=therapist,
            consented_at=consented,
            created_at=consented,
        )
        Episode.objects.filter(pk=episode.pk).update(
            status=check_transition(episode.status, EpisodeStatus.FOLLOW_UP),
            status_changed_at=consented,
        )
        counts["followup.consents"] += 1
        last = _last_scores(episode)
        base = int(last["phq9"].total or 5) if "phq9" in last else 5
        checkins = scheduled_checkins(consent)
        for checkin in checkins:
            checkin.created_at = consented
        FollowUpCheckIn.objects.bulk_create(checkins)
        due = [c for c in checkins if c.due_on <= today]
        for checkin in checkins:
            counts["followup.checkins"] += 1
            if checkin not in due:
                continue
            if checkin is not due[-1] and not deteriorated:
                checkin.status = CheckInStatus.ANSWERED
            elif checkin is not due[-1]:
                checkin.status = CheckInStatus.MISSED
                checkin.save(update_fields=["status"])
                continue
            answered = datetime.combine(checkin.due_on, time(19, rng.randint(0, 59)), tzinfo=zone)
            worse = deteriorated and checkin is due[-1]
            phq9 = min(base + 8, 20) if worse else max(base - rng.randint(0, 2), 0)
            gad7 = 11 if worse else rng.randint(2, 4)
            admins = [
                _score(episode, "phq9", phq9, answered),
                _score(episode, "gad7", gad7, answered),
            ]
            # Flagged and alerted by the follow-up service's own rules.
            checkin.flags, alerts = [], []
            for admin in admins:
                inst = get_instrument(admin.instrument)
                flags, reasons = answer_findings(inst, admin, last.get(admin.instrument))
                checkin.flags += flags
                if reasons:
                    cause, message = followup_alert(checkin, inst, admin, reasons)
                    alerts.append(
                        new_alert(
                            AlertKind.DETERIORATION,
                            cause,
                            message,
                            client=episode.client,
                            episode=episode,
                            administration=admin,
                            created_at=answered,
                        )
                    )
            checkin.status = CheckInStatus.ANSWERED
            checkin.answered_at = answered
            checkin.how_are_you = WORSE if worse else WELL
            if not worse:
                checkin.seen_at, checkin.seen_by = answered + timedelta(days=1), therapist
            checkin.save()
            checkin.administrations.set(admins)
            Alert.objects.bulk_create(alerts)
            if worse:
                BoosterRequest.objects.create(
                    client=episode.client,
                    episode=episode,
                    checkin=checkin,
                    reason=BOOSTER_REASON,
                    requested_at=answered + timedelta(minutes=3),
                )
                counts["followup.boosters"] += 1
    return counts
