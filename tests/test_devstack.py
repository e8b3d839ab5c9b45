"""`make run` (manage.py devstack): restarts, giving up, Ctrl-C and being killed.

The supervisor is tried on small throwaway commands first, then devstack runs for real on
the embedded defaults: a dead process is restarted while the rest keep serving; two Ctrl-C
stop everything with no traceback and nothing left running; a devstack killed outright
takes its children along. Processes are found through /proc by process group: each child
leads its own group, and its own children (the worker's pool, the autoreloader's server)
stay in that group.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from prosocial.management.commands import devstack as devstack_command
from prosocial.management.commands.devstack import Child, Supervisor

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 240  # migrating a new SQLite database on a busy 2-core machine

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes():
    """Return {pid: (ppid, pgid, cmdline)} of every live (non-zombie) process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it exited meanwhile
        state, ppid, pgid = stat.rsplit(")", 1)[1].split()[:3]
        if state not in ("Z", "X"):
            found[int(entry.name)] = (int(ppid), int(pgid), cmdline)
    return found


def _children(devstack_pid):
    return {
        pid: cmdline for pid, (ppid, _pgid, cmdline) in _processes().items() if ppid == devstack_pid
    }


def _in_groups(pgids):
    return {pid: cmdline for pid, (_p, pgid, cmdline) in _processes().items() if pgid in pgids}


def _wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)
    return result


def _answers(url):
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


class Devstack:
    """One `manage.py devstack` on free ports, with its var/ in `var_dir`."""

    def __init__(self, var_dir, log):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            name: value
            for name, value in os.environ.items()
            # The embedded defaults: no servers, no real Meta, no SMTP, no S3, no OpenAI.
            if name
            not in {
                "DATABASE_URL",
                "REDIS_URL",
                "META_APP_ID",
                "EMAIL_HOST",
                "AWS_STORAGE_BUCKET_NAME",
                "OPENAI_API_KEY",
            }
        }
        env |= {
            "PROSOCIAL_VAR_DIR": str(var_dir),
            "META_SANDBOX_PORT": str(_free_port()),
            "PUBLIC_BASE_URL": self.url,
        }
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "devstack", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our Ctrl-C is the os.kill below, not the test run's
        )
        self.pgids = set()

    def wait_until_serving(self):
        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"devstack exited:\n{self.output()}")
            return _answers(self.url) and len(_children(self.process.pid)) == 4

        _wait_for(ready, STARTUP_SECONDS, "the web server and all four processes")
        self.pgids |= set(_children(self.process.pid))

    def child(self, word):
        """Return the pid of the child whose command has `word`, None while there is none."""
        pids = [pid for pid, cmd in _children(self.process.pid).items() if word in cmd.split()]
        assert len(pids) <= 1, pids
        return pids[0] if pids else None

    def output(self):
        return self.log.read_text()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in _in_groups(self.pgids):
            os.kill(pid, signal.SIGKILL)


# --- the supervisor on throwaway commands ------------------------------------------------


@pytest.fixture
def quick_restarts(monkeypatch):
    monkeypatch.setattr(devstack_command, "RESTART_DELAYS_SECONDS", (0, 0, 0, 0))
    monkeypatch.setattr(devstack_command, "POLL_SECONDS", 0.05)


FLAKY = """
import pathlib, sys, time
starts = pathlib.Path(__file__).with_suffix(".starts")
starts.write_text(starts.read_text() + "x" if starts.exists() else "x")
if len(starts.read_text()) <= 2:
    sys.exit(1)  # dies on its first two starts, then stays up
time.sleep(60)
"""


def _python(code):
    return [sys.executable, "-c", code]


def test_a_process_that_dies_is_restarted_and_the_others_keep_running(quick_restarts, tmp_path):
    said = []
    steady = Child("steady", _python("import time; time.sleep(60)"))
    flaky_script = tmp_path / "flaky.py"
    flaky_script.write_text(FLAKY)
    flaky = Child("flaky", [sys.executable, str(flaky_script)])
    count = tmp_path / "flaky.starts"
    supervisor = Supervisor([steady, flaky], said.append)
    supervisor.start_all()
    steady_pid = steady.process.pid
    watching = threading.Thread(target=supervisor.run)
    watching.start()
    try:
        _wait_for(lambda: count.exists() and len(count.read_text()) == 3, 30, "a third start")
        time.sleep(0.5)  # long enough for a third death to be noticed, had there been one
        assert flaky.is_running()
    finally:
        supervisor.stop_requests = 1  # what Ctrl-C does: run() returns
        watching.join()
        supervisor.stop_all()

    assert said == ["flaky stopped (exit code 1); restarting it in 0 s."] * 2
    assert steady.process.pid == steady_pid
    assert not supervisor.gave_up
    assert not steady.is_running()
    assert not flaky.is_running()


def test_a_process_that_keeps_dying_stops_everything(quick_restarts):
    said = []
    steady = Child("steady", _python("import time; time.sleep(60)"))
    broken = Child("broken", _python("import sys; sys.exit(2)"))
    supervisor = Supervisor([steady, broken], said.append)
    supervisor.start_all()
    try:
        supervisor.run()  # returns once it gives up
    finally:
        supervisor.stop_all()

    assert supervisor.gave_up
    assert said[-1] == (
        "broken died 5 times within 60 s (last: exit code 2); giving up and stopping "
        "everything. Its output above says why."
    )
    assert len(said) == 5
    assert not steady.is_running()


# --- devstack for real --------------------------------------------------------------------


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """One var/ for the module: the second devstack starts without migrating again."""
    return tmp_path_factory.mktemp("devstack-var")


@pytest.mark.worker
def test_a_dead_worker_comes_back_and_two_ctrl_c_leave_nothing_running(var_dir, tmp_path):
    devstack = Devstack(var_dir, tmp_path / "devstack.log")
    try:
        devstack.wait_until_serving()
        worker = devstack.child("worker")
        pool = set(_in_groups({worker})) - {worker}
        assert pool, "the worker has pool processes"

        os.kill(worker, signal.SIGKILL)
        new_worker = _wait_for(
            lambda: (pid := devstack.child("worker")) not in (None, worker) and pid,
            30,
            "a new worker",
        )
        devstack.pgids.add(new_worker)
        _wait_for(lambda: len(_in_groups({new_worker})) > 1, 60, "the new worker's pool")
        assert _answers(devstack.url)
        assert _in_groups({worker}) == {}  # its pool went with it
        assert devstack.process.poll() is None

        everything = set(_in_groups(devstack.pgids))
        os.kill(devstack.process.pid, signal.SIGINT)
        time.sleep(0.2)
        os.kill(devstack.process.pid, signal.SIGINT)
        returncode = devstack.process.wait(timeout=30)
    finally:
        devstack.kill()

    output = devstack.output()
    assert "worker stopped (killed by SIGKILL); restarting it in 1 s." in output
    assert "Second Ctrl-C: killing every process now." in output
    assert "Traceback" not in output
    assert returncode == 0
    assert len(everything) >= 7  # web and its server, worker and its pool, beat, sandbox
    assert _in_groups(devstack.pgids) == {}


@pytest.mark.worker
def test_a_killed_devstack_takes_every_process_along(var_dir, tmp_path):
    devstack = Devstack(var_dir, tmp_path / "devstack.log")
    try:
        devstack.wait_until_serving()
        everything = set(_in_groups(devstack.pgids))

        devstack.process.kill()  # SIGKILL: no handler runs, only PR_SET_PDEATHSIG acts
        devstack.process.wait()
        _wait_for(lambda: not _in_groups(devstack.pgids), 20, "every child to be gone")
    finally:
        devstack.kill()

    assert len(everything) >= 7
