from typing import Any

from django.db.models import Case, IntegerField, OuterRef, Value, When
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.permissions import Role, has_permission
from accounts.selectors import count_subquery
from meta_integration.models import MetaConnection
from meta_integration.selectors import ATTENTION_STATUSES, list_connections_needing_attention


def attention_count_expression() -> Case:
    """How many connections an admin must act on, as SQL over a membership row.

    Registered through ``accounts.extensions.register_membership_count`` as
    ``nav_meta_attention``: the notice's list is read only when there is something to show.
    """
    admins = [role for role in Role if has_permission(role, "meta.connect")]
    rows = MetaConnection.objects.filter(
        workspace_id=OuterRef("workspace_id"), status__in=ATTENTION_STATUSES
    )
    return Case(
        When(role__in=admins, then=count_subquery(rows)),
        default=Value(0),
        output_field=IntegerField(),
    )


def meta_notices(request: HttpRequest) -> dict[str, Any]:
    """Expose the connections an admin must act on, as a notice on every workspace page."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can("meta.connect"):
        return {}
    if getattr(membership, "nav_meta_attention", None) == 0:  # counted in the membership query
        return {"meta_attention": []}
    return {
        "meta_attention": SimpleLazyObject(lambda: list_connections_needing_attention(membership))
    }
