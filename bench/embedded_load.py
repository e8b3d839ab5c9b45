"""The embedded default under load: 20 users on the pages while an upload and a transcode run.

Runs the product as ``make run`` does on a bare machine (``manage.py devstack``: Django's
threaded ``runserver``, a Celery worker with concurrency 2 on every queue, beat and the Meta
sandbox), with no ``DATABASE_URL`` and no ``REDIS_URL``: SQLite in WAL mode, the file cache
and kombu's filesystem broker, all in a fresh temporary var dir (``PROSOCIAL_VAR_DIR``), so
the repository's ``var/`` is never read or written. ``--server gunicorn`` runs the same
worker and beat with gunicorn (sync workers) in place of ``runserver``; ``--sqlite
django-defaults`` runs on Django's own SQLite defaults (``bench/settings_sqlite_defaults.py``)
to show what the product's settings are for.

Seeds, through the product's services: an owner and ``--clients - 1`` members who join by
invitation (admins, editors and viewers), ``--images`` photos and ``--videos`` short videos
uploaded with ``upload_media``. Then, for ``--duration`` seconds at least:

- ``--clients`` threads, each signed in as its own user through allauth's real login form
  (together at the start of the window, at most 6 in flight: the session writes overlap the
  load), GET the dashboard, the media library and a video's detail page in turn, as fast as
  they are answered; every ``--relogin-every``-th request, one client per role signs out and
  in again (a session delete, an insert, ``last_login``, a user-session row);
- an editor uploads a ``--upload-mb`` MB video (made with ffmpeg) through the real upload
  view, waits for its decode check on the worker, and uploads it again;
- another editor asks for an Instagram Reel copy of a seeded video through the media page's
  transcode form, and polls the copy's status as the page does (htmx, every 2 s) while the
  worker transcodes it and writes its progress; then the next copy.

Uploads and copies start again until ``--duration`` has passed; the window lasts until the last
one is done (each may take ``--job-timeout`` s). Then the processes are stopped and their output grepped.

Counts responses by status per page, latency p50/p95 per page, ``database is locked`` and
other ``OperationalError``s and tracebacks in the server and worker output, and the jobs'
outcomes. Exits 1, loudly, on any 5xx, any unexpected answer or connection error, any
``database is locked``, or a job that did not finish; otherwise writes
``bench/results/embedded_load.json`` (with the SQLite settings in effect, machine load, git
commit, versions). Run from the repository root (no server needed)::

    .venv/bin/python -m bench.embedded_load [--duration 60] [--clients 20] [--upload-mb 40]
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import dashboard_latency as dl
from bench import upload_memory

BASE_DIR = dl.BASE_DIR
RESULTS_PATH = BASE_DIR / "bench" / "results" / "embedded_load.json"
SETTINGS_MODULE = "prosocial.settings"
# --sqlite: the product's SQLite settings, or Django's defaults (to show what they are for).
SQLITE_SETTINGS = {
    "product": "prosocial.settings",
    "django-defaults": "bench.settings_sqlite_defaults",
}
# What makes a run the embedded default: none of these may reach the processes.
NOT_EMBEDDED = (
    "DATABASE_URL",
    "REDIS_URL",
    "META_APP_ID",
    "EMAIL_HOST",
    "AWS_STORAGE_BUCKET_NAME",
    "OPENAI_API_KEY",
    "DJANGO_SETTINGS_MODULE",
)
OWNER_EMAIL = "load-owner@bench.example.com"
MEMBER_EMAIL = "load-{role}-{n:02d}@bench.example.com"
PAGES = ("dashboard", "media", "media_detail")
OTHER_ANSWERS = (
    "login_form",
    "login",
    "logout",
    "upload",
    "transcode_request",
    "transcode_poll",
)
# The copies asked for, in turn (each seeded 16:9 video, then the next placement).
TRANSCODES = (
    ("ig_reel", "blur"),
    ("ig_story_video", "crop"),
    ("ig_feed_video", "blur"),
    ("fb_reel", "crop"),
    ("ig_reel", "crop"),
    ("ig_story_video", "blur"),
)
POLL_SECONDS = 2.0  # the detail page's hx-trigger
REQUEST_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
LOCKED = "database is locked"
# allauth's "login_failed" limit (10/m/ip, prosocial/settings.py) counts an attempt from
# before the password is checked until it succeeds, and every client here is 127.0.0.1: the
# 11th login in flight at once is refused ("too many login attempts"), so at most this many
# are sent at a time. (20 real users come from more than one address.)
LOGIN_SLOTS = threading.BoundedSemaphore(6)


class BenchError(RuntimeError):
    """The benchmark cannot produce a trustworthy result; the message says why."""


def positive_int(raw: str) -> int:
    return dl.positive_int(raw)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.embedded_load",
        description="The embedded default (SQLite, filesystem broker) under concurrent load.",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of page load")
    parser.add_argument("--clients", type=positive_int, default=20, help="signed-in users")
    parser.add_argument("--images", type=int, default=40, help="photos seeded")
    parser.add_argument("--videos", type=positive_int, default=2, help="short videos seeded")
    parser.add_argument("--upload-mb", type=positive_int, default=40, help="uploaded video, MB")
    parser.add_argument(
        "--relogin-every",
        type=positive_int,
        default=40,
        help="one client per role signs out and in again every N of its requests",
    )
    parser.add_argument(
        "--server",
        choices=("devstack", "gunicorn"),
        default="devstack",
        help="devstack: what `make run` starts (runserver); gunicorn: sync workers instead",
    )
    parser.add_argument("--gunicorn-workers", type=positive_int, default=3)
    parser.add_argument(
        "--sqlite",
        choices=tuple(SQLITE_SETTINGS),
        default="product",
        help="django-defaults: no WAL, DEFERRED, 5 s timeout (bench/settings_sqlite_defaults.py); "
        "its JSON is written even when the run fails",
    )
    parser.add_argument(
        "--job-timeout", type=float, default=600.0, help="seconds the jobs may take in all"
    )
    parser.add_argument(
        "--keep-var",
        action="store_true",
        help="keep the temporary var dir, logs included (kept anyway when the run fails)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- The embedded default in a temporary var dir --------------------------------------------


def embedded_env(var_dir: Path, base: str, sandbox_port: int, module: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_EMBEDDED}
    return env | {
        "DJANGO_SETTINGS_MODULE": module,
        "PROSOCIAL_VAR_DIR": str(var_dir),
        "META_SANDBOX_PORT": str(sandbox_port),
        "PUBLIC_BASE_URL": base,
    }


def setup_django(env: dict[str, str], var_dir: Path) -> None:
    """Configure this process exactly as the servers will be, then refuse anything else."""
    for name in NOT_EMBEDDED:
        if name in os.environ and name != "DJANGO_SETTINGS_MODULE":
            print(f"note: ignoring {name}: this bench runs the embedded default", flush=True)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    db = settings.DATABASES["default"]
    inside = Path(db["NAME"]).resolve().is_relative_to(var_dir.resolve())
    checks = {
        "the database is SQLite": db["ENGINE"] == "django.db.backends.sqlite3",
        f"the SQLite file is under {var_dir}": inside,
        "the broker is kombu's filesystem transport": settings.CELERY_BROKER_URL == "filesystem://",
        "the cache is the file cache": "FileBasedCache" in settings.CACHES["default"]["BACKEND"],
        f"media is under {var_dir}": Path(settings.MEDIA_ROOT)
        .resolve()
        .is_relative_to(var_dir.resolve()),
        "Meta is the local sandbox": settings.META_USES_SANDBOX,
    }
    if failed := [what for what, ok in checks.items() if not ok]:
        raise BenchError("not the embedded default in a temporary var dir: " + "; ".join(failed))


def sqlite_settings() -> dict[str, Any]:
    """Return the SQLite settings and what a fresh Django connection actually runs with."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        pragmas = {}
        for name in ("journal_mode", "synchronous", "busy_timeout"):
            cursor.execute(f"PRAGMA {name}")
            pragmas[name] = cursor.fetchone()[0]
    return {
        "options": settings.DATABASES["default"]["OPTIONS"],
        "in_effect": {
            **pragmas,
            "synchronous_name": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                pragmas["synchronous"]
            ),
            "transaction_mode": getattr(connection, "transaction_mode", None),
        },
        "sqlite_version": sqlite3.sqlite_version,
    }


# --- Seed -------------------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    password: str
    role: str


@dataclass
class SeedInfo:
    slug: str
    accounts: list[Account]
    video_pks: list[int]
    media: int


def ffmpeg() -> str:
    from imageio_ffmpeg import get_ffmpeg_exe

    return str(get_ffmpeg_exe())


def make_video(path: Path, *, seconds: int, size: str, mb: float) -> Path:
    """A real H.264/AAC MP4 of about ``mb`` MB made by ffmpeg (noisy frames, so x264 spends
    the whole bitrate)."""
    kbps = int(mb * 8 * 1024 / seconds)
    cmd = [ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}"]
    cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-vf", "noise=alls=40:allf=t", "-c:v", "libx264", "-preset", "ultrafast"]
    cmd += ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 2}k"]
    cmd += ["-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest"]
    cmd += ["-movflags", "+faststart", str(path)]
    subprocess.run(cmd, check=True, timeout=600)
    return path


def make_image(n: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1080, 1350), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1350, 30):
        draw.line([(0, i), (1080, (i * 7 + n * 13) % 1350)], fill=(255 - i % 256, 90, i % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(clients: int, images: int, videos: int, work: Path) -> SeedInfo:
    """An owner, ``clients - 1`` members by invitation, and media uploaded as users do."""
    from allauth.account.models import EmailAddress
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts import services
    from accounts.models import Membership, User
    from accounts.permissions import Role
    from creatives.library import services as media

    roles = [Role.ADMIN, Role.EDITOR, Role.EDITOR, Role.VIEWER]
    accounts = [Account(OWNER_EMAIL, secrets.token_urlsafe(18), Role.OWNER)]
    with dl.mail_to_memory():
        owner = User.objects.create_user(OWNER_EMAIL, accounts[0].password, contact_name="Owner")
        workspace = services.create_workspace(user=owner, name="Load", company_name="Load Co")
        actor = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        for n in range(1, clients):
            role = roles[n % len(roles)]
            account = Account(MEMBER_EMAIL.format(role=role, n=n), secrets.token_urlsafe(18), role)
            user = User.objects.create_user(account.email, account.password)
            invitation = services.invite_member(actor=actor, email=account.email, role=role)
            services.accept_invitation(user=user, invitation=invitation)
            accounts.append(account)
    for account in accounts:
        user = User.objects.get(email=account.email)
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
    for n in range(images):
        upload = SimpleUploadedFile(f"load-{n:03d}.jpg", make_image(n), "image/jpeg")
        media.upload_media(actor=actor, uploaded=upload)
    video_pks = []
    for n in range(videos):
        path = make_video(work / f"seed-{n}.mp4", seconds=12, size="1280x720", mb=3)
        upload = SimpleUploadedFile(f"load-clip-{n}.mp4", path.read_bytes(), "video/mp4")
        video_pks.append(media.upload_media(actor=actor, uploaded=upload).pk)
        path.unlink()
    from creatives.library.models import MediaAsset

    return SeedInfo(
        slug=workspace.slug,
        accounts=accounts,
        video_pks=video_pks,
        media=MediaAsset.objects.filter(workspace=workspace).count(),
    )


# --- The processes ----------------------------------------------------------------------------


@dataclass
class Stack:
    """The product's processes, each in a session of its own, output to files."""

    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.logs[name] = log
        with log.open("wb") as out:
            self.processes[name] = subprocess.Popen(
                cmd,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise BenchError(
                    f"{name} exited with {proc.returncode}:\n{dl.tail(self.logs[name])}"
                )

    def stop(self) -> None:
        """SIGTERM each (devstack then stops its children), then SIGKILL what is left."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.processes.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)


def start_stack(args: argparse.Namespace, env: dict[str, str], port: int, logs: Path) -> Stack:
    from prosocial.jobs import QUEUES

    stack = Stack()
    if args.server == "devstack":
        # Exactly `make run`, without autoreload (an edit elsewhere in the checkout would
        # restart the server mid-run).
        cmd = [sys.executable, "manage.py", "devstack", "--port", str(port), "--no-reload"]
        stack.start("devstack", cmd, env, logs / "devstack.log")
        return stack
    from django.conf import settings

    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    web = [gunicorn, "prosocial.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    web += ["--workers", str(args.gunicorn_workers), "--worker-class", "sync"]
    web += ["--timeout", "120", "--access-logfile", "-", "--log-level", "warning"]
    # devstack's worker and beat commands.
    celery = [sys.executable, "-m", "celery", "-A", "prosocial"]
    worker = [*celery, "worker", "-Q", ",".join(QUEUES), "--concurrency", "2"]
    worker += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    beat = [*celery, "beat", "--loglevel", "INFO"]
    beat += ["--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
    stack.start("web", web, env, logs / "web.log")
    stack.start("worker", worker, env, logs / "worker.log")
    stack.start("beat", beat, env, logs / "beat.log")
    return stack


def wait_until_serving(stack: Stack, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        stack.check_alive()
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise BenchError(f"the server did not answer /healthz within {START_TIMEOUT_S:.0f} s")


def wait_for_decode_checks(pks: list[int], stack: Stack, timeout: float) -> None:
    """Wait until the worker has run the seeded videos' decode checks (before the window)."""
    from creatives.library.models import MediaAsset

    deadline = time.monotonic() + timeout
    while MediaAsset.objects.filter(pk__in=pks, next_attempt_at__isnull=False).exists():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"the seeded videos' decode checks did not finish in {timeout:g} s")
        time.sleep(0.5)


# --- The load -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every answer of the window, by page: statuses, latencies, what went wrong."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, page: str, status: int, seconds: float, problem: str = "") -> None:
        with self.lock:
            self.statuses.setdefault(page, Counter())[status] += 1
            if status < 400 and not problem:
                self.latencies.setdefault(page, []).append(seconds)
            if problem:
                self.problems.append(f"{page}: {problem}")

    def failed(self, page: str, problem: str) -> None:
        self.record(page, 0, 0.0, problem)


def timed(
    tally: Tally, page: str, call: Any, ok: Any = None, expect: int = 200
) -> requests.Response | None:
    started = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as exc:
        tally.failed(page, repr(exc))
        return None
    elapsed = time.perf_counter() - started
    problem = ""
    if response.status_code != expect:
        where = response.headers.get("Location")
        problem = f"HTTP {response.status_code} (Location {where!r}): {response.text[:200]!r}"
    elif ok is not None and not ok(response):
        problem = f"HTTP {response.status_code} without the expected content"
    tally.record(page, response.status_code, elapsed, problem)
    return response


class LoginFailed(Exception):
    """A sign-in did not end with a session; the tally says how."""


def login(base: str, account: Account, tally: Tally) -> requests.Session:
    """Sign in through allauth's form, as a browser does (GET for the CSRF cookie, POST), each
    answer counted: ``login_form`` and ``login`` (timed without the wait for a slot)."""
    session = requests.Session()
    url = base + "/accounts/login/"
    with LOGIN_SLOTS:
        page = timed(
            tally,
            "login_form",
            lambda: session.get(url, timeout=REQUEST_TIMEOUT_S),
            lambda r: bool(session.cookies.get("csrftoken")),
        )
        if page is None or page.status_code != 200 or not session.cookies.get("csrftoken"):
            raise LoginFailed(f"{account.email}: the login form did not load")
        data = {
            "login": account.email,
            "password": account.password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        }
        response = timed(
            tally,
            "login",
            lambda: session.post(
                url,
                data=data,
                headers={"Referer": url},
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT_S * 3,  # password hashing is deliberately slow
            ),
            lambda r: "sessionid" in session.cookies,
            expect=302,
        )
    if response is None or response.status_code != 302 or "sessionid" not in session.cookies:
        raise LoginFailed(f"{account.email}: signing in failed")
    return session


def logout(base: str, session: requests.Session, tally: Tally) -> None:
    url = base + "/accounts/logout/"
    data = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
    timed(
        tally,
        "logout",
        lambda: session.post(
            url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=30
        ),
        expect=302,
    )


def page_client(
    base: str,
    account: Account,
    paths: dict[str, tuple[str, bytes]],
    offset: int,
    relogin_every: int | None,
    tally: Tally,
    stop: threading.Event,
    started: threading.Barrier,
) -> None:
    started.wait()
    try:
        session = login(base, account, tally)
    except LoginFailed:
        return
    n = offset
    while not stop.is_set():
        page = PAGES[n % len(PAGES)]
        path, marker = paths[page]
        timed(
            tally,
            page,
            lambda s=session, url=base + path: s.get(
                url, allow_redirects=False, timeout=REQUEST_TIMEOUT_S
            ),
            lambda r, m=marker: m in r.content,
        )
        n += 1
        if relogin_every and (n - offset) % relogin_every == 0 and not stop.is_set():
            logout(base, session, tally)
            try:
                session = login(base, account, tally)
            except LoginFailed:
                return


@dataclass
class JobReport:
    """One kind of job the window kept running: every run's timings and outcome."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def wait_for_decode_check(pk: int, deadline: float) -> dict[str, Any]:
    """Poll the row (a reader more on the file) until the worker's decode check is done."""
    from creatives.library.models import MediaAsset

    while time.monotonic() < deadline:
        asset = MediaAsset.objects.get(pk=pk)
        if asset.next_attempt_at is None:
            return {"status": asset.status, "error": asset.error}
        time.sleep(0.25)
    raise BenchError(f"the decode check of upload {pk} was not done in time")


def uploader(
    base: str,
    account: Account,
    slug: str,
    sample: Path,
    tally: Tally,
    t0: float,
    until: float,
    timeout: float,
    report: JobReport,
) -> None:
    """Upload ``sample`` through the real upload view, as the library's uploader does; wait
    for its decode check on the worker; again, until ``until`` s into the window."""
    try:
        session = login(base, account, tally)
        path = f"/w/{slug}/media/upload/"
        headers = {
            "Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies),
            "X-CSRFToken": session.cookies["csrftoken"],
            "Referer": base + f"/w/{slug}/media/",
            "Accept": "application/json",
        }
        port = int(base.rsplit(":", 1)[1])
        while not report.runs or time.perf_counter() - t0 < until:
            run: dict[str, Any] = {"started_at_s": round(time.perf_counter() - t0, 1)}
            report.runs.append(run)
            status, body, seconds = upload_memory.post_file(port, path, sample, headers)
            problem = "" if status == 201 else f"HTTP {status}: {body[:300]!r}"
            tally.record("upload", status, seconds, problem)
            if problem:
                raise BenchError(problem)
            run["asset_pk"] = json.loads(body)["files"][0]["id"]
            run["http_seconds"] = round(seconds, 2)
            run["decode_check"] = wait_for_decode_check(run["asset_pk"], time.monotonic() + timeout)
            run["checked_at_s"] = round(time.perf_counter() - t0, 1)
    except Exception as exc:
        report.error = f"upload: {exc!r}"
        tally.failed("upload", report.error)
    finally:
        from django.db import connection

        connection.close()  # this thread's
        report.done.set()


def transcoder(
    base: str,
    account: Account,
    slug: str,
    sources: list[int],
    tally: Tally,
    t0: float,
    until: float,
    timeout: float,
    report: JobReport,
) -> None:
    """Ask for a copy through the media page's transcode form, poll it as the page does
    (htmx, every 2 s) until the worker is done; again for the next placement, until
    ``until`` s into the window."""
    try:
        session = login(base, account, tally)
        asks = [(src, key, fill) for key, fill in TRANSCODES for src in sources]
        for source_pk, placement, fill in asks:
            if report.runs and time.perf_counter() - t0 >= until:
                break
            run: dict[str, Any] = {"placement": placement, "fill": fill}
            report.runs.append(run)
            detail = f"{base}/w/{slug}/media/{source_pk}/"
            page = session.get(detail, timeout=REQUEST_TIMEOUT_S)
            if page.status_code != 200:
                raise BenchError(f"source detail page: HTTP {page.status_code}")
            run["started_at_s"] = round(time.perf_counter() - t0, 1)
            data = {
                "placement": placement,
                "fill": fill,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            }
            response = timed(
                tally,
                "transcode_request",
                lambda d=detail, data=data: session.post(
                    d + "transcode/",
                    data=data,
                    headers={"Referer": d},
                    allow_redirects=False,
                    timeout=REQUEST_TIMEOUT_S,
                ),
                expect=302,
            )
            if response is None or response.status_code != 302:
                raise BenchError(f"the transcode form was not accepted ({placement}, {fill})")
            location = response.headers["Location"]
            match = re.search(r"/media/(\d+)/$", location)
            if not match:
                raise BenchError(f"the transcode form redirected to {location!r}")
            run["rendition_pk"] = int(match.group(1))
            url = f"{base}/w/{slug}/media/{run['rendition_pk']}/"
            deadline = time.monotonic() + timeout
            run["polls"] = 0
            while True:
                if time.monotonic() > deadline:
                    raise BenchError(f"a transcode was still processing after {timeout:g} s")
                time.sleep(POLL_SECONDS)
                polled = timed(
                    tally,
                    "transcode_poll",
                    lambda u=url: session.get(
                        u,
                        headers={"HX-Request": "true", "HX-Current-URL": u},
                        allow_redirects=False,
                        timeout=REQUEST_TIMEOUT_S,
                    ),
                )
                run["polls"] += 1
                if polled is not None and polled.headers.get("HX-Refresh") == "true":
                    break  # the page reloads itself: the job is no longer processing
            run["finished_at_s"] = round(time.perf_counter() - t0, 1)
            final = session.get(url, timeout=REQUEST_TIMEOUT_S)
            status = re.search(r'data-status="(\w+)"', final.text)
            run["page_status"] = status.group(1) if status else None
    except Exception as exc:
        report.error = f"transcode: {exc}"
        tally.failed("transcode_request", report.error)
    finally:
        report.done.set()


def run_window(
    args: argparse.Namespace, base: str, info: SeedInfo, sample: Path, stack: Stack
) -> dict[str, Any]:
    slug = info.slug
    source = info.video_pks[0]
    paths = {
        "dashboard": (f"/w/{slug}/", b'data-testid="member-count"'),
        "media": (f"/w/{slug}/media/", b"load-"),
        "media_detail": (f"/w/{slug}/media/{source}/", b'data-testid="asset-status"'),
    }
    editors = [a for a in info.accounts if a.role == "editor"]
    tally = Tally()
    stop = threading.Event()
    gate = threading.Barrier(args.clients + 1)
    relogging: set[str] = set()
    threads = []
    for i, account in enumerate(info.accounts[: args.clients]):
        relogin = None
        if account.role not in relogging:  # the first client of each role
            relogging.add(account.role)
            relogin = args.relogin_every
        threads.append(
            threading.Thread(
                target=page_client,
                args=(base, account, paths, i, relogin, tally, stop, gate),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    loads = [[round(x, 2) for x in os.getloadavg()]]
    t0 = time.perf_counter()
    gate.wait()  # every client starts signing in (LOGIN_SLOTS at a time): session writes
    time.sleep(2.0)
    upload, transcode = JobReport(), JobReport()
    jobs = [
        threading.Thread(
            target=uploader,
            args=(base, editors[0], slug, sample, tally, t0, args.duration, args.job_timeout),
            kwargs={"report": upload},
            daemon=True,
        ),
        threading.Thread(
            target=transcoder,
            args=(base, editors[1], slug, info.video_pks, tally, t0, args.duration),
            kwargs={"timeout": args.job_timeout, "report": transcode},
            daemon=True,
        ),
    ]
    for thread in jobs:
        thread.start()
    # The pages keep being hit until the jobs' last runs are done.
    while not (upload.done.is_set() and transcode.done.is_set()):
        stack.check_alive()
        pending = transcode if upload.done.is_set() else upload
        pending.done.wait(timeout=10)
        loads.append([round(x, 2) for x in os.getloadavg()])
    stop.set()
    window_s = time.perf_counter() - t0
    for thread in threads + jobs:
        thread.join(timeout=REQUEST_TIMEOUT_S + 5)
    loads.append([round(x, 2) for x in os.getloadavg()])
    return {
        "tally": tally,
        "window_s": window_s,
        "loads": loads,
        "upload": upload,
        "transcode": transcode,
    }


# --- Checks and report -----------------------------------------------------------------------


def check_jobs(window: dict[str, Any], sample: Path) -> dict[str, Any]:
    """Check every job against the database: stored bytes, decode checks, renditions."""
    from creatives.library.models import MediaAsset

    upload, transcode = window["upload"], window["transcode"]
    size, sha = sample.stat().st_size, upload_memory._sha256_of(sample)
    uploads = []
    for run in upload.runs:
        if "asset_pk" in run:
            asset = MediaAsset.objects.get(pk=run["asset_pk"])
            run["stored"] = (asset.status, asset.size_bytes, asset.sha256) == ("ready", size, sha)
            run["checked"] = run.get("decode_check") == {"status": "ready", "error": ""}
        uploads.append(run)
    transcodes = []
    for run in transcode.runs:
        if "rendition_pk" in run:
            rendition = MediaAsset.objects.get(pk=run["rendition_pk"])
            run.update(
                status=rendition.status,
                attempts=rendition.attempts,
                error=rendition.error,
                size=f"{rendition.width}x{rendition.height}",
                done=rendition.status == "ready" and bool(rendition.storage_key),
            )
            if "finished_at_s" in run:
                run["seconds"] = round(run["finished_at_s"] - run["started_at_s"], 1)
        transcodes.append(run)
    return {
        "uploads": uploads,
        "uploads_stored_and_checked": sum(
            bool(r.get("stored") and r.get("checked")) for r in uploads
        ),
        "upload_error": upload.error,
        "transcodes": transcodes,
        "transcodes_done": sum(bool(r.get("done")) for r in transcodes),
        "transcode_error": transcode.error,
    }


ACCESS_LINE = re.compile(r'"(GET|POST|HEAD) (\S+) HTTP/1\.[01]" (\d{3})')


def grep_logs(logs: dict[str, Path]) -> dict[str, Any]:
    """Count what the servers and workers said: locked databases, errors, 5xx answered."""
    found: dict[str, Any] = {
        "database_is_locked": 0,
        "operational_errors": 0,
        "tracebacks": 0,
        "server_5xx": 0,
        "examples": [],
        "files": sorted(logs),
    }
    for name, path in logs.items():
        for line in path.read_text(errors="replace").splitlines():
            low = line.lower()
            hit = ""
            if LOCKED in low:
                found["database_is_locked"] += 1
                hit = "locked"
            if "operationalerror" in low:
                found["operational_errors"] += 1
                hit = "operational"
            if line.startswith("Traceback"):
                found["tracebacks"] += 1
                hit = "traceback"
            if (m := ACCESS_LINE.search(line)) and m.group(3).startswith("5"):
                found["server_5xx"] += 1
                hit = "5xx"
            if hit and len(found["examples"]) < 10:
                found["examples"].append(f"{name}: {line[:300]}")
    return found


def percentiles(latencies: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in latencies)
    if len(ms) < 2:
        return {"n": len(ms)}
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(ms[-1], 1),
    }


def environment(args: argparse.Namespace, var_dir: Path) -> dict[str, Any]:
    from importlib.metadata import version

    import django
    from django.conf import settings

    def git(*cmd: str) -> str:
        with contextlib.suppress(OSError):
            out = subprocess.run(
                ["git", *cmd], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
            )
            return out.stdout.strip()
        return ""

    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    fs = subprocess.run(
        ["df", "--output=fstype", str(var_dir)], capture_output=True, text=True, check=False
    ).stdout.split()
    ffmpeg_version = subprocess.run(
        [ffmpeg(), "-version"], capture_output=True, text=True, check=False
    ).stdout.split("\n", 1)[0]
    return {
        "git": {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model,
            "platform": platform.platform(),
            "var_dir_filesystem": fs[-1] if fs else "",
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "celery": version("celery"),
            "kombu": version("kombu"),
            "gunicorn": version("gunicorn"),
            "sqlite": sqlite3.sqlite_version,
            "ffmpeg": ffmpeg_version,
        },
        "server": {
            "processes": (
                "manage.py devstack --no-reload: runserver (threaded), celery worker "
                "(prefork, concurrency 2, every queue), beat, Meta sandbox"
                if args.server == "devstack"
                else f"gunicorn ({args.gunicorn_workers} sync workers), celery worker "
                "(prefork, concurrency 2, every queue), beat"
            ),
            "debug": settings.DEBUG,
            "cache": settings.CACHES["default"]["BACKEND"],
            "broker": settings.CELERY_BROKER_URL,
            "session_engine": settings.SESSION_ENGINE,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    var_dir, logs, work = tmp / "var", tmp / "logs", tmp / "work"
    for folder in (logs, work):
        folder.mkdir()
    port, sandbox_port = dl.free_port(), dl.free_port()
    base = f"http://127.0.0.1:{port}"
    env = embedded_env(var_dir, base, sandbox_port, SQLITE_SETTINGS[args.sqlite])
    stack: Stack | None = None
    try:
        setup_django(env, var_dir)
        from django.core.management import call_command
        from django.db import connections

        print(f"var dir {var_dir}; migrating…", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        if args.sqlite == "django-defaults":
            # WAL is a property of the file, set by whoever opened it first: undo it.
            connections.close_all()
            with contextlib.closing(sqlite3.connect(var_dir / "prosocial.sqlite3")) as db:
                db.execute("PRAGMA journal_mode=DELETE")
        sqlite = sqlite_settings()
        print(f"SQLite in effect: {sqlite['in_effect']}", flush=True)
        print(
            f"seeding {args.clients} users, {args.images} photos, {args.videos} videos…",
            flush=True,
        )
        info = seed(args.clients, args.images, args.videos, work)
        if len(info.accounts) < args.clients or sum(a.role == "editor" for a in info.accounts) < 2:
            raise BenchError("--clients must be at least 3 (two editors are needed)")
        print(f"making a {args.upload_mb} MB video to upload…", flush=True)
        sample = make_video(work / "upload.mp4", seconds=30, size="1280x720", mb=args.upload_mb)
        report = environment(args, var_dir)
        connections.close_all()

        print(f"starting the product ({args.server}) on {base}…", flush=True)
        stack = start_stack(args, env, port, logs)
        wait_until_serving(stack, base)
        wait_for_decode_checks(info.video_pks, stack, args.job_timeout)
        load = os.getloadavg()[0]
        if load > (os.cpu_count() or 1) / 2:
            print(
                f"warning: 1-minute load average is {load:.2f} on {os.cpu_count()} cores; "
                "other work on this machine will slow the pages down",
                file=sys.stderr,
            )
        print(
            f"load: {args.clients} clients for {args.duration:g} s at least, "
            "an upload and a transcode…",
            flush=True,
        )
        window = run_window(args, base, info, sample, stack)
        jobs = check_jobs(window, sample)
        connections.close_all()
        db_path = var_dir / "prosocial.sqlite3"
        wal = db_path.with_name(db_path.name + "-wal")
        sizes = {"db_mb": round(db_path.stat().st_size / 2**20, 1)}
        sizes["wal_mb"] = round(wal.stat().st_size / 2**20, 1) if wal.exists() else 0.0
    except BaseException:
        print(f"kept {tmp} (the processes' output is in logs/)", file=sys.stderr)
        raise
    finally:
        if stack is not None:
            stack.stop()
    found = grep_logs(stack.logs)
    tally: Tally = window["tally"]
    pages = {
        page: {
            "statuses": dict(sorted(tally.statuses.get(page, Counter()).items())),
            **percentiles(tally.latencies.get(page, [])),
        }
        for page in (*PAGES, *OTHER_ANSWERS)
    }
    all_statuses: Counter[int] = Counter()
    for counter in tally.statuses.values():
        all_statuses.update(counter)
    client_5xx = sum(n for status, n in all_statuses.items() if status >= 500)
    failures = []
    if client_5xx or found["server_5xx"]:
        failures.append(f"{client_5xx} 5xx answers ({found['server_5xx']} in the server log)")
    if found["database_is_locked"]:
        failures.append(f"'{LOCKED}' {found['database_is_locked']} times in the logs")
    if found["operational_errors"]:
        failures.append(f"{found['operational_errors']} OperationalErrors in the logs")
    if tally.problems:
        failures.append(f"{len(tally.problems)} unexpected answers: {tally.problems[:3]}")
    if jobs["upload_error"] or jobs["uploads_stored_and_checked"] != len(jobs["uploads"]):
        failures.append(f"not every upload was stored and checked: {jobs['upload_error']}")
    if jobs["transcode_error"] or jobs["transcodes_done"] != len(jobs["transcodes"]):
        failures.append(f"not every transcode was done: {jobs['transcode_error']}")
    page_requests = sum(sum(tally.statuses.get(p, Counter()).values()) for p in PAGES)
    upload_mb = round(sample.stat().st_size / 2**20, 1)
    if args.sqlite != "product" and args.output == RESULTS_PATH:
        args.output = RESULTS_PATH.with_name(f"embedded_load_{args.sqlite.replace('-', '_')}.json")
    if args.keep_var or failures:
        print(f"kept {tmp} (the processes' output is in logs/)", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    report["machine"]["loadavg_at_end"] = window["loads"][-1]
    report["machine"]["loadavg_every_10s"] = window["loads"]
    return {
        "benchmark": "embedded_load",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report,
        "sqlite": sqlite,
        "params": {
            "server": args.server,
            "sqlite": args.sqlite,
            "clients": args.clients,
            "duration_s": args.duration,
            "relogin_every": args.relogin_every,
            "upload_mb": upload_mb,
            "images": args.images,
            "videos": args.videos,
        },
        "data": {
            "members": len(info.accounts),
            "roles": dict(Counter(str(a.role) for a in info.accounts[: args.clients])),
            "media_seeded": info.media,
        },
        "window_s": round(window["window_s"], 1),
        "page_requests": page_requests,
        "page_requests_per_s": round(page_requests / window["window_s"], 1),
        "responses_by_status": dict(sorted(all_statuses.items())),
        "pages": pages,
        "jobs": jobs,
        "logs": found,
        "database_files_at_end": sizes,
        "failures": failures,
        "meets_target": not failures,
    }


def print_summary(result: dict[str, Any]) -> None:
    print()
    print(f"{'page':<20}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statuses")
    for page, r in result["pages"].items():
        if not r["statuses"]:
            continue
        print(
            f"{page:<20}{r.get('n', 0):>7}{r.get('p50_ms', 0):>9.1f}{r.get('p95_ms', 0):>9.1f}"
            f"{r.get('max_ms', 0):>9.1f}  {r['statuses']}"
        )
    print(
        f"window {result['window_s']} s, {result['page_requests']} page requests "
        f"({result['page_requests_per_s']}/s); load {result['machine']['loadavg_every_10s']}"
    )
    print(f"jobs: {json.dumps(result['jobs'])}")
    logs = result["logs"]
    print(
        f"logs: '{LOCKED}' {logs['database_is_locked']}, OperationalError "
        f"{logs['operational_errors']}, tracebacks {logs['tracebacks']}, 5xx {logs['server_5xx']}"
    )
    for example in logs["examples"]:
        print(f"  {example}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM becomes SystemExit, so the finally blocks stop the processes.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        result = run(args)
    except (BenchError, dl.BenchError) as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print_summary(result)
    if result["failures"] and args.sqlite != "product":
        args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"wrote {args.output} (a run that failed, as expected without the settings)")
    if result["failures"]:
        print("BENCHMARK FAILED:", file=sys.stderr)
        for failure in result["failures"]:
            print(f"  - {failure}", file=sys.stderr)
        if args.sqlite == "product":
            print("(nothing written)", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"no 5xx, no '{LOCKED}', upload stored and checked, transcode done")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
