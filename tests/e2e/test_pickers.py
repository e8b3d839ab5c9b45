"""Pickers in a browser (#13): the brand-colour pickers and the hex text stay in sync
(static/js/colour.js), and a media select shows the chosen file's thumbnail and placements
(static/js/media-picker.js), with the CSP quiet."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from campaigns.models import Campaign
from tests.creatives.test_pickers import _photo
from tests.e2e.tour import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# What choosing in the browser's colour dialog does: the value changes, then the event fires.
PICK = "(el, [value, kind]) => { el.value = value; el.dispatchEvent(new Event(kind, {bubbles: true})); }"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_colour_pickers_and_media_thumbnails(
    page: Page, live_server, editor, media_root, csp_violations
):
    campaign = Campaign.objects.create(
        workspace=editor.workspace,
        name="Launch",
        product_name="Blend",
        key_message="Floral.",
        objective="OUTCOME_TRAFFIC",
        tone="playful",
        call_to_action="SHOP_NOW",
        languages=["en"],
        brand_colors=["#1F6FEB"],
    )
    first = _photo(editor, name="one.jpg")
    second = _photo(editor, name="two.jpg")
    sign_in(page, live_server.url, editor)
    page.goto(live_server.url + reverse("campaigns:edit", args=["acme", campaign.pk]))
    text = page.locator("#id_brand_colors")

    page.get_by_label("Brand colour 1").evaluate(PICK, ["#ff0000", "input"])
    expect(text).to_have_value("#FF0000")
    page.get_by_label("Add a brand colour").evaluate(PICK, ["#00ff00", "change"])
    expect(text).to_have_value("#FF0000, #00FF00")
    expect(page.get_by_label("Brand colour 2")).to_have_value("#00ff00")
    text.fill("#123456, #ABCDEF, #000000")
    expect(page.locator("[data-colour-index]")).to_have_count(3)
    expect(page.get_by_label("Brand colour 3")).to_have_value("#000000")

    page.locator("#id_logo").select_option(str(second.pk))
    preview = page.get_by_test_id("picker-logo")
    expect(preview.locator("img")).to_have_attribute("alt", "Preview of two.jpg")
    expect(preview.locator("img")).to_be_visible()
    expect(preview).to_contain_text("Fits: Instagram feed image")
    page.get_by_test_id("save-campaign").click()
    expect(page.get_by_text("Brief saved.")).to_be_visible()
    campaign.refresh_from_db()
    assert campaign.brand_colors == ["#123456", "#ABCDEF", "#000000"]
    assert campaign.logo_id == second.pk

    page.goto(live_server.url + reverse("publishing:new", args=["acme"]))
    page.locator("#id_item_1").select_option(str(first.pk))
    expect(page.get_by_test_id("picker-item_1").locator("img")).to_have_attribute(
        "alt", "Preview of one.jpg"
    )
    assert csp_violations == []
