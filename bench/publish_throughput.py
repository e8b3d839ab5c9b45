"""Publishing throughput through real Celery workers, against the bare Graph calls it makes.

Sets up the same stage as ``publish_faults`` (bench database, ``meta_sandbox`` in this process
with processing times 0, gunicorn serving signed media, a workspace connected through the
sandbox's dialog, sample media), builds the publications up front (each with its full
preflight) and then measures, one after another:

- ``bare``: the two HTTP calls a text post with a link makes, sent directly with ``requests``
  (a session with ``trust_env = False``, as GraphClient's), ``--bare-calls`` times in a loop:
  ``POST /{page}/feed`` (message, link, Page token, appsecret_proof), then
  ``GET /{post}?fields=id,permalink_url``. This is the floor: Meta's side only.
- ``in_process``: ``advance_publication`` called directly in this process until each of
  ``--in-process`` publications is published (2 steps each), no Celery: the service's own
  cost on top of the same two calls (claim, row updates, event rows, enqueueing the next step).
  One publication's SQL is captured step by step, classified, and its commits counted (each
  COMMIT, and each write sent outside a transaction).
- ``workers_<n>``: for each ``--workers`` count, start n worker processes (``--pool solo``,
  the test suite's env), call ``publish_publication`` for ``--publications`` fb_post text
  publications back to back and wait until every one is published: publications per second,
  publish → published p50/p95, and the drain rate once the publish loop has finished (the
  workers' steady state: per-publication cost with no competition from the publish loop).
- ``photo_workers_<n>``: the same with ``--photo-publications`` fb_post photos (the sandbox
  downloads each photo from gunicorn), when that is not 0.
- ``one_at_a_time``: ``--one-at-a-time`` fb_post text publications through one worker, each
  published only once the one before is: the latency of a single post in flight (median), with
  no queueing behind other posts. ``queued_to_published_ms`` runs from the commit that queued
  it (``publish_publication`` returned) to the worker's ``published_at``: broker delivery, the
  task and both Graph calls; the fair "through a worker" counterpart of ``in_process``.

The sweeper is off by default (``--sweep-interval 0``): nothing fails here, and every tick
would re-queue the whole backlog of queued rows (see the README); pass e.g. 15 to run it as beat
does. Results go to ``bench/results/publish_throughput.json``. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python -m bench.publish_throughput [--publications 500] [--workers 1 4]
"""

import argparse
import json
import os
import re
import signal
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.dashboard_latency import BASE_DIR, BenchError, positive_int
from bench.publish_faults import (
    Stage,
    Sweeper,
    WorkerPool,
    build_publication,
    environment_report,
    open_stage,
    percentiles,
    purge_queues,
)

RESULTS_PATH = BASE_DIR / "bench" / "results" / "publish_throughput.json"
LEASE_SECONDS = 600  # production's default: nothing here should outlive it
BARE_WARMUP = 20
IN_PROCESS_WARMUP = 5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.publish_throughput",
        description="Publications per second through Celery workers, against the bare calls.",
    )
    parser.add_argument("--publications", type=positive_int, default=500, help="text posts per run")
    parser.add_argument(
        "--photo-publications", type=int, default=100, help="photo posts per run (0: skip)"
    )
    parser.add_argument(
        "--workers", type=positive_int, nargs="+", default=[1, 4], help="worker counts to run"
    )
    parser.add_argument("--bare-calls", type=positive_int, default=500, help="bare POST+GET pairs")
    parser.add_argument(
        "--in-process", type=positive_int, default=100, help="publications run in-process"
    )
    parser.add_argument(
        "--one-at-a-time",
        type=int,
        default=100,
        help="publications sent one at a time through one worker (0: skip)",
    )
    parser.add_argument(
        "--sweep-interval", type=float, default=0.0, help="seconds between sweeps (0: off)"
    )
    parser.add_argument(
        "--deadline", type=float, default=300.0, help="seconds one worker run may take"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- bare -------------------------------------------------------------------------------------


def run_bare(stage: Stage, calls: int) -> dict[str, Any]:
    """POST /{page}/feed + GET /{post}?fields=id,permalink_url with requests, sequentially."""
    from django.conf import settings

    from meta_integration.graph import appsecret_proof

    page = stage.accounts["page"]
    token = page.access_token
    auth = {
        "access_token": token,
        "appsecret_proof": appsecret_proof(token, settings.META_APP_SECRET),
    }
    base = f"{stage.sandbox.url}/{settings.META_API_VERSION}"
    link = f"{stage.media_base}/terms/"
    session = requests.Session()
    session.trust_env = False
    timings: list[float] = []

    def pair(n: int) -> None:
        message = f"Bare post {stage.run_id} #{n}"
        created = session.post(
            f"{base}/{page.page_id}/feed",
            data={"message": message, "link": link, **auth},
            timeout=30,
        )
        post_id = created.json().get("id")
        if created.status_code != 200 or not post_id:
            raise BenchError(f"bare POST /feed: HTTP {created.status_code}: {created.text[:200]}")
        read = session.get(
            f"{base}/{post_id}", params={"fields": "id,permalink_url", **auth}, timeout=30
        )
        if read.status_code != 200 or not read.json().get("permalink_url"):
            raise BenchError(f"bare GET /{post_id}: HTTP {read.status_code}: {read.text[:200]}")

    for n in range(BARE_WARMUP):
        pair(-n - 1)
    began = time.perf_counter()
    for n in range(calls):
        started = time.perf_counter()
        pair(n)
        timings.append(time.perf_counter() - started)
    wall = time.perf_counter() - began
    ms = [t * 1000 for t in timings]
    return {
        "pairs": calls,
        "wall_s": round(wall, 3),
        "per_publication_ms": percentiles(ms),
        "publications_per_s": round(calls / wall, 1),
    }


# --- in-process -------------------------------------------------------------------------------


def classify(sql: str) -> str:
    """Return "<verb> <table>": the statement's own table, not one of a subquery's."""
    verb = sql.split(None, 1)[0].upper()
    for table in re.finditer(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql):
        head = sql[: table.start()]
        if head.count("(") == head.count(")"):  # outside every parenthesis
            return f"{verb} {table.group(1)}"
    return f"{verb} ?"


def commits(statements: list[str]) -> int:
    """Commits the statements made: each COMMIT, and each write outside BEGIN … COMMIT."""
    count, in_transaction = 0, False
    for sql in statements:
        verb = sql.split(None, 1)[0].upper()
        if verb == "BEGIN":
            in_transaction = True
        elif verb in ("COMMIT", "ROLLBACK"):
            count += verb == "COMMIT"
            in_transaction = False
        elif verb in ("INSERT", "UPDATE", "DELETE") and not in_transaction:
            count += 1
    return count


def run_in_process(stage: Stage, publications: list[Any]) -> dict[str, Any]:
    """Publish, then call advance_publication until published, one publication at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from prosocial import prepared
    from publishing import services
    from publishing.models import Publication

    def drive(pk: int, per_step: list[list[str]] | None = None) -> int:
        steps = 0
        while Publication.objects.filter(pk=pk).values_list("status", flat=True)[0] != "published":
            if per_step is None:
                services.advance_publication(publication_id=pk)
            else:
                connection.queries_log.clear()  # a full log (DEBUG keeps 9000) captures nothing
                with CaptureQueriesContext(connection) as step_ctx:
                    services.advance_publication(publication_id=pk)
                # A prepared statement (the claim) as the statement it runs.
                per_step.append([prepared.spelled_out(q["sql"]) for q in step_ctx.captured_queries])
            steps += 1
            if steps > 10:
                raise BenchError(f"in-process publication {pk} not published after 10 steps")
        return steps

    publish_ms: list[float] = []
    advance_ms: list[float] = []
    steps: list[int] = []
    queries: Counter[str] = Counter()
    by_step: list[list[str]] = []
    for index, publication in enumerate(publications):
        started = time.perf_counter()
        services.publish_publication(actor=stage.owner, publication=publication)
        publish_ms.append((time.perf_counter() - started) * 1000)
        if index == IN_PROCESS_WARMUP:  # one warm publication's SQL, classified
            drive(publication.pk, by_step)  # each step's own SQL: the loop's reads stay out
            queries = Counter(classify(sql) for step in by_step for sql in step)
            continue
        started = time.perf_counter()
        steps.append(drive(publication.pk))
        if index >= IN_PROCESS_WARMUP:
            advance_ms.append((time.perf_counter() - started) * 1000)
    return {
        "publications": len(advance_ms),
        "per_publication_ms": percentiles(advance_ms),
        "publish_call_ms": percentiles(publish_ms),
        "steps_per_publication": statistics.fmean(steps),
        "sql_per_publication": sum(queries.values()),
        "sql_by_kind": dict(queries.most_common()),
        "commits_per_publication": sum(commits(step) for step in by_step),
        "sql_by_step": [
            {
                "statements": len(step),
                "commits": commits(step),
                "by_kind": dict(Counter(classify(sql) for sql in step).most_common()),
            }
            for step in by_step
        ],
        "note": "advance_publication timing excludes publish_publication (the web request's part) "
        "and includes the bench loop's own status read per step (~0.3 ms)",
    }


# --- workers ----------------------------------------------------------------------------------


def run_workers(
    stage: Stage, publications: list[Any], workers: int, args: argparse.Namespace, label: str
) -> dict[str, Any]:
    from django.utils import timezone

    from publishing import services
    from publishing.models import Publication, PublicationEvent

    purge_queues()
    log_dir = stage.tmp / f"workers-{label}"
    log_dir.mkdir()
    pool = WorkerPool(stage.worker_env(LEASE_SECONDS), log_dir)
    ids = [p.pk for p in publications]
    asked: dict[int, datetime] = {}
    sweeper = None
    try:
        for slot in range(workers):
            pool.start(slot, wait=True)
        if args.sweep_interval > 0:
            import random

            sweeper = Sweeper(random.Random(0), (args.sweep_interval, args.sweep_interval))
            sweeper.start()
        load_start = os.getloadavg()[0]
        began = time.monotonic()
        for publication in publications:
            asked[publication.pk] = timezone.now()
            services.publish_publication(actor=stage.owner, publication=publication)
        loop_end_at = timezone.now()
        loop_s = time.monotonic() - began
        deadline = began + args.deadline
        while True:
            left = Publication.objects.filter(pk__in=ids).exclude(status="published").count()
            if left == 0:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{label}: {left} publications not published within the deadline")
            time.sleep(0.1)
    finally:
        if sweeper is not None:
            sweeper.stop()
        pool.stop_all()
    rows = list(Publication.objects.filter(pk__in=ids).values("pk", "published_at", "attempts"))
    done = sorted(row["published_at"] for row in rows)
    first_asked = min(asked.values())
    wall = (done[-1] - first_asked).total_seconds()
    latency = [(row["published_at"] - asked[row["pk"]]).total_seconds() * 1000 for row in rows]
    after_loop = [t for t in done if t > loop_end_at]
    drain_s = (done[-1] - loop_end_at).total_seconds() if after_loop else 0.0
    drain_rate = len(after_loop) / drain_s if drain_s > 0 else None
    events = Counter(
        PublicationEvent.objects.filter(publication_id__in=ids).values_list("kind", flat=True)
    )
    tasks = pool.tasks_run()
    return {
        "workers": workers,
        "publications": len(ids),
        "wall_s": round(wall, 3),
        "publications_per_s": round(len(ids) / wall, 2),
        "publish_loop_s": round(loop_s, 3),
        "publish_to_published_ms": percentiles(latency),
        "drain": {
            "published_after_loop": len(after_loop),
            "seconds": round(drain_s, 3),
            "publications_per_s": round(drain_rate, 2) if drain_rate else None,
            "per_publication_ms": round(1000 / drain_rate, 2) if drain_rate else None,
        },
        "celery_tasks_run": tasks,
        "tasks_per_publication": round(tasks / len(ids), 2),
        "claims_per_publication": round(statistics.fmean(r["attempts"] for r in rows), 2),
        "events_per_publication": {k: round(v / len(ids), 2) for k, v in events.items()},
        "sweeps": sweeper.sweeps if sweeper else 0,
        "loadavg_1m_before": round(load_start, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }


def run_one_at_a_time(
    stage: Stage, publications: list[Any], args: argparse.Namespace
) -> dict[str, Any]:
    """One worker; each publication is published (status read every 2 ms) before the next goes."""
    from django.utils import timezone

    from publishing import services
    from publishing.models import Publication

    purge_queues()
    log_dir = stage.tmp / "workers-one-at-a-time"
    log_dir.mkdir()
    pool = WorkerPool(stage.worker_env(LEASE_SECONDS), log_dir)
    asked: dict[int, datetime] = {}
    queued: dict[int, datetime] = {}
    try:
        pool.start(0, wait=True)
        load_start = os.getloadavg()[0]
        for publication in publications:
            asked[publication.pk] = timezone.now()
            services.publish_publication(actor=stage.owner, publication=publication)
            queued[publication.pk] = timezone.now()
            deadline = time.monotonic() + 30
            rows = Publication.objects.filter(pk=publication.pk, status="published")
            while not rows.exists():
                if time.monotonic() > deadline:
                    raise BenchError(f"one at a time: {publication.pk} not published in 30 s")
                time.sleep(0.002)
    finally:
        pool.stop_all()
    ids = list(asked)
    done = list(Publication.objects.filter(pk__in=ids).values("pk", "published_at", "attempts"))

    def ms(start: dict[int, datetime]) -> list[float]:
        return [
            (row["published_at"] - start[row["pk"]]).total_seconds() * 1000  # type: ignore[operator]
            for row in done
        ]

    tasks = pool.tasks_run()
    return {
        "workers": 1,
        "publications": len(ids),
        "queued_to_published_ms": percentiles(ms(queued)),
        "publish_to_published_ms": percentiles(ms(asked)),
        "celery_tasks_run": tasks,
        "tasks_per_publication": round(tasks / len(ids), 2),
        "claims_per_publication": round(statistics.fmean(r["attempts"] for r in done), 2),
        "loadavg_1m_before": round(load_start, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "note": "queued_to_published: from publish_publication's return (its commit queued the "
        "task) to the worker's published_at; publish_to_published adds the publish call itself",
    }


# --- main -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    with open_stage() as stage:
        report = environment_report()
        number = 0

        def build(case: str, count: int) -> list[Any]:
            nonlocal number
            built = []
            for _ in range(count):
                number += 1
                built.append(build_publication(stage, case, number))
            return built

        total = (
            args.in_process
            + IN_PROCESS_WARMUP
            + args.one_at_a_time
            + len(args.workers) * (args.publications + args.photo_publications)
        )
        print(f"building {total} publications (full preflight each)…", flush=True)
        began = time.monotonic()
        in_process = build("fb_post_text", args.in_process + IN_PROCESS_WARMUP)
        one_by_one = build("fb_post_text", args.one_at_a_time)
        text_runs = {n: build("fb_post_text", args.publications) for n in args.workers}
        photo_runs = {
            n: build("fb_post_photo", args.photo_publications)
            for n in args.workers
            if args.photo_publications
        }
        build_s = time.monotonic() - began
        print(f"built in {build_s:.0f} s", flush=True)
        purge_queues()

        print(f"bare: {args.bare_calls} POST /feed + GET pairs…", flush=True)
        bare = run_bare(stage, args.bare_calls)
        print(f"  {bare['per_publication_ms']['mean']:.2f} ms per pair (mean)", flush=True)

        print(f"in-process: {args.in_process} publications…", flush=True)
        inproc = run_in_process(stage, in_process)
        purge_queues()  # the steps it enqueued (no worker is running)
        print(f"  {inproc['per_publication_ms']['mean']:.2f} ms per publication", flush=True)

        runs: dict[str, Any] = {}
        if one_by_one:
            print(f"one at a time: {len(one_by_one)} publications, one worker…", flush=True)
            runs["one_at_a_time"] = run_one_at_a_time(stage, one_by_one, args)
            single = runs["one_at_a_time"]["queued_to_published_ms"]
            print(f"  queued→published p50 {single['p50']:.1f} ms", flush=True)
        for label, publications_by_n in (("workers", text_runs), ("photo_workers", photo_runs)):
            for n, publications in publications_by_n.items():
                name = f"{label}_{n}"
                print(f"{name}: {len(publications)} publications…", flush=True)
                runs[name] = run_workers(stage, publications, n, args, name)
                r = runs[name]
                print(
                    f"  {r['publications_per_s']} /s overall, drain "
                    f"{r['drain']['publications_per_s']} /s; publish→published p50 "
                    f"{r['publish_to_published_ms']['p50']:.0f} ms, p95 "
                    f"{r['publish_to_published_ms']['p95']:.0f} ms",
                    flush=True,
                )

    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    bare_ms = bare["per_publication_ms"]["mean"]
    inproc_ms = inproc["per_publication_ms"]["mean"]
    bare_p50 = bare["per_publication_ms"]["p50"]
    inproc_p50 = inproc["per_publication_ms"]["p50"]
    comparison: dict[str, Any] = {
        "bare_ms": bare_ms,
        "in_process_ms": inproc_ms,
        "in_process_over_bare": round(inproc_ms / bare_ms, 2),
        "in_process_minus_bare_ms": round(inproc_ms - bare_ms, 2),
        "bare_p50_ms": bare_p50,
        "in_process_p50_ms": inproc_p50,
        "in_process_p50_minus_bare_p50_ms": round(inproc_p50 - bare_p50, 2),
    }
    one = runs.get("workers_1")
    if one and one["drain"]["per_publication_ms"]:
        worker_ms = one["drain"]["per_publication_ms"]
        comparison.update(
            {
                "one_worker_ms": worker_ms,
                "one_worker_over_bare": round(worker_ms / bare_ms, 2),
                "one_worker_minus_bare_ms": round(worker_ms - bare_ms, 2),
                "one_worker_minus_in_process_ms": round(worker_ms - inproc_ms, 2),
            }
        )
    single = runs.get("one_at_a_time")
    if single:
        single_p50 = single["queued_to_published_ms"]["p50"]
        comparison.update(
            {
                "one_worker_single_p50_ms": single_p50,
                "one_worker_single_p50_minus_bare_p50_ms": round(single_p50 - bare_p50, 2),
            }
        )
    return {
        "benchmark": "publish_throughput",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "publications": args.publications,
            "photo_publications": args.photo_publications,
            "workers": args.workers,
            "bare_calls": args.bare_calls,
            "in_process": args.in_process,
            "one_at_a_time": args.one_at_a_time,
            "sweep_interval_s": args.sweep_interval,
            "lease_seconds": LEASE_SECONDS,
            "sandbox_processing_s": 0,
            "build_s": round(build_s, 1),
        },
        "bare": bare,
        "in_process": inproc,
        "runs": runs,
        "comparison": comparison,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        result = run(args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print()
    print(json.dumps(result["comparison"], indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
