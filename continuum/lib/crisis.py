"""Crisis resources as plain values: the form a practice writes them in, the built-in ones per
country, and the sentence a client reads. No Django here.

A practice keeps its resources as text, one a line, in the order clients see them:

    Samaritans | 116 123 | any time, day or night
    Shout | text SHOUT to 85258 | https://giveusashout.org

that is a name, a phone number or text instruction, and (optionally) the hours or a web
address. `parse_resources` is strict: a line that is not of that form is an error naming the
line, so what the owner typed is exactly what clients see. Lines written before this form
existed (no "|") are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = "|"
MAX_RESOURCES = 12
NAME_MAX = 100
CONTACT_MAX = 100
DETAIL_MAX = 200


class CrisisResourceError(ValueError):
    """A line the practice settings cannot take; the message names the line."""


@dataclass(frozen=True)
class CrisisResource:
    name: str
    contact: str
    detail: str = ""

    @property
    def line(self) -> str:
        """The stored form: "name | contact | detail"."""
        parts = [self.name, self.contact] + ([self.detail] if self.detail else [])
        return f" {SEPARATOR} ".join(parts)

    @property
    def sentence(self) -> str:
        """What a client reads: "Samaritans: 116 123 (any time, day or night)"."""
        return f"{self.name}: {self.contact}" + (f" ({self.detail})" if self.detail else "")


def parse_resources(text: str) -> list[CrisisResource]:
    """The resources of `text` in order; CrisisResourceError for the first bad line."""
    found: list[CrisisResource] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split(SEPARATOR)]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise CrisisResourceError(
                f"Line {number}: write a name, then the phone number or text, then (if you "
                f"like) the hours or a web address, separated by “{SEPARATOR}”, for example "
                f"“Samaritans {SEPARATOR} 116 123 {SEPARATOR} any time”."
            )
        name, contact = parts[0], parts[1]
        detail = parts[2] if len(parts) == 3 else ""
        for label, value, most in (
            ("name", name, NAME_MAX),
            ("phone or text", contact, CONTACT_MAX),
            ("hours or web address", detail, DETAIL_MAX),
        ):
            if len(value) > most:
                raise CrisisResourceError(
                    f"Line {number}: the {label} is too long ({most} characters at most)."
                )
        found.append(CrisisResource(name, contact, detail))
        if len(found) > MAX_RESOURCES:
            raise CrisisResourceError(f"List at most {MAX_RESOURCES} resources.")
    return found


def sentences(text: str) -> list[str]:
    """The lines of stored text as a client reads them: structured lines as sentences, older
    free lines as they are."""
    shown = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split(SEPARATOR)]
        if len(parts) in (2, 3) and all(parts):
            shown.append(CrisisResource(*parts).sentence)
        else:
            shown.append(line)
    return shown


# Built-in resources while a practice has written none: those of its country first, else an
# international list. They name services that answer around the clock.
INTERNATIONAL: tuple[str, ...] = (
    "If you are in immediate danger, call your local emergency number: 911 (US and Canada), "
    "999 (UK) or 112 (EU).",
    "US: call or text 988 to reach the 988 Suicide & Crisis Lifeline, any time, day or night.",
    "UK and Ireland: call Samaritans free on 116 123, any time, day or night.",
    "You can also go to your nearest emergency department.",
)
BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "GB": (
        "If you are in immediate danger, call 999.",
        "Samaritans: call free on 116 123, any time, day or night.",
        "Shout: text SHOUT to 85258, any time, day or night.",
        "NHS 111: call 111 for urgent mental health help.",
        "You can also go to your nearest A&E.",
    ),
    "IE": (
        "If you are in immediate danger, call 112 or 999.",
        "Samaritans: call free on 116 123, any time, day or night.",
        "Text About It: text HELLO to 50808, any time, day or night.",
        "You can also go to your nearest emergency department.",
    ),
    "US": (
        "If you are in immediate danger, call 911.",
        "988 Suicide & Crisis Lifeline: call or text 988, any time, day or night.",
        "You can also go to your nearest emergency room.",
    ),
}


def built_in(country: str) -> list[str]:
    return list(BY_COUNTRY.get(country, INTERNATIONAL))
