"""What the composer costs around its one ffmpeg run, against the same command run bare.

Makes 6 scene stills (1600x1200 Pillow drawings), a 30 s "voice-over" (a warbling tone: no
speech engine on our machines) and a 20 s music clip (looped by the composer), then times, in
``--runs`` interleaved rounds, rendering a 30.0 s 1080x1920 30 fps video: 6 scenes of 5 s
(zoom in/out and pans), 0.5 s fades, on-screen text and a caption per scene, voice-over
over ducked music, a 3 s end card with logo and CTA (6 x 5 + 3 - 6 x 0.5 = 30 s):

- ``bare``: ``subprocess.run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
  *build_compose_args(...)])`` on inputs prepared once beforehand: exactly the encode, and
  nothing else;
- ``job``: ``compose_video(...)`` with an ``on_progress`` callback: validating the spec,
  inspecting every part, redrawing the stills with Pillow, writing the ASS script, the
  runner's hardening, ``-progress`` parsing, the stderr drain and watchdog, re-inspecting
  the output and renaming it into place.

The ratio of medians (job / bare) is the number to watch; the target is <= 1.15. The
real-time factor (video seconds per wall second of the job) must be >= 2 with the preset.

Run from the repository root (no database, Redis or Django settings needed)::

    .venv/bin/python -m bench.compose_ratio [--runs 3] [--preset veryfast]

Writes ``bench/results/compose_ratio.json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.transcode_ratio import environment_report

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "compose_ratio.json"
TARGET_RATIO = 1.15
TARGET_REALTIME = 2.0
MOTIONS = ["zoom_in", "pan_left", "zoom_out", "pan_right", "zoom_in", "none"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each variant")
    parser.add_argument("--preset", default=None, help="x264 preset (default: the composer's)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def make_parts(root: Path) -> dict[str, Any]:
    from PIL import Image, ImageDraw

    from creatives.library.media.ffmpeg import ffmpeg_exe

    scenes = []
    for index in range(6):
        image = Image.new("RGB", (1600, 1200), (40 * index, 120, 255 - 40 * index))
        draw = ImageDraw.Draw(image)
        for step in range(0, 1600, 80):  # detail, so motion costs real bits
            draw.line([(step, 0), (1600 - step, 1200)], fill=(255, 255, 255), width=3)
            draw.ellipse([step, step // 2, step + 60, step // 2 + 60], fill=(255, 200, 0))
        scenes.append(root / f"scene{index}.jpg")
        image.save(scenes[-1], quality=90)
    Image.new("RGBA", (400, 160), (255, 255, 255, 230)).save(root / "logo.png")
    base = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    subprocess.run(
        [*base, "-i", "sine=frequency=220:beep_factor=4:duration=30", "-c:a", "libmp3lame",
         str(root / "voice.mp3")],
        check=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        [*base, "-i", "sine=frequency=523:duration=20", "-c:a", "aac", str(root / "music.m4a")],
        check=True,
        timeout=120,
    )
    return {"scenes": scenes, "logo": root / "logo.png", "voice": root / "voice.mp3",
            "music": root / "music.m4a"}  # fmt: skip


def make_spec(parts: dict[str, Any]) -> Any:
    from creatives.studio.compose import Caption, CompositionSpec, EndCard, Scene

    lines = [
        "Tired of cold coffee by 9 am?",
        "Meet the one-touch brewer: ready in 60 seconds, every morning.",
        "Grind, brew and keep warm: all in one.",
        "Cleans itself while you shower.",
        "Loved by 20,000 early risers.",
        "Today only: 30% off, free delivery.",
    ]
    scenes = [
        Scene(path, 5.0, f"Step {index + 1}", Caption(lines[index], 0.3, 4.7), MOTIONS[index])
        for index, path in enumerate(parts["scenes"])
    ]
    return CompositionSpec(
        size=(1080, 1920),
        scenes=scenes,
        end_card=EndCard("Shop now at example.com", 3.0, "#14213D", parts["logo"]),
        transition="fade",
        transition_s=0.5,
        voice_over=parts["voice"],
        music=parts["music"],
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from creatives.library.media.ffmpeg import ffmpeg_exe
    from creatives.library.media.specs import check_conformance
    from creatives.studio.compose import (
        X264_PRESET,
        build_compose_args,
        compose_video,
        prepare_inputs,
    )

    preset = args.preset or X264_PRESET
    report: dict[str, Any] = {
        "benchmark": "compose_ratio",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment_report(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-compose-") as scratch:
        work = Path(scratch)
        parts = make_parts(work)
        spec = make_spec(parts)
        prepared_dir = work / "prepared"
        prepared_dir.mkdir()
        prepared = prepare_inputs(spec, prepared_dir)
        bare: list[float] = []
        job: list[float] = []
        progress_calls: list[int] = []
        facts = None
        for round_index in range(args.runs):
            order = ("bare", "job") if round_index % 2 == 0 else ("job", "bare")
            for variant in order:
                destination = work / f"{variant}-{round_index}.mp4"
                started = time.perf_counter()
                if variant == "bare":
                    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error"]
                    command += build_compose_args(spec, prepared, destination, preset=preset)
                    subprocess.run(command, check=True, timeout=600)
                    bare.append(time.perf_counter() - started)
                else:
                    seen: list[float] = []
                    facts = compose_video(spec, destination, on_progress=seen.append, preset=preset)
                    job.append(time.perf_counter() - started)
                    progress_calls.append(len(seen))
                    if seen[-1] != 100.0 or seen != sorted(seen):
                        raise SystemExit(f"progress was not monotonic ending at 100: {seen}")
                elapsed = (bare if variant == "bare" else job)[-1]
                print(f"round {round_index + 1} {variant:>4}: {elapsed:.2f} s", flush=True)
                destination.unlink()
    assert facts is not None
    failing = [
        f"{placement}:{result.rule}"
        for placement in ("ig_reel",)
        for result in check_conformance(facts, placement)
        if not result.ok and not result.advisory
    ]
    ratio = statistics.median(job) / statistics.median(bare)
    realtime = spec.duration_s / statistics.median(job)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["parameters"] = {
        "runs": args.runs,
        "preset": preset,
        "size": list(spec.size),
        "fps": spec.fps,
        "scenes": len(spec.scenes),
        "scene_seconds": 5.0,
        "motions": MOTIONS,
        "transition": f"{spec.transition} {spec.transition_s} s",
        "end_card_seconds": 3.0,
        "audio": "voice-over (30 s mp3) + music (20 s m4a, looped) ducked with sidechaincompress",
        "duration_seconds": spec.duration_s,
    }
    report["results"] = {
        "bare_seconds": [round(value, 3) for value in bare],
        "job_seconds": [round(value, 3) for value in job],
        "bare_median_seconds": round(statistics.median(bare), 3),
        "job_median_seconds": round(statistics.median(job), 3),
        "ratio_of_medians": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "realtime_factor_job": round(realtime, 2),
        "realtime_factor_bare": round(spec.duration_s / statistics.median(bare), 2),
        "target_realtime_factor": TARGET_REALTIME,
        "meets_target": ratio <= TARGET_RATIO and realtime >= TARGET_REALTIME and not failing,
        "progress_callbacks_per_job": progress_calls,
        "output": {
            "width": facts.width,
            "height": facts.height,
            "duration_seconds": facts.duration_seconds,
            "fps": facts.fps,
            "size_bytes": facts.size_bytes,
            "bitrate": facts.bitrate,
            "video_codec": facts.video_codec,
            "audio_codec": facts.audio_codec,
            "sample_rate": facts.sample_rate,
            "faststart": facts.faststart,
            "ig_reel_failing_rules": failing,
        },
    }
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(f"warning: load average {load:.2f}; expect noise", file=sys.stderr)
    report = run(args)
    results = report["results"]
    print(
        f"bare median {results['bare_median_seconds']:.2f} s, job median "
        f"{results['job_median_seconds']:.2f} s, ratio {results['ratio_of_medians']:.3f} "
        f"(target <= {TARGET_RATIO}), {results['realtime_factor_job']:.2f}x real time "
        f"(target >= {TARGET_REALTIME}) with preset {report['parameters']['preset']}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0 if results["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
