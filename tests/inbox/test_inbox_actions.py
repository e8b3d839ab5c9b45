"""What members do to a thread: done, reopen, unread, assign, notes (inbox/actions.py + views).

Each action is checked through its URL (the status, the redirect, the row, the audit event)
and its bad input: a clear message, a 4xx, and nothing written.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import AuditEvent
from inbox import actions
from inbox.errors import InboxError
from inbox.models import Note, Thread
from tests.conftest import client_for
from tests.inbox.factories import MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(workspace):
    thread = ThreadFactory(workspace=workspace)
    MessageFactory(thread=thread)
    return thread


def url(thread, name):
    return reverse(f"inbox:{name}", args=["acme", thread.pk])


def row(thread):
    return Thread.objects.get(pk=thread.pk)


def audit_actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def nothing_written(thread, before):
    assert Thread.objects.filter(pk=thread.pk).values().get() == before
    assert Note.objects.count() == 0
    assert not [a for a in audit_actions() if a.startswith("inbox.")]


# --- done, reopen, unread -------------------------------------------------------------------


def test_marking_done_closes_reads_and_audits(editor, thread):
    response = client_for(editor).post(url(thread, "done"))

    assert response.status_code == 302
    assert response["Location"] == url(thread, "thread")
    fresh = row(thread)
    assert (fresh.status, fresh.is_unread) == (Thread.Status.DONE, False)
    event = AuditEvent.objects.get(action="inbox.thread_done")
    assert event.actor == editor.user
    assert event.workspace == editor.workspace
    assert event.metadata == {"thread_id": thread.pk, "channel": "facebook", "kind": "comment"}
    # No customer id in the log: threads are named by pk only.
    assert thread.external_key not in str(event.metadata) + event.target_repr


def test_marking_done_twice_writes_once(editor, thread):
    client = client_for(editor)
    client.post(url(thread, "done"))
    client.post(url(thread, "done"))

    assert audit_actions().count("inbox.thread_done") == 1


def test_done_goes_back_to_the_page_it_came_from_on_this_site_only(editor, thread):
    client = client_for(editor)
    listing = reverse("inbox:list", args=["acme"]) + "?channel=facebook"

    back = client.post(url(thread, "done"), {"next": listing})
    Thread.objects.filter(pk=thread.pk).update(status="open")
    elsewhere = client.post(url(thread, "done"), {"next": "https://evil.example.com/"})

    assert back["Location"] == listing
    assert elsewhere["Location"] == url(thread, "thread")


def test_reopen(editor, thread):
    Thread.objects.filter(pk=thread.pk).update(status=Thread.Status.DONE)

    response = client_for(editor).post(url(thread, "reopen"))

    assert response.status_code == 302
    assert row(thread).status == Thread.Status.OPEN
    assert audit_actions() == ["inbox.thread_reopened"]


def test_mark_unread_returns_to_the_list(editor, thread):
    Thread.objects.filter(pk=thread.pk).update(is_unread=False)

    response = client_for(editor).post(url(thread, "unread"))

    assert response["Location"] == reverse("inbox:list", args=["acme"])
    assert row(thread).is_unread is True


@pytest.mark.parametrize("name", ["done", "reopen", "unread", "assign", "note"])
def test_actions_refuse_get(editor, thread, name):
    before = Thread.objects.filter(pk=thread.pk).values().get()

    response = client_for(editor).get(url(thread, name))

    assert response.status_code == 405
    nothing_written(thread, before)


# --- assign ---------------------------------------------------------------------------------


def test_assign_to_a_member_and_to_nobody(owner, editor, thread):
    client = client_for(owner)

    to_editor = client.post(url(thread, "assign"), {"assignee": editor.user.pk})
    assigned = row(thread).assignee_id
    to_nobody = client.post(url(thread, "assign"), {"assignee": ""})

    assert to_editor.status_code == to_nobody.status_code == 302
    assert assigned == editor.user.pk
    assert row(thread).assignee_id is None
    assert audit_actions() == ["inbox.thread_assigned", "inbox.thread_assigned"]
    assert [e.metadata["assignee_id"] for e in AuditEvent.objects.order_by("pk")] == [
        editor.user.pk,
        None,
    ]


@pytest.mark.parametrize(
    ("_case", "message"),
    [
        ("outsider", "not a member of this workspace"),
        ("viewer", "can only read the inbox"),
        ("missing", "not a member of this workspace"),
        ("garbage", "Choose a member to assign."),
    ],
)
def test_assign_refuses_who_cannot_take_it(owner, viewer, outsider, thread, _case, message):
    value = {
        "outsider": outsider.user.pk,
        "viewer": viewer.user.pk,
        "missing": 2**31 - 1,
        "garbage": "Robert'); DROP TABLE",
    }[_case]
    before = Thread.objects.filter(pk=thread.pk).values().get()

    response = client_for(owner).post(url(thread, "assign"), {"assignee": value})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert 'data-testid="action-error"' in response.content.decode()
    nothing_written(thread, before)


# --- notes ----------------------------------------------------------------------------------


def test_a_note_is_kept_on_the_thread_and_shown(editor, thread):
    client = client_for(editor)

    response = client.post(url(thread, "note"), {"text": "  Called her back, all good.  "})

    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.thread_id, note.workspace_id, note.author) == (
        thread.pk,
        thread.workspace_id,
        editor.user,
    )
    assert note.text == "Called her back, all good."
    assert audit_actions() == ["inbox.note_added"]
    assert "Called her back, all good." in client.get(url(thread, "thread")).content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something in the note first."),
        ("   \n  ", "Write something in the note first."),
        ("x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
    ],
)
def test_a_bad_note_is_refused_and_kept_on_screen(editor, thread, text, message):
    before = Thread.objects.filter(pk=thread.pk).values().get()

    response = client_for(editor).post(url(thread, "note"), {"text": text})

    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    if text.strip():
        assert text in body  # what was typed is still there
    nothing_written(thread, before)


def test_a_note_of_exactly_5000_characters_is_kept(editor, thread):
    response = client_for(editor).post(url(thread, "note"), {"text": "y" * 5000})

    assert response.status_code == 302
    assert len(Note.objects.get().text) == 5000


# --- the services themselves ------------------------------------------------------------------


def test_services_refuse_a_viewer(viewer, editor, thread):
    for call in (
        lambda: actions.mark_thread_done(actor=viewer, thread=thread),
        lambda: actions.reopen_thread(actor=viewer, thread=thread),
        lambda: actions.mark_thread_unread(actor=viewer, thread=thread),
        lambda: actions.assign_thread(actor=viewer, thread=thread, assignee_id=editor.user.pk),
        lambda: actions.add_note(actor=viewer, thread=thread, text="hi"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Note.objects.count() == 0
    assert audit_actions() == []


def test_add_note_refuses_more_than_5000_characters(editor, thread):
    with pytest.raises(InboxError, match="at most 5,000 characters; this one has 5,001"):
        actions.add_note(actor=editor, thread=thread, text="z" * 5001)
    assert Note.objects.count() == 0


def test_assign_thread_refuses_a_member_of_another_workspace(editor, outsider, thread):
    with pytest.raises(InboxError, match="not a member of this workspace"):
        actions.assign_thread(actor=editor, thread=thread, assignee_id=outsider.user.pk)
    assert row(thread).assignee_id is None


def test_mark_thread_read_says_whether_it_was_unread(thread):
    assert actions.mark_thread_read(thread=thread) is True
    assert actions.mark_thread_read(thread=thread) is False
    assert row(thread).is_unread is False
