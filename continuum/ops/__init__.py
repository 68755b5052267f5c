"""Operations: backups and restores, and the wiring of the hardening pieces (docs/operations.md)."""
