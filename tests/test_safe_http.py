"""The SSRF-safe fetcher: hostile URLs are refused before any connection, real fetches work.

Traffic only ever goes to 127.0.0.1: ``_loopback_only`` fails any test that tries to connect
elsewhere, and DNS answers for ``.test`` names come from ``dns`` (a patched getaddrinfo), since
this machine has no resolver. Refusal tests pass ``allowed_hosts=[]`` because the test settings
allowlist 127.0.0.1 and localhost.
"""

import ipaddress
import socket
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import prosocial.settings as project
from prosocial.safe_http import (
    SafeFetchError,
    UnsafeURLError,
    fetch,
    is_public_address,
    probe,
)
from tests.safe_http_server import MEDIA, make_tls_files, start_server

LOOPBACK = "is a loopback address (this server); ProSocial only fetches public addresses."
LOOPBACK_NAME = (
    "points to a loopback address (this server); ProSocial only fetches public addresses."
)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Fail loudly if anything here tries to reach a non-loopback address."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = ipaddress.ip_address(address[0].split("%")[0])
            assert host.is_loopback, f"test tried to connect to {address[0]}"
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def dns(monkeypatch):
    """Return a dict of host name to the addresses getaddrinfo answers; others go to the OS."""
    answers: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        if not answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture(scope="module")
def server():
    local = start_server()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    ca_path, context = make_tls_files(tmp_path_factory.mktemp("tls"), "shop.test")
    local = start_server(context)
    local.ca_path = ca_path
    yield local
    local.stop()


# --- refused before any connection ----------------------------------------------------------

HOSTILE = [
    # Numeric IPv4 forms the OS resolver (inet_aton) reads as 127.0.0.1.
    ("http://2130706433/", "2130706433 " + LOOPBACK_NAME),
    ("http://0177.0.0.1/", "0177.0.0.1 " + LOOPBACK_NAME),
    ("http://0x7f.0.0.1/", "0x7f.0.0.1 " + LOOPBACK_NAME),
    ("http://0x7f000001/", "0x7f000001 " + LOOPBACK_NAME),
    ("http://127.1/", "127.1 " + LOOPBACK_NAME),
    ("http://127.0.0.1./", "127.0.0.1 " + LOOPBACK),
    ("http://localhost./", "localhost " + LOOPBACK_NAME),
    # Full-width characters, which IDNA maps to ASCII before anything else looks at the name.
    ("http://\uff10x\uff17f.\uff11/", "0x7f.1 " + LOOPBACK_NAME),
    (
        "http://\uff2c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",
        "localhost " + LOOPBACK_NAME,
    ),
    ("http://127.0.0.1/", "127.0.0.1 " + LOOPBACK),
    ("http://127.254.1.9/admin", "127.254.1.9 " + LOOPBACK),
    ("http://localhost/", "localhost " + LOOPBACK_NAME),
    ("http://LOCALHOST/", "localhost " + LOOPBACK_NAME),
    (
        "http://0.0.0.0/",
        "0.0.0.0 is an unspecified address; ProSocial only fetches public addresses.",
    ),
    ("http://0/", "0 points to an unspecified address; ProSocial only fetches public addresses."),
    ("http://10.0.0.5/", "10.0.0.5 is a private address; ProSocial only fetches public addresses."),
    (
        "https://172.16.3.4/",
        "172.16.3.4 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://192.168.1.1/",
        "192.168.1.1 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://100.64.0.1/",
        "100.64.0.1 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local address; ProSocial only fetches public addresses.",
    ),
    (
        "http://224.0.0.1/",
        "224.0.0.1 is a multicast address; ProSocial only fetches public addresses.",
    ),
    (
        "http://255.255.255.255/",
        "255.255.255.255 is a reserved address; ProSocial only fetches public addresses.",
    ),
    (
        "http://198.18.0.1/",
        "198.18.0.1 is a reserved address; ProSocial only fetches public addresses.",
    ),
    # IPv6 and the IPv6 forms that carry an IPv4 address.
    ("http://[::]/", ":: is an unspecified address; ProSocial only fetches public addresses."),
    ("http://[::1]/", "::1 " + LOOPBACK),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 " + LOOPBACK),
    (
        "http://[0:0:0:0:0:ffff:a00:5]/",
        "::ffff:10.0.0.5 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[::127.0.0.1]/",
        "::7f00:1 is a reserved address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[::8.8.8.8]/",
        "::808:808 is a reserved address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[64:ff9b::10.0.0.5]/",
        "64:ff9b::a00:5 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[64:ff9b::a9fe:a9fe]/",
        "64:ff9b::a9fe:a9fe is a link-local address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[64:ff9b:1::a00:5]/",
        "64:ff9b:1::a00:5 is a private address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[2002:7f00:1::]/",
        "2002:7f00:1:: is a tunnel address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2 is a tunnel address; ProSocial only fetches public addresses.",
    ),
    ("http://[fd00::1]/", "fd00::1 is a private address; ProSocial only fetches public addresses."),
    ("http://[fec0::1]/", "fec0::1 is a private address; ProSocial only fetches public addresses."),
    (
        "http://[fe80::1]/",
        "fe80::1 is a link-local address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[fe80::1%25eth0]/",
        "fe80::1%25eth0 is a link-local address; ProSocial only fetches public addresses.",
    ),
    (
        "http://[ff02::1]/",
        "ff02::1 is a multicast address; ProSocial only fetches public addresses.",
    ),
    # Userinfo, schemes, ports and malformed hosts.
    (
        "http://evil@127.0.0.1/",
        "Addresses with a user name or password (user@host) are not fetched.",
    ),
    (
        "http://example.com@127.0.0.1/",
        "Addresses with a user name or password (user@host) are not fetched.",
    ),
    (
        "http://example.com\\@127.0.0.1/",
        "Addresses with a user name or password (user@host) are not fetched.",
    ),
    (
        "http://user:pass@example.com/",
        "Addresses with a user name or password (user@host) are not fetched.",
    ),
    ("file:///etc/passwd", "Only http:// and https:// addresses can be fetched."),
    ("gopher://example.com:70/", "Only http:// and https:// addresses can be fetched."),
    ("ftp://example.com/", "Only http:// and https:// addresses can be fetched."),
    ("//example.com/", "Only http:// and https:// addresses can be fetched."),
    ("http:///path", "The address has no host name."),
    ("http://", "The address has no host name."),
    ("http://example.com:22/", "Port 22 is not allowed; ProSocial only fetches ports 80 and 443."),
    (
        "https://example.com:8443/",
        "Port 8443 is not allowed; ProSocial only fetches ports 80 and 443.",
    ),
    ("http://example.com:99999/", "The address has an invalid port."),
    ("http://example.com:0/", "Port 0 is not allowed; ProSocial only fetches ports 80 and 443."),
    ("http://exa mple.com/", "The address contains spaces or control characters."),
    ("http://example.com/\r\nX-Injected: 1", "The address contains spaces or control characters."),
    ("http://127.0.0.%31/", "The host name is not valid."),
    ("http://a..b/", "The host name is not valid."),
]


@pytest.mark.parametrize(("url", "message"), HOSTILE)
def test_hostile_url_is_refused(url, message):
    with pytest.raises(UnsafeURLError) as refused:
        fetch(url, allowed_hosts=[])

    assert refused.value.message == message


@pytest.mark.parametrize(
    ("host", "answers", "message"),
    [
        ("127.0.0.1.nip.io", ["127.0.0.1"], "127.0.0.1.nip.io " + LOOPBACK_NAME),
        (
            "metadata.google.internal",
            ["169.254.169.254"],
            "metadata.google.internal points to a link-local address; ProSocial only fetches public addresses.",
        ),
        # One private answer among public ones is enough: the fetch is refused, not raced.
        (
            "mixed.test",
            ["93.184.216.34", "10.0.0.5"],
            "mixed.test points to a private address; ProSocial only fetches public addresses.",
        ),
        (
            "mixed6.test",
            ["2606:2800:220:1:248:1893:25c8:1946", "::ffff:192.168.0.1"],
            "mixed6.test points to a private address; ProSocial only fetches public addresses.",
        ),
        (
            "rebind.test",
            ["fd12:3456::1", "93.184.216.34"],
            "rebind.test points to a private address; ProSocial only fetches public addresses.",
        ),
        ("bücher.test", ["127.0.0.1"], "xn--bcher-kva.test " + LOOPBACK_NAME),
    ],
)
def test_name_resolving_to_any_non_public_address_is_refused(dns, host, answers, message):
    dns[host.encode("idna").decode()] = answers

    with pytest.raises(UnsafeURLError) as refused:
        fetch(f"https://{host}/product", allowed_hosts=[])

    assert refused.value.message == message


def test_unknown_host_is_a_fetch_error_not_a_refusal(dns):
    dns["nowhere.test"] = []

    with pytest.raises(SafeFetchError) as failed:
        fetch("https://nowhere.test/", allowed_hosts=[])

    assert type(failed.value) is SafeFetchError
    assert failed.value.message == "The host nowhere.test could not be found."


def test_allowlisted_name_is_matched_after_normalisation_not_by_address(server):
    # 127.0.0.1 is allowlisted; 127.1 is the same address but not the same name.
    with pytest.raises(UnsafeURLError):
        fetch(f"http://127.1:{server.port}/ok", allowed_hosts=["127.0.0.1"])

    assert fetch(f"http://LOCALHOST:{server.port}/ok", allowed_hosts=["localhost"]).status == 200


def test_settings_allowlist_is_the_default(server, settings):
    settings.SAFE_HTTP_ALLOWED_HOSTS = []

    with pytest.raises(UnsafeURLError):
        fetch(f"{server.url}/ok")


def test_only_get_and_head_are_supported():
    with pytest.raises(ValueError, match="GET or HEAD"):
        fetch("https://example.com/", method="POST")


# --- property tests ---------------------------------------------------------------------------

NON_GLOBAL_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/32",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
]
PRIVATE_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "172.16.0.0/12", "192.168.0.0/16"]  # fmt: skip

non_global_addresses = st.sampled_from(NON_GLOBAL_NETWORKS).flatmap(
    lambda network: st.ip_addresses(network=network)
)
private_v4 = st.sampled_from(PRIVATE_V4).flatmap(lambda network: st.ip_addresses(network=network))


def _embeddings(v4: ipaddress.IPv4Address, filler: int) -> list[ipaddress.IPv6Address]:
    """Every IPv6 form that carries ``v4``: mapped, compatible, NAT64, 6to4 and Teredo."""
    v4_bits = int(v4)
    return [
        ipaddress.IPv6Address(0xFFFF << 32 | v4_bits),  # ::ffff:a.b.c.d
        ipaddress.IPv6Address(v4_bits),  # ::a.b.c.d
        ipaddress.IPv6Address(0x64FF9B << 96 | v4_bits),  # 64:ff9b::a.b.c.d
        ipaddress.IPv6Address(0x64FF9B0001 << 80 | (filler & 0xFFFF) << 32 | v4_bits),
        ipaddress.IPv6Address(0x2002 << 112 | v4_bits << 80 | (filler & (1 << 80) - 1)),
        # Teredo: 2001:0:server:flags:port:client, the client address stored inverted.
        ipaddress.IPv6Address(
            0x20010000 << 96 | (filler & (1 << 64) - 1) << 32 | (v4_bits ^ 0xFFFFFFFF)
        ),
    ]


def _url(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"http://[{address}]/" if address.version == 6 else f"http://{address}/"


@given(non_global_addresses)
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_address_in_a_non_global_network_is_refused(address):
    assert is_public_address(address) is False
    with pytest.raises(UnsafeURLError):
        fetch(_url(address), allowed_hosts=[])


@given(private_v4, st.integers(min_value=0, max_value=(1 << 80) - 1))
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_ipv6_embedding_of_a_private_ipv4_is_refused(v4, filler):
    for address in _embeddings(v4, filler):
        assert is_public_address(address) is False, address
        with pytest.raises(UnsafeURLError):
            fetch(_url(address), allowed_hosts=[])


@given(st.ip_addresses(v=4))
def test_mapped_and_nat64_forms_are_judged_by_the_ipv4_they_carry(v4):
    # DNS64 networks answer 64:ff9b::a.b.c.d for every IPv4-only site: public ones must pass.
    mapped, _compat, nat64, *_tunnels = _embeddings(v4, 0)

    assert is_public_address(mapped) is is_public_address(v4)
    assert is_public_address(nat64) is is_public_address(v4)


@given(st.ip_addresses())
def test_public_is_never_looser_than_the_standard_library(address):
    if is_public_address(address):
        assert address.is_global
        assert not address.is_multicast


def test_well_known_public_addresses_are_public():
    for address in [
        "93.184.216.34",
        "8.8.8.8",
        "2606:2800:220:1:248:1893:25c8:1946",
        "64:ff9b::808:808",
    ]:
        assert is_public_address(ipaddress.ip_address(address)), address


# --- real HTTP against 127.0.0.1 ------------------------------------------------------------


def test_fetch_returns_the_response(server):
    result = fetch(f"{server.url}/ok")

    assert result.status == 200
    assert result.body == b"<h1>hello</h1>"
    assert result.content_type == "text/html"
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.url == f"{server.url}/ok"
    assert result.redirects == ()
    assert result.peer_ip == "127.0.0.1"
    assert result.truncated is False
    assert 0 < result.elapsed < 5


def test_error_statuses_are_returned_not_raised(server):
    result = fetch(f"{server.url}/missing")

    assert (result.status, result.body) == (404, b"not here")


def test_head_reads_no_body(server):
    result = fetch(f"{server.url}/ok", method="HEAD")

    assert (result.status, result.body) == (200, b"")


def test_host_header_is_the_original_name_while_connecting_to_the_pinned_ip(server, dns):
    dns["shop.test"] = ["127.0.0.1"]

    result = fetch(f"http://shop.test:{server.port}/ok?q=1", allowed_hosts=["shop.test"])

    assert result.headers["x-seen-host"] == f"shop.test:{server.port}"
    assert result.peer_ip == "127.0.0.1"
    assert server.seen[-1].path == "/ok?q=1"
    assert server.seen[-1].headers["Accept-Encoding"] == "identity"


def test_name_is_resolved_once_so_a_rebinding_answer_is_never_used(server, dns, monkeypatch):
    # A rebinding DNS server answers the check with a fine address, then a forbidden one.
    answers = iter([["127.0.0.1"], ["10.0.0.5"]])
    real_getaddrinfo = socket.getaddrinfo
    asked = []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)

    result = fetch(f"http://rebind.test:{server.port}/ok", allowed_hosts=["rebind.test"])

    assert (result.status, result.peer_ip) == (200, "127.0.0.1")
    assert asked == ["rebind.test"]


def test_next_address_is_tried_when_the_first_refuses_connections(server, dns):
    dns["two.test"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2

    result = fetch(f"http://two.test:{server.port}/ok", allowed_hosts=["two.test"])

    assert result.peer_ip == "127.0.0.1"


def test_connection_refused_is_a_fetch_error(server):
    with pytest.raises(SafeFetchError) as failed:
        fetch("http://127.0.0.1:9/ok")  # discard port: nothing listens

    assert failed.value.message == "Could not connect to 127.0.0.1."


def test_body_up_to_the_cap_is_returned(server):
    assert len(fetch(f"{server.url}/big?n=1000", max_bytes=1000).body) == 1000
    assert len(fetch(f"{server.url}/stream?n=1000", max_bytes=1000).body) == 1000


@pytest.mark.parametrize("route", ["big", "stream"])
def test_body_over_the_cap_is_refused(server, route):
    with pytest.raises(SafeFetchError) as failed:
        fetch(f"{server.url}/{route}?n=100000", max_bytes=1000)

    assert (
        failed.value.message == "The response from 127.0.0.1 is larger than the 1000 bytes allowed."
    )


def test_settings_size_cap_is_the_default(server, settings):
    settings.SAFE_HTTP_MAX_BYTES = 10

    with pytest.raises(SafeFetchError, match="larger than the 10 bytes allowed"):
        fetch(f"{server.url}/ok")


@pytest.mark.parametrize("route", ["drip", "drip-headers", "stall?seconds=3"])
def test_slow_server_hits_the_deadline(server, route):
    started = time.monotonic()

    with pytest.raises(SafeFetchError) as failed:
        fetch(f"{server.url}/{route}", timeout=0.5)

    assert failed.value.message == "127.0.0.1 took too long to answer."
    assert time.monotonic() - started < 1.5


def test_redirects_are_followed_and_recorded(server):
    result = fetch(f"{server.url}/hops?n=3")

    assert (result.status, result.body) == (200, b"arrived")
    assert result.url == f"{server.url}/hops?n=0"
    assert result.redirects == (
        f"{server.url}/hops?n=3",
        f"{server.url}/hops?n=2",
        f"{server.url}/hops?n=1",
    )


def test_redirects_beyond_the_limit_are_refused(server, settings):
    settings.SAFE_HTTP_MAX_REDIRECTS = 2

    assert fetch(f"{server.url}/hops?n=2").status == 200
    with pytest.raises(SafeFetchError) as failed:
        fetch(f"{server.url}/hops?n=3")

    assert failed.value.message == "127.0.0.1 redirected more than 2 times."


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local address; ProSocial only fetches public addresses.",
        ),
        (
            "http://[::ffff:10.0.0.1]/",
            "::ffff:10.0.0.1 is a private address; ProSocial only fetches public addresses.",
        ),
        ("file:///etc/passwd", "Only http:// and https:// addresses can be fetched."),
        (
            "http://example.com:22/",
            "Port 22 is not allowed; ProSocial only fetches ports 80 and 443.",
        ),
    ],
)
def test_redirect_to_a_refused_url_is_refused(server, location, reason):
    with pytest.raises(UnsafeURLError) as refused:
        fetch(f"{server.url}/redirect?to={location}", allowed_hosts=["127.0.0.1"])

    assert (
        refused.value.message == f"The link redirects to an address ProSocial won't fetch. {reason}"
    )


def test_redirect_to_a_loopback_name_outside_the_allowlist_is_refused(server, dns):
    dns["internal.test"] = ["127.0.0.1"]
    before = len(server.seen)

    for name in ("localhost", "internal.test"):
        with pytest.raises(UnsafeURLError, match=f"{name} points to a loopback address"):
            fetch(
                f"{server.url}/redirect?to=http://{name}/ok",
                allowed_hosts=["127.0.0.1"],
            )

    assert [seen.path.split("?")[0] for seen in server.seen[before:]] == ["/redirect", "/redirect"]


def test_probe_reads_only_the_first_bytes_of_a_range_server(server):
    result = probe(f"{server.url}/media", max_bytes=1024)

    assert result.status == 206
    assert result.content_type == "video/mp4"
    assert result.content_length == len(MEDIA)
    assert result.accepts_ranges is True
    assert result.first_bytes == MEDIA[:1024]
    assert server.seen[-1].headers["Range"] == "bytes=0-1023"


def test_probe_stops_reading_when_the_range_is_ignored(server):
    result = probe(f"{server.url}/media-no-range", max_bytes=1024)

    assert (result.status, result.content_length, result.accepts_ranges) == (200, len(MEDIA), False)
    assert result.first_bytes == MEDIA[:1024]


def test_probe_refuses_like_fetch():
    with pytest.raises(UnsafeURLError):
        probe("http://localhost/video.mp4", allowed_hosts=[])


# --- HTTPS: SNI and certificate checks use the name, the socket uses the pinned IP -------------


def test_https_verifies_the_certificate_for_the_original_name(tls_server, dns, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_path))
    dns["shop.test"] = ["127.0.0.1"]

    result = fetch(f"https://shop.test:{tls_server.port}/ok", allowed_hosts=["shop.test"])

    assert (result.status, result.peer_ip) == (200, "127.0.0.1")
    assert tls_server.sni[-1] == "shop.test"
    assert result.headers["x-seen-host"] == f"shop.test:{tls_server.port}"


def test_https_certificate_for_another_name_is_refused(tls_server, dns, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_path))
    dns["other.test"] = ["127.0.0.1"]

    with pytest.raises(SafeFetchError) as failed:
        fetch(f"https://other.test:{tls_server.port}/ok", allowed_hosts=["other.test"])

    assert failed.value.message == "The secure connection to other.test could not be verified."


def test_https_certificate_from_an_unknown_authority_is_refused(tls_server, dns):
    dns["shop.test"] = ["127.0.0.1"]

    with pytest.raises(SafeFetchError, match="could not be verified"):
        fetch(f"https://shop.test:{tls_server.port}/ok", allowed_hosts=["shop.test"])


# --- the development allowlist is per port -----------------------------------------------------


def test_a_host_port_entry_exempts_that_port_only(server):
    allowed = [f"127.0.0.1:{server.port}"]

    assert fetch(f"http://127.0.0.1:{server.port}/ok", allowed_hosts=allowed).status == 200
    with pytest.raises(UnsafeURLError, match="Port 6379 is not allowed"):
        fetch("http://127.0.0.1:6379/", allowed_hosts=allowed)
    with pytest.raises(UnsafeURLError, match="Port 5432 is not allowed"):
        fetch("http://127.0.0.1:5432/", allowed_hosts=allowed)


def test_development_allows_only_prosocials_own_local_ports():
    ports = {entry.rpartition(":")[2] for entry in project.SAFE_HTTP_ALLOWED_HOSTS}
    hosts = {entry.rpartition(":")[0] for entry in project.SAFE_HTTP_ALLOWED_HOSTS}
    own = str(urlsplit(project.PUBLIC_BASE_URL).port or 80)
    assert hosts == {"127.0.0.1", "localhost"}
    assert ports == {str(project.META_SANDBOX_PORT), own}
    assert not ports & {"6379", "5432", "5672"}
