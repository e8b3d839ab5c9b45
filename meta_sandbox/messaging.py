"""Conversations and messages (Messenger and Instagram Direct) and the Send API's rules.

A conversation is one customer with one Page (platform `messenger`, owner = the Page) or
with the Page's linked Instagram account (platform `instagram`, owner = the IG user id); the
app reaches both through the Page (GRAPH_NOTES §9.2). Messages are stored newest last.

Send rules (§9.3 and Meta's messaging policy), all measured on the sandbox clock:

- **Standard window.** `messaging_type` RESPONSE or UPDATE (or none: the sandbox treats a
  missing one as RESPONSE) is allowed for 24 hours after the person's last message; a story
  mention or a story reply is such a message and opens the window too. A reaction does not.
- **Human agent.** `messaging_type=MESSAGE_TAG` with `tag=HUMAN_AGENT` is allowed for 7 days
  after that message. Other tags were retired (§9.3) and answer 100.
- **Private reply.** `recipient={"comment_id": …}` sends one message to the comment's author,
  once per comment and within 7 days of the comment, whatever the window; it does not open
  the window (the person must answer first, Meta's private-replies doc).
- A person who blocked the Page / account, or deleted their account, answers 551/1545041
  whatever the window; an id that names nobody on this Page answers 100/2018001.
- Text: Messenger 2,000 characters, Instagram 1,000 UTF-8 bytes; empty messages are refused.
  Attachments: `{"type": "image"|"video"|"audio"|"file", "payload": {"url": …}}` by http(s)
  URL (the sandbox records the URL, it does not download it).

Every message the app sends is also emitted as an echo (`is_echo: true`): Messenger on the
`message_echoes` field (with `app_id`), Instagram on `messages`. Customer messages, story
mentions and replies go out on `messages`, reactions on `message_reactions`, an Instagram
unsend as `is_deleted` (§7.4); `entry.time` and `timestamp` are milliseconds there.

Callers hold the state lock.
"""

import base64
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from meta_sandbox import errors
from meta_sandbox.engagement import Comment, Customer, CustomerError, live_story
from meta_sandbox.models import Page

if TYPE_CHECKING:
    from meta_sandbox.state import SandboxState

MESSENGER, INSTAGRAM = "messenger", "instagram"
PLATFORMS = (MESSENGER, INSTAGRAM)
STANDARD_WINDOW_SECONDS = 24 * 60 * 60
HUMAN_AGENT_WINDOW_SECONDS = 7 * 24 * 60 * 60
PRIVATE_REPLY_SECONDS = 7 * 24 * 60 * 60
MESSENGER_TEXT_LIMIT = 2000  # characters
INSTAGRAM_TEXT_LIMIT = 1000  # UTF-8 bytes
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
ATTACHMENT_TYPES = ("image", "video", "audio", "file")
FIELD_MESSAGE_LIMIT = 25  # messages rendered by the `messages` field of a conversation
MESSAGE_REACTIONS = {
    "love": "\u2764",
    "like": "\U0001f44d",
    "haha": "\U0001f606",
    "wow": "\U0001f62e",
    "sad": "\U0001f622",
    "angry": "\U0001f620",
}
CUSTOMER = "customer"  # the reactor key for the customer in Message.reactions
BUSINESS = "business"  # … and for the Page / account


@dataclass
class Conversation:
    id: str
    platform: str  # messenger | instagram
    page_id: str  # the Page the app reaches it through
    owner_id: str  # the Page id (messenger) or the IG user id (instagram)
    customer_id: str
    created_at: float
    updated_at: float


@dataclass
class Message:
    id: str  # the mid
    conversation_id: str
    from_customer: bool
    created_at: float
    text: str | None = None
    attachments: list[dict[str, str]] = field(default_factory=list)  # [{"type", "url"}]
    story: dict[str, Any] | None = None  # {"mention"|"reply_to": {"id", "link"}}
    is_deleted: bool = False
    reactions: dict[str, str] = field(default_factory=dict)  # CUSTOMER/BUSINESS -> reaction
    messaging_type: str | None = None
    tag: str | None = None
    comment_id: str | None = None  # a private reply: the comment it answers
    opens_window: bool = False  # a customer's message, story mention or story reply


# --- lookups ------------------------------------------------------------------------------


def owner_of(page: Page, platform: str) -> str | None:
    return page.id if platform == MESSENGER else page.ig_user_id


def scoped_id(customer: Customer, conversation: Conversation) -> str:
    if conversation.platform == MESSENGER:
        return customer.psid(conversation.owner_id)
    return customer.igsid(conversation.owner_id)


def conversations_of(state: "SandboxState", page: Page, platform: str) -> list[Conversation]:
    owner = owner_of(page, platform)
    found = [
        c
        for c in state.engagement.conversations.values()
        if c.platform == platform and c.owner_id == owner
    ]
    found.sort(key=lambda c: -c.updated_at)
    return found


def messages_of(state: "SandboxState", conversation: Conversation) -> list[Message]:
    """Return the conversation's messages, newest first (as Graph lists them)."""
    found = [m for m in state.engagement.messages.values() if m.conversation_id == conversation.id]
    return found[::-1]


def find_conversation(
    state: "SandboxState", platform: str, owner_id: str, customer_id: str
) -> Conversation | None:
    return next(
        (
            c
            for c in state.engagement.conversations.values()
            if c.platform == platform and c.owner_id == owner_id and c.customer_id == customer_id
        ),
        None,
    )


def open_conversation(
    state: "SandboxState", *, platform: str, page_id: str, owner_id: str, customer_id: str
) -> Conversation:
    found = find_conversation(state, platform, owner_id, customer_id)
    if found is not None:
        return found
    number = state.objects.new_id("conversation")
    if platform == MESSENGER:
        conversation_id = f"t_{number}"
    else:
        raw = f"ig_d:1:IGMessageThread:{owner_id}:{number}".encode()
        conversation_id = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    now = state.now()
    conversation = Conversation(conversation_id, platform, page_id, owner_id, customer_id, now, now)
    state.engagement.conversations[conversation.id] = conversation
    return conversation


def new_mid(platform: str, owner_id: str) -> str:
    if platform == MESSENGER:
        return "m_" + secrets.token_urlsafe(48)
    raw = f"ig_item:1:IGMessage:{owner_id}:{secrets.token_hex(24)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def window_opened_at(state: "SandboxState", conversation: Conversation) -> float | None:
    """When the person last messaged (or mentioned / replied to a story), or None."""
    times = [m.created_at for m in messages_of(state, conversation) if m.opens_window]
    return max(times) if times else None


def window_state(state: "SandboxState", conversation: Conversation) -> dict[str, Any]:
    """Return when the window opened and until when each kind of message may be sent."""
    opened = window_opened_at(state, conversation)
    if opened is None:
        return {"opened_at": None, "standard_until": None, "human_agent_until": None}
    return {
        "opened_at": int(opened),
        "standard_until": int(opened + STANDARD_WINDOW_SECONDS),
        "human_agent_until": int(opened + HUMAN_AGENT_WINDOW_SECONDS),
    }


# --- webhook events (GRAPH_NOTES §7.4) ----------------------------------------------------


def _object_type(conversation: Conversation) -> str:
    return "page" if conversation.platform == MESSENGER else "instagram"


def _ms(timestamp: float) -> int:
    return int(timestamp * 1000)


def message_payload(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"mid": message.id}
    if message.text:
        body["text"] = message.text
    attachments = [{"type": a["type"], "payload": {"url": a["url"]}} for a in message.attachments]
    if message.story and "mention" in message.story:
        attachments.append(
            {"type": "story_mention", "payload": {"url": message.story["mention"]["link"]}}
        )
    if attachments:
        body["attachments"] = attachments
    if message.story and "reply_to" in message.story:
        reply_to = message.story["reply_to"]
        body["reply_to"] = {"story": {"url": reply_to["link"], "id": reply_to["id"]}}
    return body


def _emit(
    state: "SandboxState",
    conversation: Conversation,
    *,
    field_name: str,
    from_customer: bool,
    body_key: str,
    body: dict[str, Any],
) -> None:
    customer = state.engagement.customers[conversation.customer_id]
    person = {"id": scoped_id(customer, conversation)}
    business = {"id": conversation.owner_id}
    event = {
        "sender": person if from_customer else business,
        "recipient": business if from_customer else person,
        "timestamp": _ms(state.now()),
        body_key: body,
    }
    state.webhooks.emit_messaging(
        object_type=_object_type(conversation),
        entry_id=conversation.owner_id,
        field=field_name,
        event=event,
    )


def _store(state: "SandboxState", conversation: Conversation, message: Message) -> Message:
    state.engagement.messages[message.id] = message
    conversation.updated_at = message.created_at
    return message


# --- the customer's side ------------------------------------------------------------------


def _receive(state: "SandboxState", conversation: Conversation, message: Message) -> Message:
    """Store a message the customer wrote and emit its `messages` webhook."""
    _store(state, conversation, message)
    _emit(
        state,
        conversation,
        field_name="messages",
        from_customer=True,
        body_key="message",
        body=message_payload(message),
    )
    return message


def _reachable_conversation(
    state: "SandboxState", customer: Customer, asset_id: str
) -> Conversation:
    """Return (opening if needed) the customer's conversation with a Page or IG account."""
    if customer.deleted:
        raise CustomerError(f"{customer.name} deleted their account and cannot act")
    if customer.blocks(asset_id):
        raise CustomerError(f"{customer.name} has blocked {asset_id}, so cannot message it")
    world = state.world
    if asset_id in world.pages:
        return open_conversation(
            state,
            platform=MESSENGER,
            page_id=asset_id,
            owner_id=asset_id,
            customer_id=customer.id,
        )
    ig = world.ig_accounts.get(asset_id)
    if ig is None:
        raise CustomerError(f"unknown Page or Instagram account {asset_id!r}")
    return open_conversation(
        state, platform=INSTAGRAM, page_id=ig.page_id, owner_id=ig.id, customer_id=customer.id
    )


def _checked_url(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise CustomerError("image_url must be an http(s) URL")
    return url


def customer_sends(
    state: "SandboxState",
    *,
    customer: Customer,
    asset_id: str,
    text: str | None = None,
    image_url: str | None = None,
    story_id: str | None = None,
) -> Message:
    """DM a Page or IG account as the customer (optionally replying to one of its stories)."""
    if not text and not image_url:
        raise CustomerError("a message needs text or an image_url")
    conversation = _reachable_conversation(state, customer, asset_id)
    story = None
    if story_id:
        if conversation.platform != INSTAGRAM:
            raise CustomerError("story replies exist on Instagram only")
        media = live_story(state, conversation.owner_id, story_id)
        if media is None:
            raise CustomerError(f"{story_id} is not a live story of {conversation.owner_id}")
        story = {"reply_to": {"id": media.id, "link": media.media_url or ""}}
    message = Message(
        id=new_mid(conversation.platform, conversation.owner_id),
        conversation_id=conversation.id,
        from_customer=True,
        created_at=state.now(),
        text=text or None,
        attachments=[{"type": "image", "url": _checked_url(image_url)}] if image_url else [],
        story=story,
        opens_window=True,
    )
    return _receive(state, conversation, message)


def customer_mentions_in_story(
    state: "SandboxState", *, customer: Customer, ig_user_id: str, story_url: str | None = None
) -> Message:
    """Mention the account in the customer's story: a DM with a story_mention (§7.4)."""
    if ig_user_id not in state.world.ig_accounts:
        raise CustomerError(f"unknown Instagram account {ig_user_id!r}")
    conversation = _reachable_conversation(state, customer, ig_user_id)
    story_id = state.objects.new_id("ig_media")
    url = _checked_url(story_url) if story_url else f"https://lookaside.example/story/{story_id}"
    message = Message(
        id=new_mid(INSTAGRAM, ig_user_id),
        conversation_id=conversation.id,
        from_customer=True,
        created_at=state.now(),
        story={"mention": {"id": story_id, "link": url}},
        opens_window=True,
    )
    return _receive(state, conversation, message)


def _customers_message(state: "SandboxState", customer: Customer, mid: str) -> Message:
    message = state.engagement.messages.get(mid)
    conversation = state.engagement.conversations.get(message.conversation_id) if message else None
    if message is None or conversation is None or conversation.customer_id != customer.id:
        raise CustomerError(f"{mid!r} is not a message in one of {customer.name}'s conversations")
    if customer.deleted:
        raise CustomerError(f"{customer.name} deleted their account and cannot act")
    return message


def customer_reacts(
    state: "SandboxState", *, customer: Customer, mid: str, reaction: str | None
) -> Message:
    """React to a message as the customer (None: remove the reaction)."""
    message = _customers_message(state, customer, mid)
    conversation = state.engagement.conversations[message.conversation_id]
    if reaction is not None and reaction not in MESSAGE_REACTIONS:
        raise CustomerError(f"reaction must be one of {', '.join(MESSAGE_REACTIONS)}")
    previous = message.reactions.pop(CUSTOMER, None)
    if reaction is None:
        if previous is None:
            raise CustomerError("there is no reaction to remove")
        body = {"mid": mid, "action": "unreact"}
    else:
        message.reactions[CUSTOMER] = reaction
        body = {"mid": mid, "action": "react", "reaction": reaction}
        body["emoji"] = MESSAGE_REACTIONS[reaction]
    _emit(
        state,
        conversation,
        field_name="message_reactions",
        from_customer=True,
        body_key="reaction",
        body=body,
    )
    return message


def customer_unsends(state: "SandboxState", *, customer: Customer, mid: str) -> Message:
    """Unsend the customer's Instagram message: webhook `is_deleted`, gone from reads."""
    message = _customers_message(state, customer, mid)
    conversation = state.engagement.conversations[message.conversation_id]
    if not message.from_customer:
        raise CustomerError("a person can only unsend their own messages")
    if conversation.platform != INSTAGRAM:
        raise CustomerError("unsending is played on Instagram only")
    message.is_deleted = True
    _emit(
        state,
        conversation,
        field_name="messages",
        from_customer=True,
        body_key="message",
        body={"mid": mid, "is_deleted": True},
    )
    return message


# --- the Page's side: the Send API --------------------------------------------------------


@dataclass
class Outgoing:
    """A validated Send API request."""

    text: str | None
    attachments: list[dict[str, str]]
    messaging_type: str
    tag: str | None


def parse_outgoing(
    platform: str, message: Any, messaging_type: str | None, tag: str | None
) -> Outgoing:
    """Check `message`, `messaging_type` and `tag`; raise Meta's 100 for what is wrong."""
    kind = (messaging_type or "RESPONSE").upper()
    if kind not in MESSAGING_TYPES:
        raise errors.invalid_parameter(
            "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"
        )
    if kind == "MESSAGE_TAG":
        if not tag:
            raise errors.invalid_parameter("(#100) Tag is required for MESSAGE_TAG messaging type")
        if tag.upper() != "HUMAN_AGENT":
            raise errors.invalid_parameter(f"(#100) Invalid tag {tag}; only HUMAN_AGENT is allowed")
        tag = "HUMAN_AGENT"
    elif tag:
        raise errors.invalid_parameter(
            "(#100) tag can only be used with messaging_type MESSAGE_TAG"
        )
    if not isinstance(message, dict):
        raise errors.invalid_parameter("(#100) param message must be a JSON object")
    text = message.get("text")
    attachment = message.get("attachment")
    if text is not None and not isinstance(text, str):
        raise errors.invalid_parameter("(#100) param message[text] must be a string")
    if not text and not attachment:
        raise errors.invalid_parameter(
            "(#100) Message cannot be empty, must provide valid attachment or text"
        )
    if text and attachment:
        raise errors.invalid_parameter("(#100) Only one of text or attachment can be specified")
    if text:
        _check_length(platform, text)
        return Outgoing(text, [], kind, tag)
    return Outgoing(None, [_checked_attachment(attachment)], kind, tag)


def _check_length(platform: str, text: str) -> None:
    if platform == MESSENGER and len(text) > MESSENGER_TEXT_LIMIT:
        raise errors.invalid_parameter(
            f"(#100) Length of param message[text] must be less than or equal to "
            f"{MESSENGER_TEXT_LIMIT}"
        )
    if platform == INSTAGRAM and len(text.encode()) > INSTAGRAM_TEXT_LIMIT:
        raise errors.invalid_parameter(
            f"(#100) Length of param message[text] must be less than or equal to "
            f"{INSTAGRAM_TEXT_LIMIT}"
        )


def _checked_attachment(attachment: Any) -> dict[str, str]:
    kind = attachment.get("type") if isinstance(attachment, dict) else None
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    if kind not in ATTACHMENT_TYPES:
        raise errors.invalid_parameter(
            "(#100) param message[attachment][type] must be one of {image, video, audio, file}"
        )
    url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise errors.invalid_parameter(
            "(#100) param message[attachment][payload][url] must be a valid http(s) URL"
        )
    return {"type": kind, "url": url}


def check_window(state: "SandboxState", conversation: Conversation, outgoing: Outgoing) -> None:
    """Refuse a send outside its window with Meta's 10/2018278."""
    opened = window_opened_at(state, conversation)
    allowed = (
        HUMAN_AGENT_WINDOW_SECONDS
        if outgoing.messaging_type == "MESSAGE_TAG"
        else STANDARD_WINDOW_SECONDS
    )
    if opened is None or state.now() > opened + allowed:
        raise errors.outside_messaging_window()


def check_private_reply(state: "SandboxState", comment: Comment) -> None:
    """One private reply per comment, within 7 days, never to the Page's own comment."""
    if comment.author_id is None:
        raise errors.cannot_reply_privately()
    if comment.private_reply_mid is not None:
        raise errors.private_reply_used()
    if state.now() > comment.created_at + PRIVATE_REPLY_SECONDS:
        raise errors.outside_messaging_window()


def page_sends(
    state: "SandboxState",
    *,
    conversation: Conversation,
    outgoing: Outgoing,
    app_id: str,
    comment: Comment | None = None,
) -> Message:
    """Record a message the app sent and emit its echo; every check is done by the caller."""
    message = Message(
        id=new_mid(conversation.platform, conversation.owner_id),
        conversation_id=conversation.id,
        from_customer=False,
        created_at=state.now(),
        text=outgoing.text,
        attachments=outgoing.attachments,
        messaging_type=outgoing.messaging_type,
        tag=outgoing.tag,
        comment_id=comment.id if comment else None,
    )
    _store(state, conversation, message)
    if comment is not None:
        comment.private_reply_mid = message.id
    body = {**message_payload(message), "is_echo": True}
    if conversation.platform == MESSENGER:
        body["app_id"] = int(app_id)
    _emit(
        state,
        conversation,
        field_name="message_echoes" if conversation.platform == MESSENGER else "messages",
        from_customer=False,
        body_key="message",
        body=body,
    )
    return message
