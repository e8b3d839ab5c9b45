"""Deleting a workspace: owners only, typed confirmation, access ends at once, the job erases."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from accounts.models import AuditEvent, Membership, Workspace
from creatives.library.models import MediaAsset
from meta_integration.models import MetaConnection, MetaPage
from privacy import exports, services
from privacy.errors import PrivacyError
from privacy.models import DataDeletionRequest, DataExport, RetentionSettings
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.meta_integration.helpers import connect
from tests.privacy.conftest import upload_image

URL = "/w/acme/privacy/delete/"


def test_owner_deletes_the_workspace_with_its_files_and_connections(
    owner, editor, outsider, sandbox, django_capture_on_commit_callbacks
):
    connect(client_for(owner), sandbox)
    token = MetaConnection.objects.get().access_token
    assets = [upload_image(owner), upload_image(editor)]
    keys = [a.storage_key for a in assets]
    theirs = upload_image(outsider)
    RetentionSettings.objects.create(workspace=owner.workspace, deletion_receipt_years=7)

    with django_capture_on_commit_callbacks() as queued:
        response = client_for(owner).post(URL, {"confirm_name": "Acme Marketing"})

    request = DataDeletionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/deletion/{request.confirmation_code}/"
    assert len(queued) == 1
    # Nobody reaches the workspace any more, before the job has even run.
    assert client_for(editor).get("/w/acme/").status_code == 404
    assert client_for(owner).get("/w/acme/privacy/").status_code == 404

    services.erase_deletion_request(request_id=request.pk)
    request.refresh_from_db()

    assert request.status == "completed"
    assert request.counts["accounts.workspaces"] == 1
    assert request.counts["creatives.media_assets"] == 2
    assert request.counts["meta_integration.connections"] == 1
    assert request.counts["meta_integration.revoked_on_meta"] == 1
    assert (request.keep_until - request.completed_at).days == 7 * 365
    assert not Workspace.objects.filter(slug="acme").exists()
    assert [k for k in keys if default_storage.exists(k)] == []
    assert default_storage.exists(theirs.storage_key)
    assert MediaAsset.objects.get() == theirs
    assert MetaPage.objects.count() == 0
    assert token not in dump_database()
    # The people stay: only their membership of the deleted workspace went.
    assert Membership.objects.filter(user=editor.user).count() == 0
    page = Client().get(f"/privacy/deletion/{request.confirmation_code}/")
    assert b"Media files: 2" in page.content


def test_wrong_name_is_refused_and_nothing_changes(owner, editor):
    response = client_for(owner).post(URL, {"confirm_name": "acme"})

    assert response.status_code == 422
    assert b"Type the workspace" in response.content
    assert DataDeletionRequest.objects.count() == 0
    assert Membership.objects.filter(workspace=owner.workspace).count() == 2


def test_admins_cannot_delete_and_outsiders_get_404(owner, admin, outsider):
    assert client_for(admin).post(URL, {"confirm_name": "Acme Marketing"}).status_code == 403
    assert client_for(outsider).post(URL, {"confirm_name": "Acme Marketing"}).status_code == 404
    assert DataDeletionRequest.objects.count() == 0


def test_no_export_once_deletion_started(owner, admin):
    Membership.objects.filter(pk=admin.pk).update(role="owner")
    admin.refresh_from_db()
    services.request_workspace_deletion(actor=owner, confirm_name="Acme Marketing")

    with pytest.raises(PrivacyError, match="being deleted"):
        exports.request_workspace_export(actor=admin)
    assert DataExport.objects.count() == 0


def test_an_export_in_flight_is_deleted_with_the_workspace(owner):
    export = exports.request_workspace_export(actor=owner)
    exports.build_data_export(export_id=export.pk)
    export.refresh_from_db()
    key = export.storage_key
    assert default_storage.exists(key)

    request = services.request_workspace_deletion(actor=owner, confirm_name="Acme Marketing")
    services.erase_deletion_request(request_id=request.pk)

    assert not default_storage.exists(key)
    assert DataExport.objects.count() == 0


def test_the_request_is_in_the_audit_log_until_the_workspace_goes(owner):
    request = services.request_workspace_deletion(actor=owner, confirm_name="Acme Marketing")
    event = AuditEvent.objects.get(action="workspace.deletion_requested")
    assert event.metadata == {"confirmation_code": request.confirmation_code}
    services.erase_deletion_request(request_id=request.pk)
    assert not AuditEvent.objects.filter(action="workspace.deletion_requested").exists()
