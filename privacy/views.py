"""Meta's privacy callbacks (ARCHITECTURE §6) and the public deletion status page.

The callbacks are called by Meta's servers: no session, no CSRF token, form field
``signed_request``. Bad input gets a 400 (405 for a wrong method) with a short JSON error and
writes nothing.
"""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from privacy import services
from privacy.errors import PrivacyError
from privacy.forms import ContactForm
from privacy.models import DataDeletionRequest
from privacy.signed_request import (
    MAX_SIGNED_REQUEST_LENGTH,
    SignedRequestError,
    check_fresh,
    meta_user_id,
    parse_signed_request,
)


def _meta_user_id(request: HttpRequest) -> str | JsonResponse:
    if len(request.body) > MAX_SIGNED_REQUEST_LENGTH + 64:
        return JsonResponse({"error": "request too large"}, status=400)
    try:
        payload = parse_signed_request(
            request.POST.get("signed_request", ""), settings.META_APP_SECRET
        )
        user_id = meta_user_id(payload)
        check_fresh(payload, now=time.time())
    except SignedRequestError as exc:
        return JsonResponse({"error": f"invalid signed_request: {exc}"}, status=400)
    return user_id


@csrf_exempt
@require_POST
def meta_data_deletion(request: HttpRequest) -> HttpResponse:
    """Record Meta's deletion request; answer the status URL and confirmation code as JSON."""
    user_id = _meta_user_id(request)
    if isinstance(user_id, JsonResponse):
        return user_id
    deletion = services.record_meta_deletion_request(meta_user_id=user_id)
    url = settings.PUBLIC_BASE_URL + reverse(
        "privacy:deletion_status", args=[deletion.confirmation_code]
    )
    return JsonResponse({"url": url, "confirmation_code": deletion.confirmation_code})


@csrf_exempt
@require_POST
def meta_deauthorize(request: HttpRequest) -> HttpResponse:
    """Meta says a person removed ProSocial: revoke their connections and wipe tokens."""
    user_id = _meta_user_id(request)
    if isinstance(user_id, JsonResponse):
        return user_id
    services.deauthorize_meta_user(meta_user_id=user_id)
    return JsonResponse({"success": True})


@require_GET
def deletion_status(request: HttpRequest, code: str) -> HttpResponse:
    deletion = get_object_or_404(DataDeletionRequest, confirmation_code=code[:32])
    return render(request, "privacy/deletion_status.html", {"deletion": deletion})


def contact(request: HttpRequest) -> HttpResponse:
    """Contact / support form, for anyone, signed in or not."""
    user = request.user if request.user.is_authenticated else None
    initial = {"name": user.display_name, "email": user.email} if user else {}  # type: ignore[union-attr]
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_contact_message(
                **form.cleaned_data,
                user_id=user.pk if user else None,
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except PrivacyError as exc:
            form.add_error(None, exc.message)
            return render(request, "privacy/contact.html", {"form": form}, status=429)
        return render(request, "privacy/contact.html", {"sent": True})
    status = 422 if request.method == "POST" else 200
    return render(request, "privacy/contact.html", {"form": form}, status=status)
