from django.core import mail
from django.test import Client

from privacy.models import ContactMessage
from tests.conftest import client_for

VALID = {
    "name": "Pat",
    "email": "pat@example.com",
    "subject": "Deletion",
    "message": "Please delete my data.",
}


def test_anonymous_message_is_stored_and_emailed(db, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_EMAIL = "help@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/contact/", VALID)

    assert response.status_code == 200
    assert 'data-testid="contact-sent"' in response.content.decode()
    message = ContactMessage.objects.get()
    assert (message.email, message.user) == ("pat@example.com", None)
    assert mail.outbox[-1].to == ["help@example.com"]
    assert "Please delete my data." in mail.outbox[-1].body


def test_signed_in_message_is_linked_to_the_user(owner):
    client_for(owner).post("/contact/", VALID)

    assert ContactMessage.objects.get().user == owner.user


def test_invalid_form_is_422(db):
    response = Client().post("/contact/", {**VALID, "email": "nope", "message": ""})

    assert response.status_code == 422
    assert ContactMessage.objects.count() == 0


def test_rate_limited_per_ip(db, settings):
    settings.CONTACT_RATE_LIMIT_PER_HOUR = 2
    client = Client()

    statuses = [client.post("/contact/", VALID).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert ContactMessage.objects.count() == 2
