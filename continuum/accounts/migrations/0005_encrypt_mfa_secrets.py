from django.db import migrations

# Second-factor secrets (allauth's Authenticator.data: the TOTP secret, the recovery codes'
# seed) were stored in plaintext before MFAAdapter.encrypt() existed. This encrypts them with
# the keys of ENCRYPTION_KEYS; a value that is already a Fernet token is left as it is, so
# running it over a database that holds both is safe (continuum/accounts/mfa.py explains how
# the two are told apart). Backwards, the secrets are decrypted again for the older code.


def _change_secrets(apps, schema_editor, change):
    from continuum.accounts.mfa import map_secrets

    Authenticator = apps.get_model("mfa", "Authenticator")
    db = schema_editor.connection.alias
    # Two rows per member at most: read them all before writing any.
    rows = list(Authenticator.objects.using(db).order_by("pk").values_list("pk", "data"))
    for pk, data in rows:
        if not isinstance(data, dict):
            continue
        new, _ = map_secrets(data, change)
        if new != data:
            Authenticator.objects.using(db).filter(pk=pk).update(data=new)


def encrypt_plaintext_secrets(apps, schema_editor):
    from continuum.accounts.mfa import seal_if_plain

    _change_secrets(apps, schema_editor, seal_if_plain)


def decrypt_secrets(apps, schema_editor):
    from continuum.accounts.mfa import unseal

    _change_secrets(apps, schema_editor, unseal)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_submission"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [
        migrations.RunPython(encrypt_plaintext_secrets, decrypt_secrets, elidable=False),
    ]
