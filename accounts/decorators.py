"""View decorators that resolve the workspace and membership once per request."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accounts.selectors import get_membership_for_user

LAST_WORKSPACE_SESSION_KEY = "workspace_slug"


def member_required(
    action: str, *, post: str | None = None
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Resolve ``slug`` to the user's membership and check ``action`` (``post`` for POSTs).

    Non-members get 404 (existence is not leaked); members whose role lacks the action get
    403. The view receives the membership as its second argument.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = get_membership_for_user(request.user, slug)  # type: ignore[arg-type]
            needed = post if post and request.method == "POST" else action
            if not membership.can(needed):
                raise PermissionDenied
            request.membership = membership  # type: ignore[attr-defined]
            if request.session.get(LAST_WORKSPACE_SESSION_KEY) != slug:
                request.session[LAST_WORKSPACE_SESSION_KEY] = slug
            return view(request, membership, *args, **kwargs)

        wrapped.member_permission = action  # type: ignore[attr-defined]
        wrapped.member_post_permission = post or action  # type: ignore[attr-defined]
        return wrapped

    return decorator
