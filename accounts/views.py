"""Views for workspaces, members, invitations and the user's profile.

Each view resolves (access helper or ``member_required``), validates (a form), calls one
service and responds. Invalid input and refused changes re-render with HTTP 422.
"""

import csv
import json
from collections.abc import Callable, Iterator
from typing import Any

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import extensions, selectors, services
from accounts.decorators import LAST_WORKSPACE_SESSION_KEY, member_required
from accounts.errors import WorkspaceError
from accounts.forms import (
    CONTACT_FIELDS,
    AuditFilterForm,
    InviteForm,
    ProfileForm,
    RoleForm,
    TransferOwnershipForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
)
from accounts.models import AuditEvent, Invitation, Membership, User, Workspace
from accounts.permissions import ROLE_DESCRIPTIONS, Role, assignable_roles, can_manage_member
from prosocial import kept
from prosocial.kept import Source

UNPROCESSABLE = 422
# Each row carries two small forms; 50 keeps the page under ~100 KB and ~40 ms to render
# (200 rows measured 430 KB and ~170 ms in-process, bench/README.md).
MEMBERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50
AUDIT_CSV_CHUNK = 2000


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their last workspace, their first one, or to create one."""
    memberships = list(selectors.list_memberships_for_user(request.user))  # type: ignore[arg-type]
    if not memberships:
        return redirect("accounts:workspace_create")
    last = request.session.get(LAST_WORKSPACE_SESSION_KEY)
    chosen = next((m for m in memberships if m.workspace.slug == last), memberships[0])
    return redirect("accounts:dashboard", slug=chosen.workspace.slug)


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.create_workspace(
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            company_name=form.cleaned_data["company_name"],
            store_name=form.cleaned_data["store_name"],
            timezone_name=form.cleaned_data["timezone"],
            currency=form.cleaned_data["currency"],
            requires_publish_approval=form.cleaned_data["requires_publish_approval"],
        )
        messages.success(request, _("Workspace “%(name)s” created.") % {"name": workspace.name})
        return redirect("accounts:dashboard", slug=workspace.slug)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "accounts/workspace_create.html", {"form": form}, status=status)


MEMBERS_JOIN = f"JOIN {Membership._meta.db_table} m ON m.user_id = t.id"  # members' users
# What the dashboard's own cards show (the panels add theirs): kept until one changes.
DASHBOARD_SOURCES = (
    Source(Workspace, "t.id"),
    Source(User, "t.id", param="user"),  # the welcome's name
    Source(Membership),
    Source(User, "m.workspace_id", join=MEMBERS_JOIN),
    Source(Invitation),
    Source(
        AuditEvent,
        order="t.created_at DESC, t.id DESC",
        limit=selectors.RECENT_ACTIVITY_LIMIT,
    ),
)


def _dashboard_sources(request: HttpRequest, kwargs: dict[str, Any]) -> kept.PageState:
    return DASHBOARD_SOURCES + extensions.dashboard_sources(), {}


@member_required("workspace.view", page_sources=_dashboard_sources)
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    return kept.respond(
        request,
        "dashboard",
        membership,
        _dashboard_sources(request, {})[0],
        "accounts/dashboard.html",
        {"membership": membership, "workspace": membership.workspace},
        lambda: _dashboard_context(membership),
    )


def _dashboard_context(membership: Membership) -> dict[str, object]:
    members = selectors.list_members_for_workspace(membership)
    member_count, pending = selectors.count_members_and_pending_invitations(membership)
    return {
        "member_count": member_count,
        "member_preview": list(members[:6]),
        "pending_invitations": pending,
        "recent_activity": (
            selectors.list_audit_events_for_workspace(membership)[: selectors.RECENT_ACTIVITY_LIMIT]
            if membership.can("audit.view")
            else None
        ),
        # What the apps above accounts show here (publishing's next steps, queue, results).
        "panels": extensions.dashboard_panels(membership),
    }


@member_required("workspace.view", post="workspace.update")
def workspace_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    initial = {
        "name": workspace.name,
        "company_name": workspace.company_name,
        "store_name": workspace.store_name,
        "timezone": workspace.timezone,
        "currency": workspace.currency,
        "requires_publish_approval": workspace.requires_publish_approval,
        **{field: getattr(workspace, field) for field in CONTACT_FIELDS},
    }
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_workspace(
            actor=membership,
            name=form.cleaned_data["name"],
            company_name=form.cleaned_data["company_name"],
            store_name=form.cleaned_data["store_name"],
            timezone_name=form.cleaned_data["timezone"],
            currency=form.cleaned_data["currency"],
            requires_publish_approval=form.cleaned_data["requires_publish_approval"],
            contact={field: form.cleaned_data[field] for field in CONTACT_FIELDS},
        )
        messages.success(request, _("Workspace settings saved."))
        return redirect("accounts:workspace_settings", slug=workspace.slug)
    if not membership.can("workspace.update"):
        for field in form.fields.values():
            field.disabled = True
    status = UNPROCESSABLE if request.method == "POST" else 200
    context = {"membership": membership, "workspace": workspace, "form": form}
    return render(request, "accounts/workspace_settings.html", context, status=status)


def _render_members(
    request: HttpRequest,
    membership: Membership,
    *,
    invite_form: InviteForm | None = None,
    error: str | None = None,
    status: int = 200,
    body: kept.KeptBody | None = None,
) -> HttpResponse:
    """Render the members page; ``body``: its kept content (plain GETs of the whole page)."""
    context: dict[str, object] = {
        "membership": membership,
        "workspace": membership.workspace,
        "kept": body,
    }
    if body is None or body.missing:
        context |= _members_context(request, membership, invite_form, error)
    template = "accounts/members.html"
    if body is not None:
        return kept.render(request, template, context, body)
    if request.htmx and not invite_form:  # type: ignore[attr-defined]
        template += "#member_list"
    return render(request, template, context, status=status)


def _members_context(
    request: HttpRequest,
    membership: Membership,
    invite_form: InviteForm | None,
    error: str | None,
) -> dict[str, object]:
    roles = assignable_roles(membership.role)
    page = Paginator(selectors.list_members_for_workspace(membership), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Labels and links computed once per page, not per row: ``get_role_display`` rebuilds the
    # translated choices and ``{% url %}`` resolves the pattern on every call (bench/README.md).
    labels = {value: str(label) for value, label in Role.choices}
    slot = 987654321  # a pk no member has
    role_url, remove_url = (
        reverse(name, args=[membership.workspace.slug, slot]).split(str(slot))
        for name in ("accounts:member_role", "accounts:member_remove")
    )
    may_manage = membership.can("members.manage")
    members = []
    for member in page:
        member.role_label = labels.get(member.role, member.role)  # type: ignore[attr-defined]
        member.role_url = f"{role_url[0]}{member.pk}{role_url[1]}"  # type: ignore[attr-defined]
        member.remove_url = f"{remove_url[0]}{member.pk}{remove_url[1]}"  # type: ignore[attr-defined]
        members.append((member, may_manage and can_manage_member(membership.role, member.role)))
    return {
        "members": members,
        "page": page,
        "invitations": selectors.list_pending_invitations_for_workspace(membership),
        "invite_form": invite_form or InviteForm(roles=roles),
        "assignable_roles": roles,
        "role_descriptions": [(Role(r).label, d) for r, d in ROLE_DESCRIPTIONS.items()],
        "error": error,
    }


# What the members page shows: the members and their names, the invitations, the workspace.
MEMBERS_SOURCES = (
    Source(Workspace, "t.id"),
    Source(Membership),
    Source(User, "m.workspace_id", join=MEMBERS_JOIN),
    Source(Invitation),
)


def _members_sources(request: HttpRequest, kwargs: dict[str, Any]) -> kept.PageState | None:
    return None if request.htmx else (MEMBERS_SOURCES, {})  # type: ignore[attr-defined]


@member_required("members.view", page_sources=_members_sources)
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _render_members(request, membership)
    body = kept.lookup(request, "members", membership, MEMBERS_SOURCES)
    return _render_members(request, membership, body=body)


@member_required("members.invite")
@require_POST
def member_invite(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = InviteForm(request.POST, roles=assignable_roles(membership.role))
    if form.is_valid():
        try:
            invitation = services.invite_member(
                actor=membership, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except WorkspaceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:members", slug=membership.workspace.slug)
    return _render_members(request, membership, invite_form=form, status=UNPROCESSABLE)


@member_required("members.manage")
@require_POST
def member_role(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    member = selectors.get_member_for_member(membership, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _render_members(
            request, membership, error=_("Choose a valid role."), status=UNPROCESSABLE
        )
    try:
        services.change_member_role(actor=membership, member=member, role=form.cleaned_data["role"])
    except WorkspaceError as exc:
        return _render_members(request, membership, error=exc.message, status=UNPROCESSABLE)
    messages.success(request, _("Role updated for %(name)s.") % {"name": member.user.display_name})
    if request.htmx:  # type: ignore[attr-defined]
        return _render_members(request, membership)
    return redirect("accounts:members", slug=membership.workspace.slug)


def _members_action(
    request: HttpRequest, membership: Membership, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run one service call for the members page: 422 with its refusal, else back with ``done``."""
    try:
        action()
    except WorkspaceError as exc:
        return _render_members(request, membership, error=exc.message, status=UNPROCESSABLE)
    messages.success(request, done)
    return redirect("accounts:members", slug=membership.workspace.slug)


@member_required("members.manage")
@require_POST
def member_remove(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    member = selectors.get_member_for_member(membership, pk)
    return _members_action(
        request,
        membership,
        lambda: services.remove_member(actor=membership, member=member),
        _("%(name)s was removed.") % {"name": member.user.display_name},
    )


@member_required("members.invite")
@require_POST
def invitation_resend(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    invitation = selectors.get_invitation_for_member(membership, pk)
    return _members_action(
        request,
        membership,
        lambda: services.resend_invitation(actor=membership, invitation=invitation),
        _("Invitation resent to %(email)s.") % {"email": invitation.email},
    )


@member_required("members.invite")
@require_POST
def invitation_revoke(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    invitation = selectors.get_invitation_for_member(membership, pk)
    return _members_action(
        request,
        membership,
        lambda: services.revoke_invitation(actor=membership, invitation=invitation),
        _("Invitation to %(email)s revoked.") % {"email": invitation.email},
    )


@member_required("workspace.view")
@require_POST
def workspace_leave(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        services.leave_workspace(membership=membership)
    except WorkspaceError as exc:
        return _render_members(request, membership, error=exc.message, status=UNPROCESSABLE)
    request.session.pop(LAST_WORKSPACE_SESSION_KEY, None)
    messages.success(request, _("You left %(name)s.") % {"name": membership.workspace.name})
    return redirect("accounts:home")


@member_required("workspace.transfer")
def workspace_transfer(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TransferOwnershipForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            new_owner = services.transfer_ownership(
                actor=membership, new_owner=form.cleaned_data["new_owner"]
            )
        except WorkspaceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s is now an owner; you are an admin.")
                % {"name": new_owner.user.display_name},
            )
            return redirect("accounts:members", slug=membership.workspace.slug)
    status = UNPROCESSABLE if request.method == "POST" else 200
    context = {"membership": membership, "workspace": membership.workspace, "form": form}
    return render(request, "accounts/workspace_transfer.html", context, status=status)


@member_required("audit.view")
def activity(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    """Show the workspace's audit log, filtered by actor, action and time (CSV: ?format=csv)."""
    form = AuditFilterForm(request.GET or None, membership=membership)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.filter_audit_events(
        selectors.list_audit_events_for_workspace(membership),
        actor_email=filters.get("actor") or "",
        action=filters.get("action") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    if request.GET.get("format") == "csv" and form.is_valid():
        return _audit_csv(membership, events)
    page = Paginator(events, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "form": form,
        "page": page,
        "query": query.urlencode(),
    }
    status = 200 if form.is_valid() or not request.GET else UNPROCESSABLE
    return render(request, "accounts/activity.html", context, status=status)


def _audit_csv(membership: Membership, events: "QuerySet[AuditEvent]") -> StreamingHttpResponse:
    """Stream the filtered audit log as CSV (constant memory, whatever its length)."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    header = [
        "time_utc",
        "actor",
        "action",
        "description",
        "object_type",
        "object_id",
        "object",
        "ip",
        "details",
    ]

    def rows() -> Iterator[str]:
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=AUDIT_CSV_CHUNK):
            yield writer.writerow(
                [
                    event.created_at.isoformat(),
                    event.actor_email,
                    event.action,
                    event.action_label,
                    event.target_type,
                    event.target_id,
                    event.target_repr,
                    event.ip_address or "",
                    json.dumps(event.metadata, sort_keys=True),
                ]
            )

    filename = f"activity-{membership.workspace.slug}-{timezone.now():%Y%m%d}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation and let the invited person accept it (POST)."""
    invitation = selectors.get_invitation_by_token(token)
    if invitation is None:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": "unknown"}, status=404
        )
    if invitation.status != Invitation.Status.PENDING or invitation.is_expired:
        reason = "expired" if invitation.is_expired else invitation.status
        context = {"reason": reason, "invitation": invitation}
        return render(request, "accounts/invitation_invalid.html", context, status=410)

    user = request.user
    page: dict[str, object] = {"invitation": invitation, "token": token}
    if not user.is_authenticated:
        # The emailed link proves the address: signing up with it needs no second email.
        get_adapter(request).stash_verified_email(request, invitation.email)
        page["has_account"] = User.objects.filter(email__iexact=invitation.email).exists()
        return render(request, "accounts/invitation.html", page)
    if request.method == "POST":
        try:
            membership = services.accept_invitation(user=user, invitation=invitation)  # type: ignore[arg-type]
        except WorkspaceError as exc:
            page["error"] = exc.message
            return render(request, "accounts/invitation.html", page, status=403)
        messages.success(request, _("Welcome to %(name)s!") % {"name": membership.workspace.name})
        return redirect("accounts:dashboard", slug=membership.workspace.slug)
    page["email_matches"] = user.email.lower() == invitation.email.lower()
    return render(request, "accounts/invitation.html", page)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"contact_name": user.contact_name})  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=user, contact_name=form.cleaned_data["contact_name"])  # type: ignore[arg-type]
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html")


# --- Notifications ----------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30


@member_required("workspace.view")
def notifications(request: HttpRequest, membership: Membership) -> HttpResponse:
    """List the member's notifications, newest first, unread ones highlighted."""
    rows = selectors.list_notifications_for_member(membership)
    page = Paginator(rows, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"membership": membership, "workspace": membership.workspace, "page": page}
    return render(request, "accounts/notifications.html", context)


@member_required("workspace.view")
@require_POST
def notification_read(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Mark one notification read, then open its link (or go back to the list)."""
    notification = selectors.get_notification_for_member(membership, pk)
    services.mark_notifications_read(membership=membership, notification_ids=[notification.pk])
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts=None
    ):
        return redirect(notification.link)
    return redirect("accounts:notifications", slug=membership.workspace.slug)


@member_required("workspace.view")
@require_POST
def notifications_read_all(request: HttpRequest, membership: Membership) -> HttpResponse:
    services.mark_notifications_read(membership=membership)
    return redirect("accounts:notifications", slug=membership.workspace.slug)
