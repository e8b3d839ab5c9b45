from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from privacy import services
from privacy.models import ContactMessage, DataDeletionRequest, DataExport, RetentionSettings


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["confirmation_code", "source", "status", "requested_at", "completed_at"]
    list_filter = ["source", "status", "requested_at"]
    search_fields = ["confirmation_code"]
    readonly_fields = [
        "confirmation_code",
        "source",
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
