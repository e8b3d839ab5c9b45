"""Playing the customer over /_sandbox/customer/: every action, the webhook item it emits
(GRAPH_NOTES §7.4), refusals, the console panel and the state file."""

import requests

from meta_sandbox import seed
from meta_sandbox.testing import start_server

PAGE = seed.PAGE_COFFEE_ID
IG = seed.IG_COFFEE_ID


def _post(sandbox, path, body=None):
    return requests.post(f"{sandbox.url}/_sandbox/customer{path}", json=body or {}, timeout=10)


def _get(sandbox, path, **params):
    response = requests.get(f"{sandbox.url}/_sandbox/customer{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _last(sandbox):
    return sandbox.state.webhooks.emitted[-1]


def test_people_carry_their_page_and_account_scoped_ids(sandbox):
    people = {p["id"]: p for p in _get(sandbox, "/people")}

    maria = people[seed.MARIA_ID]
    assert maria["name"] == "Maria Lopez"
    assert set(maria["psids"]) == set(sandbox.state.world.pages)
    assert maria["psids"][PAGE] != maria["psids"][seed.PAGE_PHOTO_ID]
    assert maria["igsids"][IG] != maria["psids"][PAGE]
    assert people[seed.KENJI_ID]["blocked_asset_ids"] == [PAGE, IG]
    assert people[seed.DANA_ID]["deleted"] is True
    content = {c["id"]: c for c in _get(sandbox, "/content")}
    assert content[seed.SEED_STORY_COFFEE_ID]["is_story"] is True
    assert content[seed.SEED_POST_COFFEE_ID]["platform"] == "facebook"


def test_comment_edit_delete_on_facebook_emit_feed_changes(sandbox):
    made = _post(
        sandbox,
        "/comments",
        {"customer_id": seed.PRIYA_ID, "object_id": seed.SEED_POST_COFFEE_ID, "message": "Yum"},
    )
    assert made.status_code == 200, made.text
    comment_id = made.json()["id"]
    priya = {
        "id": sandbox.state.engagement.customers[seed.PRIYA_ID].psid(PAGE),
        "name": "Priya Natarajan",
    }
    added = _last(sandbox)
    assert (added.object_type, added.entry_id, added.field) == ("page", PAGE, "feed")
    assert added.payload == {
        "from": priya,
        "post_id": seed.SEED_POST_COFFEE_ID,
        "comment_id": comment_id,
        "parent_id": seed.SEED_POST_COFFEE_ID,
        "created_time": added.payload["created_time"],
        "item": "comment",
        "verb": "add",
        "message": "Yum",
    }
    assert added.payload["created_time"] < 10**11  # unix seconds on Page feed

    edited = _post(sandbox, f"/comments/{comment_id}/edit", {"message": "Yum!!"})
    assert edited.json()["message"] == "Yum!!"
    assert (_last(sandbox).payload["verb"], _last(sandbox).payload["message"]) == (
        "edited",
        "Yum!!",
    )
    assert _post(sandbox, f"/comments/{comment_id}/delete").status_code == 200
    assert _last(sandbox).payload["verb"] == "remove"
    assert comment_id not in [c["id"] for c in _get(sandbox, "/comments")]
    again = _post(sandbox, f"/comments/{comment_id}/delete")
    assert again.status_code == 400
    assert "no live comment" in again.json()["error"]["message"]


def test_replies_and_instagram_rules(sandbox):
    reply = _post(
        sandbox,
        "/comments",
        {
            "customer_id": seed.TOM_ID,
            "object_id": seed.SEED_POST_COFFEE_ID,
            "message": "Same question",
            "parent_id": seed.SEED_COMMENT_MARIA_ID,
        },
    )
    assert _last(sandbox).payload["parent_id"] == seed.SEED_COMMENT_MARIA_ID
    assert reply.json()["parent_id"] == seed.SEED_COMMENT_MARIA_ID
    ig_edit = _post(sandbox, f"/comments/{seed.SEED_COMMENT_PRIYA_IG_ID}/edit", {"message": "x"})
    assert ig_edit.status_code == 400
    count = len(sandbox.state.webhooks.emitted)
    assert _post(sandbox, f"/comments/{seed.SEED_COMMENT_PRIYA_IG_ID}/delete").status_code == 200
    assert len(sandbox.state.webhooks.emitted) == count  # Instagram says nothing
    page_own = _post(sandbox, f"/comments/{seed.SEED_COMMENT_PAGE_REPLY_ID}/delete")
    assert page_own.status_code == 400


def test_reactions_add_edit_remove(sandbox):
    body = {"customer_id": seed.MARIA_ID, "object_id": seed.SEED_POST_COFFEE_ID}

    verbs = [
        _post(sandbox, "/reactions", {**body, "reaction": kind}).json()["verb"]
        for kind in ("like", "love", "none")
    ]

    assert verbs == ["add", "edit", "remove"]
    add, edit, remove = sandbox.state.webhooks.emitted[-3:]
    assert add.payload["item"] == "reaction"
    assert add.payload["reaction_type"] == "like"
    assert edit.payload["reaction_type"] == "love"
    assert remove.payload["verb"] == "remove"
    assert remove.payload["post_id"] == body["object_id"]
    bad = _post(sandbox, "/reactions", {**body, "reaction": "meh"})
    assert bad.status_code == 400
    media = _post(
        sandbox, "/reactions", {**body, "object_id": seed.SEED_MEDIA_COFFEE_ID, "reaction": "like"}
    )
    assert media.status_code == 400


def test_dms_story_mention_story_reply_reaction_and_unsend(sandbox):
    dm = _post(
        sandbox, "/messages", {"customer_id": seed.MARIA_ID, "to": PAGE, "text": "Hi"}
    ).json()
    event = _last(sandbox)
    psid = sandbox.state.engagement.customers[seed.MARIA_ID].psid(PAGE)
    assert (event.object_type, event.entry_id, event.field, event.kind) == (
        "page",
        PAGE,
        "messages",
        "messaging",
    )
    assert event.payload == {
        "sender": {"id": psid},
        "recipient": {"id": PAGE},
        "timestamp": event.payload["timestamp"],
        "message": {"mid": dm["id"], "text": "Hi"},
    }
    assert event.payload["timestamp"] > 10**12

    image = _post(
        sandbox,
        "/messages",
        {"customer_id": seed.PRIYA_ID, "to": IG, "image_url": "http://127.0.0.1:9/a.jpg"},
    ).json()
    assert _last(sandbox).payload["message"]["attachments"] == [
        {"type": "image", "payload": {"url": "http://127.0.0.1:9/a.jpg"}}
    ]
    _post(sandbox, "/story_mentions", {"customer_id": seed.PRIYA_ID, "ig_user_id": IG})
    mention = _last(sandbox).payload["message"]["attachments"][0]
    assert mention["type"] == "story_mention"
    assert mention["payload"]["url"].startswith("https://")
    _post(
        sandbox,
        "/messages",
        {
            "customer_id": seed.PRIYA_ID,
            "to": IG,
            "text": "Nice",
            "story_id": seed.SEED_STORY_COFFEE_ID,
        },
    )
    assert _last(sandbox).payload["message"]["reply_to"]["story"]["id"] == seed.SEED_STORY_COFFEE_ID

    react = _post(
        sandbox,
        "/message_reactions",
        {"customer_id": seed.PRIYA_ID, "mid": image["id"], "reaction": "love"},
    )
    assert react.status_code == 200
    reaction = _last(sandbox)
    assert reaction.field == "message_reactions"
    assert reaction.payload["reaction"] == {
        "mid": image["id"],
        "action": "react",
        "reaction": "love",
        "emoji": "\u2764",
    }
    unsent = _post(sandbox, f"/messages/{image['id']}/unsend", {"customer_id": seed.PRIYA_ID})
    assert unsent.json()["is_deleted"] is True
    assert _last(sandbox).payload["message"] == {"mid": image["id"], "is_deleted": True}


def test_mentions_in_a_caption_or_comment(sandbox):
    _post(
        sandbox,
        "/mentions",
        {"customer_id": seed.TOM_ID, "ig_user_id": IG, "text": "@riveracoffee"},
    )
    caption = _last(sandbox)
    _post(
        sandbox,
        "/mentions",
        {"customer_id": seed.TOM_ID, "ig_user_id": IG, "text": "@riveracoffee", "in_comment": True},
    )
    comment = _last(sandbox)

    assert (caption.object_type, caption.field) == ("instagram", "mentions")
    assert set(caption.payload) == {"media_id"}
    assert set(comment.payload) == {"comment_id", "media_id"}


def test_refusals_change_nothing(sandbox):
    before = len(sandbox.state.webhooks.emitted)
    cases = [
        (
            "/comments",
            {"customer_id": seed.DANA_ID, "object_id": seed.SEED_POST_COFFEE_ID, "message": "x"},
        ),
        (
            "/comments",
            {"customer_id": seed.KENJI_ID, "object_id": seed.SEED_POST_COFFEE_ID, "message": "x"},
        ),
        ("/comments", {"customer_id": seed.MARIA_ID, "object_id": "404", "message": "x"}),
        ("/comments", {"customer_id": seed.MARIA_ID, "object_id": seed.SEED_POST_COFFEE_ID}),
        (
            "/comments",
            {"customer_id": "nobody", "object_id": seed.SEED_POST_COFFEE_ID, "message": "x"},
        ),
        ("/messages", {"customer_id": seed.KENJI_ID, "to": PAGE, "text": "x"}),
        ("/messages", {"customer_id": seed.MARIA_ID, "to": PAGE}),
        (
            "/messages",
            {"customer_id": seed.MARIA_ID, "to": PAGE, "image_url": "file:///etc/passwd"},
        ),
        ("/messages", {"customer_id": seed.MARIA_ID, "to": PAGE, "text": "x", "story_id": "1"}),
        ("/story_mentions", {"customer_id": seed.MARIA_ID, "ig_user_id": PAGE}),
        (
            "/message_reactions",
            {"customer_id": seed.MARIA_ID, "mid": "m_seed-tom-1", "reaction": "love"},
        ),
    ]

    for path, body in cases:
        response = _post(sandbox, path, body)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["error"]["type"] == "SandboxException"
    assert len(sandbox.state.webhooks.emitted) == before


def test_block_and_delete_through_the_people_endpoint(sandbox):
    blocked = _post(
        sandbox, f"/people/{seed.MARIA_ID}", {"blocked_asset_ids": [PAGE], "deleted": False}
    )

    assert blocked.json()["blocked_asset_ids"] == [PAGE]
    assert (
        _post(
            sandbox, "/messages", {"customer_id": seed.MARIA_ID, "to": PAGE, "text": "x"}
        ).status_code
        == 400
    )
    assert (
        _post(sandbox, f"/people/{seed.MARIA_ID}", {"blocked_asset_ids": ["nope"]}).status_code
        == 400
    )


def test_console_panel_and_its_forms(sandbox):
    page = requests.get(f"{sandbox.url}/_sandbox/", timeout=10).text
    assert "Play a customer" in page
    assert "Maria Lopez" in page

    response = requests.post(
        f"{sandbox.url}/_sandbox/customer/comments",
        data={
            "customer_id": seed.MARIA_ID,
            "object_id": seed.SEED_POST_COFFEE_ID,
            "parent_id": "",
            "message": "From the console",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/_sandbox/#customer"
    assert "From the console" in requests.get(f"{sandbox.url}/_sandbox/", timeout=10).text


def test_comments_and_conversations_survive_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with start_server(state_file=state_file) as first:
        first.state.customer_comment(
            customer_id=seed.MARIA_ID, object_id=seed.SEED_POST_COFFEE_ID, message="Kept?"
        )
        first.state.customer_message(customer_id=seed.TOM_ID, to=IG, text="Kept DM")
        first.state.update_customer(seed.PRIYA_ID, deleted=True)
        first.state.save()

    with start_server(state_file=state_file) as second:
        store = second.state.engagement
        assert "Kept?" in [c.message for c in store.comments.values()]
        assert "Kept DM" in [m.text for m in store.messages.values()]
        assert store.customers[seed.PRIYA_ID].deleted is True
