"""Sending replies from the inbox: public replies to comments, private replies, DM messages.

Every reply is a ``Reply`` row and a job on the one runner (``prosocial.jobs``, kind
``REPLIES``). The path of one reply:

1. ``start_reply`` (the member pressed Send) checks everything that can be checked before
   anything is sent: the kind fits the thread, the text is there and within Meta's limits, an
   image comes from this workspace's media library, a private reply is the comment's first and
   within 7 days, and a DM's messaging window allows it (``inbox.windows``; the HUMAN_AGENT tag
   only for a reply a person wrote). A refusal raises ``ReplyRejected`` and writes nothing.
   When the workspace requires approvals and the author may not approve, the reply waits
   (``AWAITING_APPROVAL``) and the approvers are told; otherwise it is queued after COMMIT.
2. ``run_reply`` (the job) claims the row, checks the window again (time passed), writes the
   in-flight mark ``send_started_at`` (committed), makes the one Graph call with no transaction
   open, then in one transaction creates the outbound ``Message`` and records Meta's id through
   ``inbox.services.record_sent_message`` (which adopts the echo if the webhook came first, so
   the message shows once) and finishes the row as sent.
3. Meta's refusals fail the row with the error catalogue's words (``explain(about=…)``);
   ``retryable`` only where the same request can succeed later (rate limits, outages), and then
   the member presses *Retry* (``retry_reply``). The text is always kept.

**A lost answer** (the request went out, no answer came back: ``GraphError.outcome_unknown``,
or a worker died between the mark and the record) is never sent again blindly: a reply to a
customer sent twice cannot be taken back, one that is missing can be sent again by a person.
The job waits for Meta's echo instead: it looks for an outbound message on the thread (for a
private reply, on the account's DM threads) that nobody claimed, written since the mark, with
the reply's text (or, for an image, an image); it looks again every ``ECHO_CHECK_SECONDS`` for
``ECHO_WAIT`` and adopts the first match. Without one, the reply ends ``UNKNOWN``: "Meta did
not confirm … check the conversation before sending it again", with its text kept and no
*Retry* (the member decides, by writing it again). The sweeper keeps adopting late echoes for
unconfirmed replies for ``LATE_ECHO_DAYS``, so a webhook that comes an hour late still turns the
reply into "sent".

Who may call: the reply views (``inbox.reply_views``), the task (``inbox.tasks``). Permissions
are checked here too: ``inbox.reply`` to write, ``publish.approve`` to approve or decline.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import Role, has_permission
from creatives.library.media_urls import signed_media_url
from creatives.library.models import MediaAsset
from inbox import services, tasks, windows
from inbox.errors import InboxError
from inbox.models import Channel, Message, Reply, Thread
from meta_integration import graph
from meta_integration import services as meta_services
from meta_integration.error_catalogue import explain
from meta_integration.errors import MetaConnectionError
from meta_integration.graph import GraphError, Platform
from meta_integration.models import MetaPage
from prosocial import jobs

logger = logging.getLogger(__name__)

Status = Reply.Status
Kind = Reply.Kind
Direction = Message.Direction

# Meta's limits (GRAPH_NOTES §9.3 for messages; comments: the IG comment reference's 2,200
# characters and Facebook's 8,000, as the sandbox enforces them).
MESSENGER_TEXT_CHARS = 2000
INSTAGRAM_TEXT_BYTES = 1000
FACEBOOK_COMMENT_CHARS = 8000
INSTAGRAM_COMMENT_CHARS = 2200
# Images in a DM: JPEG or PNG up to 8 MB (GRAPH_NOTES §9.3).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
IMAGE_MAX_BYTES = 8 * 1024 * 1024
# After a lost answer: how long to wait for Meta's echo, and how often to look.
ECHO_WAIT = timedelta(minutes=2)
ECHO_CHECK_SECONDS = 20
# An echo may carry Meta's clock, slightly behind ours.
ECHO_SKEW = timedelta(minutes=1)
LATE_ECHO_DAYS = 7
MAX_ATTEMPTS = 12  # claims, counting the echo checks and every Retry
# What "pending" means in the reply box: everything not yet sent (and not declined for good).
PENDING = (Status.AWAITING_APPROVAL, Status.QUEUED, Status.SENDING)
# A private reply in one of these states uses the comment's one private reply.
PRIVATE_USED = (
    Status.AWAITING_APPROVAL,
    Status.QUEUED,
    Status.SENDING,
    Status.SENT,
    Status.UNKNOWN,
)


class ReplyRejected(InboxError):
    """A reply refused before anything was sent; ``field`` is the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _enqueue(reply_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.run_reply_task.apply_async, (reply_id,), countdown=countdown)
    )


REPLIES = jobs.register(
    jobs.JobKind(
        name="inbox reply",
        model=Reply,
        runnable=Q(status__in=[Status.QUEUED, Status.SENDING]),
        enqueue=_enqueue,
        done_status=Status.SENT,
        failed_status=Status.FAILED,
        running_status=Status.SENDING,
        failed_message=lambda: _("Not sent"),
        max_attempts=MAX_ATTEMPTS,
        exhausted=lambda n: (
            _(
                "Sending stopped %(n)d times without an answer from Meta; check the conversation "
                "before writing it again."
            )
            % {"n": n}
        ),
    )
)


def _require(actor: Membership, action: str) -> None:
    if not actor.can(action):
        raise PermissionDenied


def get_reply_for_member(membership: Membership, thread: Thread, pk: int) -> Reply:
    """Return reply ``pk`` of ``thread`` (already the member's); 404 when it is not there."""
    reply = (
        Reply.objects.filter(workspace_id=membership.workspace_id, thread=thread)
        .filter(pk=pk)
        .first()
    )
    if reply is None:
        raise Http404("No such reply")
    return reply


def thread_url(thread: Thread) -> str:
    return reverse("inbox:thread", args=[thread.workspace.slug, thread.pk])


# --- checks before anything is sent -------------------------------------------------------------


def _platform(thread: Thread) -> Platform:
    return Platform.INSTAGRAM if thread.channel == Channel.INSTAGRAM else Platform.FACEBOOK


def check_text_length(*, thread: Thread, kind: str, text: str) -> None:
    """Raise ``ReplyRejected`` when ``text`` is over Meta's limit for this kind and channel."""
    instagram = thread.channel == Channel.INSTAGRAM
    if kind == Kind.PUBLIC:
        limit = INSTAGRAM_COMMENT_CHARS if instagram else FACEBOOK_COMMENT_CHARS
        if len(text) > limit:
            raise ReplyRejected(
                _(
                    "A reply under a comment can be at most %(limit)d characters (this one has %(n)d)."
                )
                % {"limit": limit, "n": len(text)},
                field="text",
            )
        return
    if instagram:
        size = len(text.encode())
        if size > INSTAGRAM_TEXT_BYTES:
            raise ReplyRejected(
                _(
                    "An Instagram message can be at most %(limit)d bytes (about as many plain "
                    "letters; emoji and accents count more). This one has %(n)d."
                )
                % {"limit": INSTAGRAM_TEXT_BYTES, "n": size},
                field="text",
            )
    elif len(text) > MESSENGER_TEXT_CHARS:
        raise ReplyRejected(
            _("A Messenger message can be at most %(limit)d characters (this one has %(n)d).")
            % {"limit": MESSENGER_TEXT_CHARS, "n": len(text)},
            field="text",
        )


def check_image(*, actor: Membership, image_id: int | None) -> MediaAsset | None:
    """Return the workspace's image ``image_id`` if Meta can take it in a DM, else refuse."""
    if image_id is None:
        return None
    image = (
        MediaAsset.objects.filter(workspace_id=actor.workspace_id, pk=image_id)
        .filter(parent__isnull=True)
        .first()
    )
    if image is None:
        raise ReplyRejected(
            _("Choose an image from this workspace's media library."), field="image"
        )
    if image.kind != MediaAsset.Kind.IMAGE or image.content_type not in IMAGE_TYPES:
        raise ReplyRejected(_("Only a JPEG or PNG image can be sent in a message."), field="image")
    if image.status != MediaAsset.Status.READY or not image.storage_key:
        raise ReplyRejected(_("This image is not ready yet; try again in a moment."), field="image")
    if image.size_bytes > IMAGE_MAX_BYTES:
        raise ReplyRejected(
            _("Meta takes images up to 8 MB in a message; this one is %(mb).1f MB.")
            % {"mb": image.size_bytes / 1024 / 1024},
            field="image",
        )
    return image


def account_page(thread: Thread) -> MetaPage | None:
    """Return the Page a reply goes through (an Instagram account's linked Page)."""
    if thread.channel == Channel.INSTAGRAM:
        account = thread.instagram_account
        return account.page if account is not None else None
    return thread.page


def last_customer_message_at(thread: Thread) -> datetime | None:
    """Return when the customer last wrote in ``thread`` (a removed message still counts)."""
    times = [
        sent_at or created
        for sent_at, created in Message.objects.filter(
            thread=thread, direction=Direction.INBOUND
        ).values_list("sent_at", "created_at")
    ]
    return max(times, default=None)


def dm_window(thread: Thread, *, now: datetime | None = None) -> windows.DmWindow:
    return windows.dm_window(
        last_customer_message_at=last_customer_message_at(thread), now=now or timezone.now()
    )


def _comment_created_at(thread: Thread) -> datetime | None:
    comment = (
        Message.objects.filter(thread=thread, external_id=thread.external_key)
        .values_list("sent_at", "created_at")
        .first()
    )
    if comment is None:
        return None
    return comment[0] or comment[1]


def private_reply_window(
    thread: Thread, *, now: datetime | None = None, besides: int | None = None
) -> windows.PrivateReplyWindow | None:
    """Return the comment's private-reply window (None when the comment is not known here)."""
    created = _comment_created_at(thread)
    if created is None:
        return None
    used = Reply.objects.filter(thread=thread, kind=Kind.PRIVATE, status__in=PRIVATE_USED)
    if besides is not None:
        used = used.exclude(pk=besides)
    return windows.private_reply_window(
        comment_created_at=created, already_sent=used.exists(), now=now or timezone.now()
    )


def check_window(
    *, thread: Thread, kind: str, written_by_person: bool, reply_id: int | None = None
) -> windows.SendAs | None:
    """Return how a DM goes out now, or refuse (``windows.ReplyRefused``) with Meta's rule.

    A public reply has no window (None); a private reply must be the comment's first and
    within 7 days of it.
    """
    if kind == Kind.DM:
        return dm_window(thread).send_as(written_by_person=written_by_person)
    if kind == Kind.PRIVATE:
        window = private_reply_window(thread, besides=reply_id)
        if window is None:
            raise windows.ReplyRefused(_("The comment is not known here any more."))
        window.check()
    return None


def _check_kind(thread: Thread, kind: str) -> None:
    allowed: dict[str, tuple[str, ...]] = {
        Thread.Kind.COMMENT: (Kind.PUBLIC, Kind.PRIVATE),
        Thread.Kind.DM: (Kind.DM,),
    }
    if kind not in allowed.get(thread.kind, ()):
        if thread.kind == Thread.Kind.MENTION:
            raise ReplyRejected(
                _("A mention can't be answered from ProSocial; open it on Instagram."),
                field="kind",
            )
        raise ReplyRejected(_("This kind of reply does not fit this conversation."), field="kind")
    if account_page(thread) is None:
        raise ReplyRejected(
            _("The account this conversation came through is no longer connected; reconnect it.")
        )


def validate_reply(
    *,
    actor: Membership,
    thread: Thread,
    kind: str,
    text: str,
    image_id: int | None,
    written_by_person: bool,
    reply_id: int | None = None,
) -> MediaAsset | None:
    """Check a reply as ``start_reply`` would, writing nothing; return its image."""
    _check_kind(thread, kind)
    if image_id is not None and kind != Kind.DM:
        raise ReplyRejected(_("Only a direct message can carry an image."), field="image")
    image = check_image(actor=actor, image_id=image_id)
    if not text and image is None:
        raise ReplyRejected(
            _("Write a message or choose an image.")
            if kind == Kind.DM
            else _("Write a reply first."),
            field="text",
        )
    if text and image is not None:
        raise ReplyRejected(
            _("Meta sends a text or an image per message: send them one after the other."),
            field="image",
        )
    check_text_length(thread=thread, kind=kind, text=text)
    try:
        check_window(
            thread=thread, kind=kind, written_by_person=written_by_person, reply_id=reply_id
        )
    except windows.ReplyRefused as refused:
        raise ReplyRejected(refused.reason) from refused
    return image


def _needs_approval(actor: Membership) -> bool:
    return bool(actor.workspace.requires_publish_approval) and not actor.can("publish.approve")


# --- use-cases ----------------------------------------------------------------------------------


@transaction.atomic
def start_reply(
    *,
    actor: Membership,
    thread: Thread,
    kind: str,
    text: str,
    image_id: int | None = None,
    suggested_text: str | None = None,
) -> Reply:
    """Check a reply and queue it (or hold it for approval); refuse with ``ReplyRejected``.

    ``suggested_text`` is the AI suggestion the box was filled with, if any: sent unchanged,
    the reply counts as automated (no HUMAN_AGENT tag). Locks the thread, so two members
    pressing *Reply privately* at once send one private reply.
    """
    _require(actor, "inbox.reply")
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("workspace", "page", "instagram_account__page")
        .get(pk=thread.pk, workspace_id=actor.workspace_id)
    )
    text = text.strip()
    written_by_person = suggested_text is None or text != suggested_text.strip()
    image = validate_reply(
        actor=actor,
        thread=thread,
        kind=kind,
        text=text,
        image_id=image_id,
        written_by_person=written_by_person,
    )
    waits = _needs_approval(actor)
    reply = Reply.objects.create(
        workspace_id=thread.workspace_id,
        thread=thread,
        kind=kind,
        in_reply_to=thread.external_key if kind != Kind.DM else "",
        text=text,
        image=image,
        written_by_person=written_by_person,
        author=actor.user,
        status=Status.AWAITING_APPROVAL if waits else Status.QUEUED,
        message=_("Waiting for approval") if waits else _("Queued"),
    )
    if waits:
        _tell_approvers(reply, actor=actor)
    else:
        REPLIES.enqueue(reply.pk)
    return reply


def _tell_approvers(reply: Reply, *, actor: Membership) -> None:
    approvers = [
        pk
        for pk in Membership.objects.filter(
            workspace_id=reply.workspace_id,
            role__in=[role for role in Role if has_permission(role, "publish.approve")],
        ).values_list("user_id", flat=True)
        if pk != actor.user_id
    ]
    if not approvers:
        return
    account_services.notify_workspace(
        actor.workspace,
        kind="inbox.reply_submitted",
        title=_("A reply waits for your approval"),
        body=_("%(name)s wrote a %(kind)s; approve it to send it, or decline it with a note.")
        % {"name": actor.user.display_name, "kind": reply.get_kind_display().lower()},
        link=thread_url(reply.thread),
        user_ids=approvers,
    )


def _locked(reply: Reply, actor: Membership) -> Reply:
    return (
        Reply.objects.select_for_update(of=("self",))
        .select_related("thread", "thread__workspace", "thread__page", "thread__instagram_account")
        .get(pk=reply.pk, workspace_id=actor.workspace_id)
    )


@transaction.atomic
def approve_reply(*, actor: Membership, reply: Reply) -> Reply:
    """Approve a reply waiting for approval and queue it; refuse if the window has closed."""
    _require(actor, "publish.approve")
    reply = _locked(reply, actor)
    if reply.status != Status.AWAITING_APPROVAL:
        raise InboxError(_("This reply is not waiting for approval any more."))
    try:
        check_window(
            thread=reply.thread,
            kind=reply.kind,
            written_by_person=reply.written_by_person,
            reply_id=reply.pk,
        )
    except windows.ReplyRefused as refused:
        raise InboxError(refused.reason) from refused
    reply.status, reply.message = Status.QUEUED, _("Queued")
    reply.approved_by, reply.decided_at = actor.user, timezone.now()
    reply.save(update_fields=["status", "message", "approved_by", "decided_at", "updated_at"])
    record_audit_event(
        actor=actor.user, action="inbox.reply_approved", workspace=actor.workspace, target=reply
    )
    _tell_author(
        reply,
        actor=actor,
        kind="inbox.reply_approved",
        title=_("Your reply was approved"),
        body=_("%(name)s approved it; it is being sent.") % {"name": actor.user.display_name},
    )
    REPLIES.enqueue(reply.pk)
    return reply


@transaction.atomic
def decline_reply(*, actor: Membership, reply: Reply, note: str) -> Reply:
    """Decline a reply waiting for approval; its author is told, with ``note``."""
    _require(actor, "publish.approve")
    note = note.strip()
    if not note:
        raise ReplyRejected(_("Say what should change, so the author can fix it."), field="note")
    reply = _locked(reply, actor)
    if reply.status != Status.AWAITING_APPROVAL:
        raise InboxError(_("This reply is not waiting for approval any more."))
    reply.status, reply.message = Status.DECLINED, _("Declined")
    reply.decision_note, reply.decided_at = note[:500], timezone.now()
    reply.save(update_fields=["status", "message", "decision_note", "decided_at", "updated_at"])
    record_audit_event(
        actor=actor.user, action="inbox.reply_declined", workspace=actor.workspace, target=reply
    )
    _tell_author(
        reply,
        actor=actor,
        kind="inbox.reply_declined",
        title=_("Your reply was declined"),
        body=_("%(name)s asked for changes: %(note)s Edit it and submit it again.")
        % {"name": actor.user.display_name, "note": note},
    )
    return reply


@transaction.atomic
def resubmit_reply(
    *, actor: Membership, reply: Reply, text: str, suggested_text: str | None = None
) -> Reply:
    """Edit a declined reply and submit it again (for approval, or to send at once)."""
    _require(actor, "inbox.reply")
    reply = _locked(reply, actor)
    if reply.status != Status.DECLINED:
        raise InboxError(_("Only a declined reply can be edited and submitted again."))
    text = text.strip()
    written_by_person = reply.written_by_person and (
        suggested_text is None or text != suggested_text.strip()
    )
    validate_reply(
        actor=actor,
        thread=reply.thread,
        kind=reply.kind,
        text=text,
        image_id=reply.image_id,
        written_by_person=written_by_person,
        reply_id=reply.pk,
    )
    waits = _needs_approval(actor)
    reply.text, reply.written_by_person = text, written_by_person
    reply.status = Status.AWAITING_APPROVAL if waits else Status.QUEUED
    reply.message = _("Waiting for approval") if waits else _("Queued")
    reply.author = actor.user
    reply.decision_note, reply.decided_at, reply.approved_by = "", None, None
    reply.save(
        update_fields=[
            "text",
            "written_by_person",
            "status",
            "message",
            "author",
            "decision_note",
            "decided_at",
            "approved_by",
            "updated_at",
        ]
    )
    if waits:
        _tell_approvers(reply, actor=actor)
    else:
        REPLIES.enqueue(reply.pk)
    return reply


@transaction.atomic
def retry_reply(*, actor: Membership, reply: Reply) -> Reply:
    """Send a failed reply again, where Meta's refusal said a retry can succeed."""
    _require(actor, "inbox.reply")
    reply = _locked(reply, actor)
    if reply.status != Status.FAILED or not reply.retryable:
        raise InboxError(_("This reply can't be sent again as it is."))
    if reply.attempts >= MAX_ATTEMPTS:
        raise InboxError(_("This reply was tried too often; write it again."))
    reply.status, reply.message, reply.error = Status.QUEUED, _("Queued"), ""
    reply.retryable, reply.send_started_at, reply.next_attempt_at = False, None, None
    reply.save(
        update_fields=[
            "status",
            "message",
            "error",
            "retryable",
            "send_started_at",
            "next_attempt_at",
            "updated_at",
        ]
    )
    REPLIES.enqueue(reply.pk)
    return reply


def _tell_author(reply: Reply, *, actor: Membership, kind: str, title: str, body: str) -> None:
    if reply.author_id is None or reply.author_id == actor.user_id:
        return
    account_services.notify_workspace(
        actor.workspace,
        kind=kind,
        title=title,
        body=body,
        link=thread_url(reply.thread),
        user_ids=[reply.author_id],
    )


# --- the job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sent:
    external_id: str
    send_as: windows.SendAs | None
    image_url: str = ""


def run_reply(*, reply_id: int) -> str | None:
    """Send one queued reply to Meta (the job); return its status (None: not ours now).

    Never sends twice: a run that finds the in-flight mark looks for the echo instead
    (see the module's docstring).
    """
    lease = jobs.claim(REPLIES, reply_id)
    if lease is None:
        return None
    with lease:
        reply = Reply.objects.select_related(
            "thread",
            "thread__workspace",
            "thread__page",
            "thread__instagram_account__page",
            "thread__connection",
            "image",
        ).get(pk=reply_id)
        if reply.send_started_at is not None:
            return _await_echo(lease, reply)
        try:
            send_as = check_window(
                thread=reply.thread,
                kind=reply.kind,
                written_by_person=reply.written_by_person,
                reply_id=reply.pk,
            )
            page = account_page(reply.thread)
            if page is None:
                raise MetaConnectionError(
                    _("The account this conversation came through is no longer connected.")
                )
            token = meta_services.page_token_for(page=page)
        except windows.ReplyRefused as refused:
            lease.fail(refused.reason)
            return Status.FAILED
        except MetaConnectionError as error:
            lease.fail(error.message)
            return Status.FAILED
        started = timezone.now()
        lease.update(send_started_at=started, message=_("Sending…"))  # committed: the mark
        try:
            sent = _call_meta(reply, page=page, token=token, send_as=send_as)
        except GraphError as error:
            if error.outcome_unknown:
                logger.warning("reply %s: Meta's answer was lost; waiting for the echo", reply.pk)
                return _await_echo(lease, reply)
            return _refused(lease, reply, error)
        _record_sent(lease, reply, sent)
        return Status.SENT
    return None


def _call_meta(
    reply: Reply, *, page: MetaPage, token: str, send_as: windows.SendAs | None
) -> _Sent:
    """Make the one Graph call of ``reply`` (no transaction open, no lock held)."""
    thread = reply.thread
    if reply.kind == Kind.PUBLIC:
        comment_id = graph.reply_to_comment(
            access_token=token,
            comment_id=reply.in_reply_to,
            platform=_platform(thread),
            message=reply.text,
        )
        return _Sent(comment_id, None)
    image_url = ""
    if reply.image is not None:
        image_url = signed_media_url(
            storage_name=reply.image.storage_key,
            content_type=reply.image.content_type,
            filename=reply.image.original_filename,
        )
    result = graph.send_message(
        access_token=token,
        page_id=page.page_id,
        recipient_id=thread.external_key if reply.kind == Kind.DM else None,
        comment_id=reply.in_reply_to if reply.kind == Kind.PRIVATE else None,
        text=reply.text or None,
        image_url=image_url or None,
        human_agent=send_as is not None and send_as.tag == windows.HUMAN_AGENT,
    )
    return _Sent(result.message_id, send_as or windows.SendAs(windows.RESPONSE), image_url)


def _record_sent(lease: "jobs.Lease[Reply]", reply: Reply, sent: _Sent) -> None:
    """Create the outbound message and finish the reply, in one transaction still ours."""
    now = timezone.now()
    thread = reply.thread
    with lease.owned():
        # Meta's echo may have come first and opened a DM thread of its own (a private reply).
        echo_thread = (
            Message.objects.filter(workspace_id=reply.workspace_id, external_id=sent.external_id)
            .exclude(thread=thread)
            .values_list("thread_id", flat=True)
            .first()
        )
        message = Message.objects.create(
            thread=thread,
            workspace_id=reply.workspace_id,
            account_meta_id=thread.account_meta_id,
            direction=Direction.OUTBOUND,
            author_meta_id=thread.account_meta_id,
            parent_external_id=reply.in_reply_to,
            text=reply.text,
            attachments=[{"type": "image", "url": sent.image_url}] if sent.image_url else [],
            sent_by_id=reply.author_id,
            sent_at=now,
            status=Message.SendStatus.SENT,
        )
        services.record_sent_message(message_id=message.pk, external_id=sent.external_id)
        if echo_thread is not None:
            _drop_if_empty(echo_thread)
        lease.finish(
            message=_("Sent"),
            sent_message=message,
            sent_at=now,
            messaging_type=sent.send_as.messaging_type if sent.send_as else "",
            tag=(sent.send_as.tag or "") if sent.send_as else "",
        )


def _drop_if_empty(thread_id: int | None) -> None:
    """Remove a thread an adopted echo opened and left with nothing in it."""
    if thread_id is None:
        return
    if not Message.objects.filter(thread_id=thread_id).exists():
        Thread.objects.filter(pk=thread_id).delete()


def _refused(lease: "jobs.Lease[Reply]", reply: Reply, error: GraphError) -> str:
    about = "comment" if reply.kind == Kind.PUBLIC else "message"
    explanation = explain(error, about=about)
    said = f"{explanation.title}: {explanation.cause}" if explanation.title else explanation.cause
    logger.info("reply %s refused by Meta: %s", reply.pk, str(error))
    # Meta refused before doing anything: nothing is in flight any more.
    lease.fail(
        f"{said} {explanation.fix}".strip(),
        retryable=error.is_retryable,
        send_started_at=None,
    )
    return Status.FAILED


# --- a lost answer --------------------------------------------------------------------------------


def _echo_candidates(reply: Reply) -> Any:
    """Outbound messages nobody claimed that may be the echo of ``reply``."""
    since = (reply.send_started_at or reply.created_at) - ECHO_SKEW
    found = Message.objects.filter(
        workspace_id=reply.workspace_id,
        direction=Direction.OUTBOUND,
        reply__isnull=True,
        sent_by__isnull=True,
        is_deleted=False,
        sent_at__gte=since,
    )
    if reply.kind == Kind.PRIVATE:
        # The echo of a private reply lands in the customer's DM conversation.
        found = found.filter(
            thread__kind=Thread.Kind.DM,
            thread__account_meta_id=reply.thread.account_meta_id,
        )
    else:
        found = found.filter(thread=reply.thread)
    return found.filter(text=reply.text)


def _find_echo(reply: Reply) -> Message | None:
    for candidate in _echo_candidates(reply).order_by("sent_at", "id")[:20]:
        # An image reply's echo carries the image (Meta's own URL, not ours): the kind decides.
        if reply.text or any(a.get("type") == "image" for a in candidate.attachments):
            return candidate
    return None


def _adopt(reply: Reply, echo: Message) -> None:
    """Make ``echo`` the message ``reply`` became (caller holds the transaction)."""
    Message.objects.filter(pk=echo.pk).update(
        sent_by_id=reply.author_id,
        is_echo_matched=True,
        status=Message.SendStatus.SENT,
        updated_at=timezone.now(),
    )


def _await_echo(lease: "jobs.Lease[Reply]", reply: Reply) -> str:
    """After a lost answer: adopt Meta's echo, look again later, or give up as unknown."""
    with lease.owned():
        echo = _find_echo(reply)
        if echo is not None:
            _adopt(reply, echo)
            lease.finish(message=_("Sent"), sent_message=echo, sent_at=echo.sent_at)
            return Status.SENT
    started = reply.send_started_at or timezone.now()
    if timezone.now() - started < ECHO_WAIT:
        lease.release(
            delay=ECHO_CHECK_SECONDS,
            message=_("Meta did not answer; checking whether it arrived…"),
        )
        return Status.SENDING
    lease.fail(
        _(
            "Meta did not confirm whether this was sent. Check the conversation on %(channel)s "
            "before sending it again: your text is kept here."
        )
        % {"channel": reply.thread.get_channel_display()},
        status=Status.UNKNOWN,
        message=_("Not confirmed"),
    )
    return Status.UNKNOWN


@transaction.atomic
def adopt_late_echoes() -> int:
    """Turn unconfirmed replies whose echo has come since into sent ones; return how many."""
    adopted = 0
    since = timezone.now() - timedelta(days=LATE_ECHO_DAYS)
    for reply in (
        Reply.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("thread")
        .filter(status=Status.UNKNOWN, send_started_at__gte=since)
        .order_by("pk")[:200]
    ):
        echo = _find_echo(reply)
        if echo is None:
            continue
        _adopt(reply, echo)
        reply.status, reply.message, reply.error = Status.SENT, _("Sent"), ""
        reply.sent_message, reply.sent_at = echo, echo.sent_at
        reply.save(
            update_fields=["status", "message", "error", "sent_message", "sent_at", "updated_at"]
        )
        adopted += 1
    return adopted


def sweep_replies() -> int:
    """Queue replies whose worker died or whose message was lost; adopt late echoes."""
    queued = jobs.sweep(REPLIES)
    adopt_late_echoes()
    return queued
