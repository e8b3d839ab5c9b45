"""Encryption at rest for tokens and MFA secrets.

Owns the MultiFernet built from ``settings.FIELD_ENCRYPTION_KEYS`` (newest key first). The key
list comes from the environment and is never derived from ``SECRET_KEY``. Values are encrypted
with the first key and can be read with any key in the list, so rotation is: put a new key
first, run ``manage.py rotate_encryption_keys``, then drop the old key.

Call ``encrypt``/``decrypt`` directly or store values in an ``EncryptedTextField``; nothing
else in the code base touches Fernet.
"""

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class VaultError(Exception):
    """A value could not be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys "
            "(generate one with `manage.py generate_encryption_key`)"
        ) from exc


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def generate_key() -> str:
    """Return a new random Fernet key."""
    return Fernet.generate_key().decode()


def encrypt(plaintext: str) -> str:
    """Return ``plaintext`` encrypted under the newest key."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Return the plaintext of ``ciphertext``; raise VaultError if no key opens it."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise VaultError("value cannot be decrypted with the configured keys") from exc


def rotate(ciphertext: str) -> str:
    """Return ``ciphertext`` re-encrypted under the newest key."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise VaultError("value cannot be decrypted with the configured keys") from exc


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored encrypted; the Python value is the plaintext.

    Admin forms and ``repr`` never show it: models holding one exclude it from their admin,
    and callers read the attribute only where the secret is used.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        prepared = super().get_prep_value(value)
        if prepared is None:
            return None
        text = str(prepared)
        return encrypt(text) if text else ""
