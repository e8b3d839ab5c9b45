"""Insights endpoints (GRAPH_NOTES §4.7, §5.4, §10); the numbers come from meta_sandbox/insights.py.

    GET  /{act_id|campaign-id|adset-id|ad-id}/insights   fields, level, date_preset,
         time_range={"since","until"}, time_increment=1..90|monthly|all_days,
         breakdowns=age|gender|age,gender|country|publisher_platform[,platform_position],
         action_attribution_windows=[...], limit/after/before
         -> {"data": [row, ...], "paging"}; numbers are strings (§4.7)
    POST /{act_id|campaign-id|adset-id|ad-id}/insights   same parameters -> {"report_run_id"}
    GET  /{report_run_id}            async_status (Job Not Started / Started / Running /
                                     Completed / Failed), async_percent_completion, …
    GET  /{report_run_id}/insights   the rows, once the run completed (-2/2490547 if it failed)
    GET  /{ig-media-id}/insights     metric=…[&period=lifetime][&breakdown=…]
    GET  /{ig-user-id}/insights      metric=…&period=day|week|days_28[&metric_type=total_value]
                                     [&breakdown=…][&since&until] (30 days at most)
    GET  /{page-id}/insights         metric=…&period=day|week|days_28|total_over_range
                                     [&since&until] (90 days at most), Page token
    GET  /{page-post-id}/insights    metric=post_…, Page token

Every answer (errors included) carries the usage headers: ads insights send
`x-fb-ads-insights-throttle` (app_id_util_pct, acc_id_util_pct) and
`x-business-use-case-usage` (type ads_insights, keyed by ad account); Instagram and Page
insights send `x-business-use-case-usage` of type instagram / pages. Each call uses one
unit of an hourly budget on the sandbox clock (settings `insights_*_calls_per_hour`); a
spent budget answers 4/1504022 (app), 80000 (ad account), 80002 (Instagram) or 80001
(Page) with `estimated_time_to_regain_access`.

Permissions: ads_read or ads_management for ads (200 otherwise); instagram_basic,
instagram_manage_insights and pages_read_engagement for Instagram (§10.1); a Page token
with read_insights and pages_read_engagement and the ANALYZE task for Pages (§10.2).
Message wordings marked [secondary] come from recorded Meta answers in public client code;
those marked (sandbox wording) are the sandbox's own where no source gave Meta's text.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from meta_sandbox import errors, insights, lifecycle
from meta_sandbox.dispatch import json_response
from meta_sandbox.endpoints.adaccounts import visible_ad_account
from meta_sandbox.endpoints.instagram import can_see_ig
from meta_sandbox.endpoints.pages import visible_page
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, attr, parse_fields
from meta_sandbox.insights import DAY, AdModel, Totals
from meta_sandbox.models import AdAccount, IgAccount, Page
from meta_sandbox.objects import Ad, AdCreative, AdReportRun, AdSet, Campaign, IgMedia, PagePost
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route
from meta_sandbox.scopes import ADS_SCOPES

IG_INSIGHTS_SCOPES = ("instagram_basic", "instagram_manage_insights", "pages_read_engagement")
PAGE_INSIGHTS_SCOPES = ("read_insights", "pages_read_engagement")
STORY_LIFETIME_SECONDS = DAY  # §10.1: story insights exist only for 24 h
STORY_MIN_VIEWERS = 5  # §10.1: fewer than 5 viewers -> (#10) Not enough viewers
LATEST_TIMESTAMP = 4_102_444_800  # 2100-01-01: later since/until values are refused


# --- errors ----------------------------------------------------------------------------------


def _invalid(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(message, code=100, subcode=subcode, is_transient=False)


def _one_of(param: str, index: int, allowed: Any) -> GraphError:
    """Meta's enum refusal, e.g. "(#100) metric[0] must be one of the following values: …"."""
    values = ", ".join(sorted(allowed))
    return _invalid(f"(#100) {param}[{index}] must be one of the following values: {values}")


def _deprecated_ig(metric: str, version: str = "v22.0", *, media: bool = True) -> GraphError:
    # GRAPH_NOTES §10.1: code 100 "metric ... is no longer supported" (wording [secondary]).
    where = " for the queried media" if media else ""
    return _invalid(
        f"(#100) Starting from version {version} and above, the {metric} metric is no longer "
        f"supported{where}"
    )


def _not_a_page_metric() -> GraphError:
    # Meta's answer to a deprecated or unknown Page/post metric [secondary, recorded].
    return _invalid("(#100) The value must be a valid insights metric")


def _throttled(code: int, headers: dict[str, str], subcode: int | None = None) -> GraphError:
    message = errors.DEFAULT_MESSAGES[code]
    if subcode is not None:  # 4/1504022: the insights app limit (Marketing rate-limiting doc)
        message = "(#4) There have been too many calls from this app. Wait a bit and try again."
    return GraphError(message, code=code, subcode=subcode, headers=dict(headers))


# --- usage: hourly budgets and headers (§4.7, §5.4) --------------------------------------------


def _ads_usage(call: Call, account: AdAccount) -> dict[str, str]:
    """Count one ads-insights call; return the usage headers, or raise the throttle error."""
    state, now = call.state, call.state.now()
    meter, settings = state.insights_usage, state.settings
    app_key, account_key = "ads_insights:app", f"ads_insights:{account.id}"
    app_limit = settings.insights_app_calls_per_hour
    account_limit = settings.insights_account_calls_per_hour
    app_over = meter.count(app_key, now) >= app_limit
    account_over = meter.count(account_key, now) >= account_limit
    if not (app_over or account_over):
        meter.record(app_key, now)
        meter.record(account_key, now)
    app_pct = insights.percent(meter.count(app_key, now), app_limit)
    account_pct = insights.percent(meter.count(account_key, now), account_limit)
    # The account's BUC entry says when calls work again, whichever budget is spent.
    regain = max(
        meter.regain_seconds(account_key, now, account_limit),
        meter.regain_seconds(app_key, now, app_limit),
    )
    headers = {
        "x-fb-ads-insights-throttle": insights.compact(
            {
                "app_id_util_pct": app_pct,
                "acc_id_util_pct": account_pct,
                "ads_api_access_tier": insights.ADS_ACCESS_TIER,
            }
        ),
        "x-business-use-case-usage": insights.compact(
            {
                account.account_id: [
                    insights.buc_entry("ads_insights", account_pct, regain, ads=True)
                ]
            }
        ),
    }
    if app_over:
        raise _throttled(4, headers, subcode=1504022)
    if account_over:
        raise _throttled(80000, headers)  # the ads_insights Business Use Case limit (§5.2)
    return headers


def _organic_usage(call: Call, use_case: str, object_id: str) -> dict[str, str]:
    """Count one Instagram (BUC instagram) or Page (BUC pages) insights call."""
    state, now = call.state, call.state.now()
    meter, limit = state.insights_usage, state.settings.insights_organic_calls_per_hour
    key = f"{use_case}:{object_id}"
    over = meter.count(key, now) >= limit
    if not over:
        meter.record(key, now)
    pct = insights.percent(meter.count(key, now), limit)
    entry = insights.buc_entry(use_case, pct, meter.regain_seconds(key, now, limit), ads=False)
    headers = {"x-business-use-case-usage": insights.compact({object_id: [entry]})}
    if over:
        raise _throttled(80002 if use_case == "instagram" else 80001, headers)
    return headers


def _answer(headers: dict[str, str], produce: Callable[[], dict[str, Any]]) -> Response:
    """Run `produce` and answer with the usage headers, on success and on failure alike."""
    try:
        body = produce()
    except GraphError as error:
        error.headers.update(headers)
        raise
    return json_response(body, headers=headers)


# --- path converters ---------------------------------------------------------------------------


@converter("insights_media")
def visible_media(call: Call, raw: str) -> IgMedia | None:
    """Find an Instagram media the app published (or a seeded one) the token may see."""
    media = call.state.objects.get(raw, IgMedia) or call.state.engagement.seeded_media.get(raw)
    ig = call.state.world.ig_accounts.get(media.owner_id) if media else None
    return media if ig is not None and can_see_ig(call, ig) else None


@converter("insights_post")
def visible_post(call: Call, raw: str) -> PagePost | None:
    """Find a published Page post (the app's, a seeded one, an ad's dark post) of a visible Page.

    A deleted post is gone from the store, so it reads as 100/33 "does not exist".
    """
    state = call.state
    post = state.objects.get(raw, PagePost) or state.engagement.seeded_posts.get(raw)
    if post is None:
        creative = next(
            (c for c in state.objects.of_type(AdCreative) if c.object_story_id == raw), None
        )
        if creative is None or "_" not in raw:
            return None
        spec = creative.object_story_spec or {}
        text = next((v.get("message") for v in spec.values() if isinstance(v, dict)), None)
        post = PagePost(
            id=raw, owner_id=raw.split("_")[0], created_at=creative.created_at, message=text
        )
    if not lifecycle.post_is_published(state, post) or post.owner_id not in state.world.pages:
        return None
    return post if visible_page(call, post.owner_id) else None


@converter("report_run")
def visible_report_run(call: Call, raw: str) -> AdReportRun | None:
    run = call.state.objects.get(raw, AdReportRun)
    return run if run is not None and visible_ad_account(call, run.owner_id) else None


# --- ads: the query ----------------------------------------------------------------------------

LEVELS = ("account", "campaign", "adset", "ad")
ID_FIELDS = {
    "account_id": "account",
    "account_name": "account",
    "account_currency": "account",
    "campaign_id": "campaign",
    "campaign_name": "campaign",
    "objective": "campaign",
    "buying_type": "campaign",
    "adset_id": "adset",
    "adset_name": "adset",
    "optimization_goal": "adset",
    "ad_id": "ad",
    "ad_name": "ad",
}
METRIC_FIELDS = (
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "unique_clicks",
    "spend",
    "ctr",
    "unique_ctr",
    "cpc",
    "cpm",
    "cpp",
    "inline_link_clicks",
    "inline_link_click_ctr",
    "cost_per_inline_link_click",
    "actions",
    "cost_per_action_type",
)
AD_FIELDS = frozenset(ID_FIELDS) | frozenset(METRIC_FIELDS) | {"date_start", "date_stop"}
# Meta's default columns (the §4.7 doc sample answers account_id, impressions and spend).
DEFAULT_AD_FIELDS = ("account_id", "impressions", "spend")
RUN_PARAMS = (
    "fields",
    "level",
    "date_preset",
    "time_range",
    "time_increment",
    "breakdowns",
    "action_breakdowns",
    "action_attribution_windows",
)


@dataclass(frozen=True)
class AdQuery:
    fields: tuple[str, ...]
    level: str
    since: date
    until: date
    increment: int | str
    breakdowns: tuple[str, ...]
    windows: tuple[str, ...]


def _list_param(raw: str | None) -> list[str]:
    """Parse a list parameter sent as `a,b` or as JSON `["a","b"]`."""
    text = (raw or "").strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise _invalid("(#100) A list parameter is not valid JSON") from exc
        return [str(item).strip() for item in items if str(item).strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


def _parse_day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise _invalid(f"(#100) time_range[{name}] must be a date like 2026-05-01") from exc


def _dates(get: Callable[[str], str | None], today: date, earliest: date) -> tuple[date, date]:
    raw_range = get("time_range")
    if raw_range:
        try:
            spec = json.loads(raw_range)
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or "since" not in spec or "until" not in spec:
            raise _invalid('(#100) time_range must be an object like {"since":"...","until":"..."}')
        since, until = _parse_day(spec["since"], "since"), _parse_day(spec["until"], "until")
    else:
        preset = get("date_preset") or "last_30d"  # "about the last 30 days" (§4.7)
        if preset not in insights.DATE_PRESETS:
            raise _one_of("date_preset", 0, insights.DATE_PRESETS)
        since, until = insights.preset_range(preset, today, min(earliest, today))
    if since > until:
        raise _invalid("(#100) time_range since must not be after until (sandbox wording)")
    if since < insights.months_back(today, insights.MAX_HISTORY_MONTHS):
        raise GraphError(
            "(#3018) The start date of the time range cannot be beyond 37 months from the "
            "current date",
            code=3018,
        )
    return since, until


def _increment(raw: str | None) -> int | str:
    value = (raw or "all_days").strip()
    if value in ("monthly", "all_days"):
        return value
    if value.isdigit() and 1 <= int(value) <= 90:
        return int(value)
    raise _invalid("(#100) time_increment must be 1-90, monthly or all_days (sandbox wording)")


def _breakdowns(raw: str | None) -> tuple[str, ...]:
    names = _list_param(raw)
    for index, name in enumerate(names):
        if name not in insights.BREAKDOWNS:
            raise _one_of("breakdowns", index, insights.BREAKDOWNS)
    ordered = tuple(b for b in insights.BREAKDOWNS if b in names)
    if ordered and ordered not in insights.BREAKDOWN_COMBINATIONS:
        # §4.7: 2/1504041 invalid breakdowns (message [secondary]).
        raise GraphError(
            f"Current combination of data breakdown columns ({', '.join(names)}) is invalid",
            code=2,
            subcode=1504041,
            is_transient=False,
            http_status=400,
        )
    return tuple(names)


def parse_ad_query(
    get: Callable[[str], str | None], *, node_level: str, today: date, earliest: date
) -> AdQuery:
    """Check the insights parameters of one request; raise Meta's error for the first bad one."""
    fields = _list_param(get("fields")) or list(DEFAULT_AD_FIELDS)
    for index, name in enumerate(fields):
        if name not in AD_FIELDS:
            raise _one_of("fields", index, AD_FIELDS)
    level = get("level") or node_level
    if level not in LEVELS:
        raise _one_of("level", 0, LEVELS)
    if LEVELS.index(level) < LEVELS.index(node_level):
        raise _invalid(f"(#100) level {level} is above the queried {node_level} (sandbox wording)")
    since, until = _dates(get, today, earliest)
    action_breakdowns = _list_param(get("action_breakdowns"))
    for index, name in enumerate(action_breakdowns):
        if name != "action_type":
            raise _one_of("action_breakdowns", index, ("action_type",))
    windows = _list_param(get("action_attribution_windows"))
    for index, name in enumerate(windows):
        if name not in insights.ACTION_WINDOWS:
            raise _one_of("action_attribution_windows", index, insights.ACTION_WINDOWS)
    return AdQuery(
        fields=tuple(dict.fromkeys(fields)),
        level=level,
        since=since,
        until=until,
        increment=_increment(get("time_increment")),
        breakdowns=_breakdowns(get("breakdowns")),
        windows=tuple(w for w in windows if w in insights.RETURNED_WINDOWS),
    )


# --- ads: the scope of a node and its rows -------------------------------------------------------


@dataclass
class AdScope:
    account: AdAccount
    level: str  # the node's own level
    node_id: str
    ads: list[Ad]


def _scope_of(call: Call, node: AdAccount | Campaign | AdSet | Ad) -> AdScope:
    objects = call.state.objects
    if isinstance(node, AdAccount):
        return AdScope(node, "account", node.id, objects.of_type(Ad, node.id))
    if node.status == "DELETED":  # a deleted object reads as missing
        raise errors.unsupported_request(call.request.method, node.id)
    account = call.state.world.ad_accounts[node.owner_id]
    ads = objects.of_type(Ad, account.id)
    if isinstance(node, Campaign):
        return AdScope(account, "campaign", node.id, [a for a in ads if a.campaign_id == node.id])
    if isinstance(node, AdSet):
        return AdScope(account, "adset", node.id, [a for a in ads if a.adset_id == node.id])
    return AdScope(account, "ad", node.id, [node])


def _earliest(model: AdModel, scope: AdScope) -> date:
    first = model.earliest(scope.ads)
    moment = first if first is not None else model.observed
    return insights.account_today(scope.account, moment)


def _group_id(ad: Ad, level: str) -> str:
    return {"account": ad.owner_id, "campaign": ad.campaign_id, "adset": ad.adset_id}.get(
        level, ad.id
    )


def _number(value: float) -> str:
    """Format a decimal the way Insights does: no trailing zeros ("5339.5", "0.0123")."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _money(value: float) -> str:
    return _number(round(value, 2))


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> str | None:
    return _number(numerator / denominator * scale) if denominator else None


def _actions(totals: Totals, windows: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for name in sorted(totals.actions):
        item = {"action_type": name, "value": str(totals.actions[name])}
        for window in windows:
            item[window] = str(totals.windows.get(name, {}).get(window, 0))
        out.append(item)
    return out


def _costs(totals: Totals, windows: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for name in sorted(totals.actions):
        item = {"action_type": name, "value": _number(totals.spend / totals.actions[name])}
        for window in windows:
            count = totals.windows.get(name, {}).get(window, 0)
            if count:
                item[window] = _number(totals.spend / count)
        out.append(item)
    return out


def _metric_value(name: str, totals: Totals, windows: tuple[str, ...]) -> Any:
    link = totals.actions.get("link_click", 0)
    unique = round(totals.clicks * 0.93)
    values: dict[str, Callable[[], Any]] = {
        "impressions": lambda: str(totals.impressions),
        "reach": lambda: str(totals.reach),
        "frequency": lambda: _ratio(totals.impressions, totals.reach),
        "clicks": lambda: str(totals.clicks),
        "unique_clicks": lambda: str(unique),
        "spend": lambda: _money(totals.spend),
        "ctr": lambda: _ratio(totals.clicks, totals.impressions, 100),  # a percentage
        "unique_ctr": lambda: _ratio(unique, totals.reach, 100),
        "cpc": lambda: _ratio(totals.spend, totals.clicks),
        "cpm": lambda: _ratio(totals.spend, totals.impressions, 1000),
        "cpp": lambda: _ratio(totals.spend, totals.reach, 1000),
        "inline_link_clicks": lambda: str(link),
        "inline_link_click_ctr": lambda: _ratio(link, totals.impressions, 100),
        "cost_per_inline_link_click": lambda: _ratio(totals.spend, link),
        "actions": lambda: _actions(totals, windows) or None,
        "cost_per_action_type": lambda: _costs(totals, windows) or None,
    }
    return values[name]()


def _id_value(name: str, call: Call, account: AdAccount, group: str, level: str) -> Any:
    """Return an id or name column, when the row's level determines it (else None)."""
    if LEVELS.index(ID_FIELDS[name]) > LEVELS.index(level):
        return None
    if name == "account_id":
        return account.account_id
    if name == "account_name":
        return account.name
    if name == "account_currency":
        return account.currency
    objects = call.state.objects
    ad = objects.get(group, Ad)
    adset = objects.get(ad.adset_id if ad else group, AdSet)
    campaign = objects.get(adset.campaign_id if adset else group, Campaign)
    found = {
        "campaign_id": campaign.id if campaign else None,
        "campaign_name": campaign.name if campaign else None,
        "objective": campaign.objective if campaign else None,
        "buying_type": campaign.buying_type if campaign else None,
        "adset_id": adset.id if adset else None,
        "adset_name": adset.name if adset else None,
        "optimization_goal": adset.optimization_goal if adset else None,
        "ad_id": ad.id if ad else None,
        "ad_name": ad.name if ad else None,
    }
    return found[name]


def ad_rows(
    call: Call,
    scope: AdScope,
    query: AdQuery,
    model: AdModel,
    today: date,
    *,
    synchronous: bool = True,
) -> list[tuple[str, dict[str, Any]]]:
    """Return the insights rows of a query, keyed for paging (period, object, segment).

    Only a synchronous query can be too big; a finished async report's rows are always read.
    """
    account = scope.account
    # No rows after today: a range reaching into the future stops at today's (partial) row.
    until = query.until if query.increment == "all_days" else min(query.until, today)
    spans = insights.periods(query.since, until, query.increment)
    groups: dict[str, list[Ad]] = {}
    for ad in sorted(scope.ads, key=lambda a: a.id):
        groups.setdefault(_group_id(ad, query.level), []).append(ad)
    if scope.ads and synchronous:
        segments = len(model.segments(scope.ads[0], query.breakdowns))
        if len(spans) * len(groups) * segments > call.state.settings.insights_sync_row_limit:
            # §4.7: 100/1504018, the query timed out; narrow it or go async.
            raise _invalid(
                "(#100) Your request timed out. Please reduce the amount of data you're asking "
                "for, then retry your request, or run it as an async report",
                subcode=1504018,
            )
    rows: list[tuple[str, dict[str, Any]]] = []
    for index, (first, last) in enumerate(spans):
        start = insights.day_start(account, first)
        end = insights.day_start(account, last) + DAY  # (no date after 9999-12-31)
        for group, ads in groups.items():
            combined: dict[tuple[str, ...], Totals] = {}
            for ad in ads:
                totals = model.totals(ad, start, end)
                if totals.is_empty:
                    continue
                for key, part in model.split(totals, model.segments(ad, query.breakdowns)):
                    combined.setdefault(key, Totals()).add(part)
            for key in sorted(combined):
                totals = combined[key]
                if totals.is_empty:
                    continue
                row: dict[str, Any] = {}
                for name in query.fields:
                    if name in ("date_start", "date_stop"):
                        continue
                    value = (
                        _id_value(name, call, account, group, query.level)
                        if name in ID_FIELDS
                        else _metric_value(name, totals, query.windows)
                    )
                    if value is not None:
                        row[name] = value
                row["date_start"], row["date_stop"] = first.isoformat(), last.isoformat()
                row.update(zip(query.breakdowns, _ordered_key(query.breakdowns, key), strict=True))
                rows.append((f"{index}:{group}:{'/'.join(key)}", row))
    return rows


def _ordered_key(asked: tuple[str, ...], key: tuple[str, ...]) -> tuple[str, ...]:
    """Segments are built in the model's dimension order; give them back in the asked order."""
    built: list[str] = [b for b in ("publisher_platform", "platform_position") if b in asked]
    built += [b for b in asked if b not in ("publisher_platform", "platform_position")]
    by_name = dict(zip(built, key, strict=True))
    return tuple(by_name[name] for name in asked)


def _node(call: Call) -> AdAccount | Campaign | AdSet | Ad:
    args = call.args
    return args.get("account") or args.get("campaign") or args.get("adset") or args["ad"]


def _sync_insights(call: Call) -> Response:
    scope = _scope_of(call, _node(call))
    headers = _ads_usage(call, scope.account)

    def produce() -> dict[str, Any]:
        model = AdModel(call.state, insights.observed_at(call.state))
        today = insights.account_today(scope.account, call.state.now())
        query = parse_ad_query(
            call.param, node_level=scope.level, today=today, earliest=_earliest(model, scope)
        )
        rows = ad_rows(call, scope, query, model, today)
        return paginate(call, rows, key=lambda item: item[0], render=lambda item: item[1])

    return _answer(headers, produce)


def _start_report(call: Call) -> Response:
    scope = _scope_of(call, _node(call))
    headers = _ads_usage(call, scope.account)

    def produce() -> dict[str, Any]:
        state = call.state
        now = state.now()
        model = AdModel(state, insights.observed_at(state, now))
        today = insights.account_today(scope.account, now)
        query = parse_ad_query(
            call.param, node_level=scope.level, today=today, earliest=_earliest(model, scope)
        )
        params = {name: value for name in RUN_PARAMS if (value := call.param(name))}
        params["level"] = query.level
        params["_date_start"], params["_date_stop"] = (
            query.since.isoformat(),
            query.until.isoformat(),
        )
        fails = state.settings.insights_fail_next_reports > 0
        if fails:
            state.update_settings(
                insights_fail_next_reports=state.settings.insights_fail_next_reports - 1
            )
        objects = state.objects
        run = AdReportRun(
            id=objects.new_id("report_run"),
            owner_id=scope.account.id,
            created_at=now,
            object_id=scope.node_id,
            params=params,
            duration_seconds=state.settings.insights_report_seconds,
            fails=fails,
        )
        return {"report_run_id": objects.add(run).id}

    return _answer(headers, produce)


for _kind, _name in (
    ("ad_account", "account"),
    ("campaign", "campaign"),
    ("adset", "adset"),
    ("ad", "ad"),
):
    route("GET", f"/{{{_name}:{_kind}}}/insights", scopes_any=ADS_SCOPES)(_sync_insights)
    route("POST", f"/{{{_name}:{_kind}}}/insights", scopes_any=ADS_SCOPES)(_start_report)


# --- ads: async report runs ------------------------------------------------------------------------


def _run_status(run: AdReportRun, call: Call) -> insights.RunStatus:
    return insights.report_status(run, call.state.now())


REPORT_RUN = NodeType(
    "AdReportRun",
    {
        "id": attr("id"),
        "account_id": lambda run, _call, _ch: run.owner_id.removeprefix("act_"),
        "async_status": lambda run, call, _ch: _run_status(run, call).status,
        "async_percent_completion": lambda run, call, _ch: _run_status(run, call).percent,
        "date_start": lambda run, _call, _ch: run.params.get("_date_start"),
        "date_stop": lambda run, _call, _ch: run.params.get("_date_stop"),
        "time_ref": lambda run, _call, _ch: int(run.created_at),
        "time_completed": lambda run, call, _ch: int(_run_status(run, call).completed_at or 0),
        "is_running": lambda run, call, _ch: (
            _run_status(run, call).status
            in (insights.JOB_NOT_STARTED, insights.JOB_STARTED, insights.JOB_RUNNING)
        ),
        "emails": lambda _run, _call, _ch: [],
        "friendly_name": lambda _run, _call, _ch: None,
        "is_bookmarked": lambda _run, _call, _ch: False,
        "schedule_id": lambda _run, _call, _ch: None,
    },
    default_fields=(
        "id",
        "account_id",
        "time_ref",
        "time_completed",
        "async_status",
        "async_percent_completion",
        "date_start",
        "date_stop",
    ),
    scopes_any=ADS_SCOPES,
)


def _run_account(call: Call, run: AdReportRun) -> AdAccount:
    return call.state.world.ad_accounts[run.owner_id]


@route("GET", "/{run:report_run}", scopes_any=ADS_SCOPES)
def read_report_run(call: Call) -> Response:
    run: AdReportRun = call.args["run"]
    headers = _ads_usage(call, _run_account(call, run))
    return _answer(
        headers, lambda: REPORT_RUN.render(run, call, parse_fields(call.param("fields")))
    )


def _run_scope(call: Call, run: AdReportRun) -> AdScope:
    account = _run_account(call, run)
    ads = call.state.objects.of_type(Ad, account.id)
    node = run.object_id
    if node == account.id:
        return AdScope(account, "account", node, ads)
    obj = call.state.objects.by_id.get(node)
    if isinstance(obj, Campaign):
        return AdScope(account, "campaign", node, [a for a in ads if a.campaign_id == node])
    if isinstance(obj, AdSet):
        return AdScope(account, "adset", node, [a for a in ads if a.adset_id == node])
    return AdScope(account, "ad", node, [a for a in ads if a.id == node])


@route("GET", "/{run:report_run}/insights", scopes_any=ADS_SCOPES)
def read_report_results(call: Call) -> Response:
    run: AdReportRun = call.args["run"]
    headers = _ads_usage(call, _run_account(call, run))

    def produce() -> dict[str, Any]:
        status = _run_status(run, call)
        if status.status == insights.JOB_FAILED:
            # §4.7: a failed job gives -2/2490547 [verified]. Reading it again cannot help
            # (start a new run), so the sandbox does not call it transient.
            raise GraphError(
                "(#-2) The async report run failed. Create a new report run.",
                code=-2,
                subcode=2490547,
                is_transient=False,
            )
        if status.status != insights.JOB_COMPLETED:
            raise _invalid(
                f"(#100) Report {run.id} is not ready yet ({status.status}, "
                f"{status.percent}%): poll it until async_status is Job Completed "
                "(sandbox wording)"
            )
        scope = _run_scope(call, run)
        model = AdModel(call.state, insights.observed_at(call.state, run.created_at))
        today = insights.account_today(scope.account, run.created_at)
        params = run.params
        query = parse_ad_query(
            params.get, node_level=scope.level, today=today, earliest=_earliest(model, scope)
        )
        rows = ad_rows(call, scope, query, model, today, synchronous=False)
        return paginate(call, rows, key=lambda item: item[0], render=lambda item: item[1])

    return _answer(headers, produce)


# --- Instagram media (§10.1) --------------------------------------------------------------------


def _require_scopes(call: Call, scopes: tuple[str, ...]) -> None:
    missing = tuple(scope for scope in scopes if not call.has_any_scope((scope,)))
    if missing:
        raise errors.missing_permission(missing)


def _metrics(call: Call) -> list[str]:
    names = _list_param(call.param("metric"))
    if not names:
        raise _invalid("(#100) The parameter metric is required")
    return list(dict.fromkeys(names))


def _entry(object_id: str, name: str, period: str) -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        "title": insights.title_of(name),
        "description": f"{insights.title_of(name)} (sandbox)",
        "id": f"{object_id}/insights/{name}/{period}",
    }


def _check_media_metrics(media: IgMedia, metrics: list[str], breakdown: str | None) -> None:
    product = media.media_product_type
    for index, name in enumerate(metrics):
        if name in insights.IG_MEDIA_DEPRECATED:
            raise _deprecated_ig(name)
        if name not in insights.IG_MEDIA_METRICS:
            raise _one_of("metric", index, insights.IG_MEDIA_METRICS)
        if product not in insights.IG_MEDIA_METRICS[name]:
            # [secondary, recorded]: the wording Meta uses for REELS/VIDEO impressions.
            raise _invalid(
                f"(#100) The Media Insights API does not support the {name} metric for this "
                "media product type"
            )
        if breakdown and insights.IG_MEDIA_BREAKDOWNS.get(name, ("",))[0] != breakdown:
            raise _invalid(
                f"(#100) The breakdown {breakdown} is not supported for the metric {name} "
                "(sandbox wording)"
            )


@route("GET", "/{media:insights_media}/insights")
def media_insights(call: Call) -> Response:
    media: IgMedia = call.args["media"]
    headers = _organic_usage(call, "instagram", media.owner_id)

    def produce() -> dict[str, Any]:
        _require_scopes(call, IG_INSIGHTS_SCOPES)
        metrics = _metrics(call)
        if call.param("period") not in (None, "", "lifetime"):
            raise _one_of("period", 0, ("lifetime",))
        breakdown = call.param("breakdown") or None
        _check_media_metrics(media, metrics, breakdown)
        if media.id in insights.PRE_CONVERSION_MEDIA_IDS:
            # 100/2108006 [secondary, many recorded answers].
            raise GraphError(
                "Invalid parameter",
                code=100,
                subcode=2108006,
                is_transient=False,
                user_title="Media Posted Before Business Account Conversion",
                user_msg="The media was posted before the most recent time that the user's "
                "account was converted to a business account from a personal account.",
            )
        state = call.state
        observed = insights.observed_at(state)
        is_story = media.media_product_type == "STORY"
        expired = is_story and state.now() - media.created_at > STORY_LIFETIME_SECONDS
        if expired or observed < media.created_at:
            return {"data": []}  # no data (yet, or any more): an empty set, not 0 (§10.1)
        values = insights.media_values(state, media, observed)
        if is_story and values["reach"] < STORY_MIN_VIEWERS:
            raise GraphError(
                "(#10) Not enough viewers for the media to show insights",
                code=10,
                is_transient=False,
                http_status=400,
            )
        data = []
        seed = state.settings.insights_seed
        for name in metrics:
            entry = _entry(media.id, name, "lifetime")
            entry["values"] = [{"value": values[name]}]
            if breakdown:
                key, names = insights.IG_MEDIA_BREAKDOWNS[name]
                results = insights.breakdown_results(seed, values[name], key, names, media.id)
                entry["total_value"] = {
                    "value": values[name],
                    "breakdowns": [
                        {
                            "dimension_keys": [key],
                            "results": [
                                {"dimension_values": [label], "value": count}
                                for label, count in results
                            ],
                        }
                    ],
                }
            data.append(entry)
        return {"data": data}

    return _answer(headers, produce)


# --- organic time windows ----------------------------------------------------------------------


def _timestamp(raw: str | None, name: str) -> float | None:
    """Parse `since`/`until`: a unix time or a date (Graph takes strtotime-like values)."""
    if not raw:
        return None
    try:
        if raw.lstrip("-").isdigit():
            moment = float(raw)
        else:
            parsed = datetime.fromisoformat(raw)
            moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        moment = -1.0
    if not 0 <= moment <= LATEST_TIMESTAMP:
        raise _invalid(f"(#100) The parameter {name} is not a valid time")
    return moment


def _window(call: Call, max_seconds: float, too_wide: GraphError) -> tuple[float, float]:
    """Return the (since, until) of an organic query, on day boundaries by default."""
    today_start = insights.organic_day_end(call.state.now()) - DAY
    since = _timestamp(call.param("since"), "since")
    until = _timestamp(call.param("until"), "until")
    if until is None:
        until = today_start if since is None else max(today_start, since)
    if since is None:
        since = until - 2 * DAY  # the last two days, as Graph answers without a range
    if until - since > max_seconds:
        raise too_wide
    if since > until:
        raise _invalid("(#100) since must be before until (sandbox wording)")
    return since, until


def _day_ends(since: float, until: float) -> list[float]:
    """Return the organic day ends E with since < E <= until."""
    ends = []
    end = insights.organic_day_end(since)
    while end <= until:
        ends.append(end)
        end += DAY
    return ends


def _end_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _time_paging(call: Call, since: float, until: float) -> dict[str, str]:
    query = [
        (name, value)
        for name, value in call.request.query.items(multi=True)
        if name not in ("since", "until")
    ]
    span = until - since
    base = call.graph_url(call.request.path)

    def link(start: float, stop: float) -> str:
        return f"{base}?{urlencode([*query, ('since', int(start)), ('until', int(stop))])}"

    return {"previous": link(since - span, since), "next": link(until, until + span)}


# --- Instagram accounts ----------------------------------------------------------------------------

IG_TOTAL_BREAKDOWNS = {
    "media_product_type": frozenset(
        {"reach", "views", "likes", "comments", "shares", "saves", "total_interactions"}
    ),
    "follower_type": frozenset({"reach", "views"}),
    "follow_type": frozenset({"follows_and_unfollows"}),
}


def _check_account_metrics(metrics: list[str], period: str, metric_type: str) -> None:
    known = set(insights.IG_ACCOUNT_TIME_SERIES) | insights.IG_ACCOUNT_TOTAL_VALUE
    for index, name in enumerate(metrics):
        if name in insights.IG_ACCOUNT_DEPRECATED:
            version = "v22.0" if name == "impressions" else "v21.0"
            raise _deprecated_ig(name, version, media=False)
        if name not in known:
            raise _one_of("metric", index, known)
    if metric_type == "total_value":
        wrong = [m for m in metrics if m not in insights.IG_ACCOUNT_TOTAL_VALUE]
        if wrong:
            raise _invalid(
                f"(#100) The following metrics ({','.join(wrong)}) can not be specified with "
                "parameter metric_type=total_value (sandbox wording)"
            )
        if period != "day":
            raise _invalid("(#100) metric_type=total_value needs period=day (sandbox wording)")
        return
    wrong = [m for m in metrics if m not in insights.IG_ACCOUNT_TIME_SERIES]
    if wrong:
        # [secondary, recorded].
        raise _invalid(
            f"(#100) The following metrics ({','.join(wrong)}) should be specified with "
            "parameter metric_type=total_value"
        )
    wrong = [m for m in metrics if period not in insights.IG_ACCOUNT_TIME_SERIES[m]]
    if wrong:
        raise _invalid(
            f"(#100) The following metrics ({','.join(wrong)}) are incompatible with "
            f"period={period} (sandbox wording)"
        )


def _account_days(
    call: Call, ig: IgAccount, ends: list[float], observed: float
) -> dict[float, dict[str, float]]:
    days = {}
    for end in ends:
        start = end - DAY
        if start < observed:
            days[end] = insights.account_day(call.state, ig.id, start, min(end, observed))
    return days


def _account_value(name: str, daily: list[dict[str, float]]) -> int:
    total = sum(day[name] for day in daily)
    if name == "reach":
        total *= insights.dedup(len(daily))
    return round(total)


@route("GET", "/{ig:ig_user}/insights")
def account_insights(call: Call) -> Response:
    ig: IgAccount = call.args["ig"]
    headers = _organic_usage(call, "instagram", ig.id)

    def produce() -> dict[str, Any]:
        _require_scopes(call, IG_INSIGHTS_SCOPES)
        metrics = _metrics(call)
        period = call.param("period")
        if not period:
            raise _invalid("(#100) The parameter period is required")
        metric_type = call.param("metric_type") or "time_series"
        if metric_type not in ("time_series", "total_value"):
            raise _one_of("metric_type", 0, ("time_series", "total_value"))
        _check_account_metrics(metrics, period, metric_type)
        breakdown = call.param("breakdown") or None
        if breakdown and (
            metric_type != "total_value"
            or any(m not in IG_TOTAL_BREAKDOWNS.get(breakdown, ()) for m in metrics)
        ):
            raise _invalid(f"(#100) The breakdown {breakdown} is not supported (sandbox wording)")
        too_wide = _invalid(
            "(#100) There cannot be more than 30 days (2592000 s) between since and until"
        )  # [secondary, recorded]
        since, until = _window(call, insights.IG_ACCOUNT_MAX_RANGE_SECONDS, too_wide)
        observed = insights.observed_at(call.state)
        if metric_type == "total_value":
            return {"data": _total_values(call, ig, metrics, since, until, observed, breakdown)}
        return {
            "data": _time_series(call, ig, metrics, period, since, until, observed),
            "paging": _time_paging(call, since, until),
        }

    return _answer(headers, produce)


def _time_series(
    call: Call,
    ig: IgAccount,
    metrics: list[str],
    period: str,
    since: float,
    until: float,
    observed: float,
) -> list[dict[str, Any]]:
    ends = _day_ends(since, until)
    width = {"day": 1, "week": 7, "days_28": 28}[period]
    history = [e - DAY * back for e in ends[:1] for back in range(width - 1, 0, -1)]
    days = _account_days(call, ig, history + ends, observed)
    data = []
    for name in metrics:
        if name == "follower_count" and ig.followers_count < insights.IG_ACCOUNT_MIN_FOLLOWERS:
            continue  # "not available" under 100 followers: no entry (an empty set)
        values = []
        for end in ends:
            window = [days[e] for e in (end - DAY * back for back in range(width)) if e in days]
            if end in days:
                values.append({"value": _account_value(name, window), "end_time": _end_time(end)})
        if values:
            entry = _entry(ig.id, name, period)
            entry["values"] = values
            data.append(entry)
    return data


def _total_values(
    call: Call,
    ig: IgAccount,
    metrics: list[str],
    since: float,
    until: float,
    observed: float,
    breakdown: str | None,
) -> list[dict[str, Any]]:
    days = list(_account_days(call, ig, _day_ends(since, until), observed).values())
    if not days:
        return []
    seed = call.state.settings.insights_seed
    data = []
    for name in metrics:
        value = _account_value(name, days)
        total: dict[str, Any] = {"value": value}
        if breakdown:
            results = _account_breakdown(seed, ig, name, breakdown, days, value)
            total["breakdowns"] = [
                {
                    "dimension_keys": [breakdown],
                    "results": [
                        {"dimension_values": [label], "value": count} for label, count in results
                    ],
                }
            ]
        entry = _entry(ig.id, name, "day")
        entry["total_value"] = total
        data.append(entry)
    return data


def _account_breakdown(
    seed: int, ig: IgAccount, name: str, breakdown: str, days: list[dict[str, float]], value: int
) -> list[tuple[str, int]]:
    if breakdown == "follow_type":
        follows = round(sum(day["follows"] for day in days))
        return [("FOLLOWER", follows), ("NON_FOLLOWER", value - follows)]
    if breakdown == "media_product_type":
        # What the account's posts, reels and stories did; the daily baseline counts as feed.
        source = "views" if name == "views" else "reach"
        parts = {
            label: sum(day[f"{source}_{key}"] for day in days)
            for label, key in (("POST", "post"), ("REEL", "reel"), ("STORY", "story"))
        }
        parts["POST"] += max(0.0, sum(day[source] for day in days) - sum(parts.values()))
        scale = value / (sum(parts.values()) or 1.0)
        counts = {label: round(part * scale) for label, part in parts.items()}
        counts["POST"] += value - sum(counts.values())
        return [(label, count) for label, count in counts.items() if count > 0]
    labels = insights.IG_ACCOUNT_BREAKDOWNS[breakdown]
    return insights.breakdown_results(seed, value, breakdown, labels, ig.id, name)


# --- Pages and Page posts (§10.2) ---------------------------------------------------------------


def _require_page_insights(call: Call, page: Page) -> None:
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise errors.page_token_required()
    _require_scopes(call, PAGE_INSIGHTS_SCOPES)
    if "ANALYZE" not in page.tasks:
        raise GraphError(
            "(#10) The user must have the ANALYZE task on this Page to read its insights "
            "(sandbox wording)",
            code=10,
        )


def _page_metrics(call: Call, allowed: Mapping[str, Any] | frozenset[str]) -> list[str]:
    names = _list_param(call.param("metric"))
    if not names:
        # §10.2 [verified]: 3001/1504028.
        raise GraphError(
            "No metric was specified to be fetched. Please specify one or more metrics.",
            code=3001,
            subcode=1504028,
        )
    for name in names:
        if name in insights.PAGE_DEPRECATED or name not in allowed:
            raise _not_a_page_metric()
    return list(dict.fromkeys(names))


def _page_follows(call: Call, page: Page, end: float, observed: float) -> int:
    """Followers at the end of a day: today's count minus the net follows since."""
    today_end = insights.organic_day_end(observed)
    net = 0.0
    moment = end
    while moment < today_end:
        day = insights.page_day(call.state, page.id, moment, min(moment + DAY, observed))
        net += day["page_daily_follows_unique"] - day["page_daily_unfollows_unique"]
        moment += DAY
    return round(page.followers_count - net)


@route("GET", "/{page:page}/insights")
def page_insights(call: Call) -> Response:
    page: Page = call.args["page"]
    headers = _organic_usage(call, "pages", page.id)

    def produce() -> dict[str, Any]:
        _require_page_insights(call, page)
        metrics = _page_metrics(call, insights.PAGE_METRICS)
        period = call.param("period") or "day"
        for name in metrics:
            allowed = insights.PAGE_METRICS[name]
            if period not in allowed:
                choices = ", ".join(sorted(allowed))
                # [secondary, recorded wording]
                raise _invalid(
                    f"(#100) For field 'insights': Param period must be one of {{{choices}}}"
                )
        too_wide = _invalid("(#100) Invalid parameter", subcode=1504016)  # > 90 days [secondary]
        since, until = _window(call, insights.PAGE_MAX_RANGE_SECONDS, too_wide)
        observed = insights.observed_at(call.state)
        ends = _day_ends(since, until)
        width = {"day": 1, "week": 7, "days_28": 28}.get(period, 1)
        history = [e - DAY * back for e in ends[:1] for back in range(width - 1, 0, -1)]
        days = {
            end: insights.page_day(call.state, page.id, end - DAY, min(end, observed))
            for end in history + ends
            if end - DAY < observed
        }
        data = []
        for name in metrics:
            entry = _entry(page.id, name, period)
            if period == "total_over_range":
                covered = [days[end] for end in ends if end in days]
                entry["values"] = (
                    [
                        {
                            "value": round(sum(day[name] for day in covered)),
                            "end_time": _end_time(until),
                        }
                    ]
                    if covered
                    else []
                )
            else:
                entry["values"] = [
                    {
                        "value": _page_value(call, page, name, end, width, days, observed),
                        "end_time": _end_time(end),
                    }
                    for end in ends
                    if end in days
                ]
            data.append(entry)
        return {"data": data, "paging": _time_paging(call, since, until)}

    return _answer(headers, produce)


def _page_value(
    call: Call,
    page: Page,
    name: str,
    end: float,
    width: int,
    days: dict[float, dict[str, float]],
    observed: float,
) -> int:
    if name == "page_follows":
        return _page_follows(call, page, end, observed)
    window = [days[e] for e in (end - DAY * back for back in range(width)) if e in days]
    total = sum(day[name] for day in window)
    if name == "page_total_media_view_unique":
        total *= insights.dedup(len(window))
    return round(total)


@route("GET", "/{post:insights_post}/insights")
def post_insights(call: Call) -> Response:
    post: PagePost = call.args["post"]
    page = call.state.world.pages[post.owner_id]
    headers = _organic_usage(call, "pages", page.id)

    def produce() -> dict[str, Any]:
        _require_page_insights(call, page)
        metrics = _page_metrics(call, insights.POST_METRICS)
        if call.param("period") not in (None, "", "lifetime"):
            raise _invalid("(#100) For field 'insights': Param period must be one of {lifetime}")
        observed = insights.observed_at(call.state)
        if observed < post.created_at:
            return {"data": []}
        values = insights.post_values(call.state, post, observed)
        data = []
        for name in metrics:
            entry = _entry(post.id, name, "lifetime")
            entry["values"] = [{"value": values[name]}]
            data.append(entry)
        return {"data": data}

    return _answer(headers, produce)
