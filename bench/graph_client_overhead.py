"""What GraphClient costs per call, against bare `requests` calls to the same sandbox URL.

Starts meta_sandbox in-process (``meta_sandbox.testing.start_server``, a free loopback port),
mints a long-lived user token with ``state.grant``, points the product's settings at the
sandbox with ``override_settings``, and times ``--calls`` ``GET /me?fields=id,name`` per
variant, each call sending the token and its ``appsecret_proof``:

- ``bare_default``: ``requests.Session().get(url, params=..., timeout=...)`` + ``.json()``,
  the session as ``requests`` builds it (``trust_env`` on: proxy and .netrc lookups per call);
- ``bare_no_env``: the same with ``session.trust_env = False``, which is how GraphClient's
  shared session is configured, so this is the like-for-like floor;
- ``client``: ``GraphClient(token).get("/me", {"fields": "id,name"})`` (no trace hook);
- ``client_traced``: the same with an ``on_call`` hook appending each GraphCallRecord to a
  list (redacted params and response excerpt are built per call).

The sandbox's dev server closes the connection after every response, so every call of
every variant opens a new loopback TCP connection. The variants run in ``--rounds`` interleaved
rounds (order rotated each round) after ``--warmup`` untimed calls each, so drift in machine
load spreads over all of them. Every response is checked (200 and the seeded user's id);
any failure aborts the run and writes nothing.

Besides wall time it records the calling thread's CPU time per call (``time.thread_time``):
the sandbox answers from other threads, so that figure is the client side's own cost, far
less noisy than wall time, which the dev server dominates.

Prints mean/p50/p95/p99 per variant and the overhead against ``bare_no_env``, and writes them
to ``bench/results/graph_client_overhead.json``. Run from the repository root::

    .venv/bin/python -m bench.graph_client_overhead [--calls 2000] [--rounds 10] [--warmup 200]

It needs no database or Redis: only Django settings (``prosocial.settings``) are loaded.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "graph_client_overhead.json"
FIELDS = "id,name"
SCOPES = ["pages_show_list", "instagram_basic", "ads_read"]
BASELINE = "bare_no_env"


def positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=positive_int, default=2000, help="timed calls per variant")
    parser.add_argument("--rounds", type=positive_int, default=10, help="interleaved rounds")
    parser.add_argument(
        "--warmup", type=positive_int, default=200, help="untimed calls per variant"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prosocial.settings")
    import django

    django.setup()


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarize(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 4),
        "p50_ms": round(percentile(ordered, 0.50), 4),
        "p95_ms": round(percentile(ordered, 0.95), 4),
        "p99_ms": round(percentile(ordered, 0.99), 4),
        "stdev_ms": round(statistics.stdev(ordered), 4) if len(ordered) > 1 else 0.0,
    }


def environment_report(sandbox_url: str) -> dict[str, Any]:
    import django

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
    from importlib.metadata import version

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
            "django": django.get_version(),
            "requests": requests.__version__,
            "werkzeug": version("werkzeug"),
        },
        "server": {
            "what": "meta_sandbox, werkzeug threaded dev server, in the benchmark's process",
            "url": sandbox_url,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    from django.conf import settings
    from django.test import override_settings

    from meta_integration import graph
    from meta_sandbox import seed
    from meta_sandbox.testing import start_server

    sandbox = start_server(
        port=0, app_id=settings.META_APP_ID, app_secret=settings.META_APP_SECRET, quiet=True
    )
    try:
        report = environment_report(sandbox.url)
        token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=SCOPES).value
        with override_settings(META_GRAPH_URL=sandbox.url, META_DIALOG_URL=sandbox.url):
            timeout = (float(settings.META_CONNECT_TIMEOUT), float(settings.META_READ_TIMEOUT))
            url = f"{sandbox.url}/{settings.META_API_VERSION}/me"
            params = {
                "fields": FIELDS,
                "access_token": token,
                "appsecret_proof": graph.appsecret_proof(token, settings.META_APP_SECRET),
            }
            default_session = requests.Session()
            no_env_session = requests.Session()
            no_env_session.trust_env = False
            client = graph.GraphClient(token)
            trace: list[graph.GraphCallRecord] = []
            traced = graph.GraphClient(token, on_call=trace.append)

            def bare(session: requests.Session) -> Callable[[], Any]:
                def call() -> Any:
                    response = session.get(url, params=params, timeout=timeout)
                    if response.status_code != 200:
                        raise RuntimeError(f"bare call answered {response.status_code}")
                    return response.json()

                return call

            variants: dict[str, Callable[[], Any]] = {
                "bare_default": bare(default_session),
                "bare_no_env": bare(no_env_session),
                "client": lambda: client.get("/me", {"fields": FIELDS}),
                "client_traced": lambda: traced.get("/me", {"fields": FIELDS}),
            }
            samples, cpu = measure(variants, args)
            if len(trace) != args.warmup + args.calls:
                raise RuntimeError(f"expected {args.warmup + args.calls} records, got {len(trace)}")
    finally:
        sandbox.stop()

    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = {
        name: {
            **summarize(values),
            "client_cpu_us_per_call": round(cpu[name] / len(values) * 1e6, 1),
        }
        for name, values in samples.items()
    }
    base = results[BASELINE]
    overhead = {
        name: {
            "mean_ratio": round(stats["mean_ms"] / base["mean_ms"], 3),
            "p50_ratio": round(stats["p50_ms"] / base["p50_ms"], 3),
            "p95_ratio": round(stats["p95_ms"] / base["p95_ms"], 3),
            "mean_extra_us": round((stats["mean_ms"] - base["mean_ms"]) * 1000, 1),
            "p50_extra_us": round((stats["p50_ms"] - base["p50_ms"]) * 1000, 1),
            "client_cpu_extra_us": round(
                stats["client_cpu_us_per_call"] - base["client_cpu_us_per_call"], 1
            ),
            "client_cpu_ratio": round(
                stats["client_cpu_us_per_call"] / base["client_cpu_us_per_call"], 3
            ),
        }
        for name, stats in results.items()
        if name != BASELINE
    }
    return {
        "benchmark": "graph_client_overhead",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "parameters": {
            "calls_per_variant": args.calls,
            "rounds": args.rounds,
            "warmup_per_variant": args.warmup,
            "request": f"GET /{{version}}/me?fields={FIELDS} with access_token + appsecret_proof",
            "baseline": BASELINE,
        },
        "results": results,
        "overhead_vs_baseline": overhead,
    }


def measure(
    variants: dict[str, Callable[[], Any]], args: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Return per-call wall times (ms) and the calling thread's CPU time (s) per variant.

    The sandbox answers from other threads of this process, so `time.thread_time()` of the
    calling thread is the client side's own CPU cost, free of the server's noise.
    """
    from meta_sandbox import seed

    for name, call in variants.items():
        for _ in range(args.warmup):
            if call().get("id") != seed.ALEX_ID:
                raise RuntimeError(f"{name}: unexpected body during warmup")
    samples: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, float] = dict.fromkeys(variants, 0.0)
    names = list(variants)
    per_round = [
        args.calls // args.rounds + (1 if r < args.calls % args.rounds else 0)
        for r in range(args.rounds)
    ]
    clock = time.perf_counter
    for round_number, count in enumerate(per_round):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants[name]
            bucket = samples[name]
            cpu_started = time.thread_time()
            for _ in range(count):
                started = clock()
                body = call()
                bucket.append((clock() - started) * 1000)
                if body.get("id") != seed.ALEX_ID:
                    raise RuntimeError(f"{name}: unexpected body {body!r}")
            cpu[name] += time.thread_time() - cpu_started
    return samples, cpu


def print_table(report: dict[str, Any]) -> None:
    print(
        f"{'variant':<16}{'n':>6}{'mean':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'cpu us':>9}"
        f"  vs {BASELINE}"
    )
    for name, stats in report["results"].items():
        extra = report["overhead_vs_baseline"].get(name)
        versus = (
            f"x{extra['mean_ratio']:.2f} mean, {extra['mean_extra_us']:+.0f} us wall, "
            f"{extra['client_cpu_extra_us']:+.0f} us CPU"
            if extra
            else "baseline"
        )
        print(
            f"{name:<16}{stats['n']:>6}{stats['mean_ms']:>9.3f}{stats['p50_ms']:>9.3f}"
            f"{stats['p95_ms']:>9.3f}{stats['p99_ms']:>9.3f}"
            f"{stats['client_cpu_us_per_call']:>9.0f}  {versus}"
        )
    print("(wall times in ms per call; cpu = the calling thread's CPU per call)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except RuntimeError as exc:
        print(f"aborted: {exc}", file=sys.stderr)
        return 1
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"wrote {args.output.relative_to(BASE_DIR) if args.output.is_relative_to(BASE_DIR) else args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
