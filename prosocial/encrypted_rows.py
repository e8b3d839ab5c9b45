"""Find and re-encrypt every encrypted value in the database (key rotation)."""

from django.apps import apps
from django.db import transaction

from prosocial import vault

# allauth.mfa keeps its secrets inside Authenticator.data; these keys are the encrypted ones
# (TOTP "secret", recovery codes "seed"), written through accounts.adapters.MFAAdapter.
MFA_ENCRYPTED_KEYS = ("secret", "seed")
BATCH_SIZE = 500


def rotate_all_encrypted_values() -> dict[str, int]:
    """Re-encrypt every EncryptedTextField value and MFA secret under the newest key.

    Returns the number of values re-encrypted per ``app_label.Model``. Each model is done in
    one transaction, so an interrupted run leaves every row readable (old or new key).
    """
    counts: dict[str, int] = {}
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, vault.EncryptedTextField)]
        if not fields:
            continue
        names = [f.attname for f in fields]
        count = 0
        with transaction.atomic():
            # Loading decrypts with any key; saving encrypts with the first one.
            for row in (
                model._default_manager.select_for_update()
                .only("pk", *names)
                .iterator(chunk_size=BATCH_SIZE)
            ):
                row.save(update_fields=names)
                count += sum(1 for n in names if getattr(row, n))
        counts[model._meta.label] = count

    authenticator_model = apps.get_model("mfa", "Authenticator")
    count = 0
    with transaction.atomic():
        for authenticator in authenticator_model.objects.select_for_update().iterator(
            chunk_size=BATCH_SIZE
        ):
            data = dict(authenticator.data)
            for key in MFA_ENCRYPTED_KEYS:
                if isinstance(data.get(key), str):
                    data[key] = vault.rotate(data[key])
                    count += 1
            authenticator.data = data
            authenticator.save(update_fields=["data"])
    counts[authenticator_model._meta.label] = count
    return counts
