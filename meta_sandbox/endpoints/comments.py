"""Comments on Page posts and Instagram media (GRAPH_NOTES §9.1; rules in engagement.py).

Facebook (a Page token of the post's Page):

    GET    /{post-id}/comments      filter=toplevel (default) | stream, order=chronological
                                    (default) | reverse_chronological, summary=true, paging
    POST   /{post-id}/comments      message -> {"id"}: a comment by the Page
    GET    /{comment-id}/comments   its replies
    POST   /{comment-id}/comments   message -> {"id"}: the Page replies (a reply to a reply
                                    joins the top-level comment: two levels, as on Facebook)
    POST   /{comment-id}            is_hidden=true|false -> {"success": true}; message=… edits
                                    the Page's own comment
    DELETE /{comment-id}            -> {"success": true} (its replies go with it)
    GET    /{comment-id}?fields=id,message,from,created_time,parent,is_hidden,can_hide,
                                    can_remove,can_reply_privately,like_count,comment_count,…

Reads need pages_read_engagement (or pages_read_user_content) through a Page token of the
Page (a user token answers 210); writes need pages_manage_engagement and the MODERATE or MANAGE
task through that Page token (else 200).

Instagram (a user token with the account ticked, or the linked Page's token):

    GET    /{ig-media-id}/comments  top-level comments, newest first
    POST   /{ig-media-id}/comments  message -> {"id"}: a comment by the account
    POST   /{ig-media-id}           comment_enabled=true|false -> {"success": true}
    GET    /{ig-comment-id}/replies
    POST   /{ig-comment-id}/replies message -> {"id"}; top-level, non-hidden comments only
    POST   /{ig-comment-id}         hide=true|false -> {"success": true}
    DELETE /{ig-comment-id}         -> {"success": true}
    GET    /{ig-comment-id}?fields=id,text,timestamp,username,from,like_count,hidden,media,
                                    parent_id,replies,user,legacy_instagram_comment_id

They need instagram_basic and instagram_manage_comments (else 10); writes also the MANAGE or
MODERATE task on the linked Page. A deleted comment, one under a deleted post, or another
account's comment answers 100/33 ("does not exist … missing permissions").

Seeded posts and media (engagement.py) read with `GET /{id}` like the app's own.
"""

from typing import Any

from meta_sandbox import engagement, errors
from meta_sandbox.endpoints.ig_publishing import IG_MEDIA
from meta_sandbox.endpoints.instagram import can_see_ig
from meta_sandbox.endpoints.page_publishing import PAGE_POST
from meta_sandbox.endpoints.pages import visible_page
from meta_sandbox.engagement import FACEBOOK, INSTAGRAM, Comment, Target
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import FieldSpec, NodeType, attr, meta_time, parse_fields
from meta_sandbox.messaging import PRIVATE_REPLY_SECONDS
from meta_sandbox.models import Page
from meta_sandbox.objects import IgMedia, PagePost
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route

MODERATION_TASKS = {"MANAGE", "MODERATE"}
FB_READ_SCOPES = ("pages_read_engagement", "pages_read_user_content")
IG_SCOPES = ("instagram_basic", "instagram_manage_comments")


def _truthy(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise errors.invalid_parameter(f"(#100) Param must be a boolean: {value}")


def _message(call: Call, limit: int) -> str:
    text = (call.param("message") or "").strip()
    if not text:
        raise errors.missing_parameter("message")
    if len(text) > limit:
        raise errors.invalid_parameter(
            f"(#100) Length of param message must be less than or equal to {limit}"
        )
    return text


# --- access ------------------------------------------------------------------------------


def _page_of(call: Call, owner_id: str) -> Page:
    return call.state.world.pages[owner_id]


def require_fb_read(call: Call, page: Page) -> None:
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise errors.page_token_required()
    if not call.has_any_scope(FB_READ_SCOPES):
        raise errors.missing_permission(FB_READ_SCOPES)


def require_fb_write(call: Call, page: Page) -> None:
    token = call.token
    allowed = (
        token is not None
        and token.kind == "PAGE"
        and token.page_id == page.id
        and bool(MODERATION_TASKS & set(page.tasks))
        and call.has_any_scope(("pages_manage_engagement",))
    )
    if not allowed:
        raise errors.engagement_not_allowed()


def require_ig(call: Call, *, write: bool, ig_user_id: str) -> None:
    if not all(call.has_any_scope((scope,)) for scope in IG_SCOPES):
        raise errors.missing_permission(IG_SCOPES)
    ig = call.state.world.ig_accounts[ig_user_id]
    page = call.state.world.pages.get(ig.page_id)
    if write and (page is None or not MODERATION_TASKS & set(page.tasks)):
        raise GraphError(
            "(#10) The user must have the MANAGE or MODERATE task on the Page linked to this "
            "Instagram account",
            code=10,
        )


def _visible_target(call: Call, target: Target | None, platform: str) -> Target | None:
    if target is None or target.platform != platform:
        return None
    if platform == FACEBOOK:
        return target if visible_page(call, target.owner_id) else None
    ig = call.state.world.ig_accounts.get(target.owner_id)
    return target if ig is not None and can_see_ig(call, ig) else None


@converter("fb_commentable")
def visible_fb_target(call: Call, raw: str) -> Target | None:
    return _visible_target(call, engagement.find_target(call.state, raw), FACEBOOK)


@converter("ig_commentable")
def visible_ig_target(call: Call, raw: str) -> Target | None:
    return _visible_target(call, engagement.find_target(call.state, raw), INSTAGRAM)


def _visible_comment(call: Call, raw: str, platform: str) -> Comment | None:
    comment = call.state.engagement.live_comment(call.state, raw)
    if comment is None or comment.platform != platform:
        return None
    target = engagement.find_target(call.state, comment.object_id)
    return comment if _visible_target(call, target, platform) else None


@converter("fb_comment")
def visible_fb_comment(call: Call, raw: str) -> Comment | None:
    return _visible_comment(call, raw, FACEBOOK)


@converter("ig_comment")
def visible_ig_comment(call: Call, raw: str) -> Comment | None:
    return _visible_comment(call, raw, INSTAGRAM)


@converter("seeded_post")
def visible_seeded_post(call: Call, raw: str) -> PagePost | None:
    post = call.state.engagement.seeded_posts.get(raw)
    return post if post is not None and visible_page(call, post.owner_id) else None


@converter("seeded_media")
def visible_seeded_media(call: Call, raw: str) -> IgMedia | None:
    media = call.state.engagement.seeded_media.get(raw)
    ig = call.state.world.ig_accounts.get(media.owner_id) if media else None
    return media if ig is not None and can_see_ig(call, ig) else None


# --- nodes -------------------------------------------------------------------------------


def _replies(call: Call, comment: Comment) -> list[Comment]:
    return call.state.engagement.replies_to(call.state, comment.id)


def _can_reply_privately(call: Call, comment: Comment) -> bool:
    return (
        comment.author_id is not None
        and comment.private_reply_mid is None
        and call.state.now() <= comment.created_at + PRIVATE_REPLY_SECONDS
    )


def _fb_parent(call: Call, comment: Comment) -> dict[str, Any] | None:
    if comment.parent_id is None:
        return None
    parent = call.state.engagement.comments[comment.parent_id]
    return {
        "created_time": meta_time(parent.created_at),
        "from": engagement.fb_from(call.state, parent),
        "message": parent.message,
        "id": parent.id,
    }


def _fb_permalink(comment: Comment) -> str:
    page_id, _, post_part = comment.object_id.partition("_")
    return f"https://www.facebook.com/{page_id}/posts/{post_part}?comment_id={comment.id.split('_')[-1]}"


def _private_reply_conversation(call: Call, comment: Comment) -> dict[str, str] | None:
    message = call.state.engagement.messages.get(comment.private_reply_mid or "")
    return {"id": message.conversation_id} if message is not None else None


def _fb_replies_field(call: Call, comment: Comment, children: list[FieldSpec] | None) -> Any:
    return {"data": [FB_COMMENT.render(r, call, children) for r in _replies(call, comment)]}


FB_COMMENT = NodeType(
    "Comment",
    {
        "id": attr("id"),
        "message": attr("message"),
        "created_time": lambda c, _call, _ch: meta_time(c.created_at),
        "from": lambda c, call, _ch: engagement.fb_from(call.state, c),
        "parent": lambda c, call, _ch: _fb_parent(call, c),
        "object": lambda c, _call, _ch: {"id": c.object_id},
        "is_hidden": attr("is_hidden"),
        "can_hide": lambda c, _call, _ch: c.author_id is not None,
        "can_remove": lambda _c, _call, _ch: True,
        "can_comment": lambda _c, _call, _ch: True,
        "can_like": lambda _c, _call, _ch: True,
        "can_reply_privately": lambda c, call, _ch: _can_reply_privately(call, c),
        "private_reply_conversation": lambda c, call, _ch: _private_reply_conversation(call, c),
        "like_count": lambda _c, _call, _ch: 0,
        "user_likes": lambda _c, _call, _ch: False,
        "comment_count": lambda c, call, _ch: len(_replies(call, c)),
        "permalink_url": lambda c, _call, _ch: _fb_permalink(c),
        "message_tags": lambda _c, _call, _ch: [],
        "comments": lambda c, call, ch: _fb_replies_field(call, c, ch),
    },
    default_fields=("created_time", "from", "message", "id"),
    scopes_any=FB_READ_SCOPES,
)


def _ig_media_field(call: Call, comment: Comment) -> dict[str, str]:
    media = engagement.ig_media(call.state, comment.object_id)
    product = media.media_product_type if media else "FEED"
    return {"id": comment.object_id, "media_product_type": product}


def _ig_replies_field(call: Call, comment: Comment, children: list[FieldSpec] | None) -> Any:
    replies = _replies(call, comment)[::-1]
    return {"data": [IG_COMMENT.render(r, call, children) for r in replies]}


IG_COMMENT = NodeType(
    "IGComment",
    {
        "id": attr("id"),
        "text": attr("message"),
        "timestamp": lambda c, _call, _ch: meta_time(c.created_at),
        "username": lambda c, call, _ch: engagement.ig_from(call.state, c)["username"],
        "from": lambda c, call, _ch: engagement.ig_from(call.state, c),
        "like_count": lambda _c, _call, _ch: 0,
        "hidden": attr("is_hidden"),
        "media": lambda c, call, _ch: _ig_media_field(call, c),
        "parent_id": attr("parent_id"),
        "replies": lambda c, call, ch: _ig_replies_field(call, c, ch),
        "user": lambda c, _call, _ch: {"id": c.owner_id} if c.author_id is None else None,
        "legacy_instagram_comment_id": attr("id"),
    },
    default_fields=("timestamp", "text", "id"),
    scopes_any=("instagram_manage_comments",),
)

# Not registered as generic nodes (`meta_sandbox.nodes`): the routes below read them, so they
# stay out of `DELETE /{node}` (page_publishing) whatever the registration order, and a
# seeded post cannot be "deleted" there. `GET /?ids=` does not list them.


def _read(call: Call, node_type: NodeType, obj: Any) -> dict[str, Any]:
    if node_type.scopes_any and not call.has_any_scope(node_type.scopes_any):
        raise errors.missing_permission(node_type.scopes_any)
    return node_type.render(obj, call, parse_fields(call.param("fields")))


@route("GET", "/{comment:fb_comment}")
def read_fb_comment(call: Call) -> dict[str, Any]:
    return _read(call, FB_COMMENT, call.args["comment"])


@route("GET", "/{comment:ig_comment}")
def read_ig_comment(call: Call) -> dict[str, Any]:
    return _read(call, IG_COMMENT, call.args["comment"])


@route("GET", "/{post:seeded_post}")
def read_seeded_post(call: Call) -> dict[str, Any]:
    return _read(call, PAGE_POST, call.args["post"])


@route("GET", "/{media:seeded_media}")
def read_seeded_media(call: Call) -> dict[str, Any]:
    return _read(call, IG_MEDIA, call.args["media"])


def _target_of(call: Call, comment: Comment) -> Target:
    target = engagement.find_target(call.state, comment.object_id)
    if target is None:  # the converter saw it a moment ago
        raise errors.unsupported_request("POST", comment.id)
    return target


def _app_comment(
    call: Call, target: Target, text: str, *, parent: Comment | None = None
) -> dict[str, str]:
    """Comment (or reply under ``parent``) as the Page / account; answer with the new id."""
    comment = engagement.add_comment(
        call.state, target=target, author_id=None, message=text, parent=parent, by_app=True
    )
    return {"id": comment.id}


# --- Facebook ----------------------------------------------------------------------------


def _fb_list(call: Call, comments: list[Comment]) -> dict[str, Any]:
    order = (call.param("order") or "chronological").lower()
    if order not in ("chronological", "reverse_chronological"):
        raise errors.invalid_parameter(
            "(#100) order must be one of the following values: chronological, reverse_chronological"
        )
    if order == "reverse_chronological":
        comments = comments[::-1]
    specs = parse_fields(call.param("fields"))
    body = paginate(
        call, comments, key=lambda c: c.id, render=lambda c: FB_COMMENT.render(c, call, specs)
    )
    if (call.param("summary") or "").lower() in ("true", "1", "total_count"):
        body["summary"] = {"order": order, "total_count": len(comments), "can_comment": True}
    return body


@route("GET", "/{post:fb_commentable}/comments")
def list_fb_comments(call: Call) -> dict[str, Any]:
    target: Target = call.args["post"]
    require_fb_read(call, _page_of(call, target.owner_id))
    kind = (call.param("filter") or "toplevel").lower()
    if kind not in ("toplevel", "stream"):
        raise errors.invalid_parameter(
            "(#100) filter must be one of the following values: toplevel, stream"
        )
    comments = call.state.engagement.comments_on(call.state, target.object_id)
    if kind == "toplevel":
        comments = [c for c in comments if c.parent_id is None]
    return _fb_list(call, comments)


@route("POST", "/{post:fb_commentable}/comments")
def create_fb_comment(call: Call) -> dict[str, str]:
    target: Target = call.args["post"]
    require_fb_write(call, _page_of(call, target.owner_id))
    text = _message(call, engagement.FB_COMMENT_LIMIT)
    return _app_comment(call, target, text)


@route("GET", "/{comment:fb_comment}/comments")
def list_fb_replies(call: Call) -> dict[str, Any]:
    comment: Comment = call.args["comment"]
    require_fb_read(call, _page_of(call, comment.owner_id))
    return _fb_list(call, _replies(call, comment))


@route("POST", "/{comment:fb_comment}/comments")
def reply_fb_comment(call: Call) -> dict[str, str]:
    parent: Comment = call.args["comment"]
    require_fb_write(call, _page_of(call, parent.owner_id))
    text = _message(call, engagement.FB_COMMENT_LIMIT)
    return _app_comment(call, _target_of(call, parent), text, parent=parent)


@route("POST", "/{comment:fb_comment}")
def update_fb_comment(call: Call) -> dict[str, bool]:
    comment: Comment = call.args["comment"]
    require_fb_write(call, _page_of(call, comment.owner_id))
    hidden = _truthy(call.param("is_hidden"))
    new_text = call.param("message")
    if hidden is None and new_text is None:
        raise errors.invalid_parameter("(#100) Send is_hidden or message")
    if new_text is not None:
        if comment.author_id is not None:
            raise errors.engagement_not_allowed()  # only the Page's own comments
        engagement.edit_comment(call.state, comment, _message(call, engagement.FB_COMMENT_LIMIT))
    if hidden is not None:
        if comment.author_id is None:
            raise errors.invalid_parameter(
                "(#100) This comment cannot be hidden: it was written by the Page (can_hide is "
                "false)"
            )
        engagement.set_hidden(call.state, comment, hidden)
    return {"success": True}


@route("DELETE", "/{comment:fb_comment}")
def delete_fb_comment(call: Call) -> dict[str, bool]:
    comment: Comment = call.args["comment"]
    require_fb_write(call, _page_of(call, comment.owner_id))
    engagement.delete_comment(call.state, comment)
    return {"success": True}


# --- Instagram ---------------------------------------------------------------------------


def _ig_list(call: Call, comments: list[Comment]) -> dict[str, Any]:
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        comments[::-1],
        key=lambda c: c.id,
        render=lambda c: IG_COMMENT.render(c, call, specs),
    )


@route("GET", "/{media:ig_commentable}/comments")
def list_ig_comments(call: Call) -> dict[str, Any]:
    target: Target = call.args["media"]
    require_ig(call, write=False, ig_user_id=target.owner_id)
    comments = call.state.engagement.comments_on(call.state, target.object_id)
    return _ig_list(call, [c for c in comments if c.parent_id is None])


@route("POST", "/{media:ig_commentable}/comments")
def create_ig_comment(call: Call) -> dict[str, str]:
    target: Target = call.args["media"]
    require_ig(call, write=True, ig_user_id=target.owner_id)
    text = _message(call, engagement.IG_COMMENT_LIMIT)
    if not target.comments_enabled:
        raise errors.invalid_parameter(
            "(#100) Comments are turned off for this media (or it is a story)"
        )
    return _app_comment(call, target, text)


@route("POST", "/{media:ig_commentable}")
def update_ig_media(call: Call) -> dict[str, bool]:
    target: Target = call.args["media"]
    require_ig(call, write=True, ig_user_id=target.owner_id)
    enabled = _truthy(call.param("comment_enabled"))
    if enabled is None:
        raise errors.missing_parameter("comment_enabled")
    if target.is_story:
        raise errors.invalid_parameter("(#100) Stories take no comments")
    disabled = call.state.engagement.comments_disabled
    if enabled:
        disabled.discard(target.object_id)
    else:
        disabled.add(target.object_id)
    return {"success": True}


@route("GET", "/{comment:ig_comment}/replies")
def list_ig_replies(call: Call) -> dict[str, Any]:
    comment: Comment = call.args["comment"]
    require_ig(call, write=False, ig_user_id=comment.owner_id)
    return _ig_list(call, _replies(call, comment))


@route("POST", "/{comment:ig_comment}/replies")
def reply_ig_comment(call: Call) -> dict[str, str]:
    parent: Comment = call.args["comment"]
    require_ig(call, write=True, ig_user_id=parent.owner_id)
    text = _message(call, engagement.IG_COMMENT_LIMIT)
    if parent.parent_id is not None:
        raise errors.invalid_parameter("(#100) Replies can only be made to top-level comments")
    if parent.is_hidden:
        raise errors.invalid_parameter("(#100) Cannot reply to a hidden comment")
    return _app_comment(call, _target_of(call, parent), text, parent=parent)


@route("POST", "/{comment:ig_comment}")
def hide_ig_comment(call: Call) -> dict[str, bool]:
    comment: Comment = call.args["comment"]
    require_ig(call, write=True, ig_user_id=comment.owner_id)
    hidden = _truthy(call.param("hide"))
    if hidden is None:
        raise errors.missing_parameter("hide")
    if comment.author_id is None:
        raise errors.invalid_parameter(
            "(#100) The media owner's own comments are always shown and cannot be hidden"
        )
    engagement.set_hidden(call.state, comment, hidden)
    return {"success": True}


@route("DELETE", "/{comment:ig_comment}")
def delete_ig_comment(call: Call) -> dict[str, bool]:
    comment: Comment = call.args["comment"]
    require_ig(call, write=True, ig_user_id=comment.owner_id)
    engagement.delete_comment(call.state, comment)
    return {"success": True}
