"""Meta's webhook notifications as GRAPH_NOTES §7.4 shows them, and how tests deliver them.

``deliver`` goes the way Meta's POST goes (``record_webhook_events``: signature, parsing,
routing, storing) and then runs the processing job for each stored row, in order, the way a
worker would (``process_webhook_event``).
"""

from inbox.ingest import process_webhook_event
from meta_integration.models import WebhookEvent
from meta_integration.webhooks import record_webhook_events
from tests.meta_integration.webhook_helpers import (
    APP_SECRET,  # noqa: F401 (the inbox tests import it from here)
    IG_ID,
    PAGE_ID,
    connect,  # noqa: F401 (likewise)
    encode,
    sign,
)

POST_ID = f"{PAGE_ID}_930145403745849"
MEDIA_ID = "17887498072083520"
JAMIE = "24242424"  # a Facebook commenter
PSID = "6543210987654321"  # a Messenger customer
IGSID = "5353535"  # an Instagram customer
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, in seconds


def store(document) -> list[WebhookEvent]:
    """Store a notification as the webhook view does; return the new rows, oldest first."""
    before = set(WebhookEvent.objects.values_list("pk", flat=True))
    body = encode(document)
    record_webhook_events(body=body, signature=sign(body))
    return list(WebhookEvent.objects.exclude(pk__in=before).order_by("pk"))


def deliver(*documents) -> list[WebhookEvent]:
    """Store each notification and process what it stored; return the rows as processed."""
    events = []
    for document in documents:
        for event in store(document):
            process_webhook_event(event_id=event.pk)
            events.append(event)
    for event in events:
        event.refresh_from_db()
    return events


# --- Facebook Page feed -------------------------------------------------------------------------


def feed(value, *, page_id=PAGE_ID, time=T0):
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": time, "changes": [{"field": "feed", "value": value}]}],
    }


def fb_comment(
    comment_id="930145403745849_1",
    *,
    verb="add",
    message="Lovely latte!",
    parent_id=POST_ID,
    author=(JAMIE, "Jamie Café"),
    created=T0,
    time=None,
    **extra,
):
    value = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": POST_ID,
        "parent_id": parent_id,
        "created_time": created,
        **extra,
    }
    if author is not None:
        value["from"] = {"id": author[0], "name": author[1]}
    if message is not None:
        value["message"] = message
    return feed(value, time=time if time is not None else created)


def fb_reaction(comment_id="930145403745849_1", *, verb="add", reaction="love", time=T0 + 60):
    value = {
        "item": "reaction",
        "verb": verb,
        "reaction_type": reaction,
        "post_id": POST_ID,
        "from": {"id": "77777", "name": "Robin"},
        "created_time": time,
    }
    if comment_id:
        value["comment_id"] = comment_id
        value["parent_id"] = POST_ID
    return feed(value, time=time)


# --- Instagram comments and mentions ------------------------------------------------------------


def instagram_change(field, value, *, ig_id=IG_ID, time=T0):
    return {
        "object": "instagram",
        "entry": [{"id": ig_id, "time": time, "changes": [{"field": field, "value": value}]}],
    }


def ig_comment(
    comment_id="17865799348089039",
    *,
    text="This is an example.",
    parent_id=None,
    time=T0,
    author=(IGSID, "testuser"),
):
    value = {
        "id": comment_id,
        "text": text,
        "from": {"id": author[0], "username": author[1]},
        "media": {"id": MEDIA_ID, "media_product_type": "FEED"},
    }
    if parent_id:
        value["parent_id"] = parent_id
    return instagram_change("comments", value, time=time)


# --- Messaging ----------------------------------------------------------------------------------


def messaging(object_type, entry_id, item, *, time_ms=T0 * 1000):
    return {
        "object": object_type,
        "entry": [{"id": entry_id, "time": time_ms, "messaging": [item]}],
    }


def dm(
    mid="m_1",
    *,
    text="Do you deliver?",
    customer=PSID,
    object_type="page",
    echo=False,
    time_ms=T0 * 1000,
    **message_fields,
):
    account = PAGE_ID if object_type == "page" else IG_ID
    sender, recipient = (account, customer) if echo else (customer, account)
    message = {"mid": mid, **message_fields}
    if text is not None:
        message["text"] = text
    if echo:
        message["is_echo"] = True
    item = {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": time_ms,
        "message": message,
    }
    return messaging(object_type, account, item, time_ms=time_ms)


def dm_reaction(mid="m_1", *, action="react", customer=PSID, time_ms=T0 * 1000 + 5000):
    item = {
        "sender": {"id": customer},
        "recipient": {"id": PAGE_ID},
        "timestamp": time_ms,
        "reaction": {"mid": mid, "action": action, "reaction": "love", "emoji": "\u2764"},
    }
    return messaging("page", PAGE_ID, item, time_ms=time_ms)


def dm_seen(*, customer=PSID, watermark=T0 * 1000 + 9000):
    item = {
        "sender": {"id": customer},
        "recipient": {"id": PAGE_ID},
        "timestamp": watermark + 1,
        "read": {"watermark": watermark},
    }
    return messaging("page", PAGE_ID, item, time_ms=watermark + 1)
