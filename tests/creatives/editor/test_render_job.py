"""Render jobs end to end with real ffmpeg: start, run, store; cancel and failure leave no asset."""

import threading
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from creatives.editor import jobs as render_jobs
from creatives.editor import services as editor_services
from creatives.editor.errors import EditorError
from creatives.editor.models import EditProject, EditVersion, Render
from creatives.library import services
from creatives.library.media.ffmpeg import ffmpeg_exe
from creatives.library.models import MediaAsset
from tests.media_samples import make_video

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def work_root(settings, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    settings.JOB_WORK_DIR = str(root)
    return root


def upload(editor, path: Path) -> MediaAsset:
    return services.upload_media(
        actor=editor, uploaded=SimpleUploadedFile(path.name, path.read_bytes(), "video/mp4")
    )


@pytest.fixture
def clips(editor, media_root, work_root, tmp_path):
    wide = make_video(tmp_path / "wide.mp4", width=320, height=180, seconds=4)
    tall = make_video(tmp_path / "tall.mp4", width=180, height=320, seconds=4, audio=False)
    return upload(editor, wide), upload(editor, tall)


def project_with(editor, document: dict, ratios=("9:16", "1:1")) -> EditProject:
    project = EditProject.objects.create(
        workspace=editor.workspace, name="Spring", ratios=list(ratios), created_by=editor.user
    )
    version = EditVersion.objects.create(project=project, number=1, document=document)
    project.current_version = version
    project.save(update_fields=["current_version"])
    return project


def doc(first: MediaAsset, second: MediaAsset, *, seconds: float = 2.0, **extra) -> dict:
    return {
        "version": 1,
        "ratios": ["9:16", "1:1"],
        "clips": [
            {
                "id": "c1",
                "asset": first.pk,
                "in": 0,
                "out": seconds,
                "speed": 1.0,
                "volume": 1.0,
                "muted": False,
                "framing": {"9:16": {"mode": "blur"}},
            },
            {
                "id": "c2",
                "asset": second.pk,
                "in": 0,
                "out": seconds,
                "speed": 1.0,
                "volume": 1.0,
                "muted": True,
                "framing": {},
            },
        ],
        "transitions": [{"after": "c1", "kind": "fade", "duration": 0.5}],
        "texts": [
            {
                "id": "t1",
                "text": "Spring sale",
                "style": "title",
                "x": 0.5,
                "y": 0.15,
                "start": 0,
                "end": 2,
            }
        ],
        "logo": None,
        "captions": [{"start": 0, "end": 1.5, "text": "Hello there"}],
        "caption_style": {"position": "bottom", "size": "m"},
        "audio": [],
        "end_card": {"text": "Shop now", "duration": 1.0},
        **extra,
    }


def rendered_assets():
    return MediaAsset.objects.filter(source=MediaAsset.Source.RENDERED)


def test_render_job_stores_a_conforming_asset(editor, clips, tasks_inline):
    project = project_with(editor, doc(*clips, seconds=2.5))
    render = render_jobs.start_render(editor, project, "9:16")  # runs inline after COMMIT
    render.refresh_from_db()
    assert render.status == Render.Status.SUCCEEDED, render.error
    asset = render.output
    assert asset is not None
    assert asset.source == MediaAsset.Source.RENDERED
    assert (asset.width, asset.height) == (1080, 1920)
    assert asset.duration_seconds == pytest.approx(2.5 + 2.5 - 0.5 + 1.0, abs=0.1)
    assert asset.has_audio
    assert asset.audio_codec == "aac"
    assert asset.sample_rate == 48_000
    assert render.preflight["placement"] == "ig_reel"
    assert all(c["ok"] or c["advisory"] for c in render.preflight["checks"])
    assert render.progress == 100
    assert render.finished_at is not None
    assert default_storage.exists(asset.storage_key)


def test_start_refuses_bad_edits_at_once(editor, viewer, clips):
    first, second = clips
    project = project_with(editor, doc(first, second))
    with pytest.raises(EditorError, match="doesn't target"):
        render_jobs.start_render(editor, project, "16:9")
    with pytest.raises(EditorError, match="role"):
        render_jobs.start_render(viewer, project, "9:16")
    bad = project_with(editor, doc(first, second, seconds=9.0))
    with pytest.raises(EditorError, match="past the end"):
        render_jobs.start_render(editor, bad, "9:16")
    second.delete()
    with pytest.raises(EditorError, match="deleted"):
        render_jobs.start_render(editor, project, "9:16")
    assert not Render.objects.exists()


def test_a_render_that_fails_the_placement_leaves_no_asset(editor, clips, tasks_inline):
    first, second = clips
    short = doc(first, second, seconds=1.0, end_card=None, transitions=[])  # 2 s: reels need 3
    render = render_jobs.start_render(editor, project_with(editor, short), "9:16")
    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert "spec" in render.error
    assert render.output is None
    assert not rendered_assets().exists()


def test_a_broken_source_fails_cleanly(editor, clips, tasks_inline):
    first, second = clips
    with default_storage.open(second.storage_key, "wb") as stored:
        stored.write(b"\x00" * 4096)
    render = render_jobs.start_render(editor, project_with(editor, doc(first, second)), "1:1")
    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.output is None
    assert render.error
    assert "ffmpeg" not in render.error
    assert not rendered_assets().exists()


def ffmpeg_children() -> set[int]:
    import os

    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "exe") == ffmpeg_exe():
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                        found.add(int(entry.name))
            except OSError:
                continue
    return found


def test_cancel_kills_ffmpeg_and_leaves_no_asset(editor, clips, work_root):
    first, second = clips
    long = doc(first, second, seconds=4.0)
    long["clips"] += [dict(long["clips"][0], id=f"c{n}") for n in range(3, 7)]
    project = project_with(editor, long)
    render = render_jobs.start_render(editor, project, "9:16")  # not run: no eager tasks here
    worker = threading.Thread(target=render_jobs.run_render, kwargs={"render_id": render.pk})
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        render.refresh_from_db()
        if render.status == Render.Status.RUNNING and render.progress > 0:
            break
        time.sleep(0.1)
    assert render.status == Render.Status.RUNNING
    assert ffmpeg_children()
    assert render_jobs.cancel_render(editor, render) is True
    worker.join(timeout=30)
    assert not worker.is_alive()
    render.refresh_from_db()
    assert render.status == Render.Status.CANCELLED
    assert render.output is None
    assert not ffmpeg_children()
    assert not rendered_assets().exists()
    assert not list(work_root.rglob("*.mp4"))  # no partial output left
    assert render_jobs.cancel_render(editor, render) is False  # already over


def test_renders_of_another_workspace_are_not_found(editor, outsider, clips):
    project = project_with(editor, doc(*clips))
    with pytest.raises(EditProject.DoesNotExist):
        render_jobs.start_render(outsider, project, "9:16")


def test_a_preview_proxy_is_kept_outside_the_library_and_replaces_the_last(
    editor, viewer, clips, tasks_inline
):
    project = project_with(editor, doc(*clips, seconds=1.5))

    first = render_jobs.start_render(viewer, project, "9:16", proxy=True)  # viewers may watch
    first.refresh_from_db()
    again = render_jobs.start_render(editor, project, "9:16", proxy=True)

    assert first.status == Render.Status.SUCCEEDED, first.error
    assert again.pk == first.pk  # the same version and ratio is rendered once
    assert not rendered_assets().exists()
    assert first.output is None
    assert first.preview_key.startswith(f"editor-previews/{editor.workspace_id}/{project.pk}/")
    with default_storage.open(first.preview_key) as handle:
        head = handle.read(12)
    assert head[4:8] == b"ftyp"

    version = EditVersion.objects.create(
        project=project, number=2, parent=project.current_version, document=doc(*clips, seconds=1.0)
    )
    project.current_version = version
    project.save(update_fields=["current_version"])
    second = render_jobs.start_render(editor, project, "9:16", proxy=True)
    second.refresh_from_db()

    assert second.status == Render.Status.SUCCEEDED, second.error
    assert not Render.objects.filter(pk=first.pk).exists()
    assert not default_storage.exists(first.preview_key)
    assert default_storage.exists(second.preview_key)


def test_deleting_a_project_deletes_its_preview_files(editor, clips, tasks_inline):
    project = project_with(editor, doc(*clips, seconds=1.0))
    proxy = render_jobs.start_render(editor, project, "1:1", proxy=True)
    proxy.refresh_from_db()
    assert default_storage.exists(proxy.preview_key)

    editor_services.delete_project(actor=editor, project=project)

    assert not default_storage.exists(proxy.preview_key)
