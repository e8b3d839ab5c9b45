"""From Meta's signed POST to a thread: the view stores and queues, the job processes.

The job runs through Celery: in this process (``tasks_inline``, on-commit callbacks executed),
through the sweeper, and once in a real worker process.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.ingest import EVENTS, sweep_webhook_events
from inbox.models import Message, Thread
from meta_integration.models import WebhookEvent
from prosocial import jobs
from tests.inbox.meta_events import (
    APP_SECRET,
    PSID,
    connect,
    dm,
    encode,
    fb_comment,
    sign,
    store,
)

URL = "/meta/webhooks/"
Status = WebhookEvent.Status


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.META_APP_SECRET = APP_SECRET


def post(client, document):
    body = encode(document)
    return client.post(
        URL, data=body, content_type="application/json", headers={"X-Hub-Signature-256": sign(body)}
    )


def test_a_signed_comment_webhook_ends_as_a_thread(
    client, workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fb_comment("930145403745849_1"))

    assert (response.status_code, response.json()) == (200, {"stored": 1})
    event = WebhookEvent.objects.get()
    assert (event.status, event.is_processed, event.attempts) == (Status.PROCESSED, True, 1)
    thread = Thread.objects.get()
    assert (thread.workspace, thread.kind, thread.external_key, thread.is_unread) == (
        workspace,
        "comment",
        "930145403745849_1",
        True,
    )


def test_the_view_only_stores_and_queues_after_commit(
    client, workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)

    with django_capture_on_commit_callbacks() as callbacks:
        post(client, dm("m_1"))

    # Stored, not processed: processing waits for the COMMIT.
    assert (WebhookEvent.objects.get().status, Thread.objects.count()) == (Status.PENDING, 0)
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    assert WebhookEvent.objects.get().status == Status.PROCESSED
    assert Thread.objects.get().external_key == PSID


def test_a_nul_character_in_a_comment_is_stored_without_it(
    client, workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fb_comment("1_1", message="nul\u0000here", field_hint="\u0000"))

    assert (response.status_code, response.json()) == (200, {"stored": 1})
    event = WebhookEvent.objects.get()
    assert (event.payload["value"]["message"], event.payload["value"]["field_hint"]) == (
        "nulhere",
        "",
    )
    assert Thread.objects.get().snippet == "nulhere"


def test_events_nobody_uses_queue_nothing(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, fb_comment())

    assert response.json() == {"stored": 1}
    assert callbacks == []
    assert WebhookEvent.objects.get().status == Status.UNROUTED


def test_a_batch_is_one_thread_per_comment(
    client, workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)
    batch = fb_comment("1_1")
    batch["entry"] += fb_comment("1_2", message="Second")["entry"]

    with django_capture_on_commit_callbacks(execute=True):
        post(client, batch)

    assert sorted(Thread.objects.values_list("external_key", flat=True)) == ["1_1", "1_2"]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {Status.PROCESSED}


def test_the_sweeper_processes_what_was_left_behind(
    workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)
    lost, fresh = store(fb_comment("1_1")), store(fb_comment("1_2"))
    # The first one's message was lost a while ago; the second just arrived.
    WebhookEvent.objects.filter(pk=lost[0].pk).update(
        next_attempt_at=timezone.now() - jobs.SWEEP_GRACE - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        queued = sweep_webhook_events()

    assert queued == 1
    assert list(Thread.objects.values_list("external_key", flat=True)) == ["1_1"]
    assert WebhookEvent.objects.get(pk=fresh[0].pk).status == Status.PENDING


def test_an_event_whose_worker_died_is_taken_back(
    workspace, tasks_inline, django_capture_on_commit_callbacks
):
    connect(workspace)
    (event,) = store(dm("m_1"))
    lease = jobs.claim(EVENTS, event.pk)  # a worker claimed it, then died
    assert lease is not None
    WebhookEvent.objects.filter(pk=event.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_webhook_events() == 1

    event.refresh_from_db()
    assert (event.status, event.attempts) == (Status.PROCESSED, 2)
    assert Message.objects.get().external_id == "m_1"


@pytest.mark.worker
def test_a_real_worker_processes_a_posted_webhook(client, celery_worker_process, workspace):
    connect(workspace)

    # transactional_db (the worker fixture): the view's COMMIT is real, and so is the queue.
    response = post(client, fb_comment("930145403745849_7", message="From a real worker"))

    assert response.status_code == 200
    deadline = time.monotonic() + 30
    while not Thread.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    thread = Thread.objects.get()
    assert (thread.external_key, thread.snippet) == ("930145403745849_7", "From a real worker")
    assert WebhookEvent.objects.get().status == Status.PROCESSED
