"""Reads for accounts: workspace-scoped querysets and access helpers.

Every ``get_<noun>_for_member`` filters by the member's workspace first, so a missing row and
another workspace's row give the same ``Http404`` (STYLE §3.4).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
from prosocial import kept, prepared

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
    # ``_SLUG`` where the page's slug goes, ``_USER`` the user's id, ``_PageParam`` a source's.
    params: tuple[Any, ...]
    user_fields: tuple[str, ...]  # attnames, in the order of the selected columns (or none)
    membership_fields: tuple[str, ...]
    workspace_fields: tuple[str, ...]
    count_names: tuple[str, ...]
    states: int  # the page's sources' states, last
    converters: prepared.Converters


_SLUG = object()
_USER = object()


@dataclass(frozen=True)
class _PageParam:
    name: str  # a parameter of the page's sources (``prosocial.kept.Source.param``)


_MEMBERSHIP_QUERIES: dict[tuple[Any, ...], _MembershipQuery] = {}


def _membership_query(
    alias: str, *, with_user: bool = False, sources: tuple[kept.Source, ...] = ()
) -> _MembershipQuery:
    """Return the SQL of ``get_membership_for_user``, written once per process.

    The same rows as ``list_memberships_for_user(user)`` with each workspace joined, plus every
    layout count for the page's workspace. Letting the ORM build this query on every request
    took about as long again as running it (bench/README.md, "page_latency", second pass); its
    text only depends on the models and the registered counts, so it is kept. Column values go
    through the same database converters as the ORM's (SQLite's datetimes, for instance).

    ``with_user`` reads the user's row too (one row with NULL memberships when they have none)
    and ``sources`` adds each one's state (``prosocial.kept.state_column``, PostgreSQL only):
    ``read_workspace_page``.
    """
    key = (alias, ("nav_unread", *extensions.membership_count_names()), with_user, sources)
    query = _MEMBERSHIP_QUERIES.get(key)
    if query is not None:
        return query
    connection = connections[alias]
    quote = connection.ops.quote_name
    user_table = quote(User._meta.db_table)
    membership_table = quote(Membership._meta.db_table)
    workspace_table = quote(Workspace._meta.db_table)
    user_fields = User._meta.concrete_fields if with_user else []
    membership_fields = Membership._meta.concrete_fields
    workspace_fields = Workspace._meta.concrete_fields

    def column(table: str, model: type[Any], name: str) -> str:
        return f"{table}.{quote(str(model._meta.get_field(name).column))}"

    columns = [f"{user_table}.{quote(str(f.column))}" for f in user_fields]
    columns += [f"{membership_table}.{quote(str(f.column))}" for f in membership_fields]
    columns += [f"{workspace_table}.{quote(str(f.column))}" for f in workspace_fields]
    slug_column = column(workspace_table, Workspace, "slug")
    params: list[Any] = []
    names = []
    for name, count_sql, count_params in _compiled_layout_counts(alias):
        columns.append(f"CASE WHEN {slug_column} = %s THEN {count_sql} END")
        params += [_SLUG, *count_params]
        names.append(name)
    # The page's workspace found by its slug (a non-member's page state is never used).
    workspace_id = (
        f"(SELECT kw.{quote(str(Workspace._meta.pk.column))} FROM {workspace_table} kw "  # type: ignore[union-attr]  # noqa: S608
        f"WHERE kw.{quote(str(Workspace._meta.get_field('slug').column))} = %s)"
    )
    for source in sources:
        by_workspace = source.param == "workspace"
        columns.append(kept.state_column(source, workspace_id if by_workspace else "%s"))
        params.append(
            _SLUG if by_workspace else _USER if source.param == "user" else _PageParam(source.param)
        )
    on_workspace = (
        f"{column(membership_table, Membership, 'workspace')} = "
        f"{column(workspace_table, Workspace, 'id')}"
    )
    membership_user = column(membership_table, Membership, "user")
    if with_user:
        user_id = column(user_table, User, "id")
        tables = (
            f"{user_table} LEFT OUTER JOIN {membership_table} ON ({membership_user} = {user_id}) "
            f"LEFT OUTER JOIN {workspace_table} ON ({on_workspace})"
        )
    else:
        user_id = membership_user
        tables = f"{membership_table} INNER JOIN {workspace_table} ON ({on_workspace})"
    # Names from the models and the counts' SQL from the ORM; every value is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {tables} WHERE {user_id} = %s "  # noqa: S608
        f"ORDER BY {column(workspace_table, Workspace, 'name')} ASC"
    )
    converters = prepared.converters(
        connection, [*user_fields, *membership_fields, *workspace_fields]
    )
    query = _MembershipQuery(
        sql=sql,
        params=(*params, _USER),
        user_fields=tuple(f.attname for f in user_fields),
        membership_fields=tuple(f.attname for f in membership_fields),
        workspace_fields=tuple(f.attname for f in workspace_fields),
        count_names=tuple(names),
        states=len(sources),
        converters=converters,
    )
    _MEMBERSHIP_QUERIES[key] = query
    return query


_USER_QUERIES: dict[str, tuple[str, tuple[str, ...], prepared.Converters]] = {}
# A user row read ahead with the page's membership (``read_workspace_page``), for the sign-in
# backend's ``get(pk=…)`` to take instead of reading it again (``user_read_ahead``).
_READ_AHEAD: ContextVar[User | None] = ContextVar("accounts_user_read_ahead", default=None)


@contextmanager
def user_read_ahead(user: User) -> Iterator[None]:
    """While open, the first ``get_user_by_pk`` of ``user``'s pk returns ``user`` unread."""
    token = _READ_AHEAD.set(user)
    try:
        yield
    finally:
        _READ_AHEAD.reset(token)


def get_user_by_pk(alias: str, pk: Any) -> User:
    """Return the user ``pk`` like ``User.objects.get(pk=pk)``, with SQL written once per process.

    The sign-in backends read the signed-in user this way on every request; through the ORM
    building the query cost about three times running it (bench/README.md, "page_latency").
    Raises ``User.DoesNotExist`` as the ORM does.
    """
    value = User._meta.pk.get_prep_value(pk)  # type: ignore[union-attr]  # as the ORM checks it
    ahead = _READ_AHEAD.get()
    if ahead is not None and ahead.pk == value and ahead._state.db == alias:
        _READ_AHEAD.set(None)  # once: a second lookup reads the row
        return ahead
    query = _USER_QUERIES.get(alias)
    connection = connections[alias]
    if query is None:
        quote = connection.ops.quote_name
        fields = list(User._meta.concrete_fields)
        table = quote(User._meta.db_table)
        columns = ", ".join(f"{table}.{quote(str(f.column))}" for f in fields)
        pk_column = quote(str(User._meta.pk.column))  # type: ignore[union-attr]
        sql = f"SELECT {columns} FROM {table} WHERE {table}.{pk_column} = %s"  # noqa: S608
        query = (sql, tuple(f.attname for f in fields), prepared.converters(connection, fields))
        _USER_QUERIES[alias] = query
    sql, attnames, converters = query
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [value])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist("User matching query does not exist.")
    return User.from_db(alias, attnames, prepared.converted(row, converters, connection))


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
    rows = _fetch(alias, query, user.pk, slug, {})
    membership = _memberships(alias, query, rows, user, slug)
    if membership is None:
        raise Http404("No such workspace")
    return membership


@dataclass
class WorkspacePageRead:
    """What ``read_workspace_page`` read for one workspace page.

    ``membership`` is None for a non-member; ``state`` is None when no sources were asked for
    or off PostgreSQL.
    """

    user: User
    membership: Membership | None
    state: str | None


def read_workspace_page(
    user_pk: Any,
    slug: str,
    sources: tuple[kept.Source, ...] = (),
    params: dict[str, Any] | None = None,
) -> WorkspacePageRead | None:
    """Read the user ``user_pk``, their membership of ``slug`` and the page's state at once.

    The three queries every kept workspace page ran (the signed-in user, the membership,
    ``prosocial.kept.page_state`` of ``sources`` with ``params``) as one: a workspace page's
    database round trips were most of its time under load (bench/README.md, "page_latency",
    fourth pass). The user is returned as ``User.objects.get(pk=…)`` would; checking that it
    may sign in is the caller's (``accounts.decorators``). None when there is no such user.
    """
    alias = router.db_for_read(Membership)
    if connections[alias].vendor != "postgresql":
        sources = ()  # the states are PostgreSQL's (ctid, xmin); nothing is kept elsewhere
    query = _membership_query(alias, with_user=True, sources=sources)
    value = User._meta.pk.get_prep_value(user_pk)  # type: ignore[union-attr]  # as the ORM checks it
    rows = _fetch(alias, query, value, slug, params or {})
    if not rows:
        return None
    users = len(query.user_fields)
    user = User.from_db(alias, query.user_fields, rows[0][:users])
    members = [row[users:] for row in rows if row[users] is not None]
    membership = _memberships(alias, query, members, user, slug)
    state = None
    if membership is not None and query.states:
        state = kept.fingerprint(list(rows[0][-query.states :]))
    return WorkspacePageRead(user=user, membership=membership, state=state)


def _fetch(
    alias: str, query: _MembershipQuery, user_pk: Any, slug: str, params: dict[str, Any]
) -> list[list[Any]]:
    """Run ``query`` and return its rows, each column through the ORM's converters."""
    connection = connections[alias]
    values = [
        slug
        if param is _SLUG
        else user_pk
        if param is _USER
        else params[param.name]
        if isinstance(param, _PageParam)
        else param
        for param in query.params
    ]
    with connection.cursor() as cursor:
        prepared.execute(cursor, query.sql, values)
        fetched = cursor.fetchall()
    return [prepared.converted(row, query.converters, connection) for row in fetched]


def _memberships(
    alias: str, query: _MembershipQuery, rows: list[list[Any]], user: User, slug: str
) -> Membership | None:
    """Return the membership of ``slug`` made from ``rows``, the others as its ``nav_memberships``.

    ``rows`` start at the membership's columns. None if ``slug`` isn't among them.
    """
    split = len(query.membership_fields)
    counts_at = split + len(query.workspace_fields)
    workspace_cache = Membership._meta.get_field("workspace")
    user_cache = Membership._meta.get_field("user")
    members = []
    membership = None
    for row in rows:
        member = Membership.from_db(alias, query.membership_fields, row[:split])
        workspace = Workspace.from_db(alias, query.workspace_fields, row[split:counts_at])
        workspace_cache.set_cached_value(member, workspace)  # type: ignore[union-attr]
        user_cache.set_cached_value(member, user)  # type: ignore[union-attr]  # no query each
        counts = row[counts_at : counts_at + len(query.count_names)]
        for name, count in zip(query.count_names, counts, strict=True):
            setattr(member, name, count)
        if workspace.slug == slug:
            membership = member
        members.append(member)
    if membership is not None:
        membership.nav_memberships = members  # type: ignore[attr-defined]
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
