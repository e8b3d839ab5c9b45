from django.contrib import admin

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

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "email", "name", "is_handled"]
    list_filter = ["is_handled", "created_at"]
    search_fields = ["subject", "email", "name", "message"]
    readonly_fields = ["name", "email", "subject", "message", "user", "ip_address", "created_at"]
    list_editable = ["is_handled"]
