"""Reads for accounts: workspace-scoped querysets and access helpers.

Every ``get_<noun>_for_member`` filters by the member's workspace first, so a missing row and
another workspace's row give the same ``Http404`` (STYLE §3.4).
"""

from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from accounts.audit import action_condition
from accounts.models import AuditEvent, Invitation, Membership, Notification, User
from accounts.services import hash_invitation_token

RECENT_ACTIVITY_LIMIT = 8


def list_memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def get_membership_for_user(user: User, slug: str) -> Membership:
    """Return ``user``'s membership in the workspace ``slug``; 404 if there is none."""
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace__slug=slug)
        .filter(user=user)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace")
    return membership


def list_members_for_workspace(membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.for_workspace(membership.workspace)
        .select_related("user")
        .order_by("user__email")
    )


def get_member_for_member(membership: Membership, pk: int) -> Membership:
    """Return the membership ``pk`` inside the caller's workspace; 404 otherwise."""
    member: Membership | None = (
        Membership.objects.for_workspace(membership.workspace)
        .select_related("user")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404("No such member")
    return member


def list_pending_invitations_for_workspace(membership: Membership) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_workspace(membership.workspace)
        .filter(status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED])
        .select_related("invited_by")
        .order_by("-created_at")
    )


def get_invitation_for_member(membership: Membership, pk: int) -> Invitation:
    """Return the invitation ``pk`` inside the caller's workspace; 404 otherwise."""
    invitation: Invitation | None = (
        Invitation.objects.for_workspace(membership.workspace).filter(pk=pk).first()
    )
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


def get_invitation_by_token(raw_token: str) -> Invitation | None:
    """Return the invitation whose link carries ``raw_token``, or None for a forged token."""
    if not raw_token or len(raw_token) > 128:
        return None
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_invitation_token(raw_token))
        .first()
    )


def list_audit_events_for_workspace(membership: Membership) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_workspace(membership.workspace).select_related("actor")


def filter_audit_events(
    events: QuerySet[AuditEvent],
    *,
    actor_email: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow an audit log by actor, action (or family, ``meta``) and a date range (UTC days)."""
    if actor_email:
        events = events.filter(actor_email__iexact=actor_email)
    if action:
        events = events.filter(action_condition(action))
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events


def count_members(membership: Membership) -> int:
    return Membership.objects.for_workspace(membership.workspace).count()


# --- Notifications ----------------------------------------------------------------------------


def list_notifications_for_member(membership: Membership) -> QuerySet[Notification]:
    """Return the member's own notifications in their workspace, newest first."""
    return Notification.objects.for_workspace(membership.workspace).filter(
        recipient=membership.user
    )


def count_unread_notifications(membership: Membership) -> int:
    return list_notifications_for_member(membership).filter(read_at__isnull=True).count()


def get_notification_for_member(membership: Membership, pk: int) -> Notification:
    """Return the member's notification ``pk``; 404 for a missing, foreign or someone else's."""
    notification: Notification | None = (
        Notification.objects.filter(workspace=membership.workspace)
        .filter(recipient=membership.user)
        .filter(pk=pk)
        .first()
    )
    if notification is None:
        raise Http404("No such notification")
    return notification
