"""The practice's outcomes as data: counts, rates, Wilson intervals and suppression, overall
and by group, aggregated from the stored rows with GROUP BY in the database.

One function, practice_outcomes, serves the page, its CSV and `manage.py outcomes_report`.
Words are made at the edge (outcomes/presenters.py, the templates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from continuum.accounts.models import Practice, User
from continuum.outcomes import rules
from continuum.outcomes.models import EpisodeOutcome

GROUPINGS = ("therapist", "quarter", "referral", "band")
_GROUP_FIELD = {
    "therapist": "therapist_id",
    "quarter": "end_quarter",
    "referral": "referral",
    "band": "intake_band",
}
COUNTS = (
    "finished",
    "paired",
    "at_caseness",
    "recovered",
    "reliably_improved",
    "reliably_recovered",
    "reliably_deteriorated",
)
# Each rate: its numerator and denominator (CLINICAL.md; NHS Talking Therapies).
RATES: dict[str, tuple[str, str]] = {
    "completeness": ("paired", "finished"),
    "recovery_rate": ("recovered", "at_caseness"),
    "reliable_improvement_rate": ("reliably_improved", "paired"),
    "reliable_recovery_rate": ("reliably_recovered", "at_caseness"),
    "reliable_deterioration_rate": ("reliably_deteriorated", "paired"),
}


@dataclass(frozen=True)
class Rate:
    value: float | None  # None when the denominator is 0
    numerator: int
    denominator: int
    low: float | None  # Wilson 95% interval
    high: float | None


@dataclass(frozen=True)
class Cell:
    """One row of a table: the overall figures or one group's."""

    key: str | int | None  # None for overall; a therapist id, "2026Q3", a referral, a band
    name: str  # the therapist's name for therapist groups; "" otherwise
    finished: int  # finished episodes (ended, at least two attended appointments)
    paired: int  # ... with a first and last score on the set's instruments
    at_caseness: int  # ... paired and at caseness at the start
    recovered: int
    reliably_improved: int
    reliably_recovered: int
    reliably_deteriorated: int
    suppressed: bool  # fewer than rules.SUPPRESS_BELOW finished episodes
    rates: dict[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.key is None else {"key": self.key}
        if self.name:
            out["name"] = self.name
        out.update({c: getattr(self, c) for c in COUNTS})
        for name, rate in self.rates.items():
            out[name] = rate.value
            out[f"{name}_ci95"] = None if rate.low is None else [rate.low, rate.high]
        out["suppressed"] = self.suppressed
        return out


@dataclass(frozen=True)
class Outcomes:
    instrument: str
    start: date | None
    end: date | None
    by: str | None
    therapist_id: int | None
    overall: Cell
    groups: list[Cell]

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "by": self.by,
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
        }


def _aggregates() -> dict[str, Count]:
    # The base rows are finished ones only, so each count is a filtered COUNT of them. The
    # aliases carry a prefix: Django refuses an aggregate named like a field (paired, ...).
    # They count end_date (never null), not the id: the id is in no index, and counting it
    # made PostgreSQL read every row from the table instead of the covering index alone.
    case = Q(paired=True, caseness_start=True)
    col = "end_date"
    return {
        "n_finished": Count(col),
        "n_paired": Count(col, filter=Q(paired=True)),
        "n_at_caseness": Count(col, filter=case),
        "n_recovered": Count(col, filter=case & Q(recovered=True)),
        "n_reliably_improved": Count(col, filter=Q(paired=True, reliably_improved=True)),
        "n_reliably_recovered": Count(col, filter=case & Q(reliably_recovered=True)),
        "n_reliably_deteriorated": Count(col, filter=Q(paired=True, reliably_deteriorated=True)),
    }


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {c: int(row[f"n_{c}"] or 0) for c in COUNTS}


def make_cell(key: str | int | None, counts: dict[str, int], name: str = "") -> Cell:
    rates = {}
    for rate, (num, den) in RATES.items():
        k, n = counts[num], counts[den]
        interval = rules.wilson(k, n)
        rates[rate] = Rate(
            value=k / n if n else None,
            numerator=k,
            denominator=n,
            low=interval[0] if interval else None,
            high=interval[1] if interval else None,
        )
    return Cell(
        key=key,
        name=name,
        suppressed=counts["finished"] < rules.SUPPRESS_BELOW,
        rates=rates,
        **{c: counts[c] for c in COUNTS},
    )


def rows_for(
    practice: Practice,
    *,
    start: date | None,
    end: date | None,
    instrument: str,
    therapist: User | None = None,
) -> QuerySet[EpisodeOutcome]:
    rows = EpisodeOutcome.objects.filter(
        practice=practice, instrument_set=instrument, finished_treatment=True
    )
    if start is not None:
        rows = rows.filter(end_date__gte=start)
    if end is not None:
        rows = rows.filter(end_date__lte=end)
    if therapist is not None:
        rows = rows.filter(therapist=therapist)
    return rows


def _names(ids: list[int]) -> dict[int, str]:
    """The therapists' names (1 query)."""
    if not ids:
        return {}
    return {
        pk: full_name or email
        for pk, full_name, email in User.objects.filter(pk__in=ids).values_list(
            "pk", "full_name", "email"
        )
    }


def _cells(by: str, counts: dict[Any, dict[str, int]], names: dict[int, str]) -> list[Cell]:
    """The groups' cells in the tables' order: by key (sorted here, not by the database, so
    that every backend's collation gives the same order), therapists by name."""
    keys = sorted(counts)
    cells = [make_cell(key, counts[key], name=names.get(key, "")) for key in keys]
    if by == "therapist":
        cells.sort(key=lambda g: g.name.casefold())
    return cells


def _groups(rows: QuerySet[EpisodeOutcome], by: str) -> list[Cell]:
    """Counts per group by quarter, referral or band (1 query; by therapist, the groups are
    summed from practice_outcomes' one pass instead)."""
    field = _GROUP_FIELD[by]
    grouped = {
        row[field]: _counts(row) for row in rows.values(field).annotate(**_aggregates()).order_by()
    }
    return _cells(by, grouped, {})


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for c in COUNTS:
        into[c] += counts[c]


@dataclass(frozen=True)
class Figures:
    """The practice's outcomes for one period and instrument set: what the page shows and
    what `manage.py outcomes_report` prints (`practice`)."""

    practice: Outcomes  # the practice's figures in the period, overall and grouped `by`
    # (no groups when `therapist` is given: a therapist sees only their own clients' breakdown)
    own: Outcomes | None  # the same for the therapist's own clients, when one is given
    funnel: list[Cell]  # the practice's figures in the period by therapist
    trend: list[Cell]  # the practice's figures by quarter, from trend_start to the end


def practice_outcomes(
    practice: Practice,
    *,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    instrument: str = rules.DEFAULT_SET,
    therapist: User | None = None,
    trend_start: date | None = None,
) -> Figures:
    """The practice's figures for finished episodes ending in [start, end] (inclusive; None is
    open), for one instrument set, overall and grouped `by` one of GROUPINGS (or not grouped);
    with `therapist`, also that therapist's own figures and breakdown beside the practice's;
    with `trend_start`, the trend by quarter from then to `end`. The one query function of
    the outcomes page and of `manage.py outcomes_report`.

    2 queries (3 with a breakdown other than by therapist), whatever the number of
    therapists or episodes:

    1. one pass over the rows ending in [min(start, trend_start), end], counted per end date
       and therapist: GROUP BY in the order of the index outcome_day_therapist, so neither
       database sorts or reads the table, and at most (days x therapists) small rows come
       back, summed here into the overall figures, the breakdown by therapist, the funnel, a
       therapist's own figures and the trend's quarters (without a trend: counted per
       therapist alone, the rest the same)
    2. the therapists' names
    3. for a breakdown by quarter, referral or band: the counts per group in the period
       (the practice's without `therapist`; with one, the therapist's own clients', the only
       breakdown they are shown: practice.groups stays empty then)

    Every figure is a sum of integer counts, so the overall figures are the groups' sums.
    """
    if instrument not in rules.INSTRUMENT_SETS:
        raise ValueError(f"unknown instrument set {instrument!r}")
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    lower = start if trend_start is None or start is None else min(start, trend_start)
    rows = rows_for(practice, start=lower, end=end, instrument=instrument)
    # With a trend, the rows are counted per end date and therapist: the day says its quarter
    # and whether it is in the period. Without one (the command), every row read is in the
    # period, and they are counted per therapist alone (the index outcome_therapist's order).
    by_day = trend_start is not None
    keys = ("end_date", "therapist_id") if by_day else ("therapist_id",)
    grouped = rows.values(*keys).annotate(**_aggregates()).order_by()
    # Up to (days x therapists) rows: read with the cursor, and summed first per therapist,
    # quarter and whether the day is in the period (a few hundred keys), then per table.
    sql, params = grouped.query.sql_with_params()
    days: dict[Any, tuple[str | None, bool]] = {None: (None, True)}  # raw as the driver gives it
    sums: dict[tuple[Any, str | None, bool], list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            raw, who, values = (row[0], row[1], row[2:]) if by_day else (None, row[0], row[1:])
            day_key = days.get(raw)
            if day_key is None:
                day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
                in_trend = trend_start is not None and day >= trend_start
                quarter = rules.quarter_key(day) if in_trend else None
                day_key = days[raw] = (quarter, start is None or day >= start)
            into = sums.get((who, *day_key))
            if into is None:
                sums[(who, *day_key)] = list(values)
            else:
                for i, value in enumerate(values):
                    into[i] += value
    own_pk = therapist.pk if therapist is not None else None
    overall, own = _zero(), _zero()
    funnel: dict[Any, dict[str, int]] = {}
    trend: dict[Any, dict[str, int]] = {}
    for (who, quarter, in_period), values in sums.items():
        counts = dict(zip(COUNTS, values, strict=True))
        if quarter is not None:
            _add(trend.setdefault(quarter, _zero()), counts)
        if not in_period:
            continue
        _add(overall, counts)
        _add(funnel.setdefault(who, _zero()), counts)
        if who == own_pk:
            _add(own, counts)
    names = _names(list(funnel))
    funnel_cells = _cells("therapist", funnel, names)
    groups: list[Cell] = []
    own_groups: list[Cell] = []
    if by == "therapist":
        groups = funnel_cells if therapist is None else []
        own_groups = [c for c in funnel_cells if c.key == own_pk]
    elif by is not None:
        period = rows_for(
            practice, start=start, end=end, instrument=instrument, therapist=therapist
        )
        if therapist is None:
            groups = _groups(period, by)
        else:
            own_groups = _groups(period, by)

    def outcomes(total: dict[str, int], cells: list[Cell], who: int | None) -> Outcomes:
        return Outcomes(
            instrument=instrument,
            start=start,
            end=end,
            by=by,
            therapist_id=who,
            overall=make_cell(None, total),
            groups=cells,
        )

    return Figures(
        practice=outcomes(overall, groups, None),
        own=outcomes(own, own_groups, own_pk) if therapist is not None else None,
        funnel=funnel_cells,
        trend=_cells("quarter", trend, {}),
    )
