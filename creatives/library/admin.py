from django.contrib import admin

from creatives.library.models import MediaAsset


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = [
        "original_filename",
        "workspace",
        "kind",
        "source",
        "status",
        "size_bytes",
        "created_at",
    ]
    list_filter = ["kind", "source", "status", "created_at"]
    search_fields = ["original_filename", "sha256", "workspace__name"]
    list_select_related = ["workspace"]
    raw_id_fields = ["workspace", "parent", "created_by"]
    readonly_fields = [f.name for f in MediaAsset._meta.fields if f.name not in ("workspace",)]
