"""Words for measures' data in templates: `{% load measures_words %}`."""

from __future__ import annotations

from django import template

from continuum.measures.models import Alert
from continuum.measures.presenters import (
    OutcomeWords,
    closed_alert_words,
    measure_summary_words,
    outcome_words,
)
from continuum.measures.queries import EpisodeOutcomeSummary, MeasureSummary

register = template.Library()


@register.filter(name="outcome_words")
def outcome_words_filter(summary: EpisodeOutcomeSummary | None) -> OutcomeWords | None:
    """An episode outcome (measures.queries.episode_outcome) as pages say it."""
    return outcome_words(summary) if summary is not None else None


@register.filter(name="closed_alert_words")
def closed_alert_words_filter(alert: Alert) -> str:
    """ "GAD-7 not on track alert closed: no longer current after GAD-7 2 on 3 Dec 2026"."""
    return closed_alert_words(alert)


@register.filter(name="summary_words")
def summary_words_filter(m: MeasureSummary) -> str:
    """ "Down 6 since the baseline of 14 on 23 Jul 2025: a reliable improvement." """
    return measure_summary_words(m)
