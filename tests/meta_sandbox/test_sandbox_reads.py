"""Read edges publishers list to reconcile a lost create: Page photos and videos, and the ad
account's campaigns, ad sets, ads, creatives and videos (filtering, paging, auth, faults)."""

import base64
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
    page_token,
)

PAGE = seed.PAGE_COFFEE_ID
ACT = seed.ACT_COFFEE_US
PAGE_SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]
ADS_SCOPES = ["ads_management", "ads_read", "pages_show_list", "instagram_basic"]
US_ADULTS = {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 65}


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=PAGE_SCOPES)


@pytest.fixture
def token(graph, user_token):
    return page_token(graph, user_token, PAGE)


@pytest.fixture
def ads_token(graph):
    return grant_token(graph, scopes=ADS_SCOPES)


def _ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def _ids(body):
    return [item["id"] for item in body["data"]]


def _follow(graph, url):
    return _ok(graph.session.get(url, timeout=10))


# --- Page edges --------------------------------------------------------------------------


def _page_post(graph, token, edge, **params):
    return _ok(graph.request("POST", f"/{PAGE}/{edge}", token, **params))


def _reel(graph, token, media_server, description):
    start = _page_post(graph, token, "video_reels", upload_phase="start")
    upload = requests.post(
        start["upload_url"],
        headers={"Authorization": f"OAuth {token}", "file_url": media_server.url("reel.mp4")},
        timeout=10,
    )
    assert upload.json() == {"success": True}
    _page_post(
        graph,
        token,
        "video_reels",
        upload_phase="finish",
        video_id=start["video_id"],
        video_state="PUBLISHED",
        description=description,
    )
    return start["video_id"]


def test_page_videos_lists_videos_and_reels_newest_first(graph, token, media_server):
    video_id = _page_post(
        graph,
        token,
        "videos",
        file_url=media_server.url("reel.mp4"),
        title="Roast day",
        description="Roasting [ps-1]",
    )["id"]
    reel_id = _reel(graph, token, media_server, "Morning pour [ps-2]")
    advance(graph, config.VIDEO_PROCESSING_SECONDS)

    fields = "id,description,title,created_time,permalink_url,status"
    body = _ok(graph.get(f"/{PAGE}/videos", token, fields=fields))

    assert _ids(body) == [reel_id, video_id]
    reel, video = body["data"]
    assert reel["description"] == "Morning pour [ps-2]"
    assert reel["permalink_url"] == f"/reel/{reel_id}/"  # video permalinks are paths
    assert video["title"] == "Roast day"
    assert video["description"] == "Roasting [ps-1]"
    assert video["permalink_url"] == f"/{PAGE}/videos/{video_id}/"
    assert video["created_time"].endswith("+0000")
    assert video["status"]["video_status"] == "ready"
    assert "paging" in body


def test_page_videos_default_fields_and_unknown_field(graph, token):
    video_id = _page_post(graph, token, "videos", upload_phase="start", file_size="5000")[
        "video_id"
    ]

    default = _ok(graph.get(f"/{PAGE}/videos", token))
    unknown = graph.get(f"/{PAGE}/videos", token, fields="id,caption")
    tagged = _ok(graph.get(f"/{PAGE}/videos", token, type="tagged"))

    [item] = default["data"]
    assert set(item) == {"created_time", "id"}
    assert item["id"] == video_id
    assert_error(unknown, 400, 100)
    assert tagged == {"data": []}


def test_page_videos_paginate_with_cursors(graph, token):
    made = [
        _page_post(graph, token, "videos", upload_phase="start", file_size="5000")["video_id"]
        for _ in range(3)
    ]

    first = _ok(graph.get(f"/{PAGE}/videos", token, limit="2"))
    second = _follow(graph, first["paging"]["next"])
    back = _follow(graph, second["paging"]["previous"])

    assert _ids(first) == made[::-1][:2]
    assert "previous" not in first["paging"]
    assert _ids(second) == [made[0]]
    assert "next" not in second["paging"]
    assert _ids(back) == _ids(first)


def test_page_photos_need_type_uploaded_and_list_published_photos(graph, token, media_server):
    first = _page_post(graph, token, "photos", url=media_server.url("square.jpg"), caption="Latte")
    second = _page_post(
        graph, token, "photos", url=media_server.url("square.png"), caption="Flat white [ps-3]"
    )
    _page_post(graph, token, "photos", url=media_server.url("square.jpg"), published="false")

    profile = _ok(graph.get(f"/{PAGE}/photos", token))
    uploaded = _ok(
        graph.get(
            f"/{PAGE}/photos",
            token,
            type="uploaded",
            fields="id,name,created_time,link,page_story_id",
        )
    )
    default_fields = _ok(graph.get(f"/{PAGE}/photos", token, type="uploaded"))

    assert profile == {"data": []}
    assert _ids(uploaded) == [second["id"], first["id"]]
    newest = uploaded["data"][0]
    assert newest["name"] == "Flat white [ps-3]"
    assert newest["page_story_id"] == second["post_id"]
    assert newest["link"] == f"https://www.facebook.com/photo.php?fbid={second['id']}"
    assert newest["created_time"].endswith("+0000")
    assert set(default_fields["data"][0]) == {"created_time", "name", "id"}


def test_page_photos_refuse_an_unknown_type(graph, token):
    assert_error(graph.get(f"/{PAGE}/photos", token, type="everything"), 400, 100)


@pytest.mark.parametrize("edge", ["photos", "videos"])
def test_user_token_cannot_read_page_photos_or_videos(graph, user_token, edge):
    error = assert_error(graph.get(f"/{PAGE}/{edge}", user_token, type="uploaded"), 403, 210)

    assert error["message"] == "(#210) A page access token is required to request this resource."


@pytest.mark.parametrize("edge", ["photos", "videos"])
def test_page_token_without_a_content_task_cannot_read(graph, token, edge):
    graph.sandbox_post(f"/pages/{PAGE}", {"tasks": ["ANALYZE", "ADVERTISE"]})

    assert_error(graph.get(f"/{PAGE}/{edge}", token, type="uploaded"), 403, 10)


def test_page_token_without_pages_read_engagement_cannot_read(graph):
    reader = page_token(graph, grant_token(graph, scopes=["pages_show_list"]), PAGE)

    assert_error(graph.get(f"/{PAGE}/videos", reader), 403, 10)


def test_another_pages_token_does_not_reach_these_edges(graph, user_token):
    other = page_token(graph, user_token, seed.PAGE_PHOTO_ID)

    assert_error(graph.get(f"/{PAGE}/videos", other), 400, 100, 33)


def test_dropped_video_answer_is_found_by_listing(graph, token, media_server):
    fault(graph, method="POST", path=f"/{PAGE}/videos", drop=True, after_write=True)

    with pytest.raises(requests.ConnectionError):
        graph.request(
            "POST",
            f"/{PAGE}/videos",
            token,
            file_url=media_server.url("reel.mp4"),
            description="Lost answer [ps-9]",
        )

    listed = _ok(graph.get(f"/{PAGE}/videos", token, fields="id,description"))
    [made] = created(graph, kind="page_video", marker="Lost answer [ps-9]")
    assert listed["data"] == [{"id": made["id"], "description": "Lost answer [ps-9]"}]


def test_get_faults_apply_to_the_page_read_edges(graph, token):
    fault(graph, method="GET", path="/*/photos", error={"code": 32})

    response = graph.get(f"/{PAGE}/photos", token, type="uploaded")

    assert_error(response, 400, 32)
    assert json.loads(response.headers["X-Page-Usage"])["call_count"] == 100
    assert _ok(graph.get(f"/{PAGE}/photos", token, type="uploaded")) == {"data": []}


# --- ad account edges ----------------------------------------------------------------------


def _ads_post(graph, token, edge, **params):
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return graph.request("POST", f"/{ACT}/{edge}", token, **encoded)


def _ads_id(response):
    return _ok(response)["id"]


def _campaign(graph, token, name, **overrides):
    params = {
        "name": name,
        "objective": "OUTCOME_TRAFFIC",
        "status": "PAUSED",
        "special_ad_categories": [],
        "is_adset_budget_sharing_enabled": "false",
        **overrides,
    }
    return _ads_id(_ads_post(graph, token, "campaigns", **params))


def _list(graph, token, edge, **params):
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return graph.get(f"/{ACT}/{edge}", token, **encoded)


def _name_filter(value, operator="CONTAIN"):
    return [{"field": "name", "operator": operator, "value": value}]


@pytest.fixture
def ad_objects(graph, ads_token, media_samples, media_server):
    """One of each kind on ACT: campaign, ad set, image + creative, ad, ad video."""
    campaign = _campaign(graph, ads_token, "Spring campaign", status="ACTIVE")
    adset = _ads_id(
        _ads_post(
            graph,
            ads_token,
            "adsets",
            name="Spring adset",
            campaign_id=campaign,
            daily_budget="1500",
            billing_event="IMPRESSIONS",
            optimization_goal="LINK_CLICKS",
            targeting=US_ADULTS,
            status="ACTIVE",
        )
    )
    data = media_samples["square.jpg"].read_bytes()
    images = _ok(_ads_post(graph, ads_token, "adimages", bytes=base64.b64encode(data).decode()))[
        "images"
    ]
    spec = {
        "page_id": PAGE,
        "link_data": {
            "link": "https://shop.test/spring",
            "message": "Spring roast is here",
            "image_hash": images["bytes"]["hash"],
        },
    }
    creative = _ads_id(
        _ads_post(graph, ads_token, "adcreatives", name="Spring creative", object_story_spec=spec)
    )
    ad = _ads_id(
        _ads_post(
            graph,
            ads_token,
            "ads",
            name="Spring ad",
            adset_id=adset,
            creative={"creative_id": creative},
            status="ACTIVE",
        )
    )
    video = _ads_id(
        _ads_post(
            graph, ads_token, "advideos", file_url=media_server.url("reel.mp4"), name="Spring video"
        )
    )
    return {
        "campaigns": campaign,
        "adsets": adset,
        "adcreatives": creative,
        "ads": ad,
        "advideos": video,
    }


@pytest.mark.parametrize(
    ("edge", "fields", "expected"),
    [
        ("campaigns", "name,status,objective", {"name": "Spring campaign", "status": "ACTIVE"}),
        ("adsets", "name,effective_status", {"name": "Spring adset", "effective_status": "ACTIVE"}),
        ("adcreatives", "name,status", {"name": "Spring creative", "status": "ACTIVE"}),
        (
            "ads",
            "name,effective_status",
            {"name": "Spring ad", "effective_status": "PENDING_REVIEW"},
        ),
        ("advideos", "title,status", {"title": "Spring video"}),
    ],
)
def test_each_ads_edge_lists_the_accounts_objects(
    graph, ads_token, ad_objects, edge, fields, expected
):
    body = _ok(_list(graph, ads_token, edge, fields=fields))

    [item] = body["data"]
    assert item["id"] == ad_objects[edge]
    assert {key: item[key] for key in expected} == expected
    assert list(item)[-1] == "id"
    assert set(body["paging"]["cursors"]) == {"before", "after"}


def test_ads_edges_default_to_id_only(graph, ads_token, ad_objects):
    body = _ok(_list(graph, ads_token, "campaigns"))

    assert body["data"] == [{"id": ad_objects["campaigns"]}]


def test_ad_video_list_has_only_the_accounts_ad_videos(graph, ads_token, ad_objects):
    other = _list(graph, ads_token, "advideos", filtering=_name_filter("Spring video", "EQUAL"))

    assert _ids(_ok(other)) == [ad_objects["advideos"]]
    assert created(graph, kind="page_video") == []


def test_campaigns_are_newest_first_and_paginate(graph, ads_token):
    made = [_campaign(graph, ads_token, f"Campaign {n}") for n in range(5)]

    first = _ok(_list(graph, ads_token, "campaigns", limit="2", fields="name"))
    second = _follow(graph, first["paging"]["next"])
    third = _follow(graph, second["paging"]["next"])
    back = _follow(graph, third["paging"]["previous"])

    newest_first = made[::-1]
    assert _ids(first) == newest_first[:2]
    assert [item["name"] for item in first["data"]] == ["Campaign 4", "Campaign 3"]
    assert _ids(second) == newest_first[2:4]
    assert _ids(third) == newest_first[4:]
    assert "next" not in third["paging"]
    assert _ids(back) == newest_first[2:4]
    assert "fields=name" in first["paging"]["next"]


def test_filtering_name_contain_finds_exactly_the_right_one(graph, ads_token):
    wanted = _campaign(graph, ads_token, "Spring sale [ps-123]")
    _campaign(graph, ads_token, "Spring sale [ps-1234x]")
    _campaign(graph, ads_token, "Autumn [ps-456]")

    contain = _ok(
        _list(graph, ads_token, "campaigns", filtering=_name_filter("[ps-123]"), fields="name")
    )
    equal = _ok(
        _list(
            graph, ads_token, "campaigns", filtering=_name_filter("Spring sale [ps-123]", "EQUAL")
        )
    )
    case = _ok(_list(graph, ads_token, "campaigns", filtering=_name_filter("SPRING")))
    none = _ok(_list(graph, ads_token, "campaigns", filtering=_name_filter("[ps-999]")))

    assert contain["data"] == [{"name": "Spring sale [ps-123]", "id": wanted}]
    assert _ids(equal) == [wanted]
    assert case == {"data": []}
    assert none == {"data": []}


def test_filtering_conditions_all_hold_and_take_the_other_operators(graph, ads_token):
    spring = _campaign(graph, ads_token, "Spring")
    summer = _campaign(graph, ads_token, "Summer")
    autumn = _campaign(graph, ads_token, "Autumn")

    both = [
        {"field": "name", "operator": "CONTAIN", "value": "S"},
        {"field": "name", "operator": "NOT_EQUAL", "value": "Summer"},
    ]
    listed_in = _name_filter(["Spring", "Autumn"], "IN")
    not_contain = _name_filter("mm", "NOT_CONTAIN")

    assert _ids(_ok(_list(graph, ads_token, "campaigns", filtering=both))) == [spring]
    assert _ids(_ok(_list(graph, ads_token, "campaigns", filtering=listed_in))) == [autumn, spring]
    assert _ids(_ok(_list(graph, ads_token, "campaigns", filtering=not_contain))) == [
        autumn,
        spring,
    ]
    assert summer not in _ids(_ok(_list(graph, ads_token, "campaigns", filtering=listed_in)))


@pytest.mark.parametrize("edge", ["campaigns", "adsets", "ads", "adcreatives", "advideos"])
def test_filtering_by_name_works_on_every_edge(graph, ads_token, ad_objects, edge):
    hit = _ok(_list(graph, ads_token, edge, filtering=_name_filter("Spring")))
    miss = _ok(_list(graph, ads_token, edge, filtering=_name_filter("Winter")))

    assert _ids(hit) == [ad_objects[edge]]
    assert miss == {"data": []}


def test_filtering_on_another_field_is_refused(graph, ads_token):
    filtering = [{"field": "objective", "operator": "EQUAL", "value": "OUTCOME_TRAFFIC"}]

    error = assert_error(_list(graph, ads_token, "campaigns", filtering=filtering), 400, 100)

    assert error["message"] == "(#100) Filtering field objective is invalid"


@pytest.mark.parametrize(
    ("_case", "raw"),
    [
        ("not json", "[{field: name}"),
        ("an object, not an array", '{"field": "name", "operator": "EQUAL", "value": "x"}'),
        ("no operator", '[{"field": "name", "value": "x"}]'),
        ("unknown operator", '[{"field": "name", "operator": "LIKE", "value": "x"}]'),
        ("CONTAIN with a list", '[{"field": "name", "operator": "CONTAIN", "value": ["x"]}]'),
        ("IN with a string", '[{"field": "name", "operator": "IN", "value": "x"}]'),
    ],
)
def test_malformed_filtering_is_100(graph, ads_token, _case, raw):
    assert_error(graph.get(f"/{ACT}/campaigns", ads_token, filtering=raw), 400, 100)


def test_effective_status_param_and_filter(graph, ads_token):
    active = _campaign(graph, ads_token, "On", status="ACTIVE")
    paused = _campaign(graph, ads_token, "Off", status="PAUSED")
    status_filter = [{"field": "effective_status", "operator": "IN", "value": ["ACTIVE"]}]

    by_param = _ok(_list(graph, ads_token, "campaigns", effective_status=["PAUSED"]))
    by_filter = _ok(_list(graph, ads_token, "campaigns", filtering=status_filter))
    both = _ok(_list(graph, ads_token, "campaigns", effective_status=["ACTIVE", "PAUSED"]))

    assert _ids(by_param) == [paused]
    assert _ids(by_filter) == [active]
    assert _ids(both) == [paused, active]


def test_ads_effective_status_follows_review(graph, ads_token, ad_objects):
    pending = _ok(_list(graph, ads_token, "ads", effective_status=["PENDING_REVIEW"]))
    advance(graph, config.AD_REVIEW_SECONDS)
    still_pending = _ok(_list(graph, ads_token, "ads", effective_status=["PENDING_REVIEW"]))
    active = _ok(_list(graph, ads_token, "ads", effective_status=["ACTIVE"]))

    assert _ids(pending) == [ad_objects["ads"]]
    assert still_pending == {"data": []}
    assert _ids(active) == [ad_objects["ads"]]


@pytest.mark.parametrize(
    ("_case", "params"),
    [
        ("not json", {"effective_status": "ACTIVE"}),
        ("unknown status", {"effective_status": '["RUNNING"]'}),
        ("not on advideos", {"effective_status": '["ACTIVE"]', "edge": "advideos"}),
    ],
)
def test_bad_effective_status_is_100(graph, ads_token, _case, params):
    edge = params.pop("edge", "campaigns")

    assert_error(graph.get(f"/{ACT}/{edge}", ads_token, **params), 400, 100)


def test_deleted_is_never_listed_and_archived_only_when_asked(graph, ads_token):
    live = _campaign(graph, ads_token, "Live")
    archived = _campaign(graph, ads_token, "Archived")
    deleted = _campaign(graph, ads_token, "Deleted")
    graph.request("POST", f"/{archived}", ads_token, status="ARCHIVED")
    graph.request("POST", f"/{deleted}", ads_token, status="DELETED")

    default = _ok(_list(graph, ads_token, "campaigns"))
    asked = _ok(_list(graph, ads_token, "campaigns", effective_status=["ARCHIVED", "DELETED"]))

    assert _ids(default) == [live]
    assert _ids(asked) == [archived]


def test_ads_read_alone_can_list(graph, ads_token, ad_objects):
    reader = grant_token(graph, scopes=["ads_read"])

    assert _ids(_ok(_list(graph, reader, "ads"))) == [ad_objects["ads"]]


@pytest.mark.parametrize("edge", ["campaigns", "adsets", "ads", "adcreatives", "advideos"])
def test_listing_without_an_ads_scope_is_refused(graph, edge):
    no_ads = grant_token(graph, scopes=["pages_show_list"])

    error = assert_error(_list(graph, no_ads, edge), 403, 200)

    assert "ads_management or ads_read" in error["message"]


def test_another_persons_account_is_invisible(graph, ads_token, ad_objects):
    sam = grant_token(graph, user=seed.SAM_ID, scopes=ADS_SCOPES)

    assert_error(_list(graph, sam, "campaigns"), 400, 100, 33)


def test_page_token_cannot_list_ad_objects(graph, token):
    assert_error(_list(graph, token, "campaigns"), 400, 100, 33)


def test_dropped_campaign_answer_is_reconciled_by_name(graph, ads_token):
    fault(graph, method="POST", path="/act_*/campaigns", drop=True, after_write=True)

    with pytest.raises(requests.ConnectionError):
        _campaign(graph, ads_token, "Launch [ps-77]")

    found = _ok(_list(graph, ads_token, "campaigns", filtering=_name_filter("[ps-77]")))
    [made] = created(graph, kind="campaign", owner=ACT, marker="Launch [ps-77]")
    assert _ids(found) == [made["id"]]


def test_get_faults_apply_to_the_ads_list_edges(graph, ads_token):
    fault(graph, method="GET", path="/act_*/campaigns", error={"code": 80004})

    throttled = _list(graph, ads_token, "campaigns")

    assert_error(throttled, 400, 80004)
    assert ACT in json.loads(throttled.headers["X-Business-Use-Case-Usage"])
    assert _ok(_list(graph, ads_token, "campaigns")) == {"data": []}
