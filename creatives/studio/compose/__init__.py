"""Finished ad videos from parts: scenes, motion, transitions, captions, voice-over, music, end card.

``compose_video(spec, output)`` renders a ``CompositionSpec`` with one ffmpeg run through
the hardened runner (``creatives.library.media.ffmpeg``) into an H.264/AAC MP4 that passes the
placement checks (``ig_reel`` at 9:16, ``ig_feed_video``/``ad_feed_video`` at 1:1 and 4:5),
and returns its inspected ``MediaFacts``. Every failure is a ``ComposeError``.
"""

from creatives.studio.compose.errors import ComposeError
from creatives.studio.compose.render import (
    X264_PRESET,
    build_compose_args,
    compose_video,
    prepare_inputs,
)
from creatives.studio.compose.spec import SIZES, Caption, CompositionSpec, EndCard, Scene

__all__ = [
    "SIZES",
    "X264_PRESET",
    "Caption",
    "ComposeError",
    "CompositionSpec",
    "EndCard",
    "Scene",
    "build_compose_args",
    "compose_video",
    "prepare_inputs",
]
