"""Reads for the privacy centre: what ProSocial holds about a person and a workspace."""

from django.db.models import QuerySet

from accounts.models import AuditEvent, Membership, User, Workspace
from privacy.models import ContactMessage, DataExport
from prosocial.inventory import StoredItem, describe_user, describe_workspace


def describe_user_data(user: User) -> list[StoredItem]:
    """List the kinds of data held about ``user``, with counts, for the privacy centre."""
    return [
        StoredItem("Account", 1, f"{user.email}, name, password hash, two-factor methods"),
        StoredItem("Workspace memberships", Membership.objects.filter(user=user).count()),
        *describe_user(user.pk),  # what the other apps hold (media, Meta connections …)
        StoredItem(
            "Audit events about your actions",
            AuditEvent.objects.filter(actor=user).count(),
            "action, time, IP address",
        ),
        StoredItem("Contact messages", ContactMessage.objects.filter(user=user).count()),
    ]


def describe_workspace_data(workspace: Workspace) -> list[StoredItem]:
    return [
        StoredItem("Members", Membership.objects.filter(workspace=workspace).count()),
        *describe_workspace(workspace.pk),
        StoredItem("Audit events", AuditEvent.objects.filter(workspace=workspace).count()),
    ]


def list_exports_for_user(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(requested_by=user, workspace=None)[:5]


def list_exports_for_workspace(membership: Membership) -> QuerySet[DataExport]:
    return DataExport.objects.filter(workspace=membership.workspace).select_related("requested_by")[
        :5
    ]
