"""Serving the sandbox over HTTP, on loopback addresses only.

`make_sandbox_server()` wraps werkzeug's threaded dev server; both the command-line
runner and `meta_sandbox.testing` use it. Binding to anything but a loopback address
is refused: the sandbox hands out tokens to anyone who asks and must never be
reachable from another machine.
"""

import ipaddress
import socket

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from meta_sandbox.app import SandboxApp


class QuietRequestHandler(WSGIRequestHandler):
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
    handler = QuietRequestHandler if quiet else WSGIRequestHandler
    return make_server(host, port, app, threaded=True, request_handler=handler)
