"""When webhooks miss something: the backfill and the reconcile read Meta back (inbox.reconcile).

A workspace connected to the real sandbox over HTTP (``tests/inbox/sandbox_inbox.py``); the
customer is played in-process (``sandbox.state.customer_*``) and the sandbox's webhook knob
``never`` drops what would have been delivered. Runs are queued and run as a worker would.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox import reconcile
from inbox.models import Contact, Message, SyncRun, Thread
from meta_integration import graph
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage, WebhookEvent
from meta_sandbox import seed
from publishing.models import Publication, Target
from tests.conftest import client_for
from tests.inbox.sandbox_inbox import (  # noqa: F401 - fixtures
    COFFEE,
    IG_COFFEE,
    inbox_connected_fixture,
    no_waits_fixture,
    page_token,
    receiver_fixture,
    relay_fixture,
)
from tests.meta_integration.helpers import connect

Status = SyncRun.Status
Kind = SyncRun.Kind


def _page(workspace) -> MetaPage:
    return MetaPage.objects.get(workspace=workspace, page_id=COFFEE)


def _instagram(workspace) -> InstagramAccount:
    return InstagramAccount.objects.get(workspace=workspace, ig_user_id=IG_COFFEE)


def run(asset, kind=Kind.RECONCILE) -> SyncRun:
    """Queue a run of ``asset`` and run it as a worker would."""
    queued = reconcile.queue_sync_run(asset=asset, kind=kind)
    assert queued is not None
    reconcile.run_sync(run_id=queued.pk)
    queued.refresh_from_db()
    return queued


def app_post(workspace, message="Cold brew is back") -> str:
    """The Page posts (as ProSocial does): listed by the Page's /feed."""
    return graph.GraphClient(page_token(workspace)).post(f"/{COFFEE}/feed", {"message": message})[
        "id"
    ]


def drop_webhooks(sandbox, count=1):
    sandbox.state.webhooks.set_faults(never=count)


def snapshot():
    return (
        sorted(Thread.objects.values_list("pk", "updated_at")),
        sorted(Message.objects.values_list("pk", "updated_at")),
    )


# --- what webhooks missed -----------------------------------------------------------------------


def test_a_dropped_comment_is_found_by_the_reconcile(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    relay()
    drop_webhooks(sandbox)
    comment = sandbox.state.customer_comment(
        customer_id=seed.MARIA_ID, object_id=post_id, message="Oat milk too?"
    )
    assert relay() == 0  # dropped: nothing reached the inbox
    assert not Message.objects.filter(external_id=comment.id).exists()

    done = run(_page(workspace))

    assert (done.status, done.removed) == (Status.SUCCEEDED, 0)
    # The comment, and the seeded Messenger messages of the last 48 hours nobody had sent.
    assert done.created == Message.objects.count() == 4
    assert f"{done.seen} read from Meta: 4 new" in done.message
    thread = Thread.objects.get(external_key=comment.id)
    assert (thread.kind, thread.post_id, thread.is_unread, thread.snippet) == (
        "comment",
        post_id,
        True,
        "Oat milk too?",
    )
    message = thread.messages.get()
    assert (message.author_name, message.direction) == ("Maria Lopez", "inbound")
    assert thread.contact.name == "Maria Lopez"


def test_a_webhook_delivered_after_the_reconcile_changes_nothing(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    relay()
    sandbox.state.webhooks.pause()  # late, not lost: held until after the reconcile
    comment = sandbox.state.customer_comment(
        customer_id=seed.PRIYA_ID, object_id=post_id, message="Is it decaf?"
    )
    sandbox.state.customer_message(customer_id=seed.TOM_ID, to=COFFEE, text="Open late today?")
    run(_page(workspace))
    before = snapshot()
    assert Message.objects.filter(external_id=comment.id).exists()

    sandbox.state.webhooks.resume()
    assert relay() == 2

    assert snapshot() == before  # not a row added, not a field written
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Thread.objects.filter(external_key=comment.id).count() == 1


def test_a_reconcile_after_webhooks_changes_nothing(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    sandbox.state.customer_comment(customer_id=seed.MARIA_ID, object_id=post_id, message="Hi!")
    sandbox.state.customer_message(customer_id=seed.TOM_ID, to=COFFEE, text="Hello")
    relay()
    run(_page(workspace), kind=Kind.BACKFILL)
    before = snapshot()

    again = run(_page(workspace))

    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert snapshot() == before


def test_a_dropped_dm_is_found_with_the_customers_name(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    drop_webhooks(sandbox)
    sent = sandbox.state.customer_message(
        customer_id=seed.TOM_ID, to=COFFEE, text="Do you roast on Mondays?"
    )
    assert relay() == 0

    done = run(_page(workspace))

    message = Message.objects.get(external_id=sent.id)
    thread = message.thread
    tom = sandbox.state.engagement.customers[seed.TOM_ID]
    assert (thread.kind, thread.external_key, thread.is_unread) == ("dm", tom.psid(COFFEE), True)
    assert (message.text, message.direction) == ("Do you roast on Mondays?", "inbound")
    assert thread.contact.name == "Tom Becker"
    assert done.status == Status.SUCCEEDED


def test_a_dropped_instagram_dm_and_comment_are_found(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    drop_webhooks(sandbox, 2)
    dm = sandbox.state.customer_message(customer_id=seed.MARIA_ID, to=IG_COFFEE, text="Hola!")
    comment = sandbox.state.customer_comment(
        customer_id=seed.TOM_ID, object_id=seed.SEED_MEDIA_COFFEE_ID, message="Which beans?"
    )
    # The seeded media is not listed by /media; ProSocial published it, so it knows it.
    Publication.objects.create(
        workspace=workspace,
        title="Pour-over Sunday",
        target=Target.IG_FEED,
        status=Publication.Status.PUBLISHED,
        instagram_meta_id=IG_COFFEE,
        remote_id=seed.SEED_MEDIA_COFFEE_ID,
        published_at=timezone.now() - timedelta(days=2),
    )
    assert relay() == 0

    done = run(_instagram(workspace))

    assert done.status == Status.SUCCEEDED
    maria = sandbox.state.engagement.customers[seed.MARIA_ID]
    dm_thread = Message.objects.get(external_id=dm.id).thread
    assert (dm_thread.channel, dm_thread.external_key) == ("instagram", maria.igsid(IG_COFFEE))
    assert dm_thread.contact.username == "maria.eats.oakland"
    comment_thread = Message.objects.get(external_id=comment.id).thread
    assert (comment_thread.channel, comment_thread.post_id) == (
        "instagram",
        seed.SEED_MEDIA_COFFEE_ID,
    )
    # The seeded comment on that media came along.
    assert Message.objects.filter(external_id=seed.SEED_COMMENT_PRIYA_IG_ID).exists()


def test_a_comment_deleted_while_webhooks_were_down_is_removed_after_meta_says_so(
    inbox_connected, sandbox, relay
):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    comment = sandbox.state.customer_comment(
        customer_id=seed.MARIA_ID, object_id=post_id, message="Wrong post, sorry"
    )
    relay()
    drop_webhooks(sandbox)
    sandbox.state.customer_delete_comment(comment_id=comment.id)
    assert relay() == 0
    requests_before = len(sandbox.state.requests)

    done = run(_page(workspace))

    message = Message.objects.get(external_id=comment.id)
    assert (message.is_deleted, message.text) == (True, "")
    assert done.removed == 1
    asked = [r.path for r in list(sandbox.state.requests)[requests_before:] if r.method == "GET"]
    assert any(path.endswith(f"/{comment.id}") for path in asked)  # a GET answered 100/33


def test_a_comment_meta_did_not_list_is_kept_when_it_still_exists(
    inbox_connected, sandbox, relay, monkeypatch
):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    for n in range(graph.MAX_COMMENT_PAGES):
        sandbox.state.customer_comment(
            customer_id=seed.TOM_ID, object_id=post_id, message=f"Earlier {n}"
        )
    late = sandbox.state.customer_comment(
        customer_id=seed.MARIA_ID, object_id=post_id, message="Past the paging cap"
    )
    relay()
    # One comment per page: the listing stops at its page cap before the last comment.
    monkeypatch.setattr(graph, "COMMENT_PAGE_SIZE", 1)

    done = run(_page(workspace))

    assert (done.status, done.removed) == (Status.SUCCEEDED, 0)
    assert Message.objects.get(external_id=late.id).is_deleted is False


def test_edits_and_hides_webhooks_missed_are_applied(inbox_connected, sandbox, relay):
    workspace = inbox_connected.workspace
    post_id = app_post(workspace)
    comment = sandbox.state.customer_comment(
        customer_id=seed.MARIA_ID, object_id=post_id, message="Typo"
    )
    relay()
    drop_webhooks(sandbox, 2)
    sandbox.state.customer_edit_comment(comment_id=comment.id, message="Fixed it")
    with sandbox.state.lock:
        from meta_sandbox import engagement

        engagement.set_hidden(sandbox.state, sandbox.state.engagement.comments[comment.id], True)
    assert relay() == 0

    done = run(_page(workspace))

    message = Message.objects.get(external_id=comment.id)
    assert (message.text, message.is_hidden) == ("Fixed it", True)
    assert message.edited_at is not None
    assert done.updated == 1
    assert Thread.objects.get(external_key=comment.id).snippet == "Fixed it"


def test_a_rate_limit_retries_later_and_writes_nothing(inbox_connected, sandbox, relay, settings):
    settings.META_MAX_RETRIES = 0
    workspace = inbox_connected.workspace
    drop_webhooks(sandbox)
    sent = sandbox.state.customer_message(customer_id=seed.TOM_ID, to=COFFEE, text="Anyone?")
    relay()
    # Comments read fine; Meta then rate-limits the conversations.
    sandbox.state.add_fault(method="GET", path="/*/conversations", error={"code": 4}, times=1)
    before = snapshot()

    first = run(_page(workspace))

    assert (first.status, first.attempts) == (Status.QUEUED, 1)
    assert first.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert "limit" in first.error.lower()
    assert snapshot() == before  # nothing half-written
    assert not Message.objects.filter(external_id=sent.id).exists()

    SyncRun.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    reconcile.run_sync(run_id=first.pk)

    first.refresh_from_db()
    assert (first.status, first.attempts, first.error) == (Status.SUCCEEDED, 2, "")
    assert Message.objects.filter(external_id=sent.id).exists()


def test_only_one_run_per_account_at_a_time(inbox_connected):
    page = _page(inbox_connected.workspace)

    first = reconcile.queue_sync_run(asset=page, kind=Kind.RECONCILE)
    second = reconcile.queue_sync_run(asset=page, kind=Kind.RECONCILE)

    assert first is not None
    assert second is None
    assert SyncRun.objects.count() == 1


def test_the_planner_backfills_first_then_reconciles(inbox_connected, sandbox):
    workspace = inbox_connected.workspace
    # inbox_connected selects every Page and Instagram account of the connection.
    expected = MetaPage.objects.filter(workspace=workspace).count() + 2

    assert reconcile.plan_reconciles() == expected
    assert set(SyncRun.objects.values_list("kind", flat=True)) == {Kind.BACKFILL}
    assert reconcile.plan_reconciles() == 0  # all still queued
    for pk in SyncRun.objects.values_list("pk", flat=True):
        reconcile.run_sync(run_id=pk)
    assert set(SyncRun.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}

    assert reconcile.plan_reconciles() == expected
    assert SyncRun.objects.filter(kind=Kind.RECONCILE).count() == expected


def test_a_run_of_an_unselected_account_does_nothing(inbox_connected):
    page = _page(inbox_connected.workspace)
    queued = reconcile.queue_sync_run(asset=page, kind=Kind.RECONCILE)
    MetaPage.objects.filter(pk=page.pk).update(is_selected=False)

    reconcile.run_sync(run_id=queued.pk)

    queued.refresh_from_db()
    assert queued.status == Status.SUCCEEDED
    assert "no longer used" in queued.message
    assert Thread.objects.count() == 0


# --- backfill on selecting a Page ---------------------------------------------------------------


def test_selecting_a_page_backfills_its_conversations_and_recent_comments(
    owner, sandbox, no_waits, tasks_inline, django_capture_on_commit_callbacks
):
    response = connect(client_for(owner), sandbox)
    assert response.status_code == 302
    connection = MetaConnection.objects.get(workspace=owner.workspace)
    page = MetaPage.objects.get(connection=connection, page_id=COFFEE)
    token = page.access_token
    post_id = graph.GraphClient(token).post(f"/{COFFEE}/feed", {"message": "New mugs"})["id"]
    sandbox.state.customer_comment(customer_id=seed.PRIYA_ID, object_id=post_id, message="Nice!")

    url = reverse("meta_integration:connection", args=[owner.workspace.slug, connection.pk])
    # The worker (in this process): the Page's subscription job, then the backfill it queues
    # once Meta confirmed the subscription.
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(url, {"pages": [page.pk]})
    assert response.status_code == 302

    assert sandbox.state.webhooks.page_fields.get(COFFEE)  # subscribed first
    backfill = SyncRun.objects.get()
    assert (backfill.kind, backfill.account_meta_id, backfill.status) == (
        Kind.BACKFILL,
        COFFEE,
        Status.SUCCEEDED,
    )
    assert backfill.since < timezone.now() - timedelta(days=29)
    # The seeded Messenger conversations of the Page (Maria, Kenji), and the new comment.
    keys = set(Thread.objects.values_list("kind", "external_key"))
    maria = sandbox.state.engagement.customers[seed.MARIA_ID]
    kenji = sandbox.state.engagement.customers[seed.KENJI_ID]
    assert ("dm", maria.psid(COFFEE)) in keys
    assert ("dm", kenji.psid(COFFEE)) in keys
    assert Thread.objects.filter(kind="comment", post_id=post_id).count() == 1
    maria_thread = Thread.objects.get(external_key=maria.psid(COFFEE))
    assert list(maria_thread.messages.values_list("direction", "text")) == [
        ("inbound", "Hi! Are you open on Sunday?"),
        ("outbound", "Yes, 8am to 2pm."),
    ]
    assert Contact.objects.get(meta_id=maria.psid(COFFEE)).name == "Maria Lopez"
    assert backfill.created == Message.objects.count()

    # Checking the subscription again (Resubscribe, the periodic check) does not backfill twice.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("meta_integration:resubscribe", args=[owner.workspace.slug, connection.pk])
        )
    assert SyncRun.objects.count() == 1


# --- mentions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("in_comment", [True, False], ids=["in_a_comment", "in_a_caption"])
def test_a_mentions_details_are_read_once_it_arrives(
    inbox_connected, sandbox, relay, tasks_inline, django_capture_on_commit_callbacks, in_comment
):
    text = "Best flat white in town @riveracoffee"
    sandbox.state.customer_mention(
        customer_id=seed.TOM_ID, ig_user_id=IG_COFFEE, text=text, in_comment=in_comment
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert relay() == 1

    thread = Thread.objects.get(kind=Thread.Kind.MENTION)
    message = thread.messages.get()
    assert (message.text, message.author_name) == (text, "@tombecker.photo")
    assert thread.snippet == text
    assert thread.post_caption == ("" if in_comment else text)


def test_a_mention_whose_details_could_not_be_read_is_filled_by_the_reconcile(
    inbox_connected, sandbox, relay
):
    sandbox.state.customer_mention(
        customer_id=seed.MARIA_ID, ig_user_id=IG_COFFEE, text="@riveracoffee yes", in_comment=True
    )
    relay()  # the details task was not run (no worker): the mention has ids only
    message = Message.objects.get(thread__kind=Thread.Kind.MENTION)
    assert message.text == ""

    done = run(_instagram(inbox_connected.workspace))

    message.refresh_from_db()
    assert (message.text, message.author_name) == ("@riveracoffee yes", "@maria.eats.oakland")
    assert done.updated >= 1

    # A repeat of the mention webhook does not blank what was read.
    sandbox.state.webhooks.flush()
    before = snapshot()
    run_again = run(_instagram(inbox_connected.workspace))
    assert run_again.updated == 0
    assert snapshot() == before
