"""What the media library costs around an ffmpeg transcode, against the same command run bare.

Makes one 30 s 1920x1080 30 fps H.264/AAC clip (a landscape phone clip; ``testsrc2`` moving
pattern plus a tone), inspects it, then times, in ``--runs`` interleaved rounds:

- ``bare``: ``subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", *args])`` where
  ``args = build_transcode_args(...)``: exactly the encode the job asks for, and nothing else;
- ``job``: ``transcode_to_spec(...)`` with an ``on_progress`` callback, i.e. what a media
  job runs: the same arguments plus the runner's hardening (protocol whitelists, URL check),
  ``-progress`` parsing on a pipe, the stderr drain thread, the watchdog, and re-inspecting
  the output with ``inspect_file`` (PyAV open, first-frame decode, tail check, polyglot scan).

The target is ``ig_reel`` with ``fill="blur"``: 1080x1920 output, the sharp picture over a
blurred copy, H.264 ``veryfast`` CRF 21 capped at 24.9 Mbps, AAC 48 kHz stereo, faststart.
Both variants write to a fresh file each time. The ratio of medians (job / bare) is the
number to watch; the target is <= 1.15.

Run from the repository root (no database, Redis or Django settings needed)::

    .venv/bin/python -m bench.transcode_ratio [--runs 3] [--seconds 30]

Writes ``bench/results/transcode_ratio.json``.
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

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "transcode_ratio.json"
PLACEMENT = "ig_reel"
FILL = "blur"
TARGET_RATIO = 1.15


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each variant")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the source clip")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def make_source(path: Path, seconds: float) -> float:
    from creatives.library.media.ffmpeg import ffmpeg_exe

    started = time.perf_counter()
    subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=600,
    )
    return time.perf_counter() - started


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
    from creatives.library.media.ffmpeg import ffmpeg_exe

    ffmpeg_version = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True, text=True, timeout=10
    ).stdout.split("\n", 1)[0]
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
            "ffmpeg": ffmpeg_version,
            "imageio-ffmpeg": version("imageio-ffmpeg"),
            "av": version("av"),
        },
    }


def measure_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    from creatives.library.media.ffmpeg import ffmpeg_exe
    from creatives.library.media.inspect import inspect_file
    from creatives.library.media.specs import fits
    from creatives.library.media.transcode import (
        build_transcode_args,
        plan_transcode,
        transcode_to_spec,
    )

    report: dict[str, Any] = {
        "benchmark": "transcode_ratio",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment_report(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as scratch:
        work = Path(scratch)
        source = work / "source.mp4"
        made_in = make_source(source, args.seconds)
        facts = inspect_file(source)
        plan = plan_transcode(facts, PLACEMENT, fill=FILL)
        timeout = max(600.0, args.seconds * 20)
        bare: list[float] = []
        job: list[float] = []
        progress_calls: list[int] = []
        reinspect_ms: list[float] = []
        output_facts = None
        for round_index in range(args.runs):
            # Alternate which goes first, so drift in machine load spreads over both.
            order = ("bare", "job") if round_index % 2 == 0 else ("job", "bare")
            for variant in order:
                destination = work / f"{variant}-{round_index}.mp4"
                if variant == "bare":
                    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error"]
                    command += build_transcode_args(
                        source, destination, facts=facts, placement_key=PLACEMENT, fill=FILL
                    )
                    started = time.perf_counter()
                    subprocess.run(command, check=True, timeout=timeout)
                    bare.append(time.perf_counter() - started)
                else:
                    seen: list[float] = []
                    started = time.perf_counter()
                    output_facts = transcode_to_spec(
                        source,
                        destination,
                        facts=facts,
                        placement_key=PLACEMENT,
                        fill=FILL,
                        on_progress=seen.append,
                        timeout=timeout,
                    )
                    job.append(time.perf_counter() - started)
                    progress_calls.append(len(seen))
                    if seen[-1] != 100.0 or seen != sorted(seen):
                        raise SystemExit(f"progress was not monotonic ending at 100: {seen}")
                print(
                    f"round {round_index + 1} {variant:>4}: {(bare if variant == 'bare' else job)[-1]:.2f} s",
                    flush=True,
                )
                if variant == "job" and round_index == args.runs - 1:
                    # The job's own fixed cost beyond ffmpeg: re-inspecting its output.
                    reinspect_ms = [
                        measure_ms(lambda path=destination: inspect_file(path)) for _ in range(5)
                    ]
                destination.unlink()
        if output_facts is None or not fits(output_facts, PLACEMENT):
            raise SystemExit("the job's output does not fit the placement")
        source_size = source.stat().st_size
    ratio = statistics.median(job) / statistics.median(bare)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["parameters"] = {
        "runs": args.runs,
        "placement": PLACEMENT,
        "fill": FILL,
        "source": {
            "what": "lavfi testsrc2 + sine, H.264 veryfast CRF 23 + AAC",
            "width": facts.width,
            "height": facts.height,
            "fps": facts.fps,
            "duration_seconds": facts.duration_seconds,
            "size_bytes": source_size,
            "generated_in_seconds": round(made_in, 2),
        },
        "plan": {
            "width": plan.frame.width,
            "height": plan.frame.height,
            "fill": plan.frame.fill,
            "fps": str(plan.fps),
            "video_maxrate": plan.video_maxrate,
        },
    }
    report["results"] = {
        "bare_seconds": [round(value, 3) for value in bare],
        "job_seconds": [round(value, 3) for value in job],
        "bare_median_seconds": round(statistics.median(bare), 3),
        "job_median_seconds": round(statistics.median(job), 3),
        "ratio_of_medians": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
        "progress_callbacks_per_job": progress_calls,
        "reinspect_output_ms_median": round(statistics.median(reinspect_ms), 1),
        "encode_speed_x_realtime": round(
            (facts.duration_seconds or 0) / statistics.median(bare), 2
        ),
        "output": {
            "width": output_facts.width,
            "height": output_facts.height,
            "size_bytes": output_facts.size_bytes,
            "bitrate": output_facts.bitrate,
            "video_codec": output_facts.video_codec,
            "audio_codec": output_facts.audio_codec,
            "faststart": output_facts.faststart,
            "fits": True,
        },
    }
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"warning: load average {load:.2f}; the machine is busy, expect noise", file=sys.stderr
        )
    report = run(args)
    results = report["results"]
    print(
        f"bare median {results['bare_median_seconds']:.2f} s, job median {results['job_median_seconds']:.2f} s, "
        f"ratio {results['ratio_of_medians']:.3f} (target <= {TARGET_RATIO})"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"wrote {args.output.relative_to(BASE_DIR) if args.output.is_relative_to(BASE_DIR) else args.output}"
    )
    return 0 if results["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
