from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from meta_integration.selectors import list_connections_needing_attention


def meta_notices(request: HttpRequest) -> dict[str, Any]:
    """Expose the connections an admin must act on, as a notice on every workspace page."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can("meta.connect"):
        return {}
    return {
        "meta_attention": SimpleLazyObject(lambda: list_connections_needing_attention(membership))
    }
