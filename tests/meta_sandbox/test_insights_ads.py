"""Ads insights in the sandbox (GRAPH_NOTES §4.7, §5.4): fields and numbers as strings, levels,
date presets and ranges, time increments, breakdowns by audience, budgets and pauses, the data
lag, async report runs (including a failing one), usage headers and throttling, permissions."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from meta_sandbox import insights, seed
from meta_sandbox.objects import AdReportRun
from tests.meta_sandbox.helpers import (
    advance,
    assert_error,
    grant_token,
    set_settings,
)

ACT = seed.ACT_COFFEE_US  # USD, America/Los_Angeles (-8 h)
ACCOUNT_NUMBER = ACT.removeprefix("act_")
SCOPES = ["ads_management", "ads_read", "pages_show_list"]
YOUNG = {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 34}
OLDER_WOMEN = {"geo_locations": {"countries": ["US", "GB"]}, "age_min": 45, "age_max": 65}
OLDER_WOMEN["genders"] = [2]
DAILY_BUDGET_CENTS = 5000  # $50 a day per ad set
METRICS = "impressions,reach,frequency,clicks,spend,ctr,cpc,cpm,actions,cost_per_action_type"


@pytest.fixture
def token(graph):
    return grant_token(graph, scopes=SCOPES)


def _post(graph, token, path, **params):
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    response = graph.request("POST", path, token, **encoded)
    assert response.status_code == 200, response.text
    return response.json()


def _adset(graph, token, campaign, name, targeting, budget=DAILY_BUDGET_CENTS):
    return _post(
        graph,
        token,
        f"/{ACT}/adsets",
        name=name,
        campaign_id=campaign,
        daily_budget=str(budget),
        billing_event="IMPRESSIONS",
        optimization_goal="LINK_CLICKS",
        targeting=targeting,
        status="ACTIVE",
    )["id"]


def _creative(graph, token, name, post_number):
    story = f"{seed.PAGE_COFFEE_ID}_{post_number}"
    return _post(graph, token, f"/{ACT}/adcreatives", name=name, object_story_id=story)["id"]


def _ad(graph, token, adset, creative, name):
    creative_spec = {"creative_id": creative}
    return _post(
        graph,
        token,
        f"/{ACT}/ads",
        name=name,
        adset_id=adset,
        creative=creative_spec,
        status="ACTIVE",
    )["id"]


@pytest.fixture
def chain(graph, token):
    """One campaign, two ad sets (young people; older women) with the same creative, and a
    second creative in the young ad set: three ads, delivering for two and a half days."""
    campaign = _post(
        graph,
        token,
        f"/{ACT}/campaigns",
        name="Spring",
        objective="OUTCOME_TRAFFIC",
        status="ACTIVE",
        special_ad_categories=[],
        is_adset_budget_sharing_enabled="false",
    )["id"]
    young = _adset(graph, token, campaign, "Young", YOUNG)
    older = _adset(graph, token, campaign, "Older women", OLDER_WOMEN)
    roast = _creative(graph, token, "Spring roast", 1)
    latte = _creative(graph, token, "Oat latte", 2)
    ads = {
        "young_roast": _ad(graph, token, young, roast, "Young / roast"),
        "young_latte": _ad(graph, token, young, latte, "Young / latte"),
        "older_roast": _ad(graph, token, older, roast, "Older / roast"),
    }
    advance(graph, 2.5 * 86400)
    return {"campaign": campaign, "young": young, "older": older, **ads}


def _get(graph, token, node, **params):
    return graph.get(f"/{node}/insights", token, **params)


def _rows(graph, token, node, **params):
    response = _get(graph, token, node, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _account_today(graph) -> date:
    now = graph.session.get(f"{graph.sandbox.url}/_sandbox/clock", timeout=10).json()["now"]
    return datetime.fromtimestamp(now - 8 * 3600, tz=UTC).date()


# --- fields, numbers and dates -----------------------------------------------------------------


def test_numbers_are_strings_with_the_range_as_date_start_and_stop(graph, token, chain):
    rows = _rows(graph, token, ACT, fields=f"account_id,{METRICS}", date_preset="last_7d")

    today = _account_today(graph)
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == ["account_id", *METRICS.split(","), "date_start", "date_stop"]
    assert row["account_id"] == ACCOUNT_NUMBER
    assert (row["date_start"], row["date_stop"]) == (
        (today - timedelta(days=7)).isoformat(),
        (today - timedelta(days=1)).isoformat(),
    )
    for name in ("impressions", "reach", "clicks"):
        assert row[name].isdigit(), name  # a string of digits
        assert int(row[name]) > 0
    for name in ("spend", "ctr", "cpc", "cpm", "frequency"):
        assert isinstance(row[name], str), name
        assert Decimal(row[name]) > 0
    impressions, clicks, spend = int(row["impressions"]), int(row["clicks"]), Decimal(row["spend"])
    assert Decimal(row["ctr"]) == pytest.approx(
        Decimal(clicks * 100) / impressions, rel=Decimal("1e-5")
    )
    assert Decimal(row["cpm"]) == pytest.approx(spend * 1000 / impressions, rel=Decimal("1e-5"))
    assert Decimal(row["frequency"]) > 1
    actions = {a["action_type"]: a["value"] for a in row["actions"]}
    assert {"link_click", "landing_page_view", "post_engagement"} <= set(actions)
    assert all(isinstance(value, str) for value in actions.values())
    costs = {c["action_type"]: Decimal(c["value"]) for c in row["cost_per_action_type"]}
    link_clicks = int(actions["link_click"])
    assert costs["link_click"] == pytest.approx(spend / link_clicks, rel=Decimal("1e-5"))


def test_default_fields_and_the_last_30_days(graph, token, chain):
    rows = _rows(graph, token, ACT)

    today = _account_today(graph)
    assert [set(row) for row in rows] == [
        {"account_id", "impressions", "spend", "date_start", "date_stop"}
    ]
    assert rows[0]["date_start"] == (today - timedelta(days=30)).isoformat()
    assert rows[0]["date_stop"] == (today - timedelta(days=1)).isoformat()


def test_levels_give_a_row_per_object_with_its_ids_and_names(graph, token, chain):
    fields = "campaign_name,adset_id,adset_name,ad_id,ad_name,spend"
    ads = _rows(graph, token, ACT, level="ad", fields=fields, date_preset="maximum")
    adsets = _rows(
        graph, token, chain["campaign"], level="adset", fields=fields, date_preset="maximum"
    )

    assert sorted(row["ad_name"] for row in ads) == [
        "Older / roast",
        "Young / latte",
        "Young / roast",
    ]
    assert {row["campaign_name"] for row in ads} == {"Spring"}
    assert sorted(row["adset_name"] for row in adsets) == ["Older women", "Young"]
    assert all("ad_id" not in row and "ad_name" not in row for row in adsets)
    by_adset = {row["adset_id"]: Decimal(row["spend"]) for row in adsets}
    young_ads = [Decimal(r["spend"]) for r in ads if r["adset_id"] == chain["young"]]
    assert by_adset[chain["young"]] == pytest.approx(sum(young_ads), abs=Decimal("0.02"))


def test_daily_rows_add_up_to_the_whole_range(graph, token, chain):
    today = _account_today(graph)
    time_range = json.dumps(
        {"since": (today - timedelta(days=5)).isoformat(), "until": today.isoformat()}
    )
    whole = _rows(graph, token, ACT, fields="impressions,clicks,spend", time_range=time_range)
    daily = _rows(
        graph,
        token,
        ACT,
        fields="impressions,clicks,spend",
        time_range=time_range,
        time_increment="1",
    )

    days = [date.fromisoformat(row["date_start"]) for row in daily]
    assert [row["date_stop"] for row in daily] == [row["date_start"] for row in daily]
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    assert len(days) >= 3  # two and a half days of delivery touch three or four dates
    for name in ("impressions", "clicks"):
        assert sum(int(row[name]) for row in daily) == int(whole[0][name])
    total = sum(Decimal(row["spend"]) for row in daily)
    assert total == pytest.approx(Decimal(whole[0]["spend"]), abs=Decimal("0.03"))


def test_a_range_into_the_future_stops_at_today(graph, token, chain):
    # From yesterday: the delivery ends now, and when now is just past the account's midnight
    # today has delivered nothing yet (no row), which made a range from today time-of-day
    # dependent (it failed in a run at about 20:25 UTC: with the chain's 2.5 days on the
    # sandbox clock, just past midnight in the account's zone, UTC-8).
    today = _account_today(graph)
    since = today - timedelta(days=1)
    time_range = json.dumps({"since": since.isoformat(), "until": "9999-12-31"})

    daily = _rows(graph, token, ACT, fields="spend", time_range=time_range, time_increment="1")
    whole = _rows(graph, token, ACT, fields="spend", time_range=time_range)

    days = [row["date_start"] for row in daily]
    assert days in ([since.isoformat()], [since.isoformat(), today.isoformat()])
    assert [row["date_stop"] for row in daily] == days  # one day each, none after today
    assert (whole[0]["date_start"], whole[0]["date_stop"]) == (since.isoformat(), "9999-12-31")
    total = sum(Decimal(row["spend"]) for row in daily)
    assert Decimal(whole[0]["spend"]) == pytest.approx(total, abs=Decimal("0.02"))


def test_weekly_and_monthly_increments(graph, token, chain):
    today = _account_today(graph)
    since = today - timedelta(days=40)
    time_range = json.dumps({"since": since.isoformat(), "until": today.isoformat()})

    weekly = _rows(graph, token, ACT, fields="spend", time_range=time_range, time_increment="7")
    monthly = _rows(
        graph, token, ACT, fields="spend", time_range=time_range, time_increment="monthly"
    )

    last = weekly[-1]
    assert date.fromisoformat(last["date_start"]) <= today - timedelta(days=2)
    assert (
        date.fromisoformat(last["date_stop"]) - date.fromisoformat(last["date_start"])
    ).days <= 6
    assert all(
        date.fromisoformat(row["date_start"]).day == 1 or row["date_start"] == since.isoformat()
        for row in monthly
    )
    assert sum(Decimal(r["spend"]) for r in monthly) == pytest.approx(
        sum(Decimal(r["spend"]) for r in weekly), abs=Decimal("0.05")
    )


@pytest.mark.parametrize(
    ("params", "status", "code", "subcode"),
    [
        ({"time_range": "{not json"}, 400, 100, None),
        ({"time_range": json.dumps({"since": "2026-01-10"})}, 400, 100, None),
        (
            {"time_range": json.dumps({"since": "2026-02-10", "until": "2026-01-10"})},
            400,
            100,
            None,
        ),
        (
            {"time_range": json.dumps({"since": "2020-01-01", "until": "2020-01-31"})},
            400,
            3018,
            None,
        ),
        ({"date_preset": "lifetime"}, 400, 100, None),
        ({"time_increment": "91"}, 400, 100, None),
        ({"fields": "spend,engagement_rate"}, 400, 100, None),
        ({"level": "campaign"}, 400, 100, None),  # above the queried ad set
        ({"breakdowns": "hair_colour"}, 400, 100, None),
        ({"breakdowns": "age,country"}, 400, 2, 1504041),
        ({"breakdowns": "platform_position"}, 400, 2, 1504041),
        ({"action_attribution_windows": '["2d_click"]'}, 400, 100, None),
    ],
    ids=[
        "range-not-json",
        "range-without-until",
        "range-backwards",
        "older-than-37-months",
        "lifetime-preset-removed",
        "increment-too-big",
        "unknown-field",
        "level-above-node",
        "unknown-breakdown",
        "breakdown-combination",
        "position-without-platform",
        "unknown-window",
    ],
)
def test_bad_parameters_get_metas_errors_with_the_usage_headers(
    graph, token, chain, params, status, code, subcode
):
    response = _get(graph, token, chain["young"], **params)

    error = assert_error(response, status, code, subcode)
    assert error["is_transient"] is False
    assert "x-fb-ads-insights-throttle" in response.headers


# --- audiences, creatives, budgets --------------------------------------------------------------


def test_breakdowns_follow_each_ad_sets_targeting(graph, token, chain):
    young_ages = _rows(graph, token, chain["young"], fields="impressions", breakdowns="age")
    older = _rows(graph, token, chain["older"], fields="impressions", breakdowns="age,gender")
    countries = _rows(graph, token, chain["older"], fields="spend", breakdowns="country")
    placements = _rows(
        graph,
        token,
        chain["young"],
        fields="impressions",
        breakdowns="publisher_platform,platform_position",
    )

    assert [row["age"] for row in young_ages] == ["18-24", "25-34"]
    assert {row["age"] for row in older} == {"45-54", "55-64", "65+"}
    assert "male" not in {row["gender"] for row in older}
    assert {row["country"] for row in countries} == {"US", "GB"}
    assert {row["publisher_platform"] for row in placements} <= {
        "facebook",
        "instagram",
        "audience_network",
        "messenger",
    }
    assert all(
        set(row)
        == {"impressions", "date_start", "date_stop", "publisher_platform", "platform_position"}
        for row in placements
    )
    whole = int(_rows(graph, token, chain["young"], fields="impressions")[0]["impressions"])
    assert sum(int(row["impressions"]) for row in young_ages) == pytest.approx(whole, abs=4)


def test_audiences_and_creatives_perform_differently(graph, token, chain):
    fields = "ad_id,impressions,clicks,ctr,cpm"
    rows = {row["ad_id"]: row for row in _rows(graph, token, ACT, level="ad", fields=fields)}

    same_creative = rows[chain["young_roast"]], rows[chain["older_roast"]]
    same_audience = rows[chain["young_roast"]], rows[chain["young_latte"]]
    assert same_creative[0]["ctr"] != same_creative[1]["ctr"]
    assert same_creative[0]["cpm"] != same_creative[1]["cpm"]  # a narrower audience costs more
    assert same_audience[0]["ctr"] != same_audience[1]["ctr"]
    age_rows = _rows(graph, token, chain["young_roast"], fields="ctr", breakdowns="age")
    assert len({row["ctr"] for row in age_rows}) == 2  # segments click differently too


def test_spend_stays_within_each_ad_sets_daily_budget(graph, token, chain):
    rows = _rows(
        graph,
        token,
        ACT,
        level="adset",
        fields="adset_id,spend",
        date_preset="last_7d",
        time_increment="1",
    )

    budget = Decimal(DAILY_BUDGET_CENTS) / 100
    by_adset: dict[str, list[Decimal]] = {}
    for row in sorted(rows, key=lambda r: r["date_start"]):
        by_adset.setdefault(row["adset_id"], []).append(Decimal(row["spend"]))
    assert set(by_adset) == {chain["young"], chain["older"]}
    for days in by_adset.values():
        assert all(spend <= budget for spend in days)
        # The first day is partial; the next ones delivered all day, a little under budget.
        assert len(days) >= 2
        assert all(spend > budget * Decimal("0.75") for spend in days[1:])


def test_account_currency_and_spend_in_major_units(graph, token):
    grant = grant_token(graph, user=seed.SAM_ID, scopes=SCOPES)
    campaign = _post(
        graph,
        grant,
        f"/{seed.ACT_FITNESS}/campaigns",
        name="Lagos",
        objective="OUTCOME_TRAFFIC",
        status="ACTIVE",
        special_ad_categories=[],
        daily_budget="2000000",  # ₦20,000 a day, campaign budget
    )["id"]
    targeting = {"geo_locations": {"countries": ["NG"]}, "age_min": 18, "age_max": 65}
    adset = _post(
        graph,
        grant,
        f"/{seed.ACT_FITNESS}/adsets",
        name="Lagos adults",
        campaign_id=campaign,
        billing_event="IMPRESSIONS",
        optimization_goal="LINK_CLICKS",
        targeting=targeting,
        status="ACTIVE",
    )["id"]
    story = f"{seed.PAGE_FITNESS_ID}_7"
    creative = _post(
        graph, grant, f"/{seed.ACT_FITNESS}/adcreatives", name="Bootcamp", object_story_id=story
    )["id"]
    _post(
        graph,
        grant,
        f"/{seed.ACT_FITNESS}/ads",
        name="Bootcamp ad",
        adset_id=adset,
        creative={"creative_id": creative},
        status="ACTIVE",
    )
    advance(graph, 3 * 86400)

    rows = _rows(
        graph, grant, seed.ACT_FITNESS, fields="account_currency,spend,cpm", date_preset="yesterday"
    )

    assert rows[0]["account_currency"] == "NGN"
    assert Decimal("15000") < Decimal(rows[0]["spend"]) <= Decimal("20000")
    assert Decimal(rows[0]["cpm"]) > 500  # naira, not dollars


def test_a_paused_ad_stops_growing_and_resumes(graph, token, chain):
    def spend():
        row = _rows(graph, token, chain["young_latte"], fields="spend", date_preset="maximum")
        return Decimal(row[0]["spend"])

    _post(graph, token, f"/{chain['young_latte']}", status="PAUSED")
    advance(graph, 3600)  # past the data lag: the last delivery before the pause shows
    paused = spend()
    advance(graph, 86400)
    assert spend() == paused

    _post(graph, token, f"/{chain['young_latte']}", status="ACTIVE")
    advance(graph, 6 * 3600)
    assert spend() > paused


def test_a_paused_campaign_stops_its_ads(graph, token, chain):
    def spend():
        rows = _rows(graph, token, ACT, fields="spend", date_preset="maximum")
        return Decimal(rows[0]["spend"])

    _post(graph, token, f"/{chain['campaign']}", status="PAUSED")
    advance(graph, 3600)
    before = spend()
    advance(graph, 86400)

    assert spend() == before


def test_data_shows_as_late_as_the_delay_setting_says(graph, token, chain):
    def spend():
        rows = _rows(graph, token, chain["young_roast"], fields="spend", date_preset="maximum")
        return Decimal(rows[0]["spend"])

    half_hour_late = spend()
    set_settings(graph, insights_delay_seconds=2.5 * 3600)
    two_and_a_half_hours_late = spend()

    # Two hours less of delivery at a little under $25 a day (the ad set's $50, two ads).
    missing = half_hour_late - two_and_a_half_hours_late
    assert Decimal(25) / 24 * 2 * Decimal("0.8") < missing <= Decimal(25) / 24 * 2


def test_a_new_ad_has_no_rows_until_review_and_lag_are_over(graph, token, chain):
    ad = _ad(graph, token, chain["older"], _creative(graph, token, "New", 3), "Brand new")
    advance(graph, 120)  # reviewed, but the data lags 30 minutes

    assert _rows(graph, token, ad, date_preset="maximum") == []
    advance(graph, 3600)
    assert int(_rows(graph, token, ad, date_preset="maximum")[0]["impressions"]) > 0


def test_a_deleted_ad_does_not_exist(graph, token, chain):
    _post(graph, token, f"/{chain['older_roast']}", status="DELETED")

    assert_error(_get(graph, token, chain["older_roast"]), 400, 100, 33)


def test_rows_are_paged(graph, token, chain):
    first = _get(graph, token, ACT, level="ad", fields="ad_id,spend", limit="2").json()
    assert len(first["data"]) == 2
    following = graph.session.get(first["paging"]["next"], timeout=10).json()

    assert len(following["data"]) == 1
    assert "next" not in following["paging"]
    ids = {row["ad_id"] for row in first["data"] + following["data"]}
    assert ids == {chain["young_roast"], chain["young_latte"], chain["older_roast"]}


def test_attribution_windows_are_returned_per_action(graph, token, chain):
    rows = _rows(
        graph,
        token,
        chain["young_roast"],
        fields="actions",
        action_attribution_windows='["1d_click","7d_click","7d_view"]',
    )

    link = next(a for a in rows[0]["actions"] if a["action_type"] == "link_click")
    assert set(link) == {"action_type", "value", "1d_click", "7d_click"}  # 7d_view: no more
    assert int(link["1d_click"]) <= int(link["7d_click"]) == int(link["value"])


def test_a_too_big_synchronous_query_must_go_async(graph, token, chain):
    set_settings(graph, insights_sync_row_limit=10)

    response = _get(graph, token, ACT, level="ad", time_increment="1", breakdowns="age")

    assert_error(response, 400, 100, 1504018)


def test_a_query_too_big_to_answer_directly_is_read_through_a_report(graph, token, chain):
    set_settings(graph, insights_sync_row_limit=10)
    params = {"level": "ad", "time_increment": "1", "breakdowns": "age"}
    started = graph.request("POST", f"/{ACT}/insights", token, **params)
    assert started.status_code == 200, started.text
    report_id = started.json()["report_run_id"]
    advance(graph, 600)

    response = graph.get(f"/{report_id}/insights", token, limit=500)

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) > 10  # more rows than a direct query may return


# --- async report runs ------------------------------------------------------------------------


def _run(graph, token, report_id, **params):
    response = graph.get(f"/{report_id}", token, **params)
    assert response.status_code == 200, response.text
    assert "x-fb-ads-insights-throttle" in response.headers
    return response.json()


def test_an_async_report_runs_on_the_sandbox_clock(graph, token, chain):
    params = {"level": "ad", "fields": "ad_id,spend,clicks", "date_preset": "last_7d"}
    synchronous = _rows(graph, token, ACT, **params)
    started = graph.request("POST", f"/{ACT}/insights", token, **params)
    assert started.status_code == 200, started.text
    report_id = started.json()["report_run_id"]

    waiting = _run(graph, token, report_id)
    assert (waiting["async_status"], waiting["async_percent_completion"]) == ("Job Not Started", 0)
    assert waiting["account_id"] == ACCOUNT_NUMBER
    assert_error(graph.get(f"/{report_id}/insights", token), 400, 100)
    advance(graph, 8)
    running = _run(
        graph, token, report_id, fields="async_status,async_percent_completion,is_running"
    )
    assert running["async_status"] == "Job Running"
    assert 0 < running["async_percent_completion"] < 100
    assert running["is_running"] is True
    advance(graph, 3600)  # the results are the numbers as of the start, not of now
    done = _run(graph, token, report_id)
    assert (done["async_status"], done["async_percent_completion"]) == ("Job Completed", 100)
    assert done["time_completed"] == done["time_ref"] + 20
    results = graph.get(f"/{report_id}/insights", token)
    assert results.status_code == 200, results.text
    assert results.json()["data"] == synchronous


def test_a_failing_report_ends_with_job_failed(graph, token, chain):
    set_settings(graph, insights_fail_next_reports=1)
    failing = graph.request("POST", f"/{chain['campaign']}/insights", token).json()["report_run_id"]
    working = graph.request("POST", f"/{chain['campaign']}/insights", token).json()["report_run_id"]
    advance(graph, 30)

    failed = _run(graph, token, failing)
    assert failed["async_status"] == "Job Failed"
    assert failed["async_percent_completion"] < 100
    error = assert_error(graph.get(f"/{failing}/insights", token), 400, -2, 2490547)
    assert error["is_transient"] is False  # reading it again cannot help: start a new run
    assert _run(graph, token, working)["async_status"] == "Job Completed"


def test_a_report_run_is_invisible_to_a_token_without_its_account(graph, token, chain):
    report_id = graph.request("POST", f"/{ACT}/insights", token).json()["report_run_id"]
    other = grant_token(graph, user=seed.SAM_ID, scopes=SCOPES)

    assert_error(graph.get(f"/{report_id}", other), 400, 100, 33)
    assert_error(graph.get(f"/{report_id}/insights", other), 400, 100, 33)


# --- usage headers, throttling, permissions ------------------------------------------------


def _usage(response):
    throttle = json.loads(response.headers["x-fb-ads-insights-throttle"])
    buc = json.loads(response.headers["x-business-use-case-usage"])[ACCOUNT_NUMBER][0]
    return throttle, buc


def test_usage_grows_with_each_call_then_the_account_is_throttled(graph, token, chain):
    set_settings(graph, insights_account_calls_per_hour=4)

    seen = []
    for _ in range(4):
        response = _get(graph, token, chain["young"])
        assert response.status_code == 200
        seen.append(_usage(response))
    refused = _get(graph, token, chain["young"])

    assert [throttle["acc_id_util_pct"] for throttle, _ in seen] == [25.0, 50.0, 75.0, 100.0]
    assert [buc["call_count"] for _, buc in seen] == [25, 50, 75, 100]
    assert all(buc["type"] == "ads_insights" for _, buc in seen)
    assert seen[0][0]["ads_api_access_tier"] == "development_access"
    error = assert_error(refused, 400, 80000)
    assert error["is_transient"] is True
    throttle, buc = _usage(refused)
    assert throttle["acc_id_util_pct"] == 100.0
    assert buc["estimated_time_to_regain_access"] == 60
    advance(graph, 3600)
    assert _get(graph, token, chain["young"]).status_code == 200


def test_the_app_wide_insights_limit_answers_4_1504022(graph, token, chain):
    set_settings(graph, insights_app_calls_per_hour=2)
    for _ in range(2):
        assert _get(graph, token, ACT).status_code == 200

    refused = _get(graph, token, ACT)

    assert_error(refused, 400, 4, 1504022)
    assert _usage(refused)[0]["app_id_util_pct"] == 100.0


def test_reading_ads_insights_needs_ads_read(graph):
    without = grant_token(graph, scopes=["pages_show_list"])

    response = _get(graph, without, ACT)

    assert_error(response, 403, 200)


# --- determinism ---------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(graph, token, chain):
    params = {
        "level": "ad",
        "fields": "ad_name,impressions,clicks,spend",
        "date_preset": "yesterday",
    }
    first = _rows(graph, token, ACT, **params)
    again = _rows(graph, token, ACT, **params)
    set_settings(graph, insights_seed=2)
    reseeded = _rows(graph, token, ACT, **params)

    assert first == again
    assert [row["ad_name"] for row in reseeded] == [row["ad_name"] for row in first]
    assert [row["clicks"] for row in reseeded] != [row["clicks"] for row in first]


def test_report_status_follows_its_duration():
    run = AdReportRun(
        id="1", owner_id=ACT, created_at=1000.0, object_id=ACT, params={}, duration_seconds=20
    )
    failing = AdReportRun(
        id="2",
        owner_id=ACT,
        created_at=1000.0,
        object_id=ACT,
        params={},
        duration_seconds=20,
        fails=True,
    )

    assert insights.report_status(run, 1000.5).status == "Job Not Started"
    assert insights.report_status(run, 1002).status == "Job Started"
    assert insights.report_status(run, 1010) == insights.RunStatus("Job Running", 50, None)
    assert insights.report_status(run, 1020) == insights.RunStatus("Job Completed", 100, 1020.0)
    assert insights.report_status(failing, 1015) == insights.RunStatus("Job Failed", 50, None)
