import hashlib
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from accounts.decorators import LAST_WORKSPACE_SESSION_KEY
from accounts.extensions import membership_count_names
from accounts.selectors import count_unread_notifications, list_memberships_for_user

# The layout's links (templates/layouts/app.html), by the name the template reads them under.
# Reversing them with ``{% url %}`` on every page was a fifth of an empty page's time
# (bench/README.md, "page_latency"); they depend only on the URLconf and the slug, so each
# process reverses them once (per workspace for ``nav_urls``).
LAYOUT_URL_NAMES = {
    "home": "accounts:home",
    "workspace_create": "accounts:workspace_create",
    "admin": "admin:index",
    "privacy_policy": "privacy:policy",
    "terms": "privacy:terms",
    "data_deletion": "privacy:data_deletion_instructions",
    "contact": "privacy:contact",
    "profile": "accounts:profile",
    "security": "accounts:security",
    "privacy_centre": "privacy:centre",
    "logout": "account_logout",
}
WORKSPACE_URL_NAMES = {
    "dashboard": "accounts:dashboard",
    "members": "accounts:members",
    "campaigns": "campaigns:list",
    "media": "creatives:library",
    "editor": "editor:list",
    "ai": "creatives:ai_settings",
    "inbox": "inbox:list",
    "publish": "publishing:list",
    "results": "insights:overview",
    "approvals": "publishing:approvals",
    "meta": "meta_integration:connections",
    "settings": "accounts:workspace_settings",
    "privacy": "privacy:workspace",
    "activity": "accounts:activity",
    "notifications": "accounts:notifications",
}
WORKSPACE_URLS_CACHED = 1024  # workspaces per process; one entry is ~2 KB


def _urlconf() -> tuple[str, str]:
    """Return what reversing depends on besides the names: the URLconf and the script prefix."""
    return (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())


@lru_cache(maxsize=8)
def _layout_urls(urlconf: tuple[str, str]) -> Mapping[str, str]:
    return MappingProxyType(
        {key: reverse(name, urlconf=urlconf[0]) for key, name in LAYOUT_URL_NAMES.items()}
    )


@lru_cache(maxsize=WORKSPACE_URLS_CACHED)
def _workspace_urls(urlconf: tuple[str, str], slug: str) -> Mapping[str, str]:
    return MappingProxyType(
        {
            key: reverse(name, args=[slug], urlconf=urlconf[0])
            for key, name in WORKSPACE_URL_NAMES.items()
        }
    )


def workspace_nav(request: HttpRequest) -> dict[str, Any]:
    """Expose the current membership and, lazily, the user's workspaces for the switcher.

    Outside workspace pages (profile, security, allauth pages) the last workspace used stays
    current, so the sidebar keeps its navigation. ``unread_notifications`` (the bell's count)
    is for the current workspace, also counted only when a template shows it. ``nav_urls``
    are the sidebar's links into the current workspace; ``nav_switcher`` pairs each of the
    user's memberships with its dashboard's URL; ``layout_urls`` (on every page, signed in or
    not) the layout's other links.
    """
    urlconf = _urlconf()
    links = {"layout_urls": _layout_urls(urlconf)}  # the links that name no workspace
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return links
    current = getattr(request, "membership", None)
    # On workspace pages ``member_required`` loaded the switcher's list and the bell's count
    # in the membership's own query; elsewhere both are read lazily, if a template shows them.
    memberships: Any = getattr(current, "nav_memberships", None)
    if memberships is None:
        memberships = SimpleLazyObject(lambda: list(list_memberships_for_user(user)))
    unread: Any = getattr(current, "nav_unread", None)
    urls: Any
    if current is None:
        slug = request.session.get(LAST_WORKSPACE_SESSION_KEY)
        current = SimpleLazyObject(
            lambda: next((m for m in memberships if m.workspace.slug == slug), None)
        )
        urls = SimpleLazyObject(lambda: _workspace_urls(urlconf, slug) if current else {})
    else:
        urls = _workspace_urls(urlconf, current.workspace.slug)
    membership: Any = current
    if unread is None:
        unread = SimpleLazyObject(
            lambda: count_unread_notifications(membership) if membership else 0
        )
    return {
        **links,
        "current_membership": current,
        "nav_memberships": memberships,
        "nav_switcher": SimpleLazyObject(
            lambda: [
                (m, _workspace_urls(urlconf, m.workspace.slug)["dashboard"]) for m in memberships
            ]
        ),
        "nav_urls": urls,
        "unread_notifications": unread,
    }


def layout_state(request: HttpRequest, membership: Any) -> str | None:
    """Return a digest of everything the workspace layout shows, for kept pages.

    ``templates/layouts/app.html`` and ``base.html`` show, besides the page's own content: the
    signed-in user (name, email, staff), the switcher's memberships (workspace names, roles),
    the counts the membership query carries (the bell, "Waiting for you", the inbox's unread,
    the Meta notice), the links (the same for the same address), one-time messages, and the
    CSRF token and CSP nonce, which ``prosocial.kept`` fills in for each response. Pages with
    a message to show, or with a Meta notice (its list is read from the database), answer
    None: their layout is rendered for the request. Whatever the layout comes to show must be
    added here.
    """
    if len(messages.get_messages(request)):
        return None
    counts = [
        (name, getattr(membership, name, None))
        for name in ("nav_unread", *membership_count_names())
    ]
    if dict(counts).get("nav_meta_attention"):
        return None
    user = request.user
    shown = (
        user.pk,
        user.email,  # type: ignore[union-attr]
        user.display_name,  # type: ignore[union-attr]
        user.is_staff,
        user.is_superuser,
        [(m.pk, m.role, m.workspace.slug, m.workspace.name) for m in membership.nav_memberships],
        counts,
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
