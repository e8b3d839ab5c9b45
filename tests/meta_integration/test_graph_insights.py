"""The Graph client's insights methods against the real sandbox over loopback (GRAPH_NOTES §4.7,
§5.4, §10): typed ad rows, async reports (including a failing one), Instagram and Page
insights, "unavailable" media, throttling and the parsed usage headers a scheduler reads."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from meta_integration import graph
from meta_integration.graph import (
    BEFORE_BUSINESS_CONVERSION,
    NOT_ENOUGH_VIEWERS,
    ErrorKind,
    GraphClient,
    GraphError,
    InsightMetric,
    ObjectInsights,
    Usage,
    UsageReading,
)
from meta_sandbox import seed
from meta_sandbox.insights import PRE_CONVERSION_MEDIA_IDS

ACT = seed.ACT_COFFEE_US
ACCOUNT_NUMBER = ACT.removeprefix("act_")
SCOPES = [
    "ads_management",
    "ads_read",
    "pages_show_list",
    "pages_read_engagement",
    "read_insights",
    "pages_manage_posts",
    "instagram_basic",
    "instagram_manage_insights",
]
DAY = 86400


def _metric(result: ObjectInsights, name: str) -> InsightMetric:
    found = result.metric(name)
    assert found is not None, name
    return found


def _usage(usage: Usage | None) -> Usage:
    assert usage is not None
    return usage


@pytest.fixture(autouse=True)
def _graph_settings(sandbox, sleeps, settings):
    settings.META_MAX_RETRIES = 3
    settings.META_API_VERSION = "v25.0"


@pytest.fixture
def token(sandbox) -> str:
    return sandbox.state.grant(user_id=seed.ALEX_ID, scopes=SCOPES).value


@pytest.fixture
def page_token(token) -> str:
    pages = graph.list_pages(access_token=token)
    return next(p.access_token for p in pages if p.id == seed.PAGE_COFFEE_ID)


@pytest.fixture
def ads(sandbox, token) -> dict[str, str]:
    """A campaign with two ad sets (US adults; young UK women) and an ad in each, delivering
    for three days, made through the client itself."""
    client = GraphClient(token)

    def create(edge: str, **params) -> str:
        return client.post(f"/{ACT}/{edge}", params)["id"]

    campaign = create(
        "campaigns",
        name="Autumn",
        objective="OUTCOME_TRAFFIC",
        status="ACTIVE",
        special_ad_categories=[],
        is_adset_budget_sharing_enabled=False,
    )
    audiences = {
        "adults": {"geo_locations": {"countries": ["US"]}, "age_min": 25, "age_max": 54},
        "young_women": {
            "geo_locations": {"countries": ["GB"]},
            "age_min": 18,
            "age_max": 24,
            "genders": [2],
        },
    }
    made = {"campaign": campaign}
    for number, (name, targeting) in enumerate(audiences.items(), start=1):
        adset = create(
            "adsets",
            name=name,
            campaign_id=campaign,
            daily_budget=4000,
            billing_event="IMPRESSIONS",
            optimization_goal="LINK_CLICKS",
            targeting=targeting,
            status="ACTIVE",
        )
        story = f"{seed.PAGE_COFFEE_ID}_{number}"
        creative = create("adcreatives", name=f"Post {number}", object_story_id=story)
        made[name] = create(
            "ads",
            name=f"Ad {name}",
            adset_id=adset,
            creative={"creative_id": creative},
            status="ACTIVE",
        )
    sandbox.state.advance_clock(3 * DAY)
    return made


# --- usage headers --------------------------------------------------------------------------------


def test_parse_usage_reads_every_header_in_any_case():
    usage = graph.parse_usage(
        {
            "x-app-usage": '{"call_count":12,"total_cputime":30,"total_time":4}',
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "104": [
                        {"type": "pages", "call_count": 40, "estimated_time_to_regain_access": 0}
                    ],
                    "act": [
                        {
                            "type": "ads_insights",
                            "call_count": 100,
                            "total_time": 20,
                            "estimated_time_to_regain_access": 7,
                            "ads_api_access_tier": "development_access",
                        }
                    ],
                }
            ),
            "X-FB-Ads-Insights-Throttle": '{"app_id_util_pct":3.5,"acc_id_util_pct":61.25}',
        }
    )

    assert usage.readings == (
        UsageReading("x-app-usage", "app", 30.0),
        UsageReading("x-business-use-case-usage", "business_use_case", 40.0, use_case="pages", object_id="104"),
        UsageReading(
            "x-business-use-case-usage",
            "business_use_case",
            100.0,
            use_case="ads_insights",
            object_id="act",
            regain_seconds=420.0,
            access_tier="development_access",
        ),
        UsageReading("x-fb-ads-insights-throttle", "app", 3.5, use_case="ads_insights"),
        UsageReading("x-fb-ads-insights-throttle", "ad_account", 61.25, use_case="ads_insights"),
    )  # fmt: skip
    assert usage.max_percent == 100.0
    assert usage.is_saturated is True
    assert usage.percent(use_case="pages") == 40.0
    assert usage.percent(scope="ad_account") == 61.25
    assert usage.percent(use_case="instagram") is None
    assert usage.wait_seconds == 420.0
    assert graph.throttle_wait({"x-fb-ads-insights-throttle": '{"acc_id_util_pct":100}'}) == 300.0
    assert graph.parse_usage({}).wait_seconds is None


def test_every_insights_answer_leaves_usage_a_scheduler_can_read(ads, token):
    first = graph.get_ad_insights(access_token=token, object_id=ACT)
    second = graph.get_ad_insights(access_token=token, object_id=ACT)

    account = _usage(first.usage).percent(scope="ad_account", use_case="ads_insights")
    assert account == pytest.approx(100 / 600, abs=0.01)  # one call of the hourly 600
    again = _usage(second.usage).percent(scope="ad_account", use_case="ads_insights")
    assert again == pytest.approx(200 / 600, abs=0.01)
    [buc] = [r for r in _usage(second.usage).readings if r.scope == "business_use_case"]
    assert (buc.use_case, buc.object_id, buc.regain_seconds) == (
        "ads_insights",
        ACCOUNT_NUMBER,
        None,
    )
    assert _usage(second.usage).wait_seconds is None


def test_the_client_keeps_the_last_answers_usage(sandbox, token):
    client = GraphClient(token)
    assert client.last_usage is None

    client.get(f"/{seed.SEED_MEDIA_COFFEE_ID}/insights", {"metric": "reach"})

    [reading] = _usage(client.last_usage).readings
    assert (reading.use_case, reading.object_id) == ("instagram", seed.IG_COFFEE_ID)


# --- ads ------------------------------------------------------------------------------------------


def test_ad_insights_come_back_typed(ads, token):
    result = graph.get_ad_insights(
        access_token=token,
        object_id=ads["campaign"],
        level="ad",
        date_preset="last_7d",
        attribution_windows=("1d_click", "7d_click"),
    )

    rows = {row.ad_id: row for row in result.rows}
    assert set(rows) == {ads["adults"], ads["young_women"]}
    for row in rows.values():
        assert isinstance(row.date_start, date)
        assert row.date_stop - row.date_start == timedelta(days=6)
        assert (row.account_id, row.campaign_id) == (ACCOUNT_NUMBER, ads["campaign"])
        assert isinstance(row.impressions, int)
        assert row.impressions > 0
        assert isinstance(row.spend, Decimal)
        assert row.spend > 0
        assert isinstance(row.clicks, int)
        assert row.ctr == pytest.approx(
            Decimal(row.clicks * 100) / row.impressions, rel=Decimal("1e-5")
        )
        link = row.action("link_click")
        assert isinstance(link, Decimal)
        assert link > 0
        [clicks] = [a for a in row.actions if a.action_type == "link_click"]
        assert set(clicks.windows) == {"1d_click", "7d_click"}
        assert row.fields["spend"] == str(row.fields["spend"])  # Meta's strings kept as sent
    assert rows[ads["adults"]].ctr != rows[ads["young_women"]].ctr  # audiences differ


def test_breakdowns_daily_rows_and_a_time_range(ads, token):
    today = datetime.now(tz=UTC).date()
    result = graph.get_ad_insights(
        access_token=token,
        object_id=ads["young_women"],
        fields=("impressions", "spend"),
        since=today - timedelta(days=6),
        until=today,
        time_increment=1,
        breakdowns=("age", "gender"),
    )

    assert {row.breakdowns["age"] for row in result.rows} == {"18-24"}
    assert {row.breakdowns["gender"] for row in result.rows} <= {"female", "unknown"}
    assert all(row.date_start == row.date_stop for row in result.rows)
    with pytest.raises(ValueError, match="since and until"):
        graph.get_ad_insights(access_token=token, object_id=ACT, since=today)


def test_an_async_report_is_started_polled_and_read(ads, token, sandbox):
    synchronous = graph.get_ad_insights(access_token=token, object_id=ACT, level="adset")
    run = graph.start_ad_insights_report(access_token=token, object_id=ACT, level="adset")

    polled = graph.get_ad_insights_report(access_token=token, report_run_id=run.id)
    assert (polled.status, polled.percent, polled.is_completed) == ("Job Not Started", 0, False)
    sandbox.state.advance_clock(60)
    done = graph.get_ad_insights_report(access_token=token, report_run_id=run.id)
    result = graph.read_ad_insights_report(access_token=token, report_run_id=run.id)

    assert run.usage is not None
    assert done.is_completed is True
    assert done.time_completed is not None
    assert [row.fields for row in result.rows] == [row.fields for row in synchronous.rows]


def test_a_failed_report_says_so_and_reading_it_is_refused(ads, token, sandbox, sleeps):
    sandbox.state.update_settings(insights_fail_next_reports=1)
    run = graph.start_ad_insights_report(access_token=token, object_id=ACT)
    sandbox.state.advance_clock(60)

    polled = graph.get_ad_insights_report(access_token=token, report_run_id=run.id)
    with pytest.raises(GraphError) as caught:
        graph.read_ad_insights_report(access_token=token, report_run_id=run.id)

    assert (polled.status, polled.is_failed, polled.is_completed) == ("Job Failed", True, False)
    assert (caught.value.code, caught.value.subcode) == (-2, 2490547)
    assert caught.value.kind is ErrorKind.INVALID
    assert sleeps == []  # not retried: a new run is what helps


def test_an_over_budget_account_is_throttled_with_the_time_to_wait(ads, token, sandbox, sleeps):
    sandbox.state.update_settings(insights_account_calls_per_hour=1)
    graph.get_ad_insights(access_token=token, object_id=ACT)

    with pytest.raises(GraphError) as caught:
        graph.get_ad_insights(access_token=token, object_id=ACT)

    error = caught.value
    assert (error.code, error.kind, error.retry_after) == (80000, ErrorKind.THROTTLED, 3600.0)
    assert sleeps == []  # an hour is longer than the client waits: the job reschedules


def test_the_apps_insights_limit_is_throttled_too(ads, token, sandbox, sleeps):
    sandbox.state.update_settings(insights_app_calls_per_hour=1)
    graph.get_ad_insights(access_token=token, object_id=ACT)

    with pytest.raises(GraphError) as caught:
        graph.get_ad_insights(access_token=token, object_id=ads["adults"])

    assert (caught.value.code, caught.value.subcode) == (4, 1504022)
    assert caught.value.is_throttled
    assert caught.value.retry_after == 3600.0  # the call that fills the budget ages out


def test_ads_insights_without_ads_read_is_a_permission_error(sandbox):
    token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=["pages_show_list"]).value

    with pytest.raises(GraphError) as caught:
        graph.get_ad_insights(access_token=token, object_id=ACT)

    assert (caught.value.code, caught.value.kind) == (200, ErrorKind.PERMISSION)


# --- Instagram ------------------------------------------------------------------------------------


def test_ig_media_insights(token):
    result = graph.get_ig_media_insights(
        access_token=token,
        media_id=seed.SEED_MEDIA_COFFEE_ID,
        metrics=("reach", "views", "profile_activity"),
        breakdown=None,
    )

    assert result.unavailable is None
    reach = _metric(result, "reach")
    assert (reach.period, reach.title) == ("lifetime", "Accounts reached")
    assert isinstance(reach.latest, int)
    assert (result.number("views") or 0) > reach.latest > 0
    # Meta's BUC figures are whole percentages: one call of a thousand an hour reads 0.
    assert _usage(result.usage).percent(use_case="instagram") == 0.0


def test_a_story_with_too_few_viewers_is_unavailable_not_an_error(sandbox, token):
    with sandbox.state.lock:  # a tiny account: its story reaches fewer than 5 people
        sandbox.state.world.ig_accounts[seed.IG_COFFEE_ID].followers_count = 20

    result = graph.get_ig_media_insights(
        access_token=token, media_id=seed.SEED_STORY_COFFEE_ID, metrics=("reach",)
    )

    assert (result.unavailable, result.metrics) == (NOT_ENOUGH_VIEWERS, ())


def test_media_from_before_the_business_conversion_is_unavailable(token):
    [media] = PRE_CONVERSION_MEDIA_IDS

    result = graph.get_ig_media_insights(access_token=token, media_id=media, metrics=("reach",))

    assert result.unavailable == BEFORE_BUSINESS_CONVERSION


def test_a_deprecated_metric_is_an_invalid_request(token, sleeps):
    with pytest.raises(GraphError) as caught:
        graph.get_ig_media_insights(
            access_token=token, media_id=seed.SEED_MEDIA_COFFEE_ID, metrics=("impressions",)
        )

    assert (caught.value.code, caught.value.kind) == (100, ErrorKind.INVALID)
    assert sleeps == []


def test_ig_account_series_and_totals(token):
    until = datetime.now(tz=UTC)
    series = graph.get_ig_account_insights(
        access_token=token,
        ig_user_id=seed.IG_COFFEE_ID,
        metrics=("reach", "follower_count"),
        since=until - timedelta(days=7),
        until=until,
    )
    totals = graph.get_ig_account_insights(
        access_token=token,
        ig_user_id=seed.IG_COFFEE_ID,
        metrics=("reach",),
        metric_type="total_value",
        breakdown="media_product_type",
    )
    engaged_total = graph.get_ig_account_insights(
        access_token=token,
        ig_user_id=seed.IG_COFFEE_ID,
        metrics=("accounts_engaged",),
        metric_type="total_value",
    )

    reach = _metric(series, "reach")
    assert len(reach.values) == 7
    ends = [value.end_time for value in reach.values]
    assert all(end is not None and end.tzinfo is not None and end.hour == 7 for end in ends)
    assert (series.number("follower_count") or 0) > 0
    engaged = _metric(engaged_total, "accounts_engaged")
    assert engaged.values == ()
    assert isinstance(engaged.total, int)
    assert engaged.total > 0
    [split] = _metric(totals, "reach").breakdowns
    assert split.dimension_keys == ("media_product_type",)
    assert sum(value for _, value in split.results) == totals.number("reach")
    with pytest.raises(ValueError, match="timezone-aware"):
        graph.get_ig_account_insights(
            access_token=token,
            ig_user_id=seed.IG_COFFEE_ID,
            metrics=("reach",),
            since=datetime(2026, 1, 1),  # noqa: DTZ001 - the mistake under test
        )


# --- Pages ----------------------------------------------------------------------------------------


def test_page_insights_with_the_page_token(page_token):
    result = graph.get_page_insights(
        page_access_token=page_token,
        page_id=seed.PAGE_COFFEE_ID,
        metrics=("page_media_view", "page_follows"),
    )

    views = _metric(result, "page_media_view")
    assert views.period == "day"
    assert len(views.values) == 2
    assert all(isinstance(v.value, int) for v in views.values)
    assert _usage(result.usage).percent(use_case="pages") == 0.0  # whole percent of 1,000 an hour


def test_page_insights_need_the_page_token(token, sleeps):
    with pytest.raises(GraphError) as caught:
        graph.get_page_insights(
            page_access_token=token, page_id=seed.PAGE_COFFEE_ID, metrics=("page_media_view",)
        )

    assert (caught.value.code, caught.value.kind) == (210, ErrorKind.PERMISSION)


def test_post_insights_and_a_deleted_post(page_token, sandbox):
    client = GraphClient(page_token)
    post_id = client.post(f"/{seed.PAGE_COFFEE_ID}/feed", {"message": "Cupping Friday"})["id"]
    fresh = graph.get_page_post_insights(
        page_access_token=page_token, post_id=post_id, metrics=("post_media_view",)
    )
    sandbox.state.advance_clock(6 * 3600)
    later = graph.get_page_post_insights(
        page_access_token=page_token,
        post_id=post_id,
        metrics=("post_media_view", "post_reactions_by_type_total"),
    )
    client.delete(f"/{post_id}")

    assert fresh.metrics == ()  # the data lag: no numbers yet, not zeros
    assert (later.number("post_media_view") or 0) > 0
    reactions = _metric(later, "post_reactions_by_type_total").latest
    assert isinstance(reactions, dict)
    assert reactions["like"] > 0
    with pytest.raises(GraphError) as caught:
        graph.get_page_post_insights(
            page_access_token=page_token, post_id=post_id, metrics=("post_media_view",)
        )
    assert (caught.value.code, caught.value.subcode) == (100, 33)
