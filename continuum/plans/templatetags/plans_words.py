"""Words for plan pages: `{% load plans_words %}`.

`{{ review|review_scores }}` is the scores an intervention review stored (the ones its decision
was made against), one line per measure, from plans.presenters.stored_scores_lines. No query:
the review's own column.
"""

from __future__ import annotations

from typing import Any

from django import template

from continuum.plans.presenters import stored_scores_lines

register = template.Library()


@register.filter
def review_scores(review: Any) -> list[str]:
    return stored_scores_lines(review.scores)
