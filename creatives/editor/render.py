r"""Render an edit document (v1, see ``docs/editor.md``) with one ffmpeg run.

The proxy preview, a frame at time *t* and the final render all come from ``build_render``:
one filter graph, one code path. The proxy only changes the output size (540 px on the short
side) and the x264 preset. So what the editor shows is what renders.

A frame at *t* is the **window** of that graph around *t*: the clips showing then (one, or
two or more inside a transition), or the end card, built by the same code with the same
filters, each input seeked on the input side to the frame it shows, then the logo and the
words on screen at their timeline time. ``_frame_window`` finds those clips by following the
whole graph frame by frame as ffmpeg counts (trims, ``xfade`` offsets and ``concat`` joins
in 1/30 s frames), so the window's frame is the whole graph's frame at *t*, pixel for pixel
(``tests/creatives/editor/test_render.py`` compares them), but costs one short decode
instead of everything before *t* (~0.1 s rather than seconds late in a long edit; one
thread per decoder, and the ASS script keeps only the lines showing near *t*). A frame is a
PNG, or raw RGB that ``render_frame`` turns into a JPEG with Pillow (JFIF's colours, which
browsers decode). ``whole_timeline=True`` still builds the frame from the whole graph with ``-ss t`` on the
output side, as the reference. For that equality nothing may depend on which filters sit
around a clip: every clip is composed in one pixel format chosen by the document (4:4:4 when
it has a transition, else 4:2:0), limited range, BT.709 (a video is taken as BT.709 as it is,
without conversion, as it played before; images are converted), and the result becomes 4:2:0
once, at the end; ``concat`` is brought back to the 1/30 s time base.

``build_render(document, ratio, sources)`` is pure: it returns an ``FfmpegPlan`` (the
arguments, the ASS script and the font files the work folder needs) and touches no file.
``render(...)`` writes the plan's files into a private work folder, runs ffmpeg through the
hardened runner (protocol whitelist, no URLs, timeout, progress, its own process group),
re-inspects the output and only then renames it into place: a failure leaves nothing.

The graph, per clip: input-side ``-ss in -t (out - in)`` (an image is looped for its
duration); a video is tagged BT.709; ``setpts`` divides time by the speed and ``atempo``
follows it; ``fps=30``; the framing for the ratio (``crop``: the source-relative rectangle,
then cover; ``fit``: letterboxed on black; ``blur``: fitted over a blurred, zoomed copy of
itself; ``fill``: cover, centred); the document's pixel format; padded and trimmed to its
exact length. Clip audio is resampled to 48 kHz stereo, its volume set, or replaced by
silence when muted or absent, so every clip has both streams. Joins: ``concat`` for a cut,
``xfade`` (fade / slideleft) plus ``acrossfade`` for a transition, which overlap the two
clips by its duration. The end card is a black ``color`` source with silence. Then the logo
(``overlay``), then every word on screen through one ``ass`` filter (libass gets our font
and the emoji fonts, and the CJK collection only when a line is drawn with it: loading it
costs ~40 ms). Audio tracks are trimmed, faded, delayed to their start and cut at the end;
music marked ``duck`` is lowered by ``sidechaincompress`` keyed by the voice and the clips'
own sound; everything is mixed with ``amix normalize=0`` and limited.

User text (texts, captions, end card) never enters the filter graph: it goes into the ASS
file (escaped with ``compose.text.escape_ass``: ``{``/``}`` can't open override blocks and a
backslash can't start an escape). The graph holds only our numbers, our labels and the
escaped paths of files we wrote (the ASS script and the fonts folder); source paths are
``-i`` arguments.

Output: ``PLACEMENT_SIZES`` per ratio (the placement's recommended size), H.264 High
yuv420p (BT.709), 30 fps, closed 2 s GOPs, AAC-LC 128 kbps 48 kHz stereo, ``+faststart``, no
metadata.
"""

import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageFont

from creatives.library.errors import MediaError
from creatives.library.media.encoding import (
    AAC_ARGS,
    AUDIO_BITRATE,
    AUDIO_SAMPLE_RATE,
    GOP_SECONDS,
    h264_args,
    mp4_output_args,
)
from creatives.library.media.errors import FfmpegError, MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.media.inspect import inspect_file
from creatives.studio import frames
from creatives.studio.compose import text

FPS = 30
RATIOS = ("9:16", "1:1", "4:5", "16:9")
# The placement each ratio is rendered for, and its recommended size.
PLACEMENT_FOR_RATIO = {
    "9:16": "ig_reel",
    "1:1": "ig_feed_video",
    "4:5": "ig_feed_video",
    "16:9": "fb_feed_video",
}
PLACEMENT_SIZES = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "16:9": (1920, 1080),
}
# Proxy previews: 540 px on the short side (4:5 rounded to an exact 4:5 of even sides).
PROXY_SIZES = {
    "9:16": (540, 960),
    "1:1": (540, 540),
    "4:5": (544, 680),
    "16:9": (960, 540),
}
FINAL_PRESET = "veryfast"  # as transcodes: sources are real footage, not stills
PROXY_PRESET = "ultrafast"
PROXY_CRF = "30"
MAX_VIDEO_BITRATE = 8_000_000
PROXY_MAX_VIDEO_BITRATE = 1_500_000
MIN_SPEED, MAX_SPEED = 0.5, 2.0
END_CARD_COLOUR = "0x111111"
_BLUR_SHRINK = 8
_XFADE = {"fade": "fade", "slide": "slideleft"}
_IMAGE_CONTAINERS = frozenset({"jpeg", "png", "webp"})
_AUDIO_FORMAT = (
    f"aresample={AUDIO_SAMPLE_RATE},"
    f"aformat=sample_fmts=fltp:sample_rates={AUDIO_SAMPLE_RATE}:channel_layouts=stereo"
)
# Every clip, the logo and the words on screen are composed in one pixel format, chosen by the
# document alone: 4:4:4 when it has a transition (xfade takes only 4:4:4), else 4:2:0 (~6 %
# faster). The result becomes 4:2:0 once, at the end. So no filter's format negotiation decides
# where chroma is resampled, and a frame's window is composed exactly as the whole timeline.
_WORK_FORMATS = {
    "444": ("pix_fmts=yuv444p:color_spaces=bt709:color_ranges=tv", "yuv444"),
    "420": ("pix_fmts=yuv420p:color_spaces=bt709:color_ranges=tv", "yuv420"),
}
_AS_BT709 = "setparams=colorspace=bt709"
# A frame: a PNG, or raw RGB pixels for a caller that encodes them itself (render_frame's
# JPEG: Pillow writes what browsers decode, where ffmpeg's BT.709 to JFIF conversion shifts
# colours by a few levels).
_FRAME_CODECS = {
    "png": ["-f", "image2", "-update", "1", "-c:v", "png"],
    "rgb": ["-f", "rawvideo", "-pix_fmt", "rgb24"],
}
FRAME_JPEG_QUALITY = 85
# A window's input seek lands this much after the point it aims at (see ``_window_seek``), so a
# time printed to the microsecond can't land on the wrong side of a frame.
_SEEK_EARLY = 0.0005
# A frame's ASS script keeps only the lines showing within this much of the frame (others
# can't change it; 1,000 caption cues would cost ~50 ms to lay out).
_WORDS_MARGIN = 0.25
# Placeholders for the work folder's files in the graph (never user text: see the module doc).
_ASS = "@@ASS@@"
_FONTS = "@@FONTS@@"


class RenderError(MediaError):
    """An edit that can't be rendered, and why (``message`` is for people; ``detail`` for logs).

    Codes: ``invalid_document``, ``bad_input`` (a source is missing or not usable),
    ``render_failed`` (ffmpeg failed or timed out), ``bad_output`` (the result failed inspection).
    """

    def __init__(self, message: str, *, code: str, detail: str = "") -> None:
        super().__init__(message, code=code)
        self.detail = detail


@dataclass(frozen=True)
class SourceMedia:
    """A document asset as a local file and its inspected facts."""

    path: Path
    facts: MediaFacts


@dataclass(frozen=True)
class FfmpegPlan:
    """Everything one render needs: ``command(workdir, output)`` gives run_ffmpeg's arguments."""

    args: list[str]  # with the _ASS/_FONTS placeholders in the graph; the output comes last
    ass: str  # the ASS script (every word on screen)
    fonts: list[Path]  # linked into the work folder's fonts/ for libass
    duration: float  # of the output (a frame: 0)
    size: tuple[int, int]
    frame_at: float | None = None
    clip_starts: list[float] = field(default_factory=list)

    def command(self, workdir: Path, output: Path) -> list[str]:
        ass, fonts = _filter_value(str(workdir / "text.ass")), _filter_value(str(workdir / "fonts"))
        out = [arg.replace(_ASS, ass).replace(_FONTS, fonts) for arg in self.args]
        return [*out, str(Path(output).resolve())]

    def write_files(self, workdir: Path) -> None:
        (workdir / "text.ass").write_text(self.ass, encoding="utf-8")
        fonts = workdir / "fonts"
        fonts.mkdir(exist_ok=True)
        for number, path in enumerate(dict.fromkeys(self.fonts)):
            (fonts / f"{number}-{path.name}").symlink_to(path.resolve())


# --- The timeline ---------------------------------------------------------------------------


def _invalid(message: str) -> RenderError:
    return RenderError(message, code="invalid_document")


def _num(value: Any, what: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{what} must be a number.")
    number = float(value)
    if (
        number != number
        or (low is not None and number < low)
        or (high is not None and number > high)
    ):
        bounds = f" between {low:g} and {high:g}" if low is not None and high is not None else ""
        raise _invalid(f"{what} is out of range{bounds}.")
    return number


def as_dict(document: Any) -> dict[str, Any]:
    """Return the document as the plain v1 JSON object (a dict, or E1's dataclasses)."""
    if isinstance(document, Mapping):
        return dict(document)
    for name in ("to_dict", "as_dict", "to_json"):
        method = getattr(document, name, None)
        if callable(method):
            value = method()
            if isinstance(value, Mapping):
                return dict(value)
    raise _invalid("The edit document can't be read.")


def clip_duration(clip: Mapping[str, Any]) -> float:
    return (float(clip["out"]) - float(clip["in"])) / float(clip.get("speed", 1.0) or 1.0)


def _transition_after(document: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    found = {}
    for item in document.get("transitions") or []:
        kind = item.get("kind", "cut")
        if kind not in ("cut", "fade", "slide"):
            raise _invalid("A transition must be cut, fade or slide.")
        duration = (
            0.0
            if kind == "cut"
            else _num(item.get("duration"), "A transition's duration", low=0.04, high=5)
        )
        found[str(item.get("after"))] = (kind, duration)
    return found


def timeline(document: Mapping[str, Any]) -> tuple[list[float], list[tuple[str, float]], float]:
    """Return each clip's start, the join after each clip but the last, and the total length.

    Total = the clips' lengths after speed, minus each transition's overlap, plus the end card.
    """
    clips = document.get("clips") or []
    after = _transition_after(document)
    starts: list[float] = []
    joins: list[tuple[str, float]] = []
    at = 0.0
    for index, clip in enumerate(clips):
        starts.append(at)
        length = clip_duration(clip)
        if index < len(clips) - 1:
            kind, overlap = after.get(str(clip.get("id")), ("cut", 0.0))
            joins.append((kind, overlap))
            at += length - overlap
        else:
            at += length
    card = document.get("end_card") or None
    if card:
        at += float(card.get("duration", 0.0))
    return starts, joins, round(at, 3)


def timeline_duration(document: Any) -> float:
    return timeline(as_dict(document))[2]


def _check(document: Mapping[str, Any], ratio: str, sources: Mapping[int, SourceMedia]) -> None:
    if ratio not in RATIOS:
        raise _invalid("The ratio must be 9:16, 1:1, 4:5 or 16:9.")
    clips = document.get("clips") or []
    if not clips:
        raise _invalid("The timeline is empty: add a clip first.")
    for number, clip in enumerate(clips, start=1):
        what = f"Clip {number}"
        source = sources.get(clip.get("asset"))  # type: ignore[call-overload]
        if source is None:
            raise RenderError(f"{what}'s media is missing from the library.", code="bad_input")
        kind = source.facts.kind
        if kind not in ("video", "image"):
            raise RenderError(f"{what} must be a video or an image.", code="bad_input")
        if kind == "image" and source.facts.container not in _IMAGE_CONTAINERS:
            raise RenderError(f"{what}'s image format can't be used.", code="bad_input")
        start = _num(clip.get("in"), f"{what}'s in point", low=0)
        end = _num(clip.get("out"), f"{what}'s out point", low=0)
        if end - start < 0.1:
            raise _invalid(f"{what} must last at least 0.1 s (its out point after its in point).")
        length = source.facts.duration_seconds
        if kind == "video" and length is not None and end > length + 0.05:
            raise _invalid(f"{what}'s out point is past the end of its video ({length:.1f} s).")
        _num(clip.get("speed", 1.0), f"{what}'s speed", low=MIN_SPEED, high=MAX_SPEED)
        _num(clip.get("volume", 1.0), f"{what}'s volume", low=0, high=2)
        framing = (clip.get("framing") or {}).get(ratio) or {"mode": "fill"}
        if framing.get("mode", "fill") not in ("crop", "fit", "blur", "fill"):
            raise _invalid(f"{what}'s framing must be crop, fit, blur or fill.")
        if framing.get("mode") == "crop":
            x, y = (_num(framing.get(k), f"{what}'s crop", low=0, high=1) for k in ("x", "y"))
            w, h = (_num(framing.get(k), f"{what}'s crop", low=0.01, high=1) for k in ("w", "h"))
            if x + w > 1.001 or y + h > 1.001:
                raise _invalid(f"{what}'s crop rectangle goes past the picture.")
    _starts, joins, _total = timeline(document)
    for index, (kind, overlap) in enumerate(joins):
        if (
            kind != "cut"
            and overlap >= min(clip_duration(clips[index]), clip_duration(clips[index + 1])) - 0.05
        ):
            raise _invalid(f"The transition after clip {index + 1} is longer than a clip it joins.")
    card = document.get("end_card") or None
    if card:
        _num(card.get("duration"), "The end card's duration", low=0.5, high=30)
    for track in document.get("audio") or []:
        source = sources.get(track.get("asset"))
        if source is None or not source.facts.has_audio:
            raise RenderError("An audio track's file is missing or has no sound.", code="bad_input")
        if track.get("role") not in ("music", "voice"):
            raise _invalid("An audio track is music or voice.")
        if (
            _num(track.get("out"), "An audio track's out point", low=0)
            - _num(track.get("in", 0.0), "An audio track's in point", low=0)
            < 0.05
        ):
            raise _invalid("An audio track must last longer than its fades.")
        _num(track.get("start", 0.0), "An audio track's start", low=0)
        _num(track.get("volume", 1.0), "An audio track's volume", low=0, high=2)
    logo = document.get("logo") or None
    if logo:
        source = sources.get(logo.get("asset"))
        if source is None or source.facts.kind != "image":
            raise RenderError("The logo must be an image in the library.", code="bad_input")


# --- The builder ----------------------------------------------------------------------------


def build_render(
    document: Any,
    ratio: str,
    sources: Mapping[int, SourceMedia],
    *,
    proxy: bool = False,
    frame_at: float | None = None,
    whole_timeline: bool = False,
    frame_format: str = "png",
) -> FfmpegPlan:
    """Return the ffmpeg plan that renders ``document`` at ``ratio`` (pure: no I/O).

    ``proxy``: 540p and the fastest preset. ``frame_at``: one frame (``frame_format`` "png", or
    "rgb" for raw 24-bit pixels of ``size``) at that time, from the window of the graph around
    it (see the module docstring); ``whole_timeline=True`` builds that frame from the whole
    graph instead, seeking on the output side (slow; the reference the window is tested
    against). Raises ``RenderError`` for a document that can't be rendered.
    """
    doc = as_dict(document)
    _check(doc, ratio, sources)
    size = PROXY_SIZES[ratio] if proxy else PLACEMENT_SIZES[ratio]
    width, height = size
    clips = doc["clips"]
    starts, joins, total = timeline(doc)
    card = doc.get("end_card") or None
    window: _Window | None = None
    if frame_at is not None:
        frame_at = _num(frame_at, "The frame's time", low=0)
        frame_at = min(frame_at, max(0.0, total - 1.0 / FPS))
        if frame_format not in _FRAME_CODECS:
            raise _invalid("A frame is a PNG or raw RGB.")
        if not whole_timeline:
            window = _frame_window(clips, starts, joins, card, frame_at)
    parts = (
        window.parts if window is not None else [_Part(index, 0, 0) for index in range(len(clips))]
    )
    args: list[str] = ["-y"]
    # One frame: one thread per decoder and for the graph (threads only add start-up and hand-
    # offs for a single frame; ~15 % faster measured, and fairer to concurrent requests).
    one_thread = ["-threads", "1"] if window else []
    blended = any(kind != "cut" for kind, _overlap in joins)
    work, overlay_format = _WORK_FORMATS["444" if blended else "420"]
    if window:
        args += ["-filter_complex_threads", "1"]
    graph: list[str] = []
    want_audio = frame_at is None
    for number, part in enumerate(parts):
        clip = clips[part.index]
        source = sources[clip["asset"]]
        length = clip_duration(clip)
        speed = float(clip.get("speed", 1.0))
        cut = float(clip["out"]) - float(clip["in"])
        # In a frame's window a clip starts ``part.skip`` frames in; its trim keeps the frames
        # the whole graph keeps from there (printed to the microsecond: exact in frames).
        shown = f"{(part.frames - part.skip) / FPS:.6f}" if window else f"{length:.3f}"
        if source.facts.kind == "image":
            args += ["-loop", "1", "-framerate", str(FPS), "-t", shown]
            args += [*one_thread, "-f", "image2", "-pattern_type", "none", "-i", str(source.path)]
            pts = "setpts=PTS-STARTPTS"
        else:
            if proxy:  # a preview: skip the decoder's deblocking (a large share of decoding)
                args += ["-skip_loop_filter", "all", "-flags2", "+fast"]
            if part.skip:
                # Input-side seek to the source frame the whole graph shows ``skip`` frames in.
                into = _window_seek(float(clip["in"]), part.skip, speed, source.facts.fps)
                seek = [f"{float(clip['in']) + into:.6f}", f"{cut - into:.6f}"]
            else:
                seek = [f"{float(clip['in']):.3f}", f"{cut:.3f}"]
            args += [*one_thread, "-ss", seek[0], "-t", seek[1], "-i", str(source.path)]
            # Taken as BT.709 as it is (no conversion), as it played before colours were
            # pinned; only its range is converted.
            pts = f"{_AS_BT709},setpts=(PTS-STARTPTS)/{speed:.4f}"
        framing = (clip.get("framing") or {}).get(ratio) or {"mode": "fill"}
        graph.append(
            f"[{number}:v]{pts},fps={FPS},{_framing(framing, size, f'c{number}', proxy)}"
            f"setsar=1,format={work},tpad=stop_mode=clone:stop_duration={shown},"
            f"trim=duration={shown},setpts=PTS-STARTPTS[v{number}]"
        )
        if not want_audio:
            continue
        volume = 0.0 if clip.get("muted") else float(clip.get("volume", 1.0))
        if source.facts.kind == "video" and source.facts.has_audio and volume > 0:
            tempo = f"atempo={speed:.4f}," if abs(speed - 1.0) > 1e-6 else ""
            graph.append(
                f"[{number}:a]asetpts=PTS-STARTPTS,{_AUDIO_FORMAT},{tempo}volume={volume:.3f},"
                f"apad=whole_dur={length:.3f},atrim=duration={length:.3f},asetpts=N/SR/TB[a{number}]"
            )
        else:
            graph.append(_silence(length, f"a{number}"))
    next_input = len(parts)
    video, audio = ("[v0]", "[a0]") if parts else ("", "")
    for number, part in enumerate(parts[1:], start=1):
        kind, overlap = joins[part.index - 1]
        vout, aout = f"[vj{number}]", f"[aj{number}]"
        if kind == "cut":
            # concat answers in microseconds; xfade wants both inputs in frames.
            graph.append(f"{video}[v{number}]concat=n=2:v=1:a=0,settb=1/{FPS}{vout}")
            if want_audio:
                graph.append(f"{audio}[a{number}]concat=n=2:v=0:a=1{aout}")
        else:
            # The previous part ends ``overlap`` later. In a window the fade began before
            # the window did: a negative offset (xfade counts from its first input's start).
            offset = (
                f"{(part.start - window.at) / FPS:.6f}" if window else f"{starts[part.index]:.3f}"
            )
            graph.append(
                f"{video}[v{number}]xfade=transition={_XFADE[kind]}:duration={overlap:.3f}"
                f":offset={offset}{vout}"
            )
            if want_audio:
                graph.append(f"{audio}[a{number}]acrossfade=d={overlap:.3f}:c1=tri:c2=tri{aout}")
        video, audio = vout, aout
    if card and (window is None or window.card_skip is not None):
        card_length = (
            f"{window.card_frames / FPS:.6f}" if window else f"{float(card['duration']):.3f}"
        )
        graph.append(
            f"color=c={END_CARD_COLOUR}:s={width}x{height}:r={FPS}:d={card_length},"
            f"format={work},setsar=1[vcard]"
        )
        if video:
            graph.append(f"{video}[vcard]concat=n=2:v=1:a=0,settb=1/{FPS}[vmain]")
            if want_audio:
                graph.append(_silence(float(card["duration"]), "acard"))
                graph.append(f"{audio}[acard]concat=n=2:v=0:a=1[amain]")
                audio = "[amain]"
            video = "[vmain]"
        else:  # a window on the end card alone
            video = "[vcard]"
    logo = doc.get("logo") or None
    if logo:
        source = sources[logo["asset"]]
        logo_length = f"{total - window.at / FPS:.6f}" if window else f"{total:.3f}"
        args += ["-loop", "1", "-framerate", str(FPS), "-t", logo_length, *one_thread]
        args += ["-f", "image2", "-pattern_type", "none", "-i", str(source.path)]
        logo_w = max(
            2,
            round(width * _num(logo.get("scale", 0.15), "The logo's size", low=0.02, high=1) / 2)
            * 2,
        )
        x = _num(logo.get("x", 0.9), "The logo's position", low=0, high=1) * width
        y = _num(logo.get("y", 0.1), "The logo's position", low=0, high=1) * height
        graph.append(f"[{next_input}:v]format=rgba,scale={logo_w}:-2[logo]")
        graph.append(
            f"{video}[logo]overlay=x={x:.1f}-overlay_w/2:y={y:.1f}-overlay_h/2"
            f":format={overlay_format}:shortest=1:eof_action=pass[vlogo]"
        )
        video = "[vlogo]"
        next_input += 1
    # A window's frames start at 0: give them back their timeline time for the words on screen.
    shift = f"setpts=PTS+round({window.at / FPS:.9f}/TB)," if window and window.at else ""
    graph.append(
        f"{video}{shift}format={work},ass=filename={_ASS}:fontsdir={_FONTS},format=yuv420p[vout]"
    )
    if want_audio:
        next_input = _audio_tracks(doc, sources, args, graph, audio, total, next_input)
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]"]
    font_file = text.default_font_file()
    shows = (
        None
        if frame_at is None
        else (frame_at - _WORDS_MARGIN, frame_at + 1.0 / FPS + _WORDS_MARGIN)
    )
    faces: set[text.Face] = set()
    ass = build_ass(
        doc, size=size, starts=starts, total=total, font_file=font_file, only=shows, faces=faces
    )
    fonts = _font_files(font_file, faces)
    if frame_at is not None:
        if window is None:
            args += ["-ss", f"{frame_at:.3f}"]
        args += ["-frames:v", "1", *_FRAME_CODECS[frame_format]]
        return FfmpegPlan(args, ass, fonts, 0.0, size, frame_at, starts)
    args += ["-map", "[aout]"]
    if proxy:
        encode = h264_args(
            preset=PROXY_PRESET, maxrate=PROXY_MAX_VIDEO_BITRATE, gop_frames=FPS * GOP_SECONDS
        )
        encode[encode.index("-crf") + 1] = PROXY_CRF
    else:
        encode = h264_args(
            preset=FINAL_PRESET,
            maxrate=MAX_VIDEO_BITRATE - AUDIO_BITRATE,
            gop_frames=FPS * GOP_SECONDS,
        )
    args += [*encode, "-r", str(FPS), *AAC_ARGS, "-t", f"{total:.3f}"]
    args += mp4_output_args(Path("output"))[:-1]  # the output path is added by ``command``
    return FfmpegPlan(args, ass, fonts, total, size, None, starts)


# --- A frame's window -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """A clip in the graph: its index, first frame on the timeline, frames kept and skipped."""

    index: int
    start: int  # the timeline frame its first frame lands on
    frames: int  # how many frames its trim keeps
    skip: int = 0  # frames cut from its start (a window beginning inside it)


@dataclass(frozen=True)
class _Window:
    """The part of the graph a frame needs: the clips showing at frame ``at``, or the end card."""

    at: int  # the timeline frame
    parts: list[_Part]
    card_skip: int | None = None  # set when the end card shows
    card_frames: int = 0  # the card's frames from ``at`` on


def frames_of(seconds: float | str) -> int:
    """Return ``seconds`` in frames the way ffmpeg reads our printed times.

    An option printed with 3 decimals becomes microseconds, then ``av_rescale_q`` turns it
    into 1/30 s ticks, rounding to the nearest, halves away from zero.
    """
    micro = round(float(f"{float(seconds):.3f}") * 1_000_000)
    whole, rest = divmod(abs(micro) * FPS, 1_000_000)
    ticks = whole + (1 if 2 * rest >= 1_000_000 else 0)
    return ticks if micro >= 0 else -ticks


def _card_frames(seconds: float) -> int:
    # The color source stops at the first frame whose time (in microseconds) reaches d.
    micro = round(float(f"{seconds:.3f}") * 1_000_000)
    count = max(0, micro * FPS // 1_000_000 - 1)
    while round(count * 1_000_000 / FPS) < micro:
        count += 1
    return count


def _frame_window(
    clips: list[dict[str, Any]],
    starts: list[float],
    joins: list[tuple[str, float]],
    card: Mapping[str, Any] | None,
    frame_at: float,
) -> _Window:
    """Return the clips (or the end card) the whole graph's frame at ``frame_at`` is made of.

    This follows the whole graph frame by frame, as ffmpeg counts: each clip's trim keeps
    ``frames_of(length)`` frames; a cut starts the next clip where the previous part ends; a
    transition starts it at ``frames_of(start)`` and blends until ``frames_of(overlap)`` frames
    later (from then on only the incoming clip shows); the end card follows the last clip. The
    output-side ``-ss t`` of the whole graph keeps the first frame at ``frames_of(t)``.
    """
    parts: list[_Part] = []
    end = 0
    for index, clip in enumerate(clips):
        frames = frames_of(clip_duration(clip))
        if index == 0:
            begin = 0
        else:
            kind, _overlap = joins[index - 1]
            begin = end if kind == "cut" else frames_of(starts[index])
        parts.append(_Part(index, begin, frames))
        end = begin + frames
    card_frames = _card_frames(float(card["duration"])) if card else 0
    at = min(frames_of(frame_at), end + card_frames - 1)
    if at >= end:
        return _Window(at, [], card_skip=at - end, card_frames=end + card_frames - at)
    showing: list[_Part] = []
    for number, part in enumerate(parts):
        if not part.start <= at < part.start + part.frames:
            continue
        if number + 1 < len(parts):
            kind, overlap = joins[number]
            following = parts[number + 1]
            # Covered by the next clip: after a cut, or once a transition's blend is over.
            covered = following.start if kind == "cut" else following.start + frames_of(overlap)
            if at >= covered:
                continue
        showing.append(replace(part, skip=at - part.start))
    return _Window(at, showing)


def _window_seek(start: float, skip: int, speed: float, fps: float | None) -> float:
    """Return how far into a clip (source seconds) to seek to show its frame ``skip``.

    ``fps=30`` shows, at each output frame, the last source frame less than half an output
    frame after it (counted from the clip's first frame). So the whole graph's frame ``skip``
    is the last source frame before ``first + (skip + 0.5) * speed / 30``; and the window,
    whose ``fps`` counts from the first frame after its seek point, shows that same frame when
    the seek lands just after ``that frame - 0.5 * speed / 30`` (ffmpeg keeps the first frame
    at or after the seek point). Frames are taken to lie on the source's rate from 0, as in a
    constant-rate file; the clip's first is the one at or after its in point.
    """
    half = 0.5 * speed / FPS
    if not fps or fps <= 0:  # no rate known: aim at the frame's time
        return max(0.0, skip / FPS * speed - _SEEK_EARLY)
    first = math.ceil(start * fps - 1e-6) / fps
    shown = math.ceil((first + skip * speed / FPS + half) * fps - 1e-6) - 1
    return max(0.0, shown / fps - half + min(_SEEK_EARLY, 0.25 / fps) - start)


def _font_files(font_file: Path, faces: set[text.Face]) -> list[Path]:
    """Return the fonts libass loads: ours, the CJK collection only when a line uses it, emoji.

    libass reads every file of its fonts folder; the CJK collection alone costs ~40 ms a run.
    """
    used = {face.file for face in faces}
    collections = set(text.CJK_FONT_CANDIDATES)
    return [
        font_file,
        *(p for p in text.fallback_font_files() if p not in collections or p in used),
    ]


def _silence(length: float, label: str) -> str:
    return (
        f"anullsrc=channel_layout=stereo:sample_rate={AUDIO_SAMPLE_RATE},"
        f"atrim=duration={length:.3f},aformat=sample_fmts=fltp,asetpts=N/SR/TB[{label}]"
    )


def _framing(framing: Mapping[str, Any], size: tuple[int, int], label: str, proxy: bool) -> str:
    """Return the filters (each ending with ",") that frame a clip at ``size``."""
    width, height = size
    flags = ":flags=bilinear" if proxy else ""
    cover = (
        f"scale={width}:{height}:force_original_aspect_ratio=increase{flags},crop={width}:{height},"
    )
    mode = framing.get("mode", "fill")
    if mode == "crop":
        x, y, w, h = (float(framing[k]) for k in ("x", "y", "w", "h"))
        w, h = min(w, 1 - x), min(h, 1 - y)
        return f"crop=w=iw*{w:.5f}:h=ih*{h:.5f}:x=iw*{x:.5f}:y=ih*{y:.5f}:exact=1," + cover
    if mode == "fit":
        return (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2{flags},"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,"
        )
    if mode == "blur":
        bw, bh = max(16, _even(width / _BLUR_SHRINK)), max(16, _even(height / _BLUR_SHRINK))
        return (
            f"split=2[{label}bg][{label}fg];"
            f"[{label}bg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
            "boxblur=luma_radius=min(w\\,h)/8:luma_power=2:chroma_radius=min(cw\\,ch)/8:chroma_power=2,"
            f"scale={width}:{height}{flags},setsar=1[{label}bgb];"
            f"[{label}fg]scale={width}:{height}:force_original_aspect_ratio=decrease{flags},setsar=1[{label}fgs];"
            f"[{label}bgb][{label}fgs]overlay=x=(main_w-overlay_w)/2:y=(main_h-overlay_h)/2,"
        )
    return cover


def _audio_tracks(
    doc: Mapping[str, Any],
    sources: Mapping[int, SourceMedia],
    args: list[str],
    graph: list[str],
    clip_audio: str,
    total: float,
    next_input: int,
) -> int:
    """Add the audio tracks and the mix ending in ``[aout]``; return the next input number."""
    graph.append(f"{clip_audio}apad=whole_dur={total:.3f},atrim=duration={total:.3f}[aclips]")
    voices: list[str] = []
    ducked: list[str] = []
    music: list[str] = []
    for number, track in enumerate(doc.get("audio") or []):
        start = float(track.get("start", 0.0))
        if start >= total - 0.05:
            continue  # starts after the end: cut entirely
        source = sources[track["asset"]]
        begin, end = float(track.get("in", 0.0)), float(track["out"])
        if source.facts.duration_seconds is not None:
            end = min(end, source.facts.duration_seconds)
        length = max(0.05, min(end - begin, total - start))
        args += ["-ss", f"{begin:.3f}", "-t", f"{length:.3f}", "-i", str(source.path)]
        chain = [f"[{next_input}:a]asetpts=PTS-STARTPTS", _AUDIO_FORMAT]
        chain.append(f"volume={float(track.get('volume', 1.0)):.3f}")
        fade_in = min(float(track.get("fade_in", 0.0) or 0.0), length / 2)
        fade_out = min(float(track.get("fade_out", 0.0) or 0.0), length / 2)
        if fade_in > 0:
            chain.append(f"afade=t=in:st=0:d={fade_in:.3f}")
        if fade_out > 0:
            chain.append(f"afade=t=out:st={length - fade_out:.3f}:d={fade_out:.3f}")
        if start > 0:
            chain.append(f"adelay=delays={round(start * 1000)}:all=1")
        label = f"t{number}"
        chain.append(
            f"apad=whole_dur={total:.3f},atrim=duration={total:.3f},asetpts=N/SR/TB[{label}]"
        )
        graph.append(",".join(chain))
        if track.get("role") == "voice":
            voices.append(f"[{label}]")
        elif track.get("duck"):
            ducked.append(f"[{label}]")
        else:
            music.append(f"[{label}]")
        next_input += 1
    mix = ["[aclips]"]
    if ducked:
        # The key is what people say: the voice tracks and the clips' own sound.
        key_parts = ["[aclips]", *voices]
        splits: list[str] = []
        for part in key_parts:
            name = part.strip("[]")
            graph.append(f"{part}asplit=2[{name}m][{name}k]")
            splits.append(f"[{name}k]")
        mix = ["[aclipsm]"]
        voices = [f"[{v.strip('[]')}m]" for v in voices]
        key = _amix(graph, splits, "duckkey")
        musicbed = _amix(graph, ducked, "duckbed")
        graph.append(
            f"{musicbed}{key}sidechaincompress=threshold=0.02:ratio=12:attack=20:release=400:makeup=1[ducked]"
        )
        mix.append("[ducked]")
    mix += voices + music
    if len(mix) == 1:
        graph.append(f"{mix[0]}alimiter=limit=0.95:level=disabled[aout]")
    else:
        graph.append(
            f"{''.join(mix)}amix=inputs={len(mix)}:duration=first:dropout_transition=0:normalize=0,"
            "alimiter=limit=0.95:level=disabled[aout]"
        )
    return next_input


def _amix(graph: list[str], labels: list[str], out: str) -> str:
    if len(labels) == 1:
        return labels[0]
    graph.append(
        f"{''.join(labels)}amix=inputs={len(labels)}:duration=first:dropout_transition=0:normalize=0[{out}]"
    )
    return f"[{out}]"


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _filter_value(value: str) -> str:
    """Escape ``value`` for an option inside ``-filter_complex`` (both escaping levels)."""
    for special in "\\':":
        value = value.replace(special, "\\" + special)
    for special in "\\'[],;":
        value = value.replace(special, "\\" + special)
    return value


# --- Words on screen ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    name: str
    size: int  # px at 1080 on the short side
    box: bool


_TEXT_LOOKS = {
    "title": _Look("Title", 76, False),
    "body": _Look("Body", 54, False),
    "cta": _Look("Cta", 88, False),
}
_CAPTION_SIZES = {"s": 44, "m": 54, "l": 64}
_CAPTION_ALIGN = {"bottom": 2, "middle": 5, "top": 8}
_OUTLINE, _BOX_PAD = 4, 12
_MAX_LINES = 4


def build_ass(
    doc: Mapping[str, Any],
    *,
    size: tuple[int, int],
    starts: list[float],
    total: float,
    font_file: Path,
    only: tuple[float, float] | None = None,
    faces: set[text.Face] | None = None,
) -> str:
    """Return the ASS script with the document's texts, captions and end card text.

    ``only``: keep just the lines showing between these times (a frame's script). ``faces``
    collects the faces the lines are drawn with.
    """
    width, height = size
    unit = min(width, height) / 1080
    family, bold = text.font_family(font_file)
    left, top, right, bottom = frames.safe_area(width, height)
    caption_style = doc.get("caption_style") or {}
    position = caption_style.get("position", "bottom")
    caption_px = round(_CAPTION_SIZES.get(caption_style.get("size", "m"), 54) * unit)
    align = _CAPTION_ALIGN.get(position, 2)
    margin_v = {2: height - bottom + _BOX_PAD, 8: top + _BOX_PAD}.get(align, 0)
    out = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
    ]
    weight = -1 if bold else 0
    out.extend(
        f"Style: {look.name},{family},{round(look.size * unit)},&H00FFFFFF,&H00FFFFFF,"
        f"&H00000000,&H80000000,{weight},0,0,0,100,100,0,0,1,{_OUTLINE},2,5,0,0,0,1"
        for look in _TEXT_LOOKS.values()
    )
    out.append(
        f"Style: Caption,{family},{caption_px},&H00FFFFFF,&H00FFFFFF,&H00000000,&H60000000,"
        f"{weight},0,0,0,100,100,0,0,3,{_BOX_PAD},0,{align},{left + _BOX_PAD},"
        f"{width - right + _BOX_PAD},{margin_v},1"
    )
    out += [
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    max_width = (right - left) - 2 * _BOX_PAD

    def line(
        start: float, end: float, style: str, px: int, base: int, words: str, tags: str
    ) -> None:
        start, end = max(0.0, start), min(total, end)
        if only is not None and (end <= only[0] or start >= only[1]):
            return
        words = text.clean(words)
        if not words or end <= start:
            return
        face = text.face_for_text(words, font_file)
        if faces is not None:
            faces.add(face)
        lines, px = _wrap(words, face, px, max_width)
        if px != base:
            tags += f"\\fs{px}"
        if face != text.Face(font_file):
            tags += f"\\fn{text.font_family(face.file, face.index)[0]}"
        body = "\\N".join(text.escape_ass(part) for part in lines)
        prefix = "{" + tags + "}" if tags else ""
        out.append(
            f"Dialogue: 1,{text.ass_time(start)},{text.ass_time(end)},{style},,0,0,0,,{prefix}{body}"
        )

    for item in doc.get("texts") or []:
        look = _TEXT_LOOKS.get(item.get("style", "title"), _TEXT_LOOKS["title"])
        x = round(min(1.0, max(0.0, float(item.get("x", 0.5)))) * width)
        y = round(min(1.0, max(0.0, float(item.get("y", 0.5)))) * height)
        base = round(look.size * unit)
        line(
            float(item.get("start", 0.0)),
            float(item.get("end", total)),
            look.name,
            base,
            base,
            str(item.get("text", "")),
            f"\\an5\\pos({x},{y})",
        )
    for cue in doc.get("captions") or []:
        line(
            float(cue.get("start", 0.0)),
            float(cue.get("end", 0.0)),
            "Caption",
            caption_px,
            caption_px,
            str(cue.get("text", "")),
            "",
        )
    card = doc.get("end_card") or None
    if card and card.get("text"):
        base = round(_TEXT_LOOKS["cta"].size * unit)
        line(
            total - float(card["duration"]),
            total,
            "Cta",
            base,
            base,
            str(card["text"]),
            f"\\an5\\pos({width // 2},{height // 2})",
        )
    return "\n".join(out) + "\n"


def _wrap(words: str, face: text.Face, px: int, max_width: float) -> tuple[list[str], int]:
    """Wrap to the width, shrinking to 60 % for at most ``_MAX_LINES`` lines; never cut."""
    smallest = max(8, round(px * 0.6))
    while True:
        font = ImageFont.truetype(str(face.file), px, index=face.index)
        lines = text.wrap(words, font, max_width)
        if len(lines) <= _MAX_LINES or px <= smallest:
            return lines, px
        px = max(smallest, round(px * 0.9))


# --- Running it -----------------------------------------------------------------------------


def render(
    document: Any,
    ratio: str,
    sources: Mapping[int, SourceMedia],
    output: Path,
    *,
    proxy: bool = False,
    on_progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
) -> MediaFacts:
    """Render to ``output`` (MP4) and return its inspected facts; nothing is left on failure.

    ``on_progress`` gets 0-99 while ffmpeg runs and 100 once the output passed inspection; an
    exception it raises (a job's ``LeaseLost`` on cancel) kills ffmpeg and propagates.
    """
    plan = build_render(document, ratio, sources, proxy=proxy)
    output = Path(output)

    def report(percent: float) -> None:
        if on_progress is not None:
            on_progress(min(percent, 99.0))

    facts = _run(
        plan, output, suffix=".partial.mp4", timeout=timeout, on_progress=report, check=True
    )
    if on_progress is not None:
        on_progress(100.0)
    if facts is None:  # check=True always inspects
        raise RenderError("The rendered video did not pass inspection.", code="bad_output")
    return facts


def render_frame(
    document: Any,
    ratio: str,
    sources: Mapping[int, SourceMedia],
    at: float,
    output: Path,
    *,
    proxy: bool = False,
    timeout: float = 60.0,
    whole_timeline: bool = False,
) -> Path:
    """Write the frame at ``at`` seconds at ``output`` (the same graph as a render).

    A JPEG when ``output`` ends in ``.jpg``/``.jpeg``, else a PNG. ``whole_timeline``: from
    the whole graph (slow; see ``build_render``) rather than the window around ``at``.
    """
    output = Path(output)
    jpeg = output.suffix.lower() in (".jpg", ".jpeg")
    plan = build_render(
        document,
        ratio,
        sources,
        proxy=proxy,
        frame_at=at,
        whole_timeline=whole_timeline,
        frame_format="rgb" if jpeg else "png",
    )
    if not jpeg:
        _run(plan, output, suffix=".partial.png", timeout=timeout, on_progress=None, check=False)
        return output
    raw = Path(tempfile.mkdtemp(prefix=".edit-frame-", dir=output.parent))
    try:
        _run(plan, raw / "frame.rgb", suffix=".rgb", timeout=timeout, on_progress=None, check=False)
        pixels = Image.frombytes("RGB", plan.size, (raw / "frame.rgb").read_bytes())
        pixels.save(raw / "frame.jpg", format="JPEG", quality=FRAME_JPEG_QUALITY)
        (raw / "frame.jpg").replace(output)
    except ValueError as error:  # fewer bytes than a frame
        raise RenderError("No frame was rendered at that time.", code="render_failed") from error
    finally:
        shutil.rmtree(raw, ignore_errors=True)
    return output


def _run(
    plan: FfmpegPlan,
    output: Path,
    *,
    suffix: str,
    timeout: float | None,
    on_progress: Callable[[float], None] | None,
    check: bool,
) -> MediaFacts | None:
    try:
        fd, partial_name = tempfile.mkstemp(
            prefix=f".{output.stem[:40]}-", suffix=suffix, dir=output.parent
        )
    except OSError as error:
        raise RenderError(
            "The render can't be written where it was asked for.", code="render_failed"
        ) from error
    os.close(fd)
    partial = Path(partial_name)
    workdir = Path(tempfile.mkdtemp(prefix=".edit-render-", dir=output.parent))
    try:
        plan.write_files(workdir)
        budget = timeout if timeout is not None else max(120.0, plan.duration * 20)
        try:
            run_ffmpeg(
                plan.command(workdir, partial),
                timeout=budget,
                on_progress=on_progress,
                duration_seconds=plan.duration or None,
            )
        except FfmpegError as error:
            message = (
                "Rendering took too long and was stopped."
                if error.code == "timeout"
                else "Rendering failed: a source or the edit couldn't be processed."
            )
            raise RenderError(message, code="render_failed", detail=error.stderr_tail) from error
        facts = None
        if check:
            try:
                facts = inspect_file(partial)
            except MediaRejected as error:
                raise RenderError(
                    "The rendered video did not pass inspection.", code="bad_output"
                ) from error
        elif partial.stat().st_size == 0:
            raise RenderError("No frame was rendered at that time.", code="render_failed")
        partial.replace(output)
        return facts
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
