"""Browser-to-bucket uploads (S3 presigned POST) then inspection by the server."""

import pytest
import requests
from django.urls import reverse

from creatives.library import services
from creatives.library.errors import MediaError
from creatives.library.models import MediaAsset
from prosocial import storage
from tests.conftest import client_for
from tests.media_samples import make_video


@pytest.fixture
def clip(tmp_path):
    return make_video(tmp_path / "clip.mp4", width=320, height=180, seconds=4)


def post_to_bucket(presigned, content):
    response = requests.post(
        presigned.url, data=presigned.fields, files={"file": ("f", content)}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text


def test_direct_upload_is_inspected_and_kept(editor, s3, clip, settings):
    asset, presigned = services.start_direct_upload(
        actor=editor, filename="clip.mp4", size=clip.stat().st_size
    )
    post_to_bucket(presigned, clip.read_bytes())
    raw_key = asset.storage_key

    asset = services.complete_direct_upload(actor=editor, asset=asset)

    assert (asset.status, asset.kind, asset.width, asset.height) == ("ready", "video", 320, 180)
    assert storage.head_object(asset.storage_key).size == asset.size_bytes
    assert storage.head_object(raw_key) is None  # the raw upload is replaced by the checked copy


def test_direct_upload_of_a_bad_file_leaves_nothing(editor, s3, settings):
    asset, presigned = services.start_direct_upload(actor=editor, filename="x.mp4", size=20)
    post_to_bucket(presigned, b"<html>not video</html>")

    with pytest.raises(MediaError):
        services.complete_direct_upload(actor=editor, asset=asset)

    assert MediaAsset.objects.count() == 0
    assert storage.head_object(asset.storage_key) is None


def test_complete_without_the_object_explains(editor, s3):
    asset, _ = services.start_direct_upload(actor=editor, filename="x.mp4", size=20)

    with pytest.raises(MediaError, match="never arrived"):
        services.complete_direct_upload(actor=editor, asset=asset)

    assert MediaAsset.objects.count() == 0


def test_start_view_refuses_oversized_and_malformed(editor, s3, settings):
    client = client_for(editor)
    url = reverse("creatives:upload_start", args=["acme"])

    too_big = client.post(url, {"name": "x.mp4", "size": 10**13}, content_type="application/json")
    malformed = client.post(url, "not json", content_type="application/json")

    assert too_big.status_code == 422
    assert "at most" in too_big.json()["error"]
    assert malformed.status_code == 400
    assert MediaAsset.objects.count() == 0


def test_direct_upload_needs_s3(editor, settings):
    settings.MEDIA_USES_S3 = False

    with pytest.raises(MediaError, match="need S3"):
        services.start_direct_upload(actor=editor, filename="x.mp4", size=10)


def test_a_direct_upload_larger_than_declared_still_meets_the_quota(editor, s3, clip, settings):
    settings.MEDIA_WORKSPACE_QUOTA_BYTES = clip.stat().st_size // 2
    asset, presigned = services.start_direct_upload(actor=editor, filename="clip.mp4", size=1)
    post_to_bucket(presigned, clip.read_bytes())

    with pytest.raises(MediaError, match="storage quota"):
        services.complete_direct_upload(actor=editor, asset=asset)

    assert MediaAsset.objects.count() == 0
    assert storage.head_object(asset.storage_key) is None
