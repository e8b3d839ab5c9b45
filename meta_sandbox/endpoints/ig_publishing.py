"""Instagram content publishing (GRAPH_NOTES §2): containers, rupload, publish, media.

    POST /{ig-user-id}/media                  -> {"id"} (+ "uri" for upload_type=resumable)
    POST /ig-api-upload/{version}/{container} rupload (endpoints/rupload.py): raw
                                              bytes (offset, file_size headers) or a
                                              file_url header
    GET  /{container-id}?fields=status_code,status
    POST /{ig-user-id}/media_publish?creation_id=…  -> {"id": "<ig-media-id>"}
    GET  /{ig-user-id}/media                  published media, newest first
    GET  /{ig-user-id}/stories                stories of the last 24 hours, newest first
    GET  /{ig-media-id}?fields=permalink,…
    GET  /{ig-user-id}/content_publishing_limit?fields=quota_usage,config

Writes need `instagram_content_publish` and the MANAGE or CREATE_CONTENT task on the
linked Page; a user token (IG account ticked in the dialog) or the linked Page's token
both work. Image URLs are fetched and checked during `POST /media` (errors as
envelopes); videos are fetched and checked by a background job and their problems
show as `status_code` ERROR. A container is published at most once: a second
`media_publish` answers an error and creates nothing.
"""

import base64
import json
from typing import Any

from meta_sandbox import config, errors, ig_rules, lifecycle
from meta_sandbox.endpoints.instagram import can_see_ig
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, attr, meta_time, parse_fields
from meta_sandbox.ig_rules import ig_error
from meta_sandbox.media_jobs import MediaJob
from meta_sandbox.models import IgAccount
from meta_sandbox.nodes import register_node
from meta_sandbox.objects import IgContainer, IgMedia
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route

PUBLISH_SCOPES = ("instagram_content_publish",)
MEDIA_TYPES = ("IMAGE", "VIDEO", "REELS", "STORIES", "CAROUSEL")
PUBLISHING_TASKS = {"MANAGE", "CREATE_CONTENT"}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def _id_list(raw: str | None) -> list[str]:
    if not raw:
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            return [str(item) for item in json.loads(text)]
        except ValueError as exc:
            raise errors.invalid_parameter("(#100) children must be a list of ids") from exc
    return [part.strip() for part in text.split(",") if part.strip()]


def _require_publisher(call: Call, ig: IgAccount) -> None:
    page = call.state.world.pages.get(ig.page_id)
    if page is None or not PUBLISHING_TASKS & set(page.tasks):
        raise GraphError(
            "(#10) The user must have the MANAGE or CREATE_CONTENT task on the Page linked "
            "to this Instagram account",
            code=10,
        )


# --- nodes -------------------------------------------------------------------------------


def _owner(call: Call, owner_id: str) -> IgAccount | None:
    ig = call.state.world.ig_accounts.get(owner_id)
    return ig if ig is not None and can_see_ig(call, ig) else None


@converter("ig_container")
def visible_container(call: Call, raw: str) -> IgContainer | None:
    container = call.state.objects.get(raw, IgContainer)
    return container if container and _owner(call, container.owner_id) else None


@converter("ig_media")
def visible_media(call: Call, raw: str) -> IgMedia | None:
    media = call.state.objects.get(raw, IgMedia)
    return media if media and _owner(call, media.owner_id) else None


IG_CONTAINER = NodeType(
    "IGContainer",
    {
        "id": attr("id"),
        "status_code": lambda c, call, _ch: lifecycle.container_status(call.state, c),
        "status": lambda c, call, _ch: lifecycle.container_status_text(call.state, c),
    },
    scopes_any=("instagram_basic",),
)


def _permalink(call: Call, media: IgMedia) -> str:
    if media.media_product_type == "REELS":
        return f"https://www.instagram.com/reel/{media.shortcode}/"
    if media.media_product_type == "STORY":
        ig = call.state.world.ig_accounts[media.owner_id]
        return f"https://www.instagram.com/stories/{ig.username}/{media.id}/"
    return f"https://www.instagram.com/p/{media.shortcode}/"


IG_MEDIA = NodeType(
    "IGMedia",
    {
        "id": attr("id"),
        "caption": attr("caption"),
        "media_type": attr("media_type"),
        "media_product_type": attr("media_product_type"),
        "permalink": lambda m, call, _ch: _permalink(call, m),
        "shortcode": attr("shortcode"),
        "timestamp": lambda m, _call, _ch: meta_time(m.created_at),
        "media_url": attr("media_url"),
        "thumbnail_url": attr("thumbnail_url"),
        "username": lambda m, call, _ch: call.state.world.ig_accounts[m.owner_id].username,
        "owner": lambda m, _call, _ch: {"id": m.owner_id},
        "children": lambda m, _call, _ch: {"data": m.children} if m.children else None,
        "is_comment_enabled": lambda m, _call, _ch: m.media_product_type != "STORY",
        "like_count": lambda _m, _call, _ch: 0,
        "comments_count": lambda _m, _call, _ch: 0,
    },
    scopes_any=("instagram_basic",),
)

register_node("ig_container", IG_CONTAINER)
register_node("ig_media", IG_MEDIA)


# --- POST /{ig-user-id}/media ------------------------------------------------------------


def _container_fields(call: Call, ig: IgAccount) -> dict[str, Any]:
    """Validate the request's parameters; return the new container's fields."""
    media_type = (call.param("media_type") or "").strip().upper() or None
    if media_type is not None and media_type not in MEDIA_TYPES:
        raise ig_error(2207023, f"media_type {media_type}")
    is_item = _truthy(call.param("is_carousel_item"))
    resumable = (call.param("upload_type") or "").lower() == "resumable"
    image_url, video_url = call.param("image_url"), call.param("video_url")
    caption = call.param("caption")
    if caption:
        ig_rules.check_caption(caption)
    fields: dict[str, Any] = {
        "is_carousel_item": is_item,
        "caption": caption,
        "resumable": resumable,
        "cover_url": call.param("cover_url"),
        "share_to_feed": _truthy(call.param("share_to_feed"))
        if call.param("share_to_feed") is not None
        else None,
    }
    if media_type == "CAROUSEL":
        fields.update(media_type="CAROUSEL", children=_carousel_children(call, ig))
        return fields
    if image_url and not resumable:
        if media_type not in (None, "IMAGE", "STORIES"):
            raise errors.invalid_parameter("(#100) The parameter video_url is required.")
        fields.update(media_type=media_type or "IMAGE", image_url=image_url)
        return fields
    if video_url or resumable:
        if media_type is None:
            raise ig_error(2207023, "media_type is required for video: REELS or STORIES")
        if media_type == "IMAGE" or (media_type == "VIDEO") != is_item:
            raise ig_error(2207023, f"{media_type} with is_carousel_item={is_item}")
        fields.update(media_type=media_type, video_url=video_url)
        fields["thumb_offset_ms"] = _thumb_offset(call.param("thumb_offset"))
        return fields
    raise errors.invalid_parameter("(#100) The parameter image_url is required.")


def _thumb_offset(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise errors.invalid_parameter("(#100) thumb_offset must be a number of milliseconds")
    return int(raw)


def _carousel_children(call: Call, ig: IgAccount) -> list[str]:
    children = _id_list(call.param("children"))
    if not 2 <= len(children) <= 10:
        raise ig_error(2207028, f"{len(children)} items")
    for child_id in children:
        child = call.state.objects.get(child_id, IgContainer)
        if child is None or child.owner_id != ig.id:
            raise ig_error(2207008, f"child {child_id}")
        if not child.is_carousel_item:
            raise ig_error(2207023, f"child {child_id} was not created with is_carousel_item")
    return children


def _video_spec(media_type: str) -> Any:
    if media_type == "STORIES":
        return ig_rules.STORY_SPEC
    return ig_rules.CAROUSEL_VIDEO_SPEC if media_type == "VIDEO" else ig_rules.REELS_SPEC


def start_video_job(call: Call, container: IgContainer, uploaded: bytes | None) -> None:
    """Begin fetching/checking a video container's media in the background."""
    container.processing_from = call.state.now()
    call.state.objects.jobs[container.id] = MediaJob(
        lambda: ig_rules.video_work(
            spec=_video_spec(container.media_type),
            video_url=container.video_url,
            uploaded=uploaded,
            cover_url=container.cover_url,
            thumb_offset_ms=container.thumb_offset_ms,
        )
    )


@route("POST", "/{ig:ig_user}/media", scopes_any=PUBLISH_SCOPES, locked=False)
def create_container(call: Call) -> dict[str, Any]:
    """Create a container; runs unlocked because it downloads image URLs."""
    state = call.state
    with state.lock:
        ig = call.args["ig"]
        _require_publisher(call, ig)
        fields = _container_fields(call, ig)
    media_info = None
    if fields.get("image_url"):
        feed = fields["media_type"] != "STORIES"
        media_info = ig_rules.check_image_url(fields["image_url"], feed_ratio=feed)
    with state.lock:
        container = IgContainer(
            id=state.objects.new_id("ig_container"),
            owner_id=ig.id,
            created_at=state.now(),
            marker=fields.get("caption"),
            media_info=media_info,
            **fields,
        )
        state.objects.add(container)
        for child_id in container.children:
            child = state.objects.get(child_id, IgContainer)
            if child is not None:
                child.used_by = container.id
        if container.is_video and not container.resumable:
            start_video_job(call, container, None)
        elif not container.resumable:
            container.processing_from = container.created_at
    body = {"id": container.id}
    if container.resumable:
        body["uri"] = f"{call.request.base_url}/ig-api-upload/{call.request.version}/{container.id}"
    return body


# --- POST /{ig-user-id}/media_publish ----------------------------------------------------


def quota_usage(call: Call, ig: IgAccount) -> int:
    since = call.state.now() - config.IG_QUOTA_DURATION_SECONDS
    return sum(1 for m in call.state.objects.of_type(IgMedia, ig.id) if m.created_at > since)


def _shortcode(media_id: str) -> str:
    return base64.urlsafe_b64encode(int(media_id).to_bytes(8, "big")).decode().rstrip("=")[:11]


def _publishable(call: Call, ig: IgAccount, creation_id: str) -> IgContainer:
    container = call.state.objects.get(creation_id, IgContainer)
    if container is None or container.owner_id != ig.id:
        raise ig_error(2207008, f"creation_id {creation_id}")
    if container.is_carousel_item:
        raise ig_error(2207023, "a carousel item is published through its carousel")
    status = lifecycle.container_status(call.state, container)
    if status == lifecycle.PUBLISHED:
        raise GraphError(
            "(#100) This media container has already been published.",
            code=100,
            user_title="Media already published",
            user_msg=f"The container was published as media {container.published_media_id}.",
        )
    if status == lifecycle.EXPIRED:
        raise ig_error(2207020)
    if status == lifecycle.ERROR:
        raise ig_rules.error_from_spec(container.error or ig_rules.ig_error_spec(2207001))
    if status == lifecycle.IN_PROGRESS:
        raise ig_error(2207027)
    return container


def _media_for(call: Call, container: IgContainer) -> IgMedia:
    objects = call.state.objects
    media_id = objects.new_id("ig_media")
    product = {"REELS": "REELS", "STORIES": "STORY"}.get(container.media_type, "FEED")
    children = []
    for child_id in container.children:
        child = objects.get(child_id, IgContainer)
        if child is not None:
            child_type = "VIDEO" if child.is_video else "IMAGE"
            url = child.image_url or child.video_url or ""
            children.append(
                {"id": objects.new_id("ig_media"), "media_type": child_type, "media_url": url}
            )
    if container.media_type == "CAROUSEL":
        media_type = "CAROUSEL_ALBUM"
    else:
        media_type = "IMAGE" if container.image_url else "VIDEO"
    return IgMedia(
        id=media_id,
        owner_id=container.owner_id,
        created_at=call.state.now(),
        marker=container.caption,
        container_id=container.id,
        media_type=media_type,
        media_product_type=product,
        caption=container.caption if product != "STORY" else None,
        shortcode=_shortcode(media_id),
        media_url=container.image_url or container.video_url,
        thumbnail_url=container.cover_url if media_type == "VIDEO" else None,
        children=children,
    )


@route("POST", "/{ig:ig_user}/media_publish", scopes_any=PUBLISH_SCOPES)
def publish(call: Call) -> dict[str, Any]:
    ig = call.args["ig"]
    _require_publisher(call, ig)
    creation_id = call.param("creation_id")
    if not creation_id:
        raise errors.missing_parameter("creation_id")
    container = _publishable(call, ig, creation_id)
    if quota_usage(call, ig) >= call.state.settings.ig_publish_quota:
        raise ig_error(2207042)
    media = call.state.objects.add(_media_for(call, container))
    container.published_media_id = media.id
    ig.media_count += 1
    return {"id": media.id}


# --- reads -------------------------------------------------------------------------------

STORY_LIFETIME_SECONDS = 24 * 60 * 60


@route("GET", "/{ig:ig_user}/media", scopes_any=("instagram_basic",))
def list_media(call: Call) -> dict[str, Any]:
    ig = call.args["ig"]
    media = sorted(call.state.objects.of_type(IgMedia, ig.id), key=lambda m: -m.created_at)
    specs = parse_fields(call.param("fields"))
    return paginate(
        call, media, key=lambda m: m.id, render=lambda m: IG_MEDIA.render(m, call, specs)
    )


@route("GET", "/{ig:ig_user}/stories", scopes_any=("instagram_basic",))
def list_stories(call: Call) -> dict[str, Any]:
    """List the account's stories of the last 24 hours, newest first (then they expire)."""
    ig = call.args["ig"]
    since = call.state.now() - STORY_LIFETIME_SECONDS
    stories = sorted(
        (
            m
            for m in call.state.objects.of_type(IgMedia, ig.id)
            if m.media_product_type == "STORY" and m.created_at > since
        ),
        key=lambda m: -m.created_at,
    )
    specs = parse_fields(call.param("fields"))
    return paginate(
        call, stories, key=lambda m: m.id, render=lambda m: IG_MEDIA.render(m, call, specs)
    )


@route("GET", "/{ig:ig_user}/content_publishing_limit", scopes_any=("instagram_basic",))
def publishing_limit(call: Call) -> dict[str, Any]:
    usage = quota_usage(call, call.args["ig"])
    entry: dict[str, Any] = {}
    for spec in parse_fields(call.param("fields")) or []:
        if spec.name == "config":
            entry["config"] = {
                "quota_total": call.state.settings.ig_publish_quota,
                "quota_duration": config.IG_QUOTA_DURATION_SECONDS,
            }
        elif spec.name == "quota_usage":
            entry["quota_usage"] = usage
        else:
            raise errors.nonexisting_field(spec.name, "ContentPublishingLimitResponse")
    return {"data": [entry or {"quota_usage": usage}]}
