"""The self-service privacy centre: a person's data, and a workspace's (ARCHITECTURE §5).

Thin views: each resolves the person or membership, validates a form, calls one service in
``privacy.services``/``privacy.exports``/``privacy.retention`` and responds. Refusals re-render
with a message and HTTP 422; nothing is half-done.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.models import Membership, User
from privacy import exports, retention, selectors, services
from privacy.errors import PrivacyError
from privacy.forms import DeleteAccountForm, DeleteWorkspaceForm, RetentionForm
from privacy.models import DataExport

UNPROCESSABLE = 422


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required guarantees it; this narrows the type
        raise Http404
    return user


def _render_exports(request: HttpRequest, exports_list: list[DataExport]) -> HttpResponse:
    context = {
        "exports": exports_list,
        "exports_open": any(export.is_open for export in exports_list),
    }
    return render(request, "privacy/_exports.html", context)


def _render_centre(
    request: HttpRequest, *, delete_form: DeleteAccountForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    user_exports = list(selectors.list_exports_for_user(user))
    if request.htmx:  # type: ignore[attr-defined]  # the exports list polling while one builds
        return _render_exports(request, user_exports)
    context = {
        "stored": selectors.describe_user_data(user),
        "memberships": user.memberships.select_related("workspace").order_by("workspace__name"),
        "exports": user_exports,
        "exports_open": any(export.is_open for export in user_exports),
        "blocking_workspaces": services.solely_owned_workspaces(user),
        "delete_form": delete_form or DeleteAccountForm(),
        "export_ttl_hours": settings.EXPORT_LINK_TTL_HOURS,
    }
    return render(request, "privacy/centre.html", context, status=status)


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    return _render_centre(request)


@login_required
@require_POST
def export_my_data(request: HttpRequest) -> HttpResponse:
    exports.request_user_export(user=_user(request), ip_address=_ip(request))
    messages.success(request, _("Your export is being prepared; it appears below when it's ready."))
    return redirect("privacy:centre")


@login_required
@require_GET
def download_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        export = exports.get_export_for_download(user=_user(request), export_id=pk)
    except DataExport.DoesNotExist as exc:
        raise Http404("No such export") from exc
    except PrivacyError as exc:
        messages.error(request, exc.message)
        return redirect("privacy:centre")
    filename = f"prosocial-export-{export.workspace.slug if export.workspace else 'account'}"
    return FileResponse(
        default_storage.open(export.storage_key, "rb"),
        as_attachment=True,
        filename=f"{filename}-{export.completed_at:%Y%m%d}.zip",
        content_type="application/zip",
    )


@login_required
@require_POST
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST)
    if not form.is_valid():
        return _render_centre(request, delete_form=form, status=UNPROCESSABLE)
    try:
        deletion = services.request_account_deletion(
            user=_user(request), password=form.cleaned_data["password"], ip_address=_ip(request)
        )
    except PrivacyError as exc:
        form.add_error(None, exc.message)
        return _render_centre(request, delete_form=form, status=UNPROCESSABLE)
    logout(request)
    return redirect("privacy:deletion_status", code=deletion.confirmation_code)


def _render_workspace(
    request: HttpRequest,
    membership: Membership,
    *,
    retention_form: RetentionForm | None = None,
    delete_form: DeleteWorkspaceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = membership.workspace
    workspace_exports = list(selectors.list_exports_for_workspace(membership))
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return _render_exports(request, workspace_exports)
    periods = retention.get_retention_settings(workspace)
    if retention_form is None:
        retention_form = RetentionForm(
            initial={name: getattr(periods, name) for name in retention.RETENTION_FIELDS}
        )
    if not membership.can("privacy.retention"):
        for field in retention_form.fields.values():
            field.disabled = True
    context = {
        "membership": membership,
        "workspace": workspace,
        "stored": selectors.describe_workspace_data(workspace),
        "exports": workspace_exports,
        "exports_open": any(export.is_open for export in workspace_exports),
        "retention_form": retention_form,
        "report": retention.retention_report(workspace),
        "delete_form": delete_form or DeleteWorkspaceForm(),
        "export_ttl_hours": settings.EXPORT_LINK_TTL_HOURS,
    }
    return render(request, "privacy/workspace.html", context, status=status)


@member_required("workspace.view")
@require_GET
def workspace_privacy(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _render_workspace(request, membership)


@member_required("workspace.export")
@require_POST
def export_workspace(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        exports.request_workspace_export(actor=membership, ip_address=_ip(request))
    except PrivacyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The workspace export is being prepared."))
    return redirect("privacy:workspace", slug=membership.workspace.slug)


@member_required("privacy.retention")
@require_POST
def update_retention(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _render_workspace(request, membership, retention_form=form, status=UNPROCESSABLE)
    retention.update_retention_settings(
        actor=membership, values=form.cleaned_data, ip_address=_ip(request)
    )
    messages.success(request, _("Retention periods saved."))
    return redirect("privacy:workspace", slug=membership.workspace.slug)


@member_required("workspace.delete")
@require_POST
def delete_workspace(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = DeleteWorkspaceForm(request.POST)
    if form.is_valid():
        try:
            deletion = services.request_workspace_deletion(
                actor=membership,
                confirm_name=form.cleaned_data["confirm_name"],
                ip_address=_ip(request),
            )
        except PrivacyError as exc:
            form.add_error("confirm_name", exc.message)
        else:
            messages.success(
                request,
                _("%(name)s is being deleted. Keep the confirmation code %(code)s.")
                % {"name": membership.workspace.name, "code": deletion.confirmation_code},
            )
            return redirect("privacy:deletion_status", code=deletion.confirmation_code)
    return _render_workspace(request, membership, delete_form=form, status=UNPROCESSABLE)
