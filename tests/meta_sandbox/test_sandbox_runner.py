"""The command-line runner and `start_server`: loopback only, a real process, clean stop."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from meta_sandbox import config
from meta_sandbox.__main__ import main
from meta_sandbox.server import is_loopback
from meta_sandbox.testing import start_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::"])  # noqa: S104 - must be refused
def test_runner_refuses_non_loopback_hosts(host):
    assert main(["--host", host, "--port", "0"]) == 2


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 - checked, never bound
        ("192.168.1.9", False),
    ],
)
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runner_serves_with_the_given_credentials():
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "meta_sandbox",
        "--port",
        str(port),
        "--app-id",
        "42",
        "--app-secret",
        "s3",
    ]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, stdout=quiet, stderr=quiet)  # noqa: S603
    try:
        state = _wait_for_state(f"http://127.0.0.1:{port}")
        token = requests.get(
            f"http://127.0.0.1:{port}/oauth/access_token",
            params={"grant_type": "client_credentials", "client_id": "42", "client_secret": "s3"},
            timeout=5,
        ).json()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert state["app_id"] == "42"
    assert token["access_token"] == "42|s3"


def _wait_for_state(url):
    deadline = time.monotonic() + 15
    while True:
        try:
            return requests.get(f"{url}/_sandbox/state", timeout=1).json()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_start_server_uses_a_free_port_and_stops():
    with start_server(app_id="77") as running:
        assert running.url.startswith("http://127.0.0.1:")
        assert running.graph_url == f"{running.url}/{config.DEFAULT_API_VERSION}"
        assert requests.get(f"{running.url}/_sandbox/state", timeout=5).json()["app_id"] == "77"
        url = running.url

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/state", timeout=2)


def test_the_request_log_never_shows_tokens_or_secrets():
    """`make run` prints the sandbox's request lines: tokens, secrets and codes are masked."""
    port = _free_port()
    command = [sys.executable, "-m", "meta_sandbox", "--port", str(port), "--app-secret", "s3"]
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_state(url)
        secrets = {
            "access_token": "EAAZsecret-token",
            "appsecret_proof": "proof-of-secret",
            "client_secret": "s3",
            "code": "the-dialog-code",
        }
        requests.get(f"{url}/v25.0/me", params={"fields": "id", **secrets}, timeout=5)
    finally:
        process.terminate()
        _out, log = process.communicate(timeout=10)
    line = next(line for line in log.splitlines() if "/v25.0/me" in line)
    assert "fields=id" in line
    for name, value in secrets.items():
        assert value not in line
        assert f"{name}=[redacted]" in line
