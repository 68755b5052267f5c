"""Words for measures' data in templates: `{% load measures_words %}`."""

from __future__ import annotations

from django import template

from continuum.measures.presenters import OutcomeWords, outcome_words
from continuum.measures.queries import EpisodeOutcomeSummary

register = template.Library()


@register.filter(name="outcome_words")
def outcome_words_filter(summary: EpisodeOutcomeSummary | None) -> OutcomeWords | None:
    """An episode outcome (measures.queries.episode_outcome) as pages say it."""
    return outcome_words(summary) if summary is not None else None
