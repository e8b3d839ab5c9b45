"""Serving the sandbox over HTTP, on loopback addresses only.

`make_sandbox_server()` wraps werkzeug's threaded dev server; both the command-line
runner and `meta_sandbox.testing` use it. Binding to anything but a loopback address
is refused: the sandbox hands out tokens to anyone who asks and must never be
reachable from another machine.
"""

import ipaddress
import re
import socket
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from meta_sandbox.app import SandboxApp

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


UNDERSCORE_HEADERS = "meta_sandbox.underscore_headers"
# Query parameters whose values are credentials: never printed in the request log.
SECRET_PARAMS = re.compile(
    r"(?i)\b(access_token|input_token|appsecret_proof|client_secret|fb_exchange_token|code)=[^&#\s]*"
)


class SandboxRequestHandler(WSGIRequestHandler):
    """Keep headers whose names contain `_`, which werkzeug leaves out of the environ.

    Meta's rupload endpoints take `file_size` and `file_url` headers (GRAPH_NOTES §2.3);
    they reach the app as `environ["meta_sandbox.underscore_headers"]`.
    """

    def make_environ(self) -> "WSGIEnvironment":
        environ = super().make_environ()
        environ[UNDERSCORE_HEADERS] = [(k, v) for k, v in self.headers.items() if "_" in k]
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Print the request line with tokens, secrets and codes masked (`make run` shows it)."""
        self.path = SECRET_PARAMS.sub(r"\1=[redacted]", self.path)
        super().log_request(code, size)


class QuietRequestHandler(SandboxRequestHandler):
    """Handler that does not print a line per request (tests read the request log instead)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


def is_loopback(host: str) -> bool:
    """Return True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses
    )


def make_sandbox_server(
    app: SandboxApp, *, host: str, port: int, quiet: bool = False
) -> BaseWSGIServer:
    """Return a bound, threaded server for `app`; raise ValueError for a non-loopback host."""
    if not is_loopback(host):
        raise ValueError(f"meta_sandbox only binds to loopback addresses, not {host!r}")
    handler = QuietRequestHandler if quiet else SandboxRequestHandler
    return make_server(host, port, app, threaded=True, request_handler=handler)
