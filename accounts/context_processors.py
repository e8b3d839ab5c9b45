from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.decorators import LAST_WORKSPACE_SESSION_KEY
from accounts.selectors import count_unread_notifications, list_memberships_for_user


def workspace_nav(request: HttpRequest) -> dict[str, Any]:
    """Expose the current membership and, lazily, the user's workspaces for the switcher.

    Outside workspace pages (profile, security, allauth pages) the last workspace used stays
    current, so the sidebar keeps its navigation. ``unread_notifications`` (the bell's count)
    is for the current workspace, also counted only when a template shows it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request, "membership", None)
    # On workspace pages ``member_required`` loaded the switcher's list and the bell's count
    # in the membership's own query; elsewhere both are read lazily, if a template shows them.
    memberships: Any = getattr(current, "nav_memberships", None)
    if memberships is None:
        memberships = SimpleLazyObject(lambda: list(list_memberships_for_user(user)))
    unread: Any = getattr(current, "nav_unread", None)
    if current is None:
        slug = request.session.get(LAST_WORKSPACE_SESSION_KEY)
        current = SimpleLazyObject(
            lambda: next((m for m in memberships if m.workspace.slug == slug), None)
        )
    membership: Any = current
    if unread is None:
        unread = SimpleLazyObject(
            lambda: count_unread_notifications(membership) if membership else 0
        )
    return {
        "current_membership": current,
        "nav_memberships": memberships,
        "unread_notifications": unread,
    }
