"""Make a new file that fits a placement: video through ffmpeg, images through Pillow.

Video comes out as MP4: H.264 High, yuv420p, closed GOPs of 2 s, AAC-LC 48 kHz stereo,
``+faststart``, metadata, chapters, subtitles and data tracks dropped, rotation applied to
the pixels (ffmpeg autorotates), the frame rate held inside the placement's range, the
bitrate capped (``-maxrate``/``-bufsize``) by both the placement's limit and its file-size
limit over the trimmed duration, and the length trimmed to the placement's maximum. A silent
track is added when the placement requires audio and the source has none.

Reframing, when the source's shape doesn't fit (or the placement is full-screen vertical,
``reframe_to_recommended``): ``fill="crop"`` covers the frame and cuts the overflow, centred;
``fill="blur"`` fits the whole picture and fills the bars with a blurred, zoomed copy of
itself. Output size is the placement's recommended size, but never larger than the source
can fill (upscaling adds bytes, not detail; Meta scales for display anyway) unless the
placement's minimum width requires it or ``upscale=True``.

Images get the same frame plan (crop/blur/scale with Pillow) and are written as JPEG, or PNG
where the placement takes PNG and the image uses transparency.
"""

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from creatives.library.media import images
from creatives.library.media.encoding import (
    AAC_ARGS,
    AUDIO_BITRATE,
    AUDIO_SAMPLE_RATE,
    GOP_SECONDS,
    h264_args,
    mp4_output_args,
)
from creatives.library.media.errors import MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.media.inspect import inspect_file
from creatives.library.media.sniff import Sniffed
from creatives.library.media.specs import (
    ASPECT_TOLERANCE,
    FPS_TOLERANCE,
    PlacementSpec,
    get_placement,
)

# x264 "veryfast": on our 2-core workers it encodes 1080x1920 several times faster than
# "medium" (the default) for ~10-15 % more bytes at the same CRF; "ultrafast"/"superfast"
# drop CABAC/B-frame features and cost far more bytes. The bitrate cap bounds the size anyway.
X264_PRESET = "veryfast"
DEFAULT_MAX_VIDEO_BITRATE = 8_000_000  # placements without a limit: ample for 1080p at CRF 21
MIN_VIDEO_BITRATE = 300_000
DEFAULT_FPS = 30
DEFAULT_VIDEO_LONG_SIDE = 1920  # placements without a recommended size: at most 1080p
DEFAULT_IMAGE_LONG_SIDE = 2048  # Facebook photos display up to 2048 px
SIZE_HEADROOM = 0.92  # container overhead and VBV overshoot under a file-size limit
_BLUR_SHRINK = 8  # the blurred background is made at 1/8 size, then scaled up


@dataclass(frozen=True)
class TranscodePlan:
    frame: images.Frame
    fps: Fraction | None  # None for images
    duration_seconds: float | None  # of the output (after trimming)
    trim: bool
    video_maxrate: int
    audio: str  # "keep", "silent" (add a silent track) or "none"


def plan_transcode(
    facts: MediaFacts, placement_key: str, *, fill: str = "blur", upscale: bool = False
) -> TranscodePlan:
    """Decide output size, framing, frame rate, length, bitrate cap and audio for a placement."""
    if fill not in ("blur", "crop"):
        raise ValueError(f"fill must be 'blur' or 'crop', not {fill!r}")
    spec = get_placement(placement_key)
    _require_kind(facts, spec)
    frame = _plan_frame(facts, spec, fill=fill, upscale=upscale)
    if facts.kind == "image":
        return TranscodePlan(frame, None, None, False, 0, "none")
    duration = facts.duration_seconds
    trim = bool(spec.max_duration and duration and duration > spec.max_duration)
    if trim:
        duration = spec.max_duration
    audio = "keep" if facts.has_audio else ("silent" if spec.audio == "required" else "none")
    return TranscodePlan(
        frame=frame,
        fps=_plan_fps(facts.fps, spec),
        duration_seconds=duration,
        trim=trim,
        video_maxrate=_plan_maxrate(spec, duration, with_audio=audio != "none"),
        audio=audio,
    )


def build_transcode_args(
    src: Path,
    dst: Path,
    *,
    facts: MediaFacts,
    placement_key: str,
    fill: str = "blur",
    upscale: bool = False,
) -> list[str]:
    """Return the ffmpeg arguments (for ``run_ffmpeg``) that turn a video into a fitting MP4."""
    plan = plan_transcode(facts, placement_key, fill=fill, upscale=upscale)
    if facts.kind != "video" or plan.fps is None:
        raise ValueError("build_transcode_args is for video; images go through transcode_to_spec")
    graph = _video_filters(plan.frame, plan.fps, slowing=_is_slowing(facts.fps, plan.fps))
    maps = ["-map", "[v]"]
    if plan.audio == "keep":
        maps += ["-map", "0:a:0"]
    elif plan.audio == "silent":
        graph += f";anullsrc=channel_layout=stereo:sample_rate={AUDIO_SAMPLE_RATE}[a]"
        maps += ["-map", "[a]"]
    args = ["-y", "-i", str(src.resolve()), "-filter_complex", graph, *maps]
    args += h264_args(
        preset=X264_PRESET,
        maxrate=plan.video_maxrate,
        gop_frames=round(float(plan.fps) * GOP_SECONDS),
    )
    args += ["-an"] if plan.audio == "none" else list(AAC_ARGS)
    if plan.duration_seconds is not None and (plan.trim or plan.audio == "silent"):
        args += ["-t", f"{plan.duration_seconds:.3f}"]  # the silent source never ends by itself
    return args + mp4_output_args(dst)


def transcode_to_spec(
    src: Path,
    dst: Path,
    *,
    facts: MediaFacts,
    placement_key: str,
    fill: str = "blur",
    on_progress: Callable[[float], None] | None = None,
    timeout: float,
    upscale: bool = False,
) -> MediaFacts:
    """Write a new file at ``dst`` that fits ``placement_key``; return its (re-inspected) facts.

    ``facts`` are ``src``'s, from ``inspect_file``. What a transcode can't fix (too short,
    wrong kind) stays unfixed: check the result with ``specs.check_conformance``.
    """
    plan = plan_transcode(facts, placement_key, fill=fill, upscale=upscale)
    try:
        if facts.kind == "image":
            _render_image(src, dst, facts, get_placement(placement_key), plan.frame)
            if on_progress is not None:
                on_progress(100.0)
        else:
            run_ffmpeg(
                build_transcode_args(
                    src, dst, facts=facts, placement_key=placement_key, fill=fill, upscale=upscale
                ),
                timeout=timeout,
                on_progress=on_progress,
                duration_seconds=plan.duration_seconds,
            )
    except BaseException:
        dst.unlink(missing_ok=True)  # never leave half a file that looks like a result
        raise
    return inspect_file(dst)


def _require_kind(facts: MediaFacts, spec: PlacementSpec) -> None:
    if facts.kind not in spec.kinds:
        needed = " or ".join(sorted(spec.kinds))
        raise MediaRejected(
            f"{spec.label} needs {'an' if needed[0] in 'aeiou' else 'a'} {needed}; this file is "
            f"{facts.kind}, which a transcode can't change.",
            code="wrong_kind",
        )


def _plan_frame(
    facts: MediaFacts, spec: PlacementSpec, *, fill: str, upscale: bool
) -> images.Frame:
    source_w, source_h = facts.display_width, facts.display_height
    if not source_w or not source_h:
        raise MediaRejected("The picture size couldn't be read.", code="corrupt")
    source_ratio = Fraction(source_w, source_h)
    target_ratio = _target_ratio(source_ratio, spec)
    reframing = abs(float(target_ratio / source_ratio) - 1) > ASPECT_TOLERANCE
    if not reframing:
        target_ratio = source_ratio
    width, height = _box(target_ratio, spec, facts, reframing=reframing, fill=fill)
    scale = 1.0
    if not upscale:
        # The largest output the source can fill without being enlarged.
        if reframing and fill == "blur":
            needed = max(source_w / width, source_h / height)
        else:
            needed = min(source_w / width, source_h / height)
        scale = min(1.0, needed)
    if spec.max_width and width * scale > spec.max_width:
        scale = spec.max_width / width
    if spec.min_width and width * scale < spec.min_width:
        scale = spec.min_width / width
    out_w = _even(width * scale)
    out_h = _even(out_w / float(target_ratio))
    return images.Frame(out_w, out_h, fill if reframing else "none")


def _target_ratio(source: Fraction, spec: PlacementSpec) -> Fraction:
    if spec.reframe_to_recommended and spec.recommended_aspect:
        return Fraction(*spec.recommended_aspect)
    if spec.aspect_min is not None and source < spec.aspect_min * Fraction(1 - ASPECT_TOLERANCE):
        return spec.aspect_min
    if spec.aspect_max is not None and source > spec.aspect_max * Fraction(1 + ASPECT_TOLERANCE):
        return spec.aspect_max
    return source


def _box(
    ratio: Fraction, spec: PlacementSpec, facts: MediaFacts, *, reframing: bool, fill: str
) -> tuple[float, float]:
    """Return the full-size output for ``ratio``, before the no-upscale rule."""
    source_w, source_h = facts.display_width or 0, facts.display_height or 0
    if spec.recommended_size:
        short = min(spec.recommended_size)
        width, height = (
            (short * ratio, Fraction(short)) if ratio >= 1 else (Fraction(short), short / ratio)
        )
        long_cap = max(spec.recommended_size)
    else:
        # No recommendation: the source's own resolution, cut to the ratio (crop) or
        # extended to it (blur).
        wider = ratio > Fraction(source_w, source_h)
        if not reframing:
            width, height = Fraction(source_w), Fraction(source_h)
        elif (fill == "crop") == wider:
            width, height = Fraction(source_w), source_w / ratio
        else:
            width, height = source_h * ratio, Fraction(source_h)
        long_cap = DEFAULT_VIDEO_LONG_SIDE if facts.kind == "video" else DEFAULT_IMAGE_LONG_SIDE
    fit = min(1.0, long_cap / float(max(width, height)))
    return float(width) * fit, float(height) * fit


def _plan_fps(source: float | None, spec: PlacementSpec) -> Fraction:
    fps = source or DEFAULT_FPS
    if spec.max_fps is not None and fps > spec.max_fps + FPS_TOLERANCE:
        fps = spec.max_fps
    if spec.min_fps is not None and fps < spec.min_fps - FPS_TOLERANCE:
        fps = DEFAULT_FPS if spec.max_fps is None or spec.max_fps >= DEFAULT_FPS else spec.min_fps
    # 29.97 stays 30000/1001 rather than becoming 2997/100.
    return Fraction(fps).limit_denominator(1001)


def _is_slowing(source: float | None, target: Fraction) -> bool:
    return source is not None and source > float(target) + FPS_TOLERANCE


def _plan_maxrate(spec: PlacementSpec, duration: float | None, *, with_audio: bool) -> int:
    audio = AUDIO_BITRATE if with_audio else 0
    cap = (spec.max_bitrate - audio) if spec.max_bitrate else DEFAULT_MAX_VIDEO_BITRATE
    if duration:
        cap = min(cap, int(spec.max_bytes * 8 * SIZE_HEADROOM / duration) - audio)
    return max(MIN_VIDEO_BITRATE, cap)


def _video_filters(frame: images.Frame, fps: Fraction, *, slowing: bool) -> str:
    # Dropping frames first saves scaling them; adding frames is done last for the same reason.
    rate = f"fps={fps}"
    head = f"[0:v]{rate}," if slowing else "[0:v]"
    tail = "" if slowing else f",{rate}"
    w, h = frame.width, frame.height
    if frame.fill == "crop":
        return f"{head}scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1{tail},format=yuv420p[v]"
    if frame.fill == "blur":
        bw, bh = max(16, _even(w / _BLUR_SHRINK)), max(16, _even(h / _BLUR_SHRINK))
        return (
            f"{head}split=2[bg][fg];"
            f"[bg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
            "boxblur=luma_radius='min(w,h)/8':luma_power=2:chroma_radius='min(cw,ch)/8':chroma_power=2,"
            f"scale={w}:{h},setsar=1[bgb];"
            f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease,setsar=1[fgs];"
            f"[bgb][fgs]overlay=x=(main_w-overlay_w)/2:y=(main_h-overlay_h)/2{tail},format=yuv420p[v]"
        )
    return f"{head}scale={w}:{h},setsar=1{tail},format=yuv420p[v]"


def _render_image(
    src: Path, dst: Path, facts: MediaFacts, spec: PlacementSpec, frame: images.Frame
) -> None:
    with images.open_image(src, Sniffed("image", facts.container)) as opened:
        picture = images.reframe(images.upright_srgb(opened), frame)
    use_png = picture.mode == "RGBA" and "png" in spec.containers
    container = "png" if use_png or "jpeg" not in spec.containers else "jpeg"
    images.save_image(picture, dst, container=container, max_bytes=spec.max_bytes)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
