"""The ffmpeg output options every MP4 we make shares (transcodes and composed videos).

H.264 High, yuv420p, CRF with a bitrate cap and closed 2 s GOPs; AAC 128 kbps 48 kHz stereo
(GRAPH_NOTES §2.2); no metadata, chapters, subtitles or data streams; the index up front
(faststart), as Meta requires. Callers choose the x264 preset and the cap.
"""

from pathlib import Path

X264_CRF = 21  # visually clean for social video; -maxrate still caps it
GOP_SECONDS = 2  # a keyframe every 2 s: closed GOPs Meta can cut and seek
AUDIO_BITRATE = 128_000  # GRAPH_NOTES §2.2: AAC 128 kbps
AUDIO_SAMPLE_RATE = 48_000
AAC_ARGS = ("-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ar", str(AUDIO_SAMPLE_RATE), "-ac", "2")


def h264_args(*, preset: str, maxrate: int, gop_frames: int) -> list[str]:
    return [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        str(X264_CRF),
        "-maxrate",
        str(maxrate),
        "-bufsize",
        str(maxrate * 2),
        "-g",
        str(max(1, gop_frames)),
        "-flags",
        "+cgop",
    ]


def mp4_output_args(dst: Path) -> list[str]:
    """Return the closing options: strip what Meta doesn't need, index first, write ``dst``."""
    return [
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-sn",
        "-dn",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(dst.resolve()),
    ]
