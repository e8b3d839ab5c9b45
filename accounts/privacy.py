"""What accounts holds about a person and a workspace: erasure and export declarations.

Registered from AccountsConfig.ready() with ``prosocial.erasure`` and ``prosocial.exporting``.
"""

from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Invitation, Membership, Notification, User, Workspace
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.retention import SiteRetentionRule

# Shown where the person was named; not an address, so it can never match a real account.
DELETED_ACTOR = "deleted account"


@transaction.atomic
def erase_user(user_id: int) -> dict[str, int]:
    """Detach the person from what stays: audit events lose their email, name and IP address.

    The user row itself (with email addresses, two-factor methods and memberships) is removed
    last, by ``accounts.services.delete_user_row``.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return {}
    return {
        "memberships": Membership.objects.filter(user=user).delete()[0],
        "invitations": Invitation.objects.filter(email__iexact=user.email).delete()[0],
        "notifications": Notification.objects.filter(recipient=user).delete()[0],
        "audit_events_scrubbed": AuditEvent.objects.filter(actor=user).update(
            actor=None, actor_email=DELETED_ACTOR, ip_address=None
        )
        + AuditEvent.objects.filter(
            Q(target_type=User._meta.label, target_id=str(user.pk))
            | Q(target_repr__icontains=user.email)
        ).update(target_repr=DELETED_ACTOR)
        + AuditEvent.objects.filter(metadata__email__iexact=user.email).update(metadata={}),
    }


def erase_workspace(workspace_id: int) -> dict[str, int]:
    """Count and remove the workspace's people records (the row cascade would too)."""
    return {
        "memberships": Membership.objects.filter(workspace_id=workspace_id).delete()[0],
        "invitations": Invitation.objects.filter(workspace_id=workspace_id).delete()[0],
        "audit_events": AuditEvent.objects.filter(workspace_id=workspace_id).delete()[0],
        "notifications": Notification.objects.filter(workspace_id=workspace_id).delete()[0],
    }


def export_user(user_id: int) -> ExportPart:
    user = User.objects.get(pk=user_id)
    return ExportPart(
        records={
            "profile": serialize_rows([user], exclude={"password"}),
            "email_addresses": serialize_rows(EmailAddress.objects.filter(user=user)),
            "memberships": serialize_rows(Membership.objects.filter(user=user)),
            "invitations_received": serialize_rows(
                Invitation.objects.filter(email__iexact=user.email), exclude={"token_hash"}
            ),
            "audit_events_by_me": serialize_rows(AuditEvent.objects.filter(actor=user)),
            "notifications": serialize_rows(Notification.objects.filter(recipient=user)),
        }
    )


def export_workspace(workspace_id: int) -> ExportPart:
    members = Membership.objects.filter(workspace_id=workspace_id).select_related("user")
    return ExportPart(
        records={
            "workspace": serialize_rows(Workspace.objects.filter(pk=workspace_id)),
            "members": [
                {**record, "email": member.user.email, "contact_name": member.user.contact_name}
                for member, record in zip(members, serialize_rows(members), strict=True)
            ],
            "invitations": serialize_rows(
                Invitation.objects.filter(workspace_id=workspace_id), exclude={"token_hash"}
            ),
            "audit_events": serialize_rows(AuditEvent.objects.filter(workspace_id=workspace_id)),
            "notifications": serialize_rows(Notification.objects.filter(workspace_id=workspace_id)),
        }
    )


def expired_audit_events(cutoff: datetime) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(created_at__lt=cutoff)


AUDIT_EVENTS = SiteRetentionRule(
    name="accounts.audit_events",
    label=_("Audit events"),
    days_setting="RETENTION_AUDIT_EVENT_DAYS",
    expired=expired_audit_events,
)
