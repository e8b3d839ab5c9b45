"""The public legal pages: privacy policy, terms of service and data-deletion instructions.

Every fact on these pages that an operator can change (who runs the installation, contact
addresses, retention periods, link lifetimes, which providers are switched on) comes from
settings here, so the pages never drift from the configuration. ARCHITECTURE §6 fixes their
paths; Meta's app settings point at the deletion-instructions page.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.module_loading import import_string
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from privacy.self_service import LINK_TTL_HOURS
from prosocial.kept import KEEP_SECONDS
from prosocial.policy_facts import policy_facts


def _effective_date() -> str:
    """POLICY_EFFECTIVE_DATE as people write it ("December 1, 2026"); raw text if not ISO."""
    try:
        return date_format(date.fromisoformat(settings.POLICY_EFFECTIVE_DATE), "F j, Y")
    except ValueError:
        return settings.POLICY_EFFECTIVE_DATE


def _human_duration(seconds: int) -> str:
    """``21600`` -> "6 hours"; whole minutes or seconds when hours don't divide evenly."""
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def _url_pattern(name: str, placeholder: str) -> tuple[str, str]:
    """Return the absolute URL of ``name`` split where its one argument goes."""
    url = settings.PUBLIC_BASE_URL + reverse(name, args=[placeholder])
    prefix, suffix = url.rsplit(placeholder, 1)
    return prefix, suffix


def _uses_message_cookie() -> bool:
    """Whether one-time notices ("Saved") travel in a cookie (Django's default storage)."""
    storage = import_string(settings.MESSAGE_STORAGE)
    return storage is CookieStorage or CookieStorage in getattr(storage, "storage_classes", ())


def _context() -> dict[str, Any]:
    base = settings.PUBLIC_BASE_URL
    status_url_prefix, status_url_suffix = _url_pattern("privacy:deletion_status", "CODE")
    workspace_url_prefix, workspace_url_suffix = _url_pattern("privacy:workspace", "slug")
    return {
        "operator_name": settings.OPERATOR_NAME,
        "operator_address": settings.OPERATOR_ADDRESS,
        "privacy_email": settings.PRIVACY_EMAIL,
        "support_email": settings.SUPPORT_EMAIL,
        "effective_date": _effective_date(),
        "effective_date_iso": settings.POLICY_EFFECTIVE_DATE,
        "public_base_url": base,
        "retention": {
            "unused_generated_media_days": settings.RETENTION_UNUSED_GENERATED_MEDIA_DAYS,
            "publish_trace_days": settings.RETENTION_PUBLISH_TRACE_DAYS,
            "webhook_event_days": settings.RETENTION_WEBHOOK_EVENT_DAYS,
            "inbox_thread_days": settings.RETENTION_INBOX_THREAD_DAYS,
            "deletion_receipt_years": settings.RETENTION_DELETION_RECEIPT_YEARS,
            "audit_event_days": settings.RETENTION_AUDIT_EVENT_DAYS,
        },
        "export_link_ttl_hours": settings.EXPORT_LINK_TTL_HOURS,
        "deletion_link_ttl_hours": LINK_TTL_HOURS,
        "invitation_ttl_days": settings.INVITATION_TTL_DAYS,
        "media_url_ttl": _human_duration(settings.MEDIA_SIGNED_URL_TTL_SECONDS),
        "kept_page_ttl": _human_duration(KEEP_SECONDS),
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "session_cookie_days": settings.SESSION_COOKIE_AGE // 86400,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "csrf_cookie_days": settings.CSRF_COOKIE_AGE // 86400,
        "message_cookie_name": CookieStorage.cookie_name if _uses_message_cookie() else "",
        "uses_openai": bool(getattr(settings, "OPENAI_API_KEY", "")),
        "uses_meta_sandbox": settings.META_USES_SANDBOX,
        "media_uses_s3": settings.MEDIA_USES_S3,
        "privacy_centre_url": reverse("privacy:centre"),
        "status_url_prefix": status_url_prefix,
        "status_url_suffix": status_url_suffix,
        "workspace_privacy_url_prefix": workspace_url_prefix,
        "workspace_privacy_url_suffix": workspace_url_suffix,
        "data_deletion_callback_url": base + reverse("privacy:meta_data_deletion"),
        "deauthorize_callback_url": base + reverse("privacy:meta_deauthorize"),
        **policy_facts(),  # e.g. meta_features: the Meta permissions we ask for, and why
    }


@require_safe
def privacy_policy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/policy.html", _context())


@require_safe
def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/terms.html", _context())


@require_safe
def data_deletion_instructions(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/data_deletion.html", _context())
