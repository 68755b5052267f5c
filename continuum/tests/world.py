"""Shared by the security sweeps (test_security_*.py): every GET page, and hostile free text.

`page_candidates(world)` lists (route name, URL, person) for every named route a signed-in
person can open: id routes as their rightful owner (ID_ROUTES of the URL sweep), routes
without parameters as each of the staff and portal personas. `fill_free_text()` writes XSS
payloads into every free-text column of every row through the ORM; FREE_TEXT and
NOT_FREE_TEXT together must name every text column, so a new one cannot be forgotten.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse

from continuum.tests.test_url_sweep import ID_ROUTES, NON_ID_PARAMS, PUBLIC_ROUTES, iter_routes

# The people who open pages: the treating therapist, the practice owner and Dana's portal login.
PEOPLE = ("alice", "olivia", "dana_portal")

# ~50 payloads. Each sets window.__xss or opens a dialog if it ever runs.
XSS_PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<script>alert(1)</script>",
    "<img src=x onerror=window.__xss=1>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    '<iframe src="javascript:parent.__xss=1"></iframe>',
    '<a href="javascript:window.__xss=1">click</a>',
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    '" onmouseover="window.__xss=1" x="',
    "' onfocus='window.__xss=1' autofocus='",
    '" autofocus onfocus="window.__xss=1',
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1>",
    "<audio src=x onerror=window.__xss=1>",
    '<object data="javascript:window.__xss=1">',
    '<embed src="javascript:window.__xss=1">',
    "<math><mtext><img src=x onerror=window.__xss=1>",
    "<marquee onstart=window.__xss=1>x</marquee>",
    '<div style="background:url(javascript:window.__xss=1)">',
    "<style>@import 'javascript:window.__xss=1';</style>",
    "<link rel=stylesheet href=javascript:window.__xss=1>",
    '<meta http-equiv=refresh content="0;url=javascript:window.__xss=1">',
    "<form action=javascript:window.__xss=1><button>go</button></form>",
    '<base href="javascript:window.__xss=1//">',
    "{{ 7|add:42 }}{% debug %}",
    "{{ request.user.password }}",
    "${window.__xss=1}",
    "{{constructor.constructor('window.__xss=1')()}}",
    '<div hx-get="/" hx-trigger="load" hx-on::after-request="window.__xss=1">x</div>',
    '<div hx-on:click="window.__xss=1">x</div>',
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    "\uff1cscript\uff1ewindow.__xss=1\uff1c/script\uff1e",
    "\u202e<img src=x onerror=window.__xss=1>",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<script src=data:,window.__xss=1></script>",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    '<!--<img src="--><img src=x onerror=window.__xss=1//">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    "<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>",
    '<a href="jav&#x09;ascript:window.__xss=1">x</a>',
    '"-alert(1)-"',
    "</script><svg onload=alert(1)>",
    "<template><script>window.__xss=1</script></template>",
]

# Every text column a person can type into (staff or client), by model label.
FREE_TEXT: dict[str, list[str]] = {
    "accounts.User": ["full_name"],
    "accounts.Practice": ["name", "crisis_resources"],
    "accounts.BreakGlassGrant": ["reason"],
    "care.Client": [
        "first_name",
        "last_name",
        "preferred_name",
        "pronouns",
        "phone",
        "emergency_contact_name",
        "emergency_contact_phone",
    ],
    "care.Episode": ["referral_reason"],
    "care.ProgressNote": ["sections", "next_session_plan"],
    "care.NoteAddendum": ["text"],
    "measures.Administration": ["reason", "correction_reason", "safety_prompt_dismiss_reason"],
    "measures.Alert": ["cause", "message", "action_note"],
    "reflections.Reflection": ["text", "addressed_note"],
    "plans.TreatmentPlan": ["focus"],
    "plans.Goal": ["statement"],
    "plans.Intervention": ["custom_technique", "rationale"],
    "plans.InterventionReview": ["what_happened", "client_response", "reason"],
    "api.ApiToken": ["name"],
    # The words before the first colon of the referral reason (the outcomes page's groups).
    "outcomes.EpisodeOutcome": ["referral"],
    "plans.Homework": ["title", "why", "client_note"],
    "portal.CheckIn": ["note"],
    "endings.ReadinessRequest": ["worries"],
    "endings.TerminationPlan": ["reason_other"],
    "endings.Referral": ["name", "service", "contact", "reason"],
    "endings.UnplannedEnding": ["letter", "closing_note"],
    "endings.RelapsePreventionPlan": ["warning_signs", "what_helps", "contacts", "booster_when"],
    "boundaries.ContactPolicy": ["after_hours_reply", "crisis_resources"],
    "boundaries.ClientMessaging": ["reason"],
    "boundaries.Message": ["body"],
    "followup.FollowUpCheckIn": ["how_are_you"],
    "followup.BoosterRequest": ["reason", "referral"],
    "wellbeing.SessionWeight": ["private_line"],
    "wellbeing.SelfReflection": ["text"],
    "wellbeing.ConsultationEntry": ["with_whom", "decided"],
}

# Text columns nobody types free text into, with the reason.
NOT_FREE_TEXT: dict[str, str] = {
    "outcomes.EpisodeOutcome.end_quarter": "a quarter computed from the end date (2026Q4)",
    "outcomes.EpisodeOutcome.category": "an outcome category code",
    "outcomes.EpisodeOutcome.intake_band": "a severity band code",
    "fhir.ExportJob.request_url": (
        "the kick-off URL, echoed only in the JSON manifest (its parameters were checked)"
    ),
    "fhir.ExportJob.level": "a code: system or group",
    "fhir.ExportJob.types": "FHIR resource types from a fixed list",
    "fhir.ExportJob.error": "an exception's class name, never data",
    "continuity.Attention.source": "a day contribution's name",
    "continuity.Attention.kind": "a reason code",
    "continuity.Attention.facts": (
        "ids, counts, codes, dates and the system's alert wording; never text a person wrote"
    ),
    "fhir.ExportFile.resource_type": "a FHIR resource type from a fixed list",
    "fhir.ExportFile.content": "encrypted NDJSON, served only as application/fhir+ndjson",
    "api.IdempotentRequest.method": "an HTTP method",
    "api.IdempotentRequest.body": "the first answer's JSON, replayed as stored",
    "api.IdempotentRequest.path": "the request path (ids only)",
    "api.IdempotentRequest.key": "the client's Idempotency-Key, length-checked",
    "api.ApiToken.token_hash": "a SHA-256 hex digest",
    "api.ApiToken.prefix": "the token's first characters, random",
    "api.ApiToken.scopes": "scope codes from a fixed list",
    "plans.InterventionReview.scores": "the scores the review was made against (numbers, codes)",
    "accounts.User.password": "a hash",
    "accounts.Submission.key": "a random one-time form key, pattern-validated",
    "accounts.Submission.result_url": "a URL reversed by the app",
    "accounts.User.email": "an EmailField, validated",
    "accounts.EmailChange.new_email": "an EmailField, validated",
    "accounts.EmailChange.old_email": "a copy of User.email",
    "accounts.Refusal.route": "a URL pattern name",
    "accounts.User.time_zone": "an IANA zone picked from a list",
    "accounts.Practice.time_zone": "an IANA zone picked from a list",
    "care.Client.email": "an EmailField, validated",
    "care.Client.time_zone": "an IANA zone picked from a list",
    "measures.MeasureAssignment.instrument": "an instrument code",
    "measures.MeasureAssignment.goal_labels": "copied from plan goals (covered there)",
    "measures.Administration.instrument": "an instrument code",
    "measures.Administration.instrument_version": "a version string",
    "measures.Administration.goal_labels": "copied from plan goals (covered there)",
    "measures.Administration.answers": "item numbers to scores, validated",
    "measures.Administration.band": "computed severity band",
    "measures.Administration.token_nonce": "a random nonce",
    "measures.ExpectedCurves.instrument": "an instrument code",
    "measures.ExpectedCurves.curves": "numbers",
    "plans.Goal.instrument": "an instrument code",
    "plans.Intervention.technique": "a technique code",
    "portal.PortalSettings.shared_measures": "instrument codes",
    "portal.CheckIn.idempotency_key": "a server-issued token",
    "endings.TerminationPlan.tapering": "dates and counts",
    "boundaries.Message.idempotency_key": "a server-issued token",
    "notify.Reminder.target_type": "a model name",
    "notify.Reminder.occasion": "a code",
    "notify.Reminder.outcome": "a code",
    "notify.JobRun.name": "a job's name, from the code",
    "notify.JobRun.outcome": "a code",
    "followup.FollowUpConsent.months": "numbers",
    "followup.FollowUpCheckIn.flags": "codes",
    "wellbeing.DigestSent.week": "an ISO week",
    "exchange.CalendarFeed.token_hash": "a SHA-256 hex digest",
    "exchange.ImportBatch.rows": (
        "JSON of an uploaded CSV's parsed rows, shown autoescaped on the import preview "
        "(exchange/tests/test_import.py sends markup through it)"
    ),
}


def text_columns() -> set[str]:
    """model.field for every CharField, TextField and JSONField without choices (our apps)."""
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("continuum.") or model._meta.app_label == "audit":
            continue
        for field in model._meta.concrete_fields:
            text = isinstance(field, (models.CharField, models.TextField, models.JSONField))
            if text and not field.choices:
                found.add(f"{model._meta.label}.{field.name}")
    return found


def _first_choice(model: Any, name: str) -> Any:
    return model._meta.get_field(name).choices[0][0]


def add_missing_rows(world: Any) -> None:
    """Rows for the models the URL sweep's world leaves empty, so that every column is filled."""
    from datetime import timedelta

    from django.utils import timezone

    from continuum.accounts.models import BreakGlassGrant
    from continuum.boundaries.models import ClientMessaging, ContactPolicy
    from continuum.endings.models import (
        ReadinessRequest,
        RelapsePreventionPlan,
        TerminationPlan,
        UnplannedEnding,
    )
    from continuum.outcomes.models import EpisodeOutcome
    from continuum.plans.models import InterventionReview
    from continuum.wellbeing.models import SessionWeight

    today = timezone.localdate()
    # An owner's emergency access to Dana's record, still running (its reason is shown).
    BreakGlassGrant.objects.create(
        owner=world.olivia,
        client=world.dana,
        reason="x",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    InterventionReview.objects.create(
        intervention=world.intervention,
        reviewed_on=today,
        what_happened="x",
        client_response="x",
        decision=_first_choice(InterventionReview, "decision"),
        reason="x",
        created_by=world.alice,
    )
    ReadinessRequest.objects.create(
        episode=world.episode, client=world.dana, requested_by=world.alice, worries="x"
    )
    TerminationPlan.objects.create(
        episode=world.episode,
        client=world.dana,
        reason=_first_choice(TerminationPlan, "reason"),
        final_session_date=today + timedelta(days=28),
        agreed_by=world.alice,
    )
    UnplannedEnding.objects.create(
        episode=world.followup.episode, client=world.dana, letter="x", created_by=world.alice
    )
    RelapsePreventionPlan.objects.create(
        client=world.dana,
        episode=world.episode,
        version=1,
        warning_signs="x",
        shared_with_client=True,
        created_by=world.alice,
    )
    ContactPolicy.objects.create(therapist=world.alice, phase=_first_choice(ContactPolicy, "phase"))
    ClientMessaging.objects.create(
        client=world.dana, enabled=True, reason="x", changed_by=world.alice
    )
    SessionWeight.objects.create(
        therapist=world.alice, appointment=world.attended, weight=3, private_line="x"
    )
    # A finished episode's stored outcome (its referral group is shown on the outcomes page).
    EpisodeOutcome.objects.create(
        episode=world.episode,
        practice=world.riverside,
        therapist=world.alice,
        instrument_set="phq9_gad7",
        end_date=today,
        end_quarter=f"{today.year}Q{(today.month - 1) // 3 + 1}",
        referral="x",
        attended=2,
        finished_treatment=True,
        category="not_paired",
    )


def fill_free_text() -> int:
    """Overwrite every free-text value of every row with payloads; the number of values set."""
    written = 0
    turn = 0
    for label, names in FREE_TEXT.items():
        model = apps.get_model(label)
        for obj in model.objects.all():
            for name in names:
                field = model._meta.get_field(name)
                limit = getattr(field, "max_length", None) or 100_000
                fitting = [p for p in XSS_PAYLOADS if len(p) <= limit]
                value: Any = fitting[turn % len(fitting)]
                turn += 1
                if isinstance(field, models.JSONField):  # note sections: {section: text}
                    current = getattr(obj, name) or {"subjective": ""}
                    value = {
                        key: XSS_PAYLOADS[(turn + i) % len(XSS_PAYLOADS)]
                        for i, key in enumerate(current)
                    }
                setattr(obj, name, value)
                written += 1
            obj.save(update_fields=names)
    return written


def page_candidates(world: Any) -> list[tuple[str, str, str]]:
    """(route name, URL, person) for every page a signed-in person may open."""
    found = []
    for name, params in iter_routes():
        if name in ID_ROUTES:
            owner, build = ID_ROUTES[name]
            found.append((name, reverse(name, kwargs=build(world)), owner))
        elif not params and name not in PUBLIC_ROUTES:
            found.extend((name, reverse(name), person) for person in PEOPLE)
        elif params and params <= NON_ID_PARAMS:
            continue  # public token links (set-password, questionnaire): no signed-in person
    return found
