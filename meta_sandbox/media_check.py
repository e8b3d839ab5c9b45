"""Fetching and inspecting the media files the publishing endpoints are given.

Meta downloads every `image_url`, `video_url`, `file_url` and `url` it is handed and
checks it against its specs (GRAPH_NOTES §2.2, §3.2, §3.3). The sandbox really does
the same, with two limits of its own:

- `fetch()` only downloads from loopback hosts (127.0.0.0/8, ::1, localhost): this
  machine has no other network, and a sandbox must never reach out. Any other host
  answers as an unreachable URL would.
- Inspection uses Pillow for images and PyAV for video when they are importable
  (both are project dependencies). Without them it degrades to what the file's bytes
  say by themselves: the format from its magic bytes, image dimensions from the JPEG
  SOF / PNG IHDR header, MP4/MOV boxes for video; `VideoInfo.checked` then says
  "container-only" and duration, codec and frame-rate checks are skipped.

Spec violations raise `MediaProblem`, which each endpoint turns into its own error
(an IG 2207xxx subcode, a Page 324/352/389, ...).
"""

import io
import ipaddress
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FETCH_TIMEOUT_SECONDS = 10
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


class MediaProblem(Exception):
    """The media failed a check; `reason` is a short technical explanation."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind  # "fetch", "timeout", "too_large", "format", "spec"
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP"
    width: int
    height: int
    size: int

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height if self.height else 0.0


@dataclass(frozen=True)
class VideoInfo:
    container: str  # "MP4" or "MOV"
    size: int
    moov_first: bool
    checked: str  # "pyav" or "container-only"
    width: int = 0
    height: int = 0
    duration: float = 0.0
    fps: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""
    audio_sample_rate: int = 0

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height if self.height else 0.0


# --- fetching ----------------------------------------------------------------------------


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, *, max_bytes: int) -> bytes:
    """Download `url` (loopback only); raise MediaProblem for any failure.

    Reads at most `max_bytes + 1` bytes, so an oversized file is reported as
    `too_large` without downloading all of it.
    """
    if not is_loopback_url(url):
        raise MediaProblem("fetch", f"the sandbox only downloads from loopback hosts: {url}")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked above
            data: bytes = response.read(max_bytes + 1)
    except TimeoutError as exc:
        raise MediaProblem("timeout", f"timed out downloading {url}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise MediaProblem("fetch", f"could not download {url}: {exc}") from exc
    if len(data) > max_bytes:
        raise MediaProblem("too_large", f"the file is larger than {max_bytes} bytes")
    return data


# --- images ------------------------------------------------------------------------------


def _magic_format(data: bytes) -> str | None:
    signatures = (
        (b"\xff\xd8\xff", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
    )
    for signature, name in signatures:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _header_size(data: bytes, fmt: str) -> tuple[int, int]:
    """Return (width, height) read from a PNG or JPEG header; (0, 0) when unknown."""
    if fmt == "PNG" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if fmt == "JPEG":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                break
            marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return width, height
            pos += 2 + length
    return 0, 0


def inspect_image(data: bytes) -> ImageInfo:
    """Return what the image is; raise MediaProblem("format") if it is not one."""
    fmt = _magic_format(data)
    if fmt is None:
        raise MediaProblem("format", "the file is not an image")
    try:
        from PIL import Image
    except ImportError:
        width, height = _header_size(data, fmt)
        return ImageInfo(fmt, width, height, len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            return ImageInfo(str(image.format or fmt), image.width, image.height, len(data))
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise MediaProblem("format", f"the image cannot be decoded: {exc}") from exc


# --- video -------------------------------------------------------------------------------


def _top_level_boxes(data: bytes) -> list[bytes]:
    boxes: list[bytes] = []
    pos = 0
    while pos + 8 <= len(data) and len(boxes) < 64:
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if size == 1 and pos + 16 <= len(data):
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        if size < 8:
            break
        boxes.append(kind)
        pos += size
    return boxes


def _container(data: bytes) -> tuple[str, bool]:
    """Return ("MP4"|"MOV", moov-before-mdat) or raise MediaProblem("format")."""
    boxes = _top_level_boxes(data)
    if b"moov" not in boxes:
        raise MediaProblem("format", "not an MP4/MOV file (no moov box)")
    brand = data[8:12] if boxes and boxes[0] == b"ftyp" else b""
    container = "MOV" if brand == b"qt  " or (not brand and b"wide" in boxes) else "MP4"
    moov_first = b"mdat" not in boxes or boxes.index(b"moov") < boxes.index(b"mdat")
    return container, moov_first


def inspect_video(data: bytes) -> VideoInfo:
    """Return what the video is; raise MediaProblem("format") if it is not MP4/MOV."""
    container, moov_first = _container(data)
    try:
        import av
    except ImportError:
        return VideoInfo(container, len(data), moov_first, "container-only")
    try:
        with av.open(io.BytesIO(data)) as media:
            return _pyav_info(media, container, len(data), moov_first)
    except (av.FFmpegError, ValueError) as exc:
        raise MediaProblem("format", f"the video cannot be decoded: {exc}") from exc


def _pyav_info(media: Any, container: str, size: int, moov_first: bool) -> VideoInfo:
    video = next((s for s in media.streams if s.type == "video"), None)
    if video is None:
        raise MediaProblem("format", "the file has no video stream")
    audio = next((s for s in media.streams if s.type == "audio"), None)
    duration = media.duration / 1_000_000 if media.duration else 0.0
    rate = video.average_rate
    return VideoInfo(
        container=container,
        size=size,
        moov_first=moov_first,
        checked="pyav",
        width=int(video.codec_context.width),
        height=int(video.codec_context.height),
        duration=float(duration),
        fps=float(rate) if rate else 0.0,
        video_codec=str(video.codec_context.name),
        audio_codec=str(audio.codec_context.name) if audio is not None else "",
        audio_sample_rate=int(audio.codec_context.sample_rate) if audio is not None else 0,
    )


@dataclass(frozen=True)
class VideoSpec:
    """Limits one kind of video must meet (GRAPH_NOTES §2.2)."""

    max_bytes: int
    min_seconds: float
    max_seconds: float
    min_ratio: float
    max_ratio: float
    max_width: int = 1920
    min_fps: float = 23
    max_fps: float = 60


def check_video(info: VideoInfo, spec: VideoSpec) -> None:
    """Raise MediaProblem("spec") for the first limit `info` breaks."""
    if info.size > spec.max_bytes:
        raise MediaProblem("spec", f"the video is larger than {spec.max_bytes} bytes")
    if not info.moov_first:
        raise MediaProblem("spec", "the moov atom must come before the media data (faststart)")
    if info.checked != "pyav":
        return
    problems = [
        (info.video_codec not in ("h264", "hevc"), f"video codec {info.video_codec}"),
        (
            bool(info.audio_codec) and info.audio_codec != "aac",
            f"audio codec {info.audio_codec}",
        ),
        (info.audio_sample_rate > 48000, f"audio sample rate {info.audio_sample_rate} Hz"),
        (
            not spec.min_seconds <= info.duration <= spec.max_seconds,
            f"duration {info.duration:.2f} s (allowed {spec.min_seconds:g}-{spec.max_seconds:g} s)",
        ),
        (
            not spec.min_ratio <= info.aspect_ratio <= spec.max_ratio,
            f"aspect ratio {info.width}x{info.height}",
        ),
        (info.width > spec.max_width, f"width {info.width} px (max {spec.max_width})"),
        (not spec.min_fps <= info.fps <= spec.max_fps, f"frame rate {info.fps:g} fps"),
    ]
    for broken, what in problems:
        if broken:
            raise MediaProblem("spec", f"unsupported {what}")
