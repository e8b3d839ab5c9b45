"""What meta_integration holds for a person and a workspace: erasure and export.

Registered from MetaIntegrationConfig.ready() with ``prosocial.erasure``,
``prosocial.exporting`` and ``prosocial.inventory``. A Meta connection is one person's Facebook authorization, so deleting
the account that made it, or the workspace that holds it, revokes it at Meta first (best
effort: the local wipe happens whatever Meta answers) and then deletes it with its assets.
"""

import logging

from django.db import transaction
from django.db.models import QuerySet

from meta_integration import graph
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.inventory import StoredItem

logger = logging.getLogger(__name__)


def _revoke_and_delete(connections: QuerySet[MetaConnection]) -> dict[str, int]:
    counts = {"connections": 0, "revoked_on_meta": 0}
    for connection in connections:
        if connection.access_token:
            try:
                graph.revoke_permissions(access_token=connection.access_token)
                counts["revoked_on_meta"] += 1
            except graph.GraphError as exc:
                logger.warning("meta connection %s: revoke failed: %s", connection.pk, exc)
        with transaction.atomic():
            counts["connections"] += (
                MetaConnection.objects.filter(pk=connection.pk)
                .delete()[1]
                .get(MetaConnection._meta.label, 0)
            )
    return counts


def erase_user(user_id: int) -> dict[str, int]:
    """Revoke and delete the Meta connections the person made, in every workspace."""
    return _revoke_and_delete(MetaConnection.objects.filter(connected_by_id=user_id))


def erase_workspace(workspace_id: int) -> dict[str, int]:
    return _revoke_and_delete(MetaConnection.objects.filter(workspace_id=workspace_id))


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
