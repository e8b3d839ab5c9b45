"""Small real media files made on the fly with the ffmpeg binary imageio-ffmpeg ships."""

import subprocess
from pathlib import Path

from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image


def make_video(path: Path, *, width: int, height: int, seconds: float, audio: bool = True) -> Path:
    args = [
        get_ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={width}x{height}:rate=30:duration={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-shortest"] if audio else []
    args += ["-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True, timeout=60)  # noqa: S603
    return path


def make_image(path: Path, *, width: int, height: int, fmt: str = "JPEG") -> Path:
    Image.new("RGB", (width, height), (120, 80, 200)).save(path, fmt)
    return path
