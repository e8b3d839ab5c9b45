"""Everything the app creates in the sandbox, kept by id with its owner and marker.

The kinds: IG containers and media, Page posts, photos and videos, ad images, videos,
creatives, campaigns, ad sets, ads and async insights report runs.

Plain dataclasses kept in one `ObjectStore` owned by `SandboxState` (so `reset()`
forgets them and the state lock guards them). Every object records its `owner_id`
(IG user id, Page id or `act_…`), its sandbox creation time and a `marker`: the
caption, message or name the request carried, so tests can count "exactly one post
with this text was created" through `GET /_sandbox/objects`. Background media jobs
live beside the objects in `store.jobs` (keyed by object id), not in them, so the
objects stay plain data for `asdict()` (and for the state file, `persistence.py`).
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from meta_sandbox.media_jobs import MediaJob

# Id shapes, as Graph's look: IG containers/media 17 digits starting 17/18, Page
# objects 15-16 digits, Marketing objects 18 digits starting 120.
ID_PREFIXES = {
    "ig_container": "1789",
    "ig_media": "1790",
    "page_post": "5",
    "page_photo": "6",
    "video": "7",
    "upload_session": "8",
    "ad_creative": "1202",
    "campaign": "1203",
    "adset": "1204",
    "ad": "1205",
    "report_run": "1207",  # async insights report runs (meta_sandbox/insights.py)
    # Engagement (meta_sandbox/engagement.py, messaging.py): comments and conversations.
    "ig_comment": "1788",
    "fb_comment": "4",
    "conversation": "3",
}
ID_WIDTH = {
    "ig_container": 17,
    "ig_media": 17,
    "ig_comment": 17,
    "ad_creative": 18,
    "campaign": 18,
    "report_run": 18,
}


@dataclass(kw_only=True)
class Created:
    id: str
    kind: str
    owner_id: str
    created_at: float
    marker: str | None = None


@dataclass(kw_only=True)
class IgContainer(Created):
    kind: str = "ig_container"
    media_type: str  # IMAGE | VIDEO | REELS | STORIES | CAROUSEL (what was asked for)
    is_carousel_item: bool = False
    image_url: str | None = None
    video_url: str | None = None
    cover_url: str | None = None
    thumb_offset_ms: int | None = None
    caption: str | None = None
    share_to_feed: bool | None = None
    children: list[str] = field(default_factory=list)
    resumable: bool = False
    processing_from: float | None = None  # when processing started (None: awaiting upload)
    media_info: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # the Graph error spec once processing failed
    published_media_id: str | None = None
    used_by: str | None = None  # the carousel container that took this child

    @property
    def is_video(self) -> bool:
        return self.image_url is None and self.media_type != "CAROUSEL"


@dataclass(kw_only=True)
class IgMedia(Created):
    kind: str = "ig_media"
    container_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM
    media_product_type: str  # FEED | REELS | STORY
    caption: str | None
    shortcode: str
    media_url: str | None
    thumbnail_url: str | None = None
    children: list[dict[str, str]] = field(default_factory=list)


@dataclass(kw_only=True)
class PagePost(Created):
    kind: str = "page_post"
    message: str | None = None
    link: str | None = None
    published: bool = True
    scheduled_publish_time: int | None = None
    photo_id: str | None = None
    video_id: str | None = None
    # A multi-photo post: the unpublished photos it carries (``attached_media``), in order.
    attached_media: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class PagePhoto(Created):
    kind: str = "page_photo"
    caption: str | None
    source_url: str | None
    published: bool
    width: int
    height: int
    post_id: str | None = None


@dataclass(kw_only=True)
class Video(Created):
    """A Page video, Page reel or ad video (kinds page_video, page_reel, ad_video)."""

    title: str | None = None
    description: str | None = None
    published: bool = True
    file_size: int = 0
    bytes_received: int = 0
    upload_session_id: str | None = None
    upload_finished: bool = False  # all bytes are in (or the file_url was fetched)
    processing_from: float | None = None
    media_info: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # {"code", "message"} once processing failed
    video_state: str | None = None  # reels: PUBLISHED | DRAFT | SCHEDULED
    post_id: str | None = None


@dataclass(kw_only=True)
class AdImage(Created):
    kind: str = "ad_image"
    hash: str
    name: str
    width: int
    height: int


@dataclass(kw_only=True)
class AdCreative(Created):
    kind: str = "ad_creative"
    name: str | None
    object_story_spec: dict[str, Any] | None
    object_story_id: str | None
    status: str = "ACTIVE"
    # A promoted Instagram post (``source_instagram_media_id`` + ``instagram_user_id``).
    source_instagram_media_id: str | None = None
    instagram_user_id: str | None = None


@dataclass(kw_only=True)
class Campaign(Created):
    kind: str = "campaign"
    name: str
    objective: str
    status: str
    special_ad_categories: list[str]
    buying_type: str = "AUCTION"
    daily_budget: int | None = None
    lifetime_budget: int | None = None
    bid_strategy: str | None = None
    is_adset_budget_sharing_enabled: bool | None = None
    # [[sandbox time, status], ...] since the first change (see record_status); insights
    # read it to know when delivery was paused.
    status_log: list[list[Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class AdSet(Created):
    kind: str = "adset"
    name: str
    campaign_id: str
    status: str
    billing_event: str
    optimization_goal: str
    targeting: dict[str, Any]
    daily_budget: int | None = None
    lifetime_budget: int | None = None
    bid_amount: int | None = None
    bid_strategy: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    destination_type: str | None = None
    promoted_object: dict[str, Any] | None = None
    status_log: list[list[Any]] = field(default_factory=list)  # see record_status


@dataclass(kw_only=True)
class Ad(Created):
    kind: str = "ad"
    name: str
    adset_id: str
    campaign_id: str
    creative_id: str
    status: str
    review_done_at: float
    review_feedback: dict[str, Any] | None = None  # set when the review disapproves
    status_log: list[list[Any]] = field(default_factory=list)  # see record_status


@dataclass(kw_only=True)
class AdReportRun(Created):
    """An async insights report (`POST /{ad-object}/insights`, GRAPH_NOTES §4.7).

    `owner_id` is the ad account; `object_id` the node it was asked on. `params` are
    the request's insights parameters, checked when it was created; the results are
    computed as of `created_at` (Meta's `time_ref`). `fails` is decided at creation by
    the `insights_fail_next_reports` setting.
    """

    kind: str = "report_run"
    object_id: str
    params: dict[str, str]
    duration_seconds: float
    fails: bool = False


def record_status(obj: "Campaign | AdSet | Ad", status: str, at: float) -> None:
    """Set a Marketing object's status and remember when it changed (for delivery).

    The first change also records the status the object was created with.
    """
    if not obj.status_log:
        obj.status_log.append([obj.created_at, obj.status])
    obj.status_log.append([at, status])
    obj.status = status


DEFAULT_DISAPPROVAL = {
    "global": {
        "SANDBOX_POLICY": "This ad was disapproved by the sandbox's review switch "
        "(POST /_sandbox/ad_review)."
    }
}


# Every kind, by class name: how the state file names an object's class.
OBJECT_TYPES: dict[str, type[Created]] = {
    cls.__name__: cls
    for cls in (
        IgContainer,
        IgMedia,
        PagePost,
        PagePhoto,
        Video,
        AdImage,
        AdCreative,
        Campaign,
        AdSet,
        Ad,
        AdReportRun,
    )
}


def first_id_number() -> int:
    """Return where a new store starts numbering: the wall clock in milliseconds.

    An id the app stored must never name a different object later, even when the sandbox
    restarts without its state file or is reset: the app would take the new object for its
    own (two publications, one permalink). Thirteen digits fit every id family's width.
    """
    return int(time.time() * 1000)


def newest_first[T: Created](items: Iterable[T]) -> list[T]:
    """Return `items` (in creation order) newest first; same-instant ones latest-created first."""
    indexed = list(enumerate(items))
    indexed.sort(key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
    return [obj for _, obj in indexed]


class ObjectStore:
    """Every created object by id, in creation order, plus the review switch."""

    def __init__(self) -> None:
        self.by_id: dict[str, Created] = {}
        self.jobs: dict[str, MediaJob] = {}
        self.uploads: dict[str, bytes] = {}  # chunked/rupload bytes by object id
        self.next_number = first_id_number()  # shared by every id family; persisted
        self.disapprove_next = 0
        self.disapproval_feedback: dict[str, Any] = DEFAULT_DISAPPROVAL

    def new_id(self, family: str) -> str:
        prefix = ID_PREFIXES[family]
        width = ID_WIDTH.get(family, 16 if len(prefix) == 1 else 18)
        number, self.next_number = self.next_number, self.next_number + 1
        return prefix + str(number).rjust(width - len(prefix), "0")

    def add[T: Created](self, obj: T) -> T:
        self.by_id[obj.id] = obj
        return obj

    def get[T: Created](self, object_id: str, cls: type[T]) -> T | None:
        obj = self.by_id.get(object_id)
        return obj if isinstance(obj, cls) else None

    def of_type[T: Created](self, cls: type[T], owner_id: str | None = None) -> list[T]:
        return [
            obj
            for obj in self.by_id.values()
            if isinstance(obj, cls) and (owner_id is None or obj.owner_id == owner_id)
        ]

    def select(
        self, *, kind: str | None = None, owner_id: str | None = None, marker: str | None = None
    ) -> Iterable[Created]:
        for obj in self.by_id.values():
            if kind is not None and obj.kind != kind:
                continue
            if owner_id is not None and obj.owner_id != owner_id:
                continue
            if marker is not None and obj.marker != marker:
                continue
            yield obj
