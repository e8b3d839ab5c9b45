"""Publications in Django admin: read-only, for operators following a job.

Every state change goes through ``publishing.services`` (views, tasks), so nothing here edits
a publication. No token lives on these models; Graph trace rows are stored redacted.
"""

from django.contrib import admin
from django.http import HttpRequest

from publishing.models import (
    ACCOUNT_FIELDS,
    AD_FIELDS,
    CONTENT_FIELDS,
    Publication,
    PublicationAsset,
    PublicationEvent,
    PublicationTombstone,
)


class PublicationAssetInline(admin.TabularInline):
    model = PublicationAsset
    fields = readonly_fields = ("position", "asset")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PublicationEventInline(admin.TabularInline):
    model = PublicationEvent
    fields = readonly_fields = (
        "created_at",
        "kind",
        "message",
        "method",
        "path",
        "status_code",
        "duration_ms",
        "fbtrace_id",
        "error_code",
        "error_subcode",
        "attempt",
        "params",
        "response_excerpt",
    )
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "workspace",
        "target",
        "status",
        "approval_status",
        "scheduled_at",
        "published_at",
        "created_at",
    ]
    list_filter = ["status", "target", "approval_status", "created_at"]
    search_fields = ["title", "remote_id", "workspace__name", "workspace__slug", "caption"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"
    inlines = [PublicationAssetInline, PublicationEventInline]
    fieldsets = [
        (None, {"fields": ["workspace", "created_by", "title", "target", "status"]}),
        # The editable inputs, in the groups publishing.models defines them in.
        ("Content", {"fields": list(CONTENT_FIELDS)}),
        ("Where", {"fields": list(ACCOUNT_FIELDS)}),
        ("Ad", {"classes": ["collapse"], "fields": list(AD_FIELDS)}),
        ("When", {"fields": ["scheduled_at", "published_at"]}),
        ("Approval", {"fields": ["approval_status", "approval_comment", "reviewed_by"]}),
        (
            "Preflight",
            {"fields": ["preflight", "preflight_inputs", "preflight_checked_at", "delivery"]},
        ),
        (
            "Job",
            {
                "fields": [
                    "idempotency_key",
                    "step",
                    "progress",
                    "message",
                    "attempts",
                    "failures",
                    "lease_expires_at",
                    "next_attempt_at",
                    "paused_reason",
                ]
            },
        ),
        (
            "Outcome",
            {
                "fields": [
                    "remote",
                    "remote_id",
                    "permalink",
                    "error_code",
                    "error_subcode",
                    "error_title",
                    "error_detail",
                    "error_fix",
                    "failed_item",
                ]
            },
        ),
        ("Timestamps", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [str(field) for _, options in self.fieldsets for field in options["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PublicationTombstone)
class PublicationTombstoneAdmin(admin.ModelAdmin):
    """What is left of deleted published posts: read-only, like the publications."""

    list_display = ("title", "workspace", "target", "remote_id", "remote_status", "deleted_at")
    list_filter = ("target", "remote_status")
    search_fields = ("title", "remote_id", "workspace__slug")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in PublicationTombstone._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
