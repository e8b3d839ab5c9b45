"""Django admin for privacy records, and the operator's way into the erasure process.

Operators carry out deletion requests that came by email or through the contact form from the
deletion requests list (*Start an erasure*). Deleting a user or a workspace in admin, one or
in bulk, starts the same erasure: this module re-registers ``accounts``' user and workspace
admins with delete going through ``privacy.services`` (``accounts`` cannot import ``privacy``).
"""

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from accounts.admin import UserAdmin, WorkspaceAdmin
from accounts.models import User, Workspace
from privacy import services
from privacy.errors import PrivacyError
from privacy.forms import StartErasureForm
from privacy.models import ContactMessage, DataDeletionRequest, DataExport, RetentionSettings


def _log_erasure_started(request: HttpRequest, deletion: DataDeletionRequest) -> None:
    """Record in admin's history who started the erasure; it names only the code."""
    LogEntry.objects.log_actions(
        user_id=cast(int, request.user.pk),  # admin_view lets only signed-in staff through
        queryset=[deletion],
        action_flag=ADDITION,
        change_message="Erasure started from admin",
    )


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(admin.ModelAdmin):
    list_display = [
        "confirmation_code",
        "source",
        "channel",
        "status",
        "requested_at",
        "completed_at",
    ]
    list_filter = ["source", "channel", "status", "requested_at"]
    search_fields = ["confirmation_code"]
    change_list_template = "privacy/admin/deletion_request_change_list.html"
    readonly_fields = [
        "confirmation_code",
        "source",
        "channel",
        "status",
        "subject_hash",
        "counts",
        "receipt_years",
        "keep_until",
        "kept_reason",
        "error",
        "attempts",
        "lease_expires_at",
        "requested_at",
        "completed_at",
        "updated_at",
    ]

    actions = ["retry_failed"]

    def has_add_permission(self, request: object) -> bool:
        return False

    @admin.action(description="Retry the selected failed deletion requests")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[DataDeletionRequest]) -> None:
        count = services.retry_failed_deletion_requests(
            ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"{count} request(s) queued again.")

    def get_urls(self) -> list[URLPattern]:
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_erasure_view),
            name="privacy_datadeletionrequest_start",
        )
        return [start, *super().get_urls()]

    def start_erasure_view(self, request: HttpRequest) -> HttpResponse:
        """Start an erasure for a request received by email or through the contact form."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = StartErasureForm(request.POST or None)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    deletion = services.start_erasure_for_operator(**form.cleaned_data)
                except PrivacyError as exc:
                    form.add_error(None, exc.message)
                else:
                    _log_erasure_started(request, deletion)
                    self.message_user(
                        request, f"Erasure {deletion.confirmation_code} started.", messages.SUCCESS
                    )
                    return redirect("admin:privacy_datadeletionrequest_change", deletion.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Start an erasure",
            "form": form,
        }
        return TemplateResponse(request, "privacy/admin/start_erasure.html", context, status=status)


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "email", "name", "is_handled"]
    list_filter = ["is_handled", "created_at"]
    search_fields = ["subject", "email", "name", "message"]
    readonly_fields = ["name", "email", "subject", "message", "user", "ip_address", "created_at"]
    list_editable = ["is_handled"]


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "workspace", "status", "size_bytes", "expires_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["requested_by__email", "workspace__name"]
    list_select_related = ["requested_by", "workspace"]
    readonly_fields = [
        "requested_by",
        "workspace",
        "status",
        "size_bytes",
        "counts",
        "error",
        "attempts",
        "lease_expires_at",
        "created_at",
        "completed_at",
        "expires_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "workspace",
        "unused_generated_media_days",
        "publish_trace_days",
        "webhook_event_days",
        "deletion_receipt_years",
        "updated_at",
    ]
    search_fields = ["workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    readonly_fields = ["workspace"]


class ErasingAdminMixin:
    """Admin delete of the object starts its erasure (receipt, tokens revoked, audit anonymised).

    The bulk "delete selected" action is replaced by "erase selected", and admin's own deletion
    log entry (which would keep the person's name after the erasure) by one naming the code.
    """

    def _start_erasure(self, obj: Any) -> DataDeletionRequest:
        raise NotImplementedError

    def _erase(self, request: HttpRequest, objects: list[Any]) -> None:
        for obj in objects:
            try:
                deletion = self._start_erasure(obj)
            except PrivacyError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)  # type: ignore[attr-defined]
            else:
                _log_erasure_started(request, deletion)
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    f"Erasure {deletion.confirmation_code} started; the confirmation was emailed.",
                    messages.SUCCESS,
                )

    def get_actions(
        self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions

    def log_deletions(self, request: HttpRequest, queryset: Any) -> list[LogEntry]:
        return []

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self._erase(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._erase(request, list(queryset))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        opts = self.opts  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    @admin.action(description="Erase the selected items (emails each the confirmation)")
    def erase_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._erase(request, list(queryset))


ERASING_DELETE_CONFIRMATION = "privacy/admin/erasing_delete_confirmation.html"

admin.site.unregister(User)
admin.site.unregister(Workspace)


@admin.register(User)
class ErasingUserAdmin(ErasingAdminMixin, UserAdmin):
    delete_confirmation_template = ERASING_DELETE_CONFIRMATION
    actions = ["erase_selected", "erase_meta_data_selected"]

    def _start_erasure(self, obj: User) -> DataDeletionRequest:
        return services.erase_user_for_operator(user=obj)

    @admin.action(description="Erase only the Meta-connected data of the selected users")
    def erase_meta_data_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            deletion = services.erase_user_for_operator(user=user, meta_data_only=True)
            _log_erasure_started(request, deletion)
            self.message_user(request, f"Erasure {deletion.confirmation_code} started.")


@admin.register(Workspace)
class ErasingWorkspaceAdmin(ErasingAdminMixin, WorkspaceAdmin):
    delete_confirmation_template = ERASING_DELETE_CONFIRMATION
    actions = ["erase_selected"]

    def _start_erasure(self, obj: Workspace) -> DataDeletionRequest:
        return services.erase_workspace_for_operator(workspace=obj)
