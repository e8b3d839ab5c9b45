"""Run the whole product on one machine: web server, Celery worker, beat and the Meta sandbox.

``make run`` calls this. It migrates, makes sure the demo login exists and starts every
process in a session (process group) of its own, so the terminal's Ctrl-C reaches only this
command, which then stops them all:

- Ctrl-C (or SIGTERM, SIGHUP) sends SIGTERM to every group and waits up to
  SHUTDOWN_GRACE_SECONDS, then SIGKILLs what is left. A second Ctrl-C SIGKILLs every group
  at once. Either way no process is left behind, grandchildren included (the worker's pool
  processes, the web server's autoreload child), and no traceback is printed.
- A process that dies is started again after a short pause, and the others keep running.
  One that dies MAX_DEATHS times within DEATH_WINDOW_SECONDS stops everything, saying so.
- On Linux every child gets a signal from the kernel when devstack dies (PR_SET_PDEATHSIG,
  set through prosocial.processes),
  so even a devstack killed with SIGKILL takes them along.
"""

import collections
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from prosocial.jobs import QUEUES
from prosocial.processes import dying_with_parent

SHUTDOWN_GRACE_SECONDS = 10
# Pause before restarting a process that died, by how often it died within the window.
RESTART_DELAYS_SECONDS = (1, 2, 4, 8)
MAX_DEATHS = 5
DEATH_WINDOW_SECONDS = 60
POLL_SECONDS = 0.2
# How long to wait for the grandchildren of a stopped process to be gone.
LEFTOVER_WAIT_SECONDS = 5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(pgid, signum)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Child:
    """One supervised process: the leader of its own process group (pgid == pid)."""

    name: str
    command: list[str]
    # What the child gets when devstack dies. SIGTERM for the web server: Django's
    # autoreloader then kills its serving child before exiting; SIGKILL would orphan it.
    death_signal: signal.Signals = signal.SIGKILL
    process: subprocess.Popen[bytes] | None = None
    deaths: collections.deque[float] = field(default_factory=collections.deque)
    restart_at: float | None = None  # set while it waits to be started again

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            dying_with_parent(self.command, self.death_signal),
            cwd=settings.BASE_DIR,
            start_new_session=True,
        )
        self.restart_at = None

    def signal_group(self, signum: signal.Signals) -> None:
        if self.process is not None:
            _signal_group(self.process.pid, signum)

    def kill_orphans(self) -> None:
        """SIGKILL what is left in the group once the process itself has exited.

        Those are orphans (pool processes, an autoreloader's child) nobody else will stop.
        """
        if self.process is not None and self.process.poll() is not None:
            self.signal_group(signal.SIGKILL)

    def is_running(self) -> bool:
        """Return True while the process or anything left in its group exists."""
        if self.process is None:
            return False
        return self.process.poll() is None or _group_exists(self.process.pid)


class Supervisor:
    """Start the children, restart the ones that die, stop them all on request."""

    def __init__(self, children: list[Child], say: Callable[[str], None]) -> None:
        self.children = children
        self.say = say
        self.stop_requests = 0
        self.gave_up = False

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only flags and kill(2) here: printing from a signal handler can collide with the
        # main thread's own write and raise.
        self.stop_requests += 1
        if self.stop_requests > 1:
            for child in self.children:
                child.signal_group(signal.SIGKILL)

    def start_all(self) -> None:
        for child in self.children:
            if self.stop_requests:
                return
            child.start()

    def run(self) -> None:
        """Watch the children until a stop is requested or one keeps dying."""
        while not self.stop_requests and not self.gave_up:
            for child in self.children:
                if child.restart_at is None:
                    self._check(child)
                elif time.monotonic() >= child.restart_at:
                    child.start()
            time.sleep(POLL_SECONDS)

    def _check(self, child: Child) -> None:
        assert child.process is not None  # noqa: S101 - started before run()
        returncode = child.process.poll()
        if returncode is None or self.gave_up:
            return
        child.signal_group(signal.SIGKILL)  # what it left behind would hold its port or queue
        now = time.monotonic()
        child.deaths.append(now)
        while child.deaths[0] < now - DEATH_WINDOW_SECONDS:
            child.deaths.popleft()
        if len(child.deaths) >= MAX_DEATHS:
            self.say(
                f"{child.name} died {len(child.deaths)} times within {DEATH_WINDOW_SECONDS} s "
                f"(last: {_describe_exit(returncode)}); giving up and stopping everything. "
                "Its output above says why."
            )
            self.gave_up = True
            return
        delay = RESTART_DELAYS_SECONDS[len(child.deaths) - 1]
        self.say(
            f"{child.name} stopped ({_describe_exit(returncode)}); restarting it in {delay} s."
        )
        child.restart_at = now + delay

    def stop_all(self) -> None:
        """Stop every child and whatever its group holds; a second stop request SIGKILLs."""
        for child in self.children:
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        told_kill = False
        while any(child.is_running() for child in self.children):
            for child in self.children:
                child.kill_orphans()
            if self.stop_requests > 1 and not told_kill:
                self.say("Second Ctrl-C: killing every process now.")
                told_kill = True
            if time.monotonic() > deadline:
                late = [child.name for child in self.children if child.is_running()]
                self.say(
                    f"{', '.join(late)} did not stop within {SHUTDOWN_GRACE_SECONDS} s; killing."
                )
                self._kill_leftovers()
                return
            time.sleep(0.1)

    def _kill_leftovers(self) -> None:
        for child in self.children:
            child.signal_group(signal.SIGKILL)
        deadline = time.monotonic() + LEFTOVER_WAIT_SECONDS
        while any(child.is_running() for child in self.children):
            if time.monotonic() > deadline:
                # Only zombies can survive SIGKILL; whoever adopted them will reap them.
                return
            time.sleep(0.1)


class Command(BaseCommand):
    help = "Start the web server, a Celery worker, beat and the Meta sandbox (Ctrl-C stops all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-reload", action="store_true", help="Disable autoreload.")

    def handle(self, *args: object, **options: Any) -> None:
        host, port = options["host"], options["port"]
        children = self._children(host, port, reload=not options["no_reload"])
        supervisor = Supervisor(children, self.say)
        try:
            call_command("migrate", interactive=False, verbosity=0)
            self.say("Database is up to date.")
            call_command("ensure_demo")
            # From here on Ctrl-C never raises: the supervisor stops everything instead.
            for signum in STOP_SIGNALS:
                signal.signal(signum, supervisor.on_signal)
        except KeyboardInterrupt:
            self.say("\nInterrupted before anything was started.")
            raise SystemExit(130) from None
        try:
            supervisor.start_all()
            self._announce(host, port)
            supervisor.run()
            if not supervisor.gave_up:
                self.say("\nStopping… (Ctrl-C again kills every process at once)")
        finally:
            supervisor.stop_all()
        if supervisor.gave_up:
            raise SystemExit(1)
        self.say("Stopped.")

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()  # a pipe (make run | tee) would otherwise hold it back

    def _children(self, host: str, port: int, *, reload: bool) -> list[Child]:
        runserver = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
        if not reload:
            runserver.append("--noreload")
        celery = [sys.executable, "-m", "celery", "-A", "prosocial"]
        worker = [*celery, "worker", "-Q", ",".join(QUEUES), "--concurrency", "2"]
        worker += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        beat = [*celery, "beat", "--loglevel", "INFO"]
        beat += ["--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        children = [
            Child("web", runserver, death_signal=signal.SIGTERM),
            Child("worker", worker),
            Child("beat", beat),
        ]
        if settings.META_USES_SANDBOX:
            # No META_APP_ID: "Meta" is the local emulator, reached over HTTP like the real one.
            # Its state file lets a restarted sandbox keep the tokens and ids it handed out.
            state_file = Path(settings.VAR_DIR) / "meta_sandbox" / "state.json"
            sandbox = [sys.executable, "-m", "meta_sandbox"]
            sandbox += ["--port", str(settings.META_SANDBOX_PORT), "--state-file", str(state_file)]
            sandbox += ["--app-id", settings.META_APP_ID, "--app-secret", settings.META_APP_SECRET]
            children.append(Child("meta-sandbox", sandbox))
        return children

    def _announce(self, host: str, port: int) -> None:
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"ProSocial is running on {url} — Ctrl-C stops it."))
        public = urlsplit(settings.PUBLIC_BASE_URL)
        if public.hostname in {"127.0.0.1", "localhost", host} and public.port != port:
            # Emails, the OAuth redirect and the media URLs Meta fetches are built from it.
            self.stdout.write(
                self.style.WARNING(
                    f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL}, not {url}: links in emails "
                    f"and media URLs will miss. Set PUBLIC_BASE_URL (make run PORT={port} does)."
                )
            )
        if settings.META_USES_SANDBOX:
            self.stdout.write(
                f"Meta is the local sandbox: {settings.META_GRAPH_URL}/_sandbox/ shows its state; "
                "its “Play a customer” panel comments and sends DMs to your Pages (the Inbox)."
            )
        self.stdout.flush()
