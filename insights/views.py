"""*Refresh now* and its progress, as JSON for the results pages' button.

``POST w/<slug>/results/refresh/`` queues a refresh of every result that can still change (or
widens the one under way) and answers 202 with its status; ``GET`` on the same URL answers the
latest refresh's status (``{"status": "none"}`` before the first). ``GET …/refresh/<pk>/`` is
one refresh's status, polled by the button. A refusal (no Meta connection) is a 400 with
``{"error": …}``; another workspace's refresh is a 404; viewers may poll, editors and up refresh.
"""

from http import HTTPStatus

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import member_required
from accounts.models import Membership
from insights import selectors, services
from insights.errors import InsightsError


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


@member_required("insights.view", post="insights.refresh")
@require_http_methods(["GET", "POST"])
def refresh(request: HttpRequest, membership: Membership) -> JsonResponse:
    slug = membership.workspace.slug
    if request.method == "POST":
        try:
            run = services.request_refresh(actor=membership)
        except InsightsError as error:
            return JsonResponse({"error": error.message}, status=HTTPStatus.BAD_REQUEST)
        return _no_store(JsonResponse(services.status_of(run, slug), status=HTTPStatus.ACCEPTED))
    latest = selectors.latest_run_for_workspace(membership.workspace)
    if latest is None:
        return _no_store(
            JsonResponse({"status": "none", "progress": 0, "message": "", "done": True})
        )
    return _no_store(JsonResponse(services.status_of(latest, slug)))


@member_required("insights.view")
@require_GET
def refresh_status(request: HttpRequest, membership: Membership, pk: int) -> JsonResponse:
    run = selectors.get_run_for_member(membership, pk)
    return _no_store(JsonResponse(services.status_of(run, membership.workspace.slug)))
