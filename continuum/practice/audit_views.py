"""The owner's audit log: who did what in their practice, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from continuum.accounts.access import members_for
from continuum.accounts.decorators import owner_required
from continuum.accounts.forms import member_choices
from continuum.accounts.http import AuthenticatedRequest, actor_of
from continuum.accounts.models import Membership
from continuum.audit.log import record
from continuum.audit.models import AuditEvent
from continuum.audit.presenters import action_words, log_lines
from continuum.care.queries import session_times
from continuum.lib.timezones import local_day_bounds
from continuum.practice.views import querystring_prefix

PAGE_SIZE = 50
SYSTEM_ACTOR = "system"


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _within_log_years(day: date) -> None:
    # The log has no rows outside these years, and a day at the edge of the calendar
    # (0001-01-01, 9999-12-31) cannot be turned into an instant in every time zone.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(f"Choose a date from {FIRST_DAY:%Y} to {LAST_DAY:%Y}.")


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(label="Who", required=False)
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_within_log_years],
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_within_log_years],
    )
    client = forms.IntegerField(
        label="Client #",
        required=False,
        min_value=1,
        max_value=2**53,
        help_text="The client's number, as the log shows it: every row about that client.",
    )

    def __init__(
        self, *args: Any, members: Iterable[Membership], actions: Iterable[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Both allow-lists come from the database: the practice's members, the actions logged.
        self._set_choices(
            "actor",
            [
                ("", "Anyone"),
                (SYSTEM_ACTOR, "System (no person)"),
                *member_choices(members),
            ],
        )
        self._set_choices("action", [("", "All actions"), *((a, action_words(a)) for a in actions)])

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date cannot be before the start date.")
        return data


def _filtered(
    events: QuerySet[AuditEvent], data: dict[str, Any], members: list[Membership]
) -> QuerySet[AuditEvent]:
    actor = data.get("actor")
    if actor == SYSTEM_ACTOR:
        events = events.filter(actor__isnull=True)
    elif actor:
        user_id = next(m.user_id for m in members if str(m.pk) == actor)
        events = events.filter(actor_id=user_id)
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("client"):
        client = data["client"]
        # New rows name their client under one key (audit.log.record derives it); rows
        # written before that may name it under "client", or only as their object.
        events = events.filter(
            Q(object_type="client", object_id=str(client))
            | Q(detail__client_id=client)
            | Q(detail__client=client)
        )
    # Dates are days in the owner's own time zone (activated by the middleware).
    zone = timezone.get_current_timezone_name()
    if data.get("date_from"):
        events = events.filter(at__gte=local_day_bounds(data["date_from"], zone)[0])
    if data.get("date_to"):
        events = events.filter(at__lt=local_day_bounds(data["date_to"], zone)[1])
    return events


PRIVATE_ACTION_PREFIX = "wellbeing."


@owner_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    practice_id = request.user.membership.practice_id
    # A therapist's own wellbeing (session weights, self-reflections, consultations, digest)
    # is theirs alone: the rows exist for the tamper-evident log, but the owner's view leaves
    # them out, so it does not even show *that* a colleague rated a session as heavy.
    events: QuerySet[AuditEvent] = AuditEvent.objects.filter(practice_id=practice_id).exclude(
        action__startswith=PRIVATE_ACTION_PREFIX
    )
    members = list(members_for(request.user).order_by("user__full_name", "user__email"))
    actions = events.order_by("action").values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, members=members, actions=actions)
    context: dict[str, Any] = {"nav": "audit", "form": form, "page_obj": None}
    if form.is_bound and not form.is_valid():
        return render(request, "audit/log.html", context, status=400)

    data = form.cleaned_data if form.is_bound else {}
    events = _filtered(events, data, members).order_by("-at", "-pk")
    page_obj = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    # Reading the log is itself an access to be accounted for (after the page is read, so
    # the page shows what was there before this visit).
    record(actor_of(request), "audit.view", page=page_obj.number, count=len(rows))
    # Notes and appointments are named by the day of their session (in the owner's zone).
    started = session_times(
        practice_id,
        notes=[
            int(e.object_id)
            for e in rows
            if e.object_type == "progressnote" and e.object_id.isdigit()
        ],
        appointments=[
            int(e.object_id)
            for e in rows
            if e.object_type == "appointment" and e.object_id.isdigit()
        ],
    )
    sessions = {key: timezone.localtime(at).date() for key, at in started.items()}
    context.update(
        page_obj=page_obj,
        rows=log_lines(rows, sessions),
        querystring_prefix=querystring_prefix(request),
    )
    return render(request, "audit/log.html", context)
