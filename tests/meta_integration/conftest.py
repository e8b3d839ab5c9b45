"""Fixtures for the Graph client tests.

The sandbox itself is the session-wide `sandbox` fixture of tests/conftest.py (one real
server on 127.0.0.1, reseeded per test, with META_GRAPH_URL/META_DIALOG_URL pointing at
it). These fixtures add what the client tests need on top: instant, recorded retry
waits, a collected trace, and two stand-ins for a broken network: a real HTTP server
that answers with canned non-JSON pages (like a proxy's error page) and a port nobody
listens on.
"""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from meta_integration import graph


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Replace the client's sleep with a recorder and make jitter return its upper bound."""
    waits: list[float] = []
    monkeypatch.setattr(graph, "sleep", waits.append)
    monkeypatch.setattr(graph, "jitter", lambda upper: upper)
    return waits


@pytest.fixture
def records() -> list[graph.GraphCallRecord]:
    return []


@dataclass
class CannedServer:
    """A real HTTP server answering each request with the next canned response."""

    server: ThreadingHTTPServer
    responses: list[tuple[int, str, bytes]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # request paths, query stripped

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.responses.append((status, content_type, body))


class _CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    canned: CannedServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        canned = self.server.canned  # type: ignore[attr-defined]
        canned.paths.append(f"{self.command} {self.path.split('?')[0]}")
        status, content_type, body = (
            canned.responses.pop(0) if len(canned.responses) > 1 else canned.responses[0]
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def canned_server(settings) -> Iterator[CannedServer]:
    """Point the Graph client at a server that answers with canned (non-JSON) bodies."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CannedHandler)
    canned = CannedServer(server)
    server.canned = canned  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.META_GRAPH_URL = canned.url
    yield canned
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def unreachable_graph(settings) -> str:
    """Point the Graph client at a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.META_GRAPH_URL = f"http://127.0.0.1:{port}"
    return settings.META_GRAPH_URL
