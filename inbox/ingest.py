"""Processing Meta's webhook events into the inbox: contacts, threads and messages.

Each stored ``WebhookEvent`` of a Page or an Instagram account is a job row (``EVENTS``,
prosocial.jobs). The webhook view queues it after COMMIT (``queue_stored_events``, connected to
``meta_integration.signals.webhook_events_stored``: one task per ``QUEUE_CHUNK`` events of a
delivery, which runs each event's job in turn, ``process_webhook_events``); the sweeper (beat,
every 15 s) queues what is left: events whose message was lost, whose worker died, or that were
stored while no worker ran. ``process_webhook_event`` claims one, reads it (``inbox.payloads``)
and writes everything in one transaction that also finishes the event, so ``is_processed`` is
true exactly when its changes are in the inbox. Outcomes: ``processed``; ``ignored`` (nothing
for the inbox, or the account is no longer connected; also ``is_processed``); ``flagged`` with
``error`` for a payload Meta does not document (never retried, never a crash); an unexpected
error retries with back-off and fails after ``MAX_ATTEMPTS``.

Rules that make the result independent of duplicates and of the order events arrive in:

- Every message is one row per workspace and Meta id (comment id or mid). A repeat finds it and
  changes nothing; only a *new* inbound message makes its thread unread and open again.
- A removal, hide or reaction that arrives before the comment or message it is about creates a
  *placeholder* (no thread, never shown). The late creation fills it in but cannot undo the
  change: a removed message stays removed (its text is never stored), a hide stays.
- Removal is final; its text and attachments are dropped. Hide/unhide and reactions apply only
  if newer (Meta's time) than what the row holds; an edit only if newer than the text held, so a
  late "add" never overwrites a newer edit.
- A reply joins its parent's thread; a reply that comes before its parent opens the thread under
  the parent's id, which the parent then finds.
- An echo (``is_echo``) of a message ProSocial sent is matched by its mid to the outbound row
  (``is_echo_matched``) and adds nothing; an echo of a message sent elsewhere (Meta Business
  Suite, the Instagram app) becomes an outbound message.

Locks: a message row first, then its thread (``select_for_update``), so two workers handling two
events of the same thread serialise instead of overwriting each other.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from inbox import payloads, tasks
from inbox.models import Channel, Contact, Message, Thread
from inbox.payloads import EDITED, HIDE, REMOVE, CommentChange, DirectMessage, Reaction, Seen
from meta_integration.models import InstagramAccount, MetaPage, WebhookEvent
from prosocial import jobs
from publishing.models import Publication, Target

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
Direction = Message.Direction
SendStatus = Message.SendStatus
MAX_ATTEMPTS = 5
# The objects whose events the inbox processes; user and permissions events are not its.
HANDLED_OBJECTS = ("page", "instagram")
SNIPPET_LENGTH = 200


def _enqueue(event_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.process_webhook_event_task.apply_async, (event_id,), countdown=countdown)
    )


EVENTS = jobs.register(
    jobs.JobKind(
        name="webhook event",
        model=WebhookEvent,
        runnable=Q(status=Status.PENDING, workspace__isnull=False, object__in=HANDLED_OBJECTS),
        enqueue=_enqueue,
        done_status=Status.PROCESSED,
        failed_status=Status.FAILED,
        queued_status=Status.PENDING,
        max_attempts=MAX_ATTEMPTS,
        exhausted=lambda n: (
            _("Processing stopped %(n)d times; the event was set aside.") % {"n": n}
        ),
    )
)


# Events of one delivery per task. Sending a Celery message costs about 0.4 ms of the webhook
# request, so one message per event made queueing, not storing, most of a batch's cost
# (bench/inbox_ingest.py); chunks still spread a large delivery over the workers.
QUEUE_CHUNK = 25


def queue_stored_events(sender: Any, *, event_ids: list[int], **kwargs: Any) -> None:
    """Queue the processing of newly stored webhook events (``webhook_events_stored``).

    Runs inside Meta's webhook request, after the events were committed: a broker that is
    down must not turn Meta's 200 into a 500 (Meta would retry, then disable the callback).
    The events are safe in the database and the sweeper queues them once the broker is back.
    """
    try:
        for start in range(0, len(event_ids), QUEUE_CHUNK):
            chunk = list(event_ids[start : start + QUEUE_CHUNK])
            transaction.on_commit(partial(tasks.process_webhook_events_task.apply_async, (chunk,)))
    except (KombuError, OSError):
        logger.warning("webhook events %s: not queued now; the sweeper will", event_ids[:10])


def process_webhook_events(*, event_ids: list[int]) -> None:
    """Run the job of each event of a delivery, in order (``queue_stored_events``' task).

    Each event is its own job: one that fails unexpectedly is released for a retry as it would
    be alone (``process_webhook_event``), and the others still run.
    """
    for event_id in event_ids:
        try:
            process_webhook_event(event_id=event_id)
        except Exception:
            logger.exception("webhook event %s: processing failed; it will be retried", event_id)


def sweep_webhook_events() -> int:
    """Queue events left unprocessed (lost messages, dead workers); return how many."""
    return jobs.sweep(EVENTS)


def process_webhook_event(*, event_id: int) -> str | None:
    """Turn one stored webhook event into inbox rows; return its outcome (None: not ours now).

    Idempotent: a finished event is not claimed again, and the rows it writes are keyed by
    Meta's ids, so a second delivery of the same item changes nothing.
    """
    lease = jobs.claim(EVENTS, event_id)
    if lease is None:
        return None
    with lease:
        event = WebhookEvent.objects.get(pk=event_id)
        try:
            changes = payloads.read_event(
                object_type=event.object,
                field_name=event.field,
                payload=event.payload,
                entry_time=event.entry_time,
                received_at=event.received_at,
            )
        except payloads.Malformed as exc:
            # The event stays (retention removes it) for an operator to look at; it is not
            # retried: the same bytes would fail the same way.
            logger.warning("webhook event %s flagged: %s", event_id, exc.reason)
            lease.finish(status=Status.FLAGGED, error=exc.reason, message=_("Flagged"))
            return Status.FLAGGED
        if isinstance(changes, list):
            with lease.owned():
                account = _account(event)
                if account is not None:
                    for change in changes:
                        _apply(account, change)
                    lease.finish(is_processed=True, message=_("Processed"))
                    return Status.PROCESSED
            why = _("The account is no longer connected")
        else:
            why = _("Nothing for the inbox")
        lease.finish(status=Status.IGNORED, is_processed=True, message=why)
        return Status.IGNORED
    return None  # the lease was lost meanwhile: the new owner carries on


# --- Where an event belongs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """The workspace's Page or Instagram account an event is about, and its connection."""

    workspace_id: int
    connection_id: int
    channel: str
    meta_id: str
    page: MetaPage | None
    instagram: InstagramAccount | None


def _account(event: WebhookEvent) -> Account | None:
    """Return the account of ``event``, or None when it is no longer connected here."""
    if event.workspace_id is None or event.connection_id is None:
        return None
    page = instagram = None
    if event.object == "page":
        page = MetaPage.objects.filter(
            connection_id=event.connection_id, page_id=event.entry_id
        ).first()
        if page is None:
            return None
    else:
        instagram = InstagramAccount.objects.filter(
            connection_id=event.connection_id, ig_user_id=event.entry_id
        ).first()
        if instagram is None:
            return None
    return Account(
        workspace_id=event.workspace_id,
        connection_id=event.connection_id,
        channel=Channel.FACEBOOK if page is not None else Channel.INSTAGRAM,
        meta_id=event.entry_id,
        page=page,
        instagram=instagram,
    )


def apply_change(account: Account, change: payloads.Change) -> None:
    """Write one change as a webhook event carrying it would: the same rows, the same rules.

    For what the Graph API shows and webhooks missed (``inbox.reconcile``), so a webhook that
    comes after a reconcile, or before it, changes nothing twice. Runs in the caller's
    transaction (it locks rows).
    """
    _apply(account, change)


def _apply(account: Account, change: payloads.Change) -> None:
    if isinstance(change, CommentChange):
        _apply_comment(account, change)
    elif isinstance(change, DirectMessage):
        _apply_direct_message(account, change)
    elif isinstance(change, Reaction):
        _apply_reaction(account, change)
    else:
        _apply_seen(account, change)


# --- Rows ---------------------------------------------------------------------------------------


def _locked_message(account: Account, external_id: str) -> Message:
    """Return the message with this Meta id, locked; a placeholder if it is new."""
    message, _created = Message.objects.get_or_create(
        workspace_id=account.workspace_id,
        external_id=external_id,
        defaults={"account_meta_id": account.meta_id},
    )
    return Message.objects.select_for_update().get(pk=message.pk)


def _locked_thread(pk: int) -> Thread:
    return Thread.objects.select_for_update().get(pk=pk)


def _contact(account: Account, meta_id: str, *, name: str = "", username: str = "") -> Contact:
    contact, created = Contact.objects.get_or_create(
        workspace_id=account.workspace_id,
        channel=account.channel,
        meta_id=meta_id,
        defaults={"name": name, "username": username},
    )
    changed = {
        field: value
        for field, value in (("name", name), ("username", username))
        if value and getattr(contact, field) != value
    }
    if changed and not created:
        for field, value in changed.items():
            setattr(contact, field, value)
        contact.save(update_fields=[*changed, "updated_at"])
    return contact


def _open_thread(
    account: Account, *, kind: str, key: str, at: datetime, post_id: str = ""
) -> tuple[Thread, bool]:
    thread, created = Thread.objects.get_or_create(
        workspace_id=account.workspace_id,
        channel=account.channel,
        kind=kind,
        external_key=key,
        defaults={
            "connection_id": account.connection_id,
            "page": account.page,
            "instagram_account": account.instagram,
            "account_meta_id": account.meta_id,
            "post_id": post_id,
            "last_message_at": at,
        },
    )
    thread = _locked_thread(thread.pk)
    if created and post_id:
        _link_post(thread)
    return thread, created


def _link_post(thread: Thread) -> None:
    """Link the thread to the publication that made its post, or mark it an ad comment.

    Organic posts are found by the id publishing recorded (``remote_id``, or ``remote.post_id``
    for photos); an ad's post by the ids of its creative's story that publishing records in
    ``remote`` (``effective_object_story_id`` on Facebook, ``effective_instagram_media_id`` on
    Instagram). Ads are named after their publication, so its title is the ad's name.
    """
    mine = Publication.objects.filter(workspace_id=thread.workspace_id)
    ad = (
        mine.filter(target=Target.META_AD)
        .filter(
            Q(remote__effective_object_story_id=thread.post_id)
            | Q(remote__effective_instagram_media_id=thread.post_id)
        )
        .order_by("-pk")
        .first()
    )
    post = (
        None
        if ad is not None
        else mine.exclude(target=Target.META_AD)
        .filter(Q(remote_id=thread.post_id) | Q(remote__post_id=thread.post_id))
        .order_by("-pk")
        .first()
    )
    publication = ad or post
    if publication is None:
        return
    thread.publication = publication
    thread.post_caption = publication.caption[:300]
    if ad is not None:
        thread.is_ad_comment, thread.ad_name = True, ad.title[:255]
    else:
        thread.post_permalink = publication.permalink
    thread.save(
        update_fields=[
            "publication",
            "post_caption",
            "post_permalink",
            "is_ad_comment",
            "ad_name",
            "updated_at",
        ]
    )


def _snippet(message: Message) -> str:
    if message.text:
        return " ".join(message.text.split())[:SNIPPET_LENGTH]
    kinds = sorted({str(a.get("type", "")) for a in message.attachments if a.get("type")})
    return f"[{', '.join(kinds)}]"[:SNIPPET_LENGTH] if kinds else ""


def _save_changed(row: Message | Thread, values: dict[str, Any]) -> bool:
    """Save only the values that differ from the row's; return whether anything did.

    A repeat of an event therefore writes nothing (not even ``updated_at``).
    """
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=[*changed, "updated_at"])
    return True


def refresh_thread(thread: Thread, *, new_inbound: bool = False) -> None:
    """Recompute what the list shows; a new inbound message also makes it unread and open."""
    latest = (
        Message.objects.filter(thread=thread, is_deleted=False).order_by("-sent_at", "-id").first()
    )
    values: dict[str, Any] = {"snippet": _snippet(latest) if latest else ""}
    if latest is not None and latest.sent_at is not None:
        values["last_message_at"] = latest.sent_at
    if new_inbound:
        values |= {"is_unread": True, "status": Thread.Status.OPEN}
    _save_changed(thread, values)


def _remove(message: Message, at: datetime) -> None:
    """Mark the message removed for good and drop what it said."""
    if message.is_deleted:
        return
    message.is_deleted, message.deleted_at = True, at
    message.text, message.attachments, message.reactions = "", [], {}
    message.save(
        update_fields=["is_deleted", "deleted_at", "text", "attachments", "reactions", "updated_at"]
    )
    if message.thread_id is not None:
        refresh_thread(_locked_thread(message.thread_id))


# --- Comments and mentions ----------------------------------------------------------------------


def _apply_comment(account: Account, change: CommentChange) -> None:
    message = _locked_message(account, change.comment_id)
    if change.verb == REMOVE:
        _remove(message, change.changed_at)
        return
    if change.verb in (HIDE, payloads.UNHIDE):
        if message.hidden_changed_at is None or change.changed_at >= message.hidden_changed_at:
            _save_changed(
                message, {"is_hidden": change.verb == HIDE, "hidden_changed_at": change.changed_at}
            )
        return
    if message.is_deleted:
        return  # removed before (or after) this add reached us: it stays removed
    author = change.author
    outbound = author is not None and author.meta_id == account.meta_id
    is_new = message.thread_id is None
    values: dict[str, Any] = {}
    if message.thread_id is None:
        thread = _comment_thread(account, change, outbound=outbound)
        values["thread"] = thread
        values["direction"] = Direction.OUTBOUND if outbound else Direction.INBOUND
        values["status"] = SendStatus.SENT if outbound else SendStatus.NONE
    else:
        thread = _locked_thread(message.thread_id)
        if message.direction == Direction.OUTBOUND and message.sent_by_id is not None:
            # A reply ProSocial posted, announced back to us by Meta.
            values |= {"is_echo_matched": True, "status": SendStatus.SENT}
    if author is not None:
        values["author_meta_id"] = author.meta_id
        values["author_name"] = author.name or author.username or message.author_name
    if change.parent_comment_id:
        values["parent_external_id"] = change.parent_comment_id
    if message.sent_at is None:
        values["sent_at"] = change.created_at or change.changed_at
    if change.text is not None and _is_newer_text(message, change):
        values |= {"text": change.text, "attachments": change.attachments}
        if change.verb == EDITED:
            values["edited_at"] = change.changed_at
    _save_changed(message, values)
    refresh_thread(thread, new_inbound=is_new and not outbound)
    if is_new and change.is_mention and change.text is None:
        # Meta's item names only ids: read what the mention said (inbox.reconcile).
        transaction.on_commit(partial(tasks.fetch_mention_details_task.delay, message.pk))


def _is_newer_text(message: Message, change: CommentChange) -> bool:
    """Whether ``change`` carries text at least as new as the message's."""
    if message.edited_at is None:
        return True  # only the original (or nothing) so far: an add repeats it, an edit wins
    return change.verb == EDITED and change.changed_at >= message.edited_at


def _comment_thread(account: Account, change: CommentChange, *, outbound: bool) -> Thread:
    """Return (locked) the thread a comment belongs to, opening it if needed."""
    at = change.created_at or change.changed_at
    if change.is_mention:
        thread, _created = _open_thread(
            account, kind=Thread.Kind.MENTION, key=change.comment_id, at=at, post_id=change.post_id
        )
        return thread
    key = change.comment_id
    if change.parent_comment_id:
        parent_thread = (
            Message.objects.filter(
                workspace_id=account.workspace_id,
                external_id=change.parent_comment_id,
                thread__isnull=False,
            )
            .values_list("thread_id", flat=True)
            .first()
        )
        if parent_thread is not None:
            return _locked_thread(parent_thread)
        key = change.parent_comment_id
    thread, _created = _open_thread(
        account, kind=Thread.Kind.COMMENT, key=key, at=at, post_id=change.post_id
    )
    # The customer of a comment thread is whoever wrote the top-level comment.
    if not change.parent_comment_id and change.author is not None and not outbound:
        if thread.contact_id is None:
            thread.contact = _contact(
                account,
                change.author.meta_id,
                name=change.author.name,
                username=change.author.username,
            )
            thread.save(update_fields=["contact", "updated_at"])
        else:
            _contact(
                account,
                change.author.meta_id,
                name=change.author.name,
                username=change.author.username,
            )
    return thread


def fill_mention(
    account: Account,
    *,
    external_id: str,
    text: str,
    author_name: str = "",
    caption: str = "",
    attachments: list[dict[str, str]] | None = None,
) -> bool:
    """Fill in what a mention said, read through the Graph API; return whether anything changed.

    Meta's ``mentions`` item names only ids (GRAPH_NOTES §7.4). Only what is still missing is
    written: a mention removed meanwhile stays removed, and text already there is kept. Runs in
    the caller's transaction.
    """
    message = (
        Message.objects.select_for_update()
        .filter(
            workspace_id=account.workspace_id,
            external_id=external_id,
            thread__kind=Thread.Kind.MENTION,
            is_deleted=False,
        )
        .first()
    )
    if message is None or message.thread_id is None:
        return False
    values: dict[str, Any] = {}
    if text and not message.text:
        values["text"] = payloads.clean_text(text)
    if author_name and not message.author_name:
        values["author_name"] = author_name[:200]
    if attachments and not message.attachments:
        values["attachments"] = attachments
    changed = _save_changed(message, values)
    thread = _locked_thread(message.thread_id)
    if caption and not thread.post_caption:
        changed |= _save_changed(thread, {"post_caption": payloads.clean_text(caption)[:300]})
    if changed:
        refresh_thread(thread)
    return changed


# --- Direct messages ----------------------------------------------------------------------------


def _apply_direct_message(account: Account, change: DirectMessage) -> None:
    message = _locked_message(account, change.mid)
    if change.is_deleted:
        _remove(message, change.sent_at)
        return
    if message.is_deleted:
        return  # unsent before its creation reached us
    names = {"name": change.customer_name, "username": change.customer_username}
    if message.thread_id is not None:
        if any(names.values()):
            _contact(account, change.customer_id, **names)  # the Graph API names the customer
        # A repeat, or the echo of a message ProSocial sent (its mid already recorded).
        ours = change.is_echo and message.direction == Direction.OUTBOUND and message.sent_by_id
        if ours and (not message.is_echo_matched or message.status != SendStatus.SENT):
            message.is_echo_matched, message.status = True, SendStatus.SENT
            message.save(update_fields=["is_echo_matched", "status", "updated_at"])
        return
    contact = _contact(account, change.customer_id, **names)
    thread, created = _open_thread(
        account, kind=Thread.Kind.DM, key=change.customer_id, at=change.sent_at
    )
    if thread.contact_id is None:
        thread.contact = contact
        thread.save(update_fields=["contact", "updated_at"])
    if created and not (contact.name or contact.username):
        # Meta's message names only the customer's id: read their name (inbox.reconcile).
        transaction.on_commit(partial(tasks.fetch_contact_name_task.delay, thread.pk))
    message.thread = thread
    message.direction = Direction.OUTBOUND if change.is_echo else Direction.INBOUND
    message.status = SendStatus.SENT if change.is_echo else SendStatus.NONE
    message.author_meta_id = change.sender_id
    message.text, message.attachments = change.text, change.attachments
    message.sent_at = change.sent_at
    message.parent_external_id = change.reply_to_mid
    message.save(
        update_fields=[
            "thread",
            "direction",
            "status",
            "author_meta_id",
            "text",
            "attachments",
            "sent_at",
            "parent_external_id",
            "updated_at",
        ]
    )
    refresh_thread(thread, new_inbound=not change.is_echo)


def _apply_reaction(account: Account, change: Reaction) -> None:
    message = _locked_message(account, change.target_id)
    if message.is_deleted:
        return
    known = message.reactions.get(change.reactor_id)
    if isinstance(known, dict) and _reaction_time(known) > change.changed_at:
        return  # a newer reaction (or its removal) is already recorded
    reaction = {
        "reaction": change.reaction,
        "emoji": change.emoji,
        "at": change.changed_at.isoformat(),
    }
    _save_changed(message, {"reactions": {**message.reactions, change.reactor_id: reaction}})


def _reaction_time(entry: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _apply_seen(account: Account, change: Seen) -> None:
    thread_id = (
        Thread.objects.filter(
            workspace_id=account.workspace_id,
            channel=account.channel,
            kind=Thread.Kind.DM,
            external_key=change.customer_id,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if thread_id is None:
        return  # read receipts for a conversation we don't hold
    thread = _locked_thread(thread_id)
    if thread.customer_read_at is None or change.read_at > thread.customer_read_at:
        thread.customer_read_at = change.read_at
        thread.save(update_fields=["customer_read_at", "updated_at"])
