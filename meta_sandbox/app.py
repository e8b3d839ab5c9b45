"""The sandbox's WSGI application: `create_app(...)` returns a `SandboxApp`.

For a Graph request it strips the `/vNN.0` prefix (echoing it in
`Facebook-API-Version`), applies the first matching fault (latency, dropped
connection, error, extra headers), answers through the route table, and records the
request in the log. A fault with `after_write` lets the request run first (so a
create really happens) and then applies its latency, drop or error to the answer:
the "unknown outcome" a client must reconcile by reading state. `/_sandbox/...` requests (test API, console, placeholder media)
bypass versions, faults and the log. After every request the state file, if there is
one, is brought up to date.
"""

import contextlib
import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.wrappers import Request, Response

import meta_sandbox.endpoints  # noqa: F401 - importing it registers every @route
from meta_sandbox import config
from meta_sandbox.clock import Clock, SandboxClock
from meta_sandbox.dispatch import answer, dispatch, error_response, json_response
from meta_sandbox.errors import GraphError
from meta_sandbox.faults import Fault
from meta_sandbox.routing import GraphRequest, candidates, split_version
from meta_sandbox.state import SandboxSettings, SandboxState

logger = logging.getLogger(__name__)

SANDBOX_PREFIX = "/_sandbox"


def _body(request: Request) -> tuple[MultiDict[str, str], Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        if isinstance(data, dict):
            flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
            return MultiDict(flat), data
        return MultiDict(), data
    return MultiDict(request.form), None


def _headers(request: Request) -> Headers:
    """Return the request headers, plus the `file_size`-style ones the server kept aside."""
    headers = Headers(list(request.headers.items()))
    for name, value in request.environ.get("meta_sandbox.underscore_headers", []):
        headers.add(name, value)
    return headers


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection without answering, then abort the request.

    werkzeug's dev server puts the socket in `werkzeug.socket` and treats a
    ConnectionError from the app as a dropped connection: it writes nothing.
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("meta_sandbox fault: connection dropped")


class SandboxApp:
    """A WSGI callable serving the sandbox; `app.state` is its `SandboxState`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.handle(request)
        finally:  # a dropped connection (fault) may follow a write too
            self._save()
        return response(environ, start_response)

    def _save(self) -> None:
        try:
            self.state.save()
        except OSError:
            # The request itself worked; failing it now would tell the app it did not.
            logger.exception("meta_sandbox: the state file could not be written")

    def handle(self, request: Request) -> Response:
        path = "/" + request.path.strip("/")
        if path == "/favicon.ico":  # browsers ask on every dialog view; keep it out of the log
            return Response(status=404)
        if path == SANDBOX_PREFIX or path.startswith(SANDBOX_PREFIX + "/"):
            return self._handle_sandbox(request, path)
        return self._handle_graph(request, path)

    def _graph_request(self, request: Request, path: str, version: str) -> GraphRequest:
        form, data = _body(request)
        files = MultiDict(request.files) if request.mimetype == "multipart/form-data" else None
        raw = b"" if request.is_json or request.form or files else request.get_data()
        return GraphRequest(
            method=request.method,
            path=path,
            version=version,
            query=MultiDict(request.args),
            form=form,
            headers=_headers(request),
            base_url=request.host_url.rstrip("/"),
            json=data,
            files=files or MultiDict(),
            body=raw,
        )

    def _handle_sandbox(self, request: Request, path: str) -> Response:
        segments = [part for part in path.split("/") if part]
        if not candidates(request.method, segments):
            return json_response(
                {"error": {"message": f"No sandbox endpoint {request.method} {path}"}}, 404
            )
        return dispatch(self.state, self._graph_request(request, path, ""))

    def _handle_graph(self, request: Request, raw_path: str) -> Response:
        state = self.state
        default = state.settings.default_api_version
        fault = None
        try:
            version, path = split_version(raw_path, default)
        except GraphError as error:
            version, path, response = default, raw_path, error_response(error)
        else:
            fault = state.take_fault(request.method, path)
            after = fault is not None and fault.after_write
            if not after:
                self._delay_or_drop(request, path, fault)
            response = answer(state, self._graph_request(request, path, version), fault)
            if after:
                # The request was handled (its write happened); now lose or stall the answer.
                self._delay_or_drop(request, path, fault)
        response.headers["Facebook-API-Version"] = version
        state.log_request(request.method, path, response.status_code, fault)
        return response

    def _delay_or_drop(self, request: Request, path: str, fault: Fault | None) -> None:
        if fault is None:
            return
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.drop:
            self.state.log_request(request.method, path, 0, fault)
            drop_connection(request.environ)


def create_app(
    *,
    app_id: str = config.DEFAULT_APP_ID,
    app_secret: str = config.DEFAULT_APP_SECRET,
    state: SandboxState | None = None,
    clock: Clock | None = None,
    settings: SandboxSettings | None = None,
    state_file: Path | None = None,
) -> SandboxApp:
    """Return a sandbox WSGI app with a fresh seeded state (or the one given).

    With `state_file` the state is loaded from that file when it exists and kept in it.
    """
    if state is None:
        state = SandboxState(
            app_id=app_id,
            app_secret=app_secret,
            clock=clock or SandboxClock(),
            initial_settings=settings or SandboxSettings(),
            state_file=state_file,
        )
    return SandboxApp(state)
