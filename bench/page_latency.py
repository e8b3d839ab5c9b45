"""The six busiest pages under gunicorn, each against a bare Django view in the same run.

Builds on ``bench.dashboard_latency`` (same database guard, seed, server, login and timing
loop; the seeded database is then analyzed, as autovacuum would do) and adds, to the seeded
workspace, ``--rows`` media files, publications (scheduled this
month and published) and a campaign with audiences, so the media library, the campaign page,
the publication list and the calendar have something to show. Then it times, interleaved in
``--rounds`` rounds so a change of machine load hits every endpoint alike:

- ``bare``: ``/bench/bare`` without a session: the baseline, timed at the start of each round
  and again (half as many requests) just before every page. Timed once per round it was a
  0.15 s phase among 3 s of pages, and in one run its p50 was 20 % off ``bare_authenticated``
  (the same view, timed right after it): every ratio carried that noise;
- ``bare_authenticated``: the same with the login cookie;
- ``shell``: ``/bench/shell/<slug>/``, an empty workspace page (sign-in, membership, layout):
  what every page pays before its content;
- ``dashboard``, ``members``, ``media``, ``campaign``, ``publications``, ``calendar``.

The ratios to ``bare`` are given over all rounds and, to show how much the machine's load
moved them, within each round.

It also runs every page in-process (Django's test client outside the test environment, so
no template instrumentation) and splits one request's time into SQL (wall time of the
queries) and the rest (view, ORM compiling, templates), with each page's query count.

Prints p50/p95 per endpoint and each page's ratio to ``bare`` and writes
``bench/results/page_latency.json`` with the machine's load average. Run from the
repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    DEBUG=0 .venv/bin/python -m bench.page_latency [--requests N] [--rounds R] [--rows K]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench import dashboard_latency as dl

RESULTS_PATH = dl.BASE_DIR / "bench" / "results" / "page_latency.json"
TARGET_RATIO = 3.0
PAGES = ("dashboard", "members", "media", "campaign", "publications", "calendar")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.page_latency",
        description="Six pages' latency under gunicorn, against a bare Django view.",
    )
    parser.add_argument(
        "--requests", type=dl.positive_int, default=600, help="timed GETs per endpoint"
    )
    parser.add_argument(
        "--rounds", type=dl.positive_int, default=3, help="interleaved rounds (requests split)"
    )
    parser.add_argument("--concurrency", type=dl.positive_int, default=4, help="client threads")
    parser.add_argument("--members", type=dl.positive_int, default=200, help="workspace members")
    parser.add_argument(
        "--rows", type=dl.positive_int, default=200, help="media files and publications"
    )
    parser.add_argument("--workers", type=dl.positive_int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=50, help="untimed GETs per endpoint")
    parser.add_argument(
        "--inprocess", type=dl.positive_int, default=100, help="in-process GETs per page"
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per loop")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- Seed: what the five other pages show ---------------------------------------------------


def seed_pages(slug: str, rows: int) -> dict[str, Any]:
    """Ensure ``rows`` media files, ``rows`` publications and one campaign with 3 audiences.

    Rows are written with the ORM (as the imports and the publisher leave them); idempotent.
    """
    from django.utils import timezone

    from accounts.models import Membership, Workspace
    from campaigns.models import AudienceCohort, Campaign
    from creatives.library.models import MediaAsset
    from publishing.models import Publication

    workspace = Workspace.objects.get(slug=slug)
    owner = Membership.objects.get(workspace=workspace, user__email=dl.OWNER_EMAIL).user
    have = MediaAsset.objects.filter(workspace=workspace).count()
    MediaAsset.objects.bulk_create(
        MediaAsset(
            workspace=workspace,
            created_by=owner,
            kind="image",
            original_filename=f"bench-{n:05d}.jpg",
            content_type="image/jpeg",
            container="jpeg",
            width=1080,
            height=1350,
            size_bytes=250_000,
            status="ready",
        )
        for n in range(have, rows)
    )
    campaign = Campaign.objects.filter(workspace=workspace, name="Bench campaign").first()
    if campaign is None:
        campaign = Campaign.objects.create(
            workspace=workspace,
            created_by=owner,
            name="Bench campaign",
            product_name="Bench Blend",
            key_message="Fresh every morning",
        )
        for n in range(3):
            AudienceCohort.objects.create(campaign=campaign, name=f"Audience {n + 1}")
    have = Publication.objects.filter(workspace=workspace).count()
    now = timezone.now()
    month_start = now.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    publications = []
    for n in range(have, rows):
        at = month_start + timedelta(days=n % 28, hours=n % 9)
        published = n % 2 == 0
        publications.append(
            Publication(
                workspace=workspace,
                created_by=owner,
                title=f"Bench post {n:05d}",
                target="fb_post",
                caption="Fresh every morning",
                status="published" if published else "scheduled",
                published_at=at if published else None,
                scheduled_at=None if published else at,
            )
        )
    Publication.objects.bulk_create(publications)
    return {
        "campaign_pk": campaign.pk,
        "media": MediaAsset.objects.filter(workspace=workspace).count(),
        "publications": Publication.objects.filter(workspace=workspace).count(),
    }


# --- In-process: SQL vs the rest ------------------------------------------------------------


def inprocess_phases(paths: dict[str, str], count: int) -> dict[str, dict[str, float]]:
    """Return, per page, ms per request in-process: total, SQL wall time, and queries."""
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    owner = User.objects.get(email=dl.OWNER_EMAIL)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    spent = [0.0, 0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += 1

    out: dict[str, dict[str, float]] = {}
    with connection.execute_wrapper(timed):
        for name, path in paths.items():
            for _ in range(5):
                if client.get(path).status_code != 200:
                    raise dl.BenchError(f"{name}: in-process GET {path} failed")
            spent[:] = [0.0, 0]
            began = time.perf_counter()
            for _ in range(count):
                client.get(path)
            total = (time.perf_counter() - began) / count * 1000
            sql = spent[0] / count * 1000
            out[name] = {
                "total_ms": round(total, 2),
                "sql_ms": round(sql, 2),
                "other_ms": round(total - sql, 2),
                "queries": round(spent[1] / count, 1),
            }
    return out


# --- Main -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    dl.setup_django()
    db = dl.bench_database()
    if dl.create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    dl.migrate()
    print(f"seeding {args.members} members, {args.rows} files and publications…", flush=True)
    seed_info = dl.seed(args.members)
    extra = seed_pages(seed_info.slug, args.rows)
    slug = seed_info.slug
    # What autovacuum would do soon after such inserts on a live database (it is off on this
    # machine's PostgreSQL): the planner then knows the seeded rows (the kept pages' state
    # query takes the latest activity from its index instead of sorting all of it).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def html(marker: bytes) -> Any:
        return lambda r: marker in r.content

    endpoints = [
        dl.Endpoint("bare", "/bench/bare", False, lambda r: r.content == b"ok"),
        dl.Endpoint("bare_authenticated", "/bench/bare", True, lambda r: r.content == b"ok"),
        dl.Endpoint("shell", f"/bench/shell/{slug}/", True, html(b'data-testid="shell"')),
        dl.Endpoint("dashboard", f"/w/{slug}/", True, html(b'data-testid="member-count"')),
        dl.Endpoint("members", f"/w/{slug}/members/", True, html(b"</html>")),
        dl.Endpoint("media", f"/w/{slug}/media/", True, html(b"bench-")),
        dl.Endpoint(
            "campaign", f"/w/{slug}/campaigns/{extra['campaign_pk']}/", True, html(b"Audience 1")
        ),
        dl.Endpoint("publications", f"/w/{slug}/publish/", True, html(b"Bench post")),
        dl.Endpoint("calendar", f"/w/{slug}/publish/calendar/", True, html(b"Bench post")),
    ]
    queries = dl.count_queries({e.name: (e.path, e.authenticated) for e in endpoints})
    if queries["bare"] != 0:
        raise dl.BenchError(f"the baseline ran {queries['bare']} SQL queries; it must run none")
    print("in-process phases…", flush=True)
    phases = inprocess_phases({e.name: e.path for e in endpoints[2:]}, args.inprocess)
    report = dl.environment_report(seed_info)
    report["data"].update({k: v for k, v in extra.items() if k != "campaign_pk"})

    from django.db import connections

    connections.close_all()  # the server owns the database from here on

    port = dl.free_port()
    base = f"http://127.0.0.1:{port}"
    latencies: dict[str, list[float]] = {e.name: [] for e in endpoints}
    per_round: list[dict[str, dl.Phase]] = []  # each timed round's phases, for its own ratios
    walls: dict[str, float] = dict.fromkeys(latencies, 0.0)
    loads = [[round(x, 2) for x in os.getloadavg()]]
    round_requests = max(1, args.requests // args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        print(f"starting gunicorn ({args.workers} sync workers) on {base}…", flush=True)
        proc = dl.start_server(port, args.workers, log_path)
        try:
            dl.wait_until_ready(proc, base, log_path)
            authed = [
                dl.login(base, seed_info.email, seed_info.password) for _ in range(args.concurrency)
            ]
            anonymous = [requests.Session() for _ in range(args.concurrency)]
            for rnd in range(args.rounds + 1):  # round 0 is the warm-up
                this_round: dict[str, dl.Phase] = {}
                for endpoint in endpoints:
                    sessions = authed if endpoint.authenticated else anonymous
                    count = args.warmup if rnd == 0 else round_requests
                    queued = [(endpoint, sessions, count)]
                    if rnd and endpoint.name not in ("bare", "bare_authenticated"):
                        # The baseline again just before each page, so that the machine's
                        # speed at that moment weighs on both (see the module docstring).
                        queued.insert(0, (endpoints[0], anonymous, max(1, round_requests // 2)))
                    for each, each_sessions, each_count in queued:
                        phase = dl.run_checked_phase(
                            base, each, each_sessions, each_count, args.time_limit
                        )
                        if rnd:
                            latencies[each.name].extend(phase.latencies)
                            walls[each.name] += phase.wall_s
                            if each.name in this_round:  # the baseline's later phases
                                this_round[each.name].latencies.extend(phase.latencies)
                                this_round[each.name].wall_s += phase.wall_s
                            else:
                                this_round[each.name] = phase
                if rnd:
                    per_round.append(this_round)
                loads.append([round(x, 2) for x in os.getloadavg()])
                print(f"round {rnd} done, load {loads[-1]}", flush=True)
        except BaseException:
            if log_text := dl.tail(log_path):
                print(f"--- gunicorn log (tail) ---\n{log_text}", file=sys.stderr)
            raise
        finally:
            dl.stop_server(proc)

    report["machine"]["loadavg_at_end"] = loads[-1]
    report["machine"]["loadavg_per_round"] = loads
    results: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        phase = dl.Phase(latencies=latencies[endpoint.name], wall_s=walls[endpoint.name])
        results[endpoint.name] = {
            "path": endpoint.path.replace(slug, "<slug>"),
            "authenticated": endpoint.authenticated,
            "queries": queries[endpoint.name],
            **dl.summarize(phase),
        }
    ratios = {
        name: {
            "p50": round(results[name]["p50_ms"] / results["bare"]["p50_ms"], 2),
            "p95": round(results[name]["p95_ms"] / results["bare"]["p95_ms"], 2),
        }
        for name in ("shell", *PAGES)
    }
    # The same ratios within each round: a burst of load on the shared machine lands on one
    # round's endpoints, so the spread of these says how far the pooled ratios can be trusted.
    round_ratios = []
    for timed in per_round:
        summary = {name: dl.summarize(phase) for name, phase in timed.items()}
        round_ratios.append(
            {
                name: {
                    "p50": round(summary[name]["p50_ms"] / summary["bare"]["p50_ms"], 2),
                    "p95": round(summary[name]["p95_ms"] / summary["bare"]["p95_ms"], 2),
                }
                for name in ("shell", *PAGES)
            }
        )
    return {
        "benchmark": "page_latency",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "requests": args.requests,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "members": args.members,
            "rows": args.rows,
            "warmup": args.warmup,
            "workers": args.workers,
            "worker_class": "sync",
            "inprocess_requests": args.inprocess,
        },
        "endpoints": results,
        "ratios_over_bare": ratios,
        "ratios_over_bare_per_round": round_ratios,
        "target_ratio": TARGET_RATIO,
        "meets_target": all(max(ratios[name].values()) <= TARGET_RATIO for name in PAGES),
        "inprocess": phases,
    }


def main(argv: list[str] | None = None) -> int:
    import signal

    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        result = run(args)
    except dl.BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print()
    dl.print_table(result["endpoints"])
    print(f"{'page':<14}{'p50 x bare':>11}{'p95 x bare':>11}{'in-proc ms':>12}{'SQL ms':>8}")
    for name, ratio in result["ratios_over_bare"].items():
        phase = result["inprocess"][name]
        print(
            f"{name:<14}{ratio['p50']:>11.2f}{ratio['p95']:>11.2f}"
            f"{phase['total_ms']:>12.2f}{phase['sql_ms']:>8.2f}"
        )
    for name in result["ratios_over_bare"]:
        spread = [r[name] for r in result["ratios_over_bare_per_round"]]
        p50s = " ".join(f"{r['p50']:.2f}" for r in spread)
        p95s = " ".join(f"{r['p95']:.2f}" for r in spread)
        print(f"{name:<14}per round p50 x bare: {p50s}   p95 x bare: {p95s}")
    print(f"load average per round: {result['machine']['loadavg_per_round']}")
    print(f"all pages within x{TARGET_RATIO:g}: {result['meets_target']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
