"""Issue 14: every HTML form that creates a row takes effect once (accounts/once.py).

For each create form in CASES the test opens its page as its rightful user, reads the form from
the HTML as a browser would (the one-time key included), fills what a person would type, and
posts the very same form twice. Exactly one row appears, and the second answer leads where the
first did.

A new create view protects itself with `once.submit` (or `once.claim`);
`test_every_protected_view_is_swept` then fails until its route gets a case here (or, if another
test already sends its form twice, an entry in SWEPT_ELSEWHERE).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import BreakGlassGrant, Membership
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment, Client, Episode, NoteAddendum
from continuum.endings.models import Referral, RelapsePreventionPlan
from continuum.exchange.models import ImportBatch
from continuum.followup.models import BoosterRequest, FollowUpConsent
from continuum.followup.tests.world import make_followup
from continuum.measures.models import Cadence, MeasureAssignment
from continuum.measures.services import assign_measure, issue_link
from continuum.plans.models import Goal, Homework, Intervention, InterventionReview, TreatmentPlan
from continuum.plans.tests.world import make_intervention, make_plan
from continuum.reflections.models import Reflection
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_episode,
    make_note,
    make_portal_user,
)
from continuum.wellbeing.models import ConsultationEntry, SelfReflection

# Create views whose double post another test already sends (same promise, older tests).
SWEPT_ELSEWHERE = {
    "api:tokens": "api/tests/test_tokens.py",
}


class FormReader(HTMLParser):
    """The fields of the page's form that carries a one-time key, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select not in fields:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def keyed_form(self, action: str = "") -> dict[str, Any]:
        keyed = [
            f
            for f in self.forms
            if f["fields"].get("submission_key") and (not action or f["action"] == action)
        ]
        assert len(keyed) == 1, f"expected one form with a one-time key, found {len(keyed)}"
        return keyed[0]


@dataclass
class Case:
    who: str  # the BaseTestCase attribute of the person who opens the page
    page: Callable[[Any], str]  # the page's URL (the test case is passed in)
    rows: Callable[[Any], Any]  # the queryset the form adds a row to
    data: Callable[[Any], dict[str, Any]] = lambda t: {}
    setup: Callable[[Any], None] = lambda t: None
    files: Callable[[Any], dict[str, Any]] = field(default=lambda t: {})
    action: Callable[[Any], str] = lambda t: ""  # which form, when the page has two keyed ones


def _today() -> str:
    return timezone.localdate().isoformat()


def _soon(days: int = 30) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _signed_note(t: Any) -> None:
    past = timezone.now() - timedelta(days=1)
    attended = make_appointment(t.dana, past, episode=t.episode, status="attended")
    t.note = make_note(attended, signed=True)


def _draft_plan(t: Any) -> None:
    t.plan = make_plan(t.episode, status="draft")


def _current_intervention(t: Any) -> None:
    t.intervention = make_intervention(make_plan(t.episode))


def _ended_episode(t: Any) -> None:
    t.ended = make_episode(
        t.dana, status="ended", start_date=date(2025, 1, 6), end_date=date(2025, 6, 30)
    )
    make_portal_user(t.dana)  # follow-up is agreed with a client who has the portal


def _pending_phq9(t: Any, *, with_link: bool = False) -> None:
    assignment = assign_measure(
        t.episode,
        instrument="phq9",
        cadence=Cadence.ONCE,
        starts_on=timezone.localdate(),
        actor=actor_for(t.alice),
    )
    t.admin = assignment.administrations.get()
    if with_link:
        issue_link(t.admin, actor=actor_for(t.alice))


def _in_follow_up(t: Any) -> None:
    make_followup(t.dana, booster=False)
    t.dana_portal = make_portal_user(t.dana)


CASES: dict[str, Case] = {
    # Buttons without fields: a double click must not send two emails or void a fresh link.
    "portal:client_portal": Case(
        "alice",
        lambda t: reverse("portal:client_portal", args=[t.dana.pk]),
        lambda t: AuditEvent.objects.filter(action__startswith="portal.invite"),
        action=lambda t: reverse("portal:client_portal", args=[t.dana.pk]),
    ),
    "measures:administration_link": Case(
        "alice",
        lambda t: reverse("measures:administration_detail", args=[t.admin.pk]),
        lambda t: AuditEvent.objects.filter(action="measures.link_issue"),
        setup=_pending_phq9,
        action=lambda t: reverse("measures:administration_link", args=[t.admin.pk]),
    ),
    "measures:administration_link_email": Case(
        "alice",
        lambda t: reverse("measures:administration_detail", args=[t.admin.pk]),
        lambda t: AuditEvent.objects.filter(action="measures.link_email"),
        setup=lambda t: _pending_phq9(t, with_link=True),
        action=lambda t: reverse("measures:administration_link_email", args=[t.admin.pk]),
    ),
    "care:addendum_create": Case(
        "alice",
        lambda t: reverse("care:note_detail", args=[t.note.pk]),
        lambda t: NoteAddendum.objects.all(),
        lambda t: {"text": "Dana phoned after the session."},
        setup=_signed_note,
    ),
    "care:client_create": Case(
        "alice",
        lambda t: reverse("care:client_create"),
        lambda t: Client.objects.all(),
        lambda t: {"first_name": "Ira", "last_name": "Irving"},
    ),
    "care:appointment_create": Case(
        "alice",
        lambda t: reverse("care:appointment_create", args=[t.dana.pk]),
        lambda t: Appointment.objects.all(),
        lambda t: {"date": _soon(3), "time": "10:00", "book_anyway": "on"},
    ),
    "reflections:reflection_create": Case(
        "alice",
        lambda t: reverse("reflections:reflection_create", args=[t.dana.pk]),
        lambda t: Reflection.objects.all(),
        lambda t: {"kind": "idea", "text": "Try the two-chair exercise."},
    ),
    "wellbeing:self_reflection_create": Case(
        "alice",
        lambda t: reverse("wellbeing:self_reflection_create"),
        lambda t: SelfReflection.objects.all(),
        lambda t: {"text": "A heavy week."},
    ),
    "wellbeing:consultations": Case(
        "alice",
        lambda t: reverse("wellbeing:consultations"),
        lambda t: ConsultationEntry.objects.all(),
        lambda t: {"kind": "peer", "with_whom": "Peer group", "client": str(t.dana.pk)},
    ),
    "wellbeing:client_consultations": Case(
        "alice",
        lambda t: reverse("wellbeing:client_consultations", args=[t.dana.pk]),
        lambda t: ConsultationEntry.objects.all(),
        lambda t: {"kind": "supervision", "with_whom": "Supervisor"},
    ),
    "plans:plan_create": Case(
        "alice",
        lambda t: reverse("plans:plan_create", args=[t.episode.pk]),
        lambda t: TreatmentPlan.objects.all(),
        lambda t: {"focus": "Low mood", "review_date": _soon()},
    ),
    "plans:goal_create": Case(
        "alice",
        lambda t: reverse("plans:goal_create", args=[t.plan.pk]),
        lambda t: Goal.objects.all(),
        lambda t: {
            "statement": "Sleep through the night",
            "target_kind": "rating",
            "target_rating": "7",
            "target_date": _soon(60),
        },
        setup=_draft_plan,
    ),
    "plans:intervention_create": Case(
        "alice",
        lambda t: reverse("plans:intervention_create", args=[t.plan.pk]),
        lambda t: Intervention.objects.all(),
        lambda t: {"technique": "thought_records", "rationale": "Catch the thoughts."},
        setup=_draft_plan,
    ),
    "plans:intervention_review": Case(
        "alice",
        lambda t: reverse("plans:intervention_review", args=[t.intervention.pk]),
        lambda t: InterventionReview.objects.all(),
        lambda t: {
            "what_happened": "Two records a week.",
            "client_response": "Found it useful.",
            "decision": "keep",
            "reason": "It helps.",
        },
        setup=_current_intervention,
    ),
    "plans:homework_list": Case(
        "alice",
        lambda t: reverse("plans:homework_list", args=[t.dana.pk]),
        lambda t: Homework.objects.all(),
        lambda t: {"title": "Walk daily", "why": "No plan yet.", "due_date": _soon(7)},
    ),
    "endings:referral_add": Case(
        "alice",
        lambda t: reverse("endings:ending", args=[t.episode.pk]),
        lambda t: Referral.objects.all(),
        lambda t: {"name": "Community group"},
        action=lambda t: reverse("endings:referral_add", args=[t.episode.pk]),
    ),
    # The plan is one row; agreeing it again would make a second version (and book its
    # tapering sessions again): one audit row per agreement counts them.
    "endings:ending": Case(
        "alice",
        lambda t: reverse("endings:ending", args=[t.episode.pk]),
        lambda t: AuditEvent.objects.filter(action__startswith="ending.plan."),
        lambda t: {
            "reason": "goals_met",
            "final_session_date": _soon(21),
            "time": "10:00",  # the final session is booked (issue 14)
            "ending_discussed": "on",
        },
        action=lambda t: reverse("endings:ending", args=[t.episode.pk]),
    ),
    "endings:relapse_plan": Case(
        "alice",
        lambda t: reverse("endings:relapse_plan", args=[t.dana.pk]),
        lambda t: RelapsePreventionPlan.objects.all(),
        lambda t: {"warning_signs": "Skipping meals."},
    ),
    "measures:assign": Case(
        "alice",
        lambda t: reverse("measures:assign", args=[t.episode.pk]),
        lambda t: MeasureAssignment.objects.all(),
        lambda t: {"instrument": "phq9", "cadence": "weekly", "ends_on": _soon(28)},
    ),
    "care:episode_create": Case(
        "alice",
        lambda t: reverse("care:episode_create", args=[t.newcomer.pk]),
        lambda t: Episode.objects.all(),
        lambda t: {"referral_reason": "Low mood"},
        setup=lambda t: setattr(
            t, "newcomer", Client.objects.create(practice=t.riverside, therapist=t.alice)
        ),
    ),
    "accounts:invite": Case(
        "olivia",
        lambda t: reverse("accounts:invite"),
        lambda t: Membership.objects.all(),
        lambda t: {"full_name": "Nia New", "email": "nia@example.org", "clinical": "on"},
    ),
    "accounts:break_glass": Case(
        "olivia",
        lambda t: reverse("accounts:break_glass", args=[t.dana.pk]),
        lambda t: BreakGlassGrant.objects.all(),
        lambda t: {"reason": "Alice is away; Dana called in crisis."},
    ),
    "followup:consent_create": Case(
        "alice",
        lambda t: reverse("followup:consent_create", args=[t.ended.pk]),
        lambda t: FollowUpConsent.objects.all(),
        lambda t: {"how": "record"},
        setup=_ended_episode,
    ),
    "followup:portal_booster": Case(
        "dana_portal",
        lambda t: reverse("followup:portal_booster"),
        lambda t: BoosterRequest.objects.all(),
        lambda t: {"reason": "A hard month."},
        setup=_in_follow_up,
    ),
    "exchange:import_upload": Case(
        "alice",
        lambda t: reverse("exchange:import_upload"),
        lambda t: ImportBatch.objects.all(),
        files=lambda t: {
            "file": SimpleUploadedFile(
                "clients.csv", b"first_name,last_name\nIra,Irving\n", content_type="text/csv"
            )
        },
    ),
    "exchange:scores_upload": Case(
        "alice",
        lambda t: reverse("exchange:scores_upload"),
        lambda t: ImportBatch.objects.all(),
        files=lambda t: {
            "file": SimpleUploadedFile(
                "scores.csv",
                f"client_id,instrument,date,total\n{t.dana.pk},phq9,2025-01-10,12\n".encode(),
                content_type="text/csv",
            )
        },
    ),
}


class OnceSweep(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana)

    def send_twice(self, name: str, case: Case) -> None:
        case.setup(self)
        self.login(getattr(self, case.who))
        page = case.page(self)
        response = self.client.get(page)
        self.assertEqual(response.status_code, 200, response.content[:2000])
        reader = FormReader()
        reader.feed(response.content.decode())
        form = reader.keyed_form(case.action(self))
        data = {**form["fields"], **case.data(self)}
        action = form["action"] or page
        before = case.rows(self).count()

        first = self.client.post(action, {**data, **case.files(self)})
        second = self.client.post(action, {**data, **case.files(self)})

        errors = first.context and first.context.get("form") and first.context["form"].errors
        self.assertEqual(first.status_code, 302, errors)
        self.assertEqual(second.status_code, 302, second.content[:3000])
        self.assertEqual(second["Location"], first["Location"])
        self.assertEqual(case.rows(self).count(), before + 1)


def _sweep(name: str) -> Callable[[OnceSweep], None]:
    def test(self: OnceSweep) -> None:
        self.send_twice(name, CASES[name])

    return test


for _name in CASES:
    setattr(OnceSweep, "test_" + _name.replace(":", "__"), _sweep(_name))


def _views(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    """(qualified route name, view function) for every named route."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _views(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", inspect.unwrap(entry.callback)


def _source(view: Any) -> str:
    """A view's source with that of its module's private helpers it calls (`_upload(`)."""
    try:
        text = inspect.getsource(view)
    except (OSError, TypeError):
        return ""
    module = inspect.getmodule(view)
    helpers = [
        inspect.getsource(obj)
        for name, obj in vars(module).items()
        if name.startswith("_") and inspect.isfunction(obj) and f"{name}(" in text
    ]
    return "\n".join([text, *helpers])


class OnceCoverage(BaseTestCase):
    def test_every_protected_view_is_swept(self) -> None:
        protected = {
            name
            for name, view in _views(get_resolver().url_patterns)
            if any(f"once.{use}(" in _source(view) for use in ("submit", "claim", "button"))
        }
        self.assertEqual(protected - set(SWEPT_ELSEWHERE), set(CASES))

    def test_a_page_without_a_key_still_creates(self) -> None:
        """Scripts that post without a key are not protected, and not refused (once.py)."""
        self.login(self.alice)
        url = reverse("wellbeing:self_reflection_create")
        self.client.post(url, {"text": "One"})
        self.client.post(url, {"text": "One"})
        self.assertEqual(SelfReflection.objects.count(), 2)
