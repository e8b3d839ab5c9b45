"""Django admin for the inbox: read-only, for operators diagnosing webhook processing.

Threads, messages, contacts and notes are customers' and members' personal data. Staff see ids,
kinds, states and times; what people wrote and who they are (names, usernames, avatars, text,
attachments, reactions) is shown to superusers only. Rows change through the inbox itself and go
through disconnect, erasure and retention, never by hand here.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inbox.models import Contact, Message, Note, Thread


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field read-only; ``personal_fields`` appear for superusers only."""

    base_fields: tuple[str, ...] = ()
    personal_fields: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        personal = self.personal_fields if request.user.is_superuser else ()
        return (*self.base_fields, *personal)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "channel", "created_at"]
    list_filter = ["channel", "created_at"]
    search_fields = ["meta_id", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    base_fields = ("workspace", "channel", "meta_id", "created_at", "updated_at")
    personal_fields = ("name", "username", "avatar_url")


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workspace",
        "channel",
        "kind",
        "status",
        "is_unread",
        "is_ad_comment",
        "last_message_at",
    ]
    list_filter = ["channel", "kind", "status", "is_unread", "is_ad_comment"]
    search_fields = ["external_key", "post_id", "account_meta_id", "workspace__slug"]
    list_select_related = ["workspace"]
    date_hierarchy = "last_message_at"
    base_fields = (
        "workspace",
        "connection",
        "page",
        "instagram_account",
        "account_meta_id",
        "channel",
        "kind",
        "external_key",
        "post_id",
        "post_permalink",
        "publication",
        "is_ad_comment",
        "ad_name",
        "status",
        "assignee",
        "is_unread",
        "last_message_at",
        "customer_read_at",
        "created_at",
        "updated_at",
    )
    personal_fields = ("contact", "snippet", "post_caption")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workspace",
        "thread",
        "direction",
        "status",
        "is_hidden",
        "is_deleted",
        "sent_at",
    ]
    list_filter = ["direction", "status", "is_hidden", "is_deleted", "is_echo_matched"]
    search_fields = ["external_id", "parent_external_id", "workspace__slug"]
    list_select_related = ["workspace", "thread"]
    base_fields = (
        "workspace",
        "thread",
        "account_meta_id",
        "external_id",
        "parent_external_id",
        "direction",
        "status",
        "error",
        "sent_at",
        "is_hidden",
        "hidden_changed_at",
        "is_deleted",
        "deleted_at",
        "edited_at",
        "is_echo_matched",
        "sent_by",
        "created_at",
        "updated_at",
    )
    personal_fields = ("author_meta_id", "author_name", "text", "attachments", "reactions")


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "thread", "author", "created_at"]
    search_fields = ["workspace__slug"]
    list_select_related = ["workspace", "author"]
    base_fields = ("workspace", "thread", "author", "created_at")
    personal_fields = ("text",)
