"""Profile one upload through the real WSGI application, in-process, and name its costs.

Builds a multipart body holding the bench video once (as a browser's uploader sends it), then
calls ``prosocial.wsgi``'s application with that body as ``wsgi.input`` under cProfile, signed
in as the bench owner. No server and no socket: this is the server's own CPU per upload
(parsing the body, hashing, inspecting, the poster, storing, the row), split by function.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python -m bench.upload_profile [--size-mb 256] [--label after]

Writes ``bench/results/upload_profile_<label>.json``; media go to a temporary folder.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dashboard_latency import (
    BASE_DIR,
    bench_database,
    create_database_if_missing,
    migrate,
    seed,
    setup_django,
)
from bench.upload_memory import SAMPLE_DIR, make_sample, multipart_parts

RESULTS_DIR = BASE_DIR / "bench" / "results"

# Named costs: a label and (module, attribute) of the function whose wall time it is. Timed by
# wrapping the function (cProfile's cumulative times are unreliable here: since Python 3.12 it
# sees every thread, and the poster's stderr drain thread interleaves with the request's calls).
# A function that doesn't exist in a version of the code reports nothing.
NAMED_COSTS: list[tuple[str, str, str]] = [
    (
        "receiving the body (multipart parser + upload handler)",
        "django.http.multipartparser",
        "MultiPartParser.parse",
    ),
    ("inspect_file (every call)", "creatives.library.media.inspect", "inspect_file"),
    ("inspect_file (every call)", "creatives.library.services", "inspect_file"),
    ("polyglot scan (every call)", "creatives.library.media.inspect", "scan_for_polyglot"),
    ("PyAV probe (every call)", "creatives.library.media.inspect", "probe_av"),
    ("poster frame (make_poster)", "creatives.library.services", "make_poster"),
    ("separate SHA-256 pass (_sha256)", "creatives.library.services", "_sha256"),
    ("storing the file (_keep_files)", "creatives.library.services", "_keep_files"),
    ("  copying bytes into storage (File.chunks)", "django.core.files.base", "File.chunks"),
    (
        "  renaming into storage (file_move_safe)",
        "django.core.files.storage.filesystem",
        "file_move_safe",
    ),
]


def _install_timers() -> dict[str, list[float]]:
    """Wrap each named function with a wall-clock timer; return label -> [calls, seconds]."""
    import functools
    import importlib

    timings: dict[str, list[float]] = {}
    for label, module_name, attribute in NAMED_COSTS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name, None)
        if original is None:
            continue
        slot = timings.setdefault(label, [0, 0.0])

        def timed(*args: Any, _f: Any = original, _slot: list[float] = slot, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = _f(*args, **kwargs)
                if hasattr(result, "__next__"):  # a generator: time it as it is consumed
                    return _timed_iter(result, _slot, time.perf_counter() - started)
                return result
            finally:
                _slot[0] += 1
                _slot[1] += time.perf_counter() - started

        setattr(owner, name, functools.wraps(original)(timed))
    return timings


def _timed_iter(iterator: Any, slot: list[float], _spent: float) -> Any:
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            slot[1] += time.perf_counter() - started
            return
        slot[1] += time.perf_counter() - started
        yield item


def build_body(sample: Path, boundary: str) -> Path:
    """Write (once) the multipart body a browser would send for ``sample``; return its path."""
    path = SAMPLE_DIR / f"{sample.stem}.{boundary}.multipart"
    if not path.exists():
        head, tail = multipart_parts(sample.name, boundary)
        with path.open("wb") as out, sample.open("rb") as src:
            out.write(head)
            while chunk := src.read(4 * 1024 * 1024):
                out.write(chunk)
            out.write(tail)
    return path


def run(size_mb: int, label: str) -> dict[str, Any]:
    setup_django()
    create_database_if_missing(bench_database())
    migrate()
    owner = seed(1)

    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.test import Client, override_settings

    from accounts.models import User
    from creatives.library.models import MediaAsset

    sample = make_sample(size_mb)
    boundary = "benchboundary" + "0" * 16
    body = build_body(sample, boundary)
    client = Client()
    client.force_login(User.objects.get(email=owner.email))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    application = get_wsgi_application()
    timings = _install_timers()

    def call() -> tuple[str, bytes]:
        status: list[str] = []
        with body.open("rb") as stream:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": f"/w/{owner.slug}/media/upload/",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "127.0.0.1",
                "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
                "CONTENT_LENGTH": str(body.stat().st_size),
                "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}",
                "HTTP_X_CSRFTOKEN": csrf,
                "HTTP_ACCEPT": "application/json",
                "wsgi.input": stream,
                "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http",
                "wsgi.version": (1, 0),
                "wsgi.multithread": False,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
            }
            response = application(environ, lambda s, h, *a: status.append(s))
            content = b"".join(response)
            if hasattr(response, "close"):
                response.close()
        return status[0], content

    with (
        tempfile.TemporaryDirectory(prefix="bench-media-", dir=SAMPLE_DIR) as media,
        override_settings(MEDIA_ROOT=media, DEBUG=False),
    ):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        cpu_started = time.process_time()
        profiler.enable()
        status, content = call()
        profiler.disable()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if not status.startswith("201"):
            raise RuntimeError(f"upload failed: {status} {content[:300]!r}")
        MediaAsset.objects.filter(pk=json.loads(content)["files"][0]["id"]).delete()

    named = {
        label: {
            "calls": int(calls),
            "seconds": round(seconds, 3),
            "share": round(seconds / wall, 3),
        }
        for label, (calls, seconds) in timings.items()
        if calls
    }
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(20)
    return {
        "benchmark": "upload_profile",
        "label": label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "file_mb": round(sample.stat().st_size / 1024 / 1024, 1),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "named_costs": named,
        "top_by_own_time": [line for line in top.getvalue().splitlines() if line.strip()][-22:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    result = run(args.size_mb, args.label)
    out = RESULTS_DIR / f"upload_profile_{args.label}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['file_mb']} MB: wall {result['wall_seconds']} s, cpu {result['cpu_seconds']} s")
    for name, cost in result["named_costs"].items():
        print(
            f"  {name:<58} {cost['calls']:>5} calls {cost['seconds']:>8.3f} s {cost['share']:>6.1%}"
        )
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
