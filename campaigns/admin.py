from django.contrib import admin

from campaigns.models import AudienceCohort, Campaign


class CohortInline(admin.TabularInline):
    model = AudienceCohort
    extra = 0
    fields = ["name", "age_min", "age_max", "countries", "genders", "interests"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "product_name", "objective", "status", "updated_at"]
    list_filter = ["status", "objective", "tone"]
    search_fields = ["name", "product_name", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    raw_id_fields = ["logo", "created_by"]
    inlines = [CohortInline]
