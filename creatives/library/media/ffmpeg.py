"""The one way ProSocial runs ffmpeg: the binary imageio-ffmpeg ships, locked down, with a timeout.

``run_ffmpeg`` takes the arguments after ``ffmpeg`` and:

- prefixes ``-nostdin -hide_banner -loglevel error -nostats -progress pipe:1 -stats_period 0.25``;
- puts ``-protocol_whitelist file,pipe`` before every input and before the output (ffmpeg
  applies it per file, so one global copy would only cover the first input): no network,
  no ``concat:``/``subfile:``/``data:`` tricks, whatever a file or filter asks for;
- refuses any argument that looks like a URL (``scheme://``) before starting anything;
- reads ``-progress`` from stdout and reports 0-100 to ``on_progress`` (rising values only,
  ending with 100 on success);
- kills ffmpeg when ``timeout`` seconds pass (or when ``on_progress`` raises, which is how a
  job cancels), and raises ``FfmpegError`` on a timeout or a
  non-zero exit, keeping stderr's last lines for logs;
- starts ffmpeg in its own process group (a Ctrl-C or a signal meant for the worker's group
  doesn't reach it; we stop it ourselves) and, on Linux, asks the kernel to SIGKILL it when the
  worker dies (``PR_SET_PDEATHSIG``, through ``prosocial.processes``), so a SIGKILLed worker
  leaves no encode running.

There is no system ffmpeg on our machines, and none is wanted: one pinned binary means one
set of behaviours to test.
"""

import os
import re
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from functools import cache
from typing import IO

import imageio_ffmpeg

from creatives.library.media.errors import FfmpegError
from prosocial.processes import dying_with_parent

PROTOCOL_WHITELIST = "file,pipe"
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_STDERR_LINES = 20
# -stats_period 0.25: progress lines twice as often as the default, for a smoother bar.
_PREFIX = [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostats",
    "-progress",
    "pipe:1",
    "-stats_period",
    "0.25",
]


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def build_command(args: Sequence[str]) -> list[str]:
    """Return the full, hardened command line for ``args`` (benchmarks run it bare)."""
    for arg in args:
        if _URL.search(arg):
            raise FfmpegError(
                "Refused to run ffmpeg on a URL: media is only ever processed from local files.",
                code="refused",
            )
    hardened: list[str] = [ffmpeg_exe(), *_PREFIX]
    for index, arg in enumerate(args):
        is_output = index == len(args) - 1
        if arg == "-i" or is_output:
            hardened += ["-protocol_whitelist", PROTOCOL_WHITELIST]
        hardened.append(arg)
    return hardened


def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout: float,
    on_progress: Callable[[float], None] | None = None,
    duration_seconds: float | None = None,
    on_stderr: Callable[[str], None] | None = None,
) -> None:
    """Run ffmpeg with ``args`` (everything after the program name; the output path last).

    ``on_stderr`` gets every non-empty stderr line as ffmpeg writes it (from another thread),
    for a caller that reads ffmpeg's log (``decode.find_damage``).
    """
    command = build_command(args)
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and an argument list, no shell
        dying_with_parent(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        _kill(process)

    watchdog = threading.Timer(timeout, kill)
    watchdog.daemon = True
    stderr_tail: deque[str] = deque(maxlen=_STDERR_LINES)
    drain = threading.Thread(
        target=_drain, args=(process.stderr, stderr_tail, on_stderr), daemon=True
    )
    watchdog.start()
    drain.start()
    try:
        if process.stdout is not None:  # always, with stdout=PIPE
            _follow_progress(process.stdout, on_progress, duration_seconds)
        returncode = process.wait()
        drain.join(timeout=5)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            _kill(process)
            process.wait()
    tail = "\n".join(stderr_tail)
    if timed_out.is_set():
        raise FfmpegError(
            f"Processing took longer than the {timeout:g} s allowed and was stopped.",
            code="timeout",
            stderr_tail=tail,
        )
    if returncode != 0:
        raise FfmpegError(
            "Processing the media failed: ffmpeg could not read or convert it.",
            code="failed",
            stderr_tail=tail,
        )
    if on_progress is not None:
        on_progress(100.0)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ffmpeg's whole process group (it is the group's leader)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _drain(
    stream: IO[bytes] | None, tail: deque[str], on_line: Callable[[str], None] | None = None
) -> None:
    # stderr must be read while ffmpeg runs, or a chatty failure fills the pipe and hangs it.
    for raw in stream or ():
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)
            if on_line is not None:
                on_line(line)


def _follow_progress(
    stdout: IO[bytes],
    on_progress: Callable[[float], None] | None,
    duration_seconds: float | None,
) -> None:
    # -progress writes key=value blocks every ~0.5 s, each ending "progress=continue" (the
    # last "progress=end"). out_time_us is the output position (out_time_ms is the same
    # number, misnamed), negative or "N/A" before the first frame. Only rises are reported,
    # capped below 100: run_ffmpeg reports 100 itself once ffmpeg has exited cleanly.
    reported = -1.0
    for raw in stdout:
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        if key != "out_time_us" or not duration_seconds or not value.isdigit():
            continue
        percent = round(min(99.9, int(value) / 1_000_000 / duration_seconds * 100), 1)
        if on_progress is not None and percent > reported:
            reported = percent
            on_progress(percent)
