"""Django admin for Meta connections, assets and webhook events.

Tokens are never displayed or editable. Webhook events are read-only: their payload (what Meta
sent, no tokens) is shown, and they go away through retention and erasure, not by hand.
"""

from django.contrib import admin
from django.http import HttpRequest

from meta_integration.models import (
    InstagramAccount,
    MetaAdAccount,
    MetaConnection,
    MetaPage,
    WebhookEvent,
)


class ReadOnlyAssetInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


class PageInline(ReadOnlyAssetInline):
    model = MetaPage
    fields = readonly_fields = ("name", "page_id", "category", "is_selected", "is_available")


class InstagramInline(ReadOnlyAssetInline):
    model = InstagramAccount
    fields = readonly_fields = ("username", "ig_user_id", "is_selected", "is_available")


class AdAccountInline(ReadOnlyAssetInline):
    model = MetaAdAccount
    fields = readonly_fields = (
        "name",
        "ad_account_id",
        "currency",
        "account_status",
        "is_selected",
    )


@admin.register(MetaConnection)
class MetaConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "meta_user_id",
        "workspace",
        "status",
        "expires_at",
        "last_checked_at",
    ]
    list_filter = ["status", "token_type", "created_at"]
    search_fields = ["display_name", "meta_user_id", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    raw_id_fields = ["workspace", "connected_by"]
    readonly_fields = [
        "meta_user_id",
        "token_type",
        "expires_at",
        "data_access_expires_at",
        "requested_scopes",
        "granted_scopes",
        "declined_scopes",
        "granular_scopes",
        "last_checked_at",
        "last_error",
        "disconnected_at",
        "created_at",
        "updated_at",
    ]
    inlines = [PageInline, InstagramInline, AdAccountInline]


@admin.register(MetaPage)
class MetaPageAdmin(admin.ModelAdmin):
    list_display = ["name", "page_id", "workspace", "is_selected", "is_available"]
    list_filter = ["is_selected", "is_available"]
    search_fields = ["name", "page_id", "workspace__name"]
    raw_id_fields = ["workspace", "connection"]


@admin.register(InstagramAccount)
class InstagramAccountAdmin(admin.ModelAdmin):
    list_display = ["username", "ig_user_id", "workspace", "is_selected", "is_available"]
    list_filter = ["is_selected", "is_available"]
    search_fields = ["username", "ig_user_id", "workspace__name"]
    raw_id_fields = ["workspace", "connection", "page"]


@admin.register(MetaAdAccount)
class MetaAdAccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "ad_account_id",
        "currency",
        "account_status",
        "workspace",
        "is_selected",
    ]
    list_filter = ["account_status", "is_selected", "is_available"]
    search_fields = ["name", "ad_account_id", "workspace__name"]
    raw_id_fields = ["workspace", "connection"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "object",
        "field",
        "entry_id",
        "workspace",
        "received_at",
        "status",
        "is_processed",
    ]
    list_filter = ["object", "field", "status", "is_processed", "received_at"]
    search_fields = ["entry_id", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    date_hierarchy = "received_at"
    fields = readonly_fields = (
        "object",
        "field",
        "entry_id",
        "workspace",
        "connection",
        "entry_time",
        "received_at",
        "status",
        "is_processed",
        "error",
        "attempts",
        "dedupe_key",
        "payload",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
