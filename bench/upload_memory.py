"""Upload a 1 GB video through the real upload view under gunicorn, against a bare receiver.

Measures, in interleaved rounds on one machine: the upload's time (request start to the 201
of a checked, stored asset) against the same bytes POSTed over the same loopback to a bare WSGI
app on the same gunicorn that only writes the body to a file on the same disk
(``bench/upload_bare_wsgi.py``): the baseline is what the socket, gunicorn and the disk can do
here. Target: the upload's throughput at least 0.8x the baseline's. Also samples the product
worker's RSS during each upload (target: growth at most 64 MB, i.e. constant memory).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python -m bench.upload_memory \\
        [--size-mb 1024] [--rounds 3]

The video is made once with the ffmpeg binary imageio-ffmpeg ships (noisy frames, so it
really weighs what it says) and kept in var/bench/. Both servers write to a temporary folder
there. The client streams the multipart body from the file (nothing held in memory), with the
same code for both servers.
"""

import argparse
import http.client
import json
import os
import statistics
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
TARGET_RATIO = 0.8
TARGET_RSS_GROWTH_MB = 64
BOUNDARY = "----ProSocialBenchBoundary7MA4YWxkTrZu0gW"
STREAM_CHUNK = 1024 * 1024


def make_sample(size_mb: int) -> Path:
    """Return a valid H.264 MP4 of about ``size_mb`` MB, generating it once."""
    from imageio_ffmpeg import get_ffmpeg_exe

    # A keyframe every second, as phones and cameras write (x264's default, one every 250
    # frames, made the poster decode 30 lossless frames of ~1.8 MB to reach 1 s: 1.5 s).
    path = SAMPLE_DIR / f"upload-{size_mb}mb-gop30.mp4"
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
            "-g",
            "30",
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


def multipart_parts(filename: str, boundary: str) -> tuple[bytes, bytes]:
    """Return the bytes a browser sends before and after a file in a ``files`` form field."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


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


def start_gunicorn(
    port: int, log: Path, media_dir: Path, app: str = "prosocial.wsgi:application"
) -> subprocess.Popen[bytes]:
    env = {
        **server_env(),
        "PROSOCIAL_VAR_DIR": str(media_dir),
        "DEBUG": "0",
        "UPLOAD_BARE_DIR": str(media_dir),
    }
    # PROSOCIAL_VAR_DIR moves the media folder; keep the secrets of the real var/ dir.
    from django.conf import settings

    env["SECRET_KEY"] = settings.SECRET_KEY
    env["FIELD_ENCRYPTION_KEYS"] = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                app,
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


def post_file(
    port: int, path: str, sample: Path, headers: dict[str, str]
) -> tuple[int, bytes, float]:
    """POST ``sample`` as a multipart ``files`` field, streamed from disk; (status, body, s)."""
    head, tail = multipart_parts(sample.name, BOUNDARY)
    length = len(head) + sample.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=UPLOAD_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        conn.putrequest("POST", path)
        for name, value in {
            **headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        }.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(head)
        with sample.open("rb") as handle:
            while chunk := handle.read(STREAM_CHUNK):
                conn.sock.sendall(chunk)
        conn.send(tail)
        response = conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started
    finally:
        conn.close()


class RssPoller:
    """Sample a process's VmRSS every RSS_POLL_SECONDS in a thread; keep the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.baseline = _status(pid, "VmRSS")
        self.peak = self.baseline
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _status(self.pid, "VmRSS"))
            time.sleep(RSS_POLL_SECONDS)

    def __enter__(self) -> "RssPoller":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def run(size_mb: int, rounds: int) -> dict[str, object]:
    setup_django()
    create_database_if_missing(bench_database())
    migrate()
    owner = seed(1)
    sample = make_sample(size_mb)
    size = sample.stat().st_size
    sample_sha = _sha256_of(sample)  # every upload must store exactly these bytes
    load_start = os.getloadavg()

    from creatives.library.models import MediaAsset

    bare_seconds: list[float] = []
    upload_seconds: list[float] = []
    growth: list[float] = []
    loads: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-media-", dir=SAMPLE_DIR) as media_dir,
        tempfile.TemporaryDirectory(prefix="bench-bare-", dir=SAMPLE_DIR) as bare_dir,
    ):
        port, bare_port = free_port(), free_port()
        log, bare_log = Path(media_dir) / "gunicorn.log", Path(bare_dir) / "gunicorn.log"
        proc = start_gunicorn(port, log, Path(media_dir))
        bare = start_gunicorn(
            bare_port, bare_log, Path(bare_dir), "bench.upload_bare_wsgi:application"
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(proc, base, log)
            _wait_for_port(bare_port)
            session = login(base, owner.email, owner.password)
            path = f"/w/{owner.slug}/media/upload/"
            session.get(f"{base}/w/{owner.slug}/media/", timeout=30)  # warm the worker
            cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
            headers = {
                "Cookie": cookie,
                "X-CSRFToken": session.cookies["csrftoken"],
                "Referer": base + path,
                "Accept": "application/json",
            }
            pid = worker_pid(proc.pid)
            for number in range(rounds):
                status, body, seconds = post_file(bare_port, "/", sample, headers)
                if status != 201 or json.loads(body)["received"] < size:
                    raise RuntimeError(f"bare receiver failed: {status} {body[:300]!r}")
                bare_seconds.append(seconds)
                for leftover in Path(bare_dir).glob("bare-*"):
                    leftover.unlink()
                with RssPoller(pid) as rss:
                    status, body, seconds = post_file(port, path, sample, headers)
                if status != 201:
                    raise RuntimeError(f"upload failed: {status} {body[:300]!r}")
                upload_seconds.append(seconds)
                growth.append((rss.peak - rss.baseline) / 1024 / 1024)
                asset = MediaAsset.objects.get(pk=json.loads(body)["files"][0]["id"])
                if (asset.size_bytes, asset.sha256) != (size, sample_sha):
                    raise RuntimeError(f"stored {asset.size_bytes} bytes, {asset.sha256}")
                asset.delete()
                loads.append(round(os.getloadavg()[0], 2))
                print(
                    f"round {number + 1} (load {loads[-1]}): bare {bare_seconds[-1]:.2f} s, "
                    f"upload {upload_seconds[-1]:.2f} s, RSS +{growth[-1]:.1f} MB"
                )
            hwm = _status(pid, "VmHWM")
        finally:
            stop_server(proc)
            stop_server(bare)

    mb = size / 1024 / 1024
    bare_median = statistics.median(bare_seconds)
    upload_median = statistics.median(upload_seconds)
    ratio = bare_median / upload_median
    result: dict[str, object] = {
        "benchmark": "upload_memory",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "load_average_1min_per_round": loads,
        "file_mb": round(mb, 1),
        "checked": "every upload stored exactly the sample's bytes (size and SHA-256)",
        "rounds": rounds,
        "server": "gunicorn, 1 sync worker each, DEBUG=0, filesystem storage",
        "baseline": "bench/upload_bare_wsgi.py: the same bytes over the same loopback, "
        "written to a file on the same disk",
        "bare_seconds": [round(x, 2) for x in bare_seconds],
        "upload_seconds": [round(x, 2) for x in upload_seconds],
        "bare_mb_per_s": round(mb / bare_median, 1),
        "upload_mb_per_s": round(mb / upload_median, 1),
        "upload_vs_bare_throughput": round(ratio, 3),
        "rss_growth_mb": [round(x, 1) for x in growth],
        "vm_hwm_mb": round(hwm / 1024 / 1024, 1),
        "target": f"upload_vs_bare_throughput >= {TARGET_RATIO}, "
        f"max(rss_growth_mb) <= {TARGET_RSS_GROWTH_MB}",
        "meets_target": ratio >= TARGET_RATIO and max(growth) <= TARGET_RSS_GROWTH_MB,
    }
    return result


def _sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(STREAM_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"bare receiver on port {port} did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(args.size_mb, args.rounds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
