"""Words and links for what measures contributes to other pages (the edge of the app)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from continuum.accounts.paths import path_for_ids
from continuum.care.models import Episode
from continuum.lib.contributions import DayItem, DayLine
from continuum.measures import scoring
from continuum.measures.instruments import Instrument
from continuum.measures.models import Administration, Alert, AlertKind, instrument_name
from continuum.measures.queries import (
    CHANGE_WORDS,
    EpisodeOutcomeSummary,
    MeasureOutcome,
    MeasureSummary,
    moved_words,
)


def age_words(days: int) -> str:
    """ "9 weeks", "3 months": how long an alert has gone without new evidence."""
    if days >= 90:
        months = days // 30
        return f"{months} month{'s' if months != 1 else ''}"
    weeks = days // 7
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def stale_words(days: int) -> str:
    return f"Stale: no new evidence for {age_words(days)}. Still relevant?"


def alert_lines(items: list[DayItem]) -> list[DayLine]:
    alert_path = path_for_ids("measures:alert_detail", "alert_id")
    stale_path = path_for_ids("measures:alert_stale", "alert_id")
    lines = []
    for item in items:
        more = item.facts["more"]
        reason = f"{AlertKind(item.facts['alert_kind']).label}: {item.facts['message']}"
        if more:
            reason += f" (and {more} more open alert{'s' if more > 1 else ''})"
        assert item.ref is not None
        stale = item.facts.get("stale_days")
        if stale is not None:
            lines.append(
                DayLine(
                    reason=f"{reason} {stale_words(stale)}",
                    url=stale_path(item.ref),
                    action="Keep or close",
                )
            )
        else:
            lines.append(
                DayLine(reason=reason, url=alert_path(item.ref), action="Review the alert")
            )
    return lines


def safety_prompt_lines(items: list[DayItem]) -> list[DayLine]:
    """Tier 2: "Ask PHQ-9 item 9 at the next contact"."""
    admin_path = path_for_ids("measures:administration_detail", "administration_id")
    lines = []
    for item in items:
        assert item.ref is not None
        lines.append(
            DayLine(
                reason=safety_prompt_words(item.facts["instrument"], item.facts["items"]),
                url=admin_path(item.ref),
                action="Record the answer or dismiss",
            )
        )
    return lines


def safety_prompt_words(code: str, items: list[str]) -> str:
    name = instrument_name(code)
    which = " and ".join(items)
    return (
        f"Ask {name} item{'s' if len(items) > 1 else ''} {which} at the next contact: "
        "the safety question was left unanswered."
    )


def resolve_safety_words(alert: Alert, action_label: str) -> list[str]:
    """What resolving a safety alert does, said before it is done (the confirmation step)."""
    return [
        f"The safety alert for {alert.client.display_name} is marked resolved in your name, "
        f"now, recording what was done: {action_label}.",
        "It leaves the alerts list and your day, and it cannot be reopened.",
        "If a later questionnaire flags risk again, a new safety alert is raised.",
    ]


def closed_alert_words(alert: Alert) -> str:
    """The client's history line of an alert that closed itself: "GAD-7 alert closed: no
    longer current after GAD-7 2 on 3 Dec 2026"."""
    closing = alert.closed_by_administration
    name = instrument_name(closing.instrument) if closing else AlertKind(alert.kind).label
    words = f"{name} {AlertKind(alert.kind).label.lower()} alert closed: no longer current"
    if closing is not None and closing.completed_at is not None:
        day = timezone.localtime(closing.completed_at)
        words += f" after {name} {closing.total_display} on {day.day} {day:%b %Y}"
    return words


# --- An episode's outcome in words -----------------------------------------------------------


@dataclass(frozen=True)
class MeasureOutcomeWords:
    instrument: Instrument
    baseline: Administration
    latest: Administration
    reliable: str | None
    change: str  # "down 10 points"
    words: str  # the whole sentence
    baseline_text: str  # "18 (moderately severe)"
    latest_text: str


@dataclass(frozen=True)
class OutcomeWords:
    """queries.EpisodeOutcomeSummary as the pages and documents say it."""

    episode: Episode
    measures: list[MeasureOutcomeWords]
    attended: int
    finished_treatment: bool
    outcome: scoring.EpisodeOutcome | None
    category: str  # the NHS Talking Therapies category in plain words
    explanation: str


def score_text(inst: Instrument, admin: Administration) -> str:
    """ "18 (moderately severe)"."""
    assert admin.total is not None
    band = inst.band(admin.band) if admin.band else None
    return f"{inst.display(admin.total)}" + (f" ({band.label.lower()})" if band else "")


def change_text(inst: Instrument, diff: float) -> str:
    """ "down 10 points", "up 5 percentage points", "no change"."""
    amount = inst.display(abs(diff)).removesuffix("%")
    plural = "" if amount == "1" else "s"
    unit = f" percentage point{plural}" if inst.display_unit == "%" else f" point{plural}"
    return "no change" if diff == 0 else f"{'up' if diff > 0 else 'down'} {amount}{unit}"


def measure_outcome_words(m: MeasureOutcome) -> MeasureOutcomeWords:
    inst, change = m.instrument, change_text(m.instrument, m.change)
    if m.single:
        words = f"{inst.name}: one score so far, {score_text(inst, m.baseline)}."
    else:
        words = (
            f"{inst.name}: {score_text(inst, m.baseline)} at the start, "
            f"{score_text(inst, m.latest)} at the latest, {change}: {CHANGE_WORDS[m.reliable]}."
        )
    return MeasureOutcomeWords(
        instrument=inst,
        baseline=m.baseline,
        latest=m.latest,
        reliable=m.reliable,
        change=change,
        words=words,
        baseline_text=score_text(inst, m.baseline),
        latest_text=score_text(inst, m.latest),
    )


def _explanation(summary: EpisodeOutcomeSummary) -> str:
    outcome = summary.outcome
    if outcome is None:
        return "The category needs PHQ-9 or GAD-7 scores at both the start and the latest session."
    parts = []
    if outcome.category != "not_at_caseness":
        parts.append(
            "At caseness at the start."
            if outcome.caseness_at_start
            else "Below caseness at the start."
        )
    if outcome.caseness_at_start:
        parts.append("Below caseness now." if not outcome.caseness_at_end else "Still at caseness.")
    if outcome.mixed_change:
        parts.append(
            "One measure reliably improved while the other reliably worsened, so neither counts."
        )
    if not summary.finished_treatment:
        parts.append(
            "Fewer than two attended appointments: not yet a finished course of treatment, "
            "so this is provisional."
        )
    return " ".join(parts)


def outcome_words(summary: EpisodeOutcomeSummary) -> OutcomeWords:
    return OutcomeWords(
        episode=summary.episode,
        measures=[measure_outcome_words(m) for m in summary.measures],
        attended=summary.attended,
        finished_treatment=summary.finished_treatment,
        outcome=summary.outcome,
        category=summary.outcome.label if summary.outcome else "Not enough scores yet",
        explanation=_explanation(summary),
    )


# --- A measure's summary on the client and measures pages -------------------------------------


def measure_summary_words(m: MeasureSummary) -> str:
    """What a clinician reads first under a measure's latest score: "Down 6 since the baseline
    of 14 on 23 Jul 2025: a reliable improvement." A measure without a reliable-change rule
    says the change only (the template adds its one "no rule" sentence)."""
    if m.latest is None or m.baseline is None:
        return ""
    if m.change is None:
        return f"The baseline of this episode, {m.baseline.day.day} {m.baseline.day:%b %Y}."
    before = m.baseline.administration.total
    after = m.latest.administration.total
    assert before is not None
    assert after is not None
    moved = moved_words(m.instrument, before, after)
    words = (
        f"{moved[0].upper()}{moved[1:]} since the baseline of {m.baseline.total} on "
        f"{m.baseline.day.day} {m.baseline.day:%b %Y}"
    )
    if moved == "no change":
        words = f"No change since the baseline on {m.baseline.day.day} {m.baseline.day:%b %Y}"
    if not m.has_rule:
        return f"{words}."
    return f"{words}: {CHANGE_WORDS[m.reliable]}."
