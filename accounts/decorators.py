"""View decorators that resolve the workspace and membership once per request."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseBase

from accounts.models import Membership, User
from accounts.selectors import (
    WorkspacePageRead,
    get_membership_for_user,
    read_workspace_page,
    user_read_ahead,
)
from prosocial import kept

LAST_WORKSPACE_SESSION_KEY = "workspace_slug"


def member_required(
    action: str, *, post: str | None = None, page_sources: kept.PageSources | None = None
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Resolve ``slug`` to the user's membership and check ``action`` (``post`` for POSTs).

    Non-members get 404 (existence is not leaked); members whose role lacks the action get
    403. The view receives the membership as its second argument.

    The signed-in user, the membership and, for a GET of a kept page, the state of the
    page's sources (``page_sources``, a ``prosocial.kept.PageSources``) are read in one query
    (``read_workspace_page``); Django's sign-in checks then run on the user row read there.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def checked(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = _membership(request, slug)
            needed = post if post and request.method == "POST" else action
            if not membership.can(needed):
                raise PermissionDenied
            request.membership = membership  # type: ignore[attr-defined]
            if request.session.get(LAST_WORKSPACE_SESSION_KEY) != slug:
                request.session[LAST_WORKSPACE_SESSION_KEY] = slug
            return view(request, membership, *args, **kwargs)

        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            _read_ahead(request, slug, page_sources, kwargs)
            return checked(request, slug, *args, **kwargs)

        wrapped.member_permission = action  # type: ignore[attr-defined]
        wrapped.member_post_permission = post or action  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _read_ahead(
    request: HttpRequest, slug: str, page_sources: kept.PageSources | None, kwargs: dict[str, Any]
) -> None:
    """Read the session's user, their membership of ``slug`` and the page's state in one query.

    Signing in is still Django's: the session's backend gets the user row read here (instead
    of reading it again), checks it may sign in and the session's hash of the password. A
    request that isn't signed in reads nothing (``login_required`` answers it).
    """
    if request.method == "GET":
        kept.read_last_page(request)  # read with the session: one round trip to the cache
    try:
        user_pk = User._meta.pk.to_python(request.session[SESSION_KEY])  # type: ignore[union-attr]
    except (KeyError, ValidationError):
        return
    wanted = None
    if page_sources is not None and request.method == "GET":
        wanted = page_sources(request, kwargs)
    sources, params = wanted if wanted is not None else ((), {})
    read = read_workspace_page(user_pk, slug, sources, params)
    if read is None:
        return
    with user_read_ahead(read.user):
        signed_in = request.user.is_authenticated
    if not signed_in:
        return
    request._workspace_page = read  # type: ignore[attr-defined]
    if read.membership is not None and read.state is not None:
        kept.remember_state(request, sources, read.membership, params, read.state)


def _membership(request: HttpRequest, slug: str) -> Membership:
    """Return the signed-in user's membership of ``slug`` (404 if none), read ahead if it was."""
    read: WorkspacePageRead | None = getattr(request, "_workspace_page", None)
    if read is None or read.user.pk != request.user.pk:
        return get_membership_for_user(request.user, slug)  # type: ignore[arg-type]
    if read.membership is None:
        raise Http404("No such workspace")
    return read.membership
