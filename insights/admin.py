"""Django admin for results: read-only, for operators diagnosing collection.

Rows change only through refresh runs, erasure and retention, never by hand here. Results are
numbers about the workspace's own posts and accounts, not about people, so staff see them all.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from insights.models import AdReport, InsightObject, InsightSnapshot, RefreshRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field read-only; nothing added, changed or deleted here."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InsightObject)
class InsightObjectAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workspace",
        "kind",
        "meta_id",
        "state",
        "availability",
        "next_refresh_at",
        "last_fetched_at",
        "unchanged_fetches",
        "failures",
    ]
    list_filter = ["kind", "state", "availability"]
    search_fields = ["meta_id", "account_meta_id", "workspace__slug"]
    list_select_related = ["workspace"]


@admin.register(InsightSnapshot)
class InsightSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "source", "metric_set", "day", "availability", "fetched_at"]
    list_filter = ["metric_set", "availability"]
    search_fields = ["source__meta_id", "workspace__slug"]
    list_select_related = ["workspace", "source"]
    date_hierarchy = "day"


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workspace",
        "kind",
        "status",
        "progress",
        "objects_done",
        "objects_total",
        "calls_made",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["workspace__slug"]
    list_select_related = ["workspace"]


@admin.register(AdReport)
class AdReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "ad_account_meta_id", "level", "report_run_id", "failures"]
    search_fields = ["ad_account_meta_id", "report_run_id"]
    list_select_related = ["workspace"]
