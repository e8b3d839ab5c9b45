"""Direct uploads that were started and never completed are removed, object and row.

Against moto's S3 server through real boto3 (tests/s3.py): nothing is mocked.
"""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from creatives.library import services, tasks
from creatives.library.models import MediaAsset
from prosocial import storage
from prosocial.celery import app
from tests.media_samples import make_video


@pytest.fixture
def clip(tmp_path):
    return make_video(tmp_path / "clip.mp4", width=160, height=90, seconds=1, audio=False)


def started(editor, content: bytes, *, age: timedelta) -> MediaAsset:
    """Start a direct upload, put ``content`` in the bucket (when any), and age the row."""
    asset, presigned = services.start_direct_upload(
        actor=editor, filename="clip.mp4", size=max(1, len(content))
    )
    if content:
        response = requests.post(
            presigned.url, data=presigned.fields, files={"file": ("f", content)}, timeout=10
        )
        assert response.status_code in (200, 201, 204), response.text
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - age)
    return asset


def test_an_old_pending_upload_goes_with_its_object(editor, s3, clip):
    old = started(editor, clip.read_bytes(), age=services.ABANDONED_DIRECT_UPLOAD_AFTER * 2)
    assert storage.head_object(old.storage_key) is not None

    removed = services.remove_abandoned_direct_uploads()

    assert removed == 1
    assert not MediaAsset.objects.filter(pk=old.pk).exists()
    assert storage.head_object(old.storage_key) is None


def test_an_old_pending_upload_whose_file_never_arrived_goes_too(editor, s3):
    old = started(editor, b"", age=services.ABANDONED_DIRECT_UPLOAD_AFTER + timedelta(minutes=1))

    assert services.remove_abandoned_direct_uploads() == 1
    assert not MediaAsset.objects.filter(pk=old.pk).exists()


def test_fresh_and_completed_uploads_stay(editor, s3, clip):
    # Still within the signed URL's lifetime plus the margin: the browser may be uploading.
    fresh = started(
        editor, clip.read_bytes(), age=services.ABANDONED_DIRECT_UPLOAD_AFTER - timedelta(minutes=1)
    )
    done = started(editor, clip.read_bytes(), age=timedelta(0))
    done = services.complete_direct_upload(actor=editor, asset=done)
    MediaAsset.objects.filter(pk=done.pk).update(
        created_at=timezone.now() - services.ABANDONED_DIRECT_UPLOAD_AFTER * 10
    )

    assert services.remove_abandoned_direct_uploads() == 0

    assert MediaAsset.objects.filter(pk=fresh.pk, status="processing").exists()
    assert storage.head_object(fresh.storage_key) is not None
    done.refresh_from_db()
    assert done.status == "ready"
    assert storage.head_object(done.storage_key) is not None
    assert storage.head_object(done.poster_key) is not None


def test_abandoned_means_pending_past_the_signed_url_lifetime_plus_a_margin(editor, s3):
    before = timezone.now()
    _asset, presigned = services.start_direct_upload(actor=editor, filename="x.mp4", size=10)

    lifetime = presigned.expires_at - before
    assert abs(lifetime - timedelta(seconds=services.DIRECT_UPLOAD_URL_SECONDS)) < timedelta(
        seconds=5
    )
    assert lifetime + timedelta(minutes=30) <= services.ABANDONED_DIRECT_UPLOAD_AFTER


def test_old_transcodes_still_processing_are_not_uploads(editor, s3, clip):
    source = started(editor, clip.read_bytes(), age=timedelta(0))
    source = services.complete_direct_upload(actor=editor, asset=source)
    rendition = MediaAsset.objects.create(
        workspace=source.workspace,
        kind="video",
        source=MediaAsset.Source.TRANSCODED,
        status="processing",
        original_filename="r.mp4",
        parent=source,
    )
    MediaAsset.objects.filter(pk=rendition.pk).update(created_at=timezone.now() - timedelta(days=2))

    assert services.remove_abandoned_direct_uploads() == 0
    assert MediaAsset.objects.filter(pk=rendition.pk).exists()


def test_the_periodic_job_runs_the_service(editor, s3, clip):
    old = started(editor, clip.read_bytes(), age=services.ABANDONED_DIRECT_UPLOAD_AFTER * 2)
    entry = app.conf.beat_schedule["remove-abandoned-direct-uploads"]

    tasks.remove_abandoned_direct_uploads_task.apply()

    assert entry["task"] == tasks.remove_abandoned_direct_uploads_task.name
    assert not MediaAsset.objects.filter(pk=old.pk).exists()
    assert storage.head_object(old.storage_key) is None
