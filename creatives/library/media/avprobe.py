"""Audio and video through PyAV: open safely, check, measure.

A file reaches here only after ``sniff`` named its container, and is opened with exactly
that demuxer (``format=``) and ``protocol_whitelist=file``: ffmpeg never guesses a format
from the content (so no HLS, concat or image2 demuxer), never opens a network protocol,
and the MOV demuxer never follows external data references. Then:

- every stream must be video, audio, cover art or a known-harmless timed-metadata track
  (timecode, Apple ``mebx``, GoPro telemetry: phones and cameras write them); subtitle,
  attachment and other data streams are refused;
- codecs must be on an allowlist (what phones, editors and browsers write, and what the
  transcode can read);
- the first video frame and first audio frame are decoded, so a damaged start fails here;
- truncation is caught two ways: for MP4/MOV, the sample index pointing past the end of
  the file; for every container, the last seconds demuxed and compared with the duration
  the header declares.
"""

import contextlib
from pathlib import Path
from typing import Any

import av
import av.container
import av.stream

from creatives.library.media.errors import MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.formatting import format_pixels
from creatives.library.media.sniff import Sniffed

MAX_VIDEO_SIDE = 8192  # 8K UHD is 7680 x 4320; more is a crafted header, not a camera
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "prores"})
AUDIO_CODECS = frozenset(
    {
        "aac",
        "mp3",
        "opus",
        "vorbis",
        "flac",
        "alac",
        "pcm_s16le",
        "pcm_s24le",
        "pcm_s32le",
        "pcm_f32le",
        "pcm_u8",
    }
)
# Data tracks phones and cameras write next to the picture, known by their handler names
# (PyAV doesn't expose a data stream's codec tag): QuickTime timecode ("tmcd", which ffmpeg
# also reports as a "timecode" tag), Apple's timed metadata ("mebx"), GoPro telemetry.
_HARMLESS_DATA_HANDLERS = frozenset(
    {
        "Core Media Metadata",
        "Core Media Data Handler",
        "TimeCodeHandler",
        "GoPro MET",
        "GoPro TCD",
        "GoPro SOS",
    }
)
_AUDIO_ONLY_CONTAINERS = frozenset({"m4a", "ogg", "flac", "mp3", "aac", "wav"})
_MOV_FAMILY = frozenset({"mp4", "mov", "m4a"})
_FIRST_FRAME_PACKETS = 600  # enough to reach a keyframe in any sane stream
_TAIL_SECONDS = 3.0
# How far the last packet may end before the declared duration (edit lists and audio
# priming move it by a frame or two, never by half a second).
_TAIL_TOLERANCE_SECONDS = 0.5
_TAIL_TOLERANCE_SHARE = 0.01
# Raw MP3/ADTS streams: no index, and a duration estimated from the first frames' bitrate.
_UNINDEXED = frozenset({"mp3", "aac"})
_STREAM_WORDS = {"subtitle": "a subtitle", "attachment": "an attachment", "data": "a data"}
_CONTAINER_NAMES = {
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


def probe_av(path: Path, sniffed: Sniffed, size_bytes: int, *, max_side: int) -> MediaFacts:
    name = _CONTAINER_NAMES[sniffed.container]
    options = {"protocol_whitelist": "file"}
    if sniffed.demuxer == "mov":
        options |= {"enable_drefs": "0", "use_absolute_path": "0"}
    try:
        container = av.open(str(path), mode="r", format=sniffed.demuxer, container_options=options)
    except av.FFmpegError as error:
        raise _open_failure(error, path, sniffed, name) from error
    with container:
        video, audio = _pick_streams(container)
        kind = "video" if video is not None else "audio"
        container_key = _container_for(sniffed.container, kind)
        _check_codecs(video, audio)
        if video is not None:
            _check_video_size(video, max_side)
        first_video_frame = _decode_first_frames(container, video, audio, name)
        duration = _check_tail(container, path, sniffed, video, audio, size_bytes, name)
        return _facts(
            kind=kind,
            container=container_key,
            size_bytes=size_bytes,
            video=video,
            audio=audio,
            duration=duration,
            rotation=_rotation(first_video_frame, video),
            bitrate=container.bit_rate or None,
            faststart=_faststart(path) if sniffed.container in _MOV_FAMILY else None,
        )


def _open_failure(error: av.FFmpegError, path: Path, sniffed: Sniffed, name: str) -> MediaRejected:
    text = str(error).lower()
    if sniffed.container in _MOV_FAMILY and b"moov" not in _top_level_atoms(path):
        return MediaRejected(
            f"This {name} file is truncated or was never finished: its index (the moov atom) "
            "is missing. Upload the complete file, or export it again.",
            code="truncated",
        )
    if isinstance(error, av.EOFError) or "end of file" in text:
        return MediaRejected(
            f"This {name} file is truncated: it ends before its headers do.", code="truncated"
        )
    return MediaRejected(f"This {name} file is damaged and can't be read.", code="corrupt")


def _pick_streams(
    container: av.container.InputContainer,
) -> tuple[av.video.stream.VideoStream | None, av.audio.stream.AudioStream | None]:
    video: av.video.stream.VideoStream | None = None
    audio: av.audio.stream.AudioStream | None = None
    for stream in container.streams:
        if isinstance(stream, av.video.stream.VideoStream):
            if stream.disposition & av.stream.Disposition.attached_pic:
                continue  # cover art of an audio file
            video = video or stream
        elif isinstance(stream, av.audio.stream.AudioStream):
            audio = audio or stream
        elif stream.type == "data" and _is_harmless_data(stream):
            continue  # never decoded, and the transcode drops it
        else:
            what = _STREAM_WORDS.get(stream.type, f"a {stream.type}")
            raise MediaRejected(
                f"This file carries {what} track as well as the media. Upload it without "
                "subtitle, data or attachment tracks (burn captions into the picture instead).",
                code="extra_streams",
            )
    if video is None and audio is None:
        raise MediaRejected("This file has neither a picture nor sound in it.", code="corrupt")
    return video, audio


def _is_harmless_data(stream: av.stream.Stream) -> bool:
    metadata = stream.metadata
    return "timecode" in metadata or metadata.get("handler_name", "") in _HARMLESS_DATA_HANDLERS


def _container_for(sniffed: str, kind: str) -> str:
    if kind == "video" and sniffed in _AUDIO_ONLY_CONTAINERS - {"m4a"}:
        raise MediaRejected(
            f"{_CONTAINER_NAMES[sniffed]} files with video aren't supported. Export the video "
            "as MP4 (H.264) and upload that.",
            code="unsupported_type",
        )
    if sniffed in _MOV_FAMILY:
        return "m4a" if kind == "audio" else ("mov" if sniffed == "mov" else "mp4")
    return sniffed


def _canonical(stream: av.stream.Stream) -> str:
    codec = stream.codec_context.codec
    return str(getattr(codec, "canonical_name", "") or codec.name)


def _check_codecs(
    video: av.video.stream.VideoStream | None, audio: av.audio.stream.AudioStream | None
) -> None:
    if video is not None and (codec := _canonical(video)) not in VIDEO_CODECS:
        raise MediaRejected(
            f"This video is encoded with {codec}, which isn't supported. Export it as H.264 "
            "(or HEVC, VP9, AV1) and upload that.",
            code="unsupported_codec",
        )
    if audio is not None and (codec := _canonical(audio)) not in AUDIO_CODECS:
        raise MediaRejected(
            f"The sound is encoded with {codec}, which isn't supported. Export it with AAC "
            "(or MP3, Opus) audio and upload that.",
            code="unsupported_codec",
        )


def _check_video_size(video: av.video.stream.VideoStream, max_side: int) -> None:
    width, height = video.codec_context.width, video.codec_context.height
    if width <= 0 or height <= 0:
        raise MediaRejected("This video's header gives it no picture size.", code="corrupt")
    if max(width, height) > max_side:
        raise MediaRejected(
            f"This video's header says it is {format_pixels(width, height)}; the longest side "
            f"allowed is {max_side:,} px.",
            code="dimensions",
        )


def _decode_first_frames(
    container: av.container.InputContainer,
    video: av.video.stream.VideoStream | None,
    audio: av.audio.stream.AudioStream | None,
    name: str,
) -> av.VideoFrame | None:
    wanted = [stream for stream in (video, audio) if stream is not None]
    decoded: dict[int, Any] = {}
    try:
        for count, packet in enumerate(container.demux(wanted)):
            if count > _FIRST_FRAME_PACKETS:
                break
            if packet.stream.index in decoded or packet.size == 0:
                continue
            if packet.is_corrupt:
                raise _damaged(name)
            for frame in packet.decode():
                decoded[packet.stream.index] = frame
                break
            if len(decoded) == len(wanted):
                break
    except av.FFmpegError as error:
        raise _damaged(name) from error
    missing = [stream.type for stream in wanted if stream.index not in decoded]
    if missing:
        raise MediaRejected(
            f"This {name} file's {' and '.join(missing)} can't be decoded: the data is damaged "
            "or missing.",
            code="corrupt",
        )
    first_video = decoded.get(video.index) if video is not None else None
    return first_video if isinstance(first_video, av.VideoFrame) else None


def _damaged(name: str) -> MediaRejected:
    return MediaRejected(
        f"This {name} file is damaged: its first frames can't be decoded.", code="corrupt"
    )


def _check_tail(
    container: av.container.InputContainer,
    path: Path,
    sniffed: Sniffed,
    video: av.video.stream.VideoStream | None,
    audio: av.audio.stream.AudioStream | None,
    size_bytes: int,
    name: str,
) -> float | None:
    """Refuse a file whose data stops before its declared end; return its duration in seconds."""
    if sniffed.container in _MOV_FAMILY and _index_end(container) > size_bytes:
        raise _truncated(name)
    declared = container.duration / 1_000_000 if container.duration else None
    if sniffed.container in _UNINDEXED:
        declared = None  # estimated from the bitrate: measure it instead (audio files are small)
    wanted = [stream for stream in (video, audio) if stream is not None]
    start = max(0.0, declared - _TAIL_SECONDS) if declared else 0.0
    last_end = 0.0
    try:
        _seek(container, start)
        for packet in container.demux(wanted):
            if packet.is_corrupt:
                raise _truncated(name)
            if packet.pts is None or packet.size == 0:
                continue
            stream = packet.stream
            offset = stream.start_time or 0
            end = float((packet.pts - offset + (packet.duration or 0)) * stream.time_base)
            last_end = max(last_end, end)
    except av.FFmpegError as error:
        raise _truncated(name) from error
    if declared is None:
        return last_end or None
    if last_end < declared - max(_TAIL_TOLERANCE_SECONDS, _TAIL_TOLERANCE_SHARE * declared):
        raise _truncated(name)
    return declared


def _seek(container: av.container.InputContainer, seconds: float) -> None:
    # Not seekable: demuxing on from the first frames still reaches the end.
    with contextlib.suppress(av.FFmpegError):
        container.seek(int(seconds * 1_000_000), backward=True, any_frame=False)


def _truncated(name: str) -> MediaRejected:
    return MediaRejected(
        f"This {name} file is truncated: it stops before the end its header declares. Upload "
        "the complete file, or export it again.",
        code="truncated",
    )


def _index_end(container: av.container.InputContainer) -> int:
    """Return the furthest byte the MP4/MOV sample index points at."""
    furthest = 0
    for stream in container.streams:
        for entry in stream.index_entries:
            if entry.pos >= 0:
                furthest = max(furthest, entry.pos + entry.size)
    return furthest


def _rotation(frame: av.VideoFrame | None, video: av.video.stream.VideoStream | None) -> int:
    degrees: float = 0
    if frame is not None:
        degrees = frame.rotation or 0
    elif video is not None:
        degrees = float(video.metadata.get("rotate", 0) or 0)
    return int(round(degrees / 90) * 90) % 360


def _faststart(path: Path) -> bool | None:
    """Tell whether ``moov`` comes before ``mdat`` (what Meta asks for); None if unknown."""
    for atom in _top_level_atoms(path):
        if atom in (b"moov", b"mdat"):
            return atom == b"moov"
    return None


def _top_level_atoms(path: Path) -> list[bytes]:
    """List the types of an MP4/MOV file's top-level atoms, in order, as far as they are intact."""
    atoms: list[bytes] = []
    size_left = path.stat().st_size
    with path.open("rb") as stream:
        for _ in range(64):  # ftyp, free, moov, mdat …: a handful in practice
            header = stream.read(8)
            if len(header) < 8:
                break
            size = int.from_bytes(header[:4], "big")
            header_size = 8
            if size == 1:  # 64-bit size follows the type
                size = int.from_bytes(stream.read(8), "big")
                header_size = 16
            elif size == 0:  # "extends to the end of the file"
                size = size_left
            if size < header_size or size > size_left:
                break  # cut short: this atom isn't complete
            atoms.append(header[4:8])
            size_left -= size
            stream.seek(size - header_size, 1)
    return atoms


def _facts(
    *,
    kind: str,
    container: str,
    size_bytes: int,
    video: av.video.stream.VideoStream | None,
    audio: av.audio.stream.AudioStream | None,
    duration: float | None,
    rotation: int,
    bitrate: int | None,
    faststart: bool | None,
) -> MediaFacts:
    content_type = _content_type(container, kind)
    if bitrate is None and duration:
        bitrate = int(size_bytes * 8 / duration)
    audio_context = audio.codec_context if audio is not None else None
    common: dict[str, Any] = {
        "kind": kind,
        "container": container,
        "content_type": content_type,
        "size_bytes": size_bytes,
        "duration_seconds": duration,
        "bitrate": bitrate,
        "has_audio": audio is not None,
        "audio_codec": _canonical(audio) if audio is not None else "",
        "audio_channels": audio_context.layout.nb_channels if audio_context is not None else None,
        "sample_rate": audio_context.sample_rate if audio_context is not None else None,
        "faststart": faststart,
    }
    if video is None:
        return MediaFacts(**common)
    rate = video.average_rate or video.guessed_rate
    return MediaFacts(
        **common,
        width=video.codec_context.width,
        height=video.codec_context.height,
        fps=float(rate) if rate else None,
        video_codec=_canonical(video),
        pixel_format=str(video.codec_context.pix_fmt or ""),
        rotation=rotation,
    )


def _content_type(container: str, kind: str) -> str:
    if container == "webm":
        return "audio/webm" if kind == "audio" else "video/webm"
    return {
        "mp4": "video/mp4",
        "mov": "video/quicktime",
        "m4a": "audio/mp4",
        "ogg": "audio/ogg",
        "flac": "audio/flac",
        "mp3": "audio/mpeg",
        "aac": "audio/aac",
        "wav": "audio/wav",
    }[container]
