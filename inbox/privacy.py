"""What the inbox holds for a Meta user, a person and a workspace: erasure, export, retention.

Registered from InboxConfig.ready(). Comments and messages are the customers' personal data,
kept only while the account they came through is connected:

- **disconnect, a Page removing the app, an account erasure** (``assets_removed``): the threads,
  messages and placeholders of the accounts that went, and contacts left with no thread, are
  deleted (``remove_account_threads``);
- **Meta's data-deletion request for the person who connected** (``erase_meta_user``): the same
  for every account of that person's connections;
- **retention**: a thread marked done whose last message is older than the workspace's period
  (``RetentionSettings.inbox_thread_days``; RETENTION_INBOX_THREAD_DAYS, 365, for a new
  workspace) is deleted with its messages, replies and notes; placeholders (a site-wide rule) (changes whose comment or message never arrived) go after
  RETENTION_WEBHOOK_EVENT_DAYS, like the webhook events they came from.

The workspace export holds every contact, thread, message and note; a person's export holds the
notes they wrote and the messages they sent.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from inbox.models import Contact, Message, Note, Thread
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.inventory import StoredItem
from prosocial.retention import RetentionRule, SiteRetentionRule


def _delete_threads(
    threads: QuerySet[Thread], placeholders: QuerySet[Message], workspace_ids: Iterable[int]
) -> dict[str, int]:
    """Delete threads (with messages and notes), placeholders, then contacts left unused."""
    counts = {
        "messages": Message.objects.filter(thread__in=threads).count(),
        "notes": Note.objects.filter(thread__in=threads).count(),
    }
    counts["threads"] = threads.delete()[1].get(Thread._meta.label, 0)
    counts["messages"] += placeholders.delete()[0]
    counts["contacts"] = _delete_unused_contacts(workspace_ids)
    return counts


def _delete_unused_contacts(workspace_ids: Iterable[int]) -> int:
    return (
        Contact.objects.filter(workspace_id__in=list(workspace_ids), threads__isnull=True)
        .delete()[1]
        .get(Contact._meta.label, 0)
    )


@transaction.atomic
def remove_account_threads(*, workspace_id: int, account_ids: Iterable[str]) -> dict[str, int]:
    """Delete what the inbox holds of these Pages / Instagram accounts in one workspace."""
    ids = list(account_ids)
    return _delete_threads(
        Thread.objects.filter(workspace_id=workspace_id, account_meta_id__in=ids),
        Message.objects.filter(
            workspace_id=workspace_id, thread__isnull=True, account_meta_id__in=ids
        ),
        [workspace_id],
    )


def on_assets_removed(
    sender: Any,
    *,
    workspace_id: int,
    page_ids: list[str],
    ig_user_ids: list[str],
    **kwargs: Any,
) -> list[str]:
    """``assets_removed`` receiver: the accounts' conversations go with them.

    Nothing is paused (the list of paused items stays empty): the threads are deleted.
    """
    remove_account_threads(workspace_id=workspace_id, account_ids=[*page_ids, *ig_user_ids])
    return []


@transaction.atomic
def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Delete the conversations that came through that person's connections.

    Runs before meta_integration deletes the connections (erasers run in reverse app order),
    while their Pages and Instagram accounts still say which placeholders are theirs.
    """
    connections = MetaConnection.objects.filter(meta_user_id=meta_user_id)
    assets = [
        *MetaPage.objects.filter(connection__in=connections).values_list("workspace_id", "page_id"),
        *InstagramAccount.objects.filter(connection__in=connections).values_list(
            "workspace_id", "ig_user_id"
        ),
    ]
    placeholders = Q(pk__in=[])
    for workspace_id, account_id in assets:
        placeholders |= Q(workspace_id=workspace_id, account_meta_id=account_id)
    threads = Thread.objects.filter(connection__in=connections)
    workspace_ids = {
        *connections.values_list("workspace_id", flat=True),
        *(workspace_id for workspace_id, _account in assets),
    }
    return _delete_threads(
        threads, Message.objects.filter(placeholders, thread__isnull=True), workspace_ids
    )


def erase_user(user_id: int) -> dict[str, int]:
    """Threads and notes belong to their workspace; the person is only unlinked from them."""
    return {
        "inbox_unlinked": Thread.objects.filter(assignee_id=user_id).update(assignee=None)
        + Message.objects.filter(sent_by_id=user_id).update(sent_by=None)
        + Note.objects.filter(author_id=user_id).update(author=None)
    }


@transaction.atomic
def erase_workspace(workspace_id: int) -> dict[str, int]:
    return _delete_threads(
        Thread.objects.filter(workspace_id=workspace_id),
        Message.objects.filter(workspace_id=workspace_id, thread__isnull=True),
        [workspace_id],
    )


def export_workspace(workspace_id: int) -> ExportPart:
    return ExportPart(
        records={
            "contacts": serialize_rows(Contact.objects.filter(workspace_id=workspace_id)),
            "threads": serialize_rows(
                Thread.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "messages": serialize_rows(
                Message.objects.filter(workspace_id=workspace_id, thread__isnull=False).order_by(
                    "pk"
                )
            ),
            "notes": serialize_rows(Note.objects.filter(workspace_id=workspace_id).order_by("pk")),
        }
    )


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "messages_sent": serialize_rows(
                Message.objects.filter(sent_by_id=user_id).order_by("pk")
            ),
            "notes": serialize_rows(Note.objects.filter(author_id=user_id).order_by("pk")),
        }
    )


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    return [
        StoredItem(
            "Inbox conversations",
            Thread.objects.filter(workspace_id=workspace_id).count(),
            "customers' comments and direct messages, with your replies and notes",
        )
    ]


# --- Retention ----------------------------------------------------------------------------------


def expired_done_threads(workspace_id: int, cutoff: datetime) -> QuerySet[Thread]:
    """Return the workspace's threads marked done whose last message is older than ``cutoff``."""
    return Thread.objects.filter(
        workspace_id=workspace_id, status=Thread.Status.DONE, last_message_at__lt=cutoff
    )


def remove_threads(rows: QuerySet[Thread]) -> int:
    """Delete expired threads with their messages and notes, then contacts left unused."""
    workspace_ids = set(rows.values_list("workspace_id", flat=True))
    count = rows.delete()[1].get(Thread._meta.label, 0)
    _delete_unused_contacts(workspace_ids)
    return count


def expired_placeholders(cutoff: datetime) -> QuerySet[Message]:
    """Placeholders (a change whose comment or message never came) untouched since ``cutoff``."""
    return Message.objects.filter(thread__isnull=True, updated_at__lt=cutoff)


DONE_THREAD_RETENTION = RetentionRule(
    name="inbox.done_threads",
    label=_("Inbox conversations marked done, with their messages, replies and notes"),
    period_field="inbox_thread_days",
    expired=expired_done_threads,
    remove=remove_threads,
)

PLACEHOLDER_RETENTION = SiteRetentionRule(
    name="inbox.placeholders",
    label=_(
        "Inbox placeholders: removals, hides and reactions whose comment or message never "
        "arrived, kept as long as webhook events"
    ),
    days_setting="RETENTION_WEBHOOK_EVENT_DAYS",
    expired=expired_placeholders,
)
