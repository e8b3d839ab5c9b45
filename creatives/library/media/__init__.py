"""ProSocial's media pipeline as a library: no models, no views, no settings required.

- ``inspect.inspect_file``: the gate. Sniffs magic bytes, checks size, polyglots, images
  (Pillow, bomb limits) and audio/video (PyAV, named demuxer, stream and codec allowlists,
  first-frame decode, truncation), and returns ``MediaFacts`` or raises ``MediaRejected``.
- ``inspect.normalize_image`` / ``inspect.make_poster``: metadata-free upright re-encode;
  a JPEG preview.
- ``specs``: Meta's placement specs as data; ``check_conformance`` explains each rule.
- ``transcode``: a new file that fits a placement (ffmpeg for video, Pillow for images).
- ``ffmpeg.run_ffmpeg``: the only way ffmpeg is run (protocol whitelist, no URLs, timeout,
  progress).

Every refusal is a ``MediaError`` (``MediaRejected`` or ``FfmpegError``) with a ``code``
and a ``message`` safe to show.
"""

from creatives.library.errors import MediaError
from creatives.library.media.errors import FfmpegError, MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from creatives.library.media.inspect import inspect_file, make_poster, normalize_image
from creatives.library.media.specs import (
    PLACEMENTS,
    PlacementSpec,
    RuleResult,
    check_conformance,
    fits,
    fitting_placements,
)
from creatives.library.media.transcode import build_transcode_args, transcode_to_spec

__all__ = [
    "PLACEMENTS",
    "FfmpegError",
    "MediaError",
    "MediaFacts",
    "MediaRejected",
    "PlacementSpec",
    "RuleResult",
    "build_transcode_args",
    "check_conformance",
    "ffmpeg_exe",
    "fits",
    "fitting_placements",
    "inspect_file",
    "make_poster",
    "normalize_image",
    "run_ffmpeg",
    "transcode_to_spec",
]
