"""Operators start erasures from Django admin (emailed requests); admin deletes go through it.

An emailed or contact-form deletion request is carried out from the deletion requests admin
(for an account, an account's Meta-connected data, a workspace or a Meta user id): the same job
as every other erasure runs, and the person is emailed the confirmation code with the status
page link. Deleting a user or a workspace in admin, one or in bulk, starts that erasure too —
never a raw cascade.
"""

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Membership, User, Workspace
from meta_integration.models import MetaConnection
from meta_sandbox import seed
from privacy import services
from privacy.models import DataDeletionRequest
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.meta_integration.helpers import connect

EDITOR_EMAIL = "eddie.editor@example.com"
START_URL = "/admin/privacy/datadeletionrequest/start/"
Source = DataDeletionRequest.Source
Channel = DataDeletionRequest.Channel


@pytest.fixture
def operator_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("ops@example.com", "ops-password-123"))
    return client


def _erase(request: DataDeletionRequest) -> DataDeletionRequest:
    services.erase_deletion_request(request_id=request.pk)
    request.refresh_from_db()
    return request


def _status_url(request: DataDeletionRequest) -> str:
    return f"{settings.PUBLIC_BASE_URL}/privacy/deletion/{request.confirmation_code}/"


def _start(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(START_URL, {"notify_email": "", **data})


# --- The start form: one per subject --------------------------------------------------------


def test_start_page_is_linked_from_the_deletion_requests_list(operator_client):
    page = operator_client.get(reverse("admin:privacy_datadeletionrequest_changelist"))
    assert page.status_code == 200
    assert START_URL in page.content.decode()
    assert operator_client.get(START_URL).status_code == 200


def test_operator_erases_an_account_and_the_person_is_emailed(
    operator_client, owner, editor, django_capture_on_commit_callbacks
):
    response = _start(
        operator_client,
        django_capture_on_commit_callbacks,
        subject="account",
        identifier=EDITOR_EMAIL.upper(),
    )

    request = DataDeletionRequest.objects.get()
    assert response.status_code == 302
    assert (request.source, request.channel) == (Source.ACCOUNT, Channel.OPERATOR)
    [email] = mail.outbox
    assert email.to == [EDITOR_EMAIL]
    assert request.confirmation_code in email.subject
    assert _status_url(request) in email.body
    editor.user.refresh_from_db()
    assert not editor.user.is_active

    request = _erase(request)

    assert request.status == DataDeletionRequest.Status.COMPLETED
    assert request.counts["accounts.users"] == 1
    assert not User.objects.filter(email=EDITOR_EMAIL).exists()


def test_operator_erases_a_workspace_and_emails_who_asked(
    operator_client, owner, editor, django_capture_on_commit_callbacks
):
    response = _start(
        operator_client,
        django_capture_on_commit_callbacks,
        subject="workspace",
        identifier="acme",
        notify_email="pat@example.com",
    )

    request = DataDeletionRequest.objects.get()
    assert response.status_code == 302
    assert (request.source, request.channel) == (Source.WORKSPACE, Channel.OPERATOR)
    assert Membership.objects.filter(workspace=owner.workspace).count() == 0
    [email] = mail.outbox
    assert email.to == ["pat@example.com"]
    assert _status_url(request) in email.body

    request = _erase(request)

    assert request.counts["accounts.workspaces"] == 1
    assert not Workspace.objects.filter(slug="acme").exists()
    assert User.objects.filter(email=EDITOR_EMAIL).exists()  # people keep their accounts


def test_operator_erases_a_meta_user_id(
    operator_client, owner, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(owner), sandbox)
    token = MetaConnection.objects.get().access_token

    _start(
        operator_client,
        django_capture_on_commit_callbacks,
        subject="meta_user",
        identifier=seed.ALEX_ID,
        notify_email="alex@example.com",
    )

    request = DataDeletionRequest.objects.get()
    assert (request.source, request.channel) == (Source.META_CALLBACK, Channel.OPERATOR)
    assert mail.outbox[-1].to == ["alex@example.com"]
    assert _status_url(request) in mail.outbox[-1].body
    request = _erase(request)
    assert request.counts["meta_integration.connections"] == 1
    assert MetaConnection.objects.count() == 0
    assert token not in dump_database()
    assert seed.ALEX_ID not in dump_database()


def test_operator_erases_only_an_accounts_meta_data(
    operator_client, owner, admin, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(admin), sandbox)

    _start(
        operator_client,
        django_capture_on_commit_callbacks,
        subject="meta_data",
        identifier=admin.user.email,
    )

    request = _erase(DataDeletionRequest.objects.get())
    assert (request.source, request.channel) == (Source.META_DATA, Channel.OPERATOR)
    assert request.counts["meta_integration.connections"] == 1
    assert MetaConnection.objects.count() == 0
    admin.user.refresh_from_db()
    assert admin.user.is_active
    assert Membership.objects.filter(pk=admin.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "account", "identifier": "nobody@example.com"}, "No account"),
        ({"subject": "workspace", "identifier": "nope"}, "No workspace"),
        ({"subject": "meta_user", "identifier": "12a"}, "digits"),
        ({"subject": "meta_user", "identifier": "²³"}, "digits"),
        ({"subject": "account", "identifier": "x", "notify_email": "bad"}, "valid email"),
    ],
    ids=["unknown_account", "unknown_workspace", "letters", "non_ascii_digits", "bad_email"],
)
def test_bad_subject_is_refused_and_nothing_starts(
    operator_client, owner, data, message, django_capture_on_commit_callbacks
):
    response = _start(operator_client, django_capture_on_commit_callbacks, **data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert DataDeletionRequest.objects.count() == 0
    assert mail.outbox == []


def test_sole_owner_account_is_refused_with_the_reason(
    operator_client, owner, django_capture_on_commit_callbacks
):
    response = _start(
        operator_client,
        django_capture_on_commit_callbacks,
        subject="account",
        identifier=owner.user.email,
    )

    assert response.status_code == 422
    assert "only owner of Acme Marketing" in response.content.decode()
    assert DataDeletionRequest.objects.count() == 0
    owner.user.refresh_from_db()
    assert owner.user.is_active


def test_non_staff_cannot_start_an_erasure(owner, editor):
    response = client_for(owner).post(START_URL, {"subject": "account", "identifier": EDITOR_EMAIL})
    assert response.status_code == 302  # to the admin sign-in
    assert DataDeletionRequest.objects.count() == 0


# --- Admin "delete" goes through the erasure ------------------------------------------------


def test_admin_delete_of_a_user_is_an_erasure(
    operator_client, owner, admin, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(admin), sandbox)
    connection = MetaConnection.objects.get()
    token = connection.access_token
    AuditEvent.objects.create(
        workspace=owner.workspace,
        actor=admin.user,
        actor_email=admin.user.email,
        action="member.role_changed",
        ip_address="203.0.113.9",
    )
    url = reverse("admin:accounts_user_delete", args=[admin.user.pk])
    assert b'data-testid="erasure-note"' in operator_client.get(url).content

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    request = DataDeletionRequest.objects.get()
    assert (request.source, request.channel) == (Source.ACCOUNT, Channel.OPERATOR)
    assert User.objects.filter(pk=admin.user.pk, is_active=False).exists()  # not cascaded
    assert mail.outbox[-1].to == [admin.user.email]
    assert _status_url(request) in mail.outbox[-1].body

    request = _erase(request)

    assert request.status == DataDeletionRequest.Status.COMPLETED
    assert request.keep_until is not None  # the receipt is kept
    assert request.counts["meta_integration.connections"] == 1
    assert request.counts["meta_integration.revoked_on_meta"] == 1
    assert MetaConnection.objects.count() == 0
    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.actor, event.actor_email, event.ip_address) == (None, "deleted account", None)
    everything = dump_database()
    assert token not in everything
    assert admin.user.email not in everything
    assert not LogEntry.objects.filter(object_repr__icontains=admin.user.email).exists()


def test_admin_delete_of_a_workspace_is_an_erasure(
    operator_client, owner, editor, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(owner), sandbox)
    token = MetaConnection.objects.get().access_token
    url = reverse("admin:accounts_workspace_delete", args=[owner.workspace.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    request = DataDeletionRequest.objects.get()
    assert (request.source, request.channel) == (Source.WORKSPACE, Channel.OPERATOR)
    assert Workspace.objects.filter(pk=owner.workspace.pk).exists()  # the job removes it
    assert mail.outbox[-1].to == [owner.user.email]  # the owners are told
    request = _erase(request)
    assert request.counts["accounts.workspaces"] == 1
    assert request.counts["meta_integration.revoked_on_meta"] == 1
    assert not Workspace.objects.filter(pk=owner.workspace.pk).exists()
    assert token not in dump_database()


def test_admin_delete_of_a_sole_owner_is_refused(
    operator_client, owner, django_capture_on_commit_callbacks
):
    url = reverse("admin:accounts_user_delete", args=[owner.user.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, {"post": "yes"}, follow=True)

    assert "only owner of Acme Marketing" in response.content.decode()
    assert DataDeletionRequest.objects.count() == 0
    owner.user.refresh_from_db()
    assert owner.user.is_active


@pytest.mark.parametrize("model", ["user", "workspace"])
def test_bulk_delete_selected_is_replaced_by_erasure(
    operator_client, owner, editor, viewer, model, django_capture_on_commit_callbacks
):
    changelist = reverse(f"admin:accounts_{model}_changelist")
    page = operator_client.get(changelist)
    assert 'value="delete_selected"' not in page.content.decode()
    assert 'value="erase_selected"' in page.content.decode()
    ids = [editor.user.pk, viewer.user.pk] if model == "user" else [owner.workspace.pk]

    with django_capture_on_commit_callbacks(execute=True):
        refused = operator_client.post(
            changelist, {"action": "delete_selected", "_selected_action": ids}
        )
        response = operator_client.post(
            changelist, {"action": "erase_selected", "_selected_action": ids}
        )

    assert refused.status_code in (200, 302)
    assert response.status_code == 302
    requests = DataDeletionRequest.objects.all()
    assert requests.count() == len(ids)
    assert {r.subject_pk for r in requests} == set(ids)
    assert {r.channel for r in requests} == {Channel.OPERATOR}
    assert len(mail.outbox) == len(ids)
    assert User.objects.filter(pk__in=[editor.user.pk, viewer.user.pk]).count() == 2
