"""Run the whole product on one machine: web server, Celery worker, beat and the Meta sandbox.

``make run`` calls this. It migrates, makes sure the demo login exists, starts every process
in its own process group and stops all of them on Ctrl-C (or when any one of them dies).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from prosocial.jobs import QUEUES

SHUTDOWN_GRACE_SECONDS = 10


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C so the children are stopped the same way."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Start the web server, a Celery worker, beat and the Meta sandbox (Ctrl-C stops all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-reload", action="store_true", help="Disable autoreload.")

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        call_command("ensure_demo")
        host, port = options["host"], options["port"]
        runserver = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
        if options["no_reload"]:
            runserver.append("--noreload")
        celery = [sys.executable, "-m", "celery", "-A", "prosocial"]
        commands = {
            "web": runserver,
            "worker": [
                *celery,
                "worker",
                "-Q",
                ",".join(QUEUES),
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        if settings.META_USES_SANDBOX:
            # No META_APP_ID: "Meta" is the local emulator, reached over HTTP like the real one.
            commands["meta-sandbox"] = [
                sys.executable,
                "-m",
                "meta_sandbox",
                "--port",
                str(settings.META_SANDBOX_PORT),
                "--app-id",
                settings.META_APP_ID,
                "--app-secret",
                settings.META_APP_SECRET,
            ]
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)  # noqa: S603
            for name, command in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(f"ProSocial is running on http://{host}:{port}/ — Ctrl-C stops it.")
        )
        if settings.META_USES_SANDBOX:
            self.stdout.write(
                f"Meta is the local sandbox: {settings.META_GRAPH_URL}/_sandbox/ shows its state."
            )
        try:
            self._wait(processes)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop(processes)

    def _wait(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with code {process.returncode}; stopping.")
                    return
            time.sleep(0.5)

    def _stop(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
