"""Previews of how a post will look (issue #13): Facebook feed, Instagram feed, carousel, reel,
story, with the carousel crop warning.

The crop and caption-fold rules are pure functions (``publishing.previews``); the frames are
server-rendered in the editor (and again by ``publishing:preview`` as the form changes) and on
the detail page, with the real thumbnails and account names.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creatives.library import services as media_services
from meta_integration.models import InstagramAccount, MetaPage
from meta_sandbox import seed
from publishing.models import Publication
from publishing.previews import (
    PreviewMedia,
    build_preview,
    carousel_crops,
    fold_caption,
    ratio_label,
)
from tests.conftest import client_for
from tests.media_samples import make_image
from tests.publishing.conftest import make_publication

LONG = " ".join(["Fresh roasted beans for the spring season"] * 8)  # ~340 characters


def media(name, width, height, kind="image"):
    return PreviewMedia(name=name, kind=kind, thumb=f"/m/{name}", width=width, height=height)


# --- pure rules ----------------------------------------------------------------------------------


def test_carousel_crop_names_the_cards_not_in_the_first_cards_shape():
    cards = [
        media("portrait.jpg", 1080, 1350),
        media("square.jpg", 1080, 1080),
        media("portrait-2.jpg", 1080, 1349),  # within 1 %: the same shape
        media("wide.jpg", 1920, 1080),
    ]

    crops = carousel_crops(cards)

    assert crops is not None
    assert crops.first_shape == "4:5"
    assert [(c.position, c.name, c.shape) for c in crops.cards] == [
        (2, "square.jpg", "1:1"),
        (4, "wide.jpg", "16:9"),
    ]
    assert "card 2 (square.jpg, 1:1)" in crops.message
    assert "card 4 (wide.jpg, 16:9)" in crops.message
    assert "first card's shape (4:5)" in crops.message


def test_carousel_of_one_shape_or_unknown_sizes_warns_nothing():
    assert carousel_crops([media("a.jpg", 1080, 1080), media("b.jpg", 2000, 2000)]) is None
    assert carousel_crops([media("a.jpg", 1080, 1080), media("b.mp4", 0, 0, "video")]) is None
    assert carousel_crops([media("a.jpg", 0, 0), media("b.jpg", 1080, 1350)]) is None
    assert carousel_crops([media("a.jpg", 1080, 1080)]) is None


def test_ratio_labels():
    assert ratio_label(1080, 1920) == "9:16"
    assert ratio_label(1200, 628) == "1.91:1"
    assert ratio_label(1000, 700) == "1000\u00d7700"


def test_captions_fold_where_each_app_folds_them():
    shown, folded = fold_caption(LONG, "ig_feed")
    assert folded
    assert len(shown) <= 125
    assert LONG.startswith(shown)
    assert not shown.endswith(" ")
    assert LONG[len(shown)] == " "

    assert fold_caption("Short one", "ig_feed") == ("Short one", False)
    assert fold_caption(LONG, "fb_feed") == (LONG, False)  # Facebook shows ~480 characters
    assert fold_caption("1\n2\n3\n4\n5\n6", "fb_feed") == ("1\n2\n3\n4\n5", True)
    assert fold_caption("Any text", "story") == ("", True)


def test_facebook_frame_has_the_link_card_and_button():
    preview = build_preview(
        target="fb_post",
        caption="Spring beans",
        link_url="https://www.shop.example.com/spring",
        cta_type="SHOP_NOW",
        media=[media("square.jpg", 1080, 1080)],
        page_name="Rivera Coffee Roasters",
        instagram_name="",
    )

    assert (preview.frame, preview.initial, preview.account_name) == (
        "fb_feed",
        "R",
        "Rivera Coffee Roasters",
    )
    assert preview.link_domain == "SHOP.EXAMPLE.COM"
    assert preview.cta_label == "Shop now"


def test_instagram_frames_crop_and_leave_out_what_they_do_not_show():
    tall = [media("tall.jpg", 1080, 1920)]
    feed = build_preview(
        target="ig_feed",
        caption=LONG,
        link_url="",
        cta_type="",
        media=tall,
        page_name="",
        instagram_name="@riveracoffee",
    )
    story = build_preview(
        target="ig_story",
        caption="Not shown",
        link_url="",
        cta_type="",
        media=tall,
        page_name="",
        instagram_name="@riveracoffee",
    )

    assert feed.account_name == "riveracoffee"
    assert feed.initial == "R"
    assert feed.shape == "4x5"
    assert feed.folded
    assert "cropped to 4:5" in feed.notes[0]
    assert story.shape == "9x16"
    assert story.caption == ""
    assert story.notes == ["Stories show no caption: the text isn't published."]


# --- the pages -----------------------------------------------------------------------------------


@pytest.fixture
def shapes(connected, upload, tmp_path):
    portrait = make_image(tmp_path / "portrait.jpg", width=1080, height=1350)
    made = media_services.upload_media(
        actor=connected,
        uploaded=SimpleUploadedFile(
            "portrait.jpg", portrait.read_bytes(), content_type="image/jpeg"
        ),
    )
    return {
        "portrait": made,
        "square": upload(connected, "square.jpg"),
        "reel": upload(connected, "reel.mp4"),
    }


def _url(name, *args):
    return reverse(f"publishing:{name}", args=["acme", *args])


def _form(target, shapes, **overrides):
    page = MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)
    ig = InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID)
    item = shapes["reel"] if target in ("ig_reel", "fb_reel") else shapes["square"]
    data = {
        "title": "Preview",
        "target": target,
        "caption": LONG,
        "page": page.pk,
        "instagram_account": ig.pk,
        "item_1": item.pk,
    }
    if target == "ig_carousel":
        data["item_2"] = shapes["portrait"].pk
    if target == "fb_post":
        data.update(link_url="https://shop.example.com/spring", cta_type="")
    return {**data, **overrides}


def _frame(html, target):
    match = re.search(
        rf'<figure class="pv [^"]*" data-testid="preview-{target}".*?</figure>', html, re.S
    )
    assert match, f"no preview of {target}"
    return match.group(0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("target", "frame", "account"),
    [
        ("fb_post", "fb_feed", "Rivera Coffee Roasters"),
        ("fb_reel", "reel", "Rivera Coffee Roasters"),
        ("ig_feed", "ig_feed", "riveracoffee"),
        ("ig_carousel", "ig_feed", "riveracoffee"),
        ("ig_reel", "reel", "riveracoffee"),
        ("ig_story", "story", "riveracoffee"),
    ],
)
def test_preview_partial_renders_each_target(connected, shapes, target, frame, account):
    response = client_for(connected).post(_url("preview"), _form(target, shapes))

    assert response.status_code == 200
    html = _frame(response.content.decode(), target)
    assert f'data-frame="{frame}"' in html
    assert f'data-testid="preview-account">{account}<' in html
    assert f'<span class="pv-avatar" aria-hidden="true">{account[0].upper()}</span>' in html
    assert re.search(r'<img src="[^"]+"', html), "the real thumbnail or poster"
    if frame == "story":
        assert "preview-caption" not in html
    else:
        assert "… more" in html or "… See more" in html or frame == "fb_feed"
    if target == "fb_post":
        assert "SHOP.EXAMPLE.COM" in html
    assert Publication.objects.count() == 0  # a preview saves nothing


@pytest.mark.django_db
def test_facebook_preview_shows_the_button_and_several_photos(connected, shapes):
    data = _form("fb_post", shapes, cta_type="SHOP_NOW", item_2=shapes["portrait"].pk)
    data["cta_type"] = ""  # photos carry no button (publishing.targets)

    html = _frame(client_for(connected).post(_url("preview"), data).content.decode(), "fb_post")
    link_only = _frame(
        client_for(connected)
        .post(_url("preview"), _form("fb_post", shapes, item_1="", cta_type="SHOP_NOW"))
        .content.decode(),
        "fb_post",
    )

    assert 'data-testid="preview-photos"' in html
    assert html.count("<img ") == 2
    assert 'data-testid="preview-cta">Shop now<' in link_only


@pytest.mark.django_db
def test_carousel_preview_warns_which_cards_instagram_will_crop(connected, shapes):
    data = _form("ig_carousel", shapes, item_1=shapes["portrait"].pk, item_2=shapes["square"].pk)

    response = client_for(connected).post(_url("preview"), data)

    html = _frame(response.content.decode(), "ig_carousel")
    assert 'data-testid="carousel-crop-warning"' in html
    assert "first card&#x27;s shape (4:5)" in html
    assert "card 2 (square.jpg, 1:1)" in html


@pytest.mark.django_db
def test_also_post_to_previews_both(connected, shapes):
    data = _form("fb_post", shapes, also_target="ig_feed")

    html = client_for(connected).post(_url("preview"), data).content.decode()

    _frame(html, "fb_post")
    _frame(html, "ig_feed")


@pytest.mark.django_db
def test_the_editor_and_the_detail_page_show_the_preview(connected, shapes):
    client = client_for(connected)
    editor = client.get(_url("new") + "?target=ig_feed").content.decode()
    publication = make_publication(
        connected, "ig_carousel", [shapes["portrait"], shapes["square"]], caption=LONG
    )

    detail = client.get(_url("detail", publication.pk)).content.decode()

    assert 'id="preview-panel"' in editor
    assert _url("preview") in editor
    assert 'data-testid="preview-ig_feed"' in editor
    html = _frame(detail, "ig_carousel")
    assert "card 2 (square.jpg, 1:1)" in html
    assert "riveracoffee" in html


@pytest.mark.django_db
def test_viewer_cannot_ask_for_previews(connected, viewer, shapes):
    response = client_for(viewer).post(_url("preview"), _form("ig_feed", shapes))

    assert response.status_code == 403
