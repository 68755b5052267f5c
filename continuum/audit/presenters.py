"""Audit rows in words, for the owner's log (issue 14): what happened, to what, in a line.

The rows keep their codes (the CSV export and the chain use them); these words are made at
the edge. A code nobody gave words to is shown as it is, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from continuum.audit.log import CLINICAL_KEYS, structural_value
from continuum.audit.models import AuditEvent

# Whole codes whose words the general rule below would get wrong.
ACTION_WORDS: dict[str, str] = {
    "login": "Logged in",
    "login.failed": "Login failed",
    "login.locked": "Login locked after failed attempts",
    "mfa.failed": "Wrong second-factor code",
    "mfa.locked": "Second factor locked after wrong codes",
    "mfa.passkey_added": "Passkey added",
    "mfa.passkey_removed": "Passkey removed",
    "mfa.passkey_used": "Passkey used as second factor",
    "measures.client_view": "Client's questionnaires viewed",
    "measures.episode_view": "Episode's questionnaires viewed",
    "measures.administration_view": "Questionnaire answers viewed",
    "measures.complete": "Questionnaire answered",
    "measures.correct": "Questionnaire answers corrected",
    "measures.assign": "Questionnaire assigned",
    "measures.assignment_stop": "Questionnaire schedule stopped",
    "measures.link_issue": "Questionnaire link issued",
    "measures.link_email": "Questionnaire link emailed to the client",
    "practice.settings": "Practice settings changed",
    "measures.safety_prompt_dismiss": "Unanswered safety question dismissed",
    "note.addendum": "Addendum added to a progress note",
    "episode.transition": "Episode status changed",
    "appointment.status": "Appointment status changed",
    "member.invite_resend": "Invitation sent again",
    "member.mfa_reset": "Member's second factor reset",
    "member.role": "Member's role changed",
    "access.refused": "Access refused (another's record)",
    "api.request": "API request",
    "fhir.export_start": "FHIR bulk export started",
    "fhir.export_download": "FHIR bulk export file downloaded",
    "fhir.export_delete": "FHIR bulk export cancelled or deleted",
    "audit.view": "Audit log viewed",
    "breakglass.open": "Emergency access opened",
    "breakglass.read": "Read under emergency access",
    "demo.seed": "Demo practice loaded",
    "password.set": "Password set",
    "password.reset_request": "Password reset requested",
    "record.request": "Client asked for their record",
    "record.review": "Client's record reviewed",
    "record.release": "Client's record released",
    "record.download": "Client's record downloaded",
    "day.view": "Day viewed (clients on my mind)",
    "ending.plan.accept": "Ending plan accepted by the client",
    "ending.plan.agree": "Ending plan agreed",
    "ending.referral.add": "Onward referral added to the ending",
    "ending.referral.remove": "Onward referral removed from the ending",
    "ending.unplanned.end": "Episode ended as unplanned",
    "ending.unplanned.save": "Unplanned ending letter saved",
    "measures.alert_keep": "Stale alert kept as still relevant",
    "messaging.on": "Messaging turned on",
    "notify.preferences": "Reminder preferences changed",
    "wellbeing.consultation.create": "Consultation logged",
    "wellbeing.consultation.update": "Consultation log changed",
    "wellbeing.prompt.snooze": "Self-care prompt snoozed",
    "wellbeing.self_reflection.create": "Self-reflection written",
    "wellbeing.self_reflection.delete": "Self-reflection deleted",
    "wellbeing.self_reflection.update": "Self-reflection changed",
    "wellbeing.settings.update": "Wellbeing settings changed",
    "wellbeing.weight.rate": "Session weight rated",
}

NOUNS: dict[str, str] = {
    "access": "Access",
    "alert": "Alert",
    "api": "API",
    "appointment": "Appointment",
    "audit": "Audit log",
    "booster": "Booster session",
    "boundaries": "Contact boundaries",
    "brief": "Pre-session brief",
    "calendar_feed": "Calendar feed",
    "calendar_session": "Calendar entry",
    "caseload": "Caseload",
    "checkin": "Check-in",
    "client": "Client",
    "client_import": "Client import",
    "consent": "Follow-up consent",
    "consultation": "Consultation log",
    "email": "Login email",
    "ending": "Ending",
    "episode": "Episode",
    "export": "Download",
    "followup": "Follow-up",
    "goal": "Goal",
    "homework": "Homework",
    "intervention": "Intervention",
    "letter": "Letter",
    "measures": "Questionnaire",
    "member": "Member",
    "message": "Message",
    "note": "Progress note",
    "notify": "Reminder settings",
    "outcomes": "Outcomes",
    "plan": "Treatment plan",
    "portal": "Portal access",
    "practice": "Practice",
    "readiness": "Readiness check",
    "record": "Client's record",
    "reflection": "Reflection",
    "relapse_plan": "Relapse-prevention plan",
    "roster": "Client roster",
    "token": "API token",
    "unplanned": "Unplanned ending",
}

VERBS: dict[str, str] = {
    "accept": "accepted",
    "acknowledge": "acknowledged",
    "address": "marked addressed",
    "answer": "answered",
    "assign": "assigned",
    "cancel": "cancelled",
    "change": "changed",
    "change_request": "change requested",
    "checkin_answer": "check-in answered",
    "close": "closed",
    "create": "created",
    "create_draft": "draft started",
    "decline": "declined",
    "deactivate": "deactivated",
    "delete": "deleted",
    "discard": "discarded",
    "download": "downloaded",
    "edit": "opened for editing",
    "email_change": "login email changed",
    "export": "exported",
    "import": "imported",
    "invite": "invited",
    "list": "list viewed",
    "names": "names setting changed",
    "offer": "offered",
    "preview": "previewed",
    "print": "printed",
    "publish": "published",
    "raise": "raised",
    "reactivate": "reactivated",
    "read": "read",
    "read_all": "all marked read",
    "reassign": "reassigned",
    "record": "recorded",
    "reopen": "re-opened",
    "reply": "replied to",
    "report": "reported",
    "request": "requested",
    "resolve": "resolved",
    "review": "reviewed",
    "revoke": "revoked",
    "save": "saved",
    "seen": "marked seen",
    "seen_all": "all marked seen",
    "send": "sent",
    "settings": "settings changed",
    "sign": "signed and locked",
    "snooze": "snoozed",
    "unaddress": "marked not addressed",
    "update": "changed",
    "view": "viewed",
    "withdraw": "withdrawn",
}


def action_words(code: str) -> str:
    """ "measures.alert_acknowledge" → "Alert acknowledged"; an unknown code as it is."""
    if code in ACTION_WORDS:
        return ACTION_WORDS[code]
    head, _, rest = code.partition(".")
    if rest in VERBS and head in NOUNS:
        return f"{NOUNS[head]} {VERBS[rest]}"
    # "<app>.<noun>_<verb>" ("measures.alert_resolve", "followup.consent_accept")
    for noun, verb in ((n, rest[len(n) + 1 :]) for n in NOUNS if rest.startswith(n + "_")):
        if verb in VERBS:
            return f"{NOUNS[noun]} {VERBS[verb]}"
    return code


def client_in(detail: Mapping[str, Any]) -> int | None:
    """The client a row is about: "client_id" (every new row), or "client" (rows written
    before audit.log.record derived it)."""
    for key in ("client_id", "client"):
        value = detail.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def object_words(
    object_type: str, object_id: str, detail: Mapping[str, Any], session: date | None = None
) -> str:
    """ "treatmentplan", "84", {"client_id": 12} → "Treatment plan #84 of client #12";
    a note or an appointment whose session day is known → "Client #12's note of 3 Dec 2026"."""
    if not object_type:
        client = client_in(detail)
        return f"Client #{client}" if client is not None else ""
    if session is not None and object_type in SESSION_NOUNS:
        client = client_in(detail)
        day = f"{session.day} {session:%b %Y}"
        noun = SESSION_NOUNS[object_type]
        if client is not None:
            return f"Client #{client}'s {noun} of {day} (#{object_id})"
        return f"The {noun} of {day} (#{object_id})"
    noun = OBJECT_NOUNS.get(object_type, object_type.capitalize())
    words = f"{noun} #{object_id}"
    client = client_in(detail)
    if object_type != "client" and client is not None:
        words += f" of client #{client}"
    return words


# Objects named by the day of their session when the log knows it.
SESSION_NOUNS: dict[str, str] = {"progressnote": "note", "appointment": "appointment"}

OBJECT_NOUNS: dict[str, str] = {
    "administration": "Questionnaire",
    "alert": "Alert",
    "appointment": "Appointment",
    "checkin": "Check-in",
    "client": "Client",
    "episode": "Episode",
    "goal": "Goal",
    "homework": "Homework",
    "intervention": "Intervention",
    "interventionreview": "Intervention review",
    "membership": "Member",
    "message": "Message",
    "progressnote": "Progress note",
    "reflection": "Reflection",
    "relapsepreventionplan": "Relapse-prevention plan",
    "treatmentplan": "Treatment plan",
}


# The detail keys the log shows: structural facts (ids, counts, codes, statuses, field
# names, days). Rows written before record() refused clinical values (a check-in's
# "mood", a note's text) cannot be rewritten (the chain hashes them), so the page and the
# CSV show only these keys, and only values that can be a code; anything else is dropped.
STRUCTURAL_KEYS = frozenset(
    [
        "addendum",
        "administration",
        "administrations",
        "after_hours",
        "alerts",
        "appointment",
        "appointments_moved",
        "automatic",
        "bands",
        "break_glass",
        "by",
        "cadence",
        "cancelled_by",
        "cancelled_checkins",
        "changed",
        "channel",
        "client",
        "clients",
        "clinical",
        "consultations",
        "count",
        "created",
        "creates",
        "days",
        "decision",
        "direction",
        "discharged",
        "drafts_kept",
        "duplicates",
        "ends_on",
        "episode",
        "episodes",
        "errors",
        "fields",
        "file",
        "filtered",
        "flags",
        "format",
        "former",
        "from",
        "grant",
        "groups",
        "has_note",
        "hours",
        "ids",
        "in_reply_to",
        "instrument",
        "instruments",
        "kind",
        "level",
        "marked_read",
        "measures",
        "method",
        "minute",
        "months",
        "noted",
        "now",
        "orphaned_drafts",
        "outcome",
        "outside_episode_confirmed",
        "overlap_confirmed",
        "page",
        "passwordless",
        "reason_given",
        "reauthentication",
        "reflections",
        "replaced",
        "requests",
        "resolution",
        "resolved_alerts",
        "role",
        "route",
        "rows",
        "scope",
        "scopes",
        "searched",
        "seed",
        "self_reflections",
        "series",
        "sessions_booked",
        "shared",
        "shared_measures",
        "shown",
        "since",
        "sort",
        "status",
        "supersedes",
        "table",
        "taken",
        "target_kind",
        "technique",
        "therapists",
        "to",
        "type",
        "types",
        "unplanned",
        "version",
        "via",
        "was",
        "week",
        "withdrawn",
    ]
)


def shown_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The structural part of a row's detail: allow-listed keys (and any "…_id"/"…_ids")
    whose values are codes, never a clinical key or free text."""
    return {
        key: value
        for key, value in detail.items()
        if (key in STRUCTURAL_KEYS or key.endswith(("_id", "_ids")))
        and key not in CLINICAL_KEYS
        and structural_value(value)
    }


def detail_words(detail: Mapping[str, Any]) -> str:
    """The structural facts that say something, as "key: value"; empty values and the ids
    already in the object column left out."""
    parts = []
    for key, value in detail.items():
        if key in ("client_id", "client") or value in (None, "", [], {}):
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def log_lines(
    events: Iterable[AuditEvent], sessions: Mapping[tuple[str, str], date] | None = None
) -> list[dict[str, Any]]:
    """The owner's log page: each row as the words it shows, its code kept for the hover;
    `sessions` gives the session day of the notes and appointments named."""
    sessions = sessions or {}
    return [
        {
            "at": e.at,
            "who": e.actor_label,
            "action": action_words(e.action),
            "code": e.action,
            "flagged": e.flagged,
            "object": object_words(
                e.object_type, e.object_id, e.detail, sessions.get((e.object_type, e.object_id))
            ),
            "details": detail_words(shown_detail(e.detail)),
            "ip": e.ip,
        }
        for e in events
    ]
