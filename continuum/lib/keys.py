"""One-time keys for client forms (check-ins, messages): issued with each rendered form, the
same key sent twice takes effect once (continuum/portal/services.py, boundaries/services.py).
"""

from __future__ import annotations

import re
import secrets

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_idempotency_key() -> str:
    """A random token issued with each form (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)
