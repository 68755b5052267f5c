"""Reading a CSV of clients: decoding, the header, and each row checked field by field.

No database here: `parse_clients` takes the file's bytes and what it must compare against
(the practice's clinicians by email, the existing clients' name-and-birth-date keys) and
returns a preview, one `ImportRow` per data line. The view keeps the preview server-side
(an encrypted `ImportBatch`), and `care.services.clients.import_clients` writes it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from continuum.lib.timezones import is_valid_time_zone

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

# The documented header set (docs/exchange.md), in template order: (column, required, help).
COLUMNS: list[tuple[str, bool, str]] = [
    ("first_name", True, "Given name"),
    ("last_name", True, "Family name"),
    ("preferred_name", False, "The name they go by"),
    ("pronouns", False, "e.g. she/her"),
    ("date_of_birth", False, "YYYY-MM-DD, DD/MM/YYYY or an Excel date"),
    ("email", False, "Their email address"),
    ("phone", False, "Their phone number"),
    ("time_zone", False, "e.g. Europe/London (default: the practice's)"),
    ("therapist_email", False, "The assigned therapist's login email (default: you)"),
    ("episode_start", False, "Start of the episode of care (opens one if given with a reason)"),
    ("referral_reason", False, "Why they were referred (opens an episode)"),
]
COLUMN_NAMES = [c[0] for c in COLUMNS]
REQUIRED = {c[0] for c in COLUMNS if c[1]}
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "preferred_name": 100,
    "pronouns": 40,
    "email": 254,
    "phone": 32,
    "referral_reason": 2000,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXCEL_EPOCH = date(1899, 12, 30)


class ImportError_(ValueError):  # noqa: N801 - ImportError is a builtin
    """The file as a whole cannot be read; `str(error)` is the message to show."""


class RowStatus(StrEnum):
    CREATE = "create"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class ImportRow:
    line: int
    status: RowStatus
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.values.items()}
        return {
            "line": self.line,
            "status": str(self.status),
            "values": values,
            "errors": self.errors,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportRow:
        values = dict(data["values"])
        for key in ("date_of_birth", "episode_start"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(data["line"], RowStatus(data["status"]), values, dict(data["errors"]))


def decode(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252; binary is refused."""
    if len(raw) > MAX_BYTES:
        raise ImportError_(
            f"The file is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if not raw.strip():
        raise ImportError_("The file is empty.")
    if b"\x00" in raw[:4096]:
        raise ImportError_("This is not a CSV text file (it looks like a binary file).")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportError_(
                "The file's text encoding is not UTF-8 or Windows-1252; save it as CSV UTF-8."
            ) from None


def _normal(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def parse_date(text: str) -> date:
    """ISO (2026-03-01), day first (01/03/2026, 1.3.2026) or an Excel serial (46082)."""
    text = text.strip()
    if re.fullmatch(r"\d{1,6}(\.0+)?", text):
        serial = int(float(text))
        if not 1 <= serial <= 2958465:
            raise ValueError
        return EXCEL_EPOCH + timedelta(days=serial)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError


@dataclass(frozen=True)
class Context:
    """What rows are checked against (from the database, read by the view)."""

    default_therapist: str  # email; "" when the uploader treats no clients
    therapists: Mapping[str, int]  # lower-case email -> user id, the clinicians allowed
    existing: frozenset[tuple[str, str, date | None]]  # (first, last, dob), lower-case names
    default_time_zone: str
    today: date


def _check_row(raw: Mapping[str, str], ctx: Context) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in COLUMN_NAMES:
        text = (raw.get(name) or "").strip()
        if name in REQUIRED and not text:
            errors[name] = "Required."
            continue
        if name in LIMITS and len(text) > LIMITS[name]:
            errors[name] = f"Longer than {LIMITS[name]} characters."
            continue
        values[name] = text
    for name in ("date_of_birth", "episode_start"):
        text = values.get(name, "")
        if not text:
            values[name] = None
            continue
        try:
            day = parse_date(text)
        except (ValueError, OverflowError):
            errors[name] = "Not a date (use YYYY-MM-DD or DD/MM/YYYY)."
            values.pop(name)
            continue
        if name == "date_of_birth" and not date(1900, 1, 1) <= day <= ctx.today:
            errors[name] = "Not a possible date of birth."
        values[name] = day
    email = values.get("email", "")
    if email and not _EMAIL.match(email):
        errors["email"] = "Not an email address."
    zone = values.get("time_zone", "") or ctx.default_time_zone
    if not is_valid_time_zone(zone):
        errors["time_zone"] = "Not a time zone name (e.g. Europe/London)."
    values["time_zone"] = zone
    therapist = (values.get("therapist_email", "") or ctx.default_therapist).lower()
    if therapist not in ctx.therapists:
        errors["therapist_email"] = (
            "Not a clinician you may assign clients to."
            if therapist
            else "Say which therapist treats this client."
        )
    values["therapist_email"] = therapist
    if values.get("episode_start") and not values.get("referral_reason"):
        errors["referral_reason"] = "An episode needs a referral reason."
    return values, errors


def read_table(
    raw: bytes, column_names: list[str], required: set[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """A CSV upload's data lines as (line number, {column: text}), blank lines skipped:
    decoded (UTF-8 with or without BOM, else Windows-1252), `;` or `,` separated, the header
    checked against `column_names` (all `required` present, none unknown), at most MAX_ROWS.
    ImportError_ for a file that cannot be read as such. Shared by every CSV import."""
    text = decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_normal(h) for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportError_("The file has no header row.") from None
    unknown = [h for h in header if h and h not in column_names]
    missing = sorted(required - set(header))
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unknown " + ", ".join(unknown[:5]))
        raise ImportError_(
            "The header row does not match the template ("
            + "; ".join(parts)
            + "). Download the template for the column names."
        )
    count = 0
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if count >= MAX_ROWS:
                raise ImportError_(f"The file has more than {MAX_ROWS:,} rows; split it.")
            count += 1
            yield number, dict(zip(header, cells, strict=False))
    except csv.Error:
        raise ImportError_("The file is not a well-formed CSV (check its quotes).") from None
    if not count:
        raise ImportError_("The file has a header but no rows.")


def parse_clients(raw: bytes, ctx: Context) -> list[ImportRow]:
    """The preview of a clients CSV; ImportError_ (nothing to preview) for a bad file."""
    rows: list[ImportRow] = []
    seen: set[tuple[str, str, date | None]] = set()
    for number, record in read_table(raw, COLUMN_NAMES, REQUIRED):
        values, errors = _check_row(record, ctx)
        if errors:
            rows.append(ImportRow(number, RowStatus.ERROR, values, errors))
            continue
        key = (
            values["first_name"].lower(),
            values["last_name"].lower(),
            values["date_of_birth"],
        )
        status = RowStatus.DUPLICATE if key in ctx.existing or key in seen else RowStatus.CREATE
        seen.add(key)
        rows.append(ImportRow(number, status, values, errors))
    return rows
