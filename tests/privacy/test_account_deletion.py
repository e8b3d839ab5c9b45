"""Deleting one's account: re-authentication, the owned-workspace rule, the job, the receipt."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import AuditEvent, Membership
from creatives.library.models import MediaAsset
from meta_integration.models import MetaConnection
from privacy import services
from privacy.errors import PrivacyError
from privacy.models import ContactMessage, DataDeletionRequest
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.factories import PASSWORD
from tests.meta_integration.helpers import connect
from tests.privacy.conftest import upload_image

User = get_user_model()
EDITOR_EMAIL = "eddie.editor@example.com"


def _erase(request: DataDeletionRequest) -> DataDeletionRequest:
    services.erase_deletion_request(request_id=request.pk)
    request.refresh_from_db()
    return request


def test_deleting_my_account_erases_me_and_leaves_a_receipt(
    owner, editor, django_capture_on_commit_callbacks
):
    asset = upload_image(editor)
    ContactMessage.objects.create(
        name="Eddie", email=EDITOR_EMAIL, subject="Hi", message="Hello", user=editor.user
    )
    client = client_for(editor)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post("/account/privacy/delete/", {"password": PASSWORD, "confirm": "on"})

    request = DataDeletionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/deletion/{request.confirmation_code}/"
    assert len(queued) == 1
    assert client.get("/account/privacy/").status_code == 302  # signed out
    assert not Client().login(email=EDITOR_EMAIL, password=PASSWORD)

    request = _erase(request)

    assert request.status == DataDeletionRequest.Status.COMPLETED
    assert request.counts["accounts.users"] == 1
    assert request.counts["accounts.memberships"] == 1
    assert request.counts["privacy.contact_messages"] == 1
    assert request.subject_pk is None
    assert request.keep_until is not None
    assert not User.objects.filter(email=EDITOR_EMAIL).exists()
    asset.refresh_from_db()
    assert asset.created_by is None  # the file stays with its workspace
    assert EDITOR_EMAIL not in dump_database()
    page = Client().get(f"/privacy/deletion/{request.confirmation_code}/")
    assert b"Workspace memberships: 1" in page.content


def test_meta_connections_i_made_are_revoked_and_deleted(owner, admin, sandbox):
    connect(client_for(admin), sandbox)
    connection = MetaConnection.objects.get()
    assert connection.connected_by == admin.user
    token = connection.access_token

    request = services.request_account_deletion(user=admin.user, password=PASSWORD)
    request = _erase(request)

    assert request.counts["meta_integration.connections"] == 1
    assert request.counts["meta_integration.revoked_on_meta"] == 1
    assert MetaConnection.objects.count() == 0
    assert token not in dump_database()


def test_wrong_password_changes_nothing(editor):
    client = client_for(editor)
    response = client.post("/account/privacy/delete/", {"password": "nope", "confirm": "on"})

    assert response.status_code == 422
    assert b"That password is not right" in response.content
    assert DataDeletionRequest.objects.count() == 0
    editor.user.refresh_from_db()
    assert editor.user.is_active


def test_unticked_confirmation_is_refused(editor):
    response = client_for(editor).post("/account/privacy/delete/", {"password": PASSWORD})
    assert response.status_code == 422
    assert DataDeletionRequest.objects.count() == 0


def test_sole_owner_must_transfer_or_delete_first(owner, admin):
    page = client_for(owner).get("/account/privacy/")
    assert b'data-testid="delete-blocked"' in page.content
    assert b"Acme Marketing" in page.content

    with pytest.raises(PrivacyError, match="only owner of Acme Marketing"):
        services.request_account_deletion(user=owner.user, password=PASSWORD)
    response = client_for(owner).post(
        "/account/privacy/delete/", {"password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 422
    assert DataDeletionRequest.objects.count() == 0
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_co_owned_workspace_does_not_block(owner, admin):
    Membership.objects.filter(pk=admin.pk).update(role="owner")
    request = services.request_account_deletion(user=owner.user, password=PASSWORD)
    _erase(request)
    assert Membership.objects.filter(workspace=owner.workspace).count() == 1


def test_audit_entries_stay_without_my_identity(owner, editor):
    upload_image(editor)
    AuditEvent.objects.create(
        workspace=owner.workspace,
        actor=editor.user,
        actor_email=EDITOR_EMAIL,
        action="member.role_changed",
        ip_address="203.0.113.9",
    )
    AuditEvent.objects.create(
        workspace=owner.workspace,
        actor=owner.user,
        action="invitation.created",
        target_repr=f"{EDITOR_EMAIL} → Acme Marketing (pending)",
        metadata={"email": EDITOR_EMAIL, "role": "editor"},
    )

    _erase(services.request_account_deletion(user=editor.user, password=PASSWORD))

    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.actor, event.actor_email, event.ip_address) == (None, "deleted account", None)
    assert AuditEvent.objects.filter(action="account.deletion_requested").exists()
    assert EDITOR_EMAIL not in dump_database()
    assert MediaAsset.objects.count() == 1


def test_a_second_request_returns_the_open_one(editor):
    first = services.request_account_deletion(user=editor.user, password=PASSWORD)
    editor.user.refresh_from_db()
    # The password is gone already, so a replay can only come from the same open request.
    assert not editor.user.has_usable_password()
    assert DataDeletionRequest.objects.filter(status="received").get() == first
