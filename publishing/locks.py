"""At most one create in flight per (Meta account, kind): the reconcile of a lost answer can't guess.

When Meta's answer to a create is lost, the publication lists the account's objects and adopts
what its call made. With two creates of the same kind on the same account in flight at once,
two publications with the same caption (or two stories, which have none) could adopt each
other's post. So a create first takes the account's *slot* for that kind (one row, unique on
``account`` and ``kind``) and keeps it while its outcome is unknown: from before the call until
the answer, or until the reconcile found (or ruled out) what the lost call made. Another
publication wanting the same slot waits: it is queued again shortly (``SlotBusy``), not failed.

The slot is taken in the same transaction that writes the publication's ``pending`` mark, so
"holds the slot" and "has a create in flight" can't disagree. A slot whose holder no longer has
a create in flight (it failed, was cancelled or edited, its row is gone) is free: nobody has to
release it for the account to go on. Works the same on PostgreSQL and SQLite (a conditional
write under the row lock).
"""

from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from publishing.models import RUNNING_STATUSES, Publication

# How long a publication waiting for a busy slot waits before trying again (seconds).
SLOT_WAIT_SECONDS = 5.0


class SlotBusy(Exception):
    """Another publication's create of this kind on this account is in flight: wait."""

    def __init__(self, *, account: str, kind: str) -> None:
        self.account = account
        self.kind = kind
        self.retry_in = SLOT_WAIT_SECONDS
        super().__init__(
            _("Waiting for another publication to the same account to finish sending; it goes next")
        )


class CreateSlot(models.Model):
    """The right to have one create of ``kind`` in flight on the Meta ``account``."""

    # "page:<page id>", "ig:<ig user id>" or "act:<ad account id>" (Meta's ids: two workspaces
    # connected to the same Page share its slots).
    account = models.CharField(max_length=120)
    # What the create makes, as the reconcile lists it ("page_post", "ig_media", "ig_story", …).
    kind = models.CharField(max_length=40)
    holder = models.ForeignKey(
        Publication,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    since = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "publishing"
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="one_create_in_flight")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.kind}: {self.holder_id or 'free'}"


def _in_flight(publication_id: int) -> bool:
    """Whether the publication still has a create whose outcome is unknown."""
    return Publication.objects.filter(
        pk=publication_id, status__in=list(RUNNING_STATUSES), remote__has_key="pending"
    ).exists()


def take_slot(*, publication_id: int, account: str, kind: str, now: datetime | None = None) -> None:
    """Take the slot for a create (inside the caller's transaction); raise ``SlotBusy`` if held.

    Held by this publication already (a resumed step) counts as taken. One statement when the
    slot is free or ours (``_take_or_lock``); when another publication holds it, that statement
    has locked the slot, and whether the holder's create is still in flight is read after it,
    so the read sees what the holder committed before we got the lock.
    """
    assert transaction.get_connection().in_atomic_block, "take the slot with the pending mark"  # noqa: S101
    since = now or timezone.now()
    holder = _take_or_lock(publication_id=publication_id, account=account, kind=kind, since=since)
    if holder == publication_id:
        return
    if _in_flight(holder):
        raise SlotBusy(account=account, kind=kind)
    CreateSlot.objects.filter(account=account, kind=kind).update(
        holder_id=publication_id, since=since
    )


def _take_or_lock(*, publication_id: int, account: str, kind: str, since: datetime) -> int:
    """Create the slot held by us, or take it when it is free or ours; return its holder.

    One ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL, and SQLite 3.35+): the update keeps
    another holder as it is but still locks the row until our transaction ends. Whether that
    holder's create is in flight can't be decided in this statement: under READ COMMITTED its
    subqueries would read the snapshot taken before the lock was granted, and miss a holder
    that committed its in-flight mark meanwhile.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table = quote(CreateSlot._meta.db_table)
    holder = quote(CreateSlot._meta.get_field("holder").column)
    since_column = quote("since")
    take = f"{table}.{holder} IS NULL OR {table}.{holder} = excluded.{holder}"
    sql = (
        f"INSERT INTO {table} ({quote('account')}, {quote('kind')}, {holder}, {since_column}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({quote('account')}, {quote('kind')}) DO UPDATE SET "
        f"{holder} = CASE WHEN {take} THEN excluded.{holder} ELSE {table}.{holder} END, "
        f"{since_column} = CASE WHEN {take} THEN excluded.{since_column} "
        f"ELSE {table}.{since_column} END "
        f"RETURNING {holder}"
    )
    since_value = CreateSlot._meta.get_field("since").get_db_prep_value(since, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [account, kind, publication_id, since_value])
        (row,) = cursor.fetchall()
    return int(row[0])


def release_slots(*, publication_id: int) -> int:
    """Free every slot the publication holds (its create's outcome is known); return how many."""
    return CreateSlot.objects.filter(holder_id=publication_id).update(holder=None, since=None)
