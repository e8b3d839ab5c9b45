"""The decode check runs as a job after an upload (not in the request) and marks damage."""

from datetime import timedelta

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from creatives.library import services, tasks
from creatives.library.models import MediaAsset
from tests.conftest import client_for
from tests.creatives.media.test_decode import damage_video
from tests.media_samples import make_video

MESSAGE = "The video is damaged around 0:03; re-export it and upload again."


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("decode-job")
    whole = make_video(root / "whole.mp4", width=320, height=180, seconds=5)
    return whole, damage_video(whole, root / "damaged.mp4", start=3.0, end=3.1)


def upload(editor, path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        asset = services.upload_media(
            actor=editor,
            uploaded=SimpleUploadedFile(path.name, path.read_bytes(), content_type="video/mp4"),
        )
    return asset, queued


def test_the_upload_request_queues_the_check_and_does_not_decode_it_all(
    editor, media_root, clips, django_capture_on_commit_callbacks
):
    asset, queued = upload(editor, clips[1], django_capture_on_commit_callbacks)

    assert asset.status == "ready"  # the request only ran the quick upload check
    assert asset.next_attempt_at is not None  # the full check is due
    assert len(queued) == 1


def test_the_job_marks_a_damaged_video_broken_and_says_which_second(
    editor, media_root, clips, django_capture_on_commit_callbacks
):
    asset, _queued = upload(editor, clips[1], django_capture_on_commit_callbacks)

    tasks.check_media_decodes_task.apply(args=(asset.pk,))

    asset.refresh_from_db()
    assert (asset.status, asset.error) == ("failed", MESSAGE)
    assert asset.next_attempt_at is None
    assert asset.lease_expires_at is None
    detail = client_for(editor).get(reverse("creatives:detail", args=["acme", asset.pk]))
    assert MESSAGE in detail.content.decode()


def test_the_job_leaves_a_whole_video_ready_and_runs_once(
    editor, media_root, clips, django_capture_on_commit_callbacks
):
    asset, _queued = upload(editor, clips[0], django_capture_on_commit_callbacks)

    services.check_media_decodes(asset_id=asset.pk)
    asset.refresh_from_db()
    attempts = asset.attempts
    services.check_media_decodes(asset_id=asset.pk)  # done: a second delivery is a no-op

    asset.refresh_from_db()
    assert (asset.status, asset.error, asset.next_attempt_at) == ("ready", "", None)
    assert asset.attempts == attempts == 1


def test_images_need_no_decode_check(editor, media_root, tmp_path):
    from tests.media_samples import make_image

    path = make_image(tmp_path / "p.jpg", width=64, height=64)
    asset = services.upload_media(
        actor=editor,
        uploaded=SimpleUploadedFile("p.jpg", path.read_bytes(), content_type="image/jpeg"),
    )

    assert asset.next_attempt_at is None


def test_a_check_whose_worker_died_is_swept_again(
    editor, media_root, clips, django_capture_on_commit_callbacks
):
    asset, _queued = upload(editor, clips[1], django_capture_on_commit_callbacks)
    MediaAsset.objects.filter(pk=asset.pk).update(
        attempts=1, lease_expires_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks() as queued:
        services.requeue_stalled_transcodes()

    assert len(queued) == 1


def test_a_direct_upload_is_checked_too(editor, s3, clips, django_capture_on_commit_callbacks):
    asset, presigned = services.start_direct_upload(
        actor=editor, filename="d.mp4", size=clips[1].stat().st_size
    )
    requests.post(
        presigned.url,
        data=presigned.fields,
        files={"file": ("f", clips[1].read_bytes())},
        timeout=10,
    ).raise_for_status()
    with django_capture_on_commit_callbacks() as queued:
        asset = services.complete_direct_upload(actor=editor, asset=asset)
    assert len(queued) == 1

    services.check_media_decodes(asset_id=asset.pk)

    asset.refresh_from_db()
    assert (asset.status, asset.error) == ("failed", MESSAGE)
