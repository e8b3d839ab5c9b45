"""What the results hold for a Meta user, a person and a workspace: erasure, export, retention.

Registered from InsightsConfig.ready(). Results are numbers Meta reports about the workspace's
own Pages, Instagram accounts, posts and ads (reach, views, interactions, followers, spend…),
read through a Meta connection; they hold nothing about the people who saw the posts. They are
kept only while the account they came through is connected:

- **disconnect, a Page removing the app, Meta's data-deletion request, an account erasure**
  (``assets_removed``): the objects measured through the accounts that went are deleted with
  all their snapshots and any async report under way (``remove_account_results``);
- **Meta's data-deletion request for the person who connected** (``erase_meta_user``): the same
  for every account of that person's connections;
- **a person removing ProSocial in Facebook** (deauthorize) stops the refreshing (no token) but
  deletes nothing, as with the rest of the workspace's work;
- **workspace deletion**: everything.

**Retention** is fixed, not a workspace setting: a snapshot is deleted ``SNAPSHOT_RETENTION_DAYS``
(two years, as long as Meta keeps organic insights, GRAPH_NOTES §10) after the day it covers,
and finished refresh runs after ``RUN_RETENTION_DAYS``; ``apply_insights_retention`` runs
nightly (beat). The workspace export holds every measured object, snapshot and refresh run; a
person's export the refreshes they asked for.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import record_audit_event
from accounts.models import Workspace
from insights.models import AdReport, InsightObject, InsightSnapshot, RefreshRun
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.inventory import StoredItem

SNAPSHOT_RETENTION_DAYS = 730
RUN_RETENTION_DAYS = 14
DELETE_BATCH = 5000  # rows per DELETE, so a nightly sweep never holds one huge transaction


def _delete(objects: Any, reports: Any) -> dict[str, int]:
    counts = {
        "snapshots": InsightSnapshot.objects.filter(source__in=objects).count(),
        "reports": reports.delete()[0],
    }
    counts["objects"] = objects.delete()[1].get(InsightObject._meta.label, 0)
    return counts


@transaction.atomic
def remove_account_results(*, workspace_id: int, account_ids: Iterable[str]) -> dict[str, int]:
    """Delete the results measured through these Pages / Instagram / ad accounts (one workspace)."""
    ids = list(account_ids)
    return _delete(
        InsightObject.objects.filter(workspace_id=workspace_id, account_meta_id__in=ids),
        AdReport.objects.filter(workspace_id=workspace_id, ad_account_meta_id__in=ids),
    )


def on_assets_removed(
    sender: Any,
    *,
    workspace_id: int,
    page_ids: list[str],
    ig_user_ids: list[str],
    ad_account_ids: list[str] | None = None,
    **kwargs: Any,
) -> list[str]:
    """``assets_removed`` receiver: the accounts' results go with them (nothing is paused)."""
    remove_account_results(
        workspace_id=workspace_id,
        account_ids=[*page_ids, *ig_user_ids, *(ad_account_ids or [])],
    )
    return []


@transaction.atomic
def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Delete the results read through that person's connections (before the connections go)."""
    connections = MetaConnection.objects.filter(meta_user_id=meta_user_id)
    assets = [
        *MetaPage.objects.filter(connection__in=connections).values_list("workspace_id", "page_id"),
        *InstagramAccount.objects.filter(connection__in=connections).values_list(
            "workspace_id", "ig_user_id"
        ),
        *MetaAdAccount.objects.filter(connection__in=connections).values_list(
            "workspace_id", "ad_account_id"
        ),
    ]
    objects, reports = Q(pk__in=[]), Q(pk__in=[])
    for workspace_id, account_id in assets:
        objects |= Q(workspace_id=workspace_id, account_meta_id=account_id)
        reports |= Q(workspace_id=workspace_id, ad_account_meta_id=account_id)
    return _delete(InsightObject.objects.filter(objects), AdReport.objects.filter(reports))


def erase_user(user_id: int) -> dict[str, int]:
    """Results belong to their workspace; the person is only unlinked from the refreshes they asked."""
    return {
        "insights_unlinked": RefreshRun.objects.filter(requested_by_id=user_id).update(
            requested_by=None
        )
    }


@transaction.atomic
def erase_workspace(workspace_id: int) -> dict[str, int]:
    counts = _delete(
        InsightObject.objects.filter(workspace_id=workspace_id),
        AdReport.objects.filter(workspace_id=workspace_id),
    )
    counts["refresh_runs"] = RefreshRun.objects.filter(workspace_id=workspace_id).delete()[0]
    return counts


def export_workspace(workspace_id: int) -> ExportPart:
    return ExportPart(
        records={
            "objects": serialize_rows(
                InsightObject.objects.filter(workspace_id=workspace_id).order_by("pk").iterator()
            ),
            "snapshots": serialize_rows(
                InsightSnapshot.objects.filter(workspace_id=workspace_id)
                .order_by("source_id", "metric_set", "day")
                .iterator(chunk_size=2000)
            ),
            "refresh_runs": serialize_rows(
                RefreshRun.objects.filter(workspace_id=workspace_id).order_by("pk").iterator()
            ),
        }
    )


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "refreshes_requested": serialize_rows(
                RefreshRun.objects.filter(requested_by_id=user_id).order_by("pk")
            )
        }
    )


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    return [
        StoredItem(
            "Results from Meta",
            InsightSnapshot.objects.filter(workspace_id=workspace_id).count(),
            "daily numbers Meta reports for your posts, ads, Pages and Instagram accounts "
            f"(kept {SNAPSHOT_RETENTION_DAYS // 365} years)",
        )
    ]


# --- Retention ----------------------------------------------------------------------------------


def _delete_in_batches(rows: Any) -> int:
    removed = 0
    while True:
        pks = list(rows.values_list("pk", flat=True)[:DELETE_BATCH])
        if not pks:
            return removed
        removed += rows.model.objects.filter(pk__in=pks).delete()[0]


def apply_insights_retention(*, now: datetime | None = None) -> dict[str, int]:
    """Delete snapshots past the fixed retention and finished runs past theirs (beat, nightly).

    Each workspace that lost snapshots gets an activity-log entry, as the workspace retention
    rules write (``privacy.retention``).
    """
    now = now or timezone.now()
    cutoff = now.date() - timedelta(days=SNAPSHOT_RETENTION_DAYS)
    expired = InsightSnapshot.objects.filter(day__lt=cutoff)
    removed = 0
    workspace_ids = list(expired.values_list("workspace_id", flat=True).distinct())
    for workspace in Workspace.objects.filter(pk__in=workspace_ids).order_by("pk"):
        count = _delete_in_batches(expired.filter(workspace=workspace))
        removed += count
        if count:
            record_audit_event(
                actor=None,
                action="retention.removed",
                workspace=workspace,
                metadata={
                    "kind": "insights.snapshots",
                    "label": "Results from Meta",
                    "count": count,
                    "period_days": SNAPSHOT_RETENTION_DAYS,
                    "cutoff": cutoff.isoformat(),
                },
            )
    runs = RefreshRun.objects.exclude(status__in=RefreshRun.ACTIVE).filter(
        created_at__lt=now - timedelta(days=RUN_RETENTION_DAYS)
    )
    return {"snapshots": removed, "refresh_runs": _delete_in_batches(runs)}
