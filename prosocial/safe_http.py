"""The one SSRF-safe fetcher: every user-supplied URL is fetched through here (ARCHITECTURE §5).

Owns:
    the checks that decide whether a URL may be fetched at all, the connection to the address
    that was checked, manual redirects, and the size and time caps. Callers are the campaign
    brief (product pages) and preflight (can Meta download this media URL?); nothing else may
    fetch a URL a user typed or a third party handed us.

Invariants:
    - Only ``http``/``https`` on ports 80 and 443, no ``user:password@``, and a host name that
      is IDNA-normalised (a full-width ``localhost`` is checked as ``localhost``).
    - The host is resolved exactly once per hop with :func:`socket.getaddrinfo`, and the fetch
      is refused if *any* answer is not a public address (see :func:`is_public_address`): a
      name answering both ``93.184.216.34`` and ``10.0.0.5`` is refused, not raced.
    - The connection goes to the checked IP itself (resolve-then-pin), so a second DNS answer
      cannot swap in another address (DNS rebinding).
    - Every redirect is followed by hand and re-checked from scratch: scheme, port, resolution.
    - One wall-clock deadline covers connect, headers, body and every redirect: socket timeouts
      catch a silent server, and a watchdog timer shuts the socket for one that trickles bytes.
    - A body over the cap is refused while streaming, never held whole (``probe`` truncates).
    - ``SAFE_HTTP_ALLOWED_HOSTS`` (or ``allowed_hosts=``) names the hosts exempt from the
      address and port checks: the dev/test sandbox on 127.0.0.1. An entry ``host:port``
      exempts that port only (development allows just the sandbox's and the app's own ports,
      so a URL can't reach Redis or PostgreSQL on loopback); a bare ``host`` exempts every
      port. Production's list is empty.

How the pinning works:
    urllib3's ``HTTPConnection``/``HTTPSConnection`` is opened to the pinned IP, with the
    original name sent as ``Host`` and, for HTTPS, used for SNI (``server_hostname``) and for
    certificate matching (``assert_hostname``); certificates are verified against the
    operating system's CA store (so OpenSSL's ``SSL_CERT_FILE`` works, which the tests use).
    One connection per hop, no pool, no proxy and no retries: a pool keyed by IP could hand a
    kept-alive connection to a different host name, ``HTTP(S)_PROXY`` would make the proxy
    resolve the name again, and a transparent retry could reconnect somewhere unchecked.
    ``requests`` would need a custom adapter overriding several private pool hooks to do the
    same; talking to urllib3's public connection classes is smaller and easier to audit.

Errors:
    :class:`UnsafeURLError` when a URL is refused, :class:`SafeFetchError` when the network,
    the size cap or the time cap fails. Both are :class:`~prosocial.errors.UserFacingError`:
    the message says what went wrong without echoing internal DNS answers.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import idna
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from urllib3.response import HTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from prosocial.errors import UserFacingError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = {"http": 80, "https": 443}
ALLOWED_PORTS = frozenset(ALLOWED_SCHEMES.values())
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PROBE_BYTES = 64 * 1024  # enough to sniff any media container's header
CHUNK_BYTES = 64 * 1024
USER_AGENT = "ProSocial link check"

# After IDNA, a host name is dot-separated LDH labels (underscores occur in real DNS names).
# Anything else (%, empty labels, spaces) never reaches the resolver.
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$")

_PRIVATE = gettext_lazy("a private address")
_RESERVED = gettext_lazy("a reserved address")
_LOOPBACK = gettext_lazy("a loopback address (this server)")
_LINK_LOCAL = gettext_lazy("a link-local address")
_MULTICAST = gettext_lazy("a multicast address")
_UNSPECIFIED = gettext_lazy("an unspecified address")
_TUNNEL = gettext_lazy("a tunnel address")

# Named explicitly, not left to ipaddress.is_global alone: Python's classification changed in
# 3.12.4/3.13 (CVE-2024-4032), and the table also gives each refusal its human-readable kind.
# Order matters only for the label: specific networks come before the ranges that contain them.
_NON_PUBLIC_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, Promise], ...] = (
    (ipaddress.IPv4Network("0.0.0.0/8"), _UNSPECIFIED),  # Linux connects 0.0.0.0 to localhost
    (ipaddress.IPv4Network("10.0.0.0/8"), _PRIVATE),
    (ipaddress.IPv4Network("100.64.0.0/10"), _PRIVATE),  # carrier-grade NAT, RFC 6598
    (ipaddress.IPv4Network("127.0.0.0/8"), _LOOPBACK),
    (ipaddress.IPv4Network("169.254.0.0/16"), _LINK_LOCAL),  # cloud metadata 169.254.169.254
    (ipaddress.IPv4Network("172.16.0.0/12"), _PRIVATE),
    (ipaddress.IPv4Network("192.0.0.0/24"), _RESERVED),
    (ipaddress.IPv4Network("192.0.2.0/24"), _RESERVED),
    (ipaddress.IPv4Network("192.168.0.0/16"), _PRIVATE),
    (ipaddress.IPv4Network("198.18.0.0/15"), _RESERVED),
    (ipaddress.IPv4Network("198.51.100.0/24"), _RESERVED),
    (ipaddress.IPv4Network("203.0.113.0/24"), _RESERVED),
    (ipaddress.IPv4Network("224.0.0.0/4"), _MULTICAST),
    (ipaddress.IPv4Network("240.0.0.0/4"), _RESERVED),  # includes broadcast 255.255.255.255
    (ipaddress.IPv6Network("::/128"), _UNSPECIFIED),
    (ipaddress.IPv6Network("::1/128"), _LOOPBACK),
    (ipaddress.IPv6Network("64:ff9b:1::/48"), _PRIVATE),  # local-use NAT64, RFC 8215
    (ipaddress.IPv6Network("::/8"), _RESERVED),  # IPv4-compatible and IPv4-translated forms
    (ipaddress.IPv6Network("100::/64"), _RESERVED),
    (ipaddress.IPv6Network("2001::/32"), _TUNNEL),  # Teredo
    (ipaddress.IPv6Network("2001:db8::/32"), _RESERVED),
    (ipaddress.IPv6Network("2002::/16"), _TUNNEL),  # 6to4
    (ipaddress.IPv6Network("fc00::/7"), _PRIVATE),
    (ipaddress.IPv6Network("fe80::/10"), _LINK_LOCAL),
    (ipaddress.IPv6Network("fec0::/10"), _PRIVATE),  # deprecated site-local
    (ipaddress.IPv6Network("ff00::/8"), _MULTICAST),
)
# The well-known NAT64 prefix: on DNS64 networks every IPv4-only site resolves to
# 64:ff9b::a.b.c.d, so it is judged by the IPv4 address it carries (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class SafeFetchError(UserFacingError):
    """The fetch failed: network error, timeout, or a response over the size cap."""


class UnsafeURLError(SafeFetchError):
    """The URL was refused before any connection was made to it."""


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch; ``url`` is the final URL, after ``redirects``."""

    url: str
    status: int
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    content_type: str  # media type only, lower-case ("text/html"); "" when absent
    redirects: tuple[str, ...]  # every URL that answered with a redirect, in order
    elapsed: float  # seconds, wall clock, all hops
    peer_ip: str  # the pinned address the final response came from
    truncated: bool = False  # only probe() truncates; fetch() raises instead


@dataclass(frozen=True)
class ProbeResult:
    """What a downloader such as Meta's would see at the start of a media URL."""

    url: str
    status: int
    content_type: str
    content_length: int | None  # the whole file's size when the server told us
    accepts_ranges: bool
    first_bytes: bytes  # at most the probe's cap, for sniffing the container
    redirects: tuple[str, ...]
    elapsed: float
    peer_ip: str


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII, lower-case; an IP literal without brackets
    port: int
    path: str  # path and query, percent-encoded, never empty

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == ALLOWED_SCHEMES[self.scheme] else f"{host}:{self.port}"


def fetch(
    url: str,
    *,
    method: str = "GET",
    max_bytes: int | None = None,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> FetchResult:
    """Fetch ``url`` if it and every redirect lead only to public addresses.

    Non-2xx answers are returned, not raised. A body longer than ``max_bytes`` (default
    ``SAFE_HTTP_MAX_BYTES``) raises :class:`SafeFetchError` rather than returning a silently
    cut document. ``timeout`` (default ``SAFE_HTTP_TIMEOUT_SECONDS``) bounds the whole fetch,
    redirects and body included, except DNS resolution, which the OS resolver times itself.
    ``allowed_hosts`` replaces ``SAFE_HTTP_ALLOWED_HOSTS``; pass ``[]`` to allow nothing.
    Raises :class:`UnsafeURLError` for a refused URL or redirect.
    """
    return _fetch(
        url,
        method=method,
        max_bytes=settings.SAFE_HTTP_MAX_BYTES if max_bytes is None else max_bytes,
        timeout=timeout,
        headers=headers or {},
        allowed_hosts=allowed_hosts,
        truncate=False,
    )


def probe(
    url: str,
    *,
    max_bytes: int = PROBE_BYTES,
    timeout: float | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> ProbeResult:
    """Check that a media URL downloads: status, type and size, from its first bytes only.

    Asks for ``Range: bytes=0-…`` and stops reading after ``max_bytes`` whether or not the
    server honoured the range, so a multi-gigabyte video costs one small read. Refusals and
    network failures raise as in :func:`fetch`.
    """
    result = _fetch(
        url,
        method="GET",
        max_bytes=max_bytes,
        timeout=timeout,
        headers={"Range": f"bytes=0-{max_bytes - 1}"},
        allowed_hosts=allowed_hosts,
        truncate=True,
    )
    return ProbeResult(
        url=result.url,
        status=result.status,
        content_type=result.content_type,
        content_length=_full_length(result),
        accepts_ranges=result.status == 206 or result.headers.get("accept-ranges") == "bytes",
        first_bytes=result.body,
        redirects=result.redirects,
        elapsed=result.elapsed,
        peer_ip=result.peer_ip,
    )


def is_public_address(address: IPAddress) -> bool:
    """Return whether ``address`` is one ProSocial may connect to for a user's URL."""
    return _non_public_kind(address) is None


def non_public_kind(address: IPAddress) -> str | None:
    """Return what kind of non-public address this is ("a private address", …), or None.

    The one address policy: the fetcher refuses these, and ``can_meta_fetch`` (signed media
    URLs) reports them, so both agree on every address. IPv4-mapped and NAT64 forms are judged
    by the IPv4 address they carry.
    """
    kind = _non_public_kind(address)
    return None if kind is None else str(kind)


def _fetch(
    url: str,
    *,
    method: str,
    max_bytes: int,
    timeout: float | None,
    headers: Mapping[str, str],
    allowed_hosts: Iterable[str] | None,
    truncate: bool,
) -> FetchResult:
    if method not in {"GET", "HEAD"}:
        raise ValueError(f"safe_http fetches with GET or HEAD, not {method}")
    allowed = _allowlist(
        settings.SAFE_HTTP_ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts
    )
    started = time.monotonic()
    deadline = started + (settings.SAFE_HTTP_TIMEOUT_SECONDS if timeout is None else timeout)
    redirects: list[str] = []
    while True:
        target = _check_url(url, allowed, redirected=bool(redirects))
        addresses = _resolve(target, allowed, redirected=bool(redirects))
        connection, sock, peer_ip = _connect(target, addresses, deadline)
        watchdog = _Watchdog(sock, deadline)
        try:
            response = _send(connection, target, method, headers, deadline)
            location = response.headers.get("location")
            if response.status in REDIRECT_STATUSES and location:
                redirects.append(url)
                if len(redirects) > settings.SAFE_HTTP_MAX_REDIRECTS:
                    raise SafeFetchError(
                        _("{host} redirected more than {count} times.").format(
                            host=target.host, count=settings.SAFE_HTTP_MAX_REDIRECTS
                        )
                    )
                url = urljoin(url, location)
                continue
            body, truncated = _read_body(response, target, max_bytes=max_bytes, truncate=truncate)
        except SafeFetchError:
            if watchdog.fired:
                raise _timed_out(target) from None
            raise
        finally:
            watchdog.cancel()
            connection.close()
        if watchdog.fired:  # a body ended by closing looks complete after the shutdown
            raise _timed_out(target)
        return FetchResult(
            url=url,
            status=response.status,
            headers={name.lower(): response.headers[name] for name in response.headers},
            body=body,
            content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
            redirects=tuple(redirects),
            elapsed=time.monotonic() - started,
            peer_ip=peer_ip,
            truncated=truncated,
        )


Allowlist = frozenset[tuple[str, int | None]]


def _allowlist(entries: Iterable[str]) -> Allowlist:
    """Parse ``host`` / ``host:port`` / ``[v6]:port`` entries into (host, port or None) pairs."""
    parsed: set[tuple[str, int | None]] = set()
    for entry in entries:
        text = entry.strip().lower()
        host, _colon, port = text.rpartition(":")
        if host and port.isdigit() and (host.startswith("[") or ":" not in host):
            parsed.add((host.strip("[]"), int(port)))
        else:
            parsed.add((text.strip("[]"), None))
    return frozenset(parsed)


def is_allowlisted(url: str) -> bool:
    """Whether ``SAFE_HTTP_ALLOWED_HOSTS`` exempts ``url``'s host and port (development hosts).

    Callers that hold links to a stricter rule than fetching (https only) use it to let the
    same development hosts through; it never loosens what ``fetch`` itself refuses.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or ALLOWED_SCHEMES.get(parts.scheme, 0)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return bool(host) and _exempt(host, port, _allowlist(settings.SAFE_HTTP_ALLOWED_HOSTS))


def _exempt(host: str, port: int, allowed: Allowlist) -> bool:
    """Whether the allowlist lets ``host:port`` skip the address and port checks."""
    return (host, None) in allowed or (host, port) in allowed


def _check_url(url: str, allowed: Allowlist, *, redirected: bool) -> _Target:
    """Parse ``url`` and refuse every form we do not fetch, before any resolution."""
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise _refuse(_("The address contains spaces or control characters."), redirected)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise _refuse(_("Only http:// and https:// addresses can be fetched."), redirected)
    if "@" in parts.netloc:
        raise _refuse(
            _("Addresses with a user name or password (user@host) are not fetched."), redirected
        )
    host = _normalise_host(parts.hostname or "", redirected)
    try:
        port = ALLOWED_SCHEMES[scheme] if parts.port is None else parts.port
    except ValueError:
        raise _refuse(_("The address has an invalid port."), redirected) from None
    if port not in ALLOWED_PORTS and not _exempt(host, port, allowed):
        raise _refuse(
            _("Port {port} is not allowed; ProSocial only fetches ports 80 and 443.").format(
                port=port
            ),
            redirected,
        )
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return _Target(scheme=scheme, host=host, port=port, path=path)


def _normalise_host(host: str, redirected: bool) -> str:
    """Return ``host`` as the ASCII name or IP literal that gets resolved and allowlisted."""
    # "example.com." is the same name as "example.com": drop the root's dot so IP literals and
    # the allowlist see one spelling.
    host = host.removesuffix(".")
    if not host:
        raise _refuse(_("The address has no host name."), redirected)
    if (literal := _as_ip(host)) is not None:
        return str(literal)
    # Not an IP literal: a name, including numeric forms only the OS resolver reads.
    try:
        ascii_host = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise _refuse(_("The host name is not valid."), redirected) from None
    ascii_host = ascii_host.lower()
    if not _HOST_NAME.match(ascii_host):
        raise _refuse(_("The host name is not valid."), redirected)
    return ascii_host


def _resolve(target: _Target, allowed: Allowlist, *, redirected: bool) -> list[str]:
    """Resolve the host once and return its addresses, all checked public (or allowlisted).

    An IP literal is its own answer: it is judged as written, with no resolver involved.
    """
    literal = _as_ip(target.host)
    addresses = [target.host] if literal is not None else _getaddrinfo(target)
    if _exempt(target.host, target.port, allowed):
        return addresses
    for address in addresses:
        kind = _non_public_kind(ipaddress.ip_address(address))
        if kind is None:
            continue
        logger.warning("safe_http refused host %s: %s", target.host, kind)
        if literal is not None:
            reason = _("{host} is {kind}; ProSocial only fetches public addresses.")
        else:
            reason = _("{host} points to {kind}; ProSocial only fetches public addresses.")
        raise _refuse(reason.format(host=target.host, kind=kind), redirected)
    return addresses


def _getaddrinfo(target: _Target) -> list[str]:
    """Return every address the OS resolver gives for the host, in its order, without repeats.

    The OS, not our parser, reads numeric forms such as ``2130706433`` or ``0x7f.1``, so
    whatever it would connect to is exactly what gets checked.
    """
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        answers = []
    # sockaddr[0] is the IP string for both AF_INET and AF_INET6.
    addresses = list(dict.fromkeys(str(sockaddr[0]) for *_rest, sockaddr in answers))
    if not addresses:
        raise SafeFetchError(_("The host {host} could not be found.").format(host=target.host))
    return addresses


def _as_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _non_public_kind(address: IPAddress) -> Promise | None:
    """Return what kind of non-public address this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return _non_public_kind(embedded)
        address = ipaddress.IPv6Address(int(address))  # drop any %scope before comparing
    for network, kind in _NON_PUBLIC_NETWORKS:
        if address in network:
            return kind
    # Backstop for IANA special-purpose ranges the table does not name.
    return None if address.is_global else _RESERVED


def _refuse(reason: str, redirected: bool) -> UnsafeURLError:
    if redirected:
        return UnsafeURLError(
            _("The link redirects to an address ProSocial won't fetch. {reason}").format(
                reason=reason
            )
        )
    return UnsafeURLError(reason)


def _connect(
    target: _Target, addresses: list[str], deadline: float
) -> tuple[HTTPConnection, socket.socket, str]:
    """Open a connection to the first checked address that answers; never re-resolve."""
    failure: Exception | None = None
    for address in addresses:
        connection = _connection_to(target, address, _remaining(deadline, target))
        try:
            connection.connect()
        except (Urllib3HTTPError, OSError, CertificateError) as error:
            connection.close()
            failure = error
            if isinstance(error, ssl.SSLError | CertificateError):
                break  # the name's certificate is wrong; another address won't fix it
            continue
        # Keep our own handle: http.client drops connection.sock on "Connection: close".
        return connection, connection.sock, address
    raise _network_error(failure, target) from failure


def _connection_to(target: _Target, address: str, timeout: float) -> HTTPConnection:
    if target.scheme == "https":
        return HTTPSConnection(
            address,
            target.port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,  # SNI
            assert_hostname=target.host,  # certificate must name the host, not the IP
        )
    return HTTPConnection(address, target.port, timeout=timeout)


def _send(
    connection: HTTPConnection,
    target: _Target,
    method: str,
    headers: Mapping[str, str],
    deadline: float,
) -> HTTPResponse:
    sent = {name: value for name, value in headers.items() if name.lower() != "host"}
    sent.setdefault("User-Agent", USER_AGENT)
    # No compression: the size cap then counts what we hold, with no decompression bomb.
    sent["Accept-Encoding"] = "identity"
    sent["Host"] = target.host_header
    try:
        connection.timeout = _remaining(deadline, target)
        connection.request(
            method, target.path, headers=sent, preload_content=False, decode_content=False
        )
        return connection.getresponse()
    except (Urllib3HTTPError, OSError, http.client.HTTPException) as error:
        raise _network_error(error, target) from error


def _read_body(
    response: HTTPResponse, target: _Target, *, max_bytes: int, truncate: bool
) -> tuple[bytes, bool]:
    """Stream the body, stopping at ``max_bytes``: truncating for probes, raising otherwise."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(target, max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= max_bytes:
            chunk = response.read1(min(CHUNK_BYTES, max_bytes + 1 - size))
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
    except (Urllib3HTTPError, OSError, http.client.HTTPException) as error:
        raise _network_error(error, target) from error
    if truncate:
        return b"".join(chunks)[:max_bytes], True
    raise _too_large(target, max_bytes)


class _Watchdog:
    """Shut the socket down at the deadline, however the server is trickling bytes.

    Socket timeouts only bound the silence between two packets: a server sending one header
    byte every second never trips them. Shutting the socket down from a timer makes the
    blocked read return at the deadline; ``fired`` then tells the caller why it ended.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.fired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire, [sock])
        self._timer.daemon = True
        self._timer.start()

    def _fire(self, sock: socket.socket) -> None:
        self.fired = True
        # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would unwrap the TLS
        # state under the reading thread's feet instead of just ending its read.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _remaining(deadline: float, target: _Target) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(target)
    return remaining


def _full_length(result: FetchResult) -> int | None:
    """Return the whole file's size from Content-Range (206) or Content-Length (200)."""
    if result.status == 206:
        total = result.headers.get("content-range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    declared = result.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


def _network_error(error: BaseException | None, target: _Target) -> SafeFetchError:
    if isinstance(error, TimeoutError) or (
        isinstance(error, Urllib3TimeoutError) and not isinstance(error, NewConnectionError)
    ):
        return _timed_out(target)
    if isinstance(error, ssl.SSLError | CertificateError):
        return SafeFetchError(
            _("The secure connection to {host} could not be verified.").format(host=target.host)
        )
    return SafeFetchError(_("Could not connect to {host}.").format(host=target.host))


def _timed_out(target: _Target) -> SafeFetchError:
    return SafeFetchError(_("{host} took too long to answer.").format(host=target.host))


def _too_large(target: _Target, max_bytes: int) -> SafeFetchError:
    return SafeFetchError(
        _("The response from {host} is larger than the {limit} bytes allowed.").format(
            host=target.host, limit=max_bytes
        )
    )
