"""Sending replies from the inbox, end to end through the sandbox.

A customer acts in the sandbox (``sandbox.state.customer_*``), the sandbox's signed webhooks
reach ProSocial's intake and the processing job (``relay``), a member replies through the
reply box's URL, and the reply job runs in this process (``tasks_inline``, on-commit callbacks
executed) with real HTTP to the sandbox, which then holds what was sent.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from inbox import replies
from inbox.models import Message, Reply, Thread
from meta_integration import graph
from meta_integration.graph import Platform
from meta_integration.models import WebhookEvent
from meta_sandbox import seed
from prosocial import jobs
from tests.conftest import client_for
from tests.inbox.sandbox_inbox import (  # noqa: F401 - fixtures
    COFFEE,
    IG_COFFEE,
    MEDIA,
    age,
    comment_thread,
    dm_thread,
    inbox_connected_fixture,
    no_waits_fixture,
    page_token,
    receiver_fixture,
    relay_fixture,
)

Status = Reply.Status


def reply_url(thread) -> str:
    return reverse("inbox:reply", args=[thread.workspace.slug, thread.pk])


def send(client, thread, capture, **data):
    """POST the reply box; run what was queued after COMMIT (the reply job)."""
    with capture(execute=True):
        return client.post(reply_url(thread), data)


def sandbox_messages(sandbox, *, customer=seed.PRIYA_ID, page=COFFEE):
    """What the sandbox holds of the Page's messages to ``customer``, oldest first."""
    state = sandbox.state
    with state.lock:
        conversation = next(
            c
            for c in state.engagement.conversations.values()
            if c.customer_id == customer and c.owner_id == page
        )
        return [
            m
            for m in state.engagement.messages.values()
            if m.conversation_id == conversation.id and not m.from_customer
        ]


# --- comments -----------------------------------------------------------------------------------


def test_a_public_reply_lands_under_the_comment(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = comment_thread(relay, sandbox, text="Do you ship to Oslo?")

    response = send(
        client_for(owner),
        thread,
        django_capture_on_commit_callbacks,
        kind="public",
        text="Yes, in 3 days!",
    )

    assert response.status_code == 302
    reply = Reply.objects.get()
    assert (reply.status, reply.kind, reply.in_reply_to) == (
        Status.SENT,
        "public",
        thread.external_key,
    )
    under = graph.list_comment_replies(
        access_token=page_token(owner.workspace),
        comment_id=thread.external_key,
        platform=Platform.FACEBOOK,
    )
    assert [(c.text, c.author_id) for c in under] == [("Yes, in 3 days!", COFFEE)]
    assert reply.sent_message.external_id == under[0].id
    # Meta's webhook announcing our reply changes nothing: it shows once.
    relay()
    outbound = Message.objects.filter(thread=thread, direction=Message.Direction.OUTBOUND)
    assert [(m.text, m.sent_by_id, m.is_echo_matched) for m in outbound] == [
        ("Yes, in 3 days!", owner.user_id, True)
    ]


def test_an_instagram_public_reply_lands_under_the_comment(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = comment_thread(relay, sandbox, customer=seed.PRIYA_ID, on=MEDIA, text="Oat latte?")

    send(client_for(owner), thread, django_capture_on_commit_callbacks, kind="public", text="Back!")

    assert Reply.objects.get().status == Status.SENT
    under = graph.list_comment_replies(
        access_token=page_token(owner.workspace),
        comment_id=thread.external_key,
        platform=Platform.INSTAGRAM,
    )
    assert [c.text for c in under] == ["Back!"]


def test_a_private_reply_is_sent_once(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    client = client_for(owner)
    thread = comment_thread(relay, sandbox, customer=seed.PRIYA_ID, text="Price of beans?")

    send(client, thread, django_capture_on_commit_callbacks, kind="private", text="12 € a bag.")
    again = send(client, thread, django_capture_on_commit_callbacks, kind="private", text="Hi?")

    reply = Reply.objects.get()
    assert (reply.status, reply.messaging_type, reply.tag) == (Status.SENT, "RESPONSE", "")
    assert [m.text for m in sandbox_messages(sandbox)] == ["12 € a bag."]
    assert [m.comment_id for m in sandbox_messages(sandbox)] == [thread.external_key]
    assert again.status_code == 422
    assert "already sent for this comment" in again.content.decode()
    box = client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()
    assert 'data-testid="private-state" data-state="used"' in box
    # The echo of the private reply does not show it a second time anywhere.
    relay()
    assert Message.objects.filter(text="12 € a bag.").count() == 1


def test_a_private_reply_after_seven_days_is_refused_before_sending(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = comment_thread(relay, sandbox)
    age(thread, sandbox, hours=8 * 24)
    requests_before = len(sandbox.state.requests)

    response = send(
        client_for(owner), thread, django_capture_on_commit_callbacks, kind="private", text="Hi"
    )

    assert response.status_code == 422
    assert "more than 7 days old" in response.content.decode()
    assert Reply.objects.count() == 0
    assert len(sandbox.state.requests) == requests_before


# --- direct messages ----------------------------------------------------------------------------


def test_a_dm_within_24_hours_is_a_standard_response(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)

    send(client_for(owner), thread, django_capture_on_commit_callbacks, kind="dm", text="Till 6!")

    reply = Reply.objects.get()
    assert (reply.status, reply.messaging_type, reply.tag) == (Status.SENT, "RESPONSE", "")
    (sent,) = sandbox_messages(sandbox)
    assert (sent.text, sent.messaging_type, sent.tag) == ("Till 6!", "RESPONSE", None)
    assert reply.sent_message.external_id == sent.id


def test_an_image_from_the_library_is_sent_in_a_dm(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    from creatives.library.models import MediaAsset

    owner = inbox_connected
    image = MediaAsset.objects.create(
        workspace=owner.workspace,
        kind=MediaAsset.Kind.IMAGE,
        status=MediaAsset.Status.READY,
        original_filename="menu.png",
        storage_key="media/menu.png",
        content_type="image/png",
        size_bytes=120_000,
    )
    thread = dm_thread(relay, sandbox)
    box = client_for(owner).get(reverse("inbox:thread", args=["acme", thread.pk])).content
    assert f'<option value="{image.pk}">menu.png</option>'.encode() in box

    send(
        client_for(owner),
        thread,
        django_capture_on_commit_callbacks,
        kind="dm",
        text="",
        image=str(image.pk),
    )

    reply = Reply.objects.get()
    assert (reply.status, reply.image) == (Status.SENT, image)
    (sent,) = sandbox_messages(sandbox)
    assert sent.text is None
    assert [a["type"] for a in sent.attachments] == ["image"]
    assert sent.attachments[0]["url"].startswith(settings.PUBLIC_BASE_URL)  # a signed URL
    relay()  # the echo carries the image: still one message
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_after_24_hours_a_persons_reply_goes_as_human_agent(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    age(thread, sandbox, hours=30)

    send(client_for(owner), thread, django_capture_on_commit_callbacks, kind="dm", text="Sorry!")

    reply = Reply.objects.get()
    assert (reply.status, reply.messaging_type, reply.tag) == (
        Status.SENT,
        "MESSAGE_TAG",
        "HUMAN_AGENT",
    )
    (sent,) = sandbox_messages(sandbox)
    assert (sent.messaging_type, sent.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_after_24_hours_an_unchanged_ai_suggestion_is_refused(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    age(thread, sandbox, hours=30)
    suggestion = "Thanks for your message! We open at 8."

    refused = send(
        client_for(owner),
        thread,
        django_capture_on_commit_callbacks,
        kind="dm",
        text=suggestion,
        suggestion=suggestion,
    )

    assert refused.status_code == 422
    assert "only a reply a person writes may be sent now" in refused.content.decode()
    assert Reply.objects.count() == 0
    assert sandbox_messages(sandbox) == []


def test_an_edited_ai_suggestion_is_a_persons_reply(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    age(thread, sandbox, hours=30)
    suggestion = "Thanks for your message! We open at 8."

    send(
        client_for(owner),
        thread,
        django_capture_on_commit_callbacks,
        kind="dm",
        text=suggestion + " See you, Priya.",
        suggestion=suggestion,
    )

    reply = Reply.objects.get()
    assert (reply.written_by_person, reply.status, reply.tag) == (True, Status.SENT, "HUMAN_AGENT")


def test_after_seven_days_a_dm_is_refused_before_sending(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    client = client_for(owner)
    thread = dm_thread(relay, sandbox)
    age(thread, sandbox, hours=8 * 24)

    refused = send(client, thread, django_capture_on_commit_callbacks, kind="dm", text="Hello?")
    page = client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()

    assert refused.status_code == 422
    assert "more than 7 days old" in refused.content.decode()
    assert Reply.objects.count() == 0
    assert sandbox_messages(sandbox) == []
    assert 'data-testid="reply-closed"' in page
    assert "Closed since" in page


def test_the_window_is_checked_again_when_the_job_runs(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    with django_capture_on_commit_callbacks():  # queued, not run yet
        client_for(owner).post(reply_url(thread), {"kind": "dm", "text": "Later"})
    age(thread, sandbox, hours=8 * 24)  # the worker was late by a week

    replies.run_reply(reply_id=Reply.objects.get().pk)

    reply = Reply.objects.get()
    assert (reply.status, reply.retryable, reply.text) == (Status.FAILED, False, "Later")
    assert "more than 7 days old" in reply.error
    assert sandbox_messages(sandbox) == []


def test_a_person_who_blocked_the_page_fails_with_the_reason_and_keeps_the_text(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    client = client_for(owner)
    thread = dm_thread(relay, sandbox)
    sandbox.state.update_customer(seed.PRIYA_ID, blocked_asset_ids=[COFFEE, IG_COFFEE])

    send(client, thread, django_capture_on_commit_callbacks, kind="dm", text="Your order is ready")

    reply = Reply.objects.get()
    assert (reply.status, reply.retryable, reply.text) == (
        Status.FAILED,
        False,
        "Your order is ready",
    )
    assert "isn't available right now" in reply.error
    assert reply.sent_message is None
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    box = client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()
    assert "isn&#x27;t available right now" in box
    assert 'data-testid="retry"' not in box


def test_a_rate_limit_is_retryable_and_retry_sends(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    client = client_for(owner)
    thread = dm_thread(relay, sandbox)
    sandbox.state.add_fault(
        method="POST", path=f"/{COFFEE}/messages", error={"code": 613}, times=None
    )

    send(client, thread, django_capture_on_commit_callbacks, kind="dm", text="Coming up")

    reply = Reply.objects.get()
    assert (reply.status, reply.retryable, reply.text) == (Status.FAILED, True, "Coming up")
    assert "press Retry" in reply.error
    assert (
        'data-testid="retry"'
        in client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()
    )

    sandbox.state.clear_faults()
    url = reverse("inbox:reply_retry", args=["acme", thread.pk, reply.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.status, reply.error, reply.retryable) == (Status.SENT, "", False)
    assert [m.text for m in sandbox_messages(sandbox)] == ["Coming up"]


def test_retry_is_refused_for_a_reply_that_cannot_succeed(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    sandbox.state.update_customer(seed.PRIYA_ID, blocked_asset_ids=[COFFEE, IG_COFFEE])
    send(client_for(owner), thread, django_capture_on_commit_callbacks, kind="dm", text="Hi")
    reply = Reply.objects.get()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(owner).post(
            reverse("inbox:reply_retry", args=["acme", thread.pk, reply.pk])
        )

    assert response.status_code == 422
    assert callbacks == []
    assert Reply.objects.get().status == Status.FAILED


# --- lost answers and echoes --------------------------------------------------------------------


def test_a_lost_answer_is_not_sent_again_and_the_echo_confirms_it(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    # Meta sends the message, then the connection drops before its answer reaches us.
    sandbox.state.add_fault(method="POST", path=f"/{COFFEE}/messages", drop=True, after_write=True)

    send(
        client_for(owner), thread, django_capture_on_commit_callbacks, kind="dm", text="On its way"
    )

    reply = Reply.objects.get()
    assert (reply.status, reply.sent_message) == (Status.SENDING, None)
    assert reply.send_started_at is not None
    # The next run (its time come) does not send again: no echo yet, it looks later.
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert replies.run_reply(reply_id=reply.pk) == Status.SENDING
    assert len(sandbox_messages(sandbox)) == 1

    relay()  # Meta's echo of the message arrives
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    assert replies.run_reply(reply_id=reply.pk) == Status.SENT

    reply.refresh_from_db()
    outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert [(m.text, m.sent_by_id) for m in outbound] == [("On its way", owner.user_id)]
    assert reply.sent_message == outbound.get()
    assert len(sandbox_messages(sandbox)) == 1


def test_a_lost_answer_without_an_echo_ends_unknown_and_a_late_echo_confirms_it(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    client = client_for(owner)
    thread = dm_thread(relay, sandbox)
    sandbox.state.add_fault(method="POST", path=f"/{COFFEE}/messages", drop=True, after_write=True)
    send(client, thread, django_capture_on_commit_callbacks, kind="dm", text="Shipped")
    reply = Reply.objects.get()
    # The echo wait passed without an echo (the webhook is late).
    Reply.objects.filter(pk=reply.pk).update(
        send_started_at=timezone.now() - replies.ECHO_WAIT - timedelta(seconds=1),
        next_attempt_at=timezone.now(),
    )

    assert replies.run_reply(reply_id=reply.pk) == Status.UNKNOWN

    reply.refresh_from_db()
    assert (reply.status, reply.retryable, reply.text) == (Status.UNKNOWN, False, "Shipped")
    assert "Check the conversation on Facebook before sending it again" in reply.error
    page = client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()
    assert f'data-testid="reply-{reply.pk}" data-status="unknown"' in page
    assert 'data-testid="retry"' not in page
    assert len(sandbox_messages(sandbox)) == 1

    relay()  # the echo, late
    replies.sweep_replies()

    reply.refresh_from_db()
    assert reply.status == Status.SENT
    assert reply.sent_message.text == "Shipped"
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_a_worker_that_died_mid_call_does_not_send_twice(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    owner = inbox_connected
    thread = dm_thread(relay, sandbox)
    with django_capture_on_commit_callbacks():
        client_for(owner).post(reply_url(thread), {"kind": "dm", "text": "Once"})
    reply = Reply.objects.get()
    # A worker claimed it, marked it in flight and died (its lease ran out).
    lease = jobs.claim(replies.REPLIES, reply.pk)
    lease.update(send_started_at=timezone.now())
    Reply.objects.filter(pk=reply.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert replies.run_reply(reply_id=reply.pk) == Status.SENDING

    assert sandbox_messages(sandbox) == []  # nothing sent: it waits for an echo instead


@pytest.mark.django_db(transaction=True)
def test_an_echo_before_the_answer_shows_the_message_once(
    inbox_connected, sandbox, live_server, tasks_inline
):
    """Meta's answer is slow; its echo reaches ProSocial's webhook (live) and is processed first."""
    owner = inbox_connected
    webhooks = sandbox.state.webhooks
    for object_type, fields in graph.APP_SUBSCRIBED_FIELDS.items():
        webhooks.subscribe_app(
            object_type=object_type,
            callback_url=f"{live_server.url}/meta/webhooks/",
            fields=fields,
        )
    webhooks.start()  # the sandbox delivers webhooks as they happen, like Meta
    try:
        sandbox.state.customer_message(customer_id=seed.PRIYA_ID, to=COFFEE, text="Open?")
        thread = _wait_for(lambda: Thread.objects.filter(kind=Thread.Kind.DM).first())
        sandbox.state.add_fault(
            method="POST", path=f"/{COFFEE}/messages", latency_ms=2000, after_write=True
        )
        # No transaction around the test: the reply job runs at the request's COMMIT.
        client_for(owner).post(reply_url(thread), {"kind": "dm", "text": "Echo first"})
    finally:
        webhooks.stop()

    reply = Reply.objects.get()
    outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert reply.status == Status.SENT
    assert [(m.text, m.sent_by_id, m.is_echo_matched) for m in outbound] == [
        ("Echo first", owner.user_id, True)
    ]
    assert reply.sent_message == outbound.get()
    echo = WebhookEvent.objects.get(payload__message__is_echo=True)
    assert (echo.status, echo.received_at < reply.sent_at) == ("processed", True)


def _wait_for(find, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError("the webhook did not arrive")


# --- approvals ----------------------------------------------------------------------------------


@pytest.fixture
def approvals(inbox_connected):
    workspace = inbox_connected.workspace
    workspace.requires_publish_approval = True
    workspace.save(update_fields=["requires_publish_approval"])
    return workspace


def test_an_editors_reply_waits_for_approval_then_is_sent(
    approvals,
    inbox_connected,
    editor,
    admin,
    sandbox,
    relay,
    tasks_inline,
    django_capture_on_commit_callbacks,
):
    thread = dm_thread(relay, sandbox)
    page = client_for(editor).get(reverse("inbox:thread", args=["acme", thread.pk])).content
    assert "waits for an owner's or admin's approval" in page.decode()

    send(client_for(editor), thread, django_capture_on_commit_callbacks, kind="dm", text="Hi there")

    reply = Reply.objects.get()
    assert reply.status == Status.AWAITING_APPROVAL
    assert sandbox_messages(sandbox) == []
    told = Notification.objects.filter(kind="inbox.reply_submitted")
    assert sorted(n.recipient_id for n in told) == sorted([admin.user_id, inbox_connected.user_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            reverse("inbox:reply_approve", args=["acme", thread.pk, reply.pk])
        )

    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.status, reply.approved_by_id) == (Status.SENT, admin.user_id)
    assert [m.text for m in sandbox_messages(sandbox)] == ["Hi there"]
    assert Notification.objects.filter(kind="inbox.reply_approved", recipient=editor.user).exists()


def test_a_declined_reply_tells_its_author_and_can_be_resubmitted(
    approvals, editor, admin, sandbox, relay, django_capture_on_commit_callbacks
):
    thread = dm_thread(relay, sandbox)
    send(client_for(editor), thread, django_capture_on_commit_callbacks, kind="dm", text="Yo")
    reply = Reply.objects.get()

    response = client_for(admin).post(
        reverse("inbox:reply_decline", args=["acme", thread.pk, reply.pk]),
        {"note": "Greet them properly."},
    )

    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.status, reply.decision_note, reply.text) == (
        Status.DECLINED,
        "Greet them properly.",
        "Yo",
    )
    note = Notification.objects.get(kind="inbox.reply_declined")
    assert note.recipient == editor.user
    assert "Greet them properly." in note.body
    box = client_for(editor).get(reverse("inbox:thread", args=["acme", thread.pk])).content
    assert b"Edit and resubmit" in box

    client_for(editor).post(
        reverse("inbox:reply_resubmit", args=["acme", thread.pk, reply.pk]),
        {"text": "Hello Priya, we open at 8."},
    )
    reply.refresh_from_db()
    assert (reply.status, reply.text, reply.decision_note) == (
        Status.AWAITING_APPROVAL,
        "Hello Priya, we open at 8.",
        "",
    )


def test_declining_needs_a_note(
    approvals, editor, admin, sandbox, relay, django_capture_on_commit_callbacks
):
    thread = dm_thread(relay, sandbox)
    send(client_for(editor), thread, django_capture_on_commit_callbacks, kind="dm", text="Yo")
    reply = Reply.objects.get()

    response = client_for(admin).post(
        reverse("inbox:reply_decline", args=["acme", thread.pk, reply.pk]), {"note": " "}
    )

    assert response.status_code == 422
    assert Reply.objects.get().status == Status.AWAITING_APPROVAL


def test_an_admins_reply_is_sent_without_approval(
    approvals, admin, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks
):
    thread = dm_thread(relay, sandbox)

    send(client_for(admin), thread, django_capture_on_commit_callbacks, kind="dm", text="Sure")

    assert Reply.objects.get().status == Status.SENT


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"kind": "dm", "text": "   "}, "Write a message or choose an image."),
        ({"kind": "dm", "text": "x" * 2001}, "at most 2000 characters"),
        ({"kind": "dm", "text": "x" * 20001}, "at most 20000 characters"),
        ({"kind": "public", "text": "Hi"}, "does not fit this conversation"),
        ({"kind": "shout", "text": "Hi"}, "Choose how to reply."),
        ({"kind": "dm", "text": "", "image": "-1"}, "Choose an image"),
        ({"kind": "dm", "text": "", "image": "abc"}, "Choose an image"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks, data, says
):
    _case = f"{data} → {says}"
    thread = dm_thread(relay, sandbox)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(inbox_connected).post(reply_url(thread), data)

    assert response.status_code == 422, _case
    assert says in response.content.decode(), _case
    assert Reply.objects.count() == 0, _case
    assert callbacks == [], _case


def test_an_instagram_dm_is_limited_to_1000_bytes(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    thread = dm_thread(relay, sandbox, to=IG_COFFEE)
    assert thread.channel == "instagram"

    response = client_for(inbox_connected).post(
        reply_url(thread), {"kind": "dm", "text": "é" * 501}
    )

    assert response.status_code == 422
    assert "at most 1000 bytes" in response.content.decode()
    assert Reply.objects.count() == 0


def test_another_workspaces_image_is_refused(
    inbox_connected, outsider, sandbox, relay, django_capture_on_commit_callbacks
):
    from creatives.library.models import MediaAsset

    foreign = MediaAsset.objects.create(
        workspace=outsider.workspace,
        kind=MediaAsset.Kind.IMAGE,
        status=MediaAsset.Status.READY,
        original_filename="theirs.jpg",
        storage_key="media/theirs.jpg",
        content_type="image/jpeg",
        size_bytes=1000,
    )
    thread = dm_thread(relay, sandbox)

    response = client_for(inbox_connected).post(
        reply_url(thread), {"kind": "dm", "text": "", "image": str(foreign.pk)}
    )

    assert response.status_code == 422
    assert "Choose an image from this workspace" in response.content.decode()
    assert Reply.objects.count() == 0


def test_an_htmx_refusal_swaps_the_box_with_the_text_kept(
    inbox_connected, sandbox, relay, django_capture_on_commit_callbacks
):
    thread = dm_thread(relay, sandbox)
    age(thread, sandbox, hours=8 * 24)

    response = client_for(inbox_connected).post(
        reply_url(thread), {"kind": "dm", "text": "Keep me"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert body.lstrip().startswith("<script") is False
    assert 'id="reply-box"' in body
    assert 'data-testid="reply-error"' in body


# --- roles and tenancy ----------------------------------------------------------------------------


def _urls(thread, reply, message):
    slug, pk = "acme", thread.pk
    return {
        "reply": reverse("inbox:reply", args=[slug, pk]),
        "retry": reverse("inbox:reply_retry", args=[slug, pk, reply.pk]),
        "approve": reverse("inbox:reply_approve", args=[slug, pk, reply.pk]),
        "decline": reverse("inbox:reply_decline", args=[slug, pk, reply.pk]),
        "resubmit": reverse("inbox:reply_resubmit", args=[slug, pk, reply.pk]),
        "hide": reverse("inbox:comment_hide", args=[slug, pk, message.pk]),
        "unhide": reverse("inbox:comment_unhide", args=[slug, pk, message.pk]),
        "delete": reverse("inbox:comment_delete", args=[slug, pk, message.pk]),
    }


EXPECTED = {
    # persona: {url name: status}; anything not listed is the persona's default
    "viewer": {"_": 403},
    "editor": {"approve": 403, "decline": 403, "delete": 403, "_": None},
    "outsider": {"_": 404},
}


@pytest.mark.parametrize("persona", ["viewer", "editor", "outsider"])
def test_roles_and_tenancy_on_every_reply_url(cast, persona):
    from tests.inbox.factories import MessageFactory, ThreadFactory

    workspace = cast["owner"].workspace
    thread = ThreadFactory(workspace=workspace)
    message = MessageFactory(thread=thread, external_id="1_2")
    reply = Reply.objects.create(
        workspace=workspace,
        thread=thread,
        kind="public",
        text="Hi",
        status=Status.AWAITING_APPROVAL,
    )
    before = list(Reply.objects.values_list("pk", "status", "text"))
    expected = EXPECTED[persona]

    for name, url in _urls(thread, reply, message).items():
        status = expected.get(name, expected["_"])
        if status is None:
            continue
        _case = f"{persona} {name}"
        response = client_for(cast[persona]).post(url, {"kind": "public", "text": "x", "note": "n"})
        assert response.status_code == status, _case

    assert list(Reply.objects.values_list("pk", "status", "text")) == before
    message.refresh_from_db()
    assert (message.is_hidden, message.is_deleted) == (False, False)


def test_a_reply_of_another_thread_is_404(cast):
    from tests.inbox.factories import ThreadFactory

    workspace = cast["owner"].workspace
    mine, other = ThreadFactory(workspace=workspace), ThreadFactory(workspace=workspace)
    reply = Reply.objects.create(
        workspace=workspace, thread=other, kind="public", text="Hi", status=Status.AWAITING_APPROVAL
    )

    response = client_for(cast["owner"]).post(
        reverse("inbox:reply_approve", args=["acme", mine.pk, reply.pk])
    )

    assert response.status_code == 404
    assert Reply.objects.get().status == Status.AWAITING_APPROVAL


def test_the_status_list_is_readable_by_viewers_and_404_for_outsiders(cast):
    from tests.inbox.factories import ThreadFactory

    thread = ThreadFactory(workspace=cast["owner"].workspace)
    url = reverse("inbox:reply_status", args=["acme", thread.pk])

    assert client_for(cast["viewer"]).get(url).status_code == 200
    assert client_for(cast["outsider"]).get(url).status_code == 404


def test_a_thread_of_another_workspace_is_404(outsider, owner):
    from tests.inbox.factories import ThreadFactory

    theirs = ThreadFactory(workspace=outsider.workspace)

    response = client_for(owner).post(
        reverse("inbox:reply", args=["acme", theirs.pk]), {"kind": "public", "text": "Hi"}
    )

    assert response.status_code == 404
    assert Reply.objects.count() == 0


def test_the_thread_page_shows_the_box_to_editors_and_not_the_form_to_viewers(cast):
    from tests.inbox.factories import MessageFactory, ThreadFactory

    thread = ThreadFactory(workspace=cast["owner"].workspace)
    MessageFactory(thread=thread, external_id=thread.external_key)
    url = reverse("inbox:thread", args=["acme", thread.pk])

    editor_page = client_for(cast["editor"]).get(url).content.decode()
    viewer_page = client_for(cast["viewer"]).get(url).content.decode()

    assert 'data-testid="reply-form"' in editor_page
    assert "Reply publicly" in editor_page
    assert 'data-testid="reply-form"' not in viewer_page
    assert Thread.objects.count() == 1
