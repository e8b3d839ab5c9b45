"""Pickers (#13): brand colours with a colour picker; media named by the placements it fits,
with a thumbnail wherever a file is chosen."""

import re

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from creatives.library.models import MediaAsset
from creatives.library.templatetags.media_tags import fit_names
from tests.conftest import client_for

BRIEF = {
    "name": "Spring blend launch",
    "product_name": "Spring Blend",
    "objective": "OUTCOME_TRAFFIC",
    "key_message": "A bright, floral coffee for spring mornings.",
    "tone": "playful",
    "call_to_action": "SHOP_NOW",
    "languages": ["en"],
}
PORTRAIT_FITS = (
    "Instagram feed image",
    "Instagram carousel image",
    "Instagram story image",
    "Facebook Page photo",
)


def _photo(membership, name="spring.jpg", **facts):
    return MediaAsset.objects.create(
        workspace=membership.workspace,
        kind=MediaAsset.Kind.IMAGE,
        status=MediaAsset.Status.READY,
        original_filename=name,
        storage_key=f"media/{name}",
        poster_key=f"posters/{name}",
        content_type="image/jpeg",
        container="jpeg",
        size_bytes=200_000,
        **({"width": 1080, "height": 1350} | facts),
    )


# --- brand colours ------------------------------------------------------------------------------


def test_brand_colours_have_a_colour_picker_per_colour_and_one_to_add(editor):
    Campaign.objects.create(
        workspace=editor.workspace,
        name="Launch",
        product_name="Blend",
        key_message="Floral.",
        brand_colors=["#1F6FEB", "#FFB000"],
    )
    campaign = Campaign.objects.get()

    html = client_for(editor).get(f"/w/acme/campaigns/{campaign.pk}/edit/").content.decode()

    assert 'value="#1F6FEB, #FFB000"' in html  # the hex text field stays the source of truth
    pickers = re.findall(r'<input type="color"[^>]*>', html)
    assert len(pickers) == 3
    assert 'value="#1f6feb" aria-label="Brand colour 1"' in pickers[0]
    assert 'value="#ffb000" aria-label="Brand colour 2"' in pickers[1]
    assert 'aria-label="Add a brand colour"' in pickers[2]
    assert 'src="/static/js/colour.js"' in html
    assert "style=" not in html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("#12345", "Not a colour: #12345. Use #RRGGBB."),
        ("#GGGGGG", "Not a colour: #GGGGGG"),
        ("red", "Not a colour: red"),
        ("#1F6FEB; background:url(x)", "Not a colour"),
        ('#1F6FEB"><script>alert(1)</script>', "Not a colour"),
        ("#1F6FEBFF", "Not a colour: #1F6FEBFF"),
        (", ".join(["#000000"] * 7), "At most 6 brand colours"),
    ],
)
def test_brand_colours_are_validated_as_rrggbb_on_the_server(editor, value, message):
    response = client_for(editor).post("/w/acme/campaigns/new/", {**BRIEF, "brand_colors": value})

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["brand_colors"])
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Campaign.objects.count() == 0


def test_colours_from_the_picker_are_saved_upper_case(editor):
    response = client_for(editor).post(
        "/w/acme/campaigns/new/", {**BRIEF, "brand_colors": "#1f6feb,#ffb000"}
    )

    assert response.status_code == 302
    assert Campaign.objects.get().brand_colors == ["#1F6FEB", "#FFB000"]


# --- placements by name -------------------------------------------------------------------------


def test_fit_names_come_from_the_placement_table(editor):
    portrait = _photo(editor)
    tiny = _photo(editor, name="tiny.jpg", width=100, height=100)

    assert fit_names(portrait)[: len(PORTRAIT_FITS)] == list(PORTRAIT_FITS)
    assert fit_names(tiny) == [name for name in fit_names(tiny) if name]  # never a blank label
    assert "ig_reel" not in fit_names(portrait)


def test_library_names_the_placements_a_file_fits(editor, media_root):
    _photo(editor)

    html = client_for(editor).get(reverse("creatives:library", args=["acme"])).content.decode()

    assert "Fits: " in html
    for name in PORTRAIT_FITS:
        assert name in html
    assert not re.search(r"fits \d+ placement", html)


def test_detail_names_the_placements_a_file_fits(editor, media_root):
    asset = _photo(editor)

    html = client_for(editor).get(reverse("creatives:detail", args=["acme", asset.pk]))
    body = html.content.decode()

    summary = re.search(r'data-testid="fits-summary"[^>]*>(.*?)</p>', body, re.S)
    assert summary is not None
    assert "Fits:" in summary.group(1)
    for name in PORTRAIT_FITS:
        assert name in summary.group(1)
    assert "Instagram reel" not in summary.group(1)


# --- thumbnails in pickers ----------------------------------------------------------------------


def test_publish_form_picker_shows_the_chosen_files_thumbnail_with_alt_text(editor, media_root):
    asset = _photo(editor)

    response = client_for(editor).get(
        reverse("publishing:new", args=["acme"]), {"target": "ig_feed"}
    )
    html = response.content.decode()

    assert response.status_code == 200
    preview = re.search(r'data-testid="picker-item_1".*?</div>', html, re.S)
    assert preview is not None
    img = re.search(r"<img [^>]*>", preview.group(0)).group(0)
    assert " hidden" in img  # nothing chosen yet: the script fills it in on a choice
    assert 'alt=""' not in img
    # Every picker has a preview place, and the choices carry thumbnails and names for the script.
    assert 'data-testid="picker-cover_asset"' in html
    data = re.search(r'<script id="media-picker-data" type="application/json">(.*?)</script>', html)
    assert data is not None
    assert f'"{asset.pk}"' in data.group(1)
    assert "Preview of spring.jpg" in data.group(1)
    assert "Instagram feed image" in data.group(1)
    assert 'src="/static/js/media-picker.js"' in html


def test_publish_form_picker_renders_the_selected_files_thumbnail(editor, media_root):
    asset = _photo(editor)
    other = _photo(editor, name="autumn.jpg")

    response = client_for(editor).post(
        reverse("publishing:new", args=["acme"]),
        {"title": "", "target": "ig_feed", "item_1": other.pk},
    )
    html = response.content.decode()

    assert response.status_code == 422
    preview = re.search(r'data-testid="picker-item_1".*?</div>', html, re.S).group(0)
    img = re.search(r"<img [^>]*>", preview).group(0)
    assert 'alt="Preview of autumn.jpg"' in img
    assert "/posters/autumn.jpg" in img or "autumn.jpg" in img
    assert "hidden" not in img
    assert "Fits: Instagram feed image" in preview
    assert str(asset.pk)  # the other file stays a choice, unchosen


def test_campaign_form_logo_and_product_image_pickers_have_thumbnails(editor, media_root):
    _photo(editor, name="logo.png")

    html = client_for(editor).get("/w/acme/campaigns/new/").content.decode()

    assert 'data-testid="picker-logo"' in html
    assert 'data-testid="picker-product_image"' in html
    assert "Preview of logo.png" in html  # in the choices' data
    assert "style=" not in html


def test_picker_data_never_lists_another_workspaces_files(editor, outsider, media_root):
    _photo(outsider, name="rival-secret.jpg")

    html = client_for(editor).get(reverse("publishing:new", args=["acme"])).content.decode()

    assert "rival-secret.jpg" not in html
