"""Facebook Page publishing (GRAPH_NOTES §3): feed posts, photos, videos and reels.

    POST /{page-id}/feed         message | link | attached_media, published,
                                 scheduled_publish_time -> {"id": "{page-id}_{post-id}"};
                                 attached_media=[{"media_fbid": <photo id>}, ...] (or
                                 attached_media[0], [1]...): a multi-photo post of this
                                 Page's unpublished photos, in order
    POST /{page-id}/photos       url | multipart source, caption, published
                                 -> {"id", "post_id"} ("post_id" only when published)
    POST /{page-id}/videos       file_url | multipart source, title, description,
                                 published -> {"id"}; or upload_phase=start|transfer|
                                 finish|cancel (see endpoints/videos.py)
    POST /{page-id}/video_reels  upload_phase=start -> {"video_id", "upload_url"};
                                 POST upload_url (endpoints/rupload.py: offset/file_size
                                 headers + bytes, or a file_url header)
                                 -> {"success": true};
                                 upload_phase=finish&video_id&video_state=PUBLISHED|
                                 DRAFT&description -> {"success": true}
    GET  /{page-id}/feed         published posts, newest first
    GET  /{page-id}/photos       type=uploaded (default type=profile lists nothing: the
                                 sandbox Pages have no profile pictures): the Page's
                                 published photos, newest first, Photo fields
    GET  /{page-id}/videos       type=uploaded (default) | tagged: the Page's videos and
                                 reels whatever their status, newest first, Video fields
    GET  /{post-id}, /{photo-id}, /{video-id}?fields=status,permalink_url,...
    DELETE /{post-id}, /{photo-id}, /{video-id}  (the Page's token, as for creating)
                                 -> {"success": true}; anything else, Instagram media
                                 included, answers "Unsupported delete request" (100/33)

Every write needs a Page access token of that Page, whose person has the
CREATE_CONTENT or MANAGE task and granted pages_manage_posts and
pages_read_engagement; anything else (a user token included) answers Meta's 200.
The photos and videos reads need a Page access token of that Page too (a user token
answers 210), whose person has the MANAGE, CREATE_CONTENT or MODERATE task and granted
pages_read_engagement (else 10). They are the edges a publisher lists to reconcile a
create whose answer was lost.
"""

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from meta_sandbox import errors, lifecycle
from meta_sandbox.endpoints import videos
from meta_sandbox.endpoints.pages import visible_page
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, attr, meta_time, parse_fields
from meta_sandbox.media_check import MediaProblem, fetch, inspect_image
from meta_sandbox.models import Page
from meta_sandbox.nodes import register_node
from meta_sandbox.objects import PagePhoto, PagePost, Video, newest_first
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route

POST_SCOPES = ("pages_manage_posts", "pages_read_engagement")
CONTENT_TASKS = {"CREATE_CONTENT", "MANAGE"}
READ_TASKS = {"CREATE_CONTENT", "MANAGE", "MODERATE"}
PHOTO_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF")
PHOTO_MAX_BYTES = 10 * 1024 * 1024
SCHEDULE_MIN_SECONDS = 10 * 60  # §3.1: 10 minutes to 75 days ahead
SCHEDULE_MAX_SECONDS = 75 * 86400


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("true", "1", "yes")


def require_page_token(call: Call, page: Page) -> None:
    """Refuse anything but a Page token of `page` with a content task and both scopes."""
    token = call.token
    allowed = (
        token is not None
        and token.kind == "PAGE"
        and token.page_id == page.id
        and bool(CONTENT_TASKS & set(page.tasks))
        and all(call.has_any_scope((scope,)) for scope in POST_SCOPES)
    )
    if not allowed:
        raise GraphError(
            "(#200) If posting to a page, requires both pages_read_engagement and "
            "pages_manage_posts as an admin with sufficient administrative permission",
            code=200,
        )


def require_page_read_token(call: Call, page: Page) -> None:
    """Refuse anything but a Page token of `page` able to read its content (photos, videos)."""
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise GraphError(
            "(#210) A page access token is required to request this resource.", code=210
        )
    if not (READ_TASKS & set(page.tasks)) or not call.has_any_scope(("pages_read_engagement",)):
        raise errors.missing_permission(("pages_read_engagement",))


def _edge_type(call: Call, default: str, allowed: tuple[str, ...]) -> str:
    kind = (call.param("type") or default).lower()
    if kind not in allowed:
        raise errors.invalid_parameter(
            f"(#100) type must be one of the following values: {', '.join(allowed)}"
        )
    return kind


def _scheduled_time(call: Call, published: bool) -> int | None:
    raw = call.param("scheduled_publish_time")
    if not raw:
        return None
    try:
        when = int(raw) if raw.isdigit() else int(datetime.fromisoformat(raw).timestamp())
    except ValueError as exc:
        raise errors.invalid_parameter(
            "(#100) The specified scheduled publish time is invalid."
        ) from exc
    if published:
        raise errors.invalid_parameter(
            "(#100) Cannot specify a scheduled publish time on a published post; send published=false"
        )
    ahead = when - call.state.now()
    if not SCHEDULE_MIN_SECONDS <= ahead <= SCHEDULE_MAX_SECONDS:
        raise errors.invalid_parameter(
            "(#100) The specified scheduled publish time is invalid: it must be between "
            "10 minutes and 75 days from now."
        )
    return when


def _new_post(call: Call, page: Page, **fields: Any) -> PagePost:
    objects = call.state.objects
    post = PagePost(
        id=f"{page.id}_{objects.new_id('page_post')}",
        owner_id=page.id,
        created_at=call.state.now(),
        **fields,
    )
    return objects.add(post)


# --- nodes -------------------------------------------------------------------------------


@converter("page_post")
def visible_post(call: Call, raw: str) -> PagePost | None:
    post = call.state.objects.get(raw, PagePost)
    return post if post and visible_page(call, post.owner_id) else None


@converter("page_photo")
def visible_photo(call: Call, raw: str) -> PagePhoto | None:
    photo = call.state.objects.get(raw, PagePhoto)
    return photo if photo and visible_page(call, photo.owner_id) else None


def _status_type(post: PagePost) -> str:
    if post.photo_id or post.attached_media:
        return "added_photos"
    return "shared_story" if post.link else "mobile_status_update"


def _from(page_id: str, call: Call) -> dict[str, str]:
    return {"id": page_id, "name": call.state.world.pages[page_id].name}


def _attachments(post: PagePost) -> dict[str, Any]:
    """Return the post's attachments: a multi-photo post's photos as one album's parts."""
    if post.attached_media:
        photos = [{"type": "photo", "target": {"id": pid}} for pid in post.attached_media]
        return {"data": [{"type": "album", "subattachments": {"data": photos}}]}
    if post.photo_id:
        return {"data": [{"type": "photo", "target": {"id": post.photo_id}}]}
    return {"data": []}


PAGE_POST = NodeType(
    "Post",
    {
        "id": attr("id"),
        "message": attr("message"),
        "link": attr("link"),
        "created_time": lambda p, _call, _c: meta_time(p.created_at),
        "permalink_url": lambda p, _call, _c: (
            f"https://www.facebook.com/{p.owner_id}/posts/{p.id.split('_')[1]}"
        ),
        "is_published": lambda p, call, _c: lifecycle.post_is_published(call.state, p),
        "scheduled_publish_time": attr("scheduled_publish_time"),
        "status_type": lambda p, _call, _c: _status_type(p),
        "from": lambda p, call, _c: _from(p.owner_id, call),
        "object_id": lambda p, _call, _c: p.photo_id or p.video_id,
        "attachments": lambda p, _call, _c: _attachments(p),
    },
    default_fields=("created_time", "message", "id"),
)

PAGE_PHOTO = NodeType(
    "Photo",
    {
        "id": attr("id"),
        "name": attr("caption"),
        "created_time": lambda p, _call, _c: meta_time(p.created_at),
        "link": lambda p, _call, _c: f"https://www.facebook.com/photo.php?fbid={p.id}",
        "width": attr("width"),
        "height": attr("height"),
        "page_story_id": attr("post_id"),
        "from": lambda p, call, _c: _from(p.owner_id, call),
    },
    default_fields=("created_time", "id"),
)

register_node("page_post", PAGE_POST)
register_node("page_photo", PAGE_PHOTO)


# --- /feed -------------------------------------------------------------------------------


def _attached_media_param(call: Call) -> list[Any]:
    """Return ``attached_media`` as sent: one JSON list, or ``attached_media[0]``, ``[1]``..."""
    raw = call.param("attached_media")
    if raw:
        try:
            entries = json.loads(raw)
        except ValueError as exc:
            raise errors.invalid_parameter(
                "(#100) param attached_media must be an array of objects"
            ) from exc
        if not isinstance(entries, list):
            raise errors.invalid_parameter("(#100) param attached_media must be an array")
        return entries
    entries = []
    while (item := call.param(f"attached_media[{len(entries)}]")) is not None:
        try:
            entries.append(json.loads(item))
        except ValueError as exc:
            raise errors.invalid_parameter(
                f"(#100) param attached_media[{len(entries)}] must be an object"
            ) from exc
    return entries


def _attached_photos(call: Call, page: Page) -> list[PagePhoto]:
    """Return the unpublished photos ``attached_media`` names, in order (GRAPH_NOTES §3.1).

    Each must be an unpublished photo of this Page, not yet attached to a post, and named
    once. Meta states no count limit in the notes; the sandbox sets none.
    """
    photos: list[PagePhoto] = []
    for index, entry in enumerate(_attached_media_param(call)):
        fbid = str(entry.get("media_fbid", "")) if isinstance(entry, dict) else ""
        where = f"attached_media[{index}]"
        if not fbid:
            raise errors.invalid_parameter(f"(#100) param {where} must have a media_fbid")
        photo = call.state.objects.get(fbid, PagePhoto)
        if photo is None or photo.owner_id != page.id:
            raise errors.invalid_parameter(
                f"(#100) {where}: media_fbid {fbid} is not a photo of this Page"
            )
        if photo.published or photo.post_id or photo in photos:
            raise errors.invalid_parameter(
                f"(#100) {where}: media_fbid {fbid} is already published or attached; "
                "attach photos uploaded with published=false, each once"
            )
        photos.append(photo)
    return photos


@route("POST", "/{page:page}/feed")
def create_post(call: Call) -> dict[str, Any]:
    page = call.args["page"]
    require_page_token(call, page)
    message, link = call.param("message") or None, call.param("link") or None
    photos = _attached_photos(call, page)
    if message is None and link is None and not photos:
        raise errors.invalid_parameter("(#100) Missing message or attachment")
    if link is not None and urlsplit(link).scheme not in ("http", "https"):
        raise errors.invalid_parameter("(#100) link URL is not properly formatted")
    published = _truthy(call.param("published"), default=True)
    scheduled = _scheduled_time(call, published)
    post = _new_post(
        call,
        page,
        marker=message or link,
        message=message,
        link=link,
        published=published,
        scheduled_publish_time=scheduled,
        attached_media=[photo.id for photo in photos],
    )
    for photo in photos:  # Meta publishes the attached photos with the post
        photo.post_id = post.id
        photo.published = published
    return {"id": post.id}


@route("GET", "/{page:page}/feed")
def list_posts(call: Call) -> dict[str, Any]:
    page = call.args["page"]
    posts = [
        post
        for post in call.state.objects.of_type(PagePost, page.id)
        if lifecycle.post_is_published(call.state, post)
    ]
    posts.sort(key=lambda post: -(post.scheduled_publish_time or post.created_at))
    specs = parse_fields(call.param("fields"))
    return paginate(
        call, posts, key=lambda p: p.id, render=lambda p: PAGE_POST.render(p, call, specs)
    )


# --- /photos -----------------------------------------------------------------------------

PHOTO_LIST_FIELDS = ("created_time", "name", "id")


@route("GET", "/{page:page}/photos")
def list_photos(call: Call) -> dict[str, Any]:
    """List the Page's published photos, newest first (`type=uploaded`; Meta's default is profile)."""
    page = call.args["page"]
    require_page_read_token(call, page)
    kind = _edge_type(call, "profile", ("profile", "tagged", "uploaded"))
    photos = [
        photo
        for photo in call.state.objects.of_type(PagePhoto, page.id)
        if kind == "uploaded" and photo.published
    ]
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        newest_first(photos),
        key=lambda p: p.id,
        render=lambda p: PAGE_PHOTO.render(p, call, specs, PHOTO_LIST_FIELDS),
    )


def _photo_error(detail: str) -> GraphError:
    return GraphError("(#324) Missing or invalid image file", code=324, user_msg=detail)


def _photo_bytes(call: Call) -> tuple[bytes, str | None]:
    source = call.request.files.get("source")
    if source is not None:
        return source.read(), None
    url = call.param("url")
    if not url:
        raise _photo_error("Send the image as url or as a multipart source file.")
    try:
        return fetch(url, max_bytes=PHOTO_MAX_BYTES), url
    except MediaProblem as problem:
        raise _photo_error(problem.reason) from problem


@route("POST", "/{page:page}/photos", locked=False)
def create_photo(call: Call) -> dict[str, Any]:
    """Upload a photo; runs unlocked because it downloads `url`."""
    state = call.state
    with state.lock:
        page = call.args["page"]
        require_page_token(call, page)
        published = _truthy(call.param("published"), default=True)
    data, url = _photo_bytes(call)
    try:
        info = inspect_image(data)
    except MediaProblem as problem:
        raise _photo_error(problem.reason) from problem
    if info.format not in PHOTO_FORMATS or info.size > PHOTO_MAX_BYTES:
        raise _photo_error(f"{info.format}, {info.size} bytes")
    caption = call.param("caption") or None
    with state.lock:
        photo = state.objects.add(
            PagePhoto(
                id=state.objects.new_id("page_photo"),
                owner_id=page.id,
                created_at=state.now(),
                marker=caption,
                caption=caption,
                source_url=url,
                published=published,
                width=info.width,
                height=info.height,
            )
        )
        if not published:
            return {"id": photo.id}
        post = _new_post(call, page, marker=caption, message=caption, photo_id=photo.id)
        photo.post_id = post.id
        return {"id": photo.id, "post_id": post.id}


# --- /videos -----------------------------------------------------------------------------

VIDEO_LIST_FIELDS = ("created_time", "description", "id")


@route("GET", "/{page:page}/videos")
def list_videos(call: Call) -> dict[str, Any]:
    """List the Page's videos and reels whatever their status, newest first."""
    page = call.args["page"]
    require_page_read_token(call, page)
    kind = _edge_type(call, "uploaded", ("tagged", "uploaded"))
    found = [
        video
        for video in call.state.objects.of_type(Video, page.id)
        if kind == "uploaded" and video.kind in ("page_video", "page_reel")
    ]
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        newest_first(found),
        key=lambda v: v.id,
        render=lambda v: videos.VIDEO.render(v, call, specs, VIDEO_LIST_FIELDS),
    )


@route("POST", "/{page:page}/videos", locked=False)
def create_video(call: Call) -> dict[str, Any]:
    """Upload a video by file_url, multipart source or upload_phase; runs unlocked (downloads)."""
    state = call.state
    with state.lock:
        page = call.args["page"]
        require_page_token(call, page)
        phase, file_url = call.param("upload_phase"), call.param("file_url")
        if phase and file_url:
            raise errors.invalid_parameter("(#100) file_url cannot be used with upload_phase")
        if phase:
            return videos.upload_phase(call, kind="page_video", owner_id=page.id, phase=phase)
    source = call.request.files.get("source")
    if source is not None:
        data = source.read()
        info = videos.check_bytes(data)
    elif file_url:
        data, info = videos.fetch_checked(file_url)
    else:
        raise errors.invalid_parameter("(#100) Send file_url, a source file or upload_phase")
    with state.lock:
        video = videos.new_video(
            call,
            kind="page_video",
            owner_id=page.id,
            title=call.param("title"),
            description=call.param("description"),
            published=_truthy(call.param("published"), default=True),
        )
        videos.mark_uploaded(call, video, data, info)
        return {"id": video.id}


# --- /video_reels ------------------------------------------------------------------------


def _reel(call: Call, page: Page) -> Video:
    video = call.state.objects.get(call.param("video_id") or "", Video)
    if video is None or video.kind != "page_reel" or video.owner_id != page.id:
        raise errors.invalid_parameter("(#100) Invalid video_id")
    return video


@route("POST", "/{page:page}/video_reels")
def reels(call: Call) -> dict[str, Any]:
    page = call.args["page"]
    require_page_token(call, page)
    phase = call.param("upload_phase")
    if phase == "start":
        video = videos.new_video(call, kind="page_reel", owner_id=page.id, published=False)
        upload_url = f"{call.request.base_url}/video-upload/{call.request.version}/{video.id}"
        return {"video_id": video.id, "upload_url": upload_url}
    if phase != "finish":
        raise errors.invalid_parameter("(#100) upload_phase must be start or finish")
    video = _reel(call, page)
    if not video.upload_finished:
        raise videos.video_error(6001, "the reel's bytes have not been uploaded")
    state = (call.param("video_state") or "PUBLISHED").upper()
    if state not in ("PUBLISHED", "DRAFT", "SCHEDULED"):
        raise errors.invalid_parameter("(#100) video_state must be PUBLISHED, DRAFT or SCHEDULED")
    video.video_state = state
    video.published = state == "PUBLISHED"
    video.description = call.param("description") or video.description
    video.title = call.param("title") or video.title
    video.marker = video.description or video.title
    return {"success": True}


# --- DELETE /{post-id | photo-id | video-id} -----------------------------------------------------

PAGE_CONTENT_KINDS = ("page_post", "page_photo", "page_video", "page_reel")


@route("DELETE", "/{node:node}")
def delete_page_content(call: Call) -> dict[str, bool]:
    """Delete a Page's post, photo, video or reel (§3.1 `DELETE /{post-id}` → success).

    Needs the same Page token as creating it. Anything else (Instagram media included: the
    Instagram Graph API has no delete for published media) answers Meta's
    "Unsupported delete request" (100/33). The post and the photo or video it carries go
    together; the id then reads as unknown.
    """
    _node_type, obj = call.args["node"]
    page = call.state.world.pages.get(getattr(obj, "owner_id", ""))
    if getattr(obj, "kind", "") not in PAGE_CONTENT_KINDS or page is None:
        raise errors.unsupported_request("DELETE", obj.id)
    require_page_token(call, page)
    objects = call.state.objects
    linked = [obj.id, getattr(obj, "photo_id", None), getattr(obj, "video_id", None)]
    linked += [getattr(obj, "post_id", None), *(getattr(obj, "attached_media", None) or [])]
    for object_id in filter(None, linked):
        objects.by_id.pop(object_id, None)
        objects.jobs.pop(object_id, None)
        objects.uploads.pop(object_id, None)
    return {"success": True}
