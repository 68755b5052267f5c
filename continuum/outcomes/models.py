"""Stored outcomes: one row per finished episode and instrument set.

A row is a copy made from the episode, its attended appointments and its current scores by
outcomes.services.refresh_episode, which the actions that change any of those call (through
continuum.lib.hooks) inside their own transaction. The practice page and outcomes_report
aggregate these rows with GROUP BY instead of re-reading every score.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import Episode


class InstrumentSet(models.TextChoices):
    PHQ9_GAD7 = "phq9_gad7", "PHQ-9 and GAD-7"
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
    CORE10 = "core10", "CORE-10"
    PCL5 = "pcl5", "PCL-5"


# The columns the counts read (queries._aggregates), carried in the indexes below.
FLAGS = [
    "finished_treatment",  # not in the prefix: Django filters a boolean as a bare column
    "paired",
    "caseness_start",
    "recovered",
    "reliably_improved",
    "reliably_recovered",
    "reliably_deteriorated",
    "end_quarter",
]


class EpisodeOutcome(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="+")
    # Denormalised from the episode so that the page filters and groups one table.
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    instrument_set = models.CharField(max_length=16, choices=InstrumentSet.choices)
    end_date = models.DateField()
    end_quarter = models.CharField(max_length=7)  # "2026Q3", for grouping by quarter
    referral = models.CharField(max_length=64)  # rules.referral_key: the source, never the text
    intake_band = models.CharField(max_length=32, blank=True)
    attended = models.PositiveIntegerField(default=0)
    finished_treatment = models.BooleanField(default=False)  # at least two attended
    start_a = models.FloatField(null=True, blank=True)
    end_a = models.FloatField(null=True, blank=True)
    start_b = models.FloatField(null=True, blank=True)
    end_b = models.FloatField(null=True, blank=True)
    paired = models.BooleanField(default=False)
    caseness_start = models.BooleanField(default=False)
    caseness_end = models.BooleanField(default=False)
    recovered = models.BooleanField(default=False)
    reliably_improved = models.BooleanField(default=False)
    reliably_recovered = models.BooleanField(default=False)
    reliably_deteriorated = models.BooleanField(default=False)
    category = models.CharField(max_length=32)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_set"], name="outcome_one_per_episode_and_set"
            )
        ]
        # Covering indexes: the page's counts read every column they need from an index
        # (SQLite and PostgreSQL index-only scans), 1,000,000 rows in docs/performance.md.
        indexes = [
            # The page (queries.practice_outcomes), overall and the trend: one practice's finished
            # rows of one set in a period, counted per end date and therapist in index order
            # (no sort), the therapist id in the index so that no row is read from the table.
            models.Index(
                fields=["practice", "instrument_set", "end_date", "therapist", *FLAGS],
                name="outcome_day_therapist",
            ),
            # The breakdown by therapist (and the funnel): grouped in index order.
            models.Index(
                fields=[
                    "practice",
                    "instrument_set",
                    "therapist",
                    "end_date",
                    *FLAGS,
                ],
                name="outcome_therapist",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_set} outcome of episode {self.episode_id}: {self.category}"
