from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from privacy import services
from privacy.models import ContactMessage, DataDeletionRequest


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
