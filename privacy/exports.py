"""Data exports: a zip of JSON records and media files, built by a job, downloaded once ready.

Anyone can export their own data; owners can export a whole workspace. What goes in comes
from every app's declaration in ``prosocial.exporting`` (tokens and secrets never do). The
archive lives in the media storage under ``exports/`` and is deleted when its link expires.
"""

import json
import logging
import secrets
import tempfile
import zipfile
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership, User, Workspace
from accounts.permissions import Role, has_permission
from privacy import tasks
from privacy.errors import PrivacyError
from privacy.models import DataDeletionRequest, DataExport
from prosocial import exporting, jobs
from prosocial.stored_files import delete_stored_files

logger = logging.getLogger(__name__)

Status = DataExport.Status
MAX_EXPORT_ATTEMPTS = 3
# After a failed build: wait this long before the next try (the last failure is final).
EXPORT_RETRY_SECONDS = 60
CHUNK = 1024 * 1024


def _enqueue(export_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.build_data_export_task.apply_async, (export_id,), countdown=countdown)
    )


def _queue(export: DataExport) -> None:
    _enqueue(export.pk)


EXPORTS = jobs.register(
    jobs.JobKind(
        name="data export",
        model=DataExport,
        runnable=Q(status__in=[Status.QUEUED, Status.RUNNING]),
        enqueue=_enqueue,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        done_status=Status.READY,
        failed_status=Status.FAILED,
        max_attempts=MAX_EXPORT_ATTEMPTS,
        exhausted=lambda n: _("The export could not be built; please try again."),
    )
)


def _deletion_running(workspace: Workspace) -> bool:
    return DataDeletionRequest.objects.filter(
        source=DataDeletionRequest.Source.WORKSPACE,
        subject_pk=workspace.pk,
        status__in=[DataDeletionRequest.Status.RECEIVED, DataDeletionRequest.Status.PROCESSING],
    ).exists()


@transaction.atomic
def request_user_export(*, user: User, ip_address: str | None = None) -> DataExport:
    """Queue an export of ``user``'s own data; an export still being built is returned instead."""
    User.objects.select_for_update().get(pk=user.pk)  # one request at a time per person
    running = DataExport.objects.filter(
        requested_by=user, workspace=None, status__in=[Status.QUEUED, Status.RUNNING]
    ).first()
    if running is not None:
        return running
    export = DataExport.objects.create(requested_by=user, next_attempt_at=timezone.now())
    record_audit_event(
        actor=user, action="privacy.export_requested", target=user, ip_address=ip_address
    )
    _queue(export)
    return export


@transaction.atomic
def request_workspace_export(*, actor: Membership, ip_address: str | None = None) -> DataExport:
    """Queue an export of the actor's whole workspace (owners only)."""
    if not has_permission(actor.role, "workspace.export"):
        raise PermissionDenied
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    if _deletion_running(workspace):
        raise PrivacyError(_("This workspace is being deleted; it can't be exported any more."))
    running = DataExport.objects.filter(
        workspace=workspace, status__in=[Status.QUEUED, Status.RUNNING]
    ).first()
    if running is not None:
        return running
    export = DataExport.objects.create(
        requested_by=actor.user, workspace=workspace, next_attempt_at=timezone.now()
    )
    record_audit_event(
        actor=actor.user,
        action="privacy.export_requested",
        workspace=workspace,
        target=workspace,
        ip_address=ip_address,
    )
    _queue(export)
    return export


def _readme(export: DataExport, generated_at: str) -> str:
    scope = (
        f"the workspace {export.workspace.name!r}"
        if export.workspace
        else f"the account {export.requested_by.email}"
    )
    return (
        f"ProSocial data export of {scope}\n"
        f"Generated {generated_at} for {export.requested_by.email}.\n\n"
        "records/*.json  one file per kind of record, each a list of objects\n"
        "media/          the stored media files, named <media asset id>.<extension>\n"
        "manifest.json   counts, files, and any file left out (with the reason)\n\n"
        "Access tokens and other secrets are never exported.\n"
    )


def _write_archive(
    export: DataExport, part: exporting.ExportPart, archive: zipfile.ZipFile
) -> dict[str, Any]:
    generated_at = timezone.now().isoformat()
    left_out: list[dict[str, str]] = []
    included: list[str] = []
    manifest: dict[str, Any] = {
        "generated_at": generated_at,
        "workspace": export.workspace.slug if export.workspace else None,
        "requested_by": export.requested_by.email,
        "records": {kind: len(rows) for kind, rows in sorted(part.records.items())},
        "files": included,
        "files_left_out": left_out,
    }
    archive.writestr("README.txt", _readme(export, generated_at))
    for kind, rows in sorted(part.records.items()):
        archive.writestr(f"records/{kind}.json", json.dumps(rows, indent=2, sort_keys=True))
    budget = settings.EXPORT_MAX_MEDIA_BYTES
    for item in part.files:
        if item.size_bytes > budget:
            left_out.append(
                {"path": item.path, "reason": "the export's media size limit was reached"}
            )
            continue
        try:
            with (
                default_storage.open(item.storage_key, "rb") as stored,
                archive.open(item.path, "w", force_zip64=True) as target,
            ):
                while chunk := stored.read(CHUNK):
                    target.write(chunk)
        except FileNotFoundError:
            left_out.append({"path": item.path, "reason": "the stored file is missing"})
            continue
        budget -= item.size_bytes
        included.append(item.path)
    archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return manifest


def build_data_export(*, export_id: int) -> None:
    """Build the archive and store it; resumable (a retry starts the archive over).

    A failure goes back to the queue for another try (the last one is final). The archive is
    kept only if the job still owns the row when it records it.
    """
    lease = jobs.claim(EXPORTS, export_id)
    if lease is None:
        return
    with lease:
        export = DataExport.objects.select_related("workspace", "requested_by").get(pk=export_id)
        try:
            part = (
                exporting.collect_workspace_export(export.workspace_id)
                if export.workspace_id
                else exporting.collect_user_export(export.requested_by_id)
            )
            with tempfile.TemporaryFile() as handle:
                with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    manifest = _write_archive(export, part, archive)
                size = handle.tell()
                handle.seek(0)
                key = default_storage.save(f"exports/{secrets.token_urlsafe(24)}.zip", File(handle))
        except jobs.LeaseLost:
            raise
        except Exception as exc:
            lease.fail(
                _("The export could not be built; please try again."),
                retry_in=EXPORT_RETRY_SECONDS,
                retryable=True,
            )
            logger.exception("data export %s failed (%s)", export_id, type(exc).__name__)
            raise
        now = timezone.now()
        try:
            lease.finish(
                storage_key=key,
                size_bytes=size,
                counts={**manifest["records"], "files": len(manifest["files"])},
                completed_at=now,
                expires_at=now + timedelta(hours=settings.EXPORT_LINK_TTL_HOURS),
            )
        except jobs.LeaseLost:
            delete_stored_files(key)  # the new owner stores its own archive
            raise


def get_export_for_download(*, user: User, export_id: int) -> DataExport:
    """Return the requester's ready, unexpired export; anything else is a PrivacyError.

    Another person's export is indistinguishable from a missing one (DataExport.DoesNotExist).
    """
    export = DataExport.objects.select_related("workspace").get(pk=export_id, requested_by=user)
    if (
        export.workspace_id
        and not Membership.objects.filter(
            workspace_id=export.workspace_id, user=user, role=Role.OWNER
        ).exists()
    ):
        raise DataExport.DoesNotExist
    if export.status != Status.READY or (export.expires_at and export.expires_at <= timezone.now()):
        raise PrivacyError(_("This export is not available: it has expired or isn't ready yet."))
    record_audit_event(
        actor=user,
        action="privacy.export_downloaded",
        workspace=export.workspace,
        target=export.workspace or user,
    )
    return export


def delete_exports(exports: QuerySet[DataExport]) -> int:
    """Delete export rows and their archives; return how many."""
    rows = list(exports.values_list("pk", "storage_key"))
    DataExport.objects.filter(pk__in=[pk for pk, _key in rows]).delete()
    delete_stored_files(*(key for _pk, key in rows))
    return len(rows)


def expire_data_exports() -> int:
    """Delete archives whose link has expired; the rows stay, marked expired."""
    expired = list(
        DataExport.objects.filter(status=Status.READY, expires_at__lte=timezone.now()).values_list(
            "pk", "storage_key"
        )
    )
    for pk, key in expired:
        try:
            default_storage.delete(key)
        except Exception:
            logger.exception("data export archive %s could not be deleted", key)
            continue
        DataExport.objects.filter(pk=pk).update(status=Status.EXPIRED, storage_key="")
    return len(expired)


def requeue_stalled_exports() -> int:
    """Queue again exports whose worker died or whose message was lost; return how many."""
    return jobs.sweep(EXPORTS)
