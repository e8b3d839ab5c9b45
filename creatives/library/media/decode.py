"""Decode a whole audio or video file and say where it is damaged, if it is.

The upload check (``inspect.inspect_file``) decodes only the first frame, so a file whose
frames break after the first second passes it and fails later (a transcode, Meta's
processing). ``find_damage`` is the full check, run by a job (never in a request): ffmpeg,
through the hardened ``run_ffmpeg``, decodes every stream to the null muxer.

Where: ffmpeg's own decoder thread writes, one after the other, ``corrupt decoded frame``
(a frame it had to conceal errors in) and, with ``-debug_ts``, ``decoder -> pts:… pts_time:…``
for that same frame, both tagged with the input stream (``vist#0:0`` video, ``aist#0:1``
audio). ``-loglevel level+info`` tags every line with its level, so an ``[error]`` anywhere
(a decoder, the demuxer) counts as damage too; without a damaged frame to point at, the time
is that of the last frame decoded before the error.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from creatives.library.media.errors import FfmpegError
from creatives.library.media.ffmpeg import run_ffmpeg

# Every line is "[context @ 0x…] … [level] text" (contexts carry " @ "), e.g.
# "[vist#0:0/h264 @ 0x…] [dec:h264 @ 0x…] [warning] corrupt decoded frame". Anchored, so a
# file's own metadata printed in the banner ("[info]     title : [error] …") never matches.
_CONTEXTS = r"^(?:\[[^\]]* @ [^\]]*\] )*"
_STREAM = re.compile(r"^\[(?P<kind>[va])ist#(?P<index>[0-9:]+)/[^\]]* @ ")
_CORRUPT = re.compile(_CONTEXTS + r"\[warning\] corrupt decoded frame$")
_DECODED = re.compile(
    _CONTEXTS + r"\[info\] decoder -> pts:\S+ pts_time:(?P<time>-?[0-9]+(?:\.[0-9]+)?) "
)
_ERROR = re.compile(_CONTEXTS + r"\[(?:error|fatal|panic)\] (?P<text>.*)")
_KINDS = {"v": "video", "a": "audio"}
_KEPT_ERRORS = 5


def format_position(seconds: float) -> str:
    """``3.4`` -> ``0:03``; ``3725`` -> ``1:02:05`` (the second that contains the time)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Damage:
    """Where a file is damaged: the stream and the time (None when ffmpeg can't tell)."""

    stream: str  # "video" or "audio"
    seconds: float | None
    errors: tuple[str, ...]  # ffmpeg's first error lines, for logs only

    @property
    def message(self) -> str:
        what = _("The video") if self.stream == "video" else _("The audio")
        if self.seconds is None:
            return _("%(what)s is damaged; re-export it and upload again.") % {"what": what}
        return _("%(what)s is damaged around %(position)s; re-export it and upload again.") % {
            "what": what,
            "position": format_position(self.seconds),
        }


class _LogScanner:
    """Read ffmpeg's stderr line by line (in the runner's drain thread); never raises."""

    def __init__(self, default_stream: str) -> None:
        self.default_stream = default_stream
        self.waiting: set[str] = set()  # streams whose next decoded frame is a damaged one
        self.last_time: float | None = None
        self.damaged: tuple[str, float] | None = None
        self.error_time: float | None = None
        self.error_stream: str | None = None
        self.errors: list[str] = []

    def feed(self, line: str) -> None:
        stream = _STREAM.match(line)
        key = f"{stream['kind']}{stream['index']}" if stream else ""
        if stream and _CORRUPT.search(line):
            self.waiting.add(key)
            return
        if stream and (decoded := _DECODED.search(line)):
            seconds = float(decoded["time"])
            self.last_time = seconds
            if key in self.waiting:
                self.waiting.discard(key)
                if self.damaged is None:
                    self.damaged = (_KINDS[stream["kind"]], seconds)
            return
        if error := _ERROR.search(line):
            if not self.errors:
                self.error_time = self.last_time
                self.error_stream = _KINDS[stream["kind"]] if stream else None
            if len(self.errors) < _KEPT_ERRORS:
                self.errors.append(error["text"][:200])

    def damage(self) -> Damage | None:
        if self.damaged is not None:
            stream, seconds = self.damaged
            return Damage(stream, seconds, tuple(self.errors))
        if self.errors or self.waiting:
            stream = self.error_stream or self.default_stream
            return Damage(stream, self.error_time, tuple(self.errors))
        return None


def find_damage(
    path: Path,
    *,
    timeout: float,
    has_video: bool,
    duration_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Damage | None:
    """Decode every stream of ``path``; return where it is damaged, or None when it is whole.

    A file ffmpeg gives up on (a non-zero exit) is damaged. Raises FfmpegError when ffmpeg
    times out or is refused: then nothing is known about the file.
    """
    scanner = _LogScanner("video" if has_video else "audio")
    try:
        _decode(path, timeout, duration_seconds, on_progress, scanner)
    except FfmpegError as exc:
        if exc.code != "failed":
            raise
        # ffmpeg gave up before the end: damaged, wherever the log says (or it can't tell).
        found = scanner.damage()
        return found or Damage(scanner.default_stream, scanner.last_time, (exc.stderr_tail,))
    return scanner.damage()


def _decode(
    path: Path,
    timeout: float,
    duration_seconds: float | None,
    on_progress: Callable[[float], None] | None,
    scanner: _LogScanner,
) -> None:
    run_ffmpeg(
        [
            "-i",
            str(path),
            # After the runner's "-loglevel error": every line, tagged with its level, plus
            # each decoded frame's time (-debug_ts), so a damaged frame can be placed.
            "-loglevel",
            "level+info",
            "-debug_ts",
            "-f",
            "null",
            "-",
        ],
        timeout=timeout,
        on_progress=on_progress,
        duration_seconds=duration_seconds,
        on_stderr=scanner.feed,
    )
