"""Tokens that open something without a login are redacted from every log line (SECURITY.md
promise 24): the one-time questionnaire links (/q/<token>/) and the calendar feeds
(/calendar/<token>.ics). Plain Python: a `logging.Filter` for the project's handlers
(settings.LOGGING) and a gunicorn logger class for its access log (bin/demo-serve).
"""

from __future__ import annotations

import logging
import re
from typing import Any

_TOKEN_PATHS = re.compile(
    r"(/q/|(?<!/portal)/calendar/)[A-Za-z0-9_\-:.%]+?(?=\.ics\b|/|\s|\?|\"|'|$)"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with the token of every token-bearing path replaced by [redacted]."""
    return _TOKEN_PATHS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with its tokens redacted (the record is always kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter's own error
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


try:  # gunicorn is the production server; the filter above works without it.
    from gunicorn.glogging import Logger as _GunicornLogger  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - gunicorn is a pinned dependency
    _GunicornLogger = None


if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):  # type: ignore[misc]
        """gunicorn's logger with tokens redacted from the access and error logs
        (`gunicorn --logger-class continuum.lib.redact.GunicornLogger`)."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for log in (self.access_log, self.error_log):
                log.addFilter(RedactTokens())
