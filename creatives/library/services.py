"""Media library use-cases: upload, direct-to-bucket upload, transcode-to-spec, delete.

Every change to MediaAsset goes through here. Files are inspected on a local copy before they
are kept (magic bytes, Pillow or PyAV, never the name or the client's type); a rejected file
leaves nothing behind, neither a row nor a stored object. Transcodes are jobs: the rendition
row is created at once (status processing) and a worker fills it in, claiming it with a lease.
"""

import hashlib
import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import ProtectedError, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership, User, Workspace
from accounts.permissions import has_permission
from creatives.library import tasks, uploads, usage
from creatives.library.errors import MediaError
from creatives.library.media.decode import find_damage
from creatives.library.media.facts import MediaFacts, MediaRejected
from creatives.library.media.ffmpeg import FfmpegError
from creatives.library.media.inspect import inspect_file, make_poster, normalize_image
from creatives.library.media.specs import PLACEMENTS, check_conformance
from creatives.library.media.transcode import transcode_to_spec
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset
from prosocial import jobs, safe_http, storage
from prosocial.errors import UserFacingError
from prosocial.stored_files import delete_stored_files

logger = logging.getLogger(__name__)

Status = MediaAsset.Status
CHUNK = 1024 * 1024
MAX_TRANSCODE_ATTEMPTS = 3

EXTENSIONS = {
    "jpeg": ".jpg",
    "png": ".png",
    "webp": ".webp",
    "gif": ".gif",
    "mp4": ".mp4",
    "mov": ".mov",
    "webm": ".webm",
    "mp3": ".mp3",
    "m4a": ".m4a",
    "wav": ".wav",
    "aac": ".aac",
    "ogg": ".ogg",
}


def _require_editor(actor: Membership) -> None:
    if not has_permission(actor.role, "content.edit"):
        raise MediaError(_("Your role can't change the media library."))


def _max_bytes_by_kind() -> dict[str, int]:
    return {
        "image": settings.MEDIA_MAX_IMAGE_BYTES,
        "video": settings.MEDIA_MAX_VIDEO_BYTES,
        "audio": settings.MEDIA_MAX_AUDIO_BYTES,
    }


def workspace_storage_used(workspace_id: int) -> int:
    """Return the bytes every asset of the workspace takes in storage."""
    used = MediaAsset.objects.filter(workspace_id=workspace_id).aggregate(total=Sum("size_bytes"))
    return int(used["total"] or 0)


def _check_quota(workspace_id: int, incoming: int) -> None:
    used = workspace_storage_used(workspace_id)
    if used + incoming > settings.MEDIA_WORKSPACE_QUOTA_BYTES:
        raise MediaError(
            _(
                "This file would take the workspace past its storage quota of %(quota)s GB "
                "(%(used).1f GB used). Delete files you no longer need first."
            )
            % {"quota": settings.MEDIA_WORKSPACE_QUOTA_BYTES // 1024**3, "used": used / 1024**3}
        )


def _new_key(workspace_id: int, suffix: str) -> str:
    return f"workspaces/{workspace_id}/media/{uuid.uuid4().hex}{suffix}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def workdir() -> Iterator[Path]:
    """Yield a private temporary folder, removed with everything in it afterwards.

    A job's work folder (``prosocial.jobs.work_dir``): if the process dies first, the
    sweeper removes what it left.
    """
    with jobs.work_dir("media") as path:
        yield path


def _spool(uploaded: UploadedFile, dst: Path) -> None:
    """Copy an upload to ``dst`` in chunks (constant memory, whatever its size)."""
    with dst.open("wb") as out:
        for chunk in uploaded.chunks(CHUNK):
            out.write(chunk)


@contextmanager
def local_copy(key: str) -> Iterator[Path]:
    """Yield a local file with the stored object's bytes (streamed; works for S3 and disk)."""
    with workdir() as work:
        path = work / "source"
        with default_storage.open(key, "rb") as stored, path.open("wb") as out:
            shutil.copyfileobj(stored, out, CHUNK)
        yield path


class _OwnedFile(File):
    """A file of ours the storage may take: on the local disk it is renamed, not copied.

    ``FileSystemStorage`` moves any content with a ``temporary_file_path`` (``os.rename``,
    a copy only across filesystems); S3 streams it like any file.
    """

    def temporary_file_path(self) -> str:
        return str(self.name)


def _store(path: Path, key: str, *, move: bool = False) -> str:
    """Save ``path`` under ``key``; with ``move``, the file may be moved there (it's ours)."""
    with path.open("rb") as handle:
        return default_storage.save(
            key, _OwnedFile(handle, name=str(path)) if move else File(handle)
        )


def _fact_fields(facts: MediaFacts) -> dict[str, object]:
    return {
        "kind": facts.kind,
        "content_type": facts.content_type,
        "container": facts.container,
        "size_bytes": facts.size_bytes,
        "width": facts.width,
        "height": facts.height,
        "duration_seconds": facts.duration_seconds,
        "fps": facts.fps,
        "video_codec": facts.video_codec,
        "audio_codec": facts.audio_codec,
        "pixel_format": facts.pixel_format,
        "bitrate": facts.bitrate,
        "rotation": facts.rotation,
        "has_audio": facts.has_audio,
        "audio_channels": facts.audio_channels,
        "sample_rate": facts.sample_rate,
        "faststart": facts.faststart,
    }


def _prepare(
    path: Path, work: Path, *, polyglot_checked: bool = False
) -> tuple[Path, MediaFacts, Path | None]:
    """Inspect ``path`` (once); re-encode images; make a poster. Raise MediaError if refused.

    ``polyglot_checked``: the upload handler already scanned the bytes as they arrived.
    """
    try:
        facts = inspect_file(
            path, max_bytes_by_kind=_max_bytes_by_kind(), polyglot_checked=polyglot_checked
        )
        if facts.kind == MediaAsset.Kind.IMAGE:
            # Re-encoded: metadata (EXIF, GPS) stripped, orientation applied.
            normalized = work / "normalized"
            facts = normalize_image(path, normalized, facts=facts)
            path = normalized
        poster = None
        if facts.kind in (MediaAsset.Kind.IMAGE, MediaAsset.Kind.VIDEO):
            poster = work / "poster.jpg"
            make_poster(path, poster, facts=facts)
    except FfmpegError as exc:  # a MediaRejected (a MediaError) goes up as it is, code and all
        raise MediaError(_("The file couldn't be processed: %(why)s") % {"why": exc}) from exc
    return path, facts, poster


def _keep_files(
    workspace_id: int, path: Path, facts: MediaFacts, poster: Path | None, *, move: bool = False
) -> tuple[str, str]:
    """Store the file and its poster; ``move``: ``path`` is ours to move (the poster always is)."""
    key = _store(path, _new_key(workspace_id, EXTENSIONS.get(facts.container, "")), move=move)
    poster_key = ""
    if poster is not None:
        try:
            poster_key = _store(poster, key + ".poster.jpg", move=True)
        except Exception:
            default_storage.delete(key)
            raise
    return key, poster_key


def upload_media(*, actor: Membership, uploaded: UploadedFile) -> MediaAsset:
    """Inspect an uploaded file and keep it in the workspace's library.

    Raises MediaError (with the reason) for anything refused; then nothing is stored.
    """
    _require_editor(actor)
    refusal = getattr(uploaded, "refusal", None)  # refused while it arrived (uploads.py)
    if isinstance(refusal, MediaError):
        raise refusal
    if not uploaded.size:
        raise MediaError(_("“%(name)s” is empty (0 bytes).") % {"name": uploaded.name})
    _check_quota(actor.workspace_id, uploaded.size)
    # What creatives.library.uploads learned while the bytes arrived: their SHA-256, and
    # that the polyglot scan has been run on them.
    received_sha = str(getattr(uploaded, "sha256", "") or "")
    with workdir() as work:
        if isinstance(uploaded, TemporaryUploadedFile):
            original = Path(uploaded.temporary_file_path())  # already on disk: no second copy
        else:
            original, received_sha = work / "upload", ""
            _spool(uploaded, original)
        path, facts, poster = _prepare(
            original, work, polyglot_checked=bool(getattr(uploaded, "polyglot_checked", False))
        )
        sha = received_sha if path == original and received_sha else _sha256(path)
        # The received file (or the re-encoded image) is ours: on the local disk it is renamed
        # into place; the upload's temporary file is then simply gone when Django closes it.
        key, poster_key = _keep_files(actor.workspace_id, path, facts, poster, move=True)
    try:
        asset = MediaAsset.objects.create(
            workspace=actor.workspace,
            source=MediaAsset.Source.UPLOADED,
            status=Status.READY,
            original_filename=_clean_name(uploaded.name or "upload"),
            storage_key=key,
            poster_key=poster_key,
            sha256=sha,
            created_by=actor.user,
            progress=100,
            next_attempt_at=_decode_check_due(facts.kind),
            **_fact_fields(facts),  # type: ignore[arg-type]
        )
    except Exception:
        delete_stored_files(key, poster_key)
        raise
    if asset.next_attempt_at is not None:
        _enqueue_decode_check(asset.pk)
    return asset


def keep_generated_file(
    *,
    workspace: Workspace,
    path: Path,
    filename: str,
    created_by: User | None = None,
    source: str = MediaAsset.Source.GENERATED,
) -> MediaAsset:
    """Inspect a file the app made (an AI image, a voice-over, a composed video) and keep it.

    The same checks as an upload, and the same storage quota; raises MediaError when refused.
    """
    _check_quota(workspace.pk, path.stat().st_size)
    with workdir() as work:
        kept, facts, poster = _prepare(path, work)
        sha = _sha256(kept)
        # A re-encoded image is ours to move; the caller's own file is copied.
        key, poster_key = _keep_files(workspace.pk, kept, facts, poster, move=kept != path)
    try:
        return MediaAsset.objects.create(
            workspace=workspace,
            source=source,
            status=Status.READY,
            original_filename=_clean_name(filename),
            storage_key=key,
            poster_key=poster_key,
            sha256=sha,
            created_by=created_by,
            progress=100,
            **_fact_fields(facts),  # type: ignore[arg-type]
        )
    except Exception:
        delete_stored_files(key, poster_key)
        raise


def import_image_from_url(*, actor: Membership, url: str) -> MediaAsset:
    """Fetch an image from a public web address (a product page's og:image) into the library.

    Through the SSRF-safe fetcher only, capped at the image size limit; the bytes get the same
    inspection as an upload. Raises MediaError (or SafeFetchError) with the reason.
    """
    _require_editor(actor)
    result = safe_http.fetch(
        url, max_bytes=settings.MEDIA_MAX_IMAGE_BYTES, headers={"Accept": "image/*"}
    )
    if not 200 <= result.status < 300:
        raise MediaError(
            _("The image's address answered HTTP %(status)d.") % {"status": result.status}
        )
    if not result.body:
        raise MediaError(_("The image's address sent an empty file."))
    name = PurePosixPath(urlsplit(result.url).path).name or "product-image"
    with workdir() as work:
        path = work / "download"
        path.write_bytes(result.body)
        asset = keep_generated_file(
            workspace=actor.workspace,
            path=path,
            filename=name,
            created_by=actor.user,
            source=MediaAsset.Source.UPLOADED,
        )
    if asset.kind != MediaAsset.Kind.IMAGE:
        delete_media(actor=actor, asset=asset)
        raise MediaError(_("The page's image address doesn't lead to an image."))
    return asset


def _clean_name(name: str) -> str:
    name = Path(name).name.replace("\x00", "").strip() or "upload"
    return name[:255]


# --- Direct upload to the bucket (S3 only) ----------------------------------------------------

# The presigned POST of a direct upload is valid this long; after it the bucket refuses it.
DIRECT_UPLOAD_URL_SECONDS = 15 * 60
# A direct upload still pending this long after it started is abandoned: its signed URL expired
# long before, so no browser can still send the file, and the hour of margin covers an upload
# that began just before expiry plus the completion's inspection (docs/operations.md).
ABANDONED_DIRECT_UPLOAD_AFTER = timedelta(seconds=DIRECT_UPLOAD_URL_SECONDS) + timedelta(hours=1)
# Rows removed per run (each is one S3 DELETE); the job runs every 15 minutes.
ABANDONED_UPLOADS_PER_RUN = 500


def start_direct_upload(
    *, actor: Membership, filename: str, size: int
) -> tuple[MediaAsset, storage.PresignedPost]:
    """Reserve a row and a bucket key, and return a presigned POST the browser uploads to.

    The POST policy caps the size at the largest any kind may be; ``complete_direct_upload``
    then inspects the object like any upload.
    """
    _require_editor(actor)
    if not settings.MEDIA_USES_S3:
        raise MediaError(_("Direct uploads need S3 storage; upload through ProSocial instead."))
    largest = max(_max_bytes_by_kind().values())
    if size <= 0 or size > largest:
        raise MediaError(_("Files may be at most %(mb)s MB.") % {"mb": largest // (1024 * 1024)})
    _check_quota(actor.workspace_id, size)
    key = _new_key(actor.workspace_id, "")
    presigned = storage.presign_upload(
        key=key,
        content_type="application/octet-stream",
        max_bytes=largest,
        expires_in=DIRECT_UPLOAD_URL_SECONDS,
    )
    asset = MediaAsset.objects.create(
        workspace=actor.workspace,
        kind=MediaAsset.Kind.VIDEO,  # provisional until the object is inspected
        source=MediaAsset.Source.UPLOADED,
        status=Status.PROCESSING,
        original_filename=_clean_name(filename),
        storage_key=key,
        created_by=actor.user,
    )
    return asset, presigned


def complete_direct_upload(*, actor: Membership, asset: MediaAsset) -> MediaAsset:
    """Inspect the object the browser put in the bucket; keep it, or delete it and say why."""
    _require_editor(actor)
    if asset.status != Status.PROCESSING or asset.source != MediaAsset.Source.UPLOADED:
        raise MediaError(_("This upload was already completed."))
    stored = storage.head_object(asset.storage_key)
    if stored is None:
        MediaAsset.objects.filter(pk=asset.pk).delete()
        raise MediaError(_("The file never arrived in storage; upload it again."))
    try:
        # The browser declared a size when it started; the quota counts what really arrived.
        _check_quota(asset.workspace_id, stored.size)
        with workdir() as work:
            original = work / "upload"
            storage.download_to(asset.storage_key, original, max_bytes=stored.size)
            path, facts, poster = _prepare(original, work)
            sha = _sha256(path)
            key, poster_key = _keep_files(asset.workspace_id, path, facts, poster, move=True)
    except MediaError:
        delete_stored_files(asset.storage_key)
        MediaAsset.objects.filter(pk=asset.pk).delete()
        raise
    delete_stored_files(asset.storage_key)  # the raw upload; the inspected copy is kept under `key`
    for name, value in _fact_fields(facts).items():
        setattr(asset, name, value)
    asset.storage_key, asset.poster_key, asset.sha256 = key, poster_key, sha
    asset.status, asset.progress = Status.READY, 100
    asset.next_attempt_at = _decode_check_due(facts.kind)
    asset.save(
        update_fields=[
            *_fact_fields(facts),
            "storage_key",
            "poster_key",
            "sha256",
            "status",
            "progress",
            "next_attempt_at",
            "updated_at",
        ]
    )
    if asset.next_attempt_at is not None:
        _enqueue_decode_check(asset.pk)
    return asset


def remove_abandoned_direct_uploads() -> int:
    """Delete direct uploads that were started and never completed: object first, then row.

    Abandoned means still pending (uploaded, processing, not a rendition) longer than
    ABANDONED_DIRECT_UPLOAD_AFTER. Each row is deleted only while it is still pending, so an
    upload completed meanwhile stays. Returns how many were removed.
    """
    cutoff = timezone.now() - ABANDONED_DIRECT_UPLOAD_AFTER
    abandoned = MediaAsset.objects.filter(
        source=MediaAsset.Source.UPLOADED,
        status=Status.PROCESSING,
        parent__isnull=True,
        created_at__lt=cutoff,
    ).order_by("pk")
    removed = 0
    for pk, key in abandoned.values_list("pk", "storage_key")[:ABANDONED_UPLOADS_PER_RUN]:
        with transaction.atomic():
            deleted, _counts = MediaAsset.objects.filter(pk=pk, status=Status.PROCESSING).delete()
        if deleted:
            delete_stored_files(key)
            removed += 1
    if removed:
        logger.info("removed %d abandoned direct uploads", removed)
    return removed


# --- Transcode to a placement's spec ----------------------------------------------------------


@transaction.atomic
def request_transcode(
    *, actor: Membership, asset: MediaAsset, placement_key: str, fill: str = "blur"
) -> MediaAsset:
    """Create a rendition of ``asset`` conforming to ``placement_key`` and queue the work.

    Asking again for the same placement and fill while one is processing or ready returns
    that rendition instead of making another.
    """
    _require_editor(actor)
    if placement_key not in PLACEMENTS:
        raise MediaError(_("Unknown placement."))
    if fill not in ("blur", "crop"):
        raise MediaError(_("Choose blur or crop."))
    if asset.status != Status.READY:
        raise MediaError(_("This file isn't ready yet."))
    if asset.kind not in PLACEMENTS[placement_key].kinds:
        raise MediaError(
            _("%(placement)s takes %(kinds)s, not %(kind)s.")
            % {
                "placement": PLACEMENTS[placement_key].label,
                "kinds": " or ".join(PLACEMENTS[placement_key].kinds),
                "kind": asset.kind,
            }
        )
    unfixable = [
        r.message
        for r in check_conformance(facts_for_asset(asset), placement_key)
        if not r.ok and not r.fixable
    ]
    if unfixable:
        raise MediaError(
            _("Converting can't make this file fit: %(why)s") % {"why": " ".join(unfixable)}
        )
    existing = (
        MediaAsset.objects.filter(parent=asset, placement_key=placement_key, fill=fill)
        .exclude(status=Status.FAILED)
        .first()
    )
    if existing is not None:
        return existing
    stem = Path(asset.original_filename).stem
    suffix = ".mp4" if asset.kind == MediaAsset.Kind.VIDEO else ".jpg"
    rendition = MediaAsset.objects.create(
        workspace=asset.workspace,
        kind=asset.kind,
        source=MediaAsset.Source.TRANSCODED,
        status=Status.PROCESSING,
        # "clip-instagram-reel.mp4": the placement's label, not its key, is what people read.
        original_filename=f"{stem}-{slugify(PLACEMENTS[placement_key].label)}{suffix}"[:255],
        parent=asset,
        placement_key=placement_key,
        fill=fill,
        created_by=actor.user,
        next_attempt_at=timezone.now(),
    )
    _enqueue_transcode(rendition.pk)
    return rendition


def _enqueue_transcode(asset_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.transcode_media_task.apply_async, (asset_id,), countdown=countdown)
    )


TRANSCODES = jobs.register(
    jobs.JobKind(
        name="transcode",
        model=MediaAsset,
        runnable=Q(status=Status.PROCESSING, source=MediaAsset.Source.TRANSCODED),
        enqueue=_enqueue_transcode,
        done_status=Status.READY,
        failed_status=Status.FAILED,
        max_attempts=MAX_TRANSCODE_ATTEMPTS,
        exhausted=lambda n: (
            _("The conversion was interrupted %(n)s times; try again later.") % {"n": n}
        ),
    )
)


def transcode_media(*, asset_id: int) -> None:
    """Run one rendition's transcode, unless another worker holds it or it's done.

    Idempotent: a ready rendition is left alone. The lease is kept alive while ffmpeg runs, so
    however long the encode takes, no second worker starts one; a crash mid-way leaves the row
    processing with a lease that lapses within a minute, and the sweeper queues it again.
    Nothing is stored unless the job still owns the row when it records the result.
    """
    lease = jobs.claim(TRANSCODES, asset_id)
    if lease is None:
        return
    with lease:
        _transcode(lease)


def _transcode(lease: jobs.Lease[MediaAsset]) -> None:
    rendition = MediaAsset.objects.select_related("parent").get(pk=lease.pk)
    source = rendition.parent
    if source is None or not source.storage_key:
        lease.fail(_("The original file is gone."))
        return
    try:
        with local_copy(source.storage_key) as original, workdir() as work:
            out = work / ("output.mp4" if rendition.kind == MediaAsset.Kind.VIDEO else "output.jpg")
            facts = transcode_to_spec(
                original,
                out,
                facts=inspect_file(original, max_bytes_by_kind=_max_bytes_by_kind()),
                placement_key=rendition.placement_key,
                fill=rendition.fill or "blur",
                # Raises LeaseLost (stopping ffmpeg) once another worker owns the row.
                on_progress=lease.progress,
                timeout=settings.MEDIA_FFMPEG_TIMEOUT_SECONDS,
            )
            poster = work / "poster.jpg"
            make_poster(out, poster, facts=facts)  # transcode_to_spec inspected the output
            sha = _sha256(out)
            key, poster_key = _keep_files(rendition.workspace_id, out, facts, poster, move=True)
    except (MediaRejected, FfmpegError, MediaError) as exc:
        lease.fail(getattr(exc, "message", None) or str(exc))
        return
    except jobs.LeaseLost:
        raise
    except Exception:
        logger.exception("transcode %s crashed; it will be retried", lease.pk)
        raise
    try:
        lease.finish(
            storage_key=key, poster_key=poster_key, sha256=sha, message="", **_fact_fields(facts)
        )
    except jobs.LeaseLost:
        delete_stored_files(key, poster_key)  # the new owner stores its own copy
        raise


# --- The full decode check of uploaded audio and video ---------------------------------------

# Uploads of these kinds are decoded from start to end by a job after the upload; the upload
# check in the request only decodes the first frame (creatives/library/media/decode.py).
DECODE_CHECKED_KINDS = (MediaAsset.Kind.VIDEO, MediaAsset.Kind.AUDIO)
MAX_DECODE_CHECK_ATTEMPTS = 3


def _decode_check_due(kind: str) -> datetime | None:
    """Return when an upload of ``kind`` is due its decode check (None: it needs none)."""
    return timezone.now() if kind in DECODE_CHECKED_KINDS else None


def _enqueue_decode_check(asset_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.check_media_decodes_task.apply_async, (asset_id,), countdown=countdown)
    )


# Not registered with ``jobs.register``: MediaAsset's registered kind is TRANSCODES (renditions).
# These rows are uploads, ready and usable while the check runs; ``next_attempt_at`` set means
# "a check is due" (the job runner's meaning), and ``finish``/``fail`` clear it.
DECODE_CHECKS = jobs.JobKind(
    name="decode check",
    model=MediaAsset,
    runnable=Q(
        source=MediaAsset.Source.UPLOADED,
        status=Status.READY,
        kind__in=DECODE_CHECKED_KINDS,
        next_attempt_at__isnull=False,
    ),
    enqueue=_enqueue_decode_check,
    done_status=Status.READY,
    # A check that can't finish (timeouts, workers dying) leaves the file usable, with the
    # reason in ``error``; only damage found marks it failed.
    failed_status=Status.READY,
    failed_message=lambda: "",
    max_attempts=MAX_DECODE_CHECK_ATTEMPTS,
    exhausted=lambda n: (
        _("The full check of this file was interrupted %(n)s times and was not finished.")
        % {"n": n}
    ),
)


def check_media_decodes(*, asset_id: int) -> None:
    """Decode an uploaded video or audio file from start to end; mark it failed if damaged.

    The failed asset's error says where ("The video is damaged around 0:03; …"). Idempotent:
    a checked asset (``next_attempt_at`` cleared) is left alone.
    """
    lease = jobs.claim(DECODE_CHECKS, asset_id)
    if lease is None:
        return
    with lease:
        asset = MediaAsset.objects.get(pk=asset_id)
        try:
            with local_copy(asset.storage_key) as path:
                damage = find_damage(
                    path,
                    timeout=settings.MEDIA_FFMPEG_TIMEOUT_SECONDS,
                    has_video=asset.kind == MediaAsset.Kind.VIDEO,
                    duration_seconds=asset.duration_seconds,
                    on_progress=lease.progress,
                )
        except FfmpegError as exc:
            logger.warning("decode check %s: %s %s", asset_id, exc.code, exc.stderr_tail[-500:])
            lease.fail(exc.message)  # timed out: the file stays usable, the reason is kept
            return
        if damage is None:
            lease.finish()
            return
        logger.info("decode check %s: damaged (%s)", asset_id, "; ".join(damage.errors))
        lease.fail(damage.message, status=Status.FAILED)


def requeue_stalled_transcodes() -> int:
    """Queue again every processing rendition (and decode check) whose worker died; return how many.

    Renditions that already used up their attempts fail with an explanation instead, and work
    folders that dead workers left behind are removed.
    """
    jobs.remove_orphan_work_dirs()
    remove_stale_incoming_uploads()
    return jobs.sweep(TRANSCODES) + jobs.sweep(DECODE_CHECKS)


# An upload being received writes its file every few milliseconds; one untouched this long
# was left by a server process that was killed mid-upload (the file is removed otherwise).
STALE_INCOMING_UPLOAD_AFTER = timedelta(hours=6)


def remove_stale_incoming_uploads() -> int:
    """Delete files a killed server process left where uploads are received; return how many."""
    folder = uploads.incoming_folder()
    if folder is None or not folder.exists():
        return 0
    cutoff = time.time() - STALE_INCOMING_UPLOAD_AFTER.total_seconds()
    removed = 0
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    if removed:
        logger.info("removed %d stale incoming upload files", removed)
    return removed


# --- Delete -----------------------------------------------------------------------------------


def _family(asset: MediaAsset) -> list[MediaAsset]:
    return [asset, *MediaAsset.objects.filter(parent=asset).order_by("pk")]


def describe_media_deletion(asset: MediaAsset) -> usage.MediaUse:
    """Say what deleting ``asset`` (with its renditions) does elsewhere, and what refuses it."""
    return usage.describe_uses(_family(asset))


def delete_media(*, actor: Membership, asset: MediaAsset) -> None:
    """Delete an asset, its renditions and their stored files.

    The apps that use the files let go of them first (``creatives.library.usage``: a
    publication that sent one keeps its name and checksum); one that still needs a file
    refuses with ``MediaError``, and then nothing is deleted. The stored objects go once the
    rows are gone.
    """
    _require_editor(actor)
    family = _family(asset)
    keys = [k for item in family for k in (item.storage_key, item.poster_key) if k]
    try:
        with transaction.atomic():
            usage.release_uses(actor=actor, assets=family)
            MediaAsset.objects.filter(pk__in=[item.pk for item in family]).delete()
            record_audit_event(
                actor=actor.user,
                action="media.deleted",
                workspace=actor.workspace,
                target=asset,
                metadata={
                    "name": asset.original_filename,
                    "sha256": asset.sha256,
                    "renditions": len(family) - 1,
                },
            )
    except UserFacingError as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError(exc.message) from None
    except ProtectedError as exc:
        users = sorted({str(obj) for obj in exc.protected_objects})
        raise MediaError(
            _("“%(name)s” is used by %(users)s; remove it there first.")
            % {"name": asset.original_filename, "users": ", ".join(users)}
        ) from None
    delete_stored_files(*keys)
