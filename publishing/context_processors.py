from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from publishing.selectors import count_waiting_for_member


def approval_queue(request: HttpRequest) -> dict[str, Any]:
    """Expose how many publications wait for the member (the sidebar's "Waiting for you").

    Counted lazily, only when a template shows it, and only for members who edit or approve.
    """
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can("content.edit"):
        return {}
    counted = getattr(membership, "nav_waiting", None)  # from the membership's own query
    if counted is not None:
        return {"waiting_count": counted}
    return {"waiting_count": SimpleLazyObject(lambda: count_waiting_for_member(membership))}
