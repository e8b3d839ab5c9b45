"""Publishing under fire: worker SIGKILLs and sandbox faults, then count what reached "Meta".

Creates (if missing) and migrates the bench database, starts ``meta_sandbox`` in this process
(Meta processing times 0, IG quota out of the way), serves signed media URLs from gunicorn
with ``bench.settings`` on a free loopback port (the sandbox downloads them, as Meta does),
connects a fresh workspace through the sandbox's OAuth dialog, uploads the sample media and
builds ``--publications`` publications across targets (fb_post text with a link, fb_post
photo, ig_feed image, ig_reel video, ig_carousel of two images, meta_ad image), each with a
unique marker in its title and caption, and runs the full preflight on each.

Then, with ``--workers`` real Celery worker processes (``--pool solo``, the test suite's env,
``PUBLISH_LEASE_SECONDS=--lease``), it publishes them one after another and, until every one is
published or failed (or ``--deadline`` passes), runs three threads at once:

- chaos: every ~``--kill-every`` s (exponential), SIGKILL a random worker, restart it after
  ``--restart-after`` s; the publication it was running (from its log) is recorded;
- faults: keeps up to ``--max-faults`` one-shot sandbox faults armed on the publishing paths:
  5xx, connections dropped before the request is handled, answers dropped *after* the write
  (``after_write``), latency, and throttling with usage headers asking for a short wait;
- sweeper: ``sweep_publications()`` every 0.5-1 s, as beat does (every 15 s in production).

Afterwards it counts, per publication, the sandbox objects of its final kind whose marker
contains the publication's marker (Page posts, Page photos, IG media, ads, and for ads also
creatives, campaigns and ad sets): anything above one is a duplicate. It records published /
failed / lost (not terminal by the deadline), duplicates, recovery after each kill (from the
kill to the affected publication's next recorded event and to published), completion times
(publish → published) and wall time, writes ``bench/results/publish_faults.json`` and exits 1
if there was a duplicate or a lost publication (2 if the run could not be set up). Timing is
not reproducible, but the seed (printed and recorded) fixes the targets and every random
choice of the three threads. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python -m bench.publish_faults [--publications 120] [--workers 3] [--seed N]
"""

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from bench.dashboard_latency import (
    BASE_DIR,
    SETTINGS_MODULE,
    BenchError,
    bench_database,
    create_database_if_missing,
    free_port,
    migrate,
    positive_int,
    server_env,
    setup_django,
    stop_server,
    tail,
    wait_until_ready,
)

RESULTS_PATH = BASE_DIR / "bench" / "results" / "publish_faults.json"
IDENTICAL_RESULTS_PATH = BASE_DIR / "bench" / "results" / "publish_faults_identical.json"
OWNER_EMAIL = "bench-publisher@bench.example.com"
WORKER_START_TIMEOUT_S = 60.0
WORKER_STOP_TIMEOUT_S = 10.0
# Targets of the fault run and their share of the publications.
MIX = {
    "fb_post_text": 2,
    "fb_post_photo": 2,
    "ig_feed": 2,
    "ig_reel": 1,
    "ig_carousel": 1,
    "meta_ad": 2,
}
# ``--identical`` (#14 item 20): every caption the same, and captionless stories, so only the
# one-create-in-flight rule (publishing.locks) keeps a lost answer from being adopted by the
# wrong publication. Owners are told apart by what isn't matched on: a text post's link, an
# Instagram media's container (``identical_owners``).
IDENTICAL_MIX = {"fb_post_text": 1, "ig_feed": 1, "ig_story": 1}
IDENTICAL_CAPTION = "Spring launch, the same words on every post #coffee"
# What each case leaves in the sandbox: the final kind (must be exactly one) and, for ads,
# the objects built on the way, which must not be duplicated either.
FINAL_KIND = {
    "fb_post_text": "page_post",
    "fb_post_photo": "page_photo",
    "ig_feed": "ig_media",
    "ig_reel": "ig_media",
    "ig_carousel": "ig_media",
    "ig_story": "ig_media",
    "meta_ad": "ad",
}
INTERMEDIATE_KINDS = {
    "fb_post_photo": ("page_post",),  # the photo's feed story
    "meta_ad": ("ad_creative", "campaign", "adset"),
}
# The kind of the id a published publication records (a Page photo records its post's id).
REMOTE_KIND = {**FINAL_KIND, "fb_post_photo": "page_post"}
AD_FIELDS = {
    "objective": "OUTCOME_TRAFFIC",
    "budget_type": "daily",
    "budget_minor": 2500,
    "special_ad_categories": ["NONE"],
    "targeting": {"countries": ["US"], "age_min": 21, "age_max": 55},
    "cta_type": "SHOP_NOW",
}
TASK_STARTED = re.compile(r"task publishing\.advance_publication started with \((\d+),\)")
TASK_FINISHED = "task publishing.advance_publication finished"
LOG_TAIL_BYTES = 16 * 1024
# A kill waits this long for its victim to be inside a publish step, polling every 5 ms.
KILL_AIM_S = 2.0
# An armed fault that no request matched within this time is removed, freeing its slot.
FAULT_TTL_S = 5.0


# --- Arguments --------------------------------------------------------------------------------


def positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.publish_faults",
        description="Publish through worker SIGKILLs and sandbox faults; count duplicates.",
    )
    parser.add_argument("--publications", type=positive_int, default=120)
    parser.add_argument("--workers", type=positive_int, default=3, help="Celery worker processes")
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: random)")
    parser.add_argument("--lease", type=positive_int, default=3, help="PUBLISH_LEASE_SECONDS")
    parser.add_argument(
        "--kill-every", type=positive_float, default=3.0, help="mean seconds between SIGKILLs"
    )
    parser.add_argument(
        "--restart-after",
        type=positive_float,
        nargs=2,
        default=(0.5, 2.0),
        metavar=("MIN", "MAX"),
        help="seconds before a killed worker is started again",
    )
    parser.add_argument(
        "--sweep-interval",
        type=positive_float,
        nargs=2,
        default=(0.5, 1.0),
        metavar=("MIN", "MAX"),
        help="seconds between sweep_publications() calls",
    )
    parser.add_argument("--max-faults", type=int, default=6, help="armed faults at a time")
    parser.add_argument(
        "--fault-every", type=positive_float, default=0.2, help="mean seconds between new faults"
    )
    parser.add_argument("--latency-max-ms", type=positive_int, default=800)
    parser.add_argument(
        "--throttle-wait",
        type=positive_float,
        default=1.0,
        help="seconds the throttling faults' usage headers ask to wait",
    )
    parser.add_argument(
        "--publish-interval",
        type=float,
        default=0.25,
        help="seconds between two publish_publication calls",
    )
    parser.add_argument(
        "--deadline",
        type=positive_float,
        default=420.0,
        help="seconds after the last publish before non-terminal publications count as lost",
    )
    parser.add_argument(
        "--identical",
        action="store_true",
        help="identical captions and captionless stories (text posts, IG feed, IG stories)",
    )
    parser.add_argument("--output", type=Path, default=None, help="where to write JSON")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = secrets.randbelow(2**31)
    if args.output is None:
        args.output = IDENTICAL_RESULTS_PATH if args.identical else RESULTS_PATH
    return args


# --- The stage: database, sandbox, media server, a connected workspace, media -----------------


@dataclass
class Stage:
    """Everything a publishing run needs; shared by ``publish_throughput``."""

    tmp: Path
    sandbox: Any
    media_base: str
    media_server: subprocess.Popen[bytes]
    media_log: Path
    owner: Any  # Membership
    accounts: dict[str, Any]
    assets: dict[str, Any]
    run_id: str
    settings_override: Any

    def worker_env(self, lease_seconds: int) -> dict[str, str]:
        """The env tests/conftest.py ``start_worker`` gives a worker, for this stage."""
        from django.conf import settings

        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "prosocial.settings",
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "REDIS_URL": settings.REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            # PROSOCIAL_VAR_DIR moves the media folder; the keys above stay those of var/.
            "PROSOCIAL_VAR_DIR": str(self.tmp),
            "META_GRAPH_URL": self.sandbox.url,
            "META_DIALOG_URL": self.sandbox.url,
            "PUBLIC_BASE_URL": self.media_base,
            "SAFE_HTTP_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PUBLISH_LEASE_SECONDS": str(lease_seconds),
            "LOG_LEVEL": "INFO",
        }


def start_media_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """gunicorn with bench.settings: serves /media/s/<token> (and /terms/ for link checks)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "prosocial.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", "2", "--worker-class", "sync", "--timeout", "60", "--log-level", "warning"]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            cmd,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def make_owner(run_id: str) -> Any:
    """A verified owner and a fresh workspace for this run (earlier runs' rows stay apart)."""
    from allauth.account.models import EmailAddress

    from accounts import services
    from accounts.models import Membership, User

    owner = User.objects.filter(email=OWNER_EMAIL).first()
    if owner is None:
        owner = User.objects.create_user(
            OWNER_EMAIL, secrets.token_urlsafe(24), contact_name="Bench Publisher"
        )
    EmailAddress.objects.update_or_create(
        user=owner, email=OWNER_EMAIL, defaults={"verified": True, "primary": True}
    )
    workspace = services.create_workspace(
        user=owner, name=f"Bench publishing {run_id}", company_name="Bench Co"
    )
    return Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user=owner
    )


def connect_meta(owner: Any, sandbox: Any) -> dict[str, Any]:
    """Connect through the sandbox's OAuth dialog (tests/meta_integration/helpers.py), select all."""
    from django.test import Client
    from django.urls import reverse

    from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
    from meta_integration.scopes import requested_scopes
    from meta_sandbox import seed

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("meta_integration:connect", args=[owner.workspace.slug]))
    if response.status_code != 302:
        raise BenchError(f"connect: HTTP {response.status_code}")
    dialog = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    state = sandbox.state
    state.authorize_user(
        user_id=seed.ALEX_ID,
        scopes=requested_scopes(),
        page_ids=[seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID, seed.PAGE_BAKERY_ID],
        ig_user_ids=[seed.IG_COFFEE_ID, seed.IG_PHOTO_ID],
        ad_account_ids=[seed.ACT_COFFEE_US, seed.ACT_PHOTO_EU, seed.ACT_BAKERY_UK],
    )
    code = state.auth.issue_code(
        user_id=seed.ALEX_ID, client_id=state.app_id, redirect_uri=dialog["redirect_uri"]
    ).code
    response = client.get(
        reverse("meta_integration:oauth_callback"), {"code": code, "state": dialog["state"]}
    )
    if response.status_code != 302:
        raise BenchError(f"OAuth callback: HTTP {response.status_code}: {response.content[:300]!r}")
    workspace = owner.workspace
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=workspace).update(is_selected=True)
    return {
        "page": MetaPage.objects.get(workspace=workspace, page_id=seed.PAGE_COFFEE_ID),
        "instagram_account": InstagramAccount.objects.get(
            workspace=workspace, ig_user_id=seed.IG_COFFEE_ID
        ),
        "ad_account": MetaAdAccount.objects.get(
            workspace=workspace, ad_account_id=seed.ACT_COFFEE_US
        ),
    }


def upload_samples(owner: Any, root: Path) -> dict[str, Any]:
    """Make the sample files (tests/media_samples.py) and upload them through the service."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from creatives.library import services as media_services
    from tests.media_samples import make_image, make_video

    root.mkdir(parents=True, exist_ok=True)
    files = {
        "square.jpg": make_image(root / "square.jpg", width=1080, height=1080),
        "square-2.jpg": make_image(root / "square-2.jpg", width=1080, height=1080),
        "reel.mp4": make_video(root / "reel.mp4", width=540, height=960, seconds=4),
    }
    assets = {}
    for name, path in files.items():
        content_type = "video/mp4" if name.endswith(".mp4") else "image/jpeg"
        uploaded = SimpleUploadedFile(name, path.read_bytes(), content_type=content_type)
        assets[name] = media_services.upload_media(actor=owner, uploaded=uploaded)
    return assets


def cancel_leftovers() -> int:
    """Earlier aborted runs may have left running rows the sweeper would pick up: cancel them."""
    from publishing.models import RUNNING_STATUSES, Publication

    return (
        Publication.objects.filter(status__in=[*RUNNING_STATUSES, Publication.Status.SCHEDULED])
        .filter(workspace__name__startswith="Bench publishing ")
        .update(status=Publication.Status.CANCELLED, next_attempt_at=None, message="bench leftover")
    )


def purge_queues() -> int:
    """Empty the Celery queues in the bench Redis db (tasks of earlier runs or of setup)."""
    from prosocial.celery import app
    from prosocial.jobs import QUEUES

    purged = 0
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            with contextlib.suppress(Exception):  # a queue that was never declared
                purged += channel.queue_purge(queue) or 0
    return purged


@contextlib.contextmanager
def open_stage(*, image_processing_seconds: float = 0) -> Iterator[Stage]:
    """Set everything up; tear the servers down afterwards."""
    setup_django()
    from django.conf import settings
    from django.test.utils import override_settings

    from meta_sandbox.testing import start_server

    db = bench_database()
    # Its queues are purged: never the default db 0 (development's), db 2 by convention, or
    # another explicit one when several people run benches on one machine.
    redis_db = (settings.REDIS_URL or "").rstrip("/").rpartition("/")[2]
    if not redis_db.isdigit() or int(redis_db) == 0:
        raise BenchError("set REDIS_URL=redis://127.0.0.1:6379/2 (the bench Redis db)")
    if create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    migrate()
    left = cancel_leftovers()
    if left:
        print(f"cancelled {left} unfinished publication(s) of earlier bench runs")

    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp_name:
        tmp = Path(tmp_name)
        sandbox = start_server(
            port=0, app_id=settings.META_APP_ID, app_secret=settings.META_APP_SECRET
        )
        sandbox.state.update_settings(
            ig_image_processing_seconds=image_processing_seconds,
            ig_video_processing_seconds=image_processing_seconds,
            video_processing_seconds=image_processing_seconds,
            ig_publish_quota=1_000_000,
        )
        port = free_port()
        media_base = f"http://127.0.0.1:{port}"
        override = override_settings(
            MEDIA_ROOT=tmp / "media",
            META_GRAPH_URL=sandbox.url,
            META_DIALOG_URL=sandbox.url,
            PUBLIC_BASE_URL=media_base,
            # The media server (the product link's host too) is on a free port, as in tests.
            SAFE_HTTP_ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        )
        override.enable()
        media_log = tmp / "gunicorn.log"
        env = {
            **server_env(),
            "PROSOCIAL_VAR_DIR": str(tmp),
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "PUBLIC_BASE_URL": media_base,
            "META_GRAPH_URL": sandbox.url,
            "META_DIALOG_URL": sandbox.url,
        }
        server = start_media_server(env, port, media_log)
        try:
            wait_until_ready(server, media_base, media_log)
            print(f"sandbox on {sandbox.url}, media server on {media_base}", flush=True)
            owner = make_owner(run_id)
            accounts = connect_meta(owner, sandbox)
            print("uploading sample media…", flush=True)
            assets = upload_samples(owner, tmp / "samples")
            yield Stage(
                tmp=tmp,
                sandbox=sandbox,
                media_base=media_base,
                media_server=server,
                media_log=media_log,
                owner=owner,
                accounts=accounts,
                assets=assets,
                run_id=run_id,
                settings_override=override,
            )
        except BaseException:
            if text := tail(media_log):
                print(f"--- gunicorn log (tail) ---\n{text}", file=sys.stderr)
            raise
        finally:
            stop_server(server)
            override.disable()
            sandbox.stop()


def build_publication(stage: Stage, case: str, number: int, *, identical: bool = False) -> Any:
    """Create one publication of ``case`` with a unique marker and run its full preflight.

    With ``identical`` the marker is only in the title (which these targets don't send): the
    caption is the same for all (none for stories), and a text post's link carries the marker.
    """
    from publishing import services
    from publishing.models import Publication

    mark = f"[pb:{stage.run_id}:{number:05d}]"
    target = "fb_post" if case.startswith("fb_post") else case
    assets = {
        "fb_post_text": [],
        "fb_post_photo": ["square.jpg"],
        "ig_feed": ["square.jpg"],
        "ig_reel": ["reel.mp4"],
        "ig_carousel": ["square.jpg", "square-2.jpg"],
        "ig_story": ["reel.mp4"],
        "meta_ad": ["square.jpg"],
    }[case]
    fields: dict[str, Any] = {
        "title": f"Bench {case} {mark}",
        "target": target,
        "caption": f"Spring launch {case} {mark} #coffee",
        **stage.accounts,
    }
    if identical:
        fields["caption"] = "" if case == "ig_story" else IDENTICAL_CAPTION
    if case == "fb_post_text":
        fields["link_url"] = f"{stage.media_base}/terms/"
        if identical:
            fields["link_url"] += f"?pb={stage.run_id}-{number:05d}"
    if case == "meta_ad":
        fields.update(AD_FIELDS, link_url=f"{stage.media_base}/terms/")
    publication = services.create_publication(
        actor=stage.owner, fields=fields, assets=[stage.assets[name] for name in assets]
    )
    services.run_full_preflight(publication_id=publication.pk)
    publication = Publication.objects.get(pk=publication.pk)
    failed = [r["message"] for r in publication.preflight if r["status"] == "fail"]
    if failed:
        raise BenchError(f"preflight of a {case} publication failed: {failed}")
    return publication


# --- Workers ----------------------------------------------------------------------------------


@dataclass
class Worker:
    slot: int
    process: subprocess.Popen[bytes]
    log: Path
    started_at: float


class WorkerPool:
    """``--pool solo`` Celery workers on every queue, like tests/conftest.py ``start_worker``."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        from prosocial.jobs import QUEUES

        self.env = env
        self.log_dir = log_dir
        self.queues = ",".join(QUEUES)
        self.lock = threading.Lock()
        self.workers: dict[int, Worker] = {}
        self.everyone: list[Worker] = []
        self._logs = 0

    def start(self, slot: int, *, wait: bool) -> Worker:
        with self.lock:
            self._logs += 1
            log = self.log_dir / f"worker-{slot}-{self._logs}.log"
        args = [sys.executable, "-m", "celery", "-A", "prosocial", "worker", "-Q", self.queues]
        args += ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        args += ["--without-heartbeat", "-n", f"bench{slot}-{self._logs}@%h"]
        with log.open("wb") as handle:
            process = subprocess.Popen(
                args,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(slot, process, log, time.monotonic())
        with self.lock:
            self.workers[slot] = worker
            self.everyone.append(worker)
        if wait:
            self.wait_ready(worker)
        return worker

    @staticmethod
    def wait_ready(worker: Worker) -> None:
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while "ready." not in worker.log.read_text(errors="replace"):
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"worker did not start:\n{tail(worker.log)}")
            time.sleep(0.1)

    def stop_all(self) -> None:
        for worker in self.everyone:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.everyone:
            try:
                worker.process.wait(timeout=WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=WORKER_STOP_TIMEOUT_S)

    def tasks_run(self) -> int:
        return sum(
            len(TASK_STARTED.findall(w.log.read_text(errors="replace"))) for w in self.everyone
        )


def in_flight(log: Path) -> int | None:
    """The publication a worker is running a step of (its last started, unfinished task)."""
    current = None
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
        text = handle.read().decode(errors="replace")
    for line in text.splitlines():
        if found := TASK_STARTED.search(line):
            current = int(found.group(1))
        elif TASK_FINISHED in line:
            current = None
    return current


# --- The three threads ------------------------------------------------------------------------


class Loop(threading.Thread):
    """A daemon thread running ``step`` until stopped; closes its DB connection at the end."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop_event.is_set():
                self.step()
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()

    def step(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=30)


class Sweeper(Loop):
    def __init__(self, rng: random.Random, interval: tuple[float, float]) -> None:
        super().__init__("sweeper")
        self.rng = rng
        self.interval = interval
        self.sweeps = 0
        self.queued = 0

    def step(self) -> None:
        from publishing import services

        self.queued += services.sweep_publications()
        self.sweeps += 1
        self.stop_event.wait(self.rng.uniform(*self.interval))


class Chaos(Loop):
    """SIGKILL a random worker now and then; start it again after a moment."""

    def __init__(
        self,
        rng: random.Random,
        pool: WorkerPool,
        every: float,
        restart_after: tuple[float, float],
    ) -> None:
        super().__init__("chaos")
        self.rng = rng
        self.pool = pool
        self.every = every
        self.restart_after = restart_after
        self.kills: list[dict[str, Any]] = []

    def step(self) -> None:
        from django.utils import timezone

        from publishing.models import Publication

        if self.stop_event.wait(self.rng.expovariate(1 / self.every)):
            return
        with self.pool.lock:
            alive = [w for w in self.pool.workers.values() if w.process.poll() is None]
        ready = [w for w in alive if "ready." in w.log.read_text(errors="replace")]
        if not ready:
            return
        victim = self.rng.choice(sorted(ready, key=lambda w: w.slot))
        # Aim: most of a worker's time goes to idle waits and no-op claims, so wait (a little)
        # until it has started a step; if it doesn't, kill it wherever it is.
        aim_until = time.monotonic() + KILL_AIM_S
        pk = in_flight(victim.log)
        while pk is None and time.monotonic() < aim_until and not self.stop_event.is_set():
            time.sleep(0.005)
            pk = in_flight(victim.log)
        os.kill(victim.process.pid, signal.SIGKILL)
        killed_at = timezone.now()
        killed_mono = time.monotonic()
        victim.process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        kill: dict[str, Any] = {
            "at": killed_at,
            "t": killed_mono,
            "slot": victim.slot,
            "pid": victim.process.pid,
            "worker_age_s": round(killed_mono - victim.started_at, 2),
            "publication_id": pk,
        }
        if pk is not None:
            row = Publication.objects.filter(pk=pk).values("lease_expires_at", "status").first()
            kill["held_lease"] = bool(
                row and row["lease_expires_at"] and row["lease_expires_at"] > killed_at
            )
            kill["status_at_kill"] = row["status"] if row else None
        self.kills.append(kill)
        self.stop_event.wait(self.rng.uniform(*self.restart_after))
        self.pool.start(victim.slot, wait=False)


def fault_menu(throttle_wait: float, *, identical: bool = False) -> dict[str, Any]:
    """Paths the publishers call (after the version) and the faults to arm on them.

    ``identical``: only the paths of its cases (the creates whose lost answers are at stake, and
    the listings their reconcile reads), so every armed fault can fire.
    """
    from meta_sandbox import seed

    page, ig, act = seed.PAGE_COFFEE_ID, seed.IG_COFFEE_ID, seed.ACT_COFFEE_US
    if identical:
        creates = [f"/{page}/feed", f"/{ig}/media", f"/{ig}/media_publish"]
        reads = ["/*", f"/{page}/feed", f"/{ig}/media", f"/{ig}/stories"]
    else:
        creates = [
            f"/{page}/feed",
            f"/{page}/photos",
            f"/{ig}/media",
            f"/{ig}/media_publish",
            f"/{act}/adimages",
            f"/{act}/adcreatives",
            f"/{act}/campaigns",
            f"/{act}/adsets",
            f"/{act}/ads",
        ]
        reads = ["/*", "/", f"/{page}/feed", f"/{ig}/media", f"/{act}/*"]
    minutes = throttle_wait / 60
    buc = {"type": "pages", "call_count": 100, "total_cputime": 30, "total_time": 40}
    throttles = {
        "page": (
            {"code": 32, "message": "(#32) Page request limit reached"},
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {page: [{**buc, "estimated_time_to_regain_access": minutes}]}
                )
            },
        ),
        "ig": (
            {"code": 4, "message": "(#4) Application request limit reached"},
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {ig: [{**buc, "type": "instagram", "estimated_time_to_regain_access": minutes}]}
                )
            },
        ),
        "ads": (
            {"code": 80004, "message": "There have been too many calls to this ad-account."},
            {
                "X-Ad-Account-Usage": json.dumps(
                    {"acc_id_util_pct": 99, "reset_time_duration": throttle_wait}
                )
            },
        ),
    }
    return {
        "creates": creates,
        "reads": reads,
        "throttles": throttles,
        "owner_of": lambda path: "ads" if act in path else ("ig" if ig in path else "page"),
    }


# The kinds of fault and their weights.
FAULT_KINDS = {
    "http_5xx": 3,
    "drop_after_write": 3,
    "drop_before_handling": 1,
    "latency": 2,
    "throttle": 2,
}
# ``--identical``: mostly answers lost after the write, the case the slots exist for.
IDENTICAL_FAULT_KINDS = {
    "http_5xx": 1,
    "drop_after_write": 5,
    "drop_before_handling": 1,
    "latency": 1,
    "throttle": 1,
}


class Faults(Loop):
    """Keep up to ``limit`` one-shot faults armed; each fires on the next matching request."""

    def __init__(
        self,
        rng: random.Random,
        state: Any,
        *,
        limit: int,
        every: float,
        latency_max_ms: int,
        throttle_wait: float,
        identical: bool = False,
    ) -> None:
        super().__init__("faults")
        self.rng = rng
        self.state = state
        self.limit = limit
        self.every = every
        self.latency_max_ms = latency_max_ms
        self.menu = fault_menu(throttle_wait, identical=identical)
        self.kinds = IDENTICAL_FAULT_KINDS if identical else FAULT_KINDS
        self.armed: Counter[str] = Counter()
        self.faults: list[tuple[str, Any]] = []
        self.pending: list[tuple[float, Any]] = []
        self.expired = 0

    def step(self) -> None:
        if self.stop_event.wait(self.rng.expovariate(1 / self.every)):
            return
        now = time.monotonic()
        with self.state.lock:
            for armed_at, fault in self.pending:
                if fault.hits == 0 and now - armed_at > FAULT_TTL_S:
                    self.state.faults.remove(fault.id)
                    self.expired += 1
            self.pending = [
                (t, f) for t, f in self.pending if f.hits == 0 and now - t <= FAULT_TTL_S
            ]
            if len(self.state.faults.active()) >= self.limit:
                return
        kinds, weights = zip(*self.kinds.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        menu = self.menu
        if kind == "drop_after_write":
            spec: dict[str, Any] = {
                "method": "POST",
                "path": self.rng.choice(menu["creates"]),
                "drop": True,
                "after_write": True,
            }
        elif kind == "throttle":
            path = self.rng.choice(menu["creates"])
            error, headers = menu["throttles"][menu["owner_of"](path)]
            spec = {
                "method": "POST",
                "path": path,
                "error": error,
                "http_status": 400,
                "headers": headers,
            }
        else:
            method = self.rng.choice(["POST", "GET"])
            path = self.rng.choice(menu["creates"] if method == "POST" else menu["reads"])
            spec = {"method": method, "path": path}
            if kind == "http_5xx":
                spec["http_status"] = self.rng.choice([500, 502, 503])
            elif kind == "drop_before_handling":
                spec["drop"] = True
            else:
                spec["latency_ms"] = self.rng.randint(100, self.latency_max_ms)
        fault = self.state.add_fault(times=1, **spec)
        self.pending.append((time.monotonic(), fault))
        self.armed[kind] += 1
        self.faults.append((kind, fault))

    def fired(self) -> dict[str, int]:
        fired: Counter[str] = Counter()
        for kind, fault in self.faults:
            fired[kind] += fault.hits
        return dict(fired)

    def lost_answers(self) -> dict[str, int]:
        """Answers dropped after the write, per create path (the lost answers to reconcile)."""
        lost: Counter[str] = Counter()
        for kind, fault in self.faults:
            if kind == "drop_after_write":
                lost[fault.path] += fault.hits
        return dict(lost)


# --- Measuring --------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    data = sorted(values)
    cuts = (
        statistics.quantiles(data, n=100, method="inclusive") if len(data) > 1 else [data[0]] * 99
    )
    return {
        "n": len(data),
        "min": round(data[0], 3),
        "p50": round(statistics.median(data), 3),
        "p90": round(cuts[89], 3),
        "p95": round(cuts[94], 3),
        "p99": round(cuts[98], 3),
        "max": round(data[-1], 3),
        "mean": round(statistics.fmean(data), 3),
    }


def identical_owners(sandbox: Any, run_id: str, numbers: dict[int, int]) -> dict[str, str]:
    """Return, for ``--identical`` runs, each sandbox object's owner (its publication's number).

    Captions can't tell: a text post is its publication's by the marker in its link, and an
    Instagram media is the publication's that made the container it was published from (a
    container is made by one publication's call and published only by that publication: the
    ids each recorded, now or in its timeline, of the containers it created).
    """
    from publishing.models import Publication, PublicationEvent

    owners: dict[str, str] = {}
    link = re.compile(rf"pb={run_id}-(\d{{5}})")
    for obj in sandbox.state.describe_objects(kind="page_post"):
        if match := link.search(obj["data"].get("link") or ""):
            owners[obj["id"]] = match.group(1)
    container_owner: dict[str, str] = {}
    made = re.compile(r"Instagram container (\d+) created")
    notes = PublicationEvent.objects.filter(
        publication_id__in=list(numbers), message__startswith="Instagram container"
    ).values_list("publication_id", "message")
    for pk, message in notes:
        if match := made.match(message):
            container_owner[match.group(1)] = f"{numbers[pk]:05d}"
    rows = Publication.objects.filter(pk__in=list(numbers)).values_list("pk", "remote")
    for pk, remote in rows:
        if (remote or {}).get("container_id"):
            container_owner[str(remote["container_id"])] = f"{numbers[pk]:05d}"
    for obj in sandbox.state.describe_objects(kind="ig_media"):
        if owner := container_owner.get(str(obj["data"].get("container_id"))):
            owners[obj["id"]] = owner
    return owners


def count_duplicates(
    sandbox: Any,
    run_id: str,
    cases: dict[int, str],
    numbers: dict[int, int],
    owners: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Count, per publication, the sandbox objects whose marker carries its marker.

    ``owners`` (object id → publication number) replaces the markers where captions can't tell
    (``--identical``).
    """
    kinds = set(FINAL_KIND.values()) | {k for ks in INTERMEDIATE_KINDS.values() for k in ks}
    found: dict[tuple[str, str], list[str]] = {}
    pattern = re.compile(rf"\[pb:{run_id}:(\d{{5}})\]")
    for kind in kinds:
        for obj in sandbox.state.describe_objects(kind=kind):
            if owners is not None:
                if obj["id"] in owners:
                    found.setdefault((kind, owners[obj["id"]]), []).append(obj["id"])
            elif match := pattern.search(obj.get("marker") or ""):
                found.setdefault((kind, match.group(1)), []).append(obj["id"])
    per_publication: dict[int, dict[str, int]] = {}
    duplicates: list[dict[str, Any]] = []
    intermediate_duplicates: list[dict[str, Any]] = []
    for pk, case in cases.items():
        number = f"{numbers[pk]:05d}"
        counts = {FINAL_KIND[case]: len(found.get((FINAL_KIND[case], number), []))}
        for kind in INTERMEDIATE_KINDS.get(case, ()):
            counts[kind] = len(found.get((kind, number), []))
        per_publication[pk] = counts
        final = counts[FINAL_KIND[case]]
        if final > 1:
            duplicates.append(
                {
                    "publication_id": pk,
                    "case": case,
                    "kind": FINAL_KIND[case],
                    "count": final,
                    "ids": found[(FINAL_KIND[case], number)],
                }
            )
        intermediate_duplicates.extend(
            {"publication_id": pk, "case": case, "kind": kind, "count": counts[kind]}
            for kind in INTERMEDIATE_KINDS.get(case, ())
            if counts[kind] > 1
        )
    return {
        "per_publication": per_publication,
        "duplicates": duplicates,
        "intermediate_duplicates": intermediate_duplicates,
        "ids": found,
    }


def environment_report() -> dict[str, Any]:
    import celery
    import django
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
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    pg_version = connection.pg_version
    return {
        "git": {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model,
            "platform": __import__("platform").platform(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {
            "python": __import__("platform").python_version(),
            "django": django.get_version(),
            "celery": celery.__version__,
            "requests": requests.__version__,
            "postgresql": f"{pg_version // 10000}.{pg_version % 10000}",
        },
        "settings": {
            "settings_module": SETTINGS_MODULE,
            "debug": settings.DEBUG,
            "broker": "redis (bench db 2)",
            "worker_pool": "solo",
        },
    }


# --- Main -------------------------------------------------------------------------------------


@dataclass
class Run:
    cases: dict[int, str] = field(default_factory=dict)
    numbers: dict[int, int] = field(default_factory=dict)
    published_at: dict[int, datetime] = field(default_factory=dict)  # when publish was asked


def plan_cases(rng: random.Random, count: int, mix: dict[str, int] = MIX) -> list[str]:
    """The publications' cases in a shuffled order, in the ``mix`` proportions."""
    names = list(mix)
    total = sum(mix.values())
    cases = [name for name in names for _ in range(round(count * mix[name] / total))]
    while len(cases) < count:
        cases.append(rng.choice(names))
    cases = cases[:count]
    rng.shuffle(cases)
    return cases


def run(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    master = random.Random(args.seed)
    rngs = {
        name: random.Random(master.getrandbits(64)) for name in ("plan", "chaos", "faults", "sweep")
    }
    with open_stage() as stage:
        from django.utils import timezone

        from publishing import services
        from publishing.models import Publication, PublicationEvent

        report = environment_report()
        mix = IDENTICAL_MIX if args.identical else MIX
        cases = plan_cases(rngs["plan"], args.publications, mix)
        run_state = Run()
        print(f"building {len(cases)} publications (seed {args.seed})…", flush=True)
        built_started = time.monotonic()
        publications = []
        for number, case in enumerate(cases, start=1):
            publication = build_publication(stage, case, number, identical=args.identical)
            run_state.cases[publication.pk] = case
            run_state.numbers[publication.pk] = number
            publications.append(publication)
        build_s = time.monotonic() - built_started
        stage.sandbox.state.requests.clear()
        print(f"built in {build_s:.1f} s; purged {purge_queues()} queued task(s)", flush=True)

        log_dir = stage.tmp / "workers"
        log_dir.mkdir()
        pool = WorkerPool(stage.worker_env(args.lease), log_dir)
        sweeper = Sweeper(rngs["sweep"], tuple(args.sweep_interval))
        chaos = Chaos(rngs["chaos"], pool, args.kill_every, tuple(args.restart_after))
        faults = Faults(
            rngs["faults"],
            stage.sandbox.state,
            limit=args.max_faults,
            every=args.fault_every,
            latency_max_ms=args.latency_max_ms,
            throttle_wait=args.throttle_wait,
            identical=args.identical,
        )
        threads = (sweeper, chaos, faults)
        ids = list(run_state.cases)
        lost_ids: list[int] = []
        try:
            print(f"starting {args.workers} workers (lease {args.lease} s)…", flush=True)
            for slot in range(args.workers):
                pool.start(slot, wait=True)
            for thread in threads:
                thread.start()
            started = time.monotonic()
            started_at = timezone.now()
            for publication in publications:
                run_state.published_at[publication.pk] = timezone.now()
                services.publish_publication(actor=stage.owner, publication=publication)
                time.sleep(args.publish_interval)
            publish_done = time.monotonic()
            print(
                f"published {len(publications)} in {publish_done - started:.1f} s; "
                "waiting for the outcomes…",
                flush=True,
            )
            deadline = publish_done + args.deadline
            last_print = 0.0
            while True:
                for thread in threads:
                    if thread.error is not None:
                        raise BenchError(f"{thread.name} thread failed: {thread.error!r}")
                statuses = Counter(
                    Publication.objects.filter(pk__in=ids).values_list("status", flat=True)
                )
                done = statuses["published"] + statuses["failed"]
                if time.monotonic() - last_print > 10:
                    last_print = time.monotonic()
                    print(
                        f"  {time.monotonic() - started:5.0f} s: {dict(statuses)}, "
                        f"{len(chaos.kills)} kills, {sum(faults.fired().values())} faults fired",
                        flush=True,
                    )
                if done == len(ids) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            finished = time.monotonic()
        finally:
            for thread in threads:
                thread.stop()
            stage.sandbox.state.clear_faults()
            pool.stop_all()
        tasks_run = pool.tasks_run()

        rows = {
            row["pk"]: row
            for row in Publication.objects.filter(pk__in=ids).values(
                "pk",
                "status",
                "published_at",
                "attempts",
                "failures",
                "remote_id",
                "error_title",
                "failed_item",
                "paused_reason",
                "message",
            )
        }
        lost_ids = [pk for pk, row in rows.items() if row["status"] not in ("published", "failed")]
        owners = (
            identical_owners(stage.sandbox, stage.run_id, run_state.numbers)
            if args.identical
            else None
        )
        dup = count_duplicates(
            stage.sandbox, stage.run_id, run_state.cases, run_state.numbers, owners
        )
        # Two publications recording the same post: one of them adopted the other's.
        recorded = Counter(row["remote_id"] for row in rows.values() if row["remote_id"])
        shared = sorted(remote_id for remote_id, n in recorded.items() if n > 1)

        # The published id must be the (one) object the sandbox holds for the publication.
        mismatched = []
        for pk, row in rows.items():
            if row["status"] != "published":
                continue
            case = run_state.cases[pk]
            number = f"{run_state.numbers[pk]:05d}"
            if row["remote_id"] not in dup["ids"].get((REMOTE_KIND[case], number), []):
                mismatched.append(
                    {"publication_id": pk, "case": case, "remote_id": row["remote_id"]}
                )
        published_without_object = [
            pk
            for pk, row in rows.items()
            if row["status"] == "published"
            and dup["per_publication"][pk][FINAL_KIND[run_state.cases[pk]]] == 0
        ]
        failed_with_object = [
            pk
            for pk, row in rows.items()
            if row["status"] == "failed"
            and dup["per_publication"][pk][FINAL_KIND[run_state.cases[pk]]] > 0
        ]

        completion: dict[str, list[float]] = {}
        for pk, row in rows.items():
            if row["status"] == "published" and row["published_at"]:
                seconds = (row["published_at"] - run_state.published_at[pk]).total_seconds()
                completion.setdefault(run_state.cases[pk], []).append(seconds)
                completion.setdefault("all", []).append(seconds)

        kills = []
        for kill in chaos.kills:
            entry = {k: v for k, v in kill.items() if k not in ("at", "t")}
            entry["seconds_into_run"] = round(kill["t"] - started, 2)
            pk = kill["publication_id"]
            if pk is not None and pk in rows:
                entry["case"] = run_state.cases.get(pk)
                nxt = (
                    PublicationEvent.objects.filter(publication_id=pk, created_at__gt=kill["at"])
                    .order_by("created_at")
                    .values_list("created_at", flat=True)
                    .first()
                )
                entry["to_next_event_s"] = (
                    round((nxt - kill["at"]).total_seconds(), 3) if nxt else None
                )
                done_at = rows[pk]["published_at"]
                entry["to_published_s"] = (
                    round((done_at - kill["at"]).total_seconds(), 3)
                    if done_at and done_at > kill["at"]
                    else None
                )
                entry["final_status"] = rows[pk]["status"]
            kills.append(entry)
        interrupted = [k for k in kills if k.get("held_lease")]

        statuses = Counter(row["status"] for row in rows.values())
        by_case = {}
        for case in mix:
            pks = [pk for pk, c in run_state.cases.items() if c == case]
            by_case[case] = {
                "publications": len(pks),
                "published": sum(rows[pk]["status"] == "published" for pk in pks),
                "failed": sum(rows[pk]["status"] == "failed" for pk in pks),
                "lost": sum(pk in lost_ids for pk in pks),
                "completion_s": percentiles(completion.get(case, [])),
            }
        failures = Counter(
            f"{rows[pk]['failed_item']}: {rows[pk]['error_title']}"
            for pk in rows
            if rows[pk]["status"] == "failed"
        )
        attempts = [row["attempts"] for row in rows.values()]
        report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        result = {
            "benchmark": "publish_faults",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            **report,
            "params": {
                "publications": args.publications,
                "mix": mix,
                "identical_captions": args.identical,
                "workers": args.workers,
                "seed": args.seed,
                "lease_seconds": args.lease,
                "kill_every_s": args.kill_every,
                "restart_after_s": list(args.restart_after),
                "sweep_interval_s": list(args.sweep_interval),
                "max_armed_faults": args.max_faults,
                "fault_every_s": args.fault_every,
                "fault_weights": faults.kinds,
                "latency_max_ms": args.latency_max_ms,
                "throttle_wait_s": args.throttle_wait,
                "publish_interval_s": args.publish_interval,
                "deadline_s": args.deadline,
                "sandbox_processing_s": 0,
            },
            "outcome": {
                "published": statuses["published"],
                "failed": statuses["failed"],
                "lost": len(lost_ids),
                "duplicates": len(dup["duplicates"]),
                "intermediate_duplicates": len(dup["intermediate_duplicates"]),
                "published_id_not_the_sandbox_object": len(mismatched),
                "adopted_by_the_wrong_publication": len(mismatched),
                "same_post_recorded_by_two": len(shared),
                "published_without_sandbox_object": len(published_without_object),
                "failed_but_object_exists": len(failed_with_object),
            },
            "timing": {
                "build_s": round(build_s, 1),
                "publish_loop_s": round(publish_done - started, 2),
                "wall_s": round(finished - started, 2),
                "completion_s": percentiles(completion.get("all", [])),
                "started_at": started_at.isoformat(timespec="seconds"),
            },
            "by_case": by_case,
            "chaos": {
                "kills": len(kills),
                "kills_during_a_claimed_step": len(interrupted),
                "recovery_to_next_event_s": percentiles(
                    [k["to_next_event_s"] for k in interrupted if k.get("to_next_event_s")]
                ),
                "recovery_to_published_s": percentiles(
                    [k["to_published_s"] for k in interrupted if k.get("to_published_s")]
                ),
                "worker_starts": len(pool.everyone),
                "detail": kills,
            },
            "faults": {
                "armed": dict(faults.armed),
                "fired": faults.fired(),
                "answers_lost_after_the_write": faults.lost_answers(),
                "expired_unfired": faults.expired,
            },
            "work": {
                "celery_tasks_run": tasks_run,
                "tasks_per_publication": round(tasks_run / len(ids), 2),
                "claims_per_publication": percentiles([float(a) for a in attempts]),
                "sweeps": sweeper.sweeps,
                "tasks_queued_by_sweeps": sweeper.queued,
                "graph_calls_logged": PublicationEvent.objects.filter(
                    publication_id__in=ids, kind="graph"
                ).count(),
            },
            "failures": dict(failures.most_common()),
            "problems": {
                "lost": [
                    {
                        "publication_id": pk,
                        "case": run_state.cases[pk],
                        **{
                            k: rows[pk][k]
                            for k in ("status", "message", "paused_reason", "attempts")
                        },
                    }
                    for pk in lost_ids
                ],
                "duplicates": dup["duplicates"],
                "intermediate_duplicates": dup["intermediate_duplicates"],
                "published_id_not_the_sandbox_object": mismatched,
                "same_post_recorded_by_two": shared,
                "published_without_sandbox_object": published_without_object,
                "failed_but_object_exists": failed_with_object,
            },
        }
    ok = not (
        lost_ids or dup["duplicates"] or dup["intermediate_duplicates"] or mismatched or shared
    )
    return result, ok


def print_summary(result: dict[str, Any]) -> None:
    out, timing, chaos = result["outcome"], result["timing"], result["chaos"]
    print()
    print(
        f"published {out['published']}, failed {out['failed']}, lost {out['lost']}, "
        f"duplicates {out['duplicates']} (+{out['intermediate_duplicates']} ad parts), "
        f"adopted by the wrong publication {out['adopted_by_the_wrong_publication']}"
    )
    c = timing["completion_s"]
    if c.get("n"):
        print(
            f"wall {timing['wall_s']} s; publish→published p50 {c['p50']} s, p95 {c['p95']} s, "
            f"max {c['max']} s"
        )
    r1, r2 = chaos["recovery_to_next_event_s"], chaos["recovery_to_published_s"]
    print(
        f"{chaos['kills']} kills, {chaos['kills_during_a_claimed_step']} during a claimed step; "
        f"recovery to next event p50 {r1.get('p50')} s / max {r1.get('max')} s, "
        f"to published p50 {r2.get('p50')} s / max {r2.get('max')} s"
    )
    print(f"faults fired: {result['faults']['fired']}")
    for case, numbers in result["by_case"].items():
        cs = numbers["completion_s"]
        print(
            f"  {case:<14} {numbers['published']:>3}/{numbers['publications']:<3} published, "
            f"{numbers['failed']} failed, {numbers['lost']} lost; p50 {cs.get('p50')} s"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        result, ok = run(args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 2
    print_summary(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    if not ok:
        problems = result["problems"]
        print(
            "PUBLISHING INVARIANT BROKEN: "
            f"{len(problems['lost'])} lost, {len(problems['duplicates'])} duplicated, "
            f"{len(problems['intermediate_duplicates'])} duplicated ad parts, "
            f"{len(problems['published_id_not_the_sandbox_object'])} adopted wrongly "
            f"(seed {args.seed}); details under 'problems' in {args.output}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
