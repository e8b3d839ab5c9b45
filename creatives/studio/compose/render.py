"""Render a ``CompositionSpec`` into one conforming MP4 with a single ffmpeg run.

Steps: validate the spec; inspect every part with ``inspect_file`` (a missing file or one
that isn't the media it should be fails here, naming the part); redraw each scene image
with Pillow into a private temporary directory (upright, sRGB, cropped to cover the frame:
ffmpeg then only ever opens files we wrote, under names we chose, plus the audio parts with
their demuxer forced from the sniffed container); write every word into one ASS script
(``text.py``); build one ``filter_complex`` for the whole video; run it through the hardened
runner (``creatives.library.media.ffmpeg.run_ffmpeg``: protocol whitelist per input, no URLs,
timeout, progress); re-inspect the output. The output is written under a temporary name in
the destination directory and renamed into place only when it passed inspection, so a
failure never leaves a partial file at ``output``.

The graph:

- each scene: zooms are ``zoompan`` from its one still (``d`` = its frame count, ``s`` = the
  output size, 30 fps), the zoom a closed-form function of the output frame number ``on``
  (no accumulated drift); pans and ``none`` repeat the one decoded frame (``loop``) and
  ``crop`` a moving window from a still Pillow drew 12 % larger (no per-frame rescale:
  ``zoompan`` is the graph's main single-threaded cost);
- the end card: ``color`` source, the logo (pre-scaled by Pillow) overlaid above centre;
- joins: a chain of ``xfade`` (``fade``, or ``slideleft`` for "slide") at each scene's
  start time, or ``concat`` with no transition;
- text: one ``ass`` filter (libass) over the joined video, each style in its own band of
  the frame; a caption that repeats the scene's on-screen or picture text is left out;
- audio: the voice-over resampled to 48 kHz stereo and padded; the music looped
  (``-stream_loop -1``), lowered to ``music_gain`` and faded out over the last 1.5 s, then
  ducked under the voice with ``sidechaincompress`` keyed by the voice and mixed with
  ``amix normalize=0``; a silent ``anullsrc`` track when there is neither, so placements
  that require audio pass.

Encode: H.264 High ``yuv420p`` (``X264_PRESET``, CRF 21, ``-maxrate`` at the spec's cap),
a keyframe every 2 s with closed GOPs, AAC-LC 128 kbps 48 kHz stereo, ``+faststart``,
no metadata.
"""

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from creatives.library.media import images
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
from creatives.library.media.sniff import Sniffed
from creatives.studio import frames
from creatives.studio.compose import text
from creatives.studio.compose.errors import ComposeError
from creatives.studio.compose.spec import CompositionSpec, background_hex, validate_spec

# bench/compose_ratio.py on the 2-core bench machine, 30 s 1080x1920 with everything on:
# veryfast 1.46x real time, superfast 1.63x (1.88x once pans became crops), ultrafast 2.2x
# (the target is >= 2x; the filter graph, not x264, is most of the time). ultrafast
# drops CABAC, B-frames and deblocking, so it needs more bits for the same look; CRF 21 and
# the -maxrate cap keep the size bounded (~1.5-3 Mbps for these stills). See bench/README.md.
X264_PRESET = "ultrafast"
PLACEMENT_BITRATE_CAP = 25_000_000  # Instagram's limit, the lowest of our video placements
# zoom_in/zoom_out travel, and the zoom a pan holds to have room to move. The image layout
# keeps a video frame's picture inside frames.content_area, which allows for exactly this.
ZOOM = frames.MOTION_ZOOM
MUSIC_FADE_S = 1.5
_XFADE = {"fade": "fade", "slide": "slideleft"}
_DEMUXERS = {
    "mp3": "mp3",
    "m4a": "mov",
    "mp4": "mov",
    "mov": "mov",
    "wav": "wav",
    "aac": "aac",
    "ogg": "ogg",
    "flac": "flac",
    "webm": "matroska",
}


@dataclass(frozen=True)
class PreparedInputs:
    """Files in the private work directory (and audio parts) the ffmpeg command reads."""

    scene_images: list[Path]
    logo: Path | None
    ass_script: Path
    fonts_dir: Path
    voice_over: tuple[Path, str] | None  # path, forced demuxer
    music: tuple[Path, str] | None


def compose_video(
    spec: CompositionSpec,
    output: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
    preset: str = X264_PRESET,
) -> MediaFacts:
    """Render ``spec`` to ``output`` (MP4) and return the output's inspected facts.

    Raises ``ComposeError`` (nothing is left at ``output``, nor any temporary file).
    """
    validate_spec(spec)
    output = Path(output)
    try:
        fd, partial_name = tempfile.mkstemp(
            prefix=f".{output.stem[:40]}-", suffix=".partial.mp4", dir=output.parent
        )
    except OSError as error:
        raise ComposeError(
            "The video can't be written where it was asked for.", code="invalid_spec"
        ) from error
    os.close(fd)
    partial = Path(partial_name)
    # Beside the output, so it lives in the caller's job work folder (prosocial.jobs.work_dir),
    # which the sweeper removes if this process dies mid-render.
    workdir = Path(tempfile.mkdtemp(prefix=".compose-", dir=output.parent))
    try:
        prepared = prepare_inputs(spec, workdir)
        args = build_compose_args(spec, prepared, partial, preset=preset)
        budget = timeout if timeout is not None else max(120.0, spec.duration_s * 10)

        def report(percent: float) -> None:
            if on_progress is not None:
                on_progress(min(percent, 99.0))  # 100 only once the output passed inspection

        try:
            run_ffmpeg(args, timeout=budget, on_progress=report, duration_seconds=spec.duration_s)
        except FfmpegError as error:
            message = (
                "Rendering the video took too long and was stopped."
                if error.code == "timeout"
                else "Rendering the video failed."
            )
            raise ComposeError(message, code="render_failed", detail=error.stderr_tail) from error
        try:
            facts = inspect_file(partial)
        except MediaRejected as error:
            raise ComposeError(
                "The rendered video did not pass inspection.", code="bad_output"
            ) from error
        partial.replace(output)
        if on_progress is not None:
            on_progress(100.0)
        return facts
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepare_inputs(spec: CompositionSpec, workdir: Path) -> PreparedInputs:
    """Check every part and write the files ffmpeg will read into ``workdir``."""
    width, height = spec.size
    scene_images = []
    for number, scene in enumerate(spec.scenes, start=1):
        picture = _open_picture(scene.image, f"Scene {number}'s image")
        picture = _flatten(picture)
        picture = ImageOps.fit(
            picture, _still_size(scene.motion, spec.size), Image.Resampling.LANCZOS
        )
        path = workdir / f"scene-{number:02d}.jpg"
        picture.save(path, format="JPEG", quality=92)
        scene_images.append(path)
    logo = None
    end_card = spec.end_card
    if end_card is not None and end_card.logo is not None:
        picture = _open_picture(end_card.logo, "The end card's logo").convert("RGBA")
        picture = ImageOps.contain(
            picture, (round(width * 0.5), round(height * 0.2)), Image.Resampling.LANCZOS
        )
        logo = workdir / "logo.png"
        picture.save(logo, format="PNG")
    font_file = spec.font_file or text.default_font_file()
    if not font_file.is_file():
        raise ComposeError("The font file is missing.", code="invalid_spec")
    ass_script = workdir / "text.ass"
    ass_script.write_text(
        text.build_ass(_cues(spec, logo_height=_height(logo)), size=spec.size, font_file=font_file),
        encoding="utf-8",
    )
    # libass's fontsdir is one folder: the main face plus the CJK and emoji fonts the text
    # may need (text.face_for_text picks them per cue), linked, not copied.
    fonts_dir = workdir / "fonts"
    fonts_dir.mkdir()
    for number, path in enumerate(dict.fromkeys([font_file, *text.fallback_font_files()])):
        (fonts_dir / f"{number}-{path.name}").symlink_to(path.resolve())
    return PreparedInputs(
        scene_images=scene_images,
        logo=logo,
        ass_script=ass_script,
        fonts_dir=fonts_dir,
        voice_over=_audio_part(spec.voice_over, "The voice-over"),
        music=_audio_part(spec.music, "The music"),
    )


def build_compose_args(
    spec: CompositionSpec, prepared: PreparedInputs, output: Path, *, preset: str = X264_PRESET
) -> list[str]:
    """Return the ffmpeg arguments (for ``run_ffmpeg``, output last) that render ``spec``."""
    width, height = spec.size
    fps = spec.fps
    total = spec.duration_s
    args: list[str] = ["-y"]
    graph: list[str] = []
    labels: list[str] = []
    for index, (scene, image) in enumerate(zip(spec.scenes, prepared.scene_images, strict=True)):
        args += ["-i", str(image)]
        frames = round(scene.duration_s * fps)
        head = f"[{index}:v]scale=out_range=tv,format=yuv420p"
        if scene.motion in ("zoom_in", "zoom_out"):
            motion = (
                f"zoompan={_motion(scene.motion, frames)}:d={frames}:s={width}x{height}:fps={fps}"
            )
        else:
            # A pan (or no motion) is a moving window on a still drawn larger by Pillow: the
            # one decoded frame is repeated and cropped, with no per-frame rescale.
            motion = (
                f"loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB,fps={fps},"
                f"crop=w={width}:h={height}:{_pan(scene.motion, frames)}"
            )
        graph.append(f"{head},{motion},setsar=1,format=yuv420p[s{index}]")
        labels.append(f"[s{index}]")
    next_input = len(spec.scenes)
    if spec.end_card is not None:
        colour = background_hex(spec.end_card.background)
        graph.append(
            f"color=c=0x{colour}:s={width}x{height}:r={fps}:d={spec.end_card.duration_s:.3f},"
            f"format=yuv420p,setsar=1[ecbg]"
        )
        card = "[ecbg]"
        if prepared.logo is not None:
            args += ["-i", str(prepared.logo)]
            top = round(height / 2 - _height(prepared.logo) - height * 0.02)
            graph.append(
                f"[{next_input}:v]format=rgba[logo];[ecbg][logo]overlay=x=(W-w)/2:y={top},"
                "format=yuv420p[ec]"
            )
            next_input += 1
            card = "[ec]"
        labels.append(card)
    graph.append(_join(spec, labels))
    graph.append(
        f"[joined]ass=filename={_filter_value(str(prepared.ass_script))}"
        f":fontsdir={_filter_value(str(prepared.fonts_dir))},format=yuv420p[vout]"
    )
    voice = music = None
    if prepared.voice_over is not None:
        path, demuxer = prepared.voice_over
        args += ["-f", demuxer, "-i", str(path)]
        voice = next_input
        next_input += 1
    if prepared.music is not None:
        path, demuxer = prepared.music
        args += ["-stream_loop", "-1", "-f", demuxer, "-i", str(path)]
        music = next_input
        next_input += 1
    graph.append(_audio(voice, music, total, spec.music_gain))
    maxrate = min(spec.max_video_bitrate, PLACEMENT_BITRATE_CAP - AUDIO_BITRATE)
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]"]
    args += h264_args(preset=preset, maxrate=maxrate, gop_frames=fps * GOP_SECONDS)
    args += ["-r", str(fps), *AAC_ARGS, "-t", f"{total:.3f}"]
    args += mp4_output_args(output)
    return args


def _still_size(motion: str, size: tuple[int, int]) -> tuple[int, int]:
    """Return the size a scene's still is drawn at: wider than the frame for a pan."""
    width, height = size
    if motion in ("pan_left", "pan_right"):
        return 2 * round(width * (1 + ZOOM) / 2), 2 * round(height * (1 + ZOOM) / 2)
    return width, height


def _pan(motion: str, frames: int) -> str:
    # crop: x/y are evaluated per frame; "n" is the frame number.
    progress = f"n/{max(1, frames - 1)}"
    if motion == "pan_left":  # the view travels from the right edge to the left
        return f"x=(in_w-out_w)*(1-{progress}):y=(in_h-out_h)/2"
    if motion == "pan_right":
        return f"x=(in_w-out_w)*{progress}:y=(in_h-out_h)/2"
    return "x=0:y=0"


def _motion(motion: str, frames: int) -> str:
    # zoompan: z is the zoom, x/y the crop's top-left in input pixels, "on" the output frame.
    progress = f"on/{max(1, frames - 1)}"
    centre_x, centre_y = "x=(iw-iw/zoom)/2", "y=(ih-ih/zoom)/2"
    if motion == "zoom_in":
        return f"z=1+{ZOOM}*{progress}:{centre_x}:{centre_y}"
    if motion == "zoom_out":
        return f"z={1 + ZOOM}-{ZOOM}*{progress}:{centre_x}:{centre_y}"
    if motion == "pan_left":  # the view travels from the right edge to the left
        return f"z={1 + ZOOM}:x=(iw-iw/zoom)*(1-{progress}):{centre_y}"
    if motion == "pan_right":
        return f"z={1 + ZOOM}:x=(iw-iw/zoom)*{progress}:{centre_y}"
    return "z=1:x=0:y=0"


def _join(spec: CompositionSpec, labels: list[str]) -> str:
    if len(labels) == 1:
        return f"{labels[0]}null[joined]"
    if spec.transition == "none":
        return f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[joined]"
    starts = spec.scene_starts()
    parts, current = [], labels[0]
    for index, label in enumerate(labels[1:], start=1):
        out = "[joined]" if index == len(labels) - 1 else f"[x{index}]"
        parts.append(
            f"{current}{label}xfade=transition={_XFADE[spec.transition]}"
            f":duration={spec.transition_s:.3f}:offset={starts[index]:.3f}{out}"
        )
        current = out
    return ";".join(parts)


def _audio(voice: int | None, music: int | None, total: float, gain: float) -> str:
    fmt = f"aformat=sample_fmts=fltp:sample_rates={AUDIO_SAMPLE_RATE}:channel_layouts=stereo"
    if voice is None and music is None:
        return f"anullsrc=channel_layout=stereo:sample_rate={AUDIO_SAMPLE_RATE},atrim=0:{total:.3f}[aout]"
    parts = []
    if voice is not None:
        parts.append(f"[{voice}:a]{fmt},apad,atrim=0:{total:.3f}[vo]")
    if music is not None:
        fade_at = max(0.0, total - MUSIC_FADE_S)
        parts.append(
            f"[{music}:a]{fmt},atrim=0:{total:.3f},asetpts=N/SR/TB,volume={gain:.3f},"
            f"afade=t=out:st={fade_at:.3f}:d={MUSIC_FADE_S}[mus]"
        )
    if voice is None:
        parts.append("[mus]anull[aout]")
    elif music is None:
        parts.append("[vo]anull[aout]")
    else:
        # Duck: the voice keys a compressor on the music (-20 dB-ish while someone speaks).
        parts.append(
            "[vo]asplit=2[vomix][vokey];"
            "[mus][vokey]sidechaincompress=threshold=0.02:ratio=12:attack=20:release=400"
            ":makeup=1[ducked];"
            "[vomix][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,"
            "alimiter=limit=0.95[aout]"
        )
    return ";".join(parts)


def _cues(spec: CompositionSpec, *, logo_height: int) -> list[text.Cue]:
    # Each scene's words show while it is the main picture: they switch halfway through a
    # transition, so two scenes' lines never stack on screen.
    starts = spec.scene_starts()
    half = spec.overlap_s / 2
    total = spec.duration_s
    cues: list[text.Cue] = []
    last = len(spec.scenes) - 1
    for index, scene in enumerate(spec.scenes):
        shown_from = starts[index] + (half if index > 0 else 0.0)
        followed = index < last or spec.end_card is not None
        shown_to = starts[index] + scene.duration_s - (half if followed else 0.0)
        if scene.on_screen_text:
            cues.append(text.Cue(text.ON_SCREEN, shown_from, shown_to, scene.on_screen_text))
        shown = (scene.on_screen_text, scene.picture_text)
        if (
            scene.caption is not None
            and scene.caption.text
            and not any(text.repeats(scene.caption.text, line) for line in shown)
        ):
            start = starts[index] + (scene.caption.start_s or 0.0)
            end = starts[index] + (
                scene.caption.end_s if scene.caption.end_s is not None else scene.duration_s
            )
            cues.append(
                text.Cue(
                    text.CAPTION, max(start, shown_from), min(end, shown_to), scene.caption.text
                )
            )
    if spec.end_card is not None and spec.end_card.cta_text:
        width, height = spec.size
        position = (width // 2, round(height / 2 + height * 0.02)) if logo_height else None
        cues.append(text.Cue(text.CTA, starts[-1] + half, total, spec.end_card.cta_text, position))
    return cues


def _open_picture(path: Path, what: str) -> Image.Image:
    facts = _inspect_part(path, what)
    if facts.kind != "image":
        raise ComposeError(f"{what} must be an image; this file is {facts.kind}.", code="bad_input")
    with images.open_image(path, Sniffed("image", facts.container)) as opened:
        return images.upright_srgb(opened)


def _audio_part(path: Path | None, what: str) -> tuple[Path, str] | None:
    if path is None:
        return None
    facts = _inspect_part(path, what)
    if not facts.has_audio or facts.container not in _DEMUXERS:
        raise ComposeError(f"{what} must be an audio file with sound.", code="bad_input")
    return Path(path).resolve(), _DEMUXERS[facts.container]


def _inspect_part(path: Path, what: str) -> MediaFacts:
    try:
        return inspect_file(Path(path))
    except FileNotFoundError as error:
        raise ComposeError(f"{what} is missing.", code="bad_input") from error
    except OSError as error:
        raise ComposeError(f"{what} can't be read.", code="bad_input") from error
    except MediaRejected as error:
        raise ComposeError(f"{what} was refused: {error.message}", code="bad_input") from error


def _flatten(picture: Image.Image) -> Image.Image:
    if picture.mode == "RGB":
        return picture
    background = Image.new("RGB", picture.size, (0, 0, 0))
    rgba = picture.convert("RGBA")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _height(path: Path | None) -> int:
    if path is None:
        return 0
    with Image.open(path) as picture:
        return picture.height


def _filter_value(value: str) -> str:
    """Escape ``value`` for an option inside ``-filter_complex`` (both escaping levels)."""
    for special in "\\':":
        value = value.replace(special, "\\" + special)  # option-value level
    for special in "\\'[],;":
        value = value.replace(special, "\\" + special)  # filter-graph level
    return value
