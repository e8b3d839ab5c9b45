from django.contrib import admin
from django.http import HttpRequest

from creatives.studio.models import (
    AICall,
    AISettings,
    Creative,
    GenerationJob,
    Script,
    ScriptVersion,
)


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "campaign", "status", "progress", "created_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["campaign__name", "workspace__name", "error"]
    list_select_related = ["workspace", "campaign"]
    raw_id_fields = ["workspace", "campaign", "cohort", "script", "scene", "created_by"]
    readonly_fields = ["attempts", "lease_expires_at", "created_at", "updated_at", "finished_at"]


@admin.register(AICall)
class AICallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "workspace", "provider", "model", "operation", "cost_micro_usd"]
    list_filter = ["provider", "operation", "created_at"]
    search_fields = ["workspace__name", "model"]
    list_select_related = ["workspace"]
    # A ledger: read-only, kept as the record of what was spent.
    readonly_fields = [f.name for f in AICall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AISettings)
class AISettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "provider", "text_model", "monthly_cap_usd"]
    raw_id_fields = ["workspace"]


class ScriptVersionInline(admin.StackedInline):
    model = ScriptVersion
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "campaign", "number", "updated_at"]
    search_fields = ["campaign__name", "cohort__name"]
    list_select_related = ["campaign", "cohort"]
    raw_id_fields = ["campaign", "cohort", "current"]
    inlines = [ScriptVersionInline]


@admin.register(Creative)
class CreativeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "aspect", "approved_at", "created_at"]
    list_filter = ["aspect", "approved_at"]
    raw_id_fields = ["script", "storyboard", "asset", "music", "approved_by"]
