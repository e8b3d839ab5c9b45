"""Webhook subscriptions (GRAPH_NOTES §7.1, §7.3): the app's `/{app-id}/subscriptions` with its
verification handshake, each Page's `subscribed_apps`, their errors, the state file, the console.
"""

from collections.abc import Iterator

import pytest
import requests

from meta_sandbox import seed
from meta_sandbox.testing import RunningSandbox, start_server
from tests.meta_sandbox.helpers import (
    APP_ID,
    APP_TOKEN,
    Graph,
    assert_error,
    grant_token,
    page_token,
)
from tests.meta_sandbox.webhook_receiver import (
    VERIFY_TOKEN,
    WebhookReceiver,
    install_on_page,
    subscribe_app,
)

PAGE = seed.PAGE_COFFEE_ID


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.stop()


def app_subscriptions(graph: Graph) -> list[dict]:
    response = graph.get(f"/{APP_ID}/subscriptions", APP_TOKEN)
    assert response.status_code == 200, response.text
    return response.json()["data"]


# --- app level: the handshake -----------------------------------------------------------


def test_subscribing_runs_metas_handshake_then_lists_the_subscription(graph, receiver):
    response = subscribe_app(graph, receiver.url, "page", "feed,messages")

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    (handshake,) = receiver.gets()
    assert handshake.path == "/webhooks/"
    assert handshake.query["hub.mode"] == ["subscribe"]
    assert handshake.query["hub.verify_token"] == [VERIFY_TOKEN]
    assert handshake.query["hub.challenge"][0].isdigit()
    assert app_subscriptions(graph) == [
        {
            "object": "page",
            "callback_url": receiver.url,
            "active": True,
            "fields": [
                {"name": "feed", "version": "v25.0"},
                {"name": "messages", "version": "v25.0"},
            ],
        }
    ]


def test_a_wrong_verify_token_is_refused_and_nothing_is_stored(graph, receiver):
    response = subscribe_app(graph, receiver.url, "page", "feed", verify_token="not-it")

    error = assert_error(response, 400, 2200)
    assert "HTTP Status Code = 403" in error["message"]
    assert app_subscriptions(graph) == []


def test_a_callback_that_does_not_echo_the_challenge_is_refused(graph, receiver):
    receiver.challenge_reply = b"<!DOCTYPE html><p>hello</p>"

    response = subscribe_app(graph, receiver.url, "instagram", "comments")

    error = assert_error(response, 400, 2201)
    challenge = receiver.gets()[0].query["hub.challenge"][0]
    assert f'expected value="{challenge}"' in error["message"]
    assert 'received="<!DOCTYPE html><p>hello</p>"' in error["message"]
    assert app_subscriptions(graph) == []


def test_an_unreachable_or_foreign_callback_is_refused(graph, receiver):
    url = receiver.url
    receiver.stop()
    assert (
        "HTTP Status Code = 0"
        in assert_error(subscribe_app(graph, url, "page", "feed"), 400, 2200)["message"]
    )

    foreign = subscribe_app(graph, "http://example.com/webhooks/", "page", "feed")
    assert "not a loopback address" in assert_error(foreign, 400, 2200)["message"]
    assert app_subscriptions(graph) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"object": ""}, "The parameter object is required"),
        ({"object": "pages"}, "Param object must be one of {page, instagram, user, permissions}"),
        ({"fields": ""}, "The parameter fields is required"),
        ({"fields": "feed,likes"}, "fields[1] 'likes' is not a page webhook field"),
        ({"callback_url": ""}, "The parameter callback_url is required"),
        ({"verify_token": ""}, "The parameter verify_token is required"),
    ],
)
def test_bad_subscription_parameters(graph, receiver, params, message):
    values = {
        "object": "page",
        "callback_url": receiver.url,
        "fields": "feed",
        "verify_token": VERIFY_TOKEN,
        **params,
    }
    response = graph.request("POST", f"/{APP_ID}/subscriptions", APP_TOKEN, **values)

    assert message in assert_error(response, 400, 100)["message"]
    assert receiver.received == []  # refused before any handshake


def test_only_the_app_token_may_manage_subscriptions(graph, receiver):
    user_token = grant_token(graph, scopes=["pages_show_list"])
    path = f"/{APP_ID}/subscriptions"

    assert_error(graph.get(path, user_token), 400, 15)
    assert_error(graph.request("POST", path, user_token, object="page"), 400, 15)
    assert_error(graph.get(path), 400, 104)
    assert_error(graph.get(path, f"{APP_ID}|wrong-secret"), 400, 190)
    assert_error(graph.get("/1234567890/subscriptions", APP_TOKEN), 400, 100, 33)


def test_fields_are_added_and_removed(graph, receiver):
    assert subscribe_app(graph, receiver.url, "page", "feed").status_code == 200
    assert subscribe_app(graph, receiver.url, "page", "mention,feed").status_code == 200
    assert subscribe_app(graph, receiver.url, "instagram", "comments").status_code == 200
    names = {s["object"]: [f["name"] for f in s["fields"]] for s in app_subscriptions(graph)}
    assert names == {"page": ["feed", "mention"], "instagram": ["comments"]}

    path = f"/{APP_ID}/subscriptions"
    removed = graph.request("DELETE", path, APP_TOKEN, object="page", fields="feed")
    assert removed.json() == {"success": True}
    assert [f["name"] for f in app_subscriptions(graph)[0]["fields"]] == ["mention"]
    graph.request("DELETE", path, APP_TOKEN, object="instagram")
    assert [s["object"] for s in app_subscriptions(graph)] == ["page"]
    assert_error(graph.request("DELETE", path, APP_TOKEN, fields="feed"), 400, 100)
    graph.request("DELETE", path, APP_TOKEN)
    assert app_subscriptions(graph) == []


def test_the_console_form_subscribes_with_the_handshake(graph, receiver, sandbox):
    url = f"{sandbox.url}/_sandbox/webhooks/subscribe"
    form = {"object": "page", "callback_url": receiver.url, "fields": "feed"}
    refused = requests.post(url, data={**form, "verify_token": "nope"}, timeout=10)
    assert refused.status_code == 400
    assert "2200" in refused.json()["error"]["message"]

    response = requests.post(
        url, data={**form, "verify_token": VERIFY_TOKEN}, allow_redirects=False, timeout=10
    )

    assert response.status_code == 303
    assert [s["object"] for s in app_subscriptions(graph)] == ["page"]


# --- Page level -------------------------------------------------------------------------


def test_a_page_installs_the_app_with_its_fields(graph):
    token = install_on_page(graph, PAGE, "feed,messages")

    listed = graph.get(f"/{PAGE}/subscribed_apps", token).json()

    assert listed == {
        "data": [
            {
                "category": "Business",
                "link": f"https://www.facebook.com/games/?app_id={APP_ID}",
                "name": "ProSocial (sandbox)",
                "id": APP_ID,
                "subscribed_fields": ["feed", "messages"],
            }
        ]
    }
    again = graph.request("POST", f"/{PAGE}/subscribed_apps", token, subscribed_fields="mention")
    assert again.json() == {"success": True}
    assert graph.get(f"/{PAGE}/subscribed_apps", token).json()["data"][0]["subscribed_fields"] == [
        "mention"
    ]
    assert graph.request("DELETE", f"/{PAGE}/subscribed_apps", token).json() == {"success": True}
    assert graph.get(f"/{PAGE}/subscribed_apps", token).json() == {"data": []}


def test_subscribed_apps_needs_a_page_token(graph):
    user_token = grant_token(graph, scopes=["pages_show_list", "pages_manage_metadata"])

    response = graph.request(
        "POST", f"/{PAGE}/subscribed_apps", user_token, subscribed_fields="feed"
    )

    assert "A page access token is required" in assert_error(response, 403, 210)["message"]
    assert_error(graph.get(f"/{PAGE}/subscribed_apps", user_token), 403, 210)


def test_subscribed_apps_names_each_missing_permission(graph, sandbox):
    user_token = grant_token(graph, scopes=["pages_show_list"])
    token = page_token(graph, user_token, PAGE)

    response = graph.request(
        "POST", f"/{PAGE}/subscribed_apps", token, subscribed_fields="feed,messages"
    )

    message = assert_error(response, 403, 200)["message"]
    assert message.splitlines() == [
        "(#200) To subscribe to the feed field, one of these permissions is needed: "
        "pages_manage_metadata",
        "To subscribe to the messages field, one of these permissions is needed: "
        "pages_manage_metadata",
        "To subscribe to the messages field, one of these permissions is needed: pages_messaging",
    ]
    assert sandbox.state.webhooks.page_fields == {}
    assert_error(graph.request("DELETE", f"/{PAGE}/subscribed_apps", token), 403, 10)


def test_message_fields_also_need_pages_messaging(graph, sandbox):
    user_token = grant_token(graph, scopes=["pages_show_list", "pages_manage_metadata"])
    token = page_token(graph, user_token, PAGE)

    refused = graph.request(
        "POST", f"/{PAGE}/subscribed_apps", token, subscribed_fields="feed,message_reactions"
    )
    assert assert_error(refused, 403, 200)["message"] == (
        "(#200) To subscribe to the message_reactions field, one of these permissions is "
        "needed: pages_messaging"
    )
    assert sandbox.state.webhooks.page_fields == {}
    ok = graph.request("POST", f"/{PAGE}/subscribed_apps", token, subscribed_fields="feed")
    assert ok.json() == {"success": True}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("", "The parameter subscribed_fields is required"),
        ("feed,comments", "Param subscribed_fields[1] must be one of {"),
        ('["feed", 3]', "Expected a list of strings"),
    ],
)
def test_bad_subscribed_fields(graph, sandbox, fields, message):
    user_token = grant_token(graph, scopes=["pages_show_list", "pages_manage_metadata"])
    token = page_token(graph, user_token, PAGE)

    response = graph.request("POST", f"/{PAGE}/subscribed_apps", token, subscribed_fields=fields)

    assert message in assert_error(response, 400, 100)["message"]
    assert sandbox.state.webhooks.page_fields == {}


def test_subscribed_fields_as_a_json_list(graph):
    token = install_on_page(graph, PAGE, '["feed", "mention"]')
    fields = graph.get(f"/{PAGE}/subscribed_apps", token).json()["data"][0]["subscribed_fields"]
    assert fields == ["feed", "mention"]


def test_another_pages_subscription_is_invisible(graph):
    user_token = grant_token(graph, scopes=["pages_show_list", "pages_manage_metadata"])
    token = page_token(graph, user_token, PAGE)

    response = graph.request(
        "POST", f"/{seed.PAGE_FITNESS_ID}/subscribed_apps", token, subscribed_fields="feed"
    )

    assert_error(response, 400, 100, 33)


# --- state file and console -------------------------------------------------------------


def test_subscriptions_survive_a_restart(tmp_path, receiver):
    state_file = tmp_path / "state.json"
    with start_server(state_file=state_file) as first:
        graph = Graph(first)
        assert subscribe_app(graph, receiver.url, "instagram", "comments").status_code == 200
        install_on_page(graph, PAGE, "feed")

    with start_server(state_file=state_file) as second:
        hooks = second.state.webhooks
        assert hooks.app_subscriptions["instagram"].callback_url == receiver.url
        assert hooks.app_subscriptions["instagram"].verify_token == VERIFY_TOKEN
        assert hooks.page_fields == {PAGE: ["feed"]}


def test_the_console_shows_the_webhooks_panel(graph, receiver, sandbox: RunningSandbox):
    assert subscribe_app(graph, receiver.url, "page", "feed").status_code == 200
    install_on_page(graph, PAGE, "feed")
    hooks = sandbox.state.webhooks
    hooks.set_faults(duplicate=2)
    receiver.answer(500, 200, 500)  # the update, its copy, the update's immediate retry
    hooks.emit_change(object_type="page", entry_id=PAGE, field="feed", value={"item": "status"})
    hooks.flush()

    html = requests.get(f"{sandbox.url}/_sandbox/", timeout=10).text

    panel = html[html.index('id="webhooks"') :]
    assert receiver.url in panel
    assert "subscribed_apps" in panel
    assert "retrying" in panel
    assert "delivered" in panel
    assert "duplicate" in panel
    assert "twice 1" in panel  # one duplicate left on the knob
    assert 'action="/_sandbox/webhooks/faults"' in panel
    assert 'action="/_sandbox/webhooks/flush"' in panel
