"""Upload a 1 GB video through the real upload view under gunicorn and measure the server.

Measures the serving worker's peak RSS growth during the upload (target: at most 64 MB, i.e.
the upload streams in constant memory) and the upload's throughput (request start to the
checked, stored asset) against a plain file copy of the same file on the same disk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python -m bench.upload_memory [--size-mb 1024]

The video is made once with the ffmpeg binary imageio-ffmpeg ships (noisy frames, so it
really weighs what it says) and kept in var/bench/. Media is written to a temporary folder.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.dashboard_latency import (
    BASE_DIR,
    bench_database,
    create_database_if_missing,
    free_port,
    login,
    migrate,
    seed,
    server_env,
    setup_django,
    stop_server,
    wait_until_ready,
)

RESULTS = BASE_DIR / "bench" / "results" / "upload_memory.json"
SAMPLE_DIR = BASE_DIR / "var" / "bench"
RSS_POLL_SECONDS = 0.05
UPLOAD_TIMEOUT_SECONDS = 900


def make_sample(size_mb: int) -> Path:
    """Return a valid H.264 MP4 of about ``size_mb`` MB, generating it once."""
    from imageio_ffmpeg import get_ffmpeg_exe

    path = SAMPLE_DIR / f"upload-{size_mb}mb.mp4"
    if path.exists() and path.stat().st_size > size_mb * 1024 * 1024 * 0.95:
        return path
    SAMPLE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"generating a {size_mb} MB video (once)…")
    subprocess.run(
        [
            get_ffmpeg_exe(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=900",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=900",
            "-vf",
            "noise=alls=80:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "0",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-fs",
            f"{size_mb}M",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
        timeout=1800,
    )
    return path


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def worker_pid(master: int) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().split(")")[1].split()[1]) == master:
                    return int(proc.name)
            except (OSError, IndexError, ValueError):
                continue
    raise RuntimeError("gunicorn worker not found")


def start_gunicorn(port: int, log: Path, media_dir: Path) -> subprocess.Popen[bytes]:
    env = {**server_env(), "PROSOCIAL_VAR_DIR": str(media_dir), "DEBUG": "0"}
    # PROSOCIAL_VAR_DIR moves the media folder; keep the secrets of the real var/ dir.
    from django.conf import settings

    env["SECRET_KEY"] = settings.SECRET_KEY
    env["FIELD_ENCRYPTION_KEYS"] = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "prosocial.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                str(UPLOAD_TIMEOUT_SECONDS),
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run(size_mb: int) -> dict[str, object]:
    setup_django()
    create_database_if_missing(bench_database())
    migrate()
    owner = seed(1)
    sample = make_sample(size_mb)
    size = sample.stat().st_size

    with tempfile.TemporaryDirectory(prefix="bench-copy-", dir=SAMPLE_DIR) as tmp:
        started = time.perf_counter()
        shutil.copyfile(sample, Path(tmp) / "copy.mp4")
        copy_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="bench-media-", dir=SAMPLE_DIR) as media_dir:
        port = free_port()
        log = Path(media_dir) / "gunicorn.log"
        proc = start_gunicorn(port, log, Path(media_dir))
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(proc, base, log)
            session = login(base, owner.email, owner.password)
            url = f"{base}/w/{owner.slug}/media/upload/"
            session.get(f"{base}/w/{owner.slug}/media/", timeout=30)  # warm the worker
            pid = worker_pid(proc.pid)
            baseline = _status(pid, "VmRSS")
            peak = [baseline]
            done = threading.Event()

            def poll() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _status(pid, "VmRSS"))
                    time.sleep(RSS_POLL_SECONDS)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            started = time.perf_counter()
            with sample.open("rb") as handle:
                response = session.post(
                    url,
                    files={"files": (sample.name, handle, "video/mp4")},
                    headers={
                        "X-CSRFToken": session.cookies["csrftoken"],
                        "Referer": url,
                        "Accept": "application/json",
                    },
                    timeout=UPLOAD_TIMEOUT_SECONDS,
                )
            upload_seconds = time.perf_counter() - started
            done.set()
            poller.join()
            hwm = _status(pid, "VmHWM")
            if response.status_code != 201:
                raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
        finally:
            stop_server(proc)

    mb = size / 1024 / 1024
    result: dict[str, object] = {
        "benchmark": "upload_memory",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "file_mb": round(mb, 1),
        "rss_baseline_mb": round(baseline / 1024 / 1024, 1),
        "rss_peak_polled_mb": round(peak[0] / 1024 / 1024, 1),
        "rss_growth_mb": round((peak[0] - baseline) / 1024 / 1024, 1),
        "vm_hwm_mb": round(hwm / 1024 / 1024, 1),
        "upload_seconds": round(upload_seconds, 2),
        "upload_mb_per_s": round(mb / upload_seconds, 1),
        "plain_copy_seconds": round(copy_seconds, 2),
        "plain_copy_mb_per_s": round(mb / copy_seconds, 1),
        "upload_vs_copy_time_ratio": round(upload_seconds / copy_seconds, 1),
        "target": "rss_growth_mb <= 64",
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    result = run(args.size_mb)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    return 0 if float(result["rss_growth_mb"]) <= 64 else 1  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
