"""Django admin for users, workspaces, memberships, invitations and the audit log.

Secrets are never displayed: passwords show only as Django's masked hash summary, invitation
tokens are stored hashed and hidden, and MFA authenticator data (encrypted TOTP secrets and
recovery seeds) is excluded from its admin entirely.

Deleting a user or a workspace here must go through the erasure process (receipt, tokens
revoked, audit entries anonymised), which lives in ``privacy``; ``accounts`` cannot import it,
so ``privacy/admin.py`` re-registers ``UserAdmin`` and ``WorkspaceAdmin`` with delete (and the
bulk action) replaced by starting that erasure.
"""

from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Invitation, Membership, User, Workspace


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "contact_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["email", "contact_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("contact_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "company_name", "currency", "timezone", "created_at"]
    list_filter = ["currency", "created_at"]
    search_fields = ["name", "slug", "company_name", "store_name"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "workspace__name", "workspace__slug"]
    raw_id_fields = ["user", "workspace"]
    list_select_related = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "workspace",
        "role",
        "status",
        "expires_at",
        "send_count",
        "created_at",
    ]
    list_filter = ["status", "role", "created_at"]
    search_fields = ["email", "workspace__name", "workspace__slug"]
    raw_id_fields = ["workspace", "invited_by", "accepted_by"]
    list_select_related = ["workspace"]
    exclude = ["token_hash"]
    readonly_fields = ["last_sent_at", "send_count", "accepted_at", "created_at", "updated_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor_email", "workspace", "target_repr", "ip_address"]
    list_filter = ["action", "created_at"]
    search_fields = ["action", "actor_email", "target_repr", "workspace__name"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]

    # The audit log is evidence: it can be read, not edited.
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    """allauth's admin without the ``data`` column (it holds the encrypted MFA secrets)."""

    exclude = ["data"]
    readonly_fields = ["user", "type", "created_at", "last_used_at"]
