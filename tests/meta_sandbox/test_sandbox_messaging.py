"""Conversations and the Send API: reads, the 24-hour and human-agent windows on the sandbox
clock, private replies, people who blocked the Page or left, refusals and echoes (§9.2, §9.3)."""

import json

import pytest

from meta_sandbox import seed
from tests.meta_sandbox.helpers import advance, assert_error, grant_token, page_token

PAGE = seed.PAGE_COFFEE_ID
IG = seed.IG_COFFEE_ID
HOUR, DAY = 3600, 24 * 3600
SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_messaging",
    "pages_manage_metadata",
    "instagram_basic",
    "instagram_manage_messages",
]


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=SCOPES)


@pytest.fixture
def token(graph, user_token):
    return page_token(graph, user_token, PAGE)


def _person(sandbox, customer_id):
    return sandbox.state.engagement.customers[customer_id]


def _send(graph, token, recipient, message=None, path=f"/{PAGE}/messages", **params):
    body = {"text": "Hello!"} if message is None else message
    return graph.request(
        "POST", path, token, recipient=json.dumps(recipient), message=json.dumps(body), **params
    )


def _echoes(sandbox):
    return [
        e for e in sandbox.state.webhooks.emitted if e.payload.get("message", {}).get("is_echo")
    ]


# --- reads -------------------------------------------------------------------------------


def test_messenger_conversations_newest_first_with_participants_and_messages(graph, sandbox, token):
    response = graph.get(
        f"/{PAGE}/conversations",
        token,
        fields="id,updated_time,participants,messages{id,message,from,to,created_time}",
    )

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [c["id"] for c in data] == [
        seed.SEED_CONVERSATION_KENJI_ID,
        seed.SEED_CONVERSATION_MARIA_ID,
    ]
    maria = data[1]
    psid = _person(sandbox, seed.MARIA_ID).psid(PAGE)
    assert maria["participants"]["data"] == [
        {"name": "Maria Lopez", "email": f"{psid}@facebook.com", "id": psid},
        {"name": "Rivera Coffee Roasters", "email": f"{PAGE}@facebook.com", "id": PAGE},
    ]
    latest, first = maria["messages"]["data"]
    assert latest["message"] == "Yes, 8am to 2pm."
    assert latest["from"]["id"] == PAGE
    assert first["from"]["id"] == psid
    assert first["to"]["data"][0]["id"] == PAGE


def test_instagram_conversations_and_user_id_filter(graph, sandbox, token):
    igsid = _person(sandbox, seed.PRIYA_ID).igsid(IG)

    listed = graph.get(f"/{PAGE}/conversations", token, platform="instagram").json()["data"]
    mine = graph.get(
        f"/{PAGE}/conversations", token, platform="instagram", user_id=igsid, fields="participants"
    ).json()["data"]
    nobody = graph.get(f"/{PAGE}/conversations", token, user_id=igsid).json()["data"]

    assert [c["id"] for c in listed] == [seed.SEED_CONVERSATION_PRIYA_ID]
    assert set(listed[0]) == {"id", "updated_time"}
    assert mine[0]["participants"]["data"] == [
        {"username": "priya.runs", "id": igsid},
        {"username": "riveracoffee", "id": IG},
    ]
    assert nobody == []  # a Messenger list knows no IGSID
    assert_error(graph.get(f"/{PAGE}/conversations", token, platform="whatsapp"), 400, 100)


def test_conversation_node_messages_edge_and_message_node(graph, token):
    conversation = graph.get(f"/{seed.SEED_CONVERSATION_MARIA_ID}", token, fields="messages").json()
    first_page = graph.get(f"/{seed.SEED_CONVERSATION_MARIA_ID}/messages", token, limit="1").json()
    second_page = graph.session.get(first_page["paging"]["next"], timeout=10).json()
    message = graph.get(
        "/m_seed-maria-1", token, fields="id,created_time,from,to,message,attachments"
    ).json()

    assert [m["id"] for m in conversation["messages"]["data"]] == [
        "m_seed-maria-2",
        "m_seed-maria-1",
    ]
    assert [m["id"] for m in first_page["data"] + second_page["data"]] == [
        "m_seed-maria-2",
        "m_seed-maria-1",
    ]
    assert set(first_page["data"][0]) == {"id", "created_time"}
    assert message["message"] == "Hi! Are you open on Sunday?"
    assert "attachments" not in message


def test_reads_need_the_page_token_and_the_messaging_permission(graph, user_token, token):
    assert_error(graph.get(f"/{PAGE}/conversations", user_token), 403, 210)
    assert_error(graph.get(f"/{seed.SEED_CONVERSATION_MARIA_ID}", user_token), 403, 210)
    graph.request("DELETE", "/me/permissions/instagram_manage_messages", user_token)
    assert_error(graph.get(f"/{PAGE}/conversations", token, platform="instagram"), 403, 230)
    graph.request("DELETE", "/me/permissions/pages_messaging", user_token)
    assert_error(graph.get(f"/{PAGE}/conversations", token), 403, 230)
    other = page_token(graph, user_token, seed.PAGE_PHOTO_ID)
    assert_error(graph.get(f"/{seed.SEED_CONVERSATION_MARIA_ID}", other), 400, 100, 33)


# --- the Send API ------------------------------------------------------------------------


def test_reply_inside_the_window_and_its_echo(graph, sandbox, token):
    igsid = _person(sandbox, seed.PRIYA_ID).igsid(IG)

    response = _send(graph, token, {"id": igsid}, messaging_type="RESPONSE")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recipient_id"] == igsid
    [echo] = _echoes(sandbox)
    assert (echo.object_type, echo.entry_id, echo.field) == ("instagram", IG, "messages")
    assert echo.payload == {
        "sender": {"id": IG},
        "recipient": {"id": igsid},
        "timestamp": echo.payload["timestamp"],
        "message": {"mid": body["message_id"], "text": "Hello!", "is_echo": True},
    }
    assert echo.payload["timestamp"] > 10**12  # milliseconds
    listed = graph.get(f"/{seed.SEED_CONVERSATION_PRIYA_ID}/messages", token, fields="message")
    assert listed.json()["data"][0]["message"] == "Hello!"


def test_messenger_echo_goes_on_message_echoes_with_the_app_id(graph, sandbox, token):
    sandbox.state.customer_message(customer_id=seed.MARIA_ID, to=PAGE, text="Still open?")
    psid = _person(sandbox, seed.MARIA_ID).psid(PAGE)

    body = _send(graph, token, {"id": psid}, path="/me/messages").json()

    [echo] = _echoes(sandbox)
    assert (echo.object_type, echo.entry_id, echo.field) == ("page", PAGE, "message_echoes")
    assert echo.payload["message"] == {
        "mid": body["message_id"],
        "text": "Hello!",
        "is_echo": True,
        "app_id": int(sandbox.state.app_id),
    }
    assert echo.payload["sender"] == {"id": PAGE}


def test_the_24_hour_window_then_the_7_day_human_agent_window(graph, sandbox, token):
    igsid = _person(sandbox, seed.PRIYA_ID).igsid(IG)  # Priya wrote an hour ago
    advance(graph, 23 * HOUR - 60)
    assert _send(graph, token, {"id": igsid}).status_code == 200

    advance(graph, 2 * HOUR)
    closed = _send(graph, token, {"id": igsid}, messaging_type="RESPONSE")
    update = _send(graph, token, {"id": igsid}, messaging_type="UPDATE")
    agent = _send(graph, token, {"id": igsid}, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")

    error = assert_error(closed, 400, 10, 2018278)
    assert "outside of allowed window" in error["message"]
    assert_error(update, 400, 10, 2018278)
    assert agent.status_code == 200, agent.text
    advance(graph, 6 * DAY)
    late = _send(graph, token, {"id": igsid}, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert_error(late, 400, 10, 2018278)
    assert len(_echoes(sandbox)) == 2  # refusals send nothing


def test_a_story_mention_or_story_reply_opens_the_window(graph, sandbox, token):
    igsid = _person(sandbox, seed.TOM_ID).igsid(IG)
    assert_error(_send(graph, token, {"id": igsid}), 400, 10, 2018278)  # never wrote

    sandbox.state.customer_story_mention(customer_id=seed.TOM_ID, ig_user_id=IG)
    assert _send(graph, token, {"id": igsid}).status_code == 200

    advance(graph, 25 * HOUR)
    assert_error(_send(graph, token, {"id": igsid}), 400, 10, 2018278)
    story = sandbox.state.engagement.seeded_media[seed.SEED_STORY_COFFEE_ID]
    story.created_at = sandbox.state.now() - HOUR  # a story still live
    sandbox.state.customer_message(
        customer_id=seed.TOM_ID, to=IG, text="Love this", story_id=seed.SEED_STORY_COFFEE_ID
    )
    assert _send(graph, token, {"id": igsid}).status_code == 200


def test_people_who_blocked_the_page_or_left_are_unavailable(graph, sandbox, token):
    kenji = _person(sandbox, seed.KENJI_ID).psid(PAGE)  # wrote 2 h ago, then blocked
    error = assert_error(_send(graph, token, {"id": kenji}), 400, 551, 1545041)
    assert error["message"] == "(#551) This person isn't available right now."

    sandbox.state.customer_message(customer_id=seed.MARIA_ID, to=PAGE, text="hi")
    sandbox.state.update_customer(seed.MARIA_ID, deleted=True)
    maria = _person(sandbox, seed.MARIA_ID).psid(PAGE)
    assert_error(_send(graph, token, {"id": maria}), 400, 551, 1545041)
    nobody = assert_error(_send(graph, token, {"id": "1234567890123456"}), 400, 100, 2018001)
    assert nobody["message"] == "(#100) No matching user found"
    participant = graph.get(f"/{seed.SEED_CONVERSATION_MARIA_ID}", token, fields="participants")
    assert participant.json()["participants"]["data"][0]["name"] == "Facebook user"


def test_private_reply_once_within_seven_days(graph, sandbox, token):
    response = _send(graph, token, {"comment_id": seed.SEED_COMMENT_TOM_ID})

    assert response.status_code == 200, response.text
    tom = _person(sandbox, seed.TOM_ID).psid(PAGE)
    assert response.json()["recipient_id"] == tom
    again = assert_error(_send(graph, token, {"comment_id": seed.SEED_COMMENT_TOM_ID}), 400, 10900)
    assert again["message"] == "(#10900) Activity already replied to"
    # The private reply opens no window: Tom has not written.
    assert_error(_send(graph, token, {"id": tom}), 400, 10, 2018278)
    [echo] = _echoes(sandbox)
    assert echo.payload["recipient"] == {"id": tom}
    comment = graph.get(
        f"/{seed.SEED_COMMENT_TOM_ID}",
        graph_token(graph, sandbox),
        fields="can_reply_privately,private_reply_conversation",
    ).json()
    assert comment["can_reply_privately"] is False
    assert comment["private_reply_conversation"]["id"].startswith("t_")


def graph_token(graph, sandbox):
    user = grant_token(graph, scopes=[*SCOPES, "pages_manage_engagement"])
    return page_token(graph, user, PAGE)


def test_private_reply_refusals(graph, sandbox, token):
    own = _send(graph, token, {"comment_id": seed.SEED_COMMENT_PAGE_REPLY_ID})
    assert_error(own, 400, 10903)
    assert_error(_send(graph, token, {"comment_id": "1_2"}), 400, 100, 33)
    advance(graph, 7 * DAY)
    assert_error(_send(graph, token, {"comment_id": seed.SEED_COMMENT_TOM_ID}), 400, 10, 2018278)
    fresh = sandbox.state.customer_comment(
        customer_id=seed.PRIYA_ID, object_id=seed.SEED_MEDIA_COFFEE_ID, message="DM me"
    )
    ig_reply = _send(graph, token, {"comment_id": fresh.id})
    assert ig_reply.status_code == 200, ig_reply.text
    assert ig_reply.json()["recipient_id"] == _person(sandbox, seed.PRIYA_ID).igsid(IG)


def test_bad_requests_are_refused_before_anything_is_sent(graph, sandbox, token):
    igsid = _person(sandbox, seed.PRIYA_ID).igsid(IG)
    psid = _person(sandbox, seed.MARIA_ID).psid(PAGE)
    sandbox.state.customer_message(customer_id=seed.MARIA_ID, to=PAGE, text="hi")

    cases = [
        _send(graph, token, {"id": igsid}, {"text": "é" * 501}),  # 1,002 bytes
        _send(graph, token, {"id": psid}, {"text": "x" * 2001}),
        _send(graph, token, {"id": psid}, {"text": ""}),
        _send(graph, token, {"id": psid}, messaging_type="MESSAGE_TAG"),
        _send(graph, token, {"id": psid}, messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE"),
        _send(graph, token, {"id": psid}, messaging_type="PROMO"),
        _send(graph, token, {"id": psid}, {"attachment": {"type": "image", "payload": {}}}),
        _send(graph, token, {"id": psid}, {"attachment": {"type": "sticker"}}),
        graph.request("POST", f"/{PAGE}/messages", token, recipient="{", message="{}"),
        graph.request("POST", f"/{PAGE}/messages", token, message='{"text": "x"}'),
    ]

    for response in cases:
        assert_error(response, 400, 100)
    assert _echoes(sandbox) == []
    ok = _send(graph, token, {"id": psid}, {"text": "x" * 2000})
    assert ok.status_code == 200
    assert _send(graph, token, {"id": igsid}, {"text": "é" * 500}).status_code == 200


def test_image_attachment_by_url(graph, sandbox, token):
    psid = _person(sandbox, seed.MARIA_ID).psid(PAGE)
    sandbox.state.customer_message(customer_id=seed.MARIA_ID, to=PAGE, text="a photo?")
    image = {"attachment": {"type": "image", "payload": {"url": "http://127.0.0.1:9/menu.jpg"}}}

    body = _send(graph, token, {"id": psid}, image).json()

    read = graph.get(f"/{body['message_id']}", token, fields="attachments,message").json()
    assert read["attachments"]["data"][0]["image_data"]["url"] == "http://127.0.0.1:9/menu.jpg"
    assert read["message"] == ""
    [echo] = _echoes(sandbox)
    assert echo.payload["message"]["attachments"] == [
        {"type": "image", "payload": {"url": "http://127.0.0.1:9/menu.jpg"}}
    ]


def test_send_needs_a_page_token_and_pages_messaging(graph, user_token, token, sandbox):
    psid = _person(sandbox, seed.MARIA_ID).psid(PAGE)
    assert_error(_send(graph, user_token, {"id": psid}), 403, 210)
    graph.request("DELETE", "/me/permissions/pages_messaging", user_token)
    assert_error(_send(graph, token, {"id": psid}), 403, 230)
