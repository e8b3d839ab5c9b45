"""The inbox's Graph calls against the real sandbox over HTTP (GRAPH_NOTES §7.3, §9).

Comments on Page posts and Instagram media (list with paging, read, reply, hide, delete),
conversations and their messages, the Send API with its window and private-reply rules, and
the Page webhook subscription. Every refusal is checked through the error catalogue, in the
words a marketer reads. No mocks: the sandbox plays Meta and, through its customer API, the
customers.
"""

import pytest
import requests

from meta_integration import graph
from meta_integration.error_catalogue import explain
from meta_integration.graph import GraphError, Platform
from meta_integration.scopes import requested_scopes
from meta_sandbox import seed

COFFEE = seed.PAGE_COFFEE_ID


@pytest.fixture(autouse=True)
def _graph_settings(sandbox, sleeps, settings):
    settings.META_MAX_RETRIES = 2


@pytest.fixture
def page_token(sandbox) -> str:
    """Rivera Coffee Roasters' Page token, from a connection that granted every scope we ask."""
    user_token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=requested_scopes()).value
    pages = {page.id: page for page in graph.list_pages(access_token=user_token)}
    return pages[COFFEE].access_token


def customer(sandbox, action: str, **data) -> dict:
    """Play a customer through the sandbox's customer API (real HTTP)."""
    response = requests.post(f"{sandbox.url}/_sandbox/customer/{action}", json=data, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def refusal(excinfo, about: str) -> str:
    explanation = explain(excinfo.value, about=about)
    return f"{explanation.cause} {explanation.fix}"


# --- comments ---------------------------------------------------------------------------------


def test_facebook_comments_list_with_replies_and_authors(page_token):
    comments = graph.list_comments(
        access_token=page_token, object_id=seed.SEED_POST_COFFEE_ID, platform=Platform.FACEBOOK
    )

    by_id = {c.id: c for c in comments}
    maria = by_id[seed.SEED_COMMENT_MARIA_ID]
    assert maria.platform is Platform.FACEBOOK
    assert maria.parent_id is None
    assert (maria.text, maria.author_name, maria.reply_count) == (
        "Do you ship to Berkeley?",
        "Maria Lopez",
        1,
    )
    assert maria.created_at is not None
    assert maria.created_at.tzinfo is not None
    page_reply = by_id[seed.SEED_COMMENT_PAGE_REPLY_ID]
    assert (page_reply.parent_id, page_reply.author_id) == (seed.SEED_COMMENT_MARIA_ID, COFFEE)
    assert [c.id for c in comments] == [
        seed.SEED_COMMENT_MARIA_ID,
        seed.SEED_COMMENT_PAGE_REPLY_ID,
        seed.SEED_COMMENT_TOM_ID,
    ]  # stream: replies too, oldest first
    assert (maria.can_reply_privately, page_reply.can_reply_privately) == (True, False)


def test_comment_listing_follows_every_page(sandbox, page_token, records, monkeypatch):
    for n in range(5):
        customer(
            sandbox,
            "comments",
            customer_id=seed.PRIYA_ID,
            object_id=seed.SEED_POST_COFFEE_ID,
            message=f"Question {n}",
        )
    monkeypatch.setattr(graph, "COMMENT_PAGE_SIZE", 2)

    comments = graph.list_comments(
        access_token=page_token,
        object_id=seed.SEED_POST_COFFEE_ID,
        platform=Platform.FACEBOOK,
        on_call=records.append,
    )

    texts = [c.text for c in comments]
    assert len(comments) == 8  # 3 seeded + 5 new
    assert texts[3:] == [f"Question {n}" for n in range(5)]
    assert len(records) == 4  # 2 per page
    assert all(r.params["limit"] == "2" for r in records)
    assert [("after" in r.params) for r in records] == [False, True, True, True]
    assert all(r.params["access_token"] == "[redacted]" for r in records)


def test_instagram_comments_and_one_comment(sandbox, page_token):
    comments = graph.list_comments(
        access_token=page_token, object_id=seed.SEED_MEDIA_COFFEE_ID, platform=Platform.INSTAGRAM
    )

    priya = next(c for c in comments if c.id == seed.SEED_COMMENT_PRIYA_IG_ID)
    assert priya.platform is Platform.INSTAGRAM
    assert (priya.text, priya.author_name) == ("Is the oat latte back?", "priya.runs")
    assert priya.author_id == sandbox.state.engagement.customers[seed.PRIYA_ID].igsid(
        seed.IG_COFFEE_ID
    )
    assert priya.parent_id is None
    assert priya.is_hidden is False
    again = graph.get_comment(
        access_token=page_token, comment_id=priya.id, platform=Platform.INSTAGRAM
    )
    assert (again.id, again.text, again.media_id) == (
        priya.id,
        priya.text,
        seed.SEED_MEDIA_COFFEE_ID,
    )


def test_public_replies_land_under_the_comment_on_both_platforms(page_token):
    fb_reply = graph.reply_to_comment(
        access_token=page_token,
        comment_id=seed.SEED_COMMENT_TOM_ID,
        platform=Platform.FACEBOOK,
        message="Thanks Tom!",
    )
    ig_reply = graph.reply_to_comment(
        access_token=page_token,
        comment_id=seed.SEED_COMMENT_PRIYA_IG_ID,
        platform=Platform.INSTAGRAM,
        message="Thank you Priya!",
    )

    fb_replies = graph.list_comment_replies(
        access_token=page_token, comment_id=seed.SEED_COMMENT_TOM_ID, platform=Platform.FACEBOOK
    )
    ig_replies = graph.list_comment_replies(
        access_token=page_token,
        comment_id=seed.SEED_COMMENT_PRIYA_IG_ID,
        platform=Platform.INSTAGRAM,
    )
    assert [(r.id, r.text) for r in fb_replies] == [(fb_reply, "Thanks Tom!")]
    assert [(r.id, r.text) for r in ig_replies] == [(ig_reply, "Thank you Priya!")]


def test_hide_and_unhide_on_both_platforms(page_token):
    for comment_id, platform in (
        (seed.SEED_COMMENT_TOM_ID, Platform.FACEBOOK),
        (seed.SEED_COMMENT_PRIYA_IG_ID, Platform.INSTAGRAM),
    ):
        assert graph.hide_comment(
            access_token=page_token, comment_id=comment_id, platform=platform, hidden=True
        )
        hidden = graph.get_comment(
            access_token=page_token, comment_id=comment_id, platform=platform
        )
        assert hidden.is_hidden is True
        graph.hide_comment(
            access_token=page_token, comment_id=comment_id, platform=platform, hidden=False
        )
        shown = graph.get_comment(access_token=page_token, comment_id=comment_id, platform=platform)
        assert shown.is_hidden is False


def test_a_deleted_comment_is_gone_and_says_so(page_token):
    assert graph.delete_comment(access_token=page_token, comment_id=seed.SEED_COMMENT_TOM_ID)

    with pytest.raises(GraphError) as excinfo:
        graph.get_comment(
            access_token=page_token, comment_id=seed.SEED_COMMENT_TOM_ID, platform=Platform.FACEBOOK
        )

    assert (excinfo.value.code, excinfo.value.subcode) == (100, 33)
    assert "The comment was deleted" in refusal(excinfo, "comment")
    with pytest.raises(GraphError) as again:
        graph.reply_to_comment(
            access_token=page_token,
            comment_id=seed.SEED_COMMENT_TOM_ID,
            platform=Platform.FACEBOOK,
            message="Too late",
        )
    assert again.value.code == 100


def test_a_comment_deleted_by_its_author_is_gone_too(sandbox, page_token):
    customer(sandbox, f"comments/{seed.SEED_COMMENT_MARIA_ID}/delete")

    comments = graph.list_comments(
        access_token=page_token, object_id=seed.SEED_POST_COFFEE_ID, platform=Platform.FACEBOOK
    )

    assert seed.SEED_COMMENT_MARIA_ID not in {c.id for c in comments}


# --- conversations ----------------------------------------------------------------------------


def test_conversations_per_platform_and_their_messages(page_token):
    messenger = graph.list_conversations(
        access_token=page_token, page_id=COFFEE, platform=Platform.FACEBOOK
    )
    instagram = graph.list_conversations(
        access_token=page_token, page_id=COFFEE, platform=Platform.INSTAGRAM
    )

    assert {c.id for c in messenger} == {
        seed.SEED_CONVERSATION_MARIA_ID,
        seed.SEED_CONVERSATION_KENJI_ID,
    }
    assert [c.id for c in instagram] == [seed.SEED_CONVERSATION_PRIYA_ID]
    assert all(c.updated_at is not None for c in messenger + instagram)
    assert [c.id for c in messenger] == [
        seed.SEED_CONVERSATION_KENJI_ID,
        seed.SEED_CONVERSATION_MARIA_ID,
    ]  # newest first
    maria = graph.list_conversation_messages(
        access_token=page_token, conversation_id=seed.SEED_CONVERSATION_MARIA_ID
    )
    assert [m.text for m in maria] == ["Yes, 8am to 2pm.", "Hi! Are you open on Sunday?"]
    assert maria[1].sender.id != COFFEE
    assert maria[0].sender.id == COFFEE


def test_a_customer_image_arrives_as_an_attachment(sandbox, page_token):
    customer(
        sandbox,
        "messages",
        customer_id=seed.PRIYA_ID,
        to=seed.IG_COFFEE_ID,
        image_url="https://example.com/cup.jpg",
    )

    messages = graph.list_conversation_messages(
        access_token=page_token, conversation_id=seed.SEED_CONVERSATION_PRIYA_ID
    )

    newest = messages[0]
    assert (newest.text, newest.sender.name) == ("", "priya.runs")
    assert [(a.type, a.url) for a in newest.attachments] == [
        ("image", "https://example.com/cup.jpg")
    ]


# --- the Send API -----------------------------------------------------------------------------


def _igsid(sandbox, customer_id: str, ig_user_id: str) -> str:
    return sandbox.state.engagement.customers[customer_id].igsid(ig_user_id)


def _psid(sandbox, customer_id: str, page_id: str) -> str:
    return sandbox.state.engagement.customers[customer_id].psid(page_id)


def test_a_reply_inside_the_window_is_sent(sandbox, page_token):
    igsid = _igsid(sandbox, seed.PRIYA_ID, seed.IG_COFFEE_ID)

    sent = graph.send_message(
        access_token=page_token, page_id=COFFEE, recipient_id=igsid, text="Thanks, Priya!"
    )

    assert sent.recipient_id == igsid
    assert sent.message_id
    messages = graph.list_conversation_messages(
        access_token=page_token, conversation_id=seed.SEED_CONVERSATION_PRIYA_ID
    )
    assert (messages[0].id, messages[0].text) == (sent.message_id, "Thanks, Priya!")
    last = sandbox.state.requests[-2]
    assert last.method == "POST"
    assert last.path.endswith(f"/{COFFEE}/messages")


def test_an_image_by_url_is_sent(sandbox, page_token):
    igsid = _igsid(sandbox, seed.PRIYA_ID, seed.IG_COFFEE_ID)

    sent = graph.send_message(
        access_token=page_token,
        page_id=COFFEE,
        recipient_id=igsid,
        image_url="https://example.com/menu.jpg",
    )

    messages = graph.list_conversation_messages(
        access_token=page_token, conversation_id=seed.SEED_CONVERSATION_PRIYA_ID
    )
    assert messages[0].id == sent.message_id
    assert [a.url for a in messages[0].attachments] == ["https://example.com/menu.jpg"]


def test_the_window_closed_is_refused_in_plain_words_and_a_human_agent_may_still_reply(
    sandbox, page_token
):
    psid = _psid(sandbox, seed.MARIA_ID, COFFEE)  # her last message is two days old

    with pytest.raises(GraphError) as excinfo:
        graph.send_message(access_token=page_token, page_id=COFFEE, recipient_id=psid, text="Hi")

    assert (excinfo.value.code, excinfo.value.subcode) == (10, 2018278)
    assert not excinfo.value.is_retryable
    assert "24-hour window to reply to this person has closed" in refusal(excinfo, "message")
    sent = graph.send_message(
        access_token=page_token,
        page_id=COFFEE,
        recipient_id=psid,
        text="Sorry for the wait, we're open Sunday 8-2.",
        human_agent=True,
    )
    assert sent.message_id


def test_a_person_who_blocked_the_page_is_unavailable(sandbox, page_token):
    psid = _psid(sandbox, seed.KENJI_ID, COFFEE)

    with pytest.raises(GraphError) as excinfo:
        graph.send_message(access_token=page_token, page_id=COFFEE, recipient_id=psid, text="Hi")

    assert excinfo.value.code == 551
    assert "isn't available right now" in refusal(excinfo, "message")
    assert not excinfo.value.is_retryable


def test_one_private_reply_per_comment(page_token):
    first = graph.send_message(
        access_token=page_token,
        page_id=COFFEE,
        comment_id=seed.SEED_COMMENT_MARIA_ID,
        text="We sent you the opening hours.",
    )
    assert first.message_id

    with pytest.raises(GraphError) as excinfo:
        graph.send_message(
            access_token=page_token,
            page_id=COFFEE,
            comment_id=seed.SEED_COMMENT_MARIA_ID,
            text="Again",
        )

    assert excinfo.value.code == 10900
    assert "already sent for this comment" in refusal(excinfo, "message")


def test_a_private_reply_to_the_pages_own_comment_is_refused(page_token):
    with pytest.raises(GraphError) as excinfo:
        graph.send_message(
            access_token=page_token,
            page_id=COFFEE,
            comment_id=seed.SEED_COMMENT_PAGE_REPLY_ID,
            text="Hello me",
        )

    assert excinfo.value.code == 10903
    assert "Reply publicly under the comment instead." in refusal(excinfo, "message")


def test_rate_limits_are_retried_then_explained(sandbox, page_token, sleeps):
    sandbox.state.add_fault(path=f"/{COFFEE}/messages", error={"code": 613}, times=None)
    igsid = _igsid(sandbox, seed.PRIYA_ID, seed.IG_COFFEE_ID)

    with pytest.raises(GraphError) as excinfo:
        graph.send_message(access_token=page_token, page_id=COFFEE, recipient_id=igsid, text="Hi")

    assert excinfo.value.is_throttled
    # Meta's usage headers ask for 5 minutes: longer than a call may wait, so the client
    # raises at once with retry_after and the caller reschedules (nothing was sent twice).
    assert (excinfo.value.retry_after, sleeps) == (300.0, [])
    assert [r.method for r in sandbox.state.requests if r.path.endswith("/messages")] == ["POST"]
    assert "limiting how fast this Page can send messages" in refusal(excinfo, "message")
    assert explain(excinfo.value, about="message").retryable is True


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "hi"},
        {"recipient_id": "1", "comment_id": "2", "text": "hi"},
        {"recipient_id": "1"},
        {"recipient_id": "1", "text": "hi", "image_url": "https://example.com/a.jpg"},
    ],
)
def test_send_message_needs_one_recipient_and_one_kind_of_content(sandbox, kwargs):
    before = len(sandbox.state.requests)

    with pytest.raises(ValueError, match="exactly one"):
        graph.send_message(access_token="t", page_id=COFFEE, **kwargs)

    assert len(sandbox.state.requests) == before  # nothing was sent


def test_page_tokens_never_reach_the_call_records(sandbox, page_token, records):
    graph.list_conversations(
        access_token=page_token,
        page_id=COFFEE,
        platform=Platform.INSTAGRAM,
        on_call=records.append,
    )

    assert records
    assert all(page_token not in repr(record) for record in records)


# --- the Page webhook subscription -----------------------------------------------------------


def test_subscribe_list_and_unsubscribe_a_page(sandbox, page_token, settings):
    assert graph.list_page_subscriptions(access_token=page_token, page_id=COFFEE) == []

    assert graph.subscribe_page(access_token=page_token, page_id=COFFEE)

    apps = graph.list_page_subscriptions(access_token=page_token, page_id=COFFEE)
    assert [(a.id, a.subscribed_fields) for a in apps] == [
        (settings.META_APP_ID, graph.PAGE_SUBSCRIBED_FIELDS)
    ]
    assert graph.unsubscribe_page(access_token=page_token, page_id=COFFEE)
    assert graph.list_page_subscriptions(access_token=page_token, page_id=COFFEE) == []


def test_subscribing_messages_without_pages_messaging_is_refused(sandbox):
    scopes = [s for s in requested_scopes() if s != "pages_messaging"]
    user_token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=scopes).value
    token = {p.id: p for p in graph.list_pages(access_token=user_token)}[COFFEE].access_token

    with pytest.raises(GraphError) as excinfo:
        graph.subscribe_page(access_token=token, page_id=COFFEE)

    assert excinfo.value.code == 200
    assert graph.subscribe_page(access_token=token, page_id=COFFEE, fields=["feed"])


@pytest.mark.parametrize("body", [b'{"success":true}', b'{"success":"true"}', b"true"])
def test_success_is_read_as_a_boolean_or_a_string(canned_server, body):
    canned_server.answer(200, "application/json", body)

    assert graph.subscribe_page(access_token="t", page_id=COFFEE) is True


def test_an_explicit_failure_is_an_error(canned_server):
    canned_server.answer(200, "application/json", b'{"success":false}')

    with pytest.raises(GraphError, match="did not confirm"):
        graph.unsubscribe_page(access_token="t", page_id=COFFEE)
