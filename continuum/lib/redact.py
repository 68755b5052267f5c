"""Tokens that open something without a login are redacted from every log line (SECURITY.md
promise 24): the one-time questionnaire links (/q/<token>/) and the calendar feeds
(/calendar/<token>.ics). Plain Python. The logs use it through continuum/lib/logredact.py,
which adds query strings and the account links: its filter (settings.LOGGING) and its gunicorn
logger class (bin/demo-serve) are the ones installed.
"""

from __future__ import annotations

import logging
import re

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
