"""The editor, as a marketer uses it: upload two clips and a song, cut, caption, render, publish.

Upload in the media library → a new edit from both clips → trim the first clip by dragging its
edge, split the second at the playhead, move the last part first → a caption and music → the
preview frame shows → render 9:16 and 1:1 on a real Celery worker → *Publish…* opens a draft
with the rendered file. Every step is the browser's; the database is only read to wait.
"""

import subprocess
import time

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from playwright.sync_api import Page, expect

from creatives.editor.models import EditProject, Render
from creatives.library.models import MediaAsset
from tests.factories import PASSWORD
from tests.media_samples import make_video

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_song(path):
    subprocess.run(  # noqa: S603
        [get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "sine=frequency=220:duration=12", "-c:a", "aac", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def wait_for(check, *, timeout=60.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def clip_ids(page):
    return page.locator("[data-testid=clip]").evaluate_all(
        "(nodes) => nodes.map((n) => n.dataset.clipId)"
    )


def saved_version(page):
    text = page.get_by_test_id("save-status").inner_text()
    return int(text.split("version ")[1].split()[0]) if "version " in text else 0


def test_cut_caption_render_and_publish(
    page: Page, live_server, owner, media_root, tmp_path, start_worker, csp_violations
):
    start_worker()
    files = [
        make_video(tmp_path / "product-close-up.mp4", width=640, height=360, seconds=4),
        make_video(tmp_path / "customer-says.mp4", width=640, height=360, seconds=5),
        make_song(tmp_path / "upbeat.m4a"),
    ]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    page.goto(f"{live_server.url}/w/acme/media/")
    for path in files:
        page.get_by_test_id("upload-input").set_input_files(str(path))
        page.get_by_test_id("upload-button").click()
        expect(page.locator("#media-grid")).to_contain_text(path.name, timeout=20000)
    wait_for(
        lambda: MediaAsset.objects.filter(status=MediaAsset.Status.READY).count() == 3,
        what="the uploads to be ready",
    )

    # A new edit from both clips, for Reels (9:16) and the feed (1:1).
    page.get_by_test_id("nav-editor").click()
    page.get_by_test_id("new-project").click()
    page.fill("input[name=name]", "Spring teaser")
    page.get_by_label("product-close-up.mp4").check()
    page.get_by_label("customer-says.mp4").check()
    page.get_by_test_id("create-project").click()
    expect(page.get_by_test_id("project-name")).to_have_text("Spring teaser")
    expect(page.locator("[data-testid=clip]")).to_have_count(2)
    expect(page.get_by_test_id("preview-image")).to_have_js_property("complete", True)
    wait_for(
        lambda: page.get_by_test_id("preview-image").evaluate("(img) => img.naturalWidth") > 0,
        what="the preview frame",
    )

    # Trim: drag the right edge of the first clip to the left.
    project = EditProject.objects.get(name="Spring teaser")
    untrimmed = project.current_version.document["clips"][0]["out"]
    first = page.locator("[data-testid=clip]").first
    first.hover()
    handle = first.get_by_test_id("trim-end")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 30, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.get_by_test_id("save-status")).to_contain_text("Trimmed a clip")
    project.refresh_from_db()
    assert project.current_version.document["clips"][0]["out"] < untrimmed

    # Split the second clip in its middle: click it (the playhead goes there), press S.
    second = page.locator("[data-testid=clip]").nth(1)
    second.click()
    page.keyboard.press("s")
    expect(page.locator("[data-testid=clip]")).to_have_count(3)
    expect(page.get_by_test_id("save-status")).to_contain_text("Split a clip")

    # Move the last part to the front.
    before = clip_ids(page)
    page.locator("[data-testid=clip]").nth(2).click()
    for _ in range(2):
        version = saved_version(page)
        page.get_by_test_id("move-left").click()
        wait_for(lambda v=version: saved_version(page) > v, what="the move to save")
    assert clip_ids(page) == [before[2], before[0], before[1]]

    # A caption, typed in; autosaved.
    page.get_by_test_id("tab-captions").click()
    page.get_by_test_id("add-cue").click()
    cue = page.get_by_label("Caption 1 text")
    cue.fill("Fresh from the roastery")
    wait_for(
        lambda: (
            "Fresh from the roastery"
            in str(EditProject.objects.get(pk=project.pk).current_version.document["captions"])
        ),
        what="the caption to save",
    )

    # Music under it all.
    page.get_by_test_id("tab-audio").click()
    page.get_by_test_id("add-audio-asset").select_option(label="upbeat.m4a (12.0 s)")
    page.get_by_test_id("add-audio").click()
    expect(page.get_by_test_id("audio-span")).to_have_count(1)
    expect(page.get_by_test_id("save-status")).to_contain_text("Added a sound track")

    # Render for both ratios; each passes its placement's checks.
    page.get_by_test_id("tab-render").click()
    page.get_by_test_id("render-start").click()
    renders = page.locator("[data-testid=render]")
    expect(renders).to_have_count(2)
    expect(page.locator("[data-testid=render][data-status=succeeded]")).to_have_count(
        2, timeout=180000
    )
    expect(page.get_by_test_id("render-checks")).to_have_count(2)
    done = Render.objects.filter(project=project, proxy=False, status=Render.Status.SUCCEEDED)
    assert sorted(r.ratio for r in done) == ["1:1", "9:16"]
    reel = done.get(ratio="9:16")
    assert (reel.output.width, reel.output.height) == (1080, 1920)

    # Publish… the Reels render: a draft form with the rendered file chosen.
    page.locator("[data-testid=render][data-ratio='9:16']").get_by_test_id("render-publish").click()
    expect(page.locator("input[name=title]")).to_have_value(
        f"Spring teaser · 9:16 (version {reel.version.number})"
    )
    expect(page.locator("select[name=item_1]")).to_have_value(str(reel.output_id))
    assert csp_violations == []
