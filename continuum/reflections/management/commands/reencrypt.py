"""Re-encrypt every encrypted text value under the first key of ENCRYPTION_KEYS.

Part of key rotation (docs/operations.md, "Encryption keys"): put the new key first, keep the
old ones after it, run this, then drop the old keys. Every model's EncryptedTextFields are
covered (found through `continuum.encryption.encrypted_fields`), so models added later need
nothing here.

The stored tokens are read raw (not through the field, which would decrypt them), rotated with
MultiFernet (decrypted with whichever key made them, encrypted with the first) and written
back raw, in batches of rows by primary key, one transaction per batch: an interruption loses
nothing, and running the command again finishes the job. It prints counts, never text.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

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
        self.stdout.write(
            self.style.SUCCESS(f"Done: {total_rows} rows, {total_values} values re-encrypted.")
        )

    def _model(
        self, model: type[models.Model], fields: list[str], batch_size: int
    ) -> tuple[int, int]:
        manager = model._base_manager
        # Cast to a plain TextField so the ORM hands back the stored token, not the plaintext.
        raw = {_raw(f): Cast(f, output_field=TextField()) for f in fields}
        last_pk: Any = None
        rows = values = 0
        while True:
            with transaction.atomic():
                batch = manager.order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                chunk = list(
                    batch.select_for_update().annotate(**raw).values("pk", *raw)[:batch_size]
                )
                if not chunk:
                    return rows, values
                for row in chunk:
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
                                f"{model._meta.label} {row['pk']} field {field}: the stored "
                                "value cannot be decrypted with any configured key. Nothing "
                                "in this batch was changed."
                            ) from exc
                        # Value(..., TextField) writes the token as it is (no second encryption).
                        updates[field] = Value(rotated, output_field=TextField())
                    if updates:
                        manager.filter(pk=row["pk"]).update(**updates)
                        values += len(updates)
                rows += len(chunk)
                last_pk = chunk[-1]["pk"]
