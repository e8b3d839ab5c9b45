"""The audit log writer: every sensitive action calls ``record_audit_event``."""

from typing import Any

from django.db import models

from accounts.models import AuditEvent, User, Workspace


def record_audit_event(
    *,
    actor: User | None,
    action: str,
    workspace: Workspace | None = None,
    target: models.Model | None = None,
    metadata: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit event. ``action`` is ``noun.verb`` (``member.role_changed``)."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        actor_email=actor.email if actor else "",
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        metadata=metadata or {},
        ip_address=ip_address,
    )
