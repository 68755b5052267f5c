"""FHIR search parameters on emitted resources: `date` (with the prefixes eq, ge, le, gt, lt)
and `code` (token: `code` or `system|code`, commas for "any of").

Filtering happens on the resources a patient's search already built (a patient's rows are
few), so what is matched is exactly what is returned. Bad values raise SearchError (a 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

Resource = dict[str, Any]

PREFIXES = ("eq", "ge", "le", "gt", "lt")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
FAR = datetime(9999, 12, 31, tzinfo=ZoneInfo("UTC"))


class SearchError(ValueError):
    pass


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _range_of(text: str) -> tuple[datetime, datetime]:
    """The instant range [start, end) a FHIR date, dateTime or instant covers."""
    match = _DATE.match(text)
    try:
        if match:
            year, month, day = match.groups()
            start = date(int(year), int(month or 1), int(day or 1))
            if day:
                end = start + timedelta(days=1)
            elif month:
                end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            else:
                end = date(start.year + 1, 1, 1)
            zone = _zone()
            return (
                datetime.combine(start, time(), zone),
                datetime.combine(end, time(), zone),
            )
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone())
        return moment, moment + timedelta(seconds=1)
    except (ValueError, OverflowError) as error:
        raise SearchError(f"Not a FHIR date: {text[:40]!r}.") from error


@dataclass(frozen=True)
class DateTest:
    prefix: str
    start: datetime
    end: datetime

    def matches(self, low: datetime, high: datetime) -> bool:
        """Whether a resource covering [low, high) matches (FHIR's range semantics)."""
        if self.prefix == "eq":
            return self.start <= low and high <= self.end
        if self.prefix == "ge":
            return high > self.start
        if self.prefix == "gt":
            return high > self.end
        if self.prefix == "le":
            return low < self.end
        return low < self.start  # lt


def parse_date(value: str) -> DateTest:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    if not text or len(text) > 40 or not text.isascii():
        raise SearchError(f"Not a FHIR date: {value[:40]!r}.")
    start, end = _range_of(text)
    return DateTest(prefix, start, end)


def resource_range(start: str | None, end: str | None) -> tuple[datetime, datetime] | None:
    """The range a resource's date (a point: start only) or period covers; an open end is
    far in the future. None when the resource has no date."""
    if start is None:
        return None
    low, high = _range_of(start)
    if end is not None:
        high = _range_of(end)[1]
    return low, high


@dataclass(frozen=True)
class DateParam:
    """A date search parameter of one resource type: its name ("date", "authored"), where its
    value is (start, end; a point has no end), and whether a start without an end runs on
    (an ongoing episode or plan)."""

    name: str
    span: Callable[[Resource], tuple[str | None, str | None]]
    open_ended: bool = False


def by_date(resources: Iterable[Resource], values: list[str], param: DateParam) -> list[Resource]:
    tests = [parse_date(v) for v in values]
    kept = []
    for resource in resources:
        start, end = param.span(resource)
        covered = resource_range(start, end)
        if covered is None:
            continue
        if end is None and param.open_ended:
            covered = (covered[0], FAR)
        if all(t.matches(*covered) for t in tests):
            kept.append(resource)
    return kept


def parse_tokens(values: list[str]) -> list[set[tuple[str | None, str]]]:
    """Each `code` parameter: a set of (system or None, code) of which one must match."""
    tests = []
    for value in values:
        alternatives: set[tuple[str | None, str]] = set()
        for part in value.split(","):
            system, bar, code = part.rpartition("|")
            if not code or len(part) > 200:
                raise SearchError("Search by code: code=<code> or code=<system>|<code>.")
            alternatives.add((system if bar else None, code))
        tests.append(alternatives)
    return tests


def by_code(
    resources: Iterable[Resource],
    values: list[str],
    codings: Callable[[Resource], list[dict[str, Any]]],
) -> list[Resource]:
    tests = parse_tokens(values)
    kept = []
    for resource in resources:
        have = {(c.get("system"), c.get("code")) for c in codings(resource)}
        codes = {code for _, code in have}
        if all(
            any(
                (code in codes) if system is None else ((system, code) in have)
                for system, code in alternatives
            )
            for alternatives in tests
        ):
            kept.append(resource)
    return kept
