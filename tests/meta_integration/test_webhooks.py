"""/meta/webhooks/: the verification handshake, signed notifications, erasure and retention.

Payloads are the shapes of GRAPH_NOTES §7.4, signed here the way Meta signs them (§7.2).
"""

import hmac
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meta_integration.models import InstagramAccount, MetaConnection, MetaPage, WebhookEvent
from meta_integration.privacy import (
    UNASSIGNED_WEBHOOK_EVENT_RETENTION,
    WEBHOOK_EVENT_RETENTION,
    expired_unassigned_webhook_events,
)
from meta_integration.webhooks import MAX_BODY_BYTES, WebhookRejected, verify_signature
from prosocial import erasure
from prosocial.retention import retention_rules, site_retention_rules
from tests.meta_integration.webhook_helpers import APP_SECRET, IG_ID, PAGE_ID, connect, encode, sign

VERIFY_TOKEN = "verify-me-please"
URL = "/meta/webhooks/"
ALEX = "10000000000000042"
SAM = "10000000000000077"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.META_APP_SECRET = APP_SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = VERIFY_TOKEN


def post(client, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def feed_comment(page_id=PAGE_ID, comment="930145403745849_1", message="Lovely latte!"):
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": 1449135003,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": comment,
                            "post_id": f"{page_id}_930145403745849",
                            "parent_id": f"{page_id}_930145403745849",
                            "from": {"id": "24242424", "name": "Jamie Café"},
                            "created_time": 1449135003,
                            "message": message,
                        },
                    }
                ],
            }
        ],
    }


def ig_comment(ig_id=IG_ID):
    return {
        "object": "instagram",
        "entry": [
            {
                "id": ig_id,
                "time": 1519399307,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "17865799348089039",
                            "text": "This is an example.",
                            "from": {"id": "5353535", "username": "testuser"},
                            "media": {"id": "17887498072083520", "media_product_type": "FEED"},
                        },
                    }
                ],
            }
        ],
    }


def permissions_event(uid):
    return {
        "object": "permissions",
        "entry": [
            {
                "id": uid,
                "uid": uid,
                "time": 1567181353,
                "changes": [{"field": "connected", "verb": "granted"}],
            }
        ],
    }


# --- Verification handshake (GRAPH_NOTES §7.1) -----------------------------------------------


def test_url_is_the_stable_contract():
    assert reverse("meta_integration:webhooks") == URL


def test_verification_echoes_the_challenge(client):
    response = client.get(
        URL,
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("params", "_case"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "wrong"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "missing token"),
        (
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
            "mode",
        ),
        ({}, "no hub params"),
    ],
)
def test_verification_refused(client, params, _case):
    response = client.get(URL, params)

    assert response.status_code == 403
    assert b"1" not in response.content


def test_verification_refused_when_no_token_is_configured(client, settings):
    settings.META_WEBHOOK_VERIFY_TOKEN = ""

    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "7"}
    )

    assert response.status_code == 403


def test_verification_rejects_a_challenge_that_is_not_metas(client):
    response = client.get(
        URL,
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<b>x</b> y"},
    )

    assert response.status_code == 400


# --- Signature (GRAPH_NOTES §7.2) --------------------------------------------------------------


def test_signature_matches_the_notes_test_vector():
    body = (
        b'{"object":"page","entry":[{"id":"1234567890321","time":1449135003,"changes":'
        b'[{"field":"feed","value":{"item":"status","verb":"add","post_id":'
        b'"1234567890321_930145403745849","message":"hi"}}]}]}'
    )
    header = "sha256=fd2394ab590c496bea10a6dae425c0b58f75169611efd02409e7e0ed55155e56"

    verify_signature(body=body, header=header, secret="app_secret")  # no exception
    with pytest.raises(WebhookRejected) as excinfo:
        verify_signature(body=body + b" ", header=header, secret="app_secret")
    assert excinfo.value.status == 403


# --- Notifications ---------------------------------------------------------------------------


def test_page_feed_comment_is_stored_for_the_workspace_using_the_page(client, workspace):
    connection = connect(workspace, ALEX)
    document = feed_comment()

    response = post(client, encode(document))

    assert response.status_code == 200
    assert response.json() == {"stored": 1}
    event = WebhookEvent.objects.get()
    assert (event.object, event.field, event.entry_id) == ("page", "feed", PAGE_ID)
    assert event.workspace == workspace
    assert event.connection == connection
    assert event.payload == document["entry"][0]["changes"][0]
    assert event.is_processed is False


def test_instagram_comment_is_stored_for_the_workspace_using_the_account(
    client, workspace, other_workspace
):
    connect(workspace, ALEX)
    connect(other_workspace, SAM, page_id="999", ig_id="17841400000000999")

    response = post(client, encode(ig_comment()))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.object, event.field, event.entry_id) == ("instagram", "comments", IG_ID)
    assert event.workspace == workspace
    assert event.payload["value"]["text"] == "This is an example."


def test_a_page_two_workspaces_use_is_stored_once_for_each(client, workspace, other_workspace):
    connect(workspace, ALEX)
    connect(other_workspace, SAM)

    response = post(client, encode(feed_comment()))

    assert response.json() == {"stored": 2}
    assert sorted(WebhookEvent.objects.values_list("workspace__slug", flat=True)) == [
        "acme",
        "rival",
    ]


def test_each_change_of_a_batch_becomes_one_event(client, workspace):
    connect(workspace, ALEX)
    document = feed_comment()
    document["entry"].append(feed_comment(comment="930145403745849_2")["entry"][0])
    document["entry"][0]["changes"].append(
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "reaction_type": "love"}}
    )

    response = post(client, encode(document))

    assert response.json() == {"stored": 3}
    assert WebhookEvent.objects.filter(workspace=workspace, field="feed").count() == 3


def test_instagram_message_is_stored_under_its_messaging_field(client, workspace):
    connect(workspace, ALEX)
    document = {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ID,
                "time": 1569262486134,
                "messaging": [
                    {
                        "sender": {"id": "IGSID-1"},
                        "recipient": {"id": IG_ID},
                        "timestamp": 1569262485349,
                        "message": {"mid": "mid.1", "text": "hello"},
                    }
                ],
            }
        ],
    }

    post(client, encode(document))

    event = WebhookEvent.objects.get()
    assert (event.field, event.workspace) == ("messages", workspace)
    assert event.payload["message"]["text"] == "hello"


def _messenger_message(list_name: str) -> dict:
    """A Page entry carrying one Messenger message in ``list_name`` (GRAPH_NOTES §7.4)."""
    return {
        "id": PAGE_ID,
        "time": 1458692752478,
        list_name: [
            {
                "sender": {"id": "USER-PSID-1"},
                "recipient": {"id": PAGE_ID},
                "timestamp": 1458692752478,
                "message": {"mid": "m_mid.1457764197618:41d102a3e1ae206a38", "text": "hello"},
            }
        ],
    }


def test_standby_items_stay_apart_from_messages(client, workspace):
    """Issue #14 item 19: a standby item (Messenger handover: another app owns the thread)
    was stored as an ordinary message and de-duplicated against the same messaging item."""
    connect(workspace, ALEX)
    document = {
        "object": "page",
        "entry": [_messenger_message("messaging"), _messenger_message("standby")],
    }

    response = post(client, encode(document))
    again = post(client, encode({"object": "page", "entry": [_messenger_message("standby")]}))

    assert response.json() == {"stored": 2}
    assert again.json() == {"stored": 0}
    events = WebhookEvent.objects.order_by("field")
    assert [(e.field, e.workspace, e.payload["message"]["text"]) for e in events] == [
        ("messages", workspace, "hello"),
        ("standby", workspace, "hello"),
    ]


def test_permissions_event_goes_to_the_users_workspace(client, workspace):
    connect(workspace, ALEX)

    post(client, encode(permissions_event(ALEX)))

    event = WebhookEvent.objects.get()
    assert (event.object, event.field, event.entry_id) == ("permissions", "connected", ALEX)
    assert event.workspace == workspace


@pytest.mark.parametrize("_case", ["unknown page", "page not selected", "disconnected"])
def test_an_account_no_workspace_uses_keeps_no_payload(client, workspace, _case):
    if _case == "page not selected":
        connect(workspace, ALEX, selected=False)
    elif _case == "disconnected":
        connect(workspace, ALEX)
        MetaConnection.objects.update(status=MetaConnection.Status.DISCONNECTED)

    response = post(client, encode(feed_comment()))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.entry_id, event.workspace, event.connection, event.payload) == (
        PAGE_ID,
        None,
        None,
        {},
    )


def test_retries_store_nothing_new(client, workspace):
    connect(workspace, ALEX)
    body = encode(feed_comment())
    post(client, body)

    again = post(client, body)
    # A retry batched with a new change stores only the new one.
    document = feed_comment()
    document["entry"].append(feed_comment(comment="930145403745849_9")["entry"][0])
    rebatched = post(client, encode(document))

    assert again.status_code == 200
    assert again.json() == {"stored": 0}
    assert rebatched.json() == {"stored": 1}
    assert WebhookEvent.objects.count() == 2


def _bad_entry_after_a_good_one() -> bytes:
    document = feed_comment()
    document["entry"].append({"time": 1, "changes": []})
    return encode(document)


@pytest.mark.parametrize(
    ("body", "signature", "status", "_case"),
    [
        (encode(feed_comment()), sign(encode(feed_comment()), "another-secret"), 403, "tampered"),
        (encode(feed_comment()), sign(encode(feed_comment(message="hi"))), 403, "other body"),
        (
            encode(feed_comment()),
            "sha1=" + hmac.new(APP_SECRET.encode(), encode(feed_comment()), "sha1").hexdigest(),
            403,
            "wrong prefix",
        ),
        (encode(feed_comment()), sign(encode(feed_comment()))[7:], 403, "no prefix"),
        (encode(feed_comment()), sign(encode(feed_comment()))[:-2], 403, "truncated"),
        (encode(feed_comment()), None, 403, "missing header"),
        (b'{"object":"page","entry":[', "sign", 400, "bad JSON"),
        (b"\xff\xfe", "sign", 400, "not UTF-8"),
        (b'["page"]', "sign", 400, "not an object"),
        (b'{"object":"page","entry":{}}', "sign", 400, "entry not a list"),
        (_bad_entry_after_a_good_one(), "sign", 400, "entry without id"),
        (b"{" + b" " * MAX_BODY_BYTES + b"}", "sign", 413, "oversized"),
    ],
)
def test_bad_notifications_are_refused_and_store_nothing(
    client, workspace, body, signature, status, _case
):
    connect(workspace, ALEX)

    response = post(client, body, signature)

    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert WebhookEvent.objects.count() == 0


def test_other_methods_are_not_allowed(client):
    response = client.put(URL, data=b"{}", content_type="application/json")

    assert response.status_code == 405


# --- Erasure (Meta's data-deletion callback) -------------------------------------------------


def test_erasing_a_meta_user_erases_the_events_their_connections_brought(
    client, workspace, other_workspace
):
    connect(workspace, ALEX)
    connect(other_workspace, SAM)  # the same Page, connected by someone else elsewhere
    post(client, encode(feed_comment()))
    post(client, encode(ig_comment()))
    post(client, encode(permissions_event(ALEX)))
    post(client, encode(permissions_event(SAM)))
    # An event of Alex's Page from before it was connected anywhere.
    WebhookEvent.objects.create(
        object="page", field="feed", entry_id=PAGE_ID, workspace=None, dedupe_key="a" * 64
    )
    kept = set(WebhookEvent.objects.filter(workspace=other_workspace).values_list("pk", flat=True))

    counts = erasure.erase_meta_user(ALEX)

    assert counts["meta_integration.webhook_events"] == 4
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == kept
    assert len(kept) == 3


def test_erasure_after_disconnect_still_finds_the_events(client, workspace):
    connection = connect(workspace, ALEX)
    post(client, encode(feed_comment()))
    # Disconnecting drops the assets but keeps the connection row (services._wipe_connection).
    MetaPage.objects.filter(connection=connection).delete()
    InstagramAccount.objects.filter(connection=connection).delete()

    counts = erasure.erase_meta_user(ALEX)

    assert counts["meta_integration.webhook_events"] == 1
    assert WebhookEvent.objects.count() == 0


# --- Retention -------------------------------------------------------------------------------


def _event(workspace, days_ago, key):
    event = WebhookEvent.objects.create(
        object="page", field="feed", entry_id=PAGE_ID, workspace=workspace, dedupe_key=key * 64
    )
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(days=days_ago)
    )
    return event


def test_retention_rules_are_registered():
    assert WEBHOOK_EVENT_RETENTION in retention_rules()
    assert WEBHOOK_EVENT_RETENTION.name == "meta_integration.webhook_events"
    assert WEBHOOK_EVENT_RETENTION.period_field == "webhook_event_days"
    assert str(WEBHOOK_EVENT_RETENTION.label) == "Meta webhook events"
    assert UNASSIGNED_WEBHOOK_EVENT_RETENTION in site_retention_rules()
    assert UNASSIGNED_WEBHOOK_EVENT_RETENTION.days_setting == "RETENTION_WEBHOOK_EVENT_DAYS"
    assert UNASSIGNED_WEBHOOK_EVENT_RETENTION.expired is expired_unassigned_webhook_events


def test_retention_selects_exactly_the_old_events_of_that_workspace(workspace, other_workspace):
    old = _event(workspace, 31, "a")
    _event(workspace, 29, "b")
    _event(other_workspace, 31, "c")
    _event(None, 31, "d")
    cutoff = timezone.now() - timedelta(days=30)

    expired = WEBHOOK_EVENT_RETENTION.expired(workspace.id, cutoff)

    assert list(expired.values_list("pk", flat=True)) == [old.pk]


def test_unassigned_retention_selects_only_old_events_without_workspace(workspace):
    _event(workspace, 31, "a")
    old = _event(None, 31, "b")
    _event(None, 29, "c")

    expired = expired_unassigned_webhook_events(timezone.now() - timedelta(days=30))

    assert list(expired.values_list("pk", flat=True)) == [old.pk]
