"""Measures actions: assign, issue a link, complete (by link or in session), correct, stop.

Each action is one transaction writing one audit row (alerts raised by a completion are named
in that row's detail). Exception messages are safe to show and to log: instrument codes,
dates and counts only, never names, answers or free text.

Schedules are created up front: assigning a measure creates every pending administration of
the schedule at once (a schedule has an end, at most MAX_SCHEDULE_DAYS after its start), so
the therapist sees what is coming and overdue checks need no scheduler. "every_session"
creates one per scheduled appointment of the episode in the range; appointments booked later
are picked up by `sync_session_schedules` (run every hour by the scheduler: measures/jobs.py),
which also withdraws the administrations of cancelled appointments.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.audit import log as audit
from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.lib.hooks import client_changed, episode_changed
from continuum.lib.timezones import local_day_bounds
from continuum.measures import alerts as alert_rules
from continuum.measures import scoring, tokens
from continuum.measures.instruments import (
    INSTRUMENTS,
    Instrument,
    UnknownInstrument,
    get_instrument,
    goal_rating_instrument,
)
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertResolution,
    AlertStatus,
    Cadence,
    MeasureAssignment,
    SafetyAction,
    check_administration_transition,
    check_alert_transition,
)
from continuum.measures.scoring import Score

A = AdministrationStatus

# A scheduled measure is overdue when not completed this long after it is due.
WINDOW = timedelta(days=7)
# ... and an every-session measure when not completed by the day after the appointment.
SESSION_WINDOW = timedelta(days=1)
MAX_SCHEDULE_DAYS = 366
MAX_GOALS = 10
MAX_GOAL_LENGTH = 200
MAX_REASON_LENGTH = 500


class MeasureError(Exception):
    """A measures action that cannot happen; `str(error)` is safe to show."""


class LinkNotAvailable(MeasureError):
    pass


# --- Instruments --------------------------------------------------------------------------


def assignable_instruments() -> list[Instrument]:
    return list(INSTRUMENTS.values())


def instrument_for(code: str, goal_labels: Sequence[str] = ()) -> Instrument:
    """The instrument as asked: goal_rating is built from the goals it was assigned with."""
    try:
        inst = get_instrument(code)
    except UnknownInstrument:
        raise MeasureError("That is not a measure Continuum knows.") from None
    if inst.dynamic:
        return goal_rating_instrument(list(goal_labels))
    return inst


def administration_instrument(admin: Administration) -> Instrument:
    return instrument_for(admin.instrument, admin.goal_labels)


def clean_goal_labels(text_or_lines: str | Sequence[str]) -> list[str]:
    """Goals, one per line: 1 to MAX_GOALS of them, each at most MAX_GOAL_LENGTH characters."""
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else text_or_lines
    goals = [" ".join(str(line).split()) for line in lines]
    goals = [g for g in goals if g]
    if not goals:
        raise MeasureError("Type at least one goal, one per line.")
    if len(goals) > MAX_GOALS:
        raise MeasureError(f"At most {MAX_GOALS} goals can be rated; there are {len(goals)}.")
    if any(len(g) > MAX_GOAL_LENGTH for g in goals):
        raise MeasureError(f"Keep each goal to {MAX_GOAL_LENGTH} characters or fewer.")
    return goals


# --- Schedules ------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def planned_dates(cadence: str, starts_on: date, ends_on: date | None) -> list[date]:
    """The due dates of a date-based schedule, from `starts_on` to `ends_on` inclusive."""
    if cadence == Cadence.ONCE:
        return [starts_on]
    if ends_on is None:
        raise MeasureError("A schedule needs an end date.")
    if cadence == Cadence.MONTHLY:
        days, n = [], 0
        while (day := _add_months(starts_on, n)) <= ends_on:
            days.append(day)
            n += 1
        return days
    step = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14}.get(Cadence(cadence))
    if step is None:
        raise MeasureError("Every-session schedules follow the appointments, not dates.")
    count = (ends_on - starts_on).days // step + 1
    return [starts_on + timedelta(days=step * n) for n in range(count)]


def dated_due_at(day: date, tz_name: str) -> datetime:
    """A date-based questionnaire is due from the start of its day in the therapist's zone
    (open for WINDOW); an every-session one from the session's start (for SESSION_WINDOW)."""
    return local_day_bounds(day, tz_name)[0]


def _check_schedule(cadence: str, starts_on: date, ends_on: date | None) -> None:
    if cadence not in Cadence.values:
        raise MeasureError("That is not a schedule Continuum knows.")
    if cadence == Cadence.ONCE:
        return
    if ends_on is None:
        raise MeasureError("A schedule needs an end date.")
    if ends_on < starts_on:
        raise MeasureError("The schedule cannot end before it starts.")
    if (ends_on - starts_on).days > MAX_SCHEDULE_DAYS:
        raise MeasureError(
            f"A schedule can run for at most {MAX_SCHEDULE_DAYS} days; assign it again after."
        )


def _new_administration(
    assignment: MeasureAssignment, *, due_at: datetime, window: timedelta, **extra: Any
) -> Administration:
    episode = assignment.episode
    inst = instrument_for(assignment.instrument, assignment.goal_labels)
    return Administration(
        episode=episode,
        client_id=episode.client_id,
        assignment=assignment,
        instrument=inst.code,
        instrument_version=inst.version,
        goal_labels=list(assignment.goal_labels),
        due_at=due_at,
        window_ends_at=due_at + window,
        **extra,
    )


def _session_appointments(
    episode: Episode, starts_on: date, ends_on: date, tz_name: str
) -> list[Appointment]:
    after, _ = local_day_bounds(starts_on, tz_name)
    _, before = local_day_bounds(ends_on, tz_name)
    return list(
        Appointment.objects.filter(
            episode=episode,
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=after,
            starts_at__lt=before,
        ).order_by("starts_at")
    )


def _schedule(assignment: MeasureAssignment, tz_name: str) -> list[Administration]:
    if assignment.cadence == Cadence.EVERY_SESSION:
        assert assignment.ends_on is not None
        return [
            _new_administration(
                assignment, due_at=appt.starts_at, window=SESSION_WINDOW, appointment=appt
            )
            for appt in _session_appointments(
                assignment.episode, assignment.starts_on, assignment.ends_on, tz_name
            )
        ]
    return [
        _new_administration(assignment, due_at=dated_due_at(day, tz_name), window=WINDOW)
        for day in planned_dates(assignment.cadence, assignment.starts_on, assignment.ends_on)
    ]


@transaction.atomic
def assign_measure(
    episode: Episode,
    *,
    actor: Actor,
    instrument: str,
    cadence: str,
    starts_on: date,
    ends_on: date | None = None,
    goal_labels: Sequence[str] = (),
    allow_follow_up: bool = False,
) -> MeasureAssignment:
    """Assign a measure to an open episode and create its pending administrations.

    `allow_follow_up`: the follow-up app asks its short questionnaire of an episode in
    consented follow-up (continuum/followup/services.py).
    """
    by = actor.acting_user()
    allowed = OPEN_STATUSES + ((EpisodeStatus.FOLLOW_UP,) if allow_follow_up else ())
    if episode.status not in allowed:
        raise MeasureError("Measures can be assigned only while the episode is open.")
    inst = instrument_for(instrument, goal_labels)
    goals = clean_goal_labels(goal_labels) if inst.dynamic else []
    if cadence == Cadence.ONCE:
        ends_on = None
    _check_schedule(cadence, starts_on, ends_on)
    assignment = MeasureAssignment.objects.create(
        episode=episode,
        instrument=inst.code,
        cadence=cadence,
        starts_on=starts_on,
        ends_on=ends_on,
        goal_labels=goals,
        created_by=by,
    )
    planned = _schedule(assignment, by.time_zone)
    if not planned:
        raise MeasureError(
            "No scheduled appointments of this episode fall in those dates: book the "
            "appointments first, or choose a weekly schedule."
        )
    Administration.objects.bulk_create(planned)
    audit.record(
        actor,
        "measures.assign",
        assignment,
        practice=episode.client.practice_id,
        episode=episode.pk,
        instrument=inst.code,
        cadence=cadence,
        administrations=len(planned),
    )
    return assignment


@transaction.atomic
def stop_assignment(assignment: MeasureAssignment, *, actor: Actor) -> int:
    """Stop a schedule: its pending administrations are withdrawn (their links stop working)."""
    locked = MeasureAssignment.objects.select_for_update().get(pk=assignment.pk)
    if not locked.active:
        raise MeasureError("This measure has already been stopped.")
    now = timezone.now()
    locked.active, locked.stopped_at = False, now
    locked.save(update_fields=["active", "stopped_at"])
    withdrawn = Administration.objects.filter(assignment=locked, status=A.PENDING).update(
        status=A.EXPIRED
    )
    audit.record(
        actor,
        "measures.assignment_stop",
        locked,
        practice=locked.episode.client.practice_id,
        episode=locked.episode_id,
        withdrawn=withdrawn,
    )
    assignment.active, assignment.stopped_at = locked.active, locked.stopped_at
    return withdrawn


def sync_session_schedules(now: datetime | None = None) -> tuple[int, int]:
    """Keep every-session schedules in step with the appointment book.

    Creates pending administrations for scheduled appointments booked after the measure was
    assigned, and withdraws pending ones whose appointment was cancelled or moved out of the
    episode. Returns (created, withdrawn). One audit row per assignment changed.
    """
    now = now or timezone.now()
    created = withdrawn = 0
    assignments = MeasureAssignment.objects.filter(
        active=True,
        cadence=Cadence.EVERY_SESSION,
        ends_on__gte=now.date() - timedelta(days=1),
        episode__status__in=[str(s) for s in OPEN_STATUSES],
    ).select_related("episode", "episode__client", "episode__therapist")
    for assignment in assignments:
        with transaction.atomic():
            assert assignment.ends_on is not None
            appointments = _session_appointments(
                assignment.episode,
                assignment.starts_on,
                assignment.ends_on,
                assignment.episode.therapist.time_zone,
            )
            have = set(
                Administration.objects.filter(assignment=assignment).values_list(
                    "appointment_id", flat=True
                )
            )
            new = [
                _new_administration(
                    assignment, due_at=a.starts_at, window=SESSION_WINDOW, appointment=a
                )
                for a in appointments
                if a.pk not in have and a.starts_at > now
            ]
            Administration.objects.bulk_create(new)
            gone = (
                Administration.objects.filter(assignment=assignment, status=A.PENDING)
                .filter(
                    # Only sessions that did not happen: a questionnaire still pending when
                    # the session is marked attended (feedback answered afterwards, or
                    # answers entered late) stays answerable.
                    Q(appointment__isnull=True)
                    | Q(
                        appointment__status__in=[
                            AppointmentStatus.CANCELLED,
                            AppointmentStatus.NO_SHOW,
                        ]
                    )
                    | ~Q(appointment__episode=assignment.episode)
                )
                .update(status=A.EXPIRED)
            )
            if new or gone:
                audit.record(
                    Actor.system(),
                    "measures.schedule_sync",
                    assignment,
                    practice=assignment.episode.client.practice_id,
                    created=len(new),
                    withdrawn=gone,
                )
            created += len(new)
            withdrawn += gone
    return created, withdrawn


# --- One-time links -------------------------------------------------------------------------


def link_expires_at(admin: Administration) -> datetime | None:
    if admin.link_issued_at is None:
        return None
    return admin.link_issued_at + tokens.link_lifetime()


def link_path(admin: Administration, now: datetime | None = None) -> str | None:
    """The site-relative link to send, while it works (pending, issued and unexpired)."""
    now = now or timezone.now()
    expires = link_expires_at(admin)
    if not admin.is_pending or not admin.token_nonce or expires is None or expires <= now:
        return None
    assert admin.link_issued_at is not None
    token = tokens.make_token(admin.pk, admin.token_nonce, admin.link_issued_at)
    return reverse("measures:questionnaire", kwargs={"token": token})


def link_url(admin: Administration, now: datetime | None = None) -> str | None:
    path = link_path(admin, now)
    return settings.SITE_URL + path if path else None


@transaction.atomic
def issue_link(admin: Administration, *, actor: Actor) -> Administration:
    """A fresh link for a pending administration; any earlier link stops working."""
    locked = Administration.objects.select_for_update().get(pk=admin.pk)
    if locked.status != A.PENDING:
        raise LinkNotAvailable("Links can be made only for questionnaires still to be answered.")
    # Whole seconds: the token carries the issue time in seconds.
    locked.token_nonce = tokens.new_nonce()
    locked.link_issued_at = timezone.now().replace(microsecond=0)
    locked.save(update_fields=["token_nonce", "link_issued_at"])
    audit.record(
        actor,
        "measures.link_issue",
        locked,
        practice=admin.client.practice_id,
        instrument=locked.instrument,
    )
    admin.token_nonce, admin.link_issued_at = locked.token_nonce, locked.link_issued_at
    return admin


def administration_for_token(token: str, *, lock: bool = False) -> Administration:
    """The pending administration a link opens; LinkError saying why not otherwise."""
    payload = tokens.read_token(token)
    rows = Administration.objects.select_related("client__practice", "episode")
    if lock:
        rows = rows.select_for_update()
    admin = rows.filter(pk=payload.administration_id).first()
    if admin is None or not tokens.nonce_matches(admin.token_nonce, payload.nonce):
        raise tokens.LinkError(tokens.LinkProblem.INVALID)
    if admin.token_used_at is not None or admin.status in (A.COMPLETED, A.SUPERSEDED):
        raise tokens.LinkError(tokens.LinkProblem.USED)
    if admin.status != A.PENDING or admin.episode.status not in OPEN_STATUSES:
        raise tokens.LinkError(tokens.LinkProblem.VOID)
    return admin


# --- Completing -----------------------------------------------------------------------------


def normalise_answers(inst: Instrument, answers: Mapping[str, int | None]) -> dict[str, int | None]:
    """Every item of the form, answered or not (None), in the form's order.

    Raises scoring.ScoringError for unknown items and out-of-range answers.
    """
    scoring.score(inst, answers)  # validates keys and values
    return {item.key: answers.get(item.key) for item in inst.items}


def _attended_sessions(episode_id: int, until: datetime) -> int:
    return Appointment.objects.filter(
        episode_id=episode_id, status=AppointmentStatus.ATTENDED, starts_at__lte=until
    ).count()


def safety_item_unanswered(code: str, answers: Mapping[str, int | None]) -> bool:
    """Whether a safety item (PHQ-9 item 9, CORE-10 item 6) of the form was left blank."""
    try:
        inst = get_instrument(code)
    except UnknownInstrument:
        return False
    return any(answers.get(item.key) is None for item in inst.safety_items)


def store_score(admin: Administration, answers: dict[str, int | None], result: Score) -> None:
    """Put the answers and the scoring engine's verdict on an administration (not saved)."""
    admin.answers = answers
    admin.total = float(result.total) if result.total is not None else None
    admin.band = result.band or ""
    admin.caseness = result.caseness
    admin.safety = result.safety
    admin.safety_unanswered = safety_item_unanswered(admin.instrument, answers)
    admin.prorated = result.prorated
    admin.reason = result.reason or ""
    admin.instrument_version = result.version


def _apply_score(admin: Administration, inst: Instrument, answers: dict[str, int | None]) -> None:
    store_score(admin, answers, scoring.score(inst, answers))


def _complete(
    admin: Administration,
    answers: Mapping[str, int | None],
    *,
    entered_by: User | None,
    now: datetime,
) -> list[Any]:
    inst = administration_instrument(admin)
    normalised = normalise_answers(inst, answers)
    check_administration_transition(admin.status, A.COMPLETED)
    _apply_score(admin, inst, normalised)
    admin.status = A.COMPLETED
    admin.completed_at = now
    admin.entered_by = entered_by
    admin.session_number = _attended_sessions(admin.episode_id, now)
    admin.save()
    episode_changed(admin.episode_id)
    # Earlier administrations of the same schedule still pending are no longer worth asking:
    # the newer answers describe the client now.
    if admin.assignment_id is not None:
        Administration.objects.filter(
            assignment_id=admin.assignment_id, status=A.PENDING, due_at__lt=admin.due_at
        ).update(status=A.EXPIRED)
    return _evaluate(admin)


def _evaluate(admin: Administration) -> list[Alert]:
    """Raise the score's alerts and close the earlier ones it no longer meets: each closure
    is one audit row by the system, in the score's transaction. Returns the raised ones."""
    evaluation = alert_rules.evaluate_score(admin)
    for alert in evaluation.closed:
        audit.record(
            Actor.system(),
            "measures.alert_close",
            alert,
            practice=admin.client.practice_id,
            kind=alert.kind,
            resolution=alert.resolution,
            administration=admin.pk,
        )
    return evaluation.raised


def _close_overdue(admin: Administration, now: datetime) -> list[int]:
    """A late completion settles its overdue alert (named in the completion's audit row)."""
    return alert_rules.resolve_overdue_for(admin, now)


@transaction.atomic
def submit_by_link(
    token: str, answers: Mapping[str, int | None], *, actor: Actor
) -> Administration:
    """The client's answers through a one-time link. LinkError if the link does not work."""
    admin = administration_for_token(token, lock=True)
    now = timezone.now()
    admin.token_used_at = now
    raised = _complete(admin, answers, entered_by=None, now=now)
    settled = _close_overdue(admin, now)
    audit.record(
        actor,
        "measures.complete",
        admin,
        practice=admin.client.practice_id,
        via="link",
        instrument=admin.instrument,
        alerts=[a.pk for a in raised],
        resolved_alerts=settled,
    )
    client_changed(admin.client_id, "measures", "measures.safety_items")
    return admin


def _complete_pending(
    admin: Administration,
    answers: Mapping[str, int | None],
    *,
    actor: Actor,
    entered_by: User | None,
    via: str,
) -> Administration:
    """Score a pending administration, raise its alerts, settle an overdue alert, audit once."""
    locked = Administration.objects.select_for_update().get(pk=admin.pk)
    if locked.status != A.PENDING:
        raise MeasureError("This questionnaire has already been answered or withdrawn.")
    now = timezone.now()
    raised = _complete(locked, answers, entered_by=entered_by, now=now)
    settled = _close_overdue(locked, now)
    audit.record(
        actor,
        "measures.complete",
        locked,
        practice=admin.client.practice_id,
        via=via,
        instrument=locked.instrument,
        alerts=[a.pk for a in raised],
        resolved_alerts=settled,
    )
    client_changed(locked.client_id, "measures", "measures.safety_items")
    return locked


@transaction.atomic
def submit_in_portal(
    admin: Administration,
    answers: Mapping[str, int | None],
    *,
    actor: Actor,
) -> Administration:
    """The client's own answers, given while logged in to the portal (no one-time link).

    Like a link, the client answered it themselves (`entered_by` stays empty); the audit row
    names the client's login. The caller checks that `admin` is this client's own.
    """
    return _complete_pending(admin, answers, entered_by=None, via="portal", actor=actor)


@transaction.atomic
def enter_in_session(
    admin: Administration,
    answers: Mapping[str, int | None],
    *,
    actor: Actor,
) -> Administration:
    """The therapist enters the client's answers in session."""
    by = actor.user
    return _complete_pending(admin, answers, entered_by=by, via="session", actor=actor)


@transaction.atomic
def import_answers(
    episode: Episode,
    *,
    instrument: str,
    answers: Mapping[str, int | None],
    completed_at: datetime,
    actor: Actor,
    via: str = "import",
) -> Administration:
    """Answers given elsewhere (another system, e.g. a FHIR QuestionnaireResponse), as a new
    completed administration of `episode`, answered at `completed_at`: scored by the engine,
    its alerts raised like any other (a safety answer raises the safety alert), one audit row.
    Raises scoring.ScoringError for unknown items and out-of-range answers, MeasureError for
    an episode that is not open or an instrument that cannot be asked this way."""
    by = actor.acting_user()
    if episode.status not in OPEN_STATUSES:
        raise MeasureError("Answers can be added only while the episode is open.")
    inst = instrument_for(instrument)
    if inst.dynamic:
        raise MeasureError(f"{inst.name} is worded per client and cannot be imported.")
    admin = Administration.objects.create(
        episode=episode,
        client_id=episode.client_id,
        instrument=inst.code,
        instrument_version=inst.version,
        due_at=completed_at,
        window_ends_at=completed_at + WINDOW,
    )
    raised = _complete(admin, answers, entered_by=by, now=completed_at)
    audit.record(
        actor,
        "measures.complete",
        admin,
        practice=episode.client.practice_id,
        via=via,
        instrument=admin.instrument,
        alerts=[a.pk for a in raised],
        resolved_alerts=[],
    )
    return admin


@transaction.atomic
def correct_administration(
    old: Administration,
    answers: Mapping[str, int | None],
    *,
    actor: Actor,
    reason: str,
) -> Administration:
    """A new administration with corrected answers that supersedes `old` (kept, visible)."""
    by = actor.user
    reason = reason.strip()
    if not reason:
        raise MeasureError("Say why the answers are being corrected.")
    if len(reason) > MAX_REASON_LENGTH:
        raise MeasureError(f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer.")
    locked = Administration.objects.select_for_update().get(pk=old.pk)
    if locked.status != A.COMPLETED:
        raise MeasureError("Only the current answers can be corrected; this one was replaced.")
    inst = administration_instrument(locked)
    normalised = normalise_answers(inst, answers)
    check_administration_transition(locked.status, A.SUPERSEDED)
    locked.status = A.SUPERSEDED
    locked.save(update_fields=["status"])
    new = Administration(
        episode_id=locked.episode_id,
        client_id=locked.client_id,
        assignment_id=locked.assignment_id,
        appointment_id=locked.appointment_id,
        instrument=locked.instrument,
        goal_labels=list(locked.goal_labels),
        status=A.COMPLETED,
        due_at=locked.due_at,
        window_ends_at=locked.window_ends_at,
        # The correction describes the same occasion.
        session_number=locked.session_number,
        completed_at=timezone.now(),
        entered_by=by,
        supersedes=locked,
        correction_reason=reason,
    )
    _apply_score(new, inst, normalised)
    new.save()
    episode_changed(new.episode_id)
    raised = _evaluate(new)
    audit.record(
        actor,
        "measures.correct",
        new,
        practice=old.client.practice_id,
        supersedes=locked.pk,
        instrument=new.instrument,
        alerts=[a.pk for a in raised],
    )
    client_changed(new.client_id, "measures", "measures.safety_items")
    return new


# --- Alerts: the therapist's actions and the overdue job --------------------------------------


@transaction.atomic
def acknowledge(alert: Alert, *, actor: Actor) -> Alert:
    by = actor.user
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    try:
        check_alert_transition(locked.status, AlertStatus.ACKNOWLEDGED)
    except ValueError as error:
        raise alert_rules.AlertError(str(error)) from None
    locked.status = AlertStatus.ACKNOWLEDGED
    locked.acknowledged_by, locked.acknowledged_at = by, timezone.now()
    locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit.record(
        actor,
        "measures.alert_acknowledge",
        locked,
        practice=alert.client.practice_id,
        kind=locked.kind,
        status=locked.status,
    )
    return locked


@transaction.atomic
def resolve(
    alert: Alert,
    *,
    actor: Actor,
    action: str = "",
    action_note: str = "",
) -> Alert:
    """Resolve an alert. A safety alert needs the action taken (and a note for "other")."""
    by = actor.user
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    try:
        check_alert_transition(locked.status, AlertStatus.RESOLVED)
    except ValueError as error:
        raise alert_rules.AlertError(str(error)) from None
    action_note = action_note.strip()
    if action and action not in SafetyAction.values:
        raise alert_rules.AlertError("Choose one of the listed actions.")
    if locked.kind == AlertKind.SAFETY and not action:
        raise alert_rules.AlertError("Record what was done before resolving a safety alert.")
    if action == SafetyAction.OTHER and not action_note:
        raise alert_rules.AlertError("Describe what was done.")
    if len(action_note) > 1000:
        raise alert_rules.AlertError("Keep the description to 1000 characters or fewer.")
    now = timezone.now()
    locked.status = AlertStatus.RESOLVED
    locked.resolution = AlertResolution.BY_THERAPIST
    locked.resolved_by, locked.resolved_at = by, now
    locked.action, locked.action_note = action, action_note
    if locked.acknowledged_at is None:
        locked.acknowledged_by, locked.acknowledged_at = by, now
    locked.save()
    audit.record(
        actor,
        "measures.alert_resolve",
        locked,
        practice=alert.client.practice_id,
        kind=locked.kind,
        taken=action,
        noted=bool(action_note),
    )
    client_changed(locked.client_id, "measures")
    return locked


def raise_overdue_alerts(now: datetime | None = None) -> list[Alert]:
    """One low alert per pending administration whose window has passed (once per cause):
    one transaction and one audit row (by the system) per alert."""
    now = now or timezone.now()
    overdue = (
        Administration.objects.filter(
            status=AdministrationStatus.PENDING,
            window_ends_at__lt=now,
            episode__status__in=[str(s) for s in OPEN_STATUSES],
        )
        .exclude(assignment__active=False)
        .annotate(
            alerted=Exists(
                Alert.objects.filter(kind=AlertKind.OVERDUE, administration=OuterRef("pk"))
            )
        )
        .filter(alerted=False)
        .select_related("client", "client__therapist")
        .order_by("window_ends_at", "pk")
    )
    raised = []
    for admin in overdue:
        try:
            name = get_instrument(admin.instrument).name
        except UnknownInstrument:
            name = admin.instrument
        zone = alert_rules.zone(admin.client.therapist.time_zone)
        with transaction.atomic():
            alert = alert_rules.raise_alert(
                admin,
                AlertKind.OVERDUE,
                alert_rules.alert_cause(AlertKind.OVERDUE, admin.pk),
                alert_rules.overdue_message(name, admin.due_at, admin.window_ends_at, zone),
            )
            if alert is not None:
                audit.record(
                    Actor.system(),
                    "measures.alert_raise",
                    alert,
                    practice=admin.client.practice_id,
                    kind=alert.kind,
                    administration=admin.pk,
                )
                raised.append(alert)
                client_changed(admin.client_id, "measures")
    return raised


# --- Stale alerts: "still relevant? keep / close" -------------------------------------------


@transaction.atomic
def review_stale_alert(alert: Alert, *, actor: Actor, keep: bool) -> Alert:
    """The therapist's answer to "still relevant?" for an alert without new evidence: keep it
    (it counts as new evidence, so it is not stale again for a while) or close it as no
    longer relevant. Safety alerts are resolved only with the action taken (`resolve`)."""
    by = actor.user
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.kind == AlertKind.SAFETY:
        raise alert_rules.AlertError("Resolve a safety alert by recording what was done.")
    if locked.status not in alert_rules.ACTIVE:
        raise alert_rules.AlertError("This alert is already resolved.")
    now = timezone.now()
    if keep:
        locked.confirmed_at = now
        locked.save(update_fields=["confirmed_at"])
    else:
        locked.status = check_alert_transition(locked.status, AlertStatus.RESOLVED)
        locked.resolution = AlertResolution.NOT_RELEVANT
        locked.resolved_by, locked.resolved_at = by, now
        if locked.acknowledged_at is None:
            locked.acknowledged_by, locked.acknowledged_at = by, now
        locked.save()
    audit.record(
        actor,
        "measures.alert_keep" if keep else "measures.alert_close",
        locked,
        practice=alert.client.practice_id,
        kind=locked.kind,
        resolution=locked.resolution,
    )
    client_changed(locked.client_id, "measures")
    return locked


# --- An unanswered safety item ----------------------------------------------------------------


@transaction.atomic
def dismiss_safety_prompt(admin: Administration, *, actor: Actor, reason: str) -> Administration:
    """Take "ask the safety item at the next contact" off the day, saying why (the reason is
    kept on the administration; the audit row says only that one was given)."""
    reason = reason.strip()
    if not reason:
        raise MeasureError("Say why the safety question does not need asking.")
    if len(reason) > MAX_REASON_LENGTH:
        raise MeasureError(f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer.")
    locked = Administration.objects.select_for_update().get(pk=admin.pk)
    if locked.status != A.COMPLETED or not locked.safety_unanswered:
        raise MeasureError("The safety question of these answers is not waiting to be asked.")
    if locked.safety_prompt_dismissed_at is not None:
        raise MeasureError("This prompt was already dismissed.")
    locked.safety_prompt_dismissed_at = timezone.now()
    locked.safety_prompt_dismissed_by = actor.user
    locked.safety_prompt_dismiss_reason = reason
    locked.save(
        update_fields=[
            "safety_prompt_dismissed_at",
            "safety_prompt_dismissed_by",
            "safety_prompt_dismiss_reason",
        ]
    )
    audit.record(
        actor,
        "measures.safety_prompt_dismiss",
        locked,
        practice=locked.client.practice_id,
        instrument=locked.instrument,
        reason_given=True,
    )
    client_changed(locked.client_id, "measures.safety_items")
    return locked


def close_outdated_alerts(now: datetime | None = None) -> int:
    """Close the active deterioration / not-on-track alerts that their client's latest score
    of the measure no longer meets (alerts.close_no_longer_current, as a new score does), one
    transaction and one audit row by the system per alert. Run by the scheduler, so alerts
    raised before the rule existed (or in a seeded practice) leave too. Returns how many."""
    closed = 0
    for admin in alert_rules.outdated_alert_scores():
        with transaction.atomic():
            found = alert_rules.score_findings(admin)
            if found is None:
                continue
            for alert in alert_rules.close_no_longer_current(admin, {str(k) for k, _ in found}):
                audit.record(
                    Actor.system(),
                    "measures.alert_close",
                    alert,
                    practice=admin.client.practice_id,
                    kind=alert.kind,
                    resolution=alert.resolution,
                    administration=admin.pk,
                )
                closed += 1
            client_changed(admin.client_id, "measures")
    return closed


# --- Past scores brought in from a CSV (exchange's scores import) ------------------------------


class ImportRefused(MeasureError):
    """`str(error)` is safe to show; nothing was written."""


@dataclass(frozen=True)
class PastScore:
    """One past score to import: answers by item key, or a total alone (answers None)."""

    client_id: int
    instrument: str
    on: date  # the day it was completed (the practice's local date)
    answers: Mapping[str, int | None] | None
    total: float | None


def _past_episode(episodes: list[Episode], on: date) -> Episode:
    """The episode a past score belongs to: the latest one started by that day; a score from
    before the first episode (the previous service's intake) goes with the first."""
    started = [e for e in episodes if e.start_date <= on]
    return started[-1] if started else episodes[0]


@transaction.atomic
def import_scores(actor: Actor, rows: Sequence[PastScore], **detail: Any) -> list[int]:
    """Write past scores as completed administrations flagged `imported`, scored by the engine
    (a total alone gets its band and caseness from the catalogue), in one transaction with ONE
    audit row ("measures.import") carrying the counts. No alert is raised for them, whatever
    their answers (CLINICAL.md "Imported scores"): they describe the past, and nobody could
    have acted on them then. They count as baselines for reliable change and outcomes.
    A therapist imports for their own clients; an owner for any client of the practice."""
    by = actor.acting_user()
    membership = getattr(by, "membership", None)
    if membership is None or not membership.is_active:
        raise ImportRefused("Only an active member of a practice imports scores.")
    clients = Client.objects.filter(practice_id=membership.practice_id)
    if not membership.is_owner:
        clients = clients.filter(therapist=by)
    client_ids = {row.client_id for row in rows}
    if not client_ids <= set(clients.filter(pk__in=client_ids).values_list("pk", flat=True)):
        raise ImportRefused("A row names a client you may not add scores for.")
    episodes: dict[int, list[Episode]] = {}
    for episode in Episode.objects.filter(client_id__in=client_ids).order_by("start_date", "pk"):
        episodes.setdefault(episode.client_id, []).append(episode)
    tz_name = membership.practice.time_zone or "UTC"
    now = timezone.now()
    admins = []
    for row in rows:
        if row.client_id not in episodes:
            raise ImportRefused("A client has no episode of care to hold the scores; add one.")
        inst = get_instrument(row.instrument)
        episode = _past_episode(episodes[row.client_id], row.on)
        when = min(dated_due_at(row.on, tz_name), now)
        admin = Administration(
            episode=episode,
            client_id=row.client_id,
            instrument=inst.code,
            instrument_version=inst.version,
            status=A.COMPLETED,
            due_at=when,
            window_ends_at=when,
            completed_at=when,
            entered_by=by,
            imported=True,
            session_number=_attended_sessions(episode.pk, when),
        )
        if row.answers is not None:
            _apply_score(admin, inst, normalise_answers(inst, row.answers))
            admin.safety_unanswered = False  # no "ask item 9" prompt for a past score either
        else:
            total = scoring.check_total(inst, row.total, "the total")
            band = inst.band_for(total)
            admin.total, admin.band = float(total), band.name if band else ""
            admin.caseness = scoring.caseness_for(inst, total)
        admins.append(admin)
    Administration.objects.bulk_create(admins, batch_size=500)
    for episode_id in sorted({a.episode_id for a in admins}):
        episode_changed(episode_id)  # the stored outcomes of a finished episode
    for client_id in sorted(client_ids):
        client_changed(client_id, "measures")  # the day's questionnaire reasons
    audit.record(
        actor,
        "measures.import",
        None,
        practice=membership.practice_id,
        administrations=len(admins),
        clients=len(client_ids),
        instruments=sorted({a.instrument for a in admins}),
        **detail,
    )
    return [a.pk for a in admins]
