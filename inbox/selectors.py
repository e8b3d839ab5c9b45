"""Reads for the inbox pages: the thread list with its filters, one thread with its context.

Owns:
    ``list_threads_for_member`` (the list, newest first, filtered and searched),
    ``get_thread_for_member`` (the one access helper: another workspace's thread and a missing
    one are the same 404), what the thread page shows beside the conversation
    (``thread_context``), the filter bar's choices, and the sidebar's unread count
    (``unread_count_expression``, carried by the membership query).

Invariants:
    - Every query starts from the member's workspace.
    - The list page's query count does not depend on how many threads there are: one
      ``COUNT`` and one page of rows with their contact, assignee and account joined
      (``tests/inbox/test_inbox_pages.py`` pins it for 10 and 200 threads).
    - Placeholders (messages known only from a change that overtook their creation, with no
      thread) are never shown; removed messages are, as "deleted", without their text.

Search is ``icontains`` over the contact's name and username, the thread's snippet and the
text of its messages: the same on PostgreSQL and on the embedded SQLite default.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, User
from accounts.permissions import Role, has_permission
from accounts.selectors import count_subquery
from inbox import windows
from inbox.models import Channel, Message, Note, Thread
from meta_integration.models import InstagramAccount, MetaPage
from publishing.models import PublicationAsset
from publishing.selectors import workspace_zone

# Rows are one line each; 25 fills a laptop screen and keeps j/k navigation on one page.
PER_PAGE = 25

STATUS_OPEN, STATUS_DONE, STATUS_ALL = "open", "done", "all"
ASSIGNEE_ME, ASSIGNEE_NOBODY = "me", "none"


@dataclass(frozen=True)
class InboxFilters:
    """What the list shows; every field empty means "any" (``status`` defaults to open).

    ``account`` is ``"<channel>:<Meta id>"`` (``facebook:<page id>``,
    ``instagram:<Instagram user id>``), the ids threads keep after an account is removed;
    ``assignee`` is ``"me"``, ``"none"`` or a user's pk.
    """

    account: str = ""
    channel: str = ""
    kind: str = ""
    status: str = STATUS_OPEN
    assignee: str = ""
    unread: bool = False
    q: str = ""

    @property
    def is_default(self) -> bool:
        return self == InboxFilters()


def list_threads_for_member(membership: Membership, filters: InboxFilters) -> QuerySet[Thread]:
    """Return the workspace's threads matching ``filters``, newest first."""
    threads = Thread.objects.filter(workspace_id=membership.workspace_id).select_related(
        "contact", "assignee", "page", "instagram_account"
    )
    return _filtered(threads, membership, filters).order_by("-last_message_at", "-id")


def _filtered(
    threads: QuerySet[Thread], membership: Membership, filters: InboxFilters
) -> QuerySet[Thread]:
    channel, _sep, meta_id = filters.account.partition(":")
    if channel in Channel.values and meta_id:
        threads = threads.filter(channel=channel, account_meta_id=meta_id)
    if filters.channel in Channel.values:
        threads = threads.filter(channel=filters.channel)
    if filters.kind in Thread.Kind.values:
        threads = threads.filter(kind=filters.kind)
    if filters.status in (STATUS_OPEN, STATUS_DONE):
        threads = threads.filter(status=filters.status)
    if filters.assignee == ASSIGNEE_ME:
        threads = threads.filter(assignee_id=membership.user_id)
    elif filters.assignee == ASSIGNEE_NOBODY:
        threads = threads.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        threads = threads.filter(assignee_id=int(filters.assignee))
    if filters.unread:
        threads = threads.filter(is_unread=True)
    if words := filters.q.strip():
        threads = threads.filter(_search(words))
    return threads


def _search(words: str) -> Q:
    username = words.removeprefix("@")
    in_messages = Message.objects.filter(
        thread_id=OuterRef("pk"), is_deleted=False, text__icontains=words
    )
    return (
        Q(contact__name__icontains=words)
        | Q(contact__username__icontains=username)
        | Q(snippet__icontains=words)
        | Q(Exists(in_messages))
    )


def page_fingerprint(rows: Iterable[Thread], total: int) -> str:
    """Return a short token that changes when anything the list shows for ``rows`` changes.

    The list's poll sends the token it last rendered; the same token back means nothing
    changed and the page keeps its DOM (and the reader's place) as it is.
    """
    parts = [str(total)] + [
        f"{t.pk}:{t.updated_at.timestamp()}:{t.is_unread}:{t.status}:{t.assignee_id}" for t in rows
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def get_thread_for_member(membership: Membership, pk: int) -> Thread:
    """Return the thread ``pk`` inside the member's workspace, with its context; 404 otherwise."""
    thread: Thread | None = (
        Thread.objects.filter(workspace_id=membership.workspace_id)
        .select_related(
            "contact",
            "assignee",
            "page",
            "instagram_account",
            "publication",
            "publication__cover_asset",
        )
        .filter(pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("No such conversation")
    return thread


def list_messages(thread: Thread) -> list[Message]:
    """Return the thread's messages, oldest first (placeholders have no thread: never here)."""
    return list(
        Message.objects.filter(thread=thread, workspace_id=thread.workspace_id)
        .select_related("sent_by")
        .order_by("sent_at", "id")
    )


def list_notes(thread: Thread) -> list[Note]:
    return list(
        Note.objects.filter(thread=thread, workspace_id=thread.workspace_id)
        .select_related("author")
        .order_by("created_at", "id")
    )


def messages_fingerprint(thread: Thread, messages: Iterable[Message]) -> str:
    """Return a short token that changes when the conversation on screen would change."""
    parts = [f"{thread.pk}:{thread.updated_at.timestamp()}"] + [
        f"{m.pk}:{m.updated_at.timestamp()}" for m in messages
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class WindowView:
    """The messaging window as the thread page shows it."""

    state: str  # open / human_agent / closed / private (a comment's private reply)
    text: str


def last_customer_message_at(messages: Iterable[Message]) -> datetime | None:
    """Return when the customer last wrote (a removed message still opened the window)."""
    times = [
        m.sent_at or m.created_at
        for m in messages
        if m.direction == Message.Direction.INBOUND and m.thread_id is not None
    ]
    return max(times, default=None)


def window_for(
    thread: Thread, messages: list[Message], zone: ZoneInfo, *, now: datetime | None = None
) -> WindowView | None:
    """Return a DM's messaging window in plain words, from its loaded messages (else None).

    The conversation's poll refreshes it without a query of its own; the reply box says the
    rest (a comment's private reply, with whether it was used: ``inbox.reply_box``).
    """
    if thread.kind != Thread.Kind.DM:
        return None
    now = now or timezone.now()
    window = windows.dm_window(last_customer_message_at=last_customer_message_at(messages), now=now)
    return WindowView(state=str(window.state), text=window.describe(zone, now=now))


@dataclass
class ThreadContext:
    """Everything the thread page shows around the conversation."""

    thread: Thread
    messages: list[Message]
    notes: list[Note]
    window: WindowView | None
    publication_asset: Any = None  # the publication's first media file (a MediaAsset) or None
    fingerprint: str = ""
    members: list[User] = field(default_factory=list)

    @property
    def account_name(self) -> str:
        """Return the Page's name or the Instagram @username the thread came through."""
        if self.thread.page is not None:
            return self.thread.page.name
        if self.thread.instagram_account is not None:
            return f"@{self.thread.instagram_account.username}"
        return ""


def thread_context(membership: Membership, thread: Thread, *, full: bool = True) -> ThreadContext:
    """Return the thread's messages and window; with ``full``, its notes, picture and members.

    The conversation's poll asks for the messages only (``full=False``: one query).
    """
    messages = list_messages(thread)
    context = ThreadContext(
        thread=thread,
        messages=messages,
        notes=[],
        window=window_for(thread, messages, workspace_zone(membership)),
        fingerprint=messages_fingerprint(thread, messages),
    )
    if full:
        context.notes = list_notes(thread)
        context.publication_asset = _publication_asset(thread)
        context.members = list_assignable_members(membership)
    return context


def _publication_asset(thread: Thread) -> Any:
    """Return the picture of the post ProSocial published: its cover, else its first file."""
    publication = thread.publication
    if publication is None:
        return None
    if publication.cover_asset is not None:
        return publication.cover_asset
    item = (
        PublicationAsset.objects.filter(publication=publication)
        .select_related("asset")
        .order_by("position", "id")
        .first()
    )
    return item.asset if item is not None else None


def neighbours(
    membership: Membership, thread: Thread, filters: InboxFilters
) -> tuple[Thread | None, Thread | None]:
    """Return the threads just newer and just older than ``thread`` in the filtered list."""
    rows = _filtered(
        Thread.objects.filter(workspace_id=membership.workspace_id), membership, filters
    ).exclude(pk=thread.pk)
    at = thread.last_message_at
    newer = (
        rows.filter(Q(last_message_at__gt=at) | Q(last_message_at=at, id__gt=thread.pk))
        .order_by("last_message_at", "id")
        .only("pk")
        .first()
    )
    older = (
        rows.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=thread.pk))
        .order_by("-last_message_at", "-id")
        .only("pk")
        .first()
    )
    return newer, older


# --- the filter bar's choices ---------------------------------------------------------------


def account_filter_choices(membership: Membership) -> list[tuple[str, str]]:
    """Return ``("<channel>:<Meta id>", label)`` for the workspace's Pages and IG accounts.

    One query (a ``UNION ALL``); an account reached through two connections is listed once.
    """
    ws = membership.workspace_id
    text = CharField()
    pages = (
        MetaPage.objects.filter(workspace_id=ws)
        .order_by()
        .values_list(Value(Channel.FACEBOOK, output_field=text), "page_id", "name")
    )
    accounts = (
        InstagramAccount.objects.filter(workspace_id=ws)
        .order_by()
        .values_list(Value(Channel.INSTAGRAM, output_field=text), "ig_user_id", "username")
    )
    labels: dict[str, str] = {}
    for channel, meta_id, name in pages.union(accounts, all=True):
        label = f"@{name}" if channel == Channel.INSTAGRAM and name else (name or meta_id)
        labels.setdefault(f"{channel}:{meta_id}", label)
    # Unordered in SQL (SQLite allows no ORDER BY inside a UNION): Pages first, then by name.
    return sorted(
        labels.items(), key=lambda item: (item[0].startswith(Channel.INSTAGRAM), item[1].lower())
    )


def list_assignable_members(membership: Membership) -> list[User]:
    """Return the workspace's members who may answer threads (the assignee choices)."""
    roles = [role for role in Role if has_permission(role, "inbox.reply")]
    rows = (
        Membership.objects.filter(workspace_id=membership.workspace_id, role__in=roles)
        .select_related("user")
        .order_by("user__email")
    )
    return [row.user for row in rows]


# --- the sidebar's count --------------------------------------------------------------------


def unread_count_expression() -> Case:
    """Return the workspace's unread open threads, counted in SQL over a membership row.

    Registered as ``nav_inbox_unread`` through ``accounts.extensions.register_membership_count``
    (``register_nav_counts``), so the sidebar's badge costs no query of its own.
    """
    readers = [role for role in Role if has_permission(role, "inbox.view")]
    rows = Thread.objects.filter(
        workspace_id=OuterRef("workspace_id"), is_unread=True, status=Thread.Status.OPEN
    )
    return Case(
        When(role__in=readers, then=count_subquery(rows)),
        default=Value(0),
        output_field=IntegerField(),
    )


def register_nav_counts() -> None:
    """Register the sidebar's inbox badge; call from ``InboxConfig.ready()``."""
    from accounts.extensions import register_membership_count

    register_membership_count("nav_inbox_unread", unread_count_expression)
