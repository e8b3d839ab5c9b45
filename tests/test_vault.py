import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from prosocial import vault
from prosocial.redaction import REDACTED, RedactSecretsFilter, redact


def test_round_trip_and_ciphertext_differs():
    ciphertext = vault.encrypt("EAAB-secret-token")

    assert "EAAB-secret-token" not in ciphertext
    assert vault.decrypt(ciphertext) == "EAAB-secret-token"


def test_old_key_still_decrypts_and_rotate_moves_to_the_new_key(settings):
    old = vault.encrypt("value")
    settings.FIELD_ENCRYPTION_KEYS = [vault.generate_key(), *settings.FIELD_ENCRYPTION_KEYS]

    rotated = vault.rotate(old)
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]

    assert vault.decrypt(rotated) == "value"
    with pytest.raises(vault.VaultError):
        vault.decrypt(old)


def test_malformed_key_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        vault.encrypt("x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /me?access_token=abc123&fields=id", f"GET /me?access_token={REDACTED}&fields=id"),
        ('{"access_token": "abc", "id": "1"}', f'{{"access_token": "{REDACTED}", "id": "1"}}'),
        ("Authorization: Bearer abcdefghijkl", f"Authorization: Bearer {REDACTED}"),
        ("token EAAGm0PX4ZCpsBAKZAZD9 leaked", f"token {REDACTED} leaked"),
        ("client_secret=s3cr3t&code=AQD", f"client_secret={REDACTED}&code={REDACTED}"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_log_filter_redacts_message_arguments_and_tracebacks():
    try:
        raise ValueError("failed with access_token=zzz")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "calling %s", ("/me?access_token=abc",), sys.exc_info()
        )

    RedactSecretsFilter().filter(record)

    assert record.getMessage() == f"calling /me?access_token={REDACTED}"
    assert "zzz" not in record.exc_text
    assert f"access_token={REDACTED}" in record.exc_text


def test_rotate_command_reencrypts_model_tokens(owner, settings):
    import io

    from django.core.management import call_command
    from django.db import connection as db

    from meta_integration.models import MetaConnection

    connection = MetaConnection.objects.create(
        workspace=owner.workspace, meta_user_id="42", access_token="EAAB-rotate-me"
    )

    def stored() -> str:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT access_token FROM meta_integration_metaconnection WHERE id = %s",
                [connection.pk],
            )
            return cursor.fetchone()[0]

    before = stored()
    settings.FIELD_ENCRYPTION_KEYS = [vault.generate_key(), *settings.FIELD_ENCRYPTION_KEYS]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key dropped

    assert stored() != before
    assert vault.decrypt(stored()) == "EAAB-rotate-me"
    assert "meta_integration.MetaConnection: 1 value(s) re-encrypted" in out.getvalue()
