"""Follow-up actions: consent (recorded, offered, accepted, declined, withdrawn, expired),
check-in answers, booster requests and their decisions, and re-opening care.

Each action is one transaction with one audit row of its own (the care and measures services
it calls write theirs). Episode status changes go through care's `transition_episode`:
consent moves an ended episode to follow-up; withdrawal, expiry or re-opening close it.
Exception messages are safe to show and to log: dates, statuses and counts only.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit.log import record
from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus
from continuum.care.models import Client, Episode
from continuum.care.services import appointments as appointment_services
from continuum.care.services.episodes import (
    InvalidEpisodeDates,
    OpenEpisodeExists,
    open_episode,
    transition_episode,
)
from continuum.followup import schedule
from continuum.followup.models import (
    BOOSTER_TRANSITIONS,
    CHECKIN_TRANSITIONS,
    CONSENT_TRANSITIONS,
    TEXT_MAX,
    BoosterRequest,
    BoosterStatus,
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
    Scope,
)
from continuum.lib.hooks import client_changed
from continuum.measures import scoring
from continuum.measures import services as measures
from continuum.measures.alerts import SEVERITY_OF
from continuum.measures.instruments import Instrument, UnknownInstrument, get_instrument
from continuum.measures.models import (
    SEVERITY_RANK,
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
)

log = logging.getLogger(__name__)

CS = ConsentStatus
CIS = CheckInStatus
_OPEN = [str(s) for s in OPEN_STATUSES]


class FollowUpError(ValueError):
    """A follow-up action that cannot happen; `str(error)` is safe to show."""


class FollowUpEnded(FollowUpError):
    """The consent has ended (withdrawn or expired): nothing more is asked or received."""


def _check(table: dict[str, tuple[str, ...]], current: str, target: str, what: str) -> None:
    if target not in table.get(current, ()):
        raise FollowUpError(f"A {what} that is {current} cannot become {target}.")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def client_today(client: Client, now: datetime | None = None) -> date:
    """Today in the client's own zone (their follow-up dates are their calendar days)."""
    return (now or timezone.now()).astimezone(_zone(client.time_zone)).date()


def _clean_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise FollowUpError(f"Keep {what} to {TEXT_MAX} characters or fewer.")
    return text


# --- The phase a client is in ----------------------------------------------------------------


class Phase:
    NONE = "none"
    OFFERED = "offered"
    ACTIVE = "active"
    ENDED = "ended"


def followup_state(client: Client) -> str:
    """Like `followup_phase`, and "offered" while an offer waits for the client's answer (the
    portal menu then shows the follow-up page). One query."""
    open_episode_exists = Episode.objects.filter(client=client, status__in=_OPEN)
    row = (
        FollowUpConsent.objects.filter(client=client)
        .exclude(status=CS.DECLINED)
        .annotate(reopened=Exists(open_episode_exists))
        .order_by("-created_at", "-pk")
        .values_list("status", "reopened")
        .first()
    )
    if row is None:
        return Phase.NONE
    status, reopened = row
    if status == CS.ACTIVE:
        return Phase.ACTIVE
    if status == CS.SUPERSEDED or reopened:
        return Phase.NONE
    if status == CS.OFFERED:
        return Phase.OFFERED
    return Phase.ENDED


def followup_phase(client: Client) -> str:
    """ "active" during consented follow-up; "ended" once it was withdrawn or expired (the
    portal then narrows to the client's documents); "none" otherwise, including while an
    offer waits and after care was re-opened. One query."""
    state = followup_state(client)
    return Phase.NONE if state == Phase.OFFERED else state


# --- Consent ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What the client agrees to: the months after the end, the scope, the period's end."""

    months: list[int]
    scope: str
    ends_on: date


def default_terms(episode: Episode) -> Terms:
    months = list(settings.FOLLOWUP_DEFAULT_MONTHS)
    base = episode.end_date or timezone.localdate()
    return Terms(months, Scope.QUESTIONNAIRES, schedule.default_ends_on(base, months, _grace()))


def _grace() -> int:
    return int(settings.FOLLOWUP_GRACE_DAYS)


def _check_terms(episode: Episode, terms: Terms) -> Terms:
    if terms.scope not in Scope.values:
        raise FollowUpError("Choose what the follow-up includes.")
    try:
        months = schedule.parse_months(terms.months)
        assert episode.end_date is not None
        schedule.check_period(episode.end_date, months, terms.ends_on)
    except schedule.ScheduleError as error:
        raise FollowUpError(str(error)) from None
    return Terms(months, terms.scope, terms.ends_on)


def has_portal_access(client: Client) -> bool:
    """Whether the client can log in to the portal, where follow-up check-ins are answered."""
    return client.user_id is not None and client.user.is_active  # type: ignore[union-attr]


def _check_episode(episode: Episode) -> None:
    if episode.status not in (EpisodeStatus.ENDED, EpisodeStatus.FOLLOW_UP) or not episode.end_date:
        raise FollowUpError(
            "Follow-up can be agreed once the episode has ended (after the final session)."
        )
    if FollowUpConsent.objects.filter(episode=episode, status__in=[CS.OFFERED, CS.ACTIVE]).exists():
        raise FollowUpError("Follow-up is already offered or agreed for this episode.")
    client = episode.client
    if not has_portal_access(client):
        raise FollowUpError(
            "Invite the client to the portal first: follow-up check-ins are answered there."
        )


def scheduled_checkins(
    consent: FollowUpConsent, *, today: date | None = None
) -> list[FollowUpCheckIn]:
    """The consent's check-ins (unsaved): one per agreed month, due that many months after
    the end of therapy; with `today`, none is due before it (issue 14: follow-up agreed two
    days after a month had passed made its first check-in overdue on creation)."""
    episode = consent.episode
    assert episode.end_date is not None
    return [
        FollowUpCheckIn(
            consent=consent,
            client_id=consent.client_id,
            episode=episode,
            number=n,
            months=m,
            due_on=max(schedule.add_months(episode.end_date, m), today or date.min),
        )
        for n, m in enumerate(consent.months, start=1)
    ]


def _schedule_checkins(consent: FollowUpConsent) -> list[FollowUpCheckIn]:
    return FollowUpCheckIn.objects.bulk_create(
        scheduled_checkins(consent, today=timezone.localdate())
    )


def _begin(consent: FollowUpConsent, *, by: Any) -> None:
    """The consent takes effect: the episode moves to follow-up and the check-ins are set."""
    episode = Episode.objects.select_for_update().get(pk=consent.episode_id)
    if episode.status == EpisodeStatus.ENDED:
        transition_episode(episode, EpisodeStatus.FOLLOW_UP, by)
    elif episode.status != EpisodeStatus.FOLLOW_UP:
        raise FollowUpError("The episode is no longer ended, so follow-up cannot start.")
    consent.episode = episode
    _schedule_checkins(consent)


def _new_consent(episode: Episode, terms: Terms, *, by: Any, status: str) -> FollowUpConsent:
    assert episode.end_date is not None
    try:
        with transaction.atomic():
            return FollowUpConsent.objects.create(
                client=episode.client,
                episode=episode,
                status=status,
                months=terms.months,
                scope=terms.scope,
                starts_on=episode.end_date,
                ends_on=terms.ends_on,
                offered_by=by,
                offered_at=timezone.now(),
            )
    except IntegrityError:
        raise FollowUpError("Follow-up is already offered or agreed for this episode.") from None


@transaction.atomic
def record_consent(episode: Episode, terms: Terms, *, actor: Actor) -> FollowUpConsent:
    """The therapist records the consent the client gave them (in the final session, say)."""
    by = actor.user
    _check_episode(episode)
    terms = _check_terms(episode, terms)
    consent = _new_consent(episode, terms, by=by, status=CS.ACTIVE)
    consent.recorded_by = by
    consent.consented_at = timezone.now()
    consent.save(update_fields=["recorded_by", "consented_at"])
    _begin(consent, by=by)
    record(
        actor,
        "followup.consent_record",
        consent,
        practice=episode.client.practice_id,
        client_id=episode.client_id,
        episode_id=episode.pk,
        months=terms.months,
        scope=terms.scope,
        ends_on=terms.ends_on.isoformat(),
    )
    return consent


@transaction.atomic
def offer_follow_up(episode: Episode, terms: Terms, *, actor: Actor) -> FollowUpConsent:
    """The therapist offers follow-up; the client accepts or declines it in the portal."""
    by = actor.user
    _check_episode(episode)
    terms = _check_terms(episode, terms)
    consent = _new_consent(episode, terms, by=by, status=CS.OFFERED)
    record(
        actor,
        "followup.offer",
        consent,
        practice=episode.client.practice_id,
        client_id=episode.client_id,
        episode_id=episode.pk,
        months=terms.months,
        scope=terms.scope,
        ends_on=terms.ends_on.isoformat(),
    )
    return consent


def _lock(consent: FollowUpConsent) -> FollowUpConsent:
    return FollowUpConsent.objects.select_for_update().select_related("client").get(pk=consent.pk)


@transaction.atomic
def accept_offer(consent: FollowUpConsent, *, actor: Actor) -> FollowUpConsent:
    """The client opts in from the portal."""
    by = actor.user
    locked = _lock(consent)
    if locked.status == CS.ACTIVE:
        return locked  # a second tap
    _check(CONSENT_TRANSITIONS, locked.status, CS.ACTIVE, "follow-up offer")
    if locked.ends_on < client_today(locked.client):
        raise FollowUpError("This offer has lapsed; ask your therapist if you would still like it.")
    locked.status = CS.ACTIVE
    locked.consented_at = timezone.now()
    locked.save(update_fields=["status", "consented_at"])
    _begin(locked, by=by)
    record(
        actor,
        "followup.consent_accept",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
    )
    client_changed(locked.client_id, "followup")
    return locked


@transaction.atomic
def decline_offer(consent: FollowUpConsent, *, actor: Actor) -> FollowUpConsent:
    locked = _lock(consent)
    if locked.status == CS.DECLINED:
        return locked
    _check(CONSENT_TRANSITIONS, locked.status, CS.DECLINED, "follow-up offer")
    locked.status = CS.DECLINED
    locked.declined_at = timezone.now()
    locked.save(update_fields=["status", "declined_at"])
    record(
        actor,
        "followup.consent_decline",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
    )
    return locked


def _end(locked: FollowUpConsent, status: str, *, by: Any, now: datetime) -> int:
    """End an active consent: cancel the check-ins still to come, close the episode."""
    _check(CONSENT_TRANSITIONS, locked.status, status, "follow-up consent")
    locked.status = status
    locked.ended_at = now
    fields = ["status", "ended_at"]
    if status == CS.WITHDRAWN:
        locked.withdrawn_at, locked.withdrawn_by = now, by
        fields += ["withdrawn_at", "withdrawn_by"]
    locked.save(update_fields=fields)
    cancelled = FollowUpCheckIn.objects.filter(consent=locked, status=CIS.SCHEDULED).update(
        status=CIS.CANCELLED
    )
    episode = Episode.objects.select_for_update().get(pk=locked.episode_id)
    if episode.status == EpisodeStatus.FOLLOW_UP:
        transition_episode(episode, EpisodeStatus.CLOSED, by)
    return cancelled


@transaction.atomic
def withdraw(consent: FollowUpConsent, *, actor: Actor) -> FollowUpConsent:
    """The client withdraws (one tap in the portal), or the therapist records that they did."""
    by = actor.user
    locked = _lock(consent)
    if locked.status == CS.WITHDRAWN:
        return locked
    if locked.status != CS.ACTIVE:
        raise FollowUpError("This follow-up is not active, so there is nothing to withdraw from.")
    cancelled = _end(locked, CS.WITHDRAWN, by=by, now=timezone.now())
    record(
        actor,
        "followup.withdraw",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
        cancelled_checkins=cancelled,
    )
    client_changed(locked.client_id, "followup")
    return locked


def expire_consents(now: datetime) -> list[int]:
    """Active consents whose period ended (by the client's calendar): expired, episode closed."""
    candidates = FollowUpConsent.objects.filter(
        status=CS.ACTIVE, ends_on__lt=(now + timedelta(days=1)).date()
    ).select_related("client")
    expired = []
    for consent in candidates:
        if consent.ends_on >= client_today(consent.client, now):
            continue
        with transaction.atomic():
            locked = _lock(consent)
            if locked.status != CS.ACTIVE:
                continue
            cancelled = _end(locked, CS.EXPIRED, by=None, now=now)
            record(
                Actor.system(),
                "followup.expire",
                locked,
                practice=locked.client.practice_id,
                client_id=locked.client_id,
                episode_id=locked.episode_id,
                cancelled_checkins=cancelled,
            )
            expired.append(locked.pk)
    return expired


def mark_missed(now: datetime) -> int:
    """A scheduled check-in is missed once a later one of the same consent has come due."""
    later_due = FollowUpCheckIn.objects.filter(
        consent=OuterRef("consent"), number__gt=OuterRef("number"), due_on__lte=now.date()
    )
    missed = list(
        FollowUpCheckIn.objects.filter(status=CIS.SCHEDULED, consent__status=CS.ACTIVE)
        .filter(Exists(later_due))
        .values_list("pk", flat=True)
    )
    if missed:
        FollowUpCheckIn.objects.filter(pk__in=missed, status=CIS.SCHEDULED).update(
            status=CIS.MISSED
        )
        record(Actor.system(), "followup.checkins_missed", None, checkin_ids=missed)
    return len(missed)


def end_orphaned(now: datetime) -> list[int]:
    """Active consents whose episode was closed some other way (the episode page's status
    change): follow-up ends with it, so nothing more is asked or received."""
    ended = []
    for consent in FollowUpConsent.objects.filter(status=CS.ACTIVE).exclude(
        episode__status=EpisodeStatus.FOLLOW_UP
    ):
        with transaction.atomic():
            locked = _lock(consent)
            if locked.status != CS.ACTIVE:
                continue
            cancelled = _end(locked, CS.EXPIRED, by=None, now=now)
            record(
                Actor.system(),
                "followup.expire",
                locked,
                practice=locked.client.practice_id,
                client_id=locked.client_id,
                episode_id=locked.episode_id,
                cancelled_checkins=cancelled,
                reason="episode_not_in_follow_up",
            )
            ended.append(locked.pk)
    return ended


def housekeeping(now: datetime) -> None:
    """Run by the scheduler before it looks for reminders."""
    expire_consents(now)
    end_orphaned(now)
    mark_missed(now)


# --- Check-ins -------------------------------------------------------------------------------


def due_checkin(consent: FollowUpConsent, today: date) -> FollowUpCheckIn | None:
    """The check-in open now: the latest scheduled one whose day has come (1 query)."""
    if consent.status != CS.ACTIVE or consent.ends_on < today:
        return None
    found: FollowUpCheckIn | None = (
        FollowUpCheckIn.objects.filter(consent=consent, status=CIS.SCHEDULED, due_on__lte=today)
        .order_by("-due_on", "-number")
        .first()
    )
    return found


def _last_score_before_follow_up(
    admin: Administration, consent: FollowUpConsent
) -> Administration | None:
    """The episode's last score on this measure from therapy itself (not from follow-up)."""
    follow_up_ids = FollowUpCheckIn.administrations.through.objects.filter(
        followupcheckin__episode_id=consent.episode_id
    ).values("administration_id")
    found: Administration | None = (
        Administration.objects.filter(
            episode_id=consent.episode_id,
            instrument=admin.instrument,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
        )
        .exclude(pk=admin.pk)
        .exclude(pk__in=follow_up_ids)
        .order_by("-completed_at", "-pk")
        .first()
    )
    return found


@dataclass
class Review:
    flags: list[str]
    alerts: list[Alert]


def answer_findings(
    inst: Instrument, admin: Administration, last: Administration | None
) -> tuple[list[str], list[str]]:
    """What one follow-up answer shows against the episode's last score from therapy (`last`):
    its flags (safety, reliable deterioration, caseness again) and, for the last two, the
    reasons an alert gives."""
    flags: list[str] = []
    reasons: list[str] = []
    if admin.safety:
        flags.append(f"safety:{inst.code}")
    if admin.total is None:
        return flags, reasons
    if last is not None and last.total is not None:
        change = scoring.reliable_change(inst, before=last.total, after=admin.total)
        if change == "deteriorated":
            flags.append(f"deterioration:{inst.code}")
            reasons.append(
                f"a reliable deterioration from {inst.display(last.total)} at the end of therapy"
            )
    if admin.caseness and not (last is not None and last.caseness):
        flags.append(f"caseness:{inst.code}")
        cutoff = inst.caseness_cutoff
        reasons.append(
            "at caseness again" + (f" ({inst.display(cutoff)} or more)" if cutoff else "")
        )
    return flags, reasons


def followup_alert(
    checkin: FollowUpCheckIn, inst: Instrument, admin: Administration, reasons: list[str]
) -> tuple[str, str]:
    """The cause and the message of the alert a flagged follow-up answer raises."""
    assert admin.total is not None
    message = f"{inst.name} {inst.display(admin.total)} at the {checkin.label}: " + " and ".join(
        reasons
    )
    return f"followup:{checkin.pk}:{inst.code}", f"{message}."


def review_answers(checkin: FollowUpCheckIn, admins: Sequence[Administration]) -> Review:
    """Flags a follow-up answer: reliable deterioration against the episode's last score,
    caseness again, or a safety answer; raises an alert for the first two (measures already
    raises one for a safety answer, and for deterioration from the episode's baseline)."""
    flags: list[str] = []
    alerts: list[Alert] = []
    for admin in admins:
        try:
            inst = get_instrument(admin.instrument)
        except UnknownInstrument:
            continue
        last = (
            _last_score_before_follow_up(admin, checkin.consent)
            if admin.total is not None
            else None
        )
        found, reasons = answer_findings(inst, admin, last)
        flags += found
        if (
            not reasons
            or Alert.objects.filter(administration=admin, kind=AlertKind.DETERIORATION).exists()
        ):
            continue
        cause, message = followup_alert(checkin, inst, admin, reasons)
        alert, created = Alert.objects.get_or_create(
            client_id=checkin.client_id,
            kind=AlertKind.DETERIORATION,
            cause=cause,
            defaults={
                "episode_id": checkin.episode_id,
                "administration": admin,
                "severity": SEVERITY_OF[AlertKind.DETERIORATION],
                "severity_rank": SEVERITY_RANK[SEVERITY_OF[AlertKind.DETERIORATION]],
                "message": message[:300],
            },
        )
        if created:
            alerts.append(alert)
    return Review(flags, alerts)


@transaction.atomic
def submit_checkin(
    checkin: FollowUpCheckIn,
    *,
    actor: Actor,
    answers: Mapping[str, Mapping[str, int | None]],
    how_are_you: str,
) -> FollowUpCheckIn:
    """The client answers a follow-up check-in (their short questionnaire and their words).

    Submitting the same check-in again returns the first answer (nothing new is stored).
    Raises FollowUpEnded once the consent has ended: the therapist receives nothing more.
    """
    locked = (
        FollowUpCheckIn.objects.select_for_update()
        .select_related("consent", "client", "episode")
        .get(pk=checkin.pk)
    )
    if locked.status == CIS.ANSWERED:
        return locked
    consent = locked.consent
    today = client_today(locked.client)
    if consent.status != CS.ACTIVE or consent.ends_on < today:
        raise FollowUpEnded(
            "Your follow-up has ended, so check-ins are no longer sent to your therapist."
        )
    if locked.status != CIS.SCHEDULED or locked.due_on > today:
        raise FollowUpError("This check-in is not open now.")
    text = _clean_text(how_are_you, "your answer")
    admins: list[Administration] = []
    if consent.has_questionnaires:
        for code in settings.FOLLOWUP_INSTRUMENTS:
            given = dict(answers.get(code) or {})
            if not any(v is not None for v in given.values()):
                continue  # the client left this questionnaire out
            try:
                assignment = measures.assign_measure(
                    locked.episode,
                    instrument=code,
                    cadence="once",
                    starts_on=today,
                    allow_follow_up=True,
                    actor=actor,
                )
                admin = measures.submit_in_portal(
                    assignment.administrations.get(), given, actor=actor
                )
            except (measures.MeasureError, scoring.ScoringError) as error:
                raise FollowUpError(str(error)) from None
            admins.append(admin)
    if not text and not admins:
        raise FollowUpError("Answer the questions or write how you are doing before sending.")
    review = review_answers(locked, admins)
    _check(CHECKIN_TRANSITIONS, locked.status, CIS.ANSWERED, "check-in")
    locked.status = CIS.ANSWERED
    locked.how_are_you = text
    locked.answered_at = timezone.now()
    locked.flags = review.flags
    locked.save(update_fields=["status", "how_are_you", "answered_at", "flags"])
    locked.administrations.set(admins)
    record(
        actor,
        "followup.checkin_answer",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
        months=locked.months,
        administrations=[a.pk for a in admins],
        flags=review.flags,
        alerts=[a.pk for a in review.alerts],
    )
    client_changed(locked.client_id, "followup", "measures", "measures.safety_items")
    return locked


@transaction.atomic
def mark_seen(checkin: FollowUpCheckIn, *, actor: Actor) -> FollowUpCheckIn:
    by = actor.user
    locked = FollowUpCheckIn.objects.select_for_update().select_related("client").get(pk=checkin.pk)
    if not locked.is_answered:
        raise FollowUpError("Only an answered check-in can be marked seen.")
    if locked.seen_at is None:
        locked.seen_at, locked.seen_by = timezone.now(), by
        locked.save(update_fields=["seen_at", "seen_by"])
        record(
            actor,
            "followup.checkin_seen",
            locked,
            practice=locked.client.practice_id,
            client_id=locked.client_id,
        )
    client_changed(locked.client_id, "followup")
    return locked


# --- Booster sessions ------------------------------------------------------------------------


def open_booster(client: Client) -> BoosterRequest | None:
    found: BoosterRequest | None = BoosterRequest.objects.filter(
        client=client, status=BoosterStatus.REQUESTED
    ).first()
    return found


@transaction.atomic
def request_booster(
    client: Client,
    *,
    actor: Actor,
    reason: str,
    checkin: FollowUpCheckIn | None = None,
) -> BoosterRequest:
    """The client asks for a booster session (any time during follow-up). A second request
    while one is open returns the open one."""
    consent = (
        FollowUpConsent.objects.select_for_update()
        .filter(client=client, status=CS.ACTIVE)
        .order_by("-consented_at")
        .first()
    )
    if consent is None or consent.ends_on < client_today(client):
        raise FollowUpEnded(
            "Booster sessions can be requested here during follow-up. Please contact the "
            "practice directly."
        )
    existing = open_booster(client)
    if existing is not None:
        return existing
    if checkin is not None and checkin.consent_id != consent.pk:
        checkin = None
    text = _clean_text(reason, "the reason")
    try:
        with transaction.atomic():
            booster = BoosterRequest.objects.create(
                client=client, episode_id=consent.episode_id, checkin=checkin, reason=text
            )
    except IntegrityError:
        found = open_booster(client)
        if found is None:
            raise
        return found
    record(
        actor,
        "followup.booster_request",
        booster,
        practice=client.practice_id,
        client_id=client.pk,
        episode_id=consent.episode_id,
        checkin_id=checkin.pk if checkin else None,
    )
    client_changed(client.pk, "followup")
    return booster


def _lock_booster(booster: BoosterRequest) -> BoosterRequest:
    return (
        BoosterRequest.objects.select_for_update()
        .select_related("client", "client__therapist")
        .get(pk=booster.pk)
    )


@transaction.atomic
def accept_booster(
    booster: BoosterRequest,
    *,
    actor: Actor,
    starts_at: datetime,
    duration_minutes: int,
    modality: str,
    allow_overlap: bool = False,
) -> BoosterRequest:
    """Book the booster session. Raises care's AppointmentClash (nothing written) on overlap."""
    by = actor.user
    locked = _lock_booster(booster)
    _check(BOOSTER_TRANSITIONS, locked.status, BoosterStatus.BOOKED, "booster request")
    if starts_at <= timezone.now():
        raise FollowUpError("Choose a time in the future for the booster session.")
    [appointment] = appointment_services.book_appointments(
        locked.client,
        starts=[starts_at],
        duration_minutes=duration_minutes,
        modality=modality,
        allow_overlap=allow_overlap,
        actor=actor,
    )
    # The booster belongs to the follow-up episode (care links bookings to open episodes only).
    appointment.episode_id = locked.episode_id
    appointment.save(update_fields=["episode"])
    locked.status = BoosterStatus.BOOKED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.appointment = appointment
    locked.save(update_fields=["status", "decided_by", "decided_at", "appointment"])
    record(
        actor,
        "followup.booster_accept",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        appointment_id=appointment.pk,
    )
    client_changed(locked.client_id)
    return locked


@transaction.atomic
def decline_booster(booster: BoosterRequest, *, actor: Actor, referral: str) -> BoosterRequest:
    """Decline with a referral: where the client can get help instead (required)."""
    by = actor.user
    text = _clean_text(referral, "the referral")
    if not text:
        raise FollowUpError("Write the referral: where the client can get help instead.")
    locked = _lock_booster(booster)
    _check(BOOSTER_TRANSITIONS, locked.status, BoosterStatus.DECLINED, "booster request")
    locked.status = BoosterStatus.DECLINED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.referral = text
    locked.save(update_fields=["status", "decided_by", "decided_at", "referral"])
    record(
        actor,
        "followup.booster_decline",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
    )
    client_changed(locked.client_id, "followup")
    return locked


# --- Re-opening care -------------------------------------------------------------------------


def latest_episode(client: Client) -> Episode | None:
    found: Episode | None = (
        Episode.objects.filter(client=client).order_by("-start_date", "-pk").first()
    )
    return found


@transaction.atomic
def reopen_care(
    client: Client,
    *,
    actor: Actor,
    referral_reason: str,
    start_date: date,
) -> Episode:
    """A new episode linked to the last one. An active follow-up ends (superseded) and its
    episode closes first; an ended episode without follow-up closes too."""
    by = actor.user
    previous = latest_episode(client)
    if previous is None or previous.status not in (
        EpisodeStatus.ENDED,
        EpisodeStatus.FOLLOW_UP,
        EpisodeStatus.CLOSED,
    ):
        raise FollowUpError(
            "Care can be re-opened for a client whose last episode has ended; this client "
            "has an open episode or none."
        )
    if previous.end_date is not None and start_date < previous.end_date:
        raise FollowUpError(
            "The new episode cannot start before the last one ended "
            f"({previous.end_date:%-d %b %Y})."
        )
    now = timezone.now()
    for consent in FollowUpConsent.objects.select_for_update().filter(
        episode=previous, status__in=[CS.ACTIVE, CS.OFFERED]
    ):
        if consent.status == CS.ACTIVE:
            _end(consent, CS.SUPERSEDED, by=by, now=now)
        else:
            consent.status = CS.DECLINED
            consent.declined_at = now
            consent.save(update_fields=["status", "declined_at"])
    previous.refresh_from_db()
    if previous.status in (EpisodeStatus.ENDED, EpisodeStatus.FOLLOW_UP):
        transition_episode(previous, EpisodeStatus.CLOSED, by)
    try:
        episode = open_episode(
            client, by=by, referral_reason=referral_reason, start_date=start_date
        )
    except (OpenEpisodeExists, InvalidEpisodeDates) as error:
        raise FollowUpError(str(error)) from None
    episode.previous = previous
    episode.save(update_fields=["previous"])
    record(
        actor,
        "followup.reopen",
        episode,
        practice=client.practice_id,
        client_id=client.pk,
        previous_episode_id=previous.pk,
    )
    client_changed(client.pk)
    return episode
