"""Meta's placement specs as data, and a conformance check that explains every mismatch.

Each ``PlacementSpec`` cites where its numbers come from (``shared/meta/GRAPH_NOTES.md``
sections; numbers GRAPH_NOTES doesn't have are marked "not in GRAPH_NOTES" with their
source, to re-check before relying on them). ``check_conformance`` returns one
``RuleResult`` per rule of the placement, each in plain words ("9:16 needed, this is 16:9",
"At most 90 s; this is 2 min 5 s"), saying whether ``transcode.transcode_to_spec`` can fix
it. Advisory results (a recommendation, not a requirement) never make ``fits`` false.

Not checked, because they can't be read from ``MediaFacts``: Instagram's "progressive, closed
GOP, no edit lists" (our transcode writes progressive, closed-GOP H.264) and sRGB (images we
write are converted to sRGB).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from fractions import Fraction

from creatives.library.media.facts import MediaFacts
from creatives.library.media.formatting import (
    describe_aspect,
    describe_ratio,
    format_bitrate,
    format_bytes,
    format_duration,
    format_fps,
)

_MIB = 1024 * 1024
_GIB = 1024 * _MIB
ASPECT_TOLERANCE = 0.01  # relative: 1080 x 1352 passes as 4:5, as Meta's own rounding does
DURATION_TOLERANCE = 0.05  # seconds: container rounding, not content
FPS_TOLERANCE = 0.05

CHROMA_420 = frozenset({"yuv420p", "yuvj420p", "nv12", "yuv420p10le"})
_CONTAINER_NAMES = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "mp4": "MP4",
    "mov": "MOV",
    "m4a": "M4A",
    "webm": "WebM",
    "ogg": "Ogg",
    "flac": "FLAC",
    "mp3": "MP3",
    "aac": "AAC",
    "wav": "WAV",
}
_CODEC_NAMES = {
    "h264": "H.264",
    "hevc": "HEVC",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "mpeg4": "MPEG-4 Part 2",
    "prores": "ProRes",
    "aac": "AAC",
    "mp3": "MP3",
    "opus": "Opus",
    "vorbis": "Vorbis",
    "flac": "FLAC",
    "alac": "ALAC",
}
_KIND_ARTICLES = {"image": "an image", "video": "a video", "audio": "an audio file"}


@dataclass(frozen=True)
class PlacementSpec:
    key: str
    label: str
    kinds: frozenset[str]  # {"image"} or {"video"}
    containers: frozenset[str]
    max_bytes: int
    source: str  # where the numbers come from
    aspect_min: Fraction | None = None  # width / height, inclusive (with ASPECT_TOLERANCE)
    aspect_max: Fraction | None = None
    recommended_aspect: tuple[int, int] | None = None
    recommended_size: tuple[int, int] | None = (
        None  # transcode output size (never upscaled by default)
    )
    reframe_to_recommended: bool = (
        False  # full-screen placements: transcode always to the recommended ratio
    )
    min_width: int | None = None  # display width, px
    max_width: int | None = None
    min_duration: float | None = None  # seconds
    max_duration: float | None = None
    video_codecs: frozenset[str] = frozenset()
    pixel_formats: frozenset[str] = frozenset()  # empty: any
    min_fps: float | None = None
    max_fps: float | None = None
    max_bitrate: int | None = None  # bits/s, whole file
    requires_faststart: bool = False
    audio: str = "optional"  # "required" or "optional"
    audio_codecs: frozenset[str] = frozenset()
    max_sample_rate: int | None = None
    max_audio_channels: int | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: str
    ok: bool
    message: str
    expected: str
    actual: str
    fixable: bool  # transcode_to_spec fixes it
    advisory: bool = False  # a recommendation: reported, but fits() ignores it


_IMAGE = frozenset({"image"})
_VIDEO = frozenset({"video"})
_JPEG = frozenset({"jpeg"})
_JPEG_PNG = frozenset({"jpeg", "png"})
_MP4_MOV = frozenset({"mp4", "mov"})
_H264_HEVC = frozenset({"h264", "hevc"})
_AAC = frozenset({"aac"})

# Instagram video (GRAPH_NOTES §2.2 "Reel" row; stories and carousel items reuse it):
# MOV/MP4 with moov at the front, HEVC or H.264, 4:2:0, AAC ≤ 48 kHz mono/stereo,
# 23-60 fps, ≤ 1920 px wide, ≤ 25 Mbps. Templates: each spec below replaces what differs.
_IG_VIDEO = PlacementSpec(
    key="",
    label="",
    kinds=_VIDEO,
    containers=_MP4_MOV,
    max_bytes=0,
    source="",
    video_codecs=_H264_HEVC,
    pixel_formats=CHROMA_420,
    audio_codecs=_AAC,
    max_sample_rate=48_000,
    max_audio_channels=2,
    min_fps=23.0,
    max_fps=60.0,
    max_width=1920,
    max_bitrate=25_000_000,
    requires_faststart=True,
)
# Meta video in general (§4.2, FB Video Ads guide, 2026-05-21): MP4, H.264/H.265, AAC-LC
# 48 kHz stereo, ≤ 60 fps.
_META_VIDEO = PlacementSpec(
    key="",
    label="",
    kinds=_VIDEO,
    containers=_MP4_MOV,
    max_bytes=0,
    source="",
    video_codecs=_H264_HEVC,
    pixel_formats=CHROMA_420,
    audio_codecs=_AAC,
    max_sample_rate=48_000,
    max_audio_channels=2,
    max_fps=60.0,
)

_SPECS = (
    PlacementSpec(
        key="ig_feed_image",
        label="Instagram feed image",
        kinds=_IMAGE,
        source="GRAPH_NOTES §2.2 Feed image: JPEG only, ≤ 8 MB, 4:5 to 1.91:1. Width 320-1440 px "
        "is scaled by Meta, so it is no rule here; 1080 x 1350 is the usual 4:5 size.",
        containers=_JPEG,
        max_bytes=8 * _MIB,
        aspect_min=Fraction(4, 5),
        aspect_max=Fraction(191, 100),
        recommended_aspect=(4, 5),
        recommended_size=(1080, 1350),
    ),
    PlacementSpec(
        key="ig_carousel_image",
        label="Instagram carousel image",
        kinds=_IMAGE,
        source="GRAPH_NOTES §2.2: carousel images share the feed image row (JPEG, ≤ 8 MB, "
        "4:5 to 1.91:1).",
        containers=_JPEG,
        max_bytes=8 * _MIB,
        aspect_min=Fraction(4, 5),
        aspect_max=Fraction(191, 100),
        recommended_aspect=(4, 5),
        recommended_size=(1080, 1350),
    ),
    PlacementSpec(
        key="ig_story_image",
        label="Instagram story image",
        kinds=_IMAGE,
        source="GRAPH_NOTES §2.2 Story image: JPEG, ≤ 8 MB, 9:16 recommended (no hard ratio "
        "documented).",
        containers=_JPEG,
        max_bytes=8 * _MIB,
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
    ),
    replace(
        _IG_VIDEO,
        key="ig_reel",
        label="Instagram reel",
        source="GRAPH_NOTES §2.2 Reel: ≤ 300 MB, 0.01:1 to 10:1 (9:16 recommended), 3 s - 15 min, "
        "23-60 fps, ≤ 1920 px wide, ≤ 25 Mbps, H.264/HEVC 4:2:0, AAC ≤ 48 kHz, moov first.",
        max_bytes=300 * _MIB,
        aspect_min=Fraction(1, 100),
        aspect_max=Fraction(10),
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
        min_duration=3.0,
        max_duration=15 * 60.0,
    ),
    replace(
        _IG_VIDEO,
        key="ig_feed_video",
        label="Instagram feed video",
        source="GRAPH_NOTES §2.1: a feed video is published as a reel (REELS with "
        "share_to_feed), so the §2.2 Reel rules apply. 4:5 recommended for how it shows in "
        "the feed: not in GRAPH_NOTES.",
        max_bytes=300 * _MIB,
        aspect_min=Fraction(1, 100),
        aspect_max=Fraction(10),
        recommended_aspect=(4, 5),
        recommended_size=(1080, 1350),
        min_duration=3.0,
        max_duration=15 * 60.0,
    ),
    replace(
        _IG_VIDEO,
        key="ig_story_video",
        label="Instagram story video",
        source="GRAPH_NOTES §2.2 Story video: as reels, but ≤ 100 MB, 0.1:1 to 10:1, 3-60 s.",
        max_bytes=100 * _MIB,
        aspect_min=Fraction(1, 10),
        aspect_max=Fraction(10),
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
        min_duration=3.0,
        max_duration=60.0,
    ),
    replace(
        _IG_VIDEO,
        key="ig_carousel_video",
        label="Instagram carousel video",
        source="GRAPH_NOTES §12 #14: 2026 carousel video specs aren't restated, so the reel/story "
        "rules apply with 3-60 s and ≤ 100 MB (§2.2's older guides) and 0.1:1 to 10:1 as for "
        "stories. 4:5 recommended, to match feed images: not in GRAPH_NOTES.",
        max_bytes=100 * _MIB,
        aspect_min=Fraction(1, 10),
        aspect_max=Fraction(10),
        recommended_aspect=(4, 5),
        recommended_size=(1080, 1350),
        min_duration=3.0,
        max_duration=60.0,
    ),
    PlacementSpec(
        key="fb_feed_photo",
        label="Facebook Page photo",
        kinds=_IMAGE,
        source="GRAPH_NOTES §3.2 /photos: JPEG, BMP, PNG, GIF, TIFF, ≤ 10 MB (of these we "
        "accept JPEG, PNG and GIF, and write JPEG or PNG); no ratio or size rule is documented.",
        containers=frozenset({"jpeg", "png", "gif"}),
        max_bytes=10 * _MIB,
    ),
    replace(
        _META_VIDEO,
        key="fb_feed_video",
        label="Facebook Page video",
        source="GRAPH_NOTES §3.3 documents no limits for /videos, so these are §4.2's Meta video "
        "specs (MP4/MOV, H.264/H.265, AAC 48 kHz, 16:9 to 9:16, ≤ 10 GB, ≤ 60 fps). 1 s - 240 min "
        "is not in GRAPH_NOTES (Facebook Help Centre, Page videos): re-check.",
        max_bytes=10 * _GIB,
        aspect_min=Fraction(9, 16),
        aspect_max=Fraction(16, 9),
        min_duration=1.0,
        max_duration=240 * 60.0,
    ),
    replace(
        _META_VIDEO,
        key="fb_reel",
        label="Facebook reel",
        source="Not in GRAPH_NOTES (§3.3 only names the /video_reels edge): Facebook Reels "
        "Publishing API video specs, 9:16, ≥ 540 x 960 (1080 x 1920 recommended), 24-60 fps, "
        "3-90 s, H.264/H.265/VP9/AV1 4:2:0, AAC 48 kHz stereo. ≤ 1 GB is our own cap. Re-check.",
        video_codecs=frozenset({"h264", "hevc", "vp9", "av1"}),
        max_bytes=1 * _GIB,
        aspect_min=Fraction(9, 16),
        aspect_max=Fraction(9, 16),
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
        min_width=540,
        min_duration=3.0,
        max_duration=90.0,
        min_fps=24.0,
    ),
    PlacementSpec(
        key="ad_feed_image",
        label="Ad image, feed placements",
        kinds=_IMAGE,
        source="Not in GRAPH_NOTES (§4.1 covers the upload only): Meta Ads Guide, Facebook and "
        "Instagram feeds: JPG or PNG, ≤ 30 MB, 1.91:1 to 4:5 (4:5 recommended, 1440 x 1800), "
        "≥ 600 px wide. Re-check.",
        containers=_JPEG_PNG,
        max_bytes=30 * _MIB,
        aspect_min=Fraction(4, 5),
        aspect_max=Fraction(191, 100),
        recommended_aspect=(4, 5),
        recommended_size=(1440, 1800),
        min_width=600,
    ),
    replace(
        _META_VIDEO,
        key="ad_feed_video",
        label="Ad video, feed placements",
        source="GRAPH_NOTES §4.2 (FB Video Ads guide): MP4, H.264/H.265, AAC-LC 48 kHz, 16:9 to "
        "9:16, ≤ 10 GB, ≤ 60 fps. 4:5 recommended, ≥ 120 px wide and 1 s - 241 min are not in "
        "GRAPH_NOTES (Meta Ads Guide, feed video): re-check.",
        max_bytes=10 * _GIB,
        aspect_min=Fraction(9, 16),
        aspect_max=Fraction(16, 9),
        recommended_aspect=(4, 5),
        recommended_size=(1080, 1350),
        min_width=120,
        min_duration=1.0,
        max_duration=241 * 60.0,
    ),
    PlacementSpec(
        key="ad_story_image",
        label="Ad image, stories and reels placements",
        kinds=_IMAGE,
        source="Not in GRAPH_NOTES: Meta Ads Guide, stories and reels: JPG or PNG, ≤ 30 MB, "
        "9:16 recommended (1080 x 1920), 1.91:1 to 9:16 accepted, ≥ 500 px wide. Re-check.",
        containers=_JPEG_PNG,
        max_bytes=30 * _MIB,
        aspect_min=Fraction(9, 16),
        aspect_max=Fraction(191, 100),
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
        min_width=500,
    ),
    replace(
        _META_VIDEO,
        key="ad_story_video",
        label="Ad video, stories and reels placements",
        source="§4.2's Meta video specs (MP4, H.264/H.265, AAC 48 kHz, ≤ 60 fps) with the "
        "stories/reels placement rules, which are not in GRAPH_NOTES (Meta Ads Guide): 9:16 "
        "recommended, 1.91:1 to 9:16 accepted, ≥ 500 px wide, 1-60 s (the stories limit, the "
        "stricter of the two), ≤ 4 GB. Re-check.",
        max_bytes=4 * _GIB,
        aspect_min=Fraction(9, 16),
        aspect_max=Fraction(191, 100),
        recommended_aspect=(9, 16),
        recommended_size=(1080, 1920),
        reframe_to_recommended=True,
        min_width=500,
        min_duration=1.0,
        max_duration=60.0,
    ),
)

PLACEMENTS: dict[str, PlacementSpec] = {spec.key: spec for spec in _SPECS}


def get_placement(placement_key: str) -> PlacementSpec:
    try:
        return PLACEMENTS[placement_key]
    except KeyError:
        raise ValueError(f"Unknown placement {placement_key!r}") from None


def check_conformance(facts: MediaFacts, placement_key: str) -> list[RuleResult]:
    """One result per rule of the placement, in a stable order.

    A file of the wrong kind gets only the ``kind`` result: nothing else can be judged.
    """
    spec = get_placement(placement_key)
    kind = _check_kind(facts, spec)
    if not kind.ok:
        return [kind]
    results = [kind]
    for check in _CHECKS:
        result = check(facts, spec)
        if result is not None:
            results.append(result)
    return results


def fits(facts: MediaFacts, placement_key: str) -> bool:
    """Tell whether every required rule passes (advisory ones don't count)."""
    return all(result.ok or result.advisory for result in check_conformance(facts, placement_key))


def fitting_placements(facts: MediaFacts) -> list[str]:
    return [key for key in PLACEMENTS if fits(facts, key)]


def _check_kind(facts: MediaFacts, spec: PlacementSpec) -> RuleResult:
    needed = " or ".join(_KIND_ARTICLES[kind] for kind in sorted(spec.kinds))
    actual = _KIND_ARTICLES.get(facts.kind, facts.kind)
    if facts.kind in spec.kinds:
        return RuleResult("kind", True, f"{_cap(actual)}, as needed.", needed, actual, False)
    return RuleResult(
        "kind", False, f"{_cap(needed)} is needed; this is {actual}.", needed, actual, False
    )


def _check_container(facts: MediaFacts, spec: PlacementSpec) -> RuleResult:
    expected = _either(_CONTAINER_NAMES[name] for name in _ordered(spec.containers))
    actual = _CONTAINER_NAMES.get(facts.container, facts.container)
    if facts.container in spec.containers:
        return RuleResult("container", True, f"{actual}, as needed.", expected, actual, True)
    return RuleResult(
        "container", False, f"{expected} needed, this is {actual}.", expected, actual, True
    )


def _check_size(facts: MediaFacts, spec: PlacementSpec) -> RuleResult:
    expected = f"at most {format_bytes(spec.max_bytes)}"
    actual = format_bytes(facts.size_bytes)
    if facts.size_bytes <= spec.max_bytes:
        message = f"{actual}, within the {format_bytes(spec.max_bytes)} limit."
        return RuleResult("file_size", True, message, expected, actual, True)
    message = f"At most {format_bytes(spec.max_bytes)}; this is {actual}."
    return RuleResult("file_size", False, message, expected, actual, True)


def _check_aspect(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.aspect_min is None and spec.aspect_max is None:
        return None
    low = spec.aspect_min or Fraction(0)
    high = spec.aspect_max or Fraction(10_000)
    expected = (
        describe_ratio(low) if low == high else f"{describe_ratio(low)} to {describe_ratio(high)}"
    )
    actual, ratio = _actual_aspect(facts)
    if ratio is None:
        return RuleResult(
            "aspect_ratio", False, "The picture size couldn't be read.", expected, "unknown", False
        )
    ok = float(low) * (1 - ASPECT_TOLERANCE) <= ratio <= float(high) * (1 + ASPECT_TOLERANCE)
    if ok:
        message = f"{actual}, as needed." if low == high else f"{actual}, within {expected}."
    else:
        message = f"{expected} needed, this is {actual}."
    return RuleResult("aspect_ratio", ok, message, expected, actual, True)


def _check_recommended_aspect(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    # Only where the hard range is wider than the recommendation: otherwise aspect_ratio says it all.
    fixed = spec.aspect_min is not None and spec.aspect_min == spec.aspect_max
    if spec.recommended_aspect is None or fixed:
        return None
    expected = describe_aspect(*spec.recommended_aspect)
    actual, ratio = _actual_aspect(facts)
    target = spec.recommended_aspect[0] / spec.recommended_aspect[1]
    ok = ratio is not None and abs(ratio / target - 1) <= ASPECT_TOLERANCE
    message = (
        f"{actual}, the recommended ratio."
        if ok
        else f"{expected} recommended, this is {actual}: it will show cropped or with bars."
    )
    return RuleResult("recommended_aspect", ok, message, expected, actual, True, advisory=True)


def _actual_aspect(facts: MediaFacts) -> tuple[str, float | None]:
    width, height = facts.display_width, facts.display_height
    if not width or not height:
        return "unknown", None
    return describe_aspect(width, height), width / height


def _check_width(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.min_width is None and spec.max_width is None:
        return None
    expected = _bounds_text(spec.min_width, spec.max_width, lambda px: f"{px:,} px")
    width = facts.display_width
    if width is None:
        return RuleResult(
            "width", False, "The picture size couldn't be read.", expected, "unknown", False
        )
    actual = f"{width:,} px"
    if spec.min_width is not None and width < spec.min_width:
        message = f"At least {spec.min_width:,} px wide needed; this is {actual}."
        return RuleResult("width", False, message, expected, actual, True)
    if spec.max_width is not None and width > spec.max_width:
        message = f"At most {spec.max_width:,} px wide; this is {actual}."
        return RuleResult("width", False, message, expected, actual, True)
    low = f"{spec.min_width:,} px" if spec.min_width is not None else None
    high = f"{spec.max_width:,} px" if spec.max_width is not None else None
    message = _within(f"{actual} wide", low, high)
    return RuleResult("width", True, message, expected, actual, True)


def _check_duration(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.min_duration is None and spec.max_duration is None:
        return None
    expected = _bounds_text(spec.min_duration, spec.max_duration, format_duration)
    seconds = facts.duration_seconds
    if seconds is None:
        return RuleResult(
            "duration", False, "The duration couldn't be measured.", expected, "unknown", False
        )
    if spec.min_duration is not None and seconds < spec.min_duration - DURATION_TOLERANCE:
        actual = format_duration(seconds, rounding="down")
        message = (
            f"At least {format_duration(spec.min_duration)}; this is {actual}. "
            "A transcode can't make it longer."
        )
        return RuleResult("duration", False, message, expected, actual, False)
    if spec.max_duration is not None and seconds > spec.max_duration + DURATION_TOLERANCE:
        actual = format_duration(seconds, rounding="up")
        message = f"At most {format_duration(spec.max_duration)}; this is {actual}."
        return RuleResult("duration", False, message, expected, actual, True)
    actual = format_duration(seconds)
    low = format_duration(spec.min_duration) if spec.min_duration is not None else None
    high = format_duration(spec.max_duration) if spec.max_duration is not None else None
    return RuleResult("duration", True, _within(actual, low, high), expected, actual, True)


def _check_video_codec(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if not spec.video_codecs:
        return None
    expected = _either(_CODEC_NAMES[name] for name in _ordered(spec.video_codecs))
    actual = _CODEC_NAMES.get(facts.video_codec, facts.video_codec or "unknown")
    if facts.video_codec in spec.video_codecs:
        return RuleResult("video_codec", True, f"{actual}, as needed.", expected, actual, True)
    return RuleResult(
        "video_codec", False, f"{expected} needed, this is {actual}.", expected, actual, True
    )


def _check_chroma(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if not spec.pixel_formats:
        return None
    expected = "4:2:0 colour (yuv420p)"
    actual = facts.pixel_format or "unknown"
    if facts.pixel_format in spec.pixel_formats:
        return RuleResult(
            "chroma", True, f"4:2:0 colour ({actual}), as needed.", expected, actual, True
        )
    message = f"4:2:0 colour (yuv420p) needed, this is {actual}."
    return RuleResult("chroma", False, message, expected, actual, True)


def _check_fps(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.min_fps is None and spec.max_fps is None:
        return None
    if spec.min_fps is not None and spec.max_fps is not None:
        expected = f"{spec.min_fps:g}-{format_fps(spec.max_fps)}"
    else:
        expected = _bounds_text(spec.min_fps, spec.max_fps, format_fps)
    if facts.fps is None:
        return RuleResult(
            "frame_rate", False, "The frame rate couldn't be measured.", expected, "unknown", True
        )
    actual = format_fps(facts.fps)
    too_slow = spec.min_fps is not None and facts.fps < spec.min_fps - FPS_TOLERANCE
    too_fast = spec.max_fps is not None and facts.fps > spec.max_fps + FPS_TOLERANCE
    if too_slow or too_fast:
        message = f"{_cap(expected)} needed, this is {actual}."
        return RuleResult("frame_rate", False, message, expected, actual, True)
    if spec.min_fps is not None and spec.max_fps is not None:
        message = f"{actual}, within {expected}."
    else:
        low = format_fps(spec.min_fps) if spec.min_fps is not None else None
        high = format_fps(spec.max_fps) if spec.max_fps is not None else None
        message = _within(actual, low, high)
    return RuleResult("frame_rate", True, message, expected, actual, True)


def _check_bitrate(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.max_bitrate is None:
        return None
    expected = f"at most {format_bitrate(spec.max_bitrate)}"
    if facts.bitrate is None:
        return RuleResult(
            "bitrate", False, "The bitrate couldn't be measured.", expected, "unknown", True
        )
    actual = format_bitrate(facts.bitrate)
    if facts.bitrate <= spec.max_bitrate:
        message = _within(actual, None, format_bitrate(spec.max_bitrate))
        return RuleResult("bitrate", True, message, expected, actual, True)
    message = f"At most {format_bitrate(spec.max_bitrate)}; this is {actual}."
    return RuleResult("bitrate", False, message, expected, actual, True)


def _check_faststart(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if not spec.requires_faststart:
        return None
    # Marketers read these: "set up for streaming" means the MP4 index (moov atom) comes first.
    expected = "set up for streaming"
    if facts.faststart:
        return RuleResult(
            "faststart",
            True,
            "Set up for streaming, as needed.",
            expected,
            "set up for streaming",
            True,
        )
    if facts.faststart is False:
        actual = "not set up for streaming"
        message = (
            "The file must be set up for streaming (so it can play while it downloads); "
            "this one isn't."
        )
    else:
        actual = "unknown"
        message = (
            "The file must be set up for streaming (so it can play while it downloads); "
            "we couldn't tell whether this one is."
        )
    return RuleResult("faststart", False, message, expected, actual, True)


def _check_audio_present(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.audio != "required":
        return None
    expected = "an audio track"
    if facts.has_audio:
        return RuleResult(
            "audio", True, "Has an audio track, as needed.", expected, "audio track", True
        )
    message = "An audio track is needed (silence will do); this has none."
    return RuleResult("audio", False, message, expected, "no audio track", True)


def _check_audio_codec(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if not spec.audio_codecs:
        return None
    expected = _either(_CODEC_NAMES[name] for name in _ordered(spec.audio_codecs)) + " audio"
    if not facts.has_audio:
        return _no_audio("audio_codec", expected)
    actual = _CODEC_NAMES.get(facts.audio_codec, facts.audio_codec or "unknown")
    if facts.audio_codec in spec.audio_codecs:
        return RuleResult(
            "audio_codec", True, f"{actual} audio, as needed.", expected, actual, True
        )
    return RuleResult(
        "audio_codec", False, f"{expected} needed, this is {actual}.", expected, actual, True
    )


def _check_sample_rate(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.max_sample_rate is None:
        return None
    expected = f"at most {spec.max_sample_rate / 1000:g} kHz"
    if not facts.has_audio:
        return _no_audio("audio_sample_rate", expected)
    if facts.sample_rate is None:
        return RuleResult(
            "audio_sample_rate",
            False,
            "The sample rate couldn't be read.",
            expected,
            "unknown",
            True,
        )
    actual = f"{facts.sample_rate / 1000:g} kHz"
    if facts.sample_rate <= spec.max_sample_rate:
        return RuleResult(
            "audio_sample_rate",
            True,
            _within(actual, None, f"{spec.max_sample_rate / 1000:g} kHz"),
            expected,
            actual,
            True,
        )
    message = f"At most {spec.max_sample_rate / 1000:g} kHz; this is {actual}."
    return RuleResult("audio_sample_rate", False, message, expected, actual, True)


def _check_channels(facts: MediaFacts, spec: PlacementSpec) -> RuleResult | None:
    if spec.max_audio_channels is None:
        return None
    expected = (
        "mono or stereo"
        if spec.max_audio_channels == 2
        else f"at most {spec.max_audio_channels} channels"
    )
    if not facts.has_audio:
        return _no_audio("audio_channels", expected)
    channels = facts.audio_channels or 0
    actual = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
    if 0 < channels <= spec.max_audio_channels:
        return RuleResult(
            "audio_channels", True, f"{_cap(actual)}, as needed.", expected, actual, True
        )
    message = f"{_cap(expected)} needed; this has {channels} channels."
    return RuleResult("audio_channels", False, message, expected, actual, True)


def _within(actual: str, low: str | None, high: str | None) -> str:
    if low and high:
        return f"{actual}, within {low} to {high}."
    if high:
        return f"{actual}, within the {high} limit."
    return f"{actual}, above the {low} minimum."


def _no_audio(rule: str, expected: str) -> RuleResult:
    return RuleResult(
        rule, True, "No audio track; nothing to check.", expected, "no audio track", True
    )


_CHECKS = (
    _check_container,
    _check_size,
    _check_aspect,
    _check_recommended_aspect,
    _check_width,
    _check_duration,
    _check_video_codec,
    _check_chroma,
    _check_fps,
    _check_bitrate,
    _check_faststart,
    _check_audio_present,
    _check_audio_codec,
    _check_sample_rate,
    _check_channels,
)

# Messages list choices in this order, not alphabetically: the usual one first.
_PREFERRED_ORDER = ("jpeg", "png", "gif", "mp4", "mov", "h264", "hevc", "vp9", "av1", "aac")


def _ordered(names: frozenset[str]) -> list[str]:
    rank = {name: index for index, name in enumerate(_PREFERRED_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def _either(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _bounds_text(low: float | None, high: float | None, render: Callable[[float], str]) -> str:
    if low is not None and high is not None:
        return f"{render(low)} to {render(high)}"
    if low is not None:
        return f"at least {render(low)}"
    return f"at most {render(high or 0)}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
