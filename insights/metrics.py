"""Which metrics ProSocial asks Meta for, and how Meta's answers become snapshot columns.

Only current metrics are asked for (GRAPH_NOTES §10.1, §10.2: impressions, plays, video_views,
page_impressions… are refused by Meta now). A metric Meta did not send stays None: it is never
read as zero. Pure functions over the Graph client's typed results.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from meta_integration.graph import AdInsightsRow, InsightMetric, ObjectInsights

# Instagram media, by media product type (§10.1).
IG_MEDIA_METRICS = {
    "FEED": (
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
    ),
    "REELS": ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions"),
    "STORY": ("views", "reach", "shares", "total_interactions", "replies", "follows"),
}
IG_MEDIA_COLUMNS = {
    "views": "views",
    "reach": "reach",
    "likes": "likes",
    "comments": "comments",
    "saved": "saves",
    "shares": "shares",
    "total_interactions": "engagement",
    "follows": "follows",
}
# A Facebook Page post (§10.2): views, unique viewers, clicks, reactions and activity by type.
POST_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
    "post_activity_by_action_type",
    "post_impressions_paid",
    "post_impressions_organic",
)
# A Page's daily values (§10.2); page_follows is the follower count at each day's end.
PAGE_METRICS = (
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows_unique",
)
PAGE_COLUMNS = {
    "page_media_view": "views",
    "page_total_media_view_unique": "reach",
    "page_post_engagements": "engagement",
    "page_follows": "followers",
    "page_daily_follows_unique": "follows",
}
# An Instagram account's daily series (the other account metrics are range totals only);
# follower_count is the day's new followers, absent below 100 followers.
IG_ACCOUNT_METRICS = ("reach", "follower_count")
IG_ACCOUNT_COLUMNS = {"reach": "reach", "follower_count": "follows"}
# Ads insights columns (§4.7) read for every level.
AD_FIELDS = (
    "account_id",
    "campaign_id",
    "adset_id",
    "ad_id",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "spend",
    "ctr",
    "cpc",
    "cpm",
    "actions",
    "cost_per_action_type",
)


@dataclass
class Numbers:
    """The columns of one snapshot as read from Meta (None: Meta gave no number)."""

    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    date_start: date | None = None
    date_stop: date | None = None

    @property
    def is_empty(self) -> bool:
        return not any(value is not None for value in self.values.values())

    def digest(self) -> str:
        """Return a stable fingerprint of the numbers (to tell whether a read changed anything)."""
        payload = {
            "values": {k: str(v) for k, v in sorted(self.values.items()) if v is not None},
            "extra": self.extra,
        }
        text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return int(value)
    return None


def _counts_by_type(metric: InsightMetric | None) -> dict[str, int]:
    value = metric.latest if metric is not None else None
    if not isinstance(value, dict):
        return {}
    return {str(name): count for name, raw in value.items() if (count := _count(raw)) is not None}


def ig_media_numbers(result: ObjectInsights) -> Numbers:
    """Map an Instagram media's lifetime metrics to columns (``replies`` etc. go to ``extra``)."""
    numbers = Numbers()
    for metric in result.metrics:
        value = _count(metric.latest)
        column = IG_MEDIA_COLUMNS.get(metric.name)
        if column is not None:
            numbers.values[column] = value
        elif value is not None:
            numbers.extra[metric.name] = value
    return numbers


def fb_post_numbers(result: ObjectInsights) -> Numbers:
    """Map a Page post's lifetime metrics to columns.

    Engagement is reactions + comments + shares + clicks, as Meta counts a post's engagements.
    """
    numbers = Numbers()
    if not result.metrics:
        return numbers
    reactions = _counts_by_type(result.metric("post_reactions_by_type_total"))
    activity = _counts_by_type(result.metric("post_activity_by_action_type"))
    clicks = _count(result.number("post_clicks"))
    numbers.values = {
        "views": _count(result.number("post_media_view")),
        "reach": _count(result.number("post_total_media_view_unique")),
        "clicks": clicks,
        "likes": activity.get("like"),
        "comments": activity.get("comment"),
        "shares": activity.get("share"),
    }
    if clicks is not None or reactions or activity:
        numbers.values["engagement"] = (
            sum(reactions.values())
            + activity.get("comment", 0)
            + activity.get("share", 0)
            + (clicks or 0)
        )
    if reactions:
        numbers.extra["reactions"] = reactions
    for name in ("post_impressions_paid", "post_impressions_organic"):
        if (value := _count(result.number(name))) is not None:
            numbers.extra[name.removeprefix("post_")] = value
    return numbers


def organic_day_of(end_time_day: date) -> date:
    """Return the day a Page / Instagram day value covers, from the date of its ``end_time``.

    Meta stamps a day's value with the end of that day (midnight Pacific, 07:00 or 08:00 UTC).
    """
    return end_time_day - timedelta(days=1)


def daily_numbers(result: ObjectInsights, columns: dict[str, str]) -> dict[date, Numbers]:
    """Map day-by-day series (a Page's, an Instagram account's) to one Numbers per day."""
    days: dict[date, Numbers] = {}
    for metric in result.metrics:
        column = columns.get(metric.name)
        if column is None:
            continue
        for point in metric.values:
            if point.end_time is None:
                continue
            day = organic_day_of(point.end_time.date())
            days.setdefault(day, Numbers()).values[column] = _count(point.value)
    return days


def _money(value: Decimal | None) -> Decimal | None:
    return value.quantize(Decimal("0.0001")) if value is not None else None


def _ratio(value: Decimal | None) -> Decimal | None:
    return value.quantize(Decimal("0.000001")) if value is not None else None


def ad_numbers(row: AdInsightsRow) -> Numbers:
    """Map one ads insights row to columns; money stays Decimal in the account's currency."""
    link_clicks = row.action("link_click")
    engagement = row.action("post_engagement")
    numbers = Numbers(
        values={
            "impressions": row.impressions,
            "reach": row.reach,
            "clicks": row.clicks,
            "link_clicks": int(link_clicks) if link_clicks is not None else None,
            "engagement": int(engagement) if engagement is not None else None,
            "spend": _money(row.spend),
            "cpc": _ratio(row.cpc),
            "cpm": _ratio(row.cpm),
            "ctr": _ratio(row.ctr),
            "frequency": _ratio(row.frequency),
        },
        date_start=row.date_start,
        date_stop=row.date_stop,
    )
    if row.actions:
        numbers.extra["actions"] = {a.action_type: str(a.value) for a in row.actions}
    if row.cost_per_action_type:
        numbers.extra["cost_per_action_type"] = {
            a.action_type: str(a.value) for a in row.cost_per_action_type
        }
    return numbers
