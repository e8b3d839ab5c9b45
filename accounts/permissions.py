"""Roles and the one permission matrix (Sentry ``scope_map``, healthchecks ``is_rw``).

Views declare the action they need (``@member_required("members.invite")``); services check
the same actions, and templates ask for them with ``{% if membership|can:"members.invite" %}``
(``accounts/templatetags/permissions.py``), never by comparing role names. Adding a capability
means adding one line here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


ALL_ROLES = frozenset(Role)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
CREATORS = frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "workspace.view": ALL_ROLES,
    "workspace.update": MANAGERS,
    "workspace.transfer": frozenset({Role.OWNER}),
    "workspace.export": frozenset({Role.OWNER}),
    "workspace.delete": frozenset({Role.OWNER}),
    "privacy.retention": MANAGERS,
    "members.view": ALL_ROLES,
    "members.invite": MANAGERS,
    "members.manage": MANAGERS,
    "audit.view": MANAGERS,
    "meta.connect": MANAGERS,
    "content.edit": CREATORS,
    # The video editor (#17): everyone watches projects and renders; editors edit and render.
    "edits.change": CREATORS,
    "edits.view": ALL_ROLES,
    "publish.approve": MANAGERS,
    # The inbox (#16): everyone reads; editors answer, moderate (hide), assign, close and note;
    # deleting a customer's comment is for owners and admins.
    "inbox.view": ALL_ROLES,
    "inbox.reply": CREATORS,
    "inbox.delete": MANAGERS,
    # Results (#18): everyone reads them; editors and up refresh them from Meta.
    "insights.view": ALL_ROLES,
    "insights.refresh": CREATORS,
}

ROLE_DESCRIPTIONS = {
    Role.OWNER: _("Everything, including transferring ownership and granting the owner role."),
    Role.ADMIN: _("Manages members, settings and the Meta connection; edits and publishes."),
    Role.EDITOR: _("Creates and edits campaigns and creatives; cannot manage members."),
    Role.VIEWER: _("Read-only access to the workspace."),
}


def has_permission(role: str, action: str) -> bool:
    """Return whether ``role`` may perform ``action``; unknown actions are refused."""
    return role in PERMISSIONS.get(action, frozenset())


def assignable_roles(actor_role: str) -> list[Role]:
    """Return the roles ``actor_role`` may give to someone (owners give any, admins non-owner)."""
    if actor_role == Role.OWNER:
        return list(Role)
    if actor_role == Role.ADMIN:
        return [Role.ADMIN, Role.EDITOR, Role.VIEWER]
    return []


def can_manage_member(actor_role: str, target_role: str) -> bool:
    """Return whether ``actor_role`` may change or remove a member holding ``target_role``."""
    if actor_role == Role.OWNER:
        return True
    return actor_role == Role.ADMIN and target_role != Role.OWNER
