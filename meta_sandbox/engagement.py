"""Comments and reactions: the people who answer the app's posts, and the rules Meta applies.

The people are *customers* (`Customer`): Facebook/Instagram users who are not app users. Each
has a sandbox id (used by the test API and the console only, never by Graph) and is known to
each Page by a Page-scoped id (PSID) and to each Instagram account by an Instagram-scoped id
(IGSID), as on Meta: the same person has a different id on every Page and every account
(`Customer.psid(page_id)`, `Customer.igsid(ig_user_id)`, derived, stable). A customer may have
blocked some Pages or accounts (`blocked_asset_ids`) or deleted their account (`deleted`).

What can be commented (`find_target`): the app's published Page posts (ObjectStore), the dark
posts behind its ad creatives (`object_story_id`, so ad comments work), its Instagram media,
and the seeded posts and media of `seed.build_engagement` (older content the Pages had before
the app came; they are readable and commentable by id but, to keep `/feed` and `/media` listing
exactly what the app published, not listed there).

Rules (GRAPH_NOTES §9.1, Meta's comment references):

- Facebook comments are two levels deep: a reply to a reply joins its top-level comment.
- Instagram replies go only on top-level comments, never on a hidden one; stories take no
  comments; a media with comments turned off takes none either.
- Hiding: a comment by the Page / account itself cannot be hidden (`can_hide` false).
- Deleting a comment deletes its replies; a deleted comment, or one whose post is gone, reads
  as unknown (100/33) everywhere.

Every change emits its webhook item through `state.webhooks` (GRAPH_NOTES §7.4): Facebook
`feed` changes (item `comment` with verbs add/edited/remove/hide/unhide, item `reaction` with
add/edit/remove; times in unix seconds) and Instagram `comments` and `mentions` changes.
Instagram sends nothing for a hidden, edited or deleted comment, and nothing for comments the
account itself makes ("may not notify", §7.3): the sandbox does the same.

Callers hold the state lock. Refusals of the test API (a deleted person acting, a bad
reaction name) raise `CustomerError`; Graph refusals are raised by the endpoints.
"""

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meta_sandbox import lifecycle
from meta_sandbox.objects import AdCreative, IgMedia, PagePost

if TYPE_CHECKING:
    from meta_sandbox.state import SandboxState

FACEBOOK, INSTAGRAM = "facebook", "instagram"
REACTION_TYPES = ("like", "love", "care", "haha", "wow", "sad", "angry")
DELETED_NAME = "Facebook user"  # how Meta names a person whose account is gone
STORY_LIFETIME_SECONDS = 24 * 60 * 60


class CustomerError(ValueError):
    """The test API cannot play this action (unknown person or object, impossible action)."""


@dataclass
class Customer:
    id: str  # the sandbox's own id for the person (test API and console only)
    name: str
    first_name: str
    last_name: str
    ig_username: str
    blocked_asset_ids: list[str] = field(default_factory=list)  # Pages / IG accounts blocked
    deleted: bool = False  # the person deleted their account

    def psid(self, page_id: str) -> str:
        return scoped_id("psid", self.id, page_id)

    def igsid(self, ig_user_id: str) -> str:
        return scoped_id("igsid", self.id, ig_user_id)

    def display_name(self) -> str:
        return DELETED_NAME if self.deleted else self.name

    def blocks(self, asset_id: str) -> bool:
        return asset_id in self.blocked_asset_ids

    def unavailable_to(self, asset_id: str) -> bool:
        """Whether Meta answers "this person isn't available" for this Page / account."""
        return self.deleted or self.blocks(asset_id)


def scoped_id(kind: str, customer_id: str, asset_id: str) -> str:
    """Return the stable 16-digit id a person has on one Page (PSID) or IG account (IGSID)."""
    digest = hashlib.sha256(f"{kind}:{customer_id}:{asset_id}".encode()).hexdigest()
    first = "2" if kind == "psid" else "6"
    return first + str(int(digest, 16))[:15]


@dataclass
class Comment:
    id: str
    platform: str  # facebook | instagram
    owner_id: str  # the Page id or the IG user id whose object it is on
    object_id: str  # the post or media id
    parent_id: str | None  # the top-level comment a reply belongs to
    author_id: str | None  # a customer's sandbox id; None = the Page / account itself
    message: str
    created_at: float
    edited_at: float | None = None
    is_hidden: bool = False
    deleted_at: float | None = None
    private_reply_mid: str | None = None  # the one private reply sent for it (Send API)
    by_app: bool = False  # written through the Graph API by the app


@dataclass
class Reaction:
    object_id: str  # the post id
    owner_id: str  # the Page id
    customer_id: str
    reaction_type: str  # one of REACTION_TYPES
    created_at: float


@dataclass
class Mention:
    """An @mention of an IG account in a customer's own caption or comment (webhook only)."""

    ig_user_id: str
    customer_id: str
    media_id: str
    comment_id: str | None
    text: str
    created_at: float


@dataclass
class Target:
    """Something that takes comments: a Page post or an IG media."""

    platform: str
    owner_id: str
    object_id: str
    created_at: float
    is_story: bool = False
    comments_enabled: bool = True


class EngagementStore:
    """Customers, comments, reactions, conversations and messages, plus the seeded content."""

    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.seeded_posts: dict[str, PagePost] = {}
        self.seeded_media: dict[str, IgMedia] = {}
        self.comments: dict[str, Comment] = {}
        self.reactions: list[Reaction] = []
        self.mentions: list[Mention] = []
        self.comments_disabled: set[str] = set()  # IG media with comment_enabled=false
        # Conversations and messages (meta_sandbox/messaging.py), kept here so one store,
        # one reset and one persistence section hold everything people said.
        self.conversations: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    # --- people ---------------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer:
        found = self.customers.get(customer_id)
        if found is None:
            raise CustomerError(f"unknown customer {customer_id!r}")
        return found

    def customer_by_psid(self, page_id: str, psid: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.psid(page_id) == psid), None)

    def customer_by_igsid(self, ig_user_id: str, igsid: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.igsid(ig_user_id) == igsid), None)

    # --- comments -------------------------------------------------------------------------

    def live_comment(self, state: "SandboxState", comment_id: str) -> Comment | None:
        """Return the comment unless it, its parent or its post is gone."""
        comment = self.comments.get(comment_id)
        if comment is None or comment.deleted_at is not None:
            return None
        if comment.parent_id is not None and self.live_comment(state, comment.parent_id) is None:
            return None
        return comment if find_target(state, comment.object_id) is not None else None

    def comments_on(self, state: "SandboxState", object_id: str) -> list[Comment]:
        """Every live comment on one object (replies included), oldest first."""
        return [
            c
            for c in self.comments.values()
            if c.object_id == object_id and self.live_comment(state, c.id) is not None
        ]

    def replies_to(self, state: "SandboxState", comment_id: str) -> list[Comment]:
        return [
            c
            for c in self.comments.values()
            if c.parent_id == comment_id and self.live_comment(state, c.id) is not None
        ]


# --- what takes comments ------------------------------------------------------------------


def find_target(state: "SandboxState", object_id: str) -> Target | None:
    """Return the Page post or IG media `object_id` names, or None when it is unknown/gone."""
    store = state.engagement
    post = state.objects.get(object_id, PagePost) or store.seeded_posts.get(object_id)
    if post is not None:
        if not lifecycle.post_is_published(state, post):
            return None
        return Target(FACEBOOK, post.owner_id, post.id, post.created_at)
    media = state.objects.get(object_id, IgMedia) or store.seeded_media.get(object_id)
    if media is not None:
        story = media.media_product_type == "STORY"
        return Target(
            INSTAGRAM,
            media.owner_id,
            media.id,
            media.created_at,
            is_story=story,
            comments_enabled=not story and media.id not in store.comments_disabled,
        )
    for creative in state.objects.of_type(AdCreative):
        if creative.object_story_id == object_id:  # an ad's dark post
            page_id = object_id.split("_", 1)[0]
            if page_id in state.world.pages:
                return Target(FACEBOOK, page_id, object_id, creative.created_at)
    return None


def commentable_objects(state: "SandboxState") -> list[Target]:
    """Every object a customer may comment on now (console and test API), newest first."""
    ids = [*state.engagement.seeded_posts, *state.engagement.seeded_media]
    ids += [obj.id for obj in state.objects.of_type(PagePost)]
    ids += [obj.id for obj in state.objects.of_type(IgMedia)]
    ids += [c.object_story_id for c in state.objects.of_type(AdCreative) if c.object_story_id]
    ids = list(dict.fromkeys(ids))  # a promoted post is its creative's story too: list it once
    found = [t for t in (find_target(state, object_id) for object_id in ids) if t is not None]
    found.sort(key=lambda t: -t.created_at)
    return found


def object_caption(state: "SandboxState", object_id: str) -> str:
    post = state.objects.get(object_id, PagePost) or state.engagement.seeded_posts.get(object_id)
    if post is not None:
        return post.message or post.link or ""
    media = state.objects.get(object_id, IgMedia) or state.engagement.seeded_media.get(object_id)
    if media is not None:
        return media.caption or media.media_product_type.lower()
    return "ad post"


def ig_media(state: "SandboxState", media_id: str) -> IgMedia | None:
    return state.objects.get(media_id, IgMedia) or state.engagement.seeded_media.get(media_id)


def live_story(state: "SandboxState", ig_user_id: str, story_id: str) -> IgMedia | None:
    media = ig_media(state, story_id)
    if media is None or media.owner_id != ig_user_id or media.media_product_type != "STORY":
        return None
    return media if state.now() < media.created_at + STORY_LIFETIME_SECONDS else None


# --- comment changes ----------------------------------------------------------------------


def new_comment_id(state: "SandboxState", target: Target) -> str:
    if target.platform == INSTAGRAM:
        return state.objects.new_id("ig_comment")
    post_part = target.object_id.split("_", 1)[-1]
    return f"{post_part}_{state.objects.new_id('fb_comment')}"


def add_comment(
    state: "SandboxState",
    *,
    target: Target,
    author_id: str | None,
    message: str,
    parent: Comment | None = None,
    by_app: bool = False,
) -> Comment:
    """Record a comment (or reply) and emit its webhook; checks are the caller's."""
    if parent is not None and parent.parent_id is not None:
        parent = state.engagement.comments[parent.parent_id]  # Facebook: two levels deep
    comment = Comment(
        id=new_comment_id(state, target),
        platform=target.platform,
        owner_id=target.owner_id,
        object_id=target.object_id,
        parent_id=parent.id if parent else None,
        author_id=author_id,
        message=message,
        created_at=state.now(),
        by_app=by_app,
    )
    state.engagement.comments[comment.id] = comment
    if comment.platform == FACEBOOK:
        emit_feed_comment(state, comment, "add")
    elif author_id is not None:  # IG does not notify the account's own comments
        emit_ig_comment(state, comment)  # an @mention on the account's own media: this only
    return comment


def edit_comment(state: "SandboxState", comment: Comment, message: str) -> None:
    comment.message = message
    comment.edited_at = state.now()
    if comment.platform == FACEBOOK:
        emit_feed_comment(state, comment, "edited")


def delete_comment(state: "SandboxState", comment: Comment) -> None:
    """Delete a comment and its replies; Facebook tells the app (verb remove), IG does not."""
    now = state.now()
    comment.deleted_at = now
    for reply in state.engagement.comments.values():
        if reply.parent_id == comment.id and reply.deleted_at is None:
            reply.deleted_at = now
    if comment.platform == FACEBOOK:
        emit_feed_comment(state, comment, "remove")


def set_hidden(state: "SandboxState", comment: Comment, hidden: bool) -> None:
    changed = comment.is_hidden != hidden
    comment.is_hidden = hidden
    if changed and comment.platform == FACEBOOK:
        emit_feed_comment(state, comment, "hide" if hidden else "unhide")


def react(
    state: "SandboxState", *, customer: Customer, target: Target, reaction_type: str | None
) -> str:
    """Set (or with None remove) a customer's reaction to a Page post; return the verb used."""
    store = state.engagement
    existing = next(
        (
            r
            for r in store.reactions
            if r.object_id == target.object_id and r.customer_id == customer.id
        ),
        None,
    )
    if reaction_type is None:
        if existing is None:
            raise CustomerError("this person has no reaction on that post to remove")
        store.reactions.remove(existing)
        verb, kind = "remove", existing.reaction_type
    elif existing is not None:
        if existing.reaction_type == reaction_type:
            return "unchanged"
        existing.reaction_type, existing.created_at = reaction_type, state.now()
        verb, kind = "edit", reaction_type
    else:
        store.reactions.append(
            Reaction(target.object_id, target.owner_id, customer.id, reaction_type, state.now())
        )
        verb, kind = "add", reaction_type
    value = {
        "from": {"id": customer.psid(target.owner_id), "name": customer.display_name()},
        "post_id": target.object_id,
        "created_time": int(state.now()),
        "item": "reaction",
        "parent_id": target.object_id,
        "reaction_type": kind,
        "verb": verb,
    }
    state.webhooks.emit_change(
        object_type="page", entry_id=target.owner_id, field="feed", value=value
    )
    return verb


def add_mention(
    state: "SandboxState", *, customer: Customer, ig_user_id: str, text: str, in_comment: bool
) -> Mention:
    """Record that a customer @mentions the account in their own caption or comment (§7.4)."""
    media_id = state.objects.new_id("ig_media")
    comment_id = state.objects.new_id("ig_comment") if in_comment else None
    mention = Mention(ig_user_id, customer.id, media_id, comment_id, text, state.now())
    state.engagement.mentions.append(mention)
    value: dict[str, Any] = {"media_id": media_id}
    if comment_id is not None:
        value = {"comment_id": comment_id, "media_id": media_id}
    state.webhooks.emit_change(
        object_type="instagram", entry_id=ig_user_id, field="mentions", value=value
    )
    return mention


# --- webhook values (GRAPH_NOTES §7.4) ----------------------------------------------------


def author_of(state: "SandboxState", comment: Comment) -> Customer | None:
    if comment.author_id is None:
        return None
    return state.engagement.customers.get(comment.author_id)


def fb_from(state: "SandboxState", comment: Comment) -> dict[str, str]:
    customer = author_of(state, comment)
    if customer is None:
        return {"id": comment.owner_id, "name": state.world.pages[comment.owner_id].name}
    return {"id": customer.psid(comment.owner_id), "name": customer.display_name()}


def ig_from(state: "SandboxState", comment: Comment) -> dict[str, str]:
    customer = author_of(state, comment)
    if customer is None:
        ig = state.world.ig_accounts[comment.owner_id]
        return {"id": ig.id, "username": ig.username}
    return {"id": customer.igsid(comment.owner_id), "username": customer.ig_username}


def emit_feed_comment(state: "SandboxState", comment: Comment, verb: str) -> None:
    value: dict[str, Any] = {
        "from": fb_from(state, comment),
        "post_id": comment.object_id,
        "comment_id": comment.id,
        "parent_id": comment.parent_id or comment.object_id,
        "created_time": int(comment.created_at),
        "item": "comment",
        "verb": verb,
    }
    if verb in ("add", "edited"):
        value["message"] = comment.message
    if verb in ("hide", "unhide"):
        value["is_hidden"] = verb == "hide"
    state.webhooks.emit_change(
        object_type="page", entry_id=comment.owner_id, field="feed", value=value
    )


def emit_ig_comment(state: "SandboxState", comment: Comment) -> None:
    media = ig_media(state, comment.object_id)
    value: dict[str, Any] = {
        "from": {**ig_from(state, comment)},
        "media": {
            "id": comment.object_id,
            "media_product_type": media.media_product_type if media else "FEED",
        },
        "id": comment.id,
        "text": comment.message,
    }
    customer = author_of(state, comment)
    if customer is not None:
        value["from"]["self_ig_scoped_id"] = customer.igsid(comment.owner_id)
    if comment.parent_id is not None:
        value["parent_id"] = comment.parent_id
    state.webhooks.emit_change(
        object_type="instagram", entry_id=comment.owner_id, field="comments", value=value
    )


# --- the customer's side (the test API: state.customer_*) ---------------------------------

FB_COMMENT_LIMIT = 8000
IG_COMMENT_LIMIT = 2200


def _acting(customer: Customer) -> Customer:
    if customer.deleted:
        raise CustomerError(f"{customer.name} deleted their account and cannot act")
    return customer


def _comment_text(platform: str, message: str | None) -> str:
    text = (message or "").strip()
    if not text:
        raise CustomerError("a comment needs a message")
    limit = FB_COMMENT_LIMIT if platform == FACEBOOK else IG_COMMENT_LIMIT
    if len(text) > limit:
        raise CustomerError(f"a comment is at most {limit} characters")
    return text


def customer_comments(
    state: "SandboxState",
    *,
    customer: Customer,
    object_id: str,
    message: str | None,
    parent_id: str | None = None,
) -> Comment:
    """Comment as the customer on a post / media, or reply to a comment on it."""
    _acting(customer)
    target = find_target(state, object_id)
    if target is None:
        raise CustomerError(f"{object_id!r} is no post or media that takes comments")
    if customer.blocks(target.owner_id):
        raise CustomerError(f"{customer.name} has blocked {target.owner_id}")
    if not target.comments_enabled:
        raise CustomerError("comments are off for this media (or it is a story)")
    text = _comment_text(target.platform, message)
    parent = None
    if parent_id:
        parent = state.engagement.live_comment(state, parent_id)
        if parent is None or parent.object_id != target.object_id:
            raise CustomerError(f"{parent_id!r} is no live comment on {object_id}")
        if target.platform == INSTAGRAM and parent.parent_id is not None:
            raise CustomerError("on Instagram, replies go on top-level comments only")
    return add_comment(state, target=target, author_id=customer.id, message=text, parent=parent)


def _own_comment(state: "SandboxState", comment_id: str) -> tuple[Comment, Customer]:
    comment = state.engagement.live_comment(state, comment_id)
    if comment is None:
        raise CustomerError(f"no live comment {comment_id!r}")
    if comment.author_id is None:
        raise CustomerError(
            "that comment is the Page's / account's own; the customer cannot touch it"
        )
    return comment, _acting(state.engagement.customer(comment.author_id))


def customer_edits(state: "SandboxState", *, comment_id: str, message: str | None) -> Comment:
    comment, _customer = _own_comment(state, comment_id)
    if comment.platform == INSTAGRAM:
        raise CustomerError("Instagram comments cannot be edited")
    edit_comment(state, comment, _comment_text(comment.platform, message))
    return comment


def customer_deletes(state: "SandboxState", *, comment_id: str) -> Comment:
    comment, _customer = _own_comment(state, comment_id)
    delete_comment(state, comment)
    return comment


def customer_reacts_to_post(
    state: "SandboxState", *, customer: Customer, object_id: str, reaction: str | None
) -> str:
    _acting(customer)
    target = find_target(state, object_id)
    if target is None or target.platform != FACEBOOK:
        raise CustomerError(f"{object_id!r} is no Facebook post (reactions are Facebook's)")
    if customer.blocks(target.owner_id):
        raise CustomerError(f"{customer.name} has blocked {target.owner_id}")
    kind = (reaction or "").strip().lower() or None
    if kind is not None and kind != "none" and kind not in REACTION_TYPES:
        raise CustomerError(f"reaction must be one of {', '.join(REACTION_TYPES)} or none")
    return react(
        state, customer=customer, target=target, reaction_type=None if kind == "none" else kind
    )
