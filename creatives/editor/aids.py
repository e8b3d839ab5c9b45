"""What the editor's timeline and preview draw with: filmstrips, waveforms and preview frames.

``filmstrip(asset)`` is a JPEG sprite of a video's pictures, evenly spaced (about one a second,
at most ``MAX_TILES``), each ``TILE_H`` px high and as wide as the picture's aspect makes it,
laid out as a **grid** of up to ``COLUMNS`` tiles a row, filled row by row; an image is one tile
of itself; audio has none. ``waveform(asset)`` is the loudest sample of each 1/20 s of a video's
or audio file's sound (0..1, 3 decimals, at most ``MAX_PEAKS`` values), or None without sound.
Both are made once with the hardened ffmpeg runner (an image tile with Pillow, as the library
makes posters) from a local copy of the stored file, and stored next to its poster
(``<storage key>.filmstrip-v1.jpg``, ``<storage key>.waveform-v1.json``), so later calls only
read them; ``GENERATED`` counts the ones this process made. A file that is processing, failed
or deleted is refused with ``MediaError`` saying which.

``preview_frame(...)`` is the editor's picture at time *t* of one saved version at one ratio:
``creatives.editor.render.render_frame`` at proxy size, the same graph a render runs (its
window around *t*), as a JPEG. It reads the sources in place on the local disk (a copy is
kept on this host when media is in S3) and keeps each frame for ``FRAME_CACHE_SECONDS`` in a
folder of this host, keyed by the version, the ratio, the frame number and the sources'
checksums, so scrubbing back is instant.

Derived files die with their asset: ``connect_cleanup()`` (called from the app's ``ready()``)
removes the stored aids and this host's source copy once a deletion of the asset has committed,
whichever code deleted it (a member, the workspace's erasure, retention). Frames (10 minutes)
and other hosts' copies (an hour unused) expire: each request prunes, and ``prune_caches()`` is
for a periodic sweep.
"""

import hashlib
import json
import math
import os
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import Workspace
from creatives.editor import document as doc_ops
from creatives.editor.errors import EditorError
from creatives.editor.models import EditVersion
from creatives.editor.render import (
    FPS,
    SourceMedia,
    frames_of,
    render_frame,
    timeline_duration,
)
from creatives.editor.selectors import source_facts
from creatives.library.errors import MediaError
from creatives.library.media import images
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.media.sniff import Sniffed
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset
from creatives.library.services import local_copy, workdir
from prosocial import jobs
from prosocial.stored_files import delete_stored_files

Kind = MediaAsset.Kind

AIDS_VERSION = 1  # in the stored files' names: a change of layout makes new ones
TILE_H = 72
MAX_TILES = 120
COLUMNS = 10
MAX_TILE_W = 4 * TILE_H  # a panorama's tile stops here (the picture is squeezed)
# Up to this long, every frame is decoded (a 1080p30 file: ~0.1 s of work per second on our
# 2-core machine); a longer video's tiles are the last keyframes before their times.
EXACT_FILMSTRIP_MAX_SECONDS = 30.0
PEAKS_PER_SECOND = 20
MAX_PEAKS = 4000
# Sound is decoded to mono at this rate: peaks of speech and music survive (up to 4 kHz).
PEAK_SAMPLE_RATE = 8000
AIDS_TIMEOUT_SECONDS = 120.0
JPEG_QUALITY = "4"  # ffmpeg's -q:v (2 best .. 31 worst): small tiles, clean enough

FRAME_TIMEOUT_SECONDS = 30.0
FRAME_CACHE_SECONDS = 10 * 60
FRAME_CACHE_MAX_FILES = 2000  # ~30 KB each at 540p: ~60 MB at most
# Copies of S3 sources for frames, per host; one unused this long is removed.
SOURCE_CACHE_SECONDS = 60 * 60
CACHE_FOLDER = "prosocial-editor-cache"  # in the jobs' work root (not a job's work folder)

# Aids this process generated, by kind ("filmstrip", "waveform", "frame"): a second request
# for the same aid adds nothing.
GENERATED: Counter[str] = Counter()


@dataclass(frozen=True)
class Filmstrip:
    """A sprite of ``count`` tiles of ``tile_w`` x ``tile_h`` px in a grid of ``columns``.

    Tile ``i`` is at column ``i % columns``, row ``i // columns`` and shows the picture at
    ``(i + 0.5) * interval`` seconds (an image: one tile, interval 0). ``exact`` is False for a
    long video, whose tiles are the last keyframes before those times.
    """

    key: str  # in the default storage
    tile_w: int
    tile_h: int
    count: int
    interval: float
    columns: int
    exact: bool = True

    @property
    def rows(self) -> int:
        return math.ceil(self.count / self.columns)

    def as_json(self, url: str) -> dict[str, Any]:
        return {
            "url": url,
            "tile_w": self.tile_w,
            "tile_h": self.tile_h,
            "count": self.count,
            "interval": self.interval,
            "columns": self.columns,
            "rows": self.rows,
            "exact": self.exact,
        }


@dataclass(frozen=True)
class Waveform:
    """``per_second`` peaks a second (20, fewer for a file over 200 s), each 0..1."""

    peaks: list[float]
    per_second: float

    def as_json(self) -> dict[str, Any]:
        return {"peaks": self.peaks, "per_second": self.per_second}


# --- Which files may be used ------------------------------------------------------------------


def _usable(asset: MediaAsset) -> MediaAsset:
    """Return the asset as stored now; raise ``MediaError`` if it is gone or not ready."""
    current = MediaAsset.objects.filter(pk=asset.pk).first()
    if current is None:
        raise MediaError(_("This file was deleted from the library."))
    if current.status == MediaAsset.Status.FAILED:
        raise MediaError(_("This file failed its checks and can't be used."))
    if current.status != MediaAsset.Status.READY or not current.storage_key:
        raise MediaError(_("This file isn't ready yet."))
    return current


def aid_keys(storage_key: str) -> list[str]:
    """Return the storage keys of every aid made of the file at ``storage_key``."""
    return [_filmstrip_key(storage_key), _waveform_key(storage_key)]


def _filmstrip_key(storage_key: str) -> str:
    return f"{storage_key}.filmstrip-v{AIDS_VERSION}.jpg"


def _waveform_key(storage_key: str) -> str:
    return f"{storage_key}.waveform-v{AIDS_VERSION}.json"


def _store_once(path: Path, key: str) -> None:
    """Store ``path`` under exactly ``key``, unless a concurrent request stored it first."""
    if default_storage.exists(key):
        return
    with path.open("rb") as handle:
        saved = default_storage.save(key, File(handle))
    if saved != key:  # the storage renamed ours: another request won the race
        delete_stored_files(saved)


# --- Filmstrips -------------------------------------------------------------------------------


def filmstrip_layout(asset: MediaAsset) -> Filmstrip | None:
    """Return the filmstrip ``asset`` has or would have (no I/O); None for sound only."""
    if asset.kind == Kind.AUDIO:
        return None
    facts = facts_for_asset(asset)
    width, height = facts.display_width or 0, facts.display_height or 0
    if width <= 0 or height <= 0:
        raise MediaError(_("This file's picture size is unknown."))
    tile_w = min(MAX_TILE_W, max(2, round(TILE_H * width / height / 2) * 2))
    key = _filmstrip_key(asset.storage_key)
    if asset.kind == Kind.IMAGE:
        return Filmstrip(key, tile_w, TILE_H, count=1, interval=0.0, columns=1)
    duration = asset.duration_seconds or 0.0
    if duration <= 0:
        raise MediaError(_("This video's length is unknown."))
    count = max(1, min(MAX_TILES, round(duration)))
    return Filmstrip(
        key,
        tile_w,
        TILE_H,
        count=count,
        interval=round(duration / count, 6),
        columns=min(count, COLUMNS),
        exact=duration <= EXACT_FILMSTRIP_MAX_SECONDS,
    )


def filmstrip(asset: MediaAsset) -> Filmstrip | None:
    """Return the filmstrip of a video or image, making and storing it the first time.

    None for an audio file. Raises ``MediaError`` for a file that is not ready, deleted, or
    can't be decoded.
    """
    asset = _usable(asset)
    strip = filmstrip_layout(asset)
    if strip is None or default_storage.exists(strip.key):
        return strip
    with local_copy(asset.storage_key) as source, workdir() as work:
        out = work / "filmstrip.jpg"
        if asset.kind == Kind.IMAGE:
            _image_tile(source, asset.container, strip, out)
        else:
            _video_tiles(source, strip, out)
        _store_once(out, strip.key)
    GENERATED["filmstrip"] += 1
    return strip


def _image_tile(source: Path, container: str, strip: Filmstrip, out: Path) -> None:
    with images.open_image(source, Sniffed("image", container)) as opened:
        picture = images.upright_srgb(opened)
        tile = picture.resize((strip.tile_w, strip.tile_h), Image.Resampling.LANCZOS)
    images.save_image(tile, out, container="jpeg")


def _video_tiles(source: Path, strip: Filmstrip, out: Path) -> None:
    # Tile i is the frame at (i + 0.5) * interval: skip half an interval, then one frame per
    # interval (``round=up``: the last frame at or before each time; the default would take
    # the one nearest the next half interval). A long video decodes its keyframes only (each
    # tile: the last one before its time).
    if strip.exact:
        decode = ["-skip_loop_filter", "all", "-flags2", "+fast"]
    else:
        decode = ["-skip_frame", "nokey"]
    graph = (
        f"trim=start={strip.interval / 2:.6f},setpts=PTS-STARTPTS,"
        f"fps=1/{strip.interval:.6f}:round=up,scale={strip.tile_w}:{strip.tile_h},setsar=1,"
        f"tile={strip.columns}x{strip.rows}"
    )
    run_ffmpeg(
        [
            *decode,
            "-an",
            "-sn",
            "-dn",
            "-i",
            str(source),
            "-vf",
            graph,
            "-frames:v",
            "1",
            "-q:v",
            JPEG_QUALITY,
            "-f",
            "image2",
            "-update",
            "1",
            "-y",
            str(out),
        ],
        timeout=AIDS_TIMEOUT_SECONDS,
    )
    if not out.is_file() or out.stat().st_size == 0:
        raise MediaError(_("This video's pictures couldn't be read for its filmstrip."))


# --- Waveforms --------------------------------------------------------------------------------


def waveform(asset: MediaAsset) -> Waveform | None:
    """Return the peaks of a video's or audio file's sound, computing them the first time.

    None when the file has no sound (an image, a silent video). Raises ``MediaError`` for a
    file that is not ready, deleted, or can't be decoded.
    """
    asset = _usable(asset)
    if asset.kind == Kind.IMAGE or not asset.has_audio:
        return None
    key = _waveform_key(asset.storage_key)
    if default_storage.exists(key):
        with default_storage.open(key, "rb") as stored:
            data = json.load(stored)
        return Waveform(peaks=data["peaks"], per_second=data["per_second"])
    duration = asset.duration_seconds or 0.0
    per_second = float(PEAKS_PER_SECOND)
    if duration * per_second > MAX_PEAKS:
        per_second = round(MAX_PEAKS / duration, 6)
    with local_copy(asset.storage_key) as source, workdir() as work:
        pcm = work / "sound.pcm"
        run_ffmpeg(
            [
                "-vn",
                "-sn",
                "-dn",
                "-i",
                str(source),
                "-map",
                "0:a:0",
                "-ac",
                "1",
                "-ar",
                str(PEAK_SAMPLE_RATE),
                "-c:a",
                "pcm_s16le",
                "-f",
                "s16le",
                "-y",
                str(pcm),
            ],
            timeout=AIDS_TIMEOUT_SECONDS,
        )
        peaks = _peaks(pcm, PEAK_SAMPLE_RATE / per_second)
        result = work / "waveform.json"
        result.write_text(
            json.dumps({"per_second": per_second, "peaks": peaks}, separators=(",", ":"))
        )
        _store_once(result, key)
    GENERATED["waveform"] += 1
    return Waveform(peaks=peaks, per_second=per_second)


def _peaks(pcm: Path, samples_per_peak: float) -> list[float]:
    """Return the largest absolute sample of each ``samples_per_peak`` samples, as 0..1."""
    count = pcm.stat().st_size // 2
    buckets = min(MAX_PEAKS, math.ceil(count / samples_per_peak))
    peaks: list[float] = []
    with pcm.open("rb") as stream:
        done = 0
        for number in range(buckets):
            end = min(count, round((number + 1) * samples_per_peak))
            chunk = array("h")
            chunk.frombytes(stream.read((end - done) * 2))
            if sys.byteorder == "big":  # s16le on disk
                chunk.byteswap()
            done = end
            loudest = max(max(chunk, default=0), -min(chunk, default=0))
            peaks.append(round(min(1.0, loudest / 32768), 3))
    return peaks


# --- Preview frames ---------------------------------------------------------------------------


def cache_folder(name: str) -> Path:
    """Return this host's cache folder ``name`` (frames, sources), made if missing."""
    folder = jobs.work_root() / CACHE_FOLDER / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def preview_frame(*, workspace: Workspace, version: EditVersion, ratio: str, at: float) -> Path:
    """Return a JPEG of ``version``'s edit at ``ratio`` and ``at`` seconds, at proxy size.

    The same graph as a render (``render_frame``), kept briefly in this host's frame cache.
    ``at`` past the end shows the last frame. Raises ``EditorError`` for a ratio the edit
    doesn't target, an empty timeline or a file that is missing or not ready, and
    ``RenderError`` when ffmpeg fails.
    """
    data = version.document
    parsed = doc_ops.parse_document(data)
    if ratio not in parsed.ratios:
        raise EditorError(_("This edit doesn't target %(ratio)s.") % {"ratio": ratio})
    ids = doc_ops.asset_ids(parsed)
    doc_ops.parse_document(data, sources=source_facts(workspace, ids), for_render=True)
    assets = list(MediaAsset.objects.for_workspace(workspace).filter(pk__in=ids).order_by("pk"))
    total = timeline_duration(data)
    frame = frames_of(min(at, max(0.0, total - 1.0 / FPS)))
    identity = [AIDS_VERSION, version.pk, ratio, frame]
    identity += [[a.pk, a.sha256, a.storage_key] for a in assets]
    name = hashlib.sha256(json.dumps(identity).encode()).hexdigest()
    cached = cache_folder("frames") / f"{name}.jpg"
    try:
        if time.time() - cached.stat().st_mtime < FRAME_CACHE_SECONDS:
            return cached
    except FileNotFoundError:
        pass
    sources = {a.pk: SourceMedia(_local_source(a), facts_for_asset(a)) for a in assets}
    render_frame(
        data, ratio, sources, frame / FPS, cached, proxy=True, timeout=FRAME_TIMEOUT_SECONDS
    )
    GENERATED["frame"] += 1
    _prune(cached.parent, keep=FRAME_CACHE_MAX_FILES, max_age=FRAME_CACHE_SECONDS)
    return cached


def _local_source(asset: MediaAsset) -> Path:
    """Return a local path with the asset's bytes: the file itself on disk, else a host copy."""
    try:
        path = Path(default_storage.path(asset.storage_key))
    except NotImplementedError:  # S3: no local path
        return _cached_copy(asset.storage_key)
    if not path.is_file():
        raise EditorError(
            _("“%(name)s” is missing from storage; replace it.") % {"name": asset.original_filename}
        )
    return path


def _cached_copy(key: str) -> Path:
    folder = cache_folder("sources")
    path = folder / hashlib.sha256(key.encode()).hexdigest()
    if path.is_file():
        os.utime(path)  # recently used: kept by the pruning
        return path
    fd, partial_name = tempfile.mkstemp(prefix=".download-", dir=folder)
    partial_path = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(key, "rb") as stored:
            while chunk := stored.read(1024 * 1024):
                out.write(chunk)
        partial_path.replace(path)
    except BaseException:
        partial_path.unlink(missing_ok=True)
        raise
    _prune(folder, keep=None, max_age=SOURCE_CACHE_SECONDS)
    return path


def _prune(folder: Path, *, keep: int | None, max_age: float) -> int:
    """Remove files older than ``max_age`` and, past ``keep`` files, the oldest; return how many."""
    now = time.time()
    entries: list[tuple[float, Path]] = []
    for entry in folder.iterdir():
        if entry.name.startswith("."):  # a frame or a download being written
            continue
        try:
            entries.append((entry.stat().st_mtime, entry))
        except FileNotFoundError:
            continue
    entries.sort(reverse=True)
    doomed = [path for mtime, path in entries if now - mtime > max_age]
    if keep is not None:
        doomed += [path for _mtime, path in entries[keep:] if path not in doomed]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


# --- Cleanup ----------------------------------------------------------------------------------


def remove_aids(storage_keys: Iterable[str]) -> None:
    """Delete the stored aids of the files at ``storage_keys``, and this host's copies of them.

    Missing ones are skipped. Other hosts' copies go within ``SOURCE_CACHE_SECONDS``
    (``prune_caches``).
    """
    keys = list(storage_keys)
    delete_stored_files(*(key for storage_key in keys for key in aid_keys(storage_key)))
    folder = jobs.work_root() / CACHE_FOLDER / "sources"
    for key in keys:
        (folder / hashlib.sha256(key.encode()).hexdigest()).unlink(missing_ok=True)


def prune_caches() -> int:
    """Remove this host's frames and source copies past their age; return how many.

    Each request that makes a frame or a copy prunes its folder; a periodic sweep calling this
    also clears them on a host nobody previews on any more.
    """
    root = jobs.work_root() / CACHE_FOLDER
    removed = 0
    for name, keep, age in (
        ("frames", FRAME_CACHE_MAX_FILES, FRAME_CACHE_SECONDS),
        ("sources", None, SOURCE_CACHE_SECONDS),
    ):
        if (root / name).is_dir():
            removed += _prune(root / name, keep=keep, max_age=age)
    return removed


def _asset_deleted(sender: type[MediaAsset], instance: MediaAsset, **_kwargs: Any) -> None:
    if instance.storage_key:
        # After COMMIT: a deletion rolled back keeps its aids (they are only a cache anyway).
        transaction.on_commit(partial(remove_aids, [instance.storage_key]))


def connect_cleanup() -> None:
    """Remove an asset's aids whenever the asset is deleted (the app's ``ready()`` calls it)."""
    post_delete.connect(_asset_deleted, sender=MediaAsset, dispatch_uid="editor-aids-cleanup")
