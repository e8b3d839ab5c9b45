"""What meta_integration holds for a person and a workspace: erasure and export.

Registered from MetaIntegrationConfig.ready() with ``prosocial.erasure``,
``prosocial.exporting`` and ``prosocial.inventory``. A Meta connection is one person's Facebook authorization, so deleting
the account that made it, or the workspace that holds it, revokes it at Meta first (best
effort: the local wipe happens whatever Meta answers) and then deletes it with its assets.
"""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import AuditEvent
from meta_integration import graph, services
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from meta_integration.privacy import _erase_webhook_events
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.inventory import StoredItem

logger = logging.getLogger(__name__)


def _account_deleted_texts() -> dict[str, str]:
    return {
        "title": _("Meta was disconnected: its member deleted their account"),
        "cause": _("The member who connected Meta deleted their account"),
        "intro": _(
            "The member who connected Meta deleted their ProSocial account, so "
            "their Meta connection was revoked and deleted."
        ),
    }


def _meta_data_deleted_texts() -> dict[str, str]:
    return {
        "title": _("Meta was disconnected: its member asked for their Meta data to be deleted"),
        "cause": _("The member who connected Meta asked for their Meta data to be deleted"),
        "intro": _(
            "The member who connected Meta asked ProSocial to delete their Meta-connected "
            "data, so their Meta connection was revoked and deleted. Their ProSocial account "
            "stays; anyone with access can connect Meta again."
        ),
    }


def _revoke_and_delete(
    connections: QuerySet[MetaConnection],
    *,
    announce: bool,
    texts: dict[str, str] | None = None,
) -> dict[str, int]:
    """Revoke and delete ``connections``; with ``announce``, each workspace is told.

    A workspace being deleted needs no announcement; a person deleting their account leaves
    workspaces behind whose publications must pause rather than lose their accounts.
    ``texts`` (title, cause, intro) say why; by default, that the person deleted their account.
    """
    texts = texts or _account_deleted_texts()
    counts = {"connections": 0, "revoked_on_meta": 0}
    for connection in connections:
        if connection.access_token:
            try:
                graph.revoke_permissions(access_token=connection.access_token)
                counts["revoked_on_meta"] += 1
            except graph.GraphError as exc:
                logger.warning("meta connection %s: revoke failed: %s", connection.pk, exc)
        with transaction.atomic():
            removed = services.collect_removed_assets([connection]) if announce else []
            counts["connections"] += (
                MetaConnection.objects.filter(pk=connection.pk)
                .delete()[1]
                .get(MetaConnection._meta.label, 0)
            )
            for assets in removed:
                services.announce_removed_assets(
                    assets,
                    kind="meta.disconnected",
                    title=texts["title"],
                    cause=texts["cause"],
                    intro=texts["intro"],
                )
    return counts


def erase_user(user_id: int) -> dict[str, int]:
    """Revoke and delete the Meta connections the person made, in every workspace."""
    return _revoke_and_delete(MetaConnection.objects.filter(connected_by_id=user_id), announce=True)


def erase_user_meta_data(user_id: int) -> dict[str, int]:
    """Revoke and delete the Meta connections the person made; their ProSocial account stays.

    For someone who asks ProSocial itself (not Facebook) to delete only their Meta-connected
    data. As for Meta's own deletion request, the Meta webhook events about that Facebook
    account go, and activity-log entries about the connections stay without its name.
    """
    connections = MetaConnection.objects.filter(connected_by_id=user_id)
    ids = [str(pk) for pk in connections.values_list("pk", flat=True)]
    counts = {"webhook_events": 0}
    for meta_user_id in set(connections.values_list("meta_user_id", flat=True)):
        counts["webhook_events"] += _erase_webhook_events(
            meta_user_id, connections.filter(meta_user_id=meta_user_id)
        )
    counts["audit_events_scrubbed"] = AuditEvent.objects.filter(
        target_type=MetaConnection._meta.label, target_id__in=ids
    ).update(target_repr="[erased Meta connection]", metadata={})
    return counts | _revoke_and_delete(connections, announce=True, texts=_meta_data_deleted_texts())


def erase_workspace(workspace_id: int) -> dict[str, int]:
    return _revoke_and_delete(
        MetaConnection.objects.filter(workspace_id=workspace_id), announce=False
    )


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "connections": serialize_rows(MetaConnection.objects.filter(connected_by_id=user_id))
        }
    )


def export_workspace(workspace_id: int) -> ExportPart:
    return ExportPart(
        records={
            "connections": serialize_rows(MetaConnection.objects.filter(workspace_id=workspace_id)),
            "pages": serialize_rows(MetaPage.objects.filter(workspace_id=workspace_id)),
            "instagram_accounts": serialize_rows(
                InstagramAccount.objects.filter(workspace_id=workspace_id)
            ),
            "ad_accounts": serialize_rows(MetaAdAccount.objects.filter(workspace_id=workspace_id)),
        }
    )


def describe_user(user_id: int) -> list[StoredItem]:
    return [
        StoredItem(
            "Meta connections you made",
            MetaConnection.objects.filter(connected_by_id=user_id).count(),
            "Meta user id, name, permissions; tokens encrypted",
        )
    ]


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    return [
        StoredItem(
            "Meta connections",
            MetaConnection.objects.filter(workspace_id=workspace_id).count(),
            "with their Pages, Instagram and ad accounts",
        )
    ]
