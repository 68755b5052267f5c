"""Re-encrypt every encrypted text value under the first key of ENCRYPTION_KEYS.

Part of key rotation (docs/operations.md, "Encryption keys"): put the new key first, keep the
old ones after it, run this, then drop the old keys. Every model's EncryptedTextFields are
covered (found through `continuum.encryption.encrypted_fields`), so models added later need
nothing here. So are the staff's second-factor secrets, which allauth keeps in
`Authenticator.data` (continuum/accounts/mfa.py, "Secrets at rest"): a legacy plaintext one
is encrypted on the way.

The stored tokens are read raw (not through the field, which would decrypt them), rotated with
MultiFernet (decrypted with whichever key made them, encrypted with the first) and written
back raw, in batches of rows by primary key, one transaction per batch: an interruption loses
nothing, and running the command again finishes the job. It prints counts, never text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from continuum.accounts import mfa
from continuum.encryption import encrypted_fields, keyring, reset_keyring
from continuum.lib.crypto import DecryptionError

DEFAULT_BATCH_SIZE = 500


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda item: item[0]._meta.label)


def _raw(field: str) -> str:
    return f"raw_{field}"


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the first key of ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # Read the keys as they are configured now, not as an earlier import cached them.
        reset_keyring()
        total_rows = total_values = 0
        for model, fields in encrypted_models():
            rows, values = self._model(model, fields, batch_size)
            total_rows += rows
            total_values += values
            self.stdout.write(
                f"{model._meta.label}: {rows} rows, {values} values re-encrypted "
                f"({', '.join(fields)})"
            )
        rows, values = self._authenticators(batch_size)
        total_rows += rows
        total_values += values
        self.stdout.write(
            f"{Authenticator._meta.label}: {rows} rows, {values} values re-encrypted "
            f"({', '.join(mfa.SECRET_VALUES + mfa.SECRET_LISTS)})"
        )
        self.stdout.write(
            self.style.SUCCESS(f"Done: {total_rows} rows, {total_values} values re-encrypted.")
        )

    def _model(
        self, model: type[models.Model], fields: list[str], batch_size: int
    ) -> tuple[int, int]:
        # Cast to a plain TextField so the ORM hands back the stored token, not the plaintext.
        raw = {_raw(f): Cast(f, output_field=TextField()) for f in fields}

        def rotate_row(row: dict[str, Any]) -> int:
            updates = {}
            for field in fields:
                token = row[_raw(field)]
                if not token:
                    continue
                try:
                    rotated = keyring().rotate(token)
                except DecryptionError as exc:
                    # The label and the id, never the value.
                    raise CommandError(
                        f"{model._meta.label} {row['pk']} field {field}: the stored value "
                        "cannot be decrypted with any configured key. Nothing in this batch "
                        "was changed."
                    ) from exc
                # Value(..., TextField) writes the token as it is (no second encryption).
                updates[field] = Value(rotated, output_field=TextField())
            if updates:
                model._base_manager.filter(pk=row["pk"]).update(**updates)
            return len(updates)

        return _in_batches(
            model._base_manager.annotate(**raw).values("pk", *raw), rotate_row, batch_size
        )

    def _authenticators(self, batch_size: int) -> tuple[int, int]:
        """The secrets inside Authenticator.data (a JSON field holding tokens)."""

        def rotate_row(row: dict[str, Any]) -> int:
            if not isinstance(row["data"], dict):
                return 0
            try:
                data, count = mfa.map_secrets(row["data"], mfa.rotate)
            except DecryptionError as exc:
                raise CommandError(
                    f"{Authenticator._meta.label} {row['pk']} field data: a stored second-factor "
                    "secret cannot be decrypted with any configured key. Nothing in this batch "
                    "was changed."
                ) from exc
            if count:
                Authenticator.objects.filter(pk=row["pk"]).update(data=data)
            return count

        return _in_batches(Authenticator.objects.values("pk", "data"), rotate_row, batch_size)


def _in_batches(
    rows: models.QuerySet[Any, dict[str, Any]],
    rotate_row: Callable[[dict[str, Any]], int],
    batch_size: int,
) -> tuple[int, int]:
    """Walk `rows` by primary key, `batch_size` at a time, each batch locked and rotated in
    one transaction. Returns (rows seen, values re-encrypted)."""
    last_pk: Any = None
    seen = values = 0
    while True:
        with transaction.atomic():
            batch = rows.order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            chunk = list(batch.select_for_update()[:batch_size])
            if not chunk:
                return seen, values
            for row in chunk:
                values += rotate_row(row)
            seen += len(chunk)
            last_pk = chunk[-1]["pk"]
