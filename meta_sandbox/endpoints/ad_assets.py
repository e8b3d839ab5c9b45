"""Ad account assets (GRAPH_NOTES §4.1-§4.3): images, videos and creatives.

    POST /act_{id}/adimages     multipart file(s) or bytes=<base64>
                                -> {"images": {"<filename>|bytes": {"hash","url",
                                   "width","height","name"}}}
    GET  /act_{id}/adimages?hashes=["…"]   -> {"data": [{"hash","url",...,"id"}]}
    POST /act_{id}/advideos     file_url | multipart source | upload_phase=… -> {"id"}
                                (status at GET /{video-id}?fields=status)
    POST /act_{id}/adcreatives  name + object_story_spec (JSON), or object_story_id (an
                                existing Page post), or source_instagram_media_id +
                                instagram_user_id (an existing Instagram post; optional
                                object_id = its Page, call_to_action) -> {"id"}

Writes need `ads_management` and an ACTIVE ad account (account_status 1). The hash
of an image is the MD5 of its bytes, as Meta's is; uploading the same bytes again
returns the same hash and records no second image. adimages takes no `url`
parameter: GRAPH_NOTES §4.1 / §12 #11 find none documented, so the sandbox refuses
it to keep the app honest (download the file and send its bytes).
"""

import base64
import binascii
import hashlib
from typing import Any

from meta_sandbox import ads_rules, errors, lifecycle
from meta_sandbox.ads_rules import invalid
from meta_sandbox.endpoints import videos
from meta_sandbox.endpoints.adaccounts import visible_ad_account
from meta_sandbox.fields import NodeType, attr, parse_fields
from meta_sandbox.media_check import MediaProblem, inspect_image
from meta_sandbox.models import AdAccount
from meta_sandbox.nodes import register_node
from meta_sandbox.objects import (
    ID_PREFIXES,
    ID_WIDTH,
    AdCreative,
    AdImage,
    IgMedia,
    PagePost,
    Video,
)
from meta_sandbox.routing import Call, converter, route
from meta_sandbox.scopes import ADS_SCOPES

WRITE_SCOPES = ("ads_management",)
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF")
STORY_KINDS = ("link_data", "photo_data", "video_data", "text_data", "template_data")


def writable(call: Call) -> AdAccount:
    account: AdAccount = call.args["account"]
    ads_rules.require_active(account)
    return account


def validate_only(call: Call) -> bool:
    options = call.param("execution_options") or ""
    return "validate_only" in options


# --- adimages ----------------------------------------------------------------------------


def _image_uploads(call: Call) -> list[tuple[str, bytes]]:
    uploads = [(name, storage.read()) for name, storage in call.request.files.items(multi=True)]
    raw = call.param("bytes")
    if raw:
        try:
            uploads.append(("bytes", base64.b64decode(raw, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise invalid(
                "Param bytes must be base64-encoded image data", "Invalid image data"
            ) from exc
    if call.param("url"):
        raise invalid(
            "adimages takes image files or base64 bytes; there is no url parameter",
            "Upload the image bytes",
            "Download the image and upload it as a file or as base64 bytes.",
        )
    if not uploads:
        raise invalid("Upload an image file or send bytes", "No image")
    return uploads


def _image_record(call: Call, account: AdAccount, name: str, data: bytes) -> AdImage:
    try:
        info = inspect_image(data)
    except MediaProblem as problem:
        raise invalid(
            f"Invalid image {name}: {problem.reason}", "Image format unsupported"
        ) from problem
    if info.format not in IMAGE_FORMATS:
        raise invalid(f"Invalid image {name}: {info.format}", "Image format unsupported")
    image_hash = hashlib.md5(data, usedforsecurity=False).hexdigest()
    image_id = f"{account.account_id}:{image_hash}"
    existing = call.state.objects.get(image_id, AdImage)
    if existing is not None:
        return existing
    image = AdImage(
        id=image_id,
        owner_id=account.id,
        created_at=call.state.now(),
        marker=name,
        hash=image_hash,
        name=name,
        width=info.width,
        height=info.height,
    )
    return call.state.objects.add(image)


def _image_body(call: Call, image: AdImage) -> dict[str, Any]:
    return {
        "hash": image.hash,
        "url": f"{call.request.base_url}/_sandbox/media/profile/{image.hash}.png",
        "width": image.width,
        "height": image.height,
        "name": image.name,
    }


@route("POST", "/{account:ad_account}/adimages", scopes_any=WRITE_SCOPES)
def upload_images(call: Call) -> dict[str, Any]:
    account = writable(call)
    uploads = _image_uploads(call)
    records = [(name, _image_record(call, account, name, data)) for name, data in uploads]
    return {"images": {name: _image_body(call, image) for name, image in records}}


@route("GET", "/{account:ad_account}/adimages", scopes_any=ADS_SCOPES)
def list_images(call: Call) -> dict[str, Any]:
    account = call.args["account"]
    wanted = ads_rules.json_value(call.param("hashes"), "hashes")
    images = [
        image
        for image in call.state.objects.of_type(AdImage, account.id)
        if wanted is None or image.hash in wanted
    ]
    specs = parse_fields(call.param("fields"))
    names = [spec.name for spec in specs] if specs else ["hash", "url", "width", "height", "name"]
    data = []
    for image in images:
        full = {**_image_body(call, image), "status": "ACTIVE", "account_id": account.account_id}
        unknown = [name for name in names if name not in full and name != "id"]
        if unknown:
            raise errors.nonexisting_field(unknown[0], "AdImage")
        data.append({**{name: full[name] for name in names if name in full}, "id": image.id})
    return {"data": data}


# --- advideos ----------------------------------------------------------------------------


@route("POST", "/{account:ad_account}/advideos", scopes_any=WRITE_SCOPES, locked=False)
def upload_video(call: Call) -> dict[str, Any]:
    """Upload an ad video; runs unlocked because `file_url` is downloaded."""
    state = call.state
    with state.lock:
        account = writable(call)
        phase, file_url = call.param("upload_phase"), call.param("file_url")
        if phase and file_url:
            raise invalid("file_url cannot be used with upload_phase", "Invalid upload")
        if phase:
            return videos.upload_phase(call, kind="ad_video", owner_id=account.id, phase=phase)
    source = call.request.files.get("source")
    if source is not None:
        data = source.read()
        info = videos.check_bytes(data)
    elif file_url:
        data, info = videos.fetch_checked(file_url)
    else:
        raise invalid("Send file_url, a source file or upload_phase", "No video")
    with state.lock:
        video = videos.new_video(
            call,
            kind="ad_video",
            owner_id=account.id,
            title=call.param("title") or call.param("name"),
            description=call.param("description"),
            published=False,
        )
        videos.mark_uploaded(call, video, data, info)
        return {"id": video.id}


# --- adcreatives -------------------------------------------------------------------------


def _check_link_data(call: Call, account: AdAccount, data: dict[str, Any]) -> None:
    if not ads_rules.http_url(data.get("link")):
        raise invalid("object_story_spec.link_data.link must be an http(s) URL", "Missing link")
    ads_rules.call_to_action(data.get("call_to_action"), "link_data")
    cards = data.get("child_attachments")
    if cards is not None:
        if not isinstance(cards, list) or not 2 <= len(cards) <= 10:
            raise invalid("link_data.child_attachments needs 2-10 cards", "Invalid carousel")
        for card in cards:
            _check_image_ref(call, account, card, "child_attachments[]")
        return
    _check_image_ref(call, account, data, "link_data")


def _check_image_ref(call: Call, account: AdAccount, data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise invalid(f"{where} must be an object", "Invalid creative")
    image_hash = data.get("image_hash")
    if image_hash is not None:
        if call.state.objects.get(f"{account.account_id}:{image_hash}", AdImage) is None:
            raise invalid(
                f"{where}.image_hash {image_hash} is not an image of {account.id}",
                "Image not found",
            )
    elif not ads_rules.http_url(data.get("picture") or data.get("url") or data.get("image_url")):
        raise invalid(
            f"{where} needs an image_hash (from adimages) or a picture URL", "Missing image"
        )


def _check_video_data(call: Call, account: AdAccount, data: dict[str, Any]) -> None:
    video = call.state.objects.get(str(data.get("video_id", "")), Video)
    if video is None or video.kind != "ad_video" or video.owner_id != account.id:
        raise invalid("video_data.video_id must be a video of this ad account", "Video not found")
    if data.get("image_hash") is None and not ads_rules.http_url(data.get("image_url")):
        raise invalid("video_data needs a thumbnail: image_url or image_hash", "Missing thumbnail")
    _check_image_ref(
        call, account, {k: data[k] for k in ("image_hash", "image_url") if k in data}, "video_data"
    )
    ads_rules.call_to_action(data.get("call_to_action"), "video_data")


def _check_identity(call: Call, spec: dict[str, Any]) -> str:
    auth = call.authorization
    page_id = str(spec.get("page_id") or "")
    if not page_id:
        raise invalid("object_story_spec.page_id is required", "Missing Page")
    if auth is None or page_id not in auth.page_ids:
        raise invalid(f"page_id {page_id} is not a Page this person granted", "Page not allowed")
    if "instagram_actor_id" in spec:
        raise invalid("instagram_actor_id is deprecated; use instagram_user_id", "Deprecated field")
    ig_id = spec.get("instagram_user_id")
    if ig_id is not None:
        ig = call.state.world.ig_accounts.get(str(ig_id))
        if ig is None or ig.id not in auth.ig_user_ids or ig.page_id != page_id:
            raise invalid(
                f"instagram_user_id {ig_id} is not the Instagram account linked to Page {page_id}",
                "Instagram account not allowed",
            )
    return page_id


def validate_story_spec(call: Call, account: AdAccount, spec: Any) -> str:
    """Check an object_story_spec (§4.3); return its page_id."""
    if not isinstance(spec, dict):
        raise invalid("object_story_spec must be an object", "Invalid creative")
    page_id = _check_identity(call, spec)
    kinds = [kind for kind in STORY_KINDS if kind in spec]
    if len(kinds) != 1:
        raise invalid(
            f"object_story_spec needs exactly one of {', '.join(STORY_KINDS)}", "Invalid creative"
        )
    data = spec[kinds[0]]
    if not isinstance(data, dict):
        raise invalid(f"object_story_spec.{kinds[0]} must be an object", "Invalid creative")
    if kinds[0] == "link_data":
        _check_link_data(call, account, data)
    elif kinds[0] == "video_data":
        _check_video_data(call, account, data)
    elif kinds[0] == "photo_data":
        _check_image_ref(call, account, data, "photo_data")
    return page_id


def _check_story_id(call: Call, story_id: str) -> str:
    """Check an existing Page post to promote (§4.3 ``object_story_id``); return its Page id.

    "<page-id>_<post-id>" of a Page this person granted. A post the sandbox has must be that
    Page's and published (not a draft, nor scheduled for later). The sandbox keeps only the
    posts it made or seeded: an id in the shape it makes that it no longer has was deleted,
    and does not exist; any other id is a post made outside the sandbox (tests promote such
    posts to get ads with distinct creatives) and is taken as it is.
    """
    page_id, _sep, post_part = story_id.partition("_")
    auth = call.authorization
    if auth is None or page_id not in auth.page_ids or not post_part.isdigit():
        raise invalid(
            f"object_story_id {story_id} is not a post of a granted Page", "Post not found"
        )
    state = call.state
    post = state.objects.get(story_id, PagePost) or state.engagement.seeded_posts.get(story_id)
    if post is None and _made_here(post_part, "page_post"):
        raise invalid(f"object_story_id {story_id} does not exist (deleted?)", "Post not found")
    if post is not None and post.owner_id != page_id:
        raise invalid(
            f"object_story_id {story_id} is not a post of Page {page_id}", "Post not found"
        )
    if post is not None and not lifecycle.post_is_published(state, post):
        raise invalid(
            f"object_story_id {story_id} is not published yet; only a published post can be "
            "promoted",
            "Post not published",
        )
    return page_id


def _made_here(number: str, family: str) -> bool:
    """Whether ``number`` has the shape of the ids the sandbox makes for ``family``."""
    prefix = ID_PREFIXES[family]
    width = ID_WIDTH.get(family, 16 if len(prefix) == 1 else 18)
    return len(number) == width and number.startswith(prefix)


def _check_source_media(call: Call, media_id: str, ig_user_id: str) -> str:
    """Check an existing Instagram post to promote (§4.3 ``source_instagram_media_id``).

    Needs ``instagram_user_id``: a granted account that owns the media; ``object_id``, when
    sent, must be that account's Page. Returns the Page id the creative's post is made on.
    """
    auth = call.authorization
    if not ig_user_id:
        raise invalid(
            "source_instagram_media_id needs instagram_user_id, the account that posted it",
            "Missing Instagram account",
        )
    ig = call.state.world.ig_accounts.get(ig_user_id)
    if ig is None or auth is None or ig.id not in auth.ig_user_ids or not ig.page_id:
        raise invalid(
            f"instagram_user_id {ig_user_id} is not an Instagram account this person granted",
            "Instagram account not allowed",
        )
    state = call.state
    media = state.objects.get(media_id, IgMedia) or state.engagement.seeded_media.get(media_id)
    if media is None or media.owner_id != ig.id:
        raise invalid(
            f"source_instagram_media_id {media_id} does not exist or is not a post of "
            f"Instagram account {ig.id}",
            "Post not found",
        )
    object_id = call.param("object_id")
    if object_id and (object_id != ig.page_id or object_id not in auth.page_ids):
        raise invalid(
            f"object_id {object_id} is not the Page linked to Instagram account {ig.id}",
            "Page not allowed",
        )
    cta = ads_rules.json_value(call.param("call_to_action"), "call_to_action")
    ads_rules.call_to_action(cta, "creative")
    return ig.page_id


@route("POST", "/{account:ad_account}/adcreatives", scopes_any=WRITE_SCOPES)
def create_creative(call: Call) -> dict[str, Any]:
    account = writable(call)
    for old, new in (
        ("instagram_actor_id", "instagram_user_id"),
        ("instagram_story_id", "source_instagram_media_id"),
    ):
        if call.param(old):
            raise invalid(f"{old} is deprecated; use {new}", "Deprecated field")
    spec = ads_rules.json_value(call.param("object_story_spec"), "object_story_spec")
    story_id = call.param("object_story_id") or None
    media_id = call.param("source_instagram_media_id") or None
    if [spec is not None, story_id is not None, media_id is not None].count(True) != 1:
        raise invalid(
            "Send exactly one of object_story_spec, object_story_id and source_instagram_media_id",
            "Invalid creative",
        )
    ig_user_id: str | None = None
    if spec is not None:
        page_id = validate_story_spec(call, account, spec)
    elif story_id is not None:
        page_id = _check_story_id(call, str(story_id))
    else:
        ig_user_id = str(call.param("instagram_user_id") or "")
        page_id = _check_source_media(call, str(media_id), ig_user_id)
    if validate_only(call):
        return {"success": True}
    objects = call.state.objects
    creative = AdCreative(
        id=objects.new_id("ad_creative"),
        owner_id=account.id,
        created_at=call.state.now(),
        marker=call.param("name"),
        name=call.param("name"),
        object_story_spec=spec,
        object_story_id=story_id or f"{page_id}_{objects.new_id('page_post')}",
        source_instagram_media_id=media_id,
        instagram_user_id=ig_user_id,
    )
    return {"id": objects.add(creative).id}


@converter("ad_creative")
def visible_creative(call: Call, raw: str) -> AdCreative | None:
    creative = call.state.objects.get(raw, AdCreative)
    return creative if creative and visible_ad_account(call, creative.owner_id) else None


AD_CREATIVE = NodeType(
    "AdCreative",
    {
        "id": attr("id"),
        "account_id": lambda c, _call, _ch: c.owner_id.removeprefix("act_"),
        "name": attr("name"),
        "status": attr("status"),
        "object_story_spec": attr("object_story_spec"),
        "object_story_id": lambda c, _call, _ch: None if c.object_story_spec else c.object_story_id,
        "effective_object_story_id": attr("object_story_id"),
        # The Instagram media an ad runs as; the sandbox makes none (Meta does, for Instagram
        # placements), so the field is absent as on a creative Meta has not placed there yet.
        # … except a promoted Instagram post, which runs as itself.
        "effective_instagram_media_id": lambda c, _call, _ch: c.source_instagram_media_id,
        "source_instagram_media_id": attr("source_instagram_media_id"),
        "instagram_user_id": lambda c, _call, _ch: (
            c.instagram_user_id or (c.object_story_spec or {}).get("instagram_user_id")
        ),
    },
    scopes_any=ADS_SCOPES,
)
register_node("ad_creative", AD_CREATIVE)
