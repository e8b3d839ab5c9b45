"""Retention: each workspace's periods, the dry-run report and the nightly removal.

The rules come from every app's declarations in ``prosocial.retention``; this module only
computes cutoffs from the workspace's ``RetentionSettings``, asks each rule for its expired rows,
removes them and writes one audit event per kind removed. Site-wide rules (audit events,
deletion receipts, workspace-less webhook events) follow settings instead.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import record_audit_event
from accounts.models import Membership, Workspace
from accounts.permissions import has_permission
from privacy.models import DataDeletionRequest, RetentionSettings
from prosocial.retention import RetentionRule, retention_rules, site_retention_rules

logger = logging.getLogger(__name__)

RETENTION_FIELDS = [
    "unused_generated_media_days",
    "publish_trace_days",
    "webhook_event_days",
    "inbox_thread_days",
    "deletion_receipt_years",
]


@dataclass(frozen=True)
class ReportLine:
    label: str
    period_days: int
    cutoff: datetime
    count: int


def get_retention_settings(workspace: Workspace) -> RetentionSettings:
    settings_row, _created = RetentionSettings.objects.get_or_create(workspace=workspace)
    return settings_row


@transaction.atomic
def update_retention_settings(
    *, actor: Membership, values: dict[str, int], ip_address: str | None = None
) -> RetentionSettings:
    """Change the workspace's periods (owners and admins); audit what changed."""
    if not has_permission(actor.role, "privacy.retention"):
        raise PermissionDenied
    row = get_retention_settings(actor.workspace)
    row = RetentionSettings.objects.select_for_update().get(pk=row.pk)
    changes = {
        name: [getattr(row, name), values[name]]
        for name in RETENTION_FIELDS
        if name in values and getattr(row, name) != values[name]
    }
    if not changes:
        return row
    for name, (_old, new) in changes.items():
        setattr(row, name, new)
    row.save(update_fields=[*changes, "updated_at"])
    record_audit_event(
        actor=actor.user,
        action="retention.updated",
        workspace=actor.workspace,
        metadata={"changes": changes},
        ip_address=ip_address,
    )
    return row


def _workspace_plan(
    workspace: Workspace, now: datetime
) -> list[tuple[RetentionRule, int, datetime, QuerySet]]:
    periods = get_retention_settings(workspace)
    plan = []
    for rule in retention_rules():
        days = getattr(periods, rule.period_field)
        cutoff = now - timedelta(days=days)
        plan.append((rule, days, cutoff, rule.expired(workspace.pk, cutoff)))
    return plan


def retention_report(workspace: Workspace, *, now: datetime | None = None) -> list[ReportLine]:
    """Dry run: what the next retention run would remove from ``workspace``, per kind."""
    now = now or timezone.now()
    return [
        ReportLine(label=str(rule.label), period_days=days, cutoff=cutoff, count=rows.count())
        for rule, days, cutoff, rows in _workspace_plan(workspace, now)
    ]


def apply_workspace_retention(workspace: Workspace, *, now: datetime) -> dict[str, int]:
    """Remove what is past its period in ``workspace``; audit each kind removed."""
    removed: dict[str, int] = {}
    for rule, days, cutoff, rows in _workspace_plan(workspace, now):
        with transaction.atomic():
            count = rule.remove(rows)
            if count:
                record_audit_event(
                    actor=None,
                    action="retention.removed",
                    workspace=workspace,
                    metadata={
                        "kind": rule.name,
                        "label": str(rule.label),
                        "count": count,
                        "period_days": days,
                        "cutoff": cutoff.isoformat(),
                    },
                )
        removed[rule.name] = count
    return removed


def apply_site_retention(*, now: datetime) -> dict[str, int]:
    """Site-wide rules, and deletion receipts past the end date fixed when they completed."""
    removed: dict[str, int] = {
        "privacy.deletion_receipts": DataDeletionRequest.objects.filter(
            status=DataDeletionRequest.Status.COMPLETED, keep_until__lt=now
        ).delete()[0]
    }
    for rule in site_retention_rules():
        cutoff = now - timedelta(days=getattr(settings, rule.days_setting))
        with transaction.atomic():
            removed[rule.name] = rule.remove(rule.expired(cutoff))
    return removed


def apply_retention(*, now: datetime | None = None) -> dict[str, int]:
    """Run every workspace's rules, then the site-wide ones (nightly); return the totals."""
    now = now or timezone.now()
    totals: dict[str, int] = {}
    for workspace in Workspace.objects.filter(memberships__isnull=False).distinct().iterator():
        for name, count in apply_workspace_retention(workspace, now=now).items():
            totals[name] = totals.get(name, 0) + count
    totals.update(apply_site_retention(now=now))
    logger.info("retention run removed %s", {k: v for k, v in totals.items() if v})
    return totals
