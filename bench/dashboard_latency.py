"""Dashboard latency under gunicorn, against a bare Django view on the same server.

Creates (if missing) and migrates the bench database, seeds an owner and a workspace with
``--members`` members through the product's services, starts gunicorn (sync workers) on a
free loopback port with ``bench.settings``, logs in through the real allauth form, and times
``--requests`` GETs per endpoint from ``--concurrency`` threads:

- ``bare``: ``/bench/bare`` without a session: the server and middleware floor, no database;
- ``bare_authenticated``: the same view with the login cookie (session, user, usersessions);
- ``dashboard``: ``/w/<slug>/``;
- ``members``: ``/w/<slug>/members/``, which renders every member, so it is slow and gets
  ``--members-page-requests`` GETs (default N/10) to stay within the time limit.

Each endpoint's timed loop must finish within ``--time-limit`` seconds, and every response
must be a 200 with the expected body; otherwise the run aborts and writes nothing.

Prints p50/p95/p99/mean and requests/s per endpoint and the dashboard/bare ratios, and
writes them to ``bench/results/dashboard_latency.json``. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python -m bench.dashboard_latency [--requests N] [--concurrency C] [--members M]
"""

import argparse
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_PATH = BASE_DIR / "bench" / "results" / "dashboard_latency.json"
SETTINGS_MODULE = "bench.settings"

OWNER_EMAIL = "bench-owner@bench.example.com"
MEMBER_EMAIL = "bench-member-{n:05d}@bench.example.com"
INVITEE_EMAIL = "bench-invitee-{n:03d}@bench.example.com"
PENDING_INVITATIONS = 10

REQUEST_TIMEOUT_S = 10.0
SERVER_START_TIMEOUT_S = 30.0
SERVER_STOP_TIMEOUT_S = 10.0


class BenchError(RuntimeError):
    """The benchmark cannot produce a trustworthy result; the message says why."""


# --- Arguments --------------------------------------------------------------------------------


def positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard_latency",
        description="Dashboard latency under gunicorn, against a bare Django view.",
    )
    parser.add_argument(
        "--requests", type=positive_int, default=2000, help="timed GETs per endpoint"
    )
    parser.add_argument("--concurrency", type=positive_int, default=4, help="client threads")
    parser.add_argument("--members", type=positive_int, default=200, help="workspace members")
    parser.add_argument("--workers", type=positive_int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed GETs per endpoint (default N/20, >= 50)"
    )
    parser.add_argument(
        "--members-page-requests",
        type=positive_int,
        default=None,
        help="timed GETs of the members page (default N/10, >= 100)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="seconds one endpoint's timed loop may take before the run is aborted",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = max(50, args.requests // 20)
    if args.members_page_requests is None:
        # The members page renders every member: at 200 members it is ~10x slower than the
        # dashboard, so N of them would not fit in the time limit.
        args.members_page_requests = min(args.requests, max(100, args.requests // 10))
    return args


# --- Database: create, migrate, seed ----------------------------------------------------------


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()


def bench_database() -> dict[str, Any]:
    """Return the default database's settings, refusing anything but a bench PostgreSQL db."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        raise BenchError(
            "the benchmark needs PostgreSQL: set DATABASE_URL, e.g. "
            "postgres://postgres@127.0.0.1:5432/prosocial_bench"
        )
    if "bench" not in str(db["NAME"]):
        raise BenchError(
            f"refusing to seed database {db['NAME']!r}: its name must contain 'bench' "
            "so a development or test database is never written to"
        )
    return db


def create_database_if_missing(db: dict[str, Any]) -> bool:
    import psycopg
    from psycopg import sql

    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "connect_timeout": 5,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        conn.autocommit = True
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        return True


def server_env() -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}


def migrate() -> None:
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=server_env(),
            check=True,
            timeout=300,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"manage.py migrate failed ({exc}); its output is above") from exc


def mail_to_memory() -> Any:
    """Keep the seed's invitation emails in memory: never printed, never sent over SMTP."""
    import django
    from django.test.utils import override_settings

    backend = "django.core.mail.backends.locmem.EmailBackend"
    if django.VERSION >= (6, 1):  # MAILERS replaces EMAIL_BACKEND
        return override_settings(MAILERS={"default": {"BACKEND": backend}})
    return override_settings(EMAIL_BACKEND=backend)


@dataclass
class Seed:
    email: str
    password: str
    slug: str
    members: int
    pending_invitations: int
    audit_events: int


def ensure_verified_user(email: str, password: str, *, contact_name: str) -> Any:
    """Return the user ``email`` (created if missing) with ``password`` and a verified address."""
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, contact_name=contact_name)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed(members: int) -> Seed:
    """Ensure an owner and a workspace with exactly ``members`` members; idempotent.

    Each workspace size gets its own workspace, so the member count is always exact.
    Members join the way real ones do (invitation, then acceptance), which also leaves two
    audit events per member for the dashboard's activity card. Email goes to memory.
    """

    from accounts import services
    from accounts.models import AuditEvent, Invitation, Membership, User, Workspace
    from accounts.permissions import Role

    roles = [Role.EDITOR, Role.VIEWER, Role.VIEWER, Role.ADMIN]
    password = secrets.token_urlsafe(24)
    with mail_to_memory():
        owner = ensure_verified_user(OWNER_EMAIL, password, contact_name="Bench Owner")

        name = f"Bench workspace ({members} members)"
        workspace = Workspace.objects.filter(created_by=owner, name=name).first()
        if workspace is None:
            workspace = services.create_workspace(user=owner, name=name, company_name="Bench Co")
        actor = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        existing = set(
            Membership.objects.filter(workspace=workspace).values_list("user__email", flat=True)
        )
        for n in range(1, members):
            email = MEMBER_EMAIL.format(n=n)
            if email in existing:
                continue
            user = User.objects.filter(email=email).first() or User.objects.create_user(email)
            invitation = services.invite_member(
                actor=actor, email=email, role=roles[n % len(roles)]
            )
            services.accept_invitation(user=user, invitation=invitation)

        pending = Invitation.objects.filter(workspace=workspace, status=Invitation.Status.PENDING)
        pending_emails = set(pending.values_list("email", flat=True))
        for n in range(1, PENDING_INVITATIONS + 1):
            email = INVITEE_EMAIL.format(n=n)
            if email not in pending_emails:
                services.invite_member(actor=actor, email=email, role=Role.VIEWER)

    count = Membership.objects.filter(workspace=workspace).count()
    if count != members:
        raise BenchError(f"seeded workspace has {count} members, expected {members}")
    return Seed(
        email=OWNER_EMAIL,
        password=password,
        slug=workspace.slug,
        members=count,
        pending_invitations=pending.count(),
        audit_events=AuditEvent.objects.filter(workspace=workspace).count(),
    )


def count_queries(paths: dict[str, tuple[str, bool]]) -> dict[str, int]:
    """Return the SQL queries one warm GET of each path runs (Django test client, same db)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    owner = User.objects.get(email=OWNER_EMAIL)
    counts = {}
    for name, (path, authenticated) in paths.items():
        client = Client(HTTP_HOST="127.0.0.1")
        if authenticated:
            client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        client.get(path)  # first request: session bookkeeping, caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"{name}: test client got HTTP {response.status_code} for {path}")
        counts[name] = len(ctx.captured_queries)
    return counts


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_server(port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [
        str(gunicorn),
        "prosocial.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--log-level",
        "warning",
    ]
    with log_path.open("wb") as log:
        # A session of its own, so a stuck server can be killed with its workers.
        return subprocess.Popen(
            cmd,
            cwd=BASE_DIR,
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{tail(log_path)}")
        try:
            if requests.get(base + "/bench/bare", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer within {SERVER_START_TIMEOUT_S:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn: SIGTERM (graceful), then SIGKILL to its whole process group."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, or a master that hung
    proc.wait(timeout=SERVER_STOP_TIMEOUT_S)


# --- The client -------------------------------------------------------------------------------


def login(base: str, email: str, password: str) -> requests.Session:
    """Sign in through allauth's form, as a browser does; return the keep-alive session."""
    session = requests.Session()
    url = base + "/accounts/login/"
    page = session.get(url, timeout=REQUEST_TIMEOUT_S)
    token = session.cookies.get("csrftoken")
    if page.status_code != 200 or not token:
        raise BenchError(f"login page: HTTP {page.status_code}, csrftoken cookie {bool(token)}")
    response = session.post(
        url,
        data={"login": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S * 3,  # password hashing is deliberately slow
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise BenchError(
            f"login failed: HTTP {response.status_code}, Location "
            f"{response.headers.get('Location')!r}, session cookie "
            f"{'sessionid' in session.cookies}"
        )
    return session


@dataclass
class Endpoint:
    name: str
    path: str
    authenticated: bool
    check: Callable[[requests.Response], bool]


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def run_phase(
    base: str,
    endpoint: Endpoint,
    sessions: list[requests.Session],
    count: int,
    time_limit_s: float,
) -> Phase:
    """GET ``endpoint`` ``count`` times from one thread per session; stop at the first failure."""
    phase = Phase()
    url = base + endpoint.path
    lock = threading.Lock()
    issued = 0
    stop = threading.Event()
    start_gate = threading.Barrier(len(sessions) + 1)
    deadline = 0.0

    def take() -> bool:
        nonlocal issued
        with lock:
            if issued >= count:
                return False
            issued += 1
            return True

    def fail(message: str) -> None:
        with lock:
            phase.errors.append(message)
        stop.set()

    def worker(session: requests.Session) -> None:
        start_gate.wait()
        while not stop.is_set() and take():
            if time.perf_counter() > deadline:
                fail(f"time limit of {time_limit_s:g} s reached")
                return
            try:
                started = time.perf_counter()
                response = session.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT_S)
                elapsed = time.perf_counter() - started
            except requests.RequestException as exc:
                fail(f"{endpoint.path}: {exc!r}")
                return
            if response.status_code != 200 or not endpoint.check(response):
                fail(
                    f"{endpoint.path}: HTTP {response.status_code} "
                    f"(Location {response.headers.get('Location')!r}): {response.text[:200]!r}"
                )
                return
            phase.latencies.append(elapsed)  # list.append is atomic under the GIL

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + time_limit_s
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=time_limit_s + REQUEST_TIMEOUT_S + 5)
    phase.wall_s = time.perf_counter() - began
    if any(thread.is_alive() for thread in threads):
        stop.set()
        phase.errors.append("client threads did not finish in time")
    return phase


def run_checked_phase(
    base: str, endpoint: Endpoint, sessions: list[requests.Session], count: int, time_limit_s: float
) -> Phase:
    """Run ``run_phase`` and raise ``BenchError`` if any request failed."""
    phase = run_phase(base, endpoint, sessions, count, time_limit_s)
    if phase.errors:
        raise BenchError(
            f"{endpoint.name} aborted after {len(phase.latencies)} requests: "
            f"{phase.errors[0]} ({len(phase.errors)} error(s))"
        )
    return phase


def summarize(phase: Phase) -> dict[str, float]:
    ms = [s * 1000 for s in phase.latencies]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(cuts[94], 3),
        "p99_ms": round(cuts[98], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
        "requests_per_s": round(len(ms) / phase.wall_s, 1),
        "wall_s": round(phase.wall_s, 3),
    }


# --- Report -----------------------------------------------------------------------------------


def environment_report(seed_info: Seed) -> dict[str, Any]:
    import django
    import gunicorn
    from django.conf import settings
    from django.db import connection

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
    pg_version = connection.pg_version
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
            "gunicorn": gunicorn.__version__,
            "requests": requests.__version__,
            "postgresql": f"{pg_version // 10000}.{pg_version % 10000}",
        },
        "server": {
            "settings": SETTINGS_MODULE,
            "debug": settings.DEBUG,
            "cache": settings.CACHES["default"]["BACKEND"],
            "session_engine": settings.SESSION_ENGINE,
        },
        "data": {
            "members": seed_info.members,
            "pending_invitations": seed_info.pending_invitations,
            "audit_events": seed_info.audit_events,
        },
    }


def print_table(results: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'endpoint':<20}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'req/s':>9}{'SQL':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<20}{r['n']:>6}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['mean_ms']:>9.2f}{r['requests_per_s']:>9.1f}{r['queries']:>6}"
        )
    print("(latencies in ms; SQL = queries per request)")


# --- Main -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    db = bench_database()
    if create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    migrate()
    print(f"seeding a workspace with {args.members} members…", flush=True)
    seed_info = seed(args.members)

    endpoints = [
        Endpoint("bare", "/bench/bare", False, lambda r: r.content == b"ok"),
        Endpoint("bare_authenticated", "/bench/bare", True, lambda r: r.content == b"ok"),
        Endpoint(
            "dashboard",
            f"/w/{seed_info.slug}/",
            True,
            lambda r: b'data-testid="member-count"' in r.content,
        ),
        Endpoint(
            "members", f"/w/{seed_info.slug}/members/", True, lambda r: b"</html>" in r.content
        ),
    ]
    queries = count_queries({e.name: (e.path, e.authenticated) for e in endpoints})
    if queries["bare"] != 0:
        raise BenchError(f"the baseline ran {queries['bare']} SQL queries; it must run none")
    report = environment_report(seed_info)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"warning: 1-minute load average is {load:.2f} on {os.cpu_count()} cores; "
            "other work on this machine will make the numbers noisy",
            file=sys.stderr,
        )

    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.db import connections

    connections.close_all()  # the server owns the database from here on

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        print(f"starting gunicorn ({args.workers} sync workers) on {base}…", flush=True)
        proc = start_server(port, args.workers, log_path)
        try:
            wait_until_ready(proc, base, log_path)
            authed = [
                login(base, seed_info.email, seed_info.password) for _ in range(args.concurrency)
            ]
            anonymous = [requests.Session() for _ in range(args.concurrency)]
            page = authed[0].get(base + endpoints[2].path, allow_redirects=False, timeout=10)
            marker = f'data-testid="member-count">{intcomma(seed_info.members)}<'
            if page.status_code != 200 or marker not in page.text:
                raise BenchError(f"dashboard after login: HTTP {page.status_code}, no {marker!r}")

            results: dict[str, dict[str, Any]] = {}
            for endpoint in endpoints:
                sessions = authed if endpoint.authenticated else anonymous
                timed = args.members_page_requests if endpoint.name == "members" else args.requests
                for label, count in (("warm-up", min(args.warmup, timed)), ("timed", timed)):
                    print(f"{endpoint.name}: {label} {count} requests…", flush=True)
                    phase = run_checked_phase(base, endpoint, sessions, count, args.time_limit)
                results[endpoint.name] = {
                    "path": endpoint.path.replace(seed_info.slug, "<slug>"),
                    "authenticated": endpoint.authenticated,
                    "queries": queries[endpoint.name],
                    **summarize(phase),
                }
        except BaseException:
            if log_text := tail(log_path):
                print(f"--- gunicorn log (tail) ---\n{log_text}", file=sys.stderr)
            raise
        finally:
            stop_server(proc)

    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    def ratio(a: str, b: str, stat: str) -> float:
        return round(results[a][stat] / results[b][stat], 2)

    return {
        "benchmark": "dashboard_latency",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "params": {
            "requests": args.requests,
            "members_page_requests": args.members_page_requests,
            "concurrency": args.concurrency,
            "members": args.members,
            "warmup": args.warmup,
            "workers": args.workers,
            "worker_class": "sync",
            "time_limit_s": args.time_limit,
        },
        "endpoints": results,
        "ratios": {
            "dashboard_p50_over_bare_p50": ratio("dashboard", "bare", "p50_ms"),
            "dashboard_p95_over_bare_p95": ratio("dashboard", "bare", "p95_ms"),
            "dashboard_p50_over_bare_authenticated_p50": ratio(
                "dashboard", "bare_authenticated", "p50_ms"
            ),
            "members_p50_over_bare_p50": ratio("members", "bare", "p50_ms"),
            "members_p95_over_bare_p95": ratio("members", "bare", "p95_ms"),
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Turn SIGTERM into SystemExit so the finally blocks stop gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        result = run(args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print()
    print_table(result["endpoints"])
    ratios = result["ratios"]
    print(
        f"dashboard / bare: p50 x{ratios['dashboard_p50_over_bare_p50']}, "
        f"p95 x{ratios['dashboard_p95_over_bare_p95']}"
    )
    print(
        f"members / bare:   p50 x{ratios['members_p50_over_bare_p50']}, "
        f"p95 x{ratios['members_p95_over_bare_p95']}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
