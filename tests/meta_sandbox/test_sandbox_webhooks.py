"""Webhook delivery by the sandbox (GRAPH_NOTES §7.2-§7.4): signing, batching, filtering on
both subscription levels, retries on the sandbox clock, the fault knobs, the sender thread, and
one delivery into ProSocial's own /meta/webhooks/ through a live server.

Updates are emitted through the outbox interface the sandbox's customer actions use
(`state.webhooks.emit_change` / `emit_messaging`); subscriptions go through Graph; the
receiver is a real HTTP server on 127.0.0.1.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
import requests

from meta_integration.models import WebhookEvent
from meta_sandbox import config, seed
from meta_sandbox.testing import RunningSandbox
from meta_sandbox.webhooks import WebhookOutbox, signature_headers
from tests.meta_sandbox.helpers import APP_ID, APP_SECRET, APP_TOKEN, Graph, advance
from tests.meta_sandbox.webhook_receiver import (
    VERIFY_TOKEN,
    WebhookReceiver,
    install_on_page,
    subscribe_app,
)

PAGE = seed.PAGE_COFFEE_ID
OTHER_PAGE = seed.PAGE_PHOTO_ID
IG = seed.IG_COFFEE_ID  # linked to PAGE
VECTOR_BODY = (
    b'{"object":"page","entry":[{"id":"1234567890321","time":1449135003,"changes":[{"field":'
    b'"feed","value":{"item":"status","verb":"add","post_id":"1234567890321_930145403745849",'
    b'"message":"hi"}}]}]}'
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.stop()


@pytest.fixture
def hooks(sandbox: RunningSandbox) -> WebhookOutbox:
    return sandbox.state.webhooks


@pytest.fixture
def page_feed(graph: Graph, receiver: WebhookReceiver) -> WebhookReceiver:
    """The app subscribed to page feed+messages, the coffee Page to the same."""
    assert subscribe_app(graph, receiver.url, "page", "feed,messages").status_code == 200
    install_on_page(graph, PAGE, "feed,messages")
    return receiver


def comment(n: int, message: str = "Lovely latte!") -> dict:
    return {
        "item": "comment",
        "verb": "add",
        "comment_id": f"{PAGE}_1_{n}",
        "post_id": f"{PAGE}_1",
        "from": {"id": "24242424", "name": "Jamie Café"},
        "message": message,
    }


def emit(hooks: WebhookOutbox, n: int, page: str = PAGE, **extra: str) -> None:
    hooks.emit_change(object_type="page", entry_id=page, field="feed", value=comment(n, **extra))


def changes(post) -> list[dict]:
    return [c for entry in post.json()["entry"] for c in entry["changes"]]


def comment_ids(receiver: WebhookReceiver) -> list[str]:
    return [c["value"]["comment_id"] for post in receiver.posts() for c in changes(post)]


# --- signing and body -------------------------------------------------------------------


def test_signature_matches_the_vector_of_the_notes():
    headers = signature_headers(VECTOR_BODY, "app_secret")
    assert headers["X-Hub-Signature-256"] == (
        "sha256=fd2394ab590c496bea10a6dae425c0b58f75169611efd02409e7e0ed55155e56"
    )
    assert headers["X-Hub-Signature"] == "sha1=1598dbf89ff6630da17b1591f25a96d71f86e54e"


def test_a_batch_is_one_signed_ascii_post_with_one_entry_per_page(hooks, graph, page_feed):
    install_on_page(graph, OTHER_PAGE, "feed")
    emit(hooks, 1, message="Café ✓ 🍩")
    emit(hooks, 2)
    emit(hooks, 3, page=OTHER_PAGE)
    before = int(time.time())

    sent = hooks.flush()

    assert [d.status for d in sent] == ["delivered"]
    (post,) = page_feed.posts()
    body = post.body
    assert body.isascii()
    assert b"\\u00e9" in body
    assert b"\\ud83c\\udf69" in body
    assert b": " not in body
    assert b", " not in body
    expected = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert post.headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert post.headers["X-Hub-Signature"].startswith("sha1=")
    assert post.headers["Content-Type"] == "application/json"
    document = post.json()
    assert document["object"] == "page"
    first, second = document["entry"]
    assert first["id"] == PAGE
    assert second["id"] == OTHER_PAGE
    assert before <= first["time"] <= int(time.time())  # seconds for Page changes
    assert [c["value"]["comment_id"] for c in first["changes"]] == [f"{PAGE}_1_1", f"{PAGE}_1_2"]
    assert first["changes"][0] == {"field": "feed", "value": comment(1, "Café ✓ 🍩")}
    assert sent[0].body == body  # the log keeps the exact bytes


def test_messaging_entries_carry_milliseconds(hooks, graph, receiver):
    assert subscribe_app(graph, receiver.url, "instagram", "messages").status_code == 200
    install_on_page(graph, PAGE, "feed")  # Instagram needs its linked Page to have the app
    event = {
        "sender": {"id": "igsid-1"},
        "recipient": {"id": IG},
        "timestamp": 1569262485349,
        "message": {"mid": "mid.1", "text": "hello"},
    }
    hooks.emit_messaging(object_type="instagram", entry_id=IG, field="messages", event=event)

    hooks.flush()

    (post,) = receiver.posts()
    (entry,) = post.json()["entry"]
    assert post.json()["object"] == "instagram"
    assert entry["id"] == IG
    assert entry["messaging"] == [event]
    assert abs(entry["time"] - time.time() * 1000) < 60_000


def test_standby_events_go_in_a_standby_list(hooks, graph, receiver):
    assert subscribe_app(graph, receiver.url, "page", "messages,standby").status_code == 200
    install_on_page(graph, PAGE, "messages,standby")
    event = {"sender": {"id": "psid-1"}, "recipient": {"id": PAGE}, "timestamp": 1}
    hooks.emit_messaging(object_type="page", entry_id=PAGE, field="standby", event=event)
    hooks.emit_messaging(object_type="page", entry_id=PAGE, field="messages", event=event)

    hooks.flush()

    (post,) = receiver.posts()
    assert [sorted(entry) for entry in post.json()["entry"]] == [
        ["id", "standby", "time"],
        ["id", "messaging", "time"],
    ]


def test_without_include_values_changes_carry_only_their_field(hooks, graph, receiver):
    response = graph.request(
        "POST",
        f"/{APP_ID}/subscriptions",
        APP_TOKEN,
        object="page",
        callback_url=receiver.url,
        fields="feed",
        verify_token=VERIFY_TOKEN,
        include_values="false",
    )
    assert response.status_code == 200, response.text
    install_on_page(graph, PAGE, "feed")
    emit(hooks, 1)

    hooks.flush()

    assert changes(receiver.posts()[0]) == [{"field": "feed"}]


def test_at_most_1000_updates_per_post(hooks, page_feed):
    for n in range(config.WEBHOOK_MAX_BATCH + 1):
        emit(hooks, n)

    sent = hooks.flush()

    assert [len(d.item_seqs) for d in sent] == [1000, 1]
    assert [len(changes(post)) for post in page_feed.posts()] == [1000, 1]


# --- subscriptions at both levels -------------------------------------------------------


def test_nothing_is_delivered_without_an_app_subscription(hooks, graph, receiver):
    install_on_page(graph, PAGE, "feed")
    item = hooks.emit_change(object_type="page", entry_id=PAGE, field="feed", value=comment(1))

    assert hooks.flush() == []
    assert receiver.posts() == []
    assert item.outcome == "not subscribed"
    assert "no 'page' subscription" in item.reason


def test_only_fields_subscribed_at_both_levels_are_delivered(hooks, graph, receiver):
    assert subscribe_app(graph, receiver.url, "page", "feed,mention").status_code == 200
    install_on_page(graph, PAGE, "feed,messages")
    not_on_page = hooks.emit_change(
        object_type="page", entry_id=PAGE, field="mention", value={"post_id": "1"}
    )
    not_for_app = hooks.emit_messaging(
        object_type="page", entry_id=PAGE, field="messages", event={"message": {"mid": "m"}}
    )
    other_page = hooks.emit_change(
        object_type="page", entry_id=OTHER_PAGE, field="feed", value=comment(9)
    )
    emit(hooks, 1)

    hooks.flush()

    assert comment_ids(receiver) == [f"{PAGE}_1_1"]
    assert "has not subscribed the app to 'mention'" in not_on_page.reason
    assert "'messages' is not among the app's 'page' fields" in not_for_app.reason
    assert other_page.outcome == "not subscribed"
    state = requests.get(f"{graph.sandbox.url}/_sandbox/webhooks", timeout=10).json()
    assert [i["outcome"] for i in state["emitted"]] == [
        "not subscribed",
        "not subscribed",
        "not subscribed",
        "delivered",
    ]


def test_instagram_needs_the_linked_page_subscribed(hooks, graph, receiver):
    assert subscribe_app(graph, receiver.url, "instagram", "comments").status_code == 200
    value = {"id": "178001", "text": "Nice!", "from": {"id": "5353", "username": "jamie"}}
    early = hooks.emit_change(object_type="instagram", entry_id=IG, field="comments", value=value)
    assert "linked Page" in early.reason

    install_on_page(graph, PAGE, "feed")
    hooks.emit_change(object_type="instagram", entry_id=IG, field="comments", value=value)
    hooks.flush()

    (post,) = receiver.posts()
    assert post.json()["entry"][0]["changes"] == [{"field": "comments", "value": value}]


def test_unsubscribing_the_page_stops_delivery(hooks, graph, receiver):
    assert subscribe_app(graph, receiver.url, "page", "feed").status_code == 200
    token = install_on_page(graph, PAGE, "feed")
    assert graph.request("DELETE", f"/{PAGE}/subscribed_apps", token).json() == {"success": True}

    emit(hooks, 1)

    assert hooks.flush() == []
    assert receiver.posts() == []


# --- retries ----------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_immediately_then_with_backoff(hooks, graph, page_feed):
    page_feed.answer(500, 502, 500)
    emit(hooks, 1)

    (delivery,) = hooks.flush()  # first attempt, then the immediate retry
    assert [a.status_code for a in delivery.attempts] == [500, 502]
    assert delivery.status == "retrying"
    assert delivery.next_attempt_at == pytest.approx(delivery.attempts[-1].at + 60)
    assert hooks.flush() == []  # not due yet

    advance(graph, 60)
    hooks.flush()
    assert [a.status_code for a in delivery.attempts] == [500, 502, 500]
    assert delivery.next_attempt_at == pytest.approx(delivery.attempts[-1].at + 300)

    advance(graph, 299)
    assert hooks.flush() == []
    advance(graph, 1)
    hooks.flush()
    assert delivery.status == "delivered"
    assert [a.status_code for a in delivery.attempts] == [500, 502, 500, 200]
    bodies = {post.body for post in page_feed.posts()}
    assert len(page_feed.posts()) == 4
    assert len(bodies) == 1

    listed = requests.get(f"{graph.sandbox.url}/_sandbox/webhooks", timeout=10).json()
    (logged,) = listed["deliveries"]
    assert logged["status"] == "delivered"
    assert len(logged["attempts"]) == 4
    assert logged["attempts"][0]["error"] == "HTTP 500, expected 200"
    assert json.loads(logged["body"])["entry"][0]["changes"][0]["value"] == comment(1)


def test_a_delivery_failing_for_36_hours_is_dropped(hooks, graph, page_feed):
    page_feed.answer(*[503] * 50)
    emit(hooks, 1)
    (delivery,) = hooks.flush()
    for _ in range(12):  # about every 3-6 hours, as the schedule thins out
        advance(graph, 3 * 3600)
        hooks.flush()
    tried = len(page_feed.posts())
    assert delivery.status == "retrying"
    assert tried >= 8

    advance(graph, 36 * 3600)
    hooks.flush()

    assert delivery.status == "dropped"
    assert len(page_feed.posts()) == tried  # no attempt after 36 h
    assert hooks.emitted[-1].outcome == "dropped (36 h of failures)"
    assert hooks.flush() == []


def test_an_unreachable_callback_is_a_failed_attempt(hooks, graph, page_feed):
    page_feed.stop()  # nothing listens on the callback's port any more
    emit(hooks, 1)

    (delivery,) = hooks.flush()

    assert delivery.status == "retrying"
    assert [a.status_code for a in delivery.attempts] == [None, None]
    assert delivery.attempts[0].error.startswith("no HTTP answer")


# --- fault knobs ------------------------------------------------------------------------


def test_never_drops_the_next_updates(hooks, page_feed):
    hooks.set_faults(never=2)
    for n in (1, 2, 3):
        emit(hooks, n)

    hooks.flush()

    assert comment_ids(page_feed) == [f"{PAGE}_1_3"]
    assert [item.outcome for item in hooks.emitted] == ["dropped (fault: never)"] * 2 + [
        "delivered"
    ]


def test_duplicate_delivers_an_update_twice(hooks, page_feed):
    hooks.set_faults(duplicate=1)
    emit(hooks, 1)
    emit(hooks, 2)

    sent = hooks.flush()

    assert [d.note for d in sent] == ["", "duplicate"]
    assert [[c["value"]["comment_id"] for c in changes(p)] for p in page_feed.posts()] == [
        [f"{PAGE}_1_1", f"{PAGE}_1_2"],
        [f"{PAGE}_1_1"],
    ]


def test_out_of_order_sends_the_next_updates_last_first(hooks, page_feed):
    hooks.set_faults(out_of_order=3)
    for n in (1, 2, 3, 4):
        emit(hooks, n)

    sent = hooks.flush()

    assert [d.note for d in sent] == ["out of order"] * 3 + [""]
    assert comment_ids(page_feed) == [f"{PAGE}_1_3", f"{PAGE}_1_2", f"{PAGE}_1_1", f"{PAGE}_1_4"]


def test_a_flush_releases_an_incomplete_out_of_order_group(hooks, page_feed):
    hooks.set_faults(out_of_order=5)
    emit(hooks, 1)
    emit(hooks, 2)

    hooks.flush()
    emit(hooks, 3)  # the group ended with the flush: this one is not held
    hooks.flush()

    assert comment_ids(page_feed) == [f"{PAGE}_1_2", f"{PAGE}_1_1", f"{PAGE}_1_3"]
    assert hooks.faults.out_of_order == 0


def test_out_of_order_holds_until_the_group_is_complete(hooks, sandbox, page_feed):
    hooks.set_faults(out_of_order=2)
    emit(hooks, 1)
    assert hooks.deliver_due() == []  # the sender thread's step: held, not sent
    assert hooks.emitted[-1].outcome == "held"
    emit(hooks, 2)
    hooks.deliver_due()
    assert comment_ids(page_feed) == [f"{PAGE}_1_2", f"{PAGE}_1_1"]


def test_late_holds_an_update_back_on_the_sandbox_clock(hooks, graph, page_feed):
    hooks.set_faults(late_seconds=30)
    emit(hooks, 1)
    emit(hooks, 2)

    hooks.flush()
    assert comment_ids(page_feed) == [f"{PAGE}_1_2"]
    advance(graph, 29)
    assert hooks.flush() == []

    advance(graph, 1)
    (late,) = hooks.flush()

    assert late.note == "late"
    assert comment_ids(page_feed) == [f"{PAGE}_1_2", f"{PAGE}_1_1"]


def test_knobs_through_the_test_api(hooks, graph, page_feed):
    url = f"{graph.sandbox.url}/_sandbox/webhooks/faults"
    response = requests.post(url, json={"duplicate": 1, "late": 2, "late_seconds": 5}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "never": 0,
        "duplicate": 1,
        "late": 2,
        "late_seconds": 5.0,
        "out_of_order": 0,
    }
    for bad in ({"never": -1}, {"sometimes": 1}, {"duplicate": "twice"}, {"never": True}):
        refused = requests.post(url, json=bad, timeout=10)
        assert refused.status_code == 400, bad
        assert "invalid webhook faults" in refused.json()["error"]["message"]
    assert hooks.faults.never == 0  # nothing changed by a refused call

    assert requests.delete(url, timeout=10).json() == {"success": True}
    assert hooks.faults.duplicate == 0
    assert hooks.faults.late == 0

    form = requests.post(url, data={"never": "1"}, allow_redirects=False, timeout=10)
    assert form.status_code == 303
    assert hooks.faults.never == 1


def test_pause_and_flush_through_the_test_api(hooks, graph, page_feed):
    base = f"{graph.sandbox.url}/_sandbox/webhooks"
    assert requests.post(f"{base}/pause", timeout=10).json() == {"paused": True}
    emit(hooks, 1)
    state = requests.get(base, timeout=10).json()
    assert state["paused"] is True
    assert [p["seq"] for p in state["pending"]] == [hooks.emitted[-1].seq]

    flushed = requests.post(f"{base}/flush", timeout=10).json()["data"]

    assert [d["status"] for d in flushed] == ["delivered"]
    assert comment_ids(page_feed) == [f"{PAGE}_1_1"]
    assert requests.post(f"{base}/resume", timeout=10).json() == {"paused": False}


# --- the sender thread ------------------------------------------------------------------


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_sender_thread_delivers_as_events_happen(hooks, page_feed):
    hooks.start()
    try:
        emit(hooks, 1)
        emit(hooks, 2)
        assert wait_for(lambda: len(comment_ids(page_feed)) == 2)
        assert len(page_feed.posts()) == 1  # emitted together: batched together

        hooks.pause()
        emit(hooks, 3)
        time.sleep(3 * config.WEBHOOK_TICK_SECONDS)
        assert len(comment_ids(page_feed)) == 2

        hooks.resume()
        assert wait_for(lambda: len(comment_ids(page_feed)) == 3)
    finally:
        hooks.stop()
    assert not hooks.running


def test_reset_forgets_subscriptions_and_deliveries(hooks, sandbox, page_feed):
    emit(hooks, 1)
    hooks.flush()
    hooks.set_faults(never=1)

    sandbox.state.reset()

    assert hooks.app_subscriptions == {}
    assert hooks.page_fields == {}
    assert hooks.deliveries == []
    assert hooks.emitted == []
    assert hooks.faults.never == 0


def test_a_customers_messages_reach_the_app(graph, receiver, sandbox):
    """The customer test API (endpoints/customer.py) emits; the outbox delivers both objects."""
    assert subscribe_app(graph, receiver.url, "page", "messages").status_code == 200
    assert subscribe_app(graph, receiver.url, "instagram", "messages").status_code == 200
    install_on_page(graph, PAGE, "messages")
    people = requests.get(f"{sandbox.url}/_sandbox/customer/people", timeout=10).json()["data"]
    for to in (PAGE, IG):
        sent = requests.post(
            f"{sandbox.url}/_sandbox/customer/messages",
            json={"customer_id": people[0]["id"], "to": to, "text": "Hi ☕"},
            timeout=10,
        )
        assert sent.status_code == 200, sent.text

    sandbox.state.webhooks.flush()

    posts = [post.json() for post in receiver.posts()]
    assert [(p["object"], p["entry"][0]["id"]) for p in posts] == [
        ("page", PAGE),
        ("instagram", IG),
    ]
    assert all(p["entry"][0]["messaging"][0]["message"]["text"] == "Hi ☕" for p in posts)


# --- into ProSocial's own endpoint ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_delivery_into_prosocials_webhook_endpoint(hooks, graph, live_server, settings):
    """The handshake and a signed batch, end to end into /meta/webhooks/ (stored, 200)."""
    settings.META_APP_SECRET = APP_SECRET  # the sandbox's app secret signs the POSTs
    settings.META_WEBHOOK_VERIFY_TOKEN = "prosocial-verify-token"
    callback = f"{live_server.url}/meta/webhooks/"

    refused = subscribe_app(graph, callback, "page", "feed", verify_token="wrong")
    assert refused.json()["error"]["code"] == 2200  # ProSocial answered 403
    accepted = subscribe_app(graph, callback, "page", "feed", verify_token="prosocial-verify-token")
    assert accepted.json() == {"success": True}
    install_on_page(graph, PAGE, "feed")
    emit(hooks, 1, message="Très bon café")
    emit(hooks, 2)

    (delivery,) = hooks.flush()

    assert delivery.status == "delivered", delivery.attempts
    stored = WebhookEvent.objects.filter(entry_id=PAGE, object="page", field="feed")
    assert stored.count() == 2

    settings.META_APP_SECRET = "another-secret"  # a signature ProSocial cannot accept
    emit(hooks, 3)
    (refused_delivery,) = hooks.flush()
    assert [a.status_code for a in refused_delivery.attempts] == [403, 403]
    assert refused_delivery.status == "retrying"
    assert stored.count() == 2
