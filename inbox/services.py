"""Inbox use-cases other than webhook processing (``inbox.ingest``).

For now only what the send path (issue #16, replies) needs to keep echoes single: once Meta
answers a send with the new message's id (a mid, or a comment id for a public reply), the
outbound row records it here. The webhook announcing the same message (its echo) may have
arrived first and made a row of its own; that row is adopted, so the message shows once.
"""

from django.db import transaction

from inbox import ingest
from inbox.models import Message, Thread


@transaction.atomic
def record_sent_message(*, message_id: int, external_id: str) -> Message:
    """Record Meta's id for a message ProSocial sent; adopt its echo if that came first.

    Idempotent: recording the same id again changes nothing. Locks the rows involved (messages
    before their thread, as ``inbox.ingest`` does).
    """
    message = Message.objects.select_for_update().get(pk=message_id)
    echo = (
        Message.objects.select_for_update()
        .filter(workspace_id=message.workspace_id, external_id=external_id)
        .exclude(pk=message.pk)
        .first()
    )
    if echo is not None:
        # Meta's echo overtook its answer to our send: it is this very message.
        message.is_echo_matched = echo.thread_id is not None
        echo.delete()
    message.external_id = external_id
    message.status = Message.SendStatus.SENT
    message.error = ""
    message.save(update_fields=["external_id", "status", "error", "is_echo_matched", "updated_at"])
    if message.thread_id is not None:
        ingest.refresh_thread(Thread.objects.select_for_update().get(pk=message.thread_id))
    return message
