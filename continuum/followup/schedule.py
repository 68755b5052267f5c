"""The follow-up schedule in plain Python: months after the end of therapy, as dates."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

DEFAULT_MONTHS = (1, 3, 6, 12)
MAX_MONTH = 36
MAX_CHECKINS = 12
# The stated period may not run past this many months after the end of therapy.
MAX_PERIOD_MONTHS = 48


class ScheduleError(ValueError):
    """A schedule that cannot be used (the message is safe to show)."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 = 28/29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_months(text: str | Iterable[int]) -> list[int]:
    """ "1, 3, 6, 12" → [1, 3, 6, 12]: whole months, 1 to MAX_MONTH, each once, in order."""
    if isinstance(text, str):
        parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise ScheduleError(
                "Write the months as whole numbers separated by commas, like 1, 3, 6, 12."
            ) from None
    else:
        values = [int(v) for v in text]
    if not values:
        raise ScheduleError("Give at least one month, like 1, 3, 6, 12.")
    if any(v < 1 or v > MAX_MONTH for v in values):
        raise ScheduleError(f"Each check-in must be 1 to {MAX_MONTH} months after the end.")
    months = sorted(set(values))
    if len(months) > MAX_CHECKINS:
        raise ScheduleError(f"At most {MAX_CHECKINS} check-ins can be scheduled.")
    return months


def due_dates(end_of_therapy: date, months: Iterable[int]) -> list[date]:
    return [add_months(end_of_therapy, m) for m in months]


def default_ends_on(end_of_therapy: date, months: Iterable[int], grace_days: int) -> date:
    """The day the consented period ends by default: `grace_days` after the last check-in."""
    last = max(due_dates(end_of_therapy, months), default=end_of_therapy)
    return last + timedelta(days=grace_days)


def check_period(end_of_therapy: date, months: Iterable[int], ends_on: date) -> None:
    dates = due_dates(end_of_therapy, months)
    if dates and ends_on < max(dates):
        raise ScheduleError(
            f"The follow-up period must last until the last check-in ({max(dates):%-d %b %Y})."
        )
    if ends_on > add_months(end_of_therapy, MAX_PERIOD_MONTHS):
        raise ScheduleError(
            f"The follow-up period can last at most {MAX_PERIOD_MONTHS // 12} years after the "
            "end of therapy."
        )
