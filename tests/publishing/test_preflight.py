"""Preflight checks: each returns ok / warn / fail with a message and a fix; stale results block.

Network checks (the ad account, Meta fetching our media, the product URL, the Instagram quota)
talk to the sandbox and the live test server for real.
"""

from datetime import timedelta

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creatives.library import services as media_services
from meta_integration.models import MetaConnection
from meta_sandbox import seed
from publishing.models import Publication
from publishing.preflight import preflight_blockers, run_preflight
from tests.media_samples import make_image
from tests.publishing.conftest import make_publication

pytestmark = pytest.mark.django_db


def _result(publication, key, *, network=True):
    results = run_preflight(publication, network=network)
    matching = [r for r in results if r.key == key or r.key.startswith(f"{key}:")]
    assert matching, [r.key for r in results]
    return matching[0]


def _change(publication, **fields):
    Publication.objects.filter(pk=publication.pk).update(**fields)
    publication.refresh_from_db()
    return publication


@pytest.fixture
def ig_post(connected, upload):
    return make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])


def test_a_clean_publication_passes_every_check(ig_post):
    assert {r["status"] for r in ig_post.preflight} == {"ok"}
    assert ig_post.status == Publication.Status.READY
    assert preflight_blockers(ig_post) == []


@pytest.mark.parametrize(
    ("caption", "problem"),
    [
        ("x" * 2201, "2,201 characters (at most 2,200)"),
        (" ".join(f"#tag{i}" for i in range(31)), "31 hashtags (at most 30)"),
        (" ".join(f"@user{i}" for i in range(21)), "21 @-mentions (at most 20)"),
    ],
)
def test_instagram_caption_limits(ig_post, caption, problem):
    result = _result(_change(ig_post, caption=caption), "caption", network=False)
    assert (result.status, result.fix) == ("fail", "Trim the caption.")
    assert problem in result.message


def test_thirty_hashtags_and_an_email_address_are_fine(ig_post):
    caption = " ".join(f"#tag{i}" for i in range(30)) + " write to hello@example.com"
    assert _result(_change(ig_post, caption=caption), "caption", network=False).status == "ok"


def test_changed_inputs_make_results_stale(ig_post):
    _change(ig_post, caption="something new")
    assert preflight_blockers(ig_post) == ["The checks are out of date: run them again."]


def test_a_background_job_touching_the_file_row_keeps_the_results_fresh(ig_post):
    """The decode check (or any job's lease) writes to the asset; only the file matters."""
    from creatives.library.models import MediaAsset

    asset = ig_post.items.get().asset
    MediaAsset.objects.filter(pk=asset.pk).update(updated_at=timezone.now())
    assert preflight_blockers(ig_post) == []

    MediaAsset.objects.filter(pk=asset.pk).update(status=MediaAsset.Status.FAILED)
    assert preflight_blockers(ig_post) == ["The checks are out of date: run them again."]


def test_wrong_aspect_ratio_offers_the_one_click_conversion(connected, upload):
    video = upload(connected, "wide.mp4")
    publication = make_publication(connected, "fb_reel", [video])

    result = _result(publication, "media_spec", network=False)

    assert result.status == "fail"
    assert "wide.mp4 doesn't fit" in result.message
    assert result.action == {"kind": "transcode", "asset": video.pk, "placement": "fb_reel"}
    assert publication.status == Publication.Status.DRAFT


@pytest.mark.parametrize(("count", "ok"), [(1, False), (2, True), (10, True), (11, False)])
def test_carousel_takes_two_to_ten_items(connected, upload, count, ok):
    image = upload(connected, "square.jpg")
    publication = make_publication(connected, "ig_carousel", [image] * count)
    result = _result(publication, "media_count", network=False)
    assert result.status == ("ok" if ok else "fail")


def test_reel_needs_a_video(connected, upload):
    publication = make_publication(connected, "ig_reel", [upload(connected, "square.jpg")])
    result = _result(publication, "media_count", network=False)
    assert result.message == "Instagram reel needs video, not image."


def test_schedule_window(ig_post):
    now = timezone.now()
    past = _result(_change(ig_post, scheduled_at=now - timedelta(minutes=1)), "schedule")
    far = _result(_change(ig_post, scheduled_at=now + timedelta(days=76)), "schedule")
    fine = _result(_change(ig_post, scheduled_at=now + timedelta(days=3)), "schedule")
    assert (past.status, far.status, fine.status) == ("fail", "fail", "ok")


def test_token_expiring_before_the_scheduled_time_fails(ig_post):
    MetaConnection.objects.update(expires_at=timezone.now() + timedelta(days=2))
    _change(ig_post, scheduled_at=timezone.now() + timedelta(days=5))
    result = _result(ig_post, "connection", network=False)
    assert result.status == "fail"
    assert "expires on" in result.message


def test_revoked_connection_fails(ig_post):
    MetaConnection.objects.update(status=MetaConnection.Status.REVOKED, access_token="")
    result = _result(ig_post, "connection", network=False)
    assert (result.status, result.fix) == ("fail", "Reconnect Meta from the workspace's Meta page.")


def test_permission_limited_to_other_accounts_fails(ig_post):
    connection = MetaConnection.objects.get()
    connection.granular_scopes = {"instagram_content_publish": [seed.IG_PHOTO_ID]}
    connection.save()
    result = _result(ig_post, "scopes", network=False)
    assert result.status == "fail"
    assert "instagram_content_publish for" in result.message


def test_instagram_quota_used_up_fails(ig_post, sandbox):
    sandbox.state.update_settings(ig_publish_quota=0)
    result = _result(ig_post, "ig_quota")
    assert result.status == "fail"
    assert "used all 0 posts" in result.message


def test_when_meta_cannot_fetch_our_media_videos_are_uploaded_instead(connected, upload, settings):
    publication = make_publication(connected, "fb_post", [upload(connected, "reel.mp4")])
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"

    result = _result(publication, "media_fetchable")

    assert result.status == "warn"
    assert "upload the file directly" in result.message
    assert Publication.objects.get(pk=publication.pk).delivery == "upload"


def test_instagram_images_cannot_fall_back_to_upload(ig_post, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"
    result = _result(ig_post, "media_fetchable")
    assert result.status == "fail"
    assert result.message.startswith("Instagram must download images by URL")


def test_real_meta_cannot_reach_a_loopback_media_host(ig_post, settings):
    settings.META_USES_SANDBOX = False
    result = _result(ig_post, "media_fetchable")
    assert result.status == "fail"
    assert "https" in result.message


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.test/offer", "must start with https://"),
        ("http://example.test/offer", "must start with https://"),
        ("https://10.0.0.5/offer", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
    ],
)
def test_product_links_must_be_https_and_public(connected, upload, url, problem):
    publication = make_publication(
        connected, "meta_ad", [upload(connected, "square.jpg")], link_url=url
    )
    result = _result(publication, "link")
    assert result.status == "fail"
    assert problem in result.message.lower()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"special_ad_categories": []}, "Declare whether the ad is about credit"),
        ({"targeting": {"countries": [], "age_min": 18}}, "at least one country"),
        ({"targeting": {"countries": ["US"], "age_min": 12}}, "between 13 and 65"),
        ({"targeting": {"countries": ["USA"]}}, "two-letter ISO codes"),
        ({"objective": ""}, "Choose the ad's objective."),
        ({"budget_type": "lifetime"}, "A lifetime budget needs a start and an end date."),
    ],
)
def test_ad_setup_problems(connected, upload, fields, problem):
    publication = make_publication(
        connected, "meta_ad", [upload(connected, "square.jpg")], **fields
    )
    messages = [r["message"] for r in publication.preflight if r["status"] == "fail"]
    assert any(problem in m for m in messages), messages


def test_zero_decimal_currency_minimum(connected, upload):
    publication = make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    publication.ad_account.currency = "JPY"
    publication.ad_account.save()
    _change(publication, budget_minor=150)
    result = _result(publication, "ad_budget", network=False)
    assert "below the minimum of 200 JPY a day" in result.message


def test_disabled_ad_account_fails_the_network_check(connected, upload, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/ad_accounts/{seed.ACT_COFFEE_US}",
        json={"account_status": 2},
        timeout=5,
    )
    publication = make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    result = _result(publication, "ad_account")
    assert result.status == "fail"
    assert "isn't active on Meta (status 2)" in result.message


# --- issue #13, bug 12a: an ad's media meet the specs of the placements it runs in ---------------


@pytest.fixture
def tall_image(connected, tmp_path):
    path = make_image(tmp_path / "tall.jpg", width=1080, height=1920)
    uploaded = SimpleUploadedFile("tall.jpg", path.read_bytes(), content_type="image/jpeg")
    return media_services.upload_media(actor=connected, uploaded=uploaded)


def _spec_results(publication):
    results = run_preflight(publication, network=False)
    return sorted((r.status, r.message) for r in results if r.key.startswith("media_spec:"))


@pytest.mark.parametrize(
    "placements",
    [["instagram:reels"], ["facebook:facebook_reels", "instagram:story"], ["facebook:story"]],
)
def test_a_stories_or_reels_only_ad_is_checked_against_that_spec(connected, tall_image, placements):
    publication = make_publication(connected, "meta_ad", [tall_image], placements=placements)

    assert _spec_results(publication) == [
        ("ok", "tall.jpg fits Ad image, stories and reels placements.")
    ]


def test_an_ad_in_feed_and_reels_is_checked_against_each_spec(connected, tall_image):
    publication = make_publication(
        connected, "meta_ad", [tall_image], placements=["facebook:feed", "instagram:reels"]
    )

    (feed, reels) = _spec_results(publication)
    assert feed[0] == "fail"
    assert feed[1].startswith("tall.jpg doesn't fit Ad image, feed placements: ")
    assert reels == ("ok", "tall.jpg fits Ad image, stories and reels placements.")
    spec_check = next(r for r in run_preflight(publication, network=False) if r.status == "fail")
    assert spec_check.action == {
        "kind": "transcode",
        "asset": tall_image.pk,
        "placement": "ad_feed_image",
    }


def test_an_ad_with_automatic_placements_is_checked_against_the_feed_spec(connected, tall_image):
    publication = make_publication(connected, "meta_ad", [tall_image], placements=[])

    ((status, message),) = _spec_results(publication)
    assert status == "fail"
    assert message.startswith("tall.jpg doesn't fit Ad image, feed placements: ")


def test_an_http_link_on_an_allowlisted_loopback_port_is_checked_not_refused(
    connected, upload, settings
):
    """Development allowlists name ``host:port`` (#14 item 15); the https rule honours that."""
    from tests.safe_http_server import start_server

    local = start_server()
    publication = make_publication(
        connected, "meta_ad", [upload(connected, "square.jpg")], link_url=f"{local.url}/ok"
    )
    try:
        settings.SAFE_HTTP_ALLOWED_HOSTS = [f"127.0.0.1:{local.port}"]
        allowed = _result(publication, "link")
        settings.SAFE_HTTP_ALLOWED_HOSTS = [f"127.0.0.1:{local.port + 1}"]
        other_port = _result(publication, "link")
    finally:
        local.stop()

    assert allowed.status == "ok", allowed.message
    assert "must start with https://" in other_port.message
