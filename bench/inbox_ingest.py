"""Webhook ingestion and the inbox list (#16, "Measure"), against bare views on the same server.

Two parts, run one or both (``--part``):

``ingest``: Meta's signed POSTs to ``/meta/webhooks/`` under gunicorn (``bench.settings``, sync
workers, a free 127.0.0.1 port), against ``/bench/insert`` (one raw INSERT of the body, no
signature, routing or queueing) on the same server, in the same run. Bodies are built and
signed up front, each event with its own Meta id (a comment id or a message mid carrying the
run, phase and number), so nothing is de-duplicated; per ``--batches`` size (events per POST,
half feed comments and half Messenger messages, in one entry each, as the sandbox and Meta
group them) it runs, for ``--rounds`` interleaved rounds:

- ``closed``: ``--clients`` client processes, each sending its share back to back over raw
  sockets (prebuilt bytes: the client is as cheap as Python gets): the capacity (POSTs/s and
  events/s) and the latency at that concurrency, for ``bare`` (``/bench/insert``) and ``webhook``;
- ``paced``: the webhook alone, each client sending on a fixed schedule so that together they
  offer ``--target-rate`` events/s for ``--paced-seconds``: the latency at the target load,
  measured from each POST's scheduled time (a late client counts its lateness).

Every POST must answer 200 with ``{"stored": <events in it>}`` (``/bench/insert``: 200), or the
run aborts and writes nothing. Afterwards every event sent must be a row (``lost`` counts the
missing ones; the run aborts if any is). The webhook view queues each new event's processing
after COMMIT (Redis, the bench db): that is part of its cost, and no worker runs, so the
queues are purged before and after. An in-process pass (Django's test client, cProfile) splits
one POST into signature, parsing, routing, storing and queueing, and counts its SQL.

``list``: the inbox list page (``/w/<slug>/inbox/``) with 10 and with 10,000 threads
(bulk-created: contacts, one to three messages each, comments and DMs on Facebook and
Instagram, a third assigned, a quarter unread, some done). Counts its queries with Django's test
client for both sizes and a few filters, then times it under gunicorn against ``/bench/bare``
(p50/p95, ``--list-requests`` GETs each, signed in through allauth's form).

Results go to ``bench/results/inbox_ingest.json`` and ``bench/results/inbox_list.json``. Run
from the repository root (the database name must contain ``bench``; Redis not db 0)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 DEBUG=0 \\
    .venv/bin/python -m bench.inbox_ingest [--part ingest list] [--batches 1 10 50]
"""

import argparse
import contextlib
import cProfile
import hashlib
import hmac
import io
import json
import multiprocessing
import os
import pstats
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.dashboard_latency import (
    BASE_DIR,
    BenchError,
    Endpoint,
    bench_database,
    create_database_if_missing,
    ensure_verified_user,
    free_port,
    login,
    migrate,
    positive_int,
    run_phase,
    setup_django,
    start_server,
    stop_server,
    summarize,
    tail,
    wait_until_ready,
)

RESULTS_DIR = BASE_DIR / "bench" / "results"
INGEST_RESULTS = RESULTS_DIR / "inbox_ingest.json"
LIST_RESULTS = RESULTS_DIR / "inbox_list.json"
OWNER_EMAIL = "bench-inbox@bench.example.com"
MEMBER_EMAIL = "bench-inbox-editor@bench.example.com"
INGEST_WORKSPACE = "Bench inbox ingest"
LIST_WORKSPACE = "Bench inbox list ({n} threads)"
# A Page and an Instagram account only the bench workspaces use, so each event routes to one.
PAGE_ID = "990000000001101"
IG_ID = "17841499000001101"
LIST_PAGE_ID = "990000000001102"
LIST_IG_ID = "17841499000001102"
META_USER_ID = "10099000000001101"
WEBHOOK_PATH = "/meta/webhooks/"
INSERT_PATH = "/bench/insert"
SOCKET_TIMEOUT_S = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.inbox_ingest",
        description="Webhook ingestion and the inbox list, against bare views (#16).",
    )
    parser.add_argument("--part", nargs="+", choices=["ingest", "list"], default=["ingest", "list"])
    parser.add_argument(
        "--batches", type=positive_int, nargs="+", default=[1, 10, 50], help="events per POST"
    )
    parser.add_argument(
        "--events", type=positive_int, default=20000, help="events per closed phase (per batch)"
    )
    parser.add_argument(
        "--max-posts", type=positive_int, default=4000, help="cap on POSTs per closed phase"
    )
    parser.add_argument("--rounds", type=positive_int, default=2, help="interleaved rounds")
    parser.add_argument("--clients", type=positive_int, default=4, help="client processes")
    parser.add_argument("--workers", type=positive_int, default=2, help="gunicorn sync workers")
    parser.add_argument("--target-rate", type=float, default=1500.0, help="paced events/s")
    parser.add_argument("--paced-seconds", type=float, default=10.0, help="paced phase length")
    parser.add_argument("--profile-posts", type=positive_int, default=200)
    parser.add_argument("--list-threads", type=positive_int, nargs=2, default=[10, 10000])
    parser.add_argument("--list-requests", type=positive_int, default=500)
    parser.add_argument("--concurrency", type=positive_int, default=4, help="list GET threads")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds per phase")
    parser.add_argument("--output", type=Path, default=None, help="ingest JSON path")
    parser.add_argument("--list-output", type=Path, default=None, help="list JSON path")
    return parser.parse_args(argv)


# --- Setup ------------------------------------------------------------------------------------


def check_redis_db() -> str:
    from django.conf import settings

    redis_db = (settings.REDIS_URL or "").rstrip("/").rpartition("/")[2]
    if not redis_db.isdigit() or int(redis_db) == 0:
        raise BenchError("set REDIS_URL to a bench Redis db, e.g. redis://127.0.0.1:6379/2")
    return redis_db


def ensure_workspace(owner: Any, name: str, *, page_id: str, ig_id: str) -> Any:
    """A workspace of the owner's with a connected, selected Page and Instagram account.

    The Meta rows are written directly (as tests/inbox/meta_events.connect does): routing only
    reads them, and a bench-only Page id keeps every event routed to this one workspace.
    """
    from accounts import services
    from accounts.models import Membership, Workspace
    from meta_integration.models import InstagramAccount, MetaConnection, MetaPage

    workspace = Workspace.objects.filter(created_by=owner, name=name).first()
    if workspace is None:
        workspace = services.create_workspace(user=owner, name=name, company_name="Bench Co")
    connection = MetaConnection.objects.filter(workspace=workspace).first()
    if connection is None:
        connection = MetaConnection.objects.create(
            workspace=workspace, meta_user_id=META_USER_ID, display_name="Bench Meta user"
        )
        page = MetaPage.objects.create(
            workspace=workspace,
            connection=connection,
            page_id=page_id,
            name="Bench Coffee",
            is_selected=True,
        )
        InstagramAccount.objects.create(
            workspace=workspace,
            connection=connection,
            page=page,
            ig_user_id=ig_id,
            username="benchcoffee",
            is_selected=True,
        )
    return Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user=owner
    )


def environment() -> dict[str, Any]:
    import gunicorn

    from bench.publish_faults import environment_report

    report = environment_report()
    report["versions"]["gunicorn"] = gunicorn.__version__
    return report


def prepare_database() -> None:
    """Check the bench database and Redis db, create the database if missing and migrate it."""
    db = bench_database()
    check_redis_db()
    if create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    migrate()
    warn_if_loaded()


def warn_if_loaded() -> None:
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"warning: 1-minute load average is {load:.2f} on {os.cpu_count()} cores; "
            "other work on this machine will make the numbers noisy",
            file=sys.stderr,
        )


# --- Bodies -----------------------------------------------------------------------------------


def event_id(tag: str, n: int) -> str:
    return f"{tag}-{n:07d}"


def notification(tag: str, first: int, count: int, now: int) -> dict[str, Any]:
    """A Page notification with ``count`` events: comments in one entry, messages in another."""
    comments = (count + 1) // 2
    entries: list[dict[str, Any]] = []
    changes = [
        {
            "field": "feed",
            "value": {
                "item": "comment",
                "verb": "add",
                "comment_id": event_id(tag, first + k),
                "post_id": f"{PAGE_ID}_3100000000000001",
                "parent_id": f"{PAGE_ID}_3100000000000001",
                "created_time": now,
                "from": {"id": f"{2420000000 + (first + k) % 997}", "name": "Jamie Café"},
                "message": f"Lovely latte, is the oat milk vegan? #{first + k}",
            },
        }
        for k in range(comments)
    ]
    if changes:
        entries.append({"id": PAGE_ID, "time": now, "changes": changes})
    messaging = [
        {
            "sender": {"id": f"{6540000000 + (first + k) % 991}"},
            "recipient": {"id": PAGE_ID},
            "timestamp": now * 1000 + k,
            "message": {
                "mid": event_id(tag, first + k),
                "text": f"Are you open today? #{first + k}",
            },
        }
        for k in range(comments, count)
    ]
    if messaging:
        entries.append({"id": PAGE_ID, "time": now * 1000, "messaging": messaging})
    return {"object": "page", "entry": entries}


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def http_post(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


@dataclass
class Batch:
    """One phase's prebuilt requests and what each must answer."""

    requests: list[bytes]
    expected: list[bytes]  # the exact response body each must carry
    events: int
    tag: str
    dedupe_keys: list[str]


def build_webhook_batch(host: str, tag: str, posts: int, per_post: int, secret: str) -> Batch:
    now = int(time.time())
    requests_, expected = [], []
    for p in range(posts):
        body = encode(notification(tag, p * per_post, per_post, now))
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        requests_.append(http_post(host, WEBHOOK_PATH, body, {"X-Hub-Signature-256": signature}))
        expected.append(json.dumps({"stored": per_post}).encode())
    return Batch(requests_, expected, posts * per_post, tag, [])


def build_insert_batch(host: str, tag: str, posts: int, per_post: int) -> Batch:
    now = int(time.time())
    requests_, keys = [], []
    for p in range(posts):
        body = encode(notification(tag, p * per_post, per_post, now))
        keys.append(hashlib.sha256(body).hexdigest())
        requests_.append(http_post(host, INSERT_PATH, body, {}))
    return Batch(requests_, [b'{"stored":1}'] * posts, posts * per_post, tag, keys)


# --- Client processes -------------------------------------------------------------------------


def client_main(
    port: int,
    requests_: list[bytes],
    expected: list[bytes],
    start_at: float,
    interval: float | None,
    offset: float,
) -> dict[str, Any]:
    """Send each request on its own connection; closed loop, or paced every ``interval`` s."""
    latencies, service, errors = [], [], []
    while (wait := start_at - time.time()) > 0:
        time.sleep(min(wait, 0.05))
    began = time.perf_counter()
    for i, (request, answer) in enumerate(zip(requests_, expected, strict=True)):
        scheduled = None
        if interval is not None:
            scheduled = began + offset + i * interval
            if (ahead := scheduled - time.perf_counter()) > 0:
                time.sleep(ahead)
        sent = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S) as sock:
                sock.sendall(request)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            errors.append(f"request {i}: {exc!r}")
            break
        done = time.perf_counter()
        response = b"".join(chunks)
        head, _sep, body = response.partition(b"\r\n\r\n")
        status = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"?"
        if status != b"200" or body.strip() != answer:
            errors.append(f"request {i}: HTTP {status.decode(errors='replace')}: {body[:200]!r}")
            break
        service.append(done - sent)
        latencies.append(done - (scheduled if scheduled is not None else sent))
    return {
        "latencies": latencies,
        "service": service,
        "errors": errors,
        "wall": time.perf_counter() - began,
    }


def drive(
    port: int, batch: Batch, clients: int, *, rate_posts: float | None, time_limit: float
) -> dict[str, Any]:
    """Split ``batch`` over ``clients`` processes and run them; abort on any failure."""
    shares = [batch.requests[c::clients] for c in range(clients)]
    answers = [batch.expected[c::clients] for c in range(clients)]
    interval = clients / rate_posts if rate_posts else None
    start_at = time.time() + 0.5
    jobs = [
        (port, shares[c], answers[c], start_at, interval, (interval or 0) * c / clients)
        for c in range(clients)
    ]
    # spawn, not fork: this process holds Django, Celery and psycopg state (and threads).
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        pending = pool.starmap_async(client_main, jobs, chunksize=1)
        try:
            results = pending.get(timeout=time_limit + 1)
        except multiprocessing.TimeoutError as exc:
            pool.terminate()
            raise BenchError(f"{batch.tag}: clients ran past {time_limit:g} s") from exc
    errors = [e for r in results for e in r["errors"]]
    if errors:
        raise BenchError(f"{batch.tag}: {len(errors)} client(s) failed, first: {errors[0]}")
    latencies = [x * 1000 for r in results for x in r["latencies"]]
    service = [x * 1000 for r in results for x in r["service"]]
    wall = max(r["wall"] for r in results)
    return {"latencies_ms": latencies, "service_ms": service, "wall_s": wall}


def stats(values: list[float]) -> dict[str, float]:
    data = sorted(values)
    cuts = statistics.quantiles(data, n=100, method="inclusive")
    return {
        "n": len(data),
        "p50_ms": round(statistics.median(data), 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(data[-1], 2),
        "mean_ms": round(statistics.fmean(data), 2),
    }


# --- Counting what was stored -----------------------------------------------------------------


def stored_webhook_events(workspace_id: int, tag: str) -> tuple[int, int]:
    """Return (rows, distinct Meta ids) stored for the phase ``tag``."""
    from django.db import connection

    from meta_integration.models import WebhookEvent

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT mid) FROM (SELECT coalesce("
            "payload->'value'->>'comment_id', payload->'message'->>'mid') AS mid "
            f"FROM {WebhookEvent._meta.db_table} WHERE workspace_id = %s) AS e "
            "WHERE mid LIKE %s",
            [workspace_id, tag + "-%"],
        )
        rows, distinct = cursor.fetchone()
    return int(rows), int(distinct)


def stored_inserts(keys: list[str]) -> int:
    from meta_integration.models import WebhookEvent

    return WebhookEvent.objects.filter(object="bench-insert", dedupe_key__in=keys).count()


def clean_earlier_runs(workspace_id: int) -> int:
    from meta_integration.models import WebhookEvent

    deleted, _ = WebhookEvent.objects.filter(workspace_id=workspace_id).delete()
    deleted += WebhookEvent.objects.filter(object="bench-insert").delete()[0]
    return deleted


# --- In-process: profile one POST -------------------------------------------------------------

NAMED_COSTS = {
    "record_webhook_events (all)": ("meta_integration/webhooks.py", "record_webhook_events"),
    "verify_signature": ("meta_integration/webhooks.py", "verify_signature"),
    "parse_notification": ("meta_integration/webhooks.py", "parse_notification"),
    "_store_items (routing, dedupe, INSERT, COMMIT)": (
        "meta_integration/webhooks.py",
        "_store_items",
    ),
    "  _routes": ("meta_integration/webhooks.py", "_routes"),
    "  _dedupe_key": ("meta_integration/webhooks.py", "_dedupe_key"),
    "  bulk_create": ("django/db/models/query.py", "bulk_create"),
    "_announce_stored (SELECT ids + signal)": ("meta_integration/webhooks.py", "_announce_stored"),
    "queue_stored_events": ("inbox/ingest.py", "queue_stored_events"),
    "  Celery apply_async": ("celery/app/task.py", "apply_async"),
}


def profile_in_process(workspace_id: int, per_post: int, posts: int, tag: str) -> dict[str, Any]:
    """POST ``posts`` notifications through Django's test client, under cProfile."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    secret = settings.META_APP_SECRET
    client = Client(HTTP_HOST="127.0.0.1")
    now = int(time.time())
    bodies = [encode(notification(tag, p * per_post, per_post, now)) for p in range(posts + 1)]
    signed = [
        (b, "sha256=" + hmac.new(secret.encode(), b, hashlib.sha256).hexdigest()) for b in bodies
    ]

    def post(body: bytes, signature: str) -> None:
        response = client.post(
            WEBHOOK_PATH,
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature},
        )
        if response.status_code != 200 or response.json() != {"stored": per_post}:
            raise BenchError(f"in-process POST: HTTP {response.status_code} {response.content!r}")

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        post(*signed[0])
    queries = [q["sql"].split(None, 1)[0].upper() for q in ctx.captured_queries]
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for body, signature in signed[1:]:
        post(body, signature)
    profiler.disable()
    wall = time.perf_counter() - began
    stored, _ = stored_webhook_events(workspace_id, tag)
    if stored != (posts + 1) * per_post:
        raise BenchError(f"in-process: {stored} rows for {(posts + 1) * per_post} events")
    profile = pstats.Stats(profiler)
    named: dict[str, float] = {}
    for label, (filename, function) in NAMED_COSTS.items():
        total = sum(
            row[3]
            for (file, _line, name), row in profile.stats.items()  # type: ignore[attr-defined]
            if name == function and file.endswith(filename)
        )
        named[label] = round(total / posts * 1000, 3)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
    top = [line.rstrip() for line in text.getvalue().splitlines() if line.strip()]
    return {
        "batch": per_post,
        "posts": posts,
        "ms_per_post": round(wall / posts * 1000, 3),
        "ms_per_event": round(wall / posts / per_post * 1000, 4),
        "sql_per_post": len(queries),
        "sql_by_verb": {v: queries.count(v) for v in sorted(set(queries))},
        "named_ms_per_post": named,
        "note": "cProfile roughly doubles Python-heavy costs; compare the named parts with "
        "each other, and ms_per_post with the server's numbers only loosely",
        "top_cumulative": top[:45],
    }


# --- The ingest part --------------------------------------------------------------------------


def run_ingest(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connections

    from bench.publish_faults import purge_queues

    password = secrets.token_urlsafe(24)
    owner = ensure_verified_user(OWNER_EMAIL, password, contact_name="Bench Inbox")
    membership = ensure_workspace(owner, INGEST_WORKSPACE, page_id=PAGE_ID, ig_id=IG_ID)
    workspace_id = membership.workspace_id
    cleaned = clean_earlier_runs(workspace_id)
    if cleaned:
        print(f"removed {cleaned} webhook rows of earlier runs")
    purge_queues()
    run_id = datetime.now(UTC).strftime("%H%M%S") + secrets.token_hex(2)

    print("in-process profile…", flush=True)
    profiles = [
        profile_in_process(workspace_id, per_post, max(20, args.profile_posts // per_post), tag)
        for per_post, tag in ((b, f"{run_id}-prof{b}") for b in args.batches)
    ]
    purge_queues()
    connections.close_all()

    port = free_port()
    host = f"127.0.0.1:{port}"
    base = f"http://{host}"
    secret = settings.META_APP_SECRET
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        print(f"starting gunicorn ({args.workers} sync workers) on {base}…", flush=True)
        proc = start_server(port, args.workers, log_path)
        try:
            wait_until_ready(proc, base, log_path)
            warm = build_webhook_batch(host, f"{run_id}-warm", 100, 10, secret)
            drive(port, warm, args.clients, rate_posts=None, time_limit=args.time_limit)
            drive(
                port,
                build_insert_batch(host, f"{run_id}-warmi", 100, 10),
                args.clients,
                rate_posts=None,
                time_limit=args.time_limit,
            )
            for per_post in args.batches:
                posts = max(args.clients * 10, min(args.max_posts, args.events // per_post))
                runs: dict[str, list[dict[str, Any]]] = {"bare": [], "webhook": []}
                loads = []
                for round_ in range(args.rounds):
                    order = ("bare", "webhook") if round_ % 2 == 0 else ("webhook", "bare")
                    for name in order:
                        tag = f"{run_id}-{name[0]}{per_post}r{round_}"
                        if name == "bare":
                            batch = build_insert_batch(host, tag, posts, per_post)
                        else:
                            batch = build_webhook_batch(host, tag, posts, per_post, secret)
                        print(f"batch {per_post}: {name} round {round_ + 1}, {posts} POSTs…")
                        sys.stdout.flush()
                        run = drive(
                            port, batch, args.clients, rate_posts=None, time_limit=args.time_limit
                        )
                        if name == "bare":
                            stored = stored_inserts(batch.dedupe_keys)
                            lost = posts - stored
                        else:
                            stored, distinct = stored_webhook_events(workspace_id, tag)
                            lost = batch.events - distinct
                        connections.close_all()
                        if lost:
                            raise BenchError(f"{tag}: {lost} of {batch.events} events lost")
                        run |= {"posts": posts, "events": batch.events, "lost": lost}
                        runs[name].append(run)
                    loads.append(round(os.getloadavg()[0], 2))
                purge_queues()
                results[f"batch_{per_post}"] = summarize_batch(per_post, runs, loads)
                summary = results[f"batch_{per_post}"]
                capacity = summary["webhook"]["events_per_s"]
                if per_post * 1000 < args.target_rate:
                    summary["paced"] = None
                    summary["paced_skipped"] = "over 1,000 POSTs/s: beyond the Python clients"
                elif capacity < args.target_rate:
                    # Offering more than the server takes only grows a queue: latency then
                    # measures the run's length, not the server.
                    summary["paced"] = None
                    summary["paced_skipped"] = (
                        f"the closed-loop capacity ({capacity:g} events/s) is below the target"
                    )
                else:
                    summary["paced"] = run_paced(
                        args, port, host, secret, workspace_id, run_id, per_post
                    )
                purge_queues()
                print_batch(per_post, results[f"batch_{per_post}"])
        except BaseException:
            if log_text := tail(log_path):
                print(f"--- gunicorn log (tail) ---\n{log_text}", file=sys.stderr)
            raise
        finally:
            stop_server(proc)
            with contextlib.suppress(Exception):
                purge_queues()

    met = [
        per_post
        for per_post in args.batches
        if (r := results[f"batch_{per_post}"])["webhook"]["events_per_s"] >= args.target_rate
        and r["paced"] is not None
        and r["paced"]["latency"]["p99_ms"] <= 50
        and r["webhook"]["lost"] == 0
        and r["paced"]["lost"] == 0
    ]
    return {
        "benchmark": "inbox_ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "batches": args.batches,
            "events_per_phase": args.events,
            "max_posts": args.max_posts,
            "rounds": args.rounds,
            "clients": args.clients,
            "workers": args.workers,
            "worker_class": "sync",
            "target_rate_events_per_s": args.target_rate,
            "paced_seconds": args.paced_seconds,
            "body": "half feed comments (one entry, changes) and half Messenger messages "
            "(one entry, messaging), each with a distinct Meta id; a batch of 1 is a comment",
        },
        "target": {"events_per_s": args.target_rate, "p99_ms": 50, "lost": 0},
        "target_met_with_batches": met,
        "results": results,
        "in_process": profiles,
    }


def summarize_batch(
    per_post: int, runs: dict[str, list[dict[str, Any]]], loads: list[float]
) -> dict[str, Any]:
    out: dict[str, Any] = {"events_per_post": per_post, "loadavg_1m_after_rounds": loads}
    for name, phase_runs in runs.items():
        posts = sum(r["posts"] for r in phase_runs)
        wall = sum(r["wall_s"] for r in phase_runs)
        events = sum(r["events"] for r in phase_runs)
        out[name] = {
            "posts": posts,
            "events": events,
            "lost": sum(r["lost"] for r in phase_runs),
            "posts_per_s": round(posts / wall, 1),
            "events_per_s": round(events / wall, 1),
            "per_round_posts_per_s": [round(r["posts"] / r["wall_s"], 1) for r in phase_runs],
            "latency": stats([x for r in phase_runs for x in r["latencies_ms"]]),
        }
    out["webhook_over_bare"] = {
        "posts_per_s": round(out["webhook"]["posts_per_s"] / out["bare"]["posts_per_s"], 3),
        "p50": round(out["webhook"]["latency"]["p50_ms"] / out["bare"]["latency"]["p50_ms"], 2),
        "p99": round(out["webhook"]["latency"]["p99_ms"] / out["bare"]["latency"]["p99_ms"], 2),
    }
    return out


def run_paced(
    args: argparse.Namespace,
    port: int,
    host: str,
    secret: str,
    workspace_id: int,
    run_id: str,
    per_post: int,
) -> dict[str, Any] | None:
    """The webhook at ``--target-rate`` events/s."""
    from django.db import connections

    rate_posts = args.target_rate / per_post
    posts = max(args.clients * 5, int(rate_posts * args.paced_seconds))
    tag = f"{run_id}-p{per_post}"
    batch = build_webhook_batch(host, tag, posts, per_post, secret)
    load = os.getloadavg()[0]
    print(f"batch {per_post}: paced at {args.target_rate:g} events/s, {posts} POSTs…", flush=True)
    run = drive(port, batch, args.clients, rate_posts=rate_posts, time_limit=args.time_limit)
    _, distinct = stored_webhook_events(workspace_id, tag)
    connections.close_all()
    lost = batch.events - distinct
    if lost:
        raise BenchError(f"{tag}: {lost} of {batch.events} events lost")
    offered = posts / (posts / rate_posts)
    return {
        "offered_posts_per_s": round(offered, 1),
        "offered_events_per_s": round(offered * per_post, 1),
        "achieved_posts_per_s": round(posts / run["wall_s"], 1),
        "achieved_events_per_s": round(posts * per_post / run["wall_s"], 1),
        "posts": posts,
        "events": batch.events,
        "lost": lost,
        "latency": stats(run["latencies_ms"]),
        "service_time": stats(run["service_ms"]),
        "loadavg_1m_before": round(load, 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }


def print_batch(per_post: int, r: dict[str, Any]) -> None:
    for name in ("bare", "webhook"):
        x = r[name]
        print(
            f"  {name:<8} {x['posts_per_s']:>8.1f} POSTs/s {x['events_per_s']:>9.1f} events/s  "
            f"p50 {x['latency']['p50_ms']:.1f}  p99 {x['latency']['p99_ms']:.1f} ms  "
            f"lost {x['lost']}"
        )
    if r.get("paced_skipped"):
        print(f"  paced    not run: {r['paced_skipped']}")
    if p := r["paced"]:
        print(
            f"  paced    {p['achieved_events_per_s']:>9.1f} events/s offered "
            f"{p['offered_events_per_s']:g}: p50 {p['latency']['p50_ms']:.1f}  "
            f"p99 {p['latency']['p99_ms']:.1f} ms  lost {p['lost']}"
        )
    sys.stdout.flush()


# --- The list part ----------------------------------------------------------------------------


def seed_threads(membership: Any, editor_id: int, count: int) -> int:
    """Bulk-create ``count`` threads (with contacts and messages) once; return the total."""
    from django.utils import timezone

    from inbox.models import Channel, Contact, Message, Thread
    from meta_integration.models import InstagramAccount, MetaPage

    workspace = membership.workspace
    have = Thread.objects.filter(workspace=workspace).count()
    if have == count:
        return have
    if have:
        Thread.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        Message.objects.filter(workspace=workspace).delete()
    page = MetaPage.objects.get(workspace=workspace)
    instagram = InstagramAccount.objects.get(workspace=workspace)
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                workspace=workspace,
                channel=Channel.FACEBOOK if n % 3 else Channel.INSTAGRAM,
                meta_id=f"bench-contact-{n}",
                name=f"Customer {n}",
                username="" if n % 3 else f"customer{n}",
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    kinds = [Thread.Kind.COMMENT, Thread.Kind.DM, Thread.Kind.COMMENT, Thread.Kind.MENTION]
    threads = []
    for n, contact in enumerate(contacts):
        facebook = contact.channel == Channel.FACEBOOK
        kind = kinds[n % len(kinds)]
        if facebook and kind == Thread.Kind.MENTION:
            kind = Thread.Kind.COMMENT
        threads.append(
            Thread(
                workspace=workspace,
                connection_id=page.connection_id,
                page=page if facebook else None,
                instagram_account=None if facebook else instagram,
                account_meta_id=page.page_id if facebook else instagram.ig_user_id,
                channel=contact.channel,
                kind=kind,
                external_key=f"bench-{n}",
                post_id="" if kind == Thread.Kind.DM else f"{page.page_id}_31{n % 40:04d}",
                post_caption="" if kind == Thread.Kind.DM else "Spring launch #coffee",
                contact=contact,
                status=Thread.Status.DONE if n % 5 == 4 else Thread.Status.OPEN,
                assignee_id=(membership.user_id, editor_id, None)[n % 3],
                last_message_at=now - timedelta(minutes=n),
                is_unread=n % 4 == 0,
                snippet=f"Hello, is the shop open on Sunday? ({n})",
            )
        )
    threads = Thread.objects.bulk_create(threads, batch_size=2000)
    messages = [
        Message(
            thread=thread,
            workspace=workspace,
            account_meta_id=thread.account_meta_id,
            external_id=f"bench-{n}-{k}",
            direction=Message.Direction.OUTBOUND if k == 1 else Message.Direction.INBOUND,
            author_meta_id=contact.meta_id,
            author_name=contact.name,
            text=f"Hello, is the shop open on Sunday? ({n}/{k})",
            sent_at=thread.last_message_at - timedelta(minutes=2 - k),
        )
        for n, (thread, contact) in enumerate(zip(threads, contacts, strict=True))
        for k in range(1 + n % 3)
    ]
    Message.objects.bulk_create(messages, batch_size=5000)
    return Thread.objects.filter(workspace=workspace).count()


def analyze_inbox_tables() -> None:
    """Refresh the planner's statistics, as autovacuum does some time after a bulk insert.

    Freshly bulk-created rows have none; the list's query then sorts every open thread
    instead of reading 25 from an index (32 ms instead of 0.05 ms at 10,000 threads).
    """
    from django.db import connection

    from inbox.models import Contact, Message, Thread

    with connection.cursor() as cursor:
        for model in (Thread, Message, Contact):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def ensure_editor(membership: Any) -> Any:
    from accounts import services
    from accounts.models import Membership, User
    from accounts.permissions import Role
    from bench.dashboard_latency import mail_to_memory

    user = User.objects.filter(email=MEMBER_EMAIL).first() or User.objects.create_user(
        MEMBER_EMAIL, contact_name="Bench Editor"
    )
    if not Membership.objects.filter(workspace=membership.workspace, user=user).exists():
        with mail_to_memory():
            invitation = services.invite_member(
                actor=membership, email=MEMBER_EMAIL, role=Role.EDITOR
            )
            services.accept_invitation(user=user, invitation=invitation)
    return user


LIST_FILTERS = {
    "default": "",
    "all statuses": "?status=all",
    "unread": "?unread=1",
    "direct messages": "?kind=dm",
    "assigned to me": "?assignee=me",
    "search": "?q=Sunday",
    "page 3": "?page=3",
}


def count_list_queries(owner: Any, slugs: dict[int, str]) -> dict[str, dict[str, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, dict[str, int]] = {}
    for label, query in LIST_FILTERS.items():
        counts[label] = {}
        for size, slug in slugs.items():
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
            path = f"/w/{slug}/inbox/{query}"
            client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"list {label}: HTTP {response.status_code} for {path}")
            counts[label][str(size)] = len(ctx.captured_queries)
    return counts


def run_list(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    from django.db import connections

    from inbox.selectors import PER_PAGE

    password = secrets.token_urlsafe(24)
    owner = ensure_verified_user(OWNER_EMAIL, password, contact_name="Bench Inbox")
    slugs: dict[int, str] = {}
    seeded: dict[str, int] = {}
    for size in args.list_threads:
        membership = ensure_workspace(
            owner, LIST_WORKSPACE.format(n=size), page_id=LIST_PAGE_ID, ig_id=LIST_IG_ID
        )
        editor = ensure_editor(membership)
        print(f"seeding {size} threads…", flush=True)
        seeded[str(size)] = seed_threads(membership, editor.pk, size)
        if seeded[str(size)] != size:
            raise BenchError(f"seeded {seeded[str(size)]} threads, expected {size}")
        slugs[size] = membership.workspace.slug
    analyze_inbox_tables()
    counts = count_list_queries(owner, slugs)
    small, large = args.list_threads
    same = all(c[str(small)] == c[str(large)] for c in counts.values())
    print("queries per list page:", json.dumps(counts), flush=True)
    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def shows_page(size: int) -> Any:
        # The newest thread (number 0, open) on top, and a full page of rows (or every open one).
        rows = min(PER_PAGE, size - size // 5)
        return lambda r: (
            b"Sunday? (0)<" in r.content and r.content.count(b"data-thread-row ") == rows
        )

    endpoints = [Endpoint("bare", "/bench/bare", False, lambda r: r.content == b"ok")] + [
        Endpoint(f"inbox_{size}", f"/w/{slug}/inbox/", True, shows_page(size))
        for size, slug in slugs.items()
    ]
    import requests

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-inbox-list-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        proc = start_server(port, args.workers, log_path)
        try:
            wait_until_ready(proc, base, log_path)
            authed = [login(base, OWNER_EMAIL, password) for _ in range(args.concurrency)]
            anonymous = [requests.Session() for _ in range(args.concurrency)]
            for endpoint in endpoints:
                sessions = authed if endpoint.authenticated else anonymous
                for label, count in (("warm-up", 50), ("timed", args.list_requests)):
                    print(f"{endpoint.name}: {label} {count} GETs…", flush=True)
                    phase = run_phase(base, endpoint, sessions, count, args.time_limit)
                    if phase.errors:
                        raise BenchError(f"{endpoint.name}: {phase.errors[0]}")
                results[endpoint.name] = {
                    "path": endpoint.path.replace(slugs.get(small, "?"), "<slug>").replace(
                        slugs.get(large, "?"), "<slug>"
                    ),
                    **summarize(phase),
                    "loadavg_1m_after": round(os.getloadavg()[0], 2),
                }
        except BaseException:
            if log_text := tail(log_path):
                print(f"--- gunicorn log (tail) ---\n{log_text}", file=sys.stderr)
            raise
        finally:
            stop_server(proc)
    bare = results["bare"]
    ratios = {
        name: {
            "p50": round(r["p50_ms"] / bare["p50_ms"], 2),
            "p95": round(r["p95_ms"] / bare["p95_ms"], 2),
        }
        for name, r in results.items()
        if name != "bare"
    }
    for name, r in results.items():
        print(
            f"  {name:<12} p50 {r['p50_ms']:.1f}  p95 {r['p95_ms']:.1f} ms  "
            f"{r['requests_per_s']:.1f} req/s"
        )
    return {
        "benchmark": "inbox_list",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "threads": args.list_threads,
            "requests": args.list_requests,
            "concurrency": args.concurrency,
            "workers": args.workers,
        },
        "data": {
            "threads": seeded,
            "shape": "1-3 messages per thread; comments, DMs and mentions on Facebook and "
            "Instagram; 1/3 assigned to the owner, 1/3 to an editor; 1/4 unread; 1/5 done",
        },
        "queries": counts,
        "same_queries_for_both_sizes": same,
        "max_queries": max(v for c in counts.values() for v in c.values()),
        "target": {"same_queries": True, "max_queries": 12},
        "endpoints": results,
        "ratios_over_bare": ratios,
    }


# --- Main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        setup_django()
        prepare_database()
        outputs = []
        if "ingest" in args.part:
            result = run_ingest(args, environment())
            result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
            outputs.append((args.output or INGEST_RESULTS, result))
        if "list" in args.part:
            result = run_list(args, environment())
            result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
            outputs.append((args.list_output or LIST_RESULTS, result))
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    for path, result in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
