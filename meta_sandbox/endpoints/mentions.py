"""Reading what an Instagram @mention said: the details a `mentions` webhook leaves out.

Meta's `mentions` item names only ids (`media_id`, and `comment_id` for a mention in a
comment); the text and the author are fields of the mentioned account's IG User node, with the
id as a field modifier:

    GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){text,username,timestamp,…}
    GET /{ig-user-id}?fields=mentioned_media.media_id(<id>){caption,media_url,username,…}

(Meta's references "IG User Mentioned Comment" and "Mentioned Media".) Answers as
`{"mentioned_comment": {…, "id": <comment id>}, "id": <ig user id>}`. They need
instagram_basic and instagram_manage_comments (else 10), a token that sees the account (its
person's user token or the linked Page's), and the id of a mention of *this* account: any
other id, a missing modifier or a media id of a mention made in a comment answers 100. A
mention by a person who since deleted their account reads as unknown too (100/33).

The fields are added to the IG User node of `endpoints/instagram.py`, so `GET /{ig-user-id}`
and `GET /?ids=` serve them wherever they serve the node.
"""

from typing import Any

from meta_sandbox import errors
from meta_sandbox.endpoints.instagram import IG_USER
from meta_sandbox.engagement import Mention
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import FieldSpec, NodeType, meta_time, parse_fields
from meta_sandbox.models import IgAccount
from meta_sandbox.routing import Call

SCOPES = ("instagram_basic", "instagram_manage_comments")


def _author(call: Call, mention: Mention) -> str:
    return call.state.engagement.customers[mention.customer_id].ig_username


MENTIONED_COMMENT = NodeType(
    "IGComment",
    {
        "id": lambda m, _call, _ch: m.comment_id,
        "text": lambda m, _call, _ch: m.text,
        "username": lambda m, call, _ch: _author(call, m),
        "timestamp": lambda m, _call, _ch: meta_time(m.created_at),
        "like_count": lambda _m, _call, _ch: 0,
        "media": lambda m, _call, _ch: {"id": m.media_id},
    },
    default_fields=("id", "text", "timestamp"),
)

MENTIONED_MEDIA = NodeType(
    "IGMedia",
    {
        "id": lambda m, _call, _ch: m.media_id,
        "caption": lambda m, _call, _ch: m.text,
        "media_type": lambda _m, _call, _ch: "IMAGE",
        # The sandbox keeps no picture of a customer's own post.
        "media_url": lambda _m, _call, _ch: None,
        "username": lambda m, call, _ch: _author(call, m),
        "timestamp": lambda m, _call, _ch: meta_time(m.created_at),
        "like_count": lambda _m, _call, _ch: 0,
        "comments_count": lambda _m, _call, _ch: 0,
    },
    default_fields=("id", "caption", "timestamp"),
)


def _spec(call: Call, name: str) -> FieldSpec:
    """Return the field as asked (resolvers get the sub-fields, not the modifiers)."""
    return next(spec for spec in parse_fields(call.param("fields")) or [] if spec.name == name)


def _unknown(kind: str, raw: str) -> GraphError:
    return errors.invalid_parameter(
        f"(#100) The {kind} {raw} does not exist, is not a mention of this account, or cannot "
        "be loaded due to missing permissions",
        subcode=33,
    )


def _mention(call: Call, ig: IgAccount, name: str, modifier: str, *, in_comment: bool) -> Mention:
    if not all(call.has_any_scope((scope,)) for scope in SCOPES):
        raise errors.missing_permission(SCOPES)
    raw = _spec(call, name).modifiers.get(modifier, "").strip()
    if not raw:
        raise errors.invalid_parameter(f"(#100) {name} requires the {modifier} modifier")
    store = call.state.engagement
    for mention in store.mentions:
        key = mention.comment_id if in_comment else mention.media_id
        if mention.ig_user_id != ig.id or key != raw:
            continue
        if in_comment != (mention.comment_id is not None):
            break  # the media of a comment mention: read it through mentioned_comment
        if store.customers[mention.customer_id].deleted:
            break
        return mention
    raise _unknown("comment" if in_comment else "media", raw)


def mentioned_comment(ig: IgAccount, call: Call, children: list[FieldSpec] | None) -> Any:
    mention = _mention(call, ig, "mentioned_comment", "comment_id", in_comment=True)
    return MENTIONED_COMMENT.render(mention, call, children)


def mentioned_media(ig: IgAccount, call: Call, children: list[FieldSpec] | None) -> Any:
    mention = _mention(call, ig, "mentioned_media", "media_id", in_comment=False)
    return MENTIONED_MEDIA.render(mention, call, children)


IG_USER.resolvers["mentioned_comment"] = mentioned_comment
IG_USER.resolvers["mentioned_media"] = mentioned_media
