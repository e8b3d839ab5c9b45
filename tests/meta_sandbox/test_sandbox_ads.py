"""Marketing API: ad images and videos, creatives, campaigns, ad sets, ads with review over
sandbox time and the disapproval switch, disabled accounts, permissions and faults."""

import base64
import hashlib
import json

import pytest
import requests

from meta_sandbox import config, seed
from tests.meta_sandbox.helpers import (
    advance,
    assert_error,
    created,
    fault,
    grant_token,
    proof,
    set_settings,
)

ACT = seed.ACT_COFFEE_US
SCOPES = ["ads_management", "ads_read", "pages_show_list", "instagram_basic"]
US_ADULTS = {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 65}


@pytest.fixture
def token(graph):
    return grant_token(graph, scopes=SCOPES)


def _post(graph, token, edge, account=ACT, **params):
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return graph.request("POST", f"/{account}/{edge}", token, **encoded)


def _id(response):
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _read(graph, token, object_id, fields):
    response = graph.get(f"/{object_id}", token, fields=fields)
    assert response.status_code == 200, response.text
    return response.json()


def _image_hash(graph, token, media_samples):
    data = media_samples["square.jpg"].read_bytes()
    body = _post(graph, token, "adimages", bytes=base64.b64encode(data).decode()).json()
    return body["images"]["bytes"]["hash"]


def _campaign(graph, token, **overrides):
    params = {
        "name": "Spring",
        "objective": "OUTCOME_TRAFFIC",
        "status": "PAUSED",
        "special_ad_categories": [],
        "is_adset_budget_sharing_enabled": "false",
        **overrides,
    }
    return _post(graph, token, "campaigns", **params)


def _adset(graph, token, campaign, **overrides):
    params = {
        "name": "US adults",
        "campaign_id": campaign,
        "daily_budget": "1500",
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "LINK_CLICKS",
        "targeting": US_ADULTS,
        "status": "ACTIVE",
        **overrides,
    }
    return _post(graph, token, "adsets", **params)


def _creative(graph, token, image_hash, **spec_overrides):
    spec = {
        "page_id": seed.PAGE_COFFEE_ID,
        "link_data": {
            "link": "https://shop.test/spring",
            "message": "Spring roast is here",
            "name": "Spring roast",
            "image_hash": image_hash,
            "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop.test/spring"}},
        },
        **spec_overrides,
    }
    return _post(graph, token, "adcreatives", name="Spring creative", object_story_spec=spec)


@pytest.fixture
def chain(graph, token, media_samples):
    """An ACTIVE campaign and ad set plus a creative, ready for ads."""
    campaign_id = _id(_campaign(graph, token, status="ACTIVE"))
    adset_id = _id(_adset(graph, token, campaign_id))
    creative_id = _id(_creative(graph, token, _image_hash(graph, token, media_samples)))
    return {"campaign": campaign_id, "adset": adset_id, "creative": creative_id}


def _ad(graph, token, chain, **overrides):
    params = {
        "name": "Spring ad",
        "adset_id": chain["adset"],
        "creative": {"creative_id": chain["creative"]},
        "status": "ACTIVE",
        **overrides,
    }
    return _post(graph, token, "ads", **params)


# --- adimages ----------------------------------------------------------------------------


def test_adimage_bytes_give_the_md5_hash_once(graph, token, media_samples):
    data = media_samples["square.jpg"].read_bytes()
    encoded = base64.b64encode(data).decode()

    first = _post(graph, token, "adimages", bytes=encoded).json()
    again = _post(graph, token, "adimages", bytes=encoded).json()

    image = first["images"]["bytes"]
    assert image["hash"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert (image["width"], image["height"]) == (1080, 1080)
    assert image["url"].startswith("http://127.0.0.1:")
    assert again == first
    assert len(created(graph, kind="ad_image", owner=ACT)) == 1
    listed = graph.get(
        f"/{ACT}/adimages", token, hashes=json.dumps([image["hash"]]), fields="hash,width"
    )
    assert listed.json() == {
        "data": [{"hash": image["hash"], "width": 1080, "id": f"{ACT[4:]}:{image['hash']}"}]
    }


def test_adimage_multipart_is_keyed_by_file_name(graph, token, media_samples):
    with media_samples["square.png"].open("rb") as image:
        response = graph.session.post(
            f"{graph.base}/{ACT}/adimages",
            data={"access_token": token, "appsecret_proof": proof(token)},
            files={"spring.png": ("spring.png", image, "image/png")},
            timeout=10,
        )

    assert set(response.json()["images"]) == {"spring.png"}


def test_adimage_url_is_not_a_documented_parameter(graph, token, media_server):
    response = _post(graph, token, "adimages", url=media_server.url("square.jpg"))

    error = assert_error(response, 400, 100)
    assert error["error_user_title"] == "Upload the image bytes"


def test_adimage_must_be_an_image(graph, token):
    response = _post(graph, token, "adimages", bytes=base64.b64encode(b"not an image").decode())

    assert_error(response, 400, 100)
    assert created(graph) == []


# --- advideos ----------------------------------------------------------------------------


def test_advideo_by_file_url_processes_to_ready(graph, token, media_server):
    video_id = _id(
        _post(graph, token, "advideos", file_url=media_server.url("reel.mp4"), name="Promo")
    )

    processing = _read(graph, token, video_id, "status")["status"]["video_status"]
    advance(graph, config.VIDEO_PROCESSING_SECONDS)

    assert processing == "processing"
    assert _read(graph, token, video_id, "status")["status"]["video_status"] == "ready"
    assert [o["id"] for o in created(graph, kind="ad_video", marker="Promo")] == [video_id]


def test_advideo_unreachable_url_is_389(graph, token):
    assert_error(
        _post(graph, token, "advideos", file_url="https://cdn.example.com/v.mp4"), 400, 389
    )


# --- adcreatives -------------------------------------------------------------------------


def test_creative_with_link_data_is_readable(graph, token, media_samples):
    image_hash = _image_hash(graph, token, media_samples)

    creative_id = _id(_creative(graph, token, image_hash, instagram_user_id=seed.IG_COFFEE_ID))

    creative = _read(graph, token, creative_id, "name,status,object_story_spec,instagram_user_id")
    assert creative["name"] == "Spring creative"
    assert creative["status"] == "ACTIVE"
    assert creative["object_story_spec"]["link_data"]["image_hash"] == image_hash
    assert creative["instagram_user_id"] == seed.IG_COFFEE_ID


@pytest.mark.parametrize(
    ("_case", "overrides"),
    [
        (
            "unknown image hash",
            {"link_data": {"link": "https://shop.test/", "image_hash": "0" * 32}},
        ),
        ("no link", {"link_data": {"message": "x", "picture": "https://cdn.test/a.jpg"}}),
        ("not a granted page", {"page_id": seed.PAGE_FITNESS_ID}),
        ("deprecated instagram_actor_id", {"instagram_actor_id": seed.IG_COFFEE_ID}),
        ("another page's instagram", {"instagram_user_id": seed.IG_PHOTO_ID}),
        ("two story kinds", {"text_data": {"message": "x"}}),
        (
            "bad call to action",
            {
                "link_data": {
                    "link": "https://shop.test/",
                    "picture": "https://cdn.test/a.jpg",
                    "call_to_action": {"type": "click me"},
                }
            },
        ),
    ],
)
def test_bad_object_story_spec_is_refused(graph, token, media_samples, _case, overrides):
    image_hash = _image_hash(graph, token, media_samples)

    response = _creative(graph, token, image_hash, **overrides)

    assert_error(response, 400, 100)
    assert created(graph, kind="ad_creative") == []


def test_video_creative_needs_a_thumbnail(graph, token, media_server):
    video_id = _id(_post(graph, token, "advideos", file_url=media_server.url("reel.mp4")))
    spec = {"page_id": seed.PAGE_COFFEE_ID, "video_data": {"video_id": video_id, "message": "x"}}

    missing = _post(graph, token, "adcreatives", object_story_spec=spec)
    spec["video_data"]["image_url"] = "https://cdn.test/thumb.jpg"
    with_thumbnail = _post(graph, token, "adcreatives", object_story_spec=spec)

    assert_error(missing, 400, 100)
    assert with_thumbnail.status_code == 200, with_thumbnail.text


# --- campaigns ---------------------------------------------------------------------------


def test_campaign_is_created_and_readable(graph, token):
    campaign_id = _id(_campaign(graph, token, name="Launch"))

    campaign = _read(
        graph, token, campaign_id, "name,objective,status,effective_status,special_ad_categories"
    )
    assert campaign == {
        "name": "Launch",
        "objective": "OUTCOME_TRAFFIC",
        "status": "PAUSED",
        "effective_status": "PAUSED",
        "special_ad_categories": [],
        "id": campaign_id,
    }
    assert [o["marker"] for o in created(graph, kind="campaign", owner=ACT)] == ["Launch"]


@pytest.mark.parametrize(
    ("_case", "overrides", "subcode"),
    [
        ("legacy objective", {"objective": "LINK_CLICKS"}, None),
        ("no objective", {"objective": ""}, None),
        ("no special_ad_categories", {"special_ad_categories": ""}, None),
        ("unknown category", {"special_ad_categories": ["PETS"]}, None),
        ("no budget sharing choice", {"is_adset_budget_sharing_enabled": ""}, 4834011),
        ("both budgets", {"daily_budget": "1000", "lifetime_budget": "5000"}, None),
        ("bad status", {"status": "PENDING"}, None),
    ],
)
def test_bad_campaign_is_refused(graph, token, _case, overrides, subcode):
    assert_error(_campaign(graph, token, **overrides), 400, 100, subcode)
    assert created(graph) == []


def test_campaign_budget_makes_budget_sharing_optional(graph, token):
    response = _campaign(graph, token, daily_budget="5000", is_adset_budget_sharing_enabled="")

    assert _read(graph, token, _id(response), "daily_budget")["daily_budget"] == "5000"


def test_validate_only_creates_nothing(graph, token):
    response = _campaign(graph, token, execution_options=["validate_only"])

    assert response.json() == {"success": True}
    assert created(graph) == []


# --- ad sets -----------------------------------------------------------------------------


def test_adset_keeps_minor_unit_budget_and_targeting(graph, token):
    campaign_id = _id(_campaign(graph, token))

    adset_id = _id(_adset(graph, token, campaign_id, daily_budget="2500"))

    adset = _read(graph, token, adset_id, "daily_budget,targeting,effective_status,campaign_id")
    assert adset == {
        "daily_budget": "2500",
        "targeting": US_ADULTS,
        "effective_status": "CAMPAIGN_PAUSED",
        "campaign_id": campaign_id,
        "id": adset_id,
    }


@pytest.mark.parametrize(
    ("_case", "overrides"),
    [
        ("no location", {"targeting": {"age_min": 18}}),
        ("empty countries", {"targeting": {"geo_locations": {"countries": []}}}),
        ("age under 13", {"targeting": {**US_ADULTS, "age_min": 12}}),
        ("age over 65", {"targeting": {**US_ADULTS, "age_max": 70}}),
        ("min above max", {"targeting": {**US_ADULTS, "age_min": 40, "age_max": 30}}),
        (
            "audience network alone",
            {"targeting": {**US_ADULTS, "publisher_platforms": ["audience_network"]}},
        ),
        ("zero budget", {"daily_budget": "0"}),
        ("decimal budget", {"daily_budget": "12.50"}),
        ("no budget", {"daily_budget": ""}),
        ("lifetime without end_time", {"daily_budget": "", "lifetime_budget": "100000"}),
        ("no billing_event", {"billing_event": ""}),
        ("unknown optimization_goal", {"optimization_goal": "VIBES"}),
        ("bid cap without bid_amount", {"bid_strategy": "LOWEST_COST_WITH_BID_CAP"}),
        ("unknown campaign", {"campaign_id": "120300000000000999"}),
    ],
)
def test_bad_adset_is_refused(graph, token, _case, overrides):
    campaign_id = _id(_campaign(graph, token))

    assert_error(_adset(graph, token, campaign_id, **overrides), 400, 100)
    assert created(graph, kind="adset") == []


def test_adset_under_a_campaign_budget_may_not_set_its_own(graph, token):
    campaign_id = _id(_campaign(graph, token, daily_budget="5000"))

    refused = _adset(graph, token, campaign_id)
    accepted = _adset(graph, token, campaign_id, daily_budget="")

    assert_error(refused, 400, 100)
    assert accepted.status_code == 200, accepted.text


def test_young_teen_targeting_from_13_is_allowed(graph, token):
    campaign_id = _id(_campaign(graph, token))
    targeting = {"geo_locations": {"countries": ["GB"]}, "age_min": 13, "age_max": 17}

    assert _adset(graph, token, campaign_id, targeting=targeting).status_code == 200


# --- ads and review ----------------------------------------------------------------------


def test_ad_is_pending_review_then_active(graph, token, chain):
    ad_id = _id(_ad(graph, token, chain))

    pending = _read(graph, token, ad_id, "effective_status,status,creative,adset_id,campaign_id")
    advance(graph, config.AD_REVIEW_SECONDS)
    reviewed = _read(graph, token, ad_id, "effective_status,ad_review_feedback")

    assert pending == {
        "effective_status": "PENDING_REVIEW",
        "status": "ACTIVE",
        "creative": {"id": chain["creative"]},
        "adset_id": chain["adset"],
        "campaign_id": chain["campaign"],
        "id": ad_id,
    }
    assert reviewed == {"effective_status": "ACTIVE", "id": ad_id}


def test_ad_created_paused_is_paused_after_review(graph, token, chain):
    ad_id = _id(_ad(graph, token, chain, status="PAUSED"))
    advance(graph, config.AD_REVIEW_SECONDS)

    assert _read(graph, token, ad_id, "effective_status")["effective_status"] == "PAUSED"


def test_review_time_is_a_setting(graph, token, chain):
    set_settings(graph, ad_review_seconds=5)
    ad_id = _id(_ad(graph, token, chain))
    advance(graph, 5)

    assert _read(graph, token, ad_id, "effective_status")["effective_status"] == "ACTIVE"


def test_review_switch_disapproves_the_next_ad_only(graph, token, chain):
    feedback = {"global": {"HOUSING_OR_CREDIT": "Ads about credit need a special category."}}
    switch = graph.sandbox_post("/ad_review", {"disapprove_next": 1, "feedback": feedback})
    bad = _id(_ad(graph, token, chain, name="bad"))
    good = _id(_ad(graph, token, chain, name="good"))

    during = _read(graph, token, bad, "effective_status,ad_review_feedback")
    advance(graph, config.AD_REVIEW_SECONDS)

    assert switch.json() == {"disapprove_next": 1}
    assert during == {"effective_status": "PENDING_REVIEW", "id": bad}
    disapproved = _read(graph, token, bad, "effective_status,ad_review_feedback,issues_info")
    assert disapproved["effective_status"] == "DISAPPROVED"
    assert disapproved["ad_review_feedback"] == feedback
    assert (
        disapproved["issues_info"][0]["error_message"]
        == "Ads about credit need a special category."
    )
    assert _read(graph, token, good, "effective_status")["effective_status"] == "ACTIVE"


def test_paused_adset_makes_its_ads_adset_paused(graph, token, chain):
    ad_id = _id(_ad(graph, token, chain))
    graph.request("POST", f"/{chain['adset']}", token, status="PAUSED")
    advance(graph, config.AD_REVIEW_SECONDS)

    assert _read(graph, token, ad_id, "effective_status")["effective_status"] == "ADSET_PAUSED"


def test_ad_status_can_be_updated(graph, token, chain):
    ad_id = _id(_ad(graph, token, chain, status="PAUSED"))
    advance(graph, config.AD_REVIEW_SECONDS)

    response = graph.request("POST", f"/{ad_id}", token, status="ACTIVE")

    assert response.json() == {"success": True}
    assert _read(graph, token, ad_id, "effective_status")["effective_status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("_case", "overrides"),
    [
        ("unknown adset", {"adset_id": "120400000000000999"}),
        ("no creative", {"creative": ""}),
        ("unknown creative", {"creative": {"creative_id": "120200000000000999"}}),
        ("bad status", {"status": "ARCHIVED"}),
    ],
)
def test_bad_ad_is_refused(graph, token, chain, _case, overrides):
    assert_error(_ad(graph, token, chain, **overrides), 400, 100)
    assert created(graph, kind="ad") == []


def test_an_adset_holds_at_most_50_ads(graph, token, chain):
    for number in range(config.MAX_ADS_PER_ADSET):
        assert _ad(graph, token, chain, name=f"ad {number}").status_code == 200

    assert_error(_ad(graph, token, chain, name="one too many"), 400, 100)
    assert len(created(graph, kind="ad")) == config.MAX_ADS_PER_ADSET


# --- accounts, permissions, faults -------------------------------------------------------


def test_disabled_ad_account_refuses_writes(graph, token):
    response = _campaign(graph, token, account=seed.ACT_PHOTO_EU)

    error = assert_error(response, 400, 100)
    assert error["error_user_title"] == "Ad account not active"
    assert "account_status 2: DISABLED" in error["message"]
    assert created(graph) == []


def test_account_disabled_later_refuses_ads_but_still_reads(graph, token, chain):
    graph.sandbox_post(f"/ad_accounts/{ACT}", {"account_status": 2})

    assert_error(_ad(graph, token, chain), 400, 100)
    assert _read(graph, token, chain["campaign"], "status")["status"] == "ACTIVE"


def test_ads_read_alone_cannot_write(graph):
    reader = grant_token(graph, scopes=["ads_read"])

    error = assert_error(_campaign(graph, reader), 403, 200)

    assert (
        error["message"]
        == "(#200) Ad account owner has NOT grant ads_management or ads_read permission"
    )


def test_another_persons_ad_is_invisible(graph, token, chain):
    ad_id = _id(_ad(graph, token, chain))
    sam = grant_token(graph, user=seed.SAM_ID, scopes=SCOPES)

    assert_error(graph.get(f"/{ad_id}", sam, fields="name"), 400, 100, 33)


def test_dropped_ad_answer_leaves_one_ad_to_find(graph, token, chain):
    fault(graph, method="POST", path=f"/{ACT}/ads", drop=True, after_write=True)

    with pytest.raises(requests.ConnectionError):
        _ad(graph, token, chain, name="Exactly once")

    [ad] = created(graph, kind="ad", owner=ACT, marker="Exactly once")
    assert _read(graph, token, ad["id"], "name")["name"] == "Exactly once"


def test_ad_account_throttle_sends_usage_and_creates_nothing(graph, token):
    fault(graph, method="POST", path="/act_*/campaigns", error={"code": 80004})

    response = _campaign(graph, token)

    assert_error(response, 400, 80004)
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert usage[ACT][0]["type"] == "ads_management"
    assert created(graph) == []


# --- the test API and console ------------------------------------------------------------


def test_objects_filter_by_kind_owner_and_marker(graph, token, chain):
    _id(_ad(graph, token, chain, name="Counted"))

    everything = created(graph)
    ads = created(graph, kind="ad", owner=ACT, marker="Counted")
    other_owner = created(graph, kind="ad", owner=seed.ACT_FITNESS)

    assert [o["kind"] for o in everything] == ["campaign", "adset", "ad_image", "ad_creative", "ad"]
    assert [(o["marker"], o["status"]) for o in ads] == [("Counted", "PENDING_REVIEW")]
    assert ads[0]["data"]["adset_id"] == chain["adset"]
    assert other_owner == []


def test_objects_are_in_the_state_snapshot_and_cleared_by_reset(graph, token, sandbox):
    _id(_campaign(graph, token, name="Snap"))

    snapshot = graph.session.get(f"{sandbox.url}/_sandbox/state", timeout=10).json()
    graph.sandbox_post("/reset")

    assert [o["marker"] for o in snapshot["objects"]] == ["Snap"]
    assert created(graph) == []


def test_unknown_object_kind_is_refused(graph, sandbox):
    response = graph.session.get(f"{sandbox.url}/_sandbox/objects", params={"kind": "tweet"})

    assert response.status_code == 400
    assert "tweet" in response.json()["error"]["message"]


def test_console_lists_published_objects_and_arms_the_review_switch(graph, token, sandbox):
    campaign_id = _id(_campaign(graph, token, name="Console campaign"))

    page = graph.session.get(f"{sandbox.url}/_sandbox/", timeout=10).text
    armed = graph.session.post(
        f"{sandbox.url}/_sandbox/ad_review",
        data={"disapprove_next": "1"},
        allow_redirects=False,
        timeout=10,
    )

    assert 'id="objects"' in page
    assert campaign_id in page
    assert "Console campaign" in page
    assert armed.status_code == 303
    assert sandbox.state.objects.disapprove_next == 1
