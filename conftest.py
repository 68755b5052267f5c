"""Project-wide pytest configuration (fixtures live in continuum/testing/)."""

import os

# Processes the tests start (workers, writers, manage.py commands) run with DEBUG off on the
# public development key and the key file in var/: say so, or settings refuse to start.
os.environ.setdefault("CONTINUUM_INSECURE_DEV", "1")
# ... and keep no audit anchor file unless a test gives them one (settings do the same for the
# test process itself): several test databases would otherwise share var/audit.anchor.
os.environ.setdefault("AUDIT_ANCHOR_FILE", "")
