"""Comments on Page posts and Instagram media: list, read, reply, hide, delete, their errors
and the feed / comments webhook items they emit (GRAPH_NOTES §7.4, §9.1)."""

import pytest

from meta_sandbox import seed
from tests.meta_sandbox.helpers import advance, assert_error, grant_token, page_token

PAGE = seed.PAGE_COFFEE_ID
IG = seed.IG_COFFEE_ID
POST = seed.SEED_POST_COFFEE_ID
MEDIA = seed.SEED_MEDIA_COFFEE_ID
SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_engagement",
    "pages_manage_posts",
    "instagram_basic",
    "instagram_manage_comments",
]


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=SCOPES)


@pytest.fixture
def token(graph, user_token):
    return page_token(graph, user_token, PAGE)


def _emitted(sandbox, field=None):
    return [e for e in sandbox.state.webhooks.emitted if field is None or e.field == field]


def _customer_comment(sandbox, object_id, message, customer=seed.MARIA_ID, parent_id=None):
    return sandbox.state.customer_comment(
        customer_id=customer, object_id=object_id, message=message, parent_id=parent_id
    )


# --- Facebook ----------------------------------------------------------------------------


def test_top_level_comments_of_a_seeded_post_with_fields_and_summary(graph, token):
    response = graph.get(
        f"/{POST}/comments",
        token,
        fields="id,message,from,created_time,parent,is_hidden,can_hide,can_remove,"
        "can_reply_privately,like_count,comment_count",
        summary="true",
    )

    assert response.status_code == 200, response.text
    body = response.json()
    first, second = body["data"]
    assert first["id"] == seed.SEED_COMMENT_MARIA_ID
    assert first["message"] == "Do you ship to Berkeley?"
    assert first["from"]["name"] == "Maria Lopez"
    assert first["from"]["id"].isdigit()
    assert len(first["from"]["id"]) == 16
    assert "parent" not in first
    assert first["comment_count"] == 1  # the Page's seeded answer
    assert (first["is_hidden"], first["can_hide"], first["can_remove"]) == (False, True, True)
    assert first["can_reply_privately"] is True
    assert first["like_count"] == 0
    assert first["created_time"].endswith("+0000")
    assert second["id"] == seed.SEED_COMMENT_TOM_ID
    assert body["summary"] == {"order": "chronological", "total_count": 2, "can_comment": True}


def test_stream_filter_lists_replies_and_reverse_order_reverses(graph, token):
    stream = graph.get(f"/{POST}/comments", token, filter="stream", fields="id,parent").json()
    reverse = graph.get(f"/{POST}/comments", token, order="reverse_chronological").json()

    assert [c["id"] for c in stream["data"]] == [
        seed.SEED_COMMENT_MARIA_ID,
        seed.SEED_COMMENT_PAGE_REPLY_ID,
        seed.SEED_COMMENT_TOM_ID,
    ]
    assert stream["data"][1]["parent"]["id"] == seed.SEED_COMMENT_MARIA_ID
    assert [c["id"] for c in reverse["data"]] == [
        seed.SEED_COMMENT_TOM_ID,
        seed.SEED_COMMENT_MARIA_ID,
    ]
    assert_error(graph.get(f"/{POST}/comments", token, filter="all"), 400, 100)
    assert_error(graph.get(f"/{POST}/comments", token, order="random"), 400, 100)


def test_comments_page_with_cursors(graph, sandbox, token):
    made = [_customer_comment(sandbox, POST, f"comment {n}").id for n in range(3)]
    expected = [seed.SEED_COMMENT_MARIA_ID, seed.SEED_COMMENT_TOM_ID, *made]

    seen, response = [], graph.get(f"/{POST}/comments", token, limit="2")
    while True:
        body = response.json()
        seen += [c["id"] for c in body["data"]]
        if "next" not in body["paging"]:
            break
        response = graph.session.get(body["paging"]["next"], timeout=10)

    assert seen == expected


def test_page_replies_to_a_comment_and_the_feed_webhook_says_so(graph, sandbox, token):
    response = graph.request(
        "POST", f"/{seed.SEED_COMMENT_TOM_ID}/comments", token, message="Glad you liked it!"
    )

    assert response.status_code == 200, response.text
    reply_id = response.json()["id"]
    assert reply_id.startswith("3100000000000001_")
    replies = graph.get(f"/{seed.SEED_COMMENT_TOM_ID}/comments", token, fields="id,from").json()
    assert replies["data"] == [
        {"id": reply_id, "from": {"id": PAGE, "name": "Rivera Coffee Roasters"}}
    ]
    [item] = _emitted(sandbox, "feed")
    assert (item.object_type, item.entry_id, item.kind) == ("page", PAGE, "changes")
    assert item.payload == {
        "from": {"id": PAGE, "name": "Rivera Coffee Roasters"},
        "post_id": POST,
        "comment_id": reply_id,
        "parent_id": seed.SEED_COMMENT_TOM_ID,
        "created_time": item.payload["created_time"],
        "item": "comment",
        "verb": "add",
        "message": "Glad you liked it!",
    }
    assert isinstance(item.payload["created_time"], int)


def test_a_reply_to_a_reply_joins_the_top_level_comment(graph, token):
    reply_id = graph.request(
        "POST", f"/{seed.SEED_COMMENT_PAGE_REPLY_ID}/comments", token, message="And to Oakland."
    ).json()["id"]

    parent = graph.get(f"/{reply_id}", token, fields="parent{id}").json()["parent"]

    assert parent["id"] == seed.SEED_COMMENT_MARIA_ID


def test_the_page_comments_on_its_own_new_post(graph, token):
    post_id = graph.request("POST", f"/{PAGE}/feed", token, message="Open late today").json()["id"]

    comment_id = graph.request("POST", f"/{post_id}/comments", token, message="Till 9pm").json()[
        "id"
    ]

    listed = graph.get(f"/{post_id}/comments", token, fields="id,message,can_hide").json()["data"]
    assert listed == [{"id": comment_id, "message": "Till 9pm", "can_hide": False}]
    assert_error(graph.request("POST", f"/{post_id}/comments", token), 400, 100)


def test_hide_and_unhide_a_comment(graph, sandbox, token):
    hide = graph.request("POST", f"/{seed.SEED_COMMENT_TOM_ID}", token, is_hidden="true")
    hidden = graph.get(f"/{seed.SEED_COMMENT_TOM_ID}", token, fields="is_hidden").json()
    unhide = graph.request("POST", f"/{seed.SEED_COMMENT_TOM_ID}", token, is_hidden="false")

    assert hide.json() == unhide.json() == {"success": True}
    assert hidden["is_hidden"] is True
    verbs = [(e.payload["verb"], e.payload["is_hidden"]) for e in _emitted(sandbox, "feed")]
    assert verbs == [("hide", True), ("unhide", False)]
    own = graph.request("POST", f"/{seed.SEED_COMMENT_PAGE_REPLY_ID}", token, is_hidden="true")
    assert_error(own, 400, 100)


def test_delete_removes_the_comment_and_its_replies(graph, sandbox, token):
    response = graph.request("DELETE", f"/{seed.SEED_COMMENT_MARIA_ID}", token)

    assert response.json() == {"success": True}
    for gone in (seed.SEED_COMMENT_MARIA_ID, seed.SEED_COMMENT_PAGE_REPLY_ID):
        assert_error(graph.get(f"/{gone}", token), 400, 100, 33)
    assert_error(graph.request("DELETE", f"/{seed.SEED_COMMENT_MARIA_ID}", token), 400, 100, 33)
    stream = graph.get(f"/{POST}/comments", token, filter="stream").json()["data"]
    assert [c["id"] for c in stream] == [seed.SEED_COMMENT_TOM_ID]
    [item] = _emitted(sandbox, "feed")
    assert item.payload["verb"] == "remove"
    assert item.payload["comment_id"] == seed.SEED_COMMENT_MARIA_ID
    assert "message" not in item.payload


def test_the_page_edits_only_its_own_comment(graph, token):
    edited = graph.request(
        "POST", f"/{seed.SEED_COMMENT_PAGE_REPLY_ID}", token, message="Free over $25 now."
    )
    theirs = graph.request("POST", f"/{seed.SEED_COMMENT_TOM_ID}", token, message="Nope")

    assert edited.json() == {"success": True}
    read = graph.get(f"/{seed.SEED_COMMENT_PAGE_REPLY_ID}", token, fields="message").json()
    assert read["message"] == "Free over $25 now."
    assert_error(theirs, 403, 200)


def test_reads_need_a_page_token_and_writes_need_pages_manage_engagement(graph, user_token, token):
    assert_error(graph.get(f"/{POST}/comments", user_token), 403, 210)
    graph.request("DELETE", "/me/permissions/pages_manage_engagement", user_token)
    assert graph.get(f"/{POST}/comments", token).status_code == 200
    assert_error(graph.request("POST", f"/{POST}/comments", token, message="x"), 403, 200)
    assert_error(graph.request("DELETE", f"/{seed.SEED_COMMENT_TOM_ID}", token), 403, 200)
    graph.request("DELETE", "/me/permissions/pages_read_engagement", user_token)
    assert_error(graph.get(f"/{POST}/comments", token), 403, 10)


def test_another_pages_token_sees_no_comment(graph, user_token):
    other = page_token(graph, user_token, seed.PAGE_PHOTO_ID)

    assert_error(graph.get(f"/{seed.SEED_COMMENT_TOM_ID}", other), 400, 100, 33)
    assert_error(graph.get(f"/{POST}/comments", other), 400, 100, 33)


def test_seeded_posts_and_media_read_by_id(graph, token, user_token):
    post = graph.get(f"/{POST}", token, fields="message,from").json()
    media = graph.get(f"/{MEDIA}", user_token, fields="caption,media_product_type").json()

    assert post["message"].startswith("New single origin")
    assert media == {"caption": "Pour-over Sunday", "media_product_type": "FEED", "id": MEDIA}


def test_comments_on_a_post_go_with_the_post(graph, sandbox, token):
    post_id = graph.request("POST", f"/{PAGE}/feed", token, message="Brief").json()["id"]
    comment = _customer_comment(sandbox, post_id, "First!")

    graph.request("DELETE", f"/{post_id}", token)

    assert_error(graph.get(f"/{comment.id}", token), 400, 100, 33)


def test_private_reply_state_shows_on_the_comment(graph, sandbox, token):
    advance(graph, 8 * 24 * 3600)

    read = graph.get(f"/{seed.SEED_COMMENT_TOM_ID}", token, fields="can_reply_privately").json()

    assert read["can_reply_privately"] is False


# --- Instagram ---------------------------------------------------------------------------


def test_instagram_comments_with_fields(graph, user_token):
    response = graph.get(
        f"/{MEDIA}/comments",
        user_token,
        fields="id,text,username,from,hidden,like_count,media,timestamp,replies{id,text}",
    )

    assert response.status_code == 200, response.text
    [comment] = response.json()["data"]
    assert comment["id"] == seed.SEED_COMMENT_PRIYA_IG_ID
    assert comment["text"] == "Is the oat latte back?"
    assert comment["username"] == "priya.runs"
    assert comment["from"]["username"] == "priya.runs"
    assert comment["media"] == {"id": MEDIA, "media_product_type": "FEED"}
    assert (comment["hidden"], comment["like_count"]) == (False, 0)
    assert comment["replies"] == {"data": []}


def test_instagram_reply_hide_and_delete(graph, sandbox, user_token):
    reply = graph.request(
        "POST", f"/{seed.SEED_COMMENT_PRIYA_IG_ID}/replies", user_token, message="It is!"
    )
    reply_id = reply.json()["id"]
    replies = graph.get(
        f"/{seed.SEED_COMMENT_PRIYA_IG_ID}/replies", user_token, fields="id,text,user"
    )

    assert replies.json()["data"] == [{"id": reply_id, "text": "It is!", "user": {"id": IG}}]
    assert_error(
        graph.request("POST", f"/{reply_id}/replies", user_token, message="deeper"), 400, 100
    )
    hide = graph.request("POST", f"/{seed.SEED_COMMENT_PRIYA_IG_ID}", user_token, hide="true")
    assert hide.json() == {"success": True}
    assert graph.get(f"/{seed.SEED_COMMENT_PRIYA_IG_ID}", user_token, fields="hidden").json()[
        "hidden"
    ]
    on_hidden = graph.request(
        "POST", f"/{seed.SEED_COMMENT_PRIYA_IG_ID}/replies", user_token, message="x"
    )
    assert_error(on_hidden, 400, 100)
    assert_error(graph.request("POST", f"/{reply_id}", user_token, hide="true"), 400, 100)
    deleted = graph.request("DELETE", f"/{seed.SEED_COMMENT_PRIYA_IG_ID}", user_token)
    assert deleted.json() == {"success": True}
    assert_error(graph.get(f"/{reply_id}", user_token), 400, 100, 33)
    assert _emitted(sandbox) == []  # IG says nothing about the account's own acts


def test_instagram_needs_manage_comments_and_sees_only_its_accounts(graph):
    basic = grant_token(graph, scopes=["instagram_basic"])
    assert_error(graph.get(f"/{MEDIA}/comments", basic), 403, 10)
    sam = grant_token(graph, user=seed.SAM_ID, scopes=SCOPES)
    assert_error(graph.get(f"/{MEDIA}/comments", sam), 400, 100, 33)
    assert_error(graph.request("DELETE", f"/{seed.SEED_COMMENT_PRIYA_IG_ID}", sam), 400, 100, 33)


def test_instagram_comment_by_the_account_and_comment_enabled(graph, sandbox, user_token):
    made = graph.request("POST", f"/{MEDIA}/comments", user_token, message="Thanks all!")
    off = graph.request("POST", f"/{MEDIA}", user_token, comment_enabled="false")

    assert made.status_code == 200
    assert off.json() == {"success": True}
    assert_error(graph.request("POST", f"/{MEDIA}/comments", user_token, message="x"), 400, 100)
    with pytest.raises(ValueError, match="comments are off"):
        _customer_comment(sandbox, MEDIA, "hello?")
    story = graph.request("POST", f"/{seed.SEED_STORY_COFFEE_ID}/comments", user_token, message="x")
    assert_error(story, 400, 100)


def test_customer_comment_on_instagram_emits_the_comments_change(graph, sandbox):
    comment = _customer_comment(sandbox, MEDIA, "Looks great", customer=seed.TOM_ID)
    reply = _customer_comment(
        sandbox, MEDIA, "Agreed", customer=seed.PRIYA_ID, parent_id=comment.id
    )

    first, second = _emitted(sandbox, "comments")
    tom = sandbox.state.engagement.customers[seed.TOM_ID]
    assert (first.object_type, first.entry_id) == ("instagram", IG)
    assert first.payload == {
        "from": {
            "id": tom.igsid(IG),
            "username": "tombecker.photo",
            "self_ig_scoped_id": tom.igsid(IG),
        },
        "media": {"id": MEDIA, "media_product_type": "FEED"},
        "id": comment.id,
        "text": "Looks great",
    }
    assert second.payload["parent_id"] == comment.id
    assert second.payload["id"] == reply.id
