"""Conversations and the Send API (GRAPH_NOTES §9.2, §9.3; rules in messaging.py).

    GET  /{page-id}/conversations   platform=messenger (default) | instagram, user_id=<PSID |
                                    IGSID>, fields=participants,messages{…},updated_time,
                                    message_count,unread_count,snippet,can_reply; newest first
    GET  /{conversation-id}?fields=messages{id,message,from,to,created_time},participants,…
    GET  /{conversation-id}/messages          newest first, paged; default fields id,created_time
    GET  /{message-id}?fields=id,created_time,from,to,message,attachments,story,reactions,
                                    is_unsupported
    POST /{page-id}/messages (or /me/messages with the Page token)
         recipient={"id": <PSID|IGSID>} | {"comment_id": <comment id>} (a private reply),
         message={"text": …} | {"attachment": {"type": "image", "payload": {"url": …}}},
         messaging_type=RESPONSE|UPDATE|MESSAGE_TAG, tag=HUMAN_AGENT
         -> {"recipient_id", "message_id"}

All of it needs a Page token of the Page (a user token answers 210) whose person has the
MESSAGING, MODERATE or MANAGE task, and pages_messaging (Messenger) or
instagram_manage_messages (Instagram): else 230 "Requires … permission". A message the
customer unsent reads as unknown (100/33). Meta gives details for only the ~20 latest messages
of an Instagram conversation (§9.2, secondary); the sandbox serves them all.

Refusals: 100 for a malformed request (bad JSON, empty or too long text, bad attachment,
unknown messaging_type, a tag other than HUMAN_AGENT), 100/2018001 for a recipient id nobody
has on this Page, 100/33 for a gone comment, 551/1545041 for a person who blocked the Page or
deleted their account, 10/2018278 outside the window, 10900 for a second private reply and
10903 for a private reply to the Page's own comment (codes and their sources: errors.py).
"""

import json
from typing import Any

from meta_sandbox import errors, messaging
from meta_sandbox.endpoints.pages import visible_page
from meta_sandbox.engagement import Comment, Customer
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, attr, meta_time, parse_fields
from meta_sandbox.messaging import INSTAGRAM, MESSENGER, Conversation, Message
from meta_sandbox.models import Page
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route

MESSAGING_TASKS = {"MESSAGING", "MODERATE", "MANAGE"}
SCOPE_FOR = {MESSENGER: "pages_messaging", INSTAGRAM: "instagram_manage_messages"}
EDGE_DEFAULT_FIELDS = ("id", "created_time")


def require_messaging(call: Call, page: Page, platform: str) -> None:
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise errors.page_token_required()
    scope = SCOPE_FOR[platform]
    if not call.has_any_scope((scope,)):
        raise errors.messaging_permission(scope)
    if not MESSAGING_TASKS & set(page.tasks):
        raise GraphError(
            "(#10) The person behind this token needs the MESSAGING task on the Page", code=10
        )


# --- nodes -------------------------------------------------------------------------------


def _customer(call: Call, conversation: Conversation) -> Customer:
    return call.state.engagement.customers[conversation.customer_id]


def _person(call: Call, conversation: Conversation) -> dict[str, str]:
    customer = _customer(call, conversation)
    scoped = messaging.scoped_id(customer, conversation)
    if conversation.platform == MESSENGER:
        return {"name": customer.display_name(), "email": f"{scoped}@facebook.com", "id": scoped}
    return {"username": customer.ig_username, "id": scoped}


def _business(call: Call, conversation: Conversation) -> dict[str, str]:
    world = call.state.world
    if conversation.platform == MESSENGER:
        page = world.pages[conversation.owner_id]
        return {"name": page.name, "email": f"{page.id}@facebook.com", "id": page.id}
    ig = world.ig_accounts[conversation.owner_id]
    return {"username": ig.username, "id": ig.id}


def _conversation_of(call: Call, message: Message) -> Conversation:
    return call.state.engagement.conversations[message.conversation_id]


def _visible_messages(call: Call, conversation: Conversation) -> list[Message]:
    return [m for m in messaging.messages_of(call.state, conversation) if not m.is_deleted]


def _attachments(message: Message) -> dict[str, Any] | None:
    if not message.attachments:
        return None
    data = []
    for index, item in enumerate(message.attachments):
        entry: dict[str, Any] = {"id": f"{message.id[-12:]}{index}"}
        if item["type"] == "image":
            entry.update(
                mime_type="image/jpeg",
                image_data={"url": item["url"], "preview_url": item["url"]},
            )
        else:
            entry.update(file_url=item["url"])
        data.append(entry)
    return {"data": data}


def _reactions(call: Call, message: Message) -> dict[str, Any] | None:
    if not message.reactions:
        return None
    conversation = _conversation_of(call, message)
    data = []
    for reactor, reaction in message.reactions.items():
        who = _person if reactor == messaging.CUSTOMER else _business
        data.append(
            {"reaction": messaging.MESSAGE_REACTIONS[reaction], "users": [who(call, conversation)]}
        )
    return {"data": data}


def _sender(call: Call, message: Message) -> dict[str, str]:
    conversation = _conversation_of(call, message)
    return (_person if message.from_customer else _business)(call, conversation)


def _recipient(call: Call, message: Message) -> dict[str, Any]:
    conversation = _conversation_of(call, message)
    other = _business if message.from_customer else _person
    return {"data": [other(call, conversation)]}


MESSAGE = NodeType(
    "Message",
    {
        "id": attr("id"),
        "created_time": lambda m, _call, _ch: meta_time(m.created_at),
        "from": lambda m, call, _ch: _sender(call, m),
        "to": lambda m, call, _ch: _recipient(call, m),
        "message": lambda m, _call, _ch: m.text or "",
        "attachments": lambda m, _call, _ch: _attachments(m),
        "story": lambda m, _call, _ch: m.story,
        "reactions": lambda m, call, _ch: _reactions(call, m),
        "is_unsupported": lambda _m, _call, _ch: False,
    },
    default_fields=EDGE_DEFAULT_FIELDS,
)


def _messages_field(call: Call, conversation: Conversation, spec_children: Any) -> dict[str, Any]:
    messages = _visible_messages(call, conversation)[: messaging.FIELD_MESSAGE_LIMIT]
    return {"data": [MESSAGE.render(m, call, spec_children, EDGE_DEFAULT_FIELDS) for m in messages]}


def _snippet(call: Call, conversation: Conversation) -> str | None:
    messages = _visible_messages(call, conversation)
    return (messages[0].text or "") if messages else None


def _unread(call: Call, conversation: Conversation) -> int:
    count = 0
    for message in _visible_messages(call, conversation):
        if not message.from_customer:
            break
        count += 1
    return count


def _messenger_only(conversation: Conversation, value: Any) -> Any:
    return value if conversation.platform == MESSENGER else None


CONVERSATION = NodeType(
    "Conversation",
    {
        "id": attr("id"),
        "updated_time": lambda c, _call, _ch: meta_time(c.updated_at),
        "participants": lambda c, call, _ch: {"data": [_person(call, c), _business(call, c)]},
        "senders": lambda c, call, _ch: {"data": [_person(call, c), _business(call, c)]},
        "messages": lambda c, call, ch: _messages_field(call, c, ch),
        "message_count": lambda c, call, _ch: len(_visible_messages(call, c)),
        "unread_count": lambda c, call, _ch: _unread(call, c),
        "snippet": lambda c, call, _ch: _snippet(call, c),
        "can_reply": lambda c, call, _ch: _messenger_only(
            c, not _customer(call, c).unavailable_to(c.owner_id)
        ),
        "link": lambda c, _call, _ch: _messenger_only(
            c, f"/{c.page_id}/inbox/{c.id.removeprefix('t_')}/"
        ),
    },
    default_fields=("id", "updated_time"),
)


@converter("conversation")
def visible_conversation(call: Call, raw: str) -> Conversation | None:
    conversation = call.state.engagement.conversations.get(raw)
    if conversation is None or visible_page(call, conversation.page_id) is None:
        return None
    return conversation


@converter("message")
def visible_message(call: Call, raw: str) -> Message | None:
    message = call.state.engagement.messages.get(raw)
    if message is None or message.is_deleted:
        return None
    return message if visible_conversation(call, message.conversation_id) else None


# Not registered as generic nodes (`GET /{id}`, `?ids=`): the routes below read them, so the
# Page-token and permission checks always apply.


# --- reads -------------------------------------------------------------------------------


@route("GET", "/{page:page}/conversations")
def list_conversations(call: Call) -> dict[str, Any]:
    page: Page = call.args["page"]
    platform = (call.param("platform") or MESSENGER).lower()
    if platform not in messaging.PLATFORMS:
        raise errors.invalid_parameter(
            "(#100) platform must be one of the following values: messenger, instagram"
        )
    require_messaging(call, page, platform)
    conversations = messaging.conversations_of(call.state, page, platform)
    user_id = call.param("user_id")
    if user_id:
        conversations = [
            c for c in conversations if messaging.scoped_id(_customer(call, c), c) == user_id
        ]
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        conversations,
        key=lambda c: c.id,
        render=lambda c: CONVERSATION.render(c, call, specs),
    )


def _check_node_access(call: Call, conversation: Conversation) -> None:
    page = call.state.world.pages[conversation.page_id]
    require_messaging(call, page, conversation.platform)


@route("GET", "/{conversation:conversation}")
def read_conversation(call: Call) -> dict[str, Any]:
    conversation: Conversation = call.args["conversation"]
    _check_node_access(call, conversation)
    return CONVERSATION.render(conversation, call, parse_fields(call.param("fields")))


@route("GET", "/{conversation:conversation}/messages")
def list_messages(call: Call) -> dict[str, Any]:
    conversation: Conversation = call.args["conversation"]
    _check_node_access(call, conversation)
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        _visible_messages(call, conversation),
        key=lambda m: m.id,
        render=lambda m: MESSAGE.render(m, call, specs),
    )


@route("GET", "/{message:message}")
def read_message(call: Call) -> dict[str, Any]:
    message: Message = call.args["message"]
    _check_node_access(call, _conversation_of(call, message))
    return MESSAGE.render(message, call, parse_fields(call.param("fields")))


# --- the Send API ------------------------------------------------------------------------


def _json_param(call: Call, name: str) -> Any:
    raw = call.param(name)
    if raw is None or raw == "":
        raise errors.missing_parameter(name)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise errors.invalid_parameter(f"(#100) param {name} must be a JSON object") from exc


def _gone_comment(comment_id: str) -> GraphError:
    return GraphError(
        f"(#100) The comment {comment_id} does not exist, was deleted or cannot be loaded "
        "due to missing permissions",
        code=100,
        subcode=33,
    )


def _resolve_recipient(
    call: Call, page: Page, recipient: Any
) -> tuple[str, Customer, Comment | None]:
    """Return (platform, person, the comment of a private reply) for `recipient`."""
    if not isinstance(recipient, dict):
        raise errors.invalid_parameter("(#100) param recipient must be a JSON object")
    store = call.state.engagement
    comment_id = recipient.get("comment_id")
    if comment_id:
        comment = store.live_comment(call.state, str(comment_id))
        owners = {page.id: MESSENGER, page.ig_user_id: INSTAGRAM}
        if comment is None or comment.owner_id not in owners:
            raise _gone_comment(str(comment_id))
        platform = owners[comment.owner_id]
        if comment.author_id is None:
            require_messaging(call, page, platform)
            raise errors.cannot_reply_privately()
        return platform, store.customers[comment.author_id], comment
    person_id = str(recipient.get("id") or "")
    if not person_id:
        raise errors.invalid_parameter("(#100) param recipient must have an id or a comment_id")
    customer = store.customer_by_psid(page.id, person_id)
    if customer is not None:
        return MESSENGER, customer, None
    if page.ig_user_id:
        customer = store.customer_by_igsid(page.ig_user_id, person_id)
        if customer is not None:
            return INSTAGRAM, customer, None
    require_messaging(call, page, MESSENGER)
    raise errors.no_matching_user()


@route("POST", "/{page:page}/messages")
def send_message(call: Call) -> dict[str, str]:
    page: Page = call.args["page"]
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise errors.page_token_required()
    platform, customer, comment = _resolve_recipient(call, page, _json_param(call, "recipient"))
    require_messaging(call, page, platform)
    outgoing = messaging.parse_outgoing(
        platform, _json_param(call, "message"), call.param("messaging_type"), call.param("tag")
    )
    owner_id = messaging.owner_of(page, platform) or page.id
    if customer.unavailable_to(owner_id):
        raise errors.person_unavailable()
    state = call.state
    if comment is not None:
        messaging.check_private_reply(state, comment)
        conversation = messaging.open_conversation(
            state, platform=platform, page_id=page.id, owner_id=owner_id, customer_id=customer.id
        )
    else:
        found = messaging.find_conversation(state, platform, owner_id, customer.id)
        if found is None:
            raise errors.outside_messaging_window()
        conversation = found
        messaging.check_window(state, conversation, outgoing)
    message = messaging.page_sends(
        state, conversation=conversation, outgoing=outgoing, app_id=state.app_id, comment=comment
    )
    return {"recipient_id": messaging.scoped_id(customer, conversation), "message_id": message.id}
