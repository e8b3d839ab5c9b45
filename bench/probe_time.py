"""How long ``inspect_file`` takes per file, by kind and size, and what the polyglot scan costs.

Makes a set of typical uploads once (Pillow and the bundled ffmpeg), then times
``inspect_file`` on each ``--repeat`` times after one untimed warm-up (which also pulls the
file into the page cache, so this is CPU cost, not disk):

- images: a 12 MP phone-size JPEG (4032x3024) with EXIF, a 1080x1350 JPEG, a 1080x1080 PNG;
- video: 1080x1920 H.264/AAC clips of 10 s and 60 s (moov at the end, as phones write);
- audio: a 3 min MP3 and a 30 s WAV.

Separately it times ``scan_for_polyglot`` (the whole-file ``#EXTM3U`` search every audio and
video upload gets) over a 256 MB file of random bytes, giving the per-GB cost of that one
step for large videos, which dominates their probe.

Run from the repository root (no database, Redis or Django settings needed)::

    .venv/bin/python -m bench.probe_time [--repeat 20]

Writes ``bench/results/probe_time.json``.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from PIL import Image

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "probe_time.json"
SCAN_BYTES = 256 * 1024 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed inspections per file")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def ffmpeg(*args: str) -> None:
    from creatives.library.media.ffmpeg import ffmpeg_exe

    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=600)


def photo(path: Path, width: int, height: int, fmt: str) -> None:
    # Noise compresses like a real photo (a flat colour would make a 20 KB "12 MP" file).
    image = Image.effect_noise((width, height), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6
    if fmt == "JPEG":
        image.save(path, fmt, quality=90, exif=exif)
    else:
        image.save(path, fmt)


def video(path: Path, seconds: int) -> None:
    source = f"testsrc2=size=1080x1920:rate=30:duration={seconds}"
    tone = f"sine=frequency=440:duration={seconds}"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        source,
        "-f",
        "lavfi",
        "-i",
        tone,
        *encode,
        "-c:a",
        "aac",
        "-shortest",
        str(path),
    )


def mp3(path: Path) -> None:
    tone = "sine=frequency=440:duration=180"
    ffmpeg("-f", "lavfi", "-i", tone, "-c:a", "libmp3lame", "-b:a", "192k", str(path))


def wav(path: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=30", str(path))


SAMPLES: dict[str, Callable[[Path], None]] = {
    "photo_12mp.jpg": lambda path: photo(path, 4032, 3024, "JPEG"),
    "feed_1080x1350.jpg": lambda path: photo(path, 1080, 1350, "JPEG"),
    "square_1080.png": lambda path: photo(path, 1080, 1080, "PNG"),
    "vertical_10s.mp4": lambda path: video(path, 10),
    "vertical_60s.mp4": lambda path: video(path, 60),
    "song_3min.mp3": mp3,
    "voice_30s.wav": wav,
}


def environment_report() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
            )
        except OSError:
            return ""
        return out.stdout.strip()

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "git": {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model,
            "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {
            "python": platform.python_version(),
            "pillow": version("pillow"),
            "av": version("av"),
            "imageio-ffmpeg": version("imageio-ffmpeg"),
        },
    }


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm-up: imports, page cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(args: argparse.Namespace) -> dict[str, Any]:
    from creatives.library.media.inspect import inspect_file
    from creatives.library.media.sniff import scan_for_polyglot

    limits = {"image": 10**10, "video": 10**10, "audio": 10**10}
    report: dict[str, Any] = {
        "benchmark": "probe_time",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment_report(),
        "parameters": {"repeat": args.repeat, "scan_bytes": SCAN_BYTES},
    }
    files: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as scratch:
        work = Path(scratch)
        for name, make in SAMPLES.items():
            path = work / name
            make(path)
            facts = inspect_file(path, max_bytes_by_kind=limits)
            samples = sorted(
                timed(lambda path=path: inspect_file(path, max_bytes_by_kind=limits), args.repeat)
            )
            files[name] = {
                "kind": facts.kind,
                "size_bytes": facts.size_bytes,
                "width": facts.width,
                "height": facts.height,
                "duration_seconds": facts.duration_seconds,
                "mean_ms": round(statistics.fmean(samples), 2),
                "p50_ms": round(statistics.median(samples), 2),
                "min_ms": round(samples[0], 2),
                "max_ms": round(samples[-1], 2),
            }
            print(
                f"{name:22s} {facts.kind:5s} {facts.size_bytes / 1e6:8.2f} MB  mean {files[name]['mean_ms']:8.2f} ms  p50 {files[name]['p50_ms']:8.2f} ms",
                flush=True,
            )
        blob = work / "random.bin"
        with blob.open("wb") as stream:
            for _ in range(SCAN_BYTES // (8 * 1024 * 1024)):
                stream.write(os.urandom(8 * 1024 * 1024))
        scans = sorted(timed(lambda: scan_for_polyglot(blob, markup_everywhere=False), 5))
        markup_scans = sorted(timed(lambda: scan_for_polyglot(blob, markup_everywhere=True), 3))
    per_gb = statistics.median(scans) / 1000 * (1024**3 / SCAN_BYTES)
    per_gb_markup = statistics.median(markup_scans) / 1000 * (1024**3 / SCAN_BYTES)
    report["files"] = files
    report["polyglot_scan"] = {
        "hls_only_ms_per_256mb": round(statistics.median(scans), 1),
        "hls_only_seconds_per_gb": round(per_gb, 2),
        "with_markup_everywhere_seconds_per_gb": round(per_gb_markup, 2),
    }
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"polyglot scan: {per_gb:.2f} s/GB (HLS marker only, audio/video), "
        f"{per_gb_markup:.2f} s/GB with the markup search images get"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"warning: load average {load:.2f}; the machine is busy, expect noise", file=sys.stderr
        )
    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
