"""Build the demo practice: its staff, then each client's history, one kind of record at a time.

How it is put together:

- Everything is computed in Python first and written with `bulk_create`, a few hundred clients
  at a time, inside the caller's transaction. The demo password is hashed once and the hash is
  reused for every login.
- Randomness comes from `random.Random` instances seeded with the run's seed, the client's
  number and the kind of record (`ClientHistory.rng("notes")`). The same seed and the same
  `now` therefore give the same data, and a new kind of record added later (scores, plans,
  check-ins) draws from its own stream without changing the records generated before it.
- Each kind of record has its own planning function taking the client's `ClientHistory` and
  returning unsaved model instances (`plan_episodes`, `plan_appointments`, `plan_notes`, …).
  `STEPS` lists them in dependency order; to add a kind, write `plan_x(history)` and add a
  `Step`. Later steps read what earlier ones put on the history (courses, appointments, notes).
- Times are aware datetimes: session times are chosen in Europe/London (08:00 to 19:00 local,
  across summer time changes) and stored in UTC.
- Score histories (measures assigned, questionnaires answered, the alerts they raised) are
  planned in measures.py. The practice deals each treated client a trajectory first
  (`score_deck`), so even the small demo has every kind. Questionnaires are most of the rows
  of a large practice: the ones no alert points at are written by rows.insert_without_ids,
  which skips the ORM's per-value work.
- What happens between sessions (portal logins and check-ins, treatment plans and their
  reviews, homework, the therapist's reflections, clients who drift) is planned in between.py,
  from a `history.Role` per client that the practice deals first (`between.between_deck`).
  Those rows hold encrypted text, so they always go through `bulk_create`. The plan's goals
  are rated 0-10 (measures.plan_goal_ratings), so those questionnaires are planned after the
  plans. Last, the demo therapist's session weights come from demo/wellbeing.py.
"""

from __future__ import annotations

import gc
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import models
from django.db.models import Q
from django.db.models.deletion import ProtectedError

from continuum.accounts.actors import Actor
from continuum.accounts.mfa import enrol_demo_totp
from continuum.accounts.models import Membership, Practice, Role, User
from continuum.audit import log as audit
from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    Client,
    Episode,
    Modality,
    NoteAddendum,
    NoteStatus,
    ProgressNote,
)
from continuum.care.note_formats import FORMATS
from continuum.care.services.notes import clean_sections
from continuum.continuity.attention import rebuild as rebuild_attention
from continuum.demo import between, content
from continuum.demo import measures as demo_measures
from continuum.demo.endings import seed_endings
from continuum.demo.followup import seed_followup
from continuum.demo.history import (
    ClientHistory,
    Course,
    Profile,
    SafetyEvent,
    ScorePlan,
    Slot,
    Story,
    Trajectory,
    week_parity,
)
from continuum.demo.history import Role as BetweenRole
from continuum.demo.rows import insert_without_ids
from continuum.demo.wellbeing import seed_wellbeing
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    MeasureAssignment,
)
from continuum.outcomes.services import backfill as backfill_outcomes
from continuum.plans.models import (
    Goal,
    Homework,
    Intervention,
    InterventionReview,
    TreatmentPlan,
)
from continuum.portal.models import CheckIn, PortalSettings
from continuum.reflections.models import Reflection

LONDON = ZoneInfo(content.PRACTICE_TIME_ZONE)
FIRST_HOUR = 8  # the earliest session starts at 08:00 local
LAST_START_HOUR = 18  # the latest starts at 18:00 and ends by 19:00
WORKDAYS = range(5)  # regular slots are Monday to Friday (see SlotBook.take for today/tomorrow)
BATCH_SIZE = 900  # rows per INSERT; Django lowers it further to stay under SQLite's 999 variables
CLIENTS_PER_CHUNK = 400  # clients planned and written together, to bound memory

# Client counts per therapist are proportional to these weights (owner, therapist, colleague,
# then every further therapist): the default 40 clients split 10 / 18 / 12.
FIXED_STAFF_WEIGHTS = (10, 18, 12)
EXTRA_STAFF_WEIGHT = 15
# therapist@example.org: the demo's login for a therapist's day (drifting clients, the portal
# client, an urgent check-in and the wellbeing pattern are theirs).
DEMO_STAFF = [spec.email for spec in content.FIXED_STAFF].index(between.DEMO_THERAPIST)


# Share of clients with each story; the rest are ACTIVE. Practices of MIN_FOR_EVERY_STORY or
# more clients get at least one of each.
STORY_SHARES = {
    Story.REFERRAL: 0.10,
    Story.ENDING: 0.075,
    Story.ENDED: 0.075,
    Story.CLOSED: 0.05,
    Story.REOPENED: 0.025,
}
MIN_FOR_EVERY_STORY = 8
DROPOUT_RATE = 0.08  # discharged clients who stopped after two or three weeks
# Trajectories of the discharged caseload (the practice's finished episodes): fewer of the
# worsening clients the caseload in care carries for its alerts, about the NHS Talking
# Therapies mix (roughly half of those at caseness recover, a few per cent deteriorate).
DISCHARGED_TRAJECTORIES = {
    Trajectory.IMPROVING: 62,
    Trajectory.LATE: 10,
    Trajectory.FLAT: 23,
    Trajectory.DETERIORATING: 5,
}
DISCHARGED_FIRST_ONLY = 0.07  # answered only at intake: their episode has no paired scores
# Stories with sessions booked in the coming weeks (their clients fill today and tomorrow).
BOOKED_STORIES = (Story.ACTIVE, Story.ENDING, Story.REOPENED)

THEME_WEIGHTS = {
    "low_mood": 5,
    "worry": 5,
    "panic": 2,
    "grief": 2,
    "work_stress": 3,
    "relationships": 3,
    "sleep": 2,
    "trauma": 2,
}
MODALITY_WEIGHTS = {Modality.IN_PERSON: 55, Modality.VIDEO: 40, Modality.PHONE: 5}

# Attendance of past sessions (the first session, a planned last session and an unplanned
# ending's no-shows are fixed): ~86.5% attended, ~8.5% cancelled, ~5% no-show.
NO_SHOW_RATE = 0.05
CANCEL_RATE = 0.085
CANCELLED_BY_WEIGHTS = {CancelledBy.CLIENT: 65, CancelledBy.THERAPIST: 25, CancelledBy.PRACTICE: 10}
FUTURE_CANCEL_RATE = 0.03  # booked sessions the client has already called off
SKIPPED_WEEK_RATE = 0.03  # past weeks with no session at all (holidays, illness, rebooking)
DRAFT_RATE = 0.4  # chance that a recent last session's note is still a draft
DRAFT_WITHIN = timedelta(days=10)
ADDENDUM_RATE = 0.025


# --- Time --------------------------------------------------------------------------------------


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in Europe/London."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def default_now() -> datetime:
    """The current time rounded down to the hour: runs within the same hour match exactly."""
    return datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0)


# --- Weekly session times ------------------------------------------------------------------------


class SlotBook:
    """One therapist's weekly times, handed out so two clients rarely share a session time.

    Each (weekday, hour) has an even-week and an odd-week half: a weekly client takes both, a
    fortnightly one takes one. When a caseload outgrows the week (only in large generated
    practices), further clients get a random weekday time and may overlap.
    """

    def __init__(self) -> None:
        self.free = {
            (weekday, hour, parity)
            for weekday in range(7)
            for hour in range(FIRST_HOUR, LAST_START_HOUR + 1)
            for parity in (0, 1)
        }

    def take(
        self,
        rng: random.Random,
        *,
        weekly: bool,
        weekday: int | None = None,
        parity: int | None = None,
        min_hour: int = FIRST_HOUR,
    ) -> Slot:
        """A free slot; with `weekday` (possibly a weekend day), one on that day if any is left."""
        days = WORKDAYS if weekday is None else (weekday,)
        candidates: list[Slot] = []
        for wd, hour, half in sorted(self.free):
            if wd not in days or hour < min_hour:
                continue
            if weekly:
                if half == 0 and (wd, hour, 1) in self.free:
                    candidates.append(Slot(wd, hour, None))
            elif parity is None or half == parity:
                candidates.append(Slot(wd, hour, half))
        if not candidates:
            if weekday is None:
                weekday = rng.choice(WORKDAYS)
            hour = rng.randint(min(min_hour, LAST_START_HOUR), LAST_START_HOUR)
            if not weekly and parity is None:
                parity = rng.randrange(2)
            return Slot(weekday, hour, None if weekly else parity)
        slot = rng.choice(candidates)
        for half in (0, 1) if slot.parity is None else (slot.parity,):
            self.free.discard((slot.weekday, slot.hour, half))
        return slot


# --- One client's history -----------------------------------------------------------------------


# --- Steps: one planning function per kind of record ---------------------------------------------


def plan_clients(history: ClientHistory) -> list[Client]:
    rng = history.rng("client")
    person = history.profile.person
    contact = content.invent_person(rng)
    has_contact = rng.random() < 0.7
    contact_last = person.last_name if rng.random() < 0.5 else contact.last_name
    history.client = Client(
        practice=history.practice,
        therapist=history.therapist,
        first_name=person.first_name,
        last_name=person.last_name,
        preferred_name=person.preferred_name,
        pronouns=person.pronouns,
        date_of_birth=history.today - timedelta(days=rng.randint(18 * 365 + 5, 72 * 365)),
        email=content.fictional_email(person, history.number) if rng.random() < 0.85 else "",
        phone=content.fictional_phone(rng) if rng.random() < 0.9 else "",
        time_zone=content.PRACTICE_TIME_ZONE,
        emergency_contact_name=(
            f"{contact.first_name} {contact_last} ({rng.choice(content.EMERGENCY_RELATIONS)})"
            if has_contact
            else ""
        ),
        emergency_contact_phone=content.fictional_phone(rng) if has_contact else "",
        created_at=history.now,  # set to the first referral by plan_episodes
    )
    if history.role.portal:  # invited to the portal: they gave an email address
        history.client.email = history.role.login or content.fictional_email(person, history.number)
    return [history.client]


def _referral_reason(rng: random.Random, theme: content.Theme, *, returning: bool) -> str:
    reason = rng.choice(theme.referrals)
    if returning:
        reason = f"returning after a previous course of therapy; {reason}"
    return f"{rng.choice(content.REFERRAL_SOURCES)}: {reason}"


def _session_dates(
    history: ClientHistory, rng: random.Random, start: date, end: date
) -> list[date]:
    """The client's slot dates in [start, end], with a few past weeks missed."""
    dates = list(history.profile.slot.dates(start, end))
    return [
        day
        for i, day in enumerate(dates)
        if i == 0 or day >= history.today or rng.random() >= SKIPPED_WEEK_RATE
    ]


def _episode(
    history: ClientHistory,
    rng: random.Random,
    *,
    referred: date,
    status: EpisodeStatus,
    changed_at: datetime | None = None,
    end_date: date | None = None,
    unplanned: bool = False,
    previous: Episode | None = None,
) -> Episode:
    created_at = min(
        at_local(referred, rng.randint(9, 16), rng.choice((0, 15, 30, 45))), history.now
    )
    return Episode(
        client=history.require_client(),
        therapist=history.therapist,
        referral_reason=_referral_reason(
            rng, history.profile.theme, returning=previous is not None
        ),
        start_date=referred,
        end_date=end_date,
        status=status,
        ended_unplanned=unplanned,
        previous=previous,
        status_changed_at=changed_at or created_at,
        created_at=created_at,
    )


def _finished_course(
    history: ClientHistory,
    rng: random.Random,
    *,
    referred: date,
    last_session: date,
    closed_after_days: int | None,
    previous: Episode | None = None,
) -> Course:
    """A course that ended (planned or not) and, with `closed_after_days`, was then closed."""
    first = referred + timedelta(days=rng.randint(7, 20))
    dates = _session_dates(history, rng, first, last_session) or [first]
    unplanned = len(dates) > 4 and rng.random() < 0.3
    end_date = dates[-1] + timedelta(days=rng.randint(7, 14) if unplanned else 0)
    status = EpisodeStatus.ENDED
    changed_at = at_local(end_date, 17)
    if closed_after_days is not None:
        status = EpisodeStatus.CLOSED
        changed_at = at_local(end_date + timedelta(days=closed_after_days), 10)
    episode = _episode(
        history,
        rng,
        referred=referred,
        status=status,
        changed_at=min(changed_at, history.now),
        end_date=min(end_date, history.today),
        unplanned=unplanned,
        previous=previous,
    )
    # A planned ending spends the last three sessions on it (not the assessment).
    ending_from = dates[-3] if not unplanned and len(dates) > 3 else None
    return Course(episode, dates, ending_from=ending_from, unplanned=unplanned)


def _ongoing_course(
    history: ClientHistory,
    rng: random.Random,
    *,
    referred: date,
    status: EpisodeStatus,
    previous: Episode | None = None,
) -> Course:
    """An active or ending course with sessions up to now and booked for 2 to 4 more weeks."""
    today = history.today
    first = referred + timedelta(days=rng.randint(7, 20))
    booked_until = today + timedelta(days=rng.randint(14, 28))
    if history.role.drifting:  # stopped coming a few weeks ago; nothing booked since
        booked_until = between.drift_booked_until(history)
    dates = _session_dates(history, rng, first, booked_until)
    changed_at = at_local(dates[0], history.profile.slot.hour) if dates else None
    ending_from = None
    if status == EpisodeStatus.ENDING:
        decided = today - timedelta(days=rng.randint(7, 28))
        changed_at = at_local(decided, 17)
        ending_from = decided - timedelta(days=7)
    episode = _episode(
        history,
        rng,
        referred=referred,
        status=status,
        changed_at=min(changed_at, history.now) if changed_at else None,
        previous=previous,
    )
    return Course(episode, dates, ending_from=ending_from)


def plan_episodes(history: ClientHistory) -> list[Episode]:
    rng = history.rng("episodes")
    today = history.today
    story = history.story
    if story == Story.ACTIVE:
        referred = today - timedelta(days=rng.randint(90, 540))
        courses = [_ongoing_course(history, rng, referred=referred, status=EpisodeStatus.ACTIVE)]
    elif story == Story.ENDING:
        referred = today - timedelta(days=rng.randint(180, 540))
        courses = [_ongoing_course(history, rng, referred=referred, status=EpisodeStatus.ENDING)]
    elif story == Story.REFERRAL:
        referred = today - timedelta(days=rng.randint(2, 21))
        # The assessment: the first slot date from tomorrow on (within two weeks).
        assessment = _session_dates(
            history, rng, today + timedelta(days=1), today + timedelta(days=14)
        )
        episode = _episode(history, rng, referred=referred, status=EpisodeStatus.REFERRAL)
        courses = [Course(episode, assessment[:1])]
    elif story == Story.ENDED:
        referred = today - timedelta(days=rng.randint(150, 540))
        last = today - timedelta(days=rng.randint(14, 60))
        courses = [
            _finished_course(
                history, rng, referred=referred, last_session=last, closed_after_days=None
            )
        ]
    elif story in (Story.CLOSED, Story.DISCHARGED):
        if story == Story.CLOSED:
            referred = today - timedelta(days=rng.randint(240, 540))
            last = today - timedelta(days=rng.randint(75, 150))
            closed_after = rng.randint(21, 56)
        else:
            # Ended between 45 days and 18 months ago; a course of 4 to 28 weeks, a few of
            # them dropping out after two or three sessions (those are the unpaired episodes).
            last = today - timedelta(days=rng.randint(45, 545))
            weeks = rng.randint(2, 3) if rng.random() < DROPOUT_RATE else rng.randint(6, 28)
            referred = last - timedelta(days=7 * weeks + rng.randint(10, 20))
            closed_after = rng.randint(14, 35)
        courses = [
            _finished_course(
                history,
                rng,
                referred=referred,
                last_session=last,
                closed_after_days=closed_after,
            )
        ]
    elif story == Story.REOPENED:
        referred = today - timedelta(days=rng.randint(450, 540))
        last = referred + timedelta(days=rng.randint(84, 168))
        earlier = _finished_course(
            history,
            rng,
            referred=referred,
            last_session=last,
            closed_after_days=rng.randint(28, 56),
        )
        again = today - timedelta(days=rng.randint(40, 100))
        courses = [
            earlier,
            _ongoing_course(
                history,
                rng,
                referred=again,
                status=EpisodeStatus.ACTIVE,
                previous=earlier.episode,
            ),
        ]
    else:  # pragma: no cover - every story is handled above
        raise ValueError(f"unknown story {story}")
    history.courses = courses
    history.require_client().created_at = courses[0].episode.created_at
    return [course.episode for course in courses]


def _cancellation(
    rng: random.Random, starts_at: datetime, booked_at: datetime, latest: datetime
) -> datetime:
    """When a session was called off: hours to days before it, after booking, not in the future."""
    when = starts_at - timedelta(minutes=rng.randint(120, 6 * 24 * 60))
    when = max(when, booked_at + (starts_at - booked_at) / 2)
    return min(when, latest)


def plan_appointments(history: ClientHistory) -> list[Appointment]:
    rng = history.rng("appointments")
    profile = history.profile
    now = history.now
    modalities = [m.value for m in Modality]
    client = history.require_client()
    appointments: list[Appointment] = []
    for course in history.courses:
        episode = course.episode
        series = uuid.UUID(int=rng.getrandbits(128), version=4)
        last = len(course.dates) - 1
        for i, day in enumerate(course.dates):
            starts_at = at_local(day, profile.slot.hour)
            duration = 60 if i == 0 else 50  # the first session is a longer assessment
            booked_at = min(max(starts_at - timedelta(days=7), episode.created_at), now)
            modality = profile.modality if rng.random() < 0.9 else rng.choice(modalities)
            appointment = Appointment(
                client=client,
                episode=episode,
                therapist=history.therapist,
                starts_at=starts_at,
                duration_minutes=duration,
                modality=modality,
                series=series,
                created_at=booked_at,
            )
            roll = rng.random()
            if starts_at + timedelta(minutes=duration) > now:
                status = AppointmentStatus.SCHEDULED
                if starts_at > now and i > 0 and roll < FUTURE_CANCEL_RATE:
                    status = AppointmentStatus.CANCELLED
                    appointment.cancelled_by = CancelledBy.CLIENT
            elif course.unplanned and i >= last - 1:
                status = AppointmentStatus.NO_SHOW
            elif history.role.drifting and i == last and i > 1:
                status = AppointmentStatus.CANCELLED  # called off, and not rebooked
                appointment.cancelled_by = CancelledBy.CLIENT
            elif i == 0 or (i == last and not course.unplanned):
                status = AppointmentStatus.ATTENDED
            elif roll < NO_SHOW_RATE:
                status = AppointmentStatus.NO_SHOW
            elif roll < NO_SHOW_RATE + CANCEL_RATE:
                status = AppointmentStatus.CANCELLED
                appointment.cancelled_by = _weighted(rng, CANCELLED_BY_WEIGHTS)
            else:
                status = AppointmentStatus.ATTENDED
            appointment.status = status
            if status == AppointmentStatus.CANCELLED:
                appointment.cancelled_at = _cancellation(rng, starts_at, booked_at, now)
                appointment.cancelled_by_user = history.therapist
            appointments.append(appointment)
    history.appointments = appointments
    return appointments


def plan_notes(history: ClientHistory) -> list[ProgressNote]:
    """A note for every attended session: signed, except perhaps the most recent one."""
    rng = history.rng("notes")
    profile = history.profile
    now = history.now
    client = history.require_client()
    notes: list[ProgressNote] = []
    for course in history.courses:
        sessions = [a for a in history.appointments if a.episode is course.episode]
        if not sessions:
            continue
        first_day, last_day = course.dates[0], course.dates[-1]
        span = max((last_day - first_day).days, 1)
        for index, appointment in enumerate(sessions):
            if appointment.status != AppointmentStatus.ATTENDED:
                continue
            day = appointment.starts_at.astimezone(LONDON).date()
            if index == 0:
                phase = "first"
            elif course.ending_from is not None and day >= course.ending_from:
                phase = "ending"
            else:
                phase = "middle"
            text = content.compose_note(
                rng,
                fmt=profile.note_format,
                theme=profile.theme,
                second_theme=profile.second_theme,
                intervention=profile.intervention,
                phase=phase,
                progress=(day - first_day).days / span,
                modality=appointment.modality,
            )
            ends_at = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
            written = min(ends_at + timedelta(minutes=rng.randint(10, 180)), now)
            signed = min(max(ends_at + timedelta(minutes=rng.randint(60, 48 * 60)), written), now)
            notes.append(
                ProgressNote(
                    appointment=appointment,
                    client=client,
                    author=history.therapist,
                    format=profile.note_format,
                    sections=clean_sections(profile.note_format, text.sections),
                    next_session_plan=text.next_session_plan,
                    status=NoteStatus.SIGNED,
                    signed_at=signed,
                    signed_by=history.therapist,
                    created_at=written,
                    updated_at=signed,
                )
            )
    if (
        notes
        and history.story in BOOKED_STORIES
        and notes[-1].appointment.starts_at >= now - DRAFT_WITHIN
        and rng.random() < DRAFT_RATE
    ):
        draft = notes[-1]
        draft.status, draft.signed_at, draft.signed_by = NoteStatus.DRAFT, None, None
        draft.updated_at = draft.created_at
    history.notes = notes
    return notes


def plan_addenda(history: ClientHistory) -> list[NoteAddendum]:
    """A few signed notes get a short addendum, written after signing."""
    rng = history.rng("addenda")
    addenda: list[NoteAddendum] = []
    for note in history.notes:
        if note.signed_at is None or rng.random() >= ADDENDUM_RATE:
            continue
        written = note.signed_at + timedelta(minutes=rng.randint(120, 5 * 24 * 60))
        if written > history.now:
            continue
        addenda.append(
            NoteAddendum(
                note=note,
                author=history.therapist,
                text=rng.choice(content.ADDENDA),
                created_at=written,
            )
        )
    history.addenda = addenda
    return addenda


def plan_measure_assignments(history: ClientHistory) -> list[MeasureAssignment]:
    """Measures and their scores (demo/measures.py): plans the administrations and
    alerts too, which the next two steps hand over."""
    demo_measures.plan_measures(history)
    return history.assignments


def plan_alerted_administrations(history: ClientHistory) -> list[Administration]:
    return history.alerted_administrations


def plan_administrations(history: ClientHistory) -> list[Administration]:
    return history.administrations


def plan_alerts(history: ClientHistory) -> list[Alert]:
    return history.alerts


def plan_goal_rating_assignments(history: ClientHistory) -> list[MeasureAssignment]:
    """Goal ratings of the treatment plan's goals (demo/measures.py): plans their
    administrations too, which the next step hands over."""
    demo_measures.plan_goal_ratings(history)
    return history.goal_assignments


def plan_goal_rating_administrations(history: ClientHistory) -> list[Administration]:
    return history.goal_administrations


def _no_preparation(objs: Sequence[Any]) -> None:
    return None


def _insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """bulk_create, which sets each row's id (later steps' rows point at these).

    Rows that point at rows of their own kind (a re-opened episode at its predecessor, a plan
    version at the one before, an adapted intervention at its origin) go in generations: a
    row is written once every row it points at has its id.
    """
    own = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is model and not f.primary_key
    ]
    pending = list(objs)
    while pending:
        ready = [obj for obj in pending if all(_saved(obj, name) for name in own)]
        if not ready:  # pragma: no cover - the planners never make a cycle
            raise ValueError(f"{model.__name__} rows point at each other in a cycle")
        model._default_manager.bulk_create(ready, batch_size=BATCH_SIZE)
        done = {id(obj) for obj in ready}
        pending = [obj for obj in pending if id(obj) not in done]


def _saved(obj: models.Model, name: str) -> bool:
    """Whether the object `obj.<name>` points at (if any) has its id."""
    related = obj._state.fields_cache.get(name)
    return related is None or related.pk is not None


@dataclass(frozen=True)
class Step:
    name: str
    model: type[models.Model]
    plan: Callable[[ClientHistory], Sequence[models.Model]]
    # Runs on the planned rows just before they are inserted (earlier steps' rows are saved).
    before_insert: Callable[[Sequence[Any]], None] = _no_preparation
    # How the rows are written: `_insert` (ids read back) unless nothing points at them.
    insert: Callable[[type[models.Model], Sequence[models.Model]], None] = _insert


# In dependency order: each step may use what the earlier ones left on the history.
STEPS: tuple[Step, ...] = (
    Step("clients", Client, plan_clients),
    Step("episodes", Episode, plan_episodes),
    Step("appointments", Appointment, plan_appointments),
    Step("notes", ProgressNote, plan_notes),
    Step("addenda", NoteAddendum, plan_addenda),
    Step("assignments", MeasureAssignment, plan_measure_assignments),
    # Questionnaires are most of the rows: only those an alert points at need their ids.
    Step("administrations", Administration, plan_alerted_administrations),
    Step("administrations", Administration, plan_administrations, insert=insert_without_ids),
    # Alert causes name the administration's id, known once the administrations are saved.
    Step("alerts", Alert, plan_alerts, before_insert=demo_measures.fill_alert_causes),
    # Between sessions (between.py): portal logins first (the plan records when the client
    # acknowledged it), then plans with their goals, interventions and reviews, homework
    # linked to them, the therapist's reflections and the client's check-ins.
    Step("portal_logins", User, between.plan_portal_logins),
    Step("portal_clients", Client, between.plan_portal_clients, insert=between.link_logins),
    Step("portal_settings", PortalSettings, between.plan_portal_settings),
    Step("plans", TreatmentPlan, between.plan_treatment_plans),
    Step("goals", Goal, between.plan_goals),
    # Goal ratings ask about the plan's goals in its words: planned once the plans are. No
    # alert points at them (ratings that rise raise none), so no ids are read back.
    Step("assignments", MeasureAssignment, plan_goal_rating_assignments),
    Step(
        "administrations",
        Administration,
        plan_goal_rating_administrations,
        insert=insert_without_ids,
    ),
    Step("interventions", Intervention, between.plan_interventions),
    Step("intervention_goals", Intervention.goals.through, between.plan_goal_links),
    Step("reviews", InterventionReview, between.plan_reviews),
    Step("homework", Homework, between.plan_homework),
    Step("reflections", Reflection, between.plan_reflections),
    Step("checkins", CheckIn, between.plan_checkins),
)


# --- The practice ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOptions:
    therapists: int = 3
    clients: int = 40
    seed: int = 1
    # Past clients whose course ended and was closed (Story.DISCHARGED), spread over the
    # therapists like the clients in care. Their numbers come after the clients in care, so
    # adding them changes nothing generated for the others. seed_demo's default gives the
    # outcomes page enough finished episodes per therapist to show rates, not suppressed cells.
    discharged: int = 0
    now: datetime = field(default_factory=default_now)


@dataclass
class DemoResult:
    practice: Practice
    staff_emails: list[str]
    counts: Counter[str]
    client_login: str | None = None  # the fixed portal login, when the demo has one


class DemoInUse(Exception):
    """The demo practice cannot be deleted (it has audit history, or other records need it)."""


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder; ties to the earlier)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def story_deck(total: int, rng: random.Random) -> list[Story]:
    """One story per client, shuffled: mostly active, a few of every other kind."""
    deck: list[Story] = []
    for story, share in STORY_SHARES.items():
        count = round(total * share)
        if total >= MIN_FOR_EVERY_STORY:
            count = max(count, 1)
        deck += [story] * count
    deck += [Story.ACTIVE] * (total - len(deck))
    rng.shuffle(deck)
    return deck


def staff_weights(therapists: int) -> list[int]:
    return list(FIXED_STAFF_WEIGHTS) + [EXTRA_STAFF_WEIGHT] * (therapists - 3)


def demo_logins() -> list[str]:
    """The fixed logins: the three staff and the portal client."""
    return [spec.email for spec in content.FIXED_STAFF] + [content.CLIENT_LOGIN]


def client_login_exists() -> bool:
    """Whether the fixed portal login belongs to a client of the demo practice."""
    return Client.objects.filter(
        practice__name=content.PRACTICE_NAME, user__email=content.CLIENT_LOGIN
    ).exists()


def demo_exists() -> bool:
    return (
        Practice.objects.filter(name=content.PRACTICE_NAME).exists()
        or User.objects.filter(email__in=demo_logins()).exists()
    )


def _build_staff(
    practice: Practice, therapists: int, rng: random.Random, password: str
) -> tuple[list[User], list[str]]:
    """Users and memberships; the first three are the fixed logins. Returns users, formats."""
    specs = list(content.FIXED_STAFF)
    formats = list(FORMATS)
    for number in range(4, therapists + 1):
        person = content.invent_person(rng)
        specs.append(
            content.StaffSpec(
                content.extra_staff_email(number),
                f"{person.first_name} {person.last_name}",
                False,
                formats[number % len(formats)],
            )
        )
    users = User.objects.bulk_create(
        [
            User(
                email=spec.email,
                full_name=spec.full_name,
                time_zone=content.PRACTICE_TIME_ZONE,
                password=password,
                date_joined=practice.created_at,
            )
            for spec in specs
        ],
        batch_size=BATCH_SIZE,
    )
    owner = users[0]
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                practice=practice,
                role=Role.OWNER if spec.is_owner else Role.THERAPIST,
                is_clinical=True,
                invited_by=None if spec.is_owner else owner,
                created_at=practice.created_at,
            )
            for user, spec in zip(users, specs, strict=True)
        ],
        batch_size=BATCH_SIZE,
    )
    # Demo data only: every staff login gets a TOTP device with the fixed demo secret that
    # `make demo` prints, so a newcomer can log in with any authenticator app.
    for user in users:
        enrol_demo_totp(user)
    return users, [spec.note_format for spec in specs]


@dataclass
class _PracticePlan:
    """What the practice decides before any client is planned."""

    therapist_of: list[int]  # client number → staff index
    stories: list[Story]
    books: list[SlotBook]
    formats: list[str]  # staff index → usual note format
    priority: dict[int, date]  # client number → the day (today or tomorrow) they are seen
    score_plans: list[ScorePlan | None]  # client number → their score history's shape
    roles: list[BetweenRole]  # client number → what happens between their sessions
    names: set[tuple[str, str]] = field(default_factory=set)


def _plan_practice(options: DemoOptions, formats: list[str], rng: random.Random) -> _PracticePlan:
    counts = apportion(options.clients, staff_weights(options.therapists))
    therapist_of = [staff for staff, count in enumerate(counts) for _ in range(count)]
    rng.shuffle(therapist_of)
    stories = story_deck(options.clients, rng)
    in_care = len(stories)
    # Each therapist's first two booked clients are seen today, the next two tomorrow, so the
    # day and week views have something in them whatever day the demo is built.
    today = options.now.astimezone(LONDON).date()
    days = [today, today, today + timedelta(days=1), today + timedelta(days=1)]
    priority: dict[int, date] = {}
    seen: Counter[int] = Counter()
    for number, (staff, story) in enumerate(zip(therapist_of, stories, strict=True)):
        if story in BOOKED_STORIES and seen[staff] < len(days):
            priority[number] = days[seen[staff]]
            seen[staff] += 1
    books = [SlotBook() for _ in counts]
    score_plans = score_deck(stories, options.seed)
    # The discharged caseload comes after, from its own streams (the above is unchanged).
    past_rng = random.Random(f"{options.seed}:discharged")
    past_counts = apportion(options.discharged, staff_weights(options.therapists))
    past_staff = [staff for staff, count in enumerate(past_counts) for _ in range(count)]
    past_rng.shuffle(past_staff)
    therapist_of += past_staff
    stories += [Story.DISCHARGED] * options.discharged
    score_plans += discharged_deck(options.discharged, past_rng)
    plain_active = [
        story == Story.ACTIVE and plan is not None and plan.safety is None and not plan.overdue
        for story, plan in zip(stories, score_plans, strict=True)
    ]
    roles = (
        between.between_deck(
            options.seed,
            therapist_of=therapist_of[:in_care],
            open_course=[story in BOOKED_STORIES for story in stories[:in_care]],
            plain_active=plain_active[:in_care],
            seen_soon=set(priority),
            demo_staff=DEMO_STAFF,
        )
        + [BetweenRole()] * options.discharged
    )
    return _PracticePlan(therapist_of, stories, books, formats, priority, score_plans, roles)


def score_deck(stories: Sequence[Story], seed: int) -> list[ScorePlan | None]:
    """Each treated client's trajectory, dealt from a shuffled deck in the shares of
    measures.TRAJECTORY_WEIGHTS, and the few with a safety answer or an overdue measure.

    Draws from its own stream, so adding score histories changed nothing generated before.
    """
    rng = random.Random(f"{seed}:score-deck")
    treated = [n for n, story in enumerate(stories) if story != Story.REFERRAL]
    kinds = list(demo_measures.TRAJECTORY_WEIGHTS)
    counts = apportion(len(treated), [demo_measures.TRAJECTORY_WEIGHTS[k] for k in kinds])
    deck: list[Trajectory] = [
        kind for kind, count in zip(kinds, counts, strict=True) for _ in range(count)
    ]
    rng.shuffle(deck)
    plans: list[ScorePlan | None] = [None] * len(stories)
    for number, kind in zip(treated, deck, strict=True):
        plans[number] = ScorePlan(kind)
    # A safety answer: clients still in therapy, so the alert has a therapist to act on it.
    booked = [n for n in treated if stories[n] in BOOKED_STORIES]
    wanted = round(len(stories) * demo_measures.SAFETY_SHARE)
    safety = rng.sample(booked, min(max(wanted, 1 if booked else 0), len(booked)))
    recent = max(1, round(len(safety) * demo_measures.RECENT_SAFETY_SHARE)) if safety else 0
    for position, number in enumerate(safety):
        event = SafetyEvent.RECENT if position < recent else SafetyEvent.EARLIER
        plans[number] = replace(_plan_of(plans, number), safety=event)
    # One client in therapy left item 9 blank at their latest PHQ-9 (its own stream, so the
    # rest of the deck is drawn as before).
    others = [n for n in booked if n not in safety]
    if others:
        number = random.Random(f"{seed}:unanswered-item-9").choice(others)
        plans[number] = replace(_plan_of(plans, number), safety=SafetyEvent.UNANSWERED)
    active = [n for n in treated if stories[n] == Story.ACTIVE]
    wanted = max(demo_measures.MIN_OVERDUE, round(len(stories) * demo_measures.OVERDUE_SHARE))
    for number in rng.sample(active, min(wanted, len(active))):
        plans[number] = replace(_plan_of(plans, number), overdue=True)
    return plans


def discharged_deck(total: int, rng: random.Random) -> list[ScorePlan | None]:
    """The discharged caseload's trajectories, dealt like score_deck's (no safety answers or
    overdue questionnaires: their courses are long closed)."""
    kinds = list(DISCHARGED_TRAJECTORIES)
    counts = apportion(total, [DISCHARGED_TRAJECTORIES[k] for k in kinds])
    deck: list[ScorePlan | None] = [
        ScorePlan(kind, first_only=rng.random() < DISCHARGED_FIRST_ONLY)
        for kind, count in zip(kinds, counts, strict=True)
        for _ in range(count)
    ]
    rng.shuffle(deck)
    return deck


def _plan_of(plans: list[ScorePlan | None], number: int) -> ScorePlan:
    plan = plans[number]
    if plan is None:  # pragma: no cover - only treated clients are chosen
        raise LookupError("only treated clients have a score plan")
    return plan


def _profile(plan: _PracticePlan, number: int, rng: random.Random, now: datetime) -> Profile:
    person = content.invent_person(rng)
    for _ in range(20):  # avoid two clients with the same name where the name pool allows
        if (person.first_name, person.last_name) not in plan.names:
            break
        person = content.invent_person(rng)
    plan.names.add((person.first_name, person.last_name))
    theme = content.THEMES[_weighted(rng, THEME_WEIGHTS)]
    second_theme = None
    if rng.random() < 0.4:
        second_theme = content.THEMES[rng.choice([k for k in THEME_WEIGHTS if k != theme.key])]
    # A theme's first two interventions are its usual ones: three times as likely as the rest.
    keys = theme.interventions[:2] * 2 + theme.interventions
    intervention = content.INTERVENTIONS[rng.choice(keys)]
    weekly = rng.random() < 0.65
    staff = plan.therapist_of[number]
    note_format = plan.formats[staff]
    if rng.random() < 0.15:
        note_format = rng.choice(list(FORMATS))
    book = plan.books[staff]
    day = plan.priority.get(number)
    if day is None:
        slot = book.take(rng, weekly=weekly)
    else:
        local_now = now.astimezone(LONDON)
        # Today's sessions start after now; after 18:00 they can only be earlier today.
        min_hour = FIRST_HOUR
        if day == local_now.date() and local_now.hour + 1 <= LAST_START_HOUR:
            min_hour = max(FIRST_HOUR, local_now.hour + 1)
        slot = book.take(
            rng, weekly=weekly, weekday=day.weekday(), parity=week_parity(day), min_hour=min_hour
        )
    return Profile(
        person=person,
        theme=theme,
        second_theme=second_theme,
        intervention=intervention,
        weekly=weekly,
        modality=_weighted(rng, MODALITY_WEIGHTS),
        note_format=note_format,
        slot=slot,
    )


def build_demo(options: DemoOptions) -> DemoResult:
    """Create the demo practice. Call inside a transaction; the caller checks `demo_exists()`.

    The cyclic garbage collector's automatic passes are paused meanwhile (it runs once per
    chunk of clients instead): the planned rows are hundreds of thousands of objects, and
    repeated full passes over them cost about a sixth of a large practice's time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_demo(options)
    finally:
        if paused:
            gc.enable()


def _build_demo(options: DemoOptions) -> DemoResult:
    if options.therapists < 3:
        raise ValueError("the demo needs at least three therapists (the three demo logins)")
    if options.now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime")
    rng = random.Random(options.seed)
    today = options.now.astimezone(LONDON).date()
    practice = Practice.objects.create(
        name=content.PRACTICE_NAME,
        time_zone=content.PRACTICE_TIME_ZONE,
        created_at=min(at_local(today - timedelta(days=600), 9), options.now),
    )
    password = make_password(content.DEMO_PASSWORD)  # hashed once, shared by every login
    staff, formats = _build_staff(practice, options.therapists, rng, password)
    plan = _plan_practice(options, formats, rng)
    counts: Counter[str] = Counter(staff=len(staff))
    client_login = None
    total = options.clients + options.discharged
    for start in range(0, total, CLIENTS_PER_CHUNK):
        histories = []
        for number in range(start, min(start + CLIENTS_PER_CHUNK, total)):
            history_rng = random.Random(f"{options.seed}:{number}:profile")
            histories.append(
                ClientHistory(
                    number=number,
                    seed=options.seed,
                    now=options.now,
                    practice=practice,
                    therapist=staff[plan.therapist_of[number]],
                    story=plan.stories[number],
                    profile=_profile(plan, number, history_rng, options.now),
                    score_plan=plan.score_plans[number],
                    role=plan.roles[number],
                    portal_password=password,
                )
            )
        planned = [(step, [obj for h in histories for obj in step.plan(h)]) for step in STEPS]
        for step, objs in planned:
            step.before_insert(objs)
            step.insert(step.model, objs)
            counts[step.name] += len(objs)
            _count_details(counts, objs, options.now)
        for history in histories:
            counts["clients.drifting"] += history.role.drifting
            counts["clients.discharged"] += history.story == Story.DISCHARGED
            if history.role.login and history.between.portal is not None:
                client_login = history.role.login
        del histories, planned
        gc.collect()  # once per chunk instead of many passes over every live row
    # The demo therapist's own load: 12 weeks of session weights (demo/wellbeing.py).
    counts.update(seed_wellbeing(practice, options.now, random.Random(f"{options.seed}:wellbeing")))
    # Ending well and after (issue 5): a planned ending with tapering, contact policies, and
    # two clients in consented follow-up (one well, one who asked for a booster).
    counts.update(seed_endings(practice, options.now, random.Random(f"{options.seed}:endings")))
    counts.update(seed_followup(practice, options.now, random.Random(f"{options.seed}:followup")))
    # The stored outcomes of every finished episode, from the rows just written (issue 17).
    counts["outcomes"] = backfill_outcomes(practice.pk)
    # The day's attention table (continuity.attention): every client's reasons, as the
    # actions would have kept them.
    counts["attention"] = rebuild_attention(
        options.now, clients=Client.objects.filter(practice=practice)
    )
    audit.record(
        Actor.system(),
        "demo.seed",
        practice,
        seed=options.seed,
        therapists=options.therapists,
        clients=options.clients,
        discharged=options.discharged,
    )
    return DemoResult(practice, [u.email for u in staff], counts, client_login)


def _count_details(counts: Counter[str], objs: Sequence[models.Model], now: datetime) -> None:
    today = now.astimezone(LONDON).date()
    for obj in objs:
        if isinstance(obj, Appointment):
            counts[f"appointments.{obj.status}"] += 1
        elif isinstance(obj, ProgressNote):
            counts[f"notes.{obj.status}"] += 1
            counts[f"notes.{obj.format}"] += 1
        elif isinstance(obj, Administration):
            counts[f"administrations.{obj.status}"] += 1
            counts[f"administrations.{obj.instrument}"] += 1
            if (
                obj.instrument == demo_measures.GOAL_RATING
                and obj.status == AdministrationStatus.COMPLETED
            ):
                counts["goal_ratings.completed"] += 1
            if obj.status == AdministrationStatus.PENDING and obj.window_ends_at < now:
                counts["administrations.overdue"] += 1
        elif isinstance(obj, Alert):
            counts[f"alerts.{obj.kind}"] += 1
            counts[f"alerts.{obj.status}"] += 1
            counts[f"alerts.{obj.kind}.{obj.status}"] += 1
        else:
            between.count(counts, obj, now, today)


def delete_demo() -> int | None:
    """Delete the demo practice and everyone in it; returns its id (None if there was none).

    Audit rows are append-only and point at users and practices, so a demo that anyone has
    used (logged in, opened a record) cannot be deleted: DemoInUse says to start from a fresh
    database instead.
    """
    practice = Practice.objects.filter(name=content.PRACTICE_NAME).first()
    in_demo = Q(email__in=demo_logins())
    audited = Q(actor__email__in=demo_logins())
    if practice is not None:
        # Staff, and the clients' portal logins.
        in_demo |= Q(membership__practice=practice) | Q(client_profile__practice=practice)
        audited |= (
            Q(actor__membership__practice=practice)
            | Q(actor__client_profile__practice=practice)
            | Q(practice=practice)
        )
    users = User.objects.filter(in_demo)
    elsewhere = users.filter(membership__isnull=False)
    if practice is not None:
        elsewhere = elsewhere.exclude(membership__practice=practice)
    if elsewhere.exists():
        raise DemoInUse("a demo login belongs to another practice; use a fresh database")
    if AuditEvent.objects.filter(audited).exists():
        raise DemoInUse(
            "the demo practice has audit history, which is never deleted; "
            "use a fresh database to rebuild it"
        )
    practice_id = practice.pk if practice is not None else None
    try:
        if practice is not None:
            # Reflections protect their client and author; plans, reviews and homework their
            # authors. Alerts, questionnaires, notes and addenda protect what they point at
            # (their therapists, their appointments). So they go first.
            Reflection.objects.filter(client__practice=practice).delete()
            CheckIn.objects.filter(client__practice=practice).delete()
            Homework.objects.filter(client__practice=practice).delete()
            InterventionReview.objects.filter(
                intervention__plan__client__practice=practice
            ).delete()
            TreatmentPlan.objects.filter(client__practice=practice).delete()
            Alert.objects.filter(client__practice=practice).delete()
            Administration.objects.filter(client__practice=practice).delete()
            MeasureAssignment.objects.filter(episode__client__practice=practice).delete()
            NoteAddendum.objects.filter(note__client__practice=practice).delete()
            ProgressNote.objects.filter(client__practice=practice).delete()
            Appointment.objects.filter(client__practice=practice).delete()
            Episode.objects.filter(client__practice=practice).delete()
            # The clients' portal logins, while they can still be found through the client.
            User.objects.filter(client_profile__practice=practice).delete()
            Client.objects.filter(practice=practice).delete()
        users.delete()
        if practice is not None:
            practice.delete()
    except ProtectedError as exc:
        raise DemoInUse(
            "other records still point at the demo practice; use a fresh database to rebuild it"
        ) from exc
    if practice_id is not None:
        audit.record(Actor.system(), "demo.delete", None, practice_id=practice_id)
    return practice_id
