"""What meta_integration holds about a Meta user, and how to erase it (prosocial.erasure).

Also the retention of webhook events (prosocial.retention): a workspace's events are kept for
its ``webhook_event_days``; events no workspace uses follow the site default
RETENTION_WEBHOOK_EVENT_DAYS (``expired_unassigned_webhook_events``, a site-wide rule).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent
from meta_integration import services
from meta_integration.models import (
    InstagramAccount,
    MetaAdAccount,
    MetaConnection,
    MetaPage,
    WebhookEvent,
)
from meta_integration.services import RemovedAssets
from prosocial.retention import RetentionRule, SiteRetentionRule


@transaction.atomic
def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Delete every connection of ``meta_user_id`` with its tokens, assets and webhook events.

    Audit events about those connections stay (who did what, when) but lose the Meta
    person's name and identifiers. Each workspace that lost a connection pauses what was about
    to use its accounts and tells its owners and admins (``services.announce_removed_assets``).
    """
    connections = MetaConnection.objects.filter(meta_user_id=meta_user_id)
    ids = [str(pk) for pk in connections.values_list("pk", flat=True)]
    removed = services.collect_removed_assets(connections)
    workspaces = set(connections.values_list("workspace_id", flat=True))
    # Before the connections go: their Pages and IG accounts say which events are theirs.
    counts = {"webhook_events": _erase_webhook_events(meta_user_id, connections)}
    counts |= {
        "pages": MetaPage.objects.filter(connection__in=connections).count(),
        "instagram_accounts": InstagramAccount.objects.filter(connection__in=connections).count(),
        "ad_accounts": MetaAdAccount.objects.filter(connection__in=connections).count(),
    }
    counts["audit_events_scrubbed"] = AuditEvent.objects.filter(
        target_type=MetaConnection._meta.label, target_id__in=ids
    ).update(target_repr="[erased Meta connection]", metadata={})
    counts["connections"] = connections.delete()[1].get(MetaConnection._meta.label, 0)
    # Every workspace that lost a connection is told, even one with no assets left.
    found = {assets.workspace_id for assets in removed}
    for assets in [*removed, *(RemovedAssets(pk) for pk in sorted(workspaces - found))]:
        services.announce_removed_assets(
            assets,
            kind="meta.data_deleted",
            title=gettext("Meta asked us to delete a connection's data"),
            cause=gettext("Meta asked for the connected person's data to be deleted"),
            intro=gettext(
                "Meta sent a data-deletion request for a Facebook account connected to this "
                "workspace, so its connection, tokens, Pages and accounts were deleted."
            ),
            name_assets=False,
        )
    return counts


def _erase_webhook_events(meta_user_id: str, connections: QuerySet[MetaConnection]) -> int:
    """Delete the events about this person or brought in by their connections; return how many.

    That is: events whose entry is the person (user / permissions objects), events stored
    through one of their connections, and events of their Pages and IG accounts stored in the
    workspaces they connected them to or in no workspace. The same Page's events in another
    workspace, which connected it itself, are that workspace's and stay.
    """
    condition = Q(entry_id=meta_user_id) | Q(connection__in=connections)
    assets = [
        *MetaPage.objects.filter(connection__in=connections).values_list("workspace_id", "page_id"),
        *InstagramAccount.objects.filter(connection__in=connections).values_list(
            "workspace_id", "ig_user_id"
        ),
    ]
    for workspace_id, entry_id in assets:
        condition |= Q(entry_id=entry_id, workspace_id=workspace_id)
        condition |= Q(entry_id=entry_id, workspace__isnull=True)
    return WebhookEvent.objects.filter(condition).delete()[1].get(WebhookEvent._meta.label, 0)


def expired_webhook_events(workspace_id: int, cutoff: datetime) -> QuerySet[WebhookEvent]:
    """Return the webhook events of one workspace received before ``cutoff``."""
    return WebhookEvent.objects.filter(workspace_id=workspace_id, received_at__lt=cutoff)


def expired_unassigned_webhook_events(cutoff: datetime) -> QuerySet[WebhookEvent]:
    """Return the events no workspace uses that were received before ``cutoff``.

    They carry no payload, only what was announced for which account and when; the nightly
    retention run removes them after the site default period (RETENTION_WEBHOOK_EVENT_DAYS).
    """
    return WebhookEvent.objects.filter(workspace__isnull=True, received_at__lt=cutoff)


WEBHOOK_EVENT_RETENTION = RetentionRule(
    name="meta_integration.webhook_events",
    label=_("Meta webhook events"),
    period_field="webhook_event_days",
    expired=expired_webhook_events,
)

UNASSIGNED_WEBHOOK_EVENT_RETENTION = SiteRetentionRule(
    name="meta_integration.unassigned_webhook_events",
    label=_("Meta webhook events for accounts no workspace uses"),
    days_setting="RETENTION_WEBHOOK_EVENT_DAYS",
    expired=expired_unassigned_webhook_events,
)
