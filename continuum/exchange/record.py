"""A client's own record (right of access, GDPR Articles 15 and 20; HIPAA): its data, for the
JSON file and the PDF made from the same dictionary.

What is in it: the client's details, appointments, signed progress notes (with addenda),
treatment plans as published, scores with their bands, check-ins, portal messages, the
relapse-prevention plans shared with them, and the client version of each termination
summary. What is never in it: reflections (psychotherapy notes, kept apart by law and
never read here: nothing in exchange imports the reflections app), draft notes, drafts of
plans, the clinical version of summaries, and anything about other people.

`client_record(client)` is the seam for the FHIR `$everything` bundle (issue 15): the same
facts, another shape.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from django.utils import timezone

from continuum.boundaries.models import Direction, Message
from continuum.care.models import Appointment, Client, NoteStatus, ProgressNote
from continuum.endings.models import RelapsePreventionPlan
from continuum.endings.summary import Version, build_summary
from continuum.exchange.presenters import band_label, instrument_name
from continuum.measures.models import Administration, AdministrationStatus
from continuum.plans.catalogue import CATALOGUE
from continuum.plans.models import PlanStatus, TreatmentPlan
from continuum.portal.models import CheckIn

FORMAT = "continuum.client-record"
FORMAT_VERSION = 1


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def _technique(code: str, custom: str) -> str:
    entry = CATALOGUE.get(code)
    return custom or (entry.name if entry is not None else code)


def client_record(client: Client) -> dict[str, Any]:
    """Everything the client may have, as plain JSON values (times in UTC, ISO 8601)."""
    appointments = [
        {
            "starts_at": _when(a.starts_at),
            "duration_minutes": a.duration_minutes,
            "modality": a.get_modality_display(),
            "status": a.get_status_display(),
        }
        for a in Appointment.objects.filter(client=client).order_by("starts_at", "pk")
    ]
    notes = [
        {
            "session": _when(n.appointment.starts_at),
            "format": n.get_format_display(),
            "signed_at": _when(n.signed_at),
            "sections": [{"heading": label, "text": text} for label, text in n.section_items()],
            "next_session_plan": n.next_session_plan,
            "addenda": [{"at": _when(x.created_at), "text": x.text} for x in n.addenda.all()],
        }
        for n in ProgressNote.objects.filter(client=client, status=NoteStatus.SIGNED)
        .select_related("appointment")
        .prefetch_related("addenda")
        .order_by("appointment__starts_at", "pk")
    ]
    plans = [
        {
            "version": p.version,
            "status": p.get_status_display(),
            "published_at": _when(p.published_at),
            "focus": p.focus,
            "goals": [
                {
                    "statement": g.statement,
                    "target_date": _when(g.target_date),
                    "status": g.get_status_display(),
                }
                for g in p.goals.all()
            ],
            "interventions": [
                {
                    "technique": _technique(i.technique, i.custom_technique),
                    "rationale": i.rationale,
                    "start_date": _when(i.start_date),
                    "status": i.get_status_display(),
                }
                for i in p.interventions.all()
            ],
        }
        for p in TreatmentPlan.objects.filter(client=client)
        .exclude(status=PlanStatus.DRAFT)
        .prefetch_related("goals", "interventions")
        .order_by("published_at", "pk")
    ]
    scores = [
        {
            "measure": instrument_name(a.instrument),
            "completed_at": _when(a.completed_at),
            "total": a.total,
            "band": band_label(a.instrument, a.band),
            "corrected_later": a.status == AdministrationStatus.SUPERSEDED,
        }
        for a in Administration.objects.filter(
            client=client,
            status__in=(AdministrationStatus.COMPLETED, AdministrationStatus.SUPERSEDED),
        ).order_by("completed_at", "pk")
    ]
    checkins = [
        {
            "at": _when(c.created_at),
            "mood": c.mood,
            "sleep": c.sleep,
            "energy": c.energy,
            "note": c.note,
            "urgent": c.urgent,
        }
        for c in CheckIn.objects.filter(client=client).order_by("created_at", "pk")
    ]
    messages = [
        {
            "at": _when(m.created_at),
            "from": "you" if m.direction == Direction.TO_THERAPIST else "your therapist",
            "text": m.body,
        }
        for m in Message.objects.filter(client=client).order_by("created_at", "pk")
    ]
    relapse = [
        {
            "version": r.version,
            "created_at": _when(r.created_at),
            "warning_signs": r.warning_signs,
            "what_helps": r.what_helps,
            "contacts": r.contacts,
            "booster_when": r.booster_when,
        }
        for r in RelapsePreventionPlan.objects.filter(
            client=client, shared_with_client=True
        ).order_by("version", "pk")
    ]
    summaries = []
    for episode in (
        client.episodes.filter(end_date__isnull=False)
        .select_related("client__practice", "therapist")
        .order_by("start_date", "pk")
    ):
        summary = build_summary(episode, Version.CLIENT)
        summaries.append(
            {
                "episode_started": _when(episode.start_date),
                "episode_ended": _when(episode.end_date),
                "sessions_attended": summary.attended,
                "ending": summary.ending_words,
                "focus": summary.focus,
                "goals": [asdict(g) for g in summary.goals],
                "what_we_worked_on": [
                    {"name": i.name, "plain": i.plain, "status": i.status}
                    for i in summary.interventions
                ],
                "outcomes": [asdict(o) for o in summary.outcome_lines],
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _when(timezone.now()),
        "practice": client.practice.name,
        "therapist": client.therapist.display_name,
        "not_included": (
            "Your therapist's private reflections (psychotherapy notes) are not part of "
            "this record; draft notes and draft plans are not either."
        ),
        "details": {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "preferred_name": client.preferred_name,
            "pronouns": client.pronouns,
            "date_of_birth": _when(client.date_of_birth),
            "email": client.email,
            "phone": client.phone,
            "time_zone": client.time_zone,
        },
        "episodes": [
            {
                "start_date": _when(e.start_date),
                "end_date": _when(e.end_date),
                "status": e.get_status_display(),
                "referral_reason": e.referral_reason,
            }
            for e in client.episodes.order_by("start_date", "pk")
        ],
        "appointments": appointments,
        "progress_notes": notes,
        "treatment_plans": plans,
        "scores": scores,
        "check_ins": checkins,
        "messages": messages,
        "relapse_prevention_plans": relapse,
        "termination_summaries": summaries,
    }


def record_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=2).encode()
