"""Workspace and membership use-cases: every change to workspaces, members and invitations.

Views, tasks, management commands and the admin call these functions; nothing else writes
Workspace, Membership or Invitation rows. Each function checks the actor's permission from
``accounts.permissions`` itself (views check too, for the right status code), writes an audit
event for what it changed, and raises ``WorkspaceError`` with a message safe to show.

Invariants kept here:
- a workspace always has at least one owner;
- only owners grant the owner role or touch an owner's membership;
- at most one pending invitation per workspace and email (also a database constraint);
- invitation tokens are stored hashed; the raw token only travels in the email.

Notifications (``notify_workspace``) are written here too, for every app: one row per
recipient, emailed after commit. Callers pass plain text; no app writes Notification rows itself.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.mail import send_mail, send_mass_mail
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.errors import WorkspaceError
from accounts.models import (
    WORKSPACE_CONTACT_FIELDS,
    Invitation,
    Membership,
    Notification,
    User,
    Workspace,
)
from accounts.permissions import (
    ALL_ROLES,
    Role,
    assignable_roles,
    can_manage_member,
    has_permission,
)

logger = logging.getLogger(__name__)

SLUG_MAX_LENGTH = 50
SLUG_ATTEMPTS = 20


# --- Workspaces -------------------------------------------------------------------------------


def _slug_candidates(name: str) -> list[str]:
    base = slugify(name)[:SLUG_MAX_LENGTH].strip("-") or "workspace"
    return [base] + [f"{base[: SLUG_MAX_LENGTH - 4]}-{n}" for n in range(2, SLUG_ATTEMPTS + 1)]


@transaction.atomic
def create_workspace(
    *,
    user: User,
    name: str,
    company_name: str = "",
    store_name: str = "",
    timezone_name: str = "UTC",
    currency: str = "USD",
    requires_publish_approval: bool = False,
) -> Workspace:
    """Create a workspace owned by ``user``, with a unique slug derived from its name.

    Names in any script are accepted; a name that slugifies to nothing gets "workspace".
    Collisions get a numeric suffix; a concurrent insert of the same slug is retried.
    """
    fields = {
        "name": name.strip(),
        "company_name": company_name.strip(),
        "store_name": store_name.strip(),
        "timezone": timezone_name,
        "currency": currency,
        "requires_publish_approval": requires_publish_approval,
        "created_by": user,
    }
    preferred = _slug_candidates(name)
    taken = set(Workspace.objects.filter(slug__in=preferred).values_list("slug", flat=True))
    candidates = [slug for slug in preferred if slug not in taken]
    candidates.append(f"{preferred[0][:40]}-{secrets.token_hex(4)}")
    for slug in candidates:
        try:
            with transaction.atomic():
                workspace = Workspace.objects.create(slug=slug, **fields)
            break
        except IntegrityError:
            continue  # lost a race for this slug; try the next one
    else:  # pragma: no cover - needs SLUG_ATTEMPTS concurrent creators
        raise WorkspaceError(_("Could not find a free address for this workspace; try again."))
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    record_audit_event(
        actor=user, action="workspace.created", workspace=workspace, target=workspace
    )
    return workspace


@transaction.atomic
def update_workspace(
    *,
    actor: Membership,
    name: str,
    company_name: str,
    store_name: str,
    timezone_name: str,
    currency: str,
    requires_publish_approval: bool | None = None,
    contact: dict[str, str] | None = None,
) -> Workspace:
    """Change a workspace's settings. The slug (and so every URL) stays as it is.

    ``contact`` holds the contact details to set (``contact_email``, ``contact_phone``,
    ``website``, ``postal_address``); ``None`` leaves them as they are.
    """
    _require(actor, "workspace.update")
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    changes: dict[str, object] = {
        "name": name.strip(),
        "company_name": company_name.strip(),
        "store_name": store_name.strip(),
        "timezone": timezone_name,
        "currency": currency,
    }
    if requires_publish_approval is not None:
        changes["requires_publish_approval"] = requires_publish_approval
    for field in WORKSPACE_CONTACT_FIELDS:
        if contact is not None and field in contact:
            changes[field] = contact[field].strip()
    changed = [field for field, value in changes.items() if getattr(workspace, field) != value]
    if not changed:
        return workspace
    for field in changed:
        setattr(workspace, field, changes[field])
    workspace.save(update_fields=[*changed, "updated_at"])
    record_audit_event(
        actor=actor.user,
        action="workspace.updated",
        workspace=workspace,
        target=workspace,
        metadata={"fields": changed},
    )
    return workspace


# --- Invitations ------------------------------------------------------------------------------


def hash_invitation_token(raw_token: str) -> str:
    """Return the stored form of an invitation token."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hash_invitation_token(raw)


def _send_invitation_email(invitation_id: int, raw_token: str) -> None:
    """Email the invitation link. Runs after commit; a mail failure leaves it resendable."""
    invitation = Invitation.objects.select_related("workspace", "invited_by").get(pk=invitation_id)
    url = settings.PUBLIC_BASE_URL + reverse("accounts:invitation", args=[raw_token])
    context = {"invitation": invitation, "url": url, "ttl_days": settings.INVITATION_TTL_DAYS}
    try:
        send_mail(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
            + _("You're invited to {workspace}").format(workspace=invitation.workspace.name),
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except OSError:
        logger.exception("invitation %s: email could not be sent", invitation_id)


@transaction.atomic
def invite_member(*, actor: Membership, email: str, role: str) -> Invitation:
    """Invite ``email`` to the actor's workspace with ``role`` and email them a link."""
    _require(actor, "members.invite")
    email = email.strip().lower()
    if role not in assignable_roles(actor.role):
        raise WorkspaceError(
            _("Your role can't grant the {role} role.").format(role=Role(role).label)
        )
    workspace = actor.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise WorkspaceError(
            _("{email} is already a member of this workspace.").format(email=email)
        )
    _expire_stale_invitations(workspace=workspace, email=email)
    if Invitation.objects.filter(
        workspace=workspace, email__iexact=email, status=Invitation.Status.PENDING
    ).exists():
        raise WorkspaceError(
            _("{email} already has a pending invitation. Resend it from the list below.").format(
                email=email
            )
        )
    raw_token, token_hash = _new_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=actor.user,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
        last_sent_at=now,
    )
    record_audit_event(
        actor=actor.user,
        action="invitation.created",
        workspace=workspace,
        target=invitation,
        metadata={"email": email, "role": role},
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation.pk, raw_token))
    return invitation


@transaction.atomic
def resend_invitation(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Send a pending (or expired) invitation again with a fresh link and a new expiry.

    The previous link stops working: only the newest token's hash is stored.
    """
    _require(actor, "members.invite")
    invitation = Invitation.objects.select_for_update().get(
        pk=invitation.pk, workspace=actor.workspace
    )
    if invitation.status not in (Invitation.Status.PENDING, Invitation.Status.EXPIRED):
        raise WorkspaceError(
            _("This invitation was {status} and can't be resent.").format(
                status=invitation.get_status_display().lower()
            )
        )
    if invitation.role not in assignable_roles(actor.role):
        raise WorkspaceError(_("Only an owner can resend an invitation for the owner role."))
    raw_token, invitation.token_hash = _new_token()
    now = timezone.now()
    invitation.status = Invitation.Status.PENDING
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.last_sent_at = now
    invitation.send_count += 1
    invitation.save(
        update_fields=[
            "token_hash",
            "status",
            "expires_at",
            "last_sent_at",
            "send_count",
            "updated_at",
        ]
    )
    record_audit_event(
        actor=actor.user, action="invitation.resent", workspace=actor.workspace, target=invitation
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation.pk, raw_token))
    return invitation


@transaction.atomic
def revoke_invitation(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Cancel a pending invitation; its link stops working at once."""
    _require(actor, "members.invite")
    invitation = Invitation.objects.select_for_update().get(
        pk=invitation.pk, workspace=actor.workspace
    )
    if invitation.status != Invitation.Status.PENDING:
        raise WorkspaceError(_("Only pending invitations can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    record_audit_event(
        actor=actor.user, action="invitation.revoked", workspace=actor.workspace, target=invitation
    )
    return invitation


@transaction.atomic
def accept_invitation(*, user: User, invitation: Invitation) -> Membership:
    """Make ``user`` a member through ``invitation``; the invitation is used up.

    The signed-in user's email must be the invited address. Accepting again for a workspace
    the user already belongs to keeps the existing role.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING or invitation.is_expired:
        raise WorkspaceError(_("This invitation is no longer valid."))
    if user.email.lower() != invitation.email.lower():
        raise WorkspaceError(
            _(
                "This invitation was sent to {invited}, but you're signed in as {current}. "
                "Sign out and sign in (or sign up) with the invited address."
            ).format(invited=invitation.email, current=user.email)
        )
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    record_audit_event(
        actor=user,
        action="invitation.accepted" if created else "invitation.accepted_existing_member",
        workspace=invitation.workspace,
        target=membership,
        metadata={"role": membership.role},
    )
    return membership


def _expire_stale_invitations(*, workspace: Workspace | None = None, email: str = "") -> int:
    stale = Invitation.objects.filter(
        status=Invitation.Status.PENDING, expires_at__lte=timezone.now()
    )
    if workspace is not None:
        stale = stale.filter(workspace=workspace)
    if email:
        stale = stale.filter(email__iexact=email)
    return stale.update(status=Invitation.Status.EXPIRED, updated_at=timezone.now())


def expire_invitations() -> int:
    """Mark every pending invitation past its expiry as expired; return how many."""
    return _expire_stale_invitations()


# --- Members ----------------------------------------------------------------------------------


def _require(actor: Membership, action: str) -> None:
    if not has_permission(actor.role, action):
        raise WorkspaceError(_("Your role doesn't allow this."))


def _other_owner_count(workspace_id: int, excluding: Membership) -> int:
    return (
        Membership.objects.select_for_update()
        .filter(workspace_id=workspace_id, role=Role.OWNER)
        .exclude(pk=excluding.pk)
        .count()
    )


@transaction.atomic
def change_member_role(*, actor: Membership, member: Membership, role: str) -> Membership:
    """Give ``member`` a new role, keeping at least one owner."""
    _require(actor, "members.manage")
    member = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=member.pk, workspace_id=actor.workspace_id)
    )
    if role not in Role.values:
        raise WorkspaceError(_("Choose a valid role."))
    if not can_manage_member(actor.role, member.role) or role not in assignable_roles(actor.role):
        raise WorkspaceError(_("Only an owner can grant the owner role or change an owner."))
    if member.role == role:
        return member
    if member.role == Role.OWNER and _other_owner_count(member.workspace_id, member) == 0:
        raise WorkspaceError(
            _("{name} is the only owner. Make someone else an owner first.").format(
                name=member.user.display_name
            )
        )
    previous = member.role
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    record_audit_event(
        actor=actor.user,
        action="member.role_changed",
        workspace=actor.workspace,
        target=member,
        metadata={"from": previous, "to": role, "email": member.user.email},
    )
    return member


@transaction.atomic
def remove_member(*, actor: Membership, member: Membership) -> None:
    """Remove ``member`` from the workspace (use ``leave_workspace`` for yourself)."""
    _require(actor, "members.manage")
    member = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=member.pk, workspace_id=actor.workspace_id)
    )
    if member.pk == actor.pk:
        raise WorkspaceError(_("To remove yourself, use “Leave workspace”."))
    if not can_manage_member(actor.role, member.role):
        raise WorkspaceError(_("Only an owner can remove an owner."))
    if member.role == Role.OWNER and _other_owner_count(member.workspace_id, member) == 0:
        raise WorkspaceError(_("A workspace needs at least one owner."))
    record_audit_event(
        actor=actor.user,
        action="member.removed",
        workspace=actor.workspace,
        target=member,
        metadata={"email": member.user.email, "role": member.role},
    )
    member.delete()


@transaction.atomic
def leave_workspace(*, membership: Membership) -> None:
    """Remove the acting user from the workspace, unless they are its last owner."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "workspace")
        .get(pk=membership.pk)
    )
    if (
        membership.role == Role.OWNER
        and _other_owner_count(membership.workspace_id, membership) == 0
    ):
        raise WorkspaceError(
            _("You're the only owner. Transfer ownership to another member before leaving.")
        )
    record_audit_event(
        actor=membership.user,
        action="member.left",
        workspace=membership.workspace,
        target=membership,
        metadata={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def transfer_ownership(*, actor: Membership, new_owner: Membership) -> Membership:
    """Make ``new_owner`` an owner and step the acting owner down to admin."""
    _require(actor, "workspace.transfer")
    actor = Membership.objects.select_for_update().select_related("user").get(pk=actor.pk)
    new_owner = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=new_owner.pk, workspace_id=actor.workspace_id)
    )
    if actor.role != Role.OWNER:
        raise WorkspaceError(_("Only an owner can transfer ownership."))
    if new_owner.pk == actor.pk:
        raise WorkspaceError(_("Choose another member to transfer ownership to."))
    new_owner.role = Role.OWNER
    new_owner.save(update_fields=["role", "updated_at"])
    actor.role = Role.ADMIN
    actor.save(update_fields=["role", "updated_at"])
    record_audit_event(
        actor=actor.user,
        action="workspace.ownership_transferred",
        workspace=actor.workspace,
        target=new_owner,
        metadata={"to": new_owner.user.email},
    )
    return new_owner


# --- Profile ----------------------------------------------------------------------------------


@transaction.atomic
def update_profile(*, user: User, contact_name: str) -> User:
    """Change the user's contact name."""
    user.contact_name = contact_name.strip()
    user.save(update_fields=["contact_name"])
    return user


def delete_user_row(*, user_id: int) -> int:
    """Remove the user row (after every app has let go of it); return 1, or 0 if already gone.

    Email addresses, two-factor authenticators and memberships go with it (CASCADE).
    """
    return User.objects.filter(pk=user_id).delete()[1].get(User._meta.label, 0)


def delete_workspace_row(*, workspace_id: int) -> int:
    """Remove the workspace row and every row still pointing at it; return 1 or 0."""
    return Workspace.objects.filter(pk=workspace_id).delete()[1].get(Workspace._meta.label, 0)


# --- Notifications ----------------------------------------------------------------------------


def notify_workspace(
    workspace: Workspace,
    *,
    roles: Iterable[str] = ALL_ROLES,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    user_ids: Iterable[int] | None = None,
) -> list[Notification]:
    """Tell the workspace's members holding one of ``roles``: one row each, then one email each.

    ``link`` is a path inside ProSocial (``/w/acme/publish/``); the email makes it absolute.
    ``user_ids`` narrows the recipients to those people (people no longer members are left
    out). Each email leaves from its own Celery task (``accounts.email_notification``), queued
    after commit: a rolled-back change tells nobody, no request or Meta callback waits for the
    mail server, and one refused address delays nobody else's. A mail failure is logged and the
    in-app notification stays.

    The rows are written by one ``INSERT … SELECT`` over the memberships (#15): no read of the
    recipients first, and no savepoint of its own (one statement is atomic). The returned rows
    carry ``recipient_id``; ``recipient`` loads when used.
    """
    chosen = Membership.objects.filter(workspace=workspace, role__in=list(roles))
    if user_ids is not None:
        chosen = chosen.filter(user_id__in=list(user_ids))
    template = Notification(
        workspace=workspace,
        kind=kind,
        title=str(title)[:200],
        body=str(body)[:2000],
        link=str(link)[:500],
    )
    notifications = _insert_per_member(template, chosen)
    from accounts.tasks import email_notification_task  # the tasks module imports this one

    for notification in notifications:
        # robust: a broker that is down is logged; the committed change is not turned into a 500.
        transaction.on_commit(partial(email_notification_task.delay, notification.pk), robust=True)
    return notifications


def _insert_per_member(template: Notification, members: QuerySet[Membership]) -> list[Notification]:
    """Insert a copy of ``template`` for each of ``members`` (in their order) in one statement."""
    using = router.db_for_write(Notification)
    connection = connections[using]
    quote = connection.ops.quote_name
    pk, member_pk = Notification._meta.pk, Membership._meta.pk
    assert pk is not None  # noqa: S101
    assert member_pk is not None  # noqa: S101
    try:  # each column is named after its field ("AS" the name given)
        member_sql, member_params = (
            members.order_by().values_list("user_id", member_pk.name).query.sql_with_params()
        )
    except EmptyResultSet:  # no roles or no user ids: nobody to tell
        return []
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    recipient = Notification._meta.get_field("recipient")
    columns, values, params = [], [], []
    for field in fields:
        columns.append(quote(str(field.column)))
        if field is recipient:
            values.append(f"member.{quote('user_id')}")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM ({member_sql}) member "
        f"ORDER BY member.{quote(member_pk.name)} "
        f"RETURNING {quote(str(pk.column))}, {quote(str(recipient.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *member_params])
        returned = sorted(cursor.fetchall())
    rows = []
    for row_pk, recipient_id in returned:
        row = Notification(
            pk=row_pk,
            recipient_id=recipient_id,
            **{
                field.attname: getattr(template, field.attname)
                for field in fields
                if field is not recipient
            },
        )
        row.workspace = template.workspace  # the instance the caller passed
        row._state.adding = False
        row._state.db = using
        rows.append(row)
    return rows


def email_notifications(*, notification_ids: list[int]) -> None:
    """Email each of the notifications to its recipient; failures are logged, never raised."""
    rows = Notification.objects.filter(pk__in=notification_ids).select_related(
        "workspace", "recipient"
    )
    messages = [
        (
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + row.title,
            render_to_string(
                "accounts/email/notification.txt",
                {
                    "notification": row,
                    "url": settings.PUBLIC_BASE_URL + row.link if row.link else "",
                    "all_url": settings.PUBLIC_BASE_URL
                    + reverse("accounts:notifications", args=[row.workspace.slug]),
                },
            ),
            None,
            [row.recipient.email],
        )
        for row in rows
        if row.recipient is not None
    ]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        # Whatever goes wrong with the email (the server, a header, a template), the change and
        # the in-app notification stand, so it is logged rather than retried or raised.
        logger.exception("notifications %s: email could not be sent", notification_ids)


def mark_notifications_read(
    *, membership: Membership, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark the member's unread notifications read (only ``notification_ids`` when given).

    Returns how many changed. Other people's and other workspaces' notifications are never
    touched, whatever ids are passed.
    """
    unread = Notification.objects.filter(
        workspace=membership.workspace, recipient=membership.user, read_at__isnull=True
    )
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
