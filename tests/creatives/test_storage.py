"""prosocial.storage against moto's S3 server over HTTP (real boto3, real requests).

moto 5.x does not evaluate presigned POST policies or presigned URL signatures/expiry
(tests/s3.py), so the policy test below checks the exact conditions we sign; AWS and MinIO
enforce them.
"""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from prosocial import storage

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # 1032 bytes


def put(key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
    storage.s3_client().put_object(
        Bucket=storage._bucket(), Key=key, Body=body, ContentType=content_type
    )


def test_presigned_post_upload_stores_the_file(s3):
    post = storage.presign_upload(
        key="workspaces/7/originals/poster.png", content_type="image/png", max_bytes=2048
    )

    response = requests.post(
        post.url,
        data=post.fields,
        files={"file": ("poster.png", PNG, "image/png")},
        timeout=10,
    )

    assert response.status_code == 204, response.text
    assert post.url == f"{s3.endpoint_url}/{s3.bucket}"
    assert post.key == "workspaces/7/originals/poster.png"
    assert storage.head_object(post.key) == storage.StoredObject(
        key="workspaces/7/originals/poster.png",
        size=1032,
        content_type="image/png",
        etag=hashlib.md5(PNG).hexdigest(),  # noqa: S324 - S3's ETag is the MD5
    )


def test_presigned_post_policy_pins_key_type_and_size(s3):
    before = timezone.now()
    post = storage.presign_upload(
        key="workspaces/7/originals/clip.mp4",
        content_type="video/mp4",
        max_bytes=5_000_000,
        expires_in=600,
    )

    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": "workspaces/7/originals/clip.mp4"} in conditions
    assert {"Content-Type": "video/mp4"} in conditions
    assert ["content-length-range", 1, 5_000_000] in conditions
    assert {"bucket": s3.bucket} in conditions
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert post.fields["key"] == "workspaces/7/originals/clip.mp4"
    assert post.fields["Content-Type"] == "video/mp4"
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert (
        before + timedelta(seconds=599)
        <= post.expires_at
        <= timezone.now() + timedelta(seconds=600)
    )
    assert policy["expiration"] == post.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_presign_upload_needs_a_positive_limit(s3):
    with pytest.raises(ValueError, match="max_bytes"):
        storage.presign_upload(key="a.png", content_type="image/png", max_bytes=0)


def test_head_object_of_a_missing_key_is_none(s3):
    assert storage.head_object("workspaces/7/nothing-here.png") is None


def test_presigned_get_downloads_the_bytes_with_labels(s3):
    put("workspaces/7/originals/abc123", PNG)
    url = storage.presign_download(
        key="workspaces/7/originals/abc123",
        expires_in=300,
        filename="Affiche été.png",
        content_type="image/png",
    )

    response = requests.get(url, timeout=10)

    assert url.startswith(f"{s3.endpoint_url}/{s3.bucket}/workspaces/7/originals/abc123?")
    assert "X-Amz-Expires=300" in url
    assert "X-Amz-Signature=" in url
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"Affiche ete.png\"; filename*=UTF-8''Affiche%20%C3%A9t%C3%A9.png"
    )


def test_presigned_get_serves_ranges(s3):
    put("clip.mp4", PNG, "video/mp4")
    url = storage.presign_download(key="clip.mp4", expires_in=60)

    response = requests.get(url, headers={"Range": "bytes=8-15"}, timeout=10)

    assert response.status_code == 206
    assert response.content == PNG[8:16]
    assert response.headers["Content-Range"] == "bytes 8-15/1032"


def test_presign_download_refuses_a_non_positive_expiry(s3):
    with pytest.raises(ValueError, match="expires_in"):
        storage.presign_download(key="clip.mp4", expires_in=0)


def test_download_to_streams_the_whole_object(s3, tmp_path, monkeypatch):
    body = bytes(range(256)) * 4096  # 1 MiB
    put("big.bin", body)
    monkeypatch.setattr(storage, "CHUNK_BYTES", 64 * 1024)  # several chunks
    dst = tmp_path / "big.bin"

    written = storage.download_to("big.bin", dst, max_bytes=len(body))

    assert written == len(body)
    assert dst.read_bytes() == body


def test_download_to_refuses_an_object_over_the_limit(s3, tmp_path):
    put("big.bin", b"x" * 1001)
    dst = tmp_path / "big.bin"

    with pytest.raises(storage.ObjectTooLarge) as caught:
        storage.download_to("big.bin", dst, max_bytes=1000)

    assert (caught.value.size, caught.value.max_bytes) == (1001, 1000)
    assert str(caught.value) == "big.bin is 1001 bytes, 1000 bytes allowed"
    assert not dst.exists()


def test_download_to_a_missing_key_raises_and_leaves_nothing(s3, tmp_path):
    dst = tmp_path / "gone.bin"

    with pytest.raises(storage.StorageError) as caught:
        storage.download_to("gone.bin", dst, max_bytes=1000)

    assert caught.value.code == "NoSuchKey"
    assert caught.value.key == "gone.bin"
    assert not dst.exists()


def test_delete_object_removes_it_and_is_idempotent(s3):
    put("old.png", PNG)
    put("keep.png", PNG)

    storage.delete_object("old.png")
    storage.delete_object("old.png")

    assert storage.head_object("old.png") is None
    assert storage.head_object("keep.png") is not None


def test_ensure_bucket_creates_a_missing_bucket_once(s3, settings):
    settings.AWS_STORAGE_BUCKET_NAME = "prosocial-second"

    storage.ensure_bucket()
    storage.ensure_bucket()

    names = [b["Name"] for b in storage.s3_client().list_buckets()["Buckets"]]
    assert sorted(names) == ["prosocial-second", "prosocial-test-media"]


def test_client_follows_settings_changes(s3, settings):
    assert storage.s3_client().meta.endpoint_url == s3.endpoint_url

    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # no request is made

    assert storage.s3_client().meta.endpoint_url == "http://127.0.0.1:9"


def test_default_storage_writes_to_the_fixture_bucket(s3):
    name = default_storage.save("workspaces/7/note.txt", ContentFile(b"hello"))

    assert storage.head_object(name).size == 5


def test_without_a_bucket_s3_calls_are_refused(settings):
    settings.AWS_STORAGE_BUCKET_NAME = ""

    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        storage.presign_download(key="a.png", expires_in=60)
