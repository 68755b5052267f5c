"""Query builders for the caseload and the client timeline.

Both pages run a fixed number of queries however large the caseload or the history is: the
caseload puts everything it shows into one query with correlated subqueries, and the timeline
reads three narrow, sliced querysets and merges them in Python.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, cast, overload

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from continuum import sql
from continuum.accounts.models import User
from continuum.accounts.paths import path_for_ids
from continuum.care.access import clients_for
from continuum.care.episodes import LABELS, OPEN_STATUSES, EpisodeStatus
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    Client,
    Episode,
    Modality,
    NoteStatus,
    ProgressNote,
    treated_by_sql,
)
from continuum.care.note_formats import FORMATS
from continuum.lib.contributions import DayItem, Rank

# --- The current episode -------------------------------------------------------------------


def current_episode_first(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    """Order a client's episodes so the current one comes first.

    The current episode is the open one (a client has at most one), otherwise the latest.
    """
    return episodes.annotate(
        is_open_rank=Case(
            When(status__in=[str(s) for s in OPEN_STATUSES], then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("-is_open_rank", "-start_date", "-pk")


# --- The caseload --------------------------------------------------------------------------

# Query-string values → ordering. Nothing else reaches order_by().
_BY_NAME = (Lower("last_name"), Lower("first_name"))
CASELOAD_SORTS: dict[str, list[OrderBy | Any]] = {
    "name": [e.asc() for e in _BY_NAME] + [F("pk").asc()],
    "-name": [e.desc() for e in _BY_NAME] + [F("pk").desc()],
    "last": [F("last_at").asc(nulls_last=True), *(e.asc() for e in _BY_NAME), F("pk").asc()],
    "-last": [F("last_at").desc(nulls_last=True), *(e.asc() for e in _BY_NAME), F("pk").asc()],
    "next": [F("next_at").asc(nulls_last=True), *(e.asc() for e in _BY_NAME), F("pk").asc()],
    "-next": [F("next_at").desc(nulls_last=True), *(e.asc() for e in _BY_NAME), F("pk").asc()],
}
DEFAULT_SORT = "name"

# Status filter values: every episode status, plus "all" and "none" (no episode yet).
STATUS_ALL = "all"
STATUS_NONE = "none"
CASELOAD_STATUS_FILTERS: dict[str, str] = {
    STATUS_ALL: "All clients",
    **{str(s): LABELS[s] for s in EpisodeStatus},
    STATUS_NONE: "No episode yet",
}

# "Last session": an attended appointment, or a past one not yet marked attended or not.
LAST_SESSION_STATUSES = (AppointmentStatus.ATTENDED, AppointmentStatus.SCHEDULED)

SEARCH_MAX_TERMS = 5


def caseload(
    user: User, *, now: datetime, status: str = STATUS_ALL, q: str = "", sort: str = DEFAULT_SORT
) -> QuerySet[Client]:
    """The clients `user` treats, annotated with what the caseload shows.

    Annotations: `episode_status` and `current_episode_id` (the current episode, see
    `current_episode_first`), `last_at` (the last session before `now`), `next_at` and
    `next_id` (the next scheduled appointment from `now`). `status` and `sort` must be keys
    of CASELOAD_STATUS_FILTERS and CASELOAD_SORTS (the view validates them first).
    """
    if status not in CASELOAD_STATUS_FILTERS:
        raise ValueError("unknown caseload status filter")
    if sort not in CASELOAD_SORTS:
        raise ValueError("unknown caseload sort")

    current = current_episode_first(Episode.objects.filter(client=OuterRef("pk")))
    last = Appointment.objects.filter(
        client=OuterRef("pk"), starts_at__lt=now, status__in=LAST_SESSION_STATUSES
    ).order_by("-starts_at", "-pk")
    upcoming = Appointment.objects.filter(
        client=OuterRef("pk"), starts_at__gte=now, status=AppointmentStatus.SCHEDULED
    ).order_by("starts_at", "pk")
    clients = clients_for(user).annotate(
        episode_status=Subquery(current.values("status")[:1]),
        current_episode_id=Subquery(current.values("pk")[:1]),
        last_at=Subquery(last.values("starts_at")[:1]),
        next_at=Subquery(upcoming.values("starts_at")[:1]),
        next_id=Subquery(upcoming.values("pk")[:1]),
    )
    if status == STATUS_NONE:
        clients = clients.filter(episode_status__isnull=True)
    elif status != STATUS_ALL:
        clients = clients.filter(episode_status=status)
    for term in q.split()[:SEARCH_MAX_TERMS]:
        clients = clients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(preferred_name__icontains=term)
        )
    return cast("QuerySet[Client]", clients.order_by(*CASELOAD_SORTS[sort]))


@dataclass(frozen=True)
class CaseloadRow:
    """A client from `caseload()` with the label of their current episode's status and the
    paths the row links to ("" where there is nothing to link to)."""

    client: Client
    status_label: str
    client_url: str
    episode_url: str
    next_url: str


def caseload_rows(clients: Iterable[Client]) -> list[CaseloadRow]:
    client_path = path_for_ids("care:client_detail", "client_id")
    episode_path = path_for_ids("care:episode_detail", "episode_id")
    appointment_path = path_for_ids("care:appointment_detail", "appointment_id")
    rows = []
    for client in clients:
        annotated: Any = client  # annotated by caseload()
        status = annotated.episode_status
        label = LABELS[EpisodeStatus(status)] if status in _STATUS_VALUES else ""
        episode_id, next_id = annotated.current_episode_id, annotated.next_id
        rows.append(
            CaseloadRow(
                client=client,
                status_label=label,
                client_url=client_path(client.pk),
                episode_url=episode_path(episode_id) if episode_id else "",
                next_url=appointment_path(next_id) if next_id else "",
            )
        )
    return rows


_STATUS_VALUES = frozenset(str(s) for s in EpisodeStatus)


# --- The client timeline -------------------------------------------------------------------

EPISODE_STARTED = "episode_started"
EPISODE_ENDED = "episode_ended"
APPOINTMENT = "appointment"  # with its signed note, when it has one: one item (issue 14)

# Among events at the same instant, which comes later (shown higher, newest first).
_RANK = {EPISODE_STARTED: 0, APPOINTMENT: 1, EPISODE_ENDED: 3}

_END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class TimelineItem:
    """One event in a client's history. `at` orders the timeline; `day` is set for events
    that have a date but no time (episode starts and ends). An appointment carries its signed
    note (`note_id`, `note_format`, `note_signed_at`), so the two read as one item."""

    kind: str
    at: datetime
    object_id: int
    status: str = ""
    status_label: str = ""
    day: date | None = None
    unplanned: bool = False
    modality: str = ""
    modality_label: str = ""
    duration_minutes: int = 0
    note_id: int | None = None
    note_format: str = ""
    note_signed_at: datetime | None = None

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[self.kind], self.object_id)

    @property
    def url(self) -> str:
        """Where the item links to: its episode, appointment or note."""
        name, kwarg = _ITEM_ROUTES[self.kind]
        return reverse(name, kwargs={kwarg: self.object_id})

    @property
    def note_url(self) -> str:
        return reverse("care:note_detail", kwargs={"note_id": self.note_id}) if self.note_id else ""


_ITEM_ROUTES = {
    EPISODE_STARTED: ("care:episode_detail", "episode_id"),
    EPISODE_ENDED: ("care:episode_detail", "episode_id"),
    APPOINTMENT: ("care:appointment_detail", "appointment_id"),
}


def _episode_items(rows: Iterable[Mapping[str, Any]], tz: tzinfo) -> list[TimelineItem]:
    items = []
    for row in rows:
        status = row["status"]
        label = LABELS.get(EpisodeStatus(status), status)
        items.append(
            TimelineItem(
                kind=EPISODE_STARTED,
                at=datetime.combine(row["start_date"], time.min, tzinfo=tz),
                object_id=row["pk"],
                status=status,
                status_label=label,
                day=row["start_date"],
            )
        )
        if row["end_date"] is not None:
            items.append(
                TimelineItem(
                    kind=EPISODE_ENDED,
                    at=datetime.combine(row["end_date"], _END_OF_DAY, tzinfo=tz),
                    object_id=row["pk"],
                    status=status,
                    status_label=label,
                    day=row["end_date"],
                    unplanned=row["ended_unplanned"],
                )
            )
    items.sort(key=lambda item: item.sort_key, reverse=True)
    return items


def _signed_note(row: Mapping[str, Any]) -> dict[str, Any]:
    """The appointment's note fields of its timeline item: only a signed note shows."""
    if row["note__pk"] is None or row["note__status"] != NoteStatus.SIGNED:
        return {}
    fmt = row["note__format"]
    return {
        "note_id": row["note__pk"],
        "note_format": FORMATS[fmt].name if fmt in FORMATS else fmt,
        "note_signed_at": row["note__signed_at"],
    }


class ClientTimeline:
    """A client's episodes and appointments (each with its signed note), newest first,
    sliceable.

    Shaped for django.core.paginator.Paginator: `count()` is one query and each slice is two
    (episodes, appointments joined to their notes), whatever the length of the history. To
    return items [start:stop] each source reads at most `stop` rows, already in order, and
    heapq.merge interleaves them. Drafts are not part of the timeline.
    """

    def __init__(self, client: Client, tz: tzinfo) -> None:
        self.client = client
        self.tz = tz

    def _episodes(self) -> QuerySet[Episode]:
        return Episode.objects.filter(client=self.client)

    def _appointments(self) -> QuerySet[Appointment]:
        return Appointment.objects.filter(client=self.client)

    def count(self) -> int:
        def counted(qs: QuerySet[Any], field: str = "pk") -> Coalesce:
            per_client = qs.order_by().values("client").annotate(n=Count(field)).values("n")
            return Coalesce(Subquery(per_client), 0)

        totals = (
            Client.objects.filter(pk=self.client.pk)
            .values(
                n_starts=counted(self._episodes()),
                n_ends=counted(self._episodes(), "end_date"),
                n_appointments=counted(self._appointments()),
            )
            .get()
        )
        return sum(cast(int, n) for n in totals.values())

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, key: int) -> TimelineItem: ...

    @overload
    def __getitem__(self, key: slice) -> list[TimelineItem]: ...

    def __getitem__(self, key: int | slice) -> TimelineItem | list[TimelineItem]:
        if isinstance(key, int):
            if key < 0:
                raise IndexError("a timeline is indexed from its newest item")
            items = self[key : key + 1]
            if not items:
                raise IndexError("timeline index out of range")
            return items[0]
        if key.step is not None:
            raise TypeError("a timeline is sliced with [start:stop]")
        start = key.start or 0
        stop = key.stop if key.stop is not None else self.count()
        if start < 0 or stop < 0:
            raise ValueError("a timeline slice cannot be negative")
        if stop <= start:
            return []
        merged = heapq.merge(*self._sources(stop), key=lambda item: item.sort_key, reverse=True)
        return list(itertools.islice(merged, start, stop))

    def _sources(self, limit: int) -> list[list[TimelineItem]]:
        # An episode's newest event is its end (end ≥ start, a database constraint), so
        # the `limit` episodes ending or starting most recently hold the `limit` newest events.
        episodes = list(
            self._episodes()
            .order_by(Coalesce("end_date", "start_date").desc(), "-start_date", "-pk")
            .values("pk", "start_date", "end_date", "status", "ended_unplanned")[:limit]
        )
        appointments = list(
            self._appointments()
            .order_by("-starts_at", "-pk")
            .values(
                "pk",
                "starts_at",
                "status",
                "modality",
                "duration_minutes",
                # The note, through the one-to-one (a LEFT JOIN in the same query).
                "note__pk",
                "note__status",
                "note__format",
                "note__signed_at",
            )[:limit]
        )
        return [
            _episode_items(episodes, self.tz),
            [
                TimelineItem(
                    kind=APPOINTMENT,
                    at=row["starts_at"],
                    object_id=row["pk"],
                    status=row["status"],
                    status_label=AppointmentStatus(row["status"]).label,
                    modality=row["modality"],
                    modality_label=Modality(row["modality"]).label,
                    duration_minutes=row["duration_minutes"],
                    **_signed_note(row),
                )
                for row in appointments
            ],
        ]

    def __iter__(self) -> Iterator[TimelineItem]:
        return iter(self[0 : self.count()])


# --- What care contributes to the therapist's day --------------------------------------------

DRIFTING_ITEM = "care.drifting"


def drifting_day_items(user: User, now: datetime) -> list[DayItem]:
    """Active episode, no attended session for DRIFT_DAYS, and no future session booked
    (1 query)."""
    return drifting_items_for(clients_for(user), now, limit=100)


def drifting_items_for(
    clients: QuerySet[Client], now: datetime, limit: int | None = None
) -> list[DayItem]:
    """`drifting_day_items` of `clients` (any therapist's), for the day's attention table."""
    cutoff = now - timedelta(days=settings.DRIFT_DAYS)
    attended = Appointment.objects.filter(client=OuterRef("pk"), status=AppointmentStatus.ATTENDED)
    rows = (
        clients
        # An episode that began within the window is not drifting yet.
        .filter(
            Exists(
                Episode.objects.filter(
                    client=OuterRef("pk"),
                    status=EpisodeStatus.ACTIVE,
                    start_date__lte=timezone.localtime(cutoff).date(),
                )
            )
        )
        .exclude(Exists(attended.filter(starts_at__gte=cutoff)))
        .exclude(
            Exists(
                Appointment.objects.filter(
                    client=OuterRef("pk"),
                    status=AppointmentStatus.SCHEDULED,
                    starts_at__gte=now,
                )
            )
        )
        .annotate(
            last_seen=Max(
                "appointments__starts_at",
                filter=Q(appointments__status=AppointmentStatus.ATTENDED),
            )
        )
        .order_by("last_name", "first_name")
        .values_list("pk", "last_seen")
    )
    drift = timedelta(days=settings.DRIFT_DAYS)
    return [
        DayItem(
            kind=DRIFTING_ITEM,
            client_id=client_id,
            rank=Rank.DISENGAGING,
            # Raised when the quiet began to count as drifting, not at the last session.
            at=last_seen + drift if last_seen is not None else None,
            ref=client_id,
            facts={"days": (now - last_seen).days if last_seen is not None else None},
        )
        for client_id, last_seen in (rows[:limit] if limit is not None else rows)
    ]


DRAFT_NOTE_ITEM = "care.draft_note"
# A progress note still a draft this long after its session is waiting to be signed.
DRAFT_NOTE_GRACE = timedelta(hours=24)


def draft_note_day_items(user: User, now: datetime) -> list[DayItem]:
    """Progress notes the user wrote for their own clients, still drafts 24 h after their
    session, one line each (1 query; plain columns, never the note's text). A draft is its
    author's to sign (issue 18, finding 2): another author's draft of a client the user now
    treats is not on their day; the user's drafts of clients who moved on are
    `draft_elsewhere_day_items`."""
    return _draft_items(
        ProgressNote.objects.filter(client__in=clients_for(user), author=user), now, limit=200
    )


def draft_note_items_for(
    clients: QuerySet[Client], now: datetime, limit: int | None = None
) -> list[DayItem]:
    """`draft_note_day_items` of `clients`, for the day's attention table: the drafts their
    current therapist wrote (the table is read per client, by the client's therapist)."""
    return _draft_items(
        ProgressNote.objects.filter(client__in=clients, author_id=F("client__therapist_id")),
        now,
        limit,
    )


DRAFT_ELSEWHERE_ITEM = "care.draft_note_elsewhere"


# The drafts `draft_elsewhere_day_items` lists: the author's, in their practice, of clients
# they no longer treat, still drafts 24 h after the session.
_DRAFTS_ELSEWHERE = """
    SELECT n.id, a.starts_at
    FROM care_progressnote n
    JOIN care_client c ON c.id = n.client_id
    JOIN care_appointment a ON a.id = n.appointment_id
    WHERE n.author_id = %s AND c.practice_id = %s AND NOT ({treated})
      AND n.status = %s AND a.starts_at < %s
    ORDER BY a.starts_at, n.id
    LIMIT 200
"""


def draft_elsewhere_day_items(user: User, now: datetime) -> list[DayItem]:
    """The user's drafts of clients now seen by another therapist, still drafts 24 h after
    their session: "For you" lines (`client_id=None`), since the client is no longer on
    their day, asked live (1 query, written by hand: continuum.sql, the day asks on every visit).
    Only while the user is an active member of the client's practice
    (`care.access.get_note_or_own_draft_for` lets them finish it)."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active or not user.is_active:
        return []
    treated, params = treated_by_sql(user, "c")
    found = sql.rows(
        _DRAFTS_ELSEWHERE.format(treated=treated),
        [
            user.pk,
            membership.practice_id,
            *params,
            NoteStatus.DRAFT.value,
            sql.at(now - DRAFT_NOTE_GRACE),
        ],
    )
    return [
        DayItem(
            kind=DRAFT_ELSEWHERE_ITEM,
            client_id=None,
            rank=Rank.ROUTINE,
            at=session_at + DRAFT_NOTE_GRACE,
            ref=note_id,
            facts={"session_at": session_at},
        )
        for note_id, session_at in ((n, sql.aware(at)) for n, at in found)
    ]


def _draft_items(
    notes: QuerySet[ProgressNote], now: datetime, limit: int | None = None
) -> list[DayItem]:
    rows = (
        notes.filter(status=NoteStatus.DRAFT, appointment__starts_at__lt=now - DRAFT_NOTE_GRACE)
        .order_by("appointment__starts_at", "pk")
        .values_list("pk", "client_id", "appointment__starts_at")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        DayItem(
            kind=DRAFT_NOTE_ITEM,
            client_id=client_id,
            rank=Rank.ROUTINE,
            at=session_at + DRAFT_NOTE_GRACE,
            ref=note_id,
            facts={"session_at": session_at},
        )
        for note_id, client_id, session_at in rows
    ]


@dataclass(frozen=True)
class OrphanedDraft:
    """A draft progress note whose author is no longer an active member of the practice:
    nobody can finish it (a draft is its author's). Names and dates only, no clinical text."""

    note_id: int
    client_id: int
    client_name: str
    session_at: datetime
    author_name: str


def orphaned_drafts(practice_id: int) -> list[OrphanedDraft]:
    """The practice's drafts whose author is no longer an active member (1 query), for the
    owner's roster: the owner sees that they exist, never their text."""
    active_members = User.objects.filter(
        is_active=True, membership__practice_id=practice_id, membership__is_active=True
    ).values("pk")
    rows = (
        ProgressNote.objects.filter(client__practice_id=practice_id, status=NoteStatus.DRAFT)
        .exclude(author_id__in=active_members)
        .select_related("client", "author", "appointment")
        .only(
            "pk",
            "client__first_name",
            "client__preferred_name",
            "client__last_name",
            "author__full_name",
            "author__email",
            "appointment__starts_at",
        )
        .order_by("appointment__starts_at", "pk")
    )
    return [
        OrphanedDraft(
            note_id=note.pk,
            client_id=note.client_id,
            client_name=note.client.display_name,
            session_at=note.appointment.starts_at,
            author_name=note.author.display_name,
        )
        for note in rows
    ]


def session_times(
    practice_id: int, *, notes: Iterable[int] = (), appointments: Iterable[int] = ()
) -> dict[tuple[str, str], datetime]:
    """When the sessions of these notes and appointments (of one practice) began, keyed as
    audit rows name their objects: ("progressnote", "84") → the session's start. At most two
    queries, none for ids that are not there (the owner's audit log, issue 14)."""
    found: dict[tuple[str, str], datetime] = {}
    if note_ids := set(notes):
        for pk, starts in ProgressNote.objects.filter(
            pk__in=note_ids, client__practice_id=practice_id
        ).values_list("pk", "appointment__starts_at"):
            found["progressnote", str(pk)] = starts
    if appointment_ids := set(appointments):
        for pk, starts in Appointment.objects.filter(
            pk__in=appointment_ids, client__practice_id=practice_id
        ).values_list("pk", "starts_at"):
            found["appointment", str(pk)] = starts
    return found
