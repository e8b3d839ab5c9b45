"""Render jobs: one ``Render`` row per (project version, ratio), run on the one job runner.

``start_render(actor, project, ratio)`` checks the role, the ratio and the current version's
document (every source in the workspace and ready, and the document renderable: the same
``build_render`` the worker runs, on the stored facts, so a bad edit is refused at once),
then creates a queued row and sends its task after COMMIT.

``run_render(render_id=...)`` is the job (``prosocial.jobs`` docstring, "Adding a job kind"):
claim, copy the sources into a work folder, render through ``creatives.editor.render``
(progress from ffmpeg's own ``-progress``; every progress write is fenced, so a cancel or a
takeover raises ``LeaseLost`` inside ffmpeg's progress callback, which kills ffmpeg and
removes the partial file), check the output against the ratio's placement, and only then
store it as a new MediaAsset (source "rendered") and finish, both inside one transaction that
holds the row: a cancelled, failed or taken-over render leaves no asset.

``cancel_render(actor, render)`` is one conditional UPDATE: status cancelled and
``attempts + 1`` (the fence), lease cleared. The running worker's next write matches nothing.
"""

import logging
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.permissions import has_permission
from creatives.editor.errors import EditorError
from creatives.editor.models import EditProject, Render
from creatives.editor.render import PLACEMENT_FOR_RATIO, RenderError, SourceMedia, build_render
from creatives.editor.render import render as render_document
from creatives.library import services as media_services
from creatives.library.errors import MediaError
from creatives.library.media.specs import check_conformance
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset
from prosocial import jobs as runner

logger = logging.getLogger(__name__)

MAX_RENDER_ATTEMPTS = 3
OPEN = (Render.Status.QUEUED, Render.Status.RUNNING)


def _enqueue_render(render_id: int, *, countdown: float = 0) -> None:
    from creatives.editor import tasks  # the task module imports this one

    transaction.on_commit(partial(tasks.render_task.apply_async, (render_id,), countdown=countdown))


RENDERS = runner.register(
    runner.JobKind(
        name="edit_render",
        model=Render,
        runnable=Q(status__in=OPEN),
        enqueue=_enqueue_render,
        done_status=Render.Status.SUCCEEDED,
        failed_status=Render.Status.FAILED,
        running_status=Render.Status.RUNNING,
        queued_status=Render.Status.QUEUED,
        finished_field="finished_at",
        max_attempts=MAX_RENDER_ATTEMPTS,
        exhausted=lambda n: _("The render was interrupted %(n)s times; try again.") % {"n": n},
    )
)


def asset_ids(document: dict[str, Any]) -> set[int]:
    """Every media-library asset the document uses (clips, logo, audio tracks)."""
    ids = {clip.get("asset") for clip in document.get("clips") or []}
    ids |= {track.get("asset") for track in document.get("audio") or []}
    if document.get("logo"):
        ids.add(document["logo"].get("asset"))
    return {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}


def ready_assets(workspace_id: int, document: dict[str, Any]) -> dict[int, MediaAsset]:
    """Return the document's media by id; refuse media deleted, still processing or failed."""
    wanted = asset_ids(document)
    found = {
        asset.pk: asset
        for asset in MediaAsset.objects.filter(workspace_id=workspace_id, pk__in=wanted)
    }
    if set(found) != wanted:
        raise EditorError(_("A clip or track uses media that was deleted from the library."))
    for asset in found.values():
        if asset.status != MediaAsset.Status.READY or not asset.storage_key:
            raise EditorError(
                _("“%(name)s” is still processing or failed; wait or replace it.")
                % {"name": asset.original_filename}
            )
    return found


def local_sources(
    stack: ExitStack, workspace_id: int, document: dict[str, Any]
) -> dict[int, SourceMedia]:
    """Return the document's media as local files (copies from S3, kept until ``stack`` ends)."""
    return {
        pk: SourceMedia(
            stack.enter_context(media_services.local_copy(asset.storage_key)),
            facts_for_asset(asset),
        )
        for pk, asset in ready_assets(workspace_id, document).items()
    }


def _require_editor(actor: Membership) -> None:
    if not has_permission(actor.role, "edits.change"):
        raise EditorError(_("Your role can't render edits."))


def start_render(
    actor: Membership, project: EditProject, ratio: str, *, proxy: bool = False
) -> Render:
    """Queue a render of the project's current version at ``ratio``; refuse a bad edit now.

    A ``proxy`` is the editor's preview (540p, fast preset, kept outside the library): anyone
    who can open the project may ask for one, and an open or finished proxy of the same
    version and ratio is returned instead of rendering it again.
    """
    if not proxy:
        _require_editor(actor)
    if project.workspace_id != actor.workspace_id:
        raise EditProject.DoesNotExist
    if ratio not in (project.ratios or []):
        raise EditorError(_("This project doesn't target %(ratio)s.") % {"ratio": ratio})
    version = project.current_version
    if version is None:
        raise EditorError(_("Save the edit before rendering it."))
    if proxy:
        existing = (
            Render.objects.filter(version=version, ratio=ratio, proxy=True)
            .filter(Q(status__in=OPEN) | Q(status=Render.Status.SUCCEEDED))
            .order_by("-pk")
            .first()
        )
        if existing is not None:
            return existing
    document = version.document
    assets = ready_assets(project.workspace_id, document)
    sources = {
        pk: SourceMedia(Path(asset.storage_key), facts_for_asset(asset))
        for pk, asset in assets.items()
    }
    try:
        build_render(document, ratio, sources)  # pure: the same checks the worker makes
    except RenderError as error:
        raise EditorError(error.message) from error
    with transaction.atomic():
        render = Render.objects.create(
            workspace_id=project.workspace_id,
            project=project,
            version=version,
            ratio=ratio,
            proxy=proxy,
            status=Render.Status.QUEUED,
            created_by=actor.user,
            message=_("Waiting for a worker…"),
            next_attempt_at=timezone.now(),
        )
        _enqueue_render(render.pk)
    return render


def cancel_render(actor: Membership, render: Render) -> bool:
    """Cancel a queued or running render; return whether it was still open.

    The running worker's ffmpeg is killed at its next progress report (its fenced write
    fails), and it stores nothing.
    """
    if not render.proxy:
        _require_editor(actor)
    if render.workspace_id != actor.workspace_id:
        raise Render.DoesNotExist
    now = timezone.now()
    changed = Render.objects.filter(pk=render.pk, status__in=OPEN).update(
        status=Render.Status.CANCELLED,
        attempts=F("attempts") + 1,
        lease_expires_at=None,
        next_attempt_at=None,
        finished_at=now,
        updated_at=now,
        message=_("Cancelled"),
    )
    render.refresh_from_db()
    return changed == 1


def preview_key(row: Render) -> str:
    """Where a proxy's file is kept: per workspace and project, outside the media library."""
    return f"editor-previews/{row.workspace_id}/{row.project_id}/{row.pk}-{row.ratio.replace(':', 'x')}.mp4"


def delete_previews(rows: QuerySet[Render]) -> int:
    """Delete the stored files of the proxies among ``rows`` after COMMIT; return how many."""
    keys = [key for key in rows.filter(proxy=True).values_list("preview_key", flat=True) if key]

    def remove() -> None:
        for key in keys:
            try:
                default_storage.delete(key)
            except OSError:  # already gone, or storage unreachable: nothing to keep anyway
                logger.warning("could not delete the preview %s", key)

    transaction.on_commit(remove)
    return len(keys)


def _keep_preview(lease: runner.Lease[Render], row: Render, output: Path) -> None:
    """Store a finished proxy and drop the project's older proxies at the same ratio."""
    lease.progress(96, _("Saving the preview…"), force=True)
    key = preview_key(row)
    older = Render.objects.filter(
        project_id=row.project_id, ratio=row.ratio, proxy=True, pk__lt=row.pk
    ).exclude(status__in=OPEN)
    with lease.owned():  # the row is ours and locked: a cancel waits, then finds it done
        with output.open("rb") as handle:
            stored = default_storage.save(key, File(handle))
        try:
            delete_previews(older)
            older.delete()
            lease.finish(preview_key=stored, message=_("Done"))
        except BaseException:
            default_storage.delete(stored)
            raise


def run_render(*, render_id: int) -> None:
    """Run one render job, unless it is done, cancelled or held by another worker."""
    lease = runner.claim(RENDERS, render_id)
    if lease is None:
        return
    with lease:
        _render(lease)


def _render(lease: runner.Lease[Render]) -> None:
    row = Render.objects.select_related("project", "version").get(pk=lease.pk)
    lease.update(started_at=timezone.now(), message=_("Rendering…"), progress=0)
    document = row.version.document
    placement = PLACEMENT_FOR_RATIO[row.ratio]
    try:
        with ExitStack() as stack:
            sources = local_sources(stack, row.workspace_id, document)
            work = stack.enter_context(runner.work_dir("edit-render"))
            output = work / "render.mp4"
            facts = render_document(
                document,
                row.ratio,
                sources,
                output,
                proxy=row.proxy,
                # Raises LeaseLost once the row is cancelled or taken over: ffmpeg is killed.
                on_progress=lambda percent: lease.progress(percent * 0.95),
                timeout=settings.MEDIA_FFMPEG_TIMEOUT_SECONDS,
            )
            if row.proxy:
                _keep_preview(lease, row, output)
                return
            checks = check_conformance(facts, placement)
            preflight = {
                "placement": placement,
                "checks": [
                    {"rule": r.rule, "ok": r.ok, "advisory": r.advisory, "message": r.message}
                    for r in checks
                ],
            }
            problems = [r.message for r in checks if not (r.ok or r.advisory)]
            if problems:
                lease.fail(
                    _("The render doesn't meet the placement's specs: %(why)s")
                    % {"why": "; ".join(problems)},
                    preflight=preflight,
                )
                return
            lease.progress(96, _("Saving the video…"), force=True)
            name = (
                f"{row.project.name[:60]} - v{row.version.number} {row.ratio.replace(':', 'x')}.mp4"
            )
            with lease.owned():  # the row is ours and locked: a cancel waits, then finds it done
                asset = media_services.keep_generated_file(
                    workspace=row.project.workspace,
                    path=output,
                    filename=name,
                    created_by=row.created_by,
                    source=MediaAsset.Source.RENDERED,
                )
                lease.finish(output=asset, preflight=preflight, message=_("Done"))
    except (RenderError, EditorError, MediaError) as error:
        logger.info("render %s failed: %s %s", lease.pk, error, getattr(error, "detail", ""))
        lease.fail(error.message)
