"""Hiding, unhiding and deleting customers' comments from the inbox, on the sandbox and here."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from inbox.models import Message
from meta_integration import graph
from meta_integration.graph import GraphError, Platform
from meta_sandbox import seed
from tests.conftest import client_for
from tests.inbox.sandbox_inbox import (  # noqa: F401 - fixtures
    MEDIA,
    comment_thread,
    inbox_connected_fixture,
    no_waits_fixture,
    page_token,
    receiver_fixture,
    relay_fixture,
)


def url(name, thread, message) -> str:
    return reverse(f"inbox:{name}", args=["acme", thread.pk, message.pk])


def at_meta(workspace, comment_id, platform=Platform.FACEBOOK) -> graph.Comment:
    return graph.get_comment(
        access_token=page_token(workspace), comment_id=comment_id, platform=platform
    )


@pytest.mark.parametrize(
    ("customer", "on", "platform"),
    [
        (seed.MARIA_ID, seed.SEED_POST_COFFEE_ID, Platform.FACEBOOK),
        (seed.PRIYA_ID, MEDIA, Platform.INSTAGRAM),
    ],
)
def test_hide_and_unhide_a_comment(inbox_connected, editor, sandbox, relay, customer, on, platform):
    thread = comment_thread(relay, sandbox, customer=customer, on=on, text="Spam spam")
    comment = Message.objects.get(thread=thread, external_id=thread.external_key)
    client = client_for(editor)

    hidden = client.post(url("comment_hide", thread, comment))

    assert hidden.status_code == 302
    comment.refresh_from_db()
    assert comment.is_hidden is True
    assert at_meta(editor.workspace, comment.external_id, platform).is_hidden is True
    page = client.get(reverse("inbox:thread", args=["acme", thread.pk])).content.decode()
    assert 'data-testid="hidden-badge"' in page
    assert 'data-testid="unhide"' in page

    client.post(url("comment_unhide", thread, comment))

    comment.refresh_from_db()
    assert comment.is_hidden is False
    assert at_meta(editor.workspace, comment.external_id, platform).is_hidden is False
    assert list(
        AuditEvent.objects.filter(action__startswith="inbox.comment_")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["inbox.comment_hidden", "inbox.comment_unhidden"]


def test_delete_asks_first_then_deletes_on_meta_and_here(inbox_connected, admin, sandbox, relay):
    thread = comment_thread(relay, sandbox, text="Rude words")
    comment = Message.objects.get(thread=thread, external_id=thread.external_key)
    client = client_for(admin)

    confirm = client.get(url("comment_delete", thread, comment))

    assert confirm.status_code == 200
    assert "Delete this comment on Facebook?" in confirm.content.decode()
    assert at_meta(admin.workspace, comment.external_id).text == "Rude words"

    done = client.post(url("comment_delete", thread, comment))

    assert done.status_code == 302
    comment.refresh_from_db()
    assert (comment.is_deleted, comment.text) == (True, "")
    with pytest.raises(GraphError) as gone:
        at_meta(admin.workspace, comment.external_id)
    assert (gone.value.code, gone.value.subcode) == (100, 33)
    assert AuditEvent.objects.filter(action="inbox.comment_deleted").count() == 1


def test_a_comment_already_gone_on_meta_is_deleted_here_too(inbox_connected, sandbox, relay):
    thread = comment_thread(relay, sandbox, text="Oops")
    comment = Message.objects.get(thread=thread, external_id=thread.external_key)
    sandbox.state.customer_delete_comment(comment_id=comment.external_id)  # webhook not here yet

    response = client_for(inbox_connected).post(url("comment_delete", thread, comment))

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.is_deleted is True


def test_the_accounts_own_reply_cannot_be_hidden(inbox_connected, sandbox, relay):
    thread = comment_thread(relay, sandbox)
    ours = Message.objects.create(
        thread=thread,
        workspace=thread.workspace,
        external_id=f"{thread.external_key}_ours",
        direction=Message.Direction.OUTBOUND,
        text="Thanks!",
    )

    response = client_for(inbox_connected).post(url("comment_hide", thread, ours))

    assert response.status_code == 422
    assert "Your own comments are always shown" in response.content.decode()
    ours.refresh_from_db()
    assert ours.is_hidden is False


def test_metas_refusal_is_shown_not_a_500(inbox_connected, sandbox, relay):
    thread = comment_thread(relay, sandbox)
    comment = Message.objects.get(thread=thread, external_id=thread.external_key)
    sandbox.state.add_fault(method="POST", path=f"/{comment.external_id}", error={"code": 200})

    response = client_for(inbox_connected).post(url("comment_hide", thread, comment))

    assert response.status_code == 422
    assert "Meta refused for lack of permission" in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_hidden is False
    assert at_meta(inbox_connected.workspace, comment.external_id).is_hidden is False


def test_a_direct_message_cannot_be_moderated(inbox_connected, sandbox, relay):
    from tests.inbox.sandbox_inbox import dm_thread

    thread = dm_thread(relay, sandbox)
    message = Message.objects.get(thread=thread)

    hide = client_for(inbox_connected).post(url("comment_hide", thread, message))
    delete = client_for(inbox_connected).post(url("comment_delete", thread, message))

    assert hide.status_code == 422
    assert "not direct messages" in hide.content.decode()
    assert delete.status_code == 422
    message.refresh_from_db()
    assert (message.is_hidden, message.is_deleted) == (False, False)


@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("viewer", "comment_hide", 403),
        ("viewer", "comment_unhide", 403),
        ("viewer", "comment_delete", 403),
        ("editor", "comment_delete", 403),
        ("outsider", "comment_hide", 404),
        ("outsider", "comment_delete", 404),
    ],
)
def test_roles_and_tenancy(cast, persona, name, status):
    from tests.inbox.factories import MessageFactory, ThreadFactory

    thread = ThreadFactory(workspace=cast["owner"].workspace)
    comment = MessageFactory(thread=thread, external_id=thread.external_key)

    get = client_for(cast[persona]).get(url(name, thread, comment))
    post = client_for(cast[persona]).post(url(name, thread, comment))

    assert post.status_code == status
    assert get.status_code in (status, 405)
    comment.refresh_from_db()
    assert (comment.is_hidden, comment.is_deleted) == (False, False)


def test_a_comment_of_another_thread_is_404(owner):
    from tests.inbox.factories import MessageFactory, ThreadFactory

    thread = ThreadFactory(workspace=owner.workspace)
    elsewhere = MessageFactory(thread=ThreadFactory(workspace=owner.workspace))

    response = client_for(owner).post(url("comment_hide", thread, elsewhere))

    assert response.status_code == 404
