"""Check an uploaded file and measure it; make the derived files every asset needs.

``inspect_file`` is the gate every file passes before ProSocial stores or processes it, in
this order, each step refusing with ``MediaRejected`` and a message that says why:

1. ``empty``: zero bytes;
2. ``unsupported_type``: the magic bytes are not an image, video or audio container on our
   list (the name and the client's content type are never consulted);
3. ``too_large``: over the per-kind size limit (checked before any parsing);
4. ``polyglot``: an HLS playlist or markup hidden inside;
5. images: ``dimensions``/``decompression_bomb`` from the header, then Pillow's verify and a
   full decode (``truncated``/``corrupt``); audio/video: PyAV with the named demuxer, stream
   and codec allowlists, a decoded first frame and a tail check (``extra_streams``,
   ``unsupported_codec``, ``truncated``, ``corrupt``, ``dimensions``).
"""

from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from creatives.library.media import images
from creatives.library.media.avprobe import MAX_VIDEO_SIDE, probe_av
from creatives.library.media.errors import MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.media.formatting import format_bytes
from creatives.library.media.sniff import Sniffed, scan_for_polyglot, sniff_file

_MIB = 1024 * 1024
# Used when Django settings aren't configured; prosocial/settings.py has the same defaults
# (MEDIA_MAX_IMAGE_BYTES, MEDIA_MAX_VIDEO_BYTES, MEDIA_MAX_AUDIO_BYTES).
DEFAULT_MAX_BYTES: Mapping[str, int] = {
    "image": 30 * _MIB,
    "video": 4096 * _MIB,
    "audio": 200 * _MIB,
}
POSTER_TIMEOUT_SECONDS = 60.0
_AUDIO_CONTAINERS = frozenset({"m4a", "ogg", "flac", "mp3", "aac", "wav"})
_KIND_WORDS = {"image": "images", "video": "videos", "audio": "audio files"}


def default_max_bytes() -> dict[str, int]:
    """Return the size limits from Django settings when set, else ``DEFAULT_MAX_BYTES``."""
    try:
        return {
            "image": int(settings.MEDIA_MAX_IMAGE_BYTES),
            "video": int(settings.MEDIA_MAX_VIDEO_BYTES),
            "audio": int(settings.MEDIA_MAX_AUDIO_BYTES),
        }
    except (ImproperlyConfigured, AttributeError):
        return dict(DEFAULT_MAX_BYTES)


def inspect_file(
    path: Path,
    *,
    max_bytes_by_kind: Mapping[str, int] | None = None,
    max_image_pixels: int = images.MAX_IMAGE_PIXELS,
    max_image_side: int = images.MAX_IMAGE_SIDE,
    max_video_side: int = MAX_VIDEO_SIDE,
    polyglot_checked: bool = False,
) -> MediaFacts:
    """Check ``path`` and return its facts, or raise ``MediaRejected`` saying why not.

    ``polyglot_checked``: the bytes already went through ``sniff.PolyglotScanner`` as they
    arrived (``creatives.library.uploads``), so the scan isn't run on the file again.
    """
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("This file is empty (0 bytes).", code="empty")
    sniffed = sniff_file(path)
    limits = max_bytes_by_kind if max_bytes_by_kind is not None else default_max_bytes()
    _check_size(size, likely_kind(sniffed), limits)
    if not polyglot_checked:
        scan_for_polyglot(path, markup_everywhere=sniffed.family == "image")
    if sniffed.family == "image":
        return images.inspect_image(
            path, sniffed, size, max_pixels=max_image_pixels, max_side=max_image_side
        )
    facts = probe_av(path, sniffed, size, max_side=max_video_side)
    _check_size(size, facts.kind, limits)  # an MP4 holding only sound is audio
    return facts


def likely_kind(sniffed: Sniffed) -> str:
    """Return the kind a sniffed file is taken for until its streams are read."""
    if sniffed.family == "image":
        return "image"
    return "audio" if sniffed.container in _AUDIO_CONTAINERS else "video"


def _check_size(size: int, kind: str, limits: Mapping[str, int]) -> None:
    limit = limits.get(kind)
    if limit is not None and size > limit:
        raise size_refusal(size, kind, limit)


def size_refusal(size: int, kind: str, limit: int, *, at_least: bool = False) -> MediaRejected:
    """Return the ``too_large`` refusal; ``at_least``: refused mid-stream, size unknown yet."""
    what = f"more than {format_bytes(limit)}" if at_least else format_bytes(size)
    return MediaRejected(
        f"This {kind} file is {what}; {_KIND_WORDS[kind]} can be at most {format_bytes(limit)}.",
        code="too_large",
    )


def normalize_image(src: Path, dst: Path, *, facts: MediaFacts | None = None) -> MediaFacts:
    """Re-encode an image without metadata, upright and in sRGB; return the facts of ``dst``.

    JPEG, or PNG when the image really uses transparency. ``dst``'s name is not consulted:
    the returned ``container`` says which was written. ``facts``: ``src``'s, when the caller
    already inspected it (it isn't inspected again).
    """
    facts = facts if facts is not None else inspect_file(src)
    _require_kind(facts, "image", "Only images can be normalised")
    with images.open_image(src, Sniffed("image", facts.container)) as opened:
        upright = images.upright_srgb(opened)
    images.save_image(upright, dst, container="png" if upright.mode == "RGBA" else "jpeg")
    return inspect_file(dst)


def make_poster(
    src: Path,
    dst: Path,
    *,
    at_seconds: float | None = None,
    max_width: int = 640,
    timeout: float = POSTER_TIMEOUT_SECONDS,
    facts: MediaFacts | None = None,
) -> None:
    """Write a JPEG preview at most ``max_width`` wide: a video frame, or a smaller image.

    Video frames come from ``at_seconds`` (default: 1 s in, or the middle of a shorter clip),
    upright (ffmpeg applies the rotation). ``facts``: ``src``'s, when the caller already
    inspected it (it isn't inspected again: for a video that is a probe and a full scan).
    """
    facts = facts if facts is not None else inspect_file(src)
    if facts.kind == "image":
        with images.open_image(src, Sniffed("image", facts.container)) as opened:
            picture = images.thumbnail(images.upright_srgb(opened), max_width=max_width)
        images.save_image(picture, dst, container="jpeg")
        return
    _require_kind(facts, "video", "Audio has no picture to make a poster from")
    duration = facts.duration_seconds or 0.0
    position = at_seconds if at_seconds is not None else min(1.0, duration / 2)
    if duration:
        position = max(0.0, min(position, duration - 0.05))
    run_ffmpeg(
        [
            "-ss",
            f"{position:.3f}",
            "-i",
            str(src.resolve()),
            "-frames:v",
            "1",
            "-vf",
            f"scale='min({max_width},iw)':-2",
            "-q:v",
            "3",
            "-f",
            "image2",
            "-update",
            "1",  # one picture, never a numbered sequence, whatever dst's name holds
            "-y",
            str(dst.resolve()),
        ],
        timeout=timeout,
    )


def _require_kind(facts: MediaFacts, kind: str, what: str) -> None:
    if facts.kind != kind:
        raise MediaRejected(f"{what}; this file is {facts.kind}.", code="wrong_kind")
