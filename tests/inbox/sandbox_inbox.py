"""A workspace connected to the sandbox whose webhooks reach the inbox, for the reply tests.

``inbox_connected`` connects the owner's workspace through the real connect flow (Page tokens
from the sandbox), subscribes the app to the sandbox's webhooks at a loopback receiver, and
``relay()`` hands what the sandbox delivered there to ProSocial's webhook intake
(``record_webhook_events``: signature, parsing, storing) and runs the processing job for each
stored event, as a worker would. Playing the customer goes through ``sandbox.state``.
"""

from datetime import timedelta

import pytest
from django.db.models import F

from inbox.ingest import process_webhook_event
from inbox.models import Message, Thread
from meta_integration import graph
from meta_integration.models import InstagramAccount, MetaPage, WebhookEvent
from meta_integration.webhooks import record_webhook_events
from meta_sandbox import seed
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.meta_sandbox.webhook_receiver import WebhookReceiver

COFFEE = seed.PAGE_COFFEE_ID
IG_COFFEE = seed.IG_COFFEE_ID
POST = seed.SEED_POST_COFFEE_ID
MEDIA = seed.SEED_MEDIA_COFFEE_ID


class Relay:
    def __init__(self, sandbox, receiver: WebhookReceiver) -> None:
        self.sandbox = sandbox
        self.receiver = receiver
        self.seen = 0

    def __call__(self) -> int:
        """Deliver what the sandbox has queued; return how many events were processed."""
        self.sandbox.state.webhooks.flush()
        posts = self.receiver.posts()
        for post in posts[self.seen :]:
            signature = next(
                value for key, value in post.headers.items() if key.lower() == "x-hub-signature-256"
            )
            record_webhook_events(body=post.body, signature=signature)
        self.seen = len(posts)
        pending = WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).order_by("pk")
        ids = list(pending.values_list("pk", flat=True))
        for event_id in ids:
            process_webhook_event(event_id=event_id)
        return len(ids)


@pytest.fixture(name="receiver")
def receiver_fixture():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(name="no_waits")
def no_waits_fixture(monkeypatch):
    """The Graph client's retry waits take no time (its documented test hook)."""
    monkeypatch.setattr(graph, "sleep", lambda seconds: None)


@pytest.fixture(name="inbox_connected")
def inbox_connected_fixture(owner, sandbox, receiver, no_waits, settings):
    """The owner's workspace connected to the sandbox, its webhooks relayed to the inbox."""
    settings.META_MAX_RETRIES = 1
    response = connect(client_for(owner), sandbox)
    assert response.status_code == 302
    for model in (MetaPage, InstagramAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    for object_type, fields in graph.APP_SUBSCRIBED_FIELDS.items():
        sandbox.state.webhooks.subscribe_app(
            object_type=object_type, callback_url=receiver.url, fields=fields
        )
    sandbox.state.webhooks.subscribe_page(page_id=COFFEE, fields=graph.PAGE_SUBSCRIBED_FIELDS)
    sandbox.state.webhooks.flush()  # nothing of the seed is pending
    return owner


@pytest.fixture(name="relay")
def relay_fixture(sandbox, receiver, settings):
    assert sandbox.state.app_secret == settings.META_APP_SECRET
    return Relay(sandbox, receiver)


def comment_thread(relay, sandbox, *, customer=seed.MARIA_ID, on=POST, text="Do you ship to Oslo?"):
    """A customer comments on a post; return the inbox's thread of it."""
    comment = sandbox.state.customer_comment(customer_id=customer, object_id=on, message=text)
    assert relay() >= 1
    return Thread.objects.get(kind=Thread.Kind.COMMENT, external_key=comment.id)


def dm_thread(relay, sandbox, *, customer=seed.PRIYA_ID, to=COFFEE, text="Are you open today?"):
    """A customer writes a DM; return the inbox's thread of it."""
    sandbox.state.customer_message(customer_id=customer, to=to, text=text)
    assert relay() >= 1
    return Thread.objects.filter(kind=Thread.Kind.DM).latest("pk")


def age(thread, sandbox, *, hours: float) -> None:
    """Let ``hours`` pass for the conversation, on Meta's clock and on ours."""
    sandbox.state.advance_clock(hours * 3600)
    Message.objects.filter(thread=thread).update(sent_at=F("sent_at") - timedelta(hours=hours))


def page_token(workspace) -> str:
    return MetaPage.objects.get(workspace=workspace, page_id=COFFEE).access_token
