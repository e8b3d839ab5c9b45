import io
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from prosocial import vault
from tests.factories import UserFactory

PASSWORD = "a-Long-unique-pass-91"


def signup(client, email="maya@example.com", **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "old_enough": "on",
            **extra,
        },
    )


def test_signup_requires_email_verification_then_logs_in(db):
    client = Client()

    response = signup(client, contact_name="Maya Singh")

    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="maya@example.com")
    assert user.contact_name == "Maya Singh"
    assert not EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:home")).status_code == 302  # not signed in yet

    confirm_path = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    client.post(confirm_path)

    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:home"))["Location"] == reverse("accounts:workspace_create")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        pytest.param("not-an-email", "Enter a valid email address", id="malformed"),
        pytest.param("", "This field is required", id="empty"),
    ],
)
def test_signup_rejects_bad_email(db, email, message):
    response = signup(Client(), email=email)

    assert response.status_code == 200  # allauth re-renders its form
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_duplicate_signup_creates_nothing_and_does_not_reveal_the_account(db):
    UserFactory(email="taken@example.com")

    response = signup(Client(), email="TAKEN@example.com")

    # ACCOUNT_PREVENT_ENUMERATION: same answer as a new signup; the owner gets an email.
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert mail.outbox[-1].to == ["taken@example.com"]


def test_login_is_audited(db):
    user = UserFactory(email="logs@example.com")
    client = Client()

    response = client.post(
        reverse("account_login"),
        {"login": "logs@example.com", "password": "correct-horse-battery-42"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.logged_in")
    assert (event.actor, event.ip_address) == (user, "203.0.113.9")


def test_totp_secret_is_encrypted_at_rest_and_rotates(db, settings):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert stored != secret
    assert vault.decrypt(stored) == secret

    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [vault.generate_key(), *old_keys]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    rotated = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key dropped

    assert rotated != stored
    assert vault.decrypt(rotated) == secret


def test_signup_asks_for_the_terms_minimum_age_and_says_why(db):
    client = Client()

    form = client.get(reverse("account_signup")).content.decode()
    refused = client.post(
        reverse("account_signup"),
        {"email": "kid@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert 'name="old_enough"' in form
    assert "I am 16 or older" in form
    assert refused.status_code == 200  # allauth re-renders its form with the reason
    assert "ProSocial is for people aged 16 and over" in refused.content.decode()
    assert User.objects.count() == 0
    assert mail.outbox == []
