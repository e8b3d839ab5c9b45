"""Uploading to the library (filesystem storage), rejects, transcode jobs, tenancy."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creatives.library import services
from creatives.library.errors import MediaError
from creatives.library.media.errors import MediaRejected
from creatives.library.media.specs import fits
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset
from prosocial import storage
from tests.conftest import client_for
from tests.media_samples import make_image, make_video


@pytest.fixture(params=["filesystem", "s3"])
def media_root(request, settings, tmp_path):
    """Run each test on both storage backends; yields a function listing what is stored."""
    if request.param == "s3":
        request.getfixturevalue("s3")
        client = storage.s3_client()

        def listing():
            found = client.list_objects_v2(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
            return sorted(o["Key"] for o in found.get("Contents", []))

        return listing
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    root = settings.MEDIA_ROOT
    return lambda: sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("samples")
    return {
        "landscape": make_video(folder / "landscape.mp4", width=320, height=180, seconds=4),
        "photo": make_image(folder / "photo.jpg", width=1080, height=1350),
    }


def upload(path, name=None, content_type="application/octet-stream"):
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type=content_type)


def stored_files(listing):
    return listing()


def test_upload_video_records_every_fact(editor, media_root, samples):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))

    assert (asset.kind, asset.status, asset.source) == ("video", "ready", "uploaded")
    assert (asset.width, asset.height, asset.video_codec, asset.has_audio) == (
        320,
        180,
        "h264",
        True,
    )
    assert asset.duration_seconds == pytest.approx(4.0, abs=0.15)
    assert asset.storage_key.startswith(f"workspaces/{editor.workspace_id}/media/")
    assert asset.storage_key.endswith(".mp4")
    assert asset.poster_key
    assert len(stored_files(media_root)) == 2  # the video and its poster
    assert len(asset.sha256) == 64


def test_name_and_client_type_are_not_trusted(editor, media_root, samples):
    asset = services.upload_media(
        actor=editor, uploaded=upload(samples["photo"], name="movie.mp4", content_type="video/mp4")
    )

    assert (asset.kind, asset.content_type) == ("image", "image/jpeg")
    assert asset.original_filename == "movie.mp4"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        pytest.param(b"", "empty.mp4", "empty", id="zero-bytes"),
        pytest.param(
            b"<!doctype html><html><body>hi</body></html>",
            "photo.jpg",
            "This file is an HTML page",
            id="html-as-jpg",
        ),
        pytest.param(
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\nhttp://127.0.0.1/x.ts\n",
            "clip.mp4",
            "",
            id="hls-playlist",
        ),
    ],
)
def test_bad_files_are_rejected_and_nothing_is_stored(editor, media_root, content, name, message):
    with pytest.raises(MediaError) as caught:
        services.upload_media(actor=editor, uploaded=SimpleUploadedFile(name, content))

    assert message in caught.value.message
    assert MediaAsset.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_refused_file_is_one_media_error_carrying_the_pipelines_code(editor, media_root):
    page = SimpleUploadedFile("photo.jpg", b"<!doctype html><html><body>hi</body></html>")

    with pytest.raises(MediaError) as caught:
        services.upload_media(actor=editor, uploaded=page)

    assert type(caught.value) is MediaRejected
    assert caught.value.code == "unsupported_type"


def test_quota_is_enforced(editor, media_root, samples, settings):
    settings.MEDIA_WORKSPACE_QUOTA_BYTES = 1000

    with pytest.raises(MediaError, match="storage quota"):
        services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))

    assert MediaAsset.objects.count() == 0


def test_viewer_cannot_upload(viewer, media_root, samples):
    response = client_for(viewer).post(
        reverse("creatives:upload", args=["acme"]), {"files": [upload(samples["photo"])]}
    )

    assert response.status_code == 403
    assert MediaAsset.objects.count() == 0


def test_upload_view_answers_json_per_file(editor, media_root, samples):
    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [upload(samples["photo"]), SimpleUploadedFile("bad.png", b"not a png")]},
        headers={"Accept": "application/json"},
    )

    body = response.json()
    assert response.status_code == 422
    assert [("id" in f, "error" in f) for f in body["files"]] == [(True, False), (False, True)]
    assert MediaAsset.objects.count() == 1


def test_library_and_detail_pages(editor, media_root, samples):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))
    client = client_for(editor)

    library = client.get(reverse("creatives:library", args=["acme"]))
    detail = client.get(reverse("creatives:detail", args=["acme", asset.pk]))

    assert library.status_code == 200
    assert f'data-testid="media-{asset.pk}"' in library.content.decode()
    body = detail.content.decode()
    assert "320\u00d7180 (16:9)" in body  # multiplication sign, as rendered
    assert 'data-testid="fix-ig_reel"' in body  # 16:9 doesn't fit a reel: the fix is offered


def test_transcode_request_creates_a_rendition_and_queues_it(
    editor, media_root, samples, django_capture_on_commit_callbacks
):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))

    with django_capture_on_commit_callbacks() as callbacks:
        rendition = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")
    again = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")

    assert len(callbacks) == 1
    assert again == rendition
    assert (rendition.status, rendition.parent, rendition.placement_key) == (
        "processing",
        asset,
        "ig_reel",
    )


def test_transcode_job_produces_a_conforming_copy(editor, media_root, samples):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))
    rendition = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")

    services.transcode_media(asset_id=rendition.pk)

    rendition.refresh_from_db()
    assert (rendition.status, rendition.progress) == ("ready", 100)
    assert rendition.height > rendition.width
    assert fits(facts_for_asset(rendition), "ig_reel")
    services.transcode_media(asset_id=rendition.pk)  # a repeat is a no-op
    assert MediaAsset.objects.count() == 2


def test_stalled_transcode_is_requeued(
    editor, media_root, samples, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))
    rendition = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")
    MediaAsset.objects.filter(pk=rendition.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1), attempts=1
    )

    with django_capture_on_commit_callbacks() as callbacks:
        assert services.requeue_stalled_transcodes() == 1

    assert len(callbacks) == 1


def test_delete_removes_rows_and_files(editor, media_root, samples):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))
    rendition = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")
    services.transcode_media(asset_id=rendition.pk)

    response = client_for(editor).post(reverse("creatives:delete", args=["acme", asset.pk]))

    assert response.status_code == 302
    assert MediaAsset.objects.count() == 0
    assert stored_files(media_root) == []


def test_other_workspace_media_is_404(editor, outsider, media_root, samples):
    foreign = services.upload_media(actor=outsider, uploaded=upload(samples["photo"]))

    client = client_for(editor)
    assert client.get(reverse("creatives:detail", args=["acme", foreign.pk])).status_code == 404
    assert client.post(reverse("creatives:delete", args=["acme", foreign.pk])).status_code == 404
    assert MediaAsset.objects.filter(pk=foreign.pk).exists()


def test_transcode_is_refused_when_converting_cannot_fix_it(editor, media_root, tmp_path):
    short = make_video(tmp_path / "short.mp4", width=320, height=180, seconds=1)
    asset = services.upload_media(actor=editor, uploaded=upload(short))

    with pytest.raises(MediaError, match="can't make this file fit"):
        services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")

    assert MediaAsset.objects.count() == 1


# --- What the library says about publishing (#13 item 11): true per environment, no operator
# settings in front of marketers, placements by their labels --------------------------------


def _library(membership):
    return client_for(membership).get(reverse("creatives:library", args=["acme"])).content.decode()


def test_library_says_nothing_about_delivery_when_the_sandbox_downloads(
    editor, media_root, settings
):
    settings.META_USES_SANDBOX = True  # the sandbox downloads from 127.0.0.1 like preflight says
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"

    assert 'data-testid="fetchability"' not in _library(editor)


def test_library_tells_marketers_plainly_when_meta_cannot_download(editor, media_root, settings):
    settings.META_USES_SANDBOX = False
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"

    body = _library(editor)

    assert "Your files are sent to Meta when you publish." in body
    for operator_words in ("PUBLIC_BASE_URL", "AWS_S3_ENDPOINT_URL", "127.0.0.1", "docs/"):
        assert operator_words not in body


def test_library_shows_operators_a_short_note_with_the_docs(owner, media_root, settings):
    settings.META_USES_SANDBOX = False
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])

    body = _library(owner)

    assert "For the site operator:" in body
    assert "<code>docs/configuration.md</code>" in body
    assert "Your files are sent to Meta" not in body


def test_conversion_is_named_and_shown_by_the_placement_label(editor, media_root, samples):
    asset = services.upload_media(actor=editor, uploaded=upload(samples["landscape"]))
    rendition = services.request_transcode(actor=editor, asset=asset, placement_key="ig_reel")

    body = client_for(editor).get(reverse("creatives:detail", args=["acme", rendition.pk]))

    assert rendition.original_filename == f"{samples['landscape'].stem}-instagram-reel.mp4"
    assert "Converting for Instagram reel…" in body.content.decode()
