"""A stand-in for the app's webhook endpoint on 127.0.0.1, for the sandbox's webhook tests.

It answers Meta's verification handshake (GRAPH_NOTES §7.1) when `hub.verify_token` is its
`verify_token`, records every request (method, path, query, headers, raw body) and answers
POSTs with the statuses queued by `answer(...)`, then 200.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from meta_sandbox import seed
from tests.meta_sandbox.helpers import APP_ID, APP_TOKEN, Graph, grant_token, page_token

VERIFY_TOKEN = "verify-me-please"
PAGE_SCOPES = ["pages_show_list", "pages_manage_metadata", "pages_messaging"]


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    verify_token: str = VERIFY_TOKEN
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    challenge_reply: bytes | None = None  # answer the handshake with this instead
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/"

    def posts(self) -> list[Received]:
        return [request for request in list(self.received) if request.method == "POST"]

    def gets(self) -> list[Received]:
        return [request for request in list(self.received) if request.method == "GET"]

    def answer(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses (then 200 again)."""
        self.statuses.extend(statuses)

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _record(self, body: bytes) -> Received:
                parts = urlsplit(self.path)
                request = Received(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers), body
                )
                receiver.received.append(request)
                return request

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                query = self._record(b"").query
                if query.get("hub.verify_token") != [receiver.verify_token]:
                    self._reply(403, b"Forbidden")
                    return
                challenge = query.get("hub.challenge", [""])[0].encode()
                self._reply(200, receiver.challenge_reply or challenge)

            def do_POST(self) -> None:
                self._record(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self._reply(status, b"EVENT_RECEIVED" if status == 200 else b"nope")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def subscribe_app(
    graph: Graph, url: str, object_type: str, fields: str, verify_token: str = VERIFY_TOKEN
) -> Any:
    """POST /{app-id}/subscriptions with the app token; return the response."""
    return graph.request(
        "POST",
        f"/{APP_ID}/subscriptions",
        APP_TOKEN,
        object=object_type,
        callback_url=url,
        fields=fields,
        verify_token=verify_token,
    )


def install_on_page(
    graph: Graph,
    page_id: str = seed.PAGE_COFFEE_ID,
    fields: str = "feed,messages",
    scopes: list[str] | None = None,
) -> str:
    """Subscribe a Page (subscribed_apps) with a Page token; return that token."""
    user_token = grant_token(graph, scopes=PAGE_SCOPES if scopes is None else scopes)
    token = page_token(graph, user_token, page_id)
    response = graph.request("POST", f"/{page_id}/subscribed_apps", token, subscribed_fields=fields)
    assert response.status_code == 200, response.text
    return token
