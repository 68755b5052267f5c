"""SECURITY.md promises 1 and 2, over every URL pattern of the project.

1. Every route needs a login, except an explicit public allow-list (asserted as an exact set).
2. For every route with an id, every method: people other than the rightful one get a 404.
   A new id-bearing route without an entry in ID_ROUTES fails `test_every_id_route_has_a_fixture`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.api.models import ApiToken
from continuum.api.tokens import create_token
from continuum.boundaries.models import Direction, Message
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    Client,
    Episode,
    NoteAddendum,
    ProgressNote,
)
from continuum.endings.models import Referral
from continuum.exchange.models import ImportBatch, RecordRequest
from continuum.followup.tests.world import FollowUpWorld, make_followup
from continuum.measures.models import Administration, Alert, MeasureAssignment
from continuum.measures.services import assign_measure, enter_in_session
from continuum.plans.models import Goal, Homework, Intervention, TreatmentPlan
from continuum.plans.tests.world import (
    make_goal,
    make_homework,
    make_intervention,
    make_plan,
)
from continuum.portal.models import CheckIn
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_client,
    make_episode,
    make_note,
    make_portal_user,
)
from continuum.testing.passkeys import make_passkey
from continuum.wellbeing.models import ConsultationEntry, SelfReflection

# Routes that anonymous people may reach. Everything else must send them to the login page.
PUBLIC_ROUTES = {
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "set_password",
    "measures:questionnaire",
    # A calendar app fetches the feed with the token alone (an unknown token is a 404).
    "exchange:feed",
    # The API's description and its docs page: no data, the same for everyone.
    "api-v1:openapi-json",
    "api_docs",
    "fhir:metadata",
}

# The JSON API and FHIR answer a missing or bad token with 401; their id routes are swept with
# tokens below.
API_NAMESPACE = ("api-v1:", "fhir:")


def iter_routes(
    patterns: list[Any] | None = None,
    namespace: str = "",
    prefix: str = "",
    outer: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, set[str]]]:
    """(qualified route name, names of its URL parameters) for every named route, including
    parameters of the includes it sits in (allauth's passkey routes: keys/<int:pk>/...)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            inner = outer | set(getattr(entry.pattern, "converters", {}))
            yield from iter_routes(entry.url_patterns, ns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            params = set(outer) | set(entry.pattern.converters) | _regex_groups(entry)
            yield f"{namespace}{entry.name}", params


def _regex_groups(entry: URLPattern) -> set[str]:
    regex = getattr(entry.pattern, "_regex", None)
    if not regex:
        return set()
    import re

    return set(re.compile(regex).groupindex)


def dummy_kwargs(params: set[str]) -> dict[str, Any]:
    return {p: (1 if p.endswith("_id") or p == "pk" else "x") for p in params}


class SweepWorld(BaseTestCase):
    """Every model filled, for Alice's client Dana (and a roster entry in Olivia's practice)."""

    episode: Episode
    attended: Appointment
    upcoming: Appointment
    note: ProgressNote
    draft_appt: Appointment
    draft_note: ProgressNote
    eli_episode: Episode
    gwen: Client
    reflection: Reflection
    assignment: MeasureAssignment
    pending_admin: Administration
    completed_admin: Administration
    alert: Alert
    dana_portal: User
    eli_portal: User
    finn_portal: User
    checkin: CheckIn
    message: Message
    plan: TreatmentPlan
    intervention: Intervention
    draft_plan: TreatmentPlan
    draft_goal: Goal
    draft_intervention: Intervention
    homework: Homework
    followup: FollowUpWorld
    self_reflection: SelfReflection
    consultation: ConsultationEntry
    referral: Referral
    import_batch: ImportBatch
    scores_batch: ImportBatch
    alice_token: ApiToken
    alice_passkey: Authenticator

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana)
        past = timezone.now() - timedelta(days=2)
        cls.attended = make_appointment(
            cls.dana, past, episode=cls.episode, status=AppointmentStatus.ATTENDED
        )
        cls.upcoming = make_appointment(cls.dana, episode=cls.episode)
        cls.note = make_note(cls.attended, signed=True)
        NoteAddendum.objects.create(note=cls.note, author=cls.alice, text="Later thought")
        cls.draft_appt = make_appointment(
            cls.dana, past - timedelta(days=7), episode=cls.episode, status="attended"
        )
        cls.draft_note = make_note(cls.draft_appt)
        # Foreign rows that must never show up in Alice's lists.
        cls.eli_episode = make_episode(cls.eli)
        make_appointment(cls.eli, episode=cls.eli_episode)
        cls.gwen = make_client(cls.bob, "Gwen", "Green")
        # Alice's private reflection about Dana (the reflections routes).
        cls.reflection = Reflection.objects.create(
            author=cls.alice, client=cls.dana, kind=ReflectionKind.CONCERN, text="Private thought"
        )
        # Measures: a pending and a completed questionnaire, and an alert.
        today = timezone.localdate()
        cls.assignment = assign_measure(
            cls.episode,
            instrument="phq9",
            cadence="once",
            starts_on=today,
            actor=actor_for(cls.alice),
        )
        cls.pending_admin = cls.assignment.administrations.get()
        gad7 = assign_measure(
            cls.episode,
            instrument="gad7",
            cadence="once",
            starts_on=today,
            actor=actor_for(cls.alice),
        ).administrations.get()
        cls.completed_admin = enter_in_session(
            gad7, {str(k): 1 for k in range(1, 8)}, actor=actor_for(cls.alice)
        )
        cls.alert = Alert.objects.create(
            client=cls.dana,
            episode=cls.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause="sweep",
            message="m",
        )
        # Portal: logins for Dana (the rightful client), Eli and Finn (outsiders); a check-in.
        cls.dana_portal = make_portal_user(cls.dana)
        cls.eli_portal = make_portal_user(cls.eli)
        cls.finn_portal = make_portal_user(cls.finn)
        cls.checkin = CheckIn.objects.create(
            client=cls.dana, mood=5, idempotency_key="sweep-checkin-0000001"
        )
        # Boundaries: a portal message from Dana to Alice.
        cls.message = Message.objects.create(
            client=cls.dana,
            sender=cls.dana_portal,
            direction=Direction.TO_THERAPIST,
            body="Sweep message",
            idempotency_key="sweep-message-00000001",
        )
        # Plans: Dana's current plan and a draft of the next version, each with a goal and an
        # intervention; an open homework task.
        cls.plan = make_plan(cls.episode)
        make_goal(cls.plan)
        cls.intervention = make_intervention(cls.plan)
        cls.draft_plan = make_plan(cls.episode, status="draft", version=2, previous=cls.plan)
        cls.draft_goal = make_goal(cls.draft_plan)
        cls.draft_intervention = make_intervention(cls.draft_plan)
        cls.homework = make_homework(cls.dana)
        # Follow-up: an earlier episode of Dana's in consented follow-up, with an answered
        # check-in and an open booster request.
        cls.followup = make_followup(cls.dana)
        # Wellbeing: Alice's self-reflection and consultation entry (her own records).
        cls.self_reflection = SelfReflection.objects.create(author=cls.alice, text="Tired")
        cls.consultation = ConsultationEntry.objects.create(
            therapist=cls.alice, client=cls.dana, date=today, kind="peer", with_whom="Group"
        )
        # Endings: a referral on Dana's episode (the other endings routes hang off the episode
        # and the client).
        cls.referral = Referral.objects.create(
            episode=cls.episode, client=cls.dana, name="Sweep GP", created_by=cls.alice
        )
        # Exchange: Alice's clients CSV upload awaiting confirmation.
        cls.import_batch = ImportBatch.objects.create(
            created_by=cls.alice, practice=cls.riverside, rows="[]"
        )
        # ... and her past-scores CSV upload.
        cls.scores_batch = ImportBatch.objects.create(
            created_by=cls.alice, practice=cls.riverside, rows="[]", kind="scores"
        )
        # Exchange: Dana's request for her record, released (so she can download it).
        RecordRequest.objects.create(
            client=cls.dana,
            release_due_at=timezone.now(),
            status="released",
            released_at=timezone.now(),
        )
        # API: Alice's personal access token (the token page's revoke route).
        # Alice's passkey (its routes: rename, remove).
        cls.alice_passkey = make_passkey(cls.alice, "Sweep key")
        cls.alice_token = create_token(
            actor_for(cls.alice), name="sweep", scopes=["clients:read"], days=1
        ).token


# route name → (who may see it, a function building its URL kwargs from the world).
# "alice" routes are clinical (the assigned therapist); "olivia" routes are the owner's.
ID_ROUTES: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "care:client_detail": ("alice", lambda w: {"client_id": w.dana.pk}),
    "care:client_edit": ("alice", lambda w: {"client_id": w.dana.pk}),
    "care:episode_create": ("alice", lambda w: {"client_id": w.dana.pk}),
    "care:episode_detail": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "care:episode_edit": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "care:episode_transition": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "care:appointment_create": ("alice", lambda w: {"client_id": w.dana.pk}),
    "care:appointment_detail": ("alice", lambda w: {"appointment_id": w.upcoming.pk}),
    "care:appointment_edit": ("alice", lambda w: {"appointment_id": w.upcoming.pk}),
    "care:appointment_status": ("alice", lambda w: {"appointment_id": w.upcoming.pk}),
    "care:note_create": ("alice", lambda w: {"appointment_id": w.attended.pk}),
    "care:note_detail": ("alice", lambda w: {"note_id": w.note.pk}),
    "care:note_edit": ("alice", lambda w: {"note_id": w.draft_note.pk}),
    "care:note_sign": ("alice", lambda w: {"note_id": w.draft_note.pk}),
    "care:addendum_create": ("alice", lambda w: {"note_id": w.note.pk}),
    "care:note_print": ("alice", lambda w: {"note_id": w.note.pk}),
    "continuity:brief": ("alice", lambda w: {"appointment_id": w.upcoming.pk}),
    "measures:client_measures": ("alice", lambda w: {"client_id": w.dana.pk}),
    "measures:episode_measures": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "measures:assign": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "measures:assignment_stop": ("alice", lambda w: {"assignment_id": w.assignment.pk}),
    "measures:administration_detail": (
        "alice",
        lambda w: {"administration_id": w.pending_admin.pk},
    ),
    "measures:administration_link": ("alice", lambda w: {"administration_id": w.pending_admin.pk}),
    "measures:administration_link_email": (
        "alice",
        lambda w: {"administration_id": w.pending_admin.pk},
    ),
    "measures:administration_enter": (
        "alice",
        lambda w: {"administration_id": w.pending_admin.pk},
    ),
    "measures:administration_correct": (
        "alice",
        lambda w: {"administration_id": w.completed_admin.pk},
    ),
    "measures:alert_detail": ("alice", lambda w: {"alert_id": w.alert.pk}),
    "measures:alert_acknowledge": ("alice", lambda w: {"alert_id": w.alert.pk}),
    "measures:alert_resolve": ("alice", lambda w: {"alert_id": w.alert.pk}),
    "measures:alert_stale": ("alice", lambda w: {"alert_id": w.alert.pk}),
    "measures:safety_prompt_dismiss": (
        "alice",
        lambda w: {"administration_id": w.completed_admin.pk},
    ),
    "accounts:resend_invite": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    "accounts:deactivate": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    "accounts:reactivate": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    "accounts:set_role": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    "accounts:reassign": ("olivia", lambda w: {"client_id": w.dana.pk}),
    "accounts:reset_mfa": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    # Passkeys: only their owner reaches them (removal is ours, at allauth's own path).
    "passkey_remove": ("alice", lambda w: {"pk": w.alice_passkey.pk}),
    "mfa_remove_webauthn": ("alice", lambda w: {"pk": w.alice_passkey.pk}),
    "mfa_edit_webauthn": ("alice", lambda w: {"pk": w.alice_passkey.pk}),
    "accounts:member_email": ("olivia", lambda w: {"membership_id": w.alice.membership.pk}),
    "accounts:break_glass": ("olivia", lambda w: {"client_id": w.dana.pk}),
    # Portal: the therapist's side ("alice") and the client's own pages ("dana_portal").
    "portal:client_portal": ("alice", lambda w: {"client_id": w.dana.pk}),
    "portal:client_portal_revoke": ("alice", lambda w: {"client_id": w.dana.pk}),
    "portal:client_portal_settings": ("alice", lambda w: {"client_id": w.dana.pk}),
    "portal:client_checkins": ("alice", lambda w: {"client_id": w.dana.pk}),
    "portal:client_checkins_seen": ("alice", lambda w: {"client_id": w.dana.pk}),
    "portal:checkin_seen": ("alice", lambda w: {"checkin_id": w.checkin.pk}),
    "portal:checkin_done": ("dana_portal", lambda w: {"checkin_id": w.checkin.pk}),
    "portal:questionnaire": (
        "dana_portal",
        lambda w: {"administration_id": w.pending_admin.pk},
    ),
    "reflections:client_reflections": ("alice", lambda w: {"client_id": w.dana.pk}),
    "reflections:reflection_create": ("alice", lambda w: {"client_id": w.dana.pk}),
    "reflections:reflection_detail": ("alice", lambda w: {"reflection_id": w.reflection.pk}),
    "reflections:reflection_edit": ("alice", lambda w: {"reflection_id": w.reflection.pk}),
    "reflections:reflection_address": ("alice", lambda w: {"reflection_id": w.reflection.pk}),
    "reflections:reflection_unaddress": ("alice", lambda w: {"reflection_id": w.reflection.pk}),
    "plans:episode_plan": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "plans:plan_create": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "plans:plan_detail": ("alice", lambda w: {"plan_id": w.plan.pk}),
    "plans:plan_edit": ("alice", lambda w: {"plan_id": w.draft_plan.pk}),
    "plans:plan_publish": ("alice", lambda w: {"plan_id": w.draft_plan.pk}),
    "plans:goal_create": ("alice", lambda w: {"plan_id": w.draft_plan.pk}),
    "plans:goal_edit": ("alice", lambda w: {"goal_id": w.draft_goal.pk}),
    "plans:intervention_create": ("alice", lambda w: {"plan_id": w.draft_plan.pk}),
    "plans:intervention_edit": (
        "alice",
        lambda w: {"intervention_id": w.draft_intervention.pk},
    ),
    "plans:intervention_review": ("alice", lambda w: {"intervention_id": w.intervention.pk}),
    "plans:homework_list": ("alice", lambda w: {"client_id": w.dana.pk}),
    "plans:homework_edit": ("alice", lambda w: {"homework_id": w.homework.pk}),
    "plans:homework_cancel": ("alice", lambda w: {"homework_id": w.homework.pk}),
    "plans:portal_homework_report": ("dana_portal", lambda w: {"homework_id": w.homework.pk}),
    "followup:client_followup": ("alice", lambda w: {"client_id": w.dana.pk}),
    "followup:consent_create": ("alice", lambda w: {"episode_id": w.followup.episode.pk}),
    "followup:consent_withdraw": ("alice", lambda w: {"consent_id": w.followup.consent.pk}),
    "followup:checkin_detail": ("alice", lambda w: {"checkin_id": w.followup.checkin.pk}),
    "followup:booster_detail": ("alice", lambda w: {"booster_id": w.followup.booster.pk}),
    "followup:booster_accept": ("alice", lambda w: {"booster_id": w.followup.booster.pk}),
    "followup:booster_decline": ("alice", lambda w: {"booster_id": w.followup.booster.pk}),
    "followup:reopen": ("alice", lambda w: {"client_id": w.dana.pk}),
    "followup:portal_checkin_done": (
        "dana_portal",
        lambda w: {"checkin_id": w.followup.checkin.pk},
    ),
    "boundaries:client_messages": ("alice", lambda w: {"client_id": w.dana.pk}),
    "boundaries:client_messages_read": ("alice", lambda w: {"client_id": w.dana.pk}),
    "boundaries:client_messaging": ("alice", lambda w: {"client_id": w.dana.pk}),
    "boundaries:message_read": ("alice", lambda w: {"message_id": w.message.pk}),
    "boundaries:portal_message": ("dana_portal", lambda w: {"message_id": w.message.pk}),
    "wellbeing:session_weight": ("alice", lambda w: {"appointment_id": w.attended.pk}),
    "wellbeing:self_reflection_detail": (
        "alice",
        lambda w: {"self_reflection_id": w.self_reflection.pk},
    ),
    "wellbeing:self_reflection_edit": (
        "alice",
        lambda w: {"self_reflection_id": w.self_reflection.pk},
    ),
    "wellbeing:self_reflection_delete": (
        "alice",
        lambda w: {"self_reflection_id": w.self_reflection.pk},
    ),
    "wellbeing:consultation_edit": ("alice", lambda w: {"consultation_id": w.consultation.pk}),
    "wellbeing:client_consultations": ("alice", lambda w: {"client_id": w.dana.pk}),
    "endings:readiness": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:readiness_request": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:ending": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:referral_add": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:referral_remove": ("alice", lambda w: {"referral_id": w.referral.pk}),
    "endings:unplanned": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:unplanned_letter": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:relapse_plan": ("alice", lambda w: {"client_id": w.dana.pk}),
    "endings:summary": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:summary_pdf": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:summary_client": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "endings:summary_client_pdf": ("alice", lambda w: {"episode_id": w.episode.pk}),
    "exchange:record_requests": ("alice", lambda w: {"client_id": w.dana.pk}),
    "exchange:portal_record_download": ("dana_portal", lambda w: {"fmt": "json"}),
    "exchange:import_preview": ("alice", lambda w: {"batch_id": w.import_batch.pk}),
    "exchange:scores_preview": ("alice", lambda w: {"batch_id": w.scores_batch.pk}),
    "exchange:client_scores_csv": ("alice", lambda w: {"client_id": w.dana.pk}),
    "exchange:portal_session_ics": (
        "dana_portal",
        lambda w: {"appointment_id": w.upcoming.pk},
    ),
    "api:token_revoke": ("alice", lambda w: {"token_id": w.alice_token.pk}),
}

# The practice itself (a FHIR Organization, its Group and the Group's $export) is every
# member's to read; other practices get 404.
PRACTICE_WIDE = {"fhir:organization_read", "fhir:group_read", "fhir:group_export"}

# API id routes: route name → (method, URL kwargs, JSON body). Swept with the outsiders' own
# live tokens (all scopes): every one is a 404, and the rightful token is not.
API_ID_ROUTES: dict[str, tuple[str, Callable[[Any], dict[str, Any]], dict[str, Any]]] = {
    "api-v1:client": ("GET", lambda w: {"client_id": w.dana.pk}, {}),
    "api-v1:client_update": ("PATCH", lambda w: {"client_id": w.dana.pk}, {"pronouns": "x"}),
    "api-v1:client_episodes": ("GET", lambda w: {"client_id": w.dana.pk}, {}),
    "api-v1:episode": ("GET", lambda w: {"episode_id": w.episode.pk}, {}),
    "api-v1:appointment": ("GET", lambda w: {"appointment_id": w.upcoming.pk}, {}),
    "api-v1:appointments_book": (
        "POST",
        lambda w: {"client_id": w.dana.pk},
        {"starts_at": "2031-03-03T10:00:00Z"},
    ),
    "api-v1:appointment_cancel": (
        "POST",
        lambda w: {"appointment_id": w.upcoming.pk},
        {"cancelled_by": "client"},
    ),
    "api-v1:client_administrations": ("GET", lambda w: {"client_id": w.dana.pk}, {}),
    "api-v1:administration_link": (
        "POST",
        lambda w: {"administration_id": w.pending_admin.pk},
        {},
    ),
    "api-v1:administration_answers": (
        "POST",
        lambda w: {"administration_id": w.pending_admin.pk},
        {"answers": {}},
    ),
    "api-v1:alert_acknowledge": ("POST", lambda w: {"alert_id": w.alert.pk}, {}),
    "api-v1:client_checkins": ("GET", lambda w: {"client_id": w.dana.pk}, {}),
    "api-v1:client_scores": ("GET", lambda w: {"client_id": w.dana.pk}, {}),
    "api-v1:episode_plans": ("GET", lambda w: {"episode_id": w.episode.pk}, {}),
    "api-v1:plan": ("GET", lambda w: {"plan_id": w.plan.pk}, {}),
    "fhir:patient_read": ("GET", lambda w: {"pk": w.dana.pk}, {}),
    "fhir:patient_everything": ("GET", lambda w: {"pk": w.dana.pk}, {}),
    "fhir:practitioner_read": ("GET", lambda w: {"pk": w.alice.pk}, {}),
    "fhir:organization_read": ("GET", lambda w: {"pk": w.riverside.pk}, {}),
    "fhir:episodeofcare_read": ("GET", lambda w: {"pk": w.episode.pk}, {}),
    "fhir:appointment_read": ("GET", lambda w: {"pk": w.upcoming.pk}, {}),
    "fhir:questionnaireresponse_read": ("GET", lambda w: {"pk": w.completed_admin.pk}, {}),
    "fhir:observation_read": ("GET", lambda w: {"pk": w.completed_admin.pk}, {}),
    "fhir:encounter_read": ("GET", lambda w: {"pk": w.attended.pk}, {}),
    "fhir:careplan_read": ("GET", lambda w: {"pk": w.plan.pk}, {}),
    "fhir:goal_read": ("GET", lambda w: {"pk": w.draft_goal.pk}, {}),
    "fhir:flag_read": ("GET", lambda w: {"pk": w.alert.pk}, {}),
    "fhir:consent_read": ("GET", lambda w: {"pk": w.followup.consent.pk}, {}),
    "fhir:documentreference_read": ("GET", lambda w: {"pk": w.followup.episode.pk}, {}),
    "fhir:documentreference_pdf": ("GET", lambda w: {"pk": w.followup.episode.pk}, {}),
    "fhir:group_read": ("GET", lambda w: {"pk": w.riverside.pk}, {}),
    "fhir:group_export": ("GET", lambda w: {"pk": w.riverside.pk}, {}),
    "fhir:export_status": ("GET", lambda w: {"pk": _export(w)[0].pk}, {}),
    "fhir:export_file": (
        "GET",
        lambda w: {"pk": (made := _export(w))[0].pk, "file_id": made[1].pk},
        {},
    ),
}


def _export(world: Any) -> tuple[Any, Any]:
    """Alice's finished bulk export and its file."""
    from continuum.fhir.tests.world import make_export

    return make_export(world.alice)


# Parameters that are not object ids (tokens in public links; an instrument code names a FHIR
# Questionnaire of the catalogue, the same for every token).
NON_ID_PARAMS = {"uidb64", "token", "key", "code"}


def _id_routes(api: bool = False) -> dict[str, set[str]]:
    return {
        name: params
        for name, params in iter_routes()
        if params - NON_ID_PARAMS
        and name not in PUBLIC_ROUTES
        and name.startswith(API_NAMESPACE) == api
    }


class LoginRequiredSweep(BaseTestCase):
    def test_every_route_needs_login_except_the_public_allow_list(self) -> None:
        public = set()
        for name, params in iter_routes():
            url = reverse(name, kwargs=dummy_kwargs(params) or None)
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                needs_login = response.status_code in (401, 403) or (
                    response.status_code == 302
                    and response["Location"].startswith(reverse("account_login"))
                )
                # An API path answers a method it does not have with 405 before asking for
                # the token (and ninja's empty root is a 404): neither serves anything.
                if name.startswith(API_NAMESPACE) and response.status_code in (404, 405):
                    needs_login = True
                if not needs_login:
                    public.add(name)
        self.assertEqual(public, PUBLIC_ROUTES)


# Owner pages without an id: the owner's own practice; everyone else gets a 404.
OWNER_ROUTES = ("accounts:members", "accounts:roster", "accounts:practice_settings")


class OwnerRoutesSweep(BaseTestCase):
    def test_non_owners_get_404_on_every_owner_page_and_method(self) -> None:
        dana_portal = make_portal_user(self.dana)
        for name in OWNER_ROUTES:
            url = reverse(name)
            for person in (self.alice, self.bob, dana_portal):
                self.client.force_login(person)
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url)
                    self.assertEqual(response.status_code, 404, f"{person} {method} {name}")
            self.client.force_login(self.olivia)
            self.assertEqual(self.client.get(url).status_code, 200, name)


class OutsiderSweep(SweepWorld):
    def test_every_id_route_has_a_fixture(self) -> None:
        missing = set(_id_routes()) - set(ID_ROUTES)
        self.assertEqual(missing, set(), "add these routes to ID_ROUTES with their rightful owner")
        missing_api = set(_id_routes(api=True)) - set(API_ID_ROUTES)
        self.assertEqual(missing_api, set(), "add these API routes to API_ID_ROUTES")

    def _api_call(self, name: str, secret: str, key: str) -> Any:
        from django.core.cache import cache

        cache.clear()  # the sweep makes more requests a minute than a token may
        method, build, body = API_ID_ROUTES[name]
        url = reverse(name, kwargs=build(self))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_IDEMPOTENCY_KEY": key}
        call = getattr(self.client, method.lower())
        if method == "GET":
            return call(url, **headers)
        return call(url, body, content_type="application/json", **headers)

    def test_outsiders_tokens_get_404_on_every_api_id_route(self) -> None:
        from continuum.api.models import SCOPES
        from continuum.api.tokens import create_token

        checked = 0
        for outsider in (self.bob, self.olivia, self.charlie):
            secret = create_token(
                actor_for(outsider), name="sweep", scopes=list(SCOPES), days=1
            ).secret
            for name in API_ID_ROUTES:
                if name in PRACTICE_WIDE and outsider.membership.practice_id == self.riverside.pk:
                    continue
                response = self._api_call(name, secret, f"sweep-{outsider.pk}-{name}")
                self.assertEqual(
                    response.status_code,
                    404,
                    f"{outsider.email} {name} gave {response.status_code}",
                )
                checked += 1
        self.assertEqual(checked, 3 * len(API_ID_ROUTES) - 2 * len(PRACTICE_WIDE))

    def test_the_rightful_token_reaches_every_api_id_route(self) -> None:
        from continuum.api.models import SCOPES
        from continuum.api.tokens import create_token

        secret = create_token(actor_for(self.alice), name="own", scopes=list(SCOPES), days=1).secret
        for name in API_ID_ROUTES:
            response = self._api_call(name, secret, f"sweep-own-{name}")
            self.assertNotEqual(response.status_code, 404, name)
            self.assertLess(response.status_code, 500, name)

    def _outsiders(self, owner: str) -> list[Any]:
        if owner == "alice":
            # A colleague in the same practice, the owner of the same practice (who manages
            # the roster but does not treat Dana), and a therapist in another practice; and
            # Dana herself through her portal login (clients never reach staff routes).
            return [self.bob, self.olivia, self.charlie, self.dana_portal]
        if owner == "dana_portal":
            # Other clients' portal logins, and staff (who never reach portal routes).
            return [self.eli_portal, self.finn_portal, self.alice, self.bob, self.charlie]
        return [self.alice, self.bob, self.charlie]

    def test_outsiders_get_404_on_every_id_route_and_method(self) -> None:
        checked = 0
        for name, (owner, build) in ID_ROUTES.items():
            url = reverse(name, kwargs=build(self))
            for outsider in self._outsiders(owner):
                self.client.force_login(outsider)
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url)
                    self.assertEqual(
                        response.status_code,
                        404,
                        f"{outsider.email} {method.upper()} {name} gave {response.status_code}",
                    )
                    checked += 1
        self.assertGreater(checked, 0)

    def test_the_rightful_person_reaches_every_id_route(self) -> None:
        people = {"alice": self.alice, "olivia": self.olivia, "dana_portal": self.dana_portal}
        for name, (owner, build) in ID_ROUTES.items():
            self.client.force_login(people[owner])
            response = self.client.get(reverse(name, kwargs=build(self)))
            self.assertNotEqual(response.status_code, 404, f"{owner} GET {name} gave 404")
            self.assertLess(response.status_code, 500, name)

    def test_lists_and_search_show_no_foreign_rows(self) -> None:
        self.login(self.alice)
        foreign = {"Eli": self.eli, "Finn": self.finn, "Gwen": self.gwen}
        for url in (
            reverse("care:caseload"),
            reverse("care:schedule"),
            reverse("measures:alert_list"),
        ):
            self._assert_no_foreign(url, foreign, echoed="")
        for name in foreign:
            self._assert_no_foreign(reverse("care:caseload") + f"?q={name}", foreign, echoed=name)

    def _assert_no_foreign(self, url: str, foreign: dict[str, Any], echoed: str) -> None:
        body = self.client.get(url).content.decode()
        for name, client in foreign.items():
            link = reverse("care:client_detail", kwargs={"client_id": client.pk})
            self.assertNotIn(f'href="{link}"', body, f"{name} leaked into {url}")
            self.assertNotIn(client.last_name, body, f"{name} leaked into {url}")
            if name != echoed:  # the search box shows back what was typed
                self.assertNotIn(name, body, f"{name} leaked into {url}")
