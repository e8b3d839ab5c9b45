"""What a member does to a thread in the inbox: close, reopen, assign, note, read, unread.

Views call these (the thread page, the list's keyboard shortcut); each takes the acting
``Membership`` and a thread already resolved through ``inbox.selectors.get_thread_for_member``,
re-reads it under a row lock, and raises ``InboxError`` with a message that is safe to show.
Closing, reopening, assigning and notes write an audit event; reading does not (it happens
on every visit).

Sending replies, hiding and deleting comments live elsewhere (they talk to Meta).
Audit events name the thread by its pk only: its Meta ids identify a customer.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from inbox.errors import InboxError
from inbox.models import Note, Thread

NOTE_MAX_LENGTH = 5000


def _require(actor: Membership, action: str) -> None:
    if not actor.can(action):
        raise PermissionDenied


def _locked(thread: Thread) -> Thread:
    locked: Thread = Thread.objects.select_for_update(no_key=True).get(
        pk=thread.pk, workspace_id=thread.workspace_id
    )
    return locked


def _audit(actor: Membership, action: str, thread: Thread, **extra: object) -> None:
    record_audit_event(
        actor=actor.user,
        action=action,
        workspace=actor.workspace,
        metadata={
            "thread_id": thread.pk,
            "channel": thread.channel,
            "kind": thread.kind,
            **extra,
        },
    )


@transaction.atomic
def mark_thread_done(*, actor: Membership, thread: Thread) -> Thread:
    """Mark ``thread`` done (and read). Done already: nothing changes."""
    _require(actor, "inbox.reply")
    thread = _locked(thread)
    if thread.status == Thread.Status.DONE:
        return thread
    thread.status, thread.is_unread = Thread.Status.DONE, False
    thread.save(update_fields=["status", "is_unread", "updated_at"])
    _audit(actor, "inbox.thread_done", thread)
    return thread


@transaction.atomic
def reopen_thread(*, actor: Membership, thread: Thread) -> Thread:
    """Open ``thread`` again. Open already: nothing changes."""
    _require(actor, "inbox.reply")
    thread = _locked(thread)
    if thread.status == Thread.Status.OPEN:
        return thread
    thread.status = Thread.Status.OPEN
    thread.save(update_fields=["status", "updated_at"])
    _audit(actor, "inbox.thread_reopened", thread)
    return thread


@transaction.atomic
def assign_thread(*, actor: Membership, thread: Thread, assignee_id: int | None) -> Thread:
    """Give ``thread`` to the member ``assignee_id`` (a user pk), or to nobody with None.

    Refuses someone who is not a member of the thread's workspace, and a member whose role
    cannot answer conversations.
    """
    _require(actor, "inbox.reply")
    assignee = None
    if assignee_id is not None:
        member = (
            Membership.objects.filter(workspace_id=thread.workspace_id, user_id=assignee_id)
            .select_related("user")
            .first()
        )
        if member is None:
            raise InboxError(
                _("That person is not a member of this workspace, so they can't be assigned.")
            )
        if not member.can("inbox.reply"):
            raise InboxError(
                _(
                    "%(name)s can only read the inbox (%(role)s), so they can't be assigned a "
                    "conversation. Choose someone who can answer."
                )
                % {"name": member.user.display_name, "role": member.get_role_display()}
            )
        assignee = member.user
    thread = _locked(thread)
    if thread.assignee_id == (assignee.pk if assignee else None):
        return thread
    thread.assignee = assignee
    thread.save(update_fields=["assignee", "updated_at"])
    _audit(actor, "inbox.thread_assigned", thread, assignee_id=assignee.pk if assignee else None)
    return thread


@transaction.atomic
def add_note(*, actor: Membership, thread: Thread, text: str) -> Note:
    """Leave an internal note on ``thread`` (never sent to Meta)."""
    _require(actor, "inbox.reply")
    text = text.strip()
    if not text:
        raise InboxError(_("Write something in the note first."))
    if len(text) > NOTE_MAX_LENGTH:
        raise InboxError(
            _("A note can hold at most %(max)s characters; this one has %(count)s.")
            % {"max": f"{NOTE_MAX_LENGTH:,}", "count": f"{len(text):,}"}
        )
    thread = _locked(thread)
    note = Note.objects.create(
        thread=thread, workspace_id=thread.workspace_id, author=actor.user, text=text
    )
    _audit(actor, "inbox.note_added", thread, note_id=note.pk)
    return note


def mark_thread_read(*, thread: Thread) -> bool:
    """Mark ``thread`` read; return whether it was unread. One UPDATE, no lock, no audit."""
    changed = Thread.objects.filter(
        pk=thread.pk, workspace_id=thread.workspace_id, is_unread=True
    ).update(is_unread=False)
    thread.is_unread = False
    return changed == 1


@transaction.atomic
def mark_thread_unread(*, actor: Membership, thread: Thread) -> Thread:
    """Mark ``thread`` unread again (someone should look at it)."""
    _require(actor, "inbox.reply")
    thread = _locked(thread)
    if not thread.is_unread:
        thread.is_unread = True
        thread.save(update_fields=["is_unread", "updated_at"])
    return thread
