"""Audit events for authentication actions that happen inside allauth."""

from typing import Any

from allauth.account.signals import email_changed, password_changed, password_reset, user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.audit import record_audit_event
from accounts.models import User


def _ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_audit_event(actor=user, action="auth.logged_in", target=user, ip_address=_ip(request))


@receiver(password_changed)
@receiver(password_reset)
def _on_password(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_audit_event(
        actor=user, action="auth.password_changed", target=user, ip_address=_ip(request)
    )


@receiver(email_changed)
def _on_email_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_audit_event(
        actor=user, action="auth.email_changed", target=user, ip_address=_ip(request)
    )


@receiver(authenticator_added)
def _on_mfa_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    record_audit_event(
        actor=user,
        action="auth.mfa_added",
        target=user,
        metadata={"type": authenticator.type},
        ip_address=_ip(request),
    )


@receiver(authenticator_removed)
def _on_mfa_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    record_audit_event(
        actor=user,
        action="auth.mfa_removed",
        target=user,
        metadata={"type": authenticator.type},
        ip_address=_ip(request),
    )
