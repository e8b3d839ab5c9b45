"""Uploads received in one pass (creatives/library/uploads.py): hash, sniff, scan and size cap
as the bytes arrive, one inspection per file, and a rename into place on the local disk."""

import hashlib
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from creatives.library import services, uploads
from creatives.library.media import inspect
from creatives.library.models import MediaAsset
from tests.conftest import client_for
from tests.media_samples import make_image, make_video

CHUNK = 16 * 1024  # small chunks, so every sample arrives in many
MB = b"\x00" * (1024 * 1024)


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.MEDIA_UPLOAD_CHUNK_BYTES = CHUNK


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(
        tmp_path_factory.mktemp("one-pass") / "clip.mp4", width=320, height=180, seconds=4
    )


def receive(data: bytes, name: str = "clip.mp4"):
    """Run a multipart POST through the configured upload handlers; return the file."""
    request = RequestFactory().post("/", {"files": SimpleUploadedFile(name, data)})
    return request.FILES["files"]


def incoming(media_root):
    folder = media_root / uploads.INCOMING_FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def stored(media_root):
    return sorted(
        p for p in media_root.rglob("*") if p.is_file() and uploads.INCOMING_FOLDER not in p.parts
    )


def test_the_hash_computed_in_the_pass_equals_hashlib_over_the_file(media_root, video):
    data = video.read_bytes()
    assert len(data) > 4 * CHUNK

    received = receive(data)

    assert isinstance(received, uploads.ReceivedUpload)
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    with open(received.temporary_file_path(), "rb") as on_disk:
        assert received.sha256 == hashlib.sha256(on_disk.read()).hexdigest()
    assert received.polyglot_checked is True
    # Received next to the media, so keeping it can be a rename.
    assert os.path.dirname(received.temporary_file_path()) == str(
        media_root / uploads.INCOMING_FOLDER
    )


def test_an_upload_through_the_view_keeps_the_pass_hash_and_is_inspected_once(
    editor, media_root, video, monkeypatch
):
    calls = []
    real = inspect.inspect_file

    def counting(path, **kwargs):
        calls.append(kwargs.get("polyglot_checked", False))
        return real(path, **kwargs)

    monkeypatch.setattr(inspect, "inspect_file", counting)
    monkeypatch.setattr(services, "inspect_file", counting)

    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [SimpleUploadedFile("clip.mp4", video.read_bytes())]},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 201, response.content
    asset = MediaAsset.objects.get()
    assert asset.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    assert hashlib.sha256((media_root / asset.storage_key).read_bytes()).hexdigest() == (
        asset.sha256
    )
    assert calls == [True]  # one inspection, and no second scan of the bytes
    assert asset.poster_key
    assert (media_root / asset.poster_key).exists()
    assert incoming(media_root) == []


def test_the_stored_file_is_the_received_file_renamed_on_local_storage(editor, media_root, video):
    received = receive(video.read_bytes())
    temporary = received.temporary_file_path()
    inode = os.stat(temporary).st_ino

    asset = services.upload_media(actor=editor, uploaded=received)
    received.close()  # as Django does at the end of the request

    kept = media_root / asset.storage_key
    assert os.stat(kept).st_ino == inode  # the same file: renamed, no second copy written
    assert not os.path.exists(temporary)
    assert incoming(media_root) == []


def test_the_size_cap_refuses_mid_stream_with_a_4xx_and_leaves_nothing(
    editor, media_root, video, settings
):
    settings.MEDIA_MAX_VIDEO_BYTES = 2 * CHUNK
    data = video.read_bytes()
    assert len(data) > 4 * CHUNK  # refused well before the end

    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [SimpleUploadedFile("clip.mp4", data)]},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["files"] == [
        {
            "name": "clip.mp4",
            "error": "This video file is more than 32 KB; videos can be at most 32 KB.",
        }
    ]
    assert MediaAsset.objects.count() == 0
    assert incoming(media_root) == []
    assert stored(media_root) == []


def test_the_refusal_happens_while_the_bytes_arrive(media_root, video, settings):
    settings.MEDIA_MAX_VIDEO_BYTES = 2 * CHUNK
    written = []
    real_write = uploads.OnePassUploadHandler._write

    def spy(self, raw_data):
        written.append(len(raw_data))
        real_write(self, raw_data)

    handler_write = pytest.MonkeyPatch()
    handler_write.setattr(uploads.OnePassUploadHandler, "_write", spy)
    try:
        received = receive(video.read_bytes())
    finally:
        handler_write.undo()

    assert isinstance(received, uploads.RefusedUpload)
    assert received.refusal.code == "too_large"
    assert sum(written) <= 2 * CHUNK  # nothing past the cap was written
    assert incoming(media_root) == []


def test_an_unaccepted_type_is_refused_from_its_first_bytes(editor, media_root):
    page = b"<!doctype html><html><body>" + b"x" * (5 * CHUNK) + b"</body></html>"

    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [SimpleUploadedFile("photo.jpg", page)]},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 422
    assert "This file is an HTML page" in response.json()["files"][0]["error"]
    assert MediaAsset.objects.count() == 0
    assert incoming(media_root) == []


@pytest.mark.parametrize(
    ("where", "code_word"),
    [
        pytest.param("middle", "HLS playlist", id="hls-in-the-middle"),
        pytest.param("end", "HTML page or script", id="markup-at-the-end"),
    ],
)
def test_the_polyglot_scan_runs_in_the_pass(editor, media_root, video, where, code_word):
    data = video.read_bytes()
    if where == "middle":
        # Split across two chunks: the scan carries bytes over from one chunk to the next.
        at = 3 * CHUNK - 3
        data = data[:at] + b"#EXTM3U\n" + data[at:]
    else:
        data = data + b"<script>alert(1)</script>"

    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [SimpleUploadedFile("clip.mp4", data)]},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 422
    assert code_word in response.json()["files"][0]["error"]
    assert MediaAsset.objects.count() == 0
    assert incoming(media_root) == []
    assert stored(media_root) == []


def test_an_image_is_still_re_encoded_and_hashed_as_stored(editor, media_root, tmp_path):
    photo = make_image(tmp_path / "photo.jpg", width=1200, height=900)

    response = client_for(editor).post(
        reverse("creatives:upload", args=["acme"]),
        {"files": [SimpleUploadedFile("photo.jpg", photo.read_bytes())]},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 201
    asset = MediaAsset.objects.get()
    kept = (media_root / asset.storage_key).read_bytes()
    assert kept != photo.read_bytes()  # re-encoded, metadata stripped
    assert asset.sha256 == hashlib.sha256(kept).hexdigest()
    assert incoming(media_root) == []


@pytest.mark.django_db
def test_files_a_killed_server_left_in_the_incoming_folder_are_swept(media_root):
    folder = media_root / uploads.INCOMING_FOLDER
    folder.mkdir(parents=True)
    stale, fresh = folder / "tmpold.upload", folder / "tmpnew.upload"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = stale.stat().st_mtime - services.STALE_INCOMING_UPLOAD_AFTER.total_seconds() - 60
    os.utime(stale, (old, old))

    services.requeue_stalled_transcodes()

    assert incoming(media_root) == [fresh]


@pytest.mark.parametrize(
    ("chunks", "markup_everywhere", "refused"),
    [
        pytest.param(
            [b"\x00" * 5000 + b"#EXT", b"M3U\n" + b"\x00" * 5000], False, True, id="hls-seam"
        ),
        pytest.param([b"\x00" * 100_000, b"<ScRiPt>", b"\x00" * 10], False, True, id="markup-tail"),
        pytest.param(
            [b"\x00" * 100, b"<script>" + b"\x00" * 100_000], False, True, id="markup-head"
        ),
        pytest.param(
            [b"\x00" * 100_000, b"<script>", b"\x00" * 100_000], False, True, id="av-small-whole"
        ),
        pytest.param([MB * 3, b"<script>", MB * 3], False, False, id="av-middle-not-looked-at"),
        pytest.param(
            [MB * 3, b"\x00" * 100_000, b"<script>", b"\x00" * 400_000],
            False,
            True,
            id="av-last-read-chunk",
        ),
        pytest.param([MB * 3, b"<script>", MB * 3], True, True, id="image-middle"),
    ],
)
def test_the_streaming_scan_refuses_what_the_file_scan_refuses(
    tmp_path, chunks, markup_everywhere, refused
):
    from creatives.library.media.errors import MediaRejected
    from creatives.library.media.sniff import PolyglotScanner, scan_for_polyglot

    path = tmp_path / "bytes"
    path.write_bytes(b"".join(chunks))
    scanner = PolyglotScanner(markup_everywhere=markup_everywhere)
    outcomes = []
    for scan in (
        lambda: [scanner.feed(c) for c in chunks] and scanner.finish(),
        lambda: scan_for_polyglot(path, markup_everywhere=markup_everywhere),
    ):
        try:
            scan()
        except MediaRejected as exc:
            outcomes.append(exc.code)
        else:
            outcomes.append(None)

    assert outcomes == (["polyglot", "polyglot"] if refused else [None, None])
