"""Keep one-time tokens and query strings out of every log line (issue 18, finding 7;
SECURITY.md promise 24).

Query strings may hold private words (a search of reflections, a caseload search) and the
paths of one-time links hold their tokens (a questionnaire link, a set-password link, an email
confirmation, allauth's password reset). Both are dropped from what is logged:

- `redact(text)` rewrites any text: every query string becomes `?…`, every token in a
  one-time link's path becomes `…`.
- `RedactingFilter` applies it to every record of Python's logging (Django's loggers: the
  LOGGING setting puts it on the console handler).
- `GunicornLogger` applies it to gunicorn's access log (`--logger-class
  continuum.lib.logredact.GunicornLogger`; bin/demo-serve and docs/deployment.md use it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger  # type: ignore[import-untyped]

from continuum.lib.redact import RedactTokens
from continuum.lib.redact import redact as redact_tokens

# The one-time links: the segment(s) after each prefix are the secret.
_TOKEN_PATHS = re.compile(
    r"(?P<prefix>/q/|/set-password/[^/\s?\"']+/|/me/email/confirm/"
    r"|/accounts/password/reset/key/|/accounts/confirm-email/)"
    r"(?P<token>[^/\s?\"']+)"
)
_QUERY = re.compile(r"\?[^\s\"']*")
MASK = "…"


def redact(text: str) -> str:
    text = _QUERY.sub("?" + MASK, text)
    text = _TOKEN_PATHS.sub(lambda m: m.group("prefix") + MASK, text)
    # And the calendar feeds' tokens (continuum/lib/redact.py).
    return redact_tokens(text)


class RedactingFilter(RedactTokens):
    """Rewrites each record's message (with its arguments merged in) through `redact`: the
    one filter on the console handler, covering the feed tokens of RedactTokens too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class GunicornLogger(_GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger with the request line, path, query and referrer redacted in the
    access log, and every error-log line passed through `redact`."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        if atoms.get("q"):
            atoms["q"] = MASK
        return atoms

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(RedactingFilter())
