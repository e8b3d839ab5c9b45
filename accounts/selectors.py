"""Reads for accounts: workspace-scoped querysets and access helpers.

Every ``get_<noun>_for_member`` filters by the member's workspace first, so a missing row and
another workspace's row give the same ``Http404`` (STYLE §3.4).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connections, router
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts import extensions
from accounts.audit import action_condition
from accounts.models import AuditEvent, Invitation, Membership, Notification, User, Workspace
from accounts.services import hash_invitation_token
from prosocial import prepared

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


@dataclass(frozen=True)
class _MembershipQuery:
    """The membership query of every workspace page as SQL, built once per process."""

    sql: str
    params: tuple[Any, ...]  # ``_SLUG`` where the page's slug goes, the user's id last
    membership_fields: tuple[str, ...]  # attnames, in the order of the selected columns
    workspace_fields: tuple[str, ...]
    count_names: tuple[str, ...]
    converters: "Converters"


_SLUG = object()
_MEMBERSHIP_QUERIES: dict[tuple[str, tuple[str, ...]], _MembershipQuery] = {}


def _membership_query(alias: str) -> _MembershipQuery:
    """Return the SQL of ``get_membership_for_user``, written once per process.

    The same rows as ``list_memberships_for_user(user)`` with each workspace joined, plus every
    layout count for the page's workspace. Letting the ORM build this query on every request
    took about as long again as running it (bench/README.md, "page_latency", second pass); its
    text only depends on the models and the registered counts, so it is kept. Column values go
    through the same database converters as the ORM's (SQLite's datetimes, for instance).
    """
    key = (alias, ("nav_unread", *extensions.membership_count_names()))
    query = _MEMBERSHIP_QUERIES.get(key)
    if query is not None:
        return query
    connection = connections[alias]
    quote = connection.ops.quote_name
    membership_table = quote(Membership._meta.db_table)
    workspace_table = quote(Workspace._meta.db_table)
    membership_fields = Membership._meta.concrete_fields
    workspace_fields = Workspace._meta.concrete_fields

    def column(table: str, model: type[Membership] | type[Workspace], name: str) -> str:
        return f"{table}.{quote(str(model._meta.get_field(name).column))}"  # type: ignore[union-attr]

    columns = [f"{membership_table}.{quote(str(f.column))}" for f in membership_fields]
    columns += [f"{workspace_table}.{quote(str(f.column))}" for f in workspace_fields]
    slug_column = column(workspace_table, Workspace, "slug")
    params: list[Any] = []
    names = []
    for name, count_sql, count_params in _compiled_layout_counts(alias):
        columns.append(f"CASE WHEN {slug_column} = %s THEN {count_sql} END")
        params += [_SLUG, *count_params]
        names.append(name)
    # Names from the models and the counts' SQL from the ORM; every value is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {membership_table} INNER JOIN {workspace_table} "  # noqa: S608
        f"ON ({column(membership_table, Membership, 'workspace')} = "
        f"{column(workspace_table, Workspace, 'id')}) "
        f"WHERE {column(membership_table, Membership, 'user')} = %s "
        f"ORDER BY {column(workspace_table, Workspace, 'name')} ASC"
    )
    converters = _converters(connection, [*membership_fields, *workspace_fields])
    query = _MembershipQuery(
        sql=sql,
        params=tuple(params),
        membership_fields=tuple(f.attname for f in membership_fields),
        workspace_fields=tuple(f.attname for f in workspace_fields),
        count_names=tuple(names),
        converters=converters,
    )
    _MEMBERSHIP_QUERIES[key] = query
    return query


Converters = tuple[tuple[int, tuple[Any, ...], Any], ...]  # (column, converters, expression)


def _converters(connection: Any, fields: list[Any]) -> Converters:
    """Return the database converters the ORM would apply to each of ``fields``' columns."""
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(field.model._meta.db_table)
        found = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if found:
            converters.append((index, tuple(found), expression))
    return tuple(converters)


def _converted(row: tuple[Any, ...], converters: Converters, connection: Any) -> list[Any]:
    values = list(row)
    for index, found, expression in converters:
        for converter in found:
            values[index] = converter(values[index], expression, connection)
    return values


_USER_QUERIES: dict[str, tuple[str, tuple[str, ...], Converters]] = {}


def get_user_by_pk(alias: str, pk: Any) -> User:
    """Return the user ``pk`` like ``User.objects.get(pk=pk)``, with SQL written once per process.

    The sign-in backends read the signed-in user this way on every request; through the ORM
    building the query cost about three times running it (bench/README.md, "page_latency").
    Raises ``User.DoesNotExist`` as the ORM does.
    """
    query = _USER_QUERIES.get(alias)
    connection = connections[alias]
    if query is None:
        quote = connection.ops.quote_name
        fields = list(User._meta.concrete_fields)
        table = quote(User._meta.db_table)
        columns = ", ".join(f"{table}.{quote(str(f.column))}" for f in fields)
        pk_column = quote(str(User._meta.pk.column))  # type: ignore[union-attr]
        sql = f"SELECT {columns} FROM {table} WHERE {table}.{pk_column} = %s"  # noqa: S608
        query = (sql, tuple(f.attname for f in fields), _converters(connection, fields))
        _USER_QUERIES[alias] = query
    sql, attnames, converters = query
    value = User._meta.pk.get_prep_value(pk)  # type: ignore[union-attr]  # as the ORM checks it
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [value])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist("User matching query does not exist.")
    return User.from_db(alias, attnames, _converted(row, converters, connection))


def get_membership_for_user(user: User, slug: str) -> Membership:
    """Return ``user``'s membership in the workspace ``slug``; 404 if there is none.

    One query answers everything the layout needs: the user's memberships for the switcher
    (``nav_memberships``, each with its workspace, as ``list_memberships_for_user`` orders
    them) and, for the one of ``slug``, the bell's unread count (``nav_unread``) and the
    counts other apps registered (``accounts.extensions.register_membership_count``),
    computed for that row only (the other rows carry ``None``).
    """
    alias = router.db_for_read(Membership)
    query = _membership_query(alias)
    connection = connections[alias]
    params = [slug if param is _SLUG else param for param in query.params]
    with connection.cursor() as cursor:
        prepared.execute(cursor, query.sql, [*params, user.pk])
        fetched = cursor.fetchall()
    split = len(query.membership_fields)
    counts_at = split + len(query.workspace_fields)
    workspace_cache = Membership._meta.get_field("workspace")
    user_cache = Membership._meta.get_field("user")
    rows = []
    membership = None
    for values in fetched:
        row = _converted(values, query.converters, connection)
        member = Membership.from_db(alias, query.membership_fields, row[:split])
        workspace = Workspace.from_db(alias, query.workspace_fields, row[split:counts_at])
        workspace_cache.set_cached_value(member, workspace)  # type: ignore[union-attr]
        user_cache.set_cached_value(member, user)  # type: ignore[union-attr]  # no query each
        for name, count in zip(query.count_names, row[counts_at:], strict=True):
            setattr(member, name, count)
        if workspace.slug == slug:
            membership = member
        rows.append(member)
    if membership is None:
        raise Http404("No such workspace")
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
