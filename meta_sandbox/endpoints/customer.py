"""Playing the customer: the test API under `/_sandbox/customer/` (no token, never faulted).

JSON in, JSON out; an HTML form post (the console's "Play a customer" panel) is answered
with a 303 back to the console. Each action is one `SandboxState.customer_*` method (see
state.py) and emits its webhook item(s); an action the person cannot play answers 400 with
a `SandboxException` saying why, and changes nothing.

    GET  /_sandbox/customer/people              {"data": [{id, name, ig_username, deleted,
                                                 blocked_asset_ids, psids: {page: psid},
                                                 igsids: {ig: igsid}}]}
    POST /_sandbox/customer/people/<id>         {"blocked_asset_ids": [...], "deleted": bool}
    GET  /_sandbox/customer/content             what takes comments now, newest first
    GET  /_sandbox/customer/comments?object_id= live comments (replies too), oldest first
    POST /_sandbox/customer/comments            {customer_id, object_id, message, parent_id?}
    POST /_sandbox/customer/comments/<id>/edit  {message}          (Facebook only)
    POST /_sandbox/customer/comments/<id>/delete
    POST /_sandbox/customer/reactions           {customer_id, object_id, reaction: like|love|
                                                 care|haha|wow|sad|angry|none}
    GET  /_sandbox/customer/conversations       every conversation, its window and messages
    POST /_sandbox/customer/messages            {customer_id, to: <page or IG user id>, text?,
                                                 image_url?, story_id? (a story reply)}
    POST /_sandbox/customer/story_mentions      {customer_id, ig_user_id, story_url?}
    POST /_sandbox/customer/message_reactions   {customer_id, mid, reaction (none: remove)}
    POST /_sandbox/customer/messages/<mid>/unsend {customer_id}     (Instagram)
    POST /_sandbox/customer/mentions            {customer_id, ig_user_id, text, in_comment}
"""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from meta_sandbox import engagement, messaging
from meta_sandbox.endpoints.sandbox_api import _bad, _is_form, _payload
from meta_sandbox.engagement import Comment, Customer, CustomerError, Mention
from meta_sandbox.html import esc
from meta_sandbox.messaging import Conversation, Message
from meta_sandbox.routing import Call, route
from meta_sandbox.state import SandboxState

CONSOLE_ANCHOR = "/_sandbox/#customer"


def _answer(call: Call, body: dict[str, Any]) -> Response | dict[str, Any]:
    return redirect(CONSOLE_ANCHOR, code=303) if _is_form(call) else body


def _optional(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value is None or value == "" else str(value)


def _required(data: dict[str, Any], name: str) -> str:
    value = _optional(data, name)
    if value is None:
        raise _bad(f"{name} is required")
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def describe_customer(state: SandboxState, customer: Customer) -> dict[str, Any]:
    world = state.world
    return {
        **asdict(customer),
        "psids": {page_id: customer.psid(page_id) for page_id in world.pages},
        "igsids": {ig_id: customer.igsid(ig_id) for ig_id in world.ig_accounts},
    }


def describe_record(record: Comment | Message | Mention) -> dict[str, Any]:
    """Return a comment, message or mention as JSON, ``created_at`` in whole seconds."""
    return {**asdict(record), "created_at": int(record.created_at)}


def describe_conversation(state: SandboxState, conversation: Conversation) -> dict[str, Any]:
    customer = state.engagement.customers[conversation.customer_id]
    return {
        **asdict(conversation),
        "scoped_id": messaging.scoped_id(customer, conversation),
        "window": messaging.window_state(state, conversation),
        "messages": [describe_record(m) for m in messaging.messages_of(state, conversation)],
    }


def _acting(call: Call, action: Any) -> Any:
    try:
        return action()
    except CustomerError as exc:
        raise _bad(str(exc)) from exc


# --- people and content ------------------------------------------------------------------


@route("GET", "/_sandbox/customer/people", auth="none")
def list_people(call: Call) -> dict[str, Any]:
    state = call.state
    return {"data": [describe_customer(state, c) for c in state.engagement.customers.values()]}


@route("POST", "/_sandbox/customer/people/{customer_id}", auth="none")
def update_person(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    blocked = data.get("blocked_asset_ids")
    if isinstance(blocked, str):
        blocked = [part.strip() for part in blocked.split(",") if part.strip()]
    if blocked is not None and not isinstance(blocked, list):
        raise _bad("blocked_asset_ids must be a list of Page / IG account ids")
    if _is_form(call) and "blocked_asset_ids" not in data:
        blocked = []  # an HTML form sends no field for "nothing blocked"
    deleted = _flag(data["deleted"]) if "deleted" in data else None
    customer = _acting(
        call,
        lambda: call.state.update_customer(
            call.args["customer_id"],
            blocked_asset_ids=[str(b) for b in blocked] if blocked is not None else None,
            deleted=deleted,
        ),
    )
    return _answer(call, describe_customer(call.state, customer))


@route("GET", "/_sandbox/customer/content", auth="none")
def list_content(call: Call) -> dict[str, Any]:
    state = call.state
    data = [
        {
            "id": target.object_id,
            "platform": target.platform,
            "owner_id": target.owner_id,
            "caption": engagement.object_caption(state, target.object_id),
            "created_at": int(target.created_at),
            "is_story": target.is_story,
            "comments_enabled": target.comments_enabled,
        }
        for target in engagement.commentable_objects(state)
    ]
    return {"data": data}


# --- comments and reactions --------------------------------------------------------------


@route("GET", "/_sandbox/customer/comments", auth="none")
def list_comments(call: Call) -> dict[str, Any]:
    state = call.state
    object_id = call.param("object_id")
    comments = [
        c
        for c in state.engagement.comments.values()
        if state.engagement.live_comment(state, c.id) is not None
        and (not object_id or c.object_id == object_id)
    ]
    return {"data": [describe_record(c) for c in comments]}


@route("POST", "/_sandbox/customer/comments", auth="none")
def comment(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    made = _acting(
        call,
        lambda: call.state.customer_comment(
            customer_id=_required(data, "customer_id"),
            object_id=_required(data, "object_id"),
            message=_required(data, "message"),
            parent_id=_optional(data, "parent_id"),
        ),
    )
    return _answer(call, describe_record(made))


@route("POST", "/_sandbox/customer/comments/{comment_id}/edit", auth="none")
def edit_comment(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    edited = _acting(
        call,
        lambda: call.state.customer_edit_comment(
            comment_id=call.args["comment_id"], message=_required(data, "message")
        ),
    )
    return _answer(call, describe_record(edited))


@route("POST", "/_sandbox/customer/comments/{comment_id}/delete", auth="none")
def delete_comment(call: Call) -> Response | dict[str, Any]:
    gone = _acting(
        call, lambda: call.state.customer_delete_comment(comment_id=call.args["comment_id"])
    )
    return _answer(call, describe_record(gone))


@route("POST", "/_sandbox/customer/reactions", auth="none")
def react(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    verb = _acting(
        call,
        lambda: call.state.customer_react(
            customer_id=_required(data, "customer_id"),
            object_id=_required(data, "object_id"),
            reaction=_required(data, "reaction"),
        ),
    )
    return _answer(call, {"verb": verb})


# --- messages ----------------------------------------------------------------------------


@route("GET", "/_sandbox/customer/conversations", auth="none")
def list_conversations(call: Call) -> dict[str, Any]:
    state = call.state
    conversations = sorted(state.engagement.conversations.values(), key=lambda c: -c.updated_at)
    return {"data": [describe_conversation(state, c) for c in conversations]}


def _message_answer(call: Call, message: Message) -> Response | dict[str, Any]:
    conversation = call.state.engagement.conversations[message.conversation_id]
    body = {
        **describe_record(message),
        "conversation": describe_conversation(call.state, conversation),
    }
    return _answer(call, body)


@route("POST", "/_sandbox/customer/messages", auth="none")
def send(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    message = _acting(
        call,
        lambda: call.state.customer_message(
            customer_id=_required(data, "customer_id"),
            to=_required(data, "to"),
            text=_optional(data, "text"),
            image_url=_optional(data, "image_url"),
            story_id=_optional(data, "story_id"),
        ),
    )
    return _message_answer(call, message)


@route("POST", "/_sandbox/customer/story_mentions", auth="none")
def story_mention(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    message = _acting(
        call,
        lambda: call.state.customer_story_mention(
            customer_id=_required(data, "customer_id"),
            ig_user_id=_required(data, "ig_user_id"),
            story_url=_optional(data, "story_url"),
        ),
    )
    return _message_answer(call, message)


@route("POST", "/_sandbox/customer/message_reactions", auth="none")
def react_to_message(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    reaction = _optional(data, "reaction")
    message = _acting(
        call,
        lambda: call.state.customer_react_to_message(
            customer_id=_required(data, "customer_id"),
            mid=_required(data, "mid"),
            reaction=None if reaction in (None, "none") else reaction,
        ),
    )
    return _message_answer(call, message)


@route("POST", "/_sandbox/customer/messages/{mid}/unsend", auth="none")
def unsend(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    message = _acting(
        call,
        lambda: call.state.customer_unsend(
            customer_id=_required(data, "customer_id"), mid=call.args["mid"]
        ),
    )
    return _message_answer(call, message)


@route("POST", "/_sandbox/customer/mentions", auth="none")
def mention(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    made = _acting(
        call,
        lambda: call.state.customer_mention(
            customer_id=_required(data, "customer_id"),
            ig_user_id=_required(data, "ig_user_id"),
            text=_required(data, "text"),
            in_comment=_flag(data.get("in_comment", False)),
        ),
    )
    return _answer(call, describe_record(made))


# --- the console's "Play a customer" panel (rendered by endpoints/console.py) ------------

RECENT_COMMENTS = 40
RECENT_CONVERSATIONS = 20


def _options(pairs: list[tuple[str, str]], *, blank: str | None = None) -> str:
    first = f'<option value="">{esc(blank)}</option>' if blank is not None else ""
    return first + "".join(f'<option value="{esc(v)}">{esc(label)}</option>' for v, label in pairs)


def _form(action: str, inner: str, label: str) -> str:
    return (
        f'<form method="post" action="{esc(action)}" class="row" style="margin-top:8px">'
        f'{inner}<button type="submit" class="primary">{esc(label)}</button></form>'
    )


def _people_rows(state: SandboxState) -> str:
    rows = []
    for customer in state.engagement.customers.values():
        checked = " checked" if customer.deleted else ""
        form = (
            f'<form method="post" action="/_sandbox/customer/people/{esc(customer.id)}" class="row">'
            f'<input type="text" name="blocked_asset_ids" value="{esc(",".join(customer.blocked_asset_ids))}" '
            'placeholder="blocked Page / IG ids" style="width:260px">'
            f'<label><input type="checkbox" name="deleted" value="1"{checked}> deleted</label>'
            '<button type="submit">Save</button></form>'
        )
        rows.append(
            f"<tr><td>{esc(customer.name)}<br><code>{esc(customer.id)}</code></td>"
            f"<td>@{esc(customer.ig_username)}</td><td>{form}</td></tr>"
        )
    return f"<table><tr><th>person</th><th>Instagram</th><th>blocks / account</th></tr>{''.join(rows)}</table>"


def _comment_rows(state: SandboxState) -> str:
    store = state.engagement
    live = [c for c in store.comments.values() if store.live_comment(state, c.id) is not None]
    rows = []
    for c in live[-RECENT_COMMENTS:][::-1]:
        author = engagement.author_of(state, c)
        who = author.display_name() if author else "the Page / account"
        actions = ""
        if author is not None:
            actions = (
                _form(
                    f"/_sandbox/customer/comments/{c.id}/edit",
                    '<input type="text" name="message" placeholder="new text" style="width:160px">',
                    "Edit",
                )
                if c.platform == engagement.FACEBOOK
                else ""
            )
            actions += _form(f"/_sandbox/customer/comments/{c.id}/delete", "", "Delete")
        rows.append(
            f"<tr><td><code>{esc(c.id)}</code>{' (reply)' if c.parent_id else ''}"
            f"{' <span class=bad>hidden</span>' if c.is_hidden else ''}</td><td>{esc(c.platform)}</td>"
            f"<td>{esc(who)}</td><td>{esc(c.message)}</td><td>{actions}</td></tr>"
        )
    if not rows:
        return '<p class="hint">No comments.</p>'
    return (
        "<table><tr><th>comment</th><th>on</th><th>by</th><th>text</th><th></th></tr>"
        f"{''.join(rows)}</table>"
    )


def _conversation_rows(state: SandboxState) -> str:
    rows = []
    conversations = sorted(state.engagement.conversations.values(), key=lambda c: -c.updated_at)
    for conversation in conversations[:RECENT_CONVERSATIONS]:
        customer = state.engagement.customers[conversation.customer_id]
        window = messaging.window_state(state, conversation)
        until = window["standard_until"]
        status = (
            "never opened"
            if until is None
            else (
                "open"
                if state.now() <= until
                else "closed (human agent until "
                + datetime.fromtimestamp(window["human_agent_until"], tz=UTC).strftime(
                    "%Y-%m-%d %H:%M"
                )
                + ")"
            )
        )
        lines = "<br>".join(
            f"{'→' if m.from_customer else '←'} {esc(m.text or ('[story mention]' if m.story and 'mention' in m.story else '[attachment]'))}"
            f"{' (unsent)' if m.is_deleted else ''} <code>{esc(m.id[:24])}…</code>"
            for m in messaging.messages_of(state, conversation)[:4]
        )
        rows.append(
            f"<tr><td>{esc(conversation.platform)}<br><code>{esc(conversation.owner_id)}</code></td>"
            f"<td>{esc(customer.display_name())}</td><td>{esc(status)}</td><td>{lines}</td></tr>"
        )
    if not rows:
        return '<p class="hint">No conversations.</p>'
    return (
        "<table><tr><th>channel</th><th>person</th><th>24-hour window</th><th>latest messages</th></tr>"
        f"{''.join(rows)}</table>"
    )


def customer_panel(state: SandboxState) -> str:
    """Return the console card: forms for every customer action, comments, conversations."""
    store = state.engagement
    people = _options([(c.id, c.name) for c in store.customers.values() if not c.deleted])
    targets = engagement.commentable_objects(state)
    content = _options(
        [
            (t.object_id, f"{t.platform} · {engagement.object_caption(state, t.object_id)[:40]}")
            for t in targets
            if t.comments_enabled
        ]
    )
    posts = _options(
        [
            (t.object_id, engagement.object_caption(state, t.object_id)[:40])
            for t in targets
            if t.platform == engagement.FACEBOOK
        ]
    )
    world = state.world
    assets = _options(
        [(p.id, f"Messenger · {p.name}") for p in world.pages.values()]
        + [(ig.id, f"Instagram · @{ig.username}") for ig in world.ig_accounts.values()]
    )
    igs = _options([(ig.id, f"@{ig.username}") for ig in world.ig_accounts.values()])
    stories = _options(
        [(t.object_id, f"story of {t.owner_id}") for t in targets if t.is_story], blank="no story"
    )
    reactions = _options([(r, r) for r in engagement.REACTION_TYPES] + [("none", "remove")])
    message_reactions = _options(
        [(r, r) for r in messaging.MESSAGE_REACTIONS] + [("none", "remove")]
    )
    who = f'<select name="customer_id">{people}</select>'
    forms = (
        _form(
            "/_sandbox/customer/comments",
            f'{who}<select name="object_id">{content}</select>'
            '<input type="text" name="parent_id" placeholder="reply to comment id (optional)">'
            '<input type="text" name="message" placeholder="comment" required>',
            "Comment",
        )
        + _form(
            "/_sandbox/customer/reactions",
            f'{who}<select name="object_id">{posts}</select><select name="reaction">{reactions}</select>',
            "React to post",
        )
        + _form(
            "/_sandbox/customer/messages",
            f'{who}<select name="to">{assets}</select>'
            '<input type="text" name="text" placeholder="message">'
            '<input type="text" name="image_url" placeholder="image URL (optional)">'
            f'<select name="story_id">{stories}</select>',
            "Send DM",
        )
        + _form(
            "/_sandbox/customer/story_mentions",
            f'{who}<select name="ig_user_id">{igs}</select>',
            "Mention in my story",
        )
        + _form(
            "/_sandbox/customer/message_reactions",
            f'{who}<input type="text" name="mid" placeholder="message id" required>'
            f'<select name="reaction">{message_reactions}</select>',
            "React to message",
        )
        + _form(
            "/_sandbox/customer/mentions",
            f'{who}<select name="ig_user_id">{igs}</select>'
            '<input type="text" name="text" placeholder="@mention text" required>'
            '<label><input type="checkbox" name="in_comment" value="1"> in a comment</label>',
            "Mention in my post",
        )
    )
    return (
        '<div class="card" id="customer"><h2>Play a customer</h2>'
        '<p class="hint">Act as one of the seeded people: every action emits Meta\'s webhook item '
        "(delivered when the app subscribed). JSON API: <code>/_sandbox/customer/…</code> "
        "(meta_sandbox/endpoints/customer.py).</p>"
        f'{forms}<h2 style="margin-top:16px">People</h2>{_people_rows(state)}'
        f'<h2 style="margin-top:16px">Comments</h2>{_comment_rows(state)}'
        f'<h2 style="margin-top:16px">Conversations</h2>{_conversation_rows(state)}</div>'
    )
