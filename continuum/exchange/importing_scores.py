"""Reading a CSV of past scores: each row's client, instrument, date and answers or total,
checked field by field and scored by the measures engine.

No database here, like importing.parse_clients (whose file reading, read_table, it shares):
`parse_scores` takes the file's bytes and what rows are compared against (the uploader's
clients by id and by name and date of birth, the existing administrations' client,
instrument and date) and returns the preview. measures.services.import_scores writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from continuum.exchange.importing import (
    ImportRow,
    RowStatus,
    parse_date,
    read_table,
)
from continuum.measures import scoring
from continuum.measures.instruments import INSTRUMENTS, Instrument

# Questionnaires a practice may bring scores of (not session feedback or goal ratings, which
# belong to this practice's own sessions and plans).
IMPORTABLE = ("phq9", "gad7", "core10", "pcl5", "who5", "wsas")
MAX_ITEMS = max(len(INSTRUMENTS[code].items) for code in IMPORTABLE)
ITEM_COLUMNS = [f"item{n}" for n in range(1, MAX_ITEMS + 1)]
# The documented header set (docs/exchange.md), in template order: (column, help).
SCORE_COLUMNS: list[tuple[str, str]] = [
    ("client_id", "Continuum's client number (instead of name and date of birth)"),
    ("first_name", "Given name (with last_name and date_of_birth, when no client_id)"),
    ("last_name", "Family name"),
    ("date_of_birth", "YYYY-MM-DD, DD/MM/YYYY or an Excel date"),
    ("instrument", f"One of {', '.join(IMPORTABLE)}"),
    ("date", "The day it was completed: YYYY-MM-DD, DD/MM/YYYY or an Excel date"),
    ("total", "The total score, when the item answers are not given"),
    ("item1 … itemN", "Each item's answer in the questionnaire's order (instead of a total)"),
]
COLUMN_NAMES = ["client_id", "first_name", "last_name", "date_of_birth", "instrument", "date"]
COLUMN_NAMES += ["total", *ITEM_COLUMNS]
REQUIRED = {"instrument", "date"}

ClientKey = tuple[str, str, date | None]


@dataclass(frozen=True)
class ScoresContext:
    """What rows are checked against (from the database, read by the view)."""

    client_ids: frozenset[int]  # the clients the uploader may add scores for
    by_key: Mapping[ClientKey, list[int]]  # (first, last, dob) lower-case → client ids
    existing: frozenset[tuple[int, str, date]]  # (client id, instrument, local date)
    today: date
    without_episode: frozenset[int] = frozenset()  # clients with no episode to hold scores


def _client(raw: Mapping[str, str], ctx: ScoresContext, errors: dict[str, str]) -> int | None:
    given = (raw.get("client_id") or "").strip()
    if given:
        if not given.isdigit() or int(given) not in ctx.client_ids:
            errors["client_id"] = "Not one of your clients' numbers."
            return None
        return int(given)
    first, last = (raw.get("first_name") or "").strip(), (raw.get("last_name") or "").strip()
    if not first or not last:
        errors["client_id"] = "Give a client_id, or first_name, last_name and date_of_birth."
        return None
    born: date | None = None
    text = (raw.get("date_of_birth") or "").strip()
    if text:
        try:
            born = parse_date(text)
        except (ValueError, OverflowError):
            errors["date_of_birth"] = "Not a date (use YYYY-MM-DD or DD/MM/YYYY)."
            return None
    found = ctx.by_key.get((first.lower(), last.lower(), born), [])
    if len(found) != 1:
        errors["client_id"] = (
            "No client of yours has this name and date of birth."
            if not found
            else "More than one client has this name and date of birth; use client_id."
        )
        return None
    return found[0]


def _answers(
    raw: Mapping[str, str], inst: Instrument, errors: dict[str, str]
) -> dict[str, int | None] | None:
    """The item answers by the instrument's item keys; None when no item column is filled."""
    given = {n: (raw.get(f"item{n}") or "").strip() for n in range(1, MAX_ITEMS + 1)}
    if not any(given.values()):
        return None
    answers: dict[str, int | None] = {}
    for n, text in given.items():
        if n > len(inst.items):
            if text:
                errors[f"item{n}"] = f"{inst.name} has {len(inst.items)} items."
            continue
        if not text:
            answers[inst.items[n - 1].key] = None
            continue
        try:
            answers[inst.items[n - 1].key] = int(text)
        except ValueError:
            errors[f"item{n}"] = "Not a whole number."
    return answers


def _check_row(raw: Mapping[str, str], ctx: ScoresContext) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"client_id": _client(raw, ctx, errors)}
    if values["client_id"] in ctx.without_episode:
        errors["client_id"] = "This client has no episode of care to hold scores; add one first."
    values["name"] = " ".join(
        p
        for p in ((raw.get("first_name") or "").strip(), (raw.get("last_name") or "").strip())
        if p
    )
    code = (raw.get("instrument") or "").strip().lower().replace("-", "")
    values["instrument"] = code
    if code not in IMPORTABLE:
        errors["instrument"] = f"Not one of {', '.join(IMPORTABLE)}."
    try:
        day = parse_date(raw.get("date") or "")
    except (ValueError, OverflowError):
        errors["date"] = "Not a date (use YYYY-MM-DD or DD/MM/YYYY)."
    else:
        if day > ctx.today:
            errors["date"] = "In the future."
        values["date"] = day
    if "instrument" in errors:
        return values, errors
    inst = INSTRUMENTS[code]
    answers = _answers(raw, inst, errors)
    total_text = (raw.get("total") or "").strip()
    if answers is not None:
        if total_text:
            errors["total"] = "Give the item answers or a total, not both."
        elif not errors:
            try:
                result = scoring.score(inst, answers)
            except scoring.ScoringError as problem:
                errors["answers"] = str(problem)
            else:
                if result.total is None:
                    errors["answers"] = result.reason or "Too many items missing."
                values["answers"], values["total"] = answers, result.total
    elif total_text:
        try:
            values["total"] = scoring.check_total(inst, float(total_text), "the total")
        except (ValueError, scoring.ScoringError):
            errors["total"] = f"Not a {inst.name} total ({inst.min_total:g} to {inst.max_total:g})."
        values["answers"] = None
    else:
        errors["total"] = "Give the item answers (item1 …) or a total."
    return values, errors


def parse_scores(raw: bytes, ctx: ScoresContext) -> list[ImportRow]:
    """The preview of a past-scores CSV; importing.ImportError_ for a file that cannot be read.
    A row is a duplicate when its client already has that instrument on that day (here, or
    earlier in the file)."""
    rows: list[ImportRow] = []
    seen: set[tuple[int, str, date]] = set()
    for number, record in read_table(raw, COLUMN_NAMES, REQUIRED):
        values, errors = _check_row(record, ctx)
        if errors:
            rows.append(ImportRow(number, RowStatus.ERROR, values, errors))
            continue
        key = (values["client_id"], values["instrument"], values["date"])
        status = RowStatus.DUPLICATE if key in ctx.existing or key in seen else RowStatus.CREATE
        seen.add(key)
        rows.append(ImportRow(number, status, values, errors))
    return rows
