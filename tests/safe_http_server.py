"""A small local HTTP(S) server on 127.0.0.1 for tests/test_safe_http.py.

It serves the shapes the SSRF-safe fetcher must cope with (redirect chains, bodies over the cap,
servers that stall or drip, Range requests) and records what it received, so tests can assert
that a refused redirect target was never requested and that the Host header survived pinning.
"""

from __future__ import annotations

import datetime
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MEDIA = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 39  # 10,000 bytes, MP4-ish header
DRIP_BYTES = 50  # the drip route sends one byte every 0.1 s: 5 s at most, then stops by itself


@dataclass
class Seen:
    path: str
    host: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    """A running server; ``seen`` lists every request it received, in order."""

    server: ThreadingHTTPServer
    scheme: str
    seen: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.server.owner.seen.append(
            Seen(self.path, self.headers.get("Host", ""), dict(self.headers.items()))
        )
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        route = getattr(self, "route_" + parts.path.strip("/").replace("-", "_"), None)
        if route is None:
            self.reply(404, b"not here")
        else:
            route(query)

    def reply(self, status, body=b"", content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route_ok(self, query):
        self.reply(
            200,
            b"<h1>hello</h1>",
            "text/html; charset=utf-8",
            [("X-Seen-Host", self.headers.get("Host", ""))],
        )

    def route_big(self, query):
        self.reply(200, b"x" * int(query["n"]))

    def route_stream(self, query):
        # No Content-Length: HTTP/1.0 ends the body by closing, so only streaming can cap it.
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.wfile.write(b"y" * int(query["n"]))

    def route_drip(self, query):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        for _ in range(DRIP_BYTES):
            self.wfile.write(b".")
            self.wfile.flush()
            time.sleep(0.1)

    def route_drip_headers(self, query):
        # Each byte arrives well within any socket timeout; only a wall-clock deadline stops it.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(DRIP_BYTES):
            self.wfile.write(b"z")
            self.wfile.flush()
            time.sleep(0.1)

    def route_stall(self, query):
        time.sleep(float(query.get("seconds", "3")))
        self.reply(200, b"late")

    def route_redirect(self, query):
        self.reply(int(query.get("status", "302")), headers=[("Location", query["to"])])

    def route_hops(self, query):
        left = int(query["n"])
        if left == 0:
            self.reply(200, b"arrived")
        else:
            self.reply(302, headers=[("Location", f"/hops?n={left - 1}")])

    def route_media(self, query):
        """Honour ``Range: bytes=a-b`` like S3 and the app's signed media URLs do."""
        wanted = self.headers.get("Range", "")
        if not wanted.startswith("bytes="):
            self.reply(200, MEDIA, "video/mp4", [("Accept-Ranges", "bytes")])
            return
        first, last = (int(n) for n in wanted.removeprefix("bytes=").split("-"))
        last = min(last, len(MEDIA) - 1)
        self.reply(
            206,
            MEDIA[first : last + 1],
            "video/mp4",
            [("Accept-Ranges", "bytes"), ("Content-Range", f"bytes {first}-{last}/{len(MEDIA)}")],
        )

    def route_media_no_range(self, query):
        self.reply(200, MEDIA, "video/mp4")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up the test session's end

    def handle_error(self, request, client_address):
        # The timeout and size-cap tests hang up on purpose; a broken pipe here is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    owner: LocalServer


def start_server(tls: ssl.SSLContext | None = None) -> LocalServer:
    """Start a server on 127.0.0.1 with an ephemeral port; HTTPS when ``tls`` is given."""
    server = _Server(("127.0.0.1", 0), _Handler)
    local = LocalServer(server=server, scheme="https" if tls else "http")
    server.owner = local
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: local.sni.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    return local


def make_tls_files(directory: Path, hostname: str) -> tuple[Path, ssl.SSLContext]:
    """Write a test CA and return its path, plus a server context whose certificate names ``hostname``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "safe_http test CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    leaf_cert = (
        _builder(leaf_name, ca_name, leaf_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_path = directory / "server.pem"
    chain_path.write_bytes(
        leaf_cert.public_bytes(serialization.Encoding.PEM)
        + leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_path)
    return ca_path, context


def _builder(subject, issuer, public_key, now):
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
