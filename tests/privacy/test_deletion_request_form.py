"""The public deletion request page: asked by email address, confirmed by an emailed link.

Nothing is erased until the link sent to the address is used; the page answers the same
whether or not an account uses the address. Once confirmed, the erasure job runs as for every
other deletion and the person lands on the status page with the request's code.
"""

import html
import re
import time

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Membership, User, Workspace
from meta_integration.models import MetaConnection
from privacy import self_service, services
from privacy.models import DataDeletionRequest
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.meta_integration.helpers import connect

FORM_URL = "/privacy/deletion-request/"
EDITOR_EMAIL = "eddie.editor@example.com"
LINK = re.compile(r"https?://\S+/privacy/deletion-request/confirm/\S+/")


def _ask(client, django_capture_on_commit_callbacks, email, scope="account"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(FORM_URL, {"email": email, "scope": scope})


def _link(message) -> str:
    [url] = LINK.findall(message.body)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _confirm(client, link, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(link)


def test_page_is_public_and_linked_from_the_policy_pages(owner):
    page = Client().get(FORM_URL)
    assert page.status_code == 200
    assert b'name="email"' in page.content
    for url in ["/privacy/data-deletion/", "/privacy/"]:
        assert FORM_URL.encode() in Client().get(url).content, url
    assert FORM_URL.encode() in client_for(owner).get("/account/privacy/").content


def test_whole_account_end_to_end_through_the_emailed_link(
    owner, editor, django_capture_on_commit_callbacks
):
    client = Client()
    response = _ask(client, django_capture_on_commit_callbacks, EDITOR_EMAIL.upper())

    assert response.status_code == 200
    assert b'data-testid="deletion-request-sent"' in response.content
    assert DataDeletionRequest.objects.count() == 0  # nothing yet: the link must be used
    [message] = mail.outbox
    assert message.to == [EDITOR_EMAIL]
    assert f"{self_service.LINK_TTL_HOURS} hours" in message.body
    link = _link(message)

    page = client.get(link)  # opening the link (or a mail scanner fetching it) erases nothing
    assert page.status_code == 200
    assert b"whole ProSocial account" in page.content
    assert DataDeletionRequest.objects.count() == 0
    editor.user.refresh_from_db()
    assert editor.user.is_active

    response = _confirm(client, link, django_capture_on_commit_callbacks)

    request = DataDeletionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/deletion/{request.confirmation_code}/"
    assert (request.source, request.channel) == ("account", "form")
    assert request.confirmation_code in mail.outbox[-1].body  # the confirmation with the code
    editor.user.refresh_from_db()
    assert not editor.user.is_active

    services.erase_deletion_request(request_id=request.pk)  # the job, as the worker runs it

    status = client.get(response["Location"])
    assert status.status_code == 200
    assert request.confirmation_code.encode() in status.content
    assert b"Completed" in status.content
    assert not User.objects.filter(email=EDITOR_EMAIL).exists()
    assert EDITOR_EMAIL not in dump_database()


def test_meta_data_only_keeps_the_account_and_workspaces(
    owner, admin, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(admin), sandbox)
    token = MetaConnection.objects.get().access_token
    client = Client()

    _ask(client, django_capture_on_commit_callbacks, admin.user.email, scope="meta_data")
    link = _link(mail.outbox[-1])
    assert b"Meta-connected data" in client.get(link).content
    response = _confirm(client, link, django_capture_on_commit_callbacks)

    request = DataDeletionRequest.objects.get()
    assert response["Location"] == f"/privacy/deletion/{request.confirmation_code}/"
    assert request.source == "meta_data"
    services.erase_deletion_request(request_id=request.pk)
    request.refresh_from_db()

    assert request.status == "completed"
    assert request.counts["meta_integration.connections"] == 1
    assert request.counts["meta_integration.revoked_on_meta"] == 1
    assert MetaConnection.objects.count() == 0
    assert token not in dump_database()
    admin.user.refresh_from_db()
    assert admin.user.is_active
    assert admin.user.has_usable_password()
    assert Membership.objects.filter(pk=admin.pk).exists()
    assert Workspace.objects.filter(pk=owner.workspace.pk).exists()


def test_unknown_address_gets_the_same_answer_and_nothing_to_confirm(
    editor, django_capture_on_commit_callbacks
):
    known = _ask(Client(), django_capture_on_commit_callbacks, EDITOR_EMAIL)
    unknown = _ask(Client(), django_capture_on_commit_callbacks, "nobody@example.com")

    assert unknown.status_code == known.status_code == 200

    def _body(response):  # the page's content; the CSRF token differs per visitor anyway
        html = response.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert _body(unknown) == _body(known)
    message = mail.outbox[-1]
    assert message.to == ["nobody@example.com"]
    assert "no ProSocial account" in message.body
    assert not LINK.search(message.body)
    assert DataDeletionRequest.objects.count() == 0


def test_invalid_form_is_422(db):
    response = Client().post(FORM_URL, {"email": "nope", "scope": "everything"})
    assert response.status_code == 422
    assert mail.outbox == []


def test_rate_limited_like_the_contact_form(editor, settings, django_capture_on_commit_callbacks):
    settings.CONTACT_RATE_LIMIT_PER_HOUR = 2
    client = Client()

    statuses = [
        _ask(client, django_capture_on_commit_callbacks, EDITOR_EMAIL).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert len(mail.outbox) == 2


# --- Bad links: a clear 4xx, nothing erased -------------------------------------------------


@pytest.fixture
def link(editor, django_capture_on_commit_callbacks):
    _ask(Client(), django_capture_on_commit_callbacks, EDITOR_EMAIL)
    return _link(mail.outbox[-1])


def _nothing_erased(editor):
    editor.user.refresh_from_db()
    assert editor.user.is_active
    assert DataDeletionRequest.objects.count() == 0


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_link_is_refused(editor, link, method, caplog):
    forged = link.replace("/confirm/", "/confirm/x")
    response = getattr(Client(), method)(forged)

    assert response.status_code == 400
    assert "This link isn't valid" in _text(response)
    assert "Deletion link refused (400)" in caplog.text
    assert link.split("/")[-2] not in caplog.text  # the token is never logged
    _nothing_erased(editor)


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_link_is_refused(editor, monkeypatch, method, django_capture_on_commit_callbacks):
    issued = time.time() - self_service.LINK_TTL_HOURS * 3600 - 5
    monkeypatch.setattr(time, "time", lambda: issued)
    _ask(Client(), django_capture_on_commit_callbacks, EDITOR_EMAIL)
    monkeypatch.undo()

    response = getattr(Client(), method)(_link(mail.outbox[-1]))

    assert response.status_code == 410
    assert "This link has expired (links work for 24 hours)" in _text(response)
    _nothing_erased(editor)


def test_reused_link_is_refused(editor, link, django_capture_on_commit_callbacks):
    first = _confirm(Client(), link, django_capture_on_commit_callbacks)
    request = DataDeletionRequest.objects.get()
    services.erase_deletion_request(request_id=request.pk)

    again = _confirm(Client(), link, django_capture_on_commit_callbacks)

    assert first.status_code == 302
    assert again.status_code == 410
    assert "This link has already been used" in _text(response=again)
    assert DataDeletionRequest.objects.count() == 1


def test_meta_data_link_cannot_be_replayed(admin, sandbox, django_capture_on_commit_callbacks):
    # The account stays after a Meta-data erasure, so only the single-use record stops a replay.
    _ask(Client(), django_capture_on_commit_callbacks, admin.user.email, scope="meta_data")
    link = _link(mail.outbox[-1])
    _confirm(Client(), link, django_capture_on_commit_callbacks)
    services.erase_deletion_request(request_id=DataDeletionRequest.objects.get().pk)

    again = _confirm(Client(), link, django_capture_on_commit_callbacks)

    assert again.status_code == 410
    assert DataDeletionRequest.objects.count() == 1


def test_sole_owner_is_told_what_to_do_first(owner, django_capture_on_commit_callbacks):
    _ask(Client(), django_capture_on_commit_callbacks, owner.user.email)

    response = _confirm(Client(), _link(mail.outbox[-1]), django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert "only owner of Acme Marketing" in _text(response)
    assert DataDeletionRequest.objects.count() == 0
    owner.user.refresh_from_db()
    assert owner.user.is_active
