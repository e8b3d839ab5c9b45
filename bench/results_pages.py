"""The results pages (#18) with a year of daily data, against a bare Django view on one server.

The issue's measure: "The overview and campaign comparison with a year of daily data for 500
publications and 100 ads: the same number of queries as with 5 publications; p95 ≤ 3x a bare
Django view on the same server."

Seeds, in the bench database (its name must contain ``bench``), two workspaces of the bench
owner with ``tests.insights.results_data.seed_campaign`` (bulk inserts):

- *a year*: one campaign of 5 audiences x 10 variants, each variant with 8 Facebook posts and
  2 ads (500 publications, 100 of them ads), published a year ago and read every day since:
  400 posts' lifetime totals, and 100 ads' and their 100 ad campaigns' daily values, 365 days
  each (219,000 snapshots). Two variants are stronger, so the comparison has winners;
- *5 publications*: one campaign of one variant with 4 posts and 1 ad over the last 7 days.

Both are reused when they are complete and end today (``--reseed`` makes them again); the
seeded tables are then analyzed (``ANALYZE``), as autovacuum would soon do after such inserts.

Then, like ``bench.page_latency`` (same server, login and timing loop from
``bench.dashboard_latency``), it starts gunicorn with ``bench.settings``, logs in through the
allauth form and times, interleaved in ``--rounds`` rounds so a change of the machine's load
hits every endpoint alike:

- ``bare``: ``/bench/bare`` without a session: the baseline; ``shell``: an empty workspace page;
- ``overview_small``, ``campaign_small``: the 5-publication workspace (default range, 28 days);
- ``overview``, ``campaign``: the year's workspace as the pages open (the last 28 days);
- ``overview_year``, ``campaign_year``: the same with ``?range=last_365d`` (the whole year read).

It counts each page's queries in both workspaces (Django's test client, same database), splits
one in-process request of each page of the year into SQL, reading the results, building the
report and rendering, and profiles the year's pages (cProfile, ``--profile-requests`` GETs
each). Prints p50/p95, the ratios to ``bare`` and the load average per round, and writes
``bench/results/results_pages.json``. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    DEBUG=0 .venv/bin/python -m bench.results_pages [--requests N] [--rounds R] [--reseed]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench import dashboard_latency as dl

RESULTS_PATH = dl.BASE_DIR / "bench" / "results" / "results_pages.json"
TARGET_RATIO = 3.0
YEAR = {"cohorts": 5, "variants": 10, "posts": 8, "ads": 2, "days": 365}
SMALL = {"cohorts": 1, "variants": 1, "posts": 4, "ads": 1, "days": 7}
STRENGTHS = {(0, 1): 3, (2, 5): 2}
WORKSPACES = {
    "year": ("Bench results (a year)", YEAR),
    "small": ("Bench results (5 publications)", SMALL),
}
PAGES = (
    "overview_small",
    "campaign_small",
    "overview",
    "campaign",
    "overview_year",
    "campaign_year",
)
HEAVY = ("overview", "campaign", "overview_year", "campaign_year")
# A page of the year can take seconds with 4 client threads on 2 workers.
REQUEST_TIMEOUT_S = 60.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.results_pages",
        description="The results pages with a year of data, against a bare Django view.",
    )
    parser.add_argument(
        "--requests",
        type=dl.positive_int,
        default=300,
        help="timed GETs per page of the year's workspace",
    )
    parser.add_argument(
        "--light-requests",
        type=dl.positive_int,
        default=300,
        help="timed GETs of bare, shell and the 5-publication pages",
    )
    parser.add_argument("--rounds", type=dl.positive_int, default=3, help="interleaved rounds")
    parser.add_argument("--concurrency", type=dl.positive_int, default=4, help="client threads")
    parser.add_argument("--workers", type=dl.positive_int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=4, help="untimed GETs per endpoint")
    parser.add_argument(
        "--inprocess", type=dl.positive_int, default=5, help="in-process GETs per page"
    )
    parser.add_argument(
        "--profile-requests", type=int, default=2, help="profiled GETs per page of the year"
    )
    parser.add_argument("--reseed", action="store_true", help="seed both workspaces again")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per loop")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- Seed ---------------------------------------------------------------------------------------


def expected_snapshots(shape: dict[str, int]) -> int:
    """A post has one series; an ad has two (the ad and its ad campaign)."""
    return (
        shape["cohorts"] * shape["variants"] * (shape["posts"] + 2 * shape["ads"]) * shape["days"]
    )


def seed_workspace(owner: Any, name: str, shape: dict[str, int], *, reseed: bool) -> dict[str, Any]:
    """Ensure the owner's workspace ``name`` holds ``shape``'s campaign, ending today."""
    from django.db import transaction
    from django.db.models import Max

    from accounts import services
    from accounts.models import Workspace
    from campaigns.models import Campaign
    from insights import reports
    from insights.models import InsightSnapshot
    from publishing.models import Publication
    from tests.insights.results_data import seed_campaign

    workspace = Workspace.objects.filter(created_by=owner, name=name).first()
    if workspace is not None and not reseed:
        snapshots = InsightSnapshot.objects.filter(workspace=workspace)
        last = snapshots.aggregate(last=Max("day"))["last"]
        if snapshots.count() == expected_snapshots(shape) and last == reports.today_in(workspace):
            return {
                "slug": workspace.slug,
                "campaign_pk": Campaign.objects.get(workspace=workspace).pk,
                "seeded_now": False,
                "seed_s": None,
                **_sizes(workspace),
            }
    if workspace is not None:
        with transaction.atomic():  # publications first: their files are protected
            Publication.objects.filter(workspace=workspace).delete()
            workspace.delete()
    workspace = services.create_workspace(user=owner, name=name, company_name="Bench Co")
    days = shape["days"]
    start = reports.today_in(workspace) - timedelta(days=days - 1)
    began = time.perf_counter()
    seeded = seed_campaign(
        workspace,
        start=start,
        days=days,
        cohorts=shape["cohorts"],
        variants=shape["variants"],
        posts=shape["posts"],
        ads=shape["ads"],
        strengths=STRENGTHS,
        name=f"{name} campaign",
    )
    seed_s = time.perf_counter() - began
    sizes = _sizes(workspace)
    if sizes["snapshots"] != expected_snapshots(shape):
        raise dl.BenchError(f"{name}: {sizes['snapshots']} snapshots seeded")
    return {
        "slug": workspace.slug,
        "campaign_pk": seeded.campaign.pk,
        "seeded_now": True,
        "seed_s": round(seed_s, 1),
        **sizes,
    }


def _sizes(workspace: Any) -> dict[str, int]:
    from insights.models import InsightObject, InsightSnapshot
    from publishing.models import Publication, Target

    publications = Publication.objects.filter(workspace=workspace)
    return {
        "publications": publications.count(),
        "ads": publications.filter(target=Target.META_AD).count(),
        "objects": InsightObject.objects.filter(workspace=workspace).count(),
        "snapshots": InsightSnapshot.objects.filter(workspace=workspace).count(),
    }


def analyze() -> float:
    """Refresh PostgreSQL's statistics of the seeded tables, as autovacuum soon would.

    Right after a bulk insert the planner still believes the tables are nearly empty, and the
    first runs would time plans no production database keeps using.
    """
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE insights_insightsnapshot, insights_insightobject, publishing_publication, "
            "publishing_publicationasset, creatives_creative, creatives_script"
        )
    return round(time.perf_counter() - began, 1)


# --- In-process: where a page's time goes -------------------------------------------------------


def _client() -> Any:
    from django.test import Client

    from accounts.models import User

    owner = User.objects.get(email=dl.OWNER_EMAIL)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    return client


class Timers:
    """Wall time spent inside named functions, replaced on their modules for the bench only."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, module: Any, attribute: str, name: str) -> None:
        original = getattr(module, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        setattr(module, attribute, timed)
        self._undo.append(lambda: setattr(module, attribute, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()


def inprocess_split(paths: dict[str, str], count: int) -> dict[str, dict[str, Any]]:
    """Return, per page, the median ms of a request and of its parts, with its queries.

    ``results`` is ``selectors.results_for_workspace`` (its SQL and the series built from the
    rows), ``report`` the whole report (``results`` included), ``render`` the templates (the body's
    and the page's); ``sql``
    is the wall time of all the request's queries, ``slowest_query`` the longest one.
    """
    from django.core.cache import cache
    from django.db import connection

    from insights import reports, selectors, views
    from prosocial import kept

    client = _client()
    out: dict[str, dict[str, Any]] = {}
    for name, path in paths.items():
        if client.get(path).status_code != 200:
            raise dl.BenchError(f"{name}: in-process GET {path} failed")
        samples: list[dict[str, float]] = []
        for _ in range(count):
            # Built every time: the first view after new numbers (``reports.cached_report``
            # keeps a report until what it reads changes; the HTTP timings are such views).
            cache.clear()
            timers = Timers()
            timers.wrap(selectors, "results_for_workspace", "results")
            timers.wrap(reports, "overview", "report")
            timers.wrap(reports, "campaign_report", "report")
            timers.wrap(views, "_render_body", "render")  # the body's template
            timers.wrap(kept, "render", "render")  # the page's, around the body
            queries: list[float] = []

            def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    queries.append(time.perf_counter() - started)  # noqa: B023

            try:
                with connection.execute_wrapper(timed):
                    began = time.perf_counter()
                    response = client.get(path)
                    total = time.perf_counter() - began
            finally:
                timers.restore()
            if response.status_code != 200:
                raise dl.BenchError(f"{name}: in-process GET {path} failed")
            samples.append(
                {
                    "total_ms": total * 1000,
                    "sql_ms": sum(queries) * 1000,
                    "slowest_query_ms": max(queries, default=0.0) * 1000,
                    "results_ms": timers.spent.get("results", 0.0) * 1000,
                    "report_ms": timers.spent.get("report", 0.0) * 1000,
                    "render_ms": timers.spent.get("render", 0.0) * 1000,
                    "queries": len(queries),
                    "html_kb": len(response.content) / 1024,
                }
            )
        out[name] = {
            key: round(statistics.median(s[key] for s in samples), 1) for key in samples[0]
        }
        parts = out[name]
        parts["report_without_results_ms"] = round(parts["report_ms"] - parts["results_ms"], 1)
        parts["rest_ms"] = round(parts["total_ms"] - parts["report_ms"] - parts["render_ms"], 1)
    return out


def profile_pages(paths: dict[str, str], count: int, top: int = 18) -> dict[str, Any]:
    """Profile ``count`` GETs of each page (cProfile); return the top functions by own time."""
    client = _client()
    out: dict[str, Any] = {}
    for name, path in paths.items():
        client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=io.StringIO())
        total = stats.total_tt / count  # type: ignore[attr-defined]
        rows = []
        for (filename, line, function), (_cc, calls, own, cumulative, _callers) in sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda item: item[1][2],
            reverse=True,
        )[:top]:
            where = filename.replace(str(dl.BASE_DIR) + "/", "")
            where = where.split("site-packages/")[-1]
            rows.append(
                {
                    "function": f"{where}:{line}({function})",
                    "calls": calls // count,
                    "own_ms": round(own / count * 1000, 1),
                    "cumulative_ms": round(cumulative / count * 1000, 1),
                }
            )
        areas: dict[str, float] = {}
        for key, timing in stats.stats.items():  # type: ignore[attr-defined]
            area = _area(key[0])
            areas[area] = areas.get(area, 0.0) + timing[2] / count * 1000
        out[name] = {
            "profiled_ms_per_request": round(total * 1000, 1),
            "own_time_by_area_ms": {
                area: round(ms, 1) for area, ms in sorted(areas.items(), key=lambda a: -a[1])
            },
            "top_own_time": rows,
        }
    return out


AREAS = (
    ("insights/selectors.py", "insights/selectors.py"),
    ("insights/reports.py", "insights/reports.py"),
    ("insights/tables.py", "insights/tables.py"),
    ("insights/comparison.py", "insights/comparison.py"),
    ("site-packages/psycopg", "psycopg (fetching, converting rows)"),
    ("django/db/", "django.db (ORM)"),
    ("django/template/", "django.template"),
    ("/decimal.py", "decimal"),
)


def _area(filename: str) -> str:
    """Name the part of the code a profiled function belongs to (builtins count as "builtins")."""
    for marker, area in AREAS:
        if marker in filename:
            return area
    if filename == "~":
        return "builtins (dict, list, ... called from the above)"
    return "other"


# --- Main ---------------------------------------------------------------------------------------


def ratios_of(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    bare = summary["bare"]
    return {
        name: {
            "p50": round(summary[name]["p50_ms"] / bare["p50_ms"], 1),
            "p95": round(summary[name]["p95_ms"] / bare["p95_ms"], 1),
        }
        for name in ("shell", *PAGES)
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import secrets

    dl.setup_django()
    dl.REQUEST_TIMEOUT_S = REQUEST_TIMEOUT_S
    db = dl.bench_database()
    if dl.create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    dl.migrate()
    password = secrets.token_urlsafe(24)
    owner = dl.ensure_verified_user(dl.OWNER_EMAIL, password, contact_name="Bench Owner")
    seeds = {}
    for key, (name, shape) in WORKSPACES.items():
        print(f"seeding {name!r}: {shape}…", flush=True)
        seeds[key] = seed_workspace(owner, name, shape, reseed=args.reseed)
        print(f"  {seeds[key]}", flush=True)
    year, small = seeds["year"], seeds["small"]
    analyze_s = analyze()
    print(f"analyzed the seeded tables in {analyze_s} s", flush=True)

    def page(workspace: dict[str, Any], kind: str, query: str = "") -> str:
        slug = workspace["slug"]
        path = (
            f"/w/{slug}/results/"
            if kind == "overview"
            else f"/w/{slug}/results/campaigns/{workspace['campaign_pk']}/"
        )
        return f"{path}?{query}" if query else path

    def html(marker: bytes) -> Callable[[requests.Response], bool]:
        return lambda r: marker in r.content

    tiles, verdicts = html(b'data-testid="tile-views"'), html(b'data-testid="verdicts-variants"')
    endpoints = [
        dl.Endpoint("bare", "/bench/bare", False, lambda r: r.content == b"ok"),
        dl.Endpoint("shell", f"/bench/shell/{year['slug']}/", True, html(b'data-testid="shell"')),
        dl.Endpoint("overview_small", page(small, "overview"), True, tiles),
        dl.Endpoint("campaign_small", page(small, "campaign"), True, verdicts),
        dl.Endpoint("overview", page(year, "overview"), True, tiles),
        dl.Endpoint("campaign", page(year, "campaign"), True, verdicts),
        dl.Endpoint("overview_year", page(year, "overview", "range=last_365d"), True, tiles),
        dl.Endpoint("campaign_year", page(year, "campaign", "range=last_365d"), True, verdicts),
    ]
    by_name = {e.name: e for e in endpoints}
    print("counting queries…", flush=True)
    queries = dl.count_queries({e.name: (e.path, e.authenticated) for e in endpoints})
    # The query measure: the same range read in both workspaces.
    queries_same_range = dl.count_queries(
        {
            "overview_small_365d": (page(small, "overview", "range=last_365d"), True),
            "campaign_small_365d": (page(small, "campaign", "range=last_365d"), True),
        }
    )
    queries_same_range.update(
        {
            "overview_year_365d": queries["overview_year"],
            "campaign_year_365d": queries["campaign_year"],
        }
    )
    if queries["bare"] != 0:
        raise dl.BenchError(f"the baseline ran {queries['bare']} SQL queries; it must run none")
    print("in-process split…", flush=True)
    split = inprocess_split({name: by_name[name].path for name in PAGES}, args.inprocess)
    split["bare"] = inprocess_split({"bare": "/bench/bare"}, args.inprocess)["bare"]
    profiles = {}
    if args.profile_requests > 0:
        print("profiling the year's pages…", flush=True)
        profiles = profile_pages(
            {name: by_name[name].path for name in HEAVY}, args.profile_requests
        )
    seed_info = dl.Seed(dl.OWNER_EMAIL, password, year["slug"], 1, 0, 0)
    report = dl.environment_report(seed_info)
    report["data"] = {key: {k: v for k, v in s.items() if k != "slug"} for key, s in seeds.items()}
    report["data"]["analyze_s"] = analyze_s

    from django.db import connections

    connections.close_all()  # the server owns the database from here on

    port = dl.free_port()
    base = f"http://127.0.0.1:{port}"
    latencies: dict[str, list[float]] = {e.name: [] for e in endpoints}
    walls: dict[str, float] = dict.fromkeys(latencies, 0.0)
    per_round: list[dict[str, dl.Phase]] = []
    loads = [[round(x, 2) for x in os.getloadavg()]]
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        print(f"starting gunicorn ({args.workers} sync workers) on {base}…", flush=True)
        proc = dl.start_server(port, args.workers, log_path)
        try:
            dl.wait_until_ready(proc, base, log_path)
            authed = [dl.login(base, dl.OWNER_EMAIL, password) for _ in range(args.concurrency)]
            anonymous = [requests.Session() for _ in range(args.concurrency)]
            for rnd in range(args.rounds + 1):  # round 0 is the warm-up
                this_round: dict[str, dl.Phase] = {}
                for endpoint in endpoints:
                    sessions = authed if endpoint.authenticated else anonymous
                    timed = args.requests if endpoint.name in HEAVY else args.light_requests
                    count = args.warmup if rnd == 0 else max(1, timed // args.rounds)
                    phase = dl.run_checked_phase(base, endpoint, sessions, count, args.time_limit)
                    if rnd:
                        latencies[endpoint.name].extend(phase.latencies)
                        walls[endpoint.name] += phase.wall_s
                        this_round[endpoint.name] = phase
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
        path = endpoint.path.replace(year["slug"], "<year>").replace(small["slug"], "<small>")
        results[endpoint.name] = {
            "path": path,
            "authenticated": endpoint.authenticated,
            "queries": queries[endpoint.name],
            **dl.summarize(phase),
        }
    ratios = ratios_of(results)
    round_ratios = [
        ratios_of({name: dl.summarize(phase) for name, phase in timed.items()})
        for timed in per_round
    ]
    return {
        "benchmark": "results_pages",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "requests": args.requests,
            "light_requests": args.light_requests,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "workers": args.workers,
            "worker_class": "sync",
            "inprocess_requests": args.inprocess,
            "profile_requests": args.profile_requests,
            "year": YEAR,
            "small": SMALL,
        },
        "endpoints": results,
        "ratios_over_bare": ratios,
        "ratios_over_bare_per_round": round_ratios,
        "target_ratio": TARGET_RATIO,
        "meets_target": {
            name: ratios[name]["p95"] <= TARGET_RATIO
            for name in ("overview", "campaign", "overview_year", "campaign_year")
        },
        "queries_same_range": queries_same_range,
        "queries_constant": queries_same_range["overview_small_365d"]
        == queries_same_range["overview_year_365d"]
        and queries_same_range["campaign_small_365d"] == queries_same_range["campaign_year_365d"],
        "inprocess": split,
        "profile": profiles,
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
    print(f"{'page':<16}{'p50 x bare':>11}{'p95 x bare':>11}   per round p95 x bare")
    for name, ratio in result["ratios_over_bare"].items():
        spread = " ".join(f"{r[name]['p95']:.1f}" for r in result["ratios_over_bare_per_round"])
        print(f"{name:<16}{ratio['p50']:>11.1f}{ratio['p95']:>11.1f}   {spread}")
    print(f"queries, same range (last 365 days): {result['queries_same_range']}")
    print(f"the same with 5 publications as with a year: {result['queries_constant']}")
    header = ("total", "sql", "results", "report", "render", "rest", "queries")
    print(f"{'in-process ms':<16}" + "".join(f"{h:>9}" for h in header))
    for name, parts in result["inprocess"].items():
        values = [
            parts[key]
            for key in (
                "total_ms",
                "sql_ms",
                "results_ms",
                "report_ms",
                "render_ms",
                "rest_ms",
                "queries",
            )
        ]
        print(f"{name:<16}" + "".join(f"{v:>9}" for v in values))
    for name, profile in result["profile"].items():
        print(f"\n{name}: {profile['profiled_ms_per_request']} ms per request under cProfile")
        for row in profile["top_own_time"][:8]:
            print(
                f"  {row['own_ms']:>8.1f} own {row['cumulative_ms']:>8.1f} cum "
                f"{row['calls']:>9} calls  {row['function']}"
            )
    print(f"\nload average per round: {result['machine']['loadavg_per_round']}")
    print(f"p95 within x{TARGET_RATIO:g} of bare: {result['meets_target']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
