"""Instagram media and account insights and Page / Page post insights in the sandbox
(GRAPH_NOTES §10, §5.4): shapes, growth over sandbox time, the data lag, deprecated metrics
refused as Meta refuses them, "not enough viewers", media older than the business
conversion, deleted posts, permissions, usage headers and throttling, and determinism."""

import json
from datetime import UTC, datetime

import pytest
from werkzeug.test import Client

from meta_sandbox import config, seed
from meta_sandbox.app import create_app
from meta_sandbox.insights import PRE_CONVERSION_MEDIA_IDS
from meta_sandbox.state import SandboxSettings
from tests.meta_sandbox.helpers import (
    advance,
    assert_error,
    grant_token,
    page_token,
    proof,
    set_settings,
)

IG = seed.IG_COFFEE_ID
PAGE = seed.PAGE_COFFEE_ID
IG_SCOPES = [
    "instagram_basic",
    "instagram_manage_insights",
    "instagram_content_publish",
    "pages_read_engagement",
    "pages_show_list",
]
PAGE_SCOPES = ["pages_show_list", "pages_read_engagement", "read_insights", "pages_manage_posts"]
LAG = config.INSIGHTS_DELAY_SECONDS
HOUR, DAY = 3600, 86400


@pytest.fixture
def token(graph):
    return grant_token(graph, scopes=IG_SCOPES)


@pytest.fixture
def page_tok(graph):
    user = grant_token(graph, scopes=PAGE_SCOPES)
    return page_token(graph, user, PAGE)


def _publish(graph, token, media_server, **params):
    response = graph.request("POST", f"/{IG}/media", token, **params)
    assert response.status_code == 200, response.text
    wait = config.IG_VIDEO_PROCESSING_SECONDS if "video_url" in params else 2
    advance(graph, wait)
    published = graph.request(
        "POST", f"/{IG}/media_publish", token, creation_id=response.json()["id"]
    )
    assert published.status_code == 200, published.text
    return published.json()["id"]


def _insights(graph, token, object_id, **params):
    return graph.get(f"/{object_id}/insights", token, **params)


def _data(graph, token, object_id, **params):
    response = _insights(graph, token, object_id, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _values(data):
    return {entry["name"]: entry["values"][0]["value"] for entry in data}


# --- Instagram media ------------------------------------------------------------------------


def test_a_new_post_shows_nothing_during_the_lag_then_grows_and_settles(graph, token, media_server):
    media = _publish(
        graph, token, media_server, image_url=media_server.url("square.jpg"), caption="New roast"
    )
    metrics = "reach,views,likes,comments,saved,shares,total_interactions"

    assert _data(graph, token, media, metric=metrics) == []  # an empty set, not zeros
    advance(graph, LAG + HOUR)
    first = _data(graph, token, media, metric=metrics)
    advance(graph, 5 * HOUR)
    later = _values(_data(graph, token, media, metric=metrics))
    advance(graph, 3 * DAY)
    days = _values(_data(graph, token, media, metric=metrics))
    advance(graph, 7 * DAY)
    settled = _values(_data(graph, token, media, metric=metrics))

    assert [entry["name"] for entry in first] == metrics.split(",")
    reach = first[0]
    assert reach["period"] == "lifetime"
    assert reach["title"] == "Accounts reached"
    assert reach["id"] == f"{media}/insights/reach/lifetime"
    assert isinstance(reach["values"][0]["value"], int)
    hour = _values(first)
    assert 0 < hour["reach"] < later["reach"] < days["reach"] <= settled["reach"]
    assert later["reach"] - hour["reach"] > settled["reach"] - days["reach"]  # fast, then slow
    assert settled["reach"] < days["reach"] * 1.1  # settled after a few days
    assert settled["views"] > settled["reach"]
    assert settled["total_interactions"] == sum(
        settled[m] for m in ("likes", "comments", "saved", "shares")
    )


def test_a_story_with_too_few_viewers_then_enough(graph, token, media_server):
    story = _publish(
        graph, token, media_server, image_url=media_server.url("tall.jpg"), media_type="STORIES"
    )
    advance(graph, LAG + 10)

    refused = _insights(graph, token, story, metric="reach,replies")
    error = assert_error(refused, 400, 10)
    assert error["message"] == "(#10) Not enough viewers for the media to show insights"

    advance(graph, HOUR)
    data = _data(graph, token, story, metric="reach,replies,navigation", breakdown="")
    navigation = _data(
        graph, token, story, metric="navigation", breakdown="story_navigation_action_type"
    )[0]
    assert _values(data)["reach"] >= 5
    total = navigation["total_value"]
    [breakdown] = total["breakdowns"]
    assert breakdown["dimension_keys"] == ["story_navigation_action_type"]
    assert [r["dimension_values"][0] for r in breakdown["results"]] == [
        "tap_forward",
        "tap_back",
        "tap_exit",
        "swipe_forward",
    ]
    assert sum(r["value"] for r in breakdown["results"]) == total["value"]


def test_story_insights_last_24_hours(graph, token):
    assert _data(graph, token, seed.SEED_STORY_COFFEE_ID, metric="reach") != []
    advance(graph, DAY)

    assert _data(graph, token, seed.SEED_STORY_COFFEE_ID, metric="reach") == []


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("impressions", "(#100) Starting from version v22.0 and above, the impressions metric is no longer supported for the queried media"),
        ("plays", "(#100) Starting from version v22.0 and above, the plays metric is no longer supported for the queried media"),
        ("reach,video_views", "(#100) Starting from version v22.0 and above, the video_views metric is no longer supported for the queried media"),
        ("clips_replays_count", "(#100) Starting from version v22.0 and above, the clips_replays_count metric is no longer supported for the queried media"),
        ("ig_reels_avg_watch_time", "(#100) The Media Insights API does not support the ig_reels_avg_watch_time metric for this media product type"),
        ("replies", "(#100) The Media Insights API does not support the replies metric for this media product type"),
    ],
    ids=["impressions", "plays", "video-views", "replays", "reel-metric-on-feed", "story-metric-on-feed"],
)  # fmt: skip
def test_deprecated_and_misplaced_media_metrics_are_refused(graph, token, metric, message):
    response = _insights(graph, token, seed.SEED_MEDIA_COFFEE_ID, metric=metric)

    error = assert_error(response, 400, 100)
    assert error["message"] == message
    assert response.headers["x-business-use-case-usage"]


@pytest.mark.parametrize("metric", ["engagement", "réach"])
def test_unknown_media_metrics_list_the_valid_ones(graph, token, metric):
    error = assert_error(
        _insights(graph, token, seed.SEED_MEDIA_COFFEE_ID, metric=metric), 400, 100
    )

    assert error["message"].startswith("(#100) metric[0] must be one of the following values: ")
    assert "total_interactions" in error["message"]


def test_media_posted_before_the_business_conversion(graph):
    token = grant_token(graph, scopes=IG_SCOPES)  # Alex granted both Instagram accounts
    [media] = PRE_CONVERSION_MEDIA_IDS

    error = assert_error(_insights(graph, token, media, metric="reach"), 400, 100, 2108006)

    assert error["error_user_title"] == "Media Posted Before Business Account Conversion"


def test_media_insights_need_instagram_manage_insights(graph):
    without = grant_token(graph, scopes=["instagram_basic", "pages_read_engagement"])

    assert_error(_insights(graph, without, seed.SEED_MEDIA_COFFEE_ID, metric="reach"), 403, 10)


def test_media_of_an_account_not_granted_does_not_exist(graph):
    body = {"user_id": seed.ALEX_ID, "scopes": IG_SCOPES, "ig_user_ids": [seed.IG_PHOTO_ID]}
    photo_only = graph.sandbox_post("/tokens", body).json()["access_token"]

    assert_error(
        _insights(graph, photo_only, seed.SEED_MEDIA_COFFEE_ID, metric="reach"), 400, 100, 33
    )


def test_a_reel_has_the_reel_metrics(graph, token, media_server):
    reel = _publish(
        graph, token, media_server, video_url=media_server.url("reel.mp4"), media_type="REELS"
    )
    advance(graph, LAG + 6 * HOUR)

    values = _values(
        _data(
            graph,
            token,
            reel,
            metric="reach,views,ig_reels_avg_watch_time,ig_reels_video_view_total_time,reels_skip_rate",
        )
    )

    assert values["views"] > values["reach"] > 0
    assert 3000 <= values["ig_reels_avg_watch_time"] <= 9000  # milliseconds
    assert (
        values["ig_reels_video_view_total_time"]
        == values["views"] * values["ig_reels_avg_watch_time"]
    )
    assert 0 < values["reels_skip_rate"] < 100
    assert_error(_insights(graph, token, reel, metric="profile_visits"), 400, 100)


# --- Instagram accounts ---------------------------------------------------------------------


def test_account_daily_series_end_at_pacific_midnight(graph, token):
    response = _insights(graph, token, IG, metric="reach,follower_count", period="day")
    assert response.status_code == 200, response.text
    body = response.json()

    assert [entry["name"] for entry in body["data"]] == ["reach", "follower_count"]
    for entry in body["data"]:
        assert entry["period"] == "day"
        ends = [datetime.strptime(v["end_time"], "%Y-%m-%dT%H:%M:%S%z") for v in entry["values"]]
        assert len(ends) == 2
        assert all(end.hour == 7 and end.minute == 0 for end in ends)
        assert (ends[1] - ends[0]).days == 1
        assert all(isinstance(v["value"], int) and v["value"] > 0 for v in entry["values"])
    paging = body["paging"]
    assert "since=" in paging["previous"]
    assert "until=" in paging["next"]


def test_weekly_reach_is_a_rolling_window(graph, token):
    until = int(datetime.now(tz=UTC).timestamp())
    since = until - 10 * DAY
    day = _data(graph, token, IG, metric="reach", period="day", since=str(since), until=str(until))
    week = _data(
        graph, token, IG, metric="reach", period="week", since=str(since), until=str(until)
    )

    days = [v["value"] for v in day[0]["values"]]
    weeks = [v["value"] for v in week[0]["values"]]
    assert len(days) == len(weeks) >= 9  # one point per day either way
    assert all(w > d for w, d in zip(weeks, days, strict=True))
    assert weeks[-1] < sum(days[-7:])  # unique accounts: fewer than the sum of each day's


def test_total_value_metrics_need_metric_type(graph, token):
    refused = _insights(graph, token, IG, metric="reach,views,accounts_engaged", period="day")
    error = assert_error(refused, 400, 100)
    assert error["message"] == (
        "(#100) The following metrics (views,accounts_engaged) should be specified with "
        "parameter metric_type=total_value"
    )

    data = _data(
        graph,
        token,
        IG,
        metric="views,accounts_engaged,total_interactions,likes,reach",
        period="day",
        metric_type="total_value",
    )
    totals = {entry["name"]: entry["total_value"]["value"] for entry in data}
    assert all(isinstance(value, int) for value in totals.values())
    assert totals["views"] > totals["reach"] > totals["accounts_engaged"] > 0
    assert all("values" not in entry for entry in data)
    assert_error(
        _insights(
            graph, token, IG, metric="follower_count", period="day", metric_type="total_value"
        ),
        400,
        100,
    )


def test_breakdowns_of_account_totals_add_up(graph, token):
    for breakdown, metric in (
        ("media_product_type", "reach"),
        ("follower_type", "views"),
        ("follow_type", "follows_and_unfollows"),
    ):
        [entry] = _data(
            graph,
            token,
            IG,
            metric=metric,
            period="day",
            metric_type="total_value",
            breakdown=breakdown,
        )
        total = entry["total_value"]
        [split] = total["breakdowns"]
        assert split["dimension_keys"] == [breakdown]
        assert sum(r["value"] for r in split["results"]) == total["value"], breakdown


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric": "impressions", "period": "day"}, "(#100) Starting from version v22.0 and above, the impressions metric is no longer supported"),
        ({"metric": "email_contacts", "period": "day"}, "(#100) Starting from version v21.0 and above, the email_contacts metric is no longer supported"),
        ({"metric": "reach", "period": "day", "since": "1767225600", "until": "1770000000"}, "(#100) There cannot be more than 30 days (2592000 s) between since and until"),
        ({"metric": "reach"}, "(#100) The parameter period is required"),
        ({"period": "day"}, "(#100) The parameter metric is required"),
        ({"metric": "reach", "period": "day", "since": "99999999999999"}, "(#100) The parameter since is not a valid time"),
        ({"metric": "reach", "period": "day", "until": "yesterday"}, "(#100) The parameter until is not a valid time"),
    ],
    ids=["impressions", "contact-buttons", "over-30-days", "no-period", "no-metric", "since-year-5138", "until-not-a-time"],
)  # fmt: skip
def test_account_insights_refuse_as_meta_does(graph, token, params, message):
    error = assert_error(_insights(graph, token, IG, **params), 400, 100)

    assert error["message"] == message


def test_follower_count_needs_100_followers(graph, token, sandbox):
    with sandbox.state.lock:  # the world knob: a small account
        sandbox.state.world.ig_accounts[IG].followers_count = 60

    data = _data(graph, token, IG, metric="reach,follower_count", period="day")

    assert [entry["name"] for entry in data] == ["reach"]


def test_instagram_insights_are_throttled_per_account(graph, token):
    set_settings(graph, insights_organic_calls_per_hour=2)
    first = _insights(graph, token, seed.SEED_MEDIA_COFFEE_ID, metric="reach")
    second = _insights(graph, token, IG, metric="reach", period="day")

    refused = _insights(graph, token, seed.SEED_MEDIA_COFFEE_ID, metric="reach")

    usage = [
        json.loads(r.headers["x-business-use-case-usage"])[IG][0] for r in (first, second, refused)
    ]
    assert [u["call_count"] for u in usage] == [50, 100, 100]
    assert {u["type"] for u in usage} == {"instagram"}
    assert_error(refused, 400, 80002)
    assert usage[2]["estimated_time_to_regain_access"] == 60


# --- Pages and Page posts -----------------------------------------------------------------------


def test_page_insights_need_a_page_token_with_read_insights(graph):
    user = grant_token(graph, scopes=PAGE_SCOPES)
    assert_error(_insights(graph, user, PAGE, metric="page_media_view"), 403, 210)

    scopes = ["pages_show_list", "pages_read_engagement"]
    sam = grant_token(graph, user=seed.SAM_ID, scopes=scopes)
    without = page_token(graph, sam, seed.PAGE_FITNESS_ID)
    response = _insights(graph, without, seed.PAGE_FITNESS_ID, metric="page_media_view")
    assert_error(response, 403, 10)


def test_page_daily_metrics(graph, page_tok):
    metrics = "page_media_view,page_total_media_view_unique,page_post_engagements,page_follows,page_daily_follows_unique"
    response = _insights(graph, page_tok, PAGE, metric=metrics, period="day")
    assert response.status_code == 200, response.text
    data = response.json()["data"]

    assert [entry["name"] for entry in data] == metrics.split(",")
    for entry in data:
        assert entry["id"] == f"{PAGE}/insights/{entry['name']}/day"
        assert [v["end_time"][-14:] for v in entry["values"]] == ["T07:00:00+0000"] * 2
    values = {entry["name"]: entry["values"][-1]["value"] for entry in data}
    assert values["page_media_view"] > values["page_total_media_view_unique"] > 0
    assert abs(values["page_follows"] - 13205) < 50  # the seeded Page's followers, give or take


def test_rolling_periods_and_total_over_range(graph, page_tok):
    until = int(datetime.now(tz=UTC).timestamp())
    since = until - 14 * DAY
    window = {"since": str(since), "until": str(until), "metric": "page_media_view"}
    days = _data(graph, page_tok, PAGE, period="day", **window)[0]["values"]
    weeks = _data(graph, page_tok, PAGE, period="week", **window)[0]["values"]
    [total] = _data(graph, page_tok, PAGE, period="total_over_range", **window)[0]["values"]

    assert len(days) == len(weeks)
    assert weeks[-1]["value"] == pytest.approx(sum(v["value"] for v in days[-7:]), abs=7)
    assert total["value"] == pytest.approx(sum(v["value"] for v in days), abs=len(days))


@pytest.mark.parametrize(
    ("params", "code", "subcode", "message"),
    [
        ({"metric": "page_impressions"}, 100, None, "(#100) The value must be a valid insights metric"),
        ({"metric": "page_impressions_unique"}, 100, None, "(#100) The value must be a valid insights metric"),
        ({"metric": "page_fans"}, 100, None, "(#100) The value must be a valid insights metric"),
        ({"metric": "page_media_view,post_impressions"}, 100, None, "(#100) The value must be a valid insights metric"),
        ({}, 3001, 1504028, "No metric was specified to be fetched. Please specify one or more metrics."),
        ({"metric": "page_follows", "period": "week"}, 100, None, "(#100) For field 'insights': Param period must be one of {day}"),
        ({"metric": "page_media_view", "since": "1767225600", "until": "1776000000"}, 100, 1504016, "(#100) Invalid parameter"),
    ],
    ids=["impressions", "impressions-unique", "fans", "post-metric-on-page", "no-metric", "period", "over-90-days"],
)  # fmt: skip
def test_page_insights_refuse_as_meta_does(graph, page_tok, params, code, subcode, message):
    error = assert_error(_insights(graph, page_tok, PAGE, **params), 400, code, subcode)

    assert error["message"] == message


def test_post_insights_lifetime(graph, page_tok):
    data = _data(
        graph,
        page_tok,
        seed.SEED_POST_COFFEE_ID,
        metric="post_media_view,post_impressions_organic,post_impressions_paid,post_reactions_by_type_total,post_clicks",
    )

    values = _values(data)
    assert all(entry["period"] == "lifetime" for entry in data)
    assert values["post_media_view"] == values["post_impressions_organic"] > 0
    assert values["post_impressions_paid"] == 0
    assert set(values["post_reactions_by_type_total"]) <= {
        "like",
        "love",
        "wow",
        "haha",
        "sorry",
        "anger",
    }
    assert values["post_reactions_by_type_total"]["like"] > 0
    error = assert_error(
        _insights(graph, page_tok, seed.SEED_POST_COFFEE_ID, metric="post_impressions_unique"),
        400,
        100,
    )
    assert error["message"] == "(#100) The value must be a valid insights metric"


def test_a_deleted_post_does_not_exist(graph, page_tok):
    post = graph.request("POST", f"/{PAGE}/feed", page_tok, message="Brew day").json()["id"]
    assert _data(graph, page_tok, post, metric="post_media_view") == []  # the data lag
    advance(graph, LAG + HOUR)
    assert _values(_data(graph, page_tok, post, metric="post_media_view"))["post_media_view"] > 0

    assert graph.request("DELETE", f"/{post}", page_tok).json() == {"success": True}

    assert_error(_insights(graph, page_tok, post, metric="post_media_view"), 400, 100, 33)


def test_an_ads_dark_post_has_paid_impressions_only(graph):
    user = grant_token(graph, scopes=[*PAGE_SCOPES, "ads_management", "ads_read"])
    act = seed.ACT_COFFEE_US

    def post(path, **params):
        encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
        response = graph.request("POST", path, user, **encoded)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    campaign = post(
        f"/{act}/campaigns",
        name="Dark",
        objective="OUTCOME_TRAFFIC",
        status="ACTIVE",
        special_ad_categories=[],
        is_adset_budget_sharing_enabled="false",
    )
    adset = post(
        f"/{act}/adsets",
        name="US",
        campaign_id=campaign,
        daily_budget="3000",
        billing_event="IMPRESSIONS",
        optimization_goal="LINK_CLICKS",
        targeting={"geo_locations": {"countries": ["US"]}},
        status="ACTIVE",
    )
    creative_id = post(f"/{act}/adcreatives", name="Dark", object_story_id=f"{PAGE}_99")
    story = graph.get(f"/{creative_id}", user, fields="effective_object_story_id").json()[
        "effective_object_story_id"
    ]
    post(
        f"/{act}/ads",
        name="Dark ad",
        adset_id=adset,
        creative={"creative_id": creative_id},
        status="ACTIVE",
    )
    advance(graph, DAY)

    values = _values(
        _data(
            graph,
            page_token(graph, user, PAGE),
            story,
            metric="post_impressions_paid,post_impressions_organic,post_media_view",
        )
    )

    assert values["post_impressions_organic"] == 0
    assert values["post_impressions_paid"] == values["post_media_view"] > 0


def test_page_insights_are_throttled_per_page(graph, page_tok):
    set_settings(graph, insights_organic_calls_per_hour=1)
    assert _insights(graph, page_tok, PAGE, metric="page_media_view").status_code == 200

    refused = _insights(graph, page_tok, seed.SEED_POST_COFFEE_ID, metric="post_media_view")

    assert_error(refused, 400, 80001)
    [usage] = json.loads(refused.headers["x-business-use-case-usage"])[PAGE]
    assert (usage["type"], usage["call_count"]) == ("pages", 100)


# --- determinism ------------------------------------------------------------------------------


class FixedClock:
    """A sandbox clock that stands still (so two sandboxes can be compared exactly)."""

    def __init__(self, start: float) -> None:
        self.start = start
        self._offset = 0.0

    def now(self) -> float:
        return self.start + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0


def _read_everything(seed_value: int) -> list[dict]:
    """Build a sandbox at a fixed time and read media, account and Page insights from it."""
    app = create_app(
        clock=FixedClock(1_790_000_000.0), settings=SandboxSettings(insights_seed=seed_value)
    )
    state = app.state
    user = state.grant(user_id=seed.ALEX_ID, scopes=IG_SCOPES + PAGE_SCOPES).value
    page = state.auth.page_token(state.auth.tokens[user], PAGE).value
    client = Client(app)

    def get(path, token, **params):
        params.update(access_token=token, appsecret_proof=proof(token))
        response = client.get(f"/v25.0{path}", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    state.advance_clock(2 * DAY)
    bodies = [
        get(f"/{seed.SEED_MEDIA_COFFEE_ID}/insights", user, metric="reach,views,likes"),
        get(f"/{IG}/insights", user, metric="reach", period="day"),
        get(f"/{IG}/insights", user, metric="views", period="day", metric_type="total_value"),
        get(f"/{PAGE}/insights", page, metric="page_media_view,page_follows", period="day"),
        get(f"/{seed.SEED_POST_COFFEE_ID}/insights", page, metric="post_media_view"),
    ]
    for body in bodies:
        body.pop("paging", None)  # its links carry this sandbox's tokens
    return bodies


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    first, again, other = _read_everything(1), _read_everything(1), _read_everything(7)

    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
