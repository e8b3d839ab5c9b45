"""Cross-cutting views: health check, the CSRF failure page and the admin's sign-in."""

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
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


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Django admin's sign-in, replaced: staff sign in like everyone else.

    Admin's own form takes a password alone: no two-factor step and no lockout. This view
    never reads a password. A signed-out visitor goes to the product's sign-in (allauth, with
    its two-factor step and rate limits) and comes back; a signed-in staff member goes on to
    the admin; anyone else signed in is refused.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("account_login"))
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return HttpResponseRedirect(target)
