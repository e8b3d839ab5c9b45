from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import list_memberships_for_user


def workspace_nav(request: HttpRequest) -> dict[str, Any]:
    """Expose the current membership and, lazily, the user's workspaces for the switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_membership": getattr(request, "membership", None),
        "nav_memberships": SimpleLazyObject(lambda: list(list_memberships_for_user(user))),
    }
