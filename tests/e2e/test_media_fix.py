"""Upload a 16:9 video, see it doesn't fit a reel, fix it in one click, watch it convert."""

import re

import pytest
from playwright.sync_api import Page, expect

from creatives.library.models import MediaAsset
from tests.factories import PASSWORD
from tests.media_samples import make_video

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_upload_fix_for_reel(
    page: Page, live_server, editor, media_root, tmp_path, celery_worker_process, csp_violations
):
    clip = make_video(tmp_path / "launch-teaser.mp4", width=640, height=360, seconds=4)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", editor.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    page.goto(f"{live_server.url}/w/acme/media/")
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    page.get_by_test_id("upload-button").click()
    card = page.locator("#media-grid [data-testid^=media-]").first
    expect(card).to_contain_text("launch-teaser.mp4", timeout=20000)
    card.click()

    reel = page.get_by_test_id("placement-ig_reel")
    reel.locator("button.accordion-button").click()
    # Bootstrap adds .show once the opening animation ends; clicking inside before then can miss.
    expect(page.locator("#p-ig_reel.show")).to_be_visible()
    expect(reel).to_contain_text("9:16")
    original_url = page.url
    with page.expect_navigation():  # the POST redirects to the new copy's page
        reel.get_by_test_id("fix-ig_reel").click()
    assert page.url != original_url

    expect(page.get_by_test_id("asset-status")).to_have_attribute(
        "data-status", "ready", timeout=60000
    )
    expect(page.get_by_test_id("player")).to_be_visible()
    rendition = MediaAsset.objects.get(source="transcoded")
    assert (rendition.width, rendition.height) == (640, 1138)  # 9:16 at the source's width
    expect(
        page.get_by_test_id("placement-ig_reel").locator("i.bi-check-circle-fill")
    ).to_be_visible()
    assert re.search(r"/w/acme/media/\d+/$", page.url)
    assert csp_violations == []
