"""Reading Meta's webhook items into typed changes (GRAPH_NOTES §7.4, §9). Pure: no database.

``read_event(object, field, payload, ...)`` returns the changes one stored item describes, or
``IGNORED`` for an item the inbox has no use for (a new Page post, a like on a post, a postback).
A payload that is not what Meta documents raises ``Malformed`` with a short reason that names the
problem but repeats none of the payload (it can be personal data).

Times: Facebook feed items carry ``created_time`` (unix seconds) and the entry's ``time``;
Instagram comments only the entry's time; messaging items a ``timestamp`` in milliseconds.
``changed_at`` is when the change happened (the entry's time when there is one), which orders an
edit, removal or hide against the comment it changes.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from meta_integration.webhooks import meta_time

# Meta's ids: digits and underscores for comments and posts, base64-like strings for mids.
_ID = re.compile(r"[A-Za-z0-9_.:=+/-]{1,255}")
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 20
MAX_URL = 2000
PERSON_ID_LENGTH = 64


class Malformed(ValueError):
    """The item is not in a shape Meta documents; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Ignored:
    def __repr__(self) -> str:
        return "IGNORED"


IGNORED: Final = _Ignored()


@dataclass(frozen=True)
class Author:
    meta_id: str
    name: str = ""
    username: str = ""


@dataclass(frozen=True)
class CommentChange:
    """A comment (or a mention) added, edited, removed, hidden or unhidden."""

    verb: str  # one of VERBS
    comment_id: str
    changed_at: datetime
    post_id: str = ""
    # The comment it answers ("" for a top-level comment).
    parent_comment_id: str = ""
    author: Author | None = None
    text: str | None = None  # None: the item does not say
    attachments: list[dict[str, str]] = field(default_factory=list)
    created_at: datetime | None = None
    is_mention: bool = False


ADD, EDITED, REMOVE, HIDE, UNHIDE = "add", "edited", "remove", "hide", "unhide"
VERBS = (ADD, EDITED, REMOVE, HIDE, UNHIDE)
_FEED_VERBS = {
    "add": ADD,
    "edited": EDITED,
    "edit": EDITED,
    "remove": REMOVE,
    "delete": REMOVE,
    "hide": HIDE,
    "unhide": UNHIDE,
}


@dataclass(frozen=True)
class Reaction:
    """Someone reacted to (or took back a reaction to) a comment or a direct message."""

    target_id: str
    reactor_id: str
    reaction: str  # "" when taken back
    changed_at: datetime
    emoji: str = ""


@dataclass(frozen=True)
class DirectMessage:
    """A Messenger or Instagram direct message, sent by the customer or echoed back to us."""

    mid: str
    customer_id: str
    sender_id: str
    is_echo: bool
    sent_at: datetime
    text: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    reply_to_mid: str = ""
    is_deleted: bool = False
    # What Meta calls the customer, when known (webhooks never say; the Graph API does).
    customer_name: str = ""
    customer_username: str = ""


@dataclass(frozen=True)
class Seen:
    """The customer read the conversation up to ``read_at``."""

    customer_id: str
    read_at: datetime


Change = CommentChange | Reaction | DirectMessage | Seen


def read_event(
    *,
    object_type: str,
    field_name: str,
    payload: Any,
    entry_time: datetime | None,
    received_at: datetime,
) -> list[Change] | _Ignored:
    """Return the changes one stored webhook item describes (see the module docstring)."""
    if not isinstance(payload, dict):
        raise Malformed("the item is not an object")
    fallback = entry_time or received_at
    if field_name in ("messages", "message_reactions", "messaging_seen"):
        return _messaging(field_name, payload, fallback=fallback)
    if field_name in ("messaging_postbacks", "messaging_referral", "standby", "messaging"):
        if field_name == "messaging":
            raise Malformed("a messaging item of no known kind")
        return IGNORED
    value = payload.get("value")
    if not isinstance(value, dict):
        raise Malformed(f"a {field_name!r} change without a value object")
    if object_type == "page" and field_name == "feed":
        return _feed(value, entry_time=entry_time, fallback=fallback)
    if object_type == "instagram" and field_name in ("comments", "live_comments"):
        return [_instagram_comment(value, changed_at=fallback)]
    if object_type == "instagram" and field_name == "mentions":
        return [_instagram_mention(value, changed_at=fallback)]
    if object_type == "instagram" and field_name == "story_insights":
        return IGNORED
    raise Malformed(f"unknown {object_type!r} field {field_name!r}")


# --- Field readers ------------------------------------------------------------------------------


def _id(value: Any, what: str, *, required: bool = True, limit: int = 255) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or not _ID.fullmatch(value):
        raise Malformed(f"missing or malformed {what}")
    return value


def _person(value: Any, what: str) -> str:
    """Return a person's or an account's id (PSID, IGSID, Page id: at most 64 characters)."""
    return _id(value, what, limit=PERSON_ID_LENGTH)


def _clean(value: str) -> str:
    # PostgreSQL text cannot hold NUL; nobody meant to write one.
    return value.replace("\x00", "")


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{what} is not text")
    return _clean(value[:MAX_TEXT])


def clean_text(value: str) -> str:
    """Return text as the inbox stores it (cut to ``MAX_TEXT``, no NUL)."""
    return _clean(value[:MAX_TEXT])


def _short(value: Any, limit: int) -> str:
    return _clean(value[:limit]) if isinstance(value, str) else ""


def _url(value: Any) -> str:
    """Return the http(s) URL Meta sent, or "" (anything else is never stored or shown)."""
    if isinstance(value, str) and len(value) <= MAX_URL and re.match(r"https?://\S+$", value):
        return value
    return ""


def _author(value: Any, *, required: bool) -> Author | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise Malformed("missing or malformed author (from)")
    return Author(
        meta_id=_person(value.get("id"), "author id"),
        name=_short(value.get("name"), 200),
        username=_short(value.get("username"), 100),
    )


# --- Facebook Page feed -------------------------------------------------------------------------


def _feed(
    value: dict[str, Any], *, entry_time: datetime | None, fallback: datetime
) -> list[Change] | _Ignored:
    item, verb = value.get("item"), value.get("verb")
    if not isinstance(item, str) or not isinstance(verb, str):
        raise Malformed("a feed change without item or verb")
    if item == "reaction":
        return _feed_reaction(value, verb=verb, changed_at=fallback)
    if item != "comment":
        return IGNORED  # posts, photos, likes on posts…: not conversations
    if verb not in _FEED_VERBS:
        return IGNORED  # block, unblock, mute: about the person, not the comment
    verb = _FEED_VERBS[verb]
    post_id = _id(value.get("post_id"), "post id")
    parent = _id(value.get("parent_id"), "parent id", required=False)
    created_at = meta_time(value.get("created_time"))
    attachments = [
        {"type": kind, "url": url} for kind in ("photo", "video") if (url := _url(value.get(kind)))
    ]
    return [
        CommentChange(
            verb=verb,
            comment_id=_id(value.get("comment_id"), "comment id"),
            changed_at=entry_time or created_at or fallback,
            post_id=post_id,
            parent_comment_id="" if parent in ("", post_id) else parent,
            author=_author(value.get("from"), required=verb in (ADD, EDITED)),
            # A comment that is only a photo or a sticker has no message.
            text=_text(value.get("message"), "message") or ("" if verb in (ADD, EDITED) else None),
            attachments=attachments,
            created_at=created_at,
        )
    ]


def _feed_reaction(
    value: dict[str, Any], *, verb: str, changed_at: datetime
) -> list[Change] | _Ignored:
    comment_id = _id(value.get("comment_id"), "comment id", required=False)
    if not comment_id:
        return IGNORED  # a reaction to the post itself
    reactor = value.get("from")
    if not isinstance(reactor, dict):
        raise Malformed("missing or malformed author (from)")
    reaction = "" if verb == "remove" else (_short(value.get("reaction_type"), 32) or "like")
    return [
        Reaction(
            target_id=comment_id,
            reactor_id=_person(reactor.get("id"), "author id"),
            reaction=reaction,
            changed_at=changed_at,
        )
    ]


# --- Instagram comments and mentions ------------------------------------------------------------


def _instagram_comment(value: dict[str, Any], *, changed_at: datetime) -> CommentChange:
    media = value.get("media")
    if not isinstance(media, dict):
        raise Malformed("a comment without its media")
    text = _text(value.get("text"), "text")
    return CommentChange(
        verb=ADD,
        comment_id=_id(value.get("id"), "comment id"),
        changed_at=changed_at,
        post_id=_id(media.get("id"), "media id"),
        parent_comment_id=_id(value.get("parent_id"), "parent id", required=False),
        author=_author(value.get("from"), required=False),
        text=text if text is not None else "",
        created_at=changed_at,
    )


def _instagram_mention(value: dict[str, Any], *, changed_at: datetime) -> CommentChange:
    """Read a mention in a comment (comment_id + media_id) or in a caption (media_id only).

    The item names only the ids; the text and the author need a Graph read (GRAPH_NOTES §7.4,
    ``inbox.reconcile``): ``text`` None says so, so a repeat never blanks what that read filled.
    """
    media_id = _id(value.get("media_id"), "media id")
    comment_id = _id(value.get("comment_id"), "comment id", required=False)
    return CommentChange(
        verb=ADD,
        comment_id=comment_id or media_id,
        changed_at=changed_at,
        post_id=media_id,
        text=None,
        created_at=changed_at,
        is_mention=True,
    )


# --- Messaging (Messenger and Instagram) --------------------------------------------------------


def _party(payload: dict[str, Any], key: str) -> str:
    party = payload.get(key)
    if not isinstance(party, dict):
        raise Malformed(f"a messaging item without {key}")
    return _person(party.get("id"), f"{key} id")


def _attachments(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed("attachments are not a list")
    found: list[dict[str, str]] = []
    for attachment in value[:MAX_ATTACHMENTS]:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("type"), str):
            raise Malformed("an attachment without a type")
        entry = {"type": attachment["type"][:32]}
        payload = attachment.get("payload")
        if isinstance(payload, dict):
            if url := _url(payload.get("url")):
                entry["url"] = url
            if title := _short(payload.get("title"), 200):
                entry["title"] = title
        found.append(entry)
    return found


def _messaging(field_name: str, payload: dict[str, Any], *, fallback: datetime) -> list[Change]:
    sender, recipient = _party(payload, "sender"), _party(payload, "recipient")
    at = meta_time(payload.get("timestamp")) or fallback
    if field_name == "message_reactions":
        reaction = payload.get("reaction")
        if not isinstance(reaction, dict):
            raise Malformed("a reaction item without reaction")
        action = reaction.get("action")
        if action not in ("react", "unreact"):
            raise Malformed("a reaction that is neither react nor unreact")
        return [
            Reaction(
                target_id=_id(reaction.get("mid"), "message id"),
                reactor_id=sender,
                reaction=(_short(reaction.get("reaction"), 32) or "like")
                if action == "react"
                else "",
                emoji=_short(reaction.get("emoji"), 16) if action == "react" else "",
                changed_at=at,
            )
        ]
    if field_name == "messaging_seen":
        read = payload.get("read")
        if not isinstance(read, dict):
            raise Malformed("a read item without read")
        # Messenger sends a watermark (everything before it was read); Instagram the mid.
        return [Seen(customer_id=sender, read_at=meta_time(read.get("watermark")) or at)]
    message = payload.get("message")
    if not isinstance(message, dict):
        raise Malformed("a message item without message")
    is_echo = message.get("is_echo") is True
    # An echo is what the Page or account sent: the customer is its recipient.
    customer = recipient if is_echo else sender
    attachments = _attachments(message.get("attachments"))
    reply_to = message.get("reply_to")
    reply_to_mid = ""
    if isinstance(reply_to, dict):
        reply_to_mid = _id(reply_to.get("mid"), "replied-to message id", required=False)
        story = reply_to.get("story")
        if isinstance(story, dict):
            entry = {"type": "story_reply"}
            if url := _url(story.get("url")):
                entry["url"] = url
            attachments.append(entry)
    if message.get("is_unsupported") is True:
        attachments.append({"type": "unsupported"})
    return [
        DirectMessage(
            mid=_id(message.get("mid"), "message id"),
            customer_id=customer,
            sender_id=sender,
            is_echo=is_echo,
            sent_at=at,
            text=_text(message.get("text"), "message text") or "",
            attachments=attachments,
            reply_to_mid=reply_to_mid,
            is_deleted=message.get("is_deleted") is True,
        )
    ]
