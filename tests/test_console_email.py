"""Emails printed by `make run`: readable, links whole, and signed by ProSocial."""

import io
import re

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from prosocial.mail import ConsoleEmailBackend

LONG_LINK = "http://127.0.0.1:8101/accounts/confirm-email/" + "Mg:1vXyZ" * 20 + "/"


def _printed(message):
    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages([message])
    return stream.getvalue()


def test_a_long_link_stays_on_one_line():
    message = EmailMultiAlternatives(
        "Confirm your address",
        f"Hello Zoë,\n\nTo confirm, go to {LONG_LINK}\n",
        "ProSocial <no-reply@prosocial.localhost>",
        ["zoe@example.com"],
    )
    message.attach_alternative(f'<a href="{LONG_LINK}">Confirm</a>', "text/html")
    message.attach("receipt.pdf", b"%PDF-1.4", "application/pdf")

    printed = _printed(message)

    assert f"To confirm, go to {LONG_LINK}" in printed.splitlines()
    assert "Hello Zoë," in printed  # decoded, not =C3=AB
    assert "Subject: Confirm your address" in printed
    assert "Content-Transfer-Encoding" not in printed
    assert "[text/html part, " in printed  # named, not dumped
    assert "[attachment receipt.pdf: application/pdf, 8 bytes]" in printed
    assert printed.endswith("-" * 79 + "\n")


def test_an_html_only_email_prints_its_html():
    message = mail.EmailMessage("Hi", f'<a href="{LONG_LINK}">go</a>', None, ["a@example.com"])
    message.content_subtype = "html"

    assert f'<a href="{LONG_LINK}">go</a>' in _printed(message).splitlines()


def test_the_verification_email_greets_from_prosocial_with_a_whole_link(db):
    Client().post(
        reverse("account_signup"),
        {
            "email": "maya@example.com",
            "password1": "a-Long-pass-91",
            "password2": "a-Long-pass-91",
            "old_enough": "on",
        },
    )

    sent = mail.outbox[-1]
    assert sent.body.startswith("Hello from ProSocial!")
    assert "Thank you for using ProSocial!" in sent.body
    link = re.search(r"http://testserver/accounts/confirm-email/\S+/", sent.body).group(0)
    assert any(line.endswith(link) for line in _printed(sent).splitlines())
