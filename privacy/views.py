"""Meta's privacy callbacks (ARCHITECTURE §6) and the public deletion status page.

The callbacks are called by Meta's servers: no session, no CSRF token, form field
``signed_request``. Bad input gets a 400 (405 for a wrong method) with a short JSON error and
writes nothing.
"""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from privacy import self_service, services
from privacy.errors import PrivacyError
from privacy.forms import ContactForm, DeletionRequestForm
from privacy.models import DataDeletionRequest
from privacy.signed_request import (
    MAX_SIGNED_REQUEST_LENGTH,
    SignedRequestError,
    check_fresh,
    deauthorized_subject,
    meta_user_id,
    parse_signed_request,
)
from prosocial import erasure


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
    """Meta says a person, or a Facebook Page, removed ProSocial.

    A person (``user_id``): revoke their connections and wipe tokens. A Page (``profile_id``,
    no ``user_id``): remove that Page's assets from every workspace connected to it. Either
    way Meta gets its 200; a bad or stale request a 400 and nothing changes.
    """
    if len(request.body) > MAX_SIGNED_REQUEST_LENGTH + 64:
        return JsonResponse({"error": "request too large"}, status=400)
    try:
        payload = parse_signed_request(
            request.POST.get("signed_request", ""), settings.META_APP_SECRET
        )
        kind, subject_id = deauthorized_subject(payload)
        check_fresh(payload, now=time.time())
    except SignedRequestError as exc:
        return JsonResponse({"error": f"invalid signed_request: {exc}"}, status=400)
    if kind == "page":
        erasure.deauthorize_meta_page(subject_id)
    else:
        services.deauthorize_meta_user(meta_user_id=subject_id)
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


def request_deletion(request: HttpRequest) -> HttpResponse:
    """Ask for deletion by email address (anyone; nothing happens until the link is used)."""
    form = DeletionRequestForm(request.POST or None)
    context = {"form": form, "ttl_hours": self_service.LINK_TTL_HOURS}
    if request.method == "POST" and form.is_valid():
        try:
            self_service.request_deletion_by_email(
                **form.cleaned_data, ip_address=request.META.get("REMOTE_ADDR")
            )
        except PrivacyError as exc:
            form.add_error(None, exc.message)
            return render(request, "privacy/deletion_request.html", context, status=429)
        return render(request, "privacy/deletion_request.html", {**context, "sent": True})
    status = 422 if request.method == "POST" else 200
    return render(request, "privacy/deletion_request.html", context, status=status)


@require_http_methods(["GET", "POST"])
def confirm_deletion(request: HttpRequest, token: str) -> HttpResponse:
    """Show what the emailed link will delete (GET); start the erasure (POST)."""
    try:
        if request.method == "POST":
            deletion = self_service.confirm_deletion_request(token=token)
            return redirect("privacy:deletion_status", code=deletion.confirmation_code)
        link = self_service.read_deletion_link(token)
    except self_service.DeletionLinkError as exc:
        context = {"error": exc.message}
        response = render(request, "privacy/deletion_confirm.html", context, status=exc.status_code)
        # Logged here, without the path: Django's own line would write the link's token.
        log_response(
            "Deletion link refused (%s)", exc.status_code, response=response, request=request
        )
        return response
    return render(request, "privacy/deletion_confirm.html", {"scope": link.scope})
