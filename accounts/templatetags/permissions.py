"""Templates ask the permission matrix: ``{% load permissions %}`` then ``membership|can:"x"``.

What a page shows follows the same ``accounts.permissions.PERMISSIONS`` entry the view
enforces, so templates never compare role names (``tests/accounts/test_template_permissions.py``
fails on any that do).
"""

from typing import TYPE_CHECKING

from django import template

from accounts.permissions import PERMISSIONS

if TYPE_CHECKING:
    from accounts.models import Membership

register = template.Library()


class UnknownPermissionError(LookupError):
    """A template asked about an action that is not in ``PERMISSIONS`` (usually a typo)."""


@register.filter
def can(membership: "Membership | None", action: str) -> bool:
    """Return whether ``membership`` may perform ``action``: ``{% if membership|can:"x" %}``.

    No membership (a page outside a workspace) may do nothing. An action missing from the
    matrix raises rather than returning False, since a typo would otherwise look like a
    permission nobody has. Django's ``{% if %}`` turns errors inside ``and``/``or``/``not``
    into False, so the template test also checks every ``|can:`` name statically.
    """
    if action not in PERMISSIONS:
        raise UnknownPermissionError(
            f"Unknown permission {action!r}; the names are the keys of "
            f"accounts.permissions.PERMISSIONS: {', '.join(sorted(PERMISSIONS))}"
        )
    if not membership:
        return False
    return membership.can(action)
