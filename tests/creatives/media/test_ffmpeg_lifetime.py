"""ffmpeg never outlives the process that started it: own process group, killed with its parent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from creatives.library.media.ffmpeg import ffmpeg_exe, run_ffmpeg

# A parent that starts a long encode through run_ffmpeg and waits (like a worker mid-job).
PARENT = """
import sys
from creatives.library.media.ffmpeg import run_ffmpeg
run_ffmpeg(
    ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "600", "-f", "null", "/dev/null"],
    timeout=600,
)
"""


def ffmpeg_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            exe = os.readlink(entry / "exe")
            cmdline = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        # The encode itself: imageio-ffmpeg may run a short `ffmpeg -version` of its own first.
        if ppid == parent and exe == ffmpeg_exe() and b"testsrc" in cmdline:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie waiting to be reaped counts as dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_ffmpeg_runs_in_its_own_process_group_and_dies_with_a_sigkilled_parent():
    root = Path(__file__).resolve().parents[3]
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=root)  # noqa: S603
    try:
        assert wait_for(lambda: ffmpeg_children(parent.pid)), "ffmpeg did not start"
        (child,) = ffmpeg_children(parent.pid)
        assert os.getpgid(child) == child != os.getpgid(parent.pid)

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)

        assert wait_for(lambda: not running(child), timeout=5), "ffmpeg outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


class Cancelled(Exception):
    pass


def test_a_cancelled_run_kills_ffmpeg():
    started = []

    def cancel(percent: float) -> None:
        started.extend(ffmpeg_children(os.getpid()))
        raise Cancelled  # what a job's LeaseLost does: stop at the next progress report

    args = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=600"]
    with pytest.raises(Cancelled):
        run_ffmpeg(
            [*args, "-f", "null", os.devnull], timeout=600, on_progress=cancel, duration_seconds=600
        )

    assert len(started) == 1
    assert not running(started[0])
