"""Data exports: the archive holds every record of its subject, nothing of others, no secrets."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from meta_integration.models import MetaConnection
from privacy import exports
from privacy.models import DataExport
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.privacy.conftest import upload_image


def _archive(export: DataExport) -> zipfile.ZipFile:
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY, export.error
    with default_storage.open(export.storage_key, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def _records(archive: zipfile.ZipFile) -> dict[str, list[dict]]:
    return {
        name.removeprefix("records/").removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name.startswith("records/")
    }


def _build(export: DataExport) -> zipfile.ZipFile:
    exports.build_data_export(export_id=export.pk)
    return _archive(export)


@pytest.fixture
def busy_workspace(owner, editor, outsider, sandbox):
    """Two workspaces with media, a Meta connection and activity each."""
    connect(client_for(owner), sandbox)
    mine = [upload_image(owner, "ours-1.jpg"), upload_image(editor, "ours-2.jpg")]
    theirs = upload_image(outsider, "theirs.jpg", colour=(10, 10, 200))
    return mine, theirs


def test_workspace_export_has_every_record_and_file_and_nothing_else(
    owner, outsider, busy_workspace, django_capture_on_commit_callbacks
):
    mine, theirs = busy_workspace
    with django_capture_on_commit_callbacks() as queued:
        export = exports.request_workspace_export(actor=owner)
    assert len(queued) == 1

    archive = _build(export)
    records = _records(archive)

    assert {m["id"] for m in records["creatives.media_assets"]} == {a.pk for a in mine}
    assert {m["email"] for m in records["accounts.members"]} == {
        "olivia.owner@example.com",
        "eddie.editor@example.com",
    }
    assert [c["meta_user_id"] for c in records["meta_integration.connections"]] == [
        MetaConnection.objects.get(workspace=owner.workspace).meta_user_id
    ]
    assert len(records["meta_integration.pages"]) == 3
    assert all(e["workspace_id"] == owner.workspace_id for e in records["accounts.audit_events"])
    for asset in mine:
        stored = archive.read(f"media/{asset.pk}.jpg")
        assert len(stored) == asset.size_bytes
    assert not [n for n in archive.namelist() if str(theirs.pk) in n.split("/")[-1]]
    text = b"".join(archive.read(n) for n in archive.namelist()).decode("latin-1")
    assert "otto.outsider" not in text
    assert "Rival Co" not in text
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files_left_out"] == []
    assert manifest["records"]["creatives.media_assets"] == 2


def test_exports_never_contain_tokens(owner, busy_workspace):
    connection = MetaConnection.objects.get(workspace=owner.workspace)
    secrets = [connection.access_token, *connection.pages.values_list("access_token", flat=True)]
    assert all(secrets)

    archive = _build(exports.request_workspace_export(actor=owner))
    text = b"".join(archive.read(n) for n in archive.namelist()).decode("latin-1")

    assert [s for s in secrets if s in text] == []
    assert "access_token" not in text


def test_personal_export_holds_my_account_and_uploads_only(owner, editor, busy_workspace):
    mine, _theirs = busy_workspace

    archive = _build(exports.request_user_export(user=editor.user))
    records = _records(archive)

    assert records["accounts.profile"][0]["email"] == "eddie.editor@example.com"
    assert "password" not in records["accounts.profile"][0]
    assert [m["id"] for m in records["creatives.media_assets"]] == [mine[1].pk]
    assert archive.namelist().count(f"media/{mine[1].pk}.jpg") == 1
    assert [m["workspace_id"] for m in records["accounts.memberships"]] == [editor.workspace_id]


def test_media_over_the_size_limit_is_listed_not_included(owner, settings, busy_workspace):
    settings.EXPORT_MAX_MEDIA_BYTES = 1

    archive = _build(exports.request_workspace_export(actor=owner))

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"] == []
    assert len(manifest["files_left_out"]) == 2
    assert not [n for n in archive.namelist() if n.startswith("media/")]


def test_only_owners_export_workspaces(admin):
    response = client_for(admin).post("/w/acme/privacy/export/")
    assert response.status_code == 403
    assert DataExport.objects.count() == 0


def test_download_is_for_the_requester_until_it_expires(owner, admin, busy_workspace):
    export = exports.request_workspace_export(actor=owner)
    exports.build_data_export(export_id=export.pk)
    url = f"/account/privacy/exports/{export.pk}/"

    response = client_for(owner).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).testzip() is None
    assert client_for(admin).get(url).status_code == 404

    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(1))
    assert client_for(owner).get(url).status_code == 302
    assert exports.expire_data_exports() == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED
    assert not default_storage.exists(export.storage_key or "exports/none")


def test_second_request_while_building_returns_the_same_export(owner):
    first = exports.request_workspace_export(actor=owner)
    assert exports.request_workspace_export(actor=owner) == first
    assert DataExport.objects.count() == 1


def test_the_centre_lists_and_queues_exports(owner):
    client = client_for(owner)
    response = client.post("/account/privacy/export/", follow=True)
    assert response.status_code == 200
    assert b"Your export is being prepared" in response.content
    assert DataExport.objects.get().requested_by == owner.user
    assert b'data-testid="export-status"' in response.content


def test_a_failed_build_writes_no_archive(owner, monkeypatch):
    export = exports.request_user_export(user=owner.user)

    def broken(user_id):
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(exports.exporting, "collect_user_export", broken)
    with pytest.raises(RuntimeError):
        exports.build_data_export(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == DataExport.Status.QUEUED
    assert export.storage_key == ""
    assert not default_storage.exists("exports") or default_storage.listdir("exports")[1] == []
