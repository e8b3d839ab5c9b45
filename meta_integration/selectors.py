"""Reads for Meta connections: workspace-scoped lists and the access helper."""

from dataclasses import dataclass
from typing import cast

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership
from meta_integration import signals
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage


def list_meta_connections_for_workspace(membership: Membership) -> QuerySet[MetaConnection]:
    return MetaConnection.objects.for_workspace(membership.workspace).select_related("connected_by")


def get_meta_connection_for_member(membership: Membership, pk: int) -> MetaConnection:
    """Return the connection ``pk`` inside the member's workspace; 404 otherwise."""
    connection: MetaConnection | None = (
        MetaConnection.objects.for_workspace(membership.workspace).filter(pk=pk).first()
    )
    if connection is None:
        raise Http404("No such Meta connection")
    return connection


def list_connection_assets(
    connection: MetaConnection,
) -> tuple[list[MetaPage], list[InstagramAccount], list[MetaAdAccount]]:
    return (
        list(
            MetaPage.objects.filter(connection=connection)
            .prefetch_related("instagram_accounts")
            .order_by("name")
        ),
        list(
            InstagramAccount.objects.filter(connection=connection)
            .select_related("page")
            .order_by("username")
        ),
        list(MetaAdAccount.objects.filter(connection=connection).order_by("name")),
    )


ATTENTION_STATUSES = (
    MetaConnection.Status.EXPIRING,
    MetaConnection.Status.NEEDS_REAUTH,
    MetaConnection.Status.REVOKED,
)


def list_connections_needing_attention(membership: Membership) -> list[MetaConnection]:
    """Return the connections whose status admins should act on (for the notice)."""
    return list(
        MetaConnection.objects.for_workspace(membership.workspace)
        .filter(status__in=ATTENTION_STATUSES)
        .select_related("workspace")  # the notice links to the connection by workspace slug
    )


@dataclass(frozen=True)
class DisconnectPreview:
    """What disconnecting a connection removes, and what other apps say depends on it."""

    pages: list[MetaPage]
    instagram_accounts: list[InstagramAccount]
    ad_accounts: list[MetaAdAccount]
    impacts: list[tuple[str, int]]  # (label, count), from ``signals.disconnect_impact``


def describe_disconnect(connection: MetaConnection) -> DisconnectPreview:
    """Return the assets a disconnect deletes and what depends on them (for the confirmation)."""
    pages, instagram, ad_accounts = list_connection_assets(connection)
    responses = signals.disconnect_impact.send(sender=MetaConnection, connection_id=connection.pk)
    impacts: list[tuple[str, int]] = []
    for _receiver, pairs in responses:
        impacts += cast(list[tuple[str, int]], pairs or [])
    return DisconnectPreview(pages, instagram, ad_accounts, impacts)
