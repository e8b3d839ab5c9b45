"""Publishing's privacy declarations: Meta's deletion callback, workspace deletion, export and
retention all reach publications and their traces."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from meta_sandbox import seed
from privacy import exports, retention
from privacy import services as privacy_services
from privacy.models import RetentionSettings
from publishing import services
from publishing.models import Publication, PublicationEvent
from tests.db_dump import dump_database
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(connected, upload, sandbox):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    return drive(services.publish_publication(actor=connected, publication=publication), sandbox)


def test_meta_deletion_erases_publish_traces_and_every_identifier(published):
    assert published.events.filter(kind="graph").exists()
    request = privacy_services.record_meta_deletion_request(meta_user_id=seed.ALEX_ID)

    privacy_services.erase_deletion_request(request_id=request.pk)

    request.refresh_from_db()
    assert request.counts["publishing.publish_traces"] > 0
    assert not PublicationEvent.objects.filter(kind="graph").exists()
    assert seed.ALEX_ID not in dump_database()
    published.refresh_from_db()
    assert published.status == "published"  # the record of what was published stays


def test_deleting_the_workspace_removes_publications_before_their_media(connected, published):
    request = privacy_services.request_workspace_deletion(
        actor=connected, confirm_name="Acme Marketing"
    )

    privacy_services.erase_deletion_request(request_id=request.pk)

    request.refresh_from_db()
    assert request.status == "completed", request.error
    assert request.counts["publishing.publications"] == 1
    assert request.counts["creatives.media_assets"] == 1
    assert Publication.objects.count() == 0


def test_workspace_export_holds_publications_and_their_timeline(connected, published):
    export = exports.request_workspace_export(actor=connected)
    exports.build_data_export(export_id=export.pk)
    export.refresh_from_db()
    with default_storage.open(export.storage_key, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))

    publications = json.loads(archive.read("records/publishing.publications.json"))
    events = json.loads(archive.read("records/publishing.publication_events.json"))

    assert [p["id"] for p in publications] == [published.pk]
    assert len(events) == published.events.count()
    text = b"".join(archive.read(name) for name in archive.namelist()).decode("latin-1")
    tokens = [published.page.access_token, published.page.connection.access_token]
    assert all(tokens)
    assert [token for token in tokens if token in text] == []


def test_traces_past_the_period_are_removed_and_the_rest_kept(connected, published):
    RetentionSettings.objects.create(workspace=connected.workspace, publish_trace_days=30)
    traces = published.events.filter(kind="graph")
    old = traces.first()
    PublicationEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    total = traces.count()

    report = {line.label: line.count for line in retention.retention_report(connected.workspace)}
    removed = retention.apply_workspace_retention(connected.workspace, now=timezone.now())

    assert report["Publish traces"] == 1
    assert removed["publishing.publish_traces"] == 1
    assert published.events.filter(kind="graph").count() == total - 1
    assert published.events.filter(kind="state").exists()  # only traces age out


def test_tombstones_are_exported_erased_with_the_workspace_and_lose_the_persons_names(
    connected, published
):
    from publishing import deletion
    from publishing.models import PublicationTombstone

    tombstone = deletion.delete_publication(actor=connected, publication=published)
    assert tombstone.page_name

    export = exports.request_workspace_export(actor=connected)
    exports.build_data_export(export_id=export.pk)
    export.refresh_from_db()
    with default_storage.open(export.storage_key, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    exported = json.loads(archive.read("records/publishing.publication_tombstones.json"))
    assert [row["id"] for row in exported] == [tombstone.pk]

    request = privacy_services.record_meta_deletion_request(meta_user_id=seed.ALEX_ID)
    privacy_services.erase_deletion_request(request_id=request.pk)
    tombstone.refresh_from_db()
    assert (tombstone.page_name, tombstone.instagram_name, tombstone.ad_account_name) == ("",) * 3

    request = privacy_services.request_workspace_deletion(
        actor=connected, confirm_name="Acme Marketing"
    )
    privacy_services.erase_deletion_request(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "completed", request.error
    assert request.counts["publishing.publication_tombstones"] == 1
    assert not PublicationTombstone.objects.exists()
