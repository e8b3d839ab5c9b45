from django.contrib import admin
from django.http import HttpRequest

from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render


class EditVersionInline(admin.TabularInline):
    model = EditVersion
    fk_name = "project"
    extra = 0
    fields = ["number", "parent", "note", "created_by", "created_at"]
    # Versions are history: they are never edited, only added by the editor's services.
    readonly_fields = ["number", "parent", "note", "created_by", "created_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(EditProject)
class EditProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "current_version", "created_by", "updated_at"]
    list_filter = ["created_at", "updated_at"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace", "current_version", "created_by"]
    raw_id_fields = ["workspace", "source_creative", "current_version", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [EditVersionInline]


@admin.register(EditVersion)
class EditVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "number", "note", "created_by", "created_at"]
    search_fields = ["project__name", "note"]
    list_select_related = ["project", "created_by"]
    raw_id_fields = ["project", "parent", "created_by"]
    readonly_fields = ["created_at"]


@admin.register(EditTemplate)
class EditTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "music", "created_by", "updated_at"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace", "music", "created_by"]
    raw_id_fields = ["workspace", "music", "created_by"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Render)
class RenderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "ratio", "status", "progress", "created_at"]
    list_filter = ["status", "ratio", "created_at"]
    search_fields = ["project__name", "workspace__name", "error"]
    list_select_related = ["workspace", "project"]
    raw_id_fields = ["workspace", "project", "version", "output", "created_by"]
    readonly_fields = [
        "attempts",
        "lease_expires_at",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    ]
