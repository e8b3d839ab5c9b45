"""Reads for accounts: workspace-scoped querysets and access helpers.

Every ``get_<noun>_for_member`` filters by the member's workspace first, so a missing row and
another workspace's row give the same ``Http404`` (STYLE §3.4).
"""

from datetime import date
from typing import Any

from django.db import connections
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts import extensions
from accounts.audit import action_condition
from accounts.models import AuditEvent, Invitation, Membership, Notification, User, Workspace
from accounts.services import hash_invitation_token

RECENT_ACTIVITY_LIMIT = 8


def list_memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def count_subquery(rows: QuerySet[Any]) -> Coalesce:
    """Return ``COUNT(*)`` of ``rows`` as an expression (``rows`` may use ``OuterRef``)."""
    counted = rows.order_by().annotate(_count=Func(F("pk"), function="COUNT")).values("_count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _layout_counts() -> dict[str, Any]:
    """Return the counts the layout shows, as expressions over a membership row."""
    unread = Notification.objects.filter(
        workspace_id=OuterRef("workspace_id"),
        recipient_id=OuterRef("user_id"),
        read_at__isnull=True,
    )
    return {"nav_unread": count_subquery(unread), **extensions.membership_counts()}


_COMPILED_COUNTS: dict[tuple[str, tuple[str, ...]], list[tuple[str, str, tuple[Any, ...]]]] = {}


def _compiled_layout_counts(alias: str) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Return each layout count as ``(name, sql, params)``, compiled once per process.

    Building these subqueries through the ORM on every request cost more than running them
    (bench/README.md); their SQL only depends on the registered counts, so it is kept.
    """
    key = (alias, ("nav_unread", *extensions.membership_count_names()))
    compiled = _COMPILED_COUNTS.get(key)
    if compiled is None:
        compiled = []
        for name, expression in _layout_counts().items():
            query = Membership.objects.using(alias).annotate(**{name: expression}).query
            sql, params = query.get_compiler(using=alias).compile(query.annotations[name])
            compiled.append((name, sql, tuple(params)))
        _COMPILED_COUNTS[key] = compiled
    return compiled


def get_membership_for_user(user: User, slug: str) -> Membership:
    """Return ``user``'s membership in the workspace ``slug``; 404 if there is none.

    One query answers everything the layout needs: the user's memberships for the switcher
    (``nav_memberships``, each with its workspace) and, for the one of ``slug``, the bell's
    unread count (``nav_unread``) and the counts other apps registered
    (``accounts.extensions.register_membership_count``), computed for that row only.
    """
    rows_query = list_memberships_for_user(user)
    quote = connections[rows_query.db].ops.quote_name
    slug_column = f"{quote(Workspace._meta.db_table)}.{quote('slug')}"  # the select_related join
    rows = list(
        rows_query.annotate(
            **{
                name: RawSQL(  # noqa: S611 - SQL compiled by the ORM above; slug is a param
                    f"CASE WHEN {slug_column} = %s THEN {sql} END",
                    (slug, *params),
                    output_field=IntegerField(),
                )
                for name, sql, params in _compiled_layout_counts(rows_query.db)
            }
        )
    )
    membership = next((m for m in rows if m.workspace.slug == slug), None)
    if membership is None:
        raise Http404("No such workspace")
    for row in rows:
        row.user = user  # the signed-in user, already loaded: no query per membership
    membership.nav_memberships = rows  # type: ignore[attr-defined]
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


def count_members_and_pending_invitations(membership: Membership) -> tuple[int, int]:
    """Return the dashboard's two counts (members, pending invitations) in one query."""
    workspace_id = membership.workspace_id
    pending = Invitation.objects.filter(workspace_id=workspace_id, status=Invitation.Status.PENDING)
    members, invitations = (
        Workspace.objects.filter(pk=workspace_id)
        .annotate(
            member_count=count_subquery(Membership.objects.filter(workspace_id=workspace_id)),
            pending_count=count_subquery(pending),
        )
        .values_list("member_count", "pending_count")
        .get()
    )
    return members, invitations


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
