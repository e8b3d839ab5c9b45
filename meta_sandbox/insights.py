"""The numbers behind the sandbox's insights endpoints (meta_sandbox/endpoints/insights.py).

Nothing is stored: every value is computed when it is read, from the sandbox seed (the
`insights_seed` setting), stable facts about the object (its text, its audience, its
account's size, its budget) and the sandbox clock. So the same world read at the same
sandbox time gives the same answer, and `POST /_sandbox/clock` makes numbers grow.

- **Organic** (Instagram media, Page posts): a post reaches a share of its account's
  followers that depends on its kind (a reel travels further than a feed post, a story
  less far) and on a hashed per-post "quality" (its caption); the share reached so far
  follows `growth(age)`: fast in the first hours, settled after a few days. Accounts and
  Pages add a hashed daily baseline to what their posts did that day.
- **Ads**: an ad spends its ad set's (or campaign's) daily or lifetime budget, split among
  the ad set's ads, paced a little under it, only while it delivers: after review, inside
  the ad set's schedule, and while the ad, its ad set and its campaign are ACTIVE (the
  `status_log` of each says when they were paused). Spend buys impressions at a CPM that
  depends on the audience's countries and narrowness; impressions bring clicks at a CTR
  that depends on the creative's quality and the audience's ages. Breakdowns share the
  totals out by hashed audience weights restricted to the ad set's targeting, with
  per-segment click rates that differ by creative, so audience and creative comparisons
  mean something.
- **Delay**: everything is read as of `now - insights_delay_seconds` (Meta's data lags;
  GRAPH_NOTES §10.1 says up to 48 h for Instagram).

Callers hold the state lock. The metric catalogues (what exists, what is deprecated) are
here too, each with its source; the endpoint module turns them into Meta's errors.
"""

import calendar
import hashlib
import json
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from meta_sandbox import lifecycle
from meta_sandbox.models import AdAccount
from meta_sandbox.objects import Ad, AdCreative, AdReportRun, AdSet, Campaign, IgMedia, PagePost

if TYPE_CHECKING:
    from meta_sandbox.state import SandboxState

HOUR = 3600
DAY = 24 * HOUR

# Instagram and Page day values end at midnight UTC-07:00 ("periods ending on UTC-07:00",
# IG User Insights reference; Page fixtures show end_time T07:00:00+0000). Fixed, no DST.
ORGANIC_DAY_OFFSET_SECONDS = -7 * HOUR


# --- deterministic randomness and growth -----------------------------------------------------


def unit(seed: int, *parts: object) -> float:
    """Return a number in [0, 1) that depends only on the seed and `parts`."""
    text = "|".join([str(seed), *(str(part) for part in parts)])
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def spread(seed: int, low: float, high: float, *parts: object) -> float:
    return low + (high - low) * unit(seed, *parts)


def growth(age_seconds: float) -> float:
    """Share of an organic post's lifetime audience reached `age_seconds` after posting.

    Most of it in the first hours, the rest over two days or so; 0.99 after a week.
    """
    if age_seconds <= 0:
        return 0.0
    hours = age_seconds / HOUR
    return 0.6 * (1 - math.exp(-hours / 6)) + 0.4 * (1 - math.exp(-hours / 48))


def observed_at(state: "SandboxState", now: float | None = None) -> float:
    """Return the sandbox time whose data is visible now (the data lag applied)."""
    return (state.now() if now is None else now) - state.settings.insights_delay_seconds


# --- call budgets and usage headers (GRAPH_NOTES §4.7, §5.4) --------------------------------


class UsageMeter:
    """Calls per rolling hour of sandbox time, per bucket ("app", "ads_insights:<act>" …)."""

    WINDOW = HOUR

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}

    def clear(self) -> None:
        self._calls.clear()

    def _window(self, key: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.WINDOW:
            calls.popleft()
        return calls

    def count(self, key: str, now: float) -> int:
        return len(self._window(key, now))

    def record(self, key: str, now: float) -> None:
        self._window(key, now).append(now)

    def regain_seconds(self, key: str, now: float, limit: int) -> float:
        """Seconds until the bucket is under `limit` again (0 when it already is)."""
        calls = self._window(key, now)
        if len(calls) < limit:
            return 0.0
        return max(0.0, calls[len(calls) - limit] + self.WINDOW - now)


def percent(count: int, limit: int) -> float:
    """Utilisation of an hourly budget, as Meta reports it (0-100)."""
    if limit <= 0:
        return 100.0
    return min(100.0, round(100.0 * count / limit, 2))


def buc_entry(use_case: str, pct: float, regain_seconds: float, *, ads: bool) -> dict[str, Any]:
    """One `X-Business-Use-Case-Usage` entry (§5.4): percentages, minutes to regain access."""
    entry: dict[str, Any] = {
        "type": use_case,
        "call_count": int(pct),
        "total_cputime": int(pct * 0.4),
        "total_time": int(pct * 0.6),
        "estimated_time_to_regain_access": math.ceil(regain_seconds / 60),
    }
    if ads:
        entry["ads_api_access_tier"] = ADS_ACCESS_TIER
    return entry


# The header strings still read development_access / standard_access (§5.4, May 2026 note).
ADS_ACCESS_TIER = "development_access"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- metric catalogues ------------------------------------------------------------------------

# Instagram media (GRAPH_NOTES §10.1 [verified: IG Media insights reference]).
IG_MEDIA_METRICS: dict[str, frozenset[str]] = {
    "views": frozenset({"FEED", "REELS", "STORY"}),
    "reach": frozenset({"FEED", "REELS", "STORY"}),
    "likes": frozenset({"FEED", "REELS"}),
    "comments": frozenset({"FEED", "REELS"}),
    "saved": frozenset({"FEED", "REELS"}),
    "shares": frozenset({"FEED", "REELS", "STORY"}),
    "total_interactions": frozenset({"FEED", "REELS", "STORY"}),
    "reposts": frozenset({"FEED", "REELS"}),
    "follows": frozenset({"FEED", "STORY"}),
    "profile_visits": frozenset({"FEED", "STORY"}),
    "profile_activity": frozenset({"FEED", "STORY"}),
    "ig_reels_avg_watch_time": frozenset({"REELS"}),
    "ig_reels_video_view_total_time": frozenset({"REELS"}),
    "reels_skip_rate": frozenset({"REELS"}),
    "crossposted_views": frozenset({"REELS"}),
    "facebook_views": frozenset({"REELS"}),
    "replies": frozenset({"STORY"}),
    "link_clicks": frozenset({"STORY"}),
    "navigation": frozenset({"STORY"}),
    # "Facebook-Login only" (§10.1): Instagram plus its cross-posted Facebook copy.
    "total_comments": frozenset({"FEED", "REELS"}),
    "total_likes": frozenset({"FEED", "REELS"}),
    "total_views": frozenset({"FEED", "REELS"}),
}
# §10.1: deprecated for v22+ and every version from 2025-04-21; video_views [secondary].
IG_MEDIA_DEPRECATED = frozenset(
    {
        "impressions",
        "plays",
        "clips_replays_count",
        "ig_reels_aggregated_all_plays_count",
        "video_views",
    }
)
# Breakdowns a media metric takes (§10.1).
IG_MEDIA_BREAKDOWNS = {
    "profile_activity": (
        "action_type",
        ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT"),
    ),
    "navigation": (
        "story_navigation_action_type",
        ("tap_forward", "tap_back", "tap_exit", "swipe_forward"),
    ),
}

# Instagram account (IG User Insights reference, fetched via search 2026; a live probe of
# v25.0 [secondary] for which metrics need metric_type=total_value and the 30-day cap).
IG_ACCOUNT_TIME_SERIES: dict[str, frozenset[str]] = {
    "reach": frozenset({"day", "week", "days_28"}),
    "follower_count": frozenset({"day"}),  # new followers per day; 100+ followers only
}
IG_ACCOUNT_TOTAL_VALUE = frozenset(
    {
        "reach",
        "views",
        "accounts_engaged",
        "total_interactions",
        "likes",
        "comments",
        "saves",
        "shares",
        "replies",
        "reposts",
        "follows_and_unfollows",
        "profile_links_taps",
        # The reference calls these two deprecated since v21; a live v25 probe [secondary]
        # found both answering with metric_type=total_value, so the sandbox accepts them.
        "profile_views",
        "website_clicks",
    }
)
# Reference: impressions gone for v22+ (all versions 2025-04-21); the contact-button
# metrics gone for v21+ (all versions 2025-01-08).
IG_ACCOUNT_DEPRECATED = frozenset(
    {
        "impressions",
        "email_contacts",
        "phone_call_clicks",
        "text_message_clicks",
        "get_directions_clicks",
    }
)
IG_ACCOUNT_BREAKDOWNS = {
    # "views metric with total_value metric type and with breakdowns for follower_type and
    # media_product_type" (reference); the sandbox offers both on the media-driven metrics.
    "media_product_type": ("AD", "CAROUSEL_CONTAINER", "POST", "REEL", "STORY"),
    "follower_type": ("FOLLOWER", "NON_FOLLOWER"),
    "follow_type": ("FOLLOWER", "NON_FOLLOWER"),
}
IG_ACCOUNT_MIN_FOLLOWERS = 100  # follower_count / online_followers below this: no data
IG_ACCOUNT_MAX_RANGE_SECONDS = 30 * DAY  # "There cannot be more than 30 days" [secondary]

# Pages (GRAPH_NOTES §10.2): the metrics still listed, with their periods. page_views_total
# and page_daily_unfollows_unique come from a live v25 probe [secondary].
PAGE_ROLLING = frozenset({"day", "week", "days_28"})
PAGE_METRICS: dict[str, frozenset[str]] = {
    "page_media_view": PAGE_ROLLING | {"total_over_range"},
    "page_total_media_view_unique": PAGE_ROLLING,
    "page_post_engagements": PAGE_ROLLING | {"total_over_range"},
    "page_video_views": PAGE_ROLLING | {"total_over_range"},
    "page_views_total": PAGE_ROLLING | {"total_over_range"},
    "page_follows": frozenset({"day"}),
    "page_daily_follows_unique": frozenset({"day"}),
    "page_daily_unfollows_unique": frozenset({"day"}),
}
POST_METRICS = frozenset(
    {
        "post_media_view",
        "post_total_media_view_unique",
        "post_impressions_paid",
        "post_impressions_paid_unique",
        "post_impressions_organic",
        "post_impressions_fan",
        "post_impressions_viral",
        "post_impressions_viral_unique",
        "post_impressions_nonviral",
        "post_clicks",
        "post_clicks_by_type",
        "post_reactions_like_total",
        "post_reactions_love_total",
        "post_reactions_wow_total",
        "post_reactions_haha_total",
        "post_reactions_sorry_total",
        "post_reactions_anger_total",
        "post_reactions_by_type_total",
        "post_activity_by_action_type",
        "post_video_views",
        "post_video_view_time",
    }
)
# §10.2 "Deprecated above v25" plus the families a live v25 probe found refused with
# "The value must be a valid insights metric" [secondary] (page_impressions is still in
# the reference's table, but the June 15, 2026 all-version cut-off took it).
PAGE_DEPRECATED = frozenset(
    {
        "page_impressions",
        "page_impressions_unique",
        "page_impressions_paid",
        "page_impressions_organic",
        "page_impressions_viral",
        "page_fans",
        "page_fan_adds",
        "page_fan_adds_unique",
        "page_fan_removes",
        "page_engaged_users",
        "page_views",
        "post_impressions",
        "post_impressions_unique",
        "post_impressions_fan_unique",
        "post_impressions_organic_unique",
        "post_impressions_nonviral_unique",
        "post_video_views_unique",
    }
)
PAGE_MAX_RANGE_SECONDS = 90 * DAY  # §10.2: since/until span max 90 days

TITLES = {
    "views": "Views",
    "reach": "Accounts reached",
    "likes": "Likes",
    "comments": "Comments",
    "saved": "Saved",
    "saves": "Saves",
    "shares": "Shares",
    "total_interactions": "Interactions",
    "reposts": "Reposts",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "profile_activity": "Profile activity",
    "replies": "Replies",
    "link_clicks": "Link clicks",
    "navigation": "Navigation",
    "accounts_engaged": "Accounts engaged",
    "follower_count": "Follower count",
    "follows_and_unfollows": "Follows and unfollows",
    "profile_links_taps": "Profile links taps",
    "profile_views": "Profile views",
    "website_clicks": "Website clicks",
}


def title_of(metric: str) -> str:
    return TITLES.get(metric) or metric.replace("_", " ").capitalize()


# --- organic: Instagram media ---------------------------------------------------------------

# Lifetime reach as a share of followers, and views per account reached, by product type.
_REACH_SHARE = {"FEED": 0.22, "REELS": 0.55, "STORY": 0.07}
_VIEWS_PER_REACH = {"FEED": 1.6, "REELS": 2.3, "STORY": 1.15}
# Per-account-reached rates of the other counts (lifetime).
_MEDIA_RATES = {
    "likes": 0.045,
    "comments": 0.0032,
    "shares": 0.006,
    "saved": 0.01,
    "reposts": 0.0015,
    "follows": 0.0015,
    "profile_visits": 0.018,
    "replies": 0.004,
    "link_clicks": 0.01,
}

# A seeded post that predates its account's switch to a professional account (100/2108006).
PRE_CONVERSION_MEDIA_IDS = frozenset({"17900000000000201"})  # seed.SEED_MEDIA_PHOTO_ID


def media_quality(seed: int, media: IgMedia) -> float:
    return spread(seed, 0.55, 1.45, "ig", media.owner_id, media.media_product_type, media.caption)


def media_values(state: "SandboxState", media: IgMedia, at: float) -> dict[str, float]:
    """Return every media metric's lifetime value as of `at` (unrounded where it matters)."""
    seed = state.settings.insights_seed
    ig = state.world.ig_accounts[media.owner_id]
    product = media.media_product_type if media.media_product_type in _REACH_SHARE else "FEED"
    quality = media_quality(seed, media)
    share = growth(at - media.created_at)
    lifetime_reach = ig.followers_count * _REACH_SHARE[product] * quality
    reach = round(lifetime_reach * share)
    views_per = _VIEWS_PER_REACH[product] * spread(seed, 0.9, 1.1, "views", media.id)
    values: dict[str, float] = {"reach": reach, "views": round(lifetime_reach * views_per * share)}
    for name, rate in _MEDIA_RATES.items():
        values[name] = round(lifetime_reach * rate * quality * share)
    values["profile_activity"] = round(values["profile_visits"] * 0.35)
    values["navigation"] = round(values["views"] * 1.1)
    if product == "STORY":
        values["total_interactions"] = values["shares"] + values["replies"]
    else:
        values["total_interactions"] = (
            values["likes"] + values["comments"] + values["shares"] + values["saved"]
        )
    watch_ms = round(3000 + 6000 * (quality - 0.55) / 0.9)
    values["ig_reels_avg_watch_time"] = watch_ms if reach else 0
    values["ig_reels_video_view_total_time"] = values["views"] * watch_ms
    values["reels_skip_rate"] = round(60 - 25 * (quality - 0.55) / 0.9, 2) if reach else 0
    values["facebook_views"] = round(values["views"] * 0.04)
    values["crossposted_views"] = values["facebook_views"]
    values["total_views"] = values["views"] + values["facebook_views"]
    values["total_likes"] = values["likes"] + round(values["likes"] * 0.05)
    values["total_comments"] = values["comments"]
    return values


def breakdown_results(
    seed: int, total: float, key: str, names: Sequence[str], *parts: object
) -> list[tuple[str, int]]:
    """Share `total` out over `names` with hashed weights; the parts sum to the total."""
    weights = [spread(seed, 0.2, 1.0, key, name, *parts) for name in names]
    scale = sum(weights)
    shares = [round(total * weight / scale) for weight in weights]
    shares[0] += round(total) - sum(shares)  # rounding leftovers go to the first
    return list(zip(names, shares, strict=True))


# --- organic: days, accounts and Pages ------------------------------------------------------


def organic_day_end(timestamp: float) -> float:
    """Return the end (exclusive) of the organic day holding `timestamp`."""
    local = timestamp + ORGANIC_DAY_OFFSET_SECONDS
    return (math.floor(local / DAY) + 1) * DAY - ORGANIC_DAY_OFFSET_SECONDS


def organic_day_index(day_end: float) -> int:
    return round((day_end + ORGANIC_DAY_OFFSET_SECONDS) / DAY)


def _media_of(state: "SandboxState", ig_user_id: str) -> list[IgMedia]:
    created = [m for m in state.objects.of_type(IgMedia) if m.owner_id == ig_user_id]
    seeded = [m for m in state.engagement.seeded_media.values() if m.owner_id == ig_user_id]
    return seeded + created


def account_day(
    state: "SandboxState", ig_user_id: str, start: float, end: float
) -> dict[str, float]:
    """Return an Instagram account's activity in [start, end).

    A daily baseline plus what its media did in that window; `end` is already clipped to
    the observed time.
    """
    seed = state.settings.insights_seed
    ig = state.world.ig_accounts[ig_user_id]
    day = organic_day_index(organic_day_end(start))
    span = max(0.0, end - start) / DAY
    base_reach = ig.followers_count * 0.035 * spread(seed, 0.75, 1.25, "igday", ig.id, day) * span
    values: dict[str, float] = {
        "reach": base_reach,
        "views": base_reach * 1.8,
        "likes": base_reach * 0.012,
        "comments": base_reach * 0.001,
        "shares": base_reach * 0.0015,
        "saves": base_reach * 0.002,
        "replies": base_reach * 0.0005,
        "reposts": base_reach * 0.0004,
        "follows": ig.followers_count
        * 0.0012
        * spread(seed, 0.5, 1.5, "igfollow", ig.id, day)
        * span,
        "profile_views": base_reach * 0.03,
        "profile_links_taps": base_reach * 0.004,
        "website_clicks": base_reach * 0.004,
    }
    # What each product type contributed (for breakdown=media_product_type).
    for product in ("post", "reel", "story"):
        values[f"reach_{product}"] = values[f"views_{product}"] = 0.0
    for media in _media_of(state, ig_user_id):
        if media.created_at >= end:
            continue
        before = media_values(state, media, start)
        after = media_values(state, media, end)
        delta = {name: after[name] - before[name] for name in after}
        values["reach"] += delta["reach"]
        values["views"] += delta["views"]
        for name in ("likes", "comments", "shares", "replies", "reposts", "follows"):
            values[name] += delta[name]
        values["saves"] += delta["saved"]
        values["profile_views"] += delta["profile_visits"]
        product = {"REELS": "reel", "STORY": "story"}.get(media.media_product_type, "post")
        values[f"reach_{product}"] += delta["reach"]
        values[f"views_{product}"] += delta["views"]
    values["total_interactions"] = (
        values["likes"]
        + values["comments"]
        + values["shares"]
        + values["saves"]
        + values["replies"]
    )
    values["accounts_engaged"] = values["total_interactions"] * 0.7
    values["unfollows"] = values["follows"] * spread(seed, 0.2, 0.5, "igunfollow", ig.id, day)
    values["follows_and_unfollows"] = values["follows"] + values["unfollows"]
    values["follower_count"] = values["follows"]
    return values


def dedup(days: float) -> float:
    """Return the factor from summed daily reach to unique reach over `days` days."""
    return 1 / (1 + 0.12 * math.log(max(1.0, days)))


def post_quality(seed: int, post: PagePost) -> float:
    return spread(seed, 0.55, 1.45, "fb", post.owner_id, post.message, post.link)


def _paid_impressions(state: "SandboxState", post: PagePost, at: float) -> int:
    """Impressions of the ads that run this post (object_story_id), as of `at`."""
    creatives = {c.id for c in state.objects.of_type(AdCreative) if c.object_story_id == post.id}
    model = AdModel(state, at)
    ads = [ad for ad in state.objects.of_type(Ad) if ad.creative_id in creatives]
    return sum(model.totals(ad, float("-inf"), at).impressions for ad in ads)


def post_values(state: "SandboxState", post: PagePost, at: float) -> dict[str, Any]:
    """Return every Page post metric's lifetime value as of `at`."""
    seed = state.settings.insights_seed
    page = state.world.pages[post.owner_id]
    quality = post_quality(seed, post)
    share = growth(at - post.created_at)
    # An ad's dark post (neither published by the app nor seeded) has no organic audience.
    dark = state.objects.get(post.id, PagePost) is None and (
        post.id not in state.engagement.seeded_posts
    )
    lifetime_reach = 0.0 if dark else page.followers_count * 0.10 * quality
    reach = round(lifetime_reach * share)
    organic = round(lifetime_reach * 1.45 * share)
    paid = _paid_impressions(state, post, at)
    viral = round(organic * 0.12)
    likes = round(lifetime_reach * 0.03 * quality * share)
    reactions = {
        "like": likes,
        "love": round(likes * 0.25),
        "wow": round(likes * 0.03),
        "haha": round(likes * 0.05),
        "sorry": round(likes * 0.01),
        "anger": round(likes * 0.005),
    }
    clicks = {
        "other clicks": round(reach * 0.02 * quality),
        "link clicks": round(reach * 0.012 * quality) if post.link else 0,
        "photo view": round(reach * 0.015 * quality) if post.photo_id or post.attached_media else 0,
    }
    comments = round(lifetime_reach * 0.0025 * quality * share)
    shares = round(lifetime_reach * 0.002 * quality * share)
    video_views = round(organic * 0.3) if post.video_id else 0
    values: dict[str, Any] = {
        "post_media_view": organic + paid,
        "post_total_media_view_unique": reach + round(paid * 0.7),
        "post_impressions_paid": paid,
        "post_impressions_paid_unique": round(paid * 0.7),
        "post_impressions_organic": organic,
        "post_impressions_fan": round(organic * 0.6),
        "post_impressions_viral": viral,
        "post_impressions_viral_unique": round(viral * 0.8),
        "post_impressions_nonviral": organic - viral,
        "post_clicks": sum(clicks.values()),
        "post_clicks_by_type": {name: count for name, count in clicks.items() if count},
        "post_reactions_by_type_total": {name: count for name, count in reactions.items() if count},
        "post_activity_by_action_type": {
            name: count
            for name, count in (("share", shares), ("like", likes), ("comment", comments))
            if count
        },
        "post_video_views": video_views,
        "post_video_view_time": video_views * 6000,
    }
    for name, count in reactions.items():
        values[f"post_reactions_{name}_total"] = count
    values["_engagements"] = sum(reactions.values()) + comments + shares + values["post_clicks"]
    return values


def _posts_of(state: "SandboxState", page_id: str) -> list[PagePost]:
    created = [
        p
        for p in state.objects.of_type(PagePost)
        if p.owner_id == page_id and lifecycle.post_is_published(state, p)
    ]
    seeded = [p for p in state.engagement.seeded_posts.values() if p.owner_id == page_id]
    return seeded + created


def page_day(state: "SandboxState", page_id: str, start: float, end: float) -> dict[str, float]:
    """Return a Page's activity in [start, end): a daily baseline plus its posts'."""
    seed = state.settings.insights_seed
    page = state.world.pages[page_id]
    day = organic_day_index(organic_day_end(start))
    span = max(0.0, end - start) / DAY
    base = page.followers_count * 0.04 * spread(seed, 0.75, 1.25, "fbday", page.id, day) * span
    follows = page.followers_count * 0.0009 * spread(seed, 0.5, 1.5, "fbfollow", page.id, day)
    values = {
        "page_media_view": base * 1.5,
        "page_total_media_view_unique": base,
        "page_post_engagements": base * 0.02,
        "page_video_views": base * 0.08,
        "page_views_total": (
            page.followers_count * 0.004 * spread(seed, 0.5, 1.5, "fbviews", page.id, day) * span
        ),
        "page_daily_follows_unique": follows * span,
        "page_daily_unfollows_unique": (
            follows * span * spread(seed, 0.2, 0.5, "fbunf", page.id, day)
        ),
    }
    for post in _posts_of(state, page_id):
        if post.created_at >= end:
            continue
        before = post_values(state, post, start)
        after = post_values(state, post, end)
        values["page_media_view"] += after["post_media_view"] - before["post_media_view"]
        values["page_total_media_view_unique"] += (
            after["post_total_media_view_unique"] - before["post_total_media_view_unique"]
        )
        values["page_post_engagements"] += after["_engagements"] - before["_engagements"]
        values["page_video_views"] += after["post_video_views"] - before["post_video_views"]
    return values


# --- ads: dates -------------------------------------------------------------------------------

# GRAPH_NOTES §4.7 (verified): date presets; `lifetime` was removed in v10 (use maximum).
DATE_PRESETS = (
    "today",
    "yesterday",
    "this_month",
    "last_month",
    "this_quarter",
    "maximum",
    "data_maximum",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "last_week_mon_sun",
    "last_week_sun_sat",
    "last_quarter",
    "last_year",
    "this_week_mon_today",
    "this_week_sun_today",
    "this_year",
)
MAX_HISTORY_MONTHS = 37  # §4.7: older than 37 months -> 3018


def account_today(account: AdAccount, now: float) -> date:
    offset = account.timezone_offset_hours_utc * HOUR
    return datetime.fromtimestamp(now + offset, tz=UTC).date()


def day_start(account: AdAccount, day: date) -> float:
    """Return the sandbox timestamp at which `day` begins in the account's time zone."""
    return calendar.timegm(day.timetuple()) - account.timezone_offset_hours_utc * HOUR


def months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_range(preset: str, today: date, earliest: date) -> tuple[date, date]:
    """Return the (since, until) of a date preset, both inclusive, in account-local days."""
    if preset.startswith("last_") and preset.endswith("d"):
        days = int(preset[5:-1])
        return today - timedelta(days=days), today - timedelta(days=1)
    month_start = today.replace(day=1)
    quarter = _quarter_start(today)
    monday = today - timedelta(days=today.weekday())
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    ranges = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this_month": (month_start, today),
        "last_month": (months_back(month_start, 1), month_start - timedelta(days=1)),
        "this_quarter": (quarter, today),
        "last_quarter": (months_back(quarter, 3), quarter - timedelta(days=1)),
        "this_year": (date(today.year, 1, 1), today),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "this_week_mon_today": (monday, today),
        "this_week_sun_today": (sunday, today),
        "last_week_mon_sun": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "last_week_sun_sat": (sunday - timedelta(days=7), sunday - timedelta(days=1)),
        "maximum": (earliest, today),
        "data_maximum": (earliest, today),
    }
    return ranges[preset]


def periods(since: date, until: date, increment: int | str) -> list[tuple[date, date]]:
    """Split [since, until] into rows: N days, calendar months, or one row (all_days)."""
    if increment == "all_days":
        return [(since, until)]
    rows: list[tuple[date, date]] = []
    start = since
    while start <= until:
        if increment == "monthly":
            last = calendar.monthrange(start.year, start.month)[1]
            stop = min(until, date(start.year, start.month, last))
        else:
            stop = min(until, start + timedelta(days=int(increment) - 1))
        rows.append((start, stop))
        start = stop + timedelta(days=1)
    return rows


# --- ads: audiences and creatives -------------------------------------------------------------

AGE_BUCKETS = (
    ("18-24", 18, 24, 0.18, 1.15),
    ("25-34", 25, 34, 0.30, 1.10),
    ("35-44", 35, 44, 0.22, 1.00),
    ("45-54", 45, 54, 0.14, 0.95),
    ("55-64", 55, 64, 0.10, 0.90),
    ("65+", 65, 65, 0.06, 0.85),
)  # (label, from, to, share of an open audience, relative click rate)
GENDERS = (("female", 2, 0.53), ("male", 1, 0.45), ("unknown", 0, 0.02))
# Rough CPM in USD per 1,000 impressions by country (sandbox choice, not Meta data).
COUNTRY_CPM_USD = {
    "US": 11.0,
    "CA": 9.0,
    "GB": 9.0,
    "AU": 10.0,
    "DE": 8.0,
    "FR": 7.0,
    "NL": 8.0,
    "ES": 5.0,
    "IT": 5.0,
    "BR": 2.5,
    "MX": 2.2,
    "IN": 0.9,
    "NG": 1.1,
}
DEFAULT_CPM_USD = 5.0
USD_RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "NGN": 1550.0, "CAD": 1.37, "AUD": 1.5}
# Minor units per major unit (budgets arrive in minor units, §4.4); 100 for these currencies.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "COP", "HUF", "ISK", "PYG", "TWD", "VND"})
PLACEMENTS = (
    ("facebook", "feed", 0.30, 1.00),
    ("facebook", "facebook_reels", 0.07, 0.90),
    ("facebook", "story", 0.05, 0.80),
    ("facebook", "marketplace", 0.04, 0.85),
    ("facebook", "video_feeds", 0.03, 0.70),
    ("facebook", "right_hand_column", 0.02, 0.40),
    ("instagram", "feed", 0.20, 1.05),
    ("instagram", "instagram_stories", 0.10, 0.85),
    ("instagram", "instagram_reels", 0.10, 1.10),
    ("instagram", "instagram_explore", 0.03, 0.90),
    ("audience_network", "an_classic", 0.04, 0.60),
    ("messenger", "messenger_inbox", 0.02, 0.70),
)  # (publisher_platform, platform_position, share, relative click rate)
BREAKDOWNS = ("age", "gender", "country", "publisher_platform", "platform_position")
# Combinations the sandbox can answer (others: 2/1504041, GRAPH_NOTES §4.7).
BREAKDOWN_COMBINATIONS = frozenset(
    {
        ("age",),
        ("gender",),
        ("age", "gender"),
        ("country",),
        ("publisher_platform",),
        ("publisher_platform", "platform_position"),
    }
)
ACTION_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view")
# §4.7: 7d_view and 28d_view are no longer returned from 2026-01-12; 28d_click went earlier.
RETURNED_WINDOWS = ("1d_click", "7d_click", "1d_view")


def minor_per_major(currency: str) -> int:
    return 1 if currency in ZERO_DECIMAL_CURRENCIES else 100


@dataclass(frozen=True)
class Segment:
    key: tuple[str, ...]  # the breakdown values, in the order asked
    share: float  # of impressions
    price: float  # relative spend per impression
    clicks: float  # relative clicks per impression


@dataclass
class Audience:
    """What an ad set's targeting means for delivery and breakdowns."""

    identity: str
    age_min: int
    age_max: int
    genders: tuple[int, ...]
    countries: tuple[str, ...]
    platforms: tuple[str, ...]

    @classmethod
    def of(cls, targeting: dict[str, Any]) -> "Audience":
        geo = targeting.get("geo_locations") or {}
        countries = tuple(str(c) for c in geo.get("countries") or ()) or ("US",)
        platforms = tuple(str(p) for p in targeting.get("publisher_platforms") or ())
        return cls(
            identity=json.dumps(targeting, sort_keys=True, separators=(",", ":")),
            age_min=int(targeting.get("age_min") or 18),
            age_max=int(targeting.get("age_max") or 65),
            genders=tuple(int(g) for g in targeting.get("genders") or ()),
            countries=countries,
            platforms=platforms or ("facebook", "instagram", "audience_network", "messenger"),
        )

    @property
    def breadth(self) -> float:
        """1 for everyone 18-65+, smaller for narrower age ranges and one gender."""
        span = max(1, min(self.age_max, 65) - max(self.age_min, 18) + 1) / 48
        return min(1.0, span * (0.5 if len(self.genders) == 1 else 1.0))

    def ages(self, seed: int) -> list[tuple[str, float, float]]:
        out = []
        oldest = 120 if self.age_max >= 65 else self.age_max  # age_max 65 means "65+"
        for label, low, high, share, clicks in AGE_BUCKETS:
            top = 120 if label == "65+" else high
            overlap = min(top, oldest) - max(low, self.age_min) + 1
            if overlap <= 0:
                continue
            width = overlap / (top - low + 1)
            weight = share * width * spread(seed, 0.8, 1.2, "age", self.identity, label)
            out.append((label, weight, clicks))
        return out

    def gender_split(self, seed: int) -> list[tuple[str, float, float]]:
        out = []
        for label, code, share in GENDERS:
            if self.genders and code not in self.genders and code != 0:
                continue
            weight = share * spread(seed, 0.85, 1.15, "gender", self.identity, label)
            out.append((label, weight, 1.0))
        return out

    def country_split(self, seed: int) -> list[tuple[str, float, float]]:
        return [
            (country, spread(seed, 0.5, 1.5, "country", self.identity, country), 1.0)
            for country in self.countries
        ]

    def cpm_usd(self, seed: int) -> float:
        split = self.country_split(seed)
        total = sum(weight for _, weight, _ in split)
        base = sum(COUNTRY_CPM_USD.get(c, DEFAULT_CPM_USD) * w for c, w, _ in split) / total
        return base * (1.35 - 0.35 * self.breadth)

    def click_factor(self, seed: int) -> float:
        ages = self.ages(seed) or [("", 1.0, 1.0)]
        total = sum(weight for _, weight, _ in ages)
        by_age = sum(weight * clicks for _, weight, clicks in ages) / total
        return by_age * spread(seed, 0.9, 1.1, "audience", self.identity)


def creative_identity(state: "SandboxState", creative: AdCreative | None) -> str:
    """Stable text naming a creative: its name and story spec, or the post it promotes."""
    if creative is None:
        return ""
    if creative.object_story_spec:
        spec = json.dumps(creative.object_story_spec, sort_keys=True, separators=(",", ":"))
        return f"{creative.name}|{spec}"
    post = state.objects.get(creative.object_story_id or "", PagePost) or (
        state.engagement.seeded_posts.get(creative.object_story_id or "")
    )
    return f"{creative.name}|{post.message if post else creative.object_story_id}"


# --- ads: delivery ----------------------------------------------------------------------------

Interval = tuple[float, float]


def _active_spans(obj: Campaign | AdSet | Ad, start: float, end: float) -> list[Interval]:
    """Return when `obj` had status ACTIVE within [start, end)."""
    log = obj.status_log or [[obj.created_at, obj.status]]
    spans = []
    for index, (since, status) in enumerate(log):
        until = log[index + 1][0] if index + 1 < len(log) else math.inf
        if status == "ACTIVE":
            low, high = max(float(since), start), min(float(until), end)
            if low < high:
                spans.append((low, high))
    return spans


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    out = []
    for a_low, a_high in first:
        for b_low, b_high in second:
            low, high = max(a_low, b_low), min(a_high, b_high)
            if low < high:
                out.append((low, high))
    return out


def _measure(spans: Iterable[Interval], start: float, end: float) -> float:
    return sum(max(0.0, min(high, end) - max(low, start)) for low, high in spans)


@dataclass
class Totals:
    """Counts for one ad (or a sum of ads) over one period, optionally one segment."""

    spend: float = 0.0  # major units of the account currency
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    windows: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, other: "Totals") -> None:
        self.spend += other.spend
        self.impressions += other.impressions
        self.reach += other.reach
        self.clicks += other.clicks
        for name, count in other.actions.items():
            self.actions[name] = self.actions.get(name, 0) + count
        for name, by_window in other.windows.items():
            mine = self.windows.setdefault(name, {})
            for window, count in by_window.items():
                mine[window] = mine.get(window, 0) + count

    @property
    def is_empty(self) -> bool:
        return self.impressions == 0 and self.spend < 0.005


CLICK_ACTIONS = {"link_click": 0.82, "landing_page_view": 0.56}
VIEW_ACTIONS = {"post_reaction": 0.0022, "comment": 0.00018, "onsite_conversion.post_save": 0.0003}


@dataclass
class AdProfile:
    ad: Ad
    adset: AdSet
    campaign: Campaign
    audience: Audience
    creative: str
    rate: float  # spend per delivering second (major units)
    cpm: float  # spend per 1,000 impressions (major units)
    ctr: float  # clicks per impression
    quality: float
    spans: list[Interval]


class AdModel:
    """Delivery of ads as of one observed time (the data lag already applied)."""

    def __init__(self, state: "SandboxState", observed: float) -> None:
        self.state = state
        self.observed = observed
        self.seed = state.settings.insights_seed
        self._profiles: dict[str, AdProfile | None] = {}

    def profile(self, ad: Ad) -> AdProfile | None:
        if ad.id not in self._profiles:
            self._profiles[ad.id] = self._build(ad)
        return self._profiles[ad.id]

    def _build(self, ad: Ad) -> AdProfile | None:
        objects = self.state.objects
        adset = objects.get(ad.adset_id, AdSet)
        campaign = objects.get(ad.campaign_id, Campaign)
        account = self.state.world.ad_accounts.get(ad.owner_id)
        if adset is None or campaign is None or account is None:
            return None
        audience = Audience.of(adset.targeting)
        creative = creative_identity(self.state, objects.get(ad.creative_id, AdCreative))
        seed = self.seed
        quality = spread(seed, 0.6, 1.4, "creative", creative)
        pacing = spread(seed, 0.82, 0.97, "pacing", adset.name, ad.name, creative)
        rate = self._budget_rate(account, campaign, adset) * pacing
        cpm_usd = audience.cpm_usd(seed) / quality**0.3
        cpm = cpm_usd * USD_RATES.get(account.currency, 1.0)
        ctr = 0.011 * quality * audience.click_factor(seed)
        return AdProfile(
            ad=ad,
            adset=adset,
            campaign=campaign,
            audience=audience,
            creative=creative,
            rate=rate,
            cpm=cpm,
            ctr=ctr,
            quality=quality,
            spans=self._spans(ad, adset, campaign),
        )

    def _budget_rate(self, account: AdAccount, campaign: Campaign, adset: AdSet) -> float:
        """Spend per second of one ad of `adset` when all its ads deliver (major units)."""
        objects = self.state.objects
        minor = minor_per_major(account.currency)
        siblings = [
            s
            for s in objects.of_type(AdSet, campaign.owner_id)
            if s.campaign_id == campaign.id and s.status != "DELETED"
        ]
        ads = [
            a
            for a in objects.of_type(Ad, campaign.owner_id)
            if a.adset_id == adset.id and a.status != "DELETED"
        ]
        per_adset: float
        if campaign.daily_budget:
            per_adset = campaign.daily_budget / max(1, len(siblings)) / DAY
        elif campaign.lifetime_budget:
            length = (adset.end_time or adset.created_at + 30 * DAY) - (
                adset.start_time or adset.created_at
            )
            per_adset = campaign.lifetime_budget / max(1, len(siblings)) / max(DAY, length)
        elif adset.daily_budget:
            per_adset = adset.daily_budget / DAY
        elif adset.lifetime_budget:
            length = (adset.end_time or adset.created_at + 30 * DAY) - (
                adset.start_time or adset.created_at
            )
            per_adset = adset.lifetime_budget / max(HOUR, length)
        else:
            per_adset = 0.0
        return per_adset / minor / max(1, len(ads))

    def _spans(self, ad: Ad, adset: AdSet, campaign: Campaign) -> list[Interval]:
        if ad.review_feedback is not None:  # disapproved: never delivered
            return []
        start = max(ad.review_done_at, float(adset.start_time or ad.created_at))
        end = min(self.observed, float(adset.end_time) if adset.end_time else math.inf)
        if start >= end:
            return []
        spans = _active_spans(ad, start, end)
        spans = _intersect(spans, _active_spans(adset, start, end))
        return _intersect(spans, _active_spans(campaign, start, end))

    def spend_until(self, profile: AdProfile, moment: float) -> float:
        return profile.rate * _measure(profile.spans, -math.inf, moment)

    def totals(self, ad: Ad, start: float, end: float) -> Totals:
        """Return an ad's counts in [start, end).

        Counts come from cumulative curves, so consecutive periods add up to the whole.
        """
        profile = self.profile(ad)
        if profile is None:
            return Totals()
        end = min(end, self.observed)
        if end <= start:
            return Totals()
        spent_before, spent_after = self.spend_until(profile, start), self.spend_until(profile, end)

        def count(per_spend: float) -> int:
            return round(spent_after * per_spend) - round(spent_before * per_spend)

        per_impression = 1000 / profile.cpm if profile.cpm else 0.0
        impressions = count(per_impression)
        clicks = count(per_impression * profile.ctr)
        totals = Totals(
            spend=round(spent_after, 2) - round(spent_before, 2),
            impressions=impressions,
            clicks=clicks,
        )
        for name, rate in CLICK_ACTIONS.items():
            totals.actions[name] = count(per_impression * profile.ctr * rate)
        for name, rate in VIEW_ACTIONS.items():
            totals.actions[name] = count(per_impression * rate * profile.quality)
        engagement = sum(
            totals.actions[name] for name in ("link_click", "post_reaction", "comment")
        )
        totals.actions["post_engagement"] = engagement
        totals.actions["page_engagement"] = engagement
        totals.actions = {name: value for name, value in totals.actions.items() if value}
        for name, value in totals.actions.items():
            totals.windows[name] = {
                "1d_click": round(value * 0.86),
                "7d_click": value,
                "28d_click": value,
                "1d_view": round(value * 0.05),
                "7d_view": round(value * 0.08),
                "28d_view": round(value * 0.1),
            }
        days = _measure(profile.spans, start, end) / DAY
        frequency = 1 + 0.3 * math.log1p(days) * (1.4 - 0.4 * profile.audience.breadth)
        totals.reach = round(impressions / frequency) if impressions else 0
        return totals

    def segments(self, ad: Ad, breakdowns: Sequence[str]) -> list[Segment]:
        """Return how an ad's delivery splits over the asked breakdown values."""
        profile = self.profile(ad)
        if profile is None or not breakdowns:
            return [Segment((), 1.0, 1.0, 1.0)]
        audience, seed, creative = profile.audience, self.seed, profile.creative
        dims: list[list[tuple[tuple[str, ...], float, float, float]]] = []
        if "publisher_platform" in breakdowns:
            with_position = "platform_position" in breakdowns
            rows: dict[tuple[str, ...], list[float]] = {}
            for platform, position, share, clicks in PLACEMENTS:
                if platform not in audience.platforms:
                    continue
                key = (platform, position) if with_position else (platform,)
                weight = share * spread(seed, 0.7, 1.3, "placement", audience.identity, position)
                click = clicks * spread(seed, 0.85, 1.15, "placement", creative, position)
                entry = rows.setdefault(key, [0.0, 0.0])
                entry[0] += weight
                entry[1] += weight * click
            dims.append([(k, w, 1.0, c / w) for k, (w, c) in rows.items()])
        for name in breakdowns:
            if name == "age":
                dims.append(self._dimension(audience.ages(seed), creative, "age"))
            elif name == "gender":
                dims.append(self._dimension(audience.gender_split(seed), creative, "gender"))
            elif name == "country":
                split = audience.country_split(seed)
                mean = audience.cpm_usd(seed) / (1.35 - 0.35 * audience.breadth)
                dims.append(
                    [
                        (
                            (country,),
                            weight,
                            COUNTRY_CPM_USD.get(country, DEFAULT_CPM_USD) / mean,
                            spread(seed, 0.85, 1.15, "country", creative, country),
                        )
                        for country, weight, _ in split
                    ]
                )
        segments = [Segment((), 1.0, 1.0, 1.0)]
        for dim in dims:
            total = sum(weight for _, weight, _, _ in dim) or 1.0
            segments = [
                Segment(s.key + key, s.share * weight / total, s.price * price, s.clicks * click)
                for s in segments
                for key, weight, price, click in dim
            ]
        return segments

    def _dimension(
        self, split: list[tuple[str, float, float]], creative: str, name: str
    ) -> list[tuple[tuple[str, ...], float, float, float]]:
        seed = self.seed
        return [
            ((label,), weight, 1.0, clicks * spread(seed, 0.85, 1.15, name, creative, label))
            for label, weight, clicks in split
        ]

    def split(
        self, totals: Totals, segments: list[Segment]
    ) -> list[tuple[tuple[str, ...], Totals]]:
        """Share one ad's totals out over its segments (spend by price, clicks by click rate)."""
        if len(segments) == 1 and not segments[0].key:
            return [((), totals)]
        price_norm = sum(s.share * s.price for s in segments) or 1.0
        click_norm = sum(s.share * s.clicks for s in segments) or 1.0
        out = []
        for segment in segments:
            spend_share = segment.share * segment.price / price_norm
            click_share = segment.share * segment.clicks / click_norm
            part = Totals(
                spend=round(totals.spend * spend_share, 2),
                impressions=round(totals.impressions * segment.share),
                reach=round(totals.reach * segment.share),
                clicks=round(totals.clicks * click_share),
            )
            for name, value in totals.actions.items():
                share = (
                    click_share
                    if name in CLICK_ACTIONS or name.endswith("engagement")
                    else segment.share
                )
                if round(value * share):
                    part.actions[name] = round(value * share)
                    part.windows[name] = {
                        window: round(count * share)
                        for window, count in totals.windows.get(name, {}).items()
                    }
            out.append((segment.key, part))
        return out

    def earliest(self, ads: Sequence[Ad]) -> float | None:
        starts = [low for ad in ads if (p := self.profile(ad)) for low, _ in p.spans]
        return min(starts) if starts else None


# --- async report runs --------------------------------------------------------------------------

JOB_NOT_STARTED = "Job Not Started"
JOB_STARTED = "Job Started"
JOB_RUNNING = "Job Running"
JOB_COMPLETED = "Job Completed"
JOB_FAILED = "Job Failed"
FAIL_AT = 0.5  # a failing run stops half way


@dataclass(frozen=True)
class RunStatus:
    status: str
    percent: int
    completed_at: float | None


def report_status(run: AdReportRun, now: float) -> RunStatus:
    """Where an async run stands on the sandbox clock (statuses: [secondary] SDK clients)."""
    duration = max(run.duration_seconds, 0.001)
    done = (now - run.created_at) / duration
    if run.fails and done >= FAIL_AT:
        return RunStatus(JOB_FAILED, int(FAIL_AT * 100), None)
    if done >= 1:
        return RunStatus(JOB_COMPLETED, 100, run.created_at + run.duration_seconds)
    percent = max(0, int(done * 100))
    if done < 0.05:
        return RunStatus(JOB_NOT_STARTED, 0, None)
    return RunStatus(JOB_STARTED if done < 0.15 else JOB_RUNNING, percent, None)
