"""The state file: a restarted sandbox keeps its tokens, objects, clock and id counter.

`make run` restarts a sandbox that died; the app still holds the tokens and ids it was
given, so they must keep working and no id may ever name a second object.
"""

import json
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

from meta_sandbox import config, lifecycle, seed
from meta_sandbox.app import create_app
from meta_sandbox.media_jobs import MediaJob
from meta_sandbox.objects import IgContainer
from meta_sandbox.testing import start_server
from tests.meta_sandbox.helpers import Graph, advance, grant_token, page_token

ROOT = Path(__file__).resolve().parents[2]
PAGE = seed.PAGE_COFFEE_ID
SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]


def _post(graph, token, message):
    response = graph.request("POST", f"/{PAGE}/feed", token, message=message)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _permalink(graph, token, post_id):
    response = graph.get(f"/{post_id}", token, fields="permalink_url")
    assert response.status_code == 200, response.text
    return response.json()["permalink_url"]


def test_tokens_objects_and_clock_survive_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with start_server(state_file=state_file) as first:
        graph = Graph(first)
        user_token = grant_token(graph, scopes=SCOPES)
        token = page_token(graph, user_token, PAGE)
        post_id = _post(graph, token, "Before the restart")
        permalink = _permalink(graph, token, post_id)
        advance(graph, 3600)

    with start_server(state_file=state_file) as second:
        graph = Graph(second)
        assert graph.get("/me", user_token).status_code == 200
        assert _permalink(graph, token, post_id) == permalink
        new_id = _post(graph, token, "After the restart")
        assert _permalink(graph, token, new_id) != permalink
        assert second.state.clock.offset == 3600
        assert [obj["marker"] for obj in second.state.describe_objects(kind="page_post")] == [
            "Before the restart",
            "After the restart",
        ]


def test_the_state_file_is_written_atomically_and_private(tmp_path):
    state_file = tmp_path / "sandbox" / "state.json"
    with start_server(state_file=state_file) as running:
        grant_token(Graph(running), scopes=SCOPES)

    assert json.loads(state_file.read_text())["tokens"]
    assert state_file.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in state_file.parent.iterdir()] == ["state.json"]  # no temp left


@pytest.mark.parametrize(
    ("case", "content"),
    [
        ("not json", "{half a file"),
        ("another format", json.dumps({"format": 999, "app_id": config.DEFAULT_APP_ID})),
        ("another app", json.dumps({"format": 1, "app_id": "42"})),
        ("damaged", json.dumps({"format": 1, "app_id": config.DEFAULT_APP_ID, "world": {}})),
    ],
)
def test_an_unusable_state_file_is_set_aside_and_the_sandbox_starts_fresh(tmp_path, case, content):
    state_file = tmp_path / "state.json"
    state_file.write_text(content)

    app = create_app(state_file=state_file)

    assert app.state.auth.tokens == {}
    assert set(app.state.world.users) == set(seed.build_world().users)
    assert (tmp_path / "state.json.unusable").read_text() == content
    assert not state_file.exists()


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with start_server() as running:
        grant_token(Graph(running), scopes=SCOPES)

    assert list(tmp_path.iterdir()) == []


def test_ids_never_repeat_after_a_reset_or_a_restart_without_the_file(tmp_path):
    with start_server() as first:
        graph = Graph(first)
        token = page_token(graph, grant_token(graph, scopes=SCOPES), PAGE)
        ids = [_post(graph, token, "one")]
        first.state.reset()  # forgets every object and token
        token = page_token(graph, grant_token(graph, scopes=SCOPES), PAGE)
        ids.append(_post(graph, token, "two"))
    with start_server() as second:  # a new process would start the same way: no file
        graph = Graph(second)
        token = page_token(graph, grant_token(graph, scopes=SCOPES), PAGE)
        ids.append(_post(graph, token, "three"))

    assert len(set(ids)) == 3
    assert all(len(post_id.split("_")[1]) == 16 for post_id in ids)  # Graph's id shape kept


def test_a_media_check_cut_short_by_a_restart_fails_as_retryable(tmp_path):
    state_file = tmp_path / "state.json"
    first = create_app(state_file=state_file).state
    never = threading.Event()
    with first.lock:
        container = IgContainer(
            id=first.objects.new_id("ig_container"),
            owner_id=seed.IG_COFFEE_ID,
            created_at=first.now(),
            media_type="REELS",
            video_url="https://media.test/reel.mp4",
            processing_from=first.now() - 3600,
        )
        first.objects.add(container)
        first.objects.jobs[container.id] = MediaJob(never.wait)  # still "downloading"
    first.save()
    never.set()

    second = create_app(state_file=state_file).state

    with second.lock:
        restored = second.objects.get(container.id, IgContainer)
        assert lifecycle.container_status(second, restored) == lifecycle.ERROR
        assert restored.error["error_subcode"] == 2207001  # Meta's "try again" server error


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_runner(port, state_file):
    command = [sys.executable, "-m", "meta_sandbox", "--port", str(port)]
    command += ["--state-file", str(state_file)]
    quiet = subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, stdout=quiet, stderr=quiet)  # noqa: S603


def _wait_until_serving(url):
    deadline = time.monotonic() + 15
    while True:
        try:
            return requests.get(f"{url}/_sandbox/state", timeout=1)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_runner_killed_with_sigkill_still_knows_its_tokens(tmp_path):
    """The reported bug: after a restart the sandbox had forgotten every token."""
    port, state_file = _free_port(), tmp_path / "var" / "meta_sandbox" / "state.json"
    url = f"http://127.0.0.1:{port}"
    process = _start_runner(port, state_file)
    try:
        _wait_until_serving(url)
        token = requests.post(
            f"{url}/_sandbox/tokens", json={"user_id": seed.ALEX_ID, "scopes": SCOPES}, timeout=5
        ).json()["access_token"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

        process = _start_runner(port, state_file)
        _wait_until_serving(url)
        tokens = requests.get(f"{url}/_sandbox/state", timeout=5).json()["tokens"]
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert [t["access_token"] for t in tokens] == [token]
    assert process.returncode == 0  # SIGTERM stops it cleanly
