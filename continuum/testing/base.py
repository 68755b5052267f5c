"""Shared test personas (Healthchecks-style).

Practice "Riverside": owner Olivia (owner, also treats clients), therapist Alice, colleague Bob.
Practice "Hilltop":   Charlie (owner and therapist).
Clients: Dana is Alice's client, Eli is Charlie's client, Finn is Bob's client.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import pyotp
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.mfa import TEST_TOTP_SECRET, enrol_totp
from continuum.accounts.models import Membership, Practice, Role, User
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    Client,
    Episode,
    NoteStatus,
    ProgressNote,
)
from continuum.lib.contributions import DayItem, day_presenter
from continuum.lib.hooks import client_changed

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

# What the test client returns (django-stubs' name for it): a response with .context, .json().
TestResponse: TypeAlias = "_MonkeyPatchedWSGIResponse"

PASSWORD = "correct-horse-battery-staple"
# Every make_staff() user's TOTP secret: tests compute codes with pyotp.TOTP(TOTP_SECRET).now().
TOTP_SECRET = TEST_TOTP_SECRET


def make_staff(
    practice: Practice,
    email: str,
    name: str,
    *,
    role: str = Role.THERAPIST,
    clinical: bool = True,
    tz: str = "Europe/London",
    totp: bool = True,
) -> User:
    """A member of `practice`; with a TOTP authenticator (secret TOTP_SECRET) unless
    `totp=False`, since staff reach no page without a second factor."""
    user = User.objects.create_user(email, PASSWORD, full_name=name, time_zone=tz)
    Membership.objects.create(user=user, practice=practice, role=role, is_clinical=clinical)
    if totp:
        enrol_totp(user, TOTP_SECRET)
    return user


def make_client(therapist: User, first: str, last: str = "Example", **extra: Any) -> Client:
    return Client.objects.create(
        practice=therapist.membership.practice,
        therapist=therapist,
        first_name=first,
        last_name=last,
        time_zone=extra.pop("time_zone", "Europe/London"),
        **extra,
    )


Row = TypeVar("Row", bound=models.Model)


def kept(obj: Row, *sources: str) -> Row:
    """A row a builder wrote directly (not through an action) is on the day as an action would
    have put it: the day's attention table is refreshed for its client (lib.hooks), from the
    day contributions named (all when none)."""
    client_changed(obj.client_id, *sources)  # type: ignore[attr-defined]
    return obj


def make_episode(client: Client, *, status: str = "active", **extra: Any) -> Episode:
    return kept(
        Episode.objects.create(
            client=client,
            therapist=client.therapist,
            referral_reason=extra.pop("referral_reason", "Low mood and worry"),
            start_date=extra.pop("start_date", date(2026, 1, 5)),
            status=status,
            **extra,
        )
    )


def make_appointment(
    client: Client,
    starts_at: datetime | None = None,
    *,
    episode: Episode | None = None,
    status: str = AppointmentStatus.SCHEDULED,
    **extra: Any,
) -> Appointment:
    return kept(
        Appointment.objects.create(
            client=client,
            therapist=client.therapist,
            episode=episode,
            starts_at=starts_at or timezone.now() + timedelta(days=1),
            status=status,
            **extra,
        ),
        "care",
        "care.notes",
        "endings",
    )


def make_note(appointment: Appointment, *, signed: bool = False, fmt: str = "soap") -> ProgressNote:
    note = ProgressNote.objects.create(
        appointment=appointment,
        client=appointment.client,
        author=appointment.therapist,
        format=fmt,
        sections={"subjective": "Felt flatter this week", "plan": "Continue activation"},
        next_session_plan="Review the activity diary",
    )
    if signed:
        note.status = NoteStatus.SIGNED
        note.signed_at = timezone.now()
        note.signed_by = appointment.therapist
        note.save()
    return kept(note, "care.notes")


def make_portal_user(client: Client, *, password: str = PASSWORD, email: str = "") -> User:
    """A portal login for `client` (as if invited and the password already set)."""
    address = email or client.email or f"{client.first_name.lower()}.portal@example.net"
    user = User.objects.create_user(
        address, password, full_name=client.full_name, time_zone=client.time_zone
    )
    client.user = user
    client.save(update_fields=["user"])
    return user


def session_keys_of(user: User) -> set[str]:
    """The keys of the stored sessions in which `user` is logged in (read from the table)."""
    return {
        session.session_key
        for session in Session.objects.all()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    }


def sqlite_file_copy(table: str) -> tuple[bytes, int]:
    """The bytes SQLite would write to a database file for the test database, as this
    connection sees it, and how many rows `table` has in that copy (read back with sqlite3).

    The test database lives in memory, inside the test's open transaction (so neither VACUUM
    INTO nor the backup API can run): it is serialised instead. SQLite only."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.sqlite3"
        path.write_bytes(connection.connection.serialize())
        data = path.read_bytes()
        copy = sqlite3.connect(path)
        try:
            (rows,) = copy.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        finally:
            copy.close()
    return data, int(rows)


class BaseTestCase(TestCase):
    riverside: Practice
    hilltop: Practice
    olivia: User
    alice: User
    bob: User
    charlie: User
    dana: Client
    eli: Client
    finn: Client

    @classmethod
    def setUpTestData(cls) -> None:
        cls.riverside = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
        cls.hilltop = Practice.objects.create(
            name="Hilltop Counselling", time_zone="America/New_York"
        )
        cls.olivia = make_staff(
            cls.riverside, "olivia@example.org", "Olivia Owner", role=Role.OWNER
        )
        cls.alice = make_staff(cls.riverside, "alice@example.org", "Alice Adams")
        cls.bob = make_staff(cls.riverside, "bob@example.org", "Bob Brown")
        cls.charlie = make_staff(
            cls.hilltop,
            "charlie@example.org",
            "Charlie Chen",
            role=Role.OWNER,
            tz="America/New_York",
        )
        cls.dana = make_client(cls.alice, "Dana", "Dawson", email="dana@example.net")
        cls.eli = make_client(cls.charlie, "Eli", "Evans", time_zone="America/New_York")
        cls.finn = make_client(cls.bob, "Finn", "Fischer")

    def login(self, user: User) -> None:
        self.client.force_login(user)

    def password_login(
        self, email: str, password: str = PASSWORD, totp_secret: str = TOTP_SECRET
    ) -> Any:
        """Log in through the real form; when allauth asks for the second factor, enter the
        current TOTP code (a code is accepted once: call cache.clear() between logins)."""
        response = self.client.post("/accounts/login/", {"login": email, "password": password})
        if response.get("Location") == reverse("mfa_authenticate"):
            response = self.client.post(
                reverse("mfa_authenticate"), {"code": pyotp.TOTP(totp_secret).now()}
            )
        return response


@dataclass(frozen=True)
class PresentedItem:
    """A day item with the words its app's presenter makes for it (for assertions)."""

    client_id: int | None
    rank: int
    at: datetime | None
    reason: str
    url: str
    action: str


def presented(items: list[DayItem]) -> list[PresentedItem]:
    """Day items as the page words them, through the presenter registered for each kind."""
    result = []
    for item in items:
        (line,) = day_presenter(item.kind)([item])
        result.append(
            PresentedItem(
                item.client_id, int(item.rank), item.at, line.reason, line.url, line.action
            )
        )
    return result
