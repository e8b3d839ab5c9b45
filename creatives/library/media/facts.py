"""What we know about one media file, measured from its bytes (never from its name).

``inspect.inspect_file`` builds a ``MediaFacts``; ``specs.check_conformance`` reads one.
``width``/``height`` are the stored (coded) size; ``rotation`` is the counter-clockwise turn
a player applies to show it upright (ffmpeg's display-matrix convention, and EXIF
orientation for images), so ``display_width``/``display_height`` and ``aspect_ratio`` are what
a viewer sees.
"""

from dataclasses import dataclass

from creatives.library.media.errors import MediaRejected

__all__ = ["MediaFacts", "MediaRejected"]


@dataclass(frozen=True)
class MediaFacts:
    kind: str  # "image" | "video" | "audio"
    container: str  # "jpeg", "png", "webp", "gif", "mp4", "mov", "webm", "mp3", "m4a", "wav", "aac", "ogg", "flac"
    content_type: str  # sniffed, e.g. "video/mp4"
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    fps: float | None = None
    video_codec: str = ""  # ffmpeg codec names: "h264", "hevc", "vp9", "av1" …
    audio_codec: str = ""  # "aac", "mp3", "opus", "vorbis", "flac", "pcm_s16le" …
    pixel_format: str = ""  # ffmpeg pix_fmt for video ("yuv420p"), Pillow mode for images ("RGB")
    bitrate: int | None = None  # bits per second, whole file
    rotation: int = 0  # 0, 90, 180 or 270, counter-clockwise
    has_audio: bool = False
    audio_channels: int | None = None
    sample_rate: int | None = None
    faststart: bool | None = None  # MP4/MOV only: True when the moov index precedes the media data

    @property
    def is_sideways(self) -> bool:
        return self.rotation % 180 == 90

    @property
    def display_width(self) -> int | None:
        return self.height if self.is_sideways else self.width

    @property
    def display_height(self) -> int | None:
        return self.width if self.is_sideways else self.height

    @property
    def aspect_ratio(self) -> float | None:
        """Width over height as displayed (after rotation), or None without a picture."""
        width, height = self.display_width, self.display_height
        if not width or not height:
            return None
        return width / height
