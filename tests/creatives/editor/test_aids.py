"""The editor's timeline aids and preview frames (creatives/editor/aids.py, aid_views.py).

Real files made with ffmpeg, uploaded through the library, on the local disk and on S3
(moto's server): filmstrip sprites (layout, tiles at their times), waveforms (a tone, silence,
a tone then silence, the cap), caching (a second call makes nothing), refusals of files that
aren't usable, the views' tenancy and caching headers, and preview frames (the renderer's
frame at proxy size, cached; hostile query strings get a 400, never a 500).
"""

import io
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageChops, ImageStat

from creatives.editor import aids
from creatives.editor.models import EditProject, EditVersion
from creatives.editor.render import PROXY_SIZES, SourceMedia, render_frame
from creatives.library import services
from creatives.library.errors import MediaError
from creatives.library.media.inspect import inspect_file
from creatives.library.models import MediaAsset
from tests.conftest import client_for
from tests.media_samples import make_image, make_video


def ffmpeg(*args: str) -> None:
    subprocess.run(  # noqa: S603
        [get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True, timeout=120
    )


def ramp_video(path: Path, seconds: int) -> Path:
    """A 160x90 video whose brightness rises 16 levels a second (tile i: about 16 * (i + 0.5))."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"color=black:s=160x90:r=30:d={seconds},geq=lum='16+16*T':cb=128:cr=128",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )
    return path


def sound(path: Path, expression: str, seconds: float) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"aevalsrc='{expression}':s=48000:d={seconds}",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        str(path),
    )
    return path


def upload(member, path: Path) -> MediaAsset:
    return services.upload_media(
        actor=member,
        uploaded=SimpleUploadedFile(path.name, path.read_bytes(), "application/octet-stream"),
    )


@pytest.fixture
def work_root(settings, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    settings.JOB_WORK_DIR = str(root)
    return root


@pytest.fixture
def stored(editor, media_root, work_root, tmp_path):
    """A ramp video, a 16:9 test video with a tone, a silent tall video, a picture, sounds."""
    return {
        "ramp": upload(editor, ramp_video(tmp_path / "ramp.mp4", 12)),
        "wide": upload(editor, make_video(tmp_path / "wide.mp4", width=320, height=180, seconds=4)),
        "tall": upload(
            editor,
            make_video(tmp_path / "tall.mp4", width=180, height=320, seconds=3, audio=False),
        ),
        "picture": upload(
            editor, make_image(tmp_path / "pic.png", width=200, height=100, fmt="PNG")
        ),
        "half_tone": upload(
            editor, sound(tmp_path / "half.m4a", "0.5*sin(2*PI*440*t)*lt(t,1)", 2.0)
        ),
        "silence": upload(editor, sound(tmp_path / "silence.m4a", "0", 3.0)),
    }


def sprite_of(strip: aids.Filmstrip) -> Image.Image:
    with default_storage.open(strip.key, "rb") as stored_file:
        picture = Image.open(io.BytesIO(stored_file.read()))
        picture.load()
    return picture


def tile(picture: Image.Image, strip: aids.Filmstrip, number: int) -> Image.Image:
    x, y = (number % strip.columns) * strip.tile_w, (number // strip.columns) * strip.tile_h
    return picture.crop((x, y, x + strip.tile_w, y + strip.tile_h))


# --- Filmstrips -------------------------------------------------------------------------------


def test_a_video_filmstrip_is_a_grid_of_one_tile_a_second_in_time_order(stored):
    strip = aids.filmstrip(stored["ramp"])
    assert strip is not None
    assert (strip.count, strip.columns, strip.rows) == (12, 10, 2)
    assert (strip.tile_w, strip.tile_h) == (128, 72)  # 160x90 is 16:9
    assert strip.interval == pytest.approx(1.0)
    assert strip.exact is True
    picture = sprite_of(strip)
    assert picture.format == "JPEG"
    assert picture.size == (10 * 128, 2 * 72)
    # Tile i is the picture at (i + 0.5) s, whose brightness is 16 + 16 * (i + 0.5).
    levels = [ImageStat.Stat(tile(picture, strip, n).convert("L")).mean[0] for n in range(12)]
    for number, level in enumerate(levels):
        expected = (16 + 16 * (number + 0.5) - 16) * 255 / 219  # limited range on a PC screen
        assert level == pytest.approx(expected, abs=6), number


def test_tiles_follow_the_picture_aspect(stored):
    tall = aids.filmstrip(stored["tall"])
    assert tall is not None
    assert (tall.tile_w, tall.tile_h, tall.count, tall.columns) == (40, 72, 3, 3)
    assert sprite_of(tall).size == (3 * 40, 72)


def test_an_image_is_one_tile_of_itself(stored):
    strip = aids.filmstrip(stored["picture"])
    assert strip is not None
    assert (strip.count, strip.columns, strip.interval) == (1, 1, 0.0)
    picture = sprite_of(strip)
    assert picture.size == (144, 72)
    red, green, blue = ImageStat.Stat(picture.convert("RGB")).mean
    assert (red, green, blue) == pytest.approx((120, 80, 200), abs=3)  # make_image's colour


def test_sound_has_no_filmstrip(stored):
    assert aids.filmstrip(stored["silence"]) is None


def test_a_long_video_uses_keyframes_and_at_most_120_tiles(editor, work_root, media_root):
    long = MediaAsset.objects.create(
        workspace=editor.workspace,
        kind="video",
        status=MediaAsset.Status.READY,
        original_filename="long.mp4",
        storage_key="workspaces/x/long.mp4",
        width=1920,
        height=1080,
        duration_seconds=600.0,
    )
    strip = aids.filmstrip_layout(long)
    assert strip is not None
    assert (strip.count, strip.interval, strip.columns, strip.rows) == (120, 5.0, 10, 12)
    assert strip.exact is False


# --- Waveforms --------------------------------------------------------------------------------


def test_waveform_of_a_tone_then_silence(stored):
    wave = aids.waveform(stored["half_tone"])
    assert wave is not None
    assert wave.per_second == 20
    assert len(wave.peaks) == pytest.approx(40, abs=2)  # 2 s (AAC adds a few ms)
    assert all(0.0 <= peak <= 1.0 and round(peak, 3) == peak for peak in wave.peaks)
    assert min(wave.peaks[1:19]) >= 0.45  # the 0.5 tone
    assert max(wave.peaks[1:19]) <= 0.56
    assert max(wave.peaks[22:]) <= 0.01  # then silence


def test_waveform_of_silence_is_flat_and_of_a_video_follows_its_sound(stored):
    silence = aids.waveform(stored["silence"])
    assert silence is not None
    assert len(silence.peaks) == pytest.approx(60, abs=2)
    assert max(silence.peaks) == 0.0
    video = aids.waveform(stored["wide"])
    assert video is not None
    assert min(video.peaks[1:-2]) >= 0.1  # make_video's tone (ffmpeg's sine: 1/8)


def test_no_waveform_without_sound(stored):
    assert aids.waveform(stored["tall"]) is None
    assert aids.waveform(stored["picture"]) is None


def test_a_long_file_gets_at_most_4000_peaks(editor, media_root, work_root, tmp_path):
    long = upload(editor, sound(tmp_path / "long.m4a", "0.25", 250.0))
    wave = aids.waveform(long)
    assert wave is not None
    assert wave.per_second == pytest.approx(4000 / long.duration_seconds, abs=1e-3)
    assert 3990 <= len(wave.peaks) <= 4000
    assert min(wave.peaks[5:-5]) == pytest.approx(0.25, abs=0.02)


# --- Caching and refusals ---------------------------------------------------------------------


def test_second_calls_read_what_the_first_stored(stored):
    asset = stored["wide"]
    before = dict(aids.GENERATED)
    strip, wave = aids.filmstrip(asset), aids.waveform(asset)
    assert strip is not None
    assert wave is not None
    assert aids.GENERATED["filmstrip"] == before.get("filmstrip", 0) + 1
    assert aids.GENERATED["waveform"] == before.get("waveform", 0) + 1
    stamps = [default_storage.get_modified_time(key) for key in aids.aid_keys(asset.storage_key)]

    assert aids.filmstrip(asset) == strip
    assert aids.waveform(asset) == wave

    assert aids.GENERATED["filmstrip"] == before.get("filmstrip", 0) + 1
    assert aids.GENERATED["waveform"] == before.get("waveform", 0) + 1
    assert [default_storage.get_modified_time(k) for k in aids.aid_keys(asset.storage_key)] == (
        stamps
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": MediaAsset.Status.PROCESSING}, "This file isn't ready yet."),
        ({"status": MediaAsset.Status.FAILED}, "This file failed its checks and can't be used."),
        (None, "This file was deleted from the library."),
    ],
)
def test_unusable_files_are_refused(stored, change, message):
    asset = stored["wide"]
    if change is None:
        MediaAsset.objects.filter(pk=asset.pk).delete()
    else:
        MediaAsset.objects.filter(pk=asset.pk).update(**change)
    for aid in (aids.filmstrip, aids.waveform):
        with pytest.raises(MediaError) as refused:
            aid(asset)
        assert refused.value.message == message
    assert not any(default_storage.exists(k) for k in aids.aid_keys(asset.storage_key))


def test_deleting_a_file_removes_its_aids(editor, stored, django_capture_on_commit_callbacks):
    aids.connect_cleanup()  # the app's ready() connects it; connecting twice changes nothing
    asset = stored["wide"]
    aids.filmstrip(asset)
    aids.waveform(asset)
    keys = aids.aid_keys(asset.storage_key)
    assert all(default_storage.exists(key) for key in keys)
    kept = aids.filmstrip(stored["ramp"])
    assert kept is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_media(actor=editor, asset=asset)
    assert not any(default_storage.exists(key) for key in keys)
    assert default_storage.exists(kept.key)  # another file's aids stay


def test_aids_work_on_s3(editor, s3, work_root, tmp_path):
    video = upload(editor, make_video(tmp_path / "s3.mp4", width=320, height=180, seconds=2))
    strip = aids.filmstrip(video)
    wave = aids.waveform(video)
    assert strip is not None
    assert wave is not None
    assert sprite_of(strip).size == (2 * 128, 72)
    assert len(wave.peaks) == pytest.approx(40, abs=2)
    assert default_storage.exists(strip.key)
    assert strip.key.startswith(video.storage_key)


# --- The views --------------------------------------------------------------------------------


def aids_url(slug: str, asset: MediaAsset) -> str:
    return reverse("editor:asset_aids", args=[slug, asset.pk])


@pytest.mark.parametrize(
    ("_case", "status"),
    [("owner", 200), ("admin", 200), ("editor", 200), ("viewer", 200), ("outsider", 404)],
)
def test_every_member_reads_aids_and_an_outsider_gets_404(cast, stored, _case, status):
    response = client_for(cast[_case]).get(aids_url("acme", stored["wide"]))
    assert response.status_code == status
    if status == 404:
        return
    data = response.json()
    assert data["kind"] == "video"
    assert data["duration"] == pytest.approx(4.0, abs=0.1)
    assert data["filmstrip"]["count"] == 4
    assert data["filmstrip"]["tile_w"] == 128
    assert data["filmstrip"]["url"].startswith(
        reverse("editor:filmstrip", args=["acme", stored["wide"].pk]) + "?v="
    )
    assert data["waveform"]["per_second"] == 20
    assert len(data["waveform"]["peaks"]) == pytest.approx(80, abs=2)


def test_another_workspaces_file_is_a_404_from_every_view(editor, outsider, stored, tmp_path):
    theirs = upload(outsider, make_video(tmp_path / "theirs.mp4", width=320, height=180, seconds=1))
    client = client_for(editor)
    assert client.get(aids_url("acme", theirs)).status_code == 404
    assert client.get(reverse("editor:filmstrip", args=["acme", theirs.pk])).status_code == 404
    assert client.get(aids_url("rival", theirs)).status_code == 404  # not a member there
    assert not default_storage.exists(aids.aid_keys(theirs.storage_key)[0])


def test_aids_of_sound_and_of_a_picture(viewer, stored):
    client = client_for(viewer)
    sound_aids = client.get(aids_url("acme", stored["silence"])).json()
    assert sound_aids["kind"] == "audio"
    assert sound_aids["filmstrip"] is None
    assert sound_aids["waveform"]["peaks"][:3] == [0.0, 0.0, 0.0]
    picture = client.get(aids_url("acme", stored["picture"])).json()
    assert picture["filmstrip"]["count"] == 1
    assert picture["waveform"] is None
    assert picture["duration"] is None
    assert (
        client.get(reverse("editor:filmstrip", args=["acme", stored["silence"].pk])).status_code
        == 404
    )


def test_aids_of_a_file_still_processing_say_so(viewer, stored):
    MediaAsset.objects.filter(pk=stored["wide"].pk).update(status=MediaAsset.Status.PROCESSING)
    response = client_for(viewer).get(aids_url("acme", stored["wide"]))
    assert response.status_code == 400
    assert response.json() == {"error": "This file isn't ready yet."}


def test_the_sprite_is_cached_by_checksum(viewer, stored):
    client = client_for(viewer)
    url = client.get(aids_url("acme", stored["ramp"])).json()["filmstrip"]["url"]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    picture = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert picture.size == (1280, 144)
    etag = response["ETag"]
    assert stored["ramp"].sha256[:16] in etag
    again = client.get(url.split("?")[0], HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"


# --- Preview frames ---------------------------------------------------------------------------


def clip(cid: str, asset: MediaAsset, start: float, end: float, **extra) -> dict:
    return {
        "id": cid,
        "asset": asset.pk,
        "in": start,
        "out": end,
        "speed": 1.0,
        "volume": 1.0,
        "muted": False,
        "framing": {},
        **extra,
    }


def project_with(member, document: dict) -> EditProject:
    project = EditProject.objects.create(
        workspace=member.workspace, name="Spring", ratios=document["ratios"]
    )
    version = EditVersion.objects.create(project=project, number=1, document=document)
    project.current_version = version
    project.save(update_fields=["current_version"])
    return project


def edit(*clips: dict, **extra) -> dict:
    return {
        "version": 1,
        "ratios": ["9:16", "1:1"],
        "clips": list(clips),
        "transitions": [],
        "texts": [],
        "logo": None,
        "captions": [],
        "caption_style": {"position": "bottom", "size": "m"},
        "audio": [],
        "end_card": None,
        **extra,
    }


@pytest.fixture
def project(editor, stored):
    return project_with(
        editor,
        edit(
            clip("c1", stored["wide"], 0, 2),
            clip("c2", stored["tall"], 0, 2),
            transitions=[{"after": "c1", "kind": "fade", "duration": 0.5}],
            captions=[{"start": 1.0, "end": 3.0, "text": "Hello there"}],
        ),
    )


def frame_url(project: EditProject, query: str, slug: str = "acme") -> str:
    return reverse("editor:frame", args=[slug, project.pk]) + query


def test_a_frame_is_the_renderers_frame_at_proxy_size_and_is_cached(
    viewer, project, stored, tmp_path
):
    client = client_for(viewer)
    before = aids.GENERATED["frame"]
    response = client.get(frame_url(project, "?v=1&ratio=9:16&t=1.7"))  # inside the fade
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == f"private, max-age={aids.FRAME_CACHE_SECONDS}"
    served = Image.open(io.BytesIO(response.content))
    assert served.format == "JPEG"
    assert served.size == PROXY_SIZES["9:16"]
    assert aids.GENERATED["frame"] == before + 1
    # The renderer's own frame of the whole timeline, as a lossless PNG.
    paths = {a.pk: Path(default_storage.path(a.storage_key)) for a in stored.values()}
    sources = {pk: SourceMedia(path, inspect_file(path)) for pk, path in paths.items()}
    document = project.current_version.document
    reference = render_frame(
        document, "9:16", sources, 1.7, tmp_path / "ref.png", proxy=True, whole_timeline=True
    )
    served_rgb, reference_rgb = served.convert("RGB"), Image.open(reference).convert("RGB")
    # JPEG against PNG on ffmpeg's test pattern (sharp, saturated edges): compression noise
    # only, and the same colours on average.
    assert max(ImageStat.Stat(ImageChops.difference(served_rgb, reference_rgb)).mean) < 1.5
    for ours, theirs in zip(
        ImageStat.Stat(served_rgb).mean, ImageStat.Stat(reference_rgb).mean, strict=True
    ):
        assert ours == pytest.approx(theirs, abs=0.5)

    again = client.get(frame_url(project, "?v=1&ratio=9:16&t=1.7"))
    assert again.content == response.content
    assert aids.GENERATED["frame"] == before + 1  # from the cache
    client.get(frame_url(project, "?v=1&ratio=9:16&t=1.71"))  # the same frame (1/30 s)
    assert aids.GENERATED["frame"] == before + 1
    assert client.get(frame_url(project, "?v=1&ratio=1:1&t=1.7")).status_code == 200
    assert aids.GENERATED["frame"] == before + 2


@pytest.mark.parametrize(
    "query",
    [
        "?v=1&ratio=9:16&t=nan",
        "?v=1&ratio=9:16&t=-1",
        "?v=1&ratio=9:16&t=1e999",
        "?v=1&ratio=9:16&t=inf",
        "?v=1&ratio=9:16&t=1_0",
        "?v=1&ratio=9:16&t=",
        "?v=1&ratio=9:16&t=181",
        "?v=1&ratio=9:16",
        "?v=1&ratio=../x&t=1",
        "?v=1&ratio=3:2&t=1",
        "?v=1&t=1",
        "?v=abc&ratio=9:16&t=1",
        "?v=-1&ratio=9:16&t=1",
        "?v=99999999999999&ratio=9:16&t=1",
        "?ratio=9:16&t=1",
        "?v=1&ratio=16:9&t=1",  # a ratio the edit doesn't target
    ],
)
def test_garbage_query_strings_get_a_plain_400(viewer, project, query):
    before = aids.GENERATED["frame"]
    response = client_for(viewer).get(frame_url(project, query))
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 0 < len(response.content) < 200
    assert aids.GENERATED["frame"] == before


def test_unknown_version_and_foreign_project_are_404(viewer, outsider, project):
    client = client_for(viewer)
    assert client.get(frame_url(project, "?v=2&ratio=9:16&t=1")).status_code == 404
    theirs = project_with(outsider, edit())
    assert client.get(frame_url(theirs, "?v=1&ratio=9:16&t=1")).status_code == 404
    assert client_for(outsider).get(frame_url(project, "?v=1&ratio=9:16&t=1")).status_code == 404
    assert (
        client_for(outsider)
        .get(frame_url(project, "?v=1&ratio=9:16&t=1", slug="rival"))
        .status_code
        == 404
    )


def test_an_empty_timeline_and_a_file_not_ready_say_why(viewer, editor, stored, project):
    client = client_for(viewer)
    empty = project_with(editor, edit())
    response = client.get(frame_url(empty, "?v=1&ratio=9:16&t=0"))
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    MediaAsset.objects.filter(pk=stored["tall"].pk).update(status=MediaAsset.Status.PROCESSING)
    response = client.get(frame_url(project, "?v=1&ratio=9:16&t=0.5"))
    assert response.status_code == 400
    assert "still processing" in response.content.decode()


def test_a_time_past_the_end_shows_the_last_frame(viewer, project):
    client = client_for(viewer)
    last = client.get(frame_url(project, "?v=1&ratio=1:1&t=3.49"))
    past = client.get(frame_url(project, "?v=1&ratio=1:1&t=120"))
    assert last.status_code == past.status_code == 200
    assert Image.open(io.BytesIO(past.content)).size == PROXY_SIZES["1:1"]


def test_frames_work_with_sources_on_s3(
    editor, s3, work_root, tmp_path, django_capture_on_commit_callbacks
):
    aids.connect_cleanup()
    video = upload(editor, make_video(tmp_path / "s3.mp4", width=320, height=180, seconds=2))
    project = project_with(editor, edit(clip("c1", video, 0, 2)))
    client = client_for(editor)
    response = client.get(frame_url(project, "?v=1&ratio=9:16&t=1"))
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == PROXY_SIZES["9:16"]
    copies = list(aids.cache_folder("sources").iterdir())
    assert len(copies) == 1  # the source, copied once to this host
    client.get(frame_url(project, "?v=1&ratio=9:16&t=0.2"))
    assert list(aids.cache_folder("sources").iterdir()) == copies
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_media(actor=editor, asset=video)
    assert list(aids.cache_folder("sources").iterdir()) == []  # this host's copy went with it


def test_old_frames_and_source_copies_are_pruned(work_root):
    long_ago = time.time() - 2 * aids.SOURCE_CACHE_SECONDS
    folders = aids.cache_folder("frames"), aids.cache_folder("sources")
    for folder in folders:
        for name in ("old", "new", ".being-written"):
            (folder / name).write_bytes(b"x")
        for name in ("old", ".being-written"):
            os.utime(folder / name, (long_ago, long_ago))
    assert aids.prune_caches() == 2
    for folder in folders:
        assert sorted(path.name for path in folder.iterdir()) == [".being-written", "new"]
