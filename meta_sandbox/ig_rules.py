"""Instagram publishing rules: Meta's 2207xxx errors and the media checks behind them.

`ig_error(subcode)` builds the envelope for one row of GRAPH_NOTES §2.9 (HTTP 400,
code, subcode, Meta's message and user title/message). `check_image_url()` runs in the
request (Meta answers image problems on `POST /media` itself, as the doc's own 36000
example shows); `video_work()` runs in a background `MediaJob` and returns the
outcome the container's status will show (video problems surface as `ERROR` with the
subcode in `status`, §2.4).
"""

import re
from typing import Any

from meta_sandbox import errors
from meta_sandbox.errors import GraphError
from meta_sandbox.media_check import (
    MediaProblem,
    VideoSpec,
    check_video,
    fetch,
    inspect_image,
    inspect_video,
)

MIB = 1024 * 1024
IMAGE_MAX_BYTES = 8 * MIB
FEED_RATIO_MIN, FEED_RATIO_MAX = 4 / 5, 1.91  # §2.2 feed and carousel images
CAPTION_MAX_CHARS, CAPTION_MAX_HASHTAGS, CAPTION_MAX_MENTIONS = 2200, 30, 20

# §2.2; carousel video items are not restated for 2026, so story limits (§12 #14).
REELS_SPEC = VideoSpec(300 * MIB, 3, 15 * 60, 0.01, 10)
STORY_SPEC = VideoSpec(100 * MIB, 3, 60, 0.1, 10)
CAROUSEL_VIDEO_SPEC = VideoSpec(100 * MIB, 3, 60, 0.01, 10)

# subcode -> (code, message, user title, user message, is_transient)   (GRAPH_NOTES §2.9)
IG_ERRORS: dict[int, tuple[int, str, str, str, bool]] = {
    2207001: (
        -1,
        "An unexpected error has occurred. Please retry your request later.",
        "Instagram server error",
        "Instagram had a problem processing the media. Please try again.",
        True,
    ),
    2207003: (
        -2,
        "Timed out while downloading the media.",
        "Media download timed out",
        "It took too long to download the media. Please try again.",
        True,
    ),
    2207008: (
        24,
        "The media container does not exist or has expired.",
        "Media container not found",
        "The media container was not found or has expired. Create a new one.",
        False,
    ),
    2207020: (
        -2,
        "The media has expired.",
        "Media expired",
        "The media container has expired. Create a new one.",
        False,
    ),
    2207023: (
        100,
        "The media type is unknown or not supported.",
        "Unknown media type",
        "The media type is not supported for this request.",
        False,
    ),
    2207026: (
        352,
        "The video format is not supported.",
        "Unsupported video format",
        "The video format is not supported. Use MOV or MP4 that meets the video specifications.",
        False,
    ),
    2207027: (
        9007,
        "Media ID is not available",
        "Media not ready for publishing",
        "The media is not ready for publishing, please wait for a moment",
        True,
    ),
    2207028: (
        100,
        "Carousel validation failed.",
        "Invalid number of carousel items",
        "A carousel must have between 2 and 10 items.",
        False,
    ),
    2207040: (
        100,
        "Too many @ tags in the caption.",
        "Too many tags",
        "A caption can mention at most 20 accounts.",
        False,
    ),
    2207042: (
        9,
        "Application request limit reached",
        "Maximum posts reached",
        "You have reached the maximum number of posts that can be published through the API in 24 hours.",
        False,
    ),
    2207052: (
        9004,
        "Media download has failed. The media URI doesn't meet our requirements.",
        "Media could not be fetched",
        "The media could not be fetched from the URL. Make sure it is public and reachable.",
        False,
    ),
    2207057: (
        1,
        "The thumbnail offset is outside the video.",
        "Invalid thumbnail offset",
        "The thumbnail offset must be within the video's duration.",
        False,
    ),
    2207004: (
        36000,
        "The image size is too large.",
        "Image size too large",
        "The image is too large to download. It should be less than 8 MiB.",
        False,
    ),
    2207005: (
        36001,
        "The image format is not supported.",
        "Unsupported image format",
        "The image format is not supported. Supported formats: JPEG.",
        False,
    ),
    2207009: (
        36003,
        "The aspect ratio is not supported.",
        "Invalid aspect ratio",
        "The image's aspect ratio must be between 4:5 and 1.91:1.",
        False,
    ),
    2207010: (
        36004,
        "The caption is too long.",
        "Caption too long",
        "A caption can have at most 2,200 characters and 30 hashtags.",
        False,
    ),
}


def ig_error_spec(subcode: int, detail: str | None = None) -> dict[str, Any]:
    code, message, title, user_msg, transient = IG_ERRORS[subcode]
    return {
        "code": code,
        "error_subcode": subcode,
        "message": f"{message} ({detail})" if detail else message,
        "error_user_title": title,
        "error_user_msg": user_msg,
        "is_transient": transient,
    }


def error_from_spec(spec: dict[str, Any]) -> GraphError:
    """Return the envelope for a stored error spec; every IG publishing error is HTTP 400."""
    return errors.from_spec(spec, http_status=400)


def ig_error(subcode: int, detail: str | None = None) -> GraphError:
    return error_from_spec(ig_error_spec(subcode, detail))


def check_caption(caption: str) -> None:
    if len(caption) > CAPTION_MAX_CHARS or len(re.findall(r"#\w", caption)) > CAPTION_MAX_HASHTAGS:
        raise ig_error(2207010)
    if len(re.findall(r"(?<![\w.])@[\w.]+", caption)) > CAPTION_MAX_MENTIONS:
        raise ig_error(2207040)


def _image_problem_subcode(problem: MediaProblem) -> int:
    return {"timeout": 2207003, "too_large": 2207004, "fetch": 2207052}.get(problem.kind, 2207005)


def fetch_jpeg(url: str, *, feed_ratio: bool) -> dict[str, Any]:
    """Download and check one JPEG; return its info or raise MediaProblem with a subcode."""
    data = fetch(url, max_bytes=IMAGE_MAX_BYTES)
    info = inspect_image(data)
    if info.format != "JPEG":
        raise MediaProblem("format", f"{info.format} is not JPEG")
    if (
        feed_ratio
        and info.height
        and not (FEED_RATIO_MIN - 0.005 <= info.aspect_ratio <= FEED_RATIO_MAX + 0.005)
    ):
        raise MediaProblem("ratio", f"{info.width}x{info.height}")
    return {"format": info.format, "width": info.width, "height": info.height, "size": info.size}


def check_image_url(url: str, *, feed_ratio: bool) -> dict[str, Any]:
    """Fetch and check an image container's image; raise the IG error Meta would give."""
    try:
        return fetch_jpeg(url, feed_ratio=feed_ratio)
    except MediaProblem as problem:
        subcode = 2207009 if problem.kind == "ratio" else _image_problem_subcode(problem)
        raise ig_error(subcode, problem.reason) from problem


def _video_problem_subcode(problem: MediaProblem) -> int:
    return {"timeout": 2207003, "fetch": 2207052}.get(problem.kind, 2207026)


def video_work(
    *,
    spec: VideoSpec,
    video_url: str | None,
    uploaded: bytes | None,
    cover_url: str | None,
    thumb_offset_ms: int | None,
) -> dict[str, Any]:
    """Fetch (unless uploaded) and check a video container's media, in a job thread.

    Returns `{"media_info": {...}}` or `{"error": <IG error spec>}`.
    """
    try:
        data = (
            uploaded if uploaded is not None else fetch(video_url or "", max_bytes=spec.max_bytes)
        )
        info = inspect_video(data)
        check_video(info, spec)
    except MediaProblem as problem:
        return {"error": ig_error_spec(_video_problem_subcode(problem), problem.reason)}
    if thumb_offset_ms and info.checked == "pyav" and thumb_offset_ms > info.duration * 1000:
        return {"error": ig_error_spec(2207057, f"{thumb_offset_ms} ms > {info.duration:.2f} s")}
    if cover_url:
        try:
            fetch_jpeg(cover_url, feed_ratio=False)
        except MediaProblem as problem:
            return {"error": ig_error_spec(_image_problem_subcode(problem), problem.reason)}
    media_info = {
        "container": info.container,
        "width": info.width,
        "height": info.height,
        "duration": info.duration,
        "fps": info.fps,
        "video_codec": info.video_codec,
        "audio_codec": info.audio_codec,
        "size": info.size,
        "checked": info.checked,
    }
    return {"media_info": media_info}
