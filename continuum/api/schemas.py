"""The API's typed shapes (OpenAPI is generated from them). Ids, codes, numbers and dates;
never reflections, and no free text a client did not give the therapist for the record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


def _plausible_birth_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= date.today():  # noqa: DTZ011 (a calendar bound, no time zone)
        raise ValueError("must be between 1900-01-01 and today")
    return value


BirthDate = Annotated[date | None, AfterValidator(_plausible_birth_date)]


class ClientOut(Schema):
    id: int
    therapist_id: int
    first_name: str
    last_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date | None
    email: str
    phone: str
    time_zone: str
    emergency_contact_name: str
    emergency_contact_phone: str
    created_at: datetime


class ClientIn(Schema):
    first_name: Text = Field(min_length=1, max_length=100)
    last_name: Text = Field(min_length=1, max_length=100)
    preferred_name: Text = Field("", max_length=100)
    pronouns: Text = Field("", max_length=40)
    date_of_birth: BirthDate = None
    email: Text = Field("", max_length=254)
    phone: Text = Field("", max_length=32)
    time_zone: Text = Field("UTC", max_length=64)
    emergency_contact_name: Text = Field("", max_length=150)
    emergency_contact_phone: Text = Field("", max_length=32)
    referral_reason: Text | None = Field(None, min_length=1, max_length=2000)


class ClientPatch(Schema):
    first_name: Text | None = Field(None, min_length=1, max_length=100)
    last_name: Text | None = Field(None, min_length=1, max_length=100)
    preferred_name: Text | None = Field(None, max_length=100)
    pronouns: Text | None = Field(None, max_length=40)
    date_of_birth: BirthDate = None
    email: Text | None = Field(None, max_length=254)
    phone: Text | None = Field(None, max_length=32)
    time_zone: Text | None = Field(None, max_length=64)
    emergency_contact_name: Text | None = Field(None, max_length=150)
    emergency_contact_phone: Text | None = Field(None, max_length=32)


class ClientPage(Schema):
    items: list[ClientOut]
    next_cursor: str | None


class EpisodeOut(Schema):
    id: int
    client_id: int
    therapist_id: int
    status: str
    start_date: date
    end_date: date | None
    ended_unplanned: bool
    previous_id: int | None


class EpisodePage(Schema):
    items: list[EpisodeOut]
    next_cursor: str | None


class AppointmentOut(Schema):
    id: int
    client_id: int
    episode_id: int | None
    therapist_id: int
    starts_at: datetime
    duration_minutes: int
    modality: str
    status: str
    cancelled_by: str
    cancelled_at: datetime | None


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next_cursor: str | None


class BookIn(Schema):
    starts_at: datetime
    duration_minutes: int = Field(50, ge=5, le=480)
    modality: str = "in_person"
    allow_overlap: bool = False
    allow_outside_episode: bool = False  # book although it falls outside the open episode


class CancelIn(Schema):
    cancelled_by: str = Field(description="client, therapist or practice")


class BandOut(Schema):
    name: str
    label: str
    low: float
    below: float | None


class ItemOut(Schema):
    key: str
    scored: bool
    values: list[int]


class InstrumentOut(Schema):
    code: str
    version: str
    name: str
    title: str
    min_total: float
    max_total: float
    higher_is_better: bool
    loinc_panel: str | None
    loinc_total: str | None
    items: list[ItemOut]
    bands: list[BandOut]


class AdministrationOut(Schema):
    id: int
    client_id: int
    episode_id: int
    instrument: str
    status: str
    due_at: datetime
    completed_at: datetime | None
    total: float | None
    band: str
    safety: bool


class AdministrationPage(Schema):
    items: list[AdministrationOut]
    next_cursor: str | None


class LinkOut(Schema):
    administration_id: int
    url: str
    expires_at: datetime


class AnswersIn(Schema):
    answers: dict[str, int | None] = Field(description="item key → answer score (or null)")


class ScoreOut(Schema):
    administration_id: int
    episode_id: int
    instrument: str
    completed_at: datetime
    total: float | None
    band: str
    band_label: str
    caseness: bool | None
    baseline_id: int | None
    change_from_baseline: float | None
    reliable_change: str | None = Field(
        description="improved, deteriorated, no_change; null without a baseline or a rule"
    )


class ScorePage(Schema):
    items: list[ScoreOut]
    next_cursor: str | None


class AlertOut(Schema):
    id: int
    client_id: int
    episode_id: int | None
    administration_id: int | None
    kind: str
    severity: str
    status: str
    message: str
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: str | None


class CheckInOut(Schema):
    id: int
    client_id: int
    episode_id: int | None
    mood: int
    sleep: int | None
    energy: int | None
    urgent: bool
    homework_status: str
    created_at: datetime
    seen_at: datetime | None


class CheckInPage(Schema):
    items: list[CheckInOut]
    next_cursor: str | None


class GoalOut(Schema):
    id: int
    statement: str
    target_kind: str
    instrument: str
    comparison: str
    target_value: float
    target_date: date
    status: str


class PlanOut(Schema):
    id: int
    episode_id: int
    client_id: int
    version: int
    status: str
    focus: str
    review_date: date | None
    published_at: datetime | None
    goals: list[GoalOut]


class PlanList(Schema):
    items: list[PlanOut]
