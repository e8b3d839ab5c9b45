"""The editor's renders (#17 "Measure"): against the same ffmpeg command run bare, and the proxy speed.

Makes 8 sources (1280x720 30 fps H.264 + AAC, 5 s, ffmpeg's test pattern and a tone) and a
music track, then:

- ``ratio``: a 10 s 3-clip 9:16 edit at full size (1080x1920, veryfast): ``render(...)`` (the
  builder, the ASS script and fonts folder, the hardened runner, ``-progress`` parsing, the
  re-inspection, the rename) against ``subprocess.run`` of the very same arguments with files
  written once beforehand, in interleaved rounds; the ratio of medians must be <= 1.10;
- ``proxy``: a 30.0 s 8-clip 9:16 edit (trims, 0.25 s fades, texts, captions, ducked music,
  an end card) rendered as the 540p proxy; video seconds per wall second must be >= 6.

Run from the repository root (no database needed)::

    .venv/bin/python -m bench.editor_render [--runs 3]

Writes ``bench/results/editor_render.json``.
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

from bench.transcode_ratio import environment_report


def make_sources(folder: Path) -> dict:
    from creatives.editor.render import SourceMedia
    from creatives.library.media.ffmpeg import ffmpeg_exe
    from creatives.library.media.inspect import inspect_file
    from tests.media_samples import make_video

    sources = {}
    for number in range(1, 9):
        path = make_video(folder / f"clip{number}.mp4", width=1280, height=720, seconds=5)
        sources[number] = SourceMedia(path, inspect_file(path))
    music = folder / "music.m4a"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=220:d=40",
            "-c:a",
            "aac",
            str(music),
        ],
        check=True,
    )
    sources[9] = SourceMedia(music, inspect_file(music))
    return sources


def edit(clips: int, length: float, fade: float, card: float) -> dict:
    ids = [f"c{n}" for n in range(1, clips + 1)]
    framings = [
        {"mode": "blur"},
        {"mode": "fill"},
        {"mode": "crop", "x": 0.35, "y": 0, "w": 0.32, "h": 1},
    ]
    return {
        "version": 1,
        "ratios": ["9:16"],
        "clips": [
            {
                "id": cid,
                "asset": n + 1,
                "in": 0.5,
                "out": 0.5 + length,
                "speed": 1.0,
                "volume": 1.0,
                "muted": False,
                "framing": {"9:16": framings[n % 3]},
            }
            for n, cid in enumerate(ids)
        ],
        "transitions": [{"after": cid, "kind": "fade", "duration": fade} for cid in ids[:-1]],
        "texts": [
            {
                "id": "t1",
                "text": "Spring sale",
                "style": "title",
                "x": 0.5,
                "y": 0.15,
                "start": 0,
                "end": 3,
            }
        ],
        "logo": None,
        "captions": [
            {"start": s, "end": s + 2, "text": f"Caption line {s}"} for s in range(0, 8, 2)
        ],
        "caption_style": {"position": "bottom", "size": "m"},
        "audio": [
            {
                "id": "a1",
                "asset": 9,
                "role": "music",
                "start": 0,
                "in": 0,
                "out": 40,
                "volume": 0.5,
                "fade_in": 0.5,
                "fade_out": 1.0,
                "duck": True,
            }
        ],
        "end_card": {"text": "Shop now at example.com", "duration": card},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    sys.path.insert(0, str(Path.cwd()))
    from creatives.editor.render import build_render, render, timeline_duration
    from creatives.library.media.ffmpeg import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = make_sources(folder)
        short = edit(3, 3.5, 0.25, 0.5)  # 3 x 3.5 - 2 x 0.25 + 0.5 = 10.5 s
        plan = build_render(short, "9:16", sources)
        work = folder / "bare-work"
        work.mkdir()
        plan.write_files(work)
        bare_times, job_times = [], []
        for _round in range(options.runs):
            started = time.perf_counter()
            subprocess.run(
                [
                    ffmpeg_exe(),
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    *plan.command(work, folder / "bare.mp4"),
                ],
                check=True,
            )
            bare_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            render(short, "9:16", sources, folder / "job.mp4", on_progress=lambda _p: None)
            job_times.append(time.perf_counter() - started)
        proxy_doc = edit(8, 3.875, 0.25, 0.75)  # 8 x 3.875 - 7 x 0.25 + 0.75 = 30.0 s
        proxy_seconds = timeline_duration(proxy_doc)
        proxy_times = []
        for _round in range(options.runs):
            started = time.perf_counter()
            facts = render(proxy_doc, "9:16", sources, folder / "proxy.mp4", proxy=True)
            proxy_times.append(time.perf_counter() - started)
    ratio = statistics.median(job_times) / statistics.median(bare_times)
    realtime = proxy_seconds / statistics.median(proxy_times)
    result = {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment_report(),
        "runs": options.runs,
        "ratio": {
            "edit": "10.5 s, 3 clips of 1280x720, fades, text, captions, ducked music, end card",
            "output": "1080x1920 veryfast",
            "bare_s": bare_times,
            "job_s": job_times,
            "ratio_of_medians": round(ratio, 3),
            "target": "<= 1.10",
            "met": ratio <= 1.10,
        },
        "proxy": {
            "edit": "30.0 s, 8 clips of 1280x720, 7 fades, text, captions, ducked music, end card",
            "output": f"{facts.width}x{facts.height} ultrafast",
            "duration_s": facts.duration_seconds,
            "wall_s": proxy_times,
            "x_real_time": round(realtime, 2),
            "target": ">= 6",
            "met": realtime >= 6,
        },
    }
    out = Path("bench/results/editor_render.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "environment"}, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
