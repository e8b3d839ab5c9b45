"""The audit log writer: every sensitive action calls ``record_audit_event``."""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import ACTION_LABELS, AuditEvent, User, Workspace

# Filters of the activity log that match a family of actions: value -> (label, action prefix).
ACTION_GROUPS: dict[str, tuple[Promise, str]] = {
    "meta": (_("Meta connection (connect, assets, disconnect, removed on Facebook)"), "meta."),
}


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


def action_filter_choices() -> list[tuple[Any, Any]]:
    """Return the activity log's "What" choices: families of actions first, then each one."""
    return [
        ("", _("Any action")),
        (_("Families"), [(value, label) for value, (label, _prefix) in ACTION_GROUPS.items()]),
        (
            _("Single actions"),
            [(code, f"{code} — {label}") for code, label in ACTION_LABELS.items()],
        ),
    ]


def action_condition(action: str) -> Q:
    """Match one action (``meta.connected``) or a family of them (``meta``)."""
    if action in ACTION_GROUPS:
        return Q(action__startswith=ACTION_GROUPS[action][1])
    return Q(action=action)
