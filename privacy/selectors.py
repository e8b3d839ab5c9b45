"""Reads for the privacy centre: what ProSocial holds about a person and a workspace."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from accounts.models import AuditEvent, Membership, User, Workspace
from creatives.library.models import MediaAsset
from meta_integration.models import MetaConnection
from privacy.models import ContactMessage, DataExport


@dataclass(frozen=True)
class StoredItem:
    label: str
    count: int
    detail: str = ""


def describe_user_data(user: User) -> list[StoredItem]:
    """List the kinds of data held about ``user``, with counts, for the privacy centre."""
    return [
        StoredItem("Account", 1, f"{user.email}, name, password hash, two-factor methods"),
        StoredItem("Workspace memberships", Membership.objects.filter(user=user).count()),
        StoredItem("Media you uploaded", MediaAsset.objects.filter(created_by=user).count()),
        StoredItem(
            "Meta connections you made",
            MetaConnection.objects.filter(connected_by=user).count(),
            "Meta user id, name, permissions; tokens encrypted",
        ),
        StoredItem(
            "Audit events about your actions",
            AuditEvent.objects.filter(actor=user).count(),
            "action, time, IP address",
        ),
        StoredItem("Contact messages", ContactMessage.objects.filter(user=user).count()),
    ]


def describe_workspace_data(workspace: Workspace) -> list[StoredItem]:
    media = MediaAsset.objects.filter(workspace=workspace)
    media_bytes = media.aggregate(total=Sum("size_bytes"))["total"] or 0
    return [
        StoredItem("Members", Membership.objects.filter(workspace=workspace).count()),
        StoredItem("Media files", media.count(), f"{media_bytes / 1024 / 1024:.1f} MB"),
        StoredItem(
            "Meta connections",
            MetaConnection.objects.filter(workspace=workspace).count(),
            "with their Pages, Instagram and ad accounts",
        ),
        StoredItem("Audit events", AuditEvent.objects.filter(workspace=workspace).count()),
    ]


def list_exports_for_user(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(requested_by=user, workspace=None)[:5]


def list_exports_for_workspace(membership: Membership) -> QuerySet[DataExport]:
    return DataExport.objects.filter(workspace=membership.workspace).select_related("requested_by")[
        :5
    ]
