"""Cross-cutting views: health check and the CSRF failure page."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prosocial.health import check_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with a small JSON report when the database and broker answer, 503 otherwise."""
    healthy, report = check_health()
    return JsonResponse(report, status=200 if healthy else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a CSRF refusal in words a user can act on (Django's CSRF_FAILURE_VIEW)."""
    return render(request, "403_csrf.html", status=403)
