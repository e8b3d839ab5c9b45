"""A marketer's whole AI flow in the browser, offline provider, real worker and real ffmpeg:
brief → audience → script variants → edit one → a 9:16 video → find it in the media library."""

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Campaign
from creatives.library.models import MediaAsset
from creatives.studio.models import Creative, ScriptVersion
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EDITED_HOOK = "Cold morning? Autumn Roast has your back."


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_brief_to_video_in_the_library(
    page: Page, live_server, editor, media_root, start_worker, csp_violations
):
    start_worker(OPENAI_API_KEY="")  # the built-in provider: no key, no network
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", editor.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    # The brief.
    page.goto(f"{live_server.url}/w/acme/campaigns/new/")
    page.fill("#id_name", "Autumn roast launch")
    page.fill("#id_product_name", "Autumn Roast")
    page.fill("#id_key_message", "A warm, nutty coffee for cold mornings. Roasted this week.")
    page.fill("#id_offer", "15% off your first bag")
    page.fill("#id_brand_colors", "#7A3E12, #F2C14E")
    page.get_by_test_id("save-campaign").click()
    expect(page.locator("h1")).to_have_text("Autumn roast launch")
    campaign = Campaign.objects.get()

    # An audience, then two script variants for it.
    form = page.get_by_test_id("cohort-form")
    form.locator("[name=name]").fill("Night-shift nurses")
    form.locator("[name=countries]").fill("US, CA")
    form.locator("[name=interests]").fill("Nursing, Coffee")
    page.get_by_test_id("add-cohort").click()
    cohort = campaign.cohorts.get()
    write = page.get_by_test_id(f"write-variants-{cohort.pk}")
    write.locator("select[name=variants]").select_option("2")
    write.locator("button").click()
    expect(page.get_by_test_id("studio")).to_have_attribute("data-busy", "0", timeout=30000)
    cards = page.get_by_test_id(f"cohort-scripts-{cohort.pk}").locator("[data-testid^=variant-]")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Autumn Roast")

    # Edit variant 1: the edit becomes version 2, the AI's version 1 stays.
    cards.first.locator("a[data-testid^=open-variant]").click()
    page.get_by_test_id("edit-script").locator("summary").click()
    page.fill("textarea[name=hook]", EDITED_HOOK)
    page.get_by_test_id("save-script").click()
    expect(page.get_by_test_id("current-version")).to_contain_text("v2 · Edited")
    expect(page.get_by_test_id("script-hook")).to_have_text(EDITED_HOOK)
    expect(page.get_by_test_id("version-1")).to_contain_text("AI")
    script_versions = ScriptVersion.objects.filter(script__cohort=cohort, script__number=1)
    assert sorted(script_versions.values_list("number", "origin")) == [(1, "ai"), (2, "human")]

    # A 9:16 video: the storyboard and pictures are made on the way (from the edited text).
    video_form = page.get_by_test_id("video-form")
    expect(video_form.locator("input[value='9:16']")).to_be_checked()
    page.get_by_test_id("make-videos").click()
    expect(page.get_by_test_id("script-live")).to_have_attribute("data-busy", "0", timeout=180000)
    expect(page.get_by_test_id("jobs").locator("[data-kind=video]").first).to_have_attribute(
        "data-status", "succeeded"
    )
    expect(page.get_by_test_id("scene-1")).to_contain_text(EDITED_HOOK)
    tile = page.locator("[data-testid^=creative-][data-aspect='9:16']")
    expect(tile).to_have_count(1)
    creative = Creative.objects.get()
    video = creative.asset
    assert (video.width, video.height, video.source) == (1080, 1920, "generated")
    assert (video.video_codec, video.audio_codec) == ("h264", "aac")
    assert video.duration_seconds > 10

    # Approve it, then find it in the media library.
    tile.get_by_test_id(f"approve-{creative.pk}").click()
    expect(page.get_by_test_id("approved")).to_be_visible()
    page.goto(f"{live_server.url}/w/acme/media/?source=generated&kind=video")
    library_card = page.get_by_test_id(f"media-{video.pk}")
    expect(library_card).to_contain_text(video.original_filename)
    library_card.click()
    expect(page.get_by_test_id("player")).to_be_visible()
    assert MediaAsset.objects.filter(source="generated", kind="image").count() >= 4
    assert csp_violations == []
