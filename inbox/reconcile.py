"""What webhooks missed: reading comments, conversations and mentions back through the Graph API.

Webhooks arrive twice, late, out of order (``inbox.ingest`` handles those) or never: Meta drops
a delivery after 36 hours of failures, a Page can lose the app's subscription, events from before
the account was selected were never sent. A ``SyncRun`` (a job on ``prosocial.jobs``) reads one
Page or Instagram account back:

- **backfill**, when the account is first selected, once Meta confirmed its webhook
  subscription (``webhooks_subscribed``; the 15-minute planner catches any it missed): the last
  ``INBOX_BACKFILL_DAYS`` days (30);
- **reconcile**, every 15 minutes (beat, ``plan_reconciles``): posts and media of the last 7 days
  and threads with activity in the last 48 hours, conversations updated in the last 48 hours.

The posts it reads: the Page's ``/feed`` (the account's ``/media`` on Instagram), the posts and
ads ProSocial published there in the window (``Publication`` remote ids: Meta's feed listing may
leave some out) and the posts of the account's recent threads. For each: every comment (replies
included), compared with what the inbox holds. Then the account's conversations and their latest
messages, and the mentions whose text is still unknown (``fetch_mention_details``).

**Same rules as webhooks.** Everything read becomes the ``inbox.payloads`` change a webhook would
have carried and is written by ``ingest.apply_change``: rows keyed by Meta's ids, so a webhook
arriving after a reconcile (or before) changes nothing twice. A comment whose text differs is an
edit, dated when Meta was read, so a later webhook of an older edit cannot undo it; hidden state
likewise. A comment Meta no longer lists is *not* removed for that: only a ``GET`` on it that
answers 100/33 (does not exist) removes it.

**Two phases.** All Graph calls first (no transaction open, no row locked), then every write in
one transaction that also finishes the run (``lease.owned``): a rate limit or an outage in the
middle leaves nothing half-written, and the run is retried with back-off (Meta's wait when it
says one), at most ``MAX_ATTEMPTS`` times. A post Meta says is gone is skipped; a permission the
account lacks skips that part and says so in the run's message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from inbox import ingest, tasks
from inbox.models import Channel, Message, SyncRun, Thread
from inbox.payloads import (
    ADD,
    EDITED,
    HIDE,
    REMOVE,
    UNHIDE,
    Author,
    Change,
    CommentChange,
    DirectMessage,
    clean_text,
)
from meta_integration import graph
from meta_integration import services as meta_services
from meta_integration.error_catalogue import explain
from meta_integration.errors import MetaConnectionError
from meta_integration.graph import GraphError, Platform
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from prosocial import jobs
from publishing.models import Publication, Target

logger = logging.getLogger(__name__)

Status = SyncRun.Status
Kind = SyncRun.Kind
MAX_ATTEMPTS = 6
RETRY_SECONDS = 60.0  # first retry without Meta's own wait; doubles per attempt
RECONCILE_POST_DAYS = 7
RECONCILE_THREAD_HOURS = 48
# Messages read per conversation: Meta details only about the 20 latest (GRAPH_NOTES §9.2).
MESSAGE_PAGES = 1
FB_TARGETS = (Target.FB_POST, Target.FB_REEL)
IG_TARGETS = (Target.IG_FEED, Target.IG_CAROUSEL, Target.IG_REEL, Target.IG_STORY)


def _enqueue(run_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(partial(tasks.run_sync_task.apply_async, (run_id,), countdown=countdown))


SYNC_RUNS = jobs.register(
    jobs.JobKind(
        name="inbox sync",
        model=SyncRun,
        runnable=Q(status__in=SyncRun.ACTIVE),
        enqueue=_enqueue,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        done_status=Status.SUCCEEDED,
        failed_status=Status.FAILED,
        finished_field="finished_at",
        max_attempts=MAX_ATTEMPTS,
        exhausted=lambda n: (
            _("Meta kept failing after %(n)d tries; the next reconcile tries again.") % {"n": n}
        ),
    )
)


# --- Planning -----------------------------------------------------------------------------------


def _selected_accounts(connections: Iterable[MetaConnection]) -> list[MetaPage | InstagramAccount]:
    ids = [c.pk for c in connections if c.is_usable]
    pages = MetaPage.objects.filter(connection_id__in=ids, is_selected=True, is_available=True)
    instagram = InstagramAccount.objects.filter(
        connection_id__in=ids, is_selected=True, is_available=True, page__isnull=False
    )
    return [*pages.order_by("pk"), *instagram.order_by("pk")]


def _meta_id(asset: MetaPage | InstagramAccount) -> str:
    return asset.page_id if isinstance(asset, MetaPage) else asset.ig_user_id


def _was_backfilled(asset: MetaPage | InstagramAccount) -> bool:
    return SyncRun.objects.filter(
        workspace_id=asset.workspace_id,
        account_meta_id=_meta_id(asset),
        kind=Kind.BACKFILL,
        status=Status.SUCCEEDED,
    ).exists()


def queue_sync_run(*, asset: MetaPage | InstagramAccount, kind: str) -> SyncRun | None:
    """Queue a run over one Page or Instagram account; None when one is already under way."""
    now = timezone.now()
    if kind == Kind.BACKFILL:
        since = now - timedelta(days=settings.INBOX_BACKFILL_DAYS)
    else:
        since = now - timedelta(days=RECONCILE_POST_DAYS)
    page = asset if isinstance(asset, MetaPage) else None
    instagram = asset if isinstance(asset, InstagramAccount) else None
    is_page = page is not None
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                workspace_id=asset.workspace_id,
                connection_id=asset.connection_id,
                page=page,
                instagram_account=instagram,
                account_meta_id=_meta_id(asset),
                channel=Channel.FACEBOOK if is_page else Channel.INSTAGRAM,
                kind=kind,
                since=since,
                message=_("Queued."),
            )
    except IntegrityError:
        return None  # a run of this account is queued or running (inbox_syncrun_one_active)
    SYNC_RUNS.enqueue(run.pk)
    return run


def plan_backfills(*, connection_id: int) -> list[int]:
    """Queue a backfill for each selected account of the connection not backfilled yet."""
    connection = MetaConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return []
    queued = []
    for asset in _selected_accounts([connection]):
        if not _was_backfilled(asset):
            run = queue_sync_run(asset=asset, kind=Kind.BACKFILL)
            if run is not None:
                queued.append(run.pk)
    return queued


def on_webhooks_subscribed(sender: Any, *, connection_id: int, **kwargs: Any) -> None:
    """Backfill the connection's selected accounts not read yet (``webhooks_subscribed``).

    Sent once Meta confirmed the Page's subscription, so nothing falls between what the backfill
    reads and the first webhook. A broker that is down queues nothing now: the sweeper will.
    """
    try:
        plan_backfills(connection_id=connection_id)
    except (KombuError, OSError):
        logger.warning("connection %s: backfill not queued now; the sweeper will", connection_id)


def plan_reconciles() -> int:
    """Queue a reconcile of every selected account (a backfill for one never backfilled).

    Beat, every 15 minutes. An account whose run is still queued or running is left alone.
    Returns how many runs were queued.
    """
    connections = MetaConnection.objects.filter(
        status__in=[MetaConnection.Status.ACTIVE, MetaConnection.Status.EXPIRING]
    )
    queued = 0
    for asset in _selected_accounts(connections):
        kind = Kind.RECONCILE if _was_backfilled(asset) else Kind.BACKFILL
        queued += queue_sync_run(asset=asset, kind=kind) is not None
    return queued


def sweep_sync_runs() -> int:
    """Queue runs whose worker died or whose message was lost (beat); return how many."""
    return jobs.sweep(SYNC_RUNS)


# --- Running ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What one run read from Meta, ready to be written."""

    changes: list[Change] = field(default_factory=list)
    mentions: list[tuple[str, graph.MentionDetails, bool]] = field(default_factory=list)
    seen: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Counts:
    created: int
    updated: int
    removed: int


def _account_of(run: SyncRun) -> tuple[ingest.Account, MetaPage] | None:
    """Return the run's account and the Page whose token reads it; None if no longer selected."""
    page, instagram = run.page, run.instagram_account
    if instagram is not None:
        if not instagram.is_selected or instagram.page is None:
            return None
        token_page = instagram.page
    elif page is not None and page.is_selected:
        token_page = page
    else:
        return None
    account = ingest.Account(
        workspace_id=run.workspace_id,
        connection_id=run.connection_id,
        channel=run.channel,
        meta_id=run.account_meta_id,
        page=page,
        instagram=instagram,
    )
    return account, token_page


def run_sync(*, run_id: int) -> None:
    """Read one account back from Meta and write what webhooks missed (a job of the runner).

    Idempotent: every write goes through ``ingest``'s rules, keyed by Meta's ids. Retried
    with back-off on rate limits and outages; writes nothing until every read is done.
    """
    lease = jobs.claim(SYNC_RUNS, run_id)
    if lease is None:
        return
    with lease:
        run = SyncRun.objects.select_related(
            "page__connection", "instagram_account__page__connection"
        ).get(pk=run_id)
        found = _account_of(run)
        if found is None:
            lease.finish(message=_("The account is no longer used here; nothing to read."))
            return
        account, token_page = found
        try:
            token = meta_services.page_token_for(page=token_page)
        except MetaConnectionError as error:
            lease.fail(error.message)
            return
        lease.progress(10, _("Reading comments and conversations from Meta…"))
        try:
            plan = _read(run, account, token)
        except GraphError as exc:
            explanation = explain(exc)
            text = f"{explanation.cause} {explanation.fix}"
            logger.warning("sync run %s: %s", run_id, exc)
            if exc.is_retryable:
                wait = exc.retry_after or RETRY_SECONDS * 2 ** (SYNC_RUNS.attempts_used(run) - 1)
                lease.fail(text, retry_in=wait, retryable=True)
            else:
                lease.fail(text)
            return
        with lease.owned():
            counts = _write(account, plan)
            summary = _(
                "%(seen)d read from Meta: %(created)d new, %(updated)d changed, "
                "%(removed)d removed."
            ) % {
                "seen": plan.seen,
                "created": counts.created,
                "updated": counts.updated,
                "removed": counts.removed,
            }
            lease.finish(
                seen=plan.seen,
                created=counts.created,
                updated=counts.updated,
                removed=counts.removed,
                message=" ".join([summary, *plan.notes]),
            )


def _skipped(exc: GraphError, plan: _Plan, what: str, *, refused_ok: bool = False) -> bool:
    """Whether a read that failed can be left out of the run (gone, or not permitted).

    ``refused_ok``: any permanent refusal skips (a mention Meta won't show stays without text).
    """
    if _is_gone(exc):
        return True
    if exc.is_permission or (refused_ok and not exc.is_retryable and not exc.is_auth):
        note = _("Skipped %(what)s: %(cause)s") % {"what": what, "cause": explain(exc).cause}
        if note not in plan.notes:
            plan.notes.append(note)
        return True
    return False


def _is_gone(exc: GraphError) -> bool:
    """Meta's "does not exist, cannot be loaded due to missing permissions" (100/33)."""
    return exc.code == 100 and exc.subcode == 33


def _read(run: SyncRun, account: ingest.Account, token: str) -> _Plan:
    plan = _Plan()
    now = timezone.now()
    recent = now - timedelta(hours=RECONCILE_THREAD_HOURS)
    active_since = run.since if run.kind == Kind.BACKFILL else recent
    platform = Platform.INSTAGRAM if account.channel == Channel.INSTAGRAM else Platform.FACEBOOK
    for post_id in _post_ids(run, account, token, active_since=active_since):
        _read_post(plan, account, token, post_id, platform)
    _read_conversations(plan, account, token, since=active_since)
    _read_mentions(plan, account, token, since=active_since)
    return plan


# --- Posts and comments -------------------------------------------------------------------------


def _post_ids(
    run: SyncRun, account: ingest.Account, token: str, *, active_since: datetime
) -> list[str]:
    """Return the posts to read: listed by Meta, published by ProSocial, or recently active."""
    if account.channel == Channel.INSTAGRAM:
        listed = graph.list_recent_media(
            access_token=token, ig_user_id=account.meta_id, since=run.since
        )
        publications = Publication.objects.filter(
            instagram_meta_id=account.meta_id, target__in=[*IG_TARGETS, Target.META_AD]
        )
        ad_key = "effective_instagram_media_id"
    else:
        listed = graph.list_recent_posts(
            access_token=token, page_id=account.meta_id, since=run.since
        )
        publications = Publication.objects.filter(
            page_meta_id=account.meta_id, target__in=[*FB_TARGETS, Target.META_AD]
        )
        ad_key = "effective_object_story_id"
    ids = [item.id for item in listed]
    for target, remote_id, remote in publications.filter(
        workspace_id=run.workspace_id, published_at__gte=run.since
    ).values_list("target", "remote_id", "remote"):
        remote = remote if isinstance(remote, dict) else {}
        if target == Target.META_AD:
            ids.append(str(remote.get(ad_key) or ""))
        else:
            ids.append(str(remote.get("post_id") or remote_id or ""))
    ids += Thread.objects.filter(
        workspace_id=run.workspace_id,
        account_meta_id=account.meta_id,
        kind=Thread.Kind.COMMENT,
        last_message_at__gte=active_since,
    ).values_list("post_id", flat=True)
    return list(dict.fromkeys(i for i in ids if i))


def _read_post(
    plan: _Plan, account: ingest.Account, token: str, post_id: str, platform: Platform
) -> None:
    read_at = timezone.now()
    try:
        comments = graph.list_comments(access_token=token, object_id=post_id, platform=platform)
        if platform is Platform.INSTAGRAM:
            # Instagram lists top-level comments only; each one's replies are an edge of it.
            for top in list(comments):
                comments += graph.list_comment_replies(
                    access_token=token, comment_id=top.id, platform=platform
                )
    except GraphError as exc:
        if _skipped(exc, plan, _("comments")):
            return
        raise
    listed = {c.id for c in comments}
    for message in _missing_comments(account, post_id, listed):
        try:
            comments.append(
                graph.get_comment(
                    access_token=token, comment_id=message.external_id, platform=platform
                )
            )
        except GraphError as exc:
            if not _is_gone(exc):
                raise
            # Meta says it does not exist any more: removed while no webhook told us.
            plan.changes.append(
                CommentChange(
                    verb=REMOVE,
                    comment_id=message.external_id,
                    changed_at=timezone.now(),
                    post_id=post_id,
                )
            )
    plan.seen += len(comments)
    plan.changes += _comment_changes(account, post_id, comments, read_at=read_at)


def _missing_comments(account: ingest.Account, post_id: str, listed: set[str]) -> list[Message]:
    """Return the comments the inbox holds on this post that Meta did not list."""
    return list(
        Message.objects.filter(
            workspace_id=account.workspace_id,
            thread__account_meta_id=account.meta_id,
            thread__kind=Thread.Kind.COMMENT,
            thread__post_id=post_id,
            is_deleted=False,
        )
        .exclude(external_id="")
        .exclude(external_id__in=listed)
        .only("pk", "external_id")
    )


def _comment_changes(
    account: ingest.Account, post_id: str, comments: list[graph.Comment], *, read_at: datetime
) -> list[Change]:
    """Turn what Meta shows into the changes a webhook would have carried."""
    held = {
        m.external_id: m
        for m in Message.objects.filter(
            workspace_id=account.workspace_id, external_id__in=[c.id for c in comments]
        )
    }
    instagram = account.channel == Channel.INSTAGRAM
    changes: list[Change] = []
    for comment in comments:
        message = held.get(comment.id)
        text = clean_text(comment.text)
        author = None
        if comment.author_id:
            author = Author(
                meta_id=comment.author_id[:64],
                name="" if instagram else comment.author_name[:200],
                username=comment.author_name[:100] if instagram else "",
            )
        created = comment.created_at or read_at
        common: dict[str, Any] = {
            "comment_id": comment.id,
            "post_id": comment.media_id or post_id,
            "parent_comment_id": comment.parent_id or "",
            "author": author,
            "created_at": created,
        }
        if message is None or message.thread_id is None:
            changes.append(CommentChange(verb=ADD, changed_at=created, text=text, **common))
        elif not message.is_deleted and text != message.text:
            # Edited while no webhook told us; dated when Meta was read, so only a newer
            # edit replaces it. Attachments are not in the listing: keep those held.
            changes.append(
                CommentChange(
                    verb=EDITED,
                    changed_at=read_at,
                    text=text,
                    attachments=list(message.attachments),
                    **common,
                )
            )
        if comment.is_hidden != (message.is_hidden if message is not None else False):
            changes.append(
                CommentChange(
                    verb=HIDE if comment.is_hidden else UNHIDE,
                    comment_id=comment.id,
                    changed_at=read_at,
                    post_id=post_id,
                )
            )
    return changes


# --- Conversations ------------------------------------------------------------------------------


def _read_conversations(
    plan: _Plan, account: ingest.Account, token: str, *, since: datetime
) -> None:
    instagram = account.channel == Channel.INSTAGRAM
    page_id = account.instagram.page.page_id if instagram else account.meta_id  # type: ignore[union-attr]
    platform = Platform.INSTAGRAM if instagram else Platform.FACEBOOK
    try:
        conversations = graph.list_conversations(
            access_token=token, page_id=page_id, platform=platform
        )
    except GraphError as exc:
        if _skipped(exc, plan, _("conversations")):
            return
        raise
    for conversation in conversations:
        if conversation.updated_at is not None and conversation.updated_at < since:
            break  # newest first: the rest is older still
        customer = next((p for p in conversation.participants if p.id != account.meta_id), None)
        if customer is None or not customer.id:
            continue
        try:
            messages = graph.list_conversation_messages(
                access_token=token, conversation_id=conversation.id, max_pages=MESSAGE_PAGES
            )
        except GraphError as exc:
            if _skipped(exc, plan, _("conversations")):
                continue
            raise
        plan.seen += len(messages)
        for message in reversed(messages):  # oldest first, as webhooks would have come
            if not message.id or message.created_at is None:
                continue
            plan.changes.append(
                DirectMessage(
                    mid=message.id,
                    customer_id=customer.id[:64],
                    sender_id=message.sender.id[:64],
                    is_echo=message.sender.id == account.meta_id,
                    sent_at=message.created_at,
                    text=clean_text(message.text),
                    attachments=[
                        {"type": a.type, "url": a.url} if a.url else {"type": a.type}
                        for a in message.attachments
                    ],
                    customer_name="" if instagram else customer.name[:200],
                    customer_username=customer.name[:100] if instagram else "",
                )
            )


# --- Mentions -----------------------------------------------------------------------------------


def _unfilled_mentions(account: ingest.Account, *, since: datetime | None = None) -> list[Message]:
    rows = Message.objects.filter(
        workspace_id=account.workspace_id,
        thread__account_meta_id=account.meta_id,
        thread__kind=Thread.Kind.MENTION,
        is_deleted=False,
        text="",
    ).select_related("thread")
    if since is not None:
        rows = rows.filter(thread__last_message_at__gte=since)
    return list(rows.order_by("pk"))


def _mention_details(
    token: str, ig_user_id: str, message: Message
) -> tuple[graph.MentionDetails, bool]:
    """Read what a mention said; return it and whether it is a caption (not a comment)."""
    in_caption = message.thread is not None and message.external_id == message.thread.post_id
    if in_caption:
        details = graph.get_mentioned_media(
            access_token=token, ig_user_id=ig_user_id, media_id=message.external_id
        )
    else:
        details = graph.get_mentioned_comment(
            access_token=token, ig_user_id=ig_user_id, comment_id=message.external_id
        )
    return details, in_caption


def _read_mentions(plan: _Plan, account: ingest.Account, token: str, *, since: datetime) -> None:
    if account.channel != Channel.INSTAGRAM:
        return
    for message in _unfilled_mentions(account, since=since):
        try:
            details, in_caption = _mention_details(token, account.meta_id, message)
        except GraphError as exc:
            if _skipped(exc, plan, _("mentions"), refused_ok=True):
                continue
            raise
        plan.seen += 1
        plan.mentions.append((message.external_id, details, in_caption))


def _fill(
    account: ingest.Account, external_id: str, details: graph.MentionDetails, in_caption: bool
) -> bool:
    return ingest.fill_mention(
        account,
        external_id=external_id,
        text=details.text,
        author_name=f"@{details.username}" if details.username else "",
        caption=details.text if in_caption else "",
        attachments=[{"type": "image", "url": details.media_url}] if details.media_url else None,
    )


def fetch_mention_details(*, message_id: int) -> bool:
    """Read and store what one new mention said (queued by ``ingest`` when it stores one).

    The webhook carries only ids. A failure is logged and left to the next reconcile, which
    reads every mention still without text. Returns whether anything was filled in.
    """
    message = (
        Message.objects.select_related("thread__instagram_account__page__connection")
        .filter(pk=message_id, thread__kind=Thread.Kind.MENTION, is_deleted=False, text="")
        .first()
    )
    thread = message.thread if message is not None else None
    instagram = thread.instagram_account if thread is not None else None
    if message is None or thread is None or instagram is None or instagram.page is None:
        return False
    try:
        token = meta_services.page_token_for(page=instagram.page)
        details, in_caption = _mention_details(token, instagram.ig_user_id, message)
    except (MetaConnectionError, GraphError) as exc:
        logger.warning("mention %s: details not read now (%s); a reconcile will", message_id, exc)
        return False
    account = ingest.Account(
        workspace_id=thread.workspace_id,
        connection_id=thread.connection_id,
        channel=Channel.INSTAGRAM,
        meta_id=instagram.ig_user_id,
        page=None,
        instagram=instagram,
    )
    with transaction.atomic():
        return _fill(account, message.external_id, details, in_caption)


def fetch_contact_name(*, thread_id: int) -> bool:
    """Read the name of a new DM thread's customer (queued by ``ingest`` when it opens one).

    Messenger's and Instagram's message webhooks carry only the customer's id; the
    conversation's participants carry their name (Messenger) or username (Instagram). Until
    this runs the inbox shows the id. A failure is logged and left to the next reconcile,
    which reads every recent conversation's participants. Returns whether a name was stored.
    """
    thread = (
        Thread.objects.select_related("contact", "page", "instagram_account__page")
        .filter(pk=thread_id, kind=Thread.Kind.DM, contact__isnull=False)
        .first()
    )
    contact = thread.contact if thread is not None else None
    if thread is None or contact is None or contact.name or contact.username:
        return False
    instagram = thread.instagram_account
    page = instagram.page if instagram is not None else thread.page
    if page is None:
        return False
    try:
        conversations = graph.list_conversations(
            access_token=meta_services.page_token_for(page=page),
            page_id=page.page_id,
            platform=Platform.INSTAGRAM if instagram is not None else Platform.FACEBOOK,
            user_id=contact.meta_id,
            max_pages=1,
        )
    except (MetaConnectionError, GraphError) as exc:
        logger.warning(
            "thread %s: customer's name not read now (%s); a reconcile will", thread_id, exc
        )
        return False
    name = next(
        (
            p.name
            for conversation in conversations
            for p in conversation.participants
            if p.id == contact.meta_id and p.name
        ),
        "",
    )
    if not name:
        return False
    field = "username" if instagram is not None else "name"
    with transaction.atomic():
        stored = (
            type(contact)
            .objects.filter(pk=contact.pk, name="", username="")
            .update(
                **{field: name[: 100 if instagram is not None else 200]}, updated_at=timezone.now()
            )
        )
        # The list and the open thread poll on the threads' times: show the name at once.
        Thread.objects.filter(contact_id=contact.pk).update(updated_at=timezone.now())
    return bool(stored)


# --- Writing ------------------------------------------------------------------------------------


def _key(change: Change) -> str:
    if isinstance(change, CommentChange):
        return change.comment_id
    if isinstance(change, DirectMessage):
        return change.mid
    raise TypeError(f"a reconcile writes no {type(change).__name__}")


def _states(account: ingest.Account, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in Message.objects.filter(
            workspace_id=account.workspace_id, external_id__in=keys
        ).values_list("external_id", "thread_id", "updated_at", "is_deleted")
    }


def _write(account: ingest.Account, plan: _Plan) -> _Counts:
    """Write what was read, through ``ingest``'s rules (inside the run's transaction)."""
    keys = list(dict.fromkeys(_key(change) for change in plan.changes))
    before = _states(account, keys)
    for change in plan.changes:
        ingest.apply_change(account, change)
    after = _states(account, keys)
    created = updated = removed = 0
    for key in keys:
        old, new = before.get(key), after.get(key)
        if new is None or new == old:
            continue
        if new[2] and not (old and old[2]):
            removed += 1
        elif new[0] is not None and (old is None or old[0] is None):
            created += 1
        else:
            updated += 1
    for external_id, details, in_caption in plan.mentions:
        updated += _fill(account, external_id, details, in_caption)
    return _Counts(created=created, updated=updated, removed=removed)
