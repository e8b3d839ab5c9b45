"""Publish a reel from a 16:9 upload: the check fails, one click converts, publish, watch it live.

A Facebook reel, because it is the reel placement that refuses 16:9 (9:16 only); Instagram
reels accept 0.01:1 to 10:1 and only recommend 9:16 (creatives/media/specs.py), so their
preflight passes as is. Meta is the sandbox; a real Celery worker runs the check, transcode
and publish jobs, and the sandbox downloads our media from the live server.
"""

import time

import pytest
from playwright.sync_api import Page, expect

from creatives.library.models import MediaAsset
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing.models import Publication
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.media_samples import make_video
from tests.meta_integration.helpers import connect

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _connect(owner, sandbox):
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    sandbox.state.update_settings(
        ig_image_processing_seconds=0, ig_video_processing_seconds=0, video_processing_seconds=0
    )
    return MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)


def test_publish_reel_after_one_click_fix(
    page: Page, live_server, settings, owner, sandbox, media_root, tmp_path, start_worker,
    csp_violations,
):  # fmt: skip
    settings.PUBLIC_BASE_URL = live_server.url  # the sandbox downloads our signed media URLs
    coffee = _connect(owner, sandbox)
    worker = start_worker()
    clip = make_video(tmp_path / "launch-teaser.mp4", width=640, height=360, seconds=4)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    # Upload the 16:9 clip in the media library.
    page.goto(f"{live_server.url}/w/acme/media/")
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    page.get_by_test_id("upload-button").click()
    expect(page.locator("#media-grid [data-testid^=media-]").first).to_contain_text(
        "launch-teaser.mp4", timeout=20000
    )
    original = MediaAsset.objects.get(original_filename="launch-teaser.mp4")

    # Draft a Facebook reel with it.
    page.get_by_role("link", name="Publish").click()
    page.get_by_test_id("new-publication").click()
    page.fill("input[name=title]", "Launch teaser reel")
    page.select_option("select[name=target]", "fb_reel")
    expect(page.locator("select[name=instagram_account]")).to_be_hidden()  # not for this target
    page.select_option("select[name=page]", str(coffee.pk))
    page.select_option("select[name=item_1]", str(original.pk))
    page.fill("textarea[name=caption]", "Our spring blend is here")
    page.get_by_test_id("save-publication").click()

    # The aspect ratio check fails and offers the one-click conversion.
    spec = page.locator("[data-testid^='check-media_spec']")
    expect(spec).to_have_attribute("data-status", "fail")
    expect(spec).to_contain_text("doesn't fit Facebook reel")
    expect(spec).to_contain_text("9:16")
    expect(page.get_by_test_id("publish-now")).to_be_disabled()
    with page.expect_navigation():
        spec.get_by_test_id("convert").click()

    # The page follows the conversion and then offers the converted file.
    use_copy = page.get_by_test_id("use-copy")
    expect(use_copy).to_be_visible(timeout=90000)
    copy = MediaAsset.objects.get(parent=original)
    assert (copy.status, copy.width, copy.height) == ("ready", 640, 1138)
    with page.expect_navigation():
        use_copy.click()

    # The checks run again (on the worker) and pass; Publish now opens.
    expect(page.locator("[data-testid^='check-media_spec']")).to_have_attribute(
        "data-status", "ok", timeout=60000
    )
    expect(page.get_by_test_id("publish-now")).to_be_enabled(timeout=60000)
    expect(page.locator("[data-status=fail]")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_test_id("publish-now").click()

    # Watch it live: the status partial polls and the page reloads itself when it's done.
    live = page.get_by_test_id("live")
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = live.get_attribute("data-status", timeout=5000)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("published", "failed"):
            break
        page.wait_for_timeout(150)
    publication = Publication.objects.get()
    assert seen[-1] == "published", (seen, publication.error_detail, worker.log.read_text()[-3000:])
    # The page showed it running, then (without a reload by us) published.
    assert seen[0] in ("queued", "uploading", "processing", "publishing"), seen
    assert len(seen) >= 2, seen
    permalink = page.get_by_test_id("permalink")
    expect(permalink).to_be_visible()
    assert permalink.get_attribute("href") == publication.permalink
    assert publication.permalink.startswith("https://")
    assert [item.asset_id for item in publication.items.all()] == [copy.pk]
    expect(page.get_by_test_id("timeline")).to_contain_text("Published")
    assert csp_violations == []
