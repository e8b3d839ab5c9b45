"""What the results pages show (issue #18).

The workspace overview, one publication's results, and a campaign's comparison per audience
cohort and per creative variant.

Reads only. Each report is ``selectors.results_for_workspace`` (two queries) plus a fixed number
of others, so a year of daily numbers for hundreds of posts costs the same queries as a week
for five. How the numbers are added up (docs/results.md, "Reading results"):

- A post's snapshots are its lifetime totals as read on each day. What it got *in a range* is
  the growth of those totals: each read minus the read before it, the first read of the range
  against the last one before it (looked for up to ``LOOKBACK_DAYS`` back; a post published in
  the range starts from 0). A read-to-read growth lands on the later read's day.
- Pages, Instagram accounts and ads have a value per day; a range's total is their sum.
  Followers is a level, not a flow: the latest value is shown, never a sum.
- Reach is people per object and per day: added across days or objects it counts a person once
  per post or day, and the pages say so.
- Money is never added across currencies: each currency has its own figure.
- No number from Meta stays "no data" (None), never 0.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Workspace
from campaigns.models import AudienceCohort, Campaign
from creatives.studio.models import Creative, Script
from insights import comparison, selectors
from insights.comparison import Totals, Verdict
from insights.models import COUNT_FIELDS, Availability, InsightObject, ObjectKind
from insights.selectors import ObjectResults
from insights.tables import Chart, Column, Series, Table, chart_by_day, chart_by_row
from meta_integration.models import MetaConnection
from prosocial import kept, prepared
from publishing import promotion
from publishing.models import Publication, PublicationAsset

LOOKBACK_DAYS = 7
# Metrics that flow (a range's value is a sum of days or growths); the rest are levels or ratios.
FLOW_METRICS = (*(name for name in COUNT_FIELDS if name != "followers"), "spend")
POST_KINDS = (ObjectKind.IG_MEDIA, ObjectKind.FB_POST)
ACCOUNT_KINDS = (ObjectKind.PAGE, ObjectKind.IG_ACCOUNT)
# What each page reads: only the objects and columns it shows (a year of snapshots is read
# row by row, so every column and object left out is time saved).
OVERVIEW_KINDS = (*POST_KINDS, *ACCOUNT_KINDS, ObjectKind.AD_ACCOUNT)
OVERVIEW_METRICS = (
    "views",
    "reach",
    "impressions",
    "engagement",
    "clicks",
    "link_clicks",
    "follows",
    "followers",
    "spend",
)
COMPARED_READ = ("views", "reach", "impressions", "engagement", "clicks", "link_clicks", "spend")
# The overview's table of posts shows the most viewed; the CSV has them all.
TOP_POSTS_SHOWN = 50
USABLE_CONNECTION = (MetaConnection.Status.ACTIVE, MetaConnection.Status.EXPIRING)
Number = int | Decimal


@dataclass(frozen=True)
class Period:
    """The days a page covers, both included, in the workspace's time zone."""

    since: date
    until: date
    preset: str = ""

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]

    @property
    def label(self) -> str:
        return f"{self.since:%b %-d, %Y} to {self.until:%b %-d, %Y}"

    @property
    def as_text(self) -> str:
        """The period as *Make more like this* records it ("YYYY-MM-DD..YYYY-MM-DD")."""
        return f"{self.since.isoformat()}..{self.until.isoformat()}"


def zone_of(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def today_in(workspace: Workspace) -> date:
    return timezone.now().astimezone(zone_of(workspace)).date()


# --- Built once per change of the data ------------------------------------------------------

# A report is kept this long at most, even if nothing it reads changed (the retention's nightly
# deletions, for one, touch no object).
REPORT_CACHE_SECONDS = 600


def _newest_and_count(model: type[models.Model], stamp: str, where: str, join: str = "") -> str:
    table = model._meta.db_table
    column = model._meta.get_field(stamp).get_attname_column()[1]  # type: ignore[union-attr]
    # Table and column names come from the models, never from input.
    return f"SELECT '{table}', MAX(t.{column}), COUNT(*) FROM {table} t {join} WHERE {where} = %s"  # noqa: S608


@lru_cache(maxsize=4)
def _state_sql(with_campaign: bool, with_campaigns: bool) -> str:
    """Return the page state's SQL, written once per process.

    Built by the ORM it was ten subqueries, which took longer to compile than to run. Each row
    is (label, newest change, row count): "usable" counts the workspace's usable Meta
    connections; "campaign:<name>" is the campaign the page is about, only if it is the
    workspace's (no row: a 404); the others are named after the tables the page's figures,
    names and links come from.
    """
    connections = MetaConnection._meta.db_table
    parts = [
        f"SELECT 'usable', NULL, COUNT(*) FROM {connections} t "  # noqa: S608 - model names
        f"WHERE t.workspace_id = %s AND t.status IN ({', '.join(['%s'] * len(USABLE_CONNECTION))})",
        _newest_and_count(InsightObject, "updated_at", "t.workspace_id"),
        _newest_and_count(Publication, "updated_at", "t.workspace_id"),
    ]
    if with_campaigns:
        parts.append(_newest_and_count(Campaign, "updated_at", "t.workspace_id"))
    if with_campaign:
        script = Script._meta.db_table
        campaigns = Campaign._meta.db_table
        parts += [
            f"SELECT 'campaign:' || t.name, MAX(t.updated_at), COUNT(*) FROM {campaigns} t "  # noqa: S608
            "WHERE t.id = %s AND t.workspace_id = %s GROUP BY t.name",
            _newest_and_count(Script, "updated_at", "t.campaign_id"),
            _newest_and_count(AudienceCohort, "updated_at", "t.campaign_id"),
            _newest_and_count(
                Creative, "created_at", "s.campaign_id", f"JOIN {script} s ON s.id = t.script_id"
            ),
        ]
    return " UNION ALL ".join(parts)


@dataclass(frozen=True)
class PageState:
    """What a results page needs to know before anything else, read in one query.

    ``fingerprint`` changes whenever something the page shows may have: every refresh,
    tracking or retirement of a measured object moves its ``updated_at`` (its snapshots are
    written in the same transaction); publications, campaigns, and a campaign's audiences,
    variants and videos give the page its names and links.
    """

    fingerprint: str
    can_refresh_from_meta: bool
    # The name of the campaign the page is about; None when it isn't the workspace's.
    campaign_name: str | None = None


def page_state(
    workspace_id: int, *, campaign_id: int | None = None, with_campaigns: bool = False
) -> PageState:
    params: list[Any] = [workspace_id, *USABLE_CONNECTION, workspace_id, workspace_id]
    if with_campaigns:
        params.append(workspace_id)
    if campaign_id is not None:
        params += [campaign_id, workspace_id, campaign_id, campaign_id, campaign_id]
    with connection.cursor() as cursor:
        prepared.execute(cursor, _state_sql(campaign_id is not None, with_campaigns), params)
        rows = sorted(cursor.fetchall(), key=lambda row: row[0])
    usable = next(count for label, _newest, count in rows if label == "usable")
    named = [label.removeprefix("campaign:") for label, *_ in rows if label.startswith("campaign:")]
    return PageState(
        fingerprint=hashlib.sha256(repr(rows).encode()).hexdigest()[:24],
        can_refresh_from_meta=bool(usable),
        campaign_name=named[0] if named else None,
    )


def report_key(
    name: str, workspace_id: int, period: Period, state: PageState, *, target: int | None = None
) -> str:
    """Return the cache key of a report as the data stands (``state``: ``page_state``)."""
    return ":".join(
        [
            "insights:report",
            kept.code_version(),  # the code and templates that shape a kept report
            name,
            str(workspace_id),
            str(target or ""),
            period.since.isoformat(),
            period.until.isoformat(),
            state.fingerprint,
        ]
    )


def cached_report[ReportT: "Report"](key: str, build: Callable[[], ReportT]) -> ReportT:
    """Return the report kept under ``key`` (``report_key``), building it if there is none.

    Reading a year of snapshots costs hundreds of milliseconds; viewing the same results again
    (another range and back, a teammate, the CSV of the page just seen) costs one query.
    """
    report: ReportT | None = cache.get(key)
    if report is None:
        report = build()
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


# --- Adding up ----------------------------------------------------------------------------------


def _add(a: Number | None, b: Number | None) -> Number | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _published_day(obj: InsightObject, zone: ZoneInfo) -> date | None:
    return obj.published_at.astimezone(zone).date() if obj.published_at else None


def contributions(
    result: ObjectResults, period: Period, zone: ZoneInfo
) -> dict[date, dict[str, Number]]:
    """Return what an object got on each day of ``period``, per flow metric.

    Daily values are taken as they are; lifetime totals become read-to-read growth (module
    docstring). A day without a number has no entry for that metric.
    """
    days: dict[date, dict[str, Number]] = defaultdict(dict)
    if not result.cumulative:
        for metric in FLOW_METRICS:
            for day, value in result.series.get(metric, ()):
                if period.since <= day <= period.until:
                    days[day][metric] = value
        return days
    published = _published_day(result.object, zone)
    fresh = published is not None and published >= period.since
    for metric in FLOW_METRICS:
        before: Number | None = 0 if fresh else None
        for day, value in result.series.get(metric, ()):
            if day < period.since:
                before = value
                continue
            if day > period.until:
                break
            if before is not None:
                days[day][metric] = value - before
            before = value
    return days


def totals_of(days: dict[date, dict[str, Number]]) -> dict[str, Number | None]:
    """Return the sum per flow metric of an object's (or a group's) days (None: no data)."""
    totals: dict[str, Number | None] = dict.fromkeys(FLOW_METRICS)
    for values in days.values():
        for metric, value in values.items():
            totals[metric] = _add(totals[metric], value)
    return totals


def _merge(into: dict[date, dict[str, Number]], days: dict[date, dict[str, Number]]) -> None:
    for day, values in days.items():
        target = into.setdefault(day, {})
        for metric, value in values.items():
            target[metric] = _add(target.get(metric), value)  # type: ignore[assignment]


def _ratio(top: Number | None, bottom: Number | None) -> float | None:
    if top is None or bottom is None or not bottom:
        return None
    return float(top) / float(bottom)


def _money(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _latest_followers(result: ObjectResults, period: Period) -> int | None:
    points = [
        v for day, v in result.series.get("followers", ()) if period.since <= day <= period.until
    ]
    return int(points[-1]) if points else None


# --- Problems and refresh ----------------------------------------------------------------------


@dataclass
class Problem:
    """An object whose numbers can't be read now, and why (shown instead of a zero)."""

    label: str
    reason: str
    detail: str
    reconnect: bool


RECONNECT = {Availability.PERMISSION_MISSING, Availability.DISCONNECTED}


def _object_label(obj: InsightObject) -> str:
    if obj.publication_id and obj.publication is not None:
        return f"{obj.get_kind_display()} “{obj.publication.title}”"
    account = obj.page or obj.instagram_account or obj.ad_account
    return f"{obj.get_kind_display()} {account}" if account is not None else str(obj)


def problem_of(obj: InsightObject) -> Problem | None:
    if obj.state not in (InsightObject.State.FAILING, InsightObject.State.UNAVAILABLE) and not (
        obj.state == InsightObject.State.GONE and obj.availability == Availability.DELETED
    ):
        return None
    reason = obj.get_availability_display()
    if obj.state == InsightObject.State.FAILING:
        reason = "Reading its numbers failed; ProSocial tries again on its own"
    return Problem(
        label=_object_label(obj),
        reason=reason,
        detail=obj.last_error,
        reconnect=obj.availability in RECONNECT,
    )


def list_problems(workspace: Workspace, *, limit: int = 20) -> list[Problem]:
    """Return up to ``limit`` objects whose numbers can't be read now (one query)."""
    objects = (
        InsightObject.objects.filter(workspace=workspace)
        .filter(
            Q(state__in=[InsightObject.State.FAILING, InsightObject.State.UNAVAILABLE])
            | Q(state=InsightObject.State.GONE, availability=Availability.DELETED)
        )
        .select_related("publication", "page", "instagram_account", "ad_account")
        .order_by("-updated_at")[:limit]
    )
    return [problem for obj in objects if (problem := problem_of(obj)) is not None]


# --- The workspace overview ---------------------------------------------------------------------


@dataclass
class Tile:
    label: str
    value: str
    hint: str = ""
    testid: str = ""


@dataclass
class Report:
    """A page's figures: headline tiles, charts and the tables behind them (each a CSV)."""

    period: Period
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    has_numbers: bool = False

    @property
    def charted_tables(self) -> set[str]:
        """The tables drawn as a chart: the page folds their numbers away under it."""
        return {chart.table_key for chart in self.charts}


DAY = Column("day", "Day", "date")
POSTS_DAILY_COLUMNS = (
    DAY,
    Column("views", "Views"),
    Column("reach", "Reach (summed over posts)"),
    Column("engagement", "Engagements"),
    Column("clicks", "Clicks (Facebook)"),
)
FOLLOWERS_DAILY_COLUMNS = (
    DAY,
    Column("follows", "New followers"),
    Column("followers", "Followers (Facebook Pages)"),
    Column("reach", "Accounts' reach"),
)
ADS_DAILY_COLUMNS = (
    DAY,
    Column("spend", "Spend", "money"),
    Column("impressions", "Impressions"),
    Column("reach", "Reach"),
    Column("clicks", "Clicks"),
    Column("link_clicks", "Link clicks"),
)
TOP_POSTS_COLUMNS = (
    Column("title", "Post", "text"),
    Column("where", "Where", "text"),
    Column("views", "Views"),
    Column("reach", "Reach"),
    Column("engagement", "Engagements"),
    Column("engagement_rate", "Engagement rate", "percent"),
)
ACCOUNTS_COLUMNS = (
    Column("account", "Account", "text"),
    Column("kind", "Kind", "text"),
    Column("reach", "Reach (daily, summed)"),
    Column("views", "Views"),
    Column("engagement", "Engagements"),
    Column("follows", "New followers"),
    Column("followers", "Followers at the end"),
    Column("spend", "Ad spend", "money"),
    Column("link_clicks", "Link clicks"),
)


def _account_name(obj: InsightObject) -> str:
    account = obj.page or obj.instagram_account or obj.ad_account
    return str(account) if account is not None else obj.account_meta_id


def _where(publication: Publication | None) -> str:
    return publication.get_target_display() if publication is not None else ""


def _format_count(value: Number | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def _spend_chart(table: Table, key: str, currency: str, days: list[date]) -> Chart:
    """Return the chart of one currency's spend and the link clicks it bought, per day."""
    return chart_by_day(
        table,
        key=key,
        title=f"Ad spend ({currency}) and link clicks per day",
        days=days,
        series=[Series("spend", f"Spend ({currency})"), Series("link_clicks", "Link clicks", "y2")],
        axes={"y": f"Spend ({currency})", "y2": "Link clicks"},
    )


def overview(workspace: Workspace, period: Period) -> Report:
    """Return the workspace's results over ``period``: posts, accounts and ads, by day."""
    zone = zone_of(workspace)
    results = selectors.results_for_workspace(
        workspace,
        since=period.since - timedelta(days=LOOKBACK_DAYS),
        until=period.until,
        kinds=OVERVIEW_KINDS,
        metrics=OVERVIEW_METRICS,
    )
    report = Report(period=period)
    posts_by_day: dict[date, dict[str, Number]] = {}
    accounts_by_day: dict[date, dict[str, Number]] = {}
    ads_by_day: dict[tuple[date, str], dict[str, Number]] = {}
    followers_by_day: dict[date, int] = {}
    top_posts: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    for result in results:
        obj = result.object
        days = contributions(result, period, zone)
        report.has_numbers = report.has_numbers or bool(days)
        if obj.kind in POST_KINDS:
            _merge(posts_by_day, days)
            if days:
                totals = totals_of(days)
                top_posts.append(
                    {
                        "title": obj.publication.title if obj.publication else obj.meta_id,
                        "where": _where(obj.publication) or obj.get_kind_display(),
                        **{key: totals[key] for key in ("views", "reach", "engagement")},
                        "engagement_rate": _ratio(totals["engagement"], totals["reach"]),
                        "publication_id": obj.publication_id,
                    }
                )
        else:  # a Page, an Instagram account or an ad account (OVERVIEW_KINDS)
            if obj.kind == ObjectKind.AD_ACCOUNT:
                for day, values in days.items():
                    row = ads_by_day.setdefault((day, result.currency or obj.currency), {})
                    for metric, value in values.items():
                        row[metric] = _add(row.get(metric), value)  # type: ignore[assignment]
            else:
                _merge(accounts_by_day, days)
                for day, value in result.series.get("followers", ()):
                    if period.since <= day <= period.until:
                        followers_by_day[day] = followers_by_day.get(day, 0) + int(value)
            if days or result.series:
                totals = totals_of(days)
                accounts.append(
                    {
                        "account": _account_name(obj),
                        "kind": obj.get_kind_display(),
                        **{key: totals[key] for key in ("reach", "views", "engagement", "follows")},
                        "followers": _latest_followers(result, period),
                        "spend": _money(totals["spend"]),
                        "link_clicks": totals["link_clicks"],
                        "currency": result.currency or obj.currency,
                    }
                )
    posts_daily = Table(
        "posts-daily",
        "Your posts, by day",
        POSTS_DAILY_COLUMNS,
        [{"day": day, **posts_by_day[day]} for day in sorted(posts_by_day)],
        note="Growth of the totals of the posts ProSocial published, on the day it was read.",
    )
    followers_daily = Table(
        "followers-daily",
        "Followers, by day",
        FOLLOWERS_DAILY_COLUMNS,
        [
            {
                "day": day,
                "follows": accounts_by_day.get(day, {}).get("follows"),
                "followers": followers_by_day.get(day),
                "reach": accounts_by_day.get(day, {}).get("reach"),
            }
            for day in sorted(set(accounts_by_day) | set(followers_by_day))
        ],
        note="From the Facebook Pages and Instagram accounts selected on the Meta page.",
    )
    currencies = sorted({currency for _day, currency in ads_by_day})
    ads_daily = Table(
        "ads-daily",
        "Ads, by day",
        ADS_DAILY_COLUMNS,
        [
            {"day": day, "currency": currency, **values, "spend": _money(values.get("spend"))}
            for (day, currency), values in sorted(ads_by_day.items())
        ],
        note="From the ad accounts selected on the Meta page, per day in each account's time zone.",
    )
    top_posts.sort(key=lambda row: (row["views"] or 0, row["engagement"] or 0), reverse=True)
    report.tables = {
        table.key: table
        for table in (
            posts_daily,
            Table("posts", "Posts", TOP_POSTS_COLUMNS, top_posts, limit=TOP_POSTS_SHOWN),
            followers_daily,
            ads_daily,
            Table("accounts", "Accounts", ACCOUNTS_COLUMNS, accounts),
        )
    }
    range_days = period.days
    report.charts = [
        chart_by_day(
            posts_daily,
            key="posts-chart",
            title="Views and engagements of your posts per day",
            days=range_days,
            series=[Series("views", "Views"), Series("engagement", "Engagements", "y2")],
            axes={"y": "Views", "y2": "Engagements"},
        ),
        chart_by_day(
            followers_daily,
            key="followers-chart",
            title="New followers per day",
            days=range_days,
            series=[Series("follows", "New followers")],
            axes={"y": "New followers"},
            kind="bar",
        ),
    ]
    for currency in currencies:
        one = Table(
            "ads-daily",
            "",
            ADS_DAILY_COLUMNS,
            [row for row in ads_daily.rows if row["currency"] == currency],
        )
        report.charts.append(
            _spend_chart(one, f"ads-chart-{currency.lower() or 'none'}", currency, range_days)
        )
    post_totals = totals_of(posts_by_day)
    account_totals = totals_of(accounts_by_day)
    latest_followers = followers_by_day[max(followers_by_day)] if followers_by_day else None
    report.tiles = [
        Tile(
            "Post views",
            _format_count(post_totals["views"]),
            "Posts published with ProSocial",
            "tile-views",
        ),
        Tile(
            "Engagements",
            _format_count(post_totals["engagement"]),
            "Reactions, comments, shares, saves, clicks",
            "tile-engagement",
        ),
        Tile(
            "New followers",
            _format_count(account_totals["follows"]),
            "Pages and Instagram accounts",
            "tile-follows",
        ),
        Tile(
            "Page followers",
            _format_count(latest_followers),
            "On the last day with numbers",
            "tile-followers",
        ),
    ]
    for currency in currencies or [""]:
        spend = (
            sum(
                (
                    row.get("spend") or Decimal(0)
                    for row in ads_daily.rows
                    if row["currency"] == currency
                ),
                Decimal(0),
            )
            if currency
            else None
        )
        report.tiles.append(
            Tile(
                f"Ad spend{f' ({currency})' if currency else ''}",
                "—" if spend is None else f"{spend.quantize(Decimal('0.01')):,} {currency}",
                "Never converted between currencies",
                f"tile-spend-{currency.lower()}" if currency else "tile-spend",
            )
        )
    link_clicks = totals_of(dict(enumerate(ads_by_day.values())))["link_clicks"]  # type: ignore[arg-type]
    report.tiles.append(
        Tile(
            "Link clicks from ads",
            _format_count(link_clicks),
            "The results ads are compared on",
            "tile-link-clicks",
        )
    )
    report.problems = list_problems(workspace)
    return report


# --- One publication ---------------------------------------------------------------------------

LIFETIME_COLUMNS = (
    DAY,
    Column("views", "Views"),
    Column("reach", "Reach"),
    Column("engagement", "Engagements"),
    Column("likes", "Likes"),
    Column("comments", "Comments"),
    Column("shares", "Shares"),
    Column("saves", "Saves"),
    Column("clicks", "Clicks"),
)
AD_DAILY_COLUMNS = (
    DAY,
    Column("ad", "Ad", "text"),
    Column("spend", "Spend", "money"),
    Column("impressions", "Impressions"),
    Column("reach", "Reach"),
    Column("clicks", "Clicks"),
    Column("link_clicks", "Link clicks"),
    Column("ctr", "CTR", "percent"),
    Column("cpc", "CPC", "money"),
)


@dataclass
class PublicationReport(Report):
    objects: list[InsightObject] = field(default_factory=list)
    promotions: list[Publication] = field(default_factory=list)


def publication_report(publication: Publication, period: Period) -> PublicationReport:
    """Return one publication's results: a post's totals as read, its ad's (and promotions') days."""
    workspace = publication.workspace
    zone = zone_of(workspace)
    promotions = list(
        Publication.objects.filter(workspace=workspace, promoted=publication).order_by("pk")
    )
    ids = [publication.pk, *(p.pk for p in promotions)]
    objects = list(
        InsightObject.objects.filter(workspace=workspace, publication_id__in=ids)
        .select_related("publication", "page", "instagram_account", "ad_account")
        .order_by("pk")
    )
    results = selectors.results_for_workspace(
        workspace,
        since=period.since - timedelta(days=LOOKBACK_DAYS),
        until=period.until,
        publication_ids=ids,
    )
    report = PublicationReport(period=period, objects=objects, promotions=promotions)
    titles = {p.pk: p.title for p in [publication, *promotions]}
    lifetime_rows: list[dict[str, Any]] = []
    ad_rows: list[dict[str, Any]] = []
    post_days: dict[date, dict[str, Number]] = {}
    ad_days: dict[date, dict[str, Number]] = {}
    currency = ""
    for result in results:
        obj = result.object
        if obj.kind in POST_KINDS and obj.publication_id == publication.pk:
            by_day: dict[date, dict[str, Any]] = defaultdict(dict)
            for metric, points in result.series.items():
                for day, value in points:
                    if period.since <= day <= period.until:
                        by_day[day][metric] = value
            lifetime_rows = [{"day": day, **by_day[day]} for day in sorted(by_day)]
            _merge(post_days, contributions(result, period, zone))
        elif obj.kind == ObjectKind.AD:
            currency = result.currency or obj.currency or currency
            name = titles.get(obj.publication_id or 0, obj.meta_id)
            days = contributions(result, period, zone)
            _merge(ad_days, days)
            for day in sorted(days):
                values = days[day]
                ad_rows.append(
                    {
                        "day": day,
                        "ad": name,
                        "currency": result.currency or obj.currency,
                        **values,
                        "spend": _money(values.get("spend")),
                        "ctr": _ratio(values.get("clicks"), values.get("impressions")),
                        "cpc": _money(_ratio(values.get("spend"), values.get("clicks"))),
                    }
                )
    ad_rows.sort(key=lambda row: (row["day"], row["ad"]))
    report.has_numbers = bool(lifetime_rows or ad_rows)
    totals_table = Table(
        "totals",
        "Totals as read each day",
        LIFETIME_COLUMNS,
        lifetime_rows,
        note="A post's numbers are its totals so far, as Meta gave them on each day they were read.",
    )
    ads_table = Table("ad-days", "Ad results by day", AD_DAILY_COLUMNS, ad_rows)
    report.tables = {"totals": totals_table, "ad-days": ads_table}
    if lifetime_rows:
        report.charts.append(
            chart_by_day(
                totals_table,
                key="totals-chart",
                title="Views, reach and engagements so far",
                days=period.days,
                series=[
                    Series("views", "Views"),
                    Series("reach", "Reach"),
                    Series("engagement", "Engagements", "y2"),
                ],
                axes={"y": "Views and reach", "y2": "Engagements"},
            )
        )
        post = totals_of(post_days)
        report.tiles += [
            Tile("Views in the range", _format_count(post["views"]), "", "tile-views"),
            Tile("Reach in the range", _format_count(post["reach"]), "", "tile-reach"),
            Tile(
                "Engagements in the range", _format_count(post["engagement"]), "", "tile-engagement"
            ),
        ]
    if ad_rows:
        ad_table_by_day = Table(
            "ad-days",
            "",
            AD_DAILY_COLUMNS,
            [{"day": day, **values} for day, values in sorted(ad_days.items())],
        )
        report.charts.append(_spend_chart(ad_table_by_day, "ad-chart", currency, period.days))
        ad = totals_of(ad_days)
        spend = _money(ad["spend"])
        report.tiles += [
            Tile(
                "Ad spend",
                "—" if spend is None else f"{spend.quantize(Decimal('0.01')):,} {currency}",
                "",
                "tile-spend",
            ),
            Tile("Impressions", _format_count(ad["impressions"]), "", "tile-impressions"),
            Tile("Link clicks", _format_count(ad["link_clicks"]), "", "tile-link-clicks"),
            Tile(
                "CTR",
                _percent(_ratio(ad["clicks"], ad["impressions"])),
                "Clicks per impression",
                "tile-ctr",
            ),
        ]
    report.problems = [problem for obj in objects if (problem := problem_of(obj)) is not None]
    return report


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


# --- A campaign's comparison --------------------------------------------------------------------


COMPARISON_COLUMNS = (
    Column("label", "Name", "text"),
    Column("posts", "Posts and ads"),
    Column("impressions", "Impressions and views"),
    Column("reach", "Reach (summed)"),
    Column("engagement", "Engagements"),
    Column("engagement_rate", "Engagement rate", "percent"),
    Column("clicks", "Clicks"),
    Column("ctr", "CTR", "percent"),
    Column("spend", "Spend", "money"),
    Column("cpc", "CPC", "money"),
    Column("results", "Results (link clicks)"),
    Column("cost_per_result", "Cost per result", "money"),
)
CAMPAIGN_POSTS_COLUMNS = (
    Column("title", "Post or ad", "text"),
    Column("where", "Where", "text"),
    Column("cohort", "Audience", "text"),
    Column("variant", "Variant", "text"),
    *COMPARISON_COLUMNS[2:],
)
COMPARED_METRICS = {
    "ctr": "CTR",
    "engagement_rate": "Engagement rate",
    "cost_per_result": "Cost per result",
    "cpc": "CPC",
}


@dataclass
class Group:
    """The posts and ads of one cohort or variant, added up.

    A rate only counts the objects that report both of its parts: CTR the impressions (or
    views) of objects that report clicks — Instagram media report none — and engagement rate
    the reach of objects that report engagements. Otherwise every Instagram view would be a
    "non-click" and drag CTR down.
    """

    key: str
    label: str
    script: Script | None = None
    publications: set[int] = field(default_factory=set)
    totals: dict[str, Number | None] = field(default_factory=lambda: dict.fromkeys(FLOW_METRICS))
    currencies: set[str] = field(default_factory=set)
    clicked_impressions: Number | None = None
    engaged_reach: Number | None = None

    def add(self, totals: dict[str, Number | None], currency: str) -> None:
        for metric, value in totals.items():
            self.totals[metric] = _add(self.totals[metric], value)
        if totals.get("spend") is not None and currency:
            self.currencies.add(currency)
        if totals["clicks"] is not None:
            seen = _add(totals["impressions"], totals["views"])
            self.clicked_impressions = _add(self.clicked_impressions, seen)
        if totals["engagement"] is not None:
            self.engaged_reach = _add(self.engaged_reach, totals["reach"])

    def as_totals(self) -> Totals:
        """Return what the comparison tests: the counts behind each rate (class docstring)."""
        t = self.totals
        spend = t["spend"] if len(self.currencies) <= 1 else None
        return Totals(
            key=self.key,
            label=self.label,
            impressions=_as_int(self.clicked_impressions),
            reach=_as_int(self.engaged_reach),
            clicks=_as_int(t["clicks"]),
            engagements=_as_int(t["engagement"]),
            results=_as_int(t["link_clicks"]),
            spend=_money(spend),
        )


def _as_int(value: Number | None) -> int | None:
    return None if value is None else int(value)


def comparison_row(group: Group) -> dict[str, Any]:
    totals = group.as_totals()
    mixed = len(group.currencies) > 1
    return {
        "key": group.key,
        "label": group.label,
        "posts": len(group.publications),
        "impressions": _as_int(_add(group.totals["impressions"], group.totals["views"])),
        "reach": _as_int(group.totals["reach"]),
        "engagement": totals.engagements,
        "engagement_rate": comparison.engagement_rate(totals),
        "clicks": totals.clicks,
        "ctr": comparison.ctr(totals),
        "spend": totals.spend,
        "cpc": _money(comparison.cpc(totals)),
        "results": totals.results,
        "cost_per_result": _money(comparison.cost_per_result(totals)),
        "currency": next(iter(group.currencies)) if len(group.currencies) == 1 else "",
        "mixed_currencies": mixed,
        "totals": totals,
    }


@dataclass
class CampaignReport(Report):
    cohort_verdicts: dict[str, Verdict] = field(default_factory=dict)
    variant_verdicts: dict[str, Verdict] = field(default_factory=dict)
    # The variant rows' scripts, by row key (what *Make more like this* posts to).
    scripts: dict[str, int] = field(default_factory=dict)

    @property
    def compared(self) -> list[tuple[str, Table, dict[str, Verdict]]]:
        """The two comparisons the page shows, with their verdicts."""
        return [
            ("Per audience", self.tables["cohorts"], self.cohort_verdicts),
            ("Per creative variant", self.tables["variants"], self.variant_verdicts),
        ]


def _attributions(campaign: Campaign) -> tuple[dict[int, Script], list[Script]]:
    """Return which variant each of the campaign's publications carries, and the variants.

    A publication carries a variant when one of its media files is a creative of it (the
    first such file decides); a promoted post's ad carries its post's variant. Three queries.
    """
    scripts = list(
        Script.objects.filter(campaign=campaign)
        .select_related("cohort")
        .order_by("cohort_id", "number")
    )
    by_pk = {script.pk: script for script in scripts}
    script_of_asset = dict(
        Creative.objects.filter(script__campaign=campaign).values_list("asset_id", "script_id")
    )
    found: dict[int, Script] = {}
    items = (
        PublicationAsset.objects.filter(
            asset_id__in=list(script_of_asset), publication__workspace_id=campaign.workspace_id
        )
        .order_by("publication_id", "position", "pk")
        .values_list("publication_id", "asset_id")
    )
    for publication_id, asset_id in items:
        if publication_id not in found:
            found[publication_id] = by_pk[script_of_asset[asset_id]]
    return found, scripts


def campaign_report(campaign: Campaign, period: Period) -> CampaignReport:
    """Return the campaign's results per audience cohort, per variant and per post or ad."""
    workspace = campaign.workspace
    zone = zone_of(workspace)
    carried, scripts = _attributions(campaign)
    publications = {
        p.pk: p
        for p in Publication.objects.filter(workspace=workspace)
        .filter(Q(pk__in=list(carried)) | Q(promoted_id__in=list(carried)))
        .only("pk", "title", "target", "status", "remote_id", "promoted_id", "workspace_id")
    }
    for publication in publications.values():
        if publication.pk not in carried and publication.promoted_id in carried:
            carried[publication.pk] = carried[publication.promoted_id]
    results = selectors.results_for_workspace(
        workspace,
        since=period.since - timedelta(days=LOOKBACK_DAYS),
        until=period.until,
        kinds=[*POST_KINDS, ObjectKind.AD],
        publication_ids=list(carried),
        metrics=COMPARED_READ,
    )
    report = CampaignReport(period=period)
    cohorts: dict[int, Group] = {}
    variants: dict[int, Group] = {}
    for script in scripts:
        cohorts.setdefault(
            script.cohort_id, Group(key=f"cohort-{script.cohort_id}", label=script.cohort.name)
        )
        variants[script.pk] = Group(
            key=f"variant-{script.pk}",
            label=f"{script.cohort.name} · variant {script.number}",
            script=script,
        )
        report.scripts[f"variant-{script.pk}"] = script.pk
    per_post: dict[int, Group] = {}
    for result in results:
        obj = result.object
        carrier = carried.get(obj.publication_id or 0)
        if carrier is None:
            continue
        totals = totals_of(contributions(result, period, zone))
        if all(value is None for value in totals.values()):
            continue
        currency = result.currency or obj.currency
        report.has_numbers = True
        for group in (cohorts[carrier.cohort_id], variants[carrier.pk]):
            group.add(totals, currency)
            group.publications.add(obj.publication_id or 0)
        shown = publications.get(obj.publication_id or 0)
        post = per_post.setdefault(
            obj.publication_id or 0,
            Group(
                key=f"post-{obj.publication_id}",
                label=shown.title if shown else obj.meta_id,
                script=carrier,
            ),
        )
        post.add(totals, currency)
        post.publications.add(obj.publication_id or 0)
    cohort_rows = [comparison_row(group) for group in cohorts.values()]
    variant_rows = [comparison_row(group) for group in variants.values()]
    report.cohort_verdicts = comparison.compare([row.pop("totals") for row in cohort_rows])
    report.variant_verdicts = comparison.compare([row.pop("totals") for row in variant_rows])
    _mark_winners(cohort_rows, report.cohort_verdicts)
    _mark_winners(variant_rows, report.variant_verdicts)
    post_rows = []
    for publication_id, group in per_post.items():
        shown = publications.get(publication_id)
        row = comparison_row(group)
        del row["totals"]
        variant = group.script
        row.update(
            {
                "title": group.label,
                "where": _where(shown),
                "cohort": variant.cohort.name if variant else "",
                "variant": f"Variant {variant.number}" if variant else "",
                "publication_id": shown.pk if shown else None,
                "promotable": is_promotable(shown),
            }
        )
        post_rows.append(row)
    post_rows.sort(key=lambda row: (row["impressions"] or 0, row["engagement"] or 0), reverse=True)
    cohorts_table = Table("cohorts", "Per audience", COMPARISON_COLUMNS, cohort_rows)
    variants_table = Table("variants", "Per creative variant", COMPARISON_COLUMNS, variant_rows)
    report.tables = {
        "cohorts": cohorts_table,
        "variants": variants_table,
        "posts": Table(
            "posts", "Posts and ads", CAMPAIGN_POSTS_COLUMNS, post_rows, limit=TOP_POSTS_SHOWN
        ),
    }
    compared = [Series("ctr", "CTR (%)"), Series("engagement_rate", "Engagement rate (%)", "y2")]
    for table, title in ((cohorts_table, "per audience"), (variants_table, "per variant")):
        if any(row["ctr"] is not None or row["engagement_rate"] is not None for row in table.rows):
            report.charts.append(
                chart_by_row(
                    table,
                    key=f"{table.key}-chart",
                    title=f"CTR and engagement rate {title}",
                    label_key="label",
                    series=compared,
                    axes={"y": "CTR (%)", "y2": "Engagement rate (%)"},
                    scale=100.0,
                )
            )
    return report


def _mark_winners(rows: Sequence[dict[str, Any]], verdicts: dict[str, Verdict]) -> None:
    for row in rows:
        row["wins"] = [
            COMPARED_METRICS[metric]
            for metric, verdict in verdicts.items()
            if verdict.winner == row["key"]
        ]


def results_for_more_like(row: dict[str, Any], period: Period) -> dict[str, str]:
    """Return a variant row's figures as *Make more like this* takes them (form fields)."""
    fields = {"range": period.as_text}
    if row.get("ctr") is not None:
        fields["ctr"] = f"{Decimal(str(row['ctr'] * 100)).quantize(Decimal('0.0001'))}"
    if row.get("engagement_rate") is not None:
        rate = min(Decimal(str(row["engagement_rate"] * 100)), Decimal(100))
        fields["engagement_rate"] = f"{rate.quantize(Decimal('0.0001'))}"
    if row.get("cost_per_result") is not None and row.get("currency"):
        fields["cost_per_result"] = f"{row['cost_per_result'].quantize(Decimal('0.0001'))}"
        fields["currency"] = row["currency"]
    if row.get("reach") is not None:
        fields["reach"] = str(row["reach"])
    return fields


def is_promotable(publication: Publication | None) -> bool:
    """Whether *Promote…* can start from ``publication`` (publishing's own rule)."""
    if publication is None:
        return False
    return not promotion.why_not_promotable(publication, workspace_id=publication.workspace_id)
